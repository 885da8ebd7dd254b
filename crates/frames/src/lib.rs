//! Test frames built field by field with pnet's packet types, so a test shows what went in:
//! for tests, fuzz seeds, the fixtures and the benchmark generator. A crate of its own, only a
//! dev-dependency of nscap, so pnet never enters the program's build (decoding is etherparse
//! and the hand-written fast path).
//!
//! Checksums are real: IPv4 and ICMP headers always; TCP, UDP and ICMPv6 when `ipv4`/`ipv6`
//! carry them directly and unfragmented (the pseudo-header needs the addresses).

use std::net::{Ipv4Addr, Ipv6Addr};

use pnet_packet::arp::{ArpHardwareTypes, ArpOperation, MutableArpPacket};
use pnet_packet::ethernet::{EtherType, EtherTypes, MutableEthernetPacket};
use pnet_packet::icmp::{self, IcmpCode, IcmpType, MutableIcmpPacket};
use pnet_packet::icmpv6::ndp::{MutableNdpOptionPacket, NdpOptionType};
use pnet_packet::icmpv6::{self, Icmpv6Packet};
use pnet_packet::ip::IpNextHeaderProtocol;
use pnet_packet::ipv4::{self, MutableIpv4Packet};
use pnet_packet::ipv6::{MutableExtensionPacket, MutableFragmentPacket, MutableIpv6Packet};
use pnet_packet::sll::MutableSLLPacket;
use pnet_packet::sll2::MutableSLL2Packet;
use pnet_packet::tcp::{
    self, MutableTcpOptionPacket, MutableTcpPacket, TcpOptionPacket, TcpPacket,
};

use pnet_packet::gre::MutableGrePacket;
pub use pnet_packet::tcp::TcpOption;
use pnet_packet::udp::{self, MutableUdpPacket, UdpPacket};
use pnet_packet::vlan::{ClassOfService, MutableVlanPacket};
use pnet_packet::vxlan::MutableVxlanPacket;
use pnet_packet::MutablePacket as _;

pub const MAC_A: [u8; 6] = [0x02, 0x42, 0x0a, 0x01, 0x00, 0x01];
pub const MAC_B: [u8; 6] = [0x02, 0x42, 0x0a, 0x01, 0x00, 0x02];
pub const BROADCAST: [u8; 6] = [0xff; 6];

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const ICMP: u8 = 1;
pub const ICMP6: u8 = 58;
pub const HOP_BY_HOP: u8 = 0;
pub const ROUTING: u8 = 43;
pub const FRAGMENT: u8 = 44;
pub const DEST_OPTS: u8 = 60;
pub const NO_NEXT: u8 = 59;

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// A zeroed buffer of `len` bytes handed to pnet's mutable view `P`; `fill` sets the fields.
/// Every caller sizes the buffer for the header it writes, so the view always exists.
fn build<'a, P>(
    buf: &'a mut Vec<u8>,
    len: usize,
    view: fn(&'a mut [u8]) -> Option<P>,
    fill: impl FnOnce(&mut P),
) {
    buf.resize(len, 0);
    let mut p = view(buf.as_mut_slice()).expect("buffer sized for the header");
    fill(&mut p);
}

pub fn ether(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    build(
        &mut f,
        14 + payload.len(),
        MutableEthernetPacket::new,
        |e| {
            e.set_destination(dst.into());
            e.set_source(src.into());
            e.set_ethertype(EtherType(ethertype));
            e.set_payload(payload);
        },
    );
    f
}

/// The 4 bytes after a 0x8100/0x88a8 ethertype, then the payload.
pub fn vlan_tag(id: u16, pcp: u8, inner: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    build(&mut f, 4 + payload.len(), MutableVlanPacket::new, |v| {
        v.set_priority_code_point(ClassOfService(pcp & 7));
        v.set_drop_eligible_indicator(0);
        v.set_vlan_identifier(id & 0x0fff);
        v.set_ethertype(EtherType(inner));
        v.set_payload(payload);
    });
    f
}

