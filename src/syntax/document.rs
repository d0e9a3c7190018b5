//! Builds the `Document` that lowering consumes from the syntax tree.
//!
//! The document holds what the text means: names and values decoded, with
//! spans. Anything commented out with `/-` is left out, and so is anything the
//! parser marked broken: an entry with an error, or a node whose name or
//! structure is wrong (with its children). A node keeps its good entries when
//! one of its entries is broken, so a half-typed `kind=` loses only itself;
//! such a node is marked `incomplete` so that checks do not report the
//! broken entry as missing.

use super::cst::{ChildrenView, EntryView, NodeView, Part, SyntaxTree, TokenIdx};
use super::lexer::TokenKind;
use super::literal;
use super::{Children, Document, Entry, Ident, MAX_DEPTH, Node, Span, Value};

pub(crate) fn build(tree: &SyntaxTree<'_>) -> Document {
    let root = tree.root();
    Document { nodes: nodes(tree, || root.nodes(), 0) }
}

/// Builds a list of nodes with an exact capacity (the tree is walked twice,
/// which is cheaper than a growing `Vec` that may end up twice too big).
fn nodes<'a, 't: 'a, I>(tree: &'a SyntaxTree<'t>, list: impl Fn() -> I, depth: usize) -> Vec<Node>
where
    I: Iterator<Item = NodeView<'a, 't>>,
{
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let count = list().filter(|n| !n.is_broken()).count();
    let mut out = Vec::with_capacity(count);
    out.extend(list().filter_map(|n| node(tree, n, depth)));
    out
}

fn node(tree: &SyntaxTree<'_>, view: NodeView<'_, '_>, depth: usize) -> Option<Node> {
    if view.is_broken() {
        return None;
    }
    // One pass over the node's parts finds the type, the children block and
    // how many entries to make room for.
    let (mut ty_view, mut children_view, mut count, mut incomplete) = (None, None, 0, false);
    for part in view.parts() {
        match part {
            Part::Type(t) if ty_view.is_none() => ty_view = Some(t),
            Part::Entry(e) if e.is_broken() => incomplete = true,
            Part::Entry(_) => count += 1,
            Part::Children(c) if children_view.is_none() => children_view = Some(c),
            _ => {}
        }
    }
    let name = ident(tree, view.name()?)?;
    let ty = match ty_view {
        Some(t) => Some(ident(tree, t.name()?)?),
        None => None,
    };
    let mut entries = Vec::with_capacity(count);
    entries.extend(view.entries().filter_map(|e| entry(tree, e)));
    let children = match children_view {
        Some(c) => Some(children(tree, c, depth)?),
        None => None,
    };
    let start = ty_view.map_or(name.span.start, |t| t.span().start);
    let mut end = name.span.end;
    if let Some(last) = entries.last() {
        end = end.max(last.span.end);
    }
    if let Some(c) = &children {
        end = end.max(c.span.end);
    }
    Some(Node { name, ty, entries, children, span: Span { start, end }, incomplete })
}

fn children(tree: &SyntaxTree<'_>, view: ChildrenView<'_, '_>, depth: usize) -> Option<Children> {
    if view.is_broken() || depth >= MAX_DEPTH {
        return None;
    }
    Some(Children { nodes: nodes(tree, || view.nodes(), depth + 1), span: view.span() })
}

fn entry(tree: &SyntaxTree<'_>, view: EntryView<'_, '_>) -> Option<Entry> {
    if view.is_broken() {
        return None;
    }
    let (key_token, value_token) = view.key_and_value();
    let value_token = value_token?;
    let key = match key_token {
        Some(k) => Some(ident(tree, k)?),
        None => None,
    };
    let ty = match view.ty() {
        Some(t) => Some(ident(tree, t.name()?)?),
        None => None,
    };
    let value = value(tree, value_token)?;
    Some(Entry { key, ty, value, value_span: tree.token_span(value_token), span: view.span() })
}

fn ident(tree: &SyntaxTree<'_>, token: TokenIdx) -> Option<Ident> {
    match value(tree, token)? {
        Value::String(text) => Some(Ident { text, span: tree.token_span(token) }),
        _ => None,
    }
}

fn value(tree: &SyntaxTree<'_>, token: TokenIdx) -> Option<Value> {
    let text = tree.token_text(token);
    match tree.token_kind(token)? {
        TokenKind::Ident => Some(Value::String(text.to_owned())),
        TokenKind::QuotedString | TokenKind::RawString => {
            let mut errors = Vec::new();
            let s = literal::decode_string(text, &mut errors);
            errors.is_empty().then_some(Value::String(s))
        }
        TokenKind::Number => literal::decode_number(text).ok(),
        TokenKind::Keyword => match text {
            "#true" => Some(Value::Bool(true)),
            "#false" => Some(Value::Bool(false)),
            "#null" => Some(Value::Null),
            "#inf" => Some(Value::Float(f64::INFINITY)),
            "#-inf" => Some(Value::Float(f64::NEG_INFINITY)),
            "#nan" => Some(Value::Float(f64::NAN)),
            _ => None,
        },
        _ => None,
    }
}
