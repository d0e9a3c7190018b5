//! `stage-mismatch`: the transports in use do not fit the stage the planner
//! recommends now.
//!
//! The recommendation comes from `crate::plan::compute`, so this check and
//! `wireplan plan` never disagree. It reports at most two findings per spec:
//! one for the flows below a broker the stack's size or volume calls for,
//! one for a broker where direct connections would do even at the horizon.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::{Owner, SystemKind};
use crate::plan::{self, FlowUse, Stage, Transport};

declare_rule! {
    /// ## What it finds
    ///
    /// Transports that do not match the integration pattern the stack needs
    /// today, as `wireplan plan` recommends it: 1 to 3 tools are simplest
    /// wired point-to-point (stage 1), 4 to 9 tools want a hub (stage 2), and
    /// 10 or more tools, or high volume (by default 100,000 events a day or a
    /// peak of 50 a second; see `stack { high-volume ... }`), want an event
    /// broker (stage 3). It reports the flows that still run below a broker
    /// where the stack's size or volume calls for one (for example 12 tools
    /// wired point-to-point), and a broker carrying flows for a stack that
    /// stays at stage 1 through the horizon. Point-to-point flows where a
    /// hub is due are `p2p-sprawl`'s question, which counts what a hub
    /// would change (a star around one system needs none); and where the
    /// stack is event-driven only because its services already publish to
    /// a broker, the flows left outside it (the adapter that publishes into
    /// it, an orchestrator's steps) are design choices its size does not
    /// argue against: on the real-world corpus those findings were right
    /// once in 31, so neither is reported. Flows that only feed a warehouse, lake or analytics tool are
    /// reporting loads and are left out, and so are flows that `reply`
    /// (since 1.2): a caller waiting on an answer is a synchronous call,
    /// which a hub or broker would only lengthen. A stack whose services
    /// already publish to a broker themselves (services of your own, or
    /// systems whose `api` is a messaging protocol) is event-driven
    /// whatever its size, as the planner says: it is never told that a
    /// smaller pattern would do.
    ///
    /// ## Why it matters
    ///
    /// Point-to-point connections grow with the square of the tools: each new
    /// tool means new code in several places, and every connection fails on
    /// its own. A hub past 9 tools, or under high volume, becomes the
    /// bottleneck and the single point of failure. The other way round, a
    /// broker for two tools is infrastructure to run and pay for that buys
    /// nothing yet.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp
    ///
    /// event "order.placed" from=shop version=1 {
    ///     volume per-day=250000 peak-per-second=80
    /// }
    ///
    /// flow "orders-to-erp" {
    ///     on "order.placed"
    ///     to erp action=upsert
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Route the flows through a broker, as `wireplan plan` suggests; it also
    /// says which flows to move first. To keep the current pattern on
    /// purpose, write `allow "stage-mismatch"` in the `lint` block. An
    /// over-sized broker is never advised away: moving down a stage costs a
    /// migration and gains nothing, so the finding says to keep it and add
    /// no more infrastructure; record why it is there with an `allow` and a
    /// `reason` on the broker.
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "erp" kind=erp
    /// system "events" kind=broker { ha #true }
    ///
    /// event "order.placed" from=shop version=1 {
    ///     volume per-day=250000 peak-per-second=80
    /// }
    ///
    /// flow "orders-to-erp" {
    ///     on "order.placed"
    ///     via events
    ///     to erp action=upsert
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static STAGE_MISMATCH = {
        name: "stage-mismatch",
        code: "WP116",
        severity: Info,
        category: Topology,
        summary: "the transports in use do not match the recommended stage",
    }
}

