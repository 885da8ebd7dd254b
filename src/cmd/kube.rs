//! `kubectl nscap` (nscap installed as `kubectl-nscap`, krew's naming): pods captured on the
//! nodes they run on, through `kubectl` alone, merged here into one capture.
//!
//! For each pod, the API says its node and its containers' IDs. On each node a node-debug pod
//! is started (the host's PID namespace, privileged, the node's `/` read-only at `/host`, every
//! taint tolerated, a deadline, labels to find it by). This nscap's static build goes down
//! `kubectl exec -i` into it (see [`crate::remote::Upload`]), and runs there as
//! `nscap --remote-stream --host-root /host -t container:ID …`. From there on it is `-H`
//! (see [`crate::remote`]), `kubectl exec` in place of ssh: the streams merged in time order,
//! interfaces named `NODE/NAME/IFACE`. The debug pods are deleted on every way out that runs
//! code (an error, a signal, the end); `--keep` keeps them; a SIGKILL leaves them to their
//! deadline, and `--cleanup` finds them by label.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::error::{os_message, Exit};
use crate::escape;

/// The label every debug pod carries, and what `--cleanup` deletes by.
const MANAGED_BY: &str = "app.kubernetes.io/managed-by=kubectl-nscap";

/// How long the debug pods get to be ready (the image pulled, the container started).
const READY_WAIT: Duration = Duration::from_secs(120);

const USAGE: &str = "\
usage: kubectl nscap [-n NAMESPACE] POD... [nscap capture options] [-- FILTER...]
       kubectl nscap [-n NAMESPACE] --cleanup

Captures the pods' network on the nodes they run on, through kubectl alone: one node-debug pod
per node (hostPID, privileged, the node's / read-only at /host, every taint tolerated, a
deadline), this nscap's static build sent into it over `kubectl exec -i`, and the nodes'
streams merged here in time order, each interface named NODE/NAME/IFACE. The debug pods are
deleted when the capture ends, however it ends (but a SIGKILL: see --cleanup).

Pods come first (NAME or pod/NAME); then nscap's capture options as for `nscap -t`:
-i -w -c -s -p -B -Q -C -W -G -a -b -v -e -x -q --json --flows --process, and a filter
after them or after `--`. -n is the namespace here, as in kubectl (nscap never resolves names).

Options of kubectl nscap (anywhere before `--`):
  -n, --namespace NS      the pods' namespace (default: the context's); the debug pods go there
      --context CTX       kubectl's --context
      --kubeconfig FILE   kubectl's --kubeconfig
      --kubectl COMMAND   the kubectl to run, words split at spaces (default: kubectl)
      --image IMAGE       the debug pods' image: sleep, sh, mktemp, head, sha256sum,
                          cut, uname, chmod and rm (default: busybox:1.36)
      --deadline SECONDS  the debug pods end after this long whatever happens (default 3600)
      --upload=FILE       the static nscap to send (default: this one); repeat it with one
                          build per node machine kind (x86_64, aarch64)
      --keep              keep the debug pods at the end (and say how to delete them)
      --dry-run           print the debug pods' manifest and exit
      --cleanup           delete every debug pod of kubectl nscap in the namespace
                          (also those of captures still running)
  -h, --help              this text
";

/// The command line of `kubectl nscap`, its own options taken off.
#[derive(Debug, Default, PartialEq)]
struct KubeArgs {
    namespace: Option<String>,
    context: Option<String>,
    kubeconfig: Option<String>,
    kubectl: Vec<String>,
    image: String,
    deadline: i64,
    keep: bool,
    dry_run: bool,
    cleanup: bool,
    help: bool,
    version: bool,
    pods: Vec<String>,
    /// The rest: nscap capture options and the filter.
    rest: Vec<OsString>,
}

fn usage(m: impl Into<String>) -> Exit {
    Exit::Usage(m.into())
}

