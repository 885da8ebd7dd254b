//! Real daemons from Debian's packages make the traffic; tcpdump and nscap print the same
//! capture, and must agree line for line (issue 23). Each daemon runs in a throwaway world's
//! target namespace, its client in the peer's; nscap records the traffic with `-w`.
mod common;
use common::*;

use std::process::Command;
use std::time::Duration;

fn lines(cmd: &str, args: &[&str]) -> Vec<String> {
    ok_stdout(Command::new(cmd).args(args).env("TZ", "UTC"))
        .lines()
        .map(String::from)
        .collect()
}

/// `file` printed by both, with `flags`, line for line.
fn compare(file: &str, flags: &[&str]) {
    let mut args = flags.to_vec();
    args.extend_from_slice(&["-r", file]);
    let ours = lines(nscap_bin(), &args);
    let mut targs = vec!["-n"];
    targs.extend_from_slice(&args);
    let theirs = lines("tcpdump", &targs);
    assert_eq!(ours, theirs, "nscap {flags:?} differs from tcpdump -n");
}

/// Waits (at most 10 s) until a TCP server in the target's namespace listens on `port`.
fn listening(w: &World, port: u16) {
    wait_until(
        10,
        || format!("nothing listens on TCP port {port}"),
        || {
            Command::new("sh")
                .args(["-c", &w.ns.exec(&format!("ss -ltnH sport = :{port}"))])
                .output()
                .ok()
                .filter(|o| !o.stdout.is_empty())
                .map(|_| ())
        },
    );
}

/// BIRD in `ns` with the configuration `conf`, its control socket and PID file in `d` under
/// `name`.
fn bird(d: &TempDir, ns: &Netns, conf: &std::path::Path, name: &str) -> Proc {
    Proc::spawn(&ns.exec(&format!(
        "exec bird -f -c {} -s {dir}/{name}.ctl -P {dir}/{name}.pid",
        conf.display(),
        dir = d.0.display()
    )))
}

/// Waits (at most 20 s) until the BIRD named `a` in the target has learnt `route` by RIP.
fn learnt(w: &World, d: &TempDir, route: &str) {
    wait_until(
        20,
        || format!("RIP did not bring {route}"),
        || {
            Command::new("sh")
                .args([
                    "-c",
                    &w.ns.exec(&format!(
                        "birdc -s {}/a.ctl show route protocol rip1",
                        d.0.display()
                    )),
                ])
                .output()
                .ok()
                .filter(|o| String::from_utf8_lossy(&o.stdout).contains(route))
                .map(|_| ())
        },
    );
}

/// nscap recording `filter` on the target's eth0 into `D/NAME.pcap`, once it is listening;
/// the file's path.
fn record(w: &World, d: &TempDir, name: &str, filter: &str) -> (Nscap, String) {
    let out = d.file(&format!("{name}.pcap"));
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-i", "eth0", "-w", &out, filter]);
    n.wait_for("listening on");
    (n, out)
}

/// Ends the recording `n` made into `D/NAME.pcap` (a moment after the last traffic), then:
/// each of `wants` is in nscap's lines, and both printers agree in each of `modes`, and on the
/// file cut by editcap at each of `cuts.0` with the flags `cuts.1`.
fn stop_and_compare(
    n: Nscap,
    d: &TempDir,
    name: &str,
    wants: &[&str],
    modes: &[&[&str]],
    cuts: (&[u32], &[&str]),
) {
    std::thread::sleep(Duration::from_millis(500));
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let out = d.file(&format!("{name}.pcap"));
    let printed = lines(nscap_bin(), &["-r", &out]).join("\n");
    for want in wants {
        assert!(printed.contains(want), "no {want} in\n{printed}");
    }
    for flags in modes {
        compare(&out, flags);
    }
    for snap in cuts.0 {
        let cut = d.file(&format!("{name}-{snap}.pcap"));
        ok_stdout(Command::new("editcap").args(["-s", &snap.to_string(), &out, &cut]));
        compare(&cut, cuts.1);
    }
}

