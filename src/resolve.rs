//! Name resolution: every reference in the spec to the thing it names.
//!
//! Resolution runs once all files are lowered, so names work across included
//! files. It reports duplicate declarations (labelling both places),
//! references to undeclared systems, events, entities and fields (with the
//! closest declared name, and a fix that writes it), `via` through something
//! that is not a hub or broker, and unknown rule names in `lint` and
//! `allow`. It fills each reference's `target` so that later stages work
//! with ids.
//!
//! Each `connector=` is looked up in the connector catalog
//! (`connectors.rs`).
//!
//! All lookups go through hash tables built once, and "did you mean" looks at
//! a bounded number of candidates, so resolution is linear in the spec.

use std::fmt;

use rustc_hash::FxHashMap as HashMap;
use smol_str::SmolStr;

use crate::diagnostic::{Diagnostic, Fix};
use crate::model::{
    EntityId, Event, EventId, Field, FieldRef, Flow, FlowId, Loc, Name, Ref, Spec, SystemId, SystemKind, TriggerKind,
};
use crate::suggest::{self, Suggestion};

mod connectors;

/// Specs with at least this many flows resolve them on every core.
const PARALLEL_FLOWS: usize = 4096;

/// At most this many declared names are compared with an unresolved one.
const SUGGESTION_BUDGET: usize = 512;

/// A table of declared names of one kind.
struct Names<Id> {
    by_name: HashMap<SmolStr, Id>,
    /// Names grouped by first character, for bounded suggestions.
    by_initial: HashMap<char, Vec<SmolStr>>,
}

impl<Id: Copy> Names<Id> {
    fn with_capacity(capacity: usize) -> Self {
        let mut by_name = HashMap::default();
        by_name.reserve(capacity);
        Names { by_name, by_initial: HashMap::default() }
    }

    /// Declares a name; returns the earlier id if it was already declared.
    fn declare(&mut self, name: &SmolStr, id: Id) -> Option<Id> {
        if let Some(&first) = self.by_name.get(name) {
            return Some(first);
        }
        self.by_name.insert(name.clone(), id);
        let initial = name.chars().next().unwrap_or(' ');
        self.by_initial.entry(initial).or_default().push(name.clone());
        None
    }

    fn get(&self, name: &str) -> Option<Id> {
        self.by_name.get(name).copied()
    }

    /// The declared name closest to `name`, among a bounded set.
    fn closest(&self, name: &str) -> Option<Id> {
        let initial = name.chars().next().unwrap_or(' ');
        let candidates = self.by_initial.get(&initial).into_iter().flatten().take(SUGGESTION_BUDGET);
        suggest::closest(name, candidates.map(SmolStr::as_str)).and_then(|c| self.get(c))
    }

    /// The declared name closest to `name`, among a bounded set, for "did
    /// you mean".
    fn suggest(&self, name: &str) -> Option<Suggestion<'_>> {
        let initial = name.chars().next().unwrap_or(' ');
        let candidates = self.by_initial.get(&initial).into_iter().flatten().take(SUGGESTION_BUDGET);
        suggest::suggestion(name, candidates.map(SmolStr::as_str))
    }
}

