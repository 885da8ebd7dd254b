//! Wireshark's extcap protocol: nscap adds one entry per interface of every network namespace
//! on the host to the interface list of Wireshark, tshark and dumpcap.
//!
//! Wireshark runs every program in its extcap folder with `--extcap-interfaces`, then
//! `--extcap-dlts` and `--extcap-config` per interface, `--extcap-capture-filter F` alone to
//! check a filter, and `--capture --fifo PATH` to capture; the program writes pcap or pcapng
//! into the FIFO until it is sent SIGTERM. An interface's value names a target that `-t`
//! understands and an interface in it (`nscap:container:ID:eth0`), so each later call finds it
//! again on its own; a capture is then an ordinary `nscap -t TARGET -i IFACE -w FIFO`.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use pcap::{Capture, Linktype};

use crate::error::{os_message, Exit};
use crate::netns;
use crate::targets::inventory::{self, Row};
use crate::targets::{self, Host, Roots, TargetSpec};

/// Every interface value starts so: Wireshark finds the program of an interface by it.
const PREFIX: &str = "nscap:";
const DEFAULT_SNAPLEN: u32 = 262_144;

/// True when Wireshark is calling: any `--extcap-*` option or `--capture`, which nscap's own
/// command line never has. Checked before the normal parsing, which would reject them.
pub fn wanted(args: &[OsString]) -> bool {
    args.iter().skip(1).any(|a| {
        let a = a.to_string_lossy();
        a.starts_with("--extcap-") || a == "--capture"
    })
}

/// What Wireshark asked for, from its arguments.
#[derive(Debug, Default, PartialEq, Eq)]
struct Call {
    interfaces: bool,
    dlts: bool,
    config: bool,
    capture: bool,
    interface: Option<String>,
    fifo: Option<PathBuf>,
    filter: Option<String>,
    snaplen: Option<u32>,
    no_promiscuous: bool,
    all_interfaces: bool,
}

fn parse(args: &[OsString]) -> Result<Call, Exit> {
    let mut c = Call::default();
    let mut it = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| Exit::usage(format!("extcap: {what} needs a value")))
        };
        match name.as_str() {
            "--extcap-interfaces" => c.interfaces = true,
            "--extcap-dlts" => c.dlts = true,
            "--extcap-config" => c.config = true,
            "--capture" => c.capture = true,
            "--extcap-interface" => c.interface = Some(value(&name)?),
            "--fifo" => c.fifo = Some(PathBuf::from(value(&name)?)),
            "--extcap-capture-filter" => c.filter = Some(value(&name)?),
            "--snaplen" => {
                let v = value(&name)?;
                c.snaplen =
                    Some(v.parse().map_err(|_| {
                        Exit::usage(format!("extcap: invalid snapshot length '{v}'"))
                    })?);
            }
            "--no-promiscuous" => c.no_promiscuous = true,
            "--all-interfaces" => c.all_interfaces = true,
            // Wireshark says which version it is, and where a control channel or a log would
            // go: nscap has no controls and logs nothing.
            "--extcap-version"
            | "--extcap-control-in"
            | "--extcap-control-out"
            | "--debug-file"
            | "--log-file"
            | "--log-level" => {
                value(&name)?;
            }
            "--debug" => {}
            _ => return Err(Exit::usage(format!("extcap: unknown argument '{arg}'"))),
        }
    }
    Ok(c)
}

/// `nscap:TARGET:IFACE` split; the interface is after the last colon (interface names never
/// hold one). The interface is listed escaped (`\ddd`, see [`crate::escape::name`]) and comes
/// back as the namespace names it.
fn split_value(value: &str) -> Result<(&str, String)> {
    let bad = || anyhow!("'{value}' is not an nscap interface (nscap:TARGET:IFACE)");
    let (target, iface) = value
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.rsplit_once(':'))
        .filter(|(t, i)| !t.is_empty() && !i.is_empty())
        .ok_or_else(bad)?;
    let raw = crate::escape::unname(iface).ok_or_else(bad)?;
    let iface = String::from_utf8(raw).map_err(|_| {
        anyhow!("interface '{iface}' in {target}: names that are not UTF-8 cannot be captured")
    })?;
    Ok((target, iface))
}

