//! ICMP (print-icmp.c).

use super::{cksum, dump, n, s, tunnel};
use crate::summary::decode::Ip;
use crate::summary::kit::{be16, trunc};
use crate::summary::PrintOptions;
use crate::summary::{decode, digits, names};

/// The inner header an ICMP error quotes: (destination, protocol, destination port if there).
fn quoted_v4(p: &[u8]) -> Option<([u8; 4], u8, Option<u16>)> {
    if p.len() < 20 || p[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    let dport = be16(p, ihl + 2);
    Some(([p[16], p[17], p[18], p[19]], p[9], dport))
}

#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    i: &etherparse::Icmpv4Slice<'_>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    st: &mut super::State,
) {
    let len = ip.payload_len;
    let (t, code, b) = (i.type_u8(), i.code_u8(), i.bytes5to8());
    // Error messages quote a header: to name the packet, tcpdump needs all of it (and, for an
    // unreachable port, the ports after it) or calls the packet cut.
    if matches!(t, 5 | 11) && i.payload().len() < 20 {
        trunc(out, "icmp");
        return;
    }
    if t == 3 {
        match quoted_v4(i.payload()) {
            Some((_, _, None)) if code == 3 => {
                trunc(out, "icmp");
                return;
            }
            None => {
                trunc(out, "icmp");
                return;
            }
            _ => {}
        }
    }
    s(out, "ICMP ");
    match t {
        0 | 8 => {
            let e = decode::echo(b);
            s(out, names::icmp_type_name(t).unwrap_or(""));
            s(out, ", id ");
            n(out, e.id);
            s(out, ", seq ");
            n(out, e.seq);
        }
        3 => match quoted_v4(i.payload()) {
            Some((dst, proto, dport)) => unreachable(out, code, dst, proto, dport, b),
            None => {
                s(out, "unreachable, code ");
                n(out, code);
            }
        },
        5 => redirect(out, code, i.payload(), b),
        11 => match code {
            0 => s(out, "time exceeded in-transit"),
            1 => s(out, "ip reassembly time exceeded"),
            _ => {
                s(out, "time exceeded-#");
                n(out, code);
            }
        },
        12 => {
            if code == 0 {
                s(out, "parameter problem - octet ");
                n(out, b[0]);
            } else {
                s(out, "parameter problem - code ");
                n(out, code);
            }
        }
        _ => match names::icmp_type_name(t) {
            Some(name) => s(out, name),
            None => {
                s(out, "type-#");
                n(out, t);
            }
        },
    }
    s(out, ", length ");
    n(out, len);
    if opts.verbose > 0 && ip.frag.is_none() {
        check_sum(out, i, ip.rest, len);
    }
    // tcpdump -v prints the packet an error quotes on the lines after, as IP printed anew.
    if opts.verbose > 0 && matches!(t, 3 | 4 | 5 | 11 | 12) {
        quoted(out, i.payload(), opts, st);
        // A quoted packet whose printer gave up by a long jump ends tcpdump's whole line.
        if super::jumped() || super::JUMPING.iter().any(|m| out.ends_with(m)) {
            return;
        }
        if matches!(t, 3 | 11 | 12) && len > EXT_AT as u32 {
            extensions(out, ip.rest, len);
        }
    }
}

