//! The join plan: which namespaces to enter, from which files, in which order, and the two
//! passes that enter them. This is nsenter's `namespace_files[]` table and the state its
//! `main()` keeps between the option loop and exec.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::sys::{Fd, OpenMode, Sys};
use super::{fail, fail_errno, Stop};

/// One kind of namespace (nsenter.c: `struct namespace_file`, less the descriptor and flag,
/// which are in [`Slot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Kind {
    pub(super) nstype: i32,
    /// The file under `/proc/PID/`, and the name in messages.
    pub(super) name: &'static str,
    /// The word used in messages about namespace files (`net`, `mnt`...).
    pub(super) label: &'static str,
}

/// The order of this table is the order nsenter joins in. The user namespace comes first or
/// last: first when it grants the privilege to join the others, last when it takes privilege
/// away. Two passes (everything but user with errors ignored, then whatever is left) get both
/// cases right.
pub(super) const KINDS: [Kind; 8] = [
    kind(libc::CLONE_NEWUSER, "ns/user", "user"),
    kind(libc::CLONE_NEWCGROUP, "ns/cgroup", "cgroup"),
    kind(libc::CLONE_NEWIPC, "ns/ipc", "ipc"),
    kind(libc::CLONE_NEWUTS, "ns/uts", "uts"),
    kind(libc::CLONE_NEWNET, "ns/net", "net"),
    kind(libc::CLONE_NEWPID, "ns/pid", "pid"),
    kind(libc::CLONE_NEWNS, "ns/mnt", "mnt"),
    kind(libc::CLONE_NEWTIME, "ns/time", "time"),
];

const fn kind(nstype: i32, name: &'static str, label: &'static str) -> Kind {
    Kind {
        nstype,
        name,
        label,
    }
}

// Positions in KINDS (and in Plan::slots), for the options that name one kind.
pub(super) const USER: usize = 0;
pub(super) const CGROUP: usize = 1;
pub(super) const IPC: usize = 2;
pub(super) const UTS: usize = 3;
pub(super) const NET: usize = 4;
pub(super) const PID: usize = 5;
pub(super) const MNT: usize = 6;
pub(super) const TIME: usize = 7;

// The positions above must name the kinds they say; checked when compiling.
const _: () = {
    assert!(KINDS[USER].nstype == libc::CLONE_NEWUSER);
    assert!(KINDS[CGROUP].nstype == libc::CLONE_NEWCGROUP);
    assert!(KINDS[IPC].nstype == libc::CLONE_NEWIPC);
    assert!(KINDS[UTS].nstype == libc::CLONE_NEWUTS);
    assert!(KINDS[NET].nstype == libc::CLONE_NEWNET);
    assert!(KINDS[PID].nstype == libc::CLONE_NEWPID);
    assert!(KINDS[MNT].nstype == libc::CLONE_NEWNS);
    assert!(KINDS[TIME].nstype == libc::CLONE_NEWTIME);
};

/// The position in [`KINDS`] of a `CLONE_NEW*` kind, None for anything else.
fn slot_of(nstype: i32) -> Option<usize> {
    KINDS.iter().position(|k| k.nstype == nstype)
}

/// What nsenter.c keeps in `namespace_files[i].fd` and `.enabled` for `KINDS[i]`.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Slot {
    /// The namespace file to join, when one is open (`-n=FILE`, `-t PATH`, or the target's
    /// `/proc/PID/ns/*` when there is no pidfd). None with `enabled`: join through the pidfd.
    pub(super) fd: Option<Fd>,
    /// This kind is to be joined; cleared once it has been.
    pub(super) enabled: bool,
}

