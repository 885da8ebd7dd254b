//! DNS messages as tcpdump prints them (print-domain.c): `4660+ A? example.com. (29)` for a
//! query, `4660 1/0/0 A 93.184.216.34 (45)` for a response. Every read is bounds-checked and
//! name decompression is bounded, so any bytes at all give a line (ending `[|domain]` if cut).

use super::{names, put};

pub const PORT: u16 = 53;
pub const MDNS_PORT: u16 = 5353;

/// Longest name we print: keeps a malicious chain of labels from making a huge line.
const MAX_NAME: usize = 255;
/// Compression pointers followed per name: real names need a handful.
const MAX_JUMPS: usize = 32;

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

pub fn type_str(out: &mut Vec<u8>, t: u16) {
    match names::dns_type_name(t) {
        Some(n) => out.extend_from_slice(n.as_bytes()),
        None => {
            out.extend_from_slice(b"Type");
            put::u64(out, u64::from(t));
        }
    }
}

/// Writes the name at `at` (`example.com.`, `.` for the root) and returns the offset just after
/// it in the message, or None if the bytes run out or the name is malformed.
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

fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    for _ in 0..128 {
        let len = *m.get(at)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(at + 1),
            0x00 => at += 1 + len,
            0xc0 => return (at + 2 <= m.len()).then_some(at + 2),
            _ => return None,
        }
    }
    None
}

fn be16(m: &[u8], at: usize) -> Option<u16> {
    m.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

/// The question: ` A? example.com.`; returns the offset after it.
fn question(out: &mut Vec<u8>, m: &[u8], at: usize, mdns: bool) -> Option<usize> {
    let after = skip_name(m, at)?;
    let qtype = be16(m, after)?;
    let class = be16(m, after + 2)?;
    out.push(b' ');
    type_str(out, qtype);
    let c = if mdns { class & 0x7fff } else { class };
    if c != 1 {
        out.extend_from_slice(b" (Class ");
        put::u64(out, u64::from(c));
        out.push(b')');
    }
    if mdns {
        out.extend_from_slice(if class & 0x8000 != 0 {
            b" (QU)"
        } else {
            b" (QM)"
        });
    }
    out.extend_from_slice(b"? ");
    name(out, m, at)?;
    Some(after + 4)
}

/// One resource record: ` A 1.2.3.4` (with `-v`, the owner name first).
fn record(out: &mut Vec<u8>, m: &[u8], at: usize, verbose: bool) -> Option<usize> {
    let after = if verbose {
        out.push(b' ');
        name(out, m, at)?;
        skip_name(m, at)?
    } else {
        skip_name(m, at)?
    };
    let typ = be16(m, after)?;
    let rdlen = usize::from(be16(m, after + 8)?);
    let rd_at = after + 10;
    let rd = m.get(rd_at..rd_at + rdlen)?;
    out.push(b' ');
    type_str(out, typ);
    match typ {
        1 if rd.len() == 4 => {
            out.push(b' ');
            put::ipv4(out, [rd[0], rd[1], rd[2], rd[3]]);
        }
        28 if rd.len() == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(rd);
            out.push(b' ');
            put::ipv6(out, a);
        }
        2 | 5 | 12 | 39 => {
            out.push(b' ');
            name(out, m, rd_at)?;
        }
        15 if rd.len() >= 2 => {
            out.push(b' ');
            name(out, m, rd_at + 2)?;
            out.push(b' ');
            put::u64(out, u64::from(u16::from_be_bytes([rd[0], rd[1]])));
        }
        _ => {}
    }
    Some(rd_at + rdlen)
}

