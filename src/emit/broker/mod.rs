//! The broker backend: RabbitMQ definitions, an AsyncAPI 3.0 document and
//! the Node-RED connectors that put SaaS webhooks and polls on the broker
//! and deliver from it (the event-driven pattern, stage 3).
//!
//! It carries every flow triggered by an event, whatever its `via` today,
//! and every poll; scheduled batch flows are notes for `--target etl`. Like
//! the hub it works in two steps: `plan` decides every name first (the
//! Node-RED kit's `plan`, which the hub uses too, gives the endpoints,
//! targets, mapping and credentials, so the connectors authenticate, map and
//! log exactly as the hub does), then each
//! file is serialized with serde from the `Broker`: `definitions` (RabbitMQ),
//! `asyncapi`, `connectors` (Node-RED) and `readme`. Before anything is
//! returned, `definitions::validate` checks every name and argument value in
//! the definitions, because RabbitMQ checks none of them.
//!
//! Names on the broker come from `emit::names`: exchanges are the producing
//! systems' slugs, queues the flows' slugs, routing keys the events' slugs
//! (so a name can never hold the topic wildcards `*` and `#`).

mod asyncapi;
mod connectors;
mod definitions;
mod readme;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::emit::distinct::{Case, Claims};
use crate::emit::env::Env;
use crate::emit::names;
use crate::emit::nodered::model::{Hub, HubFlow, HubTrigger};
use crate::emit::nodered::{self, FLOWS_PATH, SETTINGS_PATH};
use crate::emit::{Artifact, Emitted, Input};
use crate::model::{Entity, FieldType, FlowId, Name, Spec, TriggerKind};

pub(crate) const DEFINITIONS_PATH: &str = "rabbitmq/definitions.json";
pub(crate) const ASYNCAPI_PATH: &str = "asyncapi.yaml";
pub(crate) const CREDENTIALS_PATH: &str = "node-red/flows_cred.json";
pub(crate) const PACKAGE_PATH: &str = "node-red/package.json";
pub(crate) const README_PATH: &str = "README.md";

/// The AMQP client of the connectors' own Node-RED nodes (`nodes/`, see
/// `connectors` for why they are wireplan's own), pinned.
pub(crate) const AMQPLIB_VERSION: &str = "2.3.1";
pub(crate) const NODE_RED_VERSION: &str = "4.1.15";
pub(crate) const NODES_JS_PATH: &str = "node-red/nodes/wireplan-amqp.js";
pub(crate) const NODES_HTML_PATH: &str = "node-red/nodes/wireplan-amqp.html";
/// How many unacknowledged deliveries one egress instance holds per queue.
pub(crate) const EGRESS_PREFETCH: u32 = 10;
/// RabbitMQ's default `consumer_timeout` (30 minutes): a delivery held
/// unacknowledged longer closes its channel. A write waiting in a throttle
/// is held, so a throttled flow's prefetch is cut until the longest wait
/// (every delivery held by every flow sharing the throttle, ahead of it)
/// stays within half of it.
pub(crate) const CONSUMER_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// The RabbitMQ user the connectors log in as. The definitions create it
/// without a password; the deployment sets one from `PASSWORD_ENV`.
pub(crate) const USER: &str = "wireplan";
/// Every RabbitMQ node's `host:port`, comma-separated.
pub(crate) const ADDRESSES_ENV: &str = "WIREPLAN_AMQP_ADDRESSES";
pub(crate) const USER_ENV: &str = "WIREPLAN_AMQP_USER";
pub(crate) const PASSWORD_ENV: &str = "WIREPLAN_AMQP_PASSWORD";

/// The vhost when the spec has no `stack` name.
const DEFAULT_VHOST: &str = "wireplan";

