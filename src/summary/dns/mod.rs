//! DNS messages: `4660+ A? example.com. (29)` for a query, `4660 1/0/0 A 93.184.216.34 (45)`
//! for a response, over UDP and over TCP (two-byte length prefix), as tcpdump 4.99 prints them
//! (print.rs), and the fields JSON shows (json.rs); both walk the message with wire.rs. Every
//! read is bounds-checked and compression pointers must point strictly backwards, so any bytes
//! at all give a line.

mod json;
mod print;
mod wire;

pub use json::{json_answers, type_str};
pub use print::{duration, fqdn, print, print_char, Name};
pub use wire::{first_question, name, Header};

pub const PORT: u16 = 53;
pub const MDNS_PORT: u16 = 5353;

#[cfg(test)]
mod tests;
