//! `wireplan plan --html FILE`: one self-contained page.
//!
//! The page loads nothing: no scripts, no fonts, no images from anywhere; a
//! Content-Security-Policy says so, and the browser test holds it to that.
//! The pictures are inline SVG that wireplan draws itself with a fixed
//! layout, so the same spec gives the same bytes. The topology is drawn
//! twice from `render::graph::View`, the drawing `wireplan graph` prints:
//! "who feeds whom" (the logical view: source to target, labelled with the
//! flows and the hub or broker that carries them) and "how it is wired" (the
//! physical view, through the hubs and brokers). Both put the systems on a
//! circle (tools first, grouped by kind, then warehouses and lakes) with hubs
//! and brokers in the middle, mark findings on the arrows and systems they
//! concern in their severity's colour, and carry a legend of what they show;
//! planned systems are dashed, retiring ones grey and dotted. The chart draws
//! the connections each pattern needs month by month, hub and broker as
//! separate lines. Every name from the spec goes through `esc`.

use std::fmt::Write;

use super::svg::topology;
use super::{crossing_label, severity_counts, stage_change, stage_label, title};
use crate::diagnostic::Diagnostic;
use crate::model::Spec;
use crate::plan::{Month, Plan, count, rate};
use crate::source::SourceMap;

/// How many findings the page lists.
const TOP_FINDINGS: usize = 12;

/// Everything the page shows.
pub(crate) struct Page<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) spec: &'a Spec,
    /// The system graph the drawing is read from.
    pub(crate) graph: &'a crate::graph::Graph,
    pub(crate) sources: &'a SourceMap,
    pub(crate) diagnostics: &'a [Diagnostic],
}

