//! How a live capture ends, and what it says then: tcpdump's closing statistics, and the one
//! line that names an output that could not be written.

use std::io;
use std::path::Path;

use anyhow::anyhow;

use crate::error::os_message;
#[cfg(test)]
use crate::packet::Kernel;
use crate::packet::{Counters, Interface};
use crate::sink;
use crate::stop;

/// Why a session ended.
pub(super) enum Ending {
    /// All sources ended (they only do so when stopped).
    Done,
    Signal,
    Count,
    /// Our standard output is a closed pipe: end quietly.
    ClosedPipe,
    /// A source failed, the target exited, or output could not be written.
    Failed(String),
}

/// Records why writing stopped: a closed pipe ends quietly; output still blocked after a stop
/// signal ends as the signal asked, with a note; anything else is a failure.
pub(super) fn write_failed(
    cfg: &sink::Options,
    e: &io::Error,
    end: &mut Option<Ending>,
    blocked: &mut Option<String>,
) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        *end = Some(Ending::ClosedPipe);
    } else if e.kind() == io::ErrorKind::TimedOut && stop::requested().is_some() {
        blocked.get_or_insert_with(|| write_error(cfg, e).to_string());
        end.get_or_insert(Ending::Signal);
    } else {
        *end = Some(Ending::Failed(write_error(cfg, e).to_string()));
    }
}

/// The one line for an output that could not be written, naming it.
pub(crate) fn write_error(cfg: &sink::Options, e: &io::Error) -> anyhow::Error {
    // A file output names the file it was writing (with rotation, not the -w template).
    if let Some(m) = sink::rotate::file_message(e) {
        return anyhow!(m);
    }
    match &cfg.write {
        Some(p) if p != Path::new("-") => {
            anyhow!("cannot write {}: {}", p.display(), os_message(e))
        }
        _ => anyhow!("cannot write to standard output: {}", os_message(e)),
    }
}

/// After the statistics, when the file system refused a write: how many packets the files
/// hold and how many the last could not take (it ends on its last whole packet).
pub(super) fn refused_text(st: &sink::FileStatus) -> String {
    let refused = st.refused.unwrap_or(0);
    let written = st.packets.saturating_sub(refused);
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let file = crate::escape::name(st.file.as_os_str().as_encoded_bytes());
    // With rotation the count is over every file: naming only the last would say it holds them.
    let into = if st.files > 1 {
        format!("{} files, the last {file}", st.files)
    } else {
        file.to_string()
    };
    format!(
        "{written} packet{} written to {into}\n{refused} packet{} refused by the file system\n",
        plural(written),
        plural(refused)
    )
}

/// After the statistics, when packets of several interfaces could not all be put in time order:
/// how many came later than the hold and were written behind later ones.
pub(crate) fn late_text(late: u64, hold: std::time::Duration) -> String {
    let plural = if late == 1 { "" } else { "s" };
    format!(
        "{late} packet{plural} written out of time order (they came more than {} ms late)\n",
        hold.as_millis()
    )
}

/// tcpdump's closing statistics; one group per interface, named when there are several.
pub fn stats_text(interfaces: &[Interface], counters: &[Counters]) -> String {
    stats_text_named(interfaces, counters, interfaces.len() > 1)
}

/// [`stats_text`], each group named by its interface when `many` (`-H` always names them: the
/// name says which host).
pub fn stats_text_named(interfaces: &[Interface], counters: &[Counters], many: bool) -> String {
    let mut s = String::new();
    for (iface, c) in interfaces.iter().zip(counters) {
        let prefix = if many {
            format!("{}: ", crate::escape::name(iface.name.as_bytes()))
        } else {
            String::new()
        };
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        s += &format!(
            "{prefix}{} packet{} captured\n",
            c.captured,
            plural(c.captured)
        );
        let Some(k) = c.kernel else {
            // Never 0 for a counter that was not read.
            s += &format!("{prefix}received by filter: unknown\n");
            s += &format!("{prefix}dropped by kernel: unknown\n");
            continue;
        };
        s += &format!(
            "{prefix}{} packet{} received by filter\n",
            k.received,
            plural(k.received)
        );
        s += &format!(
            "{prefix}{} packet{} dropped by kernel\n",
            k.dropped,
            plural(k.dropped)
        );
        if k.if_dropped != 0 {
            let f = k.if_dropped;
            s += &format!("{prefix}{f} packet{} dropped by interface\n", plural(f));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str) -> Interface {
        Interface::for_test(name, 1)
    }

    #[test]
    fn statistics_use_tcpdump_words() {
        let k = Kernel {
            received: 7,
            dropped: 1,
            if_dropped: 0,
        };
        let st = Counters {
            captured: 5,
            kernel: Some(k),
        };
        assert_eq!(
            stats_text(&[iface("eth0")], &[st]),
            "5 packets captured\n7 packets received by filter\n1 packet dropped by kernel\n"
        );
        let one = Counters { captured: 1, ..st };
        let zero = Counters {
            captured: 0,
            kernel: Some(Kernel::default()),
        };
        let two = stats_text(&[iface("eth0"), iface("lo")], &[one, zero]);
        assert!(two.contains("eth0: 1 packet captured\n"), "{two}");
        assert!(two.contains("lo: 0 packets dropped by kernel\n"), "{two}");
        let ifd = Counters {
            kernel: Some(Kernel { if_dropped: 3, ..k }),
            ..st
        };
        assert!(stats_text(&[iface("eth0")], &[ifd]).ends_with("3 packets dropped by interface\n"));
    }

    /// A counter that was not read is said to be unknown, never 0.
    #[test]
    fn unread_counters_are_unknown() {
        let st = Counters {
            captured: 30,
            kernel: None,
        };
        assert_eq!(
            stats_text(&[iface("eth0")], &[st]),
            "30 packets captured\nreceived by filter: unknown\ndropped by kernel: unknown\n"
        );
    }
}
