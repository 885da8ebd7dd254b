//! LLDP (print-lldp.c): the system name on the default line; under -v every TLV on lines of
//! its own, the ones tcpdump decodes decoded (the 802.1, 802.3, TIA LLDP-MED, DCBX and IANA
//! organisation-specific ones included), a hex dump of the others, and of every TLV under -vv.

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
    let name = match af {
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
        25 => "Layer-2 VPN",
        26 => "VPLS",
        _ => "Unknown",
    };
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

const IEEE8021_SUBTYPES: [(u16, &str); 12] = [
    (1, "Port VLAN Id"),
    (2, "Port and Protocol VLAN ID"),
    (3, "VLAN name"),
    (4, "Protocol Identity"),
    (7, "Link aggregation"),
    (8, "Congestion Notification"),
    (9, "ETS Configuration"),
    (10, "ETS Recommendation"),
    (11, "Priority Flow Control Configuration"),
    (12, "Application Priority"),
    (13, "EVB"),
    (14, "CDCP"),
];

const IEEE8023_SUBTYPES: [(u16, &str); 4] = [
    (1, "MAC/PHY configuration/status"),
    (2, "Power via MDI"),
    (3, "Link aggregation"),
    (4, "Max frame size"),
];

const POWER_CLASSES: [(u16, &str); 5] = [
    (1, "class0"),
    (2, "class1"),
    (3, "class2"),
    (4, "class3"),
    (5, "class4"),
];

const EVB_MODES: [(u16, &str); 4] = [
    (0, "Not Supported"),
    (1, "EVB Bridge"),
    (2, "EVB Station"),
    (3, "Reserved for future Standardization"),
];

/// One bit per priority, as the congestion notification and PFC TLVs print them (`%-2d `).
fn priority_bits(out: &mut Vec<u8>, v: u8) {
    s(
        out,
        "\n\t     Priority : 0  1  2  3  4  5  6  7\n\t     Value    : ",
    );
    for i in 0..8 {
        left(out, (v >> i) & 1, 2);
        out.push(b' ');
    }
}

/// An ETS table: its title, the heading row, eight values each `%-3d`.
fn ets_row(out: &mut Vec<u8>, title: &str, values: impl Iterator<Item = u8>) {
    s(out, title);
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        left(out, v, 3);
    }
}

/// The three tables ETS configuration and recommendation share (`t`: their 20 bytes).
fn ets_tables(out: &mut Vec<u8>, t: &[u8]) {
    ets_row(
        out,
        "\n\t    Priority Assignment Table\
         \n\t     Priority : 0   1   2   3   4   5   6   7\n\t     Value    : ",
        t[..4].iter().flat_map(|b| [b >> 4, b & 15]),
    );
    ets_row(
        out,
        "\n\t    TC Bandwidth Table\
         \n\t     TC%   : 0   1   2   3   4   5   6   7\n\t     Value : ",
        t[4..12].iter().copied(),
    );
    ets_row(
        out,
        "\n\t    TSA Assignment Table\
         \n\t     Traffic Class: 0   1   2   3   4   5   6   7\n\t     Value        : ",
        t[12..20].iter().copied(),
    );
}