/// redis-server and redis-cli: commands of every reply kind, pipelined ones, an inline one
/// (`redis-cli` sends arrays; a raw `PING` line is sent with bash's /dev/tcp).
#[test]
fn redis_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let _server = Proc::spawn(&w.ns.exec(&format!(
        "exec redis-server --port 6379 --bind {} --save \"\" --appendonly no --protected-mode no --dir {}",
        w.target_ip,
        d.0.display()
    )));
    let cli = |args: &str| {
        sh(&w
            .peer
            .exec(&format!("redis-cli -h {} {args} >/dev/null", w.target_ip)));
    };
    listening(&w, 6379);
    let (n, _) = record(&w, &d, "redis", "tcp port 6379");
    cli("SET greeting hello");
    cli("GET greeting");
    cli("GET missing");
    cli("RPUSH mylist a b c");
    cli("LRANGE mylist 0 9");
    cli("INCR counter");
    cli("NOSUCHCOMMAND x");
    cli("DEL mylist");
    cli("LRANGE mylist 0 9");
    // Pipelined commands in one segment, and an inline command line.
    sh(&w.peer.exec(&format!(
        "printf \"SET a 1\\r\\nINCR a\\r\\nGET a\\r\\n\" | redis-cli -h {} --pipe >/dev/null",
        w.target_ip
    )));
    sh(&w.peer.exec(&format!(
        "bash -c \"exec 3<>/dev/tcp/{}/6379; printf \\\"PING\\\\r\\\\n\\\" >&3; head -c 7 <&3 >/dev/null\"",
        w.target_ip
    )));
    stop_and_compare(
        n,
        &d,
        "redis",
        &[
            "RESP \"SET\" \"greeting\" \"hello\"",
            "RESP \"OK\"",
            "RESP \"LRANGE\" \"mylist\" \"0\" \"9\"",
            "RESP \"a\" \"b\" \"c\"",
            "RESP null",
            "RESP empty",
            "RESP \"ERR unknown command",
            "RESP \"PING\"",
        ],
        &[&[], &["-v"], &["-S", "-e"], &["-q"], &["-X"]],
        // Cut at lengths that end inside a payload.
        (&[60, 66, 72, 80, 90, 100], &[]),
    );
}

/// logger(1) sending to a remote syslog (RFC 3164 and 5424 framing, several facilities and
/// severities) over UDP: the datagrams, and the ICMP port-unreachable that answers them (no
/// daemon listens), printed alike in every verbosity.
#[test]
fn syslog_from_logger_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let (n, _) = record(&w, &d, "syslog", "udp port 514 or icmp");
    for (format, pri, msg) in [
        ("--rfc3164", "user.notice", "hello from logger"),
        ("--rfc5424", "local3.err", "disk 93% full"),
        ("--rfc3164", "daemon.debug", "tab\there"),
        ("--rfc5424=notq", "auth.alert", "x"),
    ] {
        sh(&w.peer.exec(&format!(
            "logger -n {} -P 514 -d {format} -p {pri} -t nscaptest \"{msg}\"",
            w.target_ip
        )));
    }
    stop_and_compare(
        n,
        &d,
        "syslog",
        &[
            "SYSLOG user.notice, length:",
            "SYSLOG local3.error, length:",
        ],
        &[&[], &["-v"], &["-vv"], &["-q"], &["-e", "-X"]],
        (&[45, 50, 60, 80], &["-v"]),
    );
}

