//! Target resolution on real cgroup trees: each runtime's cgroup layout is built under a
//! test-unique parent, a target process is moved in through `cgroup.procs`, and the runtimes'
//! state and name files are written in their real formats to a temporary data root.
mod common;
use common::*;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nscap::targets::{locate_in, open, Located, Roots, TargetSpec};

/// Data roots in a temporary directory, in the runtimes' real on-disk formats.
struct Data {
    tmp: TempDir,
}

impl Data {
    fn new() -> Data {
        Data {
            tmp: TempDir::new(),
        }
    }

    fn roots(&self) -> Roots {
        Roots {
            docker: self.tmp.0.join("docker"),
            podman: self.tmp.0.join("containers-storage"),
            containerd: self.tmp.0.join("containerd"),
            pods: self.tmp.0.join("pods"),
            netns: "/run/netns".into(),
            host: None,
        }
    }

    /// The same roots as options of `nscap list`.
    fn list_args(&self) -> Vec<String> {
        let r = self.roots();
        let mut v = Vec::new();
        for (opt, p) in [
            ("--docker-root", r.docker),
            ("--podman-root", r.podman),
            ("--containerd-state", r.containerd),
            ("--pods-log-dir", r.pods),
        ] {
            v.push(opt.to_string());
            v.push(p.display().to_string());
        }
        v
    }

    /// `/var/lib/docker/containers/<id>/config.v2.json`, abridged from a real one.
    fn docker(&self, id: &str, name: &str, pid: i32) {
        let dir = self.roots().docker.join("containers").join(id);
        std::fs::create_dir_all(&dir).unwrap();
        let running = pid > 0;
        std::fs::write(
            dir.join("config.v2.json"),
            format!(
                r#"{{"StreamConfig":{{}},"State":{{"Running":{running},"Paused":false,"Restarting":false,"OOMKilled":false,"RemovalInProgress":false,"Dead":false,"Pid":{pid},"ExitCode":0,"Error":"","StartedAt":"2026-11-29T14:00:00.000000000Z","FinishedAt":"0001-01-01T00:00:00Z","Health":null}},"ID":"{id}","Created":"2026-11-29T14:00:00.000000000Z","Managed":false,"Path":"sleep","Args":["600"],"Config":{{"Hostname":"{short}","Image":"busybox"}},"Image":"sha256:{img}","Name":"/{name}","RestartCount":0,"Driver":"overlay2","Platform":"linux","MountLabel":"","ProcessLabel":"","AppArmorProfile":"docker-default","HostnamePath":"/var/lib/docker/containers/{id}/hostname"}}"#,
                short = &id[..12],
                img = "0".repeat(64),
            ),
        )
        .unwrap();
    }

    /// containers/storage's `overlay-containers/containers.json` (Podman, CRI-O).
    fn podman(&self, entries: &[(&str, &str)]) {
        let dir = self.roots().podman.join("overlay-containers");
        std::fs::create_dir_all(&dir).unwrap();
        let items: Vec<String> = entries
            .iter()
            .map(|(id, name)| {
                format!(
                    r#"{{"id":"{id}","names":["{name}"],"image":"{img}","layer":"{layer}","metadata":"{{\"image-name\":\"docker.io/library/alpine:latest\",\"name\":\"{name}\",\"created-at\":1795000000}}","created":"2026-11-29T14:00:00.0Z","flags":{{"MountLabel":"","ProcessLabel":""}}}}"#,
                    img = "1".repeat(64),
                    layer = "2".repeat(64),
                )
            })
            .collect();
        std::fs::write(
            dir.join("containers.json"),
            format!("[{}]", items.join(",")),
        )
        .unwrap();
    }

    /// containerd's `io.containerd.runtime.v2.task/<ns>/<id>/init.pid`.
    fn containerd(&self, ns: &str, id: &str, pid: i32) {
        let dir = self
            .roots()
            .containerd
            .join("io.containerd.runtime.v2.task")
            .join(ns)
            .join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("init.pid"), pid.to_string()).unwrap();
    }

    /// The kubelet's `/var/log/pods/<namespace>_<name>_<uid>/<container>/0.log`.
    fn pod(&self, ns: &str, name: &str, uid: &str) {
        let dir = self
            .roots()
            .pods
            .join(format!("{ns}_{name}_{uid}"))
            .join("app");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("0.log"), "").unwrap();
    }
}

