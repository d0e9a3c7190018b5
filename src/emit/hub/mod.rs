//! The hub backend: Node-RED 4.1 flows for every flow triggered by an event
//! or a poll (the role Zapier or Make plays), with a headless `settings.js`
//! and a README generated from the spec.
//!
//! It works in two steps. `plan` reads the spec into a `Hub`: the webhook
//! endpoints, one per event that triggers a flow (URL slug, how the producer
//! proves itself), and per flow its trigger and targets with every name and
//! default decided (environment variables, method and path, retry timing),
//! noting each default it used. `flows::render` then turns the `Hub` into
//! Node-RED nodes. Spec names reach the output only as JSON strings written
//! by serde: node labels, and the per-message configuration a `change` node
//! puts into `msg._wp`. The JSONata expressions and the one `function` node
//! (the webhook check, `verify.js`) are fixed text that no name reaches, so a
//! name cannot change what a flow does.

pub(super) mod flows;
mod readme;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::emit::distinct::{Case, Claims};
use crate::emit::names;
use crate::emit::{Artifact, Emitted, Input, Note};
use crate::model::Constant;
use crate::model::{Action, Backoff, EventId, Flow, FlowId, HttpMethod, SignatureEncoding, SignatureScheme, Spec};
use crate::model::{SystemId, TriggerKind};

/// The Node-RED settings: fixed text but for the list of required variables.
const SETTINGS: &str = include_str!("settings.js");

/// Where Node-RED's files go in the output folder.
pub(crate) const FLOWS_PATH: &str = "node-red/flows.json";
pub(crate) const SETTINGS_PATH: &str = "node-red/settings.js";
pub(crate) const README_PATH: &str = "README.md";

/// The file names, relative to the data folder, of the audit log and the
/// dead letters (one JSON object per line each).
pub(crate) const AUDIT_FILE: &str = "audit.jsonl";
pub(crate) const DEAD_LETTER_FILE: &str = "dead-letters.jsonl";

/// Retry timing when the spec's `retry` leaves it out.
const DEFAULT_ATTEMPTS: u32 = 3;
const DEFAULT_INITIAL: Duration = Duration::from_secs(1);
const DEFAULT_MAX: Duration = Duration::from_secs(600);
/// The poll cursor field when `poll` names none.
const DEFAULT_CURSOR: &str = "updated_at";

/// The spec as the hub carries it.
#[derive(Debug)]
pub(super) struct Hub {
    pub(super) endpoints: Vec<Endpoint>,
    pub(super) flows: Vec<HubFlow>,
    /// Every environment variable the flows read, with what it is for.
    pub(super) env: BTreeMap<String, String>,
}

/// `POST /hooks/<slug>`: where one event's producer sends it.
#[derive(Debug)]
pub(super) struct Endpoint {
    pub(super) event: String,
    pub(super) slug: String,
    pub(super) producer: String,
    pub(super) auth: Auth,
    /// Indexes into `Hub::flows` of the flows it triggers.
    pub(super) flows: Vec<usize>,
}

#[derive(Debug)]
pub(super) enum Auth {
    /// `Authorization: Bearer <token>`, the token in `env`.
    Bearer { env: String },
    /// An HMAC of the raw body in `header` (lower case).
    Hmac { env: String, header: String, algorithm: &'static str, encoding: &'static str, prefix: String },
}

#[derive(Debug)]
pub(super) struct HubFlow {
    pub(super) name: String,
    pub(super) trigger: HubTrigger,
    pub(super) targets: Vec<HubTarget>,
    pub(super) log: bool,
    pub(super) dead_letter: bool,
}

#[derive(Debug)]
pub(super) enum HubTrigger {
    /// An index into `Hub::endpoints`.
    Webhook(usize),
    Poll(Poll),
}

#[derive(Debug)]
pub(super) struct Poll {
    pub(super) system: String,
    pub(super) url_env: String,
    pub(super) token_env: Option<String>,
    pub(super) path: String,
    pub(super) cursor: String,
    pub(super) every: Duration,
}

#[derive(Debug)]
pub(super) struct HubTarget {
    pub(super) system: String,
    pub(super) url_env: String,
    pub(super) token_env: Option<String>,
    pub(super) method: &'static str,
    pub(super) path: String,
    /// `(to, from or constant)`, in spec order.
    pub(super) fields: Vec<(String, FieldSource)>,
    /// The trigger field whose value is the `Idempotency-Key`.
    pub(super) key: Option<String>,
    pub(super) attempts: u32,
    pub(super) exponential: bool,
    pub(super) initial: Duration,
    pub(super) max: Duration,
}

#[derive(Debug)]
pub(super) enum FieldSource {
    Field(String),
    Constant(serde_json::Value),
}

