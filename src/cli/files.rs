//! `--files`: the specs that hold the files a hook passes, each run once.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::lint::CliLevels;
use crate::out::Out;

/// Runs `command` on each spec that holds one of `files`, once, in a stable
/// order, and exits as the worst run did (2 before 1 before 0).
pub(super) fn for_each_spec(
    out: &Out,
    files: &[PathBuf],
    cwd: &std::path::Path,
    command: impl Fn(&std::path::Path) -> ExitCode,
) -> ExitCode {
    let (entries, outside) = specs_holding(files, cwd);
    if !outside.is_empty() {
        let names: Vec<String> =
            outside.iter().take(5).map(|p| crate::escape::one_line(&p.display().to_string()).into_owned()).collect();
        out.eprintln(format_args!(
            "note: skipped {}: no wireplan.kdl at or above includes it",
            crate::prose::list(&names, outside.len(), 5, "and")
        ));
    }
    let mut worst = ExitCode::SUCCESS;
    for entry in &entries {
        let code = command(entry);
        if code == ExitCode::from(2) || (code != ExitCode::SUCCESS && worst == ExitCode::SUCCESS) {
            worst = code;
        }
    }
    worst
}

/// The entry files of the specs that hold `files`, sorted, and the files
/// no spec holds. A file's spec is the nearest `wireplan.kdl` at or above
/// it that loads it (itself or through its includes); each candidate spec
/// is loaded once.
pub(super) fn specs_holding(files: &[PathBuf], cwd: &std::path::Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut held_by: std::collections::HashMap<PathBuf, std::collections::HashSet<PathBuf>> = Default::default();
    let mut entries = std::collections::BTreeSet::new();
    let mut outside = Vec::new();
    for file in files {
        let Ok(full) = std::fs::canonicalize(cwd.join(file)) else {
            outside.push(file.clone());
            continue;
        };
        let entry = full.ancestors().skip(1).map(|dir| dir.join(crate::load::ENTRY_FILE)).find(|candidate| {
            candidate.is_file()
                && held_by
                    .entry(candidate.clone())
                    .or_insert_with(|| {
                        crate::check_path(Some(candidate), cwd, &CliLevels::default())
                            .map(|checked| {
                                checked
                                    .sources
                                    .files()
                                    .filter_map(|(_, f)| std::fs::canonicalize(&f.path).ok())
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .contains(&full)
        });
        match entry {
            Some(entry) => {
                entries.insert(entry);
            }
            None => outside.push(file.clone()),
        }
    }
    (entries.into_iter().collect(), outside)
}
