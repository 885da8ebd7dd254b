//! `-H HOST`: nscap run on other hosts over ssh, their streams merged here into one capture.
//!
//! Each host runs `ssh [USER@]HOST nscap --remote-stream OPTIONS`, with the targets,
//! interfaces, filter and capture options of this command line ([`Hosts::args`]). The remote
//! nscap writes pcapng to its standard output, its interfaces named `NAME/IFACE`, and ends
//! cleanly when its standard input ends, writing its kernel counters in statistics blocks.
//! Here, one thread per host reads its stream ([`stream`]); the streams, each in time order
//! already, are merged by [`crate::order::Order::for_streams`] and go to the same sinks as a
//! local capture, each interface named `HOST/NAME/IFACE` with the host in its description.
//!
//! Nothing listens on a port of nscap's own: ssh is the user's, with their keys and
//! `~/.ssh/config`, in batch mode (no prompt reads the capture's terminal). ssh runs in a
//! process group of its own, so a Ctrl-C reaches this nscap only; the stop is then passed on by
//! closing each ssh's standard input, and each host's last packets and counters still arrive.
//! Whatever ends this nscap (even SIGKILL) closes those pipes: the remote nscap sees the end of
//! its input, or its output closed, and ends too. No nscap is left behind on any host.

mod stream;
mod upload;

pub use upload::Upload;

use std::ffi::OsString;
use std::io::{self, BufRead, Read};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::Config;
use crate::error::os_message;
use crate::order::Order;
use crate::packet::{Batch, Counters, Interface, Kernel, Owner};
use crate::sink::{self, BoxSink, Format};
use crate::stop::{self, Signals};
use crate::targets::inventory::Row;

/// How the hosts are reached, and what each is asked to capture.
#[derive(Debug, Clone)]
pub struct Hosts {
    /// As given to `-H` (and read from `--hosts-file`): `[USER@]HOST`.
    pub hosts: Vec<String>,
    /// `--ssh`: the ssh command and its own options.
    pub ssh: Vec<String>,
    /// `--nscap-path`: shell text that runs nscap on a host.
    pub nscap: String,
    /// `--strict`: one host failing ends the capture.
    pub strict: bool,
    /// The options passed on to every host's nscap.
    pub args: Vec<OsString>,
    /// `--upload[=FILE]`, each: send a static nscap (this one: `None`, or FILE) rather than
    /// use the hosts'; several, one per machine kind.
    pub upload: Vec<Option<std::path::PathBuf>>,
    /// The upload, read and checked (see [`Hosts::prepared`]).
    pub ready: Option<Upload>,
    /// Hosts reached by another command than ssh (`kubectl exec` into a node-debug pod): per
    /// host, the words that run a program there, before `sh -c SCRIPT`. Always with an upload.
    pub exec: Option<Vec<Vec<OsString>>>,
    /// Per host, options for its nscap after the common ones (its own targets).
    pub host_args: Vec<Vec<OsString>>,
}

impl Hosts {
    /// With `--upload`, the binary read and checked once for every host.
    pub(crate) fn prepared(&self) -> Result<Hosts> {
        let mut h = self.clone();
        if !self.upload.is_empty() && self.ready.is_none() {
            h.ready = Some(Upload::prepare(&self.upload)?);
        }
        Ok(h)
    }
}

/// `-H` and the options that go with it, as capture mode and `list` both take them.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct HostOptions {
    /// Run on HOST instead of here, through `ssh [USER@]HOST nscap …` with the same targets,
    /// interfaces, filter and capture options (repeatable): every host's packets are merged
    /// here in time order, its interfaces named HOST/NAME/IFACE.
    #[arg(short = 'H', long = "host", value_name = "[USER@]HOST", action = clap::ArgAction::Append)]
    pub hosts: Vec<String>,

    /// Read more hosts for -H from FILE, one per line (`#` starts a comment; `ssh = …`,
    /// `nscap-path = …`, `upload = [FILE]` set those options).
    #[arg(long = "hosts-file", value_name = "FILE")]
    pub hosts_file: Option<std::path::PathBuf>,

    /// With -H: the ssh command to run, words split at spaces (default `ssh`; e.g.
    /// "ssh -F ./ssh_config -o ConnectTimeout=5"). nscap adds `-o BatchMode=yes -T`.
    #[arg(long = "ssh", value_name = "COMMAND")]
    pub ssh: Option<String>,

    /// With -H: the command that runs nscap on the hosts (default `nscap`, found on their PATH).
    #[arg(long = "nscap-path", value_name = "PATH")]
    pub nscap_path: Option<String>,

    /// With -H: send a static nscap (this one, or FILE) to each host over its ssh channel and
    /// run that, from a private temporary directory removed at the end. Repeat it with one
    /// build per machine kind (x86_64, aarch64): each host gets the one for its `uname -m`.
    // Taken as OsString: clap's path parser refuses the empty value a bare --upload gives.
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "", action = clap::ArgAction::Append, value_parser = clap::builder::OsStringValueParser::new())]
    pub upload: Vec<OsString>,

    /// With -H: any host that fails ends it, with status 1 (by default the others go on).
    #[arg(long)]
    pub strict: bool,
}

/// A hosts file (`--hosts-file`, and `~/.config/nscap/hosts` for Wireshark): one `[USER@]HOST`
/// per line, `#` to the end of a line is a comment, and settings as `KEY = VALUE` lines:
/// `ssh`, `nscap-path`, `upload` (a FILE, or nothing for this nscap). Options on the command
/// line win over the file's.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HostsFile {
    pub hosts: Vec<String>,
    pub ssh: Option<String>,
    pub nscap_path: Option<String>,
    /// `upload =` lines: FILE, or empty for this nscap.
    pub upload: Vec<std::path::PathBuf>,
}

