//! Flows in the model: the trigger, the targets and what is written to
//! them, and how failures are handled (retries, dead letters, replies),
//! with the questions the checks ask of a flow (can it run twice, can it
//! lose data).

use super::keywords::{Action, Backoff, EventDelivery, Lookup, SystemKind};
use super::system::Request;
use super::{Allow, EntityId, EventId, FieldRef, Loc, Name, Ref, Spanned, Spec, SystemId};
use smol_str::SmolStr;
use std::time::Duration;
use thin_vec::ThinVec;

/// A flow. What most flows leave unsaid (a reply, a lock, a latency, a
/// runner, an alert) is boxed, so that an unsaid part costs a pointer rather
/// than its size: a 100,000-flow spec holds 100,000 of these, and the flow
/// went from 912 to 568 bytes this way.
#[derive(Clone, Debug)]
pub(crate) struct Flow {
    pub(crate) name: Name,
    pub(crate) trigger: Option<Trigger>,
    /// `from SYSTEM entity=E`: the batch source of a `schedule` trigger.
    pub(crate) from: Option<Box<Source>>,
    pub(crate) targets: Vec<Target>,
    pub(crate) via: Option<Ref<SystemId>>,
    pub(crate) idempotency_key: Option<Box<FieldRef>>,
    pub(crate) retry: Option<Retry>,
    pub(crate) dead_letter: Option<Loc>,
    /// (1.2) `dead-letter alert="..."`: who is told when a message is
    /// dead-lettered (a team, a channel, a pager).
    pub(crate) dead_letter_alert: Option<Box<Spanned<SmolStr>>>,
    pub(crate) log: Option<Loc>,
    pub(crate) loop_guard: Option<Loc>,
    pub(crate) latency: Option<Box<Spanned<Duration>>>,
    /// (1.2) `reply timeout=D`: the trigger's sender waits for this flow's
    /// answer and sees its failure (a synchronous webhook, an RPC, a query,
    /// a saga command with a reply).
    pub(crate) reply: Option<Box<Wait>>,
    /// (1.2) `lock duration=D`: how long the queue the flow consumes holds
    /// a message for it (a visibility timeout, a peek-lock, an ack
    /// deadline) before delivering it again; `timeout` is the duration.
    pub(crate) lock: Option<Box<Wait>>,
    /// (1.2) `when FIELD VALUE`: the flow runs only for triggers whose field
    /// has that value; every filter must hold.
    pub(crate) when: ThinVec<Filter>,
    /// (1.2) `run-by SYSTEM`: the flow is that system's own integration or
    /// in-product automation (a vendor's connector, a workflow rule), not
    /// the team's code: its delivery is the vendor's, and no backend
    /// builds it. The system is the flow's source, one of its targets or its `via`.
    pub(crate) run_by: Option<Box<Ref<SystemId>>>,
    pub(crate) allows: ThinVec<Allow>,
    /// The known children that unknown children of this flow look like
    /// (`retries` for `retry`): already reported, so the checks treat them
    /// as given rather than report their absence too.
    pub(crate) misspelt: ThinVec<&'static str>,
    /// The event an unresolved `on` most likely meant (its "did you mean"),
    /// so that event is not also reported as consumed by nothing.
    pub(crate) meant: Option<EventId>,
    pub(crate) loc: Loc,
}

impl Flow {
    /// The event the flow runs on, if it runs on one (resolved).
    pub(crate) fn trigger_event(&self) -> Option<EventId> {
        match &self.trigger.as_ref()?.kind {
            TriggerKind::On { event } => event.target,
            _ => None,
        }
    }

    /// The system the flow reads from: the event's producer, the polled
    /// system, or the `from` system of a schedule. `None` until resolved or
    /// when the reference is broken.
    pub(crate) fn source_system(&self, spec: &Spec) -> Option<SystemId> {
        match &self.trigger.as_ref()?.kind {
            TriggerKind::On { event } => spec.event(event.target?).from.as_ref()?.target,
            TriggerKind::Poll(poll) => poll.system.target,
            TriggerKind::Schedule(_) => self.from.as_ref()?.system.target,
        }
    }

