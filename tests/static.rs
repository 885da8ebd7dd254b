//! The static binary of scripts/static.sh: fully static, and it captures like the dynamic one.
//! scripts/test.sh builds it before the tests; run alone, this test builds it (minutes from cold,
//! cached under target/static afterwards).
mod common;
use common::*;

use std::process::Command;
use std::sync::OnceLock;

#[test]
fn static_binary_has_no_dynamic_loader() {
    let bin = static_bin();
    let file = ok_stdout(Command::new("file").args(["-b", bin]));
    // Rust's musl target links static-pie: static, yet loaded at a random address.
    assert!(
        file.contains("statically linked") || file.contains("static-pie linked"),
        "{file}"
    );
    assert!(!file.contains("dynamically linked"), "{file}");
    assert!(!file.contains("interpreter"), "{file}");
    let elf = ok_stdout(Command::new("readelf").args(["-d", "-l", bin]));
    assert!(!elf.contains("NEEDED"), "shared libraries wanted:\n{elf}");
    assert!(
        !elf.contains("INTERP"),
        "a program interpreter wanted:\n{elf}"
    );
}

#[test]
fn static_binary_lists_and_captures_in_a_namespace() {
    let bin = static_bin();
    let w = World::new();
    let pid = w.target_pid.to_string();

    let out: Out = Command::new(bin)
        .args(["-t", &pid, "-D"])
        .output()
        .unwrap()
        .into();
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("eth0") && l.contains(&w.target_ip)),
        "{out:?}"
    );

    // -w - to a pipe, as a node-debug session streams it back. The pings go on until six
    // have been captured; `timeout` bounds a capture that never ends.
    let pinger = w.ping_forever();
    let out = Command::new("timeout")
        .args([
            "20", bin, "-t", &pid, "-i", "eth0", "-c", "6", "-w", "-", "icmp",
        ])
        .output()
        .unwrap();
    drop(pinger);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = TempDir::new();
    let f = d.file("static.pcap");
    std::fs::write(&f, &out.stdout).unwrap();
    let info = capinfos(&f);
    assert_eq!(info["File type"], "pcap", "{info:?}");
    assert_eq!(info["Number of packets"], "6", "{info:?}");
    let types = tshark_fields(&f, &["icmp.type"]);
    assert!(types.iter().any(|t| t == "8"), "{types:?}");
}

/// The static binary in a container whose image holds busybox and nothing else (no libc, no
/// libpcap, no loader), with the host's PIDs as a node-debug pod sees them: `-D` and `-w -`
/// work there, where the dynamic binary cannot even start.
#[test]
fn static_binary_runs_in_an_empty_container() {
    let bin = static_bin();
    let engine = Engine::Docker;
    engine.ready();
    static BARE: OnceLock<()> = OnceLock::new();
    BARE.get_or_init(|| {
        let d = TempDir::new();
        let root = d.file("rootfs");
        sh(&format!(
            "mkdir -p {root}/bin && cp /bin/busybox {root}/bin/ && \
             tar -C {root} -c . | {} import - nscap-test-bare >/dev/null",
            engine.cli()
        ));
    });
    let w = World::new();
    let pid = w.target_pid.to_string();
    let mount = format!("{bin}:/nscap:ro");
    let run = |args: &[&str]| {
        let mut cmd = engine.command();
        cmd.args(["run", "--rm", "--pid=host", "--network=none", "-v", &mount]);
        cmd.args(privileged_options());
        cmd.arg("nscap-test-bare").arg("/nscap").args(args);
        cmd.output().unwrap()
    };
    let out = run(&["-t", &pid, "-D"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && listed.contains(&w.target_ip),
        "{listed} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pinger = w.ping_forever();
    let out = run(&["-t", &pid, "-i", "eth0", "-c", "4", "-w", "-", "icmp"]);
    drop(pinger);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = TempDir::new();
    let f = d.file("bare.pcap");
    std::fs::write(&f, &out.stdout).unwrap();
    assert_eq!(capinfos(&f)["Number of packets"], "4");
}

/// The static binary installed as the capture-only copy captures for a group member, with the
/// file owned by the member, and refuses exec.
#[test]
fn static_binary_as_the_privileged_copy() {
    let inst = Install::from(static_bin());
    let w = World::new();
    let _ping = w.ping_forever();
    let out = format!("{}/s.pcap", inst.home);
    let run = inst.member(&["-t", &w.ns.path(), "-c", "3", "-w", &out, "icmp"]);
    assert!(run.status.success(), "{run:?}");
    let uid = sh(&format!("id -u {}", inst.member));
    let meta = std::fs::metadata(&out).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta).to_string(),
        uid.trim()
    );
    assert_eq!(capinfos(&out)["Number of packets"], "3");
    let run = inst.member(&["exec", "-t", "1", "-n", "true"]);
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("exec (nsenter) is refused"),
        "{run:?}"
    );
}
