//! `--process` end to end: real processes with known PIDs in real namespaces, their packets'
//! comments read back with tshark, and the JSON lines printed beside the file.
mod common;
use common::*;

use std::collections::HashMap;
use std::fs::File;
use std::process::Stdio;
use std::time::Duration;

fn script(name: &str) -> String {
    format!("{}/tests/process/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Waits for a file a script writes once ready, and returns its words.
fn ready(path: &str) -> Vec<u32> {
    wait_until(
        10,
        || format!("{path} never appeared"),
        || std::fs::read_to_string(path).ok(),
    )
    .split_whitespace()
    .map(|w| w.parse().unwrap())
    .collect()
}

/// peer.py on port 8080 in the world's peer namespace, listening once this returns.
fn peer_server(w: &World, tmp: &TempDir) -> Proc {
    let ready_file = tmp.file("server");
    let server = Proc::spawn(&w.peer.exec(&format!(
        "exec python3 {} 8080 {ready_file}",
        script("peer.py")
    )));
    ready(&ready_file);
    server
}

/// Runs client.py in `ns` to completion; returns its (PID, local port), if it told them.
fn client(ns: &Netns, tmp: &TempDir, name: &str, host: &str, mode: &str) -> Option<(u32, u32)> {
    let out = tmp.file(name);
    sh(&ns.exec(&format!(
        "exec python3 {} {out} {host} 8080 {mode}",
        script("client.py")
    )));
    let words: Vec<u32> = std::fs::read_to_string(&out)
        .ok()?
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    Some((words[0], words[1]))
}

/// One captured packet as tshark reads it: (source, source port, destination, destination
/// port, comment).
#[derive(Debug)]
struct Seen {
    src: String,
    sport: u32,
    dst: String,
    dport: u32,
    comment: String,
}

fn packets(file: &str) -> Vec<Seen> {
    let fields = [
        "ip.src",
        "ipv6.src",
        "tcp.srcport",
        "udp.srcport",
        "ip.dst",
        "ipv6.dst",
        "tcp.dstport",
        "udp.dstport",
        "frame.comment",
    ];
    tshark_fields(file, &fields)
        .iter()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let first = |a: &str, b: &str| if a.is_empty() { b } else { a }.to_string();
            // ICMP errors quote the packet they answer: tshark lists both headers.
            let one = |s: &str| s.split(',').next().unwrap_or("").to_string();
            let port = |a: &str, b: &str| one(&first(a, b)).parse().ok();
            Some(Seen {
                src: one(&first(f[0], f[1])),
                sport: port(f[2], f[3])?,
                dst: one(&first(f[4], f[5])),
                dport: port(f[6], f[7])?,
                comment: f.get(8).copied().unwrap_or("").to_string(),
            })
        })
        .collect()
}

/// The packets of the flow whose target-side end is `port`.
fn flow<'a>(ps: &'a [Seen], ip: &str, port: u32) -> Vec<&'a Seen> {
    ps.iter()
        .filter(|p| (p.src == ip && p.sport == port) || (p.dst == ip && p.dport == port))
        .collect()
}

/// Every packet of `flow` names `pid`.
fn all_name(flow: &[&Seen], pid: u32, what: &str) {
    assert!(flow.len() >= 4, "{what}: too few packets: {flow:?}");
    named(flow, &format!("pid {pid} python3"), what);
}

/// `want` on the packets of `flow`: the first ones may carry nothing (their lookup came later
/// than the documented wait on a machine busy with the rest of the suite: bench/process.sh
/// measures how often), but once the flow is named every packet is, at least half of them
/// are, and none may name another process.
fn named(flow: &[&Seen], want: &str, what: &str) {
    let first = flow.iter().position(|p| p.comment == want);
    assert!(
        first.is_some_and(|i| i <= flow.len() / 2),
        "{what}: not half the packets say {want:?}: {flow:?}"
    );
    for (i, p) in flow.iter().enumerate() {
        let ok = p.comment == want || (i < first.unwrap() && p.comment.is_empty());
        assert!(
            ok,
            "{what}: packet {i} says {:?}, not {want:?}: {flow:?}",
            p.comment
        );
    }
}

