//! Every feature at every place of real and broken specs: no request may
//! panic, whatever the text around the cursor, and every range answered
//! lies inside its file.

use std::path::Path;

use lsp_types as lsp;
use rustc_hash::FxHashMap;

use super::front::{self, Front};
use super::requests;
use super::state::{Analysis, Context};
use crate::model::FileId;

/// The check of `text` as the server makes it: through its front end, so
/// that completion and hover parse the piece around the cursor.
fn analysis(path: &Path, text: String) -> Analysis {
    let (loaded, layouts) =
        Front::default().lend(|| crate::load::load_text(path, text, Path::new("/"), front::parse_and_lower));
    Analysis::new(crate::check_loaded(loaded, &crate::lint::CliLevels::default()), layouts)
}

fn uri() -> lsp::Uri {
    "file:///nonexistent-wireplan-lsp/wireplan.kdl".parse().unwrap()
}

fn at(position: lsp::Position) -> lsp::TextDocumentPositionParams {
    lsp::TextDocumentPositionParams { text_document: lsp::TextDocumentIdentifier { uri: uri() }, position }
}

fn every_feature_everywhere(text: &str) {
    let path = Path::new("/nonexistent-wireplan-lsp/wireplan.kdl");
    let analysis = analysis(path, text.to_owned());
    let documents = FxHashMap::default();
    let cx = Context { analysis: &analysis, file: FileId(0), documents: &documents };
    let source = cx.source(FileId(0));
    let lines = source.line_count() as u32;
    let step = (text.len() / 400).max(1);
    let mut offset = 0;
    while offset <= text.len() {
        let (line, character) = source.utf16_position(offset as u32);
        let position = lsp::Position { line, character };
        let whole_line = lsp::Range {
            start: lsp::Position { line, character: 0 },
            end: lsp::Position { line: line + 1, character: 0 },
        };
        let _ = requests::hover(
            &cx,
            lsp::HoverParams {
                text_document_position_params: at(position),
                work_done_progress_params: Default::default(),
            },
        );
        let _ = requests::definition(
            &cx,
            lsp::GotoDefinitionParams {
                text_document_position_params: at(position),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
        );
        let _ = requests::references(
            &cx,
            lsp::ReferenceParams {
                text_document_position: at(position),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: lsp::ReferenceContext { include_declaration: true },
            },
        );
        let _ = requests::rename(
            &cx,
            lsp::RenameParams {
                text_document_position: at(position),
                new_name: "x y\"z".into(),
                work_done_progress_params: Default::default(),
            },
        );
        let _ = requests::completion(
            &cx,
            lsp::CompletionParams {
                text_document_position: at(position),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            },
        );
        let actions = requests::code_actions(
            &cx,
            lsp::CodeActionParams {
                text_document: lsp::TextDocumentIdentifier { uri: uri() },
                range: whole_line,
                context: lsp::CodeActionContext::default(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
        );
        for action in actions.ok().flatten().unwrap_or_default() {
            let lsp::CodeActionOrCommand::CodeAction(action) = action else { continue };
            for edits in action.edit.and_then(|e| e.changes).unwrap_or_default().into_values() {
                for edit in edits {
                    assert!(edit.range.end.line <= lines, "an edit past the end: {edit:?}");
                }
            }
        }
        offset += step;
        while offset < text.len() && !text.is_char_boundary(offset) {
            offset += 1;
        }
    }
    // Positions far past the end are clamped, not trusted.
    let far = lsp::Position { line: u32::MAX, character: u32::MAX };
    let _ = requests::hover(
        &cx,
        lsp::HoverParams { text_document_position_params: at(far), work_done_progress_params: Default::default() },
    );
    let _ = requests::formatting(
        &cx,
        lsp::DocumentFormattingParams {
            text_document: lsp::TextDocumentIdentifier { uri: uri() },
            options: Default::default(),
            work_done_progress_params: Default::default(),
        },
    );
    let _ = requests::symbols(
        &cx,
        lsp::DocumentSymbolParams {
            text_document: lsp::TextDocumentIdentifier { uri: uri() },
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
    );
}

#[test]
fn no_request_panics_on_real_or_broken_specs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for file in [
        "examples/small-shop/wireplan.kdl",
        "examples/acme-outdoor/sales/leads.kdl",
        "tests/fixtures/check/ten-mistakes.kdl",
        "tests/fixtures/check/five-syntax-errors.kdl",
        "tests/fixtures/rules/sync-cycle/fires.kdl",
    ] {
        texts.push(std::fs::read_to_string(root.join(file)).unwrap());
    }
    // Typing states: cut each text at a few places.
    let cuts: Vec<String> = texts
        .iter()
        .flat_map(|t| {
            [t.len() / 3, t.len() / 2, t.len() * 4 / 5].into_iter().map(move |mut at| {
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                format!("{}\"é𝄞 {{ =", &t[..at])
            })
        })
        .collect();
    texts.extend(cuts);
    texts.push(String::new());
    texts.push("\u{feff}system \"a\u{202e}b\" kind=crm { /- { \"".into());
    for text in &texts {
        every_feature_everywhere(text);
    }
}

/// `text` with the edits of one quick fix applied (all in file 0).
fn apply(source: &crate::source::SourceFile, edits: &[lsp::TextEdit]) -> String {
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let at = |p: lsp::Position| source.offset_of_utf16(p.line, p.character) as usize;
            (at(e.range.start), at(e.range.end), e.new_text.as_str())
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut text = source.text.clone();
    for (start, end, new) in edits {
        text.replace_range(start..end, new);
    }
    text
}

#[test]
fn every_quick_fix_on_every_rule_fixture_leaves_a_spec_that_parses_and_fixes_its_finding() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut titles = Vec::new();
    let mut rules: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    rules.sort();
    rules.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/ten-mistakes"));
    for dir in rules {
        let path = if dir.is_dir() { dir.join("fires.kdl") } else { dir.with_extension("kdl") };
        let text = std::fs::read_to_string(&path).unwrap();
        let analysis = analysis(Path::new("/nonexistent-wireplan-lsp/wireplan.kdl"), text.clone());
        let documents = FxHashMap::default();
        let cx = Context { analysis: &analysis, file: FileId(0), documents: &documents };
        let source = cx.source(FileId(0));
        let before: Vec<_> = analysis.checked.diagnostics.iter().map(|d| (d.rule.name, d.message.clone())).collect();
        let syntax_before = before.iter().filter(|d| d.0 == "syntax").count();
        let all = lsp::Range {
            start: lsp::Position { line: 0, character: 0 },
            end: lsp::Position { line: source.line_count() as u32, character: 0 },
        };
        let actions = requests::code_actions(
            &cx,
            lsp::CodeActionParams {
                text_document: lsp::TextDocumentIdentifier { uri: uri() },
                range: all,
                context: lsp::CodeActionContext::default(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
        )
        .unwrap()
        .unwrap_or_default();
        for action in actions {
            let lsp::CodeActionOrCommand::CodeAction(action) = action else { continue };
            let edits: Vec<lsp::TextEdit> = action.edit.unwrap().changes.unwrap().into_values().flatten().collect();
            let fixed = apply(source, &edits);
            let after = checked_rules(&fixed);
            let syntax_after = after.iter().filter(|d| d.0 == "syntax").count();
            assert!(syntax_after <= syntax_before, "{}: `{}` broke the syntax:\n{fixed}", path.display(), action.title);
            // The finding it fixes is gone (another may take its place: the
            // next flow down a path of duplicates becomes its origin).
            let fixes = action.diagnostics.unwrap_or_default();
            let Some(lsp::NumberOrString::String(rule)) = fixes[0].code.clone() else { panic!("no rule") };
            let message = fixes[0].message.split("\nhelp: ").next().unwrap_or("").to_owned();
            let count = |list: &[(&str, String)]| list.iter().filter(|d| d.0 == rule && d.1 == message).count();
            assert!(
                count(&after) < count(&before),
                "{}: `{}` did not fix `{message}`:\n{fixed}",
                path.display(),
                action.title
            );
            titles.push(action.title);
        }
    }
    // Resolution's "did you mean" (`lead.create`) and the rules' own fixes.
    for wanted in
        ["Add `loop-guard`", "Add `dead-letter`", "Add `log`", "Replace with `lead.created`", "Replace with `crm`"]
    {
        assert!(titles.iter().any(|t| t == wanted), "no `{wanted}` among {titles:?}");
    }
    assert!(titles.iter().any(|t| t.starts_with("Add `idempotency-key")), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("Allow `")), "{titles:?}");
}

/// The rule and message of every finding in `text`.
fn checked_rules(text: &str) -> Vec<(&'static str, String)> {
    let analysis = analysis(Path::new("/nonexistent-wireplan-lsp/wireplan.kdl"), text.to_owned());
    analysis.checked.diagnostics.iter().map(|d| (d.rule.name, d.message.clone())).collect()
}

/// Every string in a JSON value.
fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| json_strings(v, out)),
        _ => {}
    }
}

