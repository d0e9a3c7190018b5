//! Markdown: text from a spec made safe for generated Markdown (the plan
//! and diff reports, the backends' READMEs). Every form keeps text on one
//! line with hidden characters escaped (`one_line`), since a line break in
//! a name would start a heading or an HTML block of its own; they differ in
//! what of the text may stay Markdown:
//!
//! - `markdown_code`: a code span, fenced so that nothing inside closes it.
//! - `markdown_prose`, `markdown_cell`: a sentence that names things in
//!   `code spans`, which stay code; the markup outside them is escaped.
//! - `markdown_text`, `markdown_name`: a name or a message written as plain
//!   text, where nothing may become markup (HTML entities and links
//!   included), or a name as a code span when it can be one.

use super::{is_hidden, one_line, push_escaped};

/// Text for inside a Markdown code span: on one line, hidden characters
/// escaped, and fenced with enough backticks that none inside closes it.
/// GitHub and most renderers show a code span's content literally, so `<`
/// and `*` need no escaping there; a backtick run does.
pub(crate) fn markdown_code(s: &str) -> String {
    let s = one_line(s);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A sentence for Markdown that names things in `code spans`, as the
/// planner's and the diff's sentences do: on one line, Markdown's markup
/// characters escaped outside the code spans, which are kept; with an
/// unbalanced backtick (from a name), everything is escaped instead.
pub(crate) fn markdown_prose(s: &str) -> String {
    // Names stay on one line: a line break in a name would start a heading
    // or an HTML block of its own.
    let s = &*one_line(s);
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code && matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    if in_code {
        // An unbalanced backtick from a name: escape it instead.
        return s
            .chars()
            .flat_map(|c| {
                if matches!(c, '`' | '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
                    vec!['\\', c]
                } else {
                    vec![c]
                }
            })
            .collect();
    }
    out
}

/// A sentence for a Markdown table cell: as `markdown_prose`, and every `|`
/// escaped, inside code spans too (it would end the cell there as well).
pub(crate) fn markdown_cell(s: &str) -> String {
    markdown_prose(s).replace("\\|", "|").replace('|', "\\|")
}

/// `text` for Markdown prose (never at the start of a line): on one line,
/// hidden characters escaped, and every character that Markdown or HTML
/// could read as syntax escaped with a backslash, backticks too.
pub(crate) fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            push_escaped(&mut out, c);
        } else if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&' | '~' | '(' | ')')
        {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// A name as a Markdown code span when it can be a plain one (ASCII, no
/// backtick, no control character), else as `markdown_text`.
pub(crate) fn markdown_name(text: &str) -> String {
    if text.is_empty() || text.chars().any(|c| c == '`' || c.is_control() || !c.is_ascii()) {
        markdown_text(text)
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_cannot_make_markup_and_shows_what_is_hidden() {
        let text = markdown_text("a`b\n<img src=x onerror=alert(1)>\u{202e}\u{200b}");
        assert_eq!(text, "a\\`b\\n\\<img src=x onerror=alert\\(1\\)\\>\\u{202e}\\u{200b}");
        assert!(text.match_indices('<').all(|(i, _)| text[..i].ends_with('\\')), "{text}");
        assert_eq!(markdown_name("order.created"), "`order.created`");
        assert_eq!(markdown_name("a`b"), "a\\`b");
        assert_eq!(markdown_name("é"), "é");
    }
}