/// Emits the hub's files for `input`.
pub(crate) fn emit(input: &Input<'_>) -> Emitted {
    let mut emitted = Emitted::default();
    let mut claims = Claims::default();
    let hub = plan(input.spec, &mut emitted, "a hub", &mut claims);
    emitted.diagnostics.extend(claims.check());
    emitted.notes.sort();
    emitted.notes.dedup();
    let flows = flows::render(&hub);
    emitted.artifacts.push(Artifact { path: FLOWS_PATH.into(), bytes: flows.into_bytes() });
    emitted.artifacts.push(Artifact { path: SETTINGS_PATH.into(), bytes: settings(&hub).into_bytes() });
    let stack = input.spec.stack.as_ref().and_then(|s| s.name.as_ref()).map(|n| n.value.to_string());
    let readme = readme::render(&hub, stack.as_deref(), &emitted.notes);
    emitted.artifacts.push(Artifact { path: README_PATH.into(), bytes: readme.into_bytes() });
    emitted
}

/// The fixed settings, with the list of the environment variables the flows
/// read (plain identifiers, written by serde).
pub(super) fn settings(hub: &Hub) -> String {
    settings_requiring(hub.env.keys().map(String::as_str))
}

/// The fixed settings, requiring the environment variables `names`.
pub(super) fn settings_requiring<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let list = serde_json::to_string(&names).unwrap_or_else(|_| "[]".into());
    SETTINGS.replacen("const REQUIRED_ENV = [];", &format!("const REQUIRED_ENV = {list};"), 1)
}

/// Environment-variable names per system, checked for clashes between roles.
struct Env<'s> {
    spec: &'s Spec,
    bases: BTreeMap<String, String>,
    used: BTreeMap<String, String>,
    /// Which system each variable was claimed for (the same one may be
    /// claimed many times).
    owners: std::collections::BTreeSet<(String, SystemId)>,
    first_owner: BTreeMap<String, SystemId>,
    errors: Vec<String>,
}

impl Env<'_> {
    fn system(&self, id: SystemId) -> &str {
        &self.spec.system(id).name.value
    }

    /// `name` is `what`; `owner` is the system it is derived for. Two
    /// systems sharing a variable are the shared name check's to report
    /// (`distinct`), at both systems; one system wanting a variable for two
    /// roles is an error here.
    fn claim(&mut self, owner: Option<SystemId>, name: String, what: String) -> String {
        if let Some(owner) = owner {
            self.first_owner.entry(name.clone()).or_insert(owner);
            self.owners.insert((name.clone(), owner));
        }
        match self.used.get(&name) {
            Some(other) if *other != what && !self.shared(&name, owner) => self.errors.push(format!(
                "the environment variable {name} would be both {other} and {what}; rename a system or its `secret`"
            )),
            Some(_) => {}
            None => {
                self.used.insert(name.clone(), what);
            }
        }
        name
    }

    /// Whether `name` is claimed by a system other than `owner` too.
    fn shared(&self, name: &str, owner: Option<SystemId>) -> bool {
        owner.is_some() && self.first_owner.get(name).is_some_and(|o| Some(*o) != owner)
    }

    /// Every variable claimed for a system, to the shared name check.
    fn claim_all(&self, spec: &Spec, claims: &mut Claims) {
        for (name, owner) in &self.owners {
            claims.claim("environment variable", Case::Sensitive, name, "system", &spec.system(*owner).name);
        }
    }

    fn base(&self, id: SystemId) -> String {
        self.bases.get(self.system(id)).cloned().unwrap_or_else(|| "S".into())
    }

    fn url(&mut self, id: SystemId) -> String {
        let name = format!("{}_URL", self.base(id));
        let what = format!("the base URL of {}{}", self.system(id), suggested_url(self.spec, id));
        self.claim(Some(id), name, what)
    }

    /// The credential sent to a system: its `secret`, when that is a plain
    /// environment-variable name.
    fn token(&mut self, id: SystemId) -> Option<String> {
        let secret = self.spec.system(id).secret.as_ref()?;
        if !names::is_env_name(&secret.value) {
            return None;
        }
        let what = format!("the token sent to {} (Authorization: Bearer)", self.system(id));
        Some(self.claim(Some(id), secret.value.to_string(), what))
    }

    fn webhook_token(&mut self, id: SystemId) -> String {
        let name = format!("{}_WEBHOOK_TOKEN", self.base(id));
        let what = format!("the bearer token {} must send with its webhooks", self.system(id));
        self.claim(Some(id), name, what)
    }

    fn webhook_secret(&mut self, id: SystemId, env: &str) -> String {
        let what = format!("the secret {} signs its webhooks with", self.system(id));
        self.claim(Some(id), env.to_owned(), what)
    }
}

