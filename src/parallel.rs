//! How many threads the stages share a large spec out on, and joining them.
//!
//! Parsing, lowering, resolution, graph building and the checks each cut a
//! large spec into parts for every core; the output is the same whatever the
//! number. This module sits below every stage, so that none of them reaches
//! up to the crate root for it.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The most threads wireplan starts, whatever `WIREPLAN_THREADS` says: more
/// than this only costs memory and start-up time.
pub(crate) const MAX_THREADS: usize = 256;

/// The number `set_threads` chose; 0 until then (one per core).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// How many threads a large spec is parsed, lowered, resolved and checked
/// on: what `set_threads` was given (the CLI passes `WIREPLAN_THREADS`), else
/// one per core.
pub(crate) fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS),
        n => n,
    }
}

/// Sets the number of threads, clamped to 1 to `MAX_THREADS` (see `threads`).
pub(crate) fn set_threads(threads: usize) {
    THREADS.store(threads.clamp(1, MAX_THREADS), Ordering::Relaxed);
}

/// Waits for a scoped worker thread and returns what it made. A panic in the
/// worker carries on in the caller, which the binary turns into exit code 2.
pub(crate) fn join<T>(worker: std::thread::ScopedJoinHandle<'_, T>) -> T {
    worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
