//! Long captures: rotation (tcpdump's -C/-W/-G/-z, dumpcap's -b), autostop (-a), -Z, the live
//! counter, SIGUSR1, file-to-file copies and a full disk; every file checked with capinfos.
mod common;
use common::*;

use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// The files in `dir`, sorted by name.
fn files(dir: &TempDir) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn packets(file: &str) -> usize {
    capinfos(file)["Number of packets"].parse().unwrap()
}

/// The number before " packets captured" (or " packet captured") in nscap's statistics.
fn captured(err: &[String]) -> usize {
    err.iter()
        .find_map(|l| {
            l.strip_suffix(" packets captured")
                .or_else(|| l.strip_suffix(" packet captured"))
        })
        .unwrap_or_else(|| panic!("no statistics in {err:?}"))
        .parse()
        .unwrap()
}

/// Pings with 500-byte payloads: 558-byte frames, 574 bytes a pcap record.
fn big_pings(w: &World, count: u32) {
    sh(&w.peer.exec(&format!(
        "ping -q -c {count} -i 0.005 -s 500 -W 1 {} >/dev/null",
        w.target_ip
    )));
}

#[test]
fn size_rotation_names_files_as_tcpdump_and_each_stands_alone() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("cap");
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &f, "-C", "4k", "icmp"]);
    n.wait_for("listening on");
    big_pings(&w, 40);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let names = files(&d);
    // 80 records of 574 bytes, 7 to a 4096-byte file: 12 files, cap then cap1..cap11.
    assert_eq!(names.len(), 12, "{names:?}");
    let mut expected: Vec<String> = (1..12).map(|i| format!("cap{i}")).collect();
    expected.push("cap".into());
    expected.sort();
    assert_eq!(names, expected);
    let mut total = 0;
    for name in &names {
        let p = d.file(name);
        let info = capinfos(&p);
        assert_eq!(info["File type"], "pcap", "{name}: {info:?}");
        assert!(std::fs::metadata(&p).unwrap().len() <= 4096, "{name}");
        total += packets(&p);
    }
    assert_eq!(total, 80);
    assert_eq!(captured(&err), 80, "{err:?}");
}

#[test]
fn ring_of_w_files_reuses_the_oldest_and_runs_postrotate() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("ring");
    let marks = d.file("rotated.log");
    // -z runs CMD FILE: a script that notes each closed file it is given, and where it runs:
    // its network and mount namespaces, and the signals it blocks.
    let script = d.file("note.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1 $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt) \
             $(grep SigBlk /proc/self/status | tr -d '\\t')\" >> {marks}\n"
        ),
    )
    .unwrap();
    sh(&format!("chmod +x {script}"));
    let args = [
        "-t",
        &w.ns.path(),
        "-w",
        &f,
        "-C",
        "4k",
        "-W",
        "3",
        "-z",
        &script,
    ];
    let mut n = Nscap::spawn(&[&args[..], &["icmp"]].concat());
    n.wait_for("listening on");
    big_pings(&w, 40);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let names: Vec<String> = files(&d)
        .into_iter()
        .filter(|n| n.starts_with("ring"))
        .collect();
    assert_eq!(names, ["ring0", "ring1", "ring2"]);
    let kept: usize = names.iter().map(|n| packets(&d.file(n))).sum();
    // Twelve files' worth went through three names: only the last ones are kept.
    assert!((15..80).contains(&kept), "{kept}");
    assert_eq!(captured(&err), 80);
    // Eleven files were closed by a rotation; the last one, closed at the end, is not given to
    // -z (as with tcpdump).
    let log = wait_until(
        5,
        || "the -z commands did not all run".into(),
        || {
            let s = std::fs::read_to_string(&marks).unwrap_or_default();
            (s.lines().count() == 11).then_some(s)
        },
    );
    assert!(log.lines().all(|l| l.starts_with(&f)), "{log}");
    assert_eq!(
        log.lines()
            .filter(|l| l.split(' ').next() == Some(&format!("{f}0")))
            .count(),
        4
    );
    // Files are made and -z run as the host sees them, never inside the target's namespaces
    // (the capture thread's), and the command can be stopped by a signal.
    let host = |kind: &str| std::fs::read_link(format!("/proc/self/ns/{kind}")).unwrap();
    let want = format!(
        " {} {} SigBlk:0000000000000000",
        host("net").display(),
        host("mnt").display()
    );
    assert!(
        log.lines().all(|l| l.ends_with(&want)),
        "{log}\nwant {want}"
    );
}

