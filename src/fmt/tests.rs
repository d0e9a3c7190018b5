//! The formatter's properties: idempotent, meaning-preserving, and hands
//! off files with syntax errors; over the examples, the fixtures and
//! generated inputs.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::format_text;
use crate::syntax::{self, TokenKind};

/// Every `.kdl` file under `dir`, sorted.
fn kdl_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "kdl") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The tokens that carry meaning, in order: everything but layout.
fn meaning(text: &str) -> Vec<String> {
    let (tree, _) = syntax::parse_tree(text);
    (0..tree.tokens.len() as u32)
        .filter(|&t| {
            !matches!(
                tree.token_kind(t),
                Some(TokenKind::Whitespace | TokenKind::Newline | TokenKind::Semicolon | TokenKind::Bom)
            )
        })
        .map(|t| tree.token_text(t).trim_end().to_owned())
        .collect()
}

/// What the pipeline makes of a text: every finding's rule and message and
/// the number of each kind of declaration.
fn checked(text: &str) -> (Vec<(&'static str, String)>, [usize; 3]) {
    let loaded = crate::load::load_text(
        Path::new("/nonexistent-wireplan-fmt/wireplan.kdl"),
        text.to_owned(),
        Path::new("/"),
        crate::parse_and_lower,
    );
    let checked = crate::check_loaded(loaded, &crate::lint::CliLevels::default());
    let mut found: Vec<_> = checked.diagnostics.iter().map(|d| (d.rule.code, d.message.clone())).collect();
    found.sort();
    (found, [checked.spec.systems.len(), checked.spec.events.len(), checked.spec.flows.len()])
}

/// Formats `text` and checks every property; returns whether it was formatted.
fn assert_properties(text: &str, what: &str) -> bool {
    let Ok(once) = format_text(text) else {
        assert!(!syntax::parse_tree(text).1.is_empty(), "{what}: refused without a syntax error");
        return false;
    };
    let twice =
        format_text(&once).unwrap_or_else(|e| panic!("{what}: the formatted text does not parse: {e:?}\n{once}"));
    assert_eq!(once, twice, "{what}: formatting twice changed the text");
    assert_eq!(meaning(text), meaning(&once), "{what}: formatting changed a token\n{once}");
    assert_eq!(checked(text), checked(&once), "{what}: formatting changed what the spec means\n{text:?}\n{once}");
    assert!(once.is_empty() || once.ends_with('\n'), "{what}: no final newline");
    assert!(!once.contains(" \n"), "{what}: trailing whitespace");
    assert!(!once.contains("\n\n\n"), "{what}: two blank lines");
    true
}

#[test]
fn examples_and_fixtures_format_idempotently_and_keep_their_meaning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut formatted = 0;
    for dir in ["examples", "tests/fixtures"] {
        for path in kdl_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&path).unwrap();
            formatted += usize::from(assert_properties(&text, &path.display().to_string()));
        }
    }
    assert!(formatted > 20, "only {formatted} files formatted");
}

#[test]
fn the_examples_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in kdl_files(&root.join("examples")) {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(format_text(&text).unwrap(), text, "{} is not formatted: run `wireplan fmt`", path.display());
    }
}

#[test]
fn the_layout_is_canonical() {
    let text = "\n\n// lead\nsystem   \"a\"  kind = crm { webhooks #true;api rest version=\"1\" }\n\n\n\nevent \"e\" \
                from=a {\n\n  key \"id\"   // the key\n        field \"id\" type=string\n\n}\nflow \"f\" {}\nsystem \
                \"b\" { } /- { gone }\nnode \\\n  1 2\n";
    let want = "// lead\nsystem \"a\" kind=crm {\n    webhooks #true\n    api rest version=\"1\"\n}\n\nevent \"e\" \
                from=a {\n    key \"id\"   // the key\n    field \"id\" type=string\n}\nflow \"f\" {}\nsystem \"b\" {} /- \
                {\n    gone\n}\nnode \\\n    1 2\n";
    assert_eq!(format_text(text).unwrap(), want);
    assert_properties(text, "canonical");
}

