//! ARP (print-arp.c).

use super::{n, s};
use crate::summary::digits;

/// tcpdump: `ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28`.
#[inline]
pub(super) fn print(out: &mut Vec<u8>, a: &[u8], len: u32, prefix: bool, verbose: bool) {
    let be = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
    let (htype, ptype, hlen, plen, op) =
        (be(0), be(2), usize::from(a[4]), usize::from(a[5]), be(6));
    if prefix {
        s(out, "ARP, ");
    }
    if htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4 || a.len() < 28 {
        s(out, "hardware ");
        n(out, htype);
        s(out, ", protocol ");
        digits::hex16(out, ptype);
        s(out, ", op ");
        n(out, op);
        s(out, ", length ");
        n(out, len);
        return;
    }
    if verbose {
        s(out, "Ethernet (len 6), IPv4 (len 4), ");
    }
    let sha = &a[8..14];
    let spa = [a[14], a[15], a[16], a[17]];
    let tha = &a[18..24];
    let tpa = [a[24], a[25], a[26], a[27]];
    match op {
        1 => {
            s(out, "Request who-has ");
            digits::ipv4(out, tpa);
            if tha.iter().any(|b| *b != 0) {
                s(out, " (");
                digits::mac(out, tha);
                out.push(b')');
            }
            s(out, " tell ");
            digits::ipv4(out, spa);
        }
        2 => {
            s(out, "Reply ");
            digits::ipv4(out, spa);
            s(out, " is-at ");
            digits::mac(out, sha);
        }
        3 => {
            s(out, "Reverse Request who-is ");
            digits::mac(out, tha);
            s(out, " tell ");
            digits::mac(out, sha);
        }
        4 => {
            s(out, "Reverse Reply ");
            digits::mac(out, tha);
            s(out, " at ");
            digits::ipv4(out, tpa);
        }
        _ => {
            s(out, "op ");
            n(out, op);
        }
    }
    s(out, ", length ");
    n(out, len);
}