/// Takes `kubectl nscap`'s own options off the command line (anywhere before `--`), then the
/// pods (the words before the first option); the rest is nscap's.
fn split_args(args: &[OsString]) -> Result<KubeArgs, Exit> {
    let mut k = KubeArgs {
        kubectl: vec!["kubectl".into()],
        image: "busybox:1.36".into(),
        deadline: 3600,
        ..KubeArgs::default()
    };
    let mut left: Vec<OsString> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            // The filter, as kubectl users write it after `--` (nscap's own `--` runs a
            // command, which means nothing here): one -f expression.
            let words = it
                .by_ref()
                .map(|w| w.to_str().map(String::from))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| usage("the filter after -- is not text"))?;
            if !words.is_empty() {
                left.extend(["-f".into(), words.join(" ").into()]);
            }
            break;
        }
        let Some(s) = a.to_str() else {
            left.push(a.clone());
            continue;
        };
        let (name, inline) = match s.split_once('=') {
            Some((n, v)) if n.starts_with("--") || n == "-n" => (n, Some(v.to_string())),
            // kubectl's `-nshop`.
            _ if s.starts_with("-n") && s.len() > 2 && !s.starts_with("--") => {
                ("-n", Some(s[2..].to_string()))
            }
            _ => (s, None),
        };
        let mut value = |flag: &str| -> Result<String, Exit> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it
                    .next()
                    .and_then(|v| v.to_str())
                    .map(String::from)
                    .ok_or_else(|| usage(format!("{flag} needs a value"))),
            }
        };
        match name {
            "-n" | "--namespace" => {
                let ns = value("--namespace")?;
                // Kubernetes' rule for namespace names (a DNS label).
                let valid = !ns.is_empty()
                    && ns.len() <= 63
                    && ns
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !ns.starts_with('-');
                if !valid {
                    return Err(usage(format!(
                        "--namespace '{}': not a namespace name",
                        escape::text(&ns)
                    )));
                }
                k.namespace = Some(ns);
            }
            "--context" => k.context = Some(value("--context")?),
            "--kubeconfig" => k.kubeconfig = Some(value("--kubeconfig")?),
            "--kubectl" => {
                k.kubectl = value("--kubectl")?
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                if k.kubectl.is_empty() {
                    return Err(usage("--kubectl: give the kubectl command"));
                }
            }
            "--image" => k.image = value("--image")?,
            "--deadline" => {
                let v = value("--deadline")?;
                // activeDeadlineSeconds is a signed 64-bit number.
                k.deadline = v.parse::<i64>().ok().filter(|&d| d > 0).ok_or_else(|| {
                    usage(format!(
                        "--deadline '{}': give a number of seconds",
                        escape::text(&v)
                    ))
                })?;
            }
            "--keep" if inline.is_none() => k.keep = true,
            "--dry-run" if inline.is_none() => k.dry_run = true,
            "--cleanup" if inline.is_none() => k.cleanup = true,
            "-h" | "--help" if inline.is_none() => k.help = true,
            "--version" if inline.is_none() => k.version = true,
            _ => left.push(a.clone()),
        }
    }
    // The pods: the words before the first option.
    let mut rest = left.into_iter().peekable();
    while let Some(w) = rest.next_if(|w| !w.as_encoded_bytes().starts_with(b"-")) {
        let w = w.into_string().map_err(|w| {
            usage(format!(
                "'{}' is not a pod name",
                escape::text(&w.to_string_lossy())
            ))
        })?;
        let name = w
            .strip_prefix("pod/")
            .or(w.strip_prefix("pods/"))
            .unwrap_or(&w);
        // Kubernetes' own rule for pod names (a DNS subdomain); it also keeps them out of
        // the shell and of kubectl's options.
        let valid = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && name.as_bytes()[0].is_ascii_alphanumeric();
        if !valid {
            return Err(usage(format!(
                "'{}' is not a pod name (pods come first; put a filter after an option or after --)",
                escape::text(&w)
            )));
        }
        if !k.pods.iter().any(|p| p == name) {
            k.pods.push(name.to_string());
        }
    }
    k.rest = rest.collect();
    Ok(k)
}