/// Destination unreachable, named from the quoted header: `dst`, its protocol, and its
/// destination port when captured; `b`: the ICMP header's bytes 5-8 (the MTU for code 4).
fn unreachable(
    out: &mut Vec<u8>,
    code: u8,
    dst: [u8; 4],
    proto: u8,
    dport: Option<u16>,
    b: [u8; 4],
) {
    match code {
        0 => {
            s(out, "net ");
            digits::ipv4(out, dst);
            s(out, " unreachable");
        }
        1 => {
            s(out, "host ");
            digits::ipv4(out, dst);
            s(out, " unreachable");
        }
        2 => {
            digits::ipv4(out, dst);
            s(out, " protocol ");
            n(out, proto);
            s(out, " unreachable");
        }
        3 => {
            digits::ipv4(out, dst);
            match (proto, dport) {
                (6, Some(p)) => {
                    s(out, " tcp port ");
                    n(out, p);
                }
                (17, Some(p)) => {
                    s(out, " udp port ");
                    n(out, p);
                }
                // tcpdump reads the 'port' at the same place whatever the protocol.
                (_, Some(p)) => {
                    s(out, " protocol ");
                    n(out, proto);
                    s(out, " port ");
                    n(out, p);
                }
                (_, None) => {
                    s(out, " protocol ");
                    n(out, proto);
                    s(out, " port");
                }
            }
            s(out, " unreachable");
        }
        4 => {
            digits::ipv4(out, dst);
            s(out, " unreachable - need to frag (mtu ");
            n(out, u16::from_be_bytes([b[2], b[3]]));
            out.push(b')');
        }
        9 | 10 | 13 => {
            s(out, if code == 9 { "net " } else { "host " });
            digits::ipv4(out, dst);
            s(out, " unreachable - admin prohibited");
            if code == 13 {
                s(out, " filter");
            }
        }
        _ => {
            digits::ipv4(out, dst);
            s(out, " unreachable - code ");
            n(out, code);
        }
    }
}

/// Redirect: the quoted packet's destination, then the gateway to use for it (`gw`, the ICMP
/// header's bytes 5-8).
fn redirect(out: &mut Vec<u8>, code: u8, q: &[u8], gw: [u8; 4]) {
    s(
        out,
        match code {
            0 | 1 => "redirect ",
            2 | 3 => "redirect-tos ",
            _ => "redirect-#",
        },
    );
    if code > 3 {
        n(out, code);
        out.push(b' ');
    }
    digits::ipv4(out, [q[16], q[17], q[18], q[19]]);
    s(
        out,
        match code {
            0 | 2 => " to net ",
            1 | 3 => " to host ",
            _ => " to ",
        },
    );
    digits::ipv4(out, gw);
}

/// -v: tcpdump's note when the checksum over the message (`rest`, `len` bytes) is wrong.
fn check_sum(out: &mut Vec<u8>, i: &etherparse::Icmpv4Slice<'_>, rest: &[u8], len: u32) {
    if let Some(b) = rest.get(..len as usize) {
        let sum = cksum::plain(b);
        if sum != 0 {
            let field = i.checksum();
            s(out, " (wrong icmp cksum ");
            digits::hex(out, u64::from(field));
            s(out, " (->");
            digits::hex(out, u64::from(cksum::should_be(field, sum)));
            s(out, ")!)");
        }
    }
}

/// RFC 4884 extensions start this far into an ICMP message: 8 bytes of header, 128 quoted.
const EXT_AT: usize = 136;

/// RFC 4884 extensions after the quoted packet, as print-icmp.c reads them: when the length
/// field is 0 (Linux) the area is taken for extensions only if its checksum holds.
fn extensions(out: &mut Vec<u8>, icmp: &[u8], plen: u32) {
    // tcpdump first wants its whole extension structure (header, 128 bytes, 5 more).
    if icmp.len() < EXT_AT + 5 {
        return trunc(out, "icmp");
    }
    let ext = &icmp[EXT_AT..];
    let hlen = plen as usize - EXT_AT;
    if icmp[5] == 0 && ext.len() >= hlen && cksum::plain(&ext[..hlen]) != 0 {
        return;
    }
    let version = ext[0] >> 4;
    s(out, "\n\tICMP Multi-Part extension v");
    n(out, version);
    if version != 2 {
        return s(out, " packet not supported");
    }
    if ext.len() >= hlen {
        s(out, ", checksum 0x");
        digits::hex_padded(out, u64::from(u16::from_be_bytes([ext[2], ext[3]])), 4);
        s(
            out,
            if cksum::plain(&ext[..hlen]) != 0 {
                " (incorrect)"
            } else {
                " (correct)"
            },
        );
        s(out, ", length ");
        n(out, hlen as u32);
    }
    let mut left = hlen.saturating_sub(4);
    let mut at = 4;
    while left > 4 {
        let Some(h) = ext.get(at..at + 4) else {
            return trunc(out, "icmp");
        };
        let (tlen, class, ctype) = (usize::from(u16::from_be_bytes([h[0], h[1]])), h[2], h[3]);
        s(out, "\n\t  ");
        s(
            out,
            if class == 1 {
                "MPLS Stack Entry"
            } else {
                "unknown"
            },
        );
        s(out, " Object (");
        n(out, class);
        s(out, "), Class-Type: ");
        n(out, ctype);
        s(out, ", length ");
        n(out, tlen as u32);
        left -= 4;
        if class == 0 || tlen < 4 {
            return;
        }
        let body_len = tlen - 4;
        at += 4;
        let body = &ext[at.min(ext.len())..(at + body_len).min(ext.len())];
        if class == 1 && ctype == 1 {
            let Some(l) = body.get(..4) else {
                return trunc(out, "icmp");
            };
            let l = u32::from_be_bytes([l[0], l[1], l[2], l[3]]);
            s(out, "\n\t    label ");
            n(out, l >> 12);
            super::mpls::label_fields(out, l);
        } else {
            dump::hex_after(out, body, "\n\t    ");
        }
        if left < body_len {
            break;
        }
        left -= body_len;
        at += body_len;
    }
}

