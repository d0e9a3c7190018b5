//! The `syntax` interface implemented on the kdl crate.
//!
//! The kdl crate is correct but returns no tree at all when a file has an
//! error, and it recurses once per nesting level, so this backend guards it
//! with a cheap depth pre-scan and translates its document and errors into
//! the module's own spanned tree.

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use super::owned::{Children, Document, Node, Parse};
use super::{Entry, Ident, MAX_DEPTH, Span, SyntaxError, Value};

pub(super) fn parse(text: &str) -> Parse {
    if let Some(span) = too_deep(text) {
        return Parse {
            document: Document::default(),
            errors: vec![SyntaxError {
                span,
                message: format!("nesting is deeper than {MAX_DEPTH} levels"),
                label: Some(format!("level {} starts here", MAX_DEPTH + 1)),
                help: Some("a wireplan spec nests at most four levels; check for unclosed `{`".into()),
                more: 0,
            }],
        };
    }
    match KdlDocument::parse_v2(text) {
        Ok(doc) => Parse { document: Document { nodes: nodes(text, &doc) }, errors: Vec::new() },
        Err(err) => Parse { document: Document::default(), errors: errors(text, err) },
    }
}

/// Finds the first `{` that opens a level beyond `MAX_DEPTH`, skipping quoted
/// strings and comments so that braces inside them do not count.
fn too_deep(text: &str) -> Option<Span> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(Span::new(i, i + 1));
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn errors(text: &str, err: kdl::KdlError) -> Vec<SyntaxError> {
    let mut out: Vec<SyntaxError> = Vec::new();
    for d in err.diagnostics {
        let start = d.span.offset().min(text.len());
        let end = (start + d.span.len()).min(text.len());
        let message = d.message.unwrap_or_else(|| "unexpected input".into());
        let error = SyntaxError {
            span: trim(text, Span::new(start, end)),
            message: lowercase_first(&message),
            label: d.label.filter(|l| l != "here"),
            help: d.help,
            more: 0,
        };
        // An unclosed `{` is reported twice by the crate, once for the block
        // and once at the end of input: keep one error per problem.
        let same_problem = out.iter().any(|e| e.message == error.message && e.span.start == error.span.start);
        if !same_problem {
            out.push(error);
        }
    }
    if out.is_empty() {
        out.push(SyntaxError {
            span: Span::new(0, 0),
            message: "the document could not be parsed".into(),
            label: None,
            help: None,
            more: 0,
        });
    }
    if KdlDocument::parse_v1(text).is_ok()
        && let Some(first) = out.first_mut()
    {
        first.help = Some(super::V1_HELP.into());
    }
    out
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn nodes(text: &str, doc: &KdlDocument) -> Vec<Node> {
    doc.nodes().iter().map(|n| node(text, n)).collect()
}

fn node(text: &str, n: &KdlNode) -> Node {
    let name = ident(text, n.name());
    let ty = n.ty().map(|t| ident(text, t));
    let entries: Vec<Entry> = n.entries().iter().map(|e| entry(text, e)).collect();
    let children = n.children().map(|c| {
        let span = children_span(text, n, c);
        Children { nodes: nodes(text, c), span }
    });
    // The node begins at its type annotation's `(` or at its name.
    let start = ty
        .as_ref()
        .map_or(name.span.start, |t| text[..t.span.start as usize].rfind('(').map_or(t.span.start, |p| p as u32));
    let mut end = name.span.end;
    if let Some(last) = entries.last() {
        end = end.max(last.span.end);
    }
    if let Some(c) = &children {
        end = end.max(c.span.end);
    }
    Node { name, ty, entries, children, span: Span { start, end }, incomplete: false }
}

/// The `{ ... }` of a node: the crate gives the children document a span that
/// may include surrounding whitespace, so locate the braces in the text.
fn children_span(text: &str, n: &KdlNode, c: &KdlDocument) -> Span {
    let inner = c.span();
    let node_span = n.span();
    let from = node_span.offset();
    let to = (node_span.offset() + node_span.len()).min(text.len());
    let open = text[from..inner.offset().min(to).max(from)].rfind('{').map(|p| from + p).unwrap_or(inner.offset());
    let close = text[..to].rfind('}').map(|p| p + 1).unwrap_or(to);
    Span::new(open, close.max(open))
}

fn ident(text: &str, id: &kdl::KdlIdentifier) -> Ident<'static> {
    let span = trim(text, Span::new(id.span().offset(), id.span().offset() + id.span().len()));
    Ident { text: id.value().to_owned().into(), span }
}

