//! `meltano/meltano.yml`: every plugin declared in full (namespace, pinned
//! `pip_url`, executable, capabilities, settings), so Meltano resolves the
//! project without its Hub; a base extractor per source system and one per
//! flow inheriting from it with the flow's `select`; a loader per
//! warehouse; a job and a schedule per flow. Stream names are clean
//! identifiers (`[A-Za-z0-9_-]`), so a `select` pattern holds no glob character. Every setting's value is an
//! environment variable (`${NAME}`, which Meltano expands), never a literal;
//! a spec name in a config value has its `$` escaped (`escape::meltano_value`).

use super::yaml::{self, Yaml};
use super::{Etl, LOADED_AT};
use crate::escape::meltano_value;

pub(super) fn render(etl: &Etl) -> String {
    let mut extractors = Vec::new();
    for e in &etl.extractors {
        let tap = e.tap;
        let mut config = Yaml::map();
        for (setting, var) in &e.env_settings {
            config = config.with(setting, format!("${{{var}}}"));
        }
        if tap.key.is_empty() {
            config = config.with("auth_method", "bearer_token");
            let streams: Vec<Yaml> = e
                .streams
                .iter()
                .map(|s| {
                    Yaml::map()
                        .with("name", &s.name)
                        .with("path", &s.path)
                        .with("records_path", "$[*]")
                        .with("primary_keys", s.key.iter().map(|k| Yaml::from(meltano_value(k))).collect::<Vec<_>>())
                        .with_some("replication_key", s.cursor.as_deref().map(meltano_value))
                })
                .collect();
            config = config.with("streams", streams);
        }
        let settings: Vec<Yaml> = tap
            .settings
            .iter()
            .map(|s| {
                let kind = if s.name == "start_date" { "date_iso8601" } else { "string" };
                Yaml::map().with("name", s.name).with("kind", kind).with("sensitive", s.sensitive)
            })
            .chain(tap.key.is_empty().then(|| Yaml::map().with("name", "auth_method").with("kind", "string")))
            .chain(tap.key.is_empty().then(|| Yaml::map().with("name", "streams").with("kind", "array")))
            .collect();
        extractors.push(
            Yaml::map()
                .with("name", &e.name)
                .with("label", &e.system)
                .with("namespace", tap.namespace)
                .with("pip_url", tap.pip_url)
                .with("executable", tap.executable)
                .with("capabilities", vec!["catalog".into(), "discover".into(), "state".into()])
                .with("settings", settings)
                .with("config", config)
                .with("load_schema", &e.schema),
        );
    }
    for p in &etl.pipelines {
        let mut extractor = Yaml::map()
            .with("name", &p.extractor)
            .with("inherit_from", &p.base)
            .with("select", vec![Yaml::from(format!("{}.*", p.stream))]);
        if let Some(cursor) = &p.cursor {
            extractor = extractor.with(
                "metadata",
                Yaml::map().with(
                    &p.stream,
                    Yaml::map()
                        .with("replication-method", "INCREMENTAL")
                        .with("replication-key", meltano_value(cursor)),
                ),
            );
        }
        extractors.push(extractor);
    }
    let loaders: Vec<Yaml> = etl
        .loaders
        .iter()
        .map(|l| {
            let engine = l.engine;
            let mut config = Yaml::map();
            for (setting, var) in &l.env_settings {
                config = config.with(setting, format!("${{{var}}}"));
            }
            config =
                config.with(engine.schema_setting, "$MELTANO_EXTRACT__LOAD_SCHEMA").with(engine.metadata_setting, true);
            let settings: Vec<Yaml> = engine
                .settings
                .iter()
                .map(|s| Yaml::map().with("name", s.name).with("kind", "string").with("sensitive", s.sensitive))
                .chain([
                    Yaml::map().with("name", engine.schema_setting).with("kind", "string"),
                    Yaml::map().with("name", engine.metadata_setting).with("kind", "boolean"),
                ])
                .collect();
            Yaml::map()
                .with("name", &l.name)
                .with("label", &l.system)
                .with("namespace", engine.namespace)
                .with("pip_url", engine.pip_url)
                .with("executable", engine.loader)
                .with("dialect", engine.dbt_type)
                .with("settings", settings)
                .with("config", config)
        })
        .collect();
    let jobs: Vec<Yaml> = etl
        .pipelines
        .iter()
        .map(|p| {
            let tasks: Vec<Yaml> = p.loaders.iter().map(|l| Yaml::from(format!("{} {l}", p.extractor))).collect();
            Yaml::map().with("name", &p.job).with("tasks", tasks)
        })
        .collect();
    let schedules: Vec<Yaml> = etl
        .pipelines
        .iter()
        .map(|p| Yaml::map().with("name", &p.job).with("job", &p.job).with("interval", &p.cron))
        .collect();
    let doc = Yaml::map()
        .with("requires_meltano", ">=4.4,<5")
        .with("project_id", &etl.project_id)
        .with("send_anonymous_usage_stats", false)
        .with("default_environment", "prod")
        .with("environments", vec![Yaml::map().with("name", "dev"), Yaml::map().with("name", "prod")])
        .with("plugins", Yaml::map().with("extractors", extractors).with("loaders", loaders))
        .with("jobs", jobs)
        .with("schedules", schedules);
    yaml::render(
        &[
            "Generated by `wireplan build --target etl`: do not edit by hand; change the spec and build again.",
            &format!("Loaders add the {LOADED_AT} column that dbt's source freshness reads."),
        ],
        &doc,
    )
}
