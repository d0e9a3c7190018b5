//! The fuzz driver: runs mutated specs through the whole pipeline in
//! process, on several threads, resumably.
//!
//! ```text
//! cargo run --release --example fuzz -- --inputs 1000000 --jobs 2 --seed 7 --state .fuzz/
//! ```
//!
//! Each input is a spec from the corpus (every `.kdl` file under `examples/`
//! and `tests/fixtures/`) with one to eight structure-aware mutations
//! (`wireplan::fuzz::mutate`: nodes deleted, duplicated, swapped, spliced
//! from other files, nested deep; names and values replaced by hostile ones
//! or by names from elsewhere in the corpus; stray braces and quotes; some
//! byte-level edits). Input number `i` of a seed is a pure function of the
//! corpus, the seed and `i`, so a run can stop and go on, and any input can
//! be made again (`--replay I`). Each input goes through
//! `wireplan::fuzz::run_one`: parse, lower, resolve, every check, every
//! check format, baselines, plan and its formats, graph, diff, fmt (and its
//! idempotence), the three build targets in memory, and the language
//! server's requests; nothing is written to disk but this driver's state.
//!
//! Options:
//!
//! - `--inputs N`: how many inputs to run in all, counting those of earlier
//!   runs with the same state (default 10000).
//! - `--jobs J`: worker threads (default 1).
//! - `--seed S`: the seed of a new state (default 7); a state already there
//!   keeps its own.
//! - `--state DIR`: where the state lives (default `.fuzz/`): `state` (seed,
//!   inputs done, panics, slow inputs, time spent; rewritten atomically
//!   after every batch), `crashes/` (one input per panic location, named
//!   after it, with `.txt` holding the message and input number), `slow/`
//!   (inputs over 100 ms) and `hangs/` (an input still running after 10 s,
//!   saved and counted; the run goes on when it ends, and stops if one runs
//!   over 300 s).
//! - `--replay I`: run input `I` of the state's seed once, print its panic
//!   if any, and write it to stdout with `--print`.
//! - `--file PATH`: run the file at PATH once, as `--replay` does (to check
//!   a saved crash after a fix).
//! - `--corpus DIR`: the repository whose examples and fixtures seed the
//!   corpus (default: this crate's folder).
//!
//! It prints, every batch and at the end: inputs done, inputs per second,
//! panics (distinct locations), slow inputs, how many inputs parsed, were
//! formatted and reached the backends, and peak memory (`VmHWM` of
//! `/proc/self/status`). The exit code is 1 when a panic or hang was found.
//!
//! Why not a coverage-guided engine: cargo-fuzz (libFuzzer) needs a nightly
//! compiler, and AFL++ through `cargo afl` needs its own toolchain build;
//! neither is available on stable here. Mutating at the level of the syntax
//! tree from a corpus of real specs reaches the checks and backends
//! (about half the inputs parse, a good share builds) without feedback.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wireplan::fuzz::{self, Crash, mutate::Mutator};

/// An input slower than this is saved in `slow/`.
const SLOW: Duration = Duration::from_millis(100);
/// An input still running after this is a hang: saved in `hangs/` and
/// counted; the run goes on when it ends.
const HANG: Duration = Duration::from_secs(10);
/// An input still running after this ends the run (a thread cannot be
/// stopped).
const STUCK: Duration = Duration::from_secs(300);
/// At most this many slow inputs are saved per run (they are counted all).
const MAX_SLOW_SAVED: usize = 200;

