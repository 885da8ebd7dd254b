//! From captured bytes to layers, without allocating: the link layer by hand (etherparse 0.21
//! has no lax entry point for Linux SLL, no SLL2 at all, and its SLL parser rejects loopback and
//! raw-IP frames), the rest with `LaxSlicedPacket`, which parses as far as the bytes go and says
//! where it stopped.

use etherparse::err::Layer;
use etherparse::{
    EtherType, IcmpEchoHeader, Icmpv4Slice, Icmpv6Slice, IgmpSlice, IpNumber, LaxIpPayloadSlice,
    LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, TcpSlice, UdpSlice,
};

use super::dns;
use super::kit::be16;
use crate::link::{
    LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP, LINKTYPE_NFLOG, LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_RAW_12, LINKTYPE_RAW_14,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    In,
    Out,
}

#[derive(Debug, Clone, Copy)]
pub enum Link<'a> {
    Ether {
        dst: [u8; 6],
        src: [u8; 6],
        /// The outer ethertype (802.1Q for tagged frames); below 0x0600 an 802.3 length.
        ethertype: u16,
    },
    /// Linux cooked capture, v1 or v2.
    Sll {
        pkttype: u16,
        hatype: u16,
        addr: &'a [u8],
        proto: u16,
    },
    /// BSD loopback (NULL/LOOP): an address family.
    Null {
        family: u32,
    },
    Raw,
    /// Linux netfilter log (NFLOG): the address family and the log group ("resource ID").
    Nflog {
        family: u8,
        rid: u16,
    },
    /// The link header itself is cut short.
    Cut,
    Unknown,
}

/// The header above IP, from one IP packet (or first fragment).
#[derive(Debug, Clone)]
pub enum Transport<'a> {
    Tcp(TcpSlice<'a>),
    Udp(UdpSlice<'a>),
    Icmp(Icmpv4Slice<'a>),
    Icmp6(Icmpv6Slice<'a>),
    Igmp(IgmpSlice<'a>),
    /// A protocol we do not decode, or a non-first fragment.
    Other,
    /// The header is cut: the bytes there are.
    Cut(&'a [u8]),
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Frag {
    pub id: u32,
    pub offset: u16,
    pub more: bool,
}

/// The IP layer facts every formatter needs.
#[derive(Debug, Clone)]
pub struct Ip<'a> {
    pub v6: bool,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub proto: u8,
    /// Bytes of transport header and payload on the wire (from the IP length fields).
    pub payload_len: u32,
    /// IP header bytes (with IPv6 extension headers).
    pub header: &'a [u8],
    pub frag: Option<Frag>,
    /// IPv6 extension headers and the next-header value that starts them; for IPv4, its IPsec
    /// authentication header when etherparse took one whole (else empty).
    pub ext: &'a [u8],
    pub ext_first: u8,
    /// The bytes after the IP header(s) that were parsed: transport, or an unparsed header.
    pub rest: &'a [u8],
    pub transport: Transport<'a>,
}

impl Ip<'_> {
    pub fn src4(&self) -> [u8; 4] {
        [self.src[0], self.src[1], self.src[2], self.src[3]]
    }
    pub fn dst4(&self) -> [u8; 4] {
        [self.dst[0], self.dst[1], self.dst[2], self.dst[3]]
    }
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Transport::Tcp(t) => Some((t.source_port(), t.destination_port())),
            Transport::Udp(u) => Some((u.source_port(), u.destination_port())),
            // A cut TCP/UDP header still shows its ports when the first four bytes made it.
            Transport::Cut(b) if matches!(self.proto, 6 | 17) && b.len() >= 4 => Some((
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
            )),
            _ => None,
        }
    }
}

/// TCP payload bytes: what the IP length fields leave after the TCP header and its options.
pub fn tcp_len(t: &TcpSlice<'_>, ip_payload_len: u32) -> u32 {
    ip_payload_len.saturating_sub(u32::from(t.data_offset()) * 4)
}

/// UDP payload bytes, from the UDP length field. A field below 8 (zero: a jumbogram or an
/// offloaded packet) says nothing, and then the IP length is trusted.
pub fn udp_len(u: &UdpSlice<'_>, ip_payload_len: u32) -> u32 {
    let ulen = u32::from(u.length());
    if ulen >= 8 {
        ulen - 8
    } else {
        ip_payload_len.saturating_sub(8)
    }
}

/// Which DNS a UDP datagram carries, by its ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dns {
    /// Port 53.
    Unicast,
    /// Port 5353: the class field's top bit is a flag (cache flush, unicast response).
    Multicast,
}

/// tcpdump's rule (print-udp.c): DNS when either port is 53, else mDNS when either is 5353;
/// port 53 is tested first, so a resolver on 5353 asking a server on 53 is plain DNS.
pub fn dns_by_port(sport: u16, dport: u16) -> Option<Dns> {
    if sport == dns::PORT || dport == dns::PORT {
        Some(Dns::Unicast)
    } else if sport == dns::MDNS_PORT || dport == dns::MDNS_PORT {
        Some(Dns::Multicast)
    } else {
        None
    }
}

#[derive(Debug, Clone)]
pub struct Frame<'a> {
    pub link: Link<'a>,
    pub dir: Option<Dir>,
    /// Bytes on the wire after the link header (tcpdump's ARP and fallback `length`).
    pub link_payload_len: u32,
    pub pkt: Option<LaxSlicedPacket<'a>>,
}

