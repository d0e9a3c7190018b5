//! What each backend does with each statement of the language, said out
//! loud: `check` accepts a spec, and `build` must carry out every statement
//! of it at run time or say that it does not.
//!
//! `STATEMENTS` is the one table. Every node of the language (`shapes::SHAPES`)
//! has a row, and so do the properties with a handling of their own (`retry`'s
//! `backoff=`, `poll`'s `cursor=`); a test fails when a node has none, so a
//! new statement cannot be forgotten. A row says, per target, how the
//! statement is carried out (`How::Runs`), that its flow is left to another
//! target (a build note says so), that it has no meaning there, that only the
//! checks and the planner read it, or that the target does not carry it out
//! (`How::Refused`): each use of a refused statement in a flow the target
//! builds is a `not-carried-out` warning at the statement, with what to do.
//!
//! `review` runs after a backend, on the flows it built, and gives the
//! warnings and the summary `build` prints before writing and appends to the
//! generated README ("What runs"). Every row's finder is a walk over one
//! flow (and the systems it names), so the review is linear in the spec.

mod report;
mod review;

use super::Target;
use crate::model::{Flow, Lookup, Spec, SystemId, TriggerKind};
use crate::source::Loc;
#[cfg(test)]
pub(crate) use report::language_table;
pub(crate) use report::{FlowStatements, per_flow, readme_section, summary};
pub(crate) use review::{Review, review};

