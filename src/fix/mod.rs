//! `wireplan check --fix`: the findings' own fixes (`diagnostic::Fix`, set
//! where each finding is made) applied to the spec's files, as ruff's
//! `--fix` does.
//!
//! Fixing runs in memory first. Each pass takes the fixes of the last
//! check, in output order, that the run may apply (the safe ones; with
//! `--unsafe-fixes` those that need review too), turns them into text edits
//! and keeps each whose edits neither overlap nor touch one already kept;
//! the texts with those edits become the next check's input (the loader's
//! overrides, as the language server's open documents are). A fix that did
//! not fit is found again by the next check, on the new text, so passes go
//! on until nothing is left to apply, at most `MAX_PASSES`. A pass that
//! would add a syntax error is dropped (no fix should, and none is written
//! that does).
//!
//! Then the files that changed are written through the one writer
//! (`write.rs`, atomic), or, with `--diff`, shown as a unified diff and not
//! written. Only files of the spec the run loaded are written, and none that
//! changed on disk since it was read: every file is compared before any is
//! written.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rustc_hash::FxHashMap;

use crate::diagnostic::{Applicability, Diagnostic, EditSet, Resolver, Severity};
use crate::escape as text;
use crate::lint::CliLevels;

#[cfg(test)]
mod tests;

/// The most passes a run makes: fixes that clash wait a pass each, and a
/// fix that keeps coming back (none should) cannot loop for ever.
const MAX_PASSES: usize = 10;

/// `check`'s fixing flags.
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct FixArgs {
    /// Apply the fixes that change nothing about what is delivered where
    /// (misspelt names, `log`, unused allows) to the spec's files, then
    /// report what remains.
    #[arg(long)]
    pub(crate) fix: bool,
    /// With --fix or --diff, apply the fixes that change delivery too
    /// (`retry`, `dead-letter`, `idempotency-key`, `loop-guard`): review them.
    #[arg(long)]
    pub(crate) unsafe_fixes: bool,
    /// Print a unified diff of what --fix would change, and write nothing.
    #[arg(long)]
    pub(crate) diff: bool,
}

/// What a run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mode {
    /// Apply fixes that need review too.
    pub(crate) unsafe_fixes: bool,
    /// Show a diff and write nothing.
    pub(crate) diff: bool,
}

impl FixArgs {
    /// The run the flags ask for: `None` for a plain check; `Err` when
    /// `--unsafe-fixes` comes without `--fix` or `--diff`.
    pub(crate) fn mode(&self) -> Result<Option<Mode>, String> {
        if !self.fix && !self.diff {
            if self.unsafe_fixes {
                return Err("--unsafe-fixes goes with --fix or --diff".into());
            }
            return Ok(None);
        }
        Ok(Some(Mode { unsafe_fixes: self.unsafe_fixes, diff: self.diff }))
    }
}

/// What a run did.
pub(crate) struct Outcome {
    /// The check of the spec as fixed: what remains.
    pub(crate) checked: crate::Checked,
    /// With `--diff`, the unified diff of every file that would change.
    pub(crate) diff: String,
    /// What was fixed, and what remains, for stderr.
    pub(crate) report: String,
    /// Whether any file changed (or, with `--diff`, would).
    pub(crate) changed: bool,
    /// A file could not be written: the run failed (exit code 2).
    pub(crate) failed: bool,
}

