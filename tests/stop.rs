//! Ending a capture, however it ends: killed, hung up on, told to stop while its reader is
//! stuck, or left by its reader at once. What was captured reaches the file; a signal is obeyed
//! within a second whatever the output does.
mod common;
use common::*;

use std::fs::File;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Echo requests from the peer every `interval` seconds, `size` bytes each, until dropped.
fn pings(w: &World, interval: &str, size: u32) -> Proc {
    Proc::spawn(
        &w.peer
            .exec(&format!("ping -q -i {interval} -s {size} {}", w.target_ip)),
    )
}

/// Waits for nscap to end: exit 0, and its statistics said; its stderr comes back.
fn stops_with_statistics(n: Nscap) -> Vec<String> {
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter().any(|l| l.ends_with("packets captured")),
        "{err:?}"
    );
    err
}

/// The figure of the statistics' "N packets captured" line.
fn captured(err: &[String]) -> u64 {
    err.iter()
        .find_map(|l| l.strip_suffix(" packets captured"))
        .unwrap_or_else(|| panic!("no statistics in {err:?}"))
        .parse()
        .unwrap()
}

fn packets_in(file: &str) -> u64 {
    // capinfos exits non-zero (and the helper panics) on a file cut inside a record.
    capinfos(file)["Number of packets"].parse().unwrap()
}

/// SIGKILL at several moments: the file always ends on a whole record and holds what was
/// captured more than a second before the kill (the pings answered meanwhile, with a margin
/// for the ping's own start). Before packets were written out on time as well as on size, a
/// killed capture of this traffic left the 24-byte header and nothing else.
#[test]
fn killed_capture_keeps_all_but_the_last_second() {
    let w = World::new();
    let d = TempDir::new();
    let pid = w.target_pid.to_string();
    let _ping = pings(&w, "0.01", 56);
    std::thread::sleep(Duration::from_millis(300));
    for (round, ms) in [1300u64, 1750, 2600, 3100].into_iter().enumerate() {
        let f = d.file(&format!("killed{round}.pcap"));
        let mut n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-w", &f]);
        n.wait_for("listening on");
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(ms));
        n.signal(libc::SIGKILL);
        let alive = start.elapsed().as_secs_f64();
        let (code, _) = n.finish(5);
        assert_eq!(code, None, "killed by a signal");
        // 100 requests and 100 replies a second; half of that counts as kept.
        let expected = ((alive - 1.0) * 100.0) as u64;
        let got = packets_in(&f);
        assert!(
            got >= expected,
            "killed after {alive:.2}s: {got} packets in the file, expected at least {expected}"
        );
    }
}

/// SIGHUP (a closed terminal, a lost ssh session) and SIGQUIT end a capture as SIGINT does:
/// everything written, statistics, exit 0.
#[test]
fn hangup_and_quit_stop_like_interrupt() {
    let w = World::new();
    let d = TempDir::new();
    let pid = w.target_pid.to_string();
    for (sig, name) in [(libc::SIGHUP, "hup"), (libc::SIGQUIT, "quit")] {
        let f = d.file(&format!("{name}.pcap"));
        let mut n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-w", &f]);
        n.wait_for("listening on");
        w.ping(5);
        n.signal(sig);
        let (code, err) = n.finish(5);
        assert_eq!(code, Some(0), "{name}: {err:?}");
        // Ten pings, each answered, and whatever ARP said meanwhile.
        let captured = captured(&err);
        assert!(captured >= 10, "{name}: {err:?}");
        assert_eq!(packets_in(&f), captured, "{name}");
    }
}