/// How one target handles one statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum How {
    /// Carried out at run time, or read into the generated configuration, as
    /// the text says.
    Runs(&'static str),
    /// The flow that holds it is left to another target; a build note says so.
    Elsewhere(&'static str),
    /// It has no meaning for this target, for the reason given.
    Moot(&'static str),
    /// Only the checks and the planner read it; nothing runs from it.
    Checks,
    /// Not carried out: each use in a built flow is a `not-carried-out`
    /// warning. `what` completes "the TARGET target ..."; `help` says what to
    /// do instead.
    Refused { what: &'static str, help: &'static str },
}

/// Where a built flow uses a statement: the places to report it at, for a
/// target (the broker reports a `retry` on a later `to` that the hub carries).
type Finder = fn(Target, &Spec, &Flow, &mut Vec<Loc>);

/// One statement of the language and what each target makes of it.
pub(crate) struct Statement {
    /// The node's parent and name, as in `shapes::SHAPES`.
    pub(crate) parent: &'static str,
    pub(crate) node: &'static str,
    /// A property of the node with a handling of its own.
    pub(crate) prop: Option<&'static str>,
    /// The value of `prop` the row is about, where one value is handled
    /// apart (`to action=read`).
    pub(crate) value: Option<&'static str>,
    pub(crate) hub: How,
    pub(crate) broker: How,
    pub(crate) etl: How,
    find: Option<Finder>,
}

impl Statement {
    pub(crate) fn how(&self, target: Target) -> How {
        match target {
            Target::Hub => self.hub,
            Target::Broker => self.broker,
            Target::Etl => self.etl,
        }
    }

    /// How the statement is written, for tables and messages: `retry`,
    /// `retry backoff=`, `to { retry }`.
    pub(crate) fn written(&self) -> String {
        let node = match self.parent {
            "to" | "entity" => format!("{} {{ {} }}", self.parent, self.node),
            "" | "flow" | "system" | "event" | "stack" | "lint" => self.node.to_owned(),
            parent => format!("{parent} {{ {} }}", self.node),
        };
        match (self.prop, self.value) {
            (Some(prop), Some(value)) => format!("{node} {prop}={value}"),
            (Some(prop), None) => format!("{node} {prop}="),
            (None, _) => node,
        }
    }
}

const fn row(
    parent: &'static str,
    node: &'static str,
    hub: How,
    broker: How,
    etl: How,
    find: Option<Finder>,
) -> Statement {
    Statement { parent, node, prop: None, value: None, hub, broker, etl, find }
}

const fn prop_row(
    parent: &'static str,
    node: &'static str,
    prop: &'static str,
    hub: How,
    broker: How,
    etl: How,
    find: Option<Finder>,
) -> Statement {
    Statement { parent, node, prop: Some(prop), value: None, hub, broker, etl, find }
}

/// A row about one value of a property (`to action=read`).
const fn value_row(
    node: &'static str,
    prop: &'static str,
    value: &'static str,
    how: [How; 3],
    find: Finder,
) -> Statement {
    let [hub, broker, etl] = how;
    Statement { value: Some(value), ..prop_row("flow", node, prop, hub, broker, etl, Some(find)) }
}

/// A statement that only the checks and the planner read.
const fn checks(parent: &'static str, node: &'static str) -> Statement {
    row(parent, node, How::Checks, How::Checks, How::Checks, None)
}

const ETL_FOR_BATCHES: How = How::Elsewhere(
    "a batch flow (`schedule`, `manual`) into a warehouse or a lake is built by `--target etl`, one into business \
     tools (a reverse ETL) by no target; a build note names each one left out",
);
const REALTIME: How = How::Elsewhere("an event-triggered flow is built by `--target hub` or `--target broker`");

const VENDOR_SIGNATURE: &str = "does not verify this vendor's webhook signature scheme, which is neither an HMAC \
     nor a public-key signature (a call to the vendor's verification API, or a shared credential; `wireplan \
     catalog ID` shows it): the endpoint wants a bearer token, which the vendor does not send";
const VENDOR_SIGNATURE_HELP: &str = "verify the vendor's signature in front of the hub (its SDK does), and forward \
     the request with the bearer token the endpoint wants";
const READ_DROPPED: &str = "sends no request for it (1.2): nothing in the built flow takes what a read answers";
const READ_HELP: &str = "make the read in the code that uses its answer; what the checks learn from `read` (it \
     changes nothing) stays true";
const ORDER_HELP: &str = "make the consumer safe in any order (an `upsert` that creates what is missing, or a \
     `retry` that waits for the earlier event's write), or carry both events in one ordered stream";
const HA_HELP: &str = "run the one Node-RED under a supervisor that restarts it (systemd `Restart=always`) and \
     let the webhook senders' own retries cover the restart, or build `--target broker`, whose connectors run as \
     several instances on a RabbitMQ cluster";
const RETRY_ON_HELP: &str = "drop `on=` to build what runs (every failure retried), and keep the target's \
     idempotency key, since a retried 4xx may have been written";
const REPLY_HELP: &str = "until the target answers requests, let the caller poll for the result, or drop `reply` \
     and handle failures with `retry` and `dead-letter`";
const WHEN_HELP: &str = "filter where the trigger starts (most tools send webhooks only for the changes you choose), \
     or make the writes harmless for the triggers the filter would have left out";
const MATCH_BY_TARGET: &str = "the target's API finds the record by its key: the request carries the mapped fields \
     (where the API wants the key named, say it in `request path=`, such as `?idProperty=email`)";
const SEARCH_FIRST: &str = "sends the write as one request, as `lookup=native` says: with `lookup=search` it does not \
     search for the record first";
const SEARCH_FIRST_HELP: &str = "use the target's own upsert by the key and say `lookup=native`, or run the search \
     and the write in a service of your own";
const CALL_HELP: &str = "set the timeout in the generated request node, or drop `call` if nobody waits for the answer";
const EACH_HELP: &str = "send one event per element from the producer, or write the elements in the target's own \
     batch endpoint with a `map` of the whole array";
/// `run-by`: the flow is a vendor's own integration, which no target builds.
const RUN_BY: How = How::Moot(
    "the flow is the named system's own integration or automation, not the team's to deploy: it is not built, \
     and a build note names it",
);
/// `map` and `set` inside `each`: the `each` statement's warning covers them.
const EACH_PART: How = How::Moot("part of `to { each }`, whose warning covers it");

/// Every statement of the language, in the order of `shapes::SHAPES`.
pub(crate) const STATEMENTS: &[Statement] = &[
    checks("", "stack"),
    checks("", "include"),
    row(
        "",
        "system",
        How::Runs("an environment variable for its base URL and one for its credential"),
        How::Runs("an exchange for each producer, and the hub's variables for its URL and credential"),
        How::Runs("a Meltano extractor (a source) or loader (a warehouse or lake)"),
        None,
    ),
    prop_row(
        "",
        "system",
        "connector",
        How::Refused { what: VENDOR_SIGNATURE, help: VENDOR_SIGNATURE_HELP },
        How::Refused { what: VENDOR_SIGNATURE, help: VENDOR_SIGNATURE_HELP },
        // Where the vendor signs an HMAC (Stripe, Shopify, GitHub, Slack,
        // Twilio, ...), `verify.js` checks its scheme: see `webhook-signature`.
        How::Moot("an ELT job reads the source; it receives no webhooks"),
        Some(vendor_signed_producer),
    ),
    row(
        "",
        "event",
        How::Runs("`POST /hooks/<event>`, an `http in` node"),
        How::Runs("`POST /hooks/<event>` publishes it with a routing key; a channel in the AsyncAPI document"),
        REALTIME,
        None,
    ),
    row(
        "",
        "flow",
        How::Runs("a Node-RED tab"),
        How::Runs("a quorum queue and an egress tab"),
        How::Runs("a Meltano job on the flow's schedule and a dbt staging model"),
        None,
    ),
    checks("", "lint"),
    checks("stack", "horizon"),
    checks("stack", "volume-growth"),
    checks("stack", "high-volume"),
    checks("system", "api"),
    checks("system", "webhooks"),
    row(
        "system",
        "rate-limit",
        How::Runs(
            "one shared throttle per system: every flow's writes to it (retries too) wait in one `delay` node, \
             spaced evenly, the limit's number of them spanning its window and a quarter second; excess writes queue in memory (lost on a restart), none is dropped",
        ),
        How::Runs(
            "one shared throttle per system in the connectors' process, the hub's: every egress tab's writes to it \
             (retries too) wait in one `delay` node, spaced alike; a waiting write is an unacknowledged delivery, \
             which RabbitMQ keeps: a restart loses none",
        ),
        How::Moot("a loader writes in batches, at the job's schedule"),
        Some(rate_limited_targets),
    ),
    checks("system", "owner"),
    checks("system", "criticality"),
    row(
        "system",
        "secret",
        How::Runs("the environment variable the bearer token is read from"),
        How::Runs("the environment variable the bearer token is read from"),
        How::Runs("the environment variable the tap's credential is read from"),
        None,
    ),
    row(
        "system",
        "url",
        How::Runs("the default of the system's URL variable"),
        How::Runs("the default of the system's URL variable"),
        How::Runs("the tap's base URL"),
        None,
    ),
    row(
        "system",
        "entity",
        How::Runs("the default request path of a write or poll"),
        How::Runs("the default request path; the AsyncAPI payload schema"),
        How::Runs("a stream of the extractor and a source table"),
        None,
    ),
    row(
        "system",
        "planned",
        How::Runs("built like a live system: its flows run from the day this build is deployed"),
        How::Runs("built like a live system: its flows run from the day this build is deployed"),
        How::Runs("built like a live system: its jobs run from the day this build is deployed"),
        None,
    ),
    row(
        "system",
        "retires",
        How::Runs("built like a live system until it is removed from the spec"),
        How::Runs("built like a live system until it is removed from the spec"),
        How::Runs("built like a live system until it is removed from the spec"),
        None,
    ),
    row(
        "system",
        "ha",
        How::Refused {
            what: "runs one Node-RED process: a second one would share neither its throttles, its loop guard nor \
                   its poll cursors",
            help: HA_HELP,
        },
        How::Runs(
            "quorum queues replicated on every node of a RabbitMQ cluster, and connectors that take every node's \
             address (`WIREPLAN_AMQP_ADDRESSES`) and move to the next when one dies; ingress and egress run as \
             several instances, except the egress of a spec with `loop-guard` or `rate-limit`, whose memory and \
             throttle are per process: it runs as one",
        ),
        How::Moot("a scheduled batch job that fails runs again at its next schedule"),
        Some(highly_available_hub),
    ),
    row(
        "system",
        "webhook-signature",
        How::Runs(
            "`verify.js` checks the HMAC in the header, in constant time, before anything runs: of the raw body, or, \
             for a producer with `connector=`, as its vendor signs (the catalog's scheme: `t=...,v1=...` pairs, a \
             signed timestamp within its tolerance and not seen before, the URL, the form parameters); what the \
             statement says wins over the catalog",
        ),
        How::Runs("the ingress's `verify.js` checks it before publishing, vendor schemes as the hub does"),
        How::Moot("an ELT job reads the source; it receives no webhooks"),
        None,
    ),
    row(
        "system",
        "auth",
        How::Runs(
            "`auth.js` before each request: Basic, an API-key header, or an OAuth2 token fetched from the token \
             endpoint, kept in memory until shortly before it expires, and fetched again on a 401 (one more try); \
             the idempotency key goes where the target's vendor reads it",
        ),
        How::Runs(
            "the hub's `auth.js` in each egress before the request (Basic, an API-key header, or an OAuth2 token \
             kept in memory per connector instance and fetched again on a 401), and the vendor's idempotency key \
             placement",
        ),
        How::Moot("a Meltano extractor or loader takes its credentials in its own settings"),
        Some(authenticated_targets),
    ),
    checks("system", "managed"),
    checks("system", "outbox"),
    checks("system", "allow"),
    row(
        "entity",
        "field",
        How::Checks,
        How::Runs("a property of the AsyncAPI payload schema"),
        How::Runs(
            "a column of the staging model, tested `not_null` when required and `unique` when declared `unique=#true`",
        ),
        None,
    ),
    row(
        "event",
        "key",
        How::Runs("the idempotency key of a flow that names none"),
        How::Runs("the message id and `idempotency-key` header of every published message"),
        How::Runs("the table's key, tested `unique` and `not_null`, when the flow names none"),
        None,
    ),
    row("event", "field", How::Checks, How::Runs("a property of the AsyncAPI payload schema"), REALTIME, None),
    checks("event", "volume"),
    checks("event", "delivery"),
    checks("event", "external"),
    checks("event", "on-create"),
    checks("event", "published"),
    checks("event", "producer"),
    row(
        "event",
        "after",
        How::Refused {
            what: "delivers each event as it arrives: nothing holds it back until the one it follows was processed",
            help: ORDER_HELP,
        },
        How::Refused {
            what: "routes each event to its own queue: nothing orders it after the one it follows",
            help: ORDER_HELP,
        },
        REALTIME,
        Some(ordered_events),
    ),
    checks("event", "allow"),
    row(
        "flow",
        "on",
        How::Runs("the flow's tab starts at the event's `POST /hooks/<event>`"),
        How::Runs("the flow's quorum queue, bound to the event's routing key"),
        REALTIME,
        None,
    ),
    row(
        "flow",
        "poll",
        How::Runs("an `inject` node every `every=` and a `GET` of `path=`"),
        How::Runs("a poll tab every `every=` that publishes each new record"),
        How::Runs("an incremental Meltano job every `every=`"),
        None,
    ),
    prop_row(
        "flow",
        "poll",
        "cursor",
        How::Runs("the newest value seen, kept on disk, sent as `?since=`"),
        How::Runs("the newest value seen, kept on disk, sent as `?since=`"),
        How::Runs("the stream's replication key"),
        None,
    ),
    row("flow", "schedule", ETL_FOR_BATCHES, ETL_FOR_BATCHES, How::Runs("the Meltano job's cron schedule"), None),
    row(
        "flow",
        "manual",
        ETL_FOR_BATCHES,
        ETL_FOR_BATCHES,
        How::Runs("a Meltano job with no schedule, run with `meltano run <job>` (the build's README names it)"),
        None,
    ),
    row("flow", "from", ETL_FOR_BATCHES, ETL_FOR_BATCHES, How::Runs("the extractor and stream the job reads"), None),
    prop_row(
        "flow",
        "from",
        "window",
        ETL_FOR_BATCHES,
        ETL_FOR_BATCHES,
        How::Refused {
            what: "extracts what changed since the last successful run (the extractor's saved state), not a fixed \
                   window: a run that fails is read again by the next",
            help: "drop `window=` where the extractor's state is what the job means; a report of one span (yesterday's \
                   sales) is a filter in the dbt model",
        },
        Some(windows),
    ),
    row(
        "flow",
        "to",
        How::Runs("an HTTP request to the system, `action=` choosing the method"),
        How::Runs("an HTTP request from the delivery chain every egress calls, `action=` choosing the method"),
        How::Runs("the loader of a warehouse or lake (other targets are left to the hub, with a note)"),
        None,
    ),
    value_row(
        "to",
        "action",
        "read",
        [
            How::Refused { what: READ_DROPPED, help: READ_HELP },
            How::Refused { what: READ_DROPPED, help: READ_HELP },
            How::Moot("a loader writes tables; a `read` is left to the hub with the flow's other targets"),
        ],
        reads,
    ),
    row("flow", "via", How::Checks, How::Checks, How::Checks, None),
    row(
        "flow",
        "idempotency-key",
        How::Runs(
            "the `Idempotency-Key` header of every write, or where the target's `connector=` vendor reads the key \
             (Square's `idempotency_key` body field, PayPal's `PayPal-Request-Id` header; none where it reads none)",
        ),
        How::Runs(
            "the `Idempotency-Key` header of every write (the hub, not yet the broker, puts it where a vendor reads it elsewhere)",
        ),
        How::Runs("the table's key, tested `unique` and `not_null`"),
        None,
    ),
    row(
        "flow",
        "retry",
        How::Runs("a counter and a `delay` node: up to `attempts=` tries per target"),
        How::Runs("the queue's delivery limit: up to `attempts=` deliveries"),
        How::Refused {
            what: "runs each job once; a failed run is retried by the next scheduled run, from its saved state",
            help: "retry the run in the scheduler that starts `meltano run` (a systemd unit's `Restart=on-failure`, \
                   an orchestrator's retries), or drop `retry` from a scheduled flow",
        },
        Some(flow_retry),
    ),
    prop_row(
        "flow",
        "retry",
        "on",
        How::Refused { what: "retries every failed write, whatever the failure", help: RETRY_ON_HELP },
        How::Refused { what: "redelivers every rejected message, whatever the failure", help: RETRY_ON_HELP },
        How::Moot("see `retry`"),
        Some(retry_on),
    ),
    prop_row(
        "flow",
        "retry",
        "backoff",
        How::Runs(
            "`exponential` doubles the wait from `initial=` up to `max=`, with equal jitter (each wait drawn from \
             its upper half, never below `initial=`); `fixed` waits `initial=`",
        ),
        How::Runs(
            "the same waits, jitter included, in a `delay` node before the rejection, counted by the quorum \
             queue's `x-delivery-count`",
        ),
        How::Moot("see `retry`"),
        None,
    ),
    row(
        "flow",
        "dead-letter",
        How::Runs(
            "a delivery whose attempts are used up is appended to the dead-letter file; `POST /replay/<flow>` sends \
             one back to that flow's failed target alone",
        ),
        How::Runs(
            "a dead-letter exchange and a `<queue>.dlq` quorum queue; the README's one-off shovel moves them back into \
             that flow's queue alone",
        ),
        How::Refused {
            what: "sets nothing aside: a run that fails loads nothing, and the next run reads the rows again",
            help: "watch the job's exit status and the freshness tests instead; drop `dead-letter` from a scheduled \
                   flow",
        },
        Some(flow_dead_letter),
    ),
    prop_row(
        "flow",
        "dead-letter",
        "alert",
        How::Refused {
            what: "alerts nobody: a dead letter waits in the dead-letter file until someone looks",
            help: "alert on the audit log's dead-lettered lines, or on the dead-letter file's growth, in your \
                   monitoring",
        },
        How::Refused {
            what: "alerts nobody: a dead letter waits in the `<queue>.dlq` queue until someone looks",
            help: "alarm on the depth of the `.dlq` queues (RabbitMQ's Prometheus metrics) in your monitoring",
        },
        How::Moot("`dead-letter` sets nothing aside in a batch load: a failed run is the job's exit status"),
        Some(flow_dead_letter_alert),
    ),
    row(
        "flow",
        "log",
        How::Runs("an audit line per delivery, appended to the audit file"),
        How::Runs("an audit line per delivery, appended to the audit file"),
        How::Runs("Meltano's own log of every run"),
        None,
    ),
    row(
        "flow",
        "loop-guard",
        How::Runs(
            "echo suppression: each write to the flow's source system is remembered (a SHA-256 of the fields \
             written) for 5 minutes, in memory, and a change that only repeats it is dropped and audited \
             `echo-suppressed`",
        ),
        How::Runs(
            "the hub's echo suppression in the connectors' process: each write an egress tab makes to the flow's \
             source system is remembered (a SHA-256 of the fields written) for 5 minutes, in memory, and a \
             delivery that only repeats it is acknowledged, dropped and audited `echo-suppressed`",
        ),
        How::Moot("a load into a warehouse or lake sets off no change to echo"),
        Some(flow_loop_guard),
    ),
    row(
        "flow",
        "latency",
        How::Moot("the hub delivers as the trigger arrives; a poll's `every=` bounds the delay"),
        How::Moot("the broker delivers as the trigger arrives; a poll's `every=` bounds the delay"),
        How::Runs("the source's dbt freshness test errors after `max=`"),
        None,
    ),
    row(
        "flow",
        "reply",
        How::Refused {
            what: "acknowledges the trigger at once and answers nothing: the caller does not wait for the writes",
            help: REPLY_HELP,
        },
        How::Refused {
            what: "acknowledges the trigger once it is published and answers nothing: the caller does not wait for the writes",
            help: REPLY_HELP,
        },
        REALTIME,
        Some(flow_reply),
    ),
    row(
        "flow",
        "lock",
        How::Moot("the hub takes its trigger over HTTP: no queue holds the message for it"),
        How::Refused {
            what: "sets no lock on the flow's queue: RabbitMQ redelivers an unacknowledged message when the \
                   consumer's channel closes, or after the server's `consumer_timeout` (30 minutes by default)",
            help: "set `consumer_timeout` in the RabbitMQ server's configuration to at least the lock, or drop `lock`",
        },
        REALTIME,
        Some(flow_lock),
    ),
    row(
        "flow",
        "when",
        How::Refused { what: "runs the flow for every trigger: the filter is not applied", help: WHEN_HELP },
        How::Refused { what: "binds the queue to every event of its kind: the filter is not applied", help: WHEN_HELP },
        How::Refused { what: "loads every row: the filter is not applied", help: WHEN_HELP },
        Some(flow_filters),
    ),
    row("flow", "run-by", RUN_BY, RUN_BY, RUN_BY, None),
    checks("flow", "allow"),
    row(
        "to",
        "map",
        How::Runs("a JSONata mapping into the request body"),
        How::Runs("a JSONata mapping into the request body"),
        How::Runs("a column of the staging model, renamed"),
        None,
    ),
    row(
        "to",
        "set",
        How::Runs("a constant in the request body"),
        How::Runs("a constant in the request body"),
        How::Runs("a constant column of the staging model"),
        None,
    ),
    row(
        "to",
        "idempotency-key",
        How::Runs("this target's `Idempotency-Key` header, or where its `connector=` vendor reads the key"),
        How::Runs("this target's `Idempotency-Key` header"),
        How::Refused {
            what: "keys a table by the flow's `idempotency-key` (or the event's key), not by a target's own",
            help: "move the key to the flow: the staging model of the source table is keyed once",
        },
        Some(target_keys),
    ),
    row(
        "to",
        "retry",
        How::Runs("this target's own tries and waits"),
        How::Refused {
            what: "redelivers a flow's message as one, up to the first target's `attempts=`: a later target's \
                   own `attempts=` is not used (its back-off is)",
            help: "put the `retry` on the flow, or give each target that needs its own retries a flow of its own",
        },
        How::Refused {
            what: "runs each job once; a failed run is retried by the next scheduled run, from its saved state",
            help: "retry the run in the scheduler that starts `meltano run`, or drop `retry` from a scheduled flow",
        },
        Some(target_retries),
    ),
    checks("to", "emits"),
    row(
        "to",
        "request",
        How::Runs("the method and path of the HTTP request"),
        How::Runs("the method and path of the HTTP request"),
        How::Moot("a loader writes tables, not HTTP requests"),
        None,
    ),
    checks("to", "counter"),
    row(
        "to",
        "match",
        How::Moot(MATCH_BY_TARGET),
        How::Moot(MATCH_BY_TARGET),
        How::Refused {
            what: "merges rows on the stream's key (the flow's `idempotency-key`, or the event's key), not on `match`",
            help: "make the flow's `idempotency-key` the field `match` names, so that the table is merged on it",
        },
        Some(target_matches),
    ),
    prop_row(
        "to",
        "match",
        "lookup",
        How::Refused { what: SEARCH_FIRST, help: SEARCH_FIRST_HELP },
        How::Refused { what: SEARCH_FIRST, help: SEARCH_FIRST_HELP },
        How::Moot("see `match`"),
        Some(search_lookups),
    ),
    row(
        "to",
        "call",
        How::Refused {
            what: "waits for the answer with the HTTP request's own default timeout, not `timeout=`",
            help: CALL_HELP,
        },
        How::Refused {
            what: "waits for the answer with the HTTP request's own default timeout, not `timeout=`",
            help: CALL_HELP,
        },
        How::Moot("a loader writes tables; nobody waits for an answer"),
        Some(target_calls),
    ),
    row(
        "to",
        "each",
        How::Refused {
            what: "sends one write with the whole trigger: it does not write once per element",
            help: EACH_HELP,
        },
        How::Refused {
            what: "sends one write with the whole message: it does not write once per element",
            help: EACH_HELP,
        },
        How::Refused { what: "loads the array as one column: it does not unnest it", help: EACH_HELP },
        Some(target_each),
    ),
    row("each", "map", EACH_PART, EACH_PART, EACH_PART, None),
    row("each", "set", EACH_PART, EACH_PART, EACH_PART, None),
    checks("lint", "deny"),
    checks("lint", "warn"),
    checks("lint", "allow"),
];

/// The targets of `flow` that `target` writes to: for the ETL target, only
/// warehouses and lakes (it leaves the others to the hub, with a note).
fn written<'f>(target: Target, spec: &'f Spec, flow: &'f Flow) -> impl Iterator<Item = (usize, SystemId)> + 'f {
    flow.targets.iter().enumerate().filter_map(move |(i, t)| {
        let system = t.system.target?;
        (target != Target::Etl || spec.system(system).kind().is_storage()).then_some((i, system))
    })
}

fn rate_limited_targets(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    for (_, system) in written(target, spec, flow) {
        if let Some(limit) = &spec.system(system).rate_limit {
            out.push(limit.loc);
        }
    }
}

/// The `ha #true` of the hub or broker the flow runs `via`.
fn highly_available_hub(_: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(highly_available_via(spec, flow));
}

pub(crate) fn highly_available_via(spec: &Spec, flow: &Flow) -> Option<Loc> {
    let ha = spec.system(flow.via.as_ref()?.target?).ha.as_ref()?;
    ha.value.then_some(ha.loc)
}

/// The `connector=` of the producer of the flow's event, when its vendor
/// signs its webhooks and the spec says nothing of how (`webhook-signature`).
fn vendor_signed_producer(_: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(vendor_signed(spec, flow));
}

fn vendor_signed(spec: &Spec, flow: &Flow) -> Option<Loc> {
    let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind) else { return None };
    let producer = spec.system(spec.event(event.target?).from.as_ref()?.target?);
    let (entry, at) = producer.catalog()?;
    let signature = entry.webhooks.signature.fact()?;
    let unverifiable = signature.algorithm != crate::catalog::Algorithm::None
        && crate::emit::nodered::auth::unverifiable(signature).is_some();
    (producer.webhook_signature.is_none() && unverifiable).then_some(at)
}

/// The `auth` of each written target that sends more than a bearer token.
fn authenticated_targets(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    for (_, system) in written(target, spec, flow) {
        let auth = spec.system(system).auth.as_deref();
        let kind = auth.and_then(|a| a.kind.as_ref()).map(|k| k.value);
        if let Some(auth) = auth
            && kind.is_some_and(|k| k != crate::model::OutboundAuth::Bearer)
        {
            out.push(auth.loc);
        }
    }
}

fn flow_retry(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.retry.as_ref().map(|r| r.loc));
}

