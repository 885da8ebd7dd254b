//! Exec mode: run a program inside the namespaces of a target, as util-linux `nsenter` does
//! (same options, join order, fork rules, messages and exit codes).
//!
//! Everything here runs on the process's only thread: `setns` into a mount or user namespace
//! fails in a multi-threaded process, so exec mode never starts a thread or a runtime. The
//! system calls go through [`sys::Sys`] so the join plan can be checked without root.

mod getopt;
pub mod sys;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::target::{self, TargetSpec};
use getopt::{Getopt, HasArg, LongOpt, ShortOpt};
use sys::{Fd, Forked, OpenMode, Sys, Waited};

/// How the program was invoked, for messages.
#[derive(Debug, Clone)]
pub struct Names {
    /// Prefix of getopt diagnostics: glibc prints `argv[0]` as given.
    pub argv0: String,
    /// Prefix of every other message and the name in `--help`: nsenter prints its short name.
    pub short: String,
    /// True when invoked as `nsenter`: then `-t` errors use nsenter's words.
    pub nsenter: bool,
}

impl Names {
    pub fn for_nsenter(argv0: &OsStr) -> Names {
        let argv0 = argv0.to_string_lossy().into_owned();
        let short = argv0.rsplit('/').next().unwrap_or("nsenter").to_owned();
        Names {
            argv0,
            short,
            nsenter: true,
        }
    }

    pub fn for_exec() -> Names {
        Names {
            argv0: "nscap exec".into(),
            short: "nscap exec".into(),
            nsenter: false,
        }
    }
}

/// How a run ends when it does not become the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `--help`, `--version`: text for stdout, exit 0.
    Info(String),
    /// A bad command line: glibc's diagnostic, then the "Try --help" line, exit 1.
    Usage(String),
    /// One line on stderr (without the program name), then `code`.
    Fail { code: i32, msg: String },
    /// The waiting parent's exit status (nothing printed).
    Exit(i32),
}

fn fail(msg: impl Into<String>) -> Stop {
    Stop::Fail {
        code: 1,
        msg: msg.into(),
    }
}

fn fail_errno(msg: impl std::fmt::Display, e: Errno) -> Stop {
    fail(format!("{msg}: {}", e.desc()))
}

/// Run exec mode for real: returns only when no program was executed.
pub fn main(names: &Names, args: &[OsString]) -> i32 {
    // The Rust runtime ignores SIGPIPE; a program we exec (or the child we wait for) must get
    // the default, as it would under nsenter.
    crate::os::default_signal(nix::sys::signal::Signal::SIGPIPE);
    match run(&mut sys::RealSys, names, args) {
        Stop::Info(text) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return 1;
            }
            0
        }
        Stop::Usage(msg) => {
            eprintln!("{}: {msg}", names.argv0);
            eprintln!("Try '{} --help' for more information.", names.short);
            1
        }
        Stop::Fail { code, msg } => {
            eprintln!("{}: {msg}", names.short);
            code
        }
        Stop::Exit(code) => code,
    }
}

/// One kind of namespace: the order of [`KINDS`] is the order nsenter joins them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kind {
    nstype: i32,
    /// The file under `/proc/PID/`, and the name in messages.
    name: &'static str,
    /// The word used in messages about namespace files (`net`, `mnt`...).
    label: &'static str,
}

/// The user namespace comes first or last: first when it grants the privilege to join the
/// others, last when it takes privilege away. Two passes (everything but user with errors
/// ignored, then whatever is left) get both cases right.
const KINDS: [Kind; 8] = [
    Kind {
        nstype: libc::CLONE_NEWUSER,
        name: "ns/user",
        label: "user",
    },
    Kind {
        nstype: libc::CLONE_NEWCGROUP,
        name: "ns/cgroup",
        label: "cgroup",
    },
    Kind {
        nstype: libc::CLONE_NEWIPC,
        name: "ns/ipc",
        label: "ipc",
    },
    Kind {
        nstype: libc::CLONE_NEWUTS,
        name: "ns/uts",
        label: "uts",
    },
    Kind {
        nstype: libc::CLONE_NEWNET,
        name: "ns/net",
        label: "net",
    },
    Kind {
        nstype: libc::CLONE_NEWPID,
        name: "ns/pid",
        label: "pid",
    },
    Kind {
        nstype: libc::CLONE_NEWNS,
        name: "ns/mnt",
        label: "mnt",
    },
    Kind {
        nstype: libc::CLONE_NEWTIME,
        name: "ns/time",
        label: "time",
    },
];

const USER: usize = 0;
const NET: usize = 4;

