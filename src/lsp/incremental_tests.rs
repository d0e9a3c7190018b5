//! The server's front end against the pipeline, edit after edit: random
//! edits (typing, deleting, joining and splitting lines, pasting a line
//! elsewhere, undoing) applied to every example and fixture spec, one at a
//! time, each followed by a check through the front end, whose memory of
//! lowered pieces lives on from edit to edit, and by a check of the same
//! text through `crate::parse_and_lower`, from scratch, as `wireplan check`
//! makes it. The two must agree on every diagnostic (places, labels, fixes)
//! and on the whole resolved model, every place in it. A piece reused where
//! it should have been lowered again, or moved short of where its text now
//! is, fails this. Also: the part of a text that completion and hover parse
//! gives the whole text's answer at every place.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::front::{self, Front, Layouts};
use crate::fuzz::mutate::Rng;
use crate::lint::CliLevels;
use crate::model::FileId;
use crate::syntax::{self, cursor};

/// The char boundary at or before `at`.
fn floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The top-level stretches of `text`: from after one blank line to after
/// the next.
fn stretches(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut cuts = vec![0];
    let mut at = 0;
    while let Some(cut) = syntax::blank_line_after(text, at) {
        cuts.push(cut);
        at = cut;
    }
    cuts.push(text.len());
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// One random edit of `text`, as an editor makes them, most of which keep
/// the text parsing (typing in a name, moving or copying a node, undoing)
/// and some of which break it; `undo` holds texts to go back to, so that
/// pieces come back in new places.
fn edit(rng: &mut Rng, text: &mut String, undo: &mut Vec<String>) {
    // A text that no longer parses is mended, often, as its writer would.
    if rng.below(2) == 0
        && !syntax::parse(text).errors.is_empty()
        && let Some(earlier) = undo.pop()
    {
        *text = earlier;
        return;
    }
    const TYPED: &[&str] =
        &["x", " ", "\"", "{", "}", "\n", "\n\n", "=", "#", "/", "-", "/-", "é", "1", "\t", ";", "\\", "\r\n"];
    let at = floor(text, rng.below(text.len() + 1));
    let in_word = |i: usize| text[..i].chars().next_back().is_some_and(char::is_alphanumeric);
    if rng.below(6) == 0 {
        undo.push(text.clone());
    }
    match rng.below(20) {
        // Typing or deleting inside a name or a word.
        0..=6 if in_word(at) => text.insert(at, ['x', 'e', '1', '_', 'é'][rng.below(5)]),
        7..=8 if in_word(at) => {
            let before = text[..at].chars().next_back().map_or(0, char::len_utf8);
            text.replace_range(at - before..at, "");
        }
        // A top-level node copied or moved to another place between nodes.
        9..=11 => {
            let stretches = stretches(text);
            let from = stretches[rng.below(stretches.len())].clone();
            let node = text[from.clone()].to_owned();
            if rng.below(2) == 0 {
                text.replace_range(from, "");
            }
            let stretches = stretches_of_len(text);
            let to = stretches[rng.below(stretches.len())];
            text.insert_str(to, &node);
        }
        // A line of a node copied below itself (a `map`, a `field`).
        12 => {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            let line = text[line_start..line_end].to_owned();
            text.insert_str(line_end, &line);
        }
        13..=15 => {
            if let Some(earlier) = undo.pop() {
                *text = earlier;
            }
        }
        // Anything: most of these break the text for a while.
        _ => {
            undo.push(text.clone());
            if rng.below(3) == 0 {
                let end = floor(text, at + 1 + rng.below(12));
                text.replace_range(at..end, "");
            } else {
                text.insert_str(at, TYPED[rng.below(TYPED.len())]);
            }
        }
    }
}

/// Where a top-level stretch of `text` starts (and its end).
fn stretches_of_len(text: &str) -> Vec<usize> {
    stretches(text).iter().map(|r| r.start).chain([text.len()]).collect()
}

/// What a check says, in full: every diagnostic and the resolved model.
/// The credentials found are sorted by place: lowering a text whole lists
/// those in strings first, then those its nodes hold, while lowering it in
/// pieces (or in runs on several threads, as `check` does) lists them piece
/// by piece; the one reader of the list (`redact`) sorts it.
fn said(checked: &crate::Checked) -> String {
    let mut spec = checked.spec.clone();
    spec.credentials.sort_by_key(|c| c.loc);
    format!("{:?}\n{:?}", checked.diagnostics, spec)
}

/// Checks `text` as the file at `path`, through `front` when given, from
/// scratch otherwise.
fn check_text(front: Option<&mut Front>, path: &Path, text: &str) -> (String, Layouts) {
    let load = |lower| crate::load::load_text(path, text.to_owned(), Path::new("/"), lower);
    let (loaded, layouts) = match front {
        Some(front) => front.lend(|| load(front::parse_and_lower)),
        None => (load(crate::parse_and_lower), Layouts::default()),
    };
    (said(&crate::check_loaded(loaded, &CliLevels::default())), layouts)
}

/// Asserts the two checks agree, showing where they part.
fn assert_same(incremental: &str, full: &str, what: &str) {
    if incremental == full {
        return;
    }
    let at = incremental.bytes().zip(full.bytes()).position(|(a, b)| a != b).unwrap_or(0);
    let window = |s: &str| {
        let (from, to) = (floor(s, at.saturating_sub(600)), floor(s, at + 200));
        s[from..to].to_owned()
    };
    panic!(
        "{what}: the front end's check differs from a full check at byte {at}:\n--- incremental\n{}\n--- full\n{}",
        window(incremental),
        window(full)
    );
}

/// Every spec of the examples and the fixtures.
fn specs() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs = Vec::new();
    for pattern in ["examples/**/*.kdl", "tests/fixtures/**/*.kdl"] {
        for path in glob::glob(&root.join(pattern).to_string_lossy()).into_iter().flatten().flatten() {
            if let Ok(text) = std::fs::read_to_string(&path) {
                specs.push((path, text));
            }
        }
    }
    assert!(specs.len() > 50, "only {} specs found", specs.len());
    specs
}

