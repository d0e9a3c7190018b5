//! `non-idempotent-path`: at-least-once delivery into a write that makes a
//! new record each time, without an idempotency key.
//!
//! A duplicate does not stay put: the duplicated record's own events start
//! further flows, and every one of them that creates, sends or appends makes
//! another duplicate. The check reports one finding per *origin* (an
//! offending flow that no other offending flow's duplicates reach) and
//! attributes every downstream duplicate to its nearest origin.
//!
//! It is two linear traversals of the trigger graph. Duplicates spread only
//! out of non-idempotent targets and only into flows that write
//! non-idempotently themselves. The first traversal, from every offending
//! flow at once, marks what is downstream of some offending flow; offending
//! flows left unmarked are origins. The second, a multi-source BFS from the
//! origins, records for each reached node its parent, so one example path
//! per origin can be read back. Offending flows that reach each other only
//! in a loop (so none is unmarked) get the first of them as origin.

use std::collections::VecDeque;

use super::util::plural;
use super::{Context, declare_rule};
use crate::diagnostic::Diagnostic;
use crate::graph::{Graph, TriggerNode};
use crate::model::{Delivery, EventId, Flow, FlowId, Owner, Spec, SystemKind, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow whose delivery is at least once (it has `retry`, polls, or runs
    /// via a broker) writing with `create`, `send` or `append`, and no
    /// `idempotency-key`. When the duplicate record's own events start more
    /// flows that create, send or append, the finding shows one path of
    /// such writes and counts the others. A flow reported as downstream of
    /// another is not reported again.
    ///
    /// ## Why it matters
    ///
    /// At-least-once means "sometimes twice". A retried `create` makes two
    /// contacts, two invoices, two welcome emails; and each duplicate sets
    /// off everything downstream of it once more.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "billing" kind=accounting
    /// event "order.paid" from=shop version=1 {
    ///     key "order_id"
    /// }
    /// flow "invoice-orders" {
    ///     on "order.paid"
    ///     to billing action=create entity=invoice
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "billing" kind=accounting
    /// event "order.paid" from=shop version=1 {
    ///     key "order_id"
    /// }
    /// flow "invoice-orders" {
    ///     on "order.paid"
    ///     to billing action=create entity=invoice
    ///     idempotency-key "order_id"
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static NON_IDEMPOTENT_PATH = {
        name: "non-idempotent-path",
        code: "WP102",
        severity: Warning,
        category: Topology,
        summary: "at-least-once delivery into `create`/`send`/`append` without an idempotency key",
        check: Some(check),
    }
}

/// The index of the first target that makes a new record each time.
fn first_creating_target(flow: &Flow) -> Option<usize> {
    flow.targets.iter().position(|t| t.action.as_ref().is_some_and(|a| !a.value.is_idempotent()))
}

fn offends(spec: &Spec, flow: &Flow) -> bool {
    flow.idempotency_key.is_none()
        && flow.delivery(spec) == Delivery::AtLeastOnce
        && first_creating_target(flow).is_some()
}

/// The nodes a flow's duplicates go to: the trigger nodes of its
/// non-idempotent targets.
fn spread<'g>(spec: &'g Spec, graph: &'g Graph, flow: FlowId) -> impl Iterator<Item = u32> + 'g {
    let f = spec.flow(flow);
    f.targets.iter().enumerate().filter_map(move |(t, target)| {
        let creates = target.action.as_ref().is_some_and(|a| !a.value.is_idempotent());
        if creates { graph.target_nodes(flow).get(t).copied().flatten() } else { None }
    })
}

/// Where a node's duplicates go next, in the duplicate-spreading graph.
fn next<'g>(spec: &'g Spec, graph: &'g Graph, node: u32) -> Box<dyn Iterator<Item = u32> + 'g> {
    match graph.nodes.get(node as usize) {
        Some(TriggerNode::Flow(f)) => Box::new(spread(spec, graph, *f)),
        Some(_) => {
            Box::new(graph.successors(node).iter().copied().filter(move |&n| match graph.nodes.get(n as usize) {
                Some(TriggerNode::Flow(f)) => first_creating_target(spec.flow(*f)).is_some(),
                _ => true,
            }))
        }
        None => Box::new(std::iter::empty()),
    }
}

/// Each origin with the flows its duplicates reach: `(origin, reached)`
/// where `reached` lists `(flow, depth)` in BFS order; and the parent of
/// every visited node.
pub(crate) struct Attribution {
    pub(crate) origins: Vec<FlowId>,
    /// Per node: its parent on the BFS tree, or `u32::MAX`.
    pub(crate) parent: Vec<u32>,
    /// Per node: the origin whose wave reached it first, or `u32::MAX`.
    pub(crate) origin_of: Vec<u32>,
    pub(crate) depth: Vec<u32>,
}

pub(crate) fn attribute(spec: &Spec, graph: &Graph) -> Attribution {
    let n = graph.nodes.len();
    let offending: Vec<FlowId> = spec.flow_ids().filter(|&f| offends(spec, spec.flow(f))).collect();
    // Pass 1: what is downstream of any offending flow.
    let mut downstream = vec![false; n];
    let mut seen = vec![false; n];
    let mut queue: VecDeque<u32> = offending.iter().map(|f| Graph::flow_node(*f)).collect();
    for &q in &queue {
        seen[q as usize] = true;
    }
    while let Some(node) = queue.pop_front() {
        for m in next(spec, graph, node) {
            downstream[m as usize] = true;
            if !seen[m as usize] {
                seen[m as usize] = true;
                queue.push_back(m);
            }
        }
    }
    // Pass 2: BFS from the origins, nearest origin first.
    let mut parent = vec![u32::MAX; n];
    let mut origin_of = vec![u32::MAX; n];
    let mut depth = vec![0u32; n];
    let mut origins: Vec<FlowId> =
        offending.iter().copied().filter(|f| !downstream[Graph::flow_node(*f) as usize]).collect();
    let bfs = |seeds: &[FlowId], parent: &mut Vec<u32>, origin_of: &mut Vec<u32>, depth: &mut Vec<u32>| {
        let mut queue = VecDeque::new();
        for f in seeds {
            let node = Graph::flow_node(*f);
            origin_of[node as usize] = f.0;
            queue.push_back(node);
        }
        while let Some(node) = queue.pop_front() {
            for m in next(spec, graph, node) {
                if origin_of[m as usize] == u32::MAX {
                    origin_of[m as usize] = origin_of[node as usize];
                    parent[m as usize] = node;
                    let step = u32::from(matches!(graph.nodes.get(m as usize), Some(TriggerNode::Flow(_))));
                    depth[m as usize] = depth[node as usize] + step;
                    queue.push_back(m);
                }
            }
        }
    };
    bfs(&origins, &mut parent, &mut origin_of, &mut depth);
    // Offending flows that only reach each other in loops.
    for f in &offending {
        if origin_of[Graph::flow_node(*f) as usize] == u32::MAX {
            origins.push(*f);
            bfs(&[*f], &mut parent, &mut origin_of, &mut depth);
        }
    }
    origins.sort_unstable();
    Attribution { origins, parent, origin_of, depth }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (spec, graph) = (ctx.spec, ctx.graph);
    let a = attribute(spec, graph);
    // Per origin: how many downstream duplicate writers, and the deepest.
    let mut count = vec![0usize; spec.flows.len()];
    let mut deepest: Vec<Option<FlowId>> = vec![None; spec.flows.len()];
    for f in spec.flow_ids() {
        let node = Graph::flow_node(f) as usize;
        let origin = a.origin_of[node];
        if origin == u32::MAX || origin == f.0 {
            continue;
        }
        let o = origin as usize;
        count[o] += 1;
        if deepest[o].is_none_or(|d| a.depth[node] > a.depth[Graph::flow_node(d) as usize]) {
            deepest[o] = Some(f);
        }
    }
    for &origin in &a.origins {
        out.push(diagnostic(spec, graph, &a, origin, count[origin.index()], deepest[origin.index()]));
    }
}

/// The flows from the origin to `last`, each with the event that started it.
fn path_to(graph: &Graph, a: &Attribution, last: FlowId) -> Vec<(FlowId, Option<EventId>)> {
    let mut nodes = vec![Graph::flow_node(last)];
    let mut at = Graph::flow_node(last);
    while a.parent[at as usize] != u32::MAX && nodes.len() <= graph.nodes.len() {
        at = a.parent[at as usize];
        nodes.push(at);
    }
    nodes.reverse();
    let mut hops = Vec::new();
    let mut event = None;
    for n in nodes {
        match graph.nodes.get(n as usize) {
            Some(TriggerNode::Flow(f)) => hops.push((*f, event.take())),
            Some(TriggerNode::Event(e)) => event = Some(*e),
            _ => {}
        }
    }
    hops
}

fn diagnostic(
    spec: &Spec,
    graph: &Graph,
    a: &Attribution,
    origin: FlowId,
    downstream: usize,
    deepest: Option<FlowId>,
) -> Diagnostic {
    let flow = spec.flow(origin);
    let t = first_creating_target(flow).unwrap_or(0);
    let target = &flow.targets[t];
    let action = target.action.as_ref().map_or("create", |a| a.value.as_str());
    let system = &target.system.name.value;
    let mut message = format!(
        "flow `{}` delivers at least once into `{action}` on `{system}` without an idempotency key",
        flow.name.value
    );
    let primary = target.action.as_ref().map_or(target.loc, |a| a.loc);
    let mut d = Diagnostic::new(&NON_IDEMPOTENT_PATH, primary, message.clone())
        .with_label(format!("a repeated delivery makes a second record in `{system}`"))
        .with_owner(Owner::Flow(origin));
    if let Some((loc, why)) = cause(spec, flow) {
        d = d.with_secondary(loc, why);
    }
    if let Some(last) = deepest {
        let hops = path_to(graph, a, last);
        let mut path = flow.name.value.to_string();
        for (f, event) in hops.iter().skip(1) {
            let via = event.map_or("poll".to_owned(), |e| spec.event(e).name.value.to_string());
            path.push_str(&format!(" --{via}--> {}", spec.flow(*f).name.value));
            let g = spec.flow(*f);
            if let Some(gt) = first_creating_target(g) {
                let what = g.targets[gt].action.as_ref().map_or("create", |a| a.value.as_str());
                d = d.with_secondary(
                    g.name.loc,
                    format!(
                        "duplicates reach this flow, which does `{what}` on `{}` again",
                        g.targets[gt].system.name.value
                    ),
                );
            }
        }
        let others = downstream.saturating_sub(hops.len().saturating_sub(1));
        message.push_str(&format!(
            "; each duplicate sets off {} downstream: {path}",
            plural(downstream, "more non-idempotent write")
        ));
        if others > 0 {
            message.push_str(&format!(" (and {} not shown)", plural(others, "other")));
        }
        d.message = message;
    }
    d.with_help(help(spec, flow))
}

/// Why the flow may deliver twice, at the place that says so.
fn cause(spec: &Spec, flow: &Flow) -> Option<(crate::model::Loc, String)> {
    if let Some(retry) = &flow.retry {
        return Some((retry.loc, "retried: a timeout after a successful write delivers it again".into()));
    }
    if let Some(t) = flow.trigger.as_ref().filter(|t| matches!(t.kind, TriggerKind::Poll { .. })) {
        return Some((t.loc, "polling reads overlapping records again".into()));
    }
    let via = flow.via.as_ref()?;
    let broker = via.target.is_some_and(|s| spec.system(s).kind() == SystemKind::Broker);
    broker.then(|| (via.name.loc, "the broker redelivers until it gets an acknowledgement".into()))
}

fn help(spec: &Spec, flow: &Flow) -> String {
    let key = match flow.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::On { event }) => {
            event.target.and_then(|e| spec.event(e).key.as_ref()).map(|k| k.name.value.to_string())
        }
        _ => None,
    };
    match key {
        Some(key) => format!("add `idempotency-key \"{key}\"` (the event's key), or write with `upsert`"),
        None => "add `idempotency-key FIELD` naming a field that identifies the record, or write with `upsert`".into(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lint::{test_check, test_spec};

    /// `o1` duplicates contacts; their events feed `d1` (creates deals),
    /// whose events feed `d2` (sends mail). `o2` is a separate origin;
    /// `up` only updates, so duplicates stop there.
    const CHAIN: &str = r#"
        system "a" kind=crm
        system "b" kind=crm
        system "c" kind=email
        system "d" kind=warehouse
        system "e" kind=erp
        event "in" from=a version=1 { key "id"; field "id" type=string }
        event "b.contact" from=b entity=contact version=1
        event "b.deal" from=b entity=deal version=1
        flow "o1" { on "in"; to b action=create entity=contact; retry }
        flow "d1" { on "b.contact"; to b action=create entity=deal; retry }
        flow "d2" { on "b.deal"; to c action=send }
        flow "up" { on "b.contact"; to c action=update }
        flow "o2" { poll e every="5m"; to d action=append }
    "#;

    #[test]
    fn origins_get_the_downstream_and_the_rest_are_quiet() {
        let spec = test_spec(CHAIN);
        let a = attribute(&spec, &Graph::build(&spec));
        assert_eq!(a.origins, vec![FlowId(0), FlowId(4)]);
        let found = test_check(&NON_IDEMPOTENT_PATH, CHAIN);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].message.ends_with(
                "each duplicate sets off 2 more non-idempotent writes downstream: o1 --b.contact--> d1 --b.deal--> d2"
            ),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].help.as_deref(),
            Some("add `idempotency-key \"id\"` (the event's key), or write with `upsert`")
        );
        // `d1` offends too but is downstream of `o1`: no finding of its own.
        assert!(found.iter().all(|d| d.owner != Some(Owner::Flow(FlowId(1)))));
    }

    #[test]
    fn offending_flows_in_a_loop_still_get_one_origin() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a version=1
            event "b.e" from=b version=1
            flow "x" { on "a.e"; to b action=create; retry }
            flow "y" { on "b.e"; to a action=create; retry }
        "#;
        let found = test_check(&NON_IDEMPOTENT_PATH, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].owner, Some(Owner::Flow(FlowId(0))));
        assert!(
            found[0].message.contains("sets off 1 more non-idempotent write downstream: x --b.e--> y"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn idempotent_or_at_most_once_flows_are_fine() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a version=1 { key "id" }
            flow "keyed" { on "a.e"; to b action=create; retry; idempotency-key "id" }
            flow "upsert" { on "a.e"; to b action=upsert; retry }
            flow "once" { on "a.e"; to b action=create }
        "#;
        assert!(test_check(&NON_IDEMPOTENT_PATH, text).is_empty());
    }
}
