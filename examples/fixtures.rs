//! Writes the sample captures of `fixtures/`: small files, each named for what it shows, with
//! fixed timestamps and no randomness, so running this twice writes the same bytes. The
//! expected `nscap -r` outputs beside them are written by `scripts/fixtures.sh`.
//!
//! The file formats are written here byte by byte rather than with nscap's own writers, so the
//! fixtures test the reader against an independent writer (and can hold what nscap never writes:
//! big-endian sections, several sections, simple packet blocks, cut and corrupt records).
//!
//! Usage: cargo run --example fixtures [-- DIR]   (default: fixtures)

use std::path::Path;

use nscap_frames::*;

/// 2023-11-14 22:13:20 UTC: every capture starts here.
const T0: u32 = 1_700_000_000;

const A4: [u8; 4] = [10, 1, 0, 1];
const B4: [u8; 4] = [10, 1, 0, 2];
const C4: [u8; 4] = [10, 9, 0, 1];

fn a6() -> [u8; 16] {
    v6("2001:db8::1")
}
fn b6() -> [u8; 16] {
    v6("2001:db8::2")
}

/// One record: the interface it was seen on, its wire length (more than the bytes when the
/// snapshot length cut it) and its bytes.
struct Rec {
    iface: u32,
    len: u32,
    data: Vec<u8>,
}

fn rec(data: Vec<u8>) -> Rec {
    Rec {
        iface: 0,
        len: data.len() as u32,
        data,
    }
}

fn on(iface: u32, data: Vec<u8>) -> Rec {
    Rec { iface, ..rec(data) }
}

/// Record `i`'s time: one second and one millisecond apart, with a fraction that shows
/// every digit (microseconds `123456 + i`, or nanoseconds `123456789 + i`).
fn ts(i: usize, nano: bool) -> (u32, u32) {
    let frac = if nano { 123_456_789 } else { 123_456 };
    (T0 + i as u32, frac + i as u32)
}

/// Bytes in one byte order.
struct Out {
    be: bool,
    b: Vec<u8>,
}

impl Out {
    fn new(be: bool) -> Self {
        Out { be, b: Vec::new() }
    }
    fn u16(&mut self, v: u16) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b.extend_from_slice(&b);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.b.extend_from_slice(b);
    }
    fn pad4(&mut self) {
        while self.b.len() % 4 != 0 {
            self.b.push(0);
        }
    }
}

/// A classic pcap file.
fn pcap(linktype: u32, snaplen: u32, nano: bool, be: bool, recs: &[Rec]) -> Vec<u8> {
    let mut o = Out::new(be);
    o.u32(if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    o.u16(2);
    o.u16(4);
    o.u32(0);
    o.u32(0);
    o.u32(snaplen);
    o.u32(linktype);
    for (i, r) in recs.iter().enumerate() {
        let (s, f) = ts(i, nano);
        o.u32(s);
        o.u32(f);
        o.u32(r.data.len() as u32);
        o.u32(r.len);
        o.bytes(&r.data);
    }
    o.b
}

/// One pcapng interface: link type, name, and whether its clock counts nanoseconds.
struct Ng<'a> {
    linktype: u16,
    name: &'a str,
    nano: bool,
}

fn block(o: &mut Out, kind: u32, body: impl FnOnce(&mut Out)) {
    let mut b = Out::new(o.be);
    body(&mut b);
    b.pad4();
    let total = 12 + b.b.len() as u32;
    o.u32(kind);
    o.u32(total);
    o.bytes(&b.b);
    o.u32(total);
}

fn option(o: &mut Out, code: u16, value: &[u8]) {
    o.u16(code);
    o.u16(value.len() as u16);
    o.bytes(value);
    o.pad4();
}

/// One pcapng section: header, interfaces, then records as enhanced packet blocks. `first`
/// numbers the records' timestamps on from earlier sections.
fn pcapng_section(be: bool, ifaces: &[Ng], recs: &[Rec], first: usize) -> Vec<u8> {
    let mut o = Out::new(be);
    block(&mut o, 0x0a0d_0d0a, |b| {
        b.u32(0x1a2b_3c4d);
        b.u16(1);
        b.u16(0);
        b.u32(u32::MAX);
        b.u32(u32::MAX);
        option(b, 4, b"nscap fixtures");
        option(b, 0, &[]);
    });
    for i in ifaces {
        block(&mut o, 1, |b| {
            b.u16(i.linktype);
            b.u16(0);
            b.u32(262_144);
            option(b, 2, i.name.as_bytes());
            option(b, 9, &[if i.nano { 9 } else { 6 }]);
            option(b, 0, &[]);
        });
    }
    for (n, r) in recs.iter().enumerate() {
        let nano = ifaces[r.iface as usize].nano;
        let (s, f) = ts(first + n, nano);
        let t = u64::from(s) * if nano { 1_000_000_000 } else { 1_000_000 } + u64::from(f);
        block(&mut o, 6, |b| {
            b.u32(r.iface);
            b.u32((t >> 32) as u32);
            b.u32(t as u32);
            b.u32(r.data.len() as u32);
            b.u32(r.len);
            b.bytes(&r.data);
        });
    }
    o.b
}

fn e4(dst: [u8; 6], src: [u8; 6], s: [u8; 4], d: [u8; 4], proto: u8, p: &[u8]) -> Vec<u8> {
    ether(dst, src, 0x0800, &ipv4(s, d, proto, p))
}

fn e6(s: [u8; 16], d: [u8; 16], next: u8, p: &[u8]) -> Vec<u8> {
    ether(MAC_B, MAC_A, 0x86dd, &ipv6(s, d, next, p))
}

/// TCP options of a Linux SYN.
fn syn_opts() -> Vec<u8> {
    tcp_options(&[
        TcpOption::mss(1460),
        TcpOption::sack_perm(),
        TcpOption::timestamp(1, 0),
        TcpOption::nop(),
        TcpOption::wscale(7),
    ])
}

