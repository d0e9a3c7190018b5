//! `wireplan graph`: the system graph as Mermaid or Graphviz DOT, and the
//! drawing the HTML plan shares.
//!
//! `View::new` decides what is drawn (pure, from the checked spec); the
//! writers only print it. There are two views. The *logical* view (the
//! default) draws who feeds whom: one arrow from a flow's source system to
//! each of its targets, labelled with the flows and with "via X" when a hub
//! or broker carries them, so a spec routed through one broker still shows
//! its data paths rather than a star. The *physical* view draws how it is
//! wired: a routed flow runs in two legs, source to hub and hub to target.
//! Many flows between one pair make one arrow whose label lists a few and
//! says how many more. Systems are nodes, shaped by kind (hubs and brokers
//! as hexagons, warehouses and lakes as cylinders); planned systems are
//! dashed, retiring ones grey and dotted with the month they retire.
//! Findings are drawn where they belong (`Diagnostic::owner`): a flow's on
//! its arrows, a system's on its node, an event's on the arrows of the flows
//! it triggers (or its producer, when nothing consumes it), coloured by
//! severity and named; findings about the spec as a whole are not drawn.
//! Edges of flows in a loop of definite links (`sync-cycle`) are red;
//! edges of flows only on a loop that needs a possible link
//! (`possible-sync-cycle`) are purple and dotted, so that an assumed loop
//! never looks like a certain one. A legend says all this on the drawing.
//! Every name comes from users, so every label is escaped, and nodes get
//! generated ids (`s0`, `s1`, ...). Building the view is linear in the
//! graph (plus sorting each arrow's rule names).

use std::collections::{HashMap, HashSet};

use petgraph::visit::EdgeRef;
use std::fmt::Write;

use crate::diagnostic::{Diagnostic, Severity};
use crate::graph::Graph;
use crate::model::{FlowId, Owner, Spec, SystemKind, TriggerKind};

/// How many flow names an arrow's label lists before "and N more".
pub(crate) const LABEL_FLOWS: usize = 3;
/// How many rule names a mark lists before "and N more".
pub(crate) const LABEL_RULES: usize = 3;

/// Which picture to draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Who feeds whom: source to target, "via" the hub or broker.
    #[default]
    Logical,
    /// How it is wired: routed flows through their hub or broker.
    Physical,
}

/// What an edge is highlighted for, most serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mark {
    /// A flow on it is in a loop of definite links.
    Loop,
    /// A flow on it is only on loops that need a possible link.
    PossibleLoop,
    /// A flow on it has an error finding.
    Error,
    /// A flow on it has a warning.
    Warning,
    Plain,
}

/// The findings drawn on a node or an edge: the worst severity and the
/// rules, most serious first, then by name, each once. Info findings are
/// listed in the reports, not drawn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Findings {
    pub(crate) worst: Option<Severity>,
    pub(crate) rules: Vec<(Severity, &'static str)>,
}

impl Findings {
    fn add(&mut self, severity: Severity, rule: &'static str) {
        self.worst = Some(self.worst.map_or(severity, |w| w.min(severity)));
        self.rules.push((severity, rule));
    }

    fn merge(&mut self, other: &Findings) {
        if let Some(s) = other.worst {
            self.worst = Some(self.worst.map_or(s, |w| w.min(s)));
        }
        self.rules.extend_from_slice(&other.rules);
    }

    fn finish(&mut self) {
        self.rules.sort_unstable();
        self.rules.dedup_by_key(|(_, rule)| *rule);
    }

    /// "✖ sync-cycle, no-retry and 2 more", or `None` with nothing drawn.
    pub(crate) fn label(&self) -> Option<String> {
        let symbol = match self.worst? {
            Severity::Error => "✖",
            Severity::Warning => "⚠",
            Severity::Info => return None,
        };
        Some(format!("{symbol} {}", bounded(self.rules.iter().map(|(_, rule)| *rule), self.rules.len(), LABEL_RULES)))
    }
}

