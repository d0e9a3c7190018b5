//! `no-compensation`: a saga step that takes money or holds stock, which
//! nothing undoes when a later step fails.
//!
//! A *holding* write is a `create` on a `payments` system (a charge, a card
//! authorisation) or an `increment` (a stock or credit reservation). What
//! can fail after it is a later `to` of the same flow into another system,
//! or another flow on the same event that can refuse the change (it writes
//! a `payments` system, or reports an outcome with `emits`). A write into
//! the held system by any other flow is taken as its compensation (a
//! refund, a release, a cancelled reservation), since the spec cannot say
//! which write undoes which. Linear: one pass to count the flows that write
//! each system and to list the refusing flows of each event, then one per
//! holding write, naming at most a few of what follows.

use rustc_hash::FxHashMap;

use super::Context;
use super::util::{LISTED, is_party, name_list, plural, takes_no_money_yet};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{Action, EventId, Flow, FlowId, Owner, Spec, SystemId, SystemKind, Target};

declare_rule! {
    /// ## What it finds
    ///
    /// A write that takes money or holds stock (a `create` on a `payments`
    /// system, such as a charge or a card authorisation, or an `increment`,
    /// such as a stock or credit reservation, unless the `to` says
    /// `counter`: a running total of attempts or views, language 1.2),
    /// followed by a step that can
    /// fail, with no flow that undoes it:
    ///
    /// - a later `to` of the same flow into another system (charge, then
    ///   ship), other than a retried status write: an `update` or `upsert`
    ///   (not into a `payments` system) that a `retry` or a broker's
    ///   redelivery repeats until it lands, such as the flow's own "charged"
    ///   mark on the order, cannot refuse the change, and when it fails the
    ///   retry is the fix, not a refund; nor can a notice (a `send` into an
    ///   `email` or `marketing` system: the receipt, the confirmation),
    ///   whose failure leaves the sale standing and is sent again, unless
    ///   the flow runs as a saga that undoes its other holdings on any
    ///   failure (another flow writes, not only reads, the system of one
    ///   of them: its charge refunded), where the notice is a step too; or
    /// - another flow on the same event that can refuse the change: one
    ///   that writes a `payments` system, or reports an outcome with
    ///   `emits` (stock reserved while the payment, handled beside it, is
    ///   refused).
    ///
    /// - a flow on an event the write `emits` (the charge's "payment
    ///   completed", in a choreographed saga) that takes money or holds
    ///   stock itself: stock decremented after the charge, which runs out.
    ///
    /// A `create` on a payments system of something that takes no money
    /// yet (a checkout session, a payment link, a quote, a token) or of a
    /// party (a customer, a payee's account) holds nothing: one left behind
    /// expires or waits unused, with nothing to refund.
    ///
    /// Any write into the held system by another flow counts as the
    /// compensation (a refund, a release), since the spec does not say
    /// which write undoes which; so does an inline `allow` naming who
    /// undoes it.
    ///
    /// ## Why it matters
    ///
    /// Without a transaction across services, a step that fails after a
    /// charge leaves the customer charged for an order that does not
    /// exist, and a refused payment leaves stock reserved for an order that
    /// will never ship. A saga undoes what its earlier steps did; a missing
    /// compensation is found by the customer, not by the logs.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "payments" kind=payments
    /// system "shipping" kind=custom
    /// event "order.placed" from=shop version=1
    /// flow "place-order" {
    ///     on "order.placed"
    ///     to payments action=create entity=charge
    ///     to shipping action=create entity=shipment
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Refund the charge when shipping fails, in a flow of its own.
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "payments" kind=payments
    /// system "shipping" kind=custom
    /// event "order.placed" from=shop version=1
    /// event "shipment.failed" from=shipping version=1
    /// flow "place-order" {
    ///     on "order.placed"
    ///     to payments action=create entity=charge
    ///     to shipping action=create entity=shipment
    /// }
    /// flow "refund-unshipped" {
    ///     on "shipment.failed"
    ///     to payments action=create entity=refund
    /// }
    /// ```
    pub(crate) static NO_COMPENSATION = {
        name: "no-compensation",
        code: "WP124",
        severity: Warning,
        category: Topology,
        summary: "a charge or reservation that nothing undoes when a later step fails",
    }
}

