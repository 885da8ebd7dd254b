//! The summary line after time, interface and direction, following `tcpdump -n` (4.99) output.
//! Differences kept on purpose: sequence numbers are absolute (tcpdump -S), TCP options only
//! with `-v`, and `-v` output stays on one line.

use etherparse::LaxNetSlice;

use super::decode::{self, Frame, Ip, Link, Transport};
use super::{dns, names, put};
use crate::cli::PrintOptions;
use crate::packet::Packet;

fn s(out: &mut Vec<u8>, t: &str) {
    out.extend_from_slice(t.as_bytes());
}

fn n(out: &mut Vec<u8>, v: impl Into<u64>) {
    put::u64(out, v.into());
}

fn ethertype(out: &mut Vec<u8>, t: u16) {
    s(out, "ethertype ");
    s(out, names::ethertype_name(t));
    s(out, " (");
    put::hex16(out, t);
    out.push(b')');
}

fn proto_named(out: &mut Vec<u8>, p: u8) {
    s(out, names::ip_proto_name(p).unwrap_or("unknown"));
    s(out, " (");
    n(out, p);
    out.push(b')');
}

/// `-e`: the link-level header, tcpdump style, ending in `: `.
fn link_header(out: &mut Vec<u8>, f: &Frame<'_>, wire_len: u32) {
    match f.link {
        Link::Ether {
            dst,
            src,
            ethertype: et,
        } => {
            put::mac(out, &src);
            s(out, " > ");
            put::mac(out, &dst);
            s(out, ", ");
            if et < 0x0600 {
                s(out, "802.3");
            } else {
                ethertype(out, et);
            }
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
            for (id, pcp, next) in f.vlans() {
                s(out, "vlan ");
                n(out, id);
                s(out, ", p ");
                n(out, pcp);
                s(out, ", ");
                ethertype(out, next);
                s(out, ", ");
            }
        }
        Link::Sll { addr, proto, .. } => {
            if !addr.is_empty() {
                put::mac(out, addr);
                out.push(b' ');
            }
            ethertype(out, proto);
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
        }
        Link::Null { family } => {
            s(out, "AF ");
            n(out, family);
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
        }
        Link::Raw | Link::Cut | Link::Unknown => {}
    }
}

pub fn frame(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    pkt: &Packet<'_>,
    linktype: u16,
    opts: &PrintOptions,
) {
    if opts.link_header {
        link_header(out, f, pkt.len);
    }
    match f.link {
        Link::Cut => {
            s(out, " [|");
            s(out, names::link_name(linktype));
            out.push(b']');
            return;
        }
        Link::Unknown => {
            s(out, "unknown link type ");
            n(out, linktype);
            s(out, ", length ");
            n(out, pkt.len);
            return;
        }
        Link::Ether { ethertype: et, .. } if et < 0x0600 => {
            s(out, "802.3 LLC, length ");
            n(out, f.link_payload_len);
            return;
        }
        _ => {}
    }
    // With -e the ethertype is already on the line, and tcpdump then drops `IP `/`ARP, `.
    let prefix = !(opts.link_header && matches!(f.link, Link::Ether { .. } | Link::Sll { .. }));
    let Some(p) = &f.pkt else {
        fallback(out, f, pkt, linktype, prefix);
        return;
    };
    match &p.net {
        Some(LaxNetSlice::Arp(a)) => arp(out, a.slice(), f.link_payload_len, prefix),
        Some(_) => match f.ip() {
            Some(ip) => ip_line(out, f, &ip, opts, prefix),
            None => fallback(out, f, pkt, linktype, prefix),
        },
        None => {
            if let Some(layer) = f.stop_layer() {
                // tcpdump's words for a cut network header, prefix and spacing included.
                let name = match (f.ethertype(), names::layer_name(layer)) {
                    (Some(0x86dd), "ip") => "ip6",
                    (_, name) => name,
                };
                if prefix && f.ethertype() == Some(0x0800) {
                    s(out, "IP ");
                }
                s(out, " [|");
                s(out, name);
                out.push(b']');
            } else {
                fallback(out, f, pkt, linktype, prefix);
            }
        }
    }
}

