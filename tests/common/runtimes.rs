//! Real Docker, Podman and containerd containers: an image built locally from Debian's
//! busybox-static (no registry), containers with test-unique names removed by a guard's Drop.
//!
//! A runtime that cannot be started fails the test with the reason: a machine without Docker
//! must not look like a machine where Docker works.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{nscap_bin, unique, TempDir};

/// The image every test container runs: busybox, plus the libraries nscap links against, so
/// that the nscap under test runs inside it too.
pub const IMAGE: &str = "nscap-test-busybox";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    /// Debian's client first: another `docker` may come first on PATH.
    pub fn cli(self) -> &'static str {
        match self {
            Engine::Docker if Path::new("/usr/bin/docker").exists() => "/usr/bin/docker",
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Podman => "podman",
        }
    }

    /// What `run` needs on these machines: crun refuses hybrid cgroups, and the default
    /// rlimits cannot be raised here.
    fn run_options(self) -> &'static [&'static str] {
        match self {
            Engine::Docker => &[],
            Engine::Podman => &[
                "--runtime",
                "runc",
                "--ulimit",
                "nofile=1024:1024",
                "--ulimit",
                "nproc=1024:1024",
            ],
        }
    }

    /// The engine's CLI, killed if it runs longer than [`RUNTIME_SECONDS`].
    pub fn command(self) -> Command {
        bounded(self.cli())
    }

    /// Runs the engine's CLI; its stdout, trimmed, or a panic with its stderr.
    pub fn ok(self, args: &[&str]) -> String {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} {args:?}: {e}", self.cli()));
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}",
            self.cli(),
            failure(&out)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The engine answers and [`IMAGE`] is imported: done once per test binary, and every
    /// test asking again gets the same verdict.
    pub fn ready(self) {
        static DOCKER: OnceLock<Result<(), String>> = OnceLock::new();
        static PODMAN: OnceLock<Result<(), String>> = OnceLock::new();
        let slot = match self {
            Engine::Docker => &DOCKER,
            Engine::Podman => &PODMAN,
        };
        if let Err(why) = slot.get_or_init(|| self.prepare()) {
            panic!("{} is not usable here: {why}", self.name());
        }
    }

    fn prepare(self) -> Result<(), String> {
        match self {
            Engine::Docker => {
                start_daemons()?;
            }
            Engine::Podman => {
                let out = self
                    .command()
                    .args(["info", "--format", "{{.Host.OCIRuntime.Name}}"])
                    .output()
                    .map_err(|e| {
                        format!("cannot run podman (scripts/setup.sh installs it): {e}")
                    })?;
                if !out.status.success() {
                    return Err(format!("podman info failed: {}", failure(&out)));
                }
            }
        }
        let rootfs = rootfs()?;
        let mut tar = Command::new("tar")
            .args(["-C"])
            .arg(&rootfs.0)
            .args(["-c", "."])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        let out = self
            .command()
            .args(["import", "-", IMAGE])
            .stdin(tar.stdout.take().ok_or("tar has no stdout")?)
            .output()
            .map_err(|e| format!("cannot run {} import: {e}", self.cli()))?;
        let _ = tar.wait();
        if !out.status.success() {
            return Err(format!("{} import failed: {}", self.cli(), failure(&out)));
        }
        Ok(())
    }
}

/// How long one runtime command may take: a daemon that stops answering must fail the test
/// that asked, not hang the whole run.
pub const RUNTIME_SECONDS: u32 = 180;

/// `PROGRAM`, run under coreutils' `timeout` (status 124 when it had to be killed).
fn bounded(program: &str) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "10", &RUNTIME_SECONDS.to_string(), program]);
    cmd
}

/// Why a runtime command failed: its stderr, or that it was killed for taking too long.
fn failure(out: &std::process::Output) -> String {
    if out.status.code() == Some(124) {
        format!("no answer within {RUNTIME_SECONDS} s")
    } else {
        String::from_utf8_lossy(&out.stderr).trim().to_string()
    }
}

