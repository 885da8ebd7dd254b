//! MPLS label stacks (print-mpls.c): each label with its traffic class and TTL, then the IP
//! packet under the bottom one.

use super::tunnel::ip;
use super::{n, s, State};
use crate::summary::kit::{be32, trunc};
use crate::summary::PrintOptions;

/// An MPLS label stack and what follows the bottom label (print-mpls.c).
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "MPLS");
    let (mut at, mut length, mut depth) = (0usize, len, 0u32);
    let label = loop {
        if length < 4 {
            s(out, " (invalid)");
            if (b.len().saturating_sub(at) as u32) < length {
                trunc(out, "mpls");
            }
            return;
        }
        let Some(e) = be32(b, at) else {
            return trunc(out, "mpls");
        };
        let label = e >> 12;
        s(
            out,
            if depth > 0 && opts.verbose > 0 {
                "\n\t(label "
            } else {
                " (label "
            },
        );
        n(out, label);
        depth += 1;
        if opts.verbose > 0 && label < 16 {
            const NAMES: [&str; 5] = [
                "IPv4 explicit NULL",
                "router alert",
                "IPv6 explicit NULL",
                "implicit NULL",
                "rsvd",
            ];
            s(out, " (");
            s(out, NAMES[(label as usize).min(4)]);
            out.push(b')');
        }
        label_fields(out, e);
        out.push(b')');
        at += 4;
        length -= 4;
        if e & 0x100 != 0 {
            break label;
        }
    };
    let rest = &b[at..];
    let v6 = match label {
        0 | 3 => false,
        2 => true,
        _ => {
            if length < 1 {
                return;
            }
            let Some(&first) = rest.first() else {
                return trunc(out, "mpls");
            };
            match first {
                0x45..=0x4f => false,
                0x60..=0x6f => true,
                // OSI and unknown payloads: tcpdump dumps them in hex, which nscap leaves out.
                _ => return,
            }
        }
    };
    s(out, if opts.verbose > 0 { "\n\t" } else { " " });
    ip(out, rest, length, v6, opts, st);
}

/// `, tc 0, [S], ttl 64`: a label stack entry's fields after the label (print-mpls.c, and
/// the MPLS extension of ICMP).
pub(super) fn label_fields(out: &mut Vec<u8>, e: u32) {
    s(out, ", tc ");
    n(out, (e >> 9) & 7);
    if e & 0x100 != 0 {
        s(out, ", [S]");
    }
    s(out, ", ttl ");
    n(out, e & 0xff);
}
