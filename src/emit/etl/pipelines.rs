//! The last step of the ETL plan, per carried flow: what of its names no
//! warehouse's SQL or dbt's Jinja can hold (`refuse_unquotable`,
//! `refuse_jinja`), the stream it extracts and its key (`stream`, `key`),
//! its schedule and freshness (`schedule`, `freshness`), its source table
//! (`table`), a model per warehouse target (`model`), and the Meltano job
//! that runs it (`pipeline`).

use std::time::Duration;

use super::dbt::Dialects;
use super::plan::{Carried, DEFAULT_POLL, Planner, idents};
use super::{Column, ColumnSource, Freshness, GenericStream, Model, ModelColumn, Pipeline, Table};
use crate::diagnostic::{Diagnostic, SQL_UNQUOTABLE};
use crate::emit::distinct::{Case, Claims};
use crate::emit::names;
use crate::model::{Action, Constant, EntityId, Field, Flow, Loc, Name, Spec, SystemId};

/// Freshness: warn after this many missed runs, error after that many.
const WARN_RUNS: u32 = 2;
const ERROR_RUNS: u32 = 4;

/// The longest relation name every engine takes: PostgreSQL's identifiers
/// hold 63 bytes (a longer one is cut short, and dbt-postgres refuses to
/// build a model whose name is longer), the shortest limit of the engines
/// (Snowflake's is 255, BigQuery's 1,024, DuckDB has none).
pub(super) const MAX_RELATION: usize = 63;

/// A flow's schedule: the cron Meltano runs, how often it runs, and what
/// the spec wrote, for the README. No cron and no period: (1.2) the flow
/// is run by hand (`manual`), and its job is run with `meltano run`.
struct Schedule {
    cron: Option<String>,
    period: Option<Duration>,
    written: String,
}

