//! IGMP (print-igmp.c).

use super::{n, s};
use crate::summary::digits;
use crate::summary::kit::be16;

#[inline]
pub(super) fn print(out: &mut Vec<u8>, g: &[u8]) {
    let group = |out: &mut Vec<u8>| {
        if let Some(a) = g.get(4..8) {
            out.push(b' ');
            digits::ipv4(out, [a[0], a[1], a[2], a[3]]);
        }
    };
    match g.first() {
        Some(0x11) => {
            s(out, "igmp query");
            if g.len() >= 12 {
                s(out, " v3");
            } else if g.get(1).is_some_and(|c| *c != 0) {
                s(out, " v2");
            }
            if g.get(4..8).is_some_and(|a| a != [0, 0, 0, 0]) {
                s(out, " [gaddr");
                group(out);
                out.push(b']');
            }
        }
        Some(0x12) => {
            s(out, "igmp v1 report");
            group(out);
        }
        Some(0x16) => {
            s(out, "igmp v2 report");
            group(out);
        }
        Some(0x17) => {
            s(out, "igmp leave");
            group(out);
        }
        Some(0x22) => {
            s(out, "igmp v3 report, ");
            let nrec = be16(g, 6).unwrap_or(0);
            n(out, nrec);
            s(out, " group record(s)");
        }
        Some(t) => {
            s(out, "igmp type 0x");
            digits::byte_hex(out, *t);
        }
        None => s(out, "[|igmp]"),
    }
}
