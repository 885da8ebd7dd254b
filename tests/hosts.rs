//! `-H HOST`: nscap on several hosts over ssh, merged into one capture here.
//!
//! Each "host" is a world's peer namespace with its own sshd (its own keys). The "laptop" is a
//! namespace of its own, joined to each host by a veth pair (10.78.N.0/24), where the local
//! nscap runs (`ip netns exec`) and ssh connects by TCP. The world's link in each host is
//! renamed `lan0`, so `-i lan0` means the same on every host; the world's ping crosses it.
//! The merged file is read back with tshark.
mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Hosts `h1`, `h2`… (aliases in one ssh_config), each pinging its world's target forever.
struct Hosts {
    hosts: Vec<(World, Sshd, Proc)>,
    laptop: Netns,
    dir: TempDir,
    config: String,
}

impl Hosts {
    fn new(n: usize) -> Hosts {
        let dir = TempDir::new();
        let laptop = Netns::new("nscl");
        let mut config = String::new();
        let mut hosts = Vec::new();
        for i in 1..=n {
            let w = World::new();
            let sshd = Sshd::in_peer(&w);
            // The world's subnet number, for the laptop's link to this host.
            let net = w.peer_ip.split('.').nth(2).unwrap().to_string();
            let (a, b) = (unique("vl"), unique("vl"));
            sh(&format!(
                "ip link add {a} netns {l} type veth peer name {b} netns {p} && \
                 ip -n {l} addr add 10.78.{net}.1/24 dev {a} && \
                 ip -n {p} addr add 10.78.{net}.2/24 dev {b} && \
                 ip -n {l} link set {a} up && ip -n {p} link set {b} up && \
                 ip -n {p} link set {v} down && ip -n {p} link set {v} name lan0 && \
                 ip -n {p} link set lan0 up",
                l = laptop.name,
                p = w.peer.name,
                v = w.peer_if
            ));
            config += &sshd.config_entry(&format!("h{i}"), &format!("10.78.{net}.2"));
            let ping = w.ping_forever();
            hosts.push((w, sshd, ping));
        }
        let path = dir.file("ssh_config");
        std::fs::write(&path, &config).unwrap();
        Hosts {
            hosts,
            laptop,
            dir,
            config: path,
        }
    }

    /// `-H h1 -H h2 … --ssh "ssh -F CONFIG" --nscap-path NSCAP -i lan0` and then `rest`.
    fn args(&self, rest: &[&str]) -> Vec<String> {
        let mut a = Vec::new();
        for i in 1..=self.hosts.len() {
            a.push("-H".to_string());
            a.push(format!("h{i}"));
        }
        a.push("--ssh".into());
        a.push(format!("ssh -F {}", self.config));
        a.push("--nscap-path".into());
        a.push(nscap_bin().into());
        a.extend(rest.iter().map(|s| s.to_string()));
        a
    }

    /// nscap on the laptop with `args`, in the background.
    fn spawn(&self, args: &[String]) -> Nscap {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        Nscap::spawn_under(&["ip", "netns", "exec", &self.laptop.name], &a)
    }

    /// nscap on the laptop with `args`, to its end.
    fn run(&self, args: &[String]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.laptop.name, nscap_bin()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// The nscap processes still running on any host (in any host's namespace).
    fn nscap_left(&self) -> Vec<i32> {
        self.hosts
            .iter()
            .flat_map(|(w, _, _)| pids_in(&w.peer.name, "nscap"))
            .collect()
    }

    fn wait_none_left(&self, what: &str) {
        wait_until(
            10,
            || format!("nscap still runs on a host {what}: {:?}", self.nscap_left()),
            || self.nscap_left().is_empty().then_some(()),
        );
        // Nor an ssh on the laptop.
        wait_until(
            10,
            || format!("ssh still runs on the laptop {what}"),
            || pids_in(&self.laptop.name, "ssh").is_empty().then_some(()),
        );
    }
}

impl Drop for Hosts {
    /// The sshds (with their sessions) go before their namespaces, which the worlds delete.
    fn drop(&mut self) {
        for (_, sshd, _) in self.hosts.iter_mut() {
            sshd.kill();
        }
    }
}

/// Per interface name: the ICMP echo sequence numbers of the requests, in file order.
fn echo_seqs(file: &str) -> BTreeMap<String, Vec<u32>> {
    let mut by: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for line in tshark_fields(
        file,
        &[
            "frame.interface_name",
            "icmp.type",
            "icmp.seq_le",
            "icmp.seq",
        ],
    ) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() == 4 && f[1] == "8" {
            by.entry(f[0].to_string())
                .or_default()
                .push(f[3].parse().unwrap());
        }
    }
    by
}

