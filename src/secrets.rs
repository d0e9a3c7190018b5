//! Recognising credentials written into a spec.
//!
//! A spec names environment variables (`secret "HUBSPOT_TOKEN"`); it must not
//! hold the credentials themselves. A value is flagged when it holds a
//! private-key block, a URL with a password, a JWT, or a word that starts
//! with a known token prefix (anywhere in the value: `Bearer sk_live_...`,
//! `https://x/?token=ghp_...`), or a word that is long, mixes letters and
//! digits and has the character entropy of random text. Hosts, `host:port`,
//! URLs without a password, UUIDs, version strings and UPPER_SNAKE_CASE
//! environment-variable names are never flagged, and a URL path or a URI
//! with a scheme (`iglu:`) is read a segment at a time. What is found carries a
//! masked form (a short prefix and `…`) for messages: the secret itself is
//! never printed.

/// A credential found in a value: what it looks like, and a masked form
/// safe to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) what: String,
    pub(crate) masked: String,
    /// Where in the text the credential itself is (a word, a URL's
    /// password, a private-key block), for masking it wherever it is shown.
    pub(crate) at: std::ops::Range<usize>,
}

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
];

/// The shortest text any check can flag: a URL with a password, `a://b:c@d`.
/// (A private key is found by its `-----BEGIN ... PRIVATE KEY-----` line.)
pub(crate) const SHORTEST_SECRET: usize = 9;

/// What in `text` looks like a credential, or `None`.
pub(crate) fn check(text: &str) -> Option<Found> {
    // Every check below needs at least this many bytes; most values in a
    // spec (names, keywords) are shorter, and this function sees them all.
    if text.len() < SHORTEST_SECRET {
        return None;
    }
    // `-----BEGIN` and `PRIVATE KEY` take 21 bytes: shorter text holds no
    // key, and most values never pay for the search.
    if text.len() >= 21
        && let Some(begin) = memchr::memmem::find(text.as_bytes(), b"-----BEGIN")
        && memchr::memmem::find(&text.as_bytes()[begin..], b"PRIVATE KEY").is_some()
    {
        return Some(Found {
            what: "a private key".into(),
            masked: "-----BEGIN … PRIVATE KEY-----".into(),
            at: 0..text.len(),
        });
    }
    if let Some(found) = url_password(text) {
        return Some(found);
    }
    // A URL path (`/admin/api/2020-04/products/`) or a URI with a scheme
    // (`iglu:com.acme/order/jsonschema/1-0-0`) is read a segment at a time:
    // its words and numbers together look random, a segment of it does
    // only when it is a token (a webhook path's secret).
    let words = text.split(|c: char| c.is_whitespace() || is_separator(c)).flat_map(|word| {
        let path = word.starts_with('/') || has_scheme(word);
        word.split(move |c: char| path && c == '/')
    });
    for word in words {
        if let Some(mut found) = check_word(word) {
            // `split` hands out slices of `text`: where the word starts is
            // the distance between the two.
            let start = word.as_ptr() as usize - text.as_ptr() as usize;
            found.at = start..start + word.len();
            return Some(found);
        }
    }
    None
}

/// Whether a word starts with a URI scheme and its colon (`iglu:`, `urn:`,
/// `s3:`): letters first, then letters, digits, `+`, `.` or `-`. No token
/// format a spec may hold has a colon there.
fn has_scheme(word: &str) -> bool {
    let Some((scheme, _)) = word.split_once(':') else { return false };
    scheme.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
}

/// The punctuation that ends a word of a value, besides whitespace.
fn is_separator(c: char) -> bool {
    matches!(c, '?' | '&' | '=' | ',' | ';' | '"' | '\'' | '(' | ')' | '<' | '>' | '[' | ']' | '{' | '}' | '|')
}