    /// Why a write to target `target` can run twice for one change (the
    /// contract's first delivery question), or `None` when it cannot. A
    /// target's own `retry` counts for it alone; the flow's for every target.
    pub(crate) fn runs_twice(&self, spec: &Spec, target: usize) -> Option<Twice> {
        if let Some(retry) = self.targets.get(target).and_then(|t| t.retry.as_deref()).or(self.retry.as_ref()) {
            return Some(Twice::Retry(retry.loc));
        }
        // A caller that waits for the reply sees the failure and decides
        // itself whether to ask again (a person's page, an app): the
        // transport's redelivery is not a question here, only the flow's own
        // retries are. A vendor's webhook decides by itself, though: its
        // sender sends again when the answer fails or comes late (Stripe,
        // Plaid), as an event declared at least once is sent again.
        if self.reply.is_some() {
            let asked_by_a_person =
                self.source_system(spec).is_some_and(|s| spec.system(s).kind() == SystemKind::Website);
            return self.resent(spec).filter(|_| !asked_by_a_person);
        }
        let trigger = self.trigger.as_ref()?;
        if matches!(trigger.kind, TriggerKind::Poll(_)) {
            return Some(Twice::Poll(trigger.loc));
        }
        // A broker redelivers what is not acknowledged, unless its consumer
        // acknowledges on receipt (`delivery at-most-once`, auto-ack).
        if let Some(via) = self
            .via
            .as_ref()
            .filter(|v| v.target.is_some_and(|s| spec.system(s).kind() == SystemKind::Broker))
            .filter(|_| !self.consumed_at_most_once(spec))
        {
            return Some(Twice::Broker(via.name.loc));
        }
        self.resent(spec)
    }

    /// Why the flow's event can arrive twice by itself, whatever the flow
    /// does: its sender retries a webhook until it gets a 2xx, or the
    /// event says `delivery at-least-once`.
    fn resent(&self, spec: &Spec) -> Option<Twice> {
        let TriggerKind::On { event } = &self.trigger.as_ref()?.kind else { return None };
        let event = spec.event(event.target?);
        match event.delivery.as_ref().map(|d| d.value) {
            Some(EventDelivery::AtLeastOnce) => Some(Twice::Declared(event.delivery.as_ref()?.loc)),
            Some(EventDelivery::AtMostOnce) => None,
            None => {
                let producer = event.from.as_ref()?.target?;
                // (1.2) A flow its event's producer runs itself (`run-by`,
                // an in-product automation) gets the event inside that
                // product, not by webhook.
                if self.run_by.as_ref().is_some_and(|r| r.target == Some(producer)) {
                    return None;
                }
                spec.system(producer).has_webhooks().then_some(Twice::Webhook(event.name.loc))
            }
        }
    }