fn slot_of(nstype: i32) -> usize {
    KINDS
        .iter()
        .position(|k| k.nstype == nstype)
        .unwrap_or(USER)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    All,
    Help,
    Version,
    Target,
    Ns(i32),
    NetSocket,
    SetUid,
    SetGid,
    Root,
    Wd,
    WdNs,
    Env,
    NoFork,
    JoinCgroup,
    FollowContext,
    PreserveCred,
    KeepCaps,
    UserParent,
}

// nsenter's optstring, "+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W:ecFZ". -W takes a required
// argument as in util-linux up to 2.40 and as its help text says ("-W, --wdns <dir>"), so
// `-W DIR` keeps working; later releases made it optional, which only changes a bare -W.
const SHORTS: &[ShortOpt<Key>] = &[
    short(b'a', HasArg::No, Key::All),
    short(b'h', HasArg::No, Key::Help),
    short(b'V', HasArg::No, Key::Version),
    short(b't', HasArg::Required, Key::Target),
    short(b'm', HasArg::Optional, Key::Ns(libc::CLONE_NEWNS)),
    short(b'u', HasArg::Optional, Key::Ns(libc::CLONE_NEWUTS)),
    short(b'i', HasArg::Optional, Key::Ns(libc::CLONE_NEWIPC)),
    short(b'n', HasArg::Optional, Key::Ns(libc::CLONE_NEWNET)),
    short(b'N', HasArg::Required, Key::NetSocket),
    short(b'p', HasArg::Optional, Key::Ns(libc::CLONE_NEWPID)),
    short(b'C', HasArg::Optional, Key::Ns(libc::CLONE_NEWCGROUP)),
    short(b'U', HasArg::Optional, Key::Ns(libc::CLONE_NEWUSER)),
    short(b'T', HasArg::Optional, Key::Ns(libc::CLONE_NEWTIME)),
    short(b'S', HasArg::Required, Key::SetUid),
    short(b'G', HasArg::Required, Key::SetGid),
    short(b'r', HasArg::Optional, Key::Root),
    short(b'w', HasArg::Optional, Key::Wd),
    short(b'W', HasArg::Required, Key::WdNs),
    short(b'e', HasArg::No, Key::Env),
    short(b'c', HasArg::No, Key::JoinCgroup),
    short(b'F', HasArg::No, Key::NoFork),
    short(b'Z', HasArg::No, Key::FollowContext),
];

const LONGS: &[LongOpt<Key>] = &[
    long("all", HasArg::No, Key::All),
    long("help", HasArg::No, Key::Help),
    long("version", HasArg::No, Key::Version),
    long("target", HasArg::Required, Key::Target),
    long("mount", HasArg::Optional, Key::Ns(libc::CLONE_NEWNS)),
    long("uts", HasArg::Optional, Key::Ns(libc::CLONE_NEWUTS)),
    long("ipc", HasArg::Optional, Key::Ns(libc::CLONE_NEWIPC)),
    long("net", HasArg::Optional, Key::Ns(libc::CLONE_NEWNET)),
    long("net-socket", HasArg::Required, Key::NetSocket),
    long("pid", HasArg::Optional, Key::Ns(libc::CLONE_NEWPID)),
    long("user", HasArg::Optional, Key::Ns(libc::CLONE_NEWUSER)),
    long("cgroup", HasArg::Optional, Key::Ns(libc::CLONE_NEWCGROUP)),
    long("time", HasArg::Optional, Key::Ns(libc::CLONE_NEWTIME)),
    long("setuid", HasArg::Required, Key::SetUid),
    long("setgid", HasArg::Required, Key::SetGid),
    long("root", HasArg::Optional, Key::Root),
    long("wd", HasArg::Optional, Key::Wd),
    long("wdns", HasArg::Required, Key::WdNs),
    long("env", HasArg::No, Key::Env),
    long("no-fork", HasArg::No, Key::NoFork),
    long("join-cgroup", HasArg::No, Key::JoinCgroup),
    long("preserve-credentials", HasArg::No, Key::PreserveCred),
    long("keep-caps", HasArg::No, Key::KeepCaps),
    long("user-parent", HasArg::No, Key::UserParent),
    long("follow-context", HasArg::No, Key::FollowContext),
];

const fn short(ch: u8, has_arg: HasArg, key: Key) -> ShortOpt<Key> {
    ShortOpt { ch, has_arg, key }
}

const fn long(name: &'static str, has_arg: HasArg, key: Key) -> LongOpt<Key> {
    LongOpt { name, has_arg, key }
}

