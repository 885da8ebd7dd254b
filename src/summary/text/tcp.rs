//! TCP (print-tcp.c): flags, relative sequence numbers, options.

use super::{app, cksum, mptcp, n, s};
use crate::summary::decode::Ip;
use crate::summary::kit::{be16, be32, trunc};
use crate::summary::PrintOptions;
use crate::summary::{digits, names};

/// Ways per set and sets: 16384 conversations remembered, the least recently used of a set
/// forgotten first. tcpdump's table never forgets (and grows without bound); a conversation
/// forgotten here and seen again is taken up from that packet, as tcpdump would a new one.
const WAYS: usize = 4;
const SET_BITS: u32 = 12;

/// A slot: the conversation's 64-bit hash (0: empty), its first seq and first ack. A set is one
/// 64-byte cache line, kept in order of last use. Two conversations are confused only if their
/// hashes collide, one chance in 2^64 per pair.
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
struct Slot {
    hash: u64,
    seq: u32,
    ack: u32,
}

/// The first sequence numbers of each conversation, for tcpdump's relative numbers: one
/// allocation up front, none per packet.
pub struct Seqs {
    slots: Vec<Slot>,
}

impl Seqs {
    pub fn new(on: bool) -> Self {
        let slots = if on {
            vec![Slot::default(); WAYS << SET_BITS]
        } else {
            Vec::new()
        };
        Seqs { slots }
    }

    /// tcpdump's lookup: (seq, ack) to print, the conversation's (seq, ack) base for SACK
    /// blocks, and whether this packet goes the "reverse" way of the stored key.
    fn relative(
        &mut self,
        ip: &Ip<'_>,
        (sport, dport): (u16, u16),
        (seq, ack): (u32, u32),
        syn: bool,
    ) -> (u32, u32, u32, u32, bool) {
        let rev = sport > dport || (sport == dport && ip.src > ip.dst);
        let (a, b, ports) = if rev {
            (&ip.dst, &ip.src, u32::from(dport) << 16 | u32::from(sport))
        } else {
            (&ip.src, &ip.dst, u32::from(sport) << 16 | u32::from(dport))
        };
        let words = |x: &[u8; 16]| {
            [
                u64::from_ne_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]),
                u64::from_ne_bytes([x[8], x[9], x[10], x[11], x[12], x[13], x[14], x[15]]),
            ]
        };
        let (wa, wb) = (words(a), words(b));
        let mut h = u64::from(ports) << 1 | u64::from(ip.v6);
        for w in [wa[0], wa[1], wb[0], wb[1]] {
            h = (h.rotate_left(23) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        h ^= h >> 29;
        let hash = h.max(1);
        let set = (h >> (64 - SET_BITS)) as usize * WAYS;
        let ways = &mut self.slots[set..set + WAYS];
        let found = ways.iter().position(|w| w.hash == hash);
        // Most recently used first: the hit, or the new entry, moves to the front.
        let i = found.unwrap_or(WAYS - 1);
        ways[..=i].rotate_right(1);
        let w = &mut ways[0];
        if found.is_some() && !syn {
            let (seq, ack) = if rev {
                (seq.wrapping_sub(w.ack), ack.wrapping_sub(w.seq))
            } else {
                (seq.wrapping_sub(w.seq), ack.wrapping_sub(w.ack))
            };
            return (seq, ack, w.seq, w.ack, rev);
        }
        w.hash = hash;
        if rev {
            w.ack = seq;
            w.seq = ack.wrapping_sub(1);
        } else {
            w.seq = seq;
            w.ack = ack.wrapping_sub(1);
        }
        (seq, ack, w.seq, w.ack, rev)
    }
}

/// `len`: the payload bytes (`decode::tcp_len`).
#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    t: &etherparse::TcpSlice<'_>,
    len: u32,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    seqs: &mut Seqs,
) {
    if opts.quick {
        s(out, "tcp ");
        n(out, len);
        return;
    }
    let o = t.options();
    if header(out, t, len, ip, opts, seqs, o, o.len()).is_some() {
        tail(out, t, len, opts);
    }
}

