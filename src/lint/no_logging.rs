//! `no-logging`: a flow that leaves no trace of its runs.
//!
//! A flow whose trigger is carried by a log-retaining transport (a broker
//! spoken to over Kafka's protocol, or a producer that publishes on it) is
//! left out: the topic keeps every record the flow read, and what it wrote
//! back, for the retention period, and that is the run log a stream
//! processor or a saga handler is traced by. A vendor's own integration
//! (`run-by`) keeps what history its vendor keeps; what it is asked is who
//! hears of a failure there.

use super::Context;
use super::util::PerFlow;
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Fix};
use crate::model::{ApiStyle, Flow, FlowId, Owner, Spec, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow without `log`. The flows into one system (by their first
    /// `to`: the handlers of that service) are one finding that lists them,
    /// with a label at each; a flow with an inline `allow "no-logging"` is
    /// left out of its group.
    ///
    /// A flow whose trigger travels on a log-retaining transport is not
    /// reported: one `via` a broker whose `api` is `kafka` (Kafka, or a
    /// service that speaks its protocol), or, without `via`, one `on` an
    /// event whose producer's `api` is `kafka`. The topic keeps what was
    /// sent for its retention period; a queue (`amqp`, `sqs`) deletes a
    /// message once it is consumed, so it is no log.
    ///
    /// A vendor's own integration (a flow with `run-by`) keeps whatever
    /// history of its runs the vendor keeps, so it is asked another
    /// question: who hears of a failure.
    /// It is quiet with `log` or with a `dead-letter alert=` naming who is
    /// told. The flows run by one vendor are one finding.
    ///
    /// It is an info: most runtimes a flow runs in keep a run history of
    /// their own (Zapier's Zap history, n8n's and Make's executions, Step
    /// Functions' execution history), which the spec cannot state, and on
    /// published architectures the finding was wrong each time one did.
    /// Where nothing keeps the runs (a service you wrote, a Node-RED
    /// flow), make it an error with `lint { deny "no-logging" }`.
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
        severity: Info,
        category: Topology,
        summary: "a flow without `log`",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Both made only when reported or read into a group: a spec whose
    // flows all lack `log` holds a flow id for each, not a finding.
    let mut singles = PerFlow { rule: &NO_LOGGING, items: Vec::new(), finding: |id, ()| missing_log(spec, id) };
    let mut vendors =
        PerFlow { rule: &NO_LOGGING, items: Vec::new(), finding: |id, vendor| unwatched(spec, id, vendor) };
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        if flow.log.is_some() || flow.misspelt("log") || retained(spec, flow) {
            continue;
        }
        if let Some(vendor) = flow.run_by.as_ref().and_then(|r| r.target) {
            // Who is told of a failure is said; the vendor keeps the runs.
            if flow.dead_letter_alert.is_none() {
                vendors.items.push((id, vendor));
            }
            continue;
        }
        singles.items.push((id, ()));
    }
    super::util::group_by_target(
        spec,
        singles,
        |system, n, names| format!("{n} flows into `{system}` do not log their runs: {names}"),
        out,
    );
    super::util::group_by(
        spec,
        vendors,
        |_, flow| flow.run_by.as_ref().and_then(|r| r.target),
        "run by",
        |system, n, names| {
            format!(
                "`{system}` runs {n} flows here ({names}), and nothing says who hears of their failures: \
                 whatever `{system}` records of its runs and errors stays in its own screens unless someone is told"
            )
        },
        out,
    );
}

/// The finding of a flow of the team's without `log`.
fn missing_log(spec: &Spec, id: FlowId) -> Diagnostic {
    let flow = spec.flow(id);
    Diagnostic::new(&NO_LOGGING, flow.name.loc, format!("flow `{}` does not log its runs", flow.name.value))
        .with_label("no `log`")
        .with_help(
            "add `log` to the flow, or `allow \"no-logging\" reason=\"...\"` if another system keeps the run log",
        )
        .with_owner(Owner::Flow(id))
        // Logging changes nothing about delivery.
        .with_fix(Fix::safe("Add `log`", vec![super::util::add_to_flow(spec, id, "log")]))
}

/// The question for a vendor's own integration (`run-by`): what it keeps
/// of its runs is the vendor's, which the spec cannot state; what is
/// unsaid is who learns that one failed.
fn unwatched(spec: &Spec, id: FlowId, vendor: SystemId) -> Diagnostic {
    let flow = spec.flow(id);
    let vendor = &spec.system(vendor).name.value;
    Diagnostic::new(
        &NO_LOGGING,
        flow.name.loc,
        format!(
            "flow `{}` is `{vendor}`'s own integration, and nothing says who hears of its failures: whatever \
             `{vendor}` records of its runs and errors stays in its own screens unless someone is told",
            flow.name.value
        ),
    )
    .with_label("no one named to hear of a failure")
    .with_help(format!(
        "say who is told when a run fails, as `{vendor}` parks it (its error list, its notification e-mails): \
         `dead-letter alert=\"...\"`; if someone reads its history every day, say so with `log`"
    ))
    .with_owner(Owner::Flow(id))
}

/// Whether the flow's trigger travels on a transport that keeps what was
/// sent: its `via` system, or (point-to-point) the producer of its event,
/// speaks Kafka's protocol. Kafka keeps every record for its retention
/// period whether or not it was consumed; queues delete what was consumed.
pub(super) fn retained(spec: &Spec, flow: &Flow) -> bool {
    let kafka = |s: SystemId| spec.system(s).api_style() == Some(ApiStyle::Kafka);
    match flow.via.as_ref() {
        Some(via) => via.target.is_some_and(kafka),
        None => {
            matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::On { .. }))
                && flow.source_system(spec).is_some_and(kafka)
        }
    }
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

    /// Kafka keeps what was sent; a queue does not.
    #[test]
    fn a_trigger_on_a_log_retaining_transport_is_its_run_log() {
        let text = r#"
            system "kafka" kind=broker { api kafka version="3.6"; }
            system "rabbit" kind=broker { api amqp version="0.9.1"; }
            system "svc" kind=custom { api kafka version="3.6"; }
            system "a" kind=crm
            event "svc.e" from=svc version=1
            event "a.e" from=a version=1
            flow "via-kafka" { on "a.e"; via kafka; to a action=update }
            flow "from-kafka" { on "svc.e"; to a action=update }
            flow "via-rabbit" { on "svc.e"; via rabbit; to a action=update }
        "#;
        let found = test_check(&NO_LOGGING, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].message, "flow `via-rabbit` does not log its runs");
    }
}