impl<'s> Planner<'_, 's> {
    /// A pipeline, source table and models per carried flow, in spec order.
    pub(super) fn pipelines(&mut self, carried: &[Carried<'s>]) {
        let dialects = Dialects::of(&self.engines);
        // PostgreSQL cuts every identifier to 63 bytes, so two column names
        // that share their first 63 would be one column there (dbt-postgres
        // would fail with "column specified more than once", or a model
        // would read the wrong column): claimed as cut, where a warehouse is
        // PostgreSQL.
        let postgres = self.engines.iter().any(|e| e.dbt_type == "postgres");
        let entity_idents = idents(carried.iter().map(|c| c.entity_name.as_str()));
        for c in carried {
            let table_name = entity_idents.get(c.entity_name.as_str()).cloned().unwrap_or_default();
            self.pipeline(c, &table_name, &dialects, postgres);
        }
    }

    /// One carried flow: its checks, stream, schedule, table and models,
    /// and the job that runs it. A schedule Meltano cannot take is an error,
    /// and the flow is left out.
    fn pipeline(&mut self, c: &Carried<'s>, table_name: &str, dialects: &Dialects, postgres: bool) {
        let flow = c.flow;
        let flow_name = flow.name.value.as_str();
        let job = self.flow_idents.get(flow_name).cloned().unwrap_or_default().replace('_', "-");
        let extractor = self.extractor_of[&c.source];
        let stream = self.stream(extractor, c, table_name);
        let fields = entity_fields(self.spec, c.entity);
        self.refuse_unquotable(c, fields, dialects);
        self.refuse_jinja(c, fields);
        let key = self.key(c);
        let tap = &self.extractors[extractor];
        if tap.tap.key.is_empty() && self.streams_of.insert((extractor, stream.clone())) {
            let path = names::slugs([c.entity_name.as_str()]).remove(c.entity_name.as_str()).unwrap_or_default();
            let generic = GenericStream {
                name: stream.clone(),
                path: format!("/{path}"),
                key: key.clone(),
                cursor: c.cursor.clone(),
            };
            self.extractors[extractor].streams.push(generic);
        }
        let schedule = match self.schedule(c) {
            Ok(schedule) => schedule,
            Err(e) => {
                self.emitted.errors.push(format!("flow {flow_name:?}: {e}"));
                return;
            }
        };
        let freshness = freshness(flow, schedule.period);
        let source = &self.extractors[extractor].source;
        let staging = fit(format!("stg_{source}__{table_name}"));
        self.table(c, extractor, table_name, &stream, fields, key.as_deref(), freshness, &staging, postgres);
        let mut loaders = Vec::new();
        for &t in &c.targets {
            let Some(warehouse) = flow.targets[t].system.target else { continue };
            loaders.push(self.loaders[self.loader_of[&warehouse]].name.clone());
            let model = self.model(c, t, warehouse, &staging, fields, postgres);
            self.model_names.insert(model.name.clone());
            self.models.push(model);
        }
        let extractor = &self.extractors[extractor];
        let plugin = format!("{}--{job}", extractor.name);
        self.claims.claim("Meltano job", Case::Insensitive, &job, "flow", &flow.name);
        self.claims.claim("Meltano plugin", Case::Insensitive, &plugin, "flow", &flow.name);
        self.pipelines.push(Pipeline {
            flow: flow_name.to_owned(),
            extractor: plugin,
            base: extractor.name.clone(),
            job,
            stream,
            cursor: c.cursor.clone(),
            loaders,
            cron: schedule.cron,
            schedule: schedule.written,
        });
    }

    /// The stream the flow's extractor reads: the tap's own for the entity,
    /// else the entity's name (a known tap names its streams after the
    /// source's objects, Salesforce's `Account`: a clean name is kept as
    /// written).
    fn stream(&self, extractor: usize, c: &Carried<'s>, table_name: &str) -> String {
        let tap = self.extractors[extractor].tap;
        if let Some((_, stream)) = tap.streams.iter().find(|(entity, _)| entity.eq_ignore_ascii_case(&c.entity_name)) {
            return (*stream).to_owned();
        }
        let clean = c.entity_name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if tap.key.is_empty() {
            table_name.to_owned()
        } else if clean {
            format!("{}{}", tap.stream_prefix, c.entity_name)
        } else {
            format!("{}{table_name}", tap.stream_prefix)
        }
    }

    /// `sql-unquotable` at every field name and string value of the flow
    /// that the SQL of a warehouse engine of the project cannot quote.
    fn refuse_unquotable(&mut self, c: &Carried<'s>, fields: Option<&[Field]>, dialects: &Dialects) {
        let mut refuse = |what: &str, text: &str, loc: Loc| {
            let Some((dialect, refused)) = dialects.refusal(text, what != "value") else { return };
            let message = format!("the {what} {text:?} holds {refused}, which {} SQL cannot quote", dialect.engines());
            let help = "remove the character: the ETL target writes this into SQL, and refuses what it cannot quote";
            let d = Diagnostic::new(&SQL_UNQUOTABLE, loc, message).with_label(format!("holds {refused}"));
            self.emitted.diagnostics.push(d.with_help(help));
        };
        for f in fields.into_iter().flatten() {
            refuse("field name", &f.name.value, f.name.loc);
        }
        for target in c.targets.iter().map(|&t| &c.flow.targets[t]) {
            for map in &target.maps {
                refuse("field name", &map.src.name.value, map.src.name.loc);
                if let Some(dst) = &map.dst {
                    refuse("field name", &dst.name.value, dst.name.loc);
                }
            }
            for set in &target.sets {
                refuse("field name", &set.dst.name.value, set.dst.name.loc);
                if let Some(value) = &set.value
                    && let Constant::String(s) = &value.value
                {
                    refuse("value", s, value.loc);
                }
            }
        }
    }

    /// An error for every name of the flow that dbt's Jinja would read as a
    /// template: the entity, its fields, and every mapped field.
    fn refuse_jinja(&mut self, c: &Carried<'s>, fields: Option<&[Field]>) {
        let flow = c.flow;
        let targets = &flow.targets;
        for name in std::iter::once(c.entity_name.as_str())
            .chain(fields.into_iter().flatten().map(|f| f.name.value.as_str()))
            .chain(
                targets
                    .iter()
                    .flat_map(|t| t.maps.iter().filter_map(|m| m.dst.as_ref()))
                    .map(|d| d.name.value.as_str()),
            )
            .chain(targets.iter().flat_map(|t| t.maps.iter()).map(|m| m.src.name.value.as_str()))
        {
            if has_jinja(name) {
                self.emitted.errors.push(format!(
                    "flow {:?}: the name {name:?} holds a Jinja delimiter (`{{{{`, `{{%` or `{{#`), which dbt would \
                     run as a template; rename it",
                    flow.name.value.as_str()
                ));
            }
        }
    }

    /// The field that identifies a record: the flow's `idempotency-key`, or
    /// the key of an event the source system publishes about the entity.
    fn key(&self, c: &Carried<'s>) -> Option<String> {
        c.flow
            .idempotency_key
            .as_ref()
            .map(|k| k.name.value.to_string())
            .or_else(|| self.event_keys.get(&(c.source, c.entity_name.clone())).cloned())
    }

    /// The flow's schedule as Meltano takes it, noting where an `every` had
    /// to be rounded to a cron step.
    fn schedule(&mut self, c: &Carried<'s>) -> Result<Schedule, String> {
        if c.manual {
            return Ok(Schedule { cron: None, period: None, written: "by hand".to_owned() });
        }
        let written = match (c.cron, c.every) {
            (Some(cron), _) => format!("cron {cron}"),
            (None, Some(every)) => format!("every {}", human(every)),
            (None, None) => format!("every {}", human(DEFAULT_POLL)),
        };
        if let Some(expr) = c.cron {
            let cron = crate::cron::normalize(expr).ok_or_else(|| {
                format!(
                    "its cron {expr:?} uses syntax Meltano's schedule does not take (numbers, `*`, `*/n`, `a-b` and \
                     lists only); write it with numbers"
                )
            })?;
            let period = crate::cron::gap(&cron).unwrap_or(Duration::from_secs(86_400));
            return Ok(Schedule { cron: Some(cron), period: Some(period), written });
        }
        let every = c.every.unwrap_or(DEFAULT_POLL);
        let (cron, period) = crate::cron::step(every);
        if period != every {
            let message = format!(
                "runs on cron {cron:?}, every {}, where the spec says every {} (cron has no such step; it runs more \
                 often, never less)",
                human(period),
                human(every)
            );
            self.note(c.flow, message);
        }
        Ok(Schedule { cron: Some(cron), period: Some(period), written })
    }

    /// Adds the flow's source table, or where another flow loads it already,
    /// keeps the tighter freshness and marks the key unique there too.
    #[allow(clippy::too_many_arguments)]
    fn table(
        &mut self,
        c: &Carried<'s>,
        extractor: usize,
        table_name: &str,
        stream: &str,
        fields: Option<&[Field]>,
        key: Option<&str>,
        freshness: Option<Freshness>,
        staging: &str,
        postgres: bool,
    ) {
        let extractor = &self.extractors[extractor];
        let found = self.table_of.get(&(extractor.source.clone(), table_name.to_owned())).copied();
        if let Some(table) = found.map(|i| &mut self.tables[i]) {
            // The tighter freshness wins; a table only hand runs load has none.
            if let Some(freshness) = freshness
                && table.freshness.as_ref().is_none_or(|t| freshness.error_after < t.error_after)
            {
                table.freshness = Some(freshness);
            }
            if let (Some(columns), Some(key)) = (&mut table.columns, key) {
                for column in columns.iter_mut().filter(|col| col.name == key) {
                    column.unique = true;
                    column.not_null = true;
                }
            }
            return;
        }
        let columns = fields.map(|fields| {
            let column = |f: &Field| {
                let is_key = key == Some(f.name.value.as_str());
                let ty = f.ty.as_ref().map(|t| t.value);
                Column {
                    name: f.name.value.to_string(),
                    ty,
                    unique: is_key || f.unique,
                    not_null: is_key || f.required,
                }
            };
            fields.iter().map(column).collect()
        });
        let namespace = format!("table of dbt source {:?}", extractor.source);
        let table = Table {
            source: extractor.source.clone(),
            schema: extractor.schema.clone(),
            system: extractor.system.clone(),
            entity: c.entity_name.clone(),
            name: table_name.to_owned(),
            identifier: stream.to_owned(),
            columns,
            freshness,
            staging: staging.to_owned(),
        };
        if table.columns.is_none() {
            let message = format!(
                "its entity {:?} declares no fields: its staging model selects every column as loaded, untested",
                c.entity_name
            );
            self.note(c.flow, message);
        }
        self.claims.claim(namespace, Case::Insensitive, table_name, "entity", c.entity_ref);
        self.claims.claim("dbt model", Case::Insensitive, staging, "entity", c.entity_ref);
        for f in fields.into_iter().flatten() {
            claim_column(self.claims, postgres, staging, &f.name);
        }
        self.table_of.insert((table.source.clone(), table.name.clone()), self.tables.len());
        self.model_names.insert(table.staging.clone());
        self.tables.push(table);
    }

    /// The model of the flow's `t`th target: the target entity built from
    /// the staging model, a column per `map` and `set` (typed by the target
    /// entity's fields, else the source's), named after the entity and made
    /// distinct by the warehouse, then the flow.
    fn model(
        &mut self,
        c: &Carried<'s>,
        t: usize,
        warehouse: SystemId,
        staging: &str,
        fields: Option<&[Field]>,
        postgres: bool,
    ) -> Model {
        let spec = self.spec;
        let flow = c.flow;
        let target = &flow.targets[t];
        if target.action.as_ref().is_some_and(|a| matches!(a.value, Action::Delete)) {
            self.note(flow, "its `delete` is loaded as rows like any other write".into());
        }
        let target_entity = target.entity.as_ref().map_or(c.entity_name.as_str(), |e| e.name.value.as_str());
        let declared = target.entity.as_ref().and_then(|e| e.target).map(|e| spec.entity(e).fields.as_slice());
        let type_of = |fields: Option<&[Field]>, name: &str| {
            fields?.iter().find(|f| f.name.value == name).and_then(|f| f.ty.as_ref()).map(|t| t.value)
        };
        let mut columns = Vec::new();
        let mut column_names: Vec<&Name> = Vec::new();
        for map in &target.maps {
            let Some(dst) = &map.dst else { continue };
            column_names.push(&dst.name);
            let src = map.src.name.value.as_str();
            columns.push(ModelColumn {
                name: dst.name.value.to_string(),
                from: ColumnSource::Column(src.to_owned()),
                ty: type_of(declared, &dst.name.value).or_else(|| type_of(fields, src)),
            });
        }
        for set in &target.sets {
            let Some(value) = &set.value else { continue };
            self.refuse_jinja_set(flow, &set.dst.name.value, &value.value);
            column_names.push(&set.dst.name);
            columns.push(ModelColumn {
                name: set.dst.name.value.to_string(),
                from: ColumnSource::Constant(value.value.clone()),
                ty: type_of(declared, &set.dst.name.value),
            });
        }
        let name = self.model_name(flow, target_entity, warehouse);
        let target_ref = target.entity.as_ref().map_or(c.entity_ref, |e| &e.name);
        self.claims.claim("dbt model", Case::Insensitive, &name, "entity", target_ref);
        for column in column_names {
            claim_column(self.claims, postgres, &name, column);
        }
        Model {
            name,
            flow: flow.name.value.to_string(),
            warehouse: spec.system(warehouse).name.value.to_string(),
            entity: target_entity.to_owned(),
            staging: staging.to_owned(),
            columns: (!columns.is_empty()).then_some(columns),
        }
    }

    /// Errors for a `set` whose value or field name dbt's Jinja would run.
    fn refuse_jinja_set(&mut self, flow: &Flow, name: &str, value: &Constant) {
        let flow_name = flow.name.value.as_str();
        if let Constant::String(s) = value
            && has_jinja(s)
        {
            self.emitted.errors.push(format!(
                "flow {flow_name:?}: the value {s:?} holds a Jinja delimiter, which dbt would run as a template"
            ));
        }
        if has_jinja(name) {
            self.emitted.errors.push(format!("flow {flow_name:?}: the name {name:?} holds a Jinja delimiter"));
        }
    }

    /// The entity as a model name that no model or staging model has yet:
    /// with the warehouse, then the flow, appended where it is taken.
    fn model_name(&self, flow: &Flow, entity: &str, warehouse: SystemId) -> String {
        let taken = |name: &str| self.model_names.contains(name);
        let base_name = idents([entity]).remove(entity).unwrap_or_default();
        let mut name = fit(base_name.clone());
        if taken(&name) {
            name = fit(format!("{base_name}__{}", self.ident(warehouse)));
        }
        if taken(&name) {
            name =
                fit(format!("{name}__{}", self.flow_idents.get(flow.name.value.as_str()).cloned().unwrap_or_default()));
        }
        name
    }
}