impl<'a> Frame<'a> {
    /// The innermost ethertype (after VLAN tags), when the link layer has one.
    pub fn ethertype(&self) -> Option<u16> {
        let p = self.pkt.as_ref()?;
        if let Some(LaxLinkExtSlice::Vlan(v)) = p.link_exts.last() {
            return Some(v.ether_type().0);
        }
        match &p.link {
            Some(etherparse::LinkSlice::Ethernet2(e)) => Some(e.ether_type().0),
            Some(etherparse::LinkSlice::EtherPayload(e)) => Some(e.ether_type.0),
            _ => None,
        }
    }

    /// VLAN tags, outermost first: (id, priority, the ethertype that follows the tag).
    pub fn vlans(&self) -> impl Iterator<Item = (u16, u8, u16)> + '_ {
        self.pkt.iter().flat_map(|p| {
            p.link_exts.iter().filter_map(|e| match e {
                LaxLinkExtSlice::Vlan(v) => Some((
                    v.vlan_identifier().value(),
                    v.priority_code_point().value(),
                    v.ether_type().0,
                )),
                _ => None,
            })
        })
    }

    /// The layer where decoding stopped because the bytes ran out or made no sense.
    pub fn stop_layer(&self) -> Option<Layer> {
        self.pkt.as_ref()?.stop_err.as_ref().map(|(_, l)| *l)
    }

    pub fn ip(&self) -> Option<Ip<'_>> {
        let p = self.pkt.as_ref()?;
        match p.net.as_ref()? {
            LaxNetSlice::Ipv4(v4) => {
                let h = v4.header();
                let hs = h.slice();
                let mut src = [0u8; 16];
                let mut dst = [0u8; 16];
                src[..4].copy_from_slice(&h.source());
                dst[..4].copy_from_slice(&h.destination());
                let total = u32::from(h.total_len());
                let hlen = hs.len() as u32;
                let payload = v4.payload();
                // total_len 0 is TSO/GRO on the capturing host: trust the bytes.
                let payload_len = if total >= hlen {
                    total - hlen
                } else {
                    payload.payload.len() as u32
                };
                let frag =
                    (h.more_fragments() || h.fragments_offset().value() != 0).then(|| Frag {
                        id: u32::from(h.identification()),
                        offset: h.fragments_offset().value(),
                        more: h.more_fragments(),
                    });
                Some(Ip {
                    v6: false,
                    src,
                    dst,
                    proto: payload.ip_number.0,
                    payload_len: payload_len.saturating_sub(auth_len(v4)),
                    header: hs,
                    frag,
                    ext: v4.extensions().auth.map_or(&[], |a| a.slice()),
                    ext_first: 0,
                    rest: payload.payload,
                    transport: transport(payload, frag),
                })
            }
            LaxNetSlice::Ipv6(v6) => {
                let h = v6.header();
                let exts = v6.extensions();
                let ext_len = exts.slice().len() as u32;
                let frag = v6_fragment(h.next_header().0, exts.slice());
                let payload = v6.payload();
                let declared = u32::from(h.payload_length());
                let payload_len = if declared == 0 {
                    payload.payload.len() as u32
                } else {
                    declared.saturating_sub(ext_len)
                };
                let hs = h.slice();
                Some(Ip {
                    v6: true,
                    src: h.source(),
                    dst: h.destination(),
                    proto: payload.ip_number.0,
                    payload_len,
                    header: hs,
                    frag,
                    ext: exts.slice(),
                    ext_first: h.next_header().0,
                    rest: payload.payload,
                    transport: transport(payload, frag),
                })
            }
            LaxNetSlice::Arp(_) => None,
        }
    }
}

