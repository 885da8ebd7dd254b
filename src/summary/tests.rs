//! Recorded frames through the formatter: one test per protocol, link type and cut.

use super::*;
use nscap_frames::*;

const A4: [u8; 4] = [10, 1, 0, 1];
const B4: [u8; 4] = [10, 1, 0, 2];

fn iface(linktype: u16) -> Interface {
    Interface {
        snaplen: 262_144,
        ..Interface::for_test("eth0", linktype)
    }
}

fn opts() -> PrintOptions {
    PrintOptions {
        stamp: Stamp::Epoch,
        ..PrintOptions::default()
    }
}

fn pkt(data: &[u8]) -> Packet<'_> {
    Packet {
        iface: 0,
        ts_sec: 1_700_000_000,
        ts_nsec: 123_456_789,
        len: data.len() as u32,
        data,
    }
}

/// The line without its timestamp and newline.
fn line_with(o: PrintOptions, i: &Interface, p: &Packet<'_>) -> String {
    let mut s = Summarizer::new(o);
    let mut out = Vec::new();
    s.line(&mut out, p, i);
    let text = String::from_utf8(out).expect("utf-8");
    // -v lines continue on a second line, as tcpdump's do.
    assert!(
        text.ends_with('\n') && text.matches('\n').count() <= 2,
        "{text:?}"
    );
    let text = text.strip_suffix('\n').unwrap();
    text.split_once(' ').map(|x| x.1).unwrap_or("").to_string()
}

fn line(linktype: u16, data: &[u8]) -> String {
    line_with(opts(), &iface(linktype), &pkt(data))
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    ether(MAC_B, MAC_A, ethertype, payload)
}

fn syn() -> Vec<u8> {
    let t = tcp(43210, 80, 1, 0, SYN, 64240, &[], &[]);
    eth(0x0800, &ipv4(A4, B4, TCP, &t))
}

#[test]
fn tcp_syn() {
    assert_eq!(
        line(1, &syn()),
        "IP 10.1.0.1.43210 > 10.1.0.2.80: Flags [S], seq 1, win 64240, length 0"
    );
}

#[test]
fn tcp_data_flags_and_ack() {
    let t = tcp(80, 43210, 1000, 2000, PSH | ACK, 502, &[], b"hello");
    assert_eq!(
        line(1, &eth(0x0800, &ipv4(B4, A4, TCP, &t))),
        "IP 10.1.0.2.80 > 10.1.0.1.43210: Flags [P.], seq 1000:1005, ack 2000, win 502, length 5: HTTP"
    );
    let t = tcp(80, 43210, 7, 9, FIN | ACK, 1, &[], &[]);
    assert!(line(1, &eth(0x0800, &ipv4(B4, A4, TCP, &t)))
        .ends_with("Flags [F.], seq 7, ack 9, win 1, length 0"));
    let t = tcp(80, 43210, 7, 0, RST, 0, &[], &[]);
    assert!(line(1, &eth(0x0800, &ipv4(B4, A4, TCP, &t)))
        .ends_with("Flags [R], seq 7, win 0, length 0"));
    let t = tcp(80, 43210, 7, 0, 0, 0, &[], &[]);
    assert!(line(1, &eth(0x0800, &ipv4(B4, A4, TCP, &t))).contains("Flags [none]"));
}

#[test]
fn verbose_shows_ip_fields_and_tcp_options() {
    let options = [
        2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];
    let t = tcp(43210, 80, 1, 0, SYN, 64240, &options, &[]);
    let f = eth(0x0800, &ipv4(A4, B4, TCP, &t));
    let o = PrintOptions {
        verbose: 1,
        ..opts()
    };
    assert_eq!(
        line_with(o, &iface(1), &pkt(&f)),
        "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)\n    \
         10.1.0.1.43210 > 10.1.0.2.80: Flags [S], cksum 0x8fee (correct), seq 1, win 64240, \
         options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"
    );
    // Options without -v too, as tcpdump; the checksum only with -v.
    assert!(line(1, &f).contains(", options [mss 1460,") && !line(1, &f).contains("cksum"));
    let ip = ipv4_full(A4, B4, UDP, 7, 0, 1, &[148, 4, 0, 0], &udp(1, 2, b"x"));
    let o = PrintOptions {
        verbose: 1,
        ..opts()
    };
    assert!(line_with(o, &iface(1), &pkt(&eth(0x0800, &ip)))
        .starts_with("IP (tos 0x0, ttl 1, id 7, offset 0, flags [none], proto UDP (17), length 33, options (RA))\n    "));
}

