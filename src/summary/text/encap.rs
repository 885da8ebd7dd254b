//! Tunnels and labels container networks wrap packets in, printed as tcpdump 4.99 prints them
//! (print-vxlan.c, print-otv.c, print-geneve.c, print-gre.c, print-mpls.c, print-ip-demux.c),
//! with the inner frame or packet decoded by the same code as an outer one.
//!
//! tcpdump's VXLAN and OTV printers end their header with a newline, so those lines are two;
//! that is kept, since people diff the output with tcpdump's.

use crate::summary::kit::{be16, be24, be32, trunc};
use std::cell::Cell;

use super::{n, s, State};
use crate::packet::Packet;
use crate::summary::decode::{self, Ip};
use crate::summary::PrintOptions;
use crate::summary::{names, put};

thread_local! {
    /// Tunnels inside tunnels: each level is a stack frame of the printers, and a crafted
    /// packet can nest thousands.
    static DEPTH: Cell<u8> = const { Cell::new(0) };
}

/// Real stacks nest two or three tunnels; past this the inner bytes are marked, not decoded.
const MAX_DEPTH: u8 = 8;

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

fn hex_byte(out: &mut Vec<u8>, b: u8) {
    s(out, "0x");
    put::byte_hex(out, b);
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
        0x8847 | 0x8848 => mpls(out, b, len, opts, st),
        _ => return false,
    }
    true
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
    if port(OTV_PORT) {
        otv(out, b, len, opts, st);
    } else if port(VXLAN_PORT) {
        vxlan(out, b, len, opts, st);
    } else if port(GENEVE_PORT) {
        geneve(out, b, len, opts, st);
    } else {
        return false;
    }
    true
}

/// tcpdump calls 8472 OTV (draft-hasmit-otv), the port flannel and Linux use for VXLAN: the
/// header is the same, the words differ.
pub const OTV_PORT: u16 = 8472;
pub const VXLAN_PORT: u16 = 4789;
pub const GENEVE_PORT: u16 = 6081;

fn vxlan(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "VXLAN");
    if len < 8 {
        s(out, " (invalid)");
        return;
    }
    let Some(flags) = b.first().copied() else {
        return trunc(out, "vxlan");
    };
    s(out, ", flags [");
    s(out, if flags & 0x08 != 0 { "I" } else { "invalid" });
    s(out, "] (");
    hex_byte(out, flags);
    s(out, "), ");
    let Some(vni) = be24(b, 4) else {
        return trunc(out, "vxlan");
    };
    s(out, "vni ");
    n(out, vni);
    out.push(b'\n');
    if b.len() < 8 {
        return trunc(out, "vxlan");
    }
    ether(out, &b[8..], len - 8, opts, st);
}

fn otv(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "OTV, ");
    if len < 8 {
        s(out, "[length ");
        n(out, len);
        s(out, " < 8] (invalid)");
        if (b.len() as u32) < len {
            trunc(out, "otv");
        }
        return;
    }
    let Some(flags) = b.first().copied() else {
        return trunc(out, "otv");
    };
    s(out, "flags [");
    s(out, if flags & 0x08 != 0 { "I" } else { "." });
    s(out, "] (");
    hex_byte(out, flags);
    s(out, "), ");
    let Some(overlay) = be24(b, 1) else {
        return trunc(out, "otv");
    };
    s(out, "overlay ");
    n(out, overlay);
    s(out, ", ");
    let Some(instance) = be24(b, 4) else {
        return trunc(out, "otv");
    };
    s(out, "instance ");
    n(out, instance);
    out.push(b'\n');
    if b.len() < 8 {
        return trunc(out, "otv");
    }
    ether(out, &b[8..], len - 8, opts, st);
}

fn geneve_class(c: u16) -> &'static str {
    match c {
        0x0100 => "Linux",
        0x0101 => "Open vSwitch",
        0x0102 => "Open Virtual Networking (OVN)",
        0x0103 => "In-band Network Telemetry (INT)",
        0x0104 => "VMware",
        0..=0x00ff => "Standard",
        0xfff0.. => "Experimental",
        _ => "Unknown",
    }
}

/// `proto IPv4 (0x0800)` as the tunnel printers word it under `-e` ("unknown" in lower case).
fn proto_e(out: &mut Vec<u8>, et: u16) {
    s(out, ", proto ");
    match names::ethertype_name(et) {
        "Unknown" => s(out, "unknown"),
        name => s(out, name),
    }
    s(out, " (");
    put::hex16(out, et);
    out.push(b')');
}