const STYLE: &str = r#"
:root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --p2p: #dc2626; --hub: #2563eb; --tool: #2563eb; --storage: #059669; --hubk: #0891b2; --broker: #7c3aed; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f8fafc; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.cards { display: flex; gap: 16px; flex-wrap: wrap; }
.card { flex: 1 1 220px; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; }
.card .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.card .big { font-size: 30px; font-weight: 700; }
.s1 { color: #15803d; } .s2 { color: #1d4ed8; } .s3 { color: #7c3aed; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; overflow-x: auto; }
svg.topology { max-width: 100%; height: auto; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.sev-error { color: #b91c1c; font-weight: 600; } .sev-warning { color: #b45309; font-weight: 600; } .sev-info { color: #1d4ed8; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; background: #f1f5f9; padding: 1px 4px; border-radius: 4px; }
ul.reasons li { margin-bottom: 6px; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
ul.legend { list-style: none; margin: 8px 0 0; padding: 8px 0 0; border-top: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; color: #374151; }
ul.legend li { display: flex; align-items: center; gap: 4px; }
ul.legend li.legend-title { font-weight: 600; }
"#;

pub(crate) fn render(page: &Page<'_>) -> String {
    let plan = page.plan;
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&title(plan)));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title(plan)));
    let _ = writeln!(
        out,
        "<p class=\"sub\">{} tools and {} connected systems now; {} tools at month {}. Stages: 1 point-to-point ({}–{} tools), 2 hub ({}–{}), 3 event-driven ({} or more, or at least {} events a day or {} a second).</p>",
        plan.tools_now,
        plan.systems_now,
        plan.tools_at_horizon,
        plan.horizon_months,
        1,
        plan.thresholds.hub_min_tools - 1,
        plan.thresholds.hub_min_tools,
        plan.thresholds.event_driven_min_tools - 1,
        plan.thresholds.event_driven_min_tools,
        count(plan.thresholds.high_volume_per_day),
        rate(plan.thresholds.high_volume_peak_per_second)
    );

    cards(&mut out, plan);

    topology(&mut out, page);

    out.push_str("<h2>Connections each pattern needs</h2>\n<div class=\"panel\">\n");
    chart(&mut out, plan);
    month_table(&mut out, plan);
    out.push_str("</div>\n");

    out.push_str("<h2>Why</h2>\n<ul class=\"reasons\">\n");
    for reason in &plan.reasons {
        let _ = writeln!(out, "<li>{}</li>", inline_code(&reason.text));
    }
    out.push_str("</ul>\n");

    if !plan.crossings.is_empty() {
        out.push_str("<h2>Thresholds crossed</h2>\n<div class=\"panel\"><table>\n<tr><th class=\"n\">month</th><th>threshold</th><th>stage</th></tr>\n");
        for c in &plan.crossings {
            let _ = writeln!(
                out,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                c.month,
                esc(&crossing_label(c)),
                esc(&stage_change(c))
            );
        }
        out.push_str("</table></div>\n");
    }

    migration(&mut out, plan);
    findings(&mut out, page);
    out.push_str("<footer>Generated by wireplan from the spec; the page loads nothing from the network.</footer>\n</main>\n</body>\n</html>\n");
    out
}

fn cards(out: &mut String, plan: &Plan) {
    let card = |out: &mut String, label: &str, m: &Month| {
        let _ = writeln!(
            out,
            "<div class=\"card\"><div class=\"label\">{}</div><div class=\"big s{}\">Stage {}</div><div>{}</div><div class=\"sub\">{} tools · {}</div></div>",
            esc(label),
            m.stage.number(),
            m.stage.number(),
            esc(m.stage.name()),
            m.tools,
            match m.volume {
                crate::plan::VolumeKnown::Unknown => "volume unknown".to_owned(),
                _ => format!("{} events/day · peak {}/s", crate::plan::per_day_text(m), crate::plan::peak_text(m)),
            }
        );
    };
    out.push_str("<div class=\"cards\">\n");
    card(out, "Recommended now", &plan.months[0]);
    card(out, &format!("At month {}", plan.horizon_months), &plan.months[plan.months.len() - 1]);
    let _ = writeln!(
        out,
        "<div class=\"card\"><div class=\"label\">Data warehouse</div><div class=\"big\">{}</div><div>{}</div></div>",
        if plan.warehouse { "Yes" } else { "Not yet" },
        if plan.warehouse { "recommended for reporting across systems" } else { "no reporting across systems yet" }
    );
    out.push_str("</div>\n");
}

fn month_table(out: &mut String, plan: &Plan) {
    out.push_str("<table>\n<tr><th class=\"n\">month</th><th class=\"n\">tools</th><th class=\"n\">events/day</th><th class=\"n\">peak/s</th><th class=\"n\">direct, wired</th><th class=\"n\">direct, every pair</th><th class=\"n\">hub or broker</th><th class=\"n\">stage</th><th>changes</th></tr>\n");
    for m in super::table_months(plan) {
        let mut changes = Vec::new();
        if !m.joining.is_empty() {
            changes.push(format!("joining: {}", m.joining.join(", ")));
        }
        if !m.retiring.is_empty() {
            changes.push(format!("retiring: {}", m.retiring.join(", ")));
        }
        let cells = super::month_cells(m);
        out.push_str("<tr>");
        for cell in &cells[..7] {
            let _ = write!(out, "<td class=\"n\">{cell}</td>");
        }
        let stage = &cells[7];
        let _ = writeln!(out, "<td class=\"n s{stage}\">{stage}</td><td>{}</td></tr>", esc(&changes.join("; ")));
    }
    out.push_str("</table>\n");
    if !plan.differences.is_empty() {
        out.push_str("<p>What differs between a hub and a broker (both need one connection per system):</p>\n<table>\n<tr><th></th><th>hub</th><th>broker</th></tr>\n");
        for d in &plan.differences {
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                esc(&d.aspect),
                inline_code(&d.hub),
                inline_code(&d.broker)
            );
        }
        out.push_str("</table>\n");
    }
}

