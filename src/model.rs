//! The spec model: systems, events, flows and lint settings, each carrying
//! the file and span it was written at.
//!
//! Lowering (`crate::lower`) builds it from syntax trees and fills every field
//! it can, leaving `None` where the spec had an error; resolution
//! (`crate::resolve`) then fills the `target` of each reference. Everything
//! after that — the graph, the checks, the planner, the emitters — reads this
//! model and never sees KDL.

use std::time::Duration;

use smol_str::SmolStr;

use crate::catalog;

// Places in the spec are defined with the sources, below the model.
pub(crate) use crate::source::{FileId, Loc};

/// An `include` found while lowering, for the loader to read next.
#[derive(Clone, Debug)]
pub(crate) struct Include {
    pub(crate) pattern: String,
    pub(crate) loc: Loc,
}

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) loc: Loc,
}

/// A declared name (of a system, event, flow, entity or field). Names are
/// short and never change, so they are `SmolStr`s: up to 23 bytes are stored
/// inline, which saves an allocation for nearly every name in a large spec.
pub(crate) type Name = Spanned<SmolStr>;

/// What a name names, for what it may hold: every name is written into JSON,
/// YAML, XML, SQL, Markdown and terminals, and a field name also becomes a
/// key of the objects that the hub's JSONata mapping and other JavaScript
/// build and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// A system, event, flow, entity or stack name.
    Label,
    /// A field name, declared or referred to; each of its dot-separated
    /// parts is an object key.
    Field,
}

/// Why a name cannot be used (see `name_problem`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameProblem {
    /// A control character: C0 (NUL, tab, newline, ESC, ...), DEL or C1
    /// (NEL, ...).
    Control(char),
    /// A noncharacter: U+FFFE, U+FFFF, U+FDD0 to U+FDEF, and the last two
    /// code points of every plane.
    Noncharacter(char),
    /// A part of a field name that JavaScript objects treat specially.
    ObjectKey(&'static str),
}

/// The keys that JavaScript objects treat as their prototype's machinery:
/// JSONata (the hub's mapping) refuses to read every one of them, and
/// writing `__proto__` replaces an object's prototype instead of adding a
/// key, so a field with such a name would be dropped without a word.
pub(crate) const PROTOTYPE_KEYS: &[&str] = &[
    "__proto__",
    "constructor",
    "prototype",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

/// What, if anything, makes `name` unusable as a `kind` name: decided once
/// here, for every place a name is written, so that every serializer can
/// escape the rest.
///
/// Refused everywhere: control characters (XML 1.0 cannot hold C0 controls
/// even as character references, SQL engines stop at NUL, YAML 1.1 reads
/// NEL as a line break, and a name is one line of text) and noncharacters
/// (XML 1.0 cannot hold U+FFFE and U+FFFF; all of them are reserved for a
/// program's internal use, never for interchange). Refused in field names:
/// the `PROTOTYPE_KEYS` as a dot-separated part. Everything else is legal:
/// letters and marks of every script, digits, spaces, punctuation, symbols,
/// emoji, format characters, private-use and unassigned code points; each
/// serializer escapes what its format needs.
pub(crate) fn name_problem(kind: NameKind, name: &str) -> Option<NameProblem> {
    for c in name.chars() {
        if c.is_control() {
            return Some(NameProblem::Control(c));
        }
        if crate::escape::is_noncharacter(c) {
            return Some(NameProblem::Noncharacter(c));
        }
    }
    if kind == NameKind::Field {
        for part in name.split('.') {
            if let Some(key) = PROTOTYPE_KEYS.iter().find(|k| **k == part) {
                return Some(NameProblem::ObjectKey(key));
            }
        }
    }
    None
}

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) struct $name(pub(crate) u32);

        impl $name {
            pub(crate) fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id_type! {
    /// Index into `Spec::systems`.
    SystemId,
    /// Index into `Spec::events`.
    EventId,
    /// Index into `Spec::flows`.
    FlowId,
}

/// An entity of a system: the system and the entity's index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct EntityId {
    pub(crate) system: SystemId,
    pub(crate) index: u32,
}

/// A reference by name, resolved to `target` when the name exists.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ref<T> {
    pub(crate) name: Name,
    pub(crate) target: Option<T>,
}

impl<T> Ref<T> {
    pub(crate) fn new(name: Name) -> Self {
        Ref { name, target: None }
    }
}

/// A reference to a field, by name; `target` is the field's index in the
/// entity or event that the context names (see `Map`).
pub(crate) type FieldRef = Ref<u32>;

/// The whole spec, merged from the entry file and its includes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Spec {
    pub(crate) stack: Option<Stack>,
    pub(crate) systems: Vec<System>,
    pub(crate) events: Vec<Event>,
    pub(crate) flows: Vec<Flow>,
    /// The directives of every `lint` block, in source order.
    pub(crate) lint: Vec<LintDirective>,
    /// Every credential written into the spec's text (each a `secret-literal`
    /// finding), for `redact` to mask in every output.
    pub(crate) credentials: Vec<Credential>,
}

