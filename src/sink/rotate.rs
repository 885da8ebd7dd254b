//! `-w FILE` with rotation and autostop: one model for tcpdump's `-C -W -G -z` and dumpcap's
//! `-b` and `-a`.
//!
//! [`Rotating`] owns the file being written and the interface table. On a rotation condition it
//! finishes the file (statistics blocks for pcapng) and starts the next one with its own pcap
//! header, or section header and every interface known at that moment, so that each file
//! stands alone the moment it is closed. A file is rotated *before* a packet would take it past
//! the size limit, never in the middle of a record. Without rotation it is the plain `-w` file.

use std::collections::VecDeque;
use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::file::{no_room, Torn};
use super::pcap::PcapWriter;
use super::pcapng::PcapngWriter;
use super::{FileStatus, Sink};
use crate::error::os_message;
use crate::packet::Owner;
use crate::packet::{Counters, Interface, Packet};
use crate::sink::Format;

/// How the files are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// tcpdump's: `FILE`, then `FILE1`, `FILE2`...; with a ring (`-W N`), `FILE0`..`FILE{N-1}`
    /// zero padded to the width of N-1; with `-G`, the name goes through strftime first.
    #[default]
    Tcpdump,
    /// dumpcap's `-b`: `PREFIX_NNNNN_YYYYmmddHHMMSS.EXT`, numbered from 1.
    Dumpcap,
}

/// When to start a new file, and when to stop. Every limit is optional; none means one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub naming: Naming,
    /// The `-w` name goes through strftime (tcpdump's `-G`).
    pub strftime: bool,
    /// tcpdump's `-W` as the width of the file number (N-1 digits), even when it is no ring.
    pub digits_for: Option<u32>,
    /// A new file before one would pass this many bytes (`-C`, `-b filesize`).
    pub file_bytes: Option<u64>,
    /// A new file after this many seconds (`-G`, `-b duration`).
    pub file_secs: Option<u64>,
    /// A new file after this many packets (`-b packets`).
    pub file_packets: Option<u64>,
    /// At most this many files at any time: tcpdump reuses `FILE0`.. in turn, dumpcap deletes
    /// the oldest (`-C` with `-W`, `-b files`).
    pub ring: Option<u32>,
    /// Stop rather than open one file more than this (`-G` with `-W`, `-a files`).
    pub max_files: Option<u32>,
    /// Stop before the file being written would pass this many bytes (`-a filesize`).
    pub stop_bytes: Option<u64>,
    /// Run this program on each file closed by a rotation (`-z`, tcpdump's way: no shell).
    pub postrotate: Option<OsString>,
}

impl Plan {
    pub fn rotates(&self) -> bool {
        self.file_bytes.is_some() || self.file_secs.is_some() || self.file_packets.is_some()
    }
}

/// What decides "how long a file has been open": the wall clock in a live capture, the
/// packets' own timestamps when a file is split (`-r IN -w OUT -G 60`), where the wall clock
/// would put the whole input in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Wall,
    Packet,
}

/// A write error on one of the files: the session names that file, not the `-w` template.
#[derive(Debug)]
pub struct FileError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot write {}: {}",
            self.path.display(),
            os_message(&self.source)
        )
    }
}

impl std::error::Error for FileError {}

fn file_error(path: &Path, e: io::Error) -> io::Error {
    if e.get_ref().is_some_and(|r| r.is::<FileError>()) {
        return e;
    }
    io::Error::new(
        e.kind(),
        FileError {
            path: path.to_path_buf(),
            source: e,
        },
    )
}

