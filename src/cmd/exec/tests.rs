//! The join plan, checked by recording the system calls a run makes (no root needed).

use std::collections::{HashMap, VecDeque};

use super::*;

const USER_NS: i32 = libc::CLONE_NEWUSER;
const CGROUP_NS: i32 = libc::CLONE_NEWCGROUP;
const IPC_NS: i32 = libc::CLONE_NEWIPC;
const UTS_NS: i32 = libc::CLONE_NEWUTS;
const NET_NS: i32 = libc::CLONE_NEWNET;
const PID_NS: i32 = libc::CLONE_NEWPID;
const MNT_NS: i32 = libc::CLONE_NEWNS;
const TIME_NS: i32 = libc::CLONE_NEWTIME;
const ALL_NS: i32 = USER_NS | CGROUP_NS | IPC_NS | UTS_NS | NET_NS | PID_NS | MNT_NS | TIME_NS;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Open(String),
    PidfdOpen(i32),
    /// The label of the descriptor (the path it was opened from, or how it was obtained).
    SetNs(String, i32),
    SetGroups,
    SetGid(u32),
    SetUid(u32),
    Fchdir(String),
    Chroot(String),
    Chdir(String),
    Write(String, String),
    ReplaceEnv(Vec<(String, String)>),
    Fork,
    Kill(i32, i32),
    KeepCaps,
    Execvp(Vec<String>),
    Execl(String, String),
}

struct Mock {
    kernel: (u32, u32, u32),
    me: i32,
    calls: Vec<Call>,
    fds: HashMap<Fd, String>,
    next_fd: Fd,
    /// Paths that fail to open.
    open_errors: HashMap<String, Errno>,
    /// stat inodes by path; a missing path is ENOENT.
    inodes: HashMap<String, u64>,
    /// NS_GET_NSTYPE by descriptor label.
    ns_types: HashMap<String, i32>,
    /// Contents by descriptor label.
    contents: HashMap<String, Vec<u8>>,
    /// Like an unprivileged caller: other kinds fail with EPERM until the user ns is entered.
    needs_user_first: bool,
    in_user: bool,
    /// setns failures by descriptor label.
    setns_errors: HashMap<String, Errno>,
    setgroups_error: Option<Errno>,
    cgroup2: bool,
    owner: (u32, u32),
    env: HashMap<String, String>,
    fork: Forked,
    waits: VecDeque<Waited>,
    exec_error: Errno,
}

impl Mock {
    fn new() -> Mock {
        let mut inodes = HashMap::new();
        for k in KINDS {
            inodes.insert(format!("/proc/1000/{}", k.name), 1);
            inodes.insert(format!("/proc/42/{}", k.name), 2);
        }
        Mock {
            kernel: (6, 1, 0),
            me: 1000,
            calls: Vec::new(),
            fds: HashMap::new(),
            next_fd: 10,
            open_errors: HashMap::new(),
            inodes,
            ns_types: HashMap::new(),
            contents: HashMap::new(),
            needs_user_first: false,
            in_user: false,
            setns_errors: HashMap::new(),
            setgroups_error: None,
            cgroup2: true,
            owner: (0, 0),
            env: HashMap::new(),
            fork: Forked::Child,
            waits: VecDeque::new(),
            exec_error: Errno::ENOENT,
        }
    }

    fn new_fd(&mut self, label: String) -> Fd {
        let fd = self.next_fd;
        self.next_fd += 1;
        self.fds.insert(fd, label);
        fd
    }

    fn label(&self, fd: Fd) -> String {
        self.fds
            .get(&fd)
            .cloned()
            .unwrap_or_else(|| format!("fd{fd}"))
    }

    fn run(&mut self, args: &[&str]) -> Stop {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let names = Names {
            argv0: "/usr/bin/nsenter".into(),
            short: "nsenter".into(),
            nsenter: true,
        };
        run(self, &names, &args)
    }

    fn setns_calls(&self) -> Vec<Call> {
        self.calls
            .iter()
            .filter(|c| matches!(c, Call::SetNs(..)))
            .cloned()
            .collect()
    }

