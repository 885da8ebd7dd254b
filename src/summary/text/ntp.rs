//! print-ntp.c: NTP on UDP port 123 as tcpdump 4.99 prints it: `NTPv4, Client, length 48`;
//! with `-v` the header's fields, the four time stamps (with their UTC dates) and two
//! differences, or a control message's header.

use super::nd::{check, get16, get32, get8, Stop};
use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::print_char;

/// NTP_TIMEMSG_MINLEN and NTP_CTRLMSG_MINLEN.
const TIME_MIN: u32 = 48;
const CTRL_MIN: u32 = 12;

/// Seconds from 1900 (NTP's era) to 1970.
const JAN_1970: i64 = 2_208_988_800;

fn mode_name(mode: u8) -> &'static str {
    match mode {
        0 => "unspecified",
        1 => "symmetric active",
        2 => "symmetric passive",
        3 => "Client",
        4 => "Server",
        5 => "Broadcast",
        6 => "Control Message",
        _ => "Reserved",
    }
}

/// `b`: the captured payload; `len`: its length on the wire.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    if let Err(how) = body(out, b, len, verbose) {
        super::nd::stopped(out, "ntp", how);
    }
}

fn body(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) -> Result<(), Stop> {
    let status = get8(b, 0)?;
    s(out, "NTPv");
    n(out, (status & 0x38) >> 3);
    let mode = status & 0x07;
    s(out, ", ");
    s(out, mode_name(mode));
    s(out, ", length ");
    n(out, len);
    if verbose == 0 {
        return Ok(());
    }
    s(out, "\n\tLeap indicator: ");
    let leap = status & 0xc0;
    s(
        out,
        match leap {
            0x00 => "",
            0x40 => "+1s",
            0x80 => "-1s",
            _ => "clock unsynchronized",
        },
    );
    s(out, " (");
    n(out, leap);
    s(out, ")");
    match mode {
        0..=5 => time(out, b, len),
        6 => control(out, b, len),
        _ => Ok(()),
    }
}

/// nd_print_invalid, then ND_TCHECK_LEN of the whole message.
fn invalid(out: &mut Vec<u8>, b: &[u8], len: u32) -> Result<(), Stop> {
    s(out, " (invalid)");
    check(b, 0, len as usize)
}

fn time(out: &mut Vec<u8>, b: &[u8], len: u32) -> Result<(), Stop> {
    if len < TIME_MIN {
        return invalid(out, b, len);
    }
    let stratum = get8(b, 1)?;
    s(out, ", Stratum ");
    n(out, stratum);
    s(
        out,
        match stratum {
            0 => " (unspecified)",
            1 => " (primary reference)",
            2..=15 => " (secondary reference)",
            _ => " (reserved)",
        },
    );
    let poll = get8(b, 2)? as i8;
    s(out, ", poll ");
    signed(out, poll.into());
    if (0..32).contains(&poll) {
        s(out, " (");
        n(out, 1u64 << poll);
        s(out, "s)");
    } else if (-31..0).contains(&poll) {
        s(out, " (1/");
        n(out, 1u64 << -i32::from(poll));
        s(out, "s)");
    }
    let precision = get8(b, 3)? as i8;
    s(out, ", precision ");
    signed(out, precision.into());
    check(b, 4, 4)?;
    s(out, "\n\tRoot Delay: ");
    sfix(out, b, 4)?;
    check(b, 8, 4)?;
    s(out, ", Root dispersion: ");
    sfix(out, b, 8)?;
    check(b, 12, 4)?;
    s(out, ", Reference-ID: ");
    match stratum {
        0 => s(out, "(unspec)"),
        1 => {
            // nd_printn: the four bytes as text, NULs too (`^@`).
            for &c in &b[12..16] {
                print_char(out, c);
            }
        }
        62 | 63 => {
            crate::summary::digits::ipv4(out, [b[12], b[13], b[14], b[15]]);
            s(
                out,
                if stratum == 62 {
                    " INFO_QUERY"
                } else {
                    " INFO_REPLY"
                },
            );
            return Ok(());
        }
        _ => {
            s(out, "0x");
            hex8(out, get32(b, 12)?);
        }
    }
    for (at, name) in [
        (16, "\n\t  Reference Timestamp:  "),
        (24, "\n\t  Originator Timestamp: "),
        (32, "\n\t  Receive Timestamp:    "),
        (40, "\n\t  Transmit Timestamp:   "),
    ] {
        check(b, at, 8)?;
        s(out, name);
        ntp_time(out, get32(b, at)?, get32(b, at + 4)?);
    }
    s(out, "\n\t    Originator - Receive Timestamp:  ");
    delta(out, b, 24, 32)?;
    s(out, "\n\t    Originator - Transmit Timestamp: ");
    delta(out, b, 24, 40)?;
    let digest = |out: &mut Vec<u8>, words: usize| -> Result<(), Stop> {
        let key = get32(b, 48)?;
        s(out, "\n\tKey id: ");
        n(out, key);
        check(b, 52, 4 * words)?;
        s(out, "\n\tAuthentication: ");
        for i in 0..words {
            hex8(out, get32(b, 52 + 4 * i)?);
        }
        Ok(())
    };
    match len - TIME_MIN {
        0 => {}
        4 => {
            let key = get32(b, 48)?;
            s(out, "\n\tKey id: ");
            n(out, key);
        }
        20 => digest(out, 4)?,
        24 => digest(out, 5)?,
        more => {
            s(out, "\n\t(");
            n(out, more);
            s(out, " more bytes after the header)");
        }
    }
    Ok(())
}

