//! One line (or one JSON object) per packet, tcpdump-like, written into the caller's buffer
//! without allocating or calling the system: live capture and `-r` both print through here.

pub mod decode;
pub mod digits;
pub mod dns;
mod json;
mod kit;
pub mod names;
mod text;

use crate::packet::Owner;
use crate::packet::{Interface, Packet};

pub use decode::{decode, Dir, Frame};
pub use names::ip_proto_name;

/// Which timestamp starts a line: tcpdump's `-t` family (`-t` itself, no timestamp, is not
/// offered: here `-t` names the target).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stamp {
    /// Local time of day (tcpdump's default).
    #[default]
    Time,
    /// `-tt`: seconds since the epoch.
    Epoch,
    /// `-ttt`: time since the previous packet.
    Delta,
    /// `-tttt`: local date and time of day.
    Date,
    /// `-ttttt`: time since the first packet.
    SinceFirst,
}

/// How summary lines look (shared by live capture and `-r`; `cli` fills it from the flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintOptions {
    pub stamp: Stamp,
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
    /// `-S`: absolute TCP sequence numbers (else relative to the first seen, as tcpdump).
    pub absolute_seq: bool,
    /// `-K`: do not verify checksums (they are checked only with `-v`).
    pub no_checksum: bool,
    /// `-#`: number the lines.
    pub number: bool,
    /// `-x` count: hex dump (2: with the link header).
    pub hex: u8,
    /// `-X` count: hex and ASCII dump (2: with the link header).
    pub hex_ascii: u8,
    /// `-A` count: ASCII dump (2: with the link header).
    pub ascii: u8,
}

/// Local-time conversion, cached: libc's localtime_r is called once per quarter hour of capture
/// time, and the digits once per second.
#[derive(Debug, Default)]
struct Clock {
    block: Option<i64>,
    offset: i64,
    sec: Option<i64>,
    hms: [u8; 8],
    /// `YYYY-MM-DD`, for `-tttt`.
    date: [u8; 10],
}

/// Time-zone changes happen on quarter hours; a block of this many seconds shares one offset.
const TZ_BLOCK: i64 = 900;

fn two(b: &mut [u8], v: i64) {
    b[0] = b'0' + (v / 10 % 10) as u8;
    b[1] = b'0' + (v % 10) as u8;
}

/// `HH:MM:SS` of a second count, wrapped to a day.
pub(crate) fn hms_of(sec: i64) -> [u8; 8] {
    let day = sec.rem_euclid(86_400);
    let mut b = *b"00:00:00";
    two(&mut b[0..2], day / 3600);
    two(&mut b[3..5], day / 60 % 60);
    two(&mut b[6..8], day % 60);
    b
}

/// tcpdump's MAXIMUM_SNAPLEN: no record's lengths may pass it.
const MAXIMUM_SNAPLEN: u32 = 262_144;

