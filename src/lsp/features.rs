//! The requests the server answers, each from the last check of the
//! document's spec (`Context`): hover, definition, references, rename,
//! completion, code actions, formatting and document symbols.

use std::collections::HashMap;

use lsp_types as lsp;

use super::index::{self, Symbol, Target};
use super::{Context, range};
use crate::escape::{markdown_code as code, markdown_prose};
use crate::lint;
use crate::model::{EventId, FileId, FlowId, Owner, Spec, SystemId, TriggerKind};
use crate::shapes::{self, Fits};
use crate::source::SourceFile;
use crate::syntax::{self, Span, cursor};

/// The most names listed in a hover.
const LISTED: usize = 10;

pub(super) fn hover(cx: &Context<'_>, p: lsp::HoverParams) -> Result<Option<lsp::Hover>, String> {
    let offset = cx.offset(p.text_document_position_params.position);
    let source = cx.source(cx.file);
    let markdown = |value: String, span: Span| lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value }),
        range: Some(range(source, span)),
    };
    if let Some(o) = cx.analysis.index.at(cx.file, offset) {
        let text = match o.target {
            Target::Rule(rule) => crate::docs::explain(rule),
            Target::Symbol(symbol) => summary(cx, symbol),
        };
        return Ok(Some(markdown(text, o.loc.span)));
    }
    let (tree, _) = syntax::parse_tree(&source.text);
    let Some(h) = cursor::hovered(&tree, offset) else { return Ok(None) };
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

pub(super) fn definition(
    cx: &Context<'_>,
    p: lsp::GotoDefinitionParams,
) -> Result<Option<lsp::GotoDefinitionResponse>, String> {
    let offset = cx.offset(p.text_document_position_params.position);
    let Some(Target::Symbol(symbol)) = cx.analysis.index.at(cx.file, offset).map(|o| o.target) else { return Ok(None) };
    let loc = index::declaration(&cx.analysis.checked.spec, symbol);
    Ok(loc.and_then(|loc| cx.location(loc)).map(lsp::GotoDefinitionResponse::Scalar))
}

pub(super) fn references(cx: &Context<'_>, p: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>, String> {
    let offset = cx.offset(p.text_document_position.position);
    let Some(Target::Symbol(symbol)) = cx.analysis.index.at(cx.file, offset).map(|o| o.target) else { return Ok(None) };
    let include = p.context.include_declaration;
    let found = cx.analysis.index.of(symbol).filter(|o| include || !o.declaration).filter_map(|o| cx.location(o.loc));
    Ok(Some(found.collect()))
}

// `Uri` caches its parsed parts inside, which clippy counts as interior
// mutability; its hash and equality are those of its text.
#[allow(clippy::mutable_key_type)]
pub(super) fn rename(cx: &Context<'_>, p: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>, String> {
    let offset = cx.offset(p.text_document_position.position);
    let Some(o) = cx.analysis.index.at(cx.file, offset) else {
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
    for o in cx.analysis.index.of(symbol) {
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

pub(super) fn completion(
    cx: &Context<'_>,
    p: lsp::CompletionParams,
) -> Result<Option<lsp::CompletionResponse>, String> {
    let offset = cx.offset(p.text_document_position.position);
    let source = cx.source(cx.file);
    let (tree, _) = syntax::parse_tree(&source.text);
    let typing = cursor::typing(&tree, offset);
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
                    format!("{} {}: {}", r.code, r.default_severity.as_str(), r.summary),
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
        Some(TriggerKind::Poll { entity, .. }) => entity.as_ref().and_then(|e| e.target),
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

pub(super) fn code_actions(
    cx: &Context<'_>,
    p: lsp::CodeActionParams,
) -> Result<Option<lsp::CodeActionResponse>, String> {
    let source = cx.source(cx.file);
    let start = source.offset_of_utf16(p.range.start.line, p.range.start.character);
    let end = source.offset_of_utf16(p.range.end.line, p.range.end.character);
    let spec = &cx.analysis.checked.spec;
    // Each file an edit appends to is parsed once per request, however many
    // findings the range holds.
    let mut trees: HashMap<FileId, crate::syntax::Parse<'_>> = HashMap::new();
    let mut actions = Vec::new();
    let mut action = |fixes: &crate::diagnostic::Diagnostic,
                      title: String,
                      file: &SourceFile,
                      span: Span,
                      new_text: String,
                      preferred: bool| {
        let Some(uri) = uri_of(cx, file) else { return };
        let edit = lsp::TextEdit { range: range(file, span), new_text };
        actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title,
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![super::to_lsp(&cx.analysis.checked, cx.documents, fixes)]),
            edit: Some(lsp::WorkspaceEdit { changes: Some(HashMap::from([(uri, vec![edit])])), ..Default::default() }),
            is_preferred: Some(preferred),
            ..Default::default()
        }));
    };
    for d in &cx.analysis.checked.diagnostics {
        let span = d.primary.loc.span;
        if d.primary.loc.file != cx.file || span.end < start || span.start > end {
            continue;
        }
        if let Some(name) = did_you_mean(&d.help) {
            let original = source.text.get(span.range()).unwrap_or("");
            action(d, format!("Replace with `{name}`"), source, span, cursor::requote(original, name), true);
        }
        let Some(owner) = d.owner else { continue };
        let (owner_loc, what) = match owner {
            Owner::System(id) => (spec.system(id).loc, "system"),
            Owner::Event(id) => (spec.event(id).loc, "event"),
            Owner::Flow(id) => (spec.flow(id).loc, "flow"),
        };
        let owner_file = cx.source(owner_loc.file);
        let tree = &trees.entry(owner_loc.file).or_insert_with(|| crate::syntax::parse(&owner_file.text)).tree;
        let mut add = |title: String, child: String, preferred: bool| {
            let (at, text) = add_child(owner_file, tree, owner_loc.span, &child);
            action(d, title, owner_file, at, text, preferred);
        };
        if let Owner::Flow(id) = owner {
            let flow = spec.flow(id);
            match d.rule.name {
                "non-idempotent-path" if flow.idempotency_key.is_none() => {
                    let key = idempotency_key(spec, flow);
                    add(
                        format!("Add `idempotency-key \"{key}\"`"),
                        format!("idempotency-key {}", cursor::requote("\"", &key)),
                        true,
                    );
                }
                "no-dead-letter" if flow.dead_letter.is_none() => {
                    add("Add `dead-letter`".into(), "dead-letter".into(), true)
                }
                "sync-cycle" if flow.loop_guard.is_none() => add("Add `loop-guard`".into(), "loop-guard".into(), true),
                "no-logging" if flow.log.is_none() => add("Add `log`".into(), "log".into(), true),
                _ => {}
            }
        }
        if d.rule.is_configurable() && !matches!(d.rule.name, "allow-without-reason" | "unused-allow") {
            add(
                format!("Allow `{}` for this {what}", d.rule.name),
                format!("allow \"{}\" reason=\"TODO: why this is acceptable here\"", d.rule.name),
                false,
            );
        }
    }
    Ok(Some(actions))
}

