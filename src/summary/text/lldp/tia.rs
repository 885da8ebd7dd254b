//! TIA TR-41 (LLDP-MED) organisation-specific TLVs (print-lldp.c's lldp_private_tia_print):
//! capabilities, network policy, location (coordinates, civic address, ELIN), extended power
//! and inventory.

use super::*;

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
pub(super) fn tia(out: &mut Vec<u8>, b: &[u8]) -> bool {
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
