//! `textDocument/codeAction`: each finding in the range offers its fix (set
//! where the finding was made, `diagnostic::Fix`), preferred when it is safe,
//! and a finding that may be allowed offers the `allow` on its node. The
//! server knows no rule: what a fix does is the rule's to say.

use lsp_types as lsp;

use super::super::convert::{to_lsp, workspace_edit};
use super::super::state::Context;
use crate::diagnostic::{Applicability, Edit, Fix, Resolver};
use crate::model::Owner;

pub(in crate::lsp) fn code_actions(
    cx: &Context<'_>,
    p: lsp::CodeActionParams,
) -> Result<Option<lsp::CodeActionResponse>, String> {
    let source = cx.source(cx.file);
    let start = source.offset_of_utf16(p.range.start.line, p.range.start.character);
    let end = source.offset_of_utf16(p.range.end.line, p.range.end.character);
    let checked = &cx.analysis.checked;
    let spec = &checked.spec;
    // Each file an edit adds to is parsed once per request, however many
    // findings the range holds.
    let mut resolver = Resolver::new(&checked.sources);
    let mut actions = Vec::new();
    for d in &checked.diagnostics {
        let span = d.primary.loc.span;
        if d.primary.loc.file != cx.file || span.end < start || span.start > end {
            continue;
        }
        let mut offer = |fix: &Fix, preferred: bool| {
            let Some(edit) = resolver.resolve(fix).and_then(|edits| workspace_edit(cx, &edits)) else { return };
            actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title.clone(),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(checked, cx.documents, d)]),
                edit: Some(edit),
                is_preferred: Some(preferred),
                ..Default::default()
            }));
        };
        if let Some(fix) = &d.fix {
            offer(fix, fix.applicability == Applicability::Safe);
        }
        // Any finding that may be allowed can be allowed on its node, with a
        // reason still to write.
        let Some(owner) = d.owner else { continue };
        if !d.rule.is_configurable() || matches!(d.rule.name, "allow-without-reason" | "unused-allow") {
            continue;
        }
        let (parent, what) = match owner {
            Owner::System(id) => (spec.system(id).loc, "system"),
            Owner::Event(id) => (spec.event(id).loc, "event"),
            Owner::Flow(id) => (spec.flow(id).loc, "flow"),
        };
        let child = format!("allow \"{}\" reason=\"TODO: why this is acceptable here\"", d.rule.name);
        offer(
            &Fix::safe(format!("Allow `{}` for this {what}", d.rule.name), vec![Edit::InsertChild { parent, child }]),
            false,
        );
    }
    Ok(Some(actions))
}