/// "a, b, c and 4 more": the first `shown` of `total` items.
pub(crate) fn bounded<'a>(items: impl Iterator<Item = &'a str>, total: usize, shown: usize) -> String {
    let mut out = items.take(shown).collect::<Vec<_>>().join(", ");
    if total > shown {
        let _ = write!(out, " and {} more", total - shown);
    }
    out
}

#[derive(Clone, Debug)]
pub(crate) struct NodeView {
    pub(crate) name: String,
    pub(crate) kind: SystemKind,
    /// `planned in-months=N` with N > 0: the month it joins.
    pub(crate) joins: Option<u32>,
    /// `retires in-months=N`: the month it stops counting.
    pub(crate) retires: Option<u32>,
    pub(crate) findings: Findings,
    /// Whether any edge of this view starts or ends here.
    pub(crate) connected: bool,
}

impl NodeView {
    /// Not live now: planned for a later month, or already retired.
    pub(crate) fn planned(&self) -> bool {
        self.joins.is_some() || self.retires == Some(0)
    }

    pub(crate) fn retiring(&self) -> bool {
        self.retires.is_some_and(|r| r > 0)
    }

    pub(crate) fn is_transport(&self) -> bool {
        matches!(self.kind, SystemKind::Hub | SystemKind::Broker)
    }

    /// "crm", "crm, from month 9", "crm, retires month 6".
    pub(crate) fn note(&self) -> String {
        let mut note = self.kind.as_str().to_owned();
        if let Some(m) = self.joins {
            let _ = write!(note, ", from month {m}");
        }
        match self.retires {
            Some(0) => note.push_str(", retired"),
            Some(m) => {
                let _ = write!(note, ", retires month {m}");
            }
            None => {}
        }
        note
    }
}

#[derive(Clone, Debug)]
pub(crate) struct EdgeView {
    pub(crate) from: usize,
    pub(crate) to: usize,
    /// Logical view: the hub or broker that carries these flows.
    pub(crate) via: Option<usize>,
    /// The flows drawn on this edge, in spec order, each once.
    pub(crate) flows: Vec<String>,
    pub(crate) mark: Mark,
    pub(crate) findings: Findings,
    /// A flow on it is wired directly, with no hub or broker.
    pub(crate) direct: bool,
    /// An end is not live now.
    pub(crate) dashed: bool,
}

impl EdgeView {
    /// The label's lines: the flows, "via X" in the logical view, then the
    /// findings if any.
    pub(crate) fn label_lines(&self, nodes: &[NodeView]) -> Vec<String> {
        let mut lines = vec![bounded(self.flows.iter().map(String::as_str), self.flows.len(), LABEL_FLOWS)];
        lines.extend(self.via.map(|v| format!("via {}", nodes[v].name)));
        lines.extend(self.findings.label());
        lines
    }
}

/// The drawing, independent of the output format.
#[derive(Clone, Debug)]
pub(crate) struct View {
    pub(crate) layout: Layout,
    pub(crate) nodes: Vec<NodeView>,
    pub(crate) edges: Vec<EdgeView>,
}

impl View {
    pub(crate) fn new(spec: &Spec, graph: &Graph, diagnostics: &[Diagnostic], layout: Layout) -> View {
        // Findings by owner; info and spec-wide findings are not drawn.
        let mut systems = vec![Findings::default(); spec.systems.len()];
        let mut flows = vec![Findings::default(); spec.flows.len()];
        let mut events = vec![Findings::default(); spec.events.len()];
        // A grouped finding (one for the handlers of a service) is drawn on
        // each flow it lists.
        let about_the_stack = |d: &&Diagnostic| d.spec_wide.is_some() && d.members.is_empty();
        for d in diagnostics.iter().filter(|d| d.severity != Severity::Info && !about_the_stack(d)) {
            for owner in d.owners() {
                match owner {
                    Owner::System(s) => systems[s.index()].add(d.severity, d.rule.name),
                    Owner::Flow(f) => flows[f.index()].add(d.severity, d.rule.name),
                    Owner::Event(e) => events[e.index()].add(d.severity, d.rule.name),
                }
            }
        }
        // An event's findings go to the flows it triggers, or to its
        // producer when nothing consumes it. Each list is made distinct
        // first, so what is copied is bounded by the number of rules.
        events.iter_mut().for_each(Findings::finish);
        let mut consumed = vec![false; spec.events.len()];
        for (i, flow) in spec.flows.iter().enumerate() {
            if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind)
                && let Some(e) = event.target
            {
                consumed[e.index()] = true;
                let found = events[e.index()].clone();
                flows[i].merge(&found);
            }
        }
        for (e, found) in events.iter().enumerate() {
            if !consumed[e]
                && let Some(producer) = spec.events[e].from.as_ref().and_then(|f| f.target)
            {
                systems[producer.index()].merge(found);
            }
        }