/// Ethernet: ARP, a TCP conversation, UDP, ICMP errors quoting what they answer, IPv6 TCP,
/// UDP, ICMPv6 and neighbour discovery, IPv4 options, a protocol and an ethertype nscap does
/// not decode, and a frame cut by the snapshot length.
fn mixed() -> Vec<Rec> {
    let (a, b) = (MAC_A, MAC_B);
    let tcp4 = |fwd: bool, seq, ack, flags, opts: &[u8], data: &[u8]| {
        if fwd {
            e4(
                b,
                a,
                A4,
                B4,
                TCP,
                &tcp(43210, 80, seq, ack, flags, 64240, opts, data),
            )
        } else {
            e4(
                a,
                b,
                B4,
                A4,
                TCP,
                &tcp(80, 43210, seq, ack, flags, 65160, opts, data),
            )
        }
    };
    let quoted = ipv4(B4, A4, UDP, &udp(40000, 33434, &[0; 4]));
    let mut arp_req = ether(BROADCAST, a, 0x0806, &arp(1, a, A4, [0; 6], B4));
    arp_req.resize(60, 0);
    let mut ns = b6().to_vec();
    ns.extend_from_slice(&ndp_lladdr(1, a));
    let mut na = b6().to_vec();
    na.extend_from_slice(&ndp_lladdr(2, b));
    let big = e4(b, a, A4, B4, UDP, &udp(40000, 9999, &[0x55; 1000]));
    let cut = Rec {
        iface: 0,
        len: big.len() as u32,
        data: big[..96].to_vec(),
    };
    let mut v = vec![
        rec(arp_req),
        rec(ether(a, b, 0x0806, &arp(2, b, B4, a, A4))),
        rec(tcp4(true, 1000, 0, SYN, &syn_opts(), &[])),
        rec(tcp4(
            false,
            5000,
            1001,
            SYN | ACK,
            &tcp_options(&[TcpOption::mss(1460)]),
            &[],
        )),
        rec(tcp4(true, 1001, 5001, ACK, &[], &[])),
        rec(tcp4(
            true,
            1001,
            5001,
            PSH | ACK,
            &[],
            b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
        )),
        rec(tcp4(false, 5001, 1034, PSH | ACK, &[], &[b'x'; 120])),
        rec(tcp4(true, 1034, 5121, FIN | ACK, &[], &[])),
        rec(tcp4(false, 5121, 1035, RST, &[], &[])),
        rec(e4(b, a, A4, B4, UDP, &udp(40000, 9999, b"ping over udp"))),
        rec(e4(
            b,
            a,
            A4,
            B4,
            ICMP,
            &icmp(8, 0, echo_rest(7, 1), &[0x61; 56]),
        )),
        rec(e4(
            a,
            b,
            B4,
            A4,
            ICMP,
            &icmp(0, 0, echo_rest(7, 1), &[0x61; 56]),
        )),
        rec(e4(a, b, A4, B4, ICMP, &icmp(3, 3, [0; 4], &quoted))),
        rec(e4(a, b, C4, B4, ICMP, &icmp(11, 0, [0; 4], &quoted))),
        rec(e6(
            a6(),
            b6(),
            TCP,
            &tcp(50000, 443, 77, 0, SYN, 64800, &syn_opts(), &[]),
        )),
        rec(e6(a6(), b6(), UDP, &udp(50001, 4789, &[0; 16]))),
        rec(e6(
            a6(),
            b6(),
            ICMP6,
            &icmp(128, 0, echo_rest(9, 1), &[0x62; 16]),
        )),
        rec(e6(
            b6(),
            a6(),
            ICMP6,
            &icmp(129, 0, echo_rest(9, 1), &[0x62; 16]),
        )),
        rec(e6(
            a6(),
            v6("ff02::1:ff00:2"),
            ICMP6,
            &icmp(135, 0, [0; 4], &ns),
        )),
        rec(e6(b6(), a6(), ICMP6, &icmp(136, 0, [0x60, 0, 0, 0], &na))),
        rec(e6(
            v6("fe80::1"),
            v6("ff02::2"),
            ICMP6,
            &icmp(133, 0, [0; 4], &[]),
        )),
        // IPv4 with a Router Alert option, TTL 1.
        rec(ether(
            b,
            a,
            0x0800,
            &ipv4_full(A4, B4, UDP, 42, 0, 1, &[148, 4, 0, 0], &udp(1, 2, b"opt")),
        )),
        // GRE: a protocol nscap names by number only.
        rec(e4(b, a, A4, B4, 47, &[0, 0, 0x08, 0, 0, 0, 0, 0])),
        // LLDP with a chassis ID only (lldp.pcap has the rest).
        rec(ether(
            [0x01, 0x80, 0xc2, 0, 0, 0x0e],
            a,
            0x88cc,
            &[2, 7, 4, 2, 0x42, 0x0a, 1, 0, 1, 0, 0],
        )),
    ];
    v.push(cut);
    v
}

