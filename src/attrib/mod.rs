//! `--process`: which local process sent or received each packet, without eBPF.
//!
//! Inside each captured namespace a thread of its own (entered with [`crate::netns::spawn`],
//! never a runtime worker) lists the namespace's TCP and UDP sockets over NETLINK_SOCK_DIAG
//! ([`diag`]) and maps their inodes to processes through `/proc/PID/fd` ([`procs`]). What it
//! finds goes into a flow table shared with the writer: exact flows (local and remote address
//! and port) and bound sockets (listening TCP, unconnected UDP).
//!
//! The writer looks each packet up in that table when its batch is written ([`Stage`]). A
//! packet of a flow the table does not know wakes the thread and waits for one fresh pass, at
//! most [`WAIT`] (50 ms), once per flow: a packet whose answer is later than that is written without
//! one. Such a pass looks only the asked flows up, one kernel lookup each ([`diag::Diag::find`]);
//! every [`POLL`] a pass lists every socket instead, asked or not, so that flows found between
//! batches are known before their packets are written, and gone ones age out.
//!
//! Attribution never guesses: a packet is attributed only to a socket of the namespace whose
//! addresses and ports it carries. The sender's socket wins over the receiver's (on loopback
//! both are local); a bound socket (a listener, an unconnected UDP socket) answers only for
//! packets to or from one of the namespace's own addresses, so forwarded traffic and traffic
//! to closed ports carry nothing. A flow keeps its process for [`LINGER`] after its socket
//! went (a process that exited, a TCP TIME_WAIT), so its last packets are still attributed.

pub mod diag;
pub mod procs;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::File;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use crate::packet::{Batch, Interface};
use crate::summary::decode::{self, Transport};

/// The longest a batch waits for the answer about a flow it is the first to show. A pass
/// takes about a millisecond; this bounds the writer's stall when the machine is busy.
pub const WAIT: Duration = Duration::from_millis(50);
/// The thread's pace when nothing asks it.
pub const POLL: Duration = Duration::from_millis(50);
/// The shortest gap after a pass that listed every socket: bounds the thread's CPU when every
/// batch asks. A pass of lookups costs microseconds and does not wait: the writer waits for it.
const MIN_GAP: Duration = Duration::from_millis(1);
/// How long a flow keeps its process after its socket is gone.
pub const LINGER: Duration = Duration::from_secs(10);
/// How long a flow nobody owned is not waited for again.
const ASKED_FOR: Duration = Duration::from_secs(2);
/// How often the namespace's addresses are read again.
const ADDRS_EVERY: Duration = Duration::from_secs(1);

/// The process a packet belongs to, with its texts made once: the per-packet path only copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    /// The command name (`/proc/PID/comm`), escaped.
    pub comm: String,
    /// The container (and pod) the process runs in, when it runs in one.
    pub container: Option<String>,
    /// The pcapng packet comment: `pid 1234 curl (container web)`.
    pub comment: String,
    /// In summary lines: `curl[1234]`.
    pub tag: String,
}

impl Owner {
    pub fn new(pid: u32, comm: &str, container: Option<String>) -> Owner {
        let mut comment = format!("pid {pid} {comm}");
        if let Some(c) = &container {
            let _ = write!(comment, " (container {c})");
        }
        Owner {
            pid,
            comm: comm.to_string(),
            container,
            comment,
            tag: format!("{comm}[{pid}]"),
        }
    }
}

/// One side's address and port.
type End = (IpAddr, u16);

/// A connected socket's flow, as the socket sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Flow {
    proto: u8,
    local: End,
    remote: End,
}

struct Known {
    owner: Arc<Owner>,
    seen: Instant,
}

/// A bound socket's address (unspecified for all) and its process.
type Bound = (IpAddr, Arc<Owner>);

/// What the thread found, read by the writer.
#[derive(Default)]
struct Table {
    flows: HashMap<Flow, Known>,
    /// Listening TCP and unconnected UDP sockets, by protocol and port: the address each is
    /// bound to (unspecified for all) and its process.
    bound: HashMap<(u8, u16), Vec<Bound>>,
    /// The namespace's own addresses.
    addrs: Vec<IpAddr>,
    /// Passes begun and finished.
    begun: u64,
    done: u64,
    /// The thread stopped (it could not list sockets): nobody waits for it.
    gone: bool,
    /// Flows the writer wants looked up, taken by the next pass.
    wanted: Vec<(u8, End, End)>,
}

