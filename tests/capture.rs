//! End-to-end capture tests on real namespaces, checked with tshark and capinfos.
mod common;
use common::*;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts nscap with `args`, waits until it listens, pings the target `pings` times, stops it
/// with SIGINT and returns (exit code, stderr lines).
fn capture_pings(w: &World, args: &[&str], pings: u32) -> (Option<i32>, Vec<String>) {
    let mut n = Nscap::spawn(args);
    n.wait_for("listening on");
    w.ping(pings);
    n.signal(libc::SIGINT);
    n.finish(10)
}

fn icmp_types(file: &str) -> Vec<String> {
    tshark_fields(file, &["icmp.type"])
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn pid_target_to_pcap_file() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("web.pcap");
    let pid = w.target_pid.to_string();
    let (code, err) = capture_pings(&w, &["-t", &pid, "-i", "eth0", "-w", &f], 3);
    assert_eq!(code, Some(0), "{err:?}");
    let info = capinfos(&f);
    assert_eq!(info["File type"], "pcap", "{info:?}");
    assert_eq!(info["File encapsulation"], "ether");
    let types = icmp_types(&f);
    assert_eq!(types.iter().filter(|t| *t == "8").count(), 3, "{types:?}");
    assert_eq!(types.iter().filter(|t| *t == "0").count(), 3, "{types:?}");
    // Statistics, tcpdump's words, and the capture counted every packet written.
    let total: usize = info["Number of packets"].parse().unwrap();
    assert!(
        err.contains(&format!("{total} packets captured")),
        "{err:?}"
    );
    assert!(err
        .iter()
        .any(|l| l.ends_with("packets received by filter")));
    assert!(
        err.contains(&"0 packets dropped by kernel".to_string()),
        "{err:?}"
    );
    // Timestamps are now, not 1970 or the future.
    let t = tshark_fields(&f, &["frame.time_epoch"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let first: f64 = t[0].parse().unwrap();
    assert!(
        (now - first).abs() < 60.0,
        "first packet at {first}, now {now}"
    );
}

#[test]
fn default_interface_is_the_first_up_non_loopback() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("x.pcap");
    let (code, err) = capture_pings(&w, &["-t", &w.target_pid.to_string(), "-w", &f], 2);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(err[0].contains("listening on eth0 in pid"), "{err:?}");
    assert_eq!(icmp_types(&f).len(), 4);
}

#[test]
fn namespace_file_target_with_count_stops_by_itself() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("x.pcap");
    let _ping = w.ping_forever();
    let out = nscap(&["-t", &w.ns.path(), "-i", "eth0", "-c", "4", "-w", &f]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(capinfos(&f)["Number of packets"], "4");
    assert!(String::from_utf8_lossy(&out.stderr).contains("\n4 packets captured\n"));
}

#[test]
fn proc_ns_path_target() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("x.pcap");
    let path = format!("/proc/{}/ns/net", w.target_pid);
    let (code, err) = capture_pings(&w, &["-t", &path, "-i", "eth0", "-w", &f, "icmp"], 2);
    assert_eq!(code, Some(0), "{err:?}");
    // The filter kept ICMP only: no ARP or IPv6 chatter.
    let protos = tshark_fields(&f, &["frame.protocols"]);
    assert_eq!(protos.len(), 4, "{protos:?}");
    assert!(protos.iter().all(|p| p.contains("icmp")), "{protos:?}");
}

#[test]
fn stream_to_tshark_through_a_pipe() {
    let w = World::new();
    let mut n = Nscap::spawn_with(
        &["-t", &w.target_pid.to_string(), "-i", "eth0", "-w", "-"],
        Stdio::piped(),
    );
    let pipe = n.child.stdout.take().unwrap();
    let tshark = Command::new("tshark")
        .args(["-r", "-", "-T", "fields", "-e", "icmp.type"])
        .stdin(pipe)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    n.wait_for("listening on");
    w.ping(3);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let out = tshark.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().filter(|l| *l == "8").count(), 3, "{text}");
}

