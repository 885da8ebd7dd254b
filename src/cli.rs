//! Capture-mode command line: tcpdump's letters, parsed once into a validated [`Config`].
//! The rest of the program never sees raw arguments.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser, ValueEnum};

use crate::error::Exit;
use crate::summary::PrintOptions;

pub const DEFAULT_SNAPLEN: u32 = 262_144;

#[derive(Parser, Debug)]
#[command(
    name = "nscap",
    version,
    about = "Capture packets inside a container's network namespace; write the result on the host.",
    override_usage = "nscap -t TARGET [-i IFACE]... [-w FILE|-] [options] [FILTER...]\n       \
                      nscap -r FILE [options] [FILTER...]\n       \
                      nscap exec -t TARGET [nsenter options] [-- PROGRAM [ARGS...]]\n       \
                      nscap list [--json]",
    after_help = "TARGET: a PID; a namespace file (/proc/PID/ns/net, /run/netns/NAME); pid:PID, netns:NAME,\n\
                  container:NAME|ID, pod:NAMESPACE/NAME; or a bare word: an ip-netns name, else a\n\
                  Docker/Podman container name, else a container ID prefix (4+ hex digits).\n\
                  Where containers and pods are looked up: NSCAP_DOCKER_ROOT, NSCAP_PODMAN_ROOT,\n\
                  NSCAP_CONTAINERD_STATE, NSCAP_PODS_LOG_DIR, NSCAP_NETNS_DIR (see nscap list --help).\n\
                  FILTER: a BPF expression, as in tcpdump (e.g. tcp port 80).\n\
                  Subcommands: `nscap exec` behaves as nsenter(1); `nscap list` shows every network namespace."
)]
struct Args {
    /// Target whose network namespace to capture in: PID, namespace file, container, pod:NS/NAME
    /// (repeatable: several targets are captured together).
    #[arg(short = 't', long = "target", value_name = "TARGET", action = ArgAction::Append)]
    targets: Vec<String>,

    /// Interface inside the target (repeatable; `any` for all). Default: the first up,
    /// non-loopback interface.
    #[arg(short = 'i', long = "interface", value_name = "IFACE", action = ArgAction::Append)]
    interfaces: Vec<String>,

    /// Write packets to FILE on the host (`-` for standard output) instead of printing them.
    #[arg(short = 'w', value_name = "FILE")]
    write: Option<OsString>,

    /// Read packets from a pcap or pcapng FILE (`-` for standard input) and print them.
    #[arg(short = 'r', value_name = "FILE")]
    read: Option<OsString>,

    /// Exit after COUNT packets.
    #[arg(short = 'c', value_name = "COUNT")]
    count: Option<u64>,

    /// Snapshot length: bytes kept of each packet (0 means the default, 262144).
    #[arg(short = 's', long = "snapshot-length", value_name = "SNAPLEN")]
    snaplen: Option<u32>,

    /// Do not put the interface into promiscuous mode.
    #[arg(short = 'p', long = "no-promiscuous-mode")]
    no_promisc: bool,

    /// Kernel capture buffer size in KiB.
    #[arg(short = 'B', long = "buffer-size", value_name = "KiB")]
    buffer_kib: Option<u32>,

    /// Packet-buffered output: write each packet out as it arrives (always on for `-w -`).
    #[arg(short = 'U', long = "packet-buffered")]
    packet_buffered: bool,

    /// Capture only packets received (in), sent (out), or both (inout).
    #[arg(short = 'Q', long = "direction", value_enum, value_name = "DIR")]
    direction: Option<Direction>,

    /// List the target's interfaces (index, name, state, addresses) and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    list_interfaces: bool,

    /// BPF filter expression (instead of trailing words).
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    filter_expr: Option<String>,

    /// Print packet summaries on standard output while writing a file.
    #[arg(long)]
    print: bool,

    /// Quick output: shorter summary lines.
    #[arg(short = 'q')]
    quick: bool,

    /// Output file format (default: pcap for one interface, pcapng for several).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,

    /// Nanosecond timestamps (in summaries and pcap files).
    #[arg(long)]
    nano: bool,

    /// Print timestamps as seconds since the epoch (tcpdump's -tt).
    #[arg(long = "tt")]
    epoch: bool,

    /// Print the link-level header on each summary line.
    #[arg(short = 'e')]
    link_header: bool,

    /// More detail in summaries (repeatable).
    #[arg(short = 'v', action = ArgAction::Count)]
    verbose: u8,

    /// Print one JSON object per packet instead of summary lines.
    #[arg(long)]
    json: bool,

    /// At the end, print a table of conversations (on stdout, or stderr when writing to stdout).
    #[arg(long)]
    flows: bool,

