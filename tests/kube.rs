//! `kubectl nscap` (nscap installed as `kubectl-nscap`). No cluster can run on these machines,
//! so the API server is played by a stand-in for kubectl (tests/kube/kubectl) with Docker as
//! the nodes: pods are real containers, and each node-debug pod is a real container shaped as
//! the manifest asks (the host's PID namespace, privileged, `/` read-only at `/host`), into
//! which the static build (kubectl-nscap itself, by default) is uploaded through the
//! stand-in's `kubectl exec -i` (`docker exec -i`) and captures with `--host-root /host -t
//! container:ID`. The manifest itself goes
//! through the real kubectl's decoder (`kubectl set env --local`, which needs no server).
mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::time::Duration;

use serde_json::{json, Value};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The stand-in's state, two "pods" (containers) on two "nodes", and kubectl-nscap (a link to
/// the nscap under test).
struct Cluster {
    dir: TempDir,
    state: PathBuf,
    program: PathBuf,
    pods: Vec<(String, Container)>,
}

impl Cluster {
    fn new(pods: &[(&str, &str)]) -> Cluster {
        let dir = TempDir::new();
        let state = dir.0.join("kube");
        std::fs::create_dir_all(state.join("pods/shop")).unwrap();
        let program = dir.0.join("kubectl-nscap");
        // The static build, as the .deb installs it: a bare --upload (the default) sends it.
        std::os::unix::fs::symlink(static_bin(), &program).unwrap();
        let mut made = Vec::new();
        for (name, node) in pods {
            let c = Container::start(Engine::Docker, "kpod", &[]);
            let pod = json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {"nodeName": node},
                "status": {"phase": "Running", "containerStatuses": [
                    {"name": "app", "state": {"running": {}}, "containerID": format!("docker://{}", c.id)}
                ]}
            });
            std::fs::write(
                state.join(format!("pods/shop/{name}.json")),
                pod.to_string(),
            )
            .unwrap();
            made.push((name.to_string(), c));
        }
        Cluster {
            dir,
            state,
            program,
            pods: made,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.program);
        c.args(["--kubectl", stand_in().to_str().unwrap()])
            .args(args)
            .env("NSCAP_FAKE_KUBE", &self.state)
            .env("NSCAP_FAKE_PRIVILEGED", privileged_options().join(" "));
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// What kubectl was asked, one call per line.
    fn calls(&self) -> String {
        std::fs::read_to_string(self.state.join("calls")).unwrap_or_default()
    }

    /// The name of the one debug pod created.
    fn only_debug_pod(&self) -> String {
        let created = self.created();
        assert_eq!(created.len(), 1, "{created:?}");
        created[0]
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    fn deleted(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("deleted"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    fn created(&self) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.state.join("created")) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
        v.sort();
        v
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Debug pods a failed test left behind.
        for m in self.created() {
            let name = m.file_stem().unwrap().to_string_lossy().into_owned();
            let _ = Engine::Docker.command().args(["rm", "-f", &name]).output();
        }
    }
}

fn stand_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kube/kubectl")
}

/// Whether Docker has a container of that name.
fn exists(name: &str) -> bool {
    Engine::Docker
        .command()
        .args(["inspect", "--format", "{{.Name}}", name])
        .output()
        .unwrap()
        .status
        .success()
}