#[test]
fn packets_name_their_processes() {
    let w = World::new();
    let tmp = TempDir::new();
    let n = w.target_ip.split('.').nth(2).unwrap().to_string();
    let (peer6, target6) = (format!("fd77:{n}::1"), format!("fd77:{n}::2"));
    sh(&format!(
        "ip -n {p} addr add {peer6}/64 dev {pif} nodad && \
         ip -n {t} addr add {target6}/64 dev eth0 nodad && \
         ip -n {p} route add 10.200.0.0/24 via {tip}",
        p = w.peer.name,
        t = w.ns.name,
        pif = w.peer_if,
        tip = w.target_ip
    ));
    let server_pid_file = tmp.file("server");
    let _server = Proc::spawn(&w.ns.exec(&format!(
        "exec python3 {} 8080 {server_pid_file}",
        script("peer.py")
    )));
    let _peer_server = Proc::spawn(&w.peer.exec(&format!(
        "exec python3 {} 8080 {}",
        script("peer.py"),
        tmp.file("peer")
    )));
    let server = ready(&server_pid_file)[0];
    ready(&tmp.file("peer"));

    let file = tmp.file("p.pcapng");
    let json = tmp.file("p.json");
    let pid = w.target_pid.to_string();
    let args = [
        "-t",
        &pid,
        "-i",
        "eth0",
        "--process",
        "-w",
        &file,
        "--print",
        "--json",
    ];
    let mut cap = Nscap::spawn_with(&args, Stdio::from(File::create(&json).unwrap()));
    cap.wait_for("listening on");

    let ours = |name, host, mode| client(&w.ns, &tmp, name, host, mode).unwrap();
    let long4 = ours("long4", &w.peer_ip, "long");
    let long6 = ours("long6", &peer6, "long");
    let udp = ours("udp", &w.peer_ip, "udp");
    let exits = ours("exit", &w.peer_ip, "exit");
    let incoming = client(&w.peer, &tmp, "in", &w.target_ip, "long").unwrap();
    // Unowned: nothing in the target listens on UDP 9; forwarded: 10.200.0.5 is not the
    // target's, though the target's server listens on its port on every address it has.
    client(&w.peer, &tmp, "discard", &w.target_ip, "discard");
    client(&w.peer, &tmp, "fwd", "10.200.0.5", "try");
    // The late answer to the client that exited, and its reset.
    std::thread::sleep(Duration::from_millis(900));
    assert!(
        !std::path::Path::new(&format!("/proc/{}", exits.0)).exists(),
        "the exiting client still runs"
    );
    cap.signal(libc::SIGINT);
    let (code, stderr) = cap.finish(10);
    assert_eq!(code, Some(0), "{stderr:?}");

    let ps = packets(&file);
    let t4 = w.target_ip.as_str();
    all_name(&flow(&ps, t4, long4.1), long4.0, "TCP client");
    all_name(
        &flow(&ps, &target6, long6.1),
        long6.0,
        "TCP client over IPv6",
    );
    all_name(&flow(&ps, t4, udp.1), udp.0, "UDP client");
    // The server's listening socket answers for the connection before it is accepted.
    let inc = flow(&ps, &w.peer_ip, incoming.1);
    assert!(inc.len() >= 4, "{inc:?}");
    for p in &inc {
        assert_eq!(p.comment, format!("pid {server} python3"), "{inc:?}");
    }
    // The client that exited: its flow's last packets came after its exit, and still name it.
    let gone = flow(&ps, t4, exits.1);
    all_name(&gone, exits.0, "exited client");
    let late: Vec<_> = gone.iter().filter(|p| p.src == w.peer_ip).collect();
    assert!(late.len() >= 2, "no late answer: {gone:?}");
    let unowned: Vec<_> = ps.iter().filter(|p| p.dport == 9 || p.sport == 9).collect();
    let forwarded: Vec<_> = ps.iter().filter(|p| p.dst == "10.200.0.5").collect();
    assert!(!unowned.is_empty() && !forwarded.is_empty(), "{ps:?}");
    for p in unowned.iter().chain(&forwarded) {
        assert_eq!(p.comment, "", "unowned or forwarded: {p:?}");
    }

    // JSON: the same owners, as objects; nothing for the forwarded packets.
    let lines = std::fs::read_to_string(&json).unwrap();
    let mut by_owner: HashMap<u64, usize> = HashMap::new();
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["ip"]["dst"] == "10.200.0.5" {
            assert!(v.get("process").is_none(), "{l}");
        }
        if let Some(p) = v.get("process") {
            assert_eq!(p["comm"], "python3", "{l}");
            assert!(p.get("container").is_none(), "{l}");
            *by_owner.entry(p["pid"].as_u64().unwrap()).or_default() += 1;
        }
    }
    for pid in [long4.0, long6.0, udp.0, exits.0, server] {
        assert!(
            by_owner.contains_key(&u64::from(pid)),
            "{pid}: {by_owner:?}"
        );
    }
}

/// A namespace named `name` (patterns need a known prefix) whose `eth0` is a veth to a peer
/// namespace where peer.py serves on 8080.
struct Spot {
    ns: Netns,
    _peer: Netns,
    _server: Proc,
    ip: String,
    peer_ip: String,
}

impl Spot {
    fn new(name: &str, tmp: &TempDir) -> Spot {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = (std::process::id() + N.fetch_add(1, Ordering::Relaxed) * 7) % 250 + 1;
        let ns = Netns::named(name);
        let peer = Netns::new("pp");
        veth(&ns, &peer, &format!("10.76.{n}"), "pa");
        let ready_file = tmp.file(&format!("{name}.server"));
        let server = Proc::spawn(&peer.exec(&format!(
            "exec python3 {} 8080 {ready_file}",
            script("peer.py")
        )));
        ready(&ready_file);
        Spot {
            ns,
            _peer: peer,
            _server: server,
            ip: format!("10.76.{n}.2"),
            peer_ip: format!("10.76.{n}.1"),
        }
    }

    /// A client of `mode` from this namespace to its peer: (PID, local port).
    fn client(&self, tmp: &TempDir, name: &str, mode: &str) -> (u32, u32) {
        client(&self.ns, tmp, name, &self.peer_ip, mode).unwrap()
    }
}

