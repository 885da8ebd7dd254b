//! The session's loop once the capture runs: one handler per event (packets, a source that
//! failed, handles opened or closed by the workers, signals, the clock, rescans), and the end:
//! the last counters, the sinks finished, the statistics.

use std::collections::HashMap;
use std::io;
use std::os::fd::OwnedFd;

use anyhow::{anyhow, Result};
use tokio::sync::watch;

use super::progress::Progress;
use super::report::{late_text, refused_text, stats_text, write_error, write_failed, Ending};
use super::{shown, watch_links, Session};
use crate::capture::{self, Opened, Stats};
use crate::order::Order;
use crate::packet::Counters;
use std::sync::MutexGuard;

use crate::sink::{self, member_of, FileStatus, Outputs, Shared};
use crate::stop::{self, Signals};

/// The session's loop, once the capture runs: the session and what the loop writes to.
pub(super) struct Loop<'a> {
    pub(super) s: Session<'a>,
    /// The sinks, what was written to them, and whether packets are still written. Packets
    /// that arrive after a stop signal, a target's exit or an interface failure are still
    /// written; after -c, a closed pipe or a write error they are not.
    pub(super) out: Outputs,
    /// The one handle whose packets the capture thread writes itself (see `capture::Inline`):
    /// its count is the outputs' `written`.
    pub(super) inline: Option<usize>,
    pub(super) owners: Option<crate::owner::Stage>,
    pub(super) progress: Progress,
    pub(super) stop: watch::Sender<bool>,
    pub(super) end: Option<Ending>,
    /// Output that was still blocked past the grace period after a stop signal.
    pub(super) blocked: Option<String>,
    /// With several interfaces: the packets held until they can leave in time order.
    pub(super) order: Option<Order>,
    /// `--pid`, `--comm`: the processes whose packets are written, the others left out.
    pub(super) wanted: Option<crate::owner::Filter>,
    /// `-- COMMAND`, running.
    pub(super) command: Option<super::command::Running>,
}

