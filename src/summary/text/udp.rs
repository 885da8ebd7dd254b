//! UDP (print-udp.c), handing DNS and mDNS to `summary/dns/`, syslog to `syslog`.

use super::{cksum, n, s, tunnel};
use crate::summary::decode::{self, Dns, Ip};
use crate::summary::dns;
use crate::summary::PrintOptions;

/// What print-udp.c hands a datagram to, by its ports (and, for NFS and AppleTalk, a look at
/// its first bytes): the printers nscap has, or `Other` for one it has not (the line then
/// ends `UDP, length N`, where tcpdump decodes more, rather than naming it wrongly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Printer {
    Dns,
    Mdns,
    Ntp,
    Bootp,
    Bfd,
    Sip,
    Syslog,
    Tftp,
    Rip,
    Hsrp,
    Dhcp6,
    RipNg,
    Otv,
    Vxlan,
    Geneve,
    Other,
    Plain,
}

/// How a row of print-udp.c's chain matches the ports.
#[derive(Clone, Copy)]
enum On {
    Either(u16),
    Dst(u16),
    Src(u16),
    /// RX's ten ports.
    Range(u16, u16),
}

/// print-udp.c's chain in tcpdump 4.99's order, from DNS to SOME/IP, as Debian's tcpdump is
/// built: without ENABLE_SMB, so NetBIOS's ports 137 and 138 are not in it.
const CHAIN: [(On, Printer); 61] = {
    use On::*;
    use Printer::*;
    [
        (Either(53), Dns),
        (Either(5353), Mdns),
        (Either(525), Other), // timed
        (Either(69), Tftp),
        (Either(68), Bootp),
        (Either(67), Bootp),
        (Either(520), Rip),
        (Either(654), Other),  // AODV
        (Either(500), Other),  // ISAKMP
        (Either(4500), Other), // ISAKMP NAT-T
        (Either(7500), Other),
        (Either(8500), Other),
        (Either(161), Other), // SNMP
        (Either(162), Other),
        (Either(123), Ntp),
        (Either(88), Other), // Kerberos
        (Either(750), Other),
        (Either(1701), Other), // L2TP
        (Dst(3456), Other),    // VAT
        (Either(2103), Other), // Zephyr
        (Either(2104), Other),
        (Range(7000, 7009), Other), // RX
        (Either(521), RipNg),
        (Either(546), Dhcp6),
        (Either(547), Dhcp6),
        (Either(5359), Other), // AHCP
        (Either(6696), Other), // Babel
        (Either(6697), Other),
        (Either(8231), Other), // HNCP
        (Dst(4567), Other),    // wb
        (Either(496), Other),  // Cisco Auto-RP
        (Either(1645), Other), // RADIUS
        (Either(1812), Other),
        (Either(1646), Other),
        (Either(1813), Other),
        (Either(1700), Other),
        (Either(3799), Other),
        (Dst(1985), Hsrp),
        (Either(921), Other),  // lwres
        (Either(646), Other),  // LDP
        (Either(698), Other),  // OLSR
        (Either(3503), Other), // MPLS LSP ping
        (Src(49152), Other),   // BCM LI
        (Dst(3784), Bfd),
        (Dst(4784), Bfd),
        (Dst(6784), Bfd),
        (Dst(3785), Bfd),
        (Either(701), Other),  // LMP
        (Either(1589), Other), // VQP
        (Either(6343), Other), // sFlow
        (Dst(12223), Other),   // LWAPP control
        (Src(12223), Other),
        (Either(12222), Other), // LWAPP data
        (Either(5060), Sip),
        (Either(514), Syslog),
        (Either(8472), Otv),
        (Either(4789), Vxlan),
        (Either(6081), Geneve),
        (Either(4342), Other),  // LISP
        (Either(4790), Other),  // VXLAN-GPE
        (Either(17754), Other), // ZEP
    ]
};

/// The printer print-udp.c picks for a datagram from `sp` to `dp` starting with `b`.
pub(super) fn printer(sp: u16, dp: u16, b: &[u8]) -> Printer {
    // NFS over UDP, told by the RPC direction: before everything else.
    let dir = crate::summary::kit::be32(b, 4);
    if dp == 2049 && dir == Some(0) || sp == 2049 && dir == Some(1) {
        return Printer::Other;
    }
    for (on, p) in CHAIN {
        let hit = match on {
            On::Either(x) => sp == x || dp == x,
            On::Dst(x) => dp == x,
            On::Src(x) => sp == x,
            On::Range(lo, hi) => (lo..=hi).contains(&sp) || (lo..=hi).contains(&dp),
        };
        if hit {
            return p;
        }
    }
    // MPLS in UDP, AppleTalk in UDP (its LAP type is DDP), PTP, SOME/IP.
    let atalk =
        |p: u16| (16512..16640).contains(&p) || (200..328).contains(&p) || (768..896).contains(&p);
    if sp == 6635 || dp == 6635 || b.get(2) == Some(&2) && (atalk(sp) || atalk(dp)) {
        return Printer::Other;
    }
    if [319, 320, 30490].iter().any(|&p| sp == p || dp == p) {
        return Printer::Other;
    }
    Printer::Plain
}

