//! Fixes: the mechanical change a finding proposes, born where the finding
//! is made and read by every consumer (the language server's code actions,
//! `check --fix`, the JSON and SARIF reports), as ruff's `Fix` is.
//!
//! A fix is a title, an applicability and a list of edits. Edits are stated
//! in the model's terms (a name to replace, a child node to add to the node
//! at a place, a node to remove), because the stage that finds a problem
//! knows the model, not the text around it; `Resolver` turns them into byte
//! edits of the loaded text, parsing each file it touches once, so a child
//! is added where `fmt` would put it (before the parent's `}`, one level
//! deeper, on a line of its own) and a name keeps its quoting.
//!
//! Safe fixes change nothing about what is delivered where (a misspelt name
//! corrected to its only candidate, `log` added, an unused `allow` removed);
//! `check --fix` applies them. Fixes that change delivery (`retry`,
//! `dead-letter`, `idempotency-key`, `loop-guard`) need review: editors
//! offer them, `check --fix --unsafe-fixes` applies them.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{FileId, Loc};
use crate::source::{SourceFile, SourceMap, Span};

/// Whether a fix may be applied without a person reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Applicability {
    /// It changes nothing about what is delivered where: `check --fix`
    /// applies it.
    Safe,
    /// It changes delivery (retries, dead letters, deduplication, loop
    /// guards): someone should review it; `check --fix --unsafe-fixes`
    /// applies it.
    Unsafe,
}

/// What a finding proposes to change, all or nothing.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fix {
    /// What it does, in the imperative: "Add `log`".
    pub(crate) title: String,
    pub(crate) applicability: Applicability,
    pub(crate) edits: Vec<Edit>,
}

impl Fix {
    /// A fix that changes nothing about delivery.
    pub(crate) fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix { title: title.into(), applicability: Applicability::Safe, edits }
    }

    /// A fix that changes delivery, for someone to review.
    pub(crate) fn needs_review(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix { title: title.into(), applicability: Applicability::Unsafe, edits }
    }

    /// "Replace with `name`": the misspelt name at `loc` corrected, written
    /// as the original is (bare where it was bare and can be). Safe when
    /// `name` was the only plausible candidate; a pick among several needs
    /// review.
    pub(crate) fn did_you_mean(loc: Loc, suggestion: crate::suggest::Suggestion<'_>) -> Self {
        let title = format!("Replace with `{}`", suggestion.name);
        let edits = vec![Edit::Rename { loc, name: suggestion.name.to_owned() }];
        if suggestion.only { Fix::safe(title, edits) } else { Fix::needs_review(title, edits) }
    }
}

/// The most edits of one fix the JSON and SARIF reports write, as they
/// write at most 1,000 findings of a rule in a file: a report stays bounded
/// by what it shows. A larger fix (`log` added to each of 20,000 flows) is
/// left out of them; editors and `check --fix` apply it whole.
pub(crate) const REPORTED_EDITS: usize = crate::source::MAX_PER_RULE_AND_FILE;

impl Fix {
    /// Whether the JSON and SARIF reports write this fix.
    pub(crate) fn is_reported(&self) -> bool {
        self.edits.len() <= REPORTED_EDITS
    }
}

/// One change, in the model's terms.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Edit {
    /// The name (a string or bare word) at `loc` is replaced by `name`,
    /// quoted as the original is.
    Rename { loc: Loc, name: String },
    /// `child` (one KDL node a line, without indentation) becomes the last
    /// child of the node that starts at `parent`.
    InsertChild { parent: Loc, child: String },
    /// The node at `loc` goes, with its line when it is alone on it.
    Remove { loc: Loc },
}

impl Edit {
    /// The file the edit changes.
    pub(crate) fn file(&self) -> FileId {
        match self {
            Edit::Rename { loc, .. } | Edit::Remove { loc } => loc.file,
            Edit::InsertChild { parent, .. } => parent.file,
        }
    }
}

/// An edit made concrete: the bytes `span` of `file` become `text`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TextEdit {
    pub(crate) file: FileId,
    pub(crate) span: Span,
    pub(crate) text: String,
}

