//! Exec mode against the installed util-linux nsenter, on real namespaces made with `unshare`.
//! Needs root. Every target and temporary file belongs to a guard that cleans up on drop, and
//! every name is unique, so the tests run in parallel.

mod common;
use common::*;

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};

const NSENTER: &str = "/usr/bin/nsenter";
const KINDS: [&str; 10] = [
    "cgroup",
    "ipc",
    "mnt",
    "net",
    "pid",
    "pid_for_children",
    "time",
    "time_for_children",
    "user",
    "uts",
];

fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "these tests enter namespaces: run them as root"
    );
}

/// A temporary directory holding `nsenter` → the nscap binary (the multi-call link).
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = TempDir::new();
        symlink(nscap_bin(), dir.0.join("nsenter")).unwrap();
        Scratch { dir }
    }

    fn link(&self) -> String {
        self.dir.file("nsenter")
    }
}

/// A sleeping process in fresh namespaces, and what started it; all of them killed on drop.
struct Target {
    started: Proc,
    pid: i32,
    /// Its hostname, and the contents of /mnt/nscap-marker in its mount namespace.
    name: String,
    /// Its working directory (on the host), removed on drop.
    cwd: TempDir,
}

impl Target {
    /// Every namespace kind, with a private hostname, a tmpfs on /mnt holding a marker, and
    /// NSCAP_TEST_ENV=<name> in its environment.
    fn all_kinds() -> Target {
        let name = unique("target");
        let script = "hostname \"$1\" && mount -t tmpfs nscap /mnt && \
                      echo \"$1\" > /mnt/nscap-marker && exec sleep 300";
        let mut cmd = Command::new("unshare");
        cmd.args([
            "--fork",
            "--kill-child",
            "--pid",
            "--mount-proc",
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--cgroup",
            "--time",
            "--user",
            "--map-root-user",
            "sh",
            "-c",
            script,
            "sh",
            &name,
        ]);
        Target::spawn(cmd, name)
    }

    /// Runs `cmd` until a `sleep` runs, in it or under it: that is the target.
    fn spawn(mut cmd: Command, name: String) -> Target {
        require_root();
        let cwd = TempDir::new();
        cmd.current_dir(&cwd.0)
            .env("NSCAP_TEST_ENV", &name)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut started = Proc::start(cmd);
        let pid = started.descendant("sleep");
        Target {
            started,
            pid,
            name,
            cwd,
        }
    }

    fn pid(&self) -> String {
        self.pid.to_string()
    }

    fn ns(&self, kind: &str) -> String {
        link(&format!("/proc/{}/ns/{kind}", self.pid))
    }
}

fn link(path: &str) -> String {
    std::fs::read_link(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .to_string_lossy()
        .into_owned()
}

fn host_ns(kind: &str) -> String {
    link(&format!("/proc/self/ns/{kind}"))
}

/// `readlink` of every namespace link of the process that runs it.
fn readlink_all() -> Vec<String> {
    let mut v = vec!["readlink".to_string()];
    v.extend(KINDS.iter().map(|k| format!("/proc/self/ns/{k}")));
    v
}

/// How a command line is run: which binary, which argv[0], what environment, what stdin.
#[derive(Default, Clone)]
struct Opts<'a> {
    stdin: Option<&'a str>,
    env: Vec<(&'a str, &'a str)>,
    env_remove: Vec<&'a str>,
}

fn command(
    program: impl AsRef<std::ffi::OsStr>,
    argv0: &str,
    args: &[String],
    o: &Opts,
) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg0(argv0).args(args);
    for (k, v) in &o.env {
        cmd.env(k, v);
    }
    for k in &o.env_remove {
        cmd.env_remove(k);
    }
    cmd
}

fn ours(s: &Scratch, args: &[String], o: &Opts) -> Out {
    run(command(s.link(), "nsenter", args, o), o.stdin)
}

fn exec_mode(args: &[String], o: &Opts) -> Out {
    let mut full = vec!["exec".to_string()];
    full.extend_from_slice(args);
    let mut out = run(command(nscap_bin(), nscap_bin(), &full, o), o.stdin);
    out.stderr = out
        .stderr
        .replace("nscap exec: ", "nsenter: ")
        .replace("Try 'nscap exec --help'", "Try 'nsenter --help'");
    out
}

