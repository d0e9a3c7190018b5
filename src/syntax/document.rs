//! The typed view that lowering reads: `Document`, `Node`, `Children` and
//! `Entry` over the syntax tree, without copying it.
//!
//! A view holds what the text means: names and values decoded (borrowing the
//! source unless a string had escapes), with spans. Anything commented out
//! with `/-` is left out, and so is anything the parser marked broken: an
//! entry with an error, a node whose name is missing or not a string (with its
//! children), a children block nested deeper than `MAX_DEPTH`. A node keeps
//! its good entries when one of them is broken, so a half-typed `kind=` loses
//! only itself; such a node is marked `incomplete` so that checks do not
//! report the broken entry as missing.
//!
//! Views are built as they are visited, so a document costs no memory beyond
//! its tree, and a node's entries are decoded each time they are asked for.

use std::borrow::Cow;

use super::cst::{ChildrenView, EntryView, NodeView, Part, SyntaxTree, TokenIdx};
use super::lexer::TokenKind;
use super::literal;
use super::{Children, Document, Entry, Ident, Node, Span, Value};

impl<'a> Document<'a> {
    /// The top-level nodes, in source order.
    pub(crate) fn nodes(self) -> impl Iterator<Item = Node<'a>> {
        let tree = self.tree;
        tree.root().nodes().skip(self.first).take(self.len).filter_map(move |view| node(tree, view))
    }

    /// Calls `f` with every string (quoted, raw or bare) of at least
    /// `min_len` bytes as written, decoded, with its span: values, names and
    /// keys, including those commented out with `/-`, which are still in
    /// the file. The documents `split` makes share the file's tokens out
    /// among them, so each string is seen once.
    pub(crate) fn for_each_string_token(self, min_len: usize, mut f: impl FnMut(&str, Span)) {
        let tree = self.tree;
        let mut tops = tree.root().nodes().skip(self.first);
        let start =
            if self.first == 0 { 0 } else { tops.next().map_or(0, |n| tree.nodes[n.index as usize].first_token) };
        let mut rest = tree.root().nodes().skip(self.first + self.len);
        let end = rest.next().map_or(tree.tokens.len() as u32, |n| tree.nodes[n.index as usize].first_token);
        let tokens = tree.tokens.get(start as usize..end as usize).unwrap_or(&[]);
        for (token, t) in (start..).zip(tokens) {
            // Most tokens are spaces and punctuation: their kind says so
            // before anything else is looked at.
            if !t.kind.is_string() {
                continue;
            }
            let span = tree.token_span(token);
            if span.len() >= min_len
                && let Some(text) = string(tree, token)
            {
                f(&text, span);
            }
        }
    }

    /// How many top-level nodes there are (broken ones included), counted
    /// without decoding them.
    pub(crate) fn len_hint(self) -> usize {
        self.len
    }

    /// Cuts the document into `parts` consecutive runs of top-level nodes of
    /// about equal length (fewer when it is short), for lowering in parallel.
    pub(crate) fn split(self, parts: usize) -> impl Iterator<Item = Document<'a>> {
        let per_part = self.len.div_ceil(parts.max(1)).max(1);
        (self.first..self.first + self.len).step_by(per_part).map(move |first| Document {
            tree: self.tree,
            first,
            len: per_part.min(self.first + self.len - first),
        })
    }
}

/// How many entry positions a node keeps inline; one with more keeps them
/// on the heap. Spec nodes have up to four entries.
const INLINE_ENTRIES: usize = 4;

/// The positions of a node's entries (those not broken), found once when
/// the node is visited, so that looking up an argument or a property does
/// not rescan the node's tokens.
#[derive(Clone, Default)]
pub(super) struct EntrySlots {
    inline: [EntrySlot; INLINE_ENTRIES],
    len: u8,
    /// All of them, when there are more than fit inline.
    spilled: Option<Box<[EntrySlot]>>,
}

impl EntrySlots {
    fn push(&mut self, slot: EntrySlot, view: NodeView<'_, '_>) {
        if let Some(free) = self.inline.get_mut(usize::from(self.len)) {
            *free = slot;
            self.len += 1;
        } else if self.spilled.is_none() {
            self.spilled = Some(view.entries().filter(|e| !e.is_broken()).map(EntrySlot::of).collect());
        }
    }

    fn as_slice(&self) -> &[EntrySlot] {
        match &self.spilled {
            Some(all) => all,
            None => &self.inline[..usize::from(self.len)],
        }
    }
}

/// Where one entry is. Token indexes are `NONE` when absent.
#[derive(Clone, Copy, Default)]
struct EntrySlot {
    /// The entry's tree node.
    index: u32,
    /// The key token of a property.
    key: TokenIdx,
    value: TokenIdx,
}

const NONE: TokenIdx = TokenIdx::MAX;

impl EntrySlot {
    fn of(view: EntryView<'_, '_>) -> Self {
        let (key, value) = view.key_and_value();
        EntrySlot { index: view.index(), key: key.unwrap_or(NONE), value: value.unwrap_or(NONE) }
    }

    fn key(self) -> Option<TokenIdx> {
        (self.key != NONE).then_some(self.key)
    }

    fn value(self) -> Option<TokenIdx> {
        (self.value != NONE).then_some(self.value)
    }
}