/// 802.1Q tags (with priorities) and QinQ: an 802.1ad outer tag around an 802.1Q inner one.
fn vlan() -> Vec<Rec> {
    let udp4 = ipv4(A4, B4, UDP, &udp(1000, 2000, b"tagged"));
    let icmp4 = ipv4(A4, B4, ICMP, &icmp(8, 0, echo_rest(1, 1), &[0; 8]));
    let tcp6 = ipv6(a6(), b6(), TCP, &tcp(1, 22, 1, 0, SYN, 1000, &[], &[]));
    let mut arp_req = ether(
        BROADCAST,
        MAC_A,
        0x8100,
        &vlan_tag(30, 0, 0x0806, &arp(1, MAC_A, A4, [0; 6], B4)),
    );
    arp_req.resize(64, 0);
    vec![
        rec(ether(
            MAC_B,
            MAC_A,
            0x8100,
            &vlan_tag(100, 0, 0x0800, &udp4),
        )),
        rec(ether(
            MAC_B,
            MAC_A,
            0x8100,
            &vlan_tag(200, 5, 0x0800, &icmp4),
        )),
        rec(ether(
            MAC_B,
            MAC_A,
            0x8100,
            &vlan_tag(4094, 7, 0x86dd, &tcp6),
        )),
        rec(arp_req),
        rec(ether(
            MAC_B,
            MAC_A,
            0x88a8,
            &vlan_tag(10, 0, 0x8100, &vlan_tag(20, 3, 0x0800, &udp4)),
        )),
        rec(ether(
            MAC_B,
            MAC_A,
            0x8100,
            &vlan_tag(10, 0, 0x8100, &vlan_tag(20, 0, 0x86dd, &tcp6)),
        )),
    ]
}

/// The same few packets as each cooked header sees them, in every direction it names.
fn cooked_payloads() -> Vec<(u16, Vec<u8>)> {
    vec![
        (
            0x0800,
            ipv4(A4, B4, TCP, &tcp(43210, 80, 1, 0, SYN, 64240, &[], &[])),
        ),
        (
            0x0800,
            ipv4(
                B4,
                A4,
                TCP,
                &tcp(80, 43210, 9, 2, SYN | ACK, 65160, &[], &[]),
            ),
        ),
        (
            0x0800,
            ipv4(
                A4,
                [224, 0, 0, 251],
                UDP,
                &udp(5353, 5353, &dns_query(0, "printer.local", 12)),
            ),
        ),
        (0x0806, arp(1, MAC_A, A4, [0; 6], B4)),
        (0x86dd, ipv6(a6(), b6(), UDP, &udp(5000, 5001, b"cooked"))),
        (
            0x0800,
            ipv4(A4, B4, ICMP, &icmp(8, 0, echo_rest(3, 4), &[0; 8])),
        ),
        // An ethertype that is no protocol nscap decodes.
        (0x9000, vec![0; 10]),
    ]
}

/// Packet types: to us, broadcast, multicast, another host, outgoing, then to us again.
const PKTTYPES: [u8; 7] = [0, 1, 2, 3, 4, 0, 4];

fn sll_recs() -> Vec<Rec> {
    cooked_payloads()
        .into_iter()
        .zip(PKTTYPES)
        .map(|((proto, p), t)| rec(sll(t.into(), 1, &MAC_A, proto, &p)))
        .collect()
}

/// SLL2 frames name their interface by index, which a reader looks up on its own host (as
/// tcpdump does): an index no host has keeps the expected output the same everywhere.
const NO_SUCH_IFINDEX: u32 = 3_000_000_000;

fn sll2_recs() -> Vec<Rec> {
    cooked_payloads()
        .into_iter()
        .zip(PKTTYPES)
        .enumerate()
        .map(|(i, ((proto, p), t))| {
            rec(sll2(
                t,
                1,
                NO_SUCH_IFINDEX + (i as u32 % 2),
                &MAC_A,
                proto,
                &p,
            ))
        })
        .collect()
}

/// LINKTYPE_RAW: IPv4 and IPv6 with no link header, and bytes that are neither.
fn raw() -> Vec<Rec> {
    vec![
        rec(ipv4(
            A4,
            B4,
            TCP,
            &tcp(1234, 443, 1, 0, SYN, 64240, &[], &[]),
        )),
        rec(ipv4(
            B4,
            A4,
            UDP,
            &udp(
                53,
                1234,
                &dns_response(7, "raw.example", &[[192, 0, 2, 7]], 0),
            ),
        )),
        rec(ipv6(
            a6(),
            b6(),
            ICMP6,
            &icmp(128, 0, echo_rest(1, 1), &[0; 8]),
        )),
        rec(ipv6(
            b6(),
            a6(),
            TCP,
            &tcp(443, 1234, 5, 2, ACK, 500, &[], b"tls?"),
        )),
        rec(vec![0x00, 0x01, 0x02, 0x03]),
    ]
}

/// NULL (BSD loopback, family in the writer's byte order, here little-endian) on `lo0`, and
/// LOOP (family big-endian) on `lo1`, in one pcapng.
fn loopback() -> Vec<u8> {
    let fam = |f: u32, be: bool, p: &[u8]| {
        let mut v = if be {
            f.to_be_bytes().to_vec()
        } else {
            f.to_le_bytes().to_vec()
        };
        v.extend_from_slice(p);
        v
    };
    let lo4 = ipv4(
        [127, 0, 0, 1],
        [127, 0, 0, 1],
        TCP,
        &tcp(5000, 6000, 1, 0, SYN, 65495, &[], &[]),
    );
    let lo6 = ipv6(
        v6("::1"),
        v6("::1"),
        UDP,
        &udp(7000, 7001, b"over loopback"),
    );
    let recs = vec![
        on(0, fam(2, false, &lo4)),
        on(0, fam(24, false, &lo6)),
        on(0, fam(30, false, &lo6)),
        on(1, fam(2, true, &lo4)),
        on(1, fam(28, true, &lo6)),
        // Family 7 is nothing nscap decodes.
        on(1, fam(7, true, &[0; 8])),
    ];
    pcapng_section(
        false,
        &[
            Ng {
                linktype: 0,
                name: "lo0",
                nano: false,
            },
            Ng {
                linktype: 108,
                name: "lo1",
                nano: false,
            },
        ],
        &recs,
        0,
    )
}

