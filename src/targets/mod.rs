//! Which network namespace to work in: `-t` parsed into a [`TargetSpec`], then resolved on the
//! host side into an open namespace file.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

pub mod cgroup;
pub mod host;
pub mod inventory;
pub mod runtime;
pub mod scan;
pub mod select;

pub use host::{Container, Host};
pub use runtime::Roots;

/// What `-t` named, before anything on the host is looked up. [`locate`] turns every kind into
/// a `Pid` or a `Path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A process: its namespaces are `/proc/PID/ns/*`.
    Pid(i32),
    /// A namespace file: `/proc/PID/ns/net`, `/run/netns/NAME`, a bind mount anywhere.
    Path(PathBuf),
    /// `netns:NAME`: an ip-netns name.
    Netns(String),
    /// `container:X`: a container name, else a container ID prefix.
    Container(String),
    /// `pod:NAMESPACE/NAME`, or `pod:NAME` in any namespace: a Kubernetes pod on this node.
    Pod {
        namespace: Option<String>,
        name: String,
    },
    /// A bare word: an ip-netns name, else a container name, else a container ID prefix.
    Name(String),
}

fn parse_pid(s: &str) -> Result<TargetSpec> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        bail!("invalid PID: {s}");
    }
    match s.parse::<i32>() {
        Ok(p) if p > 0 => Ok(TargetSpec::Pid(p)),
        _ => bail!("invalid PID: {s}"),
    }
}

/// A single path component: names are joined to directories, so `/` or `..` must not escape.
fn plain_name(kind: &str, s: &str) -> Result<String> {
    if s.is_empty() || s == "." || s == ".." || s.contains('/') || s.contains('\0') {
        bail!("invalid {kind} name: '{s}'");
    }
    Ok(s.to_string())
}

impl TargetSpec {
    pub fn parse(s: &str) -> Result<TargetSpec> {
        if s.is_empty() {
            bail!("empty target: give a PID, a namespace file, a container, pod:NS/NAME or netns:NAME");
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return parse_pid(s);
        }
        if s.starts_with('/') || s.starts_with("./") || s.starts_with("../") {
            return Ok(TargetSpec::Path(PathBuf::from(s)));
        }
        if let Some((kind, rest)) = s.split_once(':') {
            return match kind {
                "pid" => parse_pid(rest),
                "netns" => Ok(TargetSpec::Netns(plain_name("ip-netns", rest)?)),
                "container" => Ok(TargetSpec::Container(plain_name("container", rest)?)),
                "pod" => {
                    let (namespace, name) = match rest.split_once('/') {
                        Some((ns, name)) => (Some(plain_name("namespace", ns)?), name),
                        None => (None, rest),
                    };
                    let name = plain_name("pod", name)?;
                    Ok(TargetSpec::Pod { namespace, name })
                }
                _ => bail!(
                    "unknown target kind '{kind}:' in '{s}': use pid:, netns:, container: or pod:"
                ),
            };
        }
        if s.contains('/') {
            bail!("'{s}': a namespace file path starts with / or ./ (a pod is pod:NAMESPACE/NAME)");
        }
        Ok(TargetSpec::Name(plain_name("target", s)?))
    }
}

/// A target turned into a process or a file, with a name for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Always `Pid` or `Path`.
    pub spec: TargetSpec,
    /// `pid 4242`, the path (also for ip-netns names), `docker web (3f2a9c1b4d5e)`,
    /// `pod default/web`.
    pub label: String,
}

/// The target when none is given: nscap's own network namespace (the process's, whichever
/// thread opens it), labelled `host`.
pub const HOST: &str = "/proc/self/ns/net";

/// Turns any target into a `Pid` or a `Path`, looking containers, pods and ip-netns names up
/// in the host's own state (data roots from the environment: see [`Roots::from_env`]).
pub fn locate(spec: &TargetSpec) -> Result<TargetSpec> {
    locate_in(spec, &Roots::from_env()).map(|l| l.spec)
}

