//! The character classes of KDL v2 and the decoding of its literals.
//!
//! The lexer uses these functions to find where a token ends and to validate
//! it (reporting each bad escape or digit at its own span), and the document
//! builder uses the same functions to compute the value, so the two can never
//! disagree about what a string or number means. Nothing here allocates for
//! the common case of a string without escapes.

use std::borrow::Cow;

use super::Value;

/// The largest magnitude an integer may have. The compliance suite rejects
/// `0xabcdef1234567890` (it is above `i64::MAX`), so integers are 64-bit:
/// wider values are reported instead of silently becoming something else.
pub(crate) const INTEGER_MIN: i128 = i64::MIN as i128;
pub(crate) const INTEGER_MAX: i128 = i64::MAX as i128;

/// `unicode-space` of the KDL v2 spec: white space that does not end a line.
pub(crate) fn is_unicode_space(c: char) -> bool {
    matches!(c, '\t' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}')
}

/// `newline` of the KDL v2 spec, one code point at a time (CRLF is handled by
/// the callers, which treat `\r\n` as a single newline).
pub(crate) fn is_newline(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}')
}

/// Code points that may not appear literally anywhere in a KDL document.
/// The byte-order mark is allowed only as the first code point; the lexer
/// handles that case before asking.
pub(crate) fn is_disallowed(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{E}'..='\u{1F}'
            | '\u{7F}'
            | '\u{200E}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Whether an ASCII byte may appear in a bare identifier; computed once so the
/// lexer's hot loop is a table look-up.
static ASCII_IDENT: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0x21;
    while b < 0x7F {
        table[b] =
            !matches!(b as u8, b'\\' | b'/' | b'(' | b')' | b'{' | b'}' | b';' | b'[' | b']' | b'"' | b'#' | b'=');
        b += 1;
    }
    table
};

/// `identifier-char` of the KDL v2 spec.
pub(crate) fn is_ident_char(c: char) -> bool {
    if c.is_ascii() { ASCII_IDENT[c as usize] } else { !(is_unicode_space(c) || is_newline(c) || is_disallowed(c)) }
}

/// Whether an ASCII byte may appear in a bare identifier (false for any
/// non-ASCII byte; the caller decodes those).
pub(crate) fn is_ascii_ident_byte(b: u8) -> bool {
    ASCII_IDENT.get(b as usize).copied().unwrap_or(false)
}

/// The length in bytes of the newline starting at `at`, if there is one.
pub(crate) fn newline_len(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    match *bytes.get(at)? {
        b'\r' => Some(if bytes.get(at + 1) == Some(&b'\n') { 2 } else { 1 }),
        b'\n' | 0x0B | 0x0C => Some(1),
        b if b < 0x80 => None,
        _ => {
            let c = text.get(at..)?.chars().next()?;
            is_newline(c).then(|| c.len_utf8())
        }
    }
}

/// A problem inside a literal, relative to the start of the literal's text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LiteralError {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
    /// How many more errors of the literal, after this one, were counted
    /// here instead of kept (see `push`).
    pub(crate) more: usize,
}

impl LiteralError {
    fn new(start: usize, end: usize, message: impl Into<String>) -> Self {
        LiteralError { start, end, message: message.into(), help: None, more: 0 }
    }

    fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Adds `e` to a literal's errors, keeping as many as a report shows (and
/// the next) and counting the rest in the last kept: a string of a million
/// control characters has a million errors, but holds a thousand. A literal
/// is read left to right, so the first ones are kept.
fn push(errors: &mut Vec<LiteralError>, e: LiteralError) {
    let full = errors.len() >= super::KEPT_ERRORS;
    match errors.last_mut() {
        Some(last) if full => last.more += 1 + e.more,
        _ => errors.push(e),
    }
}

/// Decodes a number token (`1_000`, `-0x1F`, `1.5e-3`). The whole word must
/// be a number; the error spans the whole word because the problem is
/// usually its shape rather than one character.
pub(crate) fn decode_number(word: &str) -> Result<Value<'static>, LiteralError> {
    let bad = |message: String| Err(LiteralError::new(0, word.len(), message));
    let bytes = word.as_bytes();
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &word[1..]),
        Some(b'+') => (false, &word[1..]),
        _ => (false, word),
    };
    let radix = match digits.get(..2) {
        Some("0x") => Some((16, "hexadecimal")),
        Some("0o") => Some((8, "octal")),
        Some("0b") => Some((2, "binary")),
        _ => None,
    };
    if let Some((radix, name)) = radix {
        let body = &digits[2..];
        let first_ok = body.chars().next().is_some_and(|c| c.is_digit(radix));
        if !first_ok {
            return bad(format!("`{word}` is not a valid {name} number: a digit must follow the prefix"));
        }
        let mut value: i128 = 0;
        for c in body.chars() {
            if c == '_' {
                continue;
            }
            let Some(d) = c.to_digit(radix) else {
                return bad(format!("`{word}` is not a valid {name} number: `{c}` is not a {name} digit"));
            };
            value = match value.checked_mul(i128::from(radix)).and_then(|v| v.checked_add(i128::from(d))) {
                Some(v) if v <= INTEGER_MAX + 1 => v,
                _ => return Err(too_large(word)),
            };
        }
        return finish_integer(word, negative, value);
    }
    // Decimal: integer ('.' integer)? exponent?, each integer a digit then digits or `_`.
    let mut i = 0;
    let int_end = scan_integer(digits.as_bytes(), i);
    if int_end == i {
        return bad(format!("`{word}` is not a valid number: it must start with a digit"));
    }
    i = int_end;
    let mut is_float = false;
    if digits.as_bytes().get(i) == Some(&b'.') {
        let end = scan_integer(digits.as_bytes(), i + 1);
        if end == i + 1 {
            return Err(LiteralError::new(
                0,
                word.len(),
                format!("`{word}` is not a valid number: a digit must follow the `.`"),
            )
            .with_help("write a fraction such as `1.0`"));
        }
        i = end;
        is_float = true;
    }
    if matches!(digits.as_bytes().get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(digits.as_bytes().get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let end = scan_integer(digits.as_bytes(), j);
        if end == j {
            return bad(format!("`{word}` is not a valid number: the exponent needs digits"));
        }
        i = end;
        is_float = true;
    }
    if i != digits.len() {
        let rest = &digits[i..];
        return bad(format!("`{word}` is not a valid number: unexpected `{rest}` after the digits"));
    }
    let cleaned: Cow<'_, str> =
        if word.contains('_') { Cow::Owned(word.replace('_', "")) } else { Cow::Borrowed(word) };
    if is_float {
        return match cleaned.parse::<f64>() {
            Ok(x) => Ok(Value::Float(x)),
            Err(_) => bad(format!("`{word}` is not a valid number")),
        };
    }
    match cleaned.trim_start_matches(['+', '-']).parse::<i128>() {
        Ok(v) if v <= INTEGER_MAX + 1 => finish_integer(word, negative, v),
        _ => Err(too_large(word)),
    }
}

fn too_large(word: &str) -> LiteralError {
    LiteralError::new(0, word.len(), format!("the integer `{word}` is too large"))
        .with_help("integers must fit in 64 bits (-9223372036854775808 to 9223372036854775807); write a float such as `1.0e20` for larger magnitudes")
}

fn finish_integer(word: &str, negative: bool, magnitude: i128) -> Result<Value<'static>, LiteralError> {
    let value = if negative { -magnitude } else { magnitude };
    if (INTEGER_MIN..=INTEGER_MAX).contains(&value) { Ok(Value::Integer(value)) } else { Err(too_large(word)) }
}

