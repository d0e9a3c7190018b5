//! wireplan: a compiler and linter for integration architecture.
//!
//! The pipeline, in order, as this file runs it: `load` reads the entry file
//! and its includes, and on each runs the front end, `parse_and_lower`:
//! `syntax` parses it into a lossless tree (never failing) and `lower` turns
//! the tree into its part of the spec `model`, returning the includes to read
//! next. Then `check_loaded`: `resolve` connects names to declarations;
//! `graph` builds the topology once; `lint` runs the checks over the resolved
//! model and applies the configured levels; `render` prints the diagnostics;
//! `emit` turns a clean spec into a backend's files, which `write` (the one
//! writer) puts on disk for the CLI; `drift` compares those files, built in
//! memory, with a running deployment (and `deploy` applies them). Every
//! stage returns its result together with its diagnostics, so one mistake
//! never hides the others.
//!
//! A large spec is checked on every core, and the output does not depend on
//! how many there are. A large text is parsed in pieces and each piece is
//! lowered in the thread that parsed it (a file parsed whole is lowered in
//! runs of top-level nodes); each piece or run lowers into a
//! `lower::Lowered` of its own, appended in text order, and the one thing a
//! part cannot judge alone, which `stack` comes first, is judged when they
//! are appended. Resolution declares names and builds field tables side by
//! side and resolves flows in runs; the system and trigger graphs are built
//! side by side; the checks are handed out one rule at a time to a worker
//! per core and put back in rule order. Everything is then sorted
//! (`Diagnostic::order`). Threads are scoped, and a panic in one is resumed
//! on the main thread, which the binary turns into exit code 2.

mod baseline;
mod catalog;
#[doc(hidden)]
pub mod cli;
mod cron;
mod diagnostic;
mod diff;
mod docs;
mod drift;
mod emit;
mod escape;
mod fix;
mod fmt;
#[doc(hidden)]
pub mod fuzz;
mod git;
mod graph;
mod import;
mod layers;
mod lint;
mod load;
mod lower;
mod lsp;
mod model;
mod out;
mod parallel;
mod plan;
mod prose;
mod redact;
mod render;
mod resolve;
mod secrets;
mod shapes;
mod source;
mod stages;
mod suggest;
mod syntax;
mod write;

use std::path::Path;
use std::time::{Duration, Instant};

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
    pub(crate) graph: graph::Graph,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Masks the credentials the diagnostics found, in every output.
    pub(crate) redactor: redact::Redactor,
    /// How long each phase took, in order (printed with `WIREPLAN_TIMINGS=1`).
    pub(crate) timings: Vec<(&'static str, Duration)>,
}

/// The front of the pipeline, for one file: parse its text (in pieces, on
/// every core, when it is large) and lower it into the spec. The loader runs
/// it on each file it reads and reads the includes it returns next.
pub(crate) fn parse_and_lower(
    file: model::FileId,
    text: &str,
    spec: &mut Spec,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<model::Include>, Duration) {
    let start = Instant::now();
    let cores = parallel::threads();
    // A large file is parsed in pieces, each lowered in the thread that
    // parsed it; each piece is appended to the ones before it as soon as
    // they are all there, so that the pieces' lists are never all held
    // beside the whole.
    let lower_piece = |mut parse: syntax::Parse<'_>, beside_others| {
        let parsed_after = start.elapsed();
        let errors = std::mem::take(&mut parse.errors);
        let mut lowered = lower::lower_document(file, parse.document(), if beside_others { 1 } else { cores });
        lowered.diagnostics.extend(errors.into_iter().map(|e| syntax_error(file, e)));
        (parsed_after, lowered)
    };
    let (parse_time, mut lowered) = syntax::parse_fold(
        text,
        lower_piece,
        || (Duration::ZERO, lower::Lowered::default()),
        |(parse_time, whole), (parsed_after, piece)| {
            // The pieces parse at the same time: parsing took the longest.
            *parse_time = (*parse_time).max(parsed_after);
            whole.absorb(piece);
        },
    );
    // The lists grew by doubling; what they did not fill is given back.
    lowered.shrink_to_fit();
    let includes = lowered.append_to(spec, diagnostics);
    (includes, parse_time)
}