/// The state nsenter keeps between its option loop and exec: its file-scope descriptors and
/// `main()`'s locals. Each field names its nsenter.c counterpart.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// One per entry of [`KINDS`] (nsenter.c: `namespace_files[]`).
    pub(super) slots: [Slot; 8],
    /// `-t PID`: the target process, 0 when none (nsenter.c: `namespace_target_pid`).
    pub(super) target_pid: i32,
    /// `-t PATH`: one namespace file as the target (nscap's addition; nsenter takes a PID).
    pub(super) target_file: Option<PathBuf>,
    /// `-t` was given: it may be given only once (nsenter.c tests `namespace_target_pid`,
    /// which a `-t PATH` leaves at 0).
    pub(super) target_given: bool,
    /// A pidfd for the target: `setns(pidfd, mask)` joins several kinds at once
    /// (nsenter.c: `pid_fd`).
    pub(super) target_pidfd: Option<Fd>,
    /// `-r`: the directory to chroot into (nsenter.c: `root_fd`).
    pub(super) root_fd: Option<Fd>,
    /// `-w`: the directory to change into, opened before entering (nsenter.c: `wd_fd`).
    pub(super) wd_fd: Option<Fd>,
    /// `-e`: the target's `/proc/PID/environ` (nsenter.c: `env_fd`).
    pub(super) env_fd: Option<Fd>,
    /// `-S follow`, `-G follow`: `/proc/PID`, owned by the target's uid and gid
    /// (nsenter.c: `uid_gid_fd`).
    pub(super) uid_gid_fd: Option<Fd>,
    /// `-c`: the target cgroup's `cgroup.procs`, to write our pid into
    /// (nsenter.c: `cgroup_procs_fd`).
    pub(super) cgroup_procs_fd: Option<Fd>,
    /// `-a`: join every kind the target has that we can (nsenter.c: `do_all`).
    pub(super) all_namespaces: bool,
    /// `-r` without a directory: chroot into the target's root (nsenter.c: `do_rd`).
    pub(super) root_of_target: bool,
    /// `-w` without a directory: change into the target's working directory
    /// (nsenter.c: `do_wd`).
    pub(super) cwd_of_target: bool,
    /// `-e`: replace our environment by the target's (nsenter.c: `do_env`).
    pub(super) env_of_target: bool,
    /// `-S follow`: take the uid from the target (nsenter.c: `do_uid`).
    pub(super) uid_of_target: bool,
    /// `-G follow`: take the gid from the target (nsenter.c: `do_gid`).
    pub(super) gid_of_target: bool,
    /// Call `setuid(uid)` before exec: `-S`, or joining a user namespace without
    /// `--preserve-credentials` (nsenter.c: `force_uid`).
    pub(super) set_uid: bool,
    /// Drop the supplementary groups and call `setgid(gid)` before exec: `-G`, or joining a
    /// user namespace without `--preserve-credentials` (nsenter.c: `force_gid`).
    pub(super) set_gid: bool,
    /// `-c`: move into the target's cgroup (nsenter.c: `do_join_cgroup`).
    pub(super) join_cgroup: bool,
    /// `--user-parent`: join the parent of the target's user namespace
    /// (nsenter.c: `do_user_parent`).
    pub(super) user_parent: bool,
    /// `-Z`, `--follow-context`: take the target's SELinux context (nsenter.c: `selinux`).
    pub(super) follow_context: bool,
    /// Fork before exec. None until known: `-F` says no, joining a pid namespace says yes
    /// (nsenter.c: `do_fork`, -1 for unknown).
    pub(super) fork: Option<bool>,
    /// `-W`: the working directory as seen inside the namespaces, opened after entering
    /// (nsenter.c: `wdns`).
    pub(super) wd_in_namespace: Option<OsString>,
    /// The uid to set, from `-S` (nsenter.c: `uid`).
    pub(super) uid: u32,
    /// The gid to set, from `-G` (nsenter.c: `gid`).
    pub(super) gid: u32,
    /// `--keep-caps`: make the permitted capabilities ambient after joining a user namespace
    /// (nsenter.c: `keepcaps`).
    pub(super) keep_caps: bool,
    /// `--preserve-credentials`: joining a user namespace leaves uid, gid and groups alone
    /// (nsenter.c: `preserve_cred`).
    pub(super) preserve_credentials: bool,
    /// `-N FD`: a socket of the target whose network namespace to join (nsenter.c: `sock_fd`).
    pub(super) target_socket: Option<i32>,
    /// `-w` was given: it excludes `-W` (nsenter.c: `excl_st`, for `err_exclusive_options`).
    pub(super) wd_option_seen: bool,
    /// `-W` was given: it excludes `-w` (as `wd_option_seen`).
    pub(super) wdns_option_seen: bool,
}

impl Plan {
    /// The `CLONE_NEW*` mask of the enabled kinds that `pick` accepts (nsenter.c's
    /// `get_namespaces()` and `get_namespaces_without_fd()`, and the mask of one pass).
    pub(super) fn enabled_mask(&self, pick: impl Fn(&Kind, &Slot) -> bool) -> i32 {
        KINDS
            .iter()
            .zip(&self.slots)
            .filter(|(k, s)| s.enabled && pick(k, s))
            .fold(0, |m, (k, _)| m | k.nstype)
    }

    fn disable(&mut self, sys: &mut impl Sys, i: usize) {
        if let Some(fd) = self.slots[i].fd.take() {
            sys.close(fd);
        }
        self.slots[i].enabled = false;
    }
}