/// The language server's part of the hostile-names property test
/// (`crate::hostile_names_tests`): a name drawn from every Unicode general
/// category is either refused at the name (the published diagnostic is
/// `unusable-name`, on the name) or comes out of the server's answers
/// (diagnostics, document symbols, hover, semantic tokens) as JSON that
/// parses, with document symbols reading the very name back, and hover
/// showing it only escaped.
#[test]
fn names_from_every_category_come_out_of_the_server_parseable() {
    let path = Path::new("/nonexistent-wireplan-lsp/wireplan.kdl");
    for c in crate::hostile_names_tests::all_samples() {
        let name = format!("a{c}b");
        let literal: String = name.chars().map(|c| format!("\\u{{{:x}}}", c as u32)).collect();
        let text = format!("system \"{literal}\" kind=crm\n");
        let analysis = analysis(path, text.clone());
        let documents = FxHashMap::default();
        let cx = Context { analysis: &analysis, file: FileId(0), documents: &documents };
        let shown = crate::escape::one_line(&name);

        let published: Vec<lsp::Diagnostic> = analysis
            .checked
            .diagnostics
            .iter()
            .map(|d| super::convert::to_lsp(&analysis.checked, &documents, d))
            .collect();
        let json = serde_json::to_string(&published).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let name_range = lsp::Range {
            start: lsp::Position { line: 0, character: 7 },
            end: lsp::Position { line: 0, character: 9 + literal.len() as u32 },
        };
        let refused: Vec<&lsp::Diagnostic> =
            published.iter().filter(|d| d.code == Some(lsp::NumberOrString::String("unusable-name".into()))).collect();
        if crate::escape::is_hidden(c) {
            let mut strings = Vec::new();
            json_strings(&parsed, &mut strings);
            // The one line break a message has is the one before its help.
            let raw = |s: &String| s.replace("\nhelp: ", " help: ").contains(c);
            assert!(!strings.iter().any(raw), "{shown}: a diagnostic shows it raw: {parsed}");
        }
        if !refused.is_empty() {
            assert!(refused.iter().all(|d| d.range == name_range), "{shown}: refused away from the name: {parsed}");
            continue;
        }

        let symbols = requests::symbols(
            &cx,
            lsp::DocumentSymbolParams {
                text_document: lsp::TextDocumentIdentifier { uri: uri() },
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
        )
        .unwrap();
        let json = serde_json::to_string(&symbols).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let mut strings = Vec::new();
        json_strings(&parsed, &mut strings);
        assert!(strings.contains(&name), "{shown}: the document symbol does not read the name back: {parsed}");

        let hover = requests::hover(
            &cx,
            lsp::HoverParams {
                text_document_position_params: at(lsp::Position { line: 0, character: 9 }),
                work_done_progress_params: Default::default(),
            },
        )
        .unwrap();
        let json = serde_json::to_string(&hover).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let mut strings = Vec::new();
        json_strings(&parsed, &mut strings);
        assert!(strings.iter().any(|s| s.contains(&*shown)), "{shown}: hover does not show the name: {parsed}");
        if crate::escape::is_hidden(c) {
            assert!(strings.iter().all(|s| !s.contains(c)), "{shown}: hover shows a hidden character raw: {parsed}");
        }

        let tokens = requests::semantic_tokens(
            &cx,
            lsp::SemanticTokensParams {
                text_document: lsp::TextDocumentIdentifier { uri: uri() },
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
        )
        .unwrap();
        serde_json::from_str::<serde_json::Value>(&serde_json::to_string(&tokens).unwrap()).unwrap();
    }
}
