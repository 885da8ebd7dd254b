//! Summary lines against `tcpdump -n` on the same files, where tcpdump is installed, line for
//! line and byte for byte in every printing mode (relative and absolute sequence numbers, -e,
//! -q, -v, the timestamp formats, -#, the payload dumps).
mod common;
use common::ok_stdout;

use std::path::{Path, PathBuf};
use std::process::Command;

use nscap::packet::{Interface, Packet};
use nscap::sink::pcap::PcapWriter;
use nscap::sink::Sink;
use nscap_frames::*;

const A4: [u8; 4] = [192, 168, 7, 1];
const B4: [u8; 4] = [192, 168, 7, 2];

/// The comparisons are the point of these tests: without tcpdump they fail, not pass.
fn need_tcpdump() {
    assert!(
        Command::new("tcpdump").arg("--version").output().is_ok(),
        "tcpdump is needed for this comparison: scripts/setup.sh installs it"
    );
}

/// IP packets covering every protocol the summary decodes.
fn ip_packets() -> Vec<Vec<u8>> {
    let a6 = v6("2001:db8::1");
    let b6 = v6("2001:db8::2");
    let c6 = v6("2001:db8::3");
    let mut ns = v6("fe80::2").to_vec();
    ns.extend_from_slice(&[1, 1, 2, 0x42, 0x0a, 1, 0, 1]);
    let quoted = ipv4(B4, A4, UDP, &udp(40000, 33434, &[0; 4]));
    let quoted6 = ipv6(b6, a6, UDP, &udp(40000, 33434, &[0; 4]));
    let syn_quoted = ipv4(A4, B4, TCP, &tcp(50000, 443, 7, 0, SYN, 64240, &[], &[]));
    let big_quoted = ipv4(A4, B4, UDP, &udp(40000, 33434, &[7; 300]));
    // Padded to 128 bytes, then an RFC 4884 extension (version 2) holding an MPLS label stack
    // entry and an object of an unknown class; its checksum is filled in below.
    let mut mpls_ext = ipv4(A4, B4, UDP, &udp(40000, 33434, &[0; 100]));
    mpls_ext.resize(128, 0);
    mpls_ext.extend_from_slice(&[0x20, 0, 0, 0, 0, 8, 1, 1, 0, 0x10, 0x13, 0x40]);
    mpls_ext.extend_from_slice(&[0, 10, 9, 1, 1, 2, 3, 4, 5, 6]);
    let sum = ones_complement(&mpls_ext[128..]);
    mpls_ext[130..132].copy_from_slice(&sum.to_be_bytes());
    vec![
        ipv4(A4, B4, TCP, &tcp(50000, 443, 7, 0, SYN, 64240, &[], &[])),
        ipv4(
            B4,
            A4,
            TCP,
            &tcp(443, 50000, 99, 8, SYN | ACK, 65160, &[], &[]),
        ),
        ipv4(
            A4,
            B4,
            TCP,
            &tcp(50000, 443, 8, 100, PSH | ACK, 502, &[], &[1; 300]),
        ),
        ipv4(
            A4,
            B4,
            TCP,
            &tcp(50000, 443, 308, 100, FIN | ACK, 502, &[], &[]),
        ),
        ipv4(B4, A4, TCP, &tcp(443, 50000, 100, 0, RST, 0, &[], &[])),
        ipv4(A4, B4, UDP, &udp(40000, 9999, &[0; 12])),
        ipv4(
            A4,
            B4,
            UDP,
            &udp(40000, 53, &dns_query(77, "www.example.org", 28)),
        ),
        ipv4(
            B4,
            A4,
            UDP,
            &udp(
                53,
                40000,
                &dns_response(77, "www.example.org", &[[1, 2, 3, 4], [5, 6, 7, 8]], 0),
            ),
        ),
        ipv4(
            B4,
            A4,
            UDP,
            &udp(53, 40000, &dns_response(78, "nx.example.org", &[], 3)),
        ),
        ipv4(A4, B4, ICMP, &icmp(8, 0, echo_rest(9, 2), &[0; 32])),
        ipv4(B4, A4, ICMP, &icmp(0, 0, echo_rest(9, 2), &[0; 32])),
        ipv4(B4, A4, ICMP, &icmp(3, 3, [0; 4], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(3, 1, [0; 4], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(11, 0, [0; 4], &quoted)),
        ipv4_full(A4, B4, UDP, 5, 10, 64, &[], &[0; 40]),
        ipv6(
            a6,
            b6,
            TCP,
            &tcp(50000, 22, 1, 2, PSH | ACK, 100, &[], &[0; 10]),
        ),
        ipv6(
            a6,
            b6,
            UDP,
            &udp(40000, 53, &dns_query(5, "example.com", 1)),
        ),
        ipv6(a6, b6, ICMP6, &icmp(128, 0, echo_rest(1, 1), &[0; 8])),
        ipv6(b6, a6, ICMP6, &icmp(129, 0, echo_rest(1, 1), &[0; 8])),
        ipv6(
            v6("fe80::1"),
            v6("ff02::1:ff00:2"),
            ICMP6,
            &icmp(135, 0, [0; 4], &ns),
        ),
        ipv6(
            v6("fe80::2"),
            v6("fe80::1"),
            ICMP6,
            &icmp(136, 0, [0x60, 0, 0, 0], &v6("fe80::2")),
        ),
        ipv6(
            v6("fe80::1"),
            v6("ff02::2"),
            ICMP6,
            &icmp(133, 0, [0; 4], &[]),
        ),
        ipv6(b6, a6, ICMP6, &icmp(1, 4, [0; 4], &quoted6)),
        ipv6(b6, a6, ICMP6, &icmp(2, 0, [0, 0, 5, 0], &quoted6)),
        ipv6(
            a6,
            b6,
            44,
            &ipv6_frag(UDP, 0, true, 1, &udp(1, 2, &[0; 16])),
        ),
        ipv6(a6, b6, 44, &ipv6_frag(UDP, 3, false, 1, &[0; 16])),
        // A port unreachable quoting an ICMP echo, as a firewall sends for a blocked ping.
        ipv4(
            B4,
            A4,
            ICMP,
            &icmp(
                3,
                3,
                [0; 4],
                &ipv4(A4, B4, ICMP, &icmp(8, 0, echo_rest(1, 2), &[])),
            ),
        ),
        // MLDv2 report behind a hop-by-hop router alert; UDP behind destination options.
        ipv6(v6("fe80::1"), v6("ff02::16"), 0, &{
            let mut h = vec![
                58, 0, 5, 2, 0, 0, 1, 0, 143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0,
            ];
            h.extend_from_slice(&v6("ff02::fb"));
            h
        }),
        ipv6(a6, b6, 60, &{
            let mut h = vec![UDP, 0, 1, 4, 0, 0, 0, 0];
            h.extend_from_slice(&udp(1, 2, b"abc"));
            h
        }),
        // ICMP errors whose quoted packet -v prints: a router's 28 bytes of a TCP SYN, a
        // whole large datagram (past the RFC 4884 extension offset), and the other error types.
        ipv4(B4, A4, ICMP, &icmp(11, 0, [0; 4], &syn_quoted[..28])),
        ipv4(B4, A4, ICMP, &icmp(3, 3, [0; 4], &big_quoted)),
        ipv4(B4, A4, ICMP, &icmp(3, 4, [0, 0, 5, 0xdc], &syn_quoted)),
        ipv4(B4, A4, ICMP, &icmp(3, 13, [0; 4], &syn_quoted)),
        ipv4(B4, A4, ICMP, &icmp(4, 0, [0; 4], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(5, 1, [192, 168, 7, 9], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(11, 1, [0; 4], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(12, 0, [20, 0, 0, 0], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(12, 1, [20, 0, 0, 0], &quoted)),
        // Routing headers: type 0 (deprecated), 2 (Mobile IPv6), 4 (segment routing) and one
        // tcpdump does not know; the UDP checksum is over the final destination.
        ipv6(
            a6,
            b6,
            ROUTING,
            &routed(0, 2, 1, 0, &[c6], &udp(1, 2, b"abc")),
        ),
        ipv6(
            a6,
            b6,
            ROUTING,
            &routed(2, 2, 1, 0, &[c6], &udp(1, 2, b"abc")),
        ),
        ipv6(
            a6,
            b6,
            ROUTING,
            &routed(4, 4, 1, 1, &[c6, a6], &udp(1, 2, b"abc")),
        ),
        ipv6(
            a6,
            b6,
            ROUTING,
            &routed(5, 0, 0, 0, &[], &udp(1, 2, b"abc")),
        ),
        ipv4(B4, A4, ICMP, &icmp(11, 0, [0, 32, 0, 0], &mpls_ext)),
        ipv4(B4, A4, ICMP, &icmp(3, 1, [0; 4], &mpls_ext)),
        ipv4(B4, A4, ICMP, &icmp(11, 2, [0; 4], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(5, 0, [192, 168, 7, 9], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(5, 2, [192, 168, 7, 9], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(5, 3, [192, 168, 7, 9], &quoted)),
        ipv4(B4, A4, ICMP, &icmp(5, 7, [192, 168, 7, 9], &quoted)),
        // SSH version lines (CR-LF, LF alone), binary SSH, and a line whose CR ends the
        // segment; the cut snapshot lengths end some inside the banner.
        ipv4(
            A4,
            B4,
            TCP,
            &tcp(
                50022,
                22,
                1,
                1,
                PSH | ACK,
                502,
                &[],
                b"SSH-2.0-OpenSSH_9.2\r\n",
            ),
        ),
        ipv4(
            B4,
            A4,
            TCP,
            &tcp(22, 50022, 1, 22, PSH | ACK, 502, &[], b"SSH-2.0-dropbear\n"),
        ),
        ipv4(
            A4,
            B4,
            TCP,
            &tcp(
                50022,
                22,
                22,
                18,
                PSH | ACK,
                502,
                &[],
                &[0, 0, 5, 0xdc, 7, 20],
            ),
        ),
        ipv4(
            A4,
            B4,
            TCP,
            &tcp(50023, 22, 1, 1, PSH | ACK, 502, &[], b"SSH-2.0-x\r"),
        ),
    ]
}

/// A routing header (before UDP): type, length in 8-byte units, segments left, the byte after
/// them (last entry for type 4), the addresses.
fn routed(
    kind: u8,
    len: u8,
    segleft: u8,
    fourth: u8,
    addrs: &[[u8; 16]],
    payload: &[u8],
) -> Vec<u8> {
    let mut h = vec![UDP, len, kind, segleft, fourth, 0, 0, 0];
    for a in addrs {
        h.extend_from_slice(a);
    }
    h.extend_from_slice(payload);
    h
}

/// Neighbour discovery with the options -v prints: a router advertisement with a source
/// link-layer address, an MTU, a prefix, DNS servers and an option tcpdump does not know; a
/// solicitation and an advertisement with theirs.
fn nd_packets() -> Vec<Vec<u8>> {
    let (ll, all) = (v6("fe80::1"), v6("ff02::1"));
    let mut ra = vec![0, 0, 0x75, 0x30, 0, 0, 3, 0xe8];
    ra.extend_from_slice(&ndp_lladdr(1, MAC_A));
    ra.extend_from_slice(&[5, 1, 0, 0, 0, 0, 5, 0xdc]);
    ra.extend_from_slice(&[
        3, 4, 64, 0xc0, 0, 0x27, 0x8d, 0, 0, 0, 0x0e, 0x10, 0, 0, 0, 0,
    ]);
    ra.extend_from_slice(&v6("2001:db8:1::"));
    ra.extend_from_slice(&[25, 5, 0, 0, 0, 0, 0x0e, 0x10]);
    ra.extend_from_slice(&v6("2001:db8::53"));
    ra.extend_from_slice(&v6("2001:db8::54"));
    ra.extend_from_slice(&[200, 1, 1, 2, 3, 4, 5, 6]);
    let mut ns = v6("fe80::2").to_vec();
    ns.extend_from_slice(&ndp_lladdr(1, MAC_A));
    ns.extend_from_slice(&[14, 1, 1, 2, 3, 4, 5, 6]);
    let mut na = v6("fe80::2").to_vec();
    na.extend_from_slice(&ndp_lladdr(2, MAC_B));
    vec![
        ipv6(ll, all, ICMP6, &icmp(134, 0, [64, 0x88, 0x07, 0x08], &ra)),
        ipv6(ll, all, ICMP6, &icmp(134, 0, [255, 0x58, 0, 0], &ra[..8])),
        ipv6(ll, v6("ff02::1:ff00:2"), ICMP6, &icmp(135, 0, [0; 4], &ns)),
        ipv6(
            v6("fe80::2"),
            ll,
            ICMP6,
            &icmp(136, 0, [0xe0, 0, 0, 0], &na),
        ),
        ipv6(
            v6("fe80::2"),
            ll,
            ICMP6,
            &icmp(136, 0, [0, 0, 0, 0], &na[..16]),
        ),
        ipv6(
            ll,
            v6("ff02::2"),
            ICMP6,
            &icmp(133, 0, [0; 4], &ndp_lladdr(1, MAC_A)),
        ),
    ]
}

/// A multicast listener report v2 record: type, sources, then `aux` words of auxiliary data.
fn mld_record(kind: u8, group: &str, sources: &[&str], aux: u8) -> Vec<u8> {
    let mut r = vec![kind, aux, 0, sources.len() as u8];
    r.extend_from_slice(&v6(group));
    for a in sources {
        r.extend_from_slice(&v6(a));
    }
    r.extend(std::iter::repeat_n(0xaa, 4 * usize::from(aux)));
    r
}

/// A multicast listener query v2: max response code, group, flags (S, QRV), QQIC, sources.
fn mld_query(mrc: u16, group: &str, flags: u8, qqic: u8, sources: &[&str]) -> Vec<u8> {
    let mut q = v6(group).to_vec();
    q.extend_from_slice(&[flags, qqic, 0, sources.len() as u8]);
    for a in sources {
        q.extend_from_slice(&v6(a));
    }
    let m = mrc.to_be_bytes();
    icmp(130, 0, [m[0], m[1], 0, 0], &q)
}

/// IPv6 extension header chains (hop-by-hop and destination options with every option
/// tcpdump names, routing types 0, 2 and 4, fragments first and later, in chains, in the wrong
/// order) and multicast listener discovery v1 and v2 behind a router alert.
fn ext_packets() -> Vec<Vec<u8>> {
    let (a6, b6, c6) = (v6("2001:db8::1"), v6("2001:db8::2"), v6("2001:db8::3"));
    let (ll, mld2) = (v6("fe80::1"), v6("ff02::16"));
    // Router alert (MLD), then PadN to the 8-byte boundary.
    let ra = [5, 2, 0, 0, 1, 0];
    let hbh = |next, p: &[u8]| ipv6_ext(next, &ra, p);
    let report = |recs: &[Vec<u8>], count: u8| icmp(143, 0, [0, 0, 0, count], &recs.concat());
    let udp3 = udp(1, 2, b"abc");
    // Home address option (0xc9) with sub-options pad1, padn and an unknown one.
    let mut home = vec![0xc9, 22];
    home.extend_from_slice(&c6);
    home.extend_from_slice(&[0, 1, 0, 7, 0]);
    let mut pkts = vec![
        ipv6(ll, mld2, HOP_BY_HOP, &hbh(ICMP6, &report(&[], 0))),
        ipv6(
            ll,
            mld2,
            HOP_BY_HOP,
            &hbh(
                ICMP6,
                &report(
                    &[
                        mld_record(2, "ff02::fb", &[], 0),
                        mld_record(3, "ff05::1:3", &["2001:db8::7", "fe80::9"], 0),
                        mld_record(5, "ff02::1:ff00:1", &["2001:db8::8"], 0),
                        // tcpdump skips no auxiliary data: it ends the list here.
                        mld_record(9, "ff0e::42", &[], 1),
                    ],
                    4,
                ),
            ),
        ),
        // More records claimed than there are, then more sources than there are.
        ipv6(
            ll,
            mld2,
            HOP_BY_HOP,
            &hbh(ICMP6, &report(&[mld_record(4, "ff02::fb", &[], 0)], 2)),
        ),
        ipv6(
            ll,
            mld2,
            HOP_BY_HOP,
            &hbh(ICMP6, &{
                let mut r = report(&[mld_record(1, "ff02::fb", &["fe80::9"], 0)], 1);
                r[11] = 3;
                r
            }),
        ),
        ipv6(
            ll,
            v6("ff02::1"),
            HOP_BY_HOP,
            &hbh(ICMP6, &mld_query(10000, "::", 0x02, 125, &[])),
        ),
        ipv6(
            ll,
            v6("ff05::1:3"),
            HOP_BY_HOP,
            &hbh(
                ICMP6,
                &mld_query(0x8123, "ff05::1:3", 0x0f, 0x95, &["2001:db8::7", "fe80::9"]),
            ),
        ),
        ipv6(
            ll,
            v6("ff02::1"),
            HOP_BY_HOP,
            &hbh(ICMP6, &{
                let mut q = mld_query(1, "ff02::fb", 0, 0, &["fe80::9"]);
                q[27] = 5;
                q
            }),
        ),
        // MLDv1: query (24 bytes), report, done; a query of neither version's length.
        ipv6(
            ll,
            v6("ff02::1"),
            HOP_BY_HOP,
            &hbh(ICMP6, &icmp(130, 0, [0x27, 0x10, 0, 0], &[0; 16])),
        ),
        ipv6(
            ll,
            v6("ff02::fb"),
            HOP_BY_HOP,
            &hbh(ICMP6, &icmp(131, 0, [0; 4], &v6("ff02::fb"))),
        ),
        ipv6(
            ll,
            v6("ff02::2"),
            HOP_BY_HOP,
            &hbh(ICMP6, &icmp(132, 0, [0; 4], &v6("ff02::fb"))),
        ),
        ipv6(
            ll,
            v6("ff02::1"),
            HOP_BY_HOP,
            &hbh(ICMP6, &icmp(130, 0, [0; 4], &[0; 18])),
        ),
        ipv6(
            ll,
            v6("ff02::fb"),
            ICMP6,
            &icmp(131, 0, [0, 5, 0, 0], &v6("ff02::fb")),
        ),
        // Destination options: pad1, an unknown option, a jumbo payload (not hop-by-hop), a
        // home address with sub-options.
        ipv6(
            a6,
            b6,
            DEST_OPTS,
            &ipv6_ext(UDP, &[0, 0, 0x1e, 2, 7, 7, 0xc2, 4, 0, 1, 0, 0], &udp3),
        ),
        ipv6(a6, b6, DEST_OPTS, &ipv6_ext(UDP, &home, &udp3)),
        // Hop-by-hop: a jumbo payload with a payload length set, a router alert of a bad length.
        ipv6(
            a6,
            b6,
            HOP_BY_HOP,
            &ipv6_ext(
                TCP,
                &[0xc2, 4, 0, 1, 0, 0],
                &tcp(1, 2, 3, 4, ACK, 5, &[], &[]),
            ),
        ),
        ipv6(
            a6,
            b6,
            HOP_BY_HOP,
            &ipv6_ext(UDP, &[5, 3, 0, 0, 0, 0], &udp3),
        ),
        // A chain through every kind, a first fragment in the middle.
        ipv6(
            a6,
            b6,
            HOP_BY_HOP,
            &hbh(
                DEST_OPTS,
                &ipv6_ext(
                    ROUTING,
                    &[1, 4, 0, 0, 0, 0],
                    &routed_to(
                        FRAGMENT,
                        0,
                        2,
                        1,
                        0,
                        &[c6],
                        &ipv6_frag(DEST_OPTS, 0, true, 0xabcd, &ipv6_ext(UDP, &[], &udp3)),
                    ),
                ),
            ),
        ),
        ipv6(
            a6,
            b6,
            HOP_BY_HOP,
            &hbh(FRAGMENT, &ipv6_frag(UDP, 185, false, 0x12345678, &[7; 24])),
        ),
        ipv6(
            a6,
            b6,
            FRAGMENT,
            &ipv6_frag(ICMP6, 0, true, 1, &icmp(128, 0, echo_rest(1, 1), &[0; 8])),
        ),
        // Routing: type 2 and 0 with the reserved word set, type 4 with flags and two
        // segments, an odd length, a type tcpdump does not know.
        ipv6(
            a6,
            b6,
            ROUTING,
            &routed_to(UDP, 2, 2, 1, 0x0100_0000, &[c6], &udp3),
        ),
        ipv6(a6, b6, ROUTING, &routed_to(UDP, 0, 2, 1, 7, &[c6], &udp3)),
        ipv6(
            a6,
            b6,
            ROUTING,
            &routed_to(UDP, 4, 4, 1, 0x0180_0009, &[c6, a6], &udp3),
        ),
        ipv6(
            a6,
            b6,
            ROUTING,
            &routed_to(UDP, 0, 3, 1, 0, &[c6, a6], &udp3),
        ),
        ipv6(a6, b6, ROUTING, &routed_to(UDP, 3, 2, 1, 0, &[c6], &udp3)),
        // Nothing after: behind options and directly; hop-by-hop out of place, twice.
        ipv6(
            a6,
            b6,
            DEST_OPTS,
            &ipv6_ext(NO_NEXT, &[1, 4, 0, 0, 0, 0], &[9; 6]),
        ),
        ipv6(a6, b6, NO_NEXT, &[9; 6]),
        ipv6(
            a6,
            b6,
            DEST_OPTS,
            &ipv6_ext(HOP_BY_HOP, &[], &hbh(UDP, &udp3)),
        ),
        ipv6(
            a6,
            b6,
            HOP_BY_HOP,
            &ipv6_ext(HOP_BY_HOP, &[], &hbh(UDP, &udp3)),
        ),
    ];
    // No payload length: behind a hop-by-hop header without a jumbo option, behind
    // destination options, behind a jumbo option (its length then counts).
    let zero = |mut p: Vec<u8>| {
        p[4..6].fill(0);
        p
    };
    pkts.push(zero(ipv6(a6, b6, HOP_BY_HOP, &hbh(UDP, &udp3))));
    pkts.push(zero(ipv6(a6, b6, DEST_OPTS, &ipv6_ext(UDP, &[], &udp3))));
    let jumbo_tcp = tcp(1, 2, 3, 4, PSH | ACK, 5, &[], b"abc");
    let jumbo_opt = [0xc2, 4, 0, 1, 0x11, 0x70];
    pkts.push(zero(ipv6(
        a6,
        b6,
        HOP_BY_HOP,
        &ipv6_ext(TCP, &jumbo_opt, &jumbo_tcp),
    )));
    // A payload length past the bytes on the wire, before TCP and before UDP (whose sum
    // tcpdump checks over the UDP length).
    let mut long = ipv6(a6, b6, TCP, &jumbo_tcp);
    long[5] += 10;
    pkts.push(long);
    let mut long = ipv6(a6, b6, UDP, &udp3);
    long[5] += 10;
    pkts.push(long);
    pkts
}

/// A routing header before `next`: type, length in 8-byte units, segments left, the word
/// after them (reserved, or last entry, flags and tag), the addresses.
fn routed_to(
    next: u8,
    kind: u8,
    len: u8,
    segleft: u8,
    word: u32,
    addrs: &[[u8; 16]],
    payload: &[u8],
) -> Vec<u8> {
    let mut h = vec![next, len, kind, segleft];
    h.extend_from_slice(&word.to_be_bytes());
    for a in addrs {
        h.extend_from_slice(a);
    }
    h.extend_from_slice(payload);
    h
}

/// Each frame is cut to `snap` bytes, with its wire length kept, as a capture would.
fn write(path: &Path, linktype: u16, frames: &[Vec<u8>], snap: usize) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::new(f, false, false);
    w.start(&[Interface {
        name: String::new(),
        linktype,
        snaplen: 262_144,
        description: String::new(),
        mac: None,
    }])
    .unwrap();
    for (i, d) in frames.iter().enumerate() {
        w.packet(&Packet {
            iface: 0,
            ts_sec: 1_600_000_000 + i as i64,
            ts_nsec: 1000 * i as u32,
            len: d.len() as u32,
            data: &d[..d.len().min(snap)],
        })
        .unwrap();
    }
    w.finish().unwrap();
}

fn file(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("summary");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn lines(cmd: &str, args: &[&str]) -> Vec<String> {
    ok_stdout(Command::new(cmd).args(args).env("TZ", "UTC"))
        .lines()
        .map(String::from)
        .collect()
}

/// Every printing mode compared, with the flags given to both programs alike.
const MODES: &[&[&str]] = &[
    &[],
    &["-n"],
    &["-nn", "-S"],
    &["-e"],
    &["-q"],
    &["-q", "-e"],
    &["-tt"],
    &["-ttt"],
    &["-tttt"],
    &["-ttttt"],
    &["-#"],
    &["-x"],
    &["-xx"],
    &["-X"],
    &["-XX"],
    &["-A"],
    &["-tt", "--time-stamp-precision=nano"],
    &["-e", "-S", "-#", "-X"],
];

/// The -v modes, on the packets whose -v lines nscap prints as tcpdump does.
const VERBOSE: &[&[&str]] = &[
    &["-v"],
    &["-vv"],
    &["-vvv", "-S"],
    &["-v", "-e"],
    &["-v", "-q"],
];

fn compare(path: &Path, extra: &[&str]) {
    let p = path.to_str().unwrap();
    let mut args = extra.to_vec();
    args.extend_from_slice(&["-r", p]);
    let ours = lines(env!("CARGO_BIN_EXE_nscap"), &args);
    let mut targs = vec!["-n"];
    targs.extend_from_slice(&args);
    let theirs = lines("tcpdump", &targs);
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{extra:?} {p}\n{ours:#?}\n{theirs:#?}"
    );
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o, t, "{extra:?} {p}");
    }
}

fn compare_modes(path: &Path) {
    for m in MODES {
        compare(path, m);
    }
}

/// Ethernet frames around IPv4 and IPv6 packets.
fn on_ethernet(packets: &[Vec<u8>]) -> Vec<Vec<u8>> {
    packets
        .iter()
        .map(|p| {
            let t = if p[0] >> 4 == 6 { 0x86dd } else { 0x0800 };
            ether(MAC_B, MAC_A, t, p)
        })
        .collect()
}

/// `frames` as `NAME.pcap`, compared in every mode and at every verbosity; then cut at each of
/// `snaps` (`NAME-snapN.pcap`) and compared in each of `cut_modes`.
/// `payloads` in UDP from `sp` to `dp`, over IPv6 from fe80::1 to `dst`, on Ethernet.
fn udp6_frames(dst: [u8; 16], sp: u16, dp: u16, payloads: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let ll = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    payloads
        .iter()
        .map(|p| ether(MAC_B, MAC_A, 0x86dd, &ipv6(ll, dst, UDP, &udp(sp, dp, p))))
        .collect()
}

/// `frame` (Ethernet, an IP header of `ip_len` bytes, UDP) with its UDP length field set to
/// `len`, whatever the datagram holds.
fn with_udp_length(frame: &[u8], ip_len: usize, len: u16) -> Vec<u8> {
    let mut f = frame.to_vec();
    f[14 + ip_len + 4..14 + ip_len + 6].copy_from_slice(&len.to_be_bytes());
    f
}

fn compare_whole_and_cut(name: &str, frames: &[Vec<u8>], snaps: &[usize], cut_modes: &[&[&str]]) {
    let f = file(&format!("{name}.pcap"));
    write(&f, 1, frames, usize::MAX);
    compare_modes(&f);
    for m in VERBOSE {
        compare(&f, m);
    }
    for &snap in snaps {
        let f = file(&format!("{name}-snap{snap}.pcap"));
        write(&f, 1, frames, snap);
        for m in cut_modes {
            compare(&f, m);
        }
    }
}

#[test]
fn ethernet_matches_tcpdump() {
    need_tcpdump();
    let mut frames = on_ethernet(&ip_packets());
    frames.push(ether(
        BROADCAST,
        MAC_A,
        0x0806,
        &arp(1, MAC_A, A4, [0; 6], B4),
    ));
    frames.push(ether(MAC_A, MAC_B, 0x0806, &arp(2, MAC_B, B4, MAC_A, A4)));
    frames.push(ether(
        MAC_B,
        MAC_A,
        0x8100,
        &vlan_tag(10, 5, 0x0800, &ip_packets()[0]),
    ));
    frames.push(ether(
        MAC_B,
        MAC_A,
        0x88a8,
        &vlan_tag(20, 0, 0x8100, &vlan_tag(10, 0, 0x86dd, &ip_packets()[15])),
    ));
    let f = file("eth.pcap");
    write(&f, 1, &frames, usize::MAX);
    compare_modes(&f);
    // -v on IPv4 with its ICMP errors' quoted packets, and IPv6 with its extension headers.
    let v4: Vec<Vec<u8>> = frames
        .iter()
        .filter(|f| f[12..14] == [8, 0] || f[12..14] == [0x86, 0xdd])
        .cloned()
        .collect();
    let f = file("eth-v4.pcap");
    write(&f, 1, &v4, usize::MAX);
    for m in VERBOSE {
        compare(&f, m);
    }
    // Snapshot lengths that cut inside every header: Ethernet, VLAN, ARP, IP, TCP, UDP, DNS, ICMP.
    for snap in [
        10, 16, 20, 30, 36, 37, 38, 40, 44, 50, 55, 56, 58, 64, 70, 80, 104,
    ] {
        let f = file(&format!("eth-snap{snap}.pcap"));
        write(&f, 1, &frames, snap);
        compare(&f, &[]);
        compare(&f, &["-S"]);
        let f = file(&format!("eth-v4-snap{snap}.pcap"));
        write(&f, 1, &v4, snap);
        compare(&f, &["-v"]);
        // Where tcpdump's dump starts tells how its printer gave up on the cut header.
        compare(&f, &["-X"]);
    }
}

#[test]
fn cooked_and_raw_link_types_match_tcpdump() {
    need_tcpdump();
    let ips = ip_packets();
    let proto = |p: &[u8]| if p[0] >> 4 == 6 { 0x86dd } else { 0x0800 };
    let sll1: Vec<Vec<u8>> = ips
        .iter()
        .enumerate()
        .map(|(i, p)| {
            sll(
                if i % 2 == 0 { 0 } else { 4 },
                [1, 772, 65534][i % 3],
                &MAC_A,
                proto(p),
                p,
            )
        })
        .collect();
    let f = file("sll.pcap");
    write(&f, 113, &sll1, usize::MAX);
    compare_modes(&f);
    let raw = file("raw.pcap");
    write(&raw, 101, &ips, usize::MAX);
    compare_modes(&raw);
}

/// Every printing flag through the binary: accepted, and changing the output as tcpdump's does.
#[test]
fn printing_flags_through_the_binary() {
    let f = file("flags.pcap");
    let frame = ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(
            A4,
            B4,
            TCP,
            &tcp(50000, 443, 7, 9, PSH | ACK, 100, &[], b"hi"),
        ),
    );
    write(&f, 1, &[frame.clone(), frame], usize::MAX);
    let p = f.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut a = extra.to_vec();
        a.extend_from_slice(&["-r", p]);
        lines(env!("CARGO_BIN_EXE_nscap"), &a).join("\n")
    };
    let plain = run(&[]);
    assert!(plain.contains("seq 7:9, ack 9,"), "{plain}");
    assert!(run(&["-n"]) == plain && run(&["-nn"]) == plain && run(&["-l"]) == plain);
    assert_eq!(run(&["--immediate-mode"]), plain);
    assert!(run(&["-S"]).contains("seq 7:9"));
    assert!(run(&["-K", "-v"]).contains("Flags [P.], seq"));
    assert!(run(&["-v"]).contains("cksum 0x"));
    assert!(run(&["-vv"]).contains(")\n    192.168.7.1.50000 > "));
    assert!(run(&["-vvv"]).contains(")\n    192.168.7.1.50000 > "));
    assert!(run(&["-#"]).starts_with("    1  "));
    assert!(run(&["--number"]).contains("\n    2  "));
    assert!(run(&["-tt"]).starts_with("1600000000.000000 "));
    assert!(run(&["--time-stamp-precision=nano", "-tt"]).starts_with("1600000000.000000000 "));
    assert!(run(&["--time-stamp-precision=micro"]).starts_with("12:26:40.000000 "));
    assert!(run(&["-ttt"]).contains("\n 00:00:01.000001 "));
    assert!(run(&["-tttt"]).starts_with("2020-09-13 12:26:40.000000 "));
    assert!(run(&["-ttttt"]).starts_with(" 00:00:00.000000 "));
    assert!(run(&["-x"]).contains("\n\t0x0000:  4500 002a"));
    assert!(run(&["-xx"]).contains("\n\t0x0000:  0242 0a01"));
    assert!(run(&["-X"]).contains("  E..*"));
    assert!(run(&["-XX"]).contains("  .B...."));
    assert!(run(&["-A"]).contains("\nE..*"));
    // A target literally named `tt` is written --target; `-tt` alone is the timestamp format.
    let out = Command::new(env!("CARGO_BIN_EXE_nscap"))
        .args(["-r", p, "-tt", "-ttt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The Internet checksum of `b` (RFC 1071), for the extension the ICMP errors carry.
fn ones_complement(b: &[u8]) -> u16 {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[test]
fn neighbour_discovery_matches_tcpdump() {
    need_tcpdump();
    let frames = on_ethernet(&nd_packets());
    let f = file("nd.pcap");
    write(&f, 1, &frames, usize::MAX);
    compare_modes(&f);
    for m in VERBOSE {
        compare(&f, m);
    }
    for snap in [55, 56, 58, 62, 70, 80, 90, 100, 120, 150] {
        let f = file(&format!("nd-snap{snap}.pcap"));
        write(&f, 1, &frames, snap);
        compare(&f, &[]);
        compare(&f, &["-v"]);
    }
}

/// Ethernet's configuration testing protocol (0x9000) and unknown ethertypes on Ethernet and in
/// cooked captures, and raw-IP frames whose version is neither 4 nor 6.
#[test]
fn loopback_unknown_ethertypes_and_ip_versions_match_tcpdump() {
    need_tcpdump();
    let bodies: Vec<Vec<u8>> = vec![
        vec![0, 0, 1, 0, 7, 0, 1, 2, 3],
        [&[0, 0, 2, 0][..], &MAC_B, &[9; 4]].concat(),
        [&[8, 0][..], &[0; 8], &[5, 0]].concat(),
        vec![3, 0, 0, 0, 0, 1, 0],
        vec![0, 1, 1, 2, 3],
        vec![0, 0, 1],
        vec![],
    ];
    let mut eth: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| ether(MAC_B, MAC_A, 0x9000, b))
        .collect();
    // Ethertypes tcpdump has no name for: the link header, then its hex dump of the rest.
    let unknown = [
        ether(MAC_B, MAC_A, 0x1234, &[0x41; 20]),
        ether(MAC_B, MAC_A, 0x88b5, &[]),
    ];
    eth.extend(unknown.iter().cloned());
    let f = file("loopback.pcap");
    write(&f, 1, &eth, usize::MAX);
    compare_modes(&f);
    compare(&f, &["-v"]);
    for snap in [15, 17, 19, 22, 30] {
        let f = file(&format!("loopback-snap{snap}.pcap"));
        write(&f, 1, &eth, snap);
        compare(&f, &[]);
    }
    let mut cooked: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| sll(0, 1, &MAC_A, 0x9000, b))
        .collect();
    cooked.push(sll(4, 1, &MAC_A, 0x1234, &[0x41; 20]));
    let f = file("loopback-sll.pcap");
    write(&f, 113, &cooked, usize::MAX);
    compare_modes(&f);
    let raw: Vec<Vec<u8>> = vec![vec![0x50; 24], vec![0, 1, 2, 3], vec![0xf0]];
    let f = file("raw-versions.pcap");
    write(&f, 101, &raw, usize::MAX);
    compare_modes(&f);
    compare(&f, &["-v"]);
}

#[test]
fn ipv6_extension_headers_and_mld_match_tcpdump() {
    need_tcpdump();
    let frames = on_ethernet(&ext_packets());
    // Cut inside every header of every chain: the IPv6 header ends at 54.
    compare_whole_and_cut(
        "ext",
        &frames,
        &[
            54, 55, 56, 58, 60, 61, 62, 64, 66, 68, 70, 72, 74, 78, 80, 86, 90, 94, 98, 102, 106,
            110, 118, 126, 134, 142, 150, 158,
        ],
        &[&[], &["-v"], &["-vv"], &["-q"]],
    );
}

/// IPv4 options of every kind tcpdump prints (record route, timestamps, router alert, source
/// routes, security, unknown and malformed ones) and TCP options of every kind (SACK blocks,
/// timestamps, MD5, TCP-AO, user timeout, fast open, experimental, unknown), before TCP, UDP
/// and ICMP.
fn option_packets() -> Vec<Vec<u8>> {
    let v4opts: [&[u8]; 9] = [
        &[7, 11, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0],
        &[148, 4, 0, 0],
        &[148, 4, 1, 2],
        &[68, 12, 13, 1, 10, 0, 0, 1, 0, 0, 0, 9],
        &[68, 16, 5, 0x20, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3],
        &[
            1, 131, 7, 4, 10, 0, 0, 9, 137, 11, 12, 10, 0, 0, 7, 10, 0, 0, 8,
        ],
        &[130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 25, 4, 1, 2, 0],
        &[1, 7, 1, 0],
        &[82, 12, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 68, 3, 0, 0],
    ];
    let tcpopts: [&[u8]; 9] = [
        &[
            2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ],
        &[
            1, 1, 5, 18, 0, 0, 0, 9, 0, 0, 0, 19, 0, 0, 0, 29, 0, 0, 0, 39,
        ],
        &[
            19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 1,
        ],
        &[
            29, 8, 1, 2, 0xaa, 0xbb, 0xcc, 0xdd, 28, 4, 0x81, 0x2c, 34, 2, 1, 1,
        ],
        &[
            254, 8, 0xf9, 0x89, 1, 2, 3, 4, 254, 4, 0x12, 0x34, 99, 5, 1, 2, 3, 0,
        ],
        &[
            20, 4, 1, 2, 6, 6, 0, 0, 0, 5, 7, 6, 0, 0, 0, 6, 12, 6, 0, 0, 0, 7,
        ],
        &[2, 4, 5, 0xb4, 0, 0, 0, 0],
        &[2, 2, 3, 3, 7, 1],
        // A user timeout in minutes that passes 65535 seconds (a fuzz finding: it overflowed).
        &[28, 4, 0xff, 0xff],
    ];
    let mut v = Vec::new();
    for (i, o) in v4opts.iter().enumerate() {
        let payload = match i % 3 {
            0 => tcp(50000, 443, 7, 9, PSH | ACK, 100, &[], b"hi"),
            1 => udp(40000, 9999, &[0; 12]),
            _ => icmp(8, 0, echo_rest(9, 2), &[0; 8]),
        };
        let proto = [TCP, UDP, ICMP][i % 3];
        v.push(ipv4_full(A4, B4, proto, 5, 0x4000, 64, o, &payload));
    }
    for (i, o) in tcpopts.iter().enumerate() {
        let flags = if i == 0 { SYN } else { PSH | ACK };
        let seg = tcp(50000, 443, 7, 9, flags, 100, o, b"abc");
        v.push(ipv4(A4, B4, TCP, &seg));
    }
    v
}

#[test]
fn ip_and_tcp_options_match_tcpdump_whole_and_cut() {
    need_tcpdump();
    let frames = on_ethernet(&option_packets());
    // Every cut inside the IPv4 options and the TCP options after them.
    let snaps: Vec<usize> = (34..=98).collect();
    compare_whole_and_cut(
        "options",
        &frames,
        &snaps,
        &[&[], &["-v"], &["-q"], &["-X"], &["-v", "-x"]],
    );
}

/// An MPTCP option: `sub` is its third byte (subtype and the four bits after it).
fn mp(sub: u8, body: &[u8]) -> Vec<u8> {
    let mut o = vec![30, 3 + body.len() as u8, sub];
    o.extend_from_slice(body);
    o
}

/// TCP segments carrying every MPTCP option print-mptcp.c decodes (MP_CAPABLE v0/v1 at each
/// length, MP_JOIN on SYN, SYN-ACK and ACK, DSS with every flag combination, ADD_ADDR v4/v6
/// with and without port and HMAC, REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, subtypes it
/// does not know), on the wrong flags and at lengths that do not fit the subtype, over IPv4
/// and IPv6.
fn mptcp_packets() -> Vec<Vec<u8>> {
    let key = [0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81];
    // Leading zeros: tcpdump's %PRIx64 does not pad.
    let key2 = [0, 0, 0, 0x0a, 0, 0, 0, 0x0b];
    let mac20: Vec<u8> = (0x30..0x44).collect();
    let v4 = [10, 0, 0, 7];
    let v6a = v6("2001:db8::7").to_vec();
    let port = 8080u16.to_be_bytes();
    let cat = |parts: &[&[u8]]| parts.concat();
    let mut segs: Vec<(u8, Vec<u8>)> = vec![
        // MP_CAPABLE
        (SYN, mp(0x00, &[0x81])),
        (SYN, mp(0x01, &[0x01])),
        (SYN, mp(0x00, &cat(&[&[0x81], &key]))),
        (SYN | ACK, mp(0x01, &cat(&[&[0x01], &key2]))),
        (ACK, mp(0x01, &cat(&[&[0x81], &key, &key2]))),
        (PSH | ACK, mp(0x01, &cat(&[&[0x01], &key, &key2, &[0, 3]]))),
        (ACK, mp(0x00, &cat(&[&[0x81], &key]))),
        (SYN | ACK, mp(0x01, &cat(&[&[0x81], &key, &key2]))),
        (SYN, mp(0x02, &[0x81])),
        (SYN, mp(0x0f, &cat(&[&[0], &key]))),
        (SYN, mp(0x01, &[0x81, 1, 2, 3, 4])),
        // MP_JOIN
        (SYN, mp(0x11, &cat(&[&[3], &key]))),
        (SYN, mp(0x10, &cat(&[&[0], &key2]))),
        (SYN | ACK, mp(0x10, &cat(&[&[5], &key, &[0, 0, 1, 2]]))),
        (SYN | ACK, mp(0x11, &cat(&[&[6], &key2, &[9, 8, 7, 6]]))),
        (ACK, mp(0x10, &cat(&[&[0], &mac20]))),
        (SYN | ACK, mp(0x10, &cat(&[&[0], &mac20]))),
        (SYN, mp(0x10, &cat(&[&[5], &key, &[0, 0, 1, 2]]))),
        (ACK, mp(0x10, &cat(&[&[3], &key]))),
        (SYN, mp(0x10, &cat(&[&[0], &mac20]))),
        (ACK, mp(0x10, &[1, 2, 3, 4, 5, 6])),
        // DSS that cannot be: on a SYN, too short, too long, short of its numbers
        (SYN | ACK, mp(0x20, &[0x01, 0, 0, 0, 1])),
        (ACK, mp(0x20, &[])),
        (ACK, mp(0x20, &[0x00, 0])),
        (ACK, mp(0x20, &[0x01, 0, 0, 1])),
        (ACK, mp(0x20, &[0x03, 0, 0, 0, 0, 0, 0, 1])),
        (ACK, mp(0x20, &[0x04, 0, 0, 0, 1, 0, 0, 0, 2])),
        (ACK, mp(0x20, &[0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0])),
        (
            ACK,
            mp(
                0x20,
                &[0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0xab, 0xcd, 0xef],
            ),
        ),
        (ACK, mp(0x20, &[0x01, 0, 0, 0, 1, 0])),
        // ADD_ADDR with each version/echo nibble and every length
        (ACK, mp(0x30, &cat(&[&[1], &v4]))),
        (ACK, mp(0x31, &cat(&[&[2], &v4, &port]))),
        (ACK, mp(0x34, &cat(&[&[3], &v4, &key]))),
        (ACK, mp(0x36, &cat(&[&[4], &v4, &port, &key2]))),
        (ACK, mp(0x32, &cat(&[&[5], &v6a]))),
        (ACK, mp(0x30, &cat(&[&[6], &v6a, &port]))),
        (SYN, mp(0x31, &cat(&[&[7], &v6a, &key]))),
        (ACK, mp(0x3f, &cat(&[&[8], &v6a, &port, &key]))),
        (ACK, mp(0x30, &cat(&[&[9], &v4, &[1]]))),
        (ACK, mp(0x30, &[1, 2, 3, 4])),
        // REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE
        (ACK, mp(0x40, &[7])),
        (ACK, mp(0x40, &[1, 2, 250])),
        (ACK, mp(0x40, &[])),
        (ACK, mp(0x51, &[])),
        (ACK, mp(0x50, &[7])),
        (ACK, mp(0x51, &[7])),
        (ACK, mp(0x50, &[7, 8])),
        (ACK, mp(0x60, &cat(&[&[0], &[0xff; 8]]))),
        (ACK, mp(0x60, &[0, 1, 2, 3, 4])),
        (ACK | FIN, mp(0x70, &cat(&[&[0], &key]))),
        (ACK, mp(0x70, &cat(&[&[0], &key, &[1]]))),
        // MP_TCPRST and beyond: subtypes tcpdump 4.99 does not know
        (ACK | RST, mp(0x80, &[0x42])),
        (ACK, mp(0xf3, &[1, 2, 3])),
        // A length below the subtype byte
        (ACK, vec![30, 2]),
        // After an MPTCP option tcpdump's cut marks read `[|mptcp]`: several options, one
        // ending the list early with the cut in its padding, and a bad option after.
        (
            ACK,
            cat(&[
                &mp(0x50, &[1]),
                &mp(0x40, &[2]),
                &[1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
            ]),
        ),
        (SYN, cat(&[&mp(0x01, &[0x01]), &[0, 0, 0, 0, 0, 0, 0, 0]])),
        (ACK, cat(&[&mp(0x40, &[2]), &[2, 9, 1]])),
    ];
    // DSS with every combination of its five flags, with and without the checksum.
    for f in 0u8..32 {
        for csum in [false, true] {
            if csum && f & 0x04 == 0 {
                continue;
            }
            let mut body = vec![f];
            if f & 0x01 != 0 {
                let w = if f & 0x02 != 0 { 8 } else { 4 };
                body.extend_from_slice(&0xfedc_ba98_7654_3210u64.to_be_bytes()[8 - w..]);
            }
            if f & 0x04 != 0 {
                let w = if f & 0x08 != 0 { 8 } else { 4 };
                body.extend_from_slice(&0x0000_0001_8000_0001u64.to_be_bytes()[8 - w..]);
                body.extend_from_slice(&[0, 0, 0x10, 0, 5, 0xdc]);
                if csum {
                    body.extend_from_slice(&[0x0b, 0xad]);
                }
            }
            segs.push((PSH | ACK, mp(0x20, &body)));
        }
    }
    let (a6, b6) = (v6("2001:db8::1"), v6("2001:db8::2"));
    let mut v = Vec::new();
    for (i, (flags, o)) in segs.iter().enumerate() {
        // No payload on the RST: nscap does not print print-tcp.c's `[RST abc]` under -v.
        let payload: &[u8] = if flags & RST != 0 { b"" } else { b"abc" };
        let seg = tcp(50000, 443, 7, 9, *flags, 100, o, payload);
        v.push(if i % 5 == 4 {
            ipv6(a6, b6, TCP, &seg)
        } else {
            ipv4(A4, B4, TCP, &seg)
        });
    }
    v
}

#[test]
fn mptcp_options_match_tcpdump_whole_and_cut() {
    need_tcpdump();
    // Every cut inside the TCP options, over IPv4 (from byte 54) and IPv6 (from 74).
    let snaps: Vec<usize> = (54..=118).collect();
    compare_whole_and_cut(
        "mptcp",
        &on_ethernet(&mptcp_packets()),
        &snaps,
        &[&[], &["-v"], &["-vv"], &["-X"]],
    );
}

/// An IPsec authentication header before `next`: SPI, sequence number, 12 bytes of ICV.
fn ah(next: u8, reserved: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![next, 4];
    h.extend_from_slice(&reserved.to_be_bytes());
    h.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    h.extend_from_slice(&7u32.to_be_bytes());
    h.extend_from_slice(&[0xa5; 12]);
    h.extend_from_slice(payload);
    h
}

/// IPsec over IPv4 and IPv6: AH before TCP, UDP, ICMP and ICMPv6 (and after a hop-by-hop
/// header), ESP alone.
fn ipsec_packets() -> Vec<Vec<u8>> {
    let (a6, b6) = (v6("2001:db8::1"), v6("2001:db8::2"));
    let seg = tcp(50000, 443, 7, 9, PSH | ACK, 100, &[], b"hi");
    let dgram = udp(40000, 9999, &[0; 12]);
    let esp = [
        &0xdead_beefu32.to_be_bytes()[..],
        &9u32.to_be_bytes(),
        &[0x5a; 24],
    ]
    .concat();
    vec![
        ipv4(A4, B4, 51, &ah(TCP, 0, &seg)),
        ipv4(A4, B4, 51, &ah(UDP, 0, &dgram)),
        ipv4(
            A4,
            B4,
            51,
            &ah(ICMP, 0x0102, &icmp(8, 0, echo_rest(9, 2), &[0; 8])),
        ),
        ipv4(A4, B4, 50, &esp),
        ipv6(a6, b6, 51, &ah(TCP, 0, &seg)),
        ipv6(
            a6,
            b6,
            51,
            &ah(ICMP6, 0, &icmp(128, 0, echo_rest(1, 1), &[0; 8])),
        ),
        ipv6(a6, b6, 0, &ipv6_ext(51, &[], &ah(UDP, 0, &dgram))),
        ipv6(a6, b6, 50, &esp),
    ]
}

#[test]
fn ipsec_matches_tcpdump_whole_and_cut() {
    need_tcpdump();
    compare_whole_and_cut(
        "ipsec",
        &on_ethernet(&ipsec_packets()),
        &[
            34, 36, 38, 40, 42, 46, 50, 54, 56, 58, 62, 66, 70, 74, 78, 82, 90, 98, 106,
        ],
        &[&[], &["-v"], &["-q"], &["-X"]],
    );
}

/// UDP whose length field disagrees with the IP length: shorter (the rest is trailer), longer,
/// and below the 8-byte header; the checksum is right over what the UDP length covers, as
/// tcpdump checks it.
fn udp_length_packets() -> Vec<Vec<u8>> {
    let (a6, b6) = (v6("2001:db8::1"), v6("2001:db8::2"));
    let mut v = Vec::new();
    for six in [false, true] {
        for (ulen, data, trailer) in [(20u16, 12, 8), (28, 12, 0), (12, 4, 0), (4, 12, 0)] {
            let mut d = udp(40000, 9999, &vec![0x61; data]);
            d[4..6].copy_from_slice(&ulen.to_be_bytes());
            d[6..8].fill(0);
            let covered = &d[..usize::from(ulen).clamp(8, d.len())];
            let mut pseudo = Vec::new();
            if six {
                pseudo.extend_from_slice(&a6);
                pseudo.extend_from_slice(&b6);
            } else {
                pseudo.extend_from_slice(&A4);
                pseudo.extend_from_slice(&B4);
            }
            pseudo.extend_from_slice(&[0, UDP]);
            pseudo.extend_from_slice(&(covered.len() as u16).to_be_bytes());
            pseudo.extend_from_slice(covered);
            let sum = ones_complement(&pseudo);
            d[6..8].copy_from_slice(&sum.to_be_bytes());
            d.extend(std::iter::repeat_n(0x74, trailer));
            let (mut p, at) = if six {
                (ipv6(a6, b6, UDP, &d), 40)
            } else {
                (ipv4(A4, B4, UDP, &d), 20)
            };
            // The builders fill in their own checksum, over the IP length.
            p[at + 6..at + 8].copy_from_slice(&sum.to_be_bytes());
            v.push(p);
        }
    }
    // DNS whose UDP length leaves out a trailer.
    let mut d = udp(40000, 53, &dns_query(77, "www.example.org", 28));
    let ulen = d.len() as u16;
    d.extend_from_slice(&[0; 6]);
    d[4..6].copy_from_slice(&ulen.to_be_bytes());
    v.push(ipv4(A4, B4, UDP, &d));
    // An IP payload too short for the UDP header.
    v.push(ipv4(A4, B4, UDP, &udp(40000, 9999, &[])[..6]));
    v
}

#[test]
fn udp_length_field_matches_tcpdump() {
    need_tcpdump();
    // Cut inside the UDP header: after the ports, in and after the length field.
    compare_whole_and_cut(
        "udp-length",
        &on_ethernet(&udp_length_packets()),
        &[37, 38, 39, 40, 41, 42, 50, 57, 58, 59, 60, 61, 62],
        &[&[], &["-vv"], &["-X"]],
    );
}

/// One LLDP TLV: 7 bits of type, 9 of length, the value.
fn lldp_tlv(t: u16, v: &[u8]) -> Vec<u8> {
    let mut b = ((t << 9) | v.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(v);
    b
}

/// An organisation-specific LLDP TLV: OUI, subtype, the rest.
fn lldp_org(oui: [u8; 3], sub: u8, v: &[u8]) -> Vec<u8> {
    lldp_tlv(127, &[&oui[..], &[sub], v].concat())
}

/// LLDP frames, a few TLVs each, with every organisation TLV tcpdump decodes beyond the common
/// 802.1/802.3 ones: 802.1 subtypes 8-14, TIA LLDP-MED, IANA's MUD URL and DCBX 1.01, each
/// also too short for its fields, with bad inner lengths, and with the values that pick the
/// other names and branches.
fn lldp_org_frames() -> Vec<Vec<u8>> {
    let (i8021, tia, iana, dcbx) = (
        [0x00, 0x80, 0xc2],
        [0x00, 0x12, 0xbb],
        [0x00, 0x00, 0x5e],
        [0x00, 0x1b, 0x21],
    );
    let ets = |head: u8| {
        let mut v = vec![head, 0x01, 0x23, 0x45, 0xf7];
        v.extend_from_slice(&[12, 13, 100, 0, 255, 1, 9, 50]);
        v.extend_from_slice(&[0, 1, 2, 255, 0, 0, 0, 8]);
        v
    };
    let civic = |lci: &[u8]| [&[2, lci.len() as u8][..], lci].concat();
    let good_civic = [
        &[2, b'U', b'S'][..],
        &[1, 2, b'C', b'A'],
        &[3, 9],
        b"San Diego",
        &[6, 4],
        b"M\x01in",
    ]
    .concat();
    let ctl = lldp_tlv(1, &[0, 1, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xfe]);
    let pg = lldp_tlv(
        2,
        &[
            0, 0, 0xe0, 0, 0x01, 0x23, 0x45, 0x67, 10, 20, 30, 40, 0, 0, 0, 100, 8,
        ],
    );
    let pfc = lldp_tlv(3, &[0, 0, 0x40, 1, 0x88, 8]);
    let app = lldp_tlv(
        4,
        &[
            0, 0, 0x80, 0, 0x89, 0x06, 0x00, 0x1b, 0x21, 0x08, 0x0c, 0xbc, 0x40, 0, 0, 0x03, 9, 9,
        ],
    );
    let groups: Vec<Vec<Vec<u8>>> = vec![
        vec![
            lldp_org(i8021, 8, &[0xa5, 0x3c]),
            lldp_org(i8021, 8, &[0xa5]),
            lldp_org(i8021, 11, &[0xd8, 0x09]),
            lldp_org(i8021, 11, &[0x5f]),
            lldp_tlv(127, &i8021),
        ],
        vec![
            lldp_org(i8021, 9, &ets(0xc3)),
            lldp_org(i8021, 9, &ets(0x3c)[..20]),
        ],
        vec![lldp_org(i8021, 10, &ets(7)), lldp_org(i8021, 10, &[7; 19])],
        vec![
            lldp_org(i8021, 12, &[0x0f, 0x61, 0x89, 0x06, 0xfa, 0x0c, 0xbc]),
            lldp_org(i8021, 12, &[0x11]),
            lldp_org(i8021, 12, &[0, 1, 2]),
            lldp_org(i8021, 12, &[]),
        ],
        vec![
            lldp_org(i8021, 13, &[0xff, 0xff, 0xe7, 0xe5, 0x6a]),
            lldp_org(i8021, 13, &[0x05, 0x0a, 0x21, 0x80, 0x3f]),
            lldp_org(i8021, 13, &[1, 2, 3, 4]),
        ],
        vec![
            lldp_org(
                i8021,
                14,
                &[0xb8, 0, 0xf1, 0x02, 0x00, 0x10, 0x01, 0xff, 0xff, 0xff],
            ),
            lldp_org(i8021, 14, &[0x48, 0, 0, 5]),
            lldp_org(i8021, 14, &[0x48, 0, 0, 5, 1]),
            lldp_org(i8021, 14, &[0x48, 0, 0]),
        ],
        vec![
            lldp_org(tia, 1, &[0x00, 0x3f, 0x03]),
            lldp_org(tia, 1, &[0xff, 0xc0, 9]),
            lldp_org(tia, 1, &[0, 1]),
            lldp_org(tia, 2, &[1, 0x7f, 0xff, 0xee]),
            lldp_org(tia, 2, &[0x20, 0x80, 0x01, 0x2e]),
            lldp_org(tia, 2, &[1, 0x7f, 0xff]),
            lldp_tlv(127, &[0x00, 0x12, 0xbb]),
        ],
        vec![
            lldp_org(
                tia,
                3,
                &[
                    1, 0x2b, 0x9f, 0x12, 0x34, 0x56, 0x27, 0xcd, 0xef, 0x01, 0x23, 0x1a, 0x40,
                    0x00, 0x12, 0x34, 0x01,
                ],
            ),
            lldp_org(
                tia,
                3,
                &[
                    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0xff, 0xff, 0xff, 0xff, 9,
                ],
            ),
            lldp_org(
                tia,
                3,
                &[
                    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0xff, 0xff, 0xff, 0xff,
                ],
            ),
        ],
        vec![
            lldp_org(tia, 3, &[&civic(&good_civic)[..], &[0]].concat()),
            lldp_org(tia, 3, &civic(&good_civic)),
            lldp_org(
                tia,
                3,
                &[&civic(&[9, b'D', b'E', 0, 3, b'a'])[..], &[0]].concat(),
            ),
            lldp_org(tia, 3, &[&civic(&[1, b'D', b'E', 1, 0])[..], &[0]].concat()),
        ],
        vec![
            lldp_org(
                tia,
                3,
                &[&civic(&[2, b'X', 0, 1, 5, b'a'])[..], &[0]].concat(),
            ),
            lldp_org(tia, 3, &[&civic(&[2, b'F', b'R', 1])[..], &[0]].concat()),
            lldp_org(tia, 3, &[2, 2, 1, 2, 3]),
            lldp_org(tia, 3, &[2]),
            lldp_org(tia, 3, &[3, b'9', b'1', b'1', 0, b'x']),
            lldp_org(
                tia,
                3,
                &[9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
            ),
            lldp_org(tia, 3, &[0]),
            lldp_org(tia, 3, &[]),
        ],
        vec![
            lldp_org(tia, 4, &[0x51, 0x00, 0x7d]),
            lldp_org(tia, 4, &[0x8f, 0x04, 0x00]),
            lldp_org(tia, 4, &[0x60, 0x03, 0xff]),
            lldp_org(tia, 4, &[0x00, 0x00, 0x00]),
            lldp_org(tia, 4, &[0x00, 0x00]),
            lldp_org(tia, 12, &[1, 2]),
        ],
        vec![
            lldp_org(tia, 5, b"1.0"),
            lldp_org(tia, 6, b"2.3\0x"),
            lldp_org(tia, 7, b"v9\x80"),
            lldp_org(tia, 8, b"SN-1"),
            lldp_org(tia, 9, b"ACME"),
            lldp_org(tia, 10, b"phone"),
            lldp_org(tia, 11, b""),
        ],
        // Management addresses of the families af.c names oddly (25 VPLS, 196 Layer-2 VPN).
        vec![
            lldp_tlv(8, &[5, 25, 1, 2, 3, 4, 2, 0, 0, 0, 1, 0]),
            lldp_tlv(8, &[5, 196, 1, 2, 3, 4, 2, 0, 0, 0, 1, 0]),
            lldp_tlv(8, &[5, 26, 1, 2, 3, 4, 2, 0, 0, 0, 1, 0]),
        ],
        vec![
            lldp_org(iana, 1, b"https://example.com/mud\0\x7f"),
            lldp_org(iana, 1, &[1, 2, 3]),
            lldp_org(iana, 1, &[1, 2, 3, 4]),
            lldp_org(iana, 2, &[0xaa; 5]),
            lldp_tlv(127, &[0, 0, 0x5e, 1]),
        ],
        vec![
            lldp_org(dcbx, 2, &[&ctl[..], &pg, &pfc].concat()),
            lldp_org(dcbx, 1, &ctl),
            lldp_org(dcbx, 9, &[]),
        ],
        vec![
            lldp_org(dcbx, 2, &[&app[..], &lldp_tlv(9, &[1, 2, 3])].concat()),
            lldp_org(dcbx, 2, &[&lldp_tlv(9, &[1])[..], &app].concat()),
        ],
        vec![
            lldp_org(dcbx, 2, &[&ctl[..], &lldp_tlv(1, &[0; 9]), &pfc].concat()),
            lldp_org(dcbx, 2, &[&lldp_tlv(2, &[0; 16])[..], &pfc].concat()),
            lldp_org(dcbx, 2, &[&lldp_tlv(3, &[0; 5])[..]].concat()),
            lldp_org(dcbx, 2, &[&lldp_tlv(4, &[0; 3])[..]].concat()),
            lldp_org(dcbx, 2, &[&pfc[..], &lldp_tlv(9, &[0; 9])[..7]].concat()),
            lldp_org(dcbx, 2, &[&lldp_tlv(0, &[])[..], &pfc].concat()),
            lldp_org(dcbx, 2, &[&pfc[..], &[0]].concat()),
            lldp_tlv(127, &[0, 0x1b, 0x21]),
        ],
    ];
    groups
        .into_iter()
        .map(|g| {
            let mut b = g.concat();
            b.extend_from_slice(&lldp_tlv(0, &[]));
            ether([0x01, 0x80, 0xc2, 0, 0, 0x0e], MAC_A, 0x88cc, &b)
        })
        .collect()
}

#[test]
fn lldp_organisation_tlvs_match_tcpdump_whole_and_cut() {
    need_tcpdump();
    let frames = lldp_org_frames();
    let longest = frames.iter().map(Vec::len).max().unwrap();
    // Every byte from the LLDP header on, so each TLV of each frame is cut at each byte.
    let snaps: Vec<usize> = (14..longest).collect();
    compare_whole_and_cut("lldp-org", &frames, &snaps, &[&[], &["-v"], &["-vv"]]);
}

/// An IPv4 MPTCP stream socket, None where the kernel has no MPTCP.
fn mptcp_socket() -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: socket(2) with constant arguments; a descriptor it returns is ours alone.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_MPTCP) };
    // SAFETY: fd is a fresh descriptor no one else owns.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

fn sockaddr(ip: [u8; 4], port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip),
        },
        sin_zero: [0; 8],
    }
}

/// bind(2) then listen(2), or connect(2), on `fd`; the call's result.
fn mptcp_bind_or_connect(fd: &std::os::fd::OwnedFd, ip: [u8; 4], port: u16, listen: bool) -> i32 {
    use std::os::fd::AsRawFd;
    let a = sockaddr(ip, port);
    let (p, l) = (
        &a as *const libc::sockaddr_in as *const libc::sockaddr,
        std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
    );
    // SAFETY: `a` outlives the calls, and `l` is its size.
    unsafe {
        if listen {
            match libc::bind(fd.as_raw_fd(), p, l) {
                0 => libc::listen(fd.as_raw_fd(), 1),
                e => e,
            }
        } else {
            libc::connect(fd.as_raw_fd(), p, l)
        }
    }
}

/// Runs `f` on a thread inside `ns`: a thread may change its network namespace alone.
fn in_netns<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).unwrap();
        nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        f()
    })
}

/// Real MPTCP between two namespaces (the handshake's MP_CAPABLE, an ADD_ADDR the server
/// announces, the MP_JOIN subflow it brings, DSS with checksums on the data), recorded by
/// tcpdump and printed by both: every mode, and cut inside the options.
#[test]
fn real_mptcp_traffic_matches_tcpdump() {
    use std::io::{BufRead, Read, Write};
    use std::net::TcpStream;
    need_tcpdump();
    // Root and a kernel with MPTCP are this machine's to give: without them, nothing to see.
    if !nix::unistd::geteuid().is_root() || mptcp_socket().is_none() {
        eprintln!("needs root and a kernel with MPTCP: skipped");
        return;
    }
    let (client, server) = (common::Netns::new("mpc"), common::Netns::new("mps"));
    // No IPv6 on the link: its router and multicast chatter is not what this test is about.
    for ns in [&client, &server] {
        common::sh(&format!(
            "ip netns exec {} sysctl -q net.ipv6.conf.default.disable_ipv6=1",
            ns.name
        ));
    }
    let dev = common::veth(&server, &client, "10.78.1", "mpv");
    // A second server address, announced (ADD_ADDR) and joined (MP_JOIN) by the client.
    common::sh(&format!(
        "ip -n {s} addr add 10.78.1.3/24 dev eth0 && \
         ip netns exec {s} sysctl -q net.mptcp.checksum_enabled=1 && \
         ip -n {s} mptcp limits set subflow 2 add_addr_accepted 2 && \
         ip -n {c} mptcp limits set subflow 2 add_addr_accepted 2 && \
         ip -n {s} mptcp endpoint add 10.78.1.3 dev eth0 signal",
        s = server.name,
        c = client.name
    ));
    let f = file("mptcp-real.pcap");
    let _ = std::fs::remove_file(&f);
    let mut dump = Reaped(
        Command::new("ip")
            .args(["netns", "exec", &client.name, "tcpdump", "-i", &dev])
            .args(["-Z", "root", "--immediate-mode", "-U", "-s", "0", "-w"])
            .arg(&f)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut err = std::io::BufReader::new(dump.0.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("listening on"), "tcpdump: {line}");
    let (tx, rx) = std::sync::mpsc::channel();
    let srv = in_netns(&server.name, move || {
        let fd = mptcp_socket().unwrap();
        // Any address: the joining subflow comes to the announced one.
        assert_eq!(mptcp_bind_or_connect(&fd, [0, 0, 0, 0], 5000, true), 0);
        tx.send(()).unwrap();
        let l = std::net::TcpListener::from(fd);
        let (mut c, _) = l.accept().unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match c.read(&mut buf).unwrap() {
                0 => break,
                n => c.write_all(&buf[..n]).unwrap(),
            }
        }
    });
    rx.recv().unwrap();
    let cli = in_netns(&client.name, || {
        let fd = mptcp_socket().unwrap();
        assert_eq!(mptcp_bind_or_connect(&fd, [10, 78, 1, 2], 5000, false), 0);
        let mut s = TcpStream::from(fd);
        let mut buf = [0u8; 3000];
        for _ in 0..20 {
            s.write_all(&[b'x'; 3000]).unwrap();
            s.read_exact(&mut buf).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Everything read before the close, so that it ends in FINs, not a reset.
        s.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 0);
    });
    cli.join().unwrap();
    srv.join().unwrap();
    // The FIN exchange reaches the capture before tcpdump is told to stop.
    std::thread::sleep(std::time::Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(dump.0.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    assert!(dump.0.wait().unwrap().success());
    let text = lines("tcpdump", &["-n", "-r", f.to_str().unwrap()]).join("\n");
    for want in ["mptcp 4 capable v1", "mptcp 20 capable", " dss ack "] {
        assert!(text.contains(want), "no {want:?} in\n{text}");
    }
    compare_modes(&f);
    for m in VERBOSE {
        compare(&f, m);
    }
    // Cut at every byte of the IPv4 and TCP headers with their options.
    let frames = pcap_frames(&f);
    for snap in 54..=110 {
        let cut = file(&format!("mptcp-real-snap{snap}.pcap"));
        write(&cut, 1, &frames, snap);
        for m in [&[][..], &["-v"]] {
            compare(&cut, m);
        }
    }
}

/// A child killed and reaped on drop, so that a failing test leaves no capture running.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The frames of a classic pcap file in this host's byte order, as tcpdump -w writes it.
fn pcap_frames(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap();
    assert_eq!(b[..4], 0xa1b2_c3d4u32.to_ne_bytes(), "{}", path.display());
    let u32_at = |i: usize| u32::from_ne_bytes(b[i..i + 4].try_into().unwrap()) as usize;
    let mut v = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let caplen = u32_at(at + 8);
        assert_eq!(caplen, u32_at(at + 12), "a frame cut by the capture");
        v.push(b[at + 16..at + 16 + caplen].to_vec());
        at += 16 + caplen;
    }
    v
}

/// Redis's protocol on port 6379 (print-resp.c): every kind of item, pipelined commands, inline
/// commands, the bytes fn_print_char escapes, and every way a length can be wrong; in every
/// mode, and cut at every byte of the payloads (tcpdump ends the line with ` [|resp]`).
#[test]
fn redis_resp_matches_tcpdump() {
    need_tcpdump();
    let payloads: &[&[u8]] = &[
        b"*5\r\n$6\r\nLRANGE\r\n$6\r\nmylist\r\n$1\r\n0\r\n$1\r\n9\r\n$3\r\nxyz\r\n",
        b"+OK\r\n",
        b"-ERR unknown command 'FOO'\r\n",
        b":1000\r\n:-5\r\n",
        b"$-1\r\n*0\r\n*-1\r\n$0\r\n\r\n",
        b"*2\r\n$4\r\nINCR\r\n$1\r\nz\r\n*2\r\n$4\r\nINCR\r\n$1\r\nz\r\n",
        b"PING\r\nPING\r\n",
        b"$5\r\nab\x01\x9fc\r\n",
        b"*2\r\n$3\r\nGET\r\n$10\r\nabc",
        b"$-2\r\n",
        b"$99999999999\r\n",
        b"$2147483648\r\n",
        b"$2147483647\r\nab",
        b"*x\r\n",
        b"$3\r\nabcXY\r\n",
        b"\r\n\r\nfoo\nbar",
        b"*1\r\n+OK",
        b"$3\rxabc\r\n",
        b"*2\r\n*1\r\n:1\r\n*-7\r\n",
        b"\n",
    ];
    let mut frames = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let (sp, dp) = if i % 2 == 0 {
            (40000, 6379)
        } else {
            (6379, 40000)
        };
        let seq = 1000 + 100 * i as u32;
        frames.push(ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(A4, B4, TCP, &tcp(sp, dp, seq, 7, PSH | ACK, 502, &[], p)),
        ));
    }
    // Ethernet (14) + IPv4 (20) + TCP (20): the payloads start at byte 54. A cut read by a
    // jumping getter makes -x dump from the frame's first byte, one found by a check after the
    // link header.
    let longest = payloads.iter().map(|p| p.len()).max().unwrap();
    let snaps: Vec<usize> = (54..=54 + longest).collect();
    compare_whole_and_cut("resp", &frames, &snaps, &[&[], &["-v"], &["-x"]]);
    // Arrays nested 16 000 deep in one segment (loopback carries 64 KiB ones): printed, not a
    // stack overflow, also on a 1 MiB stack (a recursive parser ran out there).
    let mut deep = b"*1\r\n".repeat(16_000);
    deep.extend_from_slice(b":1\r\n");
    let t = tcp(40000, 6379, 1, 7, PSH | ACK, 502, &[], &deep);
    let frames = [ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, TCP, &t))];
    let f = file("resp-deep.pcap");
    write(&f, 1, &frames, usize::MAX);
    compare(&f, &[]);
    let small = ok_stdout(Command::new("sh").arg("-c").arg(format!(
        "ulimit -s 1024 && exec {} -r {}",
        env!("CARGO_BIN_EXE_nscap"),
        f.display()
    )));
    assert!(small.trim_end().ends_with("RESP \"1\""), "{small}");
}