/// A retry that backs off exponentially (the default) and tries more than
/// once: the place of its `backoff=`, or of the `retry` when it says none.
fn flow_reply(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.reply.as_ref().map(|r| r.loc));
}

fn flow_lock(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.lock.as_ref().map(|l| l.loc));
}

fn flow_filters(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.when.iter().map(|w| w.loc));
}

fn target_calls(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    for (i, _) in written(target, spec, flow) {
        out.extend(flow.targets[i].call.as_ref().map(|c| c.loc));
    }
}

fn target_each(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    for (i, _) in written(target, spec, flow) {
        out.extend(flow.targets[i].each.as_ref().map(|e| e.loc));
    }
}

/// The `action=read` of each `to`: the hub sends nothing for it.
fn windows(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.from.as_ref().and_then(|f| f.window.as_ref()).map(|w| w.loc));
}

fn reads(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.targets.iter().filter(|t| t.reads()).filter_map(|t| t.action.as_ref()).map(|a| a.loc));
}

/// A `retry on=` of the flow or of one of its targets.
fn retry_on(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    let retries = flow.retry.iter().chain(flow.targets.iter().filter_map(|t| t.retry.as_deref()));
    out.extend(retries.filter_map(|r| r.on.as_ref().map(|o| o.loc)));
}

