//! The lossless concrete syntax tree, stored flat.
//!
//! Tokens (from the lexer) and tree nodes live in two `Vec`s and refer to each
//! other by `u32` index, so a tree is two allocations however large the file,
//! and dropping it never recurses. Tree nodes are stored in preorder: a node's
//! descendants are the nodes right after it, up to its `subtree_end`. Each
//! node covers a contiguous range of tokens; the tokens of a node that are not
//! inside one of its child nodes are its own (a property's key, `=` and value;
//! the whitespace between a node's entries). Every byte of the input is in
//! exactly one token, so printing the tree gives back the input exactly.
//!
//! The typed view (`NodeView`, `EntryView`, ...) answers questions such as
//! "what is this node's name token?" by looking at token kinds, so the arena
//! itself stays small: 8 bytes per token and 16 per tree node.

use super::Span;
use super::lexer::{Token, TokenKind};

/// What a tree node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum CstKind {
    /// The whole text; always tree node 0.
    Document,
    /// A KDL node: optional type annotation, name, entries, children block,
    /// and its `;` terminator if it has one.
    Node,
    /// An argument (`value`, `(type)value`) or a property (`key=value`).
    Entry,
    /// `(type)`.
    TypeAnnotation,
    /// `{ ... }`, or `{ ...` to the end of the text when unclosed.
    Children,
    /// `/-` with the node, entry or children block it comments out.
    SlashDashed,
    /// Text that belongs to no node, such as a stray `}`.
    Error,
}

/// One tree node. `first_token..end_token` are the tokens it covers and
/// `index + 1..subtree_end` its descendants in the node arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CstNode {
    pub(crate) kind: CstKind,
    /// Set when the node or entry has a syntax error of its own, so that the
    /// document leaves it out.
    pub(crate) broken: bool,
    pub(crate) first_token: u32,
    pub(crate) end_token: u32,
    pub(crate) subtree_end: u32,
}

/// A parsed text: tokens, tree nodes, and the text they index into.
#[derive(Debug)]
pub(crate) struct SyntaxTree<'t> {
    pub(crate) text: &'t str,
    pub(crate) tokens: Vec<Token>,
    pub(crate) nodes: Vec<CstNode>,
}

/// The index of a token in `SyntaxTree::tokens`.
pub(crate) type TokenIdx = u32;

impl<'t> SyntaxTree<'t> {
    /// The byte span of one token.
    pub(crate) fn token_span(&self, token: TokenIdx) -> Span {
        let i = token as usize;
        let start = self.tokens.get(i).map_or(self.text.len() as u32, |t| t.start);
        let end = self.tokens.get(i + 1).map_or(self.text.len() as u32, |t| t.start);
        Span { start, end }
    }

    pub(crate) fn token_kind(&self, token: TokenIdx) -> Option<TokenKind> {
        self.tokens.get(token as usize).map(|t| t.kind)
    }