    /// Index of the first call equal to `c`; panics when absent.
    fn pos(&self, c: &Call) -> usize {
        self.calls
            .iter()
            .position(|x| x == c)
            .unwrap_or_else(|| panic!("{c:?} not in {:#?}", self.calls))
    }
}

impl Sys for Mock {
    fn kernel_version(&mut self) -> (u32, u32, u32) {
        self.kernel
    }
    fn getpid(&mut self) -> i32 {
        self.me
    }
    fn open(&mut self, path: &OsStr, _mode: OpenMode) -> Result<Fd, Errno> {
        let p = path.to_string_lossy().into_owned();
        self.calls.push(Call::Open(p.clone()));
        match self.open_errors.get(&p) {
            Some(e) => Err(*e),
            None => Ok(self.new_fd(p)),
        }
    }
    fn close(&mut self, fd: Fd) {
        assert!(self.fds.remove(&fd).is_some(), "closing unknown fd {fd}");
    }
    fn stat_ino(&mut self, path: &OsStr) -> Result<u64, Errno> {
        self.inodes
            .get(&*path.to_string_lossy())
            .copied()
            .ok_or(Errno::ENOENT)
    }
    fn fstat_owner(&mut self, _fd: Fd) -> Result<(u32, u32), Errno> {
        Ok(self.owner)
    }
    fn ns_type(&mut self, fd: Fd) -> Result<i32, Errno> {
        self.ns_types
            .get(&self.label(fd))
            .copied()
            .ok_or(Errno::ENOTTY)
    }
    fn ns_get_userns(&mut self, fd: Fd) -> Result<Fd, Errno> {
        let l = format!("owner-of:{}", self.label(fd));
        Ok(self.new_fd(l))
    }
    fn pidfd_open(&mut self, pid: i32) -> Result<Fd, Errno> {
        self.calls.push(Call::PidfdOpen(pid));
        Ok(self.new_fd(format!("pidfd:{pid}")))
    }
    fn pidfd_getfd(&mut self, pidfd: Fd, target_fd: i32) -> Result<Fd, Errno> {
        let l = format!("{}#{target_fd}", self.label(pidfd));
        Ok(self.new_fd(l))
    }
    fn pidfd_get_userns(&mut self, pidfd: Fd) -> Result<Fd, Errno> {
        let l = format!("userns-of:{}", self.label(pidfd));
        Ok(self.new_fd(l))
    }
    fn socket_netns(&mut self, sock: Fd) -> Result<Fd, Errno> {
        let l = format!("netns-of:{}", self.label(sock));
        Ok(self.new_fd(l))
    }
    fn is_cgroup2(&mut self, _path: &OsStr) -> Result<bool, Errno> {
        Ok(self.cgroup2)
    }
    fn read_all(&mut self, fd: Fd) -> Result<Vec<u8>, Errno> {
        Ok(self
            .contents
            .get(&self.label(fd))
            .cloned()
            .unwrap_or_default())
    }
    fn write_all(&mut self, fd: Fd, data: &[u8]) -> Result<(), Errno> {
        let c = Call::Write(self.label(fd), String::from_utf8_lossy(data).into_owned());
        self.calls.push(c);
        Ok(())
    }
    fn setns(&mut self, fd: Fd, nstype: i32) -> Result<(), Errno> {
        let l = self.label(fd);
        self.calls.push(Call::SetNs(l.clone(), nstype));
        if let Some(e) = self.setns_errors.get(&l) {
            return Err(*e);
        }
        if self.needs_user_first && !self.in_user && nstype & USER_NS == 0 {
            return Err(Errno::EPERM);
        }
        if nstype & USER_NS != 0 {
            self.in_user = true;
        }
        Ok(())
    }
    fn setgroups_empty(&mut self) -> Result<(), Errno> {
        self.calls.push(Call::SetGroups);
        self.setgroups_error.map_or(Ok(()), Err)
    }
    fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        self.calls.push(Call::SetGid(gid));
        Ok(())
    }
    fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        self.calls.push(Call::SetUid(uid));
        Ok(())
    }
    fn fchdir(&mut self, fd: Fd) -> Result<(), Errno> {
        let c = Call::Fchdir(self.label(fd));
        self.calls.push(c);
        Ok(())
    }
    fn chroot(&mut self, path: &OsStr) -> Result<(), Errno> {
        self.calls.push(Call::Chroot(path.to_string_lossy().into()));
        Ok(())
    }
    fn chdir(&mut self, path: &OsStr) -> Result<(), Errno> {
        self.calls.push(Call::Chdir(path.to_string_lossy().into()));
        Ok(())
    }
    fn getenv(&mut self, name: &str) -> Option<OsString> {
        self.env.get(name).map(OsString::from)
    }
    fn replace_env(&mut self, vars: &[(OsString, OsString)]) {
        let v: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string_lossy().into(), v.to_string_lossy().into()))
            .collect();
        self.env = v.iter().cloned().collect();
        self.calls.push(Call::ReplaceEnv(v));
    }
    fn default_sigchld(&mut self) {}
    fn fork(&mut self) -> Result<Forked, Errno> {
        self.calls.push(Call::Fork);
        Ok(self.fork)
    }
    fn wait(&mut self, _pid: i32) -> Waited {
        self.waits.pop_front().unwrap_or(Waited::Other)
    }
    fn kill(&mut self, pid: i32, sig: i32) {
        self.calls.push(Call::Kill(pid, sig));
    }
    fn keep_caps(&mut self) -> Result<(), (&'static str, Errno)> {
        self.calls.push(Call::KeepCaps);
        Ok(())
    }
    fn selinux_enabled(&mut self) -> bool {
        false
    }
    fn execvp(&mut self, argv: &[OsString]) -> Errno {
        let v = argv.iter().map(|a| a.to_string_lossy().into()).collect();
        self.calls.push(Call::Execvp(v));
        self.exec_error
    }
    fn execl(&mut self, path: &OsStr, arg0: &OsStr) -> Errno {
        self.calls.push(Call::Execl(
            path.to_string_lossy().into(),
            arg0.to_string_lossy().into(),
        ));
        self.exec_error
    }
}

