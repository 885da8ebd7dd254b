//! DNS for the JSON output: type names, and the answers worded as the summary line words them
//! (through the tcpdump printer's record printer).

use super::print::record;
use super::wire::{skip_name, Header};
use crate::summary::{digits, names};

/// JSON's type names (a few more than tcpdump 4.99 knows: SVCB, HTTPS, CAA).
pub fn type_str(out: &mut Vec<u8>, t: u16) {
    match names::dns_type_name(t) {
        Some(n) => out.extend_from_slice(n.as_bytes()),
        None => {
            out.extend_from_slice(b"Type");
            digits::u64(out, u64::from(t));
        }
    }
}

/// Writes answers of a response as JSON strings (`"A 1.2.3.4"`, `"TXT \"v=spf1\""`) separated
/// by commas, each as the summary line words it; stops quietly where the bytes run out.
pub fn json_answers(out: &mut Vec<u8>, m: &[u8]) {
    let Some(h) = Header::parse(m) else { return };
    let mut at = 12;
    for _ in 0..h.qd {
        match skip_name(m, at) {
            Some(a) => at = a + 4,
            None => return,
        }
    }
    for i in 0..h.an {
        let mark = out.len();
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        let body = out.len();
        match record(out, m, at, 0, false) {
            Some(next) if next < m.len() || (next == m.len() && out.len() > body) => {
                // record starts with a space; JSON values do not need it.
                out.remove(body);
                escape_from(out, body);
                out.push(b'"');
                at = next;
            }
            _ => {
                out.truncate(mark);
                return;
            }
        }
    }
}

/// Escapes `"` and `\` in `out[from..]` in place: tcpdump's words are printable ASCII only.
fn escape_from(out: &mut Vec<u8>, from: usize) {
    digits::backslash_from(out, from, |b| matches!(b, b'"' | b'\\'));
}