/// The target a row is found by again later: the most stable name it has. A container keeps
/// its ID across restarts (its namespace does not); the host is PID 1; a namespace with no
/// name and no container is known only by a process in it.
fn target_of(r: &Row) -> Option<String> {
    if r.host {
        return Some(match r.pids.first() {
            Some(1) | None => "pid:1".into(),
            // PID 1 is out of reach (a sandbox's init): the host's namespace is found by its
            // file through a process that is in it. `-t 2` would be refused, a kernel
            // thread being no target, and the entry would capture nothing.
            Some(p) => format!("/proc/{p}/ns/net"),
        });
    }
    if let Some(p) = &r.pod {
        if let (Some(ns), Some(name)) = (&p.namespace, &p.name) {
            return Some(format!("pod:{ns}/{name}"));
        }
    }
    if let Some(c) = &r.container {
        return Some(format!("container:{}", c.id));
    }
    if let Some(n) = r.names.first() {
        return Some(format!("netns:{n}"));
    }
    r.pids.first().map(|p| format!("pid:{p}"))
}

/// Who a row is, for people: `docker web`, `pod default/web`, `netns blue`, `host`,
/// `pid 4242 (nginx)`.
fn who(r: &Row) -> String {
    let esc = |s: &str| crate::escape::name(s.as_bytes());
    if r.host {
        return "host".into();
    }
    if let Some(p) = &r.pod {
        if let (Some(ns), Some(name)) = (&p.namespace, &p.name) {
            return format!("pod {}/{}", esc(ns), esc(name));
        }
    }
    if let Some(c) = &r.container {
        let name = c
            .name
            .as_deref()
            .map_or_else(|| crate::targets::host::short(&c.id).to_string(), esc);
        return format!("{} {name}", c.runtime.name());
    }
    if let Some(n) = r.names.first() {
        return format!("netns {}", esc(n));
    }
    match r.pids.first() {
        Some(p) => format!("pid {p}"),
        None => format!("net:[{}]", r.inode),
    }
}

/// [`who`], with a local process's command name: `pid 4242 (nginx)`. Only for this host's
/// rows: another host's PID means another process here.
fn who_here(r: &Row) -> String {
    let w = who(r);
    match (w.starts_with("pid "), r.pids.first()) {
        (true, Some(p)) => match std::fs::read_to_string(format!("/proc/{p}/comm")) {
            Ok(comm) => format!("{w} ({})", crate::escape::name(comm.trim_end().as_bytes())),
            Err(_) => w,
        },
        _ => w,
    }
}

/// Braces end an extcap field; a value or display holding one cannot be said.
fn sayable(s: &str) -> bool {
    !s.contains(['{', '}', '\n'])
}

/// The `interface` lines: one per interface of every namespace whose interfaces could be read.
fn interface_lines(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows {
        let Some(target) = target_of(r) else { continue };
        let who = who_here(r);
        for i in &r.interfaces {
            let value = format!("{PREFIX}{target}:{}", i.name);
            let display = format!("{who}: {}", i.name);
            if sayable(&value) && sayable(&display) {
                let _ = writeln!(out, "interface {{value={value}}}{{display={display}}}");
            }
        }
    }
    out
}

/// The hosts Wireshark lists besides this one: `~/.config/nscap/hosts` (`$XDG_CONFIG_HOME`),
/// in the format of `--hosts-file`; none when there is no such file.
fn hosts_config() -> Result<Option<crate::remote::Hosts>> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    let Some(path) = base.map(|b| b.join("nscap/hosts")) else {
        return Ok(None);
    };
    // No file, or one that names no host yet: only this host's interfaces.
    match crate::remote::HostsFile::read(&path) {
        Ok(f) if f.hosts.is_empty() => return Ok(None),
        Err(_) if !path.exists() => return Ok(None),
        _ => {}
    }
    let given = crate::remote::HostOptions {
        hosts_file: Some(path.clone()),
        ..Default::default()
    };
    given.hosts().map_err(|e| match e {
        Exit::Usage(m) => anyhow!("{}: {m}", path.display()),
        Exit::Fail(e) => e.context(path.display().to_string()),
        _ => anyhow!("{}: cannot be read", path.display()),
    })
}

/// A remote interface's value: `nscap:@HOST:TARGET:IFACE` (`nscap:@HOST:*:all` for every
/// container of the host); the host as the hosts file names it.
const ALL: &str = "*";

