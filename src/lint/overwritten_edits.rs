//! `overwritten-edits`: a one-way sync that rewrites fields of records
//! people edit in the target (a CRM's contacts, a shop's products), so an
//! edit made there lasts until the next run.
//!
//! A sync is a flow that copies a record's state again and again: a poll,
//! a schedule, or an event that reports a change (`customer.changed`,
//! `item.updated`: see `model::CHANGE_WORDS`), not one that reports a step
//! (`order.paid`). Its `update`s and `upsert`s into a business tool that
//! people work in (`crm`, `support`, `marketing`, `email`, `ecommerce`,
//! `accounting`, `erp`) rewrite the fields they name every time, and on
//! records people keep there (contacts, products, tickets), those are edited
//! by hand. Where no
//! flow carries that tool's changes back to the source, an edit made in it
//! is overwritten without a trace. It is an info: the fields may be
//! read-only in the target, which the spec cannot say. Where syncs run
//! both ways and a field goes both ways, the question is which side wins a
//! field edited on both before the next run. One pass over the
//! flows to index the ways back between systems, one to ask, each sync in
//! constant time.

use rustc_hash::FxHashSet as HashSet;

use super::Context;
use super::util::{PerFlow, group_by, is_party, kept_in_place, name_list, read_entity};
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Action, Flow, FlowId, Owner, Spec, SystemId, SystemKind, Target, TriggerKind, named_for_change};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow that syncs records one way (a `poll`, a `schedule`, or an
    /// event named for a change: `customer.changed`, `item.updated`,
    /// `product.saved`) and `update`s or `upsert`s fields of them into a
    /// business tool people work in (kind `crm`, `support`, `marketing`,
    /// `email`, `ecommerce`, `accounting` or `erp`), while no flow carries
    /// that tool's changes back to the source (a flow back counts where it
    /// names the records the sync writes or reads, or names none: a
    /// checkout's payment is no way back for a catalog). Only records that people
    /// keep and edit where they live count (people and companies, products
    /// and items, tickets, deals: not orders, carts or payments, made once),
    /// and only the fields the write names (`map`, `set`), not its `match`
    /// keys, ids or `email`. A flow on an
    /// event that reports a step (`order.paid`, `ticket.escalated`) sets a
    /// field once and is not asked. It is an info: the fields may be
    /// read-only in the target, which an `allow` with that reason says. One
    /// finding per target system lists its flows.
    ///
    /// A two-way sync (syncs each way between two such tools, or two the
    /// spec leaves `custom`, such as a task tracker and an issue tracker)
    /// is asked another question, once per pair of systems: where a field
    /// goes both ways (what one side writes, the other reads, by name), an
    /// edit made on both sides before the next run keeps only the later
    /// write. Where each field goes one way only (the HR system's title to
    /// the directory, the directory's phone back), it is not asked. Its
    /// echoes are `sync-cycle`'s question.
    ///
    /// ## Why it matters
    ///
    /// A sales rep corrects a contact's company in the CRM, and the next
    /// change in billing puts the old one back. Nothing fails and nothing
    /// is logged as lost: the edit just does not last, and people stop
    /// trusting the data (or start keeping their own copy).
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "billing" kind=payments
    /// system "crm" kind=crm
    /// event "customer.changed" from=billing version=1 {
    ///     field "email" type=email
    ///     field "company" type=string
    /// }
    /// flow "customers-to-crm" {
    ///     on "customer.changed"
    ///     to crm action=upsert entity=contact {
    ///         match "email"
    ///         map "email" to="email"
    ///         map "company" to="company"
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Decide which system owns each field. If the CRM's users must not
    /// edit it, make it read-only there and say so with an `allow`; if they
    /// may, write it only when the CRM leaves it empty, or sync it both
    /// ways:
    ///
    /// ```kdl
    /// system "billing" kind=payments
    /// system "crm" kind=crm
    /// event "customer.changed" from=billing version=1 {
    ///     field "email" type=email
    ///     field "company" type=string
    /// }
    /// flow "customers-to-crm" {
    ///     on "customer.changed"
    ///     to crm action=upsert entity=contact {
    ///         match "email"
    ///         map "email" to="email"
    ///         map "company" to="company"
    ///     }
    ///     allow "overwritten-edits" reason="billing owns the company; it is read-only in the CRM"
    /// }
    /// ```
    pub(crate) static OVERWRITTEN_EDITS = {
        name: "overwritten-edits",
        code: "WP134",
        severity: Info,
        category: Topology,
        summary: "a one-way sync rewrites fields that people edit in the target",
    }
}