    /// Whether a failed write to target `target` loses the data (the
    /// contract's second delivery question): no `retry` (the target's or
    /// the flow's), not via a broker (unless its consumer acknowledges on
    /// receipt, `delivery at-most-once`), not a poll, not the relay of an
    /// outbox or a change log (`reads_a_log`), not a scheduled full
    /// sync (`resyncs`). A webhook sender's own retries do not count: the
    /// receiver acknowledges before it writes.
    pub(crate) fn can_lose(&self, spec: &Spec, target: usize) -> bool {
        // The caller waits for the reply, so it sees the failure: nothing is
        // lost without its knowing.
        if self.reply.is_some() {
            return false;
        }
        let retried = self.retry.is_some() || self.targets.get(target).is_some_and(|t| t.retry.is_some());
        let polled = matches!(self.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Poll(_)));
        let redelivered = self.via_broker(spec) && !self.consumed_at_most_once(spec);
        !retried
            && !polled
            && !redelivered
            && !self.reads_a_log(spec)
            && !self.resyncs(target)
            && !self.marks_done_after(target)
    }

    /// Whether the flow reads its event, not through a broker, from a
    /// producer that commits its events with its writes (`outbox`: an
    /// outbox table, change data capture): the flow is the relay, which
    /// moves its position in the log only after its writes, so a failed
    /// run reads the same events again, as a poll does (unless the event is
    /// declared `delivery at-most-once`).
    pub(crate) fn reads_a_log(&self, spec: &Spec) -> bool {
        matches!(self.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::On { .. }))
            && !self.via_broker(spec)
            && !self.consumed_at_most_once(spec)
            && self.source_system(spec).is_some_and(|s| spec.system(s).outbox.is_some())
    }

    /// Whether a scheduled flow marks each record it reads as done in the
    /// place it reads it from, after the write `target`: a job over a work
    /// table (notifications to process, rows to export) that updates the
    /// record it read once its writes succeed, or deletes it (a make line's
    /// finished order), the delete being this write or a later one. A
    /// record whose write failed stays as it was, and the next run takes it
    /// again.
    pub(crate) fn marks_done_after(&self, target: usize) -> bool {
        let scheduled = matches!(self.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Schedule(_)));
        let Some(from) = self.from.as_ref().filter(|_| scheduled) else { return false };
        let (Some(system), Some(entity)) = (from.system.target, from.entity.as_ref().and_then(|e| e.target)) else {
            return false;
        };
        self.targets.iter().enumerate().skip(target).any(|(index, t)| {
            let marks = |a: &Spanned<Action>| match a.value {
                Action::Delete => true,
                Action::Update | Action::Upsert => index > target,
                _ => false,
            };
            t.system.target == Some(system)
                && t.entity.as_ref().and_then(|e| e.target) == Some(entity)
                && t.action.as_ref().is_some_and(marks)
        })
    }

    /// Whether the flow's trigger is an event declared `delivery
    /// at-most-once`: its consumer acknowledges on receipt (a broker's
    /// auto-ack), so nothing redelivers it, through a broker or not.
    pub(crate) fn consumed_at_most_once(&self, spec: &Spec) -> bool {
        let Some(TriggerKind::On { event }) = self.trigger.as_ref().map(|t| &t.kind) else { return false };
        event
            .target
            .is_some_and(|e| spec.event(e).delivery.as_ref().is_some_and(|d| d.value == EventDelivery::AtMostOnce))
    }

    /// Whether a person starts each run (`manual`, since 1.2): a batch job
    /// with no clock.
    pub(crate) fn runs_by_hand(&self) -> bool {
        matches!(self.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Schedule(s)) if s.manual)
    }

    /// Whether the flow is a scheduled full read: a `schedule` that reads
    /// its `from` source whole at every run (a schedule has no cursor), or
    /// (since 1.2) a `window` of it that spans at least two runs (the last
    /// 30 days, read daily), so that the next run reads again every record
    /// a failed one read. A window of one run's span (yesterday's sales,
    /// read daily) is not: the next run does not come back to it.
    pub(crate) fn reads_whole_source(&self) -> bool {
        let Some(TriggerKind::Schedule(schedule)) = self.trigger.as_ref().map(|t| &t.kind) else { return false };
        let Some(from) = self.from.as_ref().filter(|f| f.system.target.is_some()) else { return false };
        from.window.as_ref().is_none_or(|window| schedule.gap().is_some_and(|gap| window.value >= 2 * gap))
    }

    /// Whether target `target` is written by a scheduled full sync: a
    /// full read (`reads_whole_source`) that writes by `upsert` or
    /// `update`. A failed run loses nothing: the next one reads every
    /// record again and writes what still differs.
    pub(crate) fn resyncs(&self, target: usize) -> bool {
        // The action first: it is read off the target, where the window's
        // test may read a cron.
        self.targets
            .get(target)
            .and_then(|t| t.action.as_ref())
            .is_some_and(|a| matches!(a.value, Action::Upsert | Action::Update))
            && self.reads_whole_source()
    }

    /// Whether the flow runs through a system of kind `broker`.
    pub(crate) fn via_broker(&self, spec: &Spec) -> bool {
        self.via.as_ref().and_then(|v| v.target).is_some_and(|s| spec.system(s).kind() == SystemKind::Broker)
    }

    /// Whether the caller of the flow waits for its answer (`reply`).
    pub(crate) fn replies(&self) -> bool {
        self.reply.is_some()
    }

    /// The idempotency key that covers target `target`: its own, else the flow's.
    pub(crate) fn key_for(&self, target: usize) -> Option<&FieldRef> {
        self.targets.get(target).and_then(|t| t.idempotency_key.as_deref()).or(self.idempotency_key.as_deref())
    }

    /// The retry that covers target `target`: its own, else the flow's.
    pub(crate) fn retry_for(&self, target: usize) -> Option<&Retry> {
        self.targets.get(target).and_then(|t| t.retry.as_deref()).or(self.retry.as_ref())
    }

    /// Whether the flow has an unknown child that looks like `child`.
    pub(crate) fn misspelt(&self, child: &str) -> bool {
        self.misspelt.contains(&child)
    }

    /// (1.2) Who runs the flow, when it is not the team: the system its
    /// `run-by` names (by name, resolved or not, so that a misspelt one is
    /// not also reported as the team's flow).
    pub(crate) fn runner(&self) -> Option<&str> {
        self.run_by.as_ref().map(|r| r.name.value.as_str())
    }

    /// Point-to-point: no `via` transport.
    pub(crate) fn is_point_to_point(&self) -> bool {
        self.via.is_none()
    }
}

