//! `non-idempotent-path`: a write that can run twice for one change into an
//! action that is not idempotent, without an idempotency key.
//!
//! A duplicate does not stay put: the duplicated record's own events start
//! further flows, and every one of them that creates, sends or appends makes
//! another duplicate. The check reports one finding per *origin* (an
//! offending flow that no other offending flow's duplicates reach) and
//! attributes every downstream duplicate to its nearest origin.
//!
//! It is two linear traversals of the definite part of the trigger graph (a
//! possible link is not enough to claim a duplicate spreads). Duplicates
//! spread only out of non-idempotent targets and only into flows that write
//! non-idempotently themselves. The first traversal, from every offending
//! flow at once, marks what is downstream of some offending flow; offending
//! flows left unmarked are origins. The second, a multi-source BFS from the
//! origins, records for each reached node its parent, so one example path
//! per origin can be read back. Offending flows that reach each other only
//! in a loop (so none is unmarked) get the first of them as origin.

use std::collections::VecDeque;

use super::Context;
use super::util::{Asked, group_asked, plural};
use crate::catalog::IdempotencySupport;
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::graph::{Graph, TriggerNode};
use crate::model::{Action, EventId, Flow, FlowId, Origin, Owner, Spec, SystemId, Target, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow that can run twice for one change (it has `retry`, polls, runs
    /// via a broker, or is started by an event delivered by webhook or
    /// marked `delivery at-least-once`) writing with `create`, `send`,
    /// `append` or `increment` without an `idempotency-key` (on the flow, or
    /// on that `to`). One finding per flow names every such target. Flows
    /// from one source that ask the same (the same writes to the same
    /// system, for the same reasons: one handler of a producer's several
    /// events, written as a flow per event since a flow has one trigger)
    /// are one finding that lists them, each still addressable. When the
    /// duplicate record's own events start more flows that write the same
    /// way (through definite links), the finding shows one path of such
    /// writes and counts the others. A flow reported as downstream of
    /// another is not reported again. A target whose `connector=` names a
    /// vendor that reads idempotency keys gets the concrete advice: where
    /// the vendor reads the key, and the page that says so. A producer
    /// whose vendor documents webhooks counts as delivering by webhook.
    /// A publish is not asked about when nothing acts on it twice: a `send`
    /// or `append` that fills no field (or a `send` to a hub or broker,
    /// where its fields are the event's: a DAG run's parameters) and `emits`
    /// events, every flow on which writes idempotently or by a key (a saga
    /// that ignores a repeated start): its repeat is a repeated event, which
    /// they absorb.
    ///
    /// A `create` that gives the new record its own id (`id`, `order_id`
    /// on an `order`) from the key of the event the flow runs on makes no
    /// second record: the store keeps one per id and refuses the repeat (or
    /// puts it over the first). So does (since 1.2) a `create` or `append`
    /// that maps a field its entity declares `unique=#true` (a unique
    /// index, a vendor's duplicate check on a reference). The flow stops at that refusal, so the
    /// writes after it are not asked about either (an order's lines after
    /// the order); those before it are.
    ///
    /// A `send` to a live view (a `website` system, or one reached over
    /// `api websocket`: a page, an app's screen) is not asked about: the
    /// view shows what it is sent, so a repeat shows the same state again
    /// and makes no record. Nor is a line added to a log (an entity named
    /// `log`, `webhook_log`, `log_entry`, `audit_trail`) outside a
    /// warehouse or a lake: a repeat is a second line that says the same,
    /// which nothing acts on (in a warehouse, reports count the rows).
    ///
    /// A flow that `reply`s (since 1.2) is asked about its own `retry`
    /// only, since its caller sees the failure, unless that caller is a
    /// vendor's webhook or the event says `delivery at-least-once`: such a
    /// sender sends again on its own when the answer fails or comes late
    /// (Stripe, Plaid), so the flow is asked as any flow on that event is
    /// (a person's request from a `website` system is the person's to
    /// repeat, and is asked about below); but a caller whose answer
    /// comes late asks again, not knowing whether the first request went
    /// through. So a replying flow that charges (a `create` on a `payments`
    /// system) or moves an amount (an `increment`: a gift card's balance, a
    /// stock level) without an idempotency key is reported too, for that
    /// write alone: a second record elsewhere can be cleaned up, a second
    /// charge is the customer's money, and a balance moved twice is wrong
    /// with nothing to show it (a `create` of an entity whose name moves no
    /// money, a customer or a subscription, is named as the second record
    /// it makes rather than as a charge; a `create` of an order, an invoice
    /// or a payment on any other system is asked at info, since someone
    /// finds and cancels a second order). The same holds for a flow started by a
    /// request from a `website` system (a booking form, a shop's API): its
    /// client sends the request again when no answer comes, whether or not
    /// the flow replies, unless the event says `delivery at-most-once`.
    /// A `create` of a session, a link or a page (Stripe's Checkout
    /// Session, a payment link) charges nothing: the customer pays on the
    /// page it opens, and a second one, nobody opens, expires; nor does a
    /// quote or a token (a card's, an OAuth client's), which a second
    /// request only replaces. None is asked about. An order, an invoice or
    /// a checkout made at a `payments` system (PayPal's order, a crypto
    /// invoice: whole words of the entity's name, none of which moves
    /// money, as `order_capture` does) is one the payer pays later: it
    /// takes no money until the buyer approves it, and a second one
    /// expires unpaid unless the buyer pays both. It is named as the
    /// second record it makes and asked at info (judged on the real-world
    /// corpus, such warnings were right 4 times in 12, and the right ones
    /// said that "charges" overstated it); a flow that also captures the
    /// order is reported for the capture, as a charge.
    /// An `increment` that says `counter` (a running total of what
    /// happened, a sequence's next number) is not an amount moved, and is
    /// not asked about on that ground.
    ///
    /// A request the flow waits on (`send` with `call`) to a system that
    /// neither takes payments nor sends messages (a classifier, a lookup)
    /// may only read, which the spec cannot say: when every write a
    /// finding names is one, it is an info that asks; beside a write that
    /// surely makes a second record, it is not named.
    ///
    /// A flow whose only such writes are messages (`send`, not a request it
    /// waits on, to a system that is neither a hub or broker nor a payments
    /// system: an email, a chat post, a call to a service), with nothing
    /// downstream that repeats them, is asked at info: a repeat sends the
    /// same message again, and whether that harms is what the receiver does
    /// with it (a person reads a second notice as noise, a service acts on
    /// a second command), which a `send` does not say. On the real-world
    /// corpus such warnings were right 56 times in 90. A message sent into
    /// a hub or broker, or one whose duplicates set off further writes,
    /// stays a warning. So is a flow whose only such writes are new files
    /// in a lake (`create` on a `kind=lake` system: a dump, a raw copy, a
    /// staging file): a repeat leaves one more file, a second record only
    /// where something reads every file there as records; rows appended to
    /// a lake's table stay a warning.
    ///
    /// A vendor's own integration is not the team's code: whether it
    /// repeats a write is the vendor's to prevent, so it is reported at info,
    /// as a question for the vendor (does it redeliver, does it recognise a
    /// repeat by the source record's id), and a team's flow downstream of it
    /// is its own origin. That is a flow that says `run-by SYSTEM` (since
    /// 1.2); one that reads and writes a single system on an `on` trigger,
    /// with no `via` and nothing of its delivery stated (an in-product
    /// automation); and one that joins two SaaS products directly (neither
    /// a `custom`, `website` or `database` system nor infrastructure), with
    /// no `via` and nothing of its delivery stated (no `retry`,
    /// `dead-letter`, `log`, `idempotency-key`, `loop-guard`, `reply`,
    /// `lock` or `call`): on the real-world corpus every such finding was
    /// judged false, since a connector keys what it creates by the source
    /// record's id. A flow that its event's producer runs (`run-by` naming
    /// the producer, such as a CRM's own checkout) gets the event inside the
    /// product, not by webhook, so the webhook's repeats do not count.
    ///
    /// ## Why it matters
    ///
    /// At-least-once means "sometimes twice". A retried `create` makes two
    /// contacts, two invoices, two welcome emails; a repeated `increment`
    /// counts twice; and each duplicate sets off everything downstream of it
    /// once more. Webhook senders retry until they get a 2xx, so a
    /// webhook-started flow sees repeats even without a `retry` of its own.
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
        summary: "a write that can run twice into `create`/`send`/`append`/`increment` without an idempotency key",
    }
}

