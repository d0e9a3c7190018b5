//! Throughput of the whole pipeline on generated specs of 1k, 10k and 100k
//! flows: parse time, check time (everything after parsing), MB/s, flows/s
//! and peak memory, in this process (one run per size); then the real
//! `wireplan check --format json` end to end (read, parse, check, print to
//! /dev/null), as a user runs it, median of several runs. This is a
//! benchmark, not a timed test.
//!
//! Run with `cargo bench --bench throughput`; `WIREPLAN_BENCH_SIZES=1000,10000`
//! picks other sizes.
#![allow(unsafe_code)] // the counting allocator

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[path = "realistic.rs"]
mod realistic;
use realistic::realistic_spec;

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Wall times of `runs` runs of `wireplan check --format json` on `path`,
/// output to /dev/null, sorted.
fn end_to_end_times(path: &std::path::Path, runs: usize) -> Option<Vec<f64>> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_wireplan"))
            .args(["check", "--format", "json"])
            .arg(path)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        times.push(start.elapsed().as_secs_f64());
        // Findings make the exit code 1; only a crash is a failure here.
        status.code()?;
    }
    times.sort_by(f64::total_cmp);
    Some(times)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("WIREPLAN_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let dir = std::env::temp_dir().join(format!("wireplan-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    println!(
        "{:<10} {:>7} {:>8} {:>8} {:>10} {:>8} {:>12} {:>8} {:>10} {:>8} {:>6}",
        "spec",
        "flows",
        "MB",
        "parse s",
        "parse MB/s",
        "check s",
        "check flow/s",
        "json s",
        "total MB/s",
        "peak MB",
        "diags"
    );
    let mut end_to_end = Vec::new();
    for (name, generate) in [("realistic", realistic_spec as fn(usize) -> String)] {
        for &flows in &sizes {
            let text = generate(flows);
            let path = dir.join(format!("{name}-{flows}.kdl"));
            // Written through to disk first, so that no write-back competes
            // with the runs below.
            let written = std::fs::File::create(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()).and_then(|()| f.sync_all()));
            if written.is_err() {
                eprintln!("cannot write {}", path.display());
                return;
            }
            let mb = text.len() as f64 / 1e6;
            drop(text);
            let base = LIVE.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let start = Instant::now();
            let t = wireplan::bench::run(&path);
            let total = start.elapsed().as_secs_f64();
            let peak = (PEAK.load(Ordering::Relaxed) - base) as f64 / 1e6;
            let (parse, check, render) = (t.parse.as_secs_f64(), t.check.as_secs_f64(), t.render.as_secs_f64());
            println!(
                "{:<10} {:>7} {:>8.1} {:>8.2} {:>10.1} {:>8.3} {:>12.0} {:>8.3} {:>10.1} {:>8.0} {:>6}",
                name,
                t.flows,
                mb,
                parse,
                mb / parse.max(1e-9),
                check,
                t.flows as f64 / check.max(1e-9),
                render,
                mb / total.max(1e-9),
                peak,
                t.diagnostics
            );
            end_to_end.push((name, t.flows, mb, path.clone()));
        }
    }
    println!();
    println!("{:<10} {:>7} {:>8} {:>10} {:>10} {:>14}", "spec", "flows", "MB", "e2e s", "e2e MB/s", "runs (s)");
    for (name, flows, mb, path) in end_to_end {
        let Some(times) = end_to_end_times(&path, 7) else {
            eprintln!("cannot run {}", env!("CARGO_BIN_EXE_wireplan"));
            return;
        };
        let median = times[times.len() / 2];
        let runs: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
        println!(
            "{:<10} {:>7} {:>8.1} {:>10.3} {:>10.1} {:>14}",
            name,
            flows,
            mb,
            median,
            mb / median.max(1e-9),
            runs.join(" ")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
