//! IPv4 and IPv6 (print-ip.c, print-ip6.c and the IPv6 extension headers), then the layer
//! above.

mod v6;

use v6::{v6_exts, Chain};

use super::{cksum, icmp, icmp6, igmp, ipsec, n, s, tcp, tunnel, udp};
use crate::summary::decode::{self, Frame, Ip, Transport};
use crate::summary::kit::trunc;
use crate::summary::PrintOptions;
use crate::summary::{digits, names};
use etherparse::err::Layer;

/// tcpdump's ipproto_values, the names its -v header line uses (other than `names`' for
/// flows: `Fragment`, and none for 59 and 60).
fn ipproto_value(p: u8) -> &'static str {
    match p {
        0 => "Options",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        8 => "EGP",
        9 => "IGRP",
        17 => "UDP",
        33 => "DCCP",
        41 => "IPv6",
        43 => "Routing",
        44 => "Fragment",
        46 => "RSVP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        55 => "Mobile IP",
        58 => "ICMPv6",
        62 => "Mobile IP (old)",
        88 => "EIGRP",
        89 => "OSPF",
        103 => "PIM",
        108 => "Compressed IP",
        112 => "VRRP",
        113 => "PGM",
        132 => "SCTP",
        135 => "Mobility",
        143 => "Ethernet",
        _ => "unknown",
    }
}

fn proto_named(out: &mut Vec<u8>, p: u8) {
    s(out, ipproto_value(p));
    s(out, " (");
    n(out, p);
    out.push(b')');
}

fn addr(out: &mut Vec<u8>, ip: &Ip<'_>, src: bool) {
    if ip.v6 {
        digits::ipv6(out, if src { ip.src } else { ip.dst });
    } else {
        digits::ipv4(out, if src { ip.src4() } else { ip.dst4() });
    }
}

/// How print-ip.c's option list ends.
enum OptEnd {
    Done,
    /// A bounds check failed (` [truncated-option]`, then the line ends after the addresses).
    Cut,
    /// A getter failed: the long jump's ` [|ip]`, there.
    Jump,
}

/// ip_optprint: `o` the option bytes captured, `declared` of them by the header length.
fn ipv4_options(out: &mut Vec<u8>, o: &[u8], declared: usize) -> OptEnd {
    let mut at = 0;
    while at < declared {
        if at > 0 {
            out.push(b',');
        }
        let Some(&kind) = o.get(at) else {
            return OptEnd::Jump;
        };
        match names::ipv4_option_name(kind) {
            Some(name) => s(out, name),
            None => {
                s(out, "unknown ");
                n(out, kind);
            }
        }
        let len = if kind <= 1 {
            1
        } else {
            let Some(&l) = o.get(at + 1) else {
                return OptEnd::Jump;
            };
            let l = usize::from(l);
            if l < 2 {
                bad(out, " [bad length ", l as u64);
                return OptEnd::Done;
            }
            l
        };
        if len > declared - at {
            bad(out, " [bad length ", len as u64);
            return OptEnd::Done;
        }
        let Some(opt) = o.get(at..at + len) else {
            return OptEnd::Cut;
        };
        match kind {
            0 => return OptEnd::Done,
            68 if !timestamps(out, opt, &o[at..]) => return OptEnd::Cut,
            7 | 131 | 137 if !route(out, opt, &o[at..]) => return OptEnd::Cut,
            148 if len < 4 => bad(out, " [bad length ", len as u64),
            148 => {
                let v = u16::from_be_bytes([opt[2], opt[3]]);
                if v != 0 {
                    s(out, " value ");
                    n(out, v);
                }
            }
            _ => {}
        }
        at += len;
    }
    OptEnd::Done
}

/// ip-print.c's notes on a malformed option: `PREFIX` (` [bad length `, `[bad ptr `…), the
/// value, `]`.
fn bad(out: &mut Vec<u8>, prefix: &str, v: impl Into<u64>) {
    s(out, prefix);
    n(out, v);
    out.push(b']');
}

