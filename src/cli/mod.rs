//! The command line: argument parsing, file and terminal access, exit codes.
//!
//! Besides `lsp`, this is the only module that touches the environment. Each
//! subcommand gathers its inputs, calls the pure pipeline in the library, and
//! prints the result to stdout; usage errors and internal failures go to
//! stderr. Exit codes: 0 when nothing has error severity, 1 when something
//! does, 2 for usage errors, an unreadable entry file and internal failures.
//!
//! The arguments are in `args`; each command is a file of its own (as
//! ruff's `commands/` are), and this file holds `run`, which dispatches to
//! them, and what they share: loading a checked spec, printing, usage
//! errors and writing a report through the one writer.

mod args;
mod build;
mod catalog;
mod check;
mod deploy;
mod diff;
mod drift;
mod explain;
mod files;
mod fmt;
mod graph;
mod help;
mod lsp;
mod plan;
mod revision;
mod rules;

use std::path::PathBuf;
use std::process::ExitCode;

use args::{Cli, Command, LevelArgs};
use clap::Parser;

use crate::out::Out;

/// Runs the command line and returns the process's exit code.
pub fn run() -> ExitCode {
    // Everything printed from here on goes through `out`, which masks the
    // credentials of each spec checked (panic messages too).
    let out = Out::new();
    out.install_panic_hook();
    let out = &out;
    // For measuring and for machines shared with other work; the output is
    // the same on any number of threads.
    if let Some(value) = std::env::var_os("WIREPLAN_THREADS") {
        let (threads, warning) = crate::parallel::from_setting(&value.to_string_lossy());
        if let Some(warning) = warning {
            out.eprintln(format_args!("warning: {warning}"));
        }
        if let Some(threads) = threads {
            crate::parallel::set_threads(threads);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors on standard error, `--help` and `--version` on
            // standard output, in colour on a terminal as clap would.
            let rendered = e.render();
            let colour =
                if e.use_stderr() { crate::out::stderr_is_terminal() } else { crate::out::stdout_is_terminal() };
            let text = if colour { rendered.ansi().to_string() } else { rendered.to_string() };
            if e.use_stderr() {
                out.eprint(&text);
            } else {
                let _ = out.print(&text);
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Err(code) = catalog::settings(out) {
        return code;
    }
    match cli.command {
        Command::Catalog { id, format } => catalog::catalog(out, id.as_deref(), format),
        Command::Check(args) => check::check(out, &args),
        Command::Explain { rule } => explain::explain(out, &rule),
        Command::Rules { format } => rules::rules(out, format),
        Command::Graph(args) => graph::graph(out, &args),
        Command::Plan(args) => plan::plan(out, &args),
        Command::Fmt(args) => fmt::fmt(out, &args),
        Command::Import(args) => crate::import::run(out, &args),
        Command::Lsp => lsp::lsp(out),
        Command::Help { command } => help::help(out, command.as_deref()),
        Command::Diff(args) => diff::diff(out, &args),
        Command::Completions { shell } => help::completions(out, shell),
        Command::Man => help::man(out),
        Command::Build(args) => build::build(out, &args),
        Command::Drift(args) => drift::drift(out, &args),
        Command::Deploy(args) => deploy::deploy(out, &args),
    }
}

fn usage_error(out: &Out, message: &str) -> ExitCode {
    // Messages name paths and flags, which may hold any character.
    out.eprintln(format_args!("error: {}", crate::escape::lines(message)));
    ExitCode::from(2)
}

fn print(out: &Out, text: &str) -> ExitCode {
    match out.print(text) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`wireplan check | head`) is not a failure of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => usage_error(out, &format!("cannot write output: {e}")),
    }
}

/// Loads and checks the spec at `path` from the current folder; a usage
/// error (exit 2) when the levels or the entry file are unusable. From here
/// on, `out` masks the spec's credentials.
fn load_checked(
    out: &Out,
    path: Option<&std::path::Path>,
    levels: Option<&LevelArgs>,
) -> Result<crate::Checked, ExitCode> {
    let levels = match levels.map(LevelArgs::resolve).transpose() {
        Ok(levels) => levels.unwrap_or_default(),
        Err(message) => return Err(usage_error(out, &message)),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    // AsyncAPI, Node-RED, n8n, Make and EventCatalog inputs are imported in
    // memory; their findings point back at the documents (`import`).
    let checked = crate::import::check_path(path, &cwd, &levels)
        .unwrap_or_else(|| crate::check_path(path, &cwd, &levels))
        .map_err(|e| usage_error(out, &e.to_string()))?;
    out.learn(&checked.redactor);
    Ok(checked)
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}

/// Writes a report the user asked for to `path` (relative to the current
/// folder) with the one writer: atomically, never over a file of the spec
/// that was read, nor over anything that is not a regular file.
fn write_output(out: &Out, checked: &crate::Checked, path: &std::path::Path, text: &str) -> Result<(), ExitCode> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let target = cwd.join(path);
    out.write_file(&spec_writer(checked), &target, text).map_err(|e| usage_error(out, &e.to_string()))
}

/// Reads a small regular file the user named (a baseline).
fn read_regular(path: &std::path::Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// The one writer, refusing to write over any spec file of this run.
fn spec_writer(checked: &crate::Checked) -> crate::write::Writer {
    crate::write::Writer::new(checked.sources.files().map(|(_, f)| f.path.as_path()))
}
