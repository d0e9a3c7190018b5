//! `textDocument/completion`: node names, properties and the values that
//! fit the slot being typed (keywords, declared names, fields, rules), from
//! the syntax tree at the cursor, so it works while the file is broken.

use lsp_types as lsp;

use super::super::convert::range;
use super::super::state::Context;
use crate::lint;
use crate::model::{Spec, TriggerKind};
use crate::shapes::{self, Fits};
use crate::syntax::{Span, cursor};

pub(in crate::lsp) fn completion(
    cx: &Context<'_>,
    p: lsp::CompletionParams,
) -> Result<Option<lsp::CompletionResponse>, String> {
    let offset = cx.offset(p.text_document_position.position);
    let source = cx.source(cx.file);
    // Only the part of the document around the cursor is parsed; its places
    // count from where it starts.
    let (start, tree) = cx.tree_around(offset);
    let mut typing = cursor::typing(&tree, offset - start);
    typing.replace = Span { start: typing.replace.start + start, end: typing.replace.end + start };
    let parent = typing.parents.last().map_or("", String::as_str);
    let partial = source.text.get(typing.replace.range()).unwrap_or("");
    let edit_range = range(source, typing.replace);
    let item =
        |label: String, new_text: String, kind: lsp::CompletionItemKind, detail: Option<String>| lsp::CompletionItem {
            label,
            kind: Some(kind),
            detail,
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range: edit_range, new_text })),
            ..Default::default()
        };
    let mut items = Vec::new();
    let shape = typing.node.as_deref().and_then(|node| shapes::shape(parent, node));
    let fits = match (&typing.slot, shape) {
        (cursor::Slot::NodeName, _) => {
            for s in shapes::children_of(parent) {
                items.push(item(s.name.into(), s.name.into(), lsp::CompletionItemKind::KEYWORD, Some(s.usage.into())));
            }
            None
        }
        (cursor::Slot::Entry { args }, Some(shape)) => {
            if !partial.starts_with(['"', '#']) {
                for p in shape.props {
                    let key = format!("{}=", p.key);
                    items.push(item(key.clone(), key, lsp::CompletionItemKind::PROPERTY, Some(p.doc.into())));
                }
            }
            if *args == 0 { shape.arg } else { None }
        }
        (cursor::Slot::Value { key }, Some(shape)) => shape.props.iter().find(|p| p.key == key).map(|p| p.fits),
        _ => None,
    };
    if let Some(fits) = fits {
        for (name, detail, kind) in values(cx, fits, offset) {
            let new_text = cursor::requote(partial, &name);
            items.push(item(name, new_text, kind, detail));
        }
    }
    Ok(Some(lsp::CompletionResponse::Array(items)))
}

/// The values that fit, with a detail and a kind each.
fn values(cx: &Context<'_>, fits: Fits, offset: u32) -> Vec<(String, Option<String>, lsp::CompletionItemKind)> {
    let spec = &cx.analysis.checked.spec;
    let named = |name: &str, detail: String, kind| (name.to_owned(), Some(detail), kind);
    let inside = |loc: crate::model::Loc| loc.file == cx.file && loc.span.start <= offset && offset <= loc.span.end;
    let fields = |fields: &[crate::model::Field], of: &str| -> Vec<_> {
        fields.iter().map(|f| named(&f.name.value, format!("field of {of}"), lsp::CompletionItemKind::FIELD)).collect()
    };
    match fits {
        Fits::Text => Vec::new(),
        Fits::Keywords(words) => {
            words.iter().map(|w| ((*w).to_owned(), None, lsp::CompletionItemKind::ENUM_MEMBER)).collect()
        }
        Fits::Bool => {
            ["#true", "#false"].iter().map(|w| ((*w).to_owned(), None, lsp::CompletionItemKind::VALUE)).collect()
        }
        Fits::System => spec
            .systems
            .iter()
            .map(|s| named(&s.name.value, format!("system, kind {}", s.kind()), lsp::CompletionItemKind::CLASS))
            .collect(),
        Fits::Event => spec
            .events
            .iter()
            .map(|e| {
                let from = e.from.as_ref().map_or_else(String::new, |f| format!(" from {}", f.name.value));
                named(&e.name.value, format!("event{from}"), lsp::CompletionItemKind::EVENT)
            })
            .collect(),
        Fits::Entity => {
            let mut out: Vec<_> = spec
                .systems
                .iter()
                .flat_map(|s| {
                    s.entities.iter().map(|e| {
                        named(&e.name.value, format!("entity of {}", s.name.value), lsp::CompletionItemKind::STRUCT)
                    })
                })
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out.dedup_by(|a, b| a.0 == b.0);
            out
        }
        Fits::EventField => spec
            .events
            .iter()
            .find(|e| inside(e.loc))
            .map(|e| fields(&e.fields, &format!("event {}", e.name.value)))
            .unwrap_or_default(),
        Fits::SourceField => {
            let Some(flow) = spec.flows.iter().find(|f| inside(f.loc)) else { return Vec::new() };
            source_fields(spec, flow).map(|(fs, of)| fields(fs, &of)).unwrap_or_default()
        }
        Fits::TargetField => {
            let Some(target) = spec.flows.iter().flat_map(|f| &f.targets).find(|t| inside(t.loc)) else {
                return Vec::new();
            };
            let Some(id) = target.entity.as_ref().and_then(|e| e.target) else { return Vec::new() };
            fields(&spec.entity(id).fields, &format!("entity {}", spec.entity(id).name.value))
        }
        Fits::Rule => lint::RULES
            .iter()
            .filter(|r| r.is_configurable())
            .map(|r| {
                named(
                    r.name,
                    format!("{} {}: {}", r.code, r.default_level(), r.summary),
                    lsp::CompletionItemKind::VALUE,
                )
            })
            .collect(),
    }
}

/// The fields a flow reads (its `map` sources and idempotency key), and
/// what they belong to.
fn source_fields<'s>(spec: &'s Spec, flow: &crate::model::Flow) -> Option<(&'s [crate::model::Field], String)> {
    let from_entity = flow.from.as_ref().and_then(|f| f.entity.as_ref()).and_then(|e| e.target);
    let polled = match flow.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::Poll(poll)) => poll.entity.as_ref().and_then(|e| e.target),
        _ => None,
    };
    if let Some(id) = from_entity.or(polled) {
        let entity = spec.entity(id);
        return Some((&entity.fields, format!("entity {}", entity.name.value)));
    }
    if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) {
        let event = spec.event(event.target?);
        return Some((&event.fields, format!("event {}", event.name.value)));
    }
    None
}