/// IPv6 extension headers before TCP, UDP and ICMPv6, a chain that ends in "no next
/// header", multicast listener discovery v2 and a fragment behind options.
fn ipv6_ext_recs() -> Vec<Rec> {
    // Router Alert (MLD) in a hop-by-hop header: type 5, length 2, value 0, then PadN.
    let ra = [5, 2, 0, 0, 1, 0];
    // A type 0 routing header, segments left 1, reserved, one address.
    let mut rh = vec![0, 1, 0, 0, 0, 0];
    rh.extend_from_slice(&v6("2001:db8::99"));
    let pad = [1, 4, 0, 0, 0, 0];
    let e = |next, p: &[u8]| e6(a6(), b6(), next, p);
    // Records: exclude nothing for ff02::fb (a join), include one source for ff05::1:3.
    let mut mld_records = vec![2, 0, 0, 0];
    mld_records.extend_from_slice(&v6("ff02::fb"));
    mld_records.extend_from_slice(&[3, 0, 0, 1]);
    mld_records.extend_from_slice(&v6("ff05::1:3"));
    mld_records.extend_from_slice(&v6("2001:db8::7"));
    // A general query: no group, robustness 2, query interval 125 s, no sources.
    let mut query = [0u8; 16].to_vec();
    query.extend_from_slice(&[2, 125, 0, 0]);
    vec![
        rec(e(
            HOP_BY_HOP,
            &ipv6_ext(ICMP6, &ra, &icmp(143, 0, [0; 4], &[])),
        )),
        rec(e(
            DEST_OPTS,
            &ipv6_ext(UDP, &pad, &udp(5000, 53, &dns_query(9, "ext.example", 28))),
        )),
        rec(e(
            ROUTING,
            &ipv6_ext(TCP, &rh, &tcp(1, 80, 1, 0, SYN, 1000, &[], &[])),
        )),
        rec(e(
            HOP_BY_HOP,
            &ipv6_ext(
                DEST_OPTS,
                &ra,
                &ipv6_ext(
                    ROUTING,
                    &pad,
                    &ipv6_ext(TCP, &rh, &tcp(2, 443, 5, 6, ACK, 100, &[], b"abc")),
                ),
            ),
        )),
        rec(e(DEST_OPTS, &ipv6_ext(NO_NEXT, &pad, &[]))),
        // MLDv2 as a host joins mDNS (a report, its records) and a router asks (a query).
        rec(e6(
            v6("fe80::1"),
            v6("ff02::16"),
            HOP_BY_HOP,
            &ipv6_ext(ICMP6, &ra, &icmp(143, 0, [0, 0, 0, 2], &mld_records)),
        )),
        rec(e6(
            v6("fe80::2"),
            v6("ff02::1"),
            HOP_BY_HOP,
            &ipv6_ext(ICMP6, &ra, &icmp(130, 0, [0x27, 0x10, 0, 0], &query)),
        )),
        // A first fragment behind a hop-by-hop header.
        rec(e(
            HOP_BY_HOP,
            &ipv6_ext(
                FRAGMENT,
                &ra,
                &ipv6_frag(UDP, 0, true, 0x1234, &udp(5000, 5001, &[0x55; 16])),
            ),
        )),
    ]
}

/// An IPv4 UDP datagram in three fragments, an IPv4 TCP segment in two, and an IPv6 UDP
/// datagram in two (fragment header), then a lone IPv6 middle fragment.
fn fragments() -> Vec<Rec> {
    let dgram = udp(4000, 5000, &[0x66; 64]);
    let seg = tcp(1, 80, 1, 1, PSH | ACK, 100, &[], &[0x67; 40]);
    let v4 = |proto, off: u16, more: bool, p: &[u8]| {
        let word = (if more { 0x2000 } else { 0 }) | off;
        ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4_full(A4, B4, proto, 0x1234, word, 64, &[], p),
        )
    };
    let f6 = |off, more, p: &[u8]| e6(a6(), b6(), FRAGMENT, &ipv6_frag(UDP, off, more, 0xabcd, p));
    vec![
        rec(v4(UDP, 0, true, &dgram[..24])),
        rec(v4(UDP, 3, true, &dgram[24..48])),
        rec(v4(UDP, 6, false, &dgram[48..])),
        rec(v4(TCP, 0, true, &seg[..32])),
        rec(v4(TCP, 4, false, &seg[32..])),
        rec(f6(0, true, &dgram[..40])),
        rec(f6(5, false, &dgram[40..])),
        rec(f6(2, true, &[0x68; 16])),
    ]
}

