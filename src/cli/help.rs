//! `wireplan help`, `completions` and `man`: the arguments' own
//! documentation, rendered by clap.

use std::process::ExitCode;

use super::args::Cli;
use super::{print, usage_error};
use crate::out::Out;

pub(super) fn help(out: &Out, command: Option<&str>) -> ExitCode {
    let mut cli = <Cli as clap::CommandFactory>::command();
    let text = match command {
        None => cli.render_long_help(),
        Some(name) => match cli.find_subcommand_mut(name) {
            Some(sub) => sub.render_long_help(),
            None => return usage_error(out, &format!("no command named `{name}`; `wireplan help` lists them")),
        },
    };
    print(out, &text.to_string())
}

/// Prints a completion script for `shell`.
pub(super) fn completions(out: &Out, shell: clap_complete::Shell) -> ExitCode {
    let mut bytes = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "wireplan", &mut bytes);
    print(out, &String::from_utf8_lossy(&bytes))
}

/// Prints the manual page.
pub(super) fn man(out: &Out) -> ExitCode {
    let mut bytes = Vec::new();
    match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut bytes) {
        Ok(()) => print(out, &String::from_utf8_lossy(&bytes)),
        Err(e) => usage_error(out, &format!("cannot render the manual: {e}")),
    }
}
