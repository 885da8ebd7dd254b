//! pcap and pcapng files, streamed (stdin works), exact and bounded: every length is checked
//! against what is left before it is used, no record may exceed [`MAX_RECORD`], and the window
//! grows only as bytes actually arrive, so a lying header cannot make us allocate.
//!
//! Records are parsed in place in one read window: the bytes are copied once, from the kernel,
//! and packets borrow them until the next [`FileReader::advance`].

use std::io::{self, Read};
use std::sync::mpsc;

use anyhow::{bail, Context, Result};

use crate::packet::{Interface, Kernel, Packet};
use crate::sink::file::{
    NG_BOM, NG_EPB, NG_IDB, NG_ISB, NG_PB, NG_SHB, NG_SPB, PCAP_NSEC, PCAP_USEC,
};

/// Largest record or block we accept (libpcap's own limit for packets is 256 KiB).
pub const MAX_RECORD: u32 = 16 << 20;

/// libpcap's max_snaplen_for_dlt: the longest record a link type may have.
fn max_snaplen(linktype: u16) -> u32 {
    match linktype {
        231 => 128 * 1024 * 1024, // D-Bus
        279 => 8 * 1024 * 1024,   // EBHSCR
        249 => 1024 * 1024,       // USBPcap
        _ => 262_144,
    }
}

/// libpcap's pcap_adjust_snapshot: a snapshot length of 0 or past i32::MAX is the link
/// type's maximum.
fn snapshot(snaplen: u32, linktype: u16) -> u32 {
    if snaplen == 0 || snaplen > i32::MAX as u32 {
        max_snaplen(linktype)
    } else {
        snaplen
    }
}

const WINDOW: usize = 1 << 20;

/// Bytes kept free before each read-ahead chunk, so that what is left of the last one (the
/// start of a record) can be put in front of the next without moving the chunk: room for any
/// record libpcap writes (262 144 bytes of packet and its header or block), so that only
/// larger pcapng blocks are ever gathered by copying.
const HEAD: usize = 512 << 10;

/// Chunks in flight between the read-ahead thread and the parser.
const CHUNKS: usize = 3;

/// Where the window's bytes come from.
enum Source<R> {
    /// Read in the parsing thread, into the window itself.
    Direct(R),
    /// Read by a thread of its own into chunks of `HEAD + WINDOW` bytes, the data after
    /// `HEAD`: the kernel's copy of the file then runs beside the parsing, where it was a
    /// sixth of `-r`'s time, and a chunk becomes the window without being copied again.
    Ahead {
        full: mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
        empty: mpsc::SyncSender<Vec<u8>>,
        /// The thread sent the end of the input or an error, and has ended.
        done: bool,
        /// `buf` is one of the chunks (not a record gathered apart), to be handed back.
        pooled: bool,
    },
}

/// A read window over the input: `buf[start..end]` is read but not yet consumed.
struct Window<R> {
    src: Source<R>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Input offset of `buf[start]`, for error messages.
    pos: u64,
}

impl<R: Read + Send + 'static> Window<R> {
    /// Starts the read-ahead thread (`nscap-read`). It reads as long as the parser hands back
    /// chunks, and ends at the end of the input, at an error, or when the parser is gone.
    /// The reader comes back with the error when the thread cannot be started (a task limit),
    /// so that the input can still be read without it.
    fn ahead(r: R) -> Result<Source<R>, R> {
        let (full_tx, full) = mpsc::sync_channel(CHUNKS);
        let (empty, empty_rx) = mpsc::sync_channel::<Vec<u8>>(CHUNKS + 1);
        let (give, take) = mpsc::channel::<R>();
        let started = std::thread::Builder::new()
            .name("nscap-read".into())
            .spawn(move || {
                let Ok(mut r) = take.recv() else { return };
                while let Ok(mut b) = empty_rx.recv() {
                    let got = loop {
                        match r.read(&mut b[HEAD..]) {
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            other => break other,
                        }
                    };
                    let last = !matches!(got, Ok(k) if k > 0);
                    if full_tx.send(got.map(|k| (b, k))).is_err() || last {
                        return;
                    }
                }
            });
        if started.is_err() {
            return Err(r);
        }
        // Cannot fail: the thread waits for it.
        let _ = give.send(r);
        for _ in 0..CHUNKS {
            // Cannot fail: there is room, and the thread only ends after the parser has gone.
            let _ = empty.send(vec![0; HEAD + WINDOW]);
        }
        Ok(Source::Ahead {
            full,
            empty,
            done: false,
            pooled: false,
        })
    }
}

