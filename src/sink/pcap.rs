//! Classic libpcap files (what `tcpdump -w` writes), for captures of one interface.

use std::io::{self, Write};

use super::Sink;
use crate::packet::{Interface, Packet};

const MAGIC_USEC: u32 = 0xa1b2_c3d4;
const MAGIC_NSEC: u32 = 0xa1b2_3c4d;

pub struct PcapWriter<W: Write> {
    out: W,
    nano: bool,
    packet_buffered: bool,
    buf: Vec<u8>,
}

impl<W: Write> PcapWriter<W> {
    /// `nano`: nanosecond timestamps (magic a1b23c4d) instead of microseconds.
    /// `packet_buffered`: write each group of packets through at once (`-U`, `-w -`).
    pub fn new(out: W, nano: bool, packet_buffered: bool) -> Self {
        PcapWriter {
            out,
            nano,
            packet_buffered,
            buf: Vec::with_capacity(256 * 1024),
        }
    }

    fn drain(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl<W: Write> Sink for PcapWriter<W> {
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()> {
        let first = interfaces.first().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "pcap needs one interface")
        })?;
        if interfaces.iter().any(|i| i.linktype != first.linktype) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "interfaces with different link types need pcapng",
            ));
        }
        let magic = if self.nano { MAGIC_NSEC } else { MAGIC_USEC };
        self.buf.extend_from_slice(&magic.to_ne_bytes());
        self.buf.extend_from_slice(&2u16.to_ne_bytes());
        self.buf.extend_from_slice(&4u16.to_ne_bytes());
        self.buf.extend_from_slice(&0i32.to_ne_bytes()); // thiszone
        self.buf.extend_from_slice(&0u32.to_ne_bytes()); // sigfigs
        self.buf.extend_from_slice(&first.snaplen.to_ne_bytes());
        self.buf
            .extend_from_slice(&u32::from(first.linktype).to_ne_bytes());
        // The header goes out at once, so a reader at the other end of a pipe can start.
        self.drain()?;
        self.out.flush()
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        let frac = if self.nano {
            pkt.ts_nsec
        } else {
            pkt.ts_nsec / 1000
        };
        let b = &mut self.buf;
        b.extend_from_slice(&(pkt.ts_sec as u32).to_ne_bytes());
        b.extend_from_slice(&frac.to_ne_bytes());
        b.extend_from_slice(&(pkt.data.len() as u32).to_ne_bytes());
        b.extend_from_slice(&pkt.len.to_ne_bytes());
        b.extend_from_slice(pkt.data);
        if self.buf.len() >= 192 * 1024 {
            self.drain()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.packet_buffered {
            self.drain()?;
            self.out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.drain()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(linktype: u16) -> Interface {
        Interface {
            name: "eth0".into(),
            linktype,
            snaplen: 65535,
            description: String::new(),
            mac: None,
        }
    }

    #[test]
    fn writes_header_and_records() {
        let mut out = Vec::new();
        let mut w = PcapWriter::new(&mut out, false, false);
        w.start(&[iface(1)]).unwrap();
        let pkt = Packet {
            iface: 0,
            ts_sec: 7,
            ts_nsec: 123_456_789,
            len: 100,
            data: &[1, 2, 3],
        };
        w.packet(&pkt).unwrap();
        w.finish().unwrap();
        assert_eq!(out.len(), 24 + 16 + 3);
        assert_eq!(&out[0..4], &MAGIC_USEC.to_ne_bytes());
        assert_eq!(&out[16..20], &65535u32.to_ne_bytes());
        assert_eq!(&out[20..24], &1u32.to_ne_bytes());
        assert_eq!(&out[24..28], &7u32.to_ne_bytes());
        assert_eq!(&out[28..32], &123_456u32.to_ne_bytes());
        assert_eq!(&out[32..36], &3u32.to_ne_bytes());
        assert_eq!(&out[36..40], &100u32.to_ne_bytes());
        assert_eq!(&out[40..], &[1, 2, 3]);
    }

    #[test]
    fn refuses_mixed_link_types() {
        let mut w = PcapWriter::new(Vec::new(), false, false);
        assert!(w.start(&[iface(1), iface(113)]).is_err());
    }
}