/// tcpdump's sanity checks on a record's lengths (pretty_print_packet): a record that fails
/// them is one line, `[Invalid header: caplen==0, len==0]`, with no time stamp and no decoding;
/// true when it was.
fn invalid_header(out: &mut Vec<u8>, pkt: &Packet<'_>) -> bool {
    let (caplen, len) = (pkt.data.len() as u64, u64::from(pkt.len));
    let start = out.len();
    let say = |out: &mut Vec<u8>, what: &str| {
        out.extend_from_slice(if out.len() == start {
            b"[Invalid header:".as_slice()
        } else {
            b",".as_slice()
        });
        out.extend_from_slice(what.as_bytes());
    };
    if caplen == 0 {
        // tcpdump writes this one without the space the others get.
        out.extend_from_slice(b"[Invalid header: caplen==0");
    }
    if len == 0 {
        say(out, " len==0");
    } else if len < caplen {
        say(out, &format!(" len({len}) < caplen({caplen})"));
    }
    if caplen > u64::from(MAXIMUM_SNAPLEN) {
        say(out, &format!(" caplen({caplen}) > {MAXIMUM_SNAPLEN}"));
    }
    if len > u64::from(MAXIMUM_SNAPLEN) {
        say(out, &format!(" len({len}) > {MAXIMUM_SNAPLEN}"));
    }
    if out.len() == start {
        return false;
    }
    out.extend_from_slice(b"]\n");
    true
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (proleptic Gregorian, as glibc's strftime).
pub(crate) fn date_of(days: i64) -> [u8; 10] {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let mut b = *b"0000-00-00";
    two(&mut b[0..2], y / 100);
    two(&mut b[2..4], y % 100);
    two(&mut b[5..7], m);
    two(&mut b[8..10], d);
    b
}

impl Clock {
    fn local(&mut self, sec: i64) {
        if self.sec != Some(sec) {
            let block = sec.div_euclid(TZ_BLOCK);
            if self.block != Some(block) {
                self.offset = utc_offset(block * TZ_BLOCK);
                self.block = Some(block);
            }
            let local = sec.saturating_add(self.offset);
            self.hms = hms_of(local);
            self.date = date_of(local.div_euclid(86_400));
            self.sec = Some(sec);
        }
    }
}

/// Seconds east of UTC at `sec` (0 where the C library cannot say).
fn utc_offset(sec: i64) -> i64 {
    crate::os::local_tm(sec).map_or(0, |tm| tm.tm_gmtoff)
}

/// tcpdump refuses to convert seconds with bit 31 set (before 1970, after January 2038).
fn unconvertible(sec: i64) -> bool {
    (sec as u32) & 0x8000_0000 != 0
}

pub struct Summarizer {
    opts: PrintOptions,
    clock: Clock,
    /// Packets seen, for `-#`.
    count: u32,
    /// `-ttt`/`-ttttt`: the previous (or first) packet's time, in nanoseconds.
    reference: Option<i128>,
    state: text::State,
    /// JSON objects written so far: the next one's `frame` number, less one.
    json_frames: u64,
}

impl Summarizer {
    pub fn new(opts: PrintOptions) -> Self {
        let state = text::State::new(!opts.absolute_seq);
        Summarizer {
            opts,
            clock: Clock::default(),
            count: 0,
            reference: None,
            state,
            json_frames: 0,
        }
    }

    /// Name the interface on every line from now on (a file turned out to have several).
    pub fn show_interfaces(&mut self) {
        self.opts.show_iface = true;
    }

    fn frac(&self, out: &mut Vec<u8>, nsec: u32) {
        out.push(b'.');
        let nsec = nsec.min(999_999_999);
        if self.opts.nano {
            digits::padded(out, u64::from(nsec), 9);
        } else {
            digits::padded(out, u64::from(nsec / 1000), 6);
        }
    }

    /// An absolute timestamp: local time of day (`HH:MM:SS.uuuuuu`), with `-tt` seconds since
    /// the epoch, with `-tttt` the local date first.
    pub fn timestamp(&mut self, out: &mut Vec<u8>, sec: i64, nsec: u32) {
        if unconvertible(sec) {
            out.extend_from_slice(b"[Error converting time]");
            return;
        }
        match self.opts.stamp {
            Stamp::Epoch => digits::i64(out, sec),
            Stamp::Date => {
                self.clock.local(sec);
                out.extend_from_slice(&self.clock.date);
                out.push(b' ');
                out.extend_from_slice(&self.clock.hms);
            }
            _ => {
                self.clock.local(sec);
                out.extend_from_slice(&self.clock.hms);
            }
        }
        self.frac(out, nsec);
    }

    /// `-ttt`/`-ttttt`: a sign (space or `-`), then the difference as `HH:MM:SS.frac`, computed
    /// at the printed precision as tcpdump does.
    fn relative(&mut self, out: &mut Vec<u8>, sec: i64, nsec: u32) {
        let unit = if self.opts.nano { 1 } else { 1000 };
        let t = i128::from(sec) * 1_000_000_000 + i128::from(nsec.min(999_999_999) / unit * unit);
        let r = *self.reference.get_or_insert(t);
        out.push(if t < r { b'-' } else { b' ' });
        let d = (t - r).abs();
        let (s, f) = ((d / 1_000_000_000) as i64, (d % 1_000_000_000) as u32);
        if unconvertible(s) {
            out.extend_from_slice(b"[Error converting time]");
        } else {
            out.extend_from_slice(&hms_of(s));
            self.frac(out, f);
        }
        if self.opts.stamp == Stamp::Delta {
            self.reference = Some(t);
        }
    }

    /// Appends one summary line (with a payload dump when asked, several lines), ending in `\n`.
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
        self.count = self.count.wrapping_add(1);
        if self.opts.number {
            digits::right(out, u64::from(self.count), 5);
            out.extend_from_slice(b"  ");
        }
        if invalid_header(out, pkt) {
            return;
        }
        match self.opts.stamp {
            Stamp::Delta | Stamp::SinceFirst => self.relative(out, pkt.ts_sec, pkt.ts_nsec),
            _ => self.timestamp(out, pkt.ts_sec, pkt.ts_nsec),
        }
        out.push(b' ');
        let frame = decode::decode(iface.linktype, pkt.data, pkt.len, iface.mac);
        // SLL2 lines name the interface in tcpdump's column; nscap knows the target's names
        // (`-i any`, or a file with one interface per name), tcpdump asks the reading host.
        let sll2 = iface.linktype == crate::link::LINKTYPE_LINUX_SLL2;
        let named = (self.opts.show_iface && !iface.name.is_empty()).then_some(iface.name.as_str());
        // Packets `any` could not attribute (an interface created after the start) keep the
        // index in their header: looked up as tcpdump does.
        let sll2_name = named.filter(|n| sll2 && *n != "any");
        if let (Some(name), false) = (named, sll2) {
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
        }
        // Live Ethernet captures know the interface's own address, so they say which way a
        // frame went (tcpdump does not; files never carry it, so `-r` lines are tcpdump's).
        if let (decode::Link::Ether { .. }, Some(d)) = (frame.link, frame.dir) {
            out.extend_from_slice(if d == Dir::In { b"In " } else { b"Out " });
        }
        if let Some(o) = owner {
            out.extend_from_slice(o.tag.as_bytes());
            out.push(b' ');
        }
        text::frame(
            out,
            &frame,
            pkt,
            iface.linktype,
            &self.opts,
            &mut self.state,
            sll2_name,
        );
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
        if unconvertible(pkt.ts_sec) {
            digits::i64(out, pkt.ts_sec);
            self.frac(out, pkt.ts_nsec);
        } else {
            let stamp = self.opts.stamp;
            self.opts.stamp = Stamp::Epoch;
            self.timestamp(out, pkt.ts_sec, pkt.ts_nsec);
            self.opts.stamp = stamp;
        }
        self.json_frames += 1;
        out.extend_from_slice(b",\"frame\":");
        digits::u64(out, self.json_frames);
        let frame = decode::decode(iface.linktype, pkt.data, pkt.len, iface.mac);
        json::frame(out, &frame, pkt, iface, owner);
        out.extend_from_slice(b"}\n");
    }
}

#[cfg(test)]
mod tests;
