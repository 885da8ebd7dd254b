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
    match nscap::cli::parse(args) {
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            0
        }
        Err(e) => {
            // clap's message, on one line like every other error
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("nscap: {}", first.trim_start_matches("error: "));
            2
        }
        Ok(Err(e)) => {
            eprintln!("nscap: {e:#}");
            1
        }
        Ok(Ok(cfg)) => {
            let res = match &cfg.input {
                nscap::cli::Input::Live { targets } => nscap::live::run(&cfg, targets),
                nscap::cli::Input::File(_) => {
                    Err(anyhow::anyhow!("reading files is not available yet"))
                }
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
