//! `last-writer-wins`: one record's field set by flows on events of
//! different producers that nothing orders, so that whichever arrives last
//! wins, not whichever happened last.
//!
//! The writers are grouped by what they write (system and entity); within a
//! group, each field (or, for a write that names none, the whole record) is
//! compared between its first writer and the next writer on another
//! producer's event that neither event's `after` orders. It is an info:
//! two outcomes that exclude each other (a saga's approval and its
//! rejection) never race, and the spec cannot say so. One pass over the
//! flows' targets, and one over each field's writers.

use rustc_hash::FxHashMap as HashMap;

use super::Context;
use super::util::{name_list, plural};
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Action, EventId, FlowId, Loc, Owner, Spec, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// Two flows that `update` or `upsert` the same entity of one system,
    /// triggered by events of two different producers, where neither event
    /// says it comes `after` the other: two outcomes of one step (a stock
    /// check and a payment) each setting an order's status. Where both
    /// writes name the fields they write (`set` or `map`), only a field
    /// they share counts; a write that names none may touch any. Each
    /// written field's first writer is compared with the others; `after`
    /// between the two events (either way) leaves the pair to
    /// `unordered-events`. It is an info: outcomes that exclude each other
    /// (a saga's approval and its rejection: only one happens to an order)
    /// never race, and the spec cannot tell them from steps that follow
    /// each other; an `allow` with that reason settles it. The fields a
    /// write finds its record by (`match`) do not count: both writes put the
    /// record's own key there.
    ///
    /// ## Why it matters
    ///
    /// Events of two producers travel on separate webhooks or queues, and a
    /// retry or a redelivery lets an old one arrive late. The field then
    /// holds whatever was written last, not what happened last: an order
    /// marked paid goes back to "stock confirmed", and the next step never
    /// runs.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "catalog" kind=custom
    /// system "payment" kind=payments
    /// system "ordering" kind=custom
    /// event "stock.confirmed" from=catalog version=1
    /// event "payment.succeeded" from=payment version=1
    /// flow "stock-confirmed" {
    ///     on "stock.confirmed"
    ///     to ordering action=update entity=order {
    ///         set "status" "stock-confirmed"
    ///     }
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// flow "payment-succeeded" {
    ///     on "payment.succeeded"
    ///     to ordering action=update entity=order {
    ///         set "status" "paid"
    ///     }
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Say which comes first (then `unordered-events` asks whether the
    /// consumer waits for it), or keep each outcome in a field of its own
    /// and let the order's status be worked out from them:
    ///
    /// ```kdl
    /// system "catalog" kind=custom
    /// system "payment" kind=payments
    /// system "ordering" kind=custom
    /// event "stock.confirmed" from=catalog version=1
    /// event "payment.succeeded" from=payment version=1
    /// flow "stock-confirmed" {
    ///     on "stock.confirmed"
    ///     to ordering action=update entity=order {
    ///         set "stock_status" "confirmed"
    ///     }
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// flow "payment-succeeded" {
    ///     on "payment.succeeded"
    ///     to ordering action=update entity=order {
    ///         set "payment_status" "paid"
    ///     }
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static LAST_WRITER_WINS = {
        name: "last-writer-wins",
        code: "WP127",
        severity: Info,
        category: Topology,
        summary: "flows on events of different producers set one field of one record, and nothing orders them",
    }
}

/// One write of a field: the flow, its target, and the trigger's event and producer.
#[derive(Clone, Copy)]
struct Writer {
    flow: FlowId,
    target: usize,
    event: EventId,
    producer: SystemId,
}

/// What a write is about: the system, the entity and the field (`None`
/// for a write that names no field, which may touch any).
type Slot<'s> = (SystemId, &'s str, Option<&'s str>);

/// A record written: the system and the entity.
type Record<'s> = (SystemId, &'s str);

/// The first two writers found to meet on a record, the fields they share,
/// and whether both name one of them.
type Conflict<'s> = (Writer, Writer, Vec<&'s str>, bool);

/// How many writers of a whole record each field's writers are compared with.
const WHOLE: usize = 8;

/// How many events an `after` chain is followed through: orders are short
/// chains (an order, its payment, its refund), and a bound keeps the check
/// linear whatever the spec.
const CHAIN: usize = 16;

