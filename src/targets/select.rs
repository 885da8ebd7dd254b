//! Which namespaces a capture covers, and the names users know them by.
//!
//! `-t` takes exact targets (see [`crate::targets`]) and shell-style patterns (`web-*`,
//! `pod:shop/cart-*`, `container:*`, `netns:ci-*`); `--all` takes every namespace but the
//! host's. Several of them combine as a union, each namespace once. Every namespace is named
//! after what lives in it: a pod's `namespace/name`, a container's name, an ip-netns name, else
//! a PID; interfaces are then `NAME/IFACE`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::{bail, Result};

use crate::targets::inventory::{self, Row};
use crate::targets::{self, Host, Roots, Target, TargetSpec};

/// A namespace to capture in, named.
#[derive(Debug)]
pub struct Member {
    pub target: Target,
    /// `shop/cart-1`, `web`, `blue`, `4242`: the NAME of `NAME/IFACE`.
    pub name: String,
    /// For the pcapng `if_description`: runtime, full ID, pod, ip-netns name, PID and command,
    /// `net:[inode]`.
    pub description: String,
    /// Found by a pattern or `--all` rather than named exactly: such a namespace has no process
    /// of its own to watch, so it ends when no process or name holds it any more.
    pub matched: bool,
    /// Named by a PID or a path: once its namespace is gone nothing can bring it back, so even
    /// under `--follow` its end ends the capture.
    pub fixed: bool,
}

/// Whether a `-t` argument is a pattern rather than one target.
pub fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Whether a `-t` argument is read as a pattern: it has a pattern's characters and names no
/// namespace exactly. An existing path or ip-netns name wins (`-t /run/netns/a[1]`,
/// `netns:a[1]`, `a[1]` for the namespace of that name).
pub fn read_as_pattern(s: &str) -> bool {
    if !is_pattern(s) {
        return false;
    }
    let netns = Roots::from_env().netns;
    let exact = match TargetSpec::parse(s) {
        Ok(TargetSpec::Path(p)) => p.exists(),
        Ok(TargetSpec::Netns(n) | TargetSpec::Name(n)) => netns.join(n).exists(),
        _ => false,
    };
    !exact
}

/// Shell-style matching: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!x]`.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // The classic backtracking matcher: linear in practice, at most one star remembered.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((hit, next)) = class(&p, pi, n[ni]) {
                        if hit {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        // An unclosed bracket is a plain character.
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A bracket class at `p[at]`: whether `c` is in it, and where the pattern goes on; None when
/// the bracket is not closed.
fn class(p: &[char], at: usize, c: char) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negate = matches!(p.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            hit |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            hit |= p[i] == c;
            i += 1;
        }
    }
    None
}

/// What a pattern is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Any,
    Netns,
    Container,
    Pod,
}

/// A `-t` pattern, split into its kind and the pattern proper.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    kind: Kind,
    pattern: String,
}

impl Pattern {
    pub fn parse(s: &str) -> Result<Pattern> {
        let (kind, pattern) = match s.split_once(':') {
            Some(("netns", p)) => (Kind::Netns, p),
            Some(("container", p)) => (Kind::Container, p),
            Some(("pod", p)) => (Kind::Pod, p),
            Some((k, _)) if !k.contains(['*', '?', '[', '/']) => {
                bail!(
                    "unknown target kind '{k}:' in '{s}': patterns take netns:, container: or pod:"
                )
            }
            _ => (Kind::Any, s),
        };
        if pattern.is_empty() {
            bail!("empty pattern in '{s}'");
        }
        Ok(Pattern {
            text: s.to_string(),
            kind,
            pattern: pattern.to_string(),
        })
    }

    /// Whether a namespace's row matches.
    pub fn matches(&self, row: &Row) -> bool {
        let p = self.pattern.as_str();
        let kind = |k: Kind| self.kind == Kind::Any || self.kind == k;
        if kind(Kind::Netns) && row.names.iter().any(|n| glob(p, n)) {
            return true;
        }
        if kind(Kind::Container)
            && row
                .containers
                .iter()
                .any(|c| c.name.as_deref().is_some_and(|n| glob(p, n)))
        {
            return true;
        }
        if kind(Kind::Pod) {
            if let Some(inventory::PodRef {
                namespace: Some(ns),
                name: Some(name),
                ..
            }) = &row.pod
            {
                // `pod:cart-*` looks in every namespace, as `pod:NAME` does.
                let full = format!("{ns}/{name}");
                if glob(p, &full) || (!p.contains('/') && glob(p, name)) {
                    return true;
                }
            }
        }
        false
    }

