//! `textDocument/references`: every place a declared name is written.

use lsp_types as lsp;

use super::super::index::Target;
use super::super::state::Context;

pub(in crate::lsp) fn references(
    cx: &Context<'_>,
    p: lsp::ReferenceParams,
) -> Result<Option<Vec<lsp::Location>>, String> {
    let offset = cx.offset(p.text_document_position.position);
    let Some(Target::Symbol(symbol)) = cx.analysis.index().at(cx.file, offset).map(|o| o.target) else {
        return Ok(None);
    };
    let include = p.context.include_declaration;
    let found = cx.analysis.index().of(symbol).filter(|o| include || !o.declaration).filter_map(|o| cx.location(o.loc));
    Ok(Some(found.collect()))
}