fn usage(names: &Names) -> String {
    let short = &names.short;
    let mut s = String::new();
    s.push_str("\nUsage:\n");
    s.push_str(&format!(" {short} [options] [<program> [<argument>...]]\n"));
    s.push_str("\nRun a program with namespaces of other processes.\n");
    s.push_str("\nOptions:\n");
    for line in [
        " -a, --all                     enter all namespaces",
        if names.nsenter {
            " -t, --target <PID>            target process to get namespaces from"
        } else {
            " -t, --target <PID|file>       target process (or one namespace file) to enter"
        },
        " -m, --mount[=<file>]          enter mount namespace",
        " -u, --uts[=<file>]            enter UTS namespace (hostname etc)",
        " -i, --ipc[=<file>]            enter System V IPC namespace",
        " -n, --net[=<file>]            enter network namespace",
        " -N, --net-socket <fd>         enter socket's network namespace (needs --target)",
        " -p, --pid[=<file>]            enter pid namespace",
        " -C, --cgroup[=<file>]         enter cgroup namespace",
        " -U, --user[=<file>]           enter user namespace",
        "     --user-parent             enter parent user namespace",
        " -T, --time[=<file>]           enter time namespace",
        " -S, --setuid <uid>            set uid in entered namespace",
        " -G, --setgid <gid>            set gid in entered namespace",
        "     --preserve-credentials    do not touch uids or gids",
        "     --keep-caps               retain capabilities granted in user namespaces",
        " -r, --root[=<dir>]            set the root directory",
        " -w, --wd[=<dir>]              set the working directory",
        " -W, --wdns <dir>              set the working directory in namespace",
        " -e, --env                     inherit environment variables from target process",
        " -F, --no-fork                 do not fork before exec'ing <program>",
        " -c, --join-cgroup             join the cgroup of the target process",
        " -Z, --follow-context          set SELinux context according to --target PID",
    ] {
        s.push_str(line);
        s.push('\n');
    }
    s.push('\n');
    s.push_str(&format!("{:<31}{}\n", " -h, --help", "display this help"));
    s.push_str(&format!("{:<31}{}\n", " -V, --version", "display version"));
    s.push_str("\nFor more details see nsenter(1).\n");
    s
}

/// Where the target's namespaces come from once `-t` is resolved. Every form of target that
/// [`TargetSpec`] knows maps to one of these two in [`resolve_target`], through
/// [`target::locate`] for containers, pods and ip-netns names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A process: `/proc/PID/ns/*`, its root, cwd, environment, credentials, cgroup.
    Pid(i32),
    /// One namespace file: it can only supply the namespace of its own kind.
    File(PathBuf),
}

fn resolve_target(spec: &TargetSpec) -> Result<Source, Stop> {
    match spec {
        TargetSpec::Pid(pid) => Ok(Source::Pid(*pid)),
        TargetSpec::Path(path) => Ok(Source::File(path.clone())),
        // Reads /proc and the runtimes' files only: no thread is started, so exec mode is
        // still single-threaded when it joins the target.
        other => match target::locate(other) {
            Ok(TargetSpec::Pid(pid)) => Ok(Source::Pid(pid)),
            Ok(TargetSpec::Path(path)) => Ok(Source::File(path)),
            Ok(left) => Err(fail(format!("internal: target {left:?} left unresolved"))),
            Err(e) => Err(fail(format!("{e:#}"))),
        },
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    fd: Option<Fd>,
    enabled: bool,
}

/// The state nsenter keeps between parsing and exec.
#[derive(Debug, Default)]
struct Plan {
    slots: [Slot; 8],
    /// The target process, 0 when none (as nsenter).
    pid: i32,
    /// A namespace file given with `-t PATH`.
    target_file: Option<PathBuf>,
    target_given: bool,
    pid_fd: Option<Fd>,
    root_fd: Option<Fd>,
    wd_fd: Option<Fd>,
    env_fd: Option<Fd>,
    uid_gid_fd: Option<Fd>,
    cgroup_procs_fd: Option<Fd>,
    do_all: bool,
    do_rd: bool,
    do_wd: bool,
    do_env: bool,
    do_uid: bool,
    do_gid: bool,
    force_uid: bool,
    force_gid: bool,
    do_join_cgroup: bool,
    do_user_parent: bool,
    follow_context: bool,
    /// None until known: `-F` says no, joining a pid namespace says yes.
    do_fork: Option<bool>,
    wdns: Option<OsString>,
    uid: u32,
    gid: u32,
    keep_caps: bool,
    preserve_cred: bool,
    sock_fd: Option<i32>,
    wd_option_seen: bool,
    wdns_option_seen: bool,
}

impl Plan {
    fn enabled_mask(&self) -> i32 {
        KINDS
            .iter()
            .zip(&self.slots)
            .filter(|(_, s)| s.enabled)
            .fold(0, |m, (k, _)| m | k.nstype)
    }

    fn mask_without_fd(&self) -> i32 {
        KINDS
            .iter()
            .zip(&self.slots)
            .filter(|(_, s)| s.enabled && s.fd.is_none())
            .fold(0, |m, (k, _)| m | k.nstype)
    }

    fn disable(&mut self, sys: &mut impl Sys, i: usize) {
        if let Some(fd) = self.slots[i].fd.take() {
            sys.close(fd);
        }
        self.slots[i].enabled = false;
    }
}

/// `open_target_fd`: open `path`, or `/proc/PID/<what>` when no path is given.
fn open_target(
    sys: &mut impl Sys,
    plan: &Plan,
    old: Option<Fd>,
    what: &str,
    path: Option<&OsStr>,
) -> Result<Fd, Stop> {
    let owned;
    let path = match path {
        Some(p) => p,
        None if plan.pid != 0 => {
            owned = OsString::from(format!("/proc/{}/{what}", plan.pid));
            &owned
        }
        None if plan.target_file.is_some() => {
            return Err(fail(format!(
                "{what}: a namespace file target cannot supply this; give a target PID"
            )))
        }
        None => {
            return Err(fail(format!(
                "neither filename nor target pid supplied for {what}"
            )))
        }
    };
    if let Some(fd) = old {
        sys.close(fd);
    }
    sys.open(path, OpenMode::Read)
        .map_err(|e| fail_errno(format_args!("cannot open {}", path.to_string_lossy()), e))
}

fn strip_eq(arg: Option<OsString>) -> Option<OsString> {
    arg.map(|a| match a.as_bytes().strip_prefix(b"=") {
        Some(rest) => OsString::from_vec(rest.to_vec()),
        None => a,
    })
}

fn parse_id(arg: &OsStr, what: &str) -> Result<u32, Stop> {
    let s = arg.to_string_lossy();
    let digits = s.strip_prefix('+').unwrap_or(&s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail(format!("failed to parse {what}: '{s}'")));
    }
    digits
        .parse::<u32>()
        .map_err(|_| fail_errno(format_args!("failed to parse {what}: '{s}'"), Errno::ERANGE))
}

