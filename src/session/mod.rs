//! A live capture session: target → sources → sinks, until a signal, a count, a closed pipe,
//! a vanished interface or the target's exit ends it; then statistics, tcpdump's words.
//!
//! [`run`] opens every namespace's handles through the namespace workers, starts the sinks,
//! and then loops on events, one small handler each ([`Loop`]): packets from the pump, handles
//! opened or closed by the workers, signals, clocks, and the rescans of [`follow`]. The
//! interface table is [`table`]; the closing words are [`report`].

mod follow;
mod progress;
mod report;
mod table;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::unix::AsyncFd;
use tokio::sync::{mpsc, watch};

use crate::capture::{
    self, listening_line, Choice, Event, HandleOptions, Opened, Pump, Remote, Stats,
};
use crate::cli::Config;
use crate::error::os_message;
use crate::netns::{self, Workers};
use crate::os::{self, stdout_closed, stdout_is_pipe};
use crate::packet::Counters;
use crate::privs::{Keep, CAP_DAC_READ_SEARCH, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE};
use crate::sink::{self, BoxSink, FileStatus, Output};
use crate::stop::{self, Signals};
use crate::targets::select::{self, Member, Selection};
use crate::targets::Roots;
use follow::Passed;
use progress::Progress;
pub use report::stats_text;
use report::{refused_text, write_error, write_failed, Ending};
use table::Interfaces;

/// How often buffered output is written out, whatever its size: with libpcap's ring blocks
/// handed over within 100 ms, every packet is in the kernel's hands within a second.
const SYNC_EVERY: Duration = Duration::from_millis(500);

/// Standard output as a plain file: binary-safe and unbuffered (sinks buffer themselves).
pub fn stdout_file() -> Result<File> {
    let fd: OwnedFd = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| anyhow!("cannot use standard output: {}", os_message(&e)))?;
    Ok(File::from(fd))
}

fn stdout_output() -> Result<Output> {
    Ok(Box::new(stop::StopWriter::new(stdout_file()?)))
}

/// A pidfd wrapped for tokio: readable when the process exits.
fn watch_pid(pid: Option<i32>) -> Result<Option<AsyncFd<OwnedFd>>> {
    let Some(pid) = pid else { return Ok(None) };
    let fd = os::watch_exit(pid).map_err(|e| anyhow!("cannot watch pid {pid}: {e}"))?;
    Ok(Some(fd))
}

/// One namespace of the capture.
struct Namespace {
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

impl Namespace {
    fn new(m: Member) -> Namespace {
        Namespace {
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
        stats: Vec<(usize, Option<Stats>)>,
        why: String,
        gone: bool,
    },
    /// A link appeared, changed or vanished in a space.
    Links(usize),
}

/// Everything the session's loop works with.
struct Session<'a> {
    cfg: &'a Config,
    many: bool,
    sel: Selection,
    opts: HandleOptions,
    workers: Arc<Workers>,
    /// With `-Z --follow`: the thread that looks the host over, with the capabilities that
    /// needs; without, the session's own thread does.
    scanner: Option<Workers>,
    pump: Remote,
    ctl: mpsc::UnboundedSender<Ctl>,
    spaces: Vec<Namespace>,
    table: Interfaces,
    /// Namespaces seen and not wanted (or that failed): not looked at again while they live,
    /// unless [`Passed::again`] says they may have become what the selection wants.
    passed: HashMap<u64, Passed>,
    /// Spaces whose handles are being opened; the listening line waits for them.
    opening: usize,
}

impl Session<'_> {
    fn choice(&self, sp: &Namespace) -> Choice {
        if self.cfg.follow || sp.matched {
            Choice::Every
        } else {
            Choice::Strict
        }
    }

