//! One JSON object per packet; the schema is documented in docs/json.md and only grows.

use etherparse::LaxNetSlice;

use super::decode::{self, Dir, Frame, Ip, Link, Transport};
use super::kit::be16;
use super::{digits, dns, names};
use crate::packet::Owner;
use crate::packet::{Interface, Packet};

fn key(out: &mut Vec<u8>, k: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

/// First key of an object: no leading comma.
fn key0(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn num(out: &mut Vec<u8>, k: &str, v: impl Into<u64>) {
    key(out, k);
    digits::u64(out, v.into());
}

fn string(out: &mut Vec<u8>, k: &str, v: &[u8]) {
    key(out, k);
    out.push(b'"');
    digits::json_str(out, v);
    out.push(b'"');
}

fn quoted(out: &mut Vec<u8>, k: &str, f: impl FnOnce(&mut Vec<u8>)) {
    key(out, k);
    out.push(b'"');
    f(out);
    out.push(b'"');
}

fn boolean(out: &mut Vec<u8>, k: &str, v: bool) {
    key(out, k);
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// Everything after `"time":...`; the caller closes the object.
pub fn frame(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    pkt: &Packet<'_>,
    iface: &Interface,
    owner: Option<&Owner>,
) {
    if !iface.name.is_empty() {
        string(out, "interface", iface.name.as_bytes());
    }
    if let Some(d) = f.dir {
        string(out, "direction", if d == Dir::In { b"in" } else { b"out" });
    }
    if let Some(o) = owner {
        process(out, o);
    }
    num(out, "len", pkt.len);
    num(out, "caplen", pkt.data.len() as u64);
    num(out, "linktype", iface.linktype);
    link(out, f);
    if let Link::Cut = f.link {
        string(out, "truncated", b"link");
        return;
    }
    if let Some(LaxNetSlice::Arp(a)) = f.pkt.as_ref().and_then(|p| p.net.as_ref()) {
        arp(out, a.slice());
    }
    let mut cut: Option<&'static str> = f.stop_layer().map(names::layer_name);
    if let Some(ip) = f.ip() {
        ip_obj(out, &ip);
        transport(out, &ip, &mut cut);
        if let Transport::Tcp(t) = &ip.transport {
            http_obj(out, t);
        }
    }
    if f.ip().is_none() {
        if let Some(p) = f.pkt.as_ref().and_then(|p| p.ether_payload()) {
            if matches!(p.ether_type.0, 0x8847 | 0x8848) {
                mpls_obj(out, p.payload);
            }
        }
    }
    if let Some(c) = cut {
        string(out, "truncated", c.as_bytes());
    }
}

/// `"process":{"pid":…,"comm":…,"container":…}`.
fn process(out: &mut Vec<u8>, o: &Owner) {
    key(out, "process");
    out.push(b'{');
    key0(out, "pid");
    digits::u64(out, u64::from(o.pid));
    string(out, "comm", o.comm.as_bytes());
    if let Some(c) = &o.container {
        string(out, "container", c.as_bytes());
    }
    out.push(b'}');
}

/// The link header's object (`eth`, `sll`, `nflog`) or field (`family`).
fn link(out: &mut Vec<u8>, f: &Frame<'_>) {
    match f.link {
        Link::Ether {
            dst,
            src,
            ethertype,
        } => {
            key(out, "eth");
            out.push(b'{');
            key0(out, "src");
            out.push(b'"');
            digits::mac(out, &src);
            out.push(b'"');
            quoted(out, "dst", |o| digits::mac(o, &dst));
            num(out, "type", f.ethertype().unwrap_or(ethertype));
            if f.vlans().next().is_some() {
                key(out, "vlan");
                out.push(b'[');
                for (i, (id, _, _)) in f.vlans().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    digits::u64(out, u64::from(id));
                }
                out.push(b']');
            }
            out.push(b'}');
        }
        Link::Sll {
            pkttype,
            hatype,
            addr,
            proto,
        } => {
            key(out, "sll");
            out.push(b'{');
            key0(out, "pkttype");
            digits::u64(out, u64::from(pkttype));
            num(out, "hatype", hatype);
            if !addr.is_empty() {
                quoted(out, "addr", |o| digits::mac(o, addr));
            }
            num(out, "type", proto);
            out.push(b'}');
        }
        Link::Null { family } => num(out, "family", family),
        Link::Nflog { family, rid } => {
            key(out, "nflog");
            out.push(b'{');
            key0(out, "family");
            digits::u64(out, u64::from(family));
            num(out, "group", rid);
            out.push(b'}');
        }
        Link::Raw | Link::Cut | Link::Unknown => {}
    }
}

/// `"ip":{…}`: version, addresses, protocol, TTL, IPv4's id, fragment.
fn ip_obj(out: &mut Vec<u8>, ip: &Ip<'_>) {
    let h = ip.header;
    key(out, "ip");
    out.push(b'{');
    key0(out, "version");
    out.push(if ip.v6 { b'6' } else { b'4' });
    if ip.v6 {
        quoted(out, "src", |o| digits::ipv6(o, ip.src));
        quoted(out, "dst", |o| digits::ipv6(o, ip.dst));
    } else {
        quoted(out, "src", |o| digits::ipv4(o, ip.src4()));
        quoted(out, "dst", |o| digits::ipv4(o, ip.dst4()));
    }
    num(out, "proto", ip.proto);
    if ip.v6 {
        num(out, "ttl", h.get(7).copied().unwrap_or(0));
    } else {
        num(out, "ttl", h.get(8).copied().unwrap_or(0));
        num(out, "id", be16(h, 4).unwrap_or(0));
    }
    num(out, "payload_len", ip.payload_len);
    if let Some(fr) = ip.frag {
        key(out, "frag");
        out.push(b'{');
        key0(out, "id");
        digits::u64(out, u64::from(fr.id));
        num(out, "offset", u32::from(fr.offset) * 8);
        boolean(out, "more", fr.more);
        out.push(b'}');
    }
    out.push(b'}');
}

/// The transport's object (and DNS's, a tunnel's, inside UDP); sets `cut` where the bytes
/// ended inside one.
fn transport(out: &mut Vec<u8>, ip: &Ip<'_>, cut: &mut Option<&'static str>) {
    match &ip.transport {
        Transport::Tcp(t) => {
            key(out, "tcp");
            out.push(b'{');
            key0(out, "sport");
            digits::u64(out, u64::from(t.source_port()));
            num(out, "dport", t.destination_port());
            quoted(out, "flags", |o| names::tcp_flags(o, t));
            num(out, "seq", t.sequence_number());
            num(out, "ack", t.acknowledgment_number());
            num(out, "win", t.window_size());
            num(out, "len", decode::tcp_len(t, ip.payload_len));
            out.push(b'}');
        }
        Transport::Udp(u) => {
            let (sp, dp) = (u.source_port(), u.destination_port());
            key(out, "udp");
            out.push(b'{');
            key0(out, "sport");
            digits::u64(out, u64::from(sp));
            num(out, "dport", dp);
            num(out, "len", decode::udp_len(u, ip.payload_len));
            out.push(b'}');
            if decode::dns_by_port(sp, dp).is_some() {
                if !dns_obj(out, u.payload()) {
                    *cut = Some("domain");
                }
            } else {
                tunnel_udp(out, sp, dp, u.payload());
            }
        }
        Transport::Icmp(i) => {
            key(out, "icmp");
            icmp_obj(
                out,
                i.type_u8(),
                i.code_u8(),
                names::icmp_type_name(i.type_u8()),
            );
        }
        Transport::Icmp6(i) => {
            key(out, "icmp6");
            icmp_obj(
                out,
                i.type_u8(),
                i.code_u8(),
                names::icmp6_type_name(i.type_u8()),
            );
        }
        Transport::Igmp(g) => {
            key(out, "igmp");
            out.push(b'{');
            key0(out, "type");
            digits::u64(out, u64::from(g.slice().first().copied().unwrap_or(0)));
            out.push(b'}');
        }
        Transport::Cut(_) => {
            if cut.is_none() {
                *cut = Some(names::transport_cut_name(ip.proto));
            }
        }
        Transport::Other => match ip.proto {
            47 => gre_obj(out, ip.rest),
            137 => mpls_obj(out, ip.rest),
            _ => {}
        },
    }
}

fn icmp_obj(out: &mut Vec<u8>, t: u8, code: u8, name: Option<&str>) {
    out.push(b'{');
    key0(out, "type");
    digits::u64(out, u64::from(t));
    num(out, "code", code);
    if let Some(n) = name {
        string(out, "name", n.as_bytes());
    }
    out.push(b'}');
}

fn arp(out: &mut Vec<u8>, a: &[u8]) {
    key(out, "arp");
    out.push(b'{');
    key0(out, "op");
    digits::u64(out, u64::from(u16::from_be_bytes([a[6], a[7]])));
    if a.len() >= 28 && a[4] == 6 && a[5] == 4 {
        quoted(out, "sha", |o| digits::mac(o, &a[8..14]));
        quoted(out, "spa", |o| {
            digits::ipv4(o, [a[14], a[15], a[16], a[17]])
        });
        quoted(out, "tha", |o| digits::mac(o, &a[18..24]));
        quoted(out, "tpa", |o| {
            digits::ipv4(o, [a[24], a[25], a[26], a[27]])
        });
    }
    out.push(b'}');
}

/// Returns false when the message is cut before its first question ends.
fn dns_obj(out: &mut Vec<u8>, m: &[u8]) -> bool {
    let Some(h) = dns::Header::parse(m) else {
        return false;
    };
    key(out, "dns");
    out.push(b'{');
    key0(out, "id");
    digits::u64(out, u64::from(h.id));
    boolean(out, "response", h.response());
    num(out, "opcode", h.opcode());
    let mut complete = h.qd == 0;
    if let Some((at, qtype)) = dns::first_question(m) {
        key(out, "qname");
        out.push(b'"');
        let mark = out.len();
        if dns::name(out, m, at).is_some() {
            // Names come with \ddd escapes (`"` and control bytes included): only the
            // backslashes need JSON escaping.
            digits::json_backslashes_from(out, mark);
            out.push(b'"');
            key(out, "qtype");
            out.push(b'"');
            dns::type_str(out, qtype);
            out.push(b'"');
            complete = true;
        } else {
            out.truncate(mark - b",\"qname\":\"".len());
        }
    }
    if h.response() {
        num(out, "rcode", h.rcode());
        key(out, "answers");
        out.push(b'[');
        dns::json_answers(out, m);
        out.push(b']');
    }
    out.push(b'}');
    complete
}

/// `"vxlan":{"vni":42}` (UDP 4789, and 8472, which tcpdump calls OTV) or
/// `"geneve":{"vni":5,"proto":25944}`, when the header is there.
fn tunnel_udp(out: &mut Vec<u8>, sp: u16, dp: u16, b: &[u8]) {
    let port = |p: u16| sp == p || dp == p;
    let Some(h) = b.get(..8) else { return };
    let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
    if port(8472) || port(4789) {
        key(out, "vxlan");
        out.push(b'{');
        key0(out, "vni");
        digits::u64(out, u64::from(vni));
        out.push(b'}');
    } else if port(6081) {
        key(out, "geneve");
        out.push(b'{');
        key0(out, "vni");
        digits::u64(out, u64::from(vni));
        num(out, "proto", u16::from_be_bytes([h[2], h[3]]));
        out.push(b'}');
    }
}

/// `"gre":{"version":0,"proto":2048,"key":1}` (key when present).
fn gre_obj(out: &mut Vec<u8>, b: &[u8]) {
    let Some(h) = b.get(..4) else { return };
    let flags = u16::from_be_bytes([h[0], h[1]]);
    key(out, "gre");
    out.push(b'{');
    key0(out, "version");
    digits::u64(out, u64::from(flags & 7));
    num(out, "proto", u16::from_be_bytes([h[2], h[3]]));
    if flags & 7 == 0 && flags & 0x2000 != 0 {
        let at = if flags & 0xc000 != 0 { 8 } else { 4 };
        if let Some(k) = b.get(at..at + 4) {
            num(out, "key", u32::from_be_bytes([k[0], k[1], k[2], k[3]]));
        }
    }
    out.push(b'}');
}

/// `"mpls":[100,2]`: the label stack, outermost first, as far as the bytes go.
fn mpls_obj(out: &mut Vec<u8>, b: &[u8]) {
    key(out, "mpls");
    out.push(b'[');
    for (i, e) in b.chunks_exact(4).enumerate() {
        let e = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
        if i > 0 {
            out.push(b',');
        }
        digits::u64(out, u64::from(e >> 12));
        if e & 0x100 != 0 {
            break;
        }
    }
    out.push(b']');
}

/// `"http":"GET / HTTP/1.1"`: the first line of a segment on tcpdump's HTTP ports that starts
/// with printable text ending in a line break.
fn http_obj(out: &mut Vec<u8>, t: &etherparse::TcpSlice<'_>) {
    let (sp, dp) = (t.source_port(), t.destination_port());
    if ![80, 8080].iter().any(|p| sp == *p || dp == *p) {
        return;
    }
    let p = t.payload();
    let Some(end) = p.iter().position(|c| *c == b'\n') else {
        return;
    };
    let line = p[..end].strip_suffix(b"\r").unwrap_or(&p[..end]);
    if line.is_empty() || !line.iter().all(|c| (0x20..0x7f).contains(c) || *c == b'\t') {
        return;
    }
    string(out, "http", line);
}
