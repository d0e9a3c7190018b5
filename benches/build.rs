//! `wireplan build` for every target beside `wireplan check` on the same
//! spec: the real binary on generated specs of 1k, 10k and 100k flows (the
//! throughput benchmark's realistic spec, for every target; and a warehouse
//! spec of nightly and polled loads, a dbt model per flow, for `etl`), each
//! command timed as a user runs it into an empty output folder, with its wall time, CPU time (user +
//! system) and peak resident memory, and their ratios to the input's size
//! and to `check`; then `build` for every target on the hostile shapes of
//! `hostile.rs`, against the budget of 20 times the input plus 50 MiB. This
//! is a benchmark, not a timed test: it prints the numbers.
//!
//! Run with `cargo bench --bench build`; `WIREPLAN_BENCH_SIZES=1000,10000`
//! picks other sizes, `WIREPLAN_BENCH_RUNS=3` the number of runs per command
//! (the median is shown), `WIREPLAN_BENCH_SPECS=warehouse` the generated
//! specs, `WIREPLAN_BENCH_SHAPES=fan,long-line` the hostile shapes (`none`
//! for none). The figures are GNU time's (`/usr/bin/time`).

use std::path::{Path, PathBuf};

use gnu_time::{Run, mb, measure, median};

#[path = "gnu_time.rs"]
mod gnu_time;
#[path = "realistic.rs"]
mod realistic;
#[path = "shapes.rs"]
mod shapes;

const TARGETS: &[&str] = &["hub", "broker", "etl"];

