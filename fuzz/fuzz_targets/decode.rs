//! The frame decoder and both formatters on arbitrary bytes, under every link type nscap knows
//! (and one it does not). Byte 0 picks the link type, bytes 1 and 2 the print options, the rest
//! is the frame. Each call must give whole lines of valid UTF-8 (one, unless `-v`, a payload
//! dump or a tunnel header asks for more, as tcpdump's do), and the JSON must be one line that
//! parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nscap::sink::flows::FlowTable;
use nscap::packet::{Interface, Packet};
use nscap::summary::{PrintOptions, Stamp, Summarizer};

const LINKTYPES: [u16; 12] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276, 147];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let linktype = LINKTYPES[usize::from(data[0]) % LINKTYPES.len()];
    let (o, p) = (data[1], data[2]);
    let frame = &data[3..];
    let stamps = [
        Stamp::Time,
        Stamp::Epoch,
        Stamp::Delta,
        Stamp::Date,
        Stamp::SinceFirst,
    ];
    let opts = PrintOptions {
        stamp: stamps[usize::from(p & 7) % stamps.len()],
        nano: o & 2 != 0,
        show_iface: o & 4 != 0,
        link_header: o & 8 != 0,
        verbose: (o >> 4) & 3,
        quick: o & 64 != 0,
        absolute_seq: o & 1 != 0,
        no_checksum: p & 8 != 0,
        number: p & 16 != 0,
        hex: (p >> 5) & 1,
        hex_ascii: (p >> 6) & 1,
        ascii: (p >> 7) & 1,
    };
    let iface = Interface {
        name: "eth0".into(),
        linktype,
        snaplen: 262_144,
        description: String::new(),
        mac: (o & 128 != 0).then_some([0x02, 0x42, 0x0a, 0x01, 0x00, 0x01]),
    };
    let pkt = Packet {
        iface: 0,
        ts_sec: i64::from(o) * 100_000_007,
        ts_nsec: 999_999_999,
        // A wire length shorter than the bytes is nonsense a file can still contain.
        len: (frame.len() as u32).wrapping_mul(u32::from(o & 3)),
        data: frame,
    };
    let plain = opts.verbose == 0 && opts.hex == 0 && opts.hex_ascii == 0 && opts.ascii == 0;
    let mut s = Summarizer::new(opts);
    let mut out = Vec::new();
    s.line(&mut out, &pkt, &iface);
    let breaks = out.iter().filter(|b| **b == b'\n').count();
    // One per line, plus one per VXLAN/OTV header, tunnels nesting at most 8 deep; without a
    // dump option, the only dump is tcpdump's of what it could not decode (an unknown
    // ethertype's payload), after the text and to the end.
    let lines: Vec<&[u8]> = out.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let hex = |l: &&[u8]| l.starts_with(b"\t0x");
    let text = lines.iter().position(hex).unwrap_or(lines.len());
    assert!(breaks >= 1, "no line");
    assert!(!plain || text <= 9, "{text} lines of text");
    assert!(!plain || lines[text..].iter().all(hex), "text after a dump");
    assert_eq!(out.last(), Some(&b'\n'));
    assert!(std::str::from_utf8(&out).is_ok());
    out.clear();
    s.json(&mut out, &pkt, &iface);
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
        panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out));
    }
    let mut flows = FlowTable::default();
    flows.add(&pkt, &iface);
});