fn container_id() -> String {
    random_hex(64)
}

/// The first `n` or more digits of `id` as a bare target: an all-digit word is a PID by the
/// grammar, so the prefix grows until it holds a letter.
fn bare(id: &str, n: usize) -> String {
    let end = (n..=id.len())
        .find(|&e| !id[..e].bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(id.len());
    id[..end].to_string()
}

fn pod_uid() -> String {
    let h = random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn netns_of(pid: i32) -> u64 {
    std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .unwrap()
        .ino()
}

/// A sleeping process in a network namespace of its own, started inside `<tree>/<rel>`.
fn contained(tree: &CgroupTree, rel: &str) -> Proc {
    let p = tree.spawn(rel, "unshare -n sleep 600");
    wait_ns_change(p.pid(), "net");
    p
}

/// A sleeping process inside `<tree>/<rel>` that joins `pid`'s network namespace (a pod's
/// second container).
fn joined(tree: &CgroupTree, rel: &str, pid: i32) -> Proc {
    let p = tree.spawn(rel, &format!("nsenter -t {pid} -n sleep 600"));
    wait_ns_change(p.pid(), "net");
    p
}

fn locate(s: &str, roots: &Roots) -> anyhow::Result<Located> {
    locate_in(&TargetSpec::parse(s)?, roots)
}

fn pid_of(s: &str, roots: &Roots) -> i32 {
    match locate(s, roots) {
        Ok(Located {
            spec: TargetSpec::Pid(p),
            ..
        }) => p,
        other => panic!("{s}: {other:?}"),
    }
}

fn err_of(s: &str, roots: &Roots) -> String {
    let e = format!("{:#}", locate(s, roots).expect_err(s));
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

fn list_json(data: &Data) -> Vec<serde_json::Value> {
    let mut args = vec!["list".to_string(), "--json".to_string()];
    args.extend(data.list_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = nscap(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // JSON lines: one object per line.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn row_of(rows: &[serde_json::Value], inode: u64) -> serde_json::Value {
    rows.iter()
        .find(|r| r["inode"] == inode)
        .unwrap_or_else(|| panic!("no row for {inode}"))
        .clone()
}

#[test]
fn pid_path_and_netns_forms_agree() {
    let w = World::new();
    let pid = w.target_pid;
    let inode = netns_of(pid);
    let name = &w.ns.name;
    for form in [
        pid.to_string(),
        format!("pid:{pid}"),
        format!("/proc/{pid}/ns/net"),
        format!("netns:{name}"),
        format!("/run/netns/{name}"),
        name.to_string(),
    ] {
        let t = nscap::targets::resolve(&TargetSpec::parse(&form).unwrap())
            .unwrap_or_else(|e| panic!("{form}: {e:#}"));
        assert_eq!(t.inode, inode, "{form}");
    }
    let l = locate(name, &Data::new().roots()).unwrap();
    assert_eq!(l.spec, TargetSpec::Path(Path::new("/run/netns").join(name)));
    assert_eq!(l.label, format!("/run/netns/{name}"));
}

#[test]
fn docker_systemd_scope_by_name_and_prefix_and_in_list() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let w = World::new();
    let id = container_id();
    let rel = format!("system.slice/docker-{id}.scope");
    tree.add(&rel, w.target_pid);
    let name = unique("web");
    data.docker(&id, &name, w.target_pid);
    let r = data.roots();

    assert_eq!(pid_of(&name, &r), w.target_pid);
    assert_eq!(pid_of(&format!("container:{name}"), &r), w.target_pid);
    assert_eq!(pid_of(&bare(&id, 12), &r), w.target_pid);
    assert_eq!(pid_of(&bare(&id, 12).to_uppercase(), &r), w.target_pid);
    assert_eq!(pid_of(&format!("container:{}", &id[..8]), &r), w.target_pid);
    let l = locate(&name, &r).unwrap();
    assert_eq!(l.label, format!("docker {name} ({})", &id[..12]));
    let t = open(l).unwrap();
    assert_eq!(t.inode, netns_of(w.target_pid));
    assert!(t.description().starts_with(&format!("docker {name} (")));

    let rows = list_json(&data);
    let row = row_of(&rows, netns_of(w.target_pid));
    assert_eq!(row["name"], w.ns.name.as_str());
    assert_eq!(row["host"], false);
    assert!(row["pids"]
        .as_array()
        .unwrap()
        .contains(&w.target_pid.into()));
    assert_eq!(row["container"]["runtime"], "docker");
    assert_eq!(row["container"]["id"], id.as_str());
    assert_eq!(row["container"]["name"], name.as_str());
    assert!(row["pod"].is_null());
    let ifs = row["interfaces"].as_array().unwrap();
    let eth0 = ifs.iter().find(|i| i["name"] == "eth0").expect("eth0");
    assert_eq!(eth0["up"], true);
    assert!(eth0["index"].as_u64().unwrap() > 1);
    assert!(eth0["addresses"]
        .as_array()
        .unwrap()
        .contains(&format!("{}/24", w.target_ip).into()));
    // The host's namespace is there and marked.
    assert!(rows.iter().any(|r| r["host"] == true));

    let mut args = vec!["list".to_string(), "-l".to_string()];
    args.extend(data.list_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = nscap(&args);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{} ", netns_of(w.target_pid))))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(&w.ns.name), "{line}");
    assert!(
        line.contains(&format!("docker {} {name}", &id[..12])),
        "{line}"
    );
    assert!(line.contains(&format!("eth0 {}/24", w.target_ip)), "{line}");
    assert!(text.lines().nth(1).unwrap().contains("* "), "{text}");
}

#[test]
fn docker_cgroupfs_on_a_v1_hierarchy() {
    let Some(tree) = CgroupTree::v1("pids").or_else(|| CgroupTree::v1("name=systemd")) else {
        eprintln!("no cgroup v1 hierarchy on this host: v1 lines are covered by unit tests only");
        return;
    };
    let data = Data::new();
    let id = container_id();
    let p = contained(&tree, &format!("docker/{id}"));
    let cg = std::fs::read_to_string(format!("/proc/{}/cgroup", p.pid())).unwrap();
    assert!(
        cg.contains(&format!(":{}", tree.cgroup_path(&format!("docker/{id}")))),
        "{cg}"
    );
    let r = data.roots();
    assert_eq!(pid_of(&bare(&id, 6), &r), p.pid());
    assert_eq!(
        locate(&bare(&id, 6), &r).unwrap().label,
        format!("docker {}", &id[..12])
    );
}

#[test]
fn containerd_pod_under_the_systemd_driver() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let uid = pod_uid();
    let pod_slice = format!(
        "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{}.slice",
        uid.replace('-', "_")
    );
    let (sandbox_id, app_id) = (container_id(), container_id());
    let sandbox = contained(
        &tree,
        &format!("{pod_slice}/cri-containerd-{sandbox_id}.scope"),
    );
    let app = joined(
        &tree,
        &format!("{pod_slice}/cri-containerd-{app_id}.scope"),
        sandbox.pid(),
    );
    data.containerd("k8s.io", &sandbox_id, sandbox.pid());
    data.containerd("k8s.io", &app_id, app.pid());
    let pod = unique("web");
    data.pod("default", &pod, &uid);
    // A previous pod of the same name whose log directory is still there.
    data.pod("default", &pod, &pod_uid());
    let r = data.roots();

    assert_eq!(pid_of(&format!("pod:default/{pod}"), &r), sandbox.pid());
    assert_eq!(pid_of(&format!("pod:{pod}"), &r), sandbox.pid());
    let l = locate(&format!("pod:default/{pod}"), &r).unwrap();
    assert_eq!(l.label, format!("pod default/{pod}"));
    assert_eq!(pid_of(&bare(&app_id, 10), &r), app.pid());
    let l = locate(&bare(&app_id, 10), &r).unwrap();
    assert_eq!(
        l.label,
        format!("containerd {} in pod default/{pod}", &app_id[..12])
    );
    let e = err_of(&format!("pod:kube-system/{pod}"), &r);
    assert!(e.contains(&format!("no pod kube-system/{pod}")), "{e}");

    let rows = list_json(&data);
    let row = row_of(&rows, netns_of(sandbox.pid()));
    assert_eq!(row["pod"]["namespace"], "default");
    assert_eq!(row["pod"]["name"], pod.as_str());
    assert_eq!(row["pod"]["uid"], uid.as_str());
    assert_eq!(row["container"]["runtime"], "containerd");
    assert_eq!(row["container"]["id"], sandbox_id.as_str());
    assert!(row["container"]["name"].is_null());
    assert_eq!(row["containers"].as_array().unwrap().len(), 2);
    let pids: Vec<i64> = row["pids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_i64().unwrap())
        .collect();
    assert!(pids.contains(&(sandbox.pid() as i64)) && pids.contains(&(app.pid() as i64)));
}

#[test]
fn containerd_cgroupfs_kubepods_and_the_init_process() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let uid = pod_uid();
    let id = container_id();
    let rel = format!("kubepods/besteffort/pod{uid}/{id}");
    // The container's init (a shell) and two children of it.
    let p = tree.spawn(&rel, "unshare -n sh -c 'sleep 600 & sleep 600 & wait'");
    wait_ns_change(p.pid(), "net");
    let procs = tree.top.join(&rel).join("cgroup.procs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let kids = loop {
        let all: Vec<i32> = std::fs::read_to_string(&procs)
            .unwrap()
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        if all.len() == 3 {
            break all
                .into_iter()
                .filter(|&x| x != p.pid())
                .collect::<Vec<_>>();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "children never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let pod = unique("db");
    data.pod("prod", &pod, &uid);
    let r = data.roots();
    // Without runtime state: the process whose parent is outside the container.
    assert_eq!(pid_of(&bare(&id, 8), &r), p.pid());
    assert_eq!(pid_of(&format!("pod:prod/{pod}"), &r), p.pid());
    assert_eq!(
        locate(&bare(&id, 8), &r).unwrap().label,
        format!("containerd {} in pod prod/{pod}", &id[..12])
    );
    // containerd's init.pid is trusted when it names one of the container's processes...
    let chosen = *kids.iter().max().unwrap();
    data.containerd("k8s.io", &id, chosen);
    assert_eq!(pid_of(&bare(&id, 8), &r), chosen);
    // ...and ignored when stale.
    data.containerd("k8s.io", &id, 1);
    assert_eq!(pid_of(&bare(&id, 8), &r), p.pid());
}

#[test]
fn crio_scope_not_its_conmon() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let uid = pod_uid();
    let id = container_id();
    let pod_slice = format!(
        "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice",
        uid.replace('-', "_")
    );
    // conmon runs first (a lower PID), in the host's namespace, in its own scope.
    let _conmon = tree.spawn(&format!("{pod_slice}/crio-conmon-{id}.scope"), "sleep 600");
    let c = contained(&tree, &format!("{pod_slice}/crio-{id}.scope"));
    let pod = unique("api");
    data.pod("default", &pod, &uid);
    let r = data.roots();
    assert_eq!(pid_of(&bare(&id, 12), &r), c.pid());
    assert_eq!(pid_of(&format!("container:{}", &id[..12]), &r), c.pid());
    assert_eq!(pid_of(&format!("pod:default/{pod}"), &r), c.pid());
    assert!(locate(&bare(&id, 12), &r)
        .unwrap()
        .label
        .starts_with("crio "));
}

#[test]
fn podman_by_name_and_prefix() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let id = container_id();
    let p = contained(&tree, &format!("machine.slice/libpod-{id}.scope"));
    let name = unique("pg");
    data.podman(&[(&id, &name), (&container_id(), &unique("stopped"))]);
    let r = data.roots();
    assert_eq!(pid_of(&name, &r), p.pid());
    assert_eq!(pid_of(&bare(&id, 5), &r), p.pid());
    assert_eq!(
        locate(&name, &r).unwrap().label,
        format!("podman {name} ({})", &id[..12])
    );
    let rows = list_json(&data);
    let row = row_of(&rows, netns_of(p.pid()));
    assert_eq!(row["container"]["runtime"], "podman");
    assert_eq!(row["container"]["name"], name.as_str());
    assert!(row["name"].is_null());
}

#[test]
fn docker_under_kubepods_both_drivers() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let uid = pod_uid();
    let (a, b) = (container_id(), container_id());
    let pa = contained(
        &tree,
        &format!(
            "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{}.slice/docker-{a}.scope",
            uid.replace('-', "_")
        ),
    );
    // cgroupfs: a bare ID under the pod, told apart from containerd by Docker's record.
    let pb = contained(&tree, &format!("kubepods/besteffort/pod{uid}/{b}"));
    let (na, nb) = (unique("k8s_a"), unique("k8s_b"));
    data.docker(&a, &na, pa.pid());
    data.docker(&b, &nb, pb.pid());
    data.pod("default", "cache", &uid);
    let r = data.roots();
    assert_eq!(pid_of(&na, &r), pa.pid());
    assert_eq!(pid_of(&nb, &r), pb.pid());
    assert_eq!(
        locate(&bare(&b, 12), &r).unwrap().label,
        format!("docker {nb} ({}) in pod default/cache", &b[..12])
    );
}

#[test]
fn ambiguous_prefixes_and_names() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    // Starts with a letter: an all-digit word would be a PID.
    let prefix = format!("f{}", random_hex(9));
    let a = format!("{prefix}{}", random_hex(54));
    let b = format!("{prefix}{}", random_hex(54));
    let pa = contained(&tree, &format!("system.slice/docker-{a}.scope"));
    let pb = contained(&tree, &format!("machine.slice/libpod-{b}.scope"));
    let name = unique("dup");
    data.docker(&a, &name, pa.pid());
    data.podman(&[(&b, &name)]);
    let r = data.roots();
    let e = err_of(&prefix, &r);
    assert!(e.contains("ambiguous"), "{e}");
    assert!(e.contains(&format!("docker {name} ({})", &a[..12])), "{e}");
    assert!(e.contains(&format!("podman {name} ({})", &b[..12])), "{e}");
    let e = err_of(&name, &r);
    assert!(
        e.contains("ambiguous") && e.contains(&a[..12]) && e.contains(&b[..12]),
        "{e}"
    );
    // One more digit settles it.
    assert_eq!(pid_of(&bare(&a, 16), &r), pa.pid());
    assert_eq!(pid_of(&bare(&b, 16), &r), pb.pid());
}

#[test]
fn unknown_targets_say_what_was_searched() {
    let data = Data::new();
    let r = data.roots();
    let name = unique("nope");
    let e = err_of(&name, &r);
    assert!(e.contains(&format!("no target '{name}'")), "{e}");
    assert!(e.contains("/run/netns"), "{e}");
    assert!(e.contains(&r.docker.display().to_string()), "{e}");
    assert!(e.contains(&r.podman.display().to_string()), "{e}");
    let hex = format!("e{}", random_hex(19));
    let e = err_of(&hex, &r);
    assert!(e.contains("no ID starting with it"), "{e}");
    let e = err_of(&format!("container:{name}"), &r);
    assert!(e.contains(&format!("no container '{name}'")), "{e}");
    assert!(!e.contains("/run/netns"), "{e}");
    let e = err_of(&format!("netns:{name}"), &r);
    assert!(e.contains("no ip-netns name"), "{e}");
    let e = err_of(&format!("pod:default/{name}"), &r);
    assert!(e.contains(&format!("no pod default/{name}")), "{e}");
}

#[test]
fn gone_processes_and_stopped_containers() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let id = container_id();
    let mut p = contained(&tree, &format!("system.slice/docker-{id}.scope"));
    let pid = p.pid();
    let name = unique("gone");
    data.docker(&id, &name, pid);
    let stopped = container_id();
    let sname = unique("stop");
    data.docker(&stopped, &sname, 0);
    let uid = pod_uid();
    let pod = unique("dead");
    data.pod("default", &pod, &uid);
    let r = data.roots();

    let e = err_of(&sname, &r);
    assert!(e.contains("is not running"), "{e}");
    let e = err_of(&format!("pod:default/{pod}"), &r);
    assert!(e.contains("no running process"), "{e}");

    // Gone between lookup and opening.
    let located = locate(&name, &r).unwrap();
    p.kill();
    let e = format!("{:#}", open(located).unwrap_err());
    assert!(
        e.contains(&format!("docker {name}"))
            && e.contains(&format!("pid {pid}"))
            && e.contains("gone"),
        "{e}"
    );
    // Gone before the lookup: Docker's record still names it, but no process is left.
    let e = err_of(&name, &r);
    assert!(e.contains("is not running"), "{e}");
    let e = format!(
        "{:#}",
        nscap::targets::resolve(&TargetSpec::Pid(pid)).unwrap_err()
    );
    assert!(e.contains(&format!("no such process: pid {pid}")), "{e}");
}

/// Docker and CNI create and name a namespace before the container's process is in it; one
/// passed over then (nothing said whose it was) must join under `--follow` once the process
/// moves in, however long after.
#[test]
fn follow_joins_a_namespace_when_its_container_moves_in_later() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let ns = Netns::new("late");
    let id = container_id();
    let name = unique("late");
    let r = data.roots();
    let d = TempDir::new();
    let f = d.file("late.pcapng");
    let pattern = format!("container:{name}*");
    let mut n = Nscap::spawn_env(
        &["-t", &pattern, "--follow", "-w", &f],
        std::process::Stdio::null(),
        &[("NSCAP_DOCKER_ROOT", &r.docker)],
    );
    n.wait_for("listening on 0 interfaces in 0 namespaces");
    // Longer than a new namespace is looked at again on every scan.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let rel = format!("system.slice/docker-{id}.scope");
    let p = tree.spawn(&rel, &format!("ip netns exec {} sleep 600", ns.name));
    wait_ns_change(p.pid(), "net");
    // Docker writes its record after runc has moved the process in: scans see the namespace
    // held and still nobody's meanwhile.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    data.docker(&id, &name, p.pid());
    n.wait_for(&format!(
        "nscap: {name} joined (docker {name} {id}, netns {}",
        ns.name
    ));
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
}

