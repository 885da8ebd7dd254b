//! `-r`: print a pcap or pcapng file (or standard input) through the same printers as live
//! capture, with the BPF filter and `-c` applied; with `-w`, copy the packets that pass into
//! another file (split by `-C`, `-G` or `-b` when asked).
//!
//! A damaged file prints every packet before the damage, then the table (with `--flows`), and
//! then the caller prints one error line and exits 1. An output that cannot be written is named
//! as such, not blamed on the file.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::{anyhow, bail, Result};

use crate::cli::{Config, Input};
use crate::error::os_message;
use crate::packet::Interface;
use crate::reader::FileReader;
use crate::sink::{self, BoxSink};

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
            let dead =
                pcap::Capture::dead(pcap::Linktype(crate::link::dlt_of_linktype(i.linktype)))
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

/// Why printing a file stopped before its end.
#[derive(Debug)]
pub enum Failure {
    /// The input cannot be read or is damaged, or the filter does not compile for it: told
    /// with the input's name.
    Input(anyhow::Error),
    /// The printed lines cannot be written: the output's fault, not the file's.
    Output(io::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Input(e)
    }
}

/// The whole `-r` mode.
pub fn run(cfg: &Config) -> Result<()> {
    let Input::File(path) = &cfg.input else {
        bail!("read mode needs -r FILE");
    };
    let input: Box<dyn Read + Send> = if path == Path::new("-") {
        Box::new(io::stdin())
    } else {
        Box::new(
            File::open(path)
                .map_err(|e| anyhow!("cannot read {}: {}", path.display(), os_message(&e)))?,
        )
    };
    // The input is open: from here on, files are created as the -Z user.
    if let Some(user) = &cfg.user {
        crate::privs::drop_to(user, &[])?;
    }
    let sinks: Vec<BoxSink> = if cfg.count_only {
        vec![Box::new(CountSink {
            count: 0,
            out: io::stdout(),
        })]
    } else {
        sink::build(&cfg.output, &cfg.print_opts, &[], || {
            Ok(Box::new(io::stdout()))
        })?
    };
    match print_file(cfg, input, sinks) {
        Ok(()) => Ok(()),
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(Failure::Output(e)) if sink::rotate::file_message(&e).is_some() => {
            bail!("{}", sink::rotate::file_message(&e).unwrap_or_default())
        }
        Err(Failure::Output(e)) => bail!("cannot write to standard output: {}", os_message(&e)),
        Err(Failure::Input(e)) if path == Path::new("-") => Err(e.context("standard input")),
        Err(Failure::Input(e)) => Err(e.context(path.display().to_string())),
    }
}

/// `--count`: tcpdump's one line, `N packets`, once the file is read.
struct CountSink<W: io::Write> {
    count: u64,
    out: W,
}

impl<W: io::Write> sink::Sink for CountSink<W> {
    fn start(&mut self, _interfaces: &[Interface]) -> io::Result<()> {
        Ok(())
    }

    fn add_interfaces(&mut self, _added: &[Interface]) -> io::Result<()> {
        Ok(())
    }

    fn packet(&mut self, _pkt: &crate::packet::Packet<'_>) -> io::Result<()> {
        self.count += 1;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let s = if self.count == 1 { "" } else { "s" };
        writeln!(self.out, "{} packet{s}", self.count)?;
        self.out.flush()
    }
}

/// Feeds every packet of `input` that passes the filter to `sinks`, up to `cfg.count`.
pub fn print_file(
    cfg: &Config,
    input: impl Read + Send + 'static,
    mut sinks: Vec<BoxSink>,
) -> Result<(), Failure> {
    // A second CPU reads ahead while this one parses; on one (taskset, a cgroup quota) the
    // hand-overs would only add to the work: 71.6 ms against 65.2 ms for 200 000 packets.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut reader = if cpus > 1 {
        FileReader::read_ahead(input)?
    } else {
        FileReader::new(input)?
    };
    let mut filters = Filters {
        expr: cfg.handle.filter.clone(),
        compiled: Vec::new(),
    };
    let mut printed: u64 = 0;
    let mut started = false;
    let result = (|| -> Result<(), Failure> {
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
                        s.add_interfaces(added).map_err(Failure::Output)?;
                    } else {
                        s.start(added).map_err(Failure::Output)?;
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
                s.packet(&pkt).map_err(Failure::Output)?;
                // -a filesize or -a files reached: the rest of the input is not wanted.
                if s.exhausted() {
                    return Ok(());
                }
            }
            printed += 1;
        }
    })();
    // What was read before any damage is printed in full, then the error goes up; an output
    // that fails at the end is told only when nothing else went wrong, or when it is a closed
    // pipe, which ends the run quietly.
    for s in sinks.iter_mut() {
        if let Err(e) = s.finish() {
            if result.is_ok() || e.kind() == io::ErrorKind::BrokenPipe {
                return Err(Failure::Output(e));
            }
        }
    }
    result
}
