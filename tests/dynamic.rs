//! Whole-host capture: `--all`, patterns in `-t`, `--follow` with namespaces and interfaces
//! that come and go, and a hundred namespaces at once. Real namespaces, checked with tshark.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// A namespace named `<prefix>…` whose `eth0` is a veth to a peer namespace; pinging from the
/// peer makes traffic on it.
struct Spot {
    ns: Netns,
    peer: Netns,
    ip: String,
}

impl Spot {
    /// In a namespace named `<prefix>y<n>`.
    fn new(prefix: &str, subnet: u32) -> Spot {
        let ns = Netns::named(&format!("{prefix}y{subnet}"));
        let peer = Netns::new("dp");
        veth(&ns, &peer, &format!("10.79.{subnet}"), "da");
        Spot {
            ns,
            peer,
            ip: format!("10.79.{subnet}.2"),
        }
    }

    fn ping(&self, count: u32) {
        sh(&self.peer.exec(&format!(
            "ping -q -c {count} -i 0.01 -W 1 {} >/dev/null",
            self.ip
        )));
    }
}

/// Subnets no other test of this binary uses at the same time.
fn subnet() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    (std::process::id() + N.fetch_add(1, Ordering::Relaxed) * 7) % 250 + 1
}

/// Packets per interface name in a file.
fn per_interface(file: &str) -> std::collections::HashMap<String, usize> {
    let mut m = std::collections::HashMap::new();
    for r in tshark_fields(file, &["frame.interface_name"]) {
        *m.entry(r).or_insert(0) += 1;
    }
    m
}

#[test]
fn patterns_and_exact_targets_combine_each_namespace_once() {
    let tag = unique("g");
    let spots: Vec<Spot> = (0..3).map(|_| Spot::new(&tag, subnet())).collect();
    let d = TempDir::new();
    let f = d.file("g.pcapng");
    let pattern = format!("{tag}*");
    let exact = spots[0].ns.path();
    let n = Nscap::spawn(&[
        "-t",
        &pattern,
        "-t",
        &exact,
        "-t",
        "netns:nomatch-*-dg",
        "-w",
        &f,
        "icmp",
    ]);
    let (code, err) = n.finish(10);
    // The pattern that matches nothing is an error before the capture starts.
    assert_eq!(code, Some(1), "{err:?}");
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].starts_with("nscap: no network namespace matches 'netns:nomatch-*-dg': searched ")
            && err[0].contains("ip-netns names in /run/netns"),
        "{err:?}"
    );

    let mut n = Nscap::spawn(&["-t", &pattern, "-t", &exact, "-w", &f, "icmp"]);
    n.wait_for("listening on 3 interfaces in 3 namespaces");
    for s in &spots {
        s.ping(2);
    }
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert_eq!(capinfos(&f)["Number of interfaces in file"], "3");
    let counts = per_interface(&f);
    for s in &spots {
        let name = format!("{}/eth0", s.ns.name);
        assert_eq!(counts.get(&name), Some(&4), "{name}: {counts:?}");
        assert!(
            err.contains(&format!("{name}: 4 packets captured")),
            "{err:?}"
        );
    }
    // The description keeps what the name leaves out.
    let descr = tshark_fields(&f, &["frame.interface_description"]);
    assert!(
        descr
            .iter()
            .any(|d| d.starts_with(&format!("netns {}, ", spots[1].ns.name))
                && d.contains("net:[")),
        "{descr:?}"
    );
}

#[test]
fn all_takes_every_namespace_but_the_hosts() {
    let tag = unique("a");
    let spots: Vec<Spot> = (0..2).map(|_| Spot::new(&tag, subnet())).collect();
    let d = TempDir::new();
    let f = d.file("all.pcapng");
    // Other tests' namespaces come and go meanwhile: --follow lets them.
    let mut n = Nscap::spawn(&["--all", "--follow", "-i", "eth0", "-w", &f, "icmp"]);
    n.wait_for("listening on");
    for s in &spots {
        s.ping(1);
    }
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(20);
    assert_eq!(code, Some(0), "{err:?}");
    let counts = per_interface(&f);
    for s in &spots {
        let name = format!("{}/eth0", s.ns.name);
        assert_eq!(counts.get(&name), Some(&2), "{name}: {counts:?}");
    }
    // Never the host's own namespace: every interface carries a NAME/.
    assert!(counts.keys().all(|k| k.contains('/')), "{counts:?}");
}