/// Turns fixes into text edits of the loaded files. Each file an edit adds
/// to or removes from is parsed once, however many fixes touch it.
pub(crate) struct Resolver<'s> {
    sources: &'s SourceMap,
    /// Per file: where each node that starts at an offset ends, commented-out
    /// entries, children and its `;` included.
    node_ends: FxHashMap<FileId, FxHashMap<u32, u32>>,
}

impl<'s> Resolver<'s> {
    pub(crate) fn new(sources: &'s SourceMap) -> Self {
        Resolver { sources, node_ends: FxHashMap::default() }
    }

    /// The text edits of `fix`, sorted by file and place; `None` when one of
    /// them no longer fits the text (it has changed since the check).
    pub(crate) fn resolve(&mut self, fix: &Fix) -> Option<Vec<TextEdit>> {
        let mut out = Vec::with_capacity(fix.edits.len());
        for edit in &fix.edits {
            out.push(self.edit(edit)?);
        }
        out.sort();
        Some(out)
    }

    fn edit(&mut self, edit: &Edit) -> Option<TextEdit> {
        let file = self.sources.get(edit.file());
        let text = &file.text;
        match edit {
            Edit::Rename { loc, name } => {
                let original = text.get(loc.span.range())?;
                let new = crate::syntax::cursor::requote(original, name);
                Some(TextEdit { file: loc.file, span: loc.span, text: new })
            }
            Edit::InsertChild { parent, child } => {
                let end = self.node_end(parent)?;
                let (span, new) = insert_child(file, Span::new(parent.span.start as usize, end as usize), child)?;
                Some(TextEdit { file: parent.file, span, text: new })
            }
            Edit::Remove { loc } => {
                let end = self.node_end(loc)?;
                Some(TextEdit { file: loc.file, span: removal(file, loc.span.start, end)?, text: String::new() })
            }
        }
    }

    /// Where the node that starts at `loc` ends in its file: the model's
    /// span of a node ends at its last entry that is not commented out, the
    /// tree's takes in a `/-` entry or block after it and its `;`.
    fn node_end(&mut self, loc: &Loc) -> Option<u32> {
        let sources = self.sources;
        // Only a commented-out entry or block (`/-`), a continued line or
        // a comment after the model's span can hide more of the node; when
        // the line ends there, or the node does (`;`, its parent's `}`),
        // the span is the node, and the file need not be parsed.
        let rest = sources.get(loc.file).text.get(loc.span.end as usize..)?;
        let next = rest.trim_start_matches([' ', '\t']);
        if next.starts_with(';') {
            return Some(loc.span.end + (rest.len() - next.len()) as u32 + 1);
        }
        if next.is_empty() || next.starts_with(['\n', '\r', '}']) || next.starts_with("//") {
            return Some(loc.span.end);
        }
        let ends = self.node_ends.entry(loc.file).or_insert_with(|| {
            let (tree, _) = crate::syntax::parse_tree(&sources.get(loc.file).text);
            let mut ends = FxHashMap::default();
            for (i, node) in tree.nodes.iter().enumerate() {
                if node.kind == crate::syntax::CstKind::Node {
                    let span = tree.node_span(i as u32);
                    ends.entry(span.start).or_insert(span.end);
                }
            }
            ends
        });
        let end = ends.get(&loc.span.start).copied().unwrap_or(loc.span.end).max(loc.span.end);
        (end as usize <= sources.get(loc.file).text.len()).then_some(end)
    }
}

/// The indentation `fmt` gives one level.
const INDENT: &str = "    ";

