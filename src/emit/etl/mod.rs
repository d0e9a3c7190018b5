//! The ETL backend: a Meltano project that extracts and loads, and a dbt
//! project that models and tests, for every flow that a `schedule` or a
//! `poll` carries into a `warehouse` or `lake` system (the data-warehouse
//! pattern). Flows set off by events, and flows into business tools, are
//! build notes: the hub and broker targets carry those.
//!
//! As in the hub backend, `plan` first decides everything into an `Etl`:
//! one extractor per source system (a known Singer tap from `TAPS` where one
//! fits the system's name, else the generic REST tap), one loader per
//! warehouse (its engine read from the warehouse's name or URL, DuckDB by
//! default), one job and schedule per flow (five-field cron, `every`
//! rounded down to a cron step where it is not one), a source table per
//! extracted entity with its freshness and tests, and a model per flow
//! target. `meltano`, `dbt` and `readme` then write the files. Spec names
//! reach YAML only as JSON-quoted strings (`yaml`), SQL only as quoted
//! identifiers or string literals in the dialect of every warehouse engine
//! of the project (`dbt::Dialects`, by `escape::sql`), which refuse what a
//! dialect cannot hold (`sql-unquotable`);
//! environment variables, plugin, schema, source and model names come from
//! the fixed alphabets of `emit::names`. dbt renders its YAML and SQL with
//! Jinja, so a name holding a Jinja delimiter is refused with an error.
//! One project runs on every engine it names, so names fit the tightest
//! engine, PostgreSQL, which keeps 63 bytes of an identifier: a longer model
//! name keeps its start and ends in a hash (`fit`), and where a warehouse is
//! PostgreSQL two column names it would cut alike are a name clash.

mod dbt;
mod meltano;
mod readme;
mod taps;
mod yaml;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::diagnostic::{Diagnostic, SQL_UNQUOTABLE};
use crate::emit::distinct::{Case, Claims};
use crate::emit::names;
use crate::emit::{Artifact, Emitted, Input, Note};
use crate::model::Constant;
use crate::model::{Action, EntityId, FieldType, Flow, Spec, SystemId, SystemKind, TriggerKind};

pub(crate) use taps::{ENGINES, Engine, TAPS, Tap};

pub(crate) const MELTANO_PATH: &str = "meltano/meltano.yml";
pub(crate) const DBT_PROJECT_PATH: &str = "dbt/dbt_project.yml";
pub(crate) const DBT_PROFILES_PATH: &str = "dbt/profiles.yml";
pub(crate) const DBT_SOURCES_PATH: &str = "dbt/models/sources.yml";
pub(crate) const README_PATH: &str = "README.md";

/// The column every loader writes with the time a row was loaded
/// (target-duckdb's `add_metadata_columns`, the Singer SDK targets'
/// `add_record_metadata`): what source freshness is measured on.
pub(crate) const LOADED_AT: &str = "_sdc_batched_at";
/// The schema dbt builds models into.
pub(crate) const MODEL_SCHEMA: &str = "analytics";
/// The poll interval when a `poll` gives none (the hub's default too).
const DEFAULT_POLL: Duration = Duration::from_secs(900);
/// Freshness: warn after this many missed runs, error after that many.
const WARN_RUNS: u32 = 2;
const ERROR_RUNS: u32 = 4;

/// The spec as the ETL target carries it.
#[derive(Debug)]
pub(crate) struct Etl {
    /// The dbt project and profile name: `[a-z][a-z0-9_]*`.
    pub(crate) project: String,
    /// Meltano's `project_id`, derived from the project name (Meltano would
    /// otherwise write a random one into the file).
    pub(crate) project_id: String,
    pub(crate) stack: Option<String>,
    pub(crate) extractors: Vec<Extractor>,
    pub(crate) loaders: Vec<Loader>,
    pub(crate) pipelines: Vec<Pipeline>,
    pub(crate) tables: Vec<Table>,
    pub(crate) models: Vec<Model>,
    /// The environment variable dbt's DuckDB output reads its path from.
    pub(crate) duckdb_env: String,
    /// The engines of the warehouses, in first-seen order (dbt outputs).
    pub(crate) engines: Vec<&'static Engine>,
    /// Every environment variable, with what it is for.
    pub(crate) env: BTreeMap<String, String>,
}

/// One source system: a base extractor that the flows' extractors inherit.
#[derive(Debug)]
pub(crate) struct Extractor {
    pub(crate) system: String,
    /// `tap-<system>`.
    pub(crate) name: String,
    pub(crate) tap: &'static Tap,
    /// `raw_<system>`: where its loader writes, and the dbt source's schema.
    pub(crate) schema: String,
    /// The dbt source name: `<system>` as an identifier.
    pub(crate) source: String,
    /// `(setting, environment variable)`.
    pub(crate) env_settings: Vec<(String, String)>,
    /// For the generic tap: one stream per entity it extracts.
    pub(crate) streams: Vec<GenericStream>,
}

