//! Capture-mode command line: tcpdump's letters, parsed once into a validated [`Config`].
//! The rest of the program never sees raw arguments.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, ValueEnum};

use crate::capture::{Direction, HandleOptions};
use crate::error::Exit;
use crate::sink::rotate::Clock;
use crate::sink::rotate::{Naming, Plan};
use crate::sink::{self, Format};
use crate::summary::{PrintOptions, Stamp};

pub const DEFAULT_SNAPLEN: u32 = 262_144;

#[derive(Parser, Debug)]
#[command(
    name = "nscap",
    version,
    about = "Capture packets inside a container's network namespace; write the result on the host.",
    override_usage = "nscap [-t TARGET]... [-i IFACE]... [-w FILE|-] [options] [FILTER...]\n       \
                      nscap -r FILE [options] [FILTER...]\n       \
                      nscap exec -t TARGET [nsenter options] [-- PROGRAM [ARGS...]]\n       \
                      nscap list [--json]",
    after_help = "TARGET: a PID; a namespace file (/proc/PID/ns/net, /run/netns/NAME); pid:PID, netns:NAME,\n\
                  container:NAME|ID, pod:NAMESPACE/NAME; or a bare word: an ip-netns name, else a\n\
                  Docker/Podman container name, else a container ID prefix (4+ hex digits).\n\
                  Where containers and pods are looked up: NSCAP_DOCKER_ROOT, NSCAP_PODMAN_ROOT,\n\
                  NSCAP_CONTAINERD_STATE, NSCAP_PODS_LOG_DIR, NSCAP_NETNS_DIR (see nscap list --help);\n\
                  in a container with the host's root mounted at DIR and --pid=host: --host-root DIR.\n\
                  FILTER: a BPF expression, as in tcpdump (e.g. tcp port 80).\n\
                  Subcommands: `nscap exec` behaves as nsenter(1); `nscap list` shows every network namespace."
)]
struct Args {
    /// Target whose network namespace to capture in: PID, namespace file, container, pod:NS/NAME
    /// (repeatable: several targets are captured together). None: nscap's own namespace, the
    /// host's, as tcpdump.
    #[arg(
        short = 't',
        long = "target",
        value_name = "TARGET",
        action = ArgAction::Append,
        add = clap_complete::ArgValueCompleter::new(crate::cmd::complete::targets)
    )]
    targets: Vec<String>,

    /// Interface inside the target, by name or by the number -D shows (repeatable; `any` for
    /// all). Default: the first up, non-loopback interface.
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        action = ArgAction::Append,
        add = clap_complete::ArgValueCompleter::new(crate::cmd::complete::interfaces)
    )]
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

    // Printing flags, with tcpdump 4.99's meaning.
    /// Nanosecond timestamps (in summaries and pcap files).
    #[arg(long)]
    nano: bool,

    /// Timestamp precision: micro (the default) or nano (as --nano).
    #[arg(long = "time-stamp-precision", value_enum, value_name = "PRECISION")]
    precision: Option<Precision>,

    /// -tt: print timestamps as seconds since the epoch.
    #[arg(long = "tt")]
    epoch: bool,

    /// -ttt: print the time since the previous packet.
    #[arg(long = "ttt")]
    delta: bool,

    /// -tttt: print the date before the time of day.
    #[arg(long = "tttt")]
    date: bool,

    /// -ttttt: print the time since the first packet.
    #[arg(long = "ttttt")]
    since_first: bool,

    /// Print the link-level header on each summary line.
    #[arg(short = 'e')]
    link_header: bool,

    /// More detail in summaries (repeatable: -vv, -vvv).
    #[arg(short = 'v', action = ArgAction::Count)]
    verbose: u8,

    /// Absolute TCP sequence numbers (default: relative to the conversation's first).
    #[arg(short = 'S', long = "absolute-tcp-sequence-numbers")]
    absolute_seq: bool,

    /// Do not verify IP, TCP, UDP and ICMP checksums (verified only with -v).
    #[arg(short = 'K', long = "dont-verify-checksums")]
    no_checksum: bool,

    /// Number the summary lines.
    #[arg(short = '#', long = "number")]
    number: bool,

    /// Hex dump of each packet after its link header (-xx: with the link header).
    #[arg(short = 'x', action = ArgAction::Count)]
    hex: u8,

    /// Hex and ASCII dump of each packet after its link header (-XX: with the link header).
    #[arg(short = 'X', action = ArgAction::Count)]
    hex_ascii: u8,

    /// ASCII dump of each packet after its link header (-AA: with the link header).
    #[arg(short = 'A', action = ArgAction::Count)]
    ascii: u8,

    /// Hand each packet over as soon as it arrives (live capture).
    #[arg(long = "immediate-mode")]
    immediate: bool,

    /// Accepted for tcpdump habit (-n, -nn): nscap never resolves names.
    #[arg(short = 'n', action = ArgAction::Count, hide = true)]
    _numeric: u8,

    /// Accepted for tcpdump habit: summary output is flushed per packet group anyway.
    #[arg(short = 'l', hide = true)]
    _line_buffered: bool,
    // End of the printing flags.
    /// Print one JSON object per packet instead of summary lines.
    #[arg(long)]
    json: bool,

    /// At the end, print a table of conversations (on stdout, or stderr when writing to stdout).
    #[arg(long)]
    flows: bool,

    /// Every network namespace on the host except the host's own (with -t: added to them).
    #[arg(long)]
    all: bool,

    /// Keep the selection live: namespaces and interfaces that appear join, those that go away
    /// leave, and the capture goes on.
    #[arg(long)]
    follow: bool,

    /// Name the local process each packet belongs to: pcapng packet comments
    /// (`pid 1234 curl (container web)`), `curl[1234]` in summaries, `process` in JSON.
    #[arg(long)]
    process: bool,

    /// Only the packets of these processes (PIDs, repeatable or comma-separated), as
    /// --process attributes them (it implies --process). A packet whose process is not known
    /// is left out.
    #[arg(long = "pid", value_name = "PID", value_delimiter = ',', action = ArgAction::Append)]
    pids: Vec<u32>,

    /// Only the packets of processes with this command name (as ps -o comm shows it;
    /// repeatable or comma-separated); implies --process.
    #[arg(long = "comm", value_name = "NAME", value_delimiter = ',', action = ArgAction::Append)]
    comms: Vec<String>,

    /// With --pid: the descendants of those processes too.
    #[arg(long = "pid-tree")]
    pid_tree: bool,

    // tcpdump's flags that choose what is captured or listed, not how it prints (issue 12).
    /// Read the filter expression from FILE (`#` starts a comment to the end of the line).
    #[arg(short = 'F', value_name = "FILE")]
    filter_file: Option<PathBuf>,

    /// With -r: print only the number of packets that match, as `N packets`.
    #[arg(long = "count")]
    count_only: bool,

    /// Capture with data link type TYPE (a name such as EN10MB or LINUX_SLL2, or a number;
    /// see -L).
    #[arg(short = 'y', long = "linktype", value_name = "TYPE")]
    linktype: Option<String>,

    /// List the data link types of the interfaces (in the target) and exit.
    #[arg(short = 'L', long = "list-data-link-types")]
    list_datalinks: bool,

    /// Capture with time stamp type TYPE (host, adapter, adapter_unsynced, ...; see -J).
    #[arg(short = 'j', long = "time-stamp-type", value_name = "TYPE")]
    tstamp_type: Option<String>,

    /// List the time stamp types of the interfaces (in the target) and exit.
    #[arg(short = 'J', long = "list-time-stamp-types")]
    list_tstamp_types: bool,

    /// The host's root is mounted at DIR (nscap runs in a container with --pid=host): container
    /// runtimes' data, /run/netns and /var/log/pods are read under it [env: NSCAP_HOST_ROOT].
    #[arg(long, value_name = "DIR")]
    host_root: Option<PathBuf>,

    // Long captures (issue 11): tcpdump's -C -W -G -z -Z, dumpcap's -b -a.
    /// Start a new file before one would pass SIZE millions of bytes (suffix k, m or g: KiB,
    /// MiB, GiB); files are FILE, FILE1, FILE2...
    #[arg(short = 'C', value_name = "SIZE")]
    file_size: Option<String>,

    /// With -C: a ring of N files, FILE0 to FILE{N-1}, overwritten in turn. With -G: stop
    /// after N files.
    #[arg(short = 'W', value_name = "N")]
    file_count: Option<u32>,

    /// Start a new file every SECONDS; the -w name goes through strftime (e.g. cap-%H%M%S.pcap).
    #[arg(short = 'G', value_name = "SECONDS")]
    rotate_seconds: Option<u64>,

    /// Run CMD FILE on each file closed by a rotation (e.g. -z gzip), without waiting for it.
    #[arg(short = 'z', value_name = "CMD")]
    postrotate: Option<OsString>,

    /// Once every capture handle is open, become USER (its uid, gid and groups) with no
    /// capabilities left; files are created as USER.
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    user: Option<String>,

    /// dumpcap's ring buffer: filesize:KB, duration:S, packets:N, files:N (repeatable); files
    /// are named PREFIX_NNNNN_YYYYmmddHHMMSS.EXT.
    #[arg(short = 'b', long = "ring-buffer", value_name = "KEY:VALUE", action = ArgAction::Append)]
    ring_buffer: Vec<String>,

    /// dumpcap's autostop: duration:S, filesize:KB, packets:N, files:N (repeatable).
    #[arg(short = 'a', long = "autostop", value_name = "KEY:VALUE", action = ArgAction::Append)]
    autostop: Vec<String>,

    // Other hosts (issue 21): nscap run on each over ssh, the streams merged here.
    #[command(flatten)]
    remote: crate::remote::HostOptions,

    /// How nscap runs on a host for -H: pcapng on standard output, stop at the end of
    /// standard input, the statistics in the stream.
    #[arg(long = "remote-stream", hide = true)]
    remote_stream: bool,

    /// Filter expression words.
    #[arg(value_name = "FILTER", num_args = 0..)]
    filter: Vec<String>,

    /// After `--`: a command to run in the target's network namespace; only its packets (and
    /// its descendants') are written, the capture ends when it exits, and nscap exits with its
    /// status.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Precision {
    Micro,
    Nano,
}