/// [`locate`] with explicit data roots.
pub fn locate_in(spec: &TargetSpec, roots: &Roots) -> Result<Located> {
    let plain = |spec: TargetSpec, label: String| Ok(Located { spec, label });
    if !matches!(spec, TargetSpec::Pid(_) | TargetSpec::Path(_)) {
        roots.check()?;
    }
    match spec {
        TargetSpec::Pid(pid) => plain(spec.clone(), format!("pid {pid}")),
        TargetSpec::Path(p) if p == Path::new(HOST) => plain(spec.clone(), "host".into()),
        TargetSpec::Path(p) => plain(spec.clone(), p.display().to_string()),
        TargetSpec::Netns(name) => match netns_file(roots, name) {
            Some(path) => {
                let label = path.display().to_string();
                plain(TargetSpec::Path(path), label)
            }
            None => bail!("no ip-netns name '{name}' in {}", roots.netns.display()),
        },
        TargetSpec::Name(name) => {
            // Labelled by path, as `-t /run/netns/NAME` would be: capture names interfaces
            // `NAME:IFACE` from it.
            if let Some(path) = netns_file(roots, name) {
                let label = path.display().to_string();
                return plain(TargetSpec::Path(path), label);
            }
            let host = Host::load(roots);
            match find_container(&host, name)? {
                Some(c) => container_target(&host, c),
                None => bail!(
                    "no target '{name}'{}: {}",
                    near_names(&host, name, true),
                    searched(&host, name, true)
                ),
            }
        }
        TargetSpec::Container(x) => {
            let host = Host::load(roots);
            match find_container(&host, x)? {
                Some(c) => container_target(&host, c),
                None => bail!(
                    "no container '{x}'{}: {}",
                    near_names(&host, x, false),
                    searched(&host, x, false)
                ),
            }
        }
        TargetSpec::Pod { namespace, name } => {
            let host = Host::load(roots);
            pod_target(&host, namespace.as_deref(), name)
        }
    }
}

fn netns_file(roots: &Roots, name: &str) -> Option<PathBuf> {
    let path = roots.netns.join(name);
    path.exists().then_some(path)
}

/// " (did you mean 'web'?)" for a name one or two edits from a container's (or, with `netns`,
/// an ip-netns name).
fn near_names(host: &Host, what: &str, netns: bool) -> String {
    let containers = host.containers.iter().filter_map(|c| c.name.as_deref());
    let names = host.netns_names.iter().map(|(n, _)| n.as_str());
    if netns {
        crate::suggest::did_you_mean(what, containers.chain(names))
    } else {
        crate::suggest::did_you_mean(what, containers)
    }
}

/// What was looked at, for a lookup that found nothing.
fn searched(host: &Host, what: &str, netns: bool) -> String {
    let mut parts = Vec::new();
    if netns {
        parts.push(format!(
            "no ip-netns name in {}",
            host.roots.netns.display()
        ));
    }
    parts.push(format!(
        "no Docker name in {}, no Podman name in {}, no containerd ID in {}",
        host.roots.docker.display(),
        host.roots.podman.display(),
        host.roots.containerd.display()
    ));
    if is_id_prefix(what) {
        parts.push(format!(
            "no ID starting with it among {} containers ({} running)",
            host.containers.len(),
            host.running()
        ));
    } else {
        parts.push("not an ID prefix (4 or more hex digits)".into());
    }
    // Records that exist but cannot be read: the cause, rather than "no name there".
    let roots = &host.roots;
    let denied: Vec<String> = [
        roots.docker.join("containers"),
        roots.podman.clone(),
        roots.containerd.clone(),
    ]
    .into_iter()
    .filter(|p| std::fs::read_dir(p).is_err_and(|e| crate::error::denied(&e)))
    .map(|p| p.display().to_string())
    .collect();
    if !denied.is_empty() {
        parts.insert(
            0,
            format!(
                "cannot read {}: permission denied (the runtimes' records need root or CAP_DAC_READ_SEARCH)",
                denied.join(", ")
            ),
        );
    }
    // Run in a container without the host's root, nscap sees none of the runtimes' data.
    if roots.host.is_none()
        && in_container()
        && ![&roots.docker, &roots.podman, &roots.containerd]
            .iter()
            .any(|p| p.exists())
    {
        return format!(
            "{}; nscap runs in a container where none of these exists: mount the host's root and give --host-root",
            parts.join(", ")
        );
    }
    parts.join(", ")
}