#[test]
fn packet_buffered_file_fills_while_running() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("live.pcap");
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-i", "eth0", "-U", "-w", &f, "icmp"]);
    n.wait_for("listening on");
    w.ping(2);
    // Still running: the packets are in the file already.
    let deadline = Instant::now() + Duration::from_secs(3);
    while std::fs::metadata(&f).unwrap().len() < 24 + 4 * (16 + 98) {
        assert!(
            Instant::now() < deadline,
            "packets not written through with -U"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(n.child.try_wait().unwrap().is_none());
    n.signal(libc::SIGTERM);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
}

#[test]
fn several_interfaces_make_one_pcapng_with_named_interfaces() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("both.pcapng");
    let pid = w.target_pid.to_string();
    let mut n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-i", "lo", "-w", &f, "icmp"]);
    n.wait_for("listening on eth0");
    n.wait_for("listening on lo");
    w.ping(2);
    sh(&w.ns.exec("ping -q -c 2 -i 0.01 127.0.0.1 >/dev/null"));
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let info = capinfos(&f);
    assert_eq!(info["File type"], "pcapng", "{info:?}");
    assert_eq!(info["Number of interfaces in file"], "2", "{info:?}");
    let rows = tshark_fields(&f, &["frame.interface_name", "icmp.type"]);
    assert_eq!(
        rows.iter().filter(|r| r.starts_with("eth0\t")).count(),
        4,
        "{rows:?}"
    );
    assert_eq!(
        rows.iter().filter(|r| r.starts_with("lo\t")).count(),
        4,
        "{rows:?}"
    );
    // Each interface block names the target.
    let descr = tshark_fields(&f, &["frame.interface_description"]);
    assert!(
        descr[0].contains(&format!("pid {pid} (sleep), net:[")),
        "{descr:?}"
    );
    // Per-interface statistics.
    assert!(
        err.contains(&"eth0: 4 packets captured".to_string()),
        "{err:?}"
    );
    assert!(
        err.contains(&"lo: 4 packets captured".to_string()),
        "{err:?}"
    );
}

#[test]
fn format_option_forces_pcapng_for_one_interface() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("one.out");
    let args = ["-t", &w.ns.path(), "-w", &f, "--format", "pcapng", "icmp"];
    let (code, err) = capture_pings(&w, &args, 1);
    assert_eq!(code, Some(0), "{err:?}");
    assert_eq!(capinfos(&f)["File type"], "pcapng");
    assert_eq!(icmp_types(&f), vec!["8", "0"]);
}

#[test]
fn any_interface_uses_linux_cooked_headers() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("any.pcap");
    let (code, err) = capture_pings(&w, &["-t", &w.ns.path(), "-i", "any", "-w", &f, "icmp"], 2);
    assert_eq!(code, Some(0), "{err:?}");
    let enc = &capinfos(&f)["File encapsulation"];
    assert!(enc.starts_with("linux-sll"), "{enc}");
    assert_eq!(icmp_types(&f).len(), 4);
}

#[test]
fn direction_snaplen_and_promiscuous_options() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("in.pcap");
    let mut n = Nscap::spawn(&[
        "-t",
        &w.ns.path(),
        "-i",
        "eth0",
        "-Q",
        "in",
        "-s",
        "60",
        "-p",
        "-B",
        "1024",
        "-w",
        &f,
        "icmp",
    ]);
    n.wait_for("listening on");
    // -p: the interface's promiscuity count stays 0 while nscap holds it.
    let link = sh(&format!("ip -d -n {} link show eth0", w.ns.name));
    assert!(link.contains("promiscuity 0"), "{link}");
    w.ping(2);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    // -Q in: only the requests that arrived, not the replies sent.
    assert_eq!(icmp_types(&f), vec!["8", "8"]);
    // -s 60: frames cut at 60 bytes, original length kept.
    let lens = tshark_fields(&f, &["frame.cap_len", "frame.len"]);
    assert!(lens.iter().all(|l| l == "60\t98"), "{lens:?}");
    assert!(
        err.iter().any(|l| l.contains("snapshot length 60 bytes")),
        "{err:?}"
    );
}

#[test]
fn promiscuous_by_default() {
    let w = World::new();
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-i", "eth0", "-w", "/dev/null"]);
    n.wait_for("listening on");
    let link = sh(&format!("ip -d -n {} link show eth0", w.ns.name));
    assert!(link.contains("promiscuity 1"), "{link}");
    n.signal(libc::SIGINT);
    assert_eq!(n.finish(10).0, Some(0));
}

#[test]
fn list_interfaces_of_the_target_not_the_host() {
    let w = World::new();
    let out = nscap(&["-t", &w.target_pid.to_string(), "-D"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("1.lo [Up, Running, Loopback] 127.0.0.1/8"),
        "{text}"
    );
    assert!(lines[1].starts_with("2.eth0 [Up"), "{text}");
    assert!(lines[1].contains(&format!(" {}/24", w.target_ip)), "{text}");
}

#[test]
fn file_lands_on_the_host_when_the_target_has_its_own_mounts() {
    // The target mounts a private tmpfs over the output directory: a path that nscap resolved
    // in the target's mount namespace would vanish into it.
    let d = TempDir::new();
    let w = World::with_target_cmd(&format!(
        "unshare -m --propagation private sh -c \"mount -t tmpfs none {} && exec sleep 600\"",
        d.0.display()
    ));
    let f = d.file("x.pcap");
    let (code, err) = capture_pings(&w, &["-t", &w.target_pid.to_string(), "-w", &f, "icmp"], 1);
    assert_eq!(code, Some(0), "{err:?}");
    assert_eq!(icmp_types(&f).len(), 2);
    let inside = ok_stdout(Command::new("nsenter").args([
        "-t",
        &w.target_pid.to_string(),
        "-m",
        "ls",
        &d.0.to_string_lossy(),
    ]));
    assert!(!inside.contains("x.pcap"), "{inside}");
}

#[test]
fn closed_pipe_ends_promptly_and_quietly() {
    let w = World::new();
    let mut n = Nscap::spawn_with(
        &["-t", &w.ns.path(), "-i", "eth0", "-w", "-"],
        Stdio::piped(),
    );
    n.wait_for("listening on");
    drop(n.child.stdout.take()); // the reader goes away; no packet is flowing
    let start = Instant::now();
    let (code, err) = n.finish(5);
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(code, Some(0));
    assert_eq!(err.len(), 1, "only the listening line: {err:?}");
}

#[test]
fn closed_pipe_under_traffic_ends_quietly() {
    closed_pipe_under_traffic(&["-i", "eth0", "-w", "-"]);
}

/// Runs nscap on a target with traffic flowing, closes its stdout pipe, and expects a quiet,
/// successful exit.
fn closed_pipe_under_traffic(args: &[&str]) {
    let w = World::new();
    let _ping = w.ping_forever();
    let path = w.ns.path();
    let mut all = vec!["-t", path.as_str()];
    all.extend_from_slice(args);
    let mut n = Nscap::spawn_with(&all, Stdio::piped());
    n.wait_for("listening on");
    std::thread::sleep(Duration::from_millis(300));
    drop(n.child.stdout.take());
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(0));
    assert_eq!(err.len(), 1, "only the listening line: {err:?}");
}

