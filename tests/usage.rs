//! A command line that is wrong or contradicts itself is a usage error: exit status 2 and one
//! line on stderr, as the README promises. Failures while running stay status 1.

use std::process::{Command, Output, Stdio};

fn nscap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nscap"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for (args, needle) in [
        (&["-t", "1", "-c", "0"][..], "-c 0"),
        (&["-t", "1", "-B", "0"], "-B 0"),
        // libpcap caps it at 262144; a larger value was announced in the file header.
        (&["-t", "1", "-s", "4294967295"], "at most 262144"),
        (&["-t", ""], "empty target"),
        (&["-r", "x", "-t", "1"], "-t and -r"),
        (&["-t", "1", "--format", "pcap"], "--format"),
        (&["-t", "1", "-f", "tcp", "udp"], "-f"),
        (&["-t", "1", "-w", "-", "--json"], "--json"),
        (&["-r", "x", "-D"], "-D"),
        (&["-t", "1", "--pid-tree"], "--pid-tree"),
        (&["-r", "x", "--comm", "curl"], "--pid and --comm"),
        (&["-t", "1", "--pid", "x"], "--pid"),
        (&["-r", "x", "--", "true"], "-- COMMAND"),
        (
            &["-t", "1", "--comm", "a-name-of-16-bytes"],
            "1 to 15 bytes",
        ),
        (&["-t", "1", "-t", "2", "--", "true"], "-- COMMAND"),
        (&["-t", "1", "--pid", "1", "--", "true"], "-- COMMAND"),
        // clap's own complaints were status 2 already: they stay so.
        (&["-t"], "-t"),
        (&["list", "--nope"], "--nope"),
    ] {
        let out = nscap(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("nscap: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    for args in [&["--help"][..], &["--version"], &["list", "--help"]] {
        let out = nscap(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn failures_while_running_exit_1() {
    let out = nscap(&["-r", "/nonexistent/x.pcap"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "nscap: cannot read /nonexistent/x.pcap: No such file or directory\n"
    );
}