/// Edits `text` `edits` times from `seed`, checking after each edit both
/// ways.
fn edit_and_compare(path: &Path, text: &str, seed: u64, edits: usize) {
    let mut front = Front::default();
    let mut rng = Rng::new(seed);
    let mut text = text.to_owned();
    let mut undo = Vec::new();
    for n in 0..=edits {
        if n > 0 {
            edit(&mut rng, &mut text, &mut undo);
        }
        let (incremental, _) = check_text(Some(&mut front), path, &text);
        let (full, _) = check_text(None, path, &text);
        assert_same(&incremental, &full, &format!("{} after edit {n} of seed {seed}", path.display()));
    }
}

/// How many runs of edits each test makes, from different seeds:
/// `WIREPLAN_INCREMENTAL_RUNS`, 1 unless set (a run of 8 takes a few
/// minutes and has found what one run did not).
fn runs() -> u64 {
    std::env::var("WIREPLAN_INCREMENTAL_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(1)
}

#[test]
fn every_spec_edited_checks_as_a_full_check_does() {
    for run in 0..runs() {
        for (i, (path, text)) in specs().iter().enumerate() {
            edit_and_compare(path, text, 0x5eed + i as u64 + 1000 * run, 15);
        }
    }
}

#[test]
fn a_large_spec_of_every_form_edited_checks_as_a_full_check_does() {
    // Every spec that parses in one text, twice over: hundreds of
    // top-level nodes of every form, cut into many pieces, every kind of
    // finding, and enough text that pieces are copied and lowered on
    // every core.
    let all: String = specs()
        .iter()
        .filter(|(_, text)| syntax::parse(text).errors.is_empty())
        .map(|(_, text)| format!("{text}\n\n"))
        .collect();
    let all = all.repeat(front::PARALLEL_BYTES.div_ceil(all.len()).max(2));
    let path = Path::new("/nonexistent-wireplan-lsp/wireplan.kdl");
    let pieces = front::cuts(&all).len() - 1;
    assert!(pieces > 40, "only {pieces} pieces");
    for run in 0..runs() {
        edit_and_compare(path, &all, 1 + run, 20);
    }
}

#[test]
fn a_spec_of_several_files_edited_checks_as_a_full_check_does() {
    // The example that includes other files, with edits in each of them
    // (a piece may move from one file to another).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-outdoor");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for path in glob::glob(&format!("{}/**/*.kdl", root.display())).unwrap().flatten() {
        let to = dir.path().join(path.strip_prefix(&root).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&path, &to).unwrap();
        files.push(std::fs::canonicalize(&to).unwrap());
    }
    files.sort();
    let entry = files.iter().find(|f| f.ends_with("wireplan.kdl")).unwrap().clone();
    let mut texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let mut front = Front::default();
    let mut rng = Rng::new(0xac3e);
    let mut undo = Vec::new();
    for n in 0..120 * runs() {
        let which = rng.below(files.len());
        if n > 0 {
            edit(&mut rng, &mut texts[which], &mut undo);
        }
        if rng.below(6) == 0 {
            // A line pasted from one file into another.
            let from = texts[rng.below(files.len())].lines().nth(rng.below(40)).unwrap_or("").to_owned();
            texts[which].push_str(&format!("\n\n{from}\n"));
        }
        let overrides: crate::load::Overrides = files.iter().cloned().zip(texts.iter().cloned()).collect();
        let load = |lower| crate::load::load_with(&entry, dir.path(), overrides.clone(), lower).unwrap();
        let (loaded, _) = front.lend(|| load(front::parse_and_lower));
        let incremental = said(&crate::check_loaded(loaded, &CliLevels::default()));
        let full = said(&crate::check_loaded(load(crate::parse_and_lower), &CliLevels::default()));
        assert_same(&incremental, &full, &format!("acme-outdoor after edit {n}"));
    }
}

