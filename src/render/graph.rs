//! `wireplan graph`: the system graph as Mermaid or Graphviz DOT.
//!
//! `View::new` decides what is drawn (pure, from the checked spec); the two
//! writers only print it. Systems are nodes, shaped by kind (hubs and
//! brokers as hexagons, warehouses and lakes as cylinders); systems that are
//! not live now are dashed. Flows are labelled edges; a flow via a hub or
//! broker is drawn through it. Edges of flows in a loop of definite links
//! (`sync-cycle`) are red; edges of flows only on a loop that needs a
//! possible link (`possible-sync-cycle`) are purple and dotted, so that an
//! assumed loop never looks like a certain one; edges of flows with another
//! finding are orange. Every name comes from users, so
//! every label is escaped, and nodes get generated ids (`s0`, `s1`, ...).

use std::collections::HashSet;

use petgraph::visit::EdgeRef;
use std::fmt::Write;

use crate::diagnostic::{Diagnostic, Severity};
use crate::graph::Graph;
use crate::lint::Category;
use crate::model::{FlowId, Owner, Spec, SystemKind};

/// What an edge is highlighted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    Plain,
    /// The flow is in a loop of definite links.
    Loop,
    /// The flow is only on loops that need a possible link.
    PossibleLoop,
    /// The flow has another topology finding.
    Finding,
}

#[derive(Clone, Debug)]
pub(crate) struct NodeView {
    pub(crate) name: String,
    pub(crate) kind: SystemKind,
    /// Not live now: planned for a later month, or retired.
    pub(crate) planned: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct EdgeView {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) label: String,
    pub(crate) mark: Mark,
    pub(crate) dashed: bool,
}

/// The drawing, independent of the output format.
#[derive(Clone, Debug)]
pub(crate) struct View {
    pub(crate) nodes: Vec<NodeView>,
    pub(crate) edges: Vec<EdgeView>,
}

impl View {
    pub(crate) fn new(spec: &Spec, graph: &Graph, diagnostics: &[Diagnostic]) -> View {
        let nodes: Vec<NodeView> = spec
            .systems
            .iter()
            .map(|s| NodeView { name: s.name.value.to_string(), kind: s.kind(), planned: !s.live_in(0) })
            .collect();
        let looping: HashSet<FlowId> = graph.cyclic_components().iter().flat_map(|c| c.flows.iter().copied()).collect();
        let maybe_looping: HashSet<FlowId> = graph
            .possible_components()
            .iter()
            .flat_map(|c| c.flows.iter().copied())
            .filter(|f| !looping.contains(f))
            .collect();
        let flagged: HashSet<FlowId> = diagnostics
            .iter()
            .filter(|d| d.rule.category == Category::Topology && d.severity != Severity::Info)
            .flat_map(Diagnostic::owners)
            .filter_map(|owner| match owner {
                Owner::Flow(f) => Some(f),
                _ => None,
            })
            .collect();
        // The system graph has one edge per resolved `to`, in flow then
        // target order, from the flow's source system: what is drawn.
        let mut edges = Vec::new();
        let mut hub_leg_drawn: HashSet<FlowId> = HashSet::new();
        for e in graph.systems.edge_references() {
            let id = e.weight().flow;
            let flow = spec.flow(id);
            let (source, to) = (graph.systems[e.source()].index(), graph.systems[e.target()].index());
            let mark = if looping.contains(&id) {
                Mark::Loop
            } else if maybe_looping.contains(&id) {
                Mark::PossibleLoop
            } else if flagged.contains(&id) {
                Mark::Finding
            } else {
                Mark::Plain
            };
            let label = flow.name.value.to_string();
            let dashed = |a: usize, b: usize| nodes[a].planned || nodes[b].planned;
            match flow.via.as_ref().and_then(|v| v.target).map(|v| v.index()) {
                Some(hub) if hub != to && hub != source => {
                    if hub_leg_drawn.insert(id) {
                        edges.push(EdgeView {
                            from: source,
                            to: hub,
                            label: label.clone(),
                            mark,
                            dashed: dashed(source, hub),
                        });
                    }
                    edges.push(EdgeView { from: hub, to, label, mark, dashed: dashed(hub, to) });
                }
                _ => edges.push(EdgeView { from: source, to, label, mark, dashed: dashed(source, to) }),
            }
        }
        View { nodes, edges }
    }
}

