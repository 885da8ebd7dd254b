//! A live capture session: target → sources → sinks, until a signal, a count, a closed pipe,
//! a vanished interface or the target's exit ends it; then statistics, tcpdump's words.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;
use tokio::sync::{mpsc, watch};

use crate::capture::{
    self, listening_line, Choice, Event, HandleOptions, Hopper, Opened, Pump, Remote, Stats,
};
use crate::cli::Config;
use crate::error::os_message;
use crate::iface;
use crate::netns;
use crate::os::{self, stdout_closed, stdout_is_pipe};
use crate::packet::{Counters, Interface};
use crate::privs::{Keep, CAP_DAC_READ_SEARCH, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE};
use crate::progress::Progress;
use crate::select::{self, Member, Selection};
use crate::sink::{self, BoxSink, Output};
use crate::stop::{self, Signals};
use crate::target::Roots;

/// Runs capture mode for `-t TARGET...` and `--all`. A capture that ended on a failure has
/// printed its statistics already; the failure comes back as the error, for the caller's one
/// line.
pub fn run(cfg: &Config, targets: &[String]) -> Result<()> {
    let (members, sel) = select::resolve(targets, cfg.all, cfg.follow)?;
    // Several namespaces, or some that are found rather than named: interfaces are then named
    // NAME/IFACE, and the file is pcapng.
    let many = members.len() > 1 || sel.dynamic() || cfg.follow;
    if cfg.list_interfaces {
        return list_interfaces(&members, many);
    }
    if cfg.list_datalinks || cfg.list_tstamp_types {
        let targets: Vec<_> = members.into_iter().map(|m| m.target).collect();
        return crate::probe::run(cfg, &targets);
    }
    let mut cfg = cfg.clone();
    if many && cfg.format.is_none() && cfg.write.is_some() {
        cfg.format = Some(crate::cli::Format::Pcapng);
    }
    if many {
        raise_nofile();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    rt.block_on(session(&cfg, members, sel, many))
}

/// Every handle, netlink socket and namespace is a descriptor: 500 namespaces need more than
/// the usual soft limit of 1024. The hard limit is ours to take.
fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit on a stack struct.
    unsafe {
        let mut l: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

fn list_interfaces(members: &[Member], many: bool) -> Result<()> {
    let hopper = Hopper::start()?;
    let mut text = String::new();
    for m in members {
        let t = &m.target;
        let ifs = hopper.call(Some(t.netns.try_clone()?), t.label.clone(), iface::list)?;
        if members.len() > 1 || many {
            text.push_str(&format!("{}:\n", t.label));
        }
        for i in &ifs {
            text.push_str(&i.line());
            text.push('\n');
        }
    }
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(anyhow!(
            "cannot write to standard output: {}",
            os_message(&e)
        )),
        _ => Ok(()),
    }
}

/// Standard output as a plain file: binary-safe and unbuffered (sinks buffer themselves).
pub fn stdout_file() -> Result<File> {
    let fd: OwnedFd = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| anyhow!("cannot use standard output: {}", os_message(&e)))?;
    Ok(File::from(fd))
}

fn stdout_output() -> Result<Output> {
    Ok(Box::new(stop::Output::new(stdout_file()?)))
}

/// Why a session ended.
enum End {
    /// All sources ended (they only do so when stopped).
    Done,
    Signal,
    Count,
    /// Our standard output is a closed pipe: end quietly.
    ClosedPipe,
    /// A source failed, the target exited, or output could not be written.
    Failed(String),
}

/// A pidfd wrapped for tokio: readable when the process exits.
fn watch_pid(pid: Option<i32>) -> Result<Option<AsyncFd<OwnedFd>>> {
    let Some(pid) = pid else { return Ok(None) };
    let fd = os::watch_exit(pid).map_err(|e| anyhow!("cannot watch pid {pid}: {e}"))?;
    Ok(Some(fd))
}

/// How often buffered output is written out, whatever its size: with libpcap's ring blocks
/// handed over within 100 ms, every packet is in the kernel's hands within a second.
const SYNC_EVERY: Duration = Duration::from_millis(500);

/// How often the host is looked over for namespaces that came or went (`--follow`, and
/// namespaces found by a pattern). inotify on the namespace folders wakes it sooner.
const RESCAN_EVERY: Duration = Duration::from_millis(400);

/// One namespace of the capture.
struct Space {
    /// Dropped when the namespace leaves, so that nscap does not keep it alive.
    netns: Option<File>,
    inode: u64,
    pid: Option<i32>,
    label: String,
    name: String,
    description: String,
    matched: bool,
    /// Its interfaces being read: index in the table, and the kernel's name.
    open: Vec<(usize, String)>,
    gone: bool,
    /// A re-list is under way; `again`: another link event came meanwhile.
    relisting: bool,
    again: bool,
    links: Option<tokio::task::JoinHandle<()>>,
}

impl Space {
    fn new(m: Member) -> Space {
        Space {
            netns: Some(m.target.netns),
            inode: m.target.inode,
            pid: m.target.pid,
            label: m.target.label,
            name: m.name,
            description: m.description,
            matched: m.matched,
            open: Vec::new(),
            gone: false,
            relisting: false,
            again: false,
            links: None,
        }
    }
}

/// What opening a space gave: its handles, and its link-event socket.
type OpenedIn = (Result<Vec<Opened>>, Option<OwnedFd>);

/// What the session's helpers report back.
enum Ctl {
    /// Handles opened in a space (at the start, on joining, after a link event).
    Opened {
        space: usize,
        result: Result<Vec<Opened>>,
        links: Option<OwnedFd>,
    },
    /// Interfaces that left, with their counters; `gone`: the namespace itself left.
    Left {
        space: usize,
        stats: Vec<(usize, Stats)>,
        why: String,
        gone: bool,
    },
    /// A link appeared, changed or vanished in a space.
    Links(usize),
}