/// Everything nsenter does, through `sys`. Returns only if no program was executed (or, with
/// a recording `sys`, after the exec call).
pub fn run(sys: &mut impl Sys, names: &Names, args: &[OsString]) -> Stop {
    let mut plan = Plan::default();
    match prepare(sys, names, args, &mut plan) {
        Ok(operands) => enter_and_exec(sys, &mut plan, &operands),
        Err(stop) => stop,
    }
}

/// The option loop and the opening of every descriptor, before any namespace is entered.
fn prepare(
    sys: &mut impl Sys,
    names: &Names,
    args: &[OsString],
    plan: &mut Plan,
) -> Result<Vec<OsString>, Stop> {
    let mut g = Getopt::new(args, SHORTS, LONGS);
    for item in g.by_ref() {
        let (key, arg) = item.map_err(|e| Stop::Usage(e.0))?;
        // nsenter's exclusive-options check: -w and -W cannot be combined.
        match key {
            Key::Wd => plan.wd_option_seen = true,
            Key::WdNs => plan.wdns_option_seen = true,
            _ => {}
        }
        if plan.wd_option_seen && plan.wdns_option_seen {
            return Err(fail("mutually exclusive arguments: --wdns --wd"));
        }
        match key {
            Key::All => plan.do_all = true,
            Key::Help => return Err(Stop::Info(usage(names))),
            Key::Version => {
                return Err(Stop::Info(format!(
                    "{} from nscap {} (util-linux nsenter compatible)\n",
                    names.short,
                    env!("CARGO_PKG_VERSION")
                )))
            }
            Key::Target => {
                if plan.target_given {
                    return Err(fail("option --target may be given only once"));
                }
                plan.target_given = true;
                let arg = arg.unwrap_or_default();
                let text = arg.to_string_lossy();
                let spec = match TargetSpec::parse(&text) {
                    Ok(spec @ (TargetSpec::Pid(_) | TargetSpec::Path(_)))
                        if arg.to_str().is_some() =>
                    {
                        spec
                    }
                    // Containers, pods and ip-netns names are nscap's words, not nsenter's.
                    Ok(spec) if arg.to_str().is_some() && !names.nsenter => spec,
                    // Words must stay nsenter's when invoked as nsenter.
                    _ if names.nsenter => {
                        return Err(fail(format!("failed to parse pid: '{text}'")))
                    }
                    Err(e) => return Err(fail(format!("{e}"))),
                    Ok(_) => return Err(fail(format!("invalid target: '{text}'"))),
                };
                match resolve_target(&spec)? {
                    Source::Pid(pid) => plan.pid = pid,
                    Source::File(path) => plan.target_file = Some(path),
                }
            }
            Key::Ns(nstype) => {
                let i = slot_of(nstype);
                if let Some(path) = strip_eq(arg) {
                    let old = plan.slots[i].fd.take();
                    let fd = open_target(sys, plan, old, KINDS[i].name, Some(&path))?;
                    plan.slots[i].fd = Some(fd);
                }
                plan.slots[i].enabled = true;
            }
            Key::NetSocket => {
                let a = arg.unwrap_or_default();
                let s = a.to_string_lossy();
                let fd = s
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=i32::MAX as i64).contains(n));
                match fd {
                    Some(n) => plan.sock_fd = Some(n as i32),
                    None => return Err(fail(format!("failed to parse file descriptor: '{s}'"))),
                }
            }
            Key::SetUid => {
                let a = arg.unwrap_or_default();
                if a == "follow" {
                    plan.do_uid = true;
                } else {
                    plan.uid = parse_id(&a, "uid")?;
                }
                plan.force_uid = true;
            }
            Key::SetGid => {
                let a = arg.unwrap_or_default();
                if a == "follow" {
                    plan.do_gid = true;
                } else {
                    plan.gid = parse_id(&a, "gid")?;
                }
                plan.force_gid = true;
            }
            Key::NoFork => plan.do_fork = Some(false),
            Key::JoinCgroup => plan.do_join_cgroup = true,
            // nsenter does not strip a leading '=' here (`-r=/x` opens "=/x"), so neither do we.
            Key::Root => match arg {
                Some(dir) => {
                    let old = plan.root_fd.take();
                    plan.root_fd = Some(open_target(sys, plan, old, "root", Some(&dir))?);
                }
                None => plan.do_rd = true,
            },
            Key::Wd => match strip_eq(arg) {
                Some(dir) => {
                    let old = plan.wd_fd.take();
                    plan.wd_fd = Some(open_target(sys, plan, old, "cwd", Some(&dir))?);
                }
                None => plan.do_wd = true,
            },
            Key::WdNs => plan.wdns = strip_eq(arg),
            Key::Env => plan.do_env = true,
            Key::PreserveCred => plan.preserve_cred = true,
            Key::KeepCaps => plan.keep_caps = true,
            Key::UserParent => plan.do_user_parent = true,
            Key::FollowContext => plan.follow_context = true,
        }
    }
    let operands = g.operands().to_vec();

    // Without SELinux, nsenter's -Z does nothing; with it, we cannot do what it asks.
    if plan.follow_context && sys.selinux_enabled() {
        return Err(fail(
            "--follow-context: SELinux contexts are not supported by this nsenter",
        ));
    }

    let mut file_target_kind = None;
    if let Some(path) = plan.target_file.clone() {
        file_target_kind = Some(open_file_target(sys, plan, &path)?);
    }

    if plan.do_all {
        for i in 0..KINDS.len() {
            if plan.slots[i].enabled {
                continue;
            }
            let usable = match file_target_kind {
                Some(k) => k == i && plan.slots[i].fd.is_some(),
                None => is_usable_namespace(sys, plan.pid, i)?,
            };
            if usable {
                plan.slots[i].enabled = true;
            }
        }
    }

    let namespaces = plan.mask_without_fd();
    if namespaces != 0 || plan.sock_fd.is_some() || plan.do_user_parent {
        if plan.pid == 0 {
            if let (Some(path), Some(k)) = (&plan.target_file, file_target_kind) {
                let want: Vec<&str> = KINDS
                    .iter()
                    .filter(|kind| namespaces & kind.nstype != 0)
                    .map(|kind| kind.label)
                    .collect();
                if !want.is_empty() {
                    return Err(fail(format!(
                        "{} is a {} namespace: it cannot supply the {} namespace; give a target PID",
                        path.display(),
                        KINDS[k].label,
                        want.join(", ")
                    )));
                }
            }
            if plan.sock_fd.is_some() || plan.target_file.is_none() {
                return Err(fail("no target PID specified"));
            }
        }
        let mut ns_pid_fd = None;
        // setns(pidfd, mask) exists since Linux 5.8; before that, open /proc/PID/ns/* files.
        if plan.pid != 0 && sys.kernel_version() > (5, 7, 0) {
            if plan.pid_fd.is_none() {
                plan.pid_fd = sys.pidfd_open(plan.pid).ok();
            }
            ns_pid_fd = plan.pid_fd;
        }
        if ns_pid_fd.is_none() && namespaces != 0 {
            for (i, kind) in KINDS.iter().enumerate() {
                if plan.slots[i].enabled && plan.slots[i].fd.is_none() {
                    let fd = open_target(sys, plan, None, kind.name, None)?;
                    plan.slots[i].fd = Some(fd);
                }
            }
        }
    }

    if plan.do_rd {
        plan.root_fd = Some(open_target(sys, plan, plan.root_fd, "root", None)?);
    }
    if plan.do_wd {
        plan.wd_fd = Some(open_target(sys, plan, plan.wd_fd, "cwd", None)?);
    }
    if plan.do_env {
        plan.env_fd = Some(open_target(sys, plan, plan.env_fd, "environ", None)?);
    }
    if plan.do_uid || plan.do_gid {
        plan.uid_gid_fd = Some(open_target(sys, plan, None, "", None)?);
    }
    if plan.do_join_cgroup {
        let cg = OsStr::new("/sys/fs/cgroup");
        match sys.is_cgroup2(cg) {
            Ok(true) => {}
            Ok(false) => return Err(fail("--join-cgroup is only supported in cgroup v2")),
            Err(e) => return Err(fail_errno("statfs /sys/fs/cgroup failed", e)),
        }
        open_cgroup_procs(sys, plan)?;
    }
    if plan.do_user_parent {
        open_parent_user_ns(sys, plan)?;
    }
    if let Some(sock) = plan.sock_fd {
        open_socket_netns(sys, plan, sock)?;
    }
    Ok(operands)
}

