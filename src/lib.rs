//! wireplan: a compiler and linter for integration architecture.
//!
//! The pipeline, in order: `load` reads the entry file and its includes;
//! `syntax` parses each into a spanned tree (never failing); `lower` turns the
//! trees into the spec `model`; `resolve` connects names to declarations;
//! `lint` runs the checks over the resolved model and applies the configured
//! levels; `render` prints the diagnostics. Every stage returns its result
//! together with its diagnostics, so one mistake never hides the others.

mod cli;
mod diagnostic;
mod docs;
mod lint;
mod load;
mod lower;
mod model;
mod render;
mod resolve;
mod secrets;
mod source;
mod suggest;
mod syntax;

use std::path::Path;

pub use cli::run;

use diagnostic::Diagnostic;
use lint::{CliLevels, Context};
use load::{LoadError, Loaded};
use model::Spec;
use source::SourceMap;

/// A checked spec: its sources, its resolved model, and every diagnostic with
/// its final severity, in output order.
pub(crate) struct Checked {
    pub(crate) sources: SourceMap,
    pub(crate) spec: Spec,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Loads and checks the spec at `path` (see `load::find_entry`).
pub(crate) fn check_path(path: Option<&Path>, cwd: &Path, levels: &CliLevels) -> Result<Checked, LoadError> {
    let entry = load::find_entry(path, cwd)?;
    let loaded = load::load(&entry, cwd)?;
    Ok(check_loaded(loaded, levels))
}

/// Resolves, checks and orders a loaded spec.
pub(crate) fn check_loaded(loaded: Loaded, levels: &CliLevels) -> Checked {
    let Loaded { sources, mut spec, mut diagnostics, .. } = loaded;
    resolve::resolve(&mut spec, &mut diagnostics);
    let ctx = Context { spec: &spec, sources: &sources };
    diagnostics.extend(lint::run_checks(&ctx));
    let mut diagnostics = lint::apply_levels(&spec, levels, diagnostics);
    diagnostics.sort_by(Diagnostic::order);
    Checked { sources, spec, diagnostics }
}

/// Measurements for the benchmark harness (`benches/throughput.rs`); not a
/// stable API.
#[doc(hidden)]
pub mod bench {
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// Times of one run of the pipeline on one spec.
    pub struct Timing {
        /// Reading files and parsing them.
        pub load: Duration,
        /// Of `load`, the time in the parser alone.
        pub parse: Duration,
        /// Lowering is inside `load`; this is resolution, checks and levels.
        pub check: Duration,
        /// Rendering the diagnostics as JSON.
        pub render: Duration,
        pub diagnostics: usize,
        pub flows: usize,
    }

    /// Runs the whole pipeline on the spec at `path`, timing each phase.
    pub fn run(path: &Path) -> Timing {
        let cwd = path.parent().unwrap_or(Path::new("."));
        let start = Instant::now();
        let Ok(loaded) = crate::load::load(path, cwd) else {
            return Timing { load: start.elapsed(), parse: Duration::ZERO, check: Duration::ZERO, render: Duration::ZERO, diagnostics: 0, flows: 0 };
        };
        let load = start.elapsed();
        let parse = loaded.parse_time;
        let start = Instant::now();
        let checked = crate::check_loaded(loaded, &crate::lint::CliLevels::default());
        let check = start.elapsed();
        let start = Instant::now();
        let report = crate::render::Report { sources: &checked.sources, diagnostics: &checked.diagnostics };
        let json = crate::render::json::render(&report);
        let render = start.elapsed();
        std::hint::black_box(json);
        Timing { load, parse, check, render, diagnostics: checked.diagnostics.len(), flows: checked.spec.flows.len() }
    }
}
