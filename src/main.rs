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
    if args.get(1).is_some_and(|a| a == "list") {
        return match nscap::list::main(args[1..].to_vec()) {
            Err(e) => {
                let _ = e.print();
                if e.use_stderr() {
                    2
                } else {
                    0
                }
            }
            Ok(Err(e)) => {
                eprintln!("nscap: {e:#}");
                1
            }
            Ok(Ok(())) => 0,
        };
    }
    match nscap::cli::parse(args) {
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                2
            } else {
                0
            }
        }
        Ok(Err(e)) => {
            eprintln!("nscap: {e:#}");
            1
        }
        Ok(Ok(_cfg)) => 0,
    }
}