fn theirs(args: &[String], o: &Opts) -> Out {
    run(command(NSENTER, "nsenter", args, o), o.stdin)
}

fn strings<S: AsRef<str>>(args: &[S]) -> Vec<String> {
    args.iter().map(|a| a.as_ref().to_owned()).collect()
}

/// Runs the command line with util-linux nsenter, with nscap as `nsenter` and as `nscap exec`;
/// all three must print the same and end the same. Returns nsenter's result.
fn same_with<S: AsRef<str>>(s: &Scratch, args: &[S], o: &Opts) -> Out {
    let args = strings(args);
    let want = theirs(&args, o);
    let got = ours(s, &args, o);
    assert_eq!(got, want, "as nsenter: {args:?}");
    let got = exec_mode(&args, o);
    assert_eq!(got, want, "as nscap exec: {args:?}");
    want
}

/// [`same_with`] with an empty stdin and the caller's environment as it is.
fn same<S: AsRef<str>>(s: &Scratch, args: &[S]) -> Out {
    same_with(s, args, &no_opts())
}

fn no_opts() -> Opts<'static> {
    Opts::default()
}

#[test]
fn each_namespace_kind_is_entered_like_nsenter() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    // (option, the links it must move to the target's)
    let cases: [(&str, &[&str]); 7] = [
        ("-U", &["user"]),
        ("-C", &["cgroup"]),
        ("-i", &["ipc"]),
        ("-u", &["uts"]),
        ("-n", &["net"]),
        ("-p", &["pid", "pid_for_children"]),
        ("-T", &["time", "time_for_children"]),
    ];
    for (opt, moved) in cases {
        let mut args = vec!["-t".to_string(), t.pid(), opt.to_string()];
        args.extend(readlink_all());
        let out = same(&s, &args);
        assert!(out.status.success(), "{opt}: {out:?}");
        let lines: Vec<&str> = out.stdout.lines().collect();
        for (kind, line) in KINDS.iter().zip(&lines) {
            let want = if moved.contains(kind) {
                t.ns(kind)
            } else {
                host_ns(kind)
            };
            assert_eq!(*line, want, "{opt}: {kind}");
        }
    }
}

#[test]
fn mount_namespace_and_all_namespaces() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let out = same(&s, &["-t", &t.pid(), "-m", "cat", "/mnt/nscap-marker"]);
    assert_eq!(out.stdout.trim_end(), t.name);
    let out = same(
        &s,
        &["-t", &t.pid(), "-m", "-p", "readlink", "/proc/self/ns/mnt"],
    );
    assert_eq!(out.stdout.trim_end(), t.ns("mnt"));

    let mut args = vec!["-t".to_string(), t.pid(), "-a".to_string()];
    args.extend(readlink_all());
    let out = same(&s, &args);
    let want: Vec<String> = KINDS.iter().map(|k| t.ns(k)).collect();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), want);
    let out = same(&s, &["-t", &t.pid(), "-a", "hostname"]);
    assert_eq!(out.stdout.trim_end(), t.name);
    let out = same(&s, &["-t", &t.pid(), "-a", "id", "-u"]);
    assert_eq!(out.stdout, "0\n");
}

