//! `--files`: the specs that hold the files a hook passes, each run once;
//! for `check`, also each AsyncAPI document no spec holds, read as `check
//! DOCUMENT` reads it.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::lint::CliLevels;
use crate::out::Out;

/// Which entries `--files` runs a command on besides specs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Documents {
    /// Specs only (`fmt` formats KDL).
    No,
    /// AsyncAPI documents that no spec holds, too (`check` reads them).
    Asyncapi,
}

/// Runs `command` on each spec that holds one of `files`, once, in a stable
/// order, and exits as the worst run did (2 before 1 before 0).
pub(super) fn for_each_spec(
    out: &Out,
    files: &[PathBuf],
    cwd: &std::path::Path,
    documents: Documents,
    command: impl Fn(&std::path::Path) -> ExitCode,
) -> ExitCode {
    let (mut entries, mut outside) = specs_holding(files, cwd);
    if documents == Documents::Asyncapi {
        // A YAML or JSON file of a hook's list is checked on its own only
        // when it says it is AsyncAPI: a CI workflow or a `package.json` is
        // not a spec of ours.
        let (own, rest): (Vec<PathBuf>, Vec<PathBuf>) =
            outside.into_iter().partition(|f| crate::import::is_asyncapi_document(&cwd.join(f)));
        entries.extend(own);
        entries.sort();
        entries.dedup();
        outside = rest;
    }
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
