//! `no-dead-letter`: retries, or runs via a broker, without a dead-letter
//! destination.

use super::Context;
use super::util::PerFlow;
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Fix};
use crate::model::{Owner, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with `retry` (its own or on one of its `to`s), or one that runs
    /// `via` a broker, but no `dead-letter`. The flows into one system (by
    /// their first `to`: the handlers of that service) are one finding that
    /// lists them, with a label at each; a flow with an inline
    /// `allow "no-dead-letter"` is left out of its group.
    ///
    /// A flow that says `run-by SYSTEM` (since 1.2), a vendor's own
    /// integration, or that reads and writes a single system with nothing
    /// of its delivery stated, is reported at info: what it keeps of a
    /// write that still fails is the vendor's, a question for them.
    ///
    /// A batch job that a failed run loses nothing of is not asked: started
    /// by a clock or a person (a `poll`, a `schedule`, or `manual` since
    /// 1.2), it is a load that writes only into warehouses and lakes (its
    /// cursor or its full read has not moved past what failed), a job whose
    /// only retries are on its `read`s (a lookup retried on 429: when they
    /// give up, the run fails before it writes), a scheduled full sync (a
    /// `schedule` that reads its `from` source whole, with no `window` or
    /// one spanning at least two runs, and only upserts or updates), or a
    /// run by hand, whose runner sees it fail, whoever runs it (a vendor's
    /// loader, `run-by` Airbyte or Fivetran, included). The next run reads
    /// its input again, and there is no message for a dead letter to keep. On the
    /// real-world corpus such findings, asked at info, were right 3 times
    /// in 17, and broke 23 of the items writers said must stay quiet. A
    /// `from` with `window=` (since 1.2) that reads only one run's span
    /// (yesterday's orders, read daily) does not come back to a record a
    /// failed run missed: a warning.
    ///
    /// A store's change log streamed into warehouses and lakes not through
    /// a broker (its producer says `outbox`: a job that fails restarts from
    /// its checkpoint and reads the log again, as Flink CDC does) is asked
    /// at info: nothing is dropped, but a record that always fails stops
    /// every run, and the finding asks who is told. So is a flow whose
    /// every write another flow makes good: a scheduled full sync (see
    /// above) that runs at least hourly, reads the flow's own source (its
    /// entity, when the flow reads one) and upserts or updates the same
    /// entity with every field the flow's write fills (a member's change
    /// pushed at once, beside a quarter-hourly resync of every member). A
    /// sync once a day is not enough: a stock level or a price wrong until
    /// tomorrow is a loss, and stays a warning.
    ///
    /// The relay of an outbox or a change log (its producer says `outbox`,
    /// read not through a broker) that retries stays a warning, but says
    /// what is true of it: the log keeps a message whose retries give up,
    /// so nothing is dropped, and one that always fails holds back every
    /// message after it (a projection that stops behind one bad event).
    ///
    /// A flow whose every write is a `send` to a live view (a `website`
    /// system, or one reached over `api websocket`: a page, an app's screen)
    /// is quiet: a failed update kept and replayed later would show a state
    /// the view has moved past.
    ///
    /// ## Why it matters
    ///
    /// Retries end. When the last attempt fails, a flow without a dead
    /// letter drops the data; with one, the failed message waits where
    /// someone can inspect and replay it. On a broker, a message that can
    /// never be processed is otherwise either acknowledged and dropped, or
    /// redelivered forever and blocks the queue behind it.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    ///     retry attempts=5
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce
    /// system "crm" kind=crm
    /// event "order.paid" from=shop version=1
    /// flow "orders-to-crm" {
    ///     on "order.paid"
    ///     to crm action=upsert
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static NO_DEAD_LETTER = {
        name: "no-dead-letter",
        code: "WP105",
        severity: Warning,
        category: Topology,
        summary: "retries or runs via a broker, but no `dead-letter`: failed data is dropped or redelivered forever",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let mut singles = PerFlow::made(&NO_DEAD_LETTER);
    let syncs = super::util::FullSyncs::of(spec);
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        // (1.2) A caller waiting on a `reply` sees the failure: nothing is dropped unseen.
        if flow.dead_letter.is_some() || flow.misspelt("dead-letter") || flow.replies() {
            continue;
        }
        // A flow that only updates live views (a page, an app's screen): a
        // failed update replayed later shows a state that has moved on.
        if !flow.targets.is_empty() && flow.targets.iter().all(|t| super::util::shown_live(spec, t)) {
            continue;
        }
        let retry = flow.retry.as_ref().or_else(|| flow.targets.iter().find_map(|t| t.retry.as_deref()));
        let d = if let Some(retry) = retry {
            let attempts = retry
                .attempts
                .as_ref()
                .map_or_else(|| "the last attempt".to_owned(), |a| format!("attempt {}", a.value));
            Diagnostic::new(
                &NO_DEAD_LETTER,
                retry.loc,
                format!("flow `{}` retries but has no `dead-letter`", flow.name.value),
            )
            .with_label(format!("after {attempts} fails, the data is dropped"))
        } else if flow.via_broker(spec)
            && let Some(via) = &flow.via
        {
            Diagnostic::new(
                &NO_DEAD_LETTER,
                via.name.loc,
                format!("flow `{}` runs via broker `{}` but has no `dead-letter`", flow.name.value, via.name.value),
            )
            .with_label("a message that always fails is dropped, or redelivered forever")
        } else {
            continue;
        };
        // A batch job that a failed run loses nothing of: a clock's or a
        // person's load into a warehouse or a lake (its cursor or its full
        // read has not moved), a job whose only retries are its reads (it
        // fails before it writes), a scheduled full sync (the next run
        // writes what this one missed), a run by hand (whoever runs it sees
        // it fail). The next run reads again, so there is nothing for a
        // dead letter to keep: not asked (judged on the real-world corpus,
        // such infos were right 3 times in 17, and broke 23 of the items
        // writers said must stay quiet). So whoever runs it, a vendor's
        // loader (Airbyte, Fivetran) included.
        if batch_reread(spec, flow) {
            continue;
        }
        // (1.2) A vendor's own integration: where it keeps what keeps
        // failing is the vendor's, a question for them, at info.
        if let Some(vendor) = super::util::vendor(spec, flow) {
            let name = vendor.name();
            let mut d = d.with_secondary(flow.name.loc, "in this flow").with_owner(Owner::Flow(id)).with_help(format!(
                "ask `{name}` what its integration does with a write that still fails after its retries: whether \
                 it keeps it for a replay, and who is told"
            ));
            d.message = format!("{}; {}: what it keeps is `{name}`'s", d.message, vendor.why());
            d.severity = crate::diagnostic::Severity::Info;
            out.push(d);
            continue;
        }
        // A store's change log streamed into a warehouse or a lake, not
        // through a broker: a job that fails restarts from its checkpoint,
        // so nothing is dropped; what a dead letter would add is a record
        // that always fails set aside, and someone told. Asked at info.
        let mut d = d;
        if super::util::reruns_from_storage(spec, flow) {
            d.message = format!(
                "{}: a failed run is read again at the next one, but a record that always fails stops every run",
                d.message
            );
            d.primary.message = "a load from a log: read again at the next run".into();
            d.severity = crate::diagnostic::Severity::Info;
        } else if flow.reads_a_log(spec) && retry.is_some() {
            // The relay of an outbox or a change log moves its position
            // only past what it wrote: a message whose retries give up stays
            // in the log and is read again, not dropped, and one that always
            // fails holds back every message after it.
            d.message = format!(
                "{}: it relays a log that keeps the message, so nothing is dropped, but a message that always \
                 fails holds back every one after it",
                d.message
            );
            d.primary.message = "a relay of a log: a message that always fails blocks the ones after it".into();
        } else if let Some(sync) = {
            let writes: Vec<usize> = (0..flow.targets.len()).filter(|&t| !flow.targets[t].reads()).collect();
            super::util::repaired_by_sync(&syncs, spec, id, &writes)
        } {
            // Another flow reads the same source whole on a schedule and
            // writes the same records again: a write that still fails is
            // written at its next run. Asked at info, as a full sync is.
            d.message = format!(
                "{}: flow `{}` reads the same source whole and writes the same fields again at its next run, so a \
                 write that still fails is late, not lost",
                d.message,
                spec.flow(sync).name.value
            );
            d.primary.message = "written again by the sync's next run".into();
            d.severity = crate::diagnostic::Severity::Info;
        }
        singles.items.push((
            id,
            d.with_secondary(flow.name.loc, "in this flow")
                .with_help(
                    "add `dead-letter` to the flow (a dead-letter queue or exchange), so that failed messages are kept \
                 for replay",
                )
                .with_owner(Owner::Flow(id))
                // Failed data now waits in a dead letter instead of being
                // dropped: a change of delivery, for review.
                .with_fix(Fix::needs_review(
                    "Add `dead-letter`",
                    vec![super::util::add_to_flow(spec, id, "dead-letter")],
                )),
        ));
    }
    super::util::group_by_target(
        spec,
        singles,
        |system, n, names| {
            format!("{n} flows into `{system}` retry or run via a broker but have no `dead-letter`: {names}")
        },
        out,
    );
}

