//! Text made into SQL for the warehouses the ETL target writes for: string
//! literals and quoted identifiers, one function per dialect's rules, so a
//! value can never end its literal early and become SQL of its own.
//!
//! Where a backslash escapes inside a string literal (Snowflake, BigQuery)
//! it is escaped itself, so `\'` cannot close the literal; where it does not
//! (PostgreSQL, DuckDB and Redshift with `standard_conforming_strings`, the
//! default since PostgreSQL 9.1) it is an ordinary character, and `E'...'`
//! strings are never written. What a dialect cannot hold in a literal at
//! all (NUL) is refused, never dropped or replaced.

use std::fmt::Write as _;

/// How a warehouse engine reads string literals and quoted identifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Dialect {
    /// PostgreSQL, DuckDB, Redshift: `'...'` with `''` for a quote and
    /// every other character as it is; identifiers `"..."` with `""`.
    Standard,
    /// Snowflake: a backslash escapes in `'...'`, so `\\` and `''`;
    /// control characters as `\uXXXX`; identifiers `"..."` with `""`.
    Snowflake,
    /// BigQuery (GoogleSQL): a backslash escapes and `''` is not a quote,
    /// so `\\` and `\'`; a literal may not span lines, so control
    /// characters as `\uXXXX`; identifiers in backticks, escaped alike.
    BigQuery,
}

impl Dialect {
    /// The engines that speak it, for messages.
    pub(crate) fn engines(self) -> &'static str {
        match self {
            Dialect::Standard => "PostgreSQL, DuckDB or Redshift",
            Dialect::Snowflake => "Snowflake",
            Dialect::BigQuery => "BigQuery",
        }
    }
}

/// What a dialect cannot carry: the character, refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refused(pub(crate) char);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "U+{:04X}", self.0 as u32)
    }
}

/// Whether `dialect` can hold `c` in a literal or identifier. NUL ends
/// a C string in every engine's client or storage (PostgreSQL's text
/// refuses it outright), so no dialect takes it.
fn carries(_dialect: Dialect, c: char) -> bool {
    c != '\0'
}

/// `text` as a string of `dialect`: a literal, or in the standard
/// dialect, where a literal has no escapes, literals joined with
/// `chr(n)` for each control character (a file of SQL keeps no raw
/// carriage return: dbt's Jinja, like most text tools, turns one into a
/// line feed). Or the first character it cannot hold.
pub(crate) fn string(dialect: Dialect, text: &str) -> Result<String, Refused> {
    if dialect != Dialect::Standard || !text.chars().any(char::is_control) {
        return quoted(dialect, text, '\'');
    }
    let mut parts = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if !carries(dialect, c) {
            return Err(Refused(c));
        }
        if c.is_control() {
            if !run.is_empty() {
                parts.push(quoted(dialect, &std::mem::take(&mut run), '\'')?);
            }
            parts.push(format!("chr({})", c as u32));
        } else {
            run.push(c);
        }
    }
    if !run.is_empty() {
        parts.push(quoted(dialect, &run, '\'')?);
    }
    Ok(format!("({})", parts.join(" || ")))
}

/// `name` as a quoted identifier of `dialect`, or the first character it
/// cannot hold. A double-quoted identifier has no escapes, so it cannot
/// hold a carriage return that survives a text tool (see `string`).
pub(crate) fn ident(dialect: Dialect, name: &str) -> Result<String, Refused> {
    let quote = match dialect {
        Dialect::Standard | Dialect::Snowflake => '"',
        Dialect::BigQuery => '`',
    };
    if quote == '"' {
        // Inside a quoted identifier the double quote is the only special
        // character in these dialects, backslashes included.
        return match name.chars().find(|&c| !carries(dialect, c) || c == '\r') {
            Some(c) => Err(Refused(c)),
            None => Ok(format!("\"{}\"", name.replace('"', "\"\""))),
        };
    }
    quoted(dialect, name, quote)
}