/// nscap's options that `kubectl nscap` sets itself, or that mean nothing here.
const NOT_HERE: [&str; 12] = [
    "targets",
    "all",
    "follow",
    "read",
    "host_root",
    "hosts",
    "hosts_file",
    "ssh",
    "nscap_path",
    "command",
    "remote_stream",
    // -Z would run the later kubectl calls (the debug pods' deletion among them) as a user
    // without the kubeconfig.
    "user",
];

/// The whole `kubectl nscap`; `args[0]` is the program's name.
pub fn main(args: Vec<OsString>) -> Result<(), Exit> {
    let k = split_args(&args[1..])?;
    if k.help || k.version {
        let text = if k.help {
            USAGE.to_string()
        } else {
            concat!("kubectl-nscap ", env!("CARGO_PKG_VERSION"), "\n").to_string()
        };
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        return Ok(());
    }
    let kube = Kube::new(&k);
    if k.cleanup {
        if !k.pods.is_empty() || !k.rest.is_empty() {
            return Err(usage("--cleanup takes no pods and no capture options"));
        }
        return kube.cleanup().map_err(Exit::Fail);
    }
    if k.pods.is_empty() {
        return Err(usage(
            "give the pods to capture first: kubectl nscap [-n NAMESPACE] POD... [options] (see --help)",
        ));
    }
    // The capture options are checked before anything is asked of the cluster.
    let given = crate::cli::flags_given(&capture_line(&args[0], &[], &k.rest), &NOT_HERE)?;
    if let Some(flag) = given.first() {
        return Err(usage(format!(
            "kubectl nscap chooses the targets and the nodes itself: {flag} cannot be given"
        )));
    }
    // Everything the capture will be given, checked now: the options, the builds to upload
    // (this one by default) and the filter. A mistake costs nothing on the cluster.
    let upload_given =
        !crate::cli::flags_given(&capture_line(&args[0], &[], &k.rest), &["upload"])?.is_empty();
    let with_upload = |mut line: Vec<OsString>| {
        if !upload_given {
            line.insert(1, "--upload".into());
        }
        line
    };
    let checked = crate::cli::parse(with_upload(capture_line(
        &args[0],
        &["node".into()],
        &k.rest,
    )))?;
    let ready = match &checked.remote {
        Some(r) => r.prepared()?.ready,
        None => None,
    };
    if let Some(f) = checked.handle.filter.as_deref() {
        check_filter(f)?;
    }

    let pods = k
        .pods
        .iter()
        .map(|p| kube.pod(p))
        .collect::<Result<Vec<Pod>>>()?;
    let mut nodes: Vec<(String, Vec<&Pod>)> = Vec::new();
    for p in &pods {
        match nodes.iter_mut().find(|(n, _)| *n == p.node) {
            Some((_, v)) => v.push(p),
            None => nodes.push((p.node.clone(), vec![p])),
        }
    }
    let session = session_id();
    let plain: Vec<String> = nodes
        .iter()
        .map(|(node, _)| debug_pod_name(node, &session, false))
        .collect();
    let debug: Vec<(String, String)> = nodes
        .iter()
        .zip(&plain)
        .map(|((node, _), name)| {
            let clash = plain.iter().filter(|p| *p == name).count() > 1;
            let name = if clash {
                debug_pod_name(node, &session, true)
            } else {
                name.clone()
            };
            (node.clone(), name)
        })
        .collect();
    let manifest = kube.manifest(&debug, &session);
    let placed: Vec<String> = pods
        .iter()
        .map(|p| format!("{} on {}", p.name, p.node))
        .collect();
    let names: Vec<&str> = debug.iter().map(|(_, n)| n.as_str()).collect();
    eprintln!(
        "nscap: pods {}; debug pods {}{}",
        placed.join(", "),
        names.join(", "),
        k.namespace
            .as_deref()
            .map(|n| format!(" in namespace {n}"))
            .unwrap_or_default()
    );
    if k.dry_run {
        let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| anyhow!(e))?;
        text.push('\n');
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
        return Ok(());
    }

    // A Ctrl-C from here on stops cleanly: the debug pods are deleted whatever happens. Asked
    // again later (a person insisting), the stop gives up what it waits for, but still
    // deletes them.
    let _signals = crate::stop::Signals::install().context("cannot install the signal handlers")?;
    crate::stop::insisting_hurries();
    let mut guard = DebugPods {
        kube: &kube,
        names: Vec::new(),
        keep: k.keep,
    };
    guard.names = kube.create(&manifest, &debug)?;
    if !kube.wait_ready(&guard.names)? {
        eprintln!("nscap: stopped before the capture began");
        return Ok(());
    }

    let hosts: Vec<String> = debug.iter().map(|(n, _)| n.clone()).collect();
    let mut cfg = crate::cli::parse(with_upload(capture_line(&args[0], &hosts, &k.rest)))?;
    let remote = cfg.remote.as_mut().context("no node to capture on")?;
    // The builds read and checked above: not again.
    remote.ready = ready;
    remote.exec = Some(debug.iter().map(|(_, pod)| kube.exec_words(pod)).collect());
    remote.host_args = nodes
        .iter()
        .map(|(_, pods)| {
            let mut a: Vec<OsString> = vec!["--host-root".into(), "/host".into()];
            for p in pods {
                a.push("-t".into());
                a.push(format!("container:{}", p.container).into());
            }
            a
        })
        .collect();
    crate::remote::run(&cfg)?;
    Ok(())
}