/// A syntax error as a diagnostic of `file`.
pub(crate) fn syntax_error(file: model::FileId, e: syntax::SyntaxError) -> Diagnostic {
    let mut d = Diagnostic::new(&diagnostic::SYNTAX, model::Loc::new(file, e.span), e.message);
    if let Some(label) = e.label {
        d = d.with_label(label);
    }
    let mut d = d.with_help(e.help.unwrap_or_else(|| "see https://kdl.dev for the KDL v2 syntax".into()));
    d.folded = e.more;
    d
}

/// Loads and checks the spec at `path` (see `load::find_entry`).
pub(crate) fn check_path(path: Option<&Path>, cwd: &Path, levels: &CliLevels) -> Result<Checked, LoadError> {
    let entry = load::find_entry(path, cwd)?;
    let start = Instant::now();
    let loaded = load::load(&entry, cwd, parse_and_lower)?;
    let load_time = start.elapsed();
    let parse_time = loaded.parse_time;
    let mut checked = check_loaded(loaded, levels);
    checked.timings.insert(0, ("parse", parse_time));
    checked.timings.insert(1, ("read and lower", load_time.saturating_sub(parse_time)));
    Ok(checked)
}

/// Resolves, checks and orders a loaded spec.
pub(crate) fn check_loaded(loaded: Loaded, levels: &CliLevels) -> Checked {
    let Loaded { sources, mut spec, mut diagnostics, .. } = loaded;
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        timings.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    resolve::resolve(&mut spec, &mut diagnostics);
    lint::check_rule_names(&spec, &mut diagnostics);
    lap("resolve");
    let graph = graph::Graph::build(&spec);
    lap("graph");
    let ctx = Context { spec: &spec, graph: &graph };
    let (found, silenced) = lint::run_checks(&ctx);
    diagnostics.extend(found);
    lap("checks");
    let mut diagnostics = lint::apply_levels(&spec, levels, diagnostics, &silenced);
    diagnostics.sort_by(Diagnostic::order);
    let mut diagnostics = cap(diagnostics);
    lint::say_where_to_allow(&spec, &mut diagnostics);
    let redactor = redact::Redactor::new(&sources, &spec.credentials);
    lap("levels and order");
    Checked { sources, spec, graph, diagnostics, redactor, timings }
}

pub(crate) use source::MAX_PER_RULE_AND_FILE;

