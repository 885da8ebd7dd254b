//! A capture file written around the page cache where that costs less: direct I/O.
//!
//! A buffered write copies every byte into the page cache, and the kernel's bookkeeping of those
//! pages costs more CPU than the capture itself when 64 KiB TCP segments arrive at gigabytes a
//! second (bench/live.sh, workload `tcp`: copying into the page cache was 40 % of nscap's and of
//! tcpdump's profile). A write with O_DIRECT goes from our buffer to the device. It needs the
//! buffer's address, the file offset and the length aligned to the device's block ([`BLOCK`]),
//! so [`Direct`] gathers what it is given in an aligned buffer and writes whole blocks from
//! there; the bytes before the first and after the last block boundary go through the page
//! cache as usual. A block is written one way only, so the two never disagree about it.
//!
//! Direct I/O waits for the device, where the page cache takes a burst at memory speed and
//! writes it later: on a slow disk a burst that tcpdump keeps would be lost. So [`Pace`] writes
//! directly only while the writer has time to spare; once it is busy it writes the way that has
//! been faster lately, trying the other way now and then. A file system that refuses O_DIRECT
//! gets buffered writes only.
//!
//! Everything given is on the file (in the page cache or on the device) after
//! [`Write::flush`]; before that it may be in the buffer. The writer above flushes at least
//! every [`STAGE`] bytes and twice a second, and counts what was given since its last flush as
//! not on the file when a write fails.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, OFlag};

/// Alignment of direct writes, in memory and in the file: 4 KiB satisfies 512-byte and
/// 4 KiB-sector devices. A file system that wants more refuses the write with EINVAL, and the
/// file is then written through the page cache.
pub const BLOCK: usize = 4096;
/// How much the writer above gathers before it flushes: direct writes of a megabyte keep a
/// device busy with few requests.
pub const STAGE: usize = 1 << 20;
/// Room in the buffer: a flush's worth, plus what one write may bring past it (a drain of the
/// writer's own buffer and a largest packet), plus the block carried over.
const ROOM: usize = 2 * STAGE + 2 * BLOCK;

/// How a flush writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Direct,
    Buffered,
}

/// A regular file written with direct I/O where it helps (see the module's text).
pub struct Direct {
    file: File,
    /// The buffer: `mem[base..base + ROOM]` is aligned to [`BLOCK`].
    mem: Vec<u8>,
    base: usize,
    /// Bytes in the buffer.
    len: usize,
    /// Of those, the first `written` are on the file already (the start of a block that the
    /// last flush wrote through the page cache).
    written: usize,
    /// File offset of the buffer's first byte: a multiple of [`BLOCK`].
    pos: u64,
    /// Whether O_DIRECT is set on the descriptor now.
    direct_on: bool,
    /// False once the file system refused O_DIRECT.
    can_direct: bool,
    /// Set by a failed write: the file is then cut back by the writer above, and nothing more
    /// may reach it.
    failed: bool,
    pace: Pace,
    /// Tests choose the way of every flush.
    #[cfg(test)]
    force: Option<Way>,
    /// Bytes written each way ([`Way`] as index).
    by_way: [u64; 2],
}

impl Direct {
    /// `file` must be a regular file just created (empty, offset 0), written by nothing else.
    pub fn new(file: File) -> Direct {
        // A buffer let go by the file before (rotation opens one a millisecond with `-C 1`)
        // has its pages mapped already.
        // What was learnt of the writer's pace goes on too: it is the same device and load.
        let (mem, pace) = SPARE
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_else(|| (vec![0u8; ROOM + BLOCK], Pace::new()));
        let base = mem.as_ptr().align_offset(BLOCK);
        Direct {
            file,
            mem,
            base,
            len: 0,
            written: 0,
            pos: 0,
            direct_on: false,
            can_direct: true,
            failed: false,
            pace,
            #[cfg(test)]
            force: None,
            by_way: [0; 2],
        }
    }