fn setns(label: &str, nstype: i32) -> Call {
    Call::SetNs(label.into(), nstype)
}

fn failed(code: i32, msg: &str) -> Stop {
    Stop::Fail {
        code,
        msg: msg.into(),
    }
}

#[test]
fn all_namespaces_through_a_pidfd_user_last() {
    let mut m = Mock::new();
    m.run(&["-t", "42", "-a"]);
    assert_eq!(
        m.calls,
        vec![
            Call::PidfdOpen(42),
            Call::SetGroups,
            setns("pidfd:42", ALL_NS & !USER_NS),
            setns("pidfd:42", USER_NS),
            Call::Fork,
            Call::SetGroups,
            Call::SetGid(0),
            Call::SetUid(0),
            Call::Execl("/bin/sh".into(), "-sh".into()),
        ]
    );
    assert!(
        m.fds.values().all(|l| !l.starts_with("pidfd")),
        "{:?}",
        m.fds
    );
}

#[test]
fn all_skips_missing_kinds_and_own_user_namespace() {
    let mut m = Mock::new();
    m.inodes.remove("/proc/1000/ns/time");
    m.inodes.insert("/proc/42/ns/user".into(), 1);
    m.run(&["-t", "42", "-a", "true"]);
    let want = ALL_NS & !USER_NS & !TIME_NS;
    assert_eq!(m.setns_calls(), vec![setns("pidfd:42", want)]);
    // No user namespace: credentials are left alone.
    assert!(!m.calls.contains(&Call::SetUid(0)));
    assert!(!m.calls.contains(&Call::SetGroups));
    assert_eq!(m.calls.last(), Some(&Call::Execvp(vec!["true".into()])));
}

#[test]
fn old_kernels_open_proc_files_in_table_order() {
    let mut m = Mock::new();
    m.kernel = (5, 7, 0);
    m.run(&["-t", "42", "-a"]);
    let opens: Vec<Call> = KINDS
        .iter()
        .map(|k| Call::Open(format!("/proc/42/{}", k.name)))
        .collect();
    assert_eq!(&m.calls[..8], &opens[..]);
    assert!(!m.calls.contains(&Call::PidfdOpen(42)));
    let mut order: Vec<Call> = KINDS[1..]
        .iter()
        .map(|k| setns(&format!("/proc/42/{}", k.name), k.nstype))
        .collect();
    order.push(setns("/proc/42/ns/user", USER_NS));
    assert_eq!(m.setns_calls(), order);
}

