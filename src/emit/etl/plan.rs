//! Reading the spec into an `Etl`, as a pipeline of named steps on one
//! `Planner` (sqlc's `Generate` is built the same way): which flows the
//! target carries (`carried`), an extractor per source system
//! (`extractors`), a loader per warehouse (`loaders`), dbt's own variables
//! (`dbt_env`), then per carried flow its pipeline, source table and models
//! (`pipelines.rs`). Each step notes the defaults it uses and claims every
//! identifier it derives from a name; the environment variables go through
//! the build's registry (`emit::env`).

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::time::Duration;

use super::taps::{self, ENGINES, Engine, GENERIC, SettingEnv, TAPS, Tap};
use super::{Etl, Extractor, Loader, Model, Pipeline, Table};
use crate::emit::distinct::{Case, Claims};
use crate::emit::env::Env;
use crate::emit::names;
use crate::emit::{Emitted, Note};
use crate::model::{EntityId, Flow, Name, Spec, SystemId, SystemKind, TriggerKind};

/// The poll interval when a `poll` gives none (the hub's default too).
pub(super) const DEFAULT_POLL: Duration = Duration::from_secs(900);

/// A flow the target carries, and which of its targets.
pub(super) struct Carried<'s> {
    pub(super) flow: &'s Flow,
    pub(super) source: SystemId,
    pub(super) entity_name: String,
    /// Where the trigger names the entity.
    pub(super) entity_ref: &'s Name,
    pub(super) entity: Option<EntityId>,
    pub(super) cursor: Option<String>,
    pub(super) every: Option<Duration>,
    pub(super) cron: Option<&'s str>,
    /// (1.2) Run by hand (`manual`): a job with no schedule.
    pub(super) manual: bool,
    /// Indexes of its targets into a `warehouse` or `lake`.
    pub(super) targets: Vec<usize>,
}

/// What the steps share: the spec, where notes, claims and variables go,
/// and the `Etl` as it is made.
pub(super) struct Planner<'a, 's> {
    pub(super) spec: &'s Spec,
    pub(super) emitted: &'a mut Emitted,
    pub(super) claims: &'a mut Claims,
    pub(super) env: Env<'s>,
    /// Systems and flows as lower-case identifiers.
    system_idents: BTreeMap<String, String>,
    pub(super) flow_idents: BTreeMap<String, String>,
    pub(super) extractors: Vec<Extractor>,
    pub(super) extractor_of: BTreeMap<SystemId, usize>,
    pub(super) loaders: Vec<Loader>,
    pub(super) loader_of: BTreeMap<SystemId, usize>,
    pub(super) engines: Vec<&'static Engine>,
    pub(super) pipelines: Vec<Pipeline>,
    pub(super) tables: Vec<Table>,
    pub(super) models: Vec<Model>,
    /// Indexes that keep planning linear in the flows: each table by its
    /// source and name, the generic streams each extractor has, the model
    /// and staging names taken, and the key of the first event a system
    /// publishes about each entity.
    pub(super) table_of: FxHashMap<(String, String), usize>,
    pub(super) streams_of: FxHashSet<(usize, String)>,
    pub(super) model_names: FxHashSet<String>,
    pub(super) event_keys: FxHashMap<(SystemId, String), String>,
}

/// The key of the first event (in spec order) that each system publishes
/// about each of its entities and that names a key.
fn event_keys(spec: &Spec) -> FxHashMap<(SystemId, String), String> {
    let mut keys = FxHashMap::default();
    for e in &spec.events {
        let (Some(system), Some(entity), Some(key)) =
            (e.from.as_ref().and_then(|f| f.target), e.entity.as_ref(), e.key.as_ref())
        else {
            continue;
        };
        keys.entry((system, entity.name.value.to_string())).or_insert_with(|| key.name.value.to_string());
    }
    keys
}