/// A write to the file at `path` (`written` bytes were given to it) failed with `e`. When the
/// file system refused it (no room, a quota, the size limit), the file is cut back to its last
/// whole record, or removed when not even its header is whole, and `refused` says how many
/// packets did not reach it whole. The error comes back naming the file.
fn write_failed(
    path: &Path,
    written: u64,
    torn: Option<Torn>,
    refused: &mut Option<Refused>,
    e: io::Error,
) -> io::Error {
    // Only a regular file is cut back or removed: `-w /dev/full` must not lose the device.
    let meta = std::fs::symlink_metadata(path).ok();
    let regular = meta.as_ref().is_some_and(|m| m.file_type().is_file());
    if let Some(t) = torn.filter(|_| no_room(&e)) {
        // The torn bytes begin here; the file's size says how many of them reached it.
        let start = written.saturating_sub(t.bytes);
        let size = meta.as_ref().filter(|_| regular).map_or(start, |m| m.len());
        let (kept, packets) = t.whole(size.saturating_sub(start));
        let whole = start + kept;
        let cut = if !regular {
            Ok(())
        } else if whole == 0 {
            std::fs::remove_file(path)
        } else {
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(whole))
        };
        if let Err(c) = cut {
            eprintln!(
                "nscap: warning: cannot cut {} back to its last whole packet: {}",
                path.display(),
                os_message(&c)
            );
        }
        let r = refused.get_or_insert_with(|| Refused {
            packets: 0,
            file: path.to_path_buf(),
        });
        r.packets += t.packets - packets;
    }
    file_error(path, e)
}

/// The one-line message of an error that names its file, if `e` is one.
pub fn file_message(e: &io::Error) -> Option<String> {
    e.get_ref()
        .and_then(|r| r.downcast_ref::<FileError>())
        .map(ToString::to_string)
}

