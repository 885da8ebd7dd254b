//! pcapng files: one Interface Description Block per capture source, with its name and a
//! description naming the target, so several interfaces (and namespaces) share one file.
//!
//! The metadata is what dumpcap writes, so that Wireshark's "Capture File Properties" and
//! capinfos describe an nscap file as they describe its own: the machine (`shb_hardware`,
//! `shb_os`), the program (`shb_userappl`), each interface's filter and system (`if_filter`,
//! `if_os`), each packet's direction (`epb_flags`), and statistics that say which span of time
//! they cover (`isb_starttime`, `isb_endtime`).

use std::io::{self, Write};

use super::file::{Records, NG_BOM, NG_EPB, NG_IDB, NG_ISB, NG_SHB, NG_VERSION};
use super::Sink;
use crate::link::{LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2};
use crate::packet::Owner;
use crate::packet::{Counters, Interface, Packet};

const OPT_END: u16 = 0;
/// opt_comment: Wireshark's packet comment (`frame.comment`); carries the `--process` owner.
const OPT_COMMENT: u16 = 1;
const SHB_HARDWARE: u16 = 2;
const SHB_OS: u16 = 3;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_DESCRIPTION: u16 = 3;
const IF_TSRESOL: u16 = 9;
const IF_FILTER: u16 = 11;
const IF_OS: u16 = 12;
const EPB_FLAGS: u16 = 2;
const ISB_STARTTIME: u16 = 2;
const ISB_ENDTIME: u16 = 3;
const ISB_IFRECV: u16 = 4;
const ISB_IFDROP: u16 = 5;
const ISB_FILTERACCEPT: u16 = 6;
const ISB_OSDROP: u16 = 7;
const ISB_USRDELIV: u16 = 8;

/// if_filter's first byte: the expression is a libpcap filter string.
const FILTER_LIBPCAP: u8 = 0;
/// epb_flags bits 0-1.
const EPB_INBOUND: u32 = 1;
const EPB_OUTBOUND: u32 = 2;

pub struct PcapngWriter<W: Write> {
    out: Records<W>,
    /// The BPF expression every interface captured with (`if_filter`).
    filter: Option<String>,
    /// Per interface, what a packet's direction is read from: the link type and own MAC.
    links: Vec<(u16, Option<[u8; 6]>)>,
    /// Per interface, when it started capturing (ns since the epoch): `isb_starttime`.
    started: Vec<u64>,
    /// `shb_os`, also each interface's `if_os`: they share the host's kernel.
    os: String,
}

/// Nanoseconds since the epoch, now.
fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// A pcapng timestamp: high 32 bits first, each half in the section's byte order.
fn timestamp(ts: u64) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&((ts >> 32) as u32).to_ne_bytes());
    b[4..].copy_from_slice(&(ts as u32).to_ne_bytes());
    b
}

/// The processor, in dumpcap's words: `/proc/cpuinfo`'s model name, and "(with SSE4.2)" when
/// the CPU has it; the architecture when there is no model name (most non-x86 kernels).
fn hardware() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        info.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
    };
    match field("model name") {
        Some(model) if field("flags").is_some_and(|f| f.split(' ').any(|x| x == "sse4_2")) => {
            format!("{model} (with SSE4.2)")
        }
        Some(model) => model,
        None => std::env::consts::ARCH.to_string(),
    }
}