/// Where packets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Live capture in the network namespaces of one or more targets.
    Live { targets: Vec<String> },
    /// A pcap or pcapng file (`-` = stdin).
    File(PathBuf),
}

/// What to do, validated: where packets come from, how handles are opened, where packets go,
/// how they print, and what ends or surrounds the capture.
#[derive(Debug, Clone)]
pub struct Config {
    pub input: Input,
    /// `-i`: the interfaces to capture on (none: every interface that is up).
    pub interfaces: Vec<String>,
    /// How the libpcap handles are opened (`-s -p -B -Q --immediate-mode -y -j`, the filter).
    pub handle: HandleOptions,
    /// Where packets go (`-w`, `--format`, rotation, `--print`, `--json`, `--flows`).
    pub output: sink::Options,
    /// How summaries print (`-v -n -e -x -tt …`).
    pub print_opts: PrintOptions,
    /// `--all` and `--follow` (see [`crate::targets::select`]).
    pub all: bool,
    pub follow: bool,
    /// `-D`, `-L`, `-J`: list interfaces, data link types, time stamp types, and exit.
    pub list_interfaces: bool,
    pub list_datalinks: bool,
    pub list_tstamp_types: bool,
    /// `-c`: stop after this many packets.
    pub count: Option<u64>,
    /// `--count`: print only how many packets match.
    pub count_only: bool,
    /// `--process`: attribute packets to the processes that own their sockets.
    pub process: bool,
    /// `--pid`, `--comm`: only these processes' packets.
    pub wanted: Option<crate::owner::Wanted>,
    /// `-- COMMAND`: run it, and capture its packets only.
    pub command: Option<Vec<OsString>>,
    /// `--host-root`: where the host's root is mounted.
    pub host_root: Option<PathBuf>,
    /// `-a duration`: stop after this long.
    pub stop_after: Option<Duration>,
    /// `-Z`: the user to become once every handle is open.
    pub user: Option<String>,
    /// `-H`: the hosts to capture on, over ssh.
    pub remote: Option<crate::remote::Hosts>,
    /// `--remote-stream`: this nscap runs on a host for another's `-H`.
    pub remote_stream: bool,
}

