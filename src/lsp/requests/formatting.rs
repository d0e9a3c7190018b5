//! `textDocument/formatting`: the whole document as `wireplan fmt` writes
//! it, refused for a file that holds a credential.

use lsp_types as lsp;

use super::super::convert::range;
use super::super::state::Context;
use crate::syntax::Span;

pub(in crate::lsp) fn formatting(
    cx: &Context<'_>,
    _: lsp::DocumentFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>, String> {
    let source = cx.source(cx.file);
    // A file with syntax errors is left as it is; its errors are shown.
    let Ok(formatted) = crate::fmt::format_text(&source.text) else { return Ok(None) };
    if formatted == source.text {
        return Ok(Some(Vec::new()));
    }
    // The edit is the whole file, so it would carry a credential written in
    // it, which every message the server sends has masked: sending the mask
    // would write it into the file.
    if matches!(cx.analysis.checked.redactor.apply(&formatted), std::borrow::Cow::Owned(_)) {
        return Err("this file holds a credential (see the `secret-literal` finding); put it in an environment \
                    variable, then format"
            .into());
    }
    let all = Span::new(0, source.text.len());
    Ok(Some(vec![lsp::TextEdit { range: range(source, all), new_text: formatted }]))
}
