//! Inputs a hostile reviewer chose (issue 9): files, paths and processes built to make nscap
//! hang, slow down, mislead or write raw bytes to the terminal.

mod common;

use std::io;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use nscap::packet::{Interface, Packet};
use nscap::sink::Sink;

/// Runs nscap, killing it after `limit`: a hang is a test failure, not a stuck suite. Output
/// goes through files, so a full pipe cannot stall it.
fn nscap_within(args: &[&str], limit: Duration) -> Output {
    let tmp = TempDir::new();
    let (out, err) = (tmp.file("stdout"), tmp.file("stderr"));
    let mut child = Command::new(nscap_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nscap {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: std::fs::read(out).unwrap(),
        stderr: std::fs::read(err).unwrap(),
    }
}

/// pcapng written by hand, little-endian, so names and timestamps can be anything.
mod ng {
    fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&total.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&[0; 3][..pad]);
        out.extend_from_slice(&total.to_le_bytes());
    }

    pub fn section() -> Vec<u8> {
        let mut body = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        let mut out = Vec::new();
        block(&mut out, 0x0a0d_0d0a, &body);
        out
    }

    fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
        body.extend_from_slice(&code.to_le_bytes());
        body.extend_from_slice(&(value.len() as u16).to_le_bytes());
        body.extend_from_slice(value);
        body.extend_from_slice(&[0; 3][..(4 - value.len() % 4) % 4]);
    }

    /// An interface block with link type `linktype` and option if_name `name`.
    pub fn interface(out: &mut Vec<u8>, linktype: u16, name: &[u8]) {
        interface_with(out, linktype, name, None);
    }

    /// The same, with an if_tsresol option when `tsresol` is given.
    pub fn interface_with(out: &mut Vec<u8>, linktype: u16, name: &[u8], tsresol: Option<u8>) {
        let mut body = linktype.to_le_bytes().to_vec();
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&65535u32.to_le_bytes());
        option(&mut body, 2, name);
        if let Some(r) = tsresol {
            option(&mut body, 9, &[r]);
        }
        option(&mut body, 0, &[]);
        block(out, 1, &body);
    }

    /// An enhanced packet block on interface `id` at `ticks` (microseconds by default).
    pub fn packet(out: &mut Vec<u8>, id: u32, ticks: u64, data: &[u8]) {
        let mut body = id.to_le_bytes().to_vec();
        body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ticks as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        block(out, 6, &body);
    }
}

/// A raw-IP (link type 101) IPv4 header, protocol 99, 1.2.3.4 > 5.6.7.8.
const RAW_IP: [u8; 20] = [
    0x45, 0, 0, 20, 0, 0, 0, 0, 64, 99, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
];

/// `n` interfaces, each declared just before the one packet it carries.
fn interleaved(n: u32) -> Vec<u8> {
    let mut f = ng::section();
    for i in 0..n {
        ng::interface(&mut f, 101, format!("if{i}").as_bytes());
        ng::packet(&mut f, i, u64::from(i), &RAW_IP);
    }
    f
}

/// Counts the interfaces and packets handed to it, however they come.
#[derive(Clone, Default)]
struct Count {
    interfaces: Arc<AtomicUsize>,
    packets: Arc<AtomicUsize>,
}

