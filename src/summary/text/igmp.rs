//! IGMP (print-igmp.c) as tcpdump 4.99 prints it: queries of every version with their
//! maximum response times and sources, v1/v2 reports and leaves, v3 reports with their group
//! records (`-v`) and sources (`-vv`), multicast traceroute queries and responses, and with
//! `-v` a checksum that is wrong. DVMRP and PIM version 1 are named, not decoded.

use super::nd::{get16, get32, get8, get_ip, Jump};
use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::duration;
use crate::summary::kit::trunc;
use crate::summary::PrintOptions;

/// `b`: the captured IGMP message; `len`: its length from the IP header.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, opts: &PrintOptions) {
    if opts.quick {
        s(out, "igmp");
        return;
    }
    // tcpdump's capture ends with the IP length here: the link's padding is not read.
    let b = &b[..b.len().min(len as usize)];
    match body(out, b, len, opts.verbose) {
        Err(Jump) => {
            // Every read is a GET_ macro: a cut ends the line by a long jump.
            trunc(out, "igmp");
            super::long_jump();
        }
        Ok(false) => {}
        Ok(true) => {
            let whole = b.get(..len as usize).filter(|_| len >= 4);
            if let Some(whole) = whole.filter(|_| opts.verbose > 0) {
                if super::cksum::plain(whole) != 0 {
                    s(out, " bad igmp cksum ");
                    digits::hex(out, u64::from(get16(b, 2).unwrap_or(0)));
                    s(out, "!");
                }
            }
        }
    }
}

/// The message up to the checksum's verdict; false for the ones nscap names only (DVMRP,
/// PIMv1): what tcpdump prints after the name is not there, so nothing more is said.
fn body(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) -> Result<bool, Jump> {
    let odd_len = |out: &mut Vec<u8>| {
        if len != 8 {
            bracket(out, "len", u64::from(len));
        }
    };
    match get8(b, 0)? {
        0x11 => {
            s(out, "igmp query");
            if len >= 12 {
                query_v3(out, b, len, verbose)?;
            } else {
                let mrt = get8(b, 1)?;
                if mrt != 0 {
                    s(out, " v2");
                    if mrt != 100 {
                        bracket(out, "max resp time", u64::from(mrt));
                    }
                } else {
                    s(out, " v1");
                }
                if get32(b, 4)? != 0 {
                    let a = get_ip(b, 4)?;
                    s(out, " [gaddr ");
                    digits::ipv4(out, a);
                    s(out, "]");
                }
                odd_len(out);
            }
        }
        0x12 => {
            named_group(out, b, "igmp v1 report ")?;
            odd_len(out);
        }
        0x16 => named_group(out, b, "igmp v2 report ")?,
        0x22 => {
            s(out, "igmp v3 report");
            report_v3(out, b, len, verbose)?;
        }
        0x17 => named_group(out, b, "igmp leave ")?,
        0x13 => {
            s(out, "igmp dvmrp");
            if len < 8 {
                bracket(out, "len", u64::from(len));
                return Ok(true);
            }
            return Ok(false);
        }
        0x14 => {
            s(out, "igmp pimv1");
            return Ok(false);
        }
        0x1e => mtrace(out, b, len, "mresp")?,
        0x1f => mtrace(out, b, len, "mtrace")?,
        t => {
            s(out, "igmp-");
            n(out, t);
        }
    }
    Ok(true)
}

/// `NAME 239.1.2.3`: the group address is read before the name is printed.
fn named_group(out: &mut Vec<u8>, b: &[u8], name: &str) -> Result<(), Jump> {
    let group = get_ip(b, 4)?;
    s(out, name);
    digits::ipv4(out, group);
    Ok(())
}