    /// Accepted for tcpdump habit: nscap never resolves names.
    #[arg(short = 'n', hide = true)]
    _numeric: bool,

    /// Accepted for tcpdump habit: summary output is flushed per packet group anyway.
    #[arg(short = 'l', hide = true)]
    _line_buffered: bool,

    /// Every network namespace on the host except the host's own (with -t: added to them).
    #[arg(long)]
    all: bool,

    /// Keep the selection live: namespaces and interfaces that appear join, those that go away
    /// leave, and the capture goes on.
    #[arg(long)]
    follow: bool,

    /// Filter expression words.
    #[arg(value_name = "FILTER", num_args = 0..)]
    filter: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Inout,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    Pcapng,
}

/// Where packets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Live capture in the network namespaces of one or more targets.
    Live { targets: Vec<String> },
    /// A pcap or pcapng file (`-` = stdin).
    File(PathBuf),
}

/// What to do, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub input: Input,
    pub list_interfaces: bool,
    pub interfaces: Vec<String>,
    /// `-w`: `-` means standard output.
    pub write: Option<PathBuf>,
    pub format: Option<Format>,
    pub count: Option<u64>,
    pub snaplen: u32,
    pub promisc: bool,
    pub buffer_bytes: Option<i32>,
    pub packet_buffered: bool,
    pub direction: Option<Direction>,
    pub filter: Option<String>,
    /// Print summaries (or JSON) on stdout.
    pub print: bool,
    pub json: bool,
    pub flows: bool,
    pub print_opts: PrintOptions,
    /// `--all` and `--follow` (see [`crate::select`]).
    pub all: bool,
    pub follow: bool,
}

impl Config {
    pub fn writes_stdout(&self) -> bool {
        self.write.as_deref() == Some(std::path::Path::new("-"))
    }
}

/// tcpdump users type `-tt` for epoch timestamps; here `-t` takes the target, so a lone `-tt`
/// is read as `--tt`.
fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|a| {
            if a == "-tt" {
                OsString::from("--tt")
            } else {
                a
            }
        })
        .collect()
}

/// Parses capture-mode arguments (`args[0]` is the program name). Help and version requests
/// come back as [`Exit::Info`]; clap's own errors and contradictions as [`Exit::Usage`].
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Config, Exit> {
    validate(Args::try_parse_from(normalize(args))?)
}

/// Returns from `validate` with a usage error (exit status 2).
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err(Exit::Usage(format!($($arg)*)))
    };
}

