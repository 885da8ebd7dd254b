//! Internet checksums, verified under `-v` as tcpdump does (in_cksum.c).

use super::s;
use crate::summary::decode::Ip;
use crate::summary::digits;

/// The one's-complement sum of big-endian 16-bit words, not yet folded.
pub(super) fn sum(mut acc: u64, data: &[u8]) -> u64 {
    let mut it = data.chunks_exact(2);
    for w in it.by_ref() {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = it.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

/// Folded and complemented: zero when the data (checksum field included) is right.
pub(super) fn finish(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The check of a TCP/UDP/ICMPv6 segment with its pseudo-header, when all of it was captured.
pub(super) fn transport(ip: &Ip<'_>, proto: u8) -> Option<u16> {
    over(ip, proto, ip.payload_len)
}

/// The same over the segment's first `len` bytes (UDP's: what its length field covers).
pub(super) fn over(ip: &Ip<'_>, proto: u8, len: u32) -> Option<u16> {
    let len = len as usize;
    let seg = ip.rest.get(..len)?;
    let mut acc = u64::from(proto) + len as u64;
    acc = if ip.v6 {
        sum(sum(acc, &ip.src), &final_dst(ip))
    } else {
        sum(sum(acc, &ip.src[..4]), &final_dst4(ip))
    };
    Some(finish(sum(acc, seg)))
}

/// The pseudo-header's IPv4 destination: with a loose or strict source route, its last hop,
/// as tcpdump's ip_finddst (an option shorter than 7 bytes, or a broken one, is passed over).
fn final_dst4(ip: &Ip<'_>) -> [u8; 4] {
    let dst = [ip.dst[0], ip.dst[1], ip.dst[2], ip.dst[3]];
    let mut opts = ip.header.get(20..).unwrap_or(&[]);
    while let Some(&kind) = opts.first() {
        let len = match kind {
            0 => break,
            1 => 1,
            _ => match opts.get(1) {
                Some(&l) if l >= 2 => usize::from(l),
                _ => break,
            },
        };
        let Some(opt) = opts.get(..len) else { break };
        if matches!(kind, 0x83 | 0x89) && len >= 7 {
            return [opt[len - 4], opt[len - 3], opt[len - 2], opt[len - 1]];
        }
        opts = &opts[len..];
    }
    dst
}

/// The pseudo-header's IPv6 destination: past a routing header, the last hop's address
/// (the last of type 0 and 2, the first segment of type 4), as tcpdump's ip6_finddst.
fn final_dst(ip: &Ip<'_>) -> [u8; 16] {
    let walk = crate::summary::decode::ExtWalk {
        next: ip.ext_first,
        rest: ip.ext,
    };
    for (kind, h) in walk {
        if kind != 43 {
            continue;
        }
        let mut addrs = h.get(8..).unwrap_or(&[]).chunks_exact(16);
        let a = match h[2] {
            0 | 2 => addrs.next_back(),
            4 => addrs.next(),
            _ => None,
        };
        if let Some(a) = a {
            let mut d = [0u8; 16];
            d.copy_from_slice(a);
            return d;
        }
    }
    ip.dst
}

/// The check of data that carries its own checksum (ICMP, the IPv4 header).
pub(super) fn plain(data: &[u8]) -> u16 {
    finish(sum(0, data))
}

/// What the checksum field should have held (in_cksum_shouldbe).
pub(super) fn should_be(field: u16, computed: u16) -> u16 {
    let mut v = u32::from(field) + u32::from(computed);
    v = (v & 0xffff) + (v >> 16);
    v = (v & 0xffff) + (v >> 16);
    v as u16
}

/// TCP's ` (correct)` or ` (incorrect -> 0x1234)`.
pub(super) fn verdict(out: &mut Vec<u8>, field: u16, computed: u16) {
    if computed == 0 {
        s(out, " (correct)");
    } else {
        s(out, " (incorrect -> 0x");
        digits::hex_padded(out, u64::from(should_be(field, computed)), 4);
        out.push(b')');
    }
}

/// UDP's and ICMPv6's `[udp sum ok] ` or `[bad udp cksum 0x1234 -> 0x5678!] `.
pub(super) fn bracket(out: &mut Vec<u8>, name: &str, field: u16, computed: u16) {
    if computed == 0 {
        out.push(b'[');
        s(out, name);
        s(out, " sum ok] ");
    } else {
        s(out, "[bad ");
        s(out, name);
        s(out, " cksum 0x");
        digits::hex_padded(out, u64::from(field), 4);
        s(out, " -> 0x");
        digits::hex_padded(out, u64::from(should_be(field, computed)), 4);
        s(out, "!] ");
    }
}