fn suggested_url(spec: &Spec, id: SystemId) -> String {
    match &spec.system(id).url {
        Some(url) => format!(" (the spec gives {})", url.value.as_str()),
        None => String::new(),
    }
}

/// Reads the spec into a `Hub`, noting every flow it leaves out and every
/// default it uses.
///
/// `what` names the backend in the note about scheduled flows ("a hub").
/// Every identifier it derives from a spec name is claimed in `claims`.
pub(super) fn plan(spec: &Spec, emitted: &mut Emitted, what: &str, claims: &mut Claims) -> Hub {
    let bases = names::env_bases(spec.systems.iter().map(|s| s.name.value.as_str()));
    let mut env = Env {
        spec,
        bases,
        used: BTreeMap::new(),
        owners: Default::default(),
        first_owner: BTreeMap::new(),
        errors: Vec::new(),
    };
    let note = |emitted: &mut Emitted, flow: &Flow, message: String| {
        emitted.notes.push(Note { flow: Some(flow.name.value.to_string()), message });
    };

    // The events that trigger carried flows, in spec order, each once.
    let mut events: Vec<EventId> = Vec::new();
    let mut carried: Vec<FlowId> = Vec::new();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        match flow.trigger.as_ref().map(|t| &t.kind) {
            Some(TriggerKind::On { event }) => {
                let Some(event) = event.target else { continue };
                if !events.contains(&event) {
                    events.push(event);
                }
                carried.push(id);
            }
            Some(TriggerKind::Poll { system, .. }) if system.target.is_some() => carried.push(id),
            Some(TriggerKind::Schedule { .. }) => note(
                emitted,
                flow,
                format!("not emitted: a scheduled batch flow belongs to an ELT pipeline (`--target etl`), not {what}"),
            ),
            _ => note(emitted, flow, "not emitted: its trigger does not resolve".into()),
        }
    }
    let slugs = names::slugs(events.iter().map(|e| spec.event(*e).name.value.as_str()));
    let mut endpoints: Vec<Endpoint> = Vec::new();
    for &event_id in &events {
        let event = spec.event(event_id);
        let Some(producer) = event.from.as_ref().and_then(|f| f.target) else { continue };
        let system = spec.system(producer);
        let auth = match &system.webhook_signature {
            Some(sig) if sig.header.is_some() && sig.secret.is_some() => {
                let secret = sig.secret.as_ref().map(|s| s.value.to_string()).unwrap_or_default();
                Auth::Hmac {
                    env: env.webhook_secret(producer, &secret),
                    header: sig.header.as_ref().map(|h| h.value.to_ascii_lowercase()).unwrap_or_default(),
                    algorithm: match sig.scheme.as_ref().map(|s| s.value) {
                        Some(SignatureScheme::HmacSha1) => "sha1",
                        _ => "sha256",
                    },
                    encoding: match sig.encoding.as_ref().map(|e| e.value) {
                        Some(SignatureEncoding::Base64) => "base64",
                        _ => "hex",
                    },
                    prefix: sig.prefix.as_ref().map(|p| p.value.to_string()).unwrap_or_default(),
                }
            }
            _ => Auth::Bearer { env: env.webhook_token(producer) },
        };
        let slug = slugs.get(event.name.value.as_str()).cloned().unwrap_or_default();
        // Node-RED matches routes ignoring case.
        claims.claim("webhook path", Case::Insensitive, &format!("/hooks/{slug}"), "event", &event.name);
        claims.claim(
            "Node-RED node id",
            Case::Sensitive,
            &flows::endpoint_id(&event.name.value, "in"),
            "event",
            &event.name,
        );
        endpoints.push(Endpoint {
            event: event.name.value.to_string(),
            slug,
            producer: system.name.value.to_string(),
            auth,
            flows: Vec::new(),
        });
    }

    let mut flows = Vec::new();
    for id in carried {
        let flow = spec.flow(id);
        let trigger = match flow.trigger.as_ref().map(|t| &t.kind) {
            Some(TriggerKind::On { event }) => {
                let name = event.target.map(|e| spec.event(e).name.value.as_str());
                let Some(index) = endpoints.iter().position(|e| Some(e.event.as_str()) == name) else {
                    note(emitted, flow, "not emitted: its event's producer does not resolve".into());
                    continue;
                };
                endpoints[index].flows.push(flows.len());
                let producer = event.target.and_then(|e| spec.event(e).from.as_ref()?.target);
                if producer.is_some_and(|p| !spec.system(p).has_webhooks()) {
                    let url = format!("/hooks/{}", endpoints[index].slug);
                    note(
                        emitted,
                        flow,
                        format!(
                            "its event's producer does not say `webhooks #true`; POST {url} waits for whatever \
                             sends the event"
                        ),
                    );
                }
                HubTrigger::Webhook(index)
            }
            Some(TriggerKind::Poll { system: polled, entity, every, path, cursor }) => {
                let Some(system) = polled.target else { continue };
                let entity_name = entity.as_ref().map(|e| e.name.value.as_str());
                let path = match path {
                    Some(p) => p.value.to_string(),
                    None => {
                        let path = default_path(entity_name);
                        note(emitted, flow, format!("polls GET {path} (no `path=` on `poll`; the default)"));
                        path
                    }
                };
                let declared = entity.as_ref().and_then(|e| e.target).map(|e| &spec.entity(e).fields);
                let cursor = match cursor {
                    Some(c)
                        if declared.is_some_and(|f| !f.is_empty() && !f.iter().any(|f| f.name.value == c.value)) =>
                    {
                        note(
                            emitted,
                            flow,
                            format!(
                                "keeps its place by {:?}, which its entity does not declare as a field",
                                c.value.as_str()
                            ),
                        );
                        c.value.to_string()
                    }
                    Some(c) => c.value.to_string(),
                    None => {
                        note(
                            emitted,
                            flow,
                            format!(
                                "keeps its place by the field {DEFAULT_CURSOR:?} (no `cursor=` on `poll`; the default)"
                            ),
                        );
                        DEFAULT_CURSOR.into()
                    }
                };
                HubTrigger::Poll(Poll {
                    system: env.system(system).to_owned(),
                    url_env: env.url(system),
                    token_env: env.token(system),
                    path,
                    cursor,
                    every: every.as_ref().map_or(Duration::from_secs(900), |e| e.value),
                })
            }
            _ => continue,
        };
        let mut targets = Vec::new();
        for (index, target) in flow.targets.iter().enumerate() {
            // Language 1.1: a `to` may have its own key and retries, which
            // override the flow's.
            let key = flow.key_for(index).map(|k| k.name.value.to_string());
            let Some(system) = target.system.target else { continue };
            let action = target.action.as_ref().map(|a| a.value);
            let entity_name = target.entity.as_ref().map(|e| e.name.value.as_str());
            let request = target.request.as_ref();
            let given_method = request.and_then(|r| r.method.as_ref()).map(|m| m.value.as_str());
            let given_path = request.and_then(|r| r.path.as_ref()).map(|p| p.value.to_string());
            let method = given_method.unwrap_or_else(|| default_method(action).as_str());
            let path = given_path.clone().unwrap_or_else(|| default_path(entity_name));
            if given_method.is_none() || given_path.is_none() {
                let action = action.map_or("write", Action::as_str);
                note(
                    emitted,
                    flow,
                    format!(
                        "sends {method} {path} to {:?} (the default for `{action}`; say `request method=... path=...` \
                         in the `to`)",
                        env.system(system)
                    ),
                );
            }
            let mut fields: Vec<(String, FieldSource)> = Vec::new();
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
                note(
                    emitted,
                    flow,
                    format!("sends the trigger's payload to {:?} as it came (no `map` or `set`)", env.system(system)),
                );
            }
            let retry = target.retry.as_deref().or(flow.retry.as_ref());
            let attempts = match retry {
                Some(r) => r.attempts.as_ref().map_or(DEFAULT_ATTEMPTS, |a| a.value),
                None => 1,
            };
            targets.push(HubTarget {
                system: env.system(system).to_owned(),
                url_env: env.url(system),
                token_env: env.token(system),
                method,
                path,
                fields,
                key,
                attempts,
                exponential: retry.and_then(|r| r.backoff.as_ref()).is_none_or(|b| b.value == Backoff::Exponential),
                initial: retry.and_then(|r| r.initial.as_ref()).map_or(DEFAULT_INITIAL, |d| d.value),
                max: retry.and_then(|r| r.max.as_ref()).map_or(DEFAULT_MAX, |d| d.value),
            });
        }
        if flow.dead_letter.is_none() {
            note(emitted, flow, "has no `dead-letter`: a delivery that fails every attempt is dropped".into());
        }
        claims.claim("Node-RED node id", Case::Sensitive, &flows::tab_id_of(&flow.name.value), "flow", &flow.name);
        emitted.built.push(id);
        flows.push(HubFlow {
            name: flow.name.value.to_string(),
            trigger,
            targets,
            log: flow.log.is_some(),
            dead_letter: flow.dead_letter.is_some(),
        });
    }
    env.claim_all(spec, claims);
    emitted.errors.append(&mut env.errors);
    Hub { endpoints, flows, env: env.used }
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
