//! The topology of a resolved spec, built once and shared by the checks, the
//! planner and `wireplan graph`.
//!
//! Two graphs live here. The *system graph* has one node per system and one
//! edge per `to` of each flow, from the flow's source system (and from each
//! other `producer` of its event, language 1.2) to the target system: it is
//! what users draw on a whiteboard. The *trigger graph* says
//! which flow can set off which: a write by one flow triggers the events and
//! polls of the system it writes (by the contract's rule on writes and
//! events), and those start other flows. Chains of it are how sync loops and
//! duplicate records spread.
//!
//! A link from a write to an event is *definite*, *possible* or *never*
//! (contract 1.1): definite when the write and the event (or poll) name the
//! same entity, or the `to` says `emits EVENT`; possible when either names no
//! entity, since the spec does not say whether the write changes what the
//! event reports; never when they name different entities, when the event
//! is `external`, or when it belongs to another system. (1.2) Every
//! `producer` of an event is its system here, as `from=` is.
//!
//! The trigger graph is not materialised flow to flow, because one write can
//! trigger many events that each start many flows, and the product of those
//! fans would be quadratic. It has intermediate nodes instead, so its size
//! stays linear in the spec:
//!
//! ```text
//! flow --to S entity=E--> write(S,E) --> only(S,E) --> event of S with entity E --> flow (on that event)
//!   |                          |                \--> poll flow of S with entity E
//!   |                          v  (possible)
//!   |   flow --to S (no entity)--> write-all(S) --(possible)--> write(S,E) for every E, and write-none(S)
//!   |                          write-none(S) --> events and polls of S that name no entity
//!   +--to S entity=E emits EVENT--> only(S,E)
//!   \--emits EVENT--> that event
//! ```
//!
//! (`only(S,E)` is a second `Write` node: a write with `emits` feeds the
//! consumers of its entity and what it emits, never the entity-less ones.)
//!
//! (1.2) An event that fires only when a record is created
//! (`Event::fires_on_create_only`: it says `on-create`, or its name ends in
//! `added`, `created`, ...) is set off only by a write that can create one
//! (`Action::can_create`): an `update` adds no deal, so it never fires
//! "Deal added". For a system with such events, each of the nodes above
//! has a twin for the creating writes, which points to it (a creating
//! write sets off all that any write does) and also feeds the creation
//! events; the other writes feed the nodes above, which do not reach them.
//!
//! (1.2) A `read` (a query, a lookup) changes nothing: it feeds no write
//! node, and sets off only what it says it `emits`.
//!
//! Every path through a `write-all` or `write-none` node is a possible
//! link, every other path a definite one, so the *definite* graph is the
//! trigger graph without those two kinds of node (a filter over it, not a
//! copy). `external` events have no
//! edges into them.
//!
//! **Architecture Invariant:** every cycle of the trigger graph passes through
//! a flow node; the intermediate nodes form a DAG. A flow with `loop-guard`
//! ignores changes the integration itself made, so nothing in the graph points
//! into it: it never lies on a cycle and never receives a duplicate.
//!
//! **Architecture Invariant:** the graph never sees KDL; it reads the model,
//! and tolerates unresolved references (`target: None`) by leaving out the
//! edges they would make.

use std::collections::HashMap;
use std::sync::OnceLock;

use petgraph::csr::Csr;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, DfsPostOrder, NodeFiltered};

use crate::model::{EventId, FlowId, Spec, SystemId, TriggerKind};

/// The trigger graph's storage: compressed sparse rows, unweighted.
pub(crate) type TriggerCsr = Csr<(), (), petgraph::Directed, u32>;

/// Specs with at least this many flows build their two graphs side by side.
const PARALLEL_FLOWS: usize = 4096;

/// A node of the trigger graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TriggerNode {
    /// A flow: runs when one of its in-neighbours fires.
    Flow(FlowId),
    /// An event: fires when a write triggers it; starts the flows `on` it.
    Event(EventId),
    /// Writes to a system that name an entity (by name: schemaless systems
    /// have no resolved entities, but their names still match).
    Write(SystemId),
    /// Writes to a system that name no entity: they may trigger everything
    /// of it (a possible link).
    WriteAll(SystemId),
    /// The consumers of a system that name no entity: any write may trigger
    /// them (a possible link).
    WriteNone(SystemId),
}

