//! Parser throughput and memory: wireplan's own KDL parser against the kdl crate.
//!
//! Generates realistic wireplan specs (systems with entities and fields,
//! events, flows with `to`/`map`/`retry` nodes, comments) of about 1, 10 and
//! 50 MB and prints time, MB/s and peak heap memory (measured by a counting
//! global allocator) of, side by side: wireplan's parser building the tree;
//! the same and then every node and value read through the typed view; that
//! again in pieces on every core, as `wireplan check` runs it; and the kdl
//! crate. Each is run once per size: a benchmark, not a timed test.
//! The kdl crate takes about 40 seconds and 2.3 GB on 50 MB; set
//! `WIREPLAN_BENCH_SKIP_KDL_50MB=1` to skip that one run (or
//! `WIREPLAN_BENCH_SKIP_KDL=1` to skip the crate entirely). Run with
//! `cargo bench --bench parser`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use peak_alloc::PeakAlloc;

use wireplan::bench;

/// Counts live heap bytes and the peak since the last reset. Its `realloc`
/// always moves the block, so a growing buffer briefly counts twice: the
/// conservative reading, applied to both parsers alike.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// Runs `f` once and returns its time and the peak heap growth while it ran
/// (its result included, since it is dropped only after the measurement).
fn measure<T>(f: impl FnOnce() -> T) -> (Duration, usize, T) {
    let base = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let start = Instant::now();
    let out = f();
    let time = start.elapsed();
    (time, ALLOCATOR.peak_usage().saturating_sub(base), out)
}

/// A small deterministic generator, so every run parses the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.next(list.len())]
    }
}

const KINDS: [&str; 6] = ["crm", "erp", "billing", "warehouse", "marketing", "support"];
const TYPES: [&str; 7] = ["uuid", "string", "decimal", "timestamp", "int", "bool", "json"];
const FIELDS: [&str; 10] =
    ["id", "email", "name", "amount", "currency", "created_at", "updated_at", "status", "owner_id", "region"];
const ENTITIES: [&str; 6] = ["Customer", "Invoice", "Order", "Payment", "Ticket", "Product"];
const BACKOFF: [&str; 3] = ["exponential", "linear", "fixed"];

/// A wireplan-like spec of at least `target` bytes.
fn generate_spec(target: usize) -> String {
    let mut rng = Rng(42);
    let mut out = String::with_capacity(target + 4096);
    out.push_str("// Generated integration architecture for the parser benchmark.\n\n");
    let mut n = 0usize;
    while out.len() < target {
        n += 1;
        let kind = rng.pick(&KINDS);
        let _ = writeln!(out, "// System {n}: the {kind} platform of region {}.", n % 17);
        let _ = writeln!(out, "system \"sys-{n:05}\" kind={kind} owner=\"team-{}\" {{", n % 23);
        let _ = writeln!(out, "    description \"Handles {kind} records for region {}, synced nightly.\"", n % 17);
        for e in 0..1 + rng.next(3) {
            let entity = ENTITIES[(n + e) % ENTITIES.len()];
            let _ = writeln!(out, "    entity \"{entity}\" {{");
            for f in 0..2 + rng.next(5) {
                let field = FIELDS[(n + e + f) % FIELDS.len()];
                let ty = rng.pick(&TYPES);
                let extra = match rng.next(4) {
                    0 => " required=#true",
                    1 => " pii=#true",
                    2 => " max-length=255",
                    _ => "",
                };
                let _ = writeln!(out, "        field \"{field}\" type={ty}{extra}");
            }
            out.push_str("    }\n");
        }
        out.push_str("}\n");
        let entity = ENTITIES[n % ENTITIES.len()];
        let lower = entity.to_lowercase();
        let _ = writeln!(
            out,
            "event \"sys-{n:05}.{lower}.created\" from=\"sys-{n:05}\" entity=\"{entity}\" version={}",
            1 + n % 3
        );
        let target_system = (n * 7 + 3) % (n + 1) + 1;
        let _ = writeln!(out, "flow \"flow-{n:05}\" {{");
        let _ = writeln!(out, "    // Propagate new {lower} records downstream.");
        let _ = writeln!(out, "    from \"sys-{n:05}.{lower}.created\"");
        let _ = writeln!(out, "    to \"sys-{target_system:05}\" {{");
        for f in 0..1 + rng.next(4) {
            let field = FIELDS[(n + f) % FIELDS.len()];
            let _ = writeln!(out, "        map \"{field}\" to=\"{lower}_{field}\"");
        }
        let _ = writeln!(
            out,
            "        retry attempts={} backoff=\"{}\" max-delay=\"{}s\"",
            1 + rng.next(8),
            rng.pick(&BACKOFF),
            5 * (1 + rng.next(12))
        );
        out.push_str("    }\n}\n\n");
    }
    out
}