/// A credential written into the spec, as lowering found it: its value
/// decoded (escapes, multi-line strings and continuations resolved), the
/// part of that value that is the credential itself, and where it is
/// written. Outputs never show it; `redact` masks every form of it.
#[derive(Clone, Debug)]
pub(crate) struct Credential {
    pub(crate) value: String,
    /// The byte range of `value` that holds the credential: the token in
    /// `Bearer sk_live_...`, the password of a URL; all of it otherwise.
    pub(crate) core: std::ops::Range<usize>,
    /// The string as written, quotes and escapes included.
    pub(crate) loc: Loc,
}

impl Spec {
    pub(crate) fn system(&self, id: SystemId) -> &System {
        &self.systems[id.index()]
    }

    pub(crate) fn event(&self, id: EventId) -> &Event {
        &self.events[id.index()]
    }

    pub(crate) fn flow(&self, id: FlowId) -> &Flow {
        &self.flows[id.index()]
    }

    pub(crate) fn entity(&self, id: EntityId) -> &Entity {
        &self.systems[id.system.index()].entities[id.index as usize]
    }

    pub(crate) fn system_ids(&self) -> impl Iterator<Item = SystemId> + '_ {
        (0..self.systems.len()).map(|i| SystemId(i as u32))
    }

    pub(crate) fn event_ids(&self) -> impl Iterator<Item = EventId> + '_ {
        (0..self.events.len()).map(|i| EventId(i as u32))
    }

    pub(crate) fn flow_ids(&self) -> impl Iterator<Item = FlowId> + '_ {
        (0..self.flows.len()).map(|i| FlowId(i as u32))
    }

    /// The planning horizon in months (`stack { horizon months=N }`, default 18).
    pub(crate) fn horizon_months(&self) -> u32 {
        self.stack.as_ref().and_then(|s| s.horizon.as_ref()).map_or(DEFAULT_HORIZON_MONTHS, |h| h.value)
    }

    /// The factor event volumes reach at the horizon (default 1.0).
    pub(crate) fn volume_growth(&self) -> f64 {
        self.stack.as_ref().and_then(|s| s.volume_growth.as_ref()).map_or(1.0, |g| g.value)
    }

    /// The volume growth factor in month `month` (0 = now), compounding monthly.
    pub(crate) fn growth_at(&self, month: u32) -> f64 {
        let horizon = f64::from(self.horizon_months().max(1));
        self.volume_growth().powf(f64::from(month) / horizon)
    }
}

pub(crate) const DEFAULT_HORIZON_MONTHS: u32 = 18;
pub(crate) const DEFAULT_HIGH_VOLUME_PER_DAY: f64 = 100_000.0;
pub(crate) const DEFAULT_HIGH_VOLUME_PEAK_PER_SECOND: f64 = 50.0;

/// `stack NAME { horizon months=N; volume-growth F; high-volume ... }`.
#[derive(Clone, Debug)]
pub(crate) struct Stack {
    pub(crate) name: Option<Name>,
    pub(crate) horizon: Option<Spanned<u32>>,
    pub(crate) volume_growth: Option<Spanned<f64>>,
    /// `high-volume per-day=N peak-per-second=N`: the stage-3 volume thresholds.
    pub(crate) high_volume_per_day: Option<Spanned<f64>>,
    pub(crate) high_volume_peak_per_second: Option<Spanned<f64>>,
    pub(crate) loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) struct System {
    pub(crate) name: Name,
    pub(crate) kind: Option<Spanned<SystemKind>>,
    // The statements most systems leave out are boxed, so a spec of many
    // small systems holds little for each (see `benches/hostile.rs`).
    pub(crate) api: Option<Box<Api>>,
    pub(crate) webhooks: Option<Spanned<bool>>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) owner: Option<Spanned<SmolStr>>,
    pub(crate) criticality: Option<Spanned<Criticality>>,
    pub(crate) secret: Option<Spanned<SmolStr>>,
    pub(crate) url: Option<Spanned<SmolStr>>,
    pub(crate) entities: Vec<Entity>,
    pub(crate) planned_in_months: Option<Spanned<u32>>,
    pub(crate) retires_in_months: Option<Spanned<u32>>,
    pub(crate) ha: Option<Spanned<bool>>,
    /// `webhook-signature SCHEME header=H secret=ENV`: how its webhooks prove
    /// where they come from (the hub backend checks it).
    pub(crate) webhook_signature: Option<Box<WebhookSignature>>,
    /// `connector=stripe`: the catalog entry whose documented facts the
    /// system takes where the spec is silent.
    pub(crate) connector: Option<Box<Connector>>,
    pub(crate) allows: Vec<Allow>,
    pub(crate) loc: Loc,
}