/// The kernel, in dumpcap's words: "Linux 6.1.0-18-amd64".
fn os() -> String {
    let read = |f: &str| {
        std::fs::read_to_string(format!("/proc/sys/kernel/{f}"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let (kind, release) = (read("ostype"), read("osrelease"));
    match (kind.is_empty(), release.is_empty()) {
        (true, _) => std::env::consts::OS.to_string(),
        (false, true) => kind,
        (false, false) => format!("{kind} {release}"),
    }
}

/// Which way a frame went, as epb_flags bits, by the rule the summary's `In`/`Out` follows
/// (src/summary/decode.rs): an Ethernet frame is outbound when its source is the interface's
/// own MAC; a Linux cooked frame says so in its packet type (0-3 to us, 4 from us). Reads a few
/// header bytes and nothing else, so it costs nothing per packet.
fn direction(linktype: u16, mac: Option<[u8; 6]>, data: &[u8]) -> u32 {
    let sll_type = match linktype {
        LINKTYPE_ETHERNET => {
            return match (mac, data.get(6..12)) {
                (Some(m), Some(src)) if m[..] == *src => EPB_OUTBOUND,
                (Some(_), Some(_)) => EPB_INBOUND,
                _ => 0,
            }
        }
        LINKTYPE_LINUX_SLL => data.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])),
        LINKTYPE_LINUX_SLL2 => data.get(10).map(|&b| u16::from(b)),
        _ => None,
    };
    match sll_type {
        Some(0..=3) => EPB_INBOUND,
        Some(4) => EPB_OUTBOUND,
        _ => 0,
    }
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
            filter: None,
            links: Vec::new(),
            started: Vec::new(),
            os: os(),
        }
    }

    /// The capture filter, recorded as every interface's `if_filter`.
    pub fn with_filter(mut self, filter: Option<&str>) -> Self {
        self.filter = filter.map(str::to_string);
        self
    }
}

impl<W: Write> PcapngWriter<W> {
    /// The direction bits of `pkt`'s `epb_flags`; 0 when unknown.
    fn flags(&self, pkt: &Packet<'_>) -> u32 {
        match self.links.get(pkt.iface) {
            Some(&(linktype, mac)) => direction(linktype, mac, pkt.data),
            None => 0,
        }
    }

    /// The bytes `pkt`'s Enhanced Packet Block takes, as `packet` writes it.
    /// What the last write the file system refused left behind.
    /// Done with: see [`super::file::Records::recycle`].
    pub fn recycle(&mut self) {
        self.out.recycle();
    }

    pub fn torn(&self) -> Option<super::file::Torn> {
        self.out.torn()
    }

    pub fn record_len(&self, pkt: &Packet<'_>) -> u64 {
        self.record_len_by(pkt, None)
    }

    /// The bytes `pkt`'s Enhanced Packet Block takes, as `packet_by` writes it.
    pub fn record_len_by(&self, pkt: &Packet<'_>, owner: Option<&Owner>) -> u64 {
        epb_len(pkt.data.len(), self.flags(pkt), comment_len(owner)) as u64
    }
}

/// The comment's length in the block (0: none): a comment longer than an option can hold is
/// left out rather than cut.
fn comment_len(owner: Option<&Owner>) -> usize {
    match owner.map_or(0, |o| o.comment.len()) {
        n if n > usize::from(u16::MAX) => 0,
        n => n,
    }
}

/// An Enhanced Packet Block: 32 bytes around the data padded to 4; then the options, if any:
/// the comment (4 + its length padded to 4), epb_flags (8) when there is a direction to tell,
/// and the end of options (4).
fn epb_len(caplen: usize, flags: u32, comment: usize) -> usize {
    let mut options = 0;
    if comment != 0 {
        options += 4 + comment + pad4(comment);
    }
    if flags != 0 {
        options += 8;
    }
    if options != 0 {
        options += 4;
    }
    32 + caplen + pad4(caplen) + options
}

