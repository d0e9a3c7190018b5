//! One line per diagnostic, `file:line:column: severity[rule]: message`, as
//! compilers print for editors' quickfix lists and for grep.

use std::fmt::Write;

use super::Report;

pub(crate) fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let file = report.sources.get(d.primary.loc.file);
        let pos = file.position(d.primary.loc.span.start);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            file.name,
            pos.line,
            pos.column,
            d.severity.as_str(),
            d.rule.name,
            d.message
        );
    }
    out
}