#[test]
fn target_and_file_spellings() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let p = t.pid();
    let net = format!("/proc/{p}/ns/net");
    let uts = format!("/proc/{p}/ns/uts");
    let read_net_uts = ["readlink", "/proc/self/ns/net", "/proc/self/ns/uts"];
    let want = format!("{}\n{}\n", t.ns("net"), t.ns("uts"));
    for head in [
        vec![format!("--net={net}"), format!("--uts={uts}")],
        vec![format!("-n{net}"), format!("-u{uts}")],
        vec![format!("-t{p}"), "-Fn".into(), "-u".into()],
        vec![format!("--target={p}"), "--net".into(), "--uts".into()],
        vec![
            "--tar".into(),
            p.clone(),
            "-Fu".into(),
            "-n".into(),
            "--".into(),
        ],
        vec![
            "-t".into(),
            "/proc/self/ns/net".into(),
            format!("-n{net}"),
            format!("-u{uts}"),
        ],
    ] {
        let mut args = head.clone();
        args.extend(strings(&read_net_uts));
        let out = if head[0] == "-t" {
            // A namespace file as -t is nscap's extension: compare with nsenter's -n FILE form.
            let got = exec_mode(&args, &no_opts());
            let mut plain = head[2..].to_vec();
            plain.extend(strings(&read_net_uts));
            assert_eq!(got, theirs(&plain, &no_opts()));
            got
        } else {
            same(&s, &args)
        };
        assert_eq!(out.stdout, want, "{head:?}");
    }
    // An optional argument swallows the rest of a cluster: `-nu` is "-n with the file u".
    let out = same(&s, &[&format!("-t{p}"), "-nu", "true"]);
    assert_eq!(
        out.stderr,
        "nsenter: cannot open u: No such file or directory\n"
    );
    // Newer nsenter drops the '=' of `-u=FILE` as it does for `--uts=FILE` (2.38.1 did not).
    let mut args = vec![format!("-n={net}"), format!("-u={uts}")];
    args.extend(strings(&read_net_uts));
    assert_eq!(exec_mode(&args, &no_opts()).stdout, want);
    // -t with a namespace file: its own kind only, also with -a.
    let out = exec_mode(
        &strings(&["-t", &net, "-a", "readlink", "/proc/self/ns/net"]),
        &no_opts(),
    );
    assert_eq!(out.stdout.trim_end(), t.ns("net"));
    let out = exec_mode(&strings(&["-t", &net, "-u", "true"]), &no_opts());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        out.stderr,
        format!("nsenter: {net} is a net namespace: it cannot supply the uts namespace; give a target PID\n")
    );
}

#[test]
fn credentials() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let p = t.pid();
    for args in [
        vec!["-t", &p, "-U", "id"],
        vec!["-t", &p, "-U", "--preserve-credentials", "id"],
        vec!["-t", &p, "-U", "-S", "0", "-G", "0", "id"],
        vec!["-t", &p, "-n", "-S", "65534", "-G", "65534", "id"],
        vec!["-t", &p, "-n", "--setuid=65534", "id", "-u"],
    ] {
        let out = same(&s, &args);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let out = same(&s, &["-t", &p, "-n", "-S", "65534", "-G", "65534", "id"]);
    assert_eq!(
        out.stdout.split_whitespace().next(),
        Some("uid=65534(nobody)")
    );
}

#[test]
fn setuid_follow_takes_the_targets_ids() {
    // util-linux 2.38.1 has no `follow`: check the documented behaviour directly.
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--net",
        "setpriv",
        "--reuid=1234",
        "--regid=2345",
        "--clear-groups",
        "sleep",
        "300",
    ]);
    let t = Target::spawn(cmd, unique("follow"));
    // `id -u -g` prints only the first; ask twice to see both.
    for (flag, want) in [("-u", "1234\n"), ("-g", "2345\n")] {
        let out = exec_mode(
            &strings(&[
                "-t",
                &t.pid(),
                "-n",
                "-S",
                "follow",
                "-G",
                "follow",
                "id",
                flag,
            ]),
            &no_opts(),
        );
        assert!(out.status.success(), "{out:?}");
        assert_eq!(out.stdout, want);
    }
}

#[test]
fn keep_caps_makes_capabilities_ambient() {
    // Not in util-linux 2.38.1: documented behaviour.
    let t = Target::all_kinds();
    let amb = |extra: &[&str]| {
        let mut args = strings(&["-t", &t.pid(), "-U"]);
        args.extend(strings(extra));
        args.extend(strings(&["grep", "CapAmb", "/proc/self/status"]));
        let out = exec_mode(&args, &no_opts());
        assert!(out.status.success(), "{out:?}");
        out.stdout.split_whitespace().nth(1).unwrap().to_owned()
    };
    assert_eq!(amb(&[]), "0000000000000000");
    let with = u64::from_str_radix(&amb(&["--keep-caps"]), 16).unwrap();
    // CAP_SYS_ADMIN (21) among them.
    assert_ne!(with & (1 << 21), 0, "{with:x}");
}