    /// Opens `space`'s interfaces (those not open yet) in a worker; the answer comes as
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
        if self.cfg.handle.buffer_bytes.is_none() && self.many {
            let n = self.spaces.len().max(self.table.interfaces.len() + 1);
            opts.buffer_bytes = capture::default_buffer(n);
        }
        let (label, description) = (sp.label.clone(), sp.description.clone());
        let ctl = self.ctl.clone();
        self.opening += 1;
        let job_label = label.clone();
        self.workers.submit(
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
        let (pump, workers, ctl) = (self.pump.clone(), self.workers.clone(), self.ctl.clone());
        tokio::spawn(async move {
            let caps = if ifaces.is_empty() {
                Vec::new()
            } else {
                pump.leave(ifaces).await
            };
            let stats = read_and_close(&workers, netns, label, caps).await;
            let _ = ctl.send(Ctl::Left {
                space,
                stats,
                why,
                gone,
            });
        });
    }
}

/// Runs a live capture of `members` until something ends it, then prints the statistics.
/// `many`: interfaces are named `NAME/IFACE` (several namespaces, or some found by a pattern).
pub async fn run(cfg: &Config, members: Vec<Member>, sel: Selection, many: bool) -> Result<()> {
    let (ev_tx, ev_rx) = mpsc::channel::<Event>(64);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (exit_tx, exit_rx) = mpsc::unbounded_channel::<usize>();
    let (ctl_tx, mut ctl_rx) = mpsc::unbounded_channel::<Ctl>();
    let opts = cfg.session_handles();
    // A worker per namespace up to a few: opening a handle mostly waits on the kernel (see
    // netns::Workers), and workers wait together.
    let workers = Arc::new(Workers::new(members.len())?);
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
        workers,
        scanner: if cfg.follow && cfg.user.is_some() {
            Some(Workers::at_home("nscap-scan")?)
        } else {
            None
        },
        pump: pump.remote(),
        ctl: ctl_tx,
        spaces: members.into_iter().map(Namespace::new).collect(),
        table: Interfaces::default(),
        passed: HashMap::new(),
        opening: 0,
    };
    s.watch_targets(&exit_tx)?;
    let listening = s.open_all(&mut ctl_rx).await?;
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
        follow::watch_folders(&select::netns_dirs(&Roots::from_env()))
    } else {
        None
    };
    let owners = s.privileges_and_owners()?;
    let mut sinks = sink::build(
        &cfg.output,
        &cfg.print_opts,
        &s.table.interfaces,
        stdout_output,
    )?;
    match sinks
        .iter_mut()
        .try_for_each(|sk| sk.start(&s.table.interfaces))
    {
        // The reader left before the first packet: as quiet as when it leaves later.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            let _ = stop_tx.send(true);
            let _ = pump.join();
            return Ok(());
        }
        Err(e) => return Err(write_error(&cfg.output, &e)),
        Ok(()) => {}
    }
    let channels = Channels {
        events: ev_rx,
        ctl: ctl_rx,
        exits: exit_rx,
    };
    let l = Loop {
        progress: Progress::new(cfg, s.table.interfaces.len()),
        s,
        sinks,
        owners,
        stop: stop_tx,
        total: 0,
        end: None,
        writing: true,
        blocked: None,
    };
    drive(l, &listening, channels, wake, pump).await
}

/// What the session's loop hears from: the pump's events, the workers' answers, the targets'
/// exits.
struct Channels {
    events: mpsc::Receiver<Event>,
    ctl: mpsc::UnboundedReceiver<Ctl>,
    exits: mpsc::UnboundedReceiver<usize>,
}

