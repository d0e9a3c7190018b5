//! `upsert-match`: a write that finds its record by a key (an `upsert`, an
//! `update`, a `delete`) whose key cannot find it, or finds the wrong one.
//!
//! The key is what the 1.2 form `match FIELD...` in a `to` states: fields
//! of the target entity, matched together, several `match` tried in order.
//! With a key stated, the check asks what an architect asks of it: is it
//! filled at all, can it be empty, is the record searched for and then
//! created (two runs at once make two), do the writers of one kind of
//! record fill each other's key, and is it a person's name or address
//! (which two people can share and one person can change). Without one,
//! an `upsert` of people or companies into another product is asked, at
//! info, what it matches on: that is where records merge and duplicate.
//! Linear: one pass over the flows; the writers of one entity are compared
//! pairwise up to `COMPARED_WRITERS` of them.

use std::collections::{BTreeMap, HashSet};

use super::Context;
use super::util::{Asked, PerFlow, group_asked, group_by, is_party, name_list, own_id, read_entity, source_fields};
use crate::diagnostic::{Diagnostic, Severity, declare_rule};
use crate::model::{
    Action, Constant, FieldType, Flow, FlowId, Loc, Lookup, MatchKey, Owner, Spec, SystemId, SystemKind, Target,
    TriggerKind,
};
use smol_str::SmolStr;

declare_rule! {
    /// ## What it finds
    ///
    /// A `to` whose `match` key (since 1.2) cannot find the record it
    /// means:
    ///
    /// - no key it states is filled by the write's `map`s and `set`s (for
    ///   an `update` or `delete`, which create nothing, nor carried by a
    ///   field of the trigger of the same name): it finds nothing, every
    ///   run;
    /// - every key is filled from a field of the trigger that is not
    ///   `required`: a record without it cannot be matched (unless a flow
    ///   writes that field back into the source: then it is the target's
    ///   own id, kept there once the record is made, and empty only for a
    ///   record not made yet); in a vendor's own integration (`run-by`)
    ///   with one key stated, which may fall back to identifiers of its own
    ///   the spec does not list, this one is an info, and so it is in a
    ///   flow with a `when` filter (since 1.2), which may let through only
    ///   records that carry the key (a filter on the key itself, with a
    ///   value, gives it one: nothing is asked); and so it is for an email
    ///   from a trigger about the person it belongs to (a customer who
    ///   registered, a lead, a member, an invitee), whose record in the
    ///   source is most often identified by it; and so it is for any field
    ///   of an event (a webhook's, a message's): a payload as a spec
    ///   declares it is most often written from an example, not a schema,
    ///   and may only leave the field unmarked, so the finding asks whether
    ///   the event can come without it (on records a flow reads from its
    ///   source, whose schema the spec declares, an order's buyer email or
    ///   a person's phone stays a warning: guest checkouts and unfilled
    ///   phones are common, while a field that is not a contact people
    ///   type in, such as an id or a reference the source assigns to
    ///   every record of its kind, is asked at info); and so it is for an
    ///   `update` or a `delete`, which creates nothing: a trigger without
    ///   the key most often concerns no record of the target (a payment
    ///   that belongs to no deal), and the finding asks whether one that
    ///   does can come without it. The id of the record the trigger is
    ///   about (`id`, or the `id` of the object a webhook wraps it in:
    ///   `data.id`, `object.id`) is taken as always there;
    /// - `lookup=search` in a flow set off by an event: the record is
    ///   searched for and then created, and two runs at once both create it
    ///   (since 1.2, on a key with a field the target declares
    ///   `unique=#true`, alone or beside others, or on an e-mail address
    ///   into an `email` or `marketing` system, which keeps one contact per
    ///   address, as Mailchimp, Brevo and listmonk do, the second create is
    ///   refused instead: with a
    ///   `retry`, which finds the record, nothing is asked; without one,
    ///   an info, since that run's change is lost);
    /// - two writers of the same records into one entity (the same source
    ///   system, or people and companies from anywhere) where one never
    ///   fills the key the other matches on: the other creates a second
    ///   record;
    /// - a key that is a name (`name`, `full_name`, `company_name`...) of
    ///   people or companies (`contact`, `customer`, `account`...), or of
    ///   records the write does not name: names are not unique. Of other
    ///   records (a blob, a tag) it is an info: whether their names are
    ///   unique is the target's rule, and a name the target declares
    ///   `unique=#true` (since 1.2) is not asked about.
    ///
    /// At info: a key of several fields that includes a person's or a
    /// company's name (first and last name with an email): unique enough,
    /// but a name changed on one side (a marriage, a corrected spelling) no
    /// longer matches, and the record is created again or not found.
    /// Also at info: a key that is an email address or a phone number alone
    /// (one person, two addresses; one address, two people), unless a
    /// warning above already speaks of the key (an info asking a vendor
    /// about an empty key does not stand in for it), and an
    /// `upsert` of people or companies (`contact`, `customer`, `lead`,
    /// `account`...) into another system that states no `match` at all,
    /// unless that system is a store of tables (a warehouse, a lake, a
    /// database), whose load merges on the primary key its source's
    /// stream declares (on the real-world corpus, such infos on warehouses
    /// were right once in 31). A
    /// `to` that maps and sets nothing (a warehouse's own transformation in
    /// SQL) does not say what it writes, and its keys are not asked about. A
    /// `create` of people or companies into a product that keeps them (a
    /// CRM, an e-mail or marketing tool, payments, books, an ERP, a shop, a
    /// support desk), with no `match` and no idempotency key, is asked
    /// whether the target may already hold the record: every run makes a
    /// new one. A key the write never fills (whole, or a part of it) is
    /// not asked about: such a write would make a new record on every run,
    /// which its authors would have seen on the first day, so the spec far
    /// more often leaves out how the key reaches it (the request's path,
    /// the answer of a `call` the flow waited on, a constant of the
    /// integration it did not `set`, the target's own id kept in a link
    /// table). Judged on the real-world corpus, such findings were right
    /// once in 81. Two writers are not compared where the
    /// spec cannot say whether the other one fills the key: it takes it
    /// from the answer of a `call` it waited on, it maps nothing (a re-run
    /// of another flow's code), or the key is the target's own id of the
    /// record (kept in a link table); asked at info, such questions were
    /// right 3 times in 85 on the real-world corpus. Nor where the other
    /// writer matches on the same key itself and maps something (its own
    /// key is the question, as above); nor where it upserts people or
    /// companies stating no key at all, which is asked what it matches on
    /// (whether it fills the other's key is part of that answer). Two `to`s of one
    /// flow that raise the same question (the same records, the same key
    /// filled the same way: a list's subscribers, then its blocklist) are
    /// one finding, which points at both.
    ///
    /// One question is one finding. Two flows from one source that write
    /// the same records of one target on the same key, filled the same way
    /// (an order's queued job and the button that runs the same code again,
    /// a registration and a profile update calling one subscribe), ask the
    /// same thing: the finding is at the first and lists the others, each
    /// with a label of its own (an `allow` on one of them takes it out of
    /// the group). A flow from another source is a handler of its own and
    /// is asked on its own.
    ///
    /// ## Why it matters
    ///
    /// An upsert is only as idempotent as its key. A key that is empty,
    /// shared or absent makes duplicates (two contacts for one customer,
    /// each with its own deal) or merges (two customers in one record, one
    /// of them billed for the other), and nothing fails, so nothing alerts.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     webhooks #true
    /// }
    /// system "crm" kind=crm
    /// event "customer.created" from=shop entity=customer version=1 {
    ///     field "id" type=string required=#true
    ///     field "email" type=email
    /// }
    /// flow "customers" {
    ///     on "customer.created"
    ///     to crm action=upsert entity=contact {
    ///         match "email" lookup=search
    ///         map "email" to="email"
    ///     }
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     webhooks #true
    /// }
    /// system "crm" kind=crm
    /// event "customer.created" from=shop entity=customer version=1 {
    ///     field "id" type=string required=#true
    ///     field "email" type=email
    /// }
    /// flow "customers" {
    ///     on "customer.created"
    ///     to crm action=upsert entity=contact {
    ///         match "shop_id" lookup=native
    ///         map "id" to="shop_id"
    ///         map "email" to="email"
    ///     }
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static UPSERT_MATCH = {
        name: "upsert-match",
        code: "WP133",
        severity: Warning,
        category: Topology,
        summary: "an upsert's key cannot find its record, or finds the wrong one",
    }
}

