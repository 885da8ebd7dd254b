//! `--process`: which local process sent or received each packet, without eBPF.
//!
//! Inside each captured namespace a thread of its own (entered with [`crate::netns::spawn`],
//! never a runtime worker) finds the owners of the namespace's TCP and UDP sockets: their
//! addresses over NETLINK_SOCK_DIAG ([`diag`]), their processes through `/proc/PID/fd`
//! ([`procs`]). What it finds goes into a flow table shared with the writer: exact flows (local
//! and remote address and port) and bound sockets (listening TCP, unconnected UDP).
//!
//! The thread learns of new flows from a probe: a small capture of its own on `any` in the
//! namespace, in immediate mode, that passes only what starts a flow (a TCP SYN, a UDP
//! datagram; [`PROBE_FILTER`]). Each one is looked up at once, one kernel lookup
//! ([`diag::Diag::find`]) and the fds of the likeliest processes, while a short-lived client
//! still holds its socket; a SYN always replaces what the table knew of its addresses, so a
//! new connection reusing them is never named after the old one. The main capture keeps its
//! own pace (ring blocks, unless `-U`): by the time its packets are written, the table
//! normally knows their flow.
//!
//! The writer looks each packet up in that table when its batch is written ([`Stage`]). A
//! packet of a flow the table does not know, and the probe did not try, wakes the thread and
//! waits for one fresh pass, at most [`WAIT`] (50 ms), once per flow: a packet whose answer is
//! later than that is written without one. Every [`FULL_EVERY`] a pass lists every socket,
//! so that gone flows age out and bound sockets are known.
//!
//! Attribution never guesses: a packet is attributed only to a socket of the namespace whose
//! addresses and ports it carries. The sender's socket wins over the receiver's (on loopback
//! both are local); a bound socket (a listener, an unconnected UDP socket) answers only for
//! packets to or from one of the namespace's own addresses, so forwarded traffic and traffic
//! to closed ports carry nothing. A flow keeps its process for [`LINGER`] after its socket
//! went (a process that exited, a TCP TIME_WAIT), so its last packets are still attributed.

pub mod diag;
pub mod procs;

// foldhash: seeded like std's SipHash (flows are keyed by what packets carry), a fraction of
// its cost per lookup; the writer hashes each packet's flow several times.
use foldhash::{HashMap, HashSet};
use std::fs::File;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use crate::packet::{Batch, Interface, Owner};
use crate::summary::decode::{self, Transport};

/// The longest a batch waits for the answer about a flow it is the first to show. A pass
/// takes about a millisecond; this bounds the writer's stall when the machine is busy.
pub const WAIT: Duration = Duration::from_millis(50);
/// How often a pass lists every socket, with the probe: it ages gone flows out and refreshes
/// bound sockets; new flows come from the probe. The listing walks the host's whole socket
/// tables (every namespace's TIME_WAIT sockets included), so it is kept rare.
pub const FULL_EVERY: Duration = Duration::from_secs(1);
/// The same without a probe (it could not be opened): new flows are then found by listing.
pub const POLL: Duration = Duration::from_millis(50);
/// How long a flow whose socket was found, but not yet its process, is looked for again.
const PENDING: Duration = Duration::from_millis(100);
/// The pace of those retries.
const PENDING_GAP: Duration = Duration::from_millis(2);
/// The shortest gap between two passes while no process starts in the namespace: bounds
/// the thread's wake-ups under a stream of new flows from long-lived processes, halving its
/// CPU at 2 000 connections/s (bench/process.sh), where one read of a process's fds then
/// answers for several of its new sockets.
const MIN_GAP: Duration = Duration::from_millis(1);
/// How long after a process started in the namespace passes follow each other at once.
const STARTING: Duration = Duration::from_millis(100);
/// How long a flow keeps its process after its socket is gone.
pub const LINGER: Duration = Duration::from_secs(10);
/// How long a flow nobody owned is not waited for again.
const ASKED_FOR: Duration = Duration::from_secs(2);
/// How often the namespace's addresses are read again.
const ADDRS_EVERY: Duration = Duration::from_secs(1);
/// The most flows the writer's questions hold for the next pass ([`Table::wanted`]): each
/// costs the pass two kernel lookups, so a burst of new flows (a scan, a flood of one-packet
/// UDP flows) stalls neither pass nor writer for long. Flows beyond it are written without
/// waiting; the probe or the next full pass finds them.
const WANTED_MAX: usize = 256;