/// The capture command line `kubectl nscap` stands for: `nscap -H NODE… REST`.
fn capture_line(program: &OsString, nodes: &[String], rest: &[OsString]) -> Vec<OsString> {
    let mut line = vec![program.clone()];
    for n in nodes {
        line.push("-H".into());
        line.push(n.into());
    }
    line.extend(rest.iter().cloned());
    line
}

/// What the API says of a pod: where it runs, and a container of it (every container of a pod
/// shares its network namespace).
#[derive(Debug)]
struct Pod {
    name: String,
    node: String,
    /// The runtime's ID of a running container, without `containerd://`.
    container: String,
}

/// Reads a pod's JSON (`kubectl get pod -o json`).
fn parse_pod(name: &str, v: &Value) -> Result<Pod> {
    let phase = v["status"]["phase"].as_str().unwrap_or("in no phase");
    let Some(node) = v["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) else {
        bail!("pod {name} is not on a node yet ({})", escape::text(phase));
    };
    if phase != "Running" {
        bail!("pod {name} is {}, not Running", escape::text(phase));
    }
    let statuses = v["status"]["containerStatuses"].as_array();
    let id = statuses
        .into_iter()
        .flatten()
        .filter(|c| c["state"].get("running").is_some())
        .find_map(|c| c["containerID"].as_str())
        .and_then(|id| id.split_once("://").map(|(_, id)| id));
    let Some(id) = id.filter(|id| id.len() >= 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        bail!("pod {name} has no running container with a runtime ID");
    };
    // Node names are DNS names; anything else would not be one to put in interface names.
    if !node
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        bail!(
            "pod {name} is on a node named '{}', not a DNS name",
            escape::text(node)
        );
    }
    Ok(Pod {
        name: name.to_string(),
        node: node.to_string(),
        container: id.to_string(),
    })
}

