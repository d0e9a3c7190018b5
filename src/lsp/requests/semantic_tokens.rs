//! `textDocument/semanticTokens/full`: node names, keys, values and
//! comments from the tree, and the declared names from the index, so an
//! editor colours systems, events and flows apart.

use lsp_types as lsp;

use super::super::index::{Symbol, Target};
use super::super::state::Context;
use crate::syntax::{self, cursor};

/// The semantic token types, in the legend's order.
pub(in crate::lsp) const TOKEN_TYPES: &[lsp::SemanticTokenType] = &[
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::PROPERTY,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::MACRO,
    lsp::SemanticTokenType::COMMENT,
    lsp::SemanticTokenType::CLASS,
    lsp::SemanticTokenType::EVENT,
    lsp::SemanticTokenType::FUNCTION,
    lsp::SemanticTokenType::STRUCT,
    lsp::SemanticTokenType::VARIABLE,
];

/// Node names, keys, values and comments from the tree; the names of
/// systems, events, flows, entities and fields from the index.
pub(in crate::lsp) fn semantic_tokens(
    cx: &Context<'_>,
    _: lsp::SemanticTokensParams,
) -> Result<Option<lsp::SemanticTokensResult>, String> {
    let source = cx.source(cx.file);
    let (tree, _) = syntax::parse_tree(&source.text);
    let named: std::collections::HashMap<(u32, u32), u32> = cx
        .analysis
        .index()
        .in_file(cx.file)
        .filter_map(|o| match o.target {
            Target::Symbol(symbol) => Some((
                (o.loc.span.start, o.loc.span.end),
                match symbol {
                    Symbol::System(_) => 6,
                    Symbol::Event(_) => 7,
                    Symbol::Flow(_) => 8,
                    Symbol::Entity(..) => 9,
                    Symbol::EntityField(..) | Symbol::EventField(..) => 10,
                },
            )),
            Target::Rule(_) => None,
        })
        .collect();
    let mut data = Vec::new();
    let (mut last_line, mut last_start) = (0, 0);
    for (span, class) in cursor::classify(&tree) {
        let text = source.text.get(span.range()).unwrap_or("");
        // Clients without multi-line token support get none.
        if text.is_empty() || text.contains(['\n', '\r']) {
            continue;
        }
        let kind = named.get(&(span.start, span.end)).copied().unwrap_or(match class {
            cursor::Class::NodeName => 0,
            cursor::Class::Key => 1,
            cursor::Class::String => 2,
            cursor::Class::Number => 3,
            cursor::Class::Keyword => 4,
            cursor::Class::Comment => 5,
        });
        let (line, start) = source.utf16_position(span.start);
        let delta_start = if line == last_line { start - last_start } else { start };
        data.push(lsp::SemanticToken {
            delta_line: line - last_line,
            delta_start,
            length: text.encode_utf16().count() as u32,
            token_type: kind,
            token_modifiers_bitset: 0,
        });
        (last_line, last_start) = (line, start);
    }
    Ok(Some(lsp::SemanticTokensResult::Tokens(lsp::SemanticTokens { result_id: None, data })))
}