/// `connector=ID` on a system, and the catalog entry resolution found for it
/// (`None` when the name is not in the catalog, already an error).
#[derive(Clone, Debug)]
pub(crate) struct Connector {
    pub(crate) id: Spanned<SmolStr>,
    pub(crate) entry: Option<&'static catalog::Entry>,
}

/// Where a fact about a system comes from: a statement of the spec, or the
/// catalog entry of its connector (whose page a finding cites).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin<'a> {
    Spec(Loc),
    Catalog { vendor: &'a str, source: &'a str, at: Loc },
}

impl Origin<'_> {
    /// Where a label about the fact goes: the statement, or `connector=`.
    pub(crate) fn loc(&self) -> Loc {
        match self {
            Origin::Spec(loc) | Origin::Catalog { at: loc, .. } => *loc,
        }
    }
}

/// A system's rate limit: the spec's `rate-limit`, or the strictest
/// general limit its connector's vendor documents.
#[derive(Clone, Debug)]
pub(crate) struct EffectiveLimit<'a> {
    pub(crate) per_second: f64,
    /// `100 per minute`, or `HubSpot allows 190 requests per 10s per account`.
    pub(crate) said: String,
    pub(crate) origin: Origin<'a>,
}

impl System {
    /// The declared kind, or `custom` when it is missing or invalid.
    pub(crate) fn kind(&self) -> SystemKind {
        self.kind.as_ref().map_or(SystemKind::Custom, |k| k.value)
    }

    /// Hubs and brokers carry flows; they are never a flow's endpoint of record.
    pub(crate) fn is_transport(&self) -> bool {
        matches!(self.kind(), SystemKind::Hub | SystemKind::Broker)
    }

    /// Every kind but hub, broker, warehouse and lake is a business tool. A
    /// system whose kind is missing or unknown (already an error) is not
    /// counted, so that one mistake does not also move the stage.
    pub(crate) fn is_tool(&self) -> bool {
        self.kind.as_ref().is_some_and(|k| k.value.is_tool())
    }

    /// Whether the system is live in month `month` (0 = now).
    pub(crate) fn live_in(&self, month: u32) -> bool {
        let joined = self.planned_in_months.as_ref().is_none_or(|p| month >= p.value);
        let retired = self.retires_in_months.as_ref().is_some_and(|r| month >= r.value);
        joined && !retired
    }

    /// Whether the system sends webhooks: as the spec says, else as its
    /// connector's catalog entry documents.
    pub(crate) fn has_webhooks(&self) -> bool {
        self.webhooks_fact().is_some_and(|(value, _)| value)
    }

    /// The catalog entry of its connector, when it names a known one.
    pub(crate) fn catalog(&self) -> Option<(&'static catalog::Entry, Loc)> {
        let connector = self.connector.as_deref()?;
        Some((connector.entry?, connector.id.loc))
    }

    /// Whether the system sends webhooks, and who says so.
    pub(crate) fn webhooks_fact(&self) -> Option<(bool, Origin<'static>)> {
        if let Some(w) = &self.webhooks {
            return Some((w.value, Origin::Spec(w.loc)));
        }
        let (entry, at) = self.catalog()?;
        let support = entry.webhooks.supported.fact()?;
        Some((support.supported, Origin::Catalog { vendor: &entry.name, source: &support.provenance.source, at }))
    }

    /// The rate limit the checks hold writes to: the spec's, else the
    /// strictest general limit of the connector's vendor.
    pub(crate) fn rate_limit_fact(&self) -> Option<EffectiveLimit<'static>> {
        if let Some(limit) = &self.rate_limit {
            return Some(EffectiveLimit {
                per_second: limit.per_second(),
                said: if limit.count.fract() == 0.0 && limit.count.abs() < 1e15 {
                    format!("{} per {}", limit.count as i64, limit.per)
                } else {
                    format!("{:.2} per {}", limit.count, limit.per)
                },
                origin: Origin::Spec(limit.loc),
            });
        }
        let (entry, at) = self.catalog()?;
        let (limits, limit, per_second) = entry.general_limit()?;
        Some(EffectiveLimit {
            per_second,
            said: format!("{} allows {}", entry.name, limit.describe()),
            origin: Origin::Catalog { vendor: &entry.name, source: &limits.provenance.source, at },
        })
    }

    pub(crate) fn is_ha(&self) -> bool {
        self.ha.as_ref().is_some_and(|h| h.value)
    }
}

macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum $name { $($variant),* }

        impl $name {
            /// The keywords as written in the spec, in the order the language
            /// reference lists them, for messages and suggestions.
            pub(crate) const KEYWORDS: &'static [&'static str] = &[$($text),*];

            pub(crate) fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub(crate) fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum! {
    /// What a system is; decides whether it counts as a business tool.
    SystemKind {
        Crm = "crm", Email = "email", Ecommerce = "ecommerce", Accounting = "accounting",
        Erp = "erp", Website = "website", Support = "support", Marketing = "marketing",
        Payments = "payments", Analytics = "analytics", Warehouse = "warehouse", Lake = "lake",
        Hub = "hub", Broker = "broker", Database = "database", Custom = "custom",
    }
}

impl SystemKind {
    pub(crate) fn is_tool(self) -> bool {
        !matches!(self, SystemKind::Hub | SystemKind::Broker | SystemKind::Warehouse | SystemKind::Lake)
    }

    pub(crate) fn is_storage(self) -> bool {
        matches!(self, SystemKind::Warehouse | SystemKind::Lake)
    }
}

keyword_enum! {
    /// How a system is reached: request/response styles, and (1.1) messaging
    /// protocols.
    ApiStyle {
        Rest = "rest", Graphql = "graphql", Soap = "soap", Grpc = "grpc", File = "file", Database = "database",
        Sdk = "sdk", Amqp = "amqp", Kafka = "kafka", Mqtt = "mqtt", Nats = "nats", Sqs = "sqs",
        Websocket = "websocket",
    }
}

keyword_enum! {
    Criticality { Low = "low", Normal = "normal", High = "high" }
}

keyword_enum! {
    TimeUnit { Second = "second", Minute = "minute", Hour = "hour", Day = "day" }
}

impl TimeUnit {
    pub(crate) fn seconds(self) -> f64 {
        match self {
            TimeUnit::Second => 1.0,
            TimeUnit::Minute => 60.0,
            TimeUnit::Hour => 3_600.0,
            TimeUnit::Day => 86_400.0,
        }
    }
}

keyword_enum! {
    FieldType {
        String = "string", Int = "int", Float = "float", Bool = "bool", Date = "date",
        Datetime = "datetime", Email = "email", Url = "url", Money = "money", Json = "json",
    }
}

impl FieldType {
    /// Whether a `map` may write a value of type `self` into a field of type `to`.
    pub(crate) fn converts_to(self, to: FieldType) -> bool {
        self == to
            || matches!(to, FieldType::String | FieldType::Json)
            || matches!(
                (self, to),
                (FieldType::Int, FieldType::Float)
                    | (FieldType::Money, FieldType::Float)
                    | (FieldType::Date, FieldType::Datetime)
            )
    }
}

keyword_enum! {
    Action {
        Create = "create", Upsert = "upsert", Update = "update", Delete = "delete", Send = "send",
        Append = "append", Increment = "increment",
    }
}

impl Action {
    /// `create`, `send` and `append` make a new record each time they run;
    /// `increment` changes a value relative to what it was. Running any of
    /// them twice is not the same as running it once.
    pub(crate) fn is_idempotent(self) -> bool {
        matches!(self, Action::Upsert | Action::Update | Action::Delete)
    }
}

keyword_enum! {
    /// `delivery at-least-once|at-most-once` on an event: how its producer
    /// delivers it, overriding what the producer's `webhooks` implies.
    EventDelivery { AtLeastOnce = "at-least-once", AtMostOnce = "at-most-once" }
}

keyword_enum! {
    Backoff { Fixed = "fixed", Exponential = "exponential" }
}

keyword_enum! {
    /// The HTTP method of a write (`request method=...`).
    HttpMethod { Post = "POST", Put = "PUT", Patch = "PATCH", Delete = "DELETE" }
}

keyword_enum! {
    /// How a system signs its webhooks: an HMAC of the raw body.
    SignatureScheme { HmacSha256 = "hmac-sha256", HmacSha1 = "hmac-sha1" }
}

keyword_enum! {
    /// How the signature is written in its header.
    SignatureEncoding { Hex = "hex", Base64 = "base64" }
}

keyword_enum! {
    LintLevel { Deny = "deny", Warn = "warn", Allow = "allow" }
}

