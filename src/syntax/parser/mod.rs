//! Builds the concrete syntax tree from tokens, recovering from errors.
//!
//! The parser is a loop over tokens with an explicit stack of open children
//! blocks, so nesting depth costs heap, never call stack. It never backtracks
//! more than the whitespace after a property key, so it is linear in the
//! number of tokens.
//!
//! Recovery works at three levels. A bad token (already reported by the
//! lexer) makes only its entry or node name broken; the entry is left out of
//! the document but the node stays. A grammar error (a `=` with no value, a
//! missing space, an entry after the children block) is reported at the token
//! where it was noticed and parsing goes on with the next token. Braces nest
//! as written, with one exception: an unclosed `{` is reported at the `{`
//! itself, and where its block ends is guessed from indentation (the text is
//! parsed again with the guessed end; see `guess_block_end`), so that a `}`
//! missing mid-file does not pull the rest of the file into the block. Nodes,
//! entries and children blocks that had an error of their own are marked
//! `broken` in the tree.

use super::cst::{CstKind, CstNode, SyntaxTree};
use super::lexer::{Lexed, Token, TokenKind};
use super::literal;
use super::{MAX_DEPTH, Span, SyntaxError};

/// How many unclosed `{` are reported individually; the rest would only repeat.
const MAX_UNCLOSED_REPORTS: usize = 8;

/// How many times a text with unclosed blocks is parsed again, each time with
/// one more guessed end of block (see `guess_block_end`). Typing states have
/// one or two unclosed blocks; the bound keeps the time linear.
const MAX_RECOVERY_PASSES: usize = 4;

mod entries;

pub(crate) fn parse<'t>(text: &'t str, lexed: Lexed) -> (SyntaxTree<'t>, Vec<SyntaxError>) {
    let Lexed { tokens, mut errors, .. } = lexed;
    // Only a text with an unclosed `{` may be parsed again, so only then is a
    // pristine copy of the tokens kept (the parser marks tokens it reports).
    let pristine = (unclosed_blocks(&tokens) > 0).then(|| tokens.clone());
    let mut block_ends: Vec<usize> = Vec::new();
    let mut parser = Parser::run(text, tokens, &block_ends);
    if let Some(pristine) = pristine {
        for _ in 0..MAX_RECOVERY_PASSES {
            let Some(end) = parser.guess_block_end() else { break };
            block_ends.push(end);
            block_ends.sort_unstable();
            parser = Parser::run(text, pristine.clone(), &block_ends);
        }
    }
    errors.append(&mut parser.errors);
    let tree = SyntaxTree { text, tokens: parser.tokens, nodes: parser.nodes };
    (tree, errors)
}

/// How many `{` are still open at the end, counted on tokens the way the
/// parser will see them: every `{` opens a block and every `}` closes the
/// innermost one, if any.
pub(super) fn unclosed_blocks(tokens: &[Token]) -> usize {
    tokens.iter().fold(0usize, |depth, t| match t.kind {
        TokenKind::OpenBrace => depth + 1,
        TokenKind::CloseBrace => depth.saturating_sub(1),
        _ => depth,
    })
}

/// A node whose children block is open: where to resume once it closes.
struct Frame {
    node: NodeState,
    /// The tree node of the open children block.
    children: usize,
    /// The `/-` wrapper of the block when it is commented out.
    children_wrapper: Option<usize>,
    /// Whether this block is past `MAX_DEPTH` (reported once, at the block
    /// that crossed it).
    too_deep: bool,
}

/// What the parser knows about a node while it parses its entries.
struct NodeState {
    index: usize,
    wrapper: Option<usize>,
    broken: bool,
    /// Whether a children block (commented out or not) has been seen, after
    /// which no more entries are allowed.
    seen_children: bool,
    /// Whether a children block that is not commented out has been seen.
    has_children: bool,
}

