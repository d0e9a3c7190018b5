//! `wireplan plan`: the stage recommendation as text, Markdown or JSON,
//! and the HTML report, written through the one writer.

use std::process::ExitCode;

use super::args::{PlanArgs, PlanFormat};
use super::{load_checked, print, terminal_width, write_output};
use crate::diagnostic::Severity;
use crate::out::Out;
use crate::render::{self, Report};

pub(super) fn plan(out: &Out, args: &PlanArgs) -> ExitCode {
    let checked = match load_checked(out, args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let plan = crate::plan::compute(&checked.spec, &checked.diagnostics);
    // Errors are reported on stderr, keeping stdout for the plan; spec errors
    // also make the plan partial.
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect();
    if !errors.is_empty() {
        let report = Report { sources: &checked.sources, diagnostics: &errors, identities: &[] };
        out.eprint(&render::short::render(&report));
        if errors.iter().any(|d| !d.rule.is_configurable()) {
            out.eprintln(
                "error: the spec has errors; the plan covers only what could be read (`wireplan check` explains them)",
            );
        } else {
            out.eprintln("error: the checks report errors (`wireplan check` explains them)");
        }
    }
    if let Some(path) = &args.html {
        let page = render::plan::html::Page {
            plan: &plan,
            spec: &checked.spec,
            graph: &checked.graph,
            sources: &checked.sources,
            diagnostics: &checked.diagnostics,
        };
        let html = render::plan::html::render(&page);
        if let Err(code) = write_output(out, &checked, path, &html) {
            return code;
        }
        out.eprintln(format_args!("wrote {}", crate::escape::one_line(&path.display().to_string())));
    }
    let format = match (args.format, &args.html) {
        (Some(format), _) => Some(format),
        (None, None) => Some(PlanFormat::Human),
        (None, Some(_)) => None,
    };
    if let Some(format) = format {
        let text = match format {
            PlanFormat::Human => render::plan::human::render(&plan, terminal_width()),
            PlanFormat::Markdown => render::plan::markdown::render(&plan),
            PlanFormat::Json => render::plan::json::render(&plan),
        };
        let printed = print(out, &text);
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    }
    if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