/// Whether nscap itself seems to run in a container: the runtimes' marker files, a pod's
/// environment, or a container in its own cgroup path.
fn in_container() -> bool {
    Path::new("/.dockerenv").exists()
        || Path::new("/run/.containerenv").exists()
        || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        || std::fs::read_to_string("/proc/self/cgroup")
            .is_ok_and(|c| cgroup::parse(&c).container.is_some())
}

fn is_id_prefix(s: &str) -> bool {
    s.len() >= 4 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn ambiguous(what: &str, candidates: &[&Container]) -> anyhow::Error {
    let list: Vec<String> = candidates.iter().map(|c| c.label()).collect();
    anyhow!(
        "'{what}' is ambiguous: {} containers match: {}",
        candidates.len(),
        list.join(", ")
    )
}

/// A container by exact name, else by ID prefix. `Ok(None)`: nothing matched.
fn find_container<'h>(host: &'h Host, x: &str) -> Result<Option<&'h Container>> {
    let named: Vec<&Container> = host
        .containers
        .iter()
        .filter(|c| c.name.as_deref() == Some(x))
        .collect();
    match named.len() {
        0 => {}
        1 => return Ok(Some(named[0])),
        _ => return Err(ambiguous(x, &named)),
    }
    // containerd takes any string as an ID (`ctr run IMAGE web`) and such a container has no
    // other name: the exact ID names it.
    if let Some(c) = host.containers.iter().find(|c| c.id == x) {
        return Ok(Some(c));
    }
    if !is_id_prefix(x) {
        return Ok(None);
    }
    let prefix = x.to_ascii_lowercase();
    let by_id: Vec<&Container> = host
        .containers
        .iter()
        .filter(|c| c.id.starts_with(&prefix))
        .collect();
    match by_id.len() {
        0 => Ok(None),
        1 => Ok(Some(by_id[0])),
        _ => Err(ambiguous(x, &by_id)),
    }
}

fn container_target(host: &Host, c: &Container) -> Result<Located> {
    let label = c.label();
    let Some(pid) = c.init else {
        bail!("{label} is not running (no process of it on this host)");
    };
    let pod = c.pod_uid.as_deref().and_then(|u| host.pod(u));
    let label = match pod {
        Some(p) => format!("{label} in pod {}/{}", p.namespace, p.name),
        None => label,
    };
    Ok(Located {
        spec: TargetSpec::Pid(pid),
        label,
    })
}

fn pod_target(host: &Host, namespace: Option<&str>, name: &str) -> Result<Located> {
    let shown = match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    let matches: Vec<&runtime::Pod> = host
        .pods
        .iter()
        .filter(|p| p.name == name && namespace.is_none_or(|ns| p.namespace == ns))
        .collect();
    if matches.is_empty() {
        bail!(
            "no pod {shown} in {} ({} pods on this node)",
            host.roots.pods.display(),
            host.pods.len()
        );
    }
    // Old pods of the same name (a recreated StatefulSet member) keep their log directory for a
    // while: only a pod with processes can be the target.
    let running: Vec<&runtime::Pod> = matches
        .iter()
        .copied()
        .filter(|p| host.pod_procs(&p.uid).next().is_some())
        .collect();
    let pod = match running.as_slice() {
        [p] => *p,
        [] => {
            let uids: Vec<&str> = matches.iter().map(|p| p.uid.as_str()).collect();
            bail!(
                "pod {shown} has no running process on this node (uid {}): no cgroup carries pod<uid>",
                uids.join(", ")
            )
        }
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|p| format!("{}/{} (uid {})", p.namespace, p.name, p.uid))
                .collect();
            bail!("pod {shown} is ambiguous: {}", list.join(", "))
        }
    };
    // Every container of a pod shares the sandbox's network namespace; the earliest init is
    // normally the sandbox (pause) itself.
    let pid = host
        .containers
        .iter()
        .filter(|c| c.pod_uid.as_deref() == Some(pod.uid.as_str()))
        .filter_map(|c| c.init)
        .min()
        .or_else(|| host.pod_procs(&pod.uid).map(|p| p.pid).next());
    let Some(pid) = pid else {
        bail!("pod {shown} has no running process on this node");
    };
    Ok(Located {
        spec: TargetSpec::Pid(pid),
        label: format!("pod {}/{}", pod.namespace, pod.name),
    })
}