/// Keeps the first `MAX_PER_RULE_AND_FILE` diagnostics of each rule in each
/// file (in output order) and puts an "and N more" diagnostic after them.
/// Those the stages counted without keeping (`Diagnostic::folded`) count too.
fn cap(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut counts: rustc_hash::FxHashMap<(&'static str, model::FileId), usize> = Default::default();
    for d in &diagnostics {
        *counts.entry((d.rule.code, d.primary.loc.file)).or_default() += 1 + d.folded;
    }
    if counts.values().all(|&n| n <= MAX_PER_RULE_AND_FILE) {
        return diagnostics;
    }
    let mut seen: rustc_hash::FxHashMap<(&'static str, model::FileId), usize> = Default::default();
    let mut kept = Vec::with_capacity(diagnostics.len().min(counts.len() * (MAX_PER_RULE_AND_FILE + 1)));
    for d in diagnostics {
        let key = (d.rule.code, d.primary.loc.file);
        let n = seen.entry(key).or_default();
        *n += 1;
        if *n <= MAX_PER_RULE_AND_FILE {
            kept.push(d);
        } else if *n == MAX_PER_RULE_AND_FILE + 1 {
            let more = counts[&key] - MAX_PER_RULE_AND_FILE;
            let message = format!(
                "and {more} more `{}` finding{} in this file, not shown",
                d.rule.name,
                if more == 1 { "" } else { "s" }
            );
            let mut summary =
                Diagnostic::new(d.rule, d.primary.loc, message).with_label("the next one is here").with_help(format!(
                    "wireplan reports at most {MAX_PER_RULE_AND_FILE} findings of one rule in one file; fix these and \
                     run it again"
                ));
            summary.severity = d.severity;
            kept.push(summary);
        }
    }
    kept
}

/// Measurements for the benchmark harness (`benches/throughput.rs`); not a
/// stable API.
#[doc(hidden)]
pub mod bench {
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// What one parse made: its errors, tokens and tree nodes.
    pub struct Parsed {
        pub errors: usize,
        pub tokens: usize,
        pub tree_nodes: usize,
    }

    /// Parses `text` into the lossless tree, on one thread.
    pub fn parse(text: &str) -> Parsed {
        let parsed = crate::syntax::parse(text);
        Parsed { errors: parsed.errors.len(), tokens: parsed.tree.tokens.len(), tree_nodes: parsed.tree.nodes.len() }
    }

    /// Parses `text` and reads every node and entry through the typed view,
    /// as lowering does at least; returns how many nodes and entries.
    pub fn parse_and_walk(text: &str) -> (usize, usize) {
        walk(&crate::syntax::parse(text))
    }

    /// The same on `threads` threads, in pieces, as `wireplan check` parses
    /// a large file.
    pub fn parse_and_walk_in_pieces(text: &str, threads: usize) -> (usize, usize) {
        crate::parallel::set_threads(threads);
        let counts = crate::syntax::parse_then(text, |parsed, _| walk(&parsed))
            .into_iter()
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        crate::parallel::set_threads(1);
        counts
    }

    fn walk(parsed: &crate::syntax::Parse<'_>) -> (usize, usize) {
        let mut counts = (0, 0);
        let mut stack = Vec::new();
        for top in parsed.document().nodes() {
            stack.push(top);
            while let Some(node) = stack.pop() {
                counts.0 += 1;
                counts.1 += node.entries().count();
                stack.extend(node.child_nodes());
            }
        }
        counts
    }

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
        let Ok(loaded) = crate::load::load(path, cwd, crate::parse_and_lower) else {
            return Timing {
                load: start.elapsed(),
                parse: Duration::ZERO,
                check: Duration::ZERO,
                render: Duration::ZERO,
                diagnostics: 0,
                flows: 0,
            };
        };
        let load = start.elapsed();
        let parse = loaded.parse_time;
        let start = Instant::now();
        let checked = crate::check_loaded(loaded, &crate::lint::CliLevels::default());
        let check = start.elapsed();
        let start = Instant::now();
        let report =
            crate::render::Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &[] };
        let json = crate::render::json::render(&report);
        let render = start.elapsed();
        std::hint::black_box(json);
        Timing { load, parse, check, render, diagnostics: checked.diagnostics.len(), flows: checked.spec.flows.len() }
    }
}

/// The in-process harness for annotated specs, as rust-analyzer's
/// `check_diagnostics` is: the integration tests check each rule fixture
/// through the library instead of running the binary. Not a stable API.
#[doc(hidden)]
pub mod testing {
    use std::path::Path;

    use crate::diagnostic::Severity;
    use crate::lint::CliLevels;
    use crate::model::LintLevel;

    /// A spec checked as `wireplan check FILE` checks it from the file's
    /// folder: its report as JSON and as human text (no colour, 100
    /// columns), and how many findings are errors.
    pub struct Checked {
        pub json: String,
        pub human: String,
        pub errors: usize,
    }

    /// Every rule, as `(name, category)`, in code order.
    pub fn rules() -> Vec<(&'static str, &'static str)> {
        crate::lint::RULES.iter().map(|r| (r.name, r.category.as_str())).collect()
    }

    /// Checks the spec at `path`, from its folder, with the rules in
    /// `allow` not reported (as `--allow RULE` does); an unknown rule or an
    /// unreadable entry file is an error.
    pub fn check(path: &Path, allow: &[&str]) -> Result<Checked, String> {
        let mut levels = CliLevels::default();
        for name in allow {
            let rule = crate::lint::find(name).ok_or_else(|| format!("no rule named `{name}`"))?;
            levels.levels.push((LintLevel::Allow, rule));
        }
        let cwd = path.parent().unwrap_or(Path::new("."));
        let file = path.file_name().map(Path::new).unwrap_or(path);
        let checked = crate::check_path(Some(file), cwd, &levels).map_err(|e| e.to_string())?;
        let report =
            crate::render::Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &[] };
        let style = crate::render::human::Style { color: false, width: 100 };
        let redact = |text: String| checked.redactor.apply(&text).into_owned();
        Ok(Checked {
            json: redact(crate::render::json::render(&report)),
            human: redact(crate::render::human::render(&report, style)),
            errors: checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).count(),
        })
    }
}

