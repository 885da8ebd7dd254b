//! print-hsrp.c: Cisco's Hot Standby Router Protocol (RFC 2281), UDP to port 1985, as
//! tcpdump 4.99 prints it: `HSRPv0-hello 20: state=active group=1 addr=192.168.0.1`; with
//! `-v` the timers, the priority and the authentication text.

use super::nd::{get8, get_ip, Jump};
use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::{duration, print_char};
use crate::summary::kit::trunc;

/// `b`: the captured message; `len`: its length from UDP.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    if body(out, b, len, verbose).is_err() {
        // Every read is a GET_ macro: a cut ends the line by a long jump.
        trunc(out, "hsrp");
        super::long_jump();
    }
}

fn body(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) -> Result<(), Jump> {
    let version = get8(b, 0)?;
    s(out, "HSRPv");
    n(out, version);
    if version != 0 {
        return Ok(());
    }
    s(out, "-");
    match get8(b, 1)? {
        0 => s(out, "hello"),
        1 => s(out, "coup"),
        2 => s(out, "resign"),
        op => {
            s(out, "unknown (");
            n(out, op);
            s(out, ")");
        }
    }
    s(out, " ");
    n(out, len);
    s(out, ": ");
    // Each field is read before anything of its text is printed, as ND_PRINT's arguments are.
    let state = get8(b, 2)?;
    s(out, "state=");
    match state {
        0 => s(out, "initial"),
        1 => s(out, "learn"),
        2 => s(out, "listen"),
        4 => s(out, "speak"),
        8 => s(out, "standby"),
        16 => s(out, "active"),
        st => {
            s(out, "Unknown (");
            n(out, st);
            s(out, ")");
        }
    }
    s(out, " ");
    let group = get8(b, 6)?;
    s(out, "group=");
    n(out, group);
    s(out, " ");
    let reserved = get8(b, 7)?;
    if reserved != 0 {
        s(out, "[reserved=");
        n(out, reserved);
        s(out, "!] ");
    }
    let addr = get_ip(b, 16)?;
    s(out, "addr=");
    digits::ipv4(out, addr);
    if verbose == 0 {
        return Ok(());
    }
    s(out, " hellotime=");
    duration(out, u32::from(get8(b, 3)?));
    s(out, " holdtime=");
    duration(out, u32::from(get8(b, 4)?));
    let priority = get8(b, 5)?;
    s(out, " priority=");
    n(out, priority);
    // nd_printjnp: at most the 8 bytes of the field, up to a NUL.
    s(out, " auth=\"");
    for at in 8..16 {
        let c = get8(b, at)?;
        if c == 0 {
            break;
        }
        print_char(out, c);
    }
    s(out, "\"");
    Ok(())
}
