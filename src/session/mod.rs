//! A live capture session: target → sources → sinks, until a signal, a count, a closed pipe,
//! a vanished interface or the target's exit ends it; then statistics, tcpdump's words.
//!
//! [`run`] opens every namespace's handles through the namespace workers, starts the sinks,
//! and then loops on events, one small handler each ([`Loop`]): packets from the pump, handles
//! opened or closed by the workers, signals, clocks, and the rescans of [`follow`]. The
//! interface table is [`table`]; the closing words are [`report`].

mod command;
mod follow;
mod handlers;
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
use crate::privs::{Keep, CAP_DAC_READ_SEARCH, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_PTRACE};
use crate::sink::{self, Output};
use crate::stop::{self, Signals};
use crate::targets::select::{self, Member, Selection};
use crate::targets::Roots;
use follow::Passed;
use handlers::Loop;
use pcap::{Active, Capture};
use progress::Progress;
use report::Ending;
pub(crate) use report::{late_text, write_error};
pub use report::{stats_text, stats_text_named};
use table::Interfaces;

/// How often packets held for time order are looked at: a packet waits at most this beyond
/// `crate::order::HOLD`.
const ORDER_EVERY: Duration = Duration::from_millis(50);

/// How often buffered output is written out, whatever its size: with libpcap's ring blocks
/// handed over within 100 ms, every packet is in the kernel's hands within a second.
const SYNC_EVERY: Duration = Duration::from_millis(500);

