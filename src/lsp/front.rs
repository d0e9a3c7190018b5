//! The language server's front end: the crate root's `parse_and_lower`
//! (parse a file, lower it into the spec) with a memory of the pieces of
//! text it has lowered, so that a keystroke re-lowers the piece it changed
//! and reuses the others.
//!
//! A file is cut into pieces after blank lines, by the rule `check` cuts a
//! large file by to parse it on every core (`syntax::pieces`): when every
//! piece parses alone without an error and none ends with `/-`, the pieces'
//! trees are the whole text's, and lowering them one by one and appending
//! the results in order gives what lowering the whole text gives (that is
//! how `check` lowers a large file). What lowering made of a piece is kept
//! under the piece's text; a piece met again, wherever it now is, is that
//! result cloned and moved to its place (`relocate.rs`). A cut is made only
//! before a line that starts at the left margin (a blank line inside an
//! indented block is no cut), and only where that line's hash picks it,
//! about one in `GROUP`: a piece holds a few top-level nodes, and whether a
//! cut is made depends on the line after it alone, so an edit changes its
//! own piece and not the cuts after it. A piece that does not parse alone
//! (a blank line inside a block of a spec written without indentation) is
//! joined to the next ones. One piece of a file may have syntax errors of
//! its own, as the piece being typed in often has, when nothing in it
//! reaches past its end (`syntax::Alone::Broken`): it is lowered alone,
//! errors and all. A file that still has a piece that does not parse alone,
//! or two with errors (a `{` left open, a string running on), is parsed and
//! lowered whole by `crate::parse_and_lower`, so that its findings are the
//! pipeline's own.
//!
//! The loader takes its front end as a plain function (`load::Front`), so
//! the memory is lent to this thread for the length of one load
//! (`Front::lend`), and the load also says how it cut each file
//! (`Layouts`), which completion and hover use to parse only the piece
//! around the cursor.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHasher};

use super::relocate::{Move, Relocate};
use crate::diagnostic::Diagnostic;
use crate::lower::{self, Lowered};
use crate::model::{FileId, Include, Spec};
use crate::syntax::{self, Alone};

/// About one cut in this many, among those that may be made.
const GROUP: u64 = 8;

/// A piece that does not parse alone is joined to at most this many of the
/// next ones before the whole file is lowered instead.
const MAX_JOINS: usize = 8;

/// Pieces of at least this many bytes in all are lowered (a file just
/// opened) or copied (a large file edited) on every core.
pub(in crate::lsp) const PARALLEL_BYTES: usize = 256 * 1024;

/// A piece no load has met for this many loads is forgotten.
const KEPT_LOADS: u64 = 8;

/// The memory of lowered pieces, shared by every spec the server checks:
/// a piece is known by its text alone.
#[derive(Default)]
pub(in crate::lsp) struct Front {
    pieces: FxHashMap<Box<str>, Kept>,
    /// Loads so far.
    loads: u64,
    /// Pieces lowered so far (the rest were reused).
    pub(in crate::lsp) lowered: usize,
}

/// What lowering made of a piece, with where it was then.
struct Kept {
    part: Part,
    /// The piece's length in bytes.
    len: usize,
    file: FileId,
    start: u32,
    /// The last load that met it (set while copies are made on every core).
    used: AtomicU64,
}

/// What lowering made of a piece, and whether the piece has syntax errors
/// of its own (`syntax::Alone::Broken`), which only one piece of a file
/// may have.
#[derive(Clone)]
struct Part {
    lowered: Lowered,
    broken: bool,
}

impl Kept {
    /// A copy of what lowering made of the piece, moved to `start` of `file`.
    fn copy_at(&self, file: FileId, start: usize) -> Part {
        let mut part = self.part.clone();
        let to = Move { file, by: offset(start).wrapping_sub(self.start) };
        if to != (Move { file: self.file, by: 0 }) {
            part.lowered.relocate(to);
        }
        part
    }
}

