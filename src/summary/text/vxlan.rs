//! VXLAN (print-vxlan.c), and the header OTV shares with it (print-otv.c, otv.rs): a flags
//! byte whose I bit says an identifier follows, 24-bit identifiers, then the inner Ethernet
//! frame. tcpdump ends both headers with a newline, so those lines are two; that is kept, since
//! people diff the output with tcpdump's.

use super::tunnel::ether;
use super::{n, s, State};
use crate::summary::digits;
use crate::summary::kit::{be24, trunc};
use crate::summary::PrintOptions;

pub const PORT: u16 = 4789;

pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "VXLAN");
    if len < 8 {
        s(out, " (invalid)");
        return;
    }
    let Some(&f) = b.first() else {
        return trunc(out, "vxlan");
    };
    s(out, ", ");
    flags(out, f, "invalid");
    if id(out, b, 4, "vni ", "vxlan") {
        inner(out, b, len, "vxlan", opts, st);
    }
}

/// `flags [I] (0x08), `; `unset` names a clear I bit (the two printers word it apart).
pub(super) fn flags(out: &mut Vec<u8>, flags: u8, unset: &str) {
    s(out, "flags [");
    s(out, if flags & 0x08 != 0 { "I" } else { unset });
    s(out, "] (0x");
    digits::byte_hex(out, flags);
    s(out, "), ");
}

/// `label` and the 24-bit identifier at `at`; false when it is not captured (the line then
/// ends in `proto`'s cut mark).
pub(super) fn id(out: &mut Vec<u8>, b: &[u8], at: usize, label: &str, proto: &str) -> bool {
    let Some(v) = be24(b, at) else {
        trunc(out, proto);
        return false;
    };
    s(out, label);
    n(out, v);
    true
}

/// The end of the 8-byte header: a newline, then the inner frame (`len` on the wire with the
/// header).
pub(super) fn inner(
    out: &mut Vec<u8>,
    b: &[u8],
    len: u32,
    proto: &str,
    opts: &PrintOptions,
    st: &mut State,
) {
    out.push(b'\n');
    if b.len() < 8 {
        return trunc(out, proto);
    }
    ether(out, &b[8..], len - 8, opts, st);
}