impl Sink for Count {
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()> {
        self.interfaces.fetch_add(interfaces.len(), Relaxed);
        Ok(())
    }
    fn add_interfaces(&mut self, added: &[Interface]) -> io::Result<()> {
        self.interfaces.fetch_add(added.len(), Relaxed);
        Ok(())
    }
    fn packet(&mut self, _pkt: &Packet<'_>) -> io::Result<()> {
        self.packets.fetch_add(1, Relaxed);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Each interface reaches the sinks once: handing them the whole table at every new interface
/// block made `-r` quadratic (80 000 interfaces took a minute, tcpdump 0.2 s).
#[test]
fn many_interfaces_are_handed_to_sinks_once_each() {
    let n = 100_000;
    let file = interleaved(n);
    let Ok(cfg) = nscap::cli::parse(["nscap", "-r", "-"].map(Into::into)) else {
        panic!("-r - is a valid command line");
    };
    let count = Count::default();
    nscap::cmd::read::print_file(
        &cfg,
        std::io::Cursor::new(file),
        vec![Box::new(count.clone())],
    )
    .unwrap();
    assert_eq!(count.packets.load(Relaxed), n as usize);
    assert_eq!(count.interfaces.load(Relaxed), n as usize);
}

/// The same file through the binary: every packet printed under its own interface's name.
/// The limit is generous (the fixed reader takes well under a second in a debug build; the
/// quadratic one took minutes).
#[test]
fn many_interfaces_read_end_to_end() {
    let n = 100_000;
    let tmp = TempDir::new();
    let path = tmp.file("many-interfaces.pcapng");
    std::fs::write(&path, interleaved(n)).unwrap();
    let out = nscap_within(&["-r", &path, "--tt"], Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), n as usize);
    assert_eq!(
        text.lines().last().unwrap(),
        "0.099999 if99999 IP 1.2.3.4 > 5.6.7.8:  ip-proto-99 0"
    );
}

/// Seeds for `fuzz/run.sh`: a pcapng whose interfaces arrive between packets, one with a hostile
/// interface name, one with the largest timestamp.
#[test]
fn writes_fuzz_seeds() {
    let read = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/read");
    std::fs::create_dir_all(&read).unwrap();
    let mut f = ng::section();
    ng::interface(&mut f, 101, b"tun0");
    ng::packet(&mut f, 0, 1, &RAW_IP);
    ng::interface(&mut f, 101, b"tun1");
    ng::packet(&mut f, 1, 2, &RAW_IP);
    ng::packet(&mut f, 0, 3, &RAW_IP);
    ng::interface(&mut f, 101, b"tun2");
    ng::packet(&mut f, 2, 4, &RAW_IP);
    std::fs::write(read.join("interleaved-interfaces.pcapng"), f).unwrap();
    let mut f = ng::section();
    ng::interface(&mut f, 101, HOSTILE_NAME);
    ng::packet(&mut f, 0, 1, &RAW_IP);
    std::fs::write(read.join("hostile-name.pcapng"), f).unwrap();
    std::fs::write(read.join("largest-time.pcapng"), largest_time()).unwrap();
    // Each seed is what it claims to be: the reader takes it whole.
    for (seed, lines) in [
        ("interleaved-interfaces.pcapng", 4),
        ("hostile-name.pcapng", 1),
        ("largest-time.pcapng", 1),
    ] {
        let path = read.join(seed);
        let out = nscap(&["-r", path.to_str().unwrap()]);
        assert!(out.status.success(), "{seed}: {out:?}");
        assert_eq!(
            out.stdout.iter().filter(|&&b| b == b'\n').count(),
            lines,
            "{seed}"
        );
    }
}

/// One line on stderr, exit 1: the shape of every refusal.
fn refused(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// A FIFO named as a namespace file is refused at once: opening it for reading used to wait
/// for a writer forever, in capture and in exec mode alike.
#[test]
fn a_fifo_is_not_a_namespace_file() {
    let tmp = TempDir::new();
    let fifo = tmp.file("fifo");
    sh(&format!("mkfifo {fifo}"));
    let limit = Duration::from_secs(20);
    let err = refused(&nscap_within(&["-t", &fifo, "-D"], limit));
    assert_eq!(err, format!("nscap: {fifo} is not a namespace file\n"));
    let err = refused(&nscap_within(&["exec", "-t", &fifo, "true"], limit));
    assert_eq!(err, format!("nscap exec: {fifo} is not a namespace file\n"));
    // nsenter's own words for any other file given to --net (nsenter itself hangs on a FIFO).
    for net in [format!("--net={fifo}"), format!("-n{fifo}")] {
        let err = refused(&nscap_within(&["exec", &net, "true"], limit));
        assert_eq!(
            err,
            "nscap exec: reassociate to namespace 'ns/net' failed: Invalid argument\n"
        );
    }
}

/// An interface name holding a newline and a colour escape.
const HOSTILE_NAME: &[u8] = b"eth\n\x1b[31m";
const HOSTILE_SHOWN: &str = "eth\\010\\027[31m";

/// A file's interface names reach the terminal escaped, in summaries and in JSON (where the
/// escaped name is then JSON-escaped, not raw).
#[test]
fn interface_names_from_files_are_escaped() {
    let mut f = ng::section();
    ng::interface(&mut f, 101, HOSTILE_NAME);
    ng::interface(&mut f, 101, b"tun0");
    ng::packet(&mut f, 0, 1, &RAW_IP);
    ng::packet(&mut f, 1, 2, &RAW_IP);
    let tmp = TempDir::new();
    let path = tmp.file("hostile-name.pcapng");
    std::fs::write(&path, f).unwrap();

    let out = nscap(&["-r", &path, "--tt"]);
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b), "raw escape byte in output");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        format!(
            "0.000001 {HOSTILE_SHOWN} IP 1.2.3.4 > 5.6.7.8:  ip-proto-99 0\n\
             0.000002 tun0 IP 1.2.3.4 > 5.6.7.8:  ip-proto-99 0\n"
        )
    );

    let out = nscap(&["-r", &path, "--json"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["interface"], HOSTILE_SHOWN);
}