/// The `after` of the event that triggers the flow.
fn ordered_events(_: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    if let Some(TriggerKind::On { event }) = flow.trigger.as_ref().map(|t| &t.kind)
        && let Some(id) = event.target
    {
        out.extend(spec.event(id).after.iter().map(|a| a.name.loc));
    }
}

fn flow_dead_letter(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.dead_letter);
}

fn flow_dead_letter_alert(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.dead_letter_alert.as_ref().map(|a| a.loc));
}

fn flow_loop_guard(_: Target, _: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    out.extend(flow.loop_guard);
}

fn target_keys(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    for (i, _) in written(target, spec, flow) {
        out.extend(flow.targets[i].idempotency_key.as_ref().map(|k| k.name.loc));
    }
}

/// A `match` on a warehouse target that is not the one field the table is
/// merged on (the flow's `idempotency-key`).
fn target_matches(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    if target != Target::Etl {
        return;
    }
    let merged_on = flow.idempotency_key.as_ref().map(|k| k.name.value.as_str());
    for (i, _) in written(target, spec, flow) {
        let keys = flow.targets[i].matches.iter();
        out.extend(
            keys.filter(|k| !(k.fields.len() == 1 && Some(k.fields[0].name.value.as_str()) == merged_on))
                .map(|k| k.loc),
        );
    }
}

/// A `match lookup=search`: the write is a search and then a create.
fn search_lookups(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    for (i, _) in written(target, spec, flow) {
        let lookups = flow.targets[i].matches.iter().filter_map(|k| k.lookup.as_ref());
        out.extend(lookups.filter(|l| l.value == Lookup::Search).map(|l| l.loc));
    }
}

/// A target's own `retry`: in the broker, only where the flow has another
/// target that the first one's retry would then govern.
fn target_retries(target: Target, spec: &Spec, flow: &Flow, out: &mut Vec<Loc>) {
    if target == Target::Broker && flow.targets.len() < 2 {
        return;
    }
    for (i, _) in written(target, spec, flow) {
        if target == Target::Broker && i == 0 && flow.targets.iter().skip(1).all(|t| t.retry.is_some()) {
            continue;
        }
        out.extend(flow.targets[i].retry.as_ref().map(|r| r.loc));
    }
}

#[cfg(test)]
mod tests;
