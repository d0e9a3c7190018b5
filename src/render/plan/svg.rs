//! The topology pictures of `plan --html`: the systems on a circle (tools
//! first, grouped by kind, then warehouses and lakes) with hubs and brokers
//! in the middle, drawn as inline SVG from `render::graph::View` with a
//! fixed layout, findings marked in their severity's colour, and a legend.
//! Every name from the spec goes through `html::esc`.

use std::fmt::Write;

use super::html::{Page, esc};
use crate::diagnostic::Severity;
use crate::model::SystemKind;
use crate::render::graph::{EdgeView, Layout, LegendItem, Mark, View};

/// Where the page draws a system, and how.
struct Node {
    x: f64,
    y: f64,
    /// Which side of the node its label goes: -1 left, 0 centred below, 1 right.
    side: i8,
}

const NODE_R: f64 = 10.0;
/// The most systems the topology labels; beyond, names show on hover.
const MAX_LABELLED: usize = 48;
/// The most arrows the topology labels; beyond, flows show on hover.
const MAX_EDGE_LABELS: usize = 60;

const ERROR: &str = "#dc2626";
const WARNING: &str = "#ea580c";
const POSSIBLE: &str = "#9333ea";
const DIRECT: &str = "#334155";
const RETIRING: &str = "#9ca3af";

fn kind_order(kind: SystemKind) -> (u8, &'static str) {
    (u8::from(kind.is_storage()), kind.as_str())
}

fn colour(kind: SystemKind) -> &'static str {
    match kind {
        SystemKind::Hub => "#0891b2",
        SystemKind::Broker => "#7c3aed",
        SystemKind::Warehouse | SystemKind::Lake => "#059669",
        _ => "#2563eb",
    }
}

fn severity_colour(s: Option<Severity>) -> Option<&'static str> {
    match s? {
        Severity::Error => Some(ERROR),
        Severity::Warning => Some(WARNING),
        Severity::Info => None,
    }
}

/// An arrow's colour: its finding's, else its route's (direct, or the
/// colour of the hub or broker that carries it).
fn edge_colour(view: &View, edge: &EdgeView) -> &'static str {
    match edge.mark {
        Mark::Loop | Mark::Error => ERROR,
        Mark::PossibleLoop => POSSIBLE,
        Mark::Warning => WARNING,
        Mark::Plain => {
            let transport = edge
                .via
                .or_else(|| [edge.from, edge.to].into_iter().find(|n| view.nodes[*n].is_transport() && !edge.direct));
            transport.map_or(DIRECT, |t| colour(view.nodes[t].kind))
        }
    }
}

/// Every colour an arrow can have, for one arrowhead each.
const ARROW_COLOURS: [&str; 6] = [ERROR, WARNING, POSSIBLE, DIRECT, "#0891b2", "#7c3aed"];

pub(super) fn topology(out: &mut String, page: &Page<'_>) {
    let logical = View::new(page.spec, page.graph, page.diagnostics, Layout::Logical);
    let physical = View::new(page.spec, page.graph, page.diagnostics, Layout::Physical);
    out.push_str("<h2>Who feeds whom</h2>\n<p class=\"sub\">Each arrow is data moving from a source system to a target, labelled with its flows; “via” names the hub or broker that carries them. Findings are marked where they belong.</p>\n<div class=\"panel\">\n");
    let circle = circle_order(&logical);
    diagram(out, &logical, &circle, "logical");
    out.push_str("</div>\n<h2>How it is wired today</h2>\n<p class=\"sub\">The connections as built: a flow through a hub or broker runs in two legs, source to hub and hub to target.</p>\n<div class=\"panel\">\n");
    diagram(out, &physical, &circle, "physical");
    out.push_str("</div>\n");
}

/// The systems on the circle, in order, and the position (in steps) of the
/// one drawn at the far right. Both views share it, so a system sits in the
/// same place in each. Read from the logical view: systems that only receive
/// go on the right, systems that only send on the left, systems that do
/// both at the top, so most arrows run left to right, as data flows.
struct Circle {
    order: Vec<usize>,
    right: f64,
}