/// Two pods on two nodes, pinging each other: one debug pod per node, both pods in one file,
/// in time order, named NODE/NAME/eth0; after Ctrl-C the debug pods are gone, and with them
/// every nscap they ran.
#[test]
fn captures_pods_on_two_nodes_into_one_file_and_deletes_the_debug_pods() {
    let k = Cluster::new(&[("web", "node1"), ("db", "node2")]);
    let out = k.dir.file("pods.pcapng");
    let mut cmd = k.command(&[
        "-n", "shop", "web", "pod/db", "--image", IMAGE, "-w", &out, "--", "icmp",
    ]);
    cmd.stdout(Stdio::null());
    let mut n = Nscap::start(cmd);
    n.wait_for_within("listening on 2 hosts", 90);
    let created = k.created();
    assert_eq!(created.len(), 2, "{created:?}");
    let names: Vec<String> = created
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| exists(n)), "{names:?}");
    let (web, db) = (&k.pods[0].1, &k.pods[1].1);
    let db_ip = db.inspect("{{.NetworkSettings.IPAddress}}");
    web.exec(&["ping", "-c", "4", "-i", "0.2", &db_ip]);
    std::thread::sleep(Duration::from_millis(500));
    n.signal(libc::SIGINT);
    let (code, stderr) = n.finish(30);
    let stderr = stderr.join("\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("nscap: pods web on node1, db on node2; debug pods nscap-node1-"),
        "{stderr}"
    );
    assert!(stderr.contains("deleted the debug pods"), "{stderr}");

    // Each pod's echo requests and replies, on its own node's interface, in time order.
    let rows = tshark_fields(
        &out,
        &["frame.interface_name", "icmp.type", "frame.time_delta"],
    );
    let on = |iface: &str, ty: &str| {
        rows.iter()
            .filter(|r| r.starts_with(&format!("{iface}\t{ty}\t")))
            .count()
    };
    let web_if = format!("node1/{}/eth0", web.name);
    let db_if = format!("node2/{}/eth0", db.name);
    assert_eq!(on(&web_if, "8"), 4, "{rows:#?}");
    assert_eq!(on(&web_if, "0"), 4, "{rows:#?}");
    assert_eq!(on(&db_if, "8"), 4, "{rows:#?}");
    assert_eq!(on(&db_if, "0"), 4, "{rows:#?}");
    for r in &rows {
        let delta: f64 = r.rsplit('\t').next().unwrap().parse().unwrap();
        assert!(delta >= 0.0, "out of order: {rows:#?}");
    }

    // The debug pods: deleted, through kubectl, and gone from the "nodes".
    let mut deleted = k.deleted();
    deleted.sort();
    assert_eq!(deleted, names);
    for n in &names {
        assert!(!exists(n), "{n} is still there");
    }
    let calls = k.calls();
    assert!(calls.contains("-n shop exec -i nscap-node1-"), "{calls}");
    assert!(
        calls.contains("-n shop wait --for=condition=Ready --timeout=120s pod/nscap-node1-"),
        "{calls}"
    );
}

