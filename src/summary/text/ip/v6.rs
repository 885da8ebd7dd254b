//! IPv6's extension headers as tcpdump prints them (print-ip6.c's chain walk, print-rt6.c,
//! print-ip6opts.c, print-frag6.c): routing, hop-by-hop and destination options, fragments.

use super::*;

/// An IPv6 routing header as print-rt6.c writes it, field by field as far as the bytes go;
/// false when tcpdump gives up on the packet there (cut, a type it does not know, an odd
/// length). The reserved word and the SRH flags show when set, or under -v.
pub(super) fn routing(out: &mut Vec<u8>, h: &[u8], verbose: bool) -> bool {
    let cut = |out: &mut Vec<u8>| {
        trunc(out, "rt6");
        false
    };
    s(out, "RT6");
    let Some(&len) = h.get(1) else {
        return cut(out);
    };
    s(out, " (len=");
    n(out, len);
    let Some(&kind) = h.get(2) else {
        return cut(out);
    };
    s(out, ", type=");
    n(out, kind);
    if kind == 0 {
        s(out, " [Deprecated]");
    }
    let Some(&segleft) = h.get(3) else {
        return cut(out);
    };
    s(out, ", segleft=");
    n(out, segleft);
    match kind {
        0 | 2 => {
            let Some(r) = h.get(4..8) else {
                return cut(out);
            };
            let rsv = u32::from_be_bytes([r[0], r[1], r[2], r[3]]);
            if rsv != 0 || verbose {
                s(out, ", rsv=0x");
                digits::hex(out, u64::from(rsv));
            }
        }
        4 => {
            let Some(&last) = h.get(4) else {
                return cut(out);
            };
            s(out, ", last-entry=");
            n(out, last);
            let Some(&fl) = h.get(5) else {
                return cut(out);
            };
            if fl != 0 || verbose {
                s(out, ", flags=0x");
                digits::hex(out, u64::from(fl));
            }
            let Some(tag) = h.get(6..8) else {
                return cut(out);
            };
            s(out, ", tag=");
            digits::hex(out, u64::from(u16::from_be_bytes([tag[0], tag[1]])));
        }
        _ => {
            s(out, " (unknown type) (invalid)");
            return false;
        }
    }
    if len % 2 == 1 {
        s(out, " (invalid length ");
        n(out, len);
        s(out, ") (invalid)");
        return false;
    }
    for i in 0..usize::from(len / 2) {
        let Some(a) = h.get(8 + 16 * i..8 + 16 * (i + 1)) else {
            return cut(out);
        };
        let mut addr = [0u8; 16];
        addr.copy_from_slice(a);
        s(out, ", [");
        n(out, i as u32);
        out.push(b']');
        digits::ipv6(out, addr);
    }
    s(out, ") ");
    true
}

/// Hop-by-hop or destination options (print-ip6opts.c's ip6_opt_process): listed under -v,
/// only their errors without. `jumbo` is the IPv6 payload length for a hop-by-hop header
/// (None for destination options, where tcpdump calls a jumbo payload option invalid); a valid
/// one replaces it. False: lengths that do not add up, where tcpdump gives up.
pub(super) fn v6_options(
    out: &mut Vec<u8>,
    b: &[u8],
    v: u8,
    mut jumbo: Option<&mut (bool, u32)>,
) -> bool {
    let len = b.len();
    let mut seen_jumbo = false;
    let mut i = 0;
    while i < len {
        let t = b[i];
        let Some(optlen) = option_len(b, i) else {
            return false;
        };
        let olen = b.get(i + 1).copied().unwrap_or(0);
        match t {
            0 if v > 0 => s(out, "(pad1)"),
            0 => {}
            1 if v > 0 => s(out, "(padn)"),
            1 => {}
            5 => {
                if len - i < 4 {
                    s(out, "(rtalert: trunc)");
                    return false;
                }
                if olen != 2 {
                    s(out, "(rtalert: invalid len ");
                    n(out, olen);
                    out.push(b')');
                    return false;
                }
                if v > 0 {
                    s(out, "(rtalert: 0x");
                    digits::hex_padded(out, u64::from(u16::from_be_bytes([b[i + 2], b[i + 3]])), 4);
                    s(out, ") ");
                }
            }
            0xc2 => {
                if len - i < 6 {
                    s(out, "(jumbo: trunc)");
                    return false;
                }
                if olen != 4 {
                    s(out, "(jumbo: invalid len ");
                    n(out, olen);
                    out.push(b')');
                    return false;
                }
                let jl = u32::from_be_bytes([b[i + 2], b[i + 3], b[i + 4], b[i + 5]]);
                let why = if seen_jumbo {
                    " - already seen"
                } else {
                    seen_jumbo = true;
                    match jumbo.as_deref_mut() {
                        None => " - not a hop-by-hop option",
                        Some((_, plen)) if *plen != 0 => " - payload len != 0",
                        Some(_) if jl < 65536 => " - < 65536",
                        Some(j) => {
                            *j = (true, jl);
                            ""
                        }
                    }
                };
                if v > 0 {
                    s(out, "(jumbo: ");
                    n(out, jl);
                    s(out, why);
                    s(out, ") ");
                }
            }
            0xc9 => {
                if len - i < 18 {
                    s(out, "(homeaddr: trunc)");
                    return false;
                }
                if olen < 16 {
                    s(out, "(homeaddr: invalid len ");
                    n(out, olen);
                    out.push(b')');
                    return false;
                }
                if v > 0 {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(&b[i + 2..i + 18]);
                    s(out, "(homeaddr: ");
                    digits::ipv6(out, a);
                    if olen > 16 && !v6_sub_options(out, &b[i + 18..i + optlen]) {
                        return false;
                    }
                    out.push(b')');
                }
            }
            _ if v > 0 => {
                s(out, "(opt_type 0x");
                digits::hex_padded(out, u64::from(t), 2);
                s(out, ": len=");
                n(out, olen);
                out.push(b')');
            }
            _ => {}
        }
        i += optlen;
    }
    if v > 0 && len > 0 {
        out.push(b' ');
    }
    true
}