/// Why a write can run twice for one change, with the place that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Twice {
    /// A `retry`: a retried write that had in fact succeeded runs again.
    Retry(Loc),
    /// A `poll` trigger: overlapping reads.
    Poll(Loc),
    /// `via` a broker: it redelivers until acknowledged.
    Broker(Loc),
    /// An event delivered by webhook: senders retry until they get a 2xx.
    Webhook(Loc),
    /// An event that says `delivery at-least-once`.
    Declared(Loc),
}

impl Twice {
    /// Where the reason is written, and what it means, for a label.
    pub(crate) fn explain(self) -> (Loc, &'static str) {
        match self {
            Twice::Retry(loc) => (loc, "retried: a timeout after a successful write delivers it again"),
            Twice::Poll(loc) => (loc, "polling reads overlapping records again"),
            Twice::Broker(loc) => (loc, "the broker redelivers until it gets an acknowledgement"),
            Twice::Webhook(loc) => {
                (loc, "delivered by webhook: the sender retries until it gets a 2xx, so repeats arrive")
            }
            Twice::Declared(loc) => (loc, "delivered at least once, so repeats arrive"),
        }
    }
}

/// The one trigger of a flow.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    pub(crate) kind: TriggerKind,
    pub(crate) loc: Loc,
}

/// What starts a flow. A poll and a schedule are boxed: they say more than
/// an `on`, and most flows run on events, so a flow holds an `on`'s size
/// (a 100,000-flow spec held 17 MB of room for polls it did not have).
#[derive(Clone, Debug)]
pub(crate) enum TriggerKind {
    /// `on EVENT`: the event's producer pushes it.
    On {
        event: Ref<EventId>,
    },
    Poll(Box<Poll>),
    Schedule(Box<Schedule>),
}

/// `poll SYSTEM entity=E every=DURATION path="/orders" cursor="updated_at"`;
/// `path` and `cursor` say how the hub backend reads it.
#[derive(Clone, Debug)]
pub(crate) struct Poll {
    pub(crate) system: Ref<SystemId>,
    pub(crate) entity: Option<Ref<EntityId>>,
    pub(crate) every: Option<Spanned<Duration>>,
    pub(crate) path: Option<Spanned<SmolStr>>,
    pub(crate) cursor: Option<Spanned<SmolStr>>,
}

impl Poll {
    /// Whether the poll reads only records created since its last run: its
    /// `cursor` is a creation time (`created_at`, `createdAt`,
    /// `date_created`, `creation_date`, `inserted_at`). A change to a record
    /// it has read moves no such cursor, so only a write that creates sets
    /// it off (as an event declared `on-create` is).
    pub(crate) fn reads_only_new(&self) -> bool {
        self.cursor.as_ref().is_some_and(|c| {
            let name = c.value.to_ascii_lowercase();
            ["created", "creation", "inserted"].iter().any(|w| name.contains(w))
        })
    }
}

/// `schedule every=DURATION` or `schedule cron=EXPR`; or (1.2) `manual`,
/// a batch run a person starts (a button, a command, a script run by hand),
/// which has neither: a schedule without a clock.
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    pub(crate) every: Option<Spanned<Duration>>,
    pub(crate) cron: Option<Spanned<SmolStr>>,
    /// (1.2) `manual`: a person starts each run and sees how it ends.
    pub(crate) manual: bool,
}