#[test]
fn cgroup_trees_are_removed() {
    let top;
    {
        let tree = CgroupTree::v2();
        let _p = contained(
            &tree,
            &format!("system.slice/docker-{}.scope", container_id()),
        );
        top = tree.top.clone();
    }
    assert!(!top.exists(), "{}", top.display());
}

/// `nscap -t TARGET -D` with the data roots in the environment.
fn list_interfaces(data: &Data, target: &str) -> std::process::Output {
    nscap_in(data, &["-t", target, "-D"])
}

/// Runs nscap to completion with the data roots in its environment (NSCAP_DOCKER_ROOT ...), not
/// as options.
fn nscap_in(data: &Data, args: &[&str]) -> std::process::Output {
    let r = data.roots();
    std::process::Command::new(nscap_bin())
        .args(args)
        .env("NSCAP_DOCKER_ROOT", &r.docker)
        .env("NSCAP_PODMAN_ROOT", &r.podman)
        .env("NSCAP_CONTAINERD_STATE", &r.containerd)
        .env("NSCAP_PODS_LOG_DIR", &r.pods)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn capture_side_resolves_every_kind_end_to_end() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let w = World::new();
    let uid = pod_uid();
    let id = container_id();
    tree.add(
        &format!(
            "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{}.slice/docker-{id}.scope",
            uid.replace('-', "_")
        ),
        w.target_pid,
    );
    let name = unique("k8s_web");
    data.docker(&id, &name, w.target_pid);
    let pod = unique("web");
    data.pod("default", &pod, &uid);
    let pid = w.target_pid.to_string();
    for target in [
        name.clone(),
        format!("container:{name}"),
        bare(&id, 8),
        format!("container:{}", &id[..20]),
        format!("pod:default/{pod}"),
        format!("pod:{pod}"),
        w.ns.name.clone(),
        format!("netns:{}", w.ns.name),
        w.ns.path(),
        pid.clone(),
        format!("pid:{pid}"),
    ] {
        let out = list_interfaces(&data, &target);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let eth0 = stdout
            .lines()
            .find(|l| l.contains(".eth0 "))
            .unwrap_or_else(|| panic!("{target}: no eth0 in {stdout}"));
        assert!(
            eth0.contains(&format!("{}/24", w.target_ip)),
            "{target}: {eth0}"
        );
    }
    for (target, needle) in [
        (unique("nope"), "no target"),
        (format!("pod:default/{}", unique("nope")), "no pod default/"),
        ("docker:web".to_string(), "unknown target kind"),
    ] {
        let out = list_interfaces(&data, &target);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{target}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{target}: {stderr}");
        assert!(stderr.contains(needle), "{target}: {stderr}");
    }
}