#[test]
fn time_rotation_uses_strftime_names_and_w_stops_after_n_files() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("t-%Y%m%d-%H%M%S.pcap");
    let _ping = w.ping_forever();
    let start = Instant::now();
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &f, "-G", "1", "-W", "3"]);
    n.wait_for("listening on");
    let (code, err) = n.finish(10);
    let took = start.elapsed();
    assert_eq!(code, Some(0), "{err:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let names = files(&d);
    assert_eq!(names.len(), 3, "{names:?}");
    for name in &names {
        // t-YYYYmmdd-HHMMSS.pcap
        assert_eq!(name.len(), "t-20260101-000000.pcap".len(), "{name}");
        assert!(
            name.starts_with("t-20") && name.ends_with(".pcap"),
            "{name}"
        );
        assert_eq!(capinfos(&d.file(name))["File type"], "pcap");
    }
}

#[test]
fn dumpcap_ring_names_and_autostop_on_time() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("d.pcapng");
    let _ping = w.ping_forever();
    let mut n = Nscap::spawn(&[
        "-t",
        &w.ns.path(),
        "-w",
        &f,
        "-b",
        "duration:1",
        "-b",
        "files:2",
        "-a",
        "duration:3",
        "--format",
        "pcapng",
    ]);
    n.wait_for("listening on");
    let listening = Instant::now();
    let (code, err) = n.finish(10);
    let took = listening.elapsed().as_secs_f64();
    assert_eq!(code, Some(0), "{err:?}");
    assert!((took - 3.0).abs() <= 0.5, "stopped after {took} s");
    let names = files(&d);
    // Three or four files were started (one a second for three seconds); the ring keeps two,
    // numbered on from the deleted ones: d_0000N_YYYYmmddHHMMSS.pcapng.
    assert_eq!(names.len(), 2, "{names:?}");
    for name in &names {
        let (num, rest) = name
            .strip_prefix("d_")
            .and_then(|s| s.split_once('_'))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(num.len(), 5, "{name}");
        assert!(num.parse::<u32>().unwrap() >= 2, "{name}");
        assert_eq!(rest.len(), "20260101120000.pcapng".len(), "{name}");
        assert!(rest.ends_with(".pcapng"), "{name}");
        let info = capinfos(&d.file(name));
        assert_eq!(info["File type"], "pcapng", "{info:?}");
        assert_eq!(info["Number of interfaces in file"], "1", "{info:?}");
    }
}

#[test]
fn autostop_on_file_size_and_packets() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("a.pcap");
    let _ping = w.ping_forever();
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &f, "-a", "filesize:1", "icmp"]);
    n.wait_for("listening on");
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    // 24-byte header + 114-byte records (98-byte frames): 8 fit under 1000 bytes.
    assert!(std::fs::metadata(&f).unwrap().len() <= 1000);
    assert_eq!(packets(&f), 8);
    assert_eq!(captured(&err), 8);

    let g = d.file("b.pcapng");
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &g, "-a", "packets:3", "icmp"]);
    n.wait_for("listening on");
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert_eq!(packets(&g), 3);
}

fn lines(b: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(b)
        .lines()
        .map(String::from)
        .collect()
}