/// A short random word for this run's pods: they are told apart from another run's.
fn session_id() -> String {
    let mut b = [0u8; 3];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    if ok.is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let x = t.subsec_nanos() ^ std::process::id().rotate_left(13);
        b = [x as u8, (x >> 8) as u8, (x >> 16) as u8];
    }
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// `nscap-NODE-SESSION`, a valid pod name (lowercase, at most 63 characters). A node name too
/// long for it is cut, with a hash of the whole name after the cut, so that nodes that differ
/// only at the end (a pool's nodes) still get names of their own; `hashed` adds the hash
/// anyway (two nodes that the cleaning made one, `a.b-c` and `a-b.c`).
fn debug_pod_name(node: &str, session: &str, hashed: bool) -> String {
    let mut n: String = node
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let room = 63 - "nscap--".len() - session.len();
    if n.len() > room || hashed {
        // FNV-1a, 32 bits: stable from run to run.
        let h = node.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        n.truncate(room.saturating_sub(9));
        n = format!("{}-{h:08x}", n.trim_end_matches('-'));
    }
    let n = n.trim_matches('-');
    format!("nscap-{n}-{session}")
}

/// How kubectl is run: the command, and the cluster options every call takes.
struct Kube {
    kubectl: Vec<String>,
    global: Vec<String>,
    namespace: Option<String>,
    image: String,
    deadline: i64,
}

impl Kube {
    fn new(k: &KubeArgs) -> Kube {
        let mut global = Vec::new();
        if let Some(c) = &k.context {
            global.extend(["--context".to_string(), c.clone()]);
        }
        if let Some(c) = &k.kubeconfig {
            global.extend(["--kubeconfig".to_string(), c.clone()]);
        }
        Kube {
            kubectl: k.kubectl.clone(),
            global,
            namespace: k.namespace.clone(),
            image: k.image.clone(),
            deadline: k.deadline,
        }
    }

    /// The cluster options, as a user would type them after `kubectl`: ` --context C -n NS`.
    fn options(&self) -> String {
        let mut o = String::new();
        for w in &self.global {
            o.push(' ');
            o.push_str(&String::from_utf8_lossy(&crate::remote::sh_word(
                w.as_bytes(),
            )));
        }
        if let Some(ns) = &self.namespace {
            o.push_str(" -n ");
            o.push_str(ns);
        }
        escape::text(&o)
    }

