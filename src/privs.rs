//! `-Z USER`: giving up root once every capture handle is open, as tcpdump does.
//!
//! Open packet sockets and files keep working without privilege; what is dropped is the power
//! to open new ones as root. glibc applies the uid, gid and group changes to every thread of
//! the process; the kernel then clears each thread's permitted and effective capabilities, since
//! none of its uids is 0 any more. The calling thread (the one that writes files and starts
//! `-z` commands) also empties its bounding and inheritable sets and sets no_new_privs, so
//! nothing it runs can regain privilege.
//!
//! With `--follow`, namespaces that join later still have to be found and entered: the threads
//! that do it (see [`Keep`]) set SECBIT_KEEP_CAPS on themselves before the uid changes, so their
//! permitted set survives it, and then keep exactly the capabilities their work needs, with a
//! bounding set of those alone and no_new_privs. Capability sets, keepcaps and no_new_privs are
//! all per thread, so this is done on each such thread by a job it runs. With `--process` the
//! same is done for the thread that starts the lookup threads: each of those inherits its sets
//! and narrows them further once inside its namespace ([`narrow`]).

use std::ffi::CString;
use std::io;

use anyhow::{anyhow, bail, Result};
use nix::unistd::{Gid, Uid, User};

use crate::error::os_message;
use crate::netns::Workers;
use crate::os::{self, capset, CapData};

/// linux/capability.h numbers of the capabilities kept with `--follow`.
pub const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_NET_RAW: u32 = 13;
pub const CAP_SYS_PTRACE: u32 = 19;
pub const CAP_SYS_ADMIN: u32 = 21;

/// A thread that keeps `caps` (a mask of `1 << CAP_*`) after the drop.
pub struct Keep<'a> {
    pub thread: &'a Workers,
    pub caps: u64,
}

/// The highest capability number this kernel knows.
fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(63)
}

fn check(r: io::Result<()>, what: &str) -> Result<()> {
    if let Err(e) = r {
        bail!("-Z: cannot {what}: {}", os_message(&e));
    }
    Ok(())
}

/// Becomes `name` (uid, gid, its supplementary groups) with no capability left, except on the
/// threads of `keep`, which keep theirs.
pub fn drop_to(name: &str, keep: &[Keep]) -> Result<()> {
    let user = User::from_name(name)
        .map_err(|e| anyhow!("-Z {name}: cannot look the user up: {}", e.desc()))?
        .ok_or_else(|| anyhow!("-Z {name}: no such user"))?;
    // Before the uid changes: those threads still have every capability, which glibc needs of
    // them too, since each thread makes the set*id calls itself.
    for k in keep {
        let caps = k.caps;
        k.thread.call_on_each(move || bound_and_keep(caps))?;
    }
    become_user(&user.name, user.uid, user.gid)?;
    for k in keep {
        let caps = k.caps;
        k.thread.call_on_each(move || narrow(caps))?;
    }
    Ok(())
}

/// Empties the calling thread's bounding set but for `keep`; needs CAP_SETPCAP, so comes first.
fn bound(keep: u64) -> Result<()> {
    for cap in 0..=last_cap() {
        if cap < 64 && keep & (1 << cap) != 0 {
            continue;
        }
        let r = os::prctl(libc::PR_CAPBSET_DROP, u64::from(cap));
        // EINVAL: a capability this kernel does not have.
        if r.as_ref()
            .is_err_and(|e| e.raw_os_error() != Some(libc::EINVAL))
        {
            check(r, "empty the capability bounding set")?;
        }
    }
    Ok(())
}

/// On a kept thread, before the uid changes: its bounding set narrowed, and its permitted set
/// kept across the change (the kernel clears only the effective one then).
fn bound_and_keep(caps: u64) -> Result<()> {
    bound(caps)?;
    let r = os::prctl(libc::PR_SET_KEEPCAPS, 1);
    check(r, "keep capabilities across the uid change")
}

/// On a kept thread, after the uid change: exactly `caps` permitted and effective, nothing
/// inheritable or ambient, keepcaps off again, and no_new_privs. Also for a thread started by a
/// kept one (it inherits that one's sets), once it has used the rest.
pub fn narrow(caps: u64) -> Result<()> {
    clear_ambient()?;
    set_caps(caps, caps).map_err(|e| {
        anyhow!(
            "-Z: cannot keep the capabilities a thread needs: {}",
            e.desc()
        )
    })?;
    check(os::prctl(libc::PR_SET_KEEPCAPS, 0), "turn keepcaps off")?;
    check(os::prctl(libc::PR_SET_NO_NEW_PRIVS, 1), "set no_new_privs")
}

fn clear_ambient() -> Result<()> {
    let r = os::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL as u64);
    check(r, "clear the ambient capabilities")
}

