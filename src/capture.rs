//! Live capture sources: libpcap handles opened inside a target's network namespace.
//!
//! One thread per target namespace enters it (see [`crate::netns`]), opens a handle per
//! interface there, and drives them with a single-threaded tokio runtime of its own: the thread
//! never serves anything else, so nothing outside it ever runs in the target's namespace.
//! Packets leave the thread in batches over a channel; statistics are read on the same thread
//! at the end, so libpcap's sysfs look-ups see the target's interfaces.

use std::os::fd::{AsRawFd, RawFd};
use std::thread::JoinHandle;

use anyhow::{anyhow, bail, Context, Result};
use pcap::{Active, Capture, Linktype, Precision};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::{mpsc, watch};

use crate::cli::{Config, Direction};
use crate::iface::{self, IfInfo};
use crate::packet::{Batch, Interface};
use crate::target::Target;

/// Batches are sent when they reach either bound, or when the ring has nothing more.
const BATCH_PACKETS: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;
/// Packets taken from libpcap per call: bounds a batch even when frames are 64 KiB each.
const DISPATCH_PACKETS: usize = 256;

/// The ring-block timeout given to libpcap, in milliseconds. A block is handed to user space
/// when it is full or this old.
const BLOCK_TIMEOUT_MS: u64 = 100;

/// What a source tells the writer.
pub enum Event {
    Packets(Batch),
    /// The source stopped on an error (interface gone, socket error): the capture ends.
    Failed {
        iface: usize,
        message: String,
    },
    /// An interface's counters so far, sent when they change (at most [`STATS_EVERY`]): for
    /// the live counter, SIGUSR1 and the statistics blocks of rotated files.
    Stats {
        iface: usize,
        stats: Stats,
    },
}

/// How often a source reads its counters during the capture.
pub const STATS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Counters of one interface at the end, as libpcap reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub received: u32,
    pub dropped: u32,
    pub if_dropped: u32,
}

/// How the handles are opened: the parts of [`Config`] that concern libpcap.
#[derive(Debug, Clone)]
pub struct HandleOptions {
    pub snaplen: u32,
    pub promisc: bool,
    pub buffer_bytes: Option<i32>,
    pub immediate: bool,
    pub direction: Option<Direction>,
    pub filter: Option<String>,
    /// `-y`: the DLT to capture with.
    pub datalink: Option<i32>,
    /// `-j`: the time stamp type to capture with.
    pub tstamp_type: Option<i32>,
}

impl HandleOptions {
    pub fn from_config(cfg: &Config) -> HandleOptions {
        HandleOptions {
            snaplen: cfg.snaplen,
            promisc: cfg.promisc,
            buffer_bytes: cfg.buffer_bytes,
            // Packet-buffered output, and a person watching a terminal, want each packet now,
            // not when a ring block fills or times out.
            // --process: a packet must reach the lookup while its socket still exists, which
            // for a short-lived connection is well under a ring block's timeout.
            immediate: cfg.packet_buffered
                || cfg.process
                || cfg.immediate
                || (cfg.print && std::io::IsTerminal::is_terminal(&std::io::stdout())),
            direction: cfg.direction,
            filter: cfg.filter.clone(),
            datalink: cfg.datalink,
            tstamp_type: cfg.tstamp_type,
        }
    }
}

/// The real interfaces behind an `any` handle that reads Linux cooked v2 frames, whose header
/// carries the interface index: packets are filed under them, by index, named as the target
/// names them (the reading host may have other interfaces under those indexes).
#[derive(Debug, Clone)]
pub struct AnyMembers {
    /// The `any` handle's position among this namespace's interfaces.
    pub handle: usize,
    /// (interface index in the target's namespace, the interface), by index.
    pub members: Vec<(u32, Interface)>,
}

/// The capture running in one target namespace.
pub struct NsCapture {
    pub interfaces: Vec<Interface>,
    pub any_members: Vec<AnyMembers>,
    thread: JoinHandle<Result<Vec<Stats>>>,
}

impl NsCapture {
    /// Enters `target`'s namespace, opens `names` there (the default interface when empty) and
    /// starts reading. `first` is the index of its first interface in the session's table.
    /// Returns once every handle is open, or with the first error.
    pub fn start(
        target: &Target,
        names: &[String],
        opts: &HandleOptions,
        first: usize,
        events: mpsc::Sender<Event>,
        stop: watch::Receiver<bool>,
    ) -> Result<NsCapture> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let names = names.to_vec();
        let opts = opts.clone();
        let label = target.label.clone();
        let description = target.description();
        let netns = target.netns.try_clone()?;
        let thread = crate::netns::spawn(netns, label.clone(), "nscap-capture", move || {
            let opened = open_all(&names, &opts, &label, &description);
            let caps = match opened {
                Ok((caps, ifs, any)) => {
                    let _ = ready_tx.send(Ok((ifs, any)));
                    caps
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Ok(Vec::new());
                }
            };
            pump_all(caps, opts.immediate, first, events, stop)
        })?;
        match ready_rx.recv() {
            Ok(Ok((interfaces, any_members))) => Ok(NsCapture {
                interfaces,
                any_members,
                thread,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            // The thread ended without a word: it failed to enter the namespace.
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                _ => anyhow!("namespace thread failed"),
            }),
        }
    }

    /// Waits for the sources to stop (after `stop` was raised) and returns their counters.
    pub fn join(self) -> Result<Vec<Stats>> {
        self.thread
            .join()
            .map_err(|_| anyhow!("capture thread failed"))?
    }
}