/// A name from outside (a namespace's, an interface's, `NAME/IFACE`), for the terminal: kept
/// raw everywhere else, escaped once here.
fn shown(name: &str) -> String {
    crate::escape::name(name.as_bytes())
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
    /// Named by a PID or a path (see `Member::fixed`).
    fixed: bool,
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
            fixed: m.fixed,
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
pub async fn run(
    cfg: &Config,
    members: Vec<Member>,
    sel: Selection,
    many: bool,
) -> Result<Option<i32>> {
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
        // Privileges are dropped (-Z, capture-only mode): a thread of its own keeps what finding
        // namespaces needs.
        scanner: if cfg.follow && (cfg.user.is_some() || crate::privs::capture_only()) {
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
    let (listening, caps) = s.open_all(&mut ctl_rx).await?;
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
    let sinks = sink::build(
        &cfg.output,
        &cfg.print_opts,
        &s.table.interfaces,
        stdout_output,
    )?;
    let out = sink::Shared::new(sinks);
    let started = sink::lock(&out)
        .sinks
        .iter_mut()
        .try_for_each(|sk| sk.start(&s.table.interfaces));
    match started {
        // The reader left before the first packet: as quiet as when it leaves later.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            let _ = stop_tx.send(true);
            let _ = pump.join();
            return Ok(None);
        }
        Err(e) => return Err(write_error(&cfg.output, &e)),
        Ok(()) => {}
    }
    // `-- COMMAND`: started once everything is open, in the (one) target's namespace; its
    // packets alone are written.
    let command = match (
        &cfg.command,
        s.spaces.first().and_then(|sp| sp.netns.as_ref()),
    ) {
        (Some(argv), Some(netns)) => {
            // Once the lookup thread can name its first connection.
            if let Some(o) = &owners {
                if !o.wait_ready(0, Duration::from_secs(3)) {
                    eprintln!(
                        "nscap: warning: --process is not ready in {}: the command's first packets may be left out",
                        crate::escape::text(&s.spaces[0].label)
                    );
                }
            }
            match command::start(argv, netns, cfg.writes_stdout()) {
                Ok(c) => Some(c),
                // Not started: said in one line; nscap's status is the one a shell gives.
                Err((code, message)) => {
                    eprintln!("nscap: {}", crate::escape::text(&message));
                    let _ = stop_tx.send(true);
                    let _ = pump.join();
                    for sk in sink::lock(&out).sinks.iter_mut() {
                        let _ = sk.finish();
                    }
                    return Ok(Some(code));
                }
            }
        }
        _ => None,
    };
    let wanted = match &command {
        Some(c) => Some(crate::owner::Wanted {
            pids: vec![c.pid()],
            comms: Vec::new(),
            tree: true,
        }),
        None => cfg.wanted.clone(),
    };
    let channels = Channels {
        events: ev_rx,
        ctl: ctl_rx,
        exits: exit_rx,
    };
    // Several capture handles: their packets leave in time order (see `order`).
    let handles = s.table.handle.iter().filter(|&&h| h).count();
    let ordered = s.many || handles > 1;
    // One handle, each packet written as it is: the capture thread writes it from the ring.
    // Not when files rotate: opening them and running -z belong to this thread, in the host's
    // namespaces (the capture thread sits in the target's, with a mount namespace of its own),
    // and a file opened with O_TRUNC can take milliseconds that the batches absorb.
    let inline = match caps.as_slice() {
        [(idx, _)]
            if !ordered
                && owners.is_none()
                && wanted.is_none()
                && !cfg.follow
                && !cfg.output.rotation.rotates() =>
        {
            Some(*idx)
        }
        _ => None,
    };
    // Read from now: until then the rings hold what arrives.
    s.pump.add(
        caps,
        inline.map(|idx| capture::Inline {
            out: out.clone(),
            count: cfg.count,
            members: s.table.by_index[idx].clone(),
        }),
    );
    let l = Loop {
        progress: Progress::new(cfg, s.table.interfaces.len()),
        s,
        out,
        inline,
        owners,
        stop: stop_tx,
        end: None,
        blocked: None,
        order: ordered.then(crate::order::Order::default),
        wanted: wanted.map(crate::owner::Filter::new),
        command,
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
) -> Result<Option<i32>> {
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
    let mut order_tick = tokio::time::interval(ORDER_EVERY);
    let mut rescan_tick = tokio::time::interval(follow::RESCAN_EVERY);
    // `-- COMMAND`: fires a moment after it exits.
    let mut command_ended = l.command.as_mut().and_then(|c| c.ended.take());
    rescan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            ev = ch.events.recv() => match ev {
                None => break,
                Some(Event::Packets(batch)) => l.packets(batch),
                Some(Event::Failed { iface, message }) => l.source_failed(iface, message),
                Some(Event::Stats { iface, stats }) => {
                    l.progress.stats(iface, stats);
                    l.settle();
                    let mut out = sink::lock(&l.out);
                    l.progress.tell(&mut out.sinks, &l.s.table.captured);
                }
                Some(Event::Ended(error)) => l.inline_ended(error),
            },
            Some(c) = ch.ctl.recv(), if l.end.is_none() => match c {
                Ctl::Opened { space, result, links } => l.opened(space, result, links),
                Ctl::Left { space, stats, why, gone } => {
                    // The leaving sources' last batches were sent before their handles came
                    // back: written first, so that their counts are whole.
                    while let Ok(ev) = ch.events.try_recv() {
                        match ev {
                            Event::Packets(batch) => l.packets(batch),
                            Event::Failed { iface, message } => l.source_failed(iface, message),
                            Event::Stats { iface, stats } => l.progress.stats(iface, stats),
                            Event::Ended(error) => l.inline_ended(error),
                        }
                    }
                    l.left(space, stats, why, gone)
                }
                Ctl::Links(space) => l.s.links_changed(space),
            },
            ready = signal_fd.readable(), if l.end.is_none() => {
                if let Ok(mut guard) = ready {
                    guard.clear_ready();
                }
                l.signalled(&signals);
            }
            _ = clock_tick.tick(), if l.writing() && l.progress.needs_tick() => l.clock(),
            _ = sync_tick.tick(), if l.writing() => {
                let r = l.out().sinks.iter_mut().try_for_each(|sk| sk.sync());
                l.check(r);
                crate::packet::trim_spare();
            }
            _ = order_tick.tick(), if l.holding() => l.release(false),
            _ = rescan_tick.tick(), if rescanning && l.end.is_none() => l.rescan(),
            _ = follow::woken(&wake), if l.end.is_none() => l.rescan(),
            _ = async { command_ended.as_mut().expect("guarded").await }, if command_ended.is_some() && l.end.is_none() => {
                command_ended = None;
                l.end = Some(Ending::Done);
                let _ = l.stop.send(true);
            }
            Some(si) = ch.exits.recv(), if l.end.is_none() => {
                let label = &l.s.spaces[si].label;
                l.end = Some(Ending::Failed(format!("target {label} exited; capture ended")));
                let _ = l.stop.send(true);
            }
            _ = pipe_tick.tick(), if watch_pipe && l.end.is_none() => {
                if stdout_closed() {
                    l.out().writing = false;
                    l.end = Some(Ending::ClosedPipe);
                    let _ = l.stop.send(true);
                }
            }
        }
    }
    // Every source has ended: what is still held for time order goes out now.
    l.release(true);
    let command = l.command.take();
    let left = match pump.join() {
        Ok(left) => left,
        Err(e) => {
            // Not left running behind a capture that failed.
            let _ = command.map(command::Running::status);
            return Err(e);
        }
    };
    if command.is_some() && l.written() == 0 {
        // Said rather than left to a file that looks like a quiet command.
        eprintln!("nscap: warning: no packet of the command was written: it sent none, or it ended before --process found its sockets");
    }
    let r = l.finish(left).await;
    // The command's status once it has exited; one the capture ended first (a signal, -c, a
    // failure) is stopped first (see `Running::status`), also when the capture failed.
    let status = command.map(command::Running::status);
    r.map(|()| status)
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
        } else if crate::privs::capture_only() {
            crate::privs::drop_capture_only(&self.kept_threads(None))?;
        }
        process_stage(cfg, &self.spaces, &self.table, launcher)
    }

    /// The threads that keep capabilities when privileges are dropped, and which.
    fn kept_threads<'a>(&'a self, launcher: Option<&'a Workers>) -> Vec<Keep<'a>> {
        let mut keep = Vec::new();
        if let Some(l) = launcher {
            keep.push(Keep {
                thread: l,
                caps: crate::owner::LAUNCH_CAPS,
            });
        }
        if let Some(scanner) = &self.scanner {
            keep.push(Keep {
                thread: &self.workers,
                caps: WORKER_CAPS,
            });
            keep.push(Keep {
                thread: scanner,
                caps: SCANNER_CAPS,
            });
        }
        keep
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
    /// targets. Returns the interfaces now listening, and their handles, for the pump to read
    /// once the sinks are ready.
    async fn open_all(
        &mut self,
        ctl_rx: &mut mpsc::UnboundedReceiver<Ctl>,
    ) -> Result<(Vec<usize>, Vec<(usize, Capture<Active>)>)> {
        if let Some(host) = crate::targets::inventory::host_netns() {
            self.passed.insert(
                host,
                Passed {
                    held: true,
                    names: Vec::new(),
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
        let mut caps = Vec::new();
        for (si, p) in pending.into_iter().enumerate() {
            let Some((result, links)) = p else { continue };
            let opened = match result {
                Ok(o) => o,
                // A namespace named exactly fails as tcpdump would, even under --follow (an
                // interface that is down, say); one found by a pattern is only passed over.
                Err(e) if self.spaces[si].matched => {
                    let sp = &self.spaces[si];
                    let e = crate::escape::text(&format!("{e:#}"));
                    eprintln!("nscap: {} ({}): {e}", shown(&sp.name), sp.label);
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            if let Some(fd) = links {
                self.spaces[si].links = watch_links(fd, si, self.ctl.clone());
            }
            for mut o in opened {
                let idx = self
                    .table
                    .add_opened(si, &self.spaces[si], &mut o, self.many);
                self.spaces[si].open.push((idx, o.raw_name));
                caps.push((idx, o.cap));
                listening.push(idx);
            }
        }
        Ok((listening, caps))
    }

    /// tcpdump's "listening on" lines: one per interface for one namespace (or with -v), one
    /// summary line for several.
    fn announce(&self, listening: &[usize]) {
        // The -H end says what it listens on, over every host.
        if self.cfg.remote_stream {
            return;
        }
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
    crate::privs::drop_to(user, &s.kept_threads(launcher))
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
                .spawn(move || {
                    // Stop signals belong to the session's thread (see crate::stop).
                    crate::stop::block_in_this_thread();
                    capture::close_all(caps)
                });
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