struct Parser<'t, 'e> {
    text: &'t str,
    tokens: Vec<Token>,
    /// Token positions (sorted) where a guessed end of an unclosed block
    /// goes: before the node that starts there.
    block_ends: &'e [usize],
    next_block_end: usize,
    /// The innermost block still open at the end of the text, as (node,
    /// children) tree-node indexes.
    innermost_unclosed: Option<(usize, usize)>,
    pos: usize,
    /// The token index just after the last significant (non-trivia) token
    /// consumed: where the current node or entry ends.
    last_significant: usize,
    nodes: Vec<CstNode>,
    errors: Vec<SyntaxError>,
    stack: Vec<Frame>,
}

impl<'t, 'e> Parser<'t, 'e> {
    fn run(text: &'t str, tokens: Vec<Token>, block_ends: &'e [usize]) -> Self {
        // Roughly one tree node per three tokens on wireplan-like specs.
        let nodes = Vec::with_capacity(tokens.len() / 3 + 4);
        let mut parser = Parser {
            text,
            tokens,
            block_ends,
            next_block_end: 0,
            innermost_unclosed: None,
            pos: 0,
            last_significant: 0,
            nodes,
            errors: Vec::new(),
            stack: Vec::new(),
        };
        parser.document();
        parser
    }

    /// Where the `{` that lacks its `}` probably is, and where its block
    /// probably ends, judged by indentation, for the innermost block left open
    /// at the end. Returns the first token of the node before which the block
    /// ends, or `None` when indentation does not tell.
    ///
    /// A closing `}` indented less than the line that opened its block closes
    /// an outer block in the writer's mind: the block it closed is the one
    /// missing its `}`, and it ends before its first child indented like that
    /// opening line (a `retry {` typed inside a flow swallows the flow's next
    /// lines). Failing that, the open block itself ends before its first child
    /// node indented no deeper than the node that opened it (a `system {` left
    /// open mid-file swallows the next top-level nodes).
    fn guess_block_end(&self) -> Option<usize> {
        let (owner, children) = self.innermost_unclosed?;
        let end = self.nodes.get(children)?.subtree_end as usize;
        for inner in children + 1..end {
            let Some(block) = self.nodes.get(inner).filter(|n| n.kind == CstKind::Children) else { continue };
            let Some(close) = (block.end_token as usize).checked_sub(1) else { continue };
            if self.kind_at(close) != Some(TokenKind::CloseBrace) {
                continue;
            }
            let (_, open_indent) = self.indentation(self.token_span(block.first_token as usize).start as usize);
            let (close_starts_line, close_indent) = self.indentation(self.token_span(close).start as usize);
            if close_starts_line
                && close_indent < open_indent
                && let Some(first) = self.first_child_indented(inner, open_indent)
            {
                return Some(first);
            }
        }
        let owner_start = self.token_span(self.nodes.get(owner)?.first_token as usize).start as usize;
        let (_, owner_indent) = self.indentation(owner_start);
        self.first_child_indented(children, owner_indent)
    }

    /// The first token of the first child node of the block `children` that
    /// starts a line indented no deeper than `indent`.
    fn first_child_indented(&self, children: usize, indent: usize) -> Option<usize> {
        let end = self.nodes.get(children)?.subtree_end as usize;
        let mut child = children + 1;
        while child < end {
            let node = self.nodes.get(child)?;
            if matches!(node.kind, CstKind::Node | CstKind::SlashDashed) {
                let start = self.token_span(node.first_token as usize).start as usize;
                let (starts_line, child_indent) = self.indentation(start);
                if starts_line && child_indent <= indent {
                    return Some(node.first_token as usize);
                }
            }
            child = (node.subtree_end as usize).max(child + 1);
        }
        None
    }