#[test]
fn user_namespace_first_when_it_grants_the_privilege() {
    let mut m = Mock::new();
    m.kernel = (4, 19, 0);
    m.needs_user_first = true;
    let stop = m.run(&["-t", "42", "-U", "-n", "-m", "true"]);
    assert_eq!(
        stop,
        failed(127, "failed to execute true: No such file or directory")
    );
    assert_eq!(
        m.setns_calls(),
        vec![
            // Pass 1: errors ignored.
            setns("/proc/42/ns/net", NET_NS),
            setns("/proc/42/ns/mnt", MNT_NS),
            // Pass 2: the user namespace, then what is left, in table order.
            setns("/proc/42/ns/user", USER_NS),
            setns("/proc/42/ns/net", NET_NS),
            setns("/proc/42/ns/mnt", MNT_NS),
        ]
    );
}

#[test]
fn second_pass_errors_are_reported() {
    let mut m = Mock::new();
    m.setns_errors.insert("/etc/hostname".into(), Errno::EINVAL);
    let stop = m.run(&["-n/etc/hostname", "true"]);
    assert_eq!(
        stop,
        failed(
            1,
            "reassociate to namespace 'ns/net' failed: Invalid argument"
        )
    );
    assert_eq!(
        m.setns_calls(),
        vec![
            setns("/etc/hostname", NET_NS),
            setns("/etc/hostname", NET_NS)
        ]
    );
    let mut m = Mock::new();
    m.setns_errors.insert("pidfd:42".into(), Errno::EPERM);
    let stop = m.run(&["-t", "42", "-n", "true"]);
    assert_eq!(
        stop,
        failed(
            1,
            "reassociate to namespaces failed: Operation not permitted"
        )
    );
}

#[test]
fn explicit_files_win_over_the_pidfd() {
    let mut m = Mock::new();
    m.run(&["-t", "42", "-n", "--uts=/run/uts", "-m=/run/mnt", "true"]);
    assert_eq!(
        m.setns_calls(),
        vec![
            setns("pidfd:42", NET_NS),
            setns("/run/uts", UTS_NS),
            setns("/run/mnt", MNT_NS),
        ]
    );
    // A later bare option keeps the file given earlier; a later file replaces it.
    let mut m = Mock::new();
    m.run(&["-n/a", "-n", "-n/b", "true"]);
    assert_eq!(m.setns_calls(), vec![setns("/b", NET_NS)]);
    assert!(!m.fds.values().any(|l| l == "/a"), "{:?}", m.fds);
}

#[test]
fn fork_only_for_a_pid_namespace_and_not_with_no_fork() {
    let mut m = Mock::new();
    m.run(&["-t", "42", "-n", "true"]);
    assert!(!m.calls.contains(&Call::Fork));
    let mut m = Mock::new();
    m.run(&["-t", "42", "-p", "true"]);
    assert!(m.pos(&Call::Fork) > m.pos(&setns("pidfd:42", PID_NS)));
    let mut m = Mock::new();
    m.run(&["-t", "42", "-p", "-F", "true"]);
    assert!(!m.calls.contains(&Call::Fork));
}

#[test]
fn parent_mirrors_stops_and_passes_on_status_and_signals() {
    let mut m = Mock::new();
    m.fork = Forked::Parent(77);
    m.waits = VecDeque::from([Waited::Stopped, Waited::Exited(3)]);
    assert_eq!(m.run(&["-t", "42", "-p", "true"]), Stop::Exit(3));
    assert_eq!(
        &m.calls[m.pos(&Call::Fork) + 1..],
        &[
            Call::Kill(1000, libc::SIGSTOP),
            Call::Kill(77, libc::SIGCONT)
        ]
    );
    let mut m = Mock::new();
    m.fork = Forked::Parent(77);
    m.waits = VecDeque::from([Waited::Signaled(libc::SIGTERM)]);
    // The parent kills itself with the same signal; should it survive, it exits 1.
    assert_eq!(m.run(&["-t", "42", "-p", "true"]), Stop::Exit(1));
    assert_eq!(m.calls.last(), Some(&Call::Kill(1000, libc::SIGTERM)));
    assert!(!m.calls.iter().any(|c| matches!(c, Call::Execvp(_))));
}

