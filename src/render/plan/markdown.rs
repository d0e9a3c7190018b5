//! `wireplan plan --format markdown`: the human report as Markdown, with a
//! Mermaid `xychart-beta` chart of the connections each pattern needs, for a
//! pull request or a wiki page.
//!
//! Names from the spec are user text: outside code spans, the characters
//! Markdown would read as markup are escaped; table cells also escape `|`.

use std::fmt::Write;

use super::{crossing_label, month_cells, severity_counts, stage_change, stage_label, table_months, title};
use crate::plan::Plan;

pub(crate) fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", text(&title(plan)));

    let now = &plan.months[0];
    let last = &plan.months[plan.months.len() - 1];
    out.push_str("| when | recommended | tools | events/day | peak/s |\n| --- | --- | ---: | ---: | ---: |\n");
    for (when, m) in [("now".to_owned(), now), (format!("month {}", plan.horizon_months), last)] {
        let _ = writeln!(
            out,
            "| {when} | **{}** | {} | {} | {} |",
            stage_label(m.stage),
            m.tools,
            crate::plan::per_day_text(m),
            crate::plan::peak_text(m)
        );
    }
    let _ = writeln!(out, "\n**Data warehouse:** {}.\n", if plan.warehouse { "recommended" } else { "not needed yet" });

    out.push_str("## Why\n\n");
    for reason in &plan.reasons {
        let _ = writeln!(out, "- {}", text(&reason.text));
    }

    if !plan.crossings.is_empty() {
        out.push_str("\n## Thresholds crossed\n\n| month | threshold | stage |\n| ---: | --- | --- |\n");
        for c in &plan.crossings {
            let _ = writeln!(out, "| {} | {} | {} |", c.month, crossing_label(c), stage_change(c));
        }
    }

    out.push_str("\n## Connections each pattern needs\n\n");
    chart(&mut out, plan);
    out.push_str(
        "\nLines, in order: point-to-point with every pair wired (n(n-1)/2), point-to-point as wired today, \
         a hub, and a broker (each one connection per system: where they are equal, one line hides the other).\n\n",
    );
    out.push_str("| month | tools | events/day | peak/s | p2p wired | p2p pairs | hub or broker | stage |\n");
    out.push_str("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for m in table_months(plan) {
        let _ = writeln!(out, "| {} |", month_cells(m).join(" | "));
    }
    if !plan.differences.is_empty() {
        out.push_str(
            "\n**What differs between a hub and a broker** (both need one connection per system):\n\n\
             | | hub | broker |\n| --- | --- | --- |\n",
        );
        for d in &plan.differences {
            let _ =
                writeln!(out, "| {} | {} | {} |", cell(&text(&d.aspect)), cell(&text(&d.hub)), cell(&text(&d.broker)));
        }
    }

    let mig = &plan.migration;
    let _ = writeln!(out, "\n## Migration to {}\n\n{}", stage_label(mig.target_stage), text(&mig.note));
    if !mig.move_first.is_empty() {
        out.push_str("\n**Move first:**\n\n");
        for (i, step) in mig.move_first.iter().enumerate() {
            let _ = writeln!(out, "{}. {}: {}", i + 1, code(&step.flow), text(&step.why));
        }
    }
    if !mig.at_risk.is_empty() {
        out.push_str("\n**Most at risk:**\n\n| flow | findings | rules |\n| --- | --- | --- |\n");
        for risk in &mig.at_risk {
            let rules: Vec<String> = risk.findings.iter().map(|f| code(&f.rule)).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&code(&risk.flow)),
                severity_counts(risk.errors, risk.warnings, risk.infos),
                rules.join(", ")
            );
        }
    }
    out
}

/// The Mermaid chart: one line per pattern over the months.
fn chart(out: &mut String, plan: &Plan) {
    let series = |f: &dyn Fn(&crate::plan::Connections) -> u64| -> Vec<String> {
        plan.months.iter().map(|m| f(&m.connections).to_string()).collect()
    };
    let potential = series(&|c| c.point_to_point_potential);
    let wired = series(&|c| u64::from(c.point_to_point_wired));
    let hub = series(&|c| u64::from(c.hub));
    let broker = series(&|c| u64::from(c.broker));
    let max = plan
        .months
        .iter()
        .map(|m| {
            m.connections
                .point_to_point_potential
                .max(u64::from(m.connections.hub))
                .max(u64::from(m.connections.broker))
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let months: Vec<String> = plan.months.iter().map(|m| m.month.to_string()).collect();
    let _ = writeln!(out, "```mermaid\nxychart-beta");
    let _ = writeln!(out, "    title \"Connections each pattern needs, by month\"");
    let _ = writeln!(out, "    x-axis \"month\" [{}]", months.join(", "));
    let _ = writeln!(out, "    y-axis \"connections\" 0 --> {max}");
    let _ = writeln!(out, "    line [{}]", potential.join(", "));
    let _ = writeln!(out, "    line [{}]", wired.join(", "));
    let _ = writeln!(out, "    line [{}]", hub.join(", "));
    let _ = writeln!(out, "    line [{}]", broker.join(", "));
    out.push_str("```\n");
}

/// User text outside code spans (see `text::markdown_prose`).
fn text(s: &str) -> String {
    crate::render::text::markdown_prose(s)
}

/// A name as a code span, with a fence longer than any backtick run in it.
fn code(name: &str) -> String {
    crate::render::text::markdown_code(name)
}

/// Text for a table cell: `|` would end the cell, even inside a code span.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    #[test]
    fn user_text_is_escaped() {
        assert_eq!(super::text("a *b* `c_d` [e]"), "a \\*b\\* `c_d` \\[e\\]");
        assert_eq!(super::code("x`y"), "``x`y``");
        assert_eq!(super::cell("a|b"), "a\\|b");
        let hostile = super::text("stack `x`\n<img src=x onerror=alert(1)>");
        assert!(!hostile.contains('\n') && !hostile.replace("\\<img", "").contains("<img"), "{hostile}");
    }
}
