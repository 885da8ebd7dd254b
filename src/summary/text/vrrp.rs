//! print-vrrp.c: VRRP (IP protocol 112) as tcpdump 4.99 prints it: `VRRPv2, Advertisement,
//! vrid 51, prio 100, authtype none, intvl 1s, length 20`; with `-v` the checksum's verdict
//! when it is wrong, the virtual addresses and a simple password.

use super::{n, s};
use crate::summary::decode::Ip;
use crate::summary::digits;
use crate::summary::dns::print_char;
use crate::summary::kit::trunc;

/// `b`: the captured VRRP message; `len`: its length from the IP header.
pub(super) fn print(out: &mut Vec<u8>, ip: &Ip<'_>, b: &[u8], len: u32, verbose: u8) {
    if body(out, ip, b, len, verbose).is_none() {
        // Every read is a GET_ macro: a cut ends the line by a long jump.
        trunc(out, "vrrp");
        super::long_jump();
    }
}

fn body(out: &mut Vec<u8>, ip: &Ip<'_>, b: &[u8], len: u32, verbose: u8) -> Option<()> {
    s(out, "VRRP");
    let first = *b.first()?;
    let (version, kind) = (first >> 4, first & 0x0f);
    s(out, "v");
    n(out, version);
    if kind == 1 {
        s(out, ", Advertisement");
    } else {
        s(out, ", unknown type (");
        n(out, kind);
        s(out, ")");
    }
    // The TTL (hop limit) must be 255; tcpdump says when it is not.
    let ttl = if ip.v6 { ip.header[7] } else { ip.header[8] };
    if ttl != 255 {
        s(out, ", (ttl ");
        n(out, ttl);
        s(out, ")");
    }
    if !(2..=3).contains(&version) || kind != 1 {
        return Some(());
    }
    let (vrid, prio) = (*b.get(1)?, *b.get(2)?);
    s(out, ", vrid ");
    n(out, vrid);
    s(out, ", prio ");
    n(out, prio);
    let mut auth = 0;
    if version == 2 {
        auth = *b.get(4)?;
        s(out, ", authtype ");
        match auth {
            0 => s(out, "none"),
            1 => s(out, "simple"),
            2 => s(out, "ah"),
            _ => {
                // tok2str with no default format.
                s(out, "#");
                n(out, auth);
            }
        }
        let intvl = *b.get(5)?;
        s(out, ", intvl ");
        n(out, intvl);
        s(out, "s, length ");
    } else {
        let intvl = u16::from(*b.get(4)? & 0x0f) << 8 | u16::from(*b.get(5)?);
        s(out, ", intvl ");
        n(out, intvl);
        s(out, "cs, length ");
    }
    n(out, len);
    if verbose == 0 {
        return Some(());
    }
    let naddrs = usize::from(*b.get(3)?);
    if let Some(whole) = b.get(..len as usize) {
        let bad = if version == 2 {
            super::cksum::plain(whole) != 0
        } else {
            super::cksum::over(ip, 112, len).is_some_and(|c| c != 0)
        };
        if bad {
            let field = u16::from_be_bytes([*b.get(6)?, *b.get(7)?]);
            s(out, ", (bad vrrp cksum ");
            digits::hex(out, field.into());
            s(out, ")");
        }
    }
    s(out, ", addrs");
    if naddrs > 1 {
        s(out, "(");
        n(out, naddrs as u64);
        s(out, ")");
    }
    s(out, ":");
    let mut at = 8;
    for i in 0..naddrs {
        // The address is read before its separator is printed.
        let sep = if i == 0 { b' ' } else { b',' };
        if ip.v6 {
            let a = crate::summary::kit::ip6(b, at)?;
            out.push(sep);
            digits::ipv6(out, a);
            at += 16;
        } else {
            let a = b.get(at..at + 4)?;
            out.push(sep);
            digits::ipv4(out, [a[0], a[1], a[2], a[3]]);
            at += 4;
        }
    }
    if version == 2 && auth == 1 {
        // nd_printjnp: at most 8 bytes, up to a NUL.
        s(out, " auth \"");
        for i in 0..8 {
            let c = *b.get(at + i)?;
            if c == 0 {
                break;
            }
            print_char(out, c);
        }
        s(out, "\"");
    }
    Some(())
}
