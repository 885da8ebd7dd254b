//! `nscap [-t TARGET] [options] -- COMMAND [ARGS...]`: the command runs in the target's network
//! namespace, and only its packets are written (those `--process` attributes to it and its
//! descendants, as `--pid PID --pid-tree`); the capture ends shortly after it exits, and nscap
//! exits with its status.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Stdio};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::error::os_message;

/// How long the capture goes on after the command exits: its last packets (a connection's
/// closing exchange) are still in the ring or on their way, their flows still known.
const AFTER: Duration = Duration::from_millis(500);
/// How long a command told to stop (SIGTERM) may take before it is killed.
const KILL_AFTER: Duration = Duration::from_secs(5);

/// The command, running.
pub(super) struct Running {
    child: Child,
    /// Fires [`AFTER`] its exit.
    pub(super) ended: Option<oneshot::Receiver<()>>,
}

impl Running {
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status as a shell reports it: the code, or 128 + the signal that ended it. A
    /// command still running when the capture ended (a signal to nscap, `-c`, a failure) is
    /// sent SIGTERM first, with every process under it, and SIGKILL if it is still there after
    /// [`KILL_AFTER`] (nscap's status is then 143 or 137).
    pub(super) fn status(mut self) -> i32 {
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = self.child.id() as i32;
            eprintln!("nscap: the capture has ended: stopping the command (pid {pid})");
            signal_tree(pid, libc::SIGTERM);
            let deadline = std::time::Instant::now() + KILL_AFTER;
            while matches!(self.child.try_wait(), Ok(None)) {
                if std::time::Instant::now() >= deadline {
                    signal_tree(pid, libc::SIGKILL);
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        match self.child.wait() {
            Ok(s) => s
                .code()
                .or_else(|| s.signal().map(|n| 128 + n))
                .unwrap_or(1),
            Err(_) => 1,
        }
    }
}

/// Starts `argv` in the network namespace `netns`: its standard output is nscap's standard
/// error when nscap's standard output carries the capture (`-w -`); no descriptor of nscap's
/// but the standard three reaches it (libpcap's packet sockets are not close-on-exec). Inside
/// the runtime. Err: the status a shell gives a command it cannot run (127 not found, 126
/// otherwise) and the line that says why.
pub(super) fn start(
    argv: &[OsString],
    netns: &File,
    stdout_is_capture: bool,
) -> std::result::Result<Running, (i32, String)> {
    let name = argv[0].to_string_lossy().into_owned();
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    if stdout_is_capture {
        let err = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| (126, format!("cannot start {name}: {}", os_message(&e))))?;
        cmd.stdout(Stdio::from(err));
    }
    let fd = netns.as_raw_fd();
    // SAFETY: between fork and exec the child only makes system calls (setns(2), then
    // close_range(2) or fcntl(2)), on descriptors it inherited (`netns` outlives the spawn).
    unsafe {
        cmd.pre_exec(move || {
            nix::sched::setns(
                BorrowedFd::borrow_raw(fd),
                nix::sched::CloneFlags::CLONE_NEWNET,
            )
            .map_err(std::io::Error::from)?;
            crate::os::cloexec_from(3);
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        };
        (code, format!("cannot run {name}: {}", os_message(&e)))
    })?;
    let pid = child.id() as i32;
    let (tx, rx) = oneshot::channel();
    let fd = crate::os::watch_exit(pid).map_err(|e| (126, format!("cannot watch {name}: {e}")))?;
    tokio::spawn(async move {
        let _ = fd.readable().await;
        tokio::time::sleep(AFTER).await;
        let _ = tx.send(());
    });
    Ok(Running {
        child,
        ended: Some(rx),
    })
}

/// Sends `sig` to `pid` and every process under it (their children as /proc lists them, read
/// before any is signalled, so that none is reparented away first).
fn signal_tree(pid: i32, sig: i32) {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() && all.len() < 4096 {
        let p = all[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for t in tasks.flatten() {
                let kids = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
                all.extend(
                    kids.split_whitespace()
                        .filter_map(|k| k.parse::<i32>().ok()),
                );
            }
        }
        i += 1;
    }
    for p in all {
        let _ = crate::os::kill(p, sig);
    }
}
