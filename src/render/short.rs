//! One line per diagnostic, `file:line:column: severity[rule]: message`, as
//! compilers print for editors' quickfix lists and for grep. A name holding a
//! line break or a control character is printed escaped, so one diagnostic
//! is always one line and no line of the output is the spec's own text.

use std::fmt::Write;

use super::{Report, text};

pub(crate) fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let file = report.sources.get(d.primary.loc.file);
        let pos = file.position(d.primary.loc.span.start);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            text::one_line(&file.name),
            pos.line,
            pos.column,
            d.severity.as_str(),
            d.rule.name,
            text::one_line(&d.message)
        );
    }
    out
}