impl Schedule {
    /// The longest time between two runs: `every`, or the longest gap of
    /// its `cron` (`cron::gap`); `None` for a run by hand, which has no
    /// clock, and for cron syntax that estimate does not understand.
    pub(crate) fn gap(&self) -> Option<Duration> {
        if self.manual {
            return None;
        }
        self.every.as_ref().map(|e| e.value).or_else(|| self.cron.as_ref().and_then(|c| crate::cron::gap(&c.value)))
    }
}

/// `from SYSTEM entity=E` in a scheduled flow.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) system: Ref<SystemId>,
    pub(crate) entity: Option<Ref<EntityId>>,
    /// (1.2) `window="1d"`: each run reads only the records of this span
    /// (yesterday's sales, the month's hours), not the whole source, so a
    /// record a failed run missed is not read again by the next.
    pub(crate) window: Option<Spanned<Duration>>,
    pub(crate) loc: Loc,
}

/// `to SYSTEM action=A entity=E { map ...; set ... }`.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) system: Ref<SystemId>,
    pub(crate) action: Option<Spanned<Action>>,
    pub(crate) entity: Option<Ref<EntityId>>,
    pub(crate) maps: Vec<Map>,
    pub(crate) sets: ThinVec<Set>,
    /// `request method=M path=P`: how a backend sends the write.
    pub(crate) request: Option<Box<Request>>,
    /// `idempotency-key FIELD` for this target alone (overrides the flow's).
    pub(crate) idempotency_key: Option<Box<FieldRef>>,
    /// `retry ...` for this target alone (overrides the flow's); boxed, as
    /// most targets have none and a `Retry` is large.
    pub(crate) retry: Option<Box<Retry>>,
    /// `emits EVENT`: events of the target system this write sets off.
    pub(crate) emits: ThinVec<Ref<EventId>>,
    /// (1.2) For each of `emits`, in order: whether it says `outbox=#true`
    /// (the write and the event are committed together, through an outbox
    /// table or change data capture).
    pub(crate) emits_outbox: ThinVec<bool>,
    /// (1.2) `call timeout=D`: the flow waits for this target's answer.
    pub(crate) call: Option<Box<Wait>>,
    /// (1.2) `each ARRAY { map ... }`: one write per element of an array
    /// field of the trigger; boxed, as most targets have none.
    pub(crate) each: Option<Box<Each>>,
    /// (1.2) `counter`: the `increment` keeps a running total of what
    /// happened (attempts, views), not a reservation a failure must release.
    pub(crate) counter: Option<Loc>,
    /// (1.2) `match FIELD...`: the keys the write finds its record by, in
    /// the order they are tried.
    pub(crate) matches: ThinVec<MatchKey>,
    pub(crate) loc: Loc,
}

/// (1.2) `match FIELD... lookup=native|search` in a `to`: a key the write
/// finds the record it changes by. Its fields are fields of the target
/// entity, matched together (a key of several parts); several `match` in
/// one `to` are tried in order, as connectors fall back from an id to an
/// email.
#[derive(Clone, Debug)]
pub(crate) struct MatchKey {
    pub(crate) fields: Vec<FieldRef>,
    pub(crate) lookup: Option<Spanned<Lookup>>,
    pub(crate) loc: Loc,
}

/// (1.2) `reply timeout=D` in a flow or `call timeout=D` in a `to`: someone
/// waits for an answer, for at most `timeout`.
#[derive(Clone, Debug)]
pub(crate) struct Wait {
    pub(crate) timeout: Option<Spanned<Duration>>,
    pub(crate) loc: Loc,
}

/// (1.2) `each ARRAY { map SRC to=DST; set DST VALUE }` in a `to`: the write
/// runs once per element of the array field `ARRAY` of what the flow reads.
/// `src` of each map names a field of an element, declared on the event as
/// `ARRAY.SRC` (an undeclared element is schemaless); `dst` a field of the
/// target entity, as in the `to`'s own maps.
#[derive(Clone, Debug)]
pub(crate) struct Each {
    pub(crate) array: FieldRef,
    pub(crate) maps: Vec<Map>,
    pub(crate) sets: Vec<Set>,
    pub(crate) loc: Loc,
}

/// (1.2) `when FIELD VALUE` in a flow: a filter on the trigger.
#[derive(Clone, Debug)]
pub(crate) struct Filter {
    pub(crate) field: FieldRef,
    pub(crate) value: Option<Spanned<Constant>>,
    pub(crate) loc: Loc,
}

