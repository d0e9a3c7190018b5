//! Loading a spec: the entry file and every file it includes.
//!
//! This is where wireplan reads spec files (the CLI and the LSP server call
//! it, through the pipeline in the crate root). The loader reads and follows
//! includes; what becomes of each file's text is the pipeline's business: it
//! hands the loader its front end (`Front`: parse and lower), whose includes
//! the loader reads next. A seam for where files come from: `Overrides`
//! (an editor's open buffers) are read before the disk. Includes are paths or globs relative to the including file; glob
//! matches load in sorted order (the walk in `walk` visits each real folder
//! once and follows no link out of the root); a file included twice loads once; a file
//! that includes itself, directly or not, is a cycle. No include may leave the
//! spec's root, the folder of the entry file. Files too large, not UTF-8 or
//! not regular files are reported as diagnostics, never as panics.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::model::{FileId, Include, Loc, Spec};
use crate::source::{MAX_FILE_BYTES, SourceFile, SourceMap, Span, display_name};

mod walk;

/// The conventional name of the entry file.
pub(crate) const ENTRY_FILE: &str = "wireplan.kdl";

/// Includes nest at most this deep.
const MAX_INCLUDE_DEPTH: usize = 64;

/// The front of the pipeline, run on each file the loader reads: it adds the
/// file's part of the spec and its findings, and returns its includes and
/// how long it spent parsing.
pub(crate) type Front = fn(FileId, &str, &mut Spec, &mut Vec<Diagnostic>) -> (Vec<Include>, std::time::Duration);

/// A spec loaded and lowered, not yet resolved.
#[derive(Default)]
pub(crate) struct Loaded {
    pub(crate) sources: SourceMap,
    pub(crate) spec: Spec,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Time spent in `syntax::parse`, for the benchmark.
    pub(crate) parse_time: std::time::Duration,
}

/// Why the entry file could not be loaded at all (exit code 2).
#[derive(Debug)]
pub(crate) enum LoadError {
    NoSpecFound(PathBuf),
    NotFound(PathBuf),
    Unreadable(PathBuf, io::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NoSpecFound(dir) => {
                write!(f, "no `{ENTRY_FILE}` in {} or any folder above it; pass a spec file or folder", shown(dir))
            }
            LoadError::NotFound(path) => write!(f, "{}: no such file or folder", shown(path)),
            LoadError::Unreadable(path, e) => write!(f, "{}: cannot read: {e}", shown(path)),
        }
    }
}

/// A path as printed: on one line, control characters escaped.
fn shown(path: &Path) -> String {
    crate::escape::one_line(&path.display().to_string()).into_owned()
}

/// The entry file for a `PATH` argument: a file, a folder holding
/// `wireplan.kdl`, or (with no argument) the nearest `wireplan.kdl` in `cwd`
/// or above.
pub(crate) fn find_entry(path: Option<&Path>, cwd: &Path) -> Result<PathBuf, LoadError> {
    match path {
        Some(p) => {
            let p = cwd.join(p);
            if p.is_dir() {
                let entry = p.join(ENTRY_FILE);
                if entry.is_file() { Ok(entry) } else { Err(LoadError::NotFound(entry)) }
            } else if p.exists() {
                Ok(p)
            } else {
                Err(LoadError::NotFound(p))
            }
        }
        None => cwd
            .ancestors()
            .map(|dir| dir.join(ENTRY_FILE))
            .find(|p| p.is_file())
            .ok_or_else(|| LoadError::NoSpecFound(cwd.to_path_buf())),
    }
}

/// Loads the entry file and its includes, lowering each.
pub(crate) fn load(entry: &Path, cwd: &Path, front: Front) -> Result<Loaded, LoadError> {
    load_with(entry, cwd, Overrides::default(), front)
}

/// Texts that stand in for files on disk, by canonical path: the language
/// server's open buffers, which may differ from what is saved.
pub(crate) type Overrides = rustc_hash::FxHashMap<PathBuf, String>;

