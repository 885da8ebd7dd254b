//! The capture-file reader on arbitrary bytes: every packet it yields goes through the
//! formatter; it must end (with a packet count or an error), never panic or balloon.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nscap::reader::FileReader;
use nscap::summary::{PrintOptions, Summarizer};

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = FileReader::new(data) else {
        return;
    };
    let mut s = Summarizer::new(PrintOptions::default());
    let mut out = Vec::new();
    // Every packet consumes at least 12 bytes of input, so this ends.
    while let Ok(true) = r.advance() {
        let pkt = r.packet();
        assert!(pkt.iface < r.interfaces().len());
        let iface = r.interfaces()[pkt.iface].clone();
        out.clear();
        s.line(&mut out, &pkt, &iface);
        // One line, or one more per tunnel header (tcpdump ends VXLAN's with a newline).
        assert!(out.iter().filter(|b| **b == b'\n').count() >= 1);
        assert_eq!(out.last(), Some(&b'\n'));
    }
});