/// The figure before " packets received by filter", or None where the statistics say the
/// counters are unknown.
fn received(err: &[String]) -> Option<usize> {
    if err
        .iter()
        .any(|l| l.ends_with("received by filter: unknown"))
    {
        return None;
    }
    let n = err
        .iter()
        .find_map(|l| {
            l.strip_suffix(" packets received by filter")
                .or_else(|| l.strip_suffix(" packet received by filter"))
        })
        .unwrap_or_else(|| panic!("no received line in {err:?}"));
    Some(n.parse().unwrap())
}

/// Counters are true or absent: after -Z nobody (no capability left to enter the namespace at
/// the end) the kernel's count comes from the capture thread's own last reading, made where it
/// needs no privilege. It used to print "0 packets received by filter" for counters never
/// read. With several namespaces, where only a thread inside each could read them, they are
/// said to be unknown, in the statistics and in the pcapng file, never 0.
#[test]
fn counters_after_dropping_privileges_are_true_or_unknown() {
    let w = World::new();
    let d = TempDir::new();
    sh(&format!("chmod 777 {}", d.0.display()));
    let _ping = w.ping_forever();
    let f = d.file("z.pcap");
    // -c 6 as nobody, into `file`, from the namespaces of `targets`: the statistics lines.
    let as_nobody = |targets: &[&str], file: &str| {
        let mut args: Vec<&str> = Vec::new();
        for t in targets {
            args.extend(["-t", t]);
        }
        args.extend(["-i", "eth0", "-Z", "nobody", "-c", "6", "-w", file]);
        let out = nscap(&args);
        let err = lines(&out.stderr);
        assert!(out.status.success(), "{err:?}");
        err
    };
    let err = as_nobody(&[&w.ns.path()], &f);
    assert_eq!(captured(&err), 6, "{err:?}");
    let got = received(&err).unwrap_or_else(|| panic!("unknown: {err:?}"));
    assert!(
        got >= 6,
        "the kernel passed at least what was captured: {err:?}"
    );

    // Two namespaces: the counters are read inside each, which -Z forbids at the end.
    let other = World::new();
    let _ping2 = other.ping_forever();
    let g = d.file("two.pcapng");
    let err = as_nobody(&[&w.ns.path(), &other.ns.path()], &g);
    assert!(
        err.iter()
            .any(|l| l.ends_with("received by filter: unknown")),
        "{err:?}"
    );
    assert!(
        !err.iter()
            .any(|l| l.ends_with(" 0 packets received by filter")),
        "{err:?}"
    );
    // The file's statistics blocks leave the kernel's counts out rather than say 0: each
    // has its span and what nscap delivered (options 2, 3, 8), none of isb_ifrecv (4),
    // isb_ifdrop (5), isb_filteraccept (6) or isb_osdrop (7).
    let isbs = isb_options(&std::fs::read(&g).unwrap());
    assert_eq!(isbs.len(), 2, "{isbs:?}");
    for codes in isbs {
        assert_eq!(codes, [2, 3, 8], "{codes:?}");
    }
}

/// The option codes of each Interface Statistics Block of a pcapng file (this machine's byte
/// order), walked block by block.
fn isb_options(b: &[u8]) -> Vec<Vec<u16>> {
    let u32_at = |at: usize| u32::from_ne_bytes(b[at..at + 4].try_into().unwrap());
    let u16_at = |at: usize| u16::from_ne_bytes(b[at..at + 2].try_into().unwrap());
    let mut out = Vec::new();
    let mut off = 0;
    while off + 12 <= b.len() {
        let (kind, len) = (u32_at(off), u32_at(off + 4) as usize);
        if kind == 5 {
            let mut codes = Vec::new();
            let mut at = off + 20;
            while at + 4 <= off + len - 4 {
                let (code, olen) = (u16_at(at), u16_at(at + 2) as usize);
                if code == 0 {
                    break;
                }
                codes.push(code);
                at += 4 + olen.div_ceil(4) * 4;
            }
            out.push(codes);
        }
        off += len;
    }
    out
}

