//! Reading a spec's folder as it was at a git revision, for
//! `check --changed-since REV` and `diff --against REV`, without letting the
//! checkout run anything.
//!
//! The folder comes from a pull request, so it may hold a bare repository's
//! layout (`HEAD`, `config`, `objects/`, `refs/`) whose config names a
//! filter, an fsmonitor or hooks: if git discovered its repository from
//! there, it would take that config and run them. So git is never left to
//! discover anything. The repository is the one enclosing the folder the
//! command runs in, found here once (the nearest `.git` folder or gitfile at
//! or above it, never a bare layout), and every git command is given it
//! explicitly (`--git-dir`, `--work-tree`), in a clean environment (no
//! inherited `GIT_*` variable, no system or global config), with bare
//! repositories refused, fsmonitor off and hooks pointed at nothing. Only
//! plumbing that reads objects runs: `rev-parse` to name the tree,
//! `ls-tree` to list it and `cat-file --batch` to read its blobs, which
//! applies no filter, no textconv and no attributes; nothing is checked out.
//! Every path from the tree is checked before a file is written (no `..`,
//! `.`, empty or `.git` component), links and submodules are skipped, and
//! the number and size of files are capped.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::source::MAX_FILE_BYTES;

/// At most this many files are read from a revision's spec folder.
const MAX_FILES: usize = 100_000;

/// At most this many bytes in all are read from a revision's spec folder.
const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;

/// A git repository found by `Repository::enclosing`.
pub(crate) struct Repository {
    /// The `.git` folder (or the folder a gitfile names).
    git_dir: PathBuf,
    /// The folder that holds `.git`: the top of the working tree.
    work_tree: PathBuf,
}

/// What `Repository::export` wrote.
pub(crate) struct Exported {
    /// Files left out because they are larger than a spec file may be:
    /// their paths (relative to the folder) and sizes.
    pub(crate) too_large: Vec<(PathBuf, u64)>,
}

impl Repository {
    /// The repository whose working tree holds `cwd`: the nearest folder at
    /// or above it with a `.git` folder or gitfile. A bare repository's
    /// layout is never taken for one (that is what a planted one looks like).
    pub(crate) fn enclosing(cwd: &Path) -> Result<Repository, String> {
        let cwd = std::fs::canonicalize(cwd).map_err(|e| format!("cannot read the current folder: {e}"))?;
        for dir in cwd.ancestors() {
            let dot_git = dir.join(".git");
            let Ok(meta) = std::fs::metadata(&dot_git) else { continue };
            let git_dir = if meta.is_dir() {
                dot_git
            } else if meta.is_file() {
                read_gitfile(&dot_git, dir)?
            } else {
                continue;
            };
            return Ok(Repository { git_dir, work_tree: dir.to_path_buf() });
        }
        Err(format!(
            "no git repository holds the current folder {}; a revision is read from the repository the command runs in",
            cwd.display()
        ))
    }

    /// The top of the working tree (canonical).
    pub(crate) fn work_tree(&self) -> &Path {
        &self.work_tree
    }