    fn set_direct(&mut self, on: bool) -> io::Result<()> {
        if self.direct_on == on {
            return Ok(());
        }
        let flags = OFlag::from_bits_truncate(fcntl(&self.file, FcntlArg::F_GETFL)?);
        let flags = if on {
            flags | OFlag::O_DIRECT
        } else {
            flags - OFlag::O_DIRECT
        };
        fcntl(&self.file, FcntlArg::F_SETFL(flags))?;
        self.direct_on = on;
        Ok(())
    }

    /// Writes `buf()[from..to]` at its place in the file, `way`; false when the file system
    /// refused direct I/O (nothing was written then).
    fn put(&mut self, from: usize, to: usize, way: Way) -> io::Result<bool> {
        if from >= to {
            return Ok(true);
        }
        if way == Way::Direct {
            if let Err(e) = self.set_direct(true) {
                if e.raw_os_error() == Some(libc::EINVAL) {
                    return Ok(false);
                }
                return Err(e);
            }
        } else {
            self.set_direct(false)?;
        }
        let at = self.pos + from as u64;
        let res = self
            .file
            .write_all_at(&self.mem[self.base + from..self.base + to], at);
        match res {
            // A first direct write that the file system refuses writes nothing.
            Err(e) if way == Way::Direct && e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
            Err(e) => Err(e),
            Ok(()) => {
                self.by_way[way as usize] += (to - from) as u64;
                Ok(true)
            }
        }
    }

    /// Writes the buffer out, `way`, leaving the partial block at its end in the buffer (and on
    /// the file).
    fn write_out(&mut self, way: Way) -> io::Result<()> {
        let (len, written) = (self.len, self.written);
        let whole = len / BLOCK * BLOCK;
        // A first block written in part through the page cache is finished the same way:
        // direct writes begin at the next block.
        let first = if written > 0 { BLOCK } else { 0 };
        if way == Way::Direct && whole > first {
            self.put(written, first, Way::Buffered)?;
            if self.put(first, whole, Way::Direct)? {
                self.put(whole, len, Way::Buffered)?;
            } else {
                self.can_direct = false;
                self.put(first, len, Way::Buffered)?;
            }
        } else {
            self.put(written, len, Way::Buffered)?;
        }
        self.mem
            .copy_within(self.base + whole..self.base + len, self.base);
        self.pos += whole as u64;
        self.len = len - whole;
        self.written = self.len;
        Ok(())
    }
}

impl Write for Direct {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.len == ROOM || self.failed {
            // The writer above flushes long before; if it did not, this keeps the promise that
            // everything is on the file once flushed.
            self.flush()?;
        }
        let n = data.len().min(ROOM - self.len);
        let at = self.base + self.len;
        self.mem[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let mut n = 0;
        for b in bufs {
            let k = self.write(b)?;
            n += k;
            if k < b.len() {
                break;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Err(io::Error::other("an earlier write to this file failed"));
        }
        if self.written == self.len {
            return Ok(());
        }
        let way = if self.can_direct {
            self.pace.choose(Instant::now())
        } else {
            Way::Buffered
        };
        #[cfg(test)]
        let way = self.force.filter(|_| self.can_direct).unwrap_or(way);
        let bytes = self.len - self.written;
        let start = Instant::now();
        let before = self.by_way;
        if let Err(e) = self.write_out(way) {
            self.failed = true;
            return Err(e);
        }
        let spent = start.elapsed();
        // The way that carried most of it is the one measured.
        let moved = [self.by_way[0] - before[0], self.by_way[1] - before[1]];
        let used = if moved[0] >= moved[1] {
            Way::Direct
        } else {
            Way::Buffered
        };
        self.pace.wrote(used, bytes, spent, Instant::now());
        Ok(())
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        // The writer above flushes before it lets go; this only keeps a file whole on a path
        // that did not. After a failure the file is the writer's to cut back: not a byte more.
        if !self.failed {
            let _ = self.flush();
        }
        if let Ok(mut s) = SPARE.lock() {
            *s = Some((std::mem::take(&mut self.mem), self.pace.clone()));
        }
    }
}

/// The buffer and pace of the last file closed, for the next one.
static SPARE: Mutex<Option<(Vec<u8>, Pace)>> = Mutex::new(None);

impl Direct {
    /// Bytes written directly and through the page cache, in that order.
    pub fn written_by_way(&self) -> [u64; 2] {
        self.by_way
    }
}

/// How busy the writer is, and how fast each way has written lately.
#[derive(Debug, Clone)]
pub struct Pace {
    /// Share of the time spent writing, smoothed over recent flushes.
    busy: f64,
    /// The end of the last flush.
    last: Option<Instant>,
    /// Bytes a second each way, smoothed, and when last measured.
    rate: [Option<(f64, Instant)>; 2],
}

/// Below this share of time spent writing, the writer keeps up easily: write directly.
const EASY: f64 = 0.3;
/// A busy writer tries the way it is not using when that way's rate is older than this.
const RETRY: Duration = Duration::from_secs(2);

impl Pace {
    pub fn new() -> Pace {
        Pace {
            busy: 0.0,
            last: None,
            rate: [None, None],
        }
    }

