//! ICMPv6 (print-icmp6.c).

use super::{cksum, dump, n, s};
use crate::summary::decode::Ip;
use crate::summary::kit::{be16, be32, ip6, trunc};
use crate::summary::PrintOptions;
use crate::summary::{decode, digits, names};

#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    i: &etherparse::Icmpv6Slice<'_>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
) {
    let len = ip.payload_len;
    if opts.verbose > 0 && ip.frag.is_none() {
        if let Some(sum) = cksum::transport(ip, 58) {
            let field = u16::from_be_bytes([i.slice()[2], i.slice()[3]]);
            cksum::bracket(out, "icmp6", field, sum);
        }
    }
    let (t, code, b) = (i.type_u8(), i.code_u8(), i.bytes5to8());
    let payload = i.payload();
    let v = opts.verbose;
    type_name(out, t);
    // tcpdump -v moves the length of the neighbour discovery messages up front and drops it
    // from the end of every ICMPv6 line.
    if v > 0 && matches!(t, 133..=137) {
        s(out, ", length ");
        n(out, len);
    }
    match t {
        1 if unreachable(out, code, payload).is_none() => return trunc(out, "icmp6"),
        2 => {
            s(out, ", mtu ");
            n(out, u32::from_be_bytes(b));
        }
        3 => {
            if code == 0 {
                let Some(dst) = ip6(payload, 24) else {
                    trunc(out, "icmp6");
                    return;
                };
                s(out, " for ");
                digits::ipv6(out, dst);
            } else {
                s(out, " (reassembly)");
            }
        }
        128 | 129 => {
            let e = decode::echo(b);
            s(out, ", id ");
            n(out, e.id);
            s(out, ", seq ");
            n(out, e.seq);
        }
        134 if v > 0 && router_advert(out, b, payload, len, v).is_none() => {
            return trunc(out, "icmp6");
        }
        133 if v > 0 && options(out, payload, len.saturating_sub(8), v).is_none() => {
            return trunc(out, "icmp6");
        }
        135 | 136 if neighbour(out, t, b[0], payload, len, v).is_none() => {
            return trunc(out, "icmp6");
        }
        130..=132 | 143 if mld(out, t, i.slice(), len, v).is_none() => {
            return trunc(out, "icmp6");
        }
        _ => {}
    }
    if v == 0 {
        s(out, ", length ");
        n(out, len);
    }
}

/// Destination unreachable: the reason, then the quoted packet's destination (and port);
/// None: cut.
fn unreachable(out: &mut Vec<u8>, code: u8, payload: &[u8]) -> Option<()> {
    s(out, ", ");
    s(out, names::icmp6_unreach_name(code));
    // The quoted packet: IPv6 header, then (without extension headers) UDP/TCP.
    let dst = ip6(payload, 24)?;
    let nh = payload[6];
    let dport = be16(payload, 42);
    match (code, nh, dport) {
        (4, 6 | 17, Some(p)) => {
            s(out, ", ");
            digits::ipv6(out, dst);
            s(out, if nh == 6 { " tcp port " } else { " udp port " });
            n(out, p);
        }
        // tcpdump wants the quoted ports of an unreachable port.
        (4, 6 | 17, None) => return None,
        _ => {
            out.push(b' ');
            digits::ipv6(out, dst);
        }
    }
    Some(())
}

/// A router advertisement with -v: `b`, the header's bytes 5-8 (hop limit, flags, router
/// lifetime), then the two timers and the options; None: cut.
fn router_advert(out: &mut Vec<u8>, b: [u8; 4], payload: &[u8], len: u32, v: u8) -> Option<()> {
    // Bytes 5-8: hop limit, flags, router lifetime; then the two timers.
    let (reach, retrans) = (be32(payload, 0)?, be32(payload, 4)?);
    s(out, "\n\thop limit ");
    n(out, b[0]);
    s(out, ", Flags [");
    let names = [
        (0x80, "managed"),
        (0x40, "other stateful"),
        (0x20, "home agent"),
    ];
    flags(out, b[1], &names);
    s(out, "], pref ");
    s(
        out,
        ["medium", "high", "reserved", "low"][usize::from((b[1] >> 3) & 3)],
    );
    s(out, ", router lifetime ");
    n(out, u16::from_be_bytes([b[2], b[3]]));
    s(out, "s, reachable time ");
    n(out, reach);
    s(out, "ms, retrans timer ");
    n(out, retrans);
    s(out, "ms");
    options(out, &payload[8..], len.saturating_sub(16), v)
}