#[test]
fn deleted_interface_ends_capture_with_a_valid_file() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("gone.pcap");
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-i", "eth0", "-w", &f, "icmp"]);
    n.wait_for("listening on");
    w.ping(2);
    sh(&format!("ip -n {} link del {}", w.peer.name, w.peer_if));
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(1), "{err:?}");
    let last = err.last().unwrap();
    assert!(last.starts_with("nscap: eth0 in "), "{err:?}");
    assert!(err.contains(&"4 packets captured".to_string()), "{err:?}");
    assert_eq!(icmp_types(&f).len(), 4);
}

#[test]
fn target_exit_ends_capture_with_a_valid_file() {
    let mut w = World::new();
    let d = TempDir::new();
    let f = d.file("dead.pcap");
    let pid = w.target_pid.to_string();
    let mut n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-w", &f, "icmp"]);
    n.wait_for("listening on");
    w.ping(1);
    w.target.kill();
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(1), "{err:?}");
    assert_eq!(
        err.last().unwrap(),
        &format!("nscap: target pid {pid} exited; capture ended")
    );
    assert_eq!(icmp_types(&f).len(), 2, "{err:?}");
}

fn one_error_line(args: &[&str]) -> String {
    let out = nscap(args);
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("nscap: "), "{err}");
    err
}

/// `-i N` takes the number `-D` shows, as tcpdump does.
#[test]
fn interface_by_the_number_list_shows() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let out = nscap(&["-t", &pid, "-D"]);
    let list = String::from_utf8_lossy(&out.stdout).to_string();
    let number = list
        .lines()
        .find_map(|l| l.split_once(".eth0 ").map(|(n, _)| n.to_string()))
        .unwrap_or_else(|| panic!("no eth0 in {list}"));
    let mut cap = Nscap::spawn_with(
        &["-t", &pid, "-i", &number, "-c", "2", "icmp"],
        Stdio::piped(),
    );
    let mut stdout = cap.child.stdout.take().unwrap();
    cap.wait_for("listening on");
    w.ping(3);
    let (code, lines) = cap.finish(10);
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("listening on eth0 in pid {pid}"))),
        "{lines:?}"
    );
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut printed).unwrap();
    assert_eq!(printed.matches("ICMP echo").count(), 2, "{printed}");
}

/// Without -t, nscap captures where tcpdump would: in its own (the host's) namespace.
#[test]
fn without_a_target_the_host_is_captured() {
    let out = nscap(&["-D"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split_once('.')
                .map(|(_, r)| r.split(' ').next().unwrap_or("").to_string())
        })
        .collect();
    let mut host: Vec<String> = sh("ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1")
        .lines()
        .map(str::to_string)
        .collect();
    let mut got = listed.clone();
    got.sort();
    host.sort();
    assert_eq!(got, host);
    // Loopback, with an address no other test pings.
    let mut cap = Nscap::spawn_with(
        &["-i", "lo", "-c", "1", "icmp and host 127.0.0.57"],
        Stdio::piped(),
    );
    let mut stdout = cap.child.stdout.take().unwrap();
    cap.wait_for("listening on");
    sh("ping -c 3 -i 0.2 -W 1 127.0.0.57 >/dev/null");
    let (code, lines) = cap.finish(10);
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("listening on lo in host,")),
        "{lines:?}"
    );
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut printed).unwrap();
    assert!(
        printed.contains(" > 127.0.0.57: ICMP echo request"),
        "{printed}"
    );
}