    /// Whether only whitespace precedes `offset` on its line, and the width
    /// (in characters) of the whitespace that starts the line.
    fn indentation(&self, offset: usize) -> (bool, usize) {
        let before = self.text.get(..offset).unwrap_or("");
        let line_start = before.rfind(literal::is_newline).map_or(0, |i| i + 1);
        let line = self.text.get(line_start..offset).unwrap_or("");
        let indent = line.chars().take_while(|&c| literal::is_unicode_space(c)).count();
        (indent == line.chars().count(), indent)
    }

    fn peek(&self) -> Option<TokenKind> {
        self.tokens.get(self.pos).map(|t| t.kind)
    }

    fn kind_at(&self, at: usize) -> Option<TokenKind> {
        self.tokens.get(at).map(|t| t.kind)
    }

    fn is_malformed(&self, at: usize) -> bool {
        self.tokens.get(at).is_some_and(|t| t.malformed || t.kind == TokenKind::Garbage)
    }

    fn token_span(&self, at: usize) -> Span {
        let start = self.tokens.get(at).map_or(self.text.len() as u32, |t| t.start);
        let end = self.tokens.get(at + 1).map_or(self.text.len() as u32, |t| t.start);
        Span { start, end }
    }

    fn token_text(&self, at: usize) -> &str {
        self.text.get(self.token_span(at).range()).unwrap_or("")
    }

    /// Consumes one significant token.
    fn bump(&mut self) {
        if self.pos < self.tokens.len() {
            self.pos += 1;
            self.last_significant = self.pos;
        }
    }

    /// Reports an error at one token and marks the token, so that an error
    /// right next to it is not reported a second time.
    fn error_at(&mut self, at: usize, message: impl Into<String>, help: Option<&str>) {
        let span = self.token_span(at);
        self.error_span(span, message, help);
        if let Some(t) = self.tokens.get_mut(at) {
            t.malformed = true;
        }
    }

    fn error_span(&mut self, span: Span, message: impl Into<String>, help: Option<&str>) {
        let error = SyntaxError { span, message: message.into(), label: None, help: help.map(str::to_owned), more: 0 };
        super::push_bounded(&mut self.errors, error);
    }

    fn start(&mut self, kind: CstKind) -> usize {
        let first = u32::try_from(self.pos).unwrap_or(u32::MAX);
        self.nodes.push(CstNode { kind, broken: false, first_token: first, end_token: first, subtree_end: 0 });
        self.nodes.len() - 1
    }

    /// Closes a tree node at `end_token`. A node never ends before it starts,
    /// and its descendants are everything pushed since it started.
    fn finish(&mut self, index: usize, end_token: usize, broken: bool) {
        let subtree_end = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        if let Some(n) = self.nodes.get_mut(index) {
            n.end_token = u32::try_from(end_token).unwrap_or(u32::MAX).max(n.first_token);
            n.subtree_end = subtree_end;
            n.broken |= broken;
        }
    }

    /// Skips `node-space`: whitespace, block comments and line continuations.
    /// Returns whether there was any.
    fn skip_node_space(&mut self) -> bool {
        let mut any = false;
        loop {
            match self.peek() {
                Some(TokenKind::Whitespace | TokenKind::BlockComment | TokenKind::Bom) => self.pos += 1,
                Some(TokenKind::Backslash) => self.line_continuation(),
                _ => return any,
            }
            any = true;
        }
    }

    /// Skips `line-space`: node space plus newlines and line comments.
    fn skip_line_space(&mut self) {
        loop {
            match self.peek() {
                Some(
                    TokenKind::Whitespace
                    | TokenKind::BlockComment
                    | TokenKind::Bom
                    | TokenKind::Newline
                    | TokenKind::LineComment,
                ) => self.pos += 1,
                Some(TokenKind::Backslash) => self.line_continuation(),
                _ => return,
            }
        }
    }