/// The interface table and what is known of each interface.
#[derive(Default)]
struct Table {
    interfaces: Vec<Interface>,
    owner: Vec<usize>,
    captured: Vec<u64>,
    /// Counters read when the interface left.
    stats: Vec<Option<Stats>>,
    /// A capture handle (not an interface behind an `any` handle).
    handle: Vec<bool>,
    /// For an `any` handle reading Linux cooked v2: (interface index, table entry), by index.
    by_index: Vec<Option<Vec<(u32, usize)>>>,
    /// How often each NAME/IFACE was given, for `#2`.
    given: HashMap<String, u32>,
}

impl Table {
    /// Adds an interface of `space`; returns its index.
    fn add(&mut self, space: usize, sp: &Space, mut i: Interface, many: bool) -> usize {
        if many {
            let base = format!("{}/{}", sp.name, i.name);
            let n = self.given.entry(base.clone()).or_insert(0);
            *n += 1;
            i.name = if *n == 1 { base } else { format!("{base}#{n}") };
            i.description.clone_from(&sp.description);
        }
        self.interfaces.push(i);
        self.owner.push(space);
        self.captured.push(0);
        self.stats.push(None);
        self.handle.push(true);
        self.by_index.push(None);
        self.interfaces.len() - 1
    }

    /// Adds a handle and the interfaces behind it, if it is an `any`; returns the handle's
    /// index. Statistics and failures stay the handle's; its packets go under the members.
    fn add_opened(&mut self, space: usize, sp: &Space, o: &mut Opened, many: bool) -> usize {
        let idx = self.add(space, sp, o.interface.clone(), many);
        if !o.members.is_empty() {
            let mut map = Vec::new();
            for (index, i) in std::mem::take(&mut o.members) {
                let m = self.add(space, sp, i, many);
                self.handle[m] = false;
                map.push((index, m));
            }
            map.sort_unstable();
            self.by_index[idx] = Some(map);
        }
        idx
    }

    /// The handles' entries and their counters, for the statistics printed on stderr.
    fn handles_only(&self, counters: &[Counters]) -> (Vec<Interface>, Vec<Counters>) {
        (0..self.interfaces.len())
            .filter(|&i| self.handle[i])
            .map(|i| (self.interfaces[i].clone(), counters[i]))
            .unzip()
    }
    fn counters(&self, idx: usize, st: Stats) -> Counters {
        Counters {
            captured: self.captured[idx],
            received: u64::from(st.received),
            dropped: u64::from(st.dropped),
            if_dropped: u64::from(st.if_dropped),
        }
    }
}

/// Everything the session's loop works with.
struct Session<'a> {
    cfg: &'a Config,
    many: bool,
    sel: Selection,
    opts: HandleOptions,
    hopper: Arc<Hopper>,
    /// With `-Z --follow`: the thread that looks the host over, with the capabilities that
    /// needs; without, the session's own thread does.
    scanner: Option<Hopper>,
    pump: Remote,
    ctl: mpsc::UnboundedSender<Ctl>,
    spaces: Vec<Space>,
    table: Table,
    /// Namespaces seen and not wanted (or that failed): not looked at again while they live,
    /// unless [`Passed::again`] says they may have become what the selection wants.
    passed: HashMap<u64, Passed>,
    /// Spaces whose handles are being opened; the listening line waits for them.
    opening: usize,
}