impl<W: Write> PcapngWriter<W> {
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
            if let Some(f) = &self.filter {
                let mut value = Vec::with_capacity(1 + f.len());
                value.push(FILTER_LIBPCAP);
                value.extend_from_slice(f.as_bytes());
                option(&mut body, IF_FILTER, &value);
            }
            option(&mut body, IF_OS, self.os.as_bytes());
            option(&mut body, OPT_END, &[]);
            block(&mut self.out.buf, NG_IDB, &body);
            self.links.push((i.linktype, i.mac));
        }
        self.started.resize(self.links.len(), now_ns());
    }

    /// One Interface Statistics Block for interface `id`, as of `ts`.
    fn statistics_block(&mut self, id: usize, c: &Counters, ts: u64) {
        let mut body = Vec::new();
        body.extend_from_slice(&(id as u32).to_ne_bytes());
        body.extend_from_slice(&timestamp(ts));
        // The span the counters cover: this interface's start, to now.
        let start = self.started.get(id).copied().unwrap_or(ts);
        option(&mut body, ISB_STARTTIME, &timestamp(start));
        option(&mut body, ISB_ENDTIME, &timestamp(ts));
        // Counters that could not be read are left out, not written as 0: a reader must not
        // take "unknown" for "nothing was dropped".
        if let Some(k) = c.kernel {
            option(&mut body, ISB_IFRECV, &k.received.to_ne_bytes());
            option(
                &mut body,
                ISB_IFDROP,
                &(k.dropped + k.if_dropped).to_ne_bytes(),
            );
            option(&mut body, ISB_FILTERACCEPT, &k.received.to_ne_bytes());
            option(&mut body, ISB_OSDROP, &k.dropped.to_ne_bytes());
        }
        option(&mut body, ISB_USRDELIV, &c.captured.to_ne_bytes());
        option(&mut body, OPT_END, &[]);
        block(&mut self.out.buf, NG_ISB, &body);
    }
}