/// The text protocols (txtproto_print in util-print.c): SMTP (25), whois (43), FTP (21) print
/// any segment's first line; RTSP (554, 8554), HTTP and SIP (UDP 5060) only request and status
/// lines; with -v
/// every line. Ports in tcpdump's order (telnet before SMTP, SMTP before whois, Redis before
/// FTP ...), text with and without line ends, bytes that stop the text, tokens longer than
/// tcpdump's 128; in every mode and cut at every byte (` [|smtp]` and the like).
#[test]
fn text_protocols_match_tcpdump() {
    need_tcpdump();
    let long_token = [b"DESCRIBE".as_slice(), &[b'x'; 140], b" rtsp://a\r\n"].concat();
    let cases: &[(u16, u16, &[u8])] = &[
        (40000, 25, b"EHLO client.example\r\n"),
        (
            25,
            40000,
            b"250-mail.example Hello\r\n250-SIZE 10240000\r\n250 HELP\r\n",
        ),
        (25, 40000, b"220 mail.example ESMTP\n"),
        (40000, 25, b"DATA with no line end"),
        (40000, 25, b"bin\x01ary\r\n"),
        (40000, 25, b"cr\ronly\r\n"),
        (40000, 25, b"\ttab first\r\n\r\n"),
        (40001, 43, b"example.com\r\n"),
        (
            43,
            40001,
            b"Domain Name: EXAMPLE.COM\r\nRegistry Domain ID: 1\r\n",
        ),
        (40002, 21, b"USER anonymous\r\n"),
        (21, 40002, b"230 Login successful.\r\n"),
        (
            40003,
            554,
            b"DESCRIBE rtsp://cam/stream RTSP/1.0\r\nCSeq: 2\r\n\r\n",
        ),
        (554, 40003, b"RTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\n"),
        (8554, 40004, b"v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\n"),
        (40004, 8554, b"teardown rtsp://x RTSP/1.0\r\n"),
        (40004, 8554, &long_token),
        (
            40005,
            80,
            b"GET /index.html HTTP/1.1\r\nHost: web\r\nUser-Agent: curl\r\n\r\n",
        ),
        (
            80,
            40005,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        ),
        // Earlier ports win: telnet over SMTP, SMTP over whois, Redis over FTP, FTP over HTTP.
        (23, 25, b"EHLO x\r\n"),
        (25, 43, b"EHLO y\r\n"),
        (6379, 21, b"USER z\r\n"),
        (21, 80, b"GET / HTTP/1.0\r\n"),
        // NetBIOS and SMB come before HTTP and FTP only in builds with ENABLE_SMB, which
        // Debian's tcpdump is not.
        (139, 80, b"GET /share HTTP/1.1\r\n"),
        (445, 21, b"USER smb\r\n"),
        (554, 53, b"OPTIONS * RTSP/1.0\r\n"),
    ];
    let mut frames = Vec::new();
    for (i, (sp, dp, p)) in cases.iter().enumerate() {
        let seq = 1000 + 100 * i as u32;
        frames.push(ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(A4, B4, TCP, &tcp(*sp, *dp, seq, 7, PSH | ACK, 502, &[], p)),
        ));
    }
    // SIP over UDP (5060): requests, responses, and what is neither.
    let sip: &[&[u8]] = &[
        b"INVITE sip:bob@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.7.1\r\nCSeq: 1 INVITE\r\n\r\n",
        b"SIP/2.0 180 Ringing\r\nCSeq: 1 INVITE\r\n\r\n",
        b"register sip:example.org SIP/2.0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n",
        b"\r\n\r\n",
    ];
    for (i, p) in sip.iter().enumerate() {
        let (sp, dp) = if i % 2 == 0 {
            (40010, 5060)
        } else {
            (5060, 40010)
        };
        frames.push(ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(A4, B4, UDP, &udp(sp, dp, p)),
        ));
    }
    // Resets that carry data (a reason): tcpdump prints it at -v, and no application layer.
    for (i, p) in [
        &b"GET / HTTP/1.1\r\n"[..],
        b"connection reset by peer, too many streams open at once",
        b"bin\x01\xff",
    ]
    .iter()
    .enumerate()
    {
        let t = tcp(40020, 80, 9000 + i as u32, 0, RST, 0, &[], p);
        frames.push(ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, TCP, &t)));
    }
    let longest = cases.iter().map(|c| c.2.len()).max().unwrap();
    let snaps: Vec<usize> = (42..=54 + longest).collect();
    compare_whole_and_cut("text", &frames, &snaps, &[&[], &["-v"], &["-x"]]);
}