#[derive(Debug)]
pub(crate) struct GenericStream {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) key: Option<String>,
    pub(crate) cursor: Option<String>,
}

/// One warehouse or lake.
#[derive(Debug)]
pub(crate) struct Loader {
    pub(crate) system: String,
    /// `target-<system>`.
    pub(crate) name: String,
    pub(crate) engine: &'static Engine,
    pub(crate) env_settings: Vec<(String, String)>,
}

/// One carried flow: a Meltano job and its schedule.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) flow: String,
    /// The job and schedule name, and the suffix of its extractor.
    pub(crate) job: String,
    /// The flow's own extractor (`<tap>--<job>`), inheriting from `base`.
    pub(crate) extractor: String,
    pub(crate) base: String,
    pub(crate) stream: String,
    pub(crate) cursor: Option<String>,
    pub(crate) loaders: Vec<String>,
    pub(crate) cron: String,
    /// What the schedule was written as, for the README.
    pub(crate) schedule: String,
}

/// A dbt source table: an entity of a source system, as loaded.
#[derive(Debug)]
pub(crate) struct Table {
    /// The dbt source (the system as an identifier) and its schema.
    pub(crate) source: String,
    pub(crate) schema: String,
    pub(crate) system: String,
    pub(crate) entity: String,
    /// The table's dbt name (the entity as an identifier) and the loaded
    /// table's name (the stream).
    pub(crate) name: String,
    pub(crate) identifier: String,
    /// `None`: the entity declares no fields (the staging model selects `*`).
    pub(crate) columns: Option<Vec<Column>>,
    pub(crate) warn_after: Duration,
    pub(crate) error_after: Duration,
    /// Why the freshness is what it is, for the README.
    pub(crate) freshness_from: String,
    /// `stg_<source>__<table>`.
    pub(crate) staging: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) ty: Option<FieldType>,
    pub(crate) unique: bool,
    pub(crate) not_null: bool,
}

/// A model per flow target: the target entity, built from the staging model.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) name: String,
    pub(crate) flow: String,
    pub(crate) warehouse: String,
    pub(crate) entity: String,
    pub(crate) staging: String,
    /// `None`: every staging column as it is (no `map` or `set`).
    pub(crate) columns: Option<Vec<ModelColumn>>,
}

#[derive(Debug)]
pub(crate) struct ModelColumn {
    pub(crate) name: String,
    pub(crate) from: ColumnSource,
    pub(crate) ty: Option<FieldType>,
}

#[derive(Debug)]
pub(crate) enum ColumnSource {
    Column(String),
    Constant(Constant),
}

/// Emits the ETL target's files for `input`.
pub(crate) fn emit(input: &Input<'_>) -> Emitted {
    let mut emitted = Emitted::default();
    let mut claims = Claims::default();
    let etl = plan(input.spec, &mut emitted, &mut claims);
    emitted.diagnostics.extend(claims.check());
    emitted.notes.sort();
    emitted.notes.dedup();
    if !emitted.errors.is_empty() || !emitted.diagnostics.is_empty() {
        return emitted;
    }
    let mut push =
        |path: &str, text: String| emitted.artifacts.push(Artifact { path: path.into(), bytes: text.into_bytes() });
    push(MELTANO_PATH, meltano::render(&etl));
    push(DBT_PROJECT_PATH, dbt::project(&etl));
    push(DBT_PROFILES_PATH, dbt::profiles(&etl));
    push(DBT_SOURCES_PATH, dbt::sources(&etl));
    let dialects = dbt::Dialects::of(&etl.engines);
    for table in &etl.tables {
        push(&format!("dbt/models/staging/{}.sql", table.staging), dbt::staging(table, &dialects));
    }
    for model in &etl.models {
        push(&format!("dbt/models/marts/{}.sql", model.name), dbt::model(model, &dialects));
    }
    let readme = readme::render(&etl, &emitted.notes);
    emitted.artifacts.push(Artifact { path: README_PATH.into(), bytes: readme.into_bytes() });
    emitted
}

/// Lower-case identifiers `[a-z0-9_]` for names, distinct per name (a hash
/// where two would clean alike), never starting with a digit.
fn idents<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    names::env_bases(names).into_iter().map(|(name, base)| (name, base.to_ascii_lowercase())).collect()
}

/// The longest relation name every engine takes: PostgreSQL's identifiers
/// hold 63 bytes (a longer one is cut short, and dbt-postgres refuses to
/// build a model whose name is longer), the shortest limit of the engines
/// (Snowflake's is 255, BigQuery's 1,024, DuckDB has none).
const MAX_RELATION: usize = 63;