fn become_user(name: &str, uid: Uid, gid: Gid) -> Result<()> {
    // The bounding set can only be emptied while CAP_SETPCAP is still ours.
    bound(0)?;
    let cname = CString::new(name).map_err(|_| anyhow!("-Z {name}: bad user name"))?;
    nix::unistd::initgroups(&cname, gid)
        .map_err(|e| anyhow!("-Z {name}: cannot set the groups: {}", e.desc()))?;
    nix::unistd::setresgid(gid, gid, gid)
        .map_err(|e| anyhow!("-Z {name}: cannot set the group id: {}", e.desc()))?;
    nix::unistd::setresuid(uid, uid, uid)
        .map_err(|e| anyhow!("-Z {name}: cannot set the user id: {}", e.desc()))?;
    clear_ambient()?;
    set_caps(0, 0).map_err(|e| anyhow!("-Z: cannot clear the capabilities: {}", e.desc()))?;
    check(os::prctl(libc::PR_SET_NO_NEW_PRIVS, 1), "set no_new_privs")?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Capture-only mode
// ---------------------------------------------------------------------------------------------
//
// Installed with `nscap extcap install --privileged`, nscap is a copy that only root and one group
// can run, with file capabilities (see `CAPTURE_CAPS`). Run by a member of that group, the process
// has capabilities its real user does not have: nscap then acts for that user and uses the
// capabilities only to find namespaces and open capture handles in them.
//
// - At start ([`start_capture_only`]): no_new_privs; `NSCAP_*` variables refused; the effective
//   set emptied, so the command line's files (`-F`) are read with the user's rights.
// - For a capture, [`raise`] makes the effective set whole again on the main thread before any
//   other thread exists; every thread then starts with it. Once the handles are open, at the
//   point where `-Z` drops privileges, [`drop_capture_only`] empties every thread's sets but those
//   that go on finding and entering namespaces (`--follow`), which keep only what that needs, and
//   checks every thread of the process. Output files are created after it: as the user, with the
//   user's rights.
// - Everything else (`-r`, `extcap install`, `man`) drops every capability at once ([`drop_all`]).
// - What would run or read for the user with more than the user's rights is refused: exec and
//   the nsenter link, `--host-root`, `-z`, `-Z`, `--process` (it reads every process's fds).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// linux/capability.h numbers of the other capabilities the privileged install gives.
pub const CAP_NET_ADMIN: u32 = 12;

/// The file capabilities of the privileged install, and why each:
/// CAP_SYS_ADMIN enters another network namespace (setns) and mounts its sysfs on the thread
/// that entered; CAP_NET_RAW opens packet sockets; CAP_NET_ADMIN sets promiscuous mode and the
/// ring; CAP_SYS_PTRACE opens other users' `/proc/PID/ns/net`; CAP_DAC_READ_SEARCH reads the
/// runtimes' state (container names) and `/run/docker/netns`.
pub const CAPTURE_CAPS: u64 = 1 << CAP_SYS_ADMIN
    | 1 << CAP_NET_RAW
    | 1 << CAP_NET_ADMIN
    | 1 << CAP_SYS_PTRACE
    | 1 << CAP_DAC_READ_SEARCH;

static CAPTURE_ONLY: AtomicBool = AtomicBool::new(false);

/// Whether nscap runs in capture-only mode (see the notes above).
pub fn capture_only() -> bool {
    CAPTURE_ONLY.load(Ordering::Relaxed)
}

fn sets() -> (u64, u64) {
    match os::capget() {
        Ok(d) => (
            u64::from(d[0].permitted) | u64::from(d[1].permitted) << 32,
            u64::from(d[0].effective) | u64::from(d[1].effective) << 32,
        ),
        Err(_) => (0, 0),
    }
}

/// The calling thread's permitted and effective sets, nothing inheritable.
fn set_caps(permitted: u64, effective: u64) -> Result<(), nix::errno::Errno> {
    let half = |p: u64, e: u64| CapData {
        effective: e as u32,
        permitted: p as u32,
        inheritable: 0,
    };
    capset(&[
        half(permitted, effective),
        half(permitted >> 32, effective >> 32),
    ])
}

/// [`set_caps`] for capture-only mode, its failure in words.
fn set_own_caps(permitted: u64, effective: u64) -> Result<()> {
    set_caps(permitted, effective)
        .map_err(|e| anyhow!("cannot set this thread's capabilities: {}", e.desc()))
}

/// Decides the mode, first thing in `main`, before any thread or file. Err: the one line that
/// refuses to go on.
pub fn start_capture_only() -> Result<()> {
    let ruid = nix::unistd::getuid().as_raw();
    let euid = nix::unistd::geteuid().as_raw();
    let (permitted, _) = sets();
    if ruid == 0 || (euid != 0 && permitted == 0) {
        return Ok(());
    }
    if euid == 0 {
        bail!("set-user-ID root is not supported: install with `nscap extcap install --privileged` (file capabilities, capture only)");
    }
    CAPTURE_ONLY.store(true, Ordering::Relaxed);
    check(os::prctl(libc::PR_SET_NO_NEW_PRIVS, 1), "set no_new_privs")?;
    if let Some((k, _)) =
        std::env::vars_os().find(|(k, _)| k.to_str().is_some_and(|k| k.starts_with("NSCAP_")))
    {
        bail!(
            "{} is refused: nscap runs with capabilities its user does not have (capture only), and reads only the host's own state",
            k.to_string_lossy()
        );
    }
    // The user's rights, until a capture needs more.
    set_own_caps(permitted, 0)
}

/// Capture-only mode: the whole effective set on the calling thread, for resolving targets and
/// opening handles (threads started from it have it too). Nothing otherwise.
pub fn raise() -> Result<()> {
    if !capture_only() {
        return Ok(());
    }
    let (permitted, _) = sets();
    set_own_caps(permitted, permitted)
}

/// Runs `f` with the user's own rights on the calling thread (capture-only mode: an empty
/// effective set meanwhile, then the one before again); as it is otherwise.
pub fn with_user_rights<T>(f: impl FnOnce() -> T) -> T {
    if !capture_only() {
        return f();
    }
    let (permitted, effective) = sets();
    let lowered = set_caps(permitted, 0).is_ok();
    let r = f();
    if lowered {
        let _ = set_caps(permitted, effective);
    }
    r
}

/// Capture-only mode: no capability left on the calling thread (which must be the only one).
pub fn drop_all() -> Result<()> {
    if !capture_only() {
        return Ok(());
    }
    set_own_caps(0, 0)
}

/// Refuses `what` in capture-only mode.
pub fn refuse(what: &str) -> Result<()> {
    if capture_only() {
        bail!("{what} is refused: nscap runs with capabilities its user does not have (capture only); run it as root for that");
    }
    Ok(())
}

thread_local! {
    /// This thread keeps capabilities after the drop ([`drop_capture_only`]).
    static KEPT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Threads that ran [`on_clear`].
static CLEARED: AtomicUsize = AtomicUsize::new(0);

/// The signal that asks each thread to empty its capability sets: one of the real-time ones,
/// which nscap uses for nothing else and blocks nowhere.
fn clear_signal() -> i32 {
    libc::SIGRTMIN() + 5
}

extern "C" fn on_clear(_: libc::c_int) {
    // A const-initialised thread local is a plain read; capset and prctl are system calls.
    if !KEPT.with(std::cell::Cell::get) {
        let _ = set_caps(0, 0);
        let _ = os::prctl(libc::PR_SET_NO_NEW_PRIVS, 1);
    }
    CLEARED.fetch_add(1, Ordering::SeqCst);
}

/// The threads of this process, by their ids.
fn threads() -> Vec<i32> {
    std::fs::read_dir("/proc/self/task")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A thread's permitted and effective sets, from /proc.
fn thread_caps(tid: i32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    };
    Some((field("CapPrm:")?, field("CapEff:")?))
}

/// Capture-only mode, once every handle is open: the threads of `keep` keep exactly their
/// capabilities, every other thread none; then every thread is checked, and a thread found with
/// more than it may keep ends the capture rather than run so.
pub fn drop_capture_only(keep: &[Keep]) -> Result<()> {
    let mut allowed = 0;
    for k in keep {
        let caps = k.caps;
        allowed |= caps;
        k.thread.call_on_each(move || {
            KEPT.with(|c| c.set(true));
            narrow(caps)
        })?;
    }
    let sig = clear_signal();
    // SAFETY: a handler that only makes system calls and touches an atomic and a const thread
    // local; SA_RESTART so that no other thread's call fails with EINTR for it.
    let r = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_clear as *const () as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut())
    };
    if r != 0 {
        bail!("cannot drop capabilities: {}", io::Error::last_os_error());
    }
    let me = nix::unistd::gettid().as_raw();
    let pid = std::process::id() as i32;
    let others: Vec<i32> = threads().into_iter().filter(|&t| t != me).collect();
    CLEARED.store(0, Ordering::SeqCst);
    let mut sent = 0;
    for &tid in &others {
        // SAFETY: tgkill(2) to a thread of this process.
        if unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, sig) } == 0 {
            sent += 1;
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while CLEARED.load(Ordering::SeqCst) < sent {
        if std::time::Instant::now() >= deadline {
            bail!("cannot drop capabilities: a thread did not answer");
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    set_own_caps(0, 0)?;
    check(os::prctl(libc::PR_SET_NO_NEW_PRIVS, 1), "set no_new_privs")?;
    for tid in threads() {
        match thread_caps(tid) {
            Some((p, e)) if (tid == me && p | e == 0) || (tid != me && (p | e) & !allowed == 0) => {
            }
            // Gone meanwhile: nothing left to hold.
            None if !std::path::Path::new(&format!("/proc/self/task/{tid}")).exists() => {}
            _ => bail!("cannot drop capabilities: thread {tid} still holds some"),
        }
    }
    Ok(())
}