/// What a piece of a file is made of in a load.
enum Made<'f> {
    /// What lowering made of it before.
    Met(&'f Kept),
    /// What lowering made of it now (boxed: a `Part` is large, and few
    /// pieces are lowered at a keystroke).
    Now(Box<Part>),
}

impl Made<'_> {
    fn broken(&self) -> bool {
        match self {
            Made::Met(kept) => kept.part.broken,
            Made::Now(part) => part.broken,
        }
    }
}

/// A piece of a file, as the last load cut it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::lsp) struct Piece {
    pub(in crate::lsp) start: u32,
    pub(in crate::lsp) end: u32,
    /// Whether it parses alone as it does in place (`syntax::Alone`):
    /// `false` for a piece that does not, and for what follows it, which
    /// was not looked at.
    pub(in crate::lsp) alone: bool,
}

/// How the last load cut each of its files.
pub(in crate::lsp) type Layouts = FxHashMap<FileId, Vec<Piece>>;

/// What is lent to this thread during a load.
struct Lent {
    front: Front,
    layouts: Layouts,
}

thread_local! {
    static LENT: RefCell<Option<Lent>> = const { RefCell::new(None) };
}

impl Front {
    /// Runs `load` (which calls `parse_and_lower` below, through the loader)
    /// with this memory lent to it; returns its result and how it cut each
    /// file. The memory comes back even if `load` panics.
    pub(in crate::lsp) fn lend<R>(&mut self, load: impl FnOnce() -> R) -> (R, Layouts) {
        self.loads += 1;
        let front = std::mem::take(self);
        LENT.with(|lent| *lent.borrow_mut() = Some(Lent { front, layouts: Layouts::default() }));
        let back = TakeBack(self);
        let result = load();
        let layouts = back.finish();
        (result, layouts)
    }