/// `load`, reading a file from `overrides` when it is there, from disk
/// otherwise.
pub(crate) fn load_with(entry: &Path, cwd: &Path, overrides: Overrides, front: Front) -> Result<Loaded, LoadError> {
    let entry = match fs::canonicalize(entry) {
        Ok(entry) => entry,
        // An editor's buffer that was never saved.
        Err(_) if overrides.contains_key(entry) => entry.to_path_buf(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(LoadError::NotFound(entry.to_path_buf())),
        Err(e) => return Err(LoadError::Unreadable(entry.to_path_buf(), e)),
    };
    let root = entry.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    let cwd = fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    if !overrides.contains_key(&entry) {
        let meta = fs::metadata(&entry).map_err(|e| LoadError::Unreadable(entry.clone(), e))?;
        if !meta.is_file() {
            return Err(LoadError::Unreadable(entry, io::Error::other("not a regular file")));
        }
        // The entry file must at least be readable; problems inside it are diagnostics.
        fs::File::open(&entry).map_err(|e| LoadError::Unreadable(entry.clone(), e))?;
    }
    let mut loader =
        Loader { root, cwd, loaded: Loaded::default(), stack: Vec::new(), seen: Default::default(), overrides, front };
    loader.load_file(&entry, None);
    Ok(loader.loaded)
}

/// Loads one in-memory file, resolving its includes from disk relative to
/// `path` (the robustness test feeds it mutated specs).
#[cfg(test)]
pub(crate) fn load_text(path: &Path, text: String, cwd: &Path, front: Front) -> Loaded {
    let root = path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    let mut loader = Loader {
        root,
        cwd: cwd.to_path_buf(),
        loaded: Loaded::default(),
        stack: Vec::new(),
        seen: Default::default(),
        overrides: Overrides::default(),
        front,
    };
    let name = display_name(path, &loader.cwd);
    let file = loader.loaded.sources.add(SourceFile::new(path.to_path_buf(), name, text));
    loader.lower(file, path);
    loader.loaded
}

struct Loader {
    front: Front,
    root: PathBuf,
    cwd: PathBuf,
    loaded: Loaded,
    /// The chain of files being loaded, for cycle detection.
    stack: Vec<PathBuf>,
    /// Every file loaded so far: a glob over thousands of files looks each
    /// one up here, not in a list.
    seen: rustc_hash::FxHashSet<PathBuf>,
    /// Texts read instead of the files on disk (see `load_with`).
    overrides: Overrides,
}

impl Loader {
    /// Reads, parses and lowers `path` (canonical), then its includes.
    fn load_file(&mut self, path: &Path, included_at: Option<Loc>) {
        let name = display_name(path, &self.cwd);
        let read = match self.overrides.get(path) {
            Some(text) => Ok(text.clone()),
            None => read_text(path),
        };
        let (text, problem) = match read {
            Ok(text) => (text, None),
            Err(problem) => (problem.partial_text.clone(), Some(problem)),
        };
        self.seen.insert(path.to_path_buf());
        let file = self.loaded.sources.add(SourceFile::new(path.to_path_buf(), name, text));
        if let Some(problem) = problem {
            let offset = problem.offset().unwrap_or(0);
            let mut d = Diagnostic::new(problem.rule(), Loc::new(file, Span::new(offset, offset)), problem.message)
                .with_help(problem.help);
            if let Some(at) = included_at {
                d = d.with_secondary(at, "included here");
            }
            self.loaded.diagnostics.push(d);
            return;
        }
        self.lower(file, path);
    }

    fn lower(&mut self, file: FileId, path: &Path) {
        let loaded = &mut self.loaded;
        let (includes, parse_time) =
            (self.front)(file, &loaded.sources.get(file).text, &mut loaded.spec, &mut loaded.diagnostics);
        self.loaded.parse_time += parse_time;
        self.stack.push(path.to_path_buf());
        for include in includes {
            self.include(path, &include);
        }
        self.stack.pop();
    }

    fn include(&mut self, from: &Path, include: &Include) {
        let dir = from.parent().unwrap_or(&self.root);
        let pattern = &include.pattern;
        if Path::new(pattern).is_absolute() {
            return self.include_error(
                include,
                format!("`{pattern}` is an absolute path"),
                "include files by a path relative to this file, inside the spec's folder",
            );
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return self.include_error(
                include,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
                "flatten the include chain",
            );
        }
        let is_glob = pattern.contains(['*', '?', '[']);
        let candidates: Vec<PathBuf> = if is_glob {
            match walk::glob(dir, pattern, &self.root) {
                Ok(found) => {
                    if let Some(link) = &found.outside {
                        let message = if escapes(link, &self.root) {
                            format!("`{pattern}` is outside the spec's folder")
                        } else {
                            let shown = display_name(link, &self.cwd);
                            format!(
                                "`{pattern}` reaches outside the spec's folder through the link `{}`, not followed",
                                crate::escape::one_line(&shown)
                            )
                        };
                        self.include_error(
                            include,
                            message,
                            "a spec may only include files inside the folder of its entry file",
                        );
                    }
                    if found.files.is_empty() && found.outside.is_none() {
                        return self.include_error(
                            include,
                            format!("`{pattern}` matches no file"),
                            "check the pattern; it is relative to the including file",
                        );
                    }
                    found.files
                }
                Err(e) => {
                    return self.include_error(
                        include,
                        format!("`{pattern}` is not a valid glob: {e}"),
                        "globs use `*`, `?`, `**` and `[...]`",
                    );
                }
            }
        } else {
            vec![dir.join(pattern)]
        };
        for candidate in candidates {
            // Lexically outside the root (`../../x`) is refused before touching the file.
            if escapes(&candidate, &self.root) {
                self.include_error(
                    include,
                    format!("`{pattern}` is outside the spec's folder"),
                    "a spec may only include files inside the folder of its entry file",
                );
                continue;
            }
            let canonical = match fs::canonicalize(&candidate) {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    self.include_error(
                        include,
                        format!("`{pattern}` does not exist"),
                        "check the path; it is relative to the including file",
                    );
                    continue;
                }
                Err(e) => {
                    self.include_error(
                        include,
                        format!("`{pattern}` cannot be read: {e}"),
                        "check the file's permissions",
                    );
                    continue;
                }
            };
            if !canonical.starts_with(&self.root) {
                self.include_error(
                    include,
                    format!("`{pattern}` is outside the spec's folder (through a link)"),
                    "a spec may only include files inside the folder of its entry file",
                );
                continue;
            }
            let meta = fs::metadata(&canonical);
            if meta.as_ref().is_ok_and(fs::Metadata::is_dir) {
                self.include_error(
                    include,
                    format!("`{pattern}` is a folder"),
                    "include the files in it with a glob, such as `sales/*.kdl`",
                );
                continue;
            }
            // Checked before the file is opened: opening a FIFO blocks, and a
            // device never ends.
            if !meta.as_ref().is_ok_and(fs::Metadata::is_file) {
                let shown = display_name(&canonical, &self.cwd);
                self.include_error(
                    include,
                    format!("`{}` is not a regular file (a pipe or a device)", crate::escape::one_line(&shown)),
                    "include spec files only",
                );
                continue;
            }
            if let Some(pos) = self.stack.iter().position(|p| *p == canonical) {
                let chain: Vec<String> = self.stack[pos..]
                    .iter()
                    .chain(std::iter::once(&canonical))
                    .map(|p| display_name(p, &self.cwd))
                    .collect();
                self.include_error(
                    include,
                    format!("include cycle: {}", chain.join(" -> ")),
                    "remove one of the includes in the cycle",
                );
                continue;
            }
            if self.seen.contains(&canonical) {
                // Included before (a diamond): loaded once.
                continue;
            }
            self.load_file(&canonical, Some(include.loc));
        }
    }

    fn include_error(&mut self, include: &Include, message: String, help: &str) {
        self.loaded.diagnostics.push(
            Diagnostic::new(&crate::diagnostic::INCLUDE_ERROR, include.loc, message)
                .with_label("cannot include this")
                .with_help(help.to_owned()),
        );
    }
}

