//! LLDP (print-lldp.c): the system name on the default line; under -v every TLV on lines of
//! its own, the ones tcpdump decodes decoded (the 802.1, 802.3, TIA LLDP-MED, DCBX and IANA
//! organisation-specific ones included), a hex dump of the others, and of every TLV under -vv.

mod dcbx;
mod ieee;
mod tia;

use super::{dump, n, s};
use crate::summary::digits;
use crate::summary::dns::print_char;
use crate::summary::kit::{be16, be24, be32, trunc};

fn tlv_name(t: u8) -> &'static str {
    match t {
        0 => "End",
        1 => "Chassis ID",
        2 => "Port ID",
        3 => "Time to Live",
        4 => "Port Description",
        5 => "System Name",
        6 => "System Description",
        7 => "System Capabilities",
        8 => "Management Address",
        127 => "Organization specific",
        _ => "Unknown",
    }
}

/// tcpdump's oui_values, first match: 802.1's OUI is RFC 2684's "Ethernet bridged" there.
fn oui_name(oui: u32) -> &'static str {
    match oui {
        0x000000 => "Ethernet",
        0x00000c => "Cisco",
        0x00005e => "IANA",
        0x000081 => "Nortel Networks SONMP",
        0x0000f8 => "Cisco bridged",
        0x0080c2 => "Ethernet bridged",
        0x00a03e => "ATM Forum",
        0x00e02f => "DOCSIS Spanning Tree",
        0x080007 => "Appletalk",
        0x009069 => "Juniper",
        0x080009 => "Hewlett-Packard",
        0x00120f => "IEEE 802.3 Private",
        0x0012bb => "ANSI/TIA",
        0x001b21 => "DCBX",
        0x002320 => "Nicira Networks",
        0x5c16c7 => "Big Switch Networks",
        0xb0d2f5 => "Vello Systems",
        0x002481 => "HP",
        0x0004ea => "HP-Labs",
        0x748771 => "Infoblox Inc",
        0xa42305 => "Open Networking Lab",
        0x00049f => "Freescale",
        0x0015ad => "Netronome",
        0x001018 => "Broadcom",
        0x00e004 => "PMC-Sierra",
        0xd0f0db => "Ericsson",
        _ => "Unknown",
    }
}

fn chassis_subtype(t: u8) -> &'static str {
    match t {
        1 => "Chassis component",
        2 => "Interface alias",
        3 => "Port component",
        4 => "MAC address",
        5 => "Network address",
        6 => "Interface name",
        7 => "Local",
        _ => "Unknown",
    }
}

fn port_subtype(t: u8) -> &'static str {
    match t {
        1 => "Interface alias",
        2 => "Port component",
        3 => "MAC address",
        4 => "Network Address",
        5 => "Interface Name",
        6 => "Agent circuit ID",
        7 => "Local",
        _ => "Unknown",
    }
}

const CAPS: [(u16, &str); 8] = [
    (1, "Other"),
    (2, "Repeater"),
    (4, "Bridge"),
    (8, "WLAN AP"),
    (16, "Router"),
    (32, "Telephone"),
    (64, "Docsis"),
    (128, "Station Only"),
];

/// Support and status bits, as the 802.1/802.3 aggregation and autonegotiation fields share.
const SUPPORTED_ENABLED: [(u16, &str); 2] = [(1, "supported"), (2, "enabled")];

const PMD: [(u16, &str); 15] = [
    (1 << 14, "10BASE-T hdx"),
    (1 << 13, "10BASE-T fdx"),
    (1 << 12, "100BASE-T4"),
    (1 << 11, "100BASE-TX hdx"),
    (1 << 10, "100BASE-TX fdx"),
    (1 << 9, "100BASE-T2 hdx"),
    (1 << 8, "100BASE-T2 fdx"),
    (1 << 7, "Pause for fdx links"),
    (1 << 6, "Asym PAUSE for fdx"),
    (1 << 5, "Sym PAUSE for fdx"),
    (1 << 4, "Asym and Sym PAUSE for fdx"),
    (1 << 3, "1000BASE-{X LX SX CX} hdx"),
    (1 << 2, "1000BASE-{X LX SX CX} fdx"),
    (1 << 1, "1000BASE-T hdx"),
    (1, "1000BASE-T fdx"),
];

const MDI: [(u16, &str); 4] = [
    (1, "PSE"),
    (2, "supported"),
    (4, "enabled"),
    (8, "can be controlled"),
];