/// A BOOTP message: op, htype, hlen, addresses, client hardware address, sname, file, and the
/// vendor area (`vend`, the magic cookie included).
fn bootp_msg(op: u8, htype: u8, hlen: u8, sname: &[u8], file: &[u8], vend: &[u8]) -> Vec<u8> {
    let mut b = vec![op, htype, hlen, 2];
    b.extend_from_slice(&0x3903_f326u32.to_be_bytes());
    b.extend_from_slice(&[0, 9, 0x80, 0]); // secs 9, broadcast
    for a in [
        [0, 0, 0, 0],
        [192, 168, 7, 20],
        [192, 168, 7, 1],
        [10, 0, 0, 1],
    ] {
        b.extend_from_slice(&a);
    }
    let mut ch = [0u8; 16];
    ch[..6].copy_from_slice(&[0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    b.extend_from_slice(&ch);
    let mut field = |v: &[u8], size: usize| {
        let mut f = v.to_vec();
        f.resize(size, 0);
        b.extend_from_slice(&f);
    };
    field(sname, 64);
    field(file, 128);
    b.extend_from_slice(vend);
    b
}

/// BOOTP and DHCP on UDP ports 67 and 68 (print-bootp.c): requests and replies, other hardware
/// types, sname and file, and options of every format (addresses, numbers signed and not,
/// text, booleans, pairs, bytes), every special one (client ID of both kinds, FQDN flags,
/// relay agent sub-options known and not, classless routes and their errors, user classes,
/// NetBIOS node, overload), unknown options of odd and even lengths, trailing data, padding
/// and the end (-vvv shows them), CMU's vendor area; in every mode, cut at every byte.
#[test]
fn bootp_and_dhcp_match_tcpdump() {
    need_tcpdump();
    let cookie = [99u8, 130, 83, 99];
    let opt = |t: u8, v: &[u8]| [&[t, v.len() as u8][..], v].concat();
    let discover = [
        cookie.to_vec(),
        opt(53, &[1]),
        opt(61, &[1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56]),
        opt(
            55,
            &[1, 3, 6, 15, 26, 28, 51, 58, 59, 43, 121, 249, 252, 200],
        ),
        opt(57, &[0x05, 0xdc]),
        opt(12, b"web-7d9c"),
        opt(60, b"udhcp 1.36.1"),
        opt(81, &[0x05, 0, 0, b'w', b'e', b'b']),
        opt(77, &[3, b'a', b'b', b'c', 2, b'x', b'y']),
        vec![0, 0, 0],
        opt(255, &[]),
        vec![0, 0],
    ]
    .concat();
    let offer = [
        cookie.to_vec(),
        opt(53, &[2]),
        opt(54, &[192, 168, 7, 1]),
        opt(51, &[0, 0, 0x0e, 0x10]),
        opt(1, &[255, 255, 255, 0]),
        opt(3, &[192, 168, 7, 1, 192, 168, 7, 2]),
        opt(6, &[1, 1, 1, 1, 8, 8, 8, 8]),
        opt(2, &[0xff, 0xff, 0xf1, 0xf0]),
        opt(15, b"example.org"),
        opt(19, &[0, 1, 7]),
        opt(33, &[10, 0, 0, 0, 192, 168, 7, 1]),
        opt(
            121,
            &[
                24, 10, 1, 2, 192, 168, 7, 1, 0, 192, 168, 7, 1, 32, 1, 2, 3, 4, 5, 6, 7, 8,
            ],
        ),
        opt(249, &[33, 1, 2, 3, 4, 5]),
        opt(46, &[8]),
        opt(52, &[3]),
        opt(
            82,
            &[
                1, 4, b'e', b't', b'h', b'0', 2, 2, 0xab, 0xcd, 9, 3, 1, 2, 3,
            ],
        ),
        opt(61, &[0, b'i', b'd']),
        opt(61, &[0x21, 1, 2]),
        opt(200, &[1, 2, 3]),
        opt(201, &[1, 2]),
        opt(202, &[1, 2, 3, 4, 5, 6, 7, 8]),
        opt(53, &[1, 2]),
        opt(53, &[99]),
        opt(1, &[255, 255, 255, 0, 1]),
        opt(26, &[5, 220, 0]),
        opt(81, &[0xf3, 1, 2, b'x']),
        opt(81, &[1]),
        opt(77, &[0]),
        opt(77, &[5, b'a']),
        opt(121, &[1]),
        opt(82, &[1, 9, b'x']),
        opt(255, &[]),
    ]
    .concat();
    let mut cmu = b"CMU\0".to_vec();
    cmu.extend_from_slice(&[0x03, 0, 0, 0]);
    for a in [
        [255, 255, 255, 0],
        [192, 168, 7, 1],
        [1, 1, 1, 1],
        [0, 0, 0, 0],
        [2, 2, 2, 2],
        [0; 4],
        [3, 3, 3, 3],
        [4, 4, 4, 4],
    ] {
        cmu.extend_from_slice(&a);
    }
    cmu.extend_from_slice(&[0; 24]);
    let payloads: Vec<(u16, u16, Vec<u8>)> = vec![
        (68, 67, bootp_msg(1, 1, 6, b"", b"", &discover)),
        (
            67,
            68,
            bootp_msg(2, 1, 6, b"boot.example", b"pxelinux.0", &offer),
        ),
        (68, 67, bootp_msg(1, 6, 6, b"", b"", &discover)),
        (68, 67, bootp_msg(3, 1, 16, b"x", b"", &[0, 0, 0, 0])),
        (67, 68, bootp_msg(2, 1, 6, b"", b"", &[0, 0, 0, 7])),
        (67, 68, bootp_msg(2, 1, 6, b"", b"", &cmu)),
        (67, 67, bootp_msg(1, 1, 6, &[b'a'; 64], b"", &cookie)),
    ];
    let frames: Vec<Vec<u8>> = payloads
        .iter()
        .map(|(sp, dp, p)| ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, UDP, &udp(*sp, *dp, p))))
        .collect();
    // Ethernet (14) + IPv4 (20) + UDP (8): BOOTP starts at byte 42; its options at 282.
    let longest = payloads.iter().map(|p| p.2.len()).max().unwrap();
    let mut snaps: Vec<usize> = (42..60).step_by(1).collect();
    snaps.extend((60..=42 + longest).step_by(3));
    compare_whole_and_cut(
        "bootp",
        &frames,
        &snaps,
        &[&[], &["-v"], &["-vvv"], &["-x"]],
    );
    for m in [&["-vv"][..], &["-vvv"]] {
        compare(&file("bootp.pcap"), m);
    }
}

