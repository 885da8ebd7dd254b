//! Live capture sources: libpcap handles opened inside target network namespaces, all driven
//! by one thread.
//!
//! Handles are opened by the [`Workers`] (a few threads that visit namespaces in turn, see
//! [`crate::netns`]): a socket stays in the namespace it was created in, wherever it is used
//! afterwards. Every handle is then read by one [`Pump`], a thread with a single-threaded tokio
//! runtime of its own, so threads do not grow with the number of targets. Packets leave it in
//! batches over a channel. Statistics are read back by the namespace workers, in each handle's namespace,
//! since libpcap reads drop counters from `/sys/class/net`.

pub mod libpcap;

use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::thread::JoinHandle;

use anyhow::{anyhow, bail, Context, Result};
use pcap::{Active, Capture, Linktype, Precision};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::{mpsc, oneshot, watch};

use crate::iface::{self, IfInfo};
use crate::packet::{Batch, Interface, Packet};

pub use crate::netns::Workers;

/// `-Q`: which direction of traffic to capture.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Inout,
}

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
    /// The source stopped on an error (interface gone, socket error).
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
    /// The capture thread stopped writing its packets itself (see [`Inline`]): a write failed
    /// (the error), or `-c` or a sink's limit was reached (none).
    Ended(Option<std::io::Error>),
}