/// A TCP header etherparse would not take: the capture (or the IP length) ends inside its
/// options, or its data offset says less than the fixed 20 bytes. `b`: the bytes there are, at
/// least those 20. print-tcp.c prints what it can read, then its notes or cut marks.
pub(super) fn cut(out: &mut Vec<u8>, b: &[u8], ip: &Ip<'_>, opts: &PrintOptions, seqs: &mut Seqs) {
    let hlen = u32::from(b[12] >> 4) * 4;
    // tcpdump subtracts unsigned: a header longer than the IP payload wraps.
    let length = ip.payload_len;
    let len = length.wrapping_sub(hlen);
    if hlen < 20 {
        s(out, " tcp ");
        n(out, len);
        s(out, " [bad hdr length ");
        n(out, hlen);
        s(out, " - too short, < 20]");
        return;
    }
    let too_long = |out: &mut Vec<u8>| {
        s(out, " [bad hdr length ");
        n(out, hlen);
        s(out, " - too long, > ");
        n(out, length);
        out.push(b']');
    };
    if opts.quick {
        s(out, "tcp ");
        n(out, len);
        if hlen > length {
            too_long(out);
        }
        return;
    }
    // The fixed part alone, as a header without options, for the printer of whole ones.
    let mut fixed = [0u8; 20];
    fixed.copy_from_slice(&b[..20]);
    fixed[12] = 0x50 | fixed[12] & 0x0f;
    let Ok(t) = etherparse::TcpSlice::from_slice(&fixed) else {
        return;
    };
    if hlen > length {
        flags(out, &t, ip, opts, seqs);
        too_long(out);
        return;
    }
    let declared = hlen as usize - 20;
    // Options ended early (EOL) before the cut: the payload's printers are not reached.
    if let Some(proto) = header(out, &t, len, ip, opts, seqs, &b[20..], declared) {
        s(out, ", length ");
        n(out, len);
        if len > 0 {
            s(out, " [remaining caplen(");
            n(out, b.len() as u64);
            s(out, ") < header length(");
            n(out, hlen);
            s(out, ")] [|");
            s(out, proto);
            out.push(b']');
            super::long_jump();
        }
    }
}

/// `Flags [S.]`, and the conversation's relative numbers: (seq, ack, SACK base).
#[inline(always)]
fn flags(
    out: &mut Vec<u8>,
    t: &etherparse::TcpSlice<'_>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    seqs: &mut Seqs,
) -> (u32, u32, u32) {
    s(out, "Flags [");
    let mark = out.len();
    names::tcp_flags(out, t);
    if out.len() == mark {
        s(out, "none");
    }
    out.push(b']');
    let (mut seq, mut ack) = (t.sequence_number(), t.acknowledgment_number());
    let (mut base_seq, mut base_ack, mut rev) = (0, 0, false);
    if !opts.absolute_seq && t.ack() && !seqs.slots.is_empty() {
        let ports = (t.source_port(), t.destination_port());
        (seq, ack, base_seq, base_ack, rev) = seqs.relative(ip, ports, (seq, ack), t.syn());
    }
    (seq, ack, if rev { base_seq } else { base_ack })
}