/// Whether `later` is declared to come after `earlier`, through a chain of
/// `after`s of at most `CHAIN` events.
fn follows(spec: &Spec, later: EventId, earlier: EventId) -> bool {
    let mut stack = vec![later];
    let mut visited = 0;
    while let Some(e) = stack.pop() {
        visited += 1;
        if visited > CHAIN {
            return false;
        }
        for r in &spec.event(e).after {
            match r.target {
                Some(t) if t == earlier => return true,
                Some(t) => stack.push(t),
                None => {}
            }
        }
    }
    false
}

/// Whether the spec orders the two events, either way.
fn ordered(spec: &Spec, a: EventId, b: EventId) -> bool {
    a == b || follows(spec, a, b) || follows(spec, b, a)
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Per slot, its writers in flow order; `order` keeps the slots in the
    // order they were first written, so the output is stable.
    let mut writers: HashMap<Slot<'_>, Vec<Writer>> = HashMap::default();
    let mut order: Vec<Slot<'_>> = Vec::new();
    // Per record, the last flow counted and how many flows write it.
    let mut flows_of: HashMap<(SystemId, &str), (FlowId, usize)> = HashMap::default();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { continue };
        let Some(event) = event.target else { continue };
        let Some(producer) = spec.event(event).from.as_ref().and_then(|f| f.target) else { continue };
        for (t, target) in flow.targets.iter().enumerate() {
            if !target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Update | Action::Upsert)) {
                continue;
            }
            let (Some(system), Some(entity)) = (target.system.target, target.entity.as_ref()) else { continue };
            let each = target.each.as_deref();
            // The fields the write finds its record by (`match`) hold the
            // values that name the record: two writes of one record write
            // the same there, and neither undoes the other.
            let keys: Vec<&str> =
                target.matches.iter().flat_map(|m| &m.fields).map(|f| f.name.value.as_str()).collect();
            let named: Vec<&str> = target
                .maps
                .iter()
                .filter_map(|m| m.dst.as_ref())
                .chain(target.sets.iter().map(|s| &s.dst))
                .chain(each.into_iter().flat_map(|e| e.maps.iter().filter_map(|m| m.dst.as_ref())))
                .chain(each.into_iter().flat_map(|e| e.sets.iter().map(|s| &s.dst)))
                .map(|f| f.name.value.as_str())
                .collect();
            let fields: Vec<&str> = named.iter().copied().filter(|f| !keys.contains(f)).collect();
            if fields.is_empty() && !named.is_empty() {
                continue;
            }
            let writer = Writer { flow: id, target: t, event, producer };
            let count = flows_of.entry((system, entity.name.value.as_str())).or_insert((id, 0));
            if count.1 == 0 || count.0 != id {
                *count = (id, count.1 + 1);
            }
            let slots: Vec<Option<&str>> =
                if fields.is_empty() { vec![None] } else { fields.into_iter().map(Some).collect() };
            for field in slots {
                let slot = (system, entity.name.value.as_str(), field);
                let list = writers.entry(slot).or_insert_with(|| {
                    order.push(slot);
                    Vec::new()
                });
                if list.last().is_none_or(|w| w.flow != id || w.target != t) {
                    list.push(writer);
                }
            }
        }
    }
    // Per (system, entity): the first conflict found, and whether it is
    // sure (a common named field).
    let mut found: HashMap<Record<'_>, Conflict<'_>> = HashMap::default();
    let mut records: Vec<Record<'_>> = Vec::new();
    for &slot in &order {
        let (system, entity, field) = slot;
        let named = writers.get(&slot).map_or(&[][..], Vec::as_slice);
        // A write that names no field may touch this one: the record's first
        // few whole-record writers are compared too (a bound, so that many
        // fields and many such writers stay linear).
        let whole = match field {
            Some(_) => writers.get(&(system, entity, None)).map_or(&[][..], |w| &w[..w.len().min(WHOLE)]),
            None => &[][..],
        };
        let Some(first) = named.first().copied() else { continue };
        let Some(second) = named
            .iter()
            .chain(whole)
            .copied()
            .find(|w| w.producer != first.producer && !ordered(spec, first.event, w.event))
        else {
            continue;
        };
        let sure = field.is_some()
            && writers
                .get(&slot)
                .is_some_and(|named| named.iter().any(|w| w.flow == second.flow && w.target == second.target));
        let entry = found.entry((system, entity)).or_insert_with(|| {
            records.push((system, entity));
            (first, second, Vec::new(), sure)
        });
        if sure && !entry.3 {
            *entry = (first, second, Vec::new(), true);
        }
        if sure == entry.3
            && let Some(f) = field
            && !entry.2.contains(&f)
        {
            entry.2.push(f);
        }
    }
    for record in records {
        let Some((first, second, fields, sure)) = found.remove(&record) else { continue };
        let (system, entity) = record;
        let (a, b) = (spec.flow(first.flow), spec.flow(second.flow));
        let at = |w: Writer| -> Loc {
            let target = &spec.flow(w.flow).targets[w.target];
            target.action.as_ref().map_or(target.loc, |a| a.loc)
        };
        let producers =
            name_list([first.producer, second.producer].iter().map(|p| spec.system(*p).name.value.as_str()));
        let what = if sure {
            format!("both set {} of `{entity}`", name_list(fields.iter().copied()))
        } else {
            format!("both update `{entity}`")
        };
        let message = format!(
            "flows `{}` and `{}` {what} in `{}` on events of {producers}, which nothing orders: the later delivery \
             wins{}",
            a.name.value,
            b.name.value,
            spec.system(system).name.value,
            if sure { "" } else { " if they write the same fields" }
        );
        let writers_of_record = flows_of.get(&record).map_or(0, |c| c.1);
        let mut message = message;
        if writers_of_record > 2 {
            message.push_str(&format!(" ({} write it)", plural(writers_of_record, "flow")));
        }
        let event = |w: Writer| spec.event(w.event).name.value.clone();
        let d = Diagnostic::new(&LAST_WRITER_WINS, at(second), message)
            .with_label(format!("written on `{}`, from `{}`", event(second), spec.system(second.producer).name.value))
            .with_secondary(
                at(first),
                format!("also written on `{}`, from `{}`", event(first), spec.system(first.producer).name.value),
            )
            .with_help(format!(
                "if one event follows the other, say so with `after` on the later one (then `unordered-events` asks \
                 whether its consumer waits) and make the write refuse a stale change (a version, or a state that \
                 only moves forward); if only one of them can happen to a record, `allow` this with that reason{}",
                if sure { "" } else { "; naming the fields each flow writes (`set`, `map`) settles whether they meet" }
            ))
            .with_owner(Owner::Flow(second.flow));
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    fn spec(first: &str, second: &str, after: &str) -> String {
        format!(
            r#"
            system "a" kind=custom
            system "b" kind=custom
            system "db" kind=database
            event "one" from=a version=1
            event "two" from=b version=1 {{ {after} }}
            flow "f1" {{ on "one"; to db action=update entity=order {{ {first} }} }}
            flow "f2" {{ on "two"; to db action=upsert entity=order {{ {second} }} }}
            "#
        )
    }

    #[test]
    fn a_common_named_field_or_an_unnamed_one_is_reported() {
        let found = test_check(&LAST_WRITER_WINS, &spec("set \"status\" \"x\"", "set \"status\" \"y\"", ""));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "flows `f1` and `f2` both set `status` of `order` in `db` on events of `a` and `b`, which nothing \
             orders: the later delivery wins"
        );
        let found = test_check(&LAST_WRITER_WINS, &spec("", "set \"status\" \"y\"", ""));
        assert_eq!(found.len(), 1);
        assert!(found[0].message.ends_with("if they write the same fields"), "{}", found[0].message);
    }

    #[test]
    fn the_fields_a_write_finds_its_record_by_do_not_race() {
        // Both writes set the record's key, by which they find it, and
        // nothing else they share.
        let keyed = |extra: &str| {
            spec(
                &format!("match \"pk\" \"sk\"; set \"pk\" \"x\"; set \"sk\" \"y\"; {extra}"),
                "match \"pk\" \"sk\"; set \"pk\" \"x\"; set \"sk\" \"y\"; set \"cursor\" \"c\"",
                "",
            )
        };
        assert!(test_check(&LAST_WRITER_WINS, &keyed("")).is_empty());
        // A field beside the key that both set still races.
        let found = test_check(&LAST_WRITER_WINS, &keyed("set \"cursor\" \"d\""));
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("both set `cursor` of `order`"), "{}", found[0].message);
    }

    #[test]
    fn disjoint_fields_an_order_or_one_producer_are_quiet() {
        assert!(test_check(&LAST_WRITER_WINS, &spec("set \"a\" \"x\"", "set \"b\" \"y\"", "")).is_empty());
        assert!(test_check(&LAST_WRITER_WINS, &spec("", "", "after \"one\"")).is_empty());
        let one_producer = spec("", "", "").replace("from=b", "from=a");
        assert!(test_check(&LAST_WRITER_WINS, &one_producer).is_empty());
    }
}