#[test]
fn follow_takes_namespaces_and_interfaces_as_they_come_and_go() {
    let tag = unique("f");
    let first = Spot::new(&tag, subnet());
    let d = TempDir::new();
    let f = d.file("f.pcapng");
    let pattern = format!("{tag}*");
    let mut n = Nscap::spawn(&["-t", &pattern, "--follow", "-w", &f, "icmp"]);
    n.wait_for("listening on 1 interface in 1 namespace");
    first.ping(1);

    // A namespace born after the start joins within a second.
    let born = Instant::now();
    let second = Spot::new(&tag, subnet());
    n.wait_for(&format!("nscap: {}/eth0 joined", second.ns.name));
    let took = born.elapsed();
    assert!(took < Duration::from_secs(1), "joined after {took:?}");
    second.ping(2);

    // A new interface inside a captured namespace joins too.
    let t = &second.ns.name;
    sh(&format!(
        "ip -n {t} link add eth1 type veth peer name q1 && ip -n {t} link set q1 up && \
         ip -n {t} link set eth1 up"
    ));
    n.wait_for(&format!("nscap: {t}/eth1 joined"));

    // The first one leaves: the capture goes on, with its statistics kept.
    let name = first.ns.name.clone();
    drop(first);
    // Its interface leaves as the namespace goes, or a moment before when the veth's peer
    // goes first: either way one line each, in either order.
    let iface_left = format!("nscap: {name}/eth0 left (");
    let ns_left = format!("nscap: {name} left (namespace gone)");
    while !(n.stderr.iter().any(|l| l.starts_with(&iface_left))
        && n.stderr.iter().any(|l| l == &ns_left))
    {
        n.wait_for(" left (");
    }
    let line = n
        .stderr
        .iter()
        .find(|l| l.starts_with(&iface_left))
        .unwrap();
    // The kernel may count a packet of the interface's teardown that came after its reading
    // stopped: received is at least what was captured.
    let figures: Vec<u64> = line
        .rsplit_once("): ")
        .unwrap()
        .1
        .split(", ")
        .filter_map(|f| f.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(figures[0], 2, "{line}");
    assert!(figures[1] >= 2, "{line}");
    second.ping(1);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let counts = per_interface(&f);
    assert_eq!(counts.get(&format!("{name}/eth0")), Some(&2), "{counts:?}");
    assert_eq!(counts.get(&format!("{t}/eth0")), Some(&6), "{counts:?}");
    assert!(
        err.contains(&format!("{name}/eth0: 2 packets captured")),
        "{err:?}"
    );
    let info = capinfos(&f);
    // first/eth0, then second's eth0, eth1 and q1 (the veth's other end, inside too).
    assert_eq!(info["Number of interfaces in file"], "4", "{info:?}");
}

#[test]
fn without_follow_a_vanished_pattern_namespace_ends_the_capture() {
    let tag = unique("v");
    let a = Spot::new(&tag, subnet());
    let b = Spot::new(&tag, subnet());
    let d = TempDir::new();
    let f = d.file("v.pcapng");
    let pattern = format!("{tag}*");
    let mut n = Nscap::spawn(&["-t", &pattern, "-w", &f, "icmp"]);
    n.wait_for("listening on 2 interfaces in 2 namespaces");
    a.ping(1);
    // Unnamed and without a process, the namespace is gone for its user (nscap's handles
    // still hold it, so its interface stays).
    let name = b.ns.name.clone();
    sh(&format!("ip netns del {name}"));
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(1), "{err:?}");
    let last = err.last().unwrap();
    assert!(
        last.starts_with(&format!("nscap: {name} (")) && last.ends_with("is gone; capture ended"),
        "{err:?}"
    );
    assert_eq!(
        per_interface(&f).get(&format!("{}/eth0", a.ns.name)),
        Some(&2)
    );
}

