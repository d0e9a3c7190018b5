//! The in-process fuzz target: one input through the whole pipeline, every
//! output and every request, for the fuzz driver (`fuzz/main.rs`) and the
//! tests; not a stable API.
//!
//! `run_one` takes the bytes of one spec file and runs what the commands
//! run, in memory: load (from an in-memory buffer, as the language server
//! does), parse, lower, resolve and every check; every `check` format
//! (human with and without colour, short, JSON, SARIF, GitHub, JUnit) with
//! the redactor over it; baselines; `plan` and its four formats; `graph` as
//! Mermaid and DOT; `diff`; `fmt`; the three `build` targets (when the spec
//! has no spec errors, as `build` with `--allow` for every rule would); and
//! the language server's requests at places in the text. A panic is a bug,
//! and so is an output its consumer cannot read, which the target checks
//! where that is cheap: JSON outputs parse, `fmt` is idempotent and keeps
//! the meaning (`diff` finds no change), a baseline of today's findings
//! hides them all, diagnostics point inside their file, generated paths
//! stay inside the output folder. `catch_one` runs an input and turns a
//! panic into a `Crash`, quietly.
//!
//! The inputs come from `mutate`: structure-aware mutations of a corpus
//! (the examples and fixtures).

pub mod mutate;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Once;

use crate::diagnostic::Severity;
use crate::render::{self, Report};

/// Where the fuzzed file lives: nowhere on disk, so includes find nothing
/// and nothing is ever read or written.
const FUZZ_DIR: &str = "/nonexistent-wireplan-fuzz";

/// How far one input got: what the driver counts to show the mutations
/// reach past the parser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// The text parsed without a syntax error.
    pub parsed: bool,
    /// No spec error either: the backends ran.
    pub built: bool,
    /// `fmt` formatted it.
    pub formatted: bool,
}

/// Runs one input through everything (see the module's doc). Panics on a
/// bug; `catch_one` catches it.
pub fn run_one(data: &[u8]) -> Reach {
    // The driver runs inputs on its own threads: one thread per input.
    crate::parallel::set_threads(1);
    let text = String::from_utf8_lossy(data).into_owned();
    let path = Path::new(FUZZ_DIR).join("wireplan.kdl");
    let mut reach = Reach::default();
    let Some(checked) = check(&path, &text) else { panic!("the in-memory spec did not load") };
    let file = checked.sources.get(crate::model::FileId(0));
    let len = file.text.len() as u32;
    reach.parsed = !checked.diagnostics.iter().any(|d| std::ptr::eq(d.rule, &crate::diagnostic::SYNTAX));
    for d in &checked.diagnostics {
        assert!(!d.message.starts_with("internal error"), "{}", d.message);
        assert!(d.primary.loc.span.start <= d.primary.loc.span.end, "a reversed span: {}", d.message);
        assert!(d.primary.loc.span.end <= len, "a span past the end: {}", d.message);
        assert!(!d.help.is_empty(), "`{}` has no help: {}", d.rule.name, d.message);
    }
    // The cap's "and N more" summary follows the last finding it kept, at
    // that finding's place, whatever its message sorts as.
    let summary = |d: &crate::diagnostic::Diagnostic| d.message.starts_with("and ") && d.message.ends_with("not shown");
    let out_of_order =
        |w: &&[crate::diagnostic::Diagnostic]| w[0].order(&w[1]) == std::cmp::Ordering::Greater && !summary(&w[1]);
    if let Some(w) = checked.diagnostics.windows(2).find(out_of_order) {
        let show =
            |d: &crate::diagnostic::Diagnostic| format!("{} at {:?}: {}", d.rule.name, d.primary.loc.span, d.message);
        panic!("diagnostics out of order: {} before {}", show(&w[0]), show(&w[1]));
    }

    check_outputs(&checked);
    plan_and_graph(&checked);
    // With two nodes of one name, `diff` compares one of them with the
    // other (a spec error; reporting more changes is the safe side).
    let duplicates = duplicates(&checked);
    let changes = crate::diff::diff(&checked, &checked);
    assert!(duplicates || changes.is_empty(), "a spec differs from itself: {}", crate::render::diff::human(&changes));
    let changed = crate::diff::changed_nodes(&checked.spec, &checked.spec);
    assert!(duplicates || changed.is_empty(), "a spec changed from itself: {changed:?}");

    reach.formatted = format(&text, &checked);
    reach.built = build(&checked);

    // The language server, at token starts the input's hash picks.
    let pick = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    let offsets = places(&file.text, pick);
    crate::lsp::fuzz::every_request(&path, checked, &offsets, pick);
    reach
}

/// Whether two declarations share a name (a spec error).
fn duplicates(checked: &crate::Checked) -> bool {
    checked.diagnostics.iter().any(|d| std::ptr::eq(d.rule, &crate::diagnostic::DUPLICATE_NAME))
}

/// Loads and checks `text` as the spec's only file, from memory.
fn check(path: &Path, text: &str) -> Option<crate::Checked> {
    let mut overrides = crate::load::Overrides::default();
    overrides.insert(path.to_path_buf(), text.to_owned());
    let loaded = crate::load::load_with(path, Path::new(FUZZ_DIR), overrides, crate::parse_and_lower).ok()?;
    Some(crate::check_loaded(loaded, &crate::lint::CliLevels::default()))
}

