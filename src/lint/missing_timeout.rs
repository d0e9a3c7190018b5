//! `missing-timeout`: a synchronous call (language 1.2's `reply` or `call`)
//! that says nothing of how long its caller waits.

use super::Context;
use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Label, Severity, declare_rule};
use crate::model::{FlowId, Loc, Owner, Spec, SystemKind, TriggerKind};

declare_rule! {
    /// ## What it finds
    ///
    /// A flow's `reply` (its trigger's sender waits for the answer) or a
    /// `to`'s `call` (the flow waits for the target's answer) without
    /// `timeout=`. In a vendor's own integration (`run-by`) it is an info:
    /// how long the vendor's page or calls wait is the vendor's. A `reply`
    /// of a flow that runs `via` a `managed` system (an API gateway, AppSync,
    /// API Management) is an info too: the gateway ends the wait at its own
    /// limit, which the spec can still say so the calls inside stay shorter.
    /// So is a `call` to a hub or a broker, and the `reply` of a flow whose
    /// every write goes to one: starting or signalling a workflow, or
    /// publishing, is answered once the hub or broker has the message (the
    /// client's own default bounds it), not when the work is done. So is the
    /// `reply` to a vendor's webhook by a flow with no `call`: the sender
    /// (a system with `webhooks #true` that is not the team's own, as a
    /// `custom`, `website` or `hub` system is unless it says `managed` or
    /// names a `connector=`) ends its wait at its own limit and sends
    /// again, and the flow's own writes are all it does before it answers.
    /// So is the `reply` to a `website` (a browser's form, an app) by a flow
    /// with no `call`: the client ends its own wait and a person sees the
    /// failure, and nothing the flow waits on can hang. A service that
    /// waits (a `custom` caller, a saga's orchestrator) is still asked at
    /// warning: it has no person to give up; unless the flow, with no
    /// `call`, only writes its own store (the system that raised the
    /// trigger, or a database): then nothing it does can hang on another
    /// system, and the reply is asked at info.
    /// And so are the `call`s and the `reply` of a flow that only reads (a
    /// status endpoint: a caller that gives up and asks again changes
    /// nothing), and a `call` on a `read` in a flow that runs `via` a
    /// `managed` hub (a hosted function platform, an iPaaS), which ends the
    /// run at its own limit, unless a vendor's webhook sets the flow off (it
    /// resends while the flow still waits, and both runs go on to write),
    /// and a `call` on a `read` in a flow nothing waits on (no `reply`, no
    /// vendor's webhook) that runs `via` a managed bus or queue. A read
    /// without a timeout before the writes of a flow whose caller waits
    /// stays a warning: the caller gives up and asks again while the writes
    /// are still to come. A `call` in a scheduled flow that nothing waits on
    /// (no `reply`) is an info: a hang holds up that run until the
    /// scheduler or its platform ends it, and the next starts on schedule;
    /// a poller's loop that hangs stops for good, and stays a warning. A
    /// flow's calls to one system that ask the same (three calls to one
    /// CRM, none with a timeout) are one finding, which points at each; so
    /// are the flows from one source that ask the same (one handler of a
    /// shop's several webhooks, written as a flow per event, each waiting
    /// on the same system), each flow still addressable for `allow`,
    /// baselines and SARIF. A `reply` without a timeout in a flow whose
    /// every `call` says none either, each reported as a warning, is not a
    /// second finding: the caller waits as long as those calls, and the
    /// first call's finding says so and points at the `reply`. A `reply` without
    /// a timeout in a flow whose every `call` says one is bounded by them:
    /// when they can take at most 30 seconds in all, with their attempts
    /// (within what most callers wait: a webhook sender gives up after 5 to
    /// 30 seconds, a browser or the proxy before it after 30 to 60), it is
    /// an info that asks for the caller's own limit; when they can take
    /// longer, a warning that says how long.
    ///
    /// ## Why it matters
    ///
    /// A caller that waits has a limit, whether the spec says it or not: a
    /// webhook sender gives up after a few seconds, a browser sooner. When
    /// the flow's own wait is longer than its caller's, the caller has
    /// given up and retried while the flow still writes: the failure the
    /// caller was meant to see becomes a duplicate. Saying the timeout is
    /// what lets the calls inside the flow be kept shorter than it.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "web" kind=website
    /// system "pricing" kind=custom
    /// event "quote.requested" from=web version=1
    /// flow "quote" {
    ///     on "quote.requested"
    ///     reply
    ///     to pricing action=send {
    ///         call timeout="2s"
    ///     }
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "web" kind=website
    /// system "pricing" kind=custom
    /// event "quote.requested" from=web version=1
    /// flow "quote" {
    ///     on "quote.requested"
    ///     reply timeout="5s"
    ///     to pricing action=send {
    ///         call timeout="2s"
    ///     }
    ///     log
    /// }
    /// ```
    pub(crate) static MISSING_TIMEOUT = {
        name: "missing-timeout",
        code: "WP120",
        severity: Warning,
        category: Topology,
        summary: "a `reply` or `call` that does not say how long its caller waits",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // The flows from one source that ask the same (one handler of a
    // producer's several events, written as a flow per event, each waiting
    // on the same system) are one finding that lists them.
    let mut across = super::util::Asked::new(&MISSING_TIMEOUT);
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        // A vendor's own integration (`run-by`): how long its page or its
        // calls wait is the vendor's, a question for them, at info.
        let vendor = flow.runner();
        let for_vendor = |mut d: Diagnostic| {
            if let Some(vendor) = vendor {
                let why = super::util::Vendor::Stated(vendor).why();
                d.message.push_str(&format!("; {why}: how long it waits is `{vendor}`'s"));
                d.severity = Severity::Info;
            }
            d
        };
        let unbounded = flow.reply.as_ref().filter(|r| r.timeout.is_none());
        // Asked once per flow, not per target: a flow may have thousands.
        let only_reads = flow.targets.iter().all(crate::model::Target::reads);
        let waited_on = flow.reply.is_some() || vendor_webhook(spec, flow).is_some();
        let scheduled = matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Schedule(_)));
        // One finding per question: the calls of this flow that ask the same
        // of the same system (three calls to one CRM, none with a timeout)
        // are one finding that points at each, not three.
        let mut calls: Vec<(Diagnostic, usize, usize, Option<crate::model::SystemId>)> = Vec::new();
        let mut asked: HashMap<String, usize> = HashMap::new();
        for target in &flow.targets {
            let Some(call) = target.call.as_ref().filter(|c| c.timeout.is_none()) else { continue };
            let head = format!("flow `{}` waits on `{}`", flow.name.value, target.system.name.value);
            let head_len = head.len();
            let mut d = Diagnostic::new(&MISSING_TIMEOUT, call.loc, head + " but says no `timeout`")
                .with_label("how long does the flow wait?")
                .with_secondary(target.system.name.loc, "the system called")
                .with_help(
                    "say how long the flow waits, such as `call timeout=\"2s\"`: shorter than its own caller waits",
                )
                .with_owner(Owner::Flow(id));
            if vendor.is_none()
                && let Some(kind) = hand_off(spec, target)
            {
                d.message.push_str(&format!("; it hands off to a {kind}, which answers once it has the message"));
                d.severity = Severity::Info;
            } else if vendor.is_none() && target.reads() {
                // A read among writes holds them up while it hangs. A
                // warning where a caller waits on the flow (a `reply`, a
                // vendor's webhook that resends): it gives up and asks
                // again while the writes are still to come. Else a
                // question: the flow only reads, or a managed platform (a
                // hosted function, an iPaaS: a managed hub) ends the run,
                // or nothing waits on the flow's answer and it runs on a
                // managed bus or queue, whose consumers' runs are bounded
                // (a self-hosted poller that hangs stops for good: a
                // warning).
                let platform = managed_via(spec, flow).filter(|s| s.kind() == crate::model::SystemKind::Hub);
                if only_reads {
                    d.message.push_str(READS);
                    d.severity = Severity::Info;
                } else if let Some(platform) = platform.filter(|_| vendor_webhook(spec, flow).is_none()) {
                    d.message.push_str(&format!(
                        "; it only reads, and managed `{}` ends the run at its own limit",
                        platform.name.value
                    ));
                    d.severity = Severity::Info;
                } else if !waited_on && managed_via(spec, flow).is_some() {
                    d.message.push_str(
                        "; it only reads, and nothing waits on this flow's answer: a hang holds up the writes after \
                         it until the run is ended",
                    );
                    d.severity = Severity::Info;
                }
            }
            // A scheduled run that nothing waits on (no `reply`): a hang
            // holds up this run, and the writes after the call, until the
            // scheduler or the platform ends it; the next run starts on its
            // schedule. A question, not a loss. (A poller's own loop that
            // hangs stops for good, and stays a warning.)
            if vendor.is_none() && scheduled && !waited_on && d.severity == Severity::Warning {
                d.message.push_str(
                    "; nothing waits on a scheduled run's answer: a hang holds up this run until it is ended",
                );
                d.severity = Severity::Info;
            }
            let d = for_vendor(d);
            match asked.get(&d.message) {
                Some(&first) => {
                    let (same, count, _, _) = &mut calls[first];
                    same.secondary
                        .push(Label { loc: call.loc, message: "another call to it, also without a `timeout`".into() });
                    *count += 1;
                }
                None => {
                    asked.insert(d.message.clone(), calls.len());
                    calls.push((d, 1, head_len, target.system.target));
                }
            }
        }
        // A reply that says no timeout, in a flow whose every call says none
        // either and is reported as a warning: the caller waits exactly as
        // long as those calls, one fact, said once in the first call's
        // finding (judged on the real-world corpus, a second finding on the
        // reply was called a repeat of the calls' own).
        let every_call_unbounded = flow.targets.iter().all(|t| t.call.as_ref().is_none_or(|c| c.timeout.is_none()));
        if let Some(reply) = unbounded {
            match &mut calls[..] {
                [(d, ..), rest @ ..]
                    if every_call_unbounded
                        && d.severity == Severity::Warning
                        && rest.iter().all(|(r, ..)| r.severity == Severity::Warning) =>
                {
                    d.message.push_str("; the flow's caller waits as long, since its `reply` says no `timeout` either");
                    d.secondary.push(Label { loc: reply.loc, message: "the caller waits on that call too".into() });
                    d.help = "say how long the flow waits, such as `call timeout=\"2s\"`, and how long its caller \
                              waits, such as `reply timeout=\"5s\"`: longer than the call"
                        .into();
                }
                _ => {
                    let into = super::util::first_written(flow);
                    across.ask(spec, id, into, for_vendor(unbounded_reply(spec, id, reply.loc)));
                }
            }
        }
        for (mut d, count, head, into) in calls {
            // The count goes right after the message's head (`flow F waits
            // on S`), whatever words the names hold.
            if count > 1 {
                d.message.insert_str(head, &format!(" in {count} calls"));
            }
            across.ask(spec, id, into, d);
        }
    }
    super::util::group_asked(spec, across, out);
}