/// Linux accepts control bytes in interface names (not `/`, `:` or white space): such a name in
/// another namespace is escaped by `-D` and `nscap list`.
#[test]
fn interface_names_from_namespaces_are_escaped() {
    let ns = Netns::new("esc");
    let peer = unique("vp");
    sh(&format!(
        "ip -n {} link add {peer} type veth peer name v1",
        ns.name
    ));
    sh(&format!(
        "ip -n {} link set {peer} name \"$(printf 'a\\033[31mb')\"",
        ns.name
    ));
    let shown = "a\\027[31mb";

    let out = nscap(&["-t", &ns.path(), "-D"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.contains(&0x1b), "raw escape byte in -D");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.contains(&format!(".{shown} ["))),
        "{text}"
    );

    let out = nscap(&["-t", &ns.path(), "-i", "nope", "-c", "1"]);
    assert!(!out.stderr.contains(&0x1b), "raw escape byte in the error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(shown), "{err}");

    // A capture on it: every line on the terminal escaped, the file keeps the name whole.
    let d = TempDir::new();
    let f = d.file("odd.pcapng");
    let raw = "a\x1b[31mb";
    sh(&format!(
        "ip -n {n} link set v1 up && ip -n {n} link set \"$(printf 'a\\033[31mb')\" up",
        n = ns.name
    ));
    let mut n = Nscap::spawn(&["-t", &ns.path(), "-i", raw, "-i", "lo", "-w", &f]);
    n.wait_for("listening on");
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
    assert!(err.iter().all(|l| !l.contains('\x1b')), "{err:?}");
    assert!(err.iter().any(|l| l.contains(shown)), "{err:?}");
    let file = std::fs::read(&f).unwrap();
    assert!(
        file.windows(raw.len()).any(|w| w == raw.as_bytes()),
        "the file names the interface as the namespace does"
    );
    let out = nscap(&["list"]);
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b), "raw escape byte in list");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&ns.name))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(shown), "{line}");
}