/// The end of `digit (digit | '_')*` starting at `from`, or `from` if there is no digit.
fn scan_integer(bytes: &[u8], from: usize) -> usize {
    if !bytes.get(from).is_some_and(u8::is_ascii_digit) {
        return from;
    }
    let mut i = from + 1;
    while bytes.get(i).is_some_and(|b| b.is_ascii_digit() || *b == b'_') {
        i += 1;
    }
    i
}

/// One decoded piece of a quoted string body.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Piece {
    /// A character written literally, at this byte offset.
    Literal(char, usize),
    /// A character produced by an escape such as `\n` or `\u{41}`.
    Escaped(char),
    /// A literal newline (any kind), at this byte offset.
    Newline(usize),
}

/// Splits a quoted-string body into pieces, dropping whitespace escapes and
/// reporting bad escapes and disallowed characters. `base` is the offset of
/// `body` within the token, for error positions.
fn pieces(body: &str, base: usize, raw: bool, errors: &mut Vec<LiteralError>) -> Vec<Piece> {
    let mut out = Vec::with_capacity(body.len());
    let mut iter = body.char_indices().peekable();
    while let Some((at, c)) = iter.next() {
        let pos = base + at;
        if c == '\r' {
            if iter.peek().map(|&(_, n)| n) == Some('\n') {
                iter.next();
            }
            out.push(Piece::Newline(pos));
        } else if is_newline(c) {
            out.push(Piece::Newline(pos));
        } else if is_disallowed(c) {
            push(errors, disallowed_error(c, pos));
        } else if c == '\\' && !raw {
            let Some(&(_, next)) = iter.peek() else {
                push(errors, LiteralError::new(pos, pos + 1, "a `\\` at the end of a string escapes nothing"));
                continue;
            };
            if is_unicode_space(next) || is_newline(next) {
                while iter.peek().is_some_and(|&(_, n)| is_unicode_space(n) || is_newline(n)) {
                    iter.next();
                }
                continue;
            }
            iter.next();
            let simple = match next {
                '"' => Some('"'),
                '\\' => Some('\\'),
                'b' => Some('\u{8}'),
                'f' => Some('\u{C}'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                's' => Some(' '),
                _ => None,
            };
            if let Some(e) = simple {
                out.push(Piece::Escaped(e));
            } else if next == 'u' {
                match unicode_escape(body, at, base) {
                    Ok((ch, len)) => {
                        out.push(Piece::Escaped(ch));
                        // Skip the `{hex}` part; `\u` is already consumed.
                        while iter.peek().is_some_and(|&(i, _)| i < at + len) {
                            iter.next();
                        }
                    }
                    Err((e, len)) => {
                        push(errors, e);
                        while iter.peek().is_some_and(|&(i, _)| i < at + len) {
                            iter.next();
                        }
                    }
                }
            } else {
                let end = pos + 1 + next.len_utf8();
                let mut err = LiteralError::new(pos, end, format!("`\\{next}` is not a valid escape"));
                err.help = Some(if next == '/' {
                    "KDL v2 has no `\\/` escape (KDL v1 had one); write `/`".into()
                } else {
                    "the escapes are \\\" \\\\ \\b \\f \\n \\r \\t \\s and \\u{hex}, plus `\\` before whitespace".into()
                });
                push(errors, err);
            }
        } else {
            out.push(Piece::Literal(c, pos));
        }
    }
    out
}

/// Decodes `\u{hex}` at `at` (the backslash) in `body`; returns the character
/// and the length of the whole escape, or an error and how much to skip.
fn unicode_escape(body: &str, at: usize, base: usize) -> Result<(char, usize), (LiteralError, usize)> {
    let rest = body.get(at + 2..).unwrap_or("");
    let pos = base + at;
    if !rest.starts_with('{') {
        return Err((LiteralError::new(pos, pos + 2, "`\\u` must be followed by `{hex digits}`"), 2));
    }
    // Look at most a few bytes ahead: a valid escape has at most six digits,
    // and a bounded look keeps a string full of broken escapes linear.
    let window = &rest.as_bytes()[..rest.len().min(9)];
    let close = window.iter().position(|&b| b == b'}');
    let digits_end = window[1..].iter().position(|b| !b.is_ascii_hexdigit()).map_or(window.len(), |p| p + 1);
    match close {
        Some(close) if close == digits_end && (2..=7).contains(&close) => {
            let hex = &rest[1..close];
            let len = 2 + close + 1;
            match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                Some(c) => Ok((c, len)),
                None => Err((
                    LiteralError::new(pos, pos + len, format!("`\\u{{{hex}}}` is not a Unicode scalar value")),
                    len,
                )),
            }
        }
        _ => {
            let len = 2 + digits_end;
            Err((
                LiteralError::new(pos, pos + len, "a `\\u{...}` escape needs 1 to 6 hex digits and a closing `}`"),
                len,
            ))
        }
    }
}

