//! An owned copy of a parsed document, for tests: the compliance suite and
//! the differential fuzzer compare whole documents, ours against the kdl
//! crate's (`kdl_backend` builds the same types), and recovery tests index
//! into them.

use super::{Entry, Ident, Span, SyntaxError};

#[derive(Clone, Debug, Default)]
pub(super) struct Document {
    pub(super) nodes: Vec<Node>,
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub(super) name: Ident<'static>,
    pub(super) ty: Option<Ident<'static>>,
    pub(super) entries: Vec<Entry<'static>>,
    pub(super) children: Option<Children>,
    pub(super) span: Span,
    pub(super) incomplete: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Children {
    pub(super) nodes: Vec<Node>,
    pub(super) span: Span,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Parse {
    pub(super) document: Document,
    pub(super) errors: Vec<SyntaxError>,
}

/// `syntax::parse`, with the document copied out of the view.
pub(super) fn parse(text: &str) -> Parse {
    let parse = super::parse(text);
    let document = Document { nodes: parse.document().nodes().map(|n| node(&n)).collect() };
    Parse { document, errors: parse.errors }
}

fn node(view: &super::Node<'_>) -> Node {
    Node {
        name: ident(&view.name),
        ty: view.ty.as_ref().map(ident),
        entries: view.entries().map(entry).collect(),
        children: view.children.map(|c| Children { nodes: c.nodes().map(|n| node(&n)).collect(), span: c.span }),
        span: view.span,
        incomplete: view.incomplete,
    }
}

fn ident(view: &Ident<'_>) -> Ident<'static> {
    Ident { text: view.text.clone().into_owned().into(), span: view.span }
}

fn entry(view: Entry<'_>) -> Entry<'static> {
    Entry {
        key: view.key.as_ref().map(ident),
        ty: view.ty.as_ref().map(ident),
        value: view.value.into_owned(),
        value_span: view.value_span,
        span: view.span,
    }
}
