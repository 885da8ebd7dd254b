//! The system calls nix does not wrap (or wraps too narrowly), written once for every mode:
//! namespace files, pidfds, netlink and eventfd descriptors, directory reads, prctl. Exec mode
//! reaches them through [`crate::cmd::exec::sys::RealSys`]. Every other system call goes
//! through nix or std, so the `unsafe` blocks of the crate's own system calls are here, each
//! with its reason. Three kinds of `unsafe` live elsewhere, by design: the signal handler of
//! [`crate::stop`] (async-signal-safe code must stay in one piece), libpcap's C functions in
//! [`crate::capture::libpcap`], and descriptors handed to tokio's `AsyncFd`.

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

/// Raises the soft limit of open descriptors to the hard limit, which is ours to take: every
/// handle, netlink socket and namespace of a capture is a descriptor. Best effort: a limit
/// that cannot be raised shows later as the error of what needed it.
pub fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit on a stack struct.
    unsafe {
        let mut l: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

/// socket(2), close-on-exec added, the descriptor owned.
pub fn socket(family: i32, ty: i32, protocol: i32) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2) with integer arguments.
    let fd = unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, protocol) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(owned(fd.into()))
}

/// Binds a netlink socket to the multicast `groups` (the kernel picks the port id).
pub fn bind_netlink(fd: BorrowedFd, groups: u32) -> io::Result<()> {
    // SAFETY: an all-zero sockaddr_nl is valid; the fields that matter are set below.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as u16;
    addr.nl_groups = groups;
    // SAFETY: `addr` is a valid sockaddr_nl of the size given.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// send(2) of `buf` on a connected (or netlink) socket, without SIGPIPE.
pub fn send(fd: BorrowedFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: sends `buf`'s bytes, at most its length, on a descriptor the caller holds.
    let n = unsafe {
        libc::send(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// recv(2) into `buf`: the number of bytes received (0 at end of stream).
pub fn recv(fd: BorrowedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: receives into `buf`, at most its length, from a descriptor the caller holds.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// A non-blocking, close-on-exec eventfd(2), its counter at 0.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: plain eventfd(2) with integer arguments.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(owned(fd.into()))
}

/// Adds 1 to an eventfd's counter; a full counter (EAGAIN) is already a ring, so the result
/// is not looked at.
pub fn eventfd_ring(fd: BorrowedFd) {
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from `one` to the caller's eventfd.
    unsafe { libc::write(fd.as_raw_fd(), one.as_ptr().cast(), 8) };
}

/// Resets a non-blocking eventfd's counter to 0 (nothing happens when it is 0 already).
pub fn eventfd_clear(fd: BorrowedFd) {
    let mut b = [0u8; 8];
    // SAFETY: reads at most 8 bytes into `b` from the caller's non-blocking eventfd.
    unsafe { libc::read(fd.as_raw_fd(), b.as_mut_ptr().cast(), 8) };
}

/// ppoll(2) on `fds` for at most `timeout` (at once when zero), with no signal mask: how many
/// have something to report. For a wait shorter than poll's millisecond.
pub fn ppoll(fds: &mut [libc::pollfd], timeout: std::time::Duration) -> i32 {
    let ts = libc::timespec {
        // `time_t` is 64 bits on every target nscap builds for; naming `libc::time_t` would
        // draw musl's deprecation warning, so the field's type is inferred.
        tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX as _),
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: polls `fds.len()` entries of the caller's slice; `ts` outlives the call; no
    // signal mask.
    unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            &ts,
            std::ptr::null(),
        )
    }
}

/// Opens a directory by a constant path, close-on-exec.
pub fn open_dir(path: &std::ffi::CStr) -> Option<OwnedFd> {
    // SAFETY: open(2) of a NUL-terminated path with integer flags.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    (fd >= 0).then(|| owned(fd.into()))
}

/// Opens a directory by a path built at run time, close-on-exec; None for a path with a NUL.
pub fn open_dir_path(path: &str) -> Option<OwnedFd> {
    let c = std::ffi::CString::new(path).ok()?;
    open_dir(&c)
}

/// readlinkat(2) of `name` in the directory `dir` into `buf`: the link's length, None when it
/// cannot be read or does not fit.
pub fn readlinkat(dir: BorrowedFd, name: &std::ffi::CStr, buf: &mut [u8]) -> Option<usize> {
    // SAFETY: readlinkat(2) of a NUL-terminated name into the caller's buffer, at most its
    // length.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    (n >= 0 && (n as usize) < buf.len()).then_some(n as usize)
}

/// Moves a directory descriptor to the position `offset` (as a previous getdents64 left it,
/// or what the filesystem takes for one).
pub fn seek_dir(fd: BorrowedFd, offset: i64) -> bool {
    // SAFETY: lseek(2) on a descriptor the caller holds.
    unsafe { libc::lseek(fd.as_raw_fd(), offset, libc::SEEK_SET) >= 0 }
}

/// getdents64(2) into `buf`: the bytes of `struct linux_dirent64` records it filled, 0 at the
/// end of the directory.
pub fn getdents64(fd: BorrowedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: getdents64(2) into the caller's buffer, at most its length.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            fd.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// The columns of the terminal `fd` is, if it is one and says.
pub fn terminal_columns(fd: BorrowedFd) -> Option<u16> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills the winsize it is given, which outlives the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0).then_some(ws.ws_col)
}

/// Marks every descriptor from `first` up close-on-exec: close_range(2) with
/// CLOSE_RANGE_CLOEXEC, else fcntl on each below 4096. Async-signal-safe (system calls only),
/// for a child between fork and exec.
pub fn cloexec_from(first: u32) {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range(2) with integer arguments only.
    let r = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if r == 0 {
        return;
    }
    for fd in first..4096 {
        // SAFETY: fcntl(2) on a descriptor number; one not open fails with EBADF, harmlessly.
        unsafe { libc::fcntl(fd as i32, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
}

/// prctl(2) with integer arguments only (the PR_* options that take no pointer).
pub fn prctl(option: i32, arg: u64) -> io::Result<()> {
    // SAFETY: prctl with integer arguments; the options callers pass read no memory of ours.
    let r = unsafe { libc::prctl(option, arg as libc::c_ulong, 0, 0, 0) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The name of the interface with `index` in the calling thread's namespace, into `buf`:
/// its length, or `None` when there is no such interface.
pub fn if_indextoname(index: u32, buf: &mut [u8; libc::IF_NAMESIZE]) -> Option<usize> {
    // SAFETY: the buffer holds IF_NAMESIZE bytes, as if_indextoname requires.
    let ok = unsafe { !libc::if_indextoname(index, buf.as_mut_ptr().cast()).is_null() };
    ok.then(|| buf.iter().position(|c| *c == 0).unwrap_or(buf.len()))
}

/// The broken-down local time of `t` seconds since the epoch (localtime_r, which reads the
/// time zone as the C library does); None when the C library cannot convert it.
pub fn local_tm(t: i64) -> Option<libc::tm> {
    // `time_t` is 64 bits on every target nscap builds for; the type is inferred rather than
    // named, since musl's libc crate marks `libc::time_t` deprecated.
    let t = t as _;
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

/// strftime(3) of `tm` by the NUL-terminated `format`: the bytes it wrote, `None` when they do
/// not fit in 4 KiB (or make an empty string, which strftime cannot tell from an error).
pub fn strftime(format: &std::ffi::CStr, tm: &libc::tm) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: strftime writes at most buf.len() bytes into `buf` and returns how many (0 when
    // they do not fit); `format` is NUL-terminated and `tm` a valid struct.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), format.as_ptr(), tm) };
    buf.truncate(n);
    (n > 0).then_some(buf)
}

/// Reads a file that someone else controls (a runtime's state, a filter file): opened without
/// blocking, so a FIFO in its place cannot hang nscap; a regular file only, so `/dev/zero`
/// behind a link cannot feed it for ever; and at most `max` bytes, else an error saying so.
pub fn read_bounded(path: &std::path::Path, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if meta.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    // A file that grows while it is read stops at the bound all the same.
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(buf)
}

/// The kernel's clock ticks per second (`_SC_CLK_TCK`), the unit of `/proc/PID/stat` times;
/// 100 where it cannot be read, as on every Linux nscap runs on.
pub fn clock_ticks() -> i64 {
    // SAFETY: sysconf takes an integer and reads no memory of ours.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t
    } else {
        100
    }
}

/// Starts `cmd` in a session of its own (setsid(2) between fork and exec): no controlling
/// terminal, so a prompt it would make fails at once instead of stopping it in the background
/// (SIGTTIN), and the terminal's Ctrl-C is not sent to it. Its process group is its PID.
pub fn own_session(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid(2) is async-signal-safe and touches nothing of the parent's.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