impl Table {
    /// The process of a packet from `src` to `dst`: the sender's socket, else the receiver's.
    fn lookup(&self, proto: u8, src: End, dst: End) -> Option<&Arc<Owner>> {
        let exact = |local, remote| {
            self.flows.get(&Flow {
                proto,
                local,
                remote,
            })
        };
        if let Some(k) = exact(src, dst).or_else(|| exact(dst, src)) {
            return Some(&k.owner);
        }
        self.bound_to(proto, src)
            .or_else(|| self.bound_to(proto, dst))
    }

    fn bound_to(&self, proto: u8, (ip, port): End) -> Option<&Arc<Owner>> {
        if !self.addrs.contains(&ip) {
            return None;
        }
        let socks = self.bound.get(&(proto, port))?;
        // The socket bound to this very address before a wildcard one; a wildcard IPv6
        // socket takes IPv4 too (dual stack, Linux's default).
        socks
            .iter()
            .find(|(a, _)| *a == ip)
            .or_else(|| {
                socks.iter().find(|(a, _)| {
                    a.is_unspecified() && (a.is_ipv4() == ip.is_ipv4() || a.is_ipv6())
                })
            })
            .map(|(_, o)| o)
    }
}

type Shared = Arc<(Mutex<Table>, Condvar)>;

fn lock(s: &Shared) -> MutexGuard<'_, Table> {
    s.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// A packet's protocol and ends, when it is TCP or UDP over IP.
fn ends(linktype: u16, mac: Option<[u8; 6]>, data: &[u8], len: u32) -> Option<(u8, End, End)> {
    let frame = decode::decode(linktype, data, len, mac);
    let ip = frame.ip()?;
    let proto = match ip.transport {
        Transport::Tcp(_) => 6,
        Transport::Udp(_) => 17,
        _ => return None,
    };
    let (sp, dp) = ip.ports()?;
    let (src, dst) = if ip.v6 {
        (IpAddr::from(ip.src), IpAddr::from(ip.dst))
    } else {
        (IpAddr::from(ip.src4()), IpAddr::from(ip.dst4()))
    };
    Some((proto, (src, sp), (dst, dp)))
}

/// The attribution of one namespace: its thread and the table it fills.
struct Space {
    shared: Shared,
    /// Dropping it ends the thread (its wait sees the channel closed).
    wake: SyncSender<()>,
    thread: Option<JoinHandle<Result<()>>>,
}

/// With `-Z`: the thread that starts the attribution threads, kept with the capabilities a new
/// one needs to enter its namespace ([`LAUNCH_CAPS`]). Each thread it starts inherits them,
/// enters, and then keeps only [`LOOKUP_CAPS`].
pub type Launcher = crate::netns::Hopper;

/// What a lookup thread needs to name other users' processes, verified on Linux 6.18: reading
/// the directory `/proc/PID/fd` (mode 0500, the process's owner) takes CAP_DAC_READ_SEARCH;
/// reading its links and `/proc/PID/ns/net` takes CAP_SYS_PTRACE (ptrace_may_access).
pub const LOOKUP_CAPS: u64 =
    1 << crate::privs::CAP_SYS_PTRACE | 1 << crate::privs::CAP_DAC_READ_SEARCH;
/// The launcher's: the lookup's and CAP_SYS_ADMIN, for `setns`.
pub const LAUNCH_CAPS: u64 = LOOKUP_CAPS | 1 << crate::privs::CAP_SYS_ADMIN;

/// A capture handle's namespace number, link type and MAC.
type Handle = (usize, u16, Option<[u8; 6]>);

/// The writer's side: annotates each batch before it is written.
pub struct Stage {
    /// By the session's space number; None for one that left (or was never given).
    spaces: Vec<Option<Space>>,
    /// By capture handle (the session's interface table): its namespace, link type and MAC.
    handles: Vec<Option<Handle>>,
    owners: Vec<Option<Arc<Owner>>>,
    misses: Vec<(usize, u8, End, End)>,
    asked: HashMap<(u8, End, End), Instant>,
    swept: Instant,
    stop: Arc<AtomicBool>,
    launcher: Option<Launcher>,
}