/// print-udp.c: the length field, not the IP length, says what the checksum covers and the
/// line reports (with a note when it claims more than IP carries).
#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    u: &etherparse::UdpSlice<'_>,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    st: &mut super::State,
) {
    let length = ip.payload_len;
    let mut field = u32::from(u.length());
    // An IPv6 jumbogram's UDP length is zero.
    if field == 0 && length > 65535 {
        field = length;
    }
    if field < 8 {
        s(out, "truncated-udplength ");
        n(out, field);
        return;
    }
    let ulen = field - 8;
    // The payload's printers get the shorter of the two.
    let len = ulen.min(length.saturating_sub(8));
    // tcpdump checks IPv4 UDP sums only from -vv; IPv6 ones (mandatory there) from -v.
    let check = opts.verbose > 0 && !opts.no_checksum && ip.frag.is_none();
    if check && !ip.v6 && opts.verbose > 1 && u.checksum() == 0 {
        s(out, "[no cksum] ");
    } else if check && (ip.v6 || opts.verbose > 1) {
        if let Some(sum) = cksum::over(ip, 17, len + 8) {
            cksum::bracket(out, "udp", u.checksum(), sum);
        }
    }
    if !opts.quick {
        let (sp, dp) = (u.source_port(), u.destination_port());
        // tcpdump's printers read on to the end of the IP payload (its snapshot end there), not
        // only what the UDP length covers: the NFS test and NTP's, syslog's and BOOTP's reads.
        let after = ip.rest.get(8..).unwrap_or(&[]);
        match printer(sp, dp, after) {
            Printer::Dns | Printer::Mdns => {
                let mdns = decode::dns_by_port(sp, dp) == Some(Dns::Multicast);
                return dns::print(out, u.payload(), len, opts.verbose, false, mdns);
            }
            Printer::Ntp => return super::ntp::print(out, after, len, opts.verbose),
            Printer::Sip => {
                return super::txt::print(out, &super::sip::SIP, u.payload(), len, opts.verbose)
            }
            Printer::Bootp => return super::bootp::print(out, after, len, opts.verbose),
            Printer::Bfd => return super::bfd::print(out, after, len, dp, opts.verbose),
            Printer::Syslog => return super::syslog::print(out, after, len, opts.verbose),
            Printer::Tftp => return super::tftp::print(out, after, len),
            Printer::Rip => return super::rip::print(out, after, len, opts.verbose),
            Printer::Dhcp6 => return super::dhcp6::print(out, after, len, opts.verbose),
            Printer::Hsrp => return super::hsrp::print(out, after, len, opts.verbose),
            Printer::RipNg => return super::ripng::print(out, after, len, opts.verbose),
            Printer::Otv | Printer::Vxlan | Printer::Geneve => {
                if tunnel::udp(out, sp, dp, u.payload(), len, opts, st) {
                    return;
                }
            }
            Printer::Other | Printer::Plain => {}
        }
    }
    if ulen > len && ip.frag.is_none() {
        s(out, "UDP, bad length ");
        n(out, ulen);
        s(out, " > ");
        n(out, len);
    } else {
        s(out, "UDP, length ");
        n(out, ulen);
    }
}

/// A UDP header cut after its ports: print-udp.c still judges the IP length (`truncated-udp`)
/// and, when captured, the length field (`truncated-udplength`); false when neither applies.
pub(super) fn cut(out: &mut Vec<u8>, b: &[u8], ip: &Ip<'_>) -> bool {
    let length = ip.payload_len;
    if b.len() < 4 {
        return false;
    }
    if length < 8 {
        s(out, "truncated-udp ");
        n(out, length);
        return true;
    }
    let Some(f) = b.get(4..6) else {
        return false;
    };
    let field = u32::from(u16::from_be_bytes([f[0], f[1]]));
    if field >= 8 || field == 0 && length > 65535 {
        return false;
    }
    s(out, "truncated-udplength ");
    n(out, field);
    true
}