/// DNS over UDP and TCP: queries and responses with every record type the decoder shows data
/// for, some it names only, one it does not know, an error rcode and a cut message.
fn dns() -> Vec<Rec> {
    let name = dns_name_wire;
    let mut mx = 10u16.to_be_bytes().to_vec();
    mx.extend_from_slice(&name("mail.example.com"));
    let mut srv = [0u8, 1, 0, 5, 0x13, 0xc4].to_vec();
    srv.extend_from_slice(&name("sip.example.com"));
    let mut soa = name("ns1.example.com");
    soa.extend_from_slice(&name("hostmaster.example.com"));
    for v in [2023111401u32, 7200, 3600, 1209600, 300] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    let mut txt = vec![11];
    txt.extend_from_slice(b"v=spf1 -all");
    let caa = [0, 5, b'i', b's', b's', b'u', b'e', b'c', b'a', b'.', b'x'].to_vec();
    let rr = |name, rtype, data: Vec<u8>| Rr {
        name,
        rtype,
        ttl: 300,
        data,
    };
    let q = |id, qname, qtype| dns_query(id, qname, qtype);
    let r = |id, qname, qtype, answers: &[Rr], auth: &[Rr], add: &[Rr], rcode: u16| {
        dns_message(id, 0x8180 | rcode, Some((qname, qtype)), answers, auth, add)
    };
    let msgs: Vec<Vec<u8>> = vec![
        q(1, "www.example.com", 1),
        r(
            1,
            "www.example.com",
            1,
            &[
                rr(QNAME, 5, name("web.example.com")),
                rr("web.example.com", 1, vec![192, 0, 2, 10]),
                rr("web.example.com", 1, vec![192, 0, 2, 11]),
            ],
            &[],
            &[],
            0,
        ),
        q(2, "www.example.com", 28),
        r(
            2,
            "www.example.com",
            28,
            &[rr(QNAME, 28, v6("2001:db8::10").to_vec())],
            &[],
            &[],
            0,
        ),
        q(3, "example.com", 15),
        r(
            3,
            "example.com",
            15,
            &[rr(QNAME, 15, mx)],
            &[rr(QNAME, 2, name("ns1.example.com"))],
            &[rr("mail.example.com", 1, vec![192, 0, 2, 25])],
            0,
        ),
        r(
            4,
            "10.2.0.192.in-addr.arpa",
            12,
            &[rr(QNAME, 12, name("web.example.com"))],
            &[],
            &[],
            0,
        ),
        r(5, "example.com", 16, &[rr(QNAME, 16, txt)], &[], &[], 0),
        r(
            6,
            "_sip._udp.example.com",
            33,
            &[rr(QNAME, 33, srv)],
            &[],
            &[],
            0,
        ),
        r(
            7,
            "nope.example.com",
            1,
            &[],
            &[rr("example.com", 6, soa)],
            &[],
            3,
        ),
        r(8, "example.com", 257, &[rr(QNAME, 257, caa)], &[], &[], 0),
        // Type 65280 is private use: no name for it.
        r(
            9,
            "example.com",
            65280,
            &[rr(QNAME, 65280, vec![1, 2, 3])],
            &[],
            &[],
            0,
        ),
        r(10, "example.com", 1, &[], &[], &[], 2),
        q(11, "example.com", 255),
    ];
    let mut v: Vec<Rec> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (s, d, sp, dp) = if m[2] & 0x80 == 0 {
                (A4, B4, 40000 + i as u16, 53)
            } else {
                (B4, A4, 53, 40000 + i as u16)
            };
            rec(e4(MAC_B, MAC_A, s, d, UDP, &udp(sp, dp, m)))
        })
        .collect();
    // DNS over TCP: a two-byte length, then the message.
    let m = &msgs[1];
    let mut framed = (m.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(m);
    v.push(rec(e4(
        MAC_A,
        MAC_B,
        B4,
        A4,
        TCP,
        &tcp(53, 40100, 1, 1, PSH | ACK, 500, &[], &framed),
    )));
    // A response cut in its answer section by a short snapshot length.
    let whole = e4(MAC_A, MAC_B, B4, A4, UDP, &udp(53, 40001, &msgs[1]));
    v.push(Rec {
        iface: 0,
        len: whole.len() as u32,
        data: whole[..whole.len() - 20].to_vec(),
    });
    v
}

/// What container networks wrap packets in: VXLAN (4789, and 8472, which tcpdump calls OTV),
/// Geneve, GRE (plain, with key and sequence, carrying Ethernet), IP in IP, IPv6 in IP (6in4),
/// MPLS (one label and two), 802.1ad, and tunnels cut short.
fn tunnels() -> Vec<Rec> {
    let (o1, o2) = ([192, 168, 0, 1], [192, 168, 0, 2]);
    let inner_tcp = ipv4(A4, B4, TCP, &tcp(43210, 80, 1, 0, SYN, 64240, &[], &[]));
    let inner_eth = ether(MAC_B, MAC_A, 0x0800, &inner_tcp);
    let inner_icmp6 = ipv6(a6(), b6(), ICMP6, &icmp(128, 0, echo_rest(5, 1), &[0; 8]));
    let inner_dns = ipv4(
        A4,
        B4,
        UDP,
        &udp(40000, 53, &dns_query(7, "svc.cluster.local", 1)),
    );
    let arp_eth = ether(BROADCAST, MAC_A, 0x0806, &arp(1, MAC_A, A4, [0; 6], B4));
    let outer = |proto, p: &[u8]| ether(MAC_B, MAC_A, 0x0800, &ipv4(o1, o2, proto, p));
    let vx = |sport, dport, vni, inner: &[u8]| outer(UDP, &udp(sport, dport, &vxlan(vni, inner)));
    // A Geneve option: class Linux, type 1, 4 bytes of data.
    let gopt = [0x01, 0x00, 0x01, 0x01, 0xde, 0xad, 0xbe, 0xef];
    let full = vx(51000, 4789, 42, &inner_eth);
    vec![
        rec(full.clone()),
        rec(vx(
            51001,
            4789,
            42,
            &ether(MAC_B, MAC_A, 0x86dd, &inner_icmp6),
        )),
        rec(vx(51002, 4789, 7, &arp_eth)),
        rec(vx(51003, 8472, 1, &ether(MAC_B, MAC_A, 0x0800, &inner_dns))),
        rec(outer(
            UDP,
            &udp(51004, 6081, &geneve(5, 0x6558, &[], &inner_eth)),
        )),
        rec(outer(
            UDP,
            &udp(51005, 6081, &geneve(0x123456, 0x0800, &gopt, &inner_tcp)),
        )),
        rec(outer(47, &gre(0x0800, false, None, None, &inner_tcp))),
        rec(outer(
            47,
            &gre(0x86dd, false, Some(0x1234), Some(9), &inner_icmp6),
        )),
        rec(outer(47, &gre(0x6558, true, Some(1), None, &inner_eth))),
        rec(outer(
            47,
            &gre(
                0x8847,
                false,
                None,
                None,
                &mpls(&[(100, 0, 64)], &inner_tcp),
            ),
        )),
        rec(outer(47, &gre(0x88be, false, None, None, &[0; 8]))),
        rec(outer(4, &inner_tcp)),
        rec(outer(41, &inner_icmp6)),
        rec(ether(
            MAC_B,
            MAC_A,
            0x86dd,
            &ipv6(a6(), b6(), 4, &inner_dns),
        )),
        rec(ether(
            MAC_B,
            MAC_A,
            0x8847,
            &mpls(&[(16, 5, 255)], &inner_tcp),
        )),
        rec(ether(
            MAC_B,
            MAC_A,
            0x8847,
            &mpls(&[(1000, 0, 64), (2, 0, 64)], &inner_icmp6),
        )),
        rec(ether(MAC_B, MAC_A, 0x8847, &mpls(&[(3, 0, 1)], &inner_dns))),
        rec(ether(
            MAC_B,
            MAC_A,
            0x88a8,
            &vlan_tag(100, 2, 0x0800, &inner_tcp),
        )),
        rec(ether(
            MAC_B,
            MAC_A,
            0x88a8,
            &vlan_tag(100, 0, 0x8100, &vlan_tag(5, 0, 0x86dd, &inner_icmp6)),
        )),
        // Cut by the snapshot length inside the inner frame, and a VXLAN header with nothing after.
        Rec {
            iface: 0,
            len: full.len() as u32,
            data: full[..70].to_vec(),
        },
        rec(outer(UDP, &udp(51006, 4789, &vxlan(9, &[])))),
        rec(outer(UDP, &udp(51007, 4789, &[8, 0, 0]))),
    ]
}