/// Whether a flow copies a record's state again and again: a poll, a
/// schedule, or an event named for a change.
fn syncs(spec: &Spec, flow: &Flow) -> bool {
    match flow.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::Poll(_) | TriggerKind::Schedule(_)) => true,
        Some(TriggerKind::On { event }) => event.target.is_some_and(|e| named_for_change(&spec.event(e).name.value)),
        None => false,
    }
}

/// Kinds of system that people work in, whose records they edit by hand.
fn edited_by_people(kind: SystemKind) -> bool {
    matches!(
        kind,
        SystemKind::Crm
            | SystemKind::Support
            | SystemKind::Marketing
            | SystemKind::Email
            | SystemKind::Ecommerce
            | SystemKind::Accounting
            | SystemKind::Erp
    )
}

/// The fields a write rewrites: those it names, less its `match` keys, ids
/// and emails (`email`, `email_address`: the link between the two copies,
/// not something people edit).
fn rewritten(target: &Target) -> Vec<&str> {
    let keys: HashSet<&str> = target.matches.iter().flat_map(|m| &m.fields).map(|f| f.name.value.as_str()).collect();
    let mut fields: Vec<&str> = target
        .written_fields()
        .map(|f| f.name.value.as_str())
        .filter(|name| !keys.contains(name) && !an_id(name) && !name.to_ascii_lowercase().contains("email"))
        .collect();
    let mut seen = HashSet::default();
    fields.retain(|name| seen.insert(*name));
    fields
}

/// Whether a field name is an identifier (`id`, `contact_id`, `externalId`,
/// `order_no`, `doc_number`, `sku`): what links the two copies.
fn an_id(name: &str) -> bool {
    // Salesforce's custom fields end in `__c`.
    let name = name.strip_suffix("__c").unwrap_or(name);
    let lower = name.to_ascii_lowercase().replace('-', "_");
    let last = lower.rsplit('_').next().unwrap_or(&lower);
    matches!(last, "id" | "uuid" | "no" | "number" | "key" | "ref" | "sku")
        || name.ends_with("Id")
        || name.ends_with("ID")
        || name.ends_with("Number")
}

