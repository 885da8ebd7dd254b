//! GRE (print-gre.c): version 0 with its optional checksum, key, sequence number and RFC 1701
//! source routes, and PPTP's version 1; then the inner packet the protocol field names.

use super::tunnel::{payload, proto_e};
use super::{n, s, State};
use crate::summary::digits;
use crate::summary::kit::{be16, be32, trunc};
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

/// Where print-gre.c is in the header, and how much of the GRE length is left; each read
/// steps over what it read.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
    len: u32,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, need: u32) -> Option<&'a [u8]> {
        let v = field(self.b, self.at, self.len, need)?;
        self.at += need as usize;
        self.len -= need;
        Some(v)
    }

    fn u16(&mut self) -> Option<u16> {
        be16(self.take(2)?, 0)
    }

    fn u32(&mut self) -> Option<u32> {
        be32(self.take(4)?, 0)
    }
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
    let mut c = Cursor {
        b,
        at: 2,
        len: length - 2,
    };
    let prot = c.u16()?;
    if vers == 1 {
        return pptp(out, &mut c, flags, prot, length, opts);
    }
    if flags & (GRE_CP | GRE_RP) != 0 {
        let sum = c.u16()?;
        if v {
            s(out, ", sum 0x");
            digits::hex(out, u64::from(sum));
        }
        let off = c.u16()?;
        s(out, ", off 0x");
        digits::hex(out, u64::from(off));
    }
    if flags & GRE_KP != 0 {
        let k = c.u32()?;
        s(out, ", key=0x");
        digits::hex(out, u64::from(k));
    }
    if flags & GRE_SP != 0 {
        let q = c.u32()?;
        s(out, ", seq ");
        n(out, q);
    }
    if flags & GRE_RP != 0 {
        routes(out, &mut c)?;
    }
    if opts.link_header {
        proto_e(out, prot);
    }
    s(out, ", length ");
    n(out, length);
    s(out, if v { "\n\t" } else { ": " });
    let inner = b.get(c.at..).unwrap_or(&[]);
    payload(out, prot, inner, c.len, "gre", opts, st);
    Some(())
}

/// Version 1 (PPTP): call id, sequence and acknowledgement numbers; the PPP inside is not
/// decoded.
fn pptp(
    out: &mut Vec<u8>,
    c: &mut Cursor<'_>,
    flags: u16,
    prot: u16,
    length: u32,
    opts: &PrintOptions,
) -> Option<()> {
    if flags & GRE_KP != 0 {
        let k = c.u32()?;
        s(out, ", call ");
        n(out, k & 0xffff);
    }
    if flags & GRE_SP != 0 {
        let q = c.u32()?;
        s(out, ", seq ");
        n(out, q);
    }
    if flags & GRE_AP != 0 {
        let a = c.u32()?;
        s(out, ", ack ");
        n(out, a);
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
    s(out, if opts.verbose > 0 { "\n\t" } else { ": " });
    s(out, "gre-proto-0x");
    digits::hex(out, u64::from(prot));
    Some(())
}

/// The source route entries up to the empty one that ends them.
fn routes(out: &mut Vec<u8>, c: &mut Cursor<'_>) -> Option<()> {
    loop {
        let h = c.take(4)?;
        let af = u16::from_be_bytes([h[0], h[1]]);
        let (sreoff, srelen) = (h[2], h[3]);
        if af == 0 && srelen == 0 {
            return Some(());
        }
        sre(out, af, sreoff, srelen, c.b.get(c.at..)?, c.len)?;
        // tcpdump steps over the entry against the GRE length only.
        if c.len < u32::from(srelen) {
            return None;
        }
        c.at += usize::from(srelen);
        c.len -= u32::from(srelen);
    }
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