impl TriggerNode {
    /// Whether passing through this node makes a link only possible.
    pub(crate) fn is_possible(self) -> bool {
        matches!(self, TriggerNode::WriteAll(_) | TriggerNode::WriteNone(_))
    }
}

/// An edge of the system graph: target `target` (an index into
/// `Flow::targets`) of flow `flow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlowEdge {
    pub(crate) flow: FlowId,
    pub(crate) target: u32,
}

/// The topology of one spec. See the module documentation.
pub(crate) struct Graph {
    /// Node `i` is system `i`; one edge per resolved `to` of each flow whose
    /// source system is resolved, in flow then target order.
    pub(crate) systems: DiGraph<SystemId, FlowEdge, u32>,
    /// The trigger graph, definite and possible links; node `i < flows` is flow `i`.
    pub(crate) triggers: TriggerCsr,
    /// The loops of definite links and of all links, computed on first use
    /// and shared by the checks that run side by side.
    definite_loops: OnceLock<Vec<Component>>,
    possible_loops: OnceLock<Vec<Component>>,
    /// Whether flow `i` has a `when` filter (since 1.2), which may stop a
    /// loop: no loop through it counts as definite.
    filtered: Vec<bool>,
    /// What each trigger-graph node stands for.
    pub(crate) nodes: Vec<TriggerNode>,
    /// For each flow, for each of its targets, the trigger node its write
    /// feeds (`None` when the target is unresolved or nothing consumes it),
    /// all in one list; see `target_nodes`.
    target_nodes: TargetNodes,
}

/// The trigger nodes of every flow's targets, flat: flow `i`'s are
/// `nodes[starts[i]..starts[i + 1]]`.
#[derive(Clone, Debug, Default)]
pub(crate) struct TargetNodes {
    nodes: Vec<Option<u32>>,
    starts: Vec<u32>,
}

impl Graph {
    /// Builds both graphs in time linear in the spec (plus one sort of the
    /// trigger edges).
    /// For a large spec the two graphs are built side by side.
    pub(crate) fn build(spec: &Spec) -> Graph {
        let systems_graph = || {
            let mut systems = DiGraph::with_capacity(spec.systems.len(), spec.flows.len());
            for id in spec.system_ids() {
                systems.add_node(id);
            }
            for (i, flow) in spec.flows.iter().enumerate() {
                let Some(source) = flow.source_system(spec) else { continue };
                // (1.2) An event with several producers carries data from each.
                let others = match flow.trigger.as_ref().map(|t| &t.kind) {
                    Some(TriggerKind::On { event: crate::model::Ref { target: Some(e), .. } }) => {
                        spec.event(*e).producers.as_slice()
                    }
                    _ => &[],
                };
                let sources = std::iter::once(source).chain(others.iter().filter_map(|p| p.target));
                for from in sources {
                    for (t, target) in flow.targets.iter().enumerate() {
                        if let Some(to) = target.system.target {
                            let edge = FlowEdge { flow: FlowId(i as u32), target: t as u32 };
                            systems.add_edge(NodeIndex::new(from.index()), NodeIndex::new(to.index()), edge);
                        }
                    }
                }
            }
            systems
        };
        let (systems, (triggers, nodes, target_nodes)) =
            if spec.flows.len() >= PARALLEL_FLOWS && crate::parallel::threads() > 1 {
                std::thread::scope(|scope| {
                    let systems = scope.spawn(systems_graph);
                    let triggers = TriggerBuilder::new(spec).build(spec);
                    (crate::parallel::join(systems), triggers)
                })
            } else {
                (systems_graph(), TriggerBuilder::new(spec).build(spec))
            };
        Graph {
            systems,
            triggers,
            definite_loops: OnceLock::new(),
            possible_loops: OnceLock::new(),
            filtered: spec.flows.iter().map(|f| !f.when.is_empty()).collect(),
            nodes,
            target_nodes,
        }
    }