    pub(crate) fn token_text(&self, token: TokenIdx) -> &'t str {
        self.text.get(self.token_span(token).range()).unwrap_or("")
    }

    /// The byte span covered by a tree node (empty at its start if it has no tokens).
    pub(crate) fn node_span(&self, node: u32) -> Span {
        let Some(n) = self.nodes.get(node as usize) else { return Span::default() };
        let start = self.token_span(n.first_token).start;
        if n.end_token <= n.first_token {
            return Span { start, end: start };
        }
        Span { start, end: self.token_span(n.end_token - 1).end }
    }

    #[cfg_attr(not(test), expect(dead_code, reason = "for the formatter and quick fixes; the tests use it now"))]
    pub(crate) fn node_text(&self, node: u32) -> &'t str {
        self.text.get(self.node_span(node).range()).unwrap_or("")
    }

    /// The direct child tree nodes of `node`, in order.
    pub(crate) fn child_nodes(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let end = self.nodes.get(node as usize).map_or(0, |n| n.subtree_end);
        let mut next = node + 1;
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let current = next;
            next = self.nodes.get(current as usize).map_or(end, |n| n.subtree_end.max(current + 1));
            Some(current)
        })
    }

    /// The tokens of `node` that are not inside one of its child nodes.
    pub(crate) fn own_tokens(&self, node: u32) -> OwnTokens<'_, 't> {
        let n = self.nodes.get(node as usize).copied();
        OwnTokens {
            tree: self,
            at: n.map_or(0, |n| n.first_token),
            end: n.map_or(0, |n| n.end_token),
            next_child: node + 1,
            subtree_end: n.map_or(0, |n| n.subtree_end),
        }
    }

    /// Prints the tree by walking it (own tokens and child nodes in order),
    /// which gives back the input exactly: the tree is lossless.
    #[cfg_attr(not(test), expect(dead_code, reason = "for the formatter and quick fixes; the tests use it now"))]
    pub(crate) fn print(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        // An explicit stack of (tree node, next token to print) keeps the
        // walk iterative however deep the nesting.
        let mut stack: Vec<(u32, u32, u32)> = Vec::new();
        if let Some(root) = self.nodes.first() {
            stack.push((0, root.first_token, 1));
        }
        while let Some(&(node, token, next_child)) = stack.last() {
            let n = self.nodes[node as usize];
            if next_child < n.subtree_end {
                let child = self.nodes[next_child as usize];
                for t in token..child.first_token {
                    out.push_str(self.token_text(t));
                }
                if let Some(top) = stack.last_mut() {
                    *top = (node, child.end_token, child.subtree_end);
                }
                stack.push((next_child, child.first_token, next_child + 1));
            } else {
                for t in token..n.end_token {
                    out.push_str(self.token_text(t));
                }
                stack.pop();
            }
        }
        out
    }

    pub(crate) fn root(&self) -> DocumentView<'_, 't> {
        DocumentView { tree: self, index: 0 }
    }

    fn view_nodes(&self, parent: u32) -> impl Iterator<Item = NodeView<'_, 't>> + '_ {
        self.child_nodes(parent)
            .filter(|&c| self.nodes[c as usize].kind == CstKind::Node)
            .map(move |index| NodeView { tree: self, index })
    }
}

/// The iterator returned by `SyntaxTree::own_tokens`; it skips the token
/// ranges of child nodes without allocating.
pub(crate) struct OwnTokens<'a, 't> {
    tree: &'a SyntaxTree<'t>,
    at: u32,
    end: u32,
    next_child: u32,
    subtree_end: u32,
}

impl Iterator for OwnTokens<'_, '_> {
    type Item = TokenIdx;

    fn next(&mut self) -> Option<TokenIdx> {
        while self.at < self.end {
            if self.next_child < self.subtree_end {
                if let Some(child) = self.tree.nodes.get(self.next_child as usize) {
                    if self.at >= child.first_token {
                        self.at = self.at.max(child.end_token);
                        self.next_child = child.subtree_end.max(self.next_child + 1);
                        continue;
                    }
                } else {
                    self.next_child = self.subtree_end;
                }
            }
            let token = self.at;
            self.at += 1;
            return Some(token);
        }
        None
    }
}

/// The top level of a document.
#[derive(Clone, Copy)]
pub(crate) struct DocumentView<'a, 't> {
    tree: &'a SyntaxTree<'t>,
    index: u32,
}

impl<'a, 't> DocumentView<'a, 't> {
    /// The nodes that are not commented out with `/-`.
    pub(crate) fn nodes(self) -> impl Iterator<Item = NodeView<'a, 't>> {
        self.tree.view_nodes(self.index)
    }
}

/// A KDL node in the tree.
#[derive(Clone, Copy)]
pub(crate) struct NodeView<'a, 't> {
    tree: &'a SyntaxTree<'t>,
    pub(crate) index: u32,
}

impl<'a, 't> NodeView<'a, 't> {
    pub(crate) fn is_broken(self) -> bool {
        self.tree.nodes[self.index as usize].broken
    }

    /// The span from the type annotation or name to the last significant
    /// token (the `;` included when there is one).
    #[cfg_attr(not(test), expect(dead_code, reason = "for the formatter and quick fixes; the tests use it now"))]
    pub(crate) fn span(self) -> Span {
        self.tree.node_span(self.index)
    }