/// nscap's threads named `comm`, each with its CapEff.
fn threads(pid: u32, comm: &str) -> Vec<String> {
    let mut v = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let dir = t.path();
        let Ok(c) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if c.trim() != comm {
            continue;
        }
        let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
        let eff = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .unwrap_or("")
            .trim()
            .to_string();
        v.push(eff);
    }
    v
}

/// The capabilities of `pid`'s threads named `comm` become `want` (a thread narrows its own
/// set just after it starts).
fn caps_become(pid: u32, comm: &str, want: &[&str]) {
    wait_until(
        5,
        || format!("{comm} threads have {:?}, not {want:?}", threads(pid, comm)),
        || (threads(pid, comm) == want).then_some(()),
    );
}

fn wait_threads(pid: u32, n: usize) {
    wait_until(
        5,
        || {
            format!(
                "never {n} nscap-process threads: {:?}",
                threads(pid, "nscap-process")
            )
        },
        || (threads(pid, "nscap-process").len() == n).then_some(()),
    );
}

/// A namespace that joins with nothing to capture (no interface matches `-i`) gets no lookup
/// thread: it would list sockets every pass for nothing.
#[test]
fn follow_starts_no_lookup_where_nothing_is_captured() {
    let tmp = TempDir::new();
    let tag = unique("pn");
    let file = tmp.file("n.pcapng");
    let pattern = format!("{tag}*");
    let mut cap = Nscap::spawn(&[
        "-t",
        &pattern,
        "--follow",
        "--process",
        "-i",
        "eth0",
        "-w",
        &file,
    ]);
    cap.wait_for("listening on 0 interfaces in 0 namespaces");
    let pid = cap.child.id();
    let bare = Netns::named(&format!("{tag}a"));
    cap.wait_for(&format!("nscap: {} joined", bare.name));
    let with = Spot::new(&format!("{tag}b"), &tmp);
    cap.wait_for(&format!("nscap: {}/eth0 joined", with.ns.name));
    wait_threads(pid, 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(threads(pid, "nscap-process").len(), 1);
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
}

/// Under --follow, a namespace that joins later gets its lookup thread, and its packets
/// their processes; one that leaves takes its thread with it.
#[test]
fn follow_attributes_namespaces_that_join_and_stops_for_those_that_leave() {
    let tmp = TempDir::new();
    let tag = unique("pf");
    let first = Spot::new(&format!("{tag}a"), &tmp);
    let file = tmp.file("f.pcapng");
    let pattern = format!("{tag}*");
    let mut cap = Nscap::spawn(&["-t", &pattern, "--follow", "--process", "-w", &file]);
    cap.wait_for("listening on 1 interface in 1 namespace");
    let pid = cap.child.id();
    wait_threads(pid, 1);
    let one = first.client(&tmp, "one", "long");

    let second = Spot::new(&format!("{tag}b"), &tmp);
    cap.wait_for(&format!("nscap: {}/eth0 joined", second.ns.name));
    wait_threads(pid, 2);
    let two = second.client(&tmp, "two", "long");
    let udp = second.client(&tmp, "udp", "udp");

    let name = second.ns.name.clone();
    let ip2 = second.ip.clone();
    drop(second);
    let left = format!("nscap: {name} left (namespace gone)");
    while !cap.stderr.iter().any(|l| l == &left) {
        cap.wait_for(" left (");
    }
    // Its thread held the namespace: it has ended, the first one's still runs.
    wait_threads(pid, 1);
    let three = first.client(&tmp, "three", "long");
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");

    let ps = packets(&file);
    all_name(&flow(&ps, &first.ip, one.1), one.0, "first namespace");
    all_name(&flow(&ps, &ip2, two.1), two.0, "joined namespace");
    all_name(&flow(&ps, &ip2, udp.1), udp.0, "joined namespace, UDP");
    all_name(
        &flow(&ps, &first.ip, three.1),
        three.0,
        "after the other left",
    );
}

/// After `-Z nobody` the lookup threads keep CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH and
/// nothing else, so root's processes are still named, in the namespaces there at the start and
/// in those that join later (started by the launcher, which keeps CAP_SYS_ADMIN besides).
#[test]
fn after_dropping_privileges_other_users_processes_are_still_named() {
    let tmp = TempDir::new();
    sh(&format!("chmod 777 {}", tmp.0.display()));
    let tag = unique("pz");
    let first = Spot::new(&format!("{tag}a"), &tmp);
    let file = tmp.file("z.pcapng");
    let pattern = format!("{tag}*");
    let args = [
        "-t",
        &pattern,
        "--follow",
        "--process",
        "-Z",
        "nobody",
        "-w",
        &file,
    ];
    let mut cap = Nscap::spawn(&args);
    cap.wait_for("listening on 1 interface in 1 namespace");
    let pid = cap.child.id();
    wait_threads(pid, 1);
    let second = Spot::new(&format!("{tag}b"), &tmp);
    cap.wait_for(&format!("nscap: {}/eth0 joined", second.ns.name));
    wait_threads(pid, 2);
    caps_become(
        pid,
        "nscap-process",
        &["0000000000080004", "0000000000080004"],
    );
    caps_become(pid, "nscap-attrib", &["0000000000282004"]);
    caps_become(pid, "nscap", &["0000000000000000"]);
    // The clients run as root, the capture as nobody.
    let one = first.client(&tmp, "one", "long");
    let two = second.client(&tmp, "two", "long");
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let ps = packets(&file);
    all_name(
        &flow(&ps, &first.ip, one.1),
        one.0,
        "namespace of the start",
    );
    all_name(&flow(&ps, &second.ip, two.1), two.0, "joined namespace");

    // Without --follow nothing joins: the launcher ends once the threads are started.
    let out = tmp.file("y.pcapng");
    let target = first.ns.path();
    let mut cap = Nscap::spawn(&["-t", &target, "--process", "-Z", "nobody", "-w", &out]);
    cap.wait_for("listening on");
    let pid = cap.child.id();
    wait_threads(pid, 1);
    caps_become(pid, "nscap-process", &["0000000000080004"]);
    caps_become(pid, "nscap-attrib", &[]);
    let three = first.client(&tmp, "three", "long");
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    all_name(
        &flow(&packets(&out), &first.ip, three.1),
        three.0,
        "without --follow",
    );
}

/// Every file of a rotated capture stands alone and carries its packets' processes: the
/// comments are per packet, so a flow cut across files is named in each.
#[test]
fn rotated_files_each_carry_their_comments() {
    let w = World::new();
    let tmp = TempDir::new();
    let _server = peer_server(&w, &tmp);
    let pid = w.target_pid.to_string();
    // tcpdump's -C (2 KiB), and dumpcap's ring by packets.
    let runs: [(&str, &[&str]); 2] = [("c", &["-C", "2k"]), ("b", &["-b", "packets:12"])];
    for (tag, rotation) in runs {
        let dir = TempDir::new();
        let base = dir.file(&format!("{tag}.pcapng"));
        let mut args = vec!["-t", &pid, "-i", "eth0", "--process", "-w", &base];
        args.extend_from_slice(rotation);
        let mut cap = Nscap::spawn(&args);
        cap.wait_for("listening on");
        let clients: Vec<(u32, u32)> = (0..3)
            .map(|i| client(&w.ns, &tmp, &format!("{tag}{i}"), &w.peer_ip, "long").unwrap())
            .collect();
        cap.signal(libc::SIGINT);
        let (code, err) = cap.finish(10);
        assert_eq!(code, Some(0), "{err:?}");
        let mut files: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().path().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert!(files.len() >= 4, "{tag}: too few files: {files:?}");
        let mut all = Vec::new();
        for f in &files {
            let info = capinfos(f);
            assert_eq!(info["File type"], "pcapng", "{f}: {info:?}");
            let ps = packets(f);
            assert!(!ps.is_empty(), "{f}: no packets");
            // Each file read alone names processes; the first file may hold only a
            // connection's first packets, which may come before the answer.
            if f != &files[0] {
                assert!(ps.iter().any(|p| !p.comment.is_empty()), "{f}: {ps:?}");
            }
            all.extend(ps);
        }
        // Across the files, no packet names another process, and most name theirs (this
        // runs beside other tests: a late answer leaves a packet without a comment).
        for (pid, port) in clients {
            let f = flow(&all, &w.target_ip, port);
            let want = format!("pid {pid} python3");
            let named = f.iter().filter(|p| p.comment == want).count();
            assert!(
                f.len() >= 8 && named * 2 >= f.len(),
                "{tag}: client {pid}: {f:?}"
            );
            assert!(
                f.iter().all(|p| p.comment == want || p.comment.is_empty()),
                "{tag}: client {pid}: {f:?}"
            );
        }
    }
}

/// The host PID of the process named `comm` in the network namespace of `pid`.
fn pid_in_netns_of(pid: i32, comm: &str) -> Option<u32> {
    let ns = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let p: u32 = e.file_name().to_str()?.parse().ok()?;
        let c = std::fs::read_to_string(format!("/proc/{p}/comm")).ok()?;
        let n = std::fs::read_link(format!("/proc/{p}/ns/net")).ok()?;
        (c.trim() == comm && n == ns).then_some(p)
    })
}