/// When a table loaded every `period` is stale: by the flow's `latency`
/// (warn at half of it, never before a run is due), else after missed runs.
/// `None` for a flow run by hand (`period` is `None`) that says no
/// `latency max=`: nothing says how old its table may grow.
fn freshness(flow: &Flow, period: Option<Duration>) -> Option<Freshness> {
    match (&flow.latency, period) {
        (Some(latency), _) => {
            let error = latency.value;
            let warn_after = (error / 2).max(period.unwrap_or_default()).min(error);
            Some(Freshness { warn_after, error_after: error, from: format!("`latency max={}`", human(error)) })
        }
        (None, Some(period)) => Some(Freshness {
            warn_after: period * WARN_RUNS,
            error_after: period * ERROR_RUNS,
            from: format!("{WARN_RUNS} and {ERROR_RUNS} missed runs of {}", human(period)),
        }),
        (None, None) => None,
    }
}

/// Claims a column of `model`, and where a warehouse is PostgreSQL, the
/// first `MAX_RELATION` bytes of its name too.
fn claim_column(claims: &mut Claims, postgres: bool, model: &str, name: &Name) {
    claims.claim(format!("column of {model}"), Case::Insensitive, &name.value, "field", name);
    if postgres {
        let namespace = format!("PostgreSQL column (the first {MAX_RELATION} bytes of a name) of {model}");
        claims.claim(namespace, Case::Insensitive, cut(&name.value, MAX_RELATION), "field", name);
    }
}