fn migration(out: &mut String, plan: &Plan) {
    let mig = &plan.migration;
    let _ = writeln!(
        out,
        "<h2>Migration to {}</h2>\n<p>{}</p>",
        esc(&stage_label(mig.target_stage)),
        inline_code(&mig.note)
    );
    if !mig.move_first.is_empty() {
        out.push_str("<p><strong>Move first</strong></p>\n<ol>\n");
        for step in &mig.move_first {
            let _ = writeln!(out, "<li><code>{}</code>: {}</li>", esc(&step.flow), esc(&step.why));
        }
        out.push_str("</ol>\n");
    }
    if !mig.at_risk.is_empty() {
        out.push_str("<p><strong>Most at risk</strong></p>\n<div class=\"panel\"><table>\n<tr><th>flow</th><th>findings</th><th>rules</th></tr>\n");
        for risk in &mig.at_risk {
            let rules: Vec<String> = risk.findings.iter().map(|f| format!("<code>{}</code>", esc(&f.rule))).collect();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&risk.flow),
                esc(&severity_counts(risk.errors, risk.warnings, risk.infos)),
                rules.join(", ")
            );
        }
        out.push_str("</table></div>\n");
    }
}

fn findings(out: &mut String, page: &Page<'_>) {
    let mut top: Vec<&Diagnostic> = page.diagnostics.iter().collect();
    // Most serious first; within a severity, the stable output order.
    top.sort_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.order(b)));
    out.push_str("<h2>Top findings</h2>\n");
    if top.is_empty() {
        out.push_str("<p>The checks found nothing.</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p>{} of {} findings; <code>wireplan check</code> lists them all.</p>",
        top.len().min(TOP_FINDINGS),
        top.len()
    );
    out.push_str(
        "<div class=\"panel\"><table>\n<tr><th>severity</th><th>rule</th><th>finding</th><th>where</th></tr>\n",
    );
    for d in top.into_iter().take(TOP_FINDINGS) {
        let file = page.sources.get(d.primary.loc.file);
        let pos = file.position(d.primary.loc.span.start);
        let _ = writeln!(
            out,
            "<tr><td class=\"sev-{sev}\">{sev}</td><td><code>{}</code> {}</td><td>{}</td><td>{}:{}</td></tr>",
            esc(d.rule.code),
            esc(d.rule.name),
            inline_code(&d.message),
            esc(&file.name),
            pos.line,
            sev = d.severity.as_str()
        );
    }
    out.push_str("</table></div>\n");
}

// ----- the chart ---------------------------------------------------------

/// The smallest "nice" number (1, 2 or 5 times a power of ten) at or above `x`.
fn nice(x: f64) -> f64 {
    if x <= 1.0 {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|f| f * power).find(|v| *v >= x).unwrap_or(10.0 * power)
}