    /// `\` followed by optional whitespace and a newline, a line comment, or
    /// the end of the text. Anything else is an error at the `\`.
    fn line_continuation(&mut self) {
        let backslash = self.pos;
        let mut at = self.pos + 1;
        while matches!(self.kind_at(at), Some(TokenKind::Whitespace | TokenKind::BlockComment)) {
            at += 1;
        }
        match self.kind_at(at) {
            Some(TokenKind::LineComment) => {
                at += 1;
                if self.kind_at(at) == Some(TokenKind::Newline) {
                    at += 1;
                }
            }
            Some(TokenKind::Newline) => at += 1,
            None => {}
            Some(_) => {
                self.error_at(
                    backslash,
                    "`\\` continues a line, so only whitespace or a comment may follow it on its line",
                    Some("quote the string if the `\\` is part of it"),
                );
                self.pos = backslash + 1;
                return;
            }
        }
        self.pos = at;
    }

    fn document(&mut self) {
        let root = self.start(CstKind::Document);
        loop {
            self.skip_line_space();
            while self.block_ends.get(self.next_block_end).is_some_and(|&p| p <= self.pos) {
                self.next_block_end += 1;
                self.end_block_early();
            }
            match self.peek() {
                None => break,
                Some(TokenKind::CloseBrace) => {
                    if self.stack.is_empty() {
                        // One error per `}`, but one tree node for a run of
                        // them: a file of a million `}` holds one node, not a
                        // million.
                        let error = self.start(CstKind::Error);
                        while self.peek() == Some(TokenKind::CloseBrace) {
                            self.error_at(
                                self.pos,
                                "this `}` closes nothing",
                                Some("remove it, or add the `{` it was meant to close"),
                            );
                            self.bump();
                        }
                        self.finish(error, self.pos, true);
                    } else {
                        self.bump();
                        self.close_children();
                    }
                }
                Some(TokenKind::Semicolon) => {
                    let error = self.start(CstKind::Error);
                    while self.peek() == Some(TokenKind::Semicolon) {
                        self.error_at(self.pos, "a `;` must end a node", Some("remove the extra `;`"));
                        self.bump();
                    }
                    self.finish(error, self.pos, true);
                }
                Some(TokenKind::SlashDash) => {
                    let wrapper = self.start(CstKind::SlashDashed);
                    let slashdash = self.pos;
                    self.bump();
                    self.skip_line_space();
                    match self.peek() {
                        None | Some(TokenKind::CloseBrace | TokenKind::Semicolon) => {
                            self.error_at(slashdash, "`/-` must be followed by the node it comments out", None);
                            self.finish(wrapper, slashdash + 1, true);
                        }
                        _ => self.node(Some(wrapper)),
                    }
                }
                Some(_) => self.node(None),
            }
        }
        self.innermost_unclosed = self.stack.last().filter(|f| !f.too_deep).map(|f| (f.node.index, f.children));
        let mut reported = 0;
        while let Some(frame) = self.stack.pop() {
            let open = self.nodes.get(frame.children).map_or(0, |n| n.first_token as usize);
            // Blocks past the depth limit were already reported as a whole.
            if !frame.too_deep && reported < MAX_UNCLOSED_REPORTS {
                self.error_at(open, "this `{` is never closed", Some("add a matching `}` after the node's last child"));
                reported += 1;
            }
            let end = self.tokens.len();
            // An unclosed block keeps its children: they are usually right,
            // and only the `}` is missing.
            self.finish(frame.children, end, frame.too_deep);
            if let Some(w) = frame.children_wrapper {
                self.finish(w, end, false);
            }
            let node = frame.node;
            self.finish(node.index, end, node.broken);
            if let Some(w) = node.wrapper {
                self.finish(w, end, false);
            }
        }
        self.finish(root, self.tokens.len(), false);
    }

