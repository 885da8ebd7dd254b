//! The system calls exec mode makes, behind one trait: the join logic in `mod.rs` is tested by
//! recording these calls (no root needed), and [`RealSys`] makes them for real.

use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{BorrowedFd, IntoRawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::sys::stat::Mode;
use nix::unistd::{ForkResult, Gid, Uid};

use crate::os;

/// A raw descriptor. Exec mode hands descriptors across `setns`, `fork` and `exec`, where
/// ownership types buy nothing; every open is close-on-exec so none leaks into the program.
pub type Fd = i32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC`: namespace files, directories,
    /// `/proc/PID/environ`. A FIFO or a terminal given as a namespace file opens at once (and is
    /// then refused) instead of blocking for a writer or becoming our controlling terminal.
    Read,
    /// `O_WRONLY | O_APPEND | O_CLOEXEC`: `cgroup.procs`.
    Append,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    Child,
    Parent(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    Exited(i32),
    Signaled(i32),
    Stopped,
    /// Anything else (continued, or waitpid failed): nsenter gives up waiting.
    Other,
}

pub trait Sys {
    /// (major, minor, patch) of the running kernel.
    fn kernel_version(&mut self) -> (u32, u32, u32);
    fn getpid(&mut self) -> i32;
    fn open(&mut self, path: &OsStr, mode: OpenMode) -> Result<Fd, Errno>;
    fn close(&mut self, fd: Fd);
    /// Inode of `path` (following links), as `stat(2)`.
    fn stat_ino(&mut self, path: &OsStr) -> Result<u64, Errno>;
    /// (uid, gid) owning the open file.
    fn fstat_owner(&mut self, fd: Fd) -> Result<(u32, u32), Errno>;
    /// `NS_GET_NSTYPE`: the `CLONE_NEW*` kind of a namespace file.
    fn ns_type(&mut self, fd: Fd) -> Result<i32, Errno>;
    /// `NS_GET_USERNS`: the user namespace owning (or, for a user namespace, parenting) `fd`.
    fn ns_get_userns(&mut self, fd: Fd) -> Result<Fd, Errno>;
    fn pidfd_open(&mut self, pid: i32) -> Result<Fd, Errno>;
    fn pidfd_getfd(&mut self, pidfd: Fd, target_fd: i32) -> Result<Fd, Errno>;
    /// `PIDFD_GET_USER_NAMESPACE` (Linux 6.11).
    fn pidfd_get_userns(&mut self, pidfd: Fd) -> Result<Fd, Errno>;
    /// `SIOCGSKNS`: the network namespace of a socket.
    fn socket_netns(&mut self, sock: Fd) -> Result<Fd, Errno>;
    fn is_cgroup2(&mut self, path: &OsStr) -> Result<bool, Errno>;
    fn read_all(&mut self, fd: Fd) -> Result<Vec<u8>, Errno>;
    fn write_all(&mut self, fd: Fd, data: &[u8]) -> Result<(), Errno>;
    fn setns(&mut self, fd: Fd, nstype: i32) -> Result<(), Errno>;
    fn setgroups_empty(&mut self) -> Result<(), Errno>;
    fn setgid(&mut self, gid: u32) -> Result<(), Errno>;
    fn setuid(&mut self, uid: u32) -> Result<(), Errno>;
    fn fchdir(&mut self, fd: Fd) -> Result<(), Errno>;
    fn chroot(&mut self, path: &OsStr) -> Result<(), Errno>;
    fn chdir(&mut self, path: &OsStr) -> Result<(), Errno>;
    fn getenv(&mut self, name: &str) -> Option<OsString>;
    /// Replace the whole environment (what the program and the `PATH` search see).
    fn replace_env(&mut self, vars: &[(OsString, OsString)]);
    /// `signal(SIGCHLD, SIG_DFL)`: the waiting parent must see its child's status.
    fn default_sigchld(&mut self);
    fn fork(&mut self) -> Result<Forked, Errno>;
    /// `waitpid(pid, WUNTRACED)`.
    fn wait(&mut self, pid: i32) -> Waited;
    fn kill(&mut self, pid: i32, sig: i32);
    /// Permitted capabilities → inheritable → ambient. On failure, the step that failed.
    fn keep_caps(&mut self) -> Result<(), (&'static str, Errno)>;
    fn selinux_enabled(&mut self) -> bool;
    /// `execvp(argv[0], argv)`: returns only on failure.
    fn execvp(&mut self, argv: &[OsString]) -> Errno;
    /// `execl(path, arg0, NULL)`: returns only on failure.
    fn execl(&mut self, path: &OsStr, arg0: &OsStr) -> Errno;
}

fn borrow(fd: Fd) -> BorrowedFd<'static> {
    // SAFETY: callers pass descriptors they hold open for the duration of the call.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

fn cstr(s: &OsStr) -> Result<CString, Errno> {
    CString::new(s.as_bytes()).map_err(|_| Errno::EINVAL)
}

/// The real system calls: nix's, and [`crate::os`] for those nix lacks. Single-threaded use
/// only: exec mode runs before any thread exists.
pub struct RealSys;

impl Sys for RealSys {
    fn kernel_version(&mut self) -> (u32, u32, u32) {
        let Ok(u) = nix::sys::utsname::uname() else {
            return (0, 0, 0);
        };
        let release = u.release().to_string_lossy().into_owned();
        let mut parts = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        )
    }

    fn getpid(&mut self) -> i32 {
        std::process::id() as i32
    }

    fn open(&mut self, path: &OsStr, mode: OpenMode) -> Result<Fd, Errno> {
        let flags = match mode {
            OpenMode::Read => {
                OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC
            }
            OpenMode::Append => OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_CLOEXEC,
        };
        nix::fcntl::open(path, flags, Mode::empty()).map(IntoRawFd::into_raw_fd)
    }

    fn close(&mut self, fd: Fd) {
        let _ = nix::unistd::close(fd);
    }

    fn stat_ino(&mut self, path: &OsStr) -> Result<u64, Errno> {
        nix::sys::stat::stat(path).map(|st| st.st_ino)
    }

    fn fstat_owner(&mut self, fd: Fd) -> Result<(u32, u32), Errno> {
        nix::sys::stat::fstat(borrow(fd)).map(|st| (st.st_uid, st.st_gid))
    }

    fn ns_type(&mut self, fd: Fd) -> Result<i32, Errno> {
        os::ns_type(borrow(fd))
    }

    fn ns_get_userns(&mut self, fd: Fd) -> Result<Fd, Errno> {
        os::ns_get_userns(borrow(fd)).map(IntoRawFd::into_raw_fd)
    }

    fn pidfd_open(&mut self, pid: i32) -> Result<Fd, Errno> {
        os::pidfd_open(pid).map(IntoRawFd::into_raw_fd)
    }

    fn pidfd_getfd(&mut self, pidfd: Fd, target_fd: i32) -> Result<Fd, Errno> {
        os::pidfd_getfd(borrow(pidfd), target_fd).map(IntoRawFd::into_raw_fd)
    }

    fn pidfd_get_userns(&mut self, pidfd: Fd) -> Result<Fd, Errno> {
        os::pidfd_get_userns(borrow(pidfd)).map(IntoRawFd::into_raw_fd)
    }

    fn socket_netns(&mut self, sock: Fd) -> Result<Fd, Errno> {
        os::socket_netns(borrow(sock)).map(IntoRawFd::into_raw_fd)
    }

    fn is_cgroup2(&mut self, path: &OsStr) -> Result<bool, Errno> {
        let st = nix::sys::statfs::statfs(path)?;
        Ok(st.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
    }

    fn read_all(&mut self, fd: Fd) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match nix::unistd::read(borrow(fd), &mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn write_all(&mut self, fd: Fd, mut data: &[u8]) -> Result<(), Errno> {
        while !data.is_empty() {
            match nix::unistd::write(borrow(fd), data) {
                Ok(n) => data = &data[n..],
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn setns(&mut self, fd: Fd, nstype: i32) -> Result<(), Errno> {
        // Retained bits: nix names no CLONE_NEWTIME.
        nix::sched::setns(borrow(fd), CloneFlags::from_bits_retain(nstype))
    }

    fn setgroups_empty(&mut self) -> Result<(), Errno> {
        nix::unistd::setgroups(&[])
    }

    fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        nix::unistd::setgid(Gid::from_raw(gid))
    }

    fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        nix::unistd::setuid(Uid::from_raw(uid))
    }

    fn fchdir(&mut self, fd: Fd) -> Result<(), Errno> {
        nix::unistd::fchdir(borrow(fd))
    }

    fn chroot(&mut self, path: &OsStr) -> Result<(), Errno> {
        nix::unistd::chroot(path)
    }

    fn chdir(&mut self, path: &OsStr) -> Result<(), Errno> {
        nix::unistd::chdir(path)
    }

    fn getenv(&mut self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }

    fn replace_env(&mut self, vars: &[(OsString, OsString)]) {
        // Single-threaded here (exec mode never starts a thread), so changing the environment
        // cannot race with a reader.
        for (k, _) in std::env::vars_os() {
            std::env::remove_var(k);
        }
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
    }

    fn default_sigchld(&mut self) {
        os::default_signal(Signal::SIGCHLD);
    }

    fn fork(&mut self) -> Result<Forked, Errno> {
        // SAFETY: the process is single-threaded, so the child may run any code.
        match unsafe { nix::unistd::fork() }? {
            ForkResult::Child => Ok(Forked::Child),
            ForkResult::Parent { child } => Ok(Forked::Parent(child.as_raw())),
        }
    }

    fn wait(&mut self, pid: i32) -> Waited {
        let Ok(status) = os::wait_untraced(pid) else {
            return Waited::Other;
        };
        if libc::WIFEXITED(status) {
            Waited::Exited(libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            Waited::Signaled(libc::WTERMSIG(status))
        } else if libc::WIFSTOPPED(status) {
            Waited::Stopped
        } else {
            Waited::Other
        }
    }

    fn kill(&mut self, pid: i32, sig: i32) {
        let _ = os::kill(pid, sig);
    }

    fn keep_caps(&mut self) -> Result<(), (&'static str, Errno)> {
        let mut data = os::capget().map_err(|e| ("capget failed", e))?;
        // A capability can only become ambient if it is permitted and inheritable.
        for d in &mut data {
            d.inheritable = d.permitted;
        }
        os::capset(&data).map_err(|e| ("capset failed", e))?;
        let effective = (u64::from(data[1].effective) << 32) | u64::from(data[0].effective);
        let last_cap = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(40);
        for cap in 0..64u64 {
            if cap > last_cap || effective & (1 << cap) == 0 {
                continue;
            }
            os::raise_ambient(cap).map_err(|e| ("prctl(PR_CAP_AMBIENT) failed", e))?;
        }
        Ok(())
    }

    fn selinux_enabled(&mut self) -> bool {
        std::path::Path::new("/sys/fs/selinux/enforce").exists()
    }

    fn execvp(&mut self, argv: &[OsString]) -> Errno {
        let Ok(args) = argv
            .iter()
            .map(|a| cstr(a))
            .collect::<Result<Vec<CString>, Errno>>()
        else {
            return Errno::EINVAL;
        };
        match nix::unistd::execvp(&args[0], &args) {
            Err(e) => e,
            Ok(never) => match never {},
        }
    }

    fn execl(&mut self, path: &OsStr, arg0: &OsStr) -> Errno {
        let (Ok(p), Ok(a)) = (cstr(path), cstr(arg0)) else {
            return Errno::ENOENT;
        };
        match nix::unistd::execv(&p, &[a]) {
            Err(e) => e,
            Ok(never) => match never {},
        }
    }
}

/// Entries `NAME=VALUE` of a `/proc/PID/environ` image, in the order nsenter sets them.
pub fn parse_environ(buf: &[u8]) -> Vec<(OsString, OsString)> {
    let mut out: Vec<(OsString, OsString)> = Vec::new();
    for entry in buf.split(|&b| b == 0) {
        let Some(eq) = entry.iter().position(|&b| b == b'=') else {
            continue;
        };
        if eq == 0 {
            continue;
        }
        let name = OsString::from_vec(entry[..eq].to_vec());
        let value = OsString::from_vec(entry[eq + 1..].to_vec());
        // nsenter builds a list by prepending and sets it without overwriting: the last
        // definition of a name wins and the order comes out reversed.
        out.retain(|(n, _)| *n != name);
        out.push((name, value));
    }
    out.reverse();
    out
}