fn circle_order(logical: &View) -> Circle {
    let (mut sends, mut receives) = (vec![false; logical.nodes.len()], vec![false; logical.nodes.len()]);
    for e in logical.edges.iter().filter(|e| e.from != e.to) {
        sends[e.from] = true;
        receives[e.to] = true;
    }
    let nodes = &logical.nodes;
    let by_kind = |a: &usize, b: &usize| {
        kind_order(nodes[*a].kind)
            .cmp(&kind_order(nodes[*b].kind))
            .then_with(|| nodes[*a].name.cmp(&nodes[*b].name))
            .then(a.cmp(b))
    };
    let group = |keep: &dyn Fn(usize) -> bool| {
        let mut g: Vec<usize> = (0..nodes.len()).filter(|i| !nodes[*i].is_transport() && keep(*i)).collect();
        g.sort_by(by_kind);
        g
    };
    let sinks = group(&|i| receives[i] && !sends[i]);
    let sources = group(&|i| sends[i] && !receives[i]);
    // Systems that both send and receive stay together (their loops stay
    // short), between the senders and the receivers at the top; systems
    // with no flow go at the bottom.
    let both = group(&|i| sends[i] && receives[i]);
    let lone = group(&|i| !sends[i] && !receives[i]);
    let n = sinks.len() + both.len() + lone.len() + sources.len();
    let right = if !sinks.is_empty() {
        (sinks.len() as f64 - 1.0) / 2.0
    } else if !sources.is_empty() {
        (lone.len() as f64 + (sources.len() as f64 - 1.0) / 2.0) - n as f64 / 2.0
    } else {
        -(n as f64) / 4.0
    };
    let mut order = sinks;
    order.extend(lone);
    order.extend(sources);
    order.extend(both);
    Circle { order, right }
}

