//! pcap and pcapng files, streamed (stdin works), exact and bounded: every length is checked
//! against what is left before it is used, no record may exceed [`MAX_RECORD`], and buffers
//! grow only as bytes actually arrive, so a lying header cannot make us allocate.

use std::io::{self, Read};

use anyhow::{bail, Context, Result};

use crate::packet::{Interface, Packet};

/// Largest record or block we accept (libpcap's own limit for packets is 256 KiB).
pub const MAX_RECORD: u32 = 16 << 20;

const PCAP_USEC: u32 = 0xa1b2_c3d4;
const PCAP_NSEC: u32 = 0xa1b2_3c4d;
const NG_SHB: u32 = 0x0a0d_0d0a;
const NG_BOM: u32 = 0x1a2b_3c4d;
const NG_IDB: u32 = 1;
const NG_PB: u32 = 2;
const NG_SPB: u32 = 3;
const NG_EPB: u32 = 6;

#[derive(Debug, Clone, Copy)]
enum Format {
    Pcap { nano: bool },
    Pcapng,
}

/// Timestamp units of one pcapng interface.
#[derive(Debug, Clone, Copy)]
struct Clock {
    /// Ticks per second.
    per_sec: u64,
    offset_sec: i64,
}

pub struct FileReader<R: Read> {
    r: R,
    format: Format,
    /// Big-endian file (or section).
    be: bool,
    /// Bytes consumed, for error messages.
    pos: u64,
    buf: Vec<u8>,
    interfaces: Vec<Interface>,
    /// pcapng: this section's interface ids → index in `interfaces`, and their clocks.
    section: Vec<(usize, Clock)>,
    interfaces_changed: bool,
    cur: Current,
}

#[derive(Debug, Default, Clone, Copy)]
struct Current {
    iface: usize,
    ts_sec: i64,
    ts_nsec: u32,
    len: u32,
    start: usize,
    end: usize,
}

