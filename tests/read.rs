//! `nscap -r` end to end: the real binary on capture files these tests write.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use nscap::packet::{Interface, Packet};
use nscap::sink::pcap::PcapWriter;
use nscap::sink::pcapng::PcapngWriter;
use nscap::sink::Sink;
use nscap_frames::*;

const A4: [u8; 4] = [10, 1, 0, 1];
const B4: [u8; 4] = [10, 1, 0, 2];

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("read");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn iface(name: &str, linktype: u16) -> Interface {
    Interface {
        name: name.into(),
        linktype,
        snaplen: 262_144,
        description: String::new(),
        mac: None,
    }
}

/// A small conversation: TCP handshake and data, DNS query and answer, ping, ARP, IPv6 ND.
fn frames() -> Vec<Vec<u8>> {
    let e = |t, p: &[u8]| ether(MAC_B, MAC_A, t, p);
    let mut ns = v6("fe80::2").to_vec();
    ns.extend_from_slice(&ndp_lladdr(1, MAC_A));
    vec![
        e(
            0x0800,
            &ipv4(A4, B4, TCP, &tcp(43210, 8080, 1, 0, SYN, 64240, &[], &[])),
        ),
        ether(
            MAC_A,
            MAC_B,
            0x0800,
            &ipv4(
                B4,
                A4,
                TCP,
                &tcp(8080, 43210, 100, 2, SYN | ACK, 65160, &[], &[]),
            ),
        ),
        e(
            0x0800,
            &ipv4(
                A4,
                B4,
                TCP,
                &tcp(43210, 8080, 2, 101, PSH | ACK, 502, &[], b"hello"),
            ),
        ),
        e(
            0x0800,
            &ipv4(
                A4,
                B4,
                UDP,
                &udp(5353, 53, &dns_query(0x1234, "example.com", 1)),
            ),
        ),
        ether(
            MAC_A,
            MAC_B,
            0x0800,
            &ipv4(
                B4,
                A4,
                UDP,
                &udp(
                    53,
                    5353,
                    &dns_response(0x1234, "example.com", &[[93, 184, 216, 34]], 0),
                ),
            ),
        ),
        e(
            0x0800,
            &ipv4(A4, B4, ICMP, &icmp(8, 0, echo_rest(5, 1), &[0; 56])),
        ),
        ether(BROADCAST, MAC_A, 0x0806, &arp(1, MAC_A, A4, [0; 6], B4)),
        e(
            0x86dd,
            &ipv6(
                v6("fe80::1"),
                v6("ff02::1:ff00:2"),
                ICMP6,
                &icmp(135, 0, [0; 4], &ns),
            ),
        ),
        e(
            0x8100,
            &vlan_tag(
                100,
                0,
                0x0800,
                &ipv4(A4, B4, UDP, &udp(1000, 2000, &[0; 30])),
            ),
        ),
    ]
}

fn pkt(data: &[u8], i: usize, iface: usize) -> Packet<'_> {
    Packet {
        iface,
        ts_sec: 1_700_000_000 + i as i64,
        ts_nsec: 123_456_000 + i as u32 * 1000,
        len: data.len() as u32,
        data,
    }
}

fn write_pcap(path: &Path, linktype: u16, frames: &[Vec<u8>]) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::new(f, false, false);
    w.start(&[iface("eth0", linktype)]).unwrap();
    for (i, fr) in frames.iter().enumerate() {
        w.packet(&pkt(fr, i, 0)).unwrap();
    }
    w.finish().unwrap();
}