    /// The strongly connected components of the trigger graph that have more
    /// than one node (intermediate nodes form a DAG and nothing points to
    /// itself, so those are the ones that cycle), by Kosaraju's
    /// algorithm on petgraph's DFS walkers, which keep their own stacks:
    /// petgraph's `tarjan_scc` recurses once per node along a path, so a long
    /// chain of flows overflowed the thread's stack. The first pass walks the
    /// graph with its edges reversed (a second CSR), the second walks it as
    /// is, from the nodes in reverse order of finishing. Only nodes for which
    /// `keep` holds, and the edges between them, take part: the definite
    /// graph is the trigger graph without its possible nodes, so it needs no
    /// copy of its own.
    fn strongly_connected(csr: &TriggerCsr, keep: impl Fn(u32) -> bool + Copy) -> Vec<Vec<u32>> {
        let count = csr.node_count();
        // The reversed edges, sorted by a counting sort: bucket each edge by
        // its head, visiting tails in increasing order. The CSR's edges are
        // unique, so these are too.
        let mut starts = vec![0usize; count + 1];
        for from in (0..count as u32).filter(|&n| keep(n)) {
            for &to in csr.neighbors_slice(from).iter().filter(|&&n| keep(n)) {
                starts[to as usize + 1] += 1;
            }
        }
        for i in 0..count {
            starts[i + 1] += starts[i];
        }
        let mut edges = vec![(0u32, 0u32); starts[count]];
        for from in (0..count as u32).filter(|&n| keep(n)) {
            for &to in csr.neighbors_slice(from).iter().filter(|&&n| keep(n)) {
                edges[starts[to as usize]] = (to, from);
                starts[to as usize] += 1;
            }
        }
        let mut reversed: TriggerCsr = Csr::from_sorted_edges(&edges).unwrap_or_else(|_| Csr::new());
        while reversed.node_count() < count {
            reversed.add_node(());
        }
        let mut walk = DfsPostOrder::empty(&reversed);
        let mut finished = Vec::with_capacity(count);
        for start in 0..count as u32 {
            if !walk.discovered.contains(start as usize) {
                walk.move_to(start);
                while let Some(node) = walk.next(&reversed) {
                    finished.push(node);
                }
            }
        }
        let kept = NodeFiltered::from_fn(csr, keep);
        let mut walk = Dfs::empty(&kept);
        let mut components = Vec::new();
        let mut component = Vec::new();
        for &leader in finished.iter().rev() {
            if !keep(leader) || walk.discovered.contains(leader as usize) {
                continue;
            }
            walk.move_to(leader);
            component.clear();
            while let Some(node) = walk.next(&kept) {
                component.push(node);
            }
            if component.len() > 1 {
                components.push(component.clone());
            }
        }
        components
    }

    /// For each target of `flow`, the trigger node its write feeds (`None`
    /// when the target is unresolved or nothing consumes what it writes).
    pub(crate) fn target_nodes(&self, flow: FlowId) -> &[Option<u32>] {
        let TargetNodes { nodes, starts } = &self.target_nodes;
        let (Some(&start), Some(&end)) = (starts.get(flow.index()), starts.get(flow.index() + 1)) else { return &[] };
        nodes.get(start as usize..end as usize).unwrap_or(&[])
    }

    /// The trigger-graph nodes `node` points to, by definite or possible links.
    pub(crate) fn successors(&self, node: u32) -> &[u32] {
        if (node as usize) < self.triggers.node_count() { self.triggers.neighbors_slice(node) } else { &[] }
    }

    /// Whether passing through `node` makes a link only possible.
    fn is_possible(&self, node: u32) -> bool {
        self.nodes.get(node as usize).is_some_and(|k| k.is_possible())
    }

    /// The trigger-graph nodes `node` points to by definite links only: none
    /// from or to a `WriteAll` or `WriteNone` node.
    pub(crate) fn definite_successors(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let from_possible = self.is_possible(node);
        self.successors(node).iter().copied().filter(move |&n| !from_possible && !self.is_possible(n))
    }

    /// The loops of definite links: the strongly connected components of
    /// the definite graph that really cycle, in order of their smallest
    /// flow; each with its flows in id order and all its nodes. A flow with
    /// a `when` filter takes no part: the filter may stop what the loop
    /// writes back, so a loop through it is only possible. Linear (see
    /// `strongly_connected`).
    pub(crate) fn cyclic_components(&self) -> &[Component] {
        let filtered = |n: u32| self.filtered.get(n as usize).copied().unwrap_or(false);
        self.definite_loops.get_or_init(|| self.components(|n| !self.is_possible(n) && !filtered(n)))
    }