#[test]
fn root_and_working_directories() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let p = t.pid();
    // The target's root is in its mount namespace: its tmpfs shows without -m.
    let out = same(&s, &["-t", &p, "-n", "-r", "cat", "/mnt/nscap-marker"]);
    assert_eq!(out.stdout.trim_end(), t.name);
    let out = same(&s, &["-t", &p, "-n", "-w", "pwd"]);
    assert_eq!(Path::new(out.stdout.trim_end()), t.cwd.0);
    let out = same(&s, &["-t", &p, "-n", "-w/tmp", "pwd"]);
    assert_eq!(out.stdout, "/tmp\n");
    let out = same(&s, &["-t", &p, "-m", "-W", "/mnt", "pwd"]);
    assert_eq!(out.stdout, "/mnt\n");
    let out = same(&s, &["-t", &p, "-m", "--wdns=/mnt", "cat", "nscap-marker"]);
    assert_eq!(out.stdout.trim_end(), t.name);
    // Errors: nsenter keeps the '=' of -r=DIR; -w and -W exclude each other.
    let out = same(&s, &["-t", &p, "-n", "-r=/", "true"]);
    assert_eq!(
        out.stderr,
        "nsenter: cannot open =/: No such file or directory\n"
    );
    let out = same(&s, &["-t", &p, "-n", "-w", "-W", "/", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let out = same(&s, &["-t", &p, "-m", "-W", "/nonexistent", "true"]);
    assert_eq!(
        out.stderr,
        "nsenter: cannot open current working directory: No such file or directory\n"
    );
}

#[test]
fn env_comes_from_the_target() {
    // Not in util-linux 2.38.1: documented behaviour.
    let t = Target::all_kinds();
    let o = Opts {
        env: vec![("NSCAP_ONLY_HERE", "1")],
        ..Opts::default()
    };
    let args = strings(&["-t", &t.pid(), "-n", "-e", "printenv", "NSCAP_TEST_ENV"]);
    let out = exec_mode(&args, &o);
    assert_eq!(out.stdout.trim_end(), t.name);
    let args = strings(&["-t", &t.pid(), "-n", "-e", "printenv", "NSCAP_ONLY_HERE"]);
    assert_eq!(exec_mode(&args, &o).status.code(), Some(1));
    // Without -e the caller's environment stays.
    let args = strings(&["-t", &t.pid(), "-n", "printenv", "NSCAP_ONLY_HERE"]);
    assert_eq!(exec_mode(&args, &o).stdout, "1\n");
}

#[test]
fn fork_rules_and_exit_statuses() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let p = t.pid();
    // Without a fork the program itself stays in the caller's pid namespace.
    let out = same(&s, &["-t", &p, "-p", "-F", "readlink", "/proc/self/ns/pid"]);
    assert_eq!(out.stdout.trim_end(), host_ns("pid"));
    // With the fork, the program is a (small-numbered) process of the target's pid namespace.
    let script = "test $$ -lt 100 && echo small";
    let out = same(&s, &["-t", &p, "-p", "sh", "-c", script]);
    assert_eq!(out.stdout, "small\n");
    let out = same(&s, &["-t", &p, "-p", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    let out = same(&s, &["-t", &p, "-n", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(3));
    // The parent dies of the child's signal.
    let out = same(&s, &["-t", &p, "-p", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.signal(), Some(libc::SIGTERM));
    // SIGPIPE reaches the program with its default action.
    // (An ignored SIGPIPE would make `yes` complain about a broken pipe on stderr.)
    let out = same(&s, &["-t", &p, "-n", "sh", "-c", "yes | head -n 1"]);
    assert_eq!(out.stdout, "y\n");
    for fork in ["-p", "-F"] {
        let out = same(&s, &["-t", &p, "-p", fork, "sh", "-c", "kill -PIPE $$"]);
        assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{fork}");
    }
}

fn wait_for_state(pid: i32, state: char) {
    wait_until(
        10,
        || format!("pid {pid} never reached state {state}"),
        || {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let now = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.trim().chars().next());
            (now == Some(state)).then_some(())
        },
    )
}

/// The waiting parent stops when the child stops, and resumes it when continued.
fn stop_and_continue(mut cmd: Command) -> Out {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut p = Proc::start(cmd);
    wait_for_state(p.pid(), 'T');
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(p.pid()),
        nix::sys::signal::SIGCONT,
    )
    .unwrap();
    p.output()
}

#[test]
fn parent_mirrors_stop_and_continue() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let args = strings(&[
        "-t",
        &t.pid(),
        "-p",
        "sh",
        "-c",
        "kill -STOP $$; echo resumed",
    ]);
    let want = stop_and_continue(command(NSENTER, "nsenter", &args, &no_opts()));
    let got = stop_and_continue(command(s.link(), "nsenter", &args, &no_opts()));
    assert_eq!(want.stdout, "resumed\n");
    assert_eq!(got, want);
}

#[test]
fn default_program_is_a_login_shell() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let p = t.pid();
    let with = Opts {
        stdin: Some("echo $0; hostname"),
        env: vec![("SHELL", "/bin/bash")],
        ..Opts::default()
    };
    let out = same_with(&s, &["-t", &p, "-u"], &with);
    assert_eq!(out.stdout, format!("-bash\n{}\n", t.name));
    let without = Opts {
        stdin: Some("echo $0"),
        env_remove: vec!["SHELL"],
        ..Opts::default()
    };
    let out = same_with(&s, &["-t", &p, "-u"], &without);
    assert_eq!(out.stdout, "-sh\n");
}