/// A target resolved on the host: its network namespace is open and checked.
#[derive(Debug)]
pub struct Target {
    /// The network namespace, opened from the host.
    pub netns: File,
    /// Inode of the network namespace (as in `net:[INODE]`).
    pub inode: u64,
    /// The process, when the target is one: watched so its exit ends the capture.
    pub pid: Option<i32>,
    /// Short name for messages: `pid 4242`, the namespace path, `docker web (3f2a9c1b4d5e)`,
    /// `pod default/web`.
    pub label: String,
}

impl Target {
    /// A description for capture files: who the interface belongs to.
    pub fn description(&self) -> String {
        let who = match self.pid {
            Some(pid) => {
                let proc = match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
                    Ok(comm) => format!("pid {pid} ({})", comm.trim_end()),
                    Err(_) => format!("pid {pid}"),
                };
                if self.label == format!("pid {pid}") {
                    proc
                } else {
                    format!("{}, {proc}", self.label)
                }
            }
            None => self.label.clone(),
        };
        format!("{who}, net:[{}]", self.inode)
    }
}

/// `PF_KTHREAD` in the flags of /proc/PID/stat.
const PF_KTHREAD: u64 = 0x0020_0000;

const CAP_SYS_PTRACE: u32 = 19;
const CAP_SYS_ADMIN: u32 = 21;

/// Whether this thread has capability `cap` in its effective set; false when that cannot be
/// read.
fn has_capability(cap: u32) -> bool {
    crate::os::capget().is_ok_and(|d| {
        let (word, bit) = ((cap / 32) as usize, cap % 32);
        d[word].effective >> bit & 1 == 1
    })
}

/// Whether `path` is one nscap itself names namespaces by: `/proc/PID/ns/net` (also
/// `/proc/self/…` and a thread's `/proc/PID/task/TID/ns/net`), or a file directly in an
/// ip-netns or Docker namespace folder. In capture-only mode only these are opened with the
/// capabilities; a path given by the user otherwise is looked up with the user's own rights.
fn trusted_netns_path(path: &Path) -> bool {
    let p = path.to_string_lossy();
    let num = |s: &str| s == "self" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let parts: Vec<&str> = p.split('/').collect();
    let proc_ns = match parts.as_slice() {
        ["", "proc", pid, "ns", "net"] => num(pid),
        ["", "proc", pid, "task", tid, "ns", "net"] => num(pid) && num(tid),
        _ => false,
    };
    let roots = Roots::from_env();
    let in_folder = path.parent().is_some_and(|d| {
        [
            roots.netns.as_path(),
            Path::new("/run/docker/netns"),
            Path::new("/var/run/netns"),
            Path::new("/var/run/docker/netns"),
        ]
        .contains(&d)
    }) && !p.contains("/../")
        && path.file_name().is_some_and(|n| n != "..");
    proc_ns || in_folder
}

/// `nsfs`'s magic number (linux/magic.h).
const NSFS_MAGIC: i64 = 0x6e73_6673;