/// The index of the first target that makes a new record each time.
fn first_creating_target(flow: &Flow) -> Option<usize> {
    flow.targets.iter().position(|t| t.action.as_ref().is_some_and(|a| !a.value.is_idempotent()))
}

fn creates(target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| !a.value.is_idempotent())
}

/// The targets of a flow that can run twice into a non-idempotent write
/// without a key, in order.
fn offending_targets(spec: &Spec, absorbs: &[bool], flow: &Flow) -> Vec<usize> {
    // A misspelt `idempotency-key` is already an error; do not pile on.
    if flow.misspelt("idempotency-key") {
        return Vec::new();
    }
    // A repeat stops at a create the store refuses twice, before the
    // writes after it.
    let reached = (0..flow.targets.len()).find(|&t| refused_twice(spec, flow, t)).unwrap_or(flow.targets.len());
    (0..reached)
        .filter(|&t| {
            creates(&flow.targets[t])
                && !super::util::shown_live(spec, &flow.targets[t])
                && !a_log_line(spec, &flow.targets[t])
                && flow.key_for(t).is_none()
                && flow.runs_twice(spec, t).is_some()
                && !absorbed_publish(spec, absorbs, &flow.targets[t])
        })
        .collect()
}

/// Whether target `target` is a `create` that gives the new record its own
/// id (`id`, `order_id` on an `order`) from the key of the event the flow
/// runs on, or (1.2) a `create` or `append` that fills a field the target
/// declares `unique=#true`: the store keeps one record per value, so a
/// repeat of the event is refused (or, in a store that puts by key,
/// overwrites the record), and makes no second one. The flow stops at that refusal, so the writes after
/// it do not run again either (an order's lines after the order).
fn refused_twice(spec: &Spec, flow: &Flow, target: usize) -> bool {
    let Some(t) = flow.targets.get(target) else { return false };
    let (Some(action), Some(entity)) = (&t.action, &t.entity) else { return false };
    // (1.2) A field the target keeps unique, filled from the trigger: the
    // same trigger brings the same value, which the target refuses.
    if matches!(action.value, Action::Create | Action::Append) && super::util::fills_unique(spec, t) {
        return true;
    }
    let Some(key) = flow.trigger_event().and_then(|e| spec.event(e).key.as_ref()) else { return false };
    action.value == Action::Create
        && t.maps.iter().any(|m| {
            m.src.name.value == key.name.value
                && m.dst.as_ref().is_some_and(|dst| super::util::own_id(&dst.name.value, &entity.name.value))
        })
}