#[test]
fn errors_match_nsenter() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    let p = t.pid();
    // A pid that existed and is gone.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id().to_string();
    gone.wait().unwrap();
    let out = same(&s, &["-t", &dead, "-n", "true"]);
    assert_eq!(
        out.stderr,
        format!("nsenter: cannot open /proc/{dead}/ns/net: No such file or directory\n")
    );
    let out = same(&s, &["--net=/etc/hostname", "true"]);
    assert_eq!(
        out.stderr,
        "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument\n"
    );
    let out = same(&s, &["-t", &p, "-n", "nscap-no-such-program"]);
    assert_eq!(out.status.code(), Some(127));
    let plain = s.dir.file("not-executable");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = same(&s, &["-t", &p, "-n", &plain]);
    assert_eq!(out.status.code(), Some(126));
    let out = same(&s, &["-t", &p, "-n", "/tmp"]);
    assert_eq!(out.status.code(), Some(126));
    assert_eq!(
        out.stderr,
        "nsenter: failed to execute /tmp: Permission denied\n"
    );
    // nscap exec words a bad target its own way; as nsenter, it is nsenter's message.
    let args = strings(&["-t", "abc", "-n", "true"]);
    let want = theirs(&args, &no_opts());
    assert_eq!(want.stderr, "nsenter: failed to parse pid: 'abc'\n");
    assert_eq!(ours(&s, &args, &no_opts()), want);
    let out = exec_mode(&args, &no_opts());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr
            .starts_with("nsenter: no target 'abc': no ip-netns name in ")
            && out
                .stderr
                .ends_with("not an ID prefix (4 or more hex digits)\n")
            && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
    for args in [
        vec!["-x"],
        vec!["--foo=bar"],
        vec!["--p", "-t", &p],
        vec!["-t"],
        vec!["--target"],
        vec!["--all=1"],
        vec!["-t", &p, "-n", "-S", "abc", "true"],
        vec!["-t", &p, "-n", "-W"],
    ] {
        let out = same(&s, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stderr.starts_with("nsenter: "), "{args:?}: {out:?}");
    }
}

#[test]
fn newer_nsenter_errors() {
    // util-linux 2.38.1 words or allows these differently; nscap follows the current source.
    let t = Target::all_kinds();
    let p = t.pid();
    let check = |args: &[&str], msg: &str| {
        let out = exec_mode(&strings(args), &no_opts());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(out.stderr, format!("nsenter: {msg}\n"), "{args:?}");
        assert_eq!(out.stdout, "");
    };
    check(&["-n", "true"], "no target PID specified");
    check(&["-t", &p, "true"], "no namespace specified");
    check(
        &["-t", &p, "-t", &p, "-n", "true"],
        "option --target may be given only once",
    );
    check(
        &["-t", &p, "-N", "x", "true"],
        "failed to parse file descriptor: 'x'",
    );
    // Entering one's own user namespace is refused by the kernel, through the pidfd too.
    let me = std::process::id().to_string();
    check(
        &["-t", &me, "-U", "true"],
        "reassociate to namespaces failed: Invalid argument",
    );
    // --join-cgroup works on cgroup v2 only.
    let v2 = nix::sys::statfs::statfs("/sys/fs/cgroup")
        .unwrap()
        .filesystem_type()
        == nix::sys::statfs::CGROUP2_SUPER_MAGIC;
    if v2 {
        let out = exec_mode(
            &strings(&["-t", &p, "-n", "-c", "cat", "/proc/self/cgroup"]),
            &no_opts(),
        );
        let want = std::fs::read_to_string(format!("/proc/{p}/cgroup")).unwrap();
        assert_eq!(out.stdout, want);
    } else {
        check(
            &["-t", &p, "-n", "-c", "true"],
            "--join-cgroup is only supported in cgroup v2",
        );
    }
}