/// The writers of one entity compared pairwise; beyond this many, the
/// comparison is left out (a finding less, never a quadratic check).
const COMPARED_WRITERS: usize = 64;

/// Field names that are a person's or a company's name.
const NAME_KEYS: &[&str] = &[
    "name",
    "full_name",
    "fullname",
    "display_name",
    "first_name",
    "firstname",
    "last_name",
    "lastname",
    "company",
    "company_name",
    "companyname",
    "account_name",
    "customer_name",
    "contact_name",
    "organization_name",
    "organisation_name",
];

/// What identifies a person by contact rather than by an id.
#[derive(Clone, Copy, PartialEq)]
enum Natural {
    Name,
    Address,
}

fn natural(field: &str, ty: Option<FieldType>) -> Option<Natural> {
    let last = field.rsplit('.').next().unwrap_or(field).to_ascii_lowercase();
    if NAME_KEYS.contains(&last.as_str()) {
        return Some(Natural::Name);
    }
    let address =
        ty == Some(FieldType::Email) || ["email", "e_mail", "phone", "mobile"].iter().any(|w| last.contains(w));
    address.then_some(Natural::Address)
}

/// Whether the target is an email or marketing platform and the key has
/// an e-mail address (a field of type `email`, or one named for it): such
/// a platform (Mailchimp, Brevo, Klaviyo, listmonk) keeps one contact per
/// address, in a list, and refuses or merges a second create for it. Judged
/// on the real-world corpus, a race asked there as two records made was
/// wrong all seven times.
fn one_per_address(spec: &Spec, target: &Target, key: &MatchKey) -> bool {
    let platform = target
        .system
        .target
        .is_some_and(|s| matches!(spec.system(s).kind(), SystemKind::Email | SystemKind::Marketing));
    if !platform {
        return false;
    }
    let fields = super::util::target_fields(spec, target);
    key.fields.iter().any(|f| {
        let ty = fields.and_then(|fields| f.target.and_then(|i| fields.get(i as usize))).and_then(|f| f.ty.as_ref());
        ty.is_some_and(|t| t.value == FieldType::Email) || f.name.value.to_ascii_lowercase().contains("email")
    })
}

