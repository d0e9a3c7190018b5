//! The server's state: the open documents (their text, as the client last
//! sent it, replaces what is on disk), and the last check of each spec
//! (`Analysis`), which every request is answered from (`Context`).

use std::cell::OnceCell;
use std::path::PathBuf;

use lsp_types as lsp;
use rustc_hash::{FxHashMap, FxHashSet};

use super::convert::{range, uri_for};
use super::front::{self, Layouts};
use super::index;
use crate::model::FileId;
use crate::source::SourceFile;
use crate::syntax::{self, SyntaxTree};

/// An open document.
pub(in crate::lsp) struct Document {
    pub(in crate::lsp) uri: lsp::Uri,
    pub(in crate::lsp) version: i32,
    pub(in crate::lsp) text: String,
}

/// The last check of one spec.
pub(in crate::lsp) struct Analysis {
    pub(in crate::lsp) checked: crate::Checked,
    /// Built by the first request that needs it, not on every keystroke.
    index: OnceCell<index::Index>,
    pub(in crate::lsp) files: FxHashMap<PathBuf, FileId>,
    /// Files that diagnostics were published for, to clear them later.
    pub(in crate::lsp) published: FxHashSet<PathBuf>,
    /// How the check's front end cut each file (`front::around`).
    pub(in crate::lsp) layouts: Layouts,
}

impl Analysis {
    /// The analysis of a check whose front end cut its files as `layouts`
    /// says; nothing is published for it yet.
    pub(in crate::lsp) fn new(checked: crate::Checked, layouts: Layouts) -> Analysis {
        let files = checked.sources.files().map(|(id, f)| (f.path.clone(), id)).collect();
        Analysis { checked, index: OnceCell::new(), files, published: FxHashSet::default(), layouts }
    }

    /// Every declaration and resolved reference of the spec.
    pub(in crate::lsp) fn index(&self) -> &index::Index {
        self.index.get_or_init(|| index::Index::build(&self.checked.spec))
    }
}

/// What a feature sees: the last check of the document's spec.
pub(in crate::lsp) struct Context<'a> {
    pub(in crate::lsp) analysis: &'a Analysis,
    /// The document the request is about.
    pub(in crate::lsp) file: FileId,
    pub(in crate::lsp) documents: &'a FxHashMap<PathBuf, Document>,
}

impl Context<'_> {
    pub(in crate::lsp) fn source(&self, file: FileId) -> &SourceFile {
        self.analysis.checked.sources.get(file)
    }

    pub(in crate::lsp) fn uri(&self, file: FileId) -> Option<lsp::Uri> {
        uri_for(self.documents, &self.source(file).path)
    }

    pub(in crate::lsp) fn location(&self, loc: crate::model::Loc) -> Option<lsp::Location> {
        Some(lsp::Location { uri: self.uri(loc.file)?, range: range(self.source(loc.file), loc.span) })
    }

    /// The byte offset of an LSP position in the request's document.
    pub(in crate::lsp) fn offset(&self, position: lsp::Position) -> u32 {
        self.source(self.file).offset_of_utf16(position.line, position.character)
    }

    /// The syntax tree around byte `offset` of the request's document, as
    /// the whole document's tree has it there, and where the part parsed
    /// starts: its places are counted from there (`front::around`).
    pub(in crate::lsp) fn tree_around(&self, offset: u32) -> (u32, SyntaxTree<'_>) {
        let text = &self.source(self.file).text;
        let layout = self.analysis.layouts.get(&self.file).map(Vec::as_slice);
        let part = front::around(layout, text.len(), offset);
        let start = part.start as u32;
        (start, syntax::parse_tree(&text[part]).0)
    }
}

/// Applies one `didChange` edit to a document's text.
pub(in crate::lsp) fn apply_change(text: &mut String, change: lsp::TextDocumentContentChangeEvent) {
    let Some(r) = change.range else {
        *text = change.text;
        return;
    };
    let start = offset_in(text, r.start);
    let end = offset_in(text, r.end).max(start);
    text.replace_range(start..end, &change.text);
}

/// The byte offset of an LSP position (0-based line, UTF-16 column) in
/// `text`, clamped to the line and the text.
pub(in crate::lsp) fn offset_in(text: &str, position: lsp::Position) -> usize {
    let mut line = 0;
    let mut at = 0;
    let bytes = text.as_bytes();
    while line < position.line {
        match memchr::memchr2(b'\n', b'\r', &bytes[at..]) {
            Some(i) => {
                at += i + 1;
                if bytes[at - 1] == b'\r' && bytes.get(at) == Some(&b'\n') {
                    at += 1;
                }
                line += 1;
            }
            None => return text.len(),
        }
    }
    let mut units = 0;
    for (i, c) in text[at..].char_indices() {
        if units >= position.character as usize || c == '\n' || c == '\r' {
            return at + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_and_lines_end_as_editors_say() {
        let text = "ab\r\né𝄞x\ny";
        assert_eq!(offset_in(text, lsp::Position { line: 1, character: 3 }), text.find('x').unwrap());
        assert_eq!(offset_in(text, lsp::Position { line: 2, character: 0 }), text.find('y').unwrap());
        assert_eq!(offset_in(text, lsp::Position { line: 9, character: 0 }), text.len());
        let mut t = text.to_owned();
        let r =
            lsp::Range { start: lsp::Position { line: 1, character: 1 }, end: lsp::Position { line: 1, character: 3 } };
        apply_change(
            &mut t,
            lsp::TextDocumentContentChangeEvent { range: Some(r), range_length: None, text: "-".into() },
        );
        assert_eq!(t, "ab\r\né-x\ny");
    }
}