#[test]
fn net_socket_enters_the_sockets_namespace() {
    // Not in util-linux 2.38.1: documented behaviour. This test process holds a socket made
    // inside the target's network namespace (from a thread of its own), and is the -t target.
    let t = Target::all_kinds();
    let nspath = format!("/proc/{}/ns/net", t.pid);
    let sock: OwnedFd = std::thread::spawn(move || {
        let f = std::fs::File::open(nspath).unwrap();
        nix::sched::setns(&f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        std::os::fd::OwnedFd::from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
    })
    .join()
    .unwrap();
    let me = std::process::id().to_string();
    let fd = sock.as_raw_fd().to_string();
    let out = exec_mode(
        &strings(&["-t", &me, "-N", &fd, "readlink", "/proc/self/ns/net"]),
        &no_opts(),
    );
    assert_eq!(out.stdout.trim_end(), t.ns("net"), "{out:?}");
    assert_ne!(t.ns("net"), host_ns("net"));
    let out = exec_mode(&strings(&["-t", &me, "--net-socket=1", "true"]), &no_opts());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.starts_with("nsenter: ioctl("), "{out:?}");
}

#[test]
fn user_parent_enters_the_parent_user_namespace() {
    // Not in util-linux 2.38.1: documented behaviour. sh sits in an outer user namespace,
    // its child sleep in an inner one.
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--user",
        "--map-root-user",
        "sh",
        "-c",
        "unshare --user --map-root-user sleep 300; :",
    ]);
    let t = Target::spawn(cmd, unique("userp"));
    let outer = link(&format!("/proc/{}/ns/user", t.started.pid()));
    assert_ne!(outer, t.ns("user"));
    let out = exec_mode(
        &strings(&[
            "-t",
            &t.pid(),
            "--user-parent",
            "readlink",
            "/proc/self/ns/user",
        ]),
        &no_opts(),
    );
    assert_eq!(out.stdout.trim_end(), outer, "{out:?}");
}

#[test]
fn follow_context_is_accepted_without_selinux() {
    let t = Target::all_kinds();
    let s = Scratch::new();
    if Path::new("/sys/fs/selinux/enforce").exists() {
        let out = exec_mode(&strings(&["-t", &t.pid(), "-Z", "-n", "true"]), &no_opts());
        assert_eq!(out.status.code(), Some(1));
    } else {
        let out = same(&s, &["-t", &t.pid(), "-Z", "-n", "true"]);
        assert!(out.status.success());
    }
}

/// Runs `program ARGS` with nothing on stdin.
fn run_args(program: &str, args: &[&str]) -> Out {
    let mut c = Command::new(program);
    c.args(args);
    run(c, None)
}

#[test]
fn multi_call_link_and_help() {
    let s = Scratch::new();
    let link = s.link();
    // Invoked through the link, argv[0] is the link's path: glibc prints it in option errors.
    let got = run_args(&link, &["-x"]);
    let want = run_args(NSENTER, &["-x"]);
    assert_eq!(got.stderr, want.stderr.replace(NSENTER, &link));
    assert_eq!(got.status, want.status);
    let help = run_args(&link, &["--help"]);
    assert!(help.status.success());
    assert!(help
        .stdout
        .contains("\n nsenter [options] [<program> [<argument>...]]\n"));
    for opt in [
        "--keep-caps",
        "--user-parent",
        "--net-socket",
        "--join-cgroup",
        "--env",
    ] {
        assert!(help.stdout.contains(opt), "{opt}");
    }
    let help = run_args(nscap_bin(), &["exec", "--help"]);
    assert!(help.stdout.contains("\n nscap exec [options] [<program>"));
    assert!(help.stdout.contains(" -t, --target <PID|file> "));
    let v = run_args(&link, &["-V"]);
    assert!(v.status.success());
    assert!(v.stdout.starts_with("nsenter from nscap "), "{v:?}");
    // Any other name is the capture tool, not nsenter.
    let other = s.dir.file("nsenter2");
    symlink(nscap_bin(), &other).unwrap();
    let out = run_args(&other, &["-t", "1", "-n", "true"]);
    assert!(!out.stderr.contains("nsenter2: "), "{out:?}");
}