/// A neighbour solicitation (135) or advertisement (136): the target, and with -v the
/// advertisement's flags (`flag_bits`) and the options; None: cut.
fn neighbour(
    out: &mut Vec<u8>,
    t: u8,
    flag_bits: u8,
    payload: &[u8],
    len: u32,
    v: u8,
) -> Option<()> {
    let tgt = ip6(payload, 0)?;
    s(out, if t == 135 { ", who has " } else { ", tgt is " });
    digits::ipv6(out, tgt);
    if v > 0 {
        if t == 136 {
            s(out, ", Flags [");
            let names = [(0x80, "router"), (0x40, "solicited"), (0x20, "override")];
            flags(out, flag_bits, &names);
            out.push(b']');
        }
        let opts_at = payload.get(16..).unwrap_or(&[]);
        options(out, opts_at, len.saturating_sub(24), v)?;
    }
    Some(())
}

/// Multicast listener messages from the ICMPv6 header on (`m`, as captured); None: cut.
fn mld(out: &mut Vec<u8>, t: u8, m: &[u8], len: u32, v: u8) -> Option<()> {
    match t {
        130 if len == 24 => mld1(out, m),
        130 if len >= 28 => {
            s(out, " v2");
            mld2_query(out, m, len, v)?;
        }
        130 => {
            s(out, " unknown-version (len ");
            n(out, len);
            s(out, ") ");
        }
        143 if len < 8 => {
            s(out, " [invalid len ");
            n(out, len);
            out.push(b']');
        }
        143 => {
            let count = be16(m, 6)?;
            s(out, ", ");
            n(out, count);
            s(out, " group record(s)");
            if v > 0 {
                mld2_records(out, m, len, v)?;
            }
        }
        _ => mld1(out, m),
    }
    Some(())
}

/// MLDv1 (mld6_print): glued to the type name as tcpdump prints it; nothing when cut.
fn mld1(out: &mut Vec<u8>, m: &[u8]) {
    if let (Some(delay), Some(group)) = (be16(m, 4), ip6(m, 8)) {
        s(out, "max resp delay: ");
        n(out, delay);
        s(out, " addr: ");
        digits::ipv6(out, group);
    }
}

/// An MLDv2 query (mldv2_query_print), from the ICMPv6 header on; None: cut.
fn mld2_query(out: &mut Vec<u8>, m: &[u8], len: u32, v: u8) -> Option<()> {
    let mrc = u32::from(be16(m, 4)?);
    if v > 0 {
        // Codes from 32768 on are a floating-point form (RFC 3810 5.1.3).
        let mrt = if mrc < 32768 {
            mrc
        } else {
            ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3)
        };
        s(out, " [max resp delay=");
        n(out, mrt);
        out.push(b']');
    }
    let group = ip6(m, 8)?;
    s(out, " [gaddr ");
    digits::ipv6(out, group);
    if v > 0 {
        let flags = *m.get(24)?;
        if flags & 0x08 != 0 {
            s(out, " sflag");
        }
        if flags & 0x07 != 0 {
            s(out, " robustness=");
            n(out, flags & 0x07);
        }
        let code = u32::from(*m.get(25)?);
        let qqi = if code < 128 {
            code
        } else {
            ((code & 0x0f) | 0x10) << (((code & 0x70) >> 4) + 3)
        };
        s(out, " qqi=");
        n(out, qqi);
    }
    let nsrcs = be16(m, 26)?;
    if nsrcs > 0 {
        if len < 28 + u32::from(nsrcs) * 16 {
            s(out, " [invalid number of sources]");
        } else if v > 1 {
            s(out, " {");
            for k in 0..usize::from(nsrcs) {
                let a = ip6(m, 28 + 16 * k)?;
                out.push(b' ');
                digits::ipv6(out, a);
            }
            s(out, " }");
        } else {
            s(out, ", ");
            n(out, nsrcs);
            s(out, " source(s)");
        }
    }
    out.push(b']');
    Some(())
}

/// An MLDv2 report's group records (mldv2_report_print under -v): with their sources under
/// -vv, their count under -v. None: cut.
fn mld2_records(out: &mut Vec<u8>, m: &[u8], len: u32, v: u8) -> Option<()> {
    let len = len as usize;
    let mut at = 8;
    for _ in 0..be16(m, 6)? {
        if len < at + 20 {
            s(out, " [invalid number of groups]");
            return Some(());
        }
        let group = ip6(m, at + 4)?;
        s(out, " [gaddr ");
        digits::ipv6(out, group);
        let kind = *m.get(at)?;
        out.push(b' ');
        match kind {
            1..=6 => s(
                out,
                ["is_in", "is_ex", "to_in", "to_ex", "allow", "block"][usize::from(kind - 1)],
            ),
            _ => {
                s(out, " [v2-report-#");
                n(out, kind);
                out.push(b']');
            }
        }
        let nsrcs = usize::from(be16(m, at + 2)?);
        if len < at + 20 + nsrcs * 16 {
            s(out, " [invalid number of sources ");
            n(out, nsrcs as u32);
            out.push(b']');
            return Some(());
        }
        if v == 1 {
            s(out, ", ");
            n(out, nsrcs as u32);
            s(out, " source(s)");
        } else {
            s(out, " {");
            for k in 0..nsrcs {
                let a = ip6(m, at + 20 + 16 * k)?;
                out.push(b' ');
                digits::ipv6(out, a);
            }
            s(out, " }");
        }
        at += 20 + nsrcs * 16;
        out.push(b']');
    }
    Some(())
}

