use std::process::ExitCode;

fn main() -> ExitCode {
    // One line, no backtrace, whatever RUST_BACKTRACE says: a panic is a bug, not a report.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("nscap: internal error: {info}");
    }));
    ExitCode::from(nscap::cmd::main(std::env::args_os().collect()))
}
