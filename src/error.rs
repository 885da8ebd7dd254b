//! How a run of nscap ends, and OS errors in words.
//!
//! Every capture-side mode (live capture, `-r`, `list`) returns `Result<(), Exit>`; `main`
//! reports the [`Exit`] once, as one line, and takes the exit status from its kind.

use std::fmt::Display;
use std::io;

use nix::errno::Errno;

/// Why nscap stops before finishing its work normally.
#[derive(Debug)]
pub enum Exit {
    /// `--help` or `--version`: clap's text on standard output, status 0.
    Info(clap::Error),
    /// The command line is wrong or contradicts itself: status 2.
    Usage(String),
    /// Something failed while running: status 1.
    Fail(anyhow::Error),
    /// `-- COMMAND` ended with this status, which becomes nscap's (0 included); nothing to say.
    Status(i32),
}

impl Exit {
    pub fn usage(message: impl Display) -> Exit {
        Exit::Usage(message.to_string())
    }

    pub fn status(&self) -> u8 {
        match self {
            Exit::Info(_) => 0,
            Exit::Fail(_) => 1,
            Exit::Usage(_) => 2,
            Exit::Status(code) => u8::try_from(*code).unwrap_or(1),
        }
    }

    /// Prints what there is to say (help text on stdout, one `nscap: ` line on stderr) and
    /// returns the exit status.
    pub fn report(self) -> u8 {
        let status = self.status();
        match self {
            Exit::Info(e) => {
                let _ = e.print();
            }
            // Messages quote names from outside (interfaces, containers, libpcap's words):
            // nothing they hold may drive the terminal.
            Exit::Usage(m) => eprintln!("nscap: {}", crate::escape::text(&m)),
            Exit::Fail(e) => eprintln!("nscap: {}", crate::escape::text(&format!("{e:#}"))),
            Exit::Status(_) => {}
        }
        status
    }
}

impl From<anyhow::Error> for Exit {
    fn from(e: anyhow::Error) -> Exit {
        Exit::Fail(e)
    }
}

impl From<clap::Error> for Exit {
    fn from(e: clap::Error) -> Exit {
        if !e.use_stderr() {
            return Exit::Info(e);
        }
        // clap's message on one line like every other error, its hints (such as the possible
        // values) joined on, its usage and "for more information" lines left out.
        let text = e.render().to_string();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .filter(|l| !l.is_empty())
            .collect();
        Exit::Usage(lines.join(" ").trim_start_matches("error: ").to_string())
    }
}

/// An I/O error as a person reads it: an OS error is its errno's description alone ("No space
/// left on device"), without the "(os error 28)" that `io::Error` appends.
pub fn os_message(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// True when the OS refused for lack of privilege (EPERM or EACCES).
pub fn denied(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_are_their_description_alone() {
        let e = io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(os_message(&e), "No space left on device");
        let e = io::Error::new(io::ErrorKind::InvalidData, "truncated");
        assert_eq!(os_message(&e), "truncated");
    }

    #[test]
    fn privilege_errors_are_told_by_errno() {
        for n in [libc::EPERM, libc::EACCES] {
            assert!(denied(&io::Error::from_raw_os_error(n)), "{n}");
        }
        assert!(denied(&io::Error::from(Errno::EPERM)));
        assert!(!denied(&io::Error::from_raw_os_error(libc::ENOENT)));
    }

    #[test]
    fn each_kind_has_its_status() {
        assert_eq!(Exit::usage("-c 0").status(), 2);
        assert_eq!(Exit::from(anyhow::anyhow!("gone")).status(), 1);
    }
}