/// Whether a batch job (a `schedule` or a `poll`) retries only its reads
/// (a `retry` on `read` targets, none on the flow or on a write).
fn retries_only_reads(flow: &crate::model::Flow) -> bool {
    let batch = matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Schedule(_) | TriggerKind::Poll(_)));
    batch
        && flow.retry.is_none()
        && flow.targets.iter().any(|t| t.retry.is_some())
        && flow.targets.iter().all(|t| t.retry.is_none() || t.reads())
}

/// Whether the flow is a scheduled full sync: it reads its `from` source
/// whole at every run (no `window`, or one spanning at least two runs:
/// `Flow::reads_whole_source`) and every write is an `upsert` or an
/// `update`, or a `read` (a comparison), so the next run writes what a
/// failed one did not.
fn full_sync(flow: &crate::model::Flow) -> bool {
    flow.reads_whole_source()
        && flow.targets.iter().enumerate().all(|(i, t)| t.reads() || flow.resyncs(i))
        && flow.targets.iter().any(|t| !t.reads())
}

/// Whether a failed run of a batch job loses nothing a dead letter would
/// keep: started by a clock or a person (a `poll`, a `schedule`, `manual`),
/// and a load into warehouses and lakes, a job whose only retries are its
/// reads, or a scheduled full sync; or any job run by hand, whose runner
/// sees it fail. The next run reads its input again.
fn batch_reread(spec: &crate::model::Spec, flow: &crate::model::Flow) -> bool {
    let clock = matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Poll(_) | TriggerKind::Schedule(_)));
    clock
        && (super::util::reruns_from_storage(spec, flow)
            || retries_only_reads(flow)
            || full_sync(flow)
            || flow.runs_by_hand())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn only_retrying_flows_need_a_dead_letter() {
        let text = r#"
            system "a" kind=crm
            system "b" kind=crm
            system "c" kind=crm
            system "d" kind=crm
            system "mq" kind=broker
            event "a.e" from=a version=1
            flow "r" { on "a.e"; to b action=update; retry attempts=3 }
            flow "rd" { on "a.e"; to b action=update; retry; dead-letter }
            flow "n" { on "a.e"; to b action=update }
            flow "q" { on "a.e"; via mq; to c action=update }
            flow "qd" { on "a.e"; via mq; to b action=update; dead-letter }
            flow "t" { on "a.e"; to d action=update { retry; } }
            flow "misspelt" { on "a.e"; to b action=update; retry; dead-leter }
        "#;
        let found = test_check(&NO_DEAD_LETTER, text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "flow `r` retries but has no `dead-letter`",
                "flow `q` runs via broker `mq` but has no `dead-letter`",
                "flow `t` retries but has no `dead-letter`",
            ]
        );
        assert_eq!(found[0].primary.message, "after attempt 3 fails, the data is dropped");
    }

    /// The handlers of one service are one finding, with a label at each;
    /// an allowed flow leaves its group and is reported alone (for
    /// `apply_levels` to silence, so the allow counts as used).
    #[test]
    fn the_flows_into_one_system_are_one_finding() {
        let text = r#"
            system "a" kind=crm
            system "svc" kind=custom
            system "other" kind=custom
            event "a.e" from=a version=1
            flow "h1" { on "a.e"; to svc action=update; retry }
            flow "h2" { on "a.e"; to svc action=update; to other action=update; retry }
            flow "h3" { on "a.e"; to svc action=update; retry; allow "no-dead-letter" reason="kept by svc" }
            flow "alone" { on "a.e"; to other action=update; retry }
        "#;
        let found = test_check(&NO_DEAD_LETTER, text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "flow `h3` retries but has no `dead-letter`",
                "2 flows into `svc` retry or run via a broker but have no `dead-letter`: `h1` and `h2`",
                "flow `alone` retries but has no `dead-letter`",
            ]
        );
        let group = &found[1];
        let flow = |i| Owner::Flow(crate::model::FlowId(i));
        assert_eq!(group.owners().collect::<Vec<_>>(), vec![flow(0), flow(1)]);
        assert!(group.spec_wide.as_deref().is_some_and(|k| k.contains("svc")));
        assert_eq!(group.primary.message, "flow `h1`: after the last attempt fails, the data is dropped");
        let labels: Vec<&str> = group.secondary.iter().map(|l| l.message.as_ref()).collect();
        assert_eq!(labels, vec!["flow `h2`: after the last attempt fails, the data is dropped"]);
    }
}
