//! The shape of the language, declared once: which nodes go where, what each
//! takes, one line of documentation each, and what values fit.
//!
//! Lowering reads from here which children each node takes (what it accepts,
//! and what its "unknown node" help lists) and how many arguments and which
//! properties it takes, naming each node's row with `get` while compiling;
//! the language server reads it for hover and completion. The test below
//! holds lowering to the nodes listed here: each one has its branch.

use crate::model::{
    Action, ApiStyle, Backoff, Criticality, EventDelivery, FieldType, HttpMethod, Lookup, OutboundAuth,
    SignatureEncoding, SignatureScheme, SystemKind, TimeUnit,
};

/// What fits in an argument or property value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fits {
    /// A new name, or free text: nothing to complete.
    Text,
    Keywords(&'static [&'static str]),
    Bool,
    System,
    Event,
    /// An entity of the system the node names (or any entity).
    Entity,
    /// A field of what the flow reads (the trigger's event or entity).
    SourceField,
    /// A field of the `to` node's entity.
    TargetField,
    /// A field of the enclosing event.
    EventField,
    Rule,
}

#[derive(Clone, Copy)]
pub(crate) struct Prop {
    pub(crate) key: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) fits: Fits,
}

pub(crate) struct Shape {
    pub(crate) name: &'static str,
    /// The node it is a child of (`""` for the top level).
    pub(crate) parent: &'static str,
    /// How it is written, for hover.
    pub(crate) usage: &'static str,
    pub(crate) doc: &'static str,
    /// What the first argument is, if it takes one.
    pub(crate) arg: Option<Fits>,
    /// How many arguments it takes: one if it has `arg`, more for `set` and
    /// the rule levels of `lint`.
    pub(crate) args: usize,
    pub(crate) props: &'static [Prop],
}

const fn prop(key: &'static str, doc: &'static str, fits: Fits) -> Prop {
    Prop { key, doc, fits }
}

const VOLUME: &[Prop] = &[
    prop("per-day", "events a day, on average", Fits::Text),
    prop("peak-per-second", "events a second at the busiest moment", Fits::Text),
];
const FIELD: &[Prop] = &[
    prop("type", "the field's type", Fits::Keywords(FieldType::KEYWORDS)),
    prop("required", "whether every record has it (`#true`)", Fits::Bool),
    prop(
        "generated",
        "the system fills it itself, such as a database id (`#true`): a `create` need not map it",
        Fits::Bool,
    ),
];
/// An entity's field: an event's, and what the system keeps unique.
const ENTITY_FIELD: &[Prop] = &[
    FIELD[0],
    FIELD[1],
    FIELD[2],
    prop(
        "unique",
        "(1.2) the system refuses a second record with the same value, such as a unique index (`#true`): a repeated \
         create fails rather than doubles",
        Fits::Bool,
    ),
];
const RETRY: &[Prop] = &[
    prop("attempts", "how many times to try", Fits::Text),
    prop("backoff", "how the wait grows", Fits::Keywords(Backoff::KEYWORDS)),
    prop("initial", "the first wait, such as \"1s\"", Fits::Text),
    prop("max", "the longest wait, such as \"10m\"", Fits::Text),
    prop("on", "(1.2) the only failures retried, such as \"429,5xx,timeout\"; the others fail at once", Fits::Text),
];
const LOCK: &[Prop] = &[prop(
    "duration",
    "how long the message stays hidden from other consumers while the flow works, such as \"60s\"",
    Fits::Text,
)];
const TIMEOUT: &[Prop] = &[prop("timeout", "how long the caller waits for the answer, such as \"5s\"", Fits::Text)];
const ALLOW: &[Prop] = &[prop("reason", "why the finding is acceptable here (expected)", Fits::Text)];