pub(crate) fn disallowed_error(c: char, pos: usize) -> LiteralError {
    LiteralError::new(
        pos,
        pos + c.len_utf8(),
        format!("the character U+{:04X} is not allowed in a KDL document", c as u32),
    )
    .with_help(
        "remove it; control and text-direction characters can be written in quoted strings as `\\u{...}` escapes",
    )
}

/// Decodes a complete string token: `"..."`, `"""..."""`, `#"..."#` or
/// `#"""..."""#` (any number of `#`). Errors are relative to the token start.
/// The token must have been found by the lexer, so it starts and ends with
/// its delimiters unless it was unterminated (then the errors say so already
/// and the result is best effort).
pub(crate) fn decode_string<'t>(token: &'t str, errors: &mut Vec<LiteralError>) -> Cow<'t, str> {
    let hashes = token.bytes().take_while(|&b| b == b'#').count();
    let raw = hashes > 0;
    let after_hashes = &token[hashes..];
    let multi = after_hashes.starts_with("\"\"\"");
    let quote_len = if multi { 3 } else { 1 };
    let open = hashes + quote_len;
    let closing = if multi { 3 + hashes } else { 1 + hashes };
    let has_close = token.len() >= open + closing && {
        let tail = &token.as_bytes()[token.len() - closing..];
        let quotes = &tail[..quote_len];
        quotes.iter().all(|&b| b == b'"') && tail[quote_len..].iter().all(|&b| b == b'#')
    };
    let body_end = if has_close { token.len() - closing } else { token.len() };
    let body = token.get(open..body_end.max(open)).unwrap_or("");
    if !multi {
        if raw {
            if !body.chars().any(is_disallowed) {
                return Cow::Borrowed(body);
            }
            let mut out = String::new();
            for (i, c) in body.char_indices() {
                if is_disallowed(c) {
                    push(errors, disallowed_error(c, open + i));
                } else {
                    out.push(c);
                }
            }
            return Cow::Owned(out);
        }
        let plain_ascii = body.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b'\\');
        if plain_ascii || (!body.contains('\\') && !body.chars().any(is_disallowed)) {
            return Cow::Borrowed(body);
        }
        return Cow::Owned(
            pieces(body, open, false, errors)
                .into_iter()
                .map(|p| match p {
                    Piece::Literal(c, _) | Piece::Escaped(c) => c,
                    Piece::Newline(_) => '\n',
                })
                .collect(),
        );
    }
    let Some(nl) = newline_len(body, 0) else {
        push(
            errors,
            LiteralError::new(0, open, "a multi-line string must start with a newline right after its opening quotes")
                .with_help("put the text on the lines between the quotes, or use a single `\"` for a one-line string"),
        );
        return Cow::Borrowed(body);
    };
    Cow::Owned(dedent(&pieces(&body[nl..], open + nl, raw, errors), open, errors))
}