/// The `interface` lines of the configured hosts: each host's namespaces as `nscap list`
/// finds them there, `HOST: docker web: eth0`, and one entry per host for every container
/// (`--all --follow`). A host that does not answer is left out.
fn remote_interface_lines(hosts: &crate::remote::Hosts) -> String {
    let mut out = String::new();
    // Wireshark waits for this list as it starts: a host that cannot be reached must not hold
    // it up for long (the user's own ConnectTimeout, given first, wins).
    let mut quick = hosts.clone();
    quick
        .ssh
        .extend(["-o".to_string(), "ConnectTimeout=5".to_string()]);
    let Ok((rows, _)) = quietly(|| crate::remote::list(&quick, &[])).and_then(|r| r) else {
        return out;
    };
    let mut listed: Vec<&str> = Vec::new();
    for h in &hosts.hosts {
        let name = crate::remote::short_name(h);
        if !rows.iter().any(|(n, _)| n == name) || h.contains(':') {
            continue;
        }
        let value = format!("{PREFIX}@{h}:{ALL}:all");
        let display = format!("{name}: every container (--all --follow)");
        if sayable(&value) && sayable(&display) {
            let _ = writeln!(out, "interface {{value={value}}}{{display={display}}}");
        }
        listed.push(h);
    }
    for (name, r) in &rows {
        let Some(h) = listed
            .iter()
            .find(|h| crate::remote::short_name(h) == name.as_str())
        else {
            continue;
        };
        let Some(target) = target_of(r) else { continue };
        let who = who(r);
        for i in &r.interfaces {
            let value = format!("{PREFIX}@{h}:{target}:{}", i.name);
            let display = format!("{}: {who}: {}", crate::escape::text(name), i.name);
            if sayable(&value) && sayable(&display) {
                let _ = writeln!(out, "interface {{value={value}}}{{display={display}}}");
            }
        }
    }
    out
}

/// A remote interface's value split: the host (as configured) and the target; `None` for
/// this host's own interfaces.
fn remote_target(target: &str) -> Option<(&str, &str)> {
    target.strip_prefix('@')?.split_once(':')
}

fn config_lines() -> String {
    format!(
        "arg {{number=0}}{{call=--snaplen}}{{display=Snapshot length}}{{type=unsigned}}\
         {{range=1,{DEFAULT_SNAPLEN}}}{{default={DEFAULT_SNAPLEN}}}\
         {{tooltip=Bytes kept of each packet}}\n\
         arg {{number=1}}{{call=--no-promiscuous}}{{display=No promiscuous mode}}\
         {{type=boolflag}}{{default=false}}\
         {{tooltip=Capture only traffic to and from the interface itself}}\n\
         arg {{number=2}}{{call=--all-interfaces}}{{display=All interfaces of this namespace}}\
         {{type=boolflag}}{{default=false}}\
         {{tooltip=Capture on 'any' in the namespace: every interface, with Linux cooked headers}}\n"
    )
}

/// The link type of `iface` in `target`, as a live handle reports it there.
fn link_of(target: &str, iface: &str) -> Result<Linktype> {
    let t = targets::resolve(&TargetSpec::parse(target)?)?;
    let name = iface.to_string();
    let label = t.label.clone();
    netns::run(t.netns, t.label, move || {
        // Only an interface the namespace has (or `any`): libpcap also takes names of its own
        // devices (D-Bus, netfilter queues, USB), one of which starts a program.
        let ifs = crate::iface::list()?;
        let name =
            crate::capture::choose(std::slice::from_ref(&name), &ifs, &label)?[0].to_string();
        let cap = Capture::from_device(name.as_str())
            .and_then(|c| c.snaplen(64).buffer_size(64 * 1024).open())
            .map_err(|e| anyhow!("{name} in {label}: {e}"))?;
        Ok(cap.get_datalink())
    })
}

fn dlt_line(lt: Linktype) -> String {
    let name = lt.get_name().unwrap_or_else(|_| lt.0.to_string());
    let display = lt.get_description().unwrap_or_else(|_| name.clone());
    format!(
        "dlt {{number={}}}{{name={name}}}{{display={display}}}\n",
        crate::link::linktype_of_dlt(lt.0)
    )
}

/// Checks `filter` for the interface's link type: Wireshark colours its filter field by the
/// answer. Nothing printed means valid; a line on stdout is the complaint.
fn filter_check(target: &str, iface: &str, filter: &str) -> Result<String> {
    compiles(link_of(target, iface)?, filter)
}

