//! Keeping detected credentials out of everything wireplan prints.
//!
//! A `secret-literal` finding says where a credential is written; the
//! credential itself must not then be copied into a CI log, a pull-request
//! comment, a shared HTML page or an editor's log, neither in the finding's
//! own snippet, nor as context of another finding on the same line, nor
//! where the secret is used as a name. Lowering records each credential it
//! finds decoded (`model::Credential`): the text as written says little once
//! KDL escapes (`\u{73}`), multi-line strings and line continuations are
//! decoded, and outputs print the decoded value. A `Redactor` built from
//! those records masks, in one Aho-Corasick pass (linear in the output,
//! however many secrets there are), every piece in which an output could
//! show a credential: the value, the credential inside it (`Bearer` aside),
//! each line of both, the text as written (without its quotes) and each of
//! its lines, each in every way the outputs escape text (control characters
//! as `escape` shows them, JSON, HTML, XML, Markdown, GitHub annotations,
//! Mermaid, DOT, and JSON of each). A mask is as long as what it hides
//! (snippets stay aligned) and keeps only a short prefix, enough to tell
//! which key it was. `out`, the one writer every command and the language
//! server print through, applies it.

use std::borrow::Cow;

use std::sync::Arc;

use aho_corasick::AhoCorasick;
use rustc_hash::FxHashMap;

use crate::escape;
use crate::model::Credential;
use crate::source::SourceMap;

/// A piece of a credential shorter than this is not masked on its own: it
/// tells nothing, and masking every `"""` or `ab` would garble the output.
/// (A mask keeps at most 4 characters, so this is the shortest piece that
/// masking hides anything of.)
const MIN_PIECE: usize = 5;

/// A piece is found by its longest run of letters and digits when the run
/// is at least this long (long enough never to be an ordinary word); a run
/// matched on its own is masked even where the rest of the piece is not.
const MIN_RUN: usize = 8;

/// Verifying a match of a run against the pieces it is part of is bounded:
/// at most this many pieces per run, of at most this many bytes, so that
/// no text makes masking slower than linear. (Beyond them, the run alone
/// is masked, which still hides the random part.)
const MAX_OWNERS: usize = 8;
const MAX_VERIFIED: usize = 4096;

/// Masks every detected credential in a text. Cloning one is cheap: what
/// it holds is shared.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// What to mask, sorted, each once.
    pieces: Arc<Vec<Box<str>>>,
    matcher: Option<Arc<Matcher>>,
}

/// What finds the pieces in a text, and what each found pattern stands for.
///
/// A piece with a long run of letters and digits is found by that run
/// alone: no output escapes letters or digits, so the run is in every form
/// of the piece. Where the run is found, the text around it is compared
/// with the rest of the piece written each way an output writes it, and
/// all of what matches is masked. Runs are found by their first eight bytes
/// in a hash table, at every place of the text whose eight bytes could
/// start one: memory and time linear in the runs, however many (an
/// automaton over 100,000 credentials held more than 100 MB). Runs that
/// share their first eight bytes with many others, and the pieces without
/// such a run, are patterns of an Aho-Corasick automaton, the latter in
/// each of their forms.
struct Matcher {
    automaton: Option<AhoCorasick>,
    /// For each pattern of the automaton, the pieces it is the run of, and
    /// where in each.
    owners: Vec<Owners>,
    /// The runs found by the table, each with its pieces and where in each.
    runs: Vec<(Box<str>, Owners)>,
    /// The runs by their first eight bytes.
    by_prefix: FxHashMap<u64, Vec<u32>>,
}

/// The pieces a pattern is the run of, and where in each: `(piece, byte)`.
type Owners = Vec<(u32, u32)>;

/// A pattern found in a text: its place, and the pieces it is the run of.
type Found<'m> = (usize, usize, &'m [(u32, u32)]);

/// More runs than this sharing their first eight bytes go to the automaton,
/// so that no place of a text is compared with more than this many runs.
const MAX_SHARING_A_PREFIX: usize = 16;

/// The first eight bytes of `bytes`, as the table's key.
fn prefix(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?))
}

