//! nsenter's command line: the option tables, the usage text, and the option loop that fills
//! a [`Plan`]. Files named by options (`-n=FILE`, `-r DIR`) are opened here, while parsing, as
//! nsenter does: before any namespace is entered.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use nix::errno::Errno;

use super::getopt::{Getopt, HasArg, LongOpt, ShortOpt};
use super::plan::{open_target, Plan, CGROUP, IPC, KINDS, MNT, NET, PID, TIME, USER, UTS};
use super::sys::Sys;
use super::{fail, fail_errno, Names, Stop};
use crate::targets::{self, TargetSpec};

/// What an option stands for once getopt has matched it: the `case` labels of nsenter's loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    All,
    Help,
    Version,
    Target,
    /// One kind of namespace, by its position in [`KINDS`].
    Ns(usize),
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
    short(b'm', HasArg::Optional, Key::Ns(MNT)),
    short(b'u', HasArg::Optional, Key::Ns(UTS)),
    short(b'i', HasArg::Optional, Key::Ns(IPC)),
    short(b'n', HasArg::Optional, Key::Ns(NET)),
    short(b'N', HasArg::Required, Key::NetSocket),
    short(b'p', HasArg::Optional, Key::Ns(PID)),
    short(b'C', HasArg::Optional, Key::Ns(CGROUP)),
    short(b'U', HasArg::Optional, Key::Ns(USER)),
    short(b'T', HasArg::Optional, Key::Ns(TIME)),
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
    long("mount", HasArg::Optional, Key::Ns(MNT)),
    long("uts", HasArg::Optional, Key::Ns(UTS)),
    long("ipc", HasArg::Optional, Key::Ns(IPC)),
    long("net", HasArg::Optional, Key::Ns(NET)),
    long("net-socket", HasArg::Required, Key::NetSocket),
    long("pid", HasArg::Optional, Key::Ns(PID)),
    long("user", HasArg::Optional, Key::Ns(USER)),
    long("cgroup", HasArg::Optional, Key::Ns(CGROUP)),
    long("time", HasArg::Optional, Key::Ns(TIME)),
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
/// [`targets::locate`] for containers, pods and ip-netns names.
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
        other => match targets::locate(other) {
            Ok(TargetSpec::Pid(pid)) => Ok(Source::Pid(pid)),
            Ok(TargetSpec::Path(path)) => Ok(Source::File(path)),
            Ok(left) => Err(fail(format!("internal: target {left:?} left unresolved"))),
            Err(e) => Err(fail(format!("{e:#}"))),
        },
    }
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

/// nsenter's option loop: fills `plan` (opening the files options name) and returns the
/// program and its arguments.
pub(super) fn parse(
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
            Key::All => plan.all_namespaces = true,
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
                    Source::Pid(pid) => plan.target_pid = pid,
                    Source::File(path) => plan.target_file = Some(path),
                }
            }
            Key::Ns(i) => {
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
                    Some(n) => plan.target_socket = Some(n as i32),
                    None => return Err(fail(format!("failed to parse file descriptor: '{s}'"))),
                }
            }
            Key::SetUid => {
                let a = arg.unwrap_or_default();
                if a == "follow" {
                    plan.uid_of_target = true;
                } else {
                    plan.uid = parse_id(&a, "uid")?;
                }
                plan.set_uid = true;
            }
            Key::SetGid => {
                let a = arg.unwrap_or_default();
                if a == "follow" {
                    plan.gid_of_target = true;
                } else {
                    plan.gid = parse_id(&a, "gid")?;
                }
                plan.set_gid = true;
            }
            Key::NoFork => plan.fork = Some(false),
            Key::JoinCgroup => plan.join_cgroup = true,
            // nsenter does not strip a leading '=' here (`-r=/x` opens "=/x"), so neither do we.
            Key::Root => match arg {
                Some(dir) => {
                    let old = plan.root_fd.take();
                    plan.root_fd = Some(open_target(sys, plan, old, "root", Some(&dir))?);
                }
                None => plan.root_of_target = true,
            },
            Key::Wd => match strip_eq(arg) {
                Some(dir) => {
                    let old = plan.wd_fd.take();
                    plan.wd_fd = Some(open_target(sys, plan, old, "cwd", Some(&dir))?);
                }
                None => plan.cwd_of_target = true,
            },
            Key::WdNs => plan.wd_in_namespace = strip_eq(arg),
            Key::Env => plan.env_of_target = true,
            Key::PreserveCred => plan.preserve_credentials = true,
            Key::KeepCaps => plan.keep_caps = true,
            Key::UserParent => plan.user_parent = true,
            Key::FollowContext => plan.follow_context = true,
        }
    }
    Ok(g.operands().to_vec())
}