/// ip_printroute: the addresses of a record or source route option, a comma after each one
/// the pointer has passed. `more`: the captured bytes from the option on (a malformed length
/// reads past it). False: cut.
fn route(out: &mut Vec<u8>, opt: &[u8], more: &[u8]) -> bool {
    let length = opt.len() as u32;
    if length < 3 {
        bad(out, " [bad length ", length);
        return true;
    }
    if (length + 1) & 3 != 0 {
        bad(out, " [bad length ", length);
    }
    let ptr = u32::from(opt[2]).wrapping_sub(1);
    if ptr < 3 || (ptr.wrapping_add(1)) & 3 != 0 || ptr > length + 1 {
        bad(out, " [bad ptr ", opt[2]);
    }
    let mut len = 3;
    while len < length {
        let Some(a) = more.get(len as usize..len as usize + 4) else {
            return false;
        };
        out.push(b' ');
        digits::ipv4(out, [a[0], a[1], a[2], a[3]]);
        if ptr > len {
            out.push(b',');
        }
        len += 4;
    }
    true
}

/// ip_printts: ` TS{TSONLY ^ 1@ 2@}` and its notes. False: cut.
fn timestamps(out: &mut Vec<u8>, opt: &[u8], more: &[u8]) -> bool {
    let length = opt.len() as u32;
    if length < 4 {
        bad(out, "[bad length ", length);
        return true;
    }
    s(out, " TS{");
    let flags = opt[3];
    let hoplen: u32 = if flags & 0x0f != 0 { 8 } else { 4 };
    if (length - 4) & (hoplen - 1) != 0 {
        bad(out, "[bad length ", length);
    }
    let ptr = u32::from(opt[2]).wrapping_sub(1);
    let mut len = 0;
    if ptr < 4 || ptr.wrapping_sub(4) & (hoplen - 1) != 0 || ptr > length + 1 {
        bad(out, "[bad ptr ", opt[2]);
    }
    let known = match flags & 0x0f {
        0 => Some("TSONLY"),
        1 => Some("TS+ADDR"),
        3 => Some("PRESPEC"),
        _ => None,
    };
    match known {
        Some(name) => {
            s(out, name);
            len = 4;
            while len < length {
                let sep = if ptr == len { " ^ " } else { " " };
                let Some(e) = more.get(len as usize..(len + hoplen) as usize) else {
                    return false;
                };
                s(out, sep);
                let h = hoplen as usize;
                n(
                    out,
                    u32::from_be_bytes([e[h - 4], e[h - 3], e[h - 2], e[h - 1]]),
                );
                out.push(b'@');
                if hoplen == 8 {
                    digits::ipv4(out, [e[0], e[1], e[2], e[3]]);
                }
                len += hoplen;
            }
        }
        None => {
            s(out, "[bad ts type ");
            n(out, flags & 0x0f);
            out.push(b']');
        }
    }
    if ptr == len {
        s(out, " ^ ");
    }
    if flags >> 4 != 0 {
        s(out, " [");
        n(out, flags >> 4);
        s(out, " hops not recorded]} ");
    } else {
        out.push(b'}');
    }
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
    // The IP packet's bytes on the wire, for tcpdump's note when its length field says more.
    let wire = f
        .link_payload_len
        .saturating_sub(4 * f.vlans().count() as u32);
    if ip.v6 {
        v6_header(out, ip.header, wire, opts, prefix);
    } else if !v4_header(out, ip, wire, opts, prefix) {
        return;
    }
    let h = ip.header;
    // tcpdump names IPv6 extension headers after the addresses, then the ports.
    let v6_frag = ip.v6 && !ip.ext.is_empty();
    // IPv4's authentication header comes between the addresses and the ports, as IPv6's
    // extension headers do (not on later fragments, printed without the layers above).
    let v4_ah = !ip.v6 && h[9] == 51 && ip.frag.is_none_or(|fr| fr.offset == 0);
    let chained = v6_frag || v4_ah;
    let jumbo;
    let mut ip = ip;
    let ports = if chained { None } else { ip.ports() };
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
    if v4_ah {
        // etherparse took a whole header; a cut one is where the payload starts.
        let b = if ip.ext.is_empty() { ip.rest } else { ip.ext };
        if ipsec::ah(out, b, opts.verbose > 0).is_none() || ip.ext.is_empty() {
            return;
        }
        chained_ports(out, ip);
    }
    if ip.v6 && (v6_frag || matches!(ip.ext_first, 0 | 43 | 44 | 51 | 60)) {
        match v6_exts(out, ip, opts.verbose, wire) {
            Chain::Stop => return,
            Chain::Go => {}
            Chain::Jumbo(len) => {
                jumbo = Ip {
                    payload_len: len,
                    ..ip.clone()
                };
                ip = &jumbo;
            }
        }
        chained_ports(out, ip);
    }
    if let Some(fr) = ip.frag {
        if fr.offset != 0 && !ip.v6 {
            s(out, "ip-proto-");
            n(out, ip.proto);
            return;
        }
    }
    // print-ip-demux.c's words for "nothing follows", after any header chain.
    if ip.proto == 59 && matches!(ip.transport, Transport::Other) && f.stop_layer().is_none() {
        s(out, "no next header");
        return;
    }
    // ICMP and IGMP belong to IPv4, ICMPv6 to IPv6: print-ip-demux.c rejects the others.
    if matches!((ip.v6, ip.proto), (true, 1 | 2) | (false, 58)) {
        out.push(b'[');
        s(out, ipproto_value(ip.proto));
        s(
            out,
            if ip.v6 {
                " requires IPv4]"
            } else {
                " requires IPv6]"
            },
        );
        s(out, " (invalid)");
        return;
    }
    above(out, f, ip, opts, st, ports.is_some(), chained);
}