/// The capture itself, once every sink has started: signals, the listening lines, then one
/// handler per event until something ends it; then [`Loop::finish`].
async fn drive(
    mut l: Loop<'_>,
    listening: &[usize],
    mut ch: Channels,
    wake: Option<AsyncFd<follow::Folders>>,
    pump: Pump,
) -> Result<()> {
    let cfg = l.s.cfg;
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
    l.s.announce(listening);

    let mut clock_tick = tokio::time::interval(progress::TICK);
    let mut sync_tick = tokio::time::interval(SYNC_EVERY);
    let watch_pipe = stdout_is_pipe() && (cfg.output.print || cfg.writes_stdout());
    let mut pipe_tick = tokio::time::interval(Duration::from_millis(200));
    let rescanning = cfg.follow || l.s.spaces.iter().any(|sp| sp.matched);
    let mut rescan_tick = tokio::time::interval(follow::RESCAN_EVERY);
    rescan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            ev = ch.events.recv() => match ev {
                None => break,
                Some(Event::Packets(batch)) => l.packets(batch),
                Some(Event::Failed { iface, message }) => l.source_failed(iface, message),
                Some(Event::Stats { iface, stats }) => {
                    l.progress.stats(iface, stats);
                    l.progress.tell(&mut l.sinks, &l.s.table.captured);
                }
            },
            Some(c) = ch.ctl.recv(), if l.end.is_none() => match c {
                Ctl::Opened { space, result, links } => l.opened(space, result, links),
                Ctl::Left { space, stats, why, gone } => l.left(space, stats, why, gone),
                Ctl::Links(space) => l.s.links_changed(space),
            },
            ready = signal_fd.readable(), if l.end.is_none() => {
                if let Ok(mut guard) = ready {
                    guard.clear_ready();
                }
                l.signalled(&signals);
            }
            _ = clock_tick.tick(), if l.writing && l.progress.needs_tick() => l.clock(),
            _ = sync_tick.tick(), if l.writing => {
                let r = l.sinks.iter_mut().try_for_each(|sk| sk.sync());
                l.check(r);
            }
            _ = rescan_tick.tick(), if rescanning && l.end.is_none() => l.rescan(),
            _ = follow::woken(&wake), if l.end.is_none() => l.rescan(),
            Some(si) = ch.exits.recv(), if l.end.is_none() => {
                let label = &l.s.spaces[si].label;
                l.end = Some(Ending::Failed(format!("target {label} exited; capture ended")));
                let _ = l.stop.send(true);
            }
            _ = pipe_tick.tick(), if watch_pipe && l.end.is_none() => {
                if stdout_closed() {
                    l.writing = false;
                    l.end = Some(Ending::ClosedPipe);
                    let _ = l.stop.send(true);
                }
            }
        }
    }
    let left = pump.join()?;
    l.finish(left).await
}

