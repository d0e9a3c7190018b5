//! A spec as it was at a git revision, for `check --changed-since` and
//! `diff --against`: read from git's objects into a `tempfile` folder
//! (random name, 0700, removed when dropped) and checked there.

use std::path::PathBuf;
use std::process::ExitCode;

use super::usage_error;
use crate::lint::CliLevels;
use crate::out::Out;

/// The spec at `path` (or the nearest one) as it is in git at `rev`, in the
/// repository that holds the current folder (see `git`): its folder is
/// read from git's objects into a private temporary folder and checked
/// there, as the current folder maps into it, so names match the spec now.
pub(super) fn spec_at_revision(
    out: &Out,
    path: Option<&std::path::Path>,
    rev: &str,
) -> Result<crate::Checked, ExitCode> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let entry = crate::load::find_entry(path, &cwd).map_err(|e| usage_error(out, &e.to_string()))?;
    let entry = std::fs::canonicalize(&entry).map_err(|e| usage_error(out, &format!("{}: {e}", entry.display())))?;
    let spec_dir = entry.parent().unwrap_or(std::path::Path::new("/")).to_path_buf();
    let repo = crate::git::Repository::enclosing(&cwd).map_err(|e| usage_error(out, &e))?;
    let Ok(folder) = spec_dir.strip_prefix(repo.work_tree()) else {
        return Err(usage_error(
            out,
            &format!(
                "the spec's folder {} is outside the git repository at {}, which holds the current folder; \
             run wireplan from inside the spec's repository",
                spec_dir.display(),
                repo.work_tree().display()
            ),
        ));
    };
    let mut tmp = tempfile::Builder::new();
    tmp.prefix("wireplan-rev-");
    #[cfg(unix)]
    tmp.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    // Removed when dropped, at the end of this function.
    let tmp = tmp.tempdir().map_err(|e| usage_error(out, &format!("cannot make a temporary folder: {e}")))?;
    // The temporary folder stands for the working tree: the spec's folder
    // goes where it is in the repository, and the current folder maps into
    // it, so that file names read the same in both specs.
    let base = std::fs::canonicalize(tmp.path()).unwrap_or_else(|_| tmp.path().to_path_buf());
    let old_dir = base.join(folder);
    std::fs::create_dir_all(&old_dir).map_err(|e| usage_error(out, &format!("cannot make a temporary folder: {e}")))?;
    let exported = repo.export(rev, folder, &old_dir).map_err(|e| usage_error(out, &e))?;
    for (path, size) in &exported.too_large {
        out.eprintln(format_args!(
            "warning: `{}` at `{}` is {:.1} MiB, more than a spec file may be ({} MiB); it is left out of the old spec",
            crate::escape::one_line(&path.display().to_string()),
            crate::escape::one_line(rev),
            *size as f64 / 1_048_576.0,
            crate::source::MAX_FILE_BYTES / 1_048_576
        ));
    }
    let old_entry = old_dir.join(entry.file_name().unwrap_or_default());
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let old_cwd = cwd.strip_prefix(repo.work_tree()).map_or_else(|_| old_dir.clone(), |rest| base.join(rest));
    let checked = crate::check_path(Some(&old_entry), &old_cwd, &CliLevels::default()).map_err(|e| {
        usage_error(out, &format!("the spec at {rev}: {}", e.to_string().replace(&base.display().to_string(), rev)))
    })?;
    out.learn(&checked.redactor);
    Ok(checked)
}