/// HTTP on tcpdump's two HTTP ports: a request, a response, a body segment, a method in lower
/// case, a line with no end, and text on a port that is not HTTP's.
fn http() -> Vec<Rec> {
    let seg = |sp, dp, data: &[u8]| {
        e4(
            MAC_B,
            MAC_A,
            A4,
            B4,
            TCP,
            &tcp(sp, dp, 1, 1, PSH | ACK, 502, &[], data),
        )
    };
    vec![
        rec(seg(
            43210,
            80,
            b"GET /index.html HTTP/1.1\r\nHost: example\r\nUser-Agent: curl/8.0\r\n\r\n",
        )),
        rec(seg(
            80,
            43210,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        )),
        rec(seg(80, 43210, b"<html><body>more</body></html>")),
        rec(seg(43211, 8080, b"post /api HTTP/1.0\r\n\r\n")),
        rec(seg(43212, 8080, b"PUT /x HTTP/1.1")),
        rec(seg(8080, 43212, b"HTTP/1.1 404 Not Found\n\n")),
        rec(seg(43213, 3128, b"GET http://example/ HTTP/1.1\r\n\r\n")),
    ]
}

/// DNS record types beyond the common ones, EDNS options, mDNS and DNS over TCP in both
/// directions.
fn dns_types() -> Vec<Rec> {
    let name = dns_name_wire;
    let rr = |name, rtype, data: Vec<u8>| Rr {
        name,
        rtype,
        ttl: 3600,
        data,
    };
    let mut uri = [0u8, 10, 0, 1].to_vec();
    uri.extend_from_slice(b"https://example.com/");
    let mut https = [0u8, 1, 0].to_vec();
    https.extend_from_slice(&[0, 1, 0, 3, 2, b'h', b'2']);
    let mut soa = name("ns1.example.com");
    soa.extend_from_slice(&name("hostmaster.example.com"));
    for v in [1u32, 7200, 3600, 1209600, 300] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    let mut txt = vec![5];
    txt.extend_from_slice(b"hello");
    txt.push(6);
    txt.extend_from_slice(b"wor\"ld");
    // OPT: UDP size 1232, DO, with a client-subnet and a cookie option.
    let mut edns = vec![0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2];
    edns.extend_from_slice(&[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    let opt = Rr {
        name: ".",
        rtype: 41,
        ttl: 0x0000_8000,
        data: edns,
    };
    let msg = |id, flags, q: (&str, u16), an: &[Rr], ns: &[Rr], ar: &[Rr]| {
        dns_message(id, flags, Some(q), an, ns, ar)
    };
    let msgs: Vec<Vec<u8>> = vec![
        msg(
            20,
            0x0120,
            ("example.com", 65),
            &[],
            &[],
            std::slice::from_ref(&opt),
        ),
        msg(
            20,
            0x8180,
            ("example.com", 65),
            &[rr(QNAME, 65, https.clone())],
            &[],
            &[],
        ),
        msg(
            21,
            0x8180,
            ("_svc.example.com", 64),
            &[rr(QNAME, 64, https)],
            &[],
            &[],
        ),
        msg(
            22,
            0x8180,
            ("_http._tcp.example.com", 256),
            &[rr(QNAME, 256, uri)],
            &[],
            &[],
        ),
        msg(
            23,
            0x8580,
            ("example.com", 2),
            &[
                rr(QNAME, 2, name("ns1.example.com")),
                rr(QNAME, 2, name("ns2.example.com")),
            ],
            &[],
            &[],
        ),
        msg(
            24,
            0x8180,
            ("example.com", 6),
            &[rr(QNAME, 6, soa)],
            &[],
            &[],
        ),
        msg(
            25,
            0x8180,
            ("old.example.com", 39),
            &[rr(QNAME, 39, name("new.example.net"))],
            &[],
            &[],
        ),
        msg(
            26,
            0x8180,
            ("example.com", 16),
            &[rr(QNAME, 16, txt)],
            &[],
            &[],
        ),
        msg(
            27,
            0x8180,
            ("example.com", 1),
            &[rr(QNAME, 1, vec![192, 0, 2, 1])],
            &[],
            &[opt],
        ),
        msg(28, 0x8190, ("example.com", 28), &[], &[], &[]),
        msg(29, 0x0100, ("example.com", 99), &[], &[], &[]),
    ];
    let mut v: Vec<Rec> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (s, d, sp, dp) = if m[2] & 0x80 == 0 {
                (A4, B4, 41000 + i as u16, 53)
            } else {
                (B4, A4, 53, 41000 + i as u16)
            };
            rec(e4(MAC_B, MAC_A, s, d, UDP, &udp(sp, dp, m)))
        })
        .collect();
    // mDNS: a QU question and a cache-flush answer.
    let mut q = dns_query(0, "printer.local", 33);
    let qn = q.len();
    q[qn - 2] |= 0x80;
    let mut r = dns_message(
        0,
        0x8400,
        None,
        &[rr("printer.local", 1, vec![10, 1, 0, 9])],
        &[],
        &[],
    );
    let n = r.len();
    r[n - 12] |= 0x80;
    let m4 = [224, 0, 0, 251];
    v.push(rec(e4(MAC_B, MAC_A, A4, m4, UDP, &udp(5353, 5353, &q))));
    v.push(rec(e4(MAC_B, MAC_A, A4, m4, UDP, &udp(5353, 5353, &r))));
    // DNS over TCP: a query, its answer, and a segment whose prefix does not match.
    for (i, m) in [&msgs[0], &msgs[1]].into_iter().enumerate() {
        let mut framed = (m.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(m);
        let (s, d, sp, dp) = if i == 0 {
            (A4, B4, 41100, 53)
        } else {
            (B4, A4, 53, 41100)
        };
        v.push(rec(e4(
            MAC_B,
            MAC_A,
            s,
            d,
            TCP,
            &tcp(sp, dp, 1, 1, PSH | ACK, 502, &[], &framed),
        )));
    }
    v.push(rec(e4(
        MAC_B,
        MAC_A,
        A4,
        B4,
        TCP,
        &tcp(41101, 53, 1, 1, PSH | ACK, 502, &[], &[0, 99, 1, 2, 3]),
    )));
    v
}

/// NFLOG (`nflog:5` captures): IPv4 and IPv6 packets with a log prefix.
fn nflog_recs() -> Vec<Rec> {
    vec![
        rec(nflog(
            2,
            5,
            "drop ",
            &ipv4(A4, B4, TCP, &tcp(43210, 443, 1, 0, SYN, 64240, &[], &[])),
        )),
        rec(nflog(
            10,
            5,
            "",
            &ipv6(a6(), b6(), ICMP6, &icmp(128, 0, echo_rest(1, 1), &[0; 8])),
        )),
        rec(nflog(
            2,
            7,
            "udp",
            &ipv4(
                A4,
                B4,
                UDP,
                &udp(40000, 53, &dns_query(3, "example.com", 1)),
            ),
        )),
    ]
}

/// Two sections, the second big-endian; three interfaces of three link types in the first
/// (one with a nanosecond clock), two in the second, where interface ids start again at 0.
fn multi() -> Vec<u8> {
    let first = [
        Ng {
            linktype: 1,
            name: "eth0",
            nano: false,
        },
        Ng {
            linktype: 101,
            name: "tun0",
            nano: true,
        },
        Ng {
            linktype: 276,
            name: "any",
            nano: false,
        },
    ];
    let raw = ipv4(A4, B4, UDP, &udp(1, 2, b"abc"));
    let recs1 = vec![
        on(
            0,
            e4(
                MAC_B,
                MAC_A,
                A4,
                B4,
                TCP,
                &tcp(1, 2, 3, 0, SYN, 100, &[], &[]),
            ),
        ),
        on(1, raw.clone()),
        on(2, sll2(4, 1, NO_SUCH_IFINDEX, &MAC_A, 0x0800, &raw)),
        on(
            0,
            e4(
                MAC_A,
                MAC_B,
                B4,
                A4,
                TCP,
                &tcp(2, 1, 9, 4, SYN | ACK, 100, &[], &[]),
            ),
        ),
    ];
    let second = [
        Ng {
            linktype: 113,
            name: "wlan0",
            nano: false,
        },
        Ng {
            linktype: 1,
            name: "eth1",
            nano: true,
        },
    ];
    let recs2 = vec![
        on(
            0,
            sll(
                0,
                1,
                &MAC_B,
                0x86dd,
                &ipv6(b6(), a6(), UDP, &udp(9, 10, b"second")),
            ),
        ),
        on(
            1,
            e6(a6(), b6(), ICMP6, &icmp(128, 0, echo_rest(2, 2), &[])),
        ),
    ];
    let mut f = pcapng_section(false, &first, &recs1, 0);
    f.extend(pcapng_section(true, &second, &recs2, recs1.len()));
    f
}

/// One LLDP TLV: 7 bits of type, 9 of length, the value.
fn lldp_tlv(t: u16, v: &[u8]) -> Vec<u8> {
    let mut b = ((t << 9) | v.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(v);
    b
}

/// LLDP as switches and lldpd send it: every TLV tcpdump decodes, the 802.1 and 802.3
/// organisation-specific ones, and what it only hex-dumps (an unknown TLV type, subtype and
/// organisation); other ID subtypes; text with control and high-bit bytes; a TLV longer than
/// the frame; one behind a VLAN tag.
fn lldp() -> Vec<Rec> {
    let a = [0x02, 0x42, 0x0a, 0x01, 0x00, 0x01];
    let group = [0x01, 0x80, 0xc2, 0, 0, 0x0e];
    let t = lldp_tlv;
    let org = |oui: [u8; 3], sub: u8, v: &[u8]| {
        let mut b = oui.to_vec();
        b.push(sub);
        b.extend_from_slice(v);
        t(127, &b)
    };
    let (i8021, i8023) = ([0x00, 0x80, 0xc2], [0x00, 0x12, 0x0f]);
    let mut mgmt4 = vec![5, 1, 10, 1, 0, 1, 2, 0, 0, 0, 3, 8];
    mgmt4.extend_from_slice(&[0x2b, 6, 1, 4, 1, 0x81, 0x9b, 0x70]);
    let mut mgmt6 = vec![17, 2];
    mgmt6.extend_from_slice(&v6("2001:db8::1"));
    mgmt6.extend_from_slice(&[3, 0, 0, 0, 7, 0]);
    let full: Vec<Vec<u8>> = vec![
        t(1, &[&[4][..], &a].concat()),
        t(2, b"\x05eth0"),
        t(3, &[0, 120]),
        t(4, b"uplink to core"),
        t(5, b"switch1.example.com"),
        t(6, b"Debian GNU/Linux 12 (bookworm) Linux 6.1.0 x86_64"),
        t(7, &[0, 0x14, 0, 0x10]),
        t(8, &mgmt4),
        t(8, &mgmt6),
        org(i8021, 1, &[0, 100]),
        org(i8021, 2, &[6, 0, 200]),
        org(i8021, 3, &[0, 100, 5, b'u', b's', b'e', b'r', b's']),
        org(i8021, 4, &[4, 0x88, 0x8e, 0x01, 0x00]),
        org(i8021, 7, &[3, 0, 0, 0, 9]),
        org(i8021, 99, &[1, 2, 3]),
        org(i8023, 1, &[3, 0x6c, 0x01, 0, 16]),
        org(i8023, 2, &[0x0f, 1, 1]),
        org(i8023, 3, &[1, 0, 0, 0, 0]),
        org(i8023, 4, &[0x05, 0xee]),
        org(i8023, 9, &[0xaa]),
        org([0x00, 0x00, 0x0c], 1, &[0xbb, 0xcc]),
        t(9, &[1, 2, 3, 4, 5]),
        t(0, &[]),
    ];
    let other_ids: Vec<Vec<u8>> = vec![
        t(1, &[5, 1, 192, 0, 2, 1]),
        t(2, &[&[3][..], &a].concat()),
        t(3, &[0, 0]),
        t(5, b"bad\x01name\xe9\0rest"),
        t(7, &[0, 0, 0, 0]),
        t(0, &[]),
    ];
    let more_ids: Vec<Vec<u8>> = vec![
        t(1, b"\x07local-chassis"),
        t(2, &[4, 6, 1, 2, 3, 4, 5, 6]),
        t(2, &[9, 1, 2]),
        t(1, &[42, 1, 2, 3]),
        t(0, &[]),
    ];
    // A system name TLV that says 40 bytes where 5 follow.
    let mut long = [t(1, &[&[4][..], &a].concat()), t(3, &[0, 30])].concat();
    long.extend_from_slice(&[0x0a, 40]);
    long.extend_from_slice(b"short");
    let mut tagged = vec![0x20, 7, 0x88, 0xcc];
    tagged.extend([t(1, &[&[4][..], &a].concat()), t(3, &[0, 120]), t(0, &[])].concat());
    vec![
        rec(ether(group, a, 0x88cc, &full.concat())),
        rec(ether(group, a, 0x88cc, &other_ids.concat())),
        rec(ether(group, a, 0x88cc, &more_ids.concat())),
        rec(ether(group, a, 0x88cc, &long)),
        rec(ether(group, a, 0x8100, &tagged)),
    ]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(dir.join(name), bytes)
}

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "fixtures".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let eth = |recs: &[Rec]| pcap(1, 262_144, false, false, recs);

    let mixed = mixed();
    write(dir, "mixed.pcap", &eth(&mixed))?;
    write(dir, "vlan.pcap", &eth(&vlan()))?;
    write(
        dir,
        "sll.pcap",
        &pcap(113, 262_144, false, false, &sll_recs()),
    )?;
    write(
        dir,
        "sll2.pcap",
        &pcap(276, 262_144, false, false, &sll2_recs()),
    )?;
    write(dir, "raw.pcap", &pcap(101, 262_144, false, false, &raw()))?;
    write(dir, "loopback.pcapng", &loopback())?;
    write(dir, "ipv6-ext.pcap", &eth(&ipv6_ext_recs()))?;
    write(dir, "fragments.pcap", &eth(&fragments()))?;
    write(dir, "dns.pcap", &eth(&dns()))?;
    write(dir, "multi.pcapng", &multi())?;
    write(dir, "tunnels.pcap", &eth(&tunnels()))?;
    write(dir, "http.pcap", &eth(&http()))?;
    write(dir, "dns-types.pcap", &eth(&dns_types()))?;
    write(dir, "lldp.pcap", &eth(&lldp()))?;
    write(
        dir,
        "nflog.pcap",
        &pcap(239, 262_144, false, false, &nflog_recs()),
    )?;
    // The first packets of the mixed capture, big-endian with nanosecond timestamps.
    write(
        dir,
        "be-nano.pcap",
        &pcap(1, 65_535, true, true, &mixed[..6]),
    )?;

    // Broken files: what came before the damage prints, then one error line.
    let good = eth(&mixed[..4]);
    write(dir, "cut-record.pcap", &good[..good.len() - 10])?;
    write(
        dir,
        "cut-header.pcap",
        &good[..good.len() - mixed[3].data.len() - 6],
    )?;
    write(dir, "bad-magic.pcap", b"GIF89a: not a capture\n")?;
    write(dir, "empty.pcap", &[])?;
    let ng = pcapng_section(
        false,
        &[Ng {
            linktype: 1,
            name: "eth0",
            nano: false,
        }],
        &mixed[..4],
        0,
    );
    write(dir, "cut-block.pcapng", &ng[..ng.len() - 10])?;
    let mut bad_trailer = ng.clone();
    let n = bad_trailer.len();
    bad_trailer[n - 4] ^= 0x40;
    write(dir, "bad-trailer.pcapng", &bad_trailer)?;
    Ok(())
}