/// Everything up to the options; None when the line ends in them, else the protocol a later
/// cut mark names. `o`: the option bytes captured, `declared` of them by the data offset.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn header(
    out: &mut Vec<u8>,
    t: &etherparse::TcpSlice<'_>,
    len: u32,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    seqs: &mut Seqs,
    o: &[u8],
    declared: usize,
) -> Option<&'static str> {
    let (seq, ack, base) = flags(out, t, ip, opts, seqs);
    let fragmented = ip.frag.is_some();
    if opts.verbose > 0 && !opts.no_checksum && !fragmented {
        if let Some(sum) = cksum::transport(ip, 6) {
            s(out, ", cksum 0x");
            digits::hex_padded(out, u64::from(t.checksum()), 4);
            cksum::verdict(out, t.checksum(), sum);
        }
    }
    if opts.verbose > 1 || len > 0 || t.syn() || t.fin() || t.rst() {
        s(out, ", seq ");
        n(out, seq);
        if len > 0 {
            out.push(b':');
            n(out, seq.wrapping_add(len));
        }
    }
    if t.ack() {
        s(out, ", ack ");
        n(out, ack);
    }
    s(out, ", win ");
    n(out, t.window_size());
    if t.urg() {
        s(out, ", urg ");
        n(out, t.urgent_pointer());
    }
    // The MD5 option's check wants the whole segment before it wants the secret.
    let whole = ip.rest.len() as u64 >= u64::from(ip.payload_len);
    if declared == 0 {
        return Some("tcp");
    }
    // Only the two flags print-mptcp.c looks at.
    let th = u8::from(t.syn()) << 1 | u8::from(t.ack()) << 4;
    tcp_options(out, o, declared, base, whole, th)
}

/// `, length 12` and what the payload's port says it is.
fn tail(out: &mut Vec<u8>, t: &etherparse::TcpSlice<'_>, len: u32, opts: &PrintOptions) {
    s(out, ", length ");
    n(out, len);
    if len > 0 && t.rst() && opts.verbose > 0 {
        rst_data(out, t.payload(), len);
    } else if len > 0 {
        app::tcp(out, t, len, opts);
    }
}

/// print_tcp_rst_data: with -v, a reset's data (RFC 1122 lets it carry a reason), at most 30
/// bytes of it: ` [RST why]`, `[!RST` when not all of it was captured, `+` when cut to 30.
fn rst_data(out: &mut Vec<u8>, b: &[u8], len: u32) {
    let len = len as usize;
    s(out, if b.len() >= len { " [RST" } else { " [!RST" });
    if len > 30 {
        s(out, "+");
    }
    s(out, " ");
    for &c in b.iter().take(len.min(30)) {
        crate::summary::dns::print_char(out, c);
    }
    s(out, "]");
}

fn option_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        0 => "eol",
        1 => "nop",
        2 => "mss",
        3 => "wscale",
        4 => "sackOK",
        5 => "sack",
        6 => "echo",
        7 => "echoreply",
        8 => "TS",
        11 => "cc",
        12 => "ccnew",
        13 => "",
        19 => "md5",
        20 => "scps",
        28 => "uto",
        29 => "tcp-ao",
        30 => "mptcp",
        34 => "tfo",
        254 => "exp",
        _ => return None,
    })
}

fn hex_bytes(out: &mut Vec<u8>, b: &[u8]) {
    for x in b {
        digits::byte_hex(out, *x);
    }
}

fn fastopen(out: &mut Vec<u8>, v: &[u8]) {
    if v.is_empty() {
        s(out, " cookiereq");
    } else if v.len() % 2 != 0 || v.len() < 4 || v.len() > 16 {
        s(out, " (invalid)");
    } else {
        s(out, " cookie ");
        hex_bytes(out, v);
    }
}

/// How print-tcp.c's option loop ends early.
enum Stop {
    /// `[bad opt]`: a length that does not fit.
    Bad,
    /// Its bounds check fails (`goto trunc`): ` [|tcp]`, and `>` after the first option.
    Cut,
    /// A getter fails: the long jump's ` [|tcp]`.
    Jump,
}

