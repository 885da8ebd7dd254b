//! The pre-standard DCBX TLVs under Intel's OUI, revision 1.01 (print-lldp.c's
//! lldp_private_dcbx_print).

use super::*;

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
pub(super) fn dcbx(out: &mut Vec<u8>, b: &[u8], verbose: u8) -> bool {
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