/// Whether the write takes money or holds stock. A `create` on a payments
/// system of something that takes no money yet (a checkout session, a
/// payment link, a quote, a token) or of a party (a customer, a payee's
/// account) holds nothing: it has nothing to refund.
fn holds(spec: &Spec, target: &Target) -> bool {
    let Some(system) = target.system.target else { return false };
    match target.action.as_ref().map(|a| a.value) {
        Some(Action::Create) => {
            spec.system(system).kind() == SystemKind::Payments
                && !target.entity.as_ref().is_some_and(|e| takes_no_money_yet(&e.name.value) || is_party(&e.name.value))
        }
        // A running total (`counter`) counts what happened, failures
        // included; there is nothing to release.
        Some(Action::Increment) => target.counter.is_none(),
        _ => false,
    }
}

/// Whether a flow can refuse the change its event reports: it writes a
/// payments system (a charge can be declined) or reports an outcome.
fn can_refuse(spec: &Spec, flow: &Flow) -> bool {
    flow.targets
        .iter()
        .any(|t| !t.emits.is_empty() || t.system.target.is_some_and(|s| spec.system(s).kind() == SystemKind::Payments))
}

/// Whether a later write only records the outcome and is retried until it
/// lands: an `update` or `upsert` (a status on the flow's own order record),
/// not into a payments system, with a `retry` (the flow's or its own) or a
/// broker that redelivers. It cannot refuse the change; when it fails, the
/// retry is the fix, not a refund.
fn retried_status_write(spec: &Spec, flow: &Flow, target: &Target) -> bool {
    let status = target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Update | Action::Upsert));
    let payments = target.system.target.is_some_and(|s| spec.system(s).kind() == SystemKind::Payments);
    let retried =
        flow.retry.is_some() || target.retry.is_some() || (flow.via_broker(spec) && !flow.consumed_at_most_once(spec));
    status && !payments && retried
}

/// Whether a later write only tells someone (a `send` into an `email` or
/// `marketing` system: the receipt, the confirmation). It cannot refuse the
/// change; when it fails, the sale stands and the notice is sent again, so
/// undoing what was held before it would be the error, unless the flow is a
/// saga that undoes its other holdings on any failure (see `check`).
fn notice(spec: &Spec, target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == Action::Send)
        && target.call.is_none()
        && target
            .system
            .target
            .is_some_and(|s| matches!(spec.system(s).kind(), SystemKind::Email | SystemKind::Marketing))
}

/// The flows that write a system: the first, and whether there are others.
#[derive(Clone, Copy)]
struct Writers {
    first: FlowId,
    several: bool,
}

impl Writers {
    /// Counts flow `id` among the writers of `system`.
    fn note(map: &mut FxHashMap<SystemId, Writers>, system: SystemId, id: FlowId) {
        let w = map.entry(system).or_insert(Writers { first: id, several: false });
        w.several |= w.first != id;
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let mut writers: FxHashMap<SystemId, Writers> = FxHashMap::default();
    // The same, counting only writes that change something (not a `read`):
    // what can undo a holding.
    let mut changers: FxHashMap<SystemId, Writers> = FxHashMap::default();
    let mut refusing: FxHashMap<EventId, Vec<FlowId>> = FxHashMap::default();
    // The flows on each event that take money or hold stock themselves.
    let mut holding: FxHashMap<EventId, Vec<FlowId>> = FxHashMap::default();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if let Some(event) = flow.trigger_event().filter(|_| flow.targets.iter().any(|t| holds(spec, t))) {
            holding.entry(event).or_default().push(id);
        }
        for target in &flow.targets {
            let Some(system) = target.system.target else { continue };
            Writers::note(&mut writers, system, id);
            if !target.reads() {
                Writers::note(&mut changers, system, id);
            }
        }
        if let Some(event) = flow.trigger_event().filter(|_| can_refuse(spec, flow)) {
            refusing.entry(event).or_default().push(id);
        }
    }
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        // A flow some of whose holdings another flow undoes (its charge
        // refunded by a write, not merely read again) runs as a saga that
        // any later failure ends, a notice's included: there the notice
        // counts as a step that can fail.
        let saga = flow
            .targets
            .iter()
            .any(|t| holds(spec, t) && t.system.target.is_some_and(|s| changers.get(&s).is_some_and(|w| w.several)));
        for (i, target) in flow.targets.iter().enumerate() {
            let Some(held) = target.system.target.filter(|_| holds(spec, target)) else { continue };
            // Another flow writes the held system: taken as its compensation.
            if writers.get(&held).is_some_and(|w| w.several) {
                continue;
            }
            let later: Vec<&Target> = flow.targets[i + 1..]
                .iter()
                .filter(|t| {
                    t.system.target.is_some_and(|s| s != held)
                        && !retried_status_write(spec, flow, t)
                        && (saga || !notice(spec, t))
                })
                .collect();
            let siblings: &[FlowId] = flow.trigger_event().and_then(|e| refusing.get(&e)).map_or(&[], Vec::as_slice);
            // The refusing flows beside this one; at most one of them is
            // this flow, so the first few others are among the first few.
            let others: Vec<FlowId> = siblings.iter().copied().filter(|f| *f != id).take(LISTED).collect();
            // This flow is among them exactly when it can refuse itself: a
            // constant-time test, where a search of the list would make an
            // event with many such flows quadratic.
            let other_count = siblings.len().saturating_sub(usize::from(can_refuse(spec, flow)));
            // The flows on what the write emits that hold something of
            // their own: the first few, and how many. No other flow writes
            // the held system (above), so what they hold is another's; this
            // flow is among them exactly when it runs on the event it
            // emits, a constant-time test as for the siblings.
            let mut downstream: Vec<(EventId, FlowId)> = Vec::new();
            let mut downstream_count = 0;
            for event in target.emits.iter().filter_map(|e| e.target) {
                let on: &[FlowId] = holding.get(&event).map_or(&[], Vec::as_slice);
                downstream_count += on.len().saturating_sub(usize::from(flow.trigger_event() == Some(event)));
                let room = LISTED.saturating_sub(downstream.len());
                downstream.extend(on.iter().filter(|&&f| f != id).take(room).map(|&f| (event, f)));
            }
            if later.is_empty() && other_count == 0 && downstream_count == 0 {
                continue;
            }
            let after =
                After { later: &later, others: &others, other_count, downstream: &downstream, downstream_count };
            out.push(diagnostic(spec, id, target, &after));
        }
    }
}

