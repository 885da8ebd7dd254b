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

mod conntrack;
mod filter;
pub use filter::{Filter, Wanted};
pub mod diag;
mod lookup;
pub mod procs;
mod table;

// foldhash: seeded like std's SipHash (flows are keyed by what packets carry), a fraction of
// its cost per lookup; the writer hashes each packet's flow several times.
use foldhash::{HashMap, HashSet};
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use crate::packet::{Batch, Interface, Owner};
use lookup::{resolve_loop, Probe, Wake};
use table::{ends, lock, Endpoint, Gone, Shared};

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
/// The most flows the writer's questions hold for the next pass ([`Sockets::wanted`]): each
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

/// The attribution of one namespace: its thread and the table it fills.
struct NsLookup {
    shared: Shared,
    /// Wakes the thread (an eventfd it polls beside its probe).
    wake: Arc<Wake>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl Drop for NsLookup {
    /// Ends the thread: it keeps the namespace alive while it runs.
    fn drop(&mut self) {
        lock(&self.shared).quit = true;
        self.wake.ring();
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
    spaces: Vec<Option<NsLookup>>,
    /// By capture handle (the session's interface table): its namespace, link type and MAC.
    handles: Vec<Option<Handle>>,
    owners: Vec<Option<Arc<Owner>>>,
    misses: Vec<(usize, u8, Endpoint, Endpoint)>,
    /// The distinct flows of `misses`.
    missed: HashSet<(u8, Endpoint, Endpoint)>,
    asked: HashMap<(u8, Endpoint, Endpoint), Instant>,
    swept: Instant,
    stop: Arc<AtomicBool>,
    launcher: Option<Launcher>,
}

/// Waits on `shared` (locked as `t`) until the thread has ended pass `want`, its namespace is
/// gone, or `deadline`; counted among the waiters, whom the end of a pass wakes (`publish`).
fn wait_done<'a>(
    shared: &'a Shared,
    mut t: std::sync::MutexGuard<'a, table::Sockets>,
    want: u64,
    deadline: Instant,
) -> std::sync::MutexGuard<'a, table::Sockets> {
    while t.done < want && !t.gone {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        t.waiting += 1;
        t = shared
            .1
            .wait_timeout(t, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
        t.waiting -= 1;
    }
    t
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
        self.spaces[space] = Some(NsLookup {
            shared,
            wake,
            thread: Some(thread),
        });
        Ok(())
    }

    /// Waits, at most `timeout`, until namespace `space`'s thread has made its first pass (its
    /// probe is open, the sockets there are known): `-- COMMAND` starts only then, or its first
    /// connections would be nobody's. Whether it has.
    pub fn wait_ready(&self, space: usize, timeout: std::time::Duration) -> bool {
        let Some(Some(s)) = self.spaces.get(space) else {
            return false;
        };
        let t = wait_done(&s.shared, lock(&s.shared), 1, Instant::now() + timeout);
        t.done >= 1
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
        let t = wait_done(&space.shared, t, want, deadline);
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

#[cfg(test)]
mod tests {
    use super::table::{Flow, Known, Sockets};
    use super::*;
    use std::net::IpAddr;

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

    fn stage_with(space: NsLookup) -> Stage {
        let mut st = Stage::new(None);
        st.spaces.push(Some(space));
        let iface = Interface::for_test("eth0", 101);
        st.add_handle(0, 0, &iface);
        st
    }

    fn wanted(st: &Stage) -> Vec<(u8, Endpoint, Endpoint)> {
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
        let space = NsLookup {
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
        let mut t = Sockets {
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
