//! `wireplan plan`: a report a person reads in a minute. The recommendation
//! first, then why, then what changes over the horizon and what to move.
//! Text from the spec is escaped as `render::text` does for every terminal
//! output.

use std::fmt::Write;

use super::{crossing_label, month_cells, severity_counts, stage_change, stage_label, table_months, title};
use crate::plan::{Month, Plan, VolumeKnown, peak_text, per_day_text};

pub(crate) fn render(plan: &Plan, width: usize) -> String {
    let width = width.max(60);
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", crate::render::text::one_line(&title(plan)));

    let now = &plan.months[0];
    let last = &plan.months[plan.months.len() - 1];
    let line = |when: &str, m: &Month| {
        let volume = match m.volume {
            VolumeKnown::Unknown => "volume unknown".to_owned(),
            _ => format!("{} events/day, peak {}/s", per_day_text(m), peak_text(m)),
        };
        format!("  {when:<16}{:<28}{} tools, {volume}\n", stage_label(m.stage), m.tools)
    };
    out.push_str(&line("now", now));
    out.push_str(&line(&format!("month {}", plan.horizon_months), last));
    let _ =
        writeln!(out, "  {:<16}{}\n", "data warehouse", if plan.warehouse { "recommended" } else { "not needed yet" });

    out.push_str("Why\n");
    for reason in &plan.reasons {
        wrap(&mut out, &reason.text, "  - ", "    ", width);
    }

    if !plan.crossings.is_empty() {
        out.push_str("\nThresholds crossed\n");
        for c in &plan.crossings {
            let _ = writeln!(out, "  month {:<4}{:<30}{}", c.month, crossing_label(c), stage_change(c));
        }
    }

    out.push_str("\nConnections each pattern needs\n");
    let header = ["month", "tools", "events/day", "peak/s", "p2p wired", "p2p pairs", "hub or broker", "stage"];
    let rows = table_months(plan).into_iter().map(month_cells);
    for row in std::iter::once(header.map(String::from)).chain(rows) {
        for (cell, width) in row.iter().zip([5, 5, 10, 7, 9, 9, 13, 5]) {
            let _ = write!(out, "  {cell:>width$}");
        }
        out.push('\n');
    }

    if !plan.differences.is_empty() {
        out.push_str("\nWhat differs between a hub and a broker (both need one connection per system)\n");
        for d in &plan.differences {
            wrap(&mut out, &format!("{}: hub: {}; broker: {}.", d.aspect, d.hub, d.broker), "  - ", "    ", width);
        }
    }

    let mig = &plan.migration;
    let _ = writeln!(out, "\nMigration to {}", stage_label(mig.target_stage));
    wrap(&mut out, &mig.note, "  ", "  ", width);
    if !mig.move_first.is_empty() {
        out.push_str("  Move first:\n");
        for (i, step) in mig.move_first.iter().enumerate() {
            wrap(&mut out, &format!("{}: {}", step.flow, step.why), &format!("    {}. ", i + 1), "       ", width);
        }
    }
    if !mig.at_risk.is_empty() {
        out.push_str("  Most at risk:\n");
        for risk in &mig.at_risk {
            let rules: Vec<&str> = risk.findings.iter().map(|f| f.rule.as_str()).collect();
            wrap(
                &mut out,
                &format!(
                    "{}: {} ({})",
                    risk.flow,
                    severity_counts(risk.errors, risk.warnings, risk.infos),
                    rules.join(", ")
                ),
                "    - ",
                "      ",
                width,
            );
        }
    }
    out
}

/// Appends `text` word-wrapped to `width`, the first line after `first`, the
/// others after `rest`.
pub(crate) fn wrap(out: &mut String, text: &str, first: &str, rest: &str, width: usize) {
    // Names in the text come from the spec: escaped, they cannot colour the
    // terminal or start a line of their own.
    let text = crate::render::text::one_line(text);
    let mut line = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = rest.to_owned();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}