    #[cfg_attr(not(test), expect(dead_code, reason = "for the formatter and quick fixes; the tests use it now"))]
    pub(crate) fn ty(self) -> Option<TypeView<'a, 't>> {
        self.tree
            .child_nodes(self.index)
            .find(|&c| self.tree.nodes[c as usize].kind == CstKind::TypeAnnotation)
            .map(|index| TypeView { tree: self.tree, index })
    }

    /// The name token: the first string among the node's own tokens.
    pub(crate) fn name(self) -> Option<TokenIdx> {
        self.tree.own_tokens(self.index).find(|&t| self.tree.token_kind(t).is_some_and(TokenKind::is_value))
    }

    /// The node's parts (type annotation, entries, children block) in
    /// order, without the commented-out ones.
    pub(crate) fn parts(self) -> impl Iterator<Item = Part<'a, 't>> {
        let tree = self.tree;
        tree.child_nodes(self.index).filter_map(move |index| match tree.nodes[index as usize].kind {
            CstKind::TypeAnnotation => Some(Part::Type(TypeView { tree, index })),
            CstKind::Entry => Some(Part::Entry(EntryView { tree, index })),
            CstKind::Children => Some(Part::Children(ChildrenView { tree, index })),
            _ => None,
        })
    }

    /// The entries that are not commented out.
    pub(crate) fn entries(self) -> impl Iterator<Item = EntryView<'a, 't>> {
        let tree = self.tree;
        tree.child_nodes(self.index)
            .filter(move |&c| tree.nodes[c as usize].kind == CstKind::Entry)
            .map(move |index| EntryView { tree, index })
    }

    /// The children block that is not commented out, if any.
    #[cfg_attr(not(test), expect(dead_code, reason = "for the formatter and quick fixes; the tests use it now"))]
    pub(crate) fn children(self) -> Option<ChildrenView<'a, 't>> {
        self.tree
            .child_nodes(self.index)
            .find(|&c| self.tree.nodes[c as usize].kind == CstKind::Children)
            .map(|index| ChildrenView { tree: self.tree, index })
    }
}

/// One part of a node, as yielded by `NodeView::parts`.
#[derive(Clone, Copy)]
pub(crate) enum Part<'a, 't> {
    Type(TypeView<'a, 't>),
    Entry(EntryView<'a, 't>),
    Children(ChildrenView<'a, 't>),
}

/// `(type)` on a node or value.
#[derive(Clone, Copy)]
pub(crate) struct TypeView<'a, 't> {
    tree: &'a SyntaxTree<'t>,
    index: u32,
}

impl TypeView<'_, '_> {
    /// The string inside the parentheses.
    pub(crate) fn name(self) -> Option<TokenIdx> {
        self.tree.own_tokens(self.index).find(|&t| self.tree.token_kind(t).is_some_and(TokenKind::is_string))
    }

    pub(crate) fn span(self) -> Span {
        self.tree.node_span(self.index)
    }
}

/// An argument or property.
#[derive(Clone, Copy)]
pub(crate) struct EntryView<'a, 't> {
    tree: &'a SyntaxTree<'t>,
    index: u32,
}

impl<'a, 't> EntryView<'a, 't> {
    pub(crate) fn new(tree: &'a SyntaxTree<'t>, index: u32) -> Self {
        EntryView { tree, index }
    }

    pub(crate) fn index(self) -> u32 {
        self.index
    }

    pub(crate) fn is_broken(self) -> bool {
        self.tree.nodes[self.index as usize].broken
    }

    pub(crate) fn span(self) -> Span {
        self.tree.node_span(self.index)
    }