/// Counts what reaches the file, so the size of a header is known exactly once written.
struct Counted {
    out: crate::stop::StopWriter,
    n: Arc<AtomicU64>,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.out.write(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let k = self.out.write_vectored(bufs)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

enum Writer {
    Pcap(PcapWriter<Counted>),
    Pcapng(PcapngWriter<Counted>),
}

impl Writer {
    fn sink(&mut self) -> &mut dyn Sink {
        match self {
            Writer::Pcap(w) => w,
            Writer::Pcapng(w) => w,
        }
    }

    fn recycle(&mut self) {
        match self {
            Writer::Pcap(w) => w.recycle(),
            Writer::Pcapng(w) => w.recycle(),
        }
    }

    fn torn(&self) -> Option<Torn> {
        match self {
            Writer::Pcap(w) => w.torn(),
            Writer::Pcapng(w) => w.torn(),
        }
    }

    /// The bytes a packet's record takes, as the writer will write it.
    fn record_len(&self, pkt: &Packet<'_>, owner: Option<&Owner>) -> u64 {
        match self {
            Writer::Pcap(w) => w.record_len(pkt),
            Writer::Pcapng(w) => w.record_len_by(pkt, owner),
        }
    }
}

struct Current {
    w: Writer,
    path: PathBuf,
    /// Bytes in the file, counting what the writer still buffers.
    bytes: u64,
    packets: u64,
    opened: Instant,
    /// With [`Clock::Packet`]: the timestamp the file's period started at.
    first_ts: Option<i64>,
    written: Arc<AtomicU64>,
}

impl Current {
    /// [`write_failed`] for this file.
    fn failed(&self, refused: &mut Option<Refused>, e: io::Error) -> io::Error {
        let written = self.written.load(Ordering::Relaxed);
        write_failed(&self.path, written, self.w.torn(), refused, e)
    }
}

/// What the file system refused: packets handed to the writer that are not in `file`.
struct Refused {
    packets: u64,
    file: PathBuf,
}

pub struct Rotating {
    plan: Plan,
    template: PathBuf,
    format: Option<Format>,
    /// The capture filter, for each pcapng file's interface blocks.
    filter: Option<String>,
    nano: bool,
    packet_buffered: bool,
    clock: Clock,
    interfaces: Vec<Interface>,
    started: bool,
    cur: Option<Current>,
    /// Files opened so far.
    seq: u64,
    /// Files opened since the last time-driven rotation (tcpdump's number within a `-G` slice).
    in_slice: u64,
    /// When the current `-G` slice began: every file of the slice is named after it.
    slice_time: i64,
    /// Files on disk, oldest first, for a dumpcap ring.
    kept: VecDeque<PathBuf>,
    /// Packets written per interface, for the statistics blocks of files closed early.
    captured: Vec<u64>,
    /// The latest counters of a live capture; none when splitting a file.
    so_far: Option<Vec<Counters>>,
    packets: u64,
    /// Packets the file system refused (no room): nothing more is written once it did.
    refused: Option<Refused>,
    /// Bytes in files already closed.
    closed_bytes: u64,
    exhausted: bool,
    children: Vec<Child>,
}

impl Rotating {
    pub fn new(
        template: PathBuf,
        plan: Plan,
        format: Option<Format>,
        nano: bool,
        packet_buffered: bool,
        clock: Clock,
    ) -> Rotating {
        Rotating {
            plan,
            template,
            format,
            filter: None,
            nano,
            packet_buffered,
            clock,
            interfaces: Vec::new(),
            started: false,
            cur: None,
            seq: 0,
            in_slice: 0,
            slice_time: 0,
            kept: VecDeque::new(),
            captured: Vec::new(),
            so_far: None,
            packets: 0,
            refused: None,
            closed_bytes: 0,
            exhausted: false,
            children: Vec::new(),
        }
    }

    /// Each pcapng file's interface blocks name `filter` (`if_filter`).
    pub fn with_filter(mut self, filter: Option<&str>) -> Self {
        self.filter = filter.map(str::to_string);
        self
    }

    /// The name of the next file, opened at `when` (seconds since the epoch).
    fn next_name(&self, when: i64) -> PathBuf {
        let p = &self.plan;
        match p.naming {
            Naming::Tcpdump => {
                let base = if p.strftime {
                    strftime(self.template.as_os_str(), when)
                } else {
                    self.template.as_os_str().to_owned()
                };
                let ring = p.ring.filter(|_| p.file_secs.is_none());
                let n = match ring {
                    Some(r) => self.seq % u64::from(r.max(1)),
                    None => self.in_slice,
                };
                let digits = ring
                    .or(p.digits_for)
                    .map_or(0, |r| width(r.saturating_sub(1)));
                if n == 0 && digits == 0 {
                    return PathBuf::from(base);
                }
                let mut name = base.into_vec();
                name.extend_from_slice(format!("{n:0digits$}").as_bytes());
                PathBuf::from(OsString::from_vec(name))
            }
            Naming::Dumpcap => {
                let t = &self.template;
                let ext = t.extension().map(|e| {
                    let mut s = OsString::from(".");
                    s.push(e);
                    s
                });
                let mut prefix = t.as_os_str().as_bytes().to_vec();
                if let Some(e) = &ext {
                    prefix.truncate(prefix.len() - e.len());
                }
                let stamp = strftime(OsStr::new("%Y%m%d%H%M%S"), when);
                let mut name = prefix;
                name.extend_from_slice(format!("_{:05}_", self.seq + 1).as_bytes());
                name.extend_from_slice(stamp.as_bytes());
                if let Some(e) = ext {
                    name.extend_from_slice(e.as_bytes());
                }
                PathBuf::from(OsString::from_vec(name))
            }
        }
    }

    fn chosen_format(&self) -> Format {
        let same_link = self
            .interfaces
            .windows(2)
            .all(|w| w[0].linktype == w[1].linktype);
        self.format
            .unwrap_or(if self.interfaces.len() > 1 || !same_link {
                Format::Pcapng
            } else {
                Format::Pcap
            })
    }

    /// Opens the next file at `when` and writes its header; the caller has closed the last.
    fn open(&mut self, when: i64, first_ts: Option<i64>) -> io::Result<()> {
        if self.in_slice == 0 {
            self.slice_time = when;
        }
        // dumpcap names each file after its own start.
        let t = match self.plan.naming {
            Naming::Tcpdump => self.slice_time,
            Naming::Dumpcap => when,
        };
        let path = self.next_name(t);
        if self.plan.naming == Naming::Dumpcap {
            if let Some(r) = self.plan.ring {
                while self.kept.len() >= r.max(1) as usize {
                    if let Some(old) = self.kept.pop_front() {
                        let _ = std::fs::remove_file(old);
                    }
                }
            }
        }
        let file = File::create(&path).map_err(|e| file_error(&path, e))?;
        let written = Arc::new(AtomicU64::new(0));
        let out = Counted {
            out: crate::stop::StopWriter::new(file),
            n: written.clone(),
        };
        let mut w = match self.chosen_format() {
            Format::Pcap => Writer::Pcap(PcapWriter::new(out, self.nano, self.packet_buffered)),
            Format::Pcapng => Writer::Pcapng(
                PcapngWriter::new(out, self.packet_buffered).with_filter(self.filter.as_deref()),
            ),
        };
        if let Err(e) = w.sink().start(&self.interfaces) {
            let written = written.load(Ordering::Relaxed);
            return Err(write_failed(&path, written, w.torn(), &mut self.refused, e));
        }
        self.seq += 1;
        self.kept.push_back(path.clone());
        self.cur = Some(Current {
            w,
            bytes: written.load(Ordering::Relaxed),
            path,
            packets: 0,
            opened: Instant::now(),
            first_ts,
            written,
        });
        Ok(())
    }

    /// Finishes the current file: statistics blocks (when a live capture gave counters), the
    /// rest of its buffer, then the post-rotate command.
    fn close(&mut self, counters: Option<&[Counters]>, postrotate: bool) -> io::Result<()> {
        let Some(mut cur) = self.cur.take() else {
            return Ok(());
        };
        let c: Option<Vec<Counters>> = match counters {
            Some(c) => Some(c.to_vec()),
            None => self.so_far.as_ref().map(|so_far| {
                (0..self.interfaces.len())
                    .map(|i| Counters {
                        captured: self.captured[i],
                        kernel: so_far.get(i).and_then(|c| c.kernel),
                    })
                    .collect()
            }),
        };
        let s = cur.w.sink();
        let r = match c {
            Some(c) => s.counters(&c).and_then(|()| s.finish()),
            None => s.finish(),
        };
        if let Err(e) = r {
            return Err(cur.failed(&mut self.refused, e));
        }
        self.closed_bytes += cur.written.load(Ordering::Relaxed);
        cur.w.recycle();
        drop(cur.w);
        if postrotate {
            self.run_postrotate(&cur.path);
        }
        Ok(())
    }

    /// tcpdump's `-z`: `CMD FILE`, started and never waited for here (children are reaped as
    /// they end). Its own process group keeps a terminal's ^C away from a half-done gzip.
    fn run_postrotate(&mut self, path: &Path) {
        self.reap();
        let Some(cmd) = &self.plan.postrotate else {
            return;
        };
        let spawned = Command::new(cmd)
            .arg(path)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn();
        match spawned {
            Ok(child) => self.children.push(child),
            Err(e) => eprintln!(
                "nscap: -z {}: {} (on {})",
                Path::new(cmd).display(),
                os_message(&e),
                path.display()
            ),
        }
    }

    fn reap(&mut self) {
        self.children
            .retain_mut(|c| matches!(c.try_wait(), Ok(None)));
    }

    /// Closes the current file and opens the next, unless a file limit says stop.
    fn rotate(&mut self, by_time: bool, when: i64, first_ts: Option<i64>) -> io::Result<()> {
        if self
            .plan
            .max_files
            .is_some_and(|m| self.seq >= u64::from(m))
        {
            self.exhausted = true;
            return Ok(());
        }
        self.close(None, true)?;
        if by_time {
            self.in_slice = 0;
        } else {
            self.in_slice += 1;
        }
        self.open(when, first_ts)
    }

    /// A file could not be opened for a packet: when the file system refused its header, the
    /// packet counts among those refused.
    fn refuse_one(&mut self, e: io::Error) -> io::Error {
        if let Some(r) = &mut self.refused {
            self.packets += 1;
            r.packets += 1;
        }
        e
    }

    fn ensure_open(&mut self, when: i64, first_ts: Option<i64>) -> io::Result<()> {
        if self.cur.is_none() {
            self.open(when, first_ts)?;
        }
        Ok(())
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Digits of `n` as tcpdump counts them for `-W`: none for 0.
fn width(mut n: u32) -> usize {
    let mut w = 0;
    while n > 0 {
        w += 1;
        n /= 10;
    }
    w
}

/// `template` through strftime(3) in local time, as tcpdump's `-G` names files.
fn strftime(template: &OsStr, when: i64) -> OsString {
    let Ok(fmt) = CString::new(template.as_bytes()) else {
        return template.to_owned();
    };
    let Some(tm) = crate::os::local_tm(when) else {
        return template.to_owned();
    };
    match crate::os::strftime(&fmt, &tm) {
        Some(buf) => OsString::from_vec(buf),
        None if template.is_empty() => OsString::new(),
        None => template.to_owned(),
    }
}

impl Sink for Rotating {
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()> {
        self.interfaces = interfaces.to_vec();
        self.captured = vec![0; interfaces.len()];
        self.started = true;
        if self.format == Some(Format::Pcap)
            && interfaces
                .windows(2)
                .any(|w| w[0].linktype != w[1].linktype)
        {
            return Err(file_error(
                &self.template,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "--format pcap: the interfaces have different link types; use pcapng",
                ),
            ));
        }
        // A file split by packet time takes its first name from its first packet; without a
        // time in the name it is opened now, so an unwritable name is told before any packet.
        let needs_time = self.plan.strftime || self.plan.naming == Naming::Dumpcap;
        if self.clock == Clock::Wall || !needs_time {
            self.open(now_secs(), None)?;
        }
        Ok(())
    }

    fn add_interfaces(&mut self, added: &[Interface]) -> io::Result<()> {
        self.interfaces.extend_from_slice(added);
        self.captured.resize(self.interfaces.len(), 0);
        // Nothing more is written once the file system refused a write (see `finish`).
        if self.refused.is_some() {
            return Ok(());
        }
        if let Some(cur) = &mut self.cur {
            let s = cur.w.sink();
            if let Err(e) = s.add_interfaces(added).and_then(|()| s.sync()) {
                return Err(cur.failed(&mut self.refused, e));
            }
            cur.bytes = cur.written.load(Ordering::Relaxed);
        }
        Ok(())
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.packet_by(pkt, None)
    }

    fn packet_by(&mut self, pkt: &Packet<'_>, owner: Option<&Owner>) -> io::Result<()> {
        if self.exhausted || self.refused.is_some() {
            return Ok(());
        }
        let packet_time = self.clock == Clock::Packet;
        let opened = if packet_time {
            self.ensure_open(pkt.ts_sec, Some(pkt.ts_sec))
        } else if self.cur.is_none() {
            // The clock is read only when a file must be opened: not once per packet.
            self.ensure_open(now_secs(), None)
        } else {
            Ok(())
        };
        opened.map_err(|e| self.refuse_one(e))?;
        let Some(cur) = &self.cur else {
            return Ok(());
        };
        let len = cur.w.record_len(pkt, owner);
        let p = &self.plan;
        if cur.packets > 0 && p.stop_bytes.is_some_and(|b| cur.bytes + len > b) {
            self.exhausted = true;
            return Ok(());
        }
        let by_time = packet_time
            && p.file_secs
                .zip(cur.first_ts)
                .is_some_and(|(s, t)| pkt.ts_sec - t >= s as i64);
        let by_size = cur.packets > 0 && p.file_bytes.is_some_and(|b| cur.bytes + len > b);
        let by_count = p.file_packets.is_some_and(|n| cur.packets >= n);
        if by_time || by_size || by_count {
            // A time slice starts where the packet falls, so idle stretches leave no gaps in
            // the numbering of later slices.
            let first = if by_time || cur.first_ts.is_none() {
                Some(pkt.ts_sec)
            } else {
                cur.first_ts
            };
            let when = if packet_time { pkt.ts_sec } else { now_secs() };
            self.rotate(by_time, when, first.filter(|_| packet_time))
                .map_err(|e| self.refuse_one(e))?;
            if self.exhausted {
                return Ok(());
            }
        }
        let Some(cur) = &mut self.cur else {
            return Ok(());
        };
        // Counted as offered: a packet the file system refuses is among `refused`.
        self.packets += 1;
        if let Err(e) = cur.w.sink().packet_by(pkt, owner) {
            return Err(cur.failed(&mut self.refused, e));
        }
        cur.bytes += len;
        cur.packets += 1;
        if let Some(c) = self.captured.get_mut(pkt.iface) {
            *c += 1;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.cur {
            Some(cur) if self.refused.is_none() => {
                let r = cur.w.sink().flush();
                r.map_err(|e| cur.failed(&mut self.refused, e))
            }
            _ => Ok(()),
        }
    }

    fn counters(&mut self, counters: &[Counters]) -> io::Result<()> {
        self.so_far = Some(counters.to_vec());
        Ok(())
    }

    fn progress(&mut self, so_far: &[Counters]) {
        self.so_far = Some(so_far.to_vec());
    }

    fn tick(&mut self) -> io::Result<()> {
        self.reap();
        if self.exhausted || self.clock != Clock::Wall {
            return Ok(());
        }
        let due = match (&self.cur, self.plan.file_secs) {
            (Some(cur), Some(s)) => cur.opened.elapsed().as_secs() >= s,
            _ => false,
        };
        if due {
            self.rotate(true, now_secs(), None)?;
        }
        Ok(())
    }

    fn exhausted(&self) -> bool {
        self.exhausted
    }

    fn status(&self) -> Option<FileStatus> {
        let (bytes, file) = match (&self.cur, &self.refused) {
            (_, Some(r)) => (self.cur.as_ref().map_or(0, |c| c.bytes), r.file.clone()),
            (Some(cur), None) => (cur.bytes, cur.path.clone()),
            (None, None) => return None,
        };
        Some(FileStatus {
            packets: self.packets,
            refused: self.refused.as_ref().map(|r| r.packets),
            bytes: self.closed_bytes + bytes,
            file,
            files: self.seq,
        })
    }

    fn sync(&mut self) -> io::Result<()> {
        match &mut self.cur {
            Some(cur) if self.refused.is_none() => {
                let r = cur.w.sink().sync();
                r.map_err(|e| cur.failed(&mut self.refused, e))
            }
            _ => Ok(()),
        }
    }

    /// The last file: its statistics (a live capture's final counters), no post-rotate command
    /// (tcpdump runs it only on files closed by a rotation). A split that kept no packet still
    /// leaves one file, as tcpdump does.
    fn finish(&mut self) -> io::Result<()> {
        // The file system refused a write: the file was cut back to its last whole packet,
        // and anything written now could be cut in the middle again.
        if self.refused.is_some() {
            return Ok(());
        }
        if self.cur.is_none() && self.seq == 0 && self.started {
            self.open(now_secs(), None)?;
        }
        let counters = self.so_far.take();
        self.close(counters.as_deref(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface() -> Interface {
        Interface::for_test("eth0", 1)
    }

    fn pkt(data: &[u8]) -> Packet<'_> {
        Packet {
            iface: 0,
            ts_sec: 100,
            ts_nsec: 5,
            len: data.len() as u32,
            data,
        }
    }

    /// The rotating writer plans by the writers' own record lengths: each must say what it
    /// then writes, with and without a direction in pcapng's epb_flags.
    #[test]
    fn record_lengths_match_the_writers() {
        let mac = [2, 0, 0, 0, 0, 1];
        let own = Interface {
            mac: Some(mac),
            ..iface()
        };
        for caplen in [0usize, 1, 3, 4, 5, 60, 1514] {
            let mut data = vec![7u8; caplen];
            if caplen >= 12 {
                // Sent by the interface itself: an outbound direction to record.
                data[6..12].copy_from_slice(&mac);
            }
            let mut w = PcapWriter::new(Vec::new(), false, false);
            w.start(&[iface()]).unwrap();
            let predicted = w.record_len(&pkt(&data));
            let mut out = Vec::new();
            let mut w = PcapWriter::new(&mut out, false, false);
            w.packet(&pkt(&data)).unwrap();
            w.finish().unwrap();
            assert_eq!(out.len() as u64, predicted, "pcap {caplen}");

            for i in [iface(), own.clone()] {
                let mut header = Vec::new();
                let mut w = PcapngWriter::new(&mut header, false);
                w.start(std::slice::from_ref(&i)).unwrap();
                w.finish().unwrap();
                let mut out = Vec::new();
                let mut w = PcapngWriter::new(&mut out, false);
                w.start(std::slice::from_ref(&i)).unwrap();
                let predicted = w.record_len(&pkt(&data));
                w.packet(&pkt(&data)).unwrap();
                w.finish().unwrap();
                assert_eq!(
                    (out.len() - header.len()) as u64,
                    predicted,
                    "pcapng {caplen}, mac {:?}",
                    i.mac
                );
            }
        }
    }

    fn plan() -> Plan {
        Plan::default()
    }

    fn names(r: &mut Rotating, n: u64) -> Vec<String> {
        (0..n)
            .map(|i| {
                r.seq = i;
                r.in_slice = i;
                r.next_name(0).to_string_lossy().into_owned()
            })
            .collect()
    }

    #[test]
    fn tcpdump_names() {
        let mut p = plan();
        p.file_bytes = Some(1);
        let mut r = Rotating::new("cap".into(), p.clone(), None, false, false, Clock::Wall);
        assert_eq!(names(&mut r, 3), ["cap", "cap1", "cap2"]);
        p.ring = Some(11);
        let mut r = Rotating::new("cap".into(), p.clone(), None, false, false, Clock::Wall);
        assert_eq!(names(&mut r, 12)[9..], ["cap09", "cap10", "cap00"]);
        p.ring = Some(1);
        let mut r = Rotating::new("cap".into(), p.clone(), None, false, false, Clock::Wall);
        assert_eq!(names(&mut r, 2), ["cap", "cap"]);
    }

    #[test]
    fn strftime_and_dumpcap_names() {
        // Mid-year and mid-month: the same year and month in every time zone.
        let july = 181 * 86_400 + 12 * 3600;
        let mut p = plan();
        p.strftime = true;
        p.file_secs = Some(60);
        let r = Rotating::new("c-%Y-%m-%%".into(), p, None, false, false, Clock::Wall);
        assert_eq!(r.next_name(july), Path::new("c-1970-07-%"));
        let mut p = plan();
        p.naming = Naming::Dumpcap;
        p.file_bytes = Some(1);
        let mut r = Rotating::new(
            "/t/x.pcapng".into(),
            p.clone(),
            None,
            false,
            false,
            Clock::Wall,
        );
        r.seq = 41;
        let name = r.next_name(july).to_string_lossy().into_owned();
        assert!(name.starts_with("/t/x_00042_197007"), "{name}");
        assert!(
            name.ends_with(".pcapng") && name.len() == "/t/x_00042_19700701120000.pcapng".len()
        );
        let r = Rotating::new("/t/x".into(), p, None, false, false, Clock::Wall);
        let name = r.next_name(july).to_string_lossy().into_owned();
        assert!(
            name.starts_with("/t/x_00001_197007") && name.len() == 25,
            "{name}"
        );
    }
}
