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
}

impl TempSpec {
    /// Creates a fresh folder under the target dir, named after the test.
    pub(crate) fn new(name: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempSpec { dir }
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

impl Drop for TempSpec {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `wireplan check --format json` on a spec given as text; returns the parsed report.
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
