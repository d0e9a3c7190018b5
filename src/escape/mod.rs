//! Making untrusted text safe to print: every name, message and file name
//! wireplan prints comes from a spec that anyone can write, and lands in a
//! terminal, a CI log or a document.
//!
//! Every character that can break a line, hide text or reorder what a
//! reader sees is shown escaped, `\u{1b}`, as rustc shows it; every other
//! character is printed as it is. Which characters those are is one rule,
//! `is_hidden`, read from the Unicode tables rather than listed by hand: a
//! raw ESC starts a terminal escape sequence, a newline (or U+2028, which
//! some editors and JavaScript take as one) forges a line of its own, such
//! as a GitHub Actions `::error` command, the bidirectional overrides
//! reorder text (Trojan Source), and zero-width characters make two
//! different names look the same.
//!
//! Every escaper of the crate is here, one per output format, so that each
//! format's rules are written once: JSON (`to_json`), YAML strings, keys
//! and documents (`yaml_string`, `yaml_key`, `write_yaml_json`), XML and HTML
//! (`xml`, `html`), Markdown (`markdown`: code spans, sentences, plain
//! text), Meltano's config values (`meltano_value`), and generated code:
//! `sql` quotes text as the string literals and identifiers of each
//! warehouse's SQL dialect, and makes text inert for dbt's Jinja (`inert`).

mod markdown;
pub(crate) mod sql;

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::ser::{Formatter, PrettyFormatter};
use unicode_general_category::{GeneralCategory, get_general_category};

pub(crate) use markdown::{markdown_cell, markdown_code, markdown_name, markdown_prose, markdown_text};

/// Whether `c` must not reach a terminal, log or document raw: every
/// character of the general categories Cc (controls: C0, DEL, C1), Cf
/// (format: bidirectional marks and overrides, zero-width space and
/// joiners, the byte-order mark, the soft hyphen, tags), Zl and Zp (the
/// line and paragraph separators), Co (private use, drawn as anything a
/// font likes) and Cn (unassigned, which includes the noncharacters such as
/// U+FFFE), plus the rest of Unicode's Default_Ignorable_Code_Point
/// characters, which are drawn as nothing (`INVISIBLE`).
pub(crate) fn is_hidden(c: char) -> bool {
    // Printable ASCII is almost all text: decide it without a look-up.
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    ) || INVISIBLE.iter().any(|r| r.contains(&c))
}

/// The Default_Ignorable_Code_Point characters (Unicode's
/// DerivedCoreProperties.txt) outside the categories `is_hidden` takes
/// whole: the combining grapheme joiner, the Hangul fillers, two Khmer
/// inherent vowels and the variation selectors, all drawn as nothing.
const INVISIBLE: &[std::ops::RangeInclusive<char>] = &[
    '\u{034f}'..='\u{034f}',
    '\u{115f}'..='\u{1160}',
    '\u{17b4}'..='\u{17b5}',
    '\u{180b}'..='\u{180f}',
    '\u{3164}'..='\u{3164}',
    '\u{fe00}'..='\u{fe0f}',
    '\u{ffa0}'..='\u{ffa0}',
    '\u{e0100}'..='\u{e01ef}',
];

