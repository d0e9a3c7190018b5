//! `latency-mismatch`: a latency target the trigger cannot meet.
//!
//! A polled or scheduled flow sees a change only at its next run, so its
//! worst-case latency is the longest gap between runs: `every=` for polls
//! and `schedule every=`, and for `schedule cron=` an estimate of the
//! longest gap between two runs (see `cron::gap`). Event triggers push each
//! change as it happens and are never reported.

use std::time::Duration;

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{Loc, Owner, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with `latency max=DURATION` shorter than the time its trigger
    /// can take to notice a change: the interval of a `poll` or of a
    /// `schedule every=`, or the longest gap between two runs of a
    /// `schedule cron=` (a daily cron can take a day).
    ///
    /// ## Why it matters
    ///
    /// The latency target is a promise to someone (a lead called within
    /// five minutes, stock levels fresh within the hour). A trigger that
    /// runs less often breaks the promise by design, not by accident.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm
    /// flow "orders-to-crm" {
    ///     poll shop entity=order every="15m"
    ///     to crm action=upsert
    ///     latency max="5m"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm
    /// flow "orders-to-crm" {
    ///     poll shop entity=order every="2m"
    ///     to crm action=upsert
    ///     latency max="5m"
    /// }
    /// ```
    pub(crate) static LATENCY_MISMATCH = {
        name: "latency-mismatch",
        code: "WP115",
        severity: Warning,
        category: Topology,
        summary: "a `latency max=` shorter than the trigger's interval",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let (Some(latency), Some(trigger)) = (&flow.latency, &flow.trigger) else { continue };
        let (interval, loc, what): (Duration, Loc, String) = match &trigger.kind {
            TriggerKind::Poll(poll) => match &poll.every {
                Some(every) => (every.value, every.loc, "polls".into()),
                None => continue,
            },
            TriggerKind::Schedule(schedule) => match (&schedule.every, &schedule.cron) {
                (Some(every), _) => (every.value, every.loc, "runs".into()),
                (None, Some(cron)) => match crate::cron::gap(&cron.value) {
                    Some(gap) => (gap, cron.loc, format!("`{}` can wait", cron.value)),
                    None => continue,
                },
                (None, None) => continue,
            },
            TriggerKind::On { .. } => continue,
        };
        if latency.value >= interval {
            continue;
        }
        let interval_text = spec_duration(interval);
        let latency_text = spec_duration(latency.value);
        let label = if what == "polls" || what == "runs" {
            format!("{what} every {interval_text}")
        } else {
            format!("{what} {interval_text} between runs")
        };
        let kind = match &trigger.kind {
            TriggerKind::Poll(_) => "poll more often, or trigger the flow `on` an event the source pushes",
            _ => "run the schedule more often, or trigger the flow `on` an event the source pushes",
        };
        out.push(
            Diagnostic::new(
                &LATENCY_MISMATCH,
                latency.loc,
                format!(
                    "flow `{}` promises a latency of {latency_text}, but its trigger can take {interval_text}",
                    flow.name.value
                ),
            )
            .with_label(format!("at most {latency_text}"))
            .with_secondary(loc, label)
            .with_help(format!("{kind}; or relax the target to `latency max=\"{interval_text}\"`"))
            .with_owner(Owner::Flow(id)),
        );
    }
}

/// A duration as a spec writes it: in the largest unit that divides it
/// (`"64h"`, `"1d"`, `"90s"`).
pub(super) fn spec_duration(d: Duration) -> String {
    let secs = d.as_secs();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs >= size && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    if d.subsec_nanos() == 0 { format!("{secs}s") } else { format!("{}ms", d.as_millis()) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn durations_print_as_written() {
        assert_eq!(spec_duration(Duration::from_secs(64 * 3600)), "64h");
        assert_eq!(spec_duration(Duration::from_secs(86_400)), "1d");
        assert_eq!(spec_duration(Duration::from_secs(90)), "90s");
        assert_eq!(spec_duration(Duration::from_secs(300)), "5m");
    }

    #[test]
    fn event_triggers_are_never_late() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            event "e" from=a version=1
            flow "push" { on "e"; to b action=update; latency max="1s" }
            flow "poll" { poll a every="10m"; to b action=update; latency max="5m" }
            flow "nightly" { schedule cron="0 2 * * *"; from a; to b action=update; latency max="1h" }
            flow "fine" { schedule every="1h"; from a; to b action=update; latency max="1h" }
        "#;
        let found = test_check(&LATENCY_MISMATCH, text);
        let messages: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "flow `poll` promises a latency of 5m, but its trigger can take 10m",
                "flow `nightly` promises a latency of 1h, but its trigger can take 1d",
            ]
        );
    }
}