fn linktype_name(lt: Linktype) -> String {
    match (lt.get_name(), lt.get_description()) {
        (Ok(n), Ok(d)) => format!("{n} ({d})"),
        (Ok(n), Err(_)) => n,
        _ => format!("{}", lt.0),
    }
}

/// The `listening on` line tcpdump prints, naming the target too; escaped, since both names
/// come from outside.
pub fn listening_line(i: &Interface, who: &str) -> String {
    crate::escape::text(&format!(
        "listening on {} in {who}, link-type {}, snapshot length {} bytes",
        crate::escape::name(i.name.as_bytes()),
        linktype_name(Linktype(crate::link::dlt_of_linktype(i.linktype))),
        i.snaplen
    ))
}

/// Picks the interfaces to open: the ones asked for, checked against what the namespace has.
pub(crate) fn choose<'a>(
    names: &'a [String],
    ifs: &'a [IfInfo],
    label: &str,
) -> Result<Vec<&'a str>> {
    if names.is_empty() {
        return match iface::default_of(ifs) {
            Some(i) => Ok(vec![i.name.as_str()]),
            None => bail!(
                "{label} has no interface that is up and not loopback (it has: {}); choose one with -i",
                iface::names(ifs)
            ),
        };
    }
    let mut out: Vec<&str> = Vec::new();
    for n in names {
        if n != "any" && !ifs.iter().any(|i| &i.name == n) {
            bail!(
                "no interface '{n}' in {label}; it has: {}",
                iface::names(ifs)
            );
        }
        if out.contains(&n.as_str()) {
            bail!("interface '{n}' given twice");
        }
        out.push(n);
    }
    Ok(out)
}

type Opened = (Vec<Capture<Active>>, Vec<Interface>, Vec<AnyMembers>);

fn open_all(
    names: &[String],
    opts: &HandleOptions,
    label: &str,
    description: &str,
) -> Result<Opened> {
    let ifs = iface::list()?;
    let chosen = choose(names, &ifs, label)?;
    let mut caps = Vec::new();
    let mut out = Vec::new();
    let mut any = Vec::new();
    for (pos, name) in chosen.into_iter().enumerate() {
        let cap = open_one(name, opts, label)?;
        let mac = ifs.iter().find(|i| i.name == name).and_then(|i| i.mac);
        // Files carry LINKTYPE numbers; a tun device reports DLT_RAW (12), files say 101.
        let linktype = crate::link::linktype_of_dlt(cap.get_datalink().0);
        let interface = |name: &[u8], mac| Interface {
            // As the namespace names it: files keep it whole; printers escape it.
            name: String::from_utf8_lossy(name).into_owned(),
            linktype,
            snaplen: opts.snaplen,
            description: description.to_string(),
            mac,
        };
        if name == "any" && linktype == crate::summary::decode::LINKTYPE_LINUX_SLL2 {
            // Interfaces created later are not here: their packets stay under `any`.
            let members = ifs
                .iter()
                .map(|i| (i.index, interface(i.name.as_bytes(), None)))
                .collect();
            any.push(AnyMembers {
                handle: pos,
                members,
            });
        }
        out.push(interface(name.as_bytes(), mac));
        caps.push(cap);
    }
    Ok((caps, out, any))
}

