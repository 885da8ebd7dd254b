//! print-bfd.c: BFD on UDP (to port 3784 for single hop, 4784 multihop, 6784 on a LAG, 3785
//! echo) as tcpdump 4.99 prints it: `BFDv1, Control, State Up, Flags: [none], length: 24`;
//! with `-v` the diagnostic, the timers, the discriminators and the authentication section.
//! Every read and check of print-bfd.c jumps on a cut (ND_LONGJMP_FROM_TCHECK).

use super::nd::{get32, get8, Jump};
use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::print_char;

/// The header's size (struct bfd_header_t).
const HEADER: usize = 24;

/// `b`: the captured payload; `len`: its length; `port`: the destination port.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, port: u16, verbose: u8) {
    if body(out, b, len, port, verbose).is_err() {
        crate::summary::kit::trunc(out, "bfd");
        super::long_jump();
    }
}

fn body(out: &mut Vec<u8>, b: &[u8], len: u32, port: u16, verbose: u8) -> Result<(), Jump> {
    if !matches!(port, 3784 | 4784 | 6784) {
        s(
            out,
            if port == 3785 {
                "BFD, Echo"
            } else {
                "BFD, unknown ("
            },
        );
        if port != 3785 {
            n(out, port);
            s(out, ")");
        }
        s(out, ", length: ");
        n(out, len);
        if verbose > 0 {
            super::dump::unknown_data(out, b, 0, len as usize, "\n\t");
        }
        return Ok(());
    }
    if b.len() < HEADER {
        return Err(Jump);
    }
    let vd = get8(b, 0)?;
    let (version, diag) = ((vd & 0xe0) >> 5, vd & 0x1f);
    let flags = get8(b, 1)?;
    match version {
        0 | 1 => {}
        _ => {
            s(out, "BFDv");
            n(out, version);
            s(out, ", Control, length: ");
            n(out, len);
            if verbose > 0 {
                super::dump::unknown_data(out, b, 0, len as usize, "\n\t");
            }
            return Ok(());
        }
    }
    let kind = match port {
        3784 => "Control",
        4784 => "Multihop",
        _ => "Lag",
    };
    if verbose == 0 {
        if version == 0 {
            s(out, "BFDv0, Control, Flags: [");
            v0_flags(out, flags);
        } else {
            s(out, "BFDv1, ");
            s(out, kind);
            s(out, ", State ");
            state(out, flags);
            s(out, ", Flags: [");
            v1_flags(out, flags & 0x3f);
        }
        s(out, "], length: ");
        n(out, len);
        return Ok(());
    }
    s(out, "BFDv");
    n(out, version);
    s(out, ", length: ");
    n(out, len);
    if version == 0 {
        s(out, "\n\tControl, Flags: [");
        v0_flags(out, flags);
    } else {
        s(out, "\n\t");
        s(out, kind);
        s(out, ", State ");
        state(out, flags);
        s(out, ", Flags: [");
        v1_flags(out, flags & 0x3f);
    }
    s(out, "], Diagnostic: ");
    s(
        out,
        match diag {
            0 => "No Diagnostic",
            1 => "Control Detection Time Expired",
            2 => "Echo Function Failed",
            3 => "Neighbor Signaled Session Down",
            4 => "Forwarding Plane Reset",
            5 => "Path Down",
            6 => "Concatenated Path Down",
            7 => "Administratively Down",
            8 => "Reverse Concatenated Path Down",
            _ => "unknown",
        },
    );
    s(out, " (0x");
    digits::byte_hex(out, diag);
    s(out, ")");
    let mult = get8(b, 2)?;
    let tx = get32(b, 12)?;
    s(out, "\n\tDetection Timer Multiplier: ");
    n(out, mult);
    s(out, " (");
    // C's unsigned int arithmetic, wrapping as it does.
    n(out, u32::from(mult).wrapping_mul(tx) / 1000);
    s(out, " ms Detection time), BFD Length: ");
    n(out, get8(b, 3)?);
    s(out, "\n\tMy Discriminator: 0x");
    digits::hex_padded(out, get32(b, 4)?.into(), 8);
    s(out, ", Your Discriminator: 0x");
    digits::hex_padded(out, get32(b, 8)?.into(), 8);
    for (at, name) in [
        (12, "\n\t  Desired min Tx Interval:    "),
        (16, "\n\t  Required min Rx Interval:   "),
        (20, "\n\t  Required min Echo Interval: "),
    ] {
        s(out, name);
        digits::right(out, (get32(b, at)? / 1000).into(), 4);
        s(out, " ms");
    }
    if flags & 0x04 != 0 {
        auth(out, b)?;
    }
    Ok(())
}

