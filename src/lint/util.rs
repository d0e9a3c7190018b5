//! Small helpers the topology checks share: lists of names for messages,
//! the schema a flow reads from, and whether a system is a service its
//! provider runs (`managed`, or a cloud service known by its name).

use crate::diagnostic::{Diagnostic, Edit, Fix, Member, Rule};
use crate::model::{
    EventDelivery, EventId, Field, Flow, FlowId, Owner, Spanned, Spec, SystemId, Target, TriggerKind, Wait,
};

/// How many names a message lists before it says "and N more".
pub(super) const LISTED: usize = 3;

/// "`a`, `b` and `c`", or "`a`, `b`, `c` and 4 more" when there are more
/// than `LISTED` names. Only the first `LISTED` names are formatted, so a
/// list of a million names costs a count, not a million strings.
pub(super) fn name_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut shown = Vec::new();
    let mut total = 0;
    for name in names {
        if shown.len() < LISTED {
            shown.push(format!("`{name}`"));
        }
        total += 1;
    }
    crate::prose::list(&shown, total, LISTED, "and")
}

pub(super) use crate::prose::plural;

/// The edit that adds `child` (a node, or several a line each) as the last
/// child of flow `id`.
pub(super) fn add_to_flow(spec: &Spec, id: FlowId, child: &str) -> Edit {
    Edit::InsertChild { parent: spec.flow(id).loc, child: child.to_owned() }
}

/// A number for a message: whole numbers without a fraction, others with
/// up to two decimals.
pub(super) fn number(x: f64) -> String {
    if (x - x.round()).abs() < 0.005 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// How many of a group's other flows get a label of their own; the message
/// counts the rest.
const GROUP_LABELS: usize = 50;

/// One rule's findings on single flows, gathered for `group_by`: each flow
/// with what its finding is made from (`T`), and how to make it. A finding
/// is made only when it is reported or read into its group, one at a time,
/// so a rule that finds something in each of 100,000 flows holds 100,000
/// small items rather than 100,000 findings (at that size, the difference
/// was 40 MB of `check`'s peak).
pub(super) struct PerFlow<T, F> {
    pub(super) rule: &'static Rule,
    pub(super) items: Vec<(FlowId, T)>,
    /// The finding the flow would get alone.
    pub(super) finding: F,
}

impl PerFlow<Diagnostic, fn(FlowId, Diagnostic) -> Diagnostic> {
    /// Findings already made, for a rule whose findings are few or whose
    /// making depends on much that the flow's loop worked out.
    pub(super) fn made(rule: &'static Rule) -> Self {
        PerFlow { rule, items: Vec::new(), finding: |_, d| d }
    }
}

/// Reports a rule's per-flow findings grouped by the system the flows write
/// (their first `to`): a reviewer thinks of "the handlers of service X", so
/// twelve handlers of one service without `log` are one finding listing
/// them, not twelve. Each finding in `singles` is what the flow alone would
/// get; a system with one such flow keeps it as it is.
///
/// Each flow stays addressable: a grouped finding has a label at every
/// listed flow (SARIF's related locations), and a flow with an inline
/// `allow` of the rule is left out of its group and reported alone, so that
/// the allow silences it and counts as used. The finding is owned by its
/// first flow and carries each flow's own finding (`members`), which is
/// what baselines record. A group is identified across
/// edits by its rule and system (`about_the_spec`), not by its members, so a
/// baselined group stays baselined when one of its flows is fixed.
/// `message(system, count, names)` words the grouped finding.
pub(super) fn group_by_target<T>(
    spec: &Spec,
    singles: PerFlow<T, impl Fn(FlowId, T) -> Diagnostic>,
    message: impl Fn(&str, usize, String) -> String,
    out: &mut crate::lint::Findings<'_>,
) {
    group_by(spec, singles, |_, flow| flow.targets.first().and_then(|t| t.system.target), "into", message, out);
}

/// Like `group_by_target`, grouping by the system `key` gives each flow
/// (none: the flow is reported alone); `relation` words the group's
/// identity ("the flows `into` system X", "`via` system X").
pub(super) fn group_by<T>(
    spec: &Spec,
    singles: PerFlow<T, impl Fn(FlowId, T) -> Diagnostic>,
    key: impl Fn(FlowId, &Flow) -> Option<SystemId>,
    relation: &str,
    message: impl Fn(&str, usize, String) -> String,
    out: &mut crate::lint::Findings<'_>,
) {
    group_keyed(
        spec,
        singles,
        |flow_id, flow, _| key(flow_id, flow).map(|system| (system, String::new())),
        relation,
        |system, count, names, _| message(system, count, names),
        out,
    );
}

/// What a group of `group_keyed` is: a system, and the question asked.
pub(super) type GroupKey = (SystemId, String);

/// A rule's findings on single flows, each with what it asks (the system
/// the flow writes, and the question with the flow's own name taken out;
/// `None`: reported alone), for `group_asked`.
pub(super) type Asked =
    PerFlow<(Diagnostic, Option<GroupKey>), fn(FlowId, (Diagnostic, Option<GroupKey>)) -> Diagnostic>;

impl Asked {
    pub(super) fn new(rule: &'static Rule) -> Self {
        PerFlow { rule, items: Vec::new(), finding: |_, (d, _)| d }
    }

    /// Adds flow `id`'s finding `d`, with what it asks (`asked_of`): the
    /// system `into` it writes or waits on, its message and its labels.
    pub(super) fn ask(&mut self, spec: &Spec, id: FlowId, into: Option<SystemId>, d: Diagnostic) {
        let labels = d.secondary.iter().map(|l| l.message.as_ref());
        let question = asked_of(spec, spec.flow(id), into, &d.message, labels);
        self.items.push((id, (d, question)));
    }
}

/// The system a flow writes first (a `read` writes nothing).
pub(super) fn first_written(flow: &Flow) -> Option<SystemId> {
    flow.targets.iter().find(|t| !t.reads()).and_then(|t| t.system.target)
}

/// What flow `flow`'s finding asks, for `group_asked`: the system `into`
/// it writes, and `asked` (its message, or the part of it that asks) with
/// the flow's own name taken out, after the source it reads and before
/// `labels` (the reasons, which name no flow). `None`, reported alone, for
/// a flow whose source or target is not a system.
pub(super) fn asked_of<'a>(
    spec: &Spec,
    flow: &Flow,
    into: Option<SystemId>,
    asked: &str,
    labels: impl Iterator<Item = &'a str>,
) -> Option<GroupKey> {
    let from = flow.source_system(spec)?;
    let own = format!("flow `{}`", flow.name.value);
    let mut text = format!("from `{}`:{}", spec.system(from).name.value, asked.replacen(&own, "", 1));
    for label in labels {
        text.push_str("; ");
        text.push_str(label);
    }
    Some((into?, text))
}