/// A real Docker container: its client's packets name the process with its host PID and the
/// container by name.
#[test]
fn docker_container_process_is_named_with_its_container() {
    let c = Container::start(Engine::Docker, "nsp", &[]);
    let tmp = TempDir::new();
    let gw = c.inspect("{{.NetworkSettings.Gateway}}");
    let ip = c.inspect("{{.NetworkSettings.IPAddress}}");
    let port = 20000 + std::process::id() % 20000;
    let ready_file = tmp.file("server");
    let _server = Proc::spawn(&format!(
        "exec python3 {} {port} {ready_file}",
        script("peer.py")
    ));
    ready(&ready_file);
    let file = tmp.file("d.pcapng");
    let filter = format!("tcp port {port}");
    let mut cap = Nscap::spawn(&["-t", &c.name, "--process", "-w", &file, &filter]);
    cap.wait_for("listening on");
    // Five lines a fifth of a second apart, each answered by the server on the host.
    let mut client = Proc::start({
        let mut cmd = c.engine.command();
        cmd.args(["exec", &c.name, "sh", "-c"]).arg(format!(
            "for i in 1 2 3 4 5; do echo ping; sleep 0.2; done | nc {gw} {port}"
        ));
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    });
    let nc = wait_until(
        10,
        || "nc never ran in the container".to_string(),
        || pid_in_netns_of(c.pid, "nc"),
    );
    let out = client.output();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, "ok\n".repeat(5), "{out:?}");
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let ps = packets(&file);
    let ours: Vec<&Seen> = ps.iter().filter(|p| p.src == ip || p.dst == ip).collect();
    assert!(ours.len() >= 8, "{ps:?}");
    let want = format!("pid {nc} nc (container {})", c.name);
    named(&ours, &want, "docker container");
}