/// Reads the spec into an `Etl`, noting every flow it leaves out and every
/// default it uses, and claiming every identifier it derives from a name in
/// `claims`. dbt's names, and DuckDB's and BigQuery's identifiers, ignore
/// case; Meltano's plugin and job names become file and table names too.
pub(super) fn plan(spec: &Spec, emitted: &mut Emitted, claims: &mut Claims) -> Etl {
    let stack = spec.stack.as_ref().and_then(|s| s.name.as_ref()).map(|n| n.value.to_string());
    let project_base = stack.as_deref().unwrap_or("warehouse");
    let project = format!("wireplan_{}", idents([project_base]).remove(project_base).unwrap_or_default());
    let mut planner = Planner {
        spec,
        emitted,
        claims,
        env: Env::new(spec),
        system_idents: idents(spec.systems.iter().map(|s| s.name.value.as_str())),
        flow_idents: idents(spec.flows.iter().map(|f| f.name.value.as_str())),
        extractors: Vec::new(),
        extractor_of: BTreeMap::new(),
        loaders: Vec::new(),
        loader_of: BTreeMap::new(),
        engines: Vec::new(),
        pipelines: Vec::new(),
        tables: Vec::new(),
        models: Vec::new(),
        table_of: FxHashMap::default(),
        streams_of: FxHashSet::default(),
        model_names: FxHashSet::default(),
        event_keys: event_keys(spec),
    };
    let carried = planner.carried();
    planner.extractors(&carried);
    planner.loaders(&carried);
    let duckdb_env = planner.dbt_env();
    planner.pipelines(&carried);
    if carried.is_empty() {
        planner.emitted.notes.push(Note {
            flow: None,
            message: "no flow is carried: the ETL target loads `schedule` and `poll` flows into `warehouse` or `lake` \
                      systems"
                .into(),
        });
    }
    let Planner { env, claims, emitted, extractors, loaders, pipelines, tables, models, engines, .. } = planner;
    Etl {
        project_id: project_id(&project),
        project,
        stack,
        extractors,
        loaders,
        pipelines,
        tables,
        models,
        duckdb_env,
        engines,
        env: env.finish(claims, emitted),
    }
}

