//! IPv4 and IPv6 (print-ip.c, print-ip6.c and the IPv6 extension headers), then the layer
//! above.

use super::{cksum, encap, icmp, icmp6, igmp, n, s, tcp, udp};
use crate::summary::decode::{self, Frame, Ip, Transport};
use crate::summary::PrintOptions;
use crate::summary::{names, put};
use etherparse::err::Layer;

fn proto_named(out: &mut Vec<u8>, p: u8) {
    s(out, names::ip_proto_name(p).unwrap_or("unknown"));
    s(out, " (");
    n(out, p);
    out.push(b')');
}

fn addr(out: &mut Vec<u8>, ip: &Ip<'_>, src: bool) {
    if ip.v6 {
        put::ipv6(out, if src { ip.src } else { ip.dst });
    } else {
        put::ipv4(out, if src { ip.src4() } else { ip.dst4() });
    }
}

fn ipv4_options(out: &mut Vec<u8>, mut o: &[u8]) {
    s(out, ", options (");
    let mut first = true;
    while let Some(&kind) = o.first() {
        if !first {
            out.push(b',');
        }
        first = false;
        let len = match kind {
            0 | 1 => 1,
            _ => o.get(1).map_or(0, |l| usize::from(*l)),
        };
        s(out, names::ipv4_option_name(kind));
        if kind == 0 {
            break;
        }
        if len < 2 && kind != 1 || len > o.len() {
            s(out, " [bad length]");
            break;
        }
        o = &o[len..];
    }
    out.push(b')');
}