/// A stop signal that comes again within two seconds is the same request: `timeout(1)`
/// forwards SIGINT to nscap and then to its whole process group, so nscap gets it twice (as it
/// does from systemd, Docker and Kubernetes, which repeat SIGTERM). It used to die of the
/// second one, exit 130 with no statistics; now it stops as after one, under load, and every
/// file of the rotation reads to its end.
#[test]
fn a_repeated_stop_signal_is_one_request() {
    let w = World::new();
    let d = TempDir::new();
    let pid = w.target_pid.to_string();
    let _flood = pings(&w, "0.002", 1200);
    let f = d.file("twice.pcap");
    let mut n = Nscap::spawn_under(
        &["timeout", "20"],
        &[
            "-t", &pid, "-i", "eth0", "-s", "200", "-C", "1", "-W", "3", "-w", &f,
        ],
    );
    n.wait_for("listening on");
    std::thread::sleep(Duration::from_millis(1500));
    // The timeout process: it passes the signal on, twice.
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(captured(&err) > 100, "{err:?}");
    // Each file of the ring reads to its end.
    let mut files = 0;
    for e in std::fs::read_dir(&d.0).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("twice.pcap")
        {
            packets_in(p.to_str().unwrap());
            files += 1;
        }
    }
    assert!(files >= 1);

    // The same sent straight to nscap while it is still stopping: its output is a pipe
    // nobody reads, so the stop waits out the grace period for it, and the second signal
    // comes in the middle of that wait.
    let (n, _reader) = stalled_stream(&pid);
    n.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    n.signal(libc::SIGTERM);
    let _ = stops_with_statistics(n);
}

/// `-w -` into a pipe we hold but never read, under the flood of the caller's `pings`: the
/// capture, and the pipe to keep open. 1 MB/s of pings fills the pipe's 64 KiB well within the
/// 1.5 s waited here.
fn stalled_stream(pid: &str) -> (Nscap, Option<std::process::ChildStdout>) {
    let mut n = Nscap::spawn_with(&["-t", pid, "-i", "eth0", "-w", "-"], Stdio::piped());
    n.wait_for("listening on");
    let reader = n.child.stdout.take();
    std::thread::sleep(Duration::from_millis(1500));
    (n, reader)
}

/// Output that nobody reads (`nscap -w - | sleep 30`, a FIFO whose reader stalls) must not keep
/// nscap from obeying a signal: it gives up the blocked write, prints its statistics and exits
/// 0, promptly. Without that it lived on until the reader died.
#[test]
fn signal_ends_capture_while_the_output_is_blocked() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let _flood = pings(&w, "0.002", 1200);
    let (n, _reader) = stalled_stream(&pid);
    n.signal(libc::SIGINT);
    let start = Instant::now();
    let (code, err) = n.finish(5);
    let took = start.elapsed();
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter().any(|l| l.ends_with("packets captured")),
        "{err:?}"
    );
    assert!(
        err.iter().any(|l| l.contains("standard output")),
        "says the output was given up: {err:?}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn signal_ends_capture_into_a_stalled_fifo() {
    let w = World::new();
    let d = TempDir::new();
    let fifo = d.file("fifo");
    sh(&format!("mkfifo {fifo}"));
    let pid = w.target_pid.to_string();
    let _flood = pings(&w, "0.002", 1200);
    // Open the reading end first (nscap's open would wait for one), then never read.
    let opener = {
        let fifo = fifo.clone();
        std::thread::spawn(move || File::open(fifo).unwrap())
    };
    let mut n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-w", &fifo]);
    let _reader = opener.join().unwrap();
    n.wait_for("listening on");
    std::thread::sleep(Duration::from_millis(1500));
    n.signal(libc::SIGTERM);
    let err = stops_with_statistics(n);
    assert!(
        err.iter().any(|l| l.contains(&fifo)),
        "names the FIFO: {err:?}"
    );
}

/// `nscap -w - | true`: the reader is gone before the file header is written. As quiet as a
/// reader that leaves later: no message, exit 0.
#[test]
fn reader_gone_before_the_first_byte_is_quiet() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let mut child = std::process::Command::new(nscap_bin())
        .args(["-t", &pid, "-i", "eth0", "-w", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("Broken pipe") && !err.contains("nscap: cannot"),
        "{err}"
    );
}

/// `nscap … 2>&1 | sleep`: standard error shares the pipe nobody reads. The statistics must not
/// hold nscap up after a stop signal either.
#[test]
fn signal_ends_capture_when_stderr_is_blocked_too() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let _flood = pings(&w, "0.002", 1200);
    let (read, write) = nix::unistd::pipe().unwrap();
    let mut child = std::process::Command::new(nscap_bin())
        .args(["-t", &pid, "-i", "eth0", "-w", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::from(write.try_clone().unwrap()))
        .stderr(Stdio::from(write))
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_until(
        5,
        || "nscap did not exit with its stderr blocked".to_string(),
        || child.try_wait().unwrap(),
    );
    drop(read);
    assert_eq!(status.code(), Some(0));
}