/// VRRP (IP protocol 112, print-vrrp.c): versions 2 and 3 over IPv4 and IPv6, each kind of
/// authentication and an unknown one, no, one and several addresses, a TTL other than 255,
/// checksums right and wrong, unknown types and versions; in every mode, cut at every byte.
#[test]
fn vrrp_matches_tcpdump() {
    need_tcpdump();
    let sum = |b: &mut Vec<u8>| {
        let mut acc = 0u32;
        for w in b.chunks(2) {
            acc += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
        }
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        let c = !(acc as u16);
        b[6..8].copy_from_slice(&c.to_be_bytes());
    };
    let v2 = |auth: u8, addrs: &[[u8; 4]], pass: &[u8], fix: bool| {
        let mut b = vec![0x21, 51, 100, addrs.len() as u8, auth, 1, 0, 0];
        for a in addrs {
            b.extend_from_slice(a);
        }
        b.extend_from_slice(pass);
        if fix {
            sum(&mut b);
        }
        b
    };
    let vip = [192, 168, 7, 100];
    let group = [224, 0, 0, 18];
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut v4 = |ttl: u8, p: Vec<u8>| {
        frames.push(ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4_full(A4, group, 112, 1, 0, ttl, &[], &p),
        ));
    };
    v4(255, v2(0, &[vip], &[0; 8], true));
    v4(
        255,
        v2(1, &[vip, [10, 0, 0, 1], [10, 0, 0, 2]], b"secret\0\0", true),
    );
    v4(255, v2(1, &[vip], b"12345678", true));
    v4(255, v2(2, &[], &[0; 8], true));
    v4(255, v2(7, &[vip], &[0; 8], true));
    v4(64, v2(0, &[vip], &[0; 8], false));
    // Version 3 over IPv4 (its checksum covers a pseudo-header: left wrong here).
    v4(255, vec![0x31, 9, 200, 1, 0x00, 0x64, 0, 0, 10, 9, 9, 9]);
    v4(255, vec![0x32, 9, 200, 0, 0, 100, 0, 0]);
    v4(255, vec![0x11, 9, 200, 0, 0, 100, 0, 0]);
    v4(255, vec![0x41, 9, 200, 0, 0, 100, 0, 0]);
    let a6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let ff = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12];
    let mut v3 = vec![0x31, 9, 200, 2, 0x0f, 0xff, 0, 0];
    v3.extend_from_slice(&a6);
    v3.extend_from_slice(&[
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64,
    ]);
    let mut six = ipv6(a6, ff, 112, &v3);
    six[7] = 255;
    frames.push(ether(MAC_B, MAC_A, 0x86dd, &six));
    // IPv4's messages start at byte 34, IPv6's at 54 and end at 94.
    let snaps: Vec<usize> = (34..=94).collect();
    compare_whole_and_cut("vrrp", &frames, &snaps, &[&[], &["-v"], &["-x"]]);
}