/// Nothing when `filter` compiles for `lt`; else libpcap's complaint, as a line.
fn compiles(lt: Linktype, filter: &str) -> Result<String> {
    let dead = Capture::dead(lt).map_err(|e| anyhow!("cannot check the filter: {e}"))?;
    Ok(match dead.compile(filter, true) {
        Ok(_) => String::new(),
        Err(e) => format!("{e}\n"),
    })
}

/// `nscap -t TARGET -i IFACE -w FIFO --format pcapng -U ...` for a capture call: the ordinary
/// capture, so that the file is what `-w` writes.
fn capture_args(c: &Call, target: &str, iface: &str, fifo: &Path) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec![
        "nscap".into(),
        "-t".into(),
        target.into(),
        "-i".into(),
        if c.all_interfaces { "any" } else { iface }.into(),
        "-w".into(),
        fifo.as_os_str().to_owned(),
        "--format".into(),
        "pcapng".into(),
        // Wireshark shows packets as they come: each one is written through.
        "-U".into(),
    ];
    dialog_options(c, &mut a);
    a
}

/// What Wireshark's dialog set (`--extcap-config`), as nscap's options: `-s N`, `-p`, `-f F`.
fn dialog_options(c: &Call, a: &mut Vec<OsString>) {
    a.push("-s".into());
    a.push(c.snaplen.unwrap_or(DEFAULT_SNAPLEN).to_string().into());
    if c.no_promiscuous {
        a.push("-p".into());
    }
    if let Some(f) = c.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        a.push("-f".into());
        a.push(f.into());
    }
}

/// The capture call for a remote interface: `nscap -H HOST [--ssh …] -t TARGET -i IFACE …`
/// (`--all --follow` for every container), through the configured host's settings.
fn remote_capture_args(
    c: &Call,
    hosts: &crate::remote::Hosts,
    host: &str,
    target: &str,
    iface: &str,
    fifo: &Path,
) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec![
        "nscap".into(),
        "-H".into(),
        host.into(),
        "--ssh".into(),
        hosts.ssh.join(" ").into(),
        "--nscap-path".into(),
        hosts.nscap.clone().into(),
    ];
    for u in &hosts.upload {
        let mut arg = OsString::from("--upload=");
        if let Some(p) = u {
            arg.push(p);
        }
        a.push(arg);
    }
    if target == ALL {
        a.extend(["--all".into(), "--follow".into()]);
        if c.all_interfaces {
            a.extend(["-i".into(), "any".into()]);
        }
    } else {
        a.extend(["-t".into(), target.into(), "-i".into()]);
        a.push(if c.all_interfaces { "any" } else { iface }.into());
    }
    a.extend(["-w".into(), fifo.as_os_str().to_owned()]);
    dialog_options(c, &mut a);
    a
}

/// Runs `f` with standard error sent to /dev/null. Wireshark shows anything an extcap program
/// wrote there as an error when the capture closes, so the `listening on` line and the
/// statistics must not reach it; the error that ends a capture comes back from `f` and is
/// reported after standard error is restored.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T> {
    let saved: OwnedFd = io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .context("cannot save standard error")?;
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .context("cannot open /dev/null")?;
    nix::unistd::dup2_stderr(&null).map_err(|e| anyhow!("cannot redirect standard error: {e}"))?;
    let out = f();
    nix::unistd::dup2_stderr(&saved).map_err(|e| anyhow!("cannot restore standard error: {e}"))?;
    Ok(out)
}

/// A capture that failed before it opened the FIFO: the reader (dumpcap) may be blocked
/// opening its end, waiting for a writer that will never come. Opening and closing ours wakes
/// it with end of file, and it reports our stderr instead of waiting for ever. Non-blocking:
/// with no reader there, the open fails at once (ENXIO) and nothing is lost.
fn release(fifo: &Path) {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(fifo);
}

fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(anyhow!(
            "cannot write to standard output: {}",
            os_message(&e)
        )),
        _ => Ok(()),
    }
}