/// IEEE 802.1 organisation-specific TLVs (`b` from the OUI on); true to hex-dump.
fn ieee8021(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let Some(sub) = org_subtype(out, b, 4, &IEEE8021_SUBTYPES) else {
        return false;
    };
    match sub {
        1 if b.len() >= 6 => {
            s(out, "\n\t    port vlan id (PVID): ");
            n(out, be16(b, 4).unwrap_or(0));
        }
        2 if b.len() >= 7 => {
            s(out, "\n\t    port and protocol vlan id (PPVID): ");
            n(out, be16(b, 5).unwrap_or(0));
            s(out, ", flags [");
            bits(
                out,
                &[(2, "supported"), (4, "enabled")],
                u16::from(b[4]),
                "none",
            );
            s(out, "] (0x");
            digits::byte_hex(out, b[4]);
            out.push(b')');
        }
        3 if b.len() >= 6 => {
            s(out, "\n\t    vlan id (VID): ");
            n(out, be16(b, 4).unwrap_or(0));
            if let Some(&l) = b.get(6) {
                if let Some(name) = b.get(7..7 + usize::from(l)) {
                    s(out, "\n\t    vlan name: ");
                    text(out, name);
                }
            }
        }
        4 if b.len() >= 5 => {
            if let Some(id) = b.get(5..5 + usize::from(b[4])) {
                s(out, "\n\t    protocol identity: ");
                text(out, id);
            }
        }
        7 if b.len() >= 9 => aggregation(out, b),
        8 if b.len() >= 6 => {
            s(out, "\n\t    Pre-Priority CNPV Indicator");
            priority_bits(out, b[4]);
            s(out, "\n\t    Pre-Priority Ready Indicator");
            priority_bits(out, b[5]);
        }
        9 if b.len() >= 25 => {
            let t = b[4];
            // tcpdump masks CBS with 0x02 after the shift, so it reads 0 or 2.
            field(out, "\n\t    Willing:", t >> 7);
            field(out, ", CBS:", (t >> 6) & 2);
            field(out, ", RES:", (t >> 3) & 7);
            field(out, ", Max TCs:", t & 7);
            ets_tables(out, &b[5..25]);
        }
        10 if b.len() >= 25 => {
            field(out, "\n\t    RES: ", b[4]);
            ets_tables(out, &b[5..25]);
        }
        11 if b.len() >= 6 => {
            let t = b[4];
            field(out, "\n\t    Willing: ", t >> 7);
            field(out, ", MBC: ", (t >> 6) & 1);
            field(out, ", RES: ", (t >> 4) & 3);
            field(out, ", PFC cap:", t & 15);
            s(out, " \n\t    PFC Enable");
            priority_bits(out, b[5]);
        }
        12 if b.len() >= 5 => app_priority(out, b),
        13 if b.len() >= 9 => evb(out, b),
        14 if b.len() >= 8 => {
            let t = b[4];
            field(out, "\n\t    Role: ", t >> 7);
            field(out, ", RES: ", (t >> 4) & 7);
            field(out, ", Scomp: ", (t >> 3) & 1);
            field(out, " ChnCap: ", be16(b, 6).unwrap_or(0) & 0x0fff);
            let channels = &b[8..];
            if channels.len() % 3 == 0 {
                for c in channels.chunks(3) {
                    let v = be24(c, 0).unwrap_or(0);
                    field(out, "\n\t    SCID: ", v >> 12);
                    field(out, ", SVID: ", v & 0xfff);
                }
            }
        }
        1..=4 | 7..=14 => {}
        _ => return true,
    }
    false
}

/// Application priority (subtype 12): the table of 3-byte entries, when it has whole ones.
fn app_priority(out: &mut Vec<u8>, b: &[u8]) {
    field(out, "\n\t    RES: ", b[4]);
    let table = &b[5..];
    if !table.is_empty() && table.len() % 3 == 0 {
        s(out, "\n\t    Application Priority Table");
        for e in table.chunks(3) {
            field(out, "\n\t      Priority: ", e[0] >> 5);
            field(out, ", RES: ", (e[0] >> 3) & 3);
            field(out, ", Sel: ", e[0] & 7);
            field(out, ", Protocol ID: ", be16(e, 1).unwrap_or(0));
        }
    }
}

/// EVB (subtype 13): bridge and station status, then the mode fields (`b`: 9 bytes or more).
fn evb(out: &mut Vec<u8>, b: &[u8]) {
    let (bridge, station, r, mode, res) = (b[4], b[5], b[6], b[7], b[8]);
    s(out, "\n\t    EVB Bridge Status");
    field(out, "\n\t      RES: ", bridge >> 3);
    field(out, ", BGID: ", (bridge >> 2) & 1);
    field(out, ", RRCAP: ", (bridge >> 1) & 1);
    field(out, ", RRCTR: ", bridge & 1);
    s(out, "\n\t    EVB Station Status");
    field(out, "\n\t      RES: ", station >> 4);
    field(out, ", SGID: ", (station >> 3) & 1);
    field(out, ", RRREQ: ", (station >> 2) & 1);
    field(out, ",RRSTAT: ", station & 3);
    field(out, "\n\t    R: ", r >> 5);
    field(out, ", RTE: ", r & 0x1f);
    s(out, ", EVB Mode: ");
    s(out, tok(&EVB_MODES, u16::from(mode >> 6), "unknown"));
    field(out, " [", mode >> 6);
    field(out, "]\n\t    ROL: ", (mode >> 5) & 1);
    field(out, ", RWD: ", mode & 0x1f);
    field(out, ", RES: ", res >> 6);
    field(out, ", ROL: ", (res >> 5) & 1);
    field(out, ", RKA: ", res & 0x1f);
}

