//! Keeping detected credentials out of everything wireplan prints.
//!
//! A `secret-literal` finding says where a credential is written; the
//! credential itself must not then be copied into a CI log, a pull-request
//! comment or a shared HTML page, neither in the finding's own snippet, nor as
//! context of another finding on the same line, nor where the secret is used
//! as a name. So every output passes through one `Redactor`, built from the
//! findings, that replaces each detected credential (as written, and as JSON
//! and HTML would escape it) with a mask of the same length that keeps only a
//! short prefix, enough to tell which key it was. One Aho-Corasick pass keeps
//! it linear in the output, however many secrets there are.

use std::borrow::Cow;

use aho_corasick::AhoCorasick;

use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;

/// Masks every detected credential in a text.
pub(crate) struct Redactor {
    matcher: Option<AhoCorasick>,
    masks: Vec<String>,
}

impl Redactor {
    /// A redactor for the credentials that `diagnostics` report.
    pub(crate) fn new(sources: &SourceMap, diagnostics: &[Diagnostic]) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        for d in diagnostics.iter().filter(|d| std::ptr::eq(d.rule, &crate::diagnostic::SECRET_LITERAL)) {
            let file = sources.get(d.primary.loc.file);
            let span = d.primary.loc.span;
            let Some(written) = file.text.get(span.start as usize..span.end as usize) else { continue };
            let value = unquote(written);
            if value.chars().count() < 4 {
                continue;
            }
            let json = serde_json::to_string(value).unwrap_or_default();
            let html = value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
            for form in [value.to_owned(), json[1..json.len().saturating_sub(1).max(1)].to_owned(), html] {
                if !form.is_empty() && !patterns.contains(&form) {
                    patterns.push(form);
                }
            }
        }
        if patterns.is_empty() {
            return Redactor { matcher: None, masks: Vec::new() };
        }
        let masks = patterns.iter().map(|p| mask(p)).collect();
        let matcher = AhoCorasick::builder().match_kind(aho_corasick::MatchKind::LeftmostLongest).build(&patterns).ok();
        Redactor { matcher, masks }
    }

    /// `text` with every credential masked.
    pub(crate) fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.matcher {
            Some(m) if m.is_match(text) => Cow::Owned(m.replace_all(text, &self.masks)),
            _ => Cow::Borrowed(text),
        }
    }
}

/// The text of a string token without its quotes: `"x"`, `#"x"#`, or a
/// bare identifier as it is.
fn unquote(written: &str) -> &str {
    let hashes = written.len() - written.trim_start_matches('#').len();
    let inner = &written[hashes..written.len().saturating_sub(hashes).max(hashes)];
    let inner = inner.strip_prefix("\"\"\"").and_then(|s| s.strip_suffix("\"\"\"")).unwrap_or(inner);
    inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(inner)
}

/// A mask as long as `secret` (so snippets stay aligned) that keeps its
/// first few characters: `sk_l******************`.
pub(crate) fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = (n / 4).min(4);
    secret.chars().take(keep).chain(std::iter::repeat_n('*', n - keep)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_a_short_prefix_and_the_length() {
        assert_eq!(mask("sk_live_0123456789abcdef"), "sk_l********************");
        assert_eq!(mask("abcdefgh"), "ab******");
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(unquote("#\"abc\"#"), "abc");
        assert_eq!(unquote("\"\"\"\nabc\n\"\"\""), "\nabc\n");
    }
}
