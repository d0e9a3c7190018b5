//! Every command that reads a spec, at 1k, 10k and 100k flows: the real
//! `wireplan` binary on the throughput benchmark's realistic spec, as a user
//! runs it (output to /dev/null, files into an empty folder), with its CPU
//! time and peak resident memory at each size and what ten times the flows
//! cost. `check` in every format, with a baseline, with `--changed-since`
//! and with `--diff --unsafe-fixes` (every fix, over several passes), `plan` in every
//! format and as HTML, `graph` in both formats and views, `fmt --check`,
//! `diff` of two versions that differ in every flow, and `build` for every
//! target. A step that costs more than 13 times the CPU for 10 times the
//! flows is marked: that is where a path would be superlinear (at 1k flows
//! starting the process is much of the time, so the first step is often
//! well under 10). This is a benchmark, not a timed test: it prints the
//! numbers.
//!
//! Run with `cargo bench --bench scaling`; `WIREPLAN_BENCH_SIZES=1000,10000`
//! picks other sizes, `WIREPLAN_BENCH_RUNS=3` the runs per command (the
//! median is shown; one by default), `WIREPLAN_BENCH_ONLY=plan,graph` the
//! commands whose label starts with one of these. `import` is measured by
//! `benches/import.rs` (its documents are capped at 16 MiB) and the language
//! server by `benches/lsp.rs`. The figures are GNU time's (`/usr/bin/time`).

use std::path::Path;

use gnu_time::{Run, mb, measure_script, median};

#[path = "gnu_time.rs"]
mod gnu_time;
#[path = "realistic.rs"]
mod realistic;

/// Ten times the flows may cost up to this many times the CPU before the
/// step is marked: linear with room for a busy machine's noise.
const SUPERLINEAR: f64 = 13.0;

/// Each command: its label, and its arguments in a folder that holds the
/// spec (`wireplan.kdl`), its next version (`new/wireplan.kdl`, and as the
/// folder's git repository's last commit) and the baseline written by the
/// first command that needs it.
const COMMANDS: &[(&str, &[&str])] = &[
    ("check human", &["check", "--format", "human", "--color", "never", "wireplan.kdl"]),
    ("check json", &["check", "--format", "json", "wireplan.kdl"]),
    ("check short", &["check", "--format", "short", "wireplan.kdl"]),
    ("check sarif", &["check", "--format", "sarif", "wireplan.kdl"]),
    ("check github", &["check", "--format", "github", "wireplan.kdl"]),
    ("check junit", &["check", "--format", "junit", "wireplan.kdl"]),
    ("check write-baseline", &["check", "--write-baseline", "baseline.json", "wireplan.kdl"]),
    ("check baseline", &["check", "--baseline", "baseline.json", "--format", "json", "wireplan.kdl"]),
    ("check changed-since", &["check", "--changed-since", "HEAD", "--format", "json", "wireplan.kdl"]),
    ("check fix diff", &["check", "--diff", "--unsafe-fixes", "wireplan.kdl"]),
    ("plan human", &["plan", "wireplan.kdl"]),
    ("plan markdown", &["plan", "--format", "markdown", "wireplan.kdl"]),
    ("plan json", &["plan", "--format", "json", "wireplan.kdl"]),
    ("plan html", &["plan", "--html", "plan.html", "wireplan.kdl"]),
    ("graph mermaid", &["graph", "--format", "mermaid", "wireplan.kdl"]),
    ("graph dot", &["graph", "--format", "dot", "wireplan.kdl"]),
    ("graph physical", &["graph", "--format", "dot", "--view", "physical", "wireplan.kdl"]),
    ("fmt check", &["fmt", "--check", "wireplan.kdl"]),
    ("diff", &["diff", "--fail-on", "never", "wireplan.kdl", "new/wireplan.kdl"]),
    ("build hub", &["build", "--target", "hub", "--out", "out-hub", "wireplan.kdl"]),
    ("build broker", &["build", "--target", "broker", "--out", "out-broker", "wireplan.kdl"]),
    ("build etl", &["build", "--target", "etl", "--out", "out-etl", "wireplan.kdl"]),
];

/// The spec's next version: every flow retries once more, so that `diff`
/// has a change to classify in each.
fn next_version(spec: &str) -> String {
    spec.replace("retry attempts=3", "retry attempts=4")
}

/// Makes `dir` a git repository whose one commit holds `text` as
/// `wireplan.kdl`, for `check --changed-since HEAD`.
fn committed(dir: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(dir.join("wireplan.kdl"), text)?;
    for args in [&["init", "-q"][..], &["add", "wireplan.kdl"], &["commit", "-q", "-m", "spec"]] {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=bench", "-c", "user.email=bench@example.com"])
            .args(args)
            .current_dir(dir)
            .status()?;
        if !status.success() {
            return Err(std::io::Error::other(format!("git {args:?} failed")));
        }
    }
    Ok(())
}