impl Matcher {
    /// Every pattern found in `text`: its place and the pieces it is the run
    /// of (none for a whole form), leftmost first.
    fn find(&self, text: &str) -> Vec<Found<'_>> {
        let mut found: Vec<Found<'_>> = Vec::new();
        if let Some(automaton) = &self.automaton {
            for m in automaton.find_iter(text) {
                found.push((m.start(), m.end(), &self.owners[m.pattern().as_usize()]));
            }
        }
        let from_automaton = found.len();
        if !self.runs.is_empty() {
            let bytes = text.as_bytes();
            let mut at = 0;
            while at + 8 <= bytes.len() {
                // A run holds no ASCII character other than a letter or a
                // digit: skip past the last one in these eight bytes.
                if let Some(k) = bytes[at..at + 8].iter().rposition(|b| b.is_ascii() && !b.is_ascii_alphanumeric()) {
                    at += k + 1;
                    continue;
                }
                let longest = match prefix(&bytes[at..]).and_then(|key| self.by_prefix.get(&key)) {
                    Some(runs) if text.is_char_boundary(at) => runs
                        .iter()
                        .map(|&r| &self.runs[r as usize])
                        .filter(|(run, _)| bytes[at..].starts_with(run.as_bytes()))
                        .max_by_key(|(run, _)| run.len()),
                    _ => None,
                };
                match longest {
                    Some((run, owners)) => {
                        found.push((at, at + run.len(), owners));
                        at += run.len();
                    }
                    None => at += 1,
                }
            }
        }
        if from_automaton > 0 && found.len() > from_automaton {
            found.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        }
        found
    }
}

impl Redactor {
    /// A redactor for the credentials lowering found in `sources`.
    pub(crate) fn new(sources: &SourceMap, credentials: &[Credential]) -> Self {
        let mut all: Vec<Box<str>> = Vec::new();
        for credential in credentials {
            let file = sources.get(credential.loc.file);
            let span = credential.loc.span;
            let written = delimited(file.text.get(span.start as usize..span.end as usize).unwrap_or(""));
            let core = credential.value.get(credential.core.clone()).unwrap_or(&credential.value);
            let mut pieces: Vec<&str> = vec![&credential.value, core, written];
            for whole in [credential.value.as_str(), core, written] {
                pieces.extend(whole.split(is_line_break).map(|line| line.trim_matches(is_blank)));
            }
            // A snippet too wide for the terminal is clipped between words:
            // each random-looking word of the text as written, on its own.
            pieces.extend(written.split(char::is_whitespace).filter(|word| {
                word.chars().count() >= MIN_RUN
                    && word.chars().any(|c| c.is_ascii_digit())
                    && word.chars().any(char::is_alphabetic)
            }));
            all.extend(pieces.into_iter().map(Box::from));
        }
        Redactor::from_pieces(all)
    }

    /// A redactor for secrets read from the environment (a management
    /// API's password or token), for `drift` and `deploy`.
    pub(crate) fn of_secrets(secrets: &[&str]) -> Self {
        Redactor::from_pieces(secrets.iter().map(|s| Box::from(*s)).collect())
    }

    fn from_pieces(mut pieces: Vec<Box<str>>) -> Self {
        pieces.retain(|p| p.chars().count() >= MIN_PIECE);
        pieces.sort_unstable();
        pieces.dedup();
        let mut redactor = Redactor { pieces: Arc::new(pieces), matcher: None };
        redactor.build();
        redactor
    }

    /// Masks what `other` masks too (for `diff`, which prints two specs).
    pub(crate) fn merge(&mut self, other: &Redactor) {
        if other.pieces.iter().all(|p| self.pieces.binary_search(p).is_ok()) {
            return;
        }
        if self.pieces.is_empty() {
            *self = other.clone();
            return;
        }
        let pieces = self.pieces.iter().chain(other.pieces.iter()).cloned().collect();
        *self = Redactor::from_pieces(pieces);
    }