/// The ways back between systems, indexed so that each sync asks in
/// constant time: the writes from one system into another by the entity
/// they read there, by the entity they write, and those that name none.
#[derive(Default)]
struct WaysBack<'s> {
    reading: HashSet<(SystemId, SystemId, &'s str)>,
    writing: HashSet<(SystemId, SystemId, &'s str)>,
    unnamed: HashSet<(SystemId, SystemId)>,
}

impl<'s> WaysBack<'s> {
    fn add(&mut self, from: SystemId, read: Option<&'s str>, into: SystemId, written: Option<&'s str>) {
        match (read, written) {
            (None, None) => {
                self.unnamed.insert((from, into));
            }
            _ => {
                if let Some(read) = read {
                    self.reading.insert((from, into, read));
                }
                if let Some(written) = written {
                    self.writing.insert((from, into, written));
                }
            }
        }
    }

    /// Whether some flow carries records from `system`'s `written` back
    /// into `source`'s `read`: one that reads what the sync writes, or
    /// writes what it reads, by name. A flow back that names no entity on
    /// either side may carry anything, and counts; one that names another
    /// record (a checkout's payment, beside a sync of products) does not.
    fn exists(&self, system: SystemId, written: Option<&str>, source: SystemId, read: Option<&str>) -> bool {
        self.unnamed.contains(&(system, source))
            || written.is_some_and(|w| self.reading.contains(&(system, source, w)))
            || read.is_some_and(|r| self.writing.contains(&(system, source, r)))
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Every write between two systems: the ways back.
    let mut back = WaysBack::default();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(source) = flow.source_system(spec) else { continue };
        let read = read_entity(spec, flow);
        for target in &flow.targets {
            let Some(system) = target.system.target else { continue };
            back.add(source, read, system, target.entity.as_ref().map(|e| e.name.value.as_str()));
        }
    }
    let mut singles = PerFlow::made(&OVERWRITTEN_EDITS);
    let mut both_ways: BothWays = Default::default();
    let mut target_of: rustc_hash::FxHashMap<FlowId, SystemId> = Default::default();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if !syncs(spec, flow) {
            continue;
        }
        let source = flow.source_system(spec);
        let read = read_entity(spec, flow);
        let mut asked = None;
        for (index, target) in flow.targets.iter().enumerate() {
            let Some(system) = target.system.target else { continue };
            let kind = spec.system(system).kind();
            let rewrites = target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Update | Action::Upsert));
            let Some(entity) = target.entity.as_ref() else { continue };
            // A marketing or email tool keeps a mirror of a shop's products
            // and orders, which nobody edits there; its people are edited.
            let kept = if matches!(kind, SystemKind::Email | SystemKind::Marketing) {
                is_party(&entity.name.value)
            } else {
                kept_in_place(&entity.name.value)
            };
            // A two-way sync of kept records between two tools the spec
            // leaves `custom` (a task tracker, an issue tracker) is asked too.
            let people = edited_by_people(kind);
            if !rewrites || !kept || !(people || kind == SystemKind::Custom) {
                continue;
            }
            let written = Some(entity.name.value.as_str());
            let fields = rewritten(target);
            match source {
                _ if fields.is_empty() => {}
                Some(s) if s == system => {}
                Some(s) if back.exists(system, written, s, read) => {
                    if !people
                        && spec.system(s).kind() != SystemKind::Custom
                        && !edited_by_people(spec.system(s).kind())
                    {
                        continue;
                    }
                    both_ways.entry(pair(s, system)).or_default().push((id, index, s < system));
                }
                _ if people => {
                    asked = Some((target, system, fields));
                    break;
                }
                _ => {}
            }
        }
        let Some((target, system, fields)) = asked else { continue };
        let system_name = &spec.system(system).name.value;
        let entity = target.entity.as_ref().map_or("record", |e| e.name.value.as_str());
        let from = source.map_or_else(|| "its source".to_owned(), |s| format!("`{}`", spec.system(s).name.value));
        let names = name_list(fields.iter().copied());
        let them = if fields.len() == 1 { "it" } else { "them" };
        let d = Diagnostic::new(
            &OVERWRITTEN_EDITS,
            target.entity.as_ref().map_or(target.system.name.loc, |e| e.name.loc),
            format!(
                "flow `{}` rewrites {names} of `{system_name}`'s `{entity}` from {from} {}: an edit made in \
                 `{system_name}` to {them} lasts until the next run, and nothing carries it back",
                flow.name.value,
                if matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Schedule(_))) {
                    "on every run"
                } else {
                    "on every change"
                },
            ),
        )
        .with_label(format!("one-way sync into `{system_name}`"))
        .with_help(format!(
            "say which system owns {names}: if `{system_name}`'s users must not edit {them}, make {them} read-only \
             there and say so with an `allow`; if they may, write {them} only where `{system_name}` leaves {them} \
             empty, or sync both ways"
        ))
        .with_owner(Owner::Flow(id));
        target_of.insert(id, system);
        singles.items.push((id, d));
    }
    two_way_conflicts(spec, &both_ways, out);
    group_by(
        spec,
        singles,
        |id, _| target_of.get(&id).copied(),
        "into",
        |system, count, names| {
            format!(
                "{count} one-way syncs rewrite records of `{system}` that people edit there ({names}): an edit made \
                 in `{system}` lasts until the next run"
            )
        },
        out,
    );
}

/// Whether two writes, one each way, carry a field both ways: what one
/// writes is what the other reads, compared by name without case (ids,
/// keys and emails left out, as `rewritten` does).
fn shares_a_field(there: &Target, back: &Target) -> bool {
    let lower = |names: Vec<&str>| -> HashSet<String> { names.into_iter().map(str::to_ascii_lowercase).collect() };
    fn read(t: &Target) -> Vec<&str> {
        t.maps
            .iter()
            .map(|m| m.src.name.value.as_str())
            .map(|n| n.rsplit('.').next().unwrap_or(n))
            .filter(|n| !an_id(n) && !n.to_ascii_lowercase().contains("email"))
            .collect()
    }
    let (there_written, back_written) = (lower(rewritten(there)), lower(rewritten(back)));
    let (there_read, back_read) = (lower(read(there)), lower(read(back)));
    there_written.iter().any(|f| back_read.contains(f)) || back_written.iter().any(|f| there_read.contains(f))
}

/// The syncs each way between two systems, keyed by the pair (lower system
/// first): `(flow, target, from the lower system)`.
type BothWays = std::collections::BTreeMap<(SystemId, SystemId), Vec<(FlowId, usize, bool)>>;

/// Two systems, lower first.
fn pair(a: SystemId, b: SystemId) -> (SystemId, SystemId) {
    if a < b { (a, b) } else { (b, a) }
}

