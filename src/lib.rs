//! nscap: capture inside another network namespace, write on the host.
//!
//! Data flows through one module per stage: [`target`] (what `-t` names) → [`netns`] (entering
//! it from a thread we own) → [`capture`] (libpcap handles as sources) → [`sink`] (pcap, pcapng,
//! summaries) ← [`cli`] (the validated configuration). [`exec`] is the other mode: run a program
//! inside a target's namespaces, as `nsenter` does.

pub mod attrib;
pub mod capture;
pub mod cli;
pub mod docs;
pub mod error;
pub mod escape;
pub mod exec;
pub mod extcap;
pub mod iface;
pub mod link;
pub mod list;
pub mod live;
pub mod netns;
pub mod os;
pub mod packet;
pub mod pcapx;
pub mod privs;
pub mod probe;
pub mod progress;
pub mod read;
pub mod select;
pub mod sink;
pub mod stop;
pub mod summary;
pub mod target;