/// `-t PATH`: the file names one namespace; it fills the slot of its kind when that slot is
/// wanted and has no file yet.
fn open_file_target(sys: &mut impl Sys, plan: &mut Plan, path: &Path) -> Result<usize, Stop> {
    let fd = sys
        .open(path.as_os_str(), OpenMode::Read)
        .map_err(|e| fail_errno(format_args!("cannot open {}", path.display()), e))?;
    let kind = match sys.ns_type(fd) {
        Ok(t) => slot_of_checked(t),
        Err(_) => None,
    };
    let Some(i) = kind else {
        sys.close(fd);
        return Err(fail(format!("{} is not a namespace file", path.display())));
    };
    let slot = &mut plan.slots[i];
    if (slot.enabled || plan.do_all) && slot.fd.is_none() {
        slot.fd = Some(fd);
    } else {
        sys.close(fd);
    }
    Ok(i)
}

fn slot_of_checked(nstype: i32) -> Option<usize> {
    KINDS.iter().position(|k| k.nstype == nstype)
}

/// For `-a`: skip kinds this kernel lacks, and the caller's own user namespace (joining it
/// again is refused by the kernel).
fn is_usable_namespace(sys: &mut impl Sys, target: i32, i: usize) -> Result<bool, Stop> {
    let me = sys.getpid();
    let mine = format!("/proc/{me}/{}", KINDS[i].name);
    let my_ino = match sys.stat_ino(OsStr::new(&mine)) {
        Err(Errno::ENOENT) => return Ok(false),
        Ok(ino) => ino,
        Err(_) => 0,
    };
    if i == USER {
        let path = format!("/proc/{target}/{}", KINDS[i].name);
        let target_ino = sys
            .stat_ino(OsStr::new(&path))
            .map_err(|e| fail_errno(format_args!("stat of {path} failed"), e))?;
        if my_ino == target_ino {
            return Ok(false);
        }
    }
    Ok(true)
}

