//! `unknown-volume`: a rate-limited system written by flows whose events
//! say nothing of how many there are, so that nothing can weigh the load
//! against the limit.
//!
//! `rate-limit-exceeded` sums the declared peaks; an event without `volume`
//! adds nothing to that sum, which is not the same as adding zero requests.
//! This check names, per limited system, the events whose flows write it
//! and that declare no volume. One pass over the flows.

use super::Context;
use super::util::{name_list, plural};
use crate::diagnostic::{Diagnostic, Severity, declare_rule};
use crate::model::{EventId, Owner, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A system with a rate limit (its `rate-limit`, or the limit its
    /// `connector=` vendor documents) that flows write on events declaring
    /// no `volume`. One finding per limited system names those events.
    /// It is an info: the load may be far below the limit, and only the
    /// volume can say so.
    ///
    /// ## Why it matters
    ///
    /// A limit is a number to compare with another number. Without the
    /// events' volumes, `rate-limit-exceeded` has nothing to weigh against
    /// the limit, and the first bulk import, pipeline clean-up or sale is
    /// when the 429s show it. Declaring the peak, even roughly, is what
    /// lets the check (and the planner) answer.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "crm" kind=crm {
    ///     webhooks #true
    /// }
    /// system "books" kind=accounting {
    ///     rate-limit 60 per=minute
    /// }
    /// event "deal.won" from=crm version=1 {
    ///     delivery at-most-once
    /// }
    /// flow "deal-to-invoice" {
    ///     on "deal.won"
    ///     to books action=upsert entity=invoice
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Declare how many, and the peak a bulk change makes:
    ///
    /// ```kdl
    /// system "crm" kind=crm {
    ///     webhooks #true
    /// }
    /// system "books" kind=accounting {
    ///     rate-limit 60 per=minute
    /// }
    /// event "deal.won" from=crm version=1 {
    ///     delivery at-most-once
    ///     volume per-day=200 peak-per-second=0.5
    /// }
    /// flow "deal-to-invoice" {
    ///     on "deal.won"
    ///     to books action=upsert entity=invoice
    ///     retry attempts=3
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static UNKNOWN_VOLUME = {
        name: "unknown-volume",
        code: "WP125",
        severity: Info,
        category: Topology,
        summary: "flows into a rate-limited system on events that declare no `volume`",
    }
}

/// How many events a finding labels; the message counts the rest.
const LABELS: usize = 3;

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let limited: Vec<bool> = spec.systems.iter().map(|s| s.rate_limit_fact().is_some()).collect();
    // Per limited system, the events without a volume whose flows write it,
    // each once, in the order of the flows.
    let mut unknown: Vec<Vec<EventId>> = vec![Vec::new(); spec.systems.len()];
    let mut seen: rustc_hash::FxHashSet<(usize, EventId)> = Default::default();
    for flow in &spec.flows {
        let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { continue };
        let Some(event) = event.target else { continue };
        if spec.event(event).volume.is_some() {
            continue;
        }
        for target in &flow.targets {
            let Some(system) = target.system.target.filter(|s| limited[s.index()]) else { continue };
            if seen.insert((system.index(), event)) {
                unknown[system.index()].push(event);
            }
        }
    }
    for id in spec.system_ids() {
        let events = &unknown[id.index()];
        if events.is_empty() {
            continue;
        }
        let Some(limit) = spec.system(id).rate_limit_fact() else { continue };
        let system = &spec.system(id).name.value;
        let names = name_list(events.iter().map(|e| spec.event(*e).name.value.as_str()));
        let mut d = Diagnostic::new(
            &UNKNOWN_VOLUME,
            limit.origin.loc(),
            format!(
                "`{system}` is rate-limited ({}), but {} whose flows write it {} no volume: {names}",
                limit.said,
                plural(events.len(), "event"),
                if events.len() == 1 { "declares" } else { "declare" }
            ),
        )
        .with_label("nothing to weigh against this limit");
        for e in events.iter().take(LABELS) {
            let event = spec.event(*e);
            d = d.with_secondary(event.name.loc, format!("how many `{}` at peak?", event.name.value));
        }
        let mut d = d
            .with_help(format!(
                "declare `volume per-day=N peak-per-second=N` on {}, counting the peak a bulk import or clean-up \
                 makes, so that `rate-limit-exceeded` can weigh the load against the limit",
                if events.len() == 1 { "the event" } else { "each event" }
            ))
            .with_owner(Owner::System(id));
        d.severity = Severity::Info;
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    const SPEC: &str = r#"
        system "crm" kind=crm
        system "books" kind=accounting { rate-limit 60 per=minute; }
        system "chat" kind=custom
        event "a" from=crm version=1 VOLUME
        event "b" from=crm version=1
        flow "one" { on "a"; to books action=upsert; to chat action=send; }
        flow "two" { on "a"; to books action=update; }
        flow "three" { on "b"; to chat action=send; }
    "#;

    #[test]
    fn names_each_event_without_a_volume_once_per_limited_system() {
        let found = test_check(&UNKNOWN_VOLUME, &SPEC.replace("VOLUME", ""));
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`books` is rate-limited (60 per minute), but 1 event whose flows write it declares no volume: `a`"]
        );
        assert_eq!(found[0].severity, Severity::Info);
    }

    #[test]
    fn a_declared_volume_or_an_unlimited_target_is_quiet() {
        let declared = SPEC.replace("VOLUME", "{ volume per-day=10 peak-per-second=1; }");
        assert!(test_check(&UNKNOWN_VOLUME, &declared).is_empty());
        let unlimited = SPEC.replace("VOLUME", "").replace("rate-limit 60 per=minute;", "");
        assert!(test_check(&UNKNOWN_VOLUME, &unlimited).is_empty());
    }
}
