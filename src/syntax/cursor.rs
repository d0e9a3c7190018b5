//! What is at a place in a text, for editors: the node and part under the
//! cursor (hover) and the slot being typed (completion).
//!
//! Both work on the lossless tree, so they answer in a file with syntax
//! errors, which is what a file being typed usually has. They report names
//! as written (decoded), never LSP positions: the language server converts.

use super::Span;
use super::cst::{CstKind, EntryView, SyntaxTree};
use super::lexer::{self, TokenKind};
use super::literal;

/// The node or property name under the cursor.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hovered {
    /// The names of the enclosing nodes, outermost first.
    pub(crate) parents: Vec<String>,
    /// The node the cursor is in.
    pub(crate) node: String,
    /// The property key under the cursor, or `None` for the node's name.
    pub(crate) key: Option<String>,
    pub(crate) span: Span,
}

/// The slot the cursor is in while typing.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Typing {
    /// The names of the enclosing nodes, outermost first.
    pub(crate) parents: Vec<String>,
    /// The node being written on this line, unless a node name is being typed.
    pub(crate) node: Option<String>,
    pub(crate) slot: Slot,
    /// The partial word before the cursor (empty at the cursor when there is
    /// none): what a completion replaces.
    pub(crate) replace: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Slot {
    /// Where a node name goes.
    NodeName,
    /// After the node name: the next argument (`args` are written already)
    /// or a property key.
    Entry { args: usize },
    /// After `key=`.
    Value { key: String },
}

/// The text of a string token, decoded (quotes and escapes removed).
pub(crate) fn decode(token: &str) -> String {
    if token.starts_with('"') || token.starts_with('#') {
        let mut errors = Vec::new();
        let complete = token.len() >= 2 && (token.ends_with('"') || token.ends_with('#'));
        if complete {
            let decoded = literal::decode_string(token, &mut errors);
            if errors.is_empty() {
                return decoded.into_owned();
            }
        }
        return token
            .trim_start_matches('#')
            .trim_start_matches('"')
            .trim_end_matches('#')
            .trim_end_matches('"')
            .into();
    }
    token.to_owned()
}

/// `name` written the way `original` was: quoted when the original was
/// quoted or when `name` is not a bare identifier.
pub(crate) fn requote(original: &str, name: &str) -> String {
    let keyword = matches!(name, "true" | "false" | "null" | "inf" | "-inf" | "nan");
    let bare = !original.starts_with(['"', '#']) && !keyword && !name.chars().any(crate::escape::is_hidden) && {
        let lexed = lexer::lex(name);
        lexed.errors.is_empty() && lexed.tokens.len() == 1 && lexed.tokens[0].kind == TokenKind::Ident
    };
    if bare {
        return name.to_owned();
    }
    quoted(name)
}

/// `text` as a KDL v2 quoted string: quotes, backslashes and line breaks
/// escaped, and every character that is hidden or breaks a line
/// (`escape::is_hidden`) written as `\u{..}`.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Every character that is hidden or breaks a line is escaped:
            // KDL refuses some raw (bidirectional overrides, U+FEFF) and
            // takes others as a line break (U+2028) that would end the
            // string.
            c if crate::escape::is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The tree nodes containing token `token`, outermost (the document) first.
fn chain(tree: &SyntaxTree<'_>, token: u32) -> Vec<u32> {
    let mut out = vec![0];
    let mut node = 0;
    'descend: loop {
        for child in tree.child_nodes(node) {
            let n = tree.nodes[child as usize];
            if n.first_token <= token && token < n.end_token {
                out.push(child);
                node = child;
                continue 'descend;
            }
        }
        return out;
    }
}

/// The name token of a KDL node: its first value among its own tokens.
fn name_token(tree: &SyntaxTree<'_>, node: u32) -> Option<u32> {
    tree.own_tokens(node).find(|&t| tree.token_kind(t).is_some_and(TokenKind::is_value))
}

fn name_of(tree: &SyntaxTree<'_>, node: u32) -> String {
    name_token(tree, node).map(|t| decode(tree.token_text(t))).unwrap_or_default()
}

