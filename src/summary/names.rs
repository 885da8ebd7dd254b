//! Every name the summaries give a number, in one place for the text lines and the JSON
//! objects alike (tcpdump's words, from its print-*.c and tok tables).

use crate::link::{
    LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NFLOG,
    LINKTYPE_NULL,
};
use etherparse::err::Layer;

/// tcpdump's ethertype names (`Unknown` for the rest, printed with the number).
pub fn ethertype_name(t: u16) -> &'static str {
    match t {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x86dd => "IPv6",
        0x8100 => "802.1Q",
        0x88a8 => "802.1Q-QinQ",
        0x9100 => "802.1Q-9100",
        0x8035 => "Reverse ARP",
        0x6558 => "TEB",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        0x888e => "EAPOL",
        0x88cc => "LLDP",
        0x88e5 => "MACsec",
        0x88f7 => "PTP",
        0x8906 => "FCoE",
        0x9000 => "Loopback",
        _ => "Unknown",
    }
}
/// tcpdump's ethertype_values table whole (print-ether.c), as tok2str reads it: VMAN shares
/// 0x9100 with 802.1Q-9100 and loses. ARP names its protocol type by it.
pub fn ethertype_values(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0800 => "IPv4",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x86dd => "IPv6",
        0x8100 => "802.1Q",
        0x9100 => "802.1Q-9100",
        0x88a8 => "802.1Q-QinQ",
        0x9200 => "802.1Q-9200",
        0x88e5 => "802.1AE MACsec",
        0x0200 => "PUP",
        0x0806 => "ARP",
        0x8035 => "Reverse ARP",
        0x0600 => "NS",
        0x0500 => "Sprite",
        0x1000 => "Trail",
        0x6001 => "MOP DL",
        0x6002 => "MOP RC",
        0x6003 => "DN",
        0x6004 => "LAT",
        0x6007 => "SCA",
        0x6558 => "TEB",
        0x8038 => "Lanbridge",
        0x803c => "DEC DNS",
        0x803e => "DEC DTS",
        0x805b => "VEXP",
        0x805c => "VPROD",
        0x809b => "Appletalk",
        0x80f3 => "Appletalk ARP",
        0x8137 => "IPX",
        0x880b => "PPP",
        0x8808 => "MPCP",
        0x8809 => "Slow Protocols",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        0x888e => "EAPOL",
        0x8899 => "Realtek protocols",
        0x886f => "MS NLB heartbeat",
        0x8870 => "Jumbo",
        0x894f => "NSH",
        0x9000 => "Loopback",
        0xfefe => "OSI",
        0x00fe => "GRE-OSI",
        0xabcd => "CFM (old)",
        0x8902 => "CFM",
        0x893a => "IEEE1905.1",
        0x88cc => "LLDP",
        0x88ca => "TIPC",
        0x0707 => "GeoNet (old)",
        0x8947 => "GeoNet",
        0x1111 => "CALM FAST",
        0x88a2 => "AoE",
        0x88f7 => "PTP",
        0xd28b => "Arista Vendor Specific Protocol",
        _ => return None,
    })
}

/// The link layer tcpdump names in `[|...]` when the link header itself is cut.
pub fn link_name(linktype: u16) -> &'static str {
    match linktype {
        LINKTYPE_ETHERNET => "ether",
        LINKTYPE_LINUX_SLL => "sll",
        LINKTYPE_LINUX_SLL2 => "sll2",
        LINKTYPE_NULL | LINKTYPE_LOOP => "null",
        LINKTYPE_NFLOG => "nflog",
        _ => "link",
    }
}

/// IP protocol numbers, for `-v` lines, flow tables and IPv6 `next-header`.
pub fn ip_proto_name(p: u8) -> Option<&'static str> {
    Some(match p {
        0 => "Options",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        43 => "Routing",
        44 => "Frag",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        59 => "NONE",
        60 => "DSTOPTS",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        _ => return None,
    })
}
/// IPv4 option names, as tcpdump's `-v` lists them.
pub fn ipv4_option_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        0 => "EOL",
        1 => "NOP",
        7 => "RR",
        68 => "timestamp",
        82 => "traceroute",
        130 => "security",
        131 => "LSRR",
        137 => "SSRR",
        148 => "RA",
        _ => return None,
    })
}