fn open_cgroup_procs(sys: &mut impl Sys, plan: &mut Plan) -> Result<(), Stop> {
    let fd = open_target(sys, plan, None, "cgroup", None)?;
    let buf = sys.read_all(fd);
    sys.close(fd);
    let buf = buf.map_err(|e| fail_errno("failed to get cgroup path", e))?;
    let first = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    let Some(colon) = first.iter().rposition(|&b| b == b':') else {
        return Err(fail_errno("failed to get cgroup path", Errno::EINVAL));
    };
    let mut path = b"/sys/fs/cgroup/".to_vec();
    path.extend_from_slice(&first[colon + 1..]);
    path.extend_from_slice(b"/cgroup.procs");
    let fd = sys
        .open(OsStr::from_bytes(&path), OpenMode::Append)
        .map_err(|e| fail_errno("failed to open cgroup.procs", e))?;
    plan.cgroup_procs_fd = Some(fd);
    Ok(())
}

/// `--user-parent`: replace the user namespace to enter by the parent of the target's.
fn open_parent_user_ns(sys: &mut impl Sys, plan: &mut Plan) -> Result<(), Stop> {
    let mut fd = None;
    let mut local = false;
    if plan.slots[USER].enabled {
        fd = plan.slots[USER].fd;
    }
    if fd.is_none() {
        if let Some(pidfd) = plan.pid_fd {
            if let Ok(f) = sys.pidfd_get_userns(pidfd) {
                fd = Some(f);
                local = true;
            }
        }
    }
    if fd.is_none() {
        // Any namespace file already open answers "which user namespace owns you".
        fd = plan.slots.iter().find(|s| s.enabled).and_then(|s| s.fd);
    }
    let fd = match fd {
        Some(f) => f,
        None => {
            local = true;
            open_target(sys, plan, None, "ns/user", None)?
        }
    };
    let parent = sys
        .ns_get_userns(fd)
        .map_err(|e| fail_errno("failed to open parent namespace", e))?;
    if local {
        sys.close(fd);
    }
    if let Some(old) = plan.slots[USER].fd.take() {
        sys.close(old);
    }
    plan.slots[USER] = Slot {
        fd: Some(parent),
        enabled: true,
    };
    Ok(())
}