/// Whether a write adds a line to a log (an entity named `log`,
/// `webhook_log`, `log_entry`, `audit_trail`) kept outside a warehouse or
/// a lake: what it keeps is a record of what happened, which nothing acts
/// on, so a repeat is a second line that says the same, not a second
/// record. In a warehouse the same rows are data that reports count.
fn a_log_line(spec: &Spec, target: &Target) -> bool {
    let Some(entity) = &target.entity else { return false };
    if target.system.target.is_none_or(|s| spec.system(s).kind().is_storage()) {
        return false;
    }
    let words = super::util::field_words(&entity.name.value);
    let mut words = words.iter().map(String::as_str);
    let mut last = words.next_back();
    if matches!(last, Some("entry" | "entries" | "line" | "lines" | "row" | "rows" | "trail")) {
        last = words.next_back();
    }
    matches!(last, Some("log" | "logs" | "logentry" | "audit"))
}

fn offends(spec: &Spec, absorbs: &[bool], flow: &Flow) -> bool {
    !offending_targets(spec, absorbs, flow).is_empty()
}

/// Whether a write is only a publish whose repeat nothing acts on twice: a
/// `send` or `append` that fills no field (or a `send` to a hub or broker)
/// and `emits` events, every flow on which writes idempotently or by a key
/// (a saga that ignores a repeated start, a projection's upsert). Its
/// repeat is a repeated event, which those flows absorb. `absorbs` is
/// `absorbing_events`.
fn absorbed_publish(spec: &Spec, absorbs: &[bool], target: &Target) -> bool {
    let publishes = target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Send | Action::Append));
    // What a hub or broker is sent is the message that carries the event
    // (a DAG run's parameters, a message's body): its fields are the
    // event's, not a record of their own. An `append` to one is not: the
    // log keeps both copies, each with an offset of its own.
    let carries = target.action.as_ref().is_some_and(|a| a.value == Action::Send)
        && target.system.target.is_some_and(|s| spec.system(s).is_transport());
    publishes
        && !target.emits.is_empty()
        && (carries || target.maps_nothing())
        && target.emits.iter().all(|e| e.target.is_some_and(|e| absorbs.get(e.index()).copied().unwrap_or(false)))
}

/// Per event: whether every flow it sets off by a definite link writes
/// idempotently or by a key, so that a repeat of the event does nothing
/// twice. One pass over the flows and the events' links.
fn absorbing_events(spec: &Spec, graph: &Graph) -> Vec<bool> {
    let events = spec.flows.len() as u32;
    spec.event_ids()
        .map(|e| {
            graph.definite_successors(events + e.0).all(|n| match graph.nodes.get(n as usize) {
                Some(TriggerNode::Flow(f)) => {
                    let flow = spec.flow(*f);
                    (0..flow.targets.len()).all(|t| !creates(&flow.targets[t]) || flow.key_for(t).is_some())
                }
                _ => true,
            })
        })
        .collect()
}

/// The nodes a flow's duplicates go to by definite links: the trigger
/// nodes of its non-idempotent targets, and the events they emit.
fn spread<'g>(spec: &'g Spec, graph: &'g Graph, flow: FlowId) -> impl Iterator<Item = u32> + 'g {
    let f = spec.flow(flow);
    let events = spec.flows.len() as u32;
    f.targets.iter().enumerate().filter(|(_, target)| creates(target)).flat_map(move |(t, target)| {
        let node = graph.target_nodes(flow).get(t).copied().flatten();
        let definite = node.filter(|&n| graph.nodes.get(n as usize).is_some_and(|k| !k.is_possible()));
        let emitted = target.emits.iter().filter_map(move |e| e.target).map(move |e| events + e.0);
        definite.into_iter().chain(emitted)
    })
}

/// Where a node's duplicates go next, in the duplicate-spreading graph.
fn next<'g>(spec: &'g Spec, graph: &'g Graph, node: u32) -> Box<dyn Iterator<Item = u32> + 'g> {
    match graph.nodes.get(node as usize) {
        Some(TriggerNode::Flow(f)) => Box::new(spread(spec, graph, *f)),
        Some(_) => Box::new(graph.definite_successors(node).filter(move |&n| match graph.nodes.get(n as usize) {
            Some(TriggerNode::Flow(f)) => first_creating_target(spec.flow(*f)).is_some(),
            _ => true,
        })),
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
    /// Per event: whether its consumers absorb a repeat (`absorbing_events`).
    absorbs: Vec<bool>,
}

pub(crate) fn attribute(spec: &Spec, graph: &Graph) -> Attribution {
    let n = graph.nodes.len();
    // A vendor's flow is asked about apart (`vendors_flow`): its repeats
    // are the vendor's to prevent, and a team's flow downstream of it is
    // still the team's own origin.
    let absorbs = absorbing_events(spec, graph);
    let offending: Vec<FlowId> = spec
        .flow_ids()
        .filter(|&f| offends(spec, &absorbs, spec.flow(f)) && vendor_of(spec, spec.flow(f)).is_none())
        .collect();
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
    Attribution { origins, parent, origin_of, depth, absorbs }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
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
    // Origins that ask one thing are one finding: flows from one source
    // that write the same targets the same way, for the same reasons (one
    // handler of a producer's several events, which a spec writes as a flow
    // per event because a flow has one trigger).
    let mut asked = Asked::new(&NON_IDEMPOTENT_PATH);
    for &origin in &a.origins {
        let d = diagnostic(spec, graph, &a, origin, count[origin.index()], deepest[origin.index()]);
        let question = question(spec, origin, &d);
        asked.items.push((origin, (d, question)));
    }
    group_asked(spec, asked, out);
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if let Some(vendor) = vendor_of(spec, flow)
            && offends(spec, &a.absorbs, flow)
        {
            out.push(vendors_flow(spec, graph, &a, id, vendor));
        }
    }
    for id in spec.flow_ids() {
        if let Some(d) = charge_on_request(spec, id) {
            out.push(d);
        }
    }
}