/// The steps after a held write that can fail: the flow's later writes,
/// the flows beside it on its event that can refuse the change, and the
/// flows on what it emits that hold something themselves (the first few of
/// each list, and how many in all).
struct After<'a, 't> {
    later: &'a [&'t Target],
    others: &'a [FlowId],
    other_count: usize,
    downstream: &'a [(EventId, FlowId)],
    downstream_count: usize,
}

fn diagnostic(spec: &Spec, id: FlowId, target: &Target, steps: &After<'_, '_>) -> Diagnostic {
    let After { later, others, other_count, downstream, downstream_count } = *steps;
    let flow = spec.flow(id);
    let action = target.action.as_ref().map_or("write", |a| a.value.as_str());
    let system = &target.system.name.value;
    let mut after = Vec::new();
    if !later.is_empty() {
        let names = name_list(later.iter().map(|t| t.system.name.value.as_str()));
        after.push(format!("{} after it in the flow ({names})", plural(later.len(), "write")));
    }
    if other_count > 0 {
        // `others` holds the first few; the count says how many in all.
        let shown: Vec<String> = others.iter().map(|f| format!("`{}`", spec.flow(*f).name.value)).collect();
        let names = crate::prose::list(&shown, other_count, LISTED, "and");
        let what = if other_count == 1 { "another flow on the same event" } else { "other flows on the same event" };
        after.push(format!("{what} that can refuse it ({names})"));
    }
    if let Some(&(event, _)) = downstream.first() {
        let shown: Vec<String> = downstream.iter().map(|(_, f)| format!("`{}`", spec.flow(*f).name.value)).collect();
        let names = crate::prose::list(&shown, downstream_count, LISTED, "and");
        let (what, verbs) =
            if downstream_count == 1 { ("a flow", "takes money or holds") } else { ("flows", "take money or hold") };
        after.push(format!(
            "{what} on `{}`, which it emits, that {verbs} stock after it ({names})",
            spec.event(event).name.value
        ));
    }
    // At the action, as a write's findings are: a `to` with a block spans
    // its lines.
    let mut d = Diagnostic::new(
        &NO_COMPENSATION,
        target.action.as_ref().map_or(target.loc, |a| a.loc),
        format!(
            "nothing undoes flow `{}`'s `{action}` on `{system}` when a later step fails: {}",
            flow.name.value,
            after.join("; ")
        ),
    )
    .with_label("no flow undoes this write")
    .with_owner(Owner::Flow(id));
    if let Some(first) = later.first() {
        d = d.with_secondary(first.loc, "can fail after it");
    }
    if let Some(&other) = others.first() {
        d = d.with_secondary(spec.flow(other).name.loc, "can refuse the change");
    }
    if let Some(&(_, next)) = downstream.first() {
        d = d.with_secondary(spec.flow(next).name.loc, "can fail after it, on what it emits");
    }
    d.with_help(format!(
        "add a flow that undoes it on the failure's event (a refund or a release: a write into `{system}`), or make \
         it the last step so that only retried steps follow it; if something outside the spec undoes it, say so \
         with `allow \"no-compensation\" reason=\"...\"` on flow `{}`",
        flow.name.value
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn a_charge_before_a_step_that_can_fail_needs_a_refund_somewhere() {
        let spec = |refund: &str| {
            format!(
                r#"
                system "shop" kind=ecommerce
                system "pay" kind=payments
                system "ship" kind=custom
                event "order.placed" from=shop version=1
                event "ship.failed" from=ship version=1
                flow "place" {{ on "order.placed"; to pay action=create; to ship action=create }}
                {refund}
                "#
            )
        };
        let found = test_check(&NO_COMPENSATION, &spec(""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "nothing undoes flow `place`'s `create` on `pay` when a later step fails: 1 write after it in the flow (`ship`)"
        );
        let refund = r#"flow "refund" { on "ship.failed"; to pay action=create entity=refund }"#;
        assert!(test_check(&NO_COMPENSATION, &spec(refund)).is_empty());
    }

    #[test]
    fn a_reservation_beside_a_payment_on_the_same_event() {
        let text = r#"
            system "shop" kind=ecommerce
            system "pay" kind=payments
            system "stock" kind=database
            system "mail" kind=email
            event "order.placed" from=shop version=1
            flow "reserve" { on "order.placed"; to stock action=increment }
            flow "charge" { on "order.placed"; to pay action=create }
            flow "notify" { on "order.placed"; to mail action=send }
        "#;
        let found = test_check(&NO_COMPENSATION, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "nothing undoes flow `reserve`'s `increment` on `stock` when a later step fails: another flow on the same \
             event that can refuse it (`charge`)"
        );
    }

    #[test]
    fn the_flows_on_what_a_charge_emits_are_counted_without_it() {
        // The charge runs on the event it emits, so it is among the flows on
        // that event that hold something; it is not a step after itself.
        let text = r#"
            system "pay" kind=payments
            system "stock-a" kind=custom
            system "stock-b" kind=custom
            event "paid" from=pay version=1
            flow "charge" { on "paid"; to pay action=create { emits "paid"; }; }
            flow "take-a" { on "paid"; to stock-a action=increment; }
            flow "take-b" { on "paid"; to stock-b action=increment; }
        "#;
        let found = test_check(&NO_COMPENSATION, text);
        let charge: Vec<_> = found.iter().filter(|d| d.message.contains("flow `charge`'s")).collect();
        assert_eq!(charge.len(), 1, "{found:?}");
        assert_eq!(
            charge[0].message,
            "nothing undoes flow `charge`'s `create` on `pay` when a later step fails: flows on `paid`, which it \
             emits, that take money or hold stock after it (`take-a` and `take-b`)"
        );
    }

    #[test]
    fn last_steps_notifications_and_idempotent_writes_are_fine() {
        let text = r#"
            system "shop" kind=ecommerce
            system "pay" kind=payments
            system "crm" kind=crm
            system "mail" kind=email
            event "order.placed" from=shop version=1
            flow "charge-last" { on "order.placed"; to crm action=upsert; to pay action=create }
            flow "update-pay" { on "order.placed"; to pay action=update; to mail action=send }
            flow "count" { on "order.placed"; to crm action=increment }
        "#;
        // `charge-last` and `update-pay` both write `pay`, so each is the
        // other's compensation by the rule's reading; `count` holds `crm`,
        // which `charge-last` writes too.
        assert!(test_check(&NO_COMPENSATION, text).is_empty());
        let alone = r#"
            system "shop" kind=ecommerce
            system "pay" kind=payments
            system "mail" kind=email
            event "order.placed" from=shop version=1
            flow "charge-last" { on "order.placed"; to mail action=send; to pay action=create }
            flow "notify" { on "order.placed"; to mail action=send }
        "#;
        assert!(test_check(&NO_COMPENSATION, alone).is_empty());
    }
}