/// How many times a command runs within one measurement at `flows` flows:
/// GNU time counts CPU in hundredths of a second, and `check` on 1k flows
/// takes a few thousandths, so small specs are run many times over and
/// the totals divided.
fn repeats(flows: usize) -> usize {
    (100_000 / flows.max(1)).clamp(1, 50)
}

/// `runs` measurements of `args` in `dir`, each running it `repeat` times
/// in a row under one GNU time (through `sh`, which waits for each run, so
/// that its CPU time is theirs), divided by `repeat`; the peak is the
/// largest of theirs. Each run writes its own `--out` folder, removed
/// after. Findings make `check` exit 1 and `fmt --check` exits 1 on a file
/// it would change; a build must succeed.
fn runs_of(dir: &Path, args: &[&str], repeat: usize, runs: usize) -> Result<Run, String> {
    let out = args.iter().position(|a| *a == "--out").map(|i| i + 1);
    let quoted: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, a)| if Some(i) == out { format!("'{a}'-$i") } else { format!("'{a}'") })
        .collect();
    let worst = if args[0] == "build" { 0 } else { 1 };
    let script = format!(
        "i=0; while [ $i -lt {repeat} ]; do \"$0\" {} >/dev/null 2>&1; c=$?; [ $c -le {worst} ] || exit $c; \
         i=$((i + 1)); done",
        quoted.join(" ")
    );
    let mut all = Vec::new();
    for _ in 0..runs {
        let run = measure_script(dir, &script, |code| code == Some(0));
        if let Some(out) = out.map(|o| args[o]) {
            for i in 0..repeat {
                let _ = std::fs::remove_dir_all(dir.join(format!("{out}-{i}")));
            }
        }
        let run = run?;
        all.push(Run { wall: run.wall / repeat as f64, cpu: run.cpu / repeat as f64, peak: run.peak });
    }
    Ok(median(&all))
}

fn main() {
    if !gnu_time::required() {
        return;
    }
    let (sizes, runs) = gnu_time::sizes_and_runs(1);
    let only = gnu_time::list_var("WIREPLAN_BENCH_ONLY");
    let commands: Vec<_> = COMMANDS
        .iter()
        .filter(|(label, _)| only.as_ref().is_none_or(|o| o.iter().any(|p| label.starts_with(p.as_str()))))
        .collect();
    let root = std::env::temp_dir().join(format!("wireplan-bench-scaling-{}", std::process::id()));
    // Each size's spec, written once: (flows, its folder, its size).
    let mut specs = Vec::new();
    for &flows in &sizes {
        let dir = root.join(flows.to_string());
        let text = realistic::realistic_spec(flows);
        let written = std::fs::create_dir_all(dir.join("new"))
            .and_then(|()| std::fs::write(dir.join("wireplan.kdl"), &text))
            .and_then(|()| std::fs::write(dir.join("new").join("wireplan.kdl"), next_version(&text)))
            .and_then(|()| committed(&dir, &next_version(&text)))
            .and_then(|()| std::fs::write(dir.join("wireplan.kdl"), &text));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", dir.display());
            return;
        }
        specs.push((flows, dir, text.len() as u64));
    }
    println!("median of {runs} run(s); CPU = user + system seconds; peak = peak resident memory (GNU time %M)");
    print!("{:<21}", "command");
    for (flows, _, input) in &specs {
        print!(" {:>19}", format!("{flows} flows, {:.1} MB", mb(*input)));
    }
    println!("  CPU for 10x the flows");
    let mut marked = 0;
    for (label, args) in commands {
        print!("{label:<21}");
        let mut cpus: Vec<(usize, f64)> = Vec::new();
        for (flows, dir, input) in &specs {
            match runs_of(dir, args, repeats(*flows), runs) {
                Ok(run) => {
                    print!(
                        " {:>19}",
                        format!("{:.3} s {:.0} MB {:.1}x", run.cpu, mb(run.peak), run.peak as f64 / *input as f64)
                    );
                    cpus.push((*flows, run.cpu));
                }
                Err(e) => print!(" failed: {}", e.lines().next().unwrap_or("")),
            }
        }
        let steps: Vec<String> = cpus
            .windows(2)
            .map(|w| {
                let ratio = w[1].1 / w[0].1.max(1e-3);
                let per_flow = ratio / (w[1].0 as f64 / w[0].0 as f64) * 10.0;
                let over = per_flow > SUPERLINEAR;
                marked += usize::from(over);
                format!("{per_flow:.1}{}", if over { " SUPERLINEAR?" } else { "" })
            })
            .collect();
        println!("  {}", steps.join(", "));
    }
    println!("\n{marked} step(s) over {SUPERLINEAR} times the CPU for 10 times the flows");
    let _ = std::fs::remove_dir_all(&root);
}