/// Resolves every reference in `spec` and reports what does not resolve.
pub(crate) fn resolve(spec: &mut Spec, diagnostics: &mut Vec<Diagnostic>) {
    let mut r = Resolver {
        diagnostics,
        systems: Names::with_capacity(spec.systems.len()),
        events: Names::with_capacity(spec.events.len()),
        flows: Names::with_capacity(spec.flows.len()),
    };
    // Declaring the names and building the field tables both only read the
    // spec; for a large one they run side by side.
    let tables = if spec.flows.len() >= PARALLEL_FLOWS && crate::parallel::threads() > 1 {
        let shared: &Spec = spec;
        std::thread::scope(|scope| {
            let tables = scope.spawn(|| Tables::new(shared));
            r.declare(shared);
            crate::parallel::join(tables)
        })
    } else {
        r.declare(spec);
        Tables::new(spec)
    };
    let Resolver { systems, events, .. } = &r;
    let mut out = Vec::new();
    for (event, fields) in spec.events.iter_mut().zip(&tables.event_fields) {
        resolve_event(event, fields, systems, &tables, &mut out);
    }
    for event in &mut spec.events {
        for after in &mut event.after {
            after.target = events.get(&after.name.value);
            if after.target.is_none() {
                out.push(unresolved("event", &after.name, events.suggest(&after.name.value), None, None));
            }
        }
    }
    let system_kinds: Vec<SystemKind> = spec.systems.iter().map(|s| s.kind()).collect();
    let producers: Vec<(Option<SystemId>, bool)> =
        spec.events.iter().map(|e| (e.from.as_ref().and_then(|f| f.target), e.is_external())).collect();
    // (1.2) The other producers of each event, which a write may emit too.
    // Sorted, so that a lookup is a binary search however many there are.
    let also: Vec<Vec<SystemId>> = spec
        .events
        .iter()
        .map(|e| {
            let mut others: Vec<SystemId> = e.producers.iter().filter_map(|p| p.target).collect();
            others.sort_unstable();
            others
        })
        .collect();
    let schemaless_events: Vec<bool> = spec.events.iter().map(Event::is_schemaless).collect();
    // Flows resolve independently; a large spec's are split into one run per
    // core, whose findings are appended in order.
    let cores = crate::parallel::threads();
    let per_run = if spec.flows.len() >= PARALLEL_FLOWS { spec.flows.len().div_ceil(cores) } else { usize::MAX };
    let resolve_run = |flows: &mut [Flow]| {
        let mut found = Vec::new();
        for flow in flows {
            let known = Known {
                kinds: &system_kinds,
                schemaless_events: &schemaless_events,
                producers: &producers,
                also: &also,
            };
            resolve_flow(flow, systems, events, &known, &tables, &mut found);
        }
        found
    };
    if per_run >= spec.flows.len() {
        out.append(&mut resolve_run(&mut spec.flows));
    } else {
        let runs: Vec<Vec<Diagnostic>> = std::thread::scope(|scope| {
            let handles: Vec<_> = spec.flows.chunks_mut(per_run).map(|run| scope.spawn(|| resolve_run(run))).collect();
            handles.into_iter().map(crate::parallel::join).collect()
        });
        out.extend(runs.into_iter().flatten());
    }
    connectors::resolve(spec, &mut out);
    r.diagnostics.extend(out);
}

struct Resolver<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
    systems: Names<SystemId>,
    events: Names<EventId>,
    flows: Names<FlowId>,
}

impl Resolver<'_> {
    fn declare(&mut self, spec: &Spec) {
        for (i, system) in spec.systems.iter().enumerate() {
            if let Some(first) = self.systems.declare(&system.name.value, SystemId(i as u32)) {
                self.duplicate("system", &system.name, spec.system(first).name.loc);
            }
            declare_local(
                "entity",
                &system.entities,
                |e| &e.name,
                Parent::System(&system.name.value),
                self.diagnostics,
            );
            for entity in &system.entities {
                declare_local(
                    "field",
                    &entity.fields,
                    |f| &f.name,
                    Parent::Entity(&entity.name.value),
                    self.diagnostics,
                );
            }
        }
        for (i, event) in spec.events.iter().enumerate() {
            if let Some(first) = self.events.declare(&event.name.value, EventId(i as u32)) {
                self.duplicate("event", &event.name, spec.event(first).name.loc);
            }
            declare_local("field", &event.fields, |f| &f.name, Parent::Event(&event.name.value), self.diagnostics);
        }
        for (i, flow) in spec.flows.iter().enumerate() {
            if let Some(first) = self.flows.declare(&flow.name.value, FlowId(i as u32)) {
                self.duplicate("flow", &flow.name, spec.flow(first).name.loc);
            }
        }
    }

    fn duplicate(&mut self, what: &str, name: &Name, first: Loc) {
        self.diagnostics.push(duplicate(what, name, first, "across the spec"));
    }
}

fn duplicate(what: &str, name: &Name, first: Loc, scope: &str) -> Diagnostic {
    Diagnostic::new(
        &crate::diagnostic::DUPLICATE_NAME,
        name.loc,
        format!("the {what} `{}` is declared twice", name.value),
    )
    .with_label("declared again here")
    .with_secondary(first, "first declared here")
    .with_help(format!("{what} names are unique {scope}; rename or remove one of them"))
}

