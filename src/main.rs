use std::ffi::OsString;
use std::process::ExitCode;

fn main() -> ExitCode {
    // One line, no backtrace, whatever RUST_BACKTRACE says: a panic is a bug, not a report.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("nscap: internal error: {info}");
    }));
    let args: Vec<OsString> = std::env::args_os().collect();
    let code = dispatch(args);
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
    if args.get(1).is_some_and(|a| a == "list") {
        return match nscap::list::main(args[1..].to_vec()) {
            Err(e) => clap_exit(e),
            Ok(Err(e)) => {
                eprintln!("nscap: {e:#}");
                1
            }
            Ok(Ok(())) => 0,
        };
    }
    match nscap::cli::parse(args) {
        Err(e) => clap_exit(e),
        Ok(Err(e)) => {
            eprintln!("nscap: {e:#}");
            1
        }
        Ok(Ok(cfg)) => {
            let res = match &cfg.input {
                nscap::cli::Input::Live { targets } => nscap::live::run(&cfg, targets),
                nscap::cli::Input::File(_) => nscap::read::run(&cfg),
            };
            match res {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("nscap: {e:#}");
                    1
                }
            }
        }
    }
}

fn clap_exit(e: clap::Error) -> u8 {
    if !e.use_stderr() {
        // --help, --version
        let _ = e.print();
        return 0;
    }
    // clap's message, on one line like every other error (its hints, such as the possible
    // values, joined on)
    let text = e.render().to_string();
    let msg: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    eprintln!("nscap: {}", msg.join(" ").trim_start_matches("error: "));
    2
}

fn exit_byte(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}