#[test]
fn quick_lines_are_short() {
    let o = PrintOptions {
        quick: true,
        ..opts()
    };
    assert_eq!(
        line_with(o, &iface(1), &pkt(&syn())),
        "IP 10.1.0.1.43210 > 10.1.0.2.80: tcp 0"
    );
}

#[test]
fn direction_and_interface_name() {
    let mut i = iface(1);
    i.mac = Some(MAC_A);
    let o = PrintOptions {
        show_iface: true,
        ..opts()
    };
    assert!(line_with(o.clone(), &i, &pkt(&syn())).starts_with("eth0 Out IP 10.1.0.1.43210 > "));
    i.mac = Some(MAC_B);
    assert!(line_with(o, &i, &pkt(&syn())).starts_with("eth0 In IP "));
    // Unknown own address: no direction at all.
    assert!(line(1, &syn()).starts_with("IP "));
}

#[test]
fn timestamps() {
    let f = syn();
    let mut s = Summarizer::new(opts());
    let mut out = Vec::new();
    s.line(&mut out, &pkt(&f), &iface(1));
    assert!(out.starts_with(b"1700000000.123456 IP "));
    let mut s = Summarizer::new(PrintOptions {
        nano: true,
        ..opts()
    });
    out.clear();
    s.line(&mut out, &pkt(&f), &iface(1));
    assert!(out.starts_with(b"1700000000.123456789 IP "));
    // Local time: the same wall clock libc computes.
    let mut s = Summarizer::new(PrintOptions::default());
    out.clear();
    s.line(&mut out, &pkt(&f), &iface(1));
    let off = utc_offset(1_700_000_000);
    let day = (1_700_000_000 + off).rem_euclid(86_400);
    let want = format!(
        "{:02}:{:02}:{:02}.123456 IP ",
        day / 3600,
        day / 60 % 60,
        day % 60
    );
    assert!(String::from_utf8_lossy(&out).starts_with(&want));
}

#[test]
fn icmp_echo_and_errors() {
    let e = icmp(8, 0, echo_rest(5, 1), &[0u8; 56]);
    assert_eq!(
        line(1, &eth(0x0800, &ipv4(A4, B4, ICMP, &e))),
        "IP 10.1.0.1 > 10.1.0.2: ICMP echo request, id 5, seq 1, length 64"
    );
    let r = icmp(0, 0, echo_rest(5, 1), &[0u8; 56]);
    assert!(line(1, &eth(0x0800, &ipv4(B4, A4, ICMP, &r)))
        .ends_with("ICMP echo reply, id 5, seq 1, length 64"));
    let quoted = ipv4(B4, A4, UDP, &udp(5353, 33434, &[]));
    let u = icmp(3, 3, [0; 4], &quoted[..28]);
    assert_eq!(
        line(1, &eth(0x0800, &ipv4(A4, B4, ICMP, &u))),
        "IP 10.1.0.1 > 10.1.0.2: ICMP 10.1.0.1 udp port 33434 unreachable, length 36"
    );
    let u = icmp(3, 4, [0, 0, 0x05, 0x78], &quoted[..28]);
    assert!(line(1, &eth(0x0800, &ipv4(A4, B4, ICMP, &u)))
        .contains("unreachable - need to frag (mtu 1400)"));
    let t = icmp(11, 0, [0; 4], &quoted[..28]);
    assert!(line(1, &eth(0x0800, &ipv4(A4, B4, ICMP, &t)))
        .ends_with("ICMP time exceeded in-transit, length 36"));
}