#[test]
fn errors_are_one_line_naming_the_culprit() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let e = one_error_line(&["-t", "999999999", "-D"]);
    assert!(e.contains("no such process: pid 999999999"), "{e}");
    let e = one_error_line(&["-t", "/etc/hostname"]);
    assert!(e.contains("/etc/hostname is not a namespace file"), "{e}");
    let e = one_error_line(&["-t", "/proc/self/ns/uts"]);
    assert!(e.contains("not a network namespace"), "{e}");
    let e = one_error_line(&["-t", &pid, "-i", "eth9"]);
    assert!(e.contains("no interface 'eth9' in pid"), "{e}");
    assert!(e.contains("it has: lo, eth0"), "{e}");
    // A name one edit away is suggested; one far from any is not.
    let e = one_error_line(&["-t", &pid, "-i", "eht0"]);
    assert!(
        e.contains(&format!(
            "no interface 'eht0' in pid {pid} (did you mean 'eth0'?); it has: lo, eth0"
        )),
        "{e}"
    );
    let e = one_error_line(&["-t", &pid, "-i", "wlan7"]);
    assert!(!e.contains("did you mean"), "{e}");
    // An ip-netns name with two letters swapped: ours is the closest (other tests' namespaces,
    // named alike, are further).
    let mut typo: Vec<char> = w.ns.name.chars().collect();
    typo.swap(0, 1);
    let typo: String = typo.into_iter().collect();
    let e = one_error_line(&["-t", &typo]);
    assert!(
        e.contains(&format!("no target '{typo}' (did you mean '{}'", w.ns.name)),
        "{e}"
    );
    let e = one_error_line(&["-t", &pid, "-i", "eth0", "tcp", "port"]);
    assert!(
        e.contains("invalid filter 'tcp port'") && e.contains("syntax error"),
        "{e}"
    );
    let e = one_error_line(&["-t", &pid, "-w", "/dev/full"]);
    assert!(
        e.contains("cannot write /dev/full: No space left on device"),
        "{e}"
    );
    // A refused write cuts back regular files only: the device is still there.
    use std::os::unix::fs::FileTypeExt;
    let full = std::fs::metadata("/dev/full").unwrap().file_type();
    assert!(full.is_char_device(), "/dev/full is no longer a device");
    let e = one_error_line(&["-t", &pid, "-w", "/nonexistent/dir/x.pcap"]);
    assert!(
        e.contains("cannot write /nonexistent/dir/x.pcap: No such file or directory"),
        "{e}"
    );
}

#[test]
fn missing_privilege_is_named() {
    let w = World::new();
    // A copy nobody can reach, wherever the build tree lives (it may sit under a 0700 home).
    let d = TempDir::new();
    let bin = d.file("nscap");
    std::fs::copy(nscap_bin(), &bin).unwrap();
    sh(&format!("chmod 755 {} {bin}", d.0.display()));
    let run_as_nobody = |args: &[&str]| {
        let out = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(&bin)
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{err}");
        err
    };
    let e = run_as_nobody(&["-t", &w.target_pid.to_string(), "-D"]);
    assert!(e.contains("CAP_SYS_ADMIN"), "{e}");
    let e = run_as_nobody(&["-t", "/proc/self/ns/net", "-i", "lo"]);
    assert!(
        e.contains("CAP_SYS_ADMIN") || e.contains("CAP_NET_RAW"),
        "{e}"
    );
}

/// Entering the namespace is allowed, opening a packet socket is not: the capability named is
/// the one missing, whatever words libpcap uses.
#[test]
fn missing_packet_capability_is_named() {
    let out = Command::new("capsh")
        .args(["--drop=cap_net_raw", "--", "-c"])
        .arg(format!("exec {} -t /proc/self/ns/net -i lo", nscap_bin()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "nscap: cannot capture on lo in host: permission denied (needs CAP_NET_RAW)"
        ),
        "{err}"
    );
}