/// Reports `asked` grouped by what each finding asks: the flows from one
/// source that ask the same thing (one handler of a producer's several
/// events, written as a flow per event) are one finding that lists them.
pub(super) fn group_asked(spec: &Spec, asked: Asked, out: &mut crate::lint::Findings<'_>) {
    group_keyed(
        spec,
        asked,
        |_, _, (_, question)| question.clone(),
        "into",
        |_, count, names, head| format!("{} (asked the same in {count} flows from one source: {names})", head.message),
        out,
    );
}

/// The grouping under `group_by`, by a key each finding gives: a system
/// and a question (empty: every finding on the system is one group). A
/// question splits one system's findings into groups, one for each thing
/// asked (a key filled the same way), each identified by its question as
/// well as its system. `message(system, count, names, head)` words the
/// grouped finding, from the first flow's finding (`head`) if it likes.
pub(super) fn group_keyed<T>(
    spec: &Spec,
    singles: PerFlow<T, impl Fn(FlowId, T) -> Diagnostic>,
    key: impl Fn(FlowId, &Flow, &T) -> Option<GroupKey>,
    relation: &str,
    message: impl Fn(&str, usize, String, &Diagnostic) -> String,
    out: &mut crate::lint::Findings<'_>,
) {
    let PerFlow { rule, items, finding } = singles;
    let mut groups: Vec<(GroupKey, Vec<(FlowId, T)>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<GroupKey, usize> = Default::default();
    for (flow_id, item) in items {
        let flow = spec.flow(flow_id);
        let allowed = flow.allows.iter().any(|a| a.rule.value == rule.name);
        let Some(group) = key(flow_id, flow, &item).filter(|_| !allowed) else {
            out.push(finding(flow_id, item));
            continue;
        };
        let at = *index.entry(group.clone()).or_insert_with(|| {
            groups.push((group, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push((flow_id, item));
    }
    for ((system, question), mut members) in groups {
        if members.len() == 1 {
            out.extend(members.pop().map(|(f, item)| finding(f, item)));
            continue;
        }
        let count = members.len();
        let name = &spec.system(system).name.value;
        let names = name_list(members.iter().map(|(f, _)| spec.flow(*f).name.value.as_str()));
        let flow_label =
            |f: FlowId, d: &Diagnostic| format!("flow `{}`: {}", spec.flow(f).name.value, d.primary.message);
        // Each flow's finding is made and read in turn: the group keeps its
        // label (for the first `GROUP_LABELS` flows), its message as a
        // member, and its fix's edits.
        let mut made = members.into_iter().map(|(f, item)| (f, finding(f, item)));
        let Some((first, head)) = made.next() else { continue };
        let mut grouped = Diagnostic::new(head.rule, head.primary.loc, message(name, count, names, &head))
            .with_label(flow_label(first, &head))
            // Owned by its first flow, which has no `allow` of the rule
            // (those left the group), so that editors offer the allow there.
            .with_owner(Owner::Flow(first));
        let head_fix = head.fix.as_ref().map(|fix| (fix.title.clone(), fix.applicability));
        // The first flow's own labels say why (its event's delivery, a
        // vendor's fact); the others ask the same, for the same reasons. A
        // label at its name ("in this flow") would single it out.
        let named = spec.flow(first).name.loc;
        let why: Vec<_> = head.secondary.iter().filter(|l| l.loc != named).cloned().collect();
        // The help was written for one flow; it applies to each listed.
        let help = head.help.replacen("to the flow", "to each of these flows", 1);
        let mut severity = head.severity;
        let mut listed = Vec::with_capacity(count);
        let mut edits = Vec::new();
        for (at, (f, d)) in std::iter::once((first, head)).chain(made).enumerate() {
            if (1..=GROUP_LABELS).contains(&at) {
                grouped = grouped.with_secondary(d.primary.loc, flow_label(f, &d));
            }
            severity = severity.min(d.severity);
            listed.push(Member { owner: Owner::Flow(f), message: d.message, loc: d.primary.loc });
            edits.extend(d.fix.into_iter().flat_map(|fix| fix.edits));
        }
        for label in why {
            grouped = grouped.with_secondary(label.loc, label.message);
        }
        // As severe as its most severe member: a group of findings demoted
        // to infos stays an info.
        grouped.severity = severity;
        grouped.members = listed;
        // One fix for the group: each flow's own edits, all or none.
        grouped = grouped.with_fix(head_fix.map(|(title, applicability)| Fix {
            title: format!("{title} to {}", plural(count, "flow")),
            applicability,
            edits,
        }));
        let mut identity =
            format!("the flows {relation} system {}", serde_json::to_string(name.as_str()).unwrap_or_default());
        if !question.is_empty() {
            identity = format!("{identity} asked {question}");
        }
        out.push(grouped.about_the_spec(identity).with_help(help));
    }
}

/// Whether a write is a `send` to a live view (a `website` system, or one
/// reached over `api websocket`: a page, an app's screen) that shows what
/// it is sent. A repeat shows the same state again and makes no record, so
/// it is not a duplicate; and one that failed is of no use later, when the
/// view has moved on, so it is not kept for a replay.
pub(super) fn shown_live(spec: &Spec, target: &crate::model::Target) -> bool {
    let sends = target.action.as_ref().is_some_and(|a| a.value == crate::model::Action::Send);
    let Some(system) = target.system.target.map(|s| spec.system(s)) else { return false };
    let live = system.kind() == crate::model::SystemKind::Website
        || system.api_style() == Some(crate::model::ApiStyle::Websocket);
    sends && live
}

/// How an event reaches the flows on it, as the spec says: the event's own
/// `delivery`, else what its producer's `webhooks` or `outbox` implies. Every label or
/// message about delivery is worded from this, so that none contradicts a
/// declared `delivery`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Delivery {
    /// Redelivered until acknowledged: `delivery at-least-once`
    /// (`declared`), or a producer with `webhooks #true` or `outbox` (a
    /// relay reads its log from where it stopped).
    Redelivers { declared: bool },
    /// Sent once: `delivery at-most-once` (`declared`), or a producer
    /// without webhooks.
    Once { declared: bool },
}

pub(super) fn delivery_of(spec: &Spec, event: EventId) -> Delivery {
    let event = spec.event(event);
    match event.delivery.as_ref().map(|d| d.value) {
        Some(EventDelivery::AtLeastOnce) => Delivery::Redelivers { declared: true },
        Some(EventDelivery::AtMostOnce) => Delivery::Once { declared: true },
        None => {
            // A producer that commits its events with its writes (an outbox
            // table, change data capture) has them read from a log by a
            // relay that resumes where it stopped: again, not never.
            let producer = event.from.as_ref().and_then(|f| f.target).map(|s| spec.system(s));
            if producer.is_some_and(|s| s.has_webhooks() || s.outbox.is_some()) {
                Delivery::Redelivers { declared: false }
            } else {
                Delivery::Once { declared: false }
            }
        }
    }
}

/// The fields of the entity a write names, as resolution chose it: `None`
/// when it names none, or one that is not declared.
pub(super) fn target_fields<'s>(spec: &'s Spec, target: &crate::model::Target) -> Option<&'s [Field]> {
    Some(&spec.entity(target.entity.as_ref()?.target?).fields)
}

/// The fields a flow's `map` sources are read from, as resolution chose
/// them: the trigger event's fields (an event's fields describe its payload;
/// an event without fields is schemaless), or the polled or extracted
/// entity's fields. `None` when that schema is unknown.
pub(super) fn source_fields<'s>(spec: &'s Spec, flow: &Flow) -> Option<&'s [Field]> {
    match &flow.trigger.as_ref()?.kind {
        TriggerKind::On { event } => {
            let event = spec.event(event.target?);
            (!event.is_schemaless()).then_some(&event.fields[..])
        }
        TriggerKind::Poll(poll) => Some(&spec.entity(poll.entity.as_ref()?.target?).fields),
        TriggerKind::Schedule(_) => Some(&spec.entity(flow.from.as_ref()?.entity.as_ref()?.target?).fields),
    }
}

