//! `nscap list`: every network namespace on this host, with who lives in it.
//!
//! Namespaces come from two places: processes (one pass over `/proc`) and ip-netns names (a
//! namespace kept alive by a bind mount alone has no process). Interfaces are read from inside
//! each namespace on a short-lived thread.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Parser;
use serde::Serialize;

use crate::error::{os_message, Exit};
use crate::iface::{self, IfInfo};
use crate::netns;
use crate::target::cgroup::Runtime;
use crate::target::runtime::Pod;
use crate::target::{Host, Roots};

#[derive(Parser, Debug)]
#[command(
    name = "nscap list",
    bin_name = "nscap list",
    about = "List every network namespace on this host: names, processes, containers, pods, interfaces."
)]
struct Args {
    /// Print JSON lines: one object per namespace, one per line.
    #[arg(long)]
    json: bool,
    /// The host's root is mounted at DIR (nscap runs in a container with --pid=host): every
    /// default below is read under it [env: NSCAP_HOST_ROOT].
    #[arg(long, value_name = "DIR")]
    host_root: Option<PathBuf>,
    /// Docker's data root [env: NSCAP_DOCKER_ROOT; default /var/lib/docker].
    #[arg(long, value_name = "DIR")]
    docker_root: Option<PathBuf>,
    /// containers/storage root of Podman and CRI-O [env: NSCAP_PODMAN_ROOT; default /var/lib/containers/storage].
    #[arg(long, value_name = "DIR")]
    podman_root: Option<PathBuf>,
    /// containerd's state directory [env: NSCAP_CONTAINERD_STATE; default /run/containerd].
    #[arg(long, value_name = "DIR")]
    containerd_state: Option<PathBuf>,
    /// The kubelet's pod log directory [env: NSCAP_PODS_LOG_DIR; default /var/log/pods].
    #[arg(long, value_name = "DIR")]
    pods_log_dir: Option<PathBuf>,
    /// ip-netns names [env: NSCAP_NETNS_DIR; default /run/netns].
    #[arg(long, value_name = "DIR")]
    netns_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContainerRef {
    pub runtime: Runtime,
    pub id: String,
    pub name: Option<String>,
}

/// A pod; namespace and name are null when its log directory is missing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PodRef {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: String,
}

