//! Link-layer type numbers: libpcap's DLT values (what a live handle and `pcap_open_dead`
//! speak) and the LINKTYPE values files carry. They agree except for a few old types whose DLT
//! numbers differ between systems; on Linux those are raw IP (DLT 12, LINKTYPE 101, as a tun or
//! WireGuard device reports it) and a handful of ATM and BSD/OS types. libpcap maps them the
//! same way in `dlt_to_linktype` and `linktype_to_dlt` (pcap-common.c).

// The LINKTYPE values the summary printers and the file writers name; the printers match on
// them, so they live here with the DLT mapping rather than in one of the printers.
/// BSD loopback: a host-order address family, then the packet.
pub const LINKTYPE_NULL: u16 = 0;
/// Ethernet.
pub const LINKTYPE_ETHERNET: u16 = 1;
/// Raw IP under its DLT number on Linux, as some files carry it.
pub const LINKTYPE_RAW_12: u16 = 12;
/// Raw IP under OpenBSD's DLT number, as some files carry it.
pub const LINKTYPE_RAW_14: u16 = 14;
/// Raw IP (version nibble first).
pub const LINKTYPE_RAW: u16 = 101;
/// OpenBSD loopback: a network-order address family, then the packet.
pub const LINKTYPE_LOOP: u16 = 108;
/// Linux cooked capture (`-i any` before libpcap 1.10).
pub const LINKTYPE_LINUX_SLL: u16 = 113;
/// Raw IPv4.
pub const LINKTYPE_IPV4: u16 = 228;
/// Raw IPv6.
pub const LINKTYPE_IPV6: u16 = 229;
/// Linux netfilter log (nflog): TLVs around the packet.
pub const LINKTYPE_NFLOG: u16 = 239;
/// Linux cooked capture v2 (`-i any`): names the interface by index.
pub const LINKTYPE_LINUX_SLL2: u16 = 276;

/// (DLT on Linux, LINKTYPE) for every type whose numbers differ.
const DIFFERENT: [(i32, u16); 5] = [
    (11, 100), // ATM_RFC1483
    (12, 101), // RAW
    (15, 102), // SLIP_BSDOS
    (16, 103), // PPP_BSDOS
    (19, 106), // ATM_CLIP
];

/// OpenBSD's DLT_RAW; files written there may carry it as a link type.
const DLT_RAW_OPENBSD: u16 = LINKTYPE_RAW_14;

/// The LINKTYPE to write in a file for a live handle's DLT.
pub fn linktype_of_dlt(dlt: i32) -> u16 {
    DIFFERENT
        .iter()
        .find(|(d, _)| *d == dlt)
        .map_or(dlt as u16, |(_, lt)| *lt)
}

/// The DLT libpcap wants (to compile a filter) for a file's LINKTYPE.
pub fn dlt_of_linktype(linktype: u16) -> i32 {
    if linktype == DLT_RAW_OPENBSD {
        return 12;
    }
    DIFFERENT
        .iter()
        .find(|(_, lt)| *lt == linktype)
        .map_or(i32::from(linktype), |(d, _)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ip_is_101_in_files_and_12_for_libpcap() {
        assert_eq!(linktype_of_dlt(12), 101);
        assert_eq!(dlt_of_linktype(101), 12);
        assert_eq!(dlt_of_linktype(14), 12);
        // Files from systems where DLT_RAW is 12 carry 12: libpcap takes it as it is.
        assert_eq!(dlt_of_linktype(12), 12);
    }

    #[test]
    fn common_types_are_the_same_number() {
        for v in [1u16, 113, 276, 0, 105, 127, 228, 229] {
            assert_eq!(linktype_of_dlt(i32::from(v)), v);
            assert_eq!(dlt_of_linktype(v), i32::from(v));
        }
        for (dlt, lt) in DIFFERENT {
            assert_eq!(dlt_of_linktype(linktype_of_dlt(dlt)), dlt);
            assert_eq!(linktype_of_dlt(dlt_of_linktype(lt)), lt);
        }
    }

    #[test]
    fn libpcap_compiles_filters_for_the_mapped_types() {
        for lt in [101u16, 1, 113, 276] {
            let dead = pcap::Capture::dead(pcap::Linktype(dlt_of_linktype(lt))).unwrap();
            assert!(dead.compile("icmp", true).is_ok(), "link type {lt}");
        }
    }
}
