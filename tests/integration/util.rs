//! Helpers shared by the integration tests: running the binary, temporary
//! spec folders, and reading JSON output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `wireplan` command with a fixed environment: no colour, a fixed width.
pub(crate) fn wireplan() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wireplan"));
    cmd.env("NO_COLOR", "1").env("COLUMNS", "100").env_remove("CLICOLOR_FORCE");
    cmd
}

/// Runs `wireplan ARGS` in `dir` and returns its output.
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> Output {
    wireplan().args(args).current_dir(dir).output().expect("wireplan runs")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub(crate) fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// A temporary folder with files, removed on drop.
pub(crate) struct TempSpec {
    pub(crate) dir: PathBuf,
    /// Owns the folder: `tempfile` gives it a fresh random name, so no two
    /// tests (nor two runs) share one, and removes it when dropped.
    _folder: tempfile::TempDir,
}

impl TempSpec {
    /// Creates a fresh folder under the target dir, its name starting with
    /// the test's.
    pub(crate) fn new(name: &str) -> Self {
        let folder = tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temporary folder");
        TempSpec { dir: folder.path().to_path_buf(), _folder: folder }
    }

    /// Writes `text` to `rel` (creating folders), returns its path.
    pub(crate) fn file(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `wireplan ARGS` in the folder.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        run_in(&self.dir, args)
    }
}

/// `wireplan check --format json` on a spec given as text; returns the parsed report.
/// Every file under `dir`, relative, sorted.
pub(crate) fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

pub(crate) fn check_json(name: &str, text: &str) -> serde_json::Value {
    let spec = TempSpec::new(name);
    spec.file("wireplan.kdl", text);
    let out = spec.run(&["check", "--format", "json"]);
    assert!(code(&out) == 0 || code(&out) == 1, "exit {}: {}", code(&out), stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json output")
}

/// The rule names of a JSON report's diagnostics, in order.
pub(crate) fn rules_of(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap().to_owned()).collect()
}

/// One `// ^^^ rule` annotation of a fixture: the rule expected at a 1-based
/// line and character column range (end exclusive) on the nearest line above
/// that is not an annotation, as rust-analyzer's test fixtures mark them.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
pub(crate) struct Annotation {
    pub(crate) line: u64,
    pub(crate) column: u64,
    pub(crate) end_column: u64,
    pub(crate) rule: String,
}

/// The annotations of a fixture, in order. Columns count characters, as
/// every wireplan output does, so a fixture with non-ASCII names before the
/// carets is marked as an editor shows it.
pub(crate) fn annotations(text: &str) -> Vec<Annotation> {
    let mut out = Vec::new();
    let mut target = 0u64;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let is_annotation = trimmed.strip_prefix("//").is_some_and(|rest| rest.trim_start().starts_with('^'));
        if !is_annotation {
            target = i as u64 + 1;
            continue;
        }
        let start = line.chars().position(|c| c == '^').unwrap();
        let carets = line.chars().skip(start).take_while(|c| *c == '^').count();
        let rule: String = line.chars().skip(start + carets).collect::<String>().trim().to_owned();
        assert!(!rule.is_empty(), "annotation without a rule on line {}", i + 1);
        out.push(Annotation { line: target, column: start as u64 + 1, end_column: (start + carets) as u64 + 1, rule });
    }
    out
}

/// The diagnostics of a JSON report as annotations (single-line spans).
pub(crate) fn reported_annotations(
    report: &serde_json::Value,
    keep: impl Fn(&serde_json::Value) -> bool,
) -> Vec<Annotation> {
    let mut found: Vec<Annotation> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| keep(d))
        .map(|d| Annotation {
            line: d["line"].as_u64().unwrap(),
            column: d["column"].as_u64().unwrap(),
            end_column: d["end_column"].as_u64().unwrap(),
            rule: d["rule"].as_str().unwrap().to_owned(),
        })
        .collect();
    found.sort();
    found
}

/// Standard base64 with padding, for a Basic credential.
pub(crate) fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}