    /// `kubectl [--context …] [-n NS] ARGS`, in a session of its own (a Ctrl-C is this
    /// nscap's, which then ends what it started), with no terminal to prompt on.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.kubectl[0]);
        c.args(&self.kubectl[1..]).args(&self.global);
        if let Some(ns) = &self.namespace {
            c.args(["-n", ns]);
        }
        c.args(args);
        crate::os::own_session(&mut c);
        c
    }

    /// Runs kubectl to its end; its standard output, or its own complaint as the error. Each
    /// request to the API server gives up after 30 s, so that an unreachable one cannot hold
    /// the debug pods' deletion for ever.
    fn run(&self, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>> {
        let mut c = self.command(&[&["--request-timeout=30s"], args].concat());
        c.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c
            .spawn()
            .map_err(|e| anyhow!("cannot run {}: {}", self.kubectl[0], os_message(&e)))?;
        if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
            let _ = stdin.write_all(text);
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("{}", first_error(&out.stderr, &out.status));
        }
        Ok(out.stdout)
    }

    fn pod(&self, name: &str) -> Result<Pod> {
        let out = self.run(&["get", "pod", name, "-o", "json"], None)?;
        let v: Value = serde_json::from_slice(&out)
            .map_err(|e| anyhow!("kubectl get pod {name}: not a pod's JSON: {e}"))?;
        parse_pod(name, &v)
    }

    /// The debug pods, one per node, as one List.
    fn manifest(&self, debug: &[(String, String)], session: &str) -> Value {
        let (key, value) = MANAGED_BY.split_once('=').unwrap_or_default();
        let items: Vec<Value> = debug
            .iter()
            .map(|(node, name)| {
                let mut meta = json!({
                    "name": name,
                    "labels": {
                        "app.kubernetes.io/name": "nscap",
                        key: value,
                        "nscap/session": session,
                    },
                });
                if let Some(ns) = &self.namespace {
                    meta["namespace"] = json!(ns);
                }
                json!({
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": meta,
                    "spec": {
                        "nodeName": node,
                        "hostPID": true,
                        "hostNetwork": true,
                        "restartPolicy": "Never",
                        "activeDeadlineSeconds": self.deadline,
                        "terminationGracePeriodSeconds": 5,
                        "automountServiceAccountToken": false,
                        "enableServiceLinks": false,
                        "tolerations": [{ "operator": "Exists" }],
                        "containers": [{
                            "name": "nscap",
                            "image": self.image,
                            "command": ["sleep", self.deadline.to_string()],
                            "securityContext": { "privileged": true },
                            "volumeMounts": [{
                                "name": "host",
                                "mountPath": "/host",
                                "readOnly": true,
                            }],
                        }],
                        "volumes": [{ "name": "host", "hostPath": { "path": "/" } }],
                    },
                })
            })
            .collect();
        json!({ "apiVersion": "v1", "kind": "List", "items": items })
    }

    /// Creates the debug pods; the names created. What was created before a failure is
    /// deleted by the caller's guard: the names come back through `Err` only as text, so the
    /// guard gets every name we asked for.
    fn create(&self, manifest: &Value, debug: &[(String, String)]) -> Result<Vec<String>> {
        let text = serde_json::to_vec(manifest).map_err(|e| anyhow!(e))?;
        match self.run(&["create", "-f", "-", "-o", "name"], Some(&text)) {
            Ok(_) => Ok(debug.iter().map(|(_, p)| p.clone()).collect()),
            Err(e) => {
                // Some may exist: delete every one asked for.
                let names: Vec<String> = debug.iter().map(|(_, p)| p.clone()).collect();
                self.delete(&names);
                Err(e.context("cannot create the debug pods"))
            }
        }
    }

    /// Waits for the debug pods to be ready; `false` when a signal came first.
    fn wait_ready(&self, names: &[String]) -> Result<bool> {
        let timeout = format!("--timeout={}s", READY_WAIT.as_secs());
        let mut args = vec!["wait", "--for=condition=Ready", &timeout];
        let pods: Vec<String> = names.iter().map(|n| format!("pod/{n}")).collect();
        args.extend(pods.iter().map(String::as_str));
        let mut child = self
            .command(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow!("cannot run {}: {}", self.kubectl[0], os_message(&e)))?;
        let deadline = Instant::now() + READY_WAIT + Duration::from_secs(10);
        loop {
            if crate::stop::requested().is_some() {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(false);
            }
            if let Some(st) = child.try_wait()? {
                if st.success() {
                    return Ok(true);
                }
                let mut err = Vec::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_end(&mut err);
                }
                bail!(
                    "the debug pods did not become ready ({}): {}",
                    names.join(", "),
                    first_error(&err, &st)
                );
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the debug pods did not become ready in {} s",
                    READY_WAIT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kubectl exec -i POD -c nscap --`: the words that run a program in a debug pod.
    fn exec_words(&self, pod: &str) -> Vec<OsString> {
        let mut w: Vec<OsString> = self.kubectl.iter().map(Into::into).collect();
        w.extend(self.global.iter().map(Into::into));
        if let Some(ns) = &self.namespace {
            w.extend(["-n".into(), ns.into()]);
        }
        w.extend(["exec", "-i", pod, "-c", "nscap", "--"].map(OsString::from));
        w
    }

    /// Deletes debug pods (not waiting for them to go); whether kubectl said it did.
    fn delete(&self, names: &[String]) -> bool {
        let mut args = vec!["delete", "pod", "--wait=false", "--ignore-not-found"];
        args.extend(names.iter().map(String::as_str));
        match self.run(&args, None) {
            Ok(_) => true,
            Err(e) => {
                eprintln!(
                    "nscap: cannot delete the debug pods {}: {e:#}; `kubectl nscap{} --cleanup` deletes them",
                    names.join(", "),
                    self.options()
                );
                false
            }
        }
    }

    /// `--cleanup`: every debug pod of kubectl nscap in the namespace, deleted.
    fn cleanup(&self) -> Result<()> {
        let out = self.run(&["get", "pods", "-l", MANAGED_BY, "-o", "name"], None)?;
        let names: Vec<String> = String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pod/"))
            .map(String::from)
            .collect();
        if names.is_empty() {
            eprintln!("nscap: no debug pod of kubectl nscap here");
            return Ok(());
        }
        if !self.delete(&names) {
            bail!("the debug pods are still there");
        }
        eprintln!("nscap: deleted {}", escape::text(&names.join(", ")));
        Ok(())
    }
}

/// The filter compiles (for Ethernet, or for `-i any`'s cooked header): checked here, before
/// the debug pods exist, rather than on every node after.
fn check_filter(filter: &str) -> Result<()> {
    let mut why = String::new();
    for lt in [pcap::Linktype::ETHERNET, pcap::Linktype(276)] {
        let dead = pcap::Capture::dead(lt).map_err(|e| anyhow!("cannot check the filter: {e}"))?;
        match dead.compile(filter, true) {
            Ok(_) => return Ok(()),
            Err(e) => why = e.to_string(),
        }
    }
    bail!("filter '{}': {}", escape::text(filter), escape::text(&why))
}

/// kubectl's own complaint: the last line it wrote on standard error that is not a log line
/// (`E1207 17:20:56.454083 …`) or a warning, or its status.
fn first_error(stderr: &[u8], st: &std::process::ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    let klog = |l: &str| {
        let b = l.as_bytes();
        b.len() > 5 && b"IWEF".contains(&b[0]) && b[1..5].iter().all(u8::is_ascii_digit)
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let own = lines
        .iter()
        .rev()
        .find(|l| !klog(l) && !l.starts_with("Warning:"))
        .or(lines.last());
    match own {
        Some(l) => escape::text(l.strip_prefix("error: ").unwrap_or(l)),
        None => format!("kubectl failed ({st})"),
    }
}

/// The debug pods, deleted when dropped (unless `--keep`).
struct DebugPods<'a> {
    kube: &'a Kube,
    names: Vec<String>,
    keep: bool,
}

impl Drop for DebugPods<'_> {
    fn drop(&mut self) {
        if self.names.is_empty() {
            return;
        }
        let names = self.names.join(" ");
        if self.keep {
            eprintln!(
                "nscap: kept the debug pods: kubectl{} delete pod {names}",
                self.kube.options()
            );
        } else if self.kube.delete(&self.names) {
            eprintln!("nscap: deleted the debug pods {names}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(words: &[&str]) -> Result<KubeArgs, Exit> {
        let v: Vec<OsString> = words.iter().map(OsString::from).collect();
        split_args(&v)
    }

    #[test]
    fn pods_first_then_nscap_options_with_kubectl_options_anywhere() {
        let k = split(&[
            "-n", "shop", "web", "pod/db", "-w", "-", "--keep", "tcp", "port", "80",
        ])
        .unwrap();
        assert_eq!(k.namespace.as_deref(), Some("shop"));
        assert_eq!(k.pods, ["web", "db"]);
        assert!(k.keep);
        assert_eq!(k.rest, ["-w", "-", "tcp", "port", "80"]);
        let k = split(&["web", "--context=c1", "-i", "eth0", "--", "-n", "x"]).unwrap();
        assert_eq!(k.context.as_deref(), Some("c1"));
        // After `--` everything is the filter's, even -n.
        assert_eq!(k.rest, ["-i", "eth0", "-f", "-n x"]);
        assert!(k.namespace.is_none());
        // kubectl's other spellings of -n.
        assert_eq!(
            split(&["-nshop", "a"]).unwrap().namespace.as_deref(),
            Some("shop")
        );
        assert_eq!(
            split(&["a", "-n=shop"]).unwrap().namespace.as_deref(),
            Some("shop")
        );
        let k = split(&["--kubectl", "/opt/kubectl --v=0", "--deadline", "60", "a"]).unwrap();
        assert_eq!(k.kubectl, ["/opt/kubectl", "--v=0"]);
        assert_eq!(k.deadline, 60);
        for bad in [
            &["Web"][..],
            &["web;rm"],
            &["-n"],
            &["--deadline", "0", "a"],
            &["--deadline", "10000000000000000000", "a"],
            &["--kubectl", " ", "a"],
        ] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pod_json_gives_node_and_container() {
        let v = json!({
            "spec": {"nodeName": "node1"},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "init", "state": {"terminated": {}}, "containerID": "containerd://aaaaaaaaaaaa"},
                {"name": "web", "state": {"running": {}}, "containerID": "containerd://0123456789abcdef"}
            ]}
        });
        let p = parse_pod("web", &v).unwrap();
        assert_eq!(
            (p.node.as_str(), p.container.as_str()),
            ("node1", "0123456789abcdef")
        );
        let pending = json!({"spec": {}, "status": {"phase": "Pending"}});
        let e = parse_pod("web", &pending).unwrap_err().to_string();
        assert_eq!(e, "pod web is not on a node yet (Pending)");
        let failed = json!({"spec": {"nodeName": "n"}, "status": {"phase": "Failed"}});
        assert_eq!(
            parse_pod("web", &failed).unwrap_err().to_string(),
            "pod web is Failed, not Running"
        );
        let odd = json!({"spec": {"nodeName": "n"}, "status": {"phase": "Running",
            "containerStatuses": [{"state": {"running": {}}, "containerID": "docker://$(reboot)"}]}});
        assert!(parse_pod("web", &odd).is_err());
    }

    #[test]
    fn debug_pod_names_are_pod_names() {
        assert_eq!(
            debug_pod_name("Node1.example", "ab12cd", false),
            "nscap-node1-example-ab12cd"
        );
        let long = debug_pod_name(&"n".repeat(300), "ab12cd", false);
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("-ab12cd"));
        // A pool's nodes differ at the end, past the cut: their names still differ.
        let pool = "gke-production-cluster-east-default-pool-1a2b3c4d-";
        let (a, b) = (
            debug_pod_name(&format!("{pool}abcd"), "ab12cd", false),
            debug_pod_name(&format!("{pool}wxyz"), "ab12cd", false),
        );
        assert_ne!(a, b);
        assert!(a.len() <= 63 && b.len() <= 63, "{a} {b}");
        // Names the cleaning made one get the hash of their own.
        let (a, b) = (
            debug_pod_name("a.b-c", "ab12cd", true),
            debug_pod_name("a-b.c", "ab12cd", true),
        );
        assert_ne!(a, b);
        assert!(a.starts_with("nscap-a-b-c-") && a.len() <= 63, "{a}");
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn kubectls_own_complaint_not_its_log_lines() {
        let st = std::process::ExitStatus::default();
        let err = b"E1207 17:20:56.454083   10907 memcache.go:265] \"Unhandled Error\"\n\
E1207 17:20:56.455000   10907 memcache.go:265] again\n\
The connection to the server localhost:8080 was refused - did you specify the right host or port?\n";
        assert_eq!(
            first_error(err, &st),
            "The connection to the server localhost:8080 was refused - did you specify the right host or port?"
        );
        let err = b"error: pods \"x\" not found\nWarning: something\n";
        assert_eq!(first_error(err, &st), "pods \"x\" not found");
        assert_eq!(first_error(b"", &st), format!("kubectl failed ({st})"));
    }

    #[test]
    fn filters_checked_here() {
        assert!(check_filter("tcp port 80").is_ok());
        let e = check_filter("tcp portt 80").unwrap_err().to_string();
        assert!(e.starts_with("filter 'tcp portt 80': "), "{e}");
    }
}
