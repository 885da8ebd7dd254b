//! Exec mode: run a program inside the namespaces of a target, as util-linux `nsenter` does
//! (same options, join order, fork rules, messages and exit codes).
//!
//! Everything here runs on the process's only thread: `setns` into a mount or user namespace
//! fails in a multi-threaded process, so exec mode never starts a thread or a runtime. The
//! system calls go through [`sys::Sys`] so the join plan can be checked without root.

mod enter;
mod getopt;
mod options;
mod plan;
pub mod sys;

use std::ffi::{OsStr, OsString};

use nix::errno::Errno;

use plan::Plan;
#[cfg(test)]
use plan::KINDS;
use sys::Sys;
#[cfg(test)]
use sys::{Fd, Forked, OpenMode, Waited};

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

/// Everything nsenter does, through `sys`. Returns only if no program was executed (or, with
/// a recording `sys`, after the exec call).
pub fn run(sys: &mut impl Sys, names: &Names, args: &[OsString]) -> Stop {
    let mut plan = Plan::default();
    let prepared = options::parse(sys, names, args, &mut plan)
        .and_then(|operands| plan::open_descriptors(sys, &mut plan).map(|()| operands));
    match prepared {
        Ok(operands) => enter::enter_and_exec(sys, &mut plan, &operands),
        Err(stop) => stop,
    }
}

#[cfg(test)]
mod tests;