/// The edit that adds `child` as the last child of `node`: before its `}`,
/// on lines of its own, one level deeper than the node's line; a node
/// without children gets a block.
fn insert_child(file: &SourceFile, node: Span, child: &str) -> Option<(Span, String)> {
    let text = &file.text;
    let node_text = text.get(node.range())?;
    let (_, line_start) = file.line_of(node.start);
    let indent: String =
        text.get(line_start as usize..node.start as usize)?.chars().take_while(|c| matches!(c, ' ' | '\t')).collect();
    let inner = format!("{indent}{INDENT}");
    let mut lines = String::new();
    for line in child.lines() {
        lines.push_str(&inner);
        lines.push_str(line);
        lines.push('\n');
    }
    let body = node_text.trim_end_matches([';', ' ', '\t']);
    if body.ends_with('}') {
        let close = node.start as usize + body.len() - 1;
        let (_, close_line) = file.line_of(close as u32);
        let before = text.get(close_line as usize..close)?;
        if before.trim().is_empty() {
            // `}` on a line of its own: the new lines go before that line. A
            // line before it that ends in a line continuation (`\`) would
            // join the first of them to its node: a blank line ends it.
            let at = close_line as usize;
            let continued = ends_continued(text.get(..at)?);
            return Some((Span::new(at, at), if continued { format!("\n{lines}") } else { lines }));
        }
        // `{ a; b }` on one line: the block opens onto lines of its own, and
        // the blanks before the `}` go.
        let kept = before.trim_end_matches([' ', '\t']).len();
        let from = close_line as usize + kept;
        return Some((Span::new(from, close), format!("\n{lines}{indent}")));
    }
    let end = node.start as usize + body.len();
    Some((Span::new(end, end), format!(" {{\n{lines}{indent}}}")))
}

/// Whether the last line of `before` ends in a line continuation: a `\\`
/// followed by nothing but blanks and a comment. A `\\` that only looks
/// so (in a string) costs a blank line, never a joined node.
fn ends_continued(before: &str) -> bool {
    let line = before.trim_end_matches(['\n', '\r']);
    let line = &line[line.rfind('\n').map_or(0, |i| i + 1)..];
    line.match_indices('\\').any(|(i, _)| {
        let rest = line[i + 1..].trim_start_matches([' ', '\t']);
        rest.is_empty() || rest.starts_with("//") || rest.starts_with("/*")
    })
}

/// The bytes removing the node at `start..end` takes: its whole lines when
/// nothing else is on them, else the node and the blanks after it.
fn removal(file: &SourceFile, start: u32, end: u32) -> Option<Span> {
    let text = &file.text;
    let (_, line_start) = file.line_of(start);
    let (end_line, _) = file.line_of(end);
    let line_end = file.line_start(end_line + 1);
    let before = text.get(line_start as usize..start as usize)?;
    let after = text.get(end as usize..line_end)?;
    if before.trim().is_empty() && after.trim().is_empty() {
        return Some(Span::new(line_start as usize, line_end));
    }
    let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
    Some(Span::new(start as usize, end as usize + blanks))
}

/// Text edits gathered from many fixes, none overlapping or touching
/// another (two insertions at one place would run into each other): a fix
/// goes in whole or not at all, and one that does not fit waits for a later
/// pass, made on the text with these applied.
#[derive(Debug, Default)]
pub(crate) struct EditSet {
    /// By file and place: where each edit ends, and its new text.
    edits: BTreeMap<(FileId, u32), (u32, String)>,
}