/// Anything we do not decode: say what it is by number, and how long.
/// `prefix` false: `-e` already printed the ethertype, so only its name is repeated.
fn fallback(out: &mut Vec<u8>, f: &Frame<'_>, pkt: &Packet<'_>, linktype: u16, prefix: bool) {
    match (f.link, f.ethertype()) {
        (_, Some(et)) => {
            if prefix || f.vlans().next().is_some() {
                ethertype(out, et);
            } else {
                s(out, names::ethertype_name(et));
            }
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        (Link::Sll { proto, hatype, .. }, None) => {
            s(out, "Linux cooked, hatype ");
            n(out, hatype);
            s(out, ", protocol ");
            put::hex16(out, proto);
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        (Link::Null { family }, None) => {
            s(out, "AF ");
            n(out, family);
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        _ => {
            s(out, "link type ");
            n(out, linktype);
            s(out, ", length ");
            n(out, pkt.len);
        }
    }
}

/// tcpdump: `ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28`.
fn arp(out: &mut Vec<u8>, a: &[u8], len: u32, prefix: bool) {
    let be = |i: usize| u16::from_be_bytes([a[i], a[i + 1]]);
    let (htype, ptype, hlen, plen, op) =
        (be(0), be(2), usize::from(a[4]), usize::from(a[5]), be(6));
    if prefix {
        s(out, "ARP, ");
    }
    if htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4 || a.len() < 28 {
        s(out, "hardware ");
        n(out, htype);
        s(out, ", protocol ");
        put::hex16(out, ptype);
        s(out, ", op ");
        n(out, op);
        s(out, ", length ");
        n(out, len);
        return;
    }
    let sha = &a[8..14];
    let spa = [a[14], a[15], a[16], a[17]];
    let tha = &a[18..24];
    let tpa = [a[24], a[25], a[26], a[27]];
    match op {
        1 => {
            s(out, "Request who-has ");
            put::ipv4(out, tpa);
            if tha.iter().any(|b| *b != 0) {
                s(out, " (");
                put::mac(out, tha);
                out.push(b')');
            }
            s(out, " tell ");
            put::ipv4(out, spa);
        }
        2 => {
            s(out, "Reply ");
            put::ipv4(out, spa);
            s(out, " is-at ");
            put::mac(out, sha);
        }
        3 => {
            s(out, "Reverse Request who-is ");
            put::mac(out, tha);
            s(out, " tell ");
            put::mac(out, sha);
        }
        4 => {
            s(out, "Reverse Reply ");
            put::mac(out, tha);
            s(out, " at ");
            put::ipv4(out, tpa);
        }
        _ => {
            s(out, "op ");
            n(out, op);
        }
    }
    s(out, ", length ");
    n(out, len);
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

/// The IP part and everything above it.
fn ip_line(out: &mut Vec<u8>, f: &Frame<'_>, ip: &Ip<'_>, opts: &PrintOptions, prefix: bool) {
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
                put::hex(out, u64::from(tc));
                s(out, ", ");
            }
            if flow != 0 {
                s(out, "flowlabel 0x");
                put::hex(out, u64::from(flow));
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
            s(out, ", ttl ");
            n(out, h[8]);
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
            s(out, ") ");
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
                    s(out, "srcrt (len=");
                    n(out, h[1]);
                    s(out, ", type=");
                    n(out, h[2]);
                    s(out, ", segleft=");
                    n(out, h[3]);
                    s(out, ") ");
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
        Transport::Tcp(t) => tcp(out, t, ip.payload_len, opts),
        Transport::Udp(u) => udp(out, u, ip.payload_len, opts),
        Transport::Icmp(i) => icmp(out, i, ip.payload_len),
        Transport::Icmp6(i) => icmp6(out, i, ip.payload_len),
        Transport::Igmp(g) => igmp(out, g.slice()),
        Transport::Cut(b) if ip.proto == 58 && !b.is_empty() => {
            // tcpdump names the ICMPv6 type when it has the first byte.
            s(out, "ICMP6, ");
            match names::icmp6_type_name(b[0]) {
                Some(name) => s(out, name),
                None => {
                    s(out, "unknown icmp6 type (");
                    n(out, b[0]);
                    out.push(b')');
                }
            }
            if b[0] == 1 && b.len() >= 2 {
                s(out, ", ");
                s(out, names::icmp6_unreach_name(b[1]));
            }
            // A router solicitation has nothing to show past its checksum.
            if b[0] == 133 && b.len() >= 4 {
                s(out, ", length ");
                n(out, ip.payload_len);
            } else {
                s(out, " [|icmp6]");
            }
        }
        Transport::Cut(_) => {
            // tcpdump: `a.p > b.q:  [|tcp]` when it read the ports, `a > b: [|tcp]` when not;
            // `a > b:  [|icmp]`.
            if matches!(ip.proto, 6 | 17)
                && ports.is_none()
                && !v6_frag
                && out.last() == Some(&b' ')
            {
                out.pop();
            }
            s(out, " [|");
            s(out, names::transport_cut_name(ip.proto));
            out.push(b']');
        }
        Transport::Other => {
            if let Some(layer) = f.stop_layer() {
                s(out, " [|");
                s(out, names::layer_name(layer));
                out.push(b']');
            } else {
                s(out, "ip-proto-");
                n(out, ip.proto);
                out.push(b' ');
                n(out, ip.payload_len);
            }
        }
    }
}

fn tcp(out: &mut Vec<u8>, t: &etherparse::TcpSlice<'_>, ip_payload: u32, opts: &PrintOptions) {
    let hlen = u32::from(t.data_offset()) * 4;
    let len = ip_payload.saturating_sub(hlen);
    if opts.quick {
        s(out, "tcp ");
        n(out, len);
        return;
    }
    s(out, "Flags [");
    let mark = out.len();
    names::tcp_flags(out, t);
    if out.len() == mark {
        s(out, "none");
    }
    s(out, "], ");
    let seq = t.sequence_number();
    if len > 0 || t.syn() || t.fin() || t.rst() {
        s(out, "seq ");
        n(out, seq);
        if len > 0 {
            out.push(b':');
            n(out, seq.wrapping_add(len));
        }
        s(out, ", ");
    }
    if t.ack() {
        s(out, "ack ");
        n(out, t.acknowledgment_number());
        s(out, ", ");
    }
    s(out, "win ");
    n(out, t.window_size());
    if t.urg() {
        s(out, ", urg ");
        n(out, t.urgent_pointer());
    }
    if opts.verbose > 0 && !t.options().is_empty() {
        tcp_options(out, t.options());
    }
    s(out, ", length ");
    n(out, len);
}

/// tcpdump's `options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]`.
fn tcp_options(out: &mut Vec<u8>, mut o: &[u8]) {
    s(out, ", options [");
    let mut first = true;
    while let Some(&kind) = o.first() {
        if !first {
            out.push(b',');
        }
        first = false;
        match kind {
            0 => {
                s(out, "eol");
                break;
            }
            1 => {
                s(out, "nop");
                o = &o[1..];
                continue;
            }
            _ => {}
        }
        let len = o.get(1).map_or(0, |l| usize::from(*l));
        if len < 2 || len > o.len() {
            s(out, "bad opt");
            break;
        }
        let v = &o[2..len];
        let be16 = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        match (kind, v.len()) {
            (2, 2) => {
                s(out, "mss ");
                n(out, be16(v));
            }
            (3, 1) => {
                s(out, "wscale ");
                n(out, v[0]);
            }
            (4, 0) => s(out, "sackOK"),
            (5, l) if l % 8 == 0 => {
                s(out, "sack ");
                n(out, (l / 8) as u64);
                out.push(b' ');
                for c in v.chunks_exact(8) {
                    out.push(b'{');
                    n(out, be32(&c[..4]));
                    out.push(b':');
                    n(out, be32(&c[4..]));
                    out.push(b'}');
                }
            }
            (8, 8) => {
                s(out, "TS val ");
                n(out, be32(&v[..4]));
                s(out, " ecr ");
                n(out, be32(&v[4..]));
            }
            (30, _) => s(out, "mptcp"),
            (34, _) => s(out, "tfo"),
            _ => {
                s(out, "opt-");
                n(out, kind);
                s(out, ":");
                for b in v {
                    put::byte_hex(out, *b);
                }
            }
        }
        o = &o[len..];
    }
    out.push(b']');
}

fn udp(out: &mut Vec<u8>, u: &etherparse::UdpSlice<'_>, ip_payload: u32, opts: &PrintOptions) {
    let ulen = u32::from(u.length());
    // A zero length field is a jumbogram or an offloaded packet: trust IP.
    let len = if ulen >= 8 {
        ulen - 8
    } else {
        ip_payload.saturating_sub(8)
    };
    let (sp, dp) = (u.source_port(), u.destination_port());
    if !opts.quick {
        // Port 53 wins over 5353, as in tcpdump: a resolver on 5353 is not mDNS.
        let dns53 = sp == dns::PORT || dp == dns::PORT;
        let mdns = !dns53 && (sp == dns::MDNS_PORT || dp == dns::MDNS_PORT);
        if dns53 || mdns {
            dns::print(out, u.payload(), len, opts.verbose > 0, mdns);
            return;
        }
    }
    s(out, "UDP, length ");
    n(out, len);
}

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

fn icmp(out: &mut Vec<u8>, i: &etherparse::Icmpv4Slice<'_>, len: u32) {
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
}

fn v6_at(p: &[u8], at: usize) -> Option<[u8; 16]> {
    let b = p.get(at..at + 16)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Some(a)
}

fn icmp6(out: &mut Vec<u8>, i: &etherparse::Icmpv6Slice<'_>, len: u32) {
    let (t, code, b) = (i.type_u8(), i.code_u8(), i.bytes5to8());
    let payload = i.payload();
    s(out, "ICMP6, ");
    match names::icmp6_type_name(t) {
        Some(name) => s(out, name),
        None => {
            s(out, "unknown icmp6 type (");
            n(out, t);
            out.push(b')');
        }
    }
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

fn igmp(out: &mut Vec<u8>, g: &[u8]) {
    let group = |out: &mut Vec<u8>| {
        if let Some(a) = g.get(4..8) {
            out.push(b' ');
            put::ipv4(out, [a[0], a[1], a[2], a[3]]);
        }
    };
    match g.first() {
        Some(0x11) => {
            s(out, "igmp query");
            if g.len() >= 12 {
                s(out, " v3");
            } else if g.get(1).is_some_and(|c| *c != 0) {
                s(out, " v2");
            }
            if g.get(4..8).is_some_and(|a| a != [0, 0, 0, 0]) {
                s(out, " [gaddr");
                group(out);
                out.push(b']');
            }
        }
        Some(0x12) => {
            s(out, "igmp v1 report");
            group(out);
        }
        Some(0x16) => {
            s(out, "igmp v2 report");
            group(out);
        }
        Some(0x17) => {
            s(out, "igmp leave");
            group(out);
        }
        Some(0x22) => {
            s(out, "igmp v3 report, ");
            let nrec = g.get(6..8).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
            n(out, nrec);
            s(out, " group record(s)");
        }
        Some(t) => {
            s(out, "igmp type 0x");
            put::byte_hex(out, *t);
        }
        None => s(out, "[|igmp]"),
    }
}
