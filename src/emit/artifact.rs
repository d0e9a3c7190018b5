//! What a backend hands back: the files it generated (`Artifact`, a
//! relative `/`-separated path and its bytes), what the user should know
//! about them (`Note`), and the problems that stop the build (`Emitted`);
//! and what it reads (`Input`, the checked spec). The build notes section
//! every generated README ends with is written here, once for all backends.

use std::fmt::Write as _;

use crate::diagnostic::Diagnostic;
use crate::escape;
use crate::model::{FlowId, Spec};

/// One generated file: where it goes inside `--out`, `/`-separated, and its
/// contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Artifact {
    pub(crate) path: String,
    pub(crate) bytes: Vec<u8>,
}

/// Something the user should know about what was (not) generated.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Note {
    /// The flow it is about, if any.
    pub(crate) flow: Option<String>,
    pub(crate) message: String,
}

/// What a backend made of the spec.
#[derive(Debug, Default)]
pub(crate) struct Emitted {
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) notes: Vec<Note>,
    /// Problems that make the output unusable; the CLI writes nothing then.
    pub(crate) errors: Vec<String>,
    /// Such problems that have a place in the spec (two names emitted as one
    /// identifier, a value no SQL literal of a warehouse can hold).
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The flows the backend built, in spec order.
    pub(crate) built: Vec<FlowId>,
    /// Statements of the built flows the target does not carry out
    /// (`fidelity`): printed, and the build goes on unless warnings are
    /// denied.
    pub(crate) warnings: Vec<Diagnostic>,
    /// How the target carries out each statement the built flows use, as
    /// `build` prints it before writing.
    pub(crate) summary: String,
    /// The same per built flow, for `build --format json`
    /// (`fidelity::per_flow`).
    pub(crate) review: super::fidelity::Review,
}

/// The checked spec a backend reads. Backends need only the model; one that
/// comes to route by the topology adds the graph here.
pub(crate) struct Input<'a> {
    pub(crate) spec: &'a Spec,
}

/// The "Build notes" section every backend's generated README ends with: the
/// flows left out and the defaults used, as `build` printed them.
pub(crate) fn notes_section(out: &mut String, notes: &[Note]) {
    if notes.is_empty() {
        return;
    }
    out.push_str("\n## Build notes\n\n");
    for note in notes {
        let _ = match &note.flow {
            Some(flow) => writeln!(out, "- {}: {}", escape::markdown_text(flow), escape::markdown_text(&note.message)),
            None => writeln!(out, "- {}", escape::markdown_text(&note.message)),
        };
    }
}