#[test]
fn arp_who_has_and_is_at() {
    let req = arp(1, MAC_A, A4, [0; 6], B4);
    assert_eq!(
        line(1, &ether(BROADCAST, MAC_A, 0x0806, &req)),
        "ARP, Request who-has 10.1.0.2 tell 10.1.0.1, length 28"
    );
    let rep = arp(2, MAC_B, B4, MAC_A, A4);
    let mut f = ether(MAC_A, MAC_B, 0x0806, &rep);
    f.resize(60, 0); // Ethernet padding counts, as in tcpdump
    assert_eq!(
        line(1, &f),
        "ARP, Reply 10.1.0.2 is-at 02:42:0a:01:00:02, length 46"
    );
}

#[test]
fn ipv6_neighbor_discovery_and_echo() {
    let src = v6("fe80::1");
    let ns = icmp(135, 0, [0; 4], &v6("fe80::2"));
    let f = eth(
        0x86dd,
        &ipv6(src, v6("ff02::1:ff00:2"), ICMP6, &{
            let mut b = ns.clone();
            b.extend_from_slice(&[1, 1, 2, 0x42, 0x0a, 1, 0, 1]);
            b
        }),
    );
    assert_eq!(
        line(1, &f),
        "IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 32"
    );
    let na = icmp(136, 0, [0x60, 0, 0, 0], &v6("fe80::2"));
    assert!(line(1, &eth(0x86dd, &ipv6(v6("fe80::2"), src, ICMP6, &na)))
        .ends_with("ICMP6, neighbor advertisement, tgt is fe80::2, length 24"));
    let ra = icmp(134, 0, [64, 0, 0, 0], &[0u8; 8]);
    assert!(line(1, &eth(0x86dd, &ipv6(src, v6("ff02::1"), ICMP6, &ra)))
        .ends_with("ICMP6, router advertisement, length 16"));
    let e = icmp(128, 0, echo_rest(7, 3), &[0u8; 8]);
    assert_eq!(
        line(
            1,
            &eth(
                0x86dd,
                &ipv6(v6("2001:db8::1"), v6("2001:db8::2"), ICMP6, &e)
            )
        ),
        "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 3, length 16"
    );
    let quoted = ipv6(
        v6("2001:db8::2"),
        v6("2001:db8::1"),
        UDP,
        &udp(1000, 33434, &[]),
    );
    let u = icmp(1, 4, [0; 4], &quoted);
    assert!(line(
        1,
        &eth(
            0x86dd,
            &ipv6(v6("2001:db8::1"), v6("2001:db8::2"), ICMP6, &u)
        )
    )
    .contains("ICMP6, destination unreachable, unreachable port, 2001:db8::1 udp port 33434"));
}

#[test]
fn udp_and_dns() {
    let u = udp(40000, 9999, &[0u8; 30]);
    assert_eq!(
        line(1, &eth(0x0800, &ipv4(A4, B4, UDP, &u))),
        "IP 10.1.0.1.40000 > 10.1.0.2.9999: UDP, length 30"
    );
    let q = udp(5353, 53, &dns_query(0x1234, "example.com", 1));
    assert_eq!(
        line(1, &eth(0x0800, &ipv4(A4, B4, UDP, &q))),
        "IP 10.1.0.1.5353 > 10.1.0.2.53: 4660+ A? example.com. (29)"
    );
    let r = udp(
        53,
        5353,
        &dns_response(0x1234, "example.com", &[[93, 184, 216, 34]], 0),
    );
    assert_eq!(
        line(1, &eth(0x0800, &ipv4(B4, A4, UDP, &r))),
        "IP 10.1.0.2.53 > 10.1.0.1.5353: 4660 1/0/0 A 93.184.216.34 (45)"
    );
    let nx = udp(53, 5353, &dns_response(0x1234, "nope.example", &[], 3));
    assert!(line(1, &eth(0x0800, &ipv4(B4, A4, UDP, &nx))).contains(": 4660 NXDomain 0/0/0 ("));
    let o = PrintOptions {
        verbose: 1,
        ..opts()
    };
    assert!(
        line_with(o, &iface(1), &pkt(&eth(0x0800, &ipv4(B4, A4, UDP, &r))))
            .contains("4660 1/0/0 example.com. A 93.184.216.34 (45)")
    );
    let o = PrintOptions {
        verbose: 2,
        ..opts()
    };
    assert!(
        line_with(o, &iface(1), &pkt(&eth(0x0800, &ipv4(B4, A4, UDP, &r))))
            .contains("4660 q: A? example.com. 1/0/0 example.com. A 93.184.216.34 (45)")
    );
    let q6 = udp(5353, 53, &dns_query(1, "example.com", 28));
    assert!(line(1, &eth(0x86dd, &ipv6(v6("::1"), v6("::2"), UDP, &q6)))
        .ends_with("1+ AAAA? example.com. (29)"));
}