impl Session<'_> {
    fn choice(&self, sp: &Space) -> Choice {
        if self.cfg.follow || sp.matched {
            Choice::Every
        } else {
            Choice::Strict
        }
    }

    /// Opens `space`'s interfaces (those not open yet) in the hopper; the answer comes as
    /// [`Ctl::Opened`]. `links`: also subscribe to its link events.
    fn open(&mut self, space: usize, links: bool) {
        let sp = &self.spaces[space];
        let Some(netns) = sp.netns.as_ref().and_then(|f| f.try_clone().ok()) else {
            return;
        };
        let names = self.cfg.interfaces.clone();
        let choice = self.choice(sp);
        let open: Vec<String> = sp.open.iter().map(|(_, n)| n.clone()).collect();
        let mut opts = self.opts.clone();
        if self.cfg.buffer_bytes.is_none() && self.many {
            let n = self.spaces.len().max(self.table.interfaces.len() + 1);
            opts.buffer_bytes = capture::default_buffer(n);
        }
        let (label, description) = (sp.label.clone(), sp.description.clone());
        let ctl = self.ctl.clone();
        self.opening += 1;
        let job_label = label.clone();
        self.hopper.submit(
            Some(netns),
            label,
            move || {
                let opened =
                    capture::open_here(&names, choice, &open, &opts, &job_label, &description);
                let links = if links {
                    netns::link_events_here().ok()
                } else {
                    None
                };
                Ok((opened, links))
            },
            move |r: Result<OpenedIn>| {
                let (result, links) = match r {
                    Ok((opened, links)) => (opened, links),
                    Err(e) => (Err(e), None),
                };
                let _ = ctl.send(Ctl::Opened {
                    space,
                    result,
                    links,
                });
            },
        );
    }

    /// Stops reading `ifaces` of `space` (all of them when the namespace is `gone`), reads
    /// their counters in the namespace and closes them; the answer comes as [`Ctl::Left`].
    fn leave(&mut self, space: usize, ifaces: Vec<usize>, why: String, gone: bool) {
        let sp = &mut self.spaces[space];
        sp.open.retain(|(i, _)| !ifaces.contains(i));
        let netns = if gone {
            sp.gone = true;
            if let Some(t) = sp.links.take() {
                t.abort();
            }
            sp.netns.take()
        } else {
            sp.netns.as_ref().and_then(|f| f.try_clone().ok())
        };
        let label = sp.label.clone();
        let (pump, hopper, ctl) = (self.pump.clone(), self.hopper.clone(), self.ctl.clone());
        tokio::spawn(async move {
            let caps = if ifaces.is_empty() {
                Vec::new()
            } else {
                pump.leave(ifaces).await
            };
            let stats = read_and_close(&hopper, netns, label, caps).await;
            let _ = ctl.send(Ctl::Left {
                space,
                stats,
                why,
                gone,
            });
        });
    }

    /// Looks the host over: namespaces that went away leave; new ones that the selection wants
    /// join (`--follow`). Without `--follow`, a namespace found by a pattern that went away ends
    /// the capture, as a target's exit does: its name comes back.
    fn rescan(&mut self) -> Option<String> {
        let follow = self.cfg.follow;
        let (open, passed) = if follow {
            let open = self
                .spaces
                .iter()
                .filter(|s| !s.gone)
                .map(|s| s.inode)
                .collect();
            (open, self.passed.clone())
        } else {
            (HashSet::new(), HashMap::new())
        };
        let found = match &self.scanner {
            Some(t) => {
                let sel = self.sel.clone();
                match t.call(None, String::new(), move || {
                    Ok(look(follow, &sel, &open, &passed))
                }) {
                    Ok(f) => f,
                    Err(e) => return Some(format!("cannot look for namespaces: {e:#}")),
                }
            }
            None => look(follow, &self.sel, &open, &passed),
        };
        for s in 0..self.spaces.len() {
            let sp = &self.spaces[s];
            if sp.gone || found.live.contains_key(&sp.inode) {
                continue;
            }
            if !follow {
                if sp.matched {
                    return Some(format!("{} ({}) is gone", sp.name, sp.label));
                }
                continue;
            }
            let ifaces = sp.open.iter().map(|(i, _)| *i).collect();
            self.leave(s, ifaces, "namespace gone".into(), true);
        }
        if !follow {
            return None;
        }
        self.passed.retain(|i, _| found.live.contains_key(i));
        for (ino, held) in found.passed {
            let now = Instant::now();
            self.passed
                .entry(ino)
                .and_modify(|p| {
                    // Its first process came: the runtime records whose it is only now.
                    if held && !p.held && p.since.is_some() {
                        p.since = Some(now);
                    }
                    p.held = held;
                })
                .or_insert(Passed {
                    held,
                    since: Some(now),
                });
        }
        for m in found.joined {
            let sp = Space::new(m);
            eprintln!("nscap: {} joined ({})", sp.name, sp.description);
            self.spaces.push(sp);
            self.open(self.spaces.len() - 1, true);
        }
        None
    }
}

/// A namespace the selection did not want when it was seen.
#[derive(Clone, Copy)]
struct Passed {
    /// A process held it then (not only a name in a netns folder).
    held: bool,
    /// When it was first passed over; `None`: never look again (the host's own).
    since: Option<Instant>,
}

/// How long a new namespace, and again one that has just gained its first process, is looked
/// at again on every scan: a runtime creates and names it (Docker's `/run/docker/netns`, CNI's
/// `cni-*`) before it moves the container's process and cgroup in, and writes its own records
/// of the container after that; until then nothing says whose it is.
const SETTLING: Duration = Duration::from_secs(3);

impl Passed {
    /// Whether to look again at a namespace passed over, now that `held` says whether a
    /// process holds it: while it settles, and when it gains its first process (which starts
    /// the settling again).
    fn again(&self, held: bool) -> bool {
        match self.since {
            None => false,
            Some(at) => at.elapsed() < SETTLING || (held && !self.held),
        }
    }
}

/// What a look over the host found.
struct Found {
    /// The namespaces something still holds, and whether a process is among the holders.
    live: HashMap<u64, bool>,
    /// New namespaces the selection wants, open.
    joined: Vec<Member>,
    /// Namespaces it does not want, or that could not be opened, and whether a process held
    /// each.
    passed: Vec<(u64, bool)>,
}

/// Looks the host over; with `follow`, namespaces neither `open` nor `passed` over for good
/// are also sorted into those that join and those passed over. Reads other users'
/// `/proc/PID/ns/net` (CAP_SYS_PTRACE) and the runtimes' state (CAP_DAC_READ_SEARCH).
fn look(
    follow: bool,
    sel: &Selection,
    open: &HashSet<u64>,
    passed: &HashMap<u64, Passed>,
) -> Found {
    let live = select::live_inodes(&Roots::from_env());
    let mut found = Found {
        live,
        joined: Vec::new(),
        passed: Vec::new(),
    };
    if !follow {
        return found;
    }
    let new: Vec<(u64, bool)> = found
        .live
        .iter()
        .filter(|(i, held)| !open.contains(i) && passed.get(i).is_none_or(|p| p.again(**held)))
        .map(|(i, held)| (*i, *held))
        .collect();
    if new.is_empty() {
        return found;
    }
    let snap = select::Snapshot::load();
    for (ino, held) in new {
        let row = snap.rows.get(&ino);
        let target = match row {
            Some(r) if sel.wants(r) => select::open_row(&snap, r).ok(),
            _ => None,
        };
        let Some(target) = target else {
            found.passed.push((ino, held));
            continue;
        };
        let (name, description) = select::identify(row, ino, None);
        found.joined.push(Member {
            target,
            name,
            description,
            matched: true,
        });
    }
    found
}

/// The hopper enters namespaces and mounts their sysfs (CAP_SYS_ADMIN) and opens packet
/// sockets there (CAP_NET_RAW).
const HOPPER_CAPS: u64 = 1 << CAP_SYS_ADMIN | 1 << CAP_NET_RAW;
/// The scanner reads and opens other users' `/proc/PID/ns/net` (CAP_SYS_PTRACE) and reads the
/// runtimes' state and `/run/docker/netns` (CAP_DAC_READ_SEARCH).
const SCANNER_CAPS: u64 = 1 << CAP_SYS_PTRACE | 1 << CAP_DAC_READ_SEARCH;

