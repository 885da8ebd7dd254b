//! Writes a realistic capture for the benchmark and for manual comparison with tcpdump:
//! TCP conversations, UDP, DNS, ICMP over IPv4 and IPv6, ARP and 802.1Q-tagged frames.
//!
//! Usage: cargo run --release --example gen_capture -- OUT.pcap [PACKETS]

use std::fs::File;
use std::io::BufWriter;

use nscap::packet::{Interface, Packet};
use nscap::sink::pcap::PcapWriter;
use nscap::sink::Sink;
use nscap_frames::*;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "capture.pcap".into());
    let count: u64 = args
        .next()
        .map(|c| c.parse())
        .transpose()?
        .unwrap_or(200_000);
    let out = BufWriter::new(File::create(&path)?);
    let mut w = PcapWriter::new(out, false, false);
    w.start(&[Interface {
        name: "eth0".into(),
        linktype: 1,
        snaplen: 262_144,
        description: String::new(),
        mac: None,
    }])?;
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut sec, mut usec) = (1_700_000_000i64, 0u32);
    let names = [
        "example.com",
        "api.example.org",
        "cdn.example.net",
        "mail.example.com",
    ];
    for i in 0..count {
        let r = next();
        let host = (r >> 8) as u8 % 50 + 1;
        let a4 = [10, 1, 0, host];
        let b4 = [10, 2, 0, (r >> 16) as u8 % 20 + 1];
        let a6 = v6(&format!("2001:db8:1::{host:x}"));
        let b6 = v6("2001:db8:2::35");
        let port = 32768 + (r >> 24) as u16 % 20000;
        let seq = (r >> 32) as u32;
        let payload = [0x41u8; 1400];
        let frame = match i % 28 {
            0 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    TCP,
                    &tcp(
                        port,
                        443,
                        seq,
                        0,
                        SYN,
                        64240,
                        &tcp_options(&[
                            TcpOption::mss(1460),
                            TcpOption::sack_perm(),
                            TcpOption::nop(),
                            TcpOption::wscale(7),
                        ]),
                        &[],
                    ),
                ),
            ),
            1 => ether(
                MAC_A,
                MAC_B,
                0x0800,
                &ipv4(
                    b4,
                    a4,
                    TCP,
                    &tcp(
                        443,
                        port,
                        seq,
                        seq + 1,
                        SYN | ACK,
                        65160,
                        &tcp_options(&[TcpOption::mss(1460)]),
                        &[],
                    ),
                ),
            ),
            2..=6 => ether(
                MAC_A,
                MAC_B,
                0x0800,
                &ipv4(
                    b4,
                    a4,
                    TCP,
                    &tcp(
                        443,
                        port,
                        seq,
                        seq / 3,
                        PSH | ACK,
                        502,
                        &[],
                        &payload[..(r % 1400) as usize],
                    ),
                ),
            ),
            7 | 8 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    TCP,
                    &tcp(port, 443, seq, seq / 7, ACK, 501, &[], &[]),
                ),
            ),
            9 => {
                let q = dns_query(
                    (r >> 40) as u16,
                    names[(r % 4) as usize],
                    if r & 1 == 0 { 1 } else { 28 },
                );
                ether(MAC_B, MAC_A, 0x0800, &ipv4(a4, b4, UDP, &udp(port, 53, &q)))
            }
            10 => {
                let resp = dns_response(
                    (r >> 40) as u16,
                    names[(r % 4) as usize],
                    &[[93, 184, 216, host], [93, 184, 217, host]],
                    0,
                );
                ether(
                    MAC_A,
                    MAC_B,
                    0x0800,
                    &ipv4(b4, a4, UDP, &udp(53, port, &resp)),
                )
            }
            11 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    ICMP,
                    &icmp(8, 0, echo_rest(host.into(), i as u16), &[0u8; 56]),
                ),
            ),
            12 => ether(
                MAC_A,
                MAC_B,
                0x0800,
                &ipv4(
                    b4,
                    a4,
                    ICMP,
                    &icmp(0, 0, echo_rest(host.into(), i as u16), &[0u8; 56]),
                ),
            ),
            13 => ether(
                MAC_B,
                MAC_A,
                0x86dd,
                &ipv6(
                    a6,
                    b6,
                    TCP,
                    &tcp(
                        port,
                        80,
                        seq,
                        seq / 5,
                        PSH | ACK,
                        1000,
                        &[],
                        &payload[..(r % 900) as usize],
                    ),
                ),
            ),
            14 => ether(
                MAC_B,
                MAC_A,
                0x86dd,
                &ipv6(
                    a6,
                    b6,
                    UDP,
                    &udp(
                        port,
                        53,
                        &dns_query((r >> 40) as u16, names[(r % 4) as usize], 28),
                    ),
                ),
            ),
            15 => ether(
                MAC_B,
                MAC_A,
                0x86dd,
                &ipv6(
                    a6,
                    b6,
                    ICMP6,
                    &icmp(128, 0, echo_rest(7, i as u16), &[0u8; 32]),
                ),
            ),
            16 => {
                let mut ns = v6("2001:db8:2::35").to_vec();
                ns.extend_from_slice(&ndp_lladdr(1, MAC_A));
                ether(
                    MAC_B,
                    MAC_A,
                    0x86dd,
                    &ipv6(a6, v6("ff02::1:ff00:35"), ICMP6, &icmp(135, 0, [0; 4], &ns)),
                )
            }
            17 => {
                let mut f = ether(BROADCAST, MAC_A, 0x0806, &arp(1, MAC_A, a4, [0; 6], b4));
                f.resize(60, 0);
                f
            }
            18 => ether(
                MAC_B,
                MAC_A,
                0x8100,
                &vlan_tag(
                    100,
                    0,
                    0x0800,
                    &ipv4(a4, b4, UDP, &udp(port, 5000, &payload[..200])),
                ),
            ),
            // The application printers: RESP, syslog, HTTP, DHCP, NTP, VRRP, SMTP, SIP.
            20 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    TCP,
                    &tcp(
                        port,
                        6379,
                        seq,
                        seq / 3,
                        PSH | ACK,
                        502,
                        &[],
                        b"*3\r\n$3\r\nSET\r\n$5\r\nmykey\r\n$5\r\nhello\r\n",
                    ),
                ),
            ),
            21 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    UDP,
                    &udp(
                        port,
                        514,
                        b"<13>Dec  7 15:00:00 web app[42]: request served",
                    ),
                ),
            ),
            22 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    TCP,
                    &tcp(
                        port,
                        80,
                        seq,
                        seq / 7,
                        PSH | ACK,
                        502,
                        &[],
                        b"GET /index.html HTTP/1.1\r\nHost: web\r\nUser-Agent: curl/8\r\n\r\n",
                    ),
                ),
            ),
            23 => {
                let mut d = vec![1u8, 1, 6, 0];
                d.extend_from_slice(&seq.to_be_bytes());
                d.extend_from_slice(&[0; 20]);
                d.extend_from_slice(&MAC_A);
                d.extend_from_slice(&[0; 10 + 64 + 128]);
                d.extend_from_slice(&[99, 130, 83, 99, 53, 1, 1, 61, 7, 1]);
                d.extend_from_slice(&MAC_A);
                d.extend_from_slice(&[55, 4, 1, 3, 6, 15, 12, 3, b'w', b'e', b'b', 255]);
                ether(
                    BROADCAST,
                    MAC_A,
                    0x0800,
                    &ipv4([0; 4], [255; 4], UDP, &udp(68, 67, &d)),
                )
            }
            24 => {
                let mut n = vec![0x23u8, 0, 6, 0xec];
                n.extend_from_slice(&[0; 36]);
                n.extend_from_slice(&seq.to_be_bytes());
                n.extend_from_slice(&[0; 4]);
                ether(
                    MAC_B,
                    MAC_A,
                    0x0800,
                    &ipv4(a4, b4, UDP, &udp(port, 123, &n)),
                )
            }
            25 => ether(
                [0x01, 0x00, 0x5e, 0, 0, 0x12],
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    [224, 0, 0, 18],
                    112,
                    &[
                        0x21, 51, 150, 1, 0, 1, 0, 0, 10, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0,
                    ],
                ),
            ),
            26 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    TCP,
                    &tcp(
                        port,
                        25,
                        seq,
                        seq / 11,
                        PSH | ACK,
                        502,
                        &[],
                        b"MAIL FROM:<app@example.org>\r\n",
                    ),
                ),
            ),
            27 => ether(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    a4,
                    b4,
                    UDP,
                    &udp(
                        5060,
                        5060,
                        b"OPTIONS sip:gw@example.org SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n",
                    ),
                ),
            ),
            _ => ether(
                MAC_B,
                MAC_A,
                0x8100,
                &vlan_tag(
                    200,
                    0,
                    0x0800,
                    &ipv4(
                        a4,
                        b4,
                        TCP,
                        &tcp(port, 22, seq, seq / 2, PSH | ACK, 300, &[], &payload[..48]),
                    ),
                ),
            ),
        };
        usec += 37 + (r % 50) as u32;
        if usec >= 1_000_000 {
            usec -= 1_000_000;
            sec += 1;
        }
        w.packet(&Packet {
            iface: 0,
            ts_sec: sec,
            ts_nsec: usec * 1000,
            len: frame.len() as u32,
            data: &frame,
        })?;
    }
    w.finish()?;
    Ok(())
}