/// The packet sockets `pid` holds in namespace `ns` (a path), from the kernel's packet_diag:
/// (interface index, 0 for `any`; TPACKET version, 1 for V2, 2 for V3).
fn packet_sockets(ns: &str, pid: u32) -> Vec<(u32, u32)> {
    let mut ours = Vec::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        let l = std::fs::read_link(e.path()).unwrap_or_default();
        let l = l.to_string_lossy();
        if let Some(i) = l.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
            ours.push(i.parse::<u32>().unwrap());
        }
    }
    let ns = File::open(ns).unwrap();
    std::thread::spawn(move || {
        use std::os::fd::AsRawFd;
        // SAFETY: setns on this short-lived thread; socket, send and recv on our own buffers.
        unsafe {
            assert_eq!(libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET), 0);
            let fd = libc::socket(libc::AF_NETLINK, libc::SOCK_DGRAM, libc::NETLINK_SOCK_DIAG);
            assert!(fd >= 0);
            // nlmsghdr, then packet_diag_req: family, protocol, pad, ino, show (INFO), cookie.
            let mut req = [0u8; 16 + 20];
            req[0..4].copy_from_slice(&36u32.to_ne_bytes());
            req[4..6].copy_from_slice(&20u16.to_ne_bytes()); // SOCK_DIAG_BY_FAMILY
            req[6..8].copy_from_slice(&0x301u16.to_ne_bytes()); // REQUEST | DUMP
            req[16] = libc::AF_PACKET as u8;
            req[24..28].copy_from_slice(&1u32.to_ne_bytes()); // PACKET_SHOW_INFO
            assert!(libc::send(fd, req.as_ptr().cast(), req.len(), 0) > 0);
            let mut found = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            'dump: loop {
                let n = libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0);
                assert!(n > 0);
                let mut b = &buf[..n as usize];
                while b.len() >= 16 {
                    let len = u32::from_ne_bytes(b[0..4].try_into().unwrap()) as usize;
                    let kind = u16::from_ne_bytes(b[4..6].try_into().unwrap());
                    if kind == 3 || kind == 2 || len < 16 {
                        break 'dump; // NLMSG_DONE, NLMSG_ERROR
                    }
                    // packet_diag_msg: family, type, num, ino, cookie; then attributes.
                    let m = &b[16..len];
                    let ino = u32::from_ne_bytes(m[4..8].try_into().unwrap());
                    let mut a = &m[16..];
                    while a.len() >= 4 {
                        let alen = u16::from_ne_bytes(a[0..2].try_into().unwrap()) as usize;
                        let atype = u16::from_ne_bytes(a[2..4].try_into().unwrap());
                        if alen < 4 {
                            break;
                        }
                        // PACKET_DIAG_INFO: index, version, ...
                        if atype == 0 && ours.contains(&ino) {
                            let idx = u32::from_ne_bytes(a[4..8].try_into().unwrap());
                            let ver = u32::from_ne_bytes(a[8..12].try_into().unwrap());
                            found.push((idx, ver));
                        }
                        a = &a[((alen + 3) & !3).min(a.len())..];
                    }
                    b = &b[((len + 3) & !3).min(b.len())..];
                }
            }
            libc::close(fd);
            found.sort_unstable();
            found
        }
    })
    .join()
    .unwrap()
}

/// `--process` leaves the capture's pace to the user: without -U its handle reads whole ring
/// blocks (TPACKET_V3, as without --process), with -U packet by packet (TPACKET_V2, libpcap's
/// immediate mode); beside it, the namespace's probe on `any` is always immediate.
#[test]
fn process_does_not_make_the_capture_immediate() {
    let tmp = TempDir::new();
    let spot = Spot::new(&unique("pi"), &tmp);
    let eth0: u32 = sh(&format!(
        "ip -n {} -o link show eth0 | cut -d: -f1",
        spot.ns.name
    ))
    .trim()
    .parse()
    .unwrap();
    for (extra, version) in [(None, 2), (Some("-U"), 1)] {
        let file = tmp.file("i.pcapng");
        let target = spot.ns.path();
        let mut args = vec!["-t", &target, "-i", "eth0", "--process", "-w", &file];
        args.extend(extra);
        let mut cap = Nscap::spawn(&args);
        cap.wait_for("listening on");
        let pid = cap.child.id();
        wait_threads(pid, 1);
        let want = vec![(0, 1), (eth0, version)];
        wait_until(
            5,
            || {
                format!(
                    "{extra:?}: {:?}, not {want:?}",
                    packet_sockets(&target, pid)
                )
            },
            || (packet_sockets(&target, pid) == want).then_some(()),
        );
        cap.signal(libc::SIGINT);
        let (code, err) = cap.finish(10);
        assert_eq!(code, Some(0), "{err:?}");
    }
}