/// Answers one extcap call.
pub fn main(args: Vec<OsString>) -> Result<(), Exit> {
    let c = parse(&args)?;
    // Listing every namespace's interfaces reads the runtimes' state and /proc.
    crate::privs::raise()?;
    let value = c.interface.as_deref();
    let needs_interface =
        || value.ok_or_else(|| Exit::usage("extcap: --extcap-interface is missing"));
    if c.interfaces {
        let version = env!("CARGO_PKG_VERSION");
        let host = Host::load(&Roots::from_env());
        let mut text = format!("extcap {{version={version}}}\n");
        text.push_str(&interface_lines(&inventory::collect(&host)));
        // A hosts file that cannot be used costs its hosts' entries, not this host's; the
        // capture call of one of them says what is wrong with it.
        if let Ok(Some(hosts)) = hosts_config() {
            text.push_str(&remote_interface_lines(&hosts));
        }
        return Ok(write_stdout(&text)?);
    }
    if c.dlts {
        let (target, iface) = split_value(needs_interface()?)?;
        if remote_target(target).is_some() {
            // As sshdump says: the stream (pcapng) carries each interface's own link type.
            return Ok(write_stdout(
                "dlt {number=147}{name=nscap}{display=Remote capture dependent DLT}\n",
            )?);
        }
        return Ok(write_stdout(&dlt_line(link_of(target, &iface)?))?);
    }
    if c.config {
        needs_interface()?;
        return Ok(write_stdout(&config_lines())?);
    }
    if c.capture {
        let (target, iface) = split_value(needs_interface()?)?;
        let fifo = c
            .fifo
            .as_deref()
            .ok_or_else(|| Exit::usage("extcap: --capture needs --fifo"))?;
        let run = || -> Result<(), Exit> {
            let args = match remote_target(target) {
                Some((host, t)) => {
                    let hosts = hosts_config()?.ok_or_else(|| {
                        anyhow!("{host}: no hosts file (~/.config/nscap/hosts) names it")
                    })?;
                    if !hosts.hosts.iter().any(|h| h == host) {
                        return Err(Exit::Fail(anyhow!(
                            "{host}: not a host of ~/.config/nscap/hosts"
                        )));
                    }
                    remote_capture_args(&c, &hosts, host, t, &iface, fifo)
                }
                None => capture_args(&c, target, &iface, fifo),
            };
            let cfg = crate::cli::parse(args)?;
            let crate::cli::Input::Live { targets } = &cfg.input else {
                return Err(Exit::Fail(anyhow!("extcap: not a live capture")));
            };
            if cfg.remote.is_some() {
                quietly(|| crate::remote::run(&cfg))??;
            } else {
                quietly(|| crate::cmd::capture::run(&cfg, targets))??;
            }
            Ok(())
        };
        let out = run();
        if out.is_err() {
            release(fifo);
        }
        return out;
    }
    if let Some(filter) = &c.filter {
        let (target, iface) = split_value(needs_interface()?)?;
        if remote_target(target).is_some() {
            // The link type is the host's to know: checked as for Ethernet, what container
            // interfaces are (a filter for another link type is checked when it starts).
            return Ok(write_stdout(&compiles(Linktype::ETHERNET, filter)?)?);
        }
        return Ok(write_stdout(&filter_check(target, &iface, filter)?)?);
    }
    Err(Exit::usage(
        "extcap: nothing asked: give --extcap-interfaces, --extcap-dlts, --extcap-config or --capture",
    ))
}

/// Where Wireshark looks for extcap programs, from `tshark -G folders`: the personal folder
/// when this Wireshark has one (4.2 and later), else the global one.
fn wireshark_folder(global: bool) -> Result<PathBuf> {
    let out = std::process::Command::new("tshark")
        .args(["-G", "folders"])
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            anyhow!(
                "cannot run tshark to find Wireshark's extcap folder ({}); give --dir",
                os_message(&e)
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let folder = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| PathBuf::from(v.trim()))
    };
    let personal = if global {
        None
    } else {
        folder("Personal Extcap path")
    };
    personal
        .or_else(|| folder("Extcap path").or_else(|| folder("Global Extcap path")))
        .ok_or_else(|| anyhow!("tshark -G folders names no extcap folder; give --dir"))
}

/// `nscap extcap install [--global] [--dir DIR]`: a link named `nscap` to this binary in
/// Wireshark's extcap folder.
#[derive(clap::Parser, Debug)]
#[command(
    name = "nscap extcap",
    bin_name = "nscap extcap",
    arg_required_else_help = false,
    about = "Make nscap one of Wireshark's extcap programs: every network namespace's interfaces in Wireshark's interface list."
)]
struct InstallArgs {
    #[command(subcommand)]
    command: InstallCommand,
}

