//! `no-dead-letter`: retries without a dead-letter destination.

use super::{Context, declare_rule};
use crate::diagnostic::Diagnostic;
use crate::model::Owner;

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with `retry` but no `dead-letter`.
    ///
    /// ## Why it matters
    ///
    /// Retries end. When the last attempt fails, a flow without a dead
    /// letter drops the data; with one, the failed message waits where
    /// someone can inspect and replay it.
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
    ///     retry attempts=5
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
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static NO_DEAD_LETTER = {
        name: "no-dead-letter",
        code: "WP105",
        severity: Warning,
        category: Topology,
        summary: "retries but no `dead-letter`: data is dropped when attempts run out",
        check: Some(check),
    }
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let (Some(retry), None) = (&flow.retry, &flow.dead_letter) else { continue };
        let attempts =
            retry.attempts.as_ref().map_or_else(|| "the last attempt".to_owned(), |a| format!("attempt {}", a.value));
        out.push(
            Diagnostic::new(
                &NO_DEAD_LETTER,
                retry.loc,
                format!("flow `{}` retries but has no `dead-letter`", flow.name.value),
            )
            .with_label(format!("after {attempts} fails, the data is dropped"))
            .with_secondary(flow.name.loc, "in this flow")
            .with_help("add `dead-letter` to the flow, so that failed messages are kept for replay")
            .with_owner(Owner::Flow(id)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn only_retrying_flows_need_a_dead_letter() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "a.e" from=a version=1
            flow "r" { on "a.e"; to b action=update; retry attempts=3 }
            flow "rd" { on "a.e"; to b action=update; retry; dead-letter }
            flow "n" { on "a.e"; to b action=update }
        "#;
        let found = test_check(&NO_DEAD_LETTER, text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].primary.message, "after attempt 3 fails, the data is dropped");
    }
}
