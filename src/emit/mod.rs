//! Backends: what `wireplan build` generates from a checked spec. This file
//! only dispatches: the `Target` enum and `emit`, which runs one backend and
//! puts its output in order.
//!
//! Each backend is one folder (`hub/`, `broker/`, `etl/`): a pure function
//! from the checked spec (`Input`) to `Artifact`s (a relative path and its
//! bytes), build notes (flows it did not carry and why, defaults it used)
//! and errors (`artifact.rs`). It does no I/O: the CLI hands the artifacts
//! to `crate::write`, the one writer. Output is deterministic: the same spec
//! gives the same artifacts, in the same order, byte for byte. No backend
//! imports another (`seams.rs` holds them to it); what two share is a kit
//! beside them: `nodered/` (the flow model, node builders and fixed files
//! of the hub and the broker's connectors), `env.rs` (the environment
//! variables), `names.rs` (identifiers from spec names, in fixed alphabets),
//! `distinct.rs` (the check that distinct names never share one: every
//! identifier a backend derives is claimed there) and `service.rs` (the
//! systemd unit and `Containerfile` that run a Node-RED target
//! supervised). `fidelity/` says, for every statement of the language, how
//! each target carries it out, and reviews each build against it (`not-carried-out` warnings, the summary
//! and the README's "What runs"); `report.rs` is the same per flow, with
//! the files written, as `build --format json` prints it.

mod artifact;
pub(crate) mod broker;
pub(crate) mod distinct;
mod env;
pub(crate) mod etl;
pub(crate) mod fidelity;
pub(crate) mod hub;
pub(crate) mod names;
mod nodered;
pub(crate) mod report;
#[cfg(test)]
mod seams;
mod service;

pub(crate) use artifact::{
    Artifact, Body, Emitted, Input, Note, grouped, notes_section, reverse_etl_note, run_by_note,
};

use crate::diagnostic::Diagnostic;

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
    let mut review = fidelity::review(input.spec, target, &emitted.built);
    if let Some(readme) = emitted.artifacts.iter_mut().find(|a| a.path == "README.md") {
        readme.append(fidelity::readme_section(target, &review).into_bytes());
    }
    emitted.summary = fidelity::summary(target, &review, emitted.built.len());
    emitted.warnings = std::mem::take(&mut review.warnings);
    emitted.review = review;
    emitted.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    emitted.diagnostics.sort_by(Diagnostic::order);
    emitted.notes.sort();
    emitted.notes.dedup();
    emitted
}
