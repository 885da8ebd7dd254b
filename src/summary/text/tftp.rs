//! print-tftp.c: TFTP on port 69 as tcpdump 4.99 prints it, `TFTP, length 19, RRQ "boot.img"
//! octet` (the same in every mode). The transfer itself runs between other ports, where
//! tcpdump, and so nscap, print `UDP, length N`.

use super::nd::{get16, get8, printztn, stopped, Stop};
use super::{n, s};

/// `b`: the captured datagram payload; `len`: its length from the UDP header.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32) {
    if let Err(how) = body(out, b, len) {
        stopped(out, "tftp", how);
    }
}

fn body(out: &mut Vec<u8>, b: &[u8], len: u32) -> Result<(), Stop> {
    s(out, "TFTP, length ");
    n(out, len);
    let mut left = len as usize;
    if left < 2 {
        return Err(Stop::Trunc);
    }
    let op = get16(b, 0)?;
    s(out, ", ");
    let name = match op {
        1 => "RRQ",
        2 => "WRQ",
        3 => "DATA",
        4 => "ACK",
        5 => "ERROR",
        6 => "OACK",
        _ => {
            s(out, "tftp-#");
            n(out, op);
            return Ok(());
        }
    };
    s(out, name);
    let mut at = 2;
    left -= 2;
    // One NUL-ended string; `None` when it does not end within `left` or the capture.
    let string = |out: &mut Vec<u8>, at: usize, left: usize| match printztn(out, b, at, left) {
        0 => None,
        k => Some(k),
    };
    match op {
        1 | 2 => {
            if left == 0 {
                return Err(Stop::Trunc);
            }
            s(out, " \"");
            let k = string(out, at, left);
            s(out, "\"");
            let k = k.ok_or(Stop::Trunc)?;
            (at, left) = (at + k, left - k);
            if left == 0 {
                return Err(Stop::Trunc);
            }
            s(out, " ");
            let k = string(out, at, left).ok_or(Stop::Trunc)?;
            (at, left) = (at + k, left - k);
            options(out, b, at, left, string)?;
        }
        6 => options(out, b, at, left, string)?,
        3 | 4 => {
            if left < 2 {
                return Err(Stop::Trunc);
            }
            let block = get16(b, at)?;
            s(out, " block ");
            n(out, block);
        }
        _ => {
            if left < 2 {
                return Err(Stop::Trunc);
            }
            let code = get16(b, at)?;
            s(out, " ");
            match code {
                0 => s(out, "EUNDEF"),
                1 => s(out, "ENOTFOUND"),
                2 => s(out, "EACCESS"),
                3 => s(out, "ENOSPACE"),
                4 => s(out, "EBADOP"),
                5 => s(out, "EBADID"),
                6 => s(out, "EEXISTS"),
                7 => s(out, "ENOUSER"),
                // The default format opens a quote it never closes, as tcpdump's does.
                _ => {
                    s(out, "tftp-err-#");
                    n(out, code);
                    s(out, " \"");
                }
            }
            (at, left) = (at + 2, left - 2);
            if left == 0 {
                return Err(Stop::Trunc);
            }
            s(out, " \"");
            let k = string(out, at, left);
            s(out, "\"");
            k.ok_or(Stop::Trunc)?;
        }
    }
    Ok(())
}

/// The options after a request or in an OACK: each string after a space, an empty one
/// without.
fn options(
    out: &mut Vec<u8>,
    b: &[u8],
    mut at: usize,
    mut left: usize,
    string: impl Fn(&mut Vec<u8>, usize, usize) -> Option<usize>,
) -> Result<(), Stop> {
    while left != 0 {
        if get8(b, at)? != 0 {
            s(out, " ");
        }
        let k = string(out, at, left).ok_or(Stop::Trunc)?;
        (at, left) = (at + k, left - k);
    }
    Ok(())
}
