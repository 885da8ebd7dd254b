//! ICMP (print-icmp.c).

use super::{cksum, n, s};
use crate::summary::decode::Ip;
use crate::summary::PrintOptions;
use crate::summary::{decode, names, put};

/// The inner header an ICMP error quotes: (destination, protocol, destination port if there).
fn quoted_v4(p: &[u8]) -> Option<([u8; 4], u8, Option<u16>)> {
    if p.len() < 20 || p[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    let dport = p
        .get(ihl + 2..ihl + 4)
        .map(|b| u16::from_be_bytes([b[0], b[1]]));
    Some(([p[16], p[17], p[18], p[19]], p[9], dport))
}

#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    i: &etherparse::Icmpv4Slice<'_>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
) {
    let len = ip.payload_len;
    let (t, code, b) = (i.type_u8(), i.code_u8(), i.bytes5to8());
    // Error messages quote a header: tcpdump needs all of it (and, for an unreachable port,
    // the ports after it) or calls the packet cut.
    if matches!(t, 4 | 5 | 11 | 12) && i.payload().len() < 20 {
        s(out, " [|icmp]");
        return;
    }
    if t == 3 {
        match quoted_v4(i.payload()) {
            Some((_, _, None)) if code == 3 => {
                s(out, " [|icmp]");
                return;
            }
            None => {
                s(out, " [|icmp]");
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
            Some((dst, proto, dport)) => match code {
                0 => {
                    s(out, "net ");
                    put::ipv4(out, dst);
                    s(out, " unreachable");
                }
                1 => {
                    s(out, "host ");
                    put::ipv4(out, dst);
                    s(out, " unreachable");
                }
                2 => {
                    put::ipv4(out, dst);
                    s(out, " protocol ");
                    n(out, proto);
                    s(out, " unreachable");
                }
                3 => {
                    put::ipv4(out, dst);
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
                    put::ipv4(out, dst);
                    s(out, " unreachable - need to frag (mtu ");
                    n(out, u16::from_be_bytes([b[2], b[3]]));
                    out.push(b')');
                }
                9 | 10 | 13 => {
                    s(out, if code == 9 { "net " } else { "host " });
                    put::ipv4(out, dst);
                    s(out, " unreachable - admin prohibited");
                    if code == 13 {
                        s(out, " filter");
                    }
                }
                _ => {
                    put::ipv4(out, dst);
                    s(out, " unreachable - code ");
                    n(out, code);
                }
            },
            None => {
                s(out, "unreachable, code ");
                n(out, code);
            }
        },
        11 => s(
            out,
            if code == 0 {
                "time exceeded in-transit"
            } else {
                "ip reassembly time exceeded"
            },
        ),
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
        if let Some(b) = ip.rest.get(..len as usize) {
            let sum = cksum::plain(b);
            if sum != 0 {
                let field = i.checksum();
                s(out, " (wrong icmp cksum ");
                put::hex(out, u64::from(field));
                s(out, " (->");
                put::hex(out, u64::from(cksum::should_be(field, sum)));
                s(out, ")!)");
            }
        }
    }
}