/// The length of the IPv6 option (or sub-option) at `b[i]`: Pad1 is one byte, the others say
/// theirs after their type; `None` when that length byte or the option is cut.
pub(super) fn option_len(b: &[u8], i: usize) -> Option<usize> {
    let len = match b[i] {
        0 => 1,
        _ => usize::from(*b.get(i + 1)?) + 2,
    };
    (i + len <= b.len()).then_some(len)
}

/// The sub-options of a home address option (ip6_sopt_print).
pub(super) fn v6_sub_options(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let len = b.len();
    let mut i = 0;
    while i < len {
        let t = b[i];
        let Some(optlen) = option_len(b, i) else {
            return false;
        };
        match t {
            0 => s(out, ", pad1"),
            1 => s(out, ", padn"),
            _ => {
                s(out, ", sopt_type 0x");
                digits::hex_padded(out, u64::from(t), 2);
                s(out, ": len=");
                n(out, b[i + 1]);
            }
        }
        i += optlen;
    }
    true
}

/// What follows an IPv6 extension header chain.
pub(super) enum Chain {
    /// The line ends: a header cut or invalid, a fragment other than the first.
    Stop,
    /// The header above, as decoded.
    Go,
    /// The header above, with this many bytes (a jumbo payload's length, less the chain).
    Jumbo(u32),
}

