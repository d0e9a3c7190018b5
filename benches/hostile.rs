//! Peak memory on hostile shapes of spec: the real `wireplan` binary, `check`
//! in every format and `build` for every target, on each shape, with the
//! child's peak resident memory against the budget of 20 times the input's
//! size plus 50 MB. Memory once grew with what was printed, not with what
//! was found: a 7.8 MB line of `}` made `check` peak at 2.8 GB, a flow with
//! 20,000 targets made `build --target hub` peak at 1.1 GB and `--target
//! broker` at 700 MB. This is a benchmark, not a test: it prints the
//! numbers and marks what is over.
//!
//! Run with `cargo bench --bench hostile`; `WIREPLAN_BENCH_SHAPES=line,fan`
//! picks shapes by name. The peak is the kernel's (`/usr/bin/time -f %M`)
//! when GNU time is installed, else the child's `VmHWM` read from `/proc`
//! every millisecond while it runs.

#[path = "gnu_time.rs"]
mod gnu_time;
#[path = "shapes.rs"]
mod shapes;
use shapes::shapes;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FORMATS: &[&str] = &["human", "short", "json", "sarif", "github", "junit"];
const TARGETS: &[&str] = &["hub", "broker", "etl"];
const BUDGET_FACTOR: u64 = 20;
const BUDGET_BASE: u64 = 50 << 20;

/// Runs `wireplan ARGS` in `dir` with output to /dev/null; returns its peak
/// resident memory in bytes and how long it took.
fn measure(wireplan: &str, dir: &Path, args: &[&str]) -> Option<(u64, Duration)> {
    if gnu_time::installed() {
        // Any exit is a run: a shape may hold errors, and its peak counts.
        let run = gnu_time::measure(dir, args, |code| code.is_some()).ok()?;
        return Some((run.peak, Duration::from_secs_f64(run.wall)));
    }
    let start = Instant::now();
    let mut child = Command::new(wireplan)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            peak = peak.max(kib * 1024);
        }
        if child.try_wait().ok()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Some((peak, start.elapsed()))
}

fn main() {
    let wireplan = env!("CARGO_BIN_EXE_wireplan");
    let only = gnu_time::list_var("WIREPLAN_BENCH_SHAPES");
    let root = std::env::temp_dir().join(format!("wireplan-bench-hostile-{}", std::process::id()));
    let method = if gnu_time::installed() { "GNU time (%M)" } else { "/proc VmHWM, polled" };
    println!("peak resident memory per run ({method}); budget = {BUDGET_FACTOR} x input + 50 MiB\n");
    println!(
        "{:<10} {:>10}  {:<22} {:>10} {:>10} {:>7} {:>8}",
        "shape", "input", "command", "peak", "budget", "ratio", "time"
    );
    let mut over = 0;
    for shape in shapes() {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == shape.name)) {
            continue;
        }
        let dir = root.join(shape.name);
        let _ = std::fs::remove_dir_all(&dir);
        let mut input = 0u64;
        for (path, text) in &shape.files {
            let path = dir.join(path);
            let _ = std::fs::create_dir_all(path.parent().unwrap_or(&dir));
            if std::fs::write(&path, text).is_err() {
                eprintln!("cannot write {}", path.display());
                return;
            }
            input += text.len() as u64;
        }
        println!("{}: {}", shape.name, shape.what);
        let budget = BUDGET_FACTOR * input + BUDGET_BASE;
        let mut runs: Vec<Vec<String>> =
            FORMATS.iter().map(|f| vec!["check".into(), "--format".into(), (*f).into()]).collect();
        runs.extend(TARGETS.iter().map(|t| {
            vec!["build".into(), "--target".into(), (*t).into(), "--out".into(), format!("out-{t}"), "--force".into()]
        }));
        for args in runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let label = if args[0] == "check" { format!("check {}", args[2]) } else { format!("build {}", args[2]) };
            match measure(wireplan, &dir, &args) {
                Some((peak, time)) => {
                    let ratio = peak as f64 / budget as f64;
                    if ratio > 1.0 {
                        over += 1;
                    }
                    println!(
                        "{:<10} {:>8.2}MB  {:<22} {:>8.1}MB {:>8.1}MB {:>7.2} {:>7.2}s{}",
                        "",
                        input as f64 / 1e6,
                        label,
                        peak as f64 / (1 << 20) as f64,
                        budget as f64 / (1 << 20) as f64,
                        ratio,
                        time.as_secs_f64(),
                        if ratio > 1.0 { "  OVER BUDGET" } else { "" }
                    );
                }
                None => println!("{:<10} {:<22} could not be measured", "", label),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&root);
    println!("\n{over} run(s) over budget");
}
