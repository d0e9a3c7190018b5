//! `unused-system`: a live system that no flow touches.
//!
//! "Live" means live now (month 0): a system planned for a later month may
//! be declared before its flows are designed, and a retired one is gone.
//!
//! A service of your own (`kind=custom`) is left out while some flow runs
//! outside a hub: such a flow's code runs in a service, and the language
//! cannot name which one, so the service that runs it (an orchestrator
//! answering a request) touches nothing by `on`, `to` or `via`.

use super::Context;
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Owner, SystemKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A system that is live now (not `planned` for a later month, not
    /// retired) that no flow reads (`on` one of its events, `poll`,
    /// `from`), writes (`to`) or runs through (`via`), and that publishes no
    /// event.
    ///
    /// A system whose only connection is events nobody consumes is not
    /// reported here: `orphan-event` reports each of those events, once. The
    /// fix is there (a flow `on` the event, or the event removed, or an
    /// `allow` saying who outside the spec consumes it), and a system that
    /// publishes is not "connected to nothing".
    ///
    /// A service of your own (`kind=custom`) is not reported while a flow
    /// runs outside a hub (point-to-point or on a broker): that flow's code
    /// runs in some service, which the language cannot name, and the
    /// service that runs a flow (the orchestrator that answers a request
    /// and calls the others) reads and writes nothing the spec can see.
    ///
    /// A dashboard tool (`kind=analytics`) in a spec with a warehouse or a
    /// lake, and a front end (`kind=website`: a site, an app people use),
    /// are asked at info: the first queries the warehouse itself, the
    /// second acts through a backend the spec may leave out, and neither
    /// is a flow. A dashboard tool with no warehouse to read stays a
    /// warning. So is infrastructure (`kind=hub` or `broker`) no flow
    /// names: a stream processor or a connector cluster that runs flows
    /// written without their `via`, or the queue behind a `dead-letter`
    /// (which cannot name where it keeps its messages). So is a database
    /// no flow names in a spec with a hub or a broker: it may be where
    /// that runtime keeps its own state (a change-capture server's offsets
    /// and schema history, a scheduler's metadata, a job table), which is
    /// no flow. A business tool connected to nothing, and a database with
    /// no runtime beside it, stay warnings.
    ///
    /// ## Why it matters
    ///
    /// A tool the business uses that is connected to nothing is a data
    /// island: its records are typed in twice or drift from the others. Or
    /// the spec lists a tool that is gone, and the plan is built on it.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "calendly" kind=marketing
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "calendly" kind=marketing
    /// system "crm" kind=crm
    /// event "meeting.booked" from=calendly version=1
    /// flow "meetings-to-crm" {
    ///     on "meeting.booked"
    ///     to crm action=upsert entity=meeting
    /// }
    /// ```
    pub(crate) static UNUSED_SYSTEM = {
        name: "unused-system",
        code: "WP111",
        severity: Warning,
        category: Topology,
        summary: "a live system that no flow reads or writes and that publishes no event",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let mut used = vec![false; spec.systems.len()];
    for flow in &spec.flows {
        // An unresolved `on` is already an error; the producer of the event
        // it most likely meant is not also called unused.
        let meant = flow.meant.and_then(|e| spec.event(e).from.as_ref()?.target);
        let touched = flow
            .source_system(spec)
            .into_iter()
            .chain(flow.targets.iter().filter_map(|t| t.system.target))
            .chain(flow.via.as_ref().and_then(|v| v.target))
            .chain(meant);
        for s in touched {
            used[s.index()] = true;
        }
    }
    // A system that publishes events is connected, whether or not a flow
    // consumes them: when none does, `orphan-event` reports each event, and
    // the system is not reported a second time for the same fact.
    for event in &spec.events {
        // (1.2) So is every other `producer` of an event.
        for s in event.from.iter().chain(&event.producers).filter_map(|f| f.target) {
            used[s.index()] = true;
        }
    }
    // A flow outside a hub runs in a service the spec cannot name: a
    // `custom` system may be that service.
    let hosted_in_a_service = spec
        .flows
        .iter()
        .any(|f| f.via.as_ref().and_then(|v| v.target).is_none_or(|s| spec.system(s).kind() != SystemKind::Hub));
    let has_storage = spec.systems.iter().any(|s| s.kind().is_storage());
    let has_runtime = spec.systems.iter().any(|s| matches!(s.kind(), SystemKind::Hub | SystemKind::Broker));
    // A second declaration of a name is already a `duplicate-name` error;
    // references go to the first, so the second is not also called unused.
    let mut declared = std::collections::HashSet::new();
    for id in spec.system_ids() {
        let system = spec.system(id);
        let duplicate = !declared.insert(system.name.value.as_str());
        // A system with an unknown kind already has an error.
        let may_run_a_flow = hosted_in_a_service && system.kind() == crate::model::SystemKind::Custom;
        if used[id.index()] || !system.live_in(0) || duplicate || system.kind.is_none() || may_run_a_flow {
            continue;
        }
        // A dashboard tool beside a warehouse queries it itself, and a
        // front end (a site, an app) acts through a backend the spec may
        // leave out: neither is a flow, so the spec may rightly show none.
        // Asked at info.
        let outside = match system.kind() {
            SystemKind::Analytics if has_storage => Some(
                "a dashboard tool queries a warehouse itself, which is not a flow: if it reads one here, say so \
                 with `allow \"unused-system\" reason=\"...\"`; if it is connected to nothing, remove it",
            ),
            SystemKind::Website => Some(
                "a front end (a site, an app) acts through a backend the spec may leave out: if it does, say so \
                 with `allow \"unused-system\" reason=\"...\"`; if it is connected to nothing, remove it",
            ),
            // Infrastructure no flow names: the runner of flows written
            // without their `via` (a stream processor, a connector
            // cluster), or the queue behind a `dead-letter`, which cannot
            // name where it keeps its messages. On the real-world corpus
            // each of eight was such a spec's shorthand, none a stray.
            SystemKind::Hub | SystemKind::Broker => Some(
                "if it runs or carries flows, name it on them with `via`; if it keeps a flow's dead letters, say \
                 so with `allow \"unused-system\" reason=\"...\"`; if it is connected to nothing, remove it",
            ),
            // A database beside a runtime (a hub, a broker) may be where
            // that runtime keeps its own state: a change-capture server's
            // offsets and schema history, a scheduler's metadata, a job
            // table. That is no flow, and a spec rightly shows none.
            SystemKind::Database if has_runtime => Some(
                "if a hub or a broker keeps its own state in it (offsets, a scheduler's metadata, a job table), \
                 say so with `allow \"unused-system\" reason=\"...\"`; if it holds business records, connect it \
                 with a flow; if it is connected to nothing, remove it",
            ),
            _ => None,
        };
        let mut d = Diagnostic::new(
            &UNUSED_SYSTEM,
            system.name.loc,
            format!("no flow reads or writes system `{}`", system.name.value),
        )
        .with_label("no flow reads or writes it, and it publishes no event")
        .with_help(
            outside.unwrap_or("connect it with a flow, mark it `planned in-months=N` if it joins later, or remove it"),
        )
        .with_owner(Owner::System(id));
        if outside.is_some() {
            d.severity = Severity::Info;
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn sources_targets_and_hubs_count_as_used_and_planned_systems_wait() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "h" kind=hub
            system "later" kind=crm { planned in-months=3 }
            system "idle" kind=crm
            event "a.e" from=a version=1
            flow "f" { on "a.e"; via h; to b action=update }
        "#;
        let found = test_check(&UNUSED_SYSTEM, text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "no flow reads or writes system `idle`");
    }

    #[test]
    fn a_second_declaration_is_not_also_unused() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "b" kind=crm
            event "a.e" from=a version=1
            flow "f" { on "a.e"; to b action=update }
        "#;
        assert!(test_check(&UNUSED_SYSTEM, text).is_empty());
    }

    /// A service of your own may run a flow outside a hub; behind a hub,
    /// the hub runs them all.
    #[test]
    fn a_custom_service_may_run_a_flow_outside_a_hub() {
        let spec = |via: &str| {
            format!(
                r#"
                system "web" kind=website
                system "pay" kind=payments
                system "h" kind=hub
                system "checkout" kind=custom
                event "order.placed" from=web version=1
                flow "place" {{ on "order.placed"; {via} to pay action=create }}
                "#
            )
        };
        let messages = |via: &str| -> Vec<String> {
            test_check(&UNUSED_SYSTEM, &spec(via)).into_iter().map(|d| d.message).collect()
        };
        // Point-to-point: only the idle hub.
        assert_eq!(messages(""), vec!["no flow reads or writes system `h`"]);
        assert_eq!(messages("via h;"), vec!["no flow reads or writes system `checkout`"]);
    }

    /// One fact, one finding: a system that only publishes events nobody
    /// consumes is left to `orphan-event`; one that publishes consumed
    /// events, or is only polled or read on a schedule, is used.
    #[test]
    fn publishing_polled_and_scheduled_systems_are_used() {
        let text = r#"
            system "publisher" kind=crm
            system "consumed" kind=crm
            system "polled" kind=crm
            system "read" kind=crm
            system "b" kind=crm
            event "nobody-listens" from=publisher version=1
            event "listened" from=consumed version=1
            flow "f" { on "listened"; to b action=update }
            flow "p" { poll polled every="1m"; to b action=update }
            flow "s" { schedule every="1d"; from read entity=x; to b action=update }
        "#;
        assert!(test_check(&UNUSED_SYSTEM, text).is_empty());
    }

    #[test]
    fn a_dashboard_beside_a_warehouse_and_a_front_end_are_asked_at_info() {
        let with_warehouse = r#"
            system "shop" kind=ecommerce
            system "dw" kind=warehouse
            system "bi" kind=analytics
            system "site" kind=website
            event "shop.e" from=shop version=1
            flow "f" { on "shop.e"; to dw action=append; }
        "#;
        assert_eq!(severities(with_warehouse), vec![Severity::Info, Severity::Info]);
        // The near miss: with no warehouse to read, a dashboard tool
        // connected to nothing is a warning.
        let without = r#"
            system "shop" kind=ecommerce
            system "crm" kind=crm
            system "bi" kind=analytics
            event "shop.e" from=shop version=1
            flow "f" { on "shop.e"; to crm action=update; }
        "#;
        assert_eq!(severities(without), vec![Severity::Warning]);
    }

    #[test]
    fn a_database_beside_a_runtime_is_asked_at_info_and_alone_is_a_warning() {
        let spec = |runtime: &str, via: &str| {
            format!(
                r#"
                system "db" kind=database
                {runtime}
                system "shop" kind=ecommerce
                system "crm" kind=crm
                event "shop.e" from=shop version=1
                flow "f" {{ on "shop.e"; {via} to crm action=update; }}
                "#
            )
        };
        assert_eq!(severities(&spec(r#"system "cdc" kind=broker"#, "via cdc;")), vec![Severity::Info]);
        // The near miss: with no hub or broker to keep state in it, a
        // database connected to nothing is a warning.
        assert_eq!(severities(&spec("", "")), vec![Severity::Warning]);
    }

    /// The severities of the findings on `text`, in order.
    fn severities(text: &str) -> Vec<Severity> {
        test_check(&UNUSED_SYSTEM, text).iter().map(|d| d.severity).collect()
    }
}
