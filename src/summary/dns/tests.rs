use super::print::duration;
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

fn p(m: &[u8], vflag: u8) -> String {
    let mut out = Vec::new();
    print(&mut out, m, m.len() as u32, vflag, false, false);
    String::from_utf8(out).unwrap()
}

#[test]
fn query_like_tcpdump() {
    assert_eq!(p(&query(), 0), "4660+ A? example.com. (29)");
}

#[test]
fn response_like_tcpdump() {
    let r = response();
    assert_eq!(
        p(&r, 0),
        format!(
            "4660 2/0/0 CNAME www.example.com., A 93.184.216.34 ({})",
            r.len()
        )
    );
    assert_eq!(
        p(&r, 2),
        format!(
            "4660 q: A? example.com. 2/0/0 example.com. CNAME www.example.com., \
             example.com. A 93.184.216.34 ({})",
            r.len()
        )
    );
    let mut nx = r.clone();
    nx[3] = 0x83;
    nx[7] = 0;
    assert!(p(&nx[..29], 0).starts_with("4660 NXDomain 0/0/0"));
}

#[test]
fn over_tcp_checks_the_prefix() {
    let q = query();
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    let mut out = Vec::new();
    print(&mut out, &framed, framed.len() as u32, 0, true, false);
    assert_eq!(out, b" 4660+ A? example.com. (29)");
    out.clear();
    print(&mut out, &framed, framed.len() as u32 + 1, 0, true, false);
    assert_eq!(out, b" [prefix length(29) != length(30)] (invalid)");
}

#[test]
fn cut_messages_are_marked() {
    let q = query();
    assert_eq!(p(&q[..20], 0), "4660+ [|domain]");
    assert_eq!(p(&q[..5], 0), "domain [length 5 < 12] (invalid)");
    let mut out = Vec::new();
    print(&mut out, &q[..5], 29, 0, false, false);
    assert_eq!(out, b" [|domain]");
}

#[test]
fn pointer_loops_end() {
    let mut m = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01");
    let mut out = Vec::new();
    assert_eq!(name(&mut out, &m, 12), None);
    assert!(p(&m, 0).ends_with("<BAD PTR> [|domain]"));
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

#[test]
fn relative_times() {
    let mut o = Vec::new();
    duration(&mut o, 90061);
    assert_eq!(o, b"1d1h1m1s");
}