#[test]
fn relinquished_privileges_show_in_proc_and_in_file_ownership() {
    let w = World::new();
    let d = TempDir::new();
    // nobody must be able to create files here.
    sh(&format!("chmod 777 {}", d.0.display()));
    let f = d.file("z.pcap");
    let _ping = w.ping_forever();
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &f, "-Z", "nobody", "-C", "1k"]);
    n.wait_for("listening on");
    let pid = n.child.id();
    std::thread::sleep(Duration::from_millis(1500));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}:")))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("no {k} in {status}"))
    };
    assert_eq!(field("Uid"), "65534 65534 65534 65534");
    assert_eq!(field("CapEff"), "0000000000000000");
    assert_eq!(field("CapPrm"), "0000000000000000");
    assert_eq!(field("CapBnd"), "0000000000000000");
    assert_eq!(field("NoNewPrivs"), "1");
    // Every thread, the capture threads too, runs as nobody without capabilities.
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let s = std::fs::read_to_string(t.unwrap().path().join("status")).unwrap();
        assert!(s.contains("Uid:\t65534\t65534\t65534\t65534"), "{s}");
        assert!(s.contains("CapEff:\t0000000000000000"), "{s}");
    }
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    let names = files(&d);
    assert!(names.len() >= 2, "{names:?}");
    for name in names {
        let m = std::fs::metadata(d.file(&name)).unwrap();
        assert_eq!(m.uid(), 65534, "{name}");
        assert!(packets(&d.file(&name)) > 0 || m.len() == 24, "{name}");
    }
}

#[test]
fn unknown_user_is_one_line() {
    let w = World::new();
    let d = TempDir::new();
    let out = nscap(&[
        "-t",
        &w.ns.path(),
        "-w",
        &d.file("x"),
        "-Z",
        "no-such-user-here",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l == "nscap: -Z no-such-user-here: no such user"),
        "{err}"
    );
}

