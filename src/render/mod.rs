//! Turning diagnostics into output: human (rustc-style), JSON, SARIF, GitHub
//! Actions annotations and short lines; the system graph into Mermaid or DOT
//! (`graph`); and the planner's reports (`plan`).
//!
//! Renderers are pure: they take the diagnostics and the sources and return
//! text. The CLI decides where it goes.

pub(crate) mod github;
pub(crate) mod graph;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod plan;
pub(crate) mod sarif;
pub(crate) mod short;
pub(crate) mod text;

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// Everything a renderer needs.
pub(crate) struct Report<'a> {
    pub(crate) sources: &'a SourceMap,
    pub(crate) diagnostics: &'a [Diagnostic],
}