/// The finding for flow `id`'s `reply` without a timeout (at `loc`): a
/// warning, or an info where something else ends the wait: a managed
/// gateway's own limit (API Gateway, AppSync, API Management), or a flow
/// whose every write hands off to a hub or a broker (starts or signals a
/// workflow, publishes), answered once they have it.
fn unbounded_reply(spec: &Spec, id: FlowId, loc: Loc) -> Diagnostic {
    let flow = spec.flow(id);
    let mut d = Diagnostic::new(
        &MISSING_TIMEOUT,
        loc,
        format!("flow `{}` replies to its caller but says no `timeout`", flow.name.value),
    )
    .with_label("how long does the caller wait?")
    .with_secondary(flow.name.loc, "in this flow")
    .with_owner(Owner::Flow(id));
    // A vendor's own integration is asked as the vendor's, by the caller.
    let ours = flow.runner().is_none();
    let gateway = managed_via(spec, flow).filter(|_| ours);
    let hands_off = ours && !flow.targets.is_empty() && flow.targets.iter().all(|t| hand_off(spec, t).is_some());
    let only_reads = ours && !flow.targets.is_empty() && flow.targets.iter().all(crate::model::Target::reads);
    // A vendor's webhook answered by a flow that waits on nobody (no
    // `call`): the sender ends its own wait at its limit and sends again
    // (Stripe, Shopify), and what the flow does before answering is its
    // own writes, nothing that can hang on another system.
    let waits_on_none = flow.targets.iter().all(|t| t.call.is_none());
    let sender = vendor_webhook(spec, flow).filter(|_| ours && waits_on_none);
    // A website or app (a browser's form, the team's front end) that waits
    // on a flow that calls nothing: the client ends its own wait, a person
    // sees the failure, and the flow's own writes are all that can be slow.
    let source = flow.source_system(spec);
    let client = source.map(|s| spec.system(s)).filter(|s| ours && waits_on_none && s.kind() == SystemKind::Website);
    // A flow that waits on no `call` and only writes its own store (the
    // system that raised the trigger, or a database): what it does before
    // answering cannot hang on another system. Judged on the real-world
    // corpus, such warnings were right once in 5 (a browser's return, an
    // unsubscribe link, a mark in a local store).
    let own_store =
        ours && waits_on_none
            && !flow.targets.is_empty()
            && flow.targets.iter().all(|t| {
                !t.reads() && t.system.target.is_some_and(|s| Some(s) == source || spec.system(s).is_database())
            });
    // Every `call` the flow waits on says its own timeout: the wait ends,
    // and only how it compares with the caller's own limit is unsaid.
    let calls = flow.targets.iter().filter_map(|t| t.call.as_ref()).count();
    let (took, timed) = super::util::timed_calls(flow);
    let bounded = (ours && calls > 0 && timed.len() == calls).then_some(took);
    if let Some(took) = bounded.filter(|&took| took > MOST_CALLERS_WAIT) {
        // Bounded, but longer than most callers wait: the question stands,
        // with the number that makes it one.
        d.message.push_str(&format!(
            "; its calls can take up to {} in all with their attempts, longer than most callers wait ({})",
            super::util::duration(took),
            super::util::duration(MOST_CALLERS_WAIT)
        ));
        return d.with_help(
            "say how long the caller waits, such as `reply timeout=\"30s\"`, and shorten the calls inside the flow \
             to fit in it",
        );
    }
    let (why, help) = match gateway {
        Some(gateway) => (
            format!("it is answered through managed `{}`, whose own limit ends the wait", gateway.name.value),
            format!(
                "say the limit `{}` puts on the request, such as `reply timeout=\"29s\"`, and keep the calls inside \
                 the flow shorter",
                gateway.name.value
            ),
        ),
        None if sender.is_some() => (
            format!(
                "`{}` sends it by webhook and ends its own wait at its limit, and the flow waits on no `call`",
                sender.map_or("", |s| s.name.value.as_str())
            ),
            "say the sender's limit, such as `reply timeout=\"10s\"`, so that the writes inside the flow are kept \
             shorter than it"
                .to_owned(),
        ),
        None if client.is_some() => (
            format!(
                "`{}` is a website or an app, which ends its own wait, and the flow waits on no `call`",
                client.map_or("", |s| s.name.value.as_str())
            ),
            "say how long the client waits, such as `reply timeout=\"10s\"`, so that the writes inside the flow are \
             kept shorter than it"
                .to_owned(),
        ),
        None if own_store => (
            "the flow waits on no `call`: it writes only its own store, whose writes are all that can be slow"
                .to_owned(),
            "say how long the caller waits, such as `reply timeout=\"10s\"`, so that the writes inside the flow are \
             kept shorter than it"
                .to_owned(),
        ),
        None if bounded.is_some() => (
            format!(
                "every `call` it waits on says a timeout, up to {} in all with their attempts, within what most \
                 callers wait ({}); the caller's own limit is not said",
                super::util::duration(took),
                super::util::duration(MOST_CALLERS_WAIT)
            ),
            "say how long the caller waits, such as `reply timeout=\"10s\"`: then `timeout-budget` holds the calls \
             to it"
                .to_owned(),
        ),
        None if only_reads => (
            READS.trim_start_matches("; ").to_owned(),
            "say how long the caller waits, such as `reply timeout=\"5s\"`, and keep the reads inside the flow \
             shorter"
                .to_owned(),
        ),
        None if hands_off => (
            "each of its writes hands off to a hub or a broker, which answers once it has the message".to_owned(),
            "say how long the caller waits, such as `reply timeout=\"5s\"`, and keep the hand-offs inside the flow \
             shorter"
                .to_owned(),
        ),
        None => {
            return d.with_help(
                "say how long the caller waits, such as `reply timeout=\"5s\"`, and keep the calls inside the flow shorter",
            );
        }
    };
    d.message.push_str(&format!("; {why}"));
    d.severity = Severity::Info;
    d.with_help(help)
}