/// The spec's texts after the fixes, in memory.
pub(crate) struct Fixed {
    pub(crate) checked: crate::Checked,
    /// Each file of the spec as it was read, and as fixed, by path.
    pub(crate) files: Vec<FixedFile>,
    /// The rule and title of each fix applied, in the order applied.
    pub(crate) applied: Vec<(&'static str, String)>,
    /// Why fixing stopped early, if it did.
    pub(crate) stopped: Option<String>,
}

pub(crate) struct FixedFile {
    pub(crate) path: PathBuf,
    /// The name to show (relative to the current folder).
    pub(crate) name: String,
    pub(crate) original: String,
    pub(crate) fixed: String,
}

/// Whether a run applies `d`'s fix.
fn applies(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    d.fix.as_ref().is_some_and(|f| unsafe_fixes || f.applicability == Applicability::Safe)
}

fn syntax_errors(checked: &crate::Checked) -> usize {
    checked.diagnostics.iter().filter(|d| d.rule.name == crate::diagnostic::SYNTAX.name).map(|d| 1 + d.folded).sum()
}

/// Applies fixes to `checked`'s spec in memory, pass after pass, until none
/// is left to apply (see the module documentation).
pub(crate) fn fix_in_memory(checked: crate::Checked, levels: &CliLevels, unsafe_fixes: bool, cwd: &Path) -> Fixed {
    let entry = checked.sources.get(crate::model::FileId(0)).path.clone();
    let mut files: Vec<FixedFile> = checked
        .sources
        .files()
        .map(|(_, f)| FixedFile {
            path: f.path.clone(),
            name: f.name.clone(),
            original: f.text.clone(),
            fixed: f.text.clone(),
        })
        .collect();
    let index: FxHashMap<PathBuf, usize> = files.iter().enumerate().map(|(i, f)| (f.path.clone(), i)).collect();
    let mut checked = checked;
    let mut applied = Vec::new();
    let mut stopped = None;
    for pass in 0.. {
        if pass == MAX_PASSES {
            stopped = Some(format!("stopped after {MAX_PASSES} passes; run `check --fix` again for the rest"));
            break;
        }
        let mut resolver = Resolver::new(&checked.sources);
        let mut set = EditSet::default();
        let mut this_pass = Vec::new();
        for d in checked.diagnostics.iter().filter(|d| applies(d, unsafe_fixes)) {
            let Some(fix) = &d.fix else { continue };
            let Some(edits) = resolver.resolve(fix) else { continue };
            // Only the files this run read are ever changed.
            if edits.is_empty() || edits.iter().any(|e| !index.contains_key(&checked.sources.get(e.file).path)) {
                continue;
            }
            if set.try_add(edits) {
                this_pass.push((d.rule.name, fix.title.clone()));
            }
        }
        if set.is_empty() {
            break;
        }
        let mut texts: Vec<(usize, String)> = Vec::new();
        for file in set.files() {
            let source = checked.sources.get(file);
            if let Some(&i) = index.get(&source.path) {
                texts.push((i, set.apply(file, &source.text)));
            }
        }
        let mut overrides: crate::load::Overrides = files.iter().map(|f| (f.path.clone(), f.fixed.clone())).collect();
        for (i, text) in &texts {
            overrides.insert(files[*i].path.clone(), text.clone());
        }
        let Ok(loaded) = crate::load::load_with(&entry, cwd, overrides, crate::parse_and_lower) else {
            stopped = Some("the fixed spec could not be loaded; nothing more was fixed".into());
            break;
        };
        let next = crate::check_loaded(loaded, levels);
        if syntax_errors(&next) > syntax_errors(&checked) {
            stopped = Some(format!(
                "a pass of {} would have broken the syntax and was not applied; please report it",
                crate::prose::plural(this_pass.len(), "fix")
            ));
            break;
        }
        for (i, text) in texts {
            files[i].fixed = text;
        }
        applied.append(&mut this_pass);
        checked = next;
    }
    Fixed { checked, files, applied, stopped }
}

/// `check --fix` (or `--diff`) on a checked spec: fixes it in memory, then
/// writes the files that changed or diffs them.
pub(crate) fn run(checked: crate::Checked, levels: &CliLevels, mode: Mode, cwd: &Path) -> Outcome {
    let fixed = fix_in_memory(checked, levels, mode.unsafe_fixes, cwd);
    let changed: Vec<&FixedFile> = fixed.files.iter().filter(|f| f.fixed != f.original).collect();
    let mut report = String::new();
    let mut diff = String::new();
    let mut failed = false;
    if mode.diff {
        for f in &changed {
            let name = text::one_line(&f.name).into_owned();
            let (old, new) = if name.starts_with('/') {
                (name.clone(), name.clone())
            } else {
                (format!("a/{name}"), format!("b/{name}"))
            };
            // Patience anchors on the lines that occur once (names), so a
            // file of many small fixes diffs in near-linear time, where the
            // default Myers costs the file's length times the changes.
            let lines = similar::TextDiff::configure()
                .algorithm(similar::Algorithm::Patience)
                .diff_lines(&f.original, &f.fixed);
            let _ = write!(diff, "{}", lines.unified_diff().context_radius(3).header(&old, &new));
        }
    } else if let Err(message) = write_files(&changed) {
        failed = true;
        let _ = writeln!(report, "error: {message}");
    }
    let verb = if mode.diff {
        "would fix"
    } else if failed {
        "could not write the fixes of"
    } else {
        "fixed"
    };
    let _ = writeln!(report, "{}", summary(verb, &fixed.applied, changed.len()));
    if let Some(why) = &fixed.stopped {
        let _ = writeln!(report, "note: {why}");
    }
    let remaining = &fixed.checked.diagnostics;
    let review = remaining.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Unsafe));
    let review = review.count();
    let _ = writeln!(report, "{}", remains(remaining, if mode.unsafe_fixes { 0 } else { review }));
    Outcome {
        checked: fixed.checked,
        diff: text::lines(&diff).into_owned(),
        report: text::lines(&report).into_owned(),
        changed: !changed.is_empty(),
        failed,
    }
}