/// Capture-only mode: `path` opened without reading it first (O_PATH: no FIFO waits, no device
/// is opened), checked to be a namespace file, and only then opened for real.
fn open_nsfs_only(path: &Path) -> io::Result<Option<File>> {
    let lookup = || {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH)
            .open(path)
    };
    let handle = if trusted_netns_path(path) {
        lookup()?
    } else {
        crate::privs::with_user_rights(lookup)?
    };
    let fs = nix::sys::statfs::fstatfs(&handle).map_err(io::Error::from)?;
    if fs.filesystem_type().0 as i64 != NSFS_MAGIC {
        return Ok(None);
    }
    File::open(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&handle)
    ))
    .map(Some)
}

fn open_netns(path: &Path, what: &str) -> Result<File> {
    // Non-blocking, and never a controlling terminal: a FIFO or a device named by mistake (or
    // malice) must be refused below, not wait for a writer forever.
    let f = if crate::privs::capture_only() {
        match open_nsfs_only(path) {
            Ok(Some(f)) => Ok(f),
            Ok(None) => bail!("{what} is not a namespace file"),
            Err(e) => Err(e),
        }
    } else {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
    };
    let f = f.map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => anyhow!("{what}: no such file"),
        // /proc/PID/ns/* of another user's process opens only with ptrace access to it; the
        // setns after it is what needs CAP_SYS_ADMIN.
        io::ErrorKind::PermissionDenied if path.starts_with("/proc") => {
            let missing: Vec<&str> = [
                (CAP_SYS_PTRACE, "CAP_SYS_PTRACE"),
                (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"),
            ]
            .into_iter()
            .filter(|&(cap, _)| !has_capability(cap))
            .map(|(_, name)| name)
            .collect();
            if missing.is_empty() {
                anyhow!("{what}: permission denied")
            } else {
                anyhow!(
                    "{what}: permission denied: nscap lacks {} (needed for another user's process)",
                    missing.join(" and ")
                )
            }
        }
        // Capture-only mode looked it up with the user's own rights.
        io::ErrorKind::PermissionDenied if crate::privs::capture_only() => {
            anyhow!("{what}: permission denied")
        }
        io::ErrorKind::PermissionDenied => {
            anyhow!("{what}: permission denied (nscap needs root or CAP_SYS_ADMIN)")
        }
        // The system's words without Rust's "(os error N)", as every other message.
        _ => anyhow!("{what}: {}", crate::error::os_message(&e)),
    })?;
    match crate::os::ns_type(f.as_fd()) {
        Ok(t) if t == libc::CLONE_NEWNET => Ok(f),
        Ok(_) => bail!("{what} is a namespace file, but not a network namespace"),
        // No kernel answers an ioctl with ENOSYS (one it does not know is ENOTTY): an emulator
        // that forwards no nsfs ioctls does, as qemu-user running the aarch64 build on x86_64.
        // A file on nsfs is then taken as it is; setns(CLONE_NEWNET) refuses any other kind.
        Err(nix::errno::Errno::ENOSYS) if on_nsfs(&f) => Ok(f),
        Err(_) => bail!("{what} is not a namespace file"),
    }
}

/// Whether `f` lives on nsfs (a namespace file of some kind).
fn on_nsfs(f: &File) -> bool {
    use nix::sys::statfs::{fstatfs, NSFS_MAGIC};
    fstatfs(f).is_ok_and(|fs| fs.filesystem_type() == NSFS_MAGIC)
}

/// Locates `spec` (see [`locate`]) and opens its network namespace.
pub fn resolve(spec: &TargetSpec) -> Result<Target> {
    let located = locate_in(spec, &Roots::from_env())?;
    open(located)
}

