//! What tcpdump decodes inside TCP by port (the dispatch at the end of print-tcp.c), for the
//! protocols nscap decodes: HTTP and DNS over TCP.

use super::http;
use crate::summary::{dns, PrintOptions};

/// Ports tcpdump tests before HTTP and DNS, for protocols nscap does not decode (telnet, SMTP,
/// whois, BGP, PPTP, Redis, SSH, NetBIOS, SMB, BEEP, OpenFlow, FTP): a segment on one of them
/// is not read as HTTP or DNS, as in tcpdump.
const EARLIER: [u16; 13] = [
    23, 25, 43, 179, 1723, 6379, 22, 139, 445, 10288, 6633, 6653, 21,
];

/// After `, length N` (N > 0): the application layer, if tcpdump would print one.
pub(super) fn tcp(out: &mut Vec<u8>, t: &etherparse::TcpSlice<'_>, len: u32, opts: &PrintOptions) {
    let (sp, dp) = (t.source_port(), t.destination_port());
    let port = |p: u16| sp == p || dp == p;
    if EARLIER.iter().any(|p| port(*p)) {
        return;
    }
    if http::PORTS.iter().any(|p| port(*p)) {
        out.extend_from_slice(b": ");
        http::print(out, t.payload(), len, opts.verbose);
    } else if port(dns::PORT) {
        dns::print(out, t.payload(), len, opts.verbose, true, false);
    }
}
