//! `clock-chained`: a job on a clock that reads what another job loads on
//! its own clock (dbt at the hour after an extract at the hour, a reverse
//! ETL sync a quarter past), with nothing making it wait for the load.
//!
//! A reader is a flow run by a clock (a `schedule` with `from SYSTEM
//! entity=E`, or a `poll` of `SYSTEM entity=E`) out of a store (a
//! warehouse, a lake, a database); a loader is another flow
//! run by a clock that writes `E` into that system. Each pair is ordered
//! only by the times on their clocks: a load that runs late, slow or not at
//! all is read as if it were current, and nothing fails. Left out where
//! something the spec states orders them: one vendor runs both (`run-by`
//! the same system, which can chain its own jobs), or a flow on an event of
//! the loader's runner (its `via`, `run-by` or source) reaches the reader's
//! runner (dbt Cloud's "job completed" webhook starting the sync), or both
//! run through one `via` on one clock (one job, which its runner orders). A loader
//! set off by events streams continuously and is not a clock. It is an
//! info: the runs may be chained outside the spec (an orchestrator's
//! dependency), which an `allow` with that reason says. One finding per
//! system read, listing the readers. Linear: one pass over the flows to
//! index the loads and the event links, one to ask.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::Context;
use super::util::{PerFlow, group_by, name_list};
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Flow, FlowId, Owner, Spec, SystemId, SystemKind, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow run by a clock (a `schedule` with `from SYSTEM entity=E`, or
    /// a `poll` of `SYSTEM entity=E`, where the system is a warehouse, a
    /// lake or a database) that reads records another flow, also
    /// run by a clock (a `poll` or a `schedule`), writes into that system,
    /// when nothing the spec states makes the reader wait for the load:
    /// one vendor running both (`run-by` the same system), or a flow on an
    /// event of the loader's runner (its `via`, `run-by` or source system)
    /// that reaches the reader's runner. A load set off by events is a
    /// stream, not a clock, and is not asked about. It is an info: the two
    /// may be chained outside the spec, by an orchestrator's dependency,
    /// which an `allow` with that reason says.
    ///
    /// Two flows through the same `via` on the same clock (the same cron,
    /// or the same interval) are taken as one job whose steps the runner
    /// orders, as the models of one `dbt run` are. The reader's runner is
    /// its `run-by` or `via`, or the store it reads where it states
    /// neither: an event flow that writes into the store does not start a
    /// job that something else runs.
    ///
    /// ## Why it matters
    ///
    /// Two clocks are not a dependency. The extract at 06:00 runs long one
    /// morning, or fails; the transformation at 08:00 runs anyway, over
    /// yesterday's rows, and the sync at 08:15 pushes the stale numbers
    /// into the CRM. Nothing fails, so nothing alerts: the dashboards and
    /// the sales team just act on old data.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "dwh" kind=warehouse
    /// flow "extract-orders" {
    ///     poll shop entity=order every="1h"
    ///     to dwh action=upsert entity=raw_orders
    /// }
    /// flow "build-marts" {
    ///     schedule cron="15 * * * *"
    ///     from dwh entity=raw_orders
    ///     to dwh action=upsert entity=daily_sales
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Start the reader when the load is done: on the loader's completion
    /// event, or in one orchestrated job with the dependency stated there
    /// (and say so with an `allow`):
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "dwh" kind=warehouse
    /// flow "extract-orders" {
    ///     poll shop entity=order every="1h"
    ///     to dwh action=upsert entity=raw_orders
    /// }
    /// flow "build-marts" {
    ///     schedule cron="15 * * * *"
    ///     from dwh entity=raw_orders
    ///     to dwh action=upsert entity=daily_sales
    ///     allow "clock-chained" reason="one Dagster job runs the extract, then the marts"
    /// }
    /// ```
    pub(crate) static CLOCK_CHAINED = {
        name: "clock-chained",
        code: "WP135",
        severity: Info,
        category: Topology,
        summary: "a job on a clock reads what another job loads on its own clock",
    }
}

/// Whether a clock runs the flow: a poll or a schedule.
fn on_a_clock(flow: &Flow) -> bool {
    matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Poll(_) | TriggerKind::Schedule(_)))
}

/// The system and entity a flow run by a clock reads: its poll's, or its
/// schedule's `from`.
fn clock_read(flow: &Flow) -> Option<(SystemId, &str)> {
    match &flow.trigger.as_ref()?.kind {
        TriggerKind::Poll(poll) => Some((poll.system.target?, poll.entity.as_ref()?.name.value.as_str())),
        TriggerKind::Schedule(_) => {
            let from = flow.from.as_ref()?;
            Some((from.system.target?, from.entity.as_ref()?.name.value.as_str()))
        }
        TriggerKind::On { .. } => None,
    }
}

/// The systems that run a flow: its `run-by`, its `via`, and its source.
fn runners(spec: &Spec, flow: &Flow) -> impl Iterator<Item = SystemId> {
    let run_by = flow.run_by.as_ref().and_then(|r| r.target);
    let via = flow.via.as_ref().and_then(|v| v.target);
    run_by.into_iter().chain(via).chain(flow.source_system(spec))
}

/// The systems that start a reader's run: its `run-by` and `via`, or,
/// where it states neither, its source (a job the store runs itself). The
/// store a reader reads is not its runner when something else runs it: an
/// event flow that writes into the store does not start the job.
fn reader_runners(spec: &Spec, flow: &Flow) -> Vec<SystemId> {
    let stated: Vec<SystemId> = flow
        .run_by
        .as_ref()
        .and_then(|r| r.target)
        .into_iter()
        .chain(flow.via.as_ref().and_then(|v| v.target))
        .collect();
    if stated.is_empty() { flow.source_system(spec).into_iter().collect() } else { stated }
}