impl Config {
    pub fn writes_stdout(&self) -> bool {
        self.output.writes_stdout()
    }

    /// The handle options a live session opens with: packet-buffered output, and a person
    /// watching a terminal, want each packet now, not when a ring block fills or times out.
    /// --process does not: its probe sees each flow's first packet at once (crate::owner).
    pub fn session_handles(&self) -> HandleOptions {
        let mut h = self.handle.clone();
        // A remote stream is not watched as it comes: the -H end holds packets for time order
        // anyway, and a ring block's worth (100 ms at most) per write costs the hosts and the
        // -H end a fraction of a write and a wake-up per packet.
        h.immediate |= !self.remote_stream
            && (self.output.packet_buffered
                || (self.output.print && std::io::IsTerminal::is_terminal(&std::io::stdout())));
        h
    }
}

/// tcpdump users type `-tt` to `-ttttt` for timestamp formats; here `-t` takes the target, so
/// these words alone are read as `--tt` to `--ttttt` (a target named `tt` is `--target tt`).
fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|a| match a.to_str() {
            Some(t @ ("-tt" | "-ttt" | "-tttt" | "-ttttt")) => OsString::from(format!("-{t}")),
            _ => a,
        })
        .collect()
}

/// Parses capture-mode arguments (`args[0]` is the program name). Help and version requests
/// come back as [`Exit::Info`]; clap's own errors and contradictions as [`Exit::Usage`].
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Config, Exit> {
    let matches = command().try_get_matches_from(normalize(args))?;
    let mut cfg = validate(Args::from_arg_matches(&matches)?)?;
    if let Some(r) = cfg.remote.as_mut() {
        r.args = forwarded(&matches, cfg.handle.filter.as_deref());
        // Given before the mode (`nscap --host-root DIR -H …`), it was taken off already.
        if cfg.host_root.is_none() {
            if let Some(dir) = crate::targets::runtime::host_root_option() {
                r.args.push("--host-root".into());
                r.args.push(dir.into());
            }
        }
    }
    capture_only_allows(&cfg)?;
    // Targets are resolved deep in capture code: the host root reaches it the way the
    // environment does, through `Roots::from_env`.
    if let Some(dir) = &cfg.host_root {
        crate::targets::runtime::set_host_root(dir.clone());
    }
    Ok(cfg)
}