/// The spec as the broker carries it.
#[derive(Debug)]
struct Broker {
    stack: Option<String>,
    vhost: String,
    /// One durable topic exchange per producing (or polled) system.
    exchanges: Vec<Exchange>,
    /// What is published: one per event that triggers a carried flow, one
    /// per poll.
    routes: Vec<Route>,
    /// One per carried flow, in the order of `hub.flows`.
    queues: Vec<Queue>,
    hub: Hub,
    /// Every environment variable the connectors read, with what it is for.
    env: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Exchange {
    name: String,
    system: String,
}

#[derive(Debug)]
struct Route {
    /// The AsyncAPI channel and message id; also the routing key.
    id: String,
    exchange: usize,
    kind: RouteKind,
    /// The field whose value is the `idempotency-key` header.
    key: Option<String>,
    fields: Vec<PayloadField>,
}

#[derive(Debug)]
enum RouteKind {
    /// An index into `hub.endpoints`.
    Event { endpoint: usize, name: String, version: Option<smol_str::SmolStr> },
    /// An index into `hub.flows`: the poll flow whose records these are.
    Poll { flow: usize, entity: Option<String> },
}

#[derive(Debug)]
struct PayloadField {
    name: String,
    ty: Option<FieldType>,
    required: bool,
}

#[derive(Debug)]
struct Queue {
    name: String,
    /// Indexes into `Broker::routes` and `hub.flows`.
    route: usize,
    flow: usize,
    /// Redeliveries after the first delivery: the spec's attempts minus one.
    delivery_limit: u32,
    dead_letter: bool,
    /// The connector's wait for a failed delivery without a computed one:
    /// the delivery chain computes the failing target's back-off for every
    /// attempt it makes, so this is for a call into the chain that failed.
    backoff: Duration,
    /// How many unacknowledged deliveries one egress instance holds:
    /// `EGRESS_PREFETCH`, less for a flow that writes to a rate-limited
    /// system (`prefetches`).
    prefetch: u32,
}

impl Queue {
    fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.name)
    }

    fn dead_letter_queue(&self) -> String {
        format!("{}.dlq", self.name)
    }
}

impl Broker {
    fn routing_key(&self, route: usize) -> &str {
        &self.routes[route].id
    }
}

/// Emits the broker's files for `input`.
pub(crate) fn emit(input: &Input<'_>) -> Emitted {
    let mut emitted = Emitted::default();
    let mut claims = Claims::default();
    let broker = plan(input.spec, &mut emitted, &mut claims);
    emitted.diagnostics.extend(claims.check());
    emitted.notes.sort();
    emitted.notes.dedup();
    emitted.errors.extend(definitions::validate(&definitions::of(&broker)));
    // The streamed documents read the one `Broker`.
    let broker = Arc::new(broker);
    let of_definitions = Arc::clone(&broker);
    emitted.artifacts.push(Artifact::streamed(DEFINITIONS_PATH, move |out| definitions::write(&of_definitions, out)));
    let of_asyncapi = Arc::clone(&broker);
    emitted.artifacts.push(Artifact::streamed(ASYNCAPI_PATH, move |out| asyncapi::render(&of_asyncapi, out)));
    emitted.artifacts.push(Artifact::new(CREDENTIALS_PATH, connectors::credentials()));
    let settings = nodered::settings("broker", broker.env.keys().map(String::as_str), true);
    emitted.artifacts.push(Artifact::new(SETTINGS_PATH, settings));
    emitted.artifacts.push(Artifact::new(PACKAGE_PATH, connectors::package()));
    emitted.artifacts.push(Artifact::new(NODES_JS_PATH, connectors::NODES_JS));
    emitted.artifacts.push(Artifact::new(NODES_HTML_PATH, connectors::NODES_HTML));
    let supervised = supervised(&broker, &mut emitted.artifacts);
    // Made when it is written and dropped once it is (a row per route and
    // flow: 50 MB at 100,000 flows), as the hub's README.
    let (of_readme, notes) = (Arc::clone(&broker), emitted.notes.clone());
    emitted.artifacts.push(Artifact::streamed(README_PATH, move |out| {
        out.write_all(readme::render(&of_readme, &supervised, &notes).as_bytes())
    }));
    // Many times the spec's size: written straight into the file.
    emitted.artifacts.push(Artifact::streamed(FLOWS_PATH, move |out| connectors::render(&broker, out)));
    emitted
}