/// `sport > dport: ` after a header between the addresses and the ports.
#[inline]
fn chained_ports(out: &mut Vec<u8>, ip: &Ip<'_>) {
    if let Some((sp, dp)) = ip.ports() {
        n(out, sp);
        s(out, " > ");
        n(out, dp);
        s(out, ": ");
    }
}

/// `IP6 `, tcpdump's note on a packet shorter than its payload length says, and with -v the
/// header's fields in parentheses.
#[inline]
fn v6_header(out: &mut Vec<u8>, h: &[u8], wire: u32, opts: &PrintOptions, prefix: bool) {
    if prefix {
        s(out, "IP6 ");
    }
    let plen = u32::from(u16::from_be_bytes([h[4], h[5]]));
    if plen != 0 && wire < plen + 40 {
        s(out, "truncated-ip6 - ");
        n(out, plen + 40 - wire);
        s(out, " bytes missing!");
    }
    if opts.verbose > 0 && h.len() >= 40 {
        let tc = ((h[0] & 0x0f) << 4) | (h[1] >> 4);
        let flow = u32::from_be_bytes([0, h[1] & 0x0f, h[2], h[3]]);
        out.push(b'(');
        if tc != 0 {
            s(out, "class 0x");
            digits::hex_padded(out, u64::from(tc), 2);
            s(out, ", ");
        }
        if flow != 0 {
            s(out, "flowlabel 0x");
            digits::hex_padded(out, u64::from(flow), 5);
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
}

/// `IP `, tcpdump's note on a packet shorter than its total length says, and with -v the
/// header's fields in parentheses; false when the line ends there (a header cut in its
/// options).
#[inline]
fn v4_header(out: &mut Vec<u8>, ip: &Ip<'_>, wire: u32, opts: &PrintOptions, prefix: bool) -> bool {
    let h = ip.header;
    if prefix {
        s(out, "IP ");
    }
    // `header` holds what was captured of it: all, or (cut in its options) 20 bytes and more.
    let hlen = usize::from(h[0] & 0x0f) * 4;
    let total = u32::from(u16::from_be_bytes([h[2], h[3]]));
    if wire < total {
        s(out, "truncated-ip - ");
        n(out, total - wire);
        s(out, " bytes missing! ");
    }
    // A total length shorter than the header (0 included: this tcpdump is built without
    // GUESS_TSO) ends the line before anything else of the packet.
    if total < hlen as u32 {
        s(out, "bad-len ");
        n(out, total);
        super::returned();
        return false;
    }
    if opts.verbose > 0 && h.len() >= 20 && !v4_verbose(out, ip, hlen, opts) {
        return false;
    }
    // A header cut inside its options, unless a later fragment (printed without it).
    if h.len() < hlen && ip.frag.is_none_or(|fr| fr.offset == 0) {
        if !matches!(ip.proto, 6 | 17 | 33 | 132) {
            addr(out, ip, true);
            s(out, " > ");
            addr(out, ip, false);
            s(out, ": ");
        }
        s(out, " [remaining caplen(");
        n(out, h.len() as u64);
        s(out, ") < header length(");
        n(out, hlen as u64);
        s(out, ")] [|ip]");
        crate::summary::text::long_jump();
        return false;
    }
    true
}

/// -v's `(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)` and the
/// line break after it; false when the line ends there (options cut).
fn v4_verbose(out: &mut Vec<u8>, ip: &Ip<'_>, hlen: usize, opts: &PrintOptions) -> bool {
    let h = ip.header;
    s(out, "(tos 0x");
    digits::hex(out, u64::from(h[1]));
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
        // bittok2str: ip_frag_values' order, joined by ", ".
        let mut sep = "";
        for (bit, name) in [(0x20, "+"), (0x40, "DF"), (0x80, "rsvd")] {
            if fl & bit != 0 {
                s(out, sep);
                s(out, name);
                sep = ", ";
            }
        }
    }
    s(out, "], proto ");
    proto_named(out, h[9]);
    s(out, ", length ");
    n(out, u16::from_be_bytes([h[2], h[3]]));
    let mut end = OptEnd::Done;
    if hlen > 20 {
        s(out, ", options (");
        end = ipv4_options(out, &h[20..], hlen - 20);
        match end {
            OptEnd::Jump => {
                trunc(out, "ip");
                crate::summary::text::long_jump();
                return false;
            }
            OptEnd::Cut => s(out, " [truncated-option]"),
            OptEnd::Done => {}
        }
        out.push(b')');
    }
    let sum = cksum::plain(h);
    if !opts.no_checksum && h.len() >= hlen && sum != 0 {
        let field = u16::from_be_bytes([h[10], h[11]]);
        s(out, ", bad cksum ");
        digits::hex(out, u64::from(field));
        s(out, " (->");
        digits::hex(out, u64::from(cksum::should_be(field, sum)));
        s(out, ")!");
    }
    s(out, ")\n    ");
    if matches!(end, OptEnd::Cut) {
        addr(out, ip, true);
        s(out, " > ");
        addr(out, ip, false);
        s(out, ":  [|ip]");
        super::returned();
        return false;
    }
    true
}

/// The layer above IP. `ported`: the addresses were printed with ports; `chained`: a header
/// came between them and this layer.
#[inline]
fn above(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    st: &mut super::State,
    ported: bool,
    chained: bool,
) {
    match &ip.transport {
        Transport::Tcp(t) => tcp::print(
            out,
            t,
            decode::tcp_len(t, ip.payload_len),
            ip,
            opts,
            &mut st.seqs,
        ),
        Transport::Udp(u) => udp::print(out, u, ip, opts, st),
        Transport::Icmp(i) => icmp::print(out, i, ip, opts, st),
        Transport::Icmp6(i) => icmp6::print(out, i, ip, opts),
        Transport::Igmp(_) => igmp::print(out, ip.rest, ip.payload_len, opts),
        Transport::Cut(b) if ip.proto == 2 => igmp::print(out, b, ip.payload_len, opts),
        Transport::Cut(b) if ip.proto == 6 && b.len() >= 20 => {
            tcp::cut(out, b, ip, opts, &mut st.seqs)
        }
        Transport::Cut(b) if ip.proto == 17 && udp::cut(out, b, ip) => {}
        Transport::Cut(b) if ip.proto == 58 && !b.is_empty() => {
            icmp6::cut(out, b, ip.payload_len, opts.verbose)
        }
        Transport::Cut(b) if ip.proto == 1 && icmp::cut(out, b, ip.payload_len, opts) => {}
        Transport::Cut(_) => {
            // tcpdump: `a.p > b.q:  [|tcp]` when it read the ports, `a > b: [|tcp]` when not;
            // `a > b:  [|udp]`, `a > b:  [|icmp]`.
            // After IPv6 extension headers, print-tcp.c names the addresses again.
            if ip.proto == 6 && ip.ports().is_none() && chained {
                addr(out, ip, true);
                s(out, " > ");
                addr(out, ip, false);
                out.push(b':');
            } else if ip.proto == 6 && !ported && !chained && out.last() == Some(&b' ') {
                out.pop();
            }
            trunc(out, names::transport_cut_name(ip.proto));
        }
        Transport::Other => {
            if let Some(layer) = f.stop_layer() {
                // print-frag6.c's name for its own cut (JSON keeps `frag`).
                trunc(
                    out,
                    match layer {
                        Layer::Ipv6FragHeader => "frag6",
                        _ => names::layer_name(layer),
                    },
                );
            } else if ip.proto == 50 {
                ipsec::esp(out, ip.rest, ip.payload_len);
            } else if ip.proto == 112 {
                super::vrrp::print(out, ip, ip.rest, ip.payload_len, opts.verbose);
            } else if !tunnel::ip_proto(out, ip, opts, st) {
                s(out, " ip-proto-");
                n(out, ip.proto);
                out.push(b' ');
                n(out, ip.payload_len);
            }
        }
    }
}