impl From<&Pod> for PodRef {
    fn from(p: &Pod) -> PodRef {
        PodRef {
            namespace: Some(p.namespace.clone()),
            name: Some(p.name.clone()),
            uid: p.uid.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IfaceRow {
    pub name: String,
    pub index: u32,
    pub up: bool,
    /// `10.0.0.2/24`
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub inode: u64,
    /// The host's own namespace (that of PID 1).
    pub host: bool,
    /// The first ip-netns name, if any.
    pub name: Option<String>,
    /// Every ip-netns name of it.
    pub names: Vec<String>,
    pub pids: Vec<i32>,
    /// The command line of the lowest PID, as lsns's COMMAND (`[comm]` when it has none).
    pub command: Option<String>,
    /// The container of its lowest containerised process.
    pub container: Option<ContainerRef>,
    /// Every container in it (a pod's containers share one).
    pub containers: Vec<ContainerRef>,
    pub pod: Option<PodRef>,
    pub interfaces: Vec<IfaceRow>,
    /// Why the interfaces could not be read, if they could not.
    pub interfaces_error: Option<String>,
}

/// The namespace of PID 1; where PID 1 is out of reach (a sandbox's init), that of kthreadd:
/// kernel threads always live in the initial network namespace.
pub fn host_netns() -> Option<u64> {
    let ino = |pid: u32| std::fs::metadata(format!("/proc/{pid}/ns/net")).map(|m| m.ino());
    ino(1).ok().or_else(|| {
        let comm = std::fs::read_to_string("/proc/2/comm").ok()?;
        (comm.trim_end() == "kthreadd").then(|| ino(2).ok())?
    })
}

/// Rows without interfaces: the host's namespace first, then by lowest PID, then name-only
/// namespaces by name.
pub fn rows(host: &Host) -> Vec<Row> {
    let host_ino = host_netns();
    let mut by_ino: BTreeMap<u64, Row> = BTreeMap::new();
    let empty = |inode| Row {
        inode,
        host: Some(inode) == host_ino,
        name: None,
        names: Vec::new(),
        pids: Vec::new(),
        command: None,
        container: None,
        containers: Vec::new(),
        pod: None,
        interfaces: Vec::new(),
        interfaces_error: None,
    };
    for p in &host.procs {
        by_ino
            .entry(p.netns)
            .or_insert_with(|| empty(p.netns))
            .pids
            .push(p.pid);
    }
    for (name, ino) in &host.netns_names {
        let r = by_ino.entry(*ino).or_insert_with(|| empty(*ino));
        r.names.push(name.clone());
    }
    // Containers by the namespace of their init, in order of init PID so that the sandbox
    // (started first) names a pod's namespace.
    let mut placed: Vec<(i32, u64, &crate::target::Container)> = host
        .containers
        .iter()
        .filter_map(|c| {
            let init = c.init?;
            Some((init, host.container_netns(c)?, c))
        })
        .collect();
    placed.sort_by_key(|(init, _, _)| *init);
    for (_, ino, c) in placed {
        let Some(r) = by_ino.get_mut(&ino) else {
            continue;
        };
        let cref = ContainerRef {
            runtime: c.runtime,
            id: c.id.clone(),
            name: c.name.clone(),
        };
        // Host-network containers and pods share the host's namespace; they do not name it.
        if r.container.is_none() && !r.host {
            r.container = Some(cref.clone());
        }
        r.containers.push(cref);
        if r.pod.is_none() && !r.host {
            r.pod = c.pod_uid.as_deref().map(|uid| match host.pod(uid) {
                Some(p) => PodRef::from(p),
                None => PodRef {
                    namespace: None,
                    name: None,
                    uid: uid.to_string(),
                },
            });
        }
    }
    let mut rows: Vec<Row> = by_ino
        .into_values()
        .map(|mut r| {
            r.name = r.names.first().cloned();
            r.command = r.pids.first().and_then(|&p| command_of(p));
            r
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            !a.host,
            a.pids.is_empty(),
            a.pids.first(),
            &a.names,
            a.inode,
        )
            .cmp(&(
                !b.host,
                b.pids.is_empty(),
                b.pids.first(),
                &b.names,
                b.inode,
            ))
    });
    rows
}

/// `/proc/PID/cmdline` with spaces between the arguments, as lsns and ps print it; `[comm]`
/// for a kernel thread (or a zombie), which has none. Each argument is escaped on its own: a
/// process chooses its arguments, and they must not forge lines or drive the terminal.
fn command_of(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(crate::escape::name)
        .collect();
    if args.is_empty() {
        let comm = std::fs::read(format!("/proc/{pid}/comm")).ok()?;
        let comm = comm.strip_suffix(b"\n").unwrap_or(&comm);
        return Some(format!("[{}]", crate::escape::name(comm)));
    }
    Some(args.join(" "))
}

/// Longest COMMAND cell in the table (JSON has it whole): a Java command line is thousands of
/// characters and would push the interfaces off every screen.
const COMMAND_CELL: usize = 40;

fn command_cell(r: &Row) -> String {
    let Some(c) = &r.command else {
        return "-".into();
    };
    if c.chars().count() <= COMMAND_CELL {
        return c.clone();
    }
    let mut cut: String = c.chars().take(COMMAND_CELL - 1).collect();
    cut.push('…');
    cut
}

/// A handle on the namespace with `inode`: through a process when one is left, else through a
/// name. The inode is checked, since a PID may have been reused since the scan.
pub fn open_ns(host: &Host, row: &Row) -> Result<File> {
    let paths = row
        .pids
        .iter()
        .take(8)
        .map(|p| PathBuf::from(format!("/proc/{p}/ns/net")))
        .chain(row.names.iter().map(|n| host.roots.netns.join(n)));
    for path in paths {
        if let Ok(f) = File::open(&path) {
            if f.metadata().map(|m| m.ino()).ok() == Some(row.inode) {
                return Ok(f);
            }
        }
    }
    anyhow::bail!("namespace is gone")
}

fn interfaces(host: &Host, row: &Row) -> Result<Vec<IfaceRow>> {
    let f = open_ns(host, row)?;
    let ifs: Vec<IfInfo> = netns::run(f, format!("net:[{}]", row.inode), iface::list)?;
    Ok(ifs
        .into_iter()
        .map(|i| IfaceRow {
            up: i.up(),
            addresses: i.addrs.iter().map(|(a, p)| format!("{a}/{p}")).collect(),
            // From another namespace: escaped as `-D` prints it, in the table and in JSON.
            name: crate::escape::name(i.name.as_bytes()),
            index: i.index,
        })
        .collect())
}

/// Every row, with interfaces.
pub fn collect(host: &Host) -> Vec<Row> {
    let mut rows = rows(host);
    for r in &mut rows {
        match interfaces(host, r) {
            Ok(ifs) => r.interfaces = ifs,
            Err(e) => r.interfaces_error = Some(format!("{e:#}")),
        }
    }
    rows
}

/// Names read from the host's files (ip-netns names, runtime records) are kept as they are for
/// lookups, and escaped in the table like every name from outside.
fn escape(s: &str) -> String {
    crate::escape::name(s.as_bytes())
}

fn container_cell(r: &Row) -> String {
    let Some(c) = &r.container else {
        return "-".into();
    };
    let mut s = format!("{} {}", c.runtime.name(), crate::target::host::short(&c.id));
    if let Some(n) = &c.name {
        s.push(' ');
        s.push_str(&escape(n));
    }
    if r.containers.len() > 1 {
        s.push_str(&format!(" +{}", r.containers.len() - 1));
    }
    s
}

fn pod_cell(r: &Row) -> String {
    match &r.pod {
        Some(PodRef {
            namespace: Some(ns),
            name: Some(n),
            ..
        }) => format!("{}/{}", escape(ns), escape(n)),
        Some(p) => format!("uid {}", escape(&p.uid)),
        None => "-".into(),
    }
}

fn iface_cell(r: &Row) -> String {
    if let Some(e) = &r.interfaces_error {
        return format!("({e})");
    }
    let v: Vec<String> = r
        .interfaces
        .iter()
        .map(|i| {
            let mut s = i.name.clone();
            if !i.up {
                s.push_str("(down)");
            }
            for a in &i.addresses {
                s.push(' ');
                s.push_str(a);
            }
            s
        })
        .collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

/// The table: one line per namespace, the host's inode marked with `*`.
pub fn table(rows: &[Row]) -> String {
    let header = [
        "NETNS",
        "NAME",
        "PIDS",
        "LOWEST",
        "COMMAND",
        "CONTAINER",
        "POD",
        "INTERFACES",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                format!("{}{}", r.inode, if r.host { "*" } else { "" }),
                if r.names.is_empty() {
                    "-".into()
                } else {
                    let names: Vec<String> = r.names.iter().map(|n| escape(n)).collect();
                    names.join(",")
                },
                r.pids.len().to_string(),
                r.pids.first().map_or("-".into(), |p| p.to_string()),
                command_cell(r),
                container_cell(r),
                pod_cell(r),
                iface_cell(r),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for c in &cells {
        for (w, s) in width.iter_mut().zip(c) {
            *w = (*w).max(s.chars().count());
        }
    }
    let line = |c: [&str; 8]| {
        let mut s = String::new();
        for (i, cell) in c.iter().enumerate() {
            if i + 1 == c.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = width[i]));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(header);
    for c in &cells {
        out.push_str(&line([
            &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7],
        ]));
    }
    if rows.iter().any(|r| r.host) {
        out.push_str("* the host's (initial) network namespace\n");
    }
    out
}

/// JSON lines: one object per namespace, one namespace per line, for `grep` and `jq -c`.
pub fn json(rows: &[Row]) -> Result<String> {
    let mut out = String::new();
    for r in rows {
        out.push_str(&serde_json::to_string(r).context("cannot encode JSON")?);
        out.push('\n');
    }
    Ok(out)
}

/// The `list` subcommand as clap knows it (for the man page and completions).
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}

/// `nscap list [options]`; `args[0]` is `list`.
pub fn main(args: Vec<OsString>) -> Result<(), Exit> {
    let a = Args::try_parse_from(args)?;
    Ok(run(a)?)
}

fn run(a: Args) -> Result<()> {
    if let Some(dir) = a.host_root {
        crate::target::runtime::set_host_root(dir);
    }
    let mut roots = Roots::from_env();
    for (opt, slot) in [
        (a.docker_root, &mut roots.docker),
        (a.podman_root, &mut roots.podman),
        (a.containerd_state, &mut roots.containerd),
        (a.pods_log_dir, &mut roots.pods),
        (a.netns_dir, &mut roots.netns),
    ] {
        if let Some(p) = opt {
            *slot = p;
        }
    }
    roots.check()?;
    let host = Host::load(&roots);
    let rows = collect(&host);
    let text = if a.json { json(&rows)? } else { table(&rows) };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`nscap list | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| anyhow!("cannot write to standard output: {}", os_message(&e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(inode: u64) -> Row {
        Row {
            inode,
            host: false,
            name: None,
            names: vec![],
            pids: vec![],
            command: None,
            container: None,
            containers: vec![],
            pod: None,
            interfaces: vec![],
            interfaces_error: None,
        }
    }

    #[test]
    fn table_marks_the_host_and_aligns() {
        let mut h = row(4026531840);
        h.host = true;
        h.pids = vec![1, 2, 3];
        h.interfaces = vec![IfaceRow {
            name: "lo".into(),
            index: 1,
            up: true,
            addresses: vec!["127.0.0.1/8".into()],
        }];
        let mut c = row(4026532281);
        c.names = vec!["blue".into()];
        c.pids = vec![4242];
        let cref = ContainerRef {
            runtime: Runtime::Docker,
            id: "3f2a9c1b4d5e".repeat(6),
            name: Some("web".into()),
        };
        c.container = Some(cref.clone());
        c.containers = vec![cref.clone(), cref];
        c.pod = Some(PodRef {
            namespace: Some("default".into()),
            name: Some("web-7d9c".into()),
            uid: "u".into(),
        });
        c.interfaces = vec![IfaceRow {
            name: "eth0".into(),
            index: 2,
            up: false,
            addresses: vec![],
        }];
        let t = table(&[h, c]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("NETNS "), "{t}");
        assert!(lines[1].starts_with("4026531840* "), "{t}");
        assert!(lines[1].ends_with("lo 127.0.0.1/8"), "{t}");
        assert!(
            lines[2].contains("docker 3f2a9c1b4d5e web +1  default/web-7d9c  eth0(down)"),
            "{t}"
        );
        assert_eq!(lines[1].find(" 3 "), lines[2].find(" 1 "), "{t}");
        assert!(lines[3].starts_with("* the host's"), "{t}");
        assert!(lines[0].contains(" LOWEST  COMMAND "), "{t}");
    }

    #[test]
    fn command_is_lsns_and_cut_in_the_table() {
        let me = command_of(std::process::id() as i32).unwrap();
        assert!(!me.contains('\0') && !me.starts_with('['), "{me}");
        let mut r = row(1);
        r.command = Some("x".repeat(100));
        let cell = command_cell(&r);
        assert_eq!(cell.chars().count(), COMMAND_CELL);
        assert!(cell.ends_with('…'));
        r.command = None;
        assert_eq!(command_cell(&r), "-");
    }

    #[test]
    fn json_has_the_documented_keys() {
        assert_eq!(json(&[]).unwrap(), "");
        let mut r = row(7);
        r.names = vec!["blue".into()];
        r.name = Some("blue".into());
        let text = json(&[r.clone(), r]).unwrap();
        let v: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(v.len(), 2);
        let o = &v[0];
        assert_eq!(o["inode"], 7);
        assert_eq!(o["name"], "blue");
        assert!(o["pids"].is_array() && o["interfaces"].is_array());
        assert!(o["container"].is_null() && o["pod"].is_null() && o["command"].is_null());
    }
}