impl Stage {
    /// A stage with no namespace yet. `launcher` (with `-Z`) starts the threads; without one
    /// they are started from the calling thread.
    pub fn new(launcher: Option<Launcher>) -> Stage {
        Stage {
            spaces: Vec::new(),
            handles: Vec::new(),
            owners: Vec::new(),
            misses: Vec::new(),
            asked: HashMap::new(),
            swept: Instant::now(),
            stop: Arc::new(AtomicBool::new(false)),
            launcher,
        }
    }

    /// Ends the launcher: no namespace will join any more.
    pub fn close_launcher(&mut self) {
        self.launcher = None;
    }

    /// Whether namespace `space` has its thread (or had one: a namespace is given once).
    pub fn has_space(&self, space: usize) -> bool {
        self.spaces.get(space).is_some_and(Option::is_some)
    }

    /// Starts the thread of namespace number `space` (`netns`, its inode, its label).
    pub fn add_space(
        &mut self,
        space: usize,
        netns: File,
        inode: u64,
        label: String,
    ) -> Result<()> {
        let shared: Shared = Arc::default();
        let (wake, woken) = mpsc::sync_channel(1);
        let (s, st) = (shared.clone(), self.stop.clone());
        let narrow = self.launcher.is_some();
        let name = label.clone();
        let body = move || {
            if narrow {
                crate::privs::narrow_thread(LOOKUP_CAPS)?;
            }
            let r = resolve_loop(inode, &s, &woken, &st);
            let mut t = lock(&s);
            t.gone = true;
            s.1.notify_all();
            drop(t);
            r.map_err(|e| anyhow!("--process in {name}: cannot list sockets: {e}"))
        };
        let thread = match &self.launcher {
            // Started by the launcher, the thread inherits its capabilities.
            Some(l) => l.call(None, String::new(), move || {
                crate::netns::spawn(netns, label, "nscap-process", body)
            })?,
            None => crate::netns::spawn(netns, label, "nscap-process", body)?,
        };
        if self.spaces.len() <= space {
            self.spaces.resize_with(space + 1, || None);
        }
        self.spaces[space] = Some(Space {
            shared,
            wake,
            thread: Some(thread),
        });
        Ok(())
    }

    /// Namespace `space` left: its thread ends (it keeps the namespace alive while it runs).
    pub fn remove_space(&mut self, space: usize) {
        if let Some(s) = self.spaces.get_mut(space) {
            // Not joined: the thread ends within a pass, and the writer does not wait for it.
            *s = None;
        }
    }

    /// Capture handle `handle` reads `iface` in namespace number `space`.
    pub fn add_handle(&mut self, handle: usize, space: usize, iface: &Interface) {
        if self.handles.len() <= handle {
            self.handles.resize(handle + 1, None);
        }
        self.handles[handle] = Some((space, iface.linktype, iface.mac));
    }