/// `api STYLE version="..."`.
#[derive(Clone, Debug)]
pub(crate) struct Api {
    pub(crate) style: Option<Spanned<ApiStyle>>,
    pub(crate) version: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `webhook-signature "hmac-sha256" header="X-Signature" secret="ENV" encoding=hex prefix="sha256="`.
#[derive(Clone, Debug)]
pub(crate) struct WebhookSignature {
    pub(crate) scheme: Option<Spanned<SignatureScheme>>,
    /// The request header holding the signature.
    pub(crate) header: Option<Spanned<SmolStr>>,
    /// The environment variable holding the shared secret.
    pub(crate) secret: Option<Spanned<SmolStr>>,
    /// `hex` unless given.
    pub(crate) encoding: Option<Spanned<SignatureEncoding>>,
    /// Text before the signature in the header, such as `sha256=`.
    pub(crate) prefix: Option<Spanned<SmolStr>>,
    #[expect(dead_code, reason = "every node of the model carries its place in the spec; nothing reads this one yet")]
    pub(crate) loc: Loc,
}

/// `request method="POST" path="/invoices"` in a `to`: how the write is sent.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) method: Option<Spanned<HttpMethod>>,
    pub(crate) path: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `rate-limit N per=UNIT`.
#[derive(Clone, Debug)]
pub(crate) struct RateLimit {
    pub(crate) count: f64,
    pub(crate) per: TimeUnit,
    pub(crate) loc: Loc,
}

impl RateLimit {
    pub(crate) fn per_second(&self) -> f64 {
        self.count / self.per.seconds()
    }
}

/// `entity NAME { field ... }` in a system.
#[derive(Clone, Debug)]
pub(crate) struct Entity {
    pub(crate) name: Name,
    pub(crate) fields: Vec<Field>,
    pub(crate) loc: Loc,
}

/// `field NAME type=T required=#true`, in an entity or an event.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: Name,
    pub(crate) ty: Option<Spanned<FieldType>>,
    pub(crate) required: bool,
    /// `generated=#true`: the system fills it itself (a database id), so a
    /// `create` need not map it.
    pub(crate) generated: bool,
    pub(crate) loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub(crate) name: Name,
    pub(crate) from: Option<Ref<SystemId>>,
    pub(crate) entity: Option<Ref<EntityId>>,
    /// `version=N` or `version="1.0.0"`, as written.
    pub(crate) version: Option<Spanned<SmolStr>>,
    /// `delivery at-least-once|at-most-once`.
    pub(crate) delivery: Option<Spanned<EventDelivery>>,
    /// `external`: no write by any integration sets this event off.
    pub(crate) external: Option<Loc>,
    /// `key FIELD`: the record's identity, resolved to an index into `fields`.
    pub(crate) key: Option<FieldRef>,
    pub(crate) fields: Vec<Field>,
    pub(crate) volume: Option<Volume>,
    /// (1.2) `published`: the event is published for subscribers outside
    /// the spec (other teams, analytics), so no flow here need consume it.
    pub(crate) published: Option<Loc>,
    /// (1.2) `producer SYSTEM`: systems that publish this event besides `from=`.
    pub(crate) producers: Vec<Ref<SystemId>>,
    /// (1.2) `after EVENT`: events that must be processed before this one
    /// (an order's payment after the order).
    pub(crate) after: Vec<Ref<EventId>>,
    pub(crate) allows: Vec<Allow>,
    pub(crate) loc: Loc,
}

impl Event {
    /// An event with no `field` is schemaless: field references are not checked.
    pub(crate) fn is_schemaless(&self) -> bool {
        self.fields.is_empty()
    }

    pub(crate) fn peak_per_second(&self) -> f64 {
        self.volume.as_ref().and_then(|v| v.peak_per_second).unwrap_or(0.0)
    }

    pub(crate) fn per_day(&self) -> f64 {
        self.volume.as_ref().and_then(|v| v.per_day).unwrap_or(0.0)
    }

    pub(crate) fn is_external(&self) -> bool {
        self.external.is_some()
    }
}

/// `volume per-day=N peak-per-second=N`.
#[derive(Clone, Debug)]
pub(crate) struct Volume {
    pub(crate) per_day: Option<f64>,
    pub(crate) peak_per_second: Option<f64>,
    #[expect(dead_code, reason = "every node of the model carries its place in the spec; nothing reads this one yet")]
    pub(crate) loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) struct Flow {
    pub(crate) name: Name,
    pub(crate) trigger: Option<Trigger>,
    /// `from SYSTEM entity=E`: the batch source of a `schedule` trigger.
    pub(crate) from: Option<Box<Source>>,
    pub(crate) targets: Vec<Target>,
    pub(crate) via: Option<Ref<SystemId>>,
    pub(crate) idempotency_key: Option<FieldRef>,
    pub(crate) retry: Option<Retry>,
    pub(crate) dead_letter: Option<Loc>,
    pub(crate) log: Option<Loc>,
    pub(crate) loop_guard: Option<Loc>,
    pub(crate) latency: Option<Spanned<Duration>>,
    /// (1.2) `reply timeout=D`: the trigger's sender waits for this flow's
    /// answer and sees its failure (a synchronous webhook, an RPC, a query,
    /// a saga command with a reply).
    pub(crate) reply: Option<Wait>,
    /// (1.2) `when FIELD VALUE`: the flow runs only for triggers whose field
    /// has that value; every filter must hold.
    pub(crate) when: Vec<Filter>,
    pub(crate) allows: Vec<Allow>,
    /// The known children that unknown children of this flow look like
    /// (`retries` for `retry`): already reported, so the checks treat them
    /// as given rather than report their absence too.
    pub(crate) misspelt: Vec<&'static str>,
    /// The event an unresolved `on` most likely meant (its "did you mean"),
    /// so that event is not also reported as consumed by nothing.
    pub(crate) meant: Option<EventId>,
    pub(crate) loc: Loc,
}

