//! The system calls nix does not wrap (or wraps too narrowly), written once for both modes:
//! capture mode checks namespace files and watches targets exit; exec mode reaches these
//! through [`crate::exec::sys::RealSys`]. Every other system call goes through nix, so the
//! `unsafe` blocks of the crate's own system calls are here, each with its reason.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigHandler, Signal};
use tokio::io::unix::AsyncFd;

/// The ioctls, as nix declares them (each an `unsafe fn` taking a raw descriptor).
mod ioctl {
    // linux/nsfs.h: NS_GET_USERNS = _IO(0xb7, 0x1), NS_GET_NSTYPE = _IO(0xb7, 0x3).
    nix::ioctl_none!(ns_get_userns, 0xb7, 0x1);
    nix::ioctl_none!(ns_get_nstype, 0xb7, 0x3);
    // linux/sockios.h: SIOCGSKNS is a plain number, not an _IO code.
    nix::ioctl_none_bad!(siocgskns, 0x894c);
    // linux/pidfd.h: PIDFD_GET_USER_NAMESPACE = _IO(0xff, 9). Given an explicit 0 argument, as
    // nsenter does: a missing third argument would pass whatever the register holds.
    nix::ioctl_write_int_bad!(pidfd_get_user_namespace, nix::request_code_none!(0xff, 9));
}

/// Takes ownership of a descriptor a system call just returned.
fn owned(fd: libc::c_long) -> OwnedFd {
    // SAFETY: callers pass only a fresh descriptor the kernel handed to this process, which
    // nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd as RawFd) }
}

/// `NS_GET_NSTYPE` (Linux 4.11): the `CLONE_NEW*` kind of the namespace behind `fd`; an error
/// when `fd` is not a namespace file.
pub fn ns_type(fd: BorrowedFd) -> Result<i32, Errno> {
    // SAFETY: the ioctl takes no argument and only inspects the descriptor.
    unsafe { ioctl::ns_get_nstype(fd.as_raw_fd()) }
}

/// `NS_GET_USERNS`: the user namespace owning (or, for a user namespace, parenting) `fd`.
pub fn ns_get_userns(fd: BorrowedFd) -> Result<OwnedFd, Errno> {
    // SAFETY: the ioctl takes no argument and returns a new descriptor.
    let r = unsafe { ioctl::ns_get_userns(fd.as_raw_fd()) }?;
    Ok(owned(r.into()))
}

/// `SIOCGSKNS`: the network namespace of a socket.
pub fn socket_netns(sock: BorrowedFd) -> Result<OwnedFd, Errno> {
    // SAFETY: the ioctl takes no argument and returns a new descriptor.
    let r = unsafe { ioctl::siocgskns(sock.as_raw_fd()) }?;
    Ok(owned(r.into()))
}

/// `PIDFD_GET_USER_NAMESPACE` (Linux 6.11): the user namespace of the process behind `pidfd`.
pub fn pidfd_get_userns(pidfd: BorrowedFd) -> Result<OwnedFd, Errno> {
    // SAFETY: the argument is a plain integer (0); the ioctl returns a new descriptor.
    let r = unsafe { ioctl::pidfd_get_user_namespace(pidfd.as_raw_fd(), 0) }?;
    Ok(owned(r.into()))
}

/// `pidfd_open(2)` (Linux 5.3): a close-on-exec descriptor for `pid`, readable once the
/// process has exited.
pub fn pidfd_open(pid: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: integer arguments only; on success the kernel returns a new descriptor.
    let r = Errno::result(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    Ok(owned(r))
}

/// `pidfd_getfd(2)` (Linux 5.6): a close-on-exec duplicate of descriptor `target_fd` of the
/// process behind `pidfd`.
pub fn pidfd_getfd(pidfd: BorrowedFd, target_fd: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: integer arguments only; on success the kernel returns a new descriptor.
    let r = Errno::result(unsafe {
        libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), target_fd, 0)
    })?;
    Ok(owned(r))
}

/// Restores the default disposition of `sig`.
pub fn default_signal(sig: Signal) {
    // SAFETY: the default disposition runs no handler in this process, so nothing can
    // interrupt code that is not async-signal-safe.
    let _ = unsafe { nix::sys::signal::signal(sig, SigHandler::SigDfl) };
}

/// `kill(2)` with a raw signal number: nix's `Signal` has no real-time signals, and the
/// signal a child died of must be passed on whatever it was.
pub fn kill(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    Errno::result(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// `waitpid(pid, WUNTRACED)`, retried when interrupted, as the raw status: nix's `WaitStatus`
/// fails on a child killed by a real-time signal, which must be mirrored too.
pub fn wait_untraced(pid: i32) -> Result<i32, Errno> {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer for the duration of the call.
        match Errno::result(unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) }) {
            Ok(_) => return Ok(status),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// One 32-bit half of the capability sets, as `capget(2)` version 3 lays them out.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct CapData {
    pub effective: u32,
    pub permitted: u32,
    pub inheritable: u32,
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets, in two [`CapData`] halves.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

fn cap_header() -> CapHeader {
    CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    }
}

/// The calling thread's capability sets (nix has no `capget`).
pub fn capget() -> Result<[CapData; 2], Errno> {
    let mut header = cap_header();
    let mut data = [CapData::default(); 2];
    // SAFETY: a version 3 header and a two-element data array, as capget(2) expects.
    Errno::result(unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) })?;
    Ok(data)
}

/// Sets the calling thread's capability sets (nix has no `capset`).
pub fn capset(data: &[CapData; 2]) -> Result<(), Errno> {
    let mut header = cap_header();
    // SAFETY: as in capget; the kernel only reads the data array.
    Errno::result(unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) }).map(drop)
}

/// `PR_CAP_AMBIENT_RAISE` for one capability (nix's prctl module has no ambient set).
pub fn raise_ambient(cap: u64) -> Result<(), Errno> {
    // SAFETY: prctl with integer arguments only.
    let r = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong,
            cap as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    Errno::result(r).map(drop)
}

/// A pidfd for `pid`, registered with tokio: readable when the process exits. Must be called
/// inside a tokio runtime.
pub fn watch_exit(pid: i32) -> io::Result<AsyncFd<OwnedFd>> {
    let fd = pidfd_open(pid)?;
    // SAFETY: the AsyncFd owns the descriptor, which stays open until it is dropped.
    unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
        .map_err(io::Error::from)
}

/// True when fd 1 is a pipe or socket whose reader has gone: poll reports an error or hangup.
pub fn stdout_closed() -> bool {
    let stdout = io::stdout();
    let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::empty())];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP))
}

/// True when fd 1 is a pipe or a socket.
pub fn stdout_is_pipe() -> bool {
    is_pipe(io::stdout().as_fd())
}

/// True when `fd` is a pipe, a FIFO or a socket: an output that can block for as long as its
/// reader likes.
pub fn is_pipe(fd: BorrowedFd<'_>) -> bool {
    nix::sys::stat::fstat(fd)
        .is_ok_and(|st| matches!(st.st_mode & libc::S_IFMT, libc::S_IFIFO | libc::S_IFSOCK))
}

/// The broken-down local time of `t` seconds since the epoch (localtime_r, which reads the
/// time zone as the C library does); None when the C library cannot convert it.
pub fn local_tm(t: i64) -> Option<libc::tm> {
    let t = t as libc::time_t;
    // SAFETY: a zeroed tm is a valid value of the plain C struct (its tm_zone a null pointer);
    // localtime_r reads `t` and writes only into `tm`, both on this stack frame, and on
    // failure returns null without a result we would read.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            None
        } else {
            Some(tm)
        }
    }
}
