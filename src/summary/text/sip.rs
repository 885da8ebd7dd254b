//! print-sip.c: SIP on UDP port 5060, through txtproto_print as HTTP is: `SIP: INVITE
//! sip:bob@example.org SIP/2.0`, `SIP: SIP/2.0 200 OK`; with `-v` every text line.

use super::txt::Proto;

/// print-sip.c's request names.
const METHODS: [&str; 17] = [
    "ACK",
    "BYE",
    "CANCEL",
    "DO",
    "INFO",
    "INVITE",
    "MESSAGE",
    "NOTIFY",
    "OPTIONS",
    "PRACK",
    "QAUTH",
    "REFER",
    "REGISTER",
    "SPRACK",
    "SUBSCRIBE",
    "UPDATE",
    "PUBLISH",
];

pub const SIP: Proto = Proto {
    name: "SIP",
    trunc: "sip",
    cmds: Some(&METHODS),
};