/// Entities that are people or companies: records that arrive in several
/// products and are matched across them (singular, lowercase).
const PARTIES: &[&str] = &[
    "account",
    "buyer",
    "candidate",
    "client",
    "company",
    "constituent",
    "contact",
    "customer",
    "donor",
    "employee",
    "lead",
    "member",
    "organisation",
    "organization",
    "patient",
    "person",
    "profile",
    "subscriber",
    "supplier",
    "supporter",
    "user",
    "vendor",
];

/// The words of a field name, lower-cased: split at every character that is
/// not a letter or digit, and where a capital follows a small letter
/// (Salesforce's `AccountId` is `account` and `id`).
pub(super) fn field_words(field: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_small = false;
    for c in field.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_small);
        if boundary && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        previous_small = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The words a reference's name gives before its identifier's last word
/// (`recurring`, `donation` for `RecurringDonationId`; `customer` for
/// `customer_no`), or none when the name is no reference.
pub(super) fn referenced_words(words: &[String]) -> Option<&[String]> {
    let (last, before) = words.split_last()?;
    let id = matches!(last.as_str(), "id" | "no" | "number" | "code" | "ref" | "key");
    (id && !before.is_empty()).then_some(before)
}

/// Whether an entity name means people or companies (`contacts`,
/// `Customer`, `crm_contact`).
pub(super) fn is_party(entity: &str) -> bool {
    let last = entity.rsplit(['.', '_', '-', ' ']).next().unwrap_or(entity).to_ascii_lowercase();
    let singular = match last.as_str() {
        "people" => "person",
        "companies" => "company",
        s => s.strip_suffix('s').unwrap_or(s),
    };
    PARTIES.contains(&singular)
}

