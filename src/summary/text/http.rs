//! HTTP request and status lines on tcpdump's HTTP ports (print-http.c and txtproto_print in
//! util-print.c): `HTTP: GET / HTTP/1.1`, `HTTP: HTTP/1.1 200 OK`, or just `HTTP` for a segment
//! that starts neither; with `-v` every text line, one per output line, as tcpdump does.

use super::txt::Proto;

/// tcpdump's HTTP_PORT and HTTP_PORT_ALT: the only ports it reads as HTTP.
pub const PORTS: [u16; 2] = [80, 8080];

/// Request methods tcpdump recognises (WebDAV's included), compared case-insensitively.
const METHODS: [&str; 38] = [
    "GET",
    "PUT",
    "COPY",
    "HEAD",
    "LOCK",
    "MOVE",
    "POLL",
    "POST",
    "BCOPY",
    "BMOVE",
    "MKCOL",
    "TRACE",
    "LABEL",
    "MERGE",
    "DELETE",
    "SEARCH",
    "UNLOCK",
    "REPORT",
    "UPDATE",
    "NOTIFY",
    "BDELETE",
    "CONNECT",
    "OPTIONS",
    "CHECKIN",
    "PROPFIND",
    "CHECKOUT",
    "CCM_POST",
    "SUBSCRIBE",
    "PROPPATCH",
    "BPROPFIND",
    "BPROPPATCH",
    "UNCHECKOUT",
    "MKACTIVITY",
    "MKWORKSPACE",
    "UNSUBSCRIBE",
    "RPC_CONNECT",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
];

/// HTTP as print-http.c gives it to txtproto_print.
pub const HTTP: Proto = Proto {
    name: "HTTP",
    trunc: "http",
    cmds: Some(&METHODS),
};

/// tcpdump's RTSP_PORT and RTSP_PORT_ALT.
pub const RTSP_PORTS: [u16; 2] = [554, 8554];

/// print-rtsp.c's request names.
const RTSP_METHODS: [&str; 11] = [
    "DESCRIBE",
    "ANNOUNCE",
    "GET_PARAMETER",
    "OPTIONS",
    "PAUSE",
    "PLAY",
    "RECORD",
    "REDIRECT",
    "SETUP",
    "SET_PARAMETER",
    "TEARDOWN",
];

/// RTSP, HTTP's look-alike for streaming (print-rtsp.c).
pub const RTSP: Proto = Proto {
    name: "RTSP",
    trunc: "rtsp",
    cmds: Some(&RTSP_METHODS),
};

#[cfg(test)]
mod tests {
    use super::super::txt;
    use super::*;

    fn p(b: &[u8], len: usize, v: u8) -> String {
        let mut out = Vec::new();
        txt::print(&mut out, &HTTP, b, len as u32, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn request_and_status_lines() {
        let r = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(p(r, r.len(), 0), "HTTP: GET / HTTP/1.1");
        assert_eq!(
            p(r, r.len(), 1),
            "HTTP, length: 27\n\tGET / HTTP/1.1\n\tHost: x\n\t"
        );
        let s = b"HTTP/1.0 200 OK\r\n";
        assert_eq!(p(s, s.len(), 0), "HTTP: HTTP/1.0 200 OK");
        assert_eq!(p(b"<html>", 6, 0), "HTTP");
        assert_eq!(p(b"get /x", 6, 0), "HTTP: get /x [|http]");
        assert_eq!(p(b"GET /", 40, 0), "HTTP [|http]");
    }
}