/// What flow `id`'s finding `d` asks, with the flow's own name taken out:
/// the system its first named write goes to, and the source it reads, the
/// writes it names and the reasons it runs twice. Where its duplicates
/// reach further flows, the path it shows is its own and is not part of
/// the question. `None` (reported alone) for a flow whose source is not a
/// system.
fn question(spec: &Spec, id: FlowId, d: &Diagnostic) -> Option<(SystemId, String)> {
    let flow = spec.flow(id);
    let into = flow.targets.iter().find(|t| d.primary.loc == t.action.as_ref().map_or(t.loc, |a| a.loc))?;
    let asked = d.message.split_once(DOWNSTREAM).map_or(d.message.as_str(), |(asked, _)| asked);
    // The reasons it runs twice and the vendor's facts, which name no
    // flow; not the flows its duplicates reach.
    let labels = d.secondary.iter().map(|l| l.message.as_ref()).filter(|m: &&str| !m.starts_with(REACHED));
    super::util::asked_of(spec, flow, into.system.target, asked, labels)
}

/// How a finding's message goes on when its duplicates reach further
/// flows, and how its labels at those flows begin.
const DOWNSTREAM: &str = "; each duplicate sets off";
/// What a finding of messages sent again adds: why it only asks.
const RESENT: &str = ": a repeat sends the same message again, which is noise where a person reads it and a second action where a \
     service acts on it";
const REACHED: &str = "duplicates reach this flow";
/// What a finding of new files and nothing more adds: why it only asks.
const FILED: &str = ": a repeat writes one more file (a dump, a raw copy, a staging file), a second record only where \
     something reads every file there as records";

/// Whose flow it is, when a vendor's: `run-by` says so, or it is an
/// in-product automation (`util::vendor`), or it joins two vendors'
/// products directly and states nothing of its delivery
/// (`util::between_vendors`), where the connector keys what it creates by
/// the source record's id far more often than not.
fn vendor_of(spec: &Spec, flow: &Flow) -> Option<String> {
    if let Some(vendor) = super::util::vendor(spec, flow) {
        return Some(format!("{}: whether it repeats a write is `{}`'s", vendor.why(), vendor.name()));
    }
    super::util::between_vendors(spec, flow).then(|| {
        "it joins two vendors' products directly and states nothing of its delivery, as a vendor's connector \
         does: its repeats are the vendor's to prevent"
            .to_owned()
    })
}

/// The finding for a vendor's flow that can run twice into a
/// non-idempotent write: an info, a question for the vendor.
fn vendors_flow(spec: &Spec, graph: &Graph, a: &Attribution, id: FlowId, why: String) -> Diagnostic {
    let mut d = diagnostic(spec, graph, a, id, 0, None);
    d.message = format!("{}; {why}", d.message);
    d.severity = crate::diagnostic::Severity::Info;
    d.fix = None;
    d.help = "ask the vendor whether its integration delivers a change more than once (a webhook retried, a sync \
              that overlaps its last run) and whether it recognises a repeat by the source record's id; if your own \
              code runs this flow, add `idempotency-key` (a flow that states its `retry`, `dead-letter` or `log` is \
              taken as yours)"
        .into();
    d
}

/// Who asks again for a flow started by a request: the caller waiting for
/// its `reply`, or the client of a `website` system that sent it.
enum Asker {
    Reply(crate::model::Loc),
    Client { system: String, at: crate::model::Loc },
}

fn asker(spec: &Spec, flow: &Flow) -> Option<Asker> {
    if let Some(reply) = &flow.reply {
        return Some(Asker::Reply(reply.loc));
    }
    let TriggerKind::On { event } = &flow.trigger.as_ref()?.kind else { return None };
    let event = spec.event(event.target?);
    if event.delivery.as_ref().is_some_and(|d| d.value == crate::model::EventDelivery::AtMostOnce) {
        return None;
    }
    let producer = spec.system(event.from.as_ref()?.target?);
    (producer.kind() == crate::model::SystemKind::Website)
        .then(|| Asker::Client { system: producer.name.value.to_string(), at: event.name.loc })
}

