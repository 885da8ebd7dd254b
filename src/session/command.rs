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

use anyhow::{anyhow, Result};
use tokio::sync::oneshot;

use crate::error::os_message;

/// How long the capture goes on after the command exits: its last packets (a connection's
/// closing exchange) are still in the ring or on their way, their flows still known.
const AFTER: Duration = Duration::from_millis(500);

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

    /// Its exit status as a shell reports it: the code, or 128 + the signal that ended it.
    pub(super) fn status(mut self) -> i32 {
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
/// error when nscap's standard output carries the capture (`-w -`). Inside the runtime.
pub(super) fn start(argv: &[OsString], netns: &File, stdout_is_capture: bool) -> Result<Running> {
    let name = argv[0].to_string_lossy().into_owned();
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    if stdout_is_capture {
        let err = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| anyhow!("cannot start {name}: {}", os_message(&e)))?;
        cmd.stdout(Stdio::from(err));
    }
    let fd = netns.as_raw_fd();
    // SAFETY: between fork and exec the child only makes the setns(2) system call, on a
    // descriptor it inherited open (`netns` outlives the spawn).
    unsafe {
        cmd.pre_exec(move || {
            nix::sched::setns(
                BorrowedFd::borrow_raw(fd),
                nix::sched::CloneFlags::CLONE_NEWNET,
            )
            .map_err(std::io::Error::from)
        });
    }
    let child = cmd.spawn().map_err(|e| {
        anyhow!(
            "cannot run {}: {}",
            crate::escape::text(&name),
            os_message(&e)
        )
    })?;
    let pid = child.id() as i32;
    let (tx, rx) = oneshot::channel();
    let fd = crate::os::watch_exit(pid).map_err(|e| anyhow!("cannot watch {name}: {e}"))?;
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