    /// `text` with every credential masked.
    pub(crate) fn apply<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let Some(matcher) = &self.matcher else { return Cow::Borrowed(text) };
        // Each span to mask, and whether only its letters and digits are (a
        // piece without a long run: see `mask_letters`).
        let mut spans: Vec<(usize, usize, bool)> = Vec::new();
        for (start, end, owners) in matcher.find(text) {
            let mut widest = (start, end);
            for &(piece, at) in owners.iter().take(MAX_OWNERS) {
                let piece = &self.pieces[piece as usize];
                if piece.len() > MAX_VERIFIED {
                    continue;
                }
                let (before, after) = (&piece[..at as usize], &piece[at as usize + (end - start)..]);
                let ways = Ways::of(piece);
                for way in 0..ways.ways.len() {
                    let (before, after) = (ways.write(way, before), ways.write(way, after));
                    if text[..start].ends_with(&before)
                        && text[end..].starts_with(&after)
                        && after.len() + before.len() > widest.1 - widest.0 - (end - start)
                    {
                        widest = (start - before.len(), end + after.len());
                    }
                }
            }
            // A span that starts just after the backslash of an escape
            // (`\\` in JSON) takes the backslash in, so the escape is
            // masked whole, never half.
            let escaped_by = text[..widest.0].bytes().rev().take_while(|b| *b == b'\\').count();
            if escaped_by % 2 == 1 {
                widest.0 -= 1;
            }
            // A span reaching back over earlier ones swallows them.
            let mut letters_only = owners.is_empty();
            while let Some(&(last_start, last_end, last_letters)) = spans.last()
                && widest.0 < last_end
            {
                widest = (widest.0.min(last_start), widest.1.max(last_end));
                letters_only &= last_letters;
                spans.pop();
            }
            spans.push((widest.0, widest.1, letters_only));
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut masked = String::with_capacity(text.len());
        let mut from = 0;
        for (start, end, letters_only) in spans {
            masked.push_str(&text[from..start]);
            masked.push_str(&if letters_only { mask_letters(&text[start..end]) } else { mask(&text[start..end]) });
            from = end;
        }
        masked.push_str(&text[from..]);
        Cow::Owned(masked)
    }

    fn build(&mut self) {
        // Each run once, with the pieces it is the run of.
        let mut runs: Vec<(Box<str>, Owners)> = Vec::new();
        let mut run_index: FxHashMap<&str, usize> = FxHashMap::default();
        let mut whole: Vec<String> = Vec::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            let run = piece
                .split(|c: char| !c.is_alphanumeric())
                .max_by_key(|run| run.len())
                .filter(|run| run.chars().count() >= MIN_RUN);
            match run {
                Some(run) => {
                    let at = run.as_ptr() as usize - piece.as_ptr() as usize;
                    let r = *run_index.entry(run).or_insert_with(|| {
                        runs.push((Box::from(run), Vec::new()));
                        runs.len() - 1
                    });
                    runs[r].1.push((i as u32, at as u32));
                }
                None => {
                    let ways = Ways::of(piece);
                    // A form that some output's escaping shortens (a line
                    // break it drops) to fewer than `MIN_PIECE` visible
                    // characters would match the output's own text: a
                    // multi-line credential `true` masked JSON's `true`.
                    let visible = |form: &String| form.chars().filter(|c| !c.is_whitespace()).count() >= MIN_PIECE;
                    whole.extend((0..ways.ways.len()).map(|way| ways.write(way, piece)).filter(visible));
                }
            }
        }
        drop(run_index);
        let mut by_prefix: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        for (r, (run, _)) in runs.iter().enumerate() {
            if let Some(key) = prefix(run.as_bytes()) {
                by_prefix.entry(key).or_default().push(r as u32);
            }
        }
        // Runs sharing a prefix with too many others, and the whole forms,
        // are the automaton's patterns.
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Owners> = Vec::new();
        let crowded: Vec<u64> =
            by_prefix.iter().filter(|(_, rs)| rs.len() > MAX_SHARING_A_PREFIX).map(|(key, _)| *key).collect();
        let mut moved: Vec<u32> = Vec::new();
        for key in crowded {
            moved.extend(by_prefix.remove(&key).unwrap_or_default());
        }
        moved.sort_unstable();
        for r in moved {
            let (run, of) = &mut runs[r as usize];
            patterns.push(run.to_string());
            owners.push(std::mem::take(of));
        }
        whole.sort_unstable();
        whole.dedup();
        for form in whole {
            patterns.push(form);
            owners.push(Vec::new());
        }
        if patterns.is_empty() && by_prefix.is_empty() {
            self.matcher = None;
            return;
        }
        // The longest match wins, so a whole form is masked as one. A
        // contiguous NFA, never a DFA: a DFA is built in time and memory
        // proportional to the patterns' bytes times the alphabet, which a
        // credential tens of kilobytes long (as a fuzzer wrote) makes
        // seconds; the NFA is linear in the patterns and searches as fast
        // for the few patterns a spec has.
        let automaton = if patterns.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(&patterns)
                .ok()
        };
        // Runs moved to the automaton keep their place in `runs` (emptied of
        // owners); only the table's are searched there.
        runs.retain(|(_, of)| !of.is_empty());
        let mut by_prefix: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        for (r, (run, _)) in runs.iter().enumerate() {
            if let Some(key) = prefix(run.as_bytes()) {
                by_prefix.entry(key).or_default().push(r as u32);
            }
        }
        self.matcher = Some(Arc::new(Matcher { automaton, owners, runs, by_prefix }));
    }
}