#[cfg(test)]
mod hostile_names_tests;

#[cfg(test)]
mod robustness {
    //! Mutated specs through the whole pipeline: no input may panic, and
    //! every diagnostic must point inside its file and carry a help.

    use std::path::Path;

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const PIECES: &[&str] = &[
        // Names that once escaped into terminals and CI logs.
        "\"x\\n::error file=a::forged\"",
        "\"\\u{1b}]0;t\\u{7}\"",
        "\"a\\u{202e}b\"",
        "\"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"",
        "include \"*.kdl\"",
        "{",
        "}",
        "\"",
        "=",
        ";",
        "#true",
        "#null",
        "-1",
        "1e400",
        "\"\"",
        "flow",
        "to",
        "on",
        "via",
        "system",
        "kind=",
        "action=create",
        "entity=",
        "map \"a\" to=\"b\"",
        "retry attempts=0",
        "loop-guard",
        "\n",
        " ",
        "/-",
        "//",
        "é",
        "\u{2028}",
        "allow \"sync-cycle\"",
        "include \"*.kdl\"",
        "schedule cron=\"* * * * *\"",
    ];

    fn mutate(text: &str, rng: &mut Rng) -> String {
        let mut s = text.to_owned();
        for _ in 0..1 + rng.below(4) {
            let mut at = rng.below(s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            match rng.below(7) {
                0 | 4 => s.insert_str(at, PIECES[rng.below(PIECES.len())]),
                // The whole spec on one line.
                5 => s = s.replace('\n', ";"),
                // A name long enough to be clipped in snippets.
                6 => s.insert_str(at, &format!("\"{}\"", "n".repeat(70_000))),
                1 => {
                    let mut end = (at + 1 + rng.below(40)).min(s.len());
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    s.replace_range(at..end, "");
                }
                _ => {
                    let mut end = (at + rng.below(80)).min(s.len());
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    let copy = s[at..end].to_owned();
                    s.insert_str(end, &copy);
                }
            }
        }
        s
    }

    #[test]
    fn mutated_examples_never_panic() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let seeds: Vec<String> =
            ["small-shop", "growing-agency", "high-volume-retail/teams/commerce.kdl", "acme-outdoor/sales/leads.kdl"]
                .iter()
                .map(|p| {
                    let path = root.join("examples").join(p);
                    let path = if path.is_dir() { path.join("wireplan.kdl") } else { path };
                    std::fs::read_to_string(path).unwrap()
                })
                .collect();
        let cases: usize = std::env::var("WIREPLAN_ROBUSTNESS_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        let nowhere = Path::new("/nonexistent-wireplan-fuzz/wireplan.kdl");
        for case in 0..cases {
            let text = mutate(&seeds[case % seeds.len()], &mut rng);
            let loaded = crate::load::load_text(nowhere, text.clone(), Path::new("/"), crate::parse_and_lower);
            let checked = crate::check_loaded(loaded, &crate::lint::CliLevels::default());
            let len = checked.sources.get(crate::model::FileId(0)).text.len() as u32;
            for d in &checked.diagnostics {
                assert!(!d.message.starts_with("internal error"), "case {case}: {}\n{text}", d.message);
                assert!(d.primary.loc.span.end <= len, "case {case}: span past the end\n{text}");
                assert!(!d.help.is_empty(), "case {case}: {} has no help\n{text}", d.rule.name);
            }
            let report =
                crate::render::Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &[] };
            let style = crate::render::human::Style { color: false, width: 100 };
            std::hint::black_box(crate::render::human::render(&report, style));
            let sorted = checked.diagnostics.windows(2).all(|w| w[0].order(&w[1]) != std::cmp::Ordering::Greater);
            assert!(sorted, "case {case}: diagnostics out of order");
        }
    }
}