    /// A git command on this repository and nothing else: every setting
    /// that could make git discover another repository, read a config it
    /// was not given or run a program is cleared or turned off.
    fn git(&self) -> Command {
        let mut cmd = Command::new("git");
        // Inherited from a hook or a CI step, `GIT_DIR`, `GIT_CONFIG_*`
        // (`GIT_CONFIG_PARAMETERS` holds `-c` settings) or `GIT_EXEC_PATH`
        // would choose the repository, the config or the programs.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            // Reading objects needs nothing from the user's settings.
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            // A partial clone would fetch missing objects from a remote.
            .env("GIT_NO_LAZY_FETCH", "1")
            // The objects read are the commit's own, not replacements.
            .env("GIT_NO_REPLACE_OBJECTS", "1")
            .arg("--git-dir")
            .arg(&self.git_dir)
            .arg("--work-tree")
            .arg(&self.work_tree)
            .args([
                "-c",
                "safe.bareRepository=explicit",
                "-c",
                "core.fsmonitor=false",
                "-c",
                "core.hooksPath=/dev/null",
            ])
            .args(["-c", "core.pager=cat", "-c", "core.untrackedCache=false"])
            .current_dir(&self.work_tree)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs git with `args` and returns its standard output, or its first
    /// error line.
    fn run(&self, args: &[&OsStr]) -> Result<Vec<u8>, String> {
        let out = self.git().args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() { Ok(out.stdout) } else { Err(first_line(&out.stderr)) }
    }

    /// The id of the tree of `folder` (relative to the working tree) at
    /// `rev`.
    fn tree(&self, rev: &str, folder: &Path) -> Result<String, String> {
        if rev.is_empty() || rev.starts_with('-') || rev.contains(['\0', '\n']) {
            return Err(format!("`{rev}` is not a git revision"));
        }
        let mut root = OsString::from(rev);
        root.push("^{tree}");
        let id = |spec: &OsStr| {
            self.run(&[OsStr::new("rev-parse"), OsStr::new("--verify"), OsStr::new("--end-of-options"), spec])
                .map(|out| String::from_utf8_lossy(&out).trim().to_owned())
        };
        let root = id(&root)
            .map_err(|e| format!("`{rev}` is not a revision of the repository at {}: {e}", self.work_tree.display()))?;
        if folder.as_os_str().is_empty() {
            return Ok(root);
        }
        // `TREE:PATH` takes all after the colon as the path, so whether it
        // names a folder is asked of its id.
        let mut spec = OsString::from(&root);
        spec.push(":");
        spec.push(folder);
        id(&spec)
            .and_then(|object| id(OsStr::new(&format!("{object}^{{tree}}"))))
            .map_err(|_| format!("the spec's folder `{}` is not in the revision `{rev}`", folder.display()))
    }

    /// Writes the regular files of `folder` (relative to the working tree)
    /// as they are at `rev` into `into`, an empty private folder, from git's
    /// objects alone.
    pub(crate) fn export(&self, rev: &str, folder: &Path, into: &Path) -> Result<Exported, String> {
        let tree = self.tree(rev, folder)?;
        let listing = self.run(&[
            OsStr::new("ls-tree"),
            OsStr::new("-r"),
            OsStr::new("-z"),
            OsStr::new("-l"),
            OsStr::new("--end-of-options"),
            OsStr::new(&tree),
        ])?;
        let mut files = Vec::new();
        let mut too_large = Vec::new();
        let mut total = 0u64;
        for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let entry = parse_entry(record).ok_or_else(|| format!("cannot read git's listing of `{rev}`"))?;
            // Links are not followed and submodules are other repositories.
            if entry.kind != "blob" || !matches!(entry.mode, "100644" | "100755") {
                continue;
            }
            let path = safe_path(entry.path).ok_or_else(|| {
                format!(
                    "the revision `{rev}` holds the path `{}`, which cannot be written safely",
                    String::from_utf8_lossy(entry.path)
                )
            })?;
            if entry.size > MAX_FILE_BYTES as u64 {
                too_large.push((path, entry.size));
                continue;
            }
            total += entry.size;
            if files.len() >= MAX_FILES || total > MAX_TOTAL_BYTES {
                return Err(format!(
                    "the spec's folder at `{rev}` holds more than {MAX_FILES} files or {} MiB; wireplan reads at most that",
                    MAX_TOTAL_BYTES / 1_048_576
                ));
            }
            files.push((entry.id, entry.size, path));
        }
        self.read_blobs(&files, into)?;
        Ok(Exported { too_large })
    }

    /// Reads each blob with one `git cat-file --batch` (which applies no
    /// filter) and writes it to its path under `into`.
    fn read_blobs(&self, files: &[(String, u64, PathBuf)], into: &Path) -> Result<(), String> {
        if files.is_empty() {
            return Ok(());
        }
        let mut child = self
            .git()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("cannot talk to git cat-file".into());
        };
        let ids: String = files.iter().map(|(id, _, _)| format!("{id}\n")).collect();
        // Written from a thread: git answers while it reads, and a full pipe
        // each way would stop both.
        let written = std::thread::scope(|scope| {
            let writer = scope.spawn(move || stdin.write_all(ids.as_bytes()));
            let read = write_blobs(BufReader::new(stdout), files, into);
            if read.is_err() {
                let _ = child.kill();
            }
            let wrote = crate::parallel::join(writer);
            read.and(wrote.map_err(|e| format!("cannot talk to git cat-file: {e}")))
        });
        let status = child.wait_with_output().map_err(|e| format!("cannot run git: {e}"))?;
        written?;
        if !status.status.success() {
            return Err(first_line(&status.stderr));
        }
        Ok(())
    }
}

/// Reads `cat-file --batch` answers, one per file in order, and writes each
/// blob to its place under `into`.
fn write_blobs(mut out: impl BufRead, files: &[(String, u64, PathBuf)], into: &Path) -> Result<(), String> {
    let broken = || "git cat-file answered something unexpected".to_owned();
    for (id, size, path) in files {
        let mut header = Vec::new();
        (&mut out).take(512).read_until(b'\n', &mut header).map_err(|e| format!("cannot read from git: {e}"))?;
        let header = String::from_utf8_lossy(&header);
        let mut parts = header.split_ascii_whitespace();
        if parts.next() != Some(id.as_str()) || parts.next() != Some("blob") {
            return Err(broken());
        }
        if parts.next().and_then(|s| s.parse::<u64>().ok()) != Some(*size) {
            return Err(broken());
        }
        let mut bytes = Vec::with_capacity(*size as usize);
        (&mut out).take(*size).read_to_end(&mut bytes).map_err(|e| format!("cannot read from git: {e}"))?;
        let mut newline = [0u8; 1];
        out.read_exact(&mut newline).map_err(|e| format!("cannot read from git: {e}"))?;
        if bytes.len() as u64 != *size || newline != [b'\n'] {
            return Err(broken());
        }
        let target = into.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
        std::fs::write(&target, &bytes).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    Ok(())
}

/// One record of `ls-tree -l -z`: `<mode> <type> <id> <size>\t<path>`.
struct Entry<'a> {
    mode: &'a str,
    kind: &'a str,
    id: String,
    /// 0 for what is not a blob (git shows `-`).
    size: u64,
    path: &'a [u8],
}

