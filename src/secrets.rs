//! Recognising credentials written into a spec.
//!
//! A spec names environment variables (`secret "HUBSPOT_TOKEN"`); it must not
//! hold the credentials themselves. A value is flagged when it starts with a
//! known token prefix, or when it is long, has no spaces, mixes letters and
//! digits and has the character entropy of random text. An UPPER_SNAKE_CASE
//! value is an environment variable's name and is never flagged.

/// Prefixes of well-known token formats, with the minimum length of a real
/// token so that ordinary words starting the same way are not flagged.
const PREFIXES: &[(&str, usize, &str)] = &[
    ("sk_live_", 16, "a Stripe secret key"),
    ("sk_test_", 16, "a Stripe test key"),
    ("rk_live_", 16, "a Stripe restricted key"),
    ("whsec_", 16, "a webhook signing secret"),
    ("xoxb-", 15, "a Slack bot token"),
    ("xoxp-", 15, "a Slack user token"),
    ("xoxa-", 15, "a Slack app token"),
    ("xapp-", 15, "a Slack app token"),
    ("pat-", 20, "a HubSpot private app token"),
    ("ghp_", 20, "a GitHub token"),
    ("gho_", 20, "a GitHub OAuth token"),
    ("ghs_", 20, "a GitHub app token"),
    ("github_pat_", 20, "a GitHub token"),
    ("glpat-", 20, "a GitLab token"),
    ("shpat_", 20, "a Shopify access token"),
    ("shpss_", 20, "a Shopify shared secret"),
    ("AKIA", 20, "an AWS access key"),
    ("ASIA", 20, "an AWS access key"),
    ("AIza", 30, "a Google API key"),
    ("SG.", 30, "a SendGrid API key"),
    ("sk-", 30, "an API secret key"),
    ("-----BEGIN", 10, "a private key"),
];

/// The shortest text any check can flag: a URL with a password, `a://b:c@d`.
pub(crate) const SHORTEST_SECRET: usize = 9;

/// Why `text` looks like a credential, or `None`.
pub(crate) fn check(text: &str) -> Option<String> {
    // Every check below needs at least this many bytes; most values in a
    // spec (names, keywords) are shorter, and this function sees them all.
    if text.len() < SHORTEST_SECRET {
        return None;
    }
    // Every string of the spec comes here: compare the first byte before
    // the whole prefix.
    let first = text.as_bytes()[0];
    for (prefix, min_len, what) in PREFIXES {
        if prefix.as_bytes()[0] == first && text.starts_with(prefix) && text.len() >= *min_len && !text.contains(' ') {
            return Some(format!("it looks like {what}"));
        }
    }
    if is_env_name(text) {
        return None;
    }
    if let Some(rest) = text.contains(':').then(|| text.split_once("://")).flatten().map(|(_, rest)| rest) {
        // A URL is fine unless it carries a password: `https://user:pw@host`.
        let authority = rest.split('/').next().unwrap_or("");
        return authority
            .split_once('@')
            .is_some_and(|(user, _)| user.contains(':'))
            .then(|| "the URL contains a password".to_owned());
    }
    if looks_random(text) {
        return Some("it is a long string of random-looking characters".into());
    }
    None
}

/// `HUBSPOT_TOKEN`, `STRIPE_KEY_2`: upper-case letters, digits and underscores,
/// starting with a letter or underscore.
pub(crate) fn is_env_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Long, no whitespace, letters and digits mixed, and high character entropy.
fn looks_random(text: &str) -> bool {
    if text.len() < 24 || text.chars().any(char::is_whitespace) {
        return false;
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let letters = text.chars().filter(char::is_ascii_alphabetic).count();
    if digits < 3 || letters < 3 {
        return false;
    }
    entropy(text) >= 3.5
}

/// Shannon entropy in bits per character.
fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut total = 0u32;
    for b in text.bytes() {
        counts[b as usize] += 1;
        total += 1;
    }
    let total = f64::from(total);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_tokens() {
        for token in [
            "sk_live_51HxQeTz8KXbq0Rn2Ww9",
            "xoxb-1234567890-abcdefghij",
            "pat-na1-2b1c4f2e-9a8b-4c7d-8e6f",
            "AKIAIOSFODNN7EXAMPLE",
            "8f14e45fceea167a5a36dedd4bea2543-us6",
            "https://admin:hunter2@db.example.com/x",
        ] {
            assert!(check(token).is_some(), "{token}");
        }
    }

    #[test]
    fn leaves_ordinary_values_alone() {
        for value in [
            "HUBSPOT_TOKEN",
            "https://api.hubapi.com",
            "lead-to-newsletter-nightly-sync",
            "merge_fields.SCORE",
            "0 2 * * *",
            "patterns",
            "sales-ops",
            "orders-2024-nightly",
        ] {
            assert!(check(value).is_none(), "{value}");
        }
        assert!(!is_env_name("hunter2"));
        assert!(is_env_name("STRIPE_API_KEY"));
    }
}