        flows.iter_mut().for_each(Findings::finish);
        let mut nodes: Vec<NodeView> = spec
            .systems
            .iter()
            .zip(systems)
            .map(|(s, mut findings)| {
                findings.finish();
                NodeView {
                    name: s.name.value.to_string(),
                    kind: s.kind(),
                    joins: s.planned_in_months.as_ref().map(|p| p.value).filter(|m| *m > 0),
                    retires: s.retires_in_months.as_ref().map(|r| r.value),
                    findings,
                    connected: false,
                }
            })
            .collect();
        let looping: HashSet<FlowId> = graph.cyclic_components().iter().flat_map(|c| c.flows.iter().copied()).collect();
        let maybe_looping: HashSet<FlowId> = graph
            .possible_components()
            .iter()
            .flat_map(|c| c.flows.iter().copied())
            .filter(|f| !looping.contains(f))
            .collect();

        // The system graph has one edge per resolved `to`, in flow then
        // target order, from the flow's source system. Edges are grouped by
        // (from, to, via), in the order they first appear.
        let mut edges: Vec<EdgeView> = Vec::new();
        let mut ids: Vec<Vec<FlowId>> = Vec::new();
        let mut index: HashMap<(usize, usize, Option<usize>), usize> = HashMap::new();
        let mut add = |from: usize, to: usize, via: Option<usize>, direct: bool, id: FlowId| {
            let i = *index.entry((from, to, via)).or_insert_with(|| {
                edges.push(EdgeView {
                    from,
                    to,
                    via,
                    flows: Vec::new(),
                    mark: Mark::Plain,
                    findings: Findings::default(),
                    direct: false,
                    dashed: false,
                });
                ids.push(Vec::new());
                edges.len() - 1
            });
            edges[i].direct |= direct;
            // A flow's edges come together, so a repeat is the last one.
            if ids[i].last() != Some(&id) {
                ids[i].push(id);
            }
        };
        for e in graph.systems.edge_references() {
            let id = e.weight().flow;
            let (source, to) = (graph.systems[e.source()].index(), graph.systems[e.target()].index());
            let hub = spec.flow(id).via.as_ref().and_then(|v| v.target).map(|v| v.index());
            match (hub, layout) {
                (Some(hub), Layout::Logical) if hub != to && hub != source => add(source, to, Some(hub), false, id),
                (Some(hub), Layout::Physical) if hub != to && hub != source => {
                    add(source, hub, None, false, id);
                    add(hub, to, None, false, id);
                }
                _ => add(source, to, None, hub.is_none(), id),
            }
        }
        for (edge, ids) in edges.iter_mut().zip(&ids) {
            for id in ids {
                edge.flows.push(spec.flow(*id).name.value.to_string());
                edge.findings.merge(&flows[id.index()]);
                let mark = if looping.contains(id) {
                    Mark::Loop
                } else if maybe_looping.contains(id) {
                    Mark::PossibleLoop
                } else {
                    match flows[id.index()].worst {
                        Some(Severity::Error) => Mark::Error,
                        Some(Severity::Warning) => Mark::Warning,
                        _ => Mark::Plain,
                    }
                };
                edge.mark = edge.mark.min(mark);
            }
            edge.findings.finish();
            edge.dashed = nodes[edge.from].planned() || nodes[edge.to].planned();
            nodes[edge.from].connected = true;
            nodes[edge.to].connected = true;
        }
        View { layout, nodes, edges }
    }

    /// What the legend explains, in the order it lists them: only what the
    /// drawing holds, so a small graph gets a small legend.
    pub(crate) fn legend(&self) -> Vec<LegendItem> {
        let mut items = vec![LegendItem::Arrow(self.layout)];
        let has = |f: &dyn Fn(&NodeView) -> bool| self.nodes.iter().any(f);
        if has(&|n| n.is_transport()) {
            items.push(LegendItem::Transport);
        }
        if has(&|n| n.kind.is_storage()) {
            items.push(LegendItem::Storage);
        }
        if has(&|n| n.planned()) {
            items.push(LegendItem::Planned);
        }
        if has(&|n| n.retiring()) {
            items.push(LegendItem::Retiring);
        }
        for (mark, item) in [
            (Mark::Loop, LegendItem::Loop),
            (Mark::PossibleLoop, LegendItem::PossibleLoop),
            (Mark::Error, LegendItem::Error),
            (Mark::Warning, LegendItem::Warning),
        ] {
            let severity = match mark {
                Mark::Error => Some(Severity::Error),
                Mark::Warning => Some(Severity::Warning),
                _ => None,
            };
            let marked = |f: &Findings| severity.is_some() && f.worst == severity;
            if self.edges.iter().any(|e| e.mark == mark || marked(&e.findings)) || has(&|n| marked(&n.findings)) {
                items.push(item);
            }
        }
        items
    }
}