macro_rules! shape {
    ($parent:literal $name:literal $usage:literal, $doc:literal, $arg:expr, $props:expr) => {
        shape!($parent $name $usage, $doc, $arg, $props, args = match $arg as Option<Fits> {
            Some(_) => 1,
            None => 0,
        })
    };
    ($parent:literal $name:literal $usage:literal, $doc:literal, $arg:expr, $props:expr, args = $args:expr) => {
        Shape { name: $name, parent: $parent, usage: $usage, doc: $doc, arg: $arg, args: $args, props: $props }
    };
}

/// Every node of the language, by parent.
pub(crate) const SHAPES: &[Shape] = &[
    shape!("" "stack" "stack NAME { ... }", "The stack: its name, planning horizon and growth. At most one per spec.", Some(Fits::Text), &[]),
    shape!("" "include" "include PATH", "Loads more spec files: a path or glob relative to this file, inside the spec's folder.", Some(Fits::Text), &[]),
    shape!("" "system" "system NAME kind=KIND { ... }", "A tool or piece of infrastructure that data moves between.", Some(Fits::Text),
    &[
        prop("kind", "what the system is; hubs, brokers, warehouses and lakes are infrastructure, not tools", Fits::Keywords(SystemKind::KEYWORDS)),
        prop("connector", "the connector catalog's entry for the vendor's system (`wireplan catalog` lists them): its documented webhooks, rate limits, idempotency and API versions apply where the spec is silent", Fits::Text),
    ]),
    shape!("" "event" "event NAME from=SYSTEM entity=E version=N { ... }", "A change notification a system produces.", Some(Fits::Text), &[
        prop("from", "the system that produces the event", Fits::System),
        prop("entity", "the entity of the producer the event is about", Fits::Entity),
        prop("version", "the version of the event's schema", Fits::Text),
    ]),
    shape!("" "flow" "flow NAME { ... }", "An integration: one trigger, one or more `to` targets, and how failures are handled.", Some(Fits::Text), &[]),
    shape!("" "lint" "lint { deny RULE; warn RULE; allow RULE }", "Rule levels for the whole spec.", None, &[]),
    shape!("stack" "horizon" "horizon months=N", "How far ahead to plan, in months (12 to 36).", None, &[prop("months", "the planning horizon in months, 12 to 36", Fits::Text)]),
    shape!("stack" "volume-growth" "volume-growth F", "The factor event volumes reach at the horizon, compounding monthly.", Some(Fits::Text), &[]),
    shape!("stack" "high-volume" "high-volume per-day=N peak-per-second=N", "Where high volume (stage 3) starts for this stack.", None, VOLUME),
    shape!("system" "api" "api STYLE version=\"...\"", "How the system is reached, and the API version in use.", Some(Fits::Keywords(ApiStyle::KEYWORDS)),
        &[prop("version", "the API version the integrations call", Fits::Text)]),
    shape!("system" "webhooks" "webhooks #true", "Whether the system can push change notifications.", Some(Fits::Bool), &[]),
    shape!("system" "rate-limit" "rate-limit N per=UNIT", "How many calls the system accepts.", Some(Fits::Text),
        &[prop("per", "the time unit of the limit", Fits::Keywords(TimeUnit::KEYWORDS))]),
    shape!("system" "owner" "owner NAME", "The team or person who owns the system.", Some(Fits::Text), &[]),
    shape!("system" "criticality" "criticality LEVEL", "How much the business depends on the system.", Some(Fits::Keywords(Criticality::KEYWORDS)), &[]),
    shape!("system" "secret" "secret ENV_VAR", "The environment variable holding the credential (never the credential itself).", Some(Fits::Text), &[]),
    shape!("system" "url" "url URL", "The system's base URL.", Some(Fits::Text), &[]),
    shape!("system" "entity" "entity NAME { field ... }", "A kind of record the system holds.", Some(Fits::Text), &[]),
    shape!("system" "planned" "planned in-months=N", "The system joins the stack in N months.", None, &[prop("in-months", "months from now", Fits::Text)]),
    shape!("system" "retires" "retires in-months=N", "The system leaves the stack in N months.", None, &[prop("in-months", "months from now", Fits::Text)]),
    shape!("system" "ha" "ha #true", "Whether the system runs highly available (for hubs and brokers).", Some(Fits::Bool), &[]),
    shape!("system" "outbox" "outbox", "(1.2) The system publishes its events through an outbox (or change data capture): each is committed with the write that sets it off (or one transaction spans its store and the topic, as Kafka Streams' exactly-once).", None, &[]),
    shape!("system" "managed" "managed", "(1.2) A vendor or a platform team runs the system as a service (Amazon SQS, Azure Service Bus, a vendor's connector platform): its availability is their tier, not this design's.", None, &[]),
    shape!("system" "webhook-signature" "webhook-signature SCHEME header=H secret=ENV encoding=E prefix=P", "How the system signs its webhooks (an HMAC of the body); the hub backend checks it.",
        Some(Fits::Keywords(SignatureScheme::KEYWORDS)), &[
        prop("header", "the request header that carries the signature", Fits::Text),
        prop("secret", "the environment variable holding the signing key", Fits::Text),
        prop("encoding", "how the signature is written", Fits::Keywords(SignatureEncoding::KEYWORDS)),
        prop("prefix", "text before the signature in the header, such as \"sha256=\"", Fits::Text),
    ]),
    shape!("system" "auth" "auth KIND user=ENV password=ENV client-id=ENV client-secret=ENV refresh-token=ENV scope=S header=H", "How calls to the system authenticate (since 1.2): Basic, an API key header, or OAuth2 (client credentials or refresh token); credentials are environment variables.",
        Some(Fits::Keywords(OutboundAuth::KEYWORDS)), &[
        prop("user", "the environment variable holding the Basic user name", Fits::Text),
        prop("password", "the environment variable holding the Basic password", Fits::Text),
        prop("client-id", "the environment variable holding the OAuth2 client id", Fits::Text),
        prop("client-secret", "the environment variable holding the OAuth2 client secret", Fits::Text),
        prop("refresh-token", "the environment variable holding the OAuth2 refresh token", Fits::Text),
        prop("scope", "the OAuth2 scopes to ask for, space-separated", Fits::Text),
        prop("header", "the header an `api-key` goes in", Fits::Text),
    ]),
    shape!("system" "allow" "allow RULE reason=\"...\"", "Silences a rule for this system, with a reason.", Some(Fits::Rule), ALLOW),
    shape!("entity" "field" "field NAME type=T required=#true unique=#true", "A field of the entity.", Some(Fits::Text), ENTITY_FIELD),
    shape!("event" "key" "key FIELD", "The field that identifies the record: the candidate idempotency key.", Some(Fits::EventField), &[]),
    shape!("event" "field" "field NAME type=T required=#true", "A field of the event's payload.", Some(Fits::Text), FIELD),
    shape!("event" "volume" "volume per-day=N peak-per-second=N", "How many of these events there are.", None, VOLUME),
    shape!("event" "delivery" "delivery at-least-once|at-most-once", "How the producer delivers the event, overriding the default (webhooks are at least once).", Some(Fits::Keywords(EventDelivery::KEYWORDS)), &[]),
    shape!("event" "external" "external", "No write by any integration sets the event off: a person's action, a device reading, a clock.", None, &[]),
    shape!("event" "on-create" "on-create", "(1.2) The event fires only when a record is created (\"Deal added\", `customer.created`): a write that cannot create one (`update`, `delete`, `increment`) never sets it off.", None, &[]),
    shape!("event" "published" "published", "(1.2) The event is published for subscribers outside the spec (other teams, analytics): no flow here need consume it.", None, &[]),
    shape!("event" "producer" "producer SYSTEM", "(1.2) Another system that publishes this event, besides `from=`.", Some(Fits::System), &[]),
    shape!("event" "after" "after EVENT", "(1.2) An event that must be processed before this one, such as an order before its payment.", Some(Fits::Event), &[]),
    shape!("event" "allow" "allow RULE reason=\"...\"", "Silences a rule for this event, with a reason.", Some(Fits::Rule), ALLOW),
    shape!("flow" "on" "on EVENT", "Trigger: the event's producer pushes it.", Some(Fits::Event), &[]),
    shape!("flow" "poll" "poll SYSTEM entity=E every=DURATION", "Trigger: the flow reads the system at an interval.", Some(Fits::System), &[
        prop("entity", "the entity read", Fits::Entity),
        prop("every", "the interval, such as \"5m\"", Fits::Text),
        prop("path", "where the hub backend reads, after the system's URL, such as \"/orders\"", Fits::Text),
        prop("cursor", "the field whose newest value the hub backend remembers, such as \"updated_at\"", Fits::Text),
    ]),
    shape!("flow" "schedule" "schedule every=DURATION | cron=EXPR", "Trigger: the flow runs at times (then it has a `from`).", None, &[
        prop("every", "the interval, such as \"1d\"", Fits::Text),
        prop("cron", "a five-field cron expression", Fits::Text),
    ]),
    shape!("flow" "manual" "manual", "(1.2) Trigger: a person starts each run (a button, a command, a script run by hand) and sees how it ends (then it has a `from`).", None, &[]),
    shape!("flow" "from" "from SYSTEM entity=E window=D", "The batch source of a scheduled flow.", Some(Fits::System), &[
        prop("entity", "the entity extracted", Fits::Entity),
        prop("window", "(1.2) each run reads only the records of this span, such as \"1d\" (yesterday's sales), not the whole source", Fits::Text),
    ]),
    shape!("flow" "to" "to SYSTEM action=A entity=E { map ...; set ... }", "A target the flow writes to.", Some(Fits::System), &[
        prop("action", "what the write does; create, send and append are not idempotent", Fits::Keywords(Action::KEYWORDS)),
        prop("entity", "the entity written", Fits::Entity),
    ]),
    shape!("flow" "via" "via SYSTEM", "The hub or broker the flow runs through; without it the flow is point-to-point.", Some(Fits::System), &[]),
    shape!("flow" "idempotency-key" "idempotency-key FIELD", "The field that makes a repeated write harmless.", Some(Fits::SourceField), &[]),
    shape!("flow" "retry" "retry attempts=N backoff=B initial=D max=D on=\"429,5xx\"", "How failed writes are retried (delivery becomes at-least-once).", None, RETRY),
    shape!("flow" "dead-letter" "dead-letter alert=\"...\"", "Keeps what cannot be delivered when retries run out.", None, &[prop(
        "alert",
        "(1.2) who is told when a message is dead-lettered: a team, a channel, a pager",
        Fits::Text,
    )]),
    shape!("flow" "log" "log", "The flow logs its runs.", None, &[]),
    shape!("flow" "loop-guard" "loop-guard", "The flow ignores changes the integration itself made, which breaks sync loops.", None, &[]),
    shape!("flow" "latency" "latency max=DURATION", "How late the data may arrive.", None, &[prop("max", "the longest acceptable delay, such as \"5m\"", Fits::Text)]),
    shape!("flow" "reply" "reply timeout=DURATION", "(1.2) The trigger's sender waits for this flow's answer and sees its failure: a synchronous webhook, an RPC, a query.", None, TIMEOUT),
    shape!("flow" "lock" "lock duration=DURATION", "(1.2) How long the queue holds a message for this flow before it delivers it again: a visibility timeout, a peek-lock, an ack deadline.", None, LOCK),
    shape!("flow" "when" "when FIELD VALUE", "(1.2) The flow runs only for triggers whose field has this value.", Some(Fits::SourceField), &[], args = 2),
    shape!("flow" "run-by" "run-by SYSTEM", "(1.2) The flow is that system's own integration or in-product automation (a vendor's connector, a workflow rule), not the team's code: its delivery is the vendor's, and no backend builds it. The system is the flow's source, a target, or the vendor's hub it runs through (its `via`).", Some(Fits::System), &[]),
    shape!("flow" "allow" "allow RULE reason=\"...\"", "Silences a rule for this flow, with a reason.", Some(Fits::Rule), ALLOW),
    shape!("to" "map" "map SRC to=DST", "Copies a field of what the flow reads into a field of the target entity.", Some(Fits::SourceField),
        &[prop("to", "the field of the target entity written", Fits::TargetField)]),
    shape!("to" "set" "set DST VALUE", "Writes a constant into a field of the target entity.", Some(Fits::TargetField), &[], args = 2),
    shape!("to" "idempotency-key" "idempotency-key FIELD", "The key for this target alone; it overrides the flow's.", Some(Fits::SourceField), &[]),
    shape!("to" "retry" "retry attempts=N backoff=B initial=D max=D on=\"429,5xx\"", "Retries for this target alone; they override the flow's.", None, RETRY),
    shape!("to" "emits" "emits EVENT outbox=#true", "This write sets off that event of the target system (a definite link).", Some(Fits::Event), &[
        prop("outbox", "(1.2) the write and the event are committed together (an outbox table, change data capture): no dual write", Fits::Bool),
    ]),
    shape!("to" "request" "request method=M path=\"/p\"", "How a backend sends the write: the HTTP method and the path after the system's URL.", None, &[
        prop("method", "the HTTP method", Fits::Keywords(HttpMethod::KEYWORDS)),
        prop("path", "the path after the system's base URL, such as \"/invoices\"", Fits::Text),
    ]),
    shape!("to" "counter" "counter", "(1.2) The `increment` keeps a running total of what happened (attempts, views), not a reservation to release when a later step fails.", None, &[]),
    shape!("to" "match" "match FIELD... lookup=native|search", "(1.2) A key the write finds its record by: fields of the target entity, matched together; several `match` are tried in order.", Some(Fits::TargetField), &[
        prop("lookup", "how the record is found: `native`, the target's own upsert by the key (one call); `search`, a search and then a create or an update (two calls)", Fits::Keywords(Lookup::KEYWORDS)),
    ], args = usize::MAX),
    shape!("to" "call" "call timeout=DURATION", "(1.2) The flow waits for this target's answer, for at most `timeout`.", None, TIMEOUT),
    shape!("to" "each" "each ARRAY { map ...; set ... }", "(1.2) One write per element of an array field of the trigger, such as an order's lines.", Some(Fits::SourceField), &[]),
    shape!("each" "map" "map SRC to=DST", "Copies a field of the element into a field of the target entity.", Some(Fits::Text),
        &[prop("to", "the field of the target entity written", Fits::TargetField)]),
    shape!("each" "set" "set DST VALUE", "Writes a constant into a field of the target entity, for every element.", Some(Fits::TargetField), &[], args = 2),
    shape!("lint" "deny" "deny RULE", "Reports the rule as an error.", Some(Fits::Rule), &[], args = usize::MAX),
    shape!("lint" "warn" "warn RULE", "Reports the rule as a warning.", Some(Fits::Rule), &[], args = usize::MAX),
    shape!("lint" "allow" "allow RULE", "Does not report the rule anywhere in the spec.", Some(Fits::Rule), &[], args = usize::MAX),
];

