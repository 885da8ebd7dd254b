//! NFLOG's link header as `-e` prints it (print-nflog.c).

use super::{n, s};
use crate::summary::digits;

/// `-e` on NFLOG: `version 0, resource ID 1, family IPv4 (2), length 120: `; -q names the
/// family alone (print-nflog.c).
pub(super) fn header(out: &mut Vec<u8>, family: u8, rid: u16, wire_len: u32, quick: bool) {
    s(out, "version 0, resource ID ");
    n(out, rid);
    let name = match family {
        2 => "IPv4",
        10 => "IPv6",
        _ => "",
    };
    if quick {
        s(out, ", ");
        if name.is_empty() {
            s(out, "Unknown NFLOG (0x");
            digits::byte_hex(out, family);
            out.push(b')');
        } else {
            s(out, name);
        }
    } else {
        s(out, ", family ");
        s(out, if name.is_empty() { "Unknown" } else { name });
        s(out, " (");
        n(out, family);
        out.push(b')');
    }
    s(out, ", length ");
    n(out, wire_len);
    s(out, ": ");
}