/// The connectors' systemd unit, `Containerfile` and environment file
/// (`emit::service`), added to `artifacts`; returns the README's section
/// about them. The command is the README's ("Connectors"), run in `node-red/`.
fn supervised(broker: &Broker, artifacts: &mut Vec<Artifact>) -> String {
    let service = crate::emit::service::Service {
        name: "connectors",
        what: "broker connectors",
        target: "broker",
        dir: "node-red",
        command: &["node", "node_modules/node-red/red.js", "--settings", "settings.js", "--userDir", "."],
        install: crate::emit::service::Install::Package(PACKAGE_PATH),
        // `flows.json` is streamed, pushed last: it comes first, as it did.
        files: std::iter::once(FLOWS_PATH.to_owned())
            .chain(artifacts.iter().map(|a| a.path.clone()).filter(|p| p.starts_with("node-red/")))
            .collect(),
        required: broker.env.keys().cloned().collect(),
        optional: vec!["WIREPLAN_ADMIN_TOKEN".into(), "WIREPLAN_ADMIN_READ_TOKEN".into()],
        polls: broker.hub.flows.iter().any(|f| matches!(f.trigger, HubTrigger::Poll(_))),
    };
    artifacts.extend(crate::emit::service::artifacts(&service));
    let mut section = String::new();
    crate::emit::service::readme_section(&service, &mut section);
    section
}

/// Reads the spec into a `Broker`, in steps: the kit's flow model, the
/// vhost, the routes (an event's, then a poll's, each on its producer's
/// exchange), a queue per carried flow, and the environment. Every name it
/// derives is claimed in `claims` (RabbitMQ names are case-sensitive).
fn plan(spec: &Spec, emitted: &mut Emitted, claims: &mut Claims) -> Broker {
    let mut env = Env::new(spec);
    let hub = nodered::plan(spec, emitted, "a broker", claims, &mut env);
    let stack = spec.stack.as_ref().and_then(|s| s.name.as_ref()).map(|n| n.value.to_string());
    let vhost = match &stack {
        Some(name) => names::slugs([name.as_str()]).remove(name.as_str()).unwrap_or_else(|| DEFAULT_VHOST.into()),
        None => DEFAULT_VHOST.into(),
    };
    let mut routes = Routes::new(spec);
    routes.events(&hub, claims);
    let mut queues = routes.queues(&hub, claims);
    prefetches(&hub, &mut queues, emitted);
    let env = connection_env(env, claims, emitted);
    let Routes { exchanges, routes, .. } = routes;
    Broker { stack, vhost, exchanges, routes, queues, hub, env }
}

/// The exchanges and routes as they are made, and the names they come from.
struct Routes<'s> {
    spec: &'s Spec,
    exchanges: Vec<Exchange>,
    exchange_index: BTreeMap<String, usize>,
    routes: Vec<Route>,
    system_slugs: BTreeMap<String, String>,
    systems: BTreeMap<&'s str, &'s Name>,
    flow_ids: BTreeMap<&'s str, FlowId>,
}