/// `-Z USER`: with `--follow`, the hopper keeps what entering a namespace and opening its
/// interfaces needs, and the scanner what finding and opening namespaces needs; with
/// `--process`, the launcher what starting a lookup thread in a namespace needs (README); every
/// other thread keeps nothing.
fn drop_privileges(user: &str, s: &Session, launcher: Option<&Hopper>) -> Result<()> {
    let mut keep = Vec::new();
    if let Some(l) = launcher {
        keep.push(Keep {
            thread: l,
            caps: crate::attrib::LAUNCH_CAPS,
        });
    }
    if let Some(scanner) = &s.scanner {
        keep.push(Keep {
            thread: &s.hopper,
            caps: HOPPER_CAPS,
        });
        keep.push(Keep {
            thread: scanner,
            caps: SCANNER_CAPS,
        });
    }
    crate::privs::drop_to(user, &keep)
}

/// Reads the counters of `caps` inside their namespace, then closes them off this thread.
async fn read_and_close(
    hopper: &Hopper,
    netns: Option<File>,
    label: String,
    caps: Vec<(usize, pcap::Capture<pcap::Active>)>,
) -> Vec<(usize, Stats)> {
    if caps.is_empty() {
        return Vec::new();
    }
    let idx: Vec<usize> = caps.iter().map(|(i, _)| *i).collect();
    let read = hopper
        .run(netns, label, move || {
            let mut caps = caps;
            let stats = capture::stats_here(&mut caps);
            Ok((stats, caps))
        })
        .await;
    match read {
        Ok((stats, caps)) => {
            let _ = std::thread::Builder::new()
                .name("nscap-close".into())
                .spawn(move || capture::close_all(caps));
            stats
        }
        Err(_) => idx.into_iter().map(|i| (i, Stats::default())).collect(),
    }
}

/// Watches a space's link events; each burst becomes one [`Ctl::Links`].
fn watch_links(
    fd: OwnedFd,
    space: usize,
    ctl: mpsc::UnboundedSender<Ctl>,
) -> Option<tokio::task::JoinHandle<()>> {
    // SAFETY: the AsyncFd owns the descriptor until it is dropped.
    let fd = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }.ok()?;
    Some(tokio::spawn(async move {
        let mut buf = vec![0u8; 16 << 10];
        loop {
            let Ok(mut guard) = fd.readable().await else {
                return;
            };
            loop {
                // SAFETY: reading into a live buffer of the length given.
                let n = unsafe {
                    libc::recv(
                        fd.get_ref().as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        0,
                    )
                };
                if n <= 0 {
                    let e = io::Error::last_os_error();
                    // ENOBUFS: events were lost; a re-list covers them anyway.
                    if n == 0 || e.kind() == io::ErrorKind::WouldBlock {
                        guard.clear_ready();
                        break;
                    }
                    if e.raw_os_error() != Some(libc::ENOBUFS) {
                        return;
                    }
                }
            }
            if ctl.send(Ctl::Links(space)).is_err() {
                return;
            }
        }
    }))
}

