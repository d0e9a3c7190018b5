//! `sync-call-chain`: a customer who waits on a chain of synchronous calls
//! (language 1.2's `reply` and `call`).

use super::Context;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Owner, SystemKind, TriggerKind};

/// The kinds of system a customer uses directly: a request from one of them
/// has a person waiting at the other end.
fn customer_facing(kind: SystemKind) -> bool {
    matches!(kind, SystemKind::Website | SystemKind::Ecommerce)
}

declare_rule! {
    /// ## What it finds
    ///
    /// A flow that `reply`s to a request from a customer-facing system (a
    /// `website` or an `ecommerce` shop) and, before it answers, waits on
    /// two or more `call`s: the customer waits on a chain of at least three
    /// synchronous hops (the flow and each call). It is an info: a chain can
    /// be right, and the spec does not say how fast each hop is.
    ///
    /// ## Why it matters
    ///
    /// The customer waits for the sum of the calls, and the request fails
    /// when any one of them is slow or down: three services at 99.9% each
    /// answer 99.7% of the time together. Whatever need not be in the
    /// answer can be done after it, asynchronously.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "web" kind=website
    /// system "pricing" kind=custom
    /// system "stock" kind=custom
    /// event "quote.requested" from=web version=1
    /// flow "quote" {
    ///     on "quote.requested"
    ///     reply timeout="5s"
    ///     to pricing action=send {
    ///         call timeout="2s"
    ///     }
    ///     to stock action=send {
    ///         call timeout="2s"
    ///     }
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "web" kind=website
    /// system "pricing" kind=custom
    /// system "stock" kind=custom
    /// event "quote.requested" from=web version=1
    /// event "quote.sent" from=pricing version=1
    /// flow "quote" {
    ///     on "quote.requested"
    ///     reply timeout="5s"
    ///     to pricing action=send {
    ///         call timeout="2s"
    ///     }
    ///     log
    /// }
    /// flow "reserve-after-quote" {
    ///     on "quote.sent"
    ///     to stock action=update
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static SYNC_CALL_CHAIN = {
        name: "sync-call-chain",
        code: "WP121",
        severity: Info,
        category: Topology,
        summary: "a customer waits on a chain of synchronous calls",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let (Some(reply), Some(trigger)) = (&flow.reply, &flow.trigger) else { continue };
        let TriggerKind::On { event } = &trigger.kind else { continue };
        let Some(caller) = event.target.and_then(|e| spec.event(e).from.as_ref()?.target) else { continue };
        let caller = spec.system(caller);
        if !customer_facing(caller.kind()) {
            continue;
        }
        let calls: Vec<&crate::model::Target> = flow.targets.iter().filter(|t| t.call.is_some()).collect();
        if calls.len() < 2 {
            continue;
        }
        let mut hops = vec![format!("`{}`", caller.name.value), format!("flow `{}`", flow.name.value)];
        hops.extend(calls.iter().map(|t| format!("`{}`", t.system.name.value)));
        let mut d = Diagnostic::new(
            &SYNC_CALL_CHAIN,
            reply.loc,
            format!(
                "a customer of `{}` waits on {} synchronous calls in a row: {}",
                caller.name.value,
                calls.len() + 1,
                hops.join(" -> ")
            ),
        )
        .with_label("the customer waits for every call below");
        for t in &calls {
            if let Some(call) = &t.call {
                d = d.with_secondary(call.loc, format!("waits on `{}`", t.system.name.value));
            }
        }
        out.push(
            d.with_help(
                "keep in the answer only the calls the customer needs to see; do the others after it, in a flow \
                 on an event (with `retry` and `dead-letter`)",
            )
            .with_owner(Owner::Flow(id)),
        );
    }
}
