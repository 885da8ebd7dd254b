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
        let mut out = Vec::new();
        bytes_into(&mut out, b"a.b\"", b".\"");
        assert_eq!(out, b"a\\046b\\034");
    }
}
