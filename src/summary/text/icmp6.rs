//! ICMPv6 (print-icmp6.c).

use super::{cksum, n, s};
use crate::summary::decode::Ip;
use crate::summary::PrintOptions;
use crate::summary::{decode, names, put};

fn v6_at(p: &[u8], at: usize) -> Option<[u8; 16]> {
    let b = p.get(at..at + 16)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Some(a)
}

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
    type_name(out, t);
    match t {
        1 => {
            s(out, ", ");
            s(out, names::icmp6_unreach_name(code));
            // The quoted packet: IPv6 header, then (without extension headers) UDP/TCP.
            let Some(dst) = v6_at(payload, 24) else {
                s(out, " [|icmp6]");
                return;
            };
            {
                let nh = payload[6];
                let dport = payload
                    .get(42..44)
                    .map(|p| u16::from_be_bytes([p[0], p[1]]));
                match (code, nh, dport) {
                    (4, 6 | 17, Some(p)) => {
                        s(out, ", ");
                        put::ipv6(out, dst);
                        s(out, if nh == 6 { " tcp port " } else { " udp port " });
                        n(out, p);
                    }
                    _ => {
                        out.push(b' ');
                        put::ipv6(out, dst);
                    }
                }
            }
        }
        2 => {
            s(out, ", mtu ");
            n(out, u32::from_be_bytes(b));
        }
        3 => {
            if code == 0 {
                let Some(dst) = v6_at(payload, 24) else {
                    s(out, " [|icmp6]");
                    return;
                };
                s(out, " for ");
                put::ipv6(out, dst);
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
        135 | 136 => match v6_at(payload, 0) {
            Some(tgt) => {
                s(out, if t == 135 { ", who has " } else { ", tgt is " });
                put::ipv6(out, tgt);
            }
            None => {
                s(out, " [|icmp6]");
                return;
            }
        },
        143 => {
            s(out, ", ");
            n(out, u16::from_be_bytes([b[2], b[3]]));
            s(out, " group record(s)");
        }
        _ => {}
    }
    s(out, ", length ");
    n(out, len);
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
pub(super) fn cut(out: &mut Vec<u8>, b: &[u8], len: u32) {
    type_name(out, b[0]);
    if b[0] == 1 && b.len() >= 2 {
        s(out, ", ");
        s(out, names::icmp6_unreach_name(b[1]));
    }
    // A router solicitation has nothing to show past its checksum.
    if b[0] == 133 && b.len() >= 4 {
        s(out, ", length ");
        n(out, len);
    } else {
        s(out, " [|icmp6]");
    }
}