fn geneve(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "Geneve");
    if len < 8 {
        s(out, " [length ");
        n(out, len);
        s(out, " < 8] (invalid)");
        return;
    }
    let Some(h) = b.get(..8) else {
        return trunc(out, "geneve");
    };
    let version = h[0] >> 6;
    if version != 0 {
        s(out, " ERROR: unknown-version ");
        n(out, version);
        return;
    }
    let flags = h[1];
    let prot = u16::from_be_bytes([h[2], h[3]]);
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    s(out, ", Flags [");
    let mark = out.len();
    for (bit, name) in [
        (0x80, "O"),
        (0x40, "C"),
        (0x20, "R1"),
        (0x10, "R2"),
        (0x08, "R3"),
        (0x04, "R4"),
        (0x02, "R5"),
        (0x01, "R6"),
    ] {
        if flags & bit != 0 {
            s(out, name);
        }
    }
    if out.len() == mark {
        s(out, "none");
    }
    s(out, "], vni 0x");
    put::hex(out, u64::from(vni));
    if h[7] != 0 {
        s(out, ", rsvd 0x");
        put::hex(out, u64::from(h[7]));
    }
    if opts.link_header {
        proto_e(out, prot);
    }
    let opts_len = u32::from(h[0] & 0x3f) * 4;
    let len = len - 8;
    if len < opts_len {
        s(out, " truncated-geneve - ");
        n(out, opts_len - len);
        s(out, " bytes missing");
        return;
    }
    let Some(o) = b.get(8..8 + opts_len as usize) else {
        return trunc(out, "geneve");
    };
    if opts_len > 0 {
        s(out, ", options [");
        if opts.verbose > 0 {
            geneve_opts(out, o, opts.verbose);
        } else {
            n(out, opts_len);
            s(out, " bytes");
        }
        out.push(b']');
    }
    s(out, if opts.verbose < 1 { ": " } else { "\n\t" });
    let inner = &b[8 + opts_len as usize..];
    let len = len - opts_len;
    if !by_ethertype(out, prot, inner, len, opts, st) {
        if prot == 0x6558 {
            ether(out, inner, len, opts, st);
        } else {
            s(out, "geneve-proto-0x");
            put::hex(out, u64::from(prot));
        }
    }
}

fn geneve_opts(out: &mut Vec<u8>, mut o: &[u8], verbose: u8) {
    let mut first = true;
    while !o.is_empty() {
        if !first {
            s(out, ", ");
        }
        first = false;
        let (Some(class), Some(&typ), Some(&l)) = (be16(o, 0), o.get(2), o.get(3)) else {
            return trunc(out, "geneve");
        };
        let olen = 4 + usize::from(l & 0x1f) * 4;
        s(out, "class ");
        s(out, geneve_class(class));
        s(out, " (0x");
        put::hex(out, u64::from(class));
        s(out, ") type 0x");
        put::hex(out, u64::from(typ));
        if typ & 0x80 != 0 {
            s(out, "(C)");
        }
        s(out, " len ");
        n(out, olen as u64);
        if olen > o.len() {
            s(out, " [bad length]");
            return;
        }
        if verbose > 1 && olen > 4 {
            s(out, " data");
            for w in o[4..olen].chunks_exact(4) {
                out.push(b' ');
                for b in w {
                    put::byte_hex(out, *b);
                }
            }
        }
        o = &o[olen..];
    }
}