/// A thread ID names its thread's namespace, and the capture watches its process: the thread
/// itself cannot be watched (pidfd_open refuses it), which used to fail the capture although
/// `-D` accepted the same ID.
#[test]
fn a_thread_id_is_a_target() {
    let ns = Netns::new("thr");
    let mut target = Proc::spawn(&ns.exec(
        "exec python3 -c \"import threading,time; \
         threading.Thread(target=time.sleep,args=(60,)).start(); time.sleep(60)\"",
    ));
    let pid = target.descendant("python3");
    wait_ns_change(pid, "net");
    let deadline = Instant::now() + Duration::from_secs(10);
    let tid = loop {
        let tasks: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        if let Some(&t) = tasks.iter().find(|&&t| t != pid) {
            break t;
        }
        assert!(Instant::now() < deadline, "no second thread in {pid}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let tid = tid.to_string();
    let mut cap = Nscap::spawn(&["-t", &tid, "-i", "lo", "-c", "1"]);
    cap.wait_for("listening on");
    sh(&ns.exec("ping -q -c 3 -i 0.2 127.0.0.1 >/dev/null"));
    let (code, stderr) = cap.finish(20);
    assert_eq!(code, Some(0), "{stderr:?}");
}

/// Runs a copy of nscap (one nobody can reach, wherever the build tree is) as nobody with
/// `caps` (setpriv's `+cap,...`, or `-all`) inherited and ambient.
fn nscap_as_nobody(caps: &str, args: &[&str]) -> Output {
    nscap_as_nobody_with(caps, args, &[])
}

/// [`nscap_as_nobody`] with `env` added to nscap's environment.
fn nscap_as_nobody_with(caps: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let d = TempDir::new();
    let bin = d.file("nscap");
    std::fs::copy(nscap_bin(), &bin).unwrap();
    sh(&format!("chmod 755 {} {bin}", d.0.display()));
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(format!("--inh-caps={caps}"));
    if caps != "-all" {
        cmd.arg(format!("--ambient-caps={caps}"));
    }
    cmd.arg(&bin)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Opening another user's /proc/PID/ns/net needs ptrace access (CAP_SYS_PTRACE); entering it
/// needs CAP_SYS_ADMIN. The message names what is missing, not always CAP_SYS_ADMIN.
#[test]
fn the_missing_capability_is_named() {
    let w = World::new();
    let pid = w.target_pid.to_string();
    let err = refused(&nscap_as_nobody("+sys_admin", &["-t", &pid, "-D"]));
    assert_eq!(
        err,
        format!(
            "nscap: pid {pid}: permission denied: nscap lacks CAP_SYS_PTRACE \
             (needed for another user's process)\n"
        )
    );
    let err = refused(&nscap_as_nobody("-all", &["-t", &pid, "-D"]));
    assert!(
        err.contains("lacks CAP_SYS_PTRACE and CAP_SYS_ADMIN"),
        "{err}"
    );
    // With ptrace access but no CAP_SYS_ADMIN, the open works and setns is refused.
    let err = refused(&nscap_as_nobody("+sys_ptrace", &["-t", &pid, "-D"]));
    assert!(err.contains("needs CAP_SYS_ADMIN"), "{err}");
    assert!(!err.contains("CAP_SYS_PTRACE"), "{err}");
}

/// A timestamp of 2^64-1 whole seconds does not fit the signed time every printer takes: it
/// saturates instead of wrapping to -1; summary lines say what tcpdump says of it.
#[test]
fn the_largest_timestamp_is_not_negative() {
    let tmp = TempDir::new();
    let path = tmp.file("max-time.pcapng");
    std::fs::write(&path, largest_time()).unwrap();
    let out = nscap(&["-r", &path, "--tt"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[Error converting time] IP 1.2.3.4 > 5.6.7.8:  ip-proto-99 0\n"
    );
    // JSON keeps the number, saturated.
    let out = nscap(&["-r", &path, "--json"]);
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("{\"time\":9223372036854775807.000000,"));
}

/// One packet at 2^64-1 ticks of one second.
fn largest_time() -> Vec<u8> {
    let mut f = ng::section();
    ng::interface_with(&mut f, 101, b"tun0", Some(0));
    ng::packet(&mut f, 0, u64::MAX, &RAW_IP);
    f
}

/// Errors from the system read as all others: its words, without "(os error N)".
#[test]
fn system_errors_carry_no_error_code() {
    let err = refused(&nscap(&["-r", "/tmp"]));
    assert_eq!(err, "nscap: /tmp: Is a directory\n");
    // Without a controlling terminal, /dev/tty cannot be opened (ENXIO).
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(nscap_bin());
    cmd.args(["-t", "/dev/tty", "-D"]).stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe; the child only calls it before exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        })
    };
    let err = refused(&cmd.output().unwrap());
    assert_eq!(err, "nscap: /dev/tty: No such device or address\n");
}

/// A zombie has no namespaces left: it is said to have exited, not to lack a file.
#[test]
fn a_zombie_target_has_exited() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    // Not reaped until the end of the test, so it stays a zombie.
    while !std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap()
        .contains(") Z ")
    {
        assert!(Instant::now() < deadline, "pid {pid} never became a zombie");
        std::thread::sleep(Duration::from_millis(10));
    }
    let err = refused(&nscap(&["-t", &pid.to_string(), "-D"]));
    assert_eq!(err, format!("nscap: process {pid} has exited\n"));
    child.wait().unwrap();
}

