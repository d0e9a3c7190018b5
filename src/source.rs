//! Places in a spec (`Span`, `FileId`, `Loc`), the files of a compilation,
//! and the mapping from byte offsets to lines and columns. This is the
//! bottom of the pipeline: every stage points here, and this points nowhere.
//!
//! Every position wireplan prints is computed here: lines and columns are
//! 1-based, columns count characters (not bytes), and `\n`, `\r\n` and a lone
//! `\r` all end a line, as editors count them. A byte-order mark is removed
//! when a file is loaded, so columns on the first line match the editor's.

use std::path::{Path, PathBuf};

/// The largest file wireplan reads. Larger files get one clear diagnostic.
pub(crate) const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;

/// The most findings of one rule reported in one file; the rest are counted
/// in one last finding, as compilers cap their error lists, so a hostile file
/// (a million stray `}`) gives a report of bounded size. Every stage keeps at
/// most a few times this many of each while it works, so memory is bounded
/// too (see `diagnostic::push_capped` and the syntax errors' `more`).
pub(crate) const MAX_PER_RULE_AND_FILE: usize = 1000;

/// A half-open byte range `start..end` within one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        // Files are capped well below 4 GiB (see `MAX_FILE_BYTES`), so offsets fit.
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span { start: clamp(start), end: clamp(end.max(start)) }
    }

    pub(crate) fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both.
    pub(crate) fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// An index into the `SourceMap` of the compilation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FileId(pub(crate) u32);

/// A place in the spec: a file and a byte span in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Loc {
    pub(crate) file: FileId,
    pub(crate) span: Span,
}

/// One loaded file.
#[derive(Clone, Debug)]
pub(crate) struct SourceFile {
    /// The path as resolved on disk (canonical when it exists).
    pub(crate) path: PathBuf,
    /// The path to show: relative to the current folder where it can be,
    /// `/`-separated.
    pub(crate) name: String,
    pub(crate) text: String,
    lines: Lines,
    /// Characters and UTF-16 units before every `MARK_STEP`-th byte, so that
    /// a column costs at most `MARK_STEP` bytes of counting however long its
    /// line is (a 10 MB one-line spec with thousands of findings stays
    /// linear).
    marks: Vec<(u32, u32)>,
}