/// What the probe passes: TCP SYNs without ACK (a connection's first packet) and UDP, IPv4
/// and IPv6. libpcap's `tcp[tcpflags]` reads IPv4 only (`tcpdump -d`), so IPv6's flags are
/// read at their offset behind a 40-byte header: a SYN behind extension headers is not
/// probed, and its flow is looked up when the writer asks. A SYN-ACK is not probed: the SYN
/// before it was, in whichever direction, and each wake-up costs.
pub const PROBE_FILTER: &str = "(ip and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn) \
     or (ip6 and ip6[6] == 6 and ip6[53] & 0x12 == 0x02) or udp";
/// Enough for the link, IP and TCP/UDP headers.
const PROBE_SNAPLEN: i32 = 128;
/// The probe's ring: thousands of 128-byte frames.
const PROBE_BUFFER: i32 = 1 << 20;

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
    /// The namespace left: the thread ends.
    quit: bool,
    /// Writers waiting for a pass: a pass wakes them only when there are (a condvar's
    /// notify is a futex system call even with nobody to wake, once per pass).
    waiting: usize,
    /// Flows the writer wants looked up, taken by the next pass; each once, at most
    /// [`WANTED_MAX`].
    wanted: Vec<(u8, End, End)>,
    /// Flows, as their first packet carried them, that the probe looked up without finding
    /// their process, and when: the writer does not wait for them.
    tried: HashMap<(u8, End, End), Instant>,
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

    /// Whether the probe looked this flow up lately, in either direction.
    fn tried(&self, proto: u8, src: End, dst: End) -> bool {
        self.tried.contains_key(&(proto, src, dst)) || self.tried.contains_key(&(proto, dst, src))
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

/// Marks the thread gone when dropped, however it ends (an error, a panic, a failed `setns`
/// that drops its closure uncalled): otherwise the writer would keep asking it and waiting.
struct Gone(Shared);

impl Drop for Gone {
    fn drop(&mut self) {
        let mut t = lock(&self.0);
        t.gone = true;
        t.wanted = Vec::new();
        self.0 .1.notify_all();
    }
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
    /// Wakes the thread (an eventfd it polls beside its probe).
    wake: Arc<Wake>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl Drop for Space {
    /// Ends the thread: it keeps the namespace alive while it runs.
    fn drop(&mut self) {
        lock(&self.shared).quit = true;
        self.wake.ring();
    }
}

/// An eventfd: the writer rings it, the thread polls it.
struct Wake(OwnedFd);

impl Wake {
    fn new() -> std::io::Result<Wake> {
        // SAFETY: plain eventfd(2); the descriptor is owned at once.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by eventfd(2) and is ours alone.
        Ok(Wake(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    fn ring(&self) {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from `one` to our eventfd; a full counter (EAGAIN) is
        // already a ring.
        unsafe { libc::write(self.0.as_raw_fd(), one.as_ptr().cast(), 8) };
    }

    fn clear(&self) {
        let mut b = [0u8; 8];
        // SAFETY: reads at most 8 bytes into `b` from our non-blocking eventfd.
        unsafe { libc::read(self.0.as_raw_fd(), b.as_mut_ptr().cast(), 8) };
    }
}

/// With `-Z`: the thread that starts the attribution threads, kept with the capabilities a new
/// one needs to enter its namespace ([`LAUNCH_CAPS`]). Each thread it starts inherits them,
/// enters, and then keeps only [`LOOKUP_CAPS`].
pub type Launcher = crate::netns::Workers;

/// What a lookup thread needs to name other users' processes, verified on Linux 6.18: reading
/// the directory `/proc/PID/fd` (mode 0500, the process's owner) takes CAP_DAC_READ_SEARCH;
/// reading its links and `/proc/PID/ns/net` takes CAP_SYS_PTRACE (ptrace_may_access).
pub const LOOKUP_CAPS: u64 =
    1 << crate::privs::CAP_SYS_PTRACE | 1 << crate::privs::CAP_DAC_READ_SEARCH;
/// The launcher's: the lookup's, CAP_SYS_ADMIN for `setns`, and CAP_NET_RAW for the probe,
/// which each new thread opens in its namespace before it narrows to [`LOOKUP_CAPS`].
pub const LAUNCH_CAPS: u64 =
    LOOKUP_CAPS | 1 << crate::privs::CAP_SYS_ADMIN | 1 << crate::privs::CAP_NET_RAW;

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
    /// The distinct flows of `misses`.
    missed: HashSet<(u8, End, End)>,
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
            missed: HashSet::default(),
            asked: HashMap::default(),
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
        let wake = Arc::new(Wake::new()?);
        let (s, st, woken) = (shared.clone(), self.stop.clone(), wake.clone());
        let narrow = self.launcher.is_some();
        let name = label.clone();
        let gone = Gone(shared.clone());
        let body = move || {
            let _gone = gone;
            // Opened before narrowing: the probe's packet socket takes CAP_NET_RAW. Without
            // it, flows are found by listing sockets, as the writer asks and every POLL.
            let probe = match Probe::open() {
                Ok(p) => Some(p),
                Err(e) => {
                    eprintln!(
                        "nscap: warning: --process in {name}: no probe (new flows are found later): {}",
                        crate::escape::text(&e)
                    );
                    None
                }
            };
            if narrow {
                crate::privs::narrow(LOOKUP_CAPS)?;
            }
            let r = resolve_loop(inode, &s, &woken, &st, probe);
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
        self.missed.clear();
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
            if owner.is_none()
                && !self.asked.contains_key(&(proto, src, dst))
                && !t.tried(proto, src, dst)
            {
                self.misses.push((i, proto, src, dst));
            }
            self.owners.push(owner);
        }
        if self.misses.is_empty() || t.gone {
            return &self.owners;
        }
        // Each flow once: one already waiting for the pass is not asked again.
        let mut waits = false;
        for &(_, p, s, d) in &self.misses {
            let f = (p, s, d);
            if !self.missed.insert(f) {
                continue;
            }
            if t.wanted.contains(&f) {
                waits = true;
            } else if t.wanted.len() < WANTED_MAX {
                t.wanted.push(f);
                waits = true;
            }
        }
        // One fresh pass, begun after these packets were seen, answers for them all.
        let want = t.begun + 1;
        if waits {
            space.wake.ring();
        }
        let deadline = if waits { now + WAIT } else { now };
        while t.done < want && !t.gone {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            t.waiting += 1;
            t = space
                .shared
                .1
                .wait_timeout(t, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            t.waiting -= 1;
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
            s.wake.ring();
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
            s.wake.ring();
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

/// The probe: a capture of what starts a flow, on `any` in the thread's namespace.
struct Probe {
    cap: pcap::Capture<pcap::Active>,
    linktype: u16,
}

impl Probe {
    /// Opens it on the calling thread, which is in the namespace.
    fn open() -> std::result::Result<Probe, String> {
        let e = |e: pcap::Error| e.to_string();
        let mut cap = pcap::Capture::from_device("any")
            .map_err(e)?
            .snaplen(PROBE_SNAPLEN)
            .buffer_size(PROBE_BUFFER)
            .immediate_mode(true)
            .open()
            .map_err(e)?;
        cap.filter(PROBE_FILTER, true).map_err(e)?;
        let cap = cap.setnonblock().map_err(e)?;
        let linktype = u16::try_from(cap.get_datalink().0).unwrap_or(0);
        Ok(Probe { cap, linktype })
    }

    /// Appends the flow of each packet that arrived since the last call: (protocol, source,
    /// destination).
    fn read(&mut self, out: &mut Vec<(u8, End, End)>) {
        let linktype = self.linktype;
        // Non-blocking: returns at once when the ring is empty. An error (the namespace's
        // interfaces gone) leaves the flows to the writer's questions.
        let _ = self.cap.dispatch(None, |p| {
            if let Some(f) = ends(linktype, None, p.data, p.header.len) {
                out.push(f);
            }
        });
    }
}

/// Waits until `fds` has something to read or `timeout` passes (at once when zero): whether
/// the first one (the eventfd) is readable. ppoll, for a gap shorter than a millisecond.
fn wait(fds: &mut [libc::pollfd], timeout: Duration) -> bool {
    let ts = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    for f in fds.iter_mut() {
        f.revents = 0;
    }
    // SAFETY: polls our own descriptors, `fds.len()` entries; `ts` outlives the call; no
    // signal mask.
    let n = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            &ts,
            std::ptr::null(),
        )
    };
    n > 0 && fds[0].revents != 0
}

/// Appends the socket of a packet from `a` to `b`, looked up from the end that is one of the
/// namespace's addresses (`ours`), or from either when both or neither are (loopback, an
/// address added since they were read). One end only is half the netlink requests of a flow
/// whose socket is already gone, the usual miss (bench/process.sh). A failed lookup is a
/// flow left unknown, not an end of attribution.
fn find(
    diag: &mut diag::Diag,
    ours: &[IpAddr],
    (proto, a, b): (u8, End, End),
    out: &mut Vec<diag::Sock>,
) {
    let is_ours = |e: End| ours.contains(&e.0.to_canonical());
    let (from_a, from_b) = match (is_ours(a), is_ours(b)) {
        (true, false) => (true, false),
        (false, true) => (false, true),
        _ => (true, true),
    };
    let n = out.len();
    if from_a {
        let _ = diag.find(proto, a, b, out);
    }
    if from_b && out.len() == n {
        let _ = diag.find(proto, b, a, out);
    }
}

/// Runs on the namespace's thread until `stop` or its namespace leaves: a pass when the probe
/// saw a new flow, when the writer asks, while flows wait for their process, and every
/// [`FULL_EVERY`] (with a probe) or [`POLL`] (without).
fn resolve_loop(
    netns: u64,
    shared: &Shared,
    woken: &Wake,
    stop: &AtomicBool,
    mut probe: Option<Probe>,
) -> std::io::Result<()> {
    let mut diag = diag::Diag::open()?;
    let mut procs = procs::Procs::new(netns);
    let full_every = if probe.is_some() { FULL_EVERY } else { POLL };
    let mut socks = Vec::new();
    let mut listed = HashSet::default();
    let mut wanted = Vec::new();
    let mut addrs_at: Option<Instant> = None;
    let mut addrs = Vec::new();
    let mut full_at: Option<Instant> = None;
    let mut asked = Vec::new();
    let mut starts = Vec::new();
    let mut looks: Vec<(u8, End, End)> = Vec::new();
    // Sockets found whose process was not, until when they are looked for.
    let mut pending: Vec<(diag::Sock, (u8, End, End), Instant)> = Vec::new();
    let mut fresh = Vec::new();
    let mut last: Option<Instant> = None;
    // The last pass took several new flows from the probe: flows come in a stream.
    let mut streaming = false;
    let mut fds = [
        woken.0.as_raw_fd(),
        probe.as_ref().map_or(-1, |p| p.cap.as_raw_fd()),
    ]
    .map(|fd| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    });
    let polled = if probe.is_some() { 2 } else { 1 };
    loop {
        if stop.load(Ordering::Relaxed) || lock(shared).quit {
            return Ok(());
        }
        // Under a stream of new flows, passes at most every MIN_GAP, each taking what came
        // meanwhile: one read of a process's fds answers for all of its new sockets. Not
        // while processes start in the namespace: a one-shot client may be gone by then.
        // In a stream the gap is waited out first, on the eventfd alone (the writer's
        // questions do not wait for it), and the probe's flows are there after it: one
        // wake-up per pass, where waking on the first SYN and sleeping after took two.
        let starting = procs.started.is_some_and(|t| t.elapsed() < STARTING);
        let gap = |last: Option<Instant>| {
            last.map_or(Duration::ZERO, |t| MIN_GAP.saturating_sub(t.elapsed()))
        };
        let mut rung = false;
        if streaming && !starting && !gap(last).is_zero() {
            rung = wait(&mut fds[..1], gap(last));
        }
        let now = Instant::now();
        let due = full_at.map_or(Duration::ZERO, |t| {
            full_every.saturating_sub(now.duration_since(t))
        });
        let timeout = if rung {
            Duration::ZERO
        } else if pending.is_empty() {
            due
        } else {
            due.min(PENDING_GAP)
        };
        // The eventfd is cleared only when it rang: a read of an empty one is a system call
        // per pass for nothing.
        rung |= wait(&mut fds[..polled], timeout);
        if !rung && !starting && !gap(last).is_zero() {
            std::thread::sleep(gap(last));
        }
        last = Some(Instant::now());
        if rung {
            woken.clear();
        }
        starts.clear();
        if let Some(p) = probe.as_mut() {
            p.read(&mut starts);
        }
        streaming = starts.len() >= 2;
        let now = Instant::now();
        looks.clear();
        {
            let mut t = lock(shared);
            if t.quit {
                return Ok(());
            }
            t.begun += 1;
            std::mem::swap(&mut asked, &mut t.wanted);
            t.wanted.clear();
            for &(proto, src, dst) in &starts {
                if proto == 6 {
                    // A SYN: a new connection, whatever the table says of these addresses
                    // (an old one's process must not name it).
                    for f in [
                        Flow {
                            proto,
                            local: src,
                            remote: dst,
                        },
                        Flow {
                            proto,
                            local: dst,
                            remote: src,
                        },
                    ] {
                        t.flows.remove(&f);
                    }
                    // To one of our listeners: the listener's process answers for it (the
                    // accepted socket is found by the next full pass).
                    if t.bound_to(proto, dst).is_some() {
                        continue;
                    }
                } else if t.lookup(proto, src, dst).is_some() || t.tried(proto, src, dst) {
                    // A UDP flow known already; a new socket on its addresses is found by
                    // the next full pass.
                    continue;
                }
                if !looks.contains(&(proto, src, dst)) {
                    looks.push((proto, src, dst));
                }
            }
        }
        looks.append(&mut asked);
        if addrs_at.is_none_or(|t| t.elapsed() >= ADDRS_EVERY) {
            addrs = own_addrs();
            addrs_at = Some(Instant::now());
        }
        socks.clear();
        let full = full_at.is_none_or(|t| now.duration_since(t) >= full_every);
        // Each looked-up flow: the index of its socket in `socks`, if found.
        let mut found: Vec<((u8, End, End), Option<usize>)> = Vec::with_capacity(looks.len());
        if full {
            diag.dump_all(&mut socks)?;
            full_at = Some(now);
        }
        // One kernel lookup each, even in a full pass: a flow's socket must be told from the
        // others for `tried`, and the dump may have been read before its SYN went out.
        for &l in &looks {
            let n = socks.len();
            find(&mut diag, &addrs, l, &mut socks);
            found.push((l, (socks.len() > n).then_some(n)));
        }
        // The sockets still waiting for their process, unless gone since: looked up again,
        // kept while the same socket is there.
        pending.retain(|(_, _, until)| now < *until);
        pending.retain(|&(s, l, _)| {
            let n = socks.len();
            find(&mut diag, &addrs, l, &mut socks);
            let same = socks.len() > n && socks[n].inode == s.inode;
            socks.truncate(n + usize::from(same));
            same
        });
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
            for (s, _, _) in &pending {
                listed.insert(s.inode);
            }
            procs.retain(&listed);
        }
        fresh.clear();
        for (l, at) in found.iter_mut() {
            // A bound socket answers only for the namespace's own addresses: one found for a
            // packet between two others (the reversed lookup finds a wildcard listener on the
            // far end's port) is not this flow's.
            if let Some(i) = *at {
                let s = socks[i];
                let bound = if s.proto == 6 {
                    s.state == diag::LISTEN
                } else {
                    s.remote.1 == 0
                };
                let ours = |ip: IpAddr| addrs.contains(&ip.to_canonical());
                if bound && !ours(l.1 .0) && !ours(l.2 .0) {
                    *at = None;
                }
            }
        }
        for &(l, at) in &found {
            match at.map(|i| socks[i]) {
                Some(s) if s.inode != 0 && !procs.inodes.contains_key(&s.inode) => {
                    if !pending.iter().any(|(p, _, _)| p.inode == s.inode) {
                        pending.push((s, l, now + PENDING));
                    }
                    fresh.push(l);
                }
                Some(_) => {}
                None => fresh.push(l),
            }
        }
        pending.retain(|(s, _, _)| !procs.inodes.contains_key(&s.inode));
        publish(shared, &socks, &procs, &addrs, full, &fresh);
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
    tried: &[(u8, End, End)],
) {
    let now = Instant::now();
    let mut t = lock(shared);
    t.addrs.clear();
    t.addrs.extend_from_slice(addrs);
    if full {
        t.bound.clear();
        t.tried.retain(|_, at| now.duration_since(*at) < ASKED_FOR);
    }
    for &f in tried {
        t.tried.insert(f, now);
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
    if t.waiting > 0 {
        shared.1.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(pid: u32) -> Arc<Owner> {
        Arc::new(Owner::new(pid, "x", None))
    }

    /// A raw IPv4 TCP packet (link type 101) from 10.0.0.1:`sport` to 10.0.0.2:80.
    fn tcp(sport: u16) -> Vec<u8> {
        let mut p = vec![
            0x45u8, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&80u16.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
        p
    }

    fn batch(ports: impl IntoIterator<Item = u16>) -> Batch {
        let mut b = Batch::new(0);
        for port in ports {
            let p = tcp(port);
            b.push(1, 0, p.len() as u32, &p);
        }
        b
    }

    fn stage_with(space: Space) -> Stage {
        let mut st = Stage::new(None);
        st.spaces.push(Some(space));
        let iface = Interface::for_test("eth0", 101);
        st.add_handle(0, 0, &iface);
        st
    }

    fn wanted(st: &Stage) -> Vec<(u8, End, End)> {
        lock(&st.spaces[0].as_ref().unwrap().shared).wanted.clone()
    }

    /// A thread that ends before its loop (here its `setns` fails) is gone for the writer:
    /// nothing is asked of it and nobody waits for it.
    #[test]
    fn a_thread_that_ends_early_is_not_waited_for() {
        let mut st = Stage::new(None);
        st.add_space(0, File::open("/dev/null").unwrap(), 0, "nowhere".into())
            .unwrap();
        let r = st.spaces[0].as_mut().unwrap().thread.take().unwrap().join();
        assert!(matches!(r, Ok(Err(_))), "setns into /dev/null failed");
        let iface = Interface::for_test("eth0", 101);
        st.add_handle(0, 0, &iface);
        let t = Instant::now();
        assert_eq!(st.annotate(&batch([40000, 40001])), [None, None]);
        assert!(t.elapsed() < WAIT, "waited {:?}", t.elapsed());
        assert!(wanted(&st).is_empty());
    }

    /// The writer asks for each flow once: 500 packets of one flow are one question, a flow
    /// already asked is not asked again, and the questions are capped at WANTED_MAX.
    #[test]
    fn each_flow_is_asked_for_once_and_the_questions_are_capped() {
        // No thread: nothing takes the questions, so they stay to be counted.
        let space = Space {
            shared: Arc::default(),
            wake: Arc::new(Wake::new().unwrap()),
            thread: None,
        };
        let mut st = stage_with(space);
        let owners = st.annotate(&batch(std::iter::repeat_n(40000, 500)));
        assert_eq!(owners.len(), 500);
        assert_eq!(wanted(&st).len(), 1);
        // Once the writer forgot it asked (ASKED_FOR later), the pending one is not added.
        st.asked.clear();
        st.annotate(&batch([40000, 40001, 40001]));
        assert_eq!(wanted(&st).len(), 2);
        st.annotate(&batch(1000..1000 + 2 * WANTED_MAX as u16));
        assert_eq!(wanted(&st).len(), WANTED_MAX);
        // With no room left, the writer does not wait.
        let t = Instant::now();
        st.annotate(&batch([50000]));
        assert!(t.elapsed() < WAIT, "waited {:?}", t.elapsed());
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
        let i = Interface::for_test("eth0", 101);
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
