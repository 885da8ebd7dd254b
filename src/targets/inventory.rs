//! The host's inventory of network namespaces: every one of them, with who lives in it (the
//! rows `nscap list` prints, and what `--all`, patterns, `--follow` and Wireshark's interface
//! list choose from).
//!
//! Namespaces come from two places: processes (one pass over `/proc`) and ip-netns names (a
//! namespace kept alive by a bind mount alone has no process). Interfaces are read from inside
//! each namespace on a short-lived thread.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::iface::{self, IfInfo};
use crate::netns;
use crate::targets::cgroup::Runtime;
use crate::targets::runtime::Pod;
use crate::targets::Host;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContainerRef {
    pub runtime: Runtime,
    pub id: String,
    pub name: Option<String>,
}

/// A pod; namespace and name are null when its log directory is missing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IfaceRow {
    pub name: String,
    pub index: u32,
    pub up: bool,
    /// `10.0.0.2/24`
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

impl Row {
    /// A row another host's nscap sent (`list -H`): the fields the tables print as they are
    /// (made safe where they were read, on that host) are made safe again here, where it
    /// cannot be checked that they were.
    pub fn from_elsewhere(mut self) -> Row {
        let safe = |s: &mut String| *s = crate::escape::text(s);
        if let Some(c) = self.command.as_mut() {
            safe(c);
        }
        if let Some(e) = self.interfaces_error.as_mut() {
            safe(e);
        }
        for i in self.interfaces.iter_mut() {
            safe(&mut i.name);
            i.addresses.iter_mut().for_each(safe);
        }
        for c in self.container.iter_mut().chain(self.containers.iter_mut()) {
            safe(&mut c.id);
        }
        self
    }

    /// The namespace `inode`, with nothing known of it yet.
    pub fn new(inode: u64) -> Row {
        Row {
            inode,
            host: false,
            name: None,
            names: Vec::new(),
            pids: Vec::new(),
            command: None,
            container: None,
            containers: Vec::new(),
            pod: None,
            interfaces: Vec::new(),
            interfaces_error: None,
        }
    }
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
        host: Some(inode) == host_ino,
        ..Row::new(inode)
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
    let mut placed: Vec<(i32, u64, &crate::targets::Container)> = host
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
pub(crate) fn command_of(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(shell_word)
        .collect();
    if args.is_empty() {
        let comm = std::fs::read(format!("/proc/{pid}/comm")).ok()?;
        let comm = comm.strip_suffix(b"\n").unwrap_or(&comm);
        return Some(format!("[{}]", crate::escape::name(comm)));
    }
    Some(args.join(" "))
}

/// One argument as a shell would take it back: as it is when it holds nothing a shell reads
/// specially, else in single quotes, or in bash's `$'…'` with `\xHH` for any byte that is not
/// printable ASCII (nothing from a command line reaches the terminal raw).
pub fn shell_word(a: &[u8]) -> String {
    // `=` is quoted: a first word `FOO=bar` would be read back as an assignment.
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"_@%+:,./-".contains(&b);
    if !a.is_empty() && a.iter().all(|&b| plain(b)) {
        return String::from_utf8_lossy(a).into_owned();
    }
    if a.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return format!("'{}'", String::from_utf8_lossy(a).replace('\'', "'\\''"));
    }
    let mut s = String::from("$'");
    for &b in a {
        match b {
            b'\'' => s.push_str("\\'"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('\'');
    s
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
    // nscap's own namespace needs no entering (nor the privilege for it).
    let own = std::fs::metadata("/proc/thread-self/ns/net").map(|m| m.ino());
    let ifs: Vec<IfInfo> = if own.ok() == Some(row.inode) {
        iface::list()?
    } else {
        let f = open_ns(host, row)?;
        netns::run(f, format!("net:[{}]", row.inode), iface::list)?
    };
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