/// `-w FIFO` with no reader yet: nscap waits in open(2), and Ctrl-C must still end it (std
/// retries an open interrupted by a handled signal, so no handler may be installed yet).
#[test]
fn signal_ends_the_wait_for_a_fifo_reader() {
    let w = World::new();
    let d = TempDir::new();
    let fifo = d.file("fifo");
    sh(&format!("mkfifo {fifo}"));
    let pid = w.target_pid.to_string();
    let n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-w", &fifo]);
    std::thread::sleep(Duration::from_millis(1000));
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(5);
    assert_ne!(code, Some(1), "{err:?}");
}

/// A reader that reads slowly, then a stop: nscap gives up mid-stream, but what the reader got
/// is the stream as written, cut once — never a piece of it written twice (which made readers
/// call the file corrupt).
#[test]
fn a_stream_given_up_is_cut_not_repeated() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let d = TempDir::new();
    let got = d.file("got.pcap");
    let _flood = pings(&w, "0.002", 1200);
    let mut n = Nscap::spawn_with(&["-t", &pid, "-i", "eth0", "-w", "-"], Stdio::piped());
    n.wait_for("listening on");
    let mut out = n.child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut all = Vec::new();
        let mut chunk = [0u8; 2048];
        // Slower than the flood: the pipe stays full, with room now and then.
        while let Ok(k) = out.read(&mut chunk) {
            if k == 0 {
                break;
            }
            all.extend_from_slice(&chunk[..k]);
            std::thread::sleep(Duration::from_millis(5));
        }
        all
    });
    std::thread::sleep(Duration::from_millis(1500));
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(0), "{err:?}");
    std::fs::write(&got, reader.join().unwrap()).unwrap();
    let check = std::process::Command::new("capinfos")
        .args(["-c", &got])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr);
    assert!(
        !said.contains("corrupt") && !said.contains("damaged"),
        "{said}"
    );
}

/// `-w FILE --print | head`: the pipe closes, nscap ends quietly, and the file is finished all
/// the same: its last packets and its statistics blocks are written.
#[test]
fn a_closed_pipe_still_finishes_the_file() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("kept.pcapng");
    let pid = w.target_pid.to_string();
    let _ping = pings(&w, "0.01", 56);
    let mut n = Nscap::spawn_with(
        &[
            "-t", &pid, "-i", "eth0", "--format", "pcapng", "-w", &f, "--print",
        ],
        Stdio::piped(),
    );
    n.wait_for("listening on");
    std::thread::sleep(Duration::from_millis(800));
    drop(n.child.stdout.take());
    let (code, err) = n.finish(5);
    assert_eq!(code, Some(0), "{err:?}");
    let bytes = std::fs::read(&f).unwrap();
    let last_len = u32::from_ne_bytes(bytes[bytes.len() - 4..].try_into().unwrap()) as usize;
    let last = &bytes[bytes.len() - last_len..];
    assert_eq!(
        u32::from_ne_bytes(last[..4].try_into().unwrap()),
        5,
        "the file ends with an interface statistics block"
    );
    assert!(packets_in(&f) > 0);
}

/// A stop that comes the moment nscap says it listens: the handle it opened is still read to
/// the end and closed with its counters. The capture thread is given its handles once the
/// output is ready, and an order still queued when the stop came was dropped with the handle
/// (about one stop in three on a busy machine said "received by filter: unknown").
#[test]
fn a_stop_as_soon_as_it_listens_keeps_the_counters() {
    let w = World::new();
    let d = TempDir::new();
    let _ping = w.ping_forever();
    let pid = w.target_pid.to_string();
    for i in 0..20 {
        let f = d.file(&format!("at-once-{i}.pcap"));
        let mut n = Nscap::spawn(&["-t", &pid, "-i", "eth0", "-w", &f]);
        n.wait_for("listening on");
        n.signal(libc::SIGINT);
        let err = stops_with_statistics(n);
        assert!(
            err.iter()
                .any(|l| l.ends_with("packets received by filter")),
            "run {i}: {err:?}"
        );
        assert!(
            !err.iter().any(|l| l.contains("unknown")),
            "run {i}: {err:?}"
        );
        packets_in(&f);
    }
}
