//! One file per request the server answers, as ruff's server and taplo's
//! keep their handlers: each takes the last check of the document's spec
//! (`Context`) and the request's parameters, and returns the answer or an
//! error message. The loop (`server.rs`) dispatches to them by method.
//! `HasDocument` says which document a request is about, so the loop can
//! bring its spec up to date first.

mod code_action;
mod completion;
mod definition;
mod formatting;
mod hover;
mod references;
mod rename;
mod semantic_tokens;
mod symbols;

use lsp_types as lsp;

pub(in crate::lsp) use code_action::code_actions;
pub(in crate::lsp) use completion::completion;
pub(in crate::lsp) use definition::definition;
pub(in crate::lsp) use formatting::formatting;
pub(in crate::lsp) use hover::hover;
pub(in crate::lsp) use references::references;
pub(in crate::lsp) use rename::rename;
pub(in crate::lsp) use semantic_tokens::{TOKEN_TYPES, semantic_tokens};
pub(in crate::lsp) use symbols::symbols;

/// Requests that are about one document.
pub(in crate::lsp) trait HasDocument {
    fn document(&self) -> &lsp::Uri;
}

macro_rules! has_document {
    ($($t:ty => |$p:ident| $e:expr),* $(,)?) => {$(
        impl HasDocument for $t {
            fn document(&self) -> &lsp::Uri {
                let $p = self;
                $e
            }
        }
    )*};
}

has_document! {
    lsp::HoverParams => |p| &p.text_document_position_params.text_document.uri,
    lsp::GotoDefinitionParams => |p| &p.text_document_position_params.text_document.uri,
    lsp::ReferenceParams => |p| &p.text_document_position.text_document.uri,
    lsp::RenameParams => |p| &p.text_document_position.text_document.uri,
    lsp::CompletionParams => |p| &p.text_document_position.text_document.uri,
    lsp::CodeActionParams => |p| &p.text_document.uri,
    lsp::DocumentFormattingParams => |p| &p.text_document.uri,
    lsp::DocumentSymbolParams => |p| &p.text_document.uri,
    lsp::SemanticTokensParams => |p| &p.text_document.uri,
}
