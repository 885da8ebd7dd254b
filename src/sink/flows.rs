//! Conversations: one row per 5-tuple, both directions together, printed when the capture ends.
//!
//! Endpoint A is the source of the first packet seen. Bytes are wire lengths. Non-first IP
//! fragments carry no ports and count under the addresses with port 0; frames that are not IP
//! are summed on one line. Past [`MAX_FLOWS`] conversations, new ones are summed on one line
//! too, so memory stays bounded on any capture.

use std::collections::HashMap;
use std::io::{self, Write};

use super::Sink;
use crate::packet::{Interface, Packet};
use crate::summary::decode::{self, Transport};
use crate::summary::PrintOptions;
use crate::summary::{digits, Summarizer};

pub const MAX_FLOWS: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub addr: [u8; 16],
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub proto: u8,
    pub v6: bool,
    /// The lower endpoint, so both directions find the same entry.
    pub lo: Endpoint,
    pub hi: Endpoint,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Conversation {
    /// The first packet went from `lo` to `hi`: A is `lo`.
    pub a_is_lo: bool,
    /// [A→B, B→A].
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    pub first: (i64, u32),
    pub last: (i64, u32),
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
}

impl Conversation {
    pub fn total_bytes(&self) -> u64 {
        self.bytes[0] + self.bytes[1]
    }
}

#[derive(Debug)]
pub struct FlowTable {
    pub flows: HashMap<Key, Conversation>,
    /// Conversations kept at most; [`MAX_FLOWS`] unless a test wants fewer.
    pub limit: usize,
    /// Frames that are not IP: (packets, bytes).
    pub non_ip: (u64, u64),
    /// IP packets of conversations past the limit: (packets, bytes).
    pub overflow: (u64, u64),
}

impl Default for FlowTable {
    fn default() -> Self {
        FlowTable {
            flows: HashMap::new(),
            limit: MAX_FLOWS,
            non_ip: (0, 0),
            overflow: (0, 0),
        }
    }
}

impl FlowTable {
    pub fn add(&mut self, pkt: &Packet<'_>, iface: &Interface) {
        let frame = decode::decode(iface.linktype, pkt.data, pkt.len, None);
        let Some(ip) = frame.ip() else {
            self.non_ip.0 += 1;
            self.non_ip.1 += u64::from(pkt.len);
            return;
        };
        let (sp, dp) = ip.ports().unwrap_or((0, 0));
        let src = Endpoint {
            addr: ip.src,
            port: sp,
        };
        let dst = Endpoint {
            addr: ip.dst,
            port: dp,
        };
        let src_is_lo = src <= dst;
        let (lo, hi) = if src_is_lo { (src, dst) } else { (dst, src) };
        let key = Key {
            proto: ip.proto,
            v6: ip.v6,
            lo,
            hi,
        };
        let ts = (pkt.ts_sec, pkt.ts_nsec);
        let full = self.flows.len() >= self.limit;
        let st = match self.flows.get_mut(&key) {
            Some(st) => st,
            None if full => {
                self.overflow.0 += 1;
                self.overflow.1 += u64::from(pkt.len);
                return;
            }
            None => self.flows.entry(key).or_insert(Conversation {
                a_is_lo: src_is_lo,
                first: ts,
                ..Conversation::default()
            }),
        };
        let d = usize::from(src_is_lo != st.a_is_lo);
        st.packets[d] += 1;
        st.bytes[d] += u64::from(pkt.len);
        st.first = st.first.min(ts);
        st.last = st.last.max(ts);
        if let Transport::Tcp(t) = &ip.transport {
            st.syn |= t.syn();
            st.fin |= t.fin();
            st.rst |= t.rst();
        }
    }

    /// Rows sorted by bytes (both ways), most first.
    pub fn sorted(&self) -> Vec<(&Key, &Conversation)> {
        let mut v: Vec<_> = self.flows.iter().collect();
        v.sort_by(|a, b| {
            b.1.total_bytes()
                .cmp(&a.1.total_bytes())
                .then(a.1.first.cmp(&b.1.first))
                .then(a.0.cmp(b.0))
        });
        v
    }

