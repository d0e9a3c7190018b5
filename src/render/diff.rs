//! `wireplan diff`'s reports: the changes `crate::diff` found, as text for
//! a terminal, as Markdown for a pull-request comment, and as JSON
//! (`schemas/diff.schema.json`). Pure: changes in, text out.

use std::collections::BTreeSet;
use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use crate::diff::{Change, Class, Counts, counts};

/// The report `wireplan diff --format json` prints.
#[derive(Serialize, JsonSchema)]
#[schemars(title = "wireplan diff", deny_unknown_fields)]
pub(crate) struct DiffReport {
    /// The version of this format.
    pub(crate) version: u32,
    /// Every change, breaking first, then by node.
    pub(crate) changes: Vec<Change>,
    pub(crate) summary: Counts,
}

/// The diff as text for a terminal.
pub(crate) fn human(changes: &[Change]) -> String {
    use crate::escape::one_line;
    let mut out = String::new();
    for c in changes {
        let _ = writeln!(out, "{:<8}  {}: {}", c.class.as_str(), one_line(&c.node), one_line(&c.change));
        if !c.affected.is_empty() {
            let _ = writeln!(out, "{:<8}    breaks {}", "", one_line(&affected_list(&c.affected)));
        }
    }
    let n = counts(changes);
    let _ = writeln!(out, "{} breaking, {} risky, {} safe", n.breaking, n.risky, n.safe);
    out
}

/// "flow "a", flow "b" and 3 more".
fn affected_list(affected: &[String]) -> String {
    crate::prose::list(&affected[..affected.len().min(MAX_AFFECTED)], affected.len(), MAX_AFFECTED, "and")
}

/// How many affected flows a change lists by name in text.
const MAX_AFFECTED: usize = 8;

/// The diff as Markdown, for a pull-request comment: what breaks, what it
/// breaks, and what to do.
pub(crate) fn markdown(changes: &[Change]) -> String {
    use crate::escape::{markdown_cell, markdown_code};
    let n = counts(changes);
    let mut out = format!("### wireplan diff: {} breaking, {} risky, {} safe\n\n", n.breaking, n.risky, n.safe);
    if changes.is_empty() {
        out.push_str("No changes to systems, events or flows.\n");
        return out;
    }
    // Names are code spans (no markup inside); `|` would end the cell.
    let code = |s: &str| markdown_code(s).replace('|', "\\|");
    out.push_str("| | node | change | breaks |\n| --- | --- | --- | --- |\n");
    for c in changes {
        let mark = match c.class {
            Class::Breaking => "**breaking**",
            Class::Risky => "risky",
            Class::Safe => "safe",
        };
        let breaks = match (c.class, c.affected.is_empty()) {
            (_, false) => {
                let shown: Vec<String> = c.affected.iter().take(MAX_AFFECTED).map(|a| code(a)).collect();
                crate::prose::list(&shown, c.affected.len(), MAX_AFFECTED, "and")
            }
            (Class::Breaking, true) => "consumers outside this spec".to_owned(),
            _ => String::new(),
        };
        let _ = writeln!(out, "| {mark} | {} | {} | {breaks} |", code(&c.node), markdown_cell(&c.change));
    }
    let broken: BTreeSet<&str> = changes.iter().flat_map(|c| c.affected.iter().map(String::as_str)).collect();
    if n.breaking > 0 {
        out.push('\n');
        if !broken.is_empty() {
            let shown: Vec<String> = broken.iter().take(MAX_AFFECTED).map(|a| code(a)).collect();
            let _ = writeln!(
                out,
                "**To merge:** update {} in this change (they read what it removes or changes).",
                crate::prose::list(&shown, broken.len(), MAX_AFFECTED, "and")
            );
        }
        if changes.iter().any(|c| c.class == Class::Breaking && c.affected.is_empty()) {
            out.push_str(
                "**Consumers outside this spec:** bump the event's `version` so they can keep reading the old one.\n",
            );
        }
    }
    out
}

/// The diff as JSON (`schemas/diff.schema.json`).
pub(crate) fn json(changes: &[Change]) -> String {
    crate::escape::to_json(&DiffReport { version: 2, changes: changes.to_vec(), summary: counts(changes) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_is_fresh() {
        crate::render::assert_schema_fresh("diff.schema.json", &crate::render::schema_of::<super::DiffReport>());
    }
}