async fn session(cfg: &Config, members: Vec<Member>, sel: Selection, many: bool) -> Result<()> {
    let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(64);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (exit_tx, mut exit_rx) = mpsc::unbounded_channel::<usize>();
    let (ctl_tx, mut ctl_rx) = mpsc::unbounded_channel::<Ctl>();
    let opts = HandleOptions::from_config(cfg);
    // A lane per namespace up to a few: opening a handle mostly waits on the kernel (see
    // netns::Hopper), and lanes wait together.
    let hopper = Arc::new(Hopper::with_lanes(members.len())?);
    // One target: the pump sits in its namespace, so that counters read during the capture
    // are its interfaces'.
    let home = match members.as_slice() {
        [m] if !many => Some((m.target.netns.try_clone()?, m.target.label.clone())),
        _ => None,
    };
    let pump = Pump::start(opts.immediate, opts.promisc, home, ev_tx, stop_rx)?;
    let mut s = Session {
        cfg,
        many,
        sel,
        opts,
        hopper,
        scanner: if cfg.follow && cfg.user.is_some() {
            Some(Hopper::plain("nscap-scan")?)
        } else {
            None
        },
        pump: pump.remote(),
        ctl: ctl_tx,
        spaces: members.into_iter().map(Space::new).collect(),
        table: Table::default(),
        passed: HashMap::new(),
        opening: 0,
    };
    for (si, sp) in s.spaces.iter().enumerate() {
        // Watch the process before opening anything, so a PID reused later is not mistaken
        // for it. With --follow a namespace leaves when nothing holds it any more instead.
        if cfg.follow || sp.matched {
            continue;
        }
        if let Some(fd) = watch_pid(sp.pid)? {
            let tx = exit_tx.clone();
            tokio::spawn(async move {
                let _ = fd.readable().await;
                let _ = tx.send(si);
            });
        }
    }
    if let Some(host) = crate::list::host_netns() {
        s.passed.insert(
            host,
            Passed {
                held: true,
                since: None,
            },
        );
    }
    for si in 0..s.spaces.len() {
        s.open(si, cfg.follow);
    }
    // The start: every space opened (in order, so the table keeps the order of the targets).
    let mut pending: Vec<Option<OpenedIn>> = (0..s.spaces.len()).map(|_| None).collect();
    while s.opening > 0 {
        match ctl_rx.recv().await {
            Some(Ctl::Opened {
                space,
                result,
                links,
            }) => {
                s.opening -= 1;
                pending[space] = Some((result, links));
            }
            Some(_) => {}
            None => bail!("namespace thread failed"),
        }
    }
    let mut listening = Vec::new();
    for (si, p) in pending.into_iter().enumerate() {
        let Some((result, links)) = p else { continue };
        let opened = match result {
            Ok(o) => o,
            Err(e) if cfg.follow || s.spaces[si].matched => {
                eprintln!(
                    "nscap: {} ({}): {e:#}",
                    s.spaces[si].name, s.spaces[si].label
                );
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        if let Some(fd) = links {
            s.spaces[si].links = watch_links(fd, si, s.ctl.clone());
        }
        let mut caps = Vec::new();
        for mut o in opened {
            let idx = s.table.add_opened(si, &s.spaces[si], &mut o, many);
            s.spaces[si].open.push((idx, o.raw_name));
            caps.push((idx, o.cap));
            listening.push(idx);
        }
        s.pump.add(caps);
    }
    if s.table.interfaces.is_empty() && !cfg.follow {
        let _ = stop_tx.send(true);
        let _ = pump.join();
        bail!(
            "no interface to capture: none of the {} namespaces selected has an interface that is up (choose one with -i, or wait for some with --follow)",
            s.spaces.len()
        );
    }
    // Watched before -Z: the folders need not be readable by its user.
    let wake = if cfg.follow {
        watch_folders(&select::netns_dirs(&Roots::from_env()))
    } else {
        None
    };
    // With -Z, the lookup threads of --process are started by a thread that keeps what
    // entering a namespace and reading other users' /proc/PID/fd need (README).
    let launcher = if cfg.process && cfg.user.is_some() {
        Some(Hopper::plain("nscap-attrib")?)
    } else {
        None
    };
    // Every handle is open: from here on, files are created as the -Z user.
    if let Some(user) = &cfg.user {
        drop_privileges(user, &s, launcher.as_ref())?;
    }
    let mut attrib = process_stage(cfg, &s.spaces, &s.table, launcher)?;
    let mut sinks = sink::build(cfg, &s.table.interfaces, stdout_output)?;
    for sk in sinks.iter_mut() {
        match sk.start(&s.table.interfaces) {
            // The reader left before the first packet: as quiet as when it leaves later.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                let _ = stop_tx.send(true);
                let _ = pump.join();
                return Ok(());
            }
            Err(e) => return Err(write_error(cfg, &e)),
            Ok(()) => {}
        }
    }
    // Installed once the output is open: opening a FIFO waits for its reader, std retries the
    // open on EINTR, and a handler would keep Ctrl-C from ending that wait. The capture and
    // namespace threads block these signals, so this thread takes them, even while it is
    // blocked writing.
    let signals = Signals::install().context("cannot install the signal handlers")?;
    // SAFETY: `signals` owns the descriptor and outlives `signal_fd`, declared after it.
    let signal_fd = unsafe { AsyncFd::register(signals.fd()) }
        .map_err(|e| anyhow!("cannot watch for signals: {}", e.into_parts().1))?;
    // Listening is said once a signal would be handled: whoever waits for these lines to
    // send one must not kill nscap by it.
    if !many || cfg.print_opts.verbose > 0 {
        for &i in &listening {
            let label = &s.spaces[s.table.owner[i]].label;
            eprintln!("nscap: {}", listening_line(&s.table.interfaces[i], label));
        }
    }
    if many {
        let spaces: HashSet<usize> = listening.iter().map(|&i| s.table.owner[i]).collect();
        eprintln!(
            "nscap: listening on {} interface{} in {} namespace{}",
            listening.len(),
            if listening.len() == 1 { "" } else { "s" },
            spaces.len(),
            if spaces.len() == 1 { "" } else { "s" }
        );
    }

    let mut progress = Progress::new(cfg, s.table.interfaces.len());
    let mut clock_tick = tokio::time::interval(crate::progress::TICK);
    let mut sync_tick = tokio::time::interval(SYNC_EVERY);
    let watch_pipe = stdout_is_pipe() && (cfg.print || cfg.writes_stdout());
    let mut pipe_tick = tokio::time::interval(Duration::from_millis(200));
    let rescanning = cfg.follow || s.spaces.iter().any(|sp| sp.matched);
    let mut rescan_tick = tokio::time::interval(RESCAN_EVERY);
    rescan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut total = 0u64;
    let mut end: Option<End> = None;
    // Packets that arrive after a stop signal, a target's exit or an interface failure are
    // still written; after -c, a closed pipe or a write error they are not.
    let mut writing = true;
    // Output that was still blocked past the grace period after a stop signal.
    let mut blocked: Option<String> = None;

    loop {
        tokio::select! {
            ev = ev_rx.recv() => match ev {
                None => break,
                Some(Event::Packets(batch)) => {
                    if !writing {
                        continue;
                    }
                    let mut n = batch.len();
                    if let Some(c) = cfg.count {
                        n = n.min((c - total) as usize);
                    }
                    let members = s.table.by_index[batch.iface].as_deref();
                    let owners = attrib.as_mut().map(|a| a.annotate(&batch));
                    let res = write_batch(&mut sinks, &batch, n, members, owners);
                    let n = *res.as_ref().unwrap_or(&n);
                    s.table.captured[batch.iface] += n as u64;
                    total += n as u64;
                    if let Err(e) = res {
                        writing = false;
                        write_failed(cfg, &e, &mut end, &mut blocked);
                        let _ = stop_tx.send(true);
                    } else if cfg.count.is_some_and(|c| total >= c) || exhausted(&sinks) {
                        writing = false;
                        end.get_or_insert(End::Count);
                        let _ = stop_tx.send(true);
                    }
                }
                Some(Event::Failed { iface, message }) => {
                    let si = s.table.owner[iface];
                    if cfg.follow {
                        if end.is_none() {
                            s.leave(si, vec![iface], message, false);
                        }
                    } else if end.is_none() {
                        let name = crate::escape::name(s.table.interfaces[iface].name.as_bytes());
                        let label = &s.spaces[si].label;
                        // Escaped when printed, with the rest of the message (error.rs).
                        end = Some(End::Failed(format!("{name} in {label}: {message}")));
                        let _ = stop_tx.send(true);
                    }
                }
                Some(Event::Stats { iface, stats }) => {
                    progress.stats(iface, stats);
                    progress.tell(&mut sinks, &s.table.captured);
                }
            },
            Some(c) = ctl_rx.recv(), if end.is_none() => match c {
                Ctl::Opened { space, result, links } => {
                    s.opening -= 1;
                    if let Some(fd) = links {
                        s.spaces[space].links = watch_links(fd, space, s.ctl.clone());
                    }
                    let sp = &mut s.spaces[space];
                    sp.relisting = false;
                    if sp.gone {
                        // It left while its handles were being opened: they close unread.
                        continue;
                    }
                    let opened = match result {
                        Ok(o) => o,
                        Err(e) => {
                            eprintln!("nscap: {} ({}): {e:#}", sp.name, sp.label);
                            Vec::new()
                        }
                    };
                    let again = std::mem::take(&mut sp.again);
                    let mut caps = Vec::new();
                    let first = s.table.interfaces.len();
                    for mut o in opened {
                        let idx = s.table.add_opened(space, &s.spaces[space], &mut o, many);
                        s.spaces[space].open.push((idx, o.raw_name));
                        caps.push((idx, o.cap));
                        eprintln!("nscap: {} joined ({})", s.table.interfaces[idx].name, s.spaces[space].description);
                    }
                    if let Some(a) = attrib.as_mut() {
                        attribute_joined(a, &s, space, first);
                    }
                    if !caps.is_empty() {
                        let added = &s.table.interfaces[first..];
                        if let Err(e) = sinks.iter_mut().try_for_each(|sk| sk.add_interfaces(added)) {
                            writing = false;
                            if e.kind() == io::ErrorKind::Unsupported {
                                end = Some(End::Failed("--format pcap cannot take interfaces that join later: use pcapng".into()));
                            } else {
                                write_failed(cfg, &e, &mut end, &mut blocked);
                            }
                            let _ = stop_tx.send(true);
                        }
                        s.pump.add(caps);
                    }
                    if again {
                        s.spaces[space].relisting = true;
                        s.open(space, false);
                    }
                }
                Ctl::Left { space, stats, why, gone } => {
                    for (idx, st) in stats {
                        s.table.stats[idx] = Some(st);
                        let c = s.table.counters(idx, st);
                        if let Err(e) = sinks.iter_mut().try_for_each(|sk| sk.interface_left(idx, &c)) {
                            writing = false;
                            write_failed(cfg, &e, &mut end, &mut blocked);
                            let _ = stop_tx.send(true);
                        }
                        eprintln!(
                            "nscap: {} left ({why}): {} captured, {} received by filter, {} dropped by kernel",
                            s.table.interfaces[idx].name, c.captured, c.received, c.dropped
                        );
                    }
                    if gone {
                        if let Some(a) = attrib.as_mut() {
                            a.remove_space(space);
                        }
                        eprintln!("nscap: {} left ({why})", s.spaces[space].name);
                    }
                }
                Ctl::Links(space) => {
                    let sp = &mut s.spaces[space];
                    if sp.gone {
                        continue;
                    }
                    if sp.relisting {
                        sp.again = true;
                    } else {
                        sp.relisting = true;
                        s.open(space, false);
                    }
                }
            },
            ready = signal_fd.readable(), if end.is_none() => {
                if let Ok(mut guard) = ready {
                    guard.clear_ready();
                }
                if signals.take().is_some() {
                    end = Some(End::Signal);
                    let _ = stop_tx.send(true);
                }
                if stop::stats_requested() {
                    progress.clear();
                    let (ifs, c) = s.table.handles_only(&progress.counters(&s.table.captured));
                    eprint!("{}", stats_text(&ifs, &c));
                }
            }
            _ = clock_tick.tick(), if writing && progress.needs_tick() => {
                if let Err(e) = sinks.iter_mut().try_for_each(|sk| sk.tick()) {
                    writing = false;
                    write_failed(cfg, &e, &mut end, &mut blocked);
                    let _ = stop_tx.send(true);
                } else if exhausted(&sinks) {
                    writing = false;
                    end.get_or_insert(End::Count);
                    let _ = stop_tx.send(true);
                } else if progress.stop_due() && end.is_none() {
                    // -a duration ends the capture as a signal would: what arrived before now
                    // is still written.
                    end = Some(End::Signal);
                    let _ = stop_tx.send(true);
                }
                progress.draw(&sinks);
            }
            _ = sync_tick.tick(), if writing => {
                if let Err(e) = sinks.iter_mut().try_for_each(|sk| sk.sync()) {
                    writing = false;
                    write_failed(cfg, &e, &mut end, &mut blocked);
                    let _ = stop_tx.send(true);
                }
            }
            _ = rescan_tick.tick(), if rescanning && end.is_none() => {
                if let Some(gone) = s.rescan() {
                    end = Some(End::Failed(format!("{gone}; capture ended")));
                    let _ = stop_tx.send(true);
                }
            }
            _ = woken(&wake), if end.is_none() => {
                if let Some(gone) = s.rescan() {
                    end = Some(End::Failed(format!("{gone}; capture ended")));
                    let _ = stop_tx.send(true);
                }
            }
            Some(si) = exit_rx.recv(), if end.is_none() => {
                let label = &s.spaces[si].label;
                end = Some(End::Failed(format!("target {label} exited; capture ended")));
                let _ = stop_tx.send(true);
            }
            _ = pipe_tick.tick(), if watch_pipe && end.is_none() => {
                if stdout_closed() {
                    writing = false;
                    end = Some(End::ClosedPipe);
                    let _ = stop_tx.send(true);
                }
            }
        }
    }
    // The handles still open, by space: their counters are read in their namespaces.
    let left = pump.join()?;
    let mut by_space: HashMap<usize, Vec<(usize, pcap::Capture<pcap::Active>)>> = HashMap::new();
    for (idx, cap) in left {
        by_space
            .entry(s.table.owner[idx])
            .or_default()
            .push((idx, cap));
    }
    let mut all_caps = Vec::new();
    for (si, caps) in by_space {
        let sp = &s.spaces[si];
        let netns = sp.netns.as_ref().and_then(|f| f.try_clone().ok());
        let read = s
            .hopper
            .run(netns, sp.label.clone(), move || {
                let mut caps = caps;
                let stats = capture::stats_here(&mut caps);
                Ok((stats, caps))
            })
            .await;
        if let Ok((stats, caps)) = read {
            for (idx, st) in stats {
                s.table.stats[idx] = Some(st);
            }
            all_caps.extend(caps.into_iter().map(|(_, c)| c));
        }
    }
    capture::close_all(all_caps);
    if let Some(a) = attrib.take() {
        if let Err(e) = a.finish() {
            eprintln!("nscap: warning: {}", crate::escape::text(&e.to_string()));
        }
    }
    let end = end.unwrap_or(End::Done);
    // A closed pipe ends quietly, but the other outputs (a -w file beside --print) are
    // finished all the same: their last packets and statistics blocks are written.
    let mut quiet = matches!(end, End::ClosedPipe);
    let counters: Vec<Counters> = (0..s.table.interfaces.len())
        .map(|i| s.table.counters(i, s.table.stats[i].unwrap_or_default()))
        .collect();
    let mut failed = None;
    for sk in sinks.iter_mut() {
        if let Err(e) = sk.counters(&counters).and_then(|()| sk.finish()) {
            if quiet || e.kind() == io::ErrorKind::BrokenPipe {
                quiet = true;
                continue;
            }
            if e.kind() == io::ErrorKind::TimedOut && stop::requested().is_some() {
                blocked.get_or_insert_with(|| write_error(cfg, &e).to_string());
            } else {
                failed.get_or_insert_with(|| write_error(cfg, &e).to_string());
            }
        }
    }
    drop(sinks);
    progress.clear();
    if quiet {
        return Ok(());
    }
    let mut last = String::new();
    if let Some(m) = blocked {
        last = format!("nscap: {m}; stopped without writing the rest\n");
    }
    let (ifs, c) = s.table.handles_only(&counters);
    last += &stats_text(&ifs, &c);
    stop::eprint_last(&last);
    match (end, failed) {
        (End::Failed(m), _) | (_, Some(m)) => Err(anyhow!(m)),
        _ => Ok(()),
    }
}

/// inotify on the folders where namespaces get names: a new `ip netns` or container shows up
/// at once instead of at the next scan. Folders that do not exist are not watched.
/// An inotify instance that tokio can poll.
struct Folders(Inotify);

impl std::os::fd::AsRawFd for Folders {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

fn watch_folders(dirs: &[std::path::PathBuf]) -> Option<AsyncFd<Folders>> {
    let ino = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok()?;
    let mut any = false;
    for d in dirs {
        let mask = AddWatchFlags::IN_CREATE | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_TO;
        any |= ino.add_watch(d.as_path(), mask).is_ok();
    }
    if !any {
        return None;
    }
    // SAFETY: the AsyncFd owns the instance, and so its descriptor, until it is dropped.
    unsafe { AsyncFd::register_with_interest(Folders(ino), tokio::io::Interest::READABLE) }.ok()
}

/// Resolves when a watched folder changed (never when nothing is watched). A namespace file is
/// bind-mounted just after it is created: a short pause lets that happen before the rescan.
async fn woken(wake: &Option<AsyncFd<Folders>>) {
    let Some(fd) = wake else {
        return std::future::pending().await;
    };
    loop {
        let Ok(mut guard) = fd.readable().await else {
            return std::future::pending().await;
        };
        match fd.get_ref().0.read_events() {
            Ok(ev) if !ev.is_empty() => {
                guard.clear_ready();
                tokio::time::sleep(Duration::from_millis(50)).await;
                return;
            }
            _ => guard.clear_ready(),
        }
    }
}

/// Records why writing stopped: a closed pipe ends quietly; output still blocked after a stop
/// signal ends as the signal asked, with a note; anything else is a failure.
fn write_failed(cfg: &Config, e: &io::Error, end: &mut Option<End>, blocked: &mut Option<String>) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        *end = Some(End::ClosedPipe);
    } else if e.kind() == io::ErrorKind::TimedOut && stop::requested().is_some() {
        blocked.get_or_insert_with(|| write_error(cfg, e).to_string());
        end.get_or_insert(End::Signal);
    } else {
        *end = Some(End::Failed(write_error(cfg, e).to_string()));
    }
}

