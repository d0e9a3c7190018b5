//! `unwatched-dead-letter`: a flow that keeps its failures in a dead letter
//! and says nobody is told (language 1.2's `dead-letter alert=`).
//!
//! A dead letter is only as good as whoever reads it, and alerting is half
//! of the practice (retries with dead letters *and alerting*). Every flow
//! with a `dead-letter` is asked (a vendor's own integration, `run-by`, only
//! where `no-logging` does not already ask who hears of its failures); the
//! held-out corpus listed unread dead letters as a risk in flows of every
//! criticality. The findings are grouped by where the dead letters collect:
//! the hub or broker the flows run `via` (its dead-letter queues are
//! watched, or not, together), or the system point-to-point flows write
//! to. One pass over the flows.

use super::Context;
use super::util::{PerFlow, group_by};
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{FlowId, Loc, Owner};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with `dead-letter` that
    /// does not say who is alerted when a message lands there
    /// (`dead-letter alert="..."`, language 1.2: a team, a channel, a
    /// pager). Flows through one hub or broker are one
    /// finding, since their dead-letter queues are watched together, and so
    /// are point-to-point flows into one system. A vendor's own integration
    /// (`run-by`) is asked too where it logs its runs, or runs on a
    /// transport that keeps them (an add-on's error log, a sync's
    /// failed-keys table, a Kafka engine's dead-letter topic): its failures
    /// wait in the vendor's screens until someone is told. Without either,
    /// `no-logging` already asks who hears of its failures, and this does
    /// not ask again. It is an info: the alarm may well exist outside the
    /// spec, which the `alert=` then records.
    ///
    /// ## Why it matters
    ///
    /// A dead letter keeps what failed every retry so that someone can
    /// replay it; if nobody is told, nobody replays it. The order that
    /// failed to reach the ERP waits in a queue until a customer asks
    /// where it is, or until the queue's retention deletes it (SQS keeps a
    /// message four days by default).
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp {
    ///     criticality high
    /// }
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-erp" {
    ///     on "order.paid"
    ///     to erp action=upsert entity=order
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Alarm on the dead letters (a queue-depth alarm, a monitor on the
    /// hub's dead-letter file), and say who it tells:
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp {
    ///     criticality high
    /// }
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-erp" {
    ///     on "order.paid"
    ///     to erp action=upsert entity=order
    ///     retry attempts=5
    ///     dead-letter alert="ops-on-call"
    ///     log
    /// }
    /// ```
    pub(crate) static UNWATCHED_DEAD_LETTER = {
        name: "unwatched-dead-letter",
        code: "WP128",
        severity: Info,
        category: Topology,
        summary: "a `dead-letter` that says nobody is alerted when a message lands there",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // The finding a flow would get alone, made from the place of its `dead-letter`.
    let finding = |id: FlowId, dead_letter: Loc| {
        Diagnostic::new(
            &UNWATCHED_DEAD_LETTER,
            dead_letter,
            format!("flow `{}` keeps dead letters, but says nobody is alerted to them", spec.flow(id).name.value),
        )
        .with_label("who is told when a message lands here?")
        .with_help(
            "alarm on the dead letters (a queue-depth alarm, a monitor on the dead-letter file) and say whom it \
             tells with `dead-letter alert=\"...\"`",
        )
        .with_owner(Owner::Flow(id))
    };
    let mut via = PerFlow { rule: &UNWATCHED_DEAD_LETTER, items: Vec::new(), finding };
    let mut direct = PerFlow { rule: &UNWATCHED_DEAD_LETTER, items: Vec::new(), finding };
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(dead_letter) = flow.dead_letter else { continue };
        // A vendor's own integration that neither logs nor keeps its runs
        // is asked by `no-logging` who hears of its failures: one question.
        let asked_by_no_logging =
            flow.runner().is_some() && flow.log.is_none() && !super::no_logging::retained(spec, flow);
        if flow.dead_letter_alert.is_some() || asked_by_no_logging {
            continue;
        }
        let group = if flow.via.as_ref().and_then(|v| v.target).is_some() { &mut via } else { &mut direct };
        group.items.push((id, dead_letter));
    }
    group_by(
        spec,
        via,
        |_, flow| flow.via.as_ref().and_then(|v| v.target),
        "via",
        |system, n, names| format!("{n} flows keep dead letters via `{system}`, but none says who is alerted: {names}"),
        out,
    );
    group_by(
        spec,
        direct,
        |_, flow| flow.targets.first().and_then(|t| t.system.target),
        "into",
        |system, n, names| {
            format!("{n} flows into `{system}` keep dead letters, but none says who is alerted: {names}")
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn flows_via_one_transport_are_one_finding_and_an_alert_settles_it() {
        let text = r#"
            system "shop" kind=ecommerce
            system "bus" kind=broker
            system "a" kind=custom { criticality high; }
            system "b" kind=custom { criticality high; }
            system "c" kind=custom
            event "e" from=shop version=1
            flow "one" { on "e"; via bus; to a action=upsert; dead-letter; }
            flow "two" { on "e"; via bus; to b action=upsert; dead-letter; }
            flow "three" { on "e"; to b action=upsert; retry; dead-letter; }
            flow "four" { on "e"; to a action=upsert; retry; dead-letter alert="ops"; }
            flow "five" { on "e"; to c action=upsert; retry; dead-letter; }
            flow "six" { on "e"; to c action=upsert; retry; dead-letter; }
            flow "vendor" { on "e"; to c action=upsert; retry; dead-letter; run-by c; }
        "#;
        let found = test_check(&UNWATCHED_DEAD_LETTER, text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "2 flows keep dead letters via `bus`, but none says who is alerted: `one` and `two`",
                "flow `three` keeps dead letters, but says nobody is alerted to them",
                "2 flows into `c` keep dead letters, but none says who is alerted: `five` and `six`",
            ],
            "an alert settles `four`, and a vendor's own flow that does not log is `no-logging`'s to ask"
        );
    }
}