/// `s` on one line: every hidden character, newlines and tabs included,
/// escaped.
pub(crate) fn one_line(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// `s` with its line breaks kept (for help text written over several lines)
/// and every other hidden character escaped.
pub(crate) fn lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n')
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hidden(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Appends `c` as an escape: `\n`, `\r`, `\t`, or `\u{..}`.
pub(crate) fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

// ----- data formats ------------------------------------------------------
//
// Each data format has its escaper here, which writes any text so that the
// format's own parser reads it back, or, where the format cannot hold a
// character at all, shows it escaped. Which characters a name may hold at
// all is decided once, in `model::name_problem`; these never rely on it.

/// Whether `c` is written as an escape in JSON or YAML text that YAML
/// reads: the hidden characters, and what YAML cannot take raw. YAML (1.1
/// and 1.2) cannot hold C0 and C1 controls, DEL, U+FFFE or U+FFFF raw, not
/// even inside quotes; YAML 1.1 (PyYAML, which dbt and Meltano read with)
/// takes a raw NEL, U+2028 or U+2029 for a line break and folds it into a
/// space; a byte-order mark inside a document is not allowed. A four-digit
/// `\u` escape means the same in JSON and both YAMLs, so only characters of
/// the Basic Multilingual Plane are escaped: a character past U+FFFF would
/// need a surrogate pair, which YAML does not join, and YAML takes every
/// one of them raw.
fn yaml_escapes(c: char) -> bool {
    (c as u32) <= 0xffff
        && c != '\n'
        && (is_hidden(c) || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'))
}

/// JSON text `json` with every character `yaml_escapes` names escaped as
/// `\u0085`. Inside strings serde has escaped every C0 control already, so
/// a raw newline here is the pretty-printer's own.
fn yaml_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 1);
    for c in json.chars() {
        if yaml_escapes(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` as a YAML double-quoted scalar that YAML 1.1 and 1.2 parsers read
/// back as `s` exactly: a JSON string (`"`, `\` and C0 controls escaped as
/// JSON escapes them, which are YAML's escapes too) with every character
/// `yaml_escapes` names escaped as well. Never a plain scalar, so a name
/// cannot be read as a number, a boolean, an anchor, a comment or a key.
pub(crate) fn yaml_string(s: &str) -> String {
    yaml_safe(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()))
}

/// `key` as a YAML mapping key: plain where it is a plain identifier that
/// no YAML reads as anything but a string (not `yes`, `no`, `on`, `off`,
/// `null` and the like, which YAML 1.1 reads as booleans), else quoted as
/// `yaml_string` quotes.
pub(crate) fn yaml_key(key: &str) -> String {
    const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        && !RESERVED.contains(&key.to_ascii_lowercase().as_str());
    if plain { key.to_owned() } else { yaml_string(key) }
}

/// A spec name as a Meltano config value (then written as a YAML string):
/// Meltano expands `$VAR` and
/// `${VAR}` in config, so a `$` that would start one is escaped with a
/// backslash (which Meltano removes).
pub(crate) fn meltano_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '$' {
            let rest = &text[i + 1..];
            let braced = rest
                .strip_prefix('{')
                .and_then(|r| r.split_once('}'))
                .is_some_and(|(var, _)| !var.is_empty() && var.chars().all(|c| c.is_alphanumeric() || c == '_'));
            if braced || rest.starts_with(|c: char| c.is_ascii_uppercase()) {
                out.push('\\');
            }
        }
        out.push(c);
    }
    out
}

/// `value` written into `out` as pretty JSON with a final newline that is
/// also a YAML 1.1 and 1.2 document with the same content (the AsyncAPI
/// document, which tools read as YAML), escaped as `yaml_string` escapes.
/// It is written as `value` is serialized, so that a large document is held
/// neither as text nor, when `value` makes its parts as it is serialized,
/// as a tree.
pub(crate) fn write_yaml_json(out: &mut dyn std::io::Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, YamlSafe(PrettyFormatter::new()));
    value.serialize(&mut serializer).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// serde_json's pretty formatter, with every character `yaml_escapes` names
/// escaped inside strings (keys included). serde hands the formatter a
/// string's text in fragments cut only at the characters it escapes itself
/// (ASCII ones), and everything outside strings is ASCII, so this writes
/// what `yaml_safe` makes of the whole text.
struct YamlSafe<'a>(PrettyFormatter<'a>);

impl Formatter for YamlSafe<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if yaml_escapes(c) {
                out.write_all(&fragment.as_bytes()[start..i])?;
                write!(out, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        out.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.0.begin_array(out)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.0.end_array(out)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.0.begin_array_value(out, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(out)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.0.begin_object(out)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.0.end_object(out)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.0.begin_object_key(out, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(out)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(out)
    }
}

/// Whether XML 1.0 can hold `c` at all (its `Char` production): not the C0
/// controls but tab, newline and carriage return, not U+FFFE or U+FFFF, and
/// not as a character reference (`&#xFFFE;`) either.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// `s` for XML 1.0 text or an attribute value (in double or single quotes):
/// markup characters as entities, and every character XML cannot hold, or
/// that it discourages (the other controls and the noncharacters), shown
/// as an escape (`\u{fffe}`), so any text makes a well-formed document
/// and the reader still sees that the character was there.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            _ if push_entity(&mut out, c) => {}
            '\t' | '\n' | '\r' => out.push(c),
            _ if !xml_char(c) || c.is_control() || is_noncharacter(c) => push_escaped(&mut out, c),
            _ => out.push(c),
        }
    }
    out
}