/// The first `n` packets of `batch` to every sink, then a flush; fewer when a sink reached an
/// autostop limit. Returns how many packets the sinks took. With `members` (the batch came
/// from an `any` handle reading Linux cooked v2), each packet goes under the interface its
/// header names by index.
fn write_batch(
    sinks: &mut [BoxSink],
    batch: &crate::packet::Batch,
    n: usize,
    members: Option<&[(u32, usize)]>,
    owners: Option<&[Option<std::sync::Arc<crate::attrib::Owner>>]>,
) -> io::Result<usize> {
    let mut taken = 0;
    'packets: for (i, mut p) in batch.iter().take(n).enumerate() {
        if let Some(m) = members {
            p.iface = member_of(m, p.data).unwrap_or(p.iface);
        }
        let owner = owners.and_then(|o| o.get(i)?.as_deref());
        for s in sinks.iter_mut() {
            s.packet_by(&p, owner)?;
            // The file sink comes first: a packet it refused is not printed either.
            if s.exhausted() {
                break 'packets;
            }
        }
        taken += 1;
    }
    for s in sinks.iter_mut() {
        s.flush()?;
    }
    Ok(taken)
}

/// `--process`: one attribution thread per target namespace, each capture handle tied to its
/// target's. Namespaces and handles that join later are added as they come.
fn process_stage(
    cfg: &Config,
    spaces: &[Space],
    table: &Table,
    launcher: Option<Hopper>,
) -> Result<Option<crate::attrib::Stage>> {
    if !cfg.process {
        return Ok(None);
    }
    let mut stage = crate::attrib::Stage::new(launcher);
    for (si, sp) in spaces.iter().enumerate() {
        let netns = sp
            .netns
            .as_ref()
            .context("a namespace left before it was attributed")?;
        stage.add_space(si, netns.try_clone()?, sp.inode, sp.label.clone())?;
    }
    for (idx, (&si, i)) in table.owner.iter().zip(&table.interfaces).enumerate() {
        stage.add_handle(idx, si, i);
    }
    if !cfg.follow {
        stage.close_launcher();
    }
    Ok(Some(stage))
}

