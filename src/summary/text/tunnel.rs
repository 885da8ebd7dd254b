//! What the tunnel and label printers share (vxlan.rs, otv.rs, geneve.rs, gre.rs, mpls.rs):
//! the way in (by UDP port, by ethertype, by IP protocol as print-ip-demux.c), the inner frame
//! or packet decoded by the same code as an outer one, and a bound on how deep that nests.

use std::cell::Cell;

use super::{geneve, gre, mpls, n, otv, s, vxlan, State};
use crate::packet::Packet;
use crate::summary::decode::{self, Ip};
use crate::summary::kit::trunc;
use crate::summary::PrintOptions;
use crate::summary::{digits, names};

thread_local! {
    /// Tunnels inside tunnels: each level is a stack frame of the printers, and a crafted
    /// packet can nest thousands.
    static DEPTH: Cell<u8> = const { Cell::new(0) };
}

/// Real stacks nest two or three tunnels; past this the inner bytes are marked, not decoded.
const MAX_DEPTH: u8 = 8;

/// Runs `f`, the printer of an inner frame or packet, one level deeper; past `MAX_DEPTH` marks
/// the line instead.
pub(super) fn nested(out: &mut Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) {
    let d = DEPTH.with(Cell::get);
    if d >= MAX_DEPTH {
        trunc(out, "nested");
        return;
    }
    DEPTH.with(|c| c.set(d + 1));
    f(out);
    DEPTH.with(|c| c.set(d));
}

/// An Ethernet frame inside a tunnel (tcpdump's ether_print): `len` bytes on the wire, `data`
/// captured.
pub(super) fn ether(out: &mut Vec<u8>, data: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    nested(out, |out| {
        let lt = crate::link::LINKTYPE_ETHERNET;
        let pkt = Packet {
            iface: 0,
            ts_sec: 0,
            ts_nsec: 0,
            len,
            data,
        };
        let f = decode::decode(lt, data, len, None);
        super::summary(out, &f, &pkt, lt, opts, st);
    });
}

/// An IP packet inside a tunnel, with the checks tcpdump's ip_print/ip6_print make before
/// the header (they name the version unless `-e`).
pub(super) fn ip(
    out: &mut Vec<u8>,
    data: &[u8],
    len: u32,
    v6: bool,
    opts: &PrintOptions,
    st: &mut State,
) {
    let prefix = !opts.link_header;
    let version = data.first().map(|b| b >> 4);
    if v6 {
        if data.len() < 40 {
            return trunc(out, "ip6");
        }
        if len < 40 {
            s(out, "truncated-ip6 ");
            return n(out, len);
        }
        if prefix {
            s(out, "IP6 ");
        }
        if version != Some(6) {
            s(out, "version error: ");
            n(out, version.unwrap_or(0));
            return s(out, " != 6");
        }
    } else {
        match version {
            None => return trunc(out, "ip"),
            Some(4) => {}
            Some(6) => return s(out, "IP6, wrong link-layer encapsulation (invalid)"),
            Some(v) => {
                s(out, "IP");
                n(out, v);
                return s(out, " (invalid)");
            }
        }
        if prefix {
            s(out, "IP ");
        }
        if data.len() < 20 {
            return trunc(out, "ip");
        }
        if len < 20 {
            s(out, "truncated-ip ");
            return n(out, len);
        }
        let hlen = u32::from(data[0] & 0x0f) * 4;
        if hlen < 20 {
            s(out, "bad-hlen ");
            return n(out, hlen);
        }
    }
    nested(out, |out| {
        let lt = if v6 {
            crate::link::LINKTYPE_IPV6
        } else {
            crate::link::LINKTYPE_IPV4
        };
        let f = decode::decode(lt, data, len, None);
        match f.ip() {
            Some(ip) => super::ip::print(out, &f, &ip, opts, false, st),
            None => trunc(out, if v6 { "ip6" } else { "ip" }),
        }
    });
}

/// What tcpdump's ethertype_print does with the protocols a tunnel header names; false when
/// it is none of them.
fn by_ethertype(
    out: &mut Vec<u8>,
    et: u16,
    b: &[u8],
    len: u32,
    opts: &PrintOptions,
    st: &mut State,
) -> bool {
    match et {
        0x0800 => ip(out, b, len, false, opts, st),
        0x86dd => ip(out, b, len, true, opts, st),
        0x8847 | 0x8848 => mpls::print(out, b, len, opts, st),
        _ => return false,
    }
    true
}

/// The packet a tunnel header's protocol field names: what ethertype_print decodes, or an
/// Ethernet frame (Transparent Ethernet Bridging), else `NAME-proto-0x…`.
pub(super) fn payload(
    out: &mut Vec<u8>,
    prot: u16,
    inner: &[u8],
    len: u32,
    name: &str,
    opts: &PrintOptions,
    st: &mut State,
) {
    if !by_ethertype(out, prot, inner, len, opts, st) {
        if prot == 0x6558 {
            ether(out, inner, len, opts, st);
        } else {
            s(out, name);
            s(out, "-proto-0x");
            digits::hex(out, u64::from(prot));
        }
    }
}

/// `proto IPv4 (0x0800)` as the tunnel printers word it under `-e` ("unknown" in lower case).
pub(super) fn proto_e(out: &mut Vec<u8>, et: u16) {
    s(out, ", proto ");
    match names::ethertype_name(et) {
        "Unknown" => s(out, "unknown"),
        name => s(out, name),
    }
    s(out, " (");
    digits::hex16(out, et);
    out.push(b')');
}

/// The tunnels tcpdump decodes by UDP port (after DNS, which `udp.rs` handles first): true
/// when one was printed.
pub(super) fn udp(
    out: &mut Vec<u8>,
    sport: u16,
    dport: u16,
    b: &[u8],
    len: u32,
    opts: &PrintOptions,
    st: &mut State,
) -> bool {
    let port = |p| sport == p || dport == p;
    if port(otv::PORT) {
        otv::print(out, b, len, opts, st);
    } else if port(vxlan::PORT) {
        vxlan::print(out, b, len, opts, st);
    } else if port(geneve::PORT) {
        geneve::print(out, b, len, opts, st);
    } else {
        return false;
    }
    true
}

/// Frames whose ethertype names a tunnel or label stack nscap decodes (MPLS); true when
/// printed.
pub(super) fn link(
    out: &mut Vec<u8>,
    f: &decode::Frame<'_>,
    opts: &PrintOptions,
    st: &mut State,
) -> bool {
    let Some(p) = f.pkt.as_ref().and_then(|p| p.ether_payload()) else {
        return false;
    };
    let et = p.ether_type.0;
    if !matches!(et, 0x8847 | 0x8848) {
        return false;
    }
    let tags = f.vlans().count() as u32;
    let len = f.link_payload_len.saturating_sub(4 * tags);
    mpls::print(out, p.payload, len, opts, st);
    true
}

/// IP protocols that carry another packet (print-ip-demux.c): IP in IP, IPv6 in IP, GRE,
/// MPLS in IP. True when printed.
pub(super) fn ip_proto(
    out: &mut Vec<u8>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    st: &mut State,
) -> bool {
    let (b, len) = (ip.rest, ip.payload_len);
    match ip.proto {
        4 => self::ip(out, b, len, false, opts, st),
        41 => self::ip(out, b, len, true, opts, st),
        47 => gre::print(out, b, len, opts, st),
        137 => mpls::print(out, b, len, opts, st),
        _ => return false,
    }
    true
}