/// Where one handle writes its packets itself, when it is the capture's only one and nothing
/// needs to see its packets first (time order between handles, `--process`): straight from
/// the ring into the sinks, on the capture thread. Never with rotation: this thread sits in
/// the target's namespaces, and files are opened (and `-z` run) where the host's paths hold. Copying each packet out for the session's
/// thread cost as much as the rest of the work for large packets (a 64 KiB segment took
/// 5-7 µs to copy, where tcpdump spends 5 µs in all to print it).
pub struct Inline {
    pub out: crate::sink::Outputs,
    /// `-c`: packets to write in all.
    pub count: Option<u64>,
    /// For an `any` handle reading Linux cooked v2: the interfaces its packets go under (see
    /// [`Opened::members`]), by index in the namespace.
    pub members: Option<Vec<(u32, usize)>>,
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

impl From<Stats> for crate::packet::Kernel {
    fn from(s: Stats) -> Self {
        crate::packet::Kernel {
            received: u64::from(s.received),
            dropped: u64::from(s.dropped),
            if_dropped: u64::from(s.if_dropped),
        }
    }
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

/// Kernel buffer memory shared by all handles when there are many: libpcap's default is
/// 2 MiB per handle, and a ring counts toward our memory once the kernel has filled it, so 100
/// namespaces would hold 200 MB.
pub const BUFFER_BUDGET: usize = 48 << 20;
/// The smallest default buffer: a few ring blocks, so the kernel can fill one while we read
/// another.
pub const BUFFER_FLOOR: usize = 256 << 10;
/// libpcap's own default.
const PCAP_DEFAULT_BUFFER: usize = 2 << 20;

/// The default buffer per handle when `n` handles share [`BUFFER_BUDGET`]; None for libpcap's
/// own default (few handles). `-B` always wins over this.
pub fn default_buffer(n: usize) -> Option<i32> {
    let share = BUFFER_BUDGET / n.max(1);
    (share < PCAP_DEFAULT_BUFFER).then(|| share.max(BUFFER_FLOOR) as i32)
}

/// A handle opened in a namespace, with what the sinks need to know of it.
pub struct Opened {
    pub cap: Capture<Active>,
    pub interface: Interface,
    /// The interface's name as the kernel has it.
    pub raw_name: String,
    /// For an `any` handle reading Linux cooked v2, whose header carries the interface index:
    /// the interfaces behind it (index in the target's namespace, the interface), by index, so
    /// that packets are filed under them, named as the target names them. Interfaces created
    /// later are not here: their packets stay under `any`.
    pub members: Vec<(u32, Interface)>,
}

/// Which interfaces to open in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Those of `-i` (all must exist), else the first up non-loopback one; an error otherwise.
    Strict,
    /// Those of `-i` that exist, else every up non-loopback one; none is fine (`--follow`:
    /// more may come).
    Every,
}

/// Opens, in the calling thread's namespace, the interfaces `names` asks for (see [`Choice`])
/// that are not in `open` already. Run it in the [`Workers`].
pub fn open_here(
    names: &[String],
    choice: Choice,
    open: &[String],
    opts: &HandleOptions,
    label: &str,
    description: &str,
) -> Result<Vec<Opened>> {
    let ifs = iface::list()?;
    let chosen: Vec<&str> = match choice {
        Choice::Strict => choose(names, &ifs, label)?,
        Choice::Every if names.is_empty() => ifs
            .iter()
            .filter(|i| i.up() && !i.loopback())
            .map(|i| i.name.as_str())
            .collect(),
        // By name only: a number means a different interface in each namespace that comes.
        Choice::Every => names
            .iter()
            .map(String::as_str)
            .filter(|n| *n == "any" || ifs.iter().any(|i| i.name == *n))
            .collect(),
    };
    let mut out = Vec::new();
    for name in chosen {
        if open.iter().any(|o| o == name) {
            continue;
        }
        let cap = match open_one(name, opts, label) {
            Ok(cap) => cap,
            // Under --follow an interface can vanish between the listing and the open.
            Err(_) if choice == Choice::Every && !iface::list()?.iter().any(|i| i.name == name) => {
                continue
            }
            Err(e) => return Err(e),
        };
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
        let mut members = Vec::new();
        if name == "any" && linktype == crate::link::LINKTYPE_LINUX_SLL2 {
            members = ifs
                .iter()
                .map(|i| (i.index, interface(i.name.as_bytes(), None)))
                .collect();
        }
        out.push(Opened {
            interface: interface(name.as_bytes(), mac),
            cap,
            raw_name: name.to_string(),
            members,
        });
    }
    Ok(out)
}

/// Reads libpcap's counters of handles, in the calling thread's namespace (see the module
/// docs). Run it in the [`Workers`], in the handles' namespace.
pub fn stats_here(caps: &mut [(usize, Capture<Active>)]) -> Vec<(usize, Option<Stats>)> {
    caps.iter_mut().map(|(i, c)| (*i, read_stats(c))).collect()
}

/// Orders for the pump.
enum Cmd {
    /// Start reading these handles; each is the interface with that index. With [`Inline`],
    /// the one handle writes its packets itself.
    Add(Vec<(usize, Capture<Active>)>, Option<Inline>),
    /// Stop reading these interfaces (what their rings hold is still sent), and hand the
    /// handles back.
    Leave(Vec<usize>, oneshot::Sender<Vec<(usize, Capture<Active>)>>),
}

/// The one thread that reads every handle.
pub struct Pump {
    remote: Remote,
    thread: JoinHandle<Vec<(usize, Capture<Active>)>>,
}

/// Orders for a [`Pump`], from anywhere.
#[derive(Clone)]
pub struct Remote {
    cmds: mpsc::UnboundedSender<Cmd>,
}

impl Remote {
    /// Starts reading `caps`; `inline` is for one handle alone.
    pub fn add(&self, caps: Vec<(usize, Capture<Active>)>, inline: Option<Inline>) {
        if !caps.is_empty() {
            let inline = inline.filter(|_| caps.len() == 1);
            let _ = self.cmds.send(Cmd::Add(caps, inline));
        }
    }