/// An IPv6 routing header as print-rt6.c writes it, field by field as far as the bytes go;
/// false when tcpdump gives up on the packet there (cut, a type it does not know, an odd
/// length).
fn routing(out: &mut Vec<u8>, h: &[u8], verbose: bool) -> bool {
    let cut = |out: &mut Vec<u8>| {
        s(out, " [|rt6]");
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
    let count = match kind {
        0 | 2 => {
            if verbose {
                let Some(r) = h.get(4..8) else {
                    return cut(out);
                };
                s(out, ", rsv=0x");
                put::hex(out, u64::from(u32::from_be_bytes([r[0], r[1], r[2], r[3]])));
            }
            if len % 2 == 1 {
                s(out, " (invalid)");
                return false;
            }
            usize::from(len / 2)
        }
        4 => {
            let Some(&last) = h.get(4) else {
                return cut(out);
            };
            s(out, ", last-entry=");
            n(out, last);
            if verbose {
                let Some(&fl) = h.get(5) else {
                    return cut(out);
                };
                s(out, ", flags=0x");
                put::hex(out, u64::from(fl));
            }
            let Some(tag) = h.get(6..8) else {
                return cut(out);
            };
            s(out, ", tag=");
            put::hex(out, u64::from(u16::from_be_bytes([tag[0], tag[1]])));
            usize::from(last) + 1
        }
        _ => {
            s(out, " (unknown type) (invalid)");
            return false;
        }
    };
    for i in 0..count {
        let Some(a) = h.get(8 + 16 * i..8 + 16 * (i + 1)) else {
            return cut(out);
        };
        let mut addr = [0u8; 16];
        addr.copy_from_slice(a);
        s(out, ", [");
        n(out, i as u32);
        out.push(b']');
        put::ipv6(out, addr);
    }
    s(out, ") ");
    true
}

/// The IP part and everything above it.
#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    prefix: bool,
    st: &mut super::State,
) {
    let h = ip.header;
    if ip.v6 {
        if prefix {
            s(out, "IP6 ");
        }
        if opts.verbose > 0 && h.len() >= 40 {
            let tc = ((h[0] & 0x0f) << 4) | (h[1] >> 4);
            let flow = u32::from_be_bytes([0, h[1] & 0x0f, h[2], h[3]]);
            out.push(b'(');
            if tc != 0 {
                s(out, "class 0x");
                put::hex_padded(out, u64::from(tc), 2);
                s(out, ", ");
            }
            if flow != 0 {
                s(out, "flowlabel 0x");
                put::hex_padded(out, u64::from(flow), 5);
                s(out, ", ");
            }
            s(out, "hlim ");
            n(out, h[7]);
            s(out, ", next-header ");
            proto_named(out, h[6]);
            s(out, " payload length: ");
            n(out, u16::from_be_bytes([h[4], h[5]]));
            s(out, ") ");
        }
    } else {
        if prefix {
            s(out, "IP ");
        }
        if opts.verbose > 0 && h.len() >= 20 {
            s(out, "(tos 0x");
            put::hex(out, u64::from(h[1]));
            s(
                out,
                match h[1] & 3 {
                    1 => ",ECT(1)",
                    2 => ",ECT(0)",
                    3 => ",CE",
                    _ => "",
                },
            );
            if h[8] >= 1 {
                s(out, ", ttl ");
                n(out, h[8]);
            }
            s(out, ", id ");
            n(out, u16::from_be_bytes([h[4], h[5]]));
            s(out, ", offset ");
            n(out, ip.frag.map_or(0, |fr| fr.offset) * 8);
            s(out, ", flags [");
            let fl = h[6];
            if fl & 0xe0 == 0 {
                s(out, "none");
            } else {
                if fl & 0x80 != 0 {
                    s(out, "rsvd");
                }
                if fl & 0x40 != 0 {
                    s(out, "DF");
                }
                if fl & 0x20 != 0 {
                    out.push(b'+');
                }
            }
            s(out, "], proto ");
            proto_named(out, h[9]);
            s(out, ", length ");
            n(out, u16::from_be_bytes([h[2], h[3]]));
            if h.len() > 20 {
                ipv4_options(out, &h[20..]);
            }
            let sum = cksum::plain(h);
            if !opts.no_checksum && sum != 0 {
                let field = u16::from_be_bytes([h[10], h[11]]);
                s(out, ", bad cksum ");
                put::hex(out, u64::from(field));
                s(out, " (->");
                put::hex(out, u64::from(cksum::should_be(field, sum)));
                s(out, ")!");
            }
            s(out, ")\n    ");
        }
    }
    // tcpdump names IPv6 extension headers after the addresses, then the ports.
    let v6_frag = ip.v6 && !ip.ext.is_empty();
    let ports = if v6_frag { None } else { ip.ports() };
    addr(out, ip, true);
    if let Some((sp, _)) = ports {
        out.push(b'.');
        n(out, sp);
    }
    s(out, " > ");
    addr(out, ip, false);
    if let Some((_, dp)) = ports {
        out.push(b'.');
        n(out, dp);
    }
    s(out, ": ");
    if v6_frag || (ip.v6 && ip.ext_first == 44) {
        let mut walk = decode::ExtWalk {
            next: ip.ext_first,
            rest: ip.ext,
        };
        for (kind, h) in walk.by_ref() {
            match kind {
                0 => s(out, "HBH "),
                60 => s(out, "DSTOPT "),
                43 => {
                    if !routing(out, h, opts.verbose > 0) {
                        return;
                    }
                }
                44 => {
                    let w = u16::from_be_bytes([h[2], h[3]]);
                    s(out, "frag (");
                    n(out, u32::from(w >> 3) * 8);
                    out.push(b'|');
                    n(out, ip.payload_len);
                    s(out, ") ");
                }
                _ => s(out, "AH "),
            }
        }
        // A fragment header cut short still shows its offset, as in tcpdump.
        if walk.next == 44 && walk.rest.is_empty() {
            if let Some(h) = ip.rest.get(..4) {
                let off = u16::from_be_bytes([h[2], h[3]]) >> 3;
                s(out, "frag (");
                n(out, u32::from(off) * 8);
                out.push(b'|');
                n(out, ip.payload_len.saturating_sub(8));
                out.push(b')');
                if off == 0 {
                    s(out, " [|ip6]");
                }
                return;
            }
        }
        if let Some((sp, dp)) = ip.ports() {
            n(out, sp);
            s(out, " > ");
            n(out, dp);
            s(out, ": ");
        }
    }
    if let Some(fr) = ip.frag {
        if fr.offset != 0 {
            // IPv6: the `frag (offset|length)` note already said it all.
            if ip.v6 {
                out.pop();
            } else {
                s(out, "ip-proto-");
                n(out, ip.proto);
            }
            return;
        }
    }
    match &ip.transport {
        Transport::Tcp(t) => tcp::print(
            out,
            t,
            decode::tcp_len(t, ip.payload_len),
            ip,
            opts,
            &mut st.seqs,
        ),
        Transport::Udp(u) => udp::print(out, u, decode::udp_len(u, ip.payload_len), ip, opts, st),
        Transport::Icmp(i) => icmp::print(out, i, ip, opts, st),
        Transport::Icmp6(i) => icmp6::print(out, i, ip, opts),
        Transport::Igmp(g) => igmp::print(out, g.slice()),
        Transport::Cut(b) if ip.proto == 58 && !b.is_empty() => {
            icmp6::cut(out, b, ip.payload_len, opts.verbose)
        }
        Transport::Cut(b) if ip.proto == 1 && icmp::cut(out, b, ip.payload_len, opts) => {}
        Transport::Cut(_) => {
            // tcpdump: `a.p > b.q:  [|tcp]` when it read the ports, `a > b: [|tcp]` when not;
            // `a > b:  [|udp]`, `a > b:  [|icmp]`.
            if ip.proto == 6 && ports.is_none() && !v6_frag && out.last() == Some(&b' ') {
                out.pop();
            }
            s(out, " [|");
            s(out, names::transport_cut_name(ip.proto));
            out.push(b']');
        }
        Transport::Other => {
            if let Some(layer) = f.stop_layer() {
                // A routing header cut short: tcpdump prints the fields it has.
                if layer == Layer::Ipv6RouteHeader {
                    if ip.rest.is_empty() {
                        s(out, " [|ip6]");
                    } else {
                        routing(out, ip.rest, opts.verbose > 0);
                    }
                    return;
                }
                s(out, " [|");
                // print-frag6.c's name for its own cut (JSON keeps `frag`).
                s(
                    out,
                    match layer {
                        Layer::Ipv6FragHeader => "frag6",
                        _ => names::layer_name(layer),
                    },
                );
                out.push(b']');
            } else if !encap::ip_proto(out, ip, opts, st) {
                s(out, "ip-proto-");
                n(out, ip.proto);
                out.push(b' ');
                n(out, ip.payload_len);
            }
        }
    }
}