fn open_one(name: &str, opts: &HandleOptions, label: &str) -> Result<Capture<Active>> {
    let snaplen = i32::try_from(opts.snaplen).unwrap_or(i32::MAX);
    let mut inactive = Capture::from_device(name)
        .map_err(|e| anyhow!("{name} in {label}: {e}"))?
        .snaplen(snaplen)
        .promisc(opts.promisc)
        .precision(Precision::Nano)
        .immediate_mode(opts.immediate)
        // Not a deadline on Linux: how long a ring block may wait before it is handed over.
        .timeout(BLOCK_TIMEOUT_MS as i32);
    if let Some(b) = opts.buffer_bytes {
        inactive = inactive.buffer_size(b);
    }
    if let Some(t) = opts.tstamp_type {
        let shown = crate::escape::name(name.as_bytes());
        if let Some(w) = crate::pcapx::set_tstamp_type(&inactive, t, &shown)? {
            eprintln!("nscap: warning: {w}");
        }
    }
    let mut cap = inactive.open().map_err(|e| open_error(name, label, e))?;
    match opts.datalink {
        Some(d) => cap.set_datalink(Linktype(d)).map_err(|e| {
            let shown = crate::escape::name(name.as_bytes());
            anyhow!("{shown} in {label}: -y: {}", pcap_message(&e))
        })?,
        // Linux cooked v2 names each packet's interface by index, which `any` alone would
        // lose (libpcap 1.10 and later offer it there; older ones keep v1).
        None if name == "any" => {
            let _ = cap.set_datalink(Linktype(i32::from(
                crate::summary::decode::LINKTYPE_LINUX_SLL2,
            )));
        }
        None => {}
    }
    if let Some(f) = &opts.filter {
        cap.filter(f, true)
            .map_err(|e| anyhow!("invalid filter '{f}': {}", pcap_message(&e)))?;
    }
    if let Some(d) = opts.direction {
        let dir = match d {
            Direction::In => pcap::Direction::In,
            Direction::Out => pcap::Direction::Out,
            Direction::Inout => pcap::Direction::InOut,
        };
        cap.direction(dir)
            .map_err(|e| anyhow!("{name} in {label}: cannot set direction: {e}"))?;
    }
    cap.setnonblock()
        .map_err(|e| anyhow!("{name} in {label}: cannot set non-blocking mode: {e}"))
}

fn pcap_message(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(m) => m.clone(),
        other => other.to_string(),
    }
}

fn open_error(name: &str, label: &str, e: pcap::Error) -> anyhow::Error {
    let m = pcap_message(&e);
    if packet_socket_denied() {
        anyhow!("cannot capture on {name} in {label}: permission denied (needs CAP_NET_RAW): {m}")
    } else {
        anyhow!("cannot capture on {name} in {label}: {m}")
    }
}

/// Whether a failed open was for lack of privilege. libpcap knows (PCAP_ERROR_PERM_DENIED),
/// but the pcap crate keeps only its message, whose words vary between libpcap versions; so
/// this asks the kernel what libpcap asked first, on the same thread: may we open a packet
/// socket? EPERM or EACCES there is the missing capability.
fn packet_socket_denied() -> bool {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
    match socket(
        AddressFamily::Packet,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        None,
    ) {
        Ok(_socket) => false,
        Err(e) => crate::error::denied(&std::io::Error::from(e)),
    }
}

struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

fn pump_all(
    caps: Vec<Capture<Active>>,
    immediate: bool,
    first: usize,
    events: mpsc::Sender<Event>,
    stop: watch::Receiver<bool>,
) -> Result<Vec<Stats>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot start the capture runtime")?;
    let local = tokio::task::LocalSet::new();
    let handles: Vec<_> = caps
        .into_iter()
        .enumerate()
        .map(|(i, cap)| {
            let src = Source {
                cap,
                idx: first + i,
                immediate,
                events: events.clone(),
            };
            local.spawn_local(src.pump(stop.clone()))
        })
        .collect();
    drop(events);
    let (stats, caps): (Vec<Stats>, Vec<_>) = local.block_on(&rt, async move {
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(match h.await {
                Ok((stats, cap)) => (stats, Some(cap)),
                Err(_) => (Stats::default(), None),
            });
        }
        out.into_iter().unzip()
    });
    close_all(caps.into_iter().flatten().collect());
    Ok(stats)
}

/// Closes the handles side by side. Closing a packet socket waits for an RCU grace period
/// (`synchronize_net` in the kernel's `packet_release`), some 30 ms here: one after another,
/// 200 interfaces took 8.6 s to stop; on threads of their own the waits overlap.
fn close_all(caps: Vec<Capture<Active>>) {
    if caps.len() < 2 {
        return;
    }
    std::thread::scope(|scope| {
        for cap in caps {
            let closer = std::thread::Builder::new().name("nscap-close".into());
            // A thread that cannot start drops the handle it was given at once: slower,
            // never wrong.
            let _ = closer.spawn_scoped(scope, move || drop(cap));
        }
    });
}

fn read_stats(cap: &mut Capture<Active>) -> Stats {
    match cap.stats() {
        Ok(s) => Stats {
            received: s.received,
            dropped: s.dropped,
            if_dropped: s.if_dropped,
        },
        Err(_) => Stats::default(),
    }
}

/// How a round of reading ended.
enum Round {
    /// The ring has nothing more for now.
    Drained,
    /// The writer is gone: stop quietly.
    Closed,
    /// libpcap reported an error (interface gone, socket error).
    Failed(String),
}

/// One capture handle and where its packets go.
struct Source {
    cap: Capture<Active>,
    idx: usize,
    immediate: bool,
    events: mpsc::Sender<Event>,
}

