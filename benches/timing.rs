//! What the command-line benchmarks share: running a command several times
//! and taking the median of its wall times. Included by `broker.rs` and
//! `import.rs` with `#[path]`.

use std::process::{Command, Stdio};
use std::time::Instant;

/// The median of `times` (the upper one of an even count).
pub(crate) fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Runs `cmd` `runs` times; the wall times in seconds, or why it failed
/// (an exit code outside `ok`).
pub(crate) fn time(runs: usize, ok: &[i32], mut cmd: impl FnMut() -> Command) -> Result<Vec<f64>, String> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let out = cmd().stdout(Stdio::null()).stderr(Stdio::piped()).output().map_err(|e| e.to_string())?;
        times.push(start.elapsed().as_secs_f64());
        if !out.status.code().is_some_and(|c| ok.contains(&c)) {
            return Err(format!("exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr)));
        }
    }
    Ok(times)
}
