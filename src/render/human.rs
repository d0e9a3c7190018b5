//! The human report, drawn as rustc draws its diagnostics: a header line, then
//! each place the diagnostic points at as a short snippet of its own (`-->`
//! for the primary place, `:::` for related ones, in any file), then the help,
//! and after all of them a count per rule and a summary line.
//!
//! Labels a few lines apart share a snippet; labels far apart get their own,
//! so a finding about two flows 50 lines apart prints two short snippets, not
//! 50 lines. Everything drawn comes from a spec anyone can write, so source
//! lines, messages and file names go through `text`: control characters and
//! bidirectional overrides are shown escaped, never raw; a long line is clipped
//! to a window around its label. Each snippet line is found through the
//! file's line index, so the report costs time linear in what it prints, not
//! in the size of the file times the number of findings.

use std::collections::BTreeMap;
use std::fmt::Write;

use unicode_width::UnicodeWidthChar;

use super::Report;
use super::text;
use crate::diagnostic::{Diagnostic, Label, Severity, Summary};
use crate::model::Loc;
use crate::source::{SourceFile, SourceMap};

/// How to draw the report.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) color: bool,
    /// Terminal width: long source lines are clipped to fit it.
    pub(crate) width: usize,
}

/// Labels at most this many lines apart are drawn in one snippet.
const JOIN_LINES: usize = 3;

pub(crate) fn render(report: &Report<'_>, style: Style) -> String {
    let paint = Paint { on: style.color };
    let mut out = String::new();
    for d in report.diagnostics {
        diagnostic(&mut out, d, report.sources, style, paint);
        out.push('\n');
    }
    if report.diagnostics.len() > 1 {
        statistics(&mut out, report.diagnostics, paint);
    }
    out.push_str(&summary_line(Summary::of(report.diagnostics), report.sources.files().count()));
    out
}

/// One place to draw: where, and what it says.
struct Place<'a> {
    loc: Loc,
    line: usize,
    message: &'a str,
    primary: bool,
}

fn place<'a>(label: &'a Label, primary: bool, sources: &SourceMap) -> Place<'a> {
    let line = sources.get(label.loc.file).line_of(label.loc.span.start).0;
    Place { loc: label.loc, line, message: &label.message, primary }
}

fn diagnostic(out: &mut String, d: &Diagnostic, sources: &SourceMap, style: Style, paint: Paint) {
    let severity = paint.severity(d.severity, d.severity.as_str());
    let _ = writeln!(out, "{severity}{}", paint.bold(&format!("[{}]: {}", d.rule.name, text::one_line(&d.message))));
    let mut places: Vec<Place<'_>> = std::iter::once(place(&d.primary, true, sources))
        .chain(d.secondary.iter().map(|l| place(l, false, sources)))
        .collect();
    places.sort_by_key(|p| (p.loc.file, p.line, p.loc.span.start, !p.primary));
    let mut groups: Vec<Vec<Place<'_>>> = Vec::new();
    for p in places {
        match groups.last_mut() {
            Some(group)
                if group.last().is_some_and(|last| last.loc.file == p.loc.file && p.line - last.line <= JOIN_LINES) =>
            {
                group.push(p);
            }
            _ => groups.push(vec![p]),
        }
    }
    // The primary place comes first; the others follow in file order.
    if let Some(primary) = groups.iter().position(|g| g.iter().any(|p| p.primary)) {
        let group = groups.remove(primary);
        groups.insert(0, group);
    }
    let gutter = groups.iter().flatten().map(|p| digits(p.line + 1)).max().unwrap_or(1);
    for (i, group) in groups.iter().enumerate() {
        snippet(out, group, i == 0, gutter, sources, style, paint, d.severity);
    }
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad} {}", paint.blue("|"));
    let help = text::lines(&d.help);
    let mut help_lines = help.lines();
    if let Some(first) = help_lines.next() {
        let _ = writeln!(out, "{pad} {} {}", paint.blue("="), paint.bold("help:").to_string() + " " + first);
        for line in help_lines {
            let _ = writeln!(out, "{pad}         {line}");
        }
    }
}

