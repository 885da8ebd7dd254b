//! Multipath TCP option (print-mptcp.c of tcpdump 4.99.3): ` 12 capable v1 {0x…}`.
//!
//! print-tcp.c has checked that the whole option was captured before it gets here, and every
//! read below stays inside the option's own length, so nothing here can be cut: a length that
//! does not fit the subtype is print-tcp.c's `[bad opt]`, after what was already printed.

use super::{n, s};
use crate::summary::digits;
use crate::summary::kit::{be16, be32, be64};

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

const NAMES: [&str; 9] = [
    "capable",
    "join",
    "dss",
    "add-addr",
    "rem-addr",
    "prio",
    "fail",
    "fast-close",
    "unknown",
];

fn hex64(out: &mut Vec<u8>, v: u64) {
    s(out, "0x");
    digits::hex(out, v);
}

/// `o`: the option from its kind byte, exactly its length long; `flags`: the TCP flags byte.
/// False where print-tcp.c goes on to `[bad opt]`.
pub(super) fn print(out: &mut Vec<u8>, o: &[u8], flags: u8) -> bool {
    let len = o.len();
    if len < 3 {
        return false;
    }
    let subtype = usize::from(o[2] >> 4).min(NAMES.len() - 1);
    out.push(b' ');
    n(out, len as u64);
    out.push(b' ');
    s(out, NAMES[subtype]);
    match subtype {
        0 => capable(out, o, flags),
        1 => join(out, o, flags),
        2 => dss(out, o, flags),
        3 => add_addr(out, o),
        4 => {
            if len < 4 {
                return false;
            }
            s(out, " id");
            for &id in &o[3..] {
                out.push(b' ');
                n(out, id);
            }
            true
        }
        5 => {
            if len != 3 && len != 4 {
                return false;
            }
            s(
                out,
                if o[2] & 1 != 0 {
                    " backup"
                } else {
                    " non-backup"
                },
            );
            if len == 4 {
                s(out, " id ");
                n(out, o[3]);
            }
            true
        }
        6 | 7 => {
            if len != 12 {
                return false;
            }
            if subtype == 6 {
                s(out, " seq ");
                n(out, be64(o, 4).unwrap_or(0));
            } else {
                s(out, " key ");
                hex64(out, be64(o, 4).unwrap_or(0));
            }
            true
        }
        _ => true,
    }
}

/// MP_CAPABLE: 4 or 12 bytes on a SYN, 20 or 22 on the third ACK.
fn capable(out: &mut Vec<u8>, o: &[u8], flags: u8) -> bool {
    let len = o.len();
    let fits = match len {
        4 | 12 => flags & SYN != 0,
        20 | 22 => flags & (SYN | ACK) == ACK,
        _ => false,
    };
    if !fits {
        return false;
    }
    let version = o[2] & 0xf;
    if version > 1 {
        s(out, " Unknown Version (");
        n(out, version);
        out.push(b')');
        return true;
    }
    s(out, " v");
    n(out, version);
    if o[3] & 0x80 != 0 {
        s(out, " csum");
    }
    if len == 12 || len >= 20 {
        s(out, " {");
        hex64(out, be64(o, 4).unwrap_or(0));
        if len >= 20 {
            out.push(b',');
            hex64(out, be64(o, 12).unwrap_or(0));
        }
        out.push(b'}');
    }
    true
}

/// MP_JOIN: 12 bytes on the SYN, 16 on the SYN-ACK, 24 on the ACK.
fn join(out: &mut Vec<u8>, o: &[u8], flags: u8) -> bool {
    let len = o.len();
    let fits = match len {
        12 => flags & SYN != 0,
        16 => flags & (SYN | ACK) == SYN | ACK,
        24 => flags & ACK != 0,
        _ => false,
    };
    if !fits {
        return false;
    }
    if len != 24 {
        if o[2] & 1 != 0 {
            s(out, " backup");
        }
        s(out, " id ");
        n(out, o[3]);
    }
    match len {
        12 => {
            s(out, " token 0x");
            digits::hex(out, u64::from(be32(o, 4).unwrap_or(0)));
            s(out, " nonce 0x");
            digits::hex(out, u64::from(be32(o, 8).unwrap_or(0)));
        }
        16 => {
            s(out, " hmac ");
            hex64(out, be64(o, 4).unwrap_or(0));
            s(out, " nonce 0x");
            digits::hex(out, u64::from(be32(o, 12).unwrap_or(0)));
        }
        _ => {
            s(out, " hmac 0x");
            for &b in &o[4..24] {
                digits::byte_hex(out, b);
            }
        }
    }
    true
}

/// DSS: the data ack and the mapping, each 4 or 8 bytes wide as the flags say; anything left
/// over that is not a checksum makes the option bad.
fn dss(out: &mut Vec<u8>, o: &[u8], flags: u8) -> bool {
    if o.len() < 4 || flags & SYN != 0 {
        return false;
    }
    let f = o[3];
    if f & 0x10 != 0 {
        s(out, " fin");
    }
    let mut r = &o[4..];
    // A 4- or 8-byte number, printed in decimal; None when the option is too short for it.
    let mut number = |out: &mut Vec<u8>, wide: bool| -> Option<()> {
        let w = if wide { 8 } else { 4 };
        if r.len() < w {
            return None;
        }
        n(
            out,
            if wide {
                be64(r, 0).unwrap_or(0)
            } else {
                u64::from(be32(r, 0).unwrap_or(0))
            },
        );
        r = &r[w..];
        Some(())
    };
    if f & 0x01 != 0 {
        s(out, " ack ");
        if number(out, f & 0x02 != 0).is_none() {
            return false;
        }
    }
    if f & 0x04 != 0 {
        s(out, " seq ");
        if number(out, f & 0x08 != 0).is_none() {
            return false;
        }
        s(out, " subseq ");
        if number(out, false).is_none() {
            return false;
        }
        if r.len() < 2 {
            return false;
        }
        s(out, " len ");
        n(out, be16(r, 0).unwrap_or(0));
        r = &r[2..];
        if r.len() >= 2 {
            s(out, " csum 0x");
            digits::hex(out, u64::from(be16(r, 0).unwrap_or(0)));
            r = &r[2..];
        }
    }
    r.is_empty()
}

/// ADD_ADDR: an IPv4 or IPv6 address, with or without a port, with or without an HMAC.
fn add_addr(out: &mut Vec<u8>, o: &[u8]) -> bool {
    let len = o.len();
    if ![8, 10, 16, 18, 20, 22, 28, 30].contains(&len) {
        return false;
    }
    out.push(b' ');
    s(
        out,
        match o[2] & 0xf {
            6 => "v0-ip6",
            4 => "v0-ip4",
            1 => "v1-echo",
            0 => "v1",
            _ => "[bad version/echo]",
        },
    );
    s(out, " id ");
    n(out, o[3]);
    out.push(b' ');
    let after = if len <= 18 {
        digits::ipv4(out, [o[4], o[5], o[6], o[7]]);
        8
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(&o[4..20]);
        digits::ipv6(out, a);
        20
    };
    // What follows the address: a port (2 bytes), an HMAC (8), or both.
    let rest = len - after;
    if rest == 2 || rest == 10 {
        out.push(b':');
        n(out, be16(o, after).unwrap_or(0));
    }
    if rest >= 8 {
        s(out, " hmac ");
        hex64(out, be64(o, len - 8).unwrap_or(0));
    }
    true
}