impl<R: Read> Window<R> {
    /// Makes `n` bytes available at `start`; false if the input ends first (what there was
    /// stays available).
    fn ensure(&mut self, n: usize) -> io::Result<bool> {
        while self.end - self.start < n {
            match &mut self.src {
                Source::Direct(r) => {
                    if self.start + n > self.buf.len() {
                        // Move what is left to the front, then grow only if a record is larger
                        // than the whole window, and only by doubling as bytes keep coming.
                        self.buf.copy_within(self.start..self.end, 0);
                        self.end -= self.start;
                        self.start = 0;
                        if n > self.buf.len() && self.end == self.buf.len() {
                            let grown = (self.buf.len() * 2).min(n.max(WINDOW));
                            self.buf.resize(grown, 0);
                        }
                    }
                    let room = self.buf.len();
                    match r.read(&mut self.buf[self.end..room]) {
                        Ok(0) => return Ok(false),
                        Ok(k) => self.end += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(without_code(e)),
                    }
                }
                Source::Ahead {
                    full,
                    empty,
                    done,
                    pooled,
                } => {
                    if *done {
                        return Ok(false);
                    }
                    let (mut chunk, k) = match full.recv() {
                        Ok(Ok((_, 0))) => {
                            *done = true;
                            return Ok(false);
                        }
                        Ok(Ok(got)) => got,
                        Ok(Err(e)) => {
                            *done = true;
                            return Err(without_code(e));
                        }
                        // It ends only after sending the end or an error: it died.
                        Err(_) => return Err(io::Error::other("the reading thread stopped")),
                    };
                    let left = self.end - self.start;
                    if left <= HEAD {
                        // The usual case: the chunk becomes the window, with the start of the
                        // record put in front of it.
                        chunk[HEAD - left..HEAD].copy_from_slice(&self.buf[self.start..self.end]);
                        let old = std::mem::replace(&mut self.buf, chunk);
                        self.start = HEAD - left;
                        self.end = HEAD + k;
                        if std::mem::replace(pooled, true) {
                            // Refused only when the thread has ended: no more are needed.
                            let _ = empty.try_send(old);
                        }
                    } else {
                        // A block longer than `HEAD` that spans chunks: gathered in a window
                        // of its own (grown only by what arrived), the chunk handed back.
                        if std::mem::replace(pooled, false) {
                            let mut own = Vec::with_capacity(left + k);
                            own.extend_from_slice(&self.buf[self.start..self.end]);
                            let old = std::mem::replace(&mut self.buf, own);
                            let _ = empty.try_send(old);
                        } else {
                            self.buf.drain(..self.start);
                            self.buf.truncate(left);
                        }
                        self.buf.extend_from_slice(&chunk[HEAD..HEAD + k]);
                        self.start = 0;
                        self.end = self.buf.len();
                        let _ = empty.try_send(chunk);
                    }
                }
            }
        }
        Ok(true)
    }

    fn avail(&self) -> usize {
        self.end - self.start
    }

    fn bytes(&self, n: usize) -> &[u8] {
        &self.buf[self.start..self.start + n]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.pos += n as u64;
    }
}

/// The error as our other messages word it: the system's description without Rust's
/// "(os error N)" suffix (`-r /tmp`: "Is a directory").
fn without_code(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(_) => io::Error::new(e.kind(), crate::error::os_message(&e)),
        None => e,
    }
}

/// The pcapng option at `o` in `b`: its code and value length, when the whole value is there.
fn option_at(be: bool, b: &[u8], o: usize) -> Option<(u16, usize)> {
    let h = b.get(o..o.checked_add(4)?)?;
    let (code, len) = (rd16(be, &h[0..2]), usize::from(rd16(be, &h[2..4])));
    (o + 4 + len <= b.len()).then_some((code, len))
}

