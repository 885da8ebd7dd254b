//! Which network namespace to work in: `-t` parsed into a [`TargetSpec`], then resolved on the
//! host side into an open namespace file.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

/// What `-t` named, before anything on the host is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A process: its namespaces are `/proc/PID/ns/*`.
    Pid(i32),
    /// A namespace file: `/proc/PID/ns/net`, `/run/netns/NAME`, a bind mount anywhere.
    Path(PathBuf),
}

impl TargetSpec {
    pub fn parse(s: &str) -> Result<TargetSpec> {
        if s.is_empty() {
            bail!("empty target: give a PID or a namespace file");
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return match s.parse::<i32>() {
                Ok(p) if p > 0 => Ok(TargetSpec::Pid(p)),
                _ => bail!("invalid PID: {s}"),
            };
        }
        if s.starts_with('/') || s.starts_with("./") || s.starts_with("../") {
            return Ok(TargetSpec::Path(PathBuf::from(s)));
        }
        bail!("unknown target '{s}': give a PID or a namespace file path")
    }
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
    /// Short name for messages: `pid 4242` or the namespace path.
    pub label: String,
}

impl Target {
    /// A description for capture files: who the interface belongs to.
    pub fn description(&self) -> String {
        let who = match self.pid {
            Some(pid) => match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
                Ok(comm) => format!("pid {pid} ({})", comm.trim_end()),
                Err(_) => format!("pid {pid}"),
            },
            None => self.label.clone(),
        };
        format!("{who}, net:[{}]", self.inode)
    }
}

// NS_GET_NSTYPE = _IO(0xb7, 0x3): the kind of namespace a file refers to (Linux 4.11).
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

/// The CLONE_NEW* kind of namespace behind `fd`, or None when it is not a namespace file.
pub fn ns_type(fd: &impl AsRawFd) -> Option<i32> {
    // SAFETY: the ioctl takes no argument and only inspects the descriptor.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE) };
    (r >= 0).then_some(r)
}

fn open_netns(path: &Path, what: &str) -> Result<File> {
    let f = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => anyhow!("{what}: no such file"),
        io::ErrorKind::PermissionDenied => {
            anyhow!("{what}: permission denied (nscap needs root or CAP_SYS_ADMIN)")
        }
        _ => anyhow!("{what}: {e}"),
    })?;
    match ns_type(&f) {
        Some(t) if t == libc::CLONE_NEWNET => Ok(f),
        Some(_) => bail!("{what} is a namespace file, but not a network namespace"),
        None => bail!("{what} is not a namespace file"),
    }
}

pub fn resolve(spec: &TargetSpec) -> Result<Target> {
    match spec {
        TargetSpec::Pid(pid) => {
            let proc = PathBuf::from(format!("/proc/{pid}"));
            if !proc.exists() {
                bail!("no such process: pid {pid}");
            }
            let netns = open_netns(&proc.join("ns/net"), &format!("pid {pid}"))?;
            let inode = netns.metadata()?.ino();
            Ok(Target {
                netns,
                inode,
                pid: Some(*pid),
                label: format!("pid {pid}"),
            })
        }
        TargetSpec::Path(path) => {
            let what = path.display().to_string();
            let netns = open_netns(path, &what)?;
            let inode = netns.metadata()?.ino();
            Ok(Target {
                netns,
                inode,
                pid: None,
                label: what,
            })
        }
    }
}

/// A pidfd for `pid`: readable once the process has exited.
pub fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: plain system call; on success the kernel hands us a new descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor returned by the kernel.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
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
