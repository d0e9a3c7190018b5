//! The fuzz target's regression inputs: every spec under
//! `tests/fixtures/fuzz/` (inputs the fuzzer once found a panic or a broken
//! invariant with) goes through the whole in-process pipeline,
//! `wireplan::fuzz::run_one`, without a panic. The fuzzer's own harness is
//! tested beside it (`src/fuzz/mod.rs`).

use std::path::Path;

#[test]
fn every_fuzz_regression_input_runs_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "kdl"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no fuzz regression inputs in {}", dir.display());
    let mut failed = Vec::new();
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap();
        if let Err(crash) = wireplan::fuzz::catch_one(&bytes) {
            failed.push(format!("{}: panicked at {}: {}", path.display(), crash.location, crash.message));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