struct Options {
    inputs: u64,
    jobs: usize,
    seed: u64,
    state: PathBuf,
    replay: Option<u64>,
    file: Option<PathBuf>,
    print: bool,
    corpus: PathBuf,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        inputs: 10_000,
        jobs: 1,
        seed: 7,
        state: PathBuf::from(".fuzz"),
        replay: None,
        file: None,
        print: false,
        corpus: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |v: String, name: &str| v.replace('_', "").parse::<u64>().map_err(|e| format!("{name}: {e}"));
        match arg.as_str() {
            "--inputs" => o.inputs = number(value("--inputs")?, "--inputs")?,
            "--jobs" => o.jobs = number(value("--jobs")?, "--jobs")?.clamp(1, 64) as usize,
            "--seed" => o.seed = number(value("--seed")?, "--seed")?,
            "--state" => o.state = PathBuf::from(value("--state")?),
            "--replay" => o.replay = Some(number(value("--replay")?, "--replay")?),
            "--print" => o.print = true,
            "--file" => o.file = Some(PathBuf::from(value("--file")?)),
            "--corpus" => o.corpus = PathBuf::from(value("--corpus")?),
            "-h" | "--help" => {
                return Err("usage: fuzz [--inputs N] [--jobs J] [--seed S] [--state DIR] [--replay I [--print]] \
                            [--file PATH] [--corpus DIR]"
                    .into());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(o)
}

/// What a state folder remembers between runs.
#[derive(Clone, Debug, Default)]
struct State {
    seed: u64,
    done: u64,
    panics: u64,
    slow: u64,
    hangs: u64,
    seconds: f64,
    peak_kb: u64,
}

impl State {
    fn read(path: &Path) -> Option<State> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut s = State::default();
        for line in text.lines() {
            let (key, value) = line.split_once('=')?;
            match key.trim() {
                "seed" => s.seed = value.trim().parse().ok()?,
                "done" => s.done = value.trim().parse().ok()?,
                "panics" => s.panics = value.trim().parse().ok()?,
                "slow" => s.slow = value.trim().parse().ok()?,
                "hangs" => s.hangs = value.trim().parse().ok()?,
                "seconds" => s.seconds = value.trim().parse().ok()?,
                "peak_kb" => s.peak_kb = value.trim().parse().ok()?,
                _ => {}
            }
        }
        Some(s)
    }

    fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = format!(
            "seed = {}\ndone = {}\npanics = {}\nslow = {}\nhangs = {}\nseconds = {:.1}\npeak_kb = {}\n",
            self.seed, self.done, self.panics, self.slow, self.hangs, self.seconds, self.peak_kb
        );
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, path)
    }
}

/// `VmHWM` of this process, in kB: its peak resident memory.
fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A file name for a panic location: `src/x.rs:10:5` → `src_x.rs_10_5`.
fn slug(location: &str) -> String {
    let s: String =
        location.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    if s.is_empty() { "unknown".into() } else { s }
}

/// One batch of inputs, shared by the workers.
struct Batch<'a> {
    mutator: &'a Mutator,
    seed: u64,
    next: AtomicU64,
    end: u64,
    state_dir: &'a Path,
    crashes: Mutex<Vec<(u64, Crash)>>,
    slow: AtomicU64,
    /// Slow inputs saved in this run, over every batch.
    slow_saved: &'a AtomicU64,
    parsed: AtomicU64,
    formatted: AtomicU64,
    built: AtomicU64,
    /// Per worker: the input running and when it started (ms since the
    /// run began, plus one; 0 when idle), for the hang watchdog.
    running: Vec<(AtomicU64, AtomicU64)>,
    finished: AtomicUsize,
    hangs: AtomicU64,
}

fn save(dir: &Path, name: &str, input: &[u8], note: &str) {
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join(format!("{name}.kdl")), input);
    let _ = std::fs::write(dir.join(format!("{name}.txt")), note);
}

