//! Names that backends derive from spec names: environment variables, URL
//! slugs and node ids.
//!
//! A spec name can hold anything (quotes, newlines, `../`, `$`, `'`), so
//! whatever is derived from one is built from a fixed alphabet: environment
//! variable names are `[A-Z0-9_]`, slugs `[a-z0-9._-]`, ids 16 hex digits.
//! Where cleaning a name changed it or two names would clean to the same
//! text, a short hash of the original is appended, so distinct names never
//! share a derived one.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The first 16 hex digits of the SHA-256 of `parts`, joined with NUL (which
/// no part can contain ambiguously, as each is length-prefixed).
pub(crate) fn id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(16);
    for b in &hasher.finalize()[..8] {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 15)]));
    }
    id
}

fn short_hash(name: &str) -> String {
    id(&[name])[..8].to_owned()
}

/// An environment-variable base for each name: upper case letters, digits
/// and `_`, never starting with a digit. Distinct names that clean to the
/// same base all get a hash suffix (a name listed twice is one name).
pub(crate) fn env_bases<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    let cleaned: Vec<(String, String)> = distinct(names)
        .into_iter()
        .map(|name| {
            let mut base = String::new();
            for c in name.chars() {
                if c.is_ascii_alphanumeric() {
                    base.push(c.to_ascii_uppercase());
                } else if !base.ends_with('_') {
                    base.push('_');
                }
            }
            let mut base = base.trim_matches('_').to_owned();
            if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
                base.insert_str(0, "S_");
            }
            (name.to_owned(), base)
        })
        .collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, base) in &cleaned {
        *count.entry(base.as_str()).or_default() += 1;
    }
    cleaned
        .iter()
        .map(|(name, base)| {
            let base = if count[base.as_str()] > 1 {
                format!("{base}_{}", short_hash(name).to_ascii_uppercase())
            } else {
                base.clone()
            };
            (name.clone(), base)
        })
        .collect()
}

/// A URL path segment for each name: `[A-Za-z0-9._-]`, not starting with
/// `.` or `-`. A name that had to change, or that would collide, gets a hash
/// suffix; so a name that is already a clean segment keeps it exactly.
pub(crate) fn slugs<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    let cleaned: Vec<(String, String, bool)> = distinct(names)
        .into_iter()
        .map(|name| {
            let slug: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
                .collect();
            let slug = slug.trim_start_matches(['.', '-']).to_owned();
            let changed = slug != name || slug.is_empty();
            (name.to_owned(), slug, changed)
        })
        .collect();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (_, slug, _) in &cleaned {
        *count.entry(slug.to_ascii_lowercase()).or_default() += 1;
    }
    cleaned
        .iter()
        .map(|(name, slug, changed)| {
            let slug = if *changed || count[&slug.to_ascii_lowercase()] > 1 {
                let hash = short_hash(name);
                if slug.is_empty() { hash } else { format!("{slug}-{hash}") }
            } else {
                slug.clone()
            };
            (name.clone(), slug)
        })
        .collect()
}

/// Each name once.
fn distinct<'a>(names: impl IntoIterator<Item = &'a str>) -> std::collections::BTreeSet<&'a str> {
    names.into_iter().collect()
}

/// Whether `text` is a usable environment-variable name: `[A-Z_][A-Z0-9_]*`.
pub(crate) fn is_env_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_clean_and_distinct() {
        let bases = env_bases(["hubspot", "my-crm", "my_crm", "9lives", "../etc", "$x & 'y'", "\"\n"]);
        assert_eq!(bases["hubspot"], "HUBSPOT");
        assert!(bases["my-crm"].starts_with("MY_CRM_") && bases["my_crm"].starts_with("MY_CRM_"));
        assert_ne!(bases["my-crm"], bases["my_crm"]);
        assert_eq!(bases["9lives"], "S_9LIVES");
        assert_eq!(bases["../etc"], "ETC");
        assert_eq!(bases["$x & 'y'"], "X_Y");
        assert_eq!(bases["\"\n"], "S_");
        // A name listed twice is one name: no hash.
        assert_eq!(env_bases(["order", "order"])["order"], "ORDER");
        assert_eq!(slugs(["order", "order"])["order"], "order");
        for base in bases.values() {
            assert!(is_env_name(base), "{base}");
        }
    }

    #[test]
    fn slugs_keep_clean_names_and_hash_the_rest() {
        let slugs = slugs(["lead.created", "../../etc/passwd", ":id", "*", "a b", "A.b", "a.B"]);
        assert_eq!(slugs["lead.created"], "lead.created");
        for (name, slug) in &slugs {
            assert!(slug.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')), "{name}: {slug}");
            assert!(!slug.starts_with('.') && !slug.is_empty(), "{name}: {slug}");
        }
        assert_ne!(slugs["A.b"].to_ascii_lowercase(), slugs["a.B"].to_ascii_lowercase());
        assert!(slugs["../../etc/passwd"].starts_with("etc-passwd-"));
    }

    #[test]
    fn ids_are_sixteen_hex_digits_and_stable() {
        let a = id(&["flow", "x"]);
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, id(&["flow", "x"]));
        assert_ne!(id(&["ab", "c"]), id(&["a", "bc"]));
    }
}