/// A line of the chart: its legend, colour, dash attribute and value.
type Series = (&'static str, &'static str, &'static str, fn(&crate::plan::Connections) -> f64);

fn chart(out: &mut String, plan: &Plan) {
    let (width, height) = (900.0, 340.0);
    let (left, right, top, bottom) = (56.0, 200.0, 20.0, 44.0);
    let (pw, ph) = (width - left - right, height - top - bottom);
    let horizon = f64::from(plan.horizon_months.max(1));
    let max = plan
        .months
        .iter()
        .map(|m| {
            let c = &m.connections;
            c.point_to_point_potential
                .max(u64::from(c.hub))
                .max(u64::from(c.broker))
                .max(u64::from(c.point_to_point_wired))
        })
        .max()
        .unwrap_or(0);
    let step = nice(max.max(4) as f64 / 4.0);
    let ymax = (max as f64 / step).ceil().max(1.0) * step;
    let x_of = |m: u32| left + pw * f64::from(m) / horizon;
    let y_of = |v: f64| top + ph - ph * v / ymax;

    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"Connections each pattern needs, by month\">"
    );
    // Grid and axes.
    let mut v = 0.0;
    while v <= ymax + 1e-9 {
        let y = y_of(v);
        let _ = writeln!(
            out,
            "<line x1=\"{left:.0}\" y1=\"{y:.1}\" x2=\"{:.0}\" y2=\"{y:.1}\" stroke=\"#e5e7eb\"/><text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#6b7280\">{}</text>",
            left + pw,
            left - 8.0,
            y + 4.0,
            count(v)
        );
        v += step;
    }
    let tick = if plan.horizon_months > 24 { 6 } else { 3 };
    for m in (0..=plan.horizon_months).filter(|m| m.is_multiple_of(tick) || *m == plan.horizon_months) {
        let x = x_of(m);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#9ca3af\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#6b7280\">{m}</text>",
            top + ph,
            top + ph + 5.0,
            top + ph + 20.0
        );
    }
    let _ = writeln!(
        out,
        "<line x1=\"{left:.0}\" y1=\"{:.1}\" x2=\"{:.0}\" y2=\"{:.1}\" stroke=\"#374151\"/><text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#374151\">month</text><text x=\"14\" y=\"{:.0}\" font-size=\"12\" fill=\"#374151\" transform=\"rotate(-90 14 {:.0})\" text-anchor=\"middle\">connections</text>",
        top + ph,
        left + pw,
        top + ph,
        left + pw / 2.0,
        height - 6.0,
        top + ph / 2.0,
        top + ph / 2.0
    );

    // A marker where the recommended stage changes.
    for c in plan.crossings.iter().filter(|c| c.stage_before != c.stage_after) {
        let x = x_of(c.month);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{top:.0}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#7c3aed\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\" fill=\"#7c3aed\">stage {} from month {}</text>",
            top + ph,
            x + 4.0,
            top + 12.0,
            c.stage_after.number(),
            c.month
        );
    }

    // Hub and broker are separate lines; where they need the same count
    // the broker's dashes lie over the hub's line and both stay visible.
    let series: [Series; 4] = [
        ("direct, every pair", "#dc2626", " stroke-dasharray=\"6 4\"", |c| c.point_to_point_potential as f64),
        ("direct, as wired", "#f97316", "", |c| f64::from(c.point_to_point_wired)),
        ("hub, one each", "#0891b2", "", |c| f64::from(c.hub)),
        ("broker, one each", "#7c3aed", " stroke-dasharray=\"3 5\"", |c| f64::from(c.broker)),
    ];
    for (i, (label, stroke, dash, value)) in series.iter().enumerate() {
        let points: Vec<String> =
            plan.months.iter().map(|m| format!("{:.1},{:.1}", x_of(m.month), y_of(value(&m.connections)))).collect();
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2.5\"{dash}/>",
            points.join(" ")
        );
        let ly = top + 16.0 + 22.0 * i as f64;
        let lx = left + pw + 16.0;
        let _ = writeln!(
            out,
            "<line x1=\"{lx:.0}\" y1=\"{ly:.0}\" x2=\"{:.0}\" y2=\"{ly:.0}\" stroke=\"{stroke}\" stroke-width=\"2.5\"{dash}/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" fill=\"#374151\">{label}</text>",
            lx + 24.0,
            lx + 30.0,
            ly + 4.0
        );
    }
    out.push_str("</svg>\n");
}

/// Escapes text for HTML and SVG (`escape::html`).
pub(crate) fn esc(s: &str) -> String {
    crate::escape::html(s)
}

/// Escapes `text`, turning its `code spans` into `<code>` elements.
fn inline_code(text: &str) -> String {
    if !text.matches('`').count().is_multiple_of(2) {
        return esc(text);
    }
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(super::esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(super::inline_code("use `<b>` now"), "use <code>&lt;b&gt;</code> now");
        assert_eq!(super::nice(7.0), 10.0);
        assert_eq!(super::nice(2.5), 5.0);
        assert_eq!(super::nice(20.0), 20.0);
    }
}
