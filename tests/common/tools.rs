//! What Wireshark's tools make of a capture file: the independent check on what nscap wrote.

use std::collections::HashMap;
use std::process::Command;

use super::ok_stdout;

/// `tshark -r FILE -T fields -e FIELDS`, one line per packet.
pub fn tshark_fields(file: &str, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-r", file, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    ok_stdout(&mut cmd).lines().map(str::to_string).collect()
}

/// `capinfos -M` field map: "File type", "Number of packets", ...
pub fn capinfos(file: &str) -> HashMap<String, String> {
    ok_stdout(Command::new("capinfos").args(["-M", file]))
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}
