//! `nscap list`: every network namespace on this host, with who lives in it, as a table or
//! JSON lines. What is listed comes from [`crate::targets::inventory`].

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;

use crate::error::{os_message, Exit};
use crate::targets::inventory::{collect, PodRef, Row};
use crate::targets::{Host, Roots};

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
    /// Every column: the namespace's inode, all its ip-netns names, process count and command,
    /// every container, the pod, every address of every interface.
    #[arg(short = 'l', long)]
    wide: bool,
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
    /// -H: every host's namespaces in one table, the host first on each row (`node` in JSON).
    #[command(flatten)]
    remote: crate::remote::HostOptions,
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

/// Names read from the host's files (ip-netns names, runtime records) are kept as they are for
/// lookups, and escaped in the table like every name from outside.
fn escape(s: &str) -> String {
    crate::escape::name(s.as_bytes())
}

fn container_cell(r: &Row) -> String {
    let Some(c) = &r.container else {
        return "-".into();
    };
    let mut s = format!(
        "{} {}",
        c.runtime.name(),
        crate::targets::host::short(&c.id)
    );
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
    ifaces(r, true)
}

/// The interfaces, each as `eth0 10.0.0.2/24` (`eth1(down)`): with `all`, every one with every
/// address; else all but `lo`, each with its first address.
fn ifaces(r: &Row, all: bool) -> String {
    if let Some(e) = &r.interfaces_error {
        return format!("({e})");
    }
    let v: Vec<String> = r
        .interfaces
        .iter()
        .filter(|i| all || i.name != "lo")
        .map(|i| {
            // Escaped already, when it was read.
            let mut s = i.name.clone();
            if !i.up {
                s.push_str("(down)");
            }
            let shown = if all { i.addresses.len() } else { 1 };
            for a in i.addresses.iter().take(shown) {
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

/// The short table, for a terminal: what a namespace is called, what kind of thing it is, the
/// container's short ID, its lowest PID, and its interfaces (not `lo`) with their first
/// address, cut with `…` to `width` columns when one is given (a terminal's).
pub fn short_table(rows: &[Row], width: Option<usize>) -> String {
    short_table_on(rows, None, width)
}

/// [`short_table`], with each row's host first when `hosts` gives them (`list -H`).
fn short_table_on(rows: &[Row], hosts: Option<&[String]>, width: Option<usize>) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (name, kind) = name_and_kind(r);
            vec![
                cut(&name, 24),
                kind,
                r.container.as_ref().map_or("-".into(), |c| {
                    crate::targets::host::short(&c.id).to_string()
                }),
                r.pids.first().map_or("-".into(), |p| p.to_string()),
                ifaces(r, false),
            ]
        })
        .collect();
    render(
        &["NAME", "KIND", "ID", "PID", "INTERFACES"],
        cells,
        hosts,
        width,
    )
}

/// Columns aligned, two spaces apart; the last one is left as it is, or cut to what is left of
/// `width`. With `hosts`, a HOST column comes first.
fn render(
    header: &[&str],
    mut cells: Vec<Vec<String>>,
    hosts: Option<&[String]>,
    width: Option<usize>,
) -> String {
    let mut header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    if let Some(hosts) = hosts {
        header.insert(0, "HOST".into());
        for (c, h) in cells.iter_mut().zip(hosts) {
            c.insert(0, crate::escape::text(h));
        }
    }
    let n = header.len();
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for c in &cells {
        for (w, s) in w.iter_mut().zip(c) {
            *w = (*w).max(s.chars().count());
        }
    }
    let lead: usize = w[..n - 1].iter().map(|w| w + 2).sum();
    let line = |c: &[String]| {
        let mut s = String::new();
        for (i, cell) in c.iter().enumerate() {
            if i + 1 < n {
                s.push_str(&format!("{cell:<w$}  ", w = w[i]));
            } else {
                match width {
                    Some(total) => s.push_str(&cut(cell, total.saturating_sub(lead).max(12))),
                    None => s.push_str(cell),
                }
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&header);
    for c in &cells {
        out.push_str(&line(c));
    }
    out
}

/// The name users know a namespace by, and what it is: a pod's `NAMESPACE/NAME`, else a
/// container's name, else the first ip-netns name, else `host` for the host's; `-` for a
/// namespace only a process holds.
fn name_and_kind(r: &Row) -> (String, String) {
    let runtime = r.container.as_ref().map(|c| c.runtime.name().to_string());
    if let Some(PodRef {
        namespace: Some(ns),
        name: Some(n),
        ..
    }) = &r.pod
    {
        return (format!("{}/{}", escape(ns), escape(n)), "pod".into());
    }
    if let Some(c) = &r.container {
        let name = c.name.as_deref().map_or("-".into(), escape);
        let more = if r.containers.len() > 1 {
            format!(" +{}", r.containers.len() - 1)
        } else {
            String::new()
        };
        return (format!("{name}{more}"), runtime.unwrap_or_default());
    }
    if let Some(n) = r.names.first() {
        return (escape(n), "netns".into());
    }
    if r.host {
        return ("host".into(), "host".into());
    }
    (
        "-".into(),
        if r.pids.is_empty() {
            "-".into()
        } else {
            "process".into()
        },
    )
}

/// `s` cut to `max` characters, the last one `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut c: String = s.chars().take(max.saturating_sub(1)).collect();
    c.push('…');
    c
}

/// The width of the terminal on standard output, if it is one.
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() {
        return None;
    }
    Some(crate::os::terminal_columns(io::stdout().as_fd()).map_or(80, usize::from))
}

/// The wide table (`-l`): one line per namespace, the host's inode marked with `*`.
pub fn table(rows: &[Row]) -> String {
    table_on(rows, None)
}

/// [`table`], with each row's host first when `hosts` gives them (`list -H`).
fn table_on(rows: &[Row], hosts: Option<&[String]>) -> String {
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
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
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
    let mut out = render(&header, cells, hosts, None);
    if rows.iter().any(|r| r.host) {
        out.push_str("* the host's (initial) network namespace\n");
    } else if !rows.is_empty() {
        // Without the right to read PID 1's namespace (CAP_SYS_PTRACE), nothing says which
        // row is the host's: said, rather than a row marked or named at a guess.
        out.push_str(
            "which is the host's (initial) network namespace is unknown: PID 1's cannot be read (needs CAP_SYS_PTRACE)\n",
        );
    }
    out
}

/// `list -H`: every host's namespaces in one table (or JSON lines with `node`), the data
/// root options passed on to each.
fn on_hosts(a: &Args, hosts: &crate::remote::Hosts) -> Result<()> {
    let mut args: Vec<OsString> = Vec::new();
    for (opt, v) in [
        ("--host-root", &a.host_root),
        ("--docker-root", &a.docker_root),
        ("--podman-root", &a.podman_root),
        ("--containerd-state", &a.containerd_state),
        ("--pods-log-dir", &a.pods_log_dir),
        ("--netns-dir", &a.netns_dir),
    ] {
        if let Some(v) = v {
            args.push(opt.into());
            args.push(v.into());
        }
    }
    let (rows, partial) = crate::remote::list(hosts, &args)?;
    let (names, rows): (Vec<String>, Vec<Row>) = rows.into_iter().unzip();
    let text = if a.json {
        let mut out = String::new();
        for (n, r) in names.iter().zip(&rows) {
            let mut v = serde_json::to_value(r).context("cannot encode JSON")?;
            if let Some(o) = v.as_object_mut() {
                o.insert("node".into(), n.clone().into());
            }
            out.push_str(&v.to_string());
            out.push('\n');
        }
        out
    } else if a.wide {
        table_on(&rows, Some(&names))
    } else {
        short_table_on(&rows, Some(&names), terminal_width())
    };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        r => r.map_err(|e| anyhow!("cannot write to standard output: {}", os_message(&e)))?,
    }
    if partial {
        bail!("not every host could be listed in full (said above)");
    }
    Ok(())
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
    if let Some(hosts) = a.remote.hosts()? {
        return Ok(on_hosts(&a, &hosts)?);
    }
    Ok(run(a)?)
}