    /// The table as text; `time` formats first/last seen like the summary lines.
    ///
    /// Two passes over the sorted rows, the first for column widths, the second writing out
    /// in 64 KiB pieces: a table of a million conversations is never held as text, nor as a
    /// cell per field (that peaked near 1 GB).
    pub fn write(&self, out: &mut dyn Write, time: &mut Summarizer) -> io::Result<()> {
        let rows = self.sorted();
        let mut cells: [Vec<u8>; 10] = Default::default();
        let mut width = HEADER.map(str::len);
        for (k, st) in &rows {
            row_cells(&mut cells, k, st, time);
            for (w, c) in width.iter_mut().zip(&cells) {
                *w = (*w).max(c.len());
            }
        }
        let mut buf = Vec::with_capacity(CHUNK + 1024);
        buf.extend_from_slice(b"Conversations: ");
        digits::u64(&mut buf, rows.len() as u64);
        buf.extend_from_slice(b" (sorted by bytes)\n");
        for (i, h) in HEADER.iter().enumerate() {
            cells[i].clear();
            cells[i].extend_from_slice(h.as_bytes());
        }
        aligned_line(&mut buf, &cells, &width);
        for (k, st) in &rows {
            row_cells(&mut cells, k, st, time);
            aligned_line(&mut buf, &cells, &width);
            if buf.len() >= CHUNK {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        for (label, (p, b)) in [
            ("not IP", self.non_ip),
            ("beyond the conversation limit", self.overflow),
        ] {
            if p > 0 {
                buf.extend_from_slice(label.as_bytes());
                buf.extend_from_slice(b": ");
                digits::u64(&mut buf, p);
                buf.extend_from_slice(b" packets, ");
                digits::u64(&mut buf, b);
                buf.extend_from_slice(b" bytes\n");
            }
        }
        out.write_all(&buf)
    }
}

const HEADER: [&str; 10] = [
    "PROTO",
    "A",
    "B",
    "PKTS A>B",
    "BYTES A>B",
    "PKTS B>A",
    "BYTES B>A",
    "FIRST",
    "LAST",
    "TCP",
];

/// Table text gathered before it is written out.
const CHUNK: usize = 64 * 1024;

/// One conversation's cells, formatted into `c` (cleared first).
fn row_cells(c: &mut [Vec<u8>; 10], k: &Key, st: &Conversation, time: &mut Summarizer) {
    c.iter_mut().for_each(Vec::clear);
    let (a, b) = if st.a_is_lo {
        (k.lo, k.hi)
    } else {
        (k.hi, k.lo)
    };
    let has_ports = matches!(k.proto, 6 | 17);
    match crate::summary::ip_proto_name(k.proto) {
        Some(n) => c[0].extend_from_slice(n.as_bytes()),
        None => digits::u64(&mut c[0], u64::from(k.proto)),
    }
    endpoint(&mut c[1], k.v6, a, has_ports);
    endpoint(&mut c[2], k.v6, b, has_ports);
    digits::u64(&mut c[3], st.packets[0]);
    digits::u64(&mut c[4], st.bytes[0]);
    digits::u64(&mut c[5], st.packets[1]);
    digits::u64(&mut c[6], st.bytes[1]);
    time.timestamp(&mut c[7], st.first.0, st.first.1);
    time.timestamp(&mut c[8], st.last.0, st.last.1);
    if k.proto == 6 {
        for (seen, name) in [(st.syn, "SYN"), (st.fin, "FIN"), (st.rst, "RST")] {
            if seen {
                if !c[9].is_empty() {
                    c[9].push(b',');
                }
                c[9].extend_from_slice(name.as_bytes());
            }
        }
    }
}

/// One line of the table: counts right-aligned, text left-aligned, no trailing blanks.
fn aligned_line(out: &mut Vec<u8>, cells: &[Vec<u8>; 10], width: &[usize; 10]) {
    let start = out.len();
    for (i, c) in cells.iter().enumerate() {
        let pad = width[i] - c.len();
        if (3..=6).contains(&i) {
            out.resize(out.len() + pad, b' ');
            out.extend_from_slice(c);
        } else {
            out.extend_from_slice(c);
            if i < 9 {
                out.resize(out.len() + pad, b' ');
            }
        }
        if i < 9 {
            out.extend_from_slice(b"  ");
        }
    }
    while out.len() > start && out.last() == Some(&b' ') {
        out.pop();
    }
    out.push(b'\n');
}

fn endpoint(out: &mut Vec<u8>, v6: bool, e: Endpoint, port: bool) {
    if v6 {
        if port {
            out.push(b'[');
        }
        digits::ipv6(out, e.addr);
        if port {
            out.push(b']');
        }
    } else {
        digits::ipv4(out, [e.addr[0], e.addr[1], e.addr[2], e.addr[3]]);
    }
    if port {
        out.push(b':');
        digits::u64(out, u64::from(e.port));
    }
}

/// Collects conversations and writes the table at `finish`.
pub struct FlowSink {
    table: FlowTable,
    interfaces: Vec<Interface>,
    time: Summarizer,
    out: Box<dyn Write + Send>,
}

impl FlowSink {
    pub fn new(opts: PrintOptions, out: Box<dyn Write + Send>) -> Self {
        FlowSink {
            table: FlowTable::default(),
            interfaces: Vec::new(),
            time: Summarizer::new(opts),
            out,
        }
    }
}

impl Sink for FlowSink {
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()> {
        self.interfaces = interfaces.to_vec();
        Ok(())
    }

    fn add_interfaces(&mut self, added: &[Interface]) -> io::Result<()> {
        self.interfaces.extend_from_slice(added);
        Ok(())
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        if let Some(i) = self.interfaces.get(pkt.iface) {
            self.table.add(pkt, i);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.table.write(&mut self.out, &mut self.time)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nscap_frames::*;

    fn iface() -> Interface {
        Interface::for_test("eth0", 1)
    }

    fn p(data: &[u8], sec: i64) -> Packet<'_> {
        Packet {
            iface: 0,
            ts_sec: sec,
            ts_nsec: 0,
            len: data.len() as u32,
            data,
        }
    }

    #[test]
    fn both_directions_share_a_row_and_rows_sort_by_bytes() {
        let a = [10, 0, 0, 2];
        let b = [10, 0, 0, 1];
        let syn = ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(a, b, TCP, &tcp(5000, 80, 1, 0, SYN, 1, &[], &[])),
        );
        let synack = ether(
            MAC_A,
            MAC_B,
            0x0800,
            &ipv4(
                b,
                a,
                TCP,
                &tcp(80, 5000, 9, 2, SYN | ACK, 1, &[], &[0; 100]),
            ),
        );
        let fin = ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(a, b, TCP, &tcp(5000, 80, 2, 10, FIN | ACK, 1, &[], &[])),
        );
        let dns = ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(a, b, UDP, &udp(999, 53, &[0; 400])),
        );
        let arp_f = ether(BROADCAST, MAC_A, 0x0806, &arp(1, MAC_A, a, [0; 6], b));
        let mut t = FlowTable::default();
        let i = iface();
        t.add(&p(&syn, 10), &i);
        t.add(&p(&synack, 11), &i);
        t.add(&p(&fin, 12), &i);
        t.add(&p(&dns, 13), &i);
        t.add(&p(&arp_f, 14), &i);
        assert_eq!(t.flows.len(), 2);
        let rows = t.sorted();
        assert_eq!(rows[0].0.proto, 17);
        let (_, tcp_st) = rows[1];
        assert_eq!(tcp_st.packets, [2, 1]);
        assert_eq!(
            tcp_st.bytes,
            [(syn.len() + fin.len()) as u64, synack.len() as u64]
        );
        assert_eq!((tcp_st.first.0, tcp_st.last.0), (10, 12));
        assert!(tcp_st.syn && tcp_st.fin && !tcp_st.rst);
        assert_eq!(t.non_ip, (1, arp_f.len() as u64));
        let mut out = Vec::new();
        let mut time = Summarizer::new(PrintOptions {
            stamp: crate::summary::Stamp::Epoch,
            ..Default::default()
        });
        t.write(&mut out, &mut time).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Conversations: 2 (sorted by bytes)");
        assert!(lines[1].starts_with("PROTO  A "));
        assert!(
            lines[2].starts_with("UDP    10.0.0.2:999   10.0.0.1:53 "),
            "{text}"
        );
        assert!(
            lines[3].starts_with("TCP    10.0.0.2:5000  10.0.0.1:80 "),
            "{text}"
        );
        assert!(
            lines[3].ends_with("10.000000  12.000000  SYN,FIN"),
            "{text}"
        );
        assert_eq!(
            lines[4],
            format!("not IP: 1 packets, {} bytes", arp_f.len())
        );
    }

    #[test]
    fn conversations_past_the_limit_are_summed() {
        let mut t = FlowTable {
            limit: 2,
            ..FlowTable::default()
        };
        let frames: Vec<Vec<u8>> = (0..5u16)
            .map(|p| {
                ether(
                    MAC_B,
                    MAC_A,
                    0x0800,
                    &ipv4([1, 1, 1, 1], [2, 2, 2, 2], UDP, &udp(p, 53, &[])),
                )
            })
            .collect();
        for f in &frames {
            t.add(&p(f, 1), &iface());
        }
        // Known conversations still count after the limit is reached.
        t.add(&p(&frames[0], 2), &iface());
        assert_eq!(t.flows.len(), 2);
        assert_eq!(t.overflow, (3, 3 * frames[0].len() as u64));
        assert_eq!(t.sorted()[0].1.packets[0], 2);
    }
}
