//! Remote capture through Wireshark's own sshdump: sshdump (as Wireshark runs it) → an sshd in
//! a namespace of its own (the "remote host") → `nscap … -w -` there, its pcap stream back into
//! sshdump's FIFO. Stopping sshdump, as Wireshark does, leaves no nscap behind.
mod common;
use common::*;

use std::process::{Command, Stdio};

const SSHDUMP: &str = "/usr/lib/x86_64-linux-gnu/wireshark/extcap/sshdump";

/// sshdump's command line, run in the world's target namespace, with `remote` as the remote
/// capture command and `fifo` as Wireshark's FIFO.
fn sshdump(sshd: &Sshd, w: &World, remote: &str, fifo: &str) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", &w.ns.name, SSHDUMP])
        .args(["--extcap-interface=sshdump", "--capture"])
        .args(["--remote-host", &w.peer_ip, "--remote-port", "2222"])
        .args(["--remote-username", "root", "--sshkey", &sshd.key])
        .args(["--remote-capture-command", remote, "--fifo", fifo])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Whether an nscap capturing in `path` still runs.
fn nscap_running(path: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", &format!("{} -t {path} ", nscap_bin())])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn sshdump_runs_nscap_remotely_and_stopping_it_leaves_nothing() {
    let w = World::new();
    let sshd = Sshd::in_peer(&w);
    let _ping = w.ping_forever();
    let d = TempDir::new();
    let path = w.ns.path();

    // A count: sshdump ends when nscap does, with the packets in its FIFO.
    let fifo = d.file("count.pcap");
    let remote = format!("{} -t {path} -i eth0 -c 10 -w - icmp", nscap_bin());
    let mut dump = Proc::start(sshdump(&sshd, &w, &remote, &fifo));
    let status = wait_until(
        20,
        || "sshdump did not end after -c 10".into(),
        || dump.child.try_wait().unwrap(),
    );
    assert!(status.success(), "{status}");
    assert_eq!(capinfos(&fifo)["Number of packets"], "10");

    // Stopped the way Wireshark stops it (SIGTERM), and killed outright: the remote nscap
    // ends as well, its output gone.
    for sig in [libc::SIGTERM, libc::SIGKILL] {
        let fifo = d.file(&format!("stop{sig}.pcap"));
        let remote = format!("{} -t {path} -i eth0 -w - icmp", nscap_bin());
        // A guard: killed, with its process group, if the test fails first.
        let mut dump = Proc::start(sshdump(&sshd, &w, &remote, &fifo));
        wait_until(
            10,
            || "no packets through sshdump".into(),
            || {
                std::fs::metadata(&fifo)
                    .is_ok_and(|m| m.len() > 200)
                    .then_some(())
            },
        );
        assert!(nscap_running(&path), "nscap is not running remotely");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(dump.pid(), sig) };
        let _ = dump.child.wait();
        wait_until(
            10,
            || format!("nscap still runs remotely after signal {sig} to sshdump"),
            || (!nscap_running(&path)).then_some(()),
        );
        // Its packets are readable (a killed sshdump may leave a last one cut short).
        let frames = Command::new("tshark")
            .args(["-r", &fifo, "-T", "fields", "-e", "frame.number"])
            .stderr(Stdio::null())
            .output()
            .unwrap();
        assert!(
            !frames.stdout.is_empty(),
            "{sig}: nothing readable in {fifo}"
        );
    }
}
