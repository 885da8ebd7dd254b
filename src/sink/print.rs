//! The sinks a configuration asks for on the terminal side: summary or JSON lines when
//! `cfg.print`, the conversation table when `cfg.flows`.

use std::io::Write;

use super::flows::FlowSink;
use super::lines::{LineFormat, LineSink};
use super::Sink;
use crate::cli::Config;

/// `out` takes the packet lines; `flows_out` the table at the end (the caller passes stdout, or
/// stderr when stdout carries `-w -` pcap data). Lines come first in the list, so they are all
/// out before the table is written at `finish`.
pub fn printers(
    cfg: &Config,
    out: Box<dyn Write + Send>,
    flows_out: Box<dyn Write + Send>,
) -> Vec<Box<dyn Sink + Send>> {
    let mut v: Vec<Box<dyn Sink + Send>> = Vec::new();
    if cfg.print {
        let format = if cfg.json {
            LineFormat::Json
        } else {
            LineFormat::Text
        };
        v.push(Box::new(LineSink::new(cfg.print_opts.clone(), format, out)));
    }
    if cfg.flows {
        v.push(Box::new(FlowSink::new(cfg.print_opts.clone(), flows_out)));
    }
    v
}