fn entry(text: &str, e: &KdlEntry) -> Entry<'static> {
    let span = trim(text, Span::new(e.span().offset(), e.span().offset() + e.span().len()));
    let key = e.name().map(|k| ident(text, k));
    let ty = e.ty().map(|t| ident(text, t));
    // Values carry no span of their own: the value is what follows the key's
    // `=` (KDL v2 allows whitespace around it) or the type annotation's `)`.
    let mut value_start = span.start as usize;
    if let Some(k) = &key {
        let after_key = k.span.end as usize;
        value_start = text[after_key..span.end as usize].find('=').map_or(after_key, |p| after_key + p + 1);
    }
    if let Some(t) = &ty {
        let after_ty = t.span.end as usize;
        value_start = text[after_ty..span.end as usize].find(')').map_or(after_ty, |p| after_ty + p + 1);
    }
    let value_span = trim(text, Span::new(value_start, span.end as usize));
    let value = match e.value() {
        KdlValue::String(s) => Value::String(s.clone().into()),
        KdlValue::Integer(n) => Value::Integer(*n),
        KdlValue::Float(x) => Value::Float(*x),
        KdlValue::Bool(b) => Value::Bool(*b),
        KdlValue::Null => Value::Null,
    };
    Entry { key, ty, value, value_span, span }
}

/// Shrinks a span to exclude surrounding whitespace, terminators and line
/// continuations, which the crate sometimes includes.
fn trim(text: &str, span: Span) -> Span {
    let (mut start, mut end) = (span.start as usize, (span.end as usize).min(text.len()));
    start = start.min(end);
    let slice = &text[start..end];
    let is_padding = |c: char| c.is_whitespace() || c == ';' || c == '\\' || c == '\u{feff}';
    let lead = slice.len() - slice.trim_start_matches(is_padding).len();
    start += lead;
    let tail = &text[start..end];
    end = start + tail.trim_end_matches(is_padding).len();
    Span::new(start, end)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn slice(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn spans_are_exact() {
        let text = "system \"hubspot\" kind=crm {\n    rate-limit 100 per = second  \n}\n";
        let p = parse(text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let sys = &p.document.nodes[0];
        assert_eq!(slice(text, sys.span), &text[..text.len() - 1]);
        assert_eq!(slice(text, sys.entries[0].span), "\"hubspot\"");
        assert_eq!(slice(text, sys.entries[1].span), "kind=crm");
        assert_eq!(slice(text, sys.entries[1].value_span), "crm");
        let rl = &sys.children.as_ref().unwrap().nodes[0];
        assert_eq!(slice(text, rl.span), "rate-limit 100 per = second");
        assert_eq!(slice(text, rl.entries[1].value_span), "second");
        assert_eq!(slice(text, sys.children.as_ref().unwrap().span), "{\n    rate-limit 100 per = second  \n}");
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing() {
        let text = "a {".repeat(10_000);
        let p = parse(&text);
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].message.contains("deeper"));
    }

    #[test]
    fn v1_files_get_a_migration_hint() {
        let p = parse("node true null \"a\"\n");
        assert!(!p.errors.is_empty());
        assert!(p.errors[0].help.as_deref().unwrap_or("").contains("KDL v1"), "{:?}", p.errors);
    }
}