/// `s` for HTML and SVG, in element content and in quoted attributes:
/// markup characters as entities, and hidden characters (`is_hidden`) shown
/// escaped, as everywhere else: a character reference would still draw them.
pub(crate) fn html(s: &str) -> String {
    let s = lines(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !push_entity(&mut out, c) {
            out.push(c);
        }
    }
    out
}

/// Appends `c` as its entity when it is a markup character (`&<>"'`), which
/// XML and HTML write alike; whether it was one.
fn push_entity(out: &mut String, c: char) -> bool {
    let entity = match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#39;",
        _ => return false,
    };
    out.push_str(entity);
    true
}

/// Whether `c` is one of Unicode's 66 noncharacters (U+FDD0 to U+FDEF, and
/// the last two code points of every plane).
pub(crate) fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{fdd0}'..='\u{fdef}') || (c as u32) & 0xfffe == 0xfffe
}

/// `value` as pretty JSON with a final newline, for every JSON output. JSON
/// already escapes control characters; the other hidden characters are valid
/// raw in a JSON string but reorder or hide what a reader of the file sees,
/// so they are escaped too (`\u202e`), which every JSON reader decodes to
/// the same text.
pub(crate) fn to_json(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    // Printable ASCII throughout (the usual case) needs no second copy.
    if text.bytes().all(|b| b < 0x7f) {
        text.push('\n');
        return text;
    }
    let mut out = String::with_capacity(text.len() + 1);
    // Inside strings serde has escaped every C0 control already, so a raw
    // newline here is the pretty-printer's own. Printable ASCII, almost all
    // of the text, is copied a run at a time; only DEL and non-ASCII
    // characters are looked at one by one.
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let run = rest.bytes().position(|b| b >= 0x7f).unwrap_or(rest.len());
        out.push_str(&rest[..run]);
        rest = &rest[run..];
        let Some(c) = rest.chars().next() else { break };
        if is_hidden(c) {
            // JSON's `\u` takes four hex digits: a character past U+FFFF
            // is written as its UTF-16 surrogate pair.
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_that_meltano_would_expand_are_escaped() {
        assert_eq!(meltano_value("updated_at"), "updated_at");
        assert_eq!(meltano_value("$HOME"), "\\$HOME");
        assert_eq!(meltano_value("a${x_1}b"), "a\\${x_1}b");
        assert_eq!(meltano_value("$ 5 and $lower"), "$ 5 and $lower");
        assert_eq!(meltano_value("\\$X"), "\\\\$X");
    }

    #[test]
    fn hidden_characters_are_escaped() {
        assert_eq!(one_line("a\nb"), "a\\nb");
        assert_eq!(one_line("\u{1b}]8;;x\u{7}"), "\\u{1b}]8;;x\\u{7}");
        assert_eq!(one_line("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(lines("one\ntwo\u{1b}"), "one\ntwo\\u{1b}");
        assert!(matches!(one_line("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_line_break_and_invisible_character_is_hidden() {
        // What the issue found raw, and one of each kind the rule covers.
        for c in [
            '\u{2028}',
            '\u{2029}',
            '\u{200b}',
            '\u{feff}',
            '\u{85}',
            '\u{ad}',
            '\u{61c}',
            '\u{2064}',
            '\u{e0041}',
            '\u{e000}',
            '\u{10fffd}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{1fffe}',
            '\u{fdd0}',
            '\u{3164}',
            '\u{fe0f}',
        ] {
            assert!(is_hidden(c), "{c:?}");
            assert_eq!(one_line(&format!("a{c}")), format!("a\\u{{{:x}}}", c as u32));
        }
        // Unicode's Default_Ignorable_Code_Point, whole (DerivedCoreProperties.txt).
        let ignorable = [
            (0xad, 0xad),
            (0x34f, 0x34f),
            (0x61c, 0x61c),
            (0x115f, 0x1160),
            (0x17b4, 0x17b5),
            (0x180b, 0x180f),
            (0x200b, 0x200f),
            (0x202a, 0x202e),
            (0x2060, 0x206f),
            (0x3164, 0x3164),
            (0xfe00, 0xfe0f),
            (0xfeff, 0xfeff),
            (0xffa0, 0xffa0),
            (0xfff0, 0xfff8),
            (0x1bca0, 0x1bca3),
            (0x1d173, 0x1d17a),
            (0xe0000, 0xe0fff),
        ];
        for (from, to) in ignorable {
            for c in (from..=to).filter_map(char::from_u32) {
                assert!(is_hidden(c), "{c:?}");
            }
        }
        // Letters, marks, symbols and spaces are text.
        for c in ['a', 'é', 'ß', 'Ж', '中', '𝄞', '😀', '\u{301}', ' ', '\u{a0}', '\u{fffd}', '~'] {
            assert!(!is_hidden(c), "{c:?}");
        }
    }

    #[test]
    fn escaped_text_holds_no_hidden_character() {
        // The first two planes whole and a sample of the rest (the
        // private-use and unassigned planes are long runs of one category).
        let some: String = (0..=0x10ffff).filter(|&c| c < 0x2_0000 || c % 61 == 0).filter_map(char::from_u32).collect();
        assert!(!one_line(&some).chars().any(is_hidden));
        assert!(!lines(&some).chars().any(|c| is_hidden(c) && c != '\n'));
        assert!(!markdown_code(&some).chars().any(is_hidden));
        assert!(!markdown_prose(&some).chars().any(is_hidden));
        let json = to_json(&some);
        assert!(!json.trim_end().chars().any(is_hidden));
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), some);
    }

    #[test]
    fn markdown_code_spans_cannot_be_closed_from_inside() {
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code("x\n<img src=x onerror=alert(1)>"), "`x\\n<img src=x onerror=alert(1)>`");
    }

    #[test]
    fn yaml_strings_escape_what_yaml_cannot_read_raw() {
        // NEL, LS and PS are line breaks to YAML 1.1; C1 controls, U+FEFF,
        // U+FFFE and U+FFFF are not printable; all four-digit escapes.
        assert_eq!(
            yaml_string("a\u{85}b\u{86}\u{2028}\u{2029}\u{feff}\u{fffe}\u{ffff}\0\"\\"),
            "\"a\\u0085b\\u0086\\u2028\\u2029\\ufeff\\ufffe\\uffff\\u0000\\\"\\\\\""
        );
        // Everything else stays as it is, outside the BMP too.
        assert_eq!(yaml_string("é 中 \u{1f600} \u{10fffd}"), "\"é 中 \u{1f600} \u{10fffd}\"");
        let mut json = Vec::new();
        write_yaml_json(&mut json, &["x\u{85}\u{2028}\u{fffe}\u{1f600}"]).unwrap();
        let json = String::from_utf8(json).unwrap();
        assert_eq!(json, "[\n  \"x\\u0085\\u2028\\ufffe\u{1f600}\"\n]\n");
        assert_eq!(serde_json::from_str::<Vec<String>>(&json).unwrap(), ["x\u{85}\u{2028}\u{fffe}\u{1f600}"]);
    }

    #[test]
    fn xml_never_holds_what_xml_cannot() {
        assert_eq!(xml("<a b='c'>&\""), "&lt;a b=&#39;c&#39;&gt;&amp;&quot;");
        // Not raw, and not as `&#xFFFE;` either, which XML 1.0 forbids too.
        assert_eq!(
            xml("a\u{fffe}\u{ffff}\u{0}\u{1b}\u{85}\u{fdd0}\u{1fffe}b"),
            "a\\u{fffe}\\u{ffff}\\u{0}\\u{1b}\\u{85}\\u{fdd0}\\u{1fffe}b"
        );
        assert_eq!(xml("x\ty\nz\r é\u{1f600}"), "x\ty\nz\r é\u{1f600}");
        assert!(is_noncharacter('\u{fdef}') && is_noncharacter('\u{10ffff}') && !is_noncharacter('\u{fffd}'));
    }

    #[test]
    fn json_escapes_bidi_overrides() {
        let json = to_json(&"a\u{202e}b\u{1b}");
        assert_eq!(json, "\"a\\u202eb\\u001b\"\n");
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), "a\u{202e}b\u{1b}");
    }
}