/// Whether an entity a payments system makes takes no money yet: a
/// session, a link or a page the customer pays on (Stripe's Checkout
/// Session, a payment link, a hosted page), a quote, or a token (a card's,
/// an OAuth client's). Nothing is charged until someone uses it, and one
/// nobody uses expires. Whole words of the name (`checkout_session`,
/// `PaymentLink`), in either number.
pub(super) fn takes_no_money_yet(entity: &str) -> bool {
    const WORDS: [&str; 5] = ["session", "link", "page", "quote", "token"];
    field_words(entity).iter().any(|word| WORDS.contains(&word.strip_suffix('s').unwrap_or(word)))
}

/// The name of the entity a flow reads: its event's `entity=`, or the
/// polled or batch source's (by name, declared on the system or not).
pub(super) fn read_entity<'s>(spec: &'s Spec, flow: &'s Flow) -> Option<&'s str> {
    let entity = match &flow.trigger.as_ref()?.kind {
        TriggerKind::On { event } => spec.event(event.target?).entity.as_ref()?,
        TriggerKind::Poll(poll) => poll.entity.as_ref()?,
        TriggerKind::Schedule(_) => flow.from.as_ref()?.entity.as_ref()?,
    };
    Some(entity.name.value.as_str())
}

/// Whether a flow is a step of a pipeline between stores: it writes only
/// into warehouses and lakes, and a clock (a poll, a schedule) or an
/// orchestrator's signal (an event a hub raises, such as Airflow's asset
/// events) sets it off. A run that fails leaves its input where it was
/// read, to be run again; nothing in flight is lost.
///
/// So is a stream of a store's change log into storage, not through a
/// broker: the producer says `outbox` (its changes are read from its log,
/// a binlog or a write-ahead log, from where the reader stopped), and a
/// job that fails restarts from its last checkpoint and reads the log
/// again (Flink CDC, a change-data-capture loader).
pub(super) fn reruns_from_storage(spec: &Spec, flow: &Flow) -> bool {
    let rerun = match flow.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::Poll(_) | TriggerKind::Schedule(_)) => true,
        Some(TriggerKind::On { event }) => {
            event.target.and_then(|e| spec.event(e).from.as_ref()?.target).is_some_and(|producer| {
                let producer = spec.system(producer);
                producer.kind() == crate::model::SystemKind::Hub
                    || (producer.outbox.is_some() && !flow.via_broker(spec))
            })
        }
        None => false,
    };
    rerun && loads_only_storage(spec, flow)
}

/// Whether the flow `read`s (language 1.2) a system it also writes: it
/// compares before it writes, as a reconciliation does. Linear in the
/// flow's targets (a flow may have thousands).
pub(super) fn compares(flow: &Flow) -> bool {
    let written: rustc_hash::FxHashSet<crate::model::SystemId> =
        flow.targets.iter().filter(|t| !t.reads()).filter_map(|t| t.system.target).collect();
    flow.targets.iter().filter(|t| t.reads()).filter_map(|t| t.system.target).any(|s| written.contains(&s))
}

