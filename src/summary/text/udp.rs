//! UDP (print-udp.c), handing DNS and mDNS to `summary/dns.rs`.

use super::{n, s};
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
                opts.verbose > 0,
                kind == Dns::Multicast,
            );
            return;
        }
    }
    s(out, "UDP, length ");
    n(out, len);
}
