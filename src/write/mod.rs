//! The one writer: every file wireplan writes goes through here (`plan
//! --html`, `build`, and later `fmt`), so that no command can lose data.
//!
//! A file is written atomically: the bytes go to a temporary file created
//! exclusively (`create_new`, so a planted file or symbolic link at that name
//! is never opened) in the destination's own folder, are flushed to disk,
//! and the temporary file is renamed over the destination; a reader sees the
//! old file or the new one, never half of one. Before that, the destination
//! is checked: it must not be a loaded spec file (by path and by inode, so a
//! hard link counts too), and if it exists it must be a regular file. A
//! symbolic link is refused rather than followed or replaced: wireplan cannot
//! tell whether the link or its target is what the user meant, so it says so
//! and lets the user name the target. The file replaced keeps its
//! permissions (not its owner: a rename makes a new file).
//!
//! For `build`, `write_tree` writes a set of generated files into an output
//! folder: only inside it (relative paths of plain components, no folder on
//! the way may be a symbolic link; `--out` itself may be one, since the user
//! named it), guarded by a manifest
//! (`DIR/.wireplan-manifest.json`) that records each generated file and its
//! hash. A file the manifest does not list, or whose hash differs from the
//! one recorded (edited by hand), is never overwritten without `--force`;
//! files the manifest lists that the spec no longer produces are removed.
//! `compare_tree` is the same comparison without writing, for `build --check`.
//! A tree's files are flushed to disk together (one `syncfs` on Linux)
//! before its manifest is written, rather than two `fsync`s each.
//!
//! Nothing is held whole that need not be: a streamed artifact (the hub's
//! `flows.json`, many times the spec's size) is run straight into its
//! temporary file through the hash, and a file on disk is hashed as it is
//! read. A streamed artifact is hashed before writing only where a file is
//! already at its path (to tell whether it changed): a first build makes
//! each document once.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::emit::{Artifact, Body};

/// The manifest's name, in the output folder.
pub(crate) const MANIFEST: &str = ".wireplan-manifest.json";

/// Why a write did not happen.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// wireplan would not write there (the path is shown, then why).
    Refused { path: PathBuf, reason: String },
    /// The file system failed.
    Io { path: PathBuf, error: io::Error },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Refused { path, reason } => write!(f, "refusing to write {}: {reason}", path.display()),
            WriteError::Io { path, error } => write!(f, "cannot write {}: {error}", path.display()),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |error| WriteError::Io { path: path.to_owned(), error }
}

fn refused(path: &Path, reason: impl Into<String>) -> WriteError {
    WriteError::Refused { path: path.to_owned(), reason: reason.into() }
}

/// The files that must never be written: the spec files of this run.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    protected: Vec<Protected>,
}

#[derive(Debug)]
struct Protected {
    path: PathBuf,
    #[cfg(unix)]
    inode: Option<(u64, u64)>,
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

impl Writer {
    /// A writer that refuses to write over any of `spec_files`.
    pub(crate) fn new<'a>(spec_files: impl IntoIterator<Item = &'a Path>) -> Self {
        let protected = spec_files
            .into_iter()
            .map(|path| Protected {
                path: fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
                #[cfg(unix)]
                inode: fs::metadata(path).ok().map(|m| inode(&m)),
            })
            .collect();
        Writer { protected }
    }

    fn is_protected(&self, path: &Path, meta: &fs::Metadata) -> bool {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        self.protected.iter().any(|p| {
            #[cfg(unix)]
            if p.inode == Some(inode(meta)) {
                return true;
            }
            let _ = meta;
            p.path == canonical
        })
    }

    /// What is at `path` now: nothing, or a regular file (its metadata).
    /// Anything else is refused.
    fn existing(&self, path: &Path) -> Result<Option<fs::Metadata>, WriteError> {
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => Err(refused(
                path,
                "it is a symbolic link; wireplan neither follows nor replaces links (name the file it points to, \
                 or remove the link)",
            )),
            Ok(meta) if !meta.is_file() => {
                let what = if meta.is_dir() { "a folder" } else { "not a regular file (a FIFO, socket or device)" };
                Err(refused(path, format!("it is {what}")))
            }
            Ok(meta) if self.is_protected(path, &meta) => {
                Err(refused(path, "it is a spec file of this run; choose another output path"))
            }
            Ok(meta) => Ok(Some(meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(path)(e)),
        }
    }

