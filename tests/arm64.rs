//! The aarch64 static binary of `scripts/static.sh aarch64`, run on this x86_64 machine by
//! qemu-user: each command names qemu-aarch64-static explicitly, so no binfmt registration is
//! needed (nor used). It must be a static ARM binary and behave as the x86_64 builds do:
//! `--version`, `-r` on every fixture case, `-D` on the host and in a namespace.
//! scripts/test.sh builds it before the tests; run alone, this test builds it (minutes from
//! cold, cached under target/static-aarch64 afterwards).
mod common;
use common::*;

use std::path::Path;
use std::process::Command;

const QEMU: &str = "qemu-aarch64-static";

/// The aarch64 nscap under qemu, with `args`.
fn arm(args: &[&str]) -> Command {
    let mut c = Command::new(QEMU);
    c.arg(static_bin_for("aarch64")).args(args);
    c
}

/// The same arguments to the native nscap of this test build.
fn native(args: &[&str]) -> Command {
    let mut c = Command::new(nscap_bin());
    c.args(args);
    c
}

fn out(mut c: Command) -> Out {
    c.stdin(std::process::Stdio::null());
    c.output().unwrap().into()
}

#[test]
fn aarch64_binary_is_static_arm() {
    let bin = static_bin_for("aarch64");
    let file = ok_stdout(Command::new("file").args(["-b", bin]));
    assert!(file.contains("ARM aarch64"), "{file}");
    assert!(
        file.contains("statically linked") || file.contains("static-pie linked"),
        "{file}"
    );
    assert!(!file.contains("dynamically linked"), "{file}");
    assert!(!file.contains("interpreter"), "{file}");
    let elf = ok_stdout(Command::new("readelf").args(["-h", "-d", "-l", bin]));
    assert!(
        elf.lines()
            .any(|l| l.trim_start().starts_with("Machine:") && l.contains("AArch64")),
        "not an AArch64 ELF:\n{elf}"
    );
    assert!(!elf.contains("NEEDED"), "shared libraries wanted:\n{elf}");
    assert!(
        !elf.contains("INTERP"),
        "a program interpreter wanted:\n{elf}"
    );
}

/// `--version`: the same lines as the x86_64 static build's (nscap's version, then the libpcap
/// both link in), the first naming this crate's version.
#[test]
fn aarch64_version_is_the_x86_64_builds() {
    let arm = out(arm(&["--version"]));
    assert!(arm.status.success(), "{arm:?}");
    let x86 = ok_stdout(Command::new(static_bin()).arg("--version"));
    let first = arm.stdout.lines().next().unwrap_or_default();
    assert_eq!(first, format!("nscap {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(Some(first), x86.lines().next());
    assert_eq!(arm.stdout, x86, "the libpcap line differs");
}

/// `-r`: every case of fixtures/TESTLIST (as tests/fixtures.rs runs them: TZ=UTC, from the top
/// of the tree) prints what the native build prints, stdout, stderr and exit status alike.
#[test]
fn aarch64_reads_every_fixture_as_the_native_build() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = std::fs::read_to_string(root.join("fixtures/TESTLIST")).unwrap();
    let cases: Vec<Vec<&str>> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(cases.len() >= 10, "TESTLIST has {} cases", cases.len());
    let mut differ = Vec::new();
    let mut printed = 0;
    for case in &cases {
        let capture = format!("fixtures/{}", case[0]);
        let mut args = vec!["-r", capture.as_str()];
        args.extend(&case[2..]);
        let run = |mut c: Command| {
            c.current_dir(root).env("TZ", "UTC");
            out(c)
        };
        let (a, n) = (run(arm(&args)), run(native(&args)));
        if a != n {
            differ.push(format!(
                "nscap {}\n  aarch64: {a:?}\n  native:  {n:?}",
                args.join(" ")
            ));
        }
        printed += n.stdout.lines().count();
    }
    assert!(printed > 100, "the fixtures printed only {printed} lines");
    assert!(
        differ.is_empty(),
        "{} of {} cases differ:\n{}",
        differ.len(),
        cases.len(),
        differ.join("\n")
    );
}

/// `-D` in the host's namespace (where `lo` is) and in a throwaway one entered by PID (its eth0
/// with its address): the native build's lines. qemu forwards no nsfs ioctl (NS_GET_NSTYPE
/// fails with ENOSYS there): nscap's fallback to nsfs's magic number is what this runs through.
#[test]
fn aarch64_lists_interfaces_as_the_native_build() {
    let host = out(arm(&["-D"]));
    assert!(host.status.success(), "{host:?}");
    // The host's other interfaces come and go with other tests' containers: lo's line only.
    let lo = |o: &Out| {
        o.stdout
            .lines()
            .find(|l| l.contains(".lo "))
            .map(str::to_string)
    };
    assert!(lo(&host).is_some(), "no lo listed: {host:?}");
    assert_eq!(lo(&host), lo(&out(native(&["-D"]))));

    let w = World::new();
    let pid = w.target_pid.to_string();
    let listed = out(arm(&["-t", &pid, "-D"]));
    assert!(listed.status.success(), "{listed:?}");
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.contains("eth0") && l.contains(&w.target_ip)),
        "{listed:?}"
    );
    assert_eq!(listed, out(native(&["-t", &pid, "-D"])));
    // What is not a namespace file is still refused under qemu (its nsfs check, not the ioctl).
    let refused = out(arm(&["-t", "/etc/hostname", "-D"]));
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("is not a namespace file"),
        "{refused:?}"
    );
    assert_eq!(refused, out(native(&["-t", "/etc/hostname", "-D"])));
    // A namespace file of another kind passes that check; setns(CLONE_NEWNET) refuses it.
    let uts = format!("/proc/{pid}/ns/uts");
    let refused = out(arm(&["-t", &uts, "-D"]));
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(
        refused.stdout.is_empty() && refused.stderr.contains(&uts),
        "{refused:?}"
    );
}
