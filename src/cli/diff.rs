//! `wireplan diff`: two specs, or a spec and itself at a git revision,
//! compared node by node; the report is `render::diff`'s.

use std::process::ExitCode;

use super::args::{DiffArgs, DiffFormat, FailOn};
use super::{load_checked, print, usage_error};
use crate::out::Out;
use crate::render::{self, Report};

pub(super) fn diff(out: &Out, args: &DiffArgs) -> ExitCode {
    let (old, new) = match &args.against {
        Some(rev) => {
            let now = args.old.as_deref();
            if args.new.is_some() {
                return usage_error(out, "with --against REV, give at most one spec path (the spec now)");
            }
            match (super::revision::spec_at_revision(out, now, rev), load_checked(out, now, None)) {
                (Ok(old), Ok(new)) => (old, new),
                (Err(code), _) | (_, Err(code)) => return code,
            }
        }
        None => {
            let Some(new_path) = args.new.as_deref() else {
                return usage_error(out, "give OLD and NEW specs, or `--against REV`");
            };
            match (load_checked(out, args.old.as_deref(), None), load_checked(out, Some(new_path), None)) {
                (Ok(old), Ok(new)) => (old, new),
                (Err(code), _) | (_, Err(code)) => return code,
            }
        }
    };
    // A spec that cannot be read whole has no meaning to compare: what is
    // missing from it would show as removed (or pass as unchanged). A
    // reference in the new spec to what the change removed is no such
    // error: it is the break the diff reports, with the flows it breaks.
    let mut unreadable = false;
    for (which, checked) in [("old", &old), ("new", &new)] {
        let compared_anyway = |d: &&crate::diagnostic::Diagnostic| {
            which == "new" && std::ptr::eq(d.rule, &crate::diagnostic::UNRESOLVED_REFERENCE)
        };
        let errors: Vec<_> =
            checked.diagnostics.iter().filter(|d| !d.rule.is_configurable() && !compared_anyway(d)).cloned().collect();
        if errors.is_empty() {
            continue;
        }
        unreadable = true;
        let report = Report { sources: &checked.sources, diagnostics: &errors, identities: &[] };
        out.eprint(&render::short::render(&report));
        out.eprintln(format_args!(
            "error: the {which} spec has {}; `wireplan diff` compares specs without spec errors",
            crate::prose::plural(errors.len(), "spec error")
        ));
    }
    if unreadable {
        return ExitCode::from(2);
    }
    let changes = crate::diff::diff(&old, &new);
    let text = match args.format {
        DiffFormat::Human => render::diff::human(&changes),
        DiffFormat::Markdown => render::diff::markdown(&changes),
        DiffFormat::Json => render::diff::json(&changes),
    };
    let printed = print(out, &text);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    let worst = changes.iter().map(|c| c.class).min();
    let fails = match args.fail_on {
        FailOn::Breaking => worst == Some(crate::diff::Class::Breaking),
        FailOn::Risky => worst.is_some_and(|w| w <= crate::diff::Class::Risky),
        FailOn::Never => false,
    };
    if fails { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
