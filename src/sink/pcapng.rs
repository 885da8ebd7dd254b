//! pcapng files: one Interface Description Block per capture source, with its name and a
//! description naming the target, so several interfaces (and namespaces) share one file.

use std::io::{self, Write};

use super::file::{Records, NG_BOM, NG_EPB, NG_IDB, NG_ISB, NG_SHB, NG_VERSION};
use super::Sink;
use crate::packet::{Counters, Interface, Packet};

const OPT_END: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_DESCRIPTION: u16 = 3;
const IF_TSRESOL: u16 = 9;
const ISB_ENDTIME: u16 = 3;
const ISB_IFRECV: u16 = 4;
const ISB_IFDROP: u16 = 5;
const ISB_FILTERACCEPT: u16 = 6;
const ISB_OSDROP: u16 = 7;
const ISB_USRDELIV: u16 = 8;

pub struct PcapngWriter<W: Write> {
    out: Records<W>,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

fn option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    buf.extend_from_slice(&code.to_ne_bytes());
    buf.extend_from_slice(&(value.len() as u16).to_ne_bytes());
    buf.extend_from_slice(value);
    buf.extend(std::iter::repeat_n(0u8, pad4(value.len())));
}

/// Writes a block: type, total length, body, total length again.
fn block(buf: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let total = (12 + body.len()) as u32;
    buf.extend_from_slice(&kind.to_ne_bytes());
    buf.extend_from_slice(&total.to_ne_bytes());
    buf.extend_from_slice(body);
    buf.extend_from_slice(&total.to_ne_bytes());
}

impl<W: Write> PcapngWriter<W> {
    pub fn new(out: W, packet_buffered: bool) -> Self {
        PcapngWriter {
            out: Records::new(out, packet_buffered),
        }
    }

    /// One Interface Description Block per interface, appended to the buffer.
    fn interface_blocks(&mut self, interfaces: &[Interface]) {
        let mut body = Vec::new();
        for i in interfaces {
            body.clear();
            body.extend_from_slice(&i.linktype.to_ne_bytes());
            body.extend_from_slice(&0u16.to_ne_bytes());
            body.extend_from_slice(&i.snaplen.to_ne_bytes());
            option(&mut body, IF_NAME, i.name.as_bytes());
            if !i.description.is_empty() {
                option(&mut body, IF_DESCRIPTION, i.description.as_bytes());
            }
            // Timestamps are written in nanoseconds: say so, or readers misdate every packet.
            option(&mut body, IF_TSRESOL, &[9]);
            option(&mut body, OPT_END, &[]);
            block(&mut self.out.buf, NG_IDB, &body);
        }
    }
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64
}

/// One Interface Statistics Block, as dumpcap writes them: readers show the drops, so the file
/// itself says what it is missing. The counters come from libpcap, in dumpcap's mapping
/// (ifrecv = received by filter, ifdrop = kernel + interface drops).
fn statistics_block(buf: &mut Vec<u8>, id: usize, c: &Counters, ts: u64) {
    let mut body = Vec::new();
    body.extend_from_slice(&(id as u32).to_ne_bytes());
    body.extend_from_slice(&((ts >> 32) as u32).to_ne_bytes());
    body.extend_from_slice(&(ts as u32).to_ne_bytes());
    let mut end = [0u8; 8];
    end[..4].copy_from_slice(&((ts >> 32) as u32).to_ne_bytes());
    end[4..].copy_from_slice(&(ts as u32).to_ne_bytes());
    option(&mut body, ISB_ENDTIME, &end);
    option(&mut body, ISB_IFRECV, &c.received.to_ne_bytes());
    option(
        &mut body,
        ISB_IFDROP,
        &(c.dropped + c.if_dropped).to_ne_bytes(),
    );
    option(&mut body, ISB_FILTERACCEPT, &c.received.to_ne_bytes());
    option(&mut body, ISB_OSDROP, &c.dropped.to_ne_bytes());
    option(&mut body, ISB_USRDELIV, &c.captured.to_ne_bytes());
    option(&mut body, OPT_END, &[]);
    block(buf, NG_ISB, &body);
}

impl<W: Write> Sink for PcapngWriter<W> {
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()> {
        let mut body = Vec::new();
        body.extend_from_slice(&NG_BOM.to_ne_bytes());
        body.extend_from_slice(&NG_VERSION.0.to_ne_bytes());
        body.extend_from_slice(&NG_VERSION.1.to_ne_bytes());
        body.extend_from_slice(&(-1i64).to_ne_bytes()); // section length unknown
        let appl = concat!("nscap ", env!("CARGO_PKG_VERSION"));
        option(&mut body, SHB_USERAPPL, appl.as_bytes());
        option(&mut body, OPT_END, &[]);
        block(&mut self.out.buf, NG_SHB, &body);

        self.interface_blocks(interfaces);
        self.out.write_through()
    }