    /// Writes `bytes` to `path` atomically (see the module documentation),
    /// and durably: the file and its folder are flushed before it returns.
    pub(crate) fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
        self.write_file_as(path, bytes, Flush::Now)
    }

    /// Writes `bytes` to `path` atomically, or flushes it with `flush`.
    fn write_file_as(&self, path: &Path, bytes: &[u8], flush: Flush) -> Result<(), WriteError> {
        self.write_with(path, &mut |file| file.write_all(bytes), flush)
    }

    /// Writes `artifact` to `path` atomically, through the hash, flushed
    /// with `flush`; returns the hash of what was written.
    fn write_artifact(&self, path: &Path, artifact: &Artifact, flush: Flush) -> Result<String, WriteError> {
        let mut hash = None;
        self.write_with(
            path,
            &mut |file| {
                let mut out = io::BufWriter::with_capacity(1 << 16, Hashing::new(file));
                artifact.write_to(&mut out)?;
                let hashing = out.into_inner().map_err(io::IntoInnerError::into_error)?;
                hash = Some(hashing.finish());
                Ok(())
            },
            flush,
        )?;
        Ok(hash.unwrap_or_default())
    }

    /// Writes what `produce` writes into the file to `path` atomically, or
    /// flushes it with `flush`.
    fn write_with(
        &self,
        path: &Path,
        produce: &mut dyn FnMut(&mut fs::File) -> io::Result<()>,
        flush: Flush,
    ) -> Result<(), WriteError> {
        let existing = self.existing(path)?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().ok_or_else(|| refused(path, "it names no file"))?;
        let name = name.to_string_lossy();
        let (tmp, mut file) = create_temporary(dir, &name, temporary_names(&name), existing.is_some())?;
        let result = (|| {
            produce(&mut file)?;
            if let Some(meta) = &existing {
                file.set_permissions(meta.permissions())?;
            }
            if flush == Flush::Now {
                file.sync_all()?;
            }
            drop(file);
            fs::rename(&tmp, path)
        })();
        if let Err(error) = result {
            let _ = fs::remove_file(&tmp);
            return Err(WriteError::Io { path: path.to_owned(), error });
        }
        if flush == Flush::Later {
            return Ok(());
        }
        // The rename is durable once the folder is flushed; a folder that
        // cannot be opened for that (some file systems) loses nothing.
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Removes a generated file that the spec no longer produces.
    fn remove_file(&self, path: &Path) -> Result<(), WriteError> {
        if self.existing(path)?.is_some() {
            fs::remove_file(path).map_err(io_error(path))?;
        }
        Ok(())
    }
}

/// When a written file reaches the disk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flush {
    /// Before `write_file` returns: the file, then its folder.
    Now,
    /// When the caller flushes the file system (`flush_file_system`), once
    /// for many files: two `fsync`s per file made a build of 20,000 files
    /// spend most of its time waiting for the disk.
    Later,
}

/// Flushes what was written under `root` to disk. On Linux one `syncfs`
/// of its file system; elsewhere each file and folder in `written`.
fn flush_file_system(root: &Path, written: &[PathBuf]) -> Result<(), WriteError> {
    #[cfg(target_os = "linux")]
    {
        let _ = written;
        let dir = fs::File::open(root).map_err(io_error(root))?;
        rustix::fs::syncfs(&dir).map_err(|e| io_error(root)(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = root;
        for path in written {
            fs::File::open(path).and_then(|f| f.sync_all()).map_err(io_error(path))?;
            if let Some(dir) = path.parent().and_then(|d| fs::File::open(d).ok()) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

/// The names tried for the temporary file of `name`, in order: hidden, next
/// to it, with this process's id and a counter.
fn temporary_names(name: &str) -> impl Iterator<Item = String> + '_ {
    let pid = std::process::id();
    (0..100u32).map(move |n| format!(".{name}.wireplan-{pid}-{n}.tmp"))
}

/// Creates the first temporary file of `names` that does not exist yet. It
/// is opened with `create_new`, which fails on anything already there, a
/// symbolic link included (so a link planted at the name is never followed).
fn create_temporary(
    dir: &Path,
    name: &str,
    names: impl Iterator<Item = String>,
    replacing: bool,
) -> Result<(PathBuf, fs::File), WriteError> {
    for candidate in names {
        let tmp = dir.join(candidate);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A new file gets the usual 0666 less the umask, as `fs::write`
            // would give it; a replacement is private until `write_file`
            // gives it the permissions of the file it replaces.
            options.mode(if replacing { 0o600 } else { 0o666 });
        }
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_error(&tmp)(e)),
        }
    }
    Err(refused(&dir.join(name), "every temporary name next to it is taken"))
}

/// `sha256:` and the hex digest of `bytes`.
pub(crate) fn hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A writer that hashes what passes through it into `inner`.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: io::Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing { inner, hasher: Sha256::new() }
    }

    /// `hash` of everything written.
    fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<W: io::Write> io::Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The hash of `artifact`'s bytes; a streamed one is made into the hash,
