//! `textDocument/definition`: from a reference to its declaration.

use lsp_types as lsp;

use super::super::index::{self, Target};
use super::super::state::Context;

pub(in crate::lsp) fn definition(
    cx: &Context<'_>,
    p: lsp::GotoDefinitionParams,
) -> Result<Option<lsp::GotoDefinitionResponse>, String> {
    let offset = cx.offset(p.text_document_position_params.position);
    let Some(Target::Symbol(symbol)) = cx.analysis.index().at(cx.file, offset).map(|o| o.target) else {
        return Ok(None);
    };
    let loc = index::declaration(&cx.analysis.checked.spec, symbol);
    Ok(loc.and_then(|loc| cx.location(loc)).map(lsp::GotoDefinitionResponse::Scalar))
}