impl Target {
    /// Whether the `to` is a `read` (language 1.2): a query, a lookup, a
    /// retrieve, which changes nothing.
    pub(crate) fn reads(&self) -> bool {
        self.action.as_ref().is_some_and(|a| a.value == Action::Read)
    }

    /// Whether the `to` loads a `warehouse` or a `lake` (a `read` of one
    /// loads nothing).
    pub(crate) fn loads_storage(&self, spec: &Spec) -> bool {
        !self.reads() && self.system.target.is_some_and(|s| spec.system(s).kind().is_storage())
    }

    /// Gives back the room its vectors made and did not fill. A vector's
    /// first push makes room for four, and a target most often has one or
    /// two of each: at 100,000 flows that room was 200 MB, more than the
    /// spec's text five times over.
    pub(crate) fn shrink(&mut self) {
        self.maps.shrink_to_fit();
        self.sets.shrink_to_fit();
        self.emits.shrink_to_fit();
        self.emits_outbox.shrink_to_fit();
        self.matches.shrink_to_fit();
    }

    /// Whether this write says nothing of what it writes: no `map`, `set`
    /// or `each` (a warehouse's own SQL, a vendor's connector, a re-run of
    /// another flow's code), so no check asks what it leaves unfilled.
    pub(crate) fn maps_nothing(&self) -> bool {
        self.maps.is_empty() && self.sets.is_empty() && self.each.is_none()
    }

    /// Every destination field this write fills: its maps and sets, and
    /// those of its `each`.
    pub(crate) fn written_fields(&self) -> impl Iterator<Item = &FieldRef> {
        let each = self.each.as_deref();
        self.maps
            .iter()
            .filter_map(|m| m.dst.as_ref())
            .chain(self.sets.iter().map(|s| &s.dst))
            .chain(each.into_iter().flat_map(|e| e.maps.iter().filter_map(|m| m.dst.as_ref())))
            .chain(each.into_iter().flat_map(|e| e.sets.iter().map(|s| &s.dst)))
    }
}

/// `map SRC to=DST`: `src` indexes the trigger's event fields (or the polled
/// or extracted entity's), `dst` the target entity's fields.
#[derive(Clone, Debug)]
pub(crate) struct Map {
    pub(crate) src: FieldRef,
    pub(crate) dst: Option<FieldRef>,
    pub(crate) loc: Loc,
}

/// A constant in the spec (a `set` value), as the model keeps it: the
/// model holds no syntax types, so the stages after lowering never see KDL.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Constant {
    String(SmolStr),
    Integer(i128),
    Float(f64),
    Bool(bool),
    Null,
}

/// `set DST VALUE`: a constant written into a field of the target entity.
#[derive(Clone, Debug)]
pub(crate) struct Set {
    pub(crate) dst: FieldRef,
    pub(crate) value: Option<Spanned<Constant>>,
    pub(crate) loc: Loc,
}

/// `retry attempts=N backoff=B initial=D max=D`.
#[derive(Clone, Debug)]
pub(crate) struct Retry {
    pub(crate) attempts: Option<Spanned<u32>>,
    pub(crate) backoff: Option<Spanned<Backoff>>,
    pub(crate) initial: Option<Spanned<Duration>>,
    pub(crate) max: Option<Spanned<Duration>>,
    /// (1.2) `on="429,5xx,timeout"`: the only failures retried; the others
    /// fail at once.
    pub(crate) on: Option<Box<Spanned<Vec<RetryOn>>>>,
    pub(crate) loc: Loc,
}

/// (1.2) A failure `retry on=` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryOn {
    /// One HTTP status, such as 429.
    Status(u16),
    /// A class of statuses: `5xx` is `Class(5)`.
    Class(u8),
    /// No answer within the call's timeout, or a dropped connection.
    Timeout,
}

impl RetryOn {
    /// `429`, `5xx`, `timeout`; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<RetryOn> {
        let text = text.trim();
        if text == "timeout" {
            return Some(RetryOn::Timeout);
        }
        let bytes = text.as_bytes();
        match bytes {
            [d @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => Some(RetryOn::Class(d - b'0')),
            [b'1'..=b'5', b'0'..=b'9', b'0'..=b'9'] => text.parse().ok().map(RetryOn::Status),
            _ => None,
        }
    }
}
