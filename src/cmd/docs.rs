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

/// The manual page, roff.
pub fn man_page() -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    // The page's header takes one line: the crate's version, without the libpcap line.
    clap_mangen::Man::new(full_command().version(env!("CARGO_PKG_VERSION")))
        .title("NSCAP")
        .section("1")
        .render(&mut out)?;
    Ok(out)
}

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