fn aggregation(out: &mut Vec<u8>, b: &[u8]) {
    s(out, "\n\t    aggregation status [");
    bits(out, &SUPPORTED_ENABLED, u16::from(b[4]), "none");
    s(out, "], aggregation port ID ");
    n(out, be32(b, 5).unwrap_or(0));
}

/// IEEE 802.3 organisation-specific TLVs (`b` from the OUI on); true to hex-dump.
fn ieee8023(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let Some(sub) = org_subtype(out, b, 4, &IEEE8023_SUBTYPES) else {
        return false;
    };
    match sub {
        1 if b.len() >= 9 => {
            s(out, "\n\t    autonegotiation [");
            bits(out, &SUPPORTED_ENABLED, u16::from(b[4]), "none");
            s(out, "] (0x");
            digits::byte_hex(out, b[4]);
            s(out, ")\n\t    PMD autoneg capability [");
            bits(out, &PMD, be16(b, 5).unwrap_or(0), "unknown");
            s(out, "] (");
            digits::hex16(out, be16(b, 5).unwrap_or(0));
            s(out, ")\n\t    MAU type ");
            let mau = be16(b, 7).unwrap_or(0);
            s(out, MAU_TYPES.get(usize::from(mau)).unwrap_or(&"unknown"));
            s(out, " (");
            digits::hex16(out, mau);
            out.push(b')');
        }
        2 if b.len() >= 7 => {
            s(out, "\n\t    MDI power support [");
            bits(out, &MDI, u16::from(b[4]), "none");
            s(out, "], power pair ");
            s(
                out,
                tok(&[(1, "signal"), (2, "spare")], b[5].into(), "unknown"),
            );
            s(out, ", power class ");
            s(out, tok(&POWER_CLASSES, b[6].into(), "unknown"));
        }
        3 if b.len() >= 9 => aggregation(out, b),
        4 if b.len() >= 6 => {
            s(out, "\n\t    MTU size ");
            n(out, be16(b, 4).unwrap_or(0));
        }
        1..=4 => {}
        _ => return true,
    }
    false
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

const TIA_SUBTYPES: [(u16, &str); 11] = [
    (1, "LLDP-MED Capabilities"),
    (2, "Network policy"),
    (3, "Location identification"),
    (4, "Extended power-via-MDI"),
    (5, "Inventory - hardware revision"),
    (6, "Inventory - firmware revision"),
    (7, "Inventory - software revision"),
    (8, "Inventory - serial number"),
    (9, "Inventory - manufacturer name"),
    (10, "Inventory - model name"),
    (11, "Inventory - asset ID"),
];

const TIA_INVENTORY: [&str; 7] = [
    "Hardware revision",
    "Firmware revision",
    "Software revision",
    "Serial number",
    "Manufacturer name",
    "Model name",
    "Asset ID",
];

const TIA_CAPABILITIES: [(u16, &str); 6] = [
    (1, "LLDP-MED capabilities"),
    (2, "network policy"),
    (4, "location identification"),
    (8, "extended power via MDI-PSE"),
    (16, "extended power via MDI-PD"),
    (32, "Inventory"),
];

const TIA_DEVICE_TYPES: [(u16, &str); 4] = [
    (1, "endpoint class 1"),
    (2, "endpoint class 2"),
    (3, "endpoint class 3"),
    (4, "network connectivity"),
];

const TIA_APPLICATIONS: [(u16, &str); 8] = [
    (1, "voice"),
    (2, "voice signaling"),
    (3, "guest voice"),
    (4, "guest voice signaling"),
    (5, "softphone voice"),
    (6, "video conferencing"),
    (7, "streaming video"),
    (8, "video signaling"),
];

const TIA_POLICY_FLAGS: [(u16, &str); 3] =
    [(0x80, "Unknown"), (0x40, "Tagged"), (0x20, "reserved")];

const TIA_LOCATION_FORMATS: [(u16, &str); 3] = [
    (1, "coordinate-based LCI"),
    (2, "civic address LCI"),
    (3, "ECS ELIN"),
];

const TIA_DATUMS: [(u16, &str); 3] = [
    (1, "World Geodesic System 1984"),
    (2, "North American Datum 1983 (NAVD88)"),
    (3, "North American Datum 1983 (MLLW)"),
];

const TIA_LCI_WHAT: [(u16, &str); 3] = [
    (0, "location of DHCP server"),
    (
        1,
        "location of the network element believed to be closest to the client",
    ),
    (2, "location of the client"),
];

const TIA_CA_TYPES: [(u16, &str); 6] = [
    (
        1,
        "national subdivisions (state,canton,region,province,prefecture)",
    ),
    (2, "county, parish, gun, district"),
    (3, "city, township, shi"),
    (4, "city division, borough, city district, ward chou"),
    (5, "neighborhood, block"),
    (6, "street"),
];

const TIA_POWER_SOURCES: [(u16, &str); 3] = [
    (1, "PSE - primary power source"),
    (2, "local - backup power source"),
    (3, "PSE+local - reserved"),
];

const TIA_POWER_PRIORITIES: [(u16, &str); 3] = [(1, "critical"), (2, "high"), (3, "low")];

/// A 34-bit latitude or longitude: the low two bits of `b[0]`, then four bytes.
fn latlon(b: &[u8]) -> u64 {
    u64::from(b[0] & 3) << 32 | u64::from(be32(b, 1).unwrap_or(0))
}

/// TIA TR-41 (LLDP-MED) organisation-specific TLVs (`b` from the OUI on); true to hex-dump.
fn tia(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let Some(sub) = org_subtype(out, b, 4, &TIA_SUBTYPES) else {
        return false;
    };
    match sub {
        1 if b.len() >= 7 => {
            s(out, "\n\t    Media capabilities [");
            bits(out, &TIA_CAPABILITIES, be16(b, 4).unwrap_or(0), "none");
            s(out, "] (");
            digits::hex16(out, be16(b, 4).unwrap_or(0));
            s(out, ")\n\t    Device type [");
            s(out, tok(&TIA_DEVICE_TYPES, b[6].into(), "unknown"));
            s(out, "] (0x");
            digits::byte_hex(out, b[6]);
            out.push(b')');
        }
        2 if b.len() >= 8 => {
            s(out, "\n\t    Application type [");
            s(out, tok(&TIA_APPLICATIONS, b[4].into(), "none"));
            s(out, "] (0x");
            digits::byte_hex(out, b[4]);
            s(out, "), Flags [");
            bits(out, &TIA_POLICY_FLAGS, b[5].into(), "none");
            field(
                out,
                "]\n\t    Vlan id ",
                (be16(b, 5).unwrap_or(0) & 0x1ffe) >> 1,
            );
            field(
                out,
                ", L2 priority ",
                (be16(b, 6).unwrap_or(0) & 0x01ff) >> 6,
            );
            field(out, ", DSCP value ", be16(b, 6).unwrap_or(0) & 0x3f);
        }
        3 if b.len() >= 5 => location(out, b),
        4 if b.len() >= 7 => {
            let t = b[4];
            s(out, "\n\t    Power type [");
            // tcpdump tests `t & 0xC0 >> 6`, which C parses as `t & 3`.
            s(
                out,
                if t & 3 != 0 {
                    "PD device"
                } else {
                    "PSE device"
                },
            );
            s(out, "], Power source [");
            s(
                out,
                tok(&TIA_POWER_SOURCES, ((t & 0x30) >> 4).into(), "none"),
            );
            s(out, "]\n\t    Power priority [");
            s(out, tok(&TIA_POWER_PRIORITIES, (t & 15).into(), "none"));
            s(out, "] (0x");
            digits::byte_hex(out, t & 15);
            let power = be16(b, 5).unwrap_or(0);
            if power < 1024 {
                // `%.1f` of power / 10: tenths are exact in decimal, so no float is needed.
                field(out, "), Power ", power / 10);
                field(out, ".", power % 10);
                s(out, " Watts");
            } else {
                field(out, "), Power ", power);
                s(out, " (Reserved)");
            }
        }
        5..=11 => {
            s(out, "\n\t  ");
            s(out, TIA_INVENTORY[usize::from(sub - 5)]);
            out.push(b' ');
            text(out, &b[4..]);
        }
        1..=4 => {}
        _ => return true,
    }
    false
}

/// LLDP-MED location identification (`b` from the OUI on, at least 5 bytes).
fn location(out: &mut Vec<u8>, b: &[u8]) {
    let format = b[4];
    s(out, "\n\t    Location data format ");
    s(out, tok(&TIA_LOCATION_FORMATS, format.into(), "unknown"));
    s(out, " (0x");
    digits::byte_hex(out, format);
    out.push(b')');
    match format {
        1 if b.len() >= 21 => {
            field(out, "\n\t    Latitude resolution ", b[5] >> 2);
            field(out, ", latitude value ", latlon(&b[5..]));
            field(out, "\n\t    Longitude resolution ", b[10] >> 2);
            field(out, ", longitude value ", latlon(&b[10..]));
            let alt = b[15] >> 4;
            s(out, "\n\t    Altitude type ");
            s(
                out,
                tok(&[(1, "meters"), (2, "floors")], alt.into(), "unknown"),
            );
            field(out, " (", alt);
            field(
                out,
                ")\n\t    Altitude resolution ",
                (be16(b, 15).unwrap_or(0) >> 6) & 0x3f,
            );
            s(out, ", altitude value 0x");
            digits::hex(out, u64::from(be32(b, 16).unwrap_or(0) & 0x3fff_ffff));
            s(out, "\n\t    Datum ");
            s(out, tok(&TIA_DATUMS, b[20].into(), "unknown"));
            s(out, " (0x");
            digits::byte_hex(out, b[20]);
            out.push(b')');
        }
        1 => {}
        2 => civic(out, b),
        3 => {
            s(out, "\n\t    ECS ELIN id ");
            text(out, &b[5..]);
        }
        _ => {
            s(out, "\n\t    Location ID ");
            dump::hex_after(out, &b[5..], "\n\t      ");
        }
    }
}

/// A civic address LCI: its length and country, then each element until one does not fit.
fn civic(out: &mut Vec<u8>, b: &[u8]) {
    let Some(&lci) = b.get(5) else {
        return;
    };
    let lci = usize::from(lci);
    if lci < 3 || b.len() < 7 + lci {
        return;
    }
    field(out, "\n\t    LCI length ", lci as u64);
    s(out, ", LCI what ");
    s(out, tok(&TIA_LCI_WHAT, b[6].into(), "unknown"));
    s(out, " (0x");
    digits::byte_hex(out, b[6]);
    s(out, "), Country-code ");
    text(out, &b[7..9]);
    let mut rest = &b[9..6 + lci];
    while let [ca_type, ca_len, tail @ ..] = rest {
        let len = usize::from(*ca_len);
        s(out, "\n\t      CA type '");
        s(out, tok(&TIA_CA_TYPES, (*ca_type).into(), "unknown"));
        field(out, "' (", *ca_type);
        field(out, "), length ", *ca_len);
        s(out, ": ");
        if *ca_type == 0 || len == 0 || tail.len() < len {
            return;
        }
        text(out, &tail[..len]);
        rest = &tail[len..];
    }
}

/// The head of a DCBX feature TLV: its name, versions, info block and subtype.
fn dcbx_feature(out: &mut Vec<u8>, name: &str, t: u8, v: &[u8]) {
    s(out, "\n\t    ");
    s(out, name);
    field(out, " (type 0x", t);
    field(out, ", length ", v.len() as u64);
    field(out, ")\n\t      Oper_Version: ", v[0]);
    field(out, "\n\t      Max_Version: ", v[1]);
    if t == 1 {
        return;
    }
    s(out, "\n\t      Info block(0x");
    byte_hex_upper(out, v[2]);
    field(out, "): Enable bit: ", v[2] >> 7);
    field(out, ", Willing bit: ", (v[2] >> 6) & 1);
    field(out, ", Error Bit: ", (v[2] >> 5) & 1);
    field(out, "\n\t      SubType: ", v[3]);
}

/// The pre-standard DCBX TLVs (Intel's OUI; `b` from the OUI on), whose value is a run of
/// TLVs of its own; true to hex-dump. Only revision 1.01 is decoded, as tcpdump does.
fn dcbx(out: &mut Vec<u8>, b: &[u8], verbose: u8) -> bool {
    let names = [
        (1, "DCB Capability Exchange Protocol Rev 1"),
        (2, "DCB Capability Exchange Protocol Rev 1.01"),
    ];
    match org_subtype(out, b, 4, &names) {
        None => return false,
        Some(1) => return true,
        Some(_) => {}
    }
    let mut rest = &b[4..];
    // What the last TLV asked for: tcpdump returns its loop's flag, so an unknown TLV at the
    // end also dumps the whole organisation TLV.
    let mut dump = false;
    while rest.len() >= 2 {
        let h = be16(rest, 0).unwrap_or(0);
        let (t, len) = ((h >> 9) as u8, usize::from(h & 0x1ff));
        dump = false;
        rest = &rest[2..];
        if t == 0 || len == 0 {
            break;
        }
        // Too long or too short: tcpdump's `goto trunc` here only ends the loop.
        let Some(v) = rest.get(..len) else {
            return false;
        };
        let min = match t {
            1 => 10,
            2 => 17,
            3 => 6,
            4 => 4,
            _ => 0,
        };
        if v.len() < min {
            return false;
        }
        match t {
            1 => {
                dcbx_feature(out, "Control - Protocol Control", t, v);
                field(out, "\n\t      Sequence Number: ", be32(v, 2).unwrap_or(0));
                field(
                    out,
                    "\n\t      Acknowledgement Number: ",
                    be32(v, 6).unwrap_or(0),
                );
            }
            2 => {
                dcbx_feature(out, "Feature - Priority Group", t, v);
                s(out, "\n\t      Priority Allocation");
                let pg = be32(v, 4).unwrap_or(0);
                for i in 0..8u32 {
                    field(out, "\n\t          PgId_", i);
                    field(out, ": ", (pg >> (28 - 4 * i)) & 15);
                }
                s(out, "\n\t      Priority Group Allocation");
                for (i, p) in v[8..16].iter().enumerate() {
                    field(out, "\n\t          Pg percentage[", i as u64);
                    field(out, "]: ", *p);
                }
                field(out, "\n\t      NumTCsSupported: ", v[16]);
            }
            3 => {
                dcbx_feature(out, "Feature - Priority Flow Control", t, v);
                s(out, "\n\t      PFC Config (0x");
                byte_hex_upper(out, v[4]);
                out.push(b')');
                for i in 0..8u8 {
                    field(out, "\n\t          Priority Bit ", i);
                    s(
                        out,
                        if v[4] & 1 << i != 0 {
                            ": Enabled"
                        } else {
                            ": Disabled"
                        },
                    );
                }
                field(out, "\n\t      NumTCPFCSupported: ", v[5]);
            }
            4 => {
                dcbx_feature(out, "Feature - Application", t, v);
                for a in v[4..].chunks_exact(6) {
                    s(
                        out,
                        "\n\t      Application Value\n\t          Application Protocol ID: ",
                    );
                    digits::hex16(out, be16(a, 0).unwrap_or(0));
                    let u = be24(a, 2).unwrap_or(0);
                    s(out, "\n\t          SF (0x");
                    digits::hex(out, u64::from(u >> 22));
                    s(out, ") Application Protocol ID is ");
                    s(
                        out,
                        if u >> 22 != 0 {
                            "Socket Number"
                        } else {
                            "L2 EtherType"
                        },
                    );
                    s(out, "\n\t          OUI: 0x");
                    digits::hex_padded(out, u64::from(u & 0x3f_ffff), 6);
                    s(out, "\n\t          User Priority Map: 0x");
                    digits::byte_hex(out, a[5]);
                }
            }
            _ => dump = true,
        }
        if verbose > 1 || verbose > 0 && dump {
            dump::hex_after(out, v, "\n\t    ");
        }
        rest = &rest[len..];
    }
    dump
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
                0x0080c2 => ieee8021(out, v),
                0x00120f => ieee8023(out, v),
                0x00005e => iana(out, v),
                0x0012bb => tia(out, v),
                0x001b21 => dcbx(out, v, verbose),
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
