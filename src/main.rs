use std::ffi::OsString;
use std::process::ExitCode;

use nscap::cli::Input;
use nscap::error::Exit;

fn main() -> ExitCode {
    // One line, no backtrace, whatever RUST_BACKTRACE says: a panic is a bug, not a report.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("nscap: internal error: {info}");
    }));
    let args: Vec<OsString> = std::env::args_os().collect();
    let code = match nscap::cli::take_host_root(args) {
        Ok(args) => dispatch(args),
        Err(exit) => exit.report(),
    };
    ExitCode::from(code)
}

fn dispatch(args: Vec<OsString>) -> u8 {
    // Exec mode runs before anything else: it must stay single-threaded until it has entered
    // the target's namespaces. Installed as `nsenter`, nscap is nsenter.
    let invoked_as = args.first().map(|a| std::path::Path::new(a).file_name());
    if invoked_as == Some(Some(std::ffi::OsStr::new("nsenter"))) {
        let names = nscap::exec::Names::for_nsenter(&args[0]);
        return exit_byte(nscap::exec::main(&names, &args[1..]));
    }
    if args.get(1).is_some_and(|a| a == "exec") {
        let names = nscap::exec::Names::for_exec();
        return exit_byte(nscap::exec::main(&names, &args[2..]));
    }
    if args.len() == 1 {
        // tcpdump's habit would capture on a default interface; there is no default target.
        eprintln!("nscap: no target: give -t PID|PATH (or -r FILE to read a capture file)");
        eprint!("{}", nscap::cli::short_usage());
        return 2;
    }
    let sub = args[1].to_str().unwrap_or("");
    if sub == "help" {
        // `nscap help [SUBCOMMAND]` is `nscap [SUBCOMMAND] --help`.
        let mut again = vec![args[0].clone()];
        again.extend(args.get(2).cloned());
        again.push("--help".into());
        return dispatch(again);
    }
    let outcome = match sub {
        // Wireshark calling with its own flags, which the normal parser would refuse.
        _ if nscap::extcap::wanted(&args) => nscap::extcap::main(args),
        "extcap" => nscap::extcap::install(&args[2..]),
        "list" => nscap::list::main(args[1..].to_vec()),
        "man" | "completions" => nscap::docs::main(args[1..].to_vec()),
        _ => capture(args),
    };
    match outcome {
        Ok(()) => 0,
        Err(exit) => exit.report(),
    }
}

/// Live capture (`-t`) or reading a file (`-r`).
fn capture(args: Vec<OsString>) -> Result<(), Exit> {
    let cfg = nscap::cli::parse(args)?;
    match &cfg.input {
        Input::Live { targets } => nscap::live::run(&cfg, targets)?,
        Input::File(_) => nscap::read::run(&cfg)?,
    }
    Ok(())
}

fn exit_byte(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}
