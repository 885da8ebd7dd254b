//! pcapng metadata as dumpcap writes it, read back by Wireshark's tools: the machine and the
//! program in the section header, each interface's filter and system, each packet's direction,
//! and statistics that say which span of time they cover.
mod common;
use common::*;

use std::process::Command;

/// Captures `pings` echo exchanges on `iface` into a pcapng file with filter `icmp`.
fn capture(w: &World, iface: &str, file: &str, pings: u32) {
    let pid = w.target_pid.to_string();
    let mut n = Nscap::spawn(&[
        "-t", &pid, "-i", iface, "--format", "pcapng", "-w", file, "icmp",
    ]);
    n.wait_for("listening on");
    w.ping(pings);
    n.signal(libc::SIGINT);
    let (code, err) = n.finish(10);
    assert_eq!(code, Some(0), "{err:?}");
}

/// (ICMP type, direction) per packet, as tshark reads them: direction 1 in, 2 out, in hex.
fn icmp_directions(file: &str) -> Vec<(String, String)> {
    tshark_fields(file, &["icmp.type", "frame.packet_flags_direction"])
        .into_iter()
        .map(|l| {
            let (t, d) = l.split_once('\t').unwrap_or((&l, ""));
            (t.to_string(), d.to_string())
        })
        .collect()
}

fn assert_directions(file: &str, pings: usize) {
    let dirs = icmp_directions(file);
    assert_eq!(dirs.len(), 2 * pings, "{dirs:?}");
    // Requests come from the peer (inbound), replies leave the target (outbound).
    for (t, d) in &dirs {
        let want = if t == "8" { "0x00000001" } else { "0x00000002" };
        assert!(t == "8" || t == "0", "{dirs:?}");
        assert_eq!(d, want, "{dirs:?}");
    }
}

#[test]
fn ethernet_capture_carries_directions_and_dumpcaps_metadata() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("meta.pcapng");
    capture(&w, "eth0", &f, 3);
    assert_directions(&f, 3);

    let info = capinfos(&f);
    assert_eq!(info["File type"], "pcapng", "{info:?}");
    let os = format!(
        "{} {}",
        std::fs::read_to_string("/proc/sys/kernel/ostype")
            .unwrap()
            .trim(),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap()
            .trim()
    );
    assert_eq!(info["Capture oper-sys"], os, "{info:?}");
    assert!(
        info["Capture application"].starts_with("nscap "),
        "{info:?}"
    );
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap();
    let model = cpu.lines().find_map(|l| {
        l.strip_prefix("model name")
            .map(|v| v.trim_start_matches([' ', '\t', ':']))
    });
    let hw = &info["Capture hardware"];
    match model {
        Some(m) => assert!(hw.starts_with(m), "{hw} vs {m}"),
        None => assert_eq!(hw, std::env::consts::ARCH),
    }
    // Per-interface lines have the shape "Key = value".
    let text = ok_stdout(Command::new("capinfos").arg(&f));
    let field = |key: &str| {
        text.lines()
            .filter_map(|l| l.trim().split_once(" = "))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
    };
    assert_eq!(field("Filter string").as_deref(), Some("icmp"), "{text}");
    assert_eq!(field("Operating system"), Some(os), "{text}");
    assert_eq!(
        field("Number of stat entries").as_deref(),
        Some("1"),
        "{text}"
    );
}

#[test]
fn cooked_capture_carries_directions_from_the_packet_type() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("any.pcapng");
    capture(&w, "any", &f, 2);
    let encap = capinfos(&f)["File encapsulation"].clone();
    assert!(encap.starts_with("linux-sll"), "{encap}");
    assert_directions(&f, 2);
}

/// Interface Statistics Blocks as (interface, start ns, end ns), walked block by block (the
/// file is in this machine's byte order: nscap wrote it here).
fn statistics(bytes: &[u8]) -> Vec<(u32, Option<u64>, Option<u64>)> {
    let u32_at = |o: usize| u32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap());
    let u16_at = |o: usize| u16::from_ne_bytes(bytes[o..o + 2].try_into().unwrap());
    let ts_at = |o: usize| (u64::from(u32_at(o)) << 32) | u64::from(u32_at(o + 4));
    let mut out = Vec::new();
    let mut off = 0;
    while off + 12 <= bytes.len() {
        let (kind, len) = (u32_at(off), u32_at(off + 4) as usize);
        assert!(len >= 12 && off + len <= bytes.len(), "bad block at {off}");
        if kind == 5 {
            let (mut start, mut end) = (None, None);
            let mut o = off + 20;
            while o + 4 <= off + len - 4 {
                let (code, n) = (u16_at(o), usize::from(u16_at(o + 2)));
                match code {
                    0 => break,
                    2 => start = Some(ts_at(o + 4)),
                    3 => end = Some(ts_at(o + 4)),
                    _ => {}
                }
                o += 4 + n.div_ceil(4) * 4;
            }
            out.push((u32_at(off + 8), start, end));
        }
        off += len;
    }
    out
}

#[test]
fn statistics_span_the_capture() {
    let w = World::new();
    let d = TempDir::new();
    let f = d.file("isb.pcapng");
    capture(&w, "eth0", &f, 2);
    let times: Vec<u64> = tshark_fields(&f, &["frame.time_epoch"])
        .iter()
        .map(|t| {
            let (s, ns) = t.split_once('.').unwrap();
            s.parse::<u64>().unwrap() * 1_000_000_000 + ns.parse::<u64>().unwrap()
        })
        .collect();
    assert_eq!(times.len(), 4, "{times:?}");
    let isbs = statistics(&std::fs::read(&f).unwrap());
    assert_eq!(isbs.len(), 1, "{isbs:?}");
    let (id, start, end) = isbs[0];
    assert_eq!(id, 0);
    let (start, end) = (start.expect("isb_starttime"), end.expect("isb_endtime"));
    assert!(
        start <= times[0],
        "started {start} after the first packet {}",
        times[0]
    );
    assert!(
        end >= times[3],
        "ended {end} before the last packet {}",
        times[3]
    );
}