/// Runs nscap under `script` (stdin, stdout and stderr on a pseudo-terminal) for two seconds of
/// pings; returns everything the terminal showed.
fn on_a_terminal(w: &World, extra: &str) -> String {
    let d = TempDir::new();
    let _ping = w.ping_forever();
    let cmd = format!(
        "{} -t {} -w {} -a duration:2 {extra}",
        nscap_bin(),
        w.ns.path(),
        d.file("t.pcap")
    );
    let out = Command::new("script")
        .args(["-qfc", &cmd, "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn live_counter_on_a_terminal_only() {
    let w = World::new();
    let shown = on_a_terminal(&w, "");
    let redraws = shown.matches("\r\x1b[K").count();
    let lines: Vec<&str> = shown
        .split('\r')
        .filter(|l| l.contains(" written"))
        .collect();
    assert!(lines.len() >= 3, "{shown:?}");
    // At most four a second, over two seconds (and one more for the final state).
    assert!(lines.len() <= 9, "{} redraws: {shown:?}", lines.len());
    // The elapsed time first, and after a second the rate (pings both ways, 40 a second).
    let last = lines.last().unwrap();
    assert!(last.starts_with("0:0"), "{shown:?}");
    let rate: f64 = last
        .split_once("packets written (")
        .and_then(|(_, r)| r.split_once("/s), 0 dropped, "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no rate in {last:?}"));
    assert!((20.0..=60.0).contains(&rate), "{shown:?}");
    assert!(lines.last().unwrap().contains("t.pcap"), "{shown:?}");
    // Erased before the final statistics, which follow on a clean line.
    assert!(redraws >= 1);
    let tail = shown.rsplit("\r\x1b[K").next().unwrap();
    assert!(tail.contains("packets captured"), "{shown:?}");
    // -q: no counter.
    assert!(!on_a_terminal(&w, "-q").contains(" written"));
    // Without a terminal: no counter either.
    let d = TempDir::new();
    let _ping = w.ping_forever();
    let f = d.file("x.pcap");
    let out = nscap(&["-t", &w.ns.path(), "-w", &f, "-a", "duration:1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains(" written") && !err.contains('\r'), "{err:?}");
}

#[test]
fn sigusr1_prints_statistics_and_the_capture_goes_on() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("u.pcap");
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &f, "icmp"]);
    n.wait_for("listening on");
    w.ping(3);
    std::thread::sleep(Duration::from_millis(600));
    n.signal(libc::SIGUSR1);
    n.wait_for("packets dropped by kernel");
    assert!(
        n.stderr.contains(&"6 packets captured".to_string()),
        "{:?}",
        n.stderr
    );
    assert!(
        n.child.try_wait().unwrap().is_none(),
        "SIGUSR1 ended the capture"
    );
    w.ping(2);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(err.contains(&"10 packets captured".to_string()), "{err:?}");
    assert_eq!(packets(&f), 10);
}

/// tcpdump's reading of a file: every packet's time, length and bytes.
fn dump(file: &str) -> String {
    ok_stdout(Command::new("tcpdump").args(["-r", file, "-nn", "-tt", "-xx"]))
}

#[test]
fn file_to_file_keeps_what_tcpdump_keeps() {
    let d = TempDir::new();
    for filter in ["icmp or arp", "tcp", "ip6", "udp and port 9999"] {
        let ours = d.file("ours.pcap");
        let theirs = d.file("theirs.pcap");
        let out = nscap(&["-r", "fixtures/mixed.pcap", "-w", &ours, filter]);
        assert!(out.status.success(), "{out:?}");
        sh(&format!(
            "tcpdump -r fixtures/mixed.pcap -w {theirs} '{filter}' 2>/dev/null"
        ));
        let (a, b) = (dump(&ours), dump(&theirs));
        assert!(!a.is_empty(), "{filter}");
        assert_eq!(a, b, "{filter}");
    }
    // -c, pcapng, and a pcapng input with several link types.
    let out_ng = d.file("c.pcapng");
    let out = nscap(&[
        "-r",
        "fixtures/mixed.pcap",
        "-w",
        &out_ng,
        "--format",
        "pcapng",
        "-c",
        "4",
        "tcp",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(capinfos(&out_ng)["File type"], "pcapng");
    assert_eq!(packets(&out_ng), 4);
}

#[test]
fn file_to_file_splits_by_size_and_by_packet_time() {
    let d = TempDir::new();
    // mixed.pcap: 25 packets, one a second from hh:mm:20. -G 5 splits by the packets' own
    // clock, into files named after the second each one starts at.
    let f = d.file("g-%S.pcap");
    let out = nscap(&["-r", "fixtures/mixed.pcap", "-w", &f, "-G", "5"]);
    assert!(out.status.success(), "{out:?}");
    let names = files(&d);
    assert_eq!(
        names,
        [
            "g-20.pcap",
            "g-25.pcap",
            "g-30.pcap",
            "g-35.pcap",
            "g-40.pcap"
        ],
        "{names:?}"
    );
    let counts: Vec<usize> = names.iter().map(|n| packets(&d.file(n))).collect();
    assert_eq!(counts, [5, 5, 5, 5, 5]);
    // With -C and -W as well, tcpdump numbers the files of each period, -W giving the width.
    let d = TempDir::new();
    let f = d.file("h-%S-");
    let out = nscap(&[
        "-r",
        "fixtures/mixed.pcap",
        "-w",
        &f,
        "-G",
        "10",
        "-C",
        "1k",
        "-W",
        "10",
    ]);
    assert!(out.status.success(), "{out:?}");
    let names = files(&d);
    assert_eq!(names, ["h-20-0", "h-30-0", "h-30-1", "h-40-0"], "{names:?}");
    let total: usize = names.iter().map(|n| packets(&d.file(n))).sum();
    assert_eq!(total, 25);
    let d = TempDir::new();
    let f = d.file("s.pcap");
    let out = nscap(&["-r", "fixtures/mixed.pcap", "-w", &f, "-b", "packets:10"]);
    assert!(out.status.success(), "{out:?}");
    let names = files(&d);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].starts_with("s_00001_") && names[2].starts_with("s_00003_"));
    let counts: Vec<usize> = names.iter().map(|n| packets(&d.file(n))).collect();
    assert_eq!(counts, [10, 10, 5]);
}

/// A tmpfs of 200 KiB, unmounted on drop.
struct SmallFs(TempDir);

impl SmallFs {
    fn new() -> SmallFs {
        let d = TempDir::new();
        sh(&format!(
            "mount -t tmpfs -o size=200k tmpfs {}",
            d.0.display()
        ));
        SmallFs(d)
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0 .0).status();
    }
}

#[test]
fn full_filesystem_ends_the_capture_naming_the_file() {
    let w = World::new();
    let fs = SmallFs::new();
    let f = fs.0.file("full");
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &f, "-C", "50k", "icmp"]);
    n.wait_for("listening on");
    let _ping = Proc::spawn(&w.peer.exec(&format!(
        "ping -q -i 0.002 -s 1000 {} >/dev/null",
        w.target_ip
    )));
    let (code, err) = n.finish(20);
    assert_eq!(code, Some(1), "{err:?}");
    let last = err.last().unwrap();
    let names = files(&fs.0);
    assert!(names.len() >= 3, "{names:?}");
    let failing = names
        .iter()
        .find(|n| {
            last == &format!(
                "nscap: cannot write {}: No space left on device",
                fs.0.file(n)
            )
        })
        .unwrap_or_else(|| panic!("{last:?} names none of {names:?}"));
    // Every file before the one that filled the disk is whole, and so is that one, cut back
    // to its last whole packet (or removed, when not even its header fitted).
    let mut on_disk = 0;
    for name in names.iter() {
        let out = Command::new("capinfos")
            .arg(fs.0.file(name))
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {out:?}");
        on_disk += packets(&fs.0.file(name));
    }
    let (written, refused) = written_and_refused(&err);
    // The count is over every file, and the line says so.
    let line = err.iter().find(|l| l.contains(" written to ")).unwrap();
    assert!(
        line.ends_with(&format!(" files, the last {}", fs.0.file(failing))),
        "{line}"
    );
    assert_eq!(on_disk, written, "{err:?}");
    assert_eq!(captured(&err), written + refused, "{err:?}");
}