/// The text protocols from real servers and curl: busybox httpd (HTTP on 80: a page, a 404, a
/// HEAD), Python's smtpd (SMTP on 25: a whole mail through curl), and vsftpd (FTP on 21: an
/// anonymous login, a listing and a download, the data on connections of their own).
#[test]
fn http_smtp_and_ftp_match_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let www = d.0.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "<html>hello</html>\n").unwrap();
    std::fs::write(
        d.0.join("mail.txt"),
        "Subject: test\r\n\r\nhello over smtp\r\n",
    )
    .unwrap();
    let ftp = d.0.join("ftp");
    std::fs::create_dir_all(&ftp).unwrap();
    std::fs::write(ftp.join("file.txt"), "ftp data\n").unwrap();
    // vsftpd refuses a writable anonymous root.
    sh(&format!("chmod 555 {}", ftp.display()));
    let conf = d.0.join("vsftpd.conf");
    std::fs::write(
        &conf,
        format!(
            "listen=YES\nlisten_address={}\nanonymous_enable=YES\nanon_root={}\nlocal_enable=NO\n\
             write_enable=NO\nseccomp_sandbox=NO\npasv_enable=YES\nbackground=NO\n\
             secure_chroot_dir=/var/run/vsftpd/empty\nrun_as_launching_user=NO\n",
            w.target_ip,
            ftp.display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all("/var/run/vsftpd/empty").unwrap();
    let _httpd = Proc::spawn(&w.ns.exec(&format!(
        "exec busybox httpd -f -p {}:80 -h {}",
        w.target_ip,
        www.display()
    )));
    let _smtpd = Proc::spawn(&w.ns.exec(&format!(
        "exec python3 -W ignore -m smtpd -n -c DebuggingServer {}:25 >/dev/null",
        w.target_ip
    )));
    let _ftpd = Proc::spawn(&w.ns.exec(&format!("exec vsftpd {}", conf.display())));
    for port in [80, 25, 21] {
        listening(&w, port);
    }
    let (n, _) = record(&w, &d, "text", "tcp port 80 or tcp port 25 or tcp port 21");
    let curl = |args: String| sh(&w.peer.exec(&format!("curl -sS {args} >/dev/null")));
    let ip = &w.target_ip;
    curl(format!("http://{ip}/index.html"));
    curl(format!("http://{ip}/missing"));
    curl(format!("-I http://{ip}/"));
    curl(format!(
        "--url smtp://{ip} --mail-from a@example.org --mail-rcpt b@example.org -T {}",
        d.0.join("mail.txt").display()
    ));
    curl(format!("ftp://{ip}/"));
    curl(format!("ftp://{ip}/file.txt"));
    stop_and_compare(
        n,
        &d,
        "text",
        &[
            "HTTP: GET /index.html HTTP/1.1",
            "HTTP: HTTP/1.1 200 OK",
            "HTTP: HTTP/1.1 404 Not Found",
            "HTTP: HEAD / HTTP/1.1",
            "SMTP: MAIL FROM:<a@example.org>",
            "SMTP: 250 OK",
            "FTP: USER anonymous",
            "FTP: 230 Login successful.",
        ],
        &[&[], &["-v"], &["-q"], &["-A"]],
        (&[60, 66, 72, 80, 90, 120], &["-v"]),
    );
}

/// busybox's DHCP server (udhcpd) and client (udhcpc): a whole lease, Discover, Offer, Request
/// and ACK with the options both send, printed alike at every verbosity.
#[test]
fn dhcp_from_busybox_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let net = w.target_ip.rsplit_once('.').unwrap().0.to_string();
    let conf = d.0.join("udhcpd.conf");
    std::fs::write(
        &conf,
        format!(
            "start {net}.100\nend {net}.110\ninterface eth0\nlease_file {}\n\
             option subnet 255.255.255.0\noption router {ip}\noption dns {ip} 1.1.1.1\n\
             option domain example.org\noption lease 3600\n",
            d.0.join("leases").display(),
            ip = w.target_ip,
        ),
    )
    .unwrap();
    std::fs::write(d.0.join("leases"), "").unwrap();
    let _server = Proc::spawn(
        &w.ns
            .exec(&format!("exec busybox udhcpd -f {}", conf.display())),
    );
    let (n, out) = record(&w, &d, "dhcp", "udp port 67 or udp port 68");
    // One lease, then its release; the script does nothing to the interface.
    sh(&w.peer.exec(&format!(
        "busybox udhcpc -i {} -n -q -f -R -t 5 -T 1 -x hostname:web-7d9c -s /bin/true >/dev/null 2>&1",
        w.peer_if
    )));
    stop_and_compare(
        n,
        &d,
        "dhcp",
        &["BOOTP/DHCP, Request from", "BOOTP/DHCP, Reply, length"],
        &[&[], &["-v"], &["-vv"], &["-vvv"], &["-q"]],
        (&[60, 100, 290, 300, 320], &["-v"]),
    );
    // The whole exchange, with the options both sides sent.
    let verbose = lines(nscap_bin(), &["-v", "-r", &out]).join("\n");
    for want in [
        "DHCP-Message (53), length 1: Discover",
        "DHCP-Message (53), length 1: Offer",
        "DHCP-Message (53), length 1: Request",
        "DHCP-Message (53), length 1: ACK",
        "Hostname (12), length 8: \"web-7d9c\"",
        "Domain-Name (15), length 11: \"example.org\"",
    ] {
        assert!(verbose.contains(want), "no {want} in\n{verbose}");
    }
}