/// A big-endian, nanosecond pcap written byte by byte (our writer only writes native order).
fn write_pcap_be_nano(path: &Path, frames: &[Vec<u8>]) {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
    b.extend_from_slice(&2u16.to_be_bytes());
    b.extend_from_slice(&4u16.to_be_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_be_bytes());
    b.extend_from_slice(&1u32.to_be_bytes());
    for (i, fr) in frames.iter().enumerate() {
        let p = pkt(fr, i, 0);
        b.extend_from_slice(&(p.ts_sec as u32).to_be_bytes());
        b.extend_from_slice(&(p.ts_nsec + 789).to_be_bytes());
        b.extend_from_slice(&(fr.len() as u32).to_be_bytes());
        b.extend_from_slice(&(fr.len() as u32).to_be_bytes());
        b.extend_from_slice(fr);
    }
    std::fs::write(path, b).unwrap();
}

fn nscap(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nscap"));
    c.args(args)
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut si = child.stdin.take().unwrap();
    if let Some(data) = stdin {
        si.write_all(data).unwrap();
    }
    drop(si);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn expected() -> Vec<String> {
    [
        "22:13:20.123456 IP 10.1.0.1.43210 > 10.1.0.2.8080: Flags [S], seq 1, win 64240, length 0",
        "22:13:21.123457 IP 10.1.0.2.8080 > 10.1.0.1.43210: Flags [S.], seq 100, ack 2, win 65160, length 0",
        "22:13:22.123458 IP 10.1.0.1.43210 > 10.1.0.2.8080: Flags [P.], seq 1:6, ack 1, win 502, length 5: HTTP",
        "22:13:23.123459 IP 10.1.0.1.5353 > 10.1.0.2.53: 4660+ A? example.com. (29)",
        "22:13:24.123460 IP 10.1.0.2.53 > 10.1.0.1.5353: 4660 1/0/0 A 93.184.216.34 (45)",
        "22:13:25.123461 IP 10.1.0.1 > 10.1.0.2: ICMP echo request, id 5, seq 1, length 64",
        "22:13:26.123462 ARP, Request who-has 10.1.0.2 tell 10.1.0.1, length 28",
        "22:13:27.123463 IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 32",
        "22:13:28.123464 IP 10.1.0.1.1000 > 10.1.0.2.2000: UDP, length 30",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn pcap_file_prints_one_line_per_packet() {
    let p = dir().join("basic.pcap");
    write_pcap(&p, 1, &frames());
    let o = nscap(&["-r", p.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().collect::<Vec<_>>(), expected());
    assert!(o.stderr.is_empty());
}

#[test]
fn big_endian_nanosecond_pcap_and_stdin() {
    let p = dir().join("be-nano.pcap");
    write_pcap_be_nano(&p, &frames());
    let o = nscap(
        &["-r", "-", "--nano", "-tt"],
        Some(&std::fs::read(&p).unwrap()),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "1700000000.123456789 IP 10.1.0.1.43210 > 10.1.0.2.8080: Flags [S], seq 1, win 64240, length 0"
    );
    assert_eq!(out.lines().count(), frames().len());
    let bytes = std::fs::read(&p).unwrap();
    let o = nscap(&["-r", "-"], Some(&bytes[..bytes.len() - 3]));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).starts_with("nscap: standard input: truncated packet data"));
}

#[test]
fn pcapng_with_several_interfaces_and_link_types_names_them() {
    let p = dir().join("multi.pcapng");
    let f = std::fs::File::create(&p).unwrap();
    let mut w = PcapngWriter::new(f, false);
    w.start(&[iface("eth0", 1), iface("tun0", 101), iface("any", 276)])
        .unwrap();
    let fr = frames();
    let raw = ipv4(A4, B4, UDP, &udp(1, 2, b"abc"));
    let cooked = sll2(4, 1, 2, &MAC_A, 0x0800, &raw);
    w.packet(&pkt(&fr[0], 0, 0)).unwrap();
    w.packet(&pkt(&raw, 1, 1)).unwrap();
    w.packet(&pkt(&cooked, 2, 2)).unwrap();
    w.finish().unwrap();
    let o = nscap(&["-r", p.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "22:13:20.123456 eth0 IP 10.1.0.1.43210 > 10.1.0.2.8080: Flags [S], seq 1, win 64240, length 0",
            "22:13:21.123457 tun0 IP 10.1.0.1.1 > 10.1.0.2.2: UDP, length 3",
        ]
    );
    // An SLL2 packet `any` left unattributed: its interface index is looked up on this host,
    // as tcpdump does, in tcpdump's five columns, then the direction in three.
    let (stamp, rest) = lines[2].split_at(16);
    assert_eq!(stamp, "22:13:22.123458 ");
    assert!(
        rest.ends_with(" Out IP 10.1.0.1.1 > 10.1.0.2.2: UDP, length 3") && rest.len() >= 51,
        "{rest}"
    );
}

#[test]
fn bpf_filter_and_count() {
    let p = dir().join("filter.pcap");
    write_pcap(&p, 1, &frames());
    let path = p.to_str().unwrap();
    let o = nscap(&["-r", path, "udp", "port", "53"], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let want: Vec<String> = expected()[3..5].to_vec();
    assert_eq!(text(&o.stdout).lines().collect::<Vec<_>>(), want);
    let o = nscap(&["-r", path, "-c", "2", "-f", "tcp"], None);
    assert_eq!(text(&o.stdout).lines().count(), 2);
    let o = nscap(&["-r", path, "no", "such", "filter", "(("], None);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("nscap: ") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn truncated_file_prints_what_came_before_then_one_error() {
    let p = dir().join("cut.pcap");
    write_pcap(&p, 1, &frames());
    let mut bytes = std::fs::read(&p).unwrap();
    let keep = bytes.len() - 20;
    bytes.truncate(keep);
    std::fs::write(&p, &bytes).unwrap();
    let o = nscap(&["-r", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert_eq!(out.lines().count(), frames().len() - 1);
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("truncated packet data"), "{err}");

    // A pcapng block whose trailing length lies.
    let p = dir().join("corrupt.pcapng");
    let f = std::fs::File::create(&p).unwrap();
    let mut w = PcapngWriter::new(f, false);
    w.start(&[iface("eth0", 1)]).unwrap();
    for (i, fr) in frames().iter().enumerate() {
        w.packet(&pkt(fr, i, 0)).unwrap();
    }
    w.finish().unwrap();
    let mut bytes = std::fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0x40;
    std::fs::write(&p, &bytes).unwrap();
    let o = nscap(&["-r", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout).lines().count(), frames().len() - 1);
    assert!(text(&o.stderr).contains("trailing length"));
}

#[test]
fn not_a_capture_is_one_error_line() {
    let p = dir().join("junk.pcap");
    std::fs::write(&p, b"hello, world\n").unwrap();
    let o = nscap(&["-r", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
    let o = nscap(&["-r", "/nonexistent/x.pcap"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("/nonexistent/x.pcap"));
}

#[test]
fn json_lines_follow_the_documented_schema() {
    let p = dir().join("json.pcap");
    write_pcap(&p, 1, &frames());
    let o = nscap(&["-r", p.to_str().unwrap(), "--json"], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(objs.len(), frames().len());
    let syn = &objs[0];
    assert_eq!(syn["time"].as_f64(), Some(1_700_000_000.123456));
    assert_eq!(syn["len"], 54);
    assert_eq!(syn["caplen"], 54);
    assert_eq!(syn["eth"]["src"], "02:42:0a:01:00:01");
    assert_eq!(syn["eth"]["type"], 2048);
    assert_eq!(syn["ip"]["src"], "10.1.0.1");
    assert_eq!(syn["ip"]["proto"], 6);
    assert_eq!(syn["ip"]["ttl"], 64);
    assert_eq!(syn["tcp"]["sport"], 43210);
    assert_eq!(syn["tcp"]["flags"], "S");
    assert_eq!(syn["tcp"]["seq"], 1);
    assert_eq!(syn["tcp"]["win"], 64240);
    let q = &objs[3];
    assert_eq!(q["udp"]["dport"], 53);
    assert_eq!(q["dns"]["id"], 4660);
    assert_eq!(q["dns"]["qname"], "example.com.");
    assert_eq!(q["dns"]["qtype"], "A");
    let r = &objs[4];
    assert_eq!(r["dns"]["rcode"], 0);
    assert_eq!(r["dns"]["answers"][0], "A 93.184.216.34");
    assert_eq!(objs[5]["icmp"]["type"], 8);
    assert_eq!(objs[6]["arp"]["tpa"], "10.1.0.2");
    assert_eq!(objs[7]["icmp6"]["type"], 135);
    assert_eq!(objs[8]["eth"]["vlan"][0], 100);
}

#[test]
fn flows_table_follows_the_packet_lines() {
    let p = dir().join("flows.pcap");
    write_pcap(&p, 1, &frames());
    let o = nscap(&["-r", p.to_str().unwrap(), "--flows", "-tt"], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    let n = frames().len();
    assert_eq!(lines[n], "Conversations: 5 (sorted by bytes)");
    let tcp_row = lines
        .iter()
        .find(|l| l.starts_with("TCP "))
        .expect("tcp row");
    assert!(tcp_row.contains("10.1.0.1:43210"), "{out}");
    assert!(tcp_row.ends_with("SYN"), "{out}");
    assert_eq!(*lines.last().unwrap(), "not IP: 1 packets, 42 bytes");
}

#[test]
fn count_stops_early_and_pipes_closing_is_quiet() {
    let p = dir().join("many.pcap");
    let many: Vec<Vec<u8>> = (0..20_000).map(|i| frames()[i % 9].clone()).collect();
    write_pcap(&p, 1, &many);
    let mut child = Command::new(env!("CARGO_BIN_EXE_nscap"))
        .args(["-r", p.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn a_full_output_is_named_not_the_input() {
    let p = dir().join("full.pcap");
    write_pcap(&p, 1, &frames());
    for extra in [&[][..], &["--json"], &["--flows"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_nscap"))
            .args(["-r", p.to_str().unwrap()])
            .args(extra)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{extra:?}");
        assert_eq!(
            text(&o.stderr),
            "nscap: cannot write to standard output: No space left on device\n",
            "{extra:?}"
        );
    }
}

/// Real-capture seeds for `fuzz/run.sh`: the files above, and frames prefixed with their link
/// type for the decoder target.
#[test]
fn writes_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let read = root.join("read");
    let decode = root.join("decode");
    std::fs::create_dir_all(&read).unwrap();
    std::fs::create_dir_all(&decode).unwrap();
    write_pcap(&read.join("eth.pcap"), 1, &frames());
    write_pcap_be_nano(&read.join("be-nano.pcap"), &frames());
    let f = std::fs::File::create(read.join("multi.pcapng")).unwrap();
    let mut w = PcapngWriter::new(f, false);
    w.start(&[iface("eth0", 1), iface("any", 276)]).unwrap();
    let fr = frames();
    w.packet(&pkt(&fr[0], 0, 0)).unwrap();
    let cooked = sll2(
        4,
        1,
        2,
        &MAC_A,
        0x0800,
        &ipv4(A4, B4, UDP, &udp(1, 53, &dns_query(1, "a.example", 28))),
    );
    w.packet(&pkt(&cooked, 1, 1)).unwrap();
    w.finish().unwrap();
    // Decoder seeds: byte 0 selects the link type in fuzz/fuzz_targets/decode.rs (index 1 =
    // Ethernet), bytes 1 and 2 the print options; then the frame. Redis (RESP) segments too.
    let resp: Vec<Vec<u8>> = [
        &b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$-1\r\n"[..],
        b"+OK\r\n:12\r\n-ERR x\r\nPING\r\n*0\r\n",
    ]
    .iter()
    .map(|p| {
        let t = tcp(40000, 6379, 1, 1, PSH | ACK, 502, &[], p);
        ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, B4, TCP, &t))
    })
    .collect();
    for (i, f) in frames().iter().chain(&resp).enumerate() {
        let mut seed = vec![1u8, 0, 0];
        seed.extend_from_slice(f);
        std::fs::write(decode.join(format!("eth-{i}")), seed).unwrap();
    }
    // The application printers, at -v (print option bits 4-5) and plain: DHCP, NTP, VRRP, the
    // text protocols and SIP.
    let mut dhcp = vec![1u8, 1, 6, 0, 0x39, 3, 0xf3, 0x26, 0, 9, 0x80, 0];
    dhcp.extend_from_slice(&[0; 16]);
    dhcp.extend_from_slice(&MAC_A);
    dhcp.extend_from_slice(&[0; 10 + 64 + 128]);
    dhcp.extend_from_slice(&[99, 130, 83, 99, 53, 1, 1, 55, 3, 1, 3, 6, 12, 1, b'a']);
    dhcp.extend_from_slice(&[
        61, 3, 0, b'i', b'd', 81, 4, 5, 0, 0, b'w', 121, 5, 8, 10, 1, 2, 3, 255,
    ]);
    let mut ntp = vec![0x24u8, 2, 6, 0xec];
    ntp.extend_from_slice(&[0; 12]);
    ntp.extend_from_slice(&[0xeb, 0x00, 0x00, 0x00].repeat(8));
    // A BGP Keepalive and an Update with an AS path, a next hop and a route.
    let mut bgp = [[0xffu8; 16].as_slice(), &[0, 19, 4]].concat();
    let upd = [
        &[0u8, 0, 0, 18][..],
        &[
            0x40, 1, 1, 0, 0x40, 2, 4, 2, 1, 0xfc, 0, 0x40, 3, 4, 10, 0, 0, 1,
        ],
        &[24, 10, 20, 1],
    ]
    .concat();
    bgp.extend_from_slice(&[0xff; 16]);
    bgp.extend_from_slice(&((19 + upd.len()) as u16).to_be_bytes());
    bgp.push(2);
    bgp.extend_from_slice(&upd);
    let v4 = |dst: [u8; 4], proto: u8, payload: &[u8]| {
        ether(MAC_B, MAC_A, 0x0800, &ipv4(A4, dst, proto, payload))
    };
    let vrrp = [
        0x21, 1, 100, 1, 1, 1, 0, 0, 10, 0, 0, 1, b'p', 0, 0, 0, 0, 0, 0, 0,
    ];
    let smtp = b"EHLO x\r\nMAIL FROM:<a@b>\r\n";
    let sip = b"INVITE sip:b@c SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n";
    let apps: Vec<Vec<u8>> = vec![
        v4(B4, TCP, &tcp(40000, 179, 1, 1, PSH | ACK, 502, &[], &bgp)),
        v4(B4, UDP, &udp(68, 67, &dhcp)),
        v4(B4, UDP, &udp(123, 123, &ntp)),
        v4([224, 0, 0, 18], 112, &vrrp),
        v4(B4, TCP, &tcp(40000, 25, 1, 1, PSH | ACK, 502, &[], smtp)),
        v4(B4, UDP, &udp(5060, 5060, sip)),
        v4(
            B4,
            UDP,
            &udp(40000, 69, b"\x00\x01boot.img\x00octet\x00tsize\x000\x00"),
        ),
    ];
    for (i, f) in apps.iter().enumerate() {
        for (o, name) in [(0u8, "plain"), (0x30, "vv")] {
            let mut seed = vec![1u8, o, 0];
            seed.extend_from_slice(f);
            std::fs::write(decode.join(format!("app-{i}-{name}")), seed).unwrap();
        }
    }
    assert!(std::fs::read_dir(&decode).unwrap().count() >= frames().len());
}

/// The threads of a running `nscap -r -` whose standard input stays open and empty, started
/// under `taskset -c CPUS` when given.
fn threads_reading_stdin(cpus: Option<&str>) -> Vec<String> {
    let mut cmd = match cpus {
        Some(c) => {
            let mut c2 = Command::new("taskset");
            c2.args(["-c", c, env!("CARGO_BIN_EXE_nscap")]);
            c2
        }
        None => Command::new(env!("CARGO_BIN_EXE_nscap")),
    };
    let mut child = cmd
        .args(["-r", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{}/task", child.id()))
        .unwrap()
        .map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).unwrap())
        .map(|c| c.trim_end().to_string())
        .collect();
    names.sort();
    drop(child.stdin.take());
    child.wait().unwrap();
    names
}

/// With two CPUs a thread reads ahead while the other parses; on one it would only add
/// hand-overs, so none is started.
#[test]
fn input_is_read_ahead_only_with_a_second_cpu() {
    if Command::new("taskset").arg("-V").output().is_err() {
        eprintln!("taskset not installed: skipped");
        return;
    }
    let one = threads_reading_stdin(Some("0"));
    assert_eq!(one, ["nscap"], "on one CPU");
    if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
        let two = threads_reading_stdin(None);
        assert_eq!(two, ["nscap", "nscap-read"], "on several CPUs");
    }
}

/// Where no thread may be started (a task limit: RLIMIT_NPROC, a pids cgroup), the file is
/// read without the read-ahead thread, with the same lines.
#[test]
fn input_is_read_where_no_thread_may_start() {
    let have = |c: &str| Command::new(c).arg("--version").output().is_ok();
    if !(have("setpriv") && have("prlimit") && nix::unistd::geteuid().is_root()) {
        eprintln!("needs root, setpriv and prlimit: skipped");
        return;
    }
    // Somewhere the unprivileged user can read.
    let path = std::env::temp_dir().join(format!("nscap-nproc-{}.pcap", std::process::id()));
    write_pcap(&path, 1, &frames());
    let p = path.to_str().unwrap();
    let free = Command::new(env!("CARGO_BIN_EXE_nscap"))
        .args(["-r", p])
        .output()
        .unwrap();
    // As nobody with room for one task only, the process itself: no thread can start.
    let limited = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .args([
            "prlimit",
            "--nproc=1",
            "--",
            env!("CARGO_BIN_EXE_nscap"),
            "-r",
            p,
        ])
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(free.status.success());
    assert_eq!(
        String::from_utf8_lossy(&limited.stderr),
        "",
        "{:?}",
        limited.status
    );
    assert!(limited.status.success());
    assert_eq!(limited.stdout, free.stdout);
}

/// A record longer than the file's snapshot length (a damaged or fuzzed file, or Solaris
/// 2.3's): libpcap hands tcpdump its first snaplen bytes, and so does nscap, in the summary and
/// the dump alike; a snapshot length of 0 means no limit.
#[test]
fn records_longer_than_the_snapshot_length_are_cut_to_it() {
    let frames = frames();
    let write = |path: &Path, snaplen: u32| {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&snaplen.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        for (i, fr) in frames.iter().enumerate() {
            b.extend_from_slice(&(1_700_000_000 + i as u32).to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&(fr.len() as u32).to_le_bytes());
            b.extend_from_slice(&(fr.len() as u32).to_le_bytes());
            b.extend_from_slice(fr);
        }
        std::fs::write(path, b).unwrap();
    };
    for snaplen in [40u32, 60, 0] {
        let path = dir().join(format!("oversnap-{snaplen}.pcap"));
        write(&path, snaplen);
        let p = path.to_str().unwrap();
        for flags in [&["-x"][..], &["-v"]] {
            let mut args = flags.to_vec();
            args.extend(["-r", p]);
            let ours = nscap(&args, None);
            assert!(ours.status.success(), "{}", text(&ours.stderr));
            let mut targs = vec!["-n"];
            targs.extend(&args);
            let theirs = Command::new("tcpdump")
                .args(&targs)
                .env("TZ", "UTC")
                .output()
                .unwrap();
            assert_eq!(
                text(&ours.stdout),
                text(&theirs.stdout),
                "snaplen {snaplen} {flags:?}"
            );
        }
    }
}

/// libpcap's and tcpdump's checks on a record's lengths, on damaged or fuzzed files:
/// `[Invalid header: …]` lines (no time stamp, no decoding) for a record with no captured bytes,
/// a length below the captured one, or lengths past 262144; and the end of the file, with an
/// error, at a classic record longer than any Ethernet one may be, or a pcapng packet longer
/// than the snapshot length.
#[test]
fn invalid_record_lengths_are_told_as_tcpdump_tells_them() {
    let frame = &frames()[0];
    let record = |caplen: u32, len: u32, data: &[u8]| {
        let mut b = Vec::new();
        b.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&caplen.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(data);
        b
    };
    let header = |snaplen: u32| {
        let mut b = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        b.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&snaplen.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b
    };
    let n = frame.len() as u32;
    let mut file = header(0);
    file.extend(record(n, n, frame));
    file.extend(record(0, 0, &[]));
    file.extend(record(n, n - 1, frame));
    file.extend(record(n, 300_000, frame));
    file.extend(record(0, 300_000, &[]));
    file.extend(record(n, n, frame));
    // Longer than any Ethernet record: the file ends there for both.
    file.extend(record(270_000, 270_000, &vec![0u8; 270_000]));
    file.extend(record(n, n, frame));
    let path = dir().join("invalid-lengths.pcap");
    std::fs::write(&path, &file).unwrap();

    // A pcapng packet longer than the interface's snapshot length (50).
    let mut ng = Vec::new();
    let block = |ng: &mut Vec<u8>, kind: u32, body: &[u8]| {
        let total = (12 + body.len().div_ceil(4) * 4) as u32;
        ng.extend_from_slice(&kind.to_le_bytes());
        ng.extend_from_slice(&total.to_le_bytes());
        ng.extend_from_slice(body);
        ng.resize(ng.len() + (4 - body.len() % 4) % 4, 0);
        ng.extend_from_slice(&total.to_le_bytes());
    };
    block(
        &mut ng,
        0x0a0d_0d0a,
        &[
            0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    block(&mut ng, 1, &[1, 0, 0, 0, 50, 0, 0, 0]);
    for caplen in [40u32, 90] {
        let mut epb = vec![0u8; 12];
        epb.extend_from_slice(&caplen.to_le_bytes());
        epb.extend_from_slice(&caplen.to_le_bytes());
        epb.extend_from_slice(
            &frame
                .iter()
                .copied()
                .cycle()
                .take(caplen as usize)
                .collect::<Vec<u8>>(),
        );
        block(&mut ng, 6, &epb);
    }
    let ng_path = dir().join("over-snaplen.pcapng");
    std::fs::write(&ng_path, &ng).unwrap();

    for p in [&path, &ng_path] {
        let p = p.to_str().unwrap();
        for flags in [&[][..], &["-v"], &["-x"], &["-#"]] {
            let mut args = flags.to_vec();
            args.extend(["-r", p]);
            let ours = nscap(&args, None);
            let mut targs = vec!["-n"];
            targs.extend(&args);
            let theirs = Command::new("tcpdump")
                .args(&targs)
                .env("TZ", "UTC")
                .output()
                .unwrap();
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{p} {flags:?}");
            // Both end with an error, naming the length.
            assert!(!ours.status.success() && !theirs.status.success(), "{p}");
            let err = text(&ours.stderr);
            assert!(err.contains("invalid packet capture length"), "{err}");
        }
    }
    let out = text(&nscap(&["-r", path.to_str().unwrap()], None).stdout);
    assert!(out.contains("[Invalid header: caplen==0, len==0]"), "{out}");
    assert!(
        out.contains("[Invalid header: len(300000) > 262144]"),
        "{out}"
    );
}
