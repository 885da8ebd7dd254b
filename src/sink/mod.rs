//! Where packets go: pcap and pcapng files, summary lines, JSON lines, flow tables.
//!
//! A sink sees the interface table once, then packets in arrival order, then `flush` after each
//! batch that arrived together and `finish` at the end. Sinks never see raw arguments.

use std::io;

use crate::packet::{Counters, Interface, Packet};

pub mod pcap;
pub mod pcapng;
pub mod print;
pub mod text;

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
    /// End of a group of packets that arrived together: packet-buffered sinks write through here.
    fn flush(&mut self) -> io::Result<()>;
    /// The live capture's counters per interface, before `finish` (files can record them).
    fn counters(&mut self, _counters: &[Counters]) -> io::Result<()> {
        Ok(())
    }
    /// End of the capture: write what is left (trailers, tables) and flush.
    fn finish(&mut self) -> io::Result<()>;
}