/// keepalived as the master of two virtual routers on eth0, one speaking VRRP version 2 and
/// one version 3: its advertisements, printed alike at every verbosity.
#[test]
fn vrrp_from_keepalived_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let net = w.target_ip.rsplit_once('.').unwrap().0.to_string();
    let conf = d.0.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "global_defs {{\n  enable_script_security\n}}\n\
             vrrp_instance V2 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  \
             priority 150\n  advert_int 1\n  version 2\n  virtual_ipaddress {{\n    {net}.100/24\n  }}\n}}\n\
             vrrp_instance V3 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 52\n  \
             priority 120\n  advert_int 1\n  version 3\n  virtual_ipaddress {{\n    {net}.101/24\n    {net}.102/24\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let (n, _) = record(&w, &d, "vrrp", "ip proto 112");
    let _keepalived = Proc::spawn(&w.ns.exec(&format!(
        "exec keepalived -n -l -D -f {conf} -p {dir}/k.pid -r {dir}/v.pid >/dev/null 2>&1",
        conf = conf.display(),
        dir = d.0.display()
    )));
    // A master starts as a backup and takes over after three silent intervals (~3 s); then a
    // few advertisements of each.
    std::thread::sleep(Duration::from_millis(6500));
    stop_and_compare(
        n,
        &d,
        "vrrp",
        &[
            "VRRPv2, Advertisement, vrid 51, prio 150, authtype none, intvl 1s, length 20",
            "VRRPv3, Advertisement, vrid 52, prio 120, intvl 100cs, length 16",
        ],
        &[&[], &["-v"], &["-vv"], &["-q"], &["-x"]],
        (&[36, 40, 44, 48, 50], &["-v"]),
    );
}