/// not into memory.
fn artifact_hash(root: &Path, artifact: &Artifact) -> Result<String, WriteError> {
    match &artifact.body {
        Body::Bytes(bytes) => Ok(hash(bytes)),
        Body::Stream(_) => {
            let mut out = io::BufWriter::with_capacity(1 << 16, Hashing::new(io::sink()));
            let hashed = artifact.write_to(&mut out).and_then(|()| out.into_inner().map_err(|e| e.into_error()));
            hashed.map(Hashing::finish).map_err(io_error(&root.join(&artifact.path)))
        }
    }
}

/// The hash of the file at `path`, read a piece at a time.
fn file_hash(path: &Path) -> Result<String, WriteError> {
    let mut hashing = Hashing::new(io::sink());
    let mut file = fs::File::open(path).map_err(io_error(path))?;
    io::copy(&mut file, &mut hashing).map_err(io_error(path))?;
    Ok(hashing.finish())
}

/// The manifest: which files wireplan generated into the folder, and their
/// hashes, sorted by path.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// Says what the file is, for whoever opens it.
    generator: String,
    /// The backend (`hub`): one output folder holds one target.
    target: String,
    files: BTreeMap<String, String>,
}

impl Manifest {
    fn bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text.into_bytes()
    }
}

/// One way the folder differs from what the spec generates now.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Difference {
    /// Generated, not there.
    Missing(String),
    /// Generated earlier (untouched since), but the spec now generates other bytes.
    Changed(String),
    /// Generated earlier and edited by hand since.
    Edited(String),
    /// There, but not generated by wireplan (not in the manifest).
    NotGenerated(String),
    /// Generated earlier; the spec no longer produces it.
    Stale(String),
    /// Generated earlier, but for another `--target`.
    OtherTarget(String),
}

impl Difference {
    pub(crate) fn path(&self) -> &str {
        match self {
            Difference::Missing(p)
            | Difference::Changed(p)
            | Difference::Edited(p)
            | Difference::NotGenerated(p)
            | Difference::Stale(p)
            | Difference::OtherTarget(p) => p,
        }
    }

    /// What `build --check` prints before the path.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Difference::Missing(_) => "missing",
            Difference::Changed(_) => "changed",
            Difference::Edited(_) => "edited by hand",
            Difference::NotGenerated(_) => "not generated by wireplan",
            Difference::Stale(_) => "stale (no longer generated)",
            Difference::OtherTarget(_) => "generated for another target",
        }
    }

    /// Whether `build` stops at it unless `--force` is given: it would
    /// overwrite or remove work that wireplan did not make.
    fn needs_force(&self) -> bool {
        matches!(self, Difference::Edited(_) | Difference::NotGenerated(_) | Difference::OtherTarget(_))
    }
}

/// Checks that `rel` is a relative path of plain components (no `..`, `.`,
/// empty or absolute parts, no backslashes or NUL) and returns them.
pub(crate) fn components(rel: &str) -> Result<Vec<&str>, String> {
    if rel.is_empty() || rel.starts_with('/') {
        return Err(format!("{rel:?} is not a relative path"));
    }
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts {
        if part.is_empty() || *part == "." || *part == ".." || part.contains(['\\', '\0']) {
            return Err(format!("{rel:?} has a component {part:?} that could leave the output folder"));
        }
    }
    if parts[0] == MANIFEST {
        return Err(format!("{rel:?} is wireplan's manifest"));
    }
    Ok(parts)
}

/// What is in the output folder, as the comparison needs it.
struct Disk {
    manifest: Option<Manifest>,
    /// Each path of interest: `None` when absent, else its hash.
    files: BTreeMap<String, Option<String>>,
}