/// The manifest, as the real kubectl decodes it into a v1 Pod (`set env --local` needs no
/// server): every field nscap writes survives, so none is misspelled or of the wrong type;
/// and it asks for what the node side needs.
#[test]
fn the_debug_pod_manifest_is_a_valid_pod_with_what_the_node_side_needs() {
    let k = Cluster::new(&[("web", "node1.example")]);
    let o = k.run(&["-n", "shop", "web", "--dry-run", "--deadline", "600"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let list: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!k.calls().contains("create"), "{}", k.calls());
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let pod = &items[0];
    let file = k.dir.file("pod.json");
    std::fs::write(&file, pod.to_string()).unwrap();
    let decoded = Command::new("kubectl")
        .args([
            "set",
            "env",
            "--local",
            "-f",
            &file,
            "NSCAP_CHECK=1",
            "-o",
            "json",
        ])
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .unwrap();
    assert!(decoded.status.success(), "{}", text(&decoded.stderr));
    let typed: Value = serde_json::from_slice(&decoded.stdout).unwrap();
    contains(&typed, pod, "");

    let spec = &pod["spec"];
    assert_eq!(spec["nodeName"], "node1.example");
    assert_eq!(spec["hostPID"], true);
    assert_eq!(spec["activeDeadlineSeconds"], 600);
    assert_eq!(spec["tolerations"], json!([{"operator": "Exists"}]));
    let c = &spec["containers"][0];
    assert_eq!(c["securityContext"]["privileged"], true);
    assert_eq!(c["command"], json!(["sleep", "600"]));
    assert_eq!(
        c["volumeMounts"],
        json!([{"name": "host", "mountPath": "/host", "readOnly": true}])
    );
    assert_eq!(
        spec["volumes"],
        json!([{"name": "host", "hostPath": {"path": "/"}}])
    );
    let name = pod["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("nscap-node1-example-"), "{name}");
    assert_eq!(pod["metadata"]["namespace"], "shop");
    assert_eq!(
        pod["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kubectl-nscap"
    );
}

/// Every leaf of `want` is in `got`, with the same value.
fn contains(got: &Value, want: &Value, at: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, v) in w {
                let there = g
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} is not in kubectl's Pod: {got:#}"));
                contains(there, v, &format!("{at}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{at}");
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                contains(g, w, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(got, want, "{at}"),
    }
}

/// What goes wrong before anything is created says so in one line, and creates nothing.
#[test]
fn bad_pods_and_options_create_nothing() {
    let k = Cluster::new(&[("web", "node1")]);
    // A pod the API does not know: kubectl's own words.
    let o = k.run(&["-n", "shop", "web", "nope", "-c", "1"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim(),
        "nscap: Error from server (NotFound): pods \"nope\" not found"
    );
    // A pending pod.
    std::fs::write(
        k.state.join("pods/shop/later.json"),
        json!({"spec": {}, "status": {"phase": "Pending"}}).to_string(),
    )
    .unwrap();
    let o = k.run(&["-n", "shop", "later"]);
    assert_eq!(
        text(&o.stderr).trim(),
        "nscap: pod later is not on a node yet (Pending)"
    );
    // Targets are the pods': -t, -H, --host-root and -r are refused, before the API is asked.
    let before = k.calls();
    for bad in [
        &["-t", "1"][..],
        &["-H", "x"],
        &["--host-root", "/"],
        &["-r", "f"],
        &["-Z", "nobody"],
    ] {
        let mut args = vec!["-n", "shop", "web"];
        args.extend(bad);
        let o = k.run(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.contains("cannot be given"), "{bad:?}: {err}");
    }
    // A filter word where a pod belongs, and a bad nscap option.
    let o = k.run(&["-n", "shop", "web", "Tcp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("'Tcp' is not a pod name"),
        "{}",
        text(&o.stderr)
    );
    let o = k.run(&["-n", "shop", "web", "-s", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = k.run(&["-n", "shop"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = k.run(&["--help"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).starts_with("usage: kubectl nscap [-n NAMESPACE] POD..."));
    // A filter that does not compile, and a build that is not one: said before the cluster is
    // asked anything.
    let o = k.run(&["-n", "shop", "web", "--", "tcp", "portt", "80"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("nscap: filter 'tcp portt 80': "), "{err}");
    let o = k.run(&["-n", "shop", "web", "--upload=/bin/ls"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("/bin/ls is dynamically linked"), "{err}");
    assert_eq!(k.calls(), before);
    assert!(k.created().is_empty());
}

/// `--keep` keeps the debug pods and says how to delete them; `--cleanup` finds them by their
/// label and deletes them.
#[test]
fn keep_then_cleanup() {
    let k = Cluster::new(&[("web", "node1")]);
    let upload = format!("--upload={}", static_bin());
    let o = k.run(&[
        "-n",
        "shop",
        "web",
        "--keep",
        "--image",
        IMAGE,
        &upload,
        "-a",
        "duration:2",
        "-w",
        "/dev/null",
    ]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("nscap: kept the debug pods: kubectl -n shop delete pod nscap-node1-"),
        "{err}"
    );
    let name = k.only_debug_pod();
    assert!(exists(&name), "{name} was not kept");
    let o = k.run(&["-n", "shop", "--cleanup"]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(err.trim(), format!("nscap: deleted {name}"));
    assert!(!exists(&name));
    let o = k.run(&["-n", "shop", "--cleanup"]);
    assert_eq!(
        text(&o.stderr).trim(),
        "nscap: no debug pod of kubectl nscap here"
    );
}

/// A Ctrl-C while the debug pods are still starting stops there, cleanly: exit 0, nothing
/// captured, the pods deleted.
#[test]
fn ctrl_c_while_the_debug_pods_start_deletes_them() {
    let k = Cluster::new(&[("web", "node1")]);
    let upload = format!("--upload={}", static_bin());
    let mut cmd = k.command(&[
        "-n",
        "shop",
        "web",
        "--image",
        IMAGE,
        &upload,
        "-w",
        "/dev/null",
    ]);
    cmd.env("NSCAP_FAKE_WAIT", "30").stdout(Stdio::null());
    let mut n = Nscap::start(cmd);
    n.wait_for_within("debug pods nscap-node1-", 30);
    wait_until(
        30,
        || format!("no wait call: {}", k.calls()),
        || k.calls().contains(" wait ").then_some(()),
    );
    n.signal(libc::SIGINT);
    let (code, stderr) = n.finish(15);
    let stderr = stderr.join("\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("nscap: stopped before the capture began"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nscap: deleted the debug pods nscap-node1-"),
        "{stderr}"
    );
    let name = k.only_debug_pod();
    assert_eq!(k.deleted(), std::slice::from_ref(&name));
    assert!(!exists(&name));
    assert!(!k.calls().contains(" exec "), "{}", k.calls());
}

/// A kubectl whose exec does not pass on the end of input (before 1.30): the stop cannot reach
/// nscap on the node. A person pressing Ctrl-C again, seconds later, hurries the stop rather
/// than killing nscap here, and the debug pods are still deleted.
#[test]
fn ctrl_c_again_hurries_the_stop_and_still_deletes_the_debug_pods() {
    let k = Cluster::new(&[("web", "node1")]);
    let mut cmd = k.command(&["-n", "shop", "web", "--image", IMAGE, "-w", "/dev/null"]);
    cmd.env("NSCAP_FAKE_EXEC_KEEPS_INPUT", "1")
        .stdout(Stdio::null());
    let mut n = Nscap::start(cmd);
    n.wait_for_within("listening on 1 host", 90);
    n.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(2000));
    let again = std::time::Instant::now();
    n.signal(libc::SIGINT);
    let (code, stderr) = n.finish(15);
    let took = again.elapsed();
    let stderr = stderr.join("\n");
    assert!(code.is_some(), "{stderr}");
    // Unhurried, the stop would wait out its 5 s (3 s more) before ending the channel, then
    // delete the pod: hurried, it ends the channel at once.
    assert!(
        took < Duration::from_millis(2500),
        "{took:?} after the second Ctrl-C: {stderr}"
    );
    assert!(
        stderr.contains("nscap: deleted the debug pods nscap-node1-"),
        "{stderr}"
    );
    let name = k.only_debug_pod();
    assert!(!exists(&name), "{name} is still there");
}

/// Standard error closed by its reader (`2>&1 | head -n 1`): the messages that no longer fit
/// are dropped, nothing panics, and the debug pods are still deleted.
#[test]
fn a_closed_standard_error_still_deletes_the_debug_pods() {
    let k = Cluster::new(&[("web", "node1")]);
    let script = format!(
        "NSCAP_FAKE_KUBE={} NSCAP_FAKE_PRIVILEGED='{}' {} --kubectl {} -n shop web --image {IMAGE} \
         -a duration:2 -w /dev/null 2>&1 >/dev/null | head -n 1; echo \"rc=${{PIPESTATUS[0]}}\"",
        k.state.display(),
        privileged_options().join(" "),
        k.program.display(),
        stand_in().display()
    );
    let out = ok_stdout(Command::new("bash").args(["-c", &script]));
    assert!(out.starts_with("nscap: pods web on node1"), "{out}");
    assert!(out.trim_end().ends_with("rc=0"), "{out}");
    let name = k.only_debug_pod();
    assert_eq!(k.deleted(), std::slice::from_ref(&name));
    assert!(!exists(&name), "{name} is still there");
}