/// A new connection on the same addresses and ports as one that just ended (within the 10 s a
/// flow keeps its process), from another process, is that process's from its first packet:
/// its SYN replaces what was known of those addresses.
#[test]
fn a_connection_reusing_the_addresses_of_an_old_one_names_its_own_process() {
    let tmp = TempDir::new();
    let spot = Spot::new(&unique("pr"), &tmp);
    let file = tmp.file("r.pcapng");
    let target = spot.ns.path();
    let mut cap = Nscap::spawn(&["-t", &target, "-i", "eth0", "--process", "-w", &file]);
    cap.wait_for("listening on");
    wait_threads(cap.child.id(), 1);
    let port = 20000 + std::process::id() % 10000;
    let run = |name: &str| {
        sh(&spot.ns.exec(&format!(
            "exec python3 {} {} {} 8080 reuse {port}",
            script("client.py"),
            tmp.file(name),
            spot.peer_ip
        )));
        ready(&tmp.file(name))
    };
    let old = run("old");
    let new = run("new");
    assert_eq!((old[1], new[1]), (port, port));
    assert_ne!(old[0], new[0]);
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    // The flow's packets in order, with their SYN flag (a pure SYN starts each connection).
    let rows = tshark_fields(
        &file,
        &[
            "tcp.srcport",
            "tcp.dstport",
            "tcp.flags.syn",
            "tcp.flags.ack",
            "frame.comment",
        ],
    );
    let port_s = port.to_string();
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() >= 4 && (f[0] == port_s || f[1] == port_s))
        .collect();
    // tshark writes flags as 1/0 or True/False, by version.
    let set = |v: &str| v == "1" || v == "True";
    let starts: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, f)| f[0] == port_s && set(f[2]) && !set(f[3]))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(starts.len(), 2, "{rows:?}");
    let seen = |f: &Vec<&str>| Seen {
        src: String::new(),
        sport: 0,
        dst: String::new(),
        dport: 0,
        comment: f.get(4).copied().unwrap_or("").to_string(),
    };
    let second: Vec<Seen> = rows[starts[1]..].iter().map(seen).collect();
    let second: Vec<&Seen> = second.iter().collect();
    assert!(second.len() >= 8, "{rows:?}");
    named(
        &second,
        &format!("pid {} python3", new[0]),
        "the new connection",
    );
    let first: Vec<Seen> = rows[starts[0]..starts[1]].iter().map(seen).collect();
    let first: Vec<&Seen> = first.iter().collect();
    named(
        &first,
        &format!("pid {} python3", old[0]),
        "the old connection",
    );
}

/// Runs client.py in `mode` (fork or pass) under a --process capture: the socket's opener
/// hands it over and exits, the other process sends on it. Returns the packets, the opener's
/// (PID, port) and the PID of the process it handed the socket to, and the spot's address.
fn handed_over(mode: &str) -> (Vec<Seen>, Vec<u32>, u32, String) {
    let tmp = TempDir::new();
    let spot = Spot::new(&unique("ph"), &tmp);
    let file = tmp.file("h.pcapng");
    let mut cap = Nscap::spawn(&[
        "-t",
        &spot.ns.path(),
        "-i",
        "eth0",
        "--process",
        "-w",
        &file,
    ]);
    cap.wait_for("listening on");
    wait_threads(cap.child.id(), 1);
    sh(&spot.ns.exec(&format!(
        "exec python3 {} {} {} 8080 {mode}",
        script("client.py"),
        tmp.file("h"),
        spot.peer_ip
    )));
    let opener = ready(&tmp.file("h"));
    let holder = ready(&tmp.file("h.child"))[0];
    // The holder sends 1.5 s after the hand-over.
    std::thread::sleep(Duration::from_millis(2500));
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    (packets(&file), opener, holder, spot.ip.clone())
}

/// A socket handed to a child: the client connects, forks and exits at once; the child sends
/// on the connection later. Its packets are named after the child, or nothing, never after
/// the parent that exited (they were: the cached owner was never checked again).
#[test]
fn a_socket_left_to_a_child_is_not_named_after_the_parent_that_exited() {
    let (ps, parent, child, ip) = handed_over("fork");
    // After the handshake, the parent's (SYN, SYN-ACK, ACK): the child's lines, the answers.
    let conn = flow(&ps, &ip, parent[1]);
    assert!(conn.len() >= 13, "{ps:?}");
    let data = &conn[3..];
    let wrong = format!("pid {} python3", parent[0]);
    assert!(
        data.iter().all(|p| !p.comment.contains(&wrong)),
        "the child's packets named after the parent that exited: {data:?}"
    );
    assert!(
        data.iter()
            .any(|p| p.comment.contains(&format!("pid {child} python3"))),
        "the child is named on none of its packets: {data:?}"
    );
}

/// A socket passed over a Unix socket (SCM_RIGHTS): the process that opened it exchanges a
/// datagram, hands it over and exits; the one that received it sends three more. Those are
/// never named after the one that exited.
#[test]
fn a_socket_passed_to_another_process_is_not_named_after_the_one_that_exited() {
    let (ps, opener, receiver, ip) = handed_over("pass");
    let dgrams = flow(&ps, &ip, opener[1]);
    assert!(dgrams.len() >= 8, "{ps:?}");
    // The opener's own exchange comes first (2 packets); the receiver's after.
    let wrong = format!("pid {} python3", opener[0]);
    assert!(
        dgrams[2..].iter().all(|p| !p.comment.contains(&wrong)),
        "datagrams named after the process that exited: {dgrams:?}"
    );
    assert!(
        dgrams
            .iter()
            .any(|p| p.comment.contains(&format!("pid {receiver} python3"))),
        "the receiver is named on none: {dgrams:?}"
    );
}