impl HostsFile {
    pub fn parse(text: &str) -> Result<HostsFile, String> {
        let mut f = HostsFile::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                f.hosts.push(line.to_string());
                continue;
            };
            let value = value.trim().to_string();
            match key.trim() {
                "ssh" => f.ssh = Some(value),
                "nscap-path" => f.nscap_path = Some(value),
                "upload" => f.upload.push(value.into()),
                k => {
                    return Err(format!(
                        "line {}: unknown setting '{}' (there are ssh, nscap-path, upload)",
                        n + 1,
                        crate::escape::text(k)
                    ))
                }
            }
        }
        Ok(f)
    }

    pub fn read(path: &std::path::Path) -> Result<HostsFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| os_message(&e))?;
        Self::parse(&text)
    }
}

impl HostOptions {
    /// The hosts, checked, and how to reach them; `None` when no host is given.
    pub fn hosts(&self) -> Result<Option<Hosts>, crate::error::Exit> {
        use crate::error::Exit;
        let usage = |m: String| Err(Exit::Usage(m));
        let mut hosts = self.hosts.clone();
        let mut file = HostsFile::default();
        if let Some(path) = &self.hosts_file {
            file = match HostsFile::read(path) {
                Ok(f) => f,
                Err(e) => return usage(format!("--hosts-file {}: {e}", path.display())),
            };
            if file.hosts.is_empty() {
                return usage(format!("--hosts-file {}: no host in it", path.display()));
            }
            hosts.append(&mut file.hosts);
        }
        if hosts.is_empty() {
            if self.ssh.is_some()
                || self.nscap_path.is_some()
                || self.strict
                || !self.upload.is_empty()
            {
                return usage("--ssh, --nscap-path, --upload and --strict apply to -H HOST".into());
            }
            return Ok(None);
        }
        if let Some(h) = hosts.iter().find(|h| {
            h.is_empty()
                || h.starts_with('-')
                || h.contains(['{', '}', '/'])
                || h.chars().any(|c| c.is_whitespace() || c.is_control())
        }) {
            return usage(format!(
                "-H '{}': give a host as [USER@]HOST",
                crate::escape::text(h)
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(h) = hosts.iter().find(|h| !seen.insert(short_name(h))) {
            return usage(format!(
                "-H {}: that host is given twice",
                crate::escape::text(h)
            ));
        }
        let ssh: Vec<String> = self
            .ssh
            .as_deref()
            .or(file.ssh.as_deref())
            .unwrap_or("ssh")
            .split_whitespace()
            .map(String::from)
            .collect();
        if ssh.is_empty() {
            return usage("--ssh: give the ssh command".into());
        }
        // The command line's builds replace the file's.
        let from: Vec<std::path::PathBuf> = if self.upload.is_empty() {
            file.upload.clone()
        } else {
            self.upload.iter().map(std::path::PathBuf::from).collect()
        };
        let upload = from
            .into_iter()
            .map(|p| (!p.as_os_str().is_empty()).then_some(p))
            .collect();
        Ok(Some(Hosts {
            hosts,
            ssh,
            nscap: self
                .nscap_path
                .as_deref()
                .or(file.nscap_path.as_deref())
                .unwrap_or("nscap")
                .to_string(),
            strict: self.strict,
            args: Vec::new(),
            upload,
            ready: None,
            exec: None,
            host_args: Vec::new(),
        }))
    }
}

/// A host as interfaces and lines name it: `HOST` of `[USER@]HOST`.
pub fn short_name(host: &str) -> &str {
    host.rsplit_once('@').map_or(host, |(_, h)| h)
}

/// How long the hosts get to send their last packets and counters once asked to stop, before
/// their ssh is ended.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// How often the loop looks at signals, clocks and held packets when no stream speaks.
const TICK: Duration = Duration::from_millis(50);

/// How long "listening" waits for every host before it names those not there yet.
const ANNOUNCE_WAIT: Duration = Duration::from_secs(3);

/// How often buffered output is written out, whatever its size (as a local capture).
const SYNC_EVERY: Duration = Duration::from_millis(500);

/// What a host's threads tell the loop.
enum Msg {
    /// The stream began (its section header arrived): the remote nscap has its captures open.
    Started {
        host: usize,
        application: Option<String>,
    },
    /// Interfaces the stream declared, in its own numbering after those before.
    Interfaces { host: usize, added: Vec<Interface> },
    /// Packets of one interface (the stream's number), with their processes (`--process`).
    Packets {
        host: usize,
        batch: Batch,
        owners: Option<Vec<Option<Arc<Owner>>>>,
    },
    /// The stream ended: cleanly, or how it broke; and the kernel's counters it gave.
    Ended {
        host: usize,
        broke: Option<String>,
        kernel: Vec<Option<Kernel>>,
    },
    /// A line the host's nscap or ssh wrote on standard error.
    Said { host: usize, line: String },
    /// Its standard error ended.
    Quiet { host: usize },
}

/// One host's ssh and what is known of its stream.
struct Host {
    short: String,
    /// What reaches it, in words: `ssh`, `kubectl`.
    via: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    /// The stream's interface numbers → the capture's.
    map: Vec<usize>,
    started: bool,
    ended: bool,
    /// Why the host failed, once it did.
    failed: Option<String>,
    /// The last line it said on standard error.
    said: Option<String>,
    /// Its standard error ended.
    quiet: bool,
    /// Its stream ended (how it broke, if it did), when; and the kernel's counters it gave.
    out_ended: Option<(Option<String>, Instant)>,
    /// It did not stop in time, and its ssh was ended.
    forced: bool,
}

impl Host {
    /// Asks the host's nscap to stop: the end of its standard input.
    fn ask_to_stop(&mut self) {
        self.stdin = None;
    }

    /// Collects ssh's status: it ends by itself once its stream has (`force` false), or is
    /// ended, with its process group (a ProxyCommand too): SIGTERM, then SIGKILL.
    fn end_ssh(&mut self, force: bool) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        let pgid = nix::unistd::Pid::from_raw(-(child.id() as i32));
        let mut wait = |d: Duration| {
            let deadline = Instant::now() + d;
            loop {
                match child.try_wait() {
                    Ok(Some(st)) => return Some(Some(st)),
                    Err(_) => return Some(None),
                    Ok(None) if Instant::now() >= deadline => return None,
                    Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        };
        let mut st = if force {
            None
        } else {
            wait(Duration::from_secs(2))
        };
        if st.is_none() {
            let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGTERM);
            st = wait(Duration::from_secs(2));
        }
        if st.is_none() {
            let _ = nix::sys::signal::kill(pgid, nix::sys::signal::Signal::SIGKILL);
            st = Some(child.wait().ok());
        }
        self.child = None;
        st.flatten()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stdin = None;
        if self.child.is_some() {
            self.end_ssh(true);
        }
    }
}

/// The command that runs nscap with `remote` (and the host's own options) on host `i`: over
/// ssh, its arguments quoted as shell words; or through the host's exec command.
fn channel_command(hosts: &Hosts, i: usize, remote: &[OsString]) -> Command {
    let mut args: Vec<u8> = Vec::new();
    let own = hosts.host_args.get(i).map_or(&[][..], Vec::as_slice);
    for a in remote.iter().chain(own) {
        args.push(b' ');
        args.extend(sh_word(a.as_encoded_bytes()));
    }
    if let Some(exec) = &hosts.exec {
        // Through the exec command: the upload's script, or the host's nscap, run by sh.
        let script = match &hosts.ready {
            Some(u) => u.script(&args),
            None => [hosts.nscap.as_bytes(), &args].concat(),
        };
        let words = &exec[i];
        let mut c = Command::new(&words[0]);
        c.args(&words[1..])
            .args(["sh", "-c"])
            .arg(std::ffi::OsStr::from_bytes(&script));
        return c;
    }
    let host = hosts.hosts[i].as_str();
    let line: Vec<u8> = match &hosts.ready {
        Some(u) => u.command(&args),
        None => [hosts.nscap.as_bytes(), &args].concat(),
    };
    let mut c = Command::new(&hosts.ssh[0]);
    c.args(&hosts.ssh[1..])
        // The user's own options come first and win; these only keep ssh from prompting and
        // from giving the stream a terminal.
        .args(["-o", "BatchMode=yes", "-T", "--", host])
        .arg(std::ffi::OsStr::from_bytes(&line));
    c
}

/// `a` as one word for the host's shell, which sshd runs the command with: POSIX sh's
/// single quotes, which keep every byte but `'` as it is (dash, the usual `/bin/sh`, has no
/// `$'…'`).
pub(crate) fn sh_word(a: &[u8]) -> Vec<u8> {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+:,./-".contains(b);
    if !a.is_empty() && a.iter().all(plain) {
        return a.to_vec();
    }
    let mut w = vec![b'\''];
    for &b in a {
        if b == b'\'' {
            w.extend_from_slice(b"'\\''");
        } else {
            w.push(b);
        }
    }
    w.push(b'\'');
    w
}

/// The program that reaches host `i`, for messages: ssh, or the exec command.
fn channel_program(hosts: &Hosts, i: usize) -> String {
    match &hosts.exec {
        Some(exec) => exec[i][0].to_string_lossy().into_owned(),
        None => hosts.ssh[0].clone(),
    }
}

/// The channel in words: `ssh` (whatever --ssh runs), or the exec command's file name.
fn channel_name(hosts: &Hosts, i: usize) -> String {
    match &hosts.exec {
        Some(_) => {
            let p = channel_program(hosts, i);
            let name = std::path::Path::new(&p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            crate::escape::text(&name.unwrap_or(p))
        }
        None => "ssh".into(),
    }
}

/// Runs `remote` on host `i` to its end (standard input: the upload, if any, then nothing).
/// Why a host got no upload is the first line of its standard error, as if it had said it. A
/// stop signal (where handlers are installed) ends the channel, with its process group, before
/// it is reaped: the group is still its own then.
fn ask(hosts: &Hosts, i: usize, remote: &[OsString]) -> io::Result<std::process::Output> {
    let mut c = channel_command(hosts, i, remote);
    crate::os::own_session(&mut c);
    let stdin = if hosts.ready.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    let mut child = c
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (Some(mut out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(io::Error::other("no pipes to the host"));
    };
    let input = child.stdin.take();
    let upload = hosts.ready.clone();
    let errors = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let output = std::thread::spawn(move || {
        let refused = match (upload, input) {
            (Some(u), Some(stdin)) => u.deliver(&mut out, OwnedFd::from(stdin)).err().flatten(),
            _ => None,
        };
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        (v, refused)
    });
    let mut ended = false;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if !ended && stop::requested().is_some() {
            ended = true;
            let group = nix::unistd::Pid::from_raw(-(child.id() as i32));
            let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, refused) = output.join().unwrap_or_default();
    let mut stderr = errors.join().unwrap_or_default();
    if let Some(why) = refused {
        stderr.splice(0..0, format!("nscap: {why}\n").into_bytes());
    }
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// `--remote-stream`: the end of standard input (the -H end closed it, or its connection
/// went) stops the capture as SIGTERM would, its statistics written into the stream.
pub fn stop_at_end_of_input() -> Result<()> {
    // The -H end reads to the end after asking; it gives up STOP_WAIT after asking.
    stop::set_output_grace(STOP_WAIT - Duration::from_secs(1));
    std::thread::Builder::new()
        .name("nscap-stdin".into())
        .spawn(|| {
            stop::block_in_this_thread();
            let mut buf = [0u8; 512];
            let mut stdin = io::stdin().lock();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            // Asked before the capture could stop cleanly (its handles still opening): the
            // stop waits for the handlers, so that the stream still ends whole. SIGTERM's
            // default action would end it mid-way, with no statistics.
            let deadline = Instant::now() + Duration::from_secs(30);
            while !stop::installed() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::this(), nix::sys::signal::Signal::SIGTERM);
        })
        .map(|_| ())
        .context("cannot start a thread")
}

/// `-H … -D`: each host's interfaces, under its name.
fn list_interfaces(hosts: &Hosts) -> Result<()> {
    let mut remote: Vec<OsString> = vec!["-D".into()];
    // -D takes what chooses the namespaces.
    let mut args = hosts.args.iter();
    while let Some(a) = args.next() {
        if a == "--target" || a == "--host-root" {
            remote.push(a.clone());
            remote.extend(args.next().cloned());
        } else if a == "--all" {
            remote.push(a.clone());
        }
    }
    let hosts = &hosts.prepared()?;
    let answers = ask_all(hosts, &remote);
    let mut failed = 0;
    for (i, (h, out)) in hosts.hosts.iter().zip(answers).enumerate() {
        let out = out.map_err(|e| {
            anyhow!(
                "cannot run {}: {}",
                channel_program(hosts, i),
                os_message(&e)
            )
        })?;
        let said = String::from_utf8_lossy(&out.stderr);
        for line in said.lines() {
            eprintln!(
                "nscap: {}: {}",
                crate::escape::text(short_name(h)),
                remote_line(line)
            );
        }
        if !out.status.success() {
            failed += 1;
            if hosts.strict {
                bail!(
                    "{}: {} (--strict)",
                    short_name(h),
                    exit_words(out.status, &channel_name(hosts, i))
                );
            }
            continue;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut shown = format!("{}:\n", crate::escape::text(short_name(h)));
        for line in text.lines() {
            shown += &format!("  {}\n", crate::escape::text(line));
        }
        if let Err(e) = io::Write::write_all(&mut io::stdout().lock(), shown.as_bytes()) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            bail!("cannot write to standard output: {}", os_message(&e));
        }
    }
    if failed == hosts.hosts.len() {
        bail!("no host answered");
    }
    Ok(())
}

/// `remote` asked of every host at once; the answers in the hosts' order.
fn ask_all(hosts: &Hosts, remote: &[OsString]) -> Vec<io::Result<std::process::Output>> {
    std::thread::scope(|s| {
        let asks: Vec<_> = hosts
            .hosts
            .iter()
            .enumerate()
            .map(|(i, _)| s.spawn(move || ask(hosts, i, remote)))
            .collect();
        asks.into_iter()
            .map(|a| a.join().unwrap_or_else(|_| Err(io::Error::other("thread"))))
            .collect()
    })
}

/// `list -H`: every host's `nscap list --json` (with `args`, its data roots), asked of all
/// hosts at once; each host's rows in order, with its name. A host that fails is told in one
/// line (with `--strict`, it is the error); so is one whose nscap answered but could not read
/// every namespace (its exit status 1).
pub fn list(hosts: &Hosts, args: &[OsString]) -> Result<(Vec<(String, Row)>, bool)> {
    // Nothing here needs a privilege: ssh and what it reads are the user's.
    crate::privs::drop_all()?;
    let mut remote: Vec<OsString> = vec!["list".into(), "--json".into()];
    remote.extend(args.iter().cloned());
    let hosts = &hosts.prepared()?;
    let answers = ask_all(hosts, &remote);
    let mut rows = Vec::new();
    let mut partial = false;
    let mut failed = 0;
    for (i, (h, answer)) in hosts.hosts.iter().zip(answers).enumerate() {
        let name = short_name(h);
        let out = answer.map_err(|e| {
            anyhow!(
                "cannot run {}: {}",
                channel_program(hosts, i),
                os_message(&e)
            )
        })?;
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            eprintln!(
                "nscap: {}: {}",
                crate::escape::text(name),
                remote_line(line)
            );
        }
        let mut got = Vec::new();
        let parsed: Result<(), String> =
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .try_for_each(|l| {
                    let r: Row = serde_json::from_str(l).map_err(|e| e.to_string())?;
                    got.push((name.to_string(), r.from_elsewhere()));
                    Ok(())
                });
        let why = match (parsed, out.status.code()) {
            (Err(e), _) => Some(format!("not nscap's list: {e}")),
            (Ok(()), Some(0)) => None,
            // Rows it could not enter: listed all the same, and the status says so.
            (Ok(()), Some(1)) if !got.is_empty() => {
                partial = true;
                None
            }
            (Ok(()), _) => Some(exit_words(out.status, &channel_name(hosts, i))),
        };
        if let Some(why) = why {
            failed += 1;
            if hosts.strict {
                bail!("{name}: {why} (--strict)");
            }
            if out.stderr.is_empty() {
                eprintln!(
                    "nscap: {}: {}",
                    crate::escape::text(name),
                    crate::escape::text(&why)
                );
            }
            continue;
        }
        rows.extend(got);
    }
    if failed == hosts.hosts.len() {
        bail!("no host answered");
    }
    Ok((rows, partial || failed > 0))
}

/// A line from a host's standard error, made safe and without the remote nscap's own prefix.
fn remote_line(line: &str) -> String {
    crate::escape::text(line.strip_prefix("nscap: ").unwrap_or(line))
}

/// How a host's channel (`via`: ssh, or the exec command) ended, in words.
fn exit_words(st: std::process::ExitStatus, via: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    if via != "ssh" {
        // `kubectl exec` passes on the status of what it ran, and fails with 1 itself.
        return match (st.code(), st.signal()) {
            (Some(c), _) => format!("{via} exited with status {c}"),
            (None, Some(s)) => format!("{via} was killed by signal {s}"),
            _ => format!("{via} ended"),
        };
    }
    match (st.code(), st.signal()) {
        // ssh's own failures, a lost connection, and a remote nscap killed by a signal all
        // end ssh with 255: what the host said, if anything, tells them apart.
        (Some(255), _) => {
            "ssh exit status 255: no connection, a lost one, or nscap there killed".into()
        }
        (Some(127), _) => "no nscap there (exit status 127): see --nscap-path or --upload".into(),
        (Some(c), _) => format!("nscap there exited with status {c}"),
        (None, Some(s)) => format!("ssh was killed by signal {s}"),
        _ => "ssh ended".into(),
    }
}

/// The whole `-H` capture: every host started, their packets merged into the sinks until a
/// signal, a count, a limit, a closed pipe, or the end of every stream; then the statistics.
pub fn run(cfg: &Config) -> Result<()> {
    let hosts = cfg.remote.as_ref().context("no host given")?;
    // Nothing here needs a privilege (capture-only mode): ssh, the upload and the output
    // files are the user's.
    crate::privs::drop_all()?;
    if cfg.list_interfaces {
        return list_interfaces(hosts);
    }
    let hosts = &hosts.prepared()?;
    // Files are created as the -Z user; ssh then runs as that user too.
    if let Some(user) = &cfg.user {
        crate::privs::drop_to(user, &[])?;
    }
    let (tx, rx) = mpsc::sync_channel::<Msg>(64);
    let mut remote: Vec<OsString> = vec!["--remote-stream".into()];
    remote.extend(hosts.args.iter().cloned());
    let mut all = Vec::new();
    for (i, h) in hosts.hosts.iter().enumerate() {
        all.push(start_host(hosts, i, h, &remote, &tx)?);
    }
    drop(tx);
    let mut out = cfg.output.clone();
    if out.write.is_some() {
        out.format = Some(Format::Pcapng);
    }
    let sinks = sink::build(&out, &cfg.print_opts, &[], || {
        Ok(Box::new(stop::StopWriter::new(
            crate::session::stdout_file()?,
        )))
    })?;
    let mut m = Merge {
        cfg,
        strict: hosts.strict,
        hosts: all,
        interfaces: Vec::new(),
        host_of: Vec::new(),
        captured: Vec::new(),
        kernel: Vec::new(),
        sinks,
        order: Order::for_streams(hosts.hosts.len()),
        total: 0,
        writing: true,
        stopping: None,
        end: None,
        announced: false,
    };
    m.start_sinks()?;
    let signals = Signals::install().context("cannot install the signal handlers")?;
    m.run(&rx, &signals);
    m.finish()
}

/// Starts `ssh HOST nscap …` and the threads that read its output and its errors.
fn start_host(
    hosts: &Hosts,
    i: usize,
    h: &str,
    remote: &[OsString],
    tx: &mpsc::SyncSender<Msg>,
) -> Result<Host> {
    let mut c = channel_command(hosts, i, remote);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A Ctrl-C at the terminal is for this nscap, which stops the hosts in order; and with no
    // terminal, a prompt (a ProxyJump's host key, a bastion's password) fails at once rather
    // than stopping ssh in the background for ever.
    crate::os::own_session(&mut c);
    let mut child = c.spawn().map_err(|e| {
        anyhow!(
            "cannot run {}: {}",
            channel_program(hosts, i),
            os_message(&e)
        )
    })?;
    let mut stdout = child.stdout.take().context("the channel has no output")?;
    let stderr = child
        .stderr
        .take()
        .context("the channel has no error output")?;
    let stdin = child.stdin.take();
    // With an upload, the host first says its machine, then gets the build for it (on a copy
    // of its standard input: the one kept here is closed to stop it).
    let delivery = match (&hosts.ready, &stdin) {
        (Some(u), Some(stdin)) => Some((
            u.clone(),
            std::os::fd::AsFd::as_fd(stdin)
                .try_clone_to_owned()
                .map_err(|e| anyhow!("--upload: {}", os_message(&e)))?,
        )),
        _ => None,
    };
    let (out_tx, err_tx) = (tx.clone(), tx.clone());
    std::thread::Builder::new()
        .name("nscap-host".into())
        .spawn(move || {
            stop::block_in_this_thread();
            if let Some((u, to)) = delivery {
                if let Err(Some(why)) = u.deliver(&mut stdout, to) {
                    let line = format!("nscap: {why}");
                    let _ = out_tx.send(Msg::Said { host: i, line });
                }
            }
            stream::read(i, stdout, &out_tx);
        })
        .context("cannot start a thread")?;
    std::thread::Builder::new()
        .name("nscap-host-err".into())
        .spawn(move || {
            stop::block_in_this_thread();
            let mut r = io::BufReader::new(stderr);
            while let Some(line) = bounded_line(&mut r) {
                let line = String::from_utf8_lossy(&line).trim_end().to_string();
                if !line.is_empty() && err_tx.send(Msg::Said { host: i, line }).is_err() {
                    return;
                }
            }
            let _ = err_tx.send(Msg::Quiet { host: i });
        })
        .context("cannot start a thread")?;
    Ok(Host {
        short: short_name(h).to_string(),
        via: channel_name(hosts, i),
        child: Some(child),
        stdin,
        map: Vec::new(),
        started: false,
        ended: false,
        failed: None,
        said: None,
        quiet: false,
        out_ended: None,
        forced: false,
    })
}

/// The longest line of a host's standard error kept; the rest of a longer one is dropped.
const LINE_MAX: usize = 4096;

/// The next line of `r`, at most [`LINE_MAX`] bytes of it; `None` at the end.
fn bounded_line(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let buf = match r.fill_buf() {
            Ok([]) if line.is_empty() => return None,
            Ok([]) => return Some(line),
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return (!line.is_empty()).then_some(line),
        };
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(n) => (n, true),
            None => (buf.len(), false),
        };
        let room = LINE_MAX.saturating_sub(line.len());
        line.extend_from_slice(&buf[..take.min(room)]);
        r.consume(if done { take + 1 } else { take });
        if done {
            return Some(line);
        }
    }
}

/// Why the merged capture ended.
enum Ending {
    Signal,
    Count,
    ClosedPipe,
    Failed(String),
}

/// The merge: the capture's interface table over every host, the sinks, and the hold that
/// puts the hosts' packets in time order.
struct Merge<'a> {
    cfg: &'a Config,
    strict: bool,
    hosts: Vec<Host>,
    interfaces: Vec<Interface>,
    /// Each interface's host.
    host_of: Vec<usize>,
    captured: Vec<u64>,
    kernel: Vec<Option<Kernel>>,
    sinks: Vec<BoxSink>,
    order: Order,
    total: u64,
    writing: bool,
    /// When the hosts were asked to stop.
    stopping: Option<Instant>,
    end: Option<Ending>,
    announced: bool,
}

impl Merge<'_> {
    fn start_sinks(&mut self) -> Result<()> {
        for s in self.sinks.iter_mut() {
            s.start(&[])
                .map_err(|e| crate::session::write_error(&self.cfg.output, &e))?;
        }
        Ok(())
    }