/// Whether `path`, taken lexically (`..` pops a component), leaves `root`.
fn escapes(path: &Path, root: &Path) -> bool {
    let mut normal = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    !normal.starts_with(root)
}

enum ReadProblem {
    Encoding(usize),
    TooLarge,
    Io,
}

/// Why a spec file could not be read as text.
pub(crate) struct ReadFailure {
    kind: ReadProblem,
    pub(crate) message: String,
    pub(crate) help: String,
    /// Text to show with the diagnostic: the valid prefix of a non-UTF-8 file.
    pub(crate) partial_text: String,
}

impl ReadFailure {
    /// The rule `check` reports it under.
    pub(crate) fn rule(&self) -> &'static crate::diagnostic::Rule {
        match self.kind {
            ReadProblem::Encoding(_) | ReadProblem::TooLarge => &crate::diagnostic::SYNTAX,
            ReadProblem::Io => &crate::diagnostic::INCLUDE_ERROR,
        }
    }

    /// Where in the file the problem is: the first byte that is not UTF-8.
    pub(crate) fn offset(&self) -> Option<usize> {
        match self.kind {
            ReadProblem::Encoding(offset) => Some(offset),
            _ => None,
        }
    }
}

fn not_a_file() -> ReadFailure {
    ReadFailure {
        kind: ReadProblem::Io,
        message: "this is not a regular file (a pipe, device or folder); wireplan reads only regular files".into(),
        help: "include spec files only".into(),
        partial_text: String::new(),
    }
}