/// A router that masquerades sends its clients' packets from its own address, with the port
/// each client chose. Where a local process holds an unconnected UDP socket on that very port,
/// the forwarded datagrams on the outside interface were named after it, though it sent
/// nothing. Connection tracking says they were translated: they are nobody's.
#[test]
fn masqueraded_forwarded_packets_are_nobodys() {
    let n = 1 + (std::process::id() % 200);
    let (client, router, server) = (Netns::new("mc"), Netns::new("mr"), Netns::new("ms"));
    // client eth0 10.75.n.2 <-> router 10.75.n.1; router eth0 10.74.n.2 <-> server 10.74.n.1.
    veth(&client, &router, &format!("10.75.{n}"), "mi");
    veth(&router, &server, &format!("10.74.{n}"), "mo");
    sh(&client.exec(&format!("ip route add default via 10.75.{n}.1")));
    sh(&router.exec(
        "sysctl -q -w net.ipv4.ip_forward=1 && iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
    ));
    // An unrelated local process holds port 40000, unconnected, and sends nothing.
    let mut holder = Proc::spawn(&router.exec(
        "exec python3 -c \"import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((\\\"\\\", 40000)); time.sleep(60)\"",
    ));
    let tmp = TempDir::new();
    let file = tmp.file("m.pcapng");
    let mut cap = Nscap::spawn(&["-t", &router.path(), "-i", "eth0", "--process", "-w", &file]);
    cap.wait_for("listening on");
    wait_threads(cap.child.id(), 1);
    let holder_pid = holder.descendant("python3");
    sh(&client.exec(&format!(
        "exec python3 -c \"import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((\\\"\\\", 40000))\nfor i in range(5): s.sendto(b\\\"x\\\", (\\\"10.74.{n}.1\\\", 9999)); time.sleep(0.1)\""
    )));
    std::thread::sleep(Duration::from_millis(500));
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let rows = tshark_fields(&file, &["udp.srcport", "udp.dstport", "frame.comment"]);
    let out: Vec<&String> = rows
        .iter()
        .filter(|r| r.starts_with("40000\t9999"))
        .collect();
    // The five datagrams, and the server's port-unreachable answers that quote them.
    assert!(out.len() >= 5, "the masqueraded datagrams: {rows:?}");
    assert!(
        out.iter()
            .all(|r| r.split('\t').nth(2).is_none_or(str::is_empty)),
        "forwarded datagrams named after the local process {holder_pid}: {out:?}"
    );
    holder.kill();
}

/// `--comm` and `--pid` (with `--pid-tree`) write only the packets attributed to those
/// processes: every packet in the file names one of them, and the other client's flow is
/// left out.
#[test]
fn only_the_processes_asked_for_are_written() {
    let w = World::new();
    let tmp = TempDir::new();
    let _server = peer_server(&w, &tmp);
    let pid = w.target_pid.to_string();
    // A bash client: one line over /dev/tcp, a few times, from its own process; it writes its
    // PID first.
    let bash_script = tmp.file("client.bash");
    std::fs::write(
        &bash_script,
        format!(
            "echo $$ > \"$1\"; sleep 1\nfor i in 1 2 3 4 5; do exec 3<>/dev/tcp/{}/8080; echo ping >&3; read -t 2 l <&3; exec 3<&-; sleep 0.1; done\n",
            w.peer_ip
        ),
    )
    .unwrap();
    let bash_client = |name: &str| {
        let out = tmp.file(name);
        (
            Proc::spawn(&w.ns.exec(&format!("exec bash {bash_script} {out}"))),
            out,
        )
    };

    // --comm python3: the python client's packets, not bash's.
    let file = tmp.file("comm.pcapng");
    let mut cap = Nscap::spawn(&["-t", &pid, "-i", "eth0", "--comm", "python3", "-w", &file]);
    cap.wait_for("listening on");
    let (mut bash, bash_pid) = bash_client("bash1");
    let (py_pid, py_port) = client(&w.ns, &tmp, "py1", &w.peer_ip, "long").unwrap();
    let _ = bash.child.wait();
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let ps = packets(&file);
    let want = format!("pid {py_pid} python3");
    assert!(
        ps.iter().filter(|p| p.comment == want).count() >= 4,
        "{ps:?}"
    );
    assert!(ps.iter().all(|p| p.comment == want), "{ps:?}");
    assert!(flow(&ps, &w.target_ip, py_port).len() == ps.len(), "{ps:?}");
    let bash_pid = ready(&bash_pid)[0];

    // --pid SHELL --pid-tree: a python client started (not exec'd) by a shell is the shell's
    // descendant; the bash client is not.
    let file = tmp.file("tree.pcapng");
    let shell_out = tmp.file("shell");
    let py_out = tmp.file("py2");
    let tree_script = tmp.file("tree.sh");
    std::fs::write(
        &tree_script,
        format!(
            "echo $$ > {shell_out}; sleep 1.5; python3 {} {py_out} {} 8080 long; true\n",
            script("client.py"),
            w.peer_ip
        ),
    )
    .unwrap();
    let tree = Proc::spawn(&w.ns.exec(&format!("exec sh {tree_script}")));
    let shell = ready(&shell_out)[0].to_string();
    let mut cap = Nscap::spawn(&[
        "-t",
        &pid,
        "-i",
        "eth0",
        "--pid",
        &shell,
        "--pid-tree",
        "-w",
        &file,
    ]);
    cap.wait_for("listening on");
    let (mut bash, _) = bash_client("bash2");
    let py = ready(&py_out);
    let mut tree = tree;
    let _ = tree.child.wait();
    let _ = bash.child.wait();
    cap.signal(libc::SIGINT);
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let ps = packets(&file);
    let want = format!("pid {} python3", py[0]);
    assert!(
        ps.iter().filter(|p| p.comment == want).count() >= 4,
        "{ps:?}"
    );
    assert!(ps.iter().all(|p| p.comment == want), "{ps:?}");
    assert!(!ps
        .iter()
        .any(|p| p.comment.contains(&format!("pid {bash_pid} "))));
}