    fn value_tokens(self) -> impl Iterator<Item = TokenIdx> + 'a {
        let tree = self.tree;
        tree.own_tokens(self.index).filter(move |&t| tree.token_kind(t).is_some_and(TokenKind::is_value))
    }

    /// The key (for a property) and the value token, in one pass over the
    /// entry's tokens.
    pub(crate) fn key_and_value(self) -> (Option<TokenIdx>, Option<TokenIdx>) {
        let (mut first, mut last, mut equals) = (None, None, false);
        for t in self.tree.own_tokens(self.index) {
            match self.tree.token_kind(t) {
                Some(TokenKind::Equals) => equals = true,
                Some(kind) if kind.is_value() => {
                    first = first.or(Some(t));
                    last = Some(t);
                }
                _ => {}
            }
        }
        (if equals { first } else { None }, last)
    }

    /// The key token of a property (`None` for an argument).
    #[cfg_attr(not(test), expect(dead_code, reason = "for the formatter and quick fixes; the tests use it now"))]
    pub(crate) fn key(self) -> Option<TokenIdx> {
        let has_equals = self.tree.own_tokens(self.index).any(|t| self.tree.token_kind(t) == Some(TokenKind::Equals));
        if has_equals { self.value_tokens().next() } else { None }
    }

    /// The value token: the last value among the entry's own tokens.
    #[cfg_attr(not(test), expect(dead_code, reason = "for the formatter and quick fixes; the tests use it now"))]
    pub(crate) fn value(self) -> Option<TokenIdx> {
        self.value_tokens().last()
    }

    /// The type annotation of the value.
    pub(crate) fn ty(self) -> Option<TypeView<'a, 't>> {
        self.tree
            .child_nodes(self.index)
            .find(|&c| self.tree.nodes[c as usize].kind == CstKind::TypeAnnotation)
            .map(|index| TypeView { tree: self.tree, index })
    }
}

/// A `{ ... }` block.
#[derive(Clone, Copy)]
pub(crate) struct ChildrenView<'a, 't> {
    tree: &'a SyntaxTree<'t>,
    index: u32,
}

impl<'a, 't> ChildrenView<'a, 't> {
    pub(crate) fn new(tree: &'a SyntaxTree<'t>, index: u32) -> Self {
        ChildrenView { tree, index }
    }

    pub(crate) fn index(self) -> u32 {
        self.index
    }

    /// Set for a block nested deeper than `MAX_DEPTH`.
    pub(crate) fn is_broken(self) -> bool {
        self.tree.nodes[self.index as usize].broken
    }

    pub(crate) fn nodes(self) -> impl Iterator<Item = NodeView<'a, 't>> {
        self.tree.view_nodes(self.index)
    }

    /// Whether the block ends with its `}`.
    pub(crate) fn is_closed(self) -> bool {
        let end = self.tree.nodes.get(self.index as usize).map_or(0, |n| n.end_token);
        end.checked_sub(1).and_then(|last| self.tree.token_kind(last)) == Some(TokenKind::CloseBrace)
    }

    /// From `{` to `}` inclusive (to the end of the text when unclosed).
    pub(crate) fn span(self) -> Span {
        self.tree.node_span(self.index)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::parse_tree;

    #[test]
    fn the_typed_view_finds_each_part_of_a_node() {
        let text = "// c\n(t)node 1 /- 2 key=(u)\"v\" {\n  child\n} /- { gone }\n";
        let (tree, errors) = parse_tree(text);
        assert!(errors.is_empty(), "{errors:?}");
        let node = tree.root().nodes().next().unwrap();
        assert_eq!(tree.node_text(node.index), "(t)node 1 /- 2 key=(u)\"v\" {\n  child\n} /- { gone }");
        assert_eq!(&text[node.span().range()], tree.node_text(node.index));
        assert_eq!(tree.token_text(node.name().unwrap()), "node");
        assert_eq!(tree.token_text(node.ty().unwrap().name().unwrap()), "t");
        let entries: Vec<_> = node.entries().collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].key(), None);
        assert_eq!(tree.token_text(entries[0].value().unwrap()), "1");
        assert_eq!(tree.token_text(entries[1].key().unwrap()), "key");
        assert_eq!(tree.token_text(entries[1].value().unwrap()), "\"v\"");
        assert_eq!(tree.token_text(entries[1].ty().unwrap().name().unwrap()), "u");
        let children = node.children().unwrap();
        assert_eq!(&text[children.span().range()], "{\n  child\n}");
        assert_eq!(children.nodes().count(), 1);
    }
}