/// Kernel threads are all in the host's namespace: naming one is refused, not silently taken
/// as the host.
#[test]
fn a_kernel_thread_is_refused() {
    // kthreadd is pid 2 in the initial PID namespace.
    let comm = std::fs::read_to_string("/proc/2/comm").unwrap_or_default();
    assert_eq!(
        comm.trim_end(),
        "kthreadd",
        "not in the initial PID namespace"
    );
    let err = refused(&nscap(&["-t", "2", "-D"]));
    assert_eq!(
        err,
        "nscap: pid 2 is a kernel thread; it is in the host's network namespace\n"
    );
}

/// Runtime state files are read without blocking, only when regular, and only so far: a FIFO
/// as a Docker `config.v2.json` or containerd `init.pid` hung `list` (in `open`, where SIGINT
/// could not reach), and a `config.v2.json` linked to `/dev/zero` grew `list` to 5.4 GB in 15 s.
/// Each bad file is skipped with one warning; `-F` takes a regular file only, too.
#[test]
fn hostile_state_files_neither_hang_nor_exhaust() {
    let tmp = TempDir::new();
    let docker = tmp.0.join("docker");
    let containerd = tmp.0.join("containerd");
    let fifo = |p: &Path| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        sh(&format!("mkfifo {}", p.display()));
    };
    let a = docker.join(format!("containers/{}/config.v2.json", "a".repeat(64)));
    fifo(&a);
    let b = docker.join(format!("containers/{}/config.v2.json", "b".repeat(64)));
    std::fs::create_dir_all(b.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &b).unwrap();
    let pid = containerd.join("io.containerd.runtime.v2.task/default/ccc/init.pid");
    fifo(&pid);
    let none = tmp.0.join("none");
    let args = [
        "list",
        "--docker-root",
        docker.to_str().unwrap(),
        "--containerd-state",
        containerd.to_str().unwrap(),
        "--podman-root",
        none.to_str().unwrap(),
        "--pods-log-dir",
        none.to_str().unwrap(),
    ];
    let out = nscap_within(&args, Duration::from_secs(20));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for p in [&a, &b, &pid] {
        let line = format!(
            "nscap: warning: skipping {}: not a regular file",
            p.display()
        );
        assert_eq!(err.matches(&line).count(), 1, "{line} in {err}");
    }

    for bad in [a.to_str().unwrap(), "/dev/zero"] {
        let out = nscap_within(
            &["-r", "fixtures/mixed.pcap", "-F", bad],
            Duration::from_secs(10),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(
            err,
            format!("nscap: cannot read filter file {bad}: not a regular file\n")
        );
    }
}

/// Without privilege the words name the cause: `list` shows nscap's own namespace's
/// interfaces (no entering needed) and ends with one line and exit 1 when others could not be
/// entered (it used to exit 0 with every row an error); `-t NAME` says the runtimes' records
/// cannot be read, not that the name is not in them.
#[test]
fn without_privilege_the_cause_is_named() {
    let w = World::new();
    let out = nscap_as_nobody("-all", &["list", "-l"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("lo 127.0.0.1/8"), "{stdout}");
    assert!(stdout.contains(&w.ns.name), "{stdout}");
    // Nothing says which namespace is the host's: said, not guessed.
    assert!(
        stdout.contains("which is the host's (initial) network namespace is unknown"),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("* ")), "{stdout}");
    assert!(
        stderr.ends_with("could not be read: entering a namespace needs CAP_SYS_ADMIN\n")
            && stderr.lines().count() == 1,
        "{stderr}"
    );

    let d = TempDir::new();
    std::fs::create_dir_all(d.0.join("docker/containers")).unwrap();
    sh(&format!(
        "chmod 700 {}",
        d.0.join("docker/containers").display()
    ));
    sh(&format!(
        "chmod 755 {} {}",
        d.0.display(),
        d.0.join("docker").display()
    ));
    let docker = d.0.join("docker");
    let out = nscap_as_nobody_with(
        "-all",
        &["-t", "web", "-D"],
        &[("NSCAP_DOCKER_ROOT", &docker)],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "nscap: no target 'web': cannot read {}/docker/containers",
            d.0.display()
        )) && stderr.contains("permission denied"),
        "{stderr}"
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