/// IPv4 with explicit id, flags+fragment-offset word, ttl and options (padded to 4 bytes).
#[allow(clippy::too_many_arguments)]
pub fn ipv4_full(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    frag_word: u16,
    ttl: u8,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let hlen = 20 + options.len().div_ceil(4) * 4;
    let (s, d) = (Ipv4Addr::from(src), Ipv4Addr::from(dst));
    let mut h = Vec::new();
    build(&mut h, hlen + payload.len(), MutableIpv4Packet::new, |ip| {
        ip.set_version(4);
        ip.set_header_length((hlen / 4) as u8);
        ip.set_total_length((hlen + payload.len()) as u16);
        ip.set_identification(id);
        ip.set_flags((frag_word >> 13) as u8);
        ip.set_fragment_offset(frag_word & 0x1fff);
        ip.set_ttl(ttl);
        ip.set_next_level_protocol(IpNextHeaderProtocol(proto));
        ip.set_source(s);
        ip.set_destination(d);
        ip.get_options_raw_mut()[..options.len()].copy_from_slice(options);
        ip.set_payload(payload);
        // Only a whole datagram has a transport checksum to compute.
        if frag_word & 0x3fff == 0 {
            transport_checksum(ip.payload_mut(), proto, |t, p| match p {
                TCP => tcp::ipv4_checksum(&TcpPacket::new(t)?, &s, &d).into(),
                UDP => udp::ipv4_checksum(&UdpPacket::new(t)?, &s, &d).into(),
                _ => None,
            });
        }
        let c = ipv4::checksum(&ip.to_immutable());
        ip.set_checksum(c);
    });
    h
}

/// Writes the checksum `sum` computes for a TCP, UDP or ICMPv6 header at the start of `t`,
/// where `t` is long enough to hold one.
fn transport_checksum(t: &mut [u8], proto: u8, sum: impl Fn(&[u8], u8) -> Option<u16>) {
    let at = match proto {
        TCP => 16,
        UDP => 6,
        ICMP6 => 2,
        _ => return,
    };
    if t.len() < at + 2 {
        return;
    }
    t[at..at + 2].fill(0);
    if let Some(c) = sum(t, proto) {
        t[at..at + 2].copy_from_slice(&c.to_be_bytes());
    }
}

/// IPv4, ttl 64, id 1, DF.
pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_full(src, dst, proto, 1, 0x4000, 64, &[], payload)
}

/// IPv6, hop limit 64; `next` is the first next-header value.
pub fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, payload: &[u8]) -> Vec<u8> {
    let (s, d) = (Ipv6Addr::from(src), Ipv6Addr::from(dst));
    let mut h = Vec::new();
    build(&mut h, 40 + payload.len(), MutableIpv6Packet::new, |ip| {
        ip.set_version(6);
        ip.set_payload_length(payload.len() as u16);
        ip.set_next_header(IpNextHeaderProtocol(next));
        ip.set_hop_limit(64);
        ip.set_source(s);
        ip.set_destination(d);
        ip.set_payload(payload);
        transport_checksum(ip.payload_mut(), next, |t, p| match p {
            TCP => tcp::ipv6_checksum(&TcpPacket::new(t)?, &s, &d).into(),
            UDP => udp::ipv6_checksum(&UdpPacket::new(t)?, &s, &d).into(),
            ICMP6 => icmpv6::checksum(&Icmpv6Packet::new(t)?, &s, &d).into(),
            _ => None,
        });
    });
    h
}

/// An IPv6 fragment extension header followed by `payload`.
pub fn ipv6_frag(next: u8, offset_units: u16, more: bool, id: u32, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    build(&mut h, 8, MutableFragmentPacket::new, |f| {
        f.set_next_header(IpNextHeaderProtocol(next));
        f.set_fragment_offset_with_flags((offset_units << 3) | u16::from(more));
        f.set_id(id);
    });
    // pnet's fragment header ends at its id: what follows is appended.
    h.extend_from_slice(payload);
    h
}

/// A hop-by-hop, routing or destination-options header: `next`, its length in 8-byte units
/// past the first, then `body` (padded with zeros to the 8-byte boundary), then `payload`.
pub fn ipv6_ext(next: u8, body: &[u8], payload: &[u8]) -> Vec<u8> {
    let len = (2 + body.len()).div_ceil(8) * 8;
    let mut h = Vec::new();
    build(&mut h, len, MutableExtensionPacket::new, |e| {
        e.set_next_header(IpNextHeaderProtocol(next));
        e.set_hdr_ext_len((len / 8 - 1) as u8);
        e.set_options(body);
    });
    h.extend_from_slice(payload);
    h
}

#[allow(clippy::too_many_arguments)]
pub fn tcp(
    sp: u16,
    dp: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let olen = options.len().div_ceil(4) * 4;
    let mut h = Vec::new();
    build(
        &mut h,
        20 + olen + payload.len(),
        MutableTcpPacket::new,
        |t| {
            t.set_source(sp);
            t.set_destination(dp);
            t.set_sequence(seq);
            t.set_acknowledgement(ack);
            t.set_data_offset(((20 + olen) / 4) as u8);
            t.set_flags(flags);
            t.set_window(win);
            // Options padded with NOPs, as stacks pad them.
            let o = t.get_options_raw_mut();
            o.fill(1);
            o[..options.len()].copy_from_slice(options);
            t.set_payload(payload);
        },
    );
    h
}

