//! `-Z USER`: giving up root once every capture handle is open, as tcpdump does.
//!
//! Open packet sockets and files keep working without privilege; what is dropped is the power
//! to open new ones as root. glibc applies the uid, gid and group changes to every thread of
//! the process; the kernel then clears each thread's permitted and effective capabilities, since
//! none of its uids is 0 any more. The calling thread (the one that writes files and starts
//! `-z` commands) also empties its bounding and inheritable sets and sets no_new_privs, so
//! nothing it runs can regain privilege.

use std::ffi::CString;
use std::io;

use anyhow::{anyhow, bail, Result};
use nix::unistd::{Gid, Uid, User};

use crate::error::os_message;

/// linux/capability.h: _LINUX_CAPABILITY_VERSION_3, two 32-bit words per set.
const CAP_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The highest capability number this kernel knows.
fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(63)
}

fn check(r: libc::c_int, what: &str) -> Result<()> {
    if r < 0 {
        let e = io::Error::last_os_error();
        bail!("-Z: cannot {what}: {}", os_message(&e));
    }
    Ok(())
}

/// Becomes `name` (uid, gid, its supplementary groups) with no capability left.
pub fn drop_to(name: &str) -> Result<()> {
    let user = User::from_name(name)
        .map_err(|e| anyhow!("-Z {name}: cannot look the user up: {}", e.desc()))?
        .ok_or_else(|| anyhow!("-Z {name}: no such user"))?;
    become_user(&user.name, user.uid, user.gid)
}

fn become_user(name: &str, uid: Uid, gid: Gid) -> Result<()> {
    // The bounding set can only be emptied while CAP_SETPCAP is still ours.
    for cap in 0..=last_cap() {
        // SAFETY: prctl with integer arguments.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        // EINVAL: a capability this kernel does not have.
        if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
            check(r, "empty the capability bounding set")?;
        }
    }
    let cname = CString::new(name).map_err(|_| anyhow!("-Z {name}: bad user name"))?;
    nix::unistd::initgroups(&cname, gid)
        .map_err(|e| anyhow!("-Z {name}: cannot set the groups: {}", e.desc()))?;
    nix::unistd::setresgid(gid, gid, gid)
        .map_err(|e| anyhow!("-Z {name}: cannot set the group id: {}", e.desc()))?;
    nix::unistd::setresuid(uid, uid, uid)
        .map_err(|e| anyhow!("-Z {name}: cannot set the user id: {}", e.desc()))?;
    // SAFETY: prctl with integer arguments.
    let r = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    check(r, "clear the ambient capabilities")?;
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: capset reads a valid header and two data words, as version 3 wants.
    let r = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    } as libc::c_int;
    check(r, "clear the capabilities")?;
    // SAFETY: prctl with integer arguments.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    check(r, "set no_new_privs")?;
    Ok(())
}
