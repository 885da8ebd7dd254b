//! `nscap man` and `nscap completions SHELL`: the manual page and shell completions, generated
//! from the same clap definitions that parse the command line, so they cannot drift from it.

use std::ffi::OsString;
use std::io::{self, Write};

use anyhow::anyhow;
use clap::{Arg, Command};
use clap_complete::Shell;

use crate::error::{os_message, Exit};

/// Everything nscap accepts, as one command with its subcommands. `exec` takes nsenter's
/// options through its own parser; here it is described, not spelled out.
pub fn full_command() -> Command {
    let exec = Command::new("exec")
        .about("Run a program in a target's namespaces, as nsenter(1) does (nsenter's options)")
        .arg(
            Arg::new("args")
                .value_name("NSENTER-ARGS")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true),
        );
    crate::cli::command()
        .subcommand(exec)
        .subcommand(crate::cmd::list::command().name("list"))
        .subcommand(crate::cmd::extcap::command().name("extcap"))
        .subcommand(Command::new("man").about("Print the manual page (roff)"))
        .subcommand(completions_command().name("completions"))
    // clap adds `help [SUBCOMMAND]` itself, as nscap's dispatch accepts it.
}

fn completions_command() -> Command {
    Command::new("nscap completions")
        .bin_name("nscap completions")
        .about("Print a completion script for SHELL (bash, zsh, fish, elvish, powershell)")
        .arg(
            Arg::new("shell")
                .value_name("SHELL")
                .required(true)
                .value_parser(clap::value_parser!(Shell)),
        )
}

/// The manual page, roff: clap's sections from the definitions, then those written here, then
/// the version.
pub fn man_page() -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    // The page's header takes one line: the crate's version, without the libpcap line.
    let man = clap_mangen::Man::new(full_command().version(env!("CARGO_PKG_VERSION")))
        .title("NSCAP")
        .section("1");
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    man.render_extra_section(&mut out)?;
    out.extend_from_slice(MAN_SECTIONS.as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// EXAMPLES (the README's), EXIT STATUS, ENVIRONMENT (every `NSCAP_*` variable), FILES and SEE
/// ALSO, in roff.
const MAN_SECTIONS: &str = r#".SH EXAMPLES
.TP
\fBnscap \-t 4242 \-i eth0 \-w /tmp/web.pcap\fR
Write what process 4242's network namespace sees on its eth0 to a pcap file on the host.
.TP
\fBnscap \-t web \-w \- | wireshark \-k \-i \-\fR
Stream the container web's first interface into Wireshark, packet by packet.
.TP
\fBnscap \-t web tcp port 80\fR
Print one line per packet, as tcpdump does, for the HTTP traffic of the container web.
.TP
\fBnscap \-t 4242 \-D\fR
List the target's interfaces, numbered: \fB\-i 2\fR then takes the one numbered 2.
.TP
\fBnscap \-i lo \-c 10\fR
Without \fB\-t\fR, capture in nscap's own (the host's) network namespace, as tcpdump.
.TP
\fBnscap \-t 4242 \-t /run/netns/blue \-i eth0 \-w two.pcapng\fR
Two namespaces at once, into one pcapng file with an interface for each, in time order.
.TP
\fBnscap \-\-all \-\-follow \-w all.pcapng\fR
Every container's namespace, those that start later too, until stopped.
.TP
\fBnscap \-t web \-\-process \-w web.pcapng\fR
Name the local process of each packet in the file's packet comments.
.TP
\fBnscap \-t web \-C 100 \-W 10 \-w ring.pcap\fR
Rotate through 10 files of 100 MB.
.TP
\fBnscap \-H node1 \-H node2 \-t web \-w both.pcapng\fR
Capture the container web on two hosts over ssh, merged here into one pcapng in time order,
its interfaces named \fBnode1/web/eth0\fR and \fBnode2/web/eth0\fR.
.TP
\fBnscap list \-H node1 \-H node2\fR
Every network namespace of both hosts, in one table.
.TP
\fBnscap \-r web.pcap icmp\fR
Print a pcap or pcapng file's ICMP packets.
.TP
\fBnscap list\fR
Every network namespace on the host, with its containers, pods and processes.
.TP
\fBnscap exec \-t 4242 \-n \-\- ip addr\fR
Run a program in the target's network namespace, as \fBnsenter\fR(1).
.TP
\fBkubectl nscap \-n shop web db \-w pods.pcapng \-\- port 5432\fR
Installed as \fBkubectl\-nscap\fR: the pods captured on their nodes through node-debug pods
that \fBkubectl\fR starts and deletes, merged into one file (\fBkubectl nscap \-\-help\fR).
.SH "EXIT STATUS"
.TP
\fB0\fR
Success, also for a capture stopped by \fB\-c\fR, an autostop condition, SIGINT or SIGTERM (the
statistics are printed first) or a closed output pipe.
.TP
\fB1\fR
A failure while running: a target or a file that does not exist, an output that cannot be
written, a target that exited, a missing capability. One line on standard error names it.
.TP
\fB2\fR
A usage error: an unknown or missing option or value, or options that contradict each other.
.TP
\fB\-H\fR
0 as above when at least one host was captured (a host that failed is named in one line); 1
when every host failed, or any did with \fB\-\-strict\fR.
.TP
\fBexec\fR, \fBnsenter\fR
As \fBnsenter\fR(1): the program's exit status, or 1 (126, 127 when it cannot be run).
.SH ENVIRONMENT
Where containers, pods and namespaces are looked up (\fB\-t\fR, \fB\-\-all\fR, \fBlist\fR,
\fB\-\-process\fR); each replaces one default, which otherwise lies under
\fBNSCAP_HOST_ROOT\fR when that is set.
.TP
\fBNSCAP_HOST_ROOT\fR
The host's root directory, as \fB\-\-host\-root\fR gives it (which outranks it), for nscap run
in a container with the host's root mounted.
.TP
\fBNSCAP_DOCKER_ROOT\fR
Docker's data root. Default: \fI/var/lib/docker\fR.
.TP
\fBNSCAP_PODMAN_ROOT\fR
Podman's (containers/storage) root. Default: \fI/var/lib/containers/storage\fR.
.TP
\fBNSCAP_CONTAINERD_STATE\fR
containerd's state directory. Default: \fI/run/containerd\fR.
.TP
\fBNSCAP_PODS_LOG_DIR\fR
The kubelet's pod log directory, which names the pods on this node. Default: \fI/var/log/pods\fR.
.TP
\fBNSCAP_NETNS_DIR\fR
Where \fBip netns\fR keeps its names. Default: \fI/run/netns\fR.
.SH FILES
.TP
\fI/proc/PID/ns/net\fR
A process's network namespace, which nscap enters on a thread of its own.
.TP
\fI/run/netns/NAME\fR
The namespaces \fBip netns\fR names.
.TP
\fI/var/lib/docker/containers/ID/config.v2.json\fR, \fI/var/lib/containers/storage/overlay\-containers/containers.json\fR
Docker's and Podman's container names.
.TP
\fI/var/log/pods/NAMESPACE_NAME_UID/\fR
The pods of this node.
.TP
\fI~/.config/nscap/hosts\fR
The hosts whose namespaces Wireshark lists besides this one's (\fB$XDG_CONFIG_HOME/nscap/hosts\fR):
one \fB[USER@]HOST\fR per line, \fB#\fR comments, and \fBssh = \fR, \fBnscap\-path = \fR and
\fBupload = \fR settings, as \fB\-\-hosts\-file\fR takes them.
.TP
\fI~/.config/wireshark/extcap/nscap\fR
The link \fBnscap extcap install\fR makes, through which Wireshark lists and captures nscap's
interfaces.
.SH "SEE ALSO"
\fBtcpdump\fR(8), \fBnsenter\fR(1), \fBip\-netns\fR(8), \fBpcap\-filter\fR(7), \fBwireshark\fR(1),
\fBtshark\fR(1), \fBcapabilities\fR(7), \fBssh\fR(1), \fBssh_config\fR(5)
"#;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut full_command(), "nscap", &mut out);
    out
}