/// The names of the nodes whose children block is in `chain`.
fn parents(tree: &SyntaxTree<'_>, chain: &[u32]) -> Vec<String> {
    chain
        .windows(2)
        .filter(|w| {
            tree.nodes[w[0] as usize].kind == CstKind::Node && tree.nodes[w[1] as usize].kind == CstKind::Children
        })
        .map(|w| name_of(tree, w[0]))
        .collect()
}

/// The token holding byte `offset`, or the word token ending there.
fn token_at(tree: &SyntaxTree<'_>, offset: u32) -> Option<u32> {
    let after = tree.tokens.partition_point(|t| t.start <= offset);
    let at = after.checked_sub(1)? as u32;
    let is_word = |t: u32| tree.token_kind(t).is_some_and(TokenKind::is_value);
    if tree.token_span(at).start == offset && at > 0 && is_word(at - 1) && !is_word(at) {
        return Some(at - 1);
    }
    Some(at)
}

/// The node or property name at `offset`, if that is what is there.
pub(crate) fn hovered(tree: &SyntaxTree<'_>, offset: u32) -> Option<Hovered> {
    let token = token_at(tree, offset)?;
    let chain = chain(tree, token);
    let node = *chain.iter().rev().find(|&&n| tree.nodes[n as usize].kind == CstKind::Node)?;
    let parents = parents(tree, &chain[..chain.iter().position(|&n| n == node)?]);
    let span = tree.token_span(token);
    if name_token(tree, node) == Some(token) {
        return Some(Hovered { parents, node: name_of(tree, node), key: None, span });
    }
    let entry = *chain.last()?;
    if tree.nodes[entry as usize].kind == CstKind::Entry {
        let (key, _) = EntryView::new(tree, entry).key_and_value();
        if key == Some(token) {
            return Some(Hovered {
                parents,
                node: name_of(tree, node),
                key: Some(decode(tree.token_text(token))),
                span,
            });
        }
    }
    None
}

/// The slot being typed at `offset`.
pub(crate) fn typing(tree: &SyntaxTree<'_>, offset: u32) -> Typing {
    let text = tree.text;
    let mut offset = (offset as usize).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let offset = offset as u32;
    // The word being typed: a string, number or keyword token that the
    // cursor is inside or just after.
    let before = offset.checked_sub(1).and_then(|o| token_at(tree, o));
    let partial = before.filter(|&t| {
        tree.token_kind(t).is_some_and(|k| k.is_value() || k == TokenKind::Garbage) && tree.token_span(t).end >= offset
    });
    let replace = match partial {
        Some(t) => Span::new(tree.token_span(t).start as usize, offset as usize),
        None => Span::new(offset as usize, offset as usize),
    };
    let reference = partial.or(before).unwrap_or(0);
    let parents = parents(tree, &chain(tree, reference));
    // The node being written on this line: the text since the line start,
    // or since the last `{`, `;` or `}` on it.
    let line_start = text[..offset as usize].rfind(['\n', '\r']).map_or(0, |i| i + 1) as u32;
    let first = tree.tokens.partition_point(|t| t.start < line_start) as u32;
    let end = tree.tokens.partition_point(|t| t.start < replace.start) as u32;
    let mut words: Vec<u32> = Vec::new();
    for t in first..end {
        match tree.token_kind(t) {
            Some(TokenKind::OpenBrace | TokenKind::CloseBrace | TokenKind::Semicolon) => words.clear(),
            Some(
                TokenKind::Whitespace
                | TokenKind::Newline
                | TokenKind::LineComment
                | TokenKind::BlockComment
                | TokenKind::SlashDash
                | TokenKind::Bom,
            ) => {}
            Some(_) => words.push(t),
            None => {}
        }
    }
    let Some((&name, rest)) = words.split_first() else {
        return Typing { parents, node: None, slot: Slot::NodeName, replace };
    };
    let node = Some(decode(tree.token_text(name)));
    let kind = |t: u32| tree.token_kind(t);
    let slot = match rest {
        [.., key, last] if kind(*last) == Some(TokenKind::Equals) => Slot::Value { key: decode(tree.token_text(*key)) },
        _ => {
            let mut args = 0;
            let mut i = 0;
            while i < rest.len() {
                if rest.get(i + 1).is_some_and(|&t| kind(t) == Some(TokenKind::Equals)) {
                    i += 3;
                } else {
                    args += usize::from(kind(rest[i]).is_some_and(TokenKind::is_value));
                    i += 1;
                }
            }
            Slot::Entry { args }
        }
    };
    Typing { parents, node, slot, replace }
}

