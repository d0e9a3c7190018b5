//! The files of a compilation and the mapping from byte offsets to lines and
//! columns.
//!
//! Every position wireplan prints is computed here: lines and columns are
//! 1-based, columns count characters (not bytes), and `\n`, `\r\n` and a lone
//! `\r` all end a line, as editors count them. A byte-order mark is removed
//! when a file is loaded, so columns on the first line match the editor's.

use std::path::{Path, PathBuf};

use crate::model::{FileId, Loc};
use crate::syntax::Span;

/// One loaded file.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    /// The path as resolved on disk (canonical when it exists).
    pub(crate) path: PathBuf,
    /// The path to show: relative to the current folder where it can be,
    /// `/`-separated.
    pub(crate) name: String,
    pub(crate) text: String,
    line_starts: Vec<u32>,
}

/// A 1-based line and character column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub(crate) line: u32,
    pub(crate) column: u32,
}

impl SourceFile {
    pub(crate) fn new(path: PathBuf, name: String, mut text: String) -> Self {
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let line_starts = line_starts(&text);
        SourceFile { path, name, text, line_starts }
    }

    /// The 0-based line holding byte `offset`.
    fn line_index(&self, offset: u32) -> usize {
        self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1)
    }

    /// The 1-based line and character column of byte `offset`.
    pub(crate) fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let end = floor_char_boundary(&self.text, offset as usize);
        let column = self.text[start..end.max(start)].chars().count() + 1;
        Position { line: line as u32 + 1, column: column as u32 }
    }

    /// The 0-based line and UTF-16 column of byte `offset`, as LSP counts.
    #[cfg_attr(not(test), allow(dead_code))] // for editor integrations; tested below
    pub(crate) fn utf16_position(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let end = floor_char_boundary(&self.text, offset as usize);
        let column: usize = self.text[start..end.max(start)].chars().map(char::len_utf16).sum();
        (line as u32, column as u32)
    }

    #[cfg_attr(not(test), allow(dead_code))]
    /// The byte offset of a 0-based line and UTF-16 column (the inverse of
    /// `utf16_position`), clamped to the text.
    pub(crate) fn offset_of_utf16(&self, line: u32, column: u32) -> u32 {
        let Some(&start) = self.line_starts.get(line as usize) else { return self.text.len() as u32 };
        let mut units = 0;
        for (i, c) in self.text[start as usize..].char_indices() {
            if units >= column as usize || c == '\n' || c == '\r' {
                return start + i as u32;
            }
            units += c.len_utf16();
        }
        self.text.len() as u32
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn line_starts(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = vec![0u32];
    // memchr looks at many bytes per step; lines are found at memory speed.
    for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
            starts.push(i as u32 + 1);
        }
    }
    starts
}

/// All files of one compilation, indexed by `FileId`.
#[derive(Clone, Debug, Default)]
pub(crate) struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub(crate) fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub(crate) fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub(crate) fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    pub(crate) fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }
}

/// A name for `path` relative to `base` when it lies below it, `/`-separated.
pub(crate) fn display_name(path: &Path, base: &Path) -> String {
    let shown = path.strip_prefix(base).unwrap_or(path);
    let parts: Vec<String> = shown.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let joined = parts.join("/");
    if path.is_absolute() && shown == path { joined.replacen("//", "/", 1) } else { joined }
}

impl Loc {
    pub(crate) fn new(file: FileId, span: Span) -> Self {
        Loc { file, span }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new(PathBuf::from("t.kdl"), "t.kdl".into(), text.into())
    }

    #[test]
    fn columns_count_characters_and_lines_follow_editors() {
        let f = file("ab\r\ncd\ré x\nz");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(4), Position { line: 2, column: 1 });
        assert_eq!(f.position(7), Position { line: 3, column: 1 });
        // `x` comes after a two-byte `é` and a space: character column 3.
        assert_eq!(f.position(10), Position { line: 3, column: 3 });
        assert_eq!(f.position(12), Position { line: 4, column: 1 });
        assert_eq!(f.utf16_position(10), (2, 2));
        assert_eq!(f.offset_of_utf16(2, 2), 10);
    }

    #[test]
    fn bom_is_removed() {
        let f = file("\u{feff}stack");
        assert_eq!(f.text, "stack");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
    }
}