#[test]
fn vlan_and_qinq() {
    let ip = ipv4(A4, B4, UDP, &udp(1, 2, b"abc"));
    let one = eth(0x8100, &vlan_tag(100, 0, 0x0800, &ip));
    assert_eq!(line(1, &one), "IP 10.1.0.1.1 > 10.1.0.2.2: UDP, length 3");
    let o = PrintOptions {
        link_header: true,
        ..opts()
    };
    assert_eq!(
        line_with(o.clone(), &iface(1), &pkt(&one)),
        "02:42:0a:01:00:01 > 02:42:0a:01:00:02, ethertype 802.1Q (0x8100), length 49: \
         vlan 100, p 0, ethertype IPv4 (0x0800), 10.1.0.1.1 > 10.1.0.2.2: UDP, length 3"
    );
    let two = eth(
        0x88a8,
        &vlan_tag(200, 3, 0x8100, &vlan_tag(100, 0, 0x0800, &ip)),
    );
    assert!(line_with(o, &iface(1), &pkt(&two)).contains(
        "ethertype 802.1Q-QinQ (0x88a8), length 53: vlan 200, p 3, ethertype 802.1Q (0x8100), vlan 100, p 0, ethertype IPv4 (0x0800), 10.1.0.1.1 "
    ));
}

#[test]
fn link_header_plain_ethernet() {
    let o = PrintOptions {
        link_header: true,
        ..opts()
    };
    let f = syn();
    assert_eq!(
        line_with(o, &iface(1), &pkt(&f)),
        "02:42:0a:01:00:01 > 02:42:0a:01:00:02, ethertype IPv4 (0x0800), length 54: \
         10.1.0.1.43210 > 10.1.0.2.80: Flags [S], seq 1, win 64240, length 0"
    );
}

#[test]
fn linux_cooked_v1_and_v2() {
    let ip = ipv4(A4, B4, UDP, &udp(1, 2, b"abc"));
    assert_eq!(
        line(113, &sll(4, 1, &MAC_A, 0x0800, &ip)),
        "IP 10.1.0.1.1 > 10.1.0.2.2: UDP, length 3"
    );
    // SLL v1 shows the direction only with -e, as tcpdump; SLL2 always, after the interface.
    assert!(line(113, &sll(0, 1, &MAC_A, 0x0800, &ip)).starts_with("IP "));
    // Loopback (772) and raw-IP tunnel (65534) devices: etherparse's own SLL parser refuses them.
    assert!(line(113, &sll(0, 772, &[0; 6], 0x0800, &ip)).starts_with("IP 10.1.0.1.1 > "));
    assert!(line(276, &sll2(4, 65534, 3, &[], 0x0800, &ip)).contains(" Out IP 10.1.0.1.1 > "));
    let e6 = ipv6(
        v6("::1"),
        v6("::1"),
        ICMP6,
        &icmp(128, 0, echo_rest(1, 1), &[]),
    );
    assert!(line(276, &sll2(0, 772, 1, &[0; 6], 0x86dd, &e6))
        .contains(" In  IP6 ::1 > ::1: ICMP6, echo request"));
    let a = arp(1, MAC_A, A4, [0; 6], B4);
    assert!(line(276, &sll2(1, 1, 2, &MAC_A, 0x0806, &a))
        .contains(" B   ARP, Request who-has 10.1.0.2"));
    let o = PrintOptions {
        link_header: true,
        ..opts()
    };
    assert!(
        line_with(o, &iface(113), &pkt(&sll(4, 1, &MAC_A, 0x0800, &ip)))
            .starts_with("Out 02:42:0a:01:00:01 ethertype IPv4 (0x0800), length 47: 10.1.0.1.1 > ")
    );
}

