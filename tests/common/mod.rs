//! Throwaway worlds for end-to-end tests: network namespaces, veth pairs, target processes, and
//! nscap itself, each removed by a guard's Drop even when the test fails.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn nscap_bin() -> &'static str {
    env!("CARGO_BIN_EXE_nscap")
}

/// A short name unique to this test process and call: `<prefix><pid%10000><n>` (≤ 15 chars).
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = format!("{prefix}{}x{n}", std::process::id() % 100_000);
    assert!(name.len() <= 15, "interface name too long: {name}");
    name
}

/// Runs a command that must succeed; panics with its stderr otherwise.
pub fn sh(cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    assert!(
        out.status.success(),
        "`{cmd}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A named network namespace (`ip netns add`), deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(prefix: &str) -> Netns {
        let name = unique(prefix);
        sh(&format!("ip netns add {name}"));
        sh(&format!("ip -n {name} link set lo up"));
        Netns { name }
    }

    pub fn path(&self) -> String {
        format!("/run/netns/{}", self.name)
    }

    /// `ip netns exec NAME sh -c CMD` as a string, for spawning.
    pub fn exec(&self, cmd: &str) -> String {
        format!("ip netns exec {} sh -c '{}'", self.name, cmd)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}

/// A child process killed and reaped on drop (its process group too, so `sh -c` children die).
pub struct Proc {
    pub child: Child,
}

impl Proc {
    pub fn spawn(cmd: &str) -> Proc {
        use std::os::unix::process::CommandExt;
        let child = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        Proc { child }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn kill(&mut self) {
        // SAFETY: signalling our own child's process group.
        unsafe { libc::kill(-self.pid(), libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until `pid`'s network namespace differs from ours (the target has entered its own).
pub fn wait_ns_change(pid: i32, kind: &str) {
    let mine = std::fs::read_link(format!("/proc/self/ns/{kind}")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(l) = std::fs::read_link(format!("/proc/{pid}/ns/{kind}")) {
            if l != mine {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid} never left our {kind} namespace"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Finds the single descendant of `pid` that runs `comm` (e.g. the `sleep` under `sh` under `ip`).
pub fn descendant(pid: i32, comm: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut stack = vec![pid];
        while let Some(p) = stack.pop() {
            if std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == comm) {
                return p;
            }
            if let Ok(kids) = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")) {
                stack.extend(
                    kids.split_whitespace()
                        .filter_map(|k| k.parse::<i32>().ok()),
                );
            }
        }
        assert!(Instant::now() < deadline, "no `{comm}` under pid {pid}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Two namespaces joined by a veth pair: `peer` (10.77.N.1) and the target's (10.77.N.2), with a
/// sleeping target process inside the latter. The target's end is named `eth0`, like a
/// container's, whatever the host has under that name. No address or route touches the host.
pub struct World {
    pub target: Proc,
    pub target_pid: i32,
    pub ns: Netns,
    pub peer: Netns,
    pub peer_ip: String,
    pub target_ip: String,
    pub peer_if: String,
}

impl World {
    pub fn new() -> World {
        Self::with_target_cmd("sleep 600")
    }

    /// `cmd` runs inside the target namespace; its `sleep` descendant is the target PID.
    pub fn with_target_cmd(cmd: &str) -> World {
        static SUBNET: AtomicU32 = AtomicU32::new(0);
        let n = (std::process::id() + SUBNET.fetch_add(1, Ordering::Relaxed)) % 250 + 1;
        let ns = Netns::new("nsct");
        let peer = Netns::new("nscp");
        let peer_if = unique("vp");
        let tmp_if = unique("vt");
        sh(&format!(
            "ip link add {peer_if} netns {p} type veth peer name {tmp_if} netns {t} && \
             ip -n {t} link set {tmp_if} name eth0 && \
             ip -n {p} addr add 10.77.{n}.1/24 dev {peer_if} && \
             ip -n {t} addr add 10.77.{n}.2/24 dev eth0 && \
             ip -n {p} link set {peer_if} up && ip -n {t} link set eth0 up",
            p = peer.name,
            t = ns.name
        ));
        let target = Proc::spawn(&format!("exec {}", ns.exec(cmd)));
        let target_pid = descendant(target.pid(), "sleep");
        wait_ns_change(target_pid, "net");
        World {
            target,
            target_pid,
            ns,
            peer,
            peer_ip: format!("10.77.{n}.1"),
            target_ip: format!("10.77.{n}.2"),
            peer_if,
        }
    }

    /// Pings the target from the peer namespace: `count` echo requests, 10 ms apart.
    pub fn ping(&self, count: u32) {
        sh(&self.peer.exec(&format!(
            "ping -q -c {count} -i 0.01 -W 1 {} >/dev/null",
            self.target_ip
        )));
    }

    /// Pings in the background until the returned guard drops.
    pub fn ping_forever(&self) -> Proc {
        Proc::spawn(
            &self
                .peer
                .exec(&format!("ping -q -i 0.05 {}", self.target_ip)),
        )
    }
}

/// nscap running in the background, its stderr read line by line.
pub struct Nscap {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub stderr: Vec<String>,
}

impl Nscap {
    pub fn spawn(args: &[&str]) -> Nscap {
        Self::spawn_with(args, Stdio::null())
    }

    pub fn spawn_with(args: &[&str], stdout: Stdio) -> Nscap {
        let mut child = Command::new(nscap_bin())
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Nscap {
            child,
            lines,
            stderr: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `needle` (e.g. "listening on").
    pub fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l.contains(needle);
                    self.stderr.push(l);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!("no stderr line with {needle:?}; got {:?}", self.stderr),
            }
        }
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// Waits (at most `secs`) for exit; returns the exit code and every stderr line.
    pub fn finish(mut self, secs: u64) -> (Option<i32>, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "nscap did not exit within {secs}s; stderr {:?}",
                    self.stderr
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.stderr.push(l);
        }
        (status.code(), std::mem::take(&mut self.stderr))
    }
}

impl Drop for Nscap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs nscap to completion.
pub fn nscap(args: &[&str]) -> Output {
    Command::new(nscap_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!("nscap-test-{}", unique("")));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `tshark -r FILE -T fields -e FIELDS`, one line per packet.
pub fn tshark_fields(file: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-r", file, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark failed on {file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// `capinfos -M -T -r` field map: "File type", "Number of packets", ...
pub fn capinfos(file: &str) -> std::collections::HashMap<String, String> {
    let out = Command::new("capinfos")
        .args(["-M", file])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "capinfos failed on {file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// `n` random lowercase hex digits (container IDs, pod UIDs): unique across parallel tests.
pub fn random_hex(n: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; n.div_ceil(2)];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex[..n].to_string()
}

/// Where a cgroup hierarchy is mounted: the cgroup2 one (`None`), or the v1 one whose mount
/// options include `option` (`pids`, `name=systemd`).
pub fn cgroup_mount(option: Option<&str>) -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        let mut r = right.split_whitespace();
        let fstype = r.next()?;
        let opts = r.nth(1)?;
        let mount = left.split_whitespace().nth(4)?;
        let hit = match option {
            None => fstype == "cgroup2",
            Some(o) => fstype == "cgroup" && opts.split(',').any(|x| x == o),
        };
        hit.then(|| PathBuf::from(mount))
    })
}

/// A throwaway cgroup tree `<mount>/nscap-test-<unique>/...`: runtimes' real directory names
/// under a test-unique parent. On drop its processes are moved back to the root and every
/// directory is removed, deepest first.
pub struct CgroupTree {
    pub mount: PathBuf,
    pub top: PathBuf,
}

impl CgroupTree {
    /// On the cgroup2 hierarchy.
    pub fn v2() -> CgroupTree {
        Self::on(cgroup_mount(None).expect("a cgroup2 hierarchy is mounted"))
    }

    /// On the v1 hierarchy mounted with `option`, when there is one.
    pub fn v1(option: &str) -> Option<CgroupTree> {
        cgroup_mount(Some(option)).map(Self::on)
    }

    fn on(mount: PathBuf) -> CgroupTree {
        let top = mount.join(format!("nscap-test-{}", unique("")));
        std::fs::create_dir(&top).unwrap();
        CgroupTree { mount, top }
    }

    /// `<top>/<rel>`, created.
    pub fn dir(&self, rel: &str) -> PathBuf {
        let d = self.top.join(rel);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Moves `pid` into `<top>/<rel>`.
    pub fn add(&self, rel: &str, pid: i32) {
        std::fs::write(self.dir(rel).join("cgroup.procs"), pid.to_string()).unwrap();
    }

    /// Runs `cmd` (via `sh -c`, which execs it) inside `<top>/<rel>` from its first instruction,
    /// so everything it starts is in there too.
    pub fn spawn(&self, rel: &str, cmd: &str) -> Proc {
        let procs = self.dir(rel).join("cgroup.procs");
        Proc::spawn(&format!("echo $$ > {} && exec {cmd}", procs.display()))
    }

    /// The path a process inside `<top>/<rel>` sees in /proc/PID/cgroup.
    pub fn cgroup_path(&self, rel: &str) -> String {
        format!(
            "/{}",
            self.top
                .join(rel)
                .strip_prefix(&self.mount)
                .unwrap()
                .display()
        )
    }
}

impl Drop for CgroupTree {
    fn drop(&mut self) {
        let mut dirs = Vec::new();
        let mut stack = vec![self.top.clone()];
        while let Some(d) = stack.pop() {
            if let Ok(rd) = std::fs::read_dir(&d) {
                stack.extend(
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.path()),
                );
            }
            dirs.push(d);
        }
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        let root_procs = self.mount.join("cgroup.procs");
        for d in dirs {
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                if let Ok(pids) = std::fs::read_to_string(d.join("cgroup.procs")) {
                    for pid in pids.split_whitespace() {
                        let _ = std::fs::write(&root_procs, pid);
                    }
                }
                if std::fs::remove_dir(&d).is_ok() || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
