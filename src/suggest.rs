//! "Did you mean": the closest known name to a misspelt one.
//!
//! Candidates are always a bounded set (the keywords of one node, or the names
//! that share a first character), so a suggestion never costs a scan of every
//! name in a large spec.

/// The candidate closest to `name`, if it is close enough to be a plausible
/// typo: within a Damerau-Levenshtein distance of a third of its length (so
/// `pre` finds `per`), or with a Jaro-Winkler similarity of 0.8 or more (so
/// `lead.create` finds `lead.created`). Ties go to the earlier name in
/// alphabetical order, so suggestions are deterministic.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max_edits = (name.chars().count() / 3).max(1);
    let mut best: Option<((usize, u64), &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let edits = strsim::damerau_levenshtein(name, candidate);
        let similarity = strsim::jaro_winkler(name, candidate);
        if edits > max_edits && similarity < 0.8 {
            continue;
        }
        // Fewer edits first, then higher similarity (as an integer key).
        let key = (edits, u64::MAX - (similarity * 1e9) as u64);
        if best.is_none_or(|(k, c)| key < k || (key == k && candidate < c)) {
            best = Some((key, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// " (did you mean `x`?)" or nothing.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_not_strangers() {
        let names = ["system", "event", "flow", "stack", "include", "lint"];
        assert_eq!(closest("sytem", names), Some("system"));
        assert_eq!(closest("evnt", names), Some("event"));
        assert_eq!(closest("zzz", names), None);
        assert_eq!(closest("pre", ["per", "every"]), Some("per"));
        assert_eq!(closest("lead.create", ["lead.created", "order.created"]), Some("lead.created"));
    }
}
