//! Running commands: to completion with their output collected, or in the background under a
//! guard that kills them.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs a command that must succeed; panics with its stderr otherwise.
pub fn sh(cmd: &str) -> String {
    let mut c = Command::new("sh");
    c.arg("-c").arg(cmd);
    ok_stdout(&mut c)
}

/// Runs `cmd` to completion and returns its stdout; panics naming it, with its stderr, when it
/// fails.
pub fn ok_stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a finished command printed, as text, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub status: ExitStatus,
}

impl From<Output> for Out {
    fn from(o: Output) -> Out {
        Out {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            status: o.status,
        }
    }
}

/// Runs `cmd` to completion with `stdin` as its input (none: an empty, closed stdin).
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Out {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap().into()
}

/// Polls `done` every 10 ms until it yields a value; panics with `what()` after `secs` seconds.
pub fn wait_until<T>(
    secs: u64,
    what: impl FnOnce() -> String,
    mut done: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = done() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("{}", what());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A child process killed and reaped on drop (its process group too, so `sh -c` children die).
pub struct Proc {
    pub child: Child,
}

impl Proc {
    /// `sh -c CMD`, its output discarded.
    pub fn spawn(cmd: &str) -> Proc {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(cmd)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Proc::start(c)
    }

    /// Starts `cmd` with stdin closed, in a process group of its own; its stdout and stderr go
    /// where `cmd` says.
    pub fn start(mut cmd: Command) -> Proc {
        let child = cmd.stdin(Stdio::null()).process_group(0).spawn().unwrap();
        Proc { child }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The first process found running `comm`, this one or a descendant (the `sleep` under `sh`
    /// under `ip`); panics if this process exits first.
    pub fn descendant(&mut self, comm: &str) -> i32 {
        let top = self.pid();
        let child = &mut self.child;
        wait_until(
            10,
            || format!("no `{comm}` under pid {top}"),
            || {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("pid {top} exited ({status}) before a `{comm}` ran under it");
                }
                let mut stack = vec![top];
                while let Some(p) = stack.pop() {
                    if std::fs::read_to_string(format!("/proc/{p}/comm"))
                        .is_ok_and(|c| c.trim() == comm)
                    {
                        return Some(p);
                    }
                    if let Ok(kids) =
                        std::fs::read_to_string(format!("/proc/{p}/task/{p}/children"))
                    {
                        stack.extend(
                            kids.split_whitespace()
                                .filter_map(|k| k.parse::<i32>().ok()),
                        );
                    }
                }
                None
            },
        )
    }

    /// Waits for the exit and returns what it printed (stdout and stderr must be piped).
    pub fn output(&mut self) -> Out {
        let mut stdout = self.child.stdout.take().unwrap();
        let mut stderr = self.child.stderr.take().unwrap();
        let err = std::thread::spawn(move || {
            let mut b = Vec::new();
            stderr.read_to_end(&mut b).map(|_| b)
        });
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        let stderr = err.join().unwrap().unwrap();
        let status = self.child.wait().unwrap();
        Output {
            status,
            stdout: out,
            stderr,
        }
        .into()
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