/// `--process` for handles opened after the start: in a namespace that joined (its thread
/// starts now) or one that has its thread already.
fn attribute_joined(stage: &mut crate::attrib::Stage, s: &Session, space: usize, first: usize) {
    let sp = &s.spaces[space];
    // Nothing opened there (no interface matched, or the open failed): no thread to look.
    if first == s.table.interfaces.len() {
        return;
    }
    if !stage.has_space(space) {
        let Some(netns) = sp.netns.as_ref().and_then(|f| f.try_clone().ok()) else {
            return;
        };
        if let Err(e) = stage.add_space(space, netns, sp.inode, sp.label.clone()) {
            eprintln!(
                "nscap: warning: --process in {}: {}",
                sp.label,
                crate::escape::text(&format!("{e:#}"))
            );
            return;
        }
    }
    for idx in first..s.table.interfaces.len() {
        stage.add_handle(idx, space, &s.table.interfaces[idx]);
    }
}

fn exhausted(sinks: &[BoxSink]) -> bool {
    sinks.iter().any(|s| s.exhausted())
}

/// The table entry of the interface a Linux cooked v2 header names (its index is bytes 4..8,
/// network order), if it was there when the capture started.
fn member_of(members: &[(u32, usize)], sll2: &[u8]) -> Option<usize> {
    let index = u32::from_be_bytes(sll2.get(4..8)?.try_into().ok()?);
    let at = members.binary_search_by_key(&index, |&(i, _)| i).ok()?;
    Some(members[at].1)
}

