//! Backends: what `wireplan build` generates from a checked spec.
//!
//! Each backend (one folder: `hub/`, `broker/` and `etl/`) is a
//! pure function from the resolved spec and its graph to a list of
//! `Artifact`s (a relative path and its bytes) and build notes (flows it did
//! not carry and why, defaults it used). It does no I/O: the CLI hands the
//! artifacts to `crate::write`, the one writer. Output is deterministic: the
//! same spec gives the same artifacts, in the same order, byte for byte.
//! Artifact paths are fixed by the backend, or made of identifiers in the
//! fixed alphabet of `names` (the ETL target's model files), never of raw
//! spec names; the writer checks them all the same. Every identifier a
//! backend derives from a spec name (paths, routing keys, queues, models,
//! node ids, environment variables) is claimed in `distinct::Claims`, whose
//! one check makes two distinct names sharing one an error at both.
//! Problems with a place in the spec are `Emitted::diagnostics`.

pub(crate) mod broker;
pub(crate) mod distinct;
pub(crate) mod etl;
pub(crate) mod fidelity;
pub(crate) mod hub;
pub(crate) mod names;

use crate::diagnostic::Diagnostic;
use crate::graph::Graph;
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
}

/// The backends `wireplan build --target` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Target {
    /// Node-RED flows: a self-hosted hub (the Zapier or Make role).
    Hub,
    /// RabbitMQ definitions, an AsyncAPI 3.0 document and the Node-RED
    /// connectors around them (the event-driven pattern).
    Broker,
    /// Meltano and dbt: ELT pipelines for scheduled and polled flows into warehouses and lakes.
    Etl,
}

impl Target {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Target::Hub => "hub",
            Target::Broker => "broker",
            Target::Etl => "etl",
        }
    }
}

/// The checked spec a backend reads.
pub(crate) struct Input<'a> {
    pub(crate) spec: &'a Spec,
    #[expect(
        dead_code,
        reason = "no backend reads the topology yet (each needs only the model); it is handed over so that one that routes by it needs no new seam"
    )]
    pub(crate) graph: &'a Graph,
}

/// Runs the backend for `target`. Artifacts are sorted by path, notes by
/// flow then message.
pub(crate) fn emit(target: Target, input: &Input<'_>) -> Emitted {
    let mut emitted = match target {
        Target::Hub => hub::emit(input),
        Target::Broker => broker::emit(input),
        Target::Etl => etl::emit(input),
    };
    // What the backend does with each statement of the flows it built, said
    // out loud: warnings for what it drops, and a "What runs" section at the
    // end of every backend's README.
    let review = fidelity::review(input.spec, target, &emitted.built);
    if let Some(readme) = emitted.artifacts.iter_mut().find(|a| a.path == "README.md") {
        readme.bytes.extend_from_slice(fidelity::readme_section(target, &review).as_bytes());
    }
    emitted.summary = fidelity::summary(target, &review, emitted.built.len());
    emitted.warnings = review.warnings;
    emitted.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    emitted.diagnostics.sort_by(Diagnostic::order);
    emitted.notes.sort();
    emitted.notes.dedup();
    emitted
}

/// The "Build notes" section every backend's generated README ends with: the
/// flows left out and the defaults used, as `build` printed them.
pub(crate) fn notes_section(out: &mut String, notes: &[Note]) {
    use std::fmt::Write as _;
    if notes.is_empty() {
        return;
    }
    out.push_str("\n## Build notes\n\n");
    for note in notes {
        let _ = match &note.flow {
            Some(flow) => writeln!(out, "- {}: {}", names::markdown(flow), names::markdown(&note.message)),
            None => writeln!(out, "- {}", names::markdown(&note.message)),
        };
    }
}