/// An MPLS label stack and what follows the bottom label (print-mpls.c).
pub(super) fn mpls(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    s(out, "MPLS");
    let (mut at, mut length, mut depth) = (0usize, len, 0u32);
    let label = loop {
        if length < 4 {
            s(out, " (invalid)");
            if (b.len().saturating_sub(at) as u32) < length {
                trunc(out, "mpls");
            }
            return;
        }
        let Some(e) = be32(b, at) else {
            return trunc(out, "mpls");
        };
        let label = e >> 12;
        s(
            out,
            if depth > 0 && opts.verbose > 0 {
                "\n\t(label "
            } else {
                " (label "
            },
        );
        n(out, label);
        depth += 1;
        if opts.verbose > 0 && label < 16 {
            const NAMES: [&str; 5] = [
                "IPv4 explicit NULL",
                "router alert",
                "IPv6 explicit NULL",
                "implicit NULL",
                "rsvd",
            ];
            s(out, " (");
            s(out, NAMES[(label as usize).min(4)]);
            out.push(b')');
        }
        s(out, ", tc ");
        n(out, (e >> 9) & 7);
        if e & 0x100 != 0 {
            s(out, ", [S]");
        }
        s(out, ", ttl ");
        n(out, e & 0xff);
        out.push(b')');
        at += 4;
        length -= 4;
        if e & 0x100 != 0 {
            break label;
        }
    };
    let rest = &b[at..];
    let v6 = match label {
        0 | 3 => false,
        2 => true,
        _ => {
            if length < 1 {
                return;
            }
            let Some(&first) = rest.first() else {
                return trunc(out, "mpls");
            };
            match first {
                0x45..=0x4f => false,
                0x60..=0x6f => true,
                // OSI and unknown payloads: tcpdump dumps them in hex, which nscap leaves out.
                _ => return,
            }
        }
    };
    s(out, if opts.verbose > 0 { "\n\t" } else { " " });
    ip(out, rest, length, v6, opts, st);
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
    mpls(out, p.payload, len, opts, st);
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
        47 => gre(out, b, len, opts, st),
        137 => mpls(out, b, len, opts, st),
        _ => return false,
    }
    true
}

const GRE_CP: u16 = 0x8000;
const GRE_RP: u16 = 0x4000;
const GRE_KP: u16 = 0x2000;
const GRE_SP: u16 = 0x1000;
const GRE_SSR: u16 = 0x0800;
const GRE_AP: u16 = 0x0080;

fn gre(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions, st: &mut State) {
    if gre_body(out, b, len, opts, st).is_none() {
        trunc(out, "gre");
    }
}

fn gre_flags(out: &mut Vec<u8>, flags: u16) {
    s(out, ", Flags [");
    let mark = out.len();
    for (bit, name) in [
        (GRE_CP, "checksum present"),
        (GRE_RP, "routing present"),
        (GRE_KP, "key present"),
        (GRE_SP, "sequence# present"),
        (GRE_SSR, "source routing present"),
        (GRE_AP, "ack present"),
    ] {
        if flags & bit != 0 {
            if out.len() != mark {
                s(out, ", ");
            }
            s(out, name);
        }
    }
    if out.len() == mark {
        s(out, "none");
    }
    out.push(b']');
}

/// Reads a field of `n` bytes at `at` where tcpdump checks both the capture and the GRE
/// length: None is its truncation.
fn field(b: &[u8], at: usize, len: u32, need: u32) -> Option<&[u8]> {
    let v = b.get(at..at + need as usize)?;
    (len >= need).then_some(v)
}

