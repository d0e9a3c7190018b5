//! `unsigned-webhook`: a system whose webhooks start flows, with nothing
//! that says how a receiver tells them from a forged request.
//!
//! Asked where `check` runs, not only at `build --target hub` (which wants
//! a bearer token in its place): a producer that pushes webhooks (its own
//! `webhooks #true`, or its catalog entry), whose events some flow is
//! started by, with no `webhook-signature` and no `connector=` whose
//! vendor documents how it signs. An info: the vendor may sign and the spec
//! not say so. Linear: one pass over the flows, one over the systems.

use super::Context;
use super::util::name_list;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{EventId, Owner, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A system that pushes webhooks (`webhooks #true`, or its `connector=`
    /// vendor documents them) whose events start flows, and that says
    /// nothing of how its webhooks are signed: no `webhook-signature`, and
    /// no `connector=` whose catalog entry documents a signature scheme
    /// (which the hub checks as the vendor signs). A hub or broker is asked
    /// only when it says `webhooks #true` itself (dbt Cloud's job webhook,
    /// a push subscription): what it carries otherwise reaches its
    /// consumers inside it. It is an info, since
    /// the vendor may sign and the spec not say so; `webhook-signature`
    /// settles it, and an `allow` with the reason says how else the
    /// endpoint is guarded (a private network, a token in the URL).
    ///
    /// ## Why it matters
    ///
    /// A webhook endpoint is a public URL. Without a signature to check,
    /// anyone who learns it (from a log, a browser's history, a former
    /// contractor) can post orders, payments or bounces that the flows
    /// then write as real.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "mailer" kind=email {
    ///     webhooks #true
    /// }
    /// system "crm" kind=crm
    /// event "email.bounced" from=mailer version=1
    /// flow "bounces-to-crm" {
    ///     on "email.bounced"
    ///     to crm action=update
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "mailer" kind=email {
    ///     webhooks #true
    ///     webhook-signature "hmac-sha256" header="X-Mailer-Signature" secret="MAILER_WEBHOOK_SECRET"
    /// }
    /// system "crm" kind=crm
    /// event "email.bounced" from=mailer version=1
    /// flow "bounces-to-crm" {
    ///     on "email.bounced"
    ///     to crm action=update
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static UNSIGNED_WEBHOOK = {
        name: "unsigned-webhook",
        code: "WP130",
        severity: Info,
        category: Topology,
        summary: "webhooks start flows, and nothing says how they are signed",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Per producer, the events pushed to the flows, each once, in the
    // order of the first flow on it.
    let mut pushed: Vec<Vec<EventId>> = vec![Vec::new(); spec.systems.len()];
    let mut seen = vec![false; spec.events.len()];
    for flow in &spec.flows {
        let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { continue };
        let Some(e) = event.target.filter(|e| !seen[e.index()]) else { continue };
        seen[e.index()] = true;
        let Some(producer) = spec.event(e).from.as_ref().and_then(|f| f.target) else { continue };
        pushed[producer.index()].push(e);
    }
    for id in spec.system_ids() {
        let events = &pushed[id.index()];
        let Some(&first) = events.first() else { continue };
        if !unsigned(ctx, id) {
            continue;
        }
        let system = spec.system(id);
        let names = name_list(events.iter().map(|e| spec.event(*e).name.value.as_str()));
        let mut d = Diagnostic::new(
            &UNSIGNED_WEBHOOK,
            system.name.loc,
            format!(
                "`{}` pushes {names} by webhook, and nothing says how its webhooks are signed: anyone who learns \
                 the URL can post them",
                system.name.value
            ),
        )
        .with_label("no `webhook-signature`")
        .with_secondary(spec.event(first).name.loc, "started by its webhooks");
        if let Some(Some(loc)) = system.webhooks.as_ref().map(|w| w.value.then_some(w.loc)) {
            d = d.with_secondary(loc, "pushes webhooks");
        }
        let d = d
            .with_help(format!(
                "declare how `{}` signs its webhooks (`webhook-signature \"hmac-sha256\" header=\"...\" \
                 secret=\"...\"`, as its vendor documents), or name its `connector=` if the catalog has it; if it \
                 does not sign, say how the endpoint is guarded with `allow \"unsigned-webhook\" reason=\"...\"`",
                system.name.value
            ))
            .with_owner(Owner::System(id));
        out.push(d);
    }
}

/// Whether the system pushes webhooks and nothing says how they are signed.
/// A hub or broker is asked only when it says `webhooks #true` itself (dbt
/// Cloud's job webhook, a push subscription): what it carries otherwise
/// reaches its flows inside it.
fn unsigned(ctx: &Context<'_>, id: SystemId) -> bool {
    let system = ctx.spec.system(id);
    let documented = system.catalog().is_some_and(|(entry, _)| entry.webhooks.signature.fact().is_some());
    let pushes =
        if system.is_transport() { system.webhooks.as_ref().is_some_and(|w| w.value) } else { system.has_webhooks() };
    pushes && system.webhook_signature.is_none() && !documented
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn only_webhooks_that_start_flows_and_say_nothing_of_a_signature() {
        let text = r#"
            system "bare" kind=email { webhooks #true; }
            system "signed" kind=email {
                webhooks #true
                webhook-signature "hmac-sha256" header="X-Sig" secret="SIGNED_SECRET"
            }
            system "vendor" kind=payments connector=stripe
            system "silent" kind=crm
            system "unused" kind=email { webhooks #true; }
            system "crm" kind=crm
            event "a" from=bare version=1
            event "b" from=bare version=1
            event "c" from=signed version=1
            event "d" from=vendor version=1
            event "e" from=silent version=1
            event "f" from=unused version=1
            flow "fa" { on "a"; to crm action=update }
            flow "fa2" { on "a"; to crm action=update }
            flow "fb" { on "b"; to crm action=update }
            flow "fc" { on "c"; to crm action=update }
            flow "fd" { on "d"; to crm action=update }
            flow "fe" { on "e"; to crm action=update }
        "#;
        let found = test_check(&UNSIGNED_WEBHOOK, text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "`bare` pushes `a` and `b` by webhook, and nothing says how its webhooks are signed: anyone who \
                 learns the URL can post them"
            ]
        );
        assert_eq!(found[0].severity, crate::diagnostic::Severity::Info);
    }
}
