//! `textDocument/documentSymbol`: the document's systems (with their
//! entities and fields), events (with their fields) and flows, as an outline.

use lsp_types as lsp;

use super::super::convert::range;
use super::super::state::Context;
use crate::syntax::Span;

pub(in crate::lsp) fn symbols(
    cx: &Context<'_>,
    _: lsp::DocumentSymbolParams,
) -> Result<Option<lsp::DocumentSymbolResponse>, String> {
    let spec = &cx.analysis.checked.spec;
    let source = cx.source(cx.file);
    let here = |loc: crate::model::Loc| loc.file == cx.file;
    #[allow(deprecated)] // `deprecated` must be given; `tags` replaces it
    let symbol =
        |name: &str, detail: Option<String>, kind, node: Span, name_span: Span, children: Vec<lsp::DocumentSymbol>| {
            lsp::DocumentSymbol {
                name: if name.is_empty() { "(unnamed)".into() } else { name.to_owned() },
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: range(source, node.cover(name_span)),
                selection_range: range(source, name_span),
                children: (!children.is_empty()).then_some(children),
            }
        };
    let field_symbols = |fields: &[crate::model::Field]| -> Vec<lsp::DocumentSymbol> {
        fields
            .iter()
            .filter(|f| here(f.loc))
            .map(|f| {
                let ty = f.ty.as_ref().map(|t| t.value.to_string());
                symbol(&f.name.value, ty, lsp::SymbolKind::FIELD, f.loc.span, f.name.loc.span, Vec::new())
            })
            .collect()
    };
    let mut out = Vec::new();
    for s in spec.systems.iter().filter(|s| here(s.loc)) {
        let entities = s
            .entities
            .iter()
            .filter(|e| here(e.loc))
            .map(|e| {
                symbol(
                    &e.name.value,
                    None,
                    lsp::SymbolKind::STRUCT,
                    e.loc.span,
                    e.name.loc.span,
                    field_symbols(&e.fields),
                )
            })
            .collect();
        out.push(symbol(
            &s.name.value,
            Some(format!("system, kind {}", s.kind())),
            lsp::SymbolKind::CLASS,
            s.loc.span,
            s.name.loc.span,
            entities,
        ));
    }
    for e in spec.events.iter().filter(|e| here(e.loc)) {
        out.push(symbol(
            &e.name.value,
            Some("event".into()),
            lsp::SymbolKind::EVENT,
            e.loc.span,
            e.name.loc.span,
            field_symbols(&e.fields),
        ));
    }
    for f in spec.flows.iter().filter(|f| here(f.loc)) {
        out.push(symbol(
            &f.name.value,
            Some("flow".into()),
            lsp::SymbolKind::FUNCTION,
            f.loc.span,
            f.name.loc.span,
            Vec::new(),
        ));
    }
    out.sort_by_key(|s| (s.range.start.line, s.range.start.character));
    Ok(Some(lsp::DocumentSymbolResponse::Nested(out)))
}