    /// Parses a node up to its terminator or its children block; in the
    /// latter case the node is resumed by `close_children`.
    fn node(&mut self, wrapper: Option<usize>) {
        let index = self.start(CstKind::Node);
        let mut broken = false;
        let mut had_type = false;
        if self.peek() == Some(TokenKind::OpenParen) {
            broken |= !self.type_annotation();
            had_type = true;
            self.skip_node_space();
        }
        match self.peek() {
            Some(kind) if kind.is_string() => {
                broken |= self.is_malformed(self.pos);
                self.bump();
            }
            Some(TokenKind::Garbage) => {
                broken = true;
                self.bump();
            }
            Some(kind @ (TokenKind::Number | TokenKind::Keyword)) => {
                if !self.is_malformed(self.pos) {
                    let text = self.token_text(self.pos).to_owned();
                    self.error_at(
                        self.pos,
                        format!("a node name must be a string, not {}", kind.describe()),
                        Some(&format!("quote it: \"{text}\"")),
                    );
                }
                broken = true;
                self.bump();
            }
            Some(TokenKind::OpenBrace) => {
                self.error_at(
                    self.pos,
                    "this children block has no node name",
                    Some("write the node's name before `{`, or join it to the line of the node it belongs to"),
                );
                broken = true;
            }
            Some(TokenKind::SlashDash) if had_type => {
                self.error_at(
                    self.pos,
                    "`/-` cannot come between a type annotation and its node",
                    Some("put `/-` before the `(`"),
                );
                broken = true;
                self.bump();
            }
            Some(kind) if had_type => {
                let at = self.pos.min(self.tokens.len().saturating_sub(1));
                self.error_span(
                    self.token_span(at),
                    format!("expected a node name after the type annotation, found {}", kind.describe()),
                    None,
                );
                broken = true;
            }
            None if had_type => {
                self.error_span(
                    Span::new(self.text.len(), self.text.len()),
                    "expected a node name after the type annotation",
                    None,
                );
                broken = true;
            }
            Some(kind) => {
                self.error_at(self.pos, format!("expected a node name, found {}", kind.describe()), None);
                broken = true;
                self.bump();
            }
            None => broken = true,
        }
        let state = NodeState { index, wrapper, broken, seen_children: false, has_children: false };
        self.node_rest(state);
    }

    /// Entries, children blocks and the terminator of a node.
    fn node_rest(&mut self, mut state: NodeState) {
        loop {
            let had_space = self.skip_node_space();
            match self.peek() {
                None | Some(TokenKind::Newline | TokenKind::LineComment | TokenKind::CloseBrace) => break,
                Some(TokenKind::Semicolon) => {
                    self.bump();
                    break;
                }
                Some(TokenKind::OpenBrace) => {
                    if state.has_children {
                        self.error_at(
                            self.pos,
                            "a node can have only one children block",
                            Some("merge the blocks, or comment one out with `/-`"),
                        );
                        state.broken = true;
                    }
                    state.seen_children = true;
                    state.has_children = true;
                    self.open_children(state, None);
                    return;
                }
                Some(TokenKind::SlashDash) => {
                    if !had_space {
                        self.missing_space();
                    }
                    let wrapper = self.start(CstKind::SlashDashed);
                    let slashdash = self.pos;
                    self.bump();
                    self.skip_line_space();
                    match self.peek() {
                        Some(TokenKind::OpenBrace) => {
                            state.seen_children = true;
                            self.open_children(state, Some(wrapper));
                            return;
                        }
                        None | Some(TokenKind::CloseBrace | TokenKind::Semicolon) => {
                            self.error_at(
                                slashdash,
                                "`/-` must be followed by the entry or children block it comments out",
                                None,
                            );
                            state.broken = true;
                            self.finish(wrapper, slashdash + 1, true);
                        }
                        _ => {
                            if state.seen_children {
                                self.entry_after_children();
                                state.broken = true;
                            }
                            self.entry();
                            self.finish(wrapper, self.last_significant, false);
                        }
                    }
                }
                Some(_) => {
                    if state.seen_children {
                        self.entry_after_children();
                        state.broken = true;
                    } else if !had_space {
                        self.missing_space();
                    }
                    self.entry();
                }
            }
        }
        self.finish_node(state);
    }