/// In capture-only mode (see [`crate::privs`]), what would run or read for the user with more
/// than the user's rights is refused.
fn capture_only_allows(cfg: &Config) -> Result<(), Exit> {
    use crate::privs::refuse;
    if cfg.host_root.is_some() {
        refuse("--host-root")?;
    }
    if cfg.output.rotation.postrotate.is_some() {
        refuse("-z (a command run on each rotated file)")?;
    }
    if cfg.user.is_some() {
        refuse("-Z")?;
    }
    if cfg.command.is_some() {
        refuse("-- COMMAND (it runs a program in the namespace)")?;
    }
    if cfg.process {
        refuse("--process (it reads every process's open files)")?;
    }
    Ok(())
}

/// What a remote nscap takes from this command line (`-H`): the options that choose and open
/// its captures, as they were given, and the filter. Output, printing, rotation and stopping
/// stay here.
const FORWARDED: [&str; 17] = [
    "targets",
    "interfaces",
    "count",
    "snaplen",
    "no_promisc",
    "buffer_kib",
    "direction",
    "immediate",
    "all",
    "follow",
    "process",
    "pids",
    "comms",
    "pid_tree",
    "linktype",
    "tstamp_type",
    "host_root",
];

fn forwarded(m: &clap::ArgMatches, filter: Option<&str>) -> Vec<OsString> {
    let cmd = Args::command();
    let mut out: Vec<OsString> = Vec::new();
    for id in FORWARDED {
        if m.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
            continue;
        }
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id() == id) else {
            continue;
        };
        let flag = match (arg.get_long(), arg.get_short()) {
            (Some(l), _) => format!("--{l}"),
            (None, Some(c)) => format!("-{c}"),
            (None, None) => continue,
        };
        match arg.get_action() {
            ArgAction::SetTrue => out.push(flag.into()),
            _ => {
                for v in m.get_raw(id).into_iter().flatten() {
                    out.push(flag.clone().into());
                    out.push(v.to_owned());
                }
            }
        }
    }
    if let Some(f) = filter {
        out.push("-f".into());
        out.push(f.into());
    }
    out
}

/// Which of the options `ids` (capture mode's ids) the command line `args` gives, each as its
/// flag (`-t`, `--all`): for commands built on capture mode that take some of its options off.
pub fn flags_given(args: &[OsString], ids: &[&str]) -> Result<Vec<String>, Exit> {
    let m = command().try_get_matches_from(normalize(args.iter().cloned()))?;
    let cmd = Args::command();
    let mut out = Vec::new();
    for &id in ids {
        if m.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
            continue;
        }
        let arg = cmd.get_arguments().find(|a| a.get_id() == id);
        out.push(match arg.map(|a| (a.get_long(), a.get_short())) {
            Some((_, Some(c))) => format!("-{c}"),
            Some((Some(l), None)) => format!("--{l}"),
            _ => id.to_string(),
        });
    }
    Ok(out)
}

/// The capture-mode command as clap knows it, its version naming the libpcap in use: what
/// parses the arguments, and what the man page and the completions are generated from.
pub fn command() -> clap::Command {
    let version = format!(
        "{}\n{}",
        env!("CARGO_PKG_VERSION"),
        crate::capture::libpcap::lib_version()
    );
    Args::command().version(version)
}