#[test]
fn exec_failures_and_the_default_shell() {
    let mut m = Mock::new();
    let stop = m.run(&["-t", "42", "-n", "--", "nope", "-x"]);
    assert_eq!(
        stop,
        failed(127, "failed to execute nope: No such file or directory")
    );
    assert_eq!(
        m.calls.last(),
        Some(&Call::Execvp(vec!["nope".into(), "-x".into()]))
    );
    let mut m = Mock::new();
    m.exec_error = Errno::EACCES;
    let stop = m.run(&["-t", "42", "-n", "/tmp"]);
    assert_eq!(
        stop,
        failed(126, "failed to execute /tmp: Permission denied")
    );
    let mut m = Mock::new();
    m.env.insert("SHELL".into(), "/usr/bin/zsh".into());
    m.run(&["-t", "42", "-n"]);
    assert_eq!(
        m.calls.last(),
        Some(&Call::Execl("/usr/bin/zsh".into(), "-zsh".into()))
    );
}

#[test]
fn credentials() {
    let mut m = Mock::new();
    m.run(&["-t", "42", "-U", "--preserve-credentials", "true"]);
    assert!(!m
        .calls
        .iter()
        .any(|c| matches!(c, Call::SetGroups | Call::SetGid(_) | Call::SetUid(_))));
    let mut m = Mock::new();
    m.run(&["-t", "42", "-U", "-S", "5", "-G6", "true"]);
    let at = m.pos(&Call::SetGid(6));
    assert_eq!(
        &m.calls[at - 1..at + 2],
        &[Call::SetGroups, Call::SetGid(6), Call::SetUid(5)]
    );
    // Without a user namespace only what was asked for changes.
    let mut m = Mock::new();
    m.run(&["-t", "42", "-n", "--setuid=5", "true"]);
    assert!(m.calls.contains(&Call::SetUid(5)));
    assert!(!m
        .calls
        .iter()
        .any(|c| matches!(c, Call::SetGid(_) | Call::SetGroups)));
    // follow: the owner of /proc/PID.
    let mut m = Mock::new();
    m.owner = (7, 8);
    m.run(&["-t", "42", "-n", "-S", "follow", "-G", "follow", "true"]);
    assert!(m.pos(&Call::Open("/proc/42/".into())) < m.pos(&setns("pidfd:42", NET_NS)));
    assert!(m.pos(&Call::SetGid(8)) < m.pos(&Call::SetUid(7)));
    // setgroups failing both before and after entering is an error; only after is not.
    let mut m = Mock::new();
    m.setgroups_error = Some(Errno::EPERM);
    let stop = m.run(&["-t", "42", "-U", "true"]);
    assert_eq!(stop, failed(1, "setgroups failed: Operation not permitted"));
}

#[test]
fn keep_caps_only_with_a_user_namespace() {
    let mut m = Mock::new();
    m.run(&["-t", "42", "-U", "--keep-caps", "true"]);
    assert!(m.pos(&Call::KeepCaps) > m.pos(&Call::SetUid(0)));
    let mut m = Mock::new();
    m.run(&["-t", "42", "-n", "--keep-caps", "true"]);
    assert!(!m.calls.contains(&Call::KeepCaps));
}

