//! Reading a DNS message without printing it: the header, skipping names, the names JSON
//! shows (compression pointers followed, bounded), the first question, and the extended rcode
//! of an OPT record. The tcpdump printer (print.rs) and JSON (json.rs) both walk with these.

use crate::summary::kit::{be16, byte};

/// Longest name we print (JSON): keeps a malicious chain of labels from making a huge line.
const MAX_NAME: usize = 255;
/// Compression pointers followed per name (JSON): real names need a handful.
const MAX_JUMPS: usize = 32;
pub(super) const T_OPT: u16 = 41;

pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qd: u16,
    pub an: u16,
    pub ns: u16,
    pub ar: u16,
}

impl Header {
    pub fn parse(m: &[u8]) -> Option<Header> {
        let w = |i: usize| u16::from_be_bytes([m[i], m[i + 1]]);
        (m.len() >= 12).then(|| Header {
            id: w(0),
            flags: w(2),
            qd: w(4),
            an: w(6),
            ns: w(8),
            ar: w(10),
        })
    }
    pub fn response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    pub fn opcode(&self) -> u16 {
        (self.flags >> 11) & 0xf
    }
    pub fn rcode(&self) -> u16 {
        self.flags & 0xf
    }
}

/// ns_nskip: the offset after the name at `cp`, not following pointers; None where the bytes
/// end or a label type is unknown.
pub(super) fn skip_name(m: &[u8], mut cp: usize) -> Option<usize> {
    let mut i = byte(m, cp)?;
    cp += 1;
    while i != 0 {
        match i & 0xc0 {
            0xc0 => return Some(cp + 1),
            0x40 => {
                if i & 0x3f != 1 {
                    return None;
                }
                let bitlen = match byte(m, cp)? {
                    0 => 256,
                    b => usize::from(b),
                };
                cp += 1 + bitlen.div_ceil(8);
            }
            0x80 => return None,
            _ => cp += usize::from(i),
        }
        i = byte(m, cp)?;
        cp += 1;
    }
    Some(cp)
}

/// The extended rcode bits of an OPT record in the additional section, found the way tcpdump
/// finds them (giving up quietly where the bytes end).
pub(super) fn extended_rcode(m: &[u8], h: &Header) -> Option<u32> {
    let mut cp = 12;
    for _ in 0..h.qd {
        cp = skip_name(m, cp)? + 4;
        if cp >= m.len() {
            return None;
        }
    }
    for _ in 0..u32::from(h.an) + u32::from(h.ns) {
        cp = skip_name(m, cp)? + 8;
        cp += 2 + usize::from(be16(m, cp)?);
        if cp >= m.len() {
            return None;
        }
    }
    for _ in 0..h.ar {
        cp = skip_name(m, cp)?;
        let t = be16(m, cp)?;
        cp += 4;
        let hi = byte(m, cp)?;
        if t == T_OPT {
            return Some(u32::from(hi));
        }
        cp += 4;
        cp += 2 + usize::from(be16(m, cp)?);
        if cp >= m.len() {
            return None;
        }
    }
    None
}

/// A name for JSON (`example.com.`, `.` for the root; other bytes as `\ddd`), and the offset
/// just after it in the message, or None if the bytes run out or the name is malformed.
pub fn name(out: &mut Vec<u8>, m: &[u8], mut at: usize) -> Option<usize> {
    let mut end = None;
    let mut jumps = 0;
    let mut written = 0;
    let start_len = out.len();
    loop {
        let len = *m.get(at)? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    if out.len() == start_len {
                        out.push(b'.');
                    }
                    return Some(end.unwrap_or(at + 1));
                }
                let label = m.get(at + 1..at + 1 + len)?;
                written += len + 1;
                if written > MAX_NAME {
                    return None;
                }
                crate::escape::bytes_into(out, label, b".\"");
                out.push(b'.');
                at += 1 + len;
            }
            0xc0 => {
                let lo = *m.get(at + 1)? as usize;
                if end.is_none() {
                    end = Some(at + 2);
                }
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return None;
                }
                at = ((len & 0x3f) << 8) | lo;
            }
            // EDNS0 extended labels (0x40) and reserved 0x80: nothing to print.
            _ => return None,
        }
    }
}

/// The first question's name and type, for JSON: (name offset, qtype).
pub fn first_question(m: &[u8]) -> Option<(usize, u16)> {
    let h = Header::parse(m)?;
    if h.qd == 0 {
        return None;
    }
    let after = skip_name(m, 12)?;
    Some((12, be16(m, after)?))
}