/// The `managed` system the flow runs `via` (an API gateway, a hosted
/// function platform), whose own limit ends a request or a run.
fn managed_via<'s>(spec: &'s Spec, flow: &crate::model::Flow) -> Option<&'s crate::model::System> {
    flow.via.as_ref()?.target.map(|s| spec.system(s)).filter(|s| s.is_managed())
}

/// The vendor whose webhook sets the flow off (a system with `webhooks
/// #true` that is not the team's own): it ends its wait at its own limit
/// and sends again, whatever the flow still does.
fn vendor_webhook<'s>(spec: &'s Spec, flow: &crate::model::Flow) -> Option<&'s crate::model::System> {
    // Only an event sets a flow off by webhook: a schedule or a poll that
    // reads a system with webhooks is not waited on by it.
    if !matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::On { .. })) {
        return None;
    }
    flow.source_system(spec).map(|s| spec.system(s)).filter(|s| s.has_webhooks() && !super::util::team_built(s))
}

/// How long most callers wait before they give up and ask again: webhook
/// senders end their wait after 5 to 30 seconds (Shopify 5, GitHub 10),
/// browsers and the proxies in front of a web app after 30 to 60. Calls that
/// can take longer in all outlast them; calls bounded within it are a
/// question of the one caller's own limit.
const MOST_CALLERS_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why a wait on reads alone is a question rather than a warning.
const READS: &str = "; it only reads, so a caller that gives up and asks again changes nothing";

/// `"hub"` or `"broker"` when the write goes to one: a hand-off (a workflow
/// started or signalled, a message published) that is answered once the
/// hub or broker has it, not when the work is done.
fn hand_off(spec: &Spec, target: &crate::model::Target) -> Option<&'static str> {
    match target.system.target.map(|s| spec.system(s).kind())? {
        SystemKind::Hub => Some("hub"),
        SystemKind::Broker => Some("broker"),
        _ => None,
    }
}
