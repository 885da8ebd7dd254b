//! Targets in real Docker and Podman containers: names, ID prefixes, `nscap list` against the
//! engines' own `inspect`, a capture across two containers, `nscap exec` against `docker
//! exec`, and nscap run from a privileged container with the host's root mounted.
//!
//! The engines must work here (scripts/setup.sh installs them, scripts/runtimes.sh starts
//! containerd and dockerd): a test whose engine cannot start fails with the reason.
mod common;
use common::*;

use std::process::Output;

use serde_json::Value;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// nscap that must succeed: its stdout.
fn nscap_ok(args: &[&str]) -> String {
    let out = nscap(args);
    assert!(
        out.status.success(),
        "nscap {args:?}: {}",
        text(&out.stderr).trim()
    );
    text(&out.stdout)
}

/// `-D` of `target` lists eth0 with the address the engine gave the container.
fn lists_its_address(target: &str, c: &Container) {
    let out = nscap_ok(&["-t", target, "-D"]);
    let addr = c.address();
    assert!(
        out.lines()
            .any(|l| l.contains(".eth0 ") && l.contains(&addr)),
        "-t {target}: no eth0 with {addr} in {out}"
    );
}

/// A capture by `target` while the container pings its gateway: nscap names the container in
/// its listening line, sees the pings in the container's namespace, and the file describes the
/// interface by the init PID the engine reports.
fn captures_its_pings(target: &str, c: &Container, label: &str) {
    let gateway = c.inspect("{{.NetworkSettings.Gateway}}");
    let tmp = TempDir::new();
    let file = tmp.file("pings.pcapng");
    let mut n = Nscap::spawn(&[
        "-t", target, "-c", "2", "-w", &file, "--format", "pcapng", "icmp",
    ]);
    n.wait_for("listening on");
    let listening = n.stderr.last().unwrap().clone();
    assert!(listening.contains(label), "{listening}");
    c.exec(&["ping", "-c", "3", "-i", "0.2", &gateway]);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(err.iter().any(|l| l == "2 packets captured"), "{err:?}");
    let want = format!("pid {} (sleep)", c.pid);
    let described = tshark_fields(&file, &["frame.interface_description"]);
    assert_eq!(described.len(), 2, "{described:?}");
    for d in described {
        assert!(d.contains(&want) && d.contains(&c.name), "{d}");
    }
}

/// The first `n` hex digits of the ID, in a form nscap reads as an ID prefix: a prefix of
/// digits only would be a PID, so it takes `container:`.
fn id_prefix(c: &Container, n: usize) -> String {
    let p = &c.id[..n];
    if p.bytes().all(|b| b.is_ascii_digit()) {
        format!("container:{p}")
    } else {
        p.to_string()
    }
}

#[test]
fn docker_container_by_name_and_by_id_prefix() {
    let c = Container::start(Engine::Docker, "nsd", &[]);
    lists_its_address(&c.name, &c);
    lists_its_address(&format!("container:{}", c.name), &c);
    lists_its_address(&id_prefix(&c, 12), &c);
    lists_its_address(&format!("container:{}", &c.id[..6]), &c);
    lists_its_address(&c.pid.to_string(), &c);
    let label = format!("in docker {} ({})", c.name, &c.id[..12]);
    captures_its_pings(&c.name, &c, &label);
    captures_its_pings(&id_prefix(&c, 8), &c, &label);
}

#[test]
fn podman_container_by_name_and_by_id_prefix() {
    // Podman leaves NET_RAW out of its default capabilities: busybox's ping needs it.
    let c = Container::start(Engine::Podman, "nsp", &["--cap-add", "NET_RAW"]);
    lists_its_address(&c.name, &c);
    lists_its_address(&id_prefix(&c, 12), &c);
    let label = format!("in podman {} ({})", c.name, &c.id[..12]);
    captures_its_pings(&c.name, &c, &label);
}

#[test]
fn containerd_task_by_its_id() {
    // Not a hex ID, and no name besides it: what `ctr run IMAGE web` makes.
    let c = CtrContainer::start("ctr-");
    let ino = std::fs::metadata(format!("/proc/{}/ns/net", c.pid))
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .unwrap();
    let rows = list_json(&[]);
    let r = row_of(&rows, &c.id);
    assert_eq!(r["container"]["runtime"], "containerd", "{r}");
    assert_eq!(r["inode"], ino, "{r}");
    for t in [c.id.clone(), format!("container:{}", c.id)] {
        let out = nscap_ok(&["-t", &t, "-D"]);
        assert!(out.contains(".lo "), "-t {t}: {out}");
        let mut n = Nscap::spawn(&["-t", &t, "-i", "lo", "-c", "1"]);
        n.wait_for("listening on");
        let line = n.stderr.last().unwrap();
        assert!(line.contains(&format!("in containerd {}", c.id)), "{line}");
    }
}

