//! The review of one build against the table: a `not-carried-out` warning
//! at each place of a statement the target refuses, in the flows it built
//! (a system's statement once, naming the flows), and how many built flows
//! use each statement, for the summary.

use std::collections::BTreeMap;

use super::{How, STATEMENTS, Statement, vendor_signed};
use crate::diagnostic::{Diagnostic, NOT_CARRIED_OUT};
use crate::emit::Target;
use crate::model::{Flow, FlowId, Spec, TriggerKind};
use crate::source::Loc;

/// What `review` found: the warnings, and per statement the flows built that
/// use it, for the summary.
#[derive(Debug, Default)]
pub(crate) struct Review {
    pub(crate) warnings: Vec<Diagnostic>,
    /// For each row of `STATEMENTS` that a built flow uses, by index: how many
    /// built flows use it.
    pub(crate) used: BTreeMap<usize, usize>,
    /// Per built flow, in spec order, the rows it uses, for `build --format
    /// json`.
    pub(crate) per_flow: Vec<(FlowId, Vec<u16>)>,
}

// A row's index fits the `u16` that `Review::per_flow` keeps.
const _: () = assert!(STATEMENTS.len() <= u16::MAX as usize);

/// Reviews the flows `target` built (`built`, in spec order) against the
/// table: one `not-carried-out` warning per place of a refused statement
/// (a statement of a system, such as `rate-limit`, once, naming the flows).
pub(crate) fn review(spec: &Spec, target: Target, built: &[FlowId]) -> Review {
    let mut review = Review::default();
    // The refused places, each once, with the flows that use them.
    let mut refused: BTreeMap<(Loc, usize), Vec<FlowId>> = BTreeMap::new();
    let mut places = Vec::new();
    for &id in built {
        let flow = spec.flow(id);
        let mut uses = Vec::new();
        for (index, statement) in STATEMENTS.iter().enumerate() {
            places.clear();
            if used(statement, spec, flow) {
                *review.used.entry(index).or_default() += 1;
                uses.push(index as u16);
            }
            if !matches!(statement.how(target), How::Refused { .. }) {
                continue;
            }
            if let Some(find) = statement.find {
                find(target, spec, flow, &mut places);
            }
            for &loc in &places {
                refused.entry((loc, index)).or_default().push(id);
            }
        }
        review.per_flow.push((id, uses));
    }
    for ((loc, index), flows) in refused {
        let statement = &STATEMENTS[index];
        let How::Refused { what, help } = statement.how(target) else { continue };
        let flow = |id: FlowId| format!("{:?}", spec.flow(id).name.value.as_str());
        let users = match flows.as_slice() {
            [one] => format!("flow {}", flow(*one)),
            [first, rest @ ..] => format!("flow {} and {} more", flow(*first), rest.len()),
            [] => continue,
        };
        review.warnings.push(
            Diagnostic::new(
                &NOT_CARRIED_OUT,
                loc,
                format!("`{}` is not carried out by `--target {}`", statement.written(), target.name()),
            )
            .with_label(format!("the {} target {what} ({users})", target.name()))
            .with_help(help),
        );
    }
    review.warnings.sort_by(Diagnostic::order);
    review
}

/// Whether `flow` holds the statement, for the summary's counts.
fn used(statement: &Statement, spec: &Spec, flow: &Flow) -> bool {
    let trigger = flow.trigger.as_ref().map(|t| &t.kind);
    let any_target = |f: &dyn Fn(&crate::model::Target) -> bool| flow.targets.iter().any(f);
    match (statement.parent, statement.node, statement.prop) {
        ("", "flow", None) => true,
        ("flow", "on", None) => matches!(trigger, Some(TriggerKind::On { .. })),
        ("flow", "poll", None) => matches!(trigger, Some(TriggerKind::Poll(_))),
        ("flow", "poll", Some("cursor")) => matches!(trigger, Some(TriggerKind::Poll(poll)) if poll.cursor.is_some()),
        ("flow", "schedule", None) => matches!(trigger, Some(TriggerKind::Schedule(_))) && !flow.runs_by_hand(),
        ("flow", "manual", None) => flow.runs_by_hand(),
        ("flow", "from", None) => flow.from.is_some(),
        ("flow", "to", None) => !flow.targets.is_empty(),
        ("flow", "to", Some("action")) => any_target(&|t| t.reads()),
        ("flow", "idempotency-key", None) => flow.idempotency_key.is_some(),
        ("flow", "retry", None) => flow.retry.is_some(),
        ("flow", "retry", Some("backoff")) => {
            flow.retry.iter().chain(flow.targets.iter().filter_map(|t| t.retry.as_deref())).any(|r| r.backoff.is_some())
        }
        ("flow", "dead-letter", None) => flow.dead_letter.is_some(),
        ("flow", "dead-letter", Some("alert")) => flow.dead_letter_alert.is_some(),
        ("flow", "log", None) => flow.log.is_some(),
        ("flow", "loop-guard", None) => flow.loop_guard.is_some(),
        ("flow", "latency", None) => flow.latency.is_some(),
        ("flow", "reply", None) => flow.reply.is_some(),
        ("flow", "lock", None) => flow.lock.is_some(),
        ("flow", "when", None) => !flow.when.is_empty(),
        ("flow", "retry", Some("on")) => {
            flow.retry.iter().chain(flow.targets.iter().filter_map(|t| t.retry.as_deref())).any(|r| r.on.is_some())
        }
        ("to", "call", None) => any_target(&|t| t.call.is_some()),
        ("to", "each", None) => any_target(&|t| t.each.is_some()),
        ("event", "after", None) => match trigger {
            Some(TriggerKind::On { event }) => event.target.is_some_and(|e| !spec.event(e).after.is_empty()),
            _ => false,
        },
        ("to", "map", None) => any_target(&|t| !t.maps.is_empty()),
        ("to", "set", None) => any_target(&|t| !t.sets.is_empty()),
        ("to", "idempotency-key", None) => any_target(&|t| t.idempotency_key.is_some()),
        ("to", "retry", None) => any_target(&|t| t.retry.is_some()),
        ("to", "request", None) => any_target(&|t| t.request.is_some()),
        ("system", "ha", None) => super::highly_available_via(spec, flow).is_some(),
        ("system", "rate-limit", None) => {
            flow.targets.iter().filter_map(|t| t.system.target).any(|s| spec.system(s).rate_limit.is_some())
        }
        ("", "system", Some("connector")) => vendor_signed(spec, flow).is_some(),
        ("system", "webhook-signature", None) => match trigger {
            Some(TriggerKind::On { event }) => event
                .target
                .and_then(|e| spec.event(e).from.as_ref()?.target)
                .is_some_and(|s| spec.system(s).webhook_signature.is_some()),
            _ => false,
        },
        _ => false,
    }
}