/// Every `check` format, through the redactor; the JSON ones must parse.
fn check_outputs(checked: &crate::Checked) {
    let identities: Vec<_> =
        checked.diagnostics.iter().map(|d| crate::baseline::identity(d, &checked.spec, &checked.sources)).collect();
    let baseline = crate::baseline::Baseline::record(&checked.diagnostics, &identities);
    let recorded = checked.redactor.apply(&baseline.to_json()).into_owned();
    let read = match crate::baseline::Baseline::parse(&baseline.to_json()) {
        Ok(read) => read,
        Err(e) => panic!("a baseline does not read back: {e}"),
    };
    assert!(serde_json::from_str::<serde_json::Value>(&recorded).is_ok(), "a redacted baseline is not JSON");
    let hidden = read.hides(&checked.diagnostics, &identities, &checked.spec, &checked.sources);
    assert!(hidden.iter().all(|h| *h), "a baseline of today's findings does not hide them all");

    let report = Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &identities };
    let redact = |text: String| checked.redactor.apply(&text).into_owned();
    for (color, width) in [(false, 100), (true, 40)] {
        std::hint::black_box(redact(render::human::render(&report, render::human::Style { color, width })));
    }
    std::hint::black_box(redact(render::short::render(&report)));
    std::hint::black_box(redact(render::github::render(&report)));
    std::hint::black_box(redact(render::junit::render(&report)));
    for (name, text) in [("json", render::json::render(&report)), ("sarif", render::sarif::render(&report))] {
        let text = redact(text);
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
            panic!("`check --format {name}` is not JSON: {e}");
        }
    }
}

/// `plan` in every format, its HTML page, and `graph` in both.
fn plan_and_graph(checked: &crate::Checked) {
    let plan = crate::plan::compute(&checked.spec, &checked.diagnostics);
    for width in [100, 40] {
        std::hint::black_box(render::plan::human::render(&plan, width));
    }
    std::hint::black_box(render::plan::markdown::render(&plan));
    let json = render::plan::json::render(&plan);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        panic!("`plan --format json` is not JSON: {e}");
    }
    let page = render::plan::html::Page {
        plan: &plan,
        spec: &checked.spec,
        graph: &checked.graph,
        sources: &checked.sources,
        diagnostics: &checked.diagnostics,
    };
    std::hint::black_box(checked.redactor.apply(&render::plan::html::render(&page)).into_owned());
    for layout in [render::graph::Layout::Logical, render::graph::Layout::Physical] {
        let view = render::graph::View::new(&checked.spec, &checked.graph, &checked.diagnostics, layout);
        std::hint::black_box(render::graph::mermaid(&view));
        std::hint::black_box(render::graph::dot(&view));
    }
}

/// `fmt`: when the text parses, formatting it again changes nothing, the
/// result parses, and it means what the text meant. Returns whether it
/// formatted.
fn format(text: &str, checked: &crate::Checked) -> bool {
    let Ok(formatted) = crate::fmt::format_text(text) else { return false };
    match crate::fmt::format_text(&formatted) {
        Ok(again) => assert!(again == formatted, "fmt is not idempotent"),
        Err(errors) => panic!("fmt wrote text that does not parse: {}", errors[0].message),
    }
    if formatted != text {
        let path = Path::new(FUZZ_DIR).join("wireplan.kdl");
        if let Some(after) = check(&path, &formatted) {
            // Two nodes of one name are told apart by `diff` only by chance.
            // Every other change, a finding new to `diff` included, means
            // `fmt` changed what the spec says.
            let changes: Vec<_> = crate::diff::diff(checked, &after).into_iter().collect();
            assert!(
                duplicates(checked) || changes.is_empty(),
                "fmt changed the meaning: {}",
                crate::render::diff::human(&changes)
            );
            let rules = |c: &crate::Checked| {
                let mut r: Vec<&str> = c.diagnostics.iter().map(|d| d.rule.name).collect();
                r.sort_unstable();
                r
            };
            assert!(rules(checked) == rules(&after), "fmt changed the findings");
        }
    }
    true
}

/// Every `build` target, in memory, when nothing but configurable findings
/// has error severity (`build --allow RULE` builds those). Generated JSON
/// must parse and generated paths stay inside the output folder.
fn build(checked: &crate::Checked) -> bool {
    let blocked = checked.diagnostics.iter().any(|d| d.severity == Severity::Error && !d.rule.is_configurable());
    if blocked {
        return false;
    }
    let input = crate::emit::Input { spec: &checked.spec };
    for &target in <crate::emit::Target as clap::ValueEnum>::value_variants() {
        let emitted = crate::emit::emit(target, &input);
        if !emitted.errors.is_empty() {
            continue;
        }
        for a in &emitted.artifacts {
            let inside = !a.path.is_empty()
                && !a.path.starts_with('/')
                && a.path.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
            assert!(inside, "`build --target {}` names a file outside its folder: {:?}", target.name(), a.path);
            if a.path.ends_with(".json")
                && let Err(e) = serde_json::from_slice::<serde_json::Value>(&a.bytes())
            {
                panic!("`build --target {}` wrote {} that is not JSON: {e}", target.name(), a.path);
            }
        }
    }
    true
}

