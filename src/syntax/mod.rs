//! KDL text to a lossless syntax tree and a typed view of it, plus every
//! syntax error found.
//!
//! This module is the only one that knows how KDL is parsed. Lowering
//! (`crate::lower`) sees just the view defined here: nodes with a name, an
//! optional type annotation, entries (arguments and properties) and children,
//! each carrying its byte span in the file, decoded as they are visited.
//! Parsing never fails: a broken file yields its errors and whatever part of
//! the tree the parser could keep, so lowering and the checks still run on
//! the rest.
//!
//! The pipeline inside is `lexer` (text to tokens covering every byte) ->
//! `parser` (tokens to a lossless syntax tree in a flat arena, `cst`) ->
//! `document` (the typed view over the tree). `literal` holds the character
//! classes and the decoding of strings and numbers that lexer and view share;
//! `pieces` parses a large text in pieces on every core (and, for the language
//! server, one piece on its own). The kdl crate is used only in tests, as a
//! reference to compare with: the parser is wireplan's own for three reasons
//! the crate could not meet. It must be fast (the crate parses
//! about 1.5 MB/s with 46 times the input in memory; a tree here is two
//! allocations, about 3.2 times the input), it must keep going after an
//! error (the crate returns nothing for a file with one), and editors and the
//! formatter need every byte of the text, comments and layout included.

mod cst;
pub(crate) mod cursor;
mod document;
mod lexer;
mod literal;
mod parser;
mod pieces;

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod kdl_backend;
#[cfg(test)]
mod owned;
#[cfg(test)]
mod recovery_tests;

pub(crate) use cst::{CstKind, SyntaxTree};
pub(crate) use lexer::TokenKind;
pub(crate) use pieces::{Alone, blank_line_after, parse_alone};

use std::borrow::Cow;
use std::fmt;

// Spans are positions in a source file: they live with the sources, below
// every stage; `syntax::Span` is the same type.
pub(crate) use crate::source::Span;

// The largest file wireplan reads is the sources' to know.
pub(crate) use crate::source::MAX_FILE_BYTES;

/// The deepest `{` nesting accepted. Real specs nest four levels; the limit
/// exists so that hostile input cannot exhaust the parser's stack.
pub(crate) const MAX_DEPTH: usize = 128;

/// A parsed document, as lowering reads it: a typed view over the syntax
/// tree. Slashdash-commented nodes, entries and children never appear, and
/// neither does anything the parser marked broken (see `document`).
#[derive(Clone, Copy)]
pub(crate) struct Document<'a> {
    tree: &'a SyntaxTree<'a>,
    /// The run of top-level nodes this document covers (see `split`), as
    /// positions among the tree's top-level nodes.
    first: usize,
    len: usize,
}

/// An identifier or string used as a name, with where it was written.
/// The text borrows from the source unless it had escapes to decode.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ident<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) span: Span,
}

/// One KDL node. Its entries are read on demand with `entries`, `arg` and
/// `prop`; the rest is computed when the node is visited.
#[derive(Clone)]
pub(crate) struct Node<'a> {
    tree: &'a SyntaxTree<'a>,
    /// Where the entries are, found when the node is visited.
    slots: document::EntrySlots,
    pub(crate) name: Ident<'a>,
    /// The type annotation before the name, as in `(tag)node`. No form of
    /// the spec language uses one; the formatter and tests see it.
    #[cfg_attr(not(test), expect(dead_code, reason = "no form of the language reads type annotations"))]
    pub(crate) ty: Option<Ident<'a>>,
    pub(crate) children: Option<Children<'a>>,
    /// The whole node, from its name (or annotation) to the end of its last
    /// entry or closing brace, without trailing whitespace or terminator.
    pub(crate) span: Span,
    /// Whether a syntax error inside the node, already reported, may have
    /// left something out: a broken argument or property (left out of
    /// `entries`), or a children block missing its `}` (whose end is a
    /// guess). Checks should not report what seems to be missing from such a
    /// node.
    pub(crate) incomplete: bool,
}

