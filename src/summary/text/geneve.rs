//! Geneve (print-geneve.c): its header, the options by class and type with `-v`, then the inner
//! frame or packet the protocol field names.

use super::tunnel::{payload, proto_e};
use super::{n, s, State};
use crate::summary::digits;
use crate::summary::kit::{be16, trunc};
use crate::summary::PrintOptions;

pub const PORT: u16 = 6081;

fn class_name(c: u16) -> &'static str {
    match c {
        0x0100 => "Linux",
        0x0101 => "Open vSwitch",
        0x0102 => "Open Virtual Networking (OVN)",
        0x0103 => "In-band Network Telemetry (INT)",
        0x0104 => "VMware",
        0..=0x00ff => "Standard",
        0xfff0.. => "Experimental",
        _ => "Unknown",
    }
}

pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "Geneve");
    if len < 8 {
        s(out, " [length ");
        n(out, len);
        s(out, " < 8] (invalid)");
        return;
    }
    let Some(h) = b.get(..8) else {
        return trunc(out, "geneve");
    };
    let version = h[0] >> 6;
    if version != 0 {
        s(out, " ERROR: unknown-version ");
        n(out, version);
        return;
    }
    let flags = h[1];
    let prot = u16::from_be_bytes([h[2], h[3]]);
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    s(out, ", Flags [");
    let mark = out.len();
    for (bit, name) in [
        (0x80, "O"),
        (0x40, "C"),
        (0x20, "R1"),
        (0x10, "R2"),
        (0x08, "R3"),
        (0x04, "R4"),
        (0x02, "R5"),
        (0x01, "R6"),
    ] {
        if flags & bit != 0 {
            s(out, name);
        }
    }
    if out.len() == mark {
        s(out, "none");
    }
    s(out, "], vni 0x");
    digits::hex(out, u64::from(vni));
    if h[7] != 0 {
        s(out, ", rsvd 0x");
        digits::hex(out, u64::from(h[7]));
    }
    if opts.link_header {
        proto_e(out, prot);
    }
    let opts_len = u32::from(h[0] & 0x3f) * 4;
    let len = len - 8;
    if len < opts_len {
        s(out, " truncated-geneve - ");
        n(out, opts_len - len);
        s(out, " bytes missing");
        return;
    }
    let Some(o) = b.get(8..8 + opts_len as usize) else {
        return trunc(out, "geneve");
    };
    if opts_len > 0 {
        s(out, ", options [");
        if opts.verbose > 0 {
            options(out, o, opts.verbose);
        } else {
            n(out, opts_len);
            s(out, " bytes");
        }
        out.push(b']');
    }
    s(out, if opts.verbose < 1 { ": " } else { "\n\t" });
    let inner = &b[8 + opts_len as usize..];
    let len = len - opts_len;
    payload(out, prot, inner, len, "geneve", opts, st);
}

fn options(out: &mut Vec<u8>, mut o: &[u8], verbose: u8) {
    let mut first = true;
    while !o.is_empty() {
        if !first {
            s(out, ", ");
        }
        first = false;
        let (Some(class), Some(&typ), Some(&l)) = (be16(o, 0), o.get(2), o.get(3)) else {
            return trunc(out, "geneve");
        };
        let olen = 4 + usize::from(l & 0x1f) * 4;
        s(out, "class ");
        s(out, class_name(class));
        s(out, " (0x");
        digits::hex(out, u64::from(class));
        s(out, ") type 0x");
        digits::hex(out, u64::from(typ));
        if typ & 0x80 != 0 {
            s(out, "(C)");
        }
        s(out, " len ");
        n(out, olen as u64);
        if olen > o.len() {
            s(out, " [bad length]");
            return;
        }
        if verbose > 1 && olen > 4 {
            s(out, " data");
            for w in o[4..olen].chunks_exact(4) {
                out.push(b' ');
                for b in w {
                    digits::byte_hex(out, *b);
                }
            }
        }
        o = &o[olen..];
    }
}