    /// What a pattern that matched nothing was compared with, for its error line.
    fn searched(&self, host: &Host, rows: &[Row]) -> String {
        let mut parts = Vec::new();
        let kind = |k: Kind| self.kind == Kind::Any || self.kind == k;
        if kind(Kind::Netns) {
            parts.push(format!(
                "{} ip-netns names in {}",
                host.netns_names.len(),
                host.roots.netns.display()
            ));
        }
        if kind(Kind::Container) {
            let named = rows
                .iter()
                .flat_map(|r| &r.containers)
                .filter(|c| c.name.is_some())
                .count();
            parts.push(format!(
                "{named} running named containers (Docker in {}, Podman in {})",
                host.roots.docker.display(),
                host.roots.podman.display()
            ));
        }
        if kind(Kind::Pod) {
            parts.push(format!(
                "{} pods in {}",
                host.pods.len(),
                host.roots.pods.display()
            ));
        }
        format!(
            "no network namespace matches '{}': searched {}",
            self.text,
            parts.join(", ")
        )
    }
}

/// What `-t` and `--all` ask for, kept so that namespaces appearing later can be tested too.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub all: bool,
    pub patterns: Vec<Pattern>,
}

impl Selection {
    /// Whether this namespace (never the host's) is selected.
    pub fn wants(&self, row: &Row) -> bool {
        !row.host && (self.all || self.patterns.iter().any(|p| p.matches(row)))
    }

    pub fn dynamic(&self) -> bool {
        self.all || !self.patterns.is_empty()
    }
}

/// One snapshot of the host with its namespaces, by inode.
pub struct Snapshot {
    pub host: Host,
    pub rows: BTreeMap<u64, Row>,
}

impl Snapshot {
    pub fn load() -> Snapshot {
        let host = Host::load(&Roots::from_env());
        let rows = inventory::rows(&host)
            .into_iter()
            .map(|r| (r.inode, r))
            .collect();
        Snapshot { host, rows }
    }

    /// NAME and description of the namespace `inode`, known as `target`.
    pub fn identify(&self, inode: u64, pid: Option<i32>) -> (String, String) {
        let row = self.rows.get(&inode);
        identify(row, inode, pid)
    }
}

/// NAME and description from what lives in a namespace. A pod names its namespace before the
/// containers in it (their runtime names, such as CRI's `k8s_POD_...`, mean little to users).
/// Both are raw, as the host's records and the process have them: files keep them so, and
/// whatever prints them on a terminal escapes them.
pub fn identify(row: Option<&Row>, inode: u64, pid: Option<i32>) -> (String, String) {
    let pid = pid.or_else(|| row.and_then(|r| r.pids.first().copied()));
    let mut parts: Vec<String> = Vec::new();
    let mut name: Option<String> = None;
    if let Some(r) = row.filter(|r| !r.host) {
        if let Some(inventory::PodRef {
            namespace: Some(ns),
            name: Some(n),
            uid,
        }) = &r.pod
        {
            name = Some(format!("{ns}/{n}"));
            parts.push(format!("pod {ns}/{n} (uid {uid})"));
        }
        if let Some(c) = &r.container {
            if name.is_none() {
                name.clone_from(&c.name);
            }
            let mut s = c.runtime.name().to_string();
            if let Some(n) = &c.name {
                s.push(' ');
                s.push_str(n);
            }
            s.push(' ');
            s.push_str(&c.id);
            parts.push(s);
        }
        if let Some(n) = r.names.first() {
            if name.is_none() {
                name = Some(n.clone());
            }
            parts.push(format!("netns {n}"));
        }
    }
    if let Some(p) = pid {
        let comm = std::fs::read_to_string(format!("/proc/{p}/comm"));
        parts.push(match comm {
            Ok(c) => format!("pid {p} ({})", c.trim_end()),
            Err(_) => format!("pid {p}"),
        });
    }
    parts.push(format!("net:[{inode}]"));
    let name = name
        .or_else(|| pid.map(|p| p.to_string()))
        .unwrap_or_else(|| format!("net:[{inode}]"));
    (name, parts.join(", "))
}

