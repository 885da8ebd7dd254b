//! UDP (print-udp.c), handing DNS and mDNS to `summary/dns.rs`.

use super::{encap, n, s};
use crate::summary::decode::{self, Dns};
use crate::summary::dns;
use crate::summary::PrintOptions;

/// `len`: the payload bytes (`decode::udp_len`).
#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    u: &etherparse::UdpSlice<'_>,
    len: u32,
    opts: &PrintOptions,
) {
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
        if encap::udp(out, sp, dp, u.payload(), len, opts) {
            return;
        }
    }
    s(out, "UDP, length ");
    n(out, len);
}
