//! `latency-mismatch`: a latency target the trigger cannot meet.
//!
//! A polled or scheduled flow sees a change only at its next run, so its
//! worst-case latency is the longest gap between runs: `every=` for polls
//! and `schedule every=`, and for `schedule cron=` an estimate of the
//! longest gap between two runs (see `cron_gap`). Event triggers push each
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
            TriggerKind::Poll { every: Some(every), .. } => (every.value, every.loc, "polls".into()),
            TriggerKind::Schedule { every: Some(every), .. } => (every.value, every.loc, "runs".into()),
            TriggerKind::Schedule { cron: Some(cron), .. } => match cron_gap(&cron.value) {
                Some(gap) => (gap, cron.loc, format!("`{}` can wait", cron.value)),
                None => continue,
            },
            _ => continue,
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
            TriggerKind::Poll { .. } => "poll more often, or trigger the flow `on` an event the source pushes",
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

/// An estimate of the longest gap between two runs of a five-field cron
/// expression (minute, hour, day of month, month, day of week): the longest
/// gap between runs within a day, or from the last run of a day to the
/// first run of the next active day, and across inactive months. Months
/// count as 30 days and day-of-month cycles as 31. `None` for syntax this
/// estimate does not understand (`L`, `W`, `#`).
pub(crate) fn cron_gap(expr: &str) -> Option<Duration> {
    const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields[..] else { return None };
    let minutes = field(minute, 0, 59, &[], 0)?;
    let hours = field(hour, 0, 23, &[], 0)?;
    let doms = field(dom, 1, 31, &[], 1)?;
    let months = field(month, 1, 12, MONTHS, 1)?;
    let mut dows = field(dow, 0, 7, DAYS, 0)?;
    if dows[7] {
        dows[0] = true;
    }
    dows.truncate(7);
    let times: Vec<u64> = (0..24u64)
        .filter(|h| hours[*h as usize])
        .flat_map(|h| (0..60u64).filter(|m| minutes[*m as usize]).map(move |m| h * 60 + m))
        .collect();
    let (first, last) = (*times.first()?, *times.last()?);
    let intra = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let all = |v: &[bool], from: usize| v[from..].iter().all(|b| *b);
    let (dom_all, dow_all) = (all(&doms, 1), all(&dows, 0));
    let day_gap = match (dom_all, dow_all) {
        (true, true) => 1,
        (false, true) => cycle_gap(&doms[1..])?,
        (true, false) => cycle_gap(&dows)?,
        // Either matches (cron's rule), so the gap is at most the smaller.
        (false, false) => cycle_gap(&doms[1..])?.min(cycle_gap(&dows)?),
    };
    let wrap = first + day_gap * 1440 - last;
    let mut gap = intra.max(wrap);
    if !all(&months, 1) {
        let month_gap = cycle_gap(&months[1..])?;
        if month_gap > 1 {
            gap = gap.max((month_gap - 1) * 30 * 1440 + wrap);
        }
    }
    Some(Duration::from_secs(gap * 60))
}

/// The longest distance between consecutive set positions of a cycle.
fn cycle_gap(set: &[bool]) -> Option<u64> {
    let on: Vec<u64> = set.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i as u64).collect();
    let (first, last) = (*on.first()?, *on.last()?);
    let inner = on.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    Some(inner.max(first + set.len() as u64 - last))
}

/// The values one cron field allows, as flags indexed by value.
fn field(text: &str, min: usize, max: usize, names: &[&str], name_base: usize) -> Option<Vec<bool>> {
    let mut set = vec![false; max + 1];
    let value = |s: &str| -> Option<usize> {
        let lower = s.to_ascii_lowercase();
        names
            .iter()
            .position(|n| *n == lower)
            .map(|i| i + name_base)
            .or_else(|| s.parse().ok())
            .filter(|v| (min..=max).contains(v))
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<usize>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return None;
        }
        for v in (lo..=hi).step_by(step) {
            set[v] = true;
        }
    }
    Some(set)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    fn minutes(expr: &str) -> Option<u64> {
        cron_gap(expr).map(|d| d.as_secs() / 60)
    }

    #[test]
    fn durations_print_as_written() {
        assert_eq!(spec_duration(Duration::from_secs(64 * 3600)), "64h");
        assert_eq!(spec_duration(Duration::from_secs(86_400)), "1d");
        assert_eq!(spec_duration(Duration::from_secs(90)), "90s");
        assert_eq!(spec_duration(Duration::from_secs(300)), "5m");
    }

    #[test]
    fn cron_gaps_are_estimated() {
        assert_eq!(minutes("*/15 * * * *"), Some(15));
        assert_eq!(minutes("0 2 * * *"), Some(1440));
        assert_eq!(minutes("0,30 9 * * *"), Some(1410));
        // Hourly in office hours on weekdays: Friday 17:00 to Monday 09:00.
        assert_eq!(minutes("0 9-17 * * 1-5"), Some(64 * 60));
        assert_eq!(minutes("0 9-17 * * MON-FRI"), Some(64 * 60));
        assert_eq!(minutes("0 0 1 * *"), Some(31 * 1440));
        assert_eq!(minutes("0 0 * * 0"), Some(7 * 1440));
        assert_eq!(minutes("0 0 * * 7"), Some(7 * 1440));
        // Quarterly: three months apart, roughly.
        assert_eq!(minutes("0 0 1 1,4,7,10 *"), Some(2 * 30 * 1440 + 31 * 1440));
        assert_eq!(minutes("0 0 L * *"), None);
        assert_eq!(minutes("0 0 * *"), None);
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