/// Mermaid text: a quoted label with every character that could end or
/// alter it written as an entity code (`#34;`).
fn mermaid_text(s: &str) -> String {
    // Hidden characters are shown escaped first (an entity code would still
    // draw them), then the escape's own `\{}` become entity codes.
    let s = crate::escape::one_line(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | ':' | '/' | '@' | ',' | '(' | ')') {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

fn mermaid_shape(kind: SystemKind, label: &str) -> String {
    match kind {
        SystemKind::Hub | SystemKind::Broker => format!("{{{{\"{label}\"}}}}"),
        SystemKind::Warehouse | SystemKind::Lake => format!("[(\"{label}\")]"),
        _ => format!("[\"{label}\"]"),
    }
}

pub(crate) fn mermaid(view: &View) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, node) in view.nodes.iter().enumerate() {
        let label = mermaid_text(&format!("{} ({})", node.name, node.kind));
        let _ = writeln!(out, "    s{i}{}", mermaid_shape(node.kind, &label));
    }
    for edge in &view.edges {
        let arrow = if edge.dashed { "-.->" } else { "-->" };
        let _ = writeln!(out, "    s{} {arrow}|\"{}\"| s{}", edge.from, mermaid_text(&edge.label), edge.to);
    }
    out.push_str("    classDef hub fill:#eef,stroke:#447\n    classDef planned stroke-dasharray: 5 5\n");
    let hubs: Vec<String> = view
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.kind, SystemKind::Hub | SystemKind::Broker))
        .map(|(i, _)| format!("s{i}"))
        .collect();
    if !hubs.is_empty() {
        let _ = writeln!(out, "    class {} hub", hubs.join(","));
    }
    let planned: Vec<String> =
        view.nodes.iter().enumerate().filter(|(_, n)| n.planned).map(|(i, _)| format!("s{i}")).collect();
    if !planned.is_empty() {
        let _ = writeln!(out, "    class {} planned", planned.join(","));
    }
    for (mark, style) in [
        (Mark::Loop, "stroke:#d00,stroke-width:3px"),
        (Mark::PossibleLoop, "stroke:#90c,stroke-width:2px,stroke-dasharray:3 3"),
        (Mark::Finding, "stroke:#e80,stroke-width:2px"),
    ] {
        let indices: Vec<String> =
            view.edges.iter().enumerate().filter(|(_, e)| e.mark == mark).map(|(i, _)| i.to_string()).collect();
        if !indices.is_empty() {
            let _ = writeln!(out, "    linkStyle {} {style}", indices.join(","));
        }
    }
    out
}

/// A DOT double-quoted string's contents.
fn dot_text(s: &str) -> String {
    // Hidden characters, line breaks included, are shown escaped, as
    // everywhere else; the escape's backslash is then escaped for DOT.
    let s = crate::escape::one_line(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn dot(view: &View) -> String {
    let mut out = String::from("digraph wireplan {\n    rankdir=LR;\n    node [shape=box];\n");
    for (i, node) in view.nodes.iter().enumerate() {
        let mut attrs = vec![format!("label=\"{}\\n({})\"", dot_text(&node.name), node.kind)];
        match node.kind {
            SystemKind::Hub | SystemKind::Broker => attrs.push("shape=hexagon".into()),
            SystemKind::Warehouse | SystemKind::Lake => attrs.push("shape=cylinder".into()),
            _ => {}
        }
        if node.planned {
            attrs.push("style=dashed".into());
        }
        let _ = writeln!(out, "    s{i} [{}];", attrs.join(", "));
    }
    for edge in &view.edges {
        let mut attrs = vec![format!("label=\"{}\"", dot_text(&edge.label))];
        match edge.mark {
            Mark::Loop => attrs.push("color=red, fontcolor=red, penwidth=2".into()),
            Mark::PossibleLoop => attrs.push("color=purple, fontcolor=purple".into()),
            Mark::Finding => attrs.push("color=orange".into()),
            Mark::Plain => {}
        }
        if edge.dashed {
            attrs.push("style=dashed".into());
        } else if edge.mark == Mark::PossibleLoop {
            attrs.push("style=dotted".into());
        }
        let _ = writeln!(out, "    s{} -> s{} [{}];", edge.from, edge.to, attrs.join(", "));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(mermaid_text(r#"a "b" |c| <d> #e;"#), "a #34;b#34; #124;c#124; #60;d#62; #35;e#59;");
        assert_eq!(dot_text("a \"b\" \\ c\nd"), "a \\\"b\\\" \\\\ c\\\\nd");
        assert_eq!(mermaid_text("a\u{2028}b"), "a#92;u#123;2028#125;b");
        assert_eq!(dot_text("a\u{feff}b"), "a\\\\u{feff}b");
    }
}