/// `-N FD`: the network namespace of a socket the target holds.
fn open_socket_netns(sys: &mut impl Sys, plan: &mut Plan, sock: i32) -> Result<(), Stop> {
    let (pidfd, local) = match plan.pid_fd {
        Some(p) => (p, false),
        None => {
            let p = sys.pidfd_open(plan.pid).map_err(|e| {
                fail_errno(format_args!("failed to pidfd_open() for {}", plan.pid), e)
            })?;
            (p, true)
        }
    };
    let sk = sys
        .pidfd_getfd(pidfd, sock)
        .map_err(|e| fail_errno(format_args!("pidfd_getfd({pidfd}, {sock})"), e))?;
    let nsfd = sys
        .socket_netns(sk)
        .map_err(|e| fail_errno(format_args!("ioctl({sk}, SIOCGSKNS)"), e))?;
    if let Some(old) = plan.slots[NET].fd.take() {
        sys.close(old);
    }
    plan.slots[NET] = Slot {
        fd: Some(nsfd),
        enabled: true,
    };
    sys.close(sk);
    if local {
        sys.close(pidfd);
    }
    Ok(())
}

/// One pass: the kinds without a file through the pidfd in one call, then each file in table
/// order. A namespace entered is crossed off so the next pass skips it.
fn enter_namespaces(
    sys: &mut impl Sys,
    plan: &mut Plan,
    pid_fd: Option<Fd>,
    mask: i32,
    ignore_errors: bool,
) -> Result<(), Stop> {
    if let Some(pidfd) = pid_fd {
        let ns = KINDS
            .iter()
            .zip(&plan.slots)
            .filter(|(k, s)| s.enabled && s.fd.is_none() && mask & k.nstype != 0)
            .fold(0, |m, (k, _)| m | k.nstype);
        if ns != 0 {
            match sys.setns(pidfd, ns) {
                Ok(()) => {
                    for (i, kind) in KINDS.iter().enumerate() {
                        if ns & kind.nstype != 0 {
                            plan.disable(sys, i);
                        }
                    }
                }
                Err(e) if !ignore_errors => {
                    return Err(fail_errno("reassociate to namespaces failed", e))
                }
                Err(_) => {}
            }
        }
    }
    for (i, kind) in KINDS.iter().enumerate() {
        let slot = plan.slots[i];
        let Some(fd) = slot.fd.filter(|_| slot.enabled && mask & kind.nstype != 0) else {
            continue;
        };
        match sys.setns(fd, kind.nstype) {
            Ok(()) => plan.disable(sys, i),
            Err(e) if !ignore_errors => {
                return Err(fail_errno(
                    format_args!("reassociate to namespace '{}' failed", kind.name),
                    e,
                ))
            }
            Err(_) => {}
        }
    }
    Ok(())
}

fn enter_and_exec(sys: &mut impl Sys, plan: &mut Plan, operands: &[OsString]) -> Stop {
    match try_enter_and_exec(sys, plan, operands) {
        Ok(stop) | Err(stop) => stop,
    }
}

