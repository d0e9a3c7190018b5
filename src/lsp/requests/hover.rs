//! `textDocument/hover`: a declared name's summary (what it is, what uses
//! it, its findings), a rule's documentation on its name, and the docs of
//! the node or property under the cursor, from the syntax tree, so hover
//! works in a file that does not parse.

use lsp_types as lsp;

use super::super::convert::range;
use super::super::index::{Symbol, Target};
use super::super::state::Context;
use crate::escape::{markdown_code as code, markdown_prose};
use crate::model::{EventId, FlowId, Owner, SystemId, TriggerKind};
use crate::shapes::{self, Fits};
use crate::syntax::{Span, cursor};

/// The most names listed in a hover.
const LISTED: usize = 10;

pub(in crate::lsp) fn hover(cx: &Context<'_>, p: lsp::HoverParams) -> Result<Option<lsp::Hover>, String> {
    let offset = cx.offset(p.text_document_position_params.position);
    let source = cx.source(cx.file);
    let markdown = |value: String, span: Span| lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value }),
        range: Some(range(source, span)),
    };
    if let Some(o) = cx.analysis.index().at(cx.file, offset) {
        let text = match o.target {
            Target::Rule(rule) => crate::docs::explain(rule),
            Target::Symbol(symbol) => summary(cx, symbol),
        };
        return Ok(Some(markdown(text, o.loc.span)));
    }
    // Only the part of the document around the cursor is parsed; its places
    // count from where it starts.
    let (start, tree) = cx.tree_around(offset);
    let Some(mut h) = cursor::hovered(&tree, offset - start) else { return Ok(None) };
    h.span = Span { start: h.span.start + start, end: h.span.end + start };
    let parent = h.parents.last().map_or("", String::as_str);
    let Some(shape) = shapes::shape(parent, &h.node) else { return Ok(None) };
    let text = match &h.key {
        None => {
            let mut text = format!("```kdl\n{}\n```\n\n{}", shape.usage, shape.doc);
            for p in shape.props {
                text.push_str(&format!("\n- `{}=`: {}", p.key, p.doc));
            }
            text
        }
        Some(key) => {
            let Some(p) = shape.props.iter().find(|p| p.key == key) else { return Ok(None) };
            let mut text = format!("`{}=` on `{}`: {}", p.key, shape.name, p.doc);
            if let Fits::Keywords(words) = p.fits {
                text.push_str(&format!(
                    "\n\nOne of: {}",
                    words.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
                ));
            }
            text
        }
    };
    Ok(Some(markdown(text, h.span)))
}

/// A short description of a declared name: what it is, what uses it, and
/// the findings about it.
fn summary(cx: &Context<'_>, symbol: Symbol) -> String {
    let spec = &cx.analysis.checked.spec;
    let list = |names: Vec<String>| {
        if names.is_empty() {
            return "none".to_owned();
        }
        let more = names.len().saturating_sub(LISTED);
        let mut shown: Vec<String> = names.iter().take(LISTED).map(|n| code(n)).collect();
        if more > 0 {
            shown.push(format!("and {more} more"));
        }
        shown.join(", ")
    };
    let findings = |owner: Owner| {
        let found: Vec<String> = cx
            .analysis
            .checked
            .diagnostics
            .iter()
            .filter(|d| d.owner == Some(owner))
            .take(LISTED)
            .map(|d| format!("\n- {} `{}`: {}", d.severity.as_str(), d.rule.name, markdown_prose(&d.message)))
            .collect();
        if found.is_empty() { "\n\nNo findings.".to_owned() } else { format!("\n\nFindings:{}", found.concat()) }
    };
    match symbol {
        Symbol::System(s) => {
            let system = &spec.systems[s as usize];
            let id = SystemId(s);
            let produces = spec.events.iter().filter(|e| e.from.as_ref().and_then(|f| f.target) == Some(id));
            let reads = spec.flows.iter().filter(|f| f.source_system(spec) == Some(id));
            let writes = spec.flows.iter().filter(|f| f.targets.iter().any(|t| t.system.target == Some(id)));
            format!(
                "**system {}** (kind {})\n\nProduces: {}\n\nRead by: {}\n\nWritten by: {}{}",
                code(&system.name.value),
                code(&system.kind().to_string()),
                list(produces.map(|e| e.name.value.to_string()).collect()),
                list(reads.map(|f| f.name.value.to_string()).collect()),
                list(writes.map(|f| f.name.value.to_string()).collect()),
                findings(Owner::System(id)),
            )
        }
        Symbol::Event(v) => {
            let event = &spec.events[v as usize];
            let id = EventId(v);
            let producer = event
                .from
                .as_ref()
                .map_or_else(|| "no producer".to_owned(), |f| format!("from {}", code(&f.name.value)));
            let entity = event.entity.as_ref().map(|e| format!(", entity {}", code(&e.name.value))).unwrap_or_default();
            let key = event.key.as_ref().map(|k| format!("\n\nKey: {}", code(&k.name.value))).unwrap_or_default();
            let consumers = spec.flows.iter().filter(|f| {
                matches!(f.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::On { event }) if event.target == Some(id))
            });
            format!(
                "**event {}** ({producer}{entity}){key}\n\nConsumed by: {}{}",
                code(&event.name.value),
                list(consumers.map(|f| f.name.value.to_string()).collect()),
                findings(Owner::Event(id)),
            )
        }
        Symbol::Flow(f) => {
            let flow = &spec.flows[f as usize];
            let targets: Vec<String> = flow.targets.iter().map(|t| t.system.name.value.to_string()).collect();
            format!(
                "**flow {}**\n\nWrites to: {}{}",
                code(&flow.name.value),
                list(targets),
                findings(Owner::Flow(FlowId(f)))
            )
        }
        Symbol::Entity(s, e) => {
            let system = &spec.systems[s as usize];
            let entity = &system.entities[e as usize];
            let fields: Vec<String> = entity.fields.iter().map(|f| f.name.value.to_string()).collect();
            format!(
                "**entity {}** of system {}\n\nFields: {}",
                code(&entity.name.value),
                code(&system.name.value),
                list(fields)
            )
        }
        Symbol::EntityField(s, e, f) => {
            let entity = &spec.systems[s as usize].entities[e as usize];
            field_summary(&entity.fields[f as usize], &format!("entity {}", code(&entity.name.value)))
        }
        Symbol::EventField(v, f) => {
            let event = &spec.events[v as usize];
            field_summary(&event.fields[f as usize], &format!("event {}", code(&event.name.value)))
        }
    }
}

fn field_summary(field: &crate::model::Field, of: &str) -> String {
    let ty = field.ty.as_ref().map_or_else(|| "no type".to_owned(), |t| format!("type {}", code(&t.value.to_string())));
    let required = if field.required { ", required" } else { "" };
    format!("**field {}** of {of}: {ty}{required}", code(&field.name.value))
}
