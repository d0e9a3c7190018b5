//! The ETL backend: a Meltano project that extracts and loads, and a dbt
//! project that models and tests, for every flow that a `schedule` or a
//! `poll` carries into a `warehouse` or `lake` system (the data-warehouse
//! pattern). Flows set off by events, and flows into business tools, are
//! build notes: the hub and broker targets carry those.
//!
//! As in the hub backend, `plan` first decides everything into an `Etl`,
//! in named steps (`plan.rs`, then `pipelines.rs` per flow):
//! one extractor per source system (a known Singer tap from `TAPS` where one
//! fits the system's name, else the generic REST tap), one loader per
//! warehouse (its engine read from the warehouse's name or URL, DuckDB by
//! default), one job and schedule per flow (a five-field cron by
//! `crate::cron`: a `cron=` written in numbers, an `every` rounded down to
//! a cron step where it is not one), a source table per extracted entity
//! with its freshness and tests, and a model per flow target. `meltano`,
//! `dbt` and `readme` then write the files; a model's file is named after
//! the model (`dbt/models/marts/<model>.sql`), an identifier claimed like
//! every other, so two names never share a path. Spec names
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
mod pipelines;
mod plan;
mod readme;
mod taps;
mod yaml;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::emit::distinct::Claims;
use crate::emit::{Artifact, Emitted, Input};
use crate::model::{Constant, FieldType};

pub(crate) use taps::{Engine, Tap};

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
    /// `None`: (1.2) the flow is run by hand (`manual`), with no schedule.
    pub(crate) cron: Option<String>,
    /// What the schedule was written as, for the README.
    pub(crate) schedule: String,
}

/// A source table's freshness: warn and error after, and why.
#[derive(Debug)]
pub(crate) struct Freshness {
    pub(crate) warn_after: Duration,
    pub(crate) error_after: Duration,
    /// Why the freshness is what it is, for the README.
    pub(crate) from: String,
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
    /// `None`: only flows run by hand (`manual`, since 1.2) load it, and
    /// none says its `latency`: no age is too old.
    pub(crate) freshness: Option<Freshness>,
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
    let etl = plan::plan(input.spec, &mut emitted, &mut claims);
    emitted.diagnostics.extend(claims.check());
    emitted.notes.sort();
    emitted.notes.dedup();
    if !emitted.errors.is_empty() || !emitted.diagnostics.is_empty() {
        return emitted;
    }
    let mut push = |path: &str, text: String| emitted.artifacts.push(Artifact::new(path, text));
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
    emitted.artifacts.push(Artifact::new(README_PATH, readme));
    emitted
}
