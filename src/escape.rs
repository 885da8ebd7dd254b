//! Bytes from outside (packets, capture files, other namespaces) made safe to print: a name
//! holding a newline or an escape sequence must not forge lines or drive the terminal.
//!
//! One rule everywhere, that of DNS names in tcpdump and BIND: printable ASCII stays, every
//! other byte (and the backslash itself, so the result reads back unambiguously) becomes `\ddd`,
//! three decimal digits.

/// Appends `s` to `out` escaped; bytes in `also` are escaped too (DNS escapes `.` inside a label).
pub fn bytes_into(out: &mut Vec<u8>, s: &[u8], also: &[u8]) {
    for &c in s {
        if c.is_ascii_graphic() && c != b'\\' && !also.contains(&c) {
            out.push(c);
        } else {
            out.extend_from_slice(&[b'\\', b'0' + c / 100, b'0' + c / 10 % 10, b'0' + c % 10]);
        }
    }
}

/// A name from outside, escaped: interface names read from files or listed in another
/// namespace. Names that need no escaping come back unchanged.
pub fn name(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    bytes_into(&mut out, s, &[]);
    // Only ASCII is left.
    String::from_utf8(out).unwrap_or_default()
}

/// The bytes of a name [`name`] escaped: `\ddd` back to its byte, everything else as it is;
/// `None` for a `\` not followed by three digits of a byte (not something `name` wrote).
pub fn unname(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let d = b.get(i + 1..i + 4)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = d.iter().fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
        out.push(u8::try_from(v).ok()?);
        i += 4;
    }
    Some(out)
}

/// A message for the terminal that may quote names from outside (an interface, a container
/// name, libpcap's words about them): control characters become `\ddd`, everything else,
/// spaces and non-ASCII letters included, stays as it is.
pub fn text(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            let mut b = [0u8; 4];
            for &byte in c.encode_utf8(&mut b).as_bytes() {
                out.push('\\');
                out.push_str(&format!("{byte:03}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_backslashes_and_non_ascii_are_escaped() {
        assert_eq!(name(b"eth0.100"), "eth0.100");
        assert_eq!(name(b"eth\n\x1b[31m"), "eth\\010\\027[31m");
        assert_eq!(name(b"a b\\c\x7f"), "a\\032b\\092c\\127");
        assert_eq!(name("é".as_bytes()), "\\195\\169");
        assert_eq!(name(b"\xff"), "\\255");
        assert_eq!(
            text("no such interface 'a\x1b[31mb'\n"),
            "no such interface 'a\\027[31mb'\\010"
        );
        assert_eq!(text("docker café (3f2a)"), "docker café (3f2a)");
        assert_eq!(text("c1 \u{9b}"), "c1 \\194\\155");
        let mut out = Vec::new();
        bytes_into(&mut out, b"a.b\"", b".\"");
        assert_eq!(out, b"a\\046b\\034");
    }

    #[test]
    fn names_escaped_come_back_whole() {
        for raw in [
            &b"eth0"[..],
            b"eth\n\x1b[31m",
            b"a b\\c\x7f",
            "\u{e9}".as_bytes(),
            b"\xff",
        ] {
            assert_eq!(unname(&name(raw)).as_deref(), Some(raw));
        }
        assert_eq!(unname("a\\9"), None);
        assert_eq!(unname("a\\999"), None);
    }
}