struct Row {
    label: &'static str,
    bytes: usize,
    ours: (Duration, usize),
    /// Cores, time and peak when parsed and read in pieces on every core.
    parallel: (usize, Duration, usize),
    walked: (Duration, usize),
    kdl: Option<(Duration, usize)>,
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64().max(1e-9)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let skip_kdl_50 = std::env::var("WIREPLAN_BENCH_SKIP_KDL_50MB").is_ok_and(|v| v == "1");
    // For profiling our parser alone.
    let skip_kdl = std::env::var("WIREPLAN_BENCH_SKIP_KDL").is_ok_and(|v| v == "1");
    let mut rows = Vec::new();
    for (label, size) in [("1 MB", 1_000_000), ("10 MB", 10_000_000), ("50 MB", 50_000_000)] {
        let text = generate_spec(size);
        // Warm up code and page cache on a small slice so the single timed
        // run of each size measures the parser, not first-touch effects.
        let warm_len = text.len().min(200_000);
        let warm_end = text[..warm_len].rfind("\n\n").map_or(0, |p| p + 2);
        std::hint::black_box(bench::parse(&text[..warm_end]));

        let (time, peak, parsed) = measure(|| bench::parse(&text));
        assert_eq!(parsed.errors, 0, "the generated spec must be valid");
        eprintln!(
            "{label}: {} tokens ({:.1} bytes each), {} tree nodes",
            parsed.tokens,
            text.len() as f64 / parsed.tokens.max(1) as f64,
            parsed.tree_nodes
        );
        // Parsing and then reading every node and entry through the typed
        // view, decoding every name and value: what lowering costs at least.
        let (walk_time, walk_peak, (nodes, entries)) = measure(|| bench::parse_and_walk(&text));
        // The same on every core, as `wireplan check` does it: the text in
        // pieces, each parsed and read by a thread of its own.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (parallel_time, parallel_peak, counts) = measure(|| bench::parse_and_walk_in_pieces(&text, cores));
        assert_eq!(counts, (nodes, entries), "the pieces hold the same nodes and entries");
        eprintln!("{label}: ours {:.3} s ({nodes} nodes, {entries} entries)", time.as_secs_f64());

        let kdl = if skip_kdl || (label == "50 MB" && skip_kdl_50) {
            None
        } else {
            let (kdl_time, kdl_peak, doc) = measure(|| kdl::KdlDocument::parse_v2(&text));
            assert!(doc.is_ok(), "the kdl crate must accept the generated spec");
            drop(doc);
            eprintln!("{label}: kdl crate {:.3} s", kdl_time.as_secs_f64());
            Some((kdl_time, kdl_peak))
        };
        rows.push(Row {
            label,
            bytes: text.len(),
            ours: (time, peak),
            parallel: (cores, parallel_time, parallel_peak),
            walked: (walk_time, walk_peak),
            kdl,
        });
    }

    println!();
    println!("| input | parser | time | MB/s | peak heap | heap / input |");
    println!("|---|---|---|---|---|---|");
    for row in &rows {
        let line = |name: &str, (time, peak): (Duration, usize)| {
            println!(
                "| {} ({} bytes) | {name} | {:.3} s | {:.1} | {:.1} MB | {:.2}x |",
                row.label,
                row.bytes,
                time.as_secs_f64(),
                mb_per_s(row.bytes, time),
                peak as f64 / 1e6,
                peak as f64 / row.bytes as f64
            );
        };
        line("wireplan (tree, 1 thread)", row.ours);
        line("wireplan (tree and every node and value read, 1 thread)", row.walked);
        let (cores, time, peak) = row.parallel;
        line(&format!("wireplan (the same in pieces, {cores} threads)"), (time, peak));
        match row.kdl {
            Some(kdl) => {
                line("kdl crate 6.7", kdl);
                println!(
                    "| {} | ratio kdl / wireplan | {:.0}x slower | | {:.1}x more memory | |",
                    row.label,
                    kdl.0.as_secs_f64() / row.ours.0.as_secs_f64().max(1e-9),
                    kdl.1 as f64 / row.ours.1.max(1) as f64
                );
            }
            None => println!("| {} | kdl crate 6.7 | skipped | | | |", row.label),
        }
    }
}