impl<W: Write> Sink for PcapngWriter<W> {
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()> {
        let mut body = Vec::new();
        body.extend_from_slice(&NG_BOM.to_ne_bytes());
        body.extend_from_slice(&NG_VERSION.0.to_ne_bytes());
        body.extend_from_slice(&NG_VERSION.1.to_ne_bytes());
        body.extend_from_slice(&(-1i64).to_ne_bytes()); // section length unknown
        option(&mut body, SHB_HARDWARE, hardware().as_bytes());
        option(&mut body, SHB_OS, self.os.as_bytes());
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

    /// The statistics of an interface that left a live capture, as at the end.
    fn interface_left(&mut self, iface: usize, c: &Counters) -> io::Result<()> {
        self.statistics_block(iface, c, now_ns());
        self.out.write_through()
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.packet_by(pkt, None)
    }

    fn packet_by(&mut self, pkt: &Packet<'_>, owner: Option<&Owner>) -> io::Result<()> {
        let ts = (pkt.ts_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(u64::from(pkt.ts_nsec));
        let caplen = pkt.data.len();
        let flags = self.flags(pkt);
        let comment = comment_len(owner);
        let total = epb_len(caplen, flags, comment) as u32;
        let head = |b: &mut Vec<u8>| {
            b.extend_from_slice(&NG_EPB.to_ne_bytes());
            b.extend_from_slice(&total.to_ne_bytes());
            b.extend_from_slice(&(pkt.iface as u32).to_ne_bytes());
            b.extend_from_slice(&((ts >> 32) as u32).to_ne_bytes());
            b.extend_from_slice(&(ts as u32).to_ne_bytes());
            b.extend_from_slice(&(caplen as u32).to_ne_bytes());
            b.extend_from_slice(&pkt.len.to_ne_bytes());
        };
        let tail = |b: &mut Vec<u8>| {
            b.extend(std::iter::repeat_n(0u8, pad4(caplen)));
            if let Some(o) = owner.filter(|_| comment != 0) {
                b.extend_from_slice(&OPT_COMMENT.to_ne_bytes());
                b.extend_from_slice(&(comment as u16).to_ne_bytes());
                b.extend_from_slice(o.comment.as_bytes());
                b.extend(std::iter::repeat_n(0u8, pad4(comment)));
            }
            if flags != 0 {
                b.extend_from_slice(&EPB_FLAGS.to_ne_bytes());
                b.extend_from_slice(&4u16.to_ne_bytes());
                b.extend_from_slice(&flags.to_ne_bytes());
            }
            if flags != 0 || comment != 0 {
                b.extend_from_slice(&[0; 4]); // opt_endofopt
            }
            b.extend_from_slice(&total.to_ne_bytes());
        };
        self.out.record(head, pkt.data, tail)
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
            self.statistics_block(id, c, ts);
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.out.write_through()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Kernel;

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
            kernel: Some(Kernel {
                received: 3,
                dropped: 2,
                if_dropped: 0,
            }),
        };
        let zero = Counters {
            captured: 0,
            kernel: Some(Kernel::default()),
        };
        w.counters(&[zero, c]).unwrap();
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
        // The second ISB: interface 1, then starttime, endtime, ifrecv 3, ifdrop 2, ...,
        // usrdeliv 1.
        let isb_len = u32_at(&out, out.len() - 4) as usize;
        let isb = out.len() - isb_len;
        assert_eq!(u32_at(&out, isb + 8), 1);
        let opt = |n: usize| isb + 20 + n * 12; // each option: 4-byte header, 8-byte value
        let code = |n: usize| u16::from_ne_bytes([out[opt(n)], out[opt(n) + 1]]);
        assert_eq!(code(0), ISB_STARTTIME);
        assert_eq!(code(1), ISB_ENDTIME);
        // The span runs forwards: start (high, low) <= end (high, low).
        let time = |n: usize| (u32_at(&out, opt(n) + 4), u32_at(&out, opt(n) + 8));
        assert!(time(0) <= time(1), "{:?} > {:?}", time(0), time(1));
        assert_eq!(code(2), ISB_IFRECV);
        assert_eq!(u32_at(&out, opt(2) + 4), 3);
        assert_eq!(u32_at(&out, opt(3) + 4), 2);
        assert_eq!(code(6), ISB_USRDELIV);
        assert_eq!(u32_at(&out, opt(6) + 4), 1);
        let epb = out.len() - 2 * isb_len - 40;
        assert_eq!(u32_at(&out, epb + 8), 1); // interface id
        assert_eq!(u32_at(&out, epb + 16), 1_000_000_002); // low 32 bits of ns timestamp
    }

    /// Counters that were not read leave the kernel's options out of the statistics block:
    /// only the span and what nscap delivered, never a 0 for "not read".
    #[test]
    fn unread_counters_are_left_out_of_statistics_blocks() {
        let mut out = Vec::new();
        let mut w = PcapngWriter::new(&mut out, false);
        w.start(&[Interface::for_test("eth0", 1)]).unwrap();
        let unread = Counters {
            captured: 4,
            kernel: None,
        };
        w.counters(&[unread]).unwrap();
        w.finish().unwrap();
        let isb_len = u32_at(&out, out.len() - 4) as usize;
        let isb = out.len() - isb_len;
        assert_eq!(u32_at(&out, isb), NG_ISB);
        let mut codes = Vec::new();
        let mut at = isb + 20;
        while at < out.len() - 4 {
            let code = u16::from_ne_bytes([out[at], out[at + 1]]);
            let len = u16::from_ne_bytes([out[at + 2], out[at + 3]]) as usize;
            codes.push(code);
            at += 4 + len.div_ceil(4) * 4;
        }
        assert_eq!(
            codes,
            [ISB_STARTTIME, ISB_ENDTIME, ISB_USRDELIV, OPT_END],
            "{codes:?}"
        );
    }

    #[test]
    fn direction_follows_the_summary_rule() {
        let me = [2, 0, 0, 0, 0, 1];
        let other = [2, 0, 0, 0, 0, 2];
        let ether = |src: [u8; 6]| [[0xff; 6], src, [0; 6]].concat();
        assert_eq!(direction(1, Some(me), &ether(me)), EPB_OUTBOUND);
        assert_eq!(direction(1, Some(me), &ether(other)), EPB_INBOUND);
        assert_eq!(direction(1, None, &ether(me)), 0, "no MAC, no direction");
        assert_eq!(direction(1, Some(me), &[0; 11]), 0, "cut before the source");
        let sll = |t: u16| [&t.to_be_bytes()[..], &[0; 14]].concat();
        assert_eq!(direction(113, None, &sll(0)), EPB_INBOUND);
        assert_eq!(direction(113, None, &sll(3)), EPB_INBOUND);
        assert_eq!(direction(113, None, &sll(4)), EPB_OUTBOUND);
        assert_eq!(direction(113, None, &sll(5)), 0);
        let mut sll2 = [0u8; 20];
        sll2[10] = 4;
        assert_eq!(direction(276, None, &sll2), EPB_OUTBOUND);
        sll2[10] = 1;
        assert_eq!(direction(276, None, &sll2), EPB_INBOUND);
        assert_eq!(
            direction(101, Some(me), &[0x45; 20]),
            0,
            "raw IP has no direction"
        );
    }

    #[test]
    fn metadata_and_flags_are_written() {
        let mut out = Vec::new();
        let mut w = PcapngWriter::new(&mut out, false).with_filter(Some("icmp"));
        let me = [2, 0, 0, 0, 0, 1];
        w.start(&[Interface {
            name: "eth0".into(),
            linktype: 1,
            snaplen: 262144,
            description: String::new(),
            mac: Some(me),
        }])
        .unwrap();
        let frame = [[0xff; 6], me, [8, 0, 0, 0, 0, 0], [0; 6]].concat(); // 4-aligned: no padding
        w.packet(&Packet {
            iface: 0,
            ts_sec: 1,
            ts_nsec: 0,
            len: frame.len() as u32,
            data: &frame,
        })
        .unwrap();
        w.finish().unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains(&os()), "shb_os and if_os");
        assert!(text.contains("\0icmp"), "if_filter: a libpcap string");
        // The EPB is last: its options are epb_flags = outbound, then the end.
        let len = u32_at(&out, out.len() - 4) as usize;
        let epb = out.len() - len;
        assert_eq!(u32_at(&out, epb), NG_EPB);
        assert_eq!(len, 32 + frame.len() + 12);
        let opts = epb + 28 + frame.len();
        assert_eq!(u16::from_ne_bytes([out[opts], out[opts + 1]]), EPB_FLAGS);
        assert_eq!(u32_at(&out, opts + 4), EPB_OUTBOUND);
        assert_eq!(u32_at(&out, opts + 8), 0);
    }