impl Flow {
    /// The system the flow reads from: the event's producer, the polled
    /// system, or the `from` system of a schedule. `None` until resolved or
    /// when the reference is broken.
    pub(crate) fn source_system(&self, spec: &Spec) -> Option<SystemId> {
        match &self.trigger.as_ref()?.kind {
            TriggerKind::On { event } => spec.event(event.target?).from.as_ref()?.target,
            TriggerKind::Poll { system, .. } => system.target,
            TriggerKind::Schedule { .. } => self.from.as_ref()?.system.target,
        }
    }

    /// Why a write to target `target` can run twice for one change (the
    /// contract's first delivery question), or `None` when it cannot. A
    /// target's own `retry` counts for it alone; the flow's for every target.
    pub(crate) fn runs_twice(&self, spec: &Spec, target: usize) -> Option<Twice> {
        if let Some(retry) = self.targets.get(target).and_then(|t| t.retry.as_deref()).or(self.retry.as_ref()) {
            return Some(Twice::Retry(retry.loc));
        }
        // A caller that waits for the reply sees the failure and decides
        // itself whether to ask again: the transport's redelivery is not a
        // question here, only the flow's own retries are.
        if self.reply.is_some() {
            return None;
        }
        let trigger = self.trigger.as_ref()?;
        if matches!(trigger.kind, TriggerKind::Poll { .. }) {
            return Some(Twice::Poll(trigger.loc));
        }
        if let Some(via) =
            self.via.as_ref().filter(|v| v.target.is_some_and(|s| spec.system(s).kind() == SystemKind::Broker))
        {
            return Some(Twice::Broker(via.name.loc));
        }
        let TriggerKind::On { event } = &trigger.kind else { return None };
        let event = spec.event(event.target?);
        match event.delivery.as_ref().map(|d| d.value) {
            Some(EventDelivery::AtLeastOnce) => Some(Twice::Declared(event.delivery.as_ref()?.loc)),
            Some(EventDelivery::AtMostOnce) => None,
            None => {
                let producer = event.from.as_ref()?.target?;
                spec.system(producer).has_webhooks().then_some(Twice::Webhook(event.name.loc))
            }
        }
    }

    /// Whether a failed write to target `target` loses the data (the
    /// contract's second delivery question): no `retry` (the target's or
    /// the flow's), not via a broker, not a poll. A webhook sender's own
    /// retries do not count: the receiver acknowledges before it writes.
    pub(crate) fn can_lose(&self, spec: &Spec, target: usize) -> bool {
        // The caller waits for the reply, so it sees the failure: nothing is
        // lost without its knowing.
        if self.reply.is_some() {
            return false;
        }
        let retried = self.retry.is_some() || self.targets.get(target).is_some_and(|t| t.retry.is_some());
        let polled = matches!(self.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Poll { .. }));
        !retried && !polled && !self.via_broker(spec)
    }

    /// Whether the flow runs through a system of kind `broker`.
    pub(crate) fn via_broker(&self, spec: &Spec) -> bool {
        self.via.as_ref().and_then(|v| v.target).is_some_and(|s| spec.system(s).kind() == SystemKind::Broker)
    }

    /// Whether the caller of the flow waits for its answer (`reply`).
    pub(crate) fn replies(&self) -> bool {
        self.reply.is_some()
    }

    /// The idempotency key that covers target `target`: its own, else the flow's.
    pub(crate) fn key_for(&self, target: usize) -> Option<&FieldRef> {
        self.targets.get(target).and_then(|t| t.idempotency_key.as_ref()).or(self.idempotency_key.as_ref())
    }

    /// Whether the flow has an unknown child that looks like `child`.
    pub(crate) fn misspelt(&self, child: &str) -> bool {
        self.misspelt.contains(&child)
    }

    /// Point-to-point: no `via` transport.
    pub(crate) fn is_point_to_point(&self) -> bool {
        self.via.is_none()
    }
}

/// Why a write can run twice for one change, with the place that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Twice {
    /// A `retry`: a retried write that had in fact succeeded runs again.
    Retry(Loc),
    /// A `poll` trigger: overlapping reads.
    Poll(Loc),
    /// `via` a broker: it redelivers until acknowledged.
    Broker(Loc),
    /// An event delivered by webhook: senders retry until they get a 2xx.
    Webhook(Loc),
    /// An event that says `delivery at-least-once`.
    Declared(Loc),
}

