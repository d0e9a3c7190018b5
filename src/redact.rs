//! Keeping detected credentials out of everything wireplan prints.
//!
//! A `secret-literal` finding says where a credential is written; the
//! credential itself must not then be copied into a CI log, a pull-request
//! comment, a shared HTML page or an editor's log, neither in the finding's
//! own snippet, nor as context of another finding on the same line, nor
//! where the secret is used as a name. Lowering records each credential it
//! finds decoded (`model::Credential`): the text as written says little once
//! KDL escapes (`\u{73}`), multi-line strings and line continuations are
//! decoded, and outputs print the decoded value. So a `Redactor` is built
//! from those records and masks, in one Aho-Corasick pass (linear in the
//! output, however many secrets there are), every form in which an output
//! could show a credential: the value, the credential inside it, each line
//! of both, the text as written and each of its lines, each of these as
//! every output escapes text (control characters as `escape` shows them,
//! JSON, HTML, XML, Markdown, GitHub annotations, Mermaid, DOT, and JSON of
//! each), and every long run of letters and digits of the credential on its
//! own, so that an output escaping its punctuation some new way still hides
//! its random part. A mask is as long as what it hides (snippets stay
//! aligned) and keeps only a short prefix, enough to tell which key it was.
//! `out`, the one writer every command and the language server print
//! through, applies it.

use std::borrow::Cow;

use std::collections::BTreeSet;
use std::sync::Arc;

use aho_corasick::AhoCorasick;

use crate::escape;
use crate::model::Credential;
use crate::source::SourceMap;

/// A piece of a credential shorter than this is not masked on its own: it
/// tells nothing, and masking every `"""` or `ab` would garble the output.
/// (A mask keeps at most 4 characters, so this is the shortest piece that
/// masking hides anything of.)
const MIN_PIECE: usize = 5;

/// Runs of letters and digits of a credential at least this long are
/// masked on their own too: long enough never to be an ordinary word.
const MIN_RUN: usize = 8;

/// Masks every detected credential in a text. Cloning one is cheap: what
/// it holds is shared.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// What to mask, each once. (A B-tree, not a hash set: spec text
    /// cannot be chosen to collide in it.)
    patterns: Arc<BTreeSet<Box<str>>>,
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// A redactor for the credentials lowering found in `sources`.
    pub(crate) fn new(sources: &SourceMap, credentials: &[Credential]) -> Self {
        let mut redactor = Redactor::default();
        for credential in credentials {
            let file = sources.get(credential.loc.file);
            let span = credential.loc.span;
            let written = delimited(file.text.get(span.start as usize..span.end as usize).unwrap_or(""));
            let core = credential.value.get(credential.core.clone()).unwrap_or(&credential.value);
            let mut pieces: Vec<&str> = vec![&credential.value, core, written];
            for whole in [credential.value.as_str(), core, written] {
                pieces.extend(whole.split(is_line_break).map(|line| line.trim_matches(is_blank)));
            }
            pieces.extend(core.split(|c: char| !c.is_alphanumeric()).filter(|run| run.chars().count() >= MIN_RUN));
            // A snippet too wide for the terminal is clipped between words:
            // each random-looking word of the text as written, on its own.
            pieces.extend(written.split(char::is_whitespace).filter(|word| {
                word.chars().count() >= MIN_RUN
                    && word.chars().any(|c| c.is_ascii_digit())
                    && word.chars().any(char::is_alphabetic)
            }));
            pieces.sort_unstable();
            pieces.dedup();
            for piece in pieces {
                redactor.add(piece);
            }
        }
        redactor.build();
        redactor
    }

    /// Masks what `other` masks too (for `diff`, which prints two specs).
    pub(crate) fn merge(&mut self, other: &Redactor) {
        if other.patterns.is_subset(&self.patterns) {
            return;
        }
        if self.patterns.is_empty() {
            *self = other.clone();
            return;
        }
        Arc::make_mut(&mut self.patterns).extend(other.patterns.iter().cloned());
        self.build();
    }

    /// `text` with every credential masked.
    pub(crate) fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match &self.matcher {
            Some(m) if m.is_match(text) => {
                let mut masked = String::with_capacity(text.len());
                m.replace_all_with(text, &mut masked, |_, found, masked| {
                    masked.push_str(&mask(found));
                    true
                });
                Cow::Owned(masked)
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// Adds `piece` in every form an output could print it in. Every
    /// encoding leaves letters and digits as they are, so the forms differ
    /// only in how the piece's other characters are written: each distinct
    /// way of writing those makes one form (most credentials have a few).
    fn add(&mut self, piece: &str) {
        if piece.chars().count() < MIN_PIECE {
            return;
        }
        let mut others: Vec<char> = piece.chars().filter(|c| !c.is_alphanumeric()).collect();
        others.sort_unstable();
        others.dedup();
        let mut ways: Vec<Vec<String>> = Vec::new();
        for base in [raw as Encoder, shown] {
            for outer in [raw as Encoder, html, xml, github_data, github_property, markdown, mermaid, dot] {
                for last in [raw as Encoder, json, serde_json] {
                    let way: Vec<String> = others
                        .iter()
                        .map(|&c| {
                            let mut one = String::new();
                            base(c, &mut one);
                            encode(&encode(&one, outer), last)
                        })
                        .collect();
                    if !ways.contains(&way) {
                        ways.push(way);
                    }
                }
            }
        }
        for way in ways {
            let mut form = String::with_capacity(piece.len());
            for c in piece.chars() {
                match others.binary_search(&c) {
                    Ok(i) => form.push_str(&way[i]),
                    Err(_) => form.push(c),
                }
            }
            Arc::make_mut(&mut self.patterns).insert(form.into_boxed_str());
        }
    }

    fn build(&mut self) {
        if self.patterns.is_empty() {
            return;
        }
        // The longest match wins, so a whole value is masked as one, not
        // as the runs inside it.
        self.matcher = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(self.patterns.iter().map(|p| p.as_bytes()))
            .ok();
    }
}

/// A string as written without its delimiters (`"`, `"""`, `#"`), which
/// are no secret: snippets then show them around the mask.
fn delimited(written: &str) -> &str {
    let hashes = written.len() - written.trim_start_matches('#').len();
    let Some(inner) = written.get(hashes..written.len().saturating_sub(hashes)) else { return written };
    for quote in ["\"\"\"", "\""] {
        if let Some(unquoted) = inner.strip_prefix(quote).and_then(|s| s.strip_suffix(quote)) {
            return unquoted;
        }
    }
    inner
}

/// Every line break KDL knows, which a snippet of the source breaks lines at.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Indentation around a line of a multi-line string, as written or decoded.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// A mask as long as `secret` (so snippets stay aligned) that keeps its
/// first few characters: `sk_l******************`.
pub(crate) fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = (n / 4).min(4);
    secret.chars().take(keep).chain(std::iter::repeat_n('*', n - keep)).collect()
}