/// Up to 4 byte offsets in `text` where requests are made: a token's start
/// and a token's middle, picked by `pick`, plus the very start and end. (Each
/// request parses the text again, as the server does: more places per input
/// would cost more inputs.)
fn places(text: &str, pick: u64) -> Vec<u32> {
    let tree = crate::syntax::parse(text).tree;
    let tokens = tree.tokens.len() as u64;
    let mut offsets = vec![0, text.len() as u32];
    let mut h = pick;
    for _ in 0..2.min(tokens) {
        h = h.rotate_left(13).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let span = tree.token_span((h % tokens) as u32);
        // Inside a token too: the middle of a name.
        let offset = if h & 1 == 0 { span.start } else { span.start + (span.end - span.start) / 2 };
        let mut offset = offset as usize;
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        // Between the `\r` and `\n` of a line end is no place an editor
        // can name.
        if offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n') {
            offset -= 1;
        }
        offsets.push(offset as u32);
    }
    offsets
}

/// A panic caught by `catch_one`: its message and where it was raised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crash {
    pub message: String,
    /// `file:line:column` of the panic.
    pub location: String,
}

thread_local! {
    /// Set while `catch_one` runs on this thread: the panic hook records
    /// the panic here instead of printing it.
    static CAUGHT: RefCell<Option<Option<Crash>>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs, once, a panic hook that records the panics of `catch_one`
/// quietly and leaves every other panic to the hook before it.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let recorded = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                let Some(slot) = c.as_mut() else { return false };
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(a panic without a message)".to_owned());
                let location =
                    info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
                // The first panic is the one that matters.
                slot.get_or_insert(Crash { message, location });
                true
            });
            if !recorded {
                previous(info);
            }
        }));
    });
}

/// Runs `run_one` on `data`, turning a panic into a `Crash` (quietly: the
/// panic is not printed).
pub fn catch_one(data: &[u8]) -> Result<Reach, Crash> {
    install_hook();
    CAUGHT.with(|c| *c.borrow_mut() = Some(None));
    let result = std::panic::catch_unwind(|| run_one(data));
    let caught = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
    match result {
        Ok(reach) => Ok(reach),
        Err(_) => Err(caught.unwrap_or_else(|| Crash { message: "a panic".into(), location: String::new() })),
    }
}

/// The corpus: every `.kdl` file under `examples/` and `tests/fixtures/`
/// of `root` (the repository), but `tests/fixtures/fuzz/reported/`, sorted by path so that input numbers mean
/// the same inputs on every machine.
pub fn corpus(root: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![root.join("examples"), root.join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            // Inputs reported to be fixed elsewhere (a known hang) stay out.
            if path.ends_with("fuzz/reported") {
                continue;
            }
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_file()
                && path.extension().is_some_and(|e| e == "kdl")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                files.push((path, text));
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The harness itself: a few hundred inputs of a fixed seed go through
    /// everything without a panic, and the mutations reach past the parser
    /// to the backends.
    #[test]
    fn a_few_hundred_fuzz_inputs_run_clean() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = corpus(root);
        assert!(corpus.len() > 20, "the corpus is the examples and fixtures: {}", corpus.len());
        let mutator = mutate::Mutator::new(corpus.into_iter().map(|(_, t)| t).collect());
        let mut reached = (0, 0, 0);
        let mut cases = 0;
        for i in 0..400 {
            let input = mutator.input(7, i);
            assert_eq!(input, mutator.input(7, i), "input {i} is not a function of its number");
            // Fast in a debug build: the large inputs are the driver's.
            if input.len() > 2500 {
                continue;
            }
            cases += 1;
            match catch_one(&input) {
                Ok(r) => {
                    reached.0 += r.parsed as usize;
                    reached.1 += r.formatted as usize;
                    reached.2 += r.built as usize;
                }
                // `cargo run --example fuzz -- --replay I --print` shows the input.
                Err(crash) => panic!("input {i} of seed 7 panicked at {}: {}", crash.location, crash.message),
            }
        }
        assert!(cases > 150, "too few small inputs: {cases}");
        assert!(reached.0 > cases / 5, "too few of {cases} inputs parse: {reached:?}");
        assert!(reached.2 > cases / 40, "too few of {cases} inputs reach the backends: {reached:?}");
    }

    #[test]
    fn a_panic_is_caught_quietly_with_its_place() {
        install_hook();
        CAUGHT.with(|c| *c.borrow_mut() = Some(None));
        let result = std::panic::catch_unwind(|| panic!("boom {}", 1));
        let caught = CAUGHT.with(|c| c.borrow_mut().take()).flatten().unwrap();
        assert!(result.is_err());
        assert_eq!(caught.message, "boom 1");
        assert!(caught.location.contains("fuzz/mod.rs"), "{}", caught.location);
    }
}
