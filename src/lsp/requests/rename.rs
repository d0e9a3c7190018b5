//! `textDocument/rename`: a system, event or flow renamed at its
//! declaration and every reference, quoted as each place needs, refusing a
//! name the language would refuse or one already taken.

use std::collections::HashMap;

use lsp_types as lsp;

use super::super::convert::range;
use super::super::index::{Symbol, Target};
use super::super::state::Context;
use crate::model::{FileId, Spec};
use crate::syntax::{Span, cursor};

// `Uri` caches its parsed parts inside, which clippy counts as interior
// mutability; its hash and equality are those of its text.
#[allow(clippy::mutable_key_type)]
pub(in crate::lsp) fn rename(cx: &Context<'_>, p: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>, String> {
    let offset = cx.offset(p.text_document_position.position);
    let Some(o) = cx.analysis.index().at(cx.file, offset) else {
        return Err("there is no system, event or flow name here".into());
    };
    let (symbol, kind) = match o.target {
        Target::Symbol(symbol @ Symbol::System(_)) => (symbol, "system"),
        Target::Symbol(symbol @ Symbol::Event(_)) => (symbol, "event"),
        Target::Symbol(symbol @ Symbol::Flow(_)) => (symbol, "flow"),
        _ => return Err("only systems, events and flows can be renamed".into()),
    };
    let new_name = p.new_name.trim();
    if new_name.is_empty() {
        return Err("a name cannot be empty".into());
    }
    refuse_bad_name(kind, new_name)?;
    let spec = &cx.analysis.checked.spec;
    let taken = match symbol {
        Symbol::System(s) => spec.systems.iter().enumerate().any(|(i, x)| i != s as usize && x.name.value == new_name),
        Symbol::Event(v) => spec.events.iter().enumerate().any(|(i, x)| i != v as usize && x.name.value == new_name),
        Symbol::Flow(f) => spec.flows.iter().enumerate().any(|(i, x)| i != f as usize && x.name.value == new_name),
        _ => false,
    };
    if taken {
        return Err(format!("a {kind} named `{}` already exists", crate::escape::one_line(new_name)));
    }
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for o in cx.analysis.index().of(symbol) {
        let source = cx.source(o.loc.file);
        let Some(uri) = cx.uri(o.loc.file) else { continue };
        let original = source.text.get(o.loc.span.range()).unwrap_or("");
        changes
            .entry(uri)
            .or_default()
            .push(lsp::TextEdit { range: range(source, o.loc.span), new_text: cursor::requote(original, new_name) });
    }
    Ok(Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }))
}

/// Refuses a new name that the language would refuse, by asking it: the
/// name written as the rename writes it (quoted, and bare where it can be)
/// must parse, lower and resolve, as the name of a `kind`, back to the same
/// name, with no error at it. So whatever the language refuses in a name,
/// now or later, rename refuses too, and never writes a file that no longer
/// parses or means something else.
fn refuse_bad_name(kind: &str, name: &str) -> Result<(), String> {
    // An error message is plain text: the name on one line, escaped.
    let shown = format!("`{}`", crate::escape::one_line(name));
    let mut forms = vec![cursor::requote("\"", name)];
    let bare = cursor::requote("", name);
    if !forms.contains(&bare) {
        forms.push(bare);
    }
    for form in forms {
        // A system needs its kind; what else is missing is reported at the
        // node, not at the name.
        let rest = if kind == "system" { " kind=crm" } else { "" };
        let text = format!("{kind} {form}{rest}\n");
        let at = Span::new(kind.len() + 1, kind.len() + 1 + form.len());
        let mut spec = Spec::default();
        let mut diagnostics = Vec::new();
        crate::parse_and_lower(FileId(0), &text, &mut spec, &mut diagnostics);
        crate::resolve::resolve(&mut spec, &mut diagnostics);
        let refusal = diagnostics.iter().find(|d| {
            let span = d.primary.loc.span;
            d.severity == crate::diagnostic::Severity::Error && at.start <= span.start && span.end <= at.end
        });
        if let Some(d) = refusal {
            return Err(format!("{shown} cannot be a {kind} name: {}", crate::escape::one_line(&d.message)));
        }
        let read_back = match kind {
            "system" => spec.systems.first().map(|s| s.name.value.clone()),
            "event" => spec.events.first().map(|e| e.name.value.clone()),
            _ => spec.flows.first().map(|f| f.name.value.clone()),
        };
        if read_back.as_deref() != Some(name) {
            return Err(format!("{shown} cannot be a {kind} name: written as {form} it does not read back the same"));
        }
    }
    Ok(())
}
