//! Classic libpcap files (what `tcpdump -w` writes), for captures of one interface.

use std::io::{self, Write};

use super::file::{Records, PCAP_NSEC, PCAP_USEC, PCAP_VERSION};
use super::Sink;
use crate::packet::{Interface, Packet};

pub struct PcapWriter<W: Write> {
    out: Records<W>,
    nano: bool,
}

impl<W: Write> PcapWriter<W> {
    /// `nano`: nanosecond timestamps (magic a1b23c4d) instead of microseconds.
    /// `packet_buffered`: write each group of packets through at once (`-U`, `-w -`).
    pub fn new(out: W, nano: bool, packet_buffered: bool) -> Self {
        PcapWriter {
            out: Records::new(out, packet_buffered),
            nano,
        }
    }
}

impl<W: Write> PcapWriter<W> {
    /// The bytes `pkt`'s record takes: a 16-byte header and the data.
    pub fn record_len(&self, pkt: &Packet<'_>) -> u64 {
        16 + pkt.data.len() as u64
    }

    /// What the last write the file system refused left behind.
    /// Done with: see [`super::file::Records::recycle`].
    pub fn recycle(&mut self) {
        self.out.recycle();
    }

    pub fn torn(&self) -> Option<super::file::Torn> {
        self.out.torn()
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
        let magic = if self.nano { PCAP_NSEC } else { PCAP_USEC };
        let b = &mut self.out.buf;
        b.extend_from_slice(&magic.to_ne_bytes());
        b.extend_from_slice(&PCAP_VERSION.0.to_ne_bytes());
        b.extend_from_slice(&PCAP_VERSION.1.to_ne_bytes());
        b.extend_from_slice(&0i32.to_ne_bytes()); // thiszone
        b.extend_from_slice(&0u32.to_ne_bytes()); // sigfigs
        b.extend_from_slice(&first.snaplen.to_ne_bytes());
        b.extend_from_slice(&u32::from(first.linktype).to_ne_bytes());
        self.out.write_through()
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        let frac = if self.nano {
            pkt.ts_nsec
        } else {
            pkt.ts_nsec / 1000
        };
        let head = |b: &mut Vec<u8>| {
            b.extend_from_slice(&(pkt.ts_sec as u32).to_ne_bytes());
            b.extend_from_slice(&frac.to_ne_bytes());
            b.extend_from_slice(&(pkt.data.len() as u32).to_ne_bytes());
            b.extend_from_slice(&pkt.len.to_ne_bytes());
        };
        self.out.record(head, pkt.data, |_| {})
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn sync(&mut self) -> io::Result<()> {
        self.out.write_through()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(linktype: u16) -> Interface {
        Interface::for_test("eth0", linktype)
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
        assert_eq!(&out[0..4], &PCAP_USEC.to_ne_bytes());
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