/// The nodes allowed under `parent` (`""` for the top level).
pub(crate) fn children_of(parent: &str) -> impl Iterator<Item = &'static Shape> + '_ {
    SHAPES.iter().filter(move |s| s.parent == parent)
}

pub(crate) fn shape(parent: &str, name: &str) -> Option<&'static Shape> {
    SHAPES.iter().find(|s| s.parent == parent && s.name == name)
}

/// The shape of `name` under `parent`, for a `const` block: lowering names
/// each node it reads this way, so a node missing from the table fails to
/// compile, and what it accepts is this table's by construction.
pub(crate) const fn get(parent: &str, name: &str) -> &'static Shape {
    let mut i = 0;
    while i < SHAPES.len() {
        if same(SHAPES[i].parent, parent) && same(SHAPES[i].name, name) {
            return &SHAPES[i];
        }
        i += 1;
    }
    panic!("the node is not in `SHAPES`")
}

/// `a == b`, as a `const fn` can say it.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec that uses every node and property of the table in its place.
    fn everything() -> String {
        let mut out = String::new();
        let body = |parent: &str, indent: &str| -> String {
            let mut s = String::new();
            for shape in children_of(parent).filter(|s| !matches!(s.name, "entity" | "to")) {
                let arg = match shape.arg {
                    Some(Fits::Keywords(k)) => format!(" {}", k[0]),
                    Some(Fits::Bool) => " #true".into(),
                    Some(Fits::Rule) => " \"no-logging\"".into(),
                    Some(Fits::System) => " a".into(),
                    Some(_) => " \"1\"".into(),
                    None => String::new(),
                };
                let props: String = shape
                    .props
                    .iter()
                    .map(|p| match p.fits {
                        Fits::Keywords(k) => format!(" {}={}", p.key, k[0]),
                        Fits::Bool => format!(" {}=#true", p.key),
                        _ => format!(" {}=\"1\"", p.key),
                    })
                    .collect();
                s.push_str(&format!("{indent}{}{arg}{props}\n", shape.name));
            }
            s
        };
        out.push_str(&format!("stack \"s\" {{\n{}}}\n", body("stack", "    ")));
        out.push_str(&format!(
            "system \"a\" kind=crm {{\n{}    entity \"e\" {{\n{}    }}\n}}\n",
            body("system", "    "),
            body("entity", "        ")
        ));
        out.push_str(&format!("event \"v\" from=a {{\n{}}}\n", body("event", "    ")));
        out.push_str(&format!(
            "flow \"f\" {{\n{}    to a action=create {{\n{}    }}\n}}\n",
            body("flow", "    "),
            body("to", "        ")
        ));
        out.push_str(&format!("lint {{\n{}}}\ninclude \"x.kdl\"\n", body("lint", "    ")));
        out
    }

    #[test]
    fn every_node_in_the_table_is_one_lowering_accepts() {
        let text = everything();
        let spec_diagnostics = {
            let loaded = crate::load::load_text(
                std::path::Path::new("/nonexistent-wireplan/wireplan.kdl"),
                text.clone(),
                std::path::Path::new("/"),
                crate::parse_and_lower,
            );
            loaded.diagnostics
        };
        let shape_errors: Vec<_> = spec_diagnostics
            .iter()
            .filter(|d| matches!(d.rule.name, "unknown-node" | "unknown-property" | "syntax"))
            .map(|d| d.message.clone())
            .collect();
        assert!(shape_errors.is_empty(), "{shape_errors:#?}\n{text}");
    }

    #[test]
    fn the_vscode_grammar_highlights_every_node() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode/syntaxes/wireplan.tmLanguage.json");
        let grammar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let nodes = grammar["repository"]["node"]["patterns"][0]["match"].as_str().unwrap().replace('\\', "");
        for shape in SHAPES {
            assert!(
                nodes.split(['(', ')', '|']).any(|w| w == shape.name),
                "the grammar does not know `{}`",
                shape.name
            );
        }
        // Every action keyword is highlighted as a value (`read` and
        // `increment` had been left out).
        let values = grammar["repository"]["value"]["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["match"].as_str())
            .find(|m| m.contains("upsert"))
            .unwrap()
            .replace('\\', "");
        for action in crate::model::Action::KEYWORDS {
            assert!(values.split(['(', ')', '|']).any(|w| w == *action), "the grammar does not know `{action}`");
        }
    }
}