impl Twice {
    /// Where the reason is written, and what it means, for a label.
    pub(crate) fn explain(self) -> (Loc, &'static str) {
        match self {
            Twice::Retry(loc) => (loc, "retried: a timeout after a successful write delivers it again"),
            Twice::Poll(loc) => (loc, "polling reads overlapping records again"),
            Twice::Broker(loc) => (loc, "the broker redelivers until it gets an acknowledgement"),
            Twice::Webhook(loc) => {
                (loc, "delivered by webhook: the sender retries until it gets a 2xx, so repeats arrive")
            }
            Twice::Declared(loc) => (loc, "delivered at least once, so repeats arrive"),
        }
    }
}

/// The one trigger of a flow.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    pub(crate) kind: TriggerKind,
    pub(crate) loc: Loc,
}

#[derive(Clone, Debug)]
pub(crate) enum TriggerKind {
    /// `on EVENT`: the event's producer pushes it.
    On { event: Ref<EventId> },
    /// `poll SYSTEM entity=E every=DURATION path="/orders" cursor="updated_at"`;
    /// `path` and `cursor` say how the hub backend reads it.
    Poll {
        system: Ref<SystemId>,
        entity: Option<Ref<EntityId>>,
        every: Option<Spanned<Duration>>,
        path: Option<Spanned<SmolStr>>,
        cursor: Option<Spanned<SmolStr>>,
    },
    /// `schedule every=DURATION` or `schedule cron=EXPR`.
    Schedule { every: Option<Spanned<Duration>>, cron: Option<Spanned<SmolStr>> },
}

/// `from SYSTEM entity=E` in a scheduled flow.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) system: Ref<SystemId>,
    pub(crate) entity: Option<Ref<EntityId>>,
    pub(crate) loc: Loc,
}

/// `to SYSTEM action=A entity=E { map ...; set ... }`.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) system: Ref<SystemId>,
    pub(crate) action: Option<Spanned<Action>>,
    pub(crate) entity: Option<Ref<EntityId>>,
    pub(crate) maps: Vec<Map>,
    pub(crate) sets: Vec<Set>,
    /// `request method=M path=P`: how a backend sends the write.
    pub(crate) request: Option<Request>,
    /// `idempotency-key FIELD` for this target alone (overrides the flow's).
    pub(crate) idempotency_key: Option<FieldRef>,
    /// `retry ...` for this target alone (overrides the flow's); boxed, as
    /// most targets have none and a `Retry` is large.
    pub(crate) retry: Option<Box<Retry>>,
    /// `emits EVENT`: events of the target system this write sets off.
    pub(crate) emits: Vec<Ref<EventId>>,
    /// (1.2) `call timeout=D`: the flow waits for this target's answer.
    pub(crate) call: Option<Wait>,
    /// (1.2) `each ARRAY { map ... }`: one write per element of an array
    /// field of the trigger; boxed, as most targets have none.
    pub(crate) each: Option<Box<Each>>,
    pub(crate) loc: Loc,
}

/// (1.2) `reply timeout=D` in a flow or `call timeout=D` in a `to`: someone
/// waits for an answer, for at most `timeout`.
#[derive(Clone, Debug)]
pub(crate) struct Wait {
    pub(crate) timeout: Option<Spanned<Duration>>,
    pub(crate) loc: Loc,
}

/// (1.2) `each ARRAY { map SRC to=DST; set DST VALUE }` in a `to`: the write
/// runs once per element of the array field `ARRAY` of what the flow reads.
/// `src` of each map names a field of an element, declared on the event as
/// `ARRAY.SRC` (an undeclared element is schemaless); `dst` a field of the
/// target entity, as in the `to`'s own maps.
#[derive(Clone, Debug)]
pub(crate) struct Each {
    pub(crate) array: FieldRef,
    pub(crate) maps: Vec<Map>,
    pub(crate) sets: Vec<Set>,
    pub(crate) loc: Loc,
}

/// (1.2) `when FIELD VALUE` in a flow: a filter on the trigger.
#[derive(Clone, Debug)]
pub(crate) struct Filter {
    pub(crate) field: FieldRef,
    #[expect(
        dead_code,
        reason = "no check compares filter values yet; the backends refuse `when` (see `emit::fidelity`)"
    )]
    pub(crate) value: Option<Spanned<Constant>>,
    pub(crate) loc: Loc,
}

impl Target {
    /// Every destination field this write fills: its maps and sets, and
    /// those of its `each`.
    pub(crate) fn written_fields(&self) -> impl Iterator<Item = &FieldRef> {
        let each = self.each.as_deref();
        self.maps
            .iter()
            .filter_map(|m| m.dst.as_ref())
            .chain(self.sets.iter().map(|s| &s.dst))
            .chain(each.into_iter().flat_map(|e| e.maps.iter().filter_map(|m| m.dst.as_ref())))
            .chain(each.into_iter().flat_map(|e| e.sets.iter().map(|s| &s.dst)))
    }
}