impl Source {
    /// Reads what the ring holds now, in batches. With `until`, packets stamped later than
    /// that instant (they arrived after the stop) are left out.
    async fn read_ready(&mut self, until: Option<(i64, u32)>) -> Round {
        let mut batch = Batch::new(self.idx);
        let round = loop {
            // pcap_dispatch hands over what a ring block holds in one call, where
            // pcap_next_ex would pay its set-up per packet; the count bounds a batch's size.
            let res = self.cap.dispatch(Some(DISPATCH_PACKETS), |p| {
                let h = p.header;
                let ts = (h.ts.tv_sec, h.ts.tv_usec as u32);
                if until.is_none_or(|u| ts <= u) {
                    batch.push(ts.0, ts.1, h.len, p.data);
                }
            });
            match res {
                Ok(0) => break Round::Drained,
                Ok(_) => {
                    if batch.len() >= BATCH_PACKETS || batch.bytes() >= BATCH_BYTES {
                        let full = std::mem::replace(&mut batch, Batch::new(self.idx));
                        if self.events.send(Event::Packets(full)).await.is_err() {
                            return Round::Closed;
                        }
                    }
                }
                Err(e) => break Round::Failed(pcap_message(&e)),
            }
        };
        if !batch.is_empty() && self.events.send(Event::Packets(batch)).await.is_err() {
            return Round::Closed;
        }
        round
    }

    async fn fail(&self, message: String) {
        let iface = self.idx;
        let _ = self.events.send(Event::Failed { iface, message }).await;
    }

    /// Reads until `stop` is raised, the writer goes away, or the handle fails; returns the
    /// handle's counters.
    /// Reads until stopped (see [`Source::run`]); returns the counters and the handle, which the
    /// caller closes together with the others.
    async fn pump(mut self, stop: watch::Receiver<bool>) -> (Stats, Capture<Active>) {
        let stats = self.run(stop).await;
        (stats, self.cap)
    }

    async fn run(&mut self, mut stop: watch::Receiver<bool>) -> Stats {
        // SAFETY: the descriptor belongs to `self.cap`, which outlives `fd`: both are dropped
        // when this function returns, `fd` (declared later) first.
        let registered = unsafe {
            AsyncFd::register_with_interest(
                Fd(self.cap.as_raw_fd()),
                Interest::READABLE | Interest::ERROR,
            )
        };
        let fd = match registered {
            Ok(fd) => fd,
            Err(e) => {
                self.fail(format!("cannot poll the capture: {e}")).await;
                return read_stats(&mut self.cap);
            }
        };
        let mut stats_tick = tokio::time::interval(STATS_EVERY);
        let mut last = Stats::default();
        loop {
            let mut guard = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return self.finish(&fd, false).await,
                _ = stats_tick.tick() => {
                    let stats = read_stats(&mut self.cap);
                    if stats != last {
                        last = stats;
                        // Never waits: a full channel means the writer is busy, and the next
                        // reading will do.
                        let _ = self.events.try_send(Event::Stats { iface: self.idx, stats });
                    }
                    continue;
                }
                g = fd.ready(Interest::READABLE | Interest::ERROR) => match g {
                    Ok(g) => g,
                    Err(_) => return read_stats(&mut self.cap),
                },
            };
            match self.read_ready(None).await {
                Round::Drained => guard.clear_ready(),
                Round::Closed => return read_stats(&mut self.cap),
                Round::Failed(message) => {
                    drop(guard);
                    // What the kernel still holds comes out before the failure is reported.
                    let stats = self.finish(&fd, true).await;
                    self.fail(message).await;
                    return stats;
                }
            }
        }
    }

    /// The end of a capture: counters as of now, then every packet that arrived before now,
    /// including those still in a ring block the kernel hands over only when it times out, so
    /// that nothing captured is dropped silently and nothing after the stop is added.
    /// After a failure the descriptor stays in error: wait out the block timeout instead.
    async fn finish(&mut self, fd: &AsyncFd<Fd>, failed: bool) -> Stats {
        let stats = read_stats(&mut self.cap);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let until = Some((now.as_secs() as i64, now.subsec_nanos()));
        let grace = std::time::Duration::from_millis(BLOCK_TIMEOUT_MS + 20);
        if failed {
            tokio::time::sleep(grace).await;
        } else if !self.immediate {
            let deadline = tokio::time::Instant::now() + grace;
            loop {
                let guard = tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => break,
                    g = fd.ready(Interest::READABLE | Interest::ERROR) => g,
                };
                let Ok(mut guard) = guard else { break };
                match self.read_ready(until).await {
                    Round::Drained => guard.clear_ready(),
                    Round::Closed | Round::Failed(_) => return stats,
                }
            }
        }
        self.read_ready(until).await;
        stats
    }
}
