//! tcpdump's flags and nscap's conventions, through the binary: -F, --count, -y/-L, -j/-J,
//! `help`, `man`, `completions`, `--version`, `list`'s COMMAND and JSON lines.
mod common;
use common::*;

use std::process::{Command, Stdio};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fixture(name: &str) -> String {
    format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// What tcpdump prints for the same file and filter: the count must agree.
fn tcpdump_count(file: &str, extra: &[&str]) -> String {
    let out = Command::new("tcpdump")
        .args(["-r", file, "--count"])
        .args(extra)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    text(&out.stdout)
}

#[test]
fn count_prints_only_the_number_as_tcpdump() {
    let f = fixture("dns.pcap");
    for extra in [&[][..], &["udp"], &["-c", "1"], &["port", "9"]] {
        let mut args = vec!["-r", &f, "--count"];
        args.extend_from_slice(extra);
        let out = nscap(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{extra:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), tcpdump_count(&f, extra), "{extra:?}");
        assert!(text(&out.stdout).ends_with("packets\n") || text(&out.stdout) == "1 packet\n");
    }
    // --count is about files, and prints nothing else.
    for args in [
        &["-t", "1", "--count"][..],
        &["-r", &f, "--count", "--json"],
        &["-r", &f, "--count", "--flows"],
    ] {
        let out = nscap(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("--count"), "{args:?}");
    }
}

#[test]
fn filter_file_with_comments() {
    let d = TempDir::new();
    let flt = d.file("filter");
    std::fs::write(
        &flt,
        "# DNS answers only\nudp   # not tcp\n  and src port 53\n",
    )
    .unwrap();
    let f = fixture("dns.pcap");
    let out = nscap(&["-r", &f, "-F", &flt, "--count"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        tcpdump_count(&f, &["udp and src port 53"])
    );
    let lines = nscap(&["-r", &f, "-F", &flt]);
    let want = nscap(&["-r", &f, "udp and src port 53"]);
    assert_eq!(lines.stdout, want.stdout);
    assert!(!lines.stdout.is_empty());
    // One filter at a time; a file that cannot be read is a failure naming it.
    let out = nscap(&["-r", &f, "-F", &flt, "tcp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("-F"), "{}", text(&out.stderr));
    let out = nscap(&["-r", &f, "-F", "/nonexistent/filter"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "nscap: cannot read filter file /nonexistent/filter: No such file or directory\n"
    );
}

/// Two veths in a namespace with no process in it: -L and -J name them as the namespace does.
#[test]
fn list_link_and_time_stamp_types_inside_the_target() {
    let ns = Netns::new("lty");
    sh(&format!(
        "ip -n {n} link add tya type veth peer name tyb && ip -n {n} link set tya up && \
         ip -n {n} link set tyb up",
        n = ns.name
    ));
    let out = nscap(&["-t", &ns.path(), "-L", "-i", "tya", "-i", "any"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Data link types for tya (use option -y to set):\n  EN10MB (Ethernet)\n  DOCSIS (DOCSIS)\n\
         Data link types for any (use option -y to set):\n  LINUX_SLL (Linux cooked v1)\n  LINUX_SLL2 (Linux cooked v2)\n"
    );
    let out = nscap(&["-t", &ns.path(), "--list-time-stamp-types", "-i", "tyb"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got = text(&out.stdout);
    assert!(
        got.starts_with("Time stamp types for tyb (use option -j to set):\n  host (Host)\n"),
        "{got}"
    );
    // The host's interfaces are not the target's.
    let out = nscap(&["-t", &ns.path(), "-L", "-i", "nope0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no interface 'nope0'"));
    for args in [
        &["-r", "x", "-L"][..],
        &["-r", "x", "-J"],
        &["-t", "1", "-L", "-D"],
        &["-t", "1", "-y", "NOPE"],
        &["-t", "1", "-j", "nope"],
        &["-r", "x", "-y", "EN10MB"],
    ] {
        let out = nscap(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr).lines().count(), 1, "{args:?}");
    }
}

/// -y picks the link type the packets come in; -j a time stamp type (warned about when the
/// device offers another, as tcpdump warns).
#[test]
fn chosen_link_and_time_stamp_types_capture() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("v1.pcap");
    let args = [
        "-t",
        &w.ns.path(),
        "-i",
        "any",
        "-y",
        "LINUX_SLL",
        "-j",
        "host",
        "-w",
        &f,
        "icmp",
    ];
    let mut n = Nscap::spawn(&args);
    n.wait_for("listening on");
    w.ping(2);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter()
            .any(|l| l.contains("link-type LINUX_SLL (Linux cooked v1)")),
        "{err:?}"
    );
    assert_eq!(capinfos(&f)["File encapsulation"], "linux-sll");
    assert_eq!(tshark_fields(&f, &["icmp.type"]).len(), 4);

    let out = nscap(&[
        "-t",
        &w.ns.path(),
        "-i",
        "eth0",
        "-y",
        "LINUX_SLL2",
        "-c",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("eth0 in") && text(&out.stderr).contains("-y"),
        "{}",
        text(&out.stderr)
    );

    let mut n = Nscap::spawn(&["-t", &w.ns.path(), "-i", "eth0", "-j", "adapter", "-c", "1"]);
    n.wait_for("listening on");
    w.ping(1);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(
        err.iter()
            .any(|l| l.starts_with("nscap: warning: ") && l.contains("'adapter' on eth0")),
        "{err:?}"
    );
}

#[test]
fn help_version_man_and_completions() {
    let out = nscap(&["help"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, nscap(&["--help"]).stdout);
    let out = nscap(&["help", "list"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, nscap(&["list", "--help"]).stdout);
    // extcap has its help too, and help on what does not exist is a usage error, not the
    // main help with exit 0.
    let out = nscap(&["extcap", "--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("install"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(nscap(&["help", "extcap"]).stdout, out.stdout);
    let out = nscap(&["help", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "nscap: no help on 'nosuch' (there is: exec, list, extcap, man, completions)\n"
    );
    let out = nscap(&["extcap"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );

    let v = text(&nscap(&["--version"]).stdout);
    let lines: Vec<&str> = v.lines().collect();
    assert_eq!(lines[0], concat!("nscap ", env!("CARGO_PKG_VERSION")));
    assert!(lines[1].starts_with("libpcap version 1."), "{v}");

    let man = nscap(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let roff = text(&man.stdout);
    assert!(roff.contains("\n.TH NSCAP 1 "), "{roff}");
    // groff renders it, with every flag.
    let mut groff = Command::new("groff")
        .args(["-man", "-Tascii", "-P", "-cbou"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut groff.stdin.take().unwrap(), &man.stdout).unwrap();
    let page = groff.wait_with_output().unwrap();
    assert!(page.status.success(), "{}", text(&page.stderr));
    let page = text(&page.stdout);
    assert!(page.starts_with("NSCAP(1)"), "{page}");
    for flag in [
        "--target",
        "-F",
        "--count",
        "--linktype",
        "--list-time-stamp-types",
    ] {
        assert!(page.contains(flag), "{flag}: {page}");
    }

    for shell in ["bash", "zsh", "fish"] {
        let out = nscap(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let c = text(&out.stdout);
        for word in [
            "target",
            "list-data-link-types",
            "time-stamp-type",
            "completions",
        ] {
            assert!(c.contains(word), "{shell}: {word}");
        }
    }
    let out = nscap(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1);
}

#[test]
fn list_has_command_and_json_lines() {
    let w = World::new();
    let inode = std::fs::metadata(format!("/proc/{}/ns/net", w.target_pid))
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .unwrap();
    let out = nscap(&["list", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let row = rows
        .iter()
        .find(|r| r["inode"] == inode)
        .expect("the world's row");
    // The lowest PID is the shell that started the target's sleep.
    let cmd = row["command"].as_str().unwrap();
    assert!(cmd.starts_with("sh -c "), "{cmd}");
    // Quoted as a shell would take it back: `sh -c 'sleep 600'`, not `sleep\032600`.
    assert!(cmd.contains(" '") && !cmd.contains("\\032"), "{cmd}");
    let table = text(&nscap(&["list", "-l"]).stdout);
    assert!(
        table.lines().next().unwrap().contains(" LOWEST  COMMAND "),
        "{table}"
    );
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("{inode} ")))
        .unwrap();
    assert!(line.contains(" sh -c "), "{line}");
    // The short table: the name users know, what it is, the lowest PID, interfaces but lo.
    let short = text(&nscap(&["list"]).stdout);
    assert_eq!(
        short
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "KIND", "ID", "PID", "INTERFACES"],
        "{short}"
    );
    let line = short
        .lines()
        .find(|l| l.starts_with(&format!("{} ", w.ns.name)))
        .unwrap_or_else(|| panic!("{short}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[1], "netns", "{line}");
    assert_eq!(words[2], "-", "{line}");
    assert!(words[3].parse::<u32>().is_ok(), "{line}");
    assert_eq!(
        &words[4..],
        ["eth0", &format!("{}/24", w.target_ip)],
        "{line}"
    );
}

/// bash completion asks nscap itself (`source <(COMPLETE=bash nscap)`): `-t` offers the
/// ip-netns names there are now, `-i` the interfaces of the target typed before it.
#[test]
fn completion_knows_the_host() {
    let w = World::new();
    let script = format!(
        r#"source <(COMPLETE=bash {bin})
comp() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9; COMPREPLY=(); _clap_complete_nscap nscap "${{COMP_WORDS[$COMP_CWORD]}}" "${{COMP_WORDS[$COMP_CWORD-1]}}"; echo "${{COMPREPLY[*]}}"; }}
comp nscap -t {prefix}
comp nscap -t netns:{prefix}
comp nscap -t {ns} -i ""
comp nscap -t {ns} -i e
"#,
        bin = nscap_bin(),
        prefix = &w.ns.name[..w.ns.name.len() - 1],
        ns = w.ns.name,
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(lines[0].split(' ').any(|c| c == w.ns.name), "{text}");
    assert!(
        lines[1]
            .split(' ')
            .any(|c| c == format!("netns:{}", w.ns.name)),
        "{text}"
    );
    let mut ifs: Vec<&str> = lines[2].split(' ').collect();
    ifs.sort();
    assert_eq!(ifs, ["any", "eth0", "lo"], "{text}");
    assert_eq!(lines[3], "eth0", "{text}");
}
