//! `wireplan fmt [PATH] [--check]` over a whole spec: the entry file and
//! every file it includes.

use std::fmt::Write as _;
use std::path::Path;

use crate::escape as text;
use crate::load;
use crate::source::{SourceFile, display_name};

/// What `fmt` prints and the exit code it ends with.
pub(crate) struct Outcome {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// 0 when every file is formatted (or was just formatted); 1 when
    /// `--check` found a file to format, or a file has syntax errors or
    /// cannot be read as a spec file (not UTF-8, too large, unreadable).
    pub(crate) code: u8,
}

/// Formats the spec at `path` (as `check` finds it) in place, or with
/// `check` writes nothing and prints a unified diff of what would change.
/// `Err` is a usage error: no spec found.
pub(crate) fn run(path: Option<&Path>, check: bool, cwd: &Path) -> Result<Outcome, load::LoadError> {
    let entry = load::find_entry(path, cwd)?;
    let loaded = load::load(&entry, cwd, crate::parse_and_lower)?;
    // A diff shows spec text: credentials the checks find are masked in it,
    // as in every other output.
    let checked = crate::check_loaded(loaded, &crate::lint::CliLevels::default());
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let mut outcome = Outcome { stdout: String::new(), stderr: String::new(), code: 0 };
    // The one writer, without the protection of spec files every other
    // command asks for: rewriting them is what `fmt` is for. It still writes
    // atomically, keeps permissions, and writes only regular files.
    let writer = crate::write::Writer::new(std::iter::empty());
    for (_, file) in checked.sources.files() {
        let name = text::one_line(&display_name(&file.path, &cwd)).into_owned();
        // Read again, as written (the loader drops a byte-order mark), by the
        // loader's rules: a file that `check` cannot read, `fmt` reports
        // too, rather than passing over it.
        let original = match load::read_text(&file.path) {
            Ok(original) => original,
            Err(problem) => {
                outcome.code = 1;
                let at = problem.offset().map_or_else(String::new, |offset| {
                    let at = SourceFile::new(file.path.clone(), name.clone(), problem.partial_text.clone())
                        .position(offset as u32);
                    format!(":{}:{}", at.line, at.column)
                });
                let _ = writeln!(
                    outcome.stderr,
                    "{name}{at}: error[{}]: {}",
                    problem.rule().name,
                    text::one_line(&problem.message)
                );
                let _ = writeln!(outcome.stderr, "{name}: not formatted: {}", text::one_line(&problem.help));
                continue;
            }
        };
        match super::format_text(&original) {
            Err(errors) => {
                outcome.code = 1;
                let shown = SourceFile::new(file.path.clone(), name.clone(), original);
                for e in errors.iter().take(10) {
                    let at = shown.position(e.span.start);
                    let _ = writeln!(
                        outcome.stderr,
                        "{name}:{}:{}: error[syntax]: {}",
                        at.line,
                        at.column,
                        text::one_line(&e.message)
                    );
                }
                let _ = writeln!(outcome.stderr, "{name}: not formatted: fix the syntax errors first");
            }
            Ok(formatted) if formatted == original => {}
            Ok(formatted) if check => {
                outcome.code = 1;
                let diff = similar::TextDiff::from_lines(&original, &formatted);
                let (old, new) = if name.starts_with('/') {
                    (name.clone(), name.clone())
                } else {
                    (format!("a/{name}"), format!("b/{name}"))
                };
                let _ = write!(outcome.stdout, "{}", diff.unified_diff().context_radius(3).header(&old, &new));
            }
            Ok(formatted) => match writer.write_file(&file.path, formatted.as_bytes()) {
                Ok(()) => {
                    let _ = writeln!(outcome.stdout, "formatted {name}");
                }
                Err(e) => {
                    outcome.code = 1;
                    let _ = writeln!(outcome.stderr, "{name}: cannot write: {e}");
                }
            },
        }
    }
    outcome.stdout = checked.redactor.apply(&text::lines(&outcome.stdout)).into_owned();
    Ok(outcome)
}