/// A flow started by a request (it replies, or its event is a `website`
/// client's) that charges (a `create` on a `payments` system) or moves an
/// amount (an `increment`) without an
/// idempotency key, where the flow's own retries do not already make it an
/// origin: the caller whose answer is late asks again. A vendor's own
/// integration is asked at info, as a question for the vendor.
fn charge_on_request(spec: &Spec, id: FlowId) -> Option<Diagnostic> {
    let flow = spec.flow(id);
    let asker = asker(spec, flow)?;
    if flow.misspelt("idempotency-key") {
        return None;
    }
    let asked = |t: usize| {
        let target = &flow.targets[t];
        (charges(spec, target) || adds_to(target) || books(target))
            && !creates_what_takes_no_money(target)
            && flow.key_for(t).is_none()
            && flow.runs_twice(spec, t).is_none()
    };
    // The write a repeat does most harm with: a charge (a payout's
    // transfer) before a record made on the way to it (its payee).
    let charges_money = |t: usize| {
        let target = &flow.targets[t];
        charges(spec, target)
            && target.entity.as_ref().is_none_or(|e| moves_money(&e.name.value) && !payable(&e.name.value))
    };
    let first = (0..flow.targets.len())
        .find(|&t| asked(t) && charges_money(t))
        .or_else(|| (0..flow.targets.len()).find(|&t| asked(t)))?;
    let target = &flow.targets[first];
    let at = target.action.as_ref().map_or(target.loc, |a| a.loc);
    let key = idempotency_key(spec, flow);
    let child = format!("idempotency-key {}", crate::syntax::cursor::requote("\"", &key));
    let fix = flow
        .idempotency_key
        .is_none()
        .then(|| Fix::needs_review(format!("Add `{child}`"), vec![super::util::add_to_flow(spec, id, &child)]));
    let (who, asked_at, why) = match &asker {
        Asker::Reply(loc) => (
            "answers a caller that asks again when the answer is late".to_owned(),
            *loc,
            "the caller waits for this answer, and retries a late one".to_owned(),
        ),
        Asker::Client { system, at } => (
            format!("is started by a request from `{system}`, whose client sends it again when no answer comes"),
            *at,
            format!("a request from `{system}`: a timed-out or double-clicked request comes again"),
        ),
    };
    let system = &target.system.name.value;
    // The second record a repeat makes, named where it is not a charge: a
    // customer or a subscription made at a payments system, an order or an
    // invoice the payer pays later (PayPal's order), or an order (an
    // invoice, a payment) made anywhere else.
    let charge = charges(spec, target);
    let entity = target.entity.as_ref().map(|e| e.name.value.as_str());
    let to_pay = charge && entity.is_some_and(payable);
    let record = entity.filter(|e| if charge { !moves_money(e) || to_pay } else { books(target) });
    let (what, label, refuses) = match record {
        Some(record) => (
            format!("creates `{record}` without an idempotency key: `create`"),
            format!(
                "a repeated request makes a second `{record}` in `{system}`{}",
                if to_pay { ", which can be paid as well" } else { "" }
            ),
            format!("`{system}` answers the repeated request with the first `{record}`"),
        ),
        None if charge => (
            "charges without an idempotency key: `create`".to_owned(),
            format!("a repeated request charges `{system}` twice"),
            "the payments system refuses the second charge".to_owned(),
        ),
        None => (
            "moves an amount without an idempotency key: `increment`".to_owned(),
            format!("a repeated request moves `{system}` twice"),
            format!("`{system}` ignores the second"),
        ),
    };
    let d = Diagnostic::new(
        &NON_IDEMPOTENT_PATH,
        at,
        format!("flow `{}` {who}, and {what} on `{system}`", flow.name.value),
    )
    .with_label(label)
    .with_secondary(asked_at, why)
    .with_owner(Owner::Flow(id));
    // A vendor's own integration (its pay page, its connector): whether it
    // sends a key is the vendor's, a question for them, at info.
    if let Some(vendor) = vendor_of(spec, flow) {
        let mut d = d.with_help(if charge && record.is_none() {
            "ask the vendor whether its integration sends an idempotency key with the charge, so that a repeated \
             request is refused rather than charged again"
        } else {
            "ask the vendor whether its integration sends an idempotency key with the request, so that a repeated \
             request finds the first record rather than making a second"
        });
        d.message = format!("{}; {vendor}", d.message);
        d.severity = Severity::Info;
        return Some(d);
    }
    let mut d = d.with_fix(fix).with_help(format!(
        "have the caller send a request id with the request and add `{child}` naming it, so that {refuses}"
    ));
    // A second order (or invoice) is found and cancelled by someone, where
    // a second charge is the customer's money: asked, not warned. So is a
    // second order at a payments system, which takes no money until the
    // payer approves it, and expires unpaid.
    if record.is_some() && (!charge || to_pay) {
        d.severity = Severity::Info;
    }
    Some(d)
}

/// Whether an entity's name says it moves money (a charge, a payment, a
/// refund, an authorisation, a payout, an invoice, an order), as a
/// customer, a subscription or a setup does not: a `create` of one at a
/// payments system is a second record, not a second charge.
fn moves_money(entity: &str) -> bool {
    const MONEY: [&str; 11] = [
        "charge",
        "pay",
        "refund",
        "transfer",
        "capture",
        "authori",
        "invoice",
        "transaction",
        "order",
        "checkout",
        "receipt",
    ];
    let entity = entity.to_ascii_lowercase();
    MONEY.iter().any(|word| entity.contains(word))
}

/// Whether an entity a payments system makes is one its payer pays later
/// (an order, an invoice, a checkout: PayPal's order, which takes no money
/// until the buyer approves it and it is captured; a crypto invoice), by
/// whole words of its name, and none that moves money (`order_payment`,
/// `invoice_refund` do).
fn payable(entity: &str) -> bool {
    const TO_PAY: [&str; 3] = ["order", "invoice", "checkout"];
    const PAID: [&str; 8] = ["charge", "payment", "refund", "transfer", "capture", "transaction", "receipt", "payout"];
    fn singular(w: &str) -> &str {
        w.strip_suffix('s').unwrap_or(w)
    }
    let words = super::util::field_words(entity);
    words.iter().any(|w| TO_PAY.contains(&singular(w)))
        && !words.iter().any(|w| PAID.contains(&singular(w)) || w.starts_with("authori"))
}

/// A `create` of something that takes no money yet (`util::takes_no_money_yet`:
/// Stripe's Checkout Session, a payment link, a quote, a token): nothing is
/// charged until someone uses it, so a second one made by a repeated
/// request is one nobody uses, which expires.
fn creates_what_takes_no_money(target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == crate::model::Action::Create)
        && target.entity.as_ref().is_some_and(|e| super::util::takes_no_money_yet(&e.name.value))
}

/// A `create` of something that moves money anywhere (an order, an
/// invoice, a payment): a second one is a second order to fill or bill,
/// asked at info (someone finds and cancels it).
fn books(target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == crate::model::Action::Create)
        && target.entity.as_ref().is_some_and(|e| moves_money(&e.name.value))
}

/// A charge: a `create` on a `payments` system.
fn charges(spec: &Spec, target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == crate::model::Action::Create)
        && target.system.target.is_some_and(|s| spec.system(s).kind() == crate::model::SystemKind::Payments)
}

/// An `increment` that moves an amount (a balance, a stock level), which a
/// repeat moves again; not a `counter`, a running total of what happened
/// (requests, attempts, a sequence's next number), which a request asked
/// again may count again without harm to anyone's money or stock.
fn adds_to(target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == crate::model::Action::Increment) && target.counter.is_none()
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