    /// The components of the whole trigger graph (definite and possible
    /// links) that cycle. Each contains every definite component it
    /// overlaps; the flows of one that are in no definite loop lie on a loop
    /// that needs a possible link.
    pub(crate) fn possible_components(&self) -> &[Component] {
        self.possible_loops.get_or_init(|| self.components(|_| true))
    }

    fn components(&self, keep: impl Fn(u32) -> bool + Copy) -> Vec<Component> {
        let kinds = &self.nodes;
        let mut out = Vec::new();
        for mut nodes in Self::strongly_connected(&self.triggers, keep) {
            let mut flows: Vec<FlowId> = nodes
                .iter()
                .filter_map(|&n| match kinds.get(n as usize) {
                    Some(TriggerNode::Flow(f)) => Some(*f),
                    _ => None,
                })
                .collect();
            flows.sort_unstable();
            nodes.sort_unstable();
            if !flows.is_empty() {
                out.push(Component { flows, nodes });
            }
        }
        out.sort_unstable_by_key(|c| c.flows[0]);
        out
    }

    /// The flows of each cyclic component.
    #[cfg(test)]
    pub(crate) fn flow_cycles(&self) -> Vec<Vec<FlowId>> {
        self.cyclic_components().iter().map(|c| c.flows.clone()).collect()
    }

    /// The node index of a flow.
    pub(crate) fn flow_node(flow: FlowId) -> u32 {
        flow.0
    }
}

/// A strongly connected component of the trigger graph that cycles.
#[derive(Clone, Debug)]
pub(crate) struct Component {
    /// Its flows, in id order; never empty.
    pub(crate) flows: Vec<FlowId>,
    /// All its nodes (flows and intermediates), sorted.
    pub(crate) nodes: Vec<u32>,
}