    /// Interfaces that joined a live capture: their blocks may come anywhere before their
    /// first packet, and go out at once so that a reader at the other end of a pipe sees them.
    fn add_interfaces(&mut self, added: &[Interface]) -> io::Result<()> {
        self.interface_blocks(added);
        self.out.write_through()
    }

    /// The statistics of an interface that left, as at the end.
    fn interface_left(&mut self, iface: usize, c: &Counters) -> io::Result<()> {
        statistics_block(&mut self.out.buf, iface, c, now_ns());
        self.out.write_through()
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        let ts = (pkt.ts_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(u64::from(pkt.ts_nsec));
        let caplen = pkt.data.len();
        let total = (32 + caplen + pad4(caplen)) as u32;
        let b = &mut self.out.buf;
        b.extend_from_slice(&NG_EPB.to_ne_bytes());
        b.extend_from_slice(&total.to_ne_bytes());
        b.extend_from_slice(&(pkt.iface as u32).to_ne_bytes());
        b.extend_from_slice(&((ts >> 32) as u32).to_ne_bytes());
        b.extend_from_slice(&(ts as u32).to_ne_bytes());
        b.extend_from_slice(&(caplen as u32).to_ne_bytes());
        b.extend_from_slice(&pkt.len.to_ne_bytes());
        b.extend_from_slice(pkt.data);
        b.extend(std::iter::repeat_n(0u8, pad4(caplen)));
        b.extend_from_slice(&total.to_ne_bytes());
        self.out.appended()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// One Interface Statistics Block per interface, as dumpcap writes them: readers show the
    /// drops, so the file itself says what it is missing. The counters come from libpcap, in
    /// dumpcap's mapping (ifrecv = received by filter, ifdrop = kernel + interface drops).
    fn counters(&mut self, counters: &[Counters]) -> io::Result<()> {
        let ts = now_ns();
        for (id, c) in counters.iter().enumerate() {
            statistics_block(&mut self.out.buf, id, c, ts);
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.out.write_through()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_through()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], off: usize) -> u32 {
        u32::from_ne_bytes(b[off..off + 4].try_into().unwrap())
    }

    #[test]
    fn blocks_are_well_formed() {
        let mut out = Vec::new();
        let mut w = PcapngWriter::new(&mut out, false);
        let ifs = [
            Interface {
                name: "eth0".into(),
                linktype: 1,
                snaplen: 262144,
                description: "pid 1".into(),
                mac: None,
            },
            Interface {
                name: "lo".into(),
                linktype: 1,
                snaplen: 262144,
                description: String::new(),
                mac: None,
            },
        ];
        w.start(&ifs).unwrap();
        w.packet(&Packet {
            iface: 1,
            ts_sec: 1,
            ts_nsec: 2,
            len: 5,
            data: &[9; 5],
        })
        .unwrap();
        let c = Counters {
            captured: 1,
            received: 3,
            dropped: 2,
            if_dropped: 0,
        };
        w.counters(&[Counters::default(), c]).unwrap();
        w.finish().unwrap();
        // Walk the blocks: each one's leading and trailing lengths agree and are 4-aligned.
        let mut off = 0;
        let mut kinds = Vec::new();
        while off < out.len() {
            let len = u32_at(&out, off + 4) as usize;
            assert_eq!(len % 4, 0);
            assert_eq!(u32_at(&out, off + len - 4) as usize, len);
            kinds.push(u32_at(&out, off));
            off += len;
        }
        assert_eq!(off, out.len());
        assert_eq!(kinds, vec![NG_SHB, NG_IDB, NG_IDB, NG_EPB, NG_ISB, NG_ISB]);
        // The second ISB: interface 1, then endtime, ifrecv 3, ifdrop 2, ..., usrdeliv 1.
        let isb_len = u32_at(&out, out.len() - 4) as usize;
        let isb = out.len() - isb_len;
        assert_eq!(u32_at(&out, isb + 8), 1);
        let opt = |n: usize| isb + 20 + n * 12; // each option: 4-byte header, 8-byte value
        assert_eq!(
            u16::from_ne_bytes([out[opt(1)], out[opt(1) + 1]]),
            ISB_IFRECV
        );
        assert_eq!(u32_at(&out, opt(1) + 4), 3);
        assert_eq!(u32_at(&out, opt(2) + 4), 2);
        assert_eq!(
            u16::from_ne_bytes([out[opt(5)], out[opt(5) + 1]]),
            ISB_USRDELIV
        );
        assert_eq!(u32_at(&out, opt(5) + 4), 1);
        let epb = out.len() - 2 * isb_len - 40;
        assert_eq!(u32_at(&out, epb + 8), 1); // interface id
        assert_eq!(u32_at(&out, epb + 16), 1_000_000_002); // low 32 bits of ns timestamp
    }
}
