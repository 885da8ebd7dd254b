//! One JSON object per packet; the schema is documented in docs/json.md and only grows.

use etherparse::LaxNetSlice;

use super::decode::{self, Dir, Frame, Link, Transport};
use super::{dns, names, put};
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
    put::u64(out, v.into());
}

fn string(out: &mut Vec<u8>, k: &str, v: &[u8]) {
    key(out, k);
    out.push(b'"');
    put::json_str(out, v);
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
pub fn frame(out: &mut Vec<u8>, f: &Frame<'_>, pkt: &Packet<'_>, iface: &Interface) {
    if !iface.name.is_empty() {
        string(out, "interface", iface.name.as_bytes());
    }
    if let Some(d) = f.dir {
        string(out, "direction", if d == Dir::In { b"in" } else { b"out" });
    }
    num(out, "len", pkt.len);
    num(out, "caplen", pkt.data.len() as u64);
    num(out, "linktype", iface.linktype);
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
            put::mac(out, &src);
            out.push(b'"');
            quoted(out, "dst", |o| put::mac(o, &dst));
            num(out, "type", f.ethertype().unwrap_or(ethertype));
            if f.vlans().next().is_some() {
                key(out, "vlan");
                out.push(b'[');
                for (i, (id, _, _)) in f.vlans().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    put::u64(out, u64::from(id));
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
            put::u64(out, u64::from(pkttype));
            num(out, "hatype", hatype);
            if !addr.is_empty() {
                quoted(out, "addr", |o| put::mac(o, addr));
            }
            num(out, "type", proto);
            out.push(b'}');
        }
        Link::Null { family } => num(out, "family", family),
        Link::Nflog { family, rid } => {
            key(out, "nflog");
            out.push(b'{');
            key0(out, "family");
            put::u64(out, u64::from(family));
            num(out, "group", rid);
            out.push(b'}');
        }
        Link::Raw | Link::Cut | Link::Unknown => {}
    }
    if let Link::Cut = f.link {
        string(out, "truncated", b"link");
        return;
    }
    if let Some(LaxNetSlice::Arp(a)) = f.pkt.as_ref().and_then(|p| p.net.as_ref()) {
        arp(out, a.slice());
    }
    let mut cut: Option<&str> = f.stop_layer().map(names::layer_name);
    if let Some(ip) = f.ip() {
        let h = ip.header;
        key(out, "ip");
        out.push(b'{');
        key0(out, "version");
        out.push(if ip.v6 { b'6' } else { b'4' });
        if ip.v6 {
            quoted(out, "src", |o| put::ipv6(o, ip.src));
            quoted(out, "dst", |o| put::ipv6(o, ip.dst));
        } else {
            quoted(out, "src", |o| put::ipv4(o, ip.src4()));
            quoted(out, "dst", |o| put::ipv4(o, ip.dst4()));
        }
        num(out, "proto", ip.proto);
        if ip.v6 {
            num(out, "ttl", h.get(7).copied().unwrap_or(0));
        } else {
            num(out, "ttl", h.get(8).copied().unwrap_or(0));
            num(
                out,
                "id",
                h.get(4..6).map_or(0, |b| u16::from_be_bytes([b[0], b[1]])),
            );
        }
        num(out, "payload_len", ip.payload_len);
        if let Some(fr) = ip.frag {
            key(out, "frag");
            out.push(b'{');
            key0(out, "id");
            put::u64(out, u64::from(fr.id));
            num(out, "offset", u32::from(fr.offset) * 8);
            boolean(out, "more", fr.more);
            out.push(b'}');
        }
        out.push(b'}');
        match &ip.transport {
            Transport::Tcp(t) => {
                key(out, "tcp");
                out.push(b'{');
                key0(out, "sport");
                put::u64(out, u64::from(t.source_port()));
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
                put::u64(out, u64::from(sp));
                num(out, "dport", dp);
                num(out, "len", decode::udp_len(u, ip.payload_len));
                out.push(b'}');
                if decode::dns_by_port(sp, dp).is_some() && !dns_obj(out, u.payload()) {
                    cut = Some("domain");
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
                put::u64(out, u64::from(g.slice().first().copied().unwrap_or(0)));
                out.push(b'}');
            }
            Transport::Cut(_) => {
                if cut.is_none() {
                    cut = Some(names::transport_cut_name(ip.proto));
                }
            }
            Transport::Other => {}
        }
    }
    if let Some(c) = cut {
        string(out, "truncated", c.as_bytes());
    }
}

fn icmp_obj(out: &mut Vec<u8>, t: u8, code: u8, name: Option<&str>) {
    out.push(b'{');
    key0(out, "type");
    put::u64(out, u64::from(t));
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
    put::u64(out, u64::from(u16::from_be_bytes([a[6], a[7]])));
    if a.len() >= 28 && a[4] == 6 && a[5] == 4 {
        quoted(out, "sha", |o| put::mac(o, &a[8..14]));
        quoted(out, "spa", |o| put::ipv4(o, [a[14], a[15], a[16], a[17]]));
        quoted(out, "tha", |o| put::mac(o, &a[18..24]));
        quoted(out, "tpa", |o| put::ipv4(o, [a[24], a[25], a[26], a[27]]));
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
    put::u64(out, u64::from(h.id));
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
            put::json_backslashes_from(out, mark);
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
