//! The commands a command line runs, each a thin driver of the stages: [`main`] picks one from
//! the program's name and first word.

pub mod capture;
pub mod complete;
pub mod docs;
pub mod exec;
pub mod extcap;
pub mod kube;
pub mod list;
pub mod list_types;
pub mod read;

use std::ffi::{OsStr, OsString};
use std::path::Path;

use crate::error::Exit;

/// Runs the command `args` asks for; returns the exit status.
pub fn main(args: Vec<OsString>) -> u8 {
    // Before anything is read or started: capabilities that came with the file, not with root.
    if let Err(e) = crate::privs::start_capture_only() {
        return Exit::Fail(e).report();
    }
    // A shell asking for completions (`COMPLETE=bash nscap …`): answered, then exit.
    complete::answer_if_asked();
    match crate::cli::take_host_root(args) {
        Ok(args) => dispatch(args),
        Err(exit) => exit.report(),
    }
}

fn dispatch(args: Vec<OsString>) -> u8 {
    // Exec mode runs before anything else: it must stay single-threaded until it has entered
    // the target's namespaces. Installed as `nsenter`, nscap is nsenter.
    let invoked_as = args.first().map(|a| Path::new(a).file_name());
    let runs_programs =
        invoked_as == Some(Some(OsStr::new("nsenter"))) || args.get(1).is_some_and(|a| a == "exec");
    if runs_programs {
        if let Err(e) = crate::privs::refuse("exec (nsenter)") {
            return Exit::Fail(e).report();
        }
    }
    if invoked_as == Some(Some(OsStr::new("nsenter"))) {
        let names = exec::Names::for_nsenter(&args[0]);
        return exit_byte(exec::main(&names, &args[1..]));
    }
    // Installed as `kubectl-nscap` (krew's naming), nscap is `kubectl nscap`.
    if invoked_as == Some(Some(OsStr::new("kubectl-nscap"))) {
        return match kube::main(args) {
            Ok(()) => 0,
            Err(exit) => exit.report(),
        };
    }
    if args.get(1).is_some_and(|a| a == "exec") {
        let names = exec::Names::for_exec();
        return exit_byte(exec::main(&names, &args[2..]));
    }
    let sub = args[1].to_str().unwrap_or("");
    if sub == "help" {
        // `nscap help [SUBCOMMAND]` is `nscap [SUBCOMMAND] --help`.
        let topic = args.get(2).and_then(|t| t.to_str());
        if let Some(t) = topic.filter(|t| !TOPICS.contains(t)) {
            eprintln!(
                "nscap: no help on '{}' (there is: {})",
                crate::escape::text(t),
                TOPICS.join(", ")
            );
            return 2;
        }
        let mut again = vec![args[0].clone()];
        again.extend(args.get(2).cloned());
        again.push("--help".into());
        return dispatch(again);
    }
    let outcome = match sub {
        // Wireshark calling with its own flags, which the normal parser would refuse.
        _ if extcap::wanted(&args) => extcap::main(args),
        "extcap" => extcap::install(&args[2..]),
        "list" => list::main(args[1..].to_vec()),
        "man" | "completions" => crate::privs::drop_all()
            .map_err(Exit::Fail)
            .and_then(|()| docs::main(args[1..].to_vec())),
        _ => capture_or_read(args),
    };
    match outcome {
        Ok(()) => 0,
        Err(exit) => exit.report(),
    }
}

/// Live capture (`-t`) or reading a file (`-r`).
fn capture_or_read(args: Vec<OsString>) -> Result<(), Exit> {
    let cfg = crate::cli::parse(args)?;
    match &cfg.input {
        crate::cli::Input::Live { .. } if cfg.remote.is_some() => crate::remote::run(&cfg)?,
        crate::cli::Input::Live { targets } => {
            // `-- COMMAND`: nscap's status is the command's.
            if let Some(code) = capture::run(&cfg, targets)? {
                return Err(Exit::Status(code));
            }
        }
        crate::cli::Input::File(_) => {
            // A file needs no capability at all.
            crate::privs::drop_all()?;
            read::run(&cfg)?
        }
    }
    Ok(())
}

/// What `nscap help TOPIC` knows: the subcommands.
const TOPICS: [&str; 5] = ["exec", "list", "extcap", "man", "completions"];

fn exit_byte(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}
