//! The flow model that the hub and the broker's connectors both lower to:
//! the webhook endpoints (one per event that triggers a carried flow, with
//! how its producer proves itself), and per flow its trigger (a webhook or
//! a poll) and its targets, with every name and default decided. `plan`
//! makes it from the spec; the backends only lay it out as nodes.

use std::time::Duration;

/// The spec as Node-RED carries it: what the hub's flows and the broker's
/// connectors are both made from.
#[derive(Debug)]
pub(in crate::emit) struct Hub {
    pub(in crate::emit) endpoints: Vec<Endpoint>,
    pub(in crate::emit) flows: Vec<HubFlow>,
    /// One per system with a `rate-limit` that a carried flow writes to, in
    /// the order of the first write: every flow's writes to it share it.
    pub(in crate::emit) throttles: Vec<Throttle>,
}

/// A system's `rate-limit`, as one queue that every write to it waits in.
#[derive(Debug)]
pub(in crate::emit) struct Throttle {
    pub(in crate::emit) system: String,
    /// `rate-limit N per=UNIT`: N, and the unit's name (`second`, `minute`,
    /// `hour`, `day`, as Node-RED's `delay` node names them).
    pub(in crate::emit) count: f64,
    pub(in crate::emit) per: &'static str,
    /// The unit in seconds.
    pub(in crate::emit) unit: f64,
}

/// `POST /hooks/<slug>`: where one event's producer sends it.
#[derive(Debug)]
pub(in crate::emit) struct Endpoint {
    pub(in crate::emit) event: String,
    pub(in crate::emit) slug: String,
    pub(in crate::emit) producer: String,
    pub(in crate::emit) auth: Auth,
    /// Indexes into `Hub::flows` of the flows it triggers.
    pub(in crate::emit) flows: Vec<usize>,
}

#[derive(Debug)]
pub(in crate::emit) enum Auth {
    /// `Authorization: Bearer <token>`, the token in `env`.
    Bearer { env: String },
    /// An HMAC of the raw body in `header` (lower case).
    Hmac {
        env: String,
        header: String,
        algorithm: &'static str,
        encoding: &'static str,
        prefix: String,
        /// The rest of the vendor's scheme, from its connector's catalog entry.
        vendor: Option<Box<super::auth::VendorScheme>>,
    },
}

#[derive(Debug)]
pub(in crate::emit) struct HubFlow {
    pub(in crate::emit) name: String,
    pub(in crate::emit) trigger: HubTrigger,
    pub(in crate::emit) targets: Vec<HubTarget>,
    pub(in crate::emit) log: bool,
    pub(in crate::emit) dead_letter: bool,
    /// `loop-guard`: the name of the system whose changes trigger the flow
    /// (the event's producer, or the polled system), whose echoes of the
    /// hub's own writes it drops.
    pub(in crate::emit) guard: Option<String>,
}

#[derive(Debug)]
pub(in crate::emit) enum HubTrigger {
    /// An index into `Hub::endpoints`.
    Webhook(usize),
    Poll(Poll),
}

#[derive(Debug)]
pub(in crate::emit) struct Poll {
    pub(in crate::emit) system: String,
    pub(in crate::emit) url_env: String,
    pub(in crate::emit) token_env: Option<String>,
    pub(in crate::emit) path: String,
    pub(in crate::emit) cursor: String,
    pub(in crate::emit) every: Duration,
    /// Credentials other than a bearer token (`auth.js` before the read).
    pub(in crate::emit) auth: Box<super::auth::TargetAuth>,
}

#[derive(Debug)]
pub(in crate::emit) struct HubTarget {
    pub(in crate::emit) system: String,
    /// The spec's `action=` and `entity=`, as written (the AsyncAPI document
    /// names them, so that an import reads the flow back).
    pub(in crate::emit) action: Option<&'static str>,
    pub(in crate::emit) entity: Option<String>,
    pub(in crate::emit) url_env: String,
    pub(in crate::emit) token_env: Option<String>,
    pub(in crate::emit) method: &'static str,
    pub(in crate::emit) path: String,
    /// `(to, from or constant)`, in spec order.
    pub(in crate::emit) fields: Vec<(String, FieldSource)>,
    /// The trigger field whose value is the `Idempotency-Key`.
    pub(in crate::emit) key: Option<String>,
    pub(in crate::emit) attempts: u32,
    pub(in crate::emit) exponential: bool,
    pub(in crate::emit) initial: Duration,
    pub(in crate::emit) max: Duration,
    /// A loop-guarded flow listens to this system's changes: the write is
    /// remembered, so that its echo is known.
    pub(in crate::emit) remember: bool,
    /// An index into `Hub::throttles`: the system's `rate-limit`.
    pub(in crate::emit) throttle: Option<usize>,
    /// Credentials other than a bearer token, and the key's placement.
    pub(in crate::emit) auth: super::auth::TargetAuth,
}

#[derive(Debug)]
pub(in crate::emit) enum FieldSource {
    Field(String),
    Constant(serde_json::Value),
}