fn control(out: &mut Vec<u8>, b: &[u8], len: u32) -> Result<(), Stop> {
    if len < CTRL_MIN {
        return invalid(out, b, len);
    }
    let c = get8(b, 1)?;
    s(
        out,
        if c & 0x80 != 0 {
            ", Response"
        } else {
            ", Request"
        },
    );
    s(out, if c & 0x40 != 0 { ", Error" } else { ", OK" });
    s(out, if c & 0x20 != 0 { ", More" } else { ", Last" });
    s(out, ", OpCode=");
    n(out, c & 0x1f);
    s(out, "\n");
    // Each field is read before its label is printed (C evaluates the argument first).
    let sequence = get16(b, 2)?;
    s(out, "\tSequence=");
    n(out, sequence);
    let status = get16(b, 4)?;
    s(out, ", Status=");
    // %#hx: no 0x for zero.
    if status == 0 {
        s(out, "0");
    } else {
        s(out, "0x");
        digits::hex(out, status.into());
    }
    let assoc = get16(b, 6)?;
    s(out, ", Assoc.=");
    n(out, assoc);
    let offset = get16(b, 8)?;
    s(out, ", Offset=");
    n(out, offset);
    let count = get16(b, 10)?;
    s(out, ", Count=");
    n(out, count);
    if CTRL_MIN + u32::from(count) > len {
        return invalid(out, b, len);
    }
    if count != 0 {
        check(b, 12, count.into())?;
        s(out, "\n\tTO-BE-DONE: data not interpreted");
    }
    Ok(())
}

fn signed(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        s(out, "-");
    }
    n(out, v.unsigned_abs());
}

fn hex8(out: &mut Vec<u8>, v: u32) {
    digits::hex_padded(out, v.into(), 8);
}

/// `%0W` of `v`, W digits (`v` is never wider here).
fn zero_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    digits::padded(out, v, width);
}

/// p_sfix: a 16.16 fixed-point number, the fraction in millionths.
fn sfix(out: &mut Vec<u8>, b: &[u8], at: usize) -> Result<(), Stop> {
    let i = get16(b, at)?;
    let f = get16(b, at + 2)?;
    let ff = f64::from(f) / 65536.0;
    n(out, i);
    s(out, ".");
    zero_padded(out, (ff * 1_000_000.0) as u64, 6);
    Ok(())
}

/// The 32-bit fraction in billionths, as tcpdump's double arithmetic gives it.
fn billionths(frac: u32) -> u64 {
    (f64::from(frac) / 4_294_967_296.0 * 1_000_000_000.0) as u32 as u64
}

/// p_ntp_time: seconds.billionths, and the UTC date when the seconds are not 0.
fn ntp_time(out: &mut Vec<u8>, i: u32, frac: u32) {
    n(out, i);
    s(out, ".");
    zero_padded(out, billionths(frac), 9);
    if i != 0 {
        let sec = i64::from(i) - JAN_1970;
        s(out, " (");
        out.extend_from_slice(&crate::summary::date_of(sec.div_euclid(86_400)));
        s(out, "T");
        out.extend_from_slice(&crate::summary::hms_of(sec));
        s(out, "Z)");
    }
}

/// p_ntp_delta: the time stamp at `new` less the one at `old` (just `new` when `old` is 0).
fn delta(out: &mut Vec<u8>, b: &[u8], old: usize, new: usize) -> Result<(), Stop> {
    let (u, ou) = (get32(b, new)?, get32(b, old)?);
    let (uf, ouf) = (get32(b, new + 4)?, get32(b, old + 4)?);
    if ou == 0 && ouf == 0 {
        ntp_time(out, u, uf);
        return Ok(());
    }
    let (neg, i, f) = if u > ou {
        let i = (u - ou).wrapping_sub(u32::from(ouf > uf));
        (false, i, uf.wrapping_sub(ouf))
    } else if u < ou {
        let i = (ou - u).wrapping_sub(u32::from(uf > ouf));
        (true, i, ouf.wrapping_sub(uf))
    } else if uf > ouf {
        (false, 0, uf - ouf)
    } else {
        (true, 0, ouf - uf)
    };
    s(out, if neg { "-" } else { "+" });
    n(out, i);
    s(out, ".");
    zero_padded(out, billionths(f), 9);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(b: &[u8], len: u32, v: u8) -> String {
        let mut out = Vec::new();
        print(&mut out, b, len, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn client_request() {
        let mut b = [0u8; 48];
        b[0] = 0x23; // v4, client
        assert_eq!(p(&b, 48, 0), "NTPv4, Client, length 48");
        assert_eq!(p(&[], 48, 0), " [|ntp]");
    }
}