/// Bytes between two entries of `SourceFile::marks`.
const MARK_STEP: usize = 1024;

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
        let lines = Lines::new(&text);
        let marks = marks(&text);
        SourceFile { path, name, text, lines, marks }
    }

    /// Characters and UTF-16 units in the text before byte `offset` (a char
    /// boundary).
    fn units_before(&self, offset: usize) -> (usize, usize) {
        let mark = offset / MARK_STEP;
        let (chars, utf16) = self.marks[mark];
        let (c, u) = count_units(&self.text.as_bytes()[mark * MARK_STEP..offset]);
        (chars as usize + c, utf16 as usize + u)
    }

    /// Characters and UTF-16 units between two char boundaries: counted
    /// directly on a short stretch (a line, usually), through the marks on a
    /// long one (a hostile one-line spec), so each costs at most a few marks'
    /// worth of bytes.
    fn units_between(&self, start: usize, end: usize) -> (usize, usize) {
        if end - start <= MARK_STEP {
            count_units(&self.text.as_bytes()[start..end])
        } else {
            let (a, b) = (self.units_before(start), self.units_before(end));
            (b.0 - a.0, b.1 - a.1)
        }
    }

    /// The byte offset where the line holding `offset` starts and the 0-based
    /// line index.
    pub(crate) fn line_of(&self, offset: u32) -> (usize, u32) {
        self.lines.of(&self.text, offset.min(self.text.len() as u32))
    }

    /// The byte offset where 0-based line `line` starts (the end of the text
    /// past the last line).
    pub(crate) fn line_start(&self, line: usize) -> usize {
        self.lines.start(&self.text, line)
    }

    /// The text of 0-based line `line`, without its line break.
    pub(crate) fn line_text(&self, line: usize) -> &str {
        let end = self.line_start(line + 1);
        self.text[self.line_start(line).min(end)..end].trim_end_matches(['\n', '\r'])
    }

    /// How many lines the file has.
    pub(crate) fn line_count(&self) -> usize {
        self.lines.count as usize
    }

    /// The 1-based line and character column of byte `offset`.
    pub(crate) fn position(&self, offset: u32) -> Position {
        let offset = offset.min(self.text.len() as u32);
        let (line, start) = self.line_of(offset);
        let start = start as usize;
        let end = floor_char_boundary(&self.text, offset as usize).max(start);
        let column = self.units_between(start, end).0 + 1;
        Position { line: line as u32 + 1, column: column as u32 }
    }

    /// The 0-based line and UTF-16 column of byte `offset`, as LSP counts.
    pub(crate) fn utf16_position(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.text.len() as u32);
        let (line, start) = self.line_of(offset);
        let start = start as usize;
        let end = floor_char_boundary(&self.text, offset as usize).max(start);
        let column = self.units_between(start, end).1;
        (line as u32, column as u32)
    }

    /// The byte offset of a 0-based line and UTF-16 column (the inverse of
    /// `utf16_position`), clamped to the text.
    pub(crate) fn offset_of_utf16(&self, line: u32, column: u32) -> u32 {
        if line >= self.lines.count {
            return self.text.len() as u32;
        }
        let start = self.line_start(line as usize) as u32;
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

/// Characters and UTF-16 units in `bytes`, which may start or end inside a
/// character: a character is counted at its first byte, and one of four
/// bytes (outside the Basic Multilingual Plane) is two UTF-16 units.
fn count_units(bytes: &[u8]) -> (usize, usize) {
    // Most of a spec is ASCII: a byte a character, checked a word at a time.
    if bytes.is_ascii() {
        return (bytes.len(), bytes.len());
    }
    let chars = bytes.iter().filter(|&&b| (b as i8) >= -0x40).count();
    let astral = bytes.iter().filter(|&&b| b >= 0xf0).count();
    (chars, chars + astral)
}

fn marks(text: &str) -> Vec<(u32, u32)> {
    let mut marks = Vec::with_capacity(text.len() / MARK_STEP + 1);
    let (mut chars, mut utf16) = (0, 0);
    marks.push((0, 0));
    for chunk in text.as_bytes().chunks(MARK_STEP) {
        let (c, u) = count_units(chunk);
        chars += c as u32;
        utf16 += u as u32;
        marks.push((chars, utf16));
    }
    marks
}

/// Where lines start, kept sparsely: a checkpoint at every
/// `CHECKPOINT_BYTES`-th byte and at the start of every
/// `CHECKPOINT_LINES`-th line, each with the line it falls in and where
/// that line starts. A lookup finds the checkpoint before it and counts the
/// line breaks from there, at most `CHECKPOINT_BYTES` of them, at memory
/// speed; a 34 MB spec of two million lines keeps 0.5 MB of checkpoints
/// rather than 8 MB of line starts, and a hostile one-line spec costs no
/// more per lookup than any other.
#[derive(Clone, Debug)]
struct Lines {
    checkpoints: Vec<Checkpoint>,
    /// How many lines the text has (one more than its line breaks).
    count: u32,
}

/// A place in the text (`offset`), the 0-based line it falls in and the
/// byte where that line starts.
#[derive(Clone, Copy, Debug)]
struct Checkpoint {
    offset: u32,
    line: u32,
    line_start: u32,
}

/// Bytes between two byte checkpoints of `Lines`.
const CHECKPOINT_BYTES: u32 = 4096;
/// Lines between two line checkpoints of `Lines`.
const CHECKPOINT_LINES: u32 = 64;

/// The line breaks of `bytes` at `from..to`: the offset each break ends
/// at, where the next line starts. `\n`, `\r\n` and a lone `\r` each end a
/// line (a `\r` just before `to` is told from a `\r\n` by the byte after
/// it). Only `from..to` is scanned, so a lookup on a long line never reads
/// past the place it asks about.
fn breaks(bytes: &[u8], from: usize, to: usize) -> impl Iterator<Item = u32> + '_ {
    // memchr looks at many bytes per step; lines are found at memory speed.
    memchr::memchr2_iter(b'\n', b'\r', &bytes[from..to])
        .map(move |i| i + from)
        .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
        .map(|i| i as u32 + 1)
}

impl Lines {
    fn new(text: &str) -> Lines {
        let len = text.len() as u32;
        let mut checkpoints = Vec::with_capacity((len / CHECKPOINT_BYTES) as usize + 1);
        let (mut line, mut line_start, mut next_byte) = (0, 0, 0);
        for start in breaks(text.as_bytes(), 0, text.len()) {
            // The byte checkpoints before this break fall in the line it ends.
            while next_byte < start {
                checkpoints.push(Checkpoint { offset: next_byte, line, line_start });
                next_byte += CHECKPOINT_BYTES;
            }
            line += 1;
            line_start = start;
            if line % CHECKPOINT_LINES == 0 {
                checkpoints.push(Checkpoint { offset: start, line, line_start });
            }
        }
        while next_byte <= len {
            checkpoints.push(Checkpoint { offset: next_byte, line, line_start });
            next_byte += CHECKPOINT_BYTES;
        }
        checkpoints.shrink_to_fit();
        Lines { checkpoints, count: line + 1 }
    }