/// Software the team builds and releases itself (a service, its site, its
/// middleware), rather than a vendor's product: a `managed` hub, or a
/// system a `connector=` names, is a vendor's.
pub(super) fn team_built(system: &crate::model::System) -> bool {
    use crate::model::SystemKind;
    matches!(system.kind(), SystemKind::Custom | SystemKind::Website | SystemKind::Hub)
        && system.managed.is_none()
        && system.connector.is_none()
}

/// Whether every system a flow writes into is a warehouse or a lake (and
/// it writes somewhere): a load for analytics, run in batches by design.
/// A `read` on the way (the audits of each ticket a tap exports) writes
/// nothing.
pub(super) fn loads_only_storage(spec: &Spec, flow: &Flow) -> bool {
    let mut targets = flow.targets.iter().filter(|t| !t.reads()).filter_map(|t| t.system.target).peekable();
    targets.peek().is_some() && targets.all(|t| spec.system(t).kind().is_storage())
}

/// Whether records of an entity are kept where they live, edited there and
/// deleted there, rather than ended by a later record or a status: people
/// and companies, and the catalog and work items a business keeps (a
/// product, a ticket, a deal). Orders, payments, refunds and fulfilments
/// are made once, then cancelled or reversed by another record.
pub(super) fn kept_in_place(entity: &str) -> bool {
    const KEPT: &[&str] = &[
        "product",
        "item",
        "variant",
        "listing",
        "sku",
        "ticket",
        "task",
        "issue",
        "deal",
        "opportunity",
        "lead",
        "project",
    ];
    let last = entity.rsplit(['.', '_', '-', ' ']).next().unwrap_or(entity).to_ascii_lowercase();
    let singular = last.strip_suffix('s').unwrap_or(&last);
    is_party(entity) || KEPT.contains(&singular)
}

/// Whether a field is a new record's own id, which the target assigns on
/// a `create` whether or not the spec says `generated=#true`: `id`,
/// `internal_id`, `uuid`, or the entity's name with `_id` or `Id`.
pub(super) fn own_id(field: &str, entity: &str) -> bool {
    let field = field.to_ascii_lowercase().replace(['-', ' '], "_");
    let entity = entity.to_ascii_lowercase().replace(['-', ' '], "_");
    matches!(field.as_str(), "id" | "internal_id" | "internalid" | "uuid" | "guid")
        || field.strip_prefix(entity.as_str()).is_some_and(|rest| matches!(rest, "_id" | "id"))
}

/// (1.2) Whether a write fills, from what the flow read (a `map`, its own
/// or its `each`'s), a field its entity declares `unique=#true`: the target
/// refuses a second record with that value (a unique index, a vendor's
/// duplicate check), so a repeat of the same trigger fails rather than
/// doubles. A `set` does not count: its constant is the same for every
/// trigger, which is a different mistake.
pub(super) fn fills_unique(spec: &Spec, target: &crate::model::Target) -> bool {
    let Some(fields) = target_fields(spec, target) else { return false };
    let each = target.each.as_deref().map_or(&[][..], |e| &e.maps[..]);
    target
        .maps
        .iter()
        .chain(each)
        .filter_map(|m| m.dst.as_ref()?.target)
        .any(|i| fields.get(i as usize).is_some_and(|f| f.unique))
}

/// (1.2) Whether a match key finds at most one record because a field of
/// it is one its entity declares `unique=#true`: a key of several fields
/// with one unique among them (a saga's type and its unique correlation
/// key) is unique too, and a second record with its values is refused.
pub(super) fn key_unique(spec: &Spec, target: &crate::model::Target, key: &crate::model::MatchKey) -> bool {
    let Some(fields) = target_fields(spec, target) else { return false };
    key.fields.iter().any(|f| f.target.and_then(|i| fields.get(i as usize)).is_some_and(|f| f.unique))
}

/// (1.2) The last `to` before target `index` of a flow that the flow waits
/// on (`call`): its answer (a record read back, a search's result) may
/// carry a value a later write needs, which the language cannot pass on to
/// a `map`.
pub(super) fn answered_before(flow: &Flow, index: usize) -> Option<&crate::model::Target> {
    flow.targets.get(..index)?.iter().rev().find(|t| t.call.is_some())
}

/// Whether `name`, split into words at anything but letters and digits and
/// lowercased, contains one of `phrases`, its words one after another
/// (`["service", "bus"]` in `billing-Service-Bus`): how a product's or a
/// role's name is recognised in a name of the spec's, never as a part of a
/// longer word. The name is split once, whatever the number of phrases.
pub(super) fn has_phrase(name: &str, phrases: &[&[&str]]) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    phrases.iter().any(|phrase| !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == *phrase))
}

/// Whether a system is where a flow's failures are kept (a dead-letter
/// queue: `bookings-dlq`, `dead-letters`): a write to it is the flow's
/// dead letter written out, not a delivery of its own.
pub(super) fn dead_letter_store(system: &crate::model::System) -> bool {
    has_phrase(
        &system.name.value,
        &[&["dlq"], &["deadletter"], &["deadletters"], &["dead", "letter"], &["dead", "letters"]],
    )
}