/// `nscap --host-root DIR list|exec|...`: a leading `--host-root` applies to every mode, so it
/// is taken off (and recorded) before the mode is chosen. Capture mode and `list` also accept
/// it among their own options.
pub fn take_host_root(mut args: Vec<OsString>) -> Result<Vec<OsString>, Exit> {
    let Some(first) = args.get(1).and_then(|a| a.to_str()) else {
        return Ok(args);
    };
    let (dir, taken) = if first == "--host-root" {
        match args.get(2) {
            Some(d) => (d.clone(), 2),
            None => return Err(Exit::Usage("--host-root needs a directory".into())),
        }
    } else if let Some(d) = first.strip_prefix("--host-root=") {
        (OsString::from(d), 1)
    } else {
        return Ok(args);
    };
    if dir.is_empty() {
        return Err(Exit::Usage("--host-root needs a directory".into()));
    }
    crate::privs::refuse("--host-root")?;
    crate::targets::runtime::set_host_root(PathBuf::from(dir));
    args.drain(1..1 + taken);
    Ok(args)
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
        // No target: nscap's own network namespace, the host's, as tcpdump captures there.
        (true, None) => Input::Live {
            targets: vec![crate::targets::HOST.to_string()],
        },
    };
    let is_file = matches!(input, Input::File(_));
    let remote = hosts(&a, is_file)?;
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
    let probe = probe_flags(&a.linktype, &a.tstamp_type, is_file)?;
    let listings = [a.list_interfaces, a.list_datalinks, a.list_tstamp_types];
    if listings.iter().filter(|&&l| l).count() > 1 {
        usage!("-D, -L and -J each list something and exit: give one of them");
    }
    if is_file && (a.list_datalinks || a.list_tstamp_types) {
        usage!("-L and -J list a target's interfaces' types: use them with -t, not -r");
    }
    let wanted = (!a.pids.is_empty() || !a.comms.is_empty()).then(|| crate::owner::Wanted {
        pids: a.pids.clone(),
        comms: a.comms.clone(),
        tree: a.pid_tree,
    });
    if a.pid_tree && a.pids.is_empty() {
        usage!("--pid-tree takes the descendants of --pid PID: give --pid");
    }
    if wanted.is_some() && is_file {
        usage!("--pid and --comm choose the processes of a live capture: use them with -t, not -r");
    }
    if a.pids.contains(&0) {
        usage!("--pid 0: no such process");
    }
    if let Some(c) = a.comms.iter().find(|c| c.is_empty() || c.len() > 15) {
        usage!("--comm '{c}': a command name as the kernel keeps it is 1 to 15 bytes (ps -o comm)");
    }
    let command = (!a.command.is_empty()).then(|| a.command.clone());
    if command.is_some() {
        if is_file || a.all || a.follow || a.targets.len() > 1 {
            usage!("-- COMMAND runs in one target's namespace: give one -t (or none, for the host), not -r, --all or --follow");
        }
        if wanted.is_some() {
            usage!(
                "-- COMMAND chooses the packets itself: --pid and --comm cannot be given with it"
            );
        }
        if a.user.is_some() {
            usage!("-- COMMAND is started after the capture opens: -Z would leave nscap no right to start it there");
        }
    }
    let process = a.process || wanted.is_some() || command.is_some();
    if a.process && is_file {
        usage!("--process names the processes of a live capture: use it with -t, not -r");
    }
    if process && a.format == Some(Format::Pcap) {
        usage!(
            "--process writes packet comments, which pcap files cannot hold: use --format pcapng"
        );
    }
    if a.count_only && !is_file {
        usage!("--count counts the packets of a file: use it with -r");
    }
    if a.count_only && (a.json || a.flows) {
        usage!("--count prints only the count: it cannot be used with --json or --flows");
    }
    let filter = match (a.filter_file, filter) {
        (Some(_), Some(_)) => {
            usage!("give the filter with -F FILE, -f or as trailing words: only one of them")
        }
        (Some(path), None) => filter_from_file(&path)?,
        (None, f) => f,
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
    if a.host_root.is_some() && is_file {
        usage!("--host-root applies to -t: -r reads a file");
    }
    if a.count == Some(0) {
        usage!("-c 0: count must be at least 1");
    }
    let long_args = LongArgs {
        file_size: a.file_size.as_deref(),
        file_count: a.file_count,
        rotate_seconds: a.rotate_seconds,
        postrotate: a.postrotate.as_ref(),
        ring_buffer: &a.ring_buffer,
        autostop: &a.autostop,
    };
    if a.remote_stream {
        if a.write.is_some() || a.print || a.json || a.flows || a.format.is_some() {
            usage!("--remote-stream writes pcapng to standard output: it takes no output options");
        }
        if is_file || remote.is_some() || !a.command.is_empty() || a.user.is_some() {
            usage!("--remote-stream is how nscap runs on a host for -H: a live capture only");
        }
    }
    let write = if a.remote_stream {
        Some(PathBuf::from("-"))
    } else {
        a.write.as_ref().map(PathBuf::from)
    };
    let long = long_capture(&long_args, write.as_deref(), is_file)?;
    let count = match (a.count, long.stop_packets) {
        (Some(c), Some(p)) => Some(c.min(p)),
        (c, p) => c.or(p),
    };
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
    let stamp = match (a.epoch, a.delta, a.date, a.since_first) {
        (false, false, false, false) => Stamp::Time,
        (true, false, false, false) => Stamp::Epoch,
        (false, true, false, false) => Stamp::Delta,
        (false, false, true, false) => Stamp::Date,
        (false, false, false, true) => Stamp::SinceFirst,
        _ => usage!("give one timestamp format: -tt, -ttt, -tttt or -ttttt"),
    };
    if a.nano && a.precision == Some(Precision::Micro) {
        usage!("--nano and --time-stamp-precision=micro contradict each other");
    }
    let show_iface = remote.is_some()
        || a.interfaces.len() > 1
        || a.interfaces.iter().any(|i| i == "any")
        || a.targets.len() > 1
        || a.all
        || a.follow
        || a.targets
            .iter()
            .any(|t| crate::targets::select::read_as_pattern(t));
    // A file being split is cut by its packets' own times, a live capture by the wall clock.
    let clock = if matches!(input, Input::File(_)) {
        Clock::Packet
    } else {
        Clock::Wall
    };
    Ok(Config {
        input,
        interfaces: a.interfaces,
        handle: HandleOptions {
            snaplen,
            promisc: !a.no_promisc,
            buffer_bytes,
            immediate: a.immediate,
            direction: a.direction,
            filter: filter.clone(),
            datalink: probe.0,
            tstamp_type: probe.1,
        },
        output: sink::Options {
            packet_buffered: a.packet_buffered || writes_stdout,
            write,
            // Packet comments exist in pcapng only; so do the names and statistics a remote
            // stream carries.
            format: a
                .format
                .or((process || a.remote_stream).then_some(Format::Pcapng)),
            rotation: long.plan,
            clock,
            filter,
            print,
            json: a.json,
            flows: a.flows,
        },
        print_opts: PrintOptions {
            stamp,
            nano: a.nano || a.precision == Some(Precision::Nano),
            show_iface,
            link_header: a.link_header,
            verbose: a.verbose,
            quick: a.quick,
            absolute_seq: a.absolute_seq,
            no_checksum: a.no_checksum,
            number: a.number,
            hex: a.hex,
            hex_ascii: a.hex_ascii,
            ascii: a.ascii,
        },
        all: a.all,
        follow: a.follow,
        list_interfaces: a.list_interfaces,
        list_datalinks: a.list_datalinks,
        list_tstamp_types: a.list_tstamp_types,
        count,
        count_only: a.count_only,
        process,
        wanted,
        command,
        host_root: a.host_root,
        stop_after: long.stop_after,
        user: a.user.clone(),
        remote,
        remote_stream: a.remote_stream,
    })
}

