//! GitHub Actions workflow commands: `::error file=...,line=...::message`,
//! which GitHub shows as annotations on the pull request's diff. Names are
//! escaped twice: control characters as `text` shows them (so no raw escape
//! sequence reaches the log), then `%`, CR and LF as the runner expects (so no
//! name starts a workflow command of its own, such as `::add-mask::`).

use std::fmt::Write;

use super::{Report, text};
use crate::diagnostic::Severity;

pub(crate) fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let file = report.sources.get(d.primary.loc.file);
        let start = file.position(d.primary.loc.span.start);
        let end = file.position(d.primary.loc.span.end);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = text::one_line(&d.message).into_owned();
        if let Some(help) = Some(d.help.as_ref()).filter(|h| !h.is_empty()) {
            let _ = write!(message, "\nhelp: {}", text::lines(help));
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&text::one_line(&file.name)),
            start.line,
            start.column,
            end.line,
            end.column,
            property(&format!("{} ({})", d.rule.name, d.rule.code)),
            data(&message)
        );
    }
    out
}

/// Escapes a message as the runner expects (`%`, CR and LF).
pub(crate) fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`, which delimit properties).
pub(crate) fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_delimiters() {
        assert_eq!(super::property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(super::data("50% done\nnext"), "50%25 done%0Anext");
    }
}