#[test]
fn a_piece_met_again_is_reused_not_lowered_again() {
    // What makes the front end fast: a keystroke re-lowers one piece.
    let mut text = String::from("stack \"s\"\n\nsystem \"a\" kind=crm\n\n");
    for i in 0..400 {
        let _ = write!(
            text,
            "event \"e{i}\" from=a {{\n    field \"id\" type=string\n}}\n\n\
             flow \"f{i}\" {{\n    on \"e{i}\"\n    to a action=upsert {{\n        map \"id\" to=\"id\"\n    }}\n}}\n\n"
        );
    }
    let path = Path::new("/nonexistent-wireplan-lsp/wireplan.kdl");
    let mut front = Front::default();
    let (_, layouts) = check_text(Some(&mut front), path, &text);
    let layout = &layouts[&FileId(0)];
    assert!(layout.len() > 20 && layout.iter().all(|p| p.alone), "{} pieces", layout.len());
    let middle = text.len() / 2;
    let at = middle + text[middle..].find("map \"").unwrap() + 5;
    let mut edited = text.clone();
    edited.insert(at, 'x');
    let before = front.lowered;
    let (incremental, _) = check_text(Some(&mut front), path, &edited);
    assert_eq!(front.lowered - before, 1, "one piece is lowered again");
    assert_same(&incremental, &check_text(None, path, &edited).0, "one keystroke");
}

#[test]
fn the_part_parsed_around_the_cursor_answers_as_the_whole_text() {
    let path = Path::new("/nonexistent-wireplan-lsp/wireplan.kdl");
    let all: String = specs().iter().take(30).map(|(_, text)| format!("{text}\n\n")).collect();
    let mut rng = Rng::new(7);
    let mut text = all;
    let mut undo = Vec::new();
    for n in 0..12 * runs() {
        edit(&mut rng, &mut text, &mut undo);
        let (_, layouts) = check_text(Some(&mut Front::default()), path, &text);
        let layout = layouts.get(&FileId(0)).map(Vec::as_slice);
        let (whole, _) = syntax::parse_tree(&text);
        for _ in 0..100 {
            let at = floor(&text, rng.below(text.len() + 1)) as u32;
            let part = front::around(layout, text.len(), at);
            let start = part.start as u32;
            let (tree, _) = syntax::parse_tree(&text[part]);
            let mut typing = cursor::typing(&tree, at - start);
            typing.replace.start += start;
            typing.replace.end += start;
            assert_eq!(typing, cursor::typing(&whole, at), "typing at {at} after edit {n}");
            let hovered = cursor::hovered(&tree, at - start).map(|mut h| {
                h.span.start += start;
                h.span.end += start;
                h
            });
            assert_eq!(hovered, cursor::hovered(&whole, at), "hover at {at} after edit {n}");
        }
    }
}
