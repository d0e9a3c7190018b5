//! Every output format stays linear in the input: the real `wireplan check`
//! binary on generated specs of 1, 2 and 4 MB with thousands of findings
//! (many lines), and on single-line specs of 1, 4 and 10 MB (one huge line),
//! in each format, printing to /dev/null; the median of several runs. Human
//! output once cost diagnostics times file size (11.7 s on 2 MB) and every
//! format diagnostics times line length (25 s on a 4 MB line). This is a
//! benchmark, not a timed test: it prints the numbers and the ratios.
//!
//! Run with `cargo bench --bench formats`.

use std::path::Path;
use std::time::{Duration, Instant};

const FORMATS: &[&str] = &["human", "json", "short", "sarif", "github"];

/// About `bytes` of systems, one finding each (`unused-system`), each system
/// with a long owner line so that the file is large.
fn many_lines(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 1024);
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("system \"s{i}\" kind=crm {{\n    owner \"{}\"\n}}\n", "o".repeat(600)));
        i += 1;
    }
    s
}

/// About `bytes` on one line: systems with an unknown kind, separated by `;`.
fn one_line(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 64);
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("system \"s{i}\" kind=bogus; "));
        i += 1;
    }
    s
}

fn median_run(spec: &Path, format: &str) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut printed = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wireplan"))
            .args(["check", "--color", "never", "--format", format])
            .arg(spec)
            .output()
            .unwrap_or_else(|e| panic!("wireplan runs: {e}"));
        times.push(start.elapsed());
        printed = out.stdout.len();
    }
    times.sort();
    (times[times.len() / 2], printed)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("wireplan-bench-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    println!("| spec | size | format | median | output | vs json |");
    println!("| --- | ---: | --- | ---: | ---: | ---: |");
    let cases: Vec<(&str, usize, String)> = [1usize, 2, 4]
        .iter()
        .map(|mb| ("many lines", *mb, many_lines(mb << 20)))
        .chain([1usize, 4, 10].iter().map(|mb| ("one line", *mb, one_line(mb << 20))))
        .collect();
    for (shape, mb, text) in &cases {
        let path = dir.join(format!("{}-{mb}.kdl", shape.replace(' ', "-")));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let json = median_run(&path, "json").0;
        for format in FORMATS {
            let (time, printed) = median_run(&path, format);
            println!(
                "| {shape} | {mb} MB | {format} | {:.3} s | {:.1} MB | {:.2}x |",
                time.as_secs_f64(),
                printed as f64 / 1_048_576.0,
                time.as_secs_f64() / json.as_secs_f64()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
