//! Reading the spec into the flow model (`Hub`), in named steps: which
//! flows Node-RED carries (`carried`), a webhook endpoint per event that
//! triggers one (`endpoints`), and per flow its trigger (`trigger`, `poll`)
//! and its targets (`target`), each with every default decided and noted;
//! then what flows share (`guards`: which writes a `loop-guard` must know
//! of; `throttles`: one queue per rate-limited system written to).
//! Every environment variable goes through the build's registry (`Env`),
//! every derived URL path is claimed for the shared name check.

use rustc_hash::{FxHashMap, FxHashSet};
use std::time::Duration;

use super::model::{Auth, Endpoint, FieldSource, Hub, HubFlow, HubTarget, HubTrigger, Poll, Throttle};
use crate::emit::distinct::{Case, Claims};
use crate::emit::env::Env;
use crate::emit::names;
use crate::emit::{Emitted, Note};
use crate::model::{Action, Backoff, Constant, EventId, Flow, FlowId, HttpMethod, SignatureEncoding};
use crate::model::{SignatureScheme, Spec, SystemId, TriggerKind};

/// Retry timing when the spec's `retry` leaves it out.
const DEFAULT_ATTEMPTS: u32 = 3;
const DEFAULT_INITIAL: Duration = Duration::from_secs(1);
const DEFAULT_MAX: Duration = Duration::from_secs(600);
/// The poll cursor field when `poll` names none.
const DEFAULT_CURSOR: &str = "updated_at";
/// The poll interval when `poll` names none.
const DEFAULT_POLL: Duration = Duration::from_secs(900);

/// Reads the spec into a `Hub`, noting every flow it leaves out and every
/// default it uses.
///
/// `what` names the backend in the note about scheduled flows ("a hub").
/// Every environment variable it derives is claimed in `env`, every URL
/// path in `claims`.
pub(in crate::emit) fn plan<'s>(
    spec: &'s Spec,
    emitted: &mut Emitted,
    what: &str,
    claims: &mut Claims,
    env: &mut Env<'s>,
) -> Hub {
    let mut planner = Planner { spec, emitted, claims, env };
    let (events, carried) = planner.carried(what);
    let mut hub = Hub { endpoints: planner.endpoints(&events), flows: Vec::new(), throttles: Vec::new() };
    // Each event's endpoint by name, so that placing a flow is not a scan.
    let endpoint_of: FxHashMap<String, usize> =
        hub.endpoints.iter().enumerate().map(|(i, e)| (e.event.clone(), i)).collect();
    // Each built flow's target systems, in the order of its targets.
    let mut written: Vec<Vec<SystemId>> = Vec::new();
    for id in carried {
        let flow = spec.flow(id);
        let Some(trigger) = planner.trigger(flow, &mut hub, &endpoint_of) else { continue };
        // Made at their size: a vector's first push makes room for four, and
        // most flows have one target (at 100,000 flows, 100 MB of room).
        let (mut targets, mut target_systems) =
            (Vec::with_capacity(flow.targets.len()), Vec::with_capacity(flow.targets.len()));
        for (system, target) in (0..flow.targets.len()).filter_map(|index| planner.target(flow, index)) {
            target_systems.push(system);
            targets.push(target);
        }
        if flow.dead_letter.is_none() {
            planner.note(flow, "has no `dead-letter`: a delivery that fails every attempt is dropped".into());
        }
        planner.emitted.built.push(id);
        let guard = flow.loop_guard.and(flow.source_system(spec)).map(|s| spec.system(s).name.value.to_string());
        hub.flows.push(HubFlow {
            name: flow.name.value.to_string(),
            trigger,
            targets,
            log: flow.log.is_some(),
            dead_letter: flow.dead_letter.is_some(),
            guard,
        });
        written.push(target_systems);
    }
    guards(&mut hub);
    throttles(spec, &mut hub, &written);
    hub
}

/// Marks every write to a system whose changes a loop-guarded flow listens
/// to, whichever flow makes it: the echo arrives on another flow than the
/// write that caused it.
fn guards(hub: &mut Hub) {
    let guarded: FxHashSet<String> = hub.flows.iter().filter_map(|f| f.guard.clone()).collect();
    for target in hub.flows.iter_mut().flat_map(|f| f.targets.iter_mut()) {
        target.remember = guarded.contains(&target.system);
    }
}