/// A model name (`[a-z0-9_]`) that fits `MAX_RELATION`: a longer one keeps
/// its start and ends in a hash of the whole, so distinct names stay
/// distinct and the same name always fits the same way.
fn fit(name: String) -> String {
    if name.len() <= MAX_RELATION {
        return name;
    }
    let hash = &names::id(&["relation", &name])[..8];
    format!("{}_{hash}", cut(&name, MAX_RELATION - hash.len() - 1).trim_end_matches('_'))
}

/// The first `bytes` bytes of `text`, fewer where that would split a
/// character: what PostgreSQL keeps of a longer identifier.
fn cut(text: &str, bytes: usize) -> &str {
    let end = (0..=bytes.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    &text[..end]
}

/// Whether dbt's Jinja could read `text` as a template.
fn has_jinja(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// Environment-variable names, checked for clashes between roles.
struct Env {
    used: BTreeMap<String, String>,
    /// Which system each variable was claimed for (the same one may be
    /// claimed many times).
    owners: std::collections::BTreeSet<(String, SystemId)>,
    first_owner: BTreeMap<String, SystemId>,
    errors: Vec<String>,
}

impl Env {
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
}

/// What an environment variable is, for the README: the system, the
/// setting, and whether it is a secret.
fn setting_text(system: &str, setting: &taps::Setting, plugin: &str) -> String {
    let secret = if setting.sensitive { "; a secret" } else { "" };
    format!("{system}: {} ({plugin} setting {}{secret})", setting.what, setting.name)
}

/// A schedule as Meltano takes it: `(cron, how often it runs)`, noting
/// where an `every` had to be rounded to a cron step.
fn cron_of(every: Option<Duration>, cron: Option<&str>) -> Result<(String, Duration, Option<String>), String> {
    if let Some(expr) = cron {
        let normal = normalize_cron(expr).ok_or_else(|| {
            format!(
                "its cron {expr:?} uses syntax Meltano's schedule does not take (numbers, `*`, `*/n`, `a-b` and \
                 lists only); write it with numbers"
            )
        })?;
        let gap = crate::lint::cron_gap(&normal).unwrap_or(Duration::from_secs(86_400));
        return Ok((normal, gap, None));
    }
    let every = every.unwrap_or(DEFAULT_POLL);
    let minutes = every.as_secs().div_ceil(60).max(1);
    let (cron, period) = if minutes < 60 {
        let step = (1..=minutes).rev().find(|m| 60 % m == 0).unwrap_or(1);
        (if step == 1 { "* * * * *".to_owned() } else { format!("*/{step} * * * *") }, step * 60)
    } else if minutes < 1_440 {
        let hours = minutes / 60;
        let step = (1..=hours).rev().find(|h| 24 % h == 0).unwrap_or(1);
        (if step == 1 { "0 * * * *".to_owned() } else { format!("0 */{step} * * *") }, step * 3_600)
    } else if minutes < 7 * 1_440 {
        ("0 0 * * *".to_owned(), 86_400)
    } else {
        ("0 0 * * 0".to_owned(), 7 * 86_400)
    };
    let period = Duration::from_secs(period);
    let note = (period != every).then(|| {
        format!(
            "runs on cron {cron:?}, every {}, where the spec says every {} (cron has no such step; it runs more often, \
             never less)",
            human(period),
            human(every)
        )
    });
    Ok((cron, period, note))
}

/// A five-field cron with month and day names replaced by numbers, if every
/// field is one Meltano's schema accepts: `*`, `n`, `*/n`, `a-b`, `a/n`, or a
/// list of numbers.
fn normalize_cron(expr: &str) -> Option<String> {
    const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return None;
    }
    let mut out = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let mut text = field.to_ascii_lowercase();
        let names: &[&str] = match i {
            3 => MONTHS,
            4 => DAYS,
            _ => &[],
        };
        for (n, name) in names.iter().enumerate() {
            let number = if i == 3 { n + 1 } else { n };
            text = text.replace(name, &number.to_string());
        }
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        let ok = text == "*"
            || digits(&text)
            || text.split(',').count() > 1 && text.split(',').all(digits)
            || text.split_once(['/', '-']).is_some_and(|(a, b)| (a == "*" || digits(a)) && digits(b));
        if !ok {
            return None;
        }
        out.push(text);
    }
    let cron = out.join(" ");
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build();
    parser.parse(&cron).ok()?;
    Some(cron)
}

/// A duration in the largest unit that divides it: `2d`, `90m`, `45s`.
pub(crate) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs >= size && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
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
    TAPS.iter().find(|t| !t.key.is_empty() && name.starts_with(t.key)).unwrap_or(&taps::GENERIC)
}

/// The fields of an extracted entity, when it declares any.
fn entity_fields(spec: &Spec, entity: Option<EntityId>) -> Option<&[crate::model::Field]> {
    let fields = &spec.entity(entity?).fields;
    (!fields.is_empty()).then_some(fields.as_slice())
}