fn gre_body(
    out: &mut Vec<u8>,
    b: &[u8],
    length: u32,
    opts: &PrintOptions,
    st: &mut State,
) -> Option<()> {
    let flags = be16(b, 0)?;
    if length < 2 {
        return None;
    }
    let vers = flags & 7;
    s(out, "GREv");
    n(out, vers);
    if vers > 1 {
        s(out, " ERROR: unknown-version");
        return Some(());
    }
    let v = opts.verbose > 0;
    if v {
        gre_flags(out, flags);
    }
    let (mut at, mut len) = (2usize, length - 2);
    let p = field(b, at, len, 2)?;
    let prot = u16::from_be_bytes([p[0], p[1]]);
    at += 2;
    len -= 2;
    let word = |at: usize, len: u32| {
        field(b, at, len, 4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    };
    if vers == 1 {
        if flags & GRE_KP != 0 {
            let k = word(at, len)?;
            s(out, ", call ");
            n(out, k & 0xffff);
            at += 4;
            len -= 4;
        }
        if flags & GRE_SP != 0 {
            let q = word(at, len)?;
            s(out, ", seq ");
            n(out, q);
            at += 4;
            len -= 4;
        }
        if flags & GRE_AP != 0 {
            let a = word(at, len)?;
            s(out, ", ack ");
            n(out, a);
            at += 4;
            len -= 4;
        }
        if flags & GRE_SP == 0 {
            s(out, ", no-payload");
        }
        if opts.link_header {
            proto_e(out, prot);
        }
        s(out, ", length ");
        n(out, length);
        if flags & GRE_SP == 0 {
            return Some(());
        }
        s(out, if v { "\n\t" } else { ": " });
        // PPP inside PPTP's GRE: not decoded.
        s(out, "gre-proto-0x");
        put::hex(out, u64::from(prot));
        let _ = (at, len);
        return Some(());
    }
    if flags & (GRE_CP | GRE_RP) != 0 {
        let sum = field(b, at, len, 2)?;
        if v {
            s(out, ", sum 0x");
            put::hex(out, u64::from(u16::from_be_bytes([sum[0], sum[1]])));
        }
        at += 2;
        len -= 2;
        let off = field(b, at, len, 2)?;
        s(out, ", off 0x");
        put::hex(out, u64::from(u16::from_be_bytes([off[0], off[1]])));
        at += 2;
        len -= 2;
    }
    if flags & GRE_KP != 0 {
        let k = word(at, len)?;
        s(out, ", key=0x");
        put::hex(out, u64::from(k));
        at += 4;
        len -= 4;
    }
    if flags & GRE_SP != 0 {
        let q = word(at, len)?;
        s(out, ", seq ");
        n(out, q);
        at += 4;
        len -= 4;
    }
    if flags & GRE_RP != 0 {
        loop {
            let h = field(b, at, len, 4)?;
            let af = u16::from_be_bytes([h[0], h[1]]);
            let (sreoff, srelen) = (h[2], h[3]);
            at += 4;
            len -= 4;
            if af == 0 && srelen == 0 {
                break;
            }
            sre(out, af, sreoff, srelen, b.get(at..)?, len)?;
            if len < u32::from(srelen) {
                return None;
            }
            at += usize::from(srelen);
            len -= u32::from(srelen);
        }
    }
    if opts.link_header {
        proto_e(out, prot);
    }
    s(out, ", length ");
    n(out, length);
    s(out, if v { "\n\t" } else { ": " });
    let inner = b.get(at..).unwrap_or(&[]);
    if !by_ethertype(out, prot, inner, len, opts, st) {
        if prot == 0x6558 {
            ether(out, inner, len, opts, st);
        } else {
            s(out, "gre-proto-0x");
            put::hex(out, u64::from(prot));
        }
    }
    Some(())
}

/// A source route entry (RFC 1701): IPv4 addresses or AS numbers, `*` at the offset.
fn sre(out: &mut Vec<u8>, af: u16, off: u8, slen: u8, b: &[u8], mut len: u32) -> Option<()> {
    let unit = match af {
        0x0800 => {
            s(out, ", (rtaf=ip");
            4u8
        }
        0xfffe => {
            s(out, ", (rtaf=asn");
            2
        }
        _ => {
            s(out, ", (rtaf=0x");
            put::hex(out, u64::from(af));
            out.push(b')');
            return Some(());
        }
    };
    let ok = (|| {
        if off % unit != 0 {
            s(out, ", badoffset=");
            n(out, off);
            return Some(());
        }
        if slen % unit != 0 {
            s(out, ", badlength=");
            n(out, slen);
            return Some(());
        }
        if off >= slen {
            s(out, ", badoff/len=");
            n(out, off);
            out.push(b'/');
            n(out, slen);
            return Some(());
        }
        let mut at = 0usize;
        while at < usize::from(slen) {
            let e = field(b, at, len, u32::from(unit))?;
            out.push(b' ');
            if at == usize::from(off) {
                out.push(b'*');
            }
            if unit == 4 {
                put::ipv4(out, [e[0], e[1], e[2], e[3]]);
            } else {
                put::hex(out, u64::from(u16::from_be_bytes([e[0], e[1]])));
            }
            at += usize::from(unit);
            len -= u32::from(unit);
        }
        Some(())
    })();
    out.push(b')');
    ok
}

/// `-e` on NFLOG: `version 0, resource ID 1, family IPv4 (2), length 120: `; -q names the
/// family alone (print-nflog.c).
pub(super) fn nflog_header(out: &mut Vec<u8>, family: u8, rid: u16, wire_len: u32, quick: bool) {
    s(out, "version 0, resource ID ");
    n(out, rid);
    let name = match family {
        2 => "IPv4",
        10 => "IPv6",
        _ => "",
    };
    if quick {
        s(out, ", ");
        if name.is_empty() {
            s(out, "Unknown NFLOG (0x");
            put::byte_hex(out, family);
            out.push(b')');
        } else {
            s(out, name);
        }
    } else {
        s(out, ", family ");
        s(out, if name.is_empty() { "Unknown" } else { name });
        s(out, " (");
        n(out, family);
        out.push(b')');
    }
    s(out, ", length ");
    n(out, wire_len);
    s(out, ": ");
}