/// `nscap man` and `nscap completions SHELL`; `args[0]` is the subcommand.
pub fn main(args: Vec<OsString>) -> Result<(), Exit> {
    let is_man = args.first().is_some_and(|a| a == "man");
    let text = if is_man {
        let cmd = Command::new("nscap man")
            .bin_name("nscap man")
            .about("Print nscap's manual page (roff): nscap man | man -l -");
        cmd.try_get_matches_from(args)?;
        man_page().map_err(|e| anyhow!("cannot render the manual page: {e}"))?
    } else {
        let m = completions_command().try_get_matches_from(args)?;
        let shell = *m
            .get_one::<Shell>("shell")
            .ok_or_else(|| Exit::usage("completions: which shell?"))?;
        completions(shell)
    };
    let mut out = io::stdout().lock();
    match out.write_all(&text).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| {
            Exit::Fail(anyhow!(
                "cannot write to standard output: {}",
                os_message(&e)
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_page_is_roff_for_nscap() {
        let m = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(m.starts_with(".ie"), "{}", &m[..80.min(m.len())]);
        assert!(m.contains(".TH NSCAP 1"), "{m}");
        assert!(m.contains("list\\-data\\-link\\-types"), "{m}");
        // The written sections, in man-pages(7)'s order, before the version.
        let at = |h: &str| {
            m.find(&format!("\n.SH {h}\n"))
                .unwrap_or_else(|| panic!("{h}"))
        };
        let order = [
            "OPTIONS",
            "EXAMPLES",
            "\"EXIT STATUS\"",
            "ENVIRONMENT",
            "FILES",
            "\"SEE ALSO\"",
            "VERSION",
        ]
        .map(at);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        // Every variable the data roots read is described.
        let src = include_str!("../targets/runtime.rs");
        let env = &m[at("ENVIRONMENT")..at("FILES")];
        for (i, _) in src.match_indices("\"NSCAP_") {
            let name: String = src[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            assert!(
                env.contains(&format!("\\fB{name}\\fR")),
                "{name} undocumented"
            );
        }
    }

    #[test]
    fn completions_know_the_flags_and_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let c = String::from_utf8(completions(shell)).unwrap();
            for word in ["--target", "--list-data-link-types", "completions", "list"] {
                let w = if shell == Shell::Fish {
                    word.trim_start_matches('-')
                } else {
                    word
                };
                assert!(c.contains(w), "{shell}: {word}");
            }
        }
    }
}