#[allow(clippy::too_many_arguments)] // The drawing state of one diagnostic.
fn snippet(
    out: &mut String,
    group: &[Place<'_>],
    first: bool,
    gutter: usize,
    sources: &SourceMap,
    style: Style,
    paint: Paint,
    severity: Severity,
) {
    let file = sources.get(group[0].loc.file);
    let anchor = group.iter().find(|p| p.primary).unwrap_or(&group[0]);
    let pos = file.position(anchor.loc.span.start);
    let pad = " ".repeat(gutter);
    let arrow = if first { "-->" } else { ":::" };
    if !first {
        let _ = writeln!(out, "{pad} {}", paint.blue("|"));
    }
    let _ = writeln!(out, "{pad}{} {}:{}:{}", paint.blue(arrow), text::one_line(&file.name), pos.line, pos.column);
    let _ = writeln!(out, "{pad} {}", paint.blue("|"));
    let (first_line, last_line) = (group[0].line, group[group.len() - 1].line);
    let mut by_line: BTreeMap<usize, Vec<&Place<'_>>> = BTreeMap::new();
    for p in group {
        by_line.entry(p.line).or_default().push(p);
    }
    let room = style.width.saturating_sub(gutter + 3).max(40);
    for line in first_line..=last_line.min(file.line_count().saturating_sub(1)) {
        let labels = by_line.get(&line).map_or(&[][..], Vec::as_slice);
        let drawn = draw_line(file, line, labels, room);
        let number = format!("{:>gutter$}", line + 1);
        let _ = writeln!(out, "{} {} {}", paint.blue(&number), paint.blue("|"), drawn.text.trim_end());
        for (label, start, width) in drawn.marks {
            let (mark, message) = if label.primary {
                (paint.severity(severity, &"^".repeat(width)), label.message)
            } else {
                (paint.blue(&"-".repeat(width)), label.message)
            };
            let message = text::one_line(message);
            let space = if message.is_empty() { "" } else { " " };
            let _ = writeln!(out, "{pad} {} {}{mark}{space}{message}", paint.blue("|"), " ".repeat(start));
        }
    }
}

/// A source line as drawn, and where each label's marks go on it.
struct Drawn<'p, 'a> {
    text: String,
    /// Label, display column where its marks start, and how many.
    marks: Vec<(&'p Place<'a>, usize, usize)>,
}

/// Draws 0-based `line` of `file`, clipped to `room` columns around its first
/// label, with hidden characters escaped and tabs as four spaces.
fn draw_line<'p, 'a>(file: &SourceFile, line: usize, labels: &[&'p Place<'a>], room: usize) -> Drawn<'p, 'a> {
    let source = file.line_text(line);
    let line_start = file.line_start(line);
    // Byte window of the line to show: all of it when it fits, otherwise a
    // window that starts a little before the first label.
    let (mut from, mut to) = (0, source.len());
    if source.len() > room {
        let first = labels.first().map_or(0, |p| (p.loc.span.start as usize).saturating_sub(line_start));
        from = floor_boundary(source, first.saturating_sub(room / 4));
        to = floor_boundary(source, (from + room).min(source.len()));
        // A word cut in two would show part of it unmasked, as a masked
        // credential must be seen whole to be masked (`redact`): a cut
        // moves to the word's edge, outward when that is near.
        match (word_edge(source, from, room, false), word_edge(source, to, room, true)) {
            (Some(start), Some(end)) => (from, to) = (start, end.max(start)),
            // The window lies inside one word longer than a snippet: none
            // of it is shown.
            _ => to = from,
        }
    }
    let mut drawn = String::new();
    let mut columns: Vec<(usize, usize)> = Vec::new(); // (byte offset in line, display column)
    let mut column = 0;
    if from > 0 {
        drawn.push_str("...");
        column += 3;
    }
    for (i, c) in source[from..to].char_indices() {
        columns.push((from + i, column));
        let before = drawn.len();
        if c == '\t' {
            drawn.push_str("    ");
        } else if text::is_hidden(c) {
            text::push_escaped(&mut drawn, c);
        } else {
            drawn.push(c);
        }
        column += if c == '\t' || text::is_hidden(c) { drawn.len() - before } else { c.width().unwrap_or(0) };
    }
    columns.push((to, column));
    if to < source.len() {
        drawn.push_str("...");
    }
    let column_of = |offset: usize| -> usize {
        let at = columns.partition_point(|&(o, _)| o < offset);
        columns.get(at).map_or(column, |&(_, c)| c)
    };
    let marks = labels
        .iter()
        .map(|p| {
            let start = (p.loc.span.start as usize).saturating_sub(line_start).clamp(from, to);
            let end = (p.loc.span.end as usize).saturating_sub(line_start).clamp(start, to);
            let (a, b) = (column_of(start), column_of(end));
            (*p, a, (b - a).max(1))
        })
        .collect();
    Drawn { text: drawn, marks }
}

/// How far `word_edge` looks for the edge of a word: a snippet is drawn
/// in time bounded by its width, never by its line's length (a spec can be
/// one line of megabytes).
const WORD_SEARCH: usize = 4096;

/// `at`, or the nearest place that cuts no word (no run of non-blank
/// characters): the word's end when `end` and it is within `reach` bytes,
/// else its start (and the other way around for the start of a window).
/// `None` when the edge it would move to is more than `WORD_SEARCH` bytes
/// away: the word is longer than any snippet shows.
fn word_edge(s: &str, at: usize, reach: usize, end: bool) -> Option<usize> {
    let blank = |c: char| c.is_whitespace();
    let before = s[..at].chars().next_back().is_none_or(blank);
    let after = s[at..].chars().next().is_none_or(blank);
    if before || after {
        return Some(at);
    }
    let low = floor_boundary(s, at.saturating_sub(WORD_SEARCH));
    let high = floor_boundary(s, (at + WORD_SEARCH).min(s.len()));
    let start = match s[low..at].rfind(blank) {
        Some(i) => Some(low + i + s[low + i..].chars().next().map_or(1, char::len_utf8)),
        None if low == 0 => Some(0),
        None => None,
    };
    let stop = match s[at..high].find(blank) {
        Some(i) => Some(at + i),
        None if high == s.len() => Some(s.len()),
        None => None,
    };
    match end {
        true if stop.is_some_and(|stop| stop - at <= reach) => stop,
        true => start,
        false if start.is_some_and(|start| at - start <= reach) => start,
        false => stop,
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// The count per rule, as `ruff --statistics` prints it: worst first, then
/// most frequent.
fn statistics(out: &mut String, diagnostics: &[Diagnostic], paint: Paint) {
    let mut counts: BTreeMap<(Severity, &str, &str), usize> = BTreeMap::new();
    for d in diagnostics {
        *counts.entry((d.severity, d.rule.code, d.rule.name)).or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|((sa, ca, _), na), ((sb, cb, _), nb)| sa.cmp(sb).then(nb.cmp(na)).then(ca.cmp(cb)));
    let width = rows.iter().map(|(_, n)| digits(*n)).max().unwrap_or(1);
    let severity_width = rows.iter().map(|((s, _, _), _)| s.as_str().len()).max().unwrap_or(0);
    out.push_str(&paint.bold("by rule:"));
    out.push('\n');
    for ((severity, code, name), n) in rows {
        let label = format!("{:<severity_width$}", severity.as_str());
        let _ = writeln!(out, "  {n:>width$}  {}  {code}  {name}", paint.severity(severity, &label));
    }
    out.push('\n');
}

pub(crate) fn summary_line(s: Summary, files: usize) -> String {
    let files = crate::prose::plural(files, "file");
    match crate::prose::severity_counts(s.errors, s.warnings, s.infos) {
        counts if counts.is_empty() => format!("no problems found in {files}\n"),
        counts => format!("found {counts} in {files}\n"),
    }
}

/// ANSI colours, or none.
#[derive(Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
    }

    fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }

    fn blue(self, s: &str) -> String {
        self.wrap("1;34", s)
    }

    fn severity(self, severity: Severity, s: &str) -> String {
        match severity {
            Severity::Error => self.wrap("1;31", s),
            Severity::Warning => self.wrap("1;33", s),
            Severity::Info => self.wrap("1;36", s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::word_edge;

    #[test]
    fn a_clipped_line_cuts_no_word() {
        let line = "owner \"sk_live_4eC39HqLyj\" bogus=1";
        // Inside the secret: the start moves back to the word's start, the
        // end on to the word's end, when near enough; otherwise the other way.
        assert_eq!(word_edge(line, 12, 40, false), Some(6));
        assert_eq!(word_edge(line, 12, 40, true), Some(26));
        assert_eq!(word_edge(line, 12, 2, false), Some(26));
        assert_eq!(word_edge(line, 12, 2, true), Some(6));
        // Between words, or at the ends, nothing moves.
        assert_eq!(word_edge(line, 5, 2, true), Some(5));
        assert_eq!(word_edge(line, 0, 2, false), Some(0));
        assert_eq!(word_edge(line, line.len(), 2, true), Some(line.len()));
        assert_eq!(word_edge("aé b", 1, 9, true), Some(3));
        // A word longer than the search: no edge to move to.
        let huge = format!("a {} b", "}".repeat(3 * super::WORD_SEARCH));
        assert_eq!(word_edge(&huge, 2 * super::WORD_SEARCH, 40, true), None);
    }
}