/// A DNS message in tcpdump's words. `len`: the UDP payload length on the wire.
pub fn print(out: &mut Vec<u8>, m: &[u8], len: u32, verbose: bool, mdns: bool) {
    let Some(h) = Header::parse(m) else {
        out.extend_from_slice(b" [|domain]");
        return;
    };
    put::u64(out, u64::from(h.id));
    const OPS: [&str; 16] = [
        "",
        " inv_q",
        " stat",
        " op3",
        " notify",
        " update",
        " op6",
        " op7",
        " op8",
        " updateA",
        " updateD",
        " updateDA",
        " updateM",
        " updateMA",
        " zoneInit",
        " zoneRef",
    ];
    out.extend_from_slice(OPS[usize::from(h.opcode())].as_bytes());
    let mut at = 12;
    let ok = if h.response() {
        if h.rcode() != 0 {
            out.push(b' ');
            out.extend_from_slice(names::dns_rcode_name(h.rcode()).as_bytes());
        }
        if h.flags & 0x0400 != 0 {
            out.push(b'*');
        }
        if h.flags & 0x0080 == 0 {
            out.push(b'-');
        }
        if h.flags & 0x0200 != 0 {
            out.push(b'|');
        }
        if h.flags & 0x0020 != 0 {
            out.push(b'$');
        }
        if h.qd != 1 {
            bracket(out, h.qd, b"q]");
        }
        (|| {
            for i in 0..h.qd {
                if verbose {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b" q:");
                    at = question(out, m, at, mdns)?;
                } else {
                    at = skip_name(m, at)? + 4;
                }
            }
            out.push(b' ');
            put::u64(out, u64::from(h.an));
            out.push(b'/');
            put::u64(out, u64::from(h.ns));
            out.push(b'/');
            put::u64(out, u64::from(h.ar));
            for i in 0..h.an {
                if i > 0 {
                    out.push(b',');
                }
                at = record(out, m, at, verbose)?;
            }
            Some(())
        })()
    } else {
        if h.flags & 0x0100 != 0 {
            out.push(b'+');
        }
        if h.flags & 0x0010 != 0 {
            out.push(b'%');
        }
        if h.qd != 1 {
            bracket(out, h.qd, b"q]");
        }
        if h.an != 0 {
            bracket(out, h.an, b"a]");
        }
        if h.ns != 0 {
            bracket(out, h.ns, b"n]");
        }
        if h.ar != 0 {
            bracket(out, h.ar, b"au]");
        }
        (|| {
            if h.qd > 0 {
                question(out, m, at, mdns)?;
            }
            Some(())
        })()
    };
    if ok.is_none() {
        out.extend_from_slice(b" [|domain]");
        return;
    }
    out.extend_from_slice(b" (");
    put::u64(out, u64::from(len));
    out.push(b')');
}

fn bracket(out: &mut Vec<u8>, n: u16, suffix: &[u8]) {
    out.extend_from_slice(b" [");
    put::u64(out, u64::from(n));
    out.extend_from_slice(suffix);
}

/// The first question's name and type, for JSON: (name end offset, qtype).
pub fn first_question(m: &[u8]) -> Option<(usize, u16)> {
    let h = Header::parse(m)?;
    if h.qd == 0 {
        return None;
    }
    let after = skip_name(m, 12)?;
    Some((12, be16(m, after)?))
}

/// Writes answers of a response as JSON strings (`"A 1.2.3.4"`) separated by commas; stops
/// quietly where the bytes run out.
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
        match record(out, m, at, false) {
            Some(next) => {
                // record() starts with a space; JSON values do not need it.
                out.remove(body);
                put::json_backslashes_from(out, body);
                out.push(b'"');
                at = next;
            }
            None => {
                out.truncate(mark);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        m
    }

    fn response() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        m.extend_from_slice(b"\x07example\x03com\x00\x00\x01\x00\x01");
        m.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x06\x03www\xc0\x0c");
        m.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22");
        m
    }

    fn p(m: &[u8], verbose: bool) -> String {
        let mut out = Vec::new();
        print(&mut out, m, m.len() as u32, verbose, false);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn query_like_tcpdump() {
        assert_eq!(p(&query(), false), "4660+ A? example.com. (29)");
    }

    #[test]
    fn response_like_tcpdump() {
        let r = response();
        assert_eq!(
            p(&r, false),
            format!(
                "4660 2/0/0 CNAME www.example.com., A 93.184.216.34 ({})",
                r.len()
            )
        );
        assert_eq!(
            p(&r, true),
            format!(
                "4660 q: A? example.com. 2/0/0 example.com. CNAME www.example.com., \
                 example.com. A 93.184.216.34 ({})",
                r.len()
            )
        );
        let mut nx = r.clone();
        nx[3] = 0x83;
        nx[7] = 0;
        assert!(p(&nx[..29], false).starts_with("4660 NXDomain 0/0/0"));
    }

    #[test]
    fn cut_messages_are_marked() {
        let q = query();
        assert_eq!(p(&q[..20], false), "4660+ [|domain]");
        assert_eq!(p(&q[..5], false), " [|domain]");
        let r = response();
        assert!(p(&r[..r.len() - 3], false).ends_with(" [|domain]"));
    }

    #[test]
    fn pointer_loops_end() {
        let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01");
        let mut out = Vec::new();
        assert_eq!(name(&mut out, &m, 12), None);
        assert!(p(&m, false).ends_with("[|domain]"));
    }

    #[test]
    fn json_answers_list() {
        let mut out = Vec::new();
        json_answers(&mut out, &response());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"CNAME www.example.com.\",\"A 93.184.216.34\""
        );
    }
}