#[derive(clap::Subcommand, Debug)]
enum InstallCommand {
    /// Link nscap into Wireshark's extcap folder: the personal one (Wireshark 4.2 and later),
    /// else the global one, as `tshark -G folders` names them.
    Install {
        /// Into the global extcap folder, for every user.
        #[arg(long, conflicts_with = "dir")]
        global: bool,
        /// Into DIR instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// For users who are not root, as Wireshark's dumpcap: a copy of nscap in
        /// --privileged-dir that only root and GROUP may run, with the capabilities capture
        /// needs and nothing else; linked into the global extcap folder (or --dir). Run as root.
        #[arg(long)]
        privileged: bool,
        /// The group whose members may capture (with --privileged). Created when it is
        /// `wireshark` and missing.
        #[arg(
            long,
            value_name = "GROUP",
            default_value = "wireshark",
            requires = "privileged"
        )]
        group: String,
        /// Where the privileged copy goes.
        #[arg(
            long,
            value_name = "DIR",
            default_value = "/usr/local/lib/nscap",
            requires = "privileged"
        )]
        privileged_dir: PathBuf,
        /// Undo --privileged: remove the copy and its link.
        #[arg(long, requires = "privileged")]
        uninstall: bool,
    },
}

/// The `extcap` subcommand as clap knows it (for the man page and completions).
pub fn command() -> clap::Command {
    <InstallArgs as clap::CommandFactory>::command()
}

/// `nscap extcap install [--global] [--dir DIR]`; `args` from the word after `extcap`.
pub fn install(args: &[OsString]) -> Result<(), Exit> {
    let mut all = vec![OsString::from("nscap extcap")];
    all.extend_from_slice(args);
    let a = <InstallArgs as clap::Parser>::try_parse_from(all)?;
    let InstallCommand::Install {
        global,
        dir,
        privileged,
        group,
        privileged_dir,
        uninstall,
    } = a.command;
    // What is installed is files of the user's (or root's): no capability of a privileged
    // copy takes part.
    crate::privs::drop_all()?;
    let dir = match dir {
        Some(d) => d,
        None => wireshark_folder(global || privileged)?,
    };
    if privileged {
        return Ok(privileged_install(
            &dir,
            &group,
            &privileged_dir,
            uninstall,
        )?);
    }
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| anyhow!("cannot find nscap's own binary: {}", os_message(&e)))?;
    Ok(link_into(&dir, &exe)?)
}

/// `security.capability` for a file: VFS_CAP_REVISION_2 with the effective bit, `caps`
/// permitted, nothing inheritable (linux/capability.h, struct vfs_cap_data).
fn file_capabilities(caps: u64) -> [u8; 20] {
    const VFS_CAP_REVISION_2: u32 = 0x0200_0000;
    const VFS_CAP_FLAGS_EFFECTIVE: u32 = 0x1;
    let mut v = [0u8; 20];
    v[0..4].copy_from_slice(&(VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE).to_le_bytes());
    v[4..8].copy_from_slice(&(caps as u32).to_le_bytes());
    v[12..16].copy_from_slice(&((caps >> 32) as u32).to_le_bytes());
    v
}

/// The group `name`'s id; `wireshark` is created (a system group) when missing, as Debian's
/// wireshark-common creates it for dumpcap.
fn capture_group(name: &str) -> Result<nix::unistd::Gid> {
    let find = || {
        nix::unistd::Group::from_name(name)
            .ok()
            .flatten()
            .map(|g| g.gid)
    };
    if let Some(gid) = find() {
        return Ok(gid);
    }
    if name != "wireshark" {
        bail!(
            "no group '{}': create it, or leave --group out for wireshark",
            crate::escape::text(name)
        );
    }
    let made = std::process::Command::new("groupadd")
        .args(["--system", name])
        .status()
        .map_err(|e| anyhow!("cannot run groupadd: {}", os_message(&e)))?;
    match find() {
        Some(gid) if made.success() => Ok(gid),
        _ => bail!("groupadd --system {name} failed"),
    }
}