/// A password in the authority of a URL anywhere in `text`: `scheme://user:pw@host`.
fn url_password(text: &str) -> Option<Found> {
    let mut rest = text;
    while let Some(at) = memchr::memmem::find(rest.as_bytes(), b"://") {
        let (scheme, after) = (&rest[..at], &rest[at + 3..]);
        let authority = after.split(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace()).next()?;
        if let Some((user, _)) = authority.rsplit_once('@')
            && let Some((name, password)) = user.split_once(':')
            && !password.is_empty()
        {
            let start = text.len() - after.len() + name.len() + 1;
            let scheme = scheme.rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '+').next().unwrap_or("");
            return Some(Found {
                what: "a URL with a password".into(),
                masked: format!("{scheme}://{name}:****@…"),
                at: start..start + password.len(),
            });
        }
        rest = after;
    }
    None
}

/// One word of a value: a known token prefix, a JWT, or random-looking text.
fn check_word(word: &str) -> Option<Found> {
    if word.len() < SHORTEST_SECRET {
        return None;
    }
    let first = word.as_bytes()[0];
    for (prefix, min_len, what) in PREFIXES {
        if prefix.as_bytes()[0] == first && word.starts_with(prefix) && word.len() >= *min_len {
            return Some(Found { what: (*what).into(), masked: format!("{prefix}…"), at: 0..word.len() });
        }
    }
    if is_jwt(word) {
        return Some(Found { what: "a JSON Web Token".into(), masked: "eyJ…".into(), at: 0..word.len() });
    }
    if is_env_name(word) || word.contains("://") || is_host(word) || is_uuid(word) || is_version(word) {
        return None;
    }
    if looks_random(word) && !is_slug(word) {
        let shown: String = word.chars().take(4).collect();
        return Some(Found {
            what: "a long string of random-looking characters".into(),
            masked: format!("{shown}…"),
            at: 0..word.len(),
        });
    }
    None
}