/// Two hosts into one pcapng: every echo each host saw is there, none missing in between,
/// interfaces named HOST/NAME/IFACE with the host in the description, in time order; Ctrl-C
/// ends it with statistics and leaves no nscap on either host.
#[test]
fn two_hosts_merge_into_one_time_ordered_file() {
    let h = Hosts::new(2);
    let out = h.dir.file("merged.pcapng");
    let mut n = h.spawn(&h.args(&["-i", "lan0", "-w", &out, "icmp"]));
    n.wait_for("listening on 2 hosts");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!h.nscap_left().is_empty(), "no nscap runs on the hosts");
    n.signal(libc::SIGINT);
    let (code, stderr) = n.finish(15);
    assert_eq!(code, Some(0), "{stderr:?}");
    h.wait_none_left("after Ctrl-C");

    let seqs = echo_seqs(&out);
    let names: BTreeSet<&str> = seqs.keys().map(|k| k.split('/').next().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["h1", "h2"]), "{seqs:?}");
    for (i, (w, _, _)) in h.hosts.iter().enumerate() {
        let name = format!("h{}/{}/lan0", i + 1, w.peer.name);
        let s = seqs
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} in {seqs:?}"));
        assert!(s.len() >= 10, "{name}: {s:?}");
        // Nothing lost on the way: the pings are 50 ms apart and each one is there.
        assert!(
            s.windows(2).all(|p| p[1] == p[0] + 1),
            "{name}: a gap in {s:?}"
        );
        // The statistics name each interface, with the counts its host's kernel gave.
        let total = tshark_fields(&out, &["frame.interface_name"])
            .iter()
            .filter(|n| **n == name)
            .count();
        let captured = format!("{name}: {total} packets captured");
        assert!(stderr.contains(&captured), "{captured} not in {stderr:?}");
        assert!(
            stderr.iter().any(|l| l.starts_with(&format!("{name}: "))
                && l.ends_with("received by filter")
                && !l.contains("unknown")),
            "{stderr:?}"
        );
    }
    let desc = tshark_fields(&out, &["frame.interface_description"]);
    assert!(desc.iter().any(|d| d.starts_with("host h1")), "{desc:?}");
    assert!(desc.iter().any(|d| d.starts_with("host h2")), "{desc:?}");
    let deltas = tshark_fields(&out, &["frame.time_delta"]);
    assert!(
        deltas.iter().all(|d| !d.starts_with('-')),
        "out of time order: {deltas:?}"
    );
    assert_eq!(capinfos(&out)["Strict time order"], "True");
}

/// Summaries of three hosts (two of them from --hosts-file), each line named by its host; `-c` ends the capture at exactly
/// that many packets, and no nscap is left behind.
#[test]
fn three_hosts_print_summaries_until_the_count() {
    let h = Hosts::new(3);
    // h2 and h3 from a hosts file.
    let list = h.dir.file("hosts");
    std::fs::write(&list, "# the others\nh2\n\n  h3  # last\n").unwrap();
    let mut args = h.args(&["--hosts-file", &list, "-i", "lan0", "-c", "30", "icmp"]);
    args.drain(2..6);
    assert_eq!(args[..2], ["-H", "h1"]);
    let out = h.run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 30, "{stdout}");
    for i in 1..=3 {
        let host = format!(" h{i}/");
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&host) && l.contains("ICMP echo")),
            "no line of h{i}: {stdout}"
        );
    }
    h.wait_none_left("after -c");
}

