//! ARP (print-arp.c), ATM ARP (RFC 2225) included: `ARP, Request who-has 10.0.0.2 tell
//! 10.0.0.1, length 28`; other hardware and protocol types by name and address length, their
//! addresses as bytes (Frame Relay's as its DLCI); an unknown operation as a hex dump.

use super::{n, s};
use crate::summary::digits;
use crate::summary::kit::{be16, byte, trunc};

const ETHERTYPE_IP: u16 = 0x0800;
const ETHERTYPE_TRAIL: u16 = 0x1000;
const HRD_FRELAY: u16 = 15;
const HRD_ATM: u16 = 19;

/// What tcpdump's ARP printer did after the line's text.
pub(super) enum Ended {
    /// The line is whole.
    Line,
    /// An unknown operation: the ARP message (`b`, as captured) follows as a hex dump.
    Dump,
}

/// `b`: the captured bytes from the ARP header on; `len`: the frame's length from there.
/// `prefix`: `ARP, ` starts the text (not after `-e`).
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, prefix: bool, verbose: bool) -> Ended {
    // ND_TCHECK_SIZE: the fixed header.
    if b.len() < 8 {
        return cut(out);
    }
    let hrd = be16(b, 0).unwrap_or(0);
    if hrd == HRD_ATM {
        return atm(out, b, len, prefix, verbose);
    }
    let (pro, hln, pln, op) = (
        be16(b, 2).unwrap_or(0),
        usize::from(b[4]),
        usize::from(b[5]),
        be16(b, 6).unwrap_or(0),
    );
    let (sha, spa) = (8, 8 + hln);
    let (tha, tpa) = (8 + hln + pln, 8 + 2 * hln + pln);
    // ND_TCHECK_LEN(TPA, PROTO_LEN): every address was captured.
    if b.len() < tpa + pln {
        return cut(out);
    }
    if prefix {
        s(out, "ARP, ");
    }
    if !ip_like(pro) || pln != 4 || hln == 0 || verbose {
        hardware(out, hrd);
        s(out, " (len ");
        n(out, hln as u64);
        s(out, "), ");
        protocol(out, pro);
        s(out, " (len ");
        n(out, pln as u64);
        s(out, ")");
        if !verbose {
            return length(out, len);
        }
    }
    operation(out, op, verbose);
    let link = |out: &mut Vec<u8>, at: usize| link_addr(out, &b[at..at + hln], hrd);
    let proto =
        |out: &mut Vec<u8>, at: usize| proto_addr(out, pro, &b[at..at + pln], "<wrong len>");
    match op {
        1 => {
            s(out, "who-has ");
            proto(out, tpa);
            if b[tha..tha + hln].iter().any(|&c| c != 0) {
                s(out, " (");
                link(out, tha);
                s(out, ")");
            }
            s(out, " tell ");
            proto(out, spa);
        }
        2 => {
            proto(out, spa);
            s(out, " is-at ");
            link(out, sha);
        }
        3 | 8 => {
            s(out, "who-is ");
            link(out, tha);
            s(out, " tell ");
            link(out, sha);
        }
        4 => {
            link(out, tha);
            s(out, " at ");
            proto(out, tpa);
        }
        9 => {
            link(out, sha);
            s(out, " at ");
            proto(out, spa);
        }
        _ => return Ended::Dump,
    }
    length(out, len)
}

fn length(out: &mut Vec<u8>, len: u32) -> Ended {
    s(out, ", length ");
    n(out, len);
    Ended::Line
}

/// The operation, by arpop_values ("Unknown (%u)"), and the space before its addresses;
/// after the types (`-v`) a comma first.
fn operation(out: &mut Vec<u8>, op: u16, verbose: bool) {
    if verbose {
        s(out, ", ");
    }
    match op {
        1 => s(out, "Request"),
        2 => s(out, "Reply"),
        3 => s(out, "Reverse Request"),
        4 => s(out, "Reverse Reply"),
        8 => s(out, "Inverse Request"),
        9 => s(out, "Inverse Reply"),
        10 => s(out, "NACK Reply"),
        _ => {
            s(out, "Unknown (");
            n(out, op);
            s(out, ")");
        }
    }
    s(out, " ");
}

/// arphrd_values, "Unknown Hardware (%u)".
fn hardware(out: &mut Vec<u8>, hrd: u16) {
    match hrd {
        1 => s(out, "Ethernet"),
        6 => s(out, "TokenRing"),
        7 => s(out, "ArcNet"),
        15 => s(out, "FrameRelay"),
        23 => s(out, "Strip"),
        24 => s(out, "IEEE 1394"),
        19 => s(out, "ATM"),
        32 => s(out, "InfiniBand"),
        _ => {
            s(out, "Unknown Hardware (");
            n(out, hrd);
            s(out, ")");
        }
    }
}

/// ethertype_values, "Unknown Protocol (0x%04x)".
fn protocol(out: &mut Vec<u8>, pro: u16) {
    match crate::summary::names::ethertype_values(pro) {
        Some(name) => s(out, name),
        None => {
            s(out, "Unknown Protocol (0x");
            digits::hex_padded(out, u64::from(pro), 4);
            s(out, ")");
        }
    }
}

/// ARP's checks fail by a long jump (ND_LONGJMP_FROM_TCHECK): the cut mark, nothing else.
fn cut(out: &mut Vec<u8>) -> Ended {
    trunc(out, "arp");
    super::long_jump();
    Ended::Line
}

/// The protocol types whose addresses print as IPv4 ones.
fn ip_like(pro: u16) -> bool {
    pro == ETHERTYPE_IP || pro == ETHERTYPE_TRAIL
}