/// TCP options as the wire carries them, from pnet's `TcpOption::mss(1460)`, `::nop()`...
pub fn tcp_options(opts: &[TcpOption]) -> Vec<u8> {
    let mut v = Vec::new();
    for o in opts {
        let mut one = Vec::new();
        build(
            &mut one,
            TcpOptionPacket::packet_size(o),
            MutableTcpOptionPacket::new,
            |p| p.populate(o),
        );
        v.extend_from_slice(&one);
    }
    v
}

/// A neighbour discovery option carrying a link-layer address: `kind` 1 (source) or 2
/// (target).
pub fn ndp_lladdr(kind: u8, mac: [u8; 6]) -> Vec<u8> {
    let mut v = Vec::new();
    build(&mut v, 8, MutableNdpOptionPacket::new, |o| {
        o.set_option_type(NdpOptionType(kind));
        o.set_length(1);
        o.set_data(&mac);
    });
    v
}

pub fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    build(&mut h, 8 + payload.len(), MutableUdpPacket::new, |u| {
        u.set_source(sp);
        u.set_destination(dp);
        u.set_length((8 + payload.len()) as u16);
        u.set_payload(payload);
    });
    h
}

/// ICMP or ICMPv6: type, code, checksum, bytes 5-8, payload. An ICMP (v4) checksum is
/// computed here; an ICMPv6 one needs the addresses, so `ipv6` fills it in.
pub fn icmp(t: u8, code: u8, rest: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    build(&mut h, 8 + payload.len(), MutableIcmpPacket::new, |i| {
        i.set_icmp_type(IcmpType(t));
        i.set_icmp_code(IcmpCode(code));
        // pnet's ICMP payload starts after the checksum: the 4 type-specific bytes first.
        i.payload_mut()[..4].copy_from_slice(&rest);
        i.payload_mut()[4..].copy_from_slice(payload);
        if t < 128 {
            let c = icmp::checksum(&i.to_immutable());
            i.set_checksum(c);
        }
    });
    h
}

pub fn echo_rest(id: u16, seq: u16) -> [u8; 4] {
    let i = id.to_be_bytes();
    let s = seq.to_be_bytes();
    [i[0], i[1], s[0], s[1]]
}

pub fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut a = Vec::new();
    build(&mut a, 28, MutableArpPacket::new, |p| {
        p.set_hardware_type(ArpHardwareTypes::Ethernet);
        p.set_protocol_type(EtherTypes::Ipv4);
        p.set_hw_addr_len(6);
        p.set_proto_addr_len(4);
        p.set_operation(ArpOperation(op));
        p.set_sender_hw_addr(sha.into());
        p.set_sender_proto_addr(spa.into());
        p.set_target_hw_addr(tha.into());
        p.set_target_proto_addr(tpa.into());
    });
    a
}

/// A name in DNS wire form, uncompressed: `3www7example3com0`.
pub fn dns_name_wire(name: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(name.len() + 2);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m
}

/// The 12-byte DNS header.
fn dns_header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut m = Vec::with_capacity(12);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m
}

pub fn dns_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    dns_message(id, 0x0100, Some((name, qtype)), &[], &[], &[])
}

/// A response with A records pointing back at the question name; `rcode` in the flags.
pub fn dns_response(id: u16, name: &str, addrs: &[[u8; 4]], rcode: u8) -> Vec<u8> {
    let answers: Vec<Rr> = addrs
        .iter()
        .map(|a| Rr {
            name: QNAME,
            rtype: 1,
            ttl: 3600,
            data: a.to_vec(),
        })
        .collect();
    dns_message(
        id,
        0x8180 | u16::from(rcode & 0x0f),
        Some((name, 1)),
        &answers,
        &[],
        &[],
    )
}

/// The owner name of a record that points back at the question name (offset 12).
pub const QNAME: &str = "@";

/// One resource record: owner name (`QNAME` for a compression pointer to the question),
/// type, TTL and RDATA as the wire carries it; class IN.
pub struct Rr<'a> {
    pub name: &'a str,
    pub rtype: u16,
    pub ttl: u32,
    pub data: Vec<u8>,
}

/// A DNS message: header `flags`, at most one question, then the three record sections.
pub fn dns_message(
    id: u16,
    flags: u16,
    question: Option<(&str, u16)>,
    answers: &[Rr],
    authority: &[Rr],
    additional: &[Rr],
) -> Vec<u8> {
    let counts = [
        u16::from(question.is_some()),
        answers.len() as u16,
        authority.len() as u16,
        additional.len() as u16,
    ];
    let mut m = dns_header(id, flags, counts);
    if let Some((name, qtype)) = question {
        m.extend_from_slice(&dns_name_wire(name));
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
    }
    for r in answers.iter().chain(authority).chain(additional) {
        if r.name == QNAME {
            m.extend_from_slice(&[0xc0, 0x0c]);
        } else {
            m.extend_from_slice(&dns_name_wire(r.name));
        }
        m.extend_from_slice(&r.rtype.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&r.ttl.to_be_bytes());
        m.extend_from_slice(&(r.data.len() as u16).to_be_bytes());
        m.extend_from_slice(&r.data);
    }
    m
}