/// An IPv4 header cut inside its options, which etherparse does not take: what tcpdump still
/// prints from its fixed 20 bytes. `b`: the bytes from the header on, fewer than its length.
pub fn ipv4_cut(b: &[u8]) -> Option<Ip<'_>> {
    let hlen = usize::from(b.first()? & 0x0f) * 4;
    let total = usize::from(be16(b, 2)?);
    // A total length below the header is taken: the printer says `bad-len` of it.
    if b[0] >> 4 != 4 || b.len() < 20 || b.len() >= hlen {
        return None;
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src[..4].copy_from_slice(&b[12..16]);
    dst[..4].copy_from_slice(&b[16..20]);
    let word = u16::from_be_bytes([b[6], b[7]]);
    let (offset, more) = (word & 0x1fff, word & 0x2000 != 0);
    Some(Ip {
        v6: false,
        src,
        dst,
        proto: b[9],
        payload_len: total.saturating_sub(hlen) as u32,
        header: b,
        frag: (more || offset != 0).then_some(Frag {
            id: u32::from(u16::from_be_bytes([b[4], b[5]])),
            offset,
            more,
        }),
        ext: &[],
        ext_first: 0,
        rest: &[],
        transport: Transport::Other,
    })
}

fn auth_len(v4: &etherparse::LaxIpv4Slice<'_>) -> u32 {
    v4.extensions()
        .auth
        .map(|a| a.slice().len() as u32)
        .unwrap_or(0)
}

/// The fragment header among IPv6 extension headers, walked by hand with bounds checks:
/// etherparse 0.21's extension iterator reads past the slice when lax parsing stopped inside
/// the extension chain (found by fuzzing; undefined behaviour, not just a panic).
fn v6_fragment(next: u8, exts: &[u8]) -> Option<Frag> {
    ExtWalk { next, rest: exts }.find_map(|(kind, h)| {
        (kind == 44).then(|| {
            let w = u16::from_be_bytes([h[2], h[3]]);
            Frag {
                id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                offset: w >> 3,
                more: w & 1 != 0,
            }
        })
    })
}

/// IPv6 extension headers as (next-header value, header bytes), bounds-checked.
pub struct ExtWalk<'a> {
    pub next: u8,
    pub rest: &'a [u8],
}

impl<'a> Iterator for ExtWalk<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let h = self.rest.get(..8)?;
        let len = match self.next {
            0 | 43 | 60 => (usize::from(h[1]) + 1) * 8,
            51 => (usize::from(h[1]) + 2) * 4,
            44 => 8,
            _ => return None,
        };
        let hdr = self.rest.get(..len)?;
        let kind = self.next;
        self.next = h[0];
        self.rest = &self.rest[len..];
        Some((kind, hdr))
    }
}

/// Transport headers are parsed here rather than by etherparse so that first fragments
/// (offset 0) still show ports and flags, as tcpdump does.
fn transport<'a>(p: &LaxIpPayloadSlice<'a>, frag: Option<Frag>) -> Transport<'a> {
    if frag.is_some_and(|f| f.offset != 0) {
        return Transport::Other;
    }
    let b = p.payload;
    match p.ip_number {
        IpNumber::TCP => TcpSlice::from_slice(b).map_or(Transport::Cut(b), Transport::Tcp),
        IpNumber::UDP => UdpSlice::from_slice_lax(b).map_or(Transport::Cut(b), Transport::Udp),
        IpNumber::ICMP => Icmpv4Slice::from_slice(b).map_or(Transport::Cut(b), Transport::Icmp),
        IpNumber::IPV6_ICMP => {
            Icmpv6Slice::from_slice(b).map_or(Transport::Cut(b), Transport::Icmp6)
        }
        IpNumber::IGMP => IgmpSlice::from_slice(b).map_or(Transport::Cut(b), Transport::Igmp),
        _ => Transport::Other,
    }
}

