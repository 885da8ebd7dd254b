//! The link layer: `-e` headers and the frames nothing above decodes (print-ether.c,
//! print-sll.c, print-null.c).

use super::{n, s};
use crate::packet::Packet;
use crate::summary::decode::{Frame, Link};
use crate::summary::{names, put};

/// `ethertype IPv4 (0x0800)`.
fn ethertype(out: &mut Vec<u8>, t: u16) {
    s(out, "ethertype ");
    s(out, names::ethertype_name(t));
    s(out, " (");
    put::hex16(out, t);
    out.push(b')');
}

/// `-e`: the link-level header, tcpdump style, ending in `: `.
pub(super) fn header(out: &mut Vec<u8>, f: &Frame<'_>, wire_len: u32) {
    match f.link {
        Link::Ether {
            dst,
            src,
            ethertype: et,
        } => {
            put::mac(out, &src);
            s(out, " > ");
            put::mac(out, &dst);
            s(out, ", ");
            if et < 0x0600 {
                s(out, "802.3");
            } else {
                ethertype(out, et);
            }
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
            for (id, pcp, next) in f.vlans() {
                s(out, "vlan ");
                n(out, id);
                s(out, ", p ");
                n(out, pcp);
                s(out, ", ");
                ethertype(out, next);
                s(out, ", ");
            }
        }
        Link::Sll { addr, proto, .. } => {
            if !addr.is_empty() {
                put::mac(out, addr);
                out.push(b' ');
            }
            ethertype(out, proto);
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
        }
        Link::Null { family } => {
            s(out, "AF ");
            n(out, family);
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
        }
        Link::Nflog { family, rid } => super::encap::nflog_header(out, family, rid, wire_len),
        Link::Raw | Link::Cut | Link::Unknown => {}
    }
}

/// Anything we do not decode: say what it is by number, and how long.
/// `prefix` false: `-e` already printed the ethertype, so only its name is repeated.
pub(super) fn fallback(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    pkt: &Packet<'_>,
    linktype: u16,
    prefix: bool,
) {
    match (f.link, f.ethertype()) {
        (_, Some(et)) => {
            if prefix || f.vlans().next().is_some() {
                ethertype(out, et);
            } else {
                s(out, names::ethertype_name(et));
            }
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        (Link::Sll { proto, hatype, .. }, None) => {
            s(out, "Linux cooked, hatype ");
            n(out, hatype);
            s(out, ", protocol ");
            put::hex16(out, proto);
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        (Link::Null { family }, None) => {
            s(out, "AF ");
            n(out, family);
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        _ => {
            s(out, "link type ");
            n(out, linktype);
            s(out, ", length ");
            n(out, pkt.len);
        }
    }
}
