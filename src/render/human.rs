//! The human report: miette's graphical diagnostics, one per finding, and a
//! summary line.
//!
//! Labels in the diagnostic's own file are drawn on its snippet; a label in
//! another file (a duplicate declared in an included file, say) is drawn as a
//! related note with that file's snippet.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::Report;
use crate::diagnostic::{Diagnostic, Severity, Summary};
use crate::model::FileId;

/// How to draw the report.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) color: bool,
    /// Terminal width to wrap at.
    pub(crate) width: usize,
}

pub(crate) fn render(report: &Report<'_>, style: Style) -> String {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let sources: Vec<Arc<NamedSource<String>>> = report
        .sources
        .files()
        .map(|(_, f)| Arc::new(NamedSource::new(f.name.clone(), f.text.clone()).with_language("kdl")))
        .collect();
    let mut out = String::new();
    for d in report.diagnostics {
        let rendered = Rendered::new(d, &sources);
        if handler.render_report(&mut out, &rendered).is_err() {
            out.push_str(&format!("{}[{}]: {}\n", d.severity.as_str(), d.rule.name, d.message));
        }
        out.push('\n');
    }
    out.push_str(&summary_line(Summary::of(report.diagnostics), report.sources.files().count()));
    out
}

fn summary_line(s: Summary, files: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if s.errors + s.warnings + s.infos == 0 {
        return format!("no problems found in {}\n", plural(files, "file"));
    }
    let mut parts = Vec::new();
    if s.errors > 0 {
        parts.push(plural(s.errors, "error"));
    }
    if s.warnings > 0 {
        parts.push(plural(s.warnings, "warning"));
    }
    if s.infos > 0 {
        parts.push(format!("{} info", s.infos));
    }
    format!("found {} in {}\n", parts.join(", "), plural(files, "file"))
}

/// A diagnostic seen through miette's eyes, for one file.
struct Rendered {
    severity: Severity,
    code: String,
    message: String,
    help: Option<String>,
    source: Arc<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl Rendered {
    fn new(d: &Diagnostic, sources: &[Arc<NamedSource<String>>]) -> Self {
        let file = d.primary.loc.file;
        let mut labels =
            vec![LabeledSpan::new_primary_with_span(non_empty(&d.primary.message), span(d.primary.loc.span))];
        let mut related = Vec::new();
        for l in &d.secondary {
            if l.loc.file == file {
                labels.push(LabeledSpan::new_with_span(non_empty(&l.message), span(l.loc.span)));
            } else {
                related.push(Rendered {
                    severity: Severity::Info,
                    code: String::new(),
                    message: l.message.clone(),
                    help: None,
                    source: source(sources, l.loc.file),
                    labels: vec![LabeledSpan::new_primary_with_span(None, span(l.loc.span))],
                    related: Vec::new(),
                });
            }
        }
        Rendered {
            severity: d.severity,
            code: format!("{}[{}]", d.rule.code, d.rule.name),
            message: d.message.clone(),
            help: d.help.clone(),
            source: source(sources, file),
            labels,
            related,
        }
    }
}

fn source(sources: &[Arc<NamedSource<String>>], file: FileId) -> Arc<NamedSource<String>> {
    sources[file.0 as usize].clone()
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn span(s: crate::syntax::Span) -> SourceSpan {
    SourceSpan::new((s.start as usize).into(), s.len())
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&*self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}
