//! Capture-only mode (`nscap extcap install --privileged`): a copy that root and one group may
//! run, with file capabilities; run by a member of the group, it captures for that user and
//! does nothing else with its capabilities. Run as a real unprivileged user (useradd, runuser).
mod common;
use common::*;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::Duration;

fn packets(file: &str) -> usize {
    capinfos(file)["Number of packets"].parse().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The file's `security.capability` attribute: VFS_CAP_REVISION_2, effective, the permitted set.
fn file_caps(path: &str) -> Option<(u32, u64)> {
    let c = std::ffi::CString::new(path).unwrap();
    let mut v = [0u8; 24];
    // SAFETY: getxattr(2) into a buffer of its length.
    let n = unsafe {
        libc::getxattr(
            c.as_ptr(),
            c"security.capability".as_ptr(),
            v.as_mut_ptr().cast(),
            v.len(),
        )
    };
    (n == 20).then(|| {
        let word = |i: usize| u32::from_le_bytes(v[i..i + 4].try_into().unwrap());
        (word(0), u64::from(word(4)) | u64::from(word(12)) << 32)
    })
}

#[test]
fn the_privileged_copy_captures_for_its_group_and_nothing_more() {
    let inst = Install::new();
    // The copy: root's, the group's to run, nobody else's; the capabilities capture needs.
    let m = std::fs::metadata(&inst.copy).unwrap();
    assert_eq!(m.uid(), 0);
    assert_eq!(m.mode() & 0o7777, 0o750);
    let gid = sh(&format!("getent group {} | cut -d: -f3", inst.group));
    assert_eq!(m.gid().to_string(), gid.trim());
    // sys_admin (21), net_raw (13), net_admin (12), sys_ptrace (19), dac_read_search (2).
    let want: u64 = 1 << 21 | 1 << 13 | 1 << 12 | 1 << 19 | 1 << 2;
    assert_eq!(file_caps(&inst.copy), Some((0x0200_0001, want)));
    assert_eq!(
        std::fs::read_link(format!("{}/nscap", inst.extcap)).unwrap(),
        std::path::PathBuf::from(&inst.copy)
    );

    let w = World::new();
    let _ping = w.ping_forever();
    // A capture as the member: the file is the member's; while it runs, no thread of it holds
    // a capability, and every one has no_new_privs.
    let out = format!("{}/a.pcap", inst.home);
    let cap = inst
        .run_as(&inst.member, &[], &["-t", &w.ns.path(), "-w", &out, "icmp"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = wait_until(
        10,
        || "the privileged nscap did not start".into(),
        || {
            let p = sh(&format!(
                "pgrep -u {} -f '{}' | head -1",
                inst.member, inst.copy
            ));
            let p = p.trim().to_string();
            // Started, and past its drop: the file exists once the sinks are made.
            (!p.is_empty() && std::path::Path::new(&out).exists()).then_some(p)
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let tasks = sh(&format!(
        "for t in /proc/{pid}/task/*; do grep -E '^(CapPrm|CapEff|NoNewPrivs):' $t/status | tr '\\n' ' '; echo; done"
    ));
    let threads: Vec<&str> = tasks.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(threads.len() >= 2, "{tasks}");
    for t in &threads {
        assert!(
            t.contains("CapPrm:\t0000000000000000")
                && t.contains("CapEff:\t0000000000000000")
                && t.contains("NoNewPrivs:\t1"),
            "{tasks}"
        );
    }
    sh(&format!("kill -INT {pid}"));
    let done = cap.wait_with_output().unwrap();
    assert!(done.status.success(), "{done:?}");
    assert!(text(&done.stderr).contains("packets captured"), "{done:?}");
    let f = std::fs::metadata(&out).unwrap();
    let uid = sh(&format!("id -u {}", inst.member));
    assert_eq!(f.uid().to_string(), uid.trim());
    assert!(packets(&out) > 0);

    // What would run or read for the member with more than the member's rights.
    let secret = inst.dir.file("secret.pcap");
    std::fs::copy("fixtures/multi.pcapng", &secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let locked = inst.dir.file("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    let t = w.ns.path();
    let rot = format!("{}/r.pcap", inst.home);
    let locked_out = format!("{locked}/x.pcap");
    for (args, said) in [
        (
            &["exec", "-t", "1", "-n", "true"][..],
            "exec (nsenter) is refused",
        ),
        (&["--host-root", "/", "list"], "--host-root is refused"),
        (&["-t", &t, "--host-root", "/"], "--host-root is refused"),
        (&["-t", &t, "-w", &rot, "-C", "1", "-z", "gzip"], "-z "),
        (&["-t", &t, "-Z", "nobody"], "-Z is refused"),
        (&["-t", &t, "--process"], "--process "),
        (&["-r", &secret], "Permission denied"),
        (
            &["-t", &t, "-c", "1", "-w", &locked_out],
            "Permission denied",
        ),
        (&["-t", &t, "-F", &secret], "Permission denied"),
    ] {
        let o = inst.member(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("nscap: ") && err.contains(said),
            "{args:?}: {err}"
        );
    }
    let o = inst
        .run_as(&inst.member, &[("NSCAP_DOCKER_ROOT", "/tmp")], &["list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("NSCAP_DOCKER_ROOT is refused"),
        "{o:?}"
    );
    // A link named nsenter to the copy is nsenter, refused too.
    let link = format!("{}/nsenter", inst.home);
    std::os::unix::fs::symlink(&inst.copy, &link).unwrap();
    let o = Command::new("runuser")
        .args(["-u", &inst.member, "--", &link, "-t", "1", "-n", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("exec (nsenter) is refused"),
        "{o:?}"
    );

    // A namespace path the member names is looked up with the member's rights, and opened only
    // once it is known to be a namespace: a root-only file is "permission denied" (not "not a
    // namespace file", which told it exists), a root-only FIFO is not opened (it would wait);
    // a file the member can see but not read is only named as not a namespace.
    let fifo_path = format!("{locked}/fifo");
    sh(&format!("mkfifo {fifo_path}"));
    let hidden = format!("{locked}/hidden");
    std::fs::write(&hidden, "x").unwrap();
    for p in [hidden.as_str(), &fifo_path, &format!("{locked}/none")] {
        let o = inst.member(&["-t", p, "-D"]);
        let err = text(&o.stderr);
        assert_eq!(err, format!("nscap: {p}: permission denied\n"), "{p}");
    }
    let o = inst.member(&["-t", &secret, "-D"]);
    assert_eq!(
        text(&o.stderr),
        format!("nscap: {secret} is not a namespace file\n")
    );
    // An interface name must be one the namespace has: libpcap's own devices are refused, one
    // of which (D-Bus's unixexec transport) starts a program.
    let marker = inst.dir.file("ran");
    let script = inst.dir.file("x.sh");
    std::fs::write(&script, format!("#!/bin/sh\ntouch {marker}\n")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sneaky = format!(
        "nscap:netns:{}:dbus\\058//unixexec\\058path={script}",
        w.ns.name
    );
    for extra in [&["--extcap-dlts"][..], &["--extcap-capture-filter", "tcp"]] {
        let mut args = vec!["--extcap-interface", &sneaky];
        args.extend_from_slice(extra);
        let o = inst.member(&args);
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        assert!(
            text(&o.stderr).contains("no interface 'dbus://unixexec"),
            "{o:?}"
        );
    }
    assert!(!std::path::Path::new(&marker).exists(), "the program ran");

    // Outside the group, the kernel refuses to run it at all.
    let o = inst.run_as(&inst.outsider, &[], &["-D"]).output().unwrap();
    assert!(!o.status.success(), "{o:?}");
    assert!(text(&o.stderr).contains("Permission denied"), "{o:?}");

    // Wireshark's calls: the interface list, then a capture into its FIFO (a file here).
    let o = inst.member(&["--extcap-interfaces"]);
    assert!(o.status.success(), "{o:?}");
    let value = format!("nscap:netns:{}:eth0", w.ns.name);
    assert!(
        text(&o.stdout).contains(&format!("{{value={value}}}")),
        "{o:?}"
    );
    let fifo = format!("{}/fifo.pcap", inst.home);
    let cap = inst
        .run_as(
            &inst.member,
            &[],
            &[
                "--capture",
                "--extcap-interface",
                &value,
                "--fifo",
                &fifo,
                "--extcap-capture-filter",
                "icmp",
            ],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Running once packets reach the file; Wireshark then stops it with SIGTERM.
    wait_until(
        10,
        || "no packets through the extcap capture".into(),
        || {
            // tshark reads what is there, a last record cut short or not.
            let o = Command::new("tshark")
                .args(["-r", &fifo, "-T", "fields", "-e", "frame.number"])
                .output()
                .ok()?;
            (!o.stdout.is_empty()).then_some(())
        },
    );
    sh(&format!(
        "pkill -TERM -u {} -f -- '--fifo {fifo}'",
        inst.member
    ));
    let done = cap.wait_with_output().unwrap();
    assert!(done.status.success(), "{done:?}");
    assert!(packets(&fifo) > 0);
    let uid = sh(&format!("id -u {}", inst.member));
    assert_eq!(
        std::fs::metadata(&fifo).unwrap().uid().to_string(),
        uid.trim()
    );
}

/// `--uninstall` takes the copy and its link away; `--privileged` needs root.
#[test]
fn the_privileged_copy_is_removed_and_needs_root_to_install() {
    let inst = Install::new();
    let o = inst.member(&["extcap", "install", "--privileged", "--dir", &inst.home]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(text(&o.stderr).contains("run it as root"), "{o:?}");
    let lib = inst.dir.file("lib");
    let out = nscap(&[
        "extcap",
        "install",
        "--privileged",
        "--uninstall",
        "--privileged-dir",
        &lib,
        "--dir",
        &inst.extcap,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(!std::path::Path::new(&inst.copy).exists());
    assert!(std::fs::symlink_metadata(format!("{}/nscap", inst.extcap)).is_err());
    // A group that does not exist is named.
    let out = nscap(&[
        "extcap",
        "install",
        "--privileged",
        "--group",
        "nscap-no-such-group",
        "--privileged-dir",
        &lib,
        "--dir",
        &inst.extcap,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no group 'nscap-no-such-group'"),
        "{out:?}"
    );
}