/// An NTP time message: LI/VN/mode, stratum, poll, precision, root delay and dispersion,
/// reference ID, then the four time stamps (seconds, fraction).
fn ntp_msg(
    status: u8,
    stratum: u8,
    poll: i8,
    prec: i8,
    refid: [u8; 4],
    ts: [(u32, u32); 4],
) -> Vec<u8> {
    let mut b = vec![status, stratum, poll as u8, prec as u8];
    b.extend_from_slice(&[0x00, 0x01, 0x80, 0x00]); // root delay 1.5
    b.extend_from_slice(&[0x00, 0x00, 0x0c, 0x4a]); // root dispersion
    b.extend_from_slice(&refid);
    for (sec, frac) in ts {
        b.extend_from_slice(&sec.to_be_bytes());
        b.extend_from_slice(&frac.to_be_bytes());
    }
    b
}

/// NTP on UDP port 123 (print-ntp.c): every mode, version and leap indicator, the strata that
/// change the reference ID (text, address, hex), polls and precisions of both signs, time
/// stamps with dates and differences of every sign, key IDs and digests, control messages,
/// short (invalid) messages; and print-udp.c's port order around it (DNS before NTP before
/// syslog before VXLAN). In every mode, cut at every byte.
#[test]
fn ntp_and_the_udp_port_order_match_tcpdump() {
    need_tcpdump();
    let t = |s: u32, f: u32| (s, f);
    let now = 3_974_371_200; // 2025-12-07
    let ts = [
        t(now - 64, 0x8000_0000),
        t(now, 0x1234_5678),
        t(now + 1, 0x0000_0001),
        t(now + 1, 0xffff_ffff),
    ];
    let mut payloads: Vec<Vec<u8>> = vec![
        ntp_msg(0x23, 0, 6, -20, [0; 4], [t(0, 0), t(0, 0), t(0, 0), ts[3]]),
        ntp_msg(0x24, 1, 6, -23, *b"GPS\0", ts),
        ntp_msg(0x1c, 2, 10, -6, [192, 0, 2, 1], ts),
        ntp_msg(0xdb, 16, -3, 0, [1, 2, 3, 4], ts),
        ntp_msg(0x63, 3, 17, 5, [9, 9, 9, 9], [ts[1], ts[0], ts[1], ts[0]]),
        ntp_msg(0xa1, 4, 40, -40, [0; 4], [ts[0], ts[2], ts[3], ts[1]]),
        ntp_msg(0x22, 62, 4, 0, [10, 0, 0, 1], ts),
        ntp_msg(0x25, 63, 4, 0, [10, 0, 0, 2], ts),
        ntp_msg(
            0x20,
            2,
            0,
            0,
            [0; 4],
            [
                t(1, 1),
                t(2_208_988_800, 0),
                t(2_208_988_799, 5),
                t(u32::MAX, u32::MAX),
            ],
        ),
        ntp_msg(0x27, 2, 6, 0, [0; 4], ts),
        ntp_msg(0x1b, 2, 6, 0, [0; 4], ts),
        // Control messages: no data, data, a count beyond the message.
        vec![0x26, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0],
        [
            vec![0x26, 0xc2, 0x00, 0x02, 0x06, 0x15, 0x00, 0x07, 0, 0, 0, 4],
            b"abcd".to_vec(),
        ]
        .concat(),
        vec![0x26, 0xa2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 9],
        vec![0x26, 0x02, 0, 3],
        // Shorter than a time message.
        vec![0x23, 2, 6, 0],
    ];
    let mut with = |extra: &[u8]| {
        let mut p = ntp_msg(0x24, 2, 6, -20, [1, 1, 1, 1], ts);
        p.extend_from_slice(extra);
        payloads.push(p);
    };
    with(&[0, 0, 0, 7]);
    with(&[[0, 0, 0, 8].as_slice(), &[0xab; 16]].concat());
    with(&[[0, 0, 0, 9].as_slice(), &[0xcd; 20]].concat());
    with(&[0xee; 12]);
    let mut frames: Vec<Vec<u8>> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (sp, dp) = if i % 2 == 0 { (40000, 123) } else { (123, 123) };
            ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, UDP, &udp(sp, dp, p)))
        })
        .collect();
    // The port order: NTP before VXLAN, DNS before NTP, syslog before VXLAN.
    let order: &[(u16, u16, &[u8])] = &[
        (4789, 123, &payloads[1]),
        (
            123,
            53,
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01",
        ),
        (514, 4789, b"<13>hello"),
        // NetBIOS's ports are not in Debian's tcpdump's chain (no ENABLE_SMB).
        (137, 514, b"<13>netbios port"),
    ];
    for (sp, dp, p) in order {
        frames.push(ether(
            MAC_B,
            MAC_A,
            0x0800,
            &ipv4(A4, B4, UDP, &udp(*sp, *dp, p)),
        ));
    }
    // IP flags together (bittok2str: `+, DF, rsvd`), the checksum left as it was.
    for flags in [0x60u8, 0xe0, 0xa0] {
        let mut f = frames[0].clone();
        f[14 + 6] = flags;
        frames.push(f);
    }
    // A UDP length that covers less than the message: NTP is read on to the end of the IP
    // payload all the same (length 0, and 4), as tcpdump reads it.
    for ulen in [8u16, 12] {
        let mut f = frames[1].clone();
        f[14 + 20 + 4..14 + 20 + 6].copy_from_slice(&ulen.to_be_bytes());
        frames.push(f);
    }
    // A loose source route: the UDP checksum's pseudo-header names its last hop (-vv).
    let lsrr = [0x83, 7, 4, 10, 9, 9, 9, 0];
    frames.push(ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4_full(A4, B4, UDP, 1, 0, 64, &lsrr, &udp(40000, 123, &payloads[0])),
    ));
    // Ethernet (14) + IPv4 (20) + UDP (8): the messages start at byte 42.
    let snaps: Vec<usize> = (42..=42 + 72).collect();
    compare_whole_and_cut("ntp", &frames, &snaps, &[&[], &["-v"], &["-x"]]);
    // The NFS test comes first in print-udp.c and reads the RPC direction past a short UDP
    // length: a call to 2049 from 123 is NFS to tcpdump (which nscap does not decode), so
    // nscap must not call it NTP.
    let mut nfs = ntp_msg(0x23, 1, 6, -20, [0; 4], [(0, 0); 4]);
    nfs[4..8].copy_from_slice(&[0, 0, 0, 0]);
    let mut f = ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(A4, B4, UDP, &udp(123, 2049, &nfs)),
    );
    f[14 + 20 + 4..14 + 20 + 6].copy_from_slice(&12u16.to_be_bytes());
    let path = file("nfs-short.pcap");
    write(&path, 1, &[f], usize::MAX);
    let line = ok_stdout(
        Command::new(env!("CARGO_BIN_EXE_nscap"))
            .arg("-r")
            .arg(&path),
    );
    assert!(line.trim_end().ends_with(": UDP, length 4"), "{line}");
}

