//! English for messages and reports: lists of names ("`a`, `b` and 3
//! more"), plurals and counts of findings. Every check, the planner and every
//! renderer write these through here, so a sentence reads the same wherever
//! it is printed.

/// "a", "a and b", "a, b and c", or "a, b and 4 more" when `total` (the
/// length of the whole list, of which `shown` holds the first items) is more
/// than `max`. `word` joins the last two: "and" or "or". Empty for no items.
pub(crate) fn list<S: AsRef<str>>(shown: &[S], total: usize, max: usize, word: &str) -> String {
    let items: Vec<&str> = shown.iter().map(AsRef::as_ref).collect();
    match items.len().min(total) {
        0 => String::new(),
        1 if total == 1 => items[0].to_owned(),
        n if total <= max && n == total => format!("{} {word} {}", items[..n - 1].join(", "), items[n - 1]),
        n => {
            let listed = max.min(n).max(1);
            format!("{} and {} more", items[..listed].join(", "), total - listed)
        }
    }
}

/// "1 flow", "2 flows".
pub(crate) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// "1 error, 2 warnings, 3 info"; empty for none.
pub(crate) fn severity_counts(errors: usize, warnings: usize, infos: usize) -> String {
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning"));
    }
    if infos > 0 {
        parts.push(format!("{infos} info"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(items: &[&str], max: usize) -> String {
        list(items, items.len(), max, "and")
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(all(&["a"], 3), "a");
        assert_eq!(all(&["a", "b"], 3), "a and b");
        assert_eq!(all(&["a", "b", "c"], 3), "a, b and c");
        assert_eq!(all(&["a", "b", "c", "d"], 3), "a, b, c and 1 more");
        assert_eq!(list(&["a", "b"], 10, 3, "and"), "a, b and 8 more");
        assert_eq!(list(&["x", "y", "z"], 3, usize::MAX, "or"), "x, y or z");
        assert_eq!(all(&[], 3), "");
        assert_eq!(severity_counts(1, 2, 0), "1 error, 2 warnings");
    }
}