/// print_mtrace: a multicast traceroute query or response.
fn mtrace(out: &mut Vec<u8>, b: &[u8], len: u32, name: &str) -> Result<(), Jump> {
    if len < 8 + 16 {
        bracket(out, "invalid len", u64::from(len));
        return Ok(());
    }
    // One ND_PRINT: every field is read before any is printed.
    let qid = get32(b, 20)? & 0x00ff_ffff;
    let (src, dst, reply) = (get_ip(b, 8)?, get_ip(b, 12)?, get_ip(b, 16)?);
    s(out, name);
    s(out, " ");
    n(out, qid);
    s(out, ": ");
    digits::ipv4(out, src);
    s(out, " to ");
    digits::ipv4(out, dst);
    s(out, " reply-to ");
    digits::ipv4(out, reply);
    if reply[0] & 0xf0 == 0xe0 {
        let ttl = get8(b, 20)?;
        s(out, " with-ttl ");
        n(out, ttl);
    }
    Ok(())
}

/// print_igmpv3_query.
fn query_v3(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) -> Result<(), Jump> {
    s(out, " v3");
    if len < 12 || len & 3 != 0 {
        bracket(out, "invalid len", u64::from(len));
        return Ok(());
    }
    let mrc = u32::from(get8(b, 1)?);
    let mrt = if mrc < 128 {
        mrc
    } else {
        ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3)
    };
    if mrc != 100 {
        s(out, " [max resp time ");
        if mrt < 600 {
            // "%.1fs" of a tenth of an integer: exact.
            n(out, mrt / 10);
            s(out, ".");
            n(out, mrt % 10);
            s(out, "s");
        } else {
            duration(out, mrt / 10);
        }
        s(out, "]");
    }
    if get32(b, 4)? == 0 {
        return Ok(());
    }
    let group = get_ip(b, 4)?;
    s(out, " [gaddr ");
    digits::ipv4(out, group);
    let nsrcs = u32::from(get16(b, 10)?);
    if nsrcs > 0 {
        if len < 12 + (nsrcs << 2) {
            s(out, " [invalid number of sources]");
        } else if verbose > 1 {
            s(out, " {");
            for i in 0..nsrcs as usize {
                let a = get_ip(b, 12 + (i << 2))?;
                s(out, " ");
                digits::ipv4(out, a);
            }
            s(out, " }");
        } else {
            s(out, ", ");
            n(out, nsrcs);
            s(out, " source(s)");
        }
    }
    s(out, "]");
    Ok(())
}

/// print_igmpv3_report.
fn report_v3(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) -> Result<(), Jump> {
    if len < 16 || len & 3 != 0 {
        bracket(out, "invalid len", u64::from(len));
        return Ok(());
    }
    let ngroups = get16(b, 6)?;
    s(out, ", ");
    n(out, ngroups);
    s(out, " group record(s)");
    if verbose == 0 {
        return Ok(());
    }
    let len = len as usize;
    let mut group = 8;
    for _ in 0..ngroups {
        if len < group + 8 {
            s(out, " [invalid number of groups]");
            return Ok(());
        }
        let a = get_ip(b, group + 4)?;
        s(out, " [gaddr ");
        digits::ipv4(out, a);
        let kind = get8(b, group)?;
        s(out, " ");
        match kind {
            1 => s(out, "is_in"),
            2 => s(out, "is_ex"),
            3 => s(out, "to_in"),
            4 => s(out, "to_ex"),
            5 => s(out, "allow"),
            6 => s(out, "block"),
            k => {
                s(out, " [v3-report-#");
                n(out, k);
                s(out, "]");
            }
        }
        let nsrcs = usize::from(get16(b, group + 2)?);
        if len < group + 8 + (nsrcs << 2) {
            bracket(out, "invalid number of sources", nsrcs as u64);
            return Ok(());
        }
        if verbose == 1 {
            s(out, ", ");
            n(out, nsrcs as u64);
            s(out, " source(s)");
        } else {
            s(out, " {");
            for j in 0..nsrcs {
                let a = get_ip(b, group + 8 + (j << 2))?;
                s(out, " ");
                digits::ipv4(out, a);
            }
            s(out, " }");
        }
        group += 8 + (nsrcs << 2);
        s(out, "]");
    }
    Ok(())
}

/// ` [LABEL N]`, as print-igmp.c says lengths, times and counts.
fn bracket(out: &mut Vec<u8>, label: &str, v: u64) {
    s(out, " [");
    s(out, label);
    s(out, " ");
    n(out, v);
    s(out, "]");
}