const MAU_TYPES: [&str; 41] = [
    "Unknown",
    "AUI",
    "10BASE_5",
    "FOIRL",
    "10BASE2",
    "10BASET duplex mode unknown",
    "10BASEFP",
    "10BASEFB",
    "10BASEFL duplex mode unknown",
    "10BROAD36",
    "10BASET hdx",
    "10BASET fdx",
    "10BASEFL hdx",
    "10BASEFL fdx",
    "100BASET4",
    "100BASETX hdx",
    "100BASETX fdx",
    "100BASEFX hdx",
    "100BASEFX fdx",
    "100BASET2 hdx",
    "100BASET2 fdx",
    "1000BASEX hdx",
    "1000BASEX fdx",
    "1000BASELX hdx",
    "1000BASELX fdx",
    "1000BASESX hdx",
    "1000BASESX fdx",
    "1000BASECX hdx",
    "1000BASECX fdx",
    "1000BASET hdx",
    "1000BASET fdx",
    "10GBASEX",
    "10GBASELX4",
    "10GBASER",
    "10GBASEER",
    "10GBASELR",
    "10GBASESR",
    "10GBASEW",
    "10GBASEEW",
    "10GBASELW",
    "10GBASESW",
];

/// tcpdump's bittok2str: the names of the bits set, comma-separated, else `none`.
fn bits(out: &mut Vec<u8>, table: &[(u16, &str)], v: u16, none: &str) {
    let mut first = true;
    for &(bit, name) in table {
        if v & bit == bit {
            if !first {
                s(out, ", ");
            }
            s(out, name);
            first = false;
        }
    }
    if first {
        s(out, none);
    }
}

/// nd_printjnp: up to `b.len()` characters, ending at a NUL.
fn text(out: &mut Vec<u8>, b: &[u8]) {
    for &c in b.iter().take_while(|c| **c != 0) {
        print_char(out, c);
    }
}

/// lldp_network_addr_print: an address family number, then the address; false when the
/// TLV is too short for it.
fn network_addr(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let Some((&af, a)) = b.split_first() else {
        return false;
    };
    let name = crate::summary::names::address_family(af.into());
    let need = match af {
        1 => 4,
        2 => 16,
        6 => 6,
        _ => 0,
    };
    if a.len() < need {
        return false;
    }
    s(out, "AFI ");
    s(out, name);
    s(out, " (");
    n(out, af);
    out.push(b')');
    match af {
        1 => {
            s(out, ": ");
            digits::ipv4(out, [a[0], a[1], a[2], a[3]]);
        }
        2 => {
            s(out, ": ");
            let mut v6 = [0u8; 16];
            v6.copy_from_slice(&a[..16]);
            digits::ipv6(out, v6);
        }
        6 => {
            s(out, ": ");
            digits::mac(out, &a[..6]);
        }
        _ => s(out, ", no AF printer !"),
    }
    true
}

/// The chassis and port ID TLVs: a subtype, then the ID; None when too short (tcpdump then
/// calls the packet cut), else whether to hex-dump it.
fn id(out: &mut Vec<u8>, b: &[u8], chassis: bool) -> Option<bool> {
    if b.len() < 2 {
        return None;
    }
    let sub = b[0];
    s(out, "\n\t  Subtype ");
    s(
        out,
        if chassis {
            chassis_subtype(sub)
        } else {
            port_subtype(sub)
        },
    );
    s(out, " (");
    n(out, sub);
    s(out, "): ");
    // The two lists number the same kinds differently.
    let (mac, net) = if chassis { (4, 5) } else { (3, 4) };
    match sub {
        _ if sub == mac => {
            if b.len() < 7 {
                return None;
            }
            digits::mac(out, &b[1..7]);
        }
        _ if sub == net => {
            if !network_addr(out, &b[1..]) {
                return None;
            }
        }
        1..=7 => text(out, &b[1..]),
        _ => return Some(true),
    }
    Some(false)
}

fn mgmt_addr(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let Some((&alen, rest)) = b.split_first() else {
        return false;
    };
    let alen = usize::from(alen);
    if rest.len() < alen {
        return false;
    }
    let mark = out.len();
    s(out, "\n\t  Management Address length ");
    n(out, alen as u32);
    s(out, ", ");
    if !network_addr(out, &rest[..alen]) {
        out.truncate(mark);
        return false;
    }
    let rest = &rest[alen..];
    if rest.len() < 5 {
        return false;
    }
    s(out, "\n\t  ");
    s(
        out,
        match rest[0] {
            2 => "Interface Index",
            3 => "System Port Number",
            _ => "Unknown",
        },
    );
    s(out, " Interface Numbering (");
    n(out, rest[0]);
    s(out, "): ");
    n(out, be32(rest, 1).unwrap_or(0));
    let rest = &rest[5..];
    if let Some((&olen, oid)) = rest.split_first() {
        let olen = usize::from(olen);
        if oid.len() < olen {
            return false;
        }
        if olen > 0 {
            s(out, "\n\t  OID length ");
            n(out, olen as u32);
            text(out, &oid[..olen]);
        }
    }
    true
}

/// tcpdump's tok2str: `v`'s name in `table`, else `unknown`.
fn tok<'a>(table: &[(u16, &'a str)], v: u16, unknown: &'a str) -> &'a str {
    table
        .iter()
        .find(|(k, _)| *k == v)
        .map_or(unknown, |(_, name)| name)
}

/// printf's `%-Nd`: the number, then spaces up to `width` columns.
fn left(out: &mut Vec<u8>, v: impl Into<u64>, width: usize) {
    let start = out.len();
    n(out, v);
    while out.len() - start < width {
        out.push(b' ');
    }
}