    /// Lowers `text` (file `file`) in pieces, or `None` with the layout when
    /// it must be lowered whole.
    fn lower(&mut self, file: FileId, text: &str) -> (Option<Vec<Lowered>>, Vec<Piece>) {
        let cuts = cuts(text);
        let ranges: Vec<Range<usize>> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
        let met: Vec<Option<&Kept>> = ranges.iter().map(|r| self.met(&text[r.clone()])).collect();
        let new: Vec<Range<usize>> =
            ranges.iter().zip(&met).filter(|(_, m)| m.is_none()).map(|(r, _)| r.clone()).collect();
        // The pieces not met before, lowered, each at its index.
        let mut fresh: Vec<Option<Part>> = Vec::with_capacity(ranges.len());
        let mut lowered = lower_pieces(file, text, &new).into_iter();
        for m in &met {
            fresh.push(if m.is_some() { None } else { lowered.next().flatten() });
        }
        // What is lowered now is remembered once the rest is copied.
        let mut lowered_now: Vec<(Range<usize>, Part)> = Vec::new();
        // Each piece of the file (or pieces joined), as met before or as
        // lowered now; decided before anything is copied, since a file that
        // must be lowered whole needs no copies.
        let mut made: Vec<(usize, Made<'_>)> = Vec::with_capacity(ranges.len());
        let mut layout = Vec::with_capacity(ranges.len());
        let mut broken = false;
        let mut i = 0;
        while i < ranges.len() {
            let mut range = ranges[i].clone();
            let mut next = i + 1;
            let mut this = match (met[i], fresh[i].take()) {
                (Some(kept), _) => Some(Made::Met(kept)),
                (None, part) => part.map(|part| {
                    lowered_now.push((range.clone(), part.clone()));
                    Made::Now(Box::new(part))
                }),
            };
            // A piece that does not parse alone ends inside something (a
            // block with a blank line in it): join it to the next ones.
            while this.is_none() && next < ranges.len() && next - i <= MAX_JOINS {
                range.end = ranges[next].end;
                next += 1;
                this = self.met(&text[range.clone()]).map(Made::Met).or_else(|| {
                    let part = lower_pieces(file, text, std::slice::from_ref(&range)).pop().flatten()?;
                    lowered_now.push((range.clone(), part.clone()));
                    Some(Made::Now(Box::new(part)))
                });
                this = this.filter(|made| !made.broken());
            }
            // One piece of a file may have syntax errors of its own.
            let Some(this) = this.filter(|made| !(made.broken() && broken)) else {
                layout.push(Piece { start: offset(range.start), end: offset(text.len()), alone: false });
                self.remember(file, text, lowered_now);
                return (None, layout);
            };
            broken |= this.broken();
            made.push((range.start, this));
            layout.push(Piece { start: offset(range.start), end: offset(range.end), alone: true });
            i = next;
        }
        // Copies of the pieces met before, moved to where they now are (on
        // every core when they are many).
        let bytes = made.iter().map(|(_, made)| if let Made::Met(kept) = made { kept.len } else { 0 }).sum();
        let made = on_every_core(&made, bytes, |(start, made)| match made {
            Made::Met(kept) => kept.copy_at(file, *start).lowered,
            Made::Now(part) => part.lowered.clone(),
        });
        self.remember(file, text, lowered_now);
        (Some(made), layout)
    }

    /// What lowering made of `piece` before, if it did.
    fn met(&self, piece: &str) -> Option<&Kept> {
        let kept = self.pieces.get(piece)?;
        kept.used.store(self.loads, Ordering::Relaxed);
        Some(kept)
    }

    /// Remembers what lowering made of each piece of `text` (in `file`)
    /// lowered now.
    fn remember(&mut self, file: FileId, text: &str, lowered: Vec<(Range<usize>, Part)>) {
        self.lowered += lowered.len();
        for (range, part) in lowered {
            let kept =
                Kept { len: range.len(), part, file, start: offset(range.start), used: AtomicU64::new(self.loads) };
            self.pieces.insert(text[range].into(), kept);
        }
    }

    /// Forgets the pieces no recent load met.
    fn forget_old(&mut self) {
        let loads = self.loads;
        self.pieces.retain(|_, kept| kept.used.load(Ordering::Relaxed) + KEPT_LOADS > loads);
    }
}

/// Puts the lent memory back, on the way out of `Front::lend` or of a panic
/// in the load.
struct TakeBack<'a>(&'a mut Front);

impl TakeBack<'_> {
    fn finish(self) -> Layouts {
        let Some(Lent { front, layouts }) = LENT.with(|lent| lent.borrow_mut().take()) else {
            return Layouts::default();
        };
        *self.0 = front;
        self.0.forget_old();
        layouts
    }
}

impl Drop for TakeBack<'_> {
    fn drop(&mut self) {
        if let Some(Lent { front, .. }) = LENT.with(|lent| lent.borrow_mut().take()) {
            *self.0 = front;
        }
    }
}

/// The front end the loader runs on each file while a `Front` is lent
/// (`crate::parse_and_lower` otherwise): the file's pieces, reused or
/// lowered, appended in order; the whole file when it does not cut cleanly.
pub(in crate::lsp) fn parse_and_lower(
    file: FileId,
    text: &str,
    spec: &mut Spec,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Include>, Duration) {
    let start = Instant::now();
    let parts = LENT.with(|lent| {
        let mut lent = lent.borrow_mut();
        let lent = lent.as_mut()?;
        let (parts, layout) = lent.front.lower(file, text);
        lent.layouts.insert(file, layout);
        parts
    });
    let Some(parts) = parts else { return crate::parse_and_lower(file, text, spec, diagnostics) };
    // Room for every part at once, rather than growing with each.
    let total = |len: fn(&Lowered) -> usize| parts.iter().map(len).sum::<usize>();
    spec.systems.reserve(total(|p| p.spec.systems.len()));
    spec.events.reserve(total(|p| p.spec.events.len()));
    spec.flows.reserve(total(|p| p.spec.flows.len()));
    diagnostics.reserve(total(|p| p.diagnostics.len()));
    let mut includes = Vec::new();
    for part in parts {
        includes.extend(part.append_to(spec, diagnostics));
    }
    (includes, start.elapsed())
}