/// The figures of the two lines that follow the statistics when the file system refused a
/// write: "N packets written to FILE", "M packets refused by the file system".
fn written_and_refused(err: &[String]) -> (usize, usize) {
    let num = |l: &str| l.split(' ').next().unwrap().parse::<usize>().unwrap();
    let written = err
        .iter()
        .find(|l| l.contains(" written to "))
        .unwrap_or_else(|| panic!("no written line in {err:?}"));
    let refused = err
        .iter()
        .find(|l| l.ends_with(" refused by the file system"))
        .unwrap_or_else(|| panic!("no refused line in {err:?}"));
    (num(written), num(refused))
}

/// A plain `-w FILE` that fills its file system: the file ends on its last whole packet
/// (capinfos reads it to the end; it used to end inside a record, "truncated packet data"),
/// the capture stops with one line naming the file, and the statistics say how many packets
/// the file holds and how many the file system refused, adding up to those captured.
#[test]
fn full_filesystem_leaves_a_whole_file_and_true_counts() {
    let w = World::new();
    let fs = SmallFs::new();
    let f = fs.0.file("full.pcap");
    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-w", &f, "icmp"]);
    n.wait_for("listening on");
    let _ping = Proc::spawn(&w.peer.exec(&format!(
        "ping -q -i 0.002 -s 1400 {} >/dev/null",
        w.target_ip
    )));
    let (code, err) = n.finish(20);
    assert_eq!(code, Some(1), "{err:?}");
    assert_eq!(
        err.last().unwrap(),
        &format!("nscap: cannot write {f}: No space left on device"),
        "{err:?}"
    );
    let out = Command::new("capinfos").arg(&f).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let (written, refused) = written_and_refused(&err);
    assert!(refused > 0, "{err:?}");
    assert_eq!(packets(&f), written, "{err:?}");
    assert_eq!(captured(&err), written + refused, "{err:?}");
}

