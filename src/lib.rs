//! nscap: capture inside another network namespace, write on the host.
//!
//! `docs/architecture.md` draws the whole; in short, a capture flows through one module per
//! stage, and the commands are thin drivers of those stages.
//!
//! **Modes** ([`cmd`]): what one command line runs: live capture, `-r`, `list`, `-L`/`-J`,
//! Wireshark's extcap calls, `man`/`completions`, and `exec` (nsenter).
//!
//! **Stages**, in the order packets meet them:
//! - [`targets`]: what `-t`, patterns and `--all` name, resolved on the host into open
//!   namespace files; the host's inventory of namespaces.
//! - [`netns`]: entering a namespace from a thread of our own; the worker threads that do.
//! - [`capture`]: libpcap handles opened inside namespaces, read by one pump thread.
//! - [`reader`]: pcap and pcapng files, the other source of packets.
//! - [`session`]: a live capture from start to statistics: the event loop, `--follow`.
//! - [`remote`]: `-H HOST`: nscap on other hosts over ssh, their streams merged here.
//! - [`order`]: packets of several interfaces or hosts put in time order.
//! - [`owner`]: `--process`, which local process owns each packet's socket.
//! - [`sink`]: where packets go: pcap, pcapng, summaries, JSON, flows, rotation.
//! - [`summary`]: the printers, tcpdump's text and JSON.
//!
//! **Shared**: [`cli`] (the validated configuration), [`packet`] (the data passed between
//! stages), [`link`] (link-layer type numbers), [`iface`] (a namespace's interfaces), [`stop`] (signals), [`privs`] (`-Z`),
//! [`os`] (system calls nix does not wrap), [`error`] (how a run ends), [`escape`] (bytes
//! from outside made safe to print), [`suggest`] ("did you mean").

// Messages go to standard error, which a reader may close (`2>&1 | head -n 1`): std's
// eprintln! would panic there, and a panic aborts before the cleanup that must still run
// (kubectl nscap's debug pods, a file's last records). These shadow std's in the whole crate
// (textual scope: they are defined before every module); a message that cannot be written is
// dropped.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stderr(), $($arg)*);
    }};
}

pub mod capture;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod escape;
pub mod iface;
pub mod link;
pub mod netns;
pub mod order;
pub mod os;
pub mod owner;
pub mod packet;
pub mod privs;
pub mod reader;
pub mod remote;
pub mod session;
pub mod sink;
pub mod stop;
pub mod suggest;
pub mod summary;
pub mod targets;
