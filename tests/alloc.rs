//! The per-packet path allocates nothing: a counting allocator watches the summary and JSON
//! formatters, the pcapng writer and the file reader over thousands of packets.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use nscap::packet::Owner;
use nscap::packet::{Interface, Packet};
use nscap::reader::FileReader;
use nscap::sink::pcap::PcapWriter;
use nscap::sink::pcapng::PcapngWriter;
use nscap::sink::Sink;
use nscap::summary::PrintOptions;
use nscap::summary::Summarizer;
use nscap_frames::*;

struct Counting;

thread_local! {
    // Per thread: the test harness allocates on its own threads while a test runs.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

fn count() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is passed on to the system allocator unchanged; counting allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from `System` through this allocator, with layout `l`.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        // SAFETY: `p` came from `System` through this allocator, with layout `l`.
        unsafe { System.realloc(p, l, n) }
    }
}

/// The `i`th packet of a stream that goes round `fr`, a hundred a second.
fn nth(fr: &[Vec<u8>], i: usize) -> Packet<'_> {
    let d = &fr[i % fr.len()];
    Packet {
        iface: 0,
        ts_sec: 1_700_000_000 + (i / 100) as i64,
        ts_nsec: 0,
        len: d.len() as u32,
        data: d,
    }
}

#[global_allocator]
static A: Counting = Counting;

