//! UDP (print-udp.c), handing DNS and mDNS to `summary/dns.rs`.

use super::{n, s};
use crate::cli::PrintOptions;
use crate::summary::dns;

pub(super) fn print(
    out: &mut Vec<u8>,
    u: &etherparse::UdpSlice<'_>,
    ip_payload: u32,
    opts: &PrintOptions,
) {
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