fn rd16(be: bool, b: &[u8]) -> u16 {
    let a = [b[0], b[1]];
    if be {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

fn rd32(be: bool, b: &[u8]) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

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

#[derive(Debug, Default, Clone, Copy)]
struct Current {
    iface: usize,
    ts_sec: i64,
    ts_nsec: u32,
    len: u32,
    /// The packet bytes, relative to the window's `start`.
    from: usize,
    to: usize,
    /// pcapng: the packet's comment (`opt_comment`), relative to the window's `start`.
    comment: Option<(usize, usize)>,
}

pub struct FileReader<R: Read> {
    w: Window<R>,
    format: Format,
    /// Big-endian file (or section).
    be: bool,
    interfaces: Vec<Interface>,
    /// pcapng: this section's interface ids → index in `interfaces`, and their clocks.
    section: Vec<(usize, Clock)>,
    /// How many of `interfaces` [`FileReader::take_new_interfaces`] has handed out.
    announced: usize,
    cur: Current,
    /// Bytes of the record `cur` lives in, consumed at the next advance.
    pending: usize,
    /// pcapng: the kernel's counters of each interface, from its last statistics block.
    kernel: Vec<Option<Kernel>>,
    /// pcapng: the first section's `shb_userappl`, the program that wrote it.
    application: Option<String>,
}

impl<R: Read> FileReader<R> {
    /// Reads the file header (pcap) or first section header (pcapng).
    pub fn new(r: R) -> Result<Self> {
        Self::from_source(Source::Direct(r), vec![0; WINDOW])
    }

    /// As [`FileReader::new`], with the input read ahead by a thread of its own.
    pub fn read_ahead(r: R) -> Result<Self>
    where
        R: Send + 'static,
    {
        match Window::ahead(r) {
            Ok(src) => Self::from_source(src, Vec::new()),
            Err(r) => Self::new(r),
        }
    }

    fn from_source(src: Source<R>, buf: Vec<u8>) -> Result<Self> {
        let mut fr = FileReader {
            w: Window {
                src,
                buf,
                start: 0,
                end: 0,
                pos: 0,
            },
            format: Format::Pcapng,
            be: false,
            interfaces: Vec::new(),
            section: Vec::new(),
            announced: 0,
            cur: Current::default(),
            pending: 0,
            kernel: Vec::new(),
            application: None,
        };
        if !fr.w.ensure(4)? {
            match fr.w.avail() {
                0 => bail!("empty file: no pcap or pcapng header"),
                n => bail!("truncated file header ({n} bytes)"),
            }
        }
        let m = fr.w.bytes(4);
        let le = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
        let be = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
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
                if !fr.w.ensure(24)? {
                    bail!("truncated pcap file header");
                }
                let h = fr.w.bytes(24);
                let snaplen = rd32(big, &h[16..20]);
                let linktype = rd32(big, &h[20..24]);
                fr.w.consume(24);
                fr.interfaces.push(Interface {
                    name: String::new(),
                    linktype: (linktype & 0xffff) as u16,
                    snaplen,
                    description: String::new(),
                    mac: None,
                });
            }
            (NG_SHB, _) => fr.section_header()?,
            _ => bail!("not a pcap or pcapng file (magic 0x{be:08x})"),
        }
        Ok(fr)
    }

    /// Every interface seen so far; pcapng files may add some between packets.
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// The interfaces added since the last call (at the first, all so far). Each is handed out
    /// once: a file may declare an interface before every packet, and handing out the whole
    /// table each time made reading it quadratic.
    pub fn take_new_interfaces(&mut self) -> &[Interface] {
        let from = std::mem::replace(&mut self.announced, self.interfaces.len());
        &self.interfaces[from..]
    }

    /// The packet the last successful [`FileReader::advance`] read.
    pub fn packet(&self) -> Packet<'_> {
        let c = self.cur;
        Packet {
            iface: c.iface,
            ts_sec: c.ts_sec,
            ts_nsec: c.ts_nsec,
            len: c.len,
            data: &self.w.buf[self.w.start + c.from..self.w.start + c.to],
        }
    }

    /// The packet's pcapng comment, if it has one.
    pub fn comment(&self) -> Option<&[u8]> {
        let (from, to) = self.cur.comment?;
        Some(&self.w.buf[self.w.start + from..self.w.start + to])
    }

    /// The kernel's counters for interface `iface`, from the last statistics block that gave
    /// them; `None` when none did (never 0 for "not told").
    pub fn kernel(&self, iface: usize) -> Option<Kernel> {
        self.kernel.get(iface).copied().flatten()
    }

    /// The program that wrote the file (pcapng's `shb_userappl`), when it says.
    pub fn application(&self) -> Option<&str> {
        self.application.as_deref()
    }

    /// Reads the next packet; false at a clean end of file.
    pub fn advance(&mut self) -> Result<bool> {
        self.w.consume(std::mem::take(&mut self.pending));
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

    /// Makes a whole record of `n` bytes available, or says how it was cut.
    fn need(&mut self, n: usize, what: &str) -> Result<()> {
        let at = self.w.pos;
        if !self
            .w
            .ensure(n)
            .with_context(|| format!("reading {what} at byte {at}"))?
        {
            bail!(
                "truncated {what} at byte {at}: {} of {n} bytes",
                self.w.avail()
            );
        }
        Ok(())
    }

    fn pcap_record(&mut self, nano: bool) -> Result<bool> {
        let at = self.w.pos;
        if !self
            .w
            .ensure(16)
            .with_context(|| format!("reading record header at byte {at}"))?
        {
            match self.w.avail() {
                0 => return Ok(false),
                n => bail!("truncated record header at byte {at}: {n} of 16 bytes"),
            }
        }
        let h = self.w.bytes(16);
        let be = self.be;
        let (sec, frac, caplen, len) = (
            rd32(be, &h[0..4]),
            rd32(be, &h[4..8]),
            rd32(be, &h[8..12]),
            rd32(be, &h[12..16]),
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
        // libpcap's checks (sf-pcap.c): a record longer than any the link type allows ends
        // the file; one longer than the file's snapshot length is cut to it (0 or more than
        // i32::MAX means no limit), so what tcpdump prints is the first snaplen bytes.
        let first = self.interfaces.first();
        let snap = snapshot(
            first.map_or(0, |i| i.snaplen),
            first.map_or(1, |i| i.linktype),
        );
        let most = max_snaplen(first.map_or(1, |i| i.linktype));
        if caplen > most {
            bail!(
                "invalid packet capture length {caplen} at byte {at}, bigger than {}",
                if caplen > snap {
                    format!("the snapshot length {snap}")
                } else {
                    format!("the maximum {most}")
                }
            );
        }
        let total = 16 + caplen as usize;
        if !self.w.ensure(total)? {
            bail!(
                "truncated packet data at byte {}: {} of {caplen} bytes",
                at + 16,
                self.w.avail() - 16
            );
        }
        let keep = caplen.min(snap);
        self.cur = Current {
            iface: 0,
            ts_sec: i64::from(sec),
            ts_nsec: nsec,
            len,
            from: 16,
            to: 16 + keep as usize,
            comment: None,
        };
        self.pending = total;
        Ok(true)
    }

    fn check_len(total: u32, min: u32, at: u64) -> Result<()> {
        if total < min || total % 4 != 0 || total > MAX_RECORD {
            bail!("corrupt block at byte {at}: length {total}");
        }
        Ok(())
    }

    /// Checks that a block's trailing length copy matches its leading one.
    fn trailer(&self, total: u32, at: u64) -> Result<()> {
        let b = self.w.bytes(total as usize);
        let t = rd32(self.be, &b[b.len() - 4..]);
        if t != total {
            bail!("corrupt block at byte {at}: trailing length {t} differs from {total}");
        }
        Ok(())
    }

    /// A section header at the window's start: sets the byte order for what follows.
    fn section_header(&mut self) -> Result<()> {
        let at = self.w.pos;
        self.need(12, "section header")?;
        let h = self.w.bytes(12);
        let bom = [h[8], h[9], h[10], h[11]];
        self.be = match (u32::from_le_bytes(bom), u32::from_be_bytes(bom)) {
            (NG_BOM, _) => false,
            (_, NG_BOM) => true,
            _ => bail!("corrupt section header at byte {at}: bad byte-order magic"),
        };
        let total = rd32(self.be, &h[4..8]);
        Self::check_len(total, 28, at)?;
        self.need(total as usize, "section header")?;
        self.trailer(total, at)?;
        let major = rd16(self.be, &self.w.bytes(14)[12..14]);
        if major != 1 {
            bail!("unsupported pcapng version {major} at byte {at}");
        }
        if self.application.is_none() {
            let b = &self.w.bytes(total as usize)[24..total as usize - 4];
            let mut o = 0;
            while let Some((code, len)) = option_at(self.be, b, o) {
                match code {
                    0 => break,
                    4 => {
                        let v = &b[o + 4..o + 4 + len];
                        self.application = Some(String::from_utf8_lossy(v).into_owned());
                        break;
                    }
                    _ => o += 4 + len.div_ceil(4) * 4,
                }
            }
        }
        self.w.consume(total as usize);
        self.section.clear();
        Ok(())
    }

    /// One pcapng block: None at a clean end, Some(true) for a packet.
    fn block(&mut self) -> Result<Option<bool>> {
        let at = self.w.pos;
        if !self.w.ensure(8)? {
            match self.w.avail() {
                0 => return Ok(None),
                _ => bail!("truncated block header at byte {at}"),
            }
        }
        let kind = rd32(self.be, &self.w.bytes(4)[..4]);
        if kind == NG_SHB {
            self.section_header()?;
            return Ok(Some(false));
        }
        let total = rd32(self.be, &self.w.bytes(8)[4..8]);
        Self::check_len(total, 12, at)?;
        self.need(total as usize, "block")?;
        self.trailer(total, at)?;
        let body = 8..total as usize - 4;
        let packet = match kind {
            NG_IDB => {
                self.interface(body, at)?;
                false
            }
            NG_EPB | NG_PB => {
                self.enhanced(kind, body, at)?;
                true
            }
            NG_SPB => {
                self.simple(body, at)?;
                true
            }
            NG_ISB => {
                self.statistics(body);
                false
            }
            // Name resolution, secrets, custom blocks: nothing to print.
            _ => false,
        };
        if packet {
            self.pending = total as usize;
        } else {
            self.w.consume(total as usize);
        }
        Ok(Some(packet))
    }

    fn interface(&mut self, body: std::ops::Range<usize>, at: u64) -> Result<()> {
        let be = self.be;
        let b = &self.w.buf[self.w.start + body.start..self.w.start + body.end];
        if b.len() < 8 {
            bail!("corrupt interface block at byte {at}");
        }
        let linktype = rd16(be, &b[0..2]);
        let snaplen = rd32(be, &b[4..8]);
        let mut name = String::new();
        let mut description = String::new();
        let mut tsresol = 6u8;
        let mut offset_sec = 0i64;
        let mut o = 8;
        while o + 4 <= b.len() {
            let code = rd16(be, &b[o..o + 2]);
            let len = usize::from(rd16(be, &b[o + 2..o + 4]));
            let v = o + 4;
            if v + len > b.len() {
                bail!("corrupt interface block at byte {at}: option overruns the block");
            }
            let val = &b[v..v + len];
            match code {
                0 => break,
                // Kept as the file has them (a copy to another file keeps them whole); the
                // printers escape names before they reach a terminal.
                2 => name = String::from_utf8_lossy(val).into_owned(),
                3 => description = String::from_utf8_lossy(val).into_owned(),
                9 if len >= 1 => tsresol = val[0],
                14 if len >= 8 => {
                    let x = [
                        val[0], val[1], val[2], val[3], val[4], val[5], val[6], val[7],
                    ];
                    offset_sec = if be {
                        i64::from_be_bytes(x)
                    } else {
                        i64::from_le_bytes(x)
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
        // Bounded by the input: each interface costs a block of at least 20 bytes.
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
        Ok(())
    }

    fn enhanced(&mut self, kind: u32, body: std::ops::Range<usize>, at: u64) -> Result<()> {
        let be = self.be;
        let b = &self.w.buf[self.w.start + body.start..self.w.start + body.end];
        if b.len() < 20 {
            bail!("corrupt packet block at byte {at}: too short");
        }
        let id = if kind == NG_PB {
            u32::from(rd16(be, &b[0..2]))
        } else {
            rd32(be, &b[0..4])
        };
        let (hi, lo, caplen, len) = (
            rd32(be, &b[4..8]),
            rd32(be, &b[8..12]),
            rd32(be, &b[12..16]),
            rd32(be, &b[16..20]),
        );
        if caplen as usize > b.len() - 20 {
            bail!("corrupt packet block at byte {at}: captured length {caplen} overruns the block");
        }
        let Some(&(iface, clock)) = self.section.get(id as usize) else {
            bail!("corrupt packet block at byte {at}: no interface {id}");
        };
        // libpcap (sf-pcapng.c) refuses a packet longer than the snapshot length; it takes
        // the first interface's for all of them.
        let first = &self.interfaces[self.section[0].0];
        let snap = snapshot(first.snaplen, first.linktype);
        if caplen > snap {
            bail!(
                "invalid packet capture length {caplen} at byte {at}, bigger than the snapshot length {snap}"
            );
        }
        let ticks = (u64::from(hi) << 32) | u64::from(lo);
        let sec = ticks / clock.per_sec;
        let frac = ticks % clock.per_sec;
        let nsec = (u128::from(frac) * 1_000_000_000 / u128::from(clock.per_sec)) as u32;
        self.cur = Current {
            iface,
            // Whole-second ticks can exceed i64 (2^64-1 used to print as -1.000000): saturate,
            // as the offset already does, rather than wrap to a time before the epoch.
            ts_sec: i64::try_from(sec)
                .unwrap_or(i64::MAX)
                .saturating_add(clock.offset_sec),
            ts_nsec: nsec,
            len,
            from: body.start + 20,
            to: body.start + 20 + caplen as usize,
            comment: None,
        };
        // Options follow the data, padded to 4 bytes; the first comment is kept.
        let mut o = 20 + (caplen as usize).div_ceil(4) * 4;
        while let Some((code, len)) = option_at(be, b, o) {
            if code == 0 {
                break;
            }
            if code == 1 {
                let from = body.start + o + 4;
                self.cur.comment = Some((from, from + len));
                break;
            }
            o += 4 + len.div_ceil(4) * 4;
        }
        Ok(())
    }

    /// An interface statistics block: the kernel's counters, when it gives them (libpcap's
    /// and nscap's `isb_ifrecv`, `isb_osdrop` and `isb_ifdrop`). A damaged one is passed over:
    /// the counters then stay as they were, unknown rather than wrong.
    fn statistics(&mut self, body: std::ops::Range<usize>) {
        let be = self.be;
        let b = &self.w.buf[self.w.start + body.start..self.w.start + body.end];
        if b.len() < 12 {
            return;
        }
        let Some(&(iface, _)) = self.section.get(rd32(be, &b[0..4]) as usize) else {
            return;
        };
        let (mut recv, mut ifdrop, mut osdrop) = (None, None, None);
        let mut o = 12;
        while let Some((code, len)) = option_at(be, b, o) {
            let v = &b[o + 4..o + 4 + len];
            let n = (len == 8).then(|| {
                let x = [v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]];
                if be {
                    u64::from_be_bytes(x)
                } else {
                    u64::from_le_bytes(x)
                }
            });
            match code {
                0 => break,
                4 => recv = n,
                5 => ifdrop = n,
                7 => osdrop = n,
                _ => {}
            }
            o += 4 + len.div_ceil(4) * 4;
        }
        let Some(received) = recv else { return };
        // nscap and dumpcap count the kernel's drops in osdrop and everything dropped in ifdrop;
        // a writer that gives only ifdrop has it all there.
        let dropped = osdrop.or(ifdrop).unwrap_or(0);
        let if_dropped = match (ifdrop, osdrop) {
            (Some(all), Some(os)) => all.saturating_sub(os),
            _ => 0,
        };
        if self.kernel.len() <= iface {
            self.kernel.resize(iface + 1, None);
        }
        self.kernel[iface] = Some(Kernel {
            received,
            dropped,
            if_dropped,
        });
    }

    fn simple(&mut self, body: std::ops::Range<usize>, at: u64) -> Result<()> {
        let b = &self.w.buf[self.w.start + body.start..self.w.start + body.end];
        if b.len() < 4 {
            bail!("corrupt simple packet block at byte {at}");
        }
        let Some(&(iface, _)) = self.section.first() else {
            bail!("corrupt simple packet block at byte {at}: no interface 0");
        };
        let len = rd32(self.be, &b[0..4]);
        let snap = self.interfaces[iface].snaplen;
        let mut caplen = (b.len() - 4).min(len as usize);
        if snap != 0 {
            caplen = caplen.min(snap as usize);
        }
        self.cur = Current {
            iface,
            ts_sec: 0,
            ts_nsec: 0,
            len,
            from: body.start + 4,
            to: body.start + 4 + caplen,
            comment: None,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte at a time: records straddle every read.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), b.first_mut()) {
                (Some((x, rest)), Some(slot)) => {
                    *slot = *x;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn pcap(records: &[(u32, &[u8])]) -> Vec<u8> {
        let mut b = PCAP_USEC.to_le_bytes().to_vec();
        b.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        // Snapshot length 0 and D-Bus's link type, whose records may reach 128 MiB: records
        // larger than the read window are the point here, and libpcap cuts or refuses
        // Ethernet records past a snapshot length or 256 KiB.
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&231u32.to_le_bytes());
        for (sec, d) in records {
            b.extend_from_slice(&sec.to_le_bytes());
            b.extend_from_slice(&7u32.to_le_bytes());
            b.extend_from_slice(&(d.len() as u32).to_le_bytes());
            b.extend_from_slice(&(d.len() as u32).to_le_bytes());
            b.extend_from_slice(d);
        }
        b
    }

    #[test]
    fn records_straddling_reads_and_larger_than_the_window() {
        let big = vec![0xabu8; WINDOW + 123];
        let file = pcap(&[(1, b"abc"), (2, &big), (3, b"z")]);
        for trickle in [false, true] {
            let input: Box<dyn Read> = if trickle {
                Box::new(Trickle(&file))
            } else {
                Box::new(&file[..])
            };
            let mut r = FileReader::new(input).unwrap();
            assert!(r.advance().unwrap());
            assert_eq!(r.packet().data, b"abc");
            assert_eq!((r.packet().ts_sec, r.packet().ts_nsec), (1, 7000));
            assert!(r.advance().unwrap());
            assert_eq!(r.packet().data, &big[..]);
            assert!(r.advance().unwrap());
            assert_eq!(r.packet().data, b"z");
            assert!(!r.advance().unwrap());
        }
    }

    /// Hands out its bytes in reads of irregular sizes, then an error if `fail`.
    struct Uneven {
        data: Vec<u8>,
        at: usize,
        turn: usize,
        fail: bool,
    }
    impl Read for Uneven {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            const SIZES: [usize; 6] = [1, 7, 4093, HEAD + 1, 65_537, WINDOW];
            self.turn += 1;
            let n = SIZES[self.turn % SIZES.len()]
                .min(b.len())
                .min(self.data.len() - self.at);
            if n == 0 && self.fail {
                return Err(io::Error::other("device gone"));
            }
            b[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn read_ahead_gives_every_record_whatever_the_reads() {
        // Sizes on both sides of the room kept before a chunk and of the chunk itself.
        let sizes = [
            3,
            HEAD - 1,
            HEAD,
            HEAD + 1,
            5,
            WINDOW + 123,
            1,
            3 * WINDOW,
            60,
            2,
        ];
        let records: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 31 + j) as u8).collect())
            .collect();
        let list: Vec<(u32, &[u8])> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (i as u32, &r[..]))
            .collect();
        let file = pcap(&list);
        for fail in [false, true] {
            let input = Uneven {
                data: file.clone(),
                at: 0,
                turn: 0,
                fail,
            };
            let mut r = FileReader::read_ahead(input).unwrap();
            for (i, want) in records.iter().enumerate() {
                assert!(r.advance().unwrap(), "record {i}");
                assert_eq!(r.packet().ts_sec, i as i64);
                assert!(
                    r.packet().data == &want[..],
                    "record {i} of {} bytes",
                    want.len()
                );
            }
            match fail {
                false => assert!(!r.advance().unwrap()),
                true => {
                    let e = format!("{:#}", r.advance().unwrap_err());
                    assert!(e.ends_with(": device gone"), "{e}");
                }
            }
        }
        // Cut inside a record: what came is reported, as without the thread.
        let cut = file[..file.len() - 1].to_vec();
        let mut r = FileReader::read_ahead(io::Cursor::new(cut)).unwrap();
        for _ in 0..records.len() - 1 {
            assert!(r.advance().unwrap());
        }
        let e = r.advance().unwrap_err().to_string();
        assert!(e.contains("truncated packet data"), "{e}");
    }

    #[test]
    fn lying_lengths_are_errors_not_allocations() {
        let mut file = pcap(&[(1, b"abc")]);
        file[24 + 8..24 + 12].copy_from_slice(&(MAX_RECORD - 1).to_le_bytes());
        let mut r = FileReader::new(&file[..]).unwrap();
        let e = r.advance().unwrap_err().to_string();
        assert!(e.contains("truncated packet data"), "{e}");
        // The window grew with the bytes that came, not with the claim.
        assert!(r.w.buf.len() <= WINDOW);
        file[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut r = FileReader::new(&file[..]).unwrap();
        assert!(r.advance().unwrap_err().to_string().contains("exceeds"));
    }
}