fn state(out: &mut Vec<u8>, flags: u8) {
    match flags >> 6 {
        0 => s(out, "AdminDown"),
        1 => s(out, "Down"),
        2 => s(out, "Init"),
        _ => s(out, "Up"),
    }
}

/// bittok2str: the names of the bits set, in the table's order, ", " between; `none`.
fn bits(out: &mut Vec<u8>, v: u8, table: &[(u8, &str)]) {
    let mut sep = "";
    for &(bit, name) in table {
        if v & bit != 0 {
            s(out, sep);
            s(out, name);
            sep = ", ";
        }
    }
    if sep.is_empty() {
        s(out, "none");
    }
}

fn v0_flags(out: &mut Vec<u8>, flags: u8) {
    bits(
        out,
        flags,
        &[
            (0x80, "I Hear You"),
            (0x40, "Demand"),
            (0x20, "Poll"),
            (0x10, "Final"),
            (0x08, "Control Plane Independent"),
            (0x04, "Authentication Present"),
            (0x02, "Reserved"),
            (0x01, "Reserved"),
        ],
    );
}

fn v1_flags(out: &mut Vec<u8>, flags: u8) {
    bits(
        out,
        flags,
        &[
            (0x20, "Poll"),
            (0x10, "Final"),
            (0x08, "Control Plane Independent"),
            (0x04, "Authentication Present"),
            (0x02, "Demand"),
            (0x01, "Multipoint"),
        ],
    );
}

/// auth_print: the authentication section after the header.
fn auth(out: &mut Vec<u8>, b: &[u8]) -> Result<(), Jump> {
    let a = HEADER;
    if b.len() < a + 4 {
        return Err(Jump);
    }
    let (kind, len) = (get8(b, a)?, get8(b, a + 1)?);
    s(out, "\n\tAuthentication: ");
    s(
        out,
        match kind {
            1 => "Simple Password",
            2 => "Keyed MD5",
            3 => "Meticulous Keyed MD5",
            4 => "Keyed SHA1",
            5 => "Meticulous Keyed SHA1",
            _ => "Unknown",
        },
    );
    s(out, " (");
    n(out, kind);
    s(out, "), length: ");
    n(out, len);
    // Each value is read before its words are printed (C evaluates the argument first).
    let key = get8(b, a + 2)?;
    s(out, "\n\t  Auth Key ID: ");
    n(out, key);
    let invalid = |out: &mut Vec<u8>| {
        s(out, "[invalid length ");
        n(out, len);
        s(out, "]");
    };
    match kind {
        1 => {
            if !(4..=19).contains(&len) {
                invalid(out);
            } else {
                s(out, ", Password: ");
                // nd_printn with no end: each byte read with GET_U_1.
                for i in 0..usize::from(len) - 3 {
                    print_char(out, get8(b, a + 3 + i)?);
                }
            }
        }
        2..=5 => {
            let (field, hash, word) = if kind <= 3 {
                (24, 16, "\n\t  Digest: ")
            } else {
                (28, 20, "\n\t  Hash: ")
            };
            if len != field {
                invalid(out);
            } else {
                let seq = get32(b, a + 4)?;
                s(out, ", Sequence Number: 0x");
                digits::hex_padded(out, seq.into(), 8);
                let h = b.get(a + 8..a + 8 + hash).ok_or(Jump)?;
                s(out, word);
                for &x in h {
                    digits::byte_hex(out, x);
                }
            }
        }
        _ => {}
    }
    Ok(())
}