    #[test]
    fn process_comment_is_an_option_and_counted() {
        let owner = Owner::new(1234, "curl", Some("web".into()));
        let me = [2, 0, 0, 0, 0, 1];
        for (mac, data) in [(None, vec![1u8; 5]), (Some(me), [[0xff; 6], me].concat())] {
            let mut out = Vec::new();
            let mut w = PcapngWriter::new(&mut out, false);
            w.start(&[Interface {
                name: "eth0".into(),
                linktype: 1,
                snaplen: 262144,
                description: String::new(),
                mac,
            }])
            .unwrap();
            let start = w.out.buf.len();
            let pkt = Packet {
                iface: 0,
                ts_sec: 1,
                ts_nsec: 0,
                len: data.len() as u32,
                data: &data,
            };
            let predicted = w.record_len_by(&pkt, Some(&owner));
            w.packet_by(&pkt, Some(&owner)).unwrap();
            assert_eq!((w.out.buf.len() - start) as u64, predicted);
            w.finish().unwrap();
            let epb = &out[out.len() - predicted as usize..];
            let opts = 28 + data.len() + pad4(data.len());
            assert_eq!(u16::from_ne_bytes([epb[opts], epb[opts + 1]]), OPT_COMMENT);
            let n = u16::from_ne_bytes([epb[opts + 2], epb[opts + 3]]) as usize;
            assert_eq!(
                &epb[opts + 4..opts + 4 + n],
                b"pid 1234 curl (container web)"
            );
        }
    }
}