/// Duplicate entity or field names within one parent. Parents hold a few
/// names, so a linear scan beats building a table for each of them.
fn declare_local<T>(
    what: &str,
    items: &[T],
    name: impl Fn(&T) -> &Name,
    parent: Parent<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    const SCAN_LIMIT: usize = 32;
    if items.len() <= SCAN_LIMIT {
        for (i, item) in items.iter().enumerate() {
            let n = name(item);
            if let Some(first) = items[..i].iter().map(&name).find(|f| f.value == n.value) {
                diagnostics.push(duplicate(what, n, first.loc, &format!("within {parent}")));
            }
        }
        return;
    }
    let mut seen: HashMap<&str, Loc> = HashMap::default();
    for n in items.iter().map(&name) {
        match seen.get(n.value.as_str()) {
            Some(&first) => diagnostics.push(duplicate(what, n, first, &format!("within {parent}"))),
            None => {
                seen.insert(&n.value, n.loc);
            }
        }
    }
}

/// What declares a set of names, for messages; formatted only when one is needed.
#[derive(Clone, Copy)]
enum Parent<'a> {
    System(&'a str),
    Entity(&'a str),
    Event(&'a str),
}

impl fmt::Display for Parent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Parent::System(name) => write!(f, "system `{name}`"),
            Parent::Entity(name) => write!(f, "entity `{name}`"),
            Parent::Event(name) => write!(f, "event `{name}`"),
        }
    }
}

/// Field lookup tables for every entity and event, built once.
struct Tables {
    /// Per system: entity name -> index.
    entities: Vec<HashMap<SmolStr, u32>>,
    /// Per system, per entity: field name -> index.
    entity_fields: Vec<Vec<FieldTable>>,
    /// Per event: field name -> index.
    event_fields: Vec<FieldTable>,
    /// The entity names of each system, for suggestions.
    entity_names: Vec<Vec<SmolStr>>,
}

/// The fields of one entity or event, by name. Most have a handful, which a
/// scan finds faster than a hash; only long lists get a hash table.
struct FieldTable {
    names: Vec<SmolStr>,
    index: Option<HashMap<SmolStr, u32>>,
    /// What comes before the last `.` of each dotted name: the arrays whose
    /// elements declare fields (`lines` of `lines.sku`), for `each`.
    parents: rustc_hash::FxHashSet<SmolStr>,
}

/// Field lists longer than this are looked up through a hash table.
const SCANNED_FIELDS: usize = 16;

impl FieldTable {
    fn new(fields: &[Field]) -> Self {
        let names: Vec<SmolStr> = fields.iter().map(|f| f.name.value.clone()).collect();
        let index = (names.len() > SCANNED_FIELDS).then(|| {
            let mut index = HashMap::default();
            index.reserve(names.len());
            for (i, name) in names.iter().enumerate() {
                index.entry(name.clone()).or_insert(i as u32);
            }
            index
        });
        let parents = names.iter().filter_map(|n| n.rsplit_once('.')).map(|(parent, _)| SmolStr::new(parent)).collect();
        FieldTable { names, index, parents }
    }

    /// The index of the first field named `name`.
    fn get(&self, name: &str) -> Option<u32> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.names.iter().position(|n| n == name).map(|i| i as u32),
        }
    }

    /// The names to suggest from, a bounded number.
    fn suggestions(&self) -> impl Iterator<Item = &str> {
        self.names.iter().take(SUGGESTION_BUDGET).map(SmolStr::as_str)
    }
}

impl Tables {
    fn new(spec: &Spec) -> Self {
        let mut entities = Vec::with_capacity(spec.systems.len());
        let mut entity_fields = Vec::with_capacity(spec.systems.len());
        let mut entity_names = Vec::with_capacity(spec.systems.len());
        for system in &spec.systems {
            let mut names = HashMap::default();
            for (i, e) in system.entities.iter().enumerate() {
                names.entry(e.name.value.clone()).or_insert(i as u32);
            }
            entities.push(names);
            entity_fields.push(system.entities.iter().map(|e| FieldTable::new(&e.fields)).collect());
            entity_names.push(system.entities.iter().take(SUGGESTION_BUDGET).map(|e| e.name.value.clone()).collect());
        }
        let event_fields = spec.events.iter().map(|e| FieldTable::new(&e.fields)).collect();
        Tables { entities, entity_fields, event_fields, entity_names }
    }

    fn entity_fields(&self, id: EntityId) -> &FieldTable {
        &self.entity_fields[id.system.index()][id.index as usize]
    }
}

