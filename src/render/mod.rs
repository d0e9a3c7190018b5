//! Turning diagnostics into output: human (rustc-style), JSON, SARIF, GitHub
//! Actions annotations, JUnit XML and short lines, chosen by `Format` (as
//! `emit::Target` chooses a backend); the system graph into Mermaid or DOT
//! (`graph`); the planner's reports (`plan`); and `diff`'s reports (`diff`).
//!
//! Renderers are pure: they take the diagnostics and the sources and return
//! text. The CLI decides where it goes.

pub(crate) mod diff;
pub(crate) mod github;
pub(crate) mod graph;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod plan;
pub(crate) mod sarif;
pub(crate) mod short;

// Escaping lives below every stage (`load` escapes file names too); the
// renderers know it as `render::text`.
pub(crate) use crate::escape as text;

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// Everything a renderer needs.
pub(crate) struct Report<'a> {
    pub(crate) sources: &'a SourceMap,
    pub(crate) diagnostics: &'a [Diagnostic],
    /// The identity of each diagnostic (for SARIF fingerprints), or empty.
    pub(crate) identities: &'a [crate::baseline::Identity],
}

/// The formats `wireplan check` prints diagnostics in (`--format`); the
/// doc comments are its `--help`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum Format {
    /// Graphical diagnostics with source snippets.
    Human,
    /// One JSON object (see schemas/diagnostics.schema.json).
    Json,
    /// One line per diagnostic: file:line:column: severity[rule]: message.
    Short,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions annotations (`::error file=...::message`).
    Github,
    /// JUnit XML: a test suite per rule, a test case per node with findings.
    Junit,
}

impl Format {
    /// Whether the format carries each finding's identity (its
    /// fingerprint), which costs a pass over the spec to compute.
    pub(crate) fn needs_identities(self) -> bool {
        matches!(self, Format::Sarif | Format::Junit)
    }
}

/// The diagnostics of `report` in `format`; `style` is the human format's.
pub(crate) fn render(format: Format, report: &Report<'_>, style: human::Style) -> String {
    match format {
        Format::Human => human::render(report, style),
        Format::Json => json::render(report),
        Format::Short => short::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Junit => junit::render(report),
    }
}

/// The JSON Schema of `T`, as committed in `schemas/`.
#[cfg(test)]
pub(crate) fn schema_of<T: schemars::JsonSchema>() -> String {
    let mut text = serde_json::to_string_pretty(&schemars::schema_for!(T)).unwrap_or_default();
    text.push('\n');
    text
}

/// Fails when `schemas/NAME` is not `fresh`; `WIREPLAN_UPDATE_SCHEMAS=1`
/// writes it instead. Every committed schema is checked through this.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn assert_schema_fresh(name: &str, fresh: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(name);
    if std::env::var_os("WIREPLAN_UPDATE_SCHEMAS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == fresh, "schemas/{name} is stale: run `WIREPLAN_UPDATE_SCHEMAS=1 cargo test`");
}