#[test]
fn usage_errors_are_one_line() {
    let out = nscap(&["-t"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = nscap(&["-t", "1", "-Q", "sideways"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("'sideways'") && err.contains("in, out, inout"),
        "{err}"
    );
    let out = nscap(&["-r", "/nonexistent/x.pcap"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        "nscap: cannot read /nonexistent/x.pcap: No such file or directory\n"
    );
}

#[test]
fn namespace_thread_sees_the_targets_sysfs_and_the_host_keeps_its_own() {
    let w = World::new();
    let ns = std::fs::File::open(w.ns.path()).unwrap();
    let read_sys = || -> anyhow::Result<(Vec<String>, String)> {
        let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")?
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok((
            names,
            std::fs::read_to_string("/sys/class/net/eth0/ifindex")?,
        ))
    };
    let (names, ifindex) = nscap::netns::run(ns, "test".into(), read_sys).unwrap();
    // libpcap reads interface attributes and drop counters here: they must be the target's.
    assert_eq!(names, vec!["eth0", "lo"]);
    assert_eq!(ifindex.trim(), "2");
    // This thread, and so the output side, still sees the host's sysfs and mounts.
    let mut host: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    host.sort();
    let mut links: Vec<String> = sh("ip -o link show")
        .lines()
        .map(|l| {
            l.split(':')
                .nth(1)
                .unwrap()
                .trim()
                .split('@')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    links.sort();
    assert_eq!(host, links);
}

#[test]
fn two_targets_at_once_into_one_pcapng() {
    let a = World::new();
    let b = World::new();
    let d = TempDir::new();
    let f = d.file("two.pcapng");
    let pa = a.target_pid.to_string();
    let mut n = Nscap::spawn(&[
        "-t",
        &pa,
        "-t",
        &b.ns.path(),
        "-i",
        "eth0",
        "-w",
        &f,
        "icmp",
    ]);
    n.wait_for("listening on 2 interfaces in 2 namespaces");
    a.ping(1);
    b.ping(2);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let rows = tshark_fields(&f, &["frame.interface_name", "ip.dst"]);
    let from = |name: &str| {
        rows.iter()
            .filter(|r| r.starts_with(&format!("{name}\t")))
            .count()
    };
    // Named after what the namespaces are known as: here both have ip-netns names.
    let (na, nb) = (format!("{}/eth0", a.ns.name), format!("{}/eth0", b.ns.name));
    assert_eq!(from(&na), 2, "{rows:?}");
    assert_eq!(from(&nb), 4, "{rows:?}");
    assert!(rows.contains(&format!("{na}\t{}", a.target_ip)), "{rows:?}");
    assert!(
        err.contains(&format!("{na}: 2 packets captured")),
        "{err:?}"
    );

    let out = nscap(&["-t", &pa, "-t", &b.ns.path(), "-D"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("pid {pa}:\n1.lo")), "{text}");
    assert!(text.contains(&format!("{}:\n1.lo", b.ns.path())), "{text}");
}

/// Two namespaces pinged at once: packets leave in time order, in the file and on the terminal
/// alike. Written batch by batch as each interface's ring handed them over, the file of two
/// containers had runs of 12-16 packets of one interface, then of the other, and negative time
/// deltas between them.
#[test]
fn packets_of_several_namespaces_leave_in_time_order() {
    let a = World::new();
    let b = World::new();
    let d = TempDir::new();
    let f = d.file("ordered.pcapng");
    let (pa, pb) = (a.target_pid.to_string(), b.target_pid.to_string());
    let fast = |w: &World| Proc::spawn(&w.peer.exec(&format!("ping -q -i 0.005 {}", w.target_ip)));
    let (_ping_a, _ping_b) = (fast(&a), fast(&b));
    let out = nscap(&[
        "-t", &pa, "-t", &pb, "-i", "eth0", "-c", "400", "-w", &f, "--print", "--tt", "icmp",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let rows = tshark_fields(&f, &["frame.time_delta", "frame.interface_name"]);
    assert_eq!(rows.len(), 400, "{err}");
    let names: std::collections::HashSet<&str> =
        rows.iter().filter_map(|r| r.split('\t').nth(1)).collect();
    assert_eq!(names.len(), 2, "both interfaces: {names:?}");
    for r in &rows {
        let delta: f64 = r.split('\t').next().unwrap().parse().unwrap();
        assert!(delta >= 0.0, "a negative time delta: {r} ({err})");
    }
    // The summary lines, epoch seconds first, in the same order.
    let stamps: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(stamps.len(), 400);
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
}

/// Runs nscap with stdout captured around `pings` pings; returns (exit code, stdout, stderr).
fn capture_stdout(w: &World, args: &[&str], pings: u32) -> (Option<i32>, String, Vec<String>) {
    capture_stdout_with(args, || w.ping(pings))
}

/// Runs nscap with stdout captured while `traffic` runs; returns (exit code, stdout, stderr).
fn capture_stdout_with(
    args: &[&str],
    traffic: impl FnOnce(),
) -> (Option<i32>, String, Vec<String>) {
    use std::io::Read;
    let mut n = Nscap::spawn_with(args, Stdio::piped());
    let mut out = n.child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    n.wait_for("listening on");
    traffic();
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    (code, reader.join().unwrap(), err)
}

/// Captures on the target's eth0 into `file` and prints summaries too (`--print`), with `more`
/// arguments, while `traffic` runs; returns (exit code, stdout, stderr).
fn print_while_writing(
    w: &World,
    file: &str,
    more: &[&str],
    traffic: impl FnOnce(),
) -> (Option<i32>, String, Vec<String>) {
    let path = w.ns.path();
    let mut args = vec!["-t", &path, "-i", "eth0", "-w", file, "--print"];
    args.extend_from_slice(more);
    capture_stdout_with(&args, traffic)
}

#[test]
fn summaries_on_stdout_with_direction() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let (code, out, err) = capture_stdout(&w, &["-t", &pid, "-i", "eth0", "icmp"], 2);
    assert_eq!(code, Some(0), "{err:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    let (p, t) = (&w.peer_ip, &w.target_ip);
    for (i, l) in lines.iter().enumerate() {
        // HH:MM:SS.uuuuuu, then direction (from the interface's own MAC), then the packet.
        let (time, rest) = l.split_once(' ').unwrap();
        assert_eq!(time.len(), 15, "{l}");
        assert_eq!(&time[2..3], ":");
        let want = if i % 2 == 0 {
            format!("In IP {p} > {t}: ICMP echo request, id ")
        } else {
            format!("Out IP {t} > {p}: ICMP echo reply, id ")
        };
        assert!(rest.starts_with(&want), "{l}");
        assert!(rest.ends_with(", length 64"), "{l}");
    }
    assert!(err.contains(&"4 packets captured".to_string()), "{err:?}");
}

#[test]
fn summaries_name_interfaces_when_there_are_several() {
    let w = World::new();
    let args = ["-t", &w.ns.path(), "-i", "eth0", "-i", "lo", "icmp", "-tt"];
    let (code, out, err) = capture_stdout(&w, &args, 1);
    assert_eq!(code, Some(0), "{err:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let (epoch, rest) = lines[0].split_once(' ').unwrap();
    let secs: f64 = epoch.parse().unwrap();
    assert!(secs > 1.7e9, "{epoch}");
    assert!(rest.starts_with("eth0 In IP "), "{}", lines[0]);
}

#[test]
fn print_while_writing_and_flows_at_the_end() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("p.pcap");
    let (code, out, err) = print_while_writing(&w, &f, &["--flows", "icmp"], || w.ping(3));
    assert_eq!(code, Some(0), "{err:?}");
    assert_eq!(icmp_types(&f).len(), 6);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.contains(": ICMP echo")).count(),
        6,
        "{out}"
    );
    // The table comes after every packet line: one ICMP conversation, 3 packets each way.
    let at = lines
        .iter()
        .position(|l| l.starts_with("Conversations: 1"))
        .expect("table");
    assert_eq!(at, 6, "{out}");
    let row: Vec<&str> = lines[at + 2].split_whitespace().collect();
    assert_eq!(
        &row[..5],
        ["ICMP", w.peer_ip.as_str(), w.target_ip.as_str(), "3", "294"]
    );
}

#[test]
fn json_lines_live() {
    let w = World::new();
    let args = ["-t", &w.ns.path(), "-i", "eth0", "--json", "icmp"];
    let (code, out, err) = capture_stdout(&w, &args, 1);
    assert_eq!(code, Some(0), "{err:?}");
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_eq!(objs.len(), 2, "{out}");
    assert_eq!(objs[0]["ip"]["src"], w.peer_ip.as_str());
    assert_eq!(objs[0]["icmp"]["type"], 8);
    assert_eq!(objs[1]["icmp"]["type"], 0);
    assert_eq!(objs[0]["len"], 98);
    assert_eq!(objs[0]["interface"], "eth0");
    assert_eq!(objs[0]["direction"], "in");
    assert_eq!(objs[1]["direction"], "out");
}

#[test]
fn summaries_into_a_closed_pipe_end_quietly() {
    closed_pipe_under_traffic(&["-i", "eth0"]);
}

#[test]
fn stream_into_nscap_reading_stdin() {
    let w = World::new();
    let mut n = Nscap::spawn_with(
        &["-t", &w.ns.path(), "-i", "eth0", "-w", "-", "icmp"],
        Stdio::piped(),
    );
    let reader = Command::new(nscap_bin())
        .args(["-r", "-", "-tt"])
        .stdin(n.child.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    n.wait_for("listening on");
    w.ping(2);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let out = reader.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].contains(&format!(
        "IP {} > {}: ICMP echo request",
        w.peer_ip, w.target_ip
    )));
}

#[test]
fn tcp_port_filter_as_trailing_words() {
    let w = World::new();
    let _server = Proc::spawn(&w.ns.exec("iperf3 -s -p 80"));
    let d = TempDir::new();
    let f = d.file("web.pcap");
    let (code, text, err) = print_while_writing(&w, &f, &["tcp", "port", "80"], || {
        w.ping(1); // not TCP: filtered out
        let deadline = Instant::now() + Duration::from_secs(5);
        // The server may take a moment to listen.
        let client = w.peer.exec(&format!(
            "iperf3 -c {} -p 80 -n 64K >/dev/null 2>&1",
            w.target_ip
        ));
        while !Command::new("sh")
            .arg("-c")
            .arg(&client)
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(Instant::now() < deadline, "iperf3 never connected");
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert_eq!(code, Some(0), "{err:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 10, "{text}");
    let syn = format!("In IP {}.", w.peer_ip);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&syn)
                && l.contains(&format!(" > {}.80: Flags [S], seq ", w.target_ip))),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains(".80: ") || l.contains(".80 > ")),
        "{text}"
    );
    // The file holds the same packets as were printed.
    assert_eq!(tshark_fields(&f, &["tcp.port"]).len(), lines.len());
}

/// A tun device reports libpcap's DLT_RAW (12 on Linux); files must say LINKTYPE_RAW (101), as
/// tcpdump writes them, or readers take the packets for something else. The same capture read
/// back with a filter needs the number mapped back before libpcap compiles it.
#[test]
fn raw_ip_device_is_written_as_linktype_raw() {
    let ns = Netns::new("tun");
    // The device needs a process holding it, or the kernel drops what is sent to it unseen.
    let holder = "import fcntl,struct,time; f=open(\"/dev/net/tun\",\"r+b\",buffering=0); \
                  fcntl.ioctl(f,0x400454ca,struct.pack(\"16sH\",b\"tun0\",0x1001)); time.sleep(60)";
    let mut target = Proc::spawn(&ns.exec(&format!("exec python3 -c '\\''{holder}'\\''")));
    target.descendant("python3");
    let tun_exists = || {
        Command::new("ip")
            .args(["-n", &ns.name, "link", "show", "tun0"])
            .output()
            .is_ok_and(|o| o.status.success())
            .then_some(())
    };
    wait_until(10, || "tun0 never appeared".to_string(), tun_exists);
    sh(&format!(
        "ip -n {n} addr add 10.98.0.1/24 dev tun0 && ip -n {n} link set tun0 up",
        n = ns.name
    ));
    let d = TempDir::new();
    let f = d.file("tun.pcap");
    let mut n = Nscap::spawn(&["-t", &ns.path(), "-i", "tun0", "-w", &f]);
    n.wait_for("listening on");
    let _ = Command::new("sh")
        .arg("-c")
        .arg(ns.exec("ping -q -c 3 -i 0.05 -W 1 10.98.0.2 >/dev/null"))
        .status();
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(err[0].contains("link-type RAW"), "{err:?}");
    let bytes = std::fs::read(&f).unwrap();
    assert_eq!(u32::from_ne_bytes(bytes[20..24].try_into().unwrap()), 101);
    assert_eq!(icmp_types(&f), ["8", "8", "8"]);
    let out = nscap(&["-r", &f, "icmp"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("ICMP echo request").count(), 3, "{text}");
    drop(target);
}

/// `-t PID -t /proc/PID/ns/net` names one namespace twice: it is captured once, with a note,
/// not every packet twice under one name.
#[test]
fn the_same_namespace_named_twice_is_captured_once() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("once.pcap");
    let pid = w.target_pid.to_string();
    let path = format!("/proc/{pid}/ns/net");
    let (code, err) = capture_pings(&w, &["-t", &pid, "-t", &path, "-i", "eth0", "-w", &f], 3);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter()
            .any(|l| l.contains(&path) && l.contains("captured once")),
        "{err:?}"
    );
    assert_eq!(icmp_types(&f), ["8", "0", "8", "0", "8", "0"]);
    assert_eq!(
        capinfos(&f)["File type"],
        "pcap",
        "one interface, one pcap file"
    );
}

/// Closing a packet socket waits for an RCU grace period; closed one after another, 200
/// interfaces took 5.6 s to stop after SIGINT (0.18 s closed side by side). A stop must be
/// prompt however many interfaces there are, measured against the cost of closing one by one.
#[test]
fn many_interfaces_stop_promptly() {
    let ns = Netns::new("many");
    let d = TempDir::new();
    let batch = d.file("links");
    let mut cmds = String::new();
    let mut args = vec!["-t".to_string(), ns.path()];
    for i in 0..200 {
        cmds += &format!(
            "link add m{i} type veth peer name p{i}\nlink set m{i} up\nlink set p{i} up\n"
        );
        args.extend(["-i".to_string(), format!("m{i}")]);
    }
    std::fs::write(&batch, cmds).unwrap();
    sh(&format!("ip -n {} -b {batch}", ns.name));
    let f = d.file("many.pcapng");
    args.extend(["-w".to_string(), f.clone()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stop = || {
        let mut n = Nscap::spawn(&args);
        for _ in 0..200 {
            n.wait_for("listening on");
        }
        n.signal(libc::SIGINT);
        let start = Instant::now();
        let (code, err) = n.finish(20);
        let took = start.elapsed();
        assert_eq!(code, Some(0), "{:?}", err.last());
        assert_eq!(capinfos(&f)["Number of interfaces in file"], "200");
        took
    };
    // Side by side, the waits overlap: well under a second on a quiet machine. A slower stop
    // is held against what closing 200 packet sockets one after another costs here and now
    // (a busy machine stretches the grace periods for both), not against a fixed time; and a
    // moment of load during one stop is given a second try: closing one by one would be slow
    // both times.
    let mut took = stop();
    if took > Duration::from_secs(1) {
        let one_by_one = close_packet_sockets_one_by_one(200);
        if took >= one_by_one {
            took = took.min(stop());
        }
        let one_by_one = one_by_one.max(close_packet_sockets_one_by_one(200));
        assert!(
            took < one_by_one,
            "stopping took {took:?}, closing 200 packet sockets one by one {one_by_one:?}"
        );
    }
}

/// Opens `n` packet sockets and times closing them one after another.
fn close_packet_sockets_one_by_one(n: usize) -> Duration {
    use std::os::fd::{FromRawFd, OwnedFd};
    let socks: Vec<OwnedFd> = (0..n)
        .map(|_| {
            // SAFETY: socket(2) with constant arguments; the descriptor is ours alone.
            let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
            assert!(
                fd >= 0,
                "socket(AF_PACKET): {}",
                std::io::Error::last_os_error()
            );
            // SAFETY: fd was just returned by socket(2) and is owned by nothing else.
            unsafe { OwnedFd::from_raw_fd(fd) }
        })
        .collect();
    let start = Instant::now();
    for s in socks {
        drop(s);
    }
    start.elapsed()
}

/// `-i any` keeps each packet's interface, named as the target names it: a target with two
/// veths (eth0, eth1) and traffic on both; the host has no eth1, and its eth0 (if any) has
/// another index. Lines say `eth0 In` / `eth1 Out`, and the pcapng file has one interface
/// block per real interface, as tshark reads it.
#[test]
fn any_interface_keeps_the_real_interface() {
    let t = Netns::new("anyt");
    let peers = [Netns::new("anyp"), Netns::new("anyp")];
    let n = std::process::id() % 200 + 20;
    for (k, p) in peers.iter().enumerate() {
        let (outer, inner) = (unique("va"), unique("vb"));
        sh(&format!(
            "ip link add {outer} netns {p} type veth peer name {inner} netns {t} && \
             ip -n {t} link set {inner} name eth{k} && \
             ip -n {p} addr add 10.{n}.{k}.1/24 dev {outer} && \
             ip -n {t} addr add 10.{n}.{k}.2/24 dev eth{k} && \
             ip -n {p} link set {outer} up && ip -n {t} link set eth{k} up",
            p = p.name,
            t = t.name
        ));
    }
    let d = TempDir::new();
    let f = d.file("any.pcapng");
    let mut cap = Nscap::spawn_with(
        &["-t", &t.path(), "-i", "any", "-w", &f, "--print", "icmp"],
        Stdio::piped(),
    );
    cap.wait_for("listening on any");
    for (k, p) in peers.iter().enumerate() {
        sh(&p.exec(&format!(
            "ping -q -c 2 -i 0.01 -W 1 10.{n}.{k}.2 >/dev/null"
        )));
    }
    std::thread::sleep(Duration::from_millis(200));
    cap.signal(libc::SIGINT);
    let mut stdout = cap.child.stdout.take().unwrap();
    let (code, err) = cap.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter().any(|l| l.contains("link-type LINUX_SLL2")),
        "{err:?}"
    );
    let mut lines = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut lines).unwrap();
    let seen: Vec<&str> = lines
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        seen,
        ["eth0", "eth0", "eth0", "eth0", "eth1", "eth1", "eth1", "eth1"],
        "{lines}"
    );
    assert!(lines.contains(&format!(
        " eth1  In  IP 10.{n}.1.1 > 10.{n}.1.2: ICMP echo request"
    )));
    assert!(lines.contains(&format!(
        " eth0  Out IP 10.{n}.0.2 > 10.{n}.0.1: ICMP echo reply"
    )));

    let rows = tshark_fields(&f, &["frame.interface_name", "icmp.type"]);
    assert_eq!(
        rows,
        ["eth0\t8", "eth0\t0", "eth0\t8", "eth0\t0", "eth1\t8", "eth1\t0", "eth1\t8", "eth1\t0"]
    );
    let info = capinfos(&f);
    assert_eq!(info["File type"], "pcapng");
    // `any` itself (its statistics, and packets of interfaces created later), lo, eth0, eth1.
    assert_eq!(info["Number of interfaces in file"], "4");
    // And nscap reads its own file back with the same names.
    let out = nscap(&["-r", &f]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let back: Vec<&str> = text
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(back, seen);
}

/// Without a filter expression the kernel still gets a program, one that keeps the snapshot
/// length, as tcpdump installs: with none, libpcap's ring stored each packet whole (up to a
/// 4 KiB block at a short -s), and under a TCP stream of 64 KiB GSO packets nscap lost 4-15 %
/// to the kernel where tcpdump lost nothing (bench/live.sh measures that; this checks the
/// cause). `ss -0 -b` shows the program of each packet socket.
#[test]
fn the_kernel_truncates_to_the_snapshot_length_without_a_filter() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let mut n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-s", "200", "-w", "/dev/null"]);
    n.wait_for("listening on");
    let ss = sh(&w.ns.exec("ss -0 -b -p"));
    let ours = ss
        .split("p_raw")
        .find(|s| s.contains(&format!("pid={}", n.child.id())))
        .unwrap_or_else(|| panic!("no packet socket of nscap in\n{ss}"));
    assert!(
        ours.contains("bpf filter") && ours.contains("0x06 0 0 200"),
        "no program returning the snapshot length:\n{ours}"
    );
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(0), "{err:?}");
}