/// Reads until `buf` is full or the input ends; returns how many bytes came.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<R: Read> FileReader<R> {
    /// Reads the file header (pcap) or first section header (pcapng).
    pub fn new(mut r: R) -> Result<Self> {
        let mut magic = [0u8; 4];
        let got = read_full(&mut r, &mut magic)?;
        if got == 0 {
            bail!("empty file: no pcap or pcapng header");
        }
        if got < 4 {
            bail!("truncated file header ({got} bytes)");
        }
        let le = u32::from_le_bytes(magic);
        let be = u32::from_be_bytes(magic);
        let mut fr = FileReader {
            r,
            format: Format::Pcapng,
            be: false,
            pos: 4,
            buf: Vec::with_capacity(64 * 1024),
            interfaces: Vec::new(),
            section: Vec::new(),
            interfaces_changed: true,
            cur: Current::default(),
        };
        match (le, be) {
            (PCAP_USEC | PCAP_NSEC, _) | (_, PCAP_USEC | PCAP_NSEC) => {
                let big = be == PCAP_USEC || be == PCAP_NSEC;
                let nano = if big {
                    be == PCAP_NSEC
                } else {
                    le == PCAP_NSEC
                };
                fr.be = big;
                fr.format = Format::Pcap { nano };
                let mut h = [0u8; 20];
                if read_full(&mut fr.r, &mut h)? < 20 {
                    bail!("truncated pcap file header");
                }
                fr.pos += 20;
                let snaplen = fr.u32(&h[12..16]);
                let linktype = fr.u32(&h[16..20]);
                fr.interfaces.push(Interface {
                    name: String::new(),
                    linktype: (linktype & 0xffff) as u16,
                    snaplen,
                    description: String::new(),
                    mac: None,
                });
            }
            (NG_SHB, _) => {
                fr.section_header()?;
            }
            _ => bail!("not a pcap or pcapng file (magic 0x{be:08x})"),
        }
        Ok(fr)
    }

    /// Every interface seen so far; pcapng files may add some between packets.
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// True once after the interface table grew (and at the start).
    pub fn take_interfaces_changed(&mut self) -> bool {
        std::mem::take(&mut self.interfaces_changed)
    }

    /// The packet the last successful [`FileReader::advance`] read.
    pub fn packet(&self) -> Packet<'_> {
        let c = self.cur;
        Packet {
            iface: c.iface,
            ts_sec: c.ts_sec,
            ts_nsec: c.ts_nsec,
            len: c.len,
            data: &self.buf[c.start..c.end],
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.be {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    fn u16(&self, b: &[u8]) -> u16 {
        if self.be {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        }
    }

    /// Reads exactly `n` more bytes onto the end of `buf`, growing only as data arrives.
    fn fill(&mut self, n: u32, what: &str) -> Result<()> {
        let before = self.buf.len();
        let got = (&mut self.r)
            .take(u64::from(n))
            .read_to_end(&mut self.buf)
            .with_context(|| format!("reading {what} at byte {}", self.pos))?;
        if got < n as usize {
            bail!(
                "truncated {what} at byte {}: {} of {n} bytes",
                self.pos,
                self.buf.len() - before
            );
        }
        self.pos += u64::from(n);
        Ok(())
    }

    /// Reads the next packet; false at a clean end of file.
    pub fn advance(&mut self) -> Result<bool> {
        match self.format {
            Format::Pcap { nano } => self.pcap_record(nano),
            Format::Pcapng => loop {
                match self.block()? {
                    None => return Ok(false),
                    Some(true) => return Ok(true),
                    Some(false) => continue,
                }
            },
        }
    }

    fn pcap_record(&mut self, nano: bool) -> Result<bool> {
        let mut h = [0u8; 16];
        let got = read_full(&mut self.r, &mut h)
            .with_context(|| format!("reading record header at byte {}", self.pos))?;
        if got == 0 {
            return Ok(false);
        }
        if got < 16 {
            bail!(
                "truncated record header at byte {}: {got} of 16 bytes",
                self.pos
            );
        }
        let at = self.pos;
        self.pos += 16;
        let (sec, frac, caplen, len) = (
            self.u32(&h[0..4]),
            self.u32(&h[4..8]),
            self.u32(&h[8..12]),
            self.u32(&h[12..16]),
        );
        if caplen > MAX_RECORD {
            bail!("corrupt record at byte {at}: captured length {caplen} exceeds {MAX_RECORD}");
        }
        let nsec = if nano {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        if nsec >= 1_000_000_000 {
            bail!("corrupt record at byte {at}: fraction of second {frac} out of range");
        }
        self.buf.clear();
        self.fill(caplen, "packet data")?;
        self.cur = Current {
            iface: 0,
            ts_sec: i64::from(sec),
            ts_nsec: nsec,
            len,
            start: 0,
            end: caplen as usize,
        };
        Ok(true)
    }

    /// A section header whose 4-byte type was already read.
    fn section_header(&mut self) -> Result<()> {
        let at = self.pos - 4;
        let mut h = [0u8; 8];
        if read_full(&mut self.r, &mut h)? < 8 {
            bail!("truncated section header at byte {at}");
        }
        self.pos += 8;
        let bom_le = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let bom_be = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        self.be = match (bom_le, bom_be) {
            (NG_BOM, _) => false,
            (_, NG_BOM) => true,
            _ => bail!("corrupt section header at byte {at}: bad byte-order magic"),
        };
        let total = self.u32(&h[0..4]);
        self.check_len(total, 28, at)?;
        self.buf.clear();
        self.fill(total - 12, "section header")?;
        let end = self.buf.len();
        self.trailer(total, end, at)?;
        let major = self.u16(&self.buf[0..2]);
        if major != 1 {
            bail!("unsupported pcapng version {major} at byte {at}");
        }
        self.section.clear();
        Ok(())
    }

    fn check_len(&self, total: u32, min: u32, at: u64) -> Result<()> {
        if total < min || total % 4 != 0 || total > MAX_RECORD {
            bail!("corrupt block at byte {at}: length {total}");
        }
        Ok(())
    }

    /// Checks the trailing length copy, the last 4 bytes of `buf[..end]`, and drops it.
    fn trailer(&mut self, total: u32, end: usize, at: u64) -> Result<()> {
        let t = self.u32(&self.buf[end - 4..end]);
        if t != total {
            bail!("corrupt block at byte {at}: trailing length {t} differs from {total}");
        }
        self.buf.truncate(end - 4);
        Ok(())
    }

    /// One pcapng block: None at a clean end, Some(true) for a packet.
    fn block(&mut self) -> Result<Option<bool>> {
        let mut h = [0u8; 4];
        let at = self.pos;
        let got = read_full(&mut self.r, &mut h)
            .with_context(|| format!("reading block at byte {at}"))?;
        if got == 0 {
            return Ok(None);
        }
        if got < 4 {
            bail!("truncated block header at byte {at}");
        }
        self.pos += 4;
        let kind = self.u32(&h);
        if kind == NG_SHB {
            self.section_header()?;
            return Ok(Some(false));
        }
        let mut l = [0u8; 4];
        if read_full(&mut self.r, &mut l)? < 4 {
            bail!("truncated block header at byte {at}");
        }
        self.pos += 4;
        let total = self.u32(&l);
        self.check_len(total, 12, at)?;
        self.buf.clear();
        self.fill(total - 8, "block")?;
        let end = self.buf.len();
        self.trailer(total, end, at)?;
        match kind {
            NG_IDB => {
                self.interface(at)?;
                Ok(Some(false))
            }
            NG_EPB | NG_PB => self.enhanced(kind, at).map(|_| Some(true)),
            NG_SPB => self.simple(at).map(|_| Some(true)),
            // Name resolution, statistics, secrets, custom blocks: nothing to print.
            _ => Ok(Some(false)),
        }
    }

    fn interface(&mut self, at: u64) -> Result<()> {
        if self.buf.len() < 8 {
            bail!("corrupt interface block at byte {at}");
        }
        let linktype = self.u16(&self.buf[0..2]);
        let snaplen = self.u32(&self.buf[4..8]);
        let mut name = String::new();
        let mut description = String::new();
        let mut tsresol = 6u8;
        let mut offset_sec = 0i64;
        let mut o = 8;
        while o + 4 <= self.buf.len() {
            let code = self.u16(&self.buf[o..o + 2]);
            let len = usize::from(self.u16(&self.buf[o + 2..o + 4]));
            let v = o + 4;
            if v + len > self.buf.len() {
                bail!("corrupt interface block at byte {at}: option overruns the block");
            }
            let val = &self.buf[v..v + len];
            match code {
                0 => break,
                2 => name = String::from_utf8_lossy(val).into_owned(),
                3 => description = String::from_utf8_lossy(val).into_owned(),
                9 if len >= 1 => tsresol = val[0],
                14 if len >= 8 => {
                    let b = [
                        val[0], val[1], val[2], val[3], val[4], val[5], val[6], val[7],
                    ];
                    offset_sec = if self.be {
                        i64::from_be_bytes(b)
                    } else {
                        i64::from_le_bytes(b)
                    };
                }
                _ => {}
            }
            o = v + len + (4 - len % 4) % 4;
        }
        let per_sec = if tsresol & 0x80 != 0 {
            1u64.checked_shl(u32::from(tsresol & 0x7f))
        } else {
            10u64.checked_pow(u32::from(tsresol))
        };
        let Some(per_sec) = per_sec else {
            bail!("corrupt interface block at byte {at}: time resolution {tsresol:#x}");
        };
        // Bounded by the file size: each interface costs at least a 20-byte block.
        self.interfaces.push(Interface {
            name,
            linktype,
            snaplen,
            description,
            mac: None,
        });
        self.section.push((
            self.interfaces.len() - 1,
            Clock {
                per_sec,
                offset_sec,
            },
        ));
        self.interfaces_changed = true;
        Ok(())
    }

    fn enhanced(&mut self, kind: u32, at: u64) -> Result<()> {
        let b = &self.buf;
        if b.len() < 20 {
            bail!("corrupt packet block at byte {at}: too short");
        }
        let id = if kind == NG_PB {
            u32::from(self.u16(&b[0..2]))
        } else {
            self.u32(&b[0..4])
        };
        let (hi, lo, caplen, len) = (
            self.u32(&b[4..8]),
            self.u32(&b[8..12]),
            self.u32(&b[12..16]),
            self.u32(&b[16..20]),
        );
        if caplen as usize > b.len() - 20 {
            bail!("corrupt packet block at byte {at}: captured length {caplen} overruns the block");
        }
        let Some(&(iface, clock)) = self.section.get(id as usize) else {
            bail!("corrupt packet block at byte {at}: no interface {id}");
        };
        let ticks = (u64::from(hi) << 32) | u64::from(lo);
        let sec = ticks / clock.per_sec;
        let frac = ticks % clock.per_sec;
        let nsec = (u128::from(frac) * 1_000_000_000 / u128::from(clock.per_sec)) as u32;
        self.cur = Current {
            iface,
            ts_sec: (sec as i64).saturating_add(clock.offset_sec),
            ts_nsec: nsec,
            len,
            start: 20,
            end: 20 + caplen as usize,
        };
        Ok(())
    }

    fn simple(&mut self, at: u64) -> Result<()> {
        if self.buf.len() < 4 {
            bail!("corrupt simple packet block at byte {at}");
        }
        let Some(&(iface, _)) = self.section.first() else {
            bail!("corrupt simple packet block at byte {at}: no interface 0");
        };
        let len = self.u32(&self.buf[0..4]);
        let snap = self.interfaces[iface].snaplen;
        let mut caplen = (self.buf.len() - 4).min(len as usize);
        if snap != 0 {
            caplen = caplen.min(snap as usize);
        }
        self.cur = Current {
            iface,
            ts_sec: 0,
            ts_nsec: 0,
            len,
            start: 4,
            end: 4 + caplen,
        };
        Ok(())
    }
}