impl<'s> Planner<'_, 's> {
    pub(super) fn note(&mut self, flow: &Flow, message: String) {
        self.emitted.notes.push(Note { flow: Some(flow.name.value.to_string()), message });
    }

    /// The system `id` as a lower-case identifier.
    pub(super) fn ident(&self, id: SystemId) -> String {
        self.system_idents.get(self.env.system(id)).cloned().unwrap_or_else(|| "s".into())
    }

    /// The flows carried: triggered by a `schedule` (from its `from`) or a
    /// `poll`, naming an entity, into at least one `warehouse` or `lake`; a
    /// note for every other flow, and for targets left to the hub.
    fn carried(&mut self) -> Vec<Carried<'s>> {
        let spec = self.spec;
        let mut carried = Vec::new();
        for id in spec.flow_ids() {
            let flow = spec.flow(id);
            if let Some(runner) = flow.runner() {
                self.note(flow, crate::emit::run_by_note(runner));
                continue;
            }
            // A `read` of a warehouse loads nothing: it is left to the hub
            // with the flow's other targets (noted below).
            let into_storage: Vec<usize> =
                (0..flow.targets.len()).filter(|&i| flow.targets[i].loads_storage(spec)).collect();
            let manual = flow.runs_by_hand();
            let (source, entity, cursor, every, cron) = match flow.trigger.as_ref().map(|t| &t.kind) {
                Some(TriggerKind::Schedule(schedule)) => {
                    let crate::model::Schedule { every, cron, manual: _ } = &**schedule;
                    let from = flow.from.as_deref();
                    (
                        from.and_then(|f| f.system.target),
                        from.and_then(|f| f.entity.as_ref()),
                        None,
                        every.as_ref().map(|e| e.value),
                        cron.as_ref().map(|c| c.value.as_str()),
                    )
                }
                Some(TriggerKind::Poll(poll)) => (
                    poll.system.target,
                    poll.entity.as_ref(),
                    poll.cursor.as_ref().map(|c| c.value.to_string()),
                    Some(poll.every.as_ref().map_or(DEFAULT_POLL, |e| e.value)),
                    None,
                ),
                Some(TriggerKind::On { .. }) => {
                    let message = if into_storage.is_empty() {
                        "not emitted: an event-triggered flow into a business tool belongs to `--target hub` or \
                         `--target broker`, not an ELT pipeline"
                    } else {
                        "not emitted: it streams events into the warehouse; an ELT pipeline loads in batches \
                         (`schedule` or `poll`), so `--target broker` carries it"
                    };
                    self.note(flow, message.into());
                    continue;
                }
                None => {
                    self.note(flow, "not emitted: it has no trigger".into());
                    continue;
                }
            };
            if into_storage.is_empty() {
                // A poll into business tools is the hub's; a batch job into
                // them (a reverse ETL) is no target's.
                let message = if matches!(flow.trigger.as_ref().map(|t| &t.kind), Some(TriggerKind::Poll(_))) {
                    "not emitted: it writes no `warehouse` or `lake` system; `--target hub` carries it".to_owned()
                } else {
                    crate::emit::reverse_etl_note(manual)
                };
                self.note(flow, message);
                continue;
            }
            let Some(source) = source else {
                self.note(flow, "not emitted: its source system does not resolve".into());
                continue;
            };
            let Some(entity) = entity else {
                self.note(flow, "not emitted: it names no `entity=` to extract".into());
                continue;
            };
            if into_storage.len() < flow.targets.len() {
                let message = "only its `warehouse`/`lake` targets are loaded; the others belong to `--target hub`";
                self.note(flow, message.into());
            }
            self.emitted.built.push(id);
            carried.push(Carried {
                flow,
                source,
                entity_name: entity.name.value.to_string(),
                entity_ref: &entity.name,
                entity: entity.target,
                cursor,
                every,
                cron,
                manual,
                targets: into_storage,
            });
        }
        carried
    }

    /// An extractor per source system, in the order flows first use them:
    /// a known tap by the system's name, else the generic REST tap (noted).
    fn extractors(&mut self, carried: &[Carried<'s>]) {
        for c in carried {
            if self.extractor_of.contains_key(&c.source) {
                continue;
            }
            let system = self.spec.system(c.source);
            let tap = tap_of(self.spec, c.source);
            let name = system.name.value.as_str();
            if tap.key.is_empty() {
                self.emitted.notes.push(Note {
                    flow: None,
                    message: format!(
                        "{name:?} has no known Singer tap; it is read with the generic REST tap {} (set its streams' \
                         paths if they differ)",
                        tap.executable
                    ),
                });
            }
            let mut env_settings = Vec::new();
            for setting in tap.settings {
                let what = setting_text(name, setting, tap.executable);
                let what = match (&setting.env, &system.url) {
                    (SettingEnv::Suffix("URL"), Some(url)) => format!("{what}; the spec gives {}", url.value),
                    _ => what,
                };
                env_settings.push((setting.name.to_owned(), self.setting_var(c.source, setting, what)));
            }
            let ident = self.ident(c.source);
            self.claims.claim("dbt source", Case::Insensitive, &ident, "system", &system.name);
            let plugin = format!("tap-{}", ident.replace('_', "-"));
            self.claims.claim("Meltano plugin", Case::Insensitive, &plugin, "system", &system.name);
            self.extractor_of.insert(c.source, self.extractors.len());
            self.extractors.push(Extractor {
                system: name.to_owned(),
                name: plugin,
                tap,
                schema: format!("raw_{ident}"),
                source: ident,
                env_settings,
                streams: Vec::new(),
            });
        }
    }

    /// A loader per warehouse, in the order flows first use them, with its
    /// engine (by its name or URL, DuckDB by default, noted); the engines
    /// the project names, each once.
    fn loaders(&mut self, carried: &[Carried<'s>]) {
        for c in carried {
            for &t in &c.targets {
                let Some(id) = c.flow.targets[t].system.target else { continue };
                if self.loader_of.contains_key(&id) {
                    continue;
                }
                let system = self.spec.system(id);
                let name = system.name.value.as_str();
                let (engine, named) = engine_of(self.spec, id);
                if !named {
                    let message = format!(
                        "{name:?} is loaded with {} (the default: its name and `url` name no other engine)",
                        engine.loader
                    );
                    self.emitted.notes.push(Note { flow: None, message });
                }
                if system.kind() == SystemKind::Lake && !named {
                    let message =
                        format!("{name:?} is a lake; it is written as a DuckDB file, which dbt reads in place");
                    self.emitted.notes.push(Note { flow: None, message });
                }
                let mut env_settings = Vec::new();
                for setting in engine.settings {
                    let what = setting_text(name, setting, engine.loader);
                    env_settings.push((setting.name.to_owned(), self.setting_var(id, setting, what)));
                }
                if !self.engines.iter().any(|e| e.dbt_type == engine.dbt_type) {
                    self.engines.push(engine);
                }
                let plugin = format!("target-{}", self.ident(id).replace('_', "-"));
                self.claims.claim("Meltano plugin", Case::Insensitive, &plugin, "system", &system.name);
                self.loader_of.insert(id, self.loaders.len());
                self.loaders.push(Loader { system: name.to_owned(), name: plugin, engine, env_settings });
            }
        }
    }

    /// The variable of a plugin setting of the system `id`: its `secret` for
    /// the secret setting (when it is a variable's name), else the system's
    /// base and the setting's suffix.
    fn setting_var(&mut self, id: SystemId, setting: &taps::Setting, what: String) -> String {
        let var = match setting.env {
            SettingEnv::Secret => match self.env.secret(id) {
                Some(secret) => secret.to_owned(),
                None => format!("{}_{}", self.env.base(id), setting.fallback),
            },
            SettingEnv::Suffix(suffix) => format!("{}_{suffix}", self.env.base(id)),
        };
        self.env.claim(Some(id), var, what)
    }

    /// dbt's variables: the DuckDB file it reads (a DuckDB loader's path, or
    /// one of its own; DuckDB is always an output) and the output to run.
    fn dbt_env(&mut self) -> String {
        let path = self
            .loaders
            .iter()
            .find(|l| l.engine.dbt_type == "duckdb")
            .and_then(|l| l.env_settings.iter().find(|(s, _)| s == "path"))
            .map(|(_, var)| var.clone());
        let duckdb_env = path.unwrap_or_else(|| {
            let what = "the DuckDB file dbt reads with DBT_TARGET=duckdb".into();
            self.env.claim(None, "DBT_DUCKDB_PATH".into(), what)
        });
        if !self.engines.iter().any(|e| e.dbt_type == "duckdb") {
            self.engines.push(&ENGINES[0]);
        }
        let what = format!("the dbt output to run (default {})", self.engines[0].dbt_type);
        self.env.claim(None, "DBT_TARGET".into(), what);
        duckdb_env
    }
}

/// Lower-case identifiers `[a-z0-9_]` for names, distinct per name (a hash
/// where two would clean alike), never starting with a digit.
pub(super) fn idents<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    names::env_bases(names).into_iter().map(|(name, base)| (name, base.to_ascii_lowercase())).collect()
}