/// "fixed 3 findings in 2 files: no-logging 2, unresolved-reference 1".
fn summary(verb: &str, applied: &[(&'static str, String)], files: usize) -> String {
    if applied.is_empty() {
        return format!("{verb} nothing: no finding has a fix this run applies");
    }
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for (rule, _) in applied {
        match by_rule.iter_mut().find(|(r, _)| r == rule) {
            Some((_, n)) => *n += 1,
            None => by_rule.push((rule, 1)),
        }
    }
    by_rule.sort();
    let rules: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!(
        "{verb} {} in {}: {}",
        crate::prose::plural(applied.len(), "finding"),
        crate::prose::plural(files, "file"),
        rules.join(", ")
    )
}

/// "4 findings remain (1 error, 3 warnings); 2 have fixes that need review
/// (`--unsafe-fixes`)".
fn remains(remaining: &[Diagnostic], review: usize) -> String {
    let s = crate::diagnostic::Summary::of(remaining);
    let total = s.errors + s.warnings + s.infos;
    let mut line = if total == 0 {
        "no findings remain".to_owned()
    } else {
        let mut parts = Vec::new();
        for (n, what) in [(s.errors, "error"), (s.warnings, "warning"), (s.infos, "info")] {
            if n > 0 {
                parts.push(crate::prose::plural(n, what));
            }
        }
        let verb = if total == 1 { "remains" } else { "remain" };
        format!("{} {verb} ({})", crate::prose::plural(total, "finding"), parts.join(", "))
    };
    if review > 0 {
        let have = if review == 1 { "has a fix that needs" } else { "have fixes that need" };
        line.push_str(&format!("; {review} {have} review: `--unsafe-fixes` applies them"));
    }
    line
}

/// Writes the fixed files through the one writer, each atomically, after
/// checking that none changed on disk since the run read it: if one did,
/// none is written.
fn write_files(files: &[&FixedFile]) -> Result<(), String> {
    let mut checked = Vec::with_capacity(files.len());
    for f in files {
        let name = text::one_line(&f.name).into_owned();
        let now = crate::load::read_text(&f.path).map_err(|e| format!("cannot read {name} again: {}", e.message))?;
        // The loader drops a byte-order mark; the file keeps it.
        let (bom, body) = match now.strip_prefix('\u{feff}') {
            Some(body) => ("\u{feff}", body),
            None => ("", now.as_str()),
        };
        if body != f.original {
            return Err(format!("{name} changed since it was read; nothing was written, run `check --fix` again"));
        }
        checked.push((*f, format!("{bom}{}", f.fixed)));
    }
    // The one writer, without the protection of spec files other commands
    // ask for: rewriting them is what `--fix` is for, as for `fmt`. It
    // writes atomically, keeps permissions, and writes only regular files.
    let writer = crate::write::Writer::new(std::iter::empty());
    for (f, bytes) in checked {
        writer.write_file(&f.path, bytes.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `check`'s part in fixing: with `--fix` or `--diff`, fixes the spec (see
/// `run`), prints the diff and what was fixed, and returns the check of
/// what remains for `check` to report as it reports any check; `Err` is
/// the exit code when the run ends here (`--diff`, a usage error, a file
/// that could not be written). Without those flags, `checked` comes back
/// as it is.
pub(crate) fn for_check(
    out: &crate::out::Out,
    checked: crate::Checked,
    args: &FixArgs,
    levels: &CliLevels,
) -> Result<crate::Checked, ExitCode> {
    let mode = match args.mode() {
        Ok(Some(mode)) => mode,
        Ok(None) => return Ok(checked),
        Err(message) => {
            out.eprintln(format_args!("error: {message}"));
            return Err(ExitCode::from(2));
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let outcome = run(checked, levels, mode, &cwd);
    out.learn(&outcome.checked.redactor);
    if mode.diff && out.print(&outcome.diff).is_err() {
        return Err(ExitCode::from(2));
    }
    out.eprint(&outcome.report);
    if outcome.failed {
        return Err(ExitCode::from(2));
    }
    if mode.diff {
        // As `fmt --check`: a diff to apply fails the run; else the check's
        // own verdict.
        let errors = outcome.checked.diagnostics.iter().any(|d| d.severity == Severity::Error);
        return Err(ExitCode::from(u8::from(outcome.changed || errors)));
    }
    Ok(outcome.checked)
}