/// The same with jumbo frames (30 000 bytes), which the writer does not copy but writes from
/// where they are: in pcap and in pcapng, the file still ends on a whole packet and the counts
/// add up.
#[test]
fn full_filesystem_with_large_packets_leaves_a_whole_file() {
    let w = World::new();
    sh(&format!(
        "ip -n {} link set eth0 mtu 60000 && ip -n {} link set {} mtu 60000",
        w.ns.name, w.peer.name, w.peer_if
    ));
    for format in ["pcap", "pcapng"] {
        let fs = SmallFs::new();
        let f = fs.0.file(&format!("jumbo.{format}"));
        let mut n = Nscap::spawn(&["-t", &w.ns.path(), "--format", format, "-w", &f, "icmp"]);
        n.wait_for("listening on");
        let _ping = Proc::spawn(&w.peer.exec(&format!(
            "ping -q -i 0.01 -s 30000 {} >/dev/null",
            w.target_ip
        )));
        let (code, err) = n.finish(20);
        assert_eq!(code, Some(1), "{format}: {err:?}");
        assert_eq!(
            err.last().unwrap(),
            &format!("nscap: cannot write {f}: No space left on device"),
            "{err:?}"
        );
        let out = Command::new("capinfos").arg(&f).output().unwrap();
        assert!(out.status.success(), "{format}: {out:?}");
        let (written, refused) = written_and_refused(&err);
        assert!(written > 0 && refused > 0, "{format}: {err:?}");
        assert_eq!(packets(&f), written, "{format}: {err:?}");
        assert_eq!(captured(&err), written + refused, "{format}: {err:?}");
        let sizes = tshark_fields(&f, &["frame.cap_len"]);
        assert!(sizes.iter().all(|s| s == "30042"), "{format}: {sizes:?}");
    }
}

#[test]
fn rotation_usage_errors_are_one_line() {
    for (args, word) in [
        (&["-t", "1", "-C", "1"][..], "-w FILE"),
        (&["-t", "1", "-w", "-", "-C", "1"], "-w FILE"),
        (&["-t", "1", "-w", "x", "-W", "2"], "-W needs"),
        (&["-t", "1", "-w", "x", "-C", "0"], "-C 0"),
        (&["-t", "1", "-w", "x", "-G", "0"], "-G 0"),
        (&["-t", "1", "-w", "x", "-b", "size:3"], "-b size"),
        (
            &["-t", "1", "-w", "x", "-b", "filesize:1", "-C", "1"],
            "-b and -C",
        ),
        (&["-t", "1", "-w", "x", "-a", "duration:x"], "-a duration:x"),
        (&["-t", "1", "-w", "x", "-a", "files:2"], "-a files"),
        (&["-r", "x", "-w", "y", "-a", "duration:2"], "-a duration"),
        (&["-t", "1", "-w", "x", "-z", "gzip"], "-z needs"),
    ] {
        let out = nscap(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(word), "{args:?}: {err}");
    }
}

/// A pcapng input that declares interfaces between packets and in a second section: the copy
/// holds every packet, each under the interface it came from.
#[test]
fn file_to_file_keeps_interfaces_declared_late() {
    let d = TempDir::new();
    let out = d.file("multi-copy.pcapng");
    let r = nscap(&["-r", "fixtures/multi.pcapng", "-w", &out]);
    assert!(r.status.success(), "{r:?}");
    // As nscap reads the input (fixtures/expected/multi.out). tshark 4.0 names the second
    // section's packets after the first section's interfaces, whose ids they reuse; in the
    // copy, one section, every interface has its own id.
    assert_eq!(
        tshark_fields(&out, &["frame.interface_name"]),
        ["eth0", "tun0", "any", "eth0", "wlan0", "eth1"]
    );
    assert_eq!(packets(&out), 6);
}