/// What an environment variable is, for the README: the system, the
/// setting, and whether it is a secret.
fn setting_text(system: &str, setting: &taps::Setting, plugin: &str) -> String {
    let secret = if setting.sensitive { "; a secret" } else { "" };
    format!("{system}: {} ({plugin} setting {}{secret})", setting.what, setting.name)
}

/// A stable UUID-shaped id from `name`.
fn project_id(name: &str) -> String {
    let hex = format!("{}{}", names::id(&["wireplan-etl", name]), names::id(&["wireplan-etl-2", name]));
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

/// The engine a warehouse names: by its name, then its URL's scheme; DuckDB
/// when neither names one.
fn engine_of(spec: &Spec, id: SystemId) -> (&'static Engine, bool) {
    let system = spec.system(id);
    let name = system.name.value.to_ascii_lowercase();
    let url = system.url.as_ref().map(|u| u.value.to_ascii_lowercase()).unwrap_or_default();
    for engine in ENGINES {
        if engine.names.iter().any(|n| name.contains(n) || url.starts_with(&format!("{n}:"))) {
            return (engine, true);
        }
    }
    (&ENGINES[0], false)
}

/// The known tap for a source system: by its name (letters and digits only).
fn tap_of(spec: &Spec, id: SystemId) -> &'static Tap {
    let name: String = spec.system(id).name.value.chars().filter(char::is_ascii_alphanumeric).collect();
    let name = name.to_ascii_lowercase();
    TAPS.iter().find(|t| !t.key.is_empty() && name.starts_with(t.key)).unwrap_or(&GENERIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_are_uuid_shaped_and_stable() {
        let id = project_id("wireplan_x");
        assert_eq!(id.len(), 36);
        assert_eq!(id, project_id("wireplan_x"));
        assert_eq!(id.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
    }
}