/// A `{ ... }` block of child nodes.
#[derive(Clone, Copy)]
pub(crate) struct Children<'a> {
    tree: &'a SyntaxTree<'a>,
    index: u32,
    /// From `{` to `}` inclusive (to the guessed end when `}` is missing).
    pub(crate) span: Span,
    /// Whether the block has its `}`; a missing one is a syntax error.
    pub(crate) closed: bool,
}

/// An argument (`key` is `None`) or a property (`key=value`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry<'a> {
    pub(crate) key: Option<Ident<'a>>,
    /// The type annotation before the value, as in `(u8)5`.
    pub(crate) ty: Option<Ident<'a>>,
    pub(crate) value: Value<'a>,
    /// Just the value, without key, `=` or type annotation.
    pub(crate) value_span: Span,
    /// The whole entry, `key=value` for a property.
    pub(crate) span: Span,
}

/// A KDL value. Strings borrow from the source unless they had escapes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    String(Cow<'a, str>),
    Integer(i128),
    Float(f64),
    Bool(bool),
    Null,
}

impl Value<'_> {
    /// The name of the value's kind, for messages ("expected a string, found a number").
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) | Value::Float(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Null => "#null",
        }
    }
}

impl Value<'_> {
    /// The same value, owning its text (for the tests' owned documents).
    #[cfg(test)]
    pub(crate) fn into_owned(self) -> Value<'static> {
        match self {
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Integer(n) => Value::Integer(n),
            Value::Float(x) => Value::Float(x),
            Value::Bool(b) => Value::Bool(b),
            Value::Null => Value::Null,
        }
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s:?}"),
            Value::Integer(n) => write!(f, "{n}"),
            Value::Float(x) if x.is_nan() => f.write_str("#nan"),
            Value::Float(x) if x.is_infinite() => f.write_str(if *x > 0.0 { "#inf" } else { "#-inf" }),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Bool(b) => write!(f, "#{b}"),
            Value::Null => f.write_str("#null"),
        }
    }
}

/// A syntax error with the span of the offending text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SyntaxError {
    pub(crate) span: Span,
    pub(crate) message: String,
    /// A label for the span, when it says more than the message.
    pub(crate) label: Option<String>,
    pub(crate) help: Option<String>,
    /// How many more errors, after this one by position, were counted here
    /// instead of kept: a hostile file has one per byte (see `push_bounded`).
    pub(crate) more: usize,
}

/// How many syntax errors of a file are kept: as many as a report shows, and
/// the next (see `crate::source::MAX_PER_RULE_AND_FILE`).
const KEPT_ERRORS: usize = crate::source::MAX_PER_RULE_AND_FILE + 1;

/// Adds `e` to `errors`, which holds at most twice `KEPT_ERRORS`: when it is
/// full, the first `KEPT_ERRORS` by position are kept and the rest counted
/// (`compact`), so the lexer and parser use bounded memory on any text.
fn push_bounded(errors: &mut Vec<SyntaxError>, e: SyntaxError) {
    if errors.len() >= 2 * KEPT_ERRORS {
        compact(errors);
    }
    errors.push(e);
}

/// Sorts `errors` by position, removes repeats, and keeps the first
/// `KEPT_ERRORS`, counting the others in the last one kept.
fn compact(errors: &mut Vec<SyntaxError>) {
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup_by(|later, kept| {
        let same = later.span == kept.span && later.message == kept.message;
        if same {
            kept.more += later.more;
        }
        same
    });
    if errors.len() > KEPT_ERRORS {
        let more: usize = errors[KEPT_ERRORS..].iter().map(|e| 1 + e.more).sum();
        errors.truncate(KEPT_ERRORS);
        if let Some(last) = errors.last_mut() {
            last.more += more;
        }
    }
}

/// The result of parsing: the lossless tree (complete or partial) and the
/// errors, sorted by position.
#[derive(Debug)]
pub(crate) struct Parse<'t> {
    pub(crate) tree: SyntaxTree<'t>,
    pub(crate) errors: Vec<SyntaxError>,
}

