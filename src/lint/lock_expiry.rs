//! `lock-expiry`: a queue consumer whose calls, with their retries, can
//! outlast the lock the queue holds its message under (language 1.2's
//! `lock`), so that the message is delivered again while the first run
//! still works.
//!
//! The work is counted as `timeout-budget` counts a reply's: each `call`'s
//! `timeout=` times its attempts, one after the other. A declared `lock`
//! shorter than that is a warning; a flow through a broker that states no
//! lock and whose calls can take longer than the shortest lock brokers
//! give by default is an info, since the queue's setting is not in the
//! spec. One pass over the flows.

use std::time::Duration;

use super::Context;
use crate::diagnostic::{Diagnostic, Severity, declare_rule};
use crate::model::Owner;

declare_rule! {
    /// ## What it finds
    ///
    /// A flow whose `call`s can take longer in all than its message stays
    /// locked: each call's `timeout=` times its attempts (`retry
    /// attempts=N` on that `to` or on the flow), the calls one after the
    /// other. With `lock duration=D` (language 1.2), a total above `D` is a
    /// warning. A flow `via` a broker that says no `lock`, whose calls can
    /// take 30 seconds or more (SQS's default visibility timeout, the
    /// shortest default of the common queues), is reported as an info:
    /// the queue's setting would settle it.
    ///
    /// ## Why it matters
    ///
    /// A queue hides a message from other consumers while one works on it
    /// (SQS's visibility timeout, Service Bus's peek-lock, Pub/Sub's ack
    /// deadline). When the lock runs out first, the message is delivered
    /// again while the first run is still calling: both runs write, and
    /// the first run's acknowledgement fails, so the message may come back
    /// once more.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "queue" kind=broker {
    ///     ha #true
    /// }
    /// system "web" kind=website
    /// system "scheduler" kind=custom
    /// event "delivery.requested" from=web version=1 {
    ///     key "delivery_id"
    /// }
    /// flow "schedule" {
    ///     on "delivery.requested"
    ///     via queue
    ///     lock duration="30s"
    ///     to scheduler action=upsert entity=assignment {
    ///         call timeout="10s"
    ///     }
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Make the lock outlast the calls (or the calls fit in the lock):
    ///
    /// ```kdl
    /// system "queue" kind=broker {
    ///     ha #true
    /// }
    /// system "web" kind=website
    /// system "scheduler" kind=custom
    /// event "delivery.requested" from=web version=1 {
    ///     key "delivery_id"
    /// }
    /// flow "schedule" {
    ///     on "delivery.requested"
    ///     via queue
    ///     lock duration="2m"
    ///     to scheduler action=upsert entity=assignment {
    ///         call timeout="10s"
    ///     }
    ///     retry attempts=5
    ///     dead-letter
    ///     log
    /// }
    /// ```
    pub(crate) static LOCK_EXPIRY = {
        name: "lock-expiry",
        code: "WP126",
        severity: Warning,
        category: Topology,
        summary: "a queue consumer's calls, with their retries, can outlast the lock on its message",
    }
}

/// The shortest lock the common queues give by default: SQS's visibility
/// timeout (Service Bus locks for a minute, RabbitMQ's consumer timeout is
/// half an hour). Calls that fit in it are not asked about when the spec
/// states no lock.
const DEFAULT_LOCK: Duration = Duration::from_secs(30);

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let (total, parts) = super::util::timed_calls(flow);
        if parts.is_empty() {
            continue;
        }
        let declared = flow.lock.as_ref().and_then(|l| l.timeout.as_ref());
        let mut d = match (declared, &flow.via) {
            (Some(lock), _) if total > lock.value => Diagnostic::new(
                &LOCK_EXPIRY,
                flow.lock.as_ref().map_or(lock.loc, |l| l.loc),
                format!(
                    "flow `{}` holds its message for {}, but its calls can take {}",
                    flow.name.value,
                    super::util::duration(lock.value),
                    super::util::duration(total)
                ),
            )
            .with_label("the message is delivered again after this"),
            (None, Some(via)) if flow.lock.is_none() && flow.via_broker(spec) && total >= DEFAULT_LOCK => {
                Diagnostic::new(
                    &LOCK_EXPIRY,
                    via.name.loc,
                    format!(
                        "flow `{}` works on a queued message for up to {} of calls, and says nothing of the \
                         queue's lock",
                        flow.name.value,
                        super::util::duration(total)
                    ),
                )
                .with_label("how long does the queue hold the message?")
            }
            _ => continue,
        };
        for call in &parts {
            d = d.with_secondary(call.wait.loc, call.label());
        }
        let unsure = declared.is_none();
        let help = if unsure {
            format!(
                "state the queue's lock with `lock duration=\"...\"` (SQS's visibility timeout is 30 seconds by \
                 default, Service Bus's lock 1 minute) and make it longer than {}, or renew the lock while the \
                 flow works",
                super::util::duration(total)
            )
        } else {
            format!(
                "lengthen the lock past {} (or renew it while the flow works), or shorten the calls' timeouts or \
                 attempts",
                super::util::duration(total)
            )
        };
        let mut d = d.with_help(help).with_owner(Owner::Flow(id));
        if unsure {
            d.severity = Severity::Info;
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    fn spec(lock: &str, attempts: u32) -> String {
        format!(
            r#"
            system "queue" kind=broker
            system "web" kind=website
            system "svc" kind=custom
            event "asked" from=web version=1
            flow "work" {{
                on "asked"
                via queue
                {lock}
                to svc action=upsert {{ call timeout="10s"; }}
                retry attempts={attempts}
                dead-letter
            }}
            "#
        )
    }

    #[test]
    fn a_declared_lock_shorter_than_the_calls_is_a_warning() {
        let found = test_check(&LOCK_EXPIRY, &spec("lock duration=\"20s\"", 3));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "flow `work` holds its message for 20s, but its calls can take 30s");
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(test_check(&LOCK_EXPIRY, &spec("lock duration=\"30s\"", 3)).is_empty());
    }

    #[test]
    fn an_unstated_lock_is_an_info_only_past_the_shortest_default() {
        let found = test_check(&LOCK_EXPIRY, &spec("", 3));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Info);
        assert!(test_check(&LOCK_EXPIRY, &spec("", 2)).is_empty());
    }
}
