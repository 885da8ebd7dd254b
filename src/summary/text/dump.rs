//! `-x`, `-X` and `-A` payload dumps, and the hex dump tcpdump prints for what it cannot
//! decode, byte for byte as print-ascii.c writes them.

use crate::summary::digits;

fn graph(b: u8) -> bool {
    b.is_ascii_graphic()
}

/// `-x`: `\n\t0x0000:  4500 0054 ...`, eight groups a line.
pub(super) fn hex(out: &mut Vec<u8>, data: &[u8]) {
    hex_after(out, data, "\n\t");
}

/// tcpdump's print_unknown_data: the `-x` lines, each after `prefix` (`\n\t    `, say).
pub(super) fn hex_after(out: &mut Vec<u8>, data: &[u8], prefix: &str) {
    for (i, line) in data.chunks(16).enumerate() {
        out.extend_from_slice(prefix.as_bytes());
        offset(out, i);
        for pair in line.chunks(2) {
            out.push(b' ');
            for b in pair {
                digits::byte_hex(out, *b);
            }
        }
    }
}

/// print_unknown_data: what was captured of `len` bytes at `at` of `b`, as [`hex_after`]
/// prints it; tcpdump's complaint when `at` is past the captured bytes.
pub(super) fn unknown_data(out: &mut Vec<u8>, b: &[u8], at: usize, len: usize, prefix: &str) {
    let Some(rest) = b.get(at..) else {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(
            b"Dissector error: print_unknown_data called with pointer past end of packet",
        );
        return;
    };
    hex_after(out, &rest[..rest.len().min(len)], prefix);
}

fn offset(out: &mut Vec<u8>, line: usize) {
    out.extend_from_slice(b"0x");
    let o = (line * 16) as u64;
    for shift in [12, 8, 4, 0] {
        out.push(b"0123456789abcdef"[((o >> shift) & 15) as usize]);
    }
    out.push(b':');
    out.push(b' ');
}

/// `-X`: the hex groups padded to 40 columns, two spaces, the printable bytes.
pub(super) fn hex_ascii(out: &mut Vec<u8>, data: &[u8]) {
    for (i, line) in data.chunks(16).enumerate() {
        out.extend_from_slice(b"\n\t");
        offset(out, i);
        let start = out.len();
        for pair in line.chunks(2) {
            out.push(b' ');
            for b in pair {
                digits::byte_hex(out, *b);
            }
        }
        for _ in out.len() - start..40 {
            out.push(b' ');
        }
        out.extend_from_slice(b"  ");
        for b in line {
            out.push(if graph(*b) { *b } else { b'.' });
        }
    }
}

/// `-A`: a newline, then the bytes, unprintable ones as `.`; a CR is dropped before a newline
/// or at the end, as tcpdump does.
pub(super) fn ascii(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'\n');
    for (i, &b) in data.iter().enumerate() {
        let left = data.len() - i - 1;
        if b == b'\r' {
            if left > 1 && data[i + 1] != b'\n' {
                out.push(b'.');
            }
        } else if graph(b) || matches!(b, b'\t' | b' ' | b'\n') {
            out.push(b);
        } else {
            out.push(b'.');
        }
    }
}