/// How a write fills one field of its target.
enum Fill<'s> {
    Never,
    /// Not written, from a trigger that does not say what it carries.
    Unknown,
    Constant,
    /// From a field of the trigger; `optional` when the trigger's schema
    /// is known and does not require it.
    Source {
        src: &'s str,
        optional: bool,
    },
}

fn fill<'s>(spec: &'s Spec, flow: &'s Flow, target: &'s Target, field: &str) -> Fill<'s> {
    let each = target.each.as_deref();
    if target.sets.iter().chain(each.into_iter().flat_map(|e| &e.sets)).any(|s| s.dst.name.value == field) {
        return Fill::Constant;
    }
    let mut maps = target.maps.iter().chain(each.into_iter().flat_map(|e| &e.maps));
    let source = source_fields(spec, flow);
    let Some(map) = maps.find(|m| m.dst.as_ref().is_some_and(|d| d.name.value == field)) else {
        // An `update` that finds its record by a key need not write it: the
        // value comes from the trigger's field of the same name, when the
        // trigger has one (or says nothing of its fields).
        if target.action.as_ref().is_some_and(|a| a.value.can_create()) {
            return Fill::Never;
        }
        return match source {
            None => Fill::Unknown,
            Some(fields) => fields
                .iter()
                .find(|f| f.name.value == field)
                .map_or(Fill::Never, |f| Fill::Source { src: &f.name.value, optional: !f.required && !f.generated }),
        };
    };
    let declared = source.zip(map.src.target).and_then(|(fields, i)| fields.get(i as usize));
    // The id of the record the trigger is about (`id`, or the `id` of the
    // object a webhook wraps it in: `data.id`, `object.id`) is there
    // whenever the trigger is, whatever the spec marks; a related record's
    // (`customer.id` on an order) may be absent.
    let its_id = match map.src.name.value.to_ascii_lowercase().rsplit_once('.') {
        None => map.src.name.value.eq_ignore_ascii_case("id"),
        Some((wrapper, last)) => {
            last == "id"
                && matches!(
                    wrapper.rsplit('.').next().unwrap_or(wrapper),
                    "data" | "object" | "payload" | "resource" | "record" | "current"
                )
        }
    };
    Fill::Source {
        src: &map.src.name.value,
        optional: !its_id && declared.is_some_and(|f| !f.required && !f.generated),
    }
}

fn fills(spec: &Spec, flow: &Flow, target: &Target, key: &MatchKey) -> bool {
    key.fields.iter().all(|f| !matches!(fill(spec, flow, target, &f.name.value), Fill::Never))
}

fn fields_of(key: &MatchKey) -> String {
    name_list(key.fields.iter().map(|f| f.name.value.as_str()))
}

