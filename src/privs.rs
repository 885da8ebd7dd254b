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
    let half = |w: u32| CapData {
        effective: w,
        permitted: w,
        inheritable: 0,
    };
    let data = [half(caps as u32), half((caps >> 32) as u32)];
    capset(&data).map_err(|e| {
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
    capset(&[CapData::default(); 2])
        .map_err(|e| anyhow!("-Z: cannot clear the capabilities: {}", e.desc()))?;
    check(os::prctl(libc::PR_SET_NO_NEW_PRIVS, 1), "set no_new_privs")?;
    Ok(())
}
