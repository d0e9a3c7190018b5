//! `premature-notification`: a message sent to the customer on the same
//! change as a charge that can still be refused, so it cannot say how the
//! charge went.
//!
//! A `send` (an email, an SMS, a push) is told of the change at the same
//! moment as a flow that charges for it (a `create` on a `payments`
//! system), or earlier in the same flow than the charge: "order confirmed"
//! goes out before anyone knows whether the card was declined. An info:
//! the message may be a receipt of the request, not a confirmation. Linear:
//! one pass to find the first charging flow on each event, one over the
//! flows' targets.

use super::Context;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Action, FlowId, Owner, Spec, SystemKind, Target};

declare_rule! {
    /// ## What it finds
    ///
    /// A `send` (a notification: an email, an SMS) on an event that
    /// another flow charges for (a `create` on a `payments` system), or a
    /// `send` in a flow before its own charge. Both run before the charge's
    /// outcome is known. A `send` after the charge in the same flow waits
    /// for it, and a `send` on the charge's own outcome event (what the
    /// charge `emits`) knows it: both are quiet. It is an info: a message
    /// that only acknowledges the request ("we received your order") is
    /// right where it is, and an `allow` with that reason says so.
    ///
    /// ## Why it matters
    ///
    /// The customer is told the order is confirmed, and then the card is
    /// declined: a second message has to take back the first, support
    /// answers the calls, and a shop that ships on the first message ships
    /// unpaid orders.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "payments" kind=payments
    /// system "mailer" kind=email
    /// event "order.placed" from=shop version=1
    /// flow "charge" {
    ///     on "order.placed"
    ///     to payments action=create entity=charge
    ///     idempotency-key "order_id"
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// flow "confirm" {
    ///     on "order.placed"
    ///     to mailer action=send entity=confirmation
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Confirm on the charge's outcome.
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "payments" kind=payments
    /// system "mailer" kind=email
    /// event "order.placed" from=shop version=1
    /// event "payment.succeeded" from=payments version=1
    /// flow "charge" {
    ///     on "order.placed"
    ///     to payments action=create entity=charge {
    ///         emits "payment.succeeded"
    ///     }
    ///     idempotency-key "order_id"
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// flow "confirm" {
    ///     on "payment.succeeded"
    ///     to mailer action=send entity=confirmation
    ///     log
    /// }
    /// ```
    pub(crate) static PREMATURE_NOTIFICATION = {
        name: "premature-notification",
        code: "WP131",
        severity: Info,
        category: Topology,
        summary: "a notification sent beside a charge that can still be refused",
    }
}

/// Whether the write is a charge: a `create` on a `payments` system.
fn charges(spec: &Spec, target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == Action::Create)
        && target.system.target.is_some_and(|s| spec.system(s).kind() == SystemKind::Payments)
}

/// Whether the write is a notification: a `send` to anything but a
/// payments system.
fn notifies(spec: &Spec, target: &Target) -> bool {
    target.action.as_ref().is_some_and(|a| a.value == Action::Send)
        && target.system.target.is_some_and(|s| spec.system(s).kind() != SystemKind::Payments)
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Per event, the first two flows that charge for it (two, so that a
    // charging flow can name another one than itself).
    let mut charging: Vec<[Option<FlowId>; 2]> = vec![[None, None]; spec.events.len()];
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(e) = flow.trigger_event() else { continue };
        if flow.targets.iter().any(|t| charges(spec, t)) {
            let slot = &mut charging[e.index()];
            if slot[0].is_none() {
                slot[0] = Some(id);
            } else if slot[1].is_none() {
                slot[1] = Some(id);
            }
        }
    }
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(e) = flow.trigger_event() else { continue };
        let other = charging[e.index()].into_iter().flatten().find(|f| *f != id);
        // The first send that goes out before a charge is known: any, when
        // another flow charges; else one before this flow's own charge.
        let first_charge = flow.targets.iter().position(|t| charges(spec, t));
        let before = match (other, first_charge) {
            (Some(_), _) => flow.targets.iter().find(|t| notifies(spec, t)),
            (None, Some(c)) => flow.targets[..c].iter().find(|t| notifies(spec, t)),
            (None, None) => None,
        };
        let Some(send) = before else { continue };
        let action = send.action.as_ref().map_or(send.loc, |a| a.loc);
        let mut d = match other {
            Some(other) => {
                let charger = spec.flow(other);
                Diagnostic::new(
                    &PREMATURE_NOTIFICATION,
                    action,
                    format!(
                        "flow `{}` sends to `{}` on `{}` beside flow `{}`, which charges for it: the message goes \
                         out before anyone knows whether the charge succeeds",
                        flow.name.value,
                        send.system.name.value,
                        spec.event(e).name.value,
                        charger.name.value
                    ),
                )
                .with_secondary(charger.name.loc, "charges on the same event, and can be refused")
            }
            None => Diagnostic::new(
                &PREMATURE_NOTIFICATION,
                action,
                format!(
                    "flow `{}` sends to `{}` before its own charge: the message goes out before anyone knows whether \
                     the charge succeeds",
                    flow.name.value, send.system.name.value
                ),
            ),
        }
        .with_label("sent before the charge's outcome is known");
        if let Some(c) = first_charge {
            d = d.with_secondary(flow.targets[c].loc, "the charge");
        }
        out.push(
            d.with_help(
                "send it on the charge's outcome (an event the charge `emits`), or after the charge in the same \
                 flow; if it only acknowledges the request, say so with `allow \"premature-notification\" \
                 reason=\"...\"`",
            )
            .with_owner(Owner::Flow(id)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn a_send_beside_or_before_a_charge_but_not_after_it() {
        let text = r#"
            system "shop" kind=ecommerce
            system "pay" kind=payments
            system "mail" kind=email
            event "placed" from=shop version=1
            event "asked" from=shop version=1
            event "paid" from=pay version=1
            flow "charge" { on "placed"; to pay action=create { emits "paid"; } }
            flow "confirm" { on "placed"; to mail action=send }
            flow "confirm-paid" { on "paid"; to mail action=send }
            flow "first-send" { on "asked"; to mail action=send; to pay action=create }
            flow "first-charge" { on "asked"; to pay action=create; to mail action=send }
        "#;
        let found = test_check(&PREMATURE_NOTIFICATION, text);
        let owners: Vec<_> = found.iter().map(|d| d.owner).collect();
        let flow = |i| Some(Owner::Flow(FlowId(i)));
        // On `asked`, each of the two flows charges, so each one's send goes
        // out beside the other's charge.
        assert_eq!(owners, vec![flow(1), flow(3), flow(4)]);
        assert!(found[0].message.contains("beside flow `charge`"), "{}", found[0].message);
    }

    #[test]
    fn a_send_before_its_own_charge() {
        let text = r#"
            system "shop" kind=ecommerce
            system "pay" kind=payments
            system "mail" kind=email
            event "placed" from=shop version=1
            flow "both" { on "placed"; to mail action=send; to pay action=create }
            flow "after" { on "placed"; to crm action=update }
            system "crm" kind=crm
        "#;
        let found = test_check(&PREMATURE_NOTIFICATION, text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "flow `both` sends to `mail` before its own charge: the message goes out before anyone knows whether the \
             charge succeeds"
        );
    }
}