/// Opens the namespace of a located target.
pub fn open(located: Located) -> Result<Target> {
    let Located { spec, label } = located;
    match spec {
        TargetSpec::Pid(pid) => {
            let proc = PathBuf::from(format!("/proc/{pid}"));
            let plain = label == format!("pid {pid}");
            if !proc.exists() {
                if plain {
                    bail!("no such process: pid {pid} (a container ID prefix of digits only is written container:{pid})");
                }
                bail!("{label}: its process (pid {pid}) is gone");
            }
            let stat = std::fs::read_to_string(proc.join("stat")).unwrap_or_default();
            if let Some((state, flags)) = scan::state_and_flags(&stat) {
                // A zombie has no namespaces left: "no such file" would send users looking for
                // a missing file.
                if state == 'Z' || state == 'X' {
                    if plain {
                        bail!("process {pid} has exited");
                    }
                    bail!("{label}: its process (pid {pid}) has exited");
                }
                // Kernel threads all live in the host's namespace: naming one is a mistake, and
                // capturing the host's traffic silently would hide it.
                if flags & PF_KTHREAD != 0 {
                    bail!("pid {pid} is a kernel thread; it is in the host's network namespace");
                }
            }
            let what = if plain {
                label.clone()
            } else {
                format!("{label}, pid {pid}")
            };
            // The thread's own namespace (setns is per thread), but the process is what can be
            // watched for its exit: pidfd_open refuses a thread that does not lead its group.
            let netns = open_netns(&proc.join("ns/net"), &what)?;
            let inode = netns.metadata()?.ino();
            Ok(Target {
                netns,
                inode,
                pid: Some(thread_group(pid).unwrap_or(pid)),
                label,
            })
        }
        TargetSpec::Path(path) => {
            let what = if label == path.display().to_string() {
                label.clone()
            } else {
                format!("{label} ({})", path.display())
            };
            let netns = open_netns(&path, &what)?;
            let inode = netns.metadata()?.ino();
            Ok(Target {
                netns,
                inode,
                pid: None,
                label,
            })
        }
        other => bail!("internal: locate left {other:?} unresolved"),
    }
}

