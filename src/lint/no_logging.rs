//! `no-logging`: a flow that leaves no trace of its runs.

use super::Context;
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Fix};
use crate::model::Owner;

declare_rule! {
    /// ## What it finds
    ///
    /// A flow without `log`. The flows into one system (by their first
    /// `to`: the handlers of that service) are one finding that lists them,
    /// with a label at each; a flow with an inline `allow "no-logging"` is
    /// left out of its group.
    ///
    /// ## Why it matters
    ///
    /// When a customer asks where their order went, the log of each flow
    /// run is the only way to answer. Without it, a failure or a duplicate
    /// cannot be traced to the run that caused it.
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
    ///     dead-letter
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
    pub(crate) static NO_LOGGING = {
        name: "no-logging",
        code: "WP106",
        severity: Warning,
        category: Topology,
        summary: "a flow without `log`",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let mut singles = Vec::new();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if flow.log.is_some() || flow.misspelt("log") {
            continue;
        }
        singles.push((
            id,
            Diagnostic::new(&NO_LOGGING, flow.name.loc, format!("flow `{}` does not log its runs", flow.name.value))
                .with_label("no `log`")
                .with_help("add `log` to the flow, or `allow \"no-logging\" reason=\"...\"` if another system keeps the run log")
                .with_owner(Owner::Flow(id))
                // Logging changes nothing about delivery.
                .with_fix(Fix::safe("Add `log`", vec![super::util::add_to_flow(spec, id, "log")])),
        ));
    }
    super::util::group_by_target(
        spec,
        singles,
        |system, n, names| format!("{n} flows into `{system}` do not log their runs: {names}"),
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn flows_without_log_are_found() {
        let text = r#"
            system "a" kind=crm
            event "a.e" from=a version=1
            flow "x" { on "a.e"; to a action=update; log }
            flow "y" { on "a.e"; to a action=update }
        "#;
        let found = test_check(&NO_LOGGING, text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "flow `y` does not log its runs");
    }
}
