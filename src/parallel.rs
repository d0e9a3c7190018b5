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

/// What `WIREPLAN_THREADS=value` asks for: a number of threads clamped to 1
/// to `MAX_THREADS` (`None`, one per core, when the value is no whole
/// number), and a warning when the value was out of range or no number.
pub(crate) fn from_setting(value: &str) -> (Option<usize>, Option<String>) {
    let value = value.trim();
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        let warning = format!(
            "WIREPLAN_THREADS=`{}` is not a number from 1 to {MAX_THREADS}; using one thread per core",
            crate::escape::one_line(value)
        );
        return (None, Some(warning));
    }
    let magnitude = digits.trim_start_matches('0');
    // A number too large for `usize` is still a number, and too many.
    let asked = if magnitude.is_empty() { 0 } else { magnitude.parse::<usize>().unwrap_or(usize::MAX) };
    if asked == 0 || value.starts_with('-') {
        (Some(1), Some(format!("WIREPLAN_THREADS={value} is less than 1; using 1 thread")))
    } else if asked > MAX_THREADS {
        (
            Some(MAX_THREADS),
            Some(format!("WIREPLAN_THREADS={value} is more than {MAX_THREADS}; using {MAX_THREADS} threads")),
        )
    } else {
        (Some(asked), None)
    }
}

/// Waits for a scoped worker thread and returns what it made. A panic in the
/// worker carries on in the caller, which the binary turns into exit code 2.
pub(crate) fn join<T>(worker: std::thread::ScopedJoinHandle<'_, T>) -> T {
    worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::{MAX_THREADS, from_setting};

    #[test]
    fn the_setting_is_clamped_to_one_to_the_most_with_a_warning() {
        assert_eq!(from_setting("4"), (Some(4), None));
        assert_eq!(from_setting(" 007 "), (Some(7), None));
        assert_eq!(from_setting("+2"), (Some(2), None));
        for low in ["0", "-0", "000", "-3", "-99999999999999999999999999"] {
            let (threads, warning) = from_setting(low);
            assert_eq!(threads, Some(1), "{low}");
            assert!(warning.unwrap().contains("using 1 thread"), "{low}");
        }
        for high in ["257", "100000", "99999999999999999999999999"] {
            let (threads, warning) = from_setting(high);
            assert_eq!(threads, Some(MAX_THREADS), "{high}");
            assert!(warning.unwrap().contains("using 256 threads"), "{high}");
        }
        for junk in ["", "four", "1.5", "-", "4\u{202e}"] {
            let (threads, warning) = from_setting(junk);
            assert_eq!(threads, None, "{junk}");
            assert!(warning.unwrap().contains("one thread per core"), "{junk}");
        }
    }
}
