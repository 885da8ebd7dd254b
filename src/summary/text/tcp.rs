//! TCP (print-tcp.c).

use super::{app, n, s};
use crate::summary::PrintOptions;
use crate::summary::{names, put};

/// `len`: the payload bytes (`decode::tcp_len`).
#[inline]
pub(super) fn print(
    out: &mut Vec<u8>,
    t: &etherparse::TcpSlice<'_>,
    len: u32,
    opts: &PrintOptions,
) {
    if opts.quick {
        s(out, "tcp ");
        n(out, len);
        return;
    }
    s(out, "Flags [");
    let mark = out.len();
    names::tcp_flags(out, t);
    if out.len() == mark {
        s(out, "none");
    }
    s(out, "], ");
    let seq = t.sequence_number();
    if len > 0 || t.syn() || t.fin() || t.rst() {
        s(out, "seq ");
        n(out, seq);
        if len > 0 {
            out.push(b':');
            n(out, seq.wrapping_add(len));
        }
        s(out, ", ");
    }
    if t.ack() {
        s(out, "ack ");
        n(out, t.acknowledgment_number());
        s(out, ", ");
    }
    s(out, "win ");
    n(out, t.window_size());
    if t.urg() {
        s(out, ", urg ");
        n(out, t.urgent_pointer());
    }
    if opts.verbose > 0 && !t.options().is_empty() {
        tcp_options(out, t.options());
    }
    s(out, ", length ");
    n(out, len);
    if len > 0 && !(t.rst() && opts.verbose > 0) {
        app::tcp(out, t, len, opts);
    }
}

/// tcpdump's `options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]`.
fn tcp_options(out: &mut Vec<u8>, mut o: &[u8]) {
    s(out, ", options [");
    let mut first = true;
    while let Some(&kind) = o.first() {
        if !first {
            out.push(b',');
        }
        first = false;
        match kind {
            0 => {
                s(out, "eol");
                break;
            }
            1 => {
                s(out, "nop");
                o = &o[1..];
                continue;
            }
            _ => {}
        }
        let len = o.get(1).map_or(0, |l| usize::from(*l));
        if len < 2 || len > o.len() {
            s(out, "bad opt");
            break;
        }
        let v = &o[2..len];
        let be16 = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        match (kind, v.len()) {
            (2, 2) => {
                s(out, "mss ");
                n(out, be16(v));
            }
            (3, 1) => {
                s(out, "wscale ");
                n(out, v[0]);
            }
            (4, 0) => s(out, "sackOK"),
            (5, l) if l % 8 == 0 => {
                s(out, "sack ");
                n(out, (l / 8) as u64);
                out.push(b' ');
                for c in v.chunks_exact(8) {
                    out.push(b'{');
                    n(out, be32(&c[..4]));
                    out.push(b':');
                    n(out, be32(&c[4..]));
                    out.push(b'}');
                }
            }
            (8, 8) => {
                s(out, "TS val ");
                n(out, be32(&v[..4]));
                s(out, " ecr ");
                n(out, be32(&v[4..]));
            }
            (30, _) => s(out, "mptcp"),
            (34, _) => s(out, "tfo"),
            _ => {
                s(out, "opt-");
                n(out, kind);
                s(out, ":");
                for b in v {
                    put::byte_hex(out, *b);
                }
            }
        }
        o = &o[len..];
    }
    out.push(b']');
}
