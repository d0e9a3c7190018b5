//! `timeout-budget`: a flow that `reply`s whose calls, one after the other
//! and with their retries, can take longer than its caller waits
//! (language 1.2).

use super::Context;
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::Owner;

declare_rule! {
    /// ## What it finds
    ///
    /// A flow with `reply timeout=T` whose `call`s can take longer than `T`
    /// in all: each call's `timeout=`, times its attempts (`retry
    /// attempts=N` on that `to` or on the flow; a `retry` that says no
    /// `attempts` counts once, so the sum is at least this), the calls taken
    /// one after the other, in the order of the `to`s. Calls without a
    /// `timeout` are `missing-timeout`'s and are not counted.
    ///
    /// ## Why it matters
    ///
    /// When the calls outlast the caller's wait, the caller has given up
    /// (and often asked again) while the flow still writes: the answer goes
    /// nowhere, and the retried request writes a second time.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "web" kind=website
    /// system "pricing" kind=custom
    /// event "quote.requested" from=web version=1
    /// flow "quote" {
    ///     on "quote.requested"
    ///     reply timeout="5s"
    ///     to pricing action=send {
    ///         call timeout="3s"
    ///         retry attempts=2
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
    ///         retry attempts=2
    ///     }
    ///     log
    /// }
    /// ```
    pub(crate) static TIMEOUT_BUDGET = {
        name: "timeout-budget",
        code: "WP123",
        severity: Warning,
        category: Topology,
        summary: "the calls of a flow that replies can take longer than its caller waits",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let Some(reply) = &flow.reply else { continue };
        let Some(waits) = &reply.timeout else { continue };
        let (total, parts) = super::util::timed_calls(flow);
        if total <= waits.value || parts.is_empty() {
            continue;
        }
        let secs = super::util::duration;
        let mut d = Diagnostic::new(
            &TIMEOUT_BUDGET,
            waits.loc,
            format!(
                "flow `{}` answers within {}, but its calls can take {}",
                flow.name.value,
                secs(waits.value),
                secs(total)
            ),
        )
        .with_label("the caller stops waiting here");
        for call in &parts {
            d = d.with_secondary(call.timeout.loc, call.label());
        }
        out.push(
            d.with_help(
                "shorten the calls' timeouts or their attempts so that together they fit in the reply's, or make \
                 the caller wait longer",
            )
            .with_owner(Owner::Flow(id)),
        );
    }
}