/// The quoted IPv4 packet, cut at its own total length (extensions may follow it).
fn quoted(out: &mut Vec<u8>, p: &[u8], opts: &PrintOptions, st: &mut super::State) {
    s(out, "\n\t");
    let Some(iplen) = be16(p, 2) else {
        return trunc(out, "icmp");
    };
    let data = &p[..p.len().min(usize::from(iplen))];
    tunnel::ip(out, data, u32::from(iplen), false, opts, st);
}

/// Whether tcpdump gave up on this cut ICMP message (`b`: the bytes captured from its header
/// on) by a long jump, after which it dumps the frame from its first byte, rather than by a
/// bounds check that keeps the link header out of the dump. print-icmp.c reads most fields
/// with jumping getters, but checks the quoted protocol of a port unreachable, the quoted
/// destination of a time exceeded and the timestamps first.
pub(super) fn cut_jumps(b: &[u8]) -> bool {
    let &[t, code, ..] = b else {
        return true;
    };
    let header_cut = match (t, code) {
        (0 | 8 | 15 | 16, _) => Some((b.len() < 8, true)),
        (17 | 18, _) => Some((b.len() < 12, true)),
        (3, 3) if b.len() < 18 => Some((true, false)),
        (3, 3) => {
            let ihl = usize::from(b[8] & 0x0f) * 4;
            Some((b.len() < 8 + ihl + 4, true))
        }
        (3 | 5, _) => Some((b.len() < 28, true)),
        (11, _) => Some((b.len() < 28, false)),
        (12, 0) => Some((b.len() < 5, true)),
        (13 | 14, _) => Some((b.len() < 20, false)),
        _ => None,
    };
    match header_cut {
        Some((true, jumps)) => jumps,
        // Under -v an error's quoted packet follows: its length is read by a jumping getter;
        // the extensions after it are bounds-checked.
        _ => b.len() < 12,
    }
}

/// A header cut before its eighth byte, true when printed: tcpdump still names a source
/// quench or a parameter problem, which need nothing past the pointer; under -v the
/// quoted packet it then looks for is cut.
pub(super) fn cut(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions) -> bool {
    let (t, code) = match b {
        [t, c, ..] => (*t, *c),
        _ => return false,
    };
    match (t, code) {
        (4, _) => s(out, "ICMP source quench"),
        (12, 1..) => {
            s(out, "ICMP parameter problem - code ");
            n(out, code);
        }
        (12, 0) if b.len() > 4 => {
            s(out, "ICMP parameter problem - octet ");
            n(out, b[4]);
        }
        _ => return false,
    }
    s(out, ", length ");
    n(out, len);
    if opts.verbose > 0 {
        s(out, "\n\t [|icmp]");
    }
    true
}
