//! TCP (print-tcp.c): flags, relative sequence numbers, options.

use super::{app, cksum, n, s};
use crate::summary::decode::Ip;
use crate::summary::PrintOptions;
use crate::summary::{names, put};

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
    let fragmented = ip.frag.is_some();
    if opts.verbose > 0 && !opts.no_checksum && !fragmented {
        if let Some(sum) = cksum::transport(ip, 6) {
            s(out, ", cksum 0x");
            put::hex_padded(out, u64::from(t.checksum()), 4);
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
    if !t.options().is_empty() {
        let base = if rev { base_seq } else { base_ack };
        if !tcp_options(out, t.options(), base) {
            return;
        }
    }
    s(out, ", length ");
    n(out, len);
    if len > 0 && !(t.rst() && opts.verbose > 0) {
        app::tcp(out, t, len, opts);
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}
fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
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
        put::byte_hex(out, *x);
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

/// tcpdump's `, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]`; SACK blocks relative to
/// `base`. False when tcpdump gives up on a malformed option (`[bad opt]`), ending the line.
fn tcp_options(out: &mut Vec<u8>, mut o: &[u8], base: u32) -> bool {
    s(out, ", options [");
    let mut first = true;
    while let Some(&kind) = o.first() {
        if !first {
            out.push(b',');
        }
        let len = if kind <= 1 {
            1
        } else {
            match o.get(1) {
                Some(&l) if l >= 2 && usize::from(l) <= o.len() => usize::from(l),
                _ => return bad(out, first),
            }
        };
        match option_name(kind) {
            Some(name) => s(out, name),
            None => {
                s(out, "unknown-");
                n(out, kind);
            }
        }
        let v = &o[len.min(2)..len];
        // The bytes each option's printer reads; more than the option holds is malformed.
        let need = match kind {
            2 | 20 | 28 => 2,
            3 => 1,
            6 | 7 | 11..=13 => 4,
            8 => 8,
            19 => 16,
            _ => 0,
        };
        if need > v.len() {
            return bad(out, first);
        }
        let mut used = v.len();
        match kind {
            0 | 1 | 4 => used = 0,
            2 => {
                out.push(b' ');
                n(out, be16(v));
                used = 2;
            }
            3 => {
                out.push(b' ');
                n(out, v[0]);
                used = 1;
            }
            5 if v.len() % 8 != 0 => s(out, " invalid sack"),
            5 => {
                out.push(b' ');
                n(out, (v.len() / 8) as u64);
                out.push(b' ');
                for c in v.chunks_exact(8) {
                    out.push(b'{');
                    n(out, be32(&c[..4]).wrapping_sub(base));
                    out.push(b':');
                    n(out, be32(&c[4..]).wrapping_sub(base));
                    out.push(b'}');
                }
            }
            6 | 7 | 11..=13 => {
                out.push(b' ');
                n(out, be32(v));
                used = 4;
            }
            8 => {
                s(out, " val ");
                n(out, be32(v));
                s(out, " ecr ");
                n(out, be32(&v[4..]));
                used = 8;
            }
            19 => {
                // Checking needs the shared secret: tcpdump then shows the digest.
                s(out, " can't check - ");
                hex_bytes(out, &v[..16]);
                used = 16;
            }
            20 => {
                s(out, " cap ");
                put::byte_hex(out, v[0]);
                s(out, " id ");
                n(out, v[1]);
                used = 2;
            }
            28 => {
                let u = be16(v);
                s(out, " 0x");
                put::hex(out, u64::from(u));
                out.push(b' ');
                n(out, if u & 1 != 0 { (u >> 1) * 60 } else { u >> 1 });
                used = 2;
            }
            29 if v.len() < 2 => s(out, " (invalid)"),
            29 => {
                s(out, " keyid ");
                n(out, v[0]);
                s(out, " rnextkeyid ");
                n(out, v[1]);
                if v.len() > 2 {
                    s(out, " mac 0x");
                    hex_bytes(out, &v[2..]);
                }
            }
            34 => {
                out.push(b' ');
                fastopen(out, v);
            }
            254 if v.len() < 2 => return bad(out, first),
            254 => {
                out.push(b'-');
                if be16(v) == 0xf989 {
                    s(out, "tfo");
                    fastopen(out, &v[2..]);
                } else {
                    put::hex_padded(out, u64::from(be16(v)), 4);
                }
            }
            30 => {}
            _ => {
                if !v.is_empty() {
                    s(out, " 0x");
                    hex_bytes(out, v);
                }
            }
        }
        let declared = if kind <= 1 { 1 } else { used + 2 };
        if declared != len && kind > 1 {
            s(out, "[len ");
            n(out, len as u64);
            out.push(b']');
        }
        first = false;
        // tcpdump steps over what it read, not over the declared length.
        o = &o[if kind <= 1 { 1 } else { 2 + used }..];
        if kind == 0 {
            break;
        }
    }
    out.push(b']');
    true
}

fn bad(out: &mut Vec<u8>, first: bool) -> bool {
    s(out, "[bad opt]");
    if !first {
        out.push(b']');
    }
    false
}