/// A two-way sync of records people edit on both sides: each side's sync
/// rewrites the other's fields, so a field edited on both before the next
/// run keeps only the later write. One finding per pair of systems, where
/// syncs run both ways; quiet where a flow of the pair allows the rule.
fn two_way_conflicts(spec: &Spec, both_ways: &BothWays, out: &mut crate::lint::Findings<'_>) {
    for (&(low, high), syncs) in both_ways {
        let there = syncs.iter().find(|(_, _, from_low)| *from_low);
        let back = syncs.iter().find(|(_, _, from_low)| !*from_low);
        let (Some(&(first, index, _)), Some(&(other, other_index, _))) = (there, back) else { continue };
        let allowed = |f: FlowId| spec.flow(f).allows.iter().any(|a| a.rule.value == OVERWRITTEN_EDITS.name);
        if syncs.iter().any(|&(f, _, _)| allowed(f)) {
            continue;
        }
        let write = &spec.flow(first).targets[index];
        let back_write = &spec.flow(other).targets[other_index];
        // Each field owned by one side (Okta's profile mastering: the HR
        // system's fields go one way, the directory's email the other)
        // meets no edit from the other side.
        if !shares_a_field(write, back_write) {
            continue;
        }
        let (a, b) = (&spec.system(low).name.value, &spec.system(high).name.value);
        let entity = |t: &Target| t.entity.as_ref().map_or("record", |e| e.name.value.as_str()).to_owned();
        let flows = name_list(syncs.iter().map(|&(f, _, _)| spec.flow(f).name.value.as_str()));
        out.push(
            Diagnostic::new(
                &OVERWRITTEN_EDITS,
                write.entity.as_ref().map_or(write.system.name.loc, |e| e.name.loc),
                format!(
                    "`{a}` and `{b}` sync {} records both ways ({flows}): a field edited in both before the next \
                     run keeps only the later write, and the other edit is lost without a trace",
                    if entity(back_write) == entity(write) {
                        format!("`{}`", entity(write))
                    } else {
                        format!("`{}` and `{}`", entity(back_write), entity(write))
                    },
                ),
            )
            .with_label(format!("one way, into `{b}`"))
            .with_secondary(
                back_write.entity.as_ref().map_or(back_write.system.name.loc, |e| e.name.loc),
                format!("the other way, into `{a}`"),
            )
            .with_help(
                "say which side wins a field edited on both: one owner per field, or the later edit by its \
                 timestamp; if each field is edited on one side only, say so with `allow \"overwritten-edits\" \
                 reason=\"...\"`",
            )
            .with_owner(Owner::Flow(first)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn a_change_event_poll_or_schedule_syncs_and_a_step_does_not() {
        let text = r#"
            system "billing" kind=payments
            system "crm" kind=crm
            event "customer.changed" from=billing version=1 { field "company" type=string }
            event "invoice.paid" from=billing version=1 { field "company" type=string }
            flow "sync" { on "customer.changed"; to crm action=upsert entity=contact { map "company" to="company" } }
            flow "step" { on "invoice.paid"; to crm action=update entity=contact { map "company" to="company" } }
            flow "poll" { poll billing entity=customer every="1h"; to crm action=update entity=account { set "tier" "paid" } }
        "#;
        let found = test_check(&OVERWRITTEN_EDITS, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.starts_with("2 one-way syncs"), "{}", found[0].message);
        assert_eq!(found[0].members.len(), 2);
    }

    #[test]
    fn a_way_back_keys_and_ids_and_systems_nobody_edits_are_not_asked() {
        let text = r#"
            system "billing" kind=payments
            system "crm" kind=crm
            system "dwh" kind=warehouse
            event "customer.changed" from=billing entity=customer version=1 { field "email" type=email; field "n" type=string }
            event "contact.updated" from=crm entity=contact version=1 { field "n" type=string }
            flow "out" { on "customer.changed"; to crm action=upsert entity=contact { match "email"; map "email" to="email"; map "n" to="n" } }
            flow "back" { on "contact.updated"; to billing action=update entity=customer { map "n" to="n" } }
            flow "keys" { on "customer.changed"; to crm action=upsert entity=lead { match "email"; map "email" to="email"; map "n" to="billing_id" } }
            flow "dwh" { on "customer.changed"; to dwh action=upsert entity=customer { map "n" to="n" } }
        "#;
        assert!(test_check(&OVERWRITTEN_EDITS, text).is_empty());
    }
}
