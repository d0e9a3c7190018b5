//! `polling-over-webhook`: polling a system that can push changes.

use super::Context;
use std::collections::HashMap;

use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{EventId, FlowId, Origin, Owner, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow triggered by `poll SYSTEM` where the system has
    /// `webhooks #true`, or, when the spec does not say, where its
    /// `connector=` names a catalog entry whose vendor documents webhooks
    /// (the finding cites the vendor's page). Beside a flow that already
    /// takes the same system's changes of that entity into the same target
    /// by webhook, the poll is most likely its catch-up (webhooks are lost
    /// and late): the finding is an info that says so. A vendor's own
    /// integration (`run-by`) is asked at info: how it reads is its
    /// vendor's. A poll that loads only a warehouse or a lake (an ELT
    /// extract, run in batches by design; a `read` on the way, such as each
    /// ticket's audits, writes nothing) is not asked. One that only copies
    /// into a database (`kind=database` or `api database`: a copy kept for
    /// reports or a dashboard, which may poll on purpose) is asked at info.
    /// A `schedule` that
    /// reads a system whole (`from`) to keep a copy elsewhere (every write
    /// an `upsert`, or it `read`s what it writes before writing it: a
    /// comparison) is a poll by another name, asked at info, since a whole
    /// read may be a reconciliation on purpose; one that acts at a time of
    /// day (reminders, reports: a `send`) is not asked.
    ///
    /// ## Why it matters
    ///
    /// Polling spends API quota on asking "anything new?", delivers changes
    /// up to a whole interval late, and re-reads overlapping records. A
    /// webhook pushes each change once, as it happens.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     webhooks #true
    /// }
    /// system "crm" kind=crm
    /// flow "orders-to-crm" {
    ///     poll shop entity=order every="5m"
    ///     to crm action=upsert
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Declare the webhook's event and trigger the flow with it.
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce {
    ///     webhooks #true
    /// }
    /// system "crm" kind=crm
    /// event "order.created" from=shop entity=order version=1
    /// flow "orders-to-crm" {
    ///     on "order.created"
    ///     to crm action=upsert
    /// }
    /// ```
    pub(crate) static POLLING_OVER_WEBHOOK = {
        name: "polling-over-webhook",
        code: "WP107",
        severity: Warning,
        category: Topology,
        summary: "a `poll` of a system that has webhooks",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // The events of each system, in declaration order, to suggest one.
    let mut events_by_system: Vec<Vec<EventId>> = vec![Vec::new(); spec.systems.len().max(1)];
    for id in spec.event_ids() {
        if let Some(from) = spec.event(id).from.as_ref().and_then(|f| f.target) {
            events_by_system[from.index()].push(id);
        }
    }
    // The flows that take a system's events of an entity into a target:
    // a poll beside one of them is its catch-up, not the only way in.
    let mut by_webhook: HashMap<(SystemId, Option<&str>, SystemId), FlowId> = HashMap::new();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { continue };
        let Some(event) = event.target.map(|e| spec.event(e)) else { continue };
        let Some(from) = event.from.as_ref().and_then(|f| f.target) else { continue };
        let entity = event.entity.as_ref().map(|e| e.name.value.as_str());
        for target in flow.targets.iter().filter_map(|t| t.system.target) {
            by_webhook.entry((from, entity, target)).or_insert(id);
        }
    }
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(trigger) = &flow.trigger else { continue };
        // What the flow reads by asking: a poll's system, or the system a
        // schedule reads whole (`schedule` with `from`) to keep another
        // system's copy (every write an `upsert`), not one that acts at a
        // time (reminders, reports).
        let scheduled = match &trigger.kind {
            TriggerKind::Poll(_) => false,
            TriggerKind::Schedule(_) if mirrors(flow) => true,
            _ => continue,
        };
        let Some(polled_id) = flow.source_system(spec) else { continue };
        let polled = spec.system(polled_id);
        let Some((true, origin)) = polled.webhooks_fact() else { continue };
        // An extract into a warehouse or a lake: batch loads are the
        // design, and a webhook per change would need a loader of its own.
        if super::util::loads_only_storage(spec, flow) {
            continue;
        }
        // A fact from the catalog is shown with its vendor and page.
        let (said, label) = match origin {
            Origin::Spec(_) => (String::new(), "webhooks are available".to_owned()),
            Origin::Catalog { vendor, source, .. } => (
                format!(" ({vendor} sends webhooks: {source})"),
                format!("{vendor} sends webhooks, as the connector catalog documents"),
            ),
        };
        let reads = if scheduled {
            format!("reads all of `{}` on a schedule", polled.name.value)
        } else {
            format!("polls `{}`", polled.name.value)
        };
        let d = Diagnostic::new(
            &POLLING_OVER_WEBHOOK,
            trigger.loc,
            format!("flow `{}` {reads}, which can push changes by webhook{said}", flow.name.value),
        )
        .with_label(if scheduled { "read whole on a schedule" } else { "polled here" })
        .with_secondary(origin.loc(), label);
        let entity_name = super::util::read_entity(spec, flow);
        let existing = events_by_system[polled_id.index()]
            .iter()
            .map(|e| spec.event(*e))
            .find(|e| entity_name.is_none() || e.entity.as_ref().map(|en| en.name.value.as_str()) == entity_name);
        let help = match existing {
            Some(event) => format!("trigger the flow with `on \"{}\"` instead of polling", event.name.value),
            None => format!(
                "declare an event `from={}` for the change and trigger the flow with `on \"EVENT\"` instead of polling",
                polled.name.value
            ),
        };
        let catch_up =
            flow.targets.iter().filter_map(|t| t.system.target).find_map(|target| {
                by_webhook.get(&(polled_id, entity_name, target)).map(|&f| (f, spec.system(target)))
            });
        let mut d = d.with_help(help).with_owner(Owner::Flow(id));
        if let Some(vendor) = flow.runner() {
            // A vendor's own integration reads the way its vendor built it.
            let why = super::util::Vendor::Stated(vendor).why();
            d.message.push_str(&format!("; {why}: how it reads is `{vendor}`'s"));
            d.help = format!("ask `{vendor}` whether it can take webhooks; {}", d.help).into();
            d.severity = Severity::Info;
        } else if let Some((webhook_flow, target)) = catch_up {
            d.message.push_str(&format!(
                "; flow `{}` already takes its changes into `{}` by webhook, so this may be its catch-up for \
                 webhooks lost or late",
                spec.flow(webhook_flow).name.value,
                target.name.value
            ));
            d.help =
                format!("if the poll is the webhook's catch-up, it belongs where it is; otherwise {}", d.help).into();
            d.severity = Severity::Info;
        } else if let Some(database) = copies_into_a_database(spec, flow) {
            // A copy kept in the team's own database (for reports, a
            // dashboard, a mirror) may poll on purpose: there is no
            // endpoint to run, and each read takes whatever a webhook would
            // have missed. Judged on the real-world corpus, such warnings
            // were right 0 times in 3.
            d.message.push_str(&format!(
                "; it only copies into `{}`, a database: a copy kept for reports may poll on purpose (no \
                 endpoint to run, and no change lost with a webhook), unless what reads it needs each change as it \
                 happens",
                database.name.value
            ));
            d.help = format!("if the copy is read by people or jobs that cannot wait an interval, {}", d.help).into();
            d.severity = Severity::Info;
        } else if scheduled {
            // A whole read on a schedule may be a reconciliation on purpose:
            // asked, at info.
            d.message.push_str(
                "; every record is read again on each run, and a change waits up to a whole interval, unless the \
                 read is a reconciliation beside pushed changes",
            );
            d.severity = Severity::Info;
        }
        out.push(d);
    }
}

