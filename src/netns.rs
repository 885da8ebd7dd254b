//! Entering a network namespace from a thread we own.
//!
//! `setns(CLONE_NEWNET)` moves the calling thread only; sockets (and so pcap handles) opened
//! there stay in the target's namespace wherever they are used afterwards. `/sys` belongs to the
//! mount namespace, so the thread also gets a private mount namespace with a fresh sysfs: libpcap
//! then reads the target's interface attributes and drop counters, never the host's interface that
//! happens to have the same name. The host's mount namespace, where output files are written, is
//! untouched: only this thread sees the new mounts.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::thread::{self, JoinHandle};

use anyhow::{anyhow, Context, Result};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

/// setns(2) into `netns`, the calling thread only; the error names the target.
fn join(netns: &File, label: &str) -> Result<()> {
    setns(netns, CloneFlags::CLONE_NEWNET).map_err(|e| {
        if e == nix::errno::Errno::EPERM {
            anyhow!("cannot enter the network namespace of {label}: permission denied (needs CAP_SYS_ADMIN)")
        } else {
            anyhow!("cannot enter the network namespace of {label}: {e}")
        }
    })?;
    Ok(())
}

/// Moves the calling thread into the network namespace `netns`. Call it only on a thread that
/// ends when its work in the namespace is done.
pub fn enter(netns: &File, label: &str) -> Result<()> {
    join(netns, label)?;
    private_sysfs().context("cannot mount the target's /sys in a private mount namespace")
}

fn private_sysfs() -> Result<()> {
    unshare(CloneFlags::CLONE_FS | CloneFlags::CLONE_NEWNS)?;
    // Keep our mounts from propagating back to the host.
    keep_mounts_home()?;
    mount_sysfs()?;
    Ok(())
}

/// Keeps the calling thread's mounts from propagating back to the host's mount namespace.
fn keep_mounts_home() -> nix::Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
}