fn quoted(dialect: Dialect, text: &str, quote: char) -> Result<String, Refused> {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        if !carries(dialect, c) {
            return Err(Refused(c));
        }
        match dialect {
            Dialect::Standard if c == quote => {
                out.push(c);
                out.push(c);
            }
            Dialect::Standard => out.push(c),
            Dialect::Snowflake if c == quote => {
                out.push(c);
                out.push(c);
            }
            Dialect::Snowflake | Dialect::BigQuery if c == '\\' => out.push_str("\\\\"),
            Dialect::BigQuery if c == quote => {
                out.push('\\');
                out.push(c);
            }
            Dialect::Snowflake | Dialect::BigQuery if c.is_control() => {
                // Every control character is below U+00A0: four digits.
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            Dialect::Snowflake | Dialect::BigQuery => out.push(c),
        }
    }
    out.push(quote);
    Ok(out)
}

/// `text` for a one-line SQL comment or a dbt description, which dbt
/// renders with Jinja too: on one line, hidden characters escaped
/// (`one_line`), and braces written as parentheses, so no Jinja delimiter.
pub(crate) fn inert(text: &str) -> String {
    super::one_line(&text.replace('{', "(").replace('}', ")")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_text_holds_no_jinja_and_no_line_break() {
        assert_eq!(inert("a\nb {{ x }} {%"), "a\\nb (( x )) (%");
        assert_eq!(inert("a\u{2028}\u{202e}b"), "a\\u{2028}\\u{202e}b");
    }

    /// Reads the quoted token `quote` opens at the start of `sql` by
    /// `dialect`'s rules, as its engine's lexer does: its decoded value
    /// and where it ends, or `None` if it never ends.
    fn token(dialect: Dialect, sql: &str, quote: char) -> Option<(String, usize)> {
        let mut chars = sql.char_indices().peekable();
        assert_eq!(chars.next().map(|(_, c)| c), Some(quote));
        let mut value = String::new();
        let backslash = match dialect {
            Dialect::Standard => false,
            // Snowflake's quoted identifiers take no escapes.
            Dialect::Snowflake => quote == '\'',
            Dialect::BigQuery => true,
        };
        while let Some((i, c)) = chars.next() {
            if c == quote {
                let doubling = dialect != Dialect::BigQuery;
                if doubling && chars.peek().is_some_and(|&(_, next)| next == quote) {
                    chars.next();
                    value.push(quote);
                    continue;
                }
                return Some((value, i + c.len_utf8()));
            }
            if c == '\n' && dialect == Dialect::BigQuery {
                return None;
            }
            if c == '\\' && backslash {
                let (_, e) = chars.next()?;
                match e {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                        value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    '\\' | '\'' | '"' | '`' => value.push(e),
                    _ => return None,
                }
                continue;
            }
            value.push(c);
        }
        None
    }

    /// Reads the string `sql` starts with: a literal, or in the standard
    /// dialect literals and `chr(n)` joined by `||` in parentheses.
    fn string_token(dialect: Dialect, sql: &str) -> Option<(String, usize)> {
        if !sql.starts_with('(') {
            return token(dialect, sql, '\'');
        }
        assert_eq!(dialect, Dialect::Standard);
        let mut value = String::new();
        let mut at = 1;
        loop {
            let rest = &sql[at..];
            if let Some(code) = rest.strip_prefix("chr(") {
                let digits = code.find(')')?;
                value.push(char::from_u32(code[..digits].parse().ok()?)?);
                at += 4 + digits + 1;
            } else {
                let (part, end) = token(dialect, rest, '\'')?;
                value.push_str(&part);
                at += end;
            }
            let rest = &sql[at..];
            if rest.starts_with(')') {
                return Some((value, at + 1));
            }
            at += rest.strip_prefix(" || ").map(|_| 4)?;
        }
    }

    const HOSTILE: &[&str] = &[
        "\\'",
        "\\\\'",
        "'; drop table x; --",
        "\\",
        "'",
        "''",
        "a\nb\r\nc\td",
        "\u{85}\u{2028}\u{202e}\u{1b}[31m",
        "日本語 ✓ 🦀",
        "\\'; drop table x; --",
        "`; drop table x; --",
        "\"; drop table x; --",
        "",
    ];

    const DIALECTS: [Dialect; 3] = [Dialect::Standard, Dialect::Snowflake, Dialect::BigQuery];

    /// Every hostile text, as a literal and as an identifier of
    /// `dialect`, read back by that dialect's lexer rules: each ends
    /// exactly where it was written to end, and holds the text.
    fn quotes_hostile_text(dialect: Dialect) {
        for text in HOSTILE {
            let literal = string(dialect, text).unwrap();
            // No raw carriage return, which text tools rewrite.
            assert!(!literal.contains('\r'), "{dialect:?}: {literal}");
            let sql = format!("{literal} as x; drop table y");
            let (value, end) = string_token(dialect, &sql).unwrap_or_else(|| panic!("{dialect:?}: {sql}"));
            assert_eq!(end, literal.len(), "{dialect:?}: {sql}");
            assert_eq!(value, *text, "{dialect:?}: {sql}");
        }
        let quote = if dialect == Dialect::BigQuery { '`' } else { '"' };
        for text in HOSTILE {
            if quote == '"' && text.contains('\r') {
                assert_eq!(ident(dialect, text), Err(Refused('\r')));
                continue;
            }
            let name = ident(dialect, text).unwrap();
            let sql = format!("{name} from t; drop table y");
            let (value, end) = token(dialect, &sql, quote).unwrap_or_else(|| panic!("{dialect:?}: {sql}"));
            assert_eq!(end, name.len(), "{dialect:?}: {sql}");
            assert_eq!(value, *text, "{dialect:?}: {sql}");
        }
    }

    #[test]
    fn standard_sql_postgres_duckdb_redshift_quote_hostile_text() {
        quotes_hostile_text(Dialect::Standard);
    }

    #[test]
    fn snowflake_quotes_hostile_text() {
        quotes_hostile_text(Dialect::Snowflake);
    }

    #[test]
    fn bigquery_quotes_hostile_text() {
        quotes_hostile_text(Dialect::BigQuery);
    }

    #[test]
    fn each_dialect_quotes_by_its_own_rules() {
        assert_eq!(string(Dialect::Standard, "it's \\").unwrap(), "'it''s \\'");
        assert_eq!(string(Dialect::Standard, "a\r\nb").unwrap(), "('a' || chr(13) || chr(10) || 'b')");
        assert_eq!(string(Dialect::Snowflake, "it's \\").unwrap(), "'it''s \\\\'");
        assert_eq!(string(Dialect::BigQuery, "it's \\\n").unwrap(), "'it\\'s \\\\\\u000a'");
        assert_eq!(ident(Dialect::Standard, "a\"b\\").unwrap(), "\"a\"\"b\\\"");
        assert_eq!(ident(Dialect::Snowflake, "a\"b\\").unwrap(), "\"a\"\"b\\\"");
        assert_eq!(ident(Dialect::BigQuery, "a`b\\").unwrap(), "`a\\`b\\\\`");
    }

    #[test]
    fn what_a_dialect_cannot_carry_is_refused() {
        for dialect in DIALECTS {
            assert_eq!(string(dialect, "a\0b"), Err(Refused('\0')));
            assert_eq!(ident(dialect, "a\0b"), Err(Refused('\0')));
        }
        assert_eq!(Refused('\0').to_string(), "U+0000");
    }

    /// The old quoting doubled `'` only: on a dialect where a backslash
    /// escapes, `\'` then closed the literal early.
    #[test]
    fn doubling_quotes_alone_breaks_out_where_backslash_escapes() {
        let old = format!("'{}'", "\\'; drop table x; --".replace('\'', "''"));
        let (_, end) = token(Dialect::Snowflake, &old, '\'').unwrap();
        assert!(end < old.len(), "{old}");
    }
}
