//! Entering a network namespace from a thread we own.
//!
//! `setns(CLONE_NEWNET)` moves the calling thread only; sockets (and so pcap handles) opened
//! there stay in the target's namespace wherever they are used afterwards. `/sys` belongs to the
//! mount namespace, so the thread also gets a private mount namespace with a fresh sysfs: libpcap
//! then reads the target's interface attributes and drop counters, never the host's interface that
//! happens to have the same name. The host's mount namespace, where output files are written, is
//! untouched: only this thread sees the new mounts.

use std::fs::File;
use std::thread::{self, JoinHandle};

use anyhow::{anyhow, Context, Result};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

/// Moves the calling thread into the network namespace `netns`. Call it only on a thread that
/// ends when its work in the namespace is done.
pub fn enter(netns: &File, label: &str) -> Result<()> {
    setns(netns, CloneFlags::CLONE_NEWNET).map_err(|e| {
        if e == nix::errno::Errno::EPERM {
            anyhow!("cannot enter the network namespace of {label}: permission denied (needs CAP_SYS_ADMIN)")
        } else {
            anyhow!("cannot enter the network namespace of {label}: {e}")
        }
    })?;
    private_sysfs().context("cannot mount the target's /sys in a private mount namespace")
}

fn private_sysfs() -> Result<()> {
    unshare(CloneFlags::CLONE_FS | CloneFlags::CLONE_NEWNS)?;
    // Keep our mounts from propagating back to the host.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )?;
    // A sysfs mounted now shows the network namespace of the mounting thread.
    let _ = umount2("/sys", MntFlags::MNT_DETACH);
    mount(
        Some("sysfs"),
        "/sys",
        Some("sysfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )?;
    Ok(())
}

/// Spawns a named thread that enters `netns` and then runs `f`. An error entering the
/// namespace is returned by `f`'s caller through the join handle.
pub fn spawn<T, F>(netns: File, label: String, name: &str, f: F) -> Result<JoinHandle<Result<T>>>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            // Stop signals belong to the session's thread (see crate::stop).
            crate::stop::block_in_this_thread();
            enter(&netns, &label)?;
            drop(netns);
            f()
        })
        .context("cannot start the namespace thread")
}

/// Runs `f` in `netns` on a short-lived thread and waits for its answer.
pub fn run<T, F>(netns: File, label: String, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    spawn(netns, label, "nscap-netns", f)?
        .join()
        .map_err(|_| anyhow!("namespace thread failed"))?
}