/// tpaddr_print_ip / spaddr_print_ip (ATM ARP's too): `a` when it is an IPv4 address, else
/// what is wrong, `wrong_len` for the length.
fn proto_addr(out: &mut Vec<u8>, pro: u16, a: &[u8], wrong_len: &str) {
    if !ip_like(pro) {
        s(out, "<wrong proto type>");
    } else if a.len() != 4 {
        s(out, wrong_len);
    } else {
        digits::ipv4(out, [a[0], a[1], a[2], a[3]]);
    }
}

/// linkaddr_string: a MAC address, Frame Relay's DLCI, or the bytes joined by colons.
fn link_addr(out: &mut Vec<u8>, a: &[u8], hrd: u16) {
    if a.is_empty() {
        s(out, "<empty>");
    } else if hrd == HRD_FRELAY {
        q922(out, a);
    } else if a.len() == 6 {
        digits::mac(out, a);
    } else {
        colon_hex(out, a);
    }
}

fn colon_hex(out: &mut Vec<u8>, a: &[u8]) {
    for (i, &c) in a.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        digits::byte_hex(out, c);
    }
}

/// q922_string: a Frame Relay address as its DLCI.
fn q922(out: &mut Vec<u8>, p: &[u8]) {
    const EA: u8 = 0x01;
    let dlci = (|| -> Result<u32, &'static str> {
        let b0 = *p.first().ok_or("<Truncated>")?;
        if b0 & EA != 0 {
            return Err("<Invalid DLCI>");
        }
        let b1 = *p.get(1).ok_or("<Truncated>")?;
        let mut dlci = (u32::from(b0 & 0xfc) << 2) | u32::from((b1 & 0xf0) >> 4);
        if b1 & EA != 0 {
            return Ok(dlci);
        }
        let mut at = 2;
        let b2 = *p.get(at).ok_or("<Truncated>")?;
        if b2 & EA == 0 {
            dlci = (dlci << 7) | u32::from(b2 >> 1);
            at += 1;
        }
        let last = *p.get(at).ok_or("<Truncated>")?;
        if last & EA == 0 {
            return Err("<Invalid DLCI>");
        }
        Ok((dlci << 6) | u32::from(last >> 2))
    })();
    match dlci {
        Ok(d) => {
            s(out, "DLCI ");
            n(out, d);
        }
        Err(e) => s(out, e),
    }
}

/// atmarp_print: ATM ARP (RFC 2225), whose addresses are ATM numbers and subaddresses.
fn atm(out: &mut Vec<u8>, b: &[u8], len: u32, prefix: bool, verbose: bool) -> Ended {
    // The fixed header is 12 bytes.
    let field = |at: usize| byte(b, at).unwrap_or(0);
    if b.len() < 12 {
        return cut(out);
    }
    let (pro, op) = (be16(b, 2).unwrap_or(0), be16(b, 6).unwrap_or(0));
    let (shl, ssl, spl) = (
        usize::from(field(4) & 0x3f),
        usize::from(field(5) & 0x3f),
        usize::from(field(8)),
    );
    let (thl, tsl, tpl) = (
        usize::from(field(9) & 0x3f),
        usize::from(field(10) & 0x3f),
        usize::from(field(11)),
    );
    let sha = 12;
    let ssa = sha + shl;
    let spa = ssa + ssl;
    let tha = spa + spl;
    let tsa = tha + thl;
    let tpa = tsa + tsl;
    if b.len() < tpa + tpl {
        return cut(out);
    }
    if prefix {
        s(out, "ARP, ");
    }
    if !ip_like(pro) || spl != 4 || tpl != 4 || verbose {
        hardware(out, HRD_ATM);
        s(out, ", ");
        protocol(out, pro);
        s(out, " (len ");
        n(out, spl as u64);
        s(out, "/");
        n(out, tpl as u64);
        s(out, ")");
        if !verbose {
            return length(out, len);
        }
    }
    operation(out, op, verbose);
    // atmarp_addr_print: the number, and its subaddress after a comma.
    let addr = |out: &mut Vec<u8>, at: usize, l: usize, sub: usize, sl: usize| {
        if l == 0 {
            s(out, "<No address>");
        } else {
            colon_hex(out, &b[at..at + l]);
            if sl != 0 {
                s(out, ",");
                colon_hex(out, &b[sub..sub + sl]);
            }
        }
    };
    let proto = |out: &mut Vec<u8>, at: usize, l: usize, wrong: &str| {
        proto_addr(out, pro, &b[at..at + l], wrong)
    };
    match op {
        1 => {
            s(out, "who-has ");
            proto(out, tpa, tpl, "<wrong tplen>");
            if thl != 0 {
                s(out, " (");
                addr(out, tha, thl, tsa, tsl);
                s(out, ")");
            }
            s(out, " tell ");
            proto(out, spa, spl, "<wrong splen>");
        }
        2 => {
            proto(out, spa, spl, "<wrong splen>");
            s(out, " is-at ");
            addr(out, sha, shl, ssa, ssl);
        }
        8 => {
            s(out, "who-is ");
            addr(out, tha, thl, tsa, tsl);
            s(out, " tell ");
            addr(out, sha, shl, ssa, ssl);
        }
        9 => {
            addr(out, sha, shl, ssa, ssl);
            s(out, "at ");
            proto(out, spa, spl, "<wrong splen>");
        }
        10 => {
            s(out, "for ");
            proto(out, spa, spl, "<wrong splen>");
        }
        _ => return Ended::Dump,
    }
    length(out, len)
}