fn try_enter_and_exec(
    sys: &mut impl Sys,
    plan: &mut Plan,
    operands: &[OsString],
) -> Result<Stop, Stop> {
    let namespaces = plan.enabled_mask();
    if namespaces == 0 {
        return Err(fail("no namespace specified"));
    }
    if namespaces & libc::CLONE_NEWPID != 0 && plan.do_fork.is_none() {
        plan.do_fork = Some(true);
    }
    let joins_user = namespaces & libc::CLONE_NEWUSER != 0;
    let mut setgroups_errors = 0;
    // Entering a user namespace always sets uid and gid (0 unless -S/-G) and drops the
    // supplementary groups, unless --preserve-credentials.
    if joins_user && !plan.preserve_cred {
        plan.force_uid = true;
        plan.force_gid = true;
        // Tried before and after entering: only complain when both fail.
        if sys.setgroups_empty().is_err() {
            setgroups_errors += 1;
        }
    }

    let pid_fd = if plan.pid != 0 && sys.kernel_version() > (5, 7, 0) {
        plan.pid_fd
    } else {
        None
    };
    enter_namespaces(sys, plan, pid_fd, namespaces & !libc::CLONE_NEWUSER, true)?;
    let left = plan.enabled_mask();
    if left != 0 {
        enter_namespaces(sys, plan, pid_fd, left, false)?;
    }
    if let Some(fd) = plan.pid_fd.take() {
        sys.close(fd);
    }

    // Keep the current directory across a chroot unless told where to go.
    if plan.root_fd.is_some() && plan.wd_fd.is_none() && plan.wdns.is_none() {
        let fd = sys
            .open(OsStr::new("."), OpenMode::Read)
            .map_err(|e| fail_errno("cannot open current working directory", e))?;
        plan.wd_fd = Some(fd);
    }
    if let Some(root) = plan.root_fd.take() {
        sys.fchdir(root)
            .map_err(|e| fail_errno("change directory by root file descriptor failed", e))?;
        sys.chroot(OsStr::new("."))
            .map_err(|e| fail_errno("chroot failed", e))?;
        sys.chdir(OsStr::new("/"))
            .map_err(|e| fail_errno("cannot change directory to /", e))?;
        sys.close(root);
    }
    // -W names a directory as seen inside the namespaces just entered.
    if let Some(dir) = plan.wdns.clone() {
        let fd = sys
            .open(&dir, OpenMode::Read)
            .map_err(|e| fail_errno("cannot open current working directory", e))?;
        plan.wd_fd = Some(fd);
    }
    if let Some(wd) = plan.wd_fd.take() {
        sys.fchdir(wd).map_err(|e| {
            fail_errno(
                "change directory by working directory file descriptor failed",
                e,
            )
        })?;
        sys.close(wd);
    }
    if let Some(fd) = plan.env_fd.take() {
        let buf = sys.read_all(fd);
        sys.close(fd);
        let buf = buf.map_err(|e| fail_errno("failed to get environment variables", e))?;
        sys.replace_env(&sys::parse_environ(&buf));
    }
    if let Some(fd) = plan.cgroup_procs_fd.take() {
        let me = sys.getpid().to_string();
        let r = sys.write_all(fd, me.as_bytes());
        sys.close(fd);
        r.map_err(|e| fail_errno("write cgroup.procs failed", e))?;
    }
    if let Some(fd) = plan.uid_gid_fd.take() {
        let owner = sys.fstat_owner(fd);
        sys.close(fd);
        let (uid, gid) = owner.map_err(|e| fail_errno("can not get process stat", e))?;
        if plan.do_uid {
            plan.uid = uid;
        }
        if plan.do_gid {
            plan.gid = gid;
        }
    }

    if plan.do_fork == Some(true) {
        if let Some(code) = continue_as_child(sys)? {
            return Ok(Stop::Exit(code));
        }
    }

    if plan.force_gid {
        if let Err(e) = sys.setgroups_empty() {
            if setgroups_errors > 0 {
                return Err(fail_errno("setgroups failed", e));
            }
        }
    }
    if plan.force_gid {
        sys.setgid(plan.gid)
            .map_err(|e| fail_errno("setgid() failed", e))?;
    }
    if plan.force_uid {
        sys.setuid(plan.uid)
            .map_err(|e| fail_errno("setuid() failed", e))?;
    }
    if plan.keep_caps && joins_user {
        sys.keep_caps().map_err(|(what, e)| fail_errno(what, e))?;
    }

    if let Some(program) = operands.first() {
        let e = sys.execvp(operands);
        return Err(exec_failure(program, e));
    }
    // No program: a login shell, as nsenter's exec_shell().
    let shell = sys
        .getenv("SHELL")
        .unwrap_or_else(|| OsString::from("/bin/sh"));
    let base = shell
        .as_bytes()
        .rsplit(|&b| b == b'/')
        .next()
        .unwrap_or_default();
    let mut arg0 = b"-".to_vec();
    arg0.extend_from_slice(base);
    let e = sys.execl(&shell, OsStr::from_bytes(&arg0));
    Err(exec_failure(&shell, e))
}

fn exec_failure(program: &OsStr, e: Errno) -> Stop {
    Stop::Fail {
        code: if e == Errno::ENOENT { 127 } else { 126 },
        msg: format!(
            "failed to execute {}: {}",
            program.to_string_lossy(),
            e.desc()
        ),
    }
}

/// Fork; the child returns `None` and goes on to exec. The parent follows the child: it stops
/// when the child stops (so job control works through it), exits with the child's status, and
/// dies of the child's fatal signal.
fn continue_as_child(sys: &mut impl Sys) -> Result<Option<i32>, Stop> {
    sys.default_sigchld();
    let child = match sys.fork() {
        Ok(Forked::Child) => return Ok(None),
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => return Err(fail_errno("fork failed", e)),
    };
    loop {
        match sys.wait(child) {
            Waited::Stopped => {
                let me = sys.getpid();
                sys.kill(me, libc::SIGSTOP);
                sys.kill(child, libc::SIGCONT);
            }
            Waited::Exited(code) => return Ok(Some(code)),
            Waited::Signaled(sig) => {
                let me = sys.getpid();
                sys.kill(me, sig);
                return Ok(Some(1));
            }
            Waited::Other => return Ok(Some(1)),
        }
    }
}

#[cfg(test)]
mod tests;
