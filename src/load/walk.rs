//! The files an include's glob matches, found by a walk that visits each
//! real folder once and never leaves the spec's root.
//!
//! A spec folder comes from a pull request, and may hold symbolic links: two
//! links to `.` make a walk that follows links blindly (the `glob` crate's)
//! see `a/b/a/b/...` without end. So this walk keys every folder it lists by
//! its identity on disk (device and inode; the canonical path where there is
//! none) and lists each once for each position in the pattern, and it refuses
//! a folder whose canonical path is outside the root. Its work is bounded by
//! the real folders and files under the root times the pattern's components.
//!
//! The matching is the `glob` crate's, one path component at a time: `*`,
//! `?` and `[...]` within a name (a leading dot need not be literal), `**` a
//! whole component matching any number of folders. Results are sorted.

use std::fs;
use std::path::{Component, Path, PathBuf};

use rustc_hash::FxHashSet;

/// What a glob found: the paths it matched (files or anything that is not a
/// folder; the loader checks each) and the first folder it refused to enter
/// because its real place is outside the root.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub(super) files: Vec<PathBuf>,
    pub(super) outside: Option<PathBuf>,
}

enum Part {
    /// `**`: any number of folders.
    AnyFolders,
    /// A name without wildcards (`sales`, `..`).
    Literal(String),
    Pattern(glob::Pattern),
}

/// The identity of a real folder on disk.
#[cfg(unix)]
type FolderKey = (u64, u64);
#[cfg(not(unix))]
type FolderKey = PathBuf;

/// The paths matching `pattern` (relative to `dir`, inside `root`; both
/// canonical), sorted; an error for a pattern the `glob` crate refuses.
pub(super) fn glob(dir: &Path, pattern: &str, root: &Path) -> Result<Found, glob::PatternError> {
    let mut parts = Vec::new();
    for component in Path::new(pattern).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => parts.push(Part::Literal("..".into())),
            Component::Normal(name) => {
                let name = name.to_string_lossy();
                parts.push(if name == "**" {
                    Part::AnyFolders
                } else if name.contains(['*', '?', '[']) {
                    Part::Pattern(glob::Pattern::new(&name)?)
                } else {
                    Part::Literal(name.into_owned())
                });
            }
            // An absolute pattern is refused before the walk.
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let mut walk = Walk { parts, root, visited: FxHashSet::default(), found: Found::default() };
    walk.run(dir.to_path_buf());
    walk.found.files.sort();
    walk.found.files.dedup();
    Ok(walk.found)
}

struct Walk<'a> {
    parts: Vec<Part>,
    root: &'a Path,
    /// Each real folder, with the position in the pattern it was reached at.
    visited: FxHashSet<(FolderKey, usize)>,
    found: Found,
}

impl Walk<'_> {
    /// Walks from `dir`, with no recursion: a worklist of (folder, position).
    fn run(&mut self, dir: PathBuf) {
        let mut todo = vec![(dir, 0)];
        while let Some((path, at)) = todo.pop() {
            if at == self.parts.len() {
                // The pattern is used up here: a match, unless a folder.
                if fs::metadata(&path).map_or(fs::symlink_metadata(&path).is_ok(), |m| !m.is_dir()) {
                    self.found.files.push(path);
                }
                continue;
            }
            // Only folders go on: each real one once per position, none
            // outside the root.
            if !self.enter(&path, at) {
                continue;
            }
            match &self.parts[at] {
                Part::Literal(name) => todo.push((path.join(name), at + 1)),
                Part::AnyFolders => {
                    // Zero folders, or one more (and `**` still to match).
                    todo.push((path.clone(), at + 1));
                    for entry in entries(&path) {
                        if entry.is_dir() {
                            todo.push((entry, at));
                        }
                    }
                }
                Part::Pattern(pattern) => {
                    let options = glob::MatchOptions::new();
                    for entry in entries(&path) {
                        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                        if !name.is_empty() && pattern.matches_with(name, options) {
                            todo.push((entry, at + 1));
                        }
                    }
                }
            }
        }
    }

    /// Whether to go on from the folder `path` at position `at`: it is a
    /// folder, inside the root, and not seen at this position before.
    fn enter(&mut self, path: &Path, at: usize) -> bool {
        let Ok(meta) = fs::metadata(path) else { return false };
        if !meta.is_dir() {
            return false;
        }
        let Ok(real) = fs::canonicalize(path) else { return false };
        if !real.starts_with(self.root) {
            if self.found.outside.is_none() {
                self.found.outside = Some(path.to_path_buf());
            }
            return false;
        }
        self.visited.insert((folder_key(&meta, real), at))
    }
}

#[cfg(unix)]
fn folder_key(meta: &fs::Metadata, _real: PathBuf) -> FolderKey {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn folder_key(_meta: &fs::Metadata, real: PathBuf) -> FolderKey {
    real
}

/// The entries of a folder, in reverse order of name: the worklist pops the
/// first name first, so the walk (and which of two paths to one folder it
/// keeps) is the same on every run.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> =
        fs::read_dir(dir).map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
    entries.sort_unstable_by(|a, b| b.cmp(a));
    entries
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;
    use std::path::{Path, PathBuf};

    use super::glob;

    fn tree(name: &str, files: &[&str]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wireplan-walk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in files {
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::canonicalize(dir).unwrap()
    }

    fn names(root: &Path, dir: &Path, pattern: &str) -> Vec<String> {
        let found = glob(dir, pattern, root).unwrap();
        found.files.iter().map(|p| p.strip_prefix(dir).unwrap_or(p).to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn matches_as_the_glob_crate_does() {
        let root = tree("same", &["a.kdl", "b.kdl", ".h.kdl", "x.txt", "s/c.kdl", "s/t/d.kdl", "s/t/e.md", "u/f1.kdl"]);
        for pattern in ["*.kdl", "**/*.kdl", "s/*.kdl", "s/**/*.kdl", "?.kdl", "[ab].kdl", "u/f[0-9].kdl", "**", "*"] {
            let theirs: Vec<String> = ::glob::glob(&root.join(pattern).to_string_lossy())
                .unwrap()
                .filter_map(Result::ok)
                .filter(|p| !p.is_dir())
                .map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().into_owned())
                .collect();
            let mut theirs = theirs;
            theirs.sort();
            assert_eq!(names(&root, &root, pattern), theirs, "{pattern}");
        }
        assert!(glob(&root, "a**/x", &root).is_err());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn links_to_a_folder_already_walked_are_walked_once() {
        let root = tree("loops", &["a.kdl", "deep/b.kdl"]);
        symlink(".", root.join("l1")).unwrap();
        symlink(".", root.join("l2")).unwrap();
        symlink("..", root.join("deep/up")).unwrap();
        assert_eq!(names(&root, &root, "**/*.kdl"), ["a.kdl", "deep/b.kdl"]);
        assert_eq!(names(&root, &root, "*/*.kdl"), ["deep/b.kdl", "l1/a.kdl"]);
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn a_link_out_of_the_root_is_not_followed() {
        let outer = tree("outer", &["spec/a.kdl", "secret.kdl"]);
        let root = outer.join("spec");
        symlink("..", root.join("up")).unwrap();
        let found = glob(&root, "**/*.kdl", &root).unwrap();
        assert_eq!(found.files, [root.join("a.kdl")]);
        assert_eq!(found.outside, Some(root.join("up")));
        let _ = std::fs::remove_dir_all(outer);
    }
}