/// Builds the trigger graph: indexes the consumers of each system (events
/// and polls, by entity name) once, then connects each write to them.
struct TriggerBuilder<'s> {
    nodes: Vec<TriggerNode>,
    edges: Vec<(u32, u32)>,
    /// `(system, entity name)` -> its two `Write` nodes: the one writes
    /// feed (which also feeds the system's entity-less consumers, a
    /// possible link) and the one behind it that feeds only the consumers
    /// of that entity (definite links), which a write with `emits` feeds.
    write: HashMap<(SystemId, &'s str), (u32, u32)>,
    write_all: HashMap<SystemId, u32>,
    write_none: HashMap<SystemId, u32>,
    /// The systems with an event that fires only on creation
    /// (`Event::fires_on_create_only`), and for each of them the same three
    /// kinds of node again, for the writes that can create a record: each
    /// points to its counterpart above (a creating write sets off whatever
    /// any write does) and also feeds the creation events, which no other
    /// write reaches.
    creating: std::collections::HashSet<SystemId>,
    write_c: HashMap<(SystemId, &'s str), (u32, u32)>,
    write_all_c: HashMap<SystemId, u32>,
    write_none_c: HashMap<SystemId, u32>,
}

impl<'s> TriggerBuilder<'s> {
    fn new(spec: &Spec) -> Self {
        let mut nodes = Vec::with_capacity(spec.flows.len() + spec.events.len());
        nodes.extend(spec.flow_ids().map(TriggerNode::Flow));
        nodes.extend(spec.event_ids().map(TriggerNode::Event));
        TriggerBuilder {
            nodes,
            edges: Vec::new(),
            write: HashMap::new(),
            write_all: HashMap::new(),
            write_none: HashMap::new(),
            creating: std::collections::HashSet::new(),
            write_c: HashMap::new(),
            write_all_c: HashMap::new(),
            write_none_c: HashMap::new(),
        }
    }

    /// (1.2) The systems a write to which may set `event` off: its `from=`
    /// and every other `producer`.
    fn producers(event: &crate::model::Event) -> impl Iterator<Item = SystemId> + '_ {
        let from = event.from.as_ref().and_then(|f| f.target);
        let others = event.producers.iter().filter_map(|p| p.target).filter(move |&p| Some(p) != from);
        from.into_iter().chain(others)
    }

    fn event_node(spec: &Spec, event: EventId) -> u32 {
        (spec.flows.len() + event.index()) as u32
    }

    fn add(&mut self, node: TriggerNode) -> u32 {
        self.nodes.push(node);
        (self.nodes.len() - 1) as u32
    }

    /// The `WriteAll` node of a system, created on first use.
    fn all(&mut self, system: SystemId) -> u32 {
        if let Some(&n) = self.write_all.get(&system) {
            return n;
        }
        let n = self.add(TriggerNode::WriteAll(system));
        self.write_all.insert(system, n);
        n
    }

    fn none(&mut self, system: SystemId) -> u32 {
        if let Some(&n) = self.write_none.get(&system) {
            return n;
        }
        let n = self.add(TriggerNode::WriteNone(system));
        self.write_none.insert(system, n);
        let all = self.all(system);
        self.edges.push((all, n));
        n
    }

    /// The node the consumers of `entity` at `system` hang from, created
    /// on first use with the write node in front of it.
    fn keyed(&mut self, system: SystemId, entity: &'s str) -> u32 {
        if let Some(&(_, definite)) = self.write.get(&(system, entity)) {
            return definite;
        }
        let n = self.add(TriggerNode::Write(system));
        let definite = self.add(TriggerNode::Write(system));
        self.write.insert((system, entity), (n, definite));
        self.edges.push((n, definite));
        let all = self.all(system);
        self.edges.push((all, n));
        let none = self.none(system);
        self.edges.push((n, none));
        if self.creating.contains(&system) {
            // The creating writes' pair in front: it feeds the pair above,
            // and its definite node the creation events of the entity.
            let nc = self.add(TriggerNode::Write(system));
            let dc = self.add(TriggerNode::Write(system));
            self.write_c.insert((system, entity), (nc, dc));
            self.edges.extend([(nc, n), (nc, dc), (dc, definite)]);
            let all_c = self.all_c(system);
            self.edges.push((all_c, nc));
            let none_c = self.none_c(system);
            self.edges.push((nc, none_c));
        }
        definite
    }

    /// The `WriteAll` node of the writes to a system that name no entity
    /// and can create a record; `creating` holds the system.
    fn all_c(&mut self, system: SystemId) -> u32 {
        if let Some(&n) = self.write_all_c.get(&system) {
            return n;
        }
        let n = self.add(TriggerNode::WriteAll(system));
        self.write_all_c.insert(system, n);
        let all = self.all(system);
        self.edges.push((n, all));
        n
    }

    /// The `WriteNone` node that creating writes reach: the entity-less
    /// creation events hang from it, and it feeds the entity-less others.
    fn none_c(&mut self, system: SystemId) -> u32 {
        if let Some(&n) = self.write_none_c.get(&system) {
            return n;
        }
        let n = self.add(TriggerNode::WriteNone(system));
        self.write_none_c.insert(system, n);
        let none = self.none(system);
        self.edges.push((n, none));
        let all_c = self.all_c(system);
        self.edges.push((all_c, n));
        n
    }

    /// The node the creation events of `entity` at `system` hang from.
    fn keyed_c(&mut self, system: SystemId, entity: &'s str) -> u32 {
        let definite = self.keyed(system, entity);
        self.write_c.get(&(system, entity)).map_or(definite, |&(_, dc)| dc)
    }

    fn build(mut self, spec: &'s Spec) -> (TriggerCsr, Vec<TriggerNode>, TargetNodes) {
        // (1.2) The systems with an event that only a creation sets off.
        for event in spec.events.iter().filter(|e| !e.is_external() && e.fires_on_create_only()) {
            self.creating.extend(Self::producers(event));
        }
        // So are the systems a poll reads by creation time (`cursor` on
        // `created_at`): only a creation sets it off.
        for flow in &spec.flows {
            if let Some(TriggerKind::Poll(poll)) = flow.trigger.as_ref().map(|t| &t.kind)
                && poll.reads_only_new()
            {
                self.creating.extend(poll.system.target);
            }
        }
        // Consumers: events (by producer and entity) and polls.
        for (i, event) in spec.events.iter().enumerate() {
            // No write sets off an external event: nothing points to it.
            if event.is_external() {
                continue;
            }
            let node = Self::event_node(spec, EventId(i as u32));
            let on_create = event.fires_on_create_only();
            // (1.2) A write to any producer of the event may set it off.
            for system in Self::producers(event) {
                let feeder = match (&event.entity, on_create) {
                    (Some(entity), false) => self.keyed(system, &entity.name.value),
                    (Some(entity), true) => self.keyed_c(system, &entity.name.value),
                    (None, false) => self.none(system),
                    (None, true) => self.none_c(system),
                };
                self.edges.push((feeder, node));
            }
        }
        let guarded: Vec<bool> = spec.flows.iter().map(|f| f.loop_guard.is_some()).collect();
        for (i, flow) in spec.flows.iter().enumerate() {
            if guarded[i] {
                continue;
            }
            let node = Graph::flow_node(FlowId(i as u32));
            match flow.trigger.as_ref().map(|t| &t.kind) {
                Some(TriggerKind::On { event }) => {
                    if let Some(e) = event.target {
                        self.edges.push((Self::event_node(spec, e), node));
                    }
                }
                Some(TriggerKind::Poll(poll)) => {
                    let Some(system) = poll.system.target else { continue };
                    // A poll by creation time reads only new records: only a
                    // write that creates one sets it off.
                    let feeder = match (&poll.entity, poll.reads_only_new()) {
                        (Some(entity), false) => self.keyed(system, &entity.name.value),
                        (Some(entity), true) => self.keyed_c(system, &entity.name.value),
                        (None, false) => self.none(system),
                        (None, true) => self.none_c(system),
                    };
                    self.edges.push((feeder, node));
                }
                Some(TriggerKind::Schedule(_)) | None => {}
            }
        }
        // Producers: each `to` feeds the consumers of what it writes. A
        // write to an entity nothing consumes by name still triggers the
        // system's entity-less consumers.
        let mut target_nodes = TargetNodes { nodes: Vec::with_capacity(spec.flows.len()), starts: vec![0] };
        for (i, flow) in spec.flows.iter().enumerate() {
            for target in &flow.targets {
                let Some(system) = target.system.target else {
                    target_nodes.nodes.push(None);
                    continue;
                };
                // `emits` says what the write sets off: definite links to
                // those events, and no possible ones beside them (so a
                // write naming an entity feeds only that entity's consumers,
                // not the system's entity-less ones).
                let emitted: Vec<u32> =
                    target.emits.iter().filter_map(|e| e.target).map(|e| Self::event_node(spec, e)).collect();
                // (1.2) A write that can create a record (or whose action is
                // unknown) feeds the creating nodes, where its system has
                // creation events; one that cannot, the others, which do not
                // reach those events.
                let creates = target.action.as_ref().is_none_or(|a| a.value.can_create());
                let (write, write_all, write_none) = if creates && self.creating.contains(&system) {
                    (&self.write_c, &self.write_all_c, &self.write_none_c)
                } else {
                    (&self.write, &self.write_all, &self.write_none)
                };
                // (1.2) A `read` changes nothing, so it sets off nothing but
                // what it says it `emits`.
                let feeder = match &target.entity {
                    _ if target.reads() => None,
                    Some(entity) => match write.get(&(system, entity.name.value.as_str())) {
                        Some(&(_, definite)) if !emitted.is_empty() => Some(definite),
                        Some(&(n, _)) => Some(n),
                        None => write_none.get(&system).copied(),
                    },
                    None => write_all.get(&system).copied(),
                };
                let flow_node = Graph::flow_node(FlowId(i as u32));
                let feeder = match feeder {
                    Some(f) if !emitted.is_empty() && self.nodes.get(f as usize).is_some_and(|k| k.is_possible()) => {
                        None
                    }
                    other => other,
                };
                if let Some(feeder) = feeder {
                    self.edges.push((flow_node, feeder));
                }
                self.edges.extend(emitted.iter().map(|&e| (flow_node, e)));
                // The node that stands for this write: where it feeds, or the
                // event it emits when that is all it does.
                target_nodes.nodes.push(feeder.or_else(|| emitted.first().copied()));
            }
            target_nodes.starts.push(u32::try_from(target_nodes.nodes.len()).unwrap_or(u32::MAX));
        }
        self.edges.sort_unstable();
        self.edges.dedup();
        // Sorted and unique, so construction cannot fail; an empty graph is
        // the safe answer if it ever did.
        let mut csr = Csr::from_sorted_edges(&self.edges).unwrap_or_else(|_| Csr::new());
        while csr.node_count() < self.nodes.len() {
            csr.add_node(());
        }
        (csr, self.nodes, target_nodes)
    }
}

