//! Where packets go: pcap and pcapng files, summary lines, JSON lines, flow tables.
//!
//! A sink sees the interface table once, then packets in arrival order, then `flush` after each
//! batch that arrived together and `finish` at the end. Sinks never see raw arguments.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};

use crate::packet::Owner;
use crate::packet::{Counters, Interface, Packet};
use crate::summary::PrintOptions;

pub mod file;
pub mod flows;
pub mod lines;
pub mod pcap;
pub mod pcapng;
pub mod rotate;

use flows::FlowSink;
use lines::{LineFormat, LineSink};
use pcap::PcapWriter;
use pcapng::PcapngWriter;
use rotate::Rotating;

/// What the sinks are asked for: the output part of the configuration.
#[derive(Debug, Clone)]
pub struct Options {
    /// `-w`: `-` means standard output.
    pub write: Option<PathBuf>,
    pub format: Option<Format>,
    /// `-U`: every packet written out as it comes.
    pub packet_buffered: bool,
    /// When `-w FILE` starts a new file, and when the capture stops on a file limit.
    pub rotation: rotate::Plan,
    /// Which clock rotates by time: the wall's (live) or the packets' (`-r`).
    pub clock: rotate::Clock,
    /// The filter, recorded in pcapng files (`if_filter`).
    pub filter: Option<String>,
    /// Print summaries (or JSON) on stdout.
    pub print: bool,
    pub json: bool,
    pub flows: bool,
}

impl Options {
    pub fn writes_stdout(&self) -> bool {
        self.write.as_deref() == Some(Path::new("-"))
    }
}

/// `--format`: the file format of `-w`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    Pcapng,
}

/// Where a file output stands, for the live counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// Packets handed to the file, over every file.
    pub packets: u64,
    /// Of those, the packets the file system refused (no room, a quota): the file was cut
    /// back to its last whole packet and nothing more was written.
    pub refused: Option<u64>,
    /// Bytes written, over every file.
    pub bytes: u64,
    /// The file being written now.
    pub file: PathBuf,
    /// How many files were opened (more than one with rotation).
    pub files: u64,
}

pub trait Sink {
    /// Called once, before any packet, with every interface that packets may name.
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()>;
    /// More interfaces, numbered after those already given: a pcapng file may declare them
    /// between packets. Only the new ones are passed, so the cost stays linear.
    fn add_interfaces(&mut self, _added: &[Interface]) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this output takes its interfaces once, at the start",
        ))
    }
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()>;
    /// A packet and the local process it belongs to (`--process`); sinks that do not show
    /// processes take the packet alone.
    fn packet_by(&mut self, pkt: &Packet<'_>, owner: Option<&Owner>) -> io::Result<()> {
        let _ = owner;
        self.packet(pkt)
    }
    /// End of a group of packets that arrived together: packet-buffered sinks write through here.
    fn flush(&mut self) -> io::Result<()>;
    /// The live capture's counters per interface, before `finish` (files can record them).
    fn counters(&mut self, _counters: &[Counters]) -> io::Result<()> {
        Ok(())
    }
    /// An interface left a live capture (`--follow`) with these counters: files record them
    /// then, as they do for every interface at the end.
    fn interface_left(&mut self, _iface: usize, _counters: &Counters) -> io::Result<()> {
        Ok(())
    }
    /// Writes out whatever is buffered, however little: a live session calls it twice a
    /// second, so a killed nscap loses at most the last second of packets, and a file on disk
    /// always ends on a whole record. Sinks that write every batch, or only at the end, have
    /// nothing to do.
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// End of the capture: write what is left (trailers, tables) and flush. A sink whose end
    /// is only its buffer written out has nothing more to do than [`Sink::sync`].
    fn finish(&mut self) -> io::Result<()> {
        self.sync()
    }
    /// A live capture's counters so far, as they change: a file closed by a rotation records
    /// them.
    fn progress(&mut self, _so_far: &[Counters]) {}
    /// Called a few times a second in a live capture: work due by the clock (a new file every
    /// `-G` seconds).
    fn tick(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// A limit was reached (`-a filesize`, `-a files`, `-G` with `-W`): no more packets are
    /// wanted, and the capture ends as after `-c`.
    fn exhausted(&self) -> bool {
        false
    }
    /// Where a file output stands; `None` for every other sink.
    fn status(&self) -> Option<FileStatus> {
        None
    }
}

pub type BoxSink = Box<dyn Sink + Send>;

/// The sinks of a live capture and what has been written to them, shared by the session and,
/// when one handle feeds them, the capture thread that writes its packets straight from the
/// ring (see `capture::Inline`).
pub struct Shared {
    pub sinks: Vec<BoxSink>,
    /// Packets the sinks took, over every interface.
    pub written: u64,
    /// Packets are still written: false after `-c`, a sink's limit, a closed pipe or a write
    /// error (what comes later is read and left out).
    pub writing: bool,
}

/// [`Shared`] as both threads hold it.
pub type Outputs = std::sync::Arc<std::sync::Mutex<Shared>>;