fn frames() -> Vec<Vec<u8>> {
    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let inner = ipv4(
        a,
        b,
        TCP,
        &tcp(1, 80, 3, 4, PSH | ACK, 5, &[], b"GET / HTTP/1.1\r\n\r\n"),
    );
    let inner_eth = ether(MAC_B, MAC_A, 0x0800, &inner);
    let q = dns_query(9, "example.com", 16);
    let mut dns_tcp = (q.len() as u16).to_be_bytes().to_vec();
    dns_tcp.extend_from_slice(&q);
    let txt = dns_message(
        9,
        0x8180,
        Some(("example.com", 16)),
        &[Rr {
            name: QNAME,
            rtype: 16,
            ttl: 60,
            data: b"\x05hello".to_vec(),
        }],
        &[],
        &[],
    );
    let tunnels = [
        ipv4(a, b, UDP, &udp(40000, 4789, &vxlan(42, &inner_eth))),
        ipv4(a, b, UDP, &udp(40000, 8472, &vxlan(1, &inner_eth))),
        ipv4(
            a,
            b,
            UDP,
            &udp(40000, 6081, &geneve(7, 0x6558, &[], &inner_eth)),
        ),
        ipv4(a, b, 47, &gre(0x0800, false, Some(1), Some(2), &inner)),
        ipv4(a, b, 4, &inner),
        ipv4(
            a,
            b,
            TCP,
            &tcp(40000, 53, 1, 1, PSH | ACK, 5, &[], &dns_tcp),
        ),
        ipv4(b, a, UDP, &udp(53, 40000, &txt)),
    ];
    let mut v: Vec<Vec<u8>> = tunnels
        .iter()
        .map(|p| ether(MAC_B, MAC_A, 0x0800, p))
        .collect();
    v.push(ether(MAC_B, MAC_A, 0x8847, &mpls(&[(100, 0, 64)], &inner)));
    v.extend(vec![
        ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(
                a,
                b,
                TCP,
                &tcp(1, 2, 3, 4, PSH | ACK, 5, &[2, 4, 5, 0xb4], b"data"),
            ),
        ),
        ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(a, b, UDP, &udp(5353, 53, &dns_query(7, "example.com", 1))),
        ),
        ether(
            MAC_A,
            MAC_B,
            0x0800,
            &ipv4(
                b,
                a,
                UDP,
                &udp(
                    53,
                    5353,
                    &dns_response(7, "example.com", &[[1, 2, 3, 4]], 0),
                ),
            ),
        ),
        ether(
            MAC_B,
            MAC_A,
            0x86dd,
            &ipv6(
                v6("fe80::1"),
                v6("ff02::1"),
                ICMP6,
                &icmp(128, 0, echo_rest(1, 1), &[0; 8]),
            ),
        ),
        ether(BROADCAST, MAC_A, 0x0806, &arp(1, MAC_A, a, [0; 6], b)),
        ether(
            MAC_B,
            MAC_A,
            0x8100,
            &vlan_tag(
                5,
                0,
                0x0800,
                &ipv4(a, b, ICMP, &icmp(8, 0, echo_rest(1, 1), &[])),
            ),
        ),
    ]);
    // LLDP with organisation TLVs whose printers tabulate: 802.1 ETS, TIA network policy,
    // DCBX priority flow control.
    let lldp = [
        &[0xfe, 25, 0x00, 0x80, 0xc2, 9, 0xc3, 0x01, 0x23, 0x45, 0x67][..],
        &[12, 13, 100, 0, 255, 1, 9, 50, 0, 1, 2, 255, 0, 0, 0, 8],
        &[0xfe, 8, 0x00, 0x12, 0xbb, 2, 1, 0x7f, 0xff, 0xee],
        &[
            0xfe, 12, 0x00, 0x1b, 0x21, 2, 0x06, 6, 0, 0, 0x40, 1, 0x88, 8, 0, 0,
        ],
    ]
    .concat();
    v.push(ether(MAC_B, MAC_A, 0x88cc, &lldp));
    // Redis (RESP): an array of bulk strings and a pipelined reply.
    for p in [
        &b"*3\r\n$6\r\nLRANGE\r\n$6\r\nmylist\r\n$1\r\n0\r\n"[..],
        b"+OK\r\n:1\r\n$-1\r\n",
    ] {
        let t = tcp(40000, 6379, 1, 1, PSH | ACK, 502, &[], p);
        v.push(ether(MAC_B, MAC_A, 0x0800, &ipv4(a, b, TCP, &t)));
    }
    // The text protocols, BGP, NTP, DHCP and VRRP (their -v forms are formatted too).
    for (sp, dp, p) in [
        (40000u16, 25u16, &b"MAIL FROM:<a@example.org>\r\n"[..]),
        (21, 40000, b"230 Login successful.\r\n"),
        (40000, 179, &[0xff; 19]),
    ] {
        let t = tcp(sp, dp, 1, 1, PSH | ACK, 502, &[], p);
        v.push(ether(MAC_B, MAC_A, 0x0800, &ipv4(a, b, TCP, &t)));
    }
    let sip = b"OPTIONS sip:gw@example.org SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n";
    v.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(a, b, UDP, &udp(5060, 5060, sip)),
    ));
    let mut ntp = vec![
        0x24u8, 2, 6, 0xec, 0, 1, 0x80, 0, 0, 0, 0x0c, 0x4a, 10, 0, 0, 1,
    ];
    for t in [
        3_974_371_100u32,
        3_974_371_200,
        3_974_371_201,
        3_974_371_202,
    ] {
        ntp.extend_from_slice(&t.to_be_bytes());
        ntp.extend_from_slice(&0x8000_0001u32.to_be_bytes());
    }
    v.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(a, b, UDP, &udp(123, 123, &ntp)),
    ));
    let mut ctl = vec![0x26u8, 0xc2, 0, 2, 0x06, 0x15, 0, 7, 0, 0, 0, 4];
    ctl.extend_from_slice(b"abcd");
    v.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(a, b, UDP, &udp(40000, 123, &ctl)),
    ));
    let mut dhcp = vec![1u8, 1, 6, 0, 0x39, 3, 0xf3, 0x26, 0, 9, 0x80, 0];
    dhcp.extend_from_slice(&[0; 16]);
    dhcp.extend_from_slice(&MAC_A);
    dhcp.extend_from_slice(&[0; 10 + 64 + 128]);
    dhcp.extend_from_slice(&[99, 130, 83, 99, 53, 1, 1, 61, 7, 1]);
    dhcp.extend_from_slice(&MAC_A);
    dhcp.extend_from_slice(&[55, 5, 1, 3, 6, 15, 252, 12, 3, b'w', b'e', b'b']);
    dhcp.extend_from_slice(&[2, 4, 0xff, 0xff, 0xf1, 0xf0, 51, 4, 0, 0, 14, 16, 19, 1, 1]);
    dhcp.extend_from_slice(&[
        81, 6, 5, 0, 0, b'w', b'e', b'b', 121, 8, 24, 10, 1, 2, 10, 0, 0, 1,
    ]);
    dhcp.extend_from_slice(&[82, 6, 1, 4, b'e', b't', b'h', b'0', 255]);
    v.push(ether(
        BROADCAST,
        MAC_A,
        0x0800,
        &ipv4([0; 4], [255; 4], UDP, &udp(68, 67, &dhcp)),
    ));
    let mut bfd = vec![0x20u8, 0xc4, 3, 48, 0, 0, 0, 1, 0, 0, 0, 2];
    bfd.extend_from_slice(&[0, 4, 0x93, 0xe0, 0, 4, 0x93, 0xe0, 0, 0, 0xc3, 0x50]);
    bfd.extend_from_slice(&[2, 24, 1, 0, 0, 0, 0, 9]);
    bfd.extend_from_slice(&[0xab; 16]);
    v.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(a, b, UDP, &udp(49153, 3784, &bfd)),
    ));
    let vrrp = [
        0x21u8, 51, 150, 1, 1, 1, 0x12, 0x34, 10, 0, 0, 100, b's', b'e', b'c', 0, 0, 0, 0, 0,
    ];
    v.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(a, [224, 0, 0, 18], 112, &vrrp),
    ));
    v.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(
            a,
            b,
            UDP,
            &udp(40000, 69, b"\x00\x02up.bin\x00octet\x00blksize\x001428\x00"),
        ),
    ));
    let mut rip = vec![2u8, 2, 0, 0, 0xff, 0xff, 0, 2];
    rip.extend_from_slice(b"secret\0\0\0\0\0\0\0\0\0\0");
    rip.extend_from_slice(&[
        0, 2, 0, 7, 10, 0, 0, 0, 255, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 1,
    ]);
    v.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(a, [224, 0, 0, 9], UDP, &udp(520, 520, &rip)),
    ));
    let mut ripng = vec![2u8, 1, 0, 0, 0x20, 0x01, 0x0d, 0xb8];
    ripng.extend_from_slice(&[0; 12]);
    ripng.extend_from_slice(&[0, 7, 32, 1]);
    let ll = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let ff = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
    v.push(ether(
        MAC_B,
        MAC_A,
        0x86dd,
        &ipv6(ll, ff, UDP, &udp(521, 521, &ripng)),
    ));
    v
}

