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
    // A second Ctrl-C ends nscap at once, but not before this buffer of whole records is out.
    let _writing = crate::stop::Writing::begin();
    let mut done = 0;
    let res = loop {
        if done == buf.len() {
            break Ok(());
        }
        match out.write(&buf[done..]) {
            Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    buf.drain(..done);
    res
}

/// Bytes gathered before they are written out: few large writes, whatever the packet size.
const DRAIN_AT: usize = 192 * 1024;
/// Room for the largest packet record on top of a buffer about to be drained, so appending
/// never reallocates in the common case.
const CAPACITY: usize = 256 * 1024;

/// Records appended to one buffer and written when it holds [`DRAIN_AT`] bytes, or at each
/// [`Records::flush`] when output is packet-buffered: one write per batch, never per packet.
pub struct Records<W: Write> {
    out: W,
    packet_buffered: bool,
    /// Append records here, then call [`Records::appended`].
    pub buf: Vec<u8>,
    /// Packet records in `buf`.
    packets: u64,
    /// What a write refused by the file system left behind.
    torn: Option<Torn>,
}

/// A write the file system refused (no room, a quota, the file size limit): how many bytes of
/// the buffer reached the file anyway (the file's last record may be cut inside them), and
/// how many packet records the buffer held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Torn {
    pub bytes: u64,
    pub packets: u64,
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
        Records {
            out,
            packet_buffered,
            buf: Vec::with_capacity(CAPACITY),
            packets: 0,
            torn: None,
        }
    }

    /// After a packet's record was appended: writes the buffer out once enough has gathered.
    #[inline]
    pub fn appended(&mut self) -> io::Result<()> {
        self.packets += 1;
        if self.buf.len() >= DRAIN_AT {
            self.drain()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        let before = self.buf.len();
        let r = write_out(&mut self.out, &mut self.buf);
        match &r {
            Ok(()) => self.packets = 0,
            Err(e) if no_room(e) => {
                self.torn = Some(Torn {
                    bytes: (before - self.buf.len()) as u64,
                    packets: self.packets,
                });
            }
            Err(_) => {}
        }
        r
    }

    /// What the last write the file system refused left behind, if one was refused.
    pub fn torn(&self) -> Option<Torn> {
        self.torn
    }

    /// Everything out now: file headers (so a reader at the other end of a pipe can start),
    /// and the end of the capture.
    pub fn write_through(&mut self) -> io::Result<()> {
        self.drain()?;
        self.out.flush()
    }

    /// End of a group of packets: written through only when packet-buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.packet_buffered {
            self.write_through()?;
        }
        Ok(())
    }
}