/// The process a thread ID belongs to (`Tgid` in `/proc/TID/status`); a process ID is its own.
fn thread_group(tid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pids_and_paths() {
        assert_eq!(TargetSpec::parse("4242").unwrap(), TargetSpec::Pid(4242));
        assert_eq!(
            TargetSpec::parse("/run/netns/blue").unwrap(),
            TargetSpec::Path("/run/netns/blue".into())
        );
        assert!(TargetSpec::parse("0").is_err());
        assert!(TargetSpec::parse("99999999999").is_err());
        assert!(TargetSpec::parse("").is_err());
    }

    #[test]
    fn parses_every_form() {
        let p = |s: &str| TargetSpec::parse(s).unwrap();
        assert_eq!(p("pid:42"), TargetSpec::Pid(42));
        assert_eq!(p("./ns"), TargetSpec::Path("./ns".into()));
        assert_eq!(p("netns:blue"), TargetSpec::Netns("blue".into()));
        assert_eq!(p("container:web"), TargetSpec::Container("web".into()));
        assert_eq!(p("container:3f2a"), TargetSpec::Container("3f2a".into()));
        assert_eq!(
            p("pod:default/web-7d9c"),
            TargetSpec::Pod {
                namespace: Some("default".into()),
                name: "web-7d9c".into()
            }
        );
        assert_eq!(
            p("pod:web"),
            TargetSpec::Pod {
                namespace: None,
                name: "web".into()
            }
        );
        assert_eq!(p("web"), TargetSpec::Name("web".into()));
        assert_eq!(p("3f2a9c1b"), TargetSpec::Name("3f2a9c1b".into()));
    }

    #[test]
    fn refuses_malformed_forms() {
        for bad in [
            "pid:",
            "pid:x",
            "pid:0",
            "pid:-1",
            "netns:",
            "netns:a/b",
            "netns:..",
            "container:",
            "pod:",
            "pod:/web",
            "pod:default/",
            "pod:a/b/c",
            "docker:web",
            "default/web",
            "..",
            ".",
        ] {
            let e = TargetSpec::parse(bad).unwrap_err().to_string();
            assert!(!e.contains('\n'), "{bad}: {e}");
        }
        // Odd input is an error or a name, never a panic.
        for odd in [
            ":",
            "::",
            "a:b:c",
            "pid:99999999999",
            "é",
            "ü:x",
            "pod:é/ü",
            "-",
            " ",
        ] {
            let _ = TargetSpec::parse(odd);
        }
        let e = TargetSpec::parse("docker:web").unwrap_err().to_string();
        assert!(e.contains("pid:, netns:, container: or pod:"), "{e}");
    }

    fn roots_in(dir: &Path) -> Roots {
        Roots {
            docker: dir.join("docker"),
            podman: dir.join("storage"),
            containerd: dir.join("containerd"),
            pods: dir.join("pods"),
            netns: dir.join("netns"),
            host: None,
        }
    }

    #[test]
    fn pid_and_path_pass_through_locate() {
        let r = roots_in(Path::new("/nonexistent/nscap"));
        let l = locate_in(&TargetSpec::Pid(7), &r).unwrap();
        assert_eq!((l.spec, l.label.as_str()), (TargetSpec::Pid(7), "pid 7"));
        let path = TargetSpec::Path("/x".into());
        assert_eq!(locate_in(&path, &r).unwrap().spec, path);
    }

    #[test]
    fn unknown_names_say_what_was_searched() {
        let r = roots_in(Path::new("/nonexistent/nscap"));
        let e = locate_in(&TargetSpec::Name("nope-nscap".into()), &r)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/nscap/netns"), "{e}");
        assert!(e.contains("/nonexistent/nscap/docker"), "{e}");
        assert!(e.contains("not an ID prefix"), "{e}");
        let e = locate_in(&TargetSpec::Name("beefcafe0123feed".into()), &r)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no ID starting with it"), "{e}");
        let e = locate_in(&TargetSpec::Netns("nope".into()), &r)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no ip-netns name 'nope'"), "{e}");
        let e = locate_in(
            &TargetSpec::Pod {
                namespace: Some("default".into()),
                name: "web".into(),
            },
            &r,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("no pod default/web in /nonexistent/nscap/pods"),
            "{e}"
        );
    }

    #[test]
    fn containerd_ids_need_not_be_hex() {
        let dir = std::env::temp_dir().join(format!("nscap-ctr-{}", std::process::id()));
        let task = dir.join("containerd/io.containerd.runtime.v2.task/default/web");
        std::fs::create_dir_all(&task).unwrap();
        let me = std::process::id() as i32;
        std::fs::write(task.join("init.pid"), me.to_string()).unwrap();
        let r = roots_in(&dir);
        let l = locate_in(&TargetSpec::Name("web".into()), &r);
        let c = locate_in(&TargetSpec::Container("web".into()), &r);
        let _ = std::fs::remove_dir_all(&dir);
        let l = l.unwrap();
        assert_eq!(l.spec, TargetSpec::Pid(me));
        assert_eq!(l.label, "containerd web");
        assert_eq!(c.unwrap().spec, TargetSpec::Pid(me));
    }

    #[test]
    fn own_namespace_resolves() {
        let me = std::process::id() as i32;
        // Opening /proc/self/ns/net needs no privilege.
        let t = resolve(&TargetSpec::Path("/proc/self/ns/net".into())).unwrap();
        assert!(t.inode > 0);
        assert!(t.description().contains(&t.inode.to_string()));
        let t = resolve(&TargetSpec::Pid(me)).unwrap();
        assert_eq!(t.pid, Some(me));
    }

    #[test]
    fn other_files_are_refused() {
        let e = resolve(&TargetSpec::Path("/proc/self/ns/uts".into())).unwrap_err();
        assert!(e.to_string().contains("not a network namespace"), "{e}");
        let e = resolve(&TargetSpec::Path("/etc/hostname".into())).unwrap_err();
        assert!(e.to_string().contains("not a namespace file"), "{e}");
        let e = resolve(&TargetSpec::Path("/nonexistent/ns".into())).unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
    }
}