/// A generated spec: its name, its generator and the targets built from it.
type Generated = (&'static str, fn(usize) -> String, &'static [&'static str]);

/// A spec for the ETL target: a warehouse and a source system per ten
/// flows, each flow a nightly batch (half of them) or an hourly poll of the
/// source's entity into a table of its own (a dbt model and file per flow).
fn warehouse_spec(flows: usize) -> String {
    use std::fmt::Write as _;
    let systems = (flows / 10).max(4);
    let mut o = String::with_capacity(flows * 250);
    o.push_str("stack \"bench-etl\" {\n    horizon months=18\n}\n\nsystem \"dw\" kind=warehouse {\n    secret \"DW_PASSWORD\"\n}\n\n");
    for i in 0..systems {
        let _ = write!(
            o,
            "system \"src-{i}\" kind=crm {{\n    api rest version=\"v1\"\n    secret \"SRC_{i}_TOKEN\"\n    entity \"record\" {{\n        \
             field \"id\" type=string required=#true\n        field \"email\" type=email\n        \
             field \"amount\" type=money\n        field \"updated_at\" type=datetime\n    }}\n}}\n\n"
        );
    }
    for f in 0..flows {
        let s = f % systems;
        let trigger = if f % 2 == 0 {
            format!("    schedule cron=\"0 {} * * *\"\n    from \"src-{s}\" entity=record\n", f % 24)
        } else {
            format!("    poll \"src-{s}\" entity=record every=\"1h\"\n")
        };
        let _ = write!(
            o,
            "flow \"load-{f}\" {{\n{trigger}    to dw action=append entity=\"raw_{f}\" {{\n        map \"id\" to=\"id\"\n        \
             map \"amount\" to=\"amount\"\n    }}\n    retry attempts=3\n    log\n}}\n\n"
        );
    }
    o
}

/// The bytes of every file under `dir`.
fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// `runs` runs of `args` in `dir`, each into an emptied `out` (when given).
fn runs_of(dir: &Path, args: &[&str], out: Option<&Path>, runs: usize) -> Result<(Run, u64), String> {
    let mut all = Vec::new();
    let mut written = 0;
    for _ in 0..runs {
        if let Some(out) = out {
            let _ = std::fs::remove_dir_all(out);
        }
        // Findings make `check` exit 1; a build must succeed.
        let ok = |code: Option<i32>| if args[0] == "build" { code == Some(0) } else { code.is_some_and(|c| c <= 1) };
        all.push(measure(dir, args, ok)?);
        if let Some(out) = out {
            written = size_of(out);
        }
    }
    Ok((median(&all), written))
}

fn main() {
    if !gnu_time::required() {
        return;
    }
    let (sizes, runs) = gnu_time::sizes_and_runs(3);
    let only = gnu_time::list_var("WIREPLAN_BENCH_SHAPES");
    let root = std::env::temp_dir().join(format!("wireplan-bench-build-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&root);
    println!("median of {runs} run(s); peak = peak resident memory (GNU time %M); x input = peak / spec size\n");
    println!(
        "{:>7} {:>7}  {:<13} {:>8} {:>8} {:>9} {:>8} {:>10} {:>10} {:>9}",
        "flows", "MB", "command", "wall s", "cpu s", "peak MB", "x input", "wall/check", "cpu/check", "wrote MB"
    );
    let specs: [Generated; 2] =
        [("realistic", realistic::realistic_spec, TARGETS), ("warehouse", warehouse_spec, &["etl"])];
    let only_specs = gnu_time::list_var("WIREPLAN_BENCH_SPECS");
    for (spec, generate, targets) in specs {
        if only_specs.as_ref().is_some_and(|o| !o.iter().any(|n| n == spec)) {
            continue;
        }
        println!("{spec} spec");
        for &flows in &sizes {
            let dir = root.join(format!("{spec}-{flows}"));
            let _ = std::fs::create_dir_all(&dir);
            let text = generate(flows);
            let input = text.len() as u64;
            if std::fs::write(dir.join("wireplan.kdl"), &text).is_err() {
                eprintln!("cannot write {}", dir.display());
                return;
            }
            drop(text);
            let check = match runs_of(&dir, &["check", "--format", "json", "wireplan.kdl"], None, runs) {
                Ok((run, _)) => run,
                Err(e) => {
                    eprintln!("check on {flows} flows: {e}");
                    return;
                }
            };
            let row = |label: &str, run: Run, wrote: Option<u64>| {
                println!(
                    "{:>7} {:>7.1}  {:<13} {:>8.3} {:>8.3} {:>9.1} {:>8.1} {:>10.2} {:>10.2} {:>9}",
                    flows,
                    mb(input),
                    label,
                    run.wall,
                    run.cpu,
                    mb(run.peak),
                    run.peak as f64 / input as f64,
                    run.wall / check.wall.max(1e-9),
                    run.cpu / check.cpu.max(1e-9),
                    wrote.map_or(String::new(), |w| format!("{:.1}", mb(w)))
                );
            };
            row("check json", check, None);
            for target in targets {
                let out: PathBuf = dir.join(format!("out-{target}"));
                let args = ["build", "--target", target, "--out", &format!("out-{target}"), "wireplan.kdl"];
                match runs_of(&dir, &args, Some(&out), runs) {
                    Ok((run, wrote)) => row(&format!("build {target}"), run, Some(wrote)),
                    Err(e) => println!("{flows:>7} {:>7.1}  build {target}: {e}", mb(input)),
                }
                let _ = std::fs::remove_dir_all(&out);
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    println!("\nbuild on the hostile shapes; budget = 20 x input + 50 MiB\n");
    println!(
        "{:<10} {:>9}  {:<13} {:>8} {:>8} {:>9} {:>9} {:>7}",
        "shape", "input MB", "command", "wall s", "cpu s", "peak MB", "budget MB", "ratio"
    );
    let mut over = 0;
    for shape in shapes::shapes() {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == shape.name)) {
            continue;
        }
        let dir = root.join(shape.name);
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
        let budget = 20 * input + (50 << 20);
        println!("{}: {}", shape.name, shape.what);
        for target in TARGETS {
            let out = dir.join("out");
            let _ = std::fs::remove_dir_all(&out);
            // A shape may hold errors, so that nothing is built: the peak
            // still counts.
            let args = ["build", "--target", target, "--out", "out"];
            let label = format!("build {target}");
            match measure(&dir, &args, |code: Option<i32>| code.is_some()) {
                Ok(run) => {
                    let ratio = run.peak as f64 / budget as f64;
                    over += usize::from(ratio > 1.0);
                    println!(
                        "{:<10} {:>9.2}  {:<13} {:>8.2} {:>8.2} {:>9.1} {:>9.1} {:>7.2}{}",
                        shape.name,
                        mb(input),
                        label,
                        run.wall,
                        run.cpu,
                        mb(run.peak),
                        mb(budget),
                        ratio,
                        if ratio > 1.0 { "  OVER BUDGET" } else { "" }
                    );
                }
                Err(e) => {
                    println!("{:<10} {:>9.2}  {label}: {}", shape.name, mb(input), e.lines().next().unwrap_or(""))
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("\n{over} hostile build(s) over budget");
    let _ = std::fs::remove_dir_all(&root);
}