    fn finish_node(&mut self, state: NodeState) {
        let end = self.last_significant;
        self.finish(state.index, end, state.broken);
        if let Some(w) = state.wrapper {
            self.finish(w, end, false);
        }
    }

    fn entry_after_children(&mut self) {
        self.error_at(
            self.pos,
            "arguments and properties must come before the children block",
            Some("move this entry before the `{`"),
        );
    }

    /// Reports two tokens written without the whitespace KDL requires
    /// between them, unless one of them is already reported as malformed.
    fn missing_space(&mut self) {
        let prev = self.pos.saturating_sub(1);
        if self.is_malformed(prev) || self.is_malformed(self.pos) {
            return;
        }
        let what = self.peek().map_or("this", TokenKind::describe);
        self.error_at(
            self.pos,
            format!("expected whitespace before {what}"),
            Some("separate a node's name and entries with spaces; quote the whole text if it is one string"),
        );
    }

    fn open_children(&mut self, state: NodeState, children_wrapper: Option<usize>) {
        let brace = self.pos;
        let children = self.start(CstKind::Children);
        self.bump();
        let depth = self.stack.len() + 1;
        let parent_too_deep = self.stack.last().is_some_and(|f| f.too_deep);
        let too_deep = depth > MAX_DEPTH;
        if too_deep && !parent_too_deep {
            self.error_at(
                brace,
                format!("nesting is deeper than {MAX_DEPTH} levels"),
                Some("a wireplan spec nests at most four levels; check for unclosed `{`"),
            );
        }
        self.stack.push(Frame { node: state, children, children_wrapper, too_deep });
    }

    /// Ends the innermost open block where an earlier pass guessed that its
    /// missing `}` belongs, reporting the `{` and where the block seems to end.
    fn end_block_early(&mut self) {
        let Some(frame) = self.stack.pop() else { return };
        let brace = self.nodes.get(frame.children).map_or(0, |n| n.first_token as usize);
        let at = self.token_span(self.pos).start as usize;
        let line = self.text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1;
        let help = format!(
            "add the missing `}}`; the block seems to end before line {line}, which is indented like the node that opened it"
        );
        self.error_at(brace, "this `{` is never closed", Some(&help));
        let end = self.last_significant;
        self.finish(frame.children, end, frame.too_deep);
        if let Some(w) = frame.children_wrapper {
            self.finish(w, end, false);
        }
        let mut state = frame.node;
        state.broken |= frame.too_deep;
        self.finish_node(state);
    }

    /// Called after a `}` that closes the innermost open children block:
    /// finishes the block and resumes its node.
    fn close_children(&mut self) {
        let Some(frame) = self.stack.pop() else { return };
        self.finish(frame.children, self.pos, frame.too_deep);
        if let Some(w) = frame.children_wrapper {
            self.finish(w, self.pos, false);
        }
        let mut state = frame.node;
        state.broken |= frame.too_deep;
        self.node_rest(state);
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn tree_errors(text: &str) -> Vec<String> {
        let (_, errors) = parse(text, lex(text));
        errors.iter().map(|e| format!("{}: {}", &text[e.span.range()], e.message)).collect()
    }

    #[test]
    fn the_tree_prints_back_to_the_input() {
        for text in ["", "a", "a {", "(t)a 1 /- b=2 {c; d}\r\n// x\n}", "a \\\n b /- { } ;"] {
            let (tree, _) = parse(text, lex(text));
            assert_eq!(tree.print(), text);
        }
    }

    #[test]
    fn errors_point_at_the_bad_token() {
        assert_eq!(tree_errors("a kind="), vec!["=: the property `kind` has no value"]);
        assert_eq!(tree_errors("a \"s\"1"), vec!["1: expected whitespace before a number"]);
        assert_eq!(tree_errors("a {\n b\n"), vec!["{: this `{` is never closed"]);
        assert_eq!(tree_errors("a { b } c"), vec!["c: arguments and properties must come before the children block"]);
    }
}