impl<'a> Node<'a> {
    /// The arguments and properties, in source order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry<'a>> + '_ {
        self.slots.as_slice().iter().filter_map(|&slot| entry(self.tree, slot))
    }

    /// Each entry's key (`None` for an argument) and span, without decoding
    /// values: enough to check which properties a node has.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (Option<Ident<'a>>, Span)> + '_ {
        self.slots.as_slice().iter().filter_map(|&slot| {
            let key = match slot.key() {
                Some(k) => Some(ident(self.tree, k)?),
                None => None,
            };
            Some((key, EntryView::new(self.tree, slot.index).span()))
        })
    }

    /// The argument at `index` (counting arguments only).
    pub(crate) fn arg(&self, index: usize) -> Option<Entry<'a>> {
        let args = self.slots.as_slice().iter().filter(|slot| slot.key == NONE);
        args.filter_map(|&slot| entry(self.tree, slot)).nth(index)
    }

    /// The property `key`; the last one wins when it is repeated, as in KDL.
    /// Only the keys are compared, so looking a property up decodes one value.
    pub(crate) fn prop(&self, key: &str) -> Option<Entry<'a>> {
        let mut found = None;
        for &slot in self.slots.as_slice() {
            if slot.key().is_some_and(|k| is_text(self.tree, k, key))
                && let Some(e) = entry(self.tree, slot)
            {
                found = Some(e);
            }
        }
        found
    }

    /// The nodes of the children block (none when there is no block).
    pub(crate) fn child_nodes(&self) -> impl Iterator<Item = Node<'a>> + use<'a> {
        self.children.into_iter().flat_map(Children::nodes)
    }

    /// The node's name and entries, without its children block: where a
    /// missing argument belongs.
    pub(crate) fn span_head(&self) -> Span {
        let end = self.entries().last().map_or(self.name.span.end, |e| e.span.end);
        Span { start: self.span.start, end }
    }
}

impl<'a> Children<'a> {
    /// The child nodes, in source order.
    pub(crate) fn nodes(self) -> impl Iterator<Item = Node<'a>> {
        let tree = self.tree;
        ChildrenView::new(tree, self.index).nodes().filter_map(move |view| node(tree, view))
    }
}

fn node<'a>(tree: &'a SyntaxTree<'a>, view: NodeView<'a, 'a>) -> Option<Node<'a>> {
    if view.is_broken() {
        return None;
    }
    // One pass over the node's parts finds the type, the children block, the
    // last entry that is not broken (so it decodes) and whether any is.
    let (mut ty_view, mut children_view, mut last_entry, mut incomplete) = (None, None, None, false);
    let mut slots = EntrySlots::default();
    for part in view.parts() {
        match part {
            Part::Type(t) if ty_view.is_none() => ty_view = Some(t),
            Part::Entry(e) if e.is_broken() => incomplete = true,
            Part::Entry(e) => {
                last_entry = Some(e);
                slots.push(EntrySlot::of(e), view);
            }
            Part::Children(c) if children_view.is_none() => children_view = Some(c),
            _ => {}
        }
    }
    let name = ident(tree, view.name()?)?;
    let ty = match ty_view {
        Some(t) => Some(ident(tree, t.name()?)?),
        None => None,
    };
    let children = match children_view {
        Some(c) if c.is_broken() => return None,
        Some(c) => Some(Children { tree, index: c.index(), span: c.span(), closed: c.is_closed() }),
        None => None,
    };
    incomplete |= children.is_some_and(|c| !c.closed);
    let start = ty_view.map_or(name.span.start, |t| t.span().start);
    let mut end = name.span.end;
    if let Some(last) = last_entry {
        end = end.max(last.span().end);
    }
    if let Some(c) = &children {
        end = end.max(c.span.end);
    }
    Some(Node { tree, slots, name, ty, children, span: Span { start, end }, incomplete })
}

/// The entry at `slot`, decoded; `None` if a part of it does not decode.
fn entry<'a>(tree: &'a SyntaxTree<'a>, slot: EntrySlot) -> Option<Entry<'a>> {
    let view = EntryView::new(tree, slot.index);
    let (key_token, value_token) = (slot.key(), slot.value()?);
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

fn ident<'a>(tree: &'a SyntaxTree<'a>, token: TokenIdx) -> Option<Ident<'a>> {
    Some(Ident { text: string(tree, token)?, span: tree.token_span(token) })
}

/// Whether a string token says `text`. A bare identifier is compared as
/// written, without decoding, since that is how nearly every key is written.
fn is_text(tree: &SyntaxTree<'_>, token: TokenIdx, text: &str) -> bool {
    match tree.token_kind(token) {
        Some(TokenKind::Ident) => tree.token_text(token) == text,
        _ => string(tree, token).is_some_and(|s| s == text),
    }
}

/// The text of a string token (identifier, quoted or raw), decoded.
fn string<'a>(tree: &'a SyntaxTree<'a>, token: TokenIdx) -> Option<Cow<'a, str>> {
    match value(tree, token)? {
        Value::String(text) => Some(text),
        _ => None,
    }
}

fn value<'a>(tree: &'a SyntaxTree<'a>, token: TokenIdx) -> Option<Value<'a>> {
    let text = tree.token_text(token);
    match tree.token_kind(token)? {
        TokenKind::Ident => Some(Value::String(Cow::Borrowed(text))),
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