/// A host whose connection drops mid-capture is named in one line; the other goes on, and the
/// file stays valid. A host that cannot be reached at all is told and passed over, unless
/// --strict.
#[test]
fn a_host_that_fails_leaves_the_others_going() {
    let mut h = Hosts::new(2);
    let out = h.dir.file("one-left.pcapng");
    let mut n = h.spawn(&h.args(&["-i", "lan0", "-w", &out, "icmp"]));
    n.wait_for("listening on 2 hosts");
    std::thread::sleep(Duration::from_millis(800));
    h.hosts[1].1.kill();
    n.wait_for("h2: ");
    let killed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    std::thread::sleep(Duration::from_millis(1500));
    n.signal(libc::SIGTERM);
    let (code, stderr) = n.finish(15);
    assert_eq!(code, Some(0), "{stderr:?}");
    assert!(
        stderr.iter().any(|l| l.starts_with("h2: failed")),
        "{stderr:?}"
    );
    h.wait_none_left("after one host dropped");
    // h1 went on after h2 dropped.
    let after: Vec<String> = tshark_fields(&out, &["frame.interface_name", "frame.time_epoch"])
        .into_iter()
        .filter(|l| {
            let (name, t) = l.split_once('\t').unwrap();
            name.starts_with("h1/") && t.parse::<f64>().unwrap() > killed_at + 0.5
        })
        .collect();
    assert!(after.len() >= 4, "h1 stopped with h2");
    assert!(capinfos(&out)["Number of packets"].parse::<u32>().unwrap() > 0);

    // A host nobody answers for: one line, the others captured; with --strict, the end.
    let mut config = std::fs::read_to_string(&h.config).unwrap();
    config += "Host gone\n  HostName 10.255.255.1\n  ConnectTimeout 1\n";
    std::fs::write(&h.config, config).unwrap();
    let mut args = h.args(&["-i", "lan0", "-c", "4", "icmp"]);
    args.splice(0..0, ["-H".to_string(), "gone".to_string()]);
    let run = |args: &[String]| h.run(args);
    let o = run(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("nscap: gone: ")),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 4);
    args.push("--strict".into());
    let o = run(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    // h2 is gone too by now: whichever failed first ends it.
    let last = stderr.lines().last().unwrap();
    assert!(
        last.ends_with("(--strict)") && (last.contains("gone") || last.contains("h2")),
        "{stderr}"
    );
    h.wait_none_left("after --strict");
}

/// Killed outright, the local nscap leaves nothing running on the hosts: its pipes close, and
/// each remote nscap sees its input end.
#[test]
fn sigkill_here_leaves_no_nscap_on_the_hosts() {
    let h = Hosts::new(2);
    let mut n = h.spawn(&h.args(&["-i", "lan0", "-w", "/dev/null"]));
    n.wait_for("listening on 2 hosts");
    assert_eq!(h.nscap_left().len(), 2);
    n.signal(libc::SIGKILL);
    let _ = n.finish(5);
    h.wait_none_left("after SIGKILL");
}

/// `-D` lists every host's interfaces under its name.
#[test]
fn list_interfaces_of_every_host() {
    let h = Hosts::new(2);
    let o = h.run(&h.args(&["-D"]));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for i in 0..h.hosts.len() {
        assert!(stdout.contains(&format!("h{}:\n", i + 1)), "{stdout}");
        assert!(stdout.contains("lan0"), "{stdout}");
    }
}

/// `list -H`: every host's namespaces in one table, the host first on each row; `node` in
/// JSON. Each "host" here sees the whole machine: both list the other's namespace too.
#[test]
fn list_every_host_in_one_table() {
    let h = Hosts::new(2);
    let with = |rest: &[&str]| {
        let mut a = vec!["list".to_string()];
        a.extend(h.args(rest));
        h.run(&a)
    };
    let o = with(&[]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("HOST  NAME "), "{table}");
    for i in 1..=2 {
        let peer = &h.hosts[i - 1].0.peer.name;
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("h{i} ")) && l.contains(peer.as_str())),
            "no row of h{i} for {peer}: {table}"
        );
    }
    let o = with(&["--json"]);
    assert!(o.status.success());
    let nodes: BTreeSet<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["node"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(nodes, BTreeSet::from(["h1".to_string(), "h2".to_string()]));
}