/// nsenter.c's `open_target_fd`: open `path`, or `/proc/PID/<what>` when no path is given.
pub(super) fn open_target(
    sys: &mut impl Sys,
    plan: &Plan,
    old: Option<Fd>,
    what: &str,
    path: Option<&OsStr>,
) -> Result<Fd, Stop> {
    let owned;
    let path = match path {
        Some(p) => p,
        None if plan.target_pid != 0 => {
            owned = OsString::from(format!("/proc/{}/{what}", plan.target_pid));
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

/// Everything nsenter opens after its option loop, before entering: the `-t PATH` file, the
/// kinds `-a` adds, the target's pidfd or namespace files, and the descriptors `-r`, `-w`,
/// `-e`, `-S/-G follow`, `-c`, `--user-parent` and `-N` need from the target.
pub(super) fn open_descriptors(sys: &mut impl Sys, plan: &mut Plan) -> Result<(), Stop> {
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

    if plan.all_namespaces {
        for i in 0..KINDS.len() {
            if plan.slots[i].enabled {
                continue;
            }
            let usable = match file_target_kind {
                Some(k) => k == i && plan.slots[i].fd.is_some(),
                None => is_usable_namespace(sys, plan.target_pid, i)?,
            };
            if usable {
                plan.slots[i].enabled = true;
            }
        }
    }

    let namespaces = plan.enabled_mask(|_, slot| slot.fd.is_none());
    if namespaces != 0 || plan.target_socket.is_some() || plan.user_parent {
        if plan.target_pid == 0 {
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
            if plan.target_socket.is_some() || plan.target_file.is_none() {
                return Err(fail("no target PID specified"));
            }
        }
        let mut ns_pid_fd = None;
        // setns(pidfd, mask) exists since Linux 5.8; before that, open /proc/PID/ns/* files.
        if plan.target_pid != 0 && sys.kernel_version() > (5, 7, 0) {
            if plan.target_pidfd.is_none() {
                plan.target_pidfd = sys.pidfd_open(plan.target_pid).ok();
            }
            ns_pid_fd = plan.target_pidfd;
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

    if plan.root_of_target {
        plan.root_fd = Some(open_target(sys, plan, plan.root_fd, "root", None)?);
    }
    if plan.cwd_of_target {
        plan.wd_fd = Some(open_target(sys, plan, plan.wd_fd, "cwd", None)?);
    }
    if plan.env_of_target {
        plan.env_fd = Some(open_target(sys, plan, plan.env_fd, "environ", None)?);
    }
    if plan.uid_of_target || plan.gid_of_target {
        plan.uid_gid_fd = Some(open_target(sys, plan, None, "", None)?);
    }
    if plan.join_cgroup {
        let cg = OsStr::new("/sys/fs/cgroup");
        match sys.is_cgroup2(cg) {
            Ok(true) => {}
            Ok(false) => return Err(fail("--join-cgroup is only supported in cgroup v2")),
            Err(e) => return Err(fail_errno("statfs /sys/fs/cgroup failed", e)),
        }
        open_cgroup_procs(sys, plan)?;
    }
    if plan.user_parent {
        open_parent_user_ns(sys, plan)?;
    }
    if let Some(sock) = plan.target_socket {
        open_socket_netns(sys, plan, sock)?;
    }
    Ok(())
}

/// `-t PATH`: the file names one namespace; it fills the slot of its kind when that slot is
/// wanted and has no file yet.
fn open_file_target(sys: &mut impl Sys, plan: &mut Plan, path: &Path) -> Result<usize, Stop> {
    let fd = sys
        .open(path.as_os_str(), OpenMode::Read)
        .map_err(|e| fail_errno(format_args!("cannot open {}", path.display()), e))?;
    let Some(i) = sys.ns_type(fd).ok().and_then(slot_of) else {
        sys.close(fd);
        return Err(fail(format!("{} is not a namespace file", path.display())));
    };
    let slot = &mut plan.slots[i];
    if (slot.enabled || plan.all_namespaces) && slot.fd.is_none() {
        slot.fd = Some(fd);
    } else {
        sys.close(fd);
    }
    Ok(i)
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
        if let Some(pidfd) = plan.target_pidfd {
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
    let (pidfd, local) = match plan.target_pidfd {
        Some(p) => (p, false),
        None => {
            let p = sys.pidfd_open(plan.target_pid).map_err(|e| {
                fail_errno(
                    format_args!("failed to pidfd_open() for {}", plan.target_pid),
                    e,
                )
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
        let ns = plan.enabled_mask(|kind, slot| slot.fd.is_none() && mask & kind.nstype != 0);
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

/// Both passes: everything but the user namespace with errors ignored, then whatever is left
/// (the user namespace included) with errors reported. The pidfd is closed afterwards.
pub(super) fn join(sys: &mut impl Sys, plan: &mut Plan, namespaces: i32) -> Result<(), Stop> {
    // setns(pidfd, mask) exists since Linux 5.8.
    let pid_fd = if plan.target_pid != 0 && sys.kernel_version() > (5, 7, 0) {
        plan.target_pidfd
    } else {
        None
    };
    enter_namespaces(sys, plan, pid_fd, namespaces & !libc::CLONE_NEWUSER, true)?;
    let left = plan.enabled_mask(|_, _| true);
    if left != 0 {
        enter_namespaces(sys, plan, pid_fd, left, false)?;
    }
    if let Some(fd) = plan.target_pidfd.take() {
        sys.close(fd);
    }
    Ok(())
}