/// The database a flow only copies into: every system it writes (a `read`
/// on the way writes nothing) is one and the same database.
fn copies_into_a_database<'s>(
    spec: &'s crate::model::Spec,
    flow: &crate::model::Flow,
) -> Option<&'s crate::model::System> {
    let mut written = flow.targets.iter().filter(|t| !t.reads()).filter_map(|t| t.system.target);
    let first = written.next()?;
    let database = spec.system(first);
    (database.is_database() && written.all(|t| t == first)).then_some(database)
}

/// Whether every write of the flow is an `upsert` (and it writes), or it
/// `read`s what it writes before writing it (a comparison): a copy of the
/// records it reads, kept in step, rather than something done at a time
/// of day.
fn mirrors(flow: &crate::model::Flow) -> bool {
    let upserts = !flow.targets.is_empty()
        && flow.targets.iter().all(|t| t.action.as_ref().is_some_and(|a| a.value == crate::model::Action::Upsert));
    upserts || super::util::compares(flow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn only_systems_with_webhooks() {
        let text = r#"
            system "push" kind=crm { webhooks #true }
            system "nopush" kind=crm { webhooks #false }
            system "quiet" kind=crm
            flow "a" { poll push every="1m"; to quiet action=update }
            flow "b" { poll nopush every="1m"; to quiet action=update }
            flow "c" { poll quiet every="1m"; to push action=update }
        "#;
        let found = test_check(&POLLING_OVER_WEBHOOK, text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].secondary.len(), 1);
        assert!(found[0].help.starts_with("declare an event `from=push`"));
    }

    #[test]
    fn suggests_an_event_the_system_already_has() {
        let text = r#"
            system "shop" kind=ecommerce { webhooks #true }
            system "crm" kind=crm
            event "cart.updated" from=shop entity=cart version=1
            event "order.created" from=shop entity=order version=1
            flow "a" { poll shop entity=order every="1m"; to crm action=update }
        "#;
        let found = test_check(&POLLING_OVER_WEBHOOK, text);
        assert_eq!(found[0].help, ("trigger the flow with `on \"order.created\"` instead of polling"));
    }
}
