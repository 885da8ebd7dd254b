//! Wireshark's extcap calls, answered by nscap and driven by tshark itself: the interface
//! list (`tshark -D`) and a capture (`tshark -i ENTRY`) of real pings in a throwaway namespace.
mod common;
use common::*;

use std::path::PathBuf;
use std::process::Command;

/// Wireshark's (global) extcap folder, as tshark names it.
fn extcap_folder() -> PathBuf {
    let text = ok_stdout(Command::new("tshark").args(["-G", "folders"]));
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim() == "Extcap path")
        .map(|(_, v)| PathBuf::from(v.trim()))
        .unwrap_or_else(|| panic!("tshark -G folders names no extcap folder:\n{text}"))
}

/// A link to the nscap under test in Wireshark's extcap folder, under a name of this test's
/// own (tshark reads only that folder, and a real installation may be there too); removed on
/// drop.
struct Installed(PathBuf);

impl Installed {
    fn new() -> Installed {
        let link = extcap_folder().join(unique("nscap-t"));
        std::os::unix::fs::symlink(nscap_bin(), &link).unwrap();
        Installed(link)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn entry(w: &World) -> String {
    format!("nscap:netns:{}:eth0", w.ns.name)
}

#[test]
fn install_links_the_binary_into_a_folder() {
    let d = TempDir::new();
    let dir = d.file("extcap");
    let out = nscap(&["extcap", "install", "--dir", &dir]);
    assert!(out.status.success(), "{out:?}");
    let link = PathBuf::from(&dir).join("nscap");
    let to = std::fs::read_link(&link).unwrap();
    assert_eq!(
        to,
        std::fs::canonicalize(nscap_bin()).unwrap(),
        "{}",
        link.display()
    );
    // Again: the link is replaced, not refused.
    assert!(nscap(&["extcap", "install", "--dir", &dir])
        .status
        .success());
    // Something else under that name is not ours to remove.
    std::fs::remove_file(&link).unwrap();
    std::fs::write(&link, "x").unwrap();
    let out = nscap(&["extcap", "install", "--dir", &dir]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a link"));
}

#[test]
fn every_namespace_interface_is_an_entry_with_config_and_link_type() {
    let w = World::new();
    let out = nscap(&["--extcap-interfaces", "--extcap-version=4.0"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("extcap {version="), "{text}");
    let want = format!(
        "interface {{value={}}}{{display=netns {}: eth0}}",
        entry(&w),
        w.ns.name
    );
    assert!(text.lines().any(|l| l == want), "{want} not in\n{text}");

    let out = nscap(&["--extcap-dlts", "--extcap-interface", &entry(&w)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim_end(),
        "dlt {number=1}{name=EN10MB}{display=Ethernet}",
        "{out:?}"
    );

    let out = nscap(&["--extcap-config", "--extcap-interface", &entry(&w)]);
    let text = String::from_utf8_lossy(&out.stdout);
    for call in ["--snaplen", "--no-promiscuous", "--all-interfaces"] {
        assert!(text.contains(&format!("{{call={call}}}")), "{text}");
    }

    // Filter checks: silence is valid, a line on stdout is the complaint.
    let ok = nscap(&[
        "--extcap-interface",
        &entry(&w),
        "--extcap-capture-filter",
        "icmp",
    ]);
    assert!(ok.status.success() && ok.stdout.is_empty(), "{ok:?}");
    let bad = nscap(&[
        "--extcap-interface",
        &entry(&w),
        "--extcap-capture-filter",
        "icmp and",
    ]);
    assert!(bad.status.success() && !bad.stdout.is_empty(), "{bad:?}");

    let gone = nscap(&[
        "--extcap-dlts",
        "--extcap-interface",
        "nscap:netns:no-such-ns-x:eth0",
    ]);
    assert_eq!(gone.status.code(), Some(1), "{gone:?}");
    let err = String::from_utf8_lossy(&gone.stderr);
    assert!(
        err.starts_with("nscap: ") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn tshark_lists_and_captures_through_nscap() {
    let w = World::new();
    let _link = Installed::new();

    let list = ok_stdout(Command::new("tshark").arg("-D"));
    let want = format!("{} (netns {}: eth0)", entry(&w), w.ns.name);
    assert!(
        list.lines().any(|l| l.ends_with(&want)),
        "{want} not in\n{list}"
    );

    let d = TempDir::new();
    let f = d.file("extcap.pcapng");
    let _pings = w.ping_forever();
    // Bounded: a capture that never starts must fail this test, not hang the run.
    let out: Out = Command::new("timeout")
        .args([
            "60",
            "tshark",
            "-i",
            &entry(&w),
            "-f",
            "icmp",
            "-a",
            "duration:3",
            "-w",
            &f,
        ])
        .output()
        .unwrap()
        .into();
    assert!(out.status.success(), "{out:?}");
    // Anything the extcap program wrote on stderr would show here as an error.
    assert!(!out.stderr.contains("Error by extcap pipe"), "{out:?}");
    let types = tshark_fields(&f, &["icmp.type"]);
    assert!(types.iter().filter(|t| *t == "8").count() >= 3, "{types:?}");
    assert!(
        types.iter().all(|t| t == "8" || t == "0"),
        "filter not applied: {types:?}"
    );
    let info = ok_stdout(Command::new("capinfos").arg(&f));
    assert!(info.contains("Name = eth0"), "{info}");
    assert!(
        info.contains(&format!("/run/netns/{}", w.ns.name)),
        "{info}"
    );
}

/// dumpcap opens its end of the FIFO and blocks until the extcap program opens the other: a
/// capture call that fails first must still wake it, or Wireshark waits for ever.
#[test]
fn a_failed_capture_call_wakes_the_fifo_reader() {
    let d = TempDir::new();
    let fifo = d.file("fifo");
    sh(&format!("mkfifo {fifo}"));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut bytes = Vec::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        })
    };
    let out = nscap(&[
        "--capture",
        "--extcap-interface",
        "nscap:netns:no-such-ns-x:eth0",
        "--fifo",
        &fifo,
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-ns-x") && err.lines().count() == 1,
        "{err}"
    );
    wait_until(
        5,
        || "the FIFO's reader still waits for a writer".to_string(),
        || reader.is_finished().then_some(()),
    );
    assert!(reader.join().unwrap().is_empty());
}

/// An interface whose name has a backslash or non-ASCII bytes is listed escaped (`\092`,
/// `\195\169`), and the value Wireshark hands back finds it: the escaped name was taken
/// literally, and every later call failed with "No such device".
#[test]
fn escaped_interface_names_are_found_again() {
    let ns = Netns::new("nsxe");
    sh(&format!(
        "ip -n {n} link add 'b\\x' type veth peer name 'cé' && ip -n {n} link set 'b\\x' up && ip -n {n} link set 'cé' up",
        n = ns.name
    ));
    let out = nscap(&["--extcap-interfaces"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for (listed, raw) in [("b\\092x", "b\\x"), ("c\\195\\169", "cé")] {
        let value = format!("nscap:netns:{}:{listed}", ns.name);
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("interface {{value={value}}}"))),
            "{value} not in\n{text}"
        );
        let out = nscap(&["--extcap-dlts", "--extcap-interface", &value]);
        assert!(out.status.success(), "{raw}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            "dlt {number=1}{name=EN10MB}{display=Ethernet}"
        );
    }
}