    /// Stops reading `ifaces` and returns their handles (none when the pump has ended).
    pub async fn leave(&self, ifaces: Vec<usize>) -> Vec<(usize, Capture<Active>)> {
        let (tx, rx) = oneshot::channel();
        let _ = self.cmds.send(Cmd::Leave(ifaces, tx));
        rx.await.unwrap_or_default()
    }
}

impl Pump {
    /// Starts the thread. Packets and failures go to `events`; raising `stop` ends every source
    /// (each sends what arrived before the stop), then the thread.
    ///
    /// Counters read during the capture (for progress) must describe the target's interfaces:
    /// libpcap reads drop counters from `/sys/class/net` in promiscuous mode. With `home` (one
    /// target namespace) the thread enters it with a private sysfs, as the namespace workers do, and
    /// reads them every [`STATS_EVERY`]; with several it does so only when `promisc` is off,
    /// and the counters come at the end (or as interfaces leave), read by the workers.
    pub fn start(
        immediate: bool,
        promisc: bool,
        home: Option<(std::fs::File, String)>,
        events: mpsc::Sender<Event>,
        stop: watch::Receiver<bool>,
    ) -> Result<Pump> {
        let periodic = home.is_some() || !promisc;
        let (cmds, rx) = mpsc::unbounded_channel();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("cannot start the capture runtime")?;
        let thread = std::thread::Builder::new()
            .name("nscap-capture".into())
            .spawn(move || {
                // Stop signals belong to the session's thread (see crate::stop).
                crate::stop::block_in_this_thread();
                // It writes the outputs when one handle writes its packets itself.
                let _writer = crate::stop::writes_here();
                // It opens nothing: only the sysfs that libpcap reads counters from matters.
                let periodic = periodic
                    && home
                        .as_ref()
                        .is_none_or(|(ns, label)| crate::netns::enter(ns, label).is_ok());
                let local = tokio::task::LocalSet::new();
                local.block_on(&rt, control(rx, immediate, periodic, events, stop))
            })
            .context("cannot start the capture thread")?;
        Ok(Pump {
            remote: Remote { cmds },
            thread,
        })
    }

    pub fn remote(&self) -> Remote {
        self.remote.clone()
    }

