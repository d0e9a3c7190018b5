//! "Did you mean": the closest known name to a misspelt one, and whether it
//! was the only plausible one (which makes correcting it a safe fix).
//!
//! Candidates are always a bounded set (the keywords of one node, or the names
//! that share a first character), so a suggestion never costs a scan of every
//! name in a large spec. Each comparison is bounded too: names whose lengths
//! differ by more than a plausible typo are not compared, and at most the
//! first `MAX_COMPARED` characters of each are (the measures cost the product
//! of the lengths, and a spec may hold a 40,000-character name).

/// The candidate closest to `name`, if it is close enough to be a plausible
/// typo: within a Damerau-Levenshtein distance of a third of its length (so
/// `pre` finds `per`), or with a Jaro-Winkler similarity of 0.8 or more (so
/// `lead.create` finds `lead.created`). Ties go to the earlier name in
/// alphabetical order, so suggestions are deterministic.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    suggestion(name, candidates).map(|s| s.name)
}

/// What "did you mean" found: the closest candidate, and whether it was the
/// only plausible one (a fix that writes it is then safe; with rivals it is
/// a guess for someone to review).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Suggestion<'a> {
    pub(crate) name: &'a str,
    pub(crate) only: bool,
}

/// `closest`, saying whether another candidate was plausible too.
pub(crate) fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<Suggestion<'a>> {
    let length = name.chars().count();
    let max_edits = (length / 3).max(1);
    let short_name = prefix(name);
    let mut best: Option<((usize, u64), &str)> = None;
    let mut plausible = 0usize;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        // Jaro-Winkler can pass 0.8 only while the shorter name is at least
        // half as long as the longer one; edits need the lengths within
        // `max_edits`.
        let other = candidate.chars().count();
        if length.abs_diff(other) > max_edits && length.min(other) * 2 < length.max(other) {
            continue;
        }
        let short_candidate = prefix(candidate);
        // Past the compared prefixes, the tails differ by at least their
        // difference in length.
        let unseen = length.saturating_sub(MAX_COMPARED).abs_diff(other.saturating_sub(MAX_COMPARED));
        let edits = strsim::damerau_levenshtein(short_name, short_candidate) + unseen;
        let similarity = strsim::jaro_winkler(short_name, short_candidate);
        if edits > max_edits && similarity < 0.8 {
            continue;
        }
        plausible += 1;
        // Fewer edits first, then higher similarity (as an integer key).
        let key = (edits, u64::MAX - (similarity * 1e9) as u64);
        if best.is_none_or(|(k, c)| key < k || (key == k && candidate < c)) {
            best = Some((key, candidate));
        }
    }
    best.map(|(_, c)| Suggestion { name: c, only: plausible == 1 })
}

/// The most characters of a name that a comparison reads.
const MAX_COMPARED: usize = 64;

fn prefix(name: &str) -> &str {
    name.char_indices().nth(MAX_COMPARED).map_or(name, |(i, _)| &name[..i])
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

    #[test]
    fn a_suggestion_says_whether_it_was_the_only_plausible_one() {
        assert_eq!(suggestion("crn", ["crm", "erp"]), Some(Suggestion { name: "crm", only: true }));
        assert_eq!(
            suggestion("lead.create", ["lead.creates", "lead.created"]),
            Some(Suggestion { name: "lead.created", only: false })
        );
    }

    #[test]
    fn long_names_cost_a_bounded_comparison() {
        let long = "n".repeat(40_000);
        let near = format!("{long}x");
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert_eq!(closest(&near, [long.as_str()]), Some(long.as_str()));
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
        assert_eq!(closest("ab", ["abcdefgh"]), None, "lengths too far apart are not compared");
    }
}
