//! One line (or one JSON object) per packet, tcpdump-like, written into the caller's buffer
//! without allocating or calling the system: live capture and `-r` both print through here.

pub mod decode;
pub mod dns;
#[doc(hidden)]
pub mod frames;
mod json;
pub mod names;
pub mod put;
mod text;

use crate::attrib::Owner;
use crate::packet::{Interface, Packet};

pub use decode::{decode, Dir, Frame};
pub use names::ip_proto_name;

/// How summary lines look (shared by live capture and `-r`; `cli` fills it from the flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// Seconds since the epoch instead of local time of day.
    pub epoch: bool,
    /// Nanoseconds instead of microseconds.
    pub nano: bool,
    /// Show the interface name on each line (several interfaces).
    pub show_iface: bool,
    /// `-e`: link-level header.
    pub link_header: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `-q`: shorter lines.
    pub quick: bool,
}

/// Local-time conversion, cached: libc's localtime_r is called once per quarter hour of capture
/// time, and the digits once per second.
#[derive(Debug, Default)]
struct Clock {
    block: Option<i64>,
    offset: i64,
    sec: Option<i64>,
    hms: [u8; 8],
}

/// Time-zone changes happen on quarter hours; a block of this many seconds shares one offset.
const TZ_BLOCK: i64 = 900;

impl Clock {
    fn hms(&mut self, sec: i64) -> &[u8; 8] {
        if self.sec != Some(sec) {
            let block = sec.div_euclid(TZ_BLOCK);
            if self.block != Some(block) {
                self.offset = utc_offset(block * TZ_BLOCK);
                self.block = Some(block);
            }
            let day = sec.saturating_add(self.offset).rem_euclid(86_400);
            let (h, m, s) = (day / 3600, day / 60 % 60, day % 60);
            self.hms = [
                b'0' + (h / 10) as u8,
                b'0' + (h % 10) as u8,
                b':',
                b'0' + (m / 10) as u8,
                b'0' + (m % 10) as u8,
                b':',
                b'0' + (s / 10) as u8,
                b'0' + (s % 10) as u8,
            ];
            self.sec = Some(sec);
        }
        &self.hms
    }
}

fn utc_offset(sec: i64) -> i64 {
    let t = sec as libc::time_t;
    // SAFETY: localtime_r writes only into `tm`, which lives on this stack frame.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            0
        } else {
            tm.tm_gmtoff
        }
    }
}

pub struct Summarizer {
    opts: PrintOptions,
    clock: Clock,
    /// JSON objects written so far: the next one's `frame` number, less one.
    json_frames: u64,
}

impl Summarizer {
    pub fn new(opts: PrintOptions) -> Self {
        Summarizer {
            opts,
            clock: Clock::default(),
            json_frames: 0,
        }
    }

    /// Name the interface on every line from now on (a file turned out to have several).
    pub fn show_interfaces(&mut self) {
        self.opts.show_iface = true;
    }

    /// Local time of day (`HH:MM:SS.uuuuuu`) or, with `epoch`, seconds since the epoch.
    pub fn timestamp(&mut self, out: &mut Vec<u8>, sec: i64, nsec: u32) {
        if self.opts.epoch {
            put::i64(out, sec);
        } else {
            out.extend_from_slice(self.clock.hms(sec));
        }
        out.push(b'.');
        let nsec = nsec.min(999_999_999);
        if self.opts.nano {
            put::padded(out, u64::from(nsec), 9);
        } else {
            put::padded(out, u64::from(nsec / 1000), 6);
        }
    }

    /// Appends one summary line, ending in `\n`.
    pub fn line(&mut self, out: &mut Vec<u8>, pkt: &Packet<'_>, iface: &Interface) {
        self.line_by(out, pkt, iface, None)
    }

    /// A summary line naming the process the packet belongs to (`--process`) after the
    /// direction: `eth0 Out curl[1234] IP ...`.
    pub fn line_by(
        &mut self,
        out: &mut Vec<u8>,
        pkt: &Packet<'_>,
        iface: &Interface,
        owner: Option<&Owner>,
    ) {
        self.timestamp(out, pkt.ts_sec, pkt.ts_nsec);
        out.push(b' ');
        let frame = decode::decode(iface.linktype, pkt.data, pkt.len, iface.mac);
        if self.opts.show_iface && !iface.name.is_empty() {
            out.extend_from_slice(iface.name.as_bytes());
            out.push(b' ');
        }
        match frame.dir {
            Some(Dir::In) => out.extend_from_slice(b"In "),
            Some(Dir::Out) => out.extend_from_slice(b"Out "),
            None => {}
        }
        if let Some(o) = owner {
            out.extend_from_slice(o.tag.as_bytes());
            out.push(b' ');
        }
        text::frame(out, &frame, pkt, iface.linktype, &self.opts);
        out.push(b'\n');
    }

    /// Appends one JSON object (schema: docs/json.md), ending in `\n`.
    pub fn json(&mut self, out: &mut Vec<u8>, pkt: &Packet<'_>, iface: &Interface) {
        self.json_by(out, pkt, iface, None)
    }

    /// A JSON object with a `process` object when the packet's process is known.
    pub fn json_by(
        &mut self,
        out: &mut Vec<u8>,
        pkt: &Packet<'_>,
        iface: &Interface,
        owner: Option<&Owner>,
    ) {
        out.extend_from_slice(b"{\"time\":");
        let epoch = self.opts.epoch;
        self.opts.epoch = true;
        self.timestamp(out, pkt.ts_sec, pkt.ts_nsec);
        self.opts.epoch = epoch;
        self.json_frames += 1;
        out.extend_from_slice(b",\"frame\":");
        put::u64(out, self.json_frames);
        let frame = decode::decode(iface.linktype, pkt.data, pkt.len, iface.mac);
        json::frame(out, &frame, pkt, iface, owner);
        out.extend_from_slice(b"}\n");
    }
}

#[cfg(test)]
mod tests;
