//! `wireplan graph`: the systems and flows as a Mermaid or DOT graph.

use std::process::ExitCode;

use super::args::{GraphArgs, GraphFormat, GraphView};
use super::{load_checked, print};
use crate::diagnostic::Severity;
use crate::out::Out;
use crate::render::{self};

pub(super) fn graph(out: &Out, args: &GraphArgs) -> ExitCode {
    let checked = match load_checked(out, args.path.as_deref(), None) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let layout = match args.view {
        GraphView::Logical => render::graph::Layout::Logical,
        GraphView::Physical => render::graph::Layout::Physical,
    };
    let view = render::graph::View::new(&checked.spec, &checked.graph, &checked.diagnostics, layout);
    let text = match args.format {
        GraphFormat::Mermaid => render::graph::mermaid(&view),
        GraphFormat::Dot => render::graph::dot(&view),
    };
    let printed = print(out, &text);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    let errors = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 {
        out.eprintln(format_args!(
            "error: the spec has {errors} error(s); `wireplan check` lists them. The graph shows what resolved."
        ));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