/// `map SRC to=DST`: `src` indexes the trigger's event fields (or the polled
/// or extracted entity's), `dst` the target entity's fields.
#[derive(Clone, Debug)]
pub(crate) struct Map {
    pub(crate) src: FieldRef,
    pub(crate) dst: Option<FieldRef>,
    pub(crate) loc: Loc,
}

/// A constant in the spec (a `set` value), as the model keeps it: the
/// model holds no syntax types, so the stages after lowering never see KDL.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Constant {
    String(SmolStr),
    Integer(i128),
    Float(f64),
    Bool(bool),
    Null,
}

/// `set DST VALUE`: a constant written into a field of the target entity.
#[derive(Clone, Debug)]
pub(crate) struct Set {
    pub(crate) dst: FieldRef,
    pub(crate) value: Option<Spanned<Constant>>,
    #[expect(dead_code, reason = "every node of the model carries its place in the spec; nothing reads this one yet")]
    pub(crate) loc: Loc,
}

/// `retry attempts=N backoff=B initial=D max=D`.
#[derive(Clone, Debug)]
pub(crate) struct Retry {
    pub(crate) attempts: Option<Spanned<u32>>,
    pub(crate) backoff: Option<Spanned<Backoff>>,
    pub(crate) initial: Option<Spanned<Duration>>,
    pub(crate) max: Option<Spanned<Duration>>,
    /// (1.2) `on="429,5xx,timeout"`: the only failures retried; the others
    /// fail at once.
    pub(crate) on: Option<Spanned<Vec<RetryOn>>>,
    pub(crate) loc: Loc,
}

/// (1.2) A failure `retry on=` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryOn {
    /// One HTTP status, such as 429.
    Status(u16),
    /// A class of statuses: `5xx` is `Class(5)`.
    Class(u8),
    /// No answer within the call's timeout, or a dropped connection.
    Timeout,
}

impl RetryOn {
    /// `429`, `5xx`, `timeout`; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<RetryOn> {
        let text = text.trim();
        if text == "timeout" {
            return Some(RetryOn::Timeout);
        }
        let bytes = text.as_bytes();
        match bytes {
            [d @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => Some(RetryOn::Class(d - b'0')),
            [b'1'..=b'5', b'0'..=b'9', b'0'..=b'9'] => text.parse().ok().map(RetryOn::Status),
            _ => None,
        }
    }
}

/// An inline `allow RULE reason="..."` on a system, event or flow.
#[derive(Clone, Debug)]
pub(crate) struct Allow {
    pub(crate) rule: Spanned<SmolStr>,
    pub(crate) reason: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `deny RULE`, `warn RULE` or `allow RULE` in a `lint` block.
#[derive(Clone, Debug)]
pub(crate) struct LintDirective {
    pub(crate) level: LintLevel,
    pub(crate) rule: Spanned<SmolStr>,
    #[expect(dead_code, reason = "every node of the model carries its place in the spec; nothing reads this one yet")]
    pub(crate) loc: Loc,
}

/// The node a diagnostic is about, for inline `allow` lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Owner {
    System(SystemId),
    Event(EventId),
    Flow(FlowId),
}

impl Spec {
    /// The inline allows of a node.
    pub(crate) fn allows_of(&self, owner: Owner) -> &[Allow] {
        match owner {
            Owner::System(id) => &self.system(id).allows,
            Owner::Event(id) => &self.event(id).allows,
            Owner::Flow(id) => &self.flow(id).allows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{NameKind, NameProblem, name_problem};

    #[test]
    fn names_refuse_controls_noncharacters_and_prototype_keys_in_fields() {
        for c in ['\0', '\t', '\n', '\u{1b}', '\u{7f}', '\u{85}', '\u{86}', '\u{9f}'] {
            assert_eq!(name_problem(NameKind::Label, &format!("a{c}")), Some(NameProblem::Control(c)));
        }
        for c in ['\u{fdd0}', '\u{fdef}', '\u{fffe}', '\u{ffff}', '\u{1fffe}', '\u{10ffff}'] {
            assert_eq!(name_problem(NameKind::Field, &format!("{c}b")), Some(NameProblem::Noncharacter(c)));
        }
        assert_eq!(name_problem(NameKind::Field, "a.__proto__.b"), Some(NameProblem::ObjectKey("__proto__")));
        assert_eq!(name_problem(NameKind::Field, "constructor"), Some(NameProblem::ObjectKey("constructor")));
        // Only field names are object keys; a part must be the whole key.
        assert_eq!(name_problem(NameKind::Label, "constructor"), None);
        assert_eq!(name_problem(NameKind::Field, "__proto__x.toString"), None);
        for legal in ["first name", "ünïcødé 中文 😀", "a\u{2028}b", "x\u{202e}y", "\u{e000}\u{378}", "\u{fffd}"]
        {
            assert_eq!(name_problem(NameKind::Field, legal), None, "{legal:?}");
        }
    }
}