impl Loop<'_> {
    /// The outputs, held by this thread until the guard goes.
    pub(super) fn out(&self) -> MutexGuard<'_, Shared> {
        sink::lock(&self.out)
    }

    /// Packets are still written.
    pub(super) fn writing(&self) -> bool {
        self.out().writing
    }

    /// Packets written, over every interface.
    pub(super) fn written(&self) -> u64 {
        self.out().written
    }

    /// The count of the handle the capture thread writes itself, brought into the table
    /// before its counters are shown or recorded.
    pub(super) fn settle(&mut self) {
        if let Some(h) = self.inline {
            self.s.table.captured[h] = self.written();
        }
    }

    /// After a write to the sinks: a failure stops writing and ends the capture.
    pub(super) fn check(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.out().writing = false;
            write_failed(&self.s.cfg.output, &e, &mut self.end, &mut self.blocked);
            let _ = self.stop.send(true);
        }
    }

    /// A sink reached its limit (`-c`, or an autostop of rotation): what came before is kept.
    pub(super) fn counted_out(&mut self) {
        self.out().writing = false;
        self.end.get_or_insert(Ending::Count);
        let _ = self.stop.send(true);
    }

    /// The capture thread stopped writing its packets (see `capture::Inline`): on a write
    /// error, or at a limit.
    pub(super) fn inline_ended(&mut self, error: Option<io::Error>) {
        match error {
            Some(e) => self.check(Err(e)),
            None => self.counted_out(),
        }
    }

    pub(super) fn packets(&mut self, batch: crate::packet::Batch) {
        if !self.writing() {
            return;
        }
        if let Some(order) = self.order.as_mut() {
            let owners = self.owners.as_mut().map(|a| a.annotate(&batch).to_vec());
            order.push(batch, owners);
            self.release(false);
            return;
        }
        let count = self.s.cfg.count;
        let members = self.s.table.by_index[batch.iface].as_deref();
        let owners = self.owners.as_mut().map(|a| a.annotate(&batch));
        let mut out = sink::lock(&self.out);
        let mut n = batch.len();
        if let Some(c) = count {
            n = n.min(c.saturating_sub(out.written) as usize);
        }
        let (n, res) = write_batch(&mut out, &batch, n, members, owners, self.wanted.as_mut());
        out.written += n as u64;
        let limit = count.is_some_and(|c| out.written >= c) || out.exhausted();
        drop(out);
        self.s.table.captured[batch.iface] += n as u64;
        match res {
            Err(e) => self.check(Err(e)),
            Ok(_) if limit => self.counted_out(),
            Ok(_) => {}
        }
    }

    /// With several interfaces: writes the packets held that are due (every one, with `all`),
    /// in time order, as [`Loop::packets`] writes a batch.
    pub(super) fn release(&mut self, all: bool) {
        let Some(order) = self.order.as_mut() else {
            return;
        };
        let mut out = sink::lock(&self.out);
        if !out.writing {
            order.clear();
            return;
        }
        let count = self.s.cfg.count;
        let (wall, now) = (std::time::SystemTime::now(), std::time::Instant::now());
        let mut res = Ok(());
        let mut full = false;
        let mut wrote = false;
        while let Some(q) = order.due(all, wall, now) {
            if count.is_some_and(|c| out.written >= c) {
                break;
            }
            let (mut p, owner) = order.head(q);
            let handle = p.iface;
            if self.wanted.as_mut().is_some_and(|w| !w.keeps(owner)) {
                order.advance(q);
                continue;
            }
            if let Some(m) = self.s.table.by_index[handle].as_deref() {
                p.iface = member_of(m, p.data).unwrap_or(p.iface);
            }
            match out.packet(&p, owner) {
                Ok(true) => {}
                Ok(false) => {
                    full = true;
                    break;
                }
                Err(e) => res = Err(e),
            }
            self.s.table.captured[handle] += 1;
            out.written += 1;
            order.advance(q);
            wrote = true;
            if res.is_err() {
                break;
            }
        }
        if res.is_ok() && wrote {
            res = out.flush();
        }
        let limit = full || count.is_some_and(|c| out.written >= c);
        drop(out);
        match res {
            Err(e) => self.check(Err(e)),
            Ok(()) if limit => self.counted_out(),
            Ok(()) => {}
        }
    }

    /// Whether packets are held for time order.
    pub(super) fn holding(&self) -> bool {
        self.order.as_ref().is_some_and(Order::holding)
    }

    /// A source stopped on an error: with --follow its interface leaves; otherwise the
    /// capture ends, naming it.
    pub(super) fn source_failed(&mut self, iface: usize, message: String) {
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
    pub(super) fn opened(
        &mut self,
        space: usize,
        result: Result<Vec<Opened>>,
        links: Option<OwnedFd>,
    ) {
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
                let e = crate::escape::text(&format!("{e:#}"));
                eprintln!("nscap: {} ({}): {e}", shown(&sp.name), sp.label);
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
                shown(&s.table.interfaces[idx].name),
                crate::escape::text(&s.spaces[space].description)
            );
        }
        if let Some(a) = self.owners.as_mut() {
            attribute_joined(a, &self.s, space, first);
        }
        if !caps.is_empty() {
            let added = &self.s.table.interfaces[first..];
            let r = self
                .out()
                .sinks
                .iter_mut()
                .try_for_each(|sk| sk.add_interfaces(added));
            if let Err(e) = r {
                if e.kind() == io::ErrorKind::Unsupported {
                    self.out().writing = false;
                    self.end = Some(Ending::Failed(
                        "--format pcap cannot take interfaces that join later: use pcapng".into(),
                    ));
                    let _ = self.stop.send(true);
                } else {
                    self.check(Err(e));
                }
            }
            self.s.pump.add(caps, None);
        }
        if again {
            self.s.spaces[space].relisting = true;
            self.s.open(space, false);
        }
    }

    /// Interfaces left (with their counters read in their namespace); `gone`: the namespace
    /// itself left.
    pub(super) fn left(
        &mut self,
        space: usize,
        stats: Vec<(usize, Option<Stats>)>,
        why: String,
        gone: bool,
    ) {
        // Its packets still held for time order are written first (with everything held
        // before them), so that its count is whole and no packet follows its statistics.
        if !stats.is_empty() {
            self.release(true);
        }
        for (idx, st) in stats {
            self.s.table.stats[idx] = st;
            let c = self.s.table.counters(idx, st);
            let r = self
                .out()
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
                "nscap: {} left ({}): {} captured, {kernel}",
                shown(&self.s.table.interfaces[idx].name),
                crate::escape::text(&why),
                c.captured
            );
        }
        if gone {
            if let Some(a) = self.owners.as_mut() {
                a.remove_space(space);
            }
            eprintln!(
                "nscap: {} left ({})",
                shown(&self.s.spaces[space].name),
                crate::escape::text(&why)
            );
        }
    }

    /// A stop signal ends the capture; SIGUSR1 prints the statistics so far.
    pub(super) fn signalled(&mut self, signals: &Signals) {
        if signals.take().is_some() {
            self.end = Some(Ending::Signal);
            let _ = self.stop.send(true);
        }
        if stop::stats_requested() {
            self.settle();
            self.progress.clear();
            let counters = self.progress.counters(&self.s.table.captured);
            let (ifs, c) = self.s.table.handles_only(&counters);
            eprint!("{}", stats_text(&ifs, &c));
        }
    }

    /// The clock: time-based rotation, `-a duration`, the status line.
    pub(super) fn clock(&mut self) {
        let (r, exhausted) = {
            let mut out = self.out();
            let r = out.sinks.iter_mut().try_for_each(|sk| sk.tick());
            (r, out.exhausted())
        };
        if r.is_err() {
            self.check(r);
        } else if exhausted {
            self.counted_out();
        } else if self.progress.stop_due() && self.end.is_none() {
            // -a duration ends the capture as a signal would: what arrived before now is
            // still written.
            self.end = Some(Ending::Signal);
            let _ = self.stop.send(true);
        }
        let out = sink::lock(&self.out);
        self.progress.draw(&out.sinks);
    }

    pub(super) fn rescan(&mut self) {
        if let Some(gone) = self.s.rescan() {
            self.end = Some(Ending::Failed(format!("{gone}; capture ended")));
            let _ = self.stop.send(true);
        }
    }

    /// The end: counters of the handles still open (`left`, from the pump) read in their
    /// namespaces, the sinks finished, the statistics printed; the failure that ended the
    /// capture, if one did, comes back.
    pub(super) async fn finish(
        mut self,
        left: Vec<(usize, pcap::Capture<pcap::Active>)>,
    ) -> Result<()> {
        self.settle();
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
        let mut out = sink::lock(&self.out);
        for sk in out.sinks.iter_mut() {
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
        let refused: Vec<FileStatus> = out
            .sinks
            .iter()
            .filter_map(|sk| sk.status())
            .filter(|st| st.refused.is_some())
            .collect();
        // Closed now: the statistics come after the files are whole.
        out.sinks.clear();
        drop(out);
        self.progress.clear();
        if quiet {
            return Ok(());
        }
        let mut last = String::new();
        if let Some(m) = blocked {
            last = format!("nscap: {m}; stopped without writing the rest\n");
        }
        // A remote stream's counters went into its statistics blocks, for the -H end to print.
        if !cfg.remote_stream {
            let (ifs, c) = table.handles_only(&counters);
            last += &stats_text(&ifs, &c);
        }
        for st in &refused {
            last += &refused_text(st);
        }
        if let Some(o) = self.order.as_ref().filter(|o| o.late() > 0) {
            last += &late_text(o.late(), o.hold());
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

/// The first `n` packets of `batch` (of those `wanted` keeps, when it is given) to every sink,
/// then a flush; fewer when a sink reached an autostop limit. Returns how many packets the sinks
/// took (on a failure, up to and with the packet that failed), and how it went. With `members`
/// (the batch came from an `any` handle reading Linux cooked v2), each packet goes under the
/// interface its header names by index.
fn write_batch(
    out: &mut Shared,
    batch: &crate::packet::Batch,
    n: usize,
    members: Option<&[(u32, usize)]>,
    owners: Option<&[Option<std::sync::Arc<crate::packet::Owner>>]>,
    mut wanted: Option<&mut crate::owner::Filter>,
) -> (usize, io::Result<()>) {
    let mut taken = 0;
    for (i, mut p) in batch.iter().enumerate() {
        if taken == n {
            break;
        }
        let owner = owners.and_then(|o| o.get(i)?.as_deref());
        if wanted.as_mut().is_some_and(|w| !w.keeps(owner)) {
            continue;
        }
        if let Some(m) = members {
            p.iface = member_of(m, p.data).unwrap_or(p.iface);
        }
        match out.packet(&p, owner) {
            Ok(true) => taken += 1,
            Ok(false) => break,
            Err(e) => return (taken + 1, Err(e)),
        }
    }
    (taken, out.flush())
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