/// What a token is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    NodeName,
    Key,
    String,
    Number,
    Keyword,
    Comment,
}

/// Every token worth colouring, in text order, with its span.
pub(crate) fn classify(tree: &SyntaxTree<'_>) -> Vec<(Span, Class)> {
    let mut role = vec![None; tree.tokens.len()];
    for (index, node) in tree.nodes.iter().enumerate() {
        let index = index as u32;
        match node.kind {
            CstKind::Node => {
                if let Some(t) = name_token(tree, index) {
                    role[t as usize] = Some(Class::NodeName);
                }
            }
            CstKind::Entry => {
                if let (Some(t), _) = EntryView::new(tree, index).key_and_value() {
                    role[t as usize] = Some(Class::Key);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (t, given) in role.into_iter().enumerate() {
        let t = t as u32;
        let class = given.or(match tree.token_kind(t) {
            Some(TokenKind::QuotedString | TokenKind::RawString | TokenKind::Ident) => Some(Class::String),
            Some(TokenKind::Number) => Some(Class::Number),
            Some(TokenKind::Keyword) => Some(Class::Keyword),
            Some(TokenKind::LineComment | TokenKind::BlockComment | TokenKind::SlashDash) => Some(Class::Comment),
            _ => None,
        });
        if let Some(class) = class {
            out.push((tree.token_span(t), class));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::syntax::parse_tree;

    fn typing_at(text: &str) -> Typing {
        let at = text.find('|').unwrap();
        let text = text.replace('|', "");
        let (tree, _) = parse_tree(&text);
        typing(&tree, at as u32)
    }

    #[test]
    fn slots_are_found_in_broken_files() {
        let t = typing_at("flow \"f\" {\n    on \"lead.|\n");
        assert_eq!(
            (t.parents, t.node.as_deref(), t.slot),
            (vec!["flow".to_owned()], Some("on"), Slot::Entry { args: 0 })
        );
        assert_eq!(t.replace.len(), 6);
        let t = typing_at("flow \"f\" {\n    to crm act|\n}");
        assert_eq!((t.node.as_deref(), t.slot), (Some("to"), Slot::Entry { args: 1 }));
        let t = typing_at("system \"a\" kind=|\n");
        assert_eq!((t.node.as_deref(), t.slot), (Some("system"), Slot::Value { key: "kind".into() }));
        let t = typing_at("system \"a\" kind=crm {\n    entity \"e\" {\n        |\n");
        assert_eq!((t.parents, t.slot), (vec!["system".to_owned(), "entity".to_owned()], Slot::NodeName));
        let t = typing_at("sys|");
        assert_eq!((t.node, t.slot, t.replace.len()), (None, Slot::NodeName, 3));
    }

    #[test]
    fn hover_finds_node_names_and_keys() {
        let text = "system \"a\" kind=crm {\n    rate-limit 5 per=second\n}\n";
        let (tree, _) = parse_tree(text);
        let h = hovered(&tree, text.find("rate").unwrap() as u32 + 2).unwrap();
        assert_eq!((h.parents, h.node.as_str(), h.key), (vec!["system".to_owned()], "rate-limit", None));
        let h = hovered(&tree, text.find("per=").unwrap() as u32).unwrap();
        assert_eq!(h.key.as_deref(), Some("per"));
        assert!(hovered(&tree, text.find("second").unwrap() as u32).is_none());
    }

    #[test]
    fn names_are_quoted_when_they_must_be() {
        assert_eq!(requote("crm", "hub"), "hub");
        assert_eq!(requote("crm", "a b"), "\"a b\"");
        assert_eq!(requote("\"x\"", "y"), "\"y\"");
        assert_eq!(requote("crm", "true"), "\"true\"");
        // Hidden characters are escaped, never written raw, bare or quoted.
        assert_eq!(requote("crm", "a\u{200b}b"), "\"a\\u{200b}b\"");
        assert_eq!(requote("\"x\"", "a\u{202e}\u{2028}\u{feff}"), "\"a\\u{202e}\\u{2028}\\u{feff}\"");
        assert_eq!(decode("\"a\\\"b\""), "a\"b");
    }
}