/// How many of a flow's offending writes a finding names and labels.
const MAX_NAMED: usize = 8;

fn diagnostic(
    spec: &Spec,
    graph: &Graph,
    a: &Attribution,
    origin: FlowId,
    downstream: usize,
    deepest: Option<FlowId>,
) -> Diagnostic {
    let flow = spec.flow(origin);
    let mut targets = offending_targets(spec, &a.absorbs, flow);
    // Beside a write that surely makes a second record, a request that may
    // only read (a lookup, a classification) is not worth naming.
    if targets.iter().any(|&t| !a_request(spec, &flow.targets[t])) {
        targets.retain(|&t| !a_request(spec, &flow.targets[t]));
    }
    let first = targets.first().copied().unwrap_or(0);
    let write = |t: usize| {
        let target = &flow.targets[t];
        let action = target.action.as_ref().map_or("create", |a| a.value.as_str());
        format!("`{action}` on `{}`", target.system.name.value)
    };
    // The first few targets are named and the rest counted: a flow of
    // 20,000 writes once made a message (and labels) of 20,000 entries,
    // repeated in every output format.
    let writes: Vec<String> = targets.iter().take(MAX_NAMED).map(|&t| write(t)).collect();
    let listed = match writes.split_last() {
        _ if targets.len() > MAX_NAMED => {
            format!("{} and {}", writes.join(", "), plural(targets.len() - MAX_NAMED, "other write"))
        }
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    };
    let mut message = format!(
        "flow `{}` can run twice for one change and writes without an idempotency key: {listed}",
        flow.name.value
    );
    let label = |t: usize| {
        let system = &flow.targets[t].system.name.value;
        match flow.targets[t].action.as_ref().map(|a| a.value) {
            Some(crate::model::Action::Increment) => format!("a repeated run counts twice in `{system}`"),
            _ if a_request(spec, &flow.targets[t]) => {
                format!("a repeated run sends the request to `{system}` again")
            }
            Some(crate::model::Action::Send) => format!("a repeated run sends to `{system}` again"),
            _ => format!("a repeated run makes a second record in `{system}`"),
        }
    };
    let at = |t: usize| flow.targets[t].action.as_ref().map_or(flow.targets[t].loc, |a| a.loc);
    let mut d = Diagnostic::new(&NON_IDEMPOTENT_PATH, at(first), message.clone())
        .with_label(label(first))
        .with_owner(Owner::Flow(origin));
    for &t in targets.iter().skip(1).take(MAX_NAMED - 1) {
        d = d.with_secondary(at(t), label(t));
    }
    // Why it can run twice, once per distinct reason.
    let mut causes = Vec::new();
    for &t in &targets {
        if let Some(cause) = flow.runs_twice(spec, t).map(crate::model::Twice::explain)
            && !causes.contains(&cause)
        {
            causes.push(cause);
        }
    }
    let by_webhook = targets.iter().any(|&t| matches!(flow.runs_twice(spec, t), Some(crate::model::Twice::Webhook(_))));
    for (loc, why) in causes {
        d = d.with_secondary(loc, why);
    }
    // A producer whose webhooks are the catalog's: show the vendor's fact.
    if by_webhook
        && let Some(producer) = flow.source_system(spec).map(|s| spec.system(s))
        && let Some((true, Origin::Catalog { vendor, source, at })) = producer.webhooks_fact()
    {
        let retried = producer
            .catalog()
            .and_then(|(entry, _)| entry.webhooks.delivery.fact())
            .and_then(|delivery| Some((delivery.retry_window.as_ref()?, &delivery.provenance.source)))
            .map_or(String::new(), |(window, page)| format!(", and retries them for up to {window} ({page})"));
        d = d.with_secondary(at, format!("{vendor} sends webhooks ({source}){retried}"));
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
                    format!("{REACHED}, which does `{what}` on `{}` again", g.targets[gt].system.name.value),
                );
            }
        }
        let others = downstream.saturating_sub(hops.len().saturating_sub(1));
        message
            .push_str(&format!("{DOWNSTREAM} {} downstream: {path}", plural(downstream, "more non-idempotent write")));
        if others > 0 {
            message.push_str(&format!(" (and {} not shown)", plural(others, "other")));
        }
        d.message = message;
    }
    // Requests the flow waits on (`send` with `call`) to a service that is
    // not a payment or a message: a lookup or a computation (an image
    // classified) is harmless twice, a command is not, and a spec that does
    // not say `action=read` (1.2) leaves it open, so it is a question.
    if targets.iter().all(|&t| a_request(spec, &flow.targets[t])) {
        d.severity = Severity::Info;
        d.message.push_str(
            ": if the request changes something there, it is made twice; if it only reads, say `action=read`",
        );
    }
    // Messages sent again and nothing more (no record made, no duplicate
    // carried further): whether a second copy harms is what the receiver
    // does with it (a chat post or a notice read twice is noise, a command
    // acted on twice is not), which a `send` does not say. On the
    // real-world corpus such warnings were right 56 times in 90. A
    // vendor's flow is asked of the vendor instead (`vendors_flow`).
    if downstream == 0
        && d.severity != Severity::Info
        && targets.iter().all(|&t| a_message(spec, &flow.targets[t]))
        && vendor_of(spec, flow).is_none()
    {
        d.severity = Severity::Info;
        d.message.push_str(RESENT);
    }
    // A new file each run, in a lake, and nothing more: a repeat leaves
    // one more file (a dump, a raw copy, a staging file), which harms only
    // where something reads every file there as records. On the real-world
    // corpus such warnings were right 0 times in 2.
    if downstream == 0 && d.severity != Severity::Info && targets.iter().all(|&t| a_file(spec, &flow.targets[t])) {
        d.severity = Severity::Info;
        d.message.push_str(FILED);
    }
    // A key makes the target drop repeated writes: a change of delivery,
    // for review.
    let fix = flow.idempotency_key.is_none().then(|| {
        let key = idempotency_key(spec, flow);
        let child = format!("idempotency-key {}", crate::syntax::cursor::requote("\"", &key));
        Fix::needs_review(format!("Add `{child}`"), vec![super::util::add_to_flow(spec, origin, &child)])
    });
    d.with_fix(fix).with_help(help(spec, flow, &targets))
}

