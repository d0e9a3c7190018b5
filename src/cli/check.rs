//! `wireplan check`: the spec's diagnostics in the chosen format, with
//! baselines and `--changed-since`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::args::CheckArgs;
use super::{load_checked, print, read_regular, terminal_width, usage_error, write_output};
use crate::baseline::{self, Baseline, Identity};
use crate::diagnostic::Severity;
use crate::out::Out;
use crate::render::{self, Report};

pub(super) fn check(out: &Out, args: &CheckArgs) -> ExitCode {
    if !args.files.is_empty() {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        return super::files::for_each_spec(out, &args.files, &cwd, super::files::Documents::Asyncapi, |entry| {
            check(out, &CheckArgs { path: Some(entry.to_path_buf()), files: Vec::new(), ..args.clone() })
        });
    }
    let checked = match load_checked(out, args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    // `--fix`, `--diff` (src/fix/): what remains is reported as any check is.
    let mut checked = match crate::fix::for_check(out, checked, &args.fix, &args.levels.resolve().unwrap_or_default()) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    // A finding's identity (rule, node path, fingerprint) is needed only by
    // baselines, `--changed-since` and the formats that carry fingerprints.
    let needs_identities = args.baseline.is_some()
        || args.write_baseline.is_some()
        || args.changed_since.is_some()
        || args.format.needs_identities();
    let mut identities: Vec<Identity> = if needs_identities {
        checked.diagnostics.iter().map(|d| baseline::identity(d, &checked.spec, &checked.sources)).collect()
    } else {
        Vec::new()
    };
    if let Some(path) = &args.write_baseline {
        let recorded = Baseline::record(&checked.diagnostics, &identities);
        if let Err(code) = write_output(out, &checked, path, &recorded.to_json()) {
            return code;
        }
        out.eprintln(format_args!(
            "wrote {} with {} finding(s); `wireplan check --baseline {0}` reports only new ones",
            crate::escape::one_line(&path.display().to_string()),
            checked.diagnostics.len()
        ));
        return ExitCode::SUCCESS;
    }
    if let Some(rev) = &args.changed_since {
        let old = match super::revision::spec_at_revision(out, args.path.as_deref(), rev) {
            Ok(old) => old,
            Err(code) => return code,
        };
        let changed = crate::diff::changed_nodes(&old.spec, &checked.spec);
        // Findings no node owns (a syntax error, an include) are always kept.
        let keep: Vec<bool> =
            identities.iter().map(|id| id.path == baseline::SPEC_PATH || changed.contains(&id.path)).collect();
        let mut k = keep.iter();
        checked.diagnostics.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        identities.retain(|_| *k.next().unwrap_or(&true));
    }
    let mut hidden = 0;
    if let Some(path) = &args.baseline {
        let baseline = match read_regular(path).and_then(|text| Baseline::parse(&text)) {
            Ok(baseline) => baseline,
            Err(e) => return usage_error(out, &format!("{}: {e}", path.display())),
        };
        if baseline.is_outdated() {
            out.eprintln(format_args!(
                "note: {} is a version {} baseline, matched as it was written; `--write-baseline` rewrites it in today's format, which survives moved files and changed counts",
                crate::escape::one_line(&path.display().to_string()),
                baseline.version
            ));
        }
        let hides = baseline.hides(&checked.diagnostics, &identities, &checked.spec, &checked.sources);
        hidden = hides.iter().filter(|h| **h).count();
        let mut keep = hides.iter().map(|h| !h);
        checked.diagnostics.retain(|_| keep.next().unwrap_or(true));
        let mut keep = hides.iter().map(|h| !h);
        identities.retain(|_| keep.next().unwrap_or(true));
    }
    let render_start = std::time::Instant::now();
    let report = Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &identities };
    let style = render::human::Style { color: args.color.color.enabled(), width: terminal_width() };
    let text = render::render(args.format, &report, style);
    let render_time = render_start.elapsed();
    let printed = print(out, &text);
    if std::env::var_os("WIREPLAN_TIMINGS").is_some_and(|v| !v.is_empty()) {
        let phases = checked.timings.iter().copied().chain([("render and print", render_start.elapsed())]);
        for (phase, time) in phases {
            out.eprintln(format_args!("timing: {phase:<20} {:>10.3} ms", time.as_secs_f64() * 1000.0));
        }
        out.eprintln(format_args!(
            "timing: {:<20} {:>10.3} ms",
            "(of which render)",
            render_time.as_secs_f64() * 1000.0
        ));
    }
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if let Some(path) = args.baseline.as_ref().filter(|_| hidden > 0) {
        out.eprintln(format_args!(
            "{hidden} finding(s) hidden by the baseline {}",
            crate::escape::one_line(&path.display().to_string())
        ));
    }
    let code = if checked.diagnostics.iter().any(|d| d.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here: freeing the model piece by piece would only
    // cost time (about 40 ms on the 100k-flow benchmark spec), and the
    // operating system takes the memory back at once.
    std::mem::forget(checked);
    code
}
