//! OTV (print-otv.c, draft-hasmit-otv): VXLAN's header with an overlay number in the bytes
//! VXLAN reserves, so it prints through vxlan.rs's pieces. tcpdump calls 8472 OTV, the port
//! flannel and Linux use for VXLAN: the header is the same, the words differ.

use super::vxlan::{flags, id, inner};
use super::{n, s, State};
use crate::summary::kit::trunc;
use crate::summary::PrintOptions;

pub const PORT: u16 = 8472;

pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "OTV, ");
    if len < 8 {
        s(out, "[length ");
        n(out, len);
        s(out, " < 8] (invalid)");
        if (b.len() as u32) < len {
            trunc(out, "otv");
        }
        return;
    }
    let Some(&f) = b.first() else {
        return trunc(out, "otv");
    };
    flags(out, f, ".");
    if !id(out, b, 1, "overlay ", "otv") {
        return;
    }
    s(out, ", ");
    if id(out, b, 4, "instance ", "otv") {
        inner(out, b, len, "otv", opts, st);
    }
}
