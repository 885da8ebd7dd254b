//! UDP (print-udp.c), handing DNS and mDNS to `summary/dns/`, syslog to `syslog`.

use super::{cksum, n, s, tunnel};
use crate::summary::decode::{self, Dns, Ip};
use crate::summary::dns;
use crate::summary::PrintOptions;

/// syslog's port.
const SYSLOG: u16 = 514;

/// Whether tcpdump would print a datagram to or from port 514 as syslog. print-udp.c tries
/// some forty protocols by port before syslog (NTP, SNMP, BOOTP, TFTP, RIP, ISAKMP and NAT-T,
/// L2TP, RX, SIP, RADIUS, BFD …) and only the tunnels after it. A datagram whose other port is
/// 514 too, or an ephemeral one (32768 and up, where Linux picks a client's port and none of
/// those protocols lives), is syslog; one whose other port might be one of them is left as
/// `UDP, length N` rather than risk naming it wrongly.
fn syslog_first(sp: u16, dp: u16) -> bool {
    let other = match (sp, dp) {
        (SYSLOG, o) | (o, SYSLOG) => o,
        _ => return false,
    };
    other == SYSLOG || other >= 32768
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
        if let Some(kind) = decode::dns_by_port(u.source_port(), u.destination_port()) {
            dns::print(
                out,
                u.payload(),
                len,
                opts.verbose,
                false,
                kind == Dns::Multicast,
            );
            return;
        }
        let (sp, dp) = (u.source_port(), u.destination_port());
        if syslog_first(sp, dp) {
            // tcpdump reads the message on to the end of the IP payload, not the UDP length's.
            let after = ip.rest.get(8..).unwrap_or(&[]);
            return super::syslog::print(out, after, len, opts.verbose);
        }
        if tunnel::udp(out, sp, dp, u.payload(), len, opts, st) {
            return;
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