/// `--upload`: a host without nscap (its --nscap-path leads nowhere) runs the static build sent
/// over its ssh channel, from a private directory that is gone once the capture ends. A build
/// that would not run there is refused before anything is sent.
#[test]
fn upload_runs_the_static_build_and_removes_it() {
    let h = Hosts::new(1);
    let out = h.dir.file("uploaded.pcapng");
    let upload = format!("--upload={}", static_bin());
    // Both machine kinds' builds: the host (x86_64) is sent the one for its `uname -m`.
    let arm64 = format!("--upload={}", static_bin_for("aarch64"));
    let mut args = h.args(&[&arm64, &upload, "-i", "lan0", "-w", &out, "icmp"]);
    let at = args.iter().position(|a| a == "--nscap-path").unwrap();
    args[at + 1] = "/nonexistent/nscap".into();
    let mut n = h.spawn(&args);
    n.wait_for("listening on 1 host");
    let peer = &h.hosts[0].0.peer.name;
    let pids = pids_in(peer, "nscap");
    assert_eq!(pids.len(), 1, "{pids:?}");
    let exe = std::fs::read_link(format!("/proc/{}/exe", pids[0])).unwrap();
    // The x86_64 build, not the aarch64 one (which qemu's binfmt entry might run as well).
    assert_eq!(
        std::fs::read(&exe).unwrap(),
        std::fs::read(static_bin()).unwrap(),
        "{exe:?} is not the x86_64 build"
    );
    let dir = exe.parent().unwrap().to_path_buf();
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("nscap."),
        "{exe:?}"
    );
    std::thread::sleep(Duration::from_millis(800));
    n.signal(libc::SIGINT);
    let (code, stderr) = n.finish(15);
    assert_eq!(code, Some(0), "{stderr:?}");
    assert!(capinfos(&out)["Number of packets"].parse::<u32>().unwrap() > 0);
    h.wait_none_left("after an upload");
    wait_until(
        5,
        || format!("{dir:?} is still there"),
        || (!dir.exists()).then_some(()),
    );

    // A dynamically linked build is refused: it would not run on a host without libraries.
    let mut args = h.args(&["--upload=/bin/sh", "-i", "lan0", "-c", "1"]);
    args.retain(|a| a != "--nscap-path" && a != nscap_bin());
    let o = h.run(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/bin/sh is dynamically linked"), "{stderr}");

    // Builds for other machines only: the host says it is x86_64 and gets none, in one line.
    // (An ELF header for aarch64 with no program headers: static, as far as a header says.)
    let arm = h.dir.file("nscap-aarch64");
    let mut header = vec![0u8; 64];
    header[..6].copy_from_slice(b"\x7fELF\x02\x01");
    header[18] = 183;
    std::fs::write(&arm, header).unwrap();
    let mut args = h.args(&[&format!("--upload={arm}"), "-i", "lan0", "-c", "1"]);
    args.retain(|a| a != "--nscap-path" && a != nscap_bin());
    let o = h.run(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("h1: this host is x86_64; --upload has builds for aarch64 only"),
        "{stderr}"
    );
    // Two builds for one machine: refused before anything starts.
    let mut args = h.args(&[&upload, &upload, "-i", "lan0", "-c", "1"]);
    args.retain(|a| a != "--nscap-path" && a != nscap_bin());
    let o = h.run(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("two builds for x86_64"), "{stderr}");
}

