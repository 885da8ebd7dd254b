//! One line per packet, a summary or a JSON object, on a writer, buffered: one write per
//! 64 KiB of output, or per [`Sink::flush`] (a batch of live packets), never per packet.

use std::io::{self, Write};

use super::Sink;
use crate::packet::Owner;
use crate::packet::{Interface, Packet};
use crate::summary::PrintOptions;
use crate::summary::Summarizer;

const DRAIN_AT: usize = 64 * 1024;

/// What each packet becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// A tcpdump-like summary line.
    Text,
    /// One JSON object (docs/json.md).
    Json,
}

pub struct LineSink {
    summ: Summarizer,
    format: LineFormat,
    interfaces: Vec<Interface>,
    /// For packets naming an interface the table lacks: printed by link type number.
    unknown: Interface,
    buf: Vec<u8>,
    out: Box<dyn Write + Send>,
}

impl LineSink {
    pub fn new(opts: PrintOptions, format: LineFormat, out: Box<dyn Write + Send>) -> Self {
        LineSink {
            summ: Summarizer::new(opts),
            format,
            interfaces: Vec::new(),
            unknown: Interface {
                name: String::new(),
                linktype: u16::MAX,
                snaplen: 0,
                description: String::new(),
                mac: None,
            },
            buf: Vec::with_capacity(DRAIN_AT + 4096),
            out,
        }
    }

    fn drain(&mut self) -> io::Result<()> {
        super::file::write_out(&mut self.out, &mut self.buf)
    }
}

impl Sink for LineSink {
    /// May be called again when a file declares more interfaces: the table is replaced.
    fn start(&mut self, interfaces: &[Interface]) -> io::Result<()> {
        self.interfaces.clear();
        self.add_interfaces(interfaces)
    }

    /// Names come from another namespace or a file: kept escaped here, once, so no line
    /// carries a control byte and no packet pays for escaping.
    fn add_interfaces(&mut self, added: &[Interface]) -> io::Result<()> {
        self.interfaces.extend(added.iter().map(|i| Interface {
            name: crate::escape::name(i.name.as_bytes()),
            ..i.clone()
        }));
        if self.interfaces.len() > 1 {
            self.summ.show_interfaces();
        }
        Ok(())
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.packet_by(pkt, None)
    }

    fn packet_by(&mut self, pkt: &Packet<'_>, owner: Option<&Owner>) -> io::Result<()> {
        let iface = self.interfaces.get(pkt.iface).unwrap_or(&self.unknown);
        match self.format {
            LineFormat::Text => self.summ.line_by(&mut self.buf, pkt, iface, owner),
            LineFormat::Json => self.summ.json_by(&mut self.buf, pkt, iface, owner),
        }
        if self.buf.len() >= DRAIN_AT {
            self.drain()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn iface(name: &str) -> Interface {
        Interface::for_test(name, 101)
    }

    #[test]
    fn buffers_until_flush_and_names_interfaces_when_several() {
        let out = Shared::default();
        let mut s = LineSink::new(
            PrintOptions {
                stamp: crate::summary::Stamp::Epoch,
                ..Default::default()
            },
            LineFormat::Text,
            Box::new(out.clone()),
        );
        s.start(&[iface("eth0"), iface("lo")]).unwrap();
        let data = [
            0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 99, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        let p = Packet {
            iface: 1,
            ts_sec: 1,
            ts_nsec: 0,
            len: 20,
            data: &data,
        };
        s.packet(&p).unwrap();
        assert!(out.0.lock().unwrap().is_empty());
        s.flush().unwrap();
        assert_eq!(
            String::from_utf8(out.0.lock().unwrap().clone()).unwrap(),
            "1.000000 lo IP 1.2.3.4 > 5.6.7.8:  ip-proto-99 0\n"
        );
    }
}
