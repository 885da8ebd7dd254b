//! netdissect's ways of reading a packet, for the printers ported from tcpdump: its GET_
//! macros, which end the printer by a long jump when a read passes the captured bytes, and
//! its ND_TCHECK checks, which end it by `goto trunc` (a return). The two leave the same mark
//! on the line but dump a cut packet from different places (see [`super::long_jump`]).

use crate::summary::kit::{be16, be32, byte};

/// A read past the captured bytes: a GET_ macro's long jump.
pub(super) struct Jump;

/// How a printer stops early: a GET_ macro's long jump, or a bounds check's `goto trunc`.
pub(super) enum Stop {
    Jump,
    Trunc,
}

impl From<Jump> for Stop {
    fn from(_: Jump) -> Stop {
        Stop::Jump
    }
}

pub(super) fn get8(b: &[u8], at: usize) -> Result<u8, Jump> {
    byte(b, at).ok_or(Jump)
}

pub(super) fn get16(b: &[u8], at: usize) -> Result<u16, Jump> {
    be16(b, at).ok_or(Jump)
}

pub(super) fn get32(b: &[u8], at: usize) -> Result<u32, Jump> {
    be32(b, at).ok_or(Jump)
}

/// GET_IPADDR_STRING's read: the IPv4 address at `at`.
pub(super) fn get_ip(b: &[u8], at: usize) -> Result<[u8; 4], Jump> {
    Ok(get32(b, at)?.to_be_bytes())
}

/// ND_TCHECK_LEN: `len` bytes at `at` were captured.
pub(super) fn check(b: &[u8], at: usize, len: usize) -> Result<(), Stop> {
    if at + len <= b.len() {
        Ok(())
    } else {
        Err(Stop::Trunc)
    }
}

/// nd_printztn: the NUL-ended text at `at`, escaped, reading at most `size` bytes: how many
/// it took with the NUL, or 0 when it did not end within them or within the captured bytes.
pub(super) fn printztn(out: &mut Vec<u8>, b: &[u8], at: usize, size: usize) -> usize {
    for i in 0..size {
        let Some(&c) = b.get(at + i) else {
            return 0;
        };
        if c == 0 {
            return i + 1;
        }
        crate::summary::dns::print_char(out, c);
    }
    0
}

/// Ends the line the way the printer `name` stopped: ` [|name]`, and where a dump starts.
pub(super) fn stopped(out: &mut Vec<u8>, name: &str, how: Stop) {
    crate::summary::kit::trunc(out, name);
    match how {
        Stop::Jump => super::long_jump(),
        Stop::Trunc => super::returned(),
    }
}