/// BGP on TCP port 179 (print-bgp.c) in tcpdump's default mode: `: BGP`, whatever the segment
/// holds, after telnet, SMTP and whois in the port order. (Its -v decoding is not ported.)
#[test]
fn bgp_one_line_form_matches_tcpdump() {
    need_tcpdump();
    let keepalive = [[0xffu8; 16].as_slice(), &[0, 19, 4]].concat();
    let cases: &[(u16, u16, &[u8])] = &[
        (40000, 179, &keepalive),
        (179, 40000, b"not bgp at all"),
        (179, 25, b"EHLO x\r\n"),
        (43, 179, b"example.org\r\n"),
        (179, 80, b"GET / HTTP/1.1\r\n"),
    ];
    let frames: Vec<Vec<u8>> = cases
        .iter()
        .enumerate()
        .map(|(i, (sp, dp, p))| {
            let t = tcp(*sp, *dp, 1000 + 100 * i as u32, 7, PSH | ACK, 502, &[], p);
            ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, TCP, &t))
        })
        .collect();
    let f = file("bgp.pcap");
    write(&f, 1, &frames, usize::MAX);
    for m in [&[][..], &["-q"], &["-x"], &["-e"]] {
        compare(&f, m);
    }
    for snap in 54..=54 + keepalive.len() {
        let cut = file(&format!("bgp-snap{snap}.pcap"));
        write(&cut, 1, &frames, snap);
        compare(&cut, &[]);
        compare(&cut, &["-x"]);
    }
}

/// A BGP message: marker, length, type, body.
fn bgp_msg(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    m.push(kind);
    m.extend_from_slice(body);
    m
}

/// A BGP path attribute: flags, type, length (two bytes with the Extended Length flag), value.
fn attr(flags: u8, kind: u8, v: &[u8]) -> Vec<u8> {
    let mut a = vec![flags, kind];
    if flags & 0x10 != 0 {
        a.extend_from_slice(&(v.len() as u16).to_be_bytes());
    } else {
        a.push(v.len() as u8);
    }
    a.extend_from_slice(v);
    a
}

/// A BGP Update: withdrawn routes, path attributes, announced routes.
fn bgp_update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut b = (withdrawn.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(withdrawn);
    b.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    b.extend_from_slice(attrs);
    b.extend_from_slice(nlri);
    bgp_msg(2, &b)
}

/// The path attributes nscap decodes, each also of a wrong length.
fn update_attrs() -> Vec<u8> {
    [
        attr(0x40, 1, &[0]),
        attr(0x40, 1, &[7]),
        attr(0x40, 1, &[0, 0]),
        attr(0x40, 2, &[2, 2, 0xfc, 0, 0xfc, 1, 1, 1, 0, 10]),
        attr(0x50, 2, &[2, 1, 0, 0, 0xfc, 0, 3, 1, 0, 0, 0, 9]),
        attr(0x40, 2, &[]),
        attr(0x40, 2, &[2]),
        attr(0xc0, 17, &[2, 1, 0, 1, 0, 0]),
        attr(0x40, 3, &[10, 99, 0, 1]),
        attr(0x40, 3, &[10, 99]),
        attr(0x80, 4, &[0, 0, 0, 100]),
        attr(0x40, 5, &[0, 0, 0, 200]),
        attr(0x40, 6, &[]),
        attr(0x40, 6, &[1]),
        attr(0xc0, 7, &[0xfc, 0, 10, 0, 0, 1]),
        attr(0xc0, 7, &[0, 0, 0xfc, 0, 10, 0, 0, 2]),
        attr(0xc0, 7, &[1]),
        attr(0xc0, 18, &[0, 1, 0, 0, 10, 0, 0, 3]),
        attr(
            0xc0,
            8,
            &[
                0xfc, 0, 0, 1, 0xff, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0xff,
                0x03, 0, 1, 0, 2,
            ],
        ),
        attr(0xc0, 8, &[1, 2]),
        attr(0x80, 9, &[10, 0, 0, 9]),
        attr(0x80, 10, &[10, 0, 0, 1, 10, 0, 0, 2]),
        attr(
            0xc0,
            32,
            &[
                0, 0, 0xfc, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0xfc, 1, 0, 0, 0, 3, 0, 0, 0, 4,
            ],
        ),
        attr(0xc0, 32, &[1, 2, 3]),
        attr(0xd3, 4, &[0, 0, 0, 1]),
    ]
    .concat()
}

/// Multiprotocol routes: IPv6 with a global and a link-local next hop and SNPAs, IPv4
/// multicast, an IPv6 End-of-RIB, withdrawn IPv6 routes, and families tcpdump has no decoder
/// for.
fn mp_attrs() -> Vec<u8> {
    let g = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let ll = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut reach6 = vec![0, 2, 1, 32];
    reach6.extend_from_slice(&g);
    reach6.extend_from_slice(&ll);
    reach6.extend_from_slice(&[1, 2, 0xaa, 0xbb]);
    reach6.extend_from_slice(&[
        48, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0,
    ]);
    let reach4 = [0, 1, 2, 4, 10, 99, 0, 1, 0, 24, 232, 1, 1];
    [
        attr(0x90, 14, &reach6),
        attr(0x80, 14, &reach4),
        attr(0x80, 14, &[0, 1, 1, 3, 10, 99, 0, 1, 0, 8, 10]),
        attr(0x80, 15, &[0, 2, 1]),
        attr(0x80, 15, &[0, 2, 1, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1]),
        attr(0x80, 15, &[0, 1, 1, 33, 1, 2, 3, 4, 5]),
        attr(0x80, 14, &[0, 99, 1, 0, 0]),
        attr(0x80, 15, &[0, 2, 77, 1, 2]),
    ]
    .concat()
}

/// BGP at -v and -vv (print-bgp.c) as far as nscap decodes it: Open with every capability it
/// knows (and ones it does not), Keepalive, Notifications of every error code (prefix limits,
/// shutdown communications with and without data), Route Refresh, Updates that withdraw
/// routes (with and without path IDs), the End-of-RIB marker, Updates with every path
/// attribute nscap decodes (right and wrong lengths, 2- and 4-byte AS paths, sets and
/// confederations, extended-length flags), multiprotocol IPv4 and IPv6 routes, families tcpdump
/// has no decoder for, announced routes with path IDs, an unknown type, several messages in one
/// segment, garbage before a marker, a message longer than the segment; in every mode, cut at
/// every byte.
#[test]
fn bgp_messages_match_tcpdump_at_v() {
    need_tcpdump();
    let cap = |t: u8, v: &[u8]| [&[t, v.len() as u8][..], v].concat();
    let caps = [
        cap(1, &[0, 1, 0, 1]),
        cap(1, &[0, 2, 0, 1]),
        cap(2, &[]),
        cap(64, &[0x80, 0x78, 0, 1, 1, 0x80, 0, 2, 1, 0]),
        cap(65, &[0, 0, 0xfc, 0x00]),
        cap(69, &[0, 1, 1, 3, 0, 2, 1, 9]),
        cap(8, &[0, 1, 4, 2]),
        cap(70, &[]),
        cap(71, &[]),
        cap(128, &[]),
        cap(73, &[3, b'w', b'e', b'b', 0]),
        cap(1, &[0, 1]),
    ]
    .concat();
    let mut open = vec![4, 0xfc, 0x00, 0, 90, 10, 99, 0, 1];
    open.push((caps.len() + 2) as u8);
    open.extend_from_slice(&[2, caps.len() as u8]);
    open.extend_from_slice(&caps);
    let mut open2 = vec![4, 0xfc, 0x01, 0, 90, 10, 99, 0, 2, 9];
    open2.extend_from_slice(&[1, 2, 0xab, 0xcd, 2, 3, 65, 1, 0, 7, 5]);
    let notifications: Vec<Vec<u8>> = vec![
        vec![1, 2],
        vec![2, 6],
        vec![3, 11],
        vec![4, 0],
        vec![5, 2],
        vec![6, 1, 0, 1, 1, 0, 0, 0x27, 0x10],
        [&[6u8, 2, 12][..], b"maintenance!"].concat(),
        [&[6u8, 4, 3][..], b"bye", &[1, 2, 3]].concat(),
        vec![6, 2, 0, 9, 9],
        vec![6, 2, 200, b'x'],
        vec![7, 4],
        vec![9, 9],
    ];
    let mut segments: Vec<Vec<u8>> = vec![
        bgp_msg(1, &open),
        bgp_msg(1, &open2),
        bgp_msg(4, &[]),
        [bgp_msg(4, &[]), bgp_msg(4, &[])].concat(),
        bgp_msg(5, &[0, 1, 0, 1]),
        bgp_msg(5, &[0, 2, 0, 128]),
        bgp_msg(5, &[0, 25, 0, 65]),
        bgp_msg(5, &[0, 196, 0, 70]),
        bgp_msg(2, &[0, 0, 0, 0]),
        bgp_msg(2, &[0, 7, 24, 10, 20, 1, 16, 10, 10, 0, 0]),
        bgp_msg(
            2,
            &[0, 12, 0, 0, 0, 1, 24, 10, 20, 1, 0, 0, 0, 2, 8, 10, 0, 0],
        ),
        bgp_msg(2, &[0, 3, 33, 1, 2, 0, 0]),
        bgp_update(
            &[],
            &update_attrs(),
            &[24, 10, 20, 1, 16, 10, 10, 32, 1, 2, 3, 4],
        ),
        bgp_update(&[], &mp_attrs(), &[]),
        // Path IDs on the announced routes (add-path), and a bad prefix length.
        bgp_update(
            &[],
            &attr(0x40, 1, &[0]),
            &[0, 0, 0, 7, 24, 10, 1, 1, 0, 0, 0, 8, 16, 10, 2],
        ),
        bgp_update(&[], &attr(0x40, 1, &[2]), &[40, 1, 2, 3, 4, 5]),
        // Attributes cut short, a length past the message, an unknown one (no decoder).
        bgp_update(&[], &[0x40, 1], &[]),
        bgp_update(
            &[],
            &[&attr(0x40, 1, &[0])[..], &[0x40, 5, 9, 0, 0]].concat(),
            &[],
        ),
        bgp_update(&[], &attr(0xc0, 99, &[1, 2, 3]), &[]),
        bgp_msg(9, &[1, 2, 3]),
        [b"junk".as_slice(), &bgp_msg(4, &[])].concat(),
        bgp_msg(4, &[0; 40])[..30].to_vec(),
    ];
    for n in &notifications {
        segments.push(bgp_msg(3, n));
    }
    let frames: Vec<Vec<u8>> = segments
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (sp, dp) = if i % 2 == 0 {
                (40000, 179)
            } else {
                (179, 40000)
            };
            let t = tcp(sp, dp, 1000 + 100 * i as u32, 7, PSH | ACK, 502, &[], p);
            ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, TCP, &t))
        })
        .collect();
    let longest = segments.iter().map(Vec::len).max().unwrap();
    let snaps: Vec<usize> = (54..=54 + longest).collect();
    compare_whole_and_cut(
        "bgp-v",
        &frames,
        &snaps,
        &[&["-v"], &["-vv"], &["-v", "-x"]],
    );
}