/// Every distinct way an output could write a piece: each composition of
/// the escapes the outputs use, kept when it writes the piece's characters
/// other than letters and digits (which every output leaves as they are)
/// differently from those before; most pieces have a few.
struct Ways {
    others: Vec<char>,
    ways: Vec<Vec<String>>,
}

impl Ways {
    fn of(piece: &str) -> Ways {
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
        Ways { others, ways }
    }

    /// `text` (a part of the piece) written the `way`th way.
    fn write(&self, way: usize, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match self.others.binary_search(&c) {
                Ok(i) => out.push_str(&self.ways[way][i]),
                Err(_) => out.push(c),
            }
        }
        out
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
    // The prefix kept is letters, digits, `_` and `-` only: what is masked
    // may be written escaped (`\\`, `&amp;`, `\u0041`), and a prefix cut
    // inside an escape would leave a JSON string or an HTML text broken.
    let keep =
        secret.chars().take((n / 4).min(4)).take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').count();
    secret.chars().take(keep).chain(std::iter::repeat_n('*', n - keep)).collect()
}

/// The mask of a piece without a long run of letters and digits (a short
/// line of a multi-line credential, found in every way outputs write it):
/// such a piece can match the output's own text (`name"` in the JSON key
/// `"name":`), so only its letters and digits are masked, after the same
/// short prefix as `mask`, and everything else is kept: quotes, brackets,
/// and escapes whole (`\` with what it escapes, `\u{..}`, `&...;`), so no
/// output stops parsing. The length stays.
fn mask_letters(text: &str) -> String {
    let n = text.chars().count();
    let keep = text.chars().take((n / 4).min(4)).take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').count();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some((_, escaped)) = chars.next() {
                    out.push(escaped);
                    if escaped == 'u' {
                        while let Some(&(_, h)) = chars.peek()
                            && (h.is_ascii_hexdigit() || h == '{' || h == '}')
                        {
                            out.push(h);
                            chars.next();
                            if h == '}' {
                                break;
                            }
                        }
                    }
                }
            }
            '&' => {
                out.push(c);
                for _ in 0..10 {
                    let Some(&(_, e)) = chars.peek() else { break };
                    if !(e.is_ascii_alphanumeric() || e == '#' || e == ';') {
                        break;
                    }
                    out.push(e);
                    chars.next();
                    if e == ';' {
                        break;
                    }
                }
            }
            c if c.is_alphanumeric() && i >= keep => out.push('*'),
            c => out.push(c),
        }
    }
    out
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

