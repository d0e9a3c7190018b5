//! Splits KDL v2 text into tokens that cover every byte, comments and
//! whitespace included.
//!
//! The lexer never fails: text it cannot make sense of becomes a `Garbage`
//! token, and a literal with a problem inside (a bad escape, a malformed
//! number, an unterminated string) is still one token, marked malformed, with
//! an error whose span is exactly the bad part. The parser then only has to
//! look at token kinds. Because tokens are contiguous, a token stores only
//! where it starts; it ends where the next one starts.

use super::literal::{self, LiteralError};
use super::{Span, SyntaxError};

/// What a token is. Trivia (whitespace, newlines, comments, line
/// continuations) is kept so that the tree prints back to the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum TokenKind {
    /// A byte-order mark at the very start of the text.
    Bom,
    /// A run of `unicode-space` characters.
    Whitespace,
    /// One newline; `\r\n` is one token.
    Newline,
    /// `//` up to (not including) the end of the line.
    LineComment,
    /// `/* ... */`, nested comments included.
    BlockComment,
    /// `\`, which starts a line continuation.
    Backslash,
    OpenBrace,
    CloseBrace,
    OpenParen,
    CloseParen,
    Equals,
    Semicolon,
    /// `/-`, which comments out the next node, entry or children block.
    SlashDash,
    /// A bare identifier string such as `node` or `--`.
    Ident,
    /// `"..."` or `"""..."""`.
    QuotedString,
    /// `#"..."#` or `#"""..."""#` with any number of `#`.
    RawString,
    /// A decimal, hexadecimal, octal or binary number.
    Number,
    /// `#true`, `#false`, `#null`, `#inf`, `#-inf` or `#nan`.
    Keyword,
    /// Text that is not part of any token: a disallowed character, a stray
    /// `/`, `[`, `]`, or an unknown `#keyword`.
    Garbage,
}

impl TokenKind {
    /// Whether the token can be a node name or property key.
    pub(crate) fn is_string(self) -> bool {
        matches!(self, TokenKind::Ident | TokenKind::QuotedString | TokenKind::RawString)
    }

    /// Whether the token is a value (argument or property value).
    pub(crate) fn is_value(self) -> bool {
        self.is_string() || matches!(self, TokenKind::Number | TokenKind::Keyword)
    }

    /// How the token is named in messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            TokenKind::Bom => "a byte-order mark",
            TokenKind::Whitespace => "whitespace",
            TokenKind::Newline => "a newline",
            TokenKind::LineComment | TokenKind::BlockComment => "a comment",
            TokenKind::Backslash => "`\\`",
            TokenKind::OpenBrace => "`{`",
            TokenKind::CloseBrace => "`}`",
            TokenKind::OpenParen => "`(`",
            TokenKind::CloseParen => "`)`",
            TokenKind::Equals => "`=`",
            TokenKind::Semicolon => "`;`",
            TokenKind::SlashDash => "`/-`",
            TokenKind::Ident | TokenKind::QuotedString | TokenKind::RawString => "a string",
            TokenKind::Number => "a number",
            TokenKind::Keyword => "a keyword",
            TokenKind::Garbage => "invalid text",
        }
    }
}

/// One token: its kind, where it starts, and whether the lexer found a
/// problem inside it (already reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) start: u32,
    pub(crate) kind: TokenKind,
    pub(crate) malformed: bool,
}

/// What the lexer produces.
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) errors: Vec<SyntaxError>,
    /// How many things were seen that only make sense in KDL v1 (bare
    /// `true`, `r"raw"` strings, the `\/` escape, newlines in `"..."`).
    pub(crate) v1_signals: u32,
}

pub(crate) fn lex(text: &str) -> Lexed {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        // Measured on wireplan-like specs: about one token per 4-5 bytes.
        out: Lexed { tokens: Vec::with_capacity(text.len() / 4 + 16), ..Lexed::default() },
    };
    lexer.run();
    lexer.out
}

struct Lexer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    out: Lexed,
}