/// BFD (print-bfd.c): versions 0, 1 and another, every state, flags and diagnostics, the three
/// control ports and echo, each authentication kind with right and wrong lengths; in every
/// mode, cut at every byte.
#[test]
fn bfd_matches_tcpdump() {
    need_tcpdump();
    let ctl = |vd: u8, flags: u8, auth: &[u8]| {
        let mut b = vec![vd, flags, 3, (24 + auth.len()) as u8];
        b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]);
        b.extend_from_slice(&300_000u32.to_be_bytes());
        b.extend_from_slice(&300_000u32.to_be_bytes());
        b.extend_from_slice(&50_000u32.to_be_bytes());
        b.extend_from_slice(auth);
        b
    };
    let md5 = [&[2u8, 24, 1, 0, 0, 0, 0, 9][..], &[0xab; 16]].concat();
    let sha1 = [&[4u8, 28, 1, 0, 0, 0, 0, 9][..], &[0xcd; 20]].concat();
    let cases: Vec<(u16, Vec<u8>)> = vec![
        (3784, ctl(0x20, 0xc0, &[])),
        (3784, ctl(0x27, 0x48, &[])),
        (3784, ctl(0x21, 0x7f, &[])),
        (4784, ctl(0x23, 0x80, &[])),
        (6784, ctl(0x20, 0x00, &[])),
        (3784, ctl(0x08, 0xff, &[])),
        (3784, ctl(0x40, 0xc0, &[])),
        (
            3784,
            ctl(0x20, 0xc4, &[1, 9, 1, b's', b'e', b'c', b'r', b'e', b't']),
        ),
        (3784, ctl(0x20, 0xc4, &[1, 3, 1, 0])),
        (3784, ctl(0x20, 0xc4, &md5)),
        (3784, ctl(0x20, 0xc4, &[3, 20, 1, 0])),
        (3784, ctl(0x20, 0xc4, &sha1)),
        (3784, ctl(0x20, 0xc4, &[5, 24, 1, 0])),
        (3784, ctl(0x20, 0xc4, &[9, 4, 1, 0])),
        (3785, vec![1, 2, 3, 4, 5, 6]),
    ];
    let frames: Vec<Vec<u8>> = cases
        .iter()
        .map(|(dp, p)| {
            ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(A4, B4, UDP, &udp(49153, *dp, p)),
            )
        })
        .collect();
    let snaps: Vec<usize> = (42..=42 + 24 + 28).collect();
    compare_whole_and_cut("bfd", &frames, &snaps, &[&[], &["-v"], &["-x"]]);
}

/// syslog on UDP port 514 (print-syslog.c): priorities of every kind (none, `<>`, one to three
/// digits, four, unknown facilities), messages with bytes fn_print_char escapes; in every mode,
/// at every verbosity (-v names and numbers, -vv adds the hex), and cut at every byte.
#[test]
fn syslog_matches_tcpdump() {
    need_tcpdump();
    let payloads: &[&[u8]] = &[
        b"<13>Dec  7 15:00:00 host user: hello world",
        b"<190>msg",
        b"<0>x",
        b"<1000>big",
        b"<12345>toolong",
        b"<>empty",
        b"<13",
        b"no pri",
        b"<13>ctl\x01\x7f\xe9end",
        b"<191>",
        b"<999>x",
        b"",
    ];
    let frames: Vec<Vec<u8>> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (sp, dp) = if i % 3 == 2 {
                (514, 514)
            } else {
                (40000 + i as u16, 514)
            };
            ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, UDP, &udp(sp, dp, p)))
        })
        .collect();
    // Ethernet (14) + IPv4 (20) + UDP (8): the messages start at byte 42.
    let longest = payloads.iter().map(|p| p.len()).max().unwrap();
    let snaps: Vec<usize> = (42..=42 + longest).collect();
    compare_whole_and_cut("syslog", &frames, &snaps, &[&[], &["-v"], &["-vv"]]);
}

/// TFTP on port 69 (print-tftp.c): requests with a mode and options (empty ones too), data and
/// acknowledgements, every error code and one unknown (whose format opens a quote), an option
/// acknowledgement, an unknown opcode, strings without their NUL, with bytes that need
/// escaping, and a UDP length shorter than the message. In every mode, cut at every byte.
#[test]
fn tftp_matches_tcpdump() {
    need_tcpdump();
    let mut payloads: Vec<Vec<u8>> = vec![
        b"\x00\x01boot/pxelinux.0\x00octet\x00".to_vec(),
        b"\x00\x02upload.bin\x00netascii\x00blksize\x001428\x00tsize\x000\x00".to_vec(),
        b"\x00\x01a\x00octet\x00\x00windowsize\x00".to_vec(),
        b"\x00\x01no-nul-name".to_vec(),
        b"\x00\x01name\x00mode-without-nul".to_vec(),
        b"\x00\x01".to_vec(),
        b"\x00\x01name\x00".to_vec(),
        b"\x00\x01esc\x01\x7f\xc3\xa9\x00octet\x00".to_vec(),
        [b"\x00\x03\x00\x07".as_slice(), &[0x5a; 40]].concat(),
        b"\x00\x04\xff\xff".to_vec(),
        b"\x00\x04\x00".to_vec(),
        b"\x00\x06blksize\x001428\x00tsize\x004096\x00".to_vec(),
        b"\x00\x06".to_vec(),
        b"\x00\x09abc".to_vec(),
        b"\x00".to_vec(),
        b"\x00\x05\x00\x09strange\x00".to_vec(),
        b"\x00\x05\x00".to_vec(),
        b"\x00\x05\x00\x02".to_vec(),
        b"\x00\x05\x00\x02no nul".to_vec(),
    ];
    for code in 0u8..8 {
        payloads.push([b"\x00\x05\x00".as_slice(), &[code], b"File not found\x00"].concat());
    }
    let mut frames: Vec<Vec<u8>> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (sp, dp) = if i % 2 == 0 { (40000, 69) } else { (69, 40001) };
            ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, UDP, &udp(sp, dp, p)))
        })
        .collect();
    // A UDP length that ends inside the file name: the strings end there, not at the NUL.
    frames.push(with_udp_length(&frames[0], 20, 14));
    // Over IPv6 too.
    let a6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let b6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    frames.push(ether(
        MAC_B,
        MAC_A,
        0x86dd,
        &ipv6(a6, b6, UDP, &udp(40000, 69, &payloads[1])),
    ));
    // Ethernet (14) + IPv4 (20) + UDP (8): the messages start at byte 42.
    let snaps: Vec<usize> = (42..=42 + 60).collect();
    compare_whole_and_cut("tftp", &frames, &snaps, &[&[], &["-v"], &["-x"]]);
}

/// RIP on port 520 (print-rip.c): version 1 routes (AFI 0 and IPv4, must-be-zero bytes set,
/// an unknown family), version 2 routes (contiguous and other masks, tags, next hops), simple,
/// cryptographic, trailer and unknown authentication entries, every command, version 0 and an
/// unknown version, a message whose length is not a whole number of entries. In every mode
/// (`-vv` adds the hex dump), cut at every byte.
#[test]
fn rip_matches_tcpdump() {
    need_tcpdump();
    let v1 = |family: u16, mbz: u8, dest: [u8; 4], metric: u32| {
        let mut e = family.to_be_bytes().to_vec();
        e.extend_from_slice(&[0, mbz]);
        e.extend_from_slice(&dest);
        e.extend_from_slice(&[0; 8]);
        e.extend_from_slice(&metric.to_be_bytes());
        e
    };
    let v2 = |family: u16, tag: u16, dest: [u8; 4], mask: u32, hop: [u8; 4], metric: u32| {
        let mut e = family.to_be_bytes().to_vec();
        e.extend_from_slice(&tag.to_be_bytes());
        e.extend_from_slice(&dest);
        e.extend_from_slice(&mask.to_be_bytes());
        e.extend_from_slice(&hop);
        e.extend_from_slice(&metric.to_be_bytes());
        e
    };
    let msg = |cmd: u8, version: u8, entries: &[Vec<u8>]| {
        let mut m = vec![cmd, version, 0, 0];
        for e in entries {
            m.extend_from_slice(e);
        }
        m
    };
    let mut simple = vec![0xff, 0xff, 0, 2];
    simple.extend_from_slice(b"secret\x01\xe9\0\0\0\0\0\0\0\0");
    let mut full_pw = vec![0xff, 0xff, 0, 2];
    full_pw.extend_from_slice(b"sixteen-chars-pw");
    let mut crypto = vec![
        0xff, 0xff, 0, 3, 0, 64, 7, 16, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1,
    ];
    crypto.truncate(20);
    let mut trailer = vec![0xff, 0xff, 0, 1];
    trailer.extend_from_slice(&[0xab; 16]);
    let mut odd_auth = vec![0xff, 0xff, 0, 9];
    odd_auth.extend_from_slice(&[0xcd; 10]);
    let route = v2(2, 0, [10, 0, 0, 0], 0xff00_0000, [0; 4], 1);
    let payloads: Vec<Vec<u8>> = vec![
        msg(1, 1, &[v1(0, 0, [0; 4], 16)]),
        msg(
            2,
            1,
            &[
                v1(2, 0, [10, 1, 0, 0], 1),
                v1(2, 0, [192, 168, 100, 0], 15),
                v1(2, 1, [10, 2, 0, 0], 2),
                v1(17, 0, [1, 2, 3, 4], 3),
            ],
        ),
        msg(1, 2, &[v2(0, 0, [0; 4], 0, [0; 4], 16)]),
        msg(
            2,
            2,
            &[
                route.clone(),
                v2(2, 0x1234, [192, 168, 1, 0], 0xffff_ff00, [10, 0, 0, 254], 2),
                v2(2, 7, [172, 16, 0, 0], 0xffff_00ff, [0; 4], 3),
                v2(2, 0, [1, 1, 1, 1], 0xffff_ffff, [0; 4], 4),
                v2(0, 0, [0; 4], 0, [0; 4], 5),
                v2(28, 0, [1; 4], 0, [0; 4], 6),
                v2(99, 0, [1; 4], 0, [0; 4], 6),
            ],
        ),
        msg(2, 2, &[simple, route.clone()]),
        msg(2, 2, &[full_pw, route.clone()]),
        msg(2, 2, &[crypto, route.clone(), trailer]),
        msg(2, 2, &[route.clone(), odd_auth]),
        msg(2, 2, &[route.clone(), vec![0, 2, 0, 0, 10, 0]]),
        msg(2, 1, &[vec![0, 2, 0, 0, 10, 0, 0, 0]]),
        msg(3, 2, &[b"trace-file".to_vec()]),
        msg(4, 2, &[]),
        msg(5, 1, &[]),
        msg(6, 1, std::slice::from_ref(&route)),
        msg(9, 2, std::slice::from_ref(&route)),
        msg(2, 3, std::slice::from_ref(&route)),
        msg(2, 0, std::slice::from_ref(&route)),
        vec![2, 2, 0],
    ];
    let mut frames: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| {
            ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(A4, [224, 0, 0, 9], UDP, &udp(520, 520, p)),
            )
        })
        .collect();
    // A UDP length that ends inside the second route.
    frames.push(with_udp_length(&frames[3], 20, 40));
    // Ethernet (14) + IPv4 (20) + UDP (8): the messages start at byte 42.
    let snaps: Vec<usize> = (42..=42 + 90).collect();
    compare_whole_and_cut("rip", &frames, &snaps, &[&[], &["-v"], &["-vv"], &["-x"]]);
}

/// RIPng on port 521 (print-ripng.c): a whole-table request, requests and responses with tags,
/// metrics and prefix lengths, a length that is not a whole number of entries, another
/// version, an unknown command, a message shorter than its header. In every mode (`-vv` puts
/// each route on a line of its own), cut at every byte.
#[test]
fn ripng_matches_tcpdump() {
    need_tcpdump();
    let entry = |dest: [u8; 16], tag: u16, plen: u8, metric: u8| {
        let mut e = dest.to_vec();
        e.extend_from_slice(&tag.to_be_bytes());
        e.extend_from_slice(&[plen, metric]);
        e
    };
    let mut db8 = [0u8; 16];
    db8[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    let mut fd = [0u8; 16];
    fd[..4].copy_from_slice(&[0xfd, 0, 0, 1]);
    fd[15] = 1;
    let msg = |cmd: u8, version: u8, entries: &[Vec<u8>]| {
        let mut m = vec![cmd, version, 0, 0];
        for e in entries {
            m.extend_from_slice(e);
        }
        m
    };
    let payloads: Vec<Vec<u8>> = vec![
        msg(1, 1, &[entry([0; 16], 0, 0, 16)]),
        msg(1, 1, &[entry([0; 16], 0, 0, 15)]),
        msg(1, 1, &[entry(db8, 0, 32, 16), entry(fd, 9, 64, 1)]),
        msg(
            2,
            1,
            &[
                entry(db8, 0, 32, 1),
                entry(fd, 7, 64, 2),
                entry([0; 16], 0, 0, 0),
            ],
        ),
        msg(2, 1, &[entry(db8, 0, 32, 1), vec![1, 2, 3]]),
        msg(2, 2, &[entry(db8, 0, 32, 1)]),
        msg(7, 1, &[entry(db8, 0, 32, 1)]),
        msg(2, 1, &[]),
        vec![2, 1],
    ];
    let ff = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
    let mut frames = udp6_frames(ff, 521, 521, &payloads);
    // A UDP length that ends inside the second route.
    frames.push(with_udp_length(&frames[3], 40, 40));
    // Ethernet (14) + IPv6 (40) + UDP (8): the messages start at byte 62.
    let snaps: Vec<usize> = (62..=62 + 66).collect();
    compare_whole_and_cut("ripng", &frames, &snaps, &[&[], &["-v"], &["-vv"], &["-x"]]);
}

/// HSRP to port 1985 (print-hsrp.c): every op code and state, unknown ones, a reserved byte
/// that is not 0, authentication text that fills its 8 bytes or holds bytes to escape, timers
/// that print as `1m40s`, another version (only its number is shown), a message shorter than
/// its header. In every mode (`-v` adds timers, priority and text), cut at every byte.
#[test]
fn hsrp_matches_tcpdump() {
    need_tcpdump();
    let msg =
        |version: u8, op: u8, state: u8, times: [u8; 2], group: u8, reserved: u8, auth: &[u8]| {
            let mut m = vec![version, op, state, times[0], times[1], 100, group, reserved];
            let mut a = auth.to_vec();
            a.resize(8, 0);
            m.extend_from_slice(&a);
            m.extend_from_slice(&[192, 168, 0, 1]);
            m
        };
    let payloads: Vec<Vec<u8>> = vec![
        msg(0, 0, 16, [3, 10], 1, 0, b"cisco"),
        msg(0, 0, 8, [3, 10], 1, 0, b"cisco"),
        msg(0, 1, 4, [1, 100], 2, 0, b"12345678"),
        msg(0, 2, 0, [0, 255], 3, 0, b""),
        msg(0, 3, 1, [3, 10], 4, 7, b"a\x01b\xffc"),
        msg(0, 0, 2, [3, 10], 5, 0, b"cisco"),
        msg(0, 0, 3, [3, 10], 6, 0, b"cisco"),
        msg(1, 0, 16, [3, 10], 1, 0, b"cisco"),
        vec![0, 0, 16],
    ];
    let frames: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| {
            ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(A4, [224, 0, 0, 2], UDP, &udp(1985, 1985, p)),
            )
        })
        .collect();
    // Ethernet (14) + IPv4 (20) + UDP (8): the messages start at byte 42.
    let snaps: Vec<usize> = (42..=42 + 20).collect();
    compare_whole_and_cut("hsrp", &frames, &snaps, &[&[], &["-v"], &["-vv"], &["-x"]]);
}

