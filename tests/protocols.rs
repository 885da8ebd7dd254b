//! The protocols container networks carry (tunnels, MPLS, 802.1ad, HTTP, DNS record types and
//! DNS over TCP, NFLOG) and LLDP, line for line against the installed `tcpdump -n` on the fixtures that
//! hold them, whole and cut by short snapshot lengths.
mod common;
use common::ok_stdout;

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn lines(cmd: &str, args: &[&str]) -> Vec<String> {
    ok_stdout(Command::new(cmd).args(args).env("TZ", "UTC"))
        .lines()
        .map(String::from)
        .collect()
}

/// Absolute sequence numbers on both sides, when nscap takes tcpdump's `-S`.
fn seq_flag() -> Vec<&'static str> {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/http.pcap");
    let ok = Command::new(env!("CARGO_BIN_EXE_nscap"))
        .args(["-S", "-r"])
        .arg(&f)
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        vec!["-S"]
    } else {
        vec![]
    }
}

fn compare(file: &str, flags: &[&str]) {
    let mut ours_args = seq_flag();
    ours_args.extend_from_slice(flags);
    ours_args.extend_from_slice(&["-r", file]);
    let mut theirs_args = vec!["-n", "-S"];
    theirs_args.extend_from_slice(flags);
    theirs_args.extend_from_slice(&["-r", file]);
    let ours = lines(env!("CARGO_BIN_EXE_nscap"), &ours_args);
    let theirs = lines("tcpdump", &theirs_args);
    assert_eq!(ours, theirs, "nscap {ours_args:?} differs from tcpdump");
}

const CAPTURES: [&str; 7] = [
    "tunnels.pcap",
    "http.pcap",
    "dns-types.pcap",
    "nflog.pcap",
    "lldp.pcap",
    "dns.pcap",
    "vlan.pcap",
];

#[test]
fn tunnels_http_dns_and_nflog_match_tcpdump() {
    if !have("tcpdump") {
        eprintln!("tcpdump not installed: comparison skipped");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for c in CAPTURES {
        let f = dir.join(c);
        let f = f.to_str().unwrap();
        for flags in [
            &[][..],
            &["-e"],
            &["-q"],
            &["-q", "-e"],
            &["-tt"],
            &["-v"],
            &["-vv"],
            &["-x"],
            &["-X"],
            &["-e", "-x"],
        ] {
            compare(f, flags);
        }
    }
}

#[test]
fn cut_tunnels_http_and_dns_match_tcpdump() {
    if !have("tcpdump") || !have("editcap") {
        eprintln!("tcpdump or editcap not installed: comparison skipped");
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("protocols");
    std::fs::create_dir_all(&out).unwrap();
    for c in CAPTURES {
        // Every header of every layer is cut by one of these somewhere.
        for snap in [
            14, 16, 18, 20, 40, 50, 58, 62, 64, 70, 72, 76, 82, 84, 90, 96, 104, 110, 120,
        ] {
            let cut = out.join(format!("{snap}-{c}"));
            let st = Command::new("editcap")
                .args(["-F", "pcap", "-s", &snap.to_string()])
                .arg(dir.join(c))
                .arg(&cut)
                .status()
                .unwrap();
            assert!(st.success());
            compare(cut.to_str().unwrap(), &[]);
            // Where the dump starts tells how tcpdump's printer gave up on the cut header.
            compare(cut.to_str().unwrap(), &["-X"]);
            // -v and -vv print what was read before the cut (DNS answers, LLDP TLVs).
            compare(cut.to_str().unwrap(), &["-vv"]);
            compare(cut.to_str().unwrap(), &["-e"]);
        }
    }
}