/// Reads the manifest and the files that matter, refusing paths that leave
/// `root` or pass through a symbolic link, and anything not a regular file.
fn read_disk(writer: &Writer, root: &Path, artifacts: &[Artifact]) -> Result<Disk, WriteError> {
    let manifest_path = root.join(MANIFEST);
    let manifest = match writer.existing(&manifest_path)? {
        None => None,
        Some(_) => {
            let text = fs::read(&manifest_path).map_err(io_error(&manifest_path))?;
            Some(serde_json::from_slice::<Manifest>(&text).map_err(|e| {
                refused(
                    &manifest_path,
                    format!("it is not a wireplan manifest ({e}); remove it or choose another --out"),
                )
            })?)
        }
    };
    let mut paths: Vec<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    if let Some(m) = &manifest {
        paths.extend(m.files.keys().map(String::as_str));
    }
    let mut files = BTreeMap::new();
    for rel in paths {
        let path = inside(root, rel, false)?;
        let found = match path {
            None => None,
            Some(path) => match writer.existing(&path)? {
                None => None,
                Some(_) => Some(file_hash(&path)?),
            },
        };
        files.insert(rel.to_owned(), found);
    }
    Ok(Disk { manifest, files })
}

/// The path of `rel` inside `root`, checking every folder on the way: none
/// may be a symbolic link or something other than a folder. With `create`,
/// missing folders are made; without, `None` means one is missing (so the
/// file is too).
fn inside(root: &Path, rel: &str, create: bool) -> Result<Option<PathBuf>, WriteError> {
    let parts = components(rel).map_err(|reason| refused(&root.join(rel), reason))?;
    let mut path = root.to_owned();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        if i + 1 == parts.len() {
            break;
        }
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refused(&root.join(rel), format!("{} is a symbolic link", path.display())));
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(refused(&root.join(rel), format!("{} is not a folder", path.display())));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !create {
                    return Ok(None);
                }
                fs::create_dir(&path).map_err(io_error(&path))?;
            }
            Err(e) => return Err(io_error(&path)(e)),
        }
    }
    Ok(Some(path))
}

/// How the folder differs from `artifacts` (what the spec generates now for
/// `target`), sorted by path; empty when it is up to date. Writes nothing.
pub(crate) fn compare_tree(
    writer: &Writer,
    root: &Path,
    target: &str,
    artifacts: &[Artifact],
) -> Result<Vec<Difference>, WriteError> {
    compare(writer, root, target, artifacts).map(|(differences, _)| differences)
}

/// `compare_tree`, and the hash of each artifact it had to make (those
/// with a file at their path).
fn compare(
    writer: &Writer,
    root: &Path,
    target: &str,
    artifacts: &[Artifact],
) -> Result<(Vec<Difference>, Vec<Option<String>>), WriteError> {
    let mut hashes = vec![None; artifacts.len()];
    if !root.exists() {
        let mut all: Vec<Difference> = artifacts.iter().map(|a| Difference::Missing(a.path.clone())).collect();
        all.push(Difference::Missing(MANIFEST.into()));
        return Ok((all, hashes));
    }
    let disk = read_disk(writer, root, artifacts)?;
    let recorded = |rel: &str| disk.manifest.as_ref().and_then(|m| m.files.get(rel));
    let other_target = disk.manifest.as_ref().is_some_and(|m| m.target != target);
    let mut out = Vec::new();
    for (artifact, known) in artifacts.iter().zip(&mut hashes) {
        let rel = &artifact.path;
        let Some(have) = disk.files.get(rel).cloned().flatten() else {
            out.push(Difference::Missing(rel.clone()));
            continue;
        };
        let want = known.insert(artifact_hash(root, artifact)?);
        match have {
            // Already what the spec generates: nothing to lose, whoever made
            // it (the manifest is brought up to date below).
            have if have == *want && !other_target => {}
            have => out.push(match recorded(rel) {
                None => Difference::NotGenerated(rel.clone()),
                Some(_) if other_target => Difference::OtherTarget(rel.clone()),
                Some(old) if *old == have => Difference::Changed(rel.clone()),
                Some(_) => Difference::Edited(rel.clone()),
            }),
        }
    }
    if let Some(manifest) = &disk.manifest {
        let produced: HashSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
        for (rel, old) in &manifest.files {
            if produced.contains(rel.as_str()) {
                continue;
            }
            match disk.files.get(rel).cloned().flatten() {
                None => {}
                Some(have) if have == *old && !other_target => out.push(Difference::Stale(rel.clone())),
                Some(_) if other_target => out.push(Difference::OtherTarget(rel.clone())),
                Some(_) => out.push(Difference::Edited(rel.clone())),
            }
        }
    }
    // Nothing is missing here, so every artifact is hashed.
    if out.is_empty() && disk.manifest.as_ref() != Some(&new_manifest(root, target, artifacts, &mut hashes)?) {
        out.push(if other_target {
            Difference::OtherTarget(MANIFEST.into())
        } else if disk.manifest.is_some() {
            Difference::Changed(MANIFEST.into())
        } else {
            Difference::Missing(MANIFEST.into())
        });
    }
    out.sort();
    out.dedup();
    Ok((out, hashes))
}

