//! print-ripng.c: RIPng on port 521 as tcpdump 4.99 prints it, `ripng-resp 2: 2001:db8::/32
//! (1) fd00:1::/64 [7] (2)`, every route on a line of its own at `-vv`.

use super::nd::{get16, get8, Jump};
use super::{n, s};
use crate::summary::digits;
use crate::summary::kit::trunc;

const ENTRY: usize = 20;

/// `b`: the captured datagram payload; `len`: its length from the UDP header.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    match body(out, b, len as usize, verbose) {
        Ok(true) => {}
        Ok(false) => s(out, " (invalid)"),
        Err(Jump) => {
            trunc(out, "ripng");
            super::long_jump();
        }
    }
}

/// False when tcpdump calls the message invalid.
fn body(out: &mut Vec<u8>, b: &[u8], length: usize, verbose: u8) -> Result<bool, Jump> {
    let version = get8(b, 1)?;
    if version != 1 {
        s(out, " [vers ");
        n(out, version);
        s(out, "]");
        return Ok(false);
    }
    let cmd = get8(b, 0)?;
    if cmd != 1 && cmd != 2 {
        s(out, " ripng-");
        n(out, cmd);
        s(out, " ?? ");
        n(out, length as u32);
        return Ok(false);
    }
    if length < 4 {
        return Ok(false);
    }
    let mut left = length - 4;
    let count = left / ENTRY;
    if cmd == 1 && count == 1 {
        // One entry for no address with an infinite metric asks for the whole table.
        let metric = get8(b, 4 + 19)?;
        if metric == 16 && b.get(4..20).is_some_and(|d| d.iter().all(|&x| x == 0)) {
            s(out, " ripng-req dump");
            return Ok(true);
        }
    }
    s(
        out,
        if cmd == 1 {
            " ripng-req "
        } else {
            " ripng-resp "
        },
    );
    n(out, count as u32);
    if count * ENTRY != left {
        s(out, "[");
        n(out, length as u32);
        s(out, "]");
    }
    s(out, ":");
    let mut at = 4;
    while left >= ENTRY {
        s(out, if verbose > 1 { "\n\t" } else { " " });
        entry(out, b, at, cmd == 2)?;
        at += ENTRY;
        left -= ENTRY;
    }
    Ok(left == 0)
}

/// rip6_entry_print: `DEST/PLEN`, ` [TAG]` when not 0, ` (METRIC)` in a response when not 0.
fn entry(out: &mut Vec<u8>, b: &[u8], at: usize, metric: bool) -> Result<(), Jump> {
    let dest = crate::summary::kit::ip6(b, at).ok_or(Jump)?;
    let plen = get8(b, at + 18)?;
    digits::ipv6(out, dest);
    s(out, "/");
    n(out, plen);
    let tag = get16(b, at + 16)?;
    if tag != 0 {
        s(out, " [");
        n(out, tag);
        s(out, "]");
    }
    let m = get8(b, at + 19)?;
    if m != 0 && metric {
        s(out, " (");
        n(out, m);
        s(out, ")");
    }
    Ok(())
}