impl Session<'_> {
    /// Every handle is open: with `-Z`, privileges are dropped now (files are then created as
    /// that user), keeping only what the threads that go on need; then `--process` starts.
    fn privileges_and_owners(&self) -> Result<Option<crate::owner::Stage>> {
        let cfg = self.cfg;
        // With -Z, the lookup threads of --process are started by a thread that keeps what
        // entering a namespace and reading other users' /proc/PID/fd need (README).
        let launcher = if cfg.process && cfg.user.is_some() {
            Some(Workers::at_home("nscap-attrib")?)
        } else {
            None
        };
        if let Some(user) = &cfg.user {
            drop_privileges(user, self, launcher.as_ref())?;
        }
        process_stage(cfg, &self.spaces, &self.table, launcher)
    }

    /// Watches each named target's process before anything is opened, so a PID reused later is
    /// not mistaken for it; its exit is sent on `exit`. With --follow a namespace leaves when
    /// nothing holds it any more instead.
    fn watch_targets(&self, exit: &mpsc::UnboundedSender<usize>) -> Result<()> {
        for (si, sp) in self.spaces.iter().enumerate() {
            if self.cfg.follow || sp.matched {
                continue;
            }
            if let Some(fd) = watch_pid(sp.pid)? {
                let tx = exit.clone();
                tokio::spawn(async move {
                    let _ = fd.readable().await;
                    let _ = tx.send(si);
                });
            }
        }
        Ok(())
    }

    /// The start: every namespace opened, in order, so that the table keeps the order of the
    /// targets. Returns the interfaces now listening.
    async fn open_all(&mut self, ctl_rx: &mut mpsc::UnboundedReceiver<Ctl>) -> Result<Vec<usize>> {
        if let Some(host) = crate::targets::inventory::host_netns() {
            self.passed.insert(
                host,
                Passed {
                    held: true,
                    since: None,
                },
            );
        }
        for si in 0..self.spaces.len() {
            self.open(si, self.cfg.follow);
        }
        let mut pending: Vec<Option<OpenedIn>> = (0..self.spaces.len()).map(|_| None).collect();
        while self.opening > 0 {
            match ctl_rx.recv().await {
                Some(Ctl::Opened {
                    space,
                    result,
                    links,
                }) => {
                    self.opening -= 1;
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
                Err(e) if self.cfg.follow || self.spaces[si].matched => {
                    let sp = &self.spaces[si];
                    eprintln!("nscap: {} ({}): {e:#}", sp.name, sp.label);
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            if let Some(fd) = links {
                self.spaces[si].links = watch_links(fd, si, self.ctl.clone());
            }
            let mut caps = Vec::new();
            for mut o in opened {
                let idx = self
                    .table
                    .add_opened(si, &self.spaces[si], &mut o, self.many);
                self.spaces[si].open.push((idx, o.raw_name));
                caps.push((idx, o.cap));
                listening.push(idx);
            }
            self.pump.add(caps);
        }
        Ok(listening)
    }

    /// tcpdump's "listening on" lines: one per interface for one namespace (or with -v), one
    /// summary line for several.
    fn announce(&self, listening: &[usize]) {
        if !self.many || self.cfg.print_opts.verbose > 0 {
            for &i in listening {
                let label = &self.spaces[self.table.owner[i]].label;
                eprintln!(
                    "nscap: {}",
                    listening_line(&self.table.interfaces[i], label)
                );
            }
        }
        if self.many {
            let spaces: HashSet<usize> = listening.iter().map(|&i| self.table.owner[i]).collect();
            eprintln!(
                "nscap: listening on {} interface{} in {} namespace{}",
                listening.len(),
                if listening.len() == 1 { "" } else { "s" },
                spaces.len(),
                if spaces.len() == 1 { "" } else { "s" }
            );
        }
    }

    /// A link appeared, changed or vanished in `space`: its interfaces are listed again (once
    /// more after the current listing, when one is under way).
    fn links_changed(&mut self, space: usize) {
        let sp = &mut self.spaces[space];
        if sp.gone {
            return;
        }
        if sp.relisting {
            sp.again = true;
        } else {
            sp.relisting = true;
            self.open(space, false);
        }
    }
}

/// The session's loop, once the capture runs: the session and what the loop writes to.
struct Loop<'a> {
    s: Session<'a>,
    sinks: Vec<BoxSink>,
    owners: Option<crate::owner::Stage>,
    progress: Progress,
    stop: watch::Sender<bool>,
    total: u64,
    end: Option<Ending>,
    /// Packets that arrive after a stop signal, a target's exit or an interface failure are
    /// still written; after -c, a closed pipe or a write error they are not.
    writing: bool,
    /// Output that was still blocked past the grace period after a stop signal.
    blocked: Option<String>,
}

impl Loop<'_> {
    /// After a write to the sinks: a failure stops writing and ends the capture.
    fn check(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.writing = false;
            write_failed(&self.s.cfg.output, &e, &mut self.end, &mut self.blocked);
            let _ = self.stop.send(true);
        }
    }

    /// A sink reached its limit (`-c`, or an autostop of rotation): what came before is kept.
    fn counted_out(&mut self) {
        self.writing = false;
        self.end.get_or_insert(Ending::Count);
        let _ = self.stop.send(true);
    }

    fn packets(&mut self, batch: crate::packet::Batch) {
        if !self.writing {
            return;
        }
        let cfg = self.s.cfg;
        let mut n = batch.len();
        if let Some(c) = cfg.count {
            n = n.min((c - self.total) as usize);
        }
        let members = self.s.table.by_index[batch.iface].as_deref();
        let owners = self.owners.as_mut().map(|a| a.annotate(&batch));
        let (n, res) = write_batch(&mut self.sinks, &batch, n, members, owners);
        self.s.table.captured[batch.iface] += n as u64;
        self.total += n as u64;
        match res {
            Err(e) => self.check(Err(e)),
            Ok(_) if cfg.count.is_some_and(|c| self.total >= c) || exhausted(&self.sinks) => {
                self.counted_out();
            }
            Ok(_) => {}
        }
    }

    /// A source stopped on an error: with --follow its interface leaves; otherwise the
    /// capture ends, naming it.
    fn source_failed(&mut self, iface: usize, message: String) {
        if self.end.is_some() {
            return;
        }
        let si = self.s.table.owner[iface];
        if self.s.cfg.follow {
            self.s.leave(si, vec![iface], message, false);
            return;
        }
        let name = crate::escape::name(self.s.table.interfaces[iface].name.as_bytes());
        let label = &self.s.spaces[si].label;
        // Escaped when printed, with the rest of the message (error.rs).
        self.end = Some(Ending::Failed(format!("{name} in {label}: {message}")));
        let _ = self.stop.send(true);
    }

    /// Handles opened after the start (a namespace that joined, or a re-list after a link
    /// event) join the table, the sinks and the pump.
    fn opened(&mut self, space: usize, result: Result<Vec<Opened>>, links: Option<OwnedFd>) {
        let s = &mut self.s;
        s.opening -= 1;
        if let Some(fd) = links {
            s.spaces[space].links = watch_links(fd, space, s.ctl.clone());
        }
        let sp = &mut s.spaces[space];
        sp.relisting = false;
        if sp.gone {
            // It left while its handles were being opened: they close unread.
            return;
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
            let idx = s.table.add_opened(space, &s.spaces[space], &mut o, s.many);
            s.spaces[space].open.push((idx, o.raw_name));
            caps.push((idx, o.cap));
            eprintln!(
                "nscap: {} joined ({})",
                s.table.interfaces[idx].name, s.spaces[space].description
            );
        }
        if let Some(a) = self.owners.as_mut() {
            attribute_joined(a, &self.s, space, first);
        }
        if !caps.is_empty() {
            let added = &self.s.table.interfaces[first..];
            if let Err(e) = self
                .sinks
                .iter_mut()
                .try_for_each(|sk| sk.add_interfaces(added))
            {
                if e.kind() == io::ErrorKind::Unsupported {
                    self.writing = false;
                    self.end = Some(Ending::Failed(
                        "--format pcap cannot take interfaces that join later: use pcapng".into(),
                    ));
                    let _ = self.stop.send(true);
                } else {
                    self.check(Err(e));
                }
            }
            self.s.pump.add(caps);
        }
        if again {
            self.s.spaces[space].relisting = true;
            self.s.open(space, false);
        }
    }

    /// Interfaces left (with their counters read in their namespace); `gone`: the namespace
    /// itself left.
    fn left(&mut self, space: usize, stats: Vec<(usize, Option<Stats>)>, why: String, gone: bool) {
        for (idx, st) in stats {
            self.s.table.stats[idx] = st;
            let c = self.s.table.counters(idx, st);
            let r = self
                .sinks
                .iter_mut()
                .try_for_each(|sk| sk.interface_left(idx, &c));
            self.check(r);
            let kernel = match c.kernel {
                Some(k) => format!(
                    "{} received by filter, {} dropped by kernel",
                    k.received, k.dropped
                ),
                None => "received and dropped unknown (counters not read)".into(),
            };
            eprintln!(
                "nscap: {} left ({why}): {} captured, {kernel}",
                self.s.table.interfaces[idx].name, c.captured
            );
        }
        if gone {
            if let Some(a) = self.owners.as_mut() {
                a.remove_space(space);
            }
            eprintln!("nscap: {} left ({why})", self.s.spaces[space].name);
        }
    }

    /// A stop signal ends the capture; SIGUSR1 prints the statistics so far.
    fn signalled(&mut self, signals: &Signals) {
        if signals.take().is_some() {
            self.end = Some(Ending::Signal);
            let _ = self.stop.send(true);
        }
        if stop::stats_requested() {
            self.progress.clear();
            let counters = self.progress.counters(&self.s.table.captured);
            let (ifs, c) = self.s.table.handles_only(&counters);
            eprint!("{}", stats_text(&ifs, &c));
        }
    }

    /// The clock: time-based rotation, `-a duration`, the status line.
    fn clock(&mut self) {
        let r = self.sinks.iter_mut().try_for_each(|sk| sk.tick());
        if r.is_err() {
            self.check(r);
        } else if exhausted(&self.sinks) {
            self.counted_out();
        } else if self.progress.stop_due() && self.end.is_none() {
            // -a duration ends the capture as a signal would: what arrived before now is
            // still written.
            self.end = Some(Ending::Signal);
            let _ = self.stop.send(true);
        }
        self.progress.draw(&self.sinks);
    }

    fn rescan(&mut self) {
        if let Some(gone) = self.s.rescan() {
            self.end = Some(Ending::Failed(format!("{gone}; capture ended")));
            let _ = self.stop.send(true);
        }
    }

    /// The end: counters of the handles still open (`left`, from the pump) read in their
    /// namespaces, the sinks finished, the statistics printed; the failure that ended the
    /// capture, if one did, comes back.
    async fn finish(mut self, left: Vec<(usize, pcap::Capture<pcap::Active>)>) -> Result<()> {
        self.read_last_counters(left).await;
        // Counters that could not be read in their namespace (after -Z, the workers may not
        // enter it) are the sources' own last reading, where they made one; else unknown.
        for (i, st) in self.s.table.stats.iter_mut().enumerate() {
            if st.is_none() {
                *st = self.progress.last(i);
            }
        }
        if let Some(a) = self.owners.take() {
            if let Err(e) = a.finish() {
                eprintln!("nscap: warning: {}", crate::escape::text(&e.to_string()));
            }
        }
        let cfg = self.s.cfg;
        let table = &self.s.table;
        let end = self.end.unwrap_or(Ending::Done);
        // A closed pipe ends quietly, but the other outputs (a -w file beside --print) are
        // finished all the same: their last packets and statistics blocks are written.
        let mut quiet = matches!(end, Ending::ClosedPipe);
        let counters: Vec<Counters> = (0..table.interfaces.len())
            .map(|i| table.counters(i, table.stats[i]))
            .collect();
        let mut failed = None;
        let mut blocked = self.blocked;
        for sk in self.sinks.iter_mut() {
            if let Err(e) = sk.counters(&counters).and_then(|()| sk.finish()) {
                if quiet || e.kind() == io::ErrorKind::BrokenPipe {
                    quiet = true;
                    continue;
                }
                if e.kind() == io::ErrorKind::TimedOut && stop::requested().is_some() {
                    blocked.get_or_insert_with(|| write_error(&cfg.output, &e).to_string());
                } else {
                    failed.get_or_insert_with(|| write_error(&cfg.output, &e).to_string());
                }
            }
        }
        let refused: Vec<FileStatus> = self
            .sinks
            .iter()
            .filter_map(|sk| sk.status())
            .filter(|st| st.refused.is_some())
            .collect();
        drop(self.sinks);
        self.progress.clear();
        if quiet {
            return Ok(());
        }
        let mut last = String::new();
        if let Some(m) = blocked {
            last = format!("nscap: {m}; stopped without writing the rest\n");
        }
        let (ifs, c) = table.handles_only(&counters);
        last += &stats_text(&ifs, &c);
        for st in &refused {
            last += &refused_text(st);
        }
        stop::eprint_last(&last);
        match (end, failed) {
            (Ending::Failed(m), _) | (_, Some(m)) => Err(anyhow!(m)),
            _ => Ok(()),
        }
    }

    /// The handles still open, by namespace: their counters are read there, then they close.
    async fn read_last_counters(&mut self, left: Vec<(usize, pcap::Capture<pcap::Active>)>) {
        let s = &mut self.s;
        let mut by_space: HashMap<usize, Vec<(usize, pcap::Capture<pcap::Active>)>> =
            HashMap::new();
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
                .workers
                .run(netns, sp.label.clone(), move || {
                    let mut caps = caps;
                    let stats = capture::stats_here(&mut caps);
                    Ok((stats, caps))
                })
                .await;
            if let Ok((stats, caps)) = read {
                for (idx, st) in stats {
                    s.table.stats[idx] = st;
                }
                all_caps.extend(caps.into_iter().map(|(_, c)| c));
            }
        }
        capture::close_all(all_caps);
    }
}