/// One line of a legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LegendItem {
    Arrow(Layout),
    Transport,
    Storage,
    Planned,
    Retiring,
    Loop,
    PossibleLoop,
    Error,
    Warning,
}

impl LegendItem {
    pub(crate) fn text(self) -> &'static str {
        match self {
            LegendItem::Arrow(Layout::Logical) => {
                "arrow: data from source to target, labelled with its flows; via X: carried by hub or broker X"
            }
            LegendItem::Arrow(Layout::Physical) => "arrow: a connection as wired, labelled with the flows it carries",
            LegendItem::Transport => "hexagon: hub or broker",
            LegendItem::Storage => "cylinder: warehouse or lake",
            LegendItem::Planned => "dashed: planned, not live yet",
            LegendItem::Retiring => "grey, dotted: retiring (month shown)",
            LegendItem::Loop => "red, thick: flows in a sync loop (sync-cycle)",
            LegendItem::PossibleLoop => "purple, dotted: a loop only if a possible link holds",
            LegendItem::Error => "red, ✖ rules: an error finding on that flow or system",
            LegendItem::Warning => "orange, ⚠ rules: a warning on that flow or system",
        }
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

/// Lines of Mermaid text, each escaped, joined by the line breaks Mermaid draws.
fn mermaid_lines(lines: &[String]) -> String {
    lines.iter().map(|l| mermaid_text(l)).collect::<Vec<_>>().join("<br>")
}

fn mermaid_shape(kind: SystemKind, label: &str) -> String {
    match kind {
        SystemKind::Hub | SystemKind::Broker => format!("{{{{\"{label}\"}}}}"),
        SystemKind::Warehouse | SystemKind::Lake => format!("[(\"{label}\")]"),
        _ => format!("[\"{label}\"]"),
    }
}

/// A node's label lines: "name (kind, retires month 6)", then its findings.
fn node_lines(node: &NodeView) -> Vec<String> {
    let mut lines = vec![format!("{} ({})", node.name, node.note())];
    lines.extend(node.findings.label());
    lines
}

fn layout_comment(layout: Layout) -> &'static str {
    match layout {
        Layout::Logical => "logical view: who feeds whom; `wireplan graph --view physical` draws the wiring",
        Layout::Physical => "physical view: the wiring; `wireplan graph --view logical` draws who feeds whom",
    }
}

/// A Mermaid class: its name, its style, and which nodes it applies to.
type MermaidClass<'a> = (&'a str, &'a str, &'a dyn Fn(&NodeView) -> bool);