/// Two BIRD routers in a BGP session watched by BFD (one in the target's namespace, one in its
/// peer's): Open with capabilities, Keepalives, Updates with their attributes and routes,
/// End-of-RIB and the Cease at the end, and BFD's control packets from Down to Up; identical to
/// tcpdump's in every mode, -v and -vv too, and cut. (Every line
/// nscap prints at -v is also checked to be tcpdump's, in order: where tcpdump decodes an
/// attribute nscap does not, nscap prints less, never something else.)
#[test]
fn bgp_and_bfd_from_bird_match_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let conf = |name: &str, me: &str, peer: &str, my_as: u32, peer_as: u32, export: &str| {
        let path = d.0.join(format!("{name}.conf"));
        std::fs::write(
            &path,
            format!(
                "router id {me};\nprotocol device {{}}\n\
                 protocol static {{ ipv4; route 10.10.0.0/16 blackhole; route 10.20.1.0/24 blackhole; }}\n\
                 protocol bfd {{ interface \"*\" {{ min rx interval 200 ms; min tx interval 200 ms; }}; }}\n\
                 protocol bgp peer {{ local {me} as {my_as}; neighbor {peer} as {peer_as}; bfd on; \
                 ipv4 {{ import all; export {export}; }}; hold time 9; keepalive time 3; connect retry time 1; }}\n"
            ),
        )
        .unwrap();
        path
    };
    let a = conf("a", &w.target_ip, &w.peer_ip, 64512, 64513, "all");
    let b = conf("b", &w.peer_ip, &w.target_ip, 64513, 64512, "none");
    let (n, out) = record(&w, &d, "bgp", "tcp port 179 or udp port 3784");
    let ra = bird(&d, &w.ns, &a, "a");
    let rb = bird(&d, &w.peer, &b, "b");
    // Up to the session's establishment (its Opens and first Keepalives), then its Updates and
    // a Keepalive or two.
    wait_until(
        20,
        || "the BGP session did not come up".into(),
        || {
            Command::new("sh")
                .args([
                    "-c",
                    &w.ns.exec(&format!(
                        "birdc -s {}/a.ctl show protocols peer",
                        d.0.display()
                    )),
                ])
                .output()
                .ok()
                .filter(|o| String::from_utf8_lossy(&o.stdout).contains("Established"))
                .map(|_| ())
        },
    );
    std::thread::sleep(Duration::from_millis(3500));
    // A stopped router says goodbye with a Cease.
    sh(&w
        .ns
        .exec(&format!("kill -TERM $(cat {}/a.pid)", d.0.display())));
    std::thread::sleep(Duration::from_millis(500));
    drop((ra, rb));
    stop_and_compare(
        n,
        &d,
        "bgp",
        &[": BGP", "BFDv1, Control, State Up"],
        &[&[], &["-q"], &["-x"], &["-v"], &["-vv"]],
        (&[60, 70, 80, 100, 120], &["-v"]),
    );
    let ours = lines(nscap_bin(), &["-v", "-r", &out]);
    let theirs = lines("tcpdump", &["-n", "-v", "-r", &out]);
    let mut at = theirs.iter();
    for line in &ours {
        assert!(
            at.any(|t| t == line),
            "nscap -v printed a line tcpdump does not (or not there): {line}\nnscap:\n{}\ntcpdump:\n{}",
            ours.join("\n"),
            theirs.join("\n")
        );
    }
    let all = ours.join("\n");
    for want in [
        "Open Message (1), length:",
        "Multiprotocol Extensions (1), length: 4",
        "32-Bit AS Number (65), length: 4",
        "Keepalive Message (4), length: 19",
        "Update Message (2), length:",
    ] {
        assert!(all.contains(want), "no {want} in\n{all}");
    }
    let opens = |v: &[String]| v.iter().filter(|l| l.contains("Open Message")).count();
    assert_eq!(opens(&ours), opens(&theirs));
}