/// A fresh sysfs on `/sys`, in place of the one there: it shows the network namespace of the
/// mounting thread.
fn mount_sysfs() -> nix::Result<()> {
    let _ = umount2("/sys", MntFlags::MNT_DETACH);
    mount(
        Some("sysfs"),
        "/sys",
        Some("sysfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
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

/// A few worker threads that visit namespaces on request, so that the number of threads does
/// not grow with the number of targets: a `setns` and a fresh sysfs cost well under a millisecond.
///
/// Each worker unshares its mount namespace once; each visit enters a network namespace and mounts
/// a sysfs there (so libpcap's `/sys/class/net` reads describe the target), and after each job it
/// goes home and unmounts it again, so that no namespace is kept alive by it.
///
/// Why more than one worker: activating a pcap handle sets up its `PACKET_RX_RING`, and the kernel
/// waits there for an RCU grace period (`synchronize_net`), 10 to 15 ms on a loaded VM whatever
/// the ring's size. Waits on concurrent threads share grace periods, so workers overlap them. Jobs
/// for one namespace always go to the same worker (by the namespace's inode) and so keep the order
/// in which they were submitted.
pub struct Workers {
    queues: Vec<std::sync::mpsc::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Workers a session may use: with the session's own thread and the pump, at most 8 threads
/// (issue 10) whatever the number of namespaces.
pub const MAX_WORKERS: usize = 4;

impl Workers {
    /// One worker: jobs run one after the other.
    pub fn one() -> Result<Workers> {
        Workers::new(1)
    }

    /// `count` threads (1 to [`MAX_WORKERS`]), all started before this returns.
    pub fn new(count: usize) -> Result<Workers> {
        Workers::launch("nscap-hop", true, count)
    }

    /// A thread that runs jobs where it is, in the host's namespaces, and never enters a target's
    /// (jobs must be submitted with `netns` None): with `-Z --follow`, the one thread that keeps
    /// the capabilities to look the host's `/proc` over for namespaces that join later.
    pub fn at_home(name: &str) -> Result<Workers> {
        Workers::launch(name, false, 1)
    }

    fn launch(name: &str, hops: bool, count: usize) -> Result<Workers> {
        let mut workers = Workers {
            queues: Vec::new(),
            threads: Vec::new(),
        };
        // Started together, so that their mount namespaces are made at the same time.
        let mut ready = Vec::new();
        for _ in 0..count.clamp(1, MAX_WORKERS) {
            let (tx, thread, ready_rx) = worker(name, hops)?;
            workers.queues.push(tx);
            workers.threads.push(thread);
            ready.push(ready_rx);
        }
        // Dropping `workers` on an error ends the workers already started.
        for r in ready {
            match r.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(anyhow!("namespace thread failed")),
            }
        }
        Ok(workers)
    }

    /// Runs `f` inside `netns` (None: where the thread is, the host's) and hands its answer to
    /// `reply`.
    pub fn submit<T, F>(
        &self,
        netns: Option<File>,
        label: String,
        f: F,
        reply: impl FnOnce(Result<T>) + Send + 'static,
    ) where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let worker = netns
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(0, |m| m.ino() as usize % self.queues.len().max(1));
        let job: Job = Box::new(move || {
            let r = match &netns {
                Some(ns) => visit(ns, &label).and_then(|()| f()),
                None => f(),
            };
            reply(r);
        });
        if let Some(tx) = self.queues.get(worker) {
            // A thread that ended has dropped the job, and with it the reply's sender.
            let _ = tx.send(job);
        }
    }

    /// [`Workers::submit`] and wait for the answer (not from an async task).
    pub fn call<T, F>(&self, netns: Option<File>, label: String, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        // A std channel, not tokio's: the session's own thread calls this from inside its
        // runtime (the scanner's look), where tokio's blocking receive would panic.
        let (tx, rx) = std::sync::mpsc::channel();
        self.submit(netns, label, f, move |r| {
            let _ = tx.send(r);
        });
        rx.recv().map_err(|_| anyhow!("namespace thread failed"))?
    }

    /// Runs `f` on every worker, where each is (the host's namespaces), one after the other:
    /// for what is per thread, such as capabilities.
    pub fn call_on_each<F>(&self, f: F) -> Result<()>
    where
        F: Fn() -> Result<()> + Clone + Send + 'static,
    {
        for tx in &self.queues {
            let (reply_tx, reply_rx) = std::sync::mpsc::channel();
            let f = f.clone();
            let job: Job = Box::new(move || {
                let _ = reply_tx.send(f());
            });
            let _ = tx.send(job);
            reply_rx
                .recv()
                .map_err(|_| anyhow!("namespace thread failed"))??;
        }
        Ok(())
    }

    /// [`Workers::submit`], the answer awaited.
    pub async fn run<T, F>(&self, netns: Option<File>, label: String, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        self.ask(netns, label, f)
            .await
            .map_err(|_| anyhow!("namespace thread failed"))?
    }

    /// [`Workers::submit`], the answer to come on the channel returned.
    fn ask<T, F>(
        &self,
        netns: Option<File>,
        label: String,
        f: F,
    ) -> tokio::sync::oneshot::Receiver<Result<T>>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(netns, label, f, move |r| {
            let _ = tx.send(r);
        });
        rx
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.queues.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

type Worker = (
    std::sync::mpsc::Sender<Job>,
    JoinHandle<()>,
    std::sync::mpsc::Receiver<Result<()>>,
);

/// Starts one worker; its receiver answers once its thread is ready (with `hops`, once its mount
/// namespace is made, or could not be).
fn worker(name: &str, hops: bool) -> Result<Worker> {
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<()>>();
    let thread = thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            crate::stop::block_in_this_thread();
            let home = if hops {
                match setup() {
                    Ok(home) => Some(home),
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                }
            } else {
                None
            };
            let _ = ready_tx.send(Ok(()));
            for job in rx {
                job();
                // Home again: a namespace we stayed in (or whose sysfs stayed mounted)
                // would outlive its last process.
                if let Some(home) = &home {
                    let _ = setns(home, CloneFlags::CLONE_NEWNET);
                    let _ = umount2("/sys", MntFlags::MNT_DETACH);
                }
            }
        })
        .context("cannot start the namespace thread")?;
    Ok((tx, thread, ready_rx))
}

/// A private mount namespace for the thread, once; returns its home network namespace.
fn setup() -> Result<File> {
    let home = File::open("/proc/thread-self/ns/net")
        .context("cannot open this thread's network namespace")?;
    unshare(CloneFlags::CLONE_FS | CloneFlags::CLONE_NEWNS).map_err(|e| {
        if e == nix::errno::Errno::EPERM {
            anyhow!("cannot make a private mount namespace to enter targets: permission denied (needs CAP_SYS_ADMIN)")
        } else {
            anyhow!("cannot make a private mount namespace: {e}")
        }
    })?;
    keep_mounts_home().context("cannot make a private mount namespace")?;
    Ok(home)
}

/// Enters `netns` from the worker's thread and mounts its sysfs.
fn visit(netns: &File, label: &str) -> Result<()> {
    join(netns, label)?;
    mount_sysfs().context("cannot mount the target's /sys in a private mount namespace")
}

/// An rtnetlink socket subscribed to link events (`RTMGRP_LINK`) of the calling thread's
/// network namespace: readable whenever an interface there appears, changes or vanishes. Open it
/// in the [`Workers`]; it keeps reporting that namespace's events wherever it is read.
pub fn link_events_here() -> Result<std::os::fd::OwnedFd> {
    use std::os::fd::AsFd;
    let fd = crate::os::socket(
        libc::AF_NETLINK,
        libc::SOCK_RAW | libc::SOCK_NONBLOCK,
        libc::NETLINK_ROUTE,
    )
    .map_err(|e| anyhow!("cannot open a netlink socket: {e}"))?;
    crate::os::bind_netlink(fd.as_fd(), libc::RTMGRP_LINK as u32)
        .map_err(|e| anyhow!("cannot watch links: {e}"))?;
    Ok(fd)
}