pub(crate) fn mermaid(view: &View) -> String {
    let mut out = String::from("flowchart LR\n");
    let _ = writeln!(out, "    %% wireplan graph, {}", layout_comment(view.layout));
    for (i, node) in view.nodes.iter().enumerate() {
        let _ = writeln!(out, "    s{i}{}", mermaid_shape(node.kind, &mermaid_lines(&node_lines(node))));
    }
    for edge in &view.edges {
        let arrow = if edge.dashed { "-.->" } else { "-->" };
        let label = mermaid_lines(&edge.label_lines(&view.nodes));
        let _ = writeln!(out, "    s{} {arrow}|\"{label}\"| s{}", edge.from, edge.to);
    }
    let legend = view.legend();
    out.push_str("    subgraph legend [\"Legend\"]\n        direction TB\n");
    let mut legend_classes: Vec<(usize, &str)> = Vec::new();
    for (i, item) in legend.iter().enumerate() {
        let text = mermaid_text(item.text());
        let shape = match item {
            LegendItem::Transport => mermaid_shape(SystemKind::Hub, &text),
            LegendItem::Storage => mermaid_shape(SystemKind::Warehouse, &text),
            _ => mermaid_shape(SystemKind::Custom, &text),
        };
        let _ = writeln!(out, "        legend{i}{shape}");
        let class = match item {
            LegendItem::Transport => "hub",
            LegendItem::Planned => "planned",
            LegendItem::Retiring => "retiring",
            LegendItem::Loop | LegendItem::Error => "error",
            LegendItem::PossibleLoop => "possible",
            LegendItem::Warning => "warning",
            _ => "legend",
        };
        legend_classes.push((i, class));
    }
    out.push_str("    end\n");
    // Each class is defined only when a node uses it.
    let classes: [MermaidClass; 7] = [
        ("hub", "fill:#eef,stroke:#447", &|n| n.is_transport()),
        ("planned", "stroke-dasharray: 5 5", &|n| n.planned()),
        ("retiring", "fill:#eee,stroke:#888,color:#666,stroke-dasharray: 2 2", &|n| n.retiring()),
        ("error", "stroke:#d00,stroke-width:3px", &|n| n.findings.worst == Some(Severity::Error)),
        ("warning", "stroke:#e80,stroke-width:3px", &|n| n.findings.worst == Some(Severity::Warning)),
        ("possible", "stroke:#90c,stroke-width:2px,stroke-dasharray: 3 3", &|_| false),
        ("legend", "fill:#fff,stroke:#bbb", &|_| false),
    ];
    for (class, style, has) in classes {
        let mut members: Vec<String> =
            view.nodes.iter().enumerate().filter(|(_, n)| has(n)).map(|(i, _)| format!("s{i}")).collect();
        members.extend(legend_classes.iter().filter(|(_, c)| *c == class).map(|(i, _)| format!("legend{i}")));
        if !members.is_empty() {
            let _ = writeln!(out, "    classDef {class} {style}\n    class {} {class}", members.join(","));
        }
    }
    for (mark, style) in [
        (Mark::Loop, "stroke:#d00,stroke-width:3px"),
        (Mark::PossibleLoop, "stroke:#90c,stroke-width:2px,stroke-dasharray:3 3"),
        (Mark::Error, "stroke:#d00,stroke-width:2px"),
        (Mark::Warning, "stroke:#e80,stroke-width:2px"),
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

/// Lines of DOT text, each escaped, joined by DOT's own line breaks.
fn dot_lines(lines: &[String]) -> String {
    lines.iter().map(|l| dot_text(l)).collect::<Vec<_>>().join("\\n")
}

/// DOT attributes for a node's shape and state.
fn dot_node_attrs(kind: SystemKind, planned: bool, retiring: bool, worst: Option<Severity>) -> Vec<&'static str> {
    let mut attrs = Vec::new();
    match kind {
        SystemKind::Hub | SystemKind::Broker => attrs.push("shape=hexagon"),
        SystemKind::Warehouse | SystemKind::Lake => attrs.push("shape=cylinder"),
        _ => {}
    }
    if planned {
        attrs.push("style=dashed");
    } else if retiring {
        attrs.push("style=\"dotted,filled\", fillcolor=gray92, fontcolor=gray35");
    }
    match worst {
        Some(Severity::Error) => attrs.push("color=red, penwidth=2"),
        Some(Severity::Warning) => attrs.push("color=darkorange, penwidth=2"),
        _ if retiring => attrs.push("color=gray50"),
        _ => {}
    }
    attrs
}

pub(crate) fn dot(view: &View) -> String {
    let mut out = String::from("digraph wireplan {\n");
    let _ = writeln!(out, "    // wireplan graph, {}", layout_comment(view.layout));
    out.push_str("    rankdir=LR;\n    node [shape=box];\n");
    for (i, node) in view.nodes.iter().enumerate() {
        let lines =
            [vec![node.name.clone(), format!("({})", node.note())], node.findings.label().into_iter().collect()]
                .concat();
        let mut attrs = vec![format!("label=\"{}\"", dot_lines(&lines))];
        attrs.extend(
            dot_node_attrs(node.kind, node.planned(), node.retiring(), node.findings.worst)
                .into_iter()
                .map(String::from),
        );
        let _ = writeln!(out, "    s{i} [{}];", attrs.join(", "));
    }
    for edge in &view.edges {
        let mut attrs = vec![format!("label=\"{}\"", dot_lines(&edge.label_lines(&view.nodes)))];
        match edge.mark {
            Mark::Loop => attrs.push("color=red, fontcolor=red, penwidth=2".into()),
            Mark::PossibleLoop => attrs.push("color=purple, fontcolor=purple".into()),
            Mark::Error => attrs.push("color=red, fontcolor=red".into()),
            Mark::Warning => attrs.push("color=darkorange, fontcolor=darkorange".into()),
            Mark::Plain => {}
        }
        if edge.dashed {
            attrs.push("style=dashed".into());
        } else if edge.mark == Mark::PossibleLoop {
            attrs.push("style=dotted".into());
        }
        let _ = writeln!(out, "    s{} -> s{} [{}];", edge.from, edge.to, attrs.join(", "));
    }
    out.push_str(
        "    subgraph cluster_legend {\n        label=\"Legend\";\n        style=rounded;\n        color=gray60;\n        \
         node [fontsize=10];\n",
    );
    for (i, item) in view.legend().iter().enumerate() {
        let (kind, planned, retiring, worst) = match item {
            LegendItem::Transport => (SystemKind::Hub, false, false, None),
            LegendItem::Storage => (SystemKind::Warehouse, false, false, None),
            LegendItem::Planned => (SystemKind::Custom, true, false, None),
            LegendItem::Retiring => (SystemKind::Custom, false, true, None),
            LegendItem::Loop | LegendItem::Error => (SystemKind::Custom, false, false, Some(Severity::Error)),
            LegendItem::Warning => (SystemKind::Custom, false, false, Some(Severity::Warning)),
            _ => (SystemKind::Custom, false, false, None),
        };
        let mut attrs = vec![format!("label=\"{}\"", dot_text(item.text()))];
        attrs.extend(dot_node_attrs(kind, planned, retiring, worst).into_iter().map(String::from));
        if *item == LegendItem::PossibleLoop {
            attrs.push("color=purple, style=dotted".into());
        }
        let _ = writeln!(out, "        legend{i} [{}];", attrs.join(", "));
    }
    out.push_str("    }\n}\n");
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

    #[test]
    fn labels_are_bounded() {
        let names = ["a", "b", "c", "d", "e"];
        assert_eq!(bounded(names.iter().copied(), 5, 3), "a, b, c and 2 more");
        assert_eq!(bounded(names.iter().copied().take(2), 2, 3), "a, b");
        let mut found = Findings::default();
        found.add(Severity::Warning, "no-retry");
        found.add(Severity::Error, "sync-cycle");
        found.add(Severity::Warning, "no-retry");
        found.add(Severity::Warning, "no-logging");
        found.add(Severity::Warning, "dead-letter");
        found.finish();
        assert_eq!(found.label().unwrap(), "✖ sync-cycle, dead-letter, no-logging and 1 more");
        assert_eq!(Findings::default().label(), None);
    }
}
