//! The JSON report: `{"version": 1, "diagnostics": [...], "summary": {...}}`,
//! each diagnostic with its `fixes` (text edits) where it has one.
//!
//! These types are the contract with CI scripts and other tools; the schema in
//! `schemas/diagnostics.schema.json` is generated from them, and a test fails
//! when the committed schema is stale.

use schemars::JsonSchema;
use serde::Serialize;

use super::Report;
use crate::diagnostic::{Applicability, Diagnostic, Label, Resolver, Severity, Summary};
use crate::source::SourceMap;

/// The report `wireplan check --format json` prints.
#[derive(Serialize, JsonSchema)]
#[schemars(title = "wireplan diagnostics", deny_unknown_fields)]
pub(crate) struct JsonReport {
    /// The version of this format; it changes only when a field changes meaning or goes away.
    pub(crate) version: u32,
    /// Every finding, ordered by file, then position.
    pub(crate) diagnostics: Vec<JsonDiagnostic>,
    pub(crate) summary: Summary,
}

/// One finding. Positions are 1-based; columns count characters; ends are exclusive.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct JsonDiagnostic {
    /// The rule's stable name, as written in `lint` and `allow`.
    pub(crate) rule: String,
    /// The rule's stable code, such as `WP101`.
    #[schemars(regex(pattern = r"^WP[0-9]{3}$"))]
    pub(crate) code: String,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    /// The file, relative to the current folder where it can be, `/`-separated.
    pub(crate) file: String,
    #[schemars(range(min = 1))]
    pub(crate) line: u32,
    #[schemars(range(min = 1))]
    pub(crate) column: u32,
    #[schemars(range(min = 1))]
    pub(crate) end_line: u32,
    #[schemars(range(min = 1))]
    pub(crate) end_column: u32,
    /// The primary label first, then the places that explain it.
    pub(crate) labels: Vec<JsonLabel>,
    /// What to do about it.
    pub(crate) help: String,
    /// The mechanical change that settles the finding, where there is one
    /// (absent otherwise): what `check --fix` applies and editors offer. A
    /// fix of more than 1,000 edits is left out, as findings past 1,000 of
    /// a rule in a file are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    pub(crate) fixes: Vec<JsonFix>,
}

/// A fix: all of its edits or none.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct JsonFix {
    /// What it does: "Add `log`".
    pub(crate) title: String,
    /// `safe`: it changes nothing about what is delivered where (`check
    /// --fix` applies it); `unsafe`: it changes delivery and needs review
    /// (`check --fix --unsafe-fixes`).
    pub(crate) applicability: Applicability,
    /// Replacements of text, sorted by file and place, none overlapping.
    pub(crate) edits: Vec<JsonEdit>,
}

/// The text from (`line`, `column`) to (`end_line`, `end_column`), exclusive,
/// becomes `new_text`; an insertion has its end at its start. Positions are
/// 1-based; columns count characters.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct JsonEdit {
    pub(crate) file: String,
    #[schemars(range(min = 1))]
    pub(crate) line: u32,
    #[schemars(range(min = 1))]
    pub(crate) column: u32,
    #[schemars(range(min = 1))]
    pub(crate) end_line: u32,
    #[schemars(range(min = 1))]
    pub(crate) end_column: u32,
    pub(crate) new_text: String,
}

/// The fixes of `d` as the report writes them: its fix resolved to text
/// edits of the loaded files.
fn fixes(sources: &SourceMap, resolver: &mut Resolver<'_>, d: &Diagnostic) -> Vec<JsonFix> {
    let Some(fix) = d.fix.as_ref().filter(|f| f.is_reported()) else { return Vec::new() };
    let Some(edits) = resolver.resolve(fix) else { return Vec::new() };
    let edits = edits
        .into_iter()
        .map(|e| {
            let file = sources.get(e.file);
            let (start, end) = (file.position(e.span.start), file.position(e.span.end));
            JsonEdit {
                file: file.name.clone(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                new_text: e.text,
            }
        })
        .collect();
    vec![JsonFix { title: fix.title.clone(), applicability: fix.applicability, edits }]
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct JsonLabel {
    pub(crate) file: String,
    #[schemars(range(min = 1))]
    pub(crate) line: u32,
    #[schemars(range(min = 1))]
    pub(crate) column: u32,
    #[schemars(range(min = 1))]
    pub(crate) end_line: u32,
    #[schemars(range(min = 1))]
    pub(crate) end_column: u32,
    pub(crate) message: String,
    /// Whether this is the diagnostic's own span.
    pub(crate) primary: bool,
}

fn label(sources: &SourceMap, label: &Label, primary: bool) -> JsonLabel {
    let file = sources.get(label.loc.file);
    let start = file.position(label.loc.span.start);
    let end = file.position(label.loc.span.end);
    JsonLabel {
        file: file.name.clone(),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        message: label.message.to_string(),
        primary,
    }
}

pub(crate) fn diagnostic(sources: &SourceMap, resolver: &mut Resolver<'_>, d: &Diagnostic) -> JsonDiagnostic {
    let primary = label(sources, &d.primary, true);
    let mut labels = vec![label(sources, &d.primary, true)];
    labels.extend(d.secondary.iter().map(|l| label(sources, l, false)));
    JsonDiagnostic {
        rule: d.rule.name.to_owned(),
        code: d.rule.code.to_owned(),
        severity: d.severity,
        message: d.message.clone(),
        file: primary.file,
        line: primary.line,
        column: primary.column,
        end_line: primary.end_line,
        end_column: primary.end_column,
        labels,
        help: d.help.to_string(),
        fixes: fixes(sources, resolver, d),
    }
}

pub(crate) fn render(report: &Report<'_>) -> String {
    let json = JsonReport {
        version: 1,
        diagnostics: {
            // Each file a fix adds to is parsed once, however many fixes.
            let mut resolver = Resolver::new(report.sources);
            report.diagnostics.iter().map(|d| diagnostic(report.sources, &mut resolver, d)).collect()
        },
        summary: Summary::of(report.diagnostics),
    };
    crate::render::text::to_json(&json)
}

#[cfg(test)]
mod tests {
    /// The committed schema matches the types (`WIREPLAN_UPDATE_SCHEMAS=1`
    /// regenerates it).
    #[test]
    fn committed_schema_is_fresh() {
        crate::render::assert_schema_fresh("diagnostics.schema.json", &crate::render::schema_of::<super::JsonReport>());
    }
}