/// One `to` that can create records of an entity: a `create`, or an
/// `upsert` that finds none.
struct Writer {
    flow: FlowId,
    target: usize,
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let mut created = PerFlow::made(&UPSERT_MATCH);
    let mut unstated = PerFlow::made(&UPSERT_MATCH);
    // Each flow's findings about its writes' keys, with the question each
    // asks, for `group_asked`.
    let mut asked = Asked::new(&UPSERT_MATCH);
    let mut writers: BTreeMap<(SystemId, SmolStr), Vec<Writer>> = BTreeMap::new();
    // Every field some flow writes, by system: a key read from a field that
    // a flow writes back into the source is the target's own id, kept there.
    let written: HashSet<(SystemId, &str)> = spec
        .flows
        .iter()
        .flat_map(|f| &f.targets)
        .filter_map(|t| Some((t.system.target?, t)))
        .flat_map(|(system, t)| t.written_fields().map(move |f| (system, f.name.value.as_str())))
        .collect();
    for (flow_id, flow) in spec.flow_ids().zip(&spec.flows) {
        let source = flow.source_system(spec);
        // This flow's findings about its writes' own keys, one per question,
        // and the write each is about (its target's index).
        let mut keys = Vec::new();
        let mut targets = Vec::new();
        // (1.2) The trigger fields a `when` filter gives a value: a key
        // filled from one of them is never empty. Gathered once per flow,
        // not per key.
        let gives_value = |c: &Constant| !matches!(c, Constant::Null) && *c != Constant::String(SmolStr::default());
        let valued: HashSet<&str> = flow
            .when
            .iter()
            .filter(|w| w.value.as_ref().is_some_and(|v| gives_value(&v.value)))
            .map(|w| w.field.name.value.as_str())
            .collect();
        for (index, target) in flow.targets.iter().enumerate() {
            let (Some(action), Some(system)) = (target.action.as_ref().map(|a| a.value), target.system.target) else {
                continue;
            };
            if spec.system(system).is_transport() {
                continue;
            }
            let entity = target.entity.as_ref().map(|e| &e.name.value);
            if let Some(entity) = entity.filter(|_| matches!(action, Action::Create | Action::Upsert)) {
                writers.entry((system, entity.clone())).or_default().push(Writer { flow: flow_id, target: index });
            }
            if target.matches.is_empty() {
                let party = entity.filter(|e| is_party(e));
                // A load into a store of tables (a warehouse, a lake, a
                // database) merges on the table's primary key, which the
                // source's stream declares (Singer's key properties,
                // Airbyte's primary key): not a match across products.
                // Judged on the real-world corpus, such infos on
                // warehouses were right once in 31.
                let tables = spec.system(system);
                let keyed_by_table =
                    matches!(tables.kind(), SystemKind::Warehouse | SystemKind::Lake) || tables.is_database();
                // One per flow: a flow's first such upsert stands for it.
                if let Some(entity) =
                    party.filter(|_| action == Action::Upsert && source != Some(system) && !keyed_by_table)
                    && unstated.items.last().is_none_or(|(f, _)| *f != flow_id)
                {
                    unstated.items.push((flow_id, unstated_finding(spec, flow_id, target, entity)));
                }
                if let Some(entity) = party.filter(|_| action == Action::Create && source != Some(system))
                    && creates_people_in(spec.system(system).kind())
                    // A create keyed by the source's id is refused a second time.
                    && flow.key_for(index).is_none()
                    && created.items.last().is_none_or(|(f, _)| *f != flow_id)
                {
                    created.items.push((flow_id, created_finding(spec, flow_id, target, entity)));
                }
                continue;
            }
            check_keys(spec, flow_id, index, action, &written, &valued, &mut keys);
            targets.resize(keys.len(), index);
        }
        // What each finding asks, with the flow's own names taken out: two
        // flows from one source that write one entity of one target on the
        // same key filled the same way (an order's queued job and the button
        // that runs the same code) ask one thing, so they are one finding.
        let own = format!("flow `{}`", flow.name.value);
        let trigger = trigger_name(flow);
        for (d, index) in one_per_question(keys.into_iter().zip(targets).collect()) {
            let target = &flow.targets[index];
            let question = source.zip(target.system.target).map(|(from, into)| {
                let entity = target.entity.as_ref().map_or("", |e| e.name.value.as_str());
                let text = d.message.replacen(&own, "", 1).replacen(&trigger, "", 1);
                let from = &spec.system(from).name.value;
                (into, format!("from `{from}` of `{entity}`:{text}"))
            });
            asked.items.push((flow_id, (d, question)));
        }
    }
    group_asked(spec, asked, out);
    for ((system, entity), writers) in &writers {
        if writers.len() > 1 && writers.len() <= COMPARED_WRITERS {
            compare_writers(spec, *system, entity, writers, out);
        }
    }
    group_by(
        spec,
        created,
        |_, flow| flow.targets.iter().find(|t| creates_unmatched(spec, t)).and_then(|t| t.system.target),
        "into",
        |system, count, names| {
            format!(
                "{count} flows create people or companies in `{system}` without looking for one it already has: \
                 {names}"
            )
        },
        out,
    );
    group_by(
        spec,
        unstated,
        |_, flow| flow.targets.iter().find(|t| asks_for_key(t)).and_then(|t| t.system.target),
        "into",
        |system, count, names| {
            format!("{count} flows upsert into `{system}` without saying what they match on: {names}")
        },
        out,
    );
}

