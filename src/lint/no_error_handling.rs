//! `no-error-handling`: a flow whose delivery is at most once.
//!
//! This is the contract's second delivery question (`Flow::can_lose`), asked
//! per target: without `retry` (the flow's or the target's own), a poll
//! trigger or a broker, a failed write is lost. A webhook sender's own
//! retries do not count: the receiver acknowledged before it wrote.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{Owner, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with at-most-once delivery: it has no `retry`, is not
    /// triggered by a `poll`, and does not run via a broker. An event pushed
    /// to it or a scheduled batch is attempted once. Where some `to`s have a
    /// `retry` of their own, the others are named. A webhook sender's
    /// retries do not count: the flow acknowledged the webhook before it
    /// wrote, so a failed write is not sent again.
    ///
    /// ## Why it matters
    ///
    /// Every API fails now and then: a timeout, a 429, a deploy. Without a
    /// retry, each failure silently loses the order, lead or payment that
    /// was in flight, and nobody notices until the numbers disagree.
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

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(trigger) = &flow.trigger else { continue };
        // A misspelt `retry` is already an error: do not pile on.
        if flow.misspelt("retry") {
            continue;
        }
        let lost: Vec<usize> = (0..flow.targets.len()).filter(|&t| flow.can_lose(spec, t)).collect();
        if lost.is_empty() {
            continue;
        }
        let webhook = match &trigger.kind {
            TriggerKind::On { event } => event
                .target
                .and_then(|e| spec.event(e).from.as_ref()?.target)
                .is_some_and(|s| spec.system(s).has_webhooks()),
            _ => false,
        };
        let how = match trigger.kind {
            TriggerKind::On { .. } if webhook => {
                "the sender stops retrying once the webhook is acknowledged, which is before the write"
            }
            TriggerKind::On { .. } => "each event is delivered once",
            _ => "each scheduled run is attempted once",
        };
        let message = if lost.len() == flow.targets.len() {
            format!("flow `{}` delivers at most once: a failed write loses the data", flow.name.value)
        } else {
            let names: Vec<&str> = lost.iter().map(|&t| flow.targets[t].system.name.value.as_str()).collect();
            format!(
                "flow `{}` delivers at most once to {}: a failed write there loses the data",
                flow.name.value,
                super::util::name_list(names)
            )
        };
        let mut d = Diagnostic::new(&NO_ERROR_HANDLING, flow.name.loc, message)
            .with_label("no retry, no broker")
            .with_secondary(trigger.loc, how);
        if let Some(via) = &flow.via {
            d = d.with_secondary(via.name.loc, "a hub does not redeliver");
        }
        out.push(
            d.with_help("add `retry attempts=5 backoff=exponential` and `dead-letter`, or run the flow via a broker")
                .with_owner(Owner::Flow(id)),
        );
    }
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
}