/// "no system named `x`", with the closest declared name as its help and its
/// fix (safe when that name was the only plausible one), else `otherwise`
/// as its help.
fn unresolved(
    what: &str,
    name: &Name,
    suggestion: Option<Suggestion<'_>>,
    context: Option<(Loc, String)>,
    otherwise: Option<String>,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        &crate::diagnostic::UNRESOLVED_REFERENCE,
        name.loc,
        format!("no {what} named `{}`", name.value),
    )
    .with_label(format!("unknown {what}"));
    if let Some((loc, message)) = context {
        d = d.with_secondary(loc, message);
    }
    match suggestion {
        Some(c) => d.with_fix(Fix::did_you_mean(name.loc, c)).with_help(format!("did you mean `{}`?", c.name)),
        None => d.with_help(otherwise.unwrap_or_else(|| format!("declare the {what}, or correct the name"))),
    }
}

fn resolve_system(r: &mut Ref<SystemId>, systems: &Names<SystemId>, out: &mut Vec<Diagnostic>) {
    r.target = systems.get(&r.name.value);
    if r.target.is_none() {
        out.push(unresolved("system", &r.name, systems.suggest(&r.name.value), None, None));
    }
}

/// Resolves an entity of `system`; schemaless systems accept any name.
fn resolve_entity(
    r: &mut Ref<EntityId>,
    system: Option<SystemId>,
    tables: &Tables,
    sys_loc: impl Fn(SystemId) -> (Loc, String),
    out: &mut Vec<Diagnostic>,
) {
    let Some(system) = system else { return };
    let table = &tables.entities[system.index()];
    if table.is_empty() {
        return;
    }
    match table.get(r.name.value.as_str()) {
        Some(&index) => r.target = Some(EntityId { system, index }),
        None => {
            let names = &tables.entity_names[system.index()];
            let suggestion = suggest::suggestion(&r.name.value, names.iter().map(SmolStr::as_str));
            out.push(unresolved("entity", &r.name, suggestion, Some(sys_loc(system)), None));
        }
    }
}

fn resolve_field(r: &mut FieldRef, table: Option<&FieldTable>, owner: Parent<'_>, out: &mut Vec<Diagnostic>) {
    let Some(table) = table else { return };
    if table.names.is_empty() {
        return;
    }
    match table.get(&r.name.value) {
        Some(i) => r.target = Some(i),
        None => {
            let suggestion = suggest::suggestion(&r.name.value, table.suggestions());
            let otherwise = format!("{owner} has {}", field_list(&table.names));
            out.push(unresolved(&format!("field of {owner}"), &r.name, suggestion, None, Some(otherwise)));
        }
    }
}