/// printf's `%02X`, which only the DCBX printer uses.
fn byte_hex_upper(out: &mut Vec<u8>, b: u8) {
    for d in [b >> 4, b & 15] {
        out.push(b"0123456789ABCDEF"[usize::from(d)]);
    }
}

/// `label`, then `v` in decimal: most organisation TLV fields print so.
fn field(out: &mut Vec<u8>, label: &str, v: impl Into<u64>) {
    s(out, label);
    n(out, v);
}

/// The subtype line every organisation printer starts with (`b` from the OUI on); None when
/// the TLV is shorter than `min`, where tcpdump prints nothing more and dumps nothing.
fn org_subtype(out: &mut Vec<u8>, b: &[u8], min: usize, names: &[(u16, &str)]) -> Option<u8> {
    if b.len() < min {
        return None;
    }
    let sub = b[3];
    s(out, "\n\t  ");
    s(out, tok(names, u16::from(sub), "unknown"));
    s(out, " Subtype (");
    n(out, sub);
    out.push(b')');
    Some(sub)
}

/// IANA's organisation TLVs (RFC 8520's MUD URL the only one); tcpdump wants 8 bytes before
/// it prints even the subtype.
fn iana(out: &mut Vec<u8>, b: &[u8]) -> bool {
    match org_subtype(out, b, 8, &[(1, "MUD-URL")]) {
        Some(1) => {
            // nd_printn, not nd_printjnp: a NUL does not end the URL.
            s(out, "\n\t  MUD-URL=");
            for &c in &b[4..] {
                print_char(out, c);
            }
            false
        }
        Some(_) => true,
        None => false,
    }
}

/// One TLV's value under -v; None when tcpdump calls it cut, else whether to hex-dump it.
fn value(out: &mut Vec<u8>, t: u8, v: &[u8], verbose: u8) -> Option<bool> {
    match t {
        1 | 2 => return id(out, v, t == 1),
        3 => {
            if v.len() < 2 {
                return None;
            }
            s(out, ": TTL ");
            n(out, be16(v, 0).unwrap_or(0));
            out.push(b's');
        }
        4 => {
            s(out, ": ");
            text(out, v);
        }
        6 => {
            s(out, "\n\t  ");
            text(out, v);
        }
        7 => {
            if v.len() < 4 {
                return None;
            }
            for (word, cap) in [
                ("System  ", be16(v, 0).unwrap_or(0)),
                ("Enabled ", be16(v, 2).unwrap_or(0)),
            ] {
                s(out, "\n\t  ");
                s(out, word);
                s(out, "Capabilities [");
                bits(out, &CAPS, cap, "none");
                s(out, "] (");
                digits::hex16(out, cap);
                out.push(b')');
            }
        }
        8 => {
            if !mgmt_addr(out, v) {
                return None;
            }
        }
        127 => {
            if v.len() < 3 {
                return None;
            }
            let oui = u32::from_be_bytes([0, v[0], v[1], v[2]]);
            s(out, ": OUI ");
            s(out, oui_name(oui));
            s(out, " (0x");
            digits::hex_padded(out, u64::from(oui), 6);
            out.push(b')');
            return Some(match oui {
                0x0080c2 => ieee::ieee8021(out, v),
                0x00120f => ieee::ieee8023(out, v),
                0x00005e => iana(out, v),
                0x0012bb => tia::tia(out, v),
                0x001b21 => dcbx::dcbx(out, v, verbose),
                _ => true,
            });
        }
        _ => return Some(true),
    }
    Some(false)
}

/// `b`: the captured bytes after the link header; `len`: their length on the wire.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    s(out, "LLDP, length ");
    n(out, len);
    let mut left = len as usize;
    let mut at = 0;
    while left >= 2 {
        let Some(h) = b.get(at..at + 2) else {
            return trunc(out, "lldp");
        };
        let h = be16(h, 0).unwrap_or(0);
        let (t, tlen) = ((h >> 9) as u8, usize::from(h & 0x1ff));
        left -= 2;
        at += 2;
        if verbose > 0 {
            s(out, "\n\t");
            s(out, tlv_name(t));
            s(out, " TLV (");
            n(out, t);
            s(out, "), length ");
            n(out, tlen as u32);
        }
        if t == 0 || tlen == 0 {
            break;
        }
        let Some(v) = b.get(at..at + tlen).filter(|_| left >= tlen) else {
            return trunc(out, "lldp");
        };
        // The system name is on the default line too, as CDP's device ID.
        let dump = if t == 5 {
            s(out, ": ");
            text(out, v);
            false
        } else if verbose > 0 {
            match value(out, t, v, verbose) {
                Some(d) => d,
                None => return trunc(out, "lldp"),
            }
        } else {
            false
        };
        if verbose > 1 || verbose > 0 && dump {
            dump::hex_after(out, v, "\n\t  ");
        }
        left -= tlen;
        at += tlen;
    }
}