/// Applies the multi-line string rules to pieces: the last line gives the
/// indentation, every other line must start with exactly that indentation
/// (whitespace-only lines become empty), and lines are joined with `\n`.
fn dedent(pieces: &[Piece], open: usize, errors: &mut Vec<LiteralError>) -> String {
    let mut lines: Vec<&[Piece]> = pieces.split(|p| matches!(p, Piece::Newline(_))).collect();
    let Some(last) = lines.pop() else { return String::new() };
    let mut prefix: Vec<char> = Vec::with_capacity(last.len());
    for p in last {
        match *p {
            Piece::Literal(c, _) if is_unicode_space(c) => prefix.push(c),
            Piece::Literal(_, at) => {
                push(
                    errors,
                    LiteralError::new(
                        at,
                        at + 1,
                        "the closing `\"\"\"` of a multi-line string must be on its own line",
                    )
                    .with_help("only whitespace may come before the closing quotes on their line"),
                );
                return String::new();
            }
            _ => {
                push(
                    errors,
                    LiteralError::new(
                        open,
                        open,
                        "only whitespace may come before the closing quotes of a multi-line string",
                    ),
                );
                return String::new();
            }
        }
    }
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let blank = line.iter().all(|p| matches!(p, Piece::Literal(c, _) if is_unicode_space(*c)));
        if blank {
            continue;
        }
        let matches_prefix = line.len() >= prefix.len()
            && line.iter().zip(&prefix).all(|(p, want)| matches!(p, Piece::Literal(c, _) if c == want));
        if !matches_prefix {
            let at =
                line.iter().find_map(|p| if let Piece::Literal(_, at) = p { Some(*at) } else { None }).unwrap_or(open);
            push(
                errors,
                LiteralError::new(
                    at,
                    at + 1,
                    "this line of a multi-line string is not indented like the closing quotes",
                )
                .with_help("every line must start with exactly the whitespace that precedes the closing `\"\"\"`"),
            );
            continue;
        }
        for p in &line[prefix.len()..] {
            match *p {
                Piece::Literal(c, _) | Piece::Escaped(c) => out.push(c),
                Piece::Newline(_) => out.push('\n'),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(token: &str) -> Result<String, Vec<LiteralError>> {
        let mut errors = Vec::new();
        let s = decode_string(token, &mut errors).into_owned();
        if errors.is_empty() { Ok(s) } else { Err(errors) }
    }

    #[test]
    fn numbers_decode() {
        assert_eq!(decode_number("1_000"), Ok(Value::Integer(1000)));
        assert_eq!(decode_number("-0x1F"), Ok(Value::Integer(-31)));
        assert_eq!(decode_number("0b1_0"), Ok(Value::Integer(2)));
        assert_eq!(decode_number("0o17"), Ok(Value::Integer(15)));
        assert_eq!(decode_number("1e10"), Ok(Value::Float(1e10)));
        assert_eq!(decode_number("-1.5E-3"), Ok(Value::Float(-1.5e-3)));
        assert_eq!(decode_number("-9223372036854775808"), Ok(Value::Integer(i64::MIN.into())));
        for bad in
            ["1.", "1.e7", "0x", "0x_1", "1.0.0", "0n", "1._7", "0o8", "9223372036854775808", "0xabcdef1234567890"]
        {
            assert!(decode_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_decode() {
        assert_eq!(string(r#""a\tb\u{1F600}""#), Ok("a\tb\u{1F600}".into()));
        assert_eq!(string("\"a \\\n   b\""), Ok("a b".into()));
        assert_eq!(string("##\"a\"#b\"##"), Ok("a\"#b".into()));
        assert_eq!(string("\"\"\"\n  a\n    b\n  \"\"\""), Ok("a\n  b".into()));
        assert_eq!(string("#\"\"\"\n  a\\n\n  \"\"\"#"), Ok("a\\n".into()));
        assert!(string(r#""\/""#).is_err());
        assert!(string(r#""\u{D800}""#).is_err());
        assert!(string("\"\"\"\n a\n  \"\"\"").is_err());
        assert!(string("\"\"\"one\"\"\"").is_err());
    }
}