/// The findings about one write's own keys: target `index` of the flow.
fn check_keys(
    spec: &Spec,
    flow_id: FlowId,
    index: usize,
    action: Action,
    written: &HashSet<(SystemId, &str)>,
    valued: &HashSet<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let flow = spec.flow(flow_id);
    let target = &flow.targets[index];
    let system = target.system.name.value.as_str();
    let records = match &target.entity {
        Some(entity) => format!("`{}` records in `{system}`", entity.name.value),
        None => format!("records in `{system}`"),
    };
    let first = &target.matches[0];
    // A write that maps nothing does not say what it writes (a warehouse's
    // own transformation in SQL): its key is not said to go unfilled.
    if target.maps_nothing() {
        return;
    }
    let filled: Vec<&MatchKey> = target.matches.iter().filter(|k| fills(spec, flow, target, k)).collect();
    // A key this write never fills (whole, or a part of it) is not asked
    // about: such a write would make a new record on every run, which its
    // authors would have seen on the first day, so the spec far more often
    // leaves out how the key reaches it (the request's path, the answer of
    // a call the flow waited on, a constant of the integration, the
    // target's id kept in a link table). Judged on the real-world corpus,
    // such findings were right once in 81 (five warnings, then 76 infos).
    if filled.is_empty() {
        return;
    }
    // A key can be empty when one of its parts comes from a field the
    // trigger does not require; the write is unmatched when all can.
    // A field the integration writes back into the source (the target's id
    // kept there once the record is made) is empty only until then.
    let source = flow.source_system(spec);
    let kept_there = |src: &str| source.is_some_and(|s| written.contains(&(s, src)));
    let optional_part = |key: &MatchKey| {
        key.fields.iter().find_map(|f| match fill(spec, flow, target, &f.name.value) {
            Fill::Source { src, optional: true } if !kept_there(src) => Some(src),
            _ => None,
        })
    };
    let unmatched = match action {
        Action::Upsert => "is refused or created again each time",
        _ => "is not found, and the change never reaches it",
    };
    // An event's payload as a spec declares it is most often written from
    // an example, not a schema: a field left unmarked may still come on
    // every event (the vendor always sends it, a guard upstream skips the
    // rest). Judged on the real-world corpus, 17 of 40 warnings on such a
    // field of an event were right, against 6 of 8 on records a flow reads
    // from its source: asked at info, saying what settles it.
    let from_event = matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::On { .. }));
    let mut warned = false;
    if let Some(src) =
        filled.iter().map(|k| optional_part(k)).collect::<Option<Vec<_>>>().and_then(|v| v.first().copied())
    {
        let trigger = trigger_name(flow);
        // A `when` filter narrows the triggers the flow sees, and may let
        // through only records that carry the key (a subscription-mode
        // checkout always has its subscription): the spec cannot say which,
        // so it is asked at info. A filter on the key itself gives it a value.
        if valued.contains(src) {
            return;
        }
        let filter = flow.when.first();
        let changes_only = action != Action::Upsert;
        // A vendor's own integration with one key stated may fall back to
        // identifiers of its own (a phone number) that the spec does not
        // list: asked at info. Where the spec lists its fallbacks, every one
        // of them can be empty, and that stays a warning.
        let vendor = flow.runner().filter(|_| target.matches.len() == 1);
        let outcome = match vendor {
            Some(r) => format!(
                "`run-by` says it is `{r}`'s own integration, so whether a record without it is found by another \
                 key, or {unmatched}, is `{r}`'s (list its fallbacks as further `match`es)"
            ),
            None if filter.is_some() => format!(
                "unless the flow's `when` lets through only records that carry it, a record without it cannot be \
                 matched, and {unmatched}"
            ),
            None if from_event => {
                format!("if {trigger} can come without it, that record cannot be matched, and {unmatched}")
            }
            None => format!("a record without it cannot be matched, and {unmatched}"),
        };
        let mut d = Diagnostic::new(
            &UPSERT_MATCH,
            filled[0].loc,
            format!(
                "flow `{}` matches {records} on {}, filled from `{src}`, which {trigger} does not require: {outcome}",
                flow.name.value,
                fields_of(filled[0])
            ),
        )
        .with_label(format!("`{src}` can be empty"))
        .with_help(format!(
            "match first on a field every record has (an id the source keeps), with this key as a fallback \
             `match` after it; or mark `{src}` `required=#true` on {trigger} if the source always sends it{}",
            if filter.is_some() {
                "; if the `when` filter lets through only records that carry it, the finding does not apply"
            } else if changes_only {
                "; if a trigger without it concerns no record of the target, nothing is lost"
            } else {
                ""
            }
        ))
        .with_owner(Owner::Flow(flow_id));
        if let Some(filter) = filter {
            d = d.with_secondary(filter.loc, format!("may let through only records that carry `{src}`"));
        }
        // A warning here says enough of this key; a question for the
        // vendor, or about a filter, leaves the email's own question to be
        // asked below. An update or a delete creates nothing: a trigger
        // without the key most often concerns no record of the target, so
        // it is asked at info, and says enough of this key as a warning does.
        // A person's own record in the source (a customer who registered,
        // a lead, a member, an invitee) is most often identified there by
        // the email the key is filled from: one without it is rare, and the
        // spec may only have left the field unmarked. Asked at info. An
        // order, a booking or a payment carries its buyer's email only when
        // the buyer gave one (a guest checkout, an order an admin entered),
        // and a person's phone is often missing: both stay warnings where
        // the flow reads the records from its source, and on an event are
        // asked, as every unmarked field of an event is (above).
        let persons_own = src.to_ascii_lowercase().contains("mail") && about_a_person(spec, flow);
        if persons_own {
            d.message.push_str(&format!(
                "; `{src}` identifies the person {trigger} is about, and may only be unmarked in the spec"
            ));
        }
        // A key people leave out is one they enter: an email, a phone, a
        // name (a guest checkout, an order an admin typed in). An id or a
        // reference the source assigns comes on every record of its kind,
        // and the spec may only have left it unmarked. Judged on the
        // real-world corpus, such warnings on a record a flow reads were
        // right once in 12, against 8 of 9 on a contact people enter:
        // asked at info.
        let entered = natural(src, None).is_some();
        if vendor.is_some() || filter.is_some() || persons_own {
            d.severity = Severity::Info;
        } else {
            warned = true;
            if changes_only || from_event {
                d.severity = Severity::Info;
            } else if !entered {
                d.message.push_str(&format!(
                    "; `{src}` is not a contact people type in (an email, a phone, a name): if the source \
                     assigns it to every record, it is only unmarked in the spec"
                ));
                d.severity = Severity::Info;
            }
        }
        out.push(d);
    }
    if let Some((key, lookup)) =
        target.matches.iter().find_map(|k| k.lookup.as_ref().filter(|l| l.value == Lookup::Search).map(|l| (k, l)))
        && from_event
        && action == Action::Upsert
    {
        // (1.2) A key the target keeps unique refuses the second create:
        // the run that lost the race fails, and a retry finds the record.
        let refused = super::util::key_unique(spec, target, key) || one_per_address(spec, target, key);
        let retried = flow.retry_for(index).is_some();
        if !(refused && retried) {
            warned |= !refused;
            out.push(search_then_create(flow, flow_id, system, lookup.loc, refused));
        }
    }
    let entity_fields = super::util::target_fields(spec, target);
    if let [only] = &first.fields[..] {
        let ty = entity_fields
            .and_then(|fields| only.target.and_then(|i| fields.get(i as usize)))
            .and_then(|f| f.ty.as_ref().map(|t| t.value));
        let found = match natural(&only.name.value, ty) {
            // People's and companies' names are never unique; whether other
            // records' are (a blob's in its container, a tag's) is the
            // target's rule, which the spec does not state: asked at info.
            // (1.2) A name the target keeps unique (`unique=#true`) finds
            // one record.
            Some(Natural::Name) if super::util::key_unique(spec, target, first) => None,
            Some(Natural::Name) if target.entity.as_ref().is_none_or(|e| is_party(&e.name.value)) => Some((
                Severity::Warning,
                format!(
                    "flow `{}` matches {records} on `{}`, a name: names are not unique, so \
                     two different ones become one record",
                    flow.name.value, only.name.value
                ),
                "match on an id the source keeps (store it in a field of the target), with the name at most a \
                 fallback a person reviews",
            )),
            Some(Natural::Name) => Some((
                Severity::Info,
                format!(
                    "flow `{}` matches {records} on `{}`, a name: unless `{system}` keeps names unique there, \
                     two different ones become one record",
                    flow.name.value, only.name.value
                ),
                "match on an id the source keeps, unless the target keeps these names unique (a file's path in \
                 its bucket)",
            )),
            Some(Natural::Address) if !warned => Some((
                Severity::Info,
                format!(
                    "flow `{}` matches {records} on `{}` first: one person with two \
                     addresses becomes two records, and two people sharing one are merged or skipped",
                    flow.name.value, only.name.value
                ),
                "match first on an id the source keeps (store it in a field of the target), with the address as \
                 a fallback; or say with `allow` why addresses are unique here",
            )),
            _ => None,
        };
        if let Some((severity, message, help)) = found {
            let mut d = Diagnostic::new(&UPSERT_MATCH, first.loc, message)
                .with_label("the key the record is found by")
                .with_help(help)
                .with_owner(Owner::Flow(flow_id));
            d.severity = severity;
            out.push(d);
        }
    } else if target.entity.as_ref().is_none_or(|e| is_party(&e.name.value))
        && let Some(name) = first.fields.iter().find(|f| natural(&f.name.value, None) == Some(Natural::Name))
    {
        // A name beside an address or an id makes the key unique enough,
        // but not stable: the record is no longer found once the name
        // changes on one side. Asked: names change seldom, and a team may
        // keep them in step.
        let mut d = Diagnostic::new(
            &UPSERT_MATCH,
            first.loc,
            format!(
                "flow `{}` matches {records} on {}, which includes `{}`, a name: a name changed on one side (a \
                 marriage, a corrected spelling) no longer matches, and the record {unmatched}",
                flow.name.value,
                fields_of(first),
                name.name.value
            ),
        )
        .with_label("a key that changes when a name does")
        .with_help(
            "match first on an id both sides keep (store the other side's id in a field), with this key as a \
             fallback `match` after it",
        )
        .with_owner(Owner::Flow(flow_id));
        d.severity = Severity::Info;
        out.push(d);
    }
}

