//! What the pcap and pcapng writers share: the formats' numbers (also read by
//! [`crate::reader`]) and one buffer that records are appended to and written from.

use std::io::{self, Write};

/// pcap file magic, microsecond timestamps.
pub const PCAP_USEC: u32 = 0xa1b2_c3d4;
/// pcap file magic, nanosecond timestamps.
pub const PCAP_NSEC: u32 = 0xa1b2_3c4d;
/// pcap file format version written: 2.4, the only one in use.
pub const PCAP_VERSION: (u16, u16) = (2, 4);

/// pcapng block types.
pub const NG_SHB: u32 = 0x0a0d_0d0a;
pub const NG_IDB: u32 = 1;
pub const NG_PB: u32 = 2;
pub const NG_SPB: u32 = 3;
pub const NG_ISB: u32 = 5;
pub const NG_EPB: u32 = 6;
/// The section header's byte-order magic: tells a reader the section's endianness.
pub const NG_BOM: u32 = 0x1a2b_3c4d;
/// pcapng section version written: 1.0.
pub const NG_VERSION: (u16, u16) = (1, 0);

/// Writes `buf` to `out` and empties it. What a failed write leaves behind stays in `buf`,
/// without the part already written: written again later, the stream goes on where it
/// stopped instead of repeating bytes (`write_all` loses count of a partial write).
pub fn write_out<W: Write + ?Sized>(out: &mut W, buf: &mut Vec<u8>) -> io::Result<()> {
    let (done, res) = write_parts(out, [buf, &[], &[]]);
    buf.drain(..done);
    res
}

/// What is left of `parts`, read as one run of bytes, after its first `done`.
fn after(parts: [&[u8]; 3], mut done: usize) -> [&[u8]; 3] {
    parts.map(|p| {
        let from = done.min(p.len());
        done -= from;
        &p[from..]
    })
}

/// Writes the three parts in turn, with writev where `out` has it: how many bytes went out,
/// and how it ended.
fn write_parts<W: Write + ?Sized>(out: &mut W, parts: [&[u8]; 3]) -> (usize, io::Result<()>) {
    // A second Ctrl-C ends nscap at once, but not before these whole records are out.
    let _writing = crate::stop::Writing::begin();
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut done = 0;
    while done < total {
        let slices = after(parts, done).map(io::IoSlice::new);
        match out.write_vectored(&slices) {
            Ok(0) => return (done, Err(io::ErrorKind::WriteZero.into())),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (done, Err(e)),
        }
    }
    (done, Ok(()))
}

/// Bytes gathered before they are written out: few large writes, whatever the packet size.
const DRAIN_AT: usize = 192 * 1024;
/// A packet this large is not copied into the buffer: the buffer and its record go out in one
/// vectored write (a 64 KiB TCP segment copied twice in user space cost more than its write:
/// bench/live.sh, workload tcp).
const LARGE: usize = 16 * 1024;
/// Room for the largest packet record on top of a buffer about to be drained, so appending
/// never reallocates in the common case.
const CAPACITY: usize = 256 * 1024;

/// The smallest packet record: a pcap header and no data (pcapng's is larger).
const SMALLEST_RECORD: usize = 16;

/// How many packet records one write can hold: a drain of the buffer and a largest record past
/// it.
fn most_records() -> usize {
    (DRAIN_AT + CAPACITY) / SMALLEST_RECORD
}

/// Records appended to one buffer and written when it holds [`DRAIN_AT`] bytes, or at each
/// [`Records::flush`] when output is packet-buffered: one write per batch, never per packet.
pub struct Records<W: Write> {
    out: W,
    packet_buffered: bool,
    /// Append records here, then call [`Records::appended`].
    pub buf: Vec<u8>,
    /// Packet records in `buf`.
    packets: u64,
    /// The end of a large record, written beside it.
    tail: Vec<u8>,
    /// What a write refused by the file system left behind.
    torn: Option<Torn>,
    /// Bytes given to `out` since the last record known to be on the file.
    staged: u64,
    /// The ends of the packet records since then, counted from the same point: a file cut back
    /// keeps those that reached it. Made with room for as many records as a write can hold, so
    /// it never grows while packets are written.
    ends: Vec<u32>,
}

/// A write the file system refused (no room, a quota, the file size limit): how many bytes
/// were given to the file since the end of its last record known to be on it (the file may
/// hold some of them, and its last record may be cut inside them), and how many packet
/// records they held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    pub bytes: u64,
    pub packets: u64,
    /// Where each of those packet records ends, counted from the first of the bytes: the file
    /// keeps those that reached it whole.
    pub ends: Vec<u64>,
}