#[test]
fn raw_ip_link_types() {
    let ip = ipv4(A4, B4, UDP, &udp(1, 2, b"abc"));
    let ip6 = ipv6(
        v6("2001:db8::1"),
        v6("2001:db8::2"),
        UDP,
        &udp(1, 2, b"abc"),
    );
    for lt in [101, 12, 14] {
        assert_eq!(line(lt, &ip), "IP 10.1.0.1.1 > 10.1.0.2.2: UDP, length 3");
        assert_eq!(
            line(lt, &ip6),
            "IP6 2001:db8::1.1 > 2001:db8::2.2: UDP, length 3"
        );
    }
    assert!(line(228, &ip).starts_with("IP 10.1.0.1.1"));
    assert!(line(229, &ip6).starts_with("IP6 2001:db8::1.1"));
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend_from_slice(&ip);
    assert!(line(0, &null).starts_with("IP 10.1.0.1.1"));
}

/// `frame` cut to `snap` bytes by the snapshot length, its wire length kept.
fn snapped(linktype: u16, frame: &[u8], snap: usize) -> String {
    let mut p = pkt(&frame[..snap]);
    p.len = frame.len() as u32;
    line_with(opts(), &iface(linktype), &p)
}

#[test]
fn cut_packets_print_what_they_can() {
    let f = syn();
    // Inside the TCP header, ports intact.
    assert_eq!(
        snapped(1, &f, 14 + 20 + 8),
        "IP 10.1.0.1.43210 > 10.1.0.2.80:  [|tcp]"
    );
    // Inside the TCP ports.
    assert_eq!(
        snapped(1, &f, 14 + 20 + 2),
        "IP 10.1.0.1 > 10.1.0.2: [|tcp]"
    );
    // Shorter on the wire than its IP length says.
    assert_eq!(
        line(1, &f[..14 + 20 + 2]),
        "IP truncated-ip - 18 bytes missing! 10.1.0.1 > 10.1.0.2: [|tcp]"
    );
    // Inside the IP header.
    assert_eq!(line(1, &f[..14 + 10]), "IP  [|ip]");
    // Inside the Ethernet header.
    assert_eq!(line(1, &f[..10]), " [|ether]");
    assert_eq!(line(113, &[0; 5]), " [|sll]");
    // Inside a DNS question.
    let q = eth(
        0x0800,
        &ipv4(
            A4,
            B4,
            UDP,
            &udp(5353, 53, &dns_query(0x1234, "example.com", 1)),
        ),
    );
    assert_eq!(
        snapped(1, &q, q.len() - 6),
        "IP 10.1.0.1.5353 > 10.1.0.2.53: 4660+ [|domain]"
    );
    // Payload cut, headers whole: the length is the wire length.
    let t = eth(
        0x0800,
        &ipv4(A4, B4, TCP, &tcp(1, 2, 5, 0, PSH, 9, &[], &[7u8; 100])),
    );
    let mut p = pkt(&t[..60]);
    p.len = t.len() as u32;
    assert!(line_with(opts(), &iface(1), &p).ends_with("seq 5:105, win 9, length 100"));
    let a = ether(BROADCAST, MAC_A, 0x0806, &arp(1, MAC_A, A4, [0; 6], B4));
    assert_eq!(line(1, &a[..20]), " [|arp]");
    let v = eth(0x8100, &[0, 100]);
    assert_eq!(line(1, &v), " [|vlan]");
}

