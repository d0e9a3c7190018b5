//! `hub-single-point-of-failure`: a hub or broker without high availability
//! that carries flows into (or else out of) critical systems, or (an info)
//! takes webhooks for flows into systems whose criticality the spec does
//! not state, or (an info) says `ha #false`, or is a broker that says
//! nothing of its availability, and carries flows into such systems. A
//! `managed` one (since 1.2) is left alone: its availability is its
//! provider's tier, which nothing in the design changes.

use super::Context;
use super::util::{name_list, plural};
use crate::diagnostic::{Diagnostic, Severity, declare_rule};
use crate::model::{ApiStyle, Criticality, Flow, FlowId, Owner, Spec, SystemId, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A system of kind `hub` or `broker` without `ha #true` that carries
    /// (`via`) at least one flow into a system with `criticality high`,
    /// or, where none goes into one, out of one into systems that state no
    /// criticality (the single worker that captures a critical database's
    /// changes: while it is down, nothing leaves that system). A flow out
    /// of a critical system into systems that all state a lower
    /// criticality is not counted: while the hub is down those changes
    /// wait, and the spec says nothing critical waits with them.
    /// Where none does, a hub or broker without `ha #true` that takes the
    /// webhooks of a flow none of whose targets states a `criticality` is
    /// reported as an info: the outage loses data, and only the targets'
    /// criticality says whether that matters (`criticality high` makes it
    /// a warning, `normal` or `low` accepts it). Where neither applies, a
    /// hub or broker that says `ha #false` is asked, at info, about the
    /// flows it carries into systems that state no criticality: the spec
    /// says it is a single instance, and nothing says what its outage costs.
    /// So is a broker that says nothing of its availability (no `ha`):
    /// every event between its producers and consumers passes through it
    /// while it runs. A hub that says nothing is not asked this (its
    /// scheduled runs read what they missed once it is back, and its
    /// webhooks are asked above), nor is a broker on files (`api file`, a
    /// development transport), which has no instance to go down.
    ///
    /// A broker that keeps its queue in a database (`api database`: a CMS's
    /// or an ERP's job table, a Redis job queue) is asked at info: it is as
    /// available as that database, which is most often the application's
    /// own, whose outage this one is; a store of its own (a Redis instance)
    /// is worth running highly available, which the finding says. On the
    /// real-world corpus these warnings had been right 2 times in 6.
    ///
    /// A hub or broker that says `managed` (since 1.2) is quiet: a vendor
    /// or a platform team runs it as a service (Amazon SQS, EventBridge,
    /// Azure Service Bus, a vendor's connector platform, a shared CI
    /// runner), and its redundancy is their tier and SLA, not something
    /// this design can switch on. What its outage loses is still asked by
    /// the delivery checks (`no-error-handling`, `no-dead-letter`). A broker
    /// reached through `api sqs` is Amazon SQS, which is only ever such a
    /// service, and is left alone the same way; so is one named for a
    /// service that only its cloud provider runs, its name's words
    /// containing the service's (`eventbridge`, `event-bridge`, `sns`,
    /// `sqs`, `kinesis`, `appflow`, `step-functions`, `service-bus`,
    /// `event-grid`, `event-hubs`, `logic-apps`, `eventarc`, and Pub/Sub
    /// as `google-pubsub`, `gcp-pubsub` or `cloud-pubsub`: a bare `pubsub`
    /// is as often Dapr's component). Products a team may run itself
    /// (RabbitMQ, Kafka, Temporal, Redis, n8n) are asked whatever their
    /// names, since their vendors' clouds are one choice among several,
    /// which `managed` states.
    ///
    /// ## Why it matters
    ///
    /// Every flow through the hub stops when it stops. For flows into the
    /// systems the business runs on (payments, orders, the ERP), an outage
    /// of one non-redundant hub is an outage of all of them. A webhook
    /// sender retries for a while and then gives up: past its window, the
    /// changes sent while the hub was down are lost, not late.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp {
    ///     criticality high
    /// }
    /// system "zapier" kind=hub
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-erp" {
    ///     on "order.paid"
    ///     via zapier
    ///     to erp action=upsert
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp {
    ///     criticality high
    /// }
    /// system "zapier" kind=hub {
    ///     ha #true
    /// }
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-erp" {
    ///     on "order.paid"
    ///     via zapier
    ///     to erp action=upsert
    /// }
    /// ```
    pub(crate) static HUB_SINGLE_POINT_OF_FAILURE = {
        name: "hub-single-point-of-failure",
        code: "WP109",
        severity: Warning,
        category: Topology,
        summary: "a hub or broker without `ha #true` carrying flows into `criticality high` systems (an info when it takes webhooks into systems of unstated criticality)",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Per hub, the flows via it that reach a critical system, in flow order.
    let mut critical: Vec<Vec<FlowId>> = vec![Vec::new(); spec.systems.len()];
    // Per hub, the flows via it out of a critical system (its changes stop
    // there too), reported where none reaches one.
    let mut leaving: Vec<Vec<FlowId>> = vec![Vec::new(); spec.systems.len()];
    // Per hub, the flows via it that take webhooks into systems that state
    // no criticality.
    let mut unstated: Vec<Vec<FlowId>> = vec![Vec::new(); spec.systems.len()];
    // Per hub, every flow via it.
    let mut carried: Vec<Vec<FlowId>> = vec![Vec::new(); spec.systems.len()];
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(hub) = flow.via.as_ref().and_then(|v| v.target) else { continue };
        carried[hub.index()].push(id);
        let reaches_critical = flow.targets.iter().filter_map(|t| t.system.target).any(|s| is_critical(spec, s));
        // Targets that all state a criticality below `high`: the spec has
        // weighed what waiting for the hub costs them.
        let mut ends = flow.targets.iter().filter_map(|t| t.system.target).peekable();
        let weighed = ends.peek().is_some() && ends.all(|s| spec.system(s).criticality.is_some());
        if reaches_critical {
            critical[hub.index()].push(id);
        } else if flow.source_system(spec).is_some_and(|s| is_critical(spec, s)) {
            // Out of a critical system into ones the spec says are not: its
            // changes wait while the hub is down, and nothing critical does.
            if !weighed {
                leaving[hub.index()].push(id);
            }
        } else if takes_webhooks(spec, flow)
            && flow.targets.iter().filter_map(|t| t.system.target).all(|s| spec.system(s).criticality.is_none())
        {
            unstated[hub.index()].push(id);
        }
    }
    for id in spec.system_ids() {
        let system = spec.system(id);
        let (into, out_of) = (&critical[id.index()], &leaving[id.index()]);
        if !system.is_transport() || system.is_ha() || super::util::run_by_provider(system) {
            continue;
        }
        // The flows into critical systems, else those out of one.
        let flows = if into.is_empty() { out_of } else { into };
        let critical_end = |flow: &Flow| -> Vec<SystemId> {
            if into.is_empty() {
                flow.source_system(spec).into_iter().collect()
            } else {
                flow.targets.iter().filter_map(|t| t.system.target).collect()
            }
        };
        if flows.is_empty() {
            if let Some(d) = webhooks_at_risk(spec, id, &unstated[id.index()])
                .or_else(|| said_single(spec, id, &carried[id.index()]))
            {
                out.push(d);
            }
            continue;
        }
        let mut targets: Vec<&str> = flows
            .iter()
            .flat_map(|f| critical_end(spec.flow(*f)))
            .filter(|s| is_critical(spec, *s))
            .map(|s| spec.system(s).name.value.as_str())
            .collect();
        targets.sort_unstable();
        targets.dedup();
        let kind = system.kind();
        let mut d = Diagnostic::new(
            &HUB_SINGLE_POINT_OF_FAILURE,
            system.name.loc,
            format!(
                "{kind} `{}` has no high availability but carries {} {} critical {}",
                system.name.value,
                plural(flows.len(), "flow"),
                if into.is_empty() { "out of" } else { "into" },
                if targets.len() == 1 {
                    format!("system {}", name_list(targets.iter().copied()))
                } else {
                    format!("systems {}", name_list(targets.iter().copied()))
                }
            ),
        )
        .with_label(format!("a single point of failure for {}", plural(flows.len(), "critical flow")));
        if let Some(ha) = &system.ha {
            d = d.with_secondary(ha.loc, "high availability is off");
        }
        for f in flows.iter().take(3) {
            if let Some(via) = &spec.flow(*f).via {
                d = d.with_secondary(via.name.loc, format!("flow `{}` depends on it", spec.flow(*f).name.value));
            }
        }
        // A queue kept in a database (a CMS's or an ERP's job table, a
        // Redis job queue): as available as that database, which is most
        // often the application's own, whose outage this one is. Asked.
        let in_a_database = system.api_style() == Some(ApiStyle::Database);
        let help = if in_a_database {
            format!(
                "`{0}` keeps its queue in a database: if that is the application's own (a CMS's or an ERP's job \
                 table), it is as available as the application, and nothing more is to be done here; if it is a \
                 store of its own (a Redis instance), run that highly available, with persistence, and declare \
                 `ha #true`",
                system.name.value
            )
        } else {
            format!(
                "run `{}` highly available and declare `ha #true`, or route the critical flows another way",
                system.name.value
            )
        };
        let mut d = d.with_help(help).with_owner(Owner::System(id));
        if in_a_database {
            d.severity = Severity::Info;
        }
        out.push(d);
    }
}

fn is_critical(spec: &Spec, system: SystemId) -> bool {
    spec.system(system).criticality.as_ref().is_some_and(|c| c.value == Criticality::High)
}

/// Whether the flow's trigger arrives by webhook: an event of a producer
/// that pushes webhooks.
fn takes_webhooks(spec: &Spec, flow: &Flow) -> bool {
    let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { return false };
    event.target.and_then(|e| spec.event(e).from.as_ref()?.target).is_some_and(|s| spec.system(s).has_webhooks())
}

/// The info for a hub without high availability that takes the webhooks
/// of `flows`, whose targets state no criticality.
fn webhooks_at_risk(spec: &Spec, hub: SystemId, flows: &[FlowId]) -> Option<Diagnostic> {
    if flows.is_empty() {
        return None;
    }
    let system = spec.system(hub);
    let mut targets: Vec<&str> = flows
        .iter()
        .flat_map(|f| &spec.flow(*f).targets)
        .filter_map(|t| t.system.target)
        .map(|s| spec.system(s).name.value.as_str())
        .collect();
    targets.sort_unstable();
    targets.dedup();
    let names = name_list(flows.iter().map(|f| spec.flow(*f).name.value.as_str()));
    let mut d = Diagnostic::new(
        &HUB_SINGLE_POINT_OF_FAILURE,
        system.name.loc,
        format!(
            "{} `{}` has no high availability and takes the webhooks of {} ({names}): changes sent while it is \
             down are lost once their senders stop retrying",
            system.kind(),
            system.name.value,
            plural(flows.len(), "flow")
        ),
    )
    .with_label("a single point of failure for the webhooks it takes");
    for f in flows.iter().take(3) {
        if let Some(via) = &spec.flow(*f).via {
            d = d.with_secondary(via.name.loc, format!("flow `{}` depends on it", spec.flow(*f).name.value));
        }
    }
    let mut d = d
        .with_help(format!(
            "say how much a lost change into {} costs with `criticality` (`high` makes this a warning; `normal` or \
             `low` accepts it), and run `{}` highly available (`ha #true`) or have the senders' changes read back \
             after an outage",
            name_list(targets.iter().copied()),
            system.name.value
        ))
        .with_owner(Owner::System(hub));
    d.severity = Severity::Info;
    Some(d)
}

/// A hub or broker that says `ha #false` and carries flows none of whose
/// ends is critical and none of whose webhooks it takes (the findings above
/// ask about those), into systems that state no criticality: an info, since
/// the spec says it is a single instance and nothing says what its outage
/// costs.
fn said_single(spec: &Spec, hub: SystemId, flows: &[FlowId]) -> Option<Diagnostic> {
    let system = spec.system(hub);
    let off = system.ha.as_ref();
    // Where the spec says nothing of its availability, only a broker is
    // asked: every event between its producers and consumers passes
    // through it while it runs (a hub's scheduled runs catch up after an
    // outage, and its webhooks are asked above). A broker on files (a
    // development transport) has no instance to go down.
    let unsaid_broker =
        || system.kind() == crate::model::SystemKind::Broker && system.api_style() != Some(ApiStyle::File);
    match off {
        Some(ha) if ha.value => return None,
        None if !unsaid_broker() => return None,
        _ => {}
    }
    // A flow into systems that state their criticality (`normal`, `low`)
    // has had its outage weighed.
    let unweighed = |f: &FlowId| {
        spec.flow(*f).targets.iter().filter_map(|t| t.system.target).all(|s| spec.system(s).criticality.is_none())
    };
    let flows: Vec<FlowId> = flows.iter().copied().filter(unweighed).collect();
    if flows.is_empty() {
        return None;
    }
    let names = name_list(flows.iter().map(|f| spec.flow(*f).name.value.as_str()));
    let mut d = Diagnostic::new(
        &HUB_SINGLE_POINT_OF_FAILURE,
        system.name.loc,
        format!(
            "{} `{}` says {} and carries {} ({names}): while it is down, every one of them stops",
            system.kind(),
            system.name.value,
            if off.is_some() { "it has no high availability" } else { "nothing of its availability (no `ha`)" },
            plural(flows.len(), "flow")
        ),
    )
    .with_label("a single instance that every flow through it depends on");
    if let Some(off) = off {
        d = d.with_secondary(off.loc, "high availability is off");
    }
    for f in flows.iter().take(3) {
        if let Some(via) = &spec.flow(*f).via {
            d = d.with_secondary(via.name.loc, format!("flow `{}` depends on it", spec.flow(*f).name.value));
        }
    }
    let mut d = d
        .with_help(format!(
            "say what an outage of `{}` costs with `criticality` on the systems its flows serve (`high` makes this \
             a warning), run it highly available (`ha #true`), or accept it with `allow \"hub-single-point-of-failure\" \
             reason=\"...\"`",
            system.name.value
        ))
        .with_owner(Owner::System(hub));
    d.severity = Severity::Info;
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn only_non_ha_transports_into_critical_systems() {
        let text = r#"
            system "src" kind=crm
            system "crit" kind=erp { criticality high }
            system "norm" kind=erp { criticality normal }
            system "h1" kind=hub
            system "h2" kind=broker { ha #true }
            system "h3" kind=hub { ha #false }
            event "e" from=src version=1
            flow "a" { on "e"; via h1; to crit action=update }
            flow "b" { on "e"; via h2; to crit action=update }
            flow "c" { on "e"; via h3; to norm action=update }
            flow "d" { on "e"; via h1; to norm action=update }
            system "h4" kind=broker { managed; }
            flow "f" { on "e"; via h4; to crit action=update }
        "#;
        let found = test_check(&HUB_SINGLE_POINT_OF_FAILURE, text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "hub `h1` has no high availability but carries 1 flow into critical system `crit`"
        );
    }

    /// A hub that takes webhooks into systems of unstated criticality is an
    /// info; stating the criticality settles it either way.
    #[test]
    fn webhooks_into_unstated_criticality_are_an_info() {
        let text = |criticality: &str| {
            format!(
                r#"
                system "src" kind=crm {{ webhooks #true; }}
                system "dst" kind=erp {{ {criticality} }}
                system "h" kind=hub
                event "e" from=src version=1
                flow "a" {{ on "e"; via h; to dst action=update; }}
                "#
            )
        };
        let found = test_check(&HUB_SINGLE_POINT_OF_FAILURE, &text(""));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Info);
        assert!(found[0].message.starts_with("hub `h` has no high availability and takes the webhooks of 1 flow"));
        assert!(test_check(&HUB_SINGLE_POINT_OF_FAILURE, &text("criticality normal")).is_empty());
        let found = test_check(&HUB_SINGLE_POINT_OF_FAILURE, &text("criticality high"));
        assert_eq!(found[0].severity, Severity::Warning);
    }

    /// A job queue kept in a database (a CMS's job table) is as available as
    /// that database, most often the application's own: asked at info, with
    /// the help telling the two cases apart. A broker on AMQP is a server of
    /// its own, and stays a warning.
    #[test]
    fn a_queue_in_a_database_is_asked() {
        let text = |api: &str| {
            format!(
                r#"
                system "site" kind=ecommerce
                system "books" kind=accounting {{ criticality high }}
                system "queue" kind=broker {{ api {api} }}
                event "e" from=site version=1
                flow "a" {{ on "e"; via queue; to books action=create; }}
                "#
            )
        };
        let found = test_check(&HUB_SINGLE_POINT_OF_FAILURE, &text("database"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Info);
        assert!(found[0].help.contains("keeps its queue in a database"), "{}", found[0].help);
        let found = test_check(&HUB_SINGLE_POINT_OF_FAILURE, &text("amqp"));
        assert_eq!(found[0].severity, Severity::Warning);
    }
}