/// tftpd-hpa and the tftp-hpa client: downloads in octet and netascii mode, a file that is not
/// there and an upload the server refuses (it has no `-c`). Only the requests go to port 69:
/// the server answers, data and errors alike, from a port of its own, and both printers say
/// `UDP, length N` there (crafted DATA, ACK, ERROR and OACK messages are in
/// tests/summary.rs).
#[test]
fn tftp_from_tftpd_hpa_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let root = d.file("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(format!("{root}/boot.img"), vec![0x5au8; 3000]).unwrap();
    std::fs::write(format!("{root}/motd.txt"), "hello\nfrom tftp\n").unwrap();
    let _server = Proc::spawn(&w.ns.exec(&format!(
        "in.tftpd -L -s {root} --address {}:69",
        w.target_ip
    )));
    wait_until(
        10,
        || "tftpd does not listen on UDP port 69".to_string(),
        || {
            Command::new("sh")
                .args(["-c", &w.ns.exec("ss -lunH sport = :69")])
                .output()
                .ok()
                .filter(|o| !o.stdout.is_empty())
                .map(|_| ())
        },
    );
    let (n, _) = record(&w, &d, "tftp", "udp");
    let get = d.file("got");
    std::fs::create_dir(&get).unwrap();
    for cmd in [
        "-m octet -v -c get boot.img",
        "-m netascii -c get motd.txt",
        "-m octet -c get missing.bin",
        "-m octet -c put motd.txt refused.txt",
    ] {
        // tftp's own exit status says little (it is 0 after an error reply): the capture is what
        // is checked.
        let _ = Command::new("sh")
            .args([
                "-c",
                &w.peer.exec(&format!(
                    "cd {get} && timeout 10 tftp {} {cmd}",
                    w.target_ip
                )),
            ])
            .output();
    }
    assert_eq!(
        std::fs::read(format!("{get}/boot.img")).unwrap().len(),
        3000
    );
    stop_and_compare(
        n,
        &d,
        "tftp",
        &[
            "TFTP, length 17, RRQ \"boot.img\" octet",
            "TFTP, length 20, RRQ \"motd.txt\" netascii",
            "TFTP, length 20, WRQ \"refused.txt\" octet",
        ],
        &[&[], &["-v"], &["-vv"], &["-q"], &["-e", "-X"]],
        (&[44, 50, 60], &["-v"]),
    );
}

/// Two BIRD routers speaking RIPv2 with cryptographic authentication (an auth header entry and
/// a trailer), requests and responses with their routes; each router sends every second.
#[test]
fn rip_from_bird_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let conf = |name: &str, me: &str, net: &str| {
        let path = d.0.join(format!("{name}.conf"));
        std::fs::write(
            &path,
            format!(
                "router id {me};\nprotocol device {{}}\nprotocol direct {{ ipv4; }}\n\
                 protocol static {{ ipv4; route {net} blackhole; }}\n\
                 protocol rip {{ ipv4 {{ import all; export all; }}; \
                 interface \"*\" {{ update time 1; authentication cryptographic; \
                 password \"nscap\" {{ id 7; algorithm keyed md5; }}; }}; }}\n"
            ),
        )
        .unwrap();
        path
    };
    let a = conf("a", &w.target_ip, "10.30.0.0/16");
    let b = conf("b", &w.peer_ip, "10.40.1.0/24");
    let (n, _) = record(&w, &d, "rip", "udp port 520");
    let ra = bird(&d, &w.ns, &a, "a");
    let rb = bird(&d, &w.peer, &b, "b");
    // Each router has the other's route once a response went each way.
    learnt(&w, &d, "10.40.1.0/24");
    std::thread::sleep(Duration::from_millis(1500));
    drop((ra, rb));
    stop_and_compare(
        n,
        &d,
        "rip",
        &["RIPv2, Response, length:", "RIPv2, Request, length:"],
        &[&[], &["-q"], &["-v"], &["-vv"], &["-e", "-X"]],
        (&[44, 46, 50, 60, 70, 90], &["-v"]),
    );
    let verbose = lines(nscap_bin(), &["-v", "-r", &d.file("rip.pcap")]).join("\n");
    for want in [
        "Auth header: Packet Len",
        "Auth trailer:",
        "10.40.1.0/24, tag 0x0000",
    ] {
        assert!(verbose.contains(want), "no {want} in\n{verbose}");
    }
}