/// Whether a write is a request the flow waits on (`send` with `call`) to
/// a system that neither takes payments nor sends messages: a call whose
/// answer the flow uses, which may only read.
fn a_request(spec: &Spec, target: &crate::model::Target) -> bool {
    use crate::model::SystemKind;
    target.call.is_some()
        && target.action.as_ref().is_some_and(|a| a.value == crate::model::Action::Send)
        && target.system.target.is_some_and(|s| {
            !matches!(spec.system(s).kind(), SystemKind::Payments | SystemKind::Email | SystemKind::Marketing)
        })
}

/// Whether a write is a message and nothing more: a `send`, not a request
/// the flow waits on, to a system that neither carries it further (a hub
/// or a broker, whose consumers act on each copy) nor takes payments.
fn a_message(spec: &Spec, target: &crate::model::Target) -> bool {
    use crate::model::SystemKind;
    target.call.is_none()
        && target.action.as_ref().is_some_and(|a| a.value == Action::Send)
        && target.system.target.is_some_and(|s| {
            let system = spec.system(s);
            !system.is_transport() && system.kind() != SystemKind::Payments
        })
}

/// Whether a write makes a file of its own: a `create` in a lake. (A
/// system reached as files, `api file`, may stand for a command run on
/// them, a batch job submitted: not asked at info.)
fn a_file(spec: &Spec, target: &crate::model::Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == Action::Create)
        && target.system.target.is_some_and(|s| spec.system(s).kind() == crate::model::SystemKind::Lake)
}

/// The key a flow's writes are made idempotent with: the trigger event's
/// `key`, else the first field the flow reads, else `id`.
fn idempotency_key(spec: &Spec, flow: &Flow) -> String {
    if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind)
        && let Some(id) = event.target
        && let Some(key) = &spec.event(id).key
    {
        return key.name.value.to_string();
    }
    super::util::source_fields(spec, flow)
        .and_then(|fields| fields.first())
        .map_or_else(|| "id".to_owned(), |f| f.name.value.to_string())
}