    /// The process of each packet of `batch`, in order (`None`: unknown or not attributable).
    pub fn annotate(&mut self, batch: &Batch) -> &[Option<Arc<Owner>>] {
        self.owners.clear();
        self.misses.clear();
        let Some(&Some((ns, linktype, mac))) = self.handles.get(batch.iface) else {
            return &self.owners;
        };
        let Some(Some(space)) = self.spaces.get(ns) else {
            return &self.owners;
        };
        let now = Instant::now();
        if now.duration_since(self.swept) >= ASKED_FOR {
            self.asked.retain(|_, t| now.duration_since(*t) < ASKED_FOR);
            self.swept = now;
        }
        let mut t = lock(&space.shared);
        for (i, p) in batch.iter().enumerate() {
            let Some((proto, src, dst)) = ends(linktype, mac, p.data, p.len) else {
                self.owners.push(None);
                continue;
            };
            let owner = t.lookup(proto, src, dst).cloned();
            if owner.is_none() && !self.asked.contains_key(&(proto, src, dst)) {
                self.misses.push((i, proto, src, dst));
            }
            self.owners.push(owner);
        }
        if self.misses.is_empty() || t.gone {
            return &self.owners;
        }
        // One fresh pass, begun after these packets were seen, answers for them all.
        let want = t.begun + 1;
        t.wanted
            .extend(self.misses.iter().map(|&(_, p, s, d)| (p, s, d)));
        let _ = space.wake.try_send(());
        let deadline = now + WAIT;
        while t.done < want && !t.gone {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            t = space
                .shared
                .1
                .wait_timeout(t, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        for &(i, proto, src, dst) in &self.misses {
            match t.lookup(proto, src, dst) {
                Some(o) => self.owners[i] = Some(o.clone()),
                None => {
                    self.asked.insert((proto, src, dst), now);
                }
            }
        }
        &self.owners
    }

    /// Stops the threads; reports the first that failed.
    pub fn finish(mut self) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        let mut first = Ok(());
        for s in self.spaces.iter_mut().flatten() {
            let _ = s.wake.try_send(());
            if let Some(t) = s.thread.take() {
                let r = t.join().map_err(|_| anyhow!("--process: thread failed"));
                if first.is_ok() {
                    first = r.and_then(|r| r);
                }
            }
        }
        first
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for s in self.spaces.iter().flatten() {
            let _ = s.wake.try_send(());
        }
    }
}

/// The namespace's own addresses, read in it (on this thread).
fn own_addrs() -> Vec<IpAddr> {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut v: Vec<IpAddr> = list
        .filter_map(|i| {
            let a = i.address?;
            if let Some(s) = a.as_sockaddr_in() {
                Some(IpAddr::from(s.ip()))
            } else {
                a.as_sockaddr_in6().map(|s| IpAddr::from(s.ip()))
            }
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Runs on the namespace's thread until `stop`: a pass when woken, or every [`POLL`].
fn resolve_loop(
    netns: u64,
    shared: &Shared,
    woken: &mpsc::Receiver<()>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let mut diag = diag::Diag::open()?;
    let mut procs = procs::Procs::new(netns);
    let mut socks = Vec::new();
    let mut listed = HashSet::new();
    let mut wanted = Vec::new();
    let mut addrs_at: Option<Instant> = None;
    let mut addrs = Vec::new();
    let mut last = Instant::now();
    let mut full_at: Option<Instant> = None;
    let mut asked = Vec::new();
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let gap = last.elapsed();
        if full_at == Some(last) && gap < MIN_GAP {
            std::thread::sleep(MIN_GAP - gap);
        }
        last = Instant::now();
        {
            let mut t = lock(shared);
            t.begun += 1;
            std::mem::swap(&mut asked, &mut t.wanted);
            t.wanted.clear();
        }
        if addrs_at.is_none_or(|t| t.elapsed() >= ADDRS_EVERY) {
            addrs = own_addrs();
            addrs_at = Some(Instant::now());
        }
        socks.clear();
        // The writer's questions are answered by one kernel lookup each; the whole list,
        // which costs far more, is read every POLL (it ages flows out and finds bound sockets
        // and flows before anyone asks).
        let full = asked.is_empty() || full_at.is_none_or(|t| t.elapsed() >= POLL);
        if full {
            diag.dump_all(&mut socks)?;
            full_at = Some(last);
        } else {
            for &(proto, a, b) in &asked {
                let n = socks.len();
                // Either end may be ours. A failed lookup is a flow left unknown, not an
                // end of attribution.
                let _ = diag.find(proto, a, b, &mut socks);
                if socks.len() == n {
                    let _ = diag.find(proto, b, a, &mut socks);
                }
            }
        }
        wanted.clear();
        if full {
            listed.clear();
        }
        for s in &socks {
            if s.inode != 0 {
                if full {
                    listed.insert(s.inode);
                }
                if !procs.inodes.contains_key(&s.inode) {
                    wanted.push(s.inode);
                }
            }
        }
        procs.resolve(&wanted);
        if full {
            procs.retain(&listed);
        }
        publish(shared, &socks, &procs, &addrs, full);
        match woken.recv_timeout(POLL) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

/// A socket's address as packets carry it: IPv4 for IPv4-mapped IPv6.
fn canonical((ip, port): End) -> End {
    (ip.to_canonical(), port)
}

/// Puts what a pass found into the table: all of it when `full` (the complete list of the
/// namespace's sockets), else added to what is there.
fn publish(
    shared: &Shared,
    socks: &[diag::Sock],
    procs: &procs::Procs,
    addrs: &[IpAddr],
    full: bool,
) {
    let now = Instant::now();
    let mut t = lock(shared);
    t.addrs.clear();
    t.addrs.extend_from_slice(addrs);
    if full {
        t.bound.clear();
    }
    for s in socks {
        let owner = procs.inodes.get(&s.inode);
        let (local, remote) = (canonical(s.local), canonical(s.remote));
        let bound = if s.proto == 6 {
            s.state == diag::LISTEN
        } else {
            remote.1 == 0
        };
        if bound {
            if let Some(o) = owner {
                let v = t.bound.entry((s.proto, local.1)).or_default();
                // A lookup finds again what the table may hold already.
                if full || !v.iter().any(|(a, _)| *a == local.0) {
                    v.push((local.0, o.clone()));
                }
            }
            continue;
        }
        let flow = Flow {
            proto: s.proto,
            local,
            remote,
        };
        match (owner, t.flows.get_mut(&flow)) {
            // A new socket on the same addresses replaces the old flow's process.
            (Some(o), Some(k)) => {
                if k.owner != *o {
                    k.owner = o.clone();
                }
                k.seen = now;
            }
            (Some(o), None) => {
                t.flows.insert(
                    flow,
                    Known {
                        owner: o.clone(),
                        seen: now,
                    },
                );
            }
            // No process holds it (TIME_WAIT, the process exited): the flow lives on.
            (None, Some(k)) if s.inode == 0 => k.seen = now,
            _ => {}
        }
    }
    if full {
        t.flows.retain(|_, k| now.duration_since(k.seen) < LINGER);
    }
    t.done = t.begun;
    shared.1.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(pid: u32) -> Arc<Owner> {
        Arc::new(Owner::new(pid, "x", None))
    }

    #[test]
    fn texts() {
        let o = Owner::new(1234, "curl", Some("web".into()));
        assert_eq!(o.comment, "pid 1234 curl (container web)");
        assert_eq!(o.tag, "curl[1234]");
        assert_eq!(Owner::new(7, "sh", None).comment, "pid 7 sh");
    }

    #[test]
    fn sender_first_and_bound_sockets_only_for_own_addresses() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let far: IpAddr = "10.9.9.9".parse().unwrap();
        let mut t = Table {
            addrs: vec![a],
            ..Default::default()
        };
        let known = |o| Known {
            owner: o,
            seen: Instant::now(),
        };
        t.flows.insert(
            Flow {
                proto: 6,
                local: (a, 40000),
                remote: (b, 80),
            },
            known(owner(1)),
        );
        t.bound
            .insert((6, 8080), vec![("::".parse().unwrap(), owner(2))]);
        t.bound.insert((17, 53), vec![(a, owner(3))]);
        let pid = |o: Option<&Arc<Owner>>| o.map(|o| o.pid);
        assert_eq!(pid(t.lookup(6, (a, 40000), (b, 80))), Some(1));
        assert_eq!(pid(t.lookup(6, (b, 80), (a, 40000))), Some(1));
        assert_eq!(
            pid(t.lookup(17, (a, 40000), (b, 80))),
            None,
            "other protocol"
        );
        // A dual-stack listener takes IPv4 connections to the namespace's own address ...
        assert_eq!(pid(t.lookup(6, (b, 5555), (a, 8080))), Some(2));
        assert_eq!(pid(t.lookup(6, (a, 8080), (b, 5555))), Some(2));
        // ... but not forwarded ones to another address on the same port.
        assert_eq!(pid(t.lookup(6, (b, 5555), (far, 8080))), None);
        assert_eq!(pid(t.lookup(17, (b, 5555), (a, 53))), Some(3));
        assert_eq!(pid(t.lookup(17, (b, 5555), (a, 54))), None);
    }

    #[test]
    fn summaries_name_the_process_after_the_direction() {
        use crate::packet::Packet;
        use crate::summary::{PrintOptions, Summarizer};
        let data = [
            0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 99, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        let p = Packet {
            iface: 0,
            ts_sec: 1,
            ts_nsec: 0,
            len: 20,
            data: &data,
        };
        let i = Interface {
            name: "eth0".into(),
            linktype: 101,
            snaplen: 65535,
            description: String::new(),
            mac: None,
        };
        let o = Owner::new(1234, "curl", Some("web".into()));
        let mut s = Summarizer::new(PrintOptions {
            stamp: crate::summary::Stamp::Epoch,
            ..Default::default()
        });
        let mut out = Vec::new();
        s.line_by(&mut out, &p, &i, Some(&o));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1.000000 curl[1234] IP 1.2.3.4 > 5.6.7.8:  ip-proto-99 0\n"
        );
        let mut out = Vec::new();
        s.json_by(&mut out, &p, &i, Some(&o));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["process"],
            serde_json::json!({"pid": 1234, "comm": "curl", "container": "web"})
        );
    }
}
