use std::process::ExitCode;

fn main() -> ExitCode {
    // One line, no backtrace, whatever RUST_BACKTRACE says: a panic is a bug, not a report.
    std::panic::set_hook(Box::new(|info| {
        use std::io::Write;
        // Not eprintln!: a closed standard error must not panic inside the hook.
        let _ = writeln!(std::io::stderr(), "nscap: internal error: {info}");
    }));
    ExitCode::from(nscap::cmd::main(std::env::args_os().collect()))
}
