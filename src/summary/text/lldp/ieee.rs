//! The IEEE 802.1 and 802.3 organisation-specific TLVs (print-lldp.c's lldp_private_8021_print
//! and lldp_private_8023_print).

use super::*;

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
pub(super) fn ieee8021(out: &mut Vec<u8>, b: &[u8]) -> bool {
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
pub(super) fn ieee8023(out: &mut Vec<u8>, b: &[u8]) -> bool {
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