/// `-- COMMAND`: the command runs in the target's network namespace, only its packets are
/// written (another client's beside it are not), the capture ends once it has exited, and
/// nscap exits with its status.
#[test]
fn a_command_is_run_and_only_its_packets_are_captured() {
    let w = World::new();
    let tmp = TempDir::new();
    let _server = peer_server(&w, &tmp);
    // Another client in the same namespace the whole time.
    let other_script = tmp.file("other.sh");
    std::fs::write(
        &other_script,
        format!(
            "while :; do python3 {} {} {} 8080 long; done\n",
            script("client.py"),
            tmp.file("other"),
            w.peer_ip
        ),
    )
    .unwrap();
    let mut other = Proc::spawn(&w.ns.exec(&format!("exec sh {other_script}")));
    let pid = w.target_pid.to_string();
    let file = tmp.file("cmd.pcapng");
    let out = tmp.file("mine");
    let client_py = script("client.py");
    let started = std::time::Instant::now();
    let run = nscap(&[
        "-t", &pid, "-i", "eth0", "-w", &file, "--", "python3", &client_py, &out, &w.peer_ip,
        "8080", "long",
    ]);
    other.kill();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    // It ended with the command (five lines 100 ms apart), not at some later signal.
    assert!(started.elapsed() < Duration::from_secs(8), "{run:?}");
    let words: Vec<u32> = std::fs::read_to_string(&out)
        .unwrap()
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    let (cmd_pid, cmd_port) = (words[0], words[1]);
    let ps = packets(&file);
    let want = format!("pid {cmd_pid} python3");
    assert!(ps.iter().all(|p| p.comment == want), "{ps:?}");
    let mine = flow(&ps, &w.target_ip, cmd_port);
    assert_eq!(mine.len(), ps.len(), "{ps:?}");
    assert!(mine.len() >= 8, "{ps:?}");

    // Its status is nscap's; a command that cannot be started is one line, and the status a
    // shell gives it (127 not found, 126 not executable).
    let run = nscap(&["-t", &pid, "-i", "eth0", "--", "sh", "-c", "exit 3"]);
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    let run = nscap(&["-t", &pid, "-i", "eth0", "--", "/etc"]);
    assert_eq!(run.status.code(), Some(126), "{run:?}");
    // No descriptor of nscap's reaches it: libpcap's packet sockets are not close-on-exec.
    let run = nscap(&["-t", &pid, "-i", "eth0", "--", "sh", "-c", "ls /proc/$$/fd"]);
    let fds: Vec<String> = String::from_utf8_lossy(&run.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert!(
        fds.iter()
            .all(|f| ["0", "1", "2", "3"].contains(&f.as_str())),
        "{fds:?}"
    );
    let run = nscap(&["-t", &pid, "-i", "eth0", "--", "/nonexistent/cmd"]);
    assert_eq!(run.status.code(), Some(127), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("cannot run /nonexistent/cmd: No such file or directory"),
        "{run:?}"
    );
    // A capture that ends first (-c 1) stops the command and every process under it.
    let started = std::time::Instant::now();
    let tree = format!(
        "sleep 97 & python3 {client_py} {} {} 8080 long; sleep 98",
        tmp.file("mine2"),
        w.peer_ip
    );
    let run = nscap(&["-t", &pid, "-i", "eth0", "-c", "1", "--", "sh", "-c", &tree]);
    assert_eq!(run.status.code(), Some(143), "{run:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{run:?}");
    let left = sh("pgrep -f '^sleep 9[78]$' || true");
    assert!(left.trim().is_empty(), "left running: {left}");
    // It runs in the target's network namespace (its interfaces), not the host's.
    let run = nscap(&[
        "-t",
        &pid,
        "-i",
        "eth0",
        "-w",
        &tmp.file("x.pcapng"),
        "--",
        "ip",
        "-o",
        "link",
    ]);
    let listed = String::from_utf8_lossy(&run.stdout);
    assert!(
        listed.contains(": eth0@") && !listed.contains("docker0"),
        "{listed}"
    );
}
