//! The nscap binary under test: run to completion, or in the background with its stderr read
//! line by line.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::wait_until;

pub fn nscap_bin() -> &'static str {
    env!("CARGO_BIN_EXE_nscap")
}

/// The static binary of scripts/static.sh (the script's last line), built once per test
/// process: scripts/test.sh builds it before the tests; a test run alone builds it (minutes
/// from cold, cached under target/static afterwards).
pub fn static_bin() -> &'static str {
    static_bin_for("x86_64")
}

/// [`static_bin`] for `arch`: `x86_64`, or `aarch64` (cached under target/static-aarch64; run
/// it under qemu-aarch64-static).
pub fn static_bin_for(arch: &str) -> &'static str {
    use std::sync::OnceLock;
    static X86_64: OnceLock<String> = OnceLock::new();
    static AARCH64: OnceLock<String> = OnceLock::new();
    let slot = match arch {
        "x86_64" => &X86_64,
        "aarch64" => &AARCH64,
        _ => panic!("scripts/static.sh builds no {arch}"),
    };
    slot.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/static.sh");
        let out = super::ok_stdout(Command::new("sh").arg(script).arg(arch));
        out.lines()
            .last()
            .expect("scripts/static.sh printed no path")
            .to_string()
    })
}

/// Runs nscap to completion.
pub fn nscap(args: &[&str]) -> Output {
    Command::new(nscap_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// nscap running in the background, its stderr read line by line; killed on drop.
pub struct Nscap {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub stderr: Vec<String>,
    /// Run by a wrapper that leads its own process group: the group goes at the end too, or a
    /// test that fails leaves nscap running after its wrapper is killed.
    group: bool,
}

impl Nscap {
    pub fn spawn(args: &[&str]) -> Nscap {
        Self::spawn_with(args, Stdio::null())
    }

    pub fn spawn_with(args: &[&str], stdout: Stdio) -> Nscap {
        Self::spawn_env(args, stdout, &[])
    }

    /// With `env` added to its environment (`NSCAP_DOCKER_ROOT` ...).
    pub fn spawn_env(args: &[&str], stdout: Stdio, env: &[(&str, &std::path::Path)]) -> Nscap {
        let mut cmd = Command::new(nscap_bin());
        cmd.args(args).envs(env.iter().copied()).stdout(stdout);
        Self::start(cmd)
    }

    /// Run by `wrapper` (`timeout 20`, say), which gets nscap's path and `args` after its own.
    pub fn spawn_under(wrapper: &[&str], args: &[&str]) -> Nscap {
        let mut cmd = Command::new(wrapper[0]);
        cmd.args(&wrapper[1..])
            .arg(nscap_bin())
            .args(args)
            .stdout(Stdio::null())
            .process_group(0);
        let mut n = Self::start(cmd);
        n.group = true;
        n
    }

    /// `cmd` (nscap under another name, say), its standard error read line by line.
    pub fn start(mut cmd: Command) -> Nscap {
        let mut child = cmd
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Nscap {
            child,
            lines,
            stderr: Vec::new(),
            group: false,
        }
    }

    /// Waits for a stderr line containing `needle` (e.g. "listening on").
    pub fn wait_for(&mut self, needle: &str) {
        self.wait_for_within(needle, 10)
    }

    /// Waits at most `secs` for a stderr line containing `needle`.
    pub fn wait_for_within(&mut self, needle: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l.contains(needle);
                    self.stderr.push(l);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!("no stderr line with {needle:?}; got {:?}", self.stderr),
            }
        }
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// Waits (at most `secs`) for exit; returns the exit code and every stderr line. A panic
    /// here leaves the child to Drop, which kills it.
    pub fn finish(mut self, secs: u64) -> (Option<i32>, Vec<String>) {
        let child = &mut self.child;
        let stderr = &self.stderr;
        let status = wait_until(
            secs,
            || format!("nscap did not exit within {secs}s; stderr {stderr:?}"),
            || child.try_wait().unwrap(),
        );
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.stderr.push(l);
        }
        (status.code(), std::mem::take(&mut self.stderr))
    }
}

impl Drop for Nscap {
    fn drop(&mut self) {
        if self.group {
            // SAFETY: kill(2) on the process group the wrapper leads.
            unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