/// A namespace named `name` with an `eth0` up, its veth peer on the host up too, so that pings
/// from the host reach it.
fn spot(name: &str, subnet: u32) -> Netns {
    let ns = Netns::new(name);
    let host = format!("zv{}", random_hex(8));
    sh(&format!(
        "ip link add {host} type veth peer name eth0 netns {n} && \
         ip -n {n} addr add 10.231.{subnet}.2/24 dev eth0 && ip -n {n} link set eth0 up && \
         ip addr add 10.231.{subnet}.1/24 dev {host} && ip link set {host} up",
        n = ns.name
    ));
    ns
}

#[test]
fn relinquished_privileges_with_follow_keep_only_what_joining_needs() {
    let tag = format!("z{}", random_hex(4));
    let d = TempDir::new();
    sh(&format!("chmod 777 {}", d.0.display()));
    let f = d.file("zf.pcapng");
    let subnet = std::process::id() % 200 + 20;
    let first = spot(&tag, subnet);
    let pattern = format!("{tag}*");
    let mut n = Nscap::spawn(&["-t", &pattern, "--follow", "-w", &f, "-Z", "nobody", "icmp"]);
    n.wait_for("listening on 1 interface in 1 namespace");
    let pid = n.child.id();
    // Born after the drop: found by the scanner, entered by the hopper, as nobody.
    let second = spot(&tag, subnet + 1);
    n.wait_for(&format!("nscap: {}/eth0 joined", second.name));
    sh(&format!(
        "ping -q -c 3 -i 0.2 -W 1 10.231.{}.2 >/dev/null",
        subnet + 1
    ));
    let field = |s: &str, k: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}:")))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| panic!("no {k} in {s}"))
    };
    // CAP_SYS_ADMIN (21) and CAP_NET_RAW (13) for the hopper; CAP_SYS_PTRACE (19) and
    // CAP_DAC_READ_SEARCH (2) for the scanner; nothing for any other thread.
    let mut seen = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let t = t.unwrap().path();
        let comm = std::fs::read_to_string(t.join("comm")).unwrap();
        let s = std::fs::read_to_string(t.join("status")).unwrap();
        assert_eq!(field(&s, "Uid"), "65534 65534 65534 65534", "{s}");
        assert_eq!(field(&s, "Gid"), "65534 65534 65534 65534", "{s}");
        let want = match comm.trim_end() {
            "nscap-hop" => "0000000000202000",
            "nscap-scan" => "0000000000080004",
            _ => "0000000000000000",
        };
        assert_eq!(field(&s, "CapEff"), want, "{comm}: {s}");
        assert_eq!(field(&s, "CapPrm"), want, "{comm}: {s}");
        assert_eq!(field(&s, "CapAmb"), "0000000000000000", "{comm}: {s}");
        if want != "0000000000000000" || comm.trim_end() == "nscap" {
            assert_eq!(field(&s, "CapBnd"), want, "{comm}: {s}");
            assert_eq!(field(&s, "NoNewPrivs"), "1", "{comm}: {s}");
        }
        seen.push(comm.trim_end().to_string());
    }
    for name in ["nscap", "nscap-hop", "nscap-scan"] {
        assert!(seen.iter().any(|s| s == name), "{seen:?}");
    }
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter()
            .any(|l| l == &format!("{}/eth0: 6 packets captured", second.name)),
        "{err:?}"
    );
    assert_eq!(std::fs::metadata(&f).unwrap().uid(), 65534);
    let names = tshark_fields(&f, &["frame.interface_name"]);
    let joined = format!("{}/eth0", second.name);
    // Three echo requests and their replies.
    assert_eq!(
        names.iter().filter(|n| **n == joined).count(),
        6,
        "{names:?}"
    );
    drop(first);
}