/// Whether two flows run as one job: through the same `via` on the same
/// clock (the same cron, or the same interval), as the models of one
/// `dbt run` do, which the runner orders by their references.
fn one_job(a: &Flow, b: &Flow) -> bool {
    let via = |f: &Flow| f.via.as_ref().and_then(|v| v.target);
    fn clock(f: &Flow) -> Option<(Option<std::time::Duration>, Option<&str>)> {
        match &f.trigger.as_ref()?.kind {
            TriggerKind::Schedule(schedule) => {
                Some((schedule.every.as_ref().map(|e| e.value), schedule.cron.as_ref().map(|c| c.value.as_str())))
            }
            _ => None,
        }
    }
    via(a).is_some() && via(a) == via(b) && clock(a).is_some() && clock(a) == clock(b)
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // The loads on a clock, by the system and entity they write; and the
    // systems an event of one system's reaches.
    let mut loads: HashMap<(SystemId, &str), Vec<FlowId>> = HashMap::default();
    let mut links: HashSet<(SystemId, SystemId)> = HashSet::default();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let clock = on_a_clock(flow);
        if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) {
            let producer = event.target.and_then(|e| spec.event(e).from.as_ref()?.target);
            for (producer, target) in producer.into_iter().flat_map(|p| flow.targets.iter().map(move |t| (p, t))) {
                links.extend(target.system.target.map(|t| (producer, t)));
            }
        }
        if !clock {
            continue;
        }
        for target in &flow.targets {
            let (Some(system), Some(entity)) = (target.system.target, target.entity.as_ref()) else { continue };
            let writers = loads.entry((system, entity.name.value.as_str())).or_default();
            if writers.last() != Some(&id) {
                writers.push(id);
            }
        }
    }
    let mut singles = PerFlow::made(&CLOCK_CHAINED);
    let mut read_from: HashMap<FlowId, SystemId> = HashMap::default();
    for id in spec.flow_ids() {
        let reader = spec.flow(id);
        let Some((system, entity)) = clock_read(reader) else { continue };
        // Jobs chain through stores: a business tool's records are live,
        // and a poll of them is a sync, not the next step of a pipeline.
        let kind = spec.system(system).kind();
        if !(kind.is_storage() || kind == SystemKind::Database) {
            continue;
        }
        let Some(writers) = loads.get(&(system, entity)) else { continue };
        let run_by = reader.run_by.as_ref().and_then(|r| r.target);
        let started_by = reader_runners(spec, reader);
        let waits = |loader: &Flow| {
            let same_vendor = run_by.is_some() && run_by == loader.run_by.as_ref().and_then(|r| r.target);
            same_vendor
                || one_job(loader, reader)
                || runners(spec, loader).any(|l| started_by.iter().any(|&r| l != r && links.contains(&(l, r))))
        };
        let unordered: Vec<FlowId> = writers.iter().copied().filter(|&w| w != id && !waits(spec.flow(w))).collect();
        let Some(&first) = unordered.first() else { continue };
        let system_name = &spec.system(system).name.value;
        let loaders = name_list(unordered.iter().map(|&w| spec.flow(w).name.value.as_str()));
        let loader = spec.flow(first);
        let at = reader.trigger.as_ref().map_or(reader.name.loc, |t| t.loc);
        let d = Diagnostic::new(
            &CLOCK_CHAINED,
            at,
            format!(
                "flow `{}` reads `{entity}` of `{system_name}` on its own clock, while {loaders} {} it on {}: \
                 nothing makes the read wait for the load, so a load that runs late or fails is read as if \
                 current",
                reader.name.value,
                if unordered.len() == 1 { "loads" } else { "load" },
                if unordered.len() == 1 { "another" } else { "others" },
            ),
        )
        .with_label("runs by the clock, not after the load")
        .with_secondary(loader.trigger.as_ref().map_or(loader.name.loc, |t| t.loc), "the load's own clock")
        .with_help(
            "start the flow when the load is done (on the loader's completion event), or run both in one job \
             that orders them; if an orchestrator already does, say so with `allow \"clock-chained\" \
             reason=\"...\"`",
        )
        .with_owner(Owner::Flow(id));
        read_from.insert(id, system);
        singles.items.push((id, d));
    }
    group_by(
        spec,
        singles,
        |id, _| read_from.get(&id).copied(),
        "reading",
        |system, count, names| {
            format!(
                "{count} flows read tables of `{system}` on their own clocks, loaded by other flows on theirs \
                 ({names}): nothing makes a read wait for its load"
            )
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn a_read_on_a_clock_of_a_load_on_another_is_asked_and_a_completion_event_orders_them() {
        let text = r#"
            system "shop" kind=ecommerce
            system "dwh" kind=warehouse
            system "dbt" kind=hub
            system "sync" kind=hub
            system "crm" kind=crm
            event "job.completed" from=dbt version=1
            flow "extract" { poll shop entity=order every="1h"; to dwh action=upsert entity=raw_orders; }
            flow "marts" { schedule cron="15 * * * *"; from dwh entity=raw_orders; via dbt; to dwh action=upsert entity=sales; }
            flow "push" { schedule cron="30 * * * *"; from dwh entity=sales; via sync; to crm action=upsert entity=account; }
            flow "kick" { on "job.completed"; to sync action=send entity=run; }
        "#;
        let found = test_check(&CLOCK_CHAINED, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.starts_with("flow `marts` reads `raw_orders`"), "{}", found[0].message);
    }
}