#[test]
fn fragments() {
    let first = ipv4_full(
        A4,
        B4,
        UDP,
        99,
        0x2000,
        64,
        &[],
        &udp(1, 2, &[0; 100])[..48],
    );
    assert_eq!(
        line(1, &eth(0x0800, &first)),
        "IP 10.1.0.1.1 > 10.1.0.2.2: UDP, length 100"
    );
    let later = ipv4_full(A4, B4, UDP, 99, 6, 64, &[], &[0; 60]);
    assert_eq!(
        line(1, &eth(0x0800, &later)),
        "IP 10.1.0.1 > 10.1.0.2: ip-proto-17"
    );
    let f6 = ipv6_frag(UDP, 0, true, 7, &udp(1, 2, &[0; 16]));
    assert_eq!(
        line(1, &eth(0x86dd, &ipv6(v6("::1"), v6("::2"), 44, &f6))),
        "IP6 ::1 > ::2: frag (0|24) 1 > 2: UDP, length 16"
    );
    let f6 = ipv6_frag(UDP, 3, false, 7, &[0; 16]);
    assert_eq!(
        line(1, &eth(0x86dd, &ipv6(v6("::1"), v6("::2"), 44, &f6))),
        "IP6 ::1 > ::2: frag (24|16)"
    );
}

#[test]
fn fallbacks_name_the_number() {
    // An ethertype without a name gets tcpdump's link header and hex dump (tests/summary.rs
    // compares the lines); under -q, the header alone.
    let q = PrintOptions {
        quick: true,
        ..opts()
    };
    assert_eq!(
        line_with(q, &iface(1), &pkt(&eth(0x88b5, &[0; 46]))),
        "02:42:0a:01:00:01 > 02:42:0a:01:00:02, Unknown Ethertype (0x88b5), length 60: "
    );
    assert_eq!(
        line(1, &eth(0x88f7, &[0; 46])),
        "ethertype PTP (0x88f7), length 46"
    );
    // LLDP is decoded: an End TLV first ends it.
    assert_eq!(line(1, &eth(0x88cc, &[0; 46])), "LLDP, length 46");
    assert_eq!(line(1, &eth(46, &[0; 46])), "802.3 LLC, length 46");
    assert_eq!(line(147, &[1, 2, 3]), "unknown link type 147, length 3");
    assert_eq!(
        line(113, &sll(0, 824, &[], 0x0010, &[0; 20])),
        "Linux cooked, hatype 824, protocol 0x0010, length 20"
    );
    let gre = ipv4(A4, B4, 47, &[0; 8]);
    assert_eq!(
        line(1, &eth(0x0800, &gre)),
        "IP 10.1.0.1 > 10.1.0.2: GREv0, length 8: gre-proto-0x0"
    );
    let experimental = ipv4(A4, B4, 253, &[0; 8]);
    assert_eq!(
        line(1, &eth(0x0800, &experimental)),
        // tcpdump 4.99: print-ip-demux.c writes the space before `ip-proto-`.
        "IP 10.1.0.1 > 10.1.0.2:  ip-proto-253 8"
    );
}

#[test]
fn igmp_reports() {
    let g = [0x16, 0, 0, 0, 239, 1, 2, 3];
    assert_eq!(
        line(1, &eth(0x0800, &ipv4(A4, [239, 1, 2, 3], 2, &g))),
        "IP 10.1.0.1 > 239.1.2.3: igmp v2 report 239.1.2.3"
    );
}