/// One view as an SVG, followed by its legend. `id` keeps the two
/// drawings' arrowhead ids apart.
fn diagram(out: &mut String, view: &View, circle: &Circle, id: &str) {
    // The logical view leaves out hubs and brokers that nothing starts or
    // ends at: their flows are drawn source to target, labelled "via".
    let shown = |i: usize| view.layout == Layout::Physical || !view.nodes[i].is_transport() || view.nodes[i].connected;
    let name_order = |a: &usize, b: &usize| view.nodes[*a].name.cmp(&view.nodes[*b].name).then(a.cmp(b));
    let endpoints = &circle.order;
    let mut hubs: Vec<usize> = (0..view.nodes.len()).filter(|i| shown(*i) && view.nodes[*i].is_transport()).collect();
    hubs.sort_by(name_order);
    if endpoints.is_empty() && hubs.is_empty() {
        out.push_str("<p>The spec declares no systems.</p>\n");
        return;
    }
    let n = endpoints.len();
    if n > MAX_LABELLED {
        let _ = writeln!(out, "<p class=\"sub\">{n} systems: hover over a dot for its name.</p>");
    }
    let label_edges = view.edges.len() <= MAX_EDGE_LABELS;
    if !label_edges {
        let _ = writeln!(out, "<p class=\"sub\">{} arrows: hover over one for its flows.</p>", view.edges.len());
    }

    let radius = (100.0 + 26.0 * n as f64).clamp(160.0, 480.0);
    let (margin_x, margin_y) = (200.0, 60.0);
    let (cx, cy) = (margin_x + radius, margin_y + radius);
    let (width, height) = (2.0 * (margin_x + radius), 2.0 * (margin_y + radius));

    let mut nodes: Vec<Option<Node>> = (0..view.nodes.len()).map(|_| None).collect();
    for (i, node) in endpoints.iter().enumerate() {
        let angle = std::f64::consts::TAU * (i as f64 - circle.right) / n as f64;
        let (x, y) = (cx + radius * angle.cos(), cy + radius * angle.sin());
        let side = if angle.cos() > 0.2 {
            1
        } else if angle.cos() < -0.2 {
            -1
        } else {
            0
        };
        nodes[*node] = Some(Node { x, y, side });
    }
    let inner = if hubs.len() > 1 { (radius * 0.3).min(90.0) } else { 0.0 };
    for (i, node) in hubs.iter().enumerate() {
        let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / hubs.len() as f64;
        nodes[*node] = Some(Node { x: cx + inner * angle.cos(), y: cy + inner * angle.sin(), side: 0 });
    }

    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology {id}\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\">",
        if view.layout == Layout::Logical {
            "Who feeds whom: systems and the flows between them"
        } else {
            "How the systems are wired"
        }
    );
    out.push_str("<defs>");
    for (i, fill) in ARROW_COLOURS.iter().enumerate() {
        let _ = write!(
            out,
            "<marker id=\"{id}-arrow{i}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{fill}\"/></marker>"
        );
    }
    out.push_str("</defs>\n");

    // Arrows first, then their labels (so no arrow crosses a label), then
    // the systems on top.
    let mut labels = String::new();
    let pairs: std::collections::HashSet<(usize, usize)> = view.edges.iter().map(|e| (e.from, e.to)).collect();
    // Arrows between one pair in one direction (direct, and via a hub) bow
    // out one further than the other.
    let mut drawn: std::collections::HashMap<(usize, usize), f64> = std::collections::HashMap::new();
    for edge in &view.edges {
        let (Some(na), Some(nb)) = (&nodes[edge.from], &nodes[edge.to]) else { continue };
        if edge.from == edge.to {
            continue;
        }
        let (dx, dy) = (nb.x - na.x, nb.y - na.y);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        // A gentle bend; two arrows in opposite directions bow apart, far
        // enough for their labels.
        let bend =
            if pairs.contains(&(edge.to, edge.from)) { (len * 0.3).clamp(40.0, 90.0) } else { (len * 0.12).min(40.0) };
        let nth = drawn.entry((edge.from, edge.to)).or_insert(0.0);
        let bend = bend * (1.0 + *nth);
        *nth += 1.0;
        let (px, py) = (-uy, ux);
        let shrink = |t: &usize| if view.nodes[*t].is_transport() { NODE_R + 9.0 } else { NODE_R + 4.0 };
        let (x1, y1) = (na.x + ux * shrink(&edge.from), na.y + uy * shrink(&edge.from));
        let (x2, y2) = (nb.x - ux * shrink(&edge.to), nb.y - uy * shrink(&edge.to));
        let (qx, qy) = ((x1 + x2) / 2.0 + px * bend, (y1 + y2) / 2.0 + py * bend);
        let stroke = edge_colour(view, edge);
        let marker = ARROW_COLOURS.iter().position(|c| *c == stroke).unwrap_or(3);
        let dash = match (edge.dashed, edge.mark) {
            (true, _) => " stroke-dasharray=\"7 4\"",
            (false, Mark::PossibleLoop) => " stroke-dasharray=\"2 3\"",
            _ => "",
        };
        let width = match edge.mark {
            Mark::Loop => 3.2,
            Mark::Plain => 1.4 + (edge.flows.len().min(5) as f64) * 0.3,
            _ => 2.4,
        };
        let mut lines = edge.label_lines(&view.nodes);
        let title = lines.join("; ");
        // A long list of flows wraps, a few names a line, to keep labels narrow.
        let names = wrap(&lines[0], 30);
        lines.splice(0..1, names);
        let _ = writeln!(
            out,
            "<path d=\"M{x1:.1},{y1:.1} Q{qx:.1},{qy:.1} {x2:.1},{y2:.1}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width:.1}\" stroke-opacity=\"0.85\"{dash} marker-end=\"url(#{id}-arrow{marker})\"><title>{} → {}: {}</title></path>",
            esc(&view.nodes[edge.from].name),
            esc(&view.nodes[edge.to].name),
            esc(&title)
        );
        if !label_edges {
            continue;
        }
        // On a spoke from a hub in the middle, the label sits nearer the
        // outer end, where spokes are further apart.
        let t: f64 = if view.nodes[edge.from].is_transport() && !view.nodes[edge.to].is_transport() {
            0.7
        } else if view.nodes[edge.to].is_transport() && !view.nodes[edge.from].is_transport() {
            0.3
        } else {
            0.5
        };
        let point = |a: f64, q: f64, b: f64| (1.0 - t) * (1.0 - t) * a + 2.0 * t * (1.0 - t) * q + t * t * b;
        let (lx, ly) = (point(x1, qx, x2), point(y1, qy, y2));
        // The findings, when any, are the last line, in their colour.
        let marks = severity_colour(edge.findings.worst).filter(|_| edge.findings.label().is_some());
        let _ = write!(
            labels,
            "<text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#334155\" class=\"flow-label\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"4\" stroke-linejoin=\"round\">{}",
            ly + 4.0 - 6.5 * (lines.len() - 1) as f64,
            esc(&lines[0])
        );
        for (k, line) in lines.iter().enumerate().skip(1) {
            let style = match marks {
                Some(fill) if k == lines.len() - 1 => {
                    format!(" fill=\"{fill}\" font-weight=\"600\" class=\"finding-mark\"")
                }
                _ => " fill=\"#64748b\"".to_owned(),
            };
            let _ = write!(labels, "<tspan x=\"{lx:.1}\" dy=\"13\"{style}>{}</tspan>", esc(line));
        }
        labels.push_str("</text>\n");
    }
    out.push_str(&labels);

    for i in endpoints.iter().chain(&hubs) {
        let (Some(node), system) = (&nodes[*i], &view.nodes[*i]) else { continue };
        let kind = system.kind;
        let r = if system.is_transport() { NODE_R + 6.0 } else { NODE_R };
        let (fill, stroke, dash) = if system.planned() {
            ("#ffffff", colour(kind), " stroke-dasharray=\"3 2\"")
        } else if system.retiring() {
            ("#e5e7eb", RETIRING, " stroke-dasharray=\"1.5 2\"")
        } else {
            (colour(kind), colour(kind), "")
        };
        if let Some(ring) = severity_colour(system.findings.worst) {
            let _ = writeln!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.0}\" fill=\"none\" stroke=\"{ring}\" stroke-width=\"3\" class=\"finding-ring\"/>",
                node.x,
                node.y,
                r + 5.0
            );
        }
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.0}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"{dash}><title>{} ({})</title></circle>",
            node.x,
            node.y,
            esc(&system.name),
            esc(&system.note())
        );
        // Past a few dozen systems the labels would overlap: names stay in the tooltips.
        if n > MAX_LABELLED && !system.is_transport() {
            continue;
        }
        let ring = if system.findings.worst.is_some() { 5.0 } else { 0.0 };
        let (tx, ty, anchor) = match node.side {
            1 => (node.x + r + ring + 6.0, node.y - 1.0, "start"),
            -1 => (node.x - r - ring - 6.0, node.y - 1.0, "end"),
            _ if node.y < cy && !system.is_transport() => {
                let lines = if system.findings.worst.is_some() { 2.0 } else { 1.0 };
                (node.x, node.y - r - ring - 6.0 - 14.0 * lines, "middle")
            }
            _ => (node.x, node.y + r + ring + 14.0, "middle"),
        };
        let name_fill = if system.retiring() { "#6b7280" } else { "#1f2937" };
        let _ = write!(
            out,
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\" text-anchor=\"{anchor}\" font-size=\"13\" font-weight=\"600\" fill=\"{name_fill}\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"4\" stroke-linejoin=\"round\">{}<tspan x=\"{tx:.1}\" dy=\"14\" font-size=\"11\" font-weight=\"400\" fill=\"#6b7280\">{}</tspan>",
            esc(&system.name),
            esc(&system.note())
        );
        if let (Some(marks), Some(fill)) = (system.findings.label(), severity_colour(system.findings.worst)) {
            let _ = write!(
                out,
                "<tspan x=\"{tx:.1}\" dy=\"14\" font-size=\"11\" font-weight=\"600\" fill=\"{fill}\" class=\"finding-mark\">{}</tspan>",
                esc(&marks)
            );
        }
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n");
    let hidden: Vec<String> = (0..view.nodes.len())
        .filter(|i| !shown(*i))
        .filter_map(|i| {
            let node = &view.nodes[i];
            node.findings.label().map(|marks| format!("{} ({}) {marks}", node.name, node.note()))
        })
        .collect();
    if !hidden.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"sub\">Findings on hubs and brokers, drawn in the wiring below: {}</p>",
            esc(&hidden.join("; "))
        );
    }
    legend(out, view, &shown);
}