/// The IPv6 extension header chain as print-ip6.c walks it, up to the header above; `wire`:
/// the IPv6 packet's bytes on the wire.
pub(super) fn v6_exts(out: &mut Vec<u8>, ip: &Ip<'_>, v: u8, wire: u32) -> Chain {
    let plen = u32::from(u16::from_be_bytes([ip.header[4], ip.header[5]]));
    // etherparse split the chain where it stopped: whole headers, then the rest.
    let at = |off: usize| -> &[u8] {
        match ip.ext.get(off..) {
            Some(b) if !b.is_empty() => b,
            _ => ip.rest.get(off - ip.ext.len()..).unwrap_or(&[]),
        }
    };
    let mut next = ip.ext_first;
    let mut off = 0usize;
    let mut jumbo = (false, plen);
    let mut first = true;
    loop {
        let b = at(off);
        let len = match next {
            0 => match hop_by_hop(out, b, first, off > 0 && ip.ext_first == 0, v, &mut jumbo) {
                Some(len) => len,
                None => return Chain::Stop,
            },
            60 => match dst_options(out, b, v) {
                Some(len) => len,
                None => return Chain::Stop,
            },
            43 => {
                if b.is_empty() {
                    trunc(out, "ip6");
                    return Chain::Stop;
                }
                if !routing(out, b, v > 0) {
                    return Chain::Stop;
                }
                (usize::from(b[1]) + 1) * 8
            }
            44 => match fragment(out, ip, b, plen, off, v) {
                Some(len) => len,
                None => return Chain::Stop,
            },
            51 => match ipsec::ah(out, b, v > 0) {
                Some(len) => len,
                None => return Chain::Stop,
            },
            _ if jumbo.0 => {
                // A valid jumbo payload option: its length replaces the header's.
                let (len, adv) = (u64::from(jumbo.1) + 40, off as u64 + 40);
                if len < adv {
                    trunc(out, "ip6");
                    return Chain::Stop;
                }
                if u64::from(wire) < len {
                    s(out, "truncated-ip6 - ");
                    n(out, len - u64::from(wire));
                    s(out, " bytes missing!");
                }
                return Chain::Jumbo((len - adv) as u32);
            }
            // Headers but no payload to hold them.
            _ if plen == 0 && off > 0 => {
                trunc(out, "ip6");
                return Chain::Stop;
            }
            _ => return Chain::Go,
        };
        next = b[0];
        off += len;
        first = false;
    }
}
/// Hop-by-hop options (print-ip6opts.c): their length, or None when the line ends. `first`:
/// right after the IPv6 header, where alone they may stand; `again`: a second one. `jumbo`
/// learns of a jumbo payload option.
pub(super) fn hop_by_hop(
    out: &mut Vec<u8>,
    b: &[u8],
    first: bool,
    again: bool,
    v: u8,
    jumbo: &mut (bool, u32),
) -> Option<usize> {
    if !first {
        s(
            out,
            if again {
                "[The Hop-by-Hop Options header was already found] (invalid)"
            } else {
                "[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)"
            },
        );
        return None;
    }
    // print-ip6opts.c reads the length with a jumping getter, then checks the
    // whole header without jumping.
    let Some(whole) = b.get(1).map(|l| (usize::from(*l) + 1) * 8) else {
        trunc(out, "hbhopt");
        crate::summary::text::long_jump();
        return None;
    };
    let ok = whole <= b.len() && {
        s(out, "HBH ");
        v6_options(out, &b[2..whole], v, Some(jumbo))
    };
    if !ok {
        trunc(out, "hbhopt");
    }
    // Checked before the cut: a zero payload length needs a jumbo option.
    if jumbo.1 == 0 && !jumbo.0 {
        s(
            out,
            "[No valid Jumbo Payload Hop-by-Hop option found] (invalid)",
        );
        return None;
    }
    if !ok {
        return None;
    }
    Some(whole)
}

/// Destination options (print-ip6opts.c), listed with -v: their length, or None when the line
/// ends.
pub(super) fn dst_options(out: &mut Vec<u8>, b: &[u8], v: u8) -> Option<usize> {
    let whole = b.get(1).map(|l| (usize::from(*l) + 1) * 8);
    let ok = match whole {
        Some(l) if l <= b.len() => {
            s(out, "DSTOPT ");
            v == 0 || v6_options(out, &b[2..l], v, None)
        }
        _ => false,
    };
    if !ok {
        trunc(out, "dstopt");
        if whole.is_none() {
            crate::summary::text::long_jump();
        }
        return None;
    }
    Some(whole.unwrap_or(0))
}

/// A fragment header (print-frag6.c): its length, or None when the line ends (later pieces
/// are not decoded). `off`: where it starts in the chain, for the bytes left after it.
pub(super) fn fragment(
    out: &mut Vec<u8>,
    ip: &Ip<'_>,
    b: &[u8],
    plen: u32,
    off: usize,
    v: u8,
) -> Option<usize> {
    let (Some(w), id) = (b.get(2..4), b.get(4..8)) else {
        trunc(out, "frag6");
        return None;
    };
    let field = u16::from_be_bytes([w[0], w[1]]) & 0xfff8;
    let rest = u64::from(plen).wrapping_sub(off as u64 + 8);
    if v > 0 && id.is_none() {
        trunc(out, "frag6");
        return None;
    }
    s(out, "frag (");
    if let (true, Some(id)) = (v > 0, id) {
        s(out, "0x");
        let id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
        digits::hex_padded(out, u64::from(id), 8);
        out.push(b':');
    }
    n(out, field);
    out.push(b'|');
    n(out, rest);
    out.push(b')');
    // Later pieces are not decoded; a first one with nothing captured after its
    // header ends there, with print-frag6.c's trailing space and no cut mark
    // (print-ip6.c returns when the header's end reaches the snapshot's).
    if field != 0 {
        return None;
    }
    out.push(b' ');
    if (ip.ext.len() + ip.rest.len()).saturating_sub(off) <= 8 {
        return None;
    }
    Some(8)
}