/// Found by the generated-text property: `node\` then a line starting with
/// `;` ends `node` there; dropping the `;` made the next node its argument.
#[test]
fn a_semicolon_that_starts_a_continued_line_is_kept() {
    for text in [
        "node// c\nnode\\\n;é",
        "a \\\n; b\n",
        "a \\ // why\n;b c\n",
        // The fuzzer's (seed 29): a `\` after a children block, then `;`.
        "s {\n    n {n {}}\\\n;}\n",
        "a; \\\nb\n",
        "a {\\\nb}\n",
        "a \\\n\\\n; b\n",
    ] {
        assert!(assert_properties(text, "continued `;`"), "{text:?} formats");
    }
    assert_eq!(format_text("a \\\n; b\n").unwrap(), "a \\\n    ;\nb\n");
}

#[test]
fn crlf_files_stay_crlf() {
    assert_eq!(format_text("a {\r\nb\r\n}\r\n").unwrap(), "a {\r\n    b\r\n}\r\n");
}

#[test]
fn a_file_with_a_syntax_error_is_left_alone() {
    let errors = format_text("system \"a\" {\n   kind=\n").unwrap_err();
    assert!(!errors.is_empty());
}

/// Layout-only edits of a spec: spaces, tabs, blank lines, `;` and line
/// breaks inserted between tokens, indentation removed.
fn mutated_layout() -> impl Strategy<Value = String> {
    let seeds: Vec<String> = {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        kdl_files(&root.join("examples")).iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    };
    let count = seeds.len();
    (0..count, proptest::collection::vec((any::<u16>(), 0..6u8), 1..40)).prop_map(move |(seed, edits)| {
        let (tree, _) = syntax::parse_tree(&seeds[seed]);
        let mut pieces: Vec<String> = (0..tree.tokens.len() as u32).map(|t| tree.token_text(t).to_owned()).collect();
        let kinds: Vec<_> = (0..tree.tokens.len() as u32).map(|t| tree.token_kind(t)).collect();
        for (at, edit) in edits {
            let i = at as usize % pieces.len().max(1);
            match (edit, kinds[i]) {
                (0, Some(TokenKind::Whitespace)) => pieces[i] = "\t  ".into(),
                (1, Some(TokenKind::Whitespace)) => pieces[i].clear(),
                (2, Some(TokenKind::Newline)) => pieces[i] = "\n\n\n".into(),
                (3, Some(TokenKind::Newline))
                    if kinds.get(i.wrapping_sub(1)) != Some(&Some(TokenKind::LineComment)) =>
                {
                    pieces[i] = ";".into();
                }
                (4, Some(TokenKind::Newline)) => pieces[i] = "   \n".into(),
                (5, Some(TokenKind::OpenBrace)) => pieces[i] = "{ ".into(),
                _ => {}
            }
        }
        pieces.concat()
    })
}

/// Arbitrary short texts from KDL's pieces: mostly broken, sometimes valid.
fn generated() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("node"),
        Just("\"a b\""),
        Just("#true"),
        Just("1.5"),
        Just("key=value"),
        Just("(t)"),
        Just(" "),
        Just("\n"),
        Just("\n\n\n"),
        Just("{"),
        Just("}"),
        Just(";"),
        Just("/-"),
        Just("// c\n"),
        Just("/* b */"),
        Just("\\\n"),
        Just("é"),
        Just("#\"raw\"#"),
    ];
    proptest::collection::vec(pieces, 0..30).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_layouts_format_idempotently(text in mutated_layout()) {
        assert_properties(&text, "mutated example");
    }

    #[test]
    fn generated_texts_format_idempotently_or_are_refused(text in generated()) {
        assert_properties(&text, "generated");
    }
}