impl Torn {
    /// Of the torn bytes, `reached` got to the file: how many of them make whole packet records
    /// and how many packets those are.
    pub fn whole(&self, reached: u64) -> (u64, u64) {
        let kept = self.ends.partition_point(|&e| e <= reached);
        let bytes = kept.checked_sub(1).map_or(0, |k| self.ends[k]);
        (bytes, kept as u64)
    }
}

/// Whether `e` is the file system refusing more data, rather than a fault of the moment.
pub fn no_room(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOSPC | libc::EDQUOT | libc::EFBIG)
    )
}

impl<W: Write> Records<W> {
    /// `packet_buffered`: write each group of packets through at [`Records::flush`] (`-U`,
    /// `-w -`).
    pub fn new(out: W, packet_buffered: bool) -> Self {
        // Rotation (`-C 1`) makes a writer a millisecond: the last one's buffers, their pages
        // mapped already, serve the next.
        let (buf, ends) = SPARE
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_else(|| {
                (
                    Vec::with_capacity(CAPACITY),
                    Vec::with_capacity(most_records()),
                )
            });
        Records {
            out,
            packet_buffered,
            buf,
            packets: 0,
            tail: Vec::new(),
            torn: None,
            staged: 0,
            ends,
        }
    }

    /// Appends one record: `head` writes what comes before `data`, `tail` what comes after.
    /// A large `data` is written from where it is, with the buffer before it and the tail after,
    /// in one vectored write; what a failed write leaves behind stays in the buffer, as
    /// [`write_out`] leaves it.
    #[inline]
    pub fn record(
        &mut self,
        head: impl FnOnce(&mut Vec<u8>),
        data: &[u8],
        tail: impl FnOnce(&mut Vec<u8>),
    ) -> io::Result<()> {
        head(&mut self.buf);
        if data.len() < LARGE {
            self.buf.extend_from_slice(data);
            tail(&mut self.buf);
            return self.appended();
        }
        let mut end = std::mem::take(&mut self.tail);
        end.clear();
        tail(&mut end);
        self.packets += 1;
        let at = self.staged + (self.buf.len() + data.len() + end.len()) as u64;
        self.ends.push(at as u32);
        let (done, r) = write_parts(&mut self.out, [&self.buf, data, &end]);
        if r.is_ok() {
            // Kept, with its room, for the next records.
            self.buf.clear();
        } else {
            // The unwritten rest, whole, for a later write.
            self.buf = after([&self.buf, data, &end], done).concat();
        }
        self.tail = end;
        self.wrote(done, r)
    }

    /// After a packet's record was appended: writes the buffer out once enough has gathered.
    #[inline]
    pub fn appended(&mut self) -> io::Result<()> {
        self.packets += 1;
        self.ends.push((self.staged + self.buf.len() as u64) as u32);
        if self.buf.len() >= DRAIN_AT {
            self.drain()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        let before = self.buf.len();
        let r = write_out(&mut self.out, &mut self.buf);
        self.wrote(before - self.buf.len(), r)
    }

    /// After a write of the buffer's records (`done` bytes went out): none is held any more,
    /// or, when the file system refused the rest, what reached the file is recorded.
    fn wrote(&mut self, done: usize, r: io::Result<()>) -> io::Result<()> {
        self.staged += done as u64;
        let r = r.and_then(|()| self.settle());
        self.refused(r)
    }

    /// Records what a write the file system refused left behind.
    fn refused(&mut self, r: io::Result<()>) -> io::Result<()> {
        if let Err(e) = &r {
            if no_room(e) {
                self.torn = Some(Torn {
                    bytes: self.staged,
                    packets: self.packets,
                    ends: self.ends.iter().map(|&e| u64::from(e)).collect(),
                });
            }
        }
        r
    }

    /// Flushes `out`: everything given is on the file then.
    fn settle(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.packets = 0;
        self.staged = 0;
        self.ends.clear();
        Ok(())
    }

    /// Done with: its buffers serve the next writer made (see [`Records::new`]).
    pub fn recycle(&mut self) {
        // Not a buffer that grew past its room for one huge record.
        if self.buf.capacity() > 2 * CAPACITY {
            return;
        }
        if let Ok(mut s) = SPARE.try_lock() {
            let mut buf = std::mem::take(&mut self.buf);
            let mut ends = std::mem::take(&mut self.ends);
            buf.clear();
            ends.clear();
            *s = Some((buf, ends));
        }
    }

    /// What the last write the file system refused left behind, if one was refused.
    pub fn torn(&self) -> Option<Torn> {
        self.torn.clone()
    }

    /// Everything out now: file headers (so a reader at the other end of a pipe can start),
    /// and the end of the capture.
    pub fn write_through(&mut self) -> io::Result<()> {
        self.drain()?;
        let r = self.settle();
        self.refused(r)
    }

    /// End of a group of packets: written through only when packet-buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.packet_buffered {
            self.write_through()?;
        }
        Ok(())
    }
}