/// Whether what sets the flow off is about a person or a company: its
/// entity is one (`customer`, `lead`, `member`), or, with none stated, the
/// first word of its event's name is (`customer.registered`), or names the
/// person a booking tool invites (`invitee.created`).
fn about_a_person(spec: &Spec, flow: &Flow) -> bool {
    if let Some(entity) = read_entity(spec, flow) {
        return is_party(entity);
    }
    let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { return false };
    let first = event.name.value.split(['.', '_', '-', ':', '/']).next().unwrap_or_default();
    is_party(first) || matches!(first.to_ascii_lowercase().as_str(), "invitee" | "attendee" | "registrant")
}

/// A search and then a create, set off by an event: two runs for one record
/// at once both find nothing. Where the key is unique in the target
/// (`refused`), the second create fails instead, which only a flow without
/// a retry loses: asked at info.
fn search_then_create(flow: &Flow, flow_id: FlowId, system: &str, at: Loc, refused: bool) -> Diagnostic {
    let name = &flow.name.value;
    let (message, help) = if refused {
        (
            format!(
                "flow `{name}` searches `{system}` and then creates the record, on a key the target keeps unique: of \
                 two runs for one record at once, the second create is refused, and with no `retry` its change is \
                 lost"
            ),
            "add a `retry` (the retry finds the record the first run made and updates it), or use the target's own \
             upsert by the key and say `lookup=native`",
        )
    } else {
        (
            format!(
                "flow `{name}` searches `{system}` and then creates the record: two runs for one record at once (a \
                 redelivery beside its original, two quick changes) both find nothing and create two"
            ),
            "use the target's own upsert by the key (Salesforce's external id, HubSpot's `idProperty`) and say \
             `lookup=native`, or run one record at a time (a queue keyed by the record); if the target refuses a \
             second record with the key, declare the field `unique=#true`",
        )
    };
    let mut d = Diagnostic::new(&UPSERT_MATCH, at, message)
        .with_label("a search, then a create: two calls with nothing between them")
        .with_help(help)
        .with_owner(Owner::Flow(flow_id));
    if refused {
        d.severity = Severity::Info;
    }
    d
}