/// TCP flags as tcpdump letters (`S`, `F`, `R`, `P`, `U`, `E`, `W`, `.` for ACK), in its order.
pub fn tcp_flags(out: &mut Vec<u8>, t: &etherparse::TcpSlice<'_>) {
    for (on, c) in [
        (t.fin(), b'F'),
        (t.syn(), b'S'),
        (t.rst(), b'R'),
        (t.psh(), b'P'),
        (t.ack(), b'.'),
        (t.urg(), b'U'),
        (t.ece(), b'E'),
        (t.cwr(), b'W'),
    ] {
        if on {
            out.push(c);
        }
    }
}
/// ICMP type names, as tcpdump prints them and as the JSON `name` field gives them.
pub fn icmp_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "echo reply",
        3 => "unreachable",
        4 => "source quench",
        5 => "redirect",
        8 => "echo request",
        9 => "router advertisement",
        10 => "router solicitation",
        11 => "time exceeded",
        12 => "parameter problem",
        13 => "time stamp query",
        14 => "time stamp reply",
        15 => "information request",
        16 => "information reply",
        17 => "address mask request",
        18 => "address mask reply",
        _ => return None,
    })
}
/// ICMPv6 type names, as tcpdump prints them and as the JSON `name` field gives them.
pub fn icmp6_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        143 => "multicast listener report v2",
        _ => return None,
    })
}
/// ICMPv6 destination unreachable codes.
pub fn icmp6_unreach_name(code: u8) -> &'static str {
    match code {
        0 => "unreachable route",
        1 => "unreachable prohibited",
        2 => "beyond scope",
        3 => "unreachable address",
        4 => "unreachable port",
        5 => "source address failed policy",
        6 => "reject route",
        _ => "unknown code",
    }
}

/// DNS record types by mnemonic; others print as `Type<n>`.
pub fn dns_type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        _ => return None,
    })
}
/// DNS response codes, as tcpdump words them.
pub fn dns_rcode_name(r: u16) -> &'static str {
    match r {
        0 => "NoError",
        1 => "FormErr",
        2 => "ServFail",
        3 => "NXDomain",
        4 => "NotImp",
        5 => "Refused",
        6 => "YXDomain",
        7 => "YXRRSet",
        8 => "NXRRSet",
        9 => "NotAuth",
        10 => "NotZone",
        _ => "Resp",
    }
}

/// The cut marker's name for a transport header cut short inside an IP payload.
pub fn transport_cut_name(ip_proto: u8) -> &'static str {
    match ip_proto {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "icmp6",
        2 => "igmp",
        _ => "ip",
    }
}
/// The short protocol name tcpdump uses in its `[|proto]` cut marker.
pub fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::LinuxSllHeader => "sll",
        Layer::Ethernet2Header | Layer::EtherPayload => "ether",
        Layer::VlanHeader => "vlan",
        Layer::MacsecHeader | Layer::MacsecPacket => "macsec",
        Layer::IpHeader | Layer::Ipv4Header | Layer::Ipv4Packet | Layer::IpAuthHeader => "ip",
        Layer::Ipv6Header | Layer::Ipv6Packet | Layer::Ipv6ExtHeader => "ip6",
        Layer::Ipv6HopByHopHeader => "hbhopt",
        Layer::Ipv6DestOptionsHeader => "dstopt",
        Layer::Ipv6RouteHeader => "srcrt",
        Layer::Ipv6FragHeader => "frag",
        Layer::UdpHeader | Layer::UdpPayload => "udp",
        Layer::TcpHeader => "tcp",
        Layer::Icmpv4 | Layer::Icmpv4Timestamp | Layer::Icmpv4TimestampReply => "icmp",
        Layer::Icmpv6 => "icmp6",
        Layer::Igmp => "igmp",
        Layer::Arp => "arp",
    }
}

/// af.c's af_values: address family numbers (BGP's AFI, LLDP's management addresses).
pub fn address_family(af: u16) -> &'static str {
    match af {
        0 => "Reserved",
        1 => "IPv4",
        2 => "IPv6",
        3 => "NSAP",
        4 => "HDLC",
        5 => "BBN 1822",
        6 => "802",
        7 => "E.163",
        8 => "E.164",
        9 => "F.69",
        10 => "X.121",
        11 => "Novell IPX",
        12 => "Appletalk",
        13 => "Decnet IV",
        14 => "Banyan Vines",
        15 => "E.164 with NSAP subaddress",
        25 => "VPLS",
        196 => "Layer-2 VPN",
        _ => "Unknown",
    }
}
