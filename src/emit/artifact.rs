//! What a backend hands back: the files it generated (`Artifact`, a
//! relative `/`-separated path and its contents, as bytes or, for a large
//! document, as a function that writes them), what the user should know
//! about them (`Note`), and the problems that stop the build (`Emitted`);
//! and what it reads (`Input`, the checked spec). The build notes section
//! every generated README ends with is written here, once for all backends.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::escape;
use crate::model::{FlowId, Spec};

/// One generated file: where it goes inside `--out`, `/`-separated, and its
/// contents.
#[derive(Clone)]
pub(crate) struct Artifact {
    pub(crate) path: String,
    pub(crate) body: Body,
}

/// Writes a document into the sink it is given, the same bytes every time.
pub(crate) type Producer = dyn Fn(&mut dyn io::Write) -> io::Result<()> + Send + Sync;

/// An artifact's contents. A document many times the spec's size (the
/// hub's `flows.json`) is a `Stream`: the writer runs it straight into the
/// file (and the hash), so that the whole text is never held; running it
/// twice gives the same bytes.
#[derive(Clone)]
pub(crate) enum Body {
    Bytes(Vec<u8>),
    Stream(Arc<Producer>),
}

impl Artifact {
    pub(crate) fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Artifact {
        Artifact { path: path.into(), body: Body::Bytes(bytes.into()) }
    }

    /// An artifact whose bytes `produce` writes when they are needed.
    pub(crate) fn streamed(
        path: impl Into<String>,
        produce: impl Fn(&mut dyn io::Write) -> io::Result<()> + Send + Sync + 'static,
    ) -> Artifact {
        Artifact { path: path.into(), body: Body::Stream(Arc::new(produce)) }
    }

    /// Writes the contents into `out`.
    pub(crate) fn write_to(&self, out: &mut dyn io::Write) -> io::Result<()> {
        match &self.body {
            Body::Bytes(bytes) => out.write_all(bytes),
            Body::Stream(produce) => produce(out),
        }
    }

    /// The contents, made in memory if they are streamed (for what reads a
    /// document whole: `drift`, `deploy`, tests).
    pub(crate) fn bytes(&self) -> Cow<'_, [u8]> {
        match &self.body {
            Body::Bytes(bytes) => Cow::Borrowed(bytes),
            Body::Stream(_) => {
                let mut out = Vec::new();
                // Writing into a vector fails only where the producer does,
                // and then the document is what it wrote up to there.
                let _ = self.write_to(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// Appends `extra` to the contents.
    pub(crate) fn append(&mut self, extra: Vec<u8>) {
        match &mut self.body {
            Body::Bytes(bytes) => bytes.extend_from_slice(&extra),
            Body::Stream(produce) => {
                let first = Arc::clone(produce);
                *produce = Arc::new(move |out: &mut dyn io::Write| {
                    first(out)?;
                    out.write_all(&extra)
                });
            }
        }
    }
}

impl std::fmt::Debug for Artifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Artifact").field("path", &self.path).field("bytes", &self.bytes().len()).finish()
    }
}

impl PartialEq for Artifact {
    fn eq(&self, other: &Artifact) -> bool {
        self.path == other.path && self.bytes() == other.bytes()
    }
}

impl Eq for Artifact {}

/// Something the user should know about what was (not) generated.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Note {
    /// The flow it is about, if any.
    pub(crate) flow: Option<String>,
    pub(crate) message: String,
}

/// The build note for a flow that `run-by` names a vendor's integration
/// (language 1.2): no target builds it, since it is not the team's to deploy.
pub(crate) fn run_by_note(runner: &str) -> String {
    format!(
        "not emitted: `run-by {runner}` says it is `{runner}`'s own integration or automation, which runs it; \
         deploy nothing for it"
    )
}

/// The build note for a batch flow (`schedule`, or `manual` since 1.2)
/// that writes no `warehouse` or `lake`: a reverse ETL, which no target
/// builds (the ETL target loads only storage, the hub and the broker run on
/// events and polls). Hub, broker and ETL targets say the same.
pub(crate) fn reverse_etl_note(manual: bool) -> String {
    format!(
        "not emitted: a {} batch flow into business tools (a reverse ETL) is built by no target: `--target etl` \
         loads only `warehouse` and `lake` systems, and the hub and the broker run on events and polls; run it with \
         a reverse-ETL tool, or trigger it by `poll` for `--target hub`",
        if manual { "hand-run" } else { "scheduled" }
    )
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

/// Notes of one message and the flows they are about, in the order of the
/// notes: a default that 10,000 flows share is one note naming them, not
/// 10,000 notes (and 11 MB of the hub's README at 100,000 flows).
pub(crate) struct NoteGroup<'a> {
    pub(crate) message: &'a str,
    /// Empty for a note about no flow.
    pub(crate) flows: Vec<&'a str>,
}

/// `notes` grouped by message, each group where its first note is.
pub(crate) fn grouped(notes: &[Note]) -> Vec<NoteGroup<'_>> {
    let mut groups: Vec<NoteGroup<'_>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, bool), usize> = std::collections::HashMap::new();
    for note in notes {
        let at = *index.entry((&note.message, note.flow.is_some())).or_insert_with(|| {
            groups.push(NoteGroup { message: &note.message, flows: Vec::new() });
            groups.len() - 1
        });
        groups[at].flows.extend(note.flow.as_deref());
    }
    groups
}

/// The "Build notes" section every backend's generated README ends with: the
/// flows left out and the defaults used, as `build` printed them, one line
/// per message naming every flow it is about.
pub(crate) fn notes_section(out: &mut String, notes: &[Note]) {
    if notes.is_empty() {
        return;
    }
    out.push_str("\n## Build notes\n\n");
    for group in grouped(notes) {
        let message = escape::markdown_text(group.message);
        let _ = match group.flows.as_slice() {
            [] => writeln!(out, "- {message}"),
            [flow] => writeln!(out, "- {}: {message}", escape::markdown_text(flow)),
            flows => {
                let _ = write!(out, "- {} flows: {message}: ", flows.len());
                for (n, flow) in flows.iter().enumerate() {
                    out.push_str(if n == 0 { "" } else { ", " });
                    out.push_str(&escape::markdown_text(flow));
                }
                writeln!(out)
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(flow: Option<&str>, message: &str) -> Note {
        Note { flow: flow.map(str::to_owned), message: message.to_owned() }
    }

    #[test]
    fn a_note_many_flows_share_is_one_line_naming_each() {
        let notes = [
            note(None, "a note about no flow"),
            note(Some("a"), "sends PUT /record"),
            note(Some("b"), "not emitted"),
            note(Some("c`d"), "sends PUT /record"),
            note(Some("e"), "sends PUT /record"),
        ];
        let groups = grouped(&notes);
        let flows: Vec<(&str, Vec<&str>)> = groups.iter().map(|g| (g.message, g.flows.clone())).collect();
        assert_eq!(
            flows,
            [
                ("a note about no flow", vec![]),
                ("sends PUT /record", vec!["a", "c`d", "e"]),
                ("not emitted", vec!["b"]),
            ]
        );
        let mut out = String::new();
        notes_section(&mut out, &notes);
        assert_eq!(
            out,
            "\n## Build notes\n\n- a note about no flow\n- 3 flows: sends PUT /record: a, c\\`d, e\n- b: not emitted\n"
        );
    }
}