#[test]
fn hundred_namespaces_with_few_threads() {
    let tag = unique("h");
    let spaces: Vec<Netns> = (0..100)
        .map(|i| Netns::named(&format!("{tag}y{i}")))
        .collect();
    let mut script = String::new();
    for (i, ns) in spaces.iter().enumerate() {
        script += &format!(
            "ip link add eth0 netns {n} type veth peer name p0 netns {n} && \
             ip -n {n} addr add 10.80.{i}.2/24 dev eth0 && \
             ip -n {n} link set p0 up && ip -n {n} link set eth0 up\n",
            n = ns.name
        );
    }
    sh(&script);
    let d = TempDir::new();
    let f = d.file("h.pcapng");
    let pattern = format!("netns:{tag}*");
    let started = Instant::now();
    let mut n = Nscap::spawn(&["-t", &pattern, "-i", "eth0", "-w", &f, "icmp"]);
    n.wait_for("listening on 100 interfaces in 100 namespaces");
    let ready = started.elapsed();
    let threads: usize = std::fs::read_to_string(format!("/proc/{}/status", n.child.id()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(threads <= 8, "{threads} threads");
    // Two broadcast pings out of each namespace's eth0, all at once.
    let mut pings = String::new();
    for (i, ns) in spaces.iter().enumerate() {
        pings += &format!(
            "ip netns exec {} ping -q -b -c 2 -i 0.2 -W 1 10.80.{i}.255 >/dev/null 2>&1 &\n",
            ns.name
        );
    }
    pings += "wait\n";
    let _ = Command::new("sh").arg("-c").arg(&pings).status();
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(20);
    assert_eq!(code, Some(0), "{:?}", err.last());
    assert!(ready < Duration::from_secs(10), "ready after {ready:?}");
    assert_eq!(capinfos(&f)["Number of interfaces in file"], "100");
    let counts = per_interface(&f);
    for ns in &spaces {
        let name = format!("{}/eth0", ns.name);
        assert_eq!(counts.get(&name), Some(&2), "{name}: {counts:?}");
        // The kernel's count may be ahead of what was read when the capture stopped (tcpdump's
        // "received by filter" is the same counter), never behind it.
        let received = err
            .iter()
            .find_map(|l| {
                l.strip_prefix(&format!("{name}: "))?
                    .strip_suffix(" packets received by filter")
            })
            .and_then(|n| n.parse::<u32>().ok());
        assert!(
            err.contains(&format!("{name}: 2 packets captured")) && received >= Some(2),
            "{name}: {err:?}"
        );
    }
}

/// A real Docker container restarted under --follow: its new namespace joins under the same
/// name (`#2` for the new interface), the old one leaves, and packets from before and after
/// are both in the file.
#[test]
fn docker_container_restarted_under_follow() {
    let c = Container::start(Engine::Docker, "nsr", &[]);
    let d = TempDir::new();
    let f = d.file("r.pcapng");
    let mut n = Nscap::spawn(&["-t", &c.name, "--follow", "-w", &f, "icmp"]);
    n.wait_for("listening on 1 interface in 1 namespace");
    let gw = c.inspect("{{.NetworkSettings.Gateway}}");
    c.exec(&["ping", "-c", "2", "-i", "0.2", &gw]);
    ok_stdout(c.engine.command().args(["restart", "-t", "0", &c.name]));
    n.wait_for(&format!("nscap: {}/eth0#2 joined", c.name));
    let gw = c.inspect("{{.NetworkSettings.Gateway}}");
    c.exec(&["ping", "-c", "3", "-i", "0.2", &gw]);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter()
            .any(|l| l.starts_with(&format!("nscap: {}/eth0 left (", c.name))),
        "{err:?}"
    );
    let counts = per_interface(&f);
    assert_eq!(
        counts.get(&format!("{}/eth0", c.name)),
        Some(&4),
        "{counts:?}"
    );
    assert_eq!(
        counts.get(&format!("{}/eth0#2", c.name)),
        Some(&6),
        "{counts:?}"
    );
    let descr = tshark_fields(&f, &["frame.interface_description"]);
    assert!(
        descr
            .iter()
            .all(|d| d.starts_with(&format!("docker {} {}, ", c.name, c.id))),
        "{descr:?}"
    );
}

/// Under --follow a namespace named by PID or path cannot come back once it is gone: the
/// capture ends as it does without --follow (it ran for ever with 0 interfaces, -c never
/// reached). And an interface named with -i that is down is refused with tcpdump's one line,
/// --follow or not (it warned and then listened on 0 interfaces).
#[test]
fn follow_ends_when_a_pid_target_is_gone_and_refuses_a_down_interface() {
    let mut t = Proc::spawn("exec unshare --net sh -c 'ip link set lo up && exec sleep 600'");
    let pid = t.pid();
    wait_ns_change(pid, "net");
    let p = pid.to_string();
    let mut n = Nscap::spawn(&["-t", &p, "--follow", "-i", "lo", "-c", "1000"]);
    n.wait_for("listening on");
    t.kill();
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(1), "{err:?}");
    assert_eq!(
        err.last().unwrap(),
        &format!("nscap: pid {p} is gone; capture ended"),
        "{err:?}"
    );

    // A new namespace's lo is down.
    let name = unique("nsdown");
    sh(&format!("ip netns add {name}"));
    let path = format!("/run/netns/{name}");
    let out = nscap(&["-t", &path, "--follow", "-i", "lo", "-c", "1"]);
    sh(&format!("ip netns del {name}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        format!("nscap: cannot capture on lo in {path}: That device is not up\n")
    );
}

/// Names from other namespaces are raw in files and escaped exactly once on the terminal: an
/// interface named with an escape sequence that joins and leaves a --follow capture used to
/// print the raw ESC in its "joined" and "left" lines.
#[test]
fn names_from_namespaces_are_escaped_once_on_the_terminal_and_raw_in_files() {
    let tag = unique("esc");
    let ns = Netns::named(&format!("{tag}a"));
    let d = TempDir::new();
    let f = d.file("esc.pcapng");
    let mut n = Nscap::spawn(&["-t", &format!("{tag}*"), "--follow", "-w", &f]);
    n.wait_for("listening on");
    let raw = "x\u{1b}[33mY";
    let esc = "$(printf 'x\\033[33mY')";
    let n_ = &ns.name;
    sh(&format!(
        "ip -n {n_} link add {esc} type veth peer name qesc && ip -n {n_} link set qesc up && \
         ip -n {n_} link set {esc} up"
    ));
    let shown = format!("{}/x\\027[33mY", ns.name);
    n.wait_for(&format!("nscap: {shown} joined ("));
    sh(&format!("ip -n {n_} link del {esc}"));
    n.wait_for(&format!("nscap: {shown} left ("));
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(err.iter().all(|l| !l.contains('\u{1b}')), "{err:?}");
    // However many packets the new link saw (IPv6 may announce itself on it when slow).
    assert!(
        err.iter().any(|l| l
            .strip_prefix(&format!("{shown}: "))
            .and_then(|r| r.split_once(' '))
            .is_some_and(|(n, rest)| n.parse::<u64>().is_ok()
                && (rest == "packets captured" || rest == "packet captured"))),
        "escaped once in the statistics: {err:?}"
    );
    // The file has the name as the namespace has it.
    let bytes = std::fs::read(&f).unwrap();
    let want = format!("{}/{raw}", ns.name);
    assert!(
        bytes.windows(want.len()).any(|w| w == want.as_bytes()),
        "if_name {want:?} not in the file"
    );
}