    /// After `stop` was raised: waits for the thread and returns the handles still open.
    pub fn join(self) -> Result<Vec<(usize, Capture<Active>)>> {
        drop(self.remote);
        self.thread
            .join()
            .map_err(|_| anyhow!("capture thread failed"))
    }
}

type Running = HashMap<
    usize,
    (
        oneshot::Sender<()>,
        tokio::task::JoinHandle<Capture<Active>>,
    ),
>;

async fn control(
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    immediate: bool,
    periodic: bool,
    events: mpsc::Sender<Event>,
    mut stop: watch::Receiver<bool>,
) -> Vec<(usize, Capture<Active>)> {
    let mut running: Running = HashMap::new();
    let mut stopping = false;
    loop {
        let cmd = if stopping {
            // Orders sent before the stop still count: handles given to read are read (what
            // their rings hold) and come back with their counters, not dropped unread.
            match cmds.try_recv() {
                Ok(c) => c,
                Err(_) => break,
            }
        } else {
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => {
                    stopping = true;
                    continue;
                }
                c = cmds.recv() => match c {
                    Some(c) => c,
                    None => break,
                },
            }
        };
        match cmd {
            Cmd::Add(caps, mut inline) => {
                for (idx, cap) in caps {
                    let (leave_tx, leave_rx) = oneshot::channel();
                    let src = Source {
                        cap,
                        idx,
                        immediate,
                        periodic,
                        events: events.clone(),
                        // Until packets tell: as large as a TCP segment offloaded.
                        packet_size: 64 * 1024,
                        inline: inline.take(),
                    };
                    let task = tokio::task::spawn_local(src.pump(stop.clone(), leave_rx));
                    running.insert(idx, (leave_tx, task));
                }
            }
            Cmd::Leave(ifaces, reply) => {
                let leaving: Vec<_> = ifaces
                    .iter()
                    .filter_map(|i| running.remove(i).map(|r| (*i, r)))
                    .collect();
                // Waited for apart, so that other sources and orders go on meanwhile.
                tokio::task::spawn_local(async move {
                    let mut out = Vec::new();
                    for (idx, (leave, task)) in leaving {
                        let _ = leave.send(());
                        if let Ok(cap) = task.await {
                            out.push((idx, cap));
                        }
                    }
                    let _ = reply.send(out);
                });
            }
        }
    }
    drop(events);
    let mut out = Vec::new();
    for (idx, (_leave, task)) in running {
        if let Ok(cap) = task.await {
            out.push((idx, cap));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
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
        let name = match by_name_or_number(n, ifs) {
            Some(name) => name,
            None => bail!(
                "no interface '{n}' in {label}{}; it has: {}",
                crate::suggest::did_you_mean(n, ifs.iter().map(|i| i.name.as_str())),
                iface::names(ifs)
            ),
        };
        if out.contains(&name) {
            bail!("interface '{n}' given twice");
        }
        out.push(name);
    }
    Ok(out)
}

/// The interface `-i` names: by its name, `any`, or else by the number `-D` shows for it (its
/// index), as tcpdump takes it. A name wins: Linux allows an interface named `2`.
fn by_name_or_number<'a>(n: &'a str, ifs: &'a [IfInfo]) -> Option<&'a str> {
    if n == "any" {
        return Some(n);
    }
    if let Some(i) = ifs.iter().find(|i| i.name == n) {
        return Some(i.name.as_str());
    }
    let index: u32 = n
        .parse()
        .ok()
        .filter(|_| n.bytes().all(|b| b.is_ascii_digit()))?;
    ifs.iter()
        .find(|i| i.index == index)
        .map(|i| i.name.as_str())
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
        if let Some(w) = crate::capture::libpcap::set_tstamp_type(&inactive, t, &shown)? {
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
            let _ = cap.set_datalink(Linktype(i32::from(crate::link::LINKTYPE_LINUX_SLL2)));
        }
        None => {}
    }
    // A filter always, as tcpdump does, an empty one when none is given: the kernel runs it
    // on each packet and keeps only what it returns, the snapshot length. With no filter at
    // all, libpcap's TPACKET_V3 ring stores each packet whole, up to a ring block (4 KiB at a
    // short -s): a TCP stream's 64 KiB GSO packets then took a block each, the default 2 MiB
    // ring held 512 of them, and nscap woke every few packets and lost 4-15 % of a stream
    // that tcpdump kept whole.
    match &opts.filter {
        Some(f) => cap
            .filter(f, true)
            .map_err(|e| anyhow!("invalid filter '{f}': {}", pcap_message(&e)))?,
        // A link type libpcap cannot generate code for: captured whole, as before.
        None => {
            let _ = cap.filter("", true);
        }
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

/// Closes the handles side by side. Closing a packet socket waits for an RCU grace period
/// (`synchronize_net` in the kernel's `packet_release`), some 30 ms here: one after another,
/// 200 interfaces took 8.6 s to stop; on threads of their own the waits overlap. At most
/// [`CLOSERS`] threads, each closing its share, keep 500 handles from meaning 500 threads.
pub fn close_all<T: Send>(caps: Vec<T>) {
    if caps.len() < 2 {
        return;
    }
    let per = caps.len().div_ceil(CLOSERS);
    let mut caps = caps;
    std::thread::scope(|scope| {
        while !caps.is_empty() {
            let share: Vec<T> = caps.drain(..per.min(caps.len())).collect();
            let closer = std::thread::Builder::new().name("nscap-close".into());
            // A thread that cannot start drops the handles it was given at once: slower,
            // never wrong.
            let _ = closer.spawn_scoped(scope, move || {
                crate::stop::block_in_this_thread();
                for cap in share {
                    drop(cap);
                }
            });
        }
    });
}

/// Threads that close handles at the end.
const CLOSERS: usize = 256;

/// libpcap's counters of `cap`; `None` when it could not read them.
fn read_stats(cap: &mut Capture<Active>) -> Option<Stats> {
    cap.stats().ok().map(|s| Stats {
        received: s.received,
        dropped: s.dropped,
        if_dropped: s.if_dropped,
    })
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
    /// Read the counters every [`STATS_EVERY`] (see [`Pump::start`]).
    periodic: bool,
    events: mpsc::Sender<Event>,
    /// The largest of the packets last read, to bound a batch's bytes.
    packet_size: usize,
    /// Its packets are written here, on this thread, rather than sent.
    inline: Option<Inline>,
}

impl Source {
    /// How many packets one libpcap call may take when `held` bytes are gathered already: at
    /// most what fits in a batch's byte bound (and its room, [`crate::packet::CAPTURE_BYTES`]),
    /// judged by the largest packet last read; 256 TCP segments of 64 KiB would make 16 MiB.
    fn per_call(&self, held: usize) -> usize {
        (BATCH_BYTES.saturating_sub(held) / self.packet_size.max(64)).clamp(1, DISPATCH_PACKETS)
    }

    /// Reads what the ring holds now, in batches. With `until`, packets stamped later than
    /// that instant (they arrived after the stop) are left out.
    async fn read_ready(&mut self, until: Option<(i64, u32)>) -> Round {
        if self.inline.is_some() {
            return self.write_ready(until).await;
        }
        let mut batch = Batch::for_capture(self.idx);
        let round = loop {
            // pcap_dispatch hands over what a ring block holds in one call, where
            // pcap_next_ex would pay its set-up per packet.
            let count = self.per_call(batch.bytes());
            let mut largest = 0;
            let res = self.cap.dispatch(Some(count), |p| {
                let h = p.header;
                let ts = (h.ts.tv_sec, h.ts.tv_usec as u32);
                if until.is_none_or(|u| ts <= u) {
                    batch.push(ts.0, ts.1, h.len, p.data);
                }
                largest = largest.max(p.data.len());
            });
            if largest > 0 {
                self.packet_size = largest;
            }
            match res {
                Ok(0) => break Round::Drained,
                Ok(_) => {
                    if batch.len() >= BATCH_PACKETS || batch.bytes() >= BATCH_BYTES {
                        let full = std::mem::replace(&mut batch, Batch::for_capture(self.idx));
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

    /// [`Source::read_ready`] for a source that writes its packets itself (see [`Inline`]):
    /// each packet goes to the sinks from the ring, and the sinks are flushed after as many
    /// packets as a batch holds, and when the ring has nothing more.
    async fn write_ready(&mut self, until: Option<(i64, u32)>) -> Round {
        let mut unflushed = (0, 0);
        loop {
            let (round, ended) = self.write_some(until, &mut unflushed);
            if let Some(error) = ended {
                if self.events.send(Event::Ended(error)).await.is_err() {
                    return Round::Closed;
                }
            }
            if let Some(round) = round {
                return round;
            }
        }
    }

    /// One libpcap call's packets to the sinks, which are held meanwhile: a ring block's worth
    /// at most, about as much as the session writes in one go when it writes batches.
    /// `unflushed` counts packets and bytes since the last flush. Returns how the round ended,
    /// if it did, and how writing ended, if it did now: on an error, or at a limit (`None`).
    fn write_some(
        &mut self,
        until: Option<(i64, u32)>,
        unflushed: &mut (usize, usize),
    ) -> (Option<Round>, Option<Option<std::io::Error>>) {
        let Some(inline) = self.inline.as_ref() else {
            return (Some(Round::Drained), None);
        };
        let count = self.per_call(0);
        let (mut largest, mut ended) = (0, None);
        let mut out = crate::sink::lock(&inline.out);
        let res = self.cap.dispatch(Some(count), |p| {
            let h = p.header;
            largest = largest.max(p.data.len());
            let ts = (h.ts.tv_sec, h.ts.tv_usec as u32);
            if !out.writing || until.is_some_and(|u| ts > u) {
                return;
            }
            let mut pkt = Packet {
                iface: self.idx,
                ts_sec: ts.0,
                ts_nsec: ts.1,
                len: h.len,
                data: p.data,
            };
            if let Some(m) = &inline.members {
                pkt.iface = crate::sink::member_of(m, p.data).unwrap_or(pkt.iface);
            }
            let r = out.packet(&pkt, None);
            if !matches!(r, Ok(false)) {
                // Taken, or failed on the way: counted as the session counts a batch.
                out.written += 1;
                unflushed.0 += 1;
                unflushed.1 += p.data.len();
            }
            let limit = inline.count.is_some_and(|c| out.written >= c) || out.exhausted();
            match r {
                Err(e) => ended = Some(Some(e)),
                Ok(false) => ended = Some(None),
                Ok(true) if limit => ended = Some(None),
                Ok(true) => {}
            }
            if ended.is_some() {
                out.writing = false;
            }
        });
        if largest > 0 {
            self.packet_size = largest;
        }
        let round = match res {
            Ok(0) => Some(Round::Drained),
            Ok(_) => None,
            Err(e) => Some(Round::Failed(pcap_message(&e))),
        };
        // After a batch's worth, and at the end of the round, as the session flushes after
        // each batch.
        let (packets, bytes) = *unflushed;
        if packets > 0 && (round.is_some() || packets >= BATCH_PACKETS || bytes >= BATCH_BYTES) {
            *unflushed = (0, 0);
            if let Err(e) = out.flush() {
                if out.writing {
                    out.writing = false;
                    ended = Some(Some(e));
                }
            }
        }
        (round, ended)
    }

    async fn fail(&self, message: String) {
        let iface = self.idx;
        let _ = self.events.send(Event::Failed { iface, message }).await;
    }

    /// Reads until `stop` is raised or this source is told to `leave` (see [`Source::run`]);
    /// returns the handle, which the caller reads statistics from and closes.
    async fn pump(
        mut self,
        stop: watch::Receiver<bool>,
        leave: oneshot::Receiver<()>,
    ) -> Capture<Active> {
        self.run(stop, leave).await;
        // Where this thread's counters describe the right interfaces (`periodic`), the last
        // reading goes to the session now: it needs no privilege here, where reading them
        // later inside the namespace needs CAP_SYS_ADMIN, which -Z has taken.
        if self.periodic {
            if let Some(stats) = read_stats(&mut self.cap) {
                let iface = self.idx;
                let _ = self.events.send(Event::Stats { iface, stats }).await;
            }
        }
        self.cap
    }

    /// Reads until `stop` is raised, `leave` fires, the writer goes away, or the handle fails.
    async fn run(&mut self, mut stop: watch::Receiver<bool>, mut leave: oneshot::Receiver<()>) {
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
                return;
            }
        };
        let mut stats_tick = tokio::time::interval(STATS_EVERY);
        let mut last = None;
        loop {
            let mut guard = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return self.finish(&fd, false).await,
                _ = &mut leave => return self.finish(&fd, false).await,
                _ = stats_tick.tick(), if self.periodic => {
                    let stats = read_stats(&mut self.cap);
                    if stats.is_some() && stats != last {
                        last = stats;
                        let Some(stats) = stats else { continue };
                        // Never waits: a full channel means the writer is busy, and the next
                        // reading will do.
                        let _ = self.events.try_send(Event::Stats { iface: self.idx, stats });
                    }
                    continue;
                }
                g = fd.ready(Interest::READABLE | Interest::ERROR) => match g {
                    Ok(g) => g,
                    Err(_) => return,
                },
            };
            match self.read_ready(None).await {
                Round::Drained => guard.clear_ready(),
                Round::Closed => return,
                Round::Failed(message) => {
                    drop(guard);
                    // What the kernel still holds comes out before the failure is reported.
                    self.finish(&fd, true).await;
                    self.fail(message).await;
                    // Stay until told: the handle goes back to the session with the others.
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => {}
                        _ = leave => {}
                    }
                    return;
                }
            }
        }
    }

    /// The end of a capture: every packet that arrived before now,
    /// including those still in a ring block the kernel hands over only when it times out, so
    /// that nothing captured is dropped silently and nothing after the stop is added.
    /// After a failure the descriptor stays in error: wait out the block timeout instead.
    async fn finish(&mut self, fd: &AsyncFd<Fd>, failed: bool) {
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
                    Round::Closed | Round::Failed(_) => return,
                }
            }
        }
        self.read_ready(until).await;
    }
}
