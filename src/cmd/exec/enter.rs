//! After the plan is complete: enter the namespaces, then chroot, change directory, take the
//! target's environment and cgroup, fork if needed (the parent mirrors the child), set the
//! credentials and exec.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;

use super::plan::{self, Plan};
use super::sys::{self, Forked, OpenMode, Sys, Waited};
use super::{fail, fail_errno, Stop};

pub(super) fn enter_and_exec(sys: &mut impl Sys, plan: &mut Plan, operands: &[OsString]) -> Stop {
    match try_enter_and_exec(sys, plan, operands) {
        Ok(stop) | Err(stop) => stop,
    }
}

fn try_enter_and_exec(
    sys: &mut impl Sys,
    plan: &mut Plan,
    operands: &[OsString],
) -> Result<Stop, Stop> {
    let namespaces = plan.enabled_mask(|_, _| true);
    if namespaces == 0 {
        return Err(fail("no namespace specified"));
    }
    if namespaces & libc::CLONE_NEWPID != 0 && plan.fork.is_none() {
        plan.fork = Some(true);
    }
    let joins_user = namespaces & libc::CLONE_NEWUSER != 0;
    let mut setgroups_errors = 0;
    // Entering a user namespace always sets uid and gid (0 unless -S/-G) and drops the
    // supplementary groups, unless --preserve-credentials.
    if joins_user && !plan.preserve_credentials {
        plan.set_uid = true;
        plan.set_gid = true;
        // Tried before and after entering: only complain when both fail.
        if sys.setgroups_empty().is_err() {
            setgroups_errors += 1;
        }
    }

    plan::join(sys, plan, namespaces)?;

    // Keep the current directory across a chroot unless told where to go.
    if plan.root_fd.is_some() && plan.wd_fd.is_none() && plan.wd_in_namespace.is_none() {
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
    if let Some(dir) = plan.wd_in_namespace.clone() {
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
        if plan.uid_of_target {
            plan.uid = uid;
        }
        if plan.gid_of_target {
            plan.gid = gid;
        }
    }

    if plan.fork == Some(true) {
        if let Some(code) = continue_as_child(sys)? {
            return Ok(Stop::Exit(code));
        }
    }

    if plan.set_gid {
        if let Err(e) = sys.setgroups_empty() {
            if setgroups_errors > 0 {
                return Err(fail_errno("setgroups failed", e));
            }
        }
    }
    if plan.set_gid {
        sys.setgid(plan.gid)
            .map_err(|e| fail_errno("setgid() failed", e))?;
    }
    if plan.set_uid {
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