#[test]
fn exec_enters_containers_and_pods() {
    let data = Data::new();
    let tree = CgroupTree::v2();
    let uid = pod_uid();
    let id = container_id();
    let c = contained(
        &tree,
        &format!(
            "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{}.slice/crio-{id}.scope",
            uid.replace('-', "_")
        ),
    );
    let pod = unique("web");
    data.pod("default", &pod, &uid);
    let name = unique("pm");
    data.podman(&[(&id, &name)]);
    let want = format!("net:[{}]", netns_of(c.pid()));
    for target in [bare(&id, 8), name.clone(), format!("pod:default/{pod}")] {
        let out = nscap_in(
            &data,
            &[
                "exec",
                "-t",
                &target,
                "-n",
                "--",
                "readlink",
                "/proc/self/ns/net",
            ],
        );
        assert!(
            out.status.success(),
            "{target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            want,
            "{target}"
        );
    }
}

/// A Docker record whose PID no cgroup confirms is trusted only when it says the container
/// runs and the process started when the record says the container did. A record left from
/// before a reboot (or written before dockerd went down) names a PID that any host process may
/// have now: `-t web` then listed the host's own interfaces.
#[test]
fn a_stale_docker_record_never_names_the_host() {
    let data = Data::new();
    let mut host = Proc::spawn("exec sleep 600");
    let pid = host.pid();
    let id = container_id();
    let dir = data.roots().docker.join("containers").join(&id);
    std::fs::create_dir_all(&dir).unwrap();
    let record = |running: bool, started: &str| {
        std::fs::write(
            dir.join("config.v2.json"),
            format!(
                r#"{{"State":{{"Running":{running},"Pid":{pid},"StartedAt":"{started}"}},"ID":"{id}","Name":"/web"}}"#
            ),
        )
        .unwrap();
    };
    // Stopped, its last PID now another process's; then "running" but from before that
    // process started (a PID reused after a reboot).
    for running in [false, true] {
        record(running, "2026-11-29T14:00:00.000000000Z");
        let out = list_interfaces(&data, "web");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "running {running}: {err}");
        assert_eq!(
            err,
            format!(
                "nscap: docker web ({}) is not running (no process of it on this host)\n",
                &id[..12]
            ),
            "running {running}"
        );
        assert!(out.stdout.is_empty(), "the host's interfaces were listed");
    }
    // A record that agrees with the process (running, started when it did) is still trusted
    // where no cgroup path names the container.
    let now = sh("date -u +%Y-%m-%dT%H:%M:%S.000000000Z");
    record(true, now.trim());
    let out = list_interfaces(&data, "web");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1.lo"));
    host.kill();
}

/// A name with a pattern's characters that names a namespace exactly is that namespace, not a
/// pattern: `-t /run/netns/a[1]`, `netns:a[1]` and `a[1]` could not name it at all.
#[test]
fn an_existing_exact_name_wins_over_pattern_reading() {
    let name = format!("{}[1]", unique("nsbr"));
    let ns = Netns::named(&name);
    for t in [
        format!("/run/netns/{name}"),
        format!("netns:{name}"),
        name.clone(),
    ] {
        let out = nscap(&["-t", &t, "-D"]);
        assert!(out.status.success(), "{t}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("1.lo"),
            "{t}: {out:?}"
        );
    }
    drop(ns);
}