/// HTML and XML text and attributes (the plan's page, JUnit): the markup
/// characters as `escape::html` and `escape::xml` write them, alike.
fn html(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

/// XML writes the markup characters as HTML does.
fn xml(c: char, out: &mut String) {
    html(c, out);
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
        Redactor::from_pieces(pieces.iter().map(|p| Box::from(*p)).collect())
    }

    /// A credential a fuzzer wrote 28 KB long took 18 s to build a
    /// redactor for (a DFA over its bytes); 200 KB now takes well under a
    /// second, and is masked whole.
    #[test]
    fn a_long_credential_builds_in_linear_time() {
        let long: String = "namenameAKIAIOSFODNN7EXAMPLE".repeat(200_000 / 28);
        let started = std::time::Instant::now();
        let r = redactor(&[&long]);
        let masked = r.apply(&format!("x {long} y")).into_owned();
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(!masked.contains("AKIA"), "masked whole");
        assert!(masked.starts_with("x name*"));
    }

    /// A mask never cuts an escape in two: the fuzzer found a baseline whose
    /// JSON read `NaN\*****` (a kept prefix ending in the backslash of `\\`).
    #[test]
    fn a_mask_leaves_json_and_html_whole() {
        let r = redactor(&["NaN\\ghp_0123456789abcdefghijklmnopqrstuvwxyz"]);
        for text in [
            serde_json::to_string("unknown node `NaN\\ghp_0123456789abcdefghijklmnopqrstuvwxyz`").unwrap(),
            serde_json::to_string("x \\ghp_0123456789abcdefghijklmnopqrstuvwxyz").unwrap(),
        ] {
            let masked = r.apply(&text).into_owned();
            let back: String = serde_json::from_str(&masked).unwrap_or_else(|e| panic!("{masked}: {e}"));
            assert!(!back.contains("0123456789"), "{back}");
        }
        assert_eq!(mask("a&amp;bcdefghijklmnop"), format!("a{}", "*".repeat(20)));
        assert_eq!(mask("\\\\abcdefgh"), "**********");
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
        let escaped = [
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
        let long = "sk_live_4eC39HqLyjWDarjtT1zdpGvQx";
        let r = redactor(&[long]);
        let forms = [
            escape::markdown_prose(long),
            serde_json::to_string(&escape::markdown_prose(long)).unwrap(),
            encode(long, mermaid),
            format!("x{long}y"),
        ];
        for form in forms {
            let masked = r.apply(&form);
            assert!(!masked.contains("live") && !masked.contains("C39H"), "{form} -> {masked}");
        }
        assert_eq!(r.apply("`sk_live_4eC39HqLyjWDarjtT1zdpGvQx`"), "`sk_l*****************************`");
        // Spans that reach back over earlier ones merge.
        let r = redactor(&["ab_4eC39HqLyjWD", "ab_ab_ab_ab_ab_ab_ab_5fD40IrMzkXE"]);
        let masked = r.apply("ab_ab_ab_ab_ab_4eC39HqLyjWD ab_ab_ab_ab_ab_ab_ab_5fD40IrMzkXE");
        assert!(!masked.contains("4eC39") && !masked.contains("5fD40"), "{masked}");
        let r = redactor(&[secret]);
        for form in escaped {
            let masked = r.apply(&form);
            assert!(!masked.contains("live_a"), "{form} -> {masked}");
        }
    }

    #[test]
    fn any_text_is_masked_without_panicking_and_keeps_its_length() {
        let pieces = ["ab_4eC39HqLyjWD", "x\\4eC39HqLyjWD_y", "4eC39HqLyjWD", "é_5fD40IrMzkXE_é", "p<q>&r\"s"];
        let r = redactor(&pieces);
        let fragments =
            ["ab", "_", "4eC39HqLyjWD", "\\", "x", "y", "é", "5fD40IrMzkXE", "\\_", "#95;", "<", "&lt;", "p", " "];
        let mut seed = 7u64;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..12 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                text.push_str(fragments[(seed >> 33) as usize % fragments.len()]);
            }
            let masked = r.apply(&text);
            assert_eq!(masked.chars().count(), text.chars().count(), "{text} -> {masked}");
            assert!(!masked.contains("4eC39") && !masked.contains("5fD40"), "{text} -> {masked}");
        }
    }

    /// A short line of a multi-line credential (`name"`) can match an
    /// output's own text: masking it keeps every output parseable. The
    /// fuzzer found `check --format sarif` broken by one (seed 13, input
    /// 67382).
    #[test]
    fn a_piece_without_a_long_run_leaves_the_output_parseable() {
        let r = redactor(&["name\"", "a\\tb&c"]);
        let json = serde_json::to_string(&serde_json::json!({"name": "wireplan", "x": "a\\tb&c"})).unwrap();
        let masked = r.apply(&json).into_owned();
        assert!(serde_json::from_str::<serde_json::Value>(&masked).is_ok(), "{masked}");
        assert_eq!(masked.chars().count(), json.chars().count());
        assert!(!masked.contains("name\""), "{masked}");
        assert_eq!(mask_letters("n&amp;ame\\u{41}x"), "n&amp;***\\u{41}*");
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
