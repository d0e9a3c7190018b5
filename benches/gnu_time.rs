//! What the benchmarks that report CPU time and peak memory share: running
//! the real `wireplan` binary under GNU time (`/usr/bin/time`), output to
//! /dev/null, and the median of several runs. Included by `build.rs` and
//! `scaling.rs` with `#[path]`, and by `hostile.rs` for its peaks.

// Each benchmark uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

/// One run's figures: wall and CPU seconds, peak resident bytes.
#[derive(Clone, Copy)]
pub(crate) struct Run {
    pub(crate) wall: f64,
    pub(crate) cpu: f64,
    pub(crate) peak: u64,
}

/// Whether GNU time is installed where the benchmarks run it.
pub(crate) fn installed() -> bool {
    Path::new(TIME).exists()
}

/// `installed`, or says on standard error that the benchmark needs it.
pub(crate) fn required() -> bool {
    installed() || {
        eprintln!("this benchmark needs GNU time at {TIME}");
        false
    }
}

const TIME: &str = "/usr/bin/time";

/// A comma-separated list from the environment variable `name`.
pub(crate) fn list_var(name: &str) -> Option<Vec<String>> {
    std::env::var(name).ok().map(|s| s.split(',').map(str::to_owned).collect())
}

/// Runs `wireplan ARGS` in `dir` under GNU time, output to /dev/null; `ok`
/// says which exit codes are a run (`None`: killed by a signal).
pub(crate) fn measure(dir: &Path, args: &[&str], ok: impl Fn(Option<i32>) -> bool) -> Result<Run, String> {
    timed(dir, env!("CARGO_BIN_EXE_wireplan"), args, ok)
}

/// Runs the shell `script` in `dir` under GNU time with the `wireplan`
/// binary's path as `$0`: several runs in one measurement, whose CPU time
/// is theirs since the shell waits for each.
pub(crate) fn measure_script(dir: &Path, script: &str, ok: impl Fn(Option<i32>) -> bool) -> Result<Run, String> {
    timed(dir, "sh", &["-c", script, env!("CARGO_BIN_EXE_wireplan")], ok)
}

fn timed(dir: &Path, program: &str, args: &[&str], ok: impl Fn(Option<i32>) -> bool) -> Result<Run, String> {
    let report = dir.join(".time");
    let out = Command::new(TIME)
        .args(["-f", "%e %U %S %M", "-o"])
        .arg(&report)
        .arg(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let code = out.status.code();
    if !ok(code) {
        return Err(format!("exit {code:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = std::fs::read_to_string(&report).map_err(|e| e.to_string())?;
    // GNU time writes "Command exited with non-zero status N" first.
    let fields: Vec<f64> =
        text.lines().last().unwrap_or("").split_whitespace().filter_map(|f| f.parse().ok()).collect();
    let [wall, user, system, kib] = fields[..] else { return Err(format!("unreadable report {text:?}")) };
    Ok(Run { wall, cpu: user + system, peak: kib as u64 * 1024 })
}

/// The median run of `runs` (by wall time; the CPU time and peak are the
/// medians of their own).
pub(crate) fn median(runs: &[Run]) -> Run {
    let pick = |f: fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Run { wall: pick(|r| r.wall), cpu: pick(|r| r.cpu), peak: pick(|r| r.peak as f64) as u64 }
}

/// Bytes as megabytes (10^6), as the tables print them.
pub(crate) fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// The sizes and number of runs asked for: `WIREPLAN_BENCH_SIZES` (flows,
/// comma-separated; else 1k, 10k and 100k) and `WIREPLAN_BENCH_RUNS`
/// (else `runs`).
pub(crate) fn sizes_and_runs(runs: usize) -> (Vec<usize>, usize) {
    let sizes = std::env::var("WIREPLAN_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let runs = std::env::var("WIREPLAN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(runs).max(1);
    (sizes, runs)
}
