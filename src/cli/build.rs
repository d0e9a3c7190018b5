//! `wireplan build`: a backend's files from a spec without errors, through
//! the one writer (or compared with the folder, with `--check`); with
//! `--format json`, what it carried out and wrote as one JSON object on
//! stdout (`emit::report`).

use std::path::PathBuf;
use std::process::ExitCode;

use super::args::{BuildArgs, BuildFormat};
use super::{load_checked, print, spec_writer, usage_error};
use crate::diagnostic::Severity;
use crate::emit::report::{BuildNote, BuildReport, FileChange, Outcome};
use crate::out::Out;
use crate::render::{self, Report};

pub(super) fn build(out: &Out, args: &BuildArgs) -> ExitCode {
    let mut report = BuildReport {
        version: 1,
        target: args.target.name(),
        outcome: Outcome::NotBuilt,
        flows: Vec::new(),
        notes: Vec::new(),
        not_carried_out: 0,
        files: Vec::new(),
        errors: Vec::new(),
    };
    let code = run(out, args, &mut report);
    if args.format == BuildFormat::Json {
        let printed = print(out, &crate::emit::report::json(&report));
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    }
    code
}

/// The build, filling `report` as it goes; the human output goes to stderr
/// as it happens.
fn run(out: &Out, args: &BuildArgs, report: &mut BuildReport) -> ExitCode {
    let human = args.format == BuildFormat::Human;
    let checked = match load_checked(out, args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => {
            report.errors.push("the spec could not be read (the message above says why)".to_owned());
            return code;
        }
    };
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect();
    let warnings = checked.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    if !errors.is_empty() {
        let shown = Report { sources: &checked.sources, diagnostics: &errors, identities: &[] };
        out.eprint(&render::short::render(&shown));
        let why = if args.levels.deny_warnings && errors.iter().any(|d| d.rule.is_configurable()) {
            " (--deny-warnings makes warnings errors)"
        } else {
            ""
        };
        out.eprintln(format_args!(
            "error: the spec has {} error(s){why}; nothing was built (`wireplan check` explains them)",
            errors.len()
        ));
        report.errors.extend(errors.iter().map(|d| d.message.clone()));
        return ExitCode::from(1);
    }
    if warnings > 0 {
        out.eprintln(format_args!(
            "warning: the spec has {warnings} warning(s) (`wireplan check` lists them); building anyway"
        ));
    }
    let input = crate::emit::Input { spec: &checked.spec };
    let emitted = crate::emit::emit(args.target, &input);
    report.not_carried_out = emitted.warnings.len();
    // The report is printed only as JSON: its statements of each flow (ten
    // or so a flow, 14 MB at 10,000 flows) are made only then.
    if !human {
        report.flows = crate::emit::fidelity::per_flow(&checked.spec, args.target, &emitted.review);
        report.notes =
            emitted.notes.iter().map(|n| BuildNote { flow: n.flow.clone(), message: n.message.clone() }).collect();
    }
    print_notes(out, &emitted.notes);
    print_build_findings(out, &checked, &emitted.diagnostics);
    print_build_findings(out, &checked, &emitted.warnings);
    if human {
        out.eprint(&emitted.summary);
    }
    if args.levels.deny_warnings && !emitted.warnings.is_empty() {
        let message = format!(
            "--deny-warnings: {} statement(s) of the spec are not carried out by --target {}; nothing was built",
            emitted.warnings.len(),
            args.target.name()
        );
        out.eprintln(format_args!("error: {message}"));
        report.errors.push(message);
        return ExitCode::from(1);
    }
    if !emitted.errors.is_empty() || !emitted.diagnostics.is_empty() {
        for e in &emitted.errors {
            out.eprintln(format_args!("error: {}", crate::escape::one_line(e)));
        }
        report.errors.extend(emitted.errors.iter().cloned());
        report.errors.extend(emitted.diagnostics.iter().map(|d| d.message.clone()));
        out.eprintln("error: nothing was built");
        return ExitCode::from(1);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let dir = cwd.join(&args.out);
    let writer = spec_writer(&checked);
    let target = args.target.name();
    if args.check {
        return match crate::write::compare_tree(&writer, &dir, target, &emitted.artifacts) {
            Ok(differences) if differences.is_empty() => {
                report.outcome = Outcome::UpToDate;
                out.eprintln(format_args!("{} is up to date", args.out.display()));
                ExitCode::SUCCESS
            }
            Ok(differences) => {
                report.outcome = Outcome::Differs;
                report.files = differences
                    .iter()
                    .map(|d| FileChange { path: d.path().to_owned(), change: d.label().to_owned() })
                    .collect();
                if human {
                    let mut listed = String::new();
                    for d in &differences {
                        listed.push_str(&format!("{}: {}\n", d.label(), crate::escape::one_line(d.path())));
                    }
                    let printed = print(out, &listed);
                    if printed != ExitCode::SUCCESS {
                        return printed;
                    }
                }
                out.eprintln(format_args!(
                    "error: {} differs from what the spec generates ({} file(s)); run `wireplan build` to update it",
                    args.out.display(),
                    differences.len()
                ));
                ExitCode::from(1)
            }
            Err(e) => {
                report.outcome = Outcome::WriteFailed;
                report.errors.push(e.to_string());
                usage_error(out, &e.to_string())
            }
        };
    }
    match crate::write::write_tree(&writer, &dir, target, &emitted.artifacts, args.force) {
        Ok(written) => {
            let change = |path: &String, change: &str| FileChange { path: path.clone(), change: change.to_owned() };
            report.files = written.written.iter().map(|p| change(p, "written")).collect();
            report.files.extend(written.removed.iter().map(|p| change(p, "removed")));
            report.files.sort_by(|a, b| a.path.cmp(&b.path));
            if human {
                for path in &written.written {
                    out.eprintln(format_args!("wrote {}", dir.join(path).display()));
                }
                for path in &written.removed {
                    out.eprintln(format_args!("removed {} (no longer generated)", dir.join(path).display()));
                }
            }
            report.outcome = if written.written.is_empty() && written.removed.is_empty() {
                out.eprintln(format_args!("{} is up to date", args.out.display()));
                Outcome::UpToDate
            } else {
                Outcome::Written
            };
            ExitCode::SUCCESS
        }
        Err(errors) => {
            report.outcome = Outcome::WriteFailed;
            let refused = errors.iter().any(|e| matches!(e, crate::write::WriteError::Refused { .. }));
            for e in &errors {
                out.eprintln(format_args!("error: {}", crate::escape::one_line(&e.to_string())));
                report.errors.push(e.to_string());
            }
            out.eprintln("error: the build stopped");
            ExitCode::from(if refused { 1 } else { 2 })
        }
    }
}

/// How many of the flows a shared note is about the terminal names; the
/// README and `--format json` name them all.
const NOTE_FLOWS_SHOWN: usize = 10;

/// The build notes, one line per message: a note about one flow names it,
/// a note shared by many names the first few and counts the rest.
fn print_notes(out: &Out, notes: &[crate::emit::Note]) {
    let quoted = |flow: &str| crate::escape::one_line(&format!("{flow:?}")).into_owned();
    for group in crate::emit::grouped(notes) {
        let message = crate::escape::one_line(group.message);
        match group.flows.as_slice() {
            [] => out.eprintln(format_args!("note: {message}")),
            [flow] => out.eprintln(format_args!("note: flow {}: {message}", quoted(flow))),
            flows => {
                let shown: Vec<String> = flows.iter().take(NOTE_FLOWS_SHOWN).map(|f| quoted(f)).collect();
                let more = match flows.len() - shown.len() {
                    0 => String::new(),
                    more => format!(" and {more} more (the generated README names them all)"),
                };
                out.eprintln(format_args!("note: {} flows: {message}: {}{more}", flows.len(), shown.join(", ")));
            }
        }
    }
}

/// The build's own findings, short, each distinct help once.
fn print_build_findings(out: &Out, checked: &crate::Checked, findings: &[crate::diagnostic::Diagnostic]) {
    if findings.is_empty() {
        return;
    }
    let report = Report { sources: &checked.sources, diagnostics: findings, identities: &[] };
    out.eprint(&render::short::render(&report));
    let mut helps: Vec<&str> = findings.iter().map(|d| d.help.as_ref()).collect();
    helps.sort_unstable();
    helps.dedup();
    for help in helps {
        out.eprintln(format_args!("help: {}", crate::escape::one_line(help)));
    }
}