/// `-H` and `--hosts-file`: the hosts, checked, and how to reach them.
fn hosts(a: &Args, is_file: bool) -> Result<Option<crate::remote::Hosts>, Exit> {
    let Some(hosts) = a.remote.hosts()? else {
        return Ok(None);
    };
    if is_file {
        usage!("-H captures live on other hosts: it cannot be used with -r");
    }
    if !a.command.is_empty() {
        usage!("-- COMMAND runs here: it cannot be used with -H");
    }
    if a.list_datalinks || a.list_tstamp_types {
        usage!("-L and -J cannot be used with -H");
    }
    if a.format == Some(Format::Pcap) {
        usage!("-H writes pcapng: each interface is named by its host, which pcap cannot hold");
    }
    Ok(Some(hosts))
}

/// The long-capture options as given, apart from the rest of [`Args`].
struct LongArgs<'a> {
    file_size: Option<&'a str>,
    file_count: Option<u32>,
    rotate_seconds: Option<u64>,
    postrotate: Option<&'a OsString>,
    ring_buffer: &'a [String],
    autostop: &'a [String],
}

/// The long-capture options, validated.
struct Long {
    plan: Plan,
    stop_after: Option<Duration>,
    stop_packets: Option<u64>,
}

/// tcpdump's `-C`: millions of bytes, or KiB, MiB, GiB with a k, m or g suffix.
fn file_size(s: &str) -> Option<u64> {
    let (digits, unit) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1024),
        (i, 'm' | 'M') => (&s[..i], 1024 * 1024),
        (i, 'g' | 'G') => (&s[..i], 1024 * 1024 * 1024),
        _ => (s, 1_000_000),
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .and_then(|n| n.checked_mul(unit))
}

/// dumpcap's `KEY:VALUE`, its value a whole number above 0.
fn key_value<'a>(opt: &str, s: &'a str) -> Result<(&'a str, u64), Exit> {
    match s.split_once(':') {
        Some((k, v)) => match v.parse::<u64>() {
            Ok(n) if n > 0 => Ok((k, n)),
            _ => usage!("{opt} {s}: the value must be a whole number above 0"),
        },
        None => usage!("{opt} {s}: give KEY:VALUE"),
    }
}