/// Opens the namespace of a row found in a snapshot.
pub fn open_row(snap: &Snapshot, row: &Row) -> Result<Target> {
    let netns: File = inventory::open_ns(&snap.host, row)?;
    let label = match row.names.first() {
        Some(n) => snap.host.roots.netns.join(n).display().to_string(),
        None => format!("net:[{}]", row.inode),
    };
    Ok(Target {
        netns,
        inode: row.inode,
        pid: None,
        label,
    })
}

/// Resolves every `-t` and `--all` into namespaces, each once. Members are named (from a
/// snapshot of the host) when there are several, or when `named` asks it of one (a remote
/// stream, whose interfaces the -H end names HOST/NAME/IFACE). Without `follow`, a pattern
/// that matches nothing is an error; with it, a note.
pub fn resolve(
    targets: &[String],
    all: bool,
    follow: bool,
    named: bool,
) -> Result<(Vec<Member>, Selection)> {
    let mut sel = Selection {
        all,
        patterns: Vec::new(),
    };
    let mut exact: Vec<Target> = Vec::new();
    // The inodes of the targets named by PID or path.
    let mut fixed: HashSet<u64> = HashSet::new();
    // Under --follow a name stays a selection: a restarted container's new namespace joins.
    let mut names: Vec<Pattern> = Vec::new();
    for t in targets {
        if read_as_pattern(t) {
            sel.patterns.push(Pattern::parse(t)?);
            continue;
        }
        let spec = TargetSpec::parse(t)?;
        if follow && !matches!(spec, TargetSpec::Pid(_) | TargetSpec::Path(_)) {
            names.push(Pattern::parse(t)?);
        }
        let t = targets::resolve(&spec)?;
        if matches!(spec, TargetSpec::Pid(_) | TargetSpec::Path(_)) {
            fixed.insert(t.inode);
        }
        // Two names for one namespace would capture (and print, and write) every packet twice.
        match exact.iter().find(|seen| seen.inode == t.inode) {
            Some(seen) => eprintln!(
                "nscap: {}",
                crate::escape::text(&format!(
                    "{} is in the same network namespace as {} (net:[{}]): captured once",
                    t.label, seen.label, t.inode
                ))
            ),
            None => exact.push(t),
        }
    }
    let many = named || exact.len() > 1 || sel.dynamic() || follow;
    if !many {
        let members = exact
            .into_iter()
            .map(|t| {
                let description = t.description();
                Member {
                    name: String::new(),
                    description,
                    fixed: fixed.contains(&t.inode),
                    target: t,
                    matched: false,
                }
            })
            .collect();
        return Ok((members, sel));
    }
    let snap = Snapshot::load();
    let mut members: Vec<Member> = exact
        .into_iter()
        .map(|t| {
            let (name, description) = snap.identify(t.inode, t.pid);
            Member {
                fixed: fixed.contains(&t.inode),
                target: t,
                name,
                description,
                matched: false,
            }
        })
        .collect();
    let mut taken: HashSet<u64> = members.iter().map(|m| m.target.inode).collect();
    for p in &sel.patterns {
        let hits: Vec<&Row> = snap
            .rows
            .values()
            .filter(|r| !r.host && p.matches(r))
            .collect();
        if hits.is_empty() {
            let why = p.searched(&snap.host, &snap.rows.values().cloned().collect::<Vec<_>>());
            if follow {
                eprintln!("nscap: {why}; waiting for one to appear");
            } else {
                bail!("{why}");
            }
        }
    }
    sel.patterns.extend(names);
    for row in snap.rows.values() {
        if taken.contains(&row.inode) || !sel.wants(row) {
            continue;
        }
        // A namespace can vanish between the scan and the open: it is simply not there.
        let Ok(target) = open_row(&snap, row) else {
            continue;
        };
        taken.insert(row.inode);
        let (name, description) = identify(Some(row), row.inode, None);
        members.push(Member {
            target,
            name,
            description,
            matched: true,
            fixed: false,
        });
    }
    Ok((members, sel))
}

/// What holds a live namespace: processes, names in the folders where `ip netns` and the
/// runtimes bind-mount them, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holders {
    pub process: bool,
    /// Its names, sorted: a namespace named anew (or a new one that reuses the inode of one
    /// gone) shows here.
    pub names: Vec<String>,
}