/// Echo id and sequence from an ICMP/ICMPv6 header's bytes 5-8.
pub fn echo(bytes5to8: [u8; 4]) -> IcmpEchoHeader {
    IcmpEchoHeader::from_bytes(bytes5to8)
}

fn ether_type_for_ip(b: &[u8]) -> EtherType {
    match b.first().map(|v| v >> 4) {
        Some(6) => EtherType::IPV6,
        _ => EtherType::IPV4,
    }
}

/// Decodes one frame of the given libpcap link type. `mac`: the capturing interface's own
/// address, so that Ethernet frames show a direction.
pub fn decode<'a>(linktype: u16, data: &'a [u8], wire_len: u32, mac: Option<[u8; 6]>) -> Frame<'a> {
    let rest = |hdr: usize| wire_len.max(data.len() as u32).saturating_sub(hdr as u32);
    let cut = Frame {
        link: Link::Cut,
        dir: None,
        link_payload_len: 0,
        pkt: None,
    };
    match linktype {
        LINKTYPE_ETHERNET => {
            if data.len() < 14 {
                return cut;
            }
            let mut dst = [0u8; 6];
            let mut src = [0u8; 6];
            dst.copy_from_slice(&data[0..6]);
            src.copy_from_slice(&data[6..12]);
            let ethertype = be16(data, 12).unwrap_or(0);
            let dir = mac.map(|m| if m == src { Dir::Out } else { Dir::In });
            // Below 0x0600 the field is an 802.3 length, not a protocol.
            let pkt = if ethertype >= 0x0600 {
                LaxSlicedPacket::from_ethernet(data).ok()
            } else {
                None
            };
            Frame {
                link: Link::Ether {
                    dst,
                    src,
                    ethertype,
                },
                dir,
                link_payload_len: rest(14),
                pkt,
            }
        }
        LINKTYPE_LINUX_SLL | LINKTYPE_LINUX_SLL2 => {
            sll(data, linktype == LINKTYPE_LINUX_SLL2, wire_len).unwrap_or(cut)
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            if data.len() < 4 {
                return cut;
            }
            let raw = [data[0], data[1], data[2], data[3]];
            // NULL is in the writer's byte order; families are small, so the order shows.
            let family = if linktype == LINKTYPE_LOOP || raw[0] == 0 && raw[1] == 0 {
                u32::from_be_bytes(raw)
            } else {
                u32::from_le_bytes(raw)
            };
            let et = match family {
                2 => Some(EtherType::IPV4),
                10 | 24 | 28 | 30 => Some(EtherType::IPV6),
                _ => None,
            };
            Frame {
                link: Link::Null { family },
                dir: None,
                link_payload_len: rest(4),
                pkt: et.map(|et| LaxSlicedPacket::from_ether_type(et, &data[4..])),
            }
        }
        LINKTYPE_RAW | LINKTYPE_RAW_12 | LINKTYPE_RAW_14 | LINKTYPE_IPV4 | LINKTYPE_IPV6 => {
            let et = match linktype {
                LINKTYPE_IPV4 => EtherType::IPV4,
                LINKTYPE_IPV6 => EtherType::IPV6,
                _ => ether_type_for_ip(data),
            };
            Frame {
                link: Link::Raw,
                dir: None,
                link_payload_len: rest(0),
                pkt: Some(LaxSlicedPacket::from_ether_type(et, data)),
            }
        }
        LINKTYPE_NFLOG => nflog(data, wire_len),
        _ => Frame {
            link: Link::Unknown,
            dir: None,
            link_payload_len: rest(0),
            pkt: None,
        },
    }
}