impl<'s> Routes<'s> {
    fn new(spec: &'s Spec) -> Routes<'s> {
        Routes {
            spec,
            exchanges: Vec::new(),
            exchange_index: BTreeMap::new(),
            routes: Vec::new(),
            system_slugs: names::slugs(spec.systems.iter().map(|s| s.name.value.as_str())),
            systems: spec.systems.iter().map(|s| (s.name.value.as_str(), &s.name)).collect(),
            flow_ids: spec.flow_ids().map(|id| (spec.flow(id).name.value.as_str(), id)).collect(),
        }
    }

    /// The index of the exchange of `system` (its slug), made on first use.
    fn exchange_of(&mut self, system: &str, claims: &mut Claims) -> usize {
        if let Some(&i) = self.exchange_index.get(system) {
            return i;
        }
        let name = self.system_slugs.get(system).cloned().unwrap_or_else(|| names::id(&[system]));
        if let Some(declared) = self.systems.get(system) {
            claims.claim("RabbitMQ exchange", Case::Sensitive, &name, "system", declared);
        }
        self.exchanges.push(Exchange { name, system: system.to_owned() });
        self.exchange_index.insert(system.to_owned(), self.exchanges.len() - 1);
        self.exchanges.len() - 1
    }

    /// A route per webhook endpoint: the event's slug as routing key, on
    /// its producer's exchange.
    fn events(&mut self, hub: &Hub, claims: &mut Claims) {
        let spec = self.spec;
        let events: BTreeMap<&str, &crate::model::Event> =
            spec.event_ids().map(|id| spec.event(id)).map(|e| (e.name.value.as_str(), e)).collect();
        for (index, endpoint) in hub.endpoints.iter().enumerate() {
            let Some(event) = events.get(endpoint.event.as_str()) else { continue };
            let key = event.key.as_ref().map(|k| k.name.value.to_string());
            // The routing key is also the AsyncAPI channel and message id, one
            // namespace across exchanges.
            claims.claim("routing key", Case::Sensitive, &endpoint.slug, "event", &event.name);
            let exchange = self.exchange_of(&endpoint.producer, claims);
            self.routes.push(Route {
                id: endpoint.slug.clone(),
                exchange,
                kind: RouteKind::Event {
                    endpoint: index,
                    name: endpoint.event.clone(),
                    version: event.version.as_ref().map(|v| v.value.clone()),
                },
                key,
                fields: payload(&event.fields),
            });
        }
    }

    /// A queue per carried flow, bound by its event's route or by a route of
    /// its own for a poll (`poll.<flow>`, on the polled system's exchange).
    fn queues(&mut self, hub: &Hub, claims: &mut Claims) -> Vec<Queue> {
        let flow_slugs = names::slugs(hub.flows.iter().map(|f| f.name.as_str()));
        let route_of_endpoint: BTreeMap<usize, usize> = self
            .routes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.kind {
                RouteKind::Event { endpoint, .. } => Some((endpoint, i)),
                RouteKind::Poll { .. } => None,
            })
            .collect();
        let mut queues = Vec::new();
        for (index, flow) in hub.flows.iter().enumerate() {
            let name = flow_slugs.get(&flow.name).cloned().unwrap_or_default();
            let declared = self.flow_ids.get(flow.name.as_str()).map(|id| &self.spec.flow(*id).name);
            let route = match &flow.trigger {
                HubTrigger::Webhook(endpoint) => route_of_endpoint.get(endpoint).copied(),
                HubTrigger::Poll(poll) => Some(self.poll_route(index, flow, &poll.system, &name, declared, claims)),
            };
            let Some(route) = route else { continue };
            let queue = queue(name, route, index, flow);
            if let Some(declared) = declared {
                claims.claim("RabbitMQ queue", Case::Sensitive, &queue.name, "flow", declared);
                if queue.dead_letter {
                    claims.claim("RabbitMQ queue", Case::Sensitive, &queue.dead_letter_queue(), "flow", declared);
                    claims.claim("RabbitMQ exchange", Case::Sensitive, &queue.dead_letter_exchange(), "flow", declared);
                }
            }
            queues.push(queue);
        }
        queues
    }

    /// The route of the polled flow `flow` (the `index`th of the hub's), whose
    /// queue is `queue`: its records, typed by the polled entity's fields.
    fn poll_route(
        &mut self,
        index: usize,
        flow: &HubFlow,
        system: &str,
        queue: &str,
        declared: Option<&Name>,
        claims: &mut Claims,
    ) -> usize {
        let spec = self.spec;
        let entity = self.flow_ids.get(flow.name.as_str()).and_then(|id| match &spec.flow(*id).trigger {
            Some(t) => match &t.kind {
                TriggerKind::Poll(poll) => poll.entity.as_ref(),
                _ => None,
            },
            None => None,
        });
        let polled: Option<&Entity> = entity.and_then(|e| e.target).map(|e| spec.entity(e));
        let id = format!("poll.{queue}");
        if let Some(declared) = declared {
            claims.claim("routing key", Case::Sensitive, &id, "flow", declared);
        }
        let exchange = self.exchange_of(system, claims);
        self.routes.push(Route {
            id,
            exchange,
            kind: RouteKind::Poll { flow: index, entity: entity.map(|e| e.name.value.to_string()) },
            key: None,
            fields: polled.map(|e| payload(&e.fields)).unwrap_or_default(),
        });
        self.routes.len() - 1
    }
}