fn parse_entry(record: &[u8]) -> Option<Entry<'_>> {
    let tab = record.iter().position(|b| *b == b'\t')?;
    let (meta, path) = (std::str::from_utf8(&record[..tab]).ok()?, &record[tab + 1..]);
    let mut parts = meta.split_ascii_whitespace();
    let (mode, kind, id, size) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(Entry { mode, kind, id: id.to_owned(), size: size.parse().unwrap_or(0), path })
}

/// `path` from a tree as a relative path that stays inside the folder it is
/// written to: every component a plain name (not empty, `.`, `..` or
/// `.git` in any case, no backslash), or `None`.
fn safe_path(path: &[u8]) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.split(|b| *b == b'/') {
        if part.is_empty()
            || part == b"."
            || part == b".."
            || part.eq_ignore_ascii_case(b".git")
            || part.contains(&b'\\')
        {
            return None;
        }
        out.push(os_str(part)?);
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(unix)]
fn os_str(bytes: &[u8]) -> Option<&OsStr> {
    Some(std::os::unix::ffi::OsStrExt::from_bytes(bytes))
}

#[cfg(not(unix))]
fn os_str(bytes: &[u8]) -> Option<&OsStr> {
    std::str::from_utf8(bytes).ok().map(OsStr::new)
}

/// The folder a gitfile (`gitdir: PATH`, as a worktree or submodule has)
/// names, relative to the folder that holds it.
fn read_gitfile(file: &Path, dir: &Path) -> Result<PathBuf, String> {
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(4096).read_to_string(&mut text))
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let Some(target) = text.lines().next().and_then(|l| l.strip_prefix("gitdir:")).map(str::trim) else {
        return Err(format!("{} is not a gitfile (`gitdir: PATH`)", file.display()));
    };
    Ok(dir.join(target))
}

/// git's message without its `fatal: ` or `error: ` prefix: the first line.
fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("git failed").trim();
    line.strip_prefix("fatal: ").or_else(|| line.strip_prefix("error: ")).unwrap_or(line).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_would_leave_the_folder_or_touch_git_are_refused() {
        for bad in
            ["", "/etc/passwd", "a//b", "a/./b", "../x", "a/../../x", ".git/config", "a/.GIT/hooks", "a\\..\\b", "a/"]
        {
            assert_eq!(safe_path(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(safe_path(b"teams/a.kdl"), Some(PathBuf::from("teams/a.kdl")));
        assert_eq!(safe_path(b".gitattributes"), Some(PathBuf::from(".gitattributes")));
        assert_eq!(safe_path(b"..a/b.."), Some(PathBuf::from("..a/b..")));
    }

    #[test]
    fn listing_records_parse() {
        let e = parse_entry(b"100644 blob 0123abcd     123\tarch/wireplan.kdl").unwrap();
        assert_eq!(
            (e.mode, e.kind, e.id.as_str(), e.size, e.path),
            ("100644", "blob", "0123abcd", 123, &b"arch/wireplan.kdl"[..])
        );
        let e = parse_entry(b"160000 commit 0123abcd       -\tvendor/sub").unwrap();
        assert_eq!((e.kind, e.size), ("commit", 0));
        assert!(parse_entry(b"100644 blob nothex 1\tx").is_none());
        assert!(parse_entry(b"100644 blob 01 1 x").is_none());
    }

    #[test]
    fn blobs_are_written_only_when_git_answers_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![("ab".to_owned(), 3, PathBuf::from("t/a.kdl"))];
        write_blobs(&b"ab blob 3\nxyz\n"[..], &files, dir.path()).unwrap();
        assert_eq!(std::fs::read(dir.path().join("t/a.kdl")).unwrap(), b"xyz");
        for wrong in
            [&b"ab blob 4\nxyz\n"[..], b"cd blob 3\nxyz\n", b"ab tree 3\nxyz\n", b"ab missing\n", b"ab blob 3\nxy"]
        {
            assert!(write_blobs(wrong, &files, dir.path()).is_err(), "{:?}", String::from_utf8_lossy(wrong));
        }
    }

    #[test]
    fn git_messages_lose_their_prefix() {
        assert_eq!(first_line(b"fatal: bad revision 'x'\nmore"), "bad revision 'x'");
        assert_eq!(first_line(b""), "git failed");
    }
}