/// The first 8 bytes of a link-layer address, zero-padded, as both cooked headers carry it.
fn addr8(addr: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    let n = addr.len().min(8);
    a[..n].copy_from_slice(&addr[..n]);
    a
}

/// Linux cooked v1 header + payload.
pub fn sll(pkttype: u16, hatype: u16, addr: &[u8], proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    build(&mut h, 16 + payload.len(), MutableSLLPacket::new, |s| {
        s.set_packet_type(pkttype);
        s.set_link_layer_address_type(hatype);
        s.set_link_layer_address_len(addr.len() as u16);
        s.set_link_layer_address(&addr8(addr));
        s.set_protocol(EtherType(proto));
        s.set_payload(payload);
    });
    h
}

/// Linux cooked v2 header + payload.
pub fn sll2(
    pkttype: u8,
    hatype: u16,
    ifindex: u32,
    addr: &[u8],
    proto: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut h = Vec::new();
    build(&mut h, 20 + payload.len(), MutableSLL2Packet::new, |s| {
        s.set_protocol_type(EtherType(proto));
        s.set_interface_index(ifindex);
        s.set_arphrd_type(hatype);
        s.set_packet_type(pkttype);
        s.set_link_layer_address_length(addr.len().min(8) as u8);
        s.set_link_layer_address(&addr8(addr));
        s.set_payload(payload);
    });
    h
}

/// A VXLAN header (flags: VNI valid) and the inner Ethernet frame, as UDP 4789 (or flannel's
/// 8472) carries it.
pub fn vxlan(vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    build(&mut v, 8 + inner.len(), MutableVxlanPacket::new, |x| {
        x.set_flags(0x08);
        x.set_vni(vni & 0x00ff_ffff);
        x.set_payload(inner);
    });
    v
}

/// A GRE (version 0) header with the optional checksum, key and sequence fields, then the
/// payload `proto` (an ethertype) names. pnet sets the flags and protocol; its optional
/// fields cannot be built outside the crate, so those words are appended here.
pub fn gre(proto: u16, csum: bool, key: Option<u32>, seq: Option<u32>, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    build(&mut v, 4, MutableGrePacket::new, |g| {
        g.set_checksum_present(u8::from(csum));
        g.set_key_present(u8::from(key.is_some()));
        g.set_sequence_present(u8::from(seq.is_some()));
        g.set_protocol_type(proto);
    });
    if csum {
        v.extend_from_slice(&[0; 4]);
    }
    for w in [key, seq].into_iter().flatten() {
        v.extend_from_slice(&w.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

/// A Geneve header (no pnet type for it): version 0, `options` (a multiple of 4 bytes), the
/// payload's ethertype (0x6558 for Ethernet) and VNI.
pub fn geneve(vni: u32, proto: u16, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![(options.len() / 4) as u8 & 0x3f, 0];
    v.extend_from_slice(&proto.to_be_bytes());
    v.extend_from_slice(&(vni << 8).to_be_bytes());
    v.extend_from_slice(options);
    v.extend_from_slice(payload);
    v
}

/// An MPLS label stack, outermost first, as (label, traffic class, ttl); the last is marked
/// bottom of stack.
pub fn mpls(labels: &[(u32, u8, u8)], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, (label, tc, ttl)) in labels.iter().enumerate() {
        let s = u32::from(i + 1 == labels.len());
        let e = (label << 12) | (u32::from(tc & 7) << 9) | (s << 8) | u32::from(*ttl);
        v.extend_from_slice(&e.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

/// An NFLOG record (LINKTYPE_NFLOG): header (family, version 0, group), a prefix TLV, then the
/// payload TLV. TLV fields are in host byte order, as the kernel writes them.
pub fn nflog(family: u8, group: u16, prefix: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![family, 0];
    v.extend_from_slice(&group.to_be_bytes());
    let mut tlv = |kind: u16, data: &[u8]| {
        v.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(data);
        while v.len() % 4 != 0 {
            v.push(0);
        }
    };
    let mut p = prefix.as_bytes().to_vec();
    p.push(0);
    tlv(10, &p);
    tlv(9, payload);
    v
}

pub fn v6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>()
        .map(|a| a.octets())
        .unwrap_or([0; 16])
}