fn worker(batch: &Batch<'_>, me: usize, run_start: Instant) {
    loop {
        let i = batch.next.fetch_add(1, Ordering::Relaxed);
        if i >= batch.end {
            break;
        }
        let input = batch.mutator.input(batch.seed, i);
        batch.running[me].0.store(i, Ordering::Relaxed);
        batch.running[me].1.store(run_start.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        let t = Instant::now();
        let result = fuzz::catch_one(&input);
        let took = t.elapsed();
        batch.running[me].1.store(0, Ordering::Relaxed);
        match result {
            Ok(reach) => {
                batch.parsed.fetch_add(reach.parsed as u64, Ordering::Relaxed);
                batch.formatted.fetch_add(reach.formatted as u64, Ordering::Relaxed);
                batch.built.fetch_add(reach.built as u64, Ordering::Relaxed);
            }
            Err(crash) => {
                let name = slug(&crash.location);
                let dir = batch.state_dir.join("crashes");
                // One saved input per location: the first, then a shorter one.
                let existing = std::fs::metadata(dir.join(format!("{name}.kdl"))).map(|m| m.len()).ok();
                if existing.is_none_or(|len| (input.len() as u64) < len) {
                    let note =
                        format!("seed {} input {i}\npanicked at {}\n{}\n", batch.seed, crash.location, crash.message);
                    save(&dir, &name, &input, &note);
                }
                if let Ok(mut crashes) = batch.crashes.lock() {
                    crashes.push((i, crash));
                }
            }
        }
        if took > SLOW {
            batch.slow.fetch_add(1, Ordering::Relaxed);
            if batch.slow_saved.fetch_add(1, Ordering::Relaxed) < MAX_SLOW_SAVED as u64 {
                let note = format!("seed {} input {i}\n{} ms\n", batch.seed, took.as_millis());
                save(&batch.state_dir.join("slow"), &format!("{}-{i}", batch.seed), &input, &note);
            }
        }
    }
    batch.running[me].1.store(0, Ordering::Relaxed);
    batch.finished.fetch_add(1, Ordering::Relaxed);
}

/// Watches the workers until they all finish. An input running longer than
/// `HANG` is saved in `hangs/` and counted; one running longer than `STUCK`
/// ends the process (the state file holds the last finished batch).
fn watchdog(batch: &Batch<'_>, jobs: usize, run_start: Instant) {
    let mut saved = std::collections::BTreeSet::new();
    while batch.finished.load(Ordering::Relaxed) < jobs {
        std::thread::sleep(Duration::from_millis(100));
        let now = run_start.elapsed().as_millis() as u64 + 1;
        for (input, started) in &batch.running {
            let started = started.load(Ordering::Relaxed);
            let running = now.saturating_sub(started);
            if started == 0 || running <= HANG.as_millis() as u64 {
                continue;
            }
            let i = input.load(Ordering::Relaxed);
            if saved.insert(i) {
                let data = batch.mutator.input(batch.seed, i);
                let note = format!("seed {} input {i}\nstill running after {} s\n", batch.seed, HANG.as_secs());
                save(&batch.state_dir.join("hangs"), &format!("{}-{i}", batch.seed), &data, &note);
                batch.hangs.fetch_add(1, Ordering::Relaxed);
                eprintln!("HANG: input {i} of seed {} ran over {} s; saved in hangs/", batch.seed, HANG.as_secs());
            }
            if running > STUCK.as_millis() as u64 {
                eprintln!("input {i} ran over {} s: stopping", STUCK.as_secs());
                std::process::exit(1);
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let _ = std::fs::create_dir_all(&options.state);
    let state_file = options.state.join("state");
    let mut state = State::read(&state_file).unwrap_or(State { seed: options.seed, ..State::default() });
    let corpus = fuzz::corpus(&options.corpus);
    if corpus.is_empty() {
        eprintln!("no corpus: no .kdl file under {}/examples or tests/fixtures", options.corpus.display());
        return std::process::ExitCode::from(2);
    }
    let files = corpus.len();
    let mutator = Mutator::new(corpus.into_iter().map(|(_, t)| t).collect());

    if options.replay.is_some() || options.file.is_some() {
        let i = options.replay.unwrap_or(0);
        let input = match &options.file {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    return std::process::ExitCode::from(2);
                }
            },
            None => mutator.input(state.seed, i),
        };
        if options.print {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&input);
        }
        let t = Instant::now();
        let result = fuzz::catch_one(&input);
        let what = match &options.file {
            Some(path) => path.display().to_string(),
            None => format!("seed {} input {i}", state.seed),
        };
        eprintln!("{what}: {} bytes, {:.1} ms", input.len(), t.elapsed().as_secs_f64() * 1e3);
        return match result {
            Ok(reach) => {
                eprintln!("no panic ({reach:?})");
                std::process::ExitCode::SUCCESS
            }
            Err(crash) => {
                eprintln!("panicked at {}: {}", crash.location, crash.message);
                std::process::ExitCode::from(1)
            }
        };
    }

    eprintln!(
        "fuzz: seed {}, {} of {} inputs done before, {} corpus files, {} job(s), state in {}",
        state.seed,
        state.done,
        options.inputs,
        files,
        options.jobs,
        options.state.display()
    );
    let run_start = Instant::now();
    let start_done = state.done;
    let slow_saved = AtomicU64::new(0);
    let (mut parsed, mut formatted, mut built) = (0u64, 0u64, 0u64);
    let mut locations = std::collections::BTreeMap::<String, (u64, String)>::new();
    // The first batch is small, to measure; then about ten seconds each, so
    // the state file is never far behind.
    let mut size = 20 * options.jobs as u64;
    while state.done < options.inputs {
        let end = (state.done + size).min(options.inputs);
        let batch = Batch {
            mutator: &mutator,
            seed: state.seed,
            next: AtomicU64::new(state.done),
            end,
            state_dir: &options.state,
            crashes: Mutex::new(Vec::new()),
            slow: AtomicU64::new(0),
            slow_saved: &slow_saved,
            parsed: AtomicU64::new(0),
            formatted: AtomicU64::new(0),
            built: AtomicU64::new(0),
            running: (0..options.jobs).map(|_| (AtomicU64::new(0), AtomicU64::new(0))).collect(),
            finished: AtomicUsize::new(0),
            hangs: AtomicU64::new(0),
        };
        let batch_start = Instant::now();
        std::thread::scope(|scope| {
            let mut started = 0;
            for me in 0..options.jobs {
                let batch = &batch;
                // Deep specs nest deep: a roomy stack, as the main thread has.
                let spawned = std::thread::Builder::new()
                    .name(format!("fuzz-{me}"))
                    .stack_size(64 << 20)
                    .spawn_scoped(scope, move || worker(batch, me, run_start));
                started += spawned.is_ok() as usize;
            }
            watchdog(&batch, started, run_start);
        });
        let took = batch_start.elapsed();
        let count = end - state.done;
        state.done = end;
        parsed += batch.parsed.load(Ordering::Relaxed);
        formatted += batch.formatted.load(Ordering::Relaxed);
        built += batch.built.load(Ordering::Relaxed);
        let mut crashes = batch.crashes.into_inner().unwrap_or_default();
        crashes.sort_by_key(|c| c.0);
        for (i, crash) in crashes {
            state.panics += 1;
            let entry = locations.entry(crash.location.clone()).or_insert((0, crash.message.clone()));
            if entry.0 == 0 {
                eprintln!("PANIC (input {i}) at {}: {}", crash.location, crash.message.lines().next().unwrap_or(""));
            }
            entry.0 += 1;
        }
        state.slow += batch.slow.load(Ordering::Relaxed);
        state.hangs += batch.hangs.load(Ordering::Relaxed);
        state.seconds += took.as_secs_f64();
        state.peak_kb = state.peak_kb.max(peak_kb());
        if let Err(e) = state.write(&state_file) {
            eprintln!("cannot write {}: {e}", state_file.display());
            return std::process::ExitCode::from(2);
        }
        let rate = count as f64 / took.as_secs_f64().max(1e-3);
        size = ((rate * 10.0) as u64).clamp(10, 100_000);
        let this_run = state.done - start_done;
        eprintln!(
            "{:>10} done | {:>6.0} inputs/s | {} panic(s) at {} place(s) | {} slow | parsed {:.0}% formatted {:.0}% \
             built {:.0}% | peak {} MB",
            state.done,
            this_run as f64 / run_start.elapsed().as_secs_f64().max(1e-3),
            state.panics,
            locations.len(),
            state.slow,
            pct(parsed, this_run),
            pct(formatted, this_run),
            pct(built, this_run),
            state.peak_kb / 1024
        );
    }
    let this_run = state.done - start_done;
    let elapsed = run_start.elapsed().as_secs_f64();
    println!(
        "inputs this run: {this_run} in {elapsed:.1} s ({:.0} inputs/s, {} job(s))",
        this_run as f64 / elapsed.max(1e-3),
        options.jobs
    );
    println!(
        "inputs in all: {} (seed {}), {:.0} s of fuzzing, {:.0} inputs/s on average",
        state.done,
        state.seed,
        state.seconds,
        state.done as f64 / state.seconds.max(1e-3)
    );
    println!(
        "panics: {} this run at {} distinct place(s); {} in all",
        locations.values().map(|l| l.0).sum::<u64>(),
        locations.len(),
        state.panics
    );
    for (location, (count, message)) in &locations {
        println!("  {count:>6} x {location}: {}", message.lines().next().unwrap_or(""));
    }
    println!("slow inputs (over {} ms): {} in all", SLOW.as_millis(), state.slow);
    println!("hangs (over {} s): {} in all", HANG.as_secs(), state.hangs);
    println!(
        "reach this run: parsed {:.1}%, formatted {:.1}%, built {:.1}%",
        pct(parsed, this_run),
        pct(formatted, this_run),
        pct(built, this_run)
    );
    println!("peak memory (VmHWM): {} MB", peak_kb() / 1024);
    if locations.is_empty() && state.hangs == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 * 100.0 / of as f64 }
}