fn validate(a: Args) -> Result<Config, Exit> {
    if a.targets.iter().any(String::is_empty) {
        usage!(
            "empty target: give a PID, a namespace file, a container, pod:NS/NAME or netns:NAME"
        );
    }
    let live = !a.targets.is_empty() || a.all;
    if (a.all || a.follow) && a.read.is_some() {
        usage!("--all and --follow select live namespaces: they cannot be used with -r");
    }
    if a.follow && !live {
        usage!("--follow needs -t or --all");
    }
    let input = match (!live, &a.read) {
        (false, Some(_)) => usage!("-t and -r cannot be used together"),
        (false, None) => Input::Live {
            targets: a.targets.clone(),
        },
        (true, Some(r)) => Input::File(PathBuf::from(r)),
        (true, None) => usage!("no target: give -t PID|PATH (or -r FILE to read a capture file)"),
    };
    let is_file = matches!(input, Input::File(_));
    if a.list_interfaces && is_file {
        usage!("-D lists a target's interfaces: use it with -t, not -r");
    }
    if is_file && !a.interfaces.is_empty() {
        usage!("-i selects live interfaces: it cannot be used with -r");
    }
    let filter = match (a.filter_expr, a.filter.is_empty()) {
        (Some(_), false) => usage!("give the filter either with -f or as trailing words, not both"),
        (Some(f), true) => Some(f),
        (None, false) => Some(a.filter.join(" ")),
        (None, true) => None,
    };
    let snaplen = match a.snaplen {
        None | Some(0) => DEFAULT_SNAPLEN,
        // libpcap would silently use 262144 while the file header announced more.
        Some(s) if s > DEFAULT_SNAPLEN => {
            usage!("-s {s}: the snapshot length is at most {DEFAULT_SNAPLEN} bytes (0 means that)")
        }
        Some(s) => s,
    };
    let buffer_bytes = match a.buffer_kib {
        None => None,
        Some(k) => match k.checked_mul(1024).and_then(|b| i32::try_from(b).ok()) {
            Some(b) if b > 0 => Some(b),
            _ => usage!("-B {k}: buffer size must be between 1 and 2097151 KiB"),
        },
    };
    if a.count == Some(0) {
        usage!("-c 0: count must be at least 1");
    }
    let write = a.write.map(PathBuf::from);
    if write.is_some() && is_file {
        usage!("-w with -r is not supported: nscap reads files only to print them");
    }
    if a.format.is_some() && write.is_none() {
        usage!("--format applies to -w output");
    }
    let writes_stdout = write.as_deref() == Some(std::path::Path::new("-"));
    if a.print && writes_stdout {
        usage!("--print and -w - both use standard output");
    }
    if a.json && writes_stdout {
        usage!("--json and -w - both use standard output");
    }
    let print = write.is_none() || a.print || a.json;
    let show_iface = a.interfaces.len() > 1
        || a.interfaces.iter().any(|i| i == "any")
        || a.targets.len() > 1
        || a.all
        || a.follow
        || a.targets.iter().any(|t| crate::select::is_pattern(t));
    Ok(Config {
        input,
        list_interfaces: a.list_interfaces,
        interfaces: a.interfaces,
        packet_buffered: a.packet_buffered || writes_stdout,
        write,
        format: a.format,
        count: a.count,
        snaplen,
        promisc: !a.no_promisc,
        buffer_bytes,
        direction: a.direction,
        filter,
        print,
        json: a.json,
        flows: a.flows,
        print_opts: PrintOptions {
            epoch: a.epoch,
            nano: a.nano,
            show_iface,
            link_header: a.link_header,
            verbose: a.verbose,
            quick: a.quick,
        },
        all: a.all,
        follow: a.follow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(args: &[&str]) -> Result<Config, Exit> {
        let mut v = vec![OsString::from("nscap")];
        v.extend(args.iter().map(OsString::from));
        parse(v)
    }

    #[test]
    fn trailing_words_form_the_filter_and_options_may_follow() {
        let c = cfg(&["-t", "42", "tcp", "port", "80", "-c", "5"]).unwrap();
        assert_eq!(c.filter.as_deref(), Some("tcp port 80"));
        assert_eq!(c.count, Some(5));
        assert_eq!(
            c.input,
            Input::Live {
                targets: vec!["42".into()]
            }
        );
        assert!(c.print);
    }

    #[test]
    fn stdout_output_is_packet_buffered() {
        let c = cfg(&["-t", "42", "-w", "-"]).unwrap();
        assert!(c.packet_buffered && c.writes_stdout() && !c.print);
        let c = cfg(&["-t", "42", "-w", "x.pcap"]).unwrap();
        assert!(!c.packet_buffered);
    }

    #[test]
    fn tcpdump_defaults() {
        let c = cfg(&["-t", "42", "-s", "0"]).unwrap();
        assert_eq!(c.snaplen, DEFAULT_SNAPLEN);
        assert!(c.promisc);
        let c = cfg(&["-t", "42", "-p", "-B", "4096", "-Q", "in"]).unwrap();
        assert!(!c.promisc);
        assert_eq!(c.buffer_bytes, Some(4096 * 1024));
        assert_eq!(c.direction, Some(Direction::In));
    }

    #[test]
    fn double_t_means_epoch() {
        let c = cfg(&["-r", "x.pcap", "-tt"]).unwrap();
        assert!(c.print_opts.epoch);
    }

    #[test]
    fn several_targets_show_interface_names() {
        let c = cfg(&["-t", "42", "-t", "/run/netns/blue"]).unwrap();
        assert_eq!(
            c.input,
            Input::Live {
                targets: vec!["42".into(), "/run/netns/blue".into()]
            }
        );
        assert!(c.print_opts.show_iface);
    }

    #[test]
    fn several_interfaces_show_names() {
        let c = cfg(&["-t", "42", "-i", "eth0", "-i", "lo"]).unwrap();
        assert_eq!(c.interfaces, vec!["eth0", "lo"]);
        assert!(c.print_opts.show_iface);
    }

    #[test]
    fn contradictions_are_usage_errors() {
        for args in [
            &[][..],
            &["-t", "1", "-r", "x"],
            &["-t", "1", "-f", "tcp", "udp"],
            &["-t", "1", "-c", "0"],
            &["-t", "1", "-B", "0"],
            &["-t", "1", "-s", "262145"],
            &["-t", "1", "-s", "4294967295"],
            &["-t", ""],
            &["-t", "1", "-w", "-", "--print"],
            &["-t", "1", "--format", "pcapng"],
            &["-t"],
        ] {
            assert!(
                matches!(cfg(args), Err(Exit::Usage(_))),
                "{args:?}: {:?}",
                cfg(args)
            );
        }
        assert!(matches!(cfg(&["--help"]), Err(Exit::Info(_))));
    }
}