/// The namespace workers enter namespaces and mounts their sysfs (CAP_SYS_ADMIN) and opens packet
/// sockets there (CAP_NET_RAW).
const WORKER_CAPS: u64 = 1 << CAP_SYS_ADMIN | 1 << CAP_NET_RAW;
/// The scanner reads and opens other users' `/proc/PID/ns/net` (CAP_SYS_PTRACE) and reads the
/// runtimes' state and `/run/docker/netns` (CAP_DAC_READ_SEARCH).
const SCANNER_CAPS: u64 = 1 << CAP_SYS_PTRACE | 1 << CAP_DAC_READ_SEARCH;

/// `-Z USER`: with `--follow`, the namespace workers keep what entering a namespace and opening its
/// interfaces needs, and the scanner what finding and opening namespaces needs; with
/// `--process`, the launcher what starting a lookup thread in a namespace needs (README); every
/// other thread keeps nothing.
fn drop_privileges(user: &str, s: &Session, launcher: Option<&Workers>) -> Result<()> {
    let mut keep = Vec::new();
    if let Some(l) = launcher {
        keep.push(Keep {
            thread: l,
            caps: crate::owner::LAUNCH_CAPS,
        });
    }
    if let Some(scanner) = &s.scanner {
        keep.push(Keep {
            thread: &s.workers,
            caps: WORKER_CAPS,
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
    workers: &Workers,
    netns: Option<File>,
    label: String,
    caps: Vec<(usize, pcap::Capture<pcap::Active>)>,
) -> Vec<(usize, Option<Stats>)> {
    if caps.is_empty() {
        return Vec::new();
    }
    let idx: Vec<usize> = caps.iter().map(|(i, _)| *i).collect();
    let read = workers
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
        // Not entered: the counters stay unknown rather than 0.
        Err(_) => idx.into_iter().map(|i| (i, None)).collect(),
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
                match os::recv(fd.get_ref().as_fd(), &mut buf) {
                    Ok(n) if n > 0 => {}
                    // ENOBUFS: events were lost; a re-list covers them anyway.
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {}
                    Ok(_) => {
                        guard.clear_ready();
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        guard.clear_ready();
                        break;
                    }
                    Err(_) => return,
                }
            }
            if ctl.send(Ctl::Links(space)).is_err() {
                return;
            }
        }
    }))
}