/// The buffers of the last writer recycled, for the next one.
static SPARE: std::sync::Mutex<Option<(Vec<u8>, Vec<u32>)>> = std::sync::Mutex::new(None);

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes at most `room` bytes, `step` at a time, then says the disk is full.
    struct Disk {
        got: Vec<u8>,
        room: usize,
        step: usize,
    }

    impl Write for Disk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.room - self.got.len());
            if n == 0 {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn record<W: Write>(r: &mut Records<W>, fill: u8, len: usize) -> io::Result<()> {
        let data = vec![fill; len];
        r.record(
            |b| b.extend_from_slice(b"HEAD"),
            &data,
            |b| b.extend_from_slice(b"TAIL"),
        )
    }

    /// Small and large records come out whole and in order, however the writes are cut.
    #[test]
    fn large_records_are_written_in_place_in_order() {
        let mut disk = Disk {
            got: Vec::new(),
            room: usize::MAX,
            step: 5000,
        };
        let mut r = Records::new(&mut disk, false);
        record(&mut r, 1, 100).unwrap();
        record(&mut r, 2, LARGE + 7).unwrap();
        record(&mut r, 3, 10).unwrap();
        r.write_through().unwrap();
        let mut want = Vec::new();
        for (fill, len) in [(1u8, 100), (2, LARGE + 7), (3, 10)] {
            want.extend_from_slice(b"HEAD");
            want.extend(std::iter::repeat_n(fill, len));
            want.extend_from_slice(b"TAIL");
        }
        assert_eq!(disk.got, want);
    }

    /// A full disk in the middle of a large record: what reached the file and how many records
    /// were refused are told, and the rest stays in the buffer, without what was written.
    #[test]
    fn a_full_disk_inside_a_large_record_is_counted() {
        let mut disk = Disk {
            got: Vec::new(),
            room: 108 + 9000,
            step: 4096,
        };
        let mut r = Records::new(&mut disk, false);
        record(&mut r, 1, 100).unwrap();
        let e = record(&mut r, 2, LARGE).unwrap_err();
        assert!(no_room(&e));
        // Both records were in the write: the small one whole (108 bytes), then 9000 of the
        // large one's.
        assert_eq!(
            r.torn(),
            Some(Torn {
                bytes: 9108,
                packets: 2,
                ends: vec![108, 108 + 8 + LARGE as u64],
            })
        );
        assert_eq!(r.buf.len(), 4 + LARGE + 4 - 9000);
        assert!(r.buf[..LARGE + 4 - 9000].iter().all(|&b| b == 2));
        assert!(r.buf.ends_with(b"TAIL"));
        // Of the 9108 bytes on the file, the first record is whole.
        assert_eq!(r.torn().unwrap().whole(9108), (108, 1));
        assert_eq!(r.torn().unwrap().whole(107), (0, 0));
        assert_eq!(disk.got.len(), 9108);
    }

    /// A full disk in the middle of a drained buffer of small records: the records of that
    /// write that reached the disk whole are told apart from the one cut and the rest, so the
    /// file can keep them.
    #[test]
    fn a_full_disk_keeps_the_whole_records_of_the_last_write() {
        let mut disk = Disk {
            got: Vec::new(),
            room: 250_000,
            step: 4096,
        };
        let mut r = Records::new(&mut disk, false);
        let mut failed = None;
        for i in 0..400 {
            if let Err(e) = record(&mut r, i as u8, 1000) {
                failed = Some(e);
                break;
            }
        }
        assert!(no_room(&failed.unwrap()));
        let t = r.torn().unwrap();
        // The first write took 196 records of 1008 bytes (the first drain past 192 KiB); the
        // second, of 196 more, got 250 000 - 197 568 bytes onto the disk.
        assert_eq!((t.bytes, t.packets), (250_000 - 197_568, 196));
        assert_eq!(t.ends, (1..=196).map(|k| k * 1008).collect::<Vec<u64>>());
        assert_eq!(t.whole(t.bytes), (52 * 1008, 52));
    }
}