    /// The way to write the next flush.
    pub fn choose(&self, now: Instant) -> Way {
        if self.busy < EASY {
            return Way::Direct;
        }
        let fresh = |w: Way| {
            self.rate[w as usize]
                .filter(|(_, at)| now.duration_since(*at) < RETRY)
                .map(|(r, _)| r)
        };
        match (fresh(Way::Direct), fresh(Way::Buffered)) {
            (Some(d), Some(b)) if b > d => Way::Buffered,
            (Some(_), Some(_)) => Way::Direct,
            // Try the one not measured lately.
            (Some(_), None) => Way::Buffered,
            (None, _) => Way::Direct,
        }
    }

    /// A flush wrote `bytes` mostly `way` in `spent`, ending at `now`.
    pub fn wrote(&mut self, way: Way, bytes: usize, spent: Duration, now: Instant) {
        let s = spent.as_secs_f64().max(1e-6);
        if let Some(last) = self.last {
            let between = now.duration_since(last).as_secs_f64().max(s);
            self.busy = 0.8 * self.busy + 0.2 * (s / between);
        }
        self.last = Some(now);
        // Small flushes (a sync of a quiet capture) say little about a way's speed.
        if bytes >= STAGE / 4 {
            let r = bytes as f64 / s;
            let slot = &mut self.rate[way as usize];
            *slot = Some(match *slot {
                Some((old, _)) => (0.7 * old + 0.3 * r, now),
                None => (r, now),
            });
        }
    }
}

impl Default for Pace {
    fn default() -> Self {
        Pace::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in the temporary directory, removed on drop.
    struct Temp(std::path::PathBuf);

    impl Temp {
        fn new(name: &str) -> Temp {
            let p =
                std::env::temp_dir().join(format!("nscap-direct-{}-{name}", std::process::id()));
            Temp(p)
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// Bytes that differ from place to place, so a block written at the wrong offset shows.
    fn pattern(n: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    /// Writes of every size, flushed at odd places, each flush one way or the other in turn:
    /// the file holds exactly what was given, in order, and both ways were used.
    #[test]
    fn both_ways_give_the_same_bytes() {
        let t = Temp::new("mix");
        let mut d = Direct::new(File::create(&t.0).unwrap());
        let mut want = Vec::new();
        let sizes = [
            1,
            24,
            4095,
            4096,
            4097,
            100,
            65_000,
            300_000,
            7,
            1 << 20,
            12_345,
        ];
        for (i, &n) in sizes.iter().cycle().take(40).enumerate() {
            let data = pattern(n, i as u32);
            let mut at = 0;
            while at < data.len() {
                at += d.write(&data[at..]).unwrap();
            }
            want.extend_from_slice(&data);
            if i % 3 != 1 {
                d.force = Some(if i % 2 == 0 {
                    Way::Direct
                } else {
                    Way::Buffered
                });
                d.flush().unwrap();
                assert_eq!(std::fs::read(&t.0).unwrap(), want, "after write {i}");
            }
        }
        d.flush().unwrap();
        let ways = d.written_by_way();
        drop(d);
        assert_eq!(std::fs::read(&t.0).unwrap(), want);
        // Every byte went out once, one way or the other.
        assert_eq!(ways[0] + ways[1], want.len() as u64);
        assert!(ways[Way::Buffered as usize] > 0, "{ways:?}");
        // A file system that refuses O_DIRECT is written buffered only; the ones this runs on
        // (ext4, tmpfs since Linux 6.6) take it.
        assert!(ways[Way::Direct as usize] > 0, "{ways:?}");
    }

    /// A quiet capture (a few bytes between flushes) and a busy one both end whole; left to
    /// itself, an idle writer writes whole blocks directly.
    #[test]
    fn an_idle_writer_writes_directly() {
        let t = Temp::new("idle");
        let mut d = Direct::new(File::create(&t.0).unwrap());
        let mut want = Vec::new();
        for i in 0..50u32 {
            let data = pattern(100 + i as usize * 997, i);
            d.write_all(&data).unwrap();
            want.extend_from_slice(&data);
            d.flush().unwrap();
        }
        let big = pattern(3 * STAGE / 2, 99);
        d.write_all(&big[..STAGE]).unwrap();
        d.write_all(&big[STAGE..]).unwrap();
        want.extend_from_slice(&big);
        d.flush().unwrap();
        let ways = d.written_by_way();
        drop(d);
        assert_eq!(std::fs::read(&t.0).unwrap(), want);
        assert!(ways[Way::Direct as usize] >= STAGE as u64, "{ways:?}");
    }

    /// After a failed write nothing more reaches the file, not even when the writer lets go:
    /// the writer above has cut it back by then.
    #[test]
    fn nothing_is_written_after_a_failure() {
        let t = Temp::new("failed");
        let f = File::create(&t.0).unwrap();
        // A descriptor opened read-only makes every write fail.
        let ro = File::open(&t.0).unwrap();
        drop(f);
        let mut d = Direct::new(ro);
        d.write_all(&pattern(10_000, 1)).unwrap();
        assert!(d.flush().is_err());
        assert!(d.write(b"more").is_err());
        assert!(d.flush().is_err());
        drop(d);
        assert_eq!(std::fs::metadata(&t.0).unwrap().len(), 0);
    }

    #[test]
    fn pace_writes_directly_until_busy_then_takes_the_faster_way() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut p = Pace::new();
        assert_eq!(p.choose(t0), Way::Direct);
        // 1 MiB in 1 ms every 10 ms: 10 % busy.
        let mut now = t0;
        for _ in 0..20 {
            now += ms(10);
            p.wrote(Way::Direct, STAGE, ms(1), now);
        }
        assert_eq!(p.choose(now), Way::Direct);
        // The device slows down: 1 MiB in 9 ms every 10 ms. The page cache was never tried.
        for _ in 0..20 {
            now += ms(10);
            p.wrote(Way::Direct, STAGE, ms(9), now);
        }
        assert_eq!(p.choose(now), Way::Buffered);
        // It takes a megabyte in 2 ms: it stays the way while the writer is busy.
        now += ms(10);
        p.wrote(Way::Buffered, STAGE, ms(2), now);
        assert_eq!(p.choose(now), Way::Buffered);
        // Measured slower than direct writes, it is left.
        for _ in 0..5 {
            now += ms(10);
            p.wrote(Way::Buffered, STAGE, ms(30), now);
        }
        assert_eq!(p.choose(now), Way::Direct);
        // A rate older than RETRY is tried again.
        now += RETRY;
        p.wrote(Way::Direct, STAGE, ms(9), now);
        assert_eq!(p.choose(now), Way::Buffered);
        // Idle again: direct.
        for _ in 0..40 {
            now += ms(100);
            p.wrote(Way::Buffered, STAGE / 8, ms(1), now);
        }
        assert_eq!(p.choose(now), Way::Direct);
    }
}
