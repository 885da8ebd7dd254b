//! The summary line after time, interface and direction, following `tcpdump -n` (4.99) output,
//! one file per protocol layer as in tcpdump's print-*.c (DNS, shared with JSON, is
//! `summary/dns.rs`). Differences kept on purpose: sequence numbers are absolute (tcpdump -S),
//! TCP options only with `-v`, and `-v` output stays on one line.

// Each layer's `print` has one caller and is `#[inline]`: split into modules, they landed in
// other codegen units, where LLVM stopped inlining them (1.6% more instructions per line under
// callgrind); with the hint the machine code is that of the single file again.
mod app;
mod arp;
mod encap;
mod http;
mod icmp;
mod icmp6;
mod igmp;
mod ip;
mod link;
mod tcp;
mod udp;

use etherparse::LaxNetSlice;

use super::decode::{Frame, Link};
use super::{names, put};
use crate::packet::Packet;
use crate::summary::PrintOptions;

fn s(out: &mut Vec<u8>, t: &str) {
    out.extend_from_slice(t.as_bytes());
}

fn n(out: &mut Vec<u8>, v: impl Into<u64>) {
    put::u64(out, v.into());
}

pub fn frame(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    pkt: &Packet<'_>,
    linktype: u16,
    opts: &PrintOptions,
) {
    if opts.link_header {
        link::header(out, f, pkt.len);
    }
    match f.link {
        Link::Cut => {
            s(out, " [|");
            s(out, names::link_name(linktype));
            out.push(b']');
            return;
        }
        Link::Unknown => {
            s(out, "unknown link type ");
            n(out, linktype);
            s(out, ", length ");
            n(out, pkt.len);
            return;
        }
        Link::Ether { ethertype: et, .. } if et < 0x0600 => {
            s(out, "802.3 LLC, length ");
            n(out, f.link_payload_len);
            return;
        }
        _ => {}
    }
    // With -e the ethertype is already on the line, and tcpdump then drops `IP `/`ARP, `.
    let prefix = !(opts.link_header
        && matches!(
            f.link,
            Link::Ether { .. } | Link::Sll { .. } | Link::Nflog { .. }
        ));
    let Some(p) = &f.pkt else {
        link::fallback(out, f, pkt, linktype, prefix);
        return;
    };
    match &p.net {
        Some(LaxNetSlice::Arp(a)) => arp::print(out, a.slice(), f.link_payload_len, prefix),
        Some(_) => match f.ip() {
            Some(ip) => ip::print(out, f, &ip, opts, prefix),
            None => link::fallback(out, f, pkt, linktype, prefix),
        },
        None => {
            if let Some(layer) = f.stop_layer() {
                // tcpdump's words for a cut network header, prefix and spacing included.
                let name = match (f.ethertype(), names::layer_name(layer)) {
                    (Some(0x86dd), "ip") => "ip6",
                    (_, name) => name,
                };
                if prefix && f.ethertype() == Some(0x0800) {
                    s(out, "IP ");
                }
                s(out, " [|");
                s(out, name);
                out.push(b']');
            } else if !encap::link(out, f, opts) {
                link::fallback(out, f, pkt, linktype, prefix);
            }
        }
    }
}
