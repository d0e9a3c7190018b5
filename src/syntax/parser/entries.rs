//! The parser's entries: arguments and properties of a node, their values
//! and type annotations, each error at its own token (a second `impl` block
//! of `Parser`, beside the nodes and blocks in `mod.rs`).

use super::super::cst::CstKind;
use super::super::lexer::TokenKind;
use super::Parser;

impl Parser<'_, '_> {
    /// `(type)`; returns whether it was well formed.
    pub(super) fn type_annotation(&mut self) -> bool {
        let index = self.start(CstKind::TypeAnnotation);
        let open = self.pos;
        self.bump();
        self.skip_node_space();
        let mut ok = true;
        match self.peek() {
            Some(kind) if kind.is_string() => {
                ok &= !self.is_malformed(self.pos);
                self.bump();
            }
            Some(TokenKind::CloseParen) => {
                let span = self.token_span(open).cover(self.token_span(self.pos));
                self.error_span(
                    span,
                    "a type annotation cannot be empty",
                    Some("write a type name inside the parentheses, or remove them"),
                );
                ok = false;
            }
            Some(TokenKind::SlashDash) => {
                self.error_at(self.pos, "`/-` cannot be used inside a type annotation", None);
                self.bump();
                ok = false;
            }
            Some(TokenKind::Garbage) => {
                self.bump();
                ok = false;
            }
            Some(kind @ (TokenKind::Number | TokenKind::Keyword)) => {
                if !self.is_malformed(self.pos) {
                    self.error_at(self.pos, format!("a type name must be a string, not {}", kind.describe()), None);
                }
                self.bump();
                ok = false;
            }
            _ => {
                self.error_at(open, "this `(` starts a type annotation that has no type name", None);
                ok = false;
            }
        }
        self.skip_node_space();
        if self.peek() == Some(TokenKind::CloseParen) {
            self.bump();
        } else if ok {
            self.error_at(open, "this type annotation is never closed", Some("add `)` after the type name"));
            ok = false;
        }
        self.finish(index, self.last_significant, !ok);
        ok
    }

    /// A value after `=` or a type annotation; reports `expected` otherwise.
    pub(super) fn value(&mut self, after: usize, expected: &str) -> bool {
        match self.peek() {
            Some(kind) if kind.is_value() => {
                let ok = !self.is_malformed(self.pos);
                self.bump();
                ok
            }
            Some(TokenKind::Garbage) => {
                self.bump();
                false
            }
            _ => {
                if !self.is_malformed(after) {
                    self.error_at(after, expected.to_owned(), Some("write a value such as \"text\", 10 or #true"));
                }
                false
            }
        }
    }

    /// An argument or a property; marks the entry broken on any error.
    pub(super) fn entry(&mut self) {
        let index = self.start(CstKind::Entry);
        let mut ok = true;
        match self.peek() {
            Some(TokenKind::OpenParen) => {
                ok &= self.type_annotation();
                let close = self.last_significant.saturating_sub(1);
                self.skip_node_space();
                if self.peek() == Some(TokenKind::SlashDash) {
                    self.error_at(
                        self.pos,
                        "`/-` cannot come between a type annotation and its value",
                        Some("put `/-` before the `(`"),
                    );
                    self.bump();
                    ok = false;
                } else {
                    ok &= self.value(close, "a type annotation must be followed by a value");
                }
                // `(type)key=value` puts the annotation on the wrong side.
                let save = self.pos;
                self.skip_node_space();
                if self.peek() == Some(TokenKind::Equals) {
                    self.error_at(
                        self.pos,
                        "a type annotation cannot come before a property key",
                        Some("annotate the value instead: key=(type)value"),
                    );
                    self.bump();
                    self.skip_node_space();
                    self.property_value();
                    ok = false;
                } else {
                    self.pos = save;
                }
            }
            Some(kind) if kind.is_string() => {
                ok &= !self.is_malformed(self.pos);
                self.bump();
                let after_key = self.pos;
                self.skip_node_space();
                if self.peek() == Some(TokenKind::Equals) {
                    self.bump();
                    ok &= self.property_value();
                } else {
                    self.pos = after_key;
                }
            }
            Some(TokenKind::Number | TokenKind::Keyword) => {
                ok &= !self.is_malformed(self.pos);
                self.bump();
                let after_value = self.pos;
                self.skip_node_space();
                if self.peek() == Some(TokenKind::Equals) {
                    if ok {
                        self.error_at(self.pos, "a property key must be a string", Some("quote the key"));
                    }
                    self.bump();
                    self.property_value();
                    ok = false;
                } else {
                    self.pos = after_value;
                }
            }
            Some(TokenKind::Equals) => {
                self.error_at(
                    self.pos,
                    "this `=` has no property key before it",
                    Some("write key=value without spaces around the key"),
                );
                self.bump();
                self.property_value();
                ok = false;
            }
            Some(TokenKind::Garbage) => {
                self.bump();
                ok = false;
            }
            Some(TokenKind::SlashDash) => {
                self.error_at(self.pos, "`/-` cannot comment out another `/-`", Some("remove one of them"));
                self.bump();
                ok = false;
            }
            Some(kind) => {
                self.error_at(self.pos, format!("unexpected {kind_name}", kind_name = kind.describe()), None);
                self.bump();
                ok = false;
            }
            None => ok = false,
        }
        self.finish(index, self.last_significant, !ok);
    }

    /// What follows `=`: optional space, an optional type annotation, a value.
    pub(super) fn property_value(&mut self) -> bool {
        let equals = self.pos.saturating_sub(1);
        self.skip_node_space();
        match self.peek() {
            Some(TokenKind::OpenParen) => {
                let mut ok = self.type_annotation();
                let close = self.last_significant.saturating_sub(1);
                self.skip_node_space();
                ok &= self.value(close, "a type annotation must be followed by a value");
                ok
            }
            Some(TokenKind::SlashDash) => {
                self.error_at(
                    self.pos,
                    "`/-` cannot comment out only the value of a property",
                    Some("put `/-` before the key"),
                );
                self.bump();
                false
            }
            _ => {
                // The key is the string just before `=`, past any whitespace;
                // the walk back stops at the first other token, so it stays
                // linear even in a file full of stray `=`.
                let mut at = equals;
                while at > 0 && matches!(self.kind_at(at - 1), Some(TokenKind::Whitespace | TokenKind::BlockComment)) {
                    at -= 1;
                }
                let key = at
                    .checked_sub(1)
                    .filter(|&k| self.kind_at(k).is_some_and(TokenKind::is_string))
                    .map(|k| self.token_text(k).to_owned());
                let message = match key {
                    Some(key) => format!("the property `{key}` has no value"),
                    None => "this property has no value".to_owned(),
                };
                self.value(equals, &message)
            }
        }
    }
}
