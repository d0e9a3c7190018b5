//! The `wireplan` binary: runs the CLI and turns a panic into exit code 2.

use std::process::ExitCode;

fn main() -> ExitCode {
    match std::panic::catch_unwind(wireplan::cli::run) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("error: wireplan hit an internal error (a bug); please report it with the spec that caused it");
            ExitCode::from(2)
        }
    }
}