/// tcpdump's `, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]`; SACK blocks relative to
/// `base`. `o`: the option bytes captured, `declared` of them by the data offset; `th`: the TCP
/// flags. None when the line ends there: a malformed option, or the capture's end; else the
/// protocol name of the cut marks that may follow.
fn tcp_options(
    out: &mut Vec<u8>,
    o: &[u8],
    declared: usize,
    base: u32,
    whole: bool,
    th: u8,
) -> Option<&'static str> {
    s(out, ", options [");
    // tcpdump's cut marks name the last printer entered (`ndo_protocol`), and print-mptcp.c
    // sets it: after an MPTCP option, a cut in the TCP header reads ` [|mptcp]`.
    let mut proto = "tcp";
    let mut first = true;
    let mut at = 0;
    while at < declared {
        if !first {
            out.push(b',');
        }
        match option(out, o, declared, at, base, whole, th) {
            Ok((next, end)) => {
                if o[at] == 30 {
                    proto = "mptcp";
                }
                at = next;
                first = false;
                if end {
                    break;
                }
            }
            Err(Stop::Bad) => {
                s(out, "[bad opt]");
                if !first {
                    out.push(b']');
                }
                return None;
            }
            Err(Stop::Cut) => {
                trunc(out, proto);
                if !first {
                    out.push(b'>');
                }
                return None;
            }
            Err(Stop::Jump) => {
                trunc(out, proto);
                super::long_jump();
                return None;
            }
        }
    }
    out.push(b']');
    Some(proto)
}

/// The option at `at`: where the next one starts, and whether this one (EOL) ends the list.
/// tcpdump checks each read against what is left of the declared options (`hlen`), not the
/// option's own length, and steps over what it read.
fn option(
    out: &mut Vec<u8>,
    o: &[u8],
    declared: usize,
    at: usize,
    base: u32,
    whole: bool,
    th: u8,
) -> Result<(usize, bool), Stop> {
    let byte = |i: usize| o.get(i).copied().ok_or(Stop::Jump);
    let kind = byte(at)?;
    let len = if kind <= 1 {
        1
    } else {
        let l = usize::from(byte(at + 1)?);
        if l < 2 || l > declared - at {
            return Err(Stop::Bad);
        }
        l
    };
    let cp = at + if kind <= 1 { 1 } else { 2 };
    let d = Data {
        o,
        at,
        cp,
        hlen: declared - cp,
    };
    match option_name(kind) {
        Some(name) => s(out, name),
        None => {
            s(out, "unknown-");
            n(out, kind);
        }
    }
    let rest = len.saturating_sub(2);
    let datalen = data(out, kind, rest, &d, base, whole, th)?;
    if datalen + cp - at != len {
        s(out, "[len ");
        n(out, len as u64);
        out.push(b']');
    }
    Ok((cp + datalen, kind == 0))
}

/// The data of the option at `at`, from `cp` on, with what is left of the declared options.
struct Data<'a> {
    o: &'a [u8],
    at: usize,
    cp: usize,
    hlen: usize,
}

impl<'a> Data<'a> {
    /// LENCHECK: `l` bytes must be left of the options, and captured.
    fn check(&self, l: usize) -> Result<&'a [u8], Stop> {
        if l > self.hlen {
            Err(Stop::Bad)
        } else if self.cp + l > self.o.len() {
            Err(Stop::Cut)
        } else {
            Ok(&self.o[self.cp..self.cp + l])
        }
    }
}