/// `--privileged`: the copy, its owner, mode and capabilities, and its link in `extcap`.
fn privileged_install(extcap: &Path, group: &str, dir: &Path, uninstall: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let copy = dir.join("nscap");
    if uninstall {
        let link = extcap.join("nscap");
        if std::fs::read_link(&link).is_ok_and(|t| t == copy) {
            std::fs::remove_file(&link)
                .map_err(|e| anyhow!("cannot remove {}: {}", link.display(), os_message(&e)))?;
        }
        match std::fs::remove_file(&copy) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => bail!("cannot remove {}: {}", copy.display(), os_message(&e)),
        }
        return write_stdout(&format!("removed {} and its link\n", copy.display()));
    }
    if !nix::unistd::geteuid().is_root() {
        bail!("--privileged installs a binary with capabilities: run it as root");
    }
    let gid = capture_group(group)?;
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| anyhow!("cannot find nscap's own binary: {}", os_message(&e)))?;
    let fail = |what: &str, p: &Path, e: std::io::Error| {
        anyhow!("cannot {what} {}: {}", p.display(), os_message(&e))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail("create", dir, e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| fail("set the mode of", dir, e))?;
    // Made aside and renamed into place: a running copy is never written over, and the copy
    // is never executable by others, not even for a moment.
    let part = dir.join(".nscap.new");
    let _ = std::fs::remove_file(&part);
    std::fs::copy(&exe, &part).map_err(|e| fail("copy nscap to", &part, e))?;
    std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| fail("set the mode of", &part, e))?;
    nix::unistd::chown(&part, Some(nix::unistd::Uid::from_raw(0)), Some(gid))
        .map_err(|e| fail("change the owner of", &part, e.into()))?;
    std::fs::set_permissions(&part, std::fs::Permissions::from_mode(0o750))
        .map_err(|e| fail("set the mode of", &part, e))?;
    // After chown, which clears a file's capabilities.
    let value = file_capabilities(crate::privs::CAPTURE_CAPS);
    let path = std::ffi::CString::new(part.as_os_str().as_encoded_bytes())
        .map_err(|_| anyhow!("{} has a NUL byte", part.display()))?;
    // SAFETY: setxattr(2) of a NUL-terminated path and name, with a 20-byte value.
    let r = unsafe {
        libc::setxattr(
            path.as_ptr(),
            c"security.capability".as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        let _ = std::fs::remove_file(&part);
        bail!(
            "cannot give {} its capabilities: {}",
            part.display(),
            os_message(&e)
        );
    }
    std::fs::rename(&part, &copy).map_err(|e| fail("move the copy to", &copy, e))?;
    write_stdout(&format!(
        "{} (root:{group}, 0750, cap_dac_read_search,cap_net_admin,cap_net_raw,cap_sys_ptrace,cap_sys_admin=ep)\n",
        copy.display()
    ))?;
    link_into(extcap, &copy)
}

