//! `rate-limit-exceeded`: peak load into a system at the horizon above its
//! rate limit.
//!
//! The load into a system is the sum, over every `to` that writes it, of
//! the `peak-per-second` of the event that triggers the flow, times the
//! volume growth reached at the horizon, plus one request per run of each
//! `poll` of it and each `schedule every=` reading `from` it. One pass over
//! the flows.

use super::Context;
use super::util::{number, plural};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use std::time::Duration;

use crate::model::{EffectiveLimit, FlowId, Loc, Origin, Owner, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A system with `rate-limit` that receives more requests per second at
    /// peak than the limit allows, at the planning horizon. A system without
    /// `rate-limit` whose `connector=` names a catalog entry is held to the
    /// strictest limit its vendor documents for every request (the finding
    /// names it and its page). Counted: the
    /// `peak-per-second` of the events whose flows write it, grown by
    /// `volume-growth`; and the reads of it by `poll` flows and by
    /// `schedule every=` flows with `from` it, at least one request per run
    /// (a run that reads several pages makes one request per page, which
    /// the spec does not say), which do not grow with volume. A `cron`
    /// schedule and a poll's writes elsewhere are not counted. The finding
    /// says what it counted, and shows the flows that contribute most.
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
        summary: "peak requests at the horizon (event writes grown by `volume-growth`, and polls) above the target's `rate-limit`",
    }
}

/// Below this many requests a second, a rate reads better per day.
const SLOW: f64 = 0.01;

/// `12/s`; or `100 a day` when the limit it is compared with is too slow
/// to read per second.
fn rate(per_second: f64, allowed: f64) -> String {
    if allowed >= SLOW {
        format!("{}/s", number(per_second))
    } else {
        format!("{} a day", crate::plan::count(per_second * 86_400.0))
    }
}

/// One source of requests into a system.
struct Contribution {
    flow: FlowId,
    what: Source,
    /// Requests a second now.
    now: f64,
}

enum Source {
    /// Target `to` of the flow writes once per event; grows with volume.
    Write { target: usize },
    /// The flow reads the system at least once per run (a `poll`, or a
    /// `schedule every=` with `from`): `every` apart, whatever the volume.
    Read { every: Duration, loc: Loc },
}

