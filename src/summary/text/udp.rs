//! UDP (print-udp.c), handing DNS and mDNS to `summary/dns.rs`.

use super::{cksum, encap, n, s};
use crate::summary::decode::{self, Dns, Ip};
use crate::summary::dns;
use crate::summary::PrintOptions;

/// `len`: the payload bytes (`decode::udp_len`).
#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    u: &etherparse::UdpSlice<'_>,
    len: u32,
    ip: &Ip<'_>,
    opts: &PrintOptions,
    st: &mut super::State,
) {
    // tcpdump checks IPv4 UDP sums only from -vv; IPv6 ones (mandatory there) from -v.
    let check = opts.verbose > 0 && !opts.no_checksum && ip.frag.is_none();
    if check && !ip.v6 && opts.verbose > 1 && u.checksum() == 0 {
        s(out, "[no cksum] ");
    } else if check && (ip.v6 || opts.verbose > 1) {
        if let Some(sum) = cksum::transport(ip, 17) {
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
        if encap::udp(out, sp, dp, u.payload(), len, opts, st) {
            return;
        }
    }
    s(out, "UDP, length ");
    n(out, len);
}