fn link_into(dir: &Path, exe: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow!("cannot create {}: {}", dir.display(), os_message(&e)))?;
    let link = dir.join("nscap");
    match std::fs::symlink_metadata(&link) {
        // An older link of ours is replaced; anything else there is not ours to remove.
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link)
            .map_err(|e| anyhow!("cannot replace {}: {}", link.display(), os_message(&e)))?,
        Ok(_) => bail!("{} exists and is not a link: not replaced", link.display()),
        Err(_) => {}
    }
    std::os::unix::fs::symlink(exe, &link)
        .map_err(|e| anyhow!("cannot create {}: {}", link.display(), os_message(&e)))?;
    write_stdout(&format!("{} -> {}\n", link.display(), exe.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::cgroup::Runtime;
    use crate::targets::inventory::{ContainerRef, IfaceRow, PodRef};

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    fn row(inode: u64) -> Row {
        Row {
            interfaces: vec![IfaceRow {
                name: "eth0".into(),
                index: 2,
                up: true,
                addresses: vec![],
            }],
            ..Row::new(inode)
        }
    }

    #[test]
    fn wireshark_calls_are_recognised() {
        assert!(wanted(&os(&["nscap", "--extcap-interfaces"])));
        assert!(wanted(&os(&["x", "--capture", "--fifo", "/f"])));
        assert!(!wanted(&os(&["nscap", "-t", "1", "tcp"])));
        assert!(!wanted(&os(&["nscap", "list"])));
    }

    #[test]
    fn arguments_in_both_forms() {
        let c = parse(&os(&[
            "nscap",
            "--capture",
            "--extcap-interface=nscap:pid:1:eth0",
            "--fifo",
            "/tmp/f",
            "--extcap-capture-filter",
            "icmp",
            "--snaplen",
            "96",
            "--no-promiscuous",
            "--extcap-version=4.0",
        ]))
        .unwrap();
        assert!(c.capture && c.no_promiscuous && !c.all_interfaces);
        assert_eq!(c.interface.as_deref(), Some("nscap:pid:1:eth0"));
        assert_eq!(c.fifo.as_deref(), Some(Path::new("/tmp/f")));
        assert_eq!((c.filter.as_deref(), c.snaplen), (Some("icmp"), Some(96)));
        assert!(parse(&os(&["nscap", "--bogus"])).is_err());
        assert!(parse(&os(&["nscap", "--snaplen", "x"])).is_err());
        assert!(parse(&os(&["nscap", "--fifo"])).is_err());
    }

    /// The host's entries name PID 1, or where that is out of reach, the namespace file of
    /// a process in it: never `pid:2`, which `-t` refuses as a kernel thread.
    #[test]
    fn the_host_is_not_found_by_a_kernel_thread() {
        let mut host = row(1);
        host.host = true;
        host.pids = vec![1, 2, 40];
        assert_eq!(target_of(&host).as_deref(), Some("pid:1"));
        host.pids = vec![2, 40];
        assert_eq!(target_of(&host).as_deref(), Some("/proc/2/ns/net"));
        let value = format!("{PREFIX}/proc/2/ns/net:eth0");
        let (t, i) = split_value(&value).unwrap();
        assert_eq!((t, i.as_str()), ("/proc/2/ns/net", "eth0"));
    }

    #[test]
    fn values_split_at_the_last_colon() {
        assert_eq!(
            split_value("nscap:pod:default/web:eth0").unwrap(),
            ("pod:default/web", "eth0".to_string())
        );
        assert_eq!(
            split_value("nscap:container:3f2a:lo").unwrap(),
            ("container:3f2a", "lo".to_string())
        );
        // Listed escaped, captured as the namespace names it.
        assert_eq!(
            split_value("nscap:netns:x:a\\092b\\195\\169").unwrap(),
            ("netns:x", "a\\b\u{e9}".to_string())
        );
        assert!(split_value("nscap:netns:x:a\\9").is_err());
        assert!(split_value("eth0").is_err());
        assert!(split_value("nscap:pid:1:").is_err());
    }

    #[test]
    fn entries_name_the_container_pod_or_netns() {
        let mut host = row(1);
        host.host = true;
        host.pids = vec![1, 2];
        let mut pod = row(2);
        pod.pids = vec![40];
        pod.container = Some(ContainerRef {
            runtime: Runtime::Containerd,
            id: "ab".repeat(32),
            name: None,
        });
        pod.pod = Some(PodRef {
            namespace: Some("default".into()),
            name: Some("web".into()),
            uid: "u".into(),
        });
        let mut docker = row(3);
        docker.pids = vec![50];
        docker.container = Some(ContainerRef {
            runtime: Runtime::Docker,
            id: "cd".repeat(32),
            name: Some("db".into()),
        });
        let mut named = row(4);
        named.names = vec!["blue".into()];
        let mut braces = row(5);
        braces.names = vec!["a{b}".into()];
        let mut broken = row(6);
        broken.names = vec!["gone".into()];
        broken.interfaces.clear();
        let text = interface_lines(&[host, pod, docker, named, braces, broken]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "interface {value=nscap:pid:1:eth0}{display=host: eth0}".to_string(),
                "interface {value=nscap:pod:default/web:eth0}{display=pod default/web: eth0}"
                    .to_string(),
                format!(
                    "interface {{value=nscap:container:{}:eth0}}{{display=docker db: eth0}}",
                    "cd".repeat(32)
                ),
                "interface {value=nscap:netns:blue:eth0}{display=netns blue: eth0}".to_string(),
            ]
        );
    }

    #[test]
    fn a_capture_is_an_ordinary_nscap_command_line() {
        let c = Call {
            capture: true,
            filter: Some("icmp".into()),
            all_interfaces: true,
            no_promiscuous: true,
            ..Call::default()
        };
        let a = capture_args(&c, "netns:blue", "eth0", Path::new("/tmp/f"));
        let words: Vec<String> = a.iter().map(|w| w.to_string_lossy().into_owned()).collect();
        assert_eq!(
            words.join(" "),
            "nscap -t netns:blue -i any -w /tmp/f --format pcapng -U -s 262144 -p -f icmp"
        );
        let cfg = crate::cli::parse(a).unwrap();
        assert_eq!(cfg.handle.filter.as_deref(), Some("icmp"));
        assert!(!cfg.handle.promisc);
    }
}