/// The payload fields of a message: the event's, or the polled entity's.
fn payload(fields: &[crate::model::Field]) -> Vec<PayloadField> {
    fields
        .iter()
        .map(|f| PayloadField {
            name: f.name.value.to_string(),
            ty: f.ty.as_ref().map(|t| t.value),
            required: f.required,
        })
        .collect()
}

/// The queue of `flow`: its delivery limit from its first target's retry
/// (each failed target's own back-off is computed per message by the
/// connector; this one is only the `delay` node's fallback).
fn queue(name: String, route: usize, index: usize, flow: &HubFlow) -> Queue {
    let attempts = flow.targets.first().map_or(1, |t| t.attempts).max(1);
    let backoff = flow.targets.first().map_or(Duration::from_secs(1), |t| t.initial);
    Queue {
        name,
        route,
        flow: index,
        delivery_limit: attempts - 1,
        dead_letter: flow.dead_letter,
        backoff,
        prefetch: EGRESS_PREFETCH,
    }
}

/// Cuts the prefetch of each queue whose flow writes to a rate-limited
/// system, so that a write does not wait in the throttle, unacknowledged,
/// longer than half of RabbitMQ's consumer timeout: the throttle releases
/// one write per interval, and every flow that writes to the system may
/// hold its prefetch of them ahead. Where even one each is too many, a note
/// says to raise `consumer_timeout`.
fn prefetches(hub: &Hub, queues: &mut [Queue], emitted: &mut Emitted) {
    let throttles_of = |queue: &Queue| -> Vec<usize> {
        let mut of: Vec<usize> = hub.flows[queue.flow].targets.iter().filter_map(|t| t.throttle).collect();
        of.sort_unstable();
        of.dedup();
        of
    };
    let mut sharers = vec![0u64; hub.throttles.len()];
    for queue in queues.iter() {
        for t in throttles_of(queue) {
            sharers[t] += 1;
        }
    }
    for queue in queues.iter_mut() {
        for t in throttles_of(queue) {
            let Some(throttle) = hub.throttles.get(t) else { continue };
            let per_round = nodered::throttle::interval_ms(throttle).saturating_mul(sharers[t]).max(1);
            let fits = (CONSUMER_TIMEOUT_MS / 2) / per_round;
            queue.prefetch = queue.prefetch.min(u32::try_from(fits).unwrap_or(u32::MAX).max(1));
            if per_round > CONSUMER_TIMEOUT_MS / 2 {
                emitted.notes.push(crate::emit::Note {
                    flow: Some(hub.flows[queue.flow].name.clone()),
                    message: format!(
                        "a write to {:?} may wait {} minutes in its rate limit's throttle, unacknowledged: raise \
                         RabbitMQ's `consumer_timeout` (30 minutes by default) above that, or RabbitMQ closes the \
                         channel and delivers the write again",
                        throttle.system,
                        per_round.div_ceil(60_000)
                    ),
                });
            }
        }
    }
}

/// The connectors' own variables (the broker connection) beside the flows'.
fn connection_env(mut env: Env<'_>, claims: &mut Claims, emitted: &mut Emitted) -> BTreeMap<String, String> {
    for (name, what) in [
        (
            ADDRESSES_ENV,
            "every RabbitMQ node as host:port, comma-separated (one for development, three in production; \
             the connectors move to the next when one fails)"
                .to_owned(),
        ),
        (USER_ENV, format!("the RabbitMQ user of the connectors (the definitions create {USER:?})")),
        (PASSWORD_ENV, format!("the password of the RabbitMQ user {USER:?}, set after each import")),
    ] {
        env.claim(None, name.to_owned(), what);
    }
    env.finish(claims, emitted)
}
