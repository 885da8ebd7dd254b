//! GRE (print-gre.c): version 0 with its optional checksum, key, sequence number and RFC 1701
//! source routes, and PPTP's version 1; then the inner packet the protocol field names.

use super::tunnel::{by_ethertype, ether, proto_e};
use super::{n, s, State};
use crate::summary::digits;
use crate::summary::kit::{be16, trunc};
use crate::summary::PrintOptions;

const GRE_CP: u16 = 0x8000;
const GRE_RP: u16 = 0x4000;
const GRE_KP: u16 = 0x2000;
const GRE_SP: u16 = 0x1000;
const GRE_SSR: u16 = 0x0800;
const GRE_AP: u16 = 0x0080;

pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    if body(out, b, len, opts, st).is_none() {
        trunc(out, "gre");
    }
}

fn flag_names(out: &mut Vec<u8>, flags: u16) {
    s(out, ", Flags [");
    let mark = out.len();
    for (bit, name) in [
        (GRE_CP, "checksum present"),
        (GRE_RP, "routing present"),
        (GRE_KP, "key present"),
        (GRE_SP, "sequence# present"),
        (GRE_SSR, "source routing present"),
        (GRE_AP, "ack present"),
    ] {
        if flags & bit != 0 {
            if out.len() != mark {
                s(out, ", ");
            }
            s(out, name);
        }
    }
    if out.len() == mark {
        s(out, "none");
    }
    out.push(b']');
}

/// Reads a field of `n` bytes at `at` where tcpdump checks both the capture and the GRE
/// length: None is its truncation.
fn field(b: &[u8], at: usize, len: u32, need: u32) -> Option<&[u8]> {
    let v = b.get(at..at + need as usize)?;
    (len >= need).then_some(v)
}

fn body(
    out: &mut Vec<u8>,
    b: &[u8],
    length: u32,
    opts: &PrintOptions,
    st: &mut State,
) -> Option<()> {
    let flags = be16(b, 0)?;
    if length < 2 {
        return None;
    }
    let vers = flags & 7;
    s(out, "GREv");
    n(out, vers);
    if vers > 1 {
        s(out, " ERROR: unknown-version");
        return Some(());
    }
    let v = opts.verbose > 0;
    if v {
        flag_names(out, flags);
    }
    let (mut at, mut len) = (2usize, length - 2);
    let p = field(b, at, len, 2)?;
    let prot = u16::from_be_bytes([p[0], p[1]]);
    at += 2;
    len -= 2;
    let word = |at: usize, len: u32| {
        field(b, at, len, 4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    };
    if vers == 1 {
        if flags & GRE_KP != 0 {
            let k = word(at, len)?;
            s(out, ", call ");
            n(out, k & 0xffff);
            at += 4;
            len -= 4;
        }
        if flags & GRE_SP != 0 {
            let q = word(at, len)?;
            s(out, ", seq ");
            n(out, q);
            at += 4;
            len -= 4;
        }
        if flags & GRE_AP != 0 {
            let a = word(at, len)?;
            s(out, ", ack ");
            n(out, a);
            at += 4;
            len -= 4;
        }
        if flags & GRE_SP == 0 {
            s(out, ", no-payload");
        }
        if opts.link_header {
            proto_e(out, prot);
        }
        s(out, ", length ");
        n(out, length);
        if flags & GRE_SP == 0 {
            return Some(());
        }
        s(out, if v { "\n\t" } else { ": " });
        // PPP inside PPTP's GRE: not decoded.
        s(out, "gre-proto-0x");
        digits::hex(out, u64::from(prot));
        let _ = (at, len);
        return Some(());
    }
    if flags & (GRE_CP | GRE_RP) != 0 {
        let sum = field(b, at, len, 2)?;
        if v {
            s(out, ", sum 0x");
            digits::hex(out, u64::from(u16::from_be_bytes([sum[0], sum[1]])));
        }
        at += 2;
        len -= 2;
        let off = field(b, at, len, 2)?;
        s(out, ", off 0x");
        digits::hex(out, u64::from(u16::from_be_bytes([off[0], off[1]])));
        at += 2;
        len -= 2;
    }
    if flags & GRE_KP != 0 {
        let k = word(at, len)?;
        s(out, ", key=0x");
        digits::hex(out, u64::from(k));
        at += 4;
        len -= 4;
    }
    if flags & GRE_SP != 0 {
        let q = word(at, len)?;
        s(out, ", seq ");
        n(out, q);
        at += 4;
        len -= 4;
    }
    if flags & GRE_RP != 0 {
        loop {
            let h = field(b, at, len, 4)?;
            let af = u16::from_be_bytes([h[0], h[1]]);
            let (sreoff, srelen) = (h[2], h[3]);
            at += 4;
            len -= 4;
            if af == 0 && srelen == 0 {
                break;
            }
            sre(out, af, sreoff, srelen, b.get(at..)?, len)?;
            if len < u32::from(srelen) {
                return None;
            }
            at += usize::from(srelen);
            len -= u32::from(srelen);
        }
    }
    if opts.link_header {
        proto_e(out, prot);
    }
    s(out, ", length ");
    n(out, length);
    s(out, if v { "\n\t" } else { ": " });
    let inner = b.get(at..).unwrap_or(&[]);
    if !by_ethertype(out, prot, inner, len, opts, st) {
        if prot == 0x6558 {
            ether(out, inner, len, opts, st);
        } else {
            s(out, "gre-proto-0x");
            digits::hex(out, u64::from(prot));
        }
    }
    Some(())
}

/// A source route entry (RFC 1701): IPv4 addresses or AS numbers, `*` at the offset.
fn sre(out: &mut Vec<u8>, af: u16, off: u8, slen: u8, b: &[u8], mut len: u32) -> Option<()> {
    let unit = match af {
        0x0800 => {
            s(out, ", (rtaf=ip");
            4u8
        }
        0xfffe => {
            s(out, ", (rtaf=asn");
            2
        }
        _ => {
            s(out, ", (rtaf=0x");
            digits::hex(out, u64::from(af));
            out.push(b')');
            return Some(());
        }
    };
    let ok = (|| {
        if off % unit != 0 {
            s(out, ", badoffset=");
            n(out, off);
            return Some(());
        }
        if slen % unit != 0 {
            s(out, ", badlength=");
            n(out, slen);
            return Some(());
        }
        if off >= slen {
            s(out, ", badoff/len=");
            n(out, off);
            out.push(b'/');
            n(out, slen);
            return Some(());
        }
        let mut at = 0usize;
        while at < usize::from(slen) {
            let e = field(b, at, len, u32::from(unit))?;
            out.push(b' ');
            if at == usize::from(off) {
                out.push(b'*');
            }
            if unit == 4 {
                digits::ipv4(out, [e[0], e[1], e[2], e[3]]);
            } else {
                digits::hex(out, u64::from(u16::from_be_bytes([e[0], e[1]])));
            }
            at += usize::from(unit);
            len -= u32::from(unit);
        }
        Some(())
    })();
    out.push(b')');
    ok
}