impl Contribution {
    fn at_horizon(&self, growth: f64) -> f64 {
        match self.what {
            Source::Write { .. } => self.now * growth,
            Source::Read { .. } => self.now,
        }
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let horizon = spec.horizon_months();
    let growth = spec.growth_at(horizon);
    let mut into: Vec<Vec<Contribution>> = (0..spec.systems.len()).map(|_| Vec::new()).collect();
    let limits: Vec<Option<EffectiveLimit<'_>>> = spec.systems.iter().map(|s| s.rate_limit_fact()).collect();
    let limited = |s: Option<SystemId>| s.filter(|s| limits[s.index()].is_some());
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(trigger) = &flow.trigger else { continue };
        // A poll, or a schedule reading `from` a system, requests at least
        // one page of it per run.
        let read = match &trigger.kind {
            TriggerKind::Poll(poll) => poll.every.as_ref().map(|every| (poll.system.target, every)),
            TriggerKind::Schedule(schedule) => {
                schedule.every.as_ref().and_then(|every| flow.from.as_ref().map(|from| (from.system.target, every)))
            }
            TriggerKind::On { .. } => None,
        };
        if let Some((system, every)) = read
            && let Some(system) = limited(system)
            && every.value.as_secs_f64() > 0.0
        {
            into[system.index()].push(Contribution {
                flow: id,
                what: Source::Read { every: every.value, loc: trigger.loc },
                now: 1.0 / every.value.as_secs_f64(),
            });
        }
        let TriggerKind::On { event } = &trigger.kind else { continue };
        let Some(event) = event.target else { continue };
        let peak = spec.event(event).peak_per_second();
        if peak <= 0.0 {
            continue;
        }
        for (t, target) in flow.targets.iter().enumerate() {
            if let Some(system) = limited(target.system.target) {
                into[system.index()].push(Contribution { flow: id, what: Source::Write { target: t }, now: peak });
            }
        }
    }
    for id in spec.system_ids() {
        let system = spec.system(id);
        let Some(limit) = &limits[id.index()] else { continue };
        let contributions = &mut into[id.index()];
        let (mut events, mut reads, mut polls) = (0.0, 0.0, 0usize);
        for c in contributions.iter() {
            match c.what {
                Source::Write { .. } => events += c.now,
                Source::Read { .. } => {
                    reads += c.now;
                    polls += 1;
                }
            }
        }
        let load = events * growth + reads;
        let allowed = limit.per_second;
        if load <= allowed {
            continue;
        }
        // Largest contributors first; ties in flow order.
        contributions.sort_by(|a, b| b.at_horizon(growth).total_cmp(&a.at_horizon(growth)).then(a.flow.cmp(&b.flow)));
        let grown = (growth - 1.0).abs() > f64::EPSILON;
        let mut counted = Vec::new();
        if polls > 0 {
            if events > 0.0 {
                counted.push(if grown {
                    format!("{} of events now, grown {}x", rate(events, allowed), number(growth))
                } else {
                    format!("{} of events", rate(events, allowed))
                });
            }
            counted.push(format!(
                "at least {} of reads by {}, one page a run",
                rate(reads, allowed),
                plural(polls, "polling flow")
            ));
        } else if grown {
            counted.push(format!("{}/s now, grown {}x", number(events), number(growth)));
        }
        let counted = if counted.is_empty() { String::new() } else { format!(" ({})", counted.join("; ")) };
        let per = match (&limit.origin, &system.rate_limit) {
            (Origin::Catalog { source, .. }, _) => format!(" ({}: {source})", limit.said),
            (Origin::Spec(_), Some(spec_limit)) if spec_limit.per.seconds() > 1.0 && allowed >= SLOW => {
                format!(" ({} per {})", number(spec_limit.count), spec_limit.per)
            }
            _ => String::new(),
        };
        let mut d = Diagnostic::new(
            &RATE_LIMIT_EXCEEDED,
            limit.origin.loc(),
            format!(
                "peak load into `{}` at the horizon (month {horizon}) is {}{counted}, above its rate limit of {}{per}",
                system.name.value,
                rate(load, allowed),
                rate(allowed, allowed)
            ),
        )
        .with_label(format!("allows {}", rate(allowed, allowed)));
        for c in contributions.iter().take(3) {
            let flow = spec.flow(c.flow);
            d = match c.what {
                Source::Write { target } => {
                    let event = match flow.trigger.as_ref().map(|t| &t.kind) {
                        Some(TriggerKind::On { event }) => event.name.value.as_str(),
                        _ => "?",
                    };
                    d.with_secondary(
                        flow.targets[target].system.name.loc,
                        format!(
                            "flow `{}`: `{event}` peaks at {}/s, {}/s at the horizon",
                            flow.name.value,
                            number(c.now),
                            number(c.now * growth)
                        ),
                    )
                }
                Source::Read { every, loc } => d.with_secondary(
                    loc,
                    format!(
                        "flow `{}` reads `{}` every {}: at least one request a run ({}/s), one more for each further \
                         page",
                        flow.name.value,
                        system.name.value,
                        super::latency_mismatch::spec_duration(every),
                        number(c.now)
                    ),
                ),
            };
        }
        if contributions.len() > 3 {
            let verb = if polls > 0 { "add to it" } else { "write it" };
            d.message.push_str(&format!("; {} {verb}", plural(contributions.len(), "flow")));
        }
        out.push(
            d.with_help("queue the writes through a broker that throttles to the limit, batch them, poll less often, or raise the limit with the vendor")
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

    /// Polls request too: a poll every second into a limit of 30 a minute
    /// exceeds it with no event volume at all, and the finding says what it
    /// counted.
    #[test]
    fn polls_and_scheduled_reads_count_one_request_a_run() {
        let text = r#"
            system "a" kind=crm { rate-limit 30 per=minute; }
            system "b" kind=crm
            flow "p" { poll a every="1s"; to b action=update }
            flow "s" { schedule every="1m"; from a entity=x; to b action=update }
        "#;
        let found = test_check(&RATE_LIMIT_EXCEEDED, text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "peak load into `a` at the horizon (month 18) is 1.02/s (at least 1.02/s of reads by 2 polling flows, one \
             page a run), above its rate limit of 0.5/s (30 per minute)"
        );
        assert_eq!(
            found[0].secondary[0].message,
            "flow `p` reads `a` every 1s: at least one request a run (1/s), one more for each further page"
        );
        let slow = text.replace(r#"every="1s""#, r#"every="1h""#);
        assert!(test_check(&RATE_LIMIT_EXCEEDED, &slow).is_empty());
    }
}