/// The fields of an extracted entity, when it declares any.
fn entity_fields(spec: &Spec, entity: Option<EntityId>) -> Option<&[Field]> {
    let fields = &spec.entity(entity?).fields;
    (!fields.is_empty()).then_some(fields.as_slice())
}

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

/// A duration in the largest unit that divides it: `2d`, `90m`, `45s`.
pub(super) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs >= size && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn freshness_follows_the_latency_or_missed_runs() {
        let spec = crate::lint::test_spec(
            "system \"a\" kind=crm\nsystem \"w\" kind=warehouse\n\
             flow \"f\" { schedule every=\"1h\"; from a; to w action=upsert; latency max=\"4h\" }\n\
             flow \"g\" { schedule every=\"1h\"; from a; to w action=upsert }\n\
             flow \"h\" { manual; from a; to w action=upsert; latency max=\"4h\" }\n\
             flow \"i\" { manual; from a; to w action=upsert }\n",
        );
        let hour = Duration::from_secs(3_600);
        let with = freshness(&spec.flows[0], Some(hour)).unwrap();
        assert_eq!((with.warn_after, with.error_after, with.from.as_str()), (2 * hour, 4 * hour, "`latency max=4h`"));
        let without = freshness(&spec.flows[1], Some(hour)).unwrap();
        assert_eq!((without.warn_after, without.error_after), (2 * hour, 4 * hour));
        assert_eq!(without.from, "2 and 4 missed runs of 1h");
        // (1.2) Run by hand: the latency alone, or nothing.
        let by_hand = freshness(&spec.flows[2], None).unwrap();
        assert_eq!((by_hand.warn_after, by_hand.error_after), (2 * hour, 4 * hour));
        assert!(freshness(&spec.flows[3], None).is_none());
    }
}