/// `text` in lines of about `width` characters, broken after ", ".
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in text.split_inclusive(", ") {
        match lines.last_mut() {
            Some(line) if line.chars().count() + part.trim_end().chars().count() <= width => line.push_str(part),
            _ => lines.push(part.to_owned()),
        }
    }
    for line in &mut lines {
        line.truncate(line.trim_end().len());
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// The legend under a drawing: only what the drawing holds.
fn legend(out: &mut String, view: &View, shown: &dyn Fn(usize) -> bool) {
    let dot = |fill: &str, stroke: &str, dash: &str| {
        format!(
            "<svg width=\"30\" height=\"18\" aria-hidden=\"true\"><circle cx=\"15\" cy=\"9\" r=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"{dash}/></svg>"
        )
    };
    let ring = |stroke: &str| {
        format!(
            "<svg width=\"30\" height=\"18\" aria-hidden=\"true\"><circle cx=\"15\" cy=\"9\" r=\"4\" fill=\"#2563eb\"/><circle cx=\"15\" cy=\"9\" r=\"7.5\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2.5\"/></svg>"
        )
    };
    let line = |stroke: &str, width: f64, dash: &str| {
        format!(
            "<svg width=\"30\" height=\"18\" aria-hidden=\"true\"><line x1=\"2\" y1=\"9\" x2=\"28\" y2=\"9\" stroke=\"{stroke}\" stroke-width=\"{width}\"{dash}/></svg>"
        )
    };
    let mut items: Vec<(String, &str)> = Vec::new();
    let has_kind = |f: &dyn Fn(SystemKind) -> bool| view.nodes.iter().any(|n| f(n.kind));
    items.push((dot("#2563eb", "#2563eb", ""), "tool"));
    if has_kind(&|k| k.is_storage()) {
        items.push((dot("#059669", "#059669", ""), "warehouse or lake"));
    }
    if has_kind(&|k| k == SystemKind::Hub) {
        items.push((dot("#0891b2", "#0891b2", ""), "hub"));
    }
    if has_kind(&|k| k == SystemKind::Broker) {
        items.push((dot("#7c3aed", "#7c3aed", ""), "broker"));
    }
    let legend_items = view.legend();
    for item in &legend_items {
        match item {
            LegendItem::Planned => {
                items.push((dot("#fff", "#2563eb", " stroke-dasharray=\"3 2\""), "planned (from month N)"))
            }
            LegendItem::Retiring => {
                items.push((dot("#e5e7eb", RETIRING, " stroke-dasharray=\"1.5 2\""), "retiring (month shown)"))
            }
            _ => {}
        }
    }
    if view.edges.iter().any(|e| e.direct) {
        items.push((line(DIRECT, 2.0, ""), "direct, point-to-point"));
    }
    if has_kind(&|k| k == SystemKind::Hub) {
        items.push((line("#0891b2", 2.0, ""), "through a hub"));
    }
    if has_kind(&|k| k == SystemKind::Broker) {
        items.push((line("#7c3aed", 2.0, ""), "through a broker"));
    }
    if view.edges.iter().any(|e| e.dashed) {
        items.push((line(DIRECT, 2.0, " stroke-dasharray=\"7 4\""), "to or from a system not live now"));
    }
    for item in &legend_items {
        match item {
            LegendItem::Loop => items.push((line(ERROR, 3.2, ""), "flows in a sync loop")),
            LegendItem::PossibleLoop => {
                items.push((line(POSSIBLE, 2.4, " stroke-dasharray=\"2 3\""), "a loop only if a possible link holds"))
            }
            LegendItem::Error | LegendItem::Warning => {
                let (severity, colour, flow, system) = if *item == LegendItem::Error {
                    (Severity::Error, ERROR, "✖ error on a flow", "✖ error on a system")
                } else {
                    (Severity::Warning, WARNING, "⚠ warning on a flow", "⚠ warning on a system")
                };
                let mark = if severity == Severity::Error { Mark::Error } else { Mark::Warning };
                if view.edges.iter().any(|e| e.mark == mark || e.findings.worst == Some(severity)) {
                    items.push((line(colour, 2.4, ""), flow));
                }
                if (0..view.nodes.len()).any(|i| shown(i) && view.nodes[i].findings.worst == Some(severity)) {
                    items.push((ring(colour), system));
                }
            }
            _ => {}
        }
    }
    out.push_str("<ul class=\"legend\" aria-label=\"Legend\">\n<li class=\"legend-title\">Legend</li>\n");
    for (swatch, text) in items {
        let _ = writeln!(out, "<li>{swatch}{}</li>", esc(text));
    }
    let _ = writeln!(
        out,
        "<li>arrow labels list up to {} flows, then “and N more”; info findings are listed below, not drawn</li>\n</ul>",
        crate::render::graph::LABEL_FLOWS
    );
}