/// Whether a system is run as a service by its provider: it says
/// `managed` (since 1.2), or it is a cloud service only its provider runs
/// (`cloud_run`), for which `managed` goes without saying.
pub(super) fn run_by_provider(system: &crate::model::System) -> bool {
    system.is_managed() || cloud_run(system)
}

/// Whether a hub or broker is a service only its cloud provider runs, so
/// that `managed` goes without saying: reached through a protocol only
/// such a service speaks (`api sqs`: Amazon SQS), or named for one
/// (`eventbridge`, `service-bus`), which `cloud_service` recognises.
fn cloud_run(system: &crate::model::System) -> bool {
    system.api_style() == Some(crate::model::ApiStyle::Sqs) || cloud_service(&system.name.value)
}

/// Whether a system's name names a service that only its cloud provider
/// runs, with no edition a team hosts itself: its words contain the
/// service's name, written as one word or as several (`eventbridge`,
/// `event-bridge`, `aws-event-bridge-bus`). Products a team may also run
/// itself (RabbitMQ, Kafka, Temporal, Redis) are not here, even as their
/// vendors' clouds.
fn cloud_service(name: &str) -> bool {
    has_phrase(
        name,
        &[
            // Amazon EventBridge, SNS, SQS, Kinesis, AppFlow; AWS Step Functions.
            &["eventbridge"],
            &["event", "bridge"],
            &["sns"],
            &["sqs"],
            &["kinesis"],
            &["appflow"],
            &["stepfunctions"],
            &["step", "functions"],
            // Google Cloud Pub/Sub, by its cloud's name (a bare `pubsub` is
            // as often Dapr's component or a database's table).
            &["google", "pubsub"],
            &["gcp", "pubsub"],
            &["cloud", "pubsub"],
            // Azure Service Bus, Event Grid, Event Hubs, Logic Apps.
            &["servicebus"],
            &["service", "bus"],
            &["eventgrid"],
            &["event", "grid"],
            &["eventhubs"],
            &["event", "hubs"],
            &["logicapps"],
            &["logic", "apps"],
            &["logic", "app"],
            // Google Eventarc.
            &["eventarc"],
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_services_are_recognised_by_whole_words_of_the_name() {
        for (name, cloud) in [
            ("eventbridge", true),
            ("orders-event-bridge-bus", true),
            ("Azure Service Bus", true),
            ("billing_servicebus", true),
            ("sns", true),
            ("eventbus", false),
            ("service-busy", false),
            ("bus-service", false),
            ("snsq", false),
            ("rabbitmq", false),
        ] {
            assert_eq!(cloud_service(name), cloud, "{name}");
        }
    }

    #[test]
    fn words_are_found_whole_and_in_order() {
        assert!(has_phrase("bookings-DLQ", &[&["dlq"]]));
        assert!(has_phrase("Order Dead-Letters", &[&["sqs"], &["dead", "letters"]]));
        assert!(!has_phrase("dlqueue", &[&["dlq"]]));
        assert!(!has_phrase("letter-dead", &[&["dead", "letter"]]));
        assert!(!has_phrase("anything", &[&[]]));
    }

    #[test]
    fn what_takes_no_money_yet_is_named_in_whole_words() {
        for entity in ["checkout_session", "PaymentLink", "client-tokens", "quote", "hosted page"] {
            assert!(takes_no_money_yet(entity), "{entity}");
        }
        for entity in ["charge", "payment", "tokenisation_fee", "linkage", "transfer", "sessionfee"] {
            assert!(!takes_no_money_yet(entity), "{entity}");
        }
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(name_list([]), "");
        assert_eq!(name_list(["a"]), "`a`");
        assert_eq!(name_list(["a", "b"]), "`a` and `b`");
        assert_eq!(name_list(["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(name_list(["a", "b", "c", "d", "e"]), "`a`, `b`, `c` and 2 more");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
    }

    /// Every topology check runs on partly broken specs without panicking:
    /// each fixture with each one of its lines removed (which leaves
    /// unresolved names, missing triggers, half-written flows) and with its
    /// text cut at every closing brace.
    #[test]
    fn checks_survive_broken_specs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
        let mut files: Vec<_> = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|d| [d.path().join("fires.kdl"), d.path().join("quiet.kdl")])
            .collect();
        files.sort();
        assert!(files.len() >= 30, "{} fixtures", files.len());
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let mut variants: Vec<String> = (0..lines.len())
                .map(|skip| {
                    lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
                })
                .collect();
            variants.extend(text.match_indices("}\n").step_by(2).map(|(i, _)| text[..i].to_owned()));
            for variant in variants {
                let spec = crate::lint::test_spec(&variant);
                let graph = crate::graph::Graph::build(&spec);
                let ctx = crate::lint::Context { spec: &spec, graph: &graph };
                // A panicking check becomes an "internal error" diagnostic for
                // users; here it is a failure.
                for d in crate::lint::run_checks(&ctx).0 {
                    assert!(!d.message.starts_with("internal error"), "{}: {}\n{variant}", file.display(), d.message);
                }
            }
        }
    }
}

/// Who delivers a flow's writes when it is not the team's code: a vendor's
/// own integration or in-product automation. The delivery checks
/// (`no-error-handling`, `no-dead-letter`, `non-idempotent-path`) report
/// such a flow at info, as a question for the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Vendor<'s> {
    /// (1.2) `run-by SYSTEM` says so.
    Stated(&'s str),
    /// Inferred: the flow reads and writes one system only, on an `on`
    /// trigger, with no `via` and no statement of its own delivery
    /// (`states_delivery`): a workflow rule inside that product.
    InProduct(&'s str),
}

impl<'s> Vendor<'s> {
    /// The vendor, by name.
    pub(crate) fn name(self) -> &'s str {
        match self {
            Vendor::Stated(name) | Vendor::InProduct(name) => name,
        }
    }

    /// Why the flow is taken to be the vendor's, for a message.
    pub(crate) fn why(self) -> String {
        match self {
            Vendor::Stated(name) => format!("`run-by` says it is `{name}`'s own integration"),
            Vendor::InProduct(name) => format!(
                "it reads and writes only `{name}`, with no `via` and no delivery stated, as `{name}`'s own \
                 automation does"
            ),
        }
    }
}

/// Whether a flow says anything of how it delivers: `retry`, `dead-letter`,
/// `log`, `idempotency-key`, `loop-guard`, `reply` or `lock` on the flow,
/// or `retry`, `idempotency-key` or `call` on a `to`. A team writes these
/// of the flows it runs; a vendor's connector has none to state.
pub(crate) fn states_delivery(flow: &Flow) -> bool {
    flow.retry.is_some()
        || flow.dead_letter.is_some()
        || flow.log.is_some()
        || flow.idempotency_key.is_some()
        || flow.loop_guard.is_some()
        || flow.reply.is_some()
        || flow.lock.is_some()
        || flow.targets.iter().any(|t| t.retry.is_some() || t.idempotency_key.is_some() || t.call.is_some())
        || !flow.misspelt.is_empty()
}

/// Who runs `flow` when the team does not (see `Vendor`); `None` for the
/// team's own flows.
pub(crate) fn vendor<'s>(spec: &'s Spec, flow: &'s Flow) -> Option<Vendor<'s>> {
    if let Some(runner) = flow.runner() {
        return Some(Vendor::Stated(runner));
    }
    if flow.via.is_some() || states_delivery(flow) || flow.targets.is_empty() {
        return None;
    }
    let Some(TriggerKind::On { .. }) = flow.trigger.as_ref().map(|t| &t.kind) else { return None };
    let source = flow.source_system(spec)?;
    flow.targets
        .iter()
        .all(|t| t.system.target == Some(source))
        .then(|| Vendor::InProduct(spec.system(source).name.value.as_str()))
}

/// Whether a flow joins two vendors' products directly and says nothing of
/// its delivery: its source and every target a SaaS product (not the
/// team's `custom` service, `website` or `database`, nor infrastructure),
/// no `via`, no statement of its delivery (`states_delivery`). Such a flow
/// is most likely one product's connector to the other; measured over the
/// real-world corpus, every `non-idempotent-path` on one was judged false
/// (the connectors key what they create by the source record's id), while
/// `no-error-handling` on them was mostly judged true, so only the first
/// takes this as a vendor's flow.
pub(crate) fn between_vendors(spec: &Spec, flow: &Flow) -> bool {
    use crate::model::SystemKind as K;
    let saas = |s: SystemId| {
        matches!(
            spec.system(s).kind(),
            K::Crm
                | K::Email
                | K::Ecommerce
                | K::Accounting
                | K::Erp
                | K::Support
                | K::Marketing
                | K::Payments
                | K::Analytics
        )
    };
    flow.via.is_none()
        && !states_delivery(flow)
        && !flow.targets.is_empty()
        && flow.runner().is_none()
        && flow.source_system(spec).is_some_and(saas)
        && flow.targets.iter().all(|t| t.system.target.is_some_and(saas))
}

/// The scheduled full syncs of a spec, keyed by what they write again at
/// every run: the source they read whole (its system, and its entity when
/// named) and the entity they `upsert` or `update` (system and name), with
/// the fields that write fills. A flow on an event whose write fails is
/// repaired by such a sync of the same records and fields at its next run:
/// late, not lost. Only a sync that runs at least every `SYNC_REPAIRS` counts:
/// a record wrong until tomorrow (a stock level, a price) is a loss a
/// reviewer would still report. Built once per check, linear in the flows'
/// writes; the first sync in the file answers.
pub(super) struct FullSyncs<'s> {
    syncs: rustc_hash::FxHashMap<SyncKey<'s>, (FlowId, rustc_hash::FxHashSet<&'s str>)>,
}