fn run(a: Args) -> Result<()> {
    if a.host_root.is_some() {
        crate::privs::refuse("--host-root")?;
    }
    if let Some(dir) = a.host_root {
        crate::targets::runtime::set_host_root(dir);
    }
    let mut roots = Roots::from_env();
    let moved = [
        &a.docker_root,
        &a.podman_root,
        &a.containerd_state,
        &a.pods_log_dir,
        &a.netns_dir,
    ];
    if moved.iter().any(|o| o.is_some()) {
        crate::privs::refuse("a data root option")?;
    }
    // The runtimes' state and /proc of every process, with the capabilities of capture-only mode.
    crate::privs::raise()?;
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
    let text = if a.json {
        json(&rows)?
    } else if a.wide {
        table(&rows)
    } else {
        short_table(&rows, terminal_width())
    };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`nscap list | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        r => r.map_err(|e| anyhow!("cannot write to standard output: {}", os_message(&e)))?,
    }
    // Rows without their interfaces for want of a privilege: the table is not what the
    // user asked for, and the exit status says so.
    let denied = rows
        .iter()
        .filter(|r| {
            r.interfaces_error
                .as_deref()
                .is_some_and(|e| e.contains("permission denied"))
        })
        .count();
    if denied > 0 {
        bail!(
            "the interfaces of {denied} namespace{} could not be read: entering a namespace needs CAP_SYS_ADMIN",
            if denied == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::cgroup::Runtime;
    use crate::targets::inventory::{command_of, ContainerRef, IfaceRow};

    fn row(inode: u64) -> Row {
        Row::new(inode)
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
    fn arguments_are_quoted_as_a_shell_would_read_them() {
        use crate::targets::inventory::shell_word;
        assert_eq!(shell_word(b"/usr/bin/sleep"), "/usr/bin/sleep");
        assert_eq!(shell_word(b"mkdir -p /www"), "'mkdir -p /www'");
        assert_eq!(shell_word(b"it's"), "'it'\\''s'");
        assert_eq!(shell_word(b""), "''");
        assert_eq!(shell_word(b"FOO=bar"), "'FOO=bar'");
        assert_eq!(shell_word(b"x\x1b[31m'y\\"), "$'x\\x1b[31m\\'y\\\\'");
    }

    /// The short table fits 80 columns: names users know, the kind, the short ID, the lowest
    /// PID, interfaces but lo with their first address, cut with `…` on a terminal.
    #[test]
    fn short_table_fits_a_terminal() {
        let mut h = row(4026531840);
        h.host = true;
        h.pids = vec![1];
        let many: Vec<IfaceRow> = (0..50)
            .map(|i| IfaceRow {
                name: format!("veth{i}"),
                index: i + 2,
                up: true,
                addresses: vec![format!("10.0.{i}.1/24"), "fe80::1/64".into()],
            })
            .collect();
        h.interfaces = many;
        let mut c = row(4026532281);
        c.pids = vec![4242];
        let cref = ContainerRef {
            runtime: Runtime::Docker,
            id: "3f2a9c1b4d5e".repeat(6),
            name: Some("web".into()),
        };
        c.container = Some(cref.clone());
        c.containers = vec![cref];
        c.interfaces = vec![
            IfaceRow {
                name: "lo".into(),
                index: 1,
                up: true,
                addresses: vec!["127.0.0.1/8".into()],
            },
            IfaceRow {
                name: "eth0".into(),
                index: 2,
                up: true,
                addresses: vec!["172.17.0.2/16".into(), "fe80::2/64".into()],
            },
        ];
        let mut n = row(4026532999);
        n.names = vec!["blue".into(), "green".into()];
        let mut p = row(4026533000);
        p.pids = vec![77];
        p.pod = Some(PodRef {
            namespace: Some("default".into()),
            name: Some("web-7d9c".into()),
            uid: "u".into(),
        });
        let t = short_table(&[h.clone(), c, n, p], Some(80));
        let lines: Vec<&str> = t.lines().collect();
        let words = |l: &str| l.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        assert_eq!(words(lines[0]), "NAME KIND ID PID", "{t}");
        assert_eq!(words(lines[1]), "host host - 1", "{t}");
        assert_eq!(words(lines[2]), "web docker 3f2a9c1b4d5e 4242", "{t}");
        assert!(lines[2].ends_with("  eth0 172.17.0.2/16"), "{t}");
        assert_eq!(words(lines[3]), "blue netns - -", "{t}");
        assert_eq!(words(lines[4]), "default/web-7d9c pod - 77", "{t}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{t}");
        assert!(lines[1].ends_with('…'), "{t}");
        // Not on a terminal: nothing cut, for grep.
        let whole = short_table(&[h], None);
        assert!(whole.contains("veth49 10.0.49.1/24"), "{whole}");
    }

    /// `list -H`: the host comes first; what another host sent is made safe for the terminal.
    #[test]
    fn rows_from_other_hosts_are_named_and_made_safe() {
        let json = r#"{"inode":7,"host":false,"name":null,"names":["blue\u001b[2J"],"pids":[9],
            "command":"evil \u001b]0;x\u0007","container":null,"containers":[],"pod":null,
            "interfaces":[{"name":"eth0\u001b[31m","index":2,"up":true,"addresses":["10.0.0.2/24\u0007"]}],
            "interfaces_error":null}"#
            .replace('\n', " ");
        let r: Row = serde_json::from_str(&json).unwrap();
        let r = r.from_elsewhere();
        let hosts = vec!["node1".to_string()];
        for t in [
            short_table_on(std::slice::from_ref(&r), Some(&hosts), None),
            table_on(std::slice::from_ref(&r), Some(&hosts)),
        ] {
            assert!(t.starts_with("HOST  "), "{t}");
            assert!(t.lines().nth(1).unwrap().starts_with("node1  "), "{t}");
            assert!(!t.bytes().any(|b| b < 0x20 && b != b'\n'), "{t:?}");
        }
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