/// A breadth-first search over the trigger graph, restricted to nodes for
/// which `allowed` holds, from `start` until `goal` is first dequeued after
/// at least one step. Returns the path of nodes `start, ..., goal`
/// (excluding the final repeat of `start` when `goal == start`). Linear in
/// the nodes and edges it visits.
pub(crate) fn shortest_path(graph: &Graph, start: u32, goal: u32, allowed: impl Fn(u32) -> bool) -> Option<Vec<u32>> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut queue = std::collections::VecDeque::new();
    queue.push_back(start);
    let mut visited: std::collections::HashSet<u32> = std::collections::HashSet::new();
    while let Some(node) = queue.pop_front() {
        for &next in graph.successors(node) {
            if !allowed(next) {
                continue;
            }
            if next == goal {
                let mut path = vec![node];
                let mut at = node;
                while at != start {
                    at = *parent.get(&at)?;
                    path.push(at);
                }
                path.reverse();
                if goal != start {
                    path.push(goal);
                }
                return Some(path);
            }
            if next != start && visited.insert(next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    pub(crate) fn spec(text: &str) -> Spec {
        crate::lint::test_spec(text)
    }

    #[test]
    fn a_loop_through_thousands_of_flows_is_found_without_deep_recursion() {
        // One loop through every system; on a thread with a small stack, so
        // that recursion per node (as in petgraph's `tarjan_scc`) would fail.
        let n = 3000;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!(
                "system \"s{i}\" kind=crm\nevent \"e{i}\" from=s{i} entity=x\nflow \"f{i}\" {{\n on \"e{i}\"\n to s{} action=upsert entity=x\n}}\n",
                (i + 1) % n
            ));
        }
        let s = spec(&text);
        let cycles = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || Graph::build(&s).flow_cycles())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].len(), n);
    }

    #[test]
    fn write_triggers_events_of_that_entity_and_entityless_ones() {
        let s = spec(
            r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.contact" from=a entity=contact
            event "a.any" from=a
            event "a.deal" from=a entity=deal
            flow "x" { on "a.contact"; to b action=update entity=thing }
            flow "y" { on "a.any"; to b action=update }
            flow "z" { on "a.deal"; to b action=update }
            flow "w" { poll b every="1m"; to a action=update entity=contact }
            "#,
        );
        let g = Graph::build(&s);
        // w writes a.contact: reaches x (entity) and y (entity-less), not z.
        let node = g.target_nodes(FlowId(3))[0].unwrap();
        let mut reached = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            for &m in g.successors(n) {
                if let TriggerNode::Flow(f) = g.nodes[m as usize] {
                    reached.push(f.0);
                } else {
                    stack.push(m);
                }
            }
        }
        reached.sort_unstable();
        assert_eq!(reached, vec![0, 1]);
        // x writes b with an entity nobody consumes by name; the entity-less
        // poll w may still fire, so x -> w -> x is a possible cycle, and
        // not a definite one.
        assert!(g.flow_cycles().is_empty());
        let possible: Vec<Vec<FlowId>> = g.possible_components().iter().map(|c| c.flows.clone()).collect();
        assert_eq!(possible, vec![vec![FlowId(0), FlowId(1), FlowId(3)]]);
    }

    #[test]
    fn loop_guard_breaks_cycles() {
        let s = spec(
            r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.c" from=a
            event "b.c" from=b
            flow "x" { on "a.c"; to b action=update }
            flow "y" { on "b.c"; to a action=update; loop-guard }
            "#,
        );
        assert!(Graph::build(&s).flow_cycles().is_empty());
    }

    /// (1.2) A flow on an event with another `producer` connects it too.
    #[test]
    fn every_producer_of_an_event_is_a_source_of_its_flows() {
        let s = spec(
            r#"
            system "shop" kind=ecommerce
            system "pos" kind=ecommerce
            system "erp" kind=erp
            event "order.placed" from=shop { producer "pos"; }
            flow "x" { on "order.placed"; to erp action=upsert }
            "#,
        );
        let g = Graph::build(&s);
        let edges: Vec<(usize, usize)> = g
            .systems
            .edge_indices()
            .filter_map(|e| g.systems.edge_endpoints(e))
            .map(|(a, b)| (a.index(), b.index()))
            .collect();
        assert_eq!(edges, [(0, 2), (1, 2)]);
    }

    /// (1.2) A write to another producer of an event sets it off too.
    #[test]
    fn a_write_to_any_producer_sets_off_the_event() {
        let s = spec(
            r#"
            system "shop" kind=ecommerce
            system "pos" kind=ecommerce
            event "order.placed" from=shop entity=order { producer "pos"; }
            event "pos.sale" from=pos entity=sale
            flow "x" { on "order.placed"; to pos action=create entity=order }
            flow "y" { on "pos.sale"; to shop action=create entity=order }
            "#,
        );
        let cycles = Graph::build(&s).flow_cycles();
        assert_eq!(cycles.len(), 1, "{cycles:?}");
    }

    /// (1.2) An `update` does not set off an event that fires on creation
    /// (declared `on-create`, or named so); a `create` or `upsert` does, and
    /// `emits` links whatever the action.
    #[test]
    fn only_a_write_that_can_create_sets_off_a_creation_event() {
        let loop_of = |write: &str, event: &str| {
            let s = spec(&format!(
                r#"
                system "crm" kind=crm
                system "erp" kind=erp
                event "{event}" from=crm entity=deal
                event "erp.changed" from=erp entity=order
                event "crm.any" from=crm
                flow "x" {{ on "{event}"; to erp action=upsert entity=order }}
                flow "y" {{ on "erp.changed"; {write} }}
                "#
            ));
            let g = Graph::build(&s);
            (g.flow_cycles().len(), g.possible_components().len())
        };
        assert_eq!(loop_of("to crm action=update entity=deal", "deal.added"), (0, 0));
        assert_eq!(loop_of("to crm action=delete entity=deal", "deal.created"), (0, 0));
        assert_eq!(loop_of("to crm action=update", "deal.added"), (0, 0));
        assert_eq!(loop_of("to crm action=update entity=note", "deal.added"), (0, 0));
        assert_eq!(loop_of("to crm action=create entity=deal", "deal.added"), (1, 1));
        assert_eq!(loop_of("to crm action=upsert entity=deal", "deal.added"), (1, 1));
        assert_eq!(loop_of("to crm action=create", "deal.added"), (0, 1));
        assert_eq!(loop_of("to crm action=create entity=note", "deal.added"), (0, 0));
        assert_eq!(loop_of("to crm action=update entity=deal", "deal.updated"), (1, 1));
        assert_eq!(loop_of("to crm action=update entity=deal { emits \"deal.added\"; }", "deal.added"), (1, 1));
        // A read changes nothing: no loop, definite or possible.
        assert_eq!(loop_of("to crm action=read entity=deal", "deal.updated"), (0, 0));
        assert_eq!(loop_of("to crm action=read", "deal.updated"), (0, 0));
        // An entity-less creation event: a possible link from creating writes only.
        let s = spec(
            r#"
            system "crm" kind=crm
            system "erp" kind=erp
            event "new-record" from=crm { on-create; }
            event "erp.changed" from=erp entity=order
            flow "x" { on "new-record"; to erp action=upsert entity=order }
            flow "y" { on "erp.changed"; to crm action=update entity=deal }
            flow "z" { on "erp.changed"; to crm action=append entity=note }
            "#,
        );
        let g = Graph::build(&s);
        let possible: Vec<Vec<FlowId>> = g.possible_components().iter().map(|c| c.flows.clone()).collect();
        assert_eq!(possible, vec![vec![FlowId(0), FlowId(2)]]);
    }

    #[test]
    fn unresolved_references_make_no_edges() {
        let s = spec(
            r#"
            flow "x" { on "nope"; to nowhere action=create }
            flow "y" { poll missing every="1m"; to missing action=create }
            "#,
        );
        let g = Graph::build(&s);
        assert_eq!(g.systems.edge_count(), 0);
        assert!(g.flow_cycles().is_empty());
    }
}