/// Two BIRD routers speaking RIPng over the link's IPv6 link-local addresses: whole-table
/// requests and responses with their routes; each router sends every second.
#[test]
fn ripng_from_bird_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    let conf = |name: &str, id: &str, net: &str| {
        let path = d.0.join(format!("{name}.conf"));
        std::fs::write(
            &path,
            format!(
                "router id {id};\nprotocol device {{}}\n\
                 protocol static {{ ipv6; route {net} blackhole; }}\n\
                 protocol rip ng {{ ipv6 {{ import all; export all; }}; \
                 interface \"*\" {{ update time 1; }}; }}\n"
            ),
        )
        .unwrap();
        path
    };
    let a = conf("a", &w.target_ip, "2001:db8:30::/48");
    let b = conf("b", &w.peer_ip, "2001:db8:40:1::/64");
    let (n, _) = record(&w, &d, "ripng", "udp port 521");
    let ra = bird(&d, &w.ns, &a, "a");
    let rb = bird(&d, &w.peer, &b, "b");
    learnt(&w, &d, "2001:db8:40:1::/64");
    std::thread::sleep(Duration::from_millis(1500));
    drop((ra, rb));
    stop_and_compare(
        n,
        &d,
        "ripng",
        &[" ripng-resp ", "2001:db8:40:1::/64 (1)"],
        &[&[], &["-q"], &["-v"], &["-vv"], &["-e", "-X"]],
        (&[64, 66, 70, 80, 90, 100], &["-vv"]),
    );
}

/// dnsmasq as a DHCPv6 server and ISC's dhclient as the client: a whole lease (Solicit,
/// Advertise, Request, Reply) with an address, DNS servers and a search list, then its release,
/// printed alike at every verbosity and cut inside the options.
#[test]
fn dhcp6_from_dnsmasq_matches_tcpdump() {
    let w = World::new();
    let d = TempDir::new();
    sh(&w.ns.exec("ip -6 addr add 2001:db8:77::1/64 dev eth0 nodad"));
    // The client sends from its link-local address, usable once duplicate detection is over.
    wait_until(
        10,
        || "the peer's link-local address stayed tentative".to_string(),
        || {
            let shown = ok_stdout(
                Command::new("sh").args([
                    "-c",
                    &w.peer
                        .exec(&format!("ip -6 addr show dev {} scope link", w.peer_if)),
                ]),
            );
            (shown.contains("inet6") && !shown.contains("tentative")).then_some(())
        },
    );
    let dir = d.0.display();
    let _server = Proc::spawn(&w.ns.exec(&format!(
        "exec dnsmasq -d -k --port=0 --conf-file=/dev/null --interface=eth0 \
         --dhcp-range=2001:db8:77::100,2001:db8:77::1ff,64,1h \
         --dhcp-option=option6:dns-server,[2001:db8:77::53] \
         --dhcp-option=option6:domain-search,example.org \
         --dhcp-leasefile={dir}/leases --pid-file={dir}/dnsmasq.pid"
    )));
    let (n, out) = record(&w, &d, "dhcp6", "udp port 546 or udp port 547");
    let client = |how: &str| {
        format!(
            "{how} -6 -lf {dir}/client.leases -pf {dir}/client.pid -sf /bin/true {}",
            w.peer_if
        )
    };
    // In the foreground, so that a failure here leaves no client behind.
    let _client = Proc::spawn(&w.peer.exec(&client("exec dhclient -d")));
    wait_until(
        20,
        || "dhclient got no lease".to_string(),
        || {
            std::fs::read_to_string(d.0.join("client.leases"))
                .ok()
                .filter(|l| l.contains("iaaddr"))
                .map(|_| ())
        },
    );
    // Releases the lease and ends the client.
    sh(&w.peer.exec(&client("timeout 10 dhclient -r")));
    stop_and_compare(
        n,
        &d,
        "dhcp6",
        &[
            "dhcp6 solicit",
            "dhcp6 advertise",
            "dhcp6 request",
            "dhcp6 reply",
            "dhcp6 release",
        ],
        &[&[], &["-v"], &["-vv"], &["-q"], &["-v", "-x"]],
        (&[66, 70, 80, 100, 120, 140], &["-v"]),
    );
    let verbose = lines(nscap_bin(), &["-v", "-r", &out]).join("\n");
    for want in [
        "(client-ID hwaddr/time type 1 time ",
        "(IA_NA IAID:",
        "(IA_ADDR 2001:db8:77::",
        "(DNS-server 2001:db8:77::53)",
        "(DNS-search-list example.org.)",
        "(elapsed-time ",
    ] {
        assert!(verbose.contains(want), "no {want} in\n{verbose}");
    }
}