/// DHCPv6 on ports 546 and 547 (print-dhcp6.c): every message type and an unknown one, a relay
/// with its addresses and a nested message, and the options tcpdump decodes (DUIDs of each
/// kind, IA_NA/IA_TA/IA_PD with nested addresses, prefixes and status codes, option request,
/// preference, elapsed time, both kinds of authentication, interface and remote IDs,
/// reconfigure, server addresses, domain lists, lifetimes, lease queries, NTP servers, the AFTR
/// name, time zones, the MUD URL), options of the wrong length, an unknown option, and an
/// option longer than the message. In every mode, cut at every byte.
#[test]
fn dhcp6_matches_tcpdump() {
    need_tcpdump();
    let opt = |t: u16, body: &[u8]| {
        let mut o = t.to_be_bytes().to_vec();
        o.extend_from_slice(&(body.len() as u16).to_be_bytes());
        o.extend_from_slice(body);
        o
    };
    let cat = |parts: &[Vec<u8>]| parts.concat();
    let a6 = |last: u8| {
        let mut a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        a[15] = last;
        a
    };
    let duid_llt = opt(
        1,
        &[
            0, 1, 0, 1, 0x2c, 0x6b, 0x1f, 0x20, 2, 0x42, 0xac, 0x11, 0, 2,
        ],
    );
    let duid_en = opt(2, &[0, 2, 0, 0, 0x7f, 0x7f, 1, 2, 3, 4, 5, 6]);
    let duid_ll = opt(1, &[0, 3, 0, 1, 2, 0x42, 0xac, 0x11, 0, 2]);
    let ia_addr = opt(
        5,
        &cat(&[a6(5).to_vec(), vec![0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20]]),
    );
    let ia_addr_status = opt(
        5,
        &cat(&[
            a6(6).to_vec(),
            vec![0, 0, 0, 60, 0, 0, 0, 120],
            opt(13, b"\x00\x00ok"),
        ]),
    );
    let ia_na = opt(
        3,
        &cat(&[
            vec![0, 0, 0, 1, 0, 0, 7, 8, 0, 0, 0x0b, 0xb8],
            ia_addr.clone(),
        ]),
    );
    let prefix = opt(
        26,
        &cat(&[
            vec![0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20, 56],
            a6(0).to_vec(),
            opt(13, b"\x00\x06none"),
        ]),
    );
    let ia_pd = opt(
        25,
        &cat(&[vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0], prefix]),
    );
    let ia_ta = opt(4, &cat(&[vec![0, 0, 0, 3], ia_addr_status]));
    let oro = opt(6, &[0, 23, 0, 24, 0, 56, 0, 64, 0x12, 0x34]);
    let names = b"\x07example\x03com\x00\x03lab\x00";
    let ntp = cat(&[
        vec![0, 1, 0, 16],
        a6(9).to_vec(),
        vec![0, 3, 0, 13],
        b"\x03ntp\x03lab\x00\x00\x00\x00".to_vec(),
        vec![0, 2, 0, 4, 1, 2, 3, 4],
        vec![0, 9, 0, 0],
    ]);
    let delayed = cat(&[
        vec![2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xaa, 0xbb],
        vec![0x12, 0x34, 0x56, 0x78],
        (0..16).collect(),
    ]);
    let reconf = cat(&[vec![3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2], (16..32).collect()]);
    let msg = |kind: u8, options: &[Vec<u8>]| {
        let mut m = vec![kind, 0x12, 0x34, 0x56];
        m.extend_from_slice(&options.concat());
        m
    };
    let mut payloads: Vec<Vec<u8>> = (1..=16)
        .map(|k| msg(k, &[duid_llt.clone(), opt(8, &[0, 0])]))
        .collect();
    payloads.extend([
        msg(
            1,
            &[duid_llt.clone(), ia_na.clone(), oro.clone(), opt(14, &[])],
        ),
        msg(
            2,
            &[
                duid_en.clone(),
                duid_ll.clone(),
                opt(1, &[0, 9]),
                opt(1, &[0, 1, 0]),
                opt(2, &[0]),
                opt(7, &[255]),
                opt(7, &[1, 2]),
                opt(8, &[1]),
                ia_pd,
                ia_ta,
            ],
        ),
        msg(
            7,
            &[
                opt(23, &cat(&[a6(1).to_vec(), a6(2).to_vec()])),
                opt(23, &[1; 15]),
                opt(24, names),
                opt(21, b"\x03sip\x00"),
                opt(22, &a6(3)),
                opt(31, &a6(4)),
                opt(27, &a6(7)),
                opt(28, &a6(8)),
                opt(34, &a6(10)),
                opt(40, &a6(11)),
                opt(48, &a6(12)),
                opt(32, &[0, 0, 1, 0]),
                opt(46, &[0, 0, 2]),
                opt(13, &[0, 2]),
                opt(13, &[0, 99]),
                opt(13, &[1, 0]),
                opt(13, &[0]),
            ],
        ),
        msg(
            7,
            &[
                opt(11, &delayed),
                opt(11, &reconf),
                opt(11, &[2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                opt(11, &[2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5]),
                opt(11, &[3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
                opt(11, &[9, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
                opt(11, &[2, 1, 0]),
            ],
        ),
        msg(
            10,
            &[
                opt(19, &[5]),
                opt(19, &[11]),
                opt(19, &[7]),
                opt(19, &[]),
                opt(20, &[]),
                opt(18, b"eth0.100-port-7"),
                opt(38, b"sub"),
                opt(37, &[0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
                opt(37, &[0, 0]),
            ],
        ),
        msg(
            14,
            &[
                opt(44, &cat(&[vec![1], a6(13).to_vec(), duid_llt.clone()])),
                opt(44, &cat(&[vec![2], a6(0).to_vec()])),
                opt(44, &cat(&[vec![7], a6(0).to_vec()])),
                opt(45, &cat(&[duid_llt.clone(), ia_addr.clone()])),
                opt(45, &[]),
                opt(47, &cat(&[a6(14).to_vec(), (0..12).collect()])),
                opt(47, &[0; 3]),
                opt(43, &[0, 1, 0, 2]),
                opt(43, &[0]),
            ],
        ),
        msg(
            7,
            &[
                opt(56, &[0, 1]),
                opt(64, b"\x04aftr\x07example\x03com\x00"),
                opt(64, b"\x09aftr"),
                opt(64, b"\x00\x00\x00"),
                opt(64, b"\x01"),
                opt(41, b"EST5EDT,M3.2.0/2,M11.1.0/2"),
                opt(42, b"Europe/Zurich\x00"),
                opt(112, b"https://mud.example.com/device"),
                opt(112, b"ab"),
                opt(99, b"unknown"),
                opt(16, &[0, 0, 0, 9]),
                // A suboption longer than its option: the rest is cut.
                opt(56, &[0, 1, 0, 9, 0, 0]),
            ],
        ),
        msg(7, &[opt(56, &ntp), duid_llt.clone()]),
        msg(7, &[duid_llt.clone(), vec![0, 23, 0, 200, 1, 2]]),
        msg(7, &[duid_llt.clone(), vec![0, 23]]),
        vec![1, 2, 3],
    ]);
    // A relay with a relayed message, its interface ID, and one without options.
    let mut relay = vec![12, 0];
    relay.extend_from_slice(&a6(20));
    relay.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21]);
    let inner = msg(1, &[duid_llt.clone(), oro.clone()]);
    let mut relay_full = relay.clone();
    relay_full.extend_from_slice(&opt(9, &inner));
    relay_full.extend_from_slice(&opt(18, b"port1"));
    let mut reply = relay.clone();
    reply[0] = 13;
    let mut nested_relay = relay.clone();
    nested_relay.extend_from_slice(&opt(9, &relay_full));
    // A bit-string label whose bits run past the capture: print-domain.c reads them with
    // GET_ macros, and the line ends there, inside a relayed message too.
    let bits = msg(11, &[opt(24, &[0x41, 0x08])]);
    let mut relay_bits = relay.clone();
    relay_bits.extend_from_slice(&opt(9, &msg(11, &[opt(24, &[0x41, 0x10, 0xaa])])));
    relay_bits.extend_from_slice(&opt(8, &[0, 100]));
    payloads.extend([relay_full, reply, nested_relay, bits, relay_bits]);
    let ff = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2];
    let mut frames = udp6_frames(ff, 546, 547, &payloads);
    // A UDP length that ends inside the IA_NA's address.
    frames.push(with_udp_length(&frames[16], 40, 60));
    // Ethernet (14) + IPv6 (40) + UDP (8): the messages start at byte 62.
    let snaps: Vec<usize> = (62..=62 + 140).collect();
    compare_whole_and_cut("dhcp6", &frames, &snaps, &[&[], &["-v"], &["-vv"], &["-x"]]);
}

/// IGMP (print-igmp.c): v1 and v2 queries (maximum response times other than 10 s, a group,
/// a length other than 8), v3 queries (response times in both codings, sources, lengths that
/// are not a multiple of 4 or too short for their sources), v1/v2 reports and leaves, v3
/// reports (every record type and an unknown one, records and sources that do not fit), mtrace
/// and mresp (a multicast reply address adds its TTL), an unknown type, a wrong checksum
/// (`-v`). In every mode (`-vv` lists the sources), cut at every byte.
#[test]
fn igmp_matches_tcpdump() {
    need_tcpdump();
    let msg = |kind: u8, code: u8, rest: &[u8], good_sum: bool| {
        let mut m = vec![kind, code, 0, 0];
        m.extend_from_slice(rest);
        let sum = ones_complement(&m);
        let sum = if good_sum { sum } else { sum ^ 0x0101 };
        m[2..4].copy_from_slice(&sum.to_be_bytes());
        m
    };
    let g = [239, 1, 2, 3];
    let src = |i: u8| [10, 0, 0, i];
    let v3q = |mrc: u8, group: [u8; 4], srcs: &[[u8; 4]], claimed: u16| {
        let mut r = group.to_vec();
        r.extend_from_slice(&[2, 125]);
        r.extend_from_slice(&claimed.to_be_bytes());
        for s in srcs {
            r.extend_from_slice(s);
        }
        msg(0x11, mrc, &r, true)
    };
    let record = |kind: u8, group: [u8; 4], srcs: &[[u8; 4]]| {
        let mut r = vec![kind, 0];
        r.extend_from_slice(&(srcs.len() as u16).to_be_bytes());
        r.extend_from_slice(&group);
        for s in srcs {
            r.extend_from_slice(s);
        }
        r
    };
    let report = |records: &[Vec<u8>], claimed: u16| {
        let mut r = vec![0, 0];
        r.extend_from_slice(&claimed.to_be_bytes());
        for rec in records {
            r.extend_from_slice(rec);
        }
        msg(0x22, 0, &r, true)
    };
    let trace = |kind: u8, raddr: [u8; 4]| {
        let mut r = g.to_vec();
        r.extend_from_slice(&[10, 1, 1, 1, 10, 2, 2, 2]);
        r.extend_from_slice(&raddr);
        r.extend_from_slice(&[64, 0, 0, 7]);
        msg(kind, 5, &r, true)
    };
    let payloads: Vec<Vec<u8>> = vec![
        msg(0x11, 0, &[0; 4], true),
        msg(0x11, 100, &g, true),
        msg(0x11, 25, &g, true),
        msg(0x11, 0, &[0; 4], false),
        msg(0x11, 100, &[0, 0, 0, 0, 0, 0], true),
        v3q(100, [0; 4], &[], 0),
        v3q(25, g, &[], 0),
        v3q(200, g, &[src(1), src(2)], 2),
        v3q(127, g, &[src(1)], 3),
        v3q(255, g, &[src(1)], 1),
        msg(0x11, 100, &[239, 1, 2, 3, 2, 125, 0, 0, 9, 9], true),
        msg(0x12, 0, &g, true),
        msg(0x12, 0, &[239, 1, 2, 3, 0, 0, 0, 0], true),
        msg(0x16, 0, &g, true),
        msg(0x17, 0, &[224, 0, 0, 2], true),
        report(&[record(1, g, &[])], 1),
        report(
            &[
                record(2, g, &[src(1)]),
                record(3, [239, 9, 9, 9], &[src(2), src(3)]),
                record(4, g, &[]),
                record(5, g, &[src(4)]),
                record(6, g, &[src(5)]),
                record(9, g, &[]),
            ],
            6,
        ),
        report(&[record(1, g, &[src(1)])], 3),
        report(&[record(1, g, &[src(1)])], 1)[..18].to_vec(),
        report(
            &[{
                let mut r = record(1, g, &[]);
                r[3] = 5;
                r
            }],
            1,
        ),
        msg(0x22, 0, &[0, 0, 0, 1, 1, 0], true),
        trace(0x1f, [10, 3, 3, 3]),
        trace(0x1e, [239, 3, 3, 3]),
        msg(0x1f, 0, &[0; 12], true),
        msg(0x42, 0, &[0; 4], true),
        msg(0x42, 0, &[0; 4], false),
    ];
    let frames: Vec<Vec<u8>> = payloads
        .iter()
        .map(|p| ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, [224, 0, 0, 1], 2, p)))
        .collect();
    // Ethernet (14) + IPv4 (20): the messages start at byte 34.
    let snaps: Vec<usize> = (34..=34 + 60).collect();
    compare_whole_and_cut(
        "igmp",
        &frames,
        &snaps,
        &[&[], &["-v"], &["-vv"], &["-q"], &["-x"]],
    );
}

/// An IPv4 total length shorter than the header, 0 included (print-ip.c, built without
/// GUESS_TSO as Debian's tcpdump is): `IP bad-len 19` and nothing more, in every mode.
#[test]
fn ipv4_length_below_the_header_matches_tcpdump() {
    need_tcpdump();
    let igmp = [0x11, 0x64, 0xee, 0x9b, 0, 0, 0, 0];
    let with_total = |frame: Vec<u8>, total: u16| {
        let mut f = frame;
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f
    };
    let plain = ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, [224, 0, 0, 1], 2, &igmp));
    let hsrp = ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(A4, [224, 0, 0, 2], UDP, &udp(1985, 1985, &[0; 20])),
    );
    let options = ether(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4_full(A4, [224, 0, 0, 1], 2, 1, 0, 1, &[0x94, 4, 0, 0], &igmp),
    );
    let frames = vec![
        with_total(plain.clone(), 19),
        with_total(plain, 0),
        with_total(hsrp, 8),
        with_total(options, 23),
    ];
    compare_whole_and_cut(
        "ip-bad-len",
        &frames,
        &[20, 34, 38],
        &[&[], &["-v"], &["-x"]],
    );
}

/// ARP as print-arp.c prints it: every operation (an unknown one is dumped), other hardware
/// and protocol types and address lengths (named, then the addresses as bytes at `-v`),
/// Frame Relay's DLCIs, ATM ARP with numbers and subaddresses, a message cut before its
/// addresses end. With `-e`, `-v` and `-x`, cut at every byte.
#[test]
fn arp_matches_tcpdump() {
    need_tcpdump();
    let generic = |hrd: u16, pro: u16, hln: u8, pln: u8, op: u16| {
        let mut a = hrd.to_be_bytes().to_vec();
        a.extend_from_slice(&pro.to_be_bytes());
        a.extend_from_slice(&[hln, pln]);
        a.extend_from_slice(&op.to_be_bytes());
        for i in 0..2 * (u16::from(hln) + u16::from(pln)) {
            a.push(i as u8 + 1);
        }
        a
    };
    let (m1, m2) = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    let (i1, i2) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut bodies: Vec<Vec<u8>> = [1, 2, 3, 4, 8, 9, 10, 77]
        .iter()
        .map(|&op| arp(op, m1, i1, m2, i2))
        .collect();
    bodies.push(arp(1, m1, i1, [0; 6], i2));
    for (hrd, pro, hln, pln, op) in [
        (6, 0x0800, 6, 4, 1),
        (1, 0x86dd, 6, 16, 1),
        (1, 0x1000, 6, 4, 2),
        (1, 0x0800, 0, 4, 1),
        (32, 0x0800, 20, 4, 2),
        (24, 0x0800, 8, 4, 9),
        (99, 0x9999, 3, 4, 3),
        (1, 0x0800, 6, 6, 4),
    ] {
        bodies.push(generic(hrd, pro, hln, pln, op));
    }
    // Frame Relay: Q.922 addresses of two, three and four bytes, and invalid ones.
    for dlci in [[0x18u8, 0x41], [0x18, 0x40], [0x19, 0x41]] {
        let mut a = vec![0, 15, 8, 0, 2, 4, 0, 2];
        a.extend_from_slice(&dlci);
        a.extend_from_slice(&i1);
        a.extend_from_slice(&[0x18, 0x40]);
        a.extend_from_slice(&i2);
        bodies.push(a);
    }
    // ATM ARP: number and subaddress lengths in the type/length bytes.
    let atm = |op: u16, shl: u8, ssl: u8, thl: u8, tsl: u8, spl: u8, tpl: u8| {
        let mut a = vec![0, 19, 8, 0, shl, ssl];
        a.extend_from_slice(&op.to_be_bytes());
        a.extend_from_slice(&[spl, thl, tsl, tpl]);
        let n = usize::from(shl & 0x3f)
            + usize::from(ssl & 0x3f)
            + usize::from(spl)
            + usize::from(thl & 0x3f)
            + usize::from(tsl & 0x3f)
            + usize::from(tpl);
        a.extend((0..n).map(|i| i as u8 + 0x40));
        a
    };
    for (op, shl, ssl, thl, tsl, spl, tpl) in [
        (1, 4, 0, 4, 2, 4, 4),
        (1, 0x44, 0, 0, 0, 4, 4),
        (2, 5, 3, 0, 0, 4, 4),
        (8, 4, 0, 4, 0, 4, 4),
        (9, 0, 0, 4, 0, 4, 4),
        (10, 4, 0, 4, 0, 4, 4),
        (3, 4, 0, 4, 0, 4, 4),
        (1, 4, 0, 4, 0, 6, 4),
    ] {
        bodies.push(atm(op, shl, ssl, thl, tsl, spl, tpl));
    }
    bodies.push(generic(1, 0x0800, 6, 4, 1)[..20].to_vec());
    bodies.push(vec![0, 1, 8, 0, 6]);
    let frames: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| ether(BROADCAST, MAC_A, 0x0806, b))
        .collect();
    let snaps: Vec<usize> = (14..=14 + 60).collect();
    compare_whole_and_cut(
        "arp",
        &frames,
        &snaps,
        &[&[], &["-v"], &["-e"], &["-x"], &["-e", "-v"]],
    );
}