/// The manifest of `artifacts`, whose hashes are in `hashes` where known
/// (the rest are made and kept there).
fn new_manifest(
    root: &Path,
    target: &str,
    artifacts: &[Artifact],
    hashes: &mut [Option<String>],
) -> Result<Manifest, WriteError> {
    let mut files = BTreeMap::new();
    for (artifact, known) in artifacts.iter().zip(hashes) {
        let hash = match known {
            Some(hash) => hash.clone(),
            None => known.insert(artifact_hash(root, artifact)?).clone(),
        };
        files.insert(artifact.path.clone(), hash);
    }
    Ok(Manifest {
        generator: "wireplan (https://github.com/wireplan/wireplan); do not edit: `wireplan build` keeps it".into(),
        target: target.into(),
        files,
    })
}

/// What `write_tree` did.
#[derive(Debug, Default)]
pub(crate) struct TreeReport {
    pub(crate) written: Vec<String>,
    pub(crate) unchanged: Vec<String>,
    pub(crate) removed: Vec<String>,
}

/// Makes `root` hold exactly `artifacts` (plus any file wireplan never
/// generated, which it leaves alone), and the manifest. Stops before writing
/// anything when that would overwrite or remove a file wireplan did not
/// generate or that was edited by hand, unless `force`; the error names
/// every such file.
pub(crate) fn write_tree(
    writer: &Writer,
    root: &Path,
    target: &str,
    artifacts: &[Artifact],
    force: bool,
) -> Result<TreeReport, Vec<WriteError>> {
    let (differences, mut hashes) = compare(writer, root, target, artifacts).map_err(|e| vec![e])?;
    if !force {
        let blocking: Vec<WriteError> = differences
            .iter()
            .filter(|d| d.needs_force())
            .map(|d| {
                refused(
                    &root.join(d.path()),
                    format!("it is {}; move it away, or pass --force to replace it", d.label()),
                )
            })
            .collect();
        if !blocking.is_empty() {
            return Err(blocking);
        }
    }
    // Every destination is checked before anything is written, so that a
    // refusal (a spec file, a link, a FIFO) leaves the folder as it was.
    let mut unsafe_paths = Vec::new();
    for artifact in artifacts {
        match inside(root, &artifact.path, false) {
            Ok(Some(path)) => unsafe_paths.extend(writer.existing(&path).err()),
            Ok(None) => {}
            Err(e) => unsafe_paths.push(e),
        }
    }
    if !unsafe_paths.is_empty() {
        return Err(unsafe_paths);
    }
    fs::create_dir_all(root).map_err(|e| vec![io_error(root)(e)])?;
    let mut report = TreeReport::default();
    let mut written: Vec<PathBuf> = Vec::new();
    let differing: HashSet<&str> = differences.iter().map(Difference::path).collect();
    let differs = |rel: &str| differing.contains(rel);
    for (artifact, known) in artifacts.iter().zip(&mut hashes) {
        if !differs(&artifact.path) {
            report.unchanged.push(artifact.path.clone());
            continue;
        }
        let path = inside(root, &artifact.path, true).map_err(|e| vec![e])?.unwrap_or_else(|| root.to_owned());
        *known = Some(writer.write_artifact(&path, artifact, Flush::Later).map_err(|e| vec![e])?);
        report.written.push(artifact.path.clone());
        written.push(path);
    }
    let produced: HashSet<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
    for d in &differences {
        let rel = d.path();
        if !produced.contains(rel) && rel != MANIFEST {
            if let Some(path) = inside(root, rel, false).map_err(|e| vec![e])? {
                writer.remove_file(&path).map_err(|e| vec![e])?;
            }
            report.removed.push(rel.to_owned());
        }
    }
    // Every file on disk before the manifest that records it: if anything
    // above failed, or the machine stops, the next run still knows what the
    // previous one generated. The manifest last.
    flush_file_system(root, &written).map_err(|e| vec![e])?;
    let manifest = new_manifest(root, target, artifacts, &mut hashes).map_err(|e| vec![e])?;
    writer.write_file(&root.join(MANIFEST), &manifest.bytes()).map_err(|e| vec![e])?;
    Ok(report)
}

#[cfg(test)]
mod tests;