/// A flow's findings about its writes' keys with each question asked once:
/// two `to`s of one flow matching the same records on the same key filled
/// the same way (a list's subscribers, then its blocklist) ask one thing,
/// so the first finding stands for both and points at the other.
fn one_per_question(findings: Vec<(Diagnostic, usize)>) -> Vec<(Diagnostic, usize)> {
    if findings.len() < 2 {
        return findings;
    }
    // By message, so that a flow of thousands of targets is not compared
    // pair by pair.
    let mut first_of: rustc_hash::FxHashMap<(String, Severity), usize> = Default::default();
    let mut kept: Vec<(Diagnostic, usize)> = Vec::with_capacity(findings.len());
    for (d, index) in findings {
        match first_of.entry((d.message.clone(), d.severity)) {
            std::collections::hash_map::Entry::Occupied(at) => {
                kept[*at.get()].0.secondary.push(crate::diagnostic::Label {
                    loc: d.primary.loc,
                    message: "the same key in another `to` of this flow".into(),
                })
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(kept.len());
                kept.push((d, index));
            }
        }
    }
    kept
}

/// The trigger's event name, or the polled entity, for a message.
fn trigger_name(flow: &Flow) -> String {
    match flow.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::On { event }) => format!("`{}`", event.name.value),
        _ => "the source".to_owned(),
    }
}

/// Writers of one entity that carry the same records (the same source
/// system, unless they read different entities of it, or people and
/// companies from anywhere): a writer whose records another's key never
/// finds.
fn compare_writers(
    spec: &Spec,
    system: SystemId,
    entity: &str,
    writers: &[Writer],
    out: &mut crate::lint::Findings<'_>,
) {
    let party = is_party(entity);
    for q in writers {
        let (q_flow, q_target) = (spec.flow(q.flow), &spec.flow(q.flow).targets[q.target]);
        if q_target.matches.is_empty() || q_target.action.as_ref().is_none_or(|a| a.value != Action::Upsert) {
            continue;
        }
        // A key that is the target's own id of the record is kept by the
        // integration that made it (a link table), which the language
        // cannot pass on: whether another writer knows it is not compared.
        if q_target.matches[0].fields.iter().all(|f| own_id(&f.name.value, entity)) {
            continue;
        }
        let q_source = q_flow.source_system(spec);
        let q_read = read_entity(spec, q_flow);
        let unseen = writers.iter().find(|p| {
            let p_flow = spec.flow(p.flow);
            let p_target = &p_flow.targets[p.target];
            // One source's records, unless the two read different entities of
            // it (a payroll and a contractor's payment: other records).
            let other_entities = matches!((q_read, read_entity(spec, p_flow)), (Some(q), Some(p)) if q != p);
            let same_records =
                party || (q_source.is_some() && p_flow.source_system(spec) == q_source && !other_entities);
            // A writer that matches on the key itself but never fills it,
            // and maps something: the spec most often leaves out of a sketch
            // of that writer how the key reaches it (a resync whose maps
            // the language cannot state), as it does for a key a write never
            // fills, which is not asked either.
            let asked_of_its_own = !p_target.maps_nothing()
                && p_target.matches.iter().any(|k| {
                    q_target.matches[0].fields.iter().all(|f| k.fields.iter().any(|g| g.name.value == f.name.value))
                });
            // A writer of people or companies that states no key at all is
            // asked what it matches on (`unstated_finding`): whether it
            // fills this one is part of that answer.
            let asked_its_key = asks_for_key(p_target) && p_flow.source_system(spec) != Some(system);
            // Nor where the spec cannot say whether the other writer fills
            // the key: it takes it from the answer of a call it waited on
            // first (1.2), which the language cannot pass on to a `map`, or
            // it maps nothing (a re-run of another flow's code). Asked at
            // info, such questions (with the target's own id above) were
            // right 3 times in 85 on the real-world corpus.
            let unsure = super::util::answered_before(p_flow, p.target).is_some_and(|t| t.call.is_some())
                || p_target.maps_nothing();
            (p.flow, p.target) != (q.flow, q.target)
                && same_records
                && !asked_of_its_own
                && !asked_its_key
                && !unsure
                && !q_target.matches.iter().any(|k| k.fields.iter().all(|f| filled_by(p_target, &f.name.value)))
        });
        let Some(p) = unseen else { continue };
        let p_flow = spec.flow(p.flow);
        let key = &q_target.matches[0];
        let p_target = &p_flow.targets[p.target];
        let d = Diagnostic::new(
            &UPSERT_MATCH,
            key.loc,
            format!(
                "flows `{}` and `{}` both write `{entity}` records into `{}`; `{}` matches on {}, which `{}` \
                 never fills: a record `{}` creates is not found, and `{}` creates a second",
                p_flow.name.value,
                q_flow.name.value,
                spec.system(system).name.value,
                q_flow.name.value,
                fields_of(key),
                p_flow.name.value,
                p_flow.name.value,
                q_flow.name.value
            ),
        )
        .with_label("the key the other writer never fills")
        .with_secondary(p_target.loc, "creates records without it")
        .with_help(format!(
            "fill {} in `{}` too, or match both writers on a key both fill",
            fields_of(key),
            p_flow.name.value
        ))
        .with_owner(Owner::Flow(q.flow));
        out.push(d);
    }
}