/// (1.2) `each ARRAY { map SRC to=DST }`: `ARRAY` is a field of the source;
/// `SRC` a field of an element, declared as `ARRAY.SRC` (an array none of
/// whose element fields is declared is schemaless); `DST` of the target.
fn resolve_each(
    each: &mut crate::model::Each,
    source: Option<&(&FieldTable, Parent<'_>)>,
    dst: Option<&(&FieldTable, Parent<'_>)>,
    out: &mut Vec<Diagnostic>,
) {
    if let Some((table, owner)) = source {
        resolve_field(&mut each.array, Some(table), *owner, out);
        let prefix = format!("{}.", each.array.name.value);
        let declared = table.parents.contains(each.array.name.value.as_str());
        for map in each.maps.iter_mut().filter(|_| declared) {
            map.src.target = table.get(&format!("{prefix}{}", map.src.name.value));
            if map.src.target.is_none() {
                let what = format!(
                    "field of the elements of `{}` (declared as `{prefix}NAME` on {owner})",
                    each.array.name.value
                );
                out.push(unresolved(&what, &map.src.name, None, None, None));
            }
        }
    }
    if let Some((table, owner)) = dst {
        let dsts = each.maps.iter_mut().filter_map(|m| m.dst.as_mut()).chain(each.sets.iter_mut().map(|s| &mut s.dst));
        for d in dsts {
            resolve_field(d, Some(table), *owner, out);
        }
    }
}

fn field_list(names: &[SmolStr]) -> String {
    let shown: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    format!("the fields {}", crate::prose::list(&shown, names.len(), 8, "and"))
}

fn resolve_event(
    event: &mut Event,
    fields: &FieldTable,
    systems: &Names<SystemId>,
    tables: &Tables,
    out: &mut Vec<Diagnostic>,
) {
    let Some(from) = &mut event.from else { return };
    resolve_system(from, systems, out);
    let producer = from.target;
    if let Some(entity) = &mut event.entity {
        let loc = from.name.loc;
        resolve_entity(entity, producer, tables, |_| (loc, "the producer".into()), out);
    }
    if let Some(key) = &mut event.key {
        resolve_field(key, Some(fields), Parent::Event(&event.name.value), out);
    }
    for producer in &mut event.producers {
        resolve_system(producer, systems, out);
    }
}

/// What flows are resolved against besides the names: per system its kind,
/// per event whether it is schemaless, its producer and whether it is
/// `external`.
struct Known<'k> {
    kinds: &'k [SystemKind],
    schemaless_events: &'k [bool],
    producers: &'k [(Option<SystemId>, bool)],
    also: &'k [Vec<SystemId>],
}

fn resolve_flow(
    flow: &mut Flow,
    systems: &Names<SystemId>,
    events: &Names<EventId>,
    known: &Known<'_>,
    tables: &Tables,
    out: &mut Vec<Diagnostic>,
) {
    let (kinds, schemaless_events) = (known.kinds, known.schemaless_events);
    // The schema a `map` source and the idempotency key are read from.
    let mut source: Option<(&FieldTable, Parent<'_>)> = None;
    let no_loc = |_| (Loc::new(crate::model::FileId(0), Default::default()), String::new());
    if let Some(trigger) = &mut flow.trigger {
        match &mut trigger.kind {
            TriggerKind::On { event } => {
                event.target = events.get(&event.name.value);
                match event.target {
                    None => {
                        flow.meant = events.closest(&event.name.value);
                        out.push(unresolved("event", &event.name, events.suggest(&event.name.value), None, None));
                    }
                    Some(id) => {
                        // An event's fields describe its payload; an event
                        // without fields is schemaless and its payload unchecked.
                        if !schemaless_events[id.index()] {
                            source = Some((&tables.event_fields[id.index()], Parent::Event(&event.name.value)));
                        }
                    }
                }
            }
            TriggerKind::Poll(poll) => {
                let crate::model::Poll { system, entity, .. } = &mut **poll;
                resolve_system(system, systems, out);
                if let Some(entity) = entity {
                    resolve_entity(entity, system.target, tables, no_loc, out);
                    if let Some(id) = entity.target {
                        source = Some((tables.entity_fields(id), Parent::Entity(&entity.name.value)));
                    }
                }
            }
            TriggerKind::Schedule(_) => {}
        }
    }
    if let Some(from) = &mut flow.from {
        resolve_system(&mut from.system, systems, out);
        if let Some(entity) = &mut from.entity {
            resolve_entity(entity, from.system.target, tables, no_loc, out);
            if let Some(id) = entity.target {
                source = Some((tables.entity_fields(id), Parent::Entity(&entity.name.value)));
            }
        }
    }
    if let Some(via) = &mut flow.via {
        resolve_system(via, systems, out);
        if let Some(id) = via.target {
            let kind = kinds[id.index()];
            if !matches!(kind, SystemKind::Hub | SystemKind::Broker) {
                out.push(
                    Diagnostic::new(
                        &crate::diagnostic::BAD_VALUE,
                        via.name.loc,
                        format!("`via` names `{}`, which is a {kind} system", via.name.value),
                    )
                    .with_label("not a hub or broker")
                    .with_help("`via` takes a system of kind `hub` or `broker`; for a direct connection, remove `via`"),
                );
                via.target = None;
            }
        }
    }
    if let Some(key) = &mut flow.idempotency_key
        && let Some((table, owner)) = &source
    {
        resolve_field(key, Some(table), *owner, out);
    }
    for filter in &mut flow.when {
        if let Some((table, owner)) = &source {
            resolve_field(&mut filter.field, Some(table), *owner, out);
        }
    }
    for target in &mut flow.targets {
        resolve_system(&mut target.system, systems, out);
        let mut dst: Option<(&FieldTable, Parent<'_>)> = None;
        if let Some(entity) = &mut target.entity {
            resolve_entity(entity, target.system.target, tables, no_loc, out);
            if let Some(id) = entity.target {
                dst = Some((tables.entity_fields(id), Parent::Entity(&entity.name.value)));
            }
        }
        for map in &mut target.maps {
            if let Some((table, owner)) = &source {
                resolve_field(&mut map.src, Some(table), *owner, out);
            }
            if let (Some(d), Some((table, owner))) = (&mut map.dst, &dst) {
                resolve_field(d, Some(table), *owner, out);
            }
        }
        for set in &mut target.sets {
            if let Some((table, owner)) = &dst {
                resolve_field(&mut set.dst, Some(table), *owner, out);
            }
        }
        for key in &mut target.matches {
            if let Some((table, owner)) = &dst {
                for field in &mut key.fields {
                    resolve_field(field, Some(table), *owner, out);
                }
            }
        }
        if let Some(each) = &mut target.each {
            resolve_each(each, source.as_ref(), dst.as_ref(), out);
        }
        if let Some(key) = &mut target.idempotency_key
            && let Some((table, owner)) = &source
        {
            resolve_field(key, Some(table), *owner, out);
        }
        for emits in &mut target.emits {
            emits.target = events.get(&emits.name.value);
            let Some(id) = emits.target else {
                out.push(unresolved("event", &emits.name, events.suggest(&emits.name.value), None, None));
                continue;
            };
            let (producer, external) = known.producers[id.index()];
            let problem = if external {
                Some(("it is marked `external`: no write sets it off".to_owned(), "an external event"))
            } else if producer.is_some()
                && target.system.target.is_some()
                && producer != target.system.target
                && target.system.target.is_none_or(|t| known.also[id.index()].binary_search(&t).is_err())
            {
                Some((
                    format!(
                        "it is an event of another system than `{}`, which this `to` writes",
                        target.system.name.value
                    ),
                    "another system's event",
                ))
            } else {
                None
            };
            if let Some((why, label)) = problem {
                out.push(
                    Diagnostic::new(
                        &crate::diagnostic::BAD_VALUE,
                        emits.name.loc,
                        format!("this write cannot emit `{}`: {why}", emits.name.value),
                    )
                    .with_label(label)
                    .with_help(
                        "`emits` names an event of the system this `to` writes that the write sets off; remove it, \
                         or name such an event",
                    ),
                );
                emits.target = None;
            }
        }
    }
    resolve_run_by(flow, systems, known, out);
}

/// (1.2) `run-by SYSTEM`: a declared system that the flow reads from (its
/// trigger's source, or another `producer` of its event) or writes to. A
/// vendor's integration runs in one of the products it connects, or in the
/// vendor's own hub the flow names as `via`; naming a third system is a
/// `bad-value`. The name stays on the flow either way,
/// so the checks do not also report it as the team's flow.
fn resolve_run_by(flow: &mut Flow, systems: &Names<SystemId>, known: &Known<'_>, out: &mut Vec<Diagnostic>) {
    let Some(run_by) = &flow.run_by else { return };
    let mut r = run_by.clone();
    resolve_system(&mut r, systems, out);
    let Some(id) = r.target else {
        flow.run_by = Some(r);
        return;
    };
    let mut sources: Vec<SystemId> = Vec::new();
    let mut unresolved = false;
    match flow.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::On { event }) => match event.target {
            Some(e) => {
                sources.extend(known.producers[e.index()].0);
                sources.extend(known.also[e.index()].iter().copied());
            }
            None => unresolved = true,
        },
        Some(TriggerKind::Poll(poll)) => match poll.system.target {
            Some(s) => sources.push(s),
            None => unresolved = true,
        },
        Some(TriggerKind::Schedule(_)) => match flow.from.as_ref().and_then(|f| f.system.target) {
            Some(s) => sources.push(s),
            None => unresolved = true,
        },
        None => unresolved = true,
    }
    let written = flow.targets.iter().any(|t| t.system.target == Some(id));
    // A vendor's pipeline through its own managed hub (Segment's warehouse
    // loads, a hosted iPaaS's recipe) names that hub, the flow's `via`.
    let through = flow.via.as_ref().and_then(|v| v.target) == Some(id);
    if !unresolved && !written && !through && !sources.contains(&id) {
        out.push(
            Diagnostic::new(
                &crate::diagnostic::BAD_VALUE,
                r.name.loc,
                format!("`run-by` names `{}`, which this flow neither reads nor writes", r.name.value),
            )
            .with_label("not the flow's source, one of its targets or its `via`")
            .with_help(
                "`run-by` names the product whose own integration or automation runs the flow: its source, one \
                 of its targets, or the vendor's hub it runs through (its `via`); for a hub or broker the team \
                 configures, `via` alone says it",
            ),
        );
    }
    flow.run_by = Some(r);
}