/// The namespaces that something still holds, and what. A namespace held only by nscap's own
/// handles is gone for the user.
pub fn live_inodes(roots: &Roots) -> HashMap<u64, Holders> {
    let mut set: HashMap<u64, Holders> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            if let Ok(m) = std::fs::metadata(format!("/proc/{pid}/ns/net")) {
                set.entry(m.ino()).or_default().process = true;
            }
        }
    }
    for dir in netns_dirs(roots) {
        for (name, ino) in targets::runtime::netns_names(Path::new(&dir)) {
            set.entry(ino).or_default().names.push(name);
        }
    }
    for h in set.values_mut() {
        h.names.sort_unstable();
    }
    set
}

/// Folders where namespaces are bind-mounted by name: ip-netns (and CNI's `cni-*` there), and
/// Docker's own, under the host's root when nscap runs in a node-debug container.
pub fn netns_dirs(roots: &Roots) -> Vec<std::path::PathBuf> {
    let docker = targets::runtime::under_host(roots.host.as_deref(), "/run/docker/netns");
    vec![roots.netns.clone(), docker]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_folders_lie_under_the_host_root() {
        let dirs = |host: Option<&str>| netns_dirs(&Roots::under(host.map(Path::new)));
        assert_eq!(
            dirs(None),
            [Path::new("/run/netns"), Path::new("/run/docker/netns")]
        );
        assert_eq!(
            dirs(Some("/host")),
            [
                Path::new("/host/run/netns"),
                Path::new("/host/run/docker/netns")
            ]
        );
    }

    #[test]
    fn globs() {
        assert!(glob("web-*", "web-1"));
        assert!(glob("web-*", "web-"));
        assert!(!glob("web-*", "web"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("ci-?", "ci-7"));
        assert!(!glob("ci-?", "ci-77"));
        assert!(glob("n[0-9]", "n5"));
        assert!(!glob("n[!0-9]", "n5"));
        assert!(glob("n[!0-9]", "nx"));
        assert!(glob("shop/cart-*", "shop/cart-7d9c"));
        assert!(glob("a[", "a["));
        assert!(glob("[]]", "]"));
        assert!(is_pattern("web-*") && !is_pattern("web"));
    }

    fn row(inode: u64) -> Row {
        Row::new(inode)
    }

    #[test]
    fn patterns_by_kind() {
        let mut r = row(7);
        r.names = vec!["ci-3".into()];
        let c = inventory::ContainerRef {
            runtime: crate::targets::cgroup::Runtime::Docker,
            id: "ab".repeat(32),
            name: Some("web-1".into()),
        };
        r.container = Some(c.clone());
        r.containers = vec![c];
        let p = |s: &str| Pattern::parse(s).unwrap().matches(&r);
        assert!(p("netns:ci-*") && !p("container:ci-*") && p("ci-*"));
        assert!(p("container:*") && p("web-*") && !p("netns:web-*"));
        assert!(!p("pod:*"));
        r.pod = Some(inventory::PodRef {
            namespace: Some("shop".into()),
            name: Some("cart-1".into()),
            uid: "u".into(),
        });
        let p = |s: &str| Pattern::parse(s).unwrap().matches(&r);
        assert!(p("pod:shop/cart-*") && p("pod:cart-*") && !p("pod:web/cart-*"));
        assert!(Pattern::parse("docker:*").is_err());
        assert!(Pattern::parse("pod:").is_err());
    }

    #[test]
    fn names_follow_what_lives_there() {
        let mut r = row(9);
        assert_eq!(
            identify(Some(&r), 9, Some(1 << 30)).0,
            (1 << 30).to_string()
        );
        assert_eq!(identify(None, 9, None).0, "net:[9]");
        r.names = vec!["blue".into()];
        let (n, d) = identify(Some(&r), 9, None);
        assert_eq!((n.as_str(), d.as_str()), ("blue", "netns blue, net:[9]"));
        let c = inventory::ContainerRef {
            runtime: crate::targets::cgroup::Runtime::Docker,
            id: "ab".repeat(32),
            name: Some("web".into()),
        };
        r.container = Some(c);
        let (n, d) = identify(Some(&r), 9, None);
        assert_eq!(n, "web");
        assert!(
            d.starts_with(&format!("docker web {}, netns blue", "ab".repeat(32))),
            "{d}"
        );
        r.pod = Some(inventory::PodRef {
            namespace: Some("shop".into()),
            name: Some("cart".into()),
            uid: "u1".into(),
        });
        assert_eq!(identify(Some(&r), 9, None).0, "shop/cart");
    }
}