    /// The 0-based line holding byte `offset` (at most the text's length)
    /// and the byte where it starts.
    fn of(&self, text: &str, offset: u32) -> (usize, u32) {
        let at = self.checkpoints.partition_point(|c| c.offset <= offset).saturating_sub(1);
        let c = self.checkpoints[at];
        let (mut line, mut line_start) = (c.line, c.line_start);
        // The breaks before `offset`: those that end at or before it.
        for start in breaks(text.as_bytes(), c.offset as usize, offset as usize) {
            line += 1;
            line_start = start;
        }
        (line as usize, line_start)
    }

    /// The byte where 0-based line `line` starts (the end of the text past
    /// the last line).
    fn start(&self, text: &str, line: usize) -> usize {
        let Ok(line) = u32::try_from(line) else { return text.len() };
        if line >= self.count {
            return text.len();
        }
        let at = self.checkpoints.partition_point(|c| c.line <= line).saturating_sub(1);
        let c = self.checkpoints[at];
        if c.line == line {
            return c.line_start as usize;
        }
        // The line starts before the next checkpoint, at most
        // `CHECKPOINT_BYTES` on: that checkpoint's line is past it.
        let to = self.checkpoints.get(at + 1).map_or(text.len(), |next| next.offset as usize);
        breaks(text.as_bytes(), c.offset as usize, to)
            .nth((line - c.line - 1) as usize)
            .map_or(text.len(), |s| s as usize)
    }
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
}

/// A name for `path` relative to `base`, `/`-separated: `sales/leads.kdl`
/// below it, `../wireplan.kdl` beside or above it, as editors and compilers
/// print paths. Both are absolute (the loader canonicalises them); a path
/// with nothing in common with `base` but the root stays absolute.
pub(crate) fn display_name(path: &Path, base: &Path) -> String {
    let (path_parts, base_parts): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = path_parts.iter().zip(&base_parts).take_while(|(a, b)| a == b).count();
    let relative = path.is_absolute() == base.is_absolute() && common > usize::from(path.has_root());
    let parts: Vec<String> = if relative {
        let up = base_parts.len() - common;
        std::iter::repeat_n("..".to_owned(), up)
            .chain(path_parts[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()))
            .collect()
    } else {
        path_parts.iter().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect()
    };
    let joined = parts.join("/");
    if !relative && path.has_root() { joined.replacen("//", "/", 1) } else { joined }
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
    fn sparse_lines_agree_with_every_line_start() {
        // Texts of short and long lines (past the byte and line checkpoints),
        // with every kind of line break, `\r\n` split across a checkpoint.
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for round in 0..40 {
            let mut text = String::new();
            while text.len() < 20_000 {
                let long = if round % 4 == 0 { 5000 } else { 40 };
                text.extend(std::iter::repeat_n('x', next(long) as usize));
                text.push_str(["\n", "\r\n", "\r", "é\n"][next(4) as usize]);
            }
            if round % 2 == 1 {
                let at = (CHECKPOINT_BYTES as usize - 1..).find(|&i| text.is_char_boundary(i)).unwrap();
                text.insert_str(at, "\r\n");
            }
            let f = file(&text);
            let bytes = text.as_bytes();
            let mut starts = vec![0usize];
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                    starts.push(i + 1);
                }
            }
            assert_eq!(f.line_count(), starts.len());
            for (line, &start) in starts.iter().enumerate() {
                assert_eq!(f.line_start(line), start, "round {round}, line {line}");
            }
            assert_eq!(f.line_start(starts.len()), text.len());
            for offset in (0..=text.len()).step_by(7).chain([text.len()]) {
                let line = starts.partition_point(|&s| s <= offset) - 1;
                assert_eq!(f.line_of(offset as u32), (line, starts[line] as u32), "round {round}, offset {offset}");
            }
        }
    }

    #[test]
    fn columns_on_a_long_line_are_counted_without_rescanning() {
        let line = "é".repeat(3000) + "x" + &"𝄞".repeat(700) + "y";
        let f = file(&line);
        let x = line.find('x').unwrap() as u32;
        let y = line.find('y').unwrap() as u32;
        assert_eq!(f.position(x).column, 3001);
        assert_eq!(f.position(y).column, 3702);
        assert_eq!(f.utf16_position(y), (0, 3000 + 1 + 1400));
    }

    #[test]
    fn names_are_relative_to_the_current_folder_above_and_below() {
        let name = |p: &str, b: &str| display_name(Path::new(p), Path::new(b));
        assert_eq!(name("/a/spec/sales/x.kdl", "/a/spec"), "sales/x.kdl");
        assert_eq!(name("/a/spec/wireplan.kdl", "/a/spec/sales"), "../wireplan.kdl");
        assert_eq!(name("/a/spec/wireplan.kdl", "/a/other/deep"), "../../spec/wireplan.kdl");
        assert_eq!(name("/etc/x.kdl", "/home/u"), "/etc/x.kdl");
    }

    #[test]
    fn bom_is_removed() {
        let f = file("\u{feff}stack");
        assert_eq!(f.text, "stack");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
    }
}
