//! The language server's side of the in-process fuzz target
//! (`crate::fuzz`): every request the server answers, run on one checked
//! document at the places the fuzzer picks, as the server's loop would run
//! them, without the transport. It lives here because the features and the
//! server's state are this module's own.
//!
//! Besides "no request panics", it holds the answers to what an editor
//! relies on: every range lies inside the document; on a text that parses, a
//! rename to a plain name and every quick fix leave a text that parses; the
//! positions the server sends read back to the same places, and an
//! incremental edit replaces exactly the text between them.

use std::path::Path;

use lsp_types as lsp;
use rustc_hash::FxHashMap;

use super::convert::to_lsp;
use super::requests;
use super::state::{Analysis, Context, Document, apply_change, offset_in};
use crate::model::FileId;

/// Names a rename may be asked for: plain, then hostile (quotes, controls,
/// bidi overrides, a byte-order mark, empty, long).
const NEW_NAMES: &[&str] =
    &["renamed-by-fuzz", "x y\"z", "", "  ", "a\u{202e}b", "\u{feff}", "a\nb", "`x`\n# h", "\\", "#true", "{", "é𝄞"];

/// Runs every request on `checked` (the check of the one document at
/// `path`) at each byte offset of `offsets`.
/// Panics when an answer breaks what an editor relies on.
pub(crate) fn every_request(path: &Path, checked: crate::Checked, offsets: &[u32], pick: u64) {
    let analysis = Analysis::new(checked, Default::default());
    let Ok(uri) = format!("file://{}", path.display()).parse::<lsp::Uri>() else { return };
    let mut documents = FxHashMap::default();
    documents.insert(
        path.to_path_buf(),
        Document { uri: uri.clone(), version: 1, text: analysis.checked.sources.get(FileId(0)).text.clone() },
    );
    let cx = Context { analysis: &analysis, file: FileId(0), documents: &documents };
    let source = cx.source(FileId(0));
    let lines = source.line_count() as u32;
    let len = source.text.len() as u32;
    let syntax_errors = |text: &str| crate::syntax::parse(text).errors.len();
    let errors_before = syntax_errors(&source.text);
    let inside = |r: &lsp::Range| r.start <= r.end && r.end.line <= lines;

    // The diagnostics as published.
    for d in &analysis.checked.diagnostics {
        let published = to_lsp(&analysis.checked, &documents, d);
        assert!(inside(&published.range), "a diagnostic's range past the end: {:?}", published.range);
    }
    let doc = || lsp::TextDocumentIdentifier { uri: uri.clone() };
    let at = |position| lsp::TextDocumentPositionParams { text_document: doc(), position };
    let mut far = vec![
        [
            lsp::Position { line: u32::MAX, character: u32::MAX },
            lsp::Position { line: lines, character: 0 },
            lsp::Position { line: 0, character: u32::MAX },
        ][pick as usize % 3],
    ];
    let mut positions: Vec<lsp::Position> = offsets
        .iter()
        .map(|&o| {
            let (line, character) = source.utf16_position(o.min(len));
            lsp::Position { line, character }
        })
        .collect();
    positions.append(&mut far);
    for (i, &position) in positions.iter().enumerate() {
        let _ = requests::hover(
            &cx,
            lsp::HoverParams {
                text_document_position_params: at(position),
                work_done_progress_params: Default::default(),
            },
        );
        if let Ok(Some(answer)) = requests::definition(
            &cx,
            lsp::GotoDefinitionParams {
                text_document_position_params: at(position),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
        ) && let lsp::GotoDefinitionResponse::Scalar(l) = answer
        {
            assert!(inside(&l.range), "a definition past the end: {l:?}");
        }
        if let Ok(Some(found)) = requests::references(
            &cx,
            lsp::ReferenceParams {
                text_document_position: at(position),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: lsp::ReferenceContext { include_declaration: i % 2 == 0 },
            },
        ) {
            for l in &found {
                assert!(inside(&l.range), "a reference past the end: {l:?}");
            }
        }
        for (j, new_name) in [NEW_NAMES[0], NEW_NAMES[(pick as usize + i) % NEW_NAMES.len()]].into_iter().enumerate() {
            let edit = requests::rename(
                &cx,
                lsp::RenameParams {
                    text_document_position: at(position),
                    new_name: new_name.into(),
                    work_done_progress_params: Default::default(),
                },
            );
            // A rename to a plain name leaves a text that parses as it did.
            if j == 0
                && errors_before == 0
                && let Ok(Some(edit)) = edit
            {
                let edits: Vec<lsp::TextEdit> = edit.changes.unwrap_or_default().into_values().flatten().collect();
                let renamed = apply(source, &edits);
                assert!(syntax_errors(&renamed) == 0, "a rename to `{new_name}` broke the syntax");
            }
        }
        let _ = requests::completion(
            &cx,
            lsp::CompletionParams {
                text_document_position: at(position),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            },
        );
        let line = lsp::Range {
            start: lsp::Position { line: position.line, character: 0 },
            end: lsp::Position { line: position.line.saturating_add(1), character: 0 },
        };
        let actions = requests::code_actions(
            &cx,
            lsp::CodeActionParams {
                text_document: doc(),
                range: if i == 0 { lsp::Range { start: lsp::Position::default(), end: far_end() } } else { line },
                context: lsp::CodeActionContext::default(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
        );
        // Each fix applied is a parse of the whole text: a few per request,
        // or a spec with a thousand findings costs a thousand parses.
        for (k, action) in actions.ok().flatten().unwrap_or_default().into_iter().enumerate() {
            let lsp::CodeActionOrCommand::CodeAction(action) = action else { continue };
            let edits: Vec<lsp::TextEdit> =
                action.edit.and_then(|e| e.changes).unwrap_or_default().into_values().flatten().collect();
            for edit in &edits {
                assert!(inside(&edit.range), "a quick fix edits past the end: {edit:?}");
            }
            // On a text that parses, a quick fix leaves one that parses.
            if errors_before == 0 && k < 4 {
                let fixed = apply(source, &edits);
                assert!(syntax_errors(&fixed) == 0, "the quick fix `{}` broke the syntax", action.title);
            }
        }
    }
    let _ = requests::formatting(
        &cx,
        lsp::DocumentFormattingParams {
            text_document: doc(),
            options: Default::default(),
            work_done_progress_params: Default::default(),
        },
    );
    let _ = requests::symbols(
        &cx,
        lsp::DocumentSymbolParams {
            text_document: doc(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
    );
    let _ = requests::semantic_tokens(
        &cx,
        lsp::SemanticTokensParams {
            text_document: doc(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
    );
    incremental_edits(source, offsets, pick);
}

fn far_end() -> lsp::Position {
    lsp::Position { line: u32::MAX, character: 0 }
}

/// `didChange` edits at the picked places: the server's own reading of a
/// position (`offset_in`, for edits) must find the offset the position was
/// made from (`SourceFile::utf16_position`, for every range it sends), and
/// an edit between two of them must replace exactly that text.
fn incremental_edits(source: &crate::source::SourceFile, offsets: &[u32], pick: u64) {
    let text = source.text.as_str();
    let len = text.len() as u32;
    for (i, w) in offsets.windows(2).enumerate().take(6) {
        let (a, b) = (w[0].min(w[1]).min(len), w[0].max(w[1]).min(len));
        let position = |o: u32| {
            let (line, character) = source.utf16_position(o);
            lsp::Position { line, character }
        };
        let (pa, pb) = (position(a), position(b));
        let (start, end) = (offset_in(text, pa), offset_in(text, pb));
        assert_eq!((start, end), (a as usize, b as usize), "positions {pa:?}..{pb:?} read back elsewhere");
        let inserted = ["x", "\u{1f600}", "\r\n", ""][(pick as usize + i) % 4];
        let mut edited = text.to_owned();
        apply_change(
            &mut edited,
            lsp::TextDocumentContentChangeEvent {
                range: Some(lsp::Range { start: pa, end: pb }),
                range_length: None,
                text: inserted.into(),
            },
        );
        let mut expected = text.to_owned();
        expected.replace_range(a as usize..b as usize, inserted);
        assert!(edited == expected, "an incremental edit at {pa:?}..{pb:?} landed elsewhere");
    }
}

/// The text of `source` with `edits` (all in it) applied.
fn apply(source: &crate::source::SourceFile, edits: &[lsp::TextEdit]) -> String {
    let at = |p: lsp::Position| source.offset_of_utf16(p.line, p.character) as usize;
    let mut edits: Vec<(usize, usize, &str)> =
        edits.iter().map(|e| (at(e.range.start), at(e.range.end), e.new_text.as_str())).collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut text = source.text.clone();
    for (start, end, new) in edits {
        if start <= end && end <= text.len() && text.is_char_boundary(start) && text.is_char_boundary(end) {
            text.replace_range(start..end, new);
        }
    }
    text
}