/// What a full sync writes again: the system and entity it reads, and the
/// system and entity it writes.
type SyncKey<'s> = (SystemId, Option<&'s str>, SystemId, &'s str);

/// How often a full sync must run to repair a failed write of another flow.
const SYNC_REPAIRS: std::time::Duration = std::time::Duration::from_secs(3_600);

impl<'s> FullSyncs<'s> {
    pub(super) fn of(spec: &'s Spec) -> Self {
        let mut syncs = rustc_hash::FxHashMap::default();
        for id in spec.flow_ids() {
            let flow = spec.flow(id);
            let Some(from) = flow.from.as_ref().filter(|_| flow.reads_whole_source()) else { continue };
            let often = match flow.trigger.as_ref().map(|t| &t.kind) {
                Some(TriggerKind::Schedule(s)) => s.gap().is_some_and(|gap| gap <= SYNC_REPAIRS),
                _ => false,
            };
            let Some(source) = from.system.target.filter(|_| often) else { continue };
            let read = from.entity.as_ref().map(|e| e.name.value.as_str());
            for (t, target) in flow.targets.iter().enumerate() {
                if let (true, Some(system), Some(entity)) = (flow.resyncs(t), target.system.target, &target.entity) {
                    let fields = target.written_fields().map(|f| f.name.value.as_str()).collect();
                    syncs.entry((source, read, system, entity.name.value.as_str())).or_insert((id, fields));
                }
            }
        }
        Self { syncs }
    }