/// How many flows get a secondary label besides the primary one.
const SECONDARY_FLOWS: usize = 4;

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let plan = plan::stages(spec);
    let now = &plan.now;
    let stage = now.stage;

    // The first flows in source order, which the finding points at; only
    // those are put in order, however many there are.
    let runs = |t: Transport| match t {
        Transport::PointToPoint => "point-to-point",
        Transport::Hub => "through a hub",
        Transport::Broker => "through a broker",
    };
    let by_position = |flows: &mut Vec<&FlowUse>| {
        plan::first_in_order(flows, SECONDARY_FLOWS + 1, |a, b| spec.flow(a.flow).loc.cmp(&spec.flow(b.flow).loc))
    };

    // Flows below the stage are reported where the stack's size or volume
    // calls for a broker (10 or more tools, high volume). Where the stage
    // is a hub, point-to-point flows are `p2p-sprawl`'s question, which
    // counts what a hub would change (a star around one system needs no
    // hub); where the stage is event-driven only because services already
    // publish to a broker, each flow left outside it is a design choice
    // (the adapter that publishes into it, an orchestrator's steps) that
    // nothing about the stack's size argues against. On the real-world
    // corpus those findings were right once in 31.
    let argued =
        stage == Stage::EventDriven && (now.high_volume || now.tools >= plan.thresholds.event_driven_min_tools);
    // (1.2) A flow whose caller waits for its `reply` stays a synchronous
    // call: a hub or broker would only add a hop, so it is not "below" any
    // stage.
    let mut below: Vec<&FlowUse> = plan
        .flows_now
        .iter()
        .filter(|f| argued && f.transport.stage() < stage && !f.reporting_only && !spec.flow(f.flow).replies())
        .collect();
    let n = below.len();
    let transports: std::collections::BTreeSet<&str> = below.iter().map(|f| runs(f.transport)).collect();
    by_position(&mut below);
    if let Some((first, rest)) = below.split_first() {
        let why = if now.high_volume && now.tools < plan.thresholds.event_driven_min_tools {
            if now.events_per_day >= plan.thresholds.high_volume_per_day {
                format!("{} events a day", plan::count(now.events_per_day))
            } else {
                format!("peaks of {} events a second", plan::rate(now.peak_per_second))
            }
        } else {
            format!("{} tools", plan::count(f64::from(now.tools)))
        };
        let message = format!(
            "stage {} ({}) is recommended for {why}, but {} flow{} still run{} {}",
            stage.number(),
            stage.name(),
            plan::count(n as f64),
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" },
            transports.into_iter().collect::<Vec<_>>().join(" or ")
        );
        let help = match plan::existing_transport(spec, stage) {
            Some(name) => format!(
                "route these flows through `{name}` with `via {name}`; `wireplan plan` lists which to move first"
            ),
            None => "add an event broker (`system \"events\" kind=broker { ha #true }`) and route these flows \
                     through it with `via events`; `wireplan plan` lists which to move first"
                .to_owned(),
        };
        let flow = spec.flow(first.flow);
        // One finding for the stack, shown at its first flow below the
        // stage: the same finding while the stage is, however many flows
        // are left to move.
        let mut d = Diagnostic::new(&STAGE_MISMATCH, flow.name.loc, message)
            .with_label(format!("runs {}", runs(first.transport)))
            .about_the_spec(format!("stage {} recommended; flows run below it", stage.number()))
            .with_help(help);
        for other in rest.iter().take(SECONDARY_FLOWS) {
            d = d.with_secondary(spec.flow(other.flow).name.loc, format!("also runs {}", runs(other.transport)));
        }
        out.push(d);
    }

    // A broker is over-sized only if the stack stays small until the horizon.
    let target = stage.max(plan.stage_at_horizon);
    if target == Stage::PointToPoint {
        // A stage-1 stack is small: these are put fully in order.
        let mut on_broker: Vec<&FlowUse> = plan.flows_now.iter().filter(|f| f.transport == Transport::Broker).collect();
        on_broker.sort_by_key(|f| spec.flow(f.flow).loc);
        let broker = on_broker
            .iter()
            .filter_map(|f| spec.flow(f.flow).via.as_ref()?.target)
            .find(|s| spec.system(*s).kind() == SystemKind::Broker);
        if let Some(broker) = broker {
            let system = spec.system(broker);
            let n = on_broker.len();
            let mut d = Diagnostic::new(
                &STAGE_MISMATCH,
                system.name.loc,
                format!(
                    "broker `{}` carries {n} flow{} for {} tool{}, where point-to-point is enough until month {}",
                    system.name.value,
                    if n == 1 { "" } else { "s" },
                    now.tools,
                    if now.tools == 1 { "" } else { "s" },
                    plan.horizon_months
                ),
            )
            .with_label("a broker for a stage-1 stack")
            .with_help(format!(
                "keep the broker: moving down a stage costs a migration and gains nothing, but add no more infrastructure until the stack nears {} tools or high volume; say why it is there with `allow \"stage-mismatch\" reason=\"...\"` on it",
                crate::stages::EVENT_DRIVEN_MIN_TOOLS
            ))
            .with_owner(Owner::System(broker));
            for f in on_broker.iter().take(SECONDARY_FLOWS) {
                d = d.with_secondary(spec.flow(f.flow).name.loc, "goes through the broker");
            }
            out.push(d);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use crate::lint::CliLevels;

    fn findings(text: &str) -> Vec<(String, usize)> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("wireplan.kdl");
        std::fs::write(&file, text).unwrap();
        let checked = crate::check_path(Some(&file), dir.path(), &CliLevels::default()).unwrap();
        checked
            .diagnostics
            .iter()
            .filter(|d| d.rule.name == "stage-mismatch")
            .map(|d| (d.message.clone(), d.secondary.len()))
            .collect()
    }

    fn tools(n: usize) -> String {
        let mut s: String = (0..n).map(|i| format!("system \"t{i:02}\" kind=crm\n")).collect();
        for i in 0..n {
            s.push_str(&format!("event \"e{i:02}\" from=t{i:02} version=1\n"));
            s.push_str(&format!(
                "flow \"f{i:02}\" {{ on \"e{i:02}\"; to t{:02} action=upsert; retry attempts=3; dead-letter; log }}\n",
                (i + 1) % n
            ));
        }
        s
    }

    /// Six tools wired point-to-point: a hub is the planner's advice, but
    /// whether one would change anything is `p2p-sprawl`'s question (it
    /// counts the pairs), so this check does not repeat it. Ten tools are
    /// past the hub's range, and are reported here.
    #[test]
    fn point_to_point_below_a_hub_is_left_to_p2p_sprawl() {
        assert!(findings(&tools(6)).is_empty());
        assert_eq!(findings(&tools(10)).len(), 1);
    }

    /// Four tools whose services already publish to a broker, and one
    /// webhook adapter written point-to-point: the stack is event-driven,
    /// and nothing about its size argues that the adapter should move. The
    /// same stack at high volume is told to route it through the broker.
    #[test]
    fn a_flow_outside_a_broker_the_stack_already_uses_is_a_design_choice() {
        let spec = |volume: &str| {
            format!(
                r#"
                system "bus" kind=broker {{ ha #true }}
                system "orders" kind=custom {{ publishes "order.placed" via=bus }}
                system "billing" kind=custom
                system "stripe" kind=payments
                system "mail" kind=email
                event "order.placed" from=orders version=1 {{ {volume} }}
                event "charge.paid" from=stripe version=1
                flow "bill" {{ on "order.placed"; via bus; to billing action=create; retry attempts=3; dead-letter; log }}
                flow "stripe-webhook" {{ on "charge.paid"; to orders action=update; retry attempts=3; dead-letter; log }}
                flow "receipts" {{ on "order.placed"; via bus; to mail action=send; retry attempts=3; dead-letter; log }}
                "#
            )
        };
        assert!(findings(&spec("")).is_empty());
        let busy = findings(&spec("volume per-day=500000 peak-per-second=80"));
        assert_eq!(busy.len(), 1, "{busy:?}");
        assert!(busy[0].0.contains("500,000 events a day"), "{busy:?}");
    }

    #[test]
    fn twelve_tools_point_to_point_is_a_mismatch() {
        let f = findings(&tools(12));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "stage 3 (event-driven) is recommended for 12 tools, but 12 flows still run point-to-point");
        assert_eq!(f[0].1, 4);
    }

    #[test]
    fn a_hub_past_nine_tools_is_a_mismatch_and_the_help_names_the_broker() {
        let mut text = tools(12).replace("; to t", "; via hub; to t");
        text.push_str("system \"hub\" kind=hub\nsystem \"bus\" kind=broker { ha #true }\n");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wireplan.kdl"), &text).unwrap();
        let checked = crate::check_path(Some(dir.path()), dir.path(), &CliLevels::default()).unwrap();
        let d: Vec<_> = checked.diagnostics.iter().filter(|d| d.rule.name == "stage-mismatch").collect();
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].message,
            "stage 3 (event-driven) is recommended for 12 tools, but 12 flows still run through a hub"
        );
        assert_eq!(d[0].primary.message, "runs through a hub");
        assert!(d[0].help.contains("`via bus`"), "{:?}", d[0].help);
    }

    #[test]
    fn three_tools_point_to_point_fit() {
        assert!(findings(&tools(3)).is_empty());
    }

    #[test]
    fn a_broker_for_two_tools_is_a_mismatch() {
        // A SaaS tool that pushes webhooks into a broker: not an
        // event-driven stack, so the broker is over-sized.
        let text = "system \"a\" kind=crm { webhooks #true; }\nsystem \"b\" kind=email\nsystem \"bus\" kind=broker { ha #true }\n\
                    event \"a.x\" from=a version=1\n\
                    flow \"ab\" { on \"a.x\"; via bus; to b action=upsert; retry attempts=3; dead-letter; log }\n";
        let f = findings(text);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].0.starts_with("broker `bus` carries 1 flow for 2 tools"), "{}", f[0].0);
    }

    #[test]
    fn a_broker_ahead_of_growth_is_fine() {
        let mut text =
            "system \"bus\" kind=broker { ha #true }\nsystem \"a\" kind=crm\nsystem \"b\" kind=email\n".to_owned();
        for i in 0..8 {
            text.push_str(&format!("system \"later{i}\" kind=crm {{ planned in-months=6 }}\n"));
        }
        text.push_str("event \"a.x\" from=a version=1\nflow \"ab\" { on \"a.x\"; via bus; to b action=upsert; retry attempts=3; dead-letter; log }\n");
        assert!(findings(&text).is_empty());
    }
}