/// The daemons scripts/runtimes.sh starts must not inherit its lock: one that did held it for
/// as long as it lived, and the next caller (the next test binary) waited for ever.
#[test]
fn started_daemons_do_not_hold_the_start_up_lock() {
    Engine::Docker.ready();
    let lock = std::path::Path::new("/run/nscap-runtimes.lock");
    let mut holders = Vec::new();
    for proc in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(fds) = std::fs::read_dir(proc.path().join("fd")) else {
            continue;
        };
        // Only the daemons: another checkout's runtimes.sh (and its `docker info`) may hold
        // it for a moment on a shared machine.
        let comm = std::fs::read_to_string(proc.path().join("comm")).unwrap_or_default();
        if (comm.starts_with("dockerd") || comm.starts_with("containerd"))
            && fds
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|to| to == lock))
        {
            holders.push(comm);
        }
    }
    assert!(holders.is_empty(), "{} held by {holders:?}", lock.display());
    let out = std::process::Command::new("timeout")
        .args(["20", "sh"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/runtimes.sh"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn stopped_containers_are_not_running() {
    let d = Container::start(Engine::Docker, "nsk", &[]);
    let p = Container::start(Engine::Podman, "nsk", &[]);
    d.engine.ok(&["kill", &d.name]);
    p.engine.ok(&["kill", &p.name]);
    for c in [&d, &p] {
        let out: Output = nscap(&["-t", &c.name, "-D"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let want = format!(
            "nscap: {} {} ({}) is not running",
            c.engine.name(),
            c.name,
            &c.id[..12]
        );
        assert!(err.starts_with(&want), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// The row of `nscap list --json` holding the container with `id`.
fn row_of<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| {
            r["containers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == id)
        })
        .unwrap_or_else(|| panic!("no row with container {id}"))
}

/// What `list --json` says of `c` is what its engine's `inspect` says: runtime, ID, name,
/// init PID, eth0's address.
fn agrees_with_inspect(rows: &[Value], c: &Container) {
    let r = row_of(rows, &c.id);
    let ctr = &r["container"];
    assert_eq!(ctr["runtime"], c.engine.name(), "{r}");
    assert_eq!(ctr["id"], c.id.as_str(), "{r}");
    let name = c.inspect("{{.Name}}");
    assert_eq!(ctr["name"], name.trim_start_matches('/'), "{r}");
    assert!(
        r["pids"].as_array().unwrap().contains(&Value::from(c.pid)),
        "pid {} not in {r}",
        c.pid
    );
    assert_eq!(r["host"], false, "{r}");
    let eth0 = r["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "eth0")
        .unwrap_or_else(|| panic!("no eth0 in {r}"));
    assert!(
        eth0["addresses"]
            .as_array()
            .unwrap()
            .contains(&Value::from(c.address())),
        "{} not in {r}",
        c.address()
    );
    // The namespace is the one of the PID the engine reports.
    let ino = std::fs::metadata(format!("/proc/{}/ns/net", c.pid))
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .unwrap();
    assert_eq!(r["inode"], ino, "{r}");
}

fn list_json(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["list", "--json"];
    all.extend(args);
    json_lines(&nscap_ok(&all))
}

/// `list --json` prints JSON lines: one object per namespace and line.
fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn list_agrees_with_docker_and_podman_inspect() {
    let d = Container::start(Engine::Docker, "nsl", &[]);
    let p = Container::start(Engine::Podman, "nsl", &[]);
    let rows = list_json(&[]);
    agrees_with_inspect(&rows, &d);
    agrees_with_inspect(&rows, &p);
    let table = nscap_ok(&["list", "-l"]);
    for c in [&d, &p] {
        let cell = format!("{} {} {}", c.engine.name(), &c.id[..12], c.name);
        assert!(table.contains(&cell), "no '{cell}' in\n{table}");
    }
}

#[test]
fn capture_between_two_docker_containers_from_both_sides() {
    let a = Container::start(Engine::Docker, "nsa", &[]);
    let b = Container::start(Engine::Docker, "nsb", &[]);
    let tmp = TempDir::new();
    let file = tmp.file("two.pcapng");
    // 3 requests and 3 replies, each seen in both containers.
    let mut n = Nscap::spawn(&[
        "-t", &a.name, "-t", &b.name, "-w", &file, "-c", "12", "icmp",
    ]);
    n.wait_for("listening on 2 interfaces in 2 namespaces");
    let a_ip = a.inspect("{{.NetworkSettings.IPAddress}}");
    let b_ip = b.inspect("{{.NetworkSettings.IPAddress}}");
    b.exec(&["ping", "-c", "3", "-i", "0.2", &a_ip]);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(capinfos(&file)["File type"].contains("pcapng"));
    let lines = tshark_fields(
        &file,
        &[
            "frame.interface_description",
            "ip.src",
            "ip.dst",
            "icmp.type",
            "icmp.seq",
        ],
    );
    assert_eq!(lines.len(), 12, "{lines:?}");
    for (c, peer) in [(&a, &b_ip), (&b, &a_ip)] {
        let side: Vec<&String> = lines
            .iter()
            // Several targets: the description has the runtime, the name and the full ID.
            .filter(|l| l.contains(&format!("docker {} {}, ", c.name, c.id)))
            .collect();
        assert_eq!(side.len(), 6, "{} side: {lines:?}", c.name);
        for seq in 0..3 {
            for (src, dst, ty) in [(&b_ip, &a_ip, 8), (&a_ip, &b_ip, 0)] {
                let want = format!("\t{src}\t{dst}\t{ty}\t{seq}");
                assert!(
                    side.iter().any(|l| l.ends_with(&want)),
                    "{} side lacks {want:?} (peer {peer}): {side:?}",
                    c.name
                );
            }
        }
    }
}

#[test]
fn exec_sees_what_docker_exec_sees() {
    let c = Container::start(Engine::Docker, "nse", &[]);
    let enter = |cmd: &[&str]| {
        let mut args = vec!["exec", "-t", &c.name, "-a", "--"];
        args.extend(cmd);
        nscap_ok(&args).trim().to_string()
    };
    assert_eq!(enter(&["hostname"]), c.exec(&["hostname"]));
    assert_eq!(enter(&["ip", "addr"]), c.exec(&["ip", "addr"]));
    // Only the network namespace, with the host's own `cat`: the same interfaces.
    let names = |dev: &str| -> Vec<String> {
        dev.lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(|s| s.trim().to_string())
            .collect()
    };
    let ours = nscap_ok(&["exec", "-t", &c.name, "-n", "--", "cat", "/proc/net/dev"]);
    assert_eq!(names(&ours), names(&c.exec(&["cat", "/proc/net/dev"])));
    assert!(names(&ours).contains(&"eth0".to_string()), "{ours}");
}

/// A node-debug container as `kubectl debug node/N --profile=sysadmin` makes one: the host's
/// PID namespace, its root at /host, every capability; nscap mounted in.
fn debug_container(extra: &[&str]) -> Container {
    let bin = format!("{}:/nscap:ro", nscap_path().display());
    let privileged = privileged_options();
    let mut opts: Vec<&str> = privileged.iter().map(String::as_str).collect();
    opts.extend(["-v", "/:/host", "-v", &bin]);
    opts.extend(extra);
    Container::start(Engine::Docker, "nsh", &opts)
}

#[test]
fn host_root_from_a_privileged_container() {
    let d = Container::start(Engine::Docker, "nst", &[]);
    let p = Container::start(Engine::Podman, "nst", &[]);
    // The debug container's own cgroup namespace hides the other containers' cgroup parents
    // (their paths start with /..) with --cgroupns=private.
    for cgroupns in ["host", "private"] {
        let cgroupns = format!("--cgroupns={cgroupns}");
        let dbg = debug_container(&["--pid=host", &cgroupns]);
        let rows: Vec<Value> = {
            let out = dbg.exec(&["/nscap", "--host-root", "/host", "list", "--json"]);
            json_lines(&out)
        };
        agrees_with_inspect_from(&rows, &d, &cgroupns);
        agrees_with_inspect_from(&rows, &p, &cgroupns);
        for c in [&d, &p] {
            for t in [c.name.clone(), id_prefix(c, 12)] {
                let out = dbg.exec(&["/nscap", "--host-root", "/host", "-t", &t, "-D"]);
                assert!(
                    out.contains(&c.address()),
                    "{cgroupns} -t {t}: no {} in {out}",
                    c.address()
                );
            }
            // The environment variable and `list`'s own option do the same.
            let out = dbg.exec(&[
                "env",
                "NSCAP_HOST_ROOT=/host",
                "/nscap",
                "-t",
                &c.name,
                "-D",
            ]);
            assert!(out.contains(&c.address()), "{out}");
            let out = dbg.exec(&["/nscap", "list", "--host-root", "/host"]);
            assert!(out.contains(&c.name), "{out}");
        }
    }
    // Without the host's PID namespace the runtimes' PIDs mean nothing: refused, with the fix.
    let dbg = debug_container(&[]);
    let out = dbg
        .engine
        .command()
        .args([
            "exec",
            &dbg.name,
            "/nscap",
            "--host-root",
            "/host",
            "-t",
            &d.name,
            "-D",
        ])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--pid=host"), "{err}");
    // Without the host's root, the message says what to give.
    let out = dbg
        .engine
        .command()
        .args(["exec", &dbg.name, "/nscap", "-t", &d.name, "-D"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(err.contains("--host-root"), "{err}");
}

fn agrees_with_inspect_from(rows: &[Value], c: &Container, how: &str) {
    let r = row_of(rows, &c.id);
    assert_eq!(
        r["container"]["name"],
        c.name.as_str(),
        "{how}: {}",
        serde_json::to_string(r).unwrap()
    );
    assert!(
        r["pids"].as_array().unwrap().contains(&Value::from(c.pid)),
        "{how}: {r}"
    );
}