/// `eyJhbGciOi....eyJzdWIiOi....signature`: three base64url parts, the
/// first two JSON objects.
fn is_jwt(word: &str) -> bool {
    if !word.starts_with("eyJ") {
        return false;
    }
    let mut parts = word.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    claims.starts_with("eyJ")
        && header.len() >= 10
        && claims.len() >= 10
        && [header, claims, signature]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// `api.example.com`, `test.mykafkacluster.org:18092`, `localhost:5432`,
/// `10.0.0.1:9092`: dot-separated labels (or one name with a port), and an
/// optional numeric port.
fn is_host(word: &str) -> bool {
    let (host, port) = match word.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (word, None),
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let good = host
        .split('.')
        .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    good && (host.contains('.') || port.is_some())
}

/// `123e4567-e89b-12d3-a456-426614174000`, in either case.
fn is_uuid(word: &str) -> bool {
    word.len() == 36
        && word.split('-').count() == 5
        && word.split('-').zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `1.0.0`, `v2.3.1-beta.2`, `2024-06-01`: digits with dots or dashes, an
/// optional `v`, and an optional pre-release or build suffix.
fn is_version(word: &str) -> bool {
    let w = word.strip_prefix(['v', 'V']).unwrap_or(word);
    let core = w.split('+').next().unwrap_or("");
    let (numbers, suffix) = match core.split_once('-') {
        Some((n, s)) if n.contains('.') => (n, s),
        _ => (core, ""),
    };
    !numbers.is_empty()
        && numbers.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && suffix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// `calendly-n8n-hubspot-8438`, `orders_sync_v2`, `QuickPay-Checksum-Sha256`:
/// a name written in words, three or more parts between `-`, `_` or `.`,
/// each a word (lower-case letters, or capitalised words run together as
/// in a header's name, with at most a number at its end: `Sha256`), digits
/// alone (a template's number), or at most three characters (`n8n`, `v2`),
/// with most of its characters in words. A token whose parts mix letters
/// and digits (`x9k2-ab3d-...`) is not one.
fn is_slug(word: &str) -> bool {
    let parts = || word.split(['-', '_', '.']);
    let fits = |p: &str| !p.is_empty() && (is_word(p) || p.bytes().all(|b| b.is_ascii_digit()) || p.len() <= 3);
    let in_words: usize =
        parts().filter(|p| is_word(p)).map(|p| p.trim_end_matches(|c: char| c.is_ascii_digit()).len()).sum();
    parts().count() >= 3 && parts().all(fits) && 2 * in_words >= word.len()
}

/// `checksum`, `Checksum`, `QuickPay`, `Sha256`: lower-case letters, or
/// capitalised words run together (each a capital and lower-case letters
/// after it), then at most a number. `xK9q` and `AbCD` are not words.
fn is_word(part: &str) -> bool {
    let letters = part.trim_end_matches(|c: char| c.is_ascii_digit()).as_bytes();
    let Some((&first, rest)) = letters.split_first() else { return false };
    if letters.iter().all(u8::is_ascii_lowercase) {
        return true;
    }
    // Capitalised words run together: a capital is never followed by
    // another capital or by the end.
    first.is_ascii_uppercase()
        && letters.iter().all(u8::is_ascii_alphabetic)
        && rest.last().is_some_and(u8::is_ascii_lowercase)
        && letters.windows(2).all(|w| !(w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase()))
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
            "amqp://guest:guest@rabbitmq:5672",
            "postgres connection is postgres://app:s3cret@db:5432/app",
            "Bearer sk_live_51HxQeTz8KXbq0Rn2Ww9",
            "https://x.example.com/?token=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            // A token as a segment of a path (a webhook's secret URL).
            "/services/T0001/B0002/q8Zt3kWm9XpL2vR7nC4yH6sJ",
            "s3:backups/q8Zt3kWm9XpL2vR7nC4yH6sJw2/dump.sql",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY2a9",
            // The near miss of a name in words: dashes between parts that
            // mix letters and digits.
            "k9x2-ab3d-q7z1-m4n8-r2t6-w5y0",
            // Nor are capitals in a row or a number inside a part words.
            "QkPZ-Checksum-Sha256-x9Kq2Lm",
            "Ab3dEf-Xk9qRt-Mn4pWz-Q7sT2v",
        ] {
            assert!(check(token).is_some(), "{token}");
        }
    }

    #[test]
    fn the_secret_is_never_in_what_is_found() {
        for (token, secret) in [
            ("https://admin:hunter2@db.example.com/x", "hunter2"),
            ("Bearer sk_live_51HxQeTz8KXbq0Rn2Ww9", "51HxQeTz8KXbq0Rn2Ww9"),
            ("8f14e45fceea167a5a36dedd4bea2543-us6", "e45fceea167a"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA", "MIIEpAIBAAKCAQEA"),
        ] {
            let found = check(token).unwrap();
            assert!(!found.masked.contains(secret) && !found.what.contains(secret), "{found:?}");
            assert!(token[found.at.clone()].contains(secret), "{found:?} does not cover {secret}");
        }
    }

    #[test]
    fn leaves_ordinary_values_alone() {
        for value in [
            "HUBSPOT_TOKEN",
            "https://api.hubapi.com",
            "https://api.stripe.com/v1/payment_intents?expand=latest_charge",
            "lead-to-newsletter-nightly-sync",
            "merge_fields.SCORE",
            "0 2 * * *",
            "patterns",
            "sales-ops",
            "orders-2024-nightly",
            "test.mykafkacluster.org:18092",
            "broker-1.eu-west-1.amazonaws.com:9092",
            "mqtt://broker.example.com:1883",
            "amqp://rabbitmq.internal:5672/orders",
            "10.0.12.7:9092",
            "123e4567-e89b-12d3-a456-426614174000",
            "2.14.0-beta.3",
            "v1.2.3",
            "wss://ws.example.com/socket",
            "streetlights/1.0/event/{streetlightId}/lighting/measured",
            "/admin/api/2020-04/products/{id}.json",
            "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
            "iglu:com.example/orders_change/jsonschema/1-0-0",
            "/v3/marketing/contacts/search/emails",
            // Names in words, with a template's number (blind writers of
            // the real-world corpus had to take the number out).
            "calendly-n8n-hubspot-contact-meeting-log-8438",
            "shopify-woocommerce-n8n-sheets-ledger-13829",
            // A header's name in capitalised words (QuickPay's callbacks).
            "QuickPay-Checksum-Sha256",
        ] {
            assert!(check(value).is_none(), "{value}: {:?}", check(value));
        }
        assert!(!is_env_name("hunter2"));
        assert!(is_env_name("STRIPE_API_KEY"));
    }
}