fn uri_of(cx: &Context<'_>, file: &SourceFile) -> Option<lsp::Uri> {
    super::uri_for(cx.documents, &file.path)
}

/// The name in a "did you mean `name`?" help.
fn did_you_mean(help: &str) -> Option<&str> {
    let rest = &help[help.find("did you mean `")? + "did you mean `".len()..];
    rest.get(..rest.find('`')?)
}

/// The key a flow's writes are made idempotent with: the trigger event's
/// `key`, else the first field it reads, else `id`.
fn idempotency_key(spec: &Spec, flow: &crate::model::Flow) -> String {
    if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind)
        && let Some(id) = event.target
        && let Some(key) = &spec.event(id).key
    {
        return key.name.value.to_string();
    }
    source_fields(spec, flow)
        .and_then(|(fields, _)| fields.first())
        .map_or_else(|| "id".to_owned(), |f| f.name.value.to_string())
}

/// The edit that adds `child` as the last child of the node at `node`:
/// before its `}`, on a line of its own, indented one level deeper; a node
/// without children gets a block.
fn add_child(file: &SourceFile, tree: &crate::syntax::SyntaxTree<'_>, node: Span, child: &str) -> (Span, String) {
    let text = &file.text;
    // The model's span of a node ends at its last entry that is not
    // commented out; the syntax tree's takes in a `/-` entry after it.
    let end = tree.node_end_at(node.start).unwrap_or(node.end).max(node.end);
    let node = Span::new(node.start as usize, end as usize);
    let node_text = text.get(node.range()).unwrap_or("");
    let (_, line_start) = file.line_of(node.start);
    let indent: String =
        text[line_start as usize..node.start as usize].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let inner = format!("{indent}    ");
    let body = node_text.trim_end_matches([';', ' ', '\t']);
    if body.ends_with('}') {
        let close = node.start + body.len() as u32 - 1;
        let (_, close_line) = file.line_of(close);
        let before = &text[close_line as usize..close as usize];
        if before.trim().is_empty() {
            let at = close_line as usize;
            return (Span::new(at, at), format!("{inner}{child}\n"));
        }
        return (Span::new(close as usize, close as usize), format!("\n{inner}{child}\n{indent}"));
    }
    let end = node.start as usize + body.len();
    (Span::new(end, end), format!(" {{\n{inner}{child}\n{indent}}}"))
}

pub(super) fn formatting(
    cx: &Context<'_>,
    _: lsp::DocumentFormattingParams,
) -> Result<Option<Vec<lsp::TextEdit>>, String> {
    let source = cx.source(cx.file);
    // A file with syntax errors is left as it is; its errors are shown.
    let Ok(formatted) = crate::fmt::format_text(&source.text) else { return Ok(None) };
    if formatted == source.text {
        return Ok(Some(Vec::new()));
    }
    // The edit is the whole file, so it would carry a credential written in
    // it, which every message the server sends has masked: sending the mask
    // would write it into the file.
    if matches!(cx.analysis.checked.redactor.apply(&formatted), std::borrow::Cow::Owned(_)) {
        return Err("this file holds a credential (see the `secret-literal` finding); put it in an environment \
                    variable, then format"
            .into());
    }
    let all = Span::new(0, source.text.len());
    Ok(Some(vec![lsp::TextEdit { range: range(source, all), new_text: formatted }]))
}

pub(super) fn symbols(
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

/// The semantic token types, in the legend's order.
pub(super) const TOKEN_TYPES: &[lsp::SemanticTokenType] = &[
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
pub(super) fn semantic_tokens(
    cx: &Context<'_>,
    _: lsp::SemanticTokensParams,
) -> Result<Option<lsp::SemanticTokensResult>, String> {
    let source = cx.source(cx.file);
    let (tree, _) = syntax::parse_tree(&source.text);
    let named: std::collections::HashMap<(u32, u32), u32> = cx
        .analysis
        .index
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