/// tcpdump's bittok2str: the names of the bits set, or `none`.
fn flags(out: &mut Vec<u8>, v: u8, names: &[(u8, &str)]) {
    let mark = out.len();
    for (bit, name) in names {
        if v & bit != 0 {
            if out.len() > mark {
                s(out, ", ");
            }
            s(out, name);
        }
    }
    if out.len() == mark {
        s(out, "none");
    }
}

fn lifetime(out: &mut Vec<u8>, v: u32) {
    if v == u32::MAX {
        s(out, "infinity");
    } else {
        n(out, v);
        out.push(b's');
    }
}

/// Neighbour discovery options (icmp6_opt_print): each on its own line, `-vv` adding its
/// bytes in hex; `len` is what the ICMPv6 length leaves for them. None: cut, or a bad length.
fn options(out: &mut Vec<u8>, mut o: &[u8], len: u32, v: u8) -> Option<()> {
    let mut left = len as usize;
    // Options end where the capture does, unless one is cut in the middle.
    while left > 0 && !o.is_empty() {
        let (&kind, &units) = (o.first()?, o.get(1)?);
        let olen = usize::from(units) * 8;
        if units == 0 || o.len() < olen || left < olen {
            return None;
        }
        let body = &o[2..olen];
        s(out, "\n\t  ");
        s(
            out,
            match kind {
                1 => "source link-address",
                2 => "destination link-address",
                3 => "prefix info",
                5 => "mtu",
                25 => "rdnss",
                _ => "unknown",
            },
        );
        s(out, " option (");
        n(out, kind);
        s(out, "), length ");
        n(out, olen as u32);
        s(out, " (");
        n(out, units);
        s(out, "): ");
        match kind {
            1 | 2 => digits::mac(out, body),
            3 => {
                let prefix = ip6(body, 14)?;
                digits::ipv6(out, prefix);
                out.push(b'/');
                n(out, body[0]);
                if units != 4 {
                    s(out, "badlen");
                }
                s(out, ", Flags [");
                flags(
                    out,
                    body[1],
                    &[(0x80, "onlink"), (0x40, "auto"), (0x20, "router")],
                );
                s(out, "], valid time ");
                lifetime(out, be32(body, 2)?);
                s(out, ", pref. time ");
                lifetime(out, be32(body, 6)?);
            }
            5 => {
                out.push(b' ');
                n(out, be32(body, 2)?);
                if units != 1 {
                    s(out, "bad option length");
                }
            }
            25 => {
                s(out, " lifetime ");
                n(out, be32(body, 2)?);
                s(out, "s,");
                for k in 0..usize::from((units - 1) / 2) {
                    s(out, " addr: ");
                    digits::ipv6(out, ip6(body, 6 + 16 * k)?);
                }
            }
            // tcpdump's own dump of an option it does not know gives way to the -vv one.
            _ if v == 1 => dump::hex_after(out, body, "\n\t  "),
            _ => {}
        }
        if v > 1 {
            dump::hex_after(out, body, "\n\t    ");
        }
        o = &o[olen..];
        left -= olen;
    }
    Some(())
}

/// `ICMP6, echo request` or `ICMP6, unknown icmp6 type (200)`.
fn type_name(out: &mut Vec<u8>, t: u8) {
    s(out, "ICMP6, ");
    match names::icmp6_type_name(t) {
        Some(name) => s(out, name),
        None => {
            s(out, "unknown icmp6 type (");
            n(out, t);
            out.push(b')');
        }
    }
}

/// A header cut short but with its first byte: tcpdump still names the type.
pub(super) fn cut(out: &mut Vec<u8>, b: &[u8], len: u32, v: u8) {
    type_name(out, b[0]);
    if b[0] == 1 && b.len() >= 2 {
        s(out, ", ");
        s(out, names::icmp6_unreach_name(b[1]));
    }
    // -v puts the length of neighbour discovery first, whatever is cut after it.
    if v > 0 && matches!(b[0], 133..=137) {
        s(out, ", length ");
        n(out, len);
    }
    // A router solicitation has nothing to show past its checksum, an advertisement nothing
    // without -v; under -v the solicitation's options start past the captured bytes.
    // tcpdump reads the code before it looks at the type.
    if matches!(b[0], 130..=132 | 143) && b.len() >= 2 {
        if mld(out, b[0], b, len, v).is_none() {
            trunc(out, "icmp6");
        } else if v == 0 {
            s(out, ", length ");
            n(out, len);
        }
        return;
    }
    let whole = match b[0] {
        133 => b.len() >= 2,
        134 => b.len() >= 2 && v == 0,
        _ => false,
    };
    if !whole {
        trunc(out, "icmp6");
    } else if v == 0 {
        s(out, ", length ");
        n(out, len);
    }
}