impl Parse<'_> {
    /// The typed view of the document that lowering reads.
    pub(crate) fn document(&self) -> Document<'_> {
        let len = self.tree.root().nodes().count();
        Document { tree: &self.tree, first: 0, len }
    }
}

/// The help attached to the first error of a file that looks like KDL v1.
pub(crate) const V1_HELP: &str = "this file is KDL v1; wireplan reads KDL v2. Write booleans and null as `#true`, \
     `#false`, `#null`, raw strings as `#\"...\"#`, and quote strings that are not \
     identifiers (the `kdl` CLI's `kdl migrate` converts a file)";

/// Parses KDL v2 text. Never panics and never fails: problems are in `errors`.
///
/// The text should not start with a byte-order mark (`source` strips it when
/// a file is loaded so that columns match what editors show), but one is
/// tolerated.
pub(crate) fn parse(text: &str) -> Parse<'_> {
    let (tree, errors) = parse_tree(text);
    Parse { tree, errors }
}

/// Texts at least this long are parsed in pieces on every core (see
/// `pieces`); below it, starting threads costs more than it saves.
const PARALLEL_BYTES: usize = 1 << 20;

/// A text parsed in pieces is cut into pieces of about this size, or one per
/// core if those are larger, so that the trees held at once (one per core,
/// each dropped once `then` has read it) stay small beside the text.
const PIECE_BYTES: usize = 1 << 20;

/// Parses `text` and runs `then` on the result. A large text that splits
/// cleanly into pieces (see `pieces`) is parsed in pieces on every core,
/// and `then` runs on each piece in the thread that parsed it; the results
/// are folded into `start` with `each` in text order, each as soon as the
/// ones before it are. Otherwise the whole text is parsed and `then` runs
/// once. `then` also learns whether it runs beside other pieces (and so
/// should not start threads of its own).
pub(crate) fn parse_fold<R: Send, A>(
    text: &str,
    then: impl Fn(Parse<'_>, bool) -> R + Sync,
    start: impl Fn() -> A,
    mut each: impl FnMut(&mut A, R),
) -> A {
    let cores = crate::parallel::threads();
    // On one core too: the pieces' trees are small where the whole text's
    // would be three times its size.
    if text.len() >= PARALLEL_BYTES {
        let on_piece = |parse: Parse<'_>| then(parse, true);
        let pieces = cores.max(text.len().div_ceil(PIECE_BYTES));
        if let Some(folded) = pieces::parse_fold(text, pieces, cores, &on_piece, start(), &mut each) {
            return folded;
        }
    }
    let (tree, errors) = parse_tree_whole(text);
    let mut into = start();
    each(&mut into, then(Parse { tree, errors }, false));
    into
}

/// `parse_fold` with the results in a list, in text order.
pub(crate) fn parse_then<R: Send>(text: &str, then: impl Fn(Parse<'_>, bool) -> R + Sync) -> Vec<R> {
    parse_fold(text, then, Vec::new, Vec::push)
}

/// Parses KDL v2 text into the lossless syntax tree, for tools that need
/// comments and layout (formatting, quick fixes). Errors are sorted by position.
pub(crate) fn parse_tree(text: &str) -> (SyntaxTree<'_>, Vec<SyntaxError>) {
    parse_tree_whole(text)
}

/// `parse_tree` in one piece, on this thread.
fn parse_tree_whole(text: &str) -> (SyntaxTree<'_>, Vec<SyntaxError>) {
    if text.len() >= u32::MAX as usize {
        let tree = SyntaxTree { text: "", tokens: Vec::new(), nodes: Vec::new() };
        let error = SyntaxError {
            span: Span::new(0, 0),
            message: format!("the file is larger than {MAX_FILE_BYTES} bytes"),
            label: None,
            help: None,
            more: 0,
        };
        return (tree, vec![error]);
    }
    let lexed = lexer::lex(text);
    let v1_signals = lexed.v1_signals;
    let (tree, mut errors) = parser::parse(text, lexed);
    compact(&mut errors);
    if v1_signals > 0
        && let Some(first) = errors.first_mut()
    {
        first.help = Some(V1_HELP.to_owned());
    }
    (tree, errors)
}