    /// The full sync, other than flow `id`, that writes again what its
    /// target `t` writes: an `upsert` or `update` of the same entity and of
    /// every field the write fills (a write that names none is not known to
    /// be covered), from a whole read of the flow's own source (of the
    /// entity the flow reads, when it names one; a sync that reads the
    /// whole system covers it).
    pub(super) fn repairing(&self, spec: &'s Spec, id: FlowId, t: usize) -> Option<FlowId> {
        use crate::model::Action;
        let flow = spec.flow(id);
        let target = flow.targets.get(t)?;
        if !matches!(target.action.as_ref()?.value, Action::Upsert | Action::Update) {
            return None;
        }
        let key = |read| {
            Some((flow.source_system(spec)?, read, target.system.target?, target.entity.as_ref()?.name.value.as_str()))
        };
        let read = read_entity(spec, flow);
        let (sync, fields) = self.syncs.get(&key(read)?).or_else(|| read.and_then(|_| self.syncs.get(&key(None)?)))?;
        let mut written = target.written_fields().peekable();
        let covered = written.peek().is_some() && written.all(|f| fields.contains(f.name.value.as_str()));
        (covered && *sync != id).then_some(*sync)
    }
}

/// The full sync that writes again every write of flow `id` that `lost`
/// names (see `FullSyncs`), the first one's when several do; `None` when
/// one of them has none.
pub(super) fn repaired_by_sync(syncs: &FullSyncs<'_>, spec: &Spec, id: FlowId, lost: &[usize]) -> Option<FlowId> {
    let (&first, rest) = lost.split_first()?;
    let sync = syncs.repairing(spec, id, first)?;
    rest.iter().all(|&t| syncs.repairing(spec, id, t).is_some()).then_some(sync)
}

/// A `call` that says its `timeout`, with the attempts it gets (`retry
/// attempts=N` on its `to` or on the flow).
pub(super) struct TimedCall<'f> {
    pub(super) target: &'f Target,
    pub(super) wait: &'f Wait,
    pub(super) timeout: &'f Spanned<std::time::Duration>,
    pub(super) attempts: u32,
}

impl TimedCall<'_> {
    /// What the call can take, for a label: "`crm`: up to 2s a try, 3 tries".
    pub(super) fn label(&self) -> String {
        let (system, timeout) = (&self.target.system.name.value, duration(self.timeout.value));
        match self.attempts {
            1 => format!("`{system}`: up to {timeout}"),
            n => format!("`{system}`: up to {timeout} a try, {n} tries"),
        }
    }
}

/// The calls of `flow` that say a timeout, in the order of its `to`s, and
/// how long they can take in all, one after the other with their attempts
/// (a `retry` that says no `attempts` counts once, so the sum is at least
/// this). Calls without a timeout are not counted.
pub(super) fn timed_calls(flow: &Flow) -> (std::time::Duration, Vec<TimedCall<'_>>) {
    let mut total = std::time::Duration::ZERO;
    let mut calls = Vec::new();
    for target in &flow.targets {
        let Some(wait) = target.call.as_deref() else { continue };
        let Some(timeout) = wait.timeout.as_ref() else { continue };
        let attempts =
            target.retry.as_deref().or(flow.retry.as_ref()).and_then(|r| r.attempts.as_ref()).map_or(1, |a| a.value);
        total = total.saturating_add(timeout.value.saturating_mul(attempts));
        calls.push(TimedCall { target, wait, timeout, attempts });
    }
    (total, calls)
}

/// A duration as a finding prints it (`1m 20s`).
pub(super) fn duration(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}
