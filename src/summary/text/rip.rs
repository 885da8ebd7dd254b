//! print-rip.c: RIP versions 1 and 2 on port 520 as tcpdump 4.99 prints it: `RIPv2, Response,
//! length: 44`; with `-v` every route entry and authentication entry on a line of its own,
//! with `-vv` the message in hex after them.

use super::dump::unknown_data;
use super::nd::{get16, get32, get8, get_ip, Jump};
use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::print_char;
use crate::summary::kit::trunc;

const ROUTE: usize = 20;

/// `b`: the captured datagram payload; `len`: its length from the UDP header.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    if body(out, b, len, verbose).is_err() {
        trunc(out, "rip");
        super::long_jump();
    }
}

fn body(out: &mut Vec<u8>, b: &[u8], length: u32, verbose: u8) -> Result<(), Jump> {
    let mut left = b.len().min(length as usize);
    if left < 4 {
        trunc(out, "rip");
        super::returned();
        return Ok(());
    }
    left -= 4;
    let version = get8(b, 1)?;
    if verbose >= 1 {
        s(out, "\n\t");
    }
    s(out, "RIPv");
    n(out, version);
    if version == 0 {
        unknown_data(out, b, 0, length as usize, "\n\t");
        return Ok(());
    }
    let cmd = get8(b, 0)?;
    s(out, ", ");
    match cmd {
        1 => s(out, "Request"),
        2 => s(out, "Response"),
        3 => s(out, "Trace on"),
        4 => s(out, "Trace off"),
        5 => s(out, "Poll"),
        6 => s(out, "Poll Entry"),
        _ => {
            s(out, "unknown command (");
            n(out, cmd);
            s(out, ")");
        }
    }
    s(out, ", length: ");
    n(out, length);
    if verbose < 1 {
        return Ok(());
    }
    match cmd {
        1 | 2 if version == 1 || version == 2 => {
            s(out, ", routes: ");
            n(out, length / ROUTE as u32);
            if version == 2 {
                s(out, " or less");
            }
            let mut at = 4;
            while left != 0 {
                let size = if version == 1 {
                    entry_v1(out, b, at, left)?
                } else {
                    entry_v2(out, b, at, left)?
                };
                if size == 0 {
                    trunc(out, "rip");
                    super::returned();
                    break;
                }
                if left < size {
                    s(out, " [remaining entries length ");
                    n(out, left as u32);
                    s(out, " < ");
                    n(out, size as u32);
                    s(out, "] (invalid)");
                    break;
                }
                at += size;
                left -= size;
            }
        }
        1 | 2 => s(out, ", unknown version"),
        4..=6 => {}
        _ if verbose <= 1 => unknown_data(out, b, 0, length as usize, "\n\t"),
        _ => {}
    }
    if verbose > 1 {
        unknown_data(out, b, 0, length as usize, "\n\t");
    }
    Ok(())
}

/// The family's name from af.c's BSD table, or `Unknown (N)` / `N` as `default` says.
fn bsd_af(out: &mut Vec<u8>, family: u16, unknown_words: bool) {
    match family {
        2 => s(out, "IPv4"),
        6 => s(out, "NS"),
        7 => s(out, "ISO"),
        16 => s(out, "Appletalk"),
        23 => s(out, "IPX"),
        24 | 28 | 30 => s(out, "IPv6"),
        _ if unknown_words => {
            s(out, "Unknown (");
            n(out, family);
            s(out, ")");
        }
        _ => n(out, family),
    }
}

/// rip_entry_print_v1: the size the entry took, 0 when cut or too short.
fn entry_v1(out: &mut Vec<u8>, b: &[u8], at: usize, left: usize) -> Result<usize, Jump> {
    if left < ROUTE || at + ROUTE > b.len() {
        return Ok(0);
    }
    let family = get16(b, at)?;
    if family != 2 && family != 0 {
        s(out, "\n\t AFI ");
        bsd_af(out, family, true);
        s(out, ", ");
        unknown_data(out, b, at + 4, ROUTE - 4, "\n\t  ");
        return Ok(ROUTE);
    }
    if get16(b, at + 2)? != 0 || get32(b, at + 8)? != 0 || get32(b, at + 12)? != 0 {
        unknown_data(out, b, at, ROUTE, "\n\t  ");
        return Ok(ROUTE);
    }
    let (dest, metric) = (get_ip(b, at + 4)?, get32(b, at + 16)?);
    s(
        out,
        if family == 0 {
            "\n\t  AFI 0, "
        } else {
            "\n\t  "
        },
    );
    digits::ipv4(out, dest);
    s(out, ", metric: ");
    n(out, metric);
    Ok(ROUTE)
}

