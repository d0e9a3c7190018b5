//! `orphan-event`: an event that no flow consumes.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{Owner, Ref, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// An event that no flow is triggered by (`on EVENT`). An event marked
    /// `published` (language 1.2) is for subscribers outside the spec, such
    /// as other teams or analytics, and is not reported.
    ///
    /// ## Why it matters
    ///
    /// Either a flow is missing (the data the event announces goes nowhere),
    /// or the event is stale and misleads readers about what is integrated.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// event "order.refunded" from=shop version=1
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "books" kind=accounting
    /// event "order.refunded" from=shop version=1
    /// flow "refunds-to-books" {
    ///     on "order.refunded"
    ///     to books action=upsert entity=credit_note
    /// }
    /// ```
    pub(crate) static ORPHAN_EVENT = {
        name: "orphan-event",
        code: "WP110",
        severity: Warning,
        category: Topology,
        summary: "an event no flow consumes",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let mut consumed = vec![false; spec.events.len()];
    for flow in &spec.flows {
        if let Some(TriggerKind::On { event: Ref { target: Some(e), .. } }) = flow.trigger.as_ref().map(|t| &t.kind) {
            consumed[e.index()] = true;
        }
        // An unresolved `on` is already an error; the event it most likely
        // meant is not also reported as consumed by nothing.
        if let Some(e) = flow.meant {
            consumed[e.index()] = true;
        }
    }
    for id in spec.event_ids() {
        // (1.2) An event `published` for subscribers outside the spec has them.
        if consumed[id.index()] || spec.event(id).published.is_some() {
            continue;
        }
        let event = spec.event(id);
        out.push(
            Diagnostic::new(&ORPHAN_EVENT, event.name.loc, format!("no flow consumes event `{}`", event.name.value))
                .with_label("declared but never used as a trigger")
                .with_help(format!("add a flow with `on \"{}\"`, or remove the event", event.name.value))
                .with_owner(Owner::Event(id)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn consumed_events_are_fine() {
        let text = r#"
            system "a" kind=crm
            event "used" from=a version=1
            event "unused" from=a version=1
            flow "f" { on "used"; to a action=update }
        "#;
        let found = test_check(&ORPHAN_EVENT, text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "no flow consumes event `unused`");
    }
}