/// Reads the spec into an `Etl`, noting every flow it leaves out and every
/// default it uses, and claiming every identifier it derives from a name in
/// `claims`. dbt's names, and DuckDB's and BigQuery's identifiers, ignore
/// case; Meltano's plugin and job names become file and table names too.
fn plan(spec: &Spec, emitted: &mut Emitted, claims: &mut Claims) -> Etl {
    let note = |emitted: &mut Emitted, flow: &Flow, message: String| {
        emitted.notes.push(Note { flow: Some(flow.name.value.to_string()), message });
    };
    let stack = spec.stack.as_ref().and_then(|s| s.name.as_ref()).map(|n| n.value.to_string());
    let project_base = stack.as_deref().unwrap_or("warehouse");
    let project = format!("wireplan_{}", idents([project_base]).remove(project_base).unwrap_or_default());
    let system_idents = idents(spec.systems.iter().map(|s| s.name.value.as_str()));
    let flow_slugs = idents(spec.flows.iter().map(|f| f.name.value.as_str()));
    let bases = names::env_bases(spec.systems.iter().map(|s| s.name.value.as_str()));
    let base = |id: SystemId| bases.get(spec.system(id).name.value.as_str()).cloned().unwrap_or_else(|| "S".into());
    let ident =
        |id: SystemId| system_idents.get(spec.system(id).name.value.as_str()).cloned().unwrap_or_else(|| "s".into());
    let mut env =
        Env { used: BTreeMap::new(), owners: Default::default(), first_owner: BTreeMap::new(), errors: Vec::new() };

    // Which flows the target carries, and which of their targets.
    struct Carried<'s> {
        flow: &'s Flow,
        source: SystemId,
        entity_name: String,
        /// Where the trigger names the entity.
        entity_ref: &'s crate::model::Name,
        entity: Option<EntityId>,
        cursor: Option<String>,
        every: Option<Duration>,
        cron: Option<&'s str>,
        targets: Vec<usize>,
    }
    let mut carried: Vec<Carried<'_>> = Vec::new();
    for id in spec.flow_ids() {
        let flow = spec.flow(id);
        let into_storage: Vec<usize> = (0..flow.targets.len())
            .filter(|&i| flow.targets[i].system.target.is_some_and(|s| spec.system(s).kind().is_storage()))
            .collect();
        let (source, entity, cursor, every, cron) = match flow.trigger.as_ref().map(|t| &t.kind) {
            Some(TriggerKind::Schedule { every, cron }) => {
                let from = flow.from.as_deref();
                (
                    from.and_then(|f| f.system.target),
                    from.and_then(|f| f.entity.as_ref()),
                    None,
                    every.as_ref().map(|e| e.value),
                    cron.as_ref().map(|c| c.value.as_str()),
                )
            }
            Some(TriggerKind::Poll { system, entity, every, cursor, .. }) => (
                system.target,
                entity.as_ref(),
                cursor.as_ref().map(|c| c.value.to_string()),
                Some(every.as_ref().map_or(DEFAULT_POLL, |e| e.value)),
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
                note(emitted, flow, message.into());
                continue;
            }
            None => {
                note(emitted, flow, "not emitted: it has no trigger".into());
                continue;
            }
        };
        if into_storage.is_empty() {
            note(
                emitted,
                flow,
                "not emitted: it writes no `warehouse` or `lake` system; `--target hub` carries it".into(),
            );
            continue;
        }
        let Some(source) = source else {
            note(emitted, flow, "not emitted: its source system does not resolve".into());
            continue;
        };
        let Some(entity) = entity else {
            note(emitted, flow, "not emitted: it names no `entity=` to extract".into());
            continue;
        };
        if into_storage.len() < flow.targets.len() {
            note(
                emitted,
                flow,
                "only its `warehouse`/`lake` targets are loaded; the others belong to `--target hub`".into(),
            );
        }
        emitted.built.push(id);
        carried.push(Carried {
            flow,
            source,
            entity_name: entity.name.value.to_string(),
            entity_ref: &entity.name,
            entity: entity.target,
            cursor,
            every,
            cron,
            targets: into_storage,
        });
    }

    // Extractors, one per source system, in the order flows first use them.
    let mut extractors: Vec<Extractor> = Vec::new();
    let mut extractor_of: BTreeMap<SystemId, usize> = BTreeMap::new();
    for c in &carried {
        if extractor_of.contains_key(&c.source) {
            continue;
        }
        let system = spec.system(c.source);
        let tap = tap_of(spec, c.source);
        let name = system.name.value.as_str();
        if tap.key.is_empty() {
            emitted.notes.push(Note {
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
            let var = match setting.env {
                taps::SettingEnv::Secret => match &system.secret {
                    Some(secret) if names::is_env_name(&secret.value) => secret.value.to_string(),
                    _ => format!("{}_{}", base(c.source), setting.fallback),
                },
                taps::SettingEnv::Suffix(suffix) => format!("{}_{suffix}", base(c.source)),
            };
            let what = setting_text(name, setting, tap.executable);
            let what = match (&setting.env, &system.url) {
                (taps::SettingEnv::Suffix("URL"), Some(url)) => format!("{what}; the spec gives {}", url.value),
                _ => what,
            };
            env_settings.push((setting.name.to_owned(), env.claim(Some(c.source), var, what)));
        }
        claims.claim("dbt source", Case::Insensitive, &ident(c.source), "system", &system.name);
        let plugin = format!("tap-{}", ident(c.source).replace('_', "-"));
        claims.claim("Meltano plugin", Case::Insensitive, &plugin, "system", &system.name);
        extractor_of.insert(c.source, extractors.len());
        extractors.push(Extractor {
            system: name.to_owned(),
            name: format!("tap-{}", ident(c.source).replace('_', "-")),
            tap,
            schema: format!("raw_{}", ident(c.source)),
            source: ident(c.source),
            env_settings,
            streams: Vec::new(),
        });
    }

    // Loaders, one per warehouse, in the order flows first use them.
    let mut loaders: Vec<Loader> = Vec::new();
    let mut loader_of: BTreeMap<SystemId, usize> = BTreeMap::new();
    let mut engines: Vec<&'static Engine> = Vec::new();
    for c in &carried {
        for &t in &c.targets {
            let Some(id) = c.flow.targets[t].system.target else { continue };
            if loader_of.contains_key(&id) {
                continue;
            }
            let system = spec.system(id);
            let name = system.name.value.as_str();
            let (engine, named) = engine_of(spec, id);
            if !named {
                emitted.notes.push(Note {
                    flow: None,
                    message: format!(
                        "{name:?} is loaded with {} (the default: its name and `url` name no other engine)",
                        engine.loader
                    ),
                });
            }
            if system.kind() == SystemKind::Lake && !named {
                emitted.notes.push(Note {
                    flow: None,
                    message: format!("{name:?} is a lake; it is written as a DuckDB file, which dbt reads in place"),
                });
            }
            let mut env_settings = Vec::new();
            for setting in engine.settings {
                let var = match setting.env {
                    taps::SettingEnv::Secret => match &system.secret {
                        Some(secret) if names::is_env_name(&secret.value) => secret.value.to_string(),
                        _ => format!("{}_{}", base(id), setting.fallback),
                    },
                    taps::SettingEnv::Suffix(suffix) => format!("{}_{suffix}", base(id)),
                };
                let what = setting_text(name, setting, engine.loader);
                env_settings.push((setting.name.to_owned(), env.claim(Some(id), var, what)));
            }
            if !engines.iter().any(|e| e.dbt_type == engine.dbt_type) {
                engines.push(engine);
            }
            let plugin = format!("target-{}", ident(id).replace('_', "-"));
            claims.claim("Meltano plugin", Case::Insensitive, &plugin, "system", &system.name);
            loader_of.insert(id, loaders.len());
            loaders.push(Loader { system: name.to_owned(), name: plugin, engine, env_settings });
        }
    }
    let duckdb_env = loaders
        .iter()
        .find(|l| l.engine.dbt_type == "duckdb")
        .and_then(|l| l.env_settings.iter().find(|(s, _)| s == "path"))
        .map_or_else(
            || env.claim(None, "DBT_DUCKDB_PATH".into(), "the DuckDB file dbt reads with DBT_TARGET=duckdb".into()),
            |(_, var)| var.clone(),
        );
    if !engines.iter().any(|e| e.dbt_type == "duckdb") {
        engines.push(&ENGINES[0]);
    }
    let dialects = dbt::Dialects::of(&engines);
    // PostgreSQL cuts every identifier to 63 bytes, so two column names that
    // share their first 63 would be one column there (dbt-postgres would
    // fail with "column specified more than once", or a model would read
    // the wrong column): claimed as cut, where a warehouse is PostgreSQL.
    let postgres = engines.iter().any(|e| e.dbt_type == "postgres");
    let claim_column = |claims: &mut Claims, model: &str, name: &crate::model::Name| {
        claims.claim(format!("column of {model}"), Case::Insensitive, &name.value, "field", name);
        if postgres {
            let namespace = format!("PostgreSQL column (the first {MAX_RELATION} bytes of a name) of {model}");
            claims.claim(namespace, Case::Insensitive, cut(&name.value, MAX_RELATION), "field", name);
        }
    };
    let refuse = |emitted: &mut Emitted, what: &str, text: &str, loc: crate::model::Loc| {
        if let Some((dialect, refused)) = dialects.refusal(text, what != "value") {
            emitted.diagnostics.push(
                Diagnostic::new(
                    &SQL_UNQUOTABLE,
                    loc,
                    format!("the {what} {text:?} holds {refused}, which {} SQL cannot quote", dialect.engines()),
                )
                .with_label(format!("holds {refused}"))
                .with_help(
                    "remove the character: the ETL target writes this into SQL, and refuses what it cannot quote",
                ),
            );
        }
    };
    env.claim(None, "DBT_TARGET".into(), format!("the dbt output to run (default {})", engines[0].dbt_type));

    // Pipelines, source tables and models.
    let mut pipelines = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    let mut models: Vec<Model> = Vec::new();
    let entity_idents = idents(carried.iter().map(|c| c.entity_name.as_str()));
    for c in &carried {
        let flow = c.flow;
        let flow_name = flow.name.value.as_str();
        let job = flow_slugs.get(flow_name).cloned().unwrap_or_default().replace('_', "-");
        let extractor = &mut extractors[extractor_of[&c.source]];
        let table_name = entity_idents.get(c.entity_name.as_str()).cloned().unwrap_or_default();
        let stream = extractor
            .tap
            .streams
            .iter()
            .find(|(entity, _)| entity.eq_ignore_ascii_case(&c.entity_name))
            .map(|(_, stream)| (*stream).to_owned())
            .unwrap_or_else(|| {
                // A known tap names its streams after the source's objects
                // (Salesforce's `Account`): keep a clean name as written.
                let clean = c.entity_name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
                if extractor.tap.key.is_empty() {
                    table_name.clone()
                } else if clean {
                    format!("{}{}", extractor.tap.stream_prefix, c.entity_name)
                } else {
                    format!("{}{table_name}", extractor.tap.stream_prefix)
                }
            });
        let fields = entity_fields(spec, c.entity);
        for f in fields.into_iter().flatten() {
            refuse(emitted, "field name", &f.name.value, f.name.loc);
        }
        for target in c.targets.iter().map(|&t| &flow.targets[t]) {
            for map in &target.maps {
                refuse(emitted, "field name", &map.src.name.value, map.src.name.loc);
                if let Some(dst) = &map.dst {
                    refuse(emitted, "field name", &dst.name.value, dst.name.loc);
                }
            }
            for set in &target.sets {
                refuse(emitted, "field name", &set.dst.name.value, set.dst.name.loc);
                if let Some(value) = &set.value
                    && let Constant::String(s) = &value.value
                {
                    refuse(emitted, "value", s, value.loc);
                }
            }
        }
        for name in std::iter::once(c.entity_name.as_str())
            .chain(fields.into_iter().flatten().map(|f| f.name.value.as_str()))
            .chain(
                flow.targets
                    .iter()
                    .flat_map(|t| t.maps.iter().filter_map(|m| m.dst.as_ref()))
                    .map(|d| d.name.value.as_str()),
            )
            .chain(flow.targets.iter().flat_map(|t| t.maps.iter()).map(|m| m.src.name.value.as_str()))
        {
            if has_jinja(name) {
                emitted.errors.push(format!(
                    "flow {flow_name:?}: the name {name:?} holds a Jinja delimiter (`{{{{`, `{{%` or `{{#`), which dbt \
                     would run as a template; rename it"
                ));
            }
        }
        let key = flow.idempotency_key.as_ref().map(|k| k.name.value.to_string()).or_else(|| {
            // The key of an event the source system publishes about the entity.
            spec.events.iter().find_map(|e| {
                let same = e.from.as_ref().and_then(|f| f.target) == Some(c.source)
                    && e.entity.as_ref().is_some_and(|en| en.name.value == c.entity_name);
                same.then(|| e.key.as_ref().map(|k| k.name.value.to_string())).flatten()
            })
        });
        if extractor.tap.key.is_empty() && !extractor.streams.iter().any(|s| s.name == stream) {
            extractor.streams.push(GenericStream {
                name: stream.clone(),
                path: format!(
                    "/{}",
                    names::slugs([c.entity_name.as_str()]).remove(c.entity_name.as_str()).unwrap_or_default()
                ),
                key: key.clone(),
                cursor: c.cursor.clone(),
            });
        }
        let (cron, period, rounded) = match cron_of(c.every, c.cron) {
            Ok(x) => x,
            Err(e) => {
                emitted.errors.push(format!("flow {flow_name:?}: {e}"));
                continue;
            }
        };
        if let Some(message) = rounded {
            note(emitted, flow, message);
        }
        let schedule = match (c.cron, c.every) {
            (Some(cron), _) => format!("cron {cron}"),
            (None, Some(every)) => format!("every {}", human(every)),
            (None, None) => format!("every {}", human(DEFAULT_POLL)),
        };
        let (warn_after, error_after, freshness_from) = match &flow.latency {
            Some(latency) => {
                let error = latency.value;
                let warn = (error / 2).max(period).min(error);
                (warn, error, format!("`latency max={}`", human(error)))
            }
            None => (
                period * WARN_RUNS,
                period * ERROR_RUNS,
                format!("{WARN_RUNS} and {ERROR_RUNS} missed runs of {}", human(period)),
            ),
        };
        let staging = fit(format!("stg_{}__{table_name}", extractor.source));
        match tables.iter_mut().find(|t| t.source == extractor.source && t.name == table_name) {
            Some(table) => {
                if error_after < table.error_after {
                    table.warn_after = warn_after;
                    table.error_after = error_after;
                    table.freshness_from = freshness_from;
                }
                if let (Some(columns), Some(key)) = (&mut table.columns, &key) {
                    for column in columns.iter_mut().filter(|col| col.name == *key) {
                        column.unique = true;
                        column.not_null = true;
                    }
                }
            }
            None => {
                let columns = fields.map(|fields| {
                    fields
                        .iter()
                        .map(|f| {
                            let is_key = key.as_deref() == Some(f.name.value.as_str());
                            Column {
                                name: f.name.value.to_string(),
                                ty: f.ty.as_ref().map(|t| t.value),
                                unique: is_key,
                                not_null: is_key || f.required,
                            }
                        })
                        .collect()
                });
                if columns.is_none() {
                    note(
                        emitted,
                        flow,
                        format!(
                            "its entity {:?} declares no fields: its staging model selects every column as loaded, \
                             untested",
                            c.entity_name
                        ),
                    );
                }
                let namespace = format!("table of dbt source {:?}", extractor.source);
                claims.claim(namespace, Case::Insensitive, &table_name, "entity", c.entity_ref);
                claims.claim("dbt model", Case::Insensitive, &staging, "entity", c.entity_ref);
                for f in fields.into_iter().flatten() {
                    claim_column(claims, &staging, &f.name);
                }
                tables.push(Table {
                    source: extractor.source.clone(),
                    schema: extractor.schema.clone(),
                    system: extractor.system.clone(),
                    entity: c.entity_name.clone(),
                    name: table_name.clone(),
                    identifier: stream.clone(),
                    columns,
                    warn_after,
                    error_after,
                    freshness_from,
                    staging: staging.clone(),
                });
            }
        }
        let mut pipeline_loaders = Vec::new();
        for &t in &c.targets {
            let target = &flow.targets[t];
            let Some(warehouse) = target.system.target else { continue };
            pipeline_loaders.push(loaders[loader_of[&warehouse]].name.clone());
            if target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Delete)) {
                note(emitted, flow, "its `delete` is loaded as rows like any other write".into());
            }
            let target_entity = target.entity.as_ref().map_or(c.entity_name.as_str(), |e| e.name.value.as_str());
            let declared = target.entity.as_ref().and_then(|e| e.target).map(|e| &spec.entity(e).fields);
            let type_of = |name: &str| {
                declared
                    .and_then(|fields| fields.iter().find(|f| f.name.value == name))
                    .and_then(|f| f.ty.as_ref())
                    .map(|t| t.value)
            };
            let source_type = |name: &str| {
                fields
                    .and_then(|fields| fields.iter().find(|f| f.name.value == name))
                    .and_then(|f| f.ty.as_ref())
                    .map(|t| t.value)
            };
            let mut columns = Vec::new();
            let mut column_names: Vec<&crate::model::Name> = Vec::new();
            for map in &target.maps {
                let Some(dst) = &map.dst else { continue };
                column_names.push(&dst.name);
                let src = map.src.name.value.as_str();
                columns.push(ModelColumn {
                    name: dst.name.value.to_string(),
                    from: ColumnSource::Column(src.to_owned()),
                    ty: type_of(&dst.name.value).or_else(|| source_type(src)),
                });
            }
            for set in &target.sets {
                let Some(value) = &set.value else { continue };
                if let Constant::String(s) = &value.value
                    && has_jinja(s)
                {
                    emitted.errors.push(format!(
                        "flow {flow_name:?}: the value {s:?} holds a Jinja delimiter, which dbt would run as a template"
                    ));
                }
                if has_jinja(&set.dst.name.value) {
                    emitted
                        .errors
                        .push(format!("flow {flow_name:?}: the name {:?} holds a Jinja delimiter", set.dst.name.value));
                }
                column_names.push(&set.dst.name);
                columns.push(ModelColumn {
                    name: set.dst.name.value.to_string(),
                    from: ColumnSource::Constant(value.value.clone()),
                    ty: type_of(&set.dst.name.value),
                });
            }
            let base_name = idents([target_entity]).remove(target_entity).unwrap_or_default();
            let taken = |name: &str| models.iter().any(|m| m.name == name) || tables.iter().any(|t| t.staging == name);
            let mut name = fit(base_name.clone());
            if taken(&name) {
                name = fit(format!("{base_name}__{}", ident(warehouse)));
            }
            if taken(&name) {
                name = fit(format!("{name}__{}", flow_slugs.get(flow_name).cloned().unwrap_or_default()));
            }
            let target_ref = target.entity.as_ref().map_or(c.entity_ref, |e| &e.name);
            claims.claim("dbt model", Case::Insensitive, &name, "entity", target_ref);
            for column in column_names {
                claim_column(claims, &name, column);
            }
            models.push(Model {
                name,
                flow: flow_name.to_owned(),
                warehouse: spec.system(warehouse).name.value.to_string(),
                entity: target_entity.to_owned(),
                staging: staging.clone(),
                columns: (!columns.is_empty()).then_some(columns),
            });
        }
        claims.claim("Meltano job", Case::Insensitive, &job, "flow", &flow.name);
        claims.claim("Meltano plugin", Case::Insensitive, &format!("{}--{job}", extractor.name), "flow", &flow.name);
        pipelines.push(Pipeline {
            flow: flow_name.to_owned(),
            extractor: format!("{}--{job}", extractor.name),
            base: extractor.name.clone(),
            job,
            stream,
            cursor: c.cursor.clone(),
            loaders: pipeline_loaders,
            cron,
            schedule,
        });
    }
    if carried.is_empty() {
        emitted.notes.push(Note {
            flow: None,
            message: "no flow is carried: the ETL target loads `schedule` and `poll` flows into `warehouse` or `lake` \
                      systems"
                .into(),
        });
    }
    env.claim_all(spec, claims);
    emitted.errors.append(&mut env.errors);
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
        env: env.used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cron(every: u64) -> (String, u64, bool) {
        let (cron, period, note) = cron_of(Some(Duration::from_secs(every)), None).unwrap();
        (cron, period.as_secs(), note.is_some())
    }

    #[test]
    fn every_becomes_a_cron_step_never_less_often() {
        assert_eq!(cron(60), ("* * * * *".into(), 60, false));
        assert_eq!(cron(30), ("* * * * *".into(), 60, true));
        assert_eq!(cron(300), ("*/5 * * * *".into(), 300, false));
        assert_eq!(cron(900), ("*/15 * * * *".into(), 900, false));
        assert_eq!(cron(45 * 60), ("*/30 * * * *".into(), 1800, true));
        assert_eq!(cron(3_600), ("0 * * * *".into(), 3_600, false));
        assert_eq!(cron(5 * 3_600), ("0 */4 * * *".into(), 4 * 3_600, true));
        assert_eq!(cron(6 * 3_600), ("0 */6 * * *".into(), 6 * 3_600, false));
        assert_eq!(cron(86_400), ("0 0 * * *".into(), 86_400, false));
        assert_eq!(cron(2 * 86_400), ("0 0 * * *".into(), 86_400, true));
        assert_eq!(cron(7 * 86_400), ("0 0 * * 0".into(), 7 * 86_400, false));
    }

    #[test]
    fn cron_names_become_numbers_and_unsupported_syntax_is_refused() {
        assert_eq!(normalize_cron("0 9-17 * * MON-FRI").as_deref(), Some("0 9-17 * * 1-5"));
        assert_eq!(normalize_cron("0 2 * JAN,JUL *").as_deref(), Some("0 2 * 1,7 *"));
        assert_eq!(normalize_cron("0 2 * * *").as_deref(), Some("0 2 * * *"));
        assert_eq!(normalize_cron("0 2 L * *"), None);
        assert_eq!(normalize_cron("0 2 * *"), None);
        assert_eq!(normalize_cron("0 9-17/2 * * *"), None);
        assert_eq!(normalize_cron("99 2 * * *"), None);
    }

    #[test]
    fn model_names_fit_postgres_and_stay_distinct() {
        let long = format!("stg_{}__order", "a".repeat(80));
        let other = format!("stg_{}__order2", "a".repeat(80));
        assert_eq!(fit("stg_shop__order".into()), "stg_shop__order");
        assert_eq!(fit("a".repeat(63)), "a".repeat(63));
        for name in [&long, &other] {
            let fitted = fit(name.clone());
            assert!(fitted.len() <= MAX_RELATION && fitted.starts_with("stg_aaa"), "{fitted}");
            assert_eq!(fitted, fit(name.clone()));
        }
        assert_ne!(fit(long), fit(other));
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("aé", 3), "aé");
        assert_eq!(cut("ab", 63), "ab");
    }

    #[test]
    fn project_ids_are_uuid_shaped_and_stable() {
        let id = project_id("wireplan_x");
        assert_eq!(id.len(), 36);
        assert_eq!(id, project_id("wireplan_x"));
        assert_eq!(id.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
    }
}