#[test]
fn root_and_working_directories() {
    let mut m = Mock::new();
    m.run(&["-t", "42", "-m", "-r", "-w", "true"]);
    let enter = m.pos(&setns("pidfd:42", MNT_NS));
    assert!(m.pos(&Call::Open("/proc/42/root".into())) < enter);
    assert!(m.pos(&Call::Open("/proc/42/cwd".into())) < enter);
    assert_eq!(
        &m.calls[enter + 1..enter + 5],
        &[
            Call::Fchdir("/proc/42/root".into()),
            Call::Chroot(".".into()),
            Call::Chdir("/".into()),
            Call::Fchdir("/proc/42/cwd".into()),
        ]
    );
    // -r alone keeps the current directory (opened after entering, before chroot).
    let mut m = Mock::new();
    m.run(&["-t", "42", "-m", "-r", "true"]);
    assert!(m.pos(&Call::Open(".".into())) < m.pos(&Call::Chroot(".".into())));
    assert!(m.calls.contains(&Call::Fchdir(".".into())));
    // -W is a path inside the namespaces, opened after entering them; '=' is stripped.
    let mut m = Mock::new();
    m.run(&["-t", "42", "-m", "-W=/srv", "true"]);
    assert!(m.pos(&Call::Open("/srv".into())) > m.pos(&setns("pidfd:42", MNT_NS)));
    assert!(m.calls.contains(&Call::Fchdir("/srv".into())));
    // -w DIR opens DIR while parsing; -r=DIR keeps the '=' as nsenter does.
    let mut m = Mock::new();
    let stop = {
        m.open_errors.insert("=/x".into(), Errno::ENOENT);
        m.run(&["-t", "42", "-m", "-r=/x", "true"])
    };
    assert_eq!(
        stop,
        failed(1, "cannot open =/x: No such file or directory")
    );
    assert!(m.setns_calls().is_empty());
}

#[test]
fn environment_of_the_target() {
    let mut m = Mock::new();
    m.contents.insert(
        "/proc/42/environ".into(),
        b"A=1\0SHELL=/bin/zsh\0junk\0A=2\0".to_vec(),
    );
    let stop = m.run(&["-t", "42", "-n", "-e"]);
    assert_eq!(
        stop,
        failed(127, "failed to execute /bin/zsh: No such file or directory")
    );
    let env = Call::ReplaceEnv(vec![
        ("A".into(), "2".into()),
        ("SHELL".into(), "/bin/zsh".into()),
    ]);
    assert!(m.pos(&env) > m.pos(&setns("pidfd:42", NET_NS)));
    assert_eq!(
        m.calls.last(),
        Some(&Call::Execl("/bin/zsh".into(), "-zsh".into()))
    );
}

#[test]
fn join_cgroup_needs_cgroup2_and_writes_before_forking() {
    let mut m = Mock::new();
    m.cgroup2 = false;
    let stop = m.run(&["-t", "42", "-p", "-c", "true"]);
    assert_eq!(
        stop,
        failed(1, "--join-cgroup is only supported in cgroup v2")
    );
    let mut m = Mock::new();
    m.contents
        .insert("/proc/42/cgroup".into(), b"0::/a/b\n".to_vec());
    m.run(&["-t", "42", "-p", "-c", "true"]);
    let procs = "/sys/fs/cgroup//a/b/cgroup.procs".to_string();
    assert!(m.pos(&Call::Open(procs.clone())) < m.pos(&setns("pidfd:42", PID_NS)));
    assert!(m.pos(&Call::Write(procs, "1000".into())) < m.pos(&Call::Fork));
}

#[test]
fn user_parent_and_net_socket() {
    let mut m = Mock::new();
    m.run(&["-t", "42", "--user-parent", "true"]);
    assert_eq!(
        m.setns_calls(),
        vec![setns("owner-of:userns-of:pidfd:42", USER_NS)]
    );
    // With an explicit user namespace file, its parent; a target PID is needed all the same.
    let mut m = Mock::new();
    assert_eq!(
        m.run(&["-U/run/u", "--user-parent", "true"]),
        failed(1, "no target PID specified")
    );
    let mut m = Mock::new();
    m.run(&["-t", "42", "-U/run/u", "--user-parent", "true"]);
    assert_eq!(m.setns_calls(), vec![setns("owner-of:/run/u", USER_NS)]);
    let mut m = Mock::new();
    m.run(&["-t", "42", "-N", "3", "true"]);
    assert_eq!(m.setns_calls(), vec![setns("netns-of:pidfd:42#3", NET_NS)]);
    let mut m = Mock::new();
    assert_eq!(m.run(&["-N", "3"]), failed(1, "no target PID specified"));
    assert_eq!(
        m.run(&["-t", "42", "-N", "x"]),
        failed(1, "failed to parse file descriptor: 'x'")
    );
}