fn help(spec: &Spec, flow: &Flow, offending: &[usize]) -> String {
    let targets = offending.len();
    let key = match flow.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::On { event }) => {
            event.target.and_then(|e| spec.event(e).key.as_ref()).map(|k| k.name.value.to_string())
        }
        _ => None,
    };
    let place = if targets == 1 { "to the flow or to that `to`" } else { "to the flow, or to each of these `to`s" };
    let mut help = match key {
        Some(key) => format!("add `idempotency-key \"{key}\"` (the event's key) {place}, or write with `upsert`"),
        None => format!(
            "add `idempotency-key FIELD` naming a field that identifies the record {place}, or write with `upsert`"
        ),
    };
    // Where the target's vendor reads a key, say where, with its page.
    let mut vendors: Vec<&str> = Vec::new();
    for &t in offending {
        let Some((entry, _)) = flow.targets[t].system.target.and_then(|s| spec.system(s).catalog()) else { continue };
        if vendors.contains(&entry.id.as_str()) {
            continue;
        }
        vendors.push(&entry.id);
        let Some(idempotency) = entry.idempotency.fact() else { continue };
        let Some(name) = &idempotency.name else { continue };
        let place = match idempotency.support {
            IdempotencySupport::Header => "header",
            IdempotencySupport::BodyField => "field of the request body",
            IdempotencySupport::None => continue,
        };
        let window = idempotency.window.as_ref().map_or(String::new(), |w| format!(", kept {w}"));
        help.push_str(&format!(
            "; {} reads the `{name}` {place}{window} ({})",
            entry.name, idempotency.provenance.source
        ));
    }
    help
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
            found[0].help,
            ("add `idempotency-key \"id\"` (the event's key) to the flow or to that `to`, or write with `upsert`")
        );
        // `d1` offends too but is downstream of `o1`: no finding of its own.
        assert!(found.iter().all(|d| d.owner != Some(Owner::Flow(FlowId(1)))));
    }

    #[test]
    fn offending_flows_in_a_loop_still_get_one_origin() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a entity=x version=1
            event "b.e" from=b entity=x version=1
            flow "x" { on "a.e"; to b action=create entity=x; retry }
            flow "y" { on "b.e"; to a action=create entity=x; retry }
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

    #[test]
    fn webhooks_count_every_unkeyed_target_is_named_and_keys_apply_per_target() {
        let text = r#"
            system "shop" kind=ecommerce { webhooks #true; }
            system "stripe" kind=payments
            system "crm" kind=crm
            system "mail" kind=email
            system "slack" kind=custom
            event "signup" from=shop version=1 { key "id"; field "id" type=string; }
            event "quiet" from=shop version=1 { delivery at-most-once; }
            flow "onboard" {
                on "signup"
                to stripe action=create entity=customer
                to crm action=upsert entity=contact
                to mail action=send { idempotency-key "id"; }
                to slack action=send
                to crm action=increment entity=signups
                log
            }
            flow "calm" { on "quiet"; to slack action=send }
        "#;
        let found = test_check(&NON_IDEMPOTENT_PATH, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "flow `onboard` can run twice for one change and writes without an idempotency key: `create` on `stripe`, \
             `send` on `slack` and `increment` on `crm`"
        );
        let labels: Vec<&str> = found[0].secondary.iter().map(|l| l.message.as_ref()).collect();
        assert_eq!(
            labels,
            vec![
                "a repeated run sends to `slack` again",
                "a repeated run counts twice in `crm`",
                "delivered by webhook: the sender retries until it gets a 2xx, so repeats arrive",
            ]
        );
    }

    /// A caller asks again when the answer is late: a charge made while
    /// it waits needs a key, a charge with one does not, and an update is
    /// harmless.
    #[test]
    fn a_message_sent_again_and_nothing_more_is_asked_at_info() {
        let spec = |to: &str| {
            format!(
                r#"
                system "crm" kind=crm
                system "slack" kind=custom
                system "bus" kind=broker {{ ha #true; }}
                system "pay" kind=payments
                event "ticket.escalated" from=crm version=1
                flow "escalate" {{ on "ticket.escalated"; {to}; retry attempts=3 }}
                "#
            )
        };
        let severity = |to: &str| {
            let found = test_check(&NON_IDEMPOTENT_PATH, &spec(to));
            assert_eq!(found.len(), 1, "{to}: {found:?}");
            (found[0].severity, found[0].message.ends_with(RESENT))
        };
        // A chat post repeated: noise to a person, a second action to a
        // service that acts on it; the spec does not say which.
        assert_eq!(severity("to slack action=send entity=message"), (Severity::Info, true));
        // Into a broker, whose consumers act on each copy; into a payments
        // system; beside a record made twice: still a warning.
        assert_eq!(severity("to bus action=send entity=escalation"), (Severity::Warning, false));
        assert_eq!(severity("to pay action=send entity=refund"), (Severity::Warning, false));
        assert_eq!(
            severity("to slack action=send entity=message; to crm action=create entity=task"),
            (Severity::Warning, false)
        );
        // A send whose duplicates set off further writes is a warning too:
        // the chain of `CHAIN` ends in one, and its origin is not a message.
        let found = test_check(&NON_IDEMPOTENT_PATH, CHAIN);
        assert!(found.iter().all(|d| d.severity == Severity::Warning), "{found:?}");
    }

    #[test]
    fn a_replying_flow_that_charges_needs_a_key() {
        let spec = |key: &str| {
            format!(
                r#"
                system "web" kind=website
                system "pay" kind=payments
                system "crm" kind=crm
                event "checkout" from=web version=1 {{ key "request_id"; field "request_id" type=string }}
                flow "place" {{
                    on "checkout"
                    reply timeout="5s"
                    to pay action=create entity=charge {{ call timeout="2s"; {key} }}
                    to crm action=update entity=customer
                }}
                "#
            )
        };
        let found = test_check(&NON_IDEMPOTENT_PATH, &spec(""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "flow `place` answers a caller that asks again when the answer is late, and charges without an \
             idempotency key: `create` on `pay`"
        );
        assert!(test_check(&NON_IDEMPOTENT_PATH, &spec(r#"idempotency-key "request_id""#)).is_empty());
    }

    /// A website's client sends a request again when no answer comes: a
    /// charge it starts needs a key even without a reply, unless the event
    /// is delivered at most once.
    #[test]
    fn a_charge_started_by_a_website_request_needs_a_key() {
        let spec = |delivery: &str| {
            format!(
                r#"
                system "form" kind=website
                system "pay" kind=payments
                event "trip" from=form version=1 {{ {delivery} }}
                flow "book" {{ on "trip"; to pay action=create entity=charge; }}
                "#
            )
        };
        let found = test_check(&NON_IDEMPOTENT_PATH, &spec(""));
        assert_eq!(
            found.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
            ["flow `book` is started by a request from `form`, whose client sends it again when no answer comes, \
              and charges without an idempotency key: `create` on `pay`"]
        );
        assert!(test_check(&NON_IDEMPOTENT_PATH, &spec("delivery at-most-once")).is_empty());
        // A checkout session charges nothing until the customer pays on
        // its page: a second one expires unopened.
        let session = spec("").replace("entity=charge", "entity=checkout_session");
        assert!(test_check(&NON_IDEMPOTENT_PATH, &session).is_empty());
    }

    #[test]
    fn duplicates_spread_only_through_definite_links() {
        // `o` creates on `b` with no entity: whether `b.any` fires is only
        // possible, so `d` is not claimed downstream (and is its own origin).
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "c" kind=crm
            event "in" from=a version=1
            event "b.any" from=b version=1
            flow "o" { on "in"; to b action=create; retry }
            flow "d" { on "b.any"; to c action=create; retry }
        "#;
        let found = test_check(&NON_IDEMPOTENT_PATH, text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|d| !d.message.contains("downstream")), "{found:?}");
    }

    #[test]
    fn a_flow_of_many_writes_names_a_few_and_counts_the_rest() {
        let mut text = String::from("system \"a\" kind=crm\nsystem \"b\" kind=crm\n");
        text.push_str("event \"in\" from=a version=1 { key \"id\"; field \"id\" type=string }\n");
        text.push_str("flow \"fan\" { on \"in\"; retry\n");
        for _ in 0..500 {
            text.push_str("to b action=create\n");
        }
        text.push_str("}\n");
        let found = test_check(&NON_IDEMPOTENT_PATH, &text);
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert!(d.message.ends_with("and 492 other writes"), "{}", d.message);
        assert!(d.message.len() < 400, "{}", d.message);
        assert_eq!(d.secondary.iter().filter(|l| l.message.contains("second record")).count(), MAX_NAMED - 1);
    }
}