/// An option's data after its name; how many bytes tcpdump stepped over. `rest`: the data
/// length the option's length byte declares.
fn data(
    out: &mut Vec<u8>,
    kind: u8,
    rest: usize,
    d: &Data<'_>,
    base: u32,
    whole: bool,
    th: u8,
) -> Result<usize, Stop> {
    Ok(match kind {
        0 | 1 | 4 => 0,
        2 => {
            let v = d.check(2)?;
            out.push(b' ');
            n(out, be16(v, 0).unwrap_or(0));
            2
        }
        3 => {
            let v = d.check(1)?;
            out.push(b' ');
            n(out, v[0]);
            1
        }
        5 if rest % 8 != 0 => {
            s(out, " invalid sack");
            rest
        }
        5 => sack(out, d, rest, base)?,
        6 | 7 | 11..=13 => {
            let v = d.check(4)?;
            out.push(b' ');
            n(out, be32(v, 0).unwrap_or(0));
            4
        }
        8 => {
            let v = d.check(8)?;
            s(out, " val ");
            n(out, be32(v, 0).unwrap_or(0));
            s(out, " ecr ");
            n(out, be32(v, 4).unwrap_or(0));
            8
        }
        19 => {
            // Checking needs the shared secret: tcpdump then shows the digest.
            let v = d.check(16)?;
            s(
                out,
                if whole {
                    " shared secret not supplied with -M, can't check - "
                } else {
                    " snaplen too short, can't check - "
                },
            );
            hex_bytes(out, v);
            16
        }
        20 => {
            let v = d.check(2)?;
            s(out, " cap ");
            digits::byte_hex(out, v[0]);
            s(out, " id ");
            n(out, v[1]);
            2
        }
        28 => {
            let u = be16(d.check(2)?, 0).unwrap_or(0);
            s(out, " 0x");
            digits::hex(out, u64::from(u));
            out.push(b' ');
            // tcpdump's utoval is a u_int: minutes times 60 do not wrap.
            let u = u32::from(u);
            n(out, if u & 1 != 0 { (u >> 1) * 60 } else { u >> 1 });
            2
        }
        29 if rest < 2 => {
            s(out, " (invalid)");
            rest
        }
        29 => tcp_ao(out, d, rest)?,
        30 => {
            d.check(rest)?;
            if !mptcp::print(out, &d.o[d.at..d.cp + rest], th) {
                return Err(Stop::Bad);
            }
            rest
        }
        34 => {
            let v = d.check(rest)?;
            out.push(b' ');
            fastopen(out, v);
            rest
        }
        254 => experimental(out, d, rest)?,
        _ => {
            if rest > 0 {
                s(out, " 0x");
            }
            hex_data(out, d, 0, rest)?;
            rest
        }
    })
}

/// `sack 2 {1:2}{3:4}`, relative to `base`.
fn sack(out: &mut Vec<u8>, d: &Data<'_>, rest: usize, base: u32) -> Result<usize, Stop> {
    out.push(b' ');
    n(out, (rest / 8) as u64);
    out.push(b' ');
    for i in (0..rest).step_by(8) {
        let start = be32(d.check(i + 4)?, i).unwrap_or(0);
        let end = be32(d.check(i + 8)?, i + 4).unwrap_or(0);
        out.push(b'{');
        n(out, start.wrapping_sub(base));
        out.push(b':');
        n(out, end.wrapping_sub(base));
        out.push(b'}');
    }
    Ok(rest)
}

/// TCP-AO: `keyid 1 rnextkeyid 2 mac 0x…`.
fn tcp_ao(out: &mut Vec<u8>, d: &Data<'_>, rest: usize) -> Result<usize, Stop> {
    let keyid = d.check(1)?[0];
    s(out, " keyid ");
    n(out, keyid);
    let next = d.check(2)?[1];
    s(out, " rnextkeyid ");
    n(out, next);
    if rest > 2 {
        s(out, " mac 0x");
        hex_data(out, d, 2, rest)?;
    }
    Ok(rest)
}

/// Kind 254, the experimental option: `-tfo` and the cookie for its fast-open magic,
/// else the magic number.
fn experimental(out: &mut Vec<u8>, d: &Data<'_>, rest: usize) -> Result<usize, Stop> {
    let v = d.check(rest)?;
    if rest < 2 {
        return Err(Stop::Bad);
    }
    out.push(b'-');
    let magic = be16(v, 0).unwrap_or(0);
    if magic == 0xf989 {
        s(out, "tfo");
        fastopen(out, &v[2..]);
    } else {
        digits::hex_padded(out, u64::from(magic), 4);
    }
    Ok(rest)
}

/// Data bytes `from..to` in hex, each checked as tcpdump reads them one by one.
fn hex_data(out: &mut Vec<u8>, d: &Data<'_>, from: usize, to: usize) -> Result<(), Stop> {
    for i in from..to {
        digits::byte_hex(out, d.check(i + 1)?[i]);
    }
    Ok(())
}