/// containerd and dockerd answer (scripts/runtimes.sh starts them when nothing else did).
fn start_daemons() -> Result<(), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/runtimes.sh");
    let out = Command::new("sh")
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// busybox-static with its applets as links, and every library `ldd` names for nscap at the
/// same path (the dynamic loader included).
fn rootfs() -> Result<TempDir, String> {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        return Err("no /bin/busybox: install busybox-static (scripts/setup.sh does)".into());
    }
    let dir = TempDir::new();
    let root = dir.0.clone();
    for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "host"] {
        std::fs::create_dir_all(root.join(d)).map_err(|e| e.to_string())?;
    }
    std::fs::copy(busybox, root.join("bin/busybox")).map_err(|e| e.to_string())?;
    let list = Command::new(busybox)
        .arg("--list")
        .output()
        .map_err(|e| format!("busybox --list: {e}"))?;
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" && !applet.contains('/') {
            let _ = std::os::unix::fs::symlink("busybox", root.join("bin").join(applet));
        }
    }
    let ldd = Command::new("ldd")
        .arg(nscap_bin())
        .output()
        .map_err(|e| format!("ldd: {e}"))?;
    for lib in String::from_utf8_lossy(&ldd.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
    {
        let to = root.join(lib.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).map_err(|e| e.to_string())?;
        // Through the links: the image must hold the files, not links into the host.
        std::fs::copy(lib, &to).map_err(|e| format!("copy {lib}: {e}"))?;
    }
    Ok(dir)
}

/// Options that give a container what `--privileged` would where the machine allows less:
/// every capability this process holds (docker refuses to grant one missing from its bounding
/// set, as CAP_SYS_RESOURCE is on these machines), no seccomp or AppArmor filter.
pub fn privileged_options() -> Vec<String> {
    const NAMES: [&str; 41] = [
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_ADMIN",
        "NET_RAW",
        "IPC_LOCK",
        "IPC_OWNER",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_CHROOT",
        "SYS_PTRACE",
        "SYS_PACCT",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_NICE",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "MKNOD",
        "LEASE",
        "AUDIT_WRITE",
        "AUDIT_CONTROL",
        "SETFCAP",
        "MAC_OVERRIDE",
        "MAC_ADMIN",
        "SYSLOG",
        "WAKE_ALARM",
        "BLOCK_SUSPEND",
        "AUDIT_READ",
        "PERFMON",
        "BPF",
        "CHECKPOINT_RESTORE",
    ];
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap();
    if NAMES
        .iter()
        .enumerate()
        .all(|(bit, _)| bounding >> bit & 1 == 1)
    {
        return vec!["--privileged".into()];
    }
    let mut v: Vec<String> = [
        "--cap-add",
        "ALL",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "apparmor=unconfined",
    ]
    .map(String::from)
    .to_vec();
    for (bit, name) in NAMES.iter().enumerate() {
        if bounding >> bit & 1 == 0 {
            v.push("--cap-drop".into());
            v.push((*name).into());
        }
    }
    v
}

/// A running container, removed (with `rm -f`) on drop.
pub struct Container {
    pub engine: Engine,
    pub name: String,
    /// Full ID, 64 hex digits.
    pub id: String,
    /// Its init process, as the engine reports it.
    pub pid: i32,
}

impl Container {
    /// `ENGINE run -d --name <unique> OPTIONS IMAGE sleep 600`.
    pub fn start(engine: Engine, prefix: &str, options: &[&str]) -> Container {
        Self::start_cmd(engine, prefix, options, &["sleep", "600"])
    }

    pub fn start_cmd(engine: Engine, prefix: &str, options: &[&str], cmd: &[&str]) -> Container {
        engine.ready();
        let name = unique(prefix);
        let mut args = vec!["run", "-d", "--name", &name];
        args.extend(engine.run_options());
        args.extend(options);
        args.push(IMAGE);
        args.extend(cmd);
        // Removed even when `run` fails half-way (created, not started).
        let mut c = Container {
            engine,
            name: name.clone(),
            id: String::new(),
            pid: 0,
        };
        c.id = engine.ok(&args);
        c.pid = c.inspect("{{.State.Pid}}").parse().unwrap();
        assert!(c.pid > 0, "{} {name} has no PID", engine.name());
        c
    }