#[test]
fn namespace_file_as_target() {
    let mut m = Mock::new();
    m.ns_types.insert("/run/netns/blue".into(), NET_NS);
    m.run(&["-t", "/run/netns/blue", "-n", "true"]);
    assert_eq!(m.setns_calls(), vec![setns("/run/netns/blue", NET_NS)]);
    let mut m = Mock::new();
    m.ns_types.insert("/run/netns/blue".into(), NET_NS);
    m.run(&["-t", "/run/netns/blue", "-a", "true"]);
    assert_eq!(m.setns_calls(), vec![setns("/run/netns/blue", NET_NS)]);
    let mut m = Mock::new();
    m.ns_types.insert("/run/netns/blue".into(), NET_NS);
    assert_eq!(
        m.run(&["-t", "/run/netns/blue", "-n", "-m", "true"]),
        failed(
            1,
            "/run/netns/blue is a net namespace: it cannot supply the mnt namespace; give a target PID"
        )
    );
    let mut m = Mock::new();
    assert_eq!(
        m.run(&["-t", "/etc/hostname", "-n", "true"]),
        failed(1, "/etc/hostname is not a namespace file")
    );
    assert!(m.fds.is_empty(), "{:?}", m.fds);
}

#[test]
fn command_line_errors() {
    let mut m = Mock::new();
    assert_eq!(m.run(&["-x"]), Stop::Usage("invalid option -- 'x'".into()));
    assert_eq!(
        m.run(&["-t", "abc", "-n"]),
        failed(1, "failed to parse pid: 'abc'")
    );
    assert_eq!(
        m.run(&["-t", "42", "--target=43", "-n"]),
        failed(1, "option --target may be given only once")
    );
    assert_eq!(m.run(&["-n", "true"]), failed(1, "no target PID specified"));
    assert_eq!(
        m.run(&["-t", "42", "true"]),
        failed(1, "no namespace specified")
    );
    assert_eq!(
        m.run(&["-t", "42", "-w", "-W", "/"]),
        failed(1, "mutually exclusive arguments: --wdns --wd")
    );
    assert_eq!(
        m.run(&["-t", "42", "-S", "x1"]),
        failed(1, "failed to parse uid: 'x1'")
    );
    assert_eq!(
        m.run(&["-a"]),
        failed(
            1,
            "stat of /proc/0/ns/user failed: No such file or directory"
        )
    );
    // Nothing was entered by any of these.
    assert!(m.setns_calls().is_empty());
    match m.run(&["-n/x", "--help"]) {
        Stop::Info(text) => assert!(text.contains(" nsenter [options] [<program>")),
        other => panic!("{other:?}"),
    }
    match m.run(&["--version"]) {
        Stop::Info(text) => assert!(text.starts_with("nsenter from nscap ")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn exec_mode_names_its_own_target_errors() {
    let mut m = Mock::new();
    let args = [
        OsString::from("-t"),
        OsString::from("nscap-no-such-target"),
        "-n".into(),
    ];
    let stop = run(&mut m, &Names::for_exec(), &args);
    match stop {
        Stop::Fail { code: 1, msg } => assert!(
            msg.starts_with("no target 'nscap-no-such-target': no ip-netns name in "),
            "{msg}"
        ),
        other => panic!("{other:?}"),
    }
    // As nsenter, a name is nsenter's "failed to parse pid".
    assert_eq!(
        m.run(&["-t", "nscap-no-such-target", "-n"]),
        failed(1, "failed to parse pid: 'nscap-no-such-target'")
    );
}

#[test]
fn environ_parsing_matches_nsenter_order() {
    let v = sys::parse_environ(b"A=1\0B=x=y\0=bad\0noeq\0A=3\0");
    let got: Vec<(String, String)> = v
        .into_iter()
        .map(|(k, v)| (k.into_string().unwrap(), v.into_string().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![("A".into(), "3".into()), ("B".into(), "x=y".into())]
    );
}
