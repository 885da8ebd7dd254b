//! `-r`: print a pcap or pcapng file (or standard input) through the same printers as live
//! capture, with the BPF filter and `-c` applied.
//!
//! A damaged file prints every packet before the damage, then the table (with `--flows`), and
//! then the caller prints one error line and exits 1.

pub mod file;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Result};

use crate::cli::{Config, Input};
use crate::packet::Interface;
use crate::sink::print::printers;
use crate::sink::Sink;
pub use file::FileReader;

/// BPF programs compiled for each link type the file uses.
struct Filters {
    expr: Option<String>,
    compiled: Vec<(u16, pcap::BpfProgram)>,
}

impl Filters {
    fn prepare(&mut self, interfaces: &[Interface]) -> Result<()> {
        let Some(expr) = &self.expr else {
            return Ok(());
        };
        for i in interfaces {
            if self.compiled.iter().any(|(lt, _)| *lt == i.linktype) {
                continue;
            }
            let dead = pcap::Capture::dead(pcap::Linktype(i32::from(i.linktype)))
                .map_err(|e| anyhow!("filter: {e}"))?;
            let prog = dead
                .compile(expr, true)
                .map_err(|e| anyhow!("filter {expr:?}: {e}"))?;
            self.compiled.push((i.linktype, prog));
        }
        Ok(())
    }

    fn matches(&self, linktype: u16, data: &[u8]) -> bool {
        if self.expr.is_none() {
            return true;
        }
        self.compiled
            .iter()
            .find(|(lt, _)| *lt == linktype)
            .is_some_and(|(_, p)| p.filter(data))
    }
}

fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// The whole `-r` mode; returns the exit code (errors are the caller's to print, exit 1).
pub fn run(cfg: &Config) -> Result<u8> {
    let Input::File(path) = &cfg.input else {
        bail!("read mode needs -r FILE");
    };
    let input: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(|e| {
            let reason = e.to_string();
            let reason = reason
                .split(" (os error")
                .next()
                .unwrap_or(&reason)
                .to_string();
            anyhow!("cannot read {}: {reason}", path.display())
        })?)
    };
    let sinks = printers(cfg, Box::new(io::stdout()), Box::new(io::stdout()));
    match print_file(cfg, input, sinks) {
        Err(e) if e.downcast_ref::<io::Error>().is_some_and(is_broken_pipe) => Ok(0),
        Err(e) if path == Path::new("-") => Err(e.context("standard input")),
        Err(e) => Err(e.context(path.display().to_string())),
        Ok(()) => Ok(0),
    }
}

/// Feeds every packet of `input` that passes the filter to `sinks`, up to `cfg.count`.
pub fn print_file(
    cfg: &Config,
    input: impl Read,
    mut sinks: Vec<Box<dyn Sink + Send>>,
) -> Result<()> {
    let mut reader = FileReader::new(input)?;
    let mut filters = Filters {
        expr: cfg.filter.clone(),
        compiled: Vec::new(),
    };
    let mut printed: u64 = 0;
    let mut started = false;
    let result = (|| -> Result<()> {
        loop {
            if cfg.count.is_some_and(|c| printed >= c) {
                return Ok(());
            }
            let more = reader.advance();
            let added = reader.take_new_interfaces();
            if !started || !added.is_empty() {
                filters.prepare(added)?;
                for s in sinks.iter_mut() {
                    if started {
                        s.add_interfaces(added)?;
                    } else {
                        s.start(added)?;
                    }
                }
                started = true;
            }
            if !more? {
                return Ok(());
            }
            let pkt = reader.packet();
            let linktype = reader.interfaces()[pkt.iface].linktype;
            if !filters.matches(linktype, pkt.data) {
                continue;
            }
            for s in sinks.iter_mut() {
                s.packet(&pkt)?;
            }
            printed += 1;
        }
    })();
    // What was read before any damage is printed in full, then the error goes up.
    for s in sinks.iter_mut() {
        if let Err(e) = s.finish() {
            if result.is_ok() || is_broken_pipe(&e) {
                return Err(e.into());
            }
        }
    }
    result
}