#[test]
fn formatting_and_reading_allocate_nothing_per_packet() {
    let fr = frames();
    let iface = Interface {
        name: "eth0".into(),
        linktype: 1,
        snaplen: 65535,
        description: String::new(),
        mac: Some(MAC_A),
    };
    let opts = PrintOptions {
        verbose: 1,
        link_header: true,
        ..PrintOptions::default()
    };
    let mut s = Summarizer::new(opts);
    let owner = Owner::new(1234, "curl", Some("web".into()));
    let mut out = Vec::with_capacity(1 << 20);
    let before = allocs();
    for i in 0..5000usize {
        let p = nth(&fr, i);
        if out.len() > (1 << 20) - 4096 {
            out.clear();
        }
        s.line(&mut out, &p, &iface);
        s.json(&mut out, &p, &iface);
        // --process: the owner's texts were made once, when it was found.
        s.line_by(&mut out, &p, &iface, Some(&owner));
        s.json_by(&mut out, &p, &iface, Some(&owner));
    }
    let formatting = allocs() - before;
    assert_eq!(formatting, 0, "allocations while formatting 20000 lines");
    // Relative sequence numbers (the default) fill their table; -S, -X and -# take other paths.
    for opts in [
        PrintOptions::default(),
        PrintOptions {
            absolute_seq: true,
            hex_ascii: 1,
            number: true,
            verbose: 2,
            ..PrintOptions::default()
        },
    ] {
        let mut s = Summarizer::new(opts);
        let before = allocs();
        for i in 0..5000usize {
            let p = nth(&fr, i);
            if out.len() > (1 << 20) - 4096 {
                out.clear();
            }
            s.line(&mut out, &p, &iface);
        }
        assert_eq!(
            allocs() - before,
            0,
            "allocations while formatting 5000 lines"
        );
    }

    let mut file = Vec::new();
    let mut w = PcapWriter::new(&mut file, false, false);
    w.start(std::slice::from_ref(&iface)).unwrap();
    for i in 0..5000usize {
        let d = &fr[i % fr.len()];
        w.packet(&Packet {
            iface: 0,
            ts_sec: 1,
            ts_nsec: 0,
            len: d.len() as u32,
            data: d,
        })
        .unwrap();
    }
    w.finish().unwrap();
    let mut r = FileReader::new(&file[..]).unwrap();
    let before = allocs();
    let mut n = 0;
    while r.advance().unwrap() {
        n += r.packet().data.len();
    }
    assert!(n > 0);
    assert_eq!(allocs() - before, 0, "allocations while reading");
}