/// Parses and lowers each of `ranges` of `text` alone (on every core when
/// they are large), syntax errors and all when they are its own; `None` for
/// one that does not parse alone as it does in place. Places are in the
/// whole text.
fn lower_pieces(file: FileId, text: &str, ranges: &[Range<usize>]) -> Vec<Option<Part>> {
    let bytes = ranges.iter().map(ExactSizeIterator::len).sum();
    on_every_core(ranges, bytes, |range| {
        let (mut parse, broken) = match syntax::parse_alone(&text[range.clone()]) {
            Alone::Clean(parse) => (parse, false),
            Alone::Broken(parse) => (parse, true),
            Alone::Neither => return None,
        };
        // As `crate::parse_and_lower` reports them.
        let errors = std::mem::take(&mut parse.errors);
        let mut lowered = lower::lower_document(file, parse.document(), 1);
        lowered.diagnostics.extend(errors.into_iter().map(|e| crate::syntax_error(file, e)));
        lowered.relocate(Move { file, by: offset(range.start) });
        Some(Part { lowered, broken })
    })
}

/// `each` of `items`, in order: on every core when they stand for at least
/// `PARALLEL_BYTES` of text, on this thread otherwise.
fn on_every_core<T: Sync, R: Send>(items: &[T], bytes: usize, each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = if bytes < PARALLEL_BYTES { 1 } else { crate::parallel::threads().min(items.len()) };
    if threads < 2 {
        return items.iter().map(each).collect();
    }
    let each = &each;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|run| scope.spawn(move || run.iter().map(each).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(crate::parallel::join).collect()
    })
}

/// Where `text` is cut: 0, the cuts, and its length. A cut goes after a
/// blank line, before a line that starts at the left margin with something
/// other than a `}`, where that line's hash picks it.
pub(in crate::lsp) fn cuts(text: &str) -> Vec<usize> {
    let mut cuts = vec![0];
    let mut at = 0;
    while let Some(cut) = syntax::blank_line_after(text, at) {
        at = cut;
        let line = text[cut..].split(['\n', '\r']).next().unwrap_or("");
        let starts_node = line.starts_with(|c: char| !c.is_whitespace() && c != '}');
        if starts_node && picked(line) {
            cuts.push(cut);
        }
    }
    cuts.push(text.len());
    cuts
}

/// Whether a cut is made before `line`: one line in `GROUP`, by its hash.
fn picked(line: &str) -> bool {
    let mut hasher = FxHasher::default();
    line.hash(&mut hasher);
    hasher.finish().is_multiple_of(GROUP)
}

/// A byte offset in a file (files are smaller than 4 GiB: `MAX_FILE_BYTES`).
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// The part of a file to parse to see the tree around byte `at` as the
/// whole file's parse has it: the piece that holds it, when it and every
/// piece before it parse alone; otherwise from the first piece that does
/// not, at or before it, to the end (a parse never looks back past a clean
/// cut, but an unclosed block may reach any way forward). The whole file
/// when its layout is unknown.
pub(in crate::lsp) fn around(layout: Option<&[Piece]>, len: usize, at: u32) -> Range<usize> {
    let whole = 0..len;
    let Some(layout) = layout else { return whole };
    let holding = layout.partition_point(|p| p.end <= at).min(layout.len().saturating_sub(1));
    let Some(piece) = layout.get(holding) else { return whole };
    match layout[..=holding].iter().find(|p| !p.alone) {
        None => piece.start as usize..piece.end as usize,
        Some(broken) => broken.start as usize..len,
    }
}