/// Reads a spec file as text, by the loader's rules: a regular file, at most
/// `MAX_FILE_BYTES`, UTF-8 (`fmt` reads the files it rewrites with it too).
pub(crate) fn read_text(path: &Path) -> Result<String, ReadFailure> {
    let io_failure = |e: io::Error| ReadFailure {
        kind: ReadProblem::Io,
        message: format!("cannot read this file: {e}"),
        help: "check that the file exists and is readable".into(),
        partial_text: String::new(),
    };
    // Only regular files are read: opening a FIFO blocks until something
    // writes to it, and a character device (`/dev/zero`) never ends. So the
    // path is checked before it is opened, and the open file again after.
    if !fs::metadata(path).map_err(io_failure)?.is_file() {
        return Err(not_a_file());
    }
    let file = fs::File::open(path).map_err(io_failure)?;
    let meta = file.metadata().map_err(io_failure)?;
    if !meta.is_file() {
        return Err(not_a_file());
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(ReadFailure {
            kind: ReadProblem::TooLarge,
            message: format!(
                "this file is {:.1} MiB; wireplan reads spec files of up to {} MiB",
                meta.len() as f64 / 1_048_576.0,
                MAX_FILE_BYTES / 1_048_576
            ),
            help: "split the spec into several files joined with `include`".into(),
            partial_text: String::new(),
        });
    }
    // Read at most the limit (and one byte more to notice a file that grew).
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    io::Read::read_to_end(&mut io::Read::take(file, MAX_FILE_BYTES as u64 + 1), &mut bytes).map_err(io_failure)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ReadFailure {
            kind: ReadProblem::TooLarge,
            message: format!("this file grew past {} MiB while it was read", MAX_FILE_BYTES / 1_048_576),
            help: "split the spec into several files joined with `include`".into(),
            partial_text: String::new(),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..offset]).into_owned();
        ReadFailure {
            kind: ReadProblem::Encoding(offset),
            message: format!("this file is not valid UTF-8 (the first bad byte is at offset {offset})"),
            help: "save the file as UTF-8".into(),
            partial_text: prefix,
        }
    })
}