/// The first `n` packets of `batch` to every sink, then a flush; fewer when a sink reached an
/// autostop limit. Returns how many packets the sinks took (on a failure, up to and with the
/// packet that failed), and how it went. With `members` (the batch came from an `any` handle
/// reading Linux cooked v2), each packet goes under the interface its header names by index.
fn write_batch(
    sinks: &mut [BoxSink],
    batch: &crate::packet::Batch,
    n: usize,
    members: Option<&[(u32, usize)]>,
    owners: Option<&[Option<std::sync::Arc<crate::packet::Owner>>]>,
) -> (usize, io::Result<()>) {
    let mut taken = 0;
    'packets: for (i, mut p) in batch.iter().take(n).enumerate() {
        if let Some(m) = members {
            p.iface = member_of(m, p.data).unwrap_or(p.iface);
        }
        let owner = owners.and_then(|o| o.get(i)?.as_deref());
        for s in sinks.iter_mut() {
            if let Err(e) = s.packet_by(&p, owner) {
                return (taken + 1, Err(e));
            }
            // The file sink comes first: a packet it refused is not printed either.
            if s.exhausted() {
                break 'packets;
            }
        }
        taken += 1;
    }
    (taken, sinks.iter_mut().try_for_each(|s| s.flush()))
}

/// `--process`: one attribution thread per target namespace, each capture handle tied to its
/// target's. Namespaces and handles that join later are added as they come.
fn process_stage(
    cfg: &Config,
    spaces: &[Namespace],
    table: &Interfaces,
    launcher: Option<Workers>,
) -> Result<Option<crate::owner::Stage>> {
    if !cfg.process {
        return Ok(None);
    }
    let mut stage = crate::owner::Stage::new(launcher);
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
fn attribute_joined(stage: &mut crate::owner::Stage, s: &Session, space: usize, first: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