    fn run(&mut self, rx: &mpsc::Receiver<Msg>, signals: &Signals) {
        let cfg = self.cfg;
        let began = Instant::now();
        let mut last_sync = Instant::now();
        let mut last_tick = Instant::now();
        let watch_pipe = crate::os::stdout_is_pipe() && (cfg.output.print || cfg.writes_stdout());
        let mut last_look = Instant::now();
        while self.hosts.iter().any(|h| !h.ended) {
            match rx.recv_timeout(TICK) {
                Ok(msg) => {
                    self.heard(msg);
                    // What else has come goes in with it (a bounded burst), then out in order
                    // at once: under load, one pass per burst rather than per batch.
                    for _ in 0..256 {
                        match rx.try_recv() {
                            Ok(msg) => self.heard(msg),
                            Err(_) => break,
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => self.settle(),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            self.release(false);
            // The rest is looked at a few times a second, not for every batch.
            if last_look.elapsed() < TICK {
                continue;
            }
            last_look = Instant::now();
            if began.elapsed() >= ANNOUNCE_WAIT {
                self.announce_at(true);
            }
            if signals.take().is_some() && self.end.is_none() {
                self.stop(Ending::Signal);
            }
            if stop::stats_requested() {
                let (ifs, c) = self.counters();
                eprint!("{}", crate::session::stats_text_named(&ifs, &c, true));
            }
            if cfg.stop_after.is_some_and(|d| began.elapsed() >= d) && self.end.is_none() {
                self.stop(Ending::Signal);
            }
            if watch_pipe && self.writing && crate::os::stdout_closed() {
                self.writing = false;
                self.stop(Ending::ClosedPipe);
            }
            if last_tick.elapsed() >= Duration::from_millis(250) && self.writing {
                last_tick = Instant::now();
                let r = self.sinks.iter_mut().try_for_each(|s| s.tick());
                self.check(r);
                if self.sinks.iter().any(|s| s.exhausted()) {
                    self.stop(Ending::Count);
                }
            }
            if last_sync.elapsed() >= SYNC_EVERY && self.writing {
                last_sync = Instant::now();
                let r = self.sinks.iter_mut().try_for_each(|s| s.sync());
                self.check(r);
            }
            if self
                .stopping
                .is_some_and(|t| t.elapsed() >= STOP_WAIT || stop::hurried())
            {
                // Hosts that did not end in time: their ssh is ended, and their stream let go
                // of (a control master may hold it open).
                for h in self.hosts.iter_mut() {
                    if h.ended || h.forced {
                        continue;
                    }
                    h.forced = true;
                    h.end_ssh(true);
                    h.quiet = true;
                    h.out_ended.get_or_insert((None, Instant::now()));
                }
            }
        }
        self.release(true);
    }

    fn heard(&mut self, msg: Msg) {
        match msg {
            Msg::Started { host, application } => {
                let h = &mut self.hosts[host];
                h.started = true;
                let mine = concat!("nscap ", env!("CARGO_PKG_VERSION"));
                match application {
                    Some(app) if app == mine => {}
                    Some(app) if app.starts_with("nscap ") => eprintln!(
                        "nscap: {}: warning: runs {}, this is {mine}",
                        crate::escape::text(&h.short),
                        crate::escape::text(&app)
                    ),
                    // Read all the same: it is a capture, but names and counters may be
                    // missing.
                    other => eprintln!(
                        "nscap: {}: warning: its stream is not nscap's ({})",
                        crate::escape::text(&h.short),
                        crate::escape::text(other.as_deref().unwrap_or("it does not say whose"))
                    ),
                }
                self.announce();
            }
            Msg::Interfaces { host, added } => {
                let h = &mut self.hosts[host];
                let mut new = Vec::new();
                for mut i in added {
                    if i.name.is_empty() {
                        // A stream that names no interface (pcap): by its number there.
                        i.name = format!("if{}", h.map.len() + new.len());
                    }
                    i.name = format!("{}/{}", h.short, i.name);
                    i.description = if i.description.is_empty() {
                        format!("host {}", h.short)
                    } else {
                        format!("host {}, {}", h.short, i.description)
                    };
                    h.map.push(self.interfaces.len() + new.len());
                    new.push(i);
                }
                self.interfaces.extend(new.iter().cloned());
                self.host_of.resize(self.interfaces.len(), host);
                self.captured.resize(self.interfaces.len(), 0);
                self.kernel.resize(self.interfaces.len(), None);
                if self.writing {
                    let r = self
                        .sinks
                        .iter_mut()
                        .try_for_each(|s| s.add_interfaces(&new));
                    self.check(r);
                }
            }
            Msg::Packets {
                host,
                mut batch,
                owners,
            } => {
                let Some(&idx) = self.hosts[host].map.get(batch.iface) else {
                    return;
                };
                batch.iface = idx;
                if self.writing && !matches!(self.end, Some(Ending::Count)) {
                    self.order.push_to(host, batch, owners);
                }
            }
            Msg::Ended {
                host,
                broke,
                kernel,
            } => {
                let h = &mut self.hosts[host];
                for (remote, k) in kernel.into_iter().enumerate() {
                    if let Some(&idx) = h.map.get(remote) {
                        self.kernel[idx] = k;
                    }
                }
                h.out_ended = Some((broke, Instant::now()));
                self.settle();
            }
            Msg::Said { host, line } => {
                let h = &mut self.hosts[host];
                let line = remote_line(&line);
                eprintln!("nscap: {}: {line}", crate::escape::text(&h.short));
                // ssh's and nscap's warnings (a host key added, a post-quantum notice) say
                // nothing of why a host fails; the first error does (what follows it is
                // mostly its consequence: a jump host's refusal, then the closed connection).
                let warning = ["Warning:", "warning:", "** "]
                    .iter()
                    .any(|w| line.starts_with(w));
                if !warning {
                    h.said.get_or_insert(line);
                }
            }
            Msg::Quiet { host } => {
                self.hosts[host].quiet = true;
                self.settle();
            }
        }
    }

    /// Hosts whose stream has ended, and whose standard error too (or a moment later: an ssh
    /// control master may hold it open), are done: how they ended is told.
    fn settle(&mut self) {
        for i in 0..self.hosts.len() {
            let h = &self.hosts[i];
            let done = match &h.out_ended {
                Some((_, at)) => h.quiet || at.elapsed() >= Duration::from_secs(1),
                None => false,
            };
            if !h.ended && done {
                let broke = self.hosts[i].out_ended.as_mut().and_then(|(b, _)| b.take());
                self.ended(i, broke);
            }
        }
    }

    /// "listening" once every host has started or failed, or a while after the first started
    /// (`late`: the others are named as not there yet).
    fn announce(&mut self) {
        self.announce_at(false);
    }

    fn announce_at(&mut self, late: bool) {
        let all = self.hosts.iter().all(|h| h.started || h.ended);
        if self.announced || !(all || late && self.hosts.iter().any(|h| h.started)) {
            return;
        }
        self.announced = true;
        let up: Vec<&str> = self
            .hosts
            .iter()
            .filter(|h| h.started && h.failed.is_none())
            .map(|h| h.short.as_str())
            .collect();
        if up.is_empty() {
            return;
        }
        let waiting: Vec<&str> = self
            .hosts
            .iter()
            .filter(|h| !h.started && !h.ended)
            .map(|h| h.short.as_str())
            .collect();
        let more = if waiting.is_empty() {
            String::new()
        } else {
            format!(" (not yet: {})", waiting.join(", "))
        };
        eprintln!(
            "nscap: listening on {} host{}: {}{}",
            up.len(),
            if up.len() == 1 { "" } else { "s" },
            crate::escape::text(&up.join(", ")),
            crate::escape::text(&more)
        );
    }

    fn ended(&mut self, host: usize, broke: Option<String>) {
        let h = &mut self.hosts[host];
        // The stream is over: ssh ends by itself (it has no more to carry), unless the stream
        // broke while it still runs.
        let status = h.end_ssh(broke.is_some());
        h.ended = true;
        let why = match (broke, status) {
            (Some(b), _) => Some(b),
            _ if h.forced => Some(format!(
                "it did not stop within {} s of being asked; its {} was ended",
                STOP_WAIT.as_secs(),
                h.via
            )),
            (None, Some(st)) if !st.success() => Some(exit_words(st, &h.via)),
            (None, None) => Some(format!("{} ended", h.via)),
            // Its nscap ended by itself (its -c was reached) and said nothing wrong.
            (None, Some(_)) => None,
        };
        if let Some(why) = why {
            // Said when it happens, in one line: what the host said last (ssh's or nscap's
            // own words), with how its ssh ended.
            let text = match h.said.take() {
                Some(said) => format!("{said} ({why})"),
                None => why,
            };
            eprintln!(
                "nscap: {}: failed: {}",
                crate::escape::text(&h.short),
                crate::escape::text(&text)
            );
            h.failed = Some(text);
        }
        self.order.end_stream(host);
        self.announce();
        // --strict: a failed host fails the capture, also one that failed while it was
        // ending for another reason (a count reached first).
        let failed = self.hosts[host].failed.clone();
        if let (Some(why), true) = (failed, self.strict) {
            if !matches!(self.end, Some(Ending::Failed(_))) {
                let name = self.hosts[host].short.clone();
                self.end = Some(Ending::Failed(format!("{name}: {why} (--strict)")));
            }
            self.stop(Ending::Signal);
        }
    }

    /// Asks every host to stop; the streams still bring their last packets and counters.
    fn stop(&mut self, why: Ending) {
        if self.end.is_none() {
            self.end = Some(why);
        }
        if self.stopping.is_none() {
            self.stopping = Some(Instant::now());
            for h in self.hosts.iter_mut() {
                h.ask_to_stop();
            }
        }
    }

    /// Writes the packets held that are due (all of them, with `all`) in time order.
    fn release(&mut self, all: bool) {
        if !self.writing {
            self.order.clear();
            return;
        }
        let count = self.cfg.count;
        let (wall, now) = (SystemTime::now(), Instant::now());
        let mut res = Ok(());
        let mut wrote = false;
        let mut full = false;
        while let Some(q) = self.order.due(all, wall, now) {
            if count.is_some_and(|c| self.total >= c) {
                self.order.clear();
                break;
            }
            let (p, owner) = self.order.head(q);
            let iface = p.iface;
            for s in self.sinks.iter_mut() {
                if let Err(e) = s.packet_by(&p, owner) {
                    res = Err(e);
                    break;
                }
                if s.exhausted() {
                    full = true;
                }
            }
            self.captured[iface] += 1;
            self.total += 1;
            self.order.advance(q);
            wrote = true;
            if res.is_err() || full {
                break;
            }
        }
        if res.is_ok() && wrote {
            res = self.sinks.iter_mut().try_for_each(|s| s.flush());
        }
        self.check(res);
        if full || count.is_some_and(|c| self.total >= c) {
            self.stop(Ending::Count);
        }
    }

    /// An output that could not be written ends the capture (quietly, for a closed pipe).
    fn check(&mut self, r: io::Result<()>) {
        let Err(e) = r else { return };
        self.writing = false;
        self.order.clear();
        if e.kind() == io::ErrorKind::BrokenPipe {
            self.stop(Ending::ClosedPipe);
        } else {
            let m = crate::session::write_error(&self.cfg.output, &e).to_string();
            self.stop(Ending::Failed(m));
        }
    }

    /// Every interface's counters so far: what was written of it here, and the kernel's
    /// counts its host gave at the end (unknown before, or when it never said).
    fn counters(&self) -> (Vec<Interface>, Vec<Counters>) {
        let c = (0..self.interfaces.len())
            .map(|i| Counters {
                captured: self.captured[i],
                kernel: self.kernel[i],
            })
            .collect();
        (self.interfaces.clone(), c)
    }

    fn finish(mut self) -> Result<()> {
        let (ifs, counters) = self.counters();
        let quiet = matches!(self.end, Some(Ending::ClosedPipe));
        let mut failed = None;
        for s in self.sinks.iter_mut() {
            if let Err(e) = s.counters(&counters).and_then(|()| s.finish()) {
                if !quiet && e.kind() != io::ErrorKind::BrokenPipe {
                    failed.get_or_insert_with(|| {
                        crate::session::write_error(&self.cfg.output, &e).to_string()
                    });
                }
            }
        }
        self.sinks.clear();
        for h in self.hosts.iter_mut() {
            h.end_ssh(true);
        }
        if quiet {
            return Ok(());
        }
        // An `any` handle's members have no counters of their own, and the handle no packets:
        // each line is shown where it says something.
        // Host by host, in the order they were given.
        let mut rows: Vec<(usize, Interface, Counters)> = ifs
            .into_iter()
            .zip(counters)
            .zip(&self.host_of)
            .filter(|((_, c), _)| c.captured > 0 || c.kernel.is_some())
            .map(|((i, c), &h)| (h, i, c))
            .collect();
        rows.sort_by_key(|r| r.0);
        let (ifs, counters): (Vec<Interface>, Vec<Counters>) =
            rows.into_iter().map(|(_, i, c)| (i, c)).unzip();
        let mut last = crate::session::stats_text_named(&ifs, &counters, true);
        let late = self.order.late();
        if late > 0 {
            last += &crate::session::late_text(late, self.order.hold());
        }
        let failed_hosts: Vec<&Host> = self.hosts.iter().filter(|h| h.failed.is_some()).collect();
        // With nothing captured anywhere, the one closing error names the hosts.
        let shown = if self.interfaces.is_empty() {
            &[][..]
        } else {
            &failed_hosts[..]
        };
        for h in shown {
            last += &format!(
                "{}: failed: {}\n",
                crate::escape::text(&h.short),
                crate::escape::text(h.failed.as_deref().unwrap_or(""))
            );
        }
        stop::eprint_last(&last);
        match (self.end.take(), failed) {
            (Some(Ending::Failed(m)), _) | (_, Some(m)) => Err(anyhow!(m)),
            _ if failed_hosts.len() == self.hosts.len() => {
                let names: Vec<&str> = failed_hosts.iter().map(|h| h.short.as_str()).collect();
                Err(match self.total {
                    0 => anyhow!("no host could be captured on ({})", names.join(", ")),
                    n => anyhow!(
                        "every host failed ({}), after {n} packet{} written",
                        names.join(", "),
                        if n == 1 { "" } else { "s" }
                    ),
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_files_hold_hosts_and_settings() {
        let f = HostsFile::parse(
            "# ours\nnode1\n  root@node2   # the db\n\nssh = ssh -F ~/x -o ConnectTimeout=3\nnscap-path=sudo -n nscap\nupload =\n",
        )
        .unwrap();
        assert_eq!(f.hosts, ["node1", "root@node2"]);
        assert_eq!(f.ssh.as_deref(), Some("ssh -F ~/x -o ConnectTimeout=3"));
        assert_eq!(f.nscap_path.as_deref(), Some("sudo -n nscap"));
        assert_eq!(f.upload, [std::path::PathBuf::new()]);
        let e = HostsFile::parse("node1\nport = 22\n").unwrap_err();
        assert!(e.starts_with("line 2: unknown setting 'port'"), "{e}");
    }

    #[test]
    fn the_command_line_wins_over_the_file() {
        let dir = std::env::temp_dir().join(format!("nscap-hosts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hosts");
        std::fs::write(
            &path,
            "ssh = ssh -F file\nupload\nnscap-path = /opt/nscap\nb\n",
        )
        .unwrap();
        // `upload` without `=` is a host named upload: hosts are words, settings have `=`.
        let given = HostOptions {
            hosts: vec!["a".to_string()],
            hosts_file: Some(path.clone()),
            ssh: Some("ssh -F mine".into()),
            ..Default::default()
        };
        let h = given.hosts().unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(h.hosts, ["a", "upload", "b"]);
        assert_eq!(h.ssh, ["ssh", "-F", "mine"]);
        assert_eq!(h.nscap, "/opt/nscap");
        assert!(h.upload.is_empty());
    }
}
