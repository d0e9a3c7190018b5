//! `wireplan fmt`: the spec's files in the canonical layout
//! (`crate::fmt::command`).

use std::path::PathBuf;
use std::process::ExitCode;

use super::args::FmtArgs;
use super::{print, usage_error};
use crate::out::Out;

pub(super) fn fmt(out: &Out, args: &FmtArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if !args.files.is_empty() {
        return super::files::for_each_spec(out, &args.files, &cwd, super::files::Documents::No, |entry| {
            fmt(out, &FmtArgs { path: Some(entry.to_path_buf()), files: Vec::new(), check: args.check })
        });
    }
    match crate::fmt::command::run(args.path.as_deref(), args.check, &cwd) {
        Ok(outcome) => {
            out.learn(&outcome.redactor);
            out.eprint(&outcome.stderr);
            let printed = print(out, &outcome.stdout);
            if printed == ExitCode::SUCCESS { ExitCode::from(outcome.code) } else { printed }
        }
        Err(e) => usage_error(out, &e.to_string()),
    }
}