/// The `--flows` table is rendered row by row into one reused buffer: a million conversations
/// once cost ten allocations each (a cell per field) and peaked near 1 GB while rendering.
#[test]
fn flow_table_renders_without_a_copy_per_row() {
    let iface = Interface {
        name: "eth0".into(),
        linktype: 1,
        snaplen: 65535,
        description: String::new(),
        mac: None,
    };
    let mut table = nscap::sink::flows::FlowTable::default();
    let rows = 10_000u32;
    for i in 0..rows {
        let [_, _, hi, lo] = i.to_be_bytes();
        let d = ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4([10, 1, hi, lo], [10, 0, 0, 1], UDP, &udp(1000, 53, b"q")),
        );
        let p = Packet {
            iface: 0,
            ts_sec: 1_700_000_000,
            ts_nsec: i,
            len: d.len() as u32,
            data: &d,
        };
        table.add(&p, &iface);
    }
    let mut time = Summarizer::new(PrintOptions::default());
    let mut out = std::io::sink();
    let before = allocs();
    table.write(&mut out, &mut time).unwrap();
    let rendering = allocs() - before;
    // The sorted list of rows, its growth, the buffer and the ten cells: not one per row.
    assert!(
        rendering < 100,
        "{rendering} allocations rendering {rows} rows"
    );
}

#[test]
fn pcapng_writing_allocates_nothing_per_packet() {
    let fr = frames();
    let iface = Interface {
        name: "eth0".into(),
        linktype: 1,
        snaplen: 65535,
        description: String::new(),
        // Known: every packet gets its direction in epb_flags.
        mac: Some(MAC_A),
    };
    let mut w = PcapngWriter::new(std::io::sink(), false).with_filter(Some("ip or arp"));
    w.start(std::slice::from_ref(&iface)).unwrap();
    let owner = Owner::new(1234, "curl", Some("web".into()));
    let before = allocs();
    for i in 0..20_000usize {
        let d = &fr[i % fr.len()];
        let p = Packet {
            iface: 0,
            ts_sec: 1,
            ts_nsec: 0,
            len: d.len() as u32,
            data: d,
        };
        // Every other packet with a `--process` comment.
        w.packet_by(&p, Some(&owner).filter(|_| i % 2 == 0))
            .unwrap();
        if i % 64 == 63 {
            w.flush().unwrap();
        }
    }
    assert_eq!(allocs() - before, 0, "allocations while writing pcapng");
    w.finish().unwrap();
}