/// rip_entry_print_v2: the size the entry took, 0 when cut or too short.
fn entry_v2(out: &mut Vec<u8>, b: &[u8], at: usize, left: usize) -> Result<usize, Jump> {
    if left < 4 || at + 4 > b.len() {
        return Ok(0);
    }
    let family = get16(b, at)?;
    if family == 0xffff {
        let kind = get16(b, at + 2)?;
        let (p, left) = (at + 4, left - 4);
        match kind {
            2 => {
                s(out, "\n\t  Simple Text Authentication data: ");
                for i in 0..16 {
                    let c = get8(b, p + i)?;
                    if c == 0 {
                        break;
                    }
                    print_char(out, c);
                }
            }
            3 => {
                if p + 16 > b.len() || left < 16 {
                    return Ok(0);
                }
                s(out, "\n\t  Auth header: Packet Len ");
                n(out, get16(b, p)?);
                s(out, ", Key-ID ");
                n(out, get8(b, p + 2)?);
                s(out, ", Auth Data Len ");
                n(out, get8(b, p + 3)?);
                s(out, ", SeqNo ");
                n(out, get32(b, p + 4)?);
                s(out, ", MBZ ");
                n(out, get32(b, p + 8)?);
                s(out, ", MBZ ");
                n(out, get32(b, p + 12)?);
            }
            1 => {
                s(out, "\n\t  Auth trailer:");
                unknown_data(out, b, p, left, "\n\t  ");
                return Ok(4 + left);
            }
            _ => {
                s(out, "\n\t  Unknown (");
                n(out, kind);
                s(out, ") Authentication data:");
                unknown_data(out, b, p, left, "\n\t  ");
                return Ok(4 + left);
            }
        }
    } else if family != 2 && family != 0 {
        s(out, "\n\t  AFI ");
        bsd_af(out, family, true);
        unknown_data(out, b, at + 4, ROUTE - 4, "\n\t  ");
    } else {
        if at + ROUTE > b.len() || left < ROUTE {
            return Ok(0);
        }
        // The arguments are read before anything of the line is printed.
        let dest = get_ip(b, at + 4)?;
        let plen = mask2plen(get32(b, at + 8)?);
        let tag = get16(b, at + 2)?;
        let metric = get32(b, at + 16)?;
        s(out, "\n\t  AFI ");
        bsd_af(out, family, false);
        s(out, ", ");
        // %15s/%-2d
        for _ in ipv4_width(dest)..15 {
            out.push(b' ');
        }
        digits::ipv4(out, dest);
        s(out, "/");
        if plen < 0 {
            s(out, "-1");
        } else {
            n(out, plen as u32);
            if plen < 10 {
                out.push(b' ');
            }
        }
        s(out, ", tag ");
        digits::hex16(out, tag);
        s(out, ", metric: ");
        n(out, metric);
        s(out, ", next-hop: ");
        let router = get_ip(b, at + 12)?;
        if router == [0; 4] {
            s(out, "self");
        } else {
            digits::ipv4(out, router);
        }
    }
    Ok(ROUTE)
}

/// mask2plen: the prefix length of a contiguous mask, -1 for any other.
fn mask2plen(mask: u32) -> i32 {
    let ones = mask.leading_ones();
    if ones == 32 || mask << ones == 0 {
        ones as i32
    } else {
        -1
    }
}

/// Characters of the dotted quad.
fn ipv4_width(a: [u8; 4]) -> usize {
    3 + a
        .iter()
        .map(|&o| match o {
            0..=9 => 1,
            10..=99 => 2,
            _ => 3,
        })
        .sum::<usize>()
}