/// One throttle per system with a `rate-limit` that a carried flow writes
/// to (`written`: each flow's target systems), in the order of the first
/// write, and each write to it pointed at it.
fn throttles(spec: &Spec, hub: &mut Hub, written: &[Vec<SystemId>]) {
    let mut index: FxHashMap<SystemId, usize> = FxHashMap::default();
    for (flow, systems) in hub.flows.iter_mut().zip(written) {
        for (target, &system) in flow.targets.iter_mut().zip(systems) {
            let Some(limit) = &spec.system(system).rate_limit else { continue };
            let next = hub.throttles.len();
            let at = *index.entry(system).or_insert(next);
            if at == next {
                hub.throttles.push(Throttle {
                    system: target.system.clone(),
                    count: limit.count,
                    per: limit.per.as_str(),
                    unit: limit.per.seconds(),
                });
            }
            target.throttle = Some(at);
        }
    }
}

/// What the steps share: the spec, where notes and claims go, and the
/// registry of environment variables.
struct Planner<'a, 's> {
    spec: &'s Spec,
    emitted: &'a mut Emitted,
    claims: &'a mut Claims,
    env: &'a mut Env<'s>,
}

impl<'s> Planner<'_, 's> {
    fn note(&mut self, flow: &Flow, message: String) {
        self.emitted.notes.push(Note { flow: Some(flow.name.value.to_string()), message });
    }

    /// The flows Node-RED carries (triggered by an event or a poll), and the
    /// events that trigger them, in spec order, each once; a note for each
    /// flow left out.
    fn carried(&mut self, what: &str) -> (Vec<EventId>, Vec<FlowId>) {
        let spec = self.spec;
        let mut events: Vec<EventId> = Vec::new();
        let mut seen: FxHashSet<EventId> = FxHashSet::default();
        let mut carried: Vec<FlowId> = Vec::new();
        for id in spec.flow_ids() {
            let flow = spec.flow(id);
            if let Some(runner) = flow.runner() {
                self.note(flow, crate::emit::run_by_note(runner));
                continue;
            }
            match flow.trigger.as_ref().map(|t| &t.kind) {
                Some(TriggerKind::On { event }) => {
                    let Some(event) = event.target else { continue };
                    if seen.insert(event) {
                        events.push(event);
                    }
                    carried.push(id);
                }
                Some(TriggerKind::Poll(poll)) if poll.system.target.is_some() => carried.push(id),
                Some(TriggerKind::Schedule(s)) => {
                    let message = if flow.targets.iter().any(|t| t.loads_storage(spec)) {
                        format!(
                            "not emitted: a {} batch flow belongs to an ELT pipeline (`--target etl`), not {what}",
                            if s.manual { "hand-run" } else { "scheduled" }
                        )
                    } else {
                        crate::emit::reverse_etl_note(s.manual)
                    };
                    self.note(flow, message);
                }
                _ => self.note(flow, "not emitted: its trigger does not resolve".into()),
            }
        }
        (events, carried)
    }

    /// `POST /hooks/<slug>` for each event whose producer resolves, with how
    /// the producer proves itself.
    fn endpoints(&mut self, events: &[EventId]) -> Vec<Endpoint> {
        let spec = self.spec;
        let slugs = names::slugs(events.iter().map(|e| spec.event(*e).name.value.as_str()));
        let mut endpoints = Vec::new();
        for &event_id in events {
            let event = spec.event(event_id);
            let Some(producer) = event.from.as_ref().and_then(|f| f.target) else { continue };
            let auth = self.auth(producer);
            let slug = slugs.get(event.name.value.as_str()).cloned().unwrap_or_default();
            // Node-RED matches routes ignoring case.
            self.claims.claim("webhook path", Case::Insensitive, &format!("/hooks/{slug}"), "event", &event.name);
            endpoints.push(Endpoint {
                event: event.name.value.to_string(),
                slug,
                producer: spec.system(producer).name.value.to_string(),
                auth,
                flows: Vec::new(),
            });
        }
        endpoints
    }

    /// How `producer` proves its webhooks: an HMAC signature where its
    /// `webhook-signature` names a header and a secret, else a bearer token.
    fn auth(&mut self, producer: SystemId) -> Auth {
        if let Some((env, header, algorithm, encoding, prefix, scheme)) =
            super::auth::vendor_webhook(self.spec, producer, self.env)
        {
            return Auth::Hmac { env, header, algorithm, encoding, prefix, vendor: Some(Box::new(scheme)) };
        }
        let system = self.spec.system(producer);
        match &system.webhook_signature {
            Some(sig) if sig.header.is_some() && sig.secret.is_some() => {
                let secret = sig.secret.as_ref().map(|s| s.value.to_string()).unwrap_or_default();
                let what = format!("the secret {} signs its webhooks with", self.env.system(producer));
                Auth::Hmac {
                    env: self.env.claim(Some(producer), secret, what),
                    header: sig.header.as_ref().map(|h| h.value.to_ascii_lowercase()).unwrap_or_default(),
                    algorithm: match sig.scheme.as_ref().map(|s| s.value) {
                        Some(SignatureScheme::HmacSha1) => "sha1",
                        Some(SignatureScheme::HmacMd5) => "md5",
                        Some(SignatureScheme::HmacSha512) => "sha512",
                        Some(SignatureScheme::HmacSha256) | None => "sha256",
                    },
                    encoding: match sig.encoding.as_ref().map(|e| e.value) {
                        Some(SignatureEncoding::Base64) => "base64",
                        _ => "hex",
                    },
                    prefix: sig.prefix.as_ref().map(|p| p.value.to_string()).unwrap_or_default(),
                    vendor: None,
                }
            }
            _ => {
                let name = format!("{}_WEBHOOK_TOKEN", self.env.base(producer));
                let what = format!("the bearer token {} must send with its webhooks", self.env.system(producer));
                Auth::Bearer { env: self.env.claim(Some(producer), name, what) }
            }
        }
    }

    /// The trigger of a carried flow: its event's endpoint (which then lists
    /// the flow as the next of `hub.flows`), or its poll; `None` leaves the
    /// flow out.
    fn trigger(&mut self, flow: &Flow, hub: &mut Hub, endpoint_of: &FxHashMap<String, usize>) -> Option<HubTrigger> {
        let spec = self.spec;
        match flow.trigger.as_ref().map(|t| &t.kind) {
            Some(TriggerKind::On { event }) => {
                let name = event.target.map(|e| spec.event(e).name.value.as_str());
                let Some(&index) = name.and_then(|name| endpoint_of.get(name)) else {
                    self.note(flow, "not emitted: its event's producer does not resolve".into());
                    return None;
                };
                hub.endpoints[index].flows.push(hub.flows.len());
                let producer = event.target.and_then(|e| spec.event(e).from.as_ref()?.target);
                if producer.is_some_and(|p| !spec.system(p).has_webhooks()) {
                    let url = format!("/hooks/{}", hub.endpoints[index].slug);
                    self.note(
                        flow,
                        format!(
                            "its event's producer does not say `webhooks #true`; POST {url} waits for whatever \
                             sends the event"
                        ),
                    );
                }
                Some(HubTrigger::Webhook(index))
            }
            Some(TriggerKind::Poll(_)) => self.poll(flow).map(HubTrigger::Poll),
            _ => None,
        }
    }

    /// A polled flow's source, path, cursor field and interval.
    fn poll(&mut self, flow: &Flow) -> Option<Poll> {
        let Some(TriggerKind::Poll(polled)) = flow.trigger.as_ref().map(|t| &t.kind) else {
            return None;
        };
        let crate::model::Poll { system: polled, entity, every, path, cursor } = &**polled;
        let system = polled.target?;
        let entity_name = entity.as_ref().map(|e| e.name.value.as_str());
        let path = match path {
            Some(p) => p.value.to_string(),
            None => {
                let path = default_path(entity_name);
                self.note(flow, format!("polls GET {path} (no `path=` on `poll`; the default)"));
                path
            }
        };
        let declared = entity.as_ref().and_then(|e| e.target).map(|e| &self.spec.entity(e).fields);
        let cursor = match cursor {
            Some(c) if declared.is_some_and(|f| !f.is_empty() && !f.iter().any(|f| f.name.value == c.value)) => {
                let message =
                    format!("keeps its place by {:?}, which its entity does not declare as a field", c.value.as_str());
                self.note(flow, message);
                c.value.to_string()
            }
            Some(c) => c.value.to_string(),
            None => {
                let message =
                    format!("keeps its place by the field {DEFAULT_CURSOR:?} (no `cursor=` on `poll`; the default)");
                self.note(flow, message);
                DEFAULT_CURSOR.into()
            }
        };
        let auth = super::auth::source(self.spec, system, self.env).unwrap_or_else(|error| {
            self.emitted.errors.push(error);
            super::auth::TargetAuth::default()
        });
        Some(Poll {
            auth: Box::new(auth),
            system: self.env.system(system).to_owned(),
            url_env: self.url(system),
            token_env: self.token(system),
            path,
            cursor,
            every: every.as_ref().map_or(DEFAULT_POLL, |e| e.value),
        })
    }

    /// The `index`th `to` of `flow` and the system it writes to: request,
    /// mapping, idempotency key and retry timing, defaults noted. Language 1.1: a `to` may have its own
    /// key and retries, which override the flow's.
    fn target(&mut self, flow: &Flow, index: usize) -> Option<(SystemId, HubTarget)> {
        let target = &flow.targets[index];
        // A `read` changes nothing and nothing here takes its answer: it is
        // not sent (`fidelity` says so at the statement).
        if target.reads() {
            return None;
        }
        let key = flow.key_for(index).map(|k| k.name.value.to_string());
        let system = target.system.target?;
        let action = target.action.as_ref().map(|a| a.value);
        let entity_name = target.entity.as_ref().map(|e| e.name.value.as_str());
        let request = target.request.as_ref();
        let given_method = request.and_then(|r| r.method.as_ref()).map(|m| m.value.as_str());
        let given_path = request.and_then(|r| r.path.as_ref()).map(|p| p.value.to_string());
        let method = given_method.unwrap_or_else(|| default_method(action).as_str());
        let path = given_path.clone().unwrap_or_else(|| default_path(entity_name));
        if given_method.is_none() || given_path.is_none() {
            let action = action.map_or("write", Action::as_str);
            // The system is left out, so that the flows sharing a default
            // share one note; the README's table of flows names it.
            let message = format!(
                "sends {method} {path} (the default for `{action}`; say `request method=... path=...` in the `to`)"
            );
            self.note(flow, message);
        }
        let mut fields: Vec<(String, FieldSource)> = Vec::with_capacity(target.maps.len() + target.sets.len());
        for map in &target.maps {
            if let Some(dst) = &map.dst {
                fields.push((dst.name.value.to_string(), FieldSource::Field(map.src.name.value.to_string())));
            }
        }
        for set in &target.sets {
            if let Some(value) = &set.value {
                fields.push((set.dst.name.value.to_string(), FieldSource::Constant(json_value(&value.value))));
            }
        }
        if fields.is_empty() {
            let message =
                format!("sends the trigger's payload to {:?} as it came (no `map` or `set`)", self.env.system(system));
            self.note(flow, message);
        }
        let retry = target.retry.as_deref().or(flow.retry.as_ref());
        let attempts = match retry {
            Some(r) => r.attempts.as_ref().map_or(DEFAULT_ATTEMPTS, |a| a.value),
            None => 1,
        };
        let mut auth = super::auth::target(self.spec, system, key.is_some(), self.env).unwrap_or_else(|error| {
            self.emitted.errors.push(error);
            super::auth::TargetAuth::default()
        });
        if let Some(note) = auth.note.take() {
            self.note(flow, note);
        }
        Some((
            system,
            HubTarget {
                auth,
                system: self.env.system(system).to_owned(),
                action: action.map(Action::as_str),
                entity: entity_name.map(str::to_owned),
                url_env: self.url(system),
                token_env: self.token(system),
                method,
                path,
                fields,
                key,
                attempts,
                exponential: retry.and_then(|r| r.backoff.as_ref()).is_none_or(|b| b.value == Backoff::Exponential),
                initial: retry.and_then(|r| r.initial.as_ref()).map_or(DEFAULT_INITIAL, |d| d.value),
                max: retry.and_then(|r| r.max.as_ref()).map_or(DEFAULT_MAX, |d| d.value),
                remember: false,
                throttle: None,
            },
        ))
    }

    /// `<BASE>_URL`, the base URL of the system `id`.
    fn url(&mut self, id: SystemId) -> String {
        let name = format!("{}_URL", self.env.base(id));
        let suggested = match &self.spec.system(id).url {
            Some(url) => format!(" (the spec gives {})", url.value.as_str()),
            None => String::new(),
        };
        let what = format!("the base URL of {}{suggested}", self.env.system(id));
        self.env.claim(Some(id), name, what)
    }

    /// The credential sent to a system: its `secret`, when that is a plain
    /// environment-variable name.
    fn token(&mut self, id: SystemId) -> Option<String> {
        if super::auth::replaces_bearer(self.spec, id) {
            return None;
        }
        let secret = self.env.secret(id)?;
        let what = format!("the token sent to {} (Authorization: Bearer)", self.env.system(id));
        Some(self.env.claim(Some(id), secret.to_owned(), what))
    }
}

/// The method of a write the spec gives no `request` for: what REST APIs
/// usually take for the action.
fn default_method(action: Option<Action>) -> HttpMethod {
    match action {
        Some(Action::Upsert) => HttpMethod::Put,
        Some(Action::Update) => HttpMethod::Patch,
        Some(Action::Delete) => HttpMethod::Delete,
        _ => HttpMethod::Post,
    }
}

/// `/<entity>` (a clean slug of it), or `/` when the write names none.
fn default_path(entity: Option<&str>) -> String {
    match entity {
        Some(entity) => format!("/{}", names::slugs([entity]).remove(entity).unwrap_or_default()),
        None => "/".into(),
    }
}

/// A `set` value as JSON.
fn json_value(value: &Constant) -> serde_json::Value {
    match value {
        Constant::String(s) => serde_json::Value::String(s.to_string()),
        Constant::Integer(n) => match i64::try_from(*n) {
            Ok(n) => n.into(),
            Err(_) => serde_json::Value::String(n.to_string()),
        },
        Constant::Float(x) => {
            serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, serde_json::Value::Number)
        }
        Constant::Bool(b) => serde_json::Value::Bool(*b),
        Constant::Null => serde_json::Value::Null,
    }
}