/// Every prefix of every frame above, under every link type: one line, no panic.
#[test]
fn any_prefix_under_any_link_type_gives_one_line() {
    let frames = [
        syn(),
        eth(
            0x0800,
            &ipv4(A4, B4, UDP, &udp(5353, 53, &dns_query(1, "a.b", 1))),
        ),
        eth(0x0806, &arp(1, MAC_A, A4, [0; 6], B4)),
        eth(
            0x86dd,
            &ipv6(
                v6("::1"),
                v6("::2"),
                0,
                &[58, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0],
            ),
        ),
    ];
    let mut s = Summarizer::new(PrintOptions {
        verbose: 2,
        link_header: true,
        ..opts()
    });
    let mut out = Vec::new();
    for f in &frames {
        for cut in 0..=f.len() {
            for lt in [0, 1, 12, 101, 108, 113, 228, 229, 276, 9999] {
                for start in [0, 14] {
                    let d = f.get(start..cut).unwrap_or(&[]);
                    out.clear();
                    s.line(&mut out, &pkt(d), &iface(lt));
                    // Whole lines, none empty: tcpdump's -v forms (IPv4, quoted packets,
                    // neighbour discovery options) and its dumps span several.
                    assert!(!out.windows(2).any(|w| w == b"\n\n"));
                    assert_eq!(out.last(), Some(&b'\n'));
                    out.clear();
                    s.json(&mut out, &pkt(d), &iface(lt));
                    assert_eq!(out.last(), Some(&b'\n'));
                }
            }
        }
    }
}

/// Found by the decode fuzz target: a DNS name with \ddd escapes made invalid JSON.
#[test]
fn dns_escapes_stay_valid_json() {
    let mut r = dns_response(1, "a.b", &[], 0);
    r[13] = 0; // the label "a" becomes a NUL byte
    let f = eth(0x0800, &ipv4(B4, A4, UDP, &udp(53, 5353, &r)));
    let mut s = Summarizer::new(opts());
    let mut out = Vec::new();
    s.line(&mut out, &pkt(&f), &iface(1));
    assert!(String::from_utf8_lossy(&out).contains("1 0/0/0"));
    out.clear();
    s.json(&mut out, &pkt(&f), &iface(1));
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["dns"]["qname"], "\\000.b.");
}

/// Found by the decode fuzz target: an IPv6 extension chain cut short made etherparse's
/// extension iterator read past its slice.
#[test]
fn cut_ipv6_extension_chain() {
    let d: Vec<u8> = vec![
        2, 66, 10, 1, 0, 2, 2, 66, 10, 1, 0, 1, 134, 221, 96, 43, 0, 0, 0, 0, 0, 0, 0, 0, 168, 202,
        31, 255, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 255, 2, 0, 0, 89, 0, 0, 111, 102, 0, 0, 1,
        255, 0, 0, 2, 135, 0, 0, 0, 0, 0, 0, 0, 254, 128, 0, 0, 0, 0, 0, 0, 168, 202, 31, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 144, 0, 0,
    ];
    let l = line(1, &d);
    assert!(l.starts_with("IP6 "), "{l}");
}

/// One rule decides DNS for both outputs (tcpdump's, print-udp.c): port 53 on either side is
/// DNS, else 5353 on either side is mDNS; other ports are plain UDP.
#[test]
fn text_and_json_agree_on_which_datagrams_are_dns() {
    let cases = [
        ((53, 40000), Some(false)),
        ((40000, 53), Some(false)),
        ((5353, 53), Some(false)),
        ((53, 5353), Some(false)),
        ((5353, 5353), Some(true)),
        ((40000, 5353), Some(true)),
        ((5353, 40000), Some(true)),
        ((40000, 9999), None),
    ];
    let mut s = Summarizer::new(opts());
    for ((sp, dp), dns) in cases {
        let f = eth(
            0x0800,
            &ipv4(A4, B4, UDP, &udp(sp, dp, &dns_query(1, "a.b", 1))),
        );
        let l = line(1, &f);
        let mdns = l.ends_with("1+ A (QM)? a.b. (21)");
        let unicast = l.ends_with("1+ A? a.b. (21)");
        assert_eq!(dns, (mdns || unicast).then_some(mdns), "{sp} > {dp}: {l}");
        let mut out = Vec::new();
        s.json(&mut out, &pkt(&f), &iface(1));
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(v.get("dns").is_some(), dns.is_some(), "{sp} > {dp}: {v}");
    }
}