impl EditSet {
    /// Adds all of `edits` (sorted, from `Resolver::resolve`) if none of
    /// them clashes with an edit already here or with another of them;
    /// `false`, adding nothing, otherwise.
    pub(crate) fn try_add(&mut self, edits: Vec<TextEdit>) -> bool {
        let clashes_here = |e: &TextEdit| {
            let before = self.edits.range(..=(e.file, e.span.start)).next_back();
            let after = self.edits.range((e.file, e.span.start)..).next();
            before.is_some_and(|(&(f, _), &(end, _))| f == e.file && end >= e.span.start)
                || after.is_some_and(|(&(f, start), _)| f == e.file && start <= e.span.end)
        };
        let among_themselves = edits.windows(2).any(|w| w[0].file == w[1].file && w[0].span.end >= w[1].span.start);
        if among_themselves || edits.iter().any(clashes_here) {
            return false;
        }
        for e in edits {
            self.edits.insert((e.file, e.span.start), (e.span.end, e.text));
        }
        true
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// The files the edits change, in order.
    pub(crate) fn files(&self) -> Vec<FileId> {
        let mut files: Vec<FileId> = self.edits.keys().map(|&(f, _)| f).collect();
        files.dedup();
        files
    }

    /// `text`, the text of `file`, with the edits of that file made.
    pub(crate) fn apply(&self, file: FileId, text: &str) -> String {
        let mine = self.edits.range((file, 0)..=(file, u32::MAX));
        let mut out = String::with_capacity(text.len() + mine.clone().map(|(_, (_, t))| t.len()).sum::<usize>());
        let mut at = 0;
        for (&(_, start), (end, new)) in mine {
            let (start, end) = (start as usize, *end as usize);
            if start < at || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            out.push_str(&text[at..start]);
            out.push_str(new);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn one(text: &str, edit: Edit) -> String {
        let mut sources = SourceMap::default();
        sources.add(SourceFile::new("a.kdl".into(), "a.kdl".into(), text.to_owned()));
        let mut resolver = Resolver::new(&sources);
        let mut set = EditSet::default();
        assert!(set.try_add(resolver.resolve(&Fix::safe("t", vec![edit])).unwrap()));
        set.apply(FileId(0), text)
    }

    fn at(text: &str, what: &str) -> Loc {
        let start = text.find(what).unwrap();
        Loc::new(FileId(0), Span::new(start, start + what.len()))
    }

    #[test]
    fn a_child_goes_where_fmt_puts_it() {
        let text = "flow \"a\" {\n    on \"x\"\n}\n";
        let child =
            |child: &str| Edit::InsertChild { parent: at(text, "flow \"a\" {\n    on \"x\"\n}"), child: child.into() };
        assert_eq!(one(text, child("log")), "flow \"a\" {\n    on \"x\"\n    log\n}\n");
        let text = "  flow \"a\" { on \"x\"; to b }\n";
        let parent = at(text, "flow \"a\" { on \"x\"; to b }");
        let edit = Edit::InsertChild { parent, child: "retry\ndead-letter".into() };
        assert_eq!(one(text, edit), "  flow \"a\" { on \"x\"; to b\n      retry\n      dead-letter\n  }\n");
        let text = "system \"a\" kind=crm /-ha=#true\n";
        let edit = Edit::InsertChild { parent: at(text, "system \"a\" kind=crm"), child: "log".into() };
        assert_eq!(one(text, edit), "system \"a\" kind=crm /-ha=#true {\n    log\n}\n");
    }

    #[test]
    fn a_name_keeps_its_quoting_and_a_node_leaves_with_its_line() {
        let text = "to crn action=\"updat\"\n";
        assert_eq!(one(text, Edit::Rename { loc: at(text, "crn"), name: "crm".into() }), "to crm action=\"updat\"\n");
        assert_eq!(
            one(text, Edit::Rename { loc: at(text, "\"updat\""), name: "update".into() }),
            "to crn action=\"update\"\n"
        );
        let text = "flow \"a\" {\n    allow \"x\" reason=\"y\"\n    log\n}\n";
        assert_eq!(one(text, Edit::Remove { loc: at(text, "allow \"x\" reason=\"y\"") }), "flow \"a\" {\n    log\n}\n");
        let text = "flow \"a\" { allow \"x\"; log }\n";
        assert_eq!(one(text, Edit::Remove { loc: at(text, "allow \"x\"") }), "flow \"a\" { log }\n");
    }

    #[test]
    fn touching_edits_do_not_fit_together() {
        let e = |start, end| TextEdit { file: FileId(0), span: Span::new(start, end), text: "x".into() };
        let mut set = EditSet::default();
        assert!(set.try_add(vec![e(5, 5), e(10, 12)]));
        assert!(set.try_add(vec![e(0, 4)]));
        assert!(!set.try_add(vec![e(5, 5)]));
        assert!(!set.try_add(vec![e(12, 14)]));
        assert!(!set.try_add(vec![e(20, 20), e(3, 3)]), "all or nothing");
        assert!(set.try_add(vec![e(13, 14), e(20, 20)]));
        assert!(!set.try_add(vec![e(30, 32), e(32, 33)]));
        let other = TextEdit { file: FileId(1), span: Span::new(5, 5), text: "y".into() };
        assert!(set.try_add(vec![other]));
        assert_eq!(set.files(), vec![FileId(0), FileId(1)]);
        assert_eq!(set.apply(FileId(0), "abcdefghijklmnopqrstuvwxyz"), "xexfghijxmxopqrstxuvwxyz");
    }
}