/// Linux cooked capture, v1 or (`v2`) v2: the packet type (whence the direction), the
/// hardware type and address, and the protocol; None when the header is cut.
#[inline]
fn sll(data: &[u8], v2: bool, wire_len: u32) -> Option<Frame<'_>> {
    let hdr = if v2 { 20 } else { 16 };
    if data.len() < hdr {
        return None;
    }
    let (pkttype, hatype, halen, addr_at, proto) = if v2 {
        (
            u16::from(data[10]),
            be16(data, 8).unwrap_or(0),
            usize::from(data[11]),
            12,
            be16(data, 0).unwrap_or(0),
        )
    } else {
        (
            be16(data, 0).unwrap_or(0),
            be16(data, 2).unwrap_or(0),
            usize::from(be16(data, 4).unwrap_or(0)),
            6,
            be16(data, 14).unwrap_or(0),
        )
    };
    let addr = &data[addr_at..addr_at + halen.min(8)];
    let dir = match pkttype {
        0..=3 => Some(Dir::In),
        4 => Some(Dir::Out),
        _ => None,
    };
    let payload = &data[hdr..];
    // The protocol field is an ethertype for everything but a few 802.2/802.3 cases
    // (values below 0x0600) and netlink (hatype 824), which we do not decode.
    let pkt = (proto >= 0x0600 && hatype != 824)
        .then(|| LaxSlicedPacket::from_ether_type(EtherType(proto), payload));
    Some(Frame {
        link: Link::Sll {
            pkttype,
            hatype,
            addr,
            proto,
        },
        dir,
        link_payload_len: wire_len.max(data.len() as u32).saturating_sub(hdr as u32),
        pkt,
    })
}

/// NFLOG (print-nflog.c): a 4-byte header (family, version 0, resource id), then TLVs in the
/// logging host's byte order (tcpdump reads them in its own, as here); the packet is the
/// payload TLV (type 9). Anything else cut or odd leaves no packet.
fn nflog(data: &[u8], wire_len: u32) -> Frame<'_> {
    let cut = Frame {
        link: Link::Cut,
        dir: None,
        link_payload_len: 0,
        pkt: None,
    };
    if data.len() < 4 {
        return cut;
    }
    let link = Link::Nflog {
        family: data[0],
        rid: u16::from_be_bytes([data[2], data[3]]),
    };
    let (_, Some((payload, length))) = nflog_tlvs(data, wire_len) else {
        return cut;
    };
    let et = match data[0] {
        2 => Some(EtherType::IPV4),
        10 => Some(EtherType::IPV6),
        _ => None,
    };
    let pkt = payload
        .zip(et)
        .map(|(p, et)| LaxSlicedPacket::from_ether_type(et, p));
    Frame {
        link,
        dir: None,
        link_payload_len: length,
        pkt,
    }
}

/// Walks NFLOG's TLVs as tcpdump does: the bytes it takes as link header (the fixed header,
/// the TLVs before the payload and the payload's own TLV header, which its dumps skip), then,
/// unless a TLV is cut, the payload and the wire bytes left for it.
type NflogWalk<'a> = (usize, Option<(Option<&'a [u8]>, u32)>);
fn nflog_tlvs(data: &[u8], wire_len: u32) -> NflogWalk<'_> {
    let Some(mut rest) = data.get(4..) else {
        return (data.len(), None);
    };
    let mut length = wire_len.max(data.len() as u32).saturating_sub(4);
    // tcpdump walks while wire bytes remain; every TLV is at least 4 bytes, so this ends.
    while length > 0 {
        let walked = data.len() - rest.len();
        if rest.len() < 4 {
            return (walked, None);
        }
        let size = usize::from(u16::from_ne_bytes([rest[0], rest[1]])).next_multiple_of(4);
        let kind = u16::from_ne_bytes([rest[2], rest[3]]);
        if size < 4 || rest.len() < size {
            return (walked, None);
        }
        if kind == 9 {
            return (
                walked + 4,
                Some((Some(&rest[4..]), length.saturating_sub(4))),
            );
        }
        rest = &rest[size..];
        length = length.saturating_sub(size as u32);
    }
    (data.len() - rest.len(), Some((None, length)))
}

/// The bytes of an NFLOG frame tcpdump counts as link header (and leaves out of `-x`).
pub fn nflog_header_len(data: &[u8], wire_len: u32) -> usize {
    nflog_tlvs(data, wire_len).0
}
