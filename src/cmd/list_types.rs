//! `-L` and `-J`: what the interfaces inside a target offer (data link types, time stamp
//! types), asked of libpcap in the target's namespace, printed in tcpdump's words.

use std::fmt::Write as _;

use anyhow::{anyhow, Result};
use pcap::{Capture, Linktype};

use crate::targets::Target;

/// What to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `-L`
    DataLinks,
    /// `-J`
    TimeStamps,
}

/// The listing for every target (each under its label when there are several), and the
/// notes tcpdump writes on standard error instead.
pub fn list(targets: &[Target], names: &[String], what: Listing) -> Result<(String, String)> {
    let mut out = String::new();
    let mut notes = String::new();
    for t in targets {
        let names = names.to_vec();
        let label = t.label.clone();
        let (text, note) = crate::netns::run(t.netns.try_clone()?, t.label.clone(), move || {
            one_namespace(&names, &label, what)
        })?;
        if targets.len() > 1 {
            let _ = writeln!(out, "{}:", t.label);
        }
        out.push_str(&text);
        notes.push_str(&note);
    }
    Ok((out, notes))
}

/// `-L` or `-J`: prints the listing on standard output (notes on standard error).
pub fn run(cfg: &crate::cli::Config, targets: &[Target]) -> Result<()> {
    let what = if cfg.list_datalinks {
        Listing::DataLinks
    } else {
        Listing::TimeStamps
    };
    let (out, notes) = list(targets, &cfg.interfaces, what)?;
    eprint!("{notes}");
    match std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow!(
            "cannot write to standard output: {}",
            crate::error::os_message(&e)
        )),
        _ => Ok(()),
    }
}

/// Runs inside the target's namespace.
fn one_namespace(names: &[String], label: &str, what: Listing) -> Result<(String, String)> {
    let ifs = crate::iface::list()?;
    let chosen = crate::capture::choose(names, &ifs, label)?;
    let mut out = String::new();
    let mut notes = String::new();
    for name in chosen {
        let shown = crate::escape::name(name.as_bytes());
        let inactive =
            Capture::from_device(name).map_err(|e| anyhow!("{shown} in {label}: {e}"))?;
        match what {
            Listing::DataLinks => {
                let cap = inactive
                    .open()
                    .map_err(|e| anyhow!("cannot open {shown} in {label}: {e}"))?;
                let dlts = cap
                    .list_datalinks()
                    .map_err(|e| anyhow!("{shown} in {label}: {e}"))?;
                let _ = writeln!(out, "Data link types for {shown} (use option -y to set):");
                for d in dlts {
                    let _ = writeln!(out, "  {}", datalink_line(d));
                }
            }
            Listing::TimeStamps => {
                let types = crate::capture::libpcap::list_tstamp_types(&inactive)
                    .map_err(|e| anyhow!("{shown} in {label}: {e}"))?;
                if types.is_empty() {
                    let _ = writeln!(notes, "nscap: time stamp type cannot be set for {shown}");
                    continue;
                }
                let _ = writeln!(out, "Time stamp types for {shown} (use option -j to set):");
                for t in types {
                    let _ = writeln!(out, "  {}", crate::capture::libpcap::tstamp_type_line(t));
                }
            }
        }
    }
    Ok((out, notes))
}

/// `EN10MB (Ethernet)`, or `DLT 147` for a type libpcap has no name for, as tcpdump prints.
fn datalink_line(d: Linktype) -> String {
    match (d.get_name(), d.get_description()) {
        (Ok(n), Ok(desc)) => format!("{n} ({desc})"),
        (Ok(n), Err(_)) => n,
        _ => format!("DLT {}", d.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datalink_lines_are_tcpdumps() {
        assert_eq!(datalink_line(Linktype(1)), "EN10MB (Ethernet)");
        assert_eq!(datalink_line(Linktype(276)), "LINUX_SLL2 (Linux cooked v2)");
    }

    #[test]
    fn loopback_of_this_namespace() {
        let (out, notes) = one_namespace(&["lo".to_string()], "here", Listing::DataLinks).unwrap();
        assert_eq!(
            out,
            "Data link types for lo (use option -y to set):\n  EN10MB (Ethernet)\n"
        );
        assert!(notes.is_empty());
        let (out, _) = one_namespace(&["lo".to_string()], "here", Listing::TimeStamps).unwrap();
        assert!(
            out.starts_with("Time stamp types for lo (use option -j to set):\n  host (Host)\n"),
            "{out}"
        );
    }
}