/// One way an output writes a character: each output's escaping works one
/// character at a time, so a form of a piece is the piece with each of its
/// characters written one way.
type Encoder = fn(char, &mut String);

fn encode(s: &str, encoder: Encoder) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        encoder(c, &mut out);
    }
    out
}

fn raw(c: char, out: &mut String) {
    out.push(c);
}

/// As `escape::one_line` shows a character (terminals, CI logs).
fn shown(c: char, out: &mut String) {
    if escape::is_hidden(c) { escape::push_escaped(out, c) } else { out.push(c) }
}

/// Inside a JSON string as `escape::to_json` writes it.
fn json(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if escape::is_hidden(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push(c),
    }
}

/// Inside a JSON string as `serde_json` writes it (the language server, SARIF).
fn serde_json(c: char, out: &mut String) {
    match c {
        '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => out.push(c),
        c => json(c, out),
    }
}

/// HTML text and attributes (the plan's page).
fn html(c: char, out: &mut String) {
    match c {
        '\'' => out.push_str("&#39;"),
        c => xml(c, out),
    }
}

/// XML text and attributes (JUnit).
fn xml(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&apos;"),
        c => out.push(c),
    }
}

/// A GitHub Actions annotation's message.
fn github_data(c: char, out: &mut String) {
    match c {
        '%' => out.push_str("%25"),
        '\r' => out.push_str("%0D"),
        '\n' => out.push_str("%0A"),
        c => out.push(c),
    }
}

/// A GitHub Actions annotation's property.
fn github_property(c: char, out: &mut String) {
    match c {
        ':' => out.push_str("%3A"),
        ',' => out.push_str("%2C"),
        c => github_data(c, out),
    }
}

/// Markdown prose and table cells outside code spans.
fn markdown(c: char, out: &mut String) {
    if matches!(c, '`' | '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
        out.push('\\');
    }
    out.push(c);
}

/// A Mermaid label.
fn mermaid(c: char, out: &mut String) {
    if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | ':' | '/' | '@' | ',' | '(' | ')') {
        out.push(c);
    } else if c.is_control() {
        out.push(' ');
    } else {
        out.push_str(&format!("#{};", u32::from(c)));
    }
}

/// A DOT string.
fn dot(c: char, out: &mut String) {
    match c {
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        '\n' | '\r' => out.push_str("\\n"),
        c if c.is_control() => out.push(' '),
        c => out.push(c),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn redactor(pieces: &[&str]) -> Redactor {
        let mut r = Redactor::default();
        for p in pieces {
            r.add(p);
        }
        r.build();
        r
    }

    #[test]
    fn masks_keep_a_short_prefix_and_the_length() {
        assert_eq!(mask("sk_live_0123456789abcdef"), "sk_l********************");
        assert_eq!(mask("abcdefgh"), "ab******");
        assert_eq!(delimited("\"abc\""), "abc");
        assert_eq!(delimited("##\"a\"bc\"##"), "a\"bc");
        assert_eq!(delimited("\"\"\"\nabc\n\"\"\""), "\nabc\n");
        assert_eq!(delimited("bare"), "bare");
        assert_eq!(delimited("###"), "###");
    }

    #[test]
    fn every_escaped_form_is_masked() {
        let secret = "sk_live_a<b>&\"c'%:,|*#\\x\u{1b}y";
        let r = redactor(&[secret]);
        let forms = [
            secret.to_owned(),
            escape::one_line(secret).into_owned(),
            escape::to_json(&secret),
            serde_json::to_string(secret).unwrap(),
            encode(&escape::one_line(secret), html),
            encode(&escape::one_line(secret), xml),
            escape::markdown_prose(&format!("x {secret} y")),
            encode(&escape::one_line(secret), github_property),
            encode(secret, mermaid),
            encode(secret, dot),
        ];
        for form in forms {
            let masked = r.apply(&form);
            assert!(!masked.contains("live_a"), "{form} -> {masked}");
        }
    }

    #[test]
    fn merging_masks_both() {
        let mut a = redactor(&["sk_live_aaaaaaaaaaaaaaaa"]);
        a.merge(&redactor(&["ghp_bbbbbbbbbbbbbbbbbbbbbbbb"]));
        let masked = a.apply("sk_live_aaaaaaaaaaaaaaaa and ghp_bbbbbbbbbbbbbbbbbbbbbbbb");
        assert!(!masked.contains("aaaaa") && !masked.contains("bbbbb"), "{masked}");
        assert!(redactor(&["abc"]).apply("abc").contains("abc"), "short pieces are left alone");
    }
}
