//! `rate-limit-exceeded`: peak load into a system at the horizon above its
//! rate limit.
//!
//! The load into a system is the sum, over every `to` that writes it, of
//! the `peak-per-second` of the event that triggers the flow, times the
//! volume growth reached at the horizon. Polls and schedules declare no
//! volume and add nothing. One pass over the flows.

use super::Context;
use super::util::{number, plural};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{FlowId, Owner, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A system with `rate-limit` that receives more writes per second at
    /// peak than the limit allows, at the planning horizon: the sum of the
    /// `peak-per-second` of the events whose flows write it, grown by
    /// `volume-growth`. The finding shows the numbers and the flows that
    /// contribute most.
    ///
    /// ## Why it matters
    ///
    /// Past its rate limit an API answers 429. Peaks then back up into
    /// retries, arrive late, or are dropped, and it happens on the busiest
    /// day of the year.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// stack "shop" {
    ///     horizon months=12
    ///     volume-growth 3.0
    /// }
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm {
    ///     rate-limit 10 per=second
    /// }
    /// event "order.paid" from=shop version=1 {
    ///     volume per-day=20000 peak-per-second=5
    /// }
    /// flow "orders-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Buy the headroom (or batch the writes, and declare the limit that
    /// applies to batches).
    ///
    /// ```kdl
    /// stack "shop" {
    ///     horizon months=12
    ///     volume-growth 3.0
    /// }
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm {
    ///     rate-limit 20 per=second
    /// }
    /// event "order.paid" from=shop version=1 {
    ///     volume per-day=20000 peak-per-second=5
    /// }
    /// flow "orders-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    /// }
    /// ```
    pub(crate) static RATE_LIMIT_EXCEEDED = {
        name: "rate-limit-exceeded",
        code: "WP114",
        severity: Warning,
        category: Topology,
        summary: "peak event volume at the horizon above the target's `rate-limit`",
    }
}

/// One write into a system: the flow, its `to`, and the peak it adds now.
struct Contribution {
    flow: FlowId,
    target: usize,
    peak: f64,
}

pub(super) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let horizon = spec.horizon_months();
    let growth = spec.growth_at(horizon);
    let mut into: Vec<Vec<Contribution>> = (0..spec.systems.len()).map(|_| Vec::new()).collect();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { continue };
        let Some(event) = event.target else { continue };
        let peak = spec.event(event).peak_per_second();
        if peak <= 0.0 {
            continue;
        }
        for (t, target) in flow.targets.iter().enumerate() {
            let limited = target.system.target.filter(|s| spec.system(*s).rate_limit.is_some());
            if let Some(system) = limited {
                into[system.index()].push(Contribution { flow: id, target: t, peak });
            }
        }
    }
    for id in spec.system_ids() {
        let system = spec.system(id);
        let Some(limit) = &system.rate_limit else { continue };
        let contributions = &mut into[id.index()];
        let now: f64 = contributions.iter().map(|c| c.peak).sum();
        let load = now * growth;
        let allowed = limit.per_second();
        if load <= allowed {
            continue;
        }
        // Largest contributors first; ties in flow order.
        contributions.sort_by(|a, b| b.peak.total_cmp(&a.peak).then(a.flow.cmp(&b.flow)));
        let grown = if (growth - 1.0).abs() > f64::EPSILON {
            format!(" ({}/s now, grown {}x)", number(now), number(growth))
        } else {
            String::new()
        };
        let per = if limit.per.seconds() > 1.0 {
            format!(" ({} per {})", number(limit.count), limit.per)
        } else {
            String::new()
        };
        let mut d = Diagnostic::new(
            &RATE_LIMIT_EXCEEDED,
            limit.loc,
            format!(
                "peak load into `{}` at the horizon (month {horizon}) is {}/s{grown}, above its rate limit of {}/s{per}",
                system.name.value,
                number(load),
                number(allowed)
            ),
        )
        .with_label(format!("allows {}/s", number(allowed)));
        for c in contributions.iter().take(3) {
            let flow = spec.flow(c.flow);
            let event = match flow.trigger.as_ref().map(|t| &t.kind) {
                Some(TriggerKind::On { event }) => event.name.value.as_str(),
                _ => "?",
            };
            d = d.with_secondary(
                flow.targets[c.target].system.name.loc,
                format!(
                    "flow `{}`: `{event}` peaks at {}/s, {}/s at the horizon",
                    flow.name.value,
                    number(c.peak),
                    number(c.peak * growth)
                ),
            );
        }
        if contributions.len() > 3 {
            d.message.push_str(&format!("; {} write it", plural(contributions.len(), "flow")));
        }
        out.push(
            d.with_help("queue the writes through a broker that throttles to the limit, batch them, or raise the limit with the vendor")
                .with_owner(Owner::System(id)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn sums_peaks_times_growth_against_the_limit_per_second() {
        let text = r#"
            stack "s" { horizon months=12; volume-growth 2.0 }
            system "a" kind=crm
            system "b" kind=crm { rate-limit 1200 per=minute }
            system "c" kind=crm { rate-limit 100 per=second }
            event "x" from=a version=1 { volume peak-per-second=6 }
            event "y" from=a version=1 { volume peak-per-second=5 }
            flow "fx" { on "x"; to b action=update; to c action=update }
            flow "fy" { on "y"; to b action=update }
        "#;
        let found = test_check(&RATE_LIMIT_EXCEEDED, text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "peak load into `b` at the horizon (month 12) is 22/s (11/s now, grown 2x), above its rate limit of 20/s (1200 per minute)"
        );
        assert_eq!(found[0].secondary.len(), 2);
        assert!(found[0].secondary[0].message.starts_with("flow `fx`"));
    }
}
