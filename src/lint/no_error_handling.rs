//! `no-error-handling`: a flow whose delivery is at most once.
//!
//! This is the contract's second delivery question (`Flow::can_lose`), asked
//! per target: without `retry` (the flow's or the target's own), a poll
//! trigger or a broker, a failed write is lost. A webhook sender's own
//! retries do not count: the receiver acknowledged before it wrote; nor
//! does a broker whose consumer acknowledges on receipt (`delivery
//! at-most-once`). A scheduled full sync loses nothing: its next run reads
//! everything again; nor does the relay of an outbox or a change log
//! (`Flow::reads_a_log`), which resumes where it stopped. A write that an
//! hourly full sync of the same records makes good is late, not lost: an
//! info.

use super::Context;
use super::util::{Asked, Delivery, group_asked};
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Fix};
use crate::model::{FlowId, Owner, Spec, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with at-most-once delivery: it has no `retry`, is not
    /// triggered by a `poll`, and does not run via a broker. An event pushed
    /// to it or a scheduled batch is attempted once. Where some `to`s have a
    /// `retry` of their own, the others are named, each system once. A
    /// `read` (since 1.2) changes nothing and loses nothing of its own (the
    /// writes it holds up are named as theirs), so a flow that only reads
    /// is not reported. A webhook sender's
    /// retries do not count: the flow acknowledged the webhook before it
    /// wrote, so a failed write is not sent again. The label on the trigger
    /// says how the event is delivered as the spec declares it (`delivery`
    /// on the event, else the producer's `webhooks`).
    ///
    /// A broker redelivers what its consumer has not acknowledged, so a flow
    /// `via` a broker is at least once, unless its event says `delivery
    /// at-most-once`: the consumer acknowledges on receipt (RabbitMQ's
    /// auto-ack, a Kafka consumer that commits before it processes), and a
    /// consumer that fails mid-message loses it. That flow is reported.
    ///
    /// A scheduled full sync is quiet: a `schedule` with a `from` source
    /// (a schedule has no cursor, so every run reads every record of the
    /// source of truth) whose writes are `upsert` or `update`. A failed run
    /// loses nothing: the next one reads the record again and writes what
    /// still differs. A `create`, `send`, `append`, `increment` or `delete`
    /// in it is asked at info: the next run meets the record whose write
    /// failed again, and it is lost only if the job skips what it has seen
    /// (a state file, a mark), which the spec cannot say (on the real-world
    /// corpus such warnings were right 16 times in 35). An incremental
    /// `poll` that gives up on a record is reported (a `poll` counts as
    /// redelivery, not a full sync). A
    /// `from` that says `window=` (since 1.2: each run reads only
    /// yesterday's sales, the month's hours) is no full sync: the next run
    /// does not read a record the failed one missed, and its writes are
    /// reported whatever their action. A window that spans at least two
    /// runs (the last 30 days, read daily) is read again by the next run,
    /// and counts as a full read.
    ///
    /// The relay of an outbox or a change log is quiet: a flow that reads
    /// its event, not through a broker, from a producer with `outbox`
    /// (change data capture on a database's log, a relay over an outbox
    /// table; Debezium commits its binlog position only after the records
    /// are written). A failed run reads the same events again. Declared
    /// `delivery at-most-once`, it is reported.
    ///
    /// A scheduled job over a work table is quiet too: one that marks each
    /// record it read as done after its writes (a later `to` that updates
    /// the `from` entity in the `from` system: notifications to process,
    /// rows to export), or deletes it (that write or a later one deletes
    /// the `from` entity in the `from` system: a make line's finished
    /// orders): a record whose write failed stays as it was, and the next
    /// run takes it again.
    ///
    /// A flow whose every lost write another flow makes good is asked at
    /// info: a scheduled full sync (above) that runs at least hourly, reads
    /// the flow's own source (its entity, when the flow reads one), and
    /// upserts or updates the same entity with every field the flow's write
    /// fills (a member's change pushed at once, beside a quarter-hourly
    /// resync of every member). What a failed write did not write, the
    /// sync's next run writes: late, not lost. A sync once a day does not
    /// count (a stock level or a price wrong until tomorrow is a loss), nor
    /// one that writes other fields, nor a `create`, `send`, `append` or
    /// `increment`, which a sync does not make again.
    ///
    /// A batch job a person starts (`manual`, since 1.2) is asked at info:
    /// whoever runs it sees a run that stops on a failed write, and what
    /// the spec cannot say is whether the run stops or skips the record.
    /// The same job on a `schedule` stays a warning: nobody watches it.
    /// With a `dead-letter` besides, such a flow (run by hand, or made good
    /// by a full sync) is no more than an info either.
    ///
    /// A write of a flow with `dead-letter` to a dead-letter queue (a
    /// system named so: `bookings-dlq`, `dead-letters`) is that dead letter
    /// written out, the failure path rather than a delivery, and is not
    /// asked about.
    ///
    /// A flow with `dead-letter` but no `retry` loses nothing: the finding
    /// says instead that every failure, even a passing timeout, goes to the
    /// dead letter. It stays a warning: a retry would have written most of
    /// those records a second later, and each one that reaches the dead
    /// letter is a replay someone has to do by hand (on a busy day, hundreds
    /// of them after one outage of a few minutes). So it is for a flow `via`
    /// a broker that redelivers: with `dead-letter` and no `retry` the
    /// broker delivers once and dead-letters the first failure (RabbitMQ's
    /// nack without requeue, and the broker target's delivery limit). A
    /// managed queue (`managed`, Amazon SQS, Azure Service Bus) delivers as
    /// many times as its own redrive policy says, which the spec does not
    /// state: asked at info, as is a vendor's own integration.
    ///
    /// A vendor's own integration or in-product automation is not the
    /// team's code: whether it retries is the vendor's. Such a flow is
    /// reported at info, as a question for the vendor (does it retry a
    /// failed write, where does it show the ones that still fail): one that
    /// says `run-by SYSTEM` (since 1.2), and one that reads and writes a
    /// single system on an `on` trigger, with no `via` and nothing of its
    /// delivery stated (no `retry`, `dead-letter`, `log`, `idempotency-key`,
    /// `loop-guard`, `reply`, `lock` or `call`), as a workflow rule inside
    /// the product does. A flow between two products that states nothing is
    /// still a warning: judged on the real-world corpus, a lost write there
    /// was a risk the reviewer accepted more often than not, whoever ran it.
    ///
    /// A step of a pipeline between stores (it writes only into warehouses
    /// and lakes, and a clock or an orchestrator's signal, an event a hub
    /// raises, sets it off) loses nothing when it fails: its input stays
    /// where it was read. Without a `retry` it is asked at info who runs it
    /// again. So is a `schedule` that reads its source (`from`) and `read`s
    /// (since 1.2) the system it writes before writing it: it compares, so
    /// what a failed run did not write is still missing at the next run,
    /// which writes it, late but not lost. A schedule that writes without
    /// reading first (a day's orders) does not come back to a failed run,
    /// and stays a warning.
    ///
    /// The team's own software writing its own database on a happening of
    /// its own (an `external` event of a `custom` or `website` system with
    /// no webhooks and no `delivery` stated, not `via` anything, and every
    /// write that could be lost into a `kind=database` system or one reached
    /// with `api database`: a person's request stored, a script's step) is
    /// asked at info: whether a failed write reaches whoever set it off (a
    /// request answered with the error, a script that stops) or is dropped,
    /// the spec does not say, and `reply` is how it says the caller waits.
    /// On the real-world corpus such warnings were right 2 times in 12.
    ///
    /// Flows from one source that ask the same (the same message and
    /// labels, their own names aside, of writes to one system: one handler
    /// of a producer's several events, written as a flow per event since a
    /// flow has one trigger) are one finding that lists them, each still
    /// addressable for `allow`, baselines and SARIF.
    ///
    /// ## Why it matters
    ///
    /// Every API fails now and then: a timeout, a 429, a deploy. Without a
    /// retry, each failure silently loses the order, lead or payment that
    /// was in flight, and nobody notices until the numbers disagree; with a
    /// dead letter and no retry, each one waits for a person to replay it.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    ///     retry attempts=5 backoff=exponential
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static NO_ERROR_HANDLING = {
        name: "no-error-handling",
        code: "WP104",
        severity: Warning,
        category: Topology,
        summary: "a flow with at-most-once delivery: a failure loses the data",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let syncs = super::util::FullSyncs::of(spec);
    // Flows from one source that ask the same (one handler of a producer's
    // several events, written as a flow per event) are one finding.
    let mut asked = Asked::new(&NO_ERROR_HANDLING);
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(trigger) = &flow.trigger else { continue };
        // A misspelt `retry` is already an error: do not pile on.
        if flow.misspelt("retry") {
            continue;
        }
        // A write to a dead-letter queue beside `dead-letter` is that dead
        // letter written out: it is the failure path, not a delivery.
        let kept = |t: usize| {
            flow.dead_letter.is_some()
                && flow.targets[t].system.target.is_some_and(|s| super::util::dead_letter_store(spec.system(s)))
        };
        // (1.2) A `read` changes nothing, so its failure loses nothing of
        // its own: what it held up is the writes after it, named as theirs.
        let lost: Vec<usize> = (0..flow.targets.len())
            .filter(|&t| !kept(t) && !flow.targets[t].reads() && flow.can_lose(spec, t))
            .collect();
        if lost.is_empty() {
            if let Some(d) = dead_lettered_at_once(spec, id) {
                ask(&mut asked, spec, id, d);
            }
            continue;
        }
        let delivery = match &trigger.kind {
            TriggerKind::On { event } => event.target.map(|e| super::util::delivery_of(spec, e)),
            _ => None,
        };
        // A sender that retries until it is answered: a webhook.
        let webhook = matches!(delivery, Some(Delivery::Redelivers { declared: false }));
        let how = match &trigger.kind {
            TriggerKind::On { .. } => match delivery {
                Some(Delivery::Redelivers { declared: true }) => {
                    "delivered at least once, but the producer stops once the flow acknowledges, which is before the \
                     write"
                }
                Some(Delivery::Redelivers { declared: false }) => {
                    "the sender stops retrying once the webhook is acknowledged, which is before the write"
                }
                Some(Delivery::Once { declared: true }) => "declared `delivery at-most-once`: each event is sent once",
                _ => "each event is delivered once",
            },
            TriggerKind::Schedule(_) if flow.runs_by_hand() => "a person starts each run",
            _ => "each scheduled run is attempted once",
        };
        // Each system once, in the order of the writes (a flow may have
        // thousands: a set, not a search of the list).
        let mut seen = rustc_hash::FxHashSet::default();
        let names: Vec<&str> = lost
            .iter()
            .map(|&t| flow.targets[t].system.name.value.as_str())
            .filter(|name| seen.insert(*name))
            .collect();
        let all = lost.len() == flow.targets.iter().filter(|t| !t.reads()).count();
        // Via a broker that does not redeliver: its consumer acknowledged
        // the message on receipt (`delivery at-most-once`).
        let auto_ack = flow.via_broker(spec).then_some(()).and(flow.via.as_ref());
        let mut d = match flow.dead_letter {
            // Nothing is lost: every failure, even a passing timeout, waits
            // in the dead letter for someone to replay it.
            Some(dead_letter) => {
                let message = if all {
                    format!(
                        "flow `{}` has no `retry`: every failed write, even a passing timeout, goes to its dead letter",
                        flow.name.value
                    )
                } else {
                    format!(
                        "flow `{}` does not retry its writes to {}: every failed write there, even a passing timeout, \
                         goes to its dead letter",
                        flow.name.value,
                        super::util::name_list(names)
                    )
                };
                Diagnostic::new(&NO_ERROR_HANDLING, flow.name.loc, message)
                    .with_label("no retry, no broker")
                    .with_secondary(trigger.loc, how)
                    .with_secondary(dead_letter, "failed writes are kept here, to be replayed by hand")
            }
            None if auto_ack.is_some() => {
                let message = format!(
                    "flow `{}` consumes its event at most once via broker `{}`: a consumer that fails mid-message \
                     loses it",
                    flow.name.value,
                    auto_ack.map_or("", |v| v.name.value.as_str())
                );
                Diagnostic::new(&NO_ERROR_HANDLING, flow.name.loc, message)
                    .with_label("no retry, and the broker does not redeliver")
                    .with_secondary(trigger.loc, how)
            }
            None => {
                let message = if all {
                    format!("flow `{}` delivers at most once: a failed write loses the data", flow.name.value)
                } else {
                    format!(
                        "flow `{}` delivers at most once to {}: a failed write there loses the data",
                        flow.name.value,
                        super::util::name_list(names)
                    )
                };
                Diagnostic::new(&NO_ERROR_HANDLING, flow.name.loc, message)
                    .with_label("no retry, no broker")
                    .with_secondary(trigger.loc, how)
            }
        };
        if let Some(via) = auto_ack {
            d = d.with_secondary(
                via.name.loc,
                "the consumer acknowledges on receipt (auto-ack), so the broker keeps no copy to redeliver",
            );
        } else if let Some(via) = &flow.via {
            d = d.with_secondary(via.name.loc, "a hub does not redeliver");
        }
        let help = if auto_ack.is_some() {
            "acknowledge after the write (manual ack) and drop `delivery at-most-once`, or add `retry attempts=5 \
             backoff=exponential` and `dead-letter`"
        } else if flow.dead_letter.is_some() {
            "add `retry attempts=5 backoff=exponential`, so that only the writes that keep failing reach the dead \
             letter, or run the flow via a broker"
        } else if webhook && flow.via.is_none() {
            // The team's own handler may answer after its writes, which the
            // spec states with `reply`.
            "add `retry attempts=5 backoff=exponential` and `dead-letter`, or run the flow via a broker; if the \
             handler answers the webhook only after its writes (a failed write answered with an error, which the \
             sender retries), say so with `reply timeout=...`"
        } else {
            "add `retry attempts=5 backoff=exponential` and `dead-letter`, or run the flow via a broker"
        };
        // Retrying (and keeping what keeps failing) changes delivery: for
        // review. A flow that has a `retry` and still loses data (through a
        // target's own settings) is left to its author: a second `retry`
        // would not settle it.
        let fix = flow.retry.is_none().then(|| {
            let (title, child) = if flow.dead_letter.is_some() {
                ("Add `retry`", "retry attempts=5 backoff=exponential")
            } else {
                ("Add `retry` and `dead-letter`", "retry attempts=5 backoff=exponential\ndead-letter")
            };
            Fix::needs_review(title, vec![super::util::add_to_flow(spec, id, child)])
        });
        // A step of a pipeline between stores: its input stays where it
        // was read, so a failure loses nothing in flight; the question is
        // who runs it again.
        if flow.dead_letter.is_none() && auto_ack.is_none() && super::util::reruns_from_storage(spec, flow) {
            let mut d = Diagnostic::new(
                &NO_ERROR_HANDLING,
                flow.name.loc,
                format!(
                    "flow `{}` is not retried: its input stays in storage, so a run that fails loses nothing, but \
                     stays failed until it is run again",
                    flow.name.value
                ),
            )
            .with_label("no retry")
            .with_secondary(trigger.loc, how)
            .with_help(
                "add `retry attempts=3 backoff=exponential` for passing failures, and say who is told when a run \
                 fails (`dead-letter alert=\"...\"`)",
            )
            .with_owner(Owner::Flow(id));
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        // A schedule that reads its source (`from`) and `read`s what it
        // writes before writing it: a comparison, so what a failed run did
        // not write is still missing at the next run, which writes it:
        // late, not lost. (A schedule that reads a window of one run's
        // span, yesterday's sales, does not come back to a failed day; one
        // that spans several runs does: `reads_whole_source`.)
        if let (TriggerKind::Schedule(_), Some(from)) = (&trigger.kind, &flow.from)
            && flow.reads_whole_source()
            && super::util::compares(flow)
            && flow.dead_letter.is_none()
            && auto_ack.is_none()
        {
            let source = from.system.name.value.as_str();
            let mut d = Diagnostic::new(
                &NO_ERROR_HANDLING,
                flow.name.loc,
                format!(
                    "flow `{}` is not retried: each run compares `{source}` with what it writes, so what a failed \
                     run did not write is written by the next run, late but not lost",
                    flow.name.value
                ),
            )
            .with_label("no retry")
            .with_secondary(trigger.loc, "the next run reads the source again")
            .with_help(
                "add `retry attempts=3 backoff=exponential` for passing failures, and say who is told when runs \
                 keep failing (`dead-letter alert=\"...\"`)",
            )
            .with_owner(Owner::Flow(id));
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        // A write that a run by hand or a full sync (below) answers for is
        // asked at info without a dead letter; with one, which keeps what
        // fails, it is no more than that.
        let synced = || super::util::repaired_by_sync(&syncs, spec, id, &lost);
        if flow.dead_letter.is_some() && auto_ack.is_none() && (flow.runs_by_hand() || synced().is_some()) {
            let mut d = d.with_help(help).with_owner(Owner::Flow(id)).with_fix(fix);
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        // (1.2) A run a person starts by hand: whoever runs it sees a run
        // that stops on a failed write, and runs it again; what the spec
        // cannot say is whether the run stops, or skips the record and
        // goes on. Asked at info.
        if flow.runs_by_hand() && flow.dead_letter.is_none() && auto_ack.is_none() {
            let mut d = Diagnostic::new(
                &NO_ERROR_HANDLING,
                flow.name.loc,
                format!(
                    "flow `{}` is run by hand and not retried: whoever runs it sees a run that stops on a failed \
                     write, but a write it skips and goes past is lost",
                    flow.name.value
                ),
            )
            .with_label("no retry")
            .with_secondary(trigger.loc, how)
            .with_help(
                "make a failed write stop the run, or list the failed records when it ends, so that whoever runs \
                 it runs them again; or add `retry attempts=3 backoff=exponential` and `dead-letter`",
            )
            .with_owner(Owner::Flow(id));
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        // A scheduled job that reads its source whole at every run (no
        // `window`, or one spanning several runs) meets again, at its next
        // run, the record whose write failed: whether it writes it again
        // depends on what the job skips (records it marked as done, a state
        // file), which the spec cannot say. Where the job in fact reads
        // only a span (yesterday's orders), `window=` says so, and the loss
        // is a warning. Judged on the real-world corpus, such warnings
        // were right 16 times in 35: asked at info.
        if flow.reads_whole_source() && flow.dead_letter.is_none() && auto_ack.is_none() {
            let source = flow.from.as_ref().map_or("", |f| f.system.name.value.as_str());
            let mut d = Diagnostic::new(
                &NO_ERROR_HANDLING,
                flow.name.loc,
                format!(
                    "flow `{}` is not retried: each run reads every record of `{source}` again, so a record whose \
                     write failed is met again at the next run, and lost only if the job skips what it has seen",
                    flow.name.value
                ),
            )
            .with_label("no retry")
            .with_secondary(trigger.loc, "each run reads the source again")
            .with_help(
                "if each run reads only a span (yesterday's orders), say so with `from ... window=`; if the job \
                 skips records it has marked as done, mark them only once written, or add `retry attempts=3 \
                 backoff=exponential` and `dead-letter`",
            )
            .with_owner(Owner::Flow(id));
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        // Another flow reads the same source whole on a schedule and
        // writes the same records again (an event's handler beside its
        // nightly resync): what a failed write did not write is written at
        // that flow's next run, late but not lost.
        if flow.dead_letter.is_none()
            && auto_ack.is_none()
            && let Some(sync) = synced()
        {
            let sync = spec.flow(sync);
            let mut d = Diagnostic::new(
                &NO_ERROR_HANDLING,
                flow.name.loc,
                format!(
                    "flow `{}` is not retried: flow `{}` reads the same source whole and writes the same fields \
                     again at its next run, so a failed write is late, not lost",
                    flow.name.value, sync.name.value
                ),
            )
            .with_label("no retry")
            .with_secondary(trigger.loc, how)
            .with_help(format!(
                "add `retry attempts=3 backoff=exponential` for passing failures, so that a record is not late by \
                 a whole interval of `{}`",
                sync.name.value
            ))
            .with_owner(Owner::Flow(id));
            if let Some(at) = sync.trigger.as_ref() {
                d = d.with_secondary(at.loc, "reads the source whole at every run, and writes the same fields");
            }
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        // A vendor's own integration: whether it retries is the vendor's,
        // so the finding is a question for them, at info.
        if let Some(vendor) = super::util::vendor(spec, flow) {
            let name = vendor.name();
            let mut d = d
                .with_help(format!(
                    "ask `{name}` whether its integration retries a write that fails, and where it shows the ones \
                     that still fail (an error list, an alert); if they are lost, reconcile the two systems now and \
                     then"
                ))
                .with_owner(Owner::Flow(id));
            d.message = format!("{}; {}: whether it retries is `{name}`'s", d.message, vendor.why());
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        // The team's own software writing its own database, on a
        // happening of its own (an `external` event: a person's request, a
        // script's step): whether the failure reaches whoever set it off
        // (a request answered with the error, a script that stops) or is
        // swallowed, the spec does not say. Asked at info.
        if flow.dead_letter.is_none()
            && auto_ack.is_none()
            && let Some(app) = own_store_write(spec, flow, &lost)
        {
            let app = spec.system(app);
            let mut d = Diagnostic::new(
                &NO_ERROR_HANDLING,
                flow.name.loc,
                format!(
                    "flow `{}` is not retried: it writes only a database, on a happening of the team's own `{}`, \
                     and whether a failed write reaches whoever set it off (a request answered with the error, a \
                     script that stops) or is dropped, the spec does not say",
                    flow.name.value, app.name.value
                ),
            )
            .with_label("no retry")
            .with_secondary(trigger.loc, how)
            .with_help(
                "if the caller waits for the write and sees its failure, say so with `reply`; if the write is fire \
                 and forget, add `retry attempts=3 backoff=exponential` and `dead-letter`",
            )
            .with_owner(Owner::Flow(id));
            d.severity = crate::diagnostic::Severity::Info;
            ask(&mut asked, spec, id, d);
            continue;
        }
        ask(&mut asked, spec, id, d.with_help(help).with_owner(Owner::Flow(id)).with_fix(fix));
    }
    group_asked(spec, asked, out);
}

/// The team's own system (`util::team_built`) whose `external` event, sent
/// as nothing says otherwise (no `delivery`, no webhooks), sets off a flow
/// not `via` anything whose every lost write (`lost`) is into a database
/// (`kind=database`, or reached with `api database`): the app writing its
/// own store in the request or script that raised the event. Such writes
/// fail into their caller as often as they are dropped: judged on the
/// real-world corpus, "a failed write loses the data" was right 2 times in 12
/// there.
fn own_store_write(spec: &Spec, flow: &crate::model::Flow, lost: &[usize]) -> Option<crate::model::SystemId> {
    let TriggerKind::On { event } = &flow.trigger.as_ref()?.kind else { return None };
    let event = spec.event(event.target?);
    let app = event.from.as_ref()?.target?;
    let system = spec.system(app);
    let database = |s: crate::model::SystemId| spec.system(s).is_database();
    (event.external.is_some()
        && event.delivery.is_none()
        && flow.via.is_none()
        && super::util::team_built(system)
        && !system.has_webhooks()
        && lost.iter().all(|&t| flow.targets[t].system.target.is_some_and(database)))
    .then_some(app)
}

/// Adds flow `id`'s finding to `asked`, asking about the system of its
/// first write.
fn ask(asked: &mut Asked, spec: &Spec, id: FlowId, d: Diagnostic) {
    asked.ask(spec, id, super::util::first_written(spec.flow(id)), d);
}

/// A flow via a broker that redelivers, with `dead-letter` and no `retry`:
/// nothing is lost, but the broker dead-letters a failed write at its first
/// failure, as the broker target builds it (one delivery, then the dead
/// letter), so a passing outage fills the dead letter. A managed queue's
/// own redrive policy (Amazon SQS, Azure Service Bus) may deliver several
/// times first, which the spec does not state: asked at info, as is a
/// vendor's own integration.
fn dead_lettered_at_once(spec: &crate::model::Spec, id: crate::model::FlowId) -> Option<Diagnostic> {
    let flow = spec.flow(id);
    let dead_letter = flow.dead_letter?;
    let via = flow.via.as_ref()?;
    let retried = flow.retry.is_some() || flow.targets.iter().any(|t| t.retry.is_some());
    let broker = via.target.map(|b| spec.system(b))?;
    if retried || flow.reply.is_some() || !flow.via_broker(spec) || flow.consumed_at_most_once(spec) {
        return None;
    }
    let managed = super::util::run_by_provider(broker);
    let message = if managed {
        format!(
            "flow `{}` has no `retry`: how many times managed `{}` delivers a failed write before its dead letter is \
             the queue's own policy, which the spec does not state",
            flow.name.value, broker.name.value
        )
    } else {
        format!(
            "flow `{}` has no `retry`: every failed write, even a passing timeout, goes to its dead letter",
            flow.name.value
        )
    };
    let mut d = Diagnostic::new(&NO_ERROR_HANDLING, flow.name.loc, message)
        .with_label("no retry")
        .with_secondary(
            via.name.loc,
            if managed {
                "its own policy says how many deliveries come first"
            } else {
                "delivers once, then dead-letters"
            },
        )
        .with_secondary(dead_letter, "failed writes are kept here, to be replayed by hand")
        .with_help(
            "add `retry attempts=5 backoff=exponential`, so that the broker redelivers a passing failure before it \
         dead-letters it",
        )
        .with_owner(Owner::Flow(id));
    if managed {
        d.severity = crate::diagnostic::Severity::Info;
    } else if let Some(vendor) = super::util::vendor(spec, flow) {
        let name = vendor.name();
        d.message = format!("{}; {}: whether it retries is `{name}`'s", d.message, vendor.why());
        d.severity = crate::diagnostic::Severity::Info;
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn retry_poll_and_broker_are_at_least_once() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "q" kind=broker
            system "z" kind=hub
            event "a.e" from=a version=1
            flow "retried" { on "a.e"; to b action=update; retry }
            flow "polled" { poll a every="1m"; to b action=update }
            flow "brokered" { on "a.e"; via q; to b action=update }
            flow "hubbed" { on "a.e"; via z; to b action=update }
            flow "plain" { on "a.e"; to b action=update }
            flow "per-target" { on "a.e"; to b action=update { retry; }; to a action=update }
            flow "all-targets" { on "a.e"; to b action=update { retry; } }
            flow "misspelt" { on "a.e"; to b action=update; retries attempts=3 }
        "#;
        let found = test_check(&NO_ERROR_HANDLING, text);
        let owners: Vec<_> = found.iter().map(|d| d.owner).collect();
        let flow = |i| Some(Owner::Flow(crate::model::FlowId(i)));
        assert_eq!(owners, vec![flow(3), flow(4), flow(5)]);
        assert_eq!(
            found[2].message,
            "flow `per-target` delivers at most once to `a`: a failed write there loses the data"
        );
    }

    #[test]
    fn a_dead_letter_keeps_what_a_missing_retry_would_lose() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a version=1
            flow "kept" { on "a.e"; to b action=update; dead-letter }
            flow "partly" { on "a.e"; to b action=update { retry; }; to a action=update; dead-letter }
        "#;
        let found = test_check(&NO_ERROR_HANDLING, text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "flow `kept` has no `retry`: every failed write, even a passing timeout, goes to its dead letter",
                "flow `partly` does not retry its writes to `a`: every failed write there, even a passing timeout, \
                 goes to its dead letter",
            ]
        );
        for d in &found {
            assert!(!d.help.contains("`dead-letter`"), "{}", d.help);
            assert!(!d.message.contains("loses"), "{}", d.message);
            assert!(d.secondary.iter().any(|l| l.message.contains("kept here")), "{:?}", d.secondary);
        }
    }

    /// The handlers of one producer's events, written as a flow per event,
    /// that lose their writes to one system the same way are one finding
    /// listing them; a flow writing another system, or losing them another
    /// way, is asked apart.
    #[test]
    fn flows_from_one_source_that_ask_the_same_are_one_finding() {
        let text = r#"
            system "shop" kind=ecommerce { webhooks #true; }
            system "books" kind=accounting
            system "crm" kind=crm
            event "order.created" from=shop version=1
            event "order.paid" from=shop version=1
            event "order.refunded" from=shop version=1
            flow "created" { on "order.created"; to books action=upsert entity=invoice }
            flow "paid" { on "order.paid"; to books action=upsert entity=invoice }
            flow "refunded" { on "order.refunded"; to books action=upsert entity=invoice; dead-letter }
            flow "to-crm" { on "order.paid"; to crm action=upsert entity=deal }
        "#;
        let found = test_check(&NO_ERROR_HANDLING, text);
        let mut messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        messages.sort_unstable();
        assert_eq!(
            messages,
            [
                "flow `created` delivers at most once: a failed write loses the data (asked the same in 2 flows \
                 from one source: `created` and `paid`)",
                "flow `refunded` has no `retry`: every failed write, even a passing timeout, goes to its dead letter",
                "flow `to-crm` delivers at most once: a failed write loses the data",
            ]
        );
        // Each listed flow stays addressable (baselines, SARIF).
        let grouped = found.iter().find(|d| d.message.starts_with("flow `created`")).unwrap();
        assert_eq!(grouped.members.len(), 2);
    }

    /// A scheduled full sync re-reads what a failed run missed; a full read
    /// that appends meets the failed record again, and is asked whether it
    /// skips what it has seen; a broker whose consumer acknowledges on
    /// receipt keeps no copy to redeliver.
    #[test]
    fn full_syncs_are_quiet_and_auto_acked_consumers_lose() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "q" kind=broker
            event "once" from=a version=1 { delivery at-most-once; }
            event "plain" from=a version=1
            flow "full-sync" { schedule every="1h"; from a entity=x; to b action=upsert; to b action=update }
            flow "full-append" { schedule every="1h"; from a entity=x; to b action=append }
            flow "no-source" { schedule every="1h"; to b action=upsert }
            flow "auto-ack" { on "once"; via q; to b action=create }
            flow "acked" { on "plain"; via q; to b action=create }
            flow "auto-ack-retried" { on "once"; via q; to b action=create; retry }
        "#;
        let found = test_check(&NO_ERROR_HANDLING, text);
        let mut messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        messages.sort_unstable();
        let full_append = found.iter().find(|d| d.message.starts_with("flow `full-append`")).unwrap();
        assert_eq!(full_append.severity, crate::diagnostic::Severity::Info);
        assert_eq!(
            messages,
            vec![
                "flow `auto-ack` consumes its event at most once via broker `q`: a consumer that fails mid-message \
                 loses it",
                "flow `full-append` is not retried: each run reads every record of `a` again, so a record whose \
                 write failed is met again at the next run, and lost only if the job skips what it has seen",
                "flow `no-source` delivers at most once: a failed write loses the data",
            ]
        );
    }

    /// Every delivery label follows the event's declared `delivery` first,
    /// then the producer's `webhooks`.
    #[test]
    fn delivery_labels_follow_the_declared_delivery() {
        let text = r#"
            system "hooks" kind=payments { webhooks #true; }
            system "plain" kind=crm
            system "b" kind=crm
            event "once" from=hooks version=1 { delivery at-most-once; }
            event "hooked" from=hooks version=1
            event "declared" from=plain version=1 { delivery at-least-once; }
            event "quiet" from=plain version=1
            flow "f-once" { on "once"; to b action=update }
            flow "f-hooked" { on "hooked"; to b action=update }
            flow "f-declared" { on "declared"; to b action=update }
            flow "f-quiet" { on "quiet"; to b action=update }
        "#;
        let found = test_check(&NO_ERROR_HANDLING, text);
        let labels: Vec<&str> = found.iter().map(|d| d.secondary[0].message.as_ref()).collect();
        assert_eq!(
            labels,
            vec![
                "declared `delivery at-most-once`: each event is sent once",
                "the sender stops retrying once the webhook is acknowledged, which is before the write",
                "delivered at least once, but the producer stops once the flow acknowledges, which is before the write",
                "each event is delivered once",
            ]
        );
    }
}