fn long_capture(
    a: &LongArgs<'_>,
    write: Option<&std::path::Path>,
    is_file: bool,
) -> Result<Long, Exit> {
    let mut plan = Plan::default();
    let mut stop_after = None;
    let mut stop_packets = None;
    let tcpdump = a.file_size.is_some() || a.rotate_seconds.is_some();
    if let Some(s) = a.file_size {
        match file_size(s) {
            Some(b) => plan.file_bytes = Some(b),
            None => usage!("-C {s}: give a size above 0 in millions of bytes (or with k, m, g)"),
        }
    }
    if a.rotate_seconds == Some(0) {
        usage!("-G 0: give the rotation period in seconds, at least 1");
    }
    plan.file_secs = a.rotate_seconds;
    plan.strftime = a.rotate_seconds.is_some();
    match a.file_count {
        Some(0) => usage!("-W 0: give at least 1 file"),
        Some(_) if !tcpdump => usage!("-W needs -C or -G"),
        // tcpdump: with -G, -W stops after N files; with -C alone, it makes a ring; with both
        // it only sets the width of the file number.
        Some(n) => match (a.file_size.is_some(), a.rotate_seconds.is_some()) {
            (true, false) => plan.ring = Some(n),
            (false, true) => plan.max_files = Some(n),
            _ => plan.digits_for = Some(n),
        },
        None => {}
    }
    if a.postrotate.is_some() && !tcpdump {
        usage!("-z needs -C or -G");
    }
    plan.postrotate = a.postrotate.cloned();
    if !a.ring_buffer.is_empty() {
        if tcpdump {
            usage!("-b and -C/-G are two ways to rotate files: use one");
        }
        plan.naming = Naming::Dumpcap;
    }
    for b in a.ring_buffer {
        match key_value("-b", b)? {
            ("filesize", kb) => plan.file_bytes = Some(kb.saturating_mul(1000)),
            ("duration", s) => plan.file_secs = Some(s),
            ("packets", n) => plan.file_packets = Some(n),
            ("files", n) => plan.ring = Some(u32::try_from(n).unwrap_or(u32::MAX)),
            (k, _) => usage!("-b {k}: use filesize, duration, packets or files"),
        }
    }
    if !a.ring_buffer.is_empty() && !plan.rotates() {
        usage!("-b files needs a rotation condition: filesize, duration or packets");
    }
    for s in a.autostop {
        match key_value("-a", s)? {
            ("duration", secs) => stop_after = Some(Duration::from_secs(secs)),
            ("filesize", kb) => plan.stop_bytes = Some(kb.saturating_mul(1000)),
            ("packets", n) => stop_packets = Some(n),
            ("files", n) => plan.max_files = Some(u32::try_from(n).unwrap_or(u32::MAX)),
            (k, _) => usage!("-a {k}: use duration, filesize, packets or files"),
        }
    }
    let to_file = write.is_some_and(|w| w != std::path::Path::new("-"));
    let needs_file = plan.rotates() || plan.stop_bytes.is_some() || plan.max_files.is_some();
    if needs_file && !to_file {
        usage!("rotation, -a filesize and -a files need -w FILE (not standard output)");
    }
    if plan.max_files.is_some() && !plan.rotates() {
        usage!("-a files needs -b (or -G) to start new files");
    }
    if is_file && stop_after.is_some() {
        usage!("-a duration applies to a live capture, not to -r");
    }
    Ok(Long {
        plan,
        stop_after,
        stop_packets,
    })
}

/// `-y` and `-j` by name (or, for `-y`, number), checked against libpcap's tables now so that a
/// typo is a usage error, not a failure inside the target.
fn probe_flags(
    linktype: &Option<String>,
    tstamp: &Option<String>,
    is_file: bool,
) -> Result<(Option<i32>, Option<i32>), Exit> {
    if is_file && (linktype.is_some() || tstamp.is_some()) {
        usage!("-y and -j choose how live interfaces capture: use them with -t, not -r");
    }
    let dlt = match linktype {
        None => None,
        Some(t) => match t.parse::<i32>() {
            Ok(n) if n >= 0 => Some(n),
            _ => match pcap::Linktype::from_name(t) {
                Ok(l) => Some(l.0),
                Err(_) => usage!("-y {t}: invalid data link type (see -L for the interface's)"),
            },
        },
    };
    let ts = match tstamp {
        None => None,
        Some(t) => match crate::capture::libpcap::tstamp_type_of_name(t) {
            Some(v) => Some(v),
            None => usage!("-j {t}: invalid time stamp type (see -J for the interface's)"),
        },
    };
    Ok((dlt, ts))
}

/// The largest filter file `-F` takes: a BPF expression of a megabyte is already far beyond
/// what libpcap compiles.
const FILTER_MAX: u64 = 1 << 20;