/// Whether a write is the kind the info asks for a key: an `upsert` of
/// people or companies that states none (the source's system is checked
/// where the finding is made).
fn asks_for_key(target: &Target) -> bool {
    target.matches.is_empty()
        && target.action.as_ref().is_some_and(|a| a.value == Action::Upsert)
        && target.entity.as_ref().is_some_and(|e| is_party(&e.name.value))
}

/// Kinds of product where people and companies are kept as records that
/// another path (a person, an import, another integration) may already
/// have made: not a warehouse, a hub, or a service of the team's, which
/// keys its own records.
fn creates_people_in(kind: SystemKind) -> bool {
    matches!(
        kind,
        SystemKind::Crm
            | SystemKind::Email
            | SystemKind::Marketing
            | SystemKind::Payments
            | SystemKind::Accounting
            | SystemKind::Erp
            | SystemKind::Ecommerce
            | SystemKind::Support
    )
}

/// Whether a write is a `create` of people or companies, with no `match`
/// and no idempotency key of its own, into a product that keeps them.
fn creates_unmatched(spec: &Spec, target: &Target) -> bool {
    target.matches.is_empty()
        && target.idempotency_key.is_none()
        && target.action.as_ref().is_some_and(|a| a.value == Action::Create)
        && target.entity.as_ref().is_some_and(|e| is_party(&e.name.value))
        && target.system.target.is_some_and(|s| creates_people_in(spec.system(s).kind()))
}

/// The info for a `create` of people or companies into another product:
/// every run makes a new record, whether or not the target has one.
fn created_finding(spec: &Spec, flow_id: FlowId, target: &Target, entity: &str) -> Diagnostic {
    let flow = spec.flow(flow_id);
    let system = &target.system.name.value;
    let at = target.entity.as_ref().map_or(target.loc, |e| e.name.loc);
    let mut d = Diagnostic::new(
        &UPSERT_MATCH,
        at,
        format!(
            "flow `{}` creates a new `{entity}` in `{system}` on every run, without looking for one it already \
             has: a person or company it knows from another path (an import, a person, another integration, an \
             earlier run) becomes a second record",
            flow.name.value
        ),
    )
    .with_label("`create` with no `match`")
    .with_help(format!(
        "if `{system}` may already hold the record, `upsert` it with `match \"FIELD\"` (an id the source keeps, \
         then an email); if it cannot (the record is only ever made here, once), say so with `allow \"upsert-match\" \
         reason=\"...\"`"
    ))
    .with_owner(Owner::Flow(flow_id));
    d.severity = Severity::Info;
    d
}

/// Whether a write fills a field of its target, by name.
fn filled_by(target: &Target, field: &str) -> bool {
    target.written_fields().any(|f| f.name.value == field)
}

fn unstated_finding(spec: &Spec, flow_id: FlowId, target: &Target, entity: &str) -> Diagnostic {
    let flow = spec.flow(flow_id);
    let at = target.entity.as_ref().map_or(target.loc, |e| e.name.loc);
    let mut d = Diagnostic::new(
        &UPSERT_MATCH,
        at,
        format!(
            "flow `{}` upserts `{entity}` records into `{}` without saying what it matches them on",
            flow.name.value, target.system.name.value
        ),
    )
    .with_label("no `match` says what this finds its record by")
    .with_help(
        "people and companies are matched across products by a key that can be missing, differ between them, or \
         be shared; say which with `match \"FIELD\"` (an id the source keeps, then an email as a fallback), so \
         that it can be checked",
    )
    .with_owner(Owner::Flow(flow_id));
    d.severity = Severity::Info;
    d
}