/// The outputs, whether or not the other thread stopped while holding them (it never panics
/// while writing; if it did, what it wrote is still there to finish).
pub fn lock(out: &Outputs) -> std::sync::MutexGuard<'_, Shared> {
    out.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub fn new(sinks: Vec<BoxSink>) -> Outputs {
        std::sync::Arc::new(std::sync::Mutex::new(Shared {
            sinks,
            written: 0,
            writing: true,
        }))
    }

    /// One packet to every sink, in order: false when a sink reached an autostop limit and did
    /// not take it (the file sink comes first: a packet it refused is not printed either).
    pub fn packet(&mut self, p: &Packet<'_>, owner: Option<&Owner>) -> io::Result<bool> {
        for s in self.sinks.iter_mut() {
            s.packet_by(p, owner)?;
            if s.exhausted() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The end of a group of packets: see [`Sink::flush`].
    pub fn flush(&mut self) -> io::Result<()> {
        self.sinks.iter_mut().try_for_each(|s| s.flush())
    }

    /// A sink reached its limit (`-a filesize`, `-a files`, `-W` with `-G`).
    pub fn exhausted(&self) -> bool {
        self.sinks.iter().any(|s| s.exhausted())
    }
}

/// The interface a Linux cooked v2 header names (its index is bytes 4..8, network order), in
/// `members` (index in the namespace, the session's interface), if it was there when the
/// capture started.
pub fn member_of(members: &[(u32, usize)], sll2: &[u8]) -> Option<usize> {
    let index = u32::from_be_bytes(sll2.get(4..8)?.try_into().ok()?);
    let at = members.binary_search_by_key(&index, |&(i, _)| i).ok()?;
    Some(members[at].1)
}
/// A writer that a sink owns.
pub type Output = Box<dyn Write + Send>;

/// The sinks `cfg` asks for, printing as `print_opts` says,, in the order they must see packets: the `-w` file, then summary
/// or JSON lines, then the conversation table (written at `finish`, so after every line).
///
/// `interfaces` decides the file's format: pcapng for several interfaces or mixed link types.
/// `stdout` hands out standard output to each sink that writes there (live capture gives its
/// raw descriptor, `-r` std's handle); the table goes to standard error instead when standard
/// output carries `-w -` data.
pub fn build(
    cfg: &Options,
    print_opts: &PrintOptions,
    interfaces: &[Interface],
    stdout: impl Fn() -> Result<Output>,
) -> Result<Vec<BoxSink>> {
    let mut sinks: Vec<BoxSink> = Vec::new();
    if let Some(path) = &cfg.write {
        let same_link = interfaces
            .windows(2)
            .all(|w| w[0].linktype == w[1].linktype);
        if cfg.format == Some(Format::Pcap) && !same_link {
            return Err(anyhow!(
                "--format pcap: the interfaces have different link types; use pcapng"
            ));
        }
        if path == Path::new("-") {
            let out = stdout()?;
            let format = cfg.format.unwrap_or(if interfaces.len() > 1 || !same_link {
                Format::Pcapng
            } else {
                Format::Pcap
            });
            // No buffer of its own: the writers gather whole records and write them out in
            // one call, so the output never ends in the middle of one.
            sinks.push(match format {
                Format::Pcap => {
                    Box::new(PcapWriter::new(out, print_opts.nano, cfg.packet_buffered))
                }
                Format::Pcapng => Box::new(
                    PcapngWriter::new(out, cfg.packet_buffered).with_filter(cfg.filter.as_deref()),
                ),
            });
        } else {
            // A file, rotated or not: created at `start`, when its format is known (a file
            // being split learns its interfaces from its input).
            sinks.push(Box::new(
                Rotating::new(
                    path.clone(),
                    cfg.rotation.clone(),
                    cfg.format,
                    print_opts.nano,
                    cfg.packet_buffered,
                    cfg.clock,
                )
                .with_filter(cfg.filter.as_deref()),
            ));
        }
    }
    if cfg.print {
        let format = if cfg.json {
            LineFormat::Json
        } else {
            LineFormat::Text
        };
        sinks.push(Box::new(LineSink::new(
            print_opts.clone(),
            format,
            stdout()?,
        )));
    }
    if cfg.flows {
        let out = if cfg.writes_stdout() {
            Box::new(io::stderr())
        } else {
            stdout()?
        };
        sinks.push(Box::new(FlowSink::new(print_opts.clone(), out)));
    }
    Ok(sinks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooked_v2_packets_go_under_their_interface() {
        let members = [(1, 7), (4, 8), (9, 9)];
        let mut sll2 = [0u8; 20];
        sll2[4..8].copy_from_slice(&4u32.to_be_bytes());
        assert_eq!(member_of(&members, &sll2), Some(8));
        sll2[4..8].copy_from_slice(&5u32.to_be_bytes());
        assert_eq!(member_of(&members, &sll2), None);
        assert_eq!(member_of(&members, &sll2[..7]), None);
    }
}