fn write_error(cfg: &Config, e: &io::Error) -> anyhow::Error {
    // A file output names the file it was writing (with rotation, not the -w template).
    if let Some(m) = sink::rotate::file_message(e) {
        return anyhow!(m);
    }
    match &cfg.write {
        Some(p) if p != Path::new("-") => {
            anyhow!("cannot write {}: {}", p.display(), os_message(e))
        }
        _ => anyhow!("cannot write to standard output: {}", os_message(e)),
    }
}

/// tcpdump's closing statistics; one group per interface, named when there are several.
pub fn stats_text(interfaces: &[Interface], counters: &[Counters]) -> String {
    let mut s = String::new();
    let many = interfaces.len() > 1;
    for (iface, c) in interfaces.iter().zip(counters) {
        let prefix = if many {
            format!("{}: ", crate::escape::name(iface.name.as_bytes()))
        } else {
            String::new()
        };
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        s += &format!(
            "{prefix}{} packet{} captured\n",
            c.captured,
            plural(c.captured)
        );
        s += &format!(
            "{prefix}{} packet{} received by filter\n",
            c.received,
            plural(c.received)
        );
        s += &format!(
            "{prefix}{} packet{} dropped by kernel\n",
            c.dropped,
            plural(c.dropped)
        );
        if c.if_dropped != 0 {
            let f = c.if_dropped;
            s += &format!("{prefix}{f} packet{} dropped by interface\n", plural(f));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str) -> Interface {
        Interface::for_test(name, 1)
    }

    #[test]
    fn cooked_v2_packets_go_under_their_interface() {
        let members = [(1, 7), (4, 8), (9, 9)];
        let mut sll2 = [0u8; 20];
        sll2[4..8].copy_from_slice(&4u32.to_be_bytes());
        assert_eq!(member_of(&members, &sll2), Some(8));
        sll2[4..8].copy_from_slice(&5u32.to_be_bytes());
        assert_eq!(member_of(&members, &sll2), None);
        assert_eq!(member_of(&members, &sll2[..7]), None);
    }

    #[test]
    fn statistics_use_tcpdump_words() {
        let st = Counters {
            captured: 5,
            received: 7,
            dropped: 1,
            if_dropped: 0,
        };
        assert_eq!(
            stats_text(&[iface("eth0")], &[st]),
            "5 packets captured\n7 packets received by filter\n1 packet dropped by kernel\n"
        );
        let one = Counters { captured: 1, ..st };
        let two = stats_text(&[iface("eth0"), iface("lo")], &[one, Counters::default()]);
        assert!(two.contains("eth0: 1 packet captured\n"), "{two}");
        assert!(two.contains("lo: 0 packets dropped by kernel\n"), "{two}");
        let ifd = Counters {
            if_dropped: 3,
            ..st
        };
        assert!(stats_text(&[iface("eth0")], &[ifd]).ends_with("3 packets dropped by interface\n"));
    }
}