/// Wireshark's interface list shows the hosts of `~/.config/nscap/hosts`: each host's
/// namespaces (`h1: netns NAME: lan0`) and one entry per host for every container; capturing
/// one of them runs over ssh like `-H`.
#[test]
fn wireshark_lists_and_captures_the_configured_hosts() {
    let h = Hosts::new(2);
    let xdg = h.dir.file("xdg");
    std::fs::create_dir_all(format!("{xdg}/nscap")).unwrap();
    std::fs::write(
        format!("{xdg}/nscap/hosts"),
        format!(
            "# Wireshark's hosts\nssh = ssh -F {}\nnscap-path = {}\nh1\nh2 # the second\n",
            h.config,
            nscap_bin()
        ),
    )
    .unwrap();
    let extcap = |args: &[&str]| {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &h.laptop.name, "env"])
            .arg(format!("XDG_CONFIG_HOME={xdg}"))
            .arg(nscap_bin())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let o = extcap(&["--extcap-interfaces"]).output().unwrap();
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for i in 1..=2 {
        let peer = &h.hosts[i - 1].0.peer.name;
        let value = format!("nscap:@h{i}:netns:{peer}:lan0");
        let line = format!("interface {{value={value}}}{{display=h{i}: netns {peer}: lan0}}");
        assert!(list.lines().any(|l| l == line), "no {line} in {list}");
        let all = format!(
            "{{value=nscap:@h{i}:*:all}}{{display=h{i}: every container (--all --follow)}}"
        );
        assert!(list.contains(&all), "no {all} in {list}");
    }
    let peer = &h.hosts[0].0.peer.name;
    let value = format!("nscap:@h1:netns:{peer}:lan0");
    let o = extcap(&["--extcap-dlts", "--extcap-interface", &value])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("dlt {number=147}"),
        "{o:?}"
    );
    let out = h.dir.file("wireshark.pcapng");
    let mut cap = Proc::start(extcap(&[
        "--capture",
        "--extcap-interface",
        &value,
        "--fifo",
        &out,
        "--extcap-capture-filter",
        "icmp",
    ]));
    wait_until(
        10,
        || "no packet from h1 through the extcap".into(),
        || {
            std::fs::metadata(&out)
                .is_ok_and(|m| m.len() > 600)
                .then_some(())
        },
    );
    // SAFETY: signalling our own child, as Wireshark stops a capture.
    unsafe { libc::kill(cap.pid(), libc::SIGTERM) };
    let status = cap.child.wait().unwrap();
    assert!(status.success(), "{status}");
    let names: BTreeSet<String> = tshark_fields(&out, &["frame.interface_name"])
        .into_iter()
        .collect();
    assert_eq!(names, BTreeSet::from([format!("h1/{peer}/lan0")]));
    h.wait_none_left("after the extcap capture");
}

/// What a host's shell is given: POSIX sh quoting (dash has no `$'…'`), a filter with a newline
/// and a target with a space and UTF-8 intact, and `--host-root` forwarded also when given
/// before the mode; `-D` takes `--all`. The "ssh" here records its command, or runs it with
/// /bin/sh (dash on Debian) in this namespace.
#[test]
fn the_hosts_shell_gets_posix_words() {
    let d = TempDir::new();
    let record = d.file("record");
    let said = d.file("said");
    std::fs::write(
        &record,
        format!(
            "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done\nshift 2\nprintf '%s' \"$1\" >{said}\nexit 3\n"
        ),
    )
    .unwrap();
    let run = d.file("run");
    std::fs::write(
        &run,
        "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done\nshift 2\nexec /bin/sh -c \"$1\"\n",
    )
    .unwrap();
    sh(&format!("chmod +x {record} {run}"));
    let o = nscap(&[
        "--host-root",
        "/x y",
        "-H",
        "fake",
        "--ssh",
        &record,
        "-t",
        "it's é",
        "-i",
        "eth0",
        "-f",
        "icmp\nor udp",
        "-w",
        "/dev/null",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let line = std::fs::read_to_string(&said).unwrap();
    assert_eq!(
        line,
        "nscap --remote-stream --target 'it'\\''s é' --interface eth0 -f 'icmp\nor udp' --host-root '/x y'"
    );
    // dash reads them back whole: the target arrives as it was given.
    let o = nscap(&[
        "-H",
        "fake",
        "--ssh",
        &run,
        "--nscap-path",
        nscap_bin(),
        "-D",
        "-t",
        "no such 'é'",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("nscap: fake: no target 'no such 'é''"),
        "{stderr}"
    );
    let o = nscap(&["-H", "fake", "--ssh", &record, "-D", "--all"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&said).unwrap(), "nscap -D --all");

    // ssh's warnings are shown but are not the reason a host failed.
    let warn = d.file("warn");
    std::fs::write(
        &warn,
        "#!/bin/sh\necho \"Warning: Permanently added 'fake' to the list of known hosts.\" >&2\nexit 255\n",
    )
    .unwrap();
    sh(&format!("chmod +x {warn}"));
    let o = nscap(&["-H", "fake", "--ssh", &warn, "-w", "/dev/null"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let failed: Vec<&str> = stderr.lines().filter(|l| l.contains("failed")).collect();
    assert_eq!(failed.len(), 1, "{stderr}");
    assert!(
        failed[0].starts_with("nscap: fake: failed: ssh exit status 255"),
        "{stderr}"
    );
}
