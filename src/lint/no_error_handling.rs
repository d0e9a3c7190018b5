//! `no-error-handling`: a flow whose delivery is at most once.
//!
//! Delivery follows the contract's table (`Flow::delivery`): without
//! `retry`, a poll trigger or a broker, a failed write is lost.

use super::{Context, declare_rule};
use crate::diagnostic::Diagnostic;
use crate::model::{Delivery, Owner, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with at-most-once delivery: it has no `retry`, is not
    /// triggered by a `poll`, and does not run via a broker. An event pushed
    /// to it or a scheduled batch is attempted once.
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
        check: Some(check),
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(trigger) = &flow.trigger else { continue };
        if flow.delivery(spec) != Delivery::AtMostOnce {
            continue;
        }
        let how = match trigger.kind {
            TriggerKind::On { .. } => "each event is delivered once",
            _ => "each scheduled run is attempted once",
        };
        let mut d = Diagnostic::new(
            &NO_ERROR_HANDLING,
            flow.name.loc,
            format!("flow `{}` delivers at most once: a failed write loses the data", flow.name.value),
        )
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
        "#;
        let found = test_check(&NO_ERROR_HANDLING, text);
        let owners: Vec<_> = found.iter().map(|d| d.owner).collect();
        assert_eq!(
            owners,
            vec![Some(Owner::Flow(crate::model::FlowId(3))), Some(Owner::Flow(crate::model::FlowId(4)))]
        );
    }
}