impl Lexer<'_> {
    fn run(&mut self) {
        if self.text.starts_with('\u{FEFF}') {
            self.push(0, TokenKind::Bom, false);
            self.pos = 3;
        }
        while let Some(&b) = self.bytes.get(self.pos) {
            let start = self.pos;
            let (kind, malformed) = match b {
                b' ' | b'\t' => {
                    self.pos += 1;
                    self.skip_whitespace();
                    (TokenKind::Whitespace, false)
                }
                b'\n' | 0x0B | 0x0C => {
                    self.pos += 1;
                    (TokenKind::Newline, false)
                }
                b'\r' => {
                    self.pos += if self.bytes.get(start + 1) == Some(&b'\n') { 2 } else { 1 };
                    (TokenKind::Newline, false)
                }
                b'{' => self.single(TokenKind::OpenBrace),
                b'}' => self.single(TokenKind::CloseBrace),
                b'(' => self.single(TokenKind::OpenParen),
                b')' => self.single(TokenKind::CloseParen),
                b'=' => self.single(TokenKind::Equals),
                b';' => self.single(TokenKind::Semicolon),
                b'\\' => self.single(TokenKind::Backslash),
                b'/' => self.slash(),
                b'"' => self.quoted_string(start),
                b'#' => self.hash(),
                b'[' | b']' => {
                    self.pos += 1;
                    self.error(
                        start,
                        self.pos,
                        format!("`{}` is not allowed here", b as char),
                        Some("square brackets cannot appear in a bare identifier; quote the string".into()),
                    );
                    (TokenKind::Garbage, true)
                }
                _ if b < 0x80 && !literal::is_ascii_ident_byte(b) => {
                    // A control character that is not whitespace or a newline.
                    self.pos += 1;
                    self.disallowed(start, b as char);
                    (TokenKind::Garbage, true)
                }
                _ if b < 0x80 => self.word(start),
                _ => {
                    let c = self.text.get(start..).and_then(|s| s.chars().next()).unwrap_or('\u{FFFD}');
                    if literal::is_unicode_space(c) {
                        self.pos += c.len_utf8();
                        self.skip_whitespace();
                        (TokenKind::Whitespace, false)
                    } else if literal::is_newline(c) {
                        self.pos += c.len_utf8();
                        (TokenKind::Newline, false)
                    } else if literal::is_disallowed(c) {
                        self.pos += c.len_utf8();
                        self.disallowed(start, c);
                        (TokenKind::Garbage, true)
                    } else {
                        self.word(start)
                    }
                }
            };
            self.push(start, kind, malformed);
        }
    }

    fn push(&mut self, start: usize, kind: TokenKind, malformed: bool) {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        self.out.tokens.push(Token { start, kind, malformed });
    }

    fn single(&mut self, kind: TokenKind) -> (TokenKind, bool) {
        self.pos += 1;
        (kind, false)
    }

    fn error(&mut self, start: usize, end: usize, message: String, help: Option<String>) {
        let error = SyntaxError { span: Span::new(start, end), message, label: None, help, more: 0 };
        super::push_bounded(&mut self.out.errors, error);
    }

    fn literal_errors(&mut self, base: usize, errors: Vec<LiteralError>) {
        for e in errors {
            if e.message.contains("`\\/`") || e.help.as_deref().is_some_and(|h| h.contains("KDL v1")) {
                self.out.v1_signals += 1;
            }
            let error = SyntaxError {
                span: Span::new(base + e.start, base + e.end),
                message: e.message,
                label: None,
                help: e.help,
                more: e.more,
            };
            super::push_bounded(&mut self.out.errors, error);
        }
    }

    fn disallowed(&mut self, start: usize, c: char) {
        let e = literal::disallowed_error(c, start);
        self.error(e.start, e.end, e.message, e.help);
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..)?.chars().next()
    }

    fn skip_whitespace(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b' ' || b == b'\t' {
                self.pos += 1;
            } else if b >= 0x80 {
                match self.char_at(self.pos) {
                    Some(c) if literal::is_unicode_space(c) => self.pos += c.len_utf8(),
                    _ => break,
                }
            } else {
                break;
            }
        }
    }

    /// Advances to the next newline (or the end), without consuming it.
    fn skip_to_newline(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b'\n' | b'\r' | 0x0B | 0x0C) {
                return;
            }
            if b >= 0x80 && literal::newline_len(self.text, self.pos).is_some() {
                return;
            }
            self.pos += 1;
        }
    }

    fn slash(&mut self) -> (TokenKind, bool) {
        let start = self.pos;
        match self.bytes.get(start + 1) {
            Some(b'/') => {
                self.pos += 2;
                self.skip_to_newline();
                self.check_disallowed(start + 2, self.pos);
                (TokenKind::LineComment, false)
            }
            Some(b'*') => {
                self.pos += 2;
                let mut depth = 1usize;
                while depth > 0 {
                    match (self.bytes.get(self.pos), self.bytes.get(self.pos + 1)) {
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            self.pos += 2;
                        }
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            self.pos += 2;
                        }
                        (Some(_), _) => self.pos += 1,
                        (None, _) => {
                            self.error(
                                start,
                                start + 2,
                                "this comment is never closed".into(),
                                Some(
                                    "close it with `*/` (block comments nest, so each `/*` needs its own `*/`)".into(),
                                ),
                            );
                            self.pos = self.text.len();
                            return (TokenKind::BlockComment, true);
                        }
                    }
                }
                // Never split a character: step back onto a boundary if needed.
                while !self.text.is_char_boundary(self.pos) {
                    self.pos += 1;
                }
                self.check_disallowed(start + 2, self.pos);
                (TokenKind::BlockComment, false)
            }
            Some(b'-') => {
                self.pos += 2;
                (TokenKind::SlashDash, false)
            }
            _ => {
                self.pos += 1;
                self.error(
                    start,
                    start + 1,
                    "unexpected `/`".into(),
                    Some(
                        "`/` cannot appear in a bare identifier; quote the string, or write `//` for a comment".into(),
                    ),
                );
                (TokenKind::Garbage, true)
            }
        }
    }

    /// Reports disallowed code points inside a comment.
    fn check_disallowed(&mut self, from: usize, to: usize) {
        let Some(slice) = self.text.get(from..to) else { return };
        if slice.bytes().all(|b| b >= 0x20 && b != 0x7F && b < 0x80 || b == b'\t') {
            return;
        }
        let found: Vec<(usize, char)> = slice.char_indices().filter(|&(_, c)| literal::is_disallowed(c)).collect();
        for (i, c) in found {
            self.disallowed(from + i, c);
        }
    }

    /// A bare word: an identifier or a number, which share their characters.
    fn word(&mut self, start: usize) -> (TokenKind, bool) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b < 0x80 {
                if literal::is_ascii_ident_byte(b) {
                    self.pos += 1;
                } else {
                    break;
                }
            } else {
                match self.char_at(self.pos) {
                    Some(c) if literal::is_ident_char(c) => self.pos += c.len_utf8(),
                    _ => break,
                }
            }
        }
        let word = self.text.get(start..self.pos).unwrap_or("");
        let bytes = word.as_bytes();
        let unsigned = match bytes.first() {
            Some(b'+' | b'-') => &bytes[1..],
            _ => bytes,
        };
        let numeric = unsigned.first().is_some_and(u8::is_ascii_digit)
            || (unsigned.first() == Some(&b'.') && unsigned.get(1).is_some_and(u8::is_ascii_digit));
        if numeric {
            return match literal::decode_number(word) {
                Ok(_) => (TokenKind::Number, false),
                Err(e) => {
                    let help = e.help.or_else(|| {
                        Some(
                            "a bare word that starts like a number must be a number; quote it to make it a string"
                                .into(),
                        )
                    });
                    self.error(start, self.pos, e.message, help);
                    (TokenKind::Number, true)
                }
            };
        }
        let keyword = match word {
            "true" | "false" | "null" => {
                self.out.v1_signals += 1;
                Some(format!("`#{word}`"))
            }
            "inf" | "-inf" | "nan" => Some(format!("`#{word}`")),
            _ => None,
        };
        if let Some(keyword) = keyword {
            self.error(
                start,
                self.pos,
                format!("`{word}` cannot be a bare identifier"),
                Some(format!("write {keyword} for the value, or \"{word}\" for the string")),
            );
            return (TokenKind::Ident, true);
        }
        // `r"..."` and `r#"..."#` are KDL v1 raw strings.
        if word == "r" && matches!(self.bytes.get(self.pos), Some(b'"' | b'#')) {
            self.out.v1_signals += 1;
        }
        (TokenKind::Ident, false)
    }

    /// `"..."` or `"""..."""`. An unterminated one-line string ends at the end
    /// of its line so that the next line still parses.
    fn quoted_string(&mut self, start: usize) -> (TokenKind, bool) {
        if self.bytes.get(start..start + 3) == Some(b"\"\"\"") {
            self.pos = start + 3;
            return self.multi_line_body(start, 0);
        }
        self.pos = start + 1;
        // Plain text (printable ASCII other than `"` and `\`) is by far the
        // common case: skip it a byte at a time without decoding.
        let mut plain = true;
        let terminated = loop {
            while self.bytes.get(self.pos).is_some_and(|&b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\') {
                self.pos += 1;
            }
            match self.bytes.get(self.pos) {
                None => break false,
                Some(b'"') => {
                    self.pos += 1;
                    break true;
                }
                Some(b'\\') => {
                    plain = false;
                    self.pos += 1;
                    // A whitespace escape may span lines; skip all of it.
                    let mut skipped = false;
                    loop {
                        if let Some(n) = literal::newline_len(self.text, self.pos) {
                            self.pos += n;
                            skipped = true;
                        } else {
                            match self.char_at(self.pos) {
                                Some(c) if literal::is_unicode_space(c) => {
                                    self.pos += c.len_utf8();
                                    skipped = true;
                                }
                                _ => break,
                            }
                        }
                    }
                    if !skipped && let Some(c) = self.char_at(self.pos) {
                        self.pos += c.len_utf8();
                    }
                }
                Some(_) => {
                    plain = false;
                    if literal::newline_len(self.text, self.pos).is_some() {
                        break false;
                    }
                    self.pos += self.char_at(self.pos).map_or(1, char::len_utf8);
                }
            }
        };
        if terminated && plain {
            return (TokenKind::QuotedString, false);
        }
        if !terminated {
            // While typing `node "name {`, the `{` at the end of the line is
            // far more likely to open a block than to belong to the string:
            // end the string before it so the block structure survives.
            let line = self.text.get(start..self.pos).unwrap_or("");
            let trimmed = line.trim_end_matches(literal::is_unicode_space);
            if let Some(before_brace) = trimmed.strip_suffix('{') {
                let kept = before_brace.trim_end_matches(literal::is_unicode_space);
                if kept.len() > 1 && !kept.ends_with('\\') {
                    self.pos = start + kept.len();
                }
            }
            self.error(
                start,
                self.pos,
                "this string is never closed".into(),
                Some("add the closing `\"`; a string that spans lines must be written `\"\"\"` ... `\"\"\"`".into()),
            );
            return (TokenKind::QuotedString, true);
        }
        self.decode_check(start)
    }

    /// Scans a multi-line string body (quoted or raw with `hashes` `#`s) from
    /// just after its opening quotes to its closing quotes.
    fn multi_line_body(&mut self, start: usize, hashes: usize) -> (TokenKind, bool) {
        let raw = hashes > 0;
        let kind = if raw { TokenKind::RawString } else { TokenKind::QuotedString };
        loop {
            match self.bytes.get(self.pos) {
                None => {
                    self.error(
                        start,
                        start + hashes + 3,
                        "this multi-line string is never closed".into(),
                        Some(format!("close it with `\"\"\"{}` on a line of its own", "#".repeat(hashes))),
                    );
                    return (kind, true);
                }
                Some(b'\\') if !raw => {
                    self.pos += 1;
                    if let Some(c) = self.char_at(self.pos) {
                        self.pos += c.len_utf8();
                    }
                }
                Some(b'"')
                    if self.bytes.get(self.pos..self.pos + 3) == Some(b"\"\"\"")
                        && self.hashes_at(self.pos + 3) >= hashes =>
                {
                    self.pos += 3 + hashes;
                    return self.decode_check(start);
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn hashes_at(&self, at: usize) -> usize {
        self.bytes.get(at..).map_or(0, |rest| rest.iter().take_while(|&&b| b == b'#').count())
    }

    /// Validates a complete string token with the same decoder the document
    /// builder uses, reporting every problem at its own span.
    fn decode_check(&mut self, start: usize) -> (TokenKind, bool) {
        let token = self.text.get(start..self.pos).unwrap_or("");
        let kind = if token.starts_with('#') { TokenKind::RawString } else { TokenKind::QuotedString };
        let mut errors = Vec::new();
        // Strings without escapes or unusual characters need no decoding.
        let plain = !token.starts_with("\"\"\"")
            && !token.starts_with('#')
            && token.bytes().all(|b| b >= 0x20 && b != b'\\' && b != 0x7F && b < 0x80);
        if !plain {
            literal::decode_string(token, &mut errors);
        }
        let malformed = !errors.is_empty();
        self.literal_errors(start, errors);
        (kind, malformed)
    }

    /// `#` starts a raw string (`#"`, `##"`, ...) or a keyword (`#true`).
    fn hash(&mut self) -> (TokenKind, bool) {
        let start = self.pos;
        let hashes = self.hashes_at(start);
        if self.bytes.get(start + hashes) == Some(&b'"') {
            if self.bytes.get(start + hashes..start + hashes + 3) == Some(b"\"\"\"") {
                self.pos = start + hashes + 3;
                return self.multi_line_body(start, hashes);
            }
            self.pos = start + hashes + 1;
            loop {
                match self.bytes.get(self.pos) {
                    None => break,
                    Some(b'"') if self.hashes_at(self.pos + 1) >= hashes => {
                        self.pos += 1 + hashes;
                        return self.decode_check(start);
                    }
                    Some(_) => {
                        if literal::newline_len(self.text, self.pos).is_some() {
                            break;
                        }
                        self.pos += self.char_at(self.pos).map_or(1, char::len_utf8);
                    }
                }
            }
            self.error(
                start,
                self.pos,
                "this raw string is never closed".into(),
                Some(format!(
                    "close it with `\"{}` on the same line, or use `{}\"\"\"` for a multi-line raw string",
                    "#".repeat(hashes),
                    "#".repeat(hashes)
                )),
            );
            return (TokenKind::RawString, true);
        }
        // A keyword: `#` and identifier characters.
        self.pos = start + 1;
        while let Some(c) = self.char_at(self.pos) {
            if literal::is_ident_char(c) {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        let word = self.text.get(start..self.pos).unwrap_or("#");
        if matches!(word, "#true" | "#false" | "#null" | "#inf" | "#-inf" | "#nan") {
            return (TokenKind::Keyword, false);
        }
        if hashes > 1 {
            self.pos = start + hashes;
        }
        self.error(
            start,
            self.pos,
            format!("`{word}` is not a keyword"),
            Some(
                "the keywords are #true, #false, #null, #inf, #-inf and #nan; `#` cannot appear in a bare identifier"
                    .into(),
            ),
        );
        (TokenKind::Garbage, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).tokens.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn tokens_cover_the_text() {
        use TokenKind::*;
        assert_eq!(
            kinds("node 1 key=#\"raw\"# /* c /* d */ */ // x\r\n"),
            vec![
                Ident,
                Whitespace,
                Number,
                Whitespace,
                Ident,
                Equals,
                RawString,
                Whitespace,
                BlockComment,
                Whitespace,
                LineComment,
                Newline
            ]
        );
        assert_eq!(kinds("a\u{2028}b\u{3000}c"), vec![Ident, Newline, Ident, Whitespace, Ident]);
    }

    #[test]
    fn problems_have_precise_spans() {
        let text = "node \"a\\qb\" 1.";
        let lexed = lex(text);
        assert_eq!(lexed.errors.len(), 2, "{:?}", lexed.errors);
        assert_eq!(&text[lexed.errors[0].span.range()], "\\q");
        assert_eq!(&text[lexed.errors[1].span.range()], "1.");
    }

    #[test]
    fn unterminated_string_stops_at_end_of_line() {
        let lexed = lex("a \"open\nb 1\n");
        assert_eq!(lexed.errors.len(), 1);
        let kinds: Vec<_> = lexed.tokens.iter().map(|t| t.kind).collect();
        assert_eq!(kinds[2], TokenKind::QuotedString);
        assert_eq!(kinds[3], TokenKind::Newline);
    }
}
