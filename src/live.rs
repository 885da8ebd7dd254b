//! A live capture session: target → sources → sinks, until a signal, a count, a closed pipe,
//! a vanished interface or the target's exit ends it; then statistics, tcpdump's words.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use tokio::io::unix::AsyncFd;
use tokio::sync::{mpsc, watch};

use crate::capture::{listening_line, Event, HandleOptions, NsCapture, Stats};
use crate::cli::Config;
use crate::error::os_message;
use crate::iface;
use crate::netns;
use crate::os::{self, stdout_closed, stdout_is_pipe};
use crate::packet::{Counters, Interface};
use crate::progress::Progress;
use crate::sink::{self, BoxSink, Output};
use crate::stop::{self, Signals};
use crate::target::{self, Target, TargetSpec};

/// Runs capture mode for `-t TARGET...`. A capture that ended on a failure has printed its
/// statistics already; the failure comes back as the error, for the caller's one line.
pub fn run(cfg: &Config, targets: &[String]) -> Result<()> {
    let mut resolved: Vec<Target> = Vec::new();
    for t in targets {
        let t = target::resolve(&TargetSpec::parse(t)?)?;
        // Two names for one namespace would capture (and print, and write) every packet twice.
        match resolved.iter().find(|seen| seen.inode == t.inode) {
            Some(seen) => eprintln!(
                "nscap: {}",
                crate::escape::text(&format!(
                    "{} is in the same network namespace as {} (net:[{}]): captured once",
                    t.label, seen.label, t.inode
                ))
            ),
            None => resolved.push(t),
        }
    }
    let targets = resolved;
    if cfg.list_interfaces {
        return list_interfaces(&targets);
    }
    if cfg.list_datalinks || cfg.list_tstamp_types {
        return crate::probe::run(cfg, &targets);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    rt.block_on(session(cfg, &targets))
}

fn list_interfaces(targets: &[Target]) -> Result<()> {
    let mut text = String::new();
    for t in targets {
        let ifs = netns::run(t.netns.try_clone()?, t.label.clone(), iface::list)?;
        if targets.len() > 1 {
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
    let fd =
        os::watch_exit(pid).map_err(|e| anyhow!("cannot watch pid {pid}: {}", os_message(&e)))?;
    Ok(Some(fd))
}

/// A short name for a target, to tell its interfaces apart when there are several targets:
/// `4242` for a process, `blue` for `/run/netns/blue`.
fn short_name(t: &Target) -> String {
    if let Some(pid) = t.pid {
        return pid.to_string();
    }
    let path = Path::new(&t.label);
    let mut parts = path.iter().rev().map(|p| p.to_string_lossy());
    match (parts.next(), parts.next(), parts.next()) {
        // /proc/PID/ns/net
        (Some(net), Some(ns), Some(pid)) if net == "net" && ns == "ns" => pid.into_owned(),
        (Some(name), _, _) => name.into_owned(),
        _ => t.label.clone(),
    }
}

/// How often buffered output is written out, whatever its size: with libpcap's ring blocks
/// handed over within 100 ms, every packet is in the kernel's hands within a second.
const SYNC_EVERY: Duration = Duration::from_millis(500);

async fn session(cfg: &Config, targets: &[Target]) -> Result<()> {
    let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(64);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (exit_tx, mut exit_rx) = mpsc::unbounded_channel::<usize>();
    let opts = HandleOptions::from_config(cfg);
    let mut captures = Vec::new();
    let mut interfaces: Vec<Interface> = Vec::new();
    // For each interface, the target it belongs to.
    let mut owner: Vec<usize> = Vec::new();
    // (`any` handle's place in the table, its target, the interfaces behind it).
    let mut any_members = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        // Watch the process before opening anything, so a PID reused later is not mistaken
        // for it.
        if let Some(fd) = watch_pid(t.pid)? {
            let tx = exit_tx.clone();
            tokio::spawn(async move {
                let _ = fd.readable().await;
                let _ = tx.send(ti);
            });
        }
        let cap = NsCapture::start(
            t,
            &cfg.interfaces,
            &opts,
            interfaces.len(),
            ev_tx.clone(),
            stop_rx.clone(),
        )?;
        for a in &cap.any_members {
            any_members.push((interfaces.len() + a.handle, ti, a.members.clone()));
        }
        for mut i in cap.interfaces.iter().cloned() {
            if targets.len() > 1 {
                i.name = format!("{}:{}", short_name(t), i.name);
            }
            interfaces.push(i);
            owner.push(ti);
        }
        captures.push(cap);
    }
    drop(ev_tx);
    // The capture handles come first in the table; the real interfaces behind `any` handles
    // after them, for the sinks only: statistics and failures stay the handles'.
    let handles = interfaces.len();
    let mut by_index: Vec<Option<Vec<(u32, usize)>>> = vec![None; handles];
    for (handle, ti, members) in any_members {
        let mut map = Vec::with_capacity(members.len());
        for (index, mut i) in members {
            if targets.len() > 1 {
                i.name = format!("{}:{}", short_name(&targets[ti]), i.name);
            }
            map.push((index, interfaces.len()));
            interfaces.push(i);
        }
        map.sort_unstable();
        by_index[handle] = Some(map);
    }
    // Attribution reads /proc/PID/fd, which needs root or CAP_SYS_PTRACE for other users'
    // processes: after -Z (which changes every thread's user) only the -Z user's own processes
    // are named.
    let mut attrib = process_stage(cfg, targets, &owner, &interfaces[..handles])?;
    // Every handle is open: from here on, files are created as the -Z user.
    if let Some(user) = &cfg.user {
        crate::privs::drop_to(user)?;
    }
    let mut sinks = sink::build(cfg, &interfaces, stdout_output)?;
    for s in sinks.iter_mut() {
        match s.start(&interfaces) {
            // The reader left before the first packet: as quiet as when it leaves later.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                let _ = stop_tx.send(true);
                for cap in captures {
                    let _ = cap.join();
                }
                return Ok(());
            }
            Err(e) => return Err(write_error(cfg, &e)),
            Ok(()) => {}
        }
    }
    for (i, iface) in interfaces[..handles].iter().enumerate() {
        eprintln!("nscap: {}", listening_line(iface, &targets[owner[i]].label));
    }
    // Installed once the output is open: opening a FIFO waits for its reader, std retries the
    // open on EINTR, and a handler would keep Ctrl-C from ending that wait. The capture
    // threads block these signals (netns::spawn), so this thread takes them, even while it is
    // blocked writing.
    let signals = Signals::install().context("cannot install the signal handlers")?;
    // SAFETY: `signals` owns the descriptor and outlives `signal_fd`, declared after it.
    let signal_fd = unsafe { AsyncFd::register(signals.fd()) }
        .map_err(|e| anyhow!("cannot watch for signals: {}", e.into_parts().1))?;

    let mut sync_tick = tokio::time::interval(SYNC_EVERY);
    let watch_pipe = stdout_is_pipe() && (cfg.print || cfg.writes_stdout());
    let mut pipe_tick = tokio::time::interval(Duration::from_millis(200));
    let mut progress = Progress::new(cfg, handles);
    let mut clock_tick = tokio::time::interval(crate::progress::TICK);
    let mut captured = vec![0u64; handles];
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
                    let members = by_index[batch.iface].as_deref();
                    let owners = attrib.as_mut().map(|a| a.annotate(&batch));
                    let res = write_batch(&mut sinks, &batch, n, members, owners);
                    let n = *res.as_ref().unwrap_or(&n);
                    captured[batch.iface] += n as u64;
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
                    if end.is_none() {
                        let name = crate::escape::name(interfaces[iface].name.as_bytes());
                        let label = &targets[owner[iface]].label;
                        // Escaped when printed, with the rest of the message (error.rs).
                        end = Some(End::Failed(format!("{name} in {label}: {message}")));
                        let _ = stop_tx.send(true);
                    }
                }
                Some(Event::Stats { iface, stats }) => {
                    progress.stats(iface, stats);
                    progress.tell(&mut sinks, &captured);
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
                    eprint!("{}", stats_text(&interfaces, &progress.counters(&captured)));
                }
            }
            _ = clock_tick.tick(), if writing && progress.needs_tick() => {
                if let Err(e) = sinks.iter_mut().try_for_each(|s| s.tick()) {
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
                if let Err(e) = sinks.iter_mut().try_for_each(|s| s.sync()) {
                    writing = false;
                    write_failed(cfg, &e, &mut end, &mut blocked);
                    let _ = stop_tx.send(true);
                }
            }
            Some(ti) = exit_rx.recv(), if end.is_none() => {
                let label = &targets[ti].label;
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
    let mut stats = Vec::new();
    for cap in captures {
        stats.extend(cap.join()?);
    }
    if let Some(a) = attrib.take() {
        if let Err(e) = a.finish() {
            eprintln!("nscap: warning: {}", crate::escape::text(&e.to_string()));
        }
    }
    let end = end.unwrap_or(End::Done);
    // A closed pipe ends quietly, but the other outputs (a -w file beside --print) are
    // finished all the same: their last packets and statistics blocks are written.
    let mut quiet = matches!(end, End::ClosedPipe);
    let counters: Vec<Counters> = captured
        .iter()
        .zip(stats.iter().chain(std::iter::repeat(&Stats::default())))
        .map(|(&captured, st)| Counters {
            captured,
            received: u64::from(st.received),
            dropped: u64::from(st.dropped),
            if_dropped: u64::from(st.if_dropped),
        })
        .collect();
    let mut failed = None;
    for s in sinks.iter_mut() {
        if let Err(e) = s.counters(&counters).and_then(|()| s.finish()) {
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
    last += &stats_text(&interfaces[..handles], &counters);
    stop::eprint_last(&last);
    match (end, failed) {
        (End::Failed(m), _) | (_, Some(m)) => Err(anyhow!(m)),
        _ => Ok(()),
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
/// target's.
fn process_stage(
    cfg: &Config,
    targets: &[Target],
    owner: &[usize],
    handles: &[Interface],
) -> Result<Option<crate::attrib::Stage>> {
    if !cfg.process {
        return Ok(None);
    }
    let mut spaces = Vec::new();
    for t in targets {
        spaces.push((t.netns.try_clone()?, t.inode, t.label.clone()));
    }
    let handles: Vec<(usize, &Interface)> = owner.iter().copied().zip(handles).collect();
    crate::attrib::Stage::start(spaces, &handles).map(Some)
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
        Interface {
            name: name.into(),
            linktype: 1,
            snaplen: 65535,
            description: String::new(),
            mac: None,
        }
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