/// tcpdump's `-F`: the whole file is the expression, `#` to the end of a line a comment.
fn filter_from_file(path: &std::path::Path) -> Result<Option<String>, Exit> {
    // tcpdump reads a regular file's size's worth; a FIFO or /dev/zero must not hang or
    // exhaust nscap.
    let bytes = crate::os::read_bounded(path, FILTER_MAX).map_err(|e| {
        Exit::Fail(anyhow::anyhow!(
            "cannot read filter file {}: {}",
            path.display(),
            crate::error::os_message(&e)
        ))
    })?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(Exit::Fail(anyhow::anyhow!(
            "filter file {} is not text",
            path.display()
        )));
    };
    let expr: Vec<&str> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect();
    Ok((!expr.is_empty()).then(|| expr.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(args: &[&str]) -> Result<Config, Exit> {
        let mut v = vec![OsString::from("nscap")];
        v.extend(args.iter().map(OsString::from));
        parse(v)
    }

    /// -H passes on what chooses and opens the captures, as given, and the filter; output,
    /// printing and stopping stay here.
    #[test]
    fn hosts_get_the_capture_options_only() {
        let c = cfg(&[
            "-H",
            "root@node1",
            "-H",
            "node2",
            "-t",
            "web",
            "-i",
            "eth0",
            "-s",
            "200",
            "-c",
            "5",
            "-p",
            "--pid",
            "7,8",
            "-vv",
            "-e",
            "-w",
            "out.pcapng",
            "-G",
            "60",
            "tcp",
            "port",
            "80",
        ])
        .unwrap();
        let r = c.remote.unwrap();
        assert_eq!(r.hosts, ["root@node1", "node2"]);
        assert_eq!(r.ssh, ["ssh"]);
        let args: Vec<&str> = r.args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "--target",
                "web",
                "--interface",
                "eth0",
                "-c",
                "5",
                "--snapshot-length",
                "200",
                "--no-promiscuous-mode",
                "--pid",
                "7",
                "--pid",
                "8",
                "-f",
                "tcp port 80"
            ]
        );
        assert!(c.print_opts.show_iface);
        assert_eq!(crate::remote::short_name("root@node1"), "node1");
    }

    #[test]
    fn hosts_refuse_what_cannot_work_over_ssh() {
        for args in [
            &["-H", "a", "-r", "f.pcap"][..],
            &["-H", "a", "-w", "f", "--", "curl", "x"],
            &["-H", "a", "-L"],
            &["-H", "a", "-w", "f", "--format", "pcap"],
            &["-H", "a", "-H", "root@a"],
            &["-H", "-x"],
            &["--ssh", "ssh -v", "-t", "1"],
            &["--strict"],
            &["--remote-stream", "-w", "f"],
            &["--remote-stream", "-H", "a"],
        ] {
            assert!(matches!(cfg(args), Err(Exit::Usage(_))), "{args:?}");
        }
        let c = cfg(&["--remote-stream", "-t", "1"]).unwrap();
        assert!(c.remote_stream && c.writes_stdout());
        assert_eq!(c.output.format, Some(Format::Pcapng));
        assert!(!c.output.print);
    }

    #[test]
    fn trailing_words_form_the_filter_and_options_may_follow() {
        let c = cfg(&["-t", "42", "tcp", "port", "80", "-c", "5"]).unwrap();
        assert_eq!(c.handle.filter.as_deref(), Some("tcp port 80"));
        assert_eq!(c.count, Some(5));
        assert_eq!(
            c.input,
            Input::Live {
                targets: vec!["42".into()]
            }
        );
        assert!(c.output.print);
    }

    #[test]
    fn stdout_output_is_packet_buffered() {
        let c = cfg(&["-t", "42", "-w", "-"]).unwrap();
        assert!(c.output.packet_buffered && c.writes_stdout() && !c.output.print);
        let c = cfg(&["-t", "42", "-w", "x.pcap"]).unwrap();
        assert!(!c.output.packet_buffered);
    }

    #[test]
    fn tcpdump_defaults() {
        let c = cfg(&["-t", "42", "-s", "0"]).unwrap();
        assert_eq!(c.handle.snaplen, DEFAULT_SNAPLEN);
        assert!(c.handle.promisc);
        let c = cfg(&["-t", "42", "-p", "-B", "4096", "-Q", "in"]).unwrap();
        assert!(!c.handle.promisc);
        assert_eq!(c.handle.buffer_bytes, Some(4096 * 1024));
        assert_eq!(c.handle.direction, Some(Direction::In));
    }

    #[test]
    fn double_t_means_epoch() {
        let c = cfg(&["-r", "x.pcap", "-tt"]).unwrap();
        assert_eq!(c.print_opts.stamp, Stamp::Epoch);
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
    fn no_target_is_the_host() {
        for args in [&[][..], &["-i", "eth0"], &["-D"]] {
            match cfg(args).map(|c| c.input) {
                Ok(Input::Live { targets }) => assert_eq!(targets, vec![crate::targets::HOST]),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn contradictions_are_usage_errors() {
        for args in [
            &["-t", "1", "-r", "x"][..],
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

    #[test]
    fn leading_host_root_needs_a_directory() {
        let v = |args: &[&str]| take_host_root(args.iter().map(OsString::from).collect());
        // Nothing to take: the arguments come back as they were (and nothing is recorded).
        let same = v(&["nscap", "-t", "x", "--host-root", "/h"]).unwrap();
        assert_eq!(same.len(), 5);
        assert!(matches!(v(&["nscap", "--host-root"]), Err(Exit::Usage(_))));
        assert!(matches!(v(&["nscap", "--host-root="]), Err(Exit::Usage(_))));
        assert!(matches!(
            v(&["nscap", "--host-root", ""]),
            Err(Exit::Usage(_))
        ));
    }

    #[test]
    fn host_root_is_kept_for_targets() {
        // validate, not parse: parse records the host root for the whole process.
        let v = |args: &[&str]| {
            let mut all = vec!["nscap"];
            all.extend(args);
            validate(Args::try_parse_from(all)?)
        };
        let c = v(&["--host-root", "/host", "-t", "web", "-D"]).unwrap();
        assert_eq!(c.host_root, Some(PathBuf::from("/host")));
        assert!(matches!(
            v(&["--host-root", "", "-t", "web"]),
            Err(Exit::Usage(_))
        ));
        assert!(matches!(
            v(&["--host-root", "/host", "-r", "x.pcap"]),
            Err(Exit::Usage(_))
        ));
    }
}