    /// `ENGINE inspect --format FORMAT NAME`.
    pub fn inspect(&self, format: &str) -> String {
        self.engine.ok(&["inspect", "--format", format, &self.name])
    }

    /// The address of eth0 as the engine reports it: `172.17.0.2/16`.
    pub fn address(&self) -> String {
        self.inspect("{{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}}")
    }

    /// `ENGINE exec NAME CMD...`: its stdout.
    pub fn exec(&self, cmd: &[&str]) -> String {
        let mut args = vec!["exec", &self.name];
        args.extend(cmd);
        self.engine.ok(&args)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // Docker kills at once; Podman would wait 10 s for a `sleep` that ignores SIGTERM.
        let args: &[&str] = match self.engine {
            Engine::Docker => &["rm", "-f"],
            Engine::Podman => &["rm", "-f", "-t", "0"],
        };
        let _ = self.engine.command().args(args).arg(&self.name).output();
    }
}

/// nscap's own binary, for mounting into a container.
pub fn nscap_path() -> PathBuf {
    PathBuf::from(nscap_bin())
}

/// containerd's namespace for test containers (Docker's are in `moby`, Kubernetes' in
/// `k8s.io`).
pub const CTR_NAMESPACE: &str = "nscap-test";

/// A containerd task made with `ctr run`: its ID is any string, and it is its only name.
pub struct CtrContainer {
    pub id: String,
    pub pid: i32,
}

fn ctr(args: &[&str]) -> Result<String, String> {
    let out = bounded("ctr")
        .args(["-n", CTR_NAMESPACE])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ctr (containerd's client): {e}"))?;
    if !out.status.success() {
        return Err(format!("ctr {args:?} failed: {}", failure(&out)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// [`IMAGE`] in containerd, from Docker's copy: done once per test binary.
fn ctr_ready() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let verdict = READY.get_or_init(|| {
        Engine::Docker.ready();
        let mut save = Engine::Docker
            .command()
            .args(["save", IMAGE])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run docker save: {e}"))?;
        let out = bounded("ctr")
            .args(["-n", CTR_NAMESPACE, "images", "import", "-"])
            .stdin(save.stdout.take().ok_or("docker save has no stdout")?)
            .output()
            .map_err(|e| format!("cannot run ctr: {e}"))?;
        let _ = save.wait();
        if !out.status.success() {
            return Err(format!("ctr images import failed: {}", failure(&out)));
        }
        Ok(())
    });
    if let Err(why) = verdict {
        panic!("containerd is not usable here: {why}");
    }
}

impl CtrContainer {
    /// `ctr run -d IMAGE <unique id> sleep 600`, in its own network namespace.
    pub fn start(prefix: &str) -> CtrContainer {
        ctr_ready();
        let mut c = CtrContainer {
            id: unique(prefix),
            pid: 0,
        };
        let image = format!("docker.io/library/{IMAGE}:latest");
        ctr(&["run", "-d", &image, &c.id, "sleep", "600"]).unwrap_or_else(|e| panic!("{e}"));
        let tasks = ctr(&["tasks", "ls"]).unwrap_or_else(|e| panic!("{e}"));
        c.pid = tasks
            .lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(c.id.as_str())).then(|| w.next()?.parse().ok())?
            })
            .unwrap_or_else(|| panic!("no task {} in {tasks}", c.id));
        c
    }
}

impl Drop for CtrContainer {
    fn drop(&mut self) {
        let _ = ctr(&["tasks", "kill", "-s", "SIGKILL", &self.id]);
        // The task must be gone before it can be deleted.
        for _ in 0..50 {
            if ctr(&["tasks", "rm", &self.id]).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = ctr(&["containers", "rm", &self.id]);
    }
}
