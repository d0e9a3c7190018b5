//! Conversions between the crate's places and LSP's: byte spans to UTF-16
//! ranges, paths to `file://` URIs and back, diagnostics to LSP
//! diagnostics, and a fix's text edits to a workspace edit. Positions
//! become UTF-16 line and column here and nowhere else.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types as lsp;
use rustc_hash::FxHashMap;

use super::state::{Context, Document};
use crate::diagnostic::{Severity, TextEdit};
use crate::source::SourceFile;

/// A diagnostic as LSP shows it: the rule name as its code, a link to the
/// rules, the help after the message, secondary labels as related places.
pub(in crate::lsp) fn to_lsp(
    checked: &crate::Checked,
    documents: &FxHashMap<PathBuf, Document>,
    d: &crate::diagnostic::Diagnostic,
) -> lsp::Diagnostic {
    // Credentials are masked where the frame leaves (`out::Out`); names are
    // shown as the terminal shows them: hidden characters and line breaks
    // escaped (the one line break is the one before the help).
    let show = |s: &str| crate::escape::one_line(s).into_owned();
    let mut message = show(&d.message);
    if !d.help.is_empty() {
        message.push_str("\nhelp: ");
        message.push_str(&show(&d.help));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|label| {
            let file = checked.sources.get(label.loc.file);
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location { uri: uri_for(documents, &file.path)?, range: range(file, label.loc.span) },
                message: show(&label.message),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range(checked.sources.get(d.primary.loc.file), d.primary.loc.span),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.rule.name.to_owned())),
        code_description: lsp::Uri::from_str(&d.rule.url()).ok().map(|href| lsp::CodeDescription { href }),
        source: Some(format!("wireplan {}", d.rule.code)),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// The LSP range of a byte span (UTF-16 columns).
pub(in crate::lsp) fn range(file: &SourceFile, span: crate::syntax::Span) -> lsp::Range {
    let position = |offset: u32| {
        let (line, character) = file.utf16_position(offset);
        lsp::Position { line, character }
    };
    lsp::Range { start: position(span.start), end: position(span.end) }
}

/// The path of a `file://` URI, canonical when the file exists.
pub(in crate::lsp) fn path_of(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b)))
        {
            decoded.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    let path = PathBuf::from(String::from_utf8(decoded).ok()?);
    Some(std::fs::canonicalize(&path).unwrap_or(path))
}

/// The URI of `path`: the client's own for an open document, else
/// `file://` and the path, percent-encoded.
pub(in crate::lsp) fn uri_for(documents: &FxHashMap<PathBuf, Document>, path: &Path) -> Option<lsp::Uri> {
    if let Some(d) = documents.get(path) {
        return Some(d.uri.clone());
    }
    let mut uri = String::from("file://");
    for &b in path.to_string_lossy().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    lsp::Uri::from_str(&uri).ok()
}

/// The workspace edit of a fix's text edits (from `diagnostic::Resolver`),
/// grouped by document; `None` when a file has no URI.
// `Uri` caches its parsed parts inside, which clippy counts as interior
// mutability; its hash and equality are those of its text.
#[allow(clippy::mutable_key_type)]
pub(in crate::lsp) fn workspace_edit(cx: &Context<'_>, edits: &[TextEdit]) -> Option<lsp::WorkspaceEdit> {
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for e in edits {
        let file = cx.source(e.file);
        let uri = cx.uri(e.file)?;
        changes.entry(uri).or_default().push(lsp::TextEdit { range: range(file, e.span), new_text: e.text.clone() });
    }
    Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_round_trip() {
        let docs = FxHashMap::default();
        let path = Path::new("/nonexistent/a b/é.kdl");
        let uri = uri_for(&docs, path).unwrap();
        assert_eq!(uri.as_str(), "file:///nonexistent/a%20b/%C3%A9.kdl");
        assert_eq!(path_of(&uri).unwrap(), path);
    }
}
