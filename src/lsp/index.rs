//! Where every name of a checked spec is declared and used, for go to
//! definition, references, rename and hover.
//!
//! Built once per check from the resolved model: each declaration and each
//! resolved reference is one `Occurrence`, sorted by file and position, so
//! the one under the cursor is a binary search away.

use crate::lint::{self, Rule};
use crate::model::{EntityId, FileId, Loc, Ref, Spec, TriggerKind};

/// Something with a name that can be declared and referred to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Symbol {
    System(u32),
    Event(u32),
    Flow(u32),
    /// An entity: system, index in the system.
    Entity(u32, u32),
    /// A field of an entity: system, entity, index.
    EntityField(u32, u32, u32),
    /// A field of an event: event, index.
    EventField(u32, u32),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    Symbol(Symbol),
    /// A rule name in `lint` or `allow`.
    Rule(&'static Rule),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Occurrence {
    pub(crate) loc: Loc,
    pub(crate) target: Target,
    pub(crate) declaration: bool,
}

#[derive(Default)]
pub(crate) struct Index {
    occurrences: Vec<Occurrence>,
}

/// The fields a flow's `map` sources and idempotency key are read from, as
/// resolution chooses them (`resolve::resolve_flow`).
#[derive(Clone, Copy)]
enum Schema {
    Event(u32),
    Entity(EntityId),
}

impl Index {
    pub(crate) fn build(spec: &Spec) -> Index {
        let mut index = Index::default();
        let mut add = |loc: Loc, symbol: Symbol, declaration: bool| {
            index.occurrences.push(Occurrence { loc, target: Target::Symbol(symbol), declaration });
        };
        let entity = |r: &Ref<EntityId>| r.target.map(|e| (r.name.loc, Symbol::Entity(e.system.0, e.index)));
        for (s, system) in spec.systems.iter().enumerate() {
            let s = s as u32;
            add(system.name.loc, Symbol::System(s), true);
            for (e, entity) in system.entities.iter().enumerate() {
                add(entity.name.loc, Symbol::Entity(s, e as u32), true);
                for (f, field) in entity.fields.iter().enumerate() {
                    add(field.name.loc, Symbol::EntityField(s, e as u32, f as u32), true);
                }
            }
        }
        for (v, event) in spec.events.iter().enumerate() {
            let v = v as u32;
            add(event.name.loc, Symbol::Event(v), true);
            if let Some(from) = &event.from
                && let Some(target) = from.target
            {
                add(from.name.loc, Symbol::System(target.0), false);
            }
            if let Some((loc, symbol)) = event.entity.as_ref().and_then(entity) {
                add(loc, symbol, false);
            }
            for (f, field) in event.fields.iter().enumerate() {
                add(field.name.loc, Symbol::EventField(v, f as u32), true);
            }
            if let Some(key) = &event.key
                && let Some(f) = key.target
            {
                add(key.name.loc, Symbol::EventField(v, f), false);
            }
        }
        let field = |schema: Option<Schema>, r: &Ref<u32>| {
            let f = r.target?;
            Some(match schema? {
                Schema::Event(v) => Symbol::EventField(v, f),
                Schema::Entity(e) => Symbol::EntityField(e.system.0, e.index, f),
            })
        };
        for (i, flow) in spec.flows.iter().enumerate() {
            add(flow.name.loc, Symbol::Flow(i as u32), true);
            let mut source = None;
            if let Some(trigger) = &flow.trigger {
                match &trigger.kind {
                    TriggerKind::On { event } => {
                        if let Some(v) = event.target {
                            add(event.name.loc, Symbol::Event(v.0), false);
                            if !spec.event(v).is_schemaless() {
                                source = Some(Schema::Event(v.0));
                            }
                        }
                    }
                    TriggerKind::Poll(poll) => {
                        let (system, polled) = (&poll.system, &poll.entity);
                        if let Some(s) = system.target {
                            add(system.name.loc, Symbol::System(s.0), false);
                        }
                        if let Some(r) = polled {
                            if let Some((loc, symbol)) = entity(r) {
                                add(loc, symbol, false);
                            }
                            source = r.target.map(Schema::Entity).or(source);
                        }
                    }
                    TriggerKind::Schedule(_) => {}
                }
            }
            if let Some(from) = &flow.from {
                if let Some(s) = from.system.target {
                    add(from.system.name.loc, Symbol::System(s.0), false);
                }
                if let Some(r) = &from.entity {
                    if let Some((loc, symbol)) = entity(r) {
                        add(loc, symbol, false);
                    }
                    source = r.target.map(Schema::Entity).or(source);
                }
            }
            if let Some(via) = &flow.via
                && let Some(s) = via.target
            {
                add(via.name.loc, Symbol::System(s.0), false);
            }
            if let Some(run_by) = &flow.run_by
                && let Some(s) = run_by.target
            {
                add(run_by.name.loc, Symbol::System(s.0), false);
            }
            if let Some(key) = &flow.idempotency_key
                && let Some(symbol) = field(source, key)
            {
                add(key.name.loc, symbol, false);
            }
            for target in &flow.targets {
                if let Some(s) = target.system.target {
                    add(target.system.name.loc, Symbol::System(s.0), false);
                }
                let written = target.entity.as_ref().and_then(|r| r.target).map(Schema::Entity);
                if let Some((loc, symbol)) = target.entity.as_ref().and_then(entity) {
                    add(loc, symbol, false);
                }
                for map in &target.maps {
                    if let Some(symbol) = field(source, &map.src) {
                        add(map.src.name.loc, symbol, false);
                    }
                    if let Some(dst) = &map.dst
                        && let Some(symbol) = field(written, dst)
                    {
                        add(dst.name.loc, symbol, false);
                    }
                }
                for set in &target.sets {
                    if let Some(symbol) = field(written, &set.dst) {
                        add(set.dst.name.loc, symbol, false);
                    }
                }
            }
        }
        let rules = spec
            .lint
            .iter()
            .map(|d| &d.rule)
            .chain(spec.systems.iter().flat_map(|s| &s.allows).map(|a| &a.rule))
            .chain(spec.events.iter().flat_map(|e| &e.allows).map(|a| &a.rule))
            .chain(spec.flows.iter().flat_map(|f| &f.allows).map(|a| &a.rule));
        for rule in rules {
            if let Some(found) = lint::find(&rule.value) {
                index.occurrences.push(Occurrence { loc: rule.loc, target: Target::Rule(found), declaration: false });
            }
        }
        index.occurrences.sort_by_key(|o| (o.loc.file, o.loc.span.start, o.loc.span.end));
        index
    }

    /// The occurrence whose span holds byte `offset` of `file` (its end too,
    /// where the cursor sits after typing a name).
    pub(crate) fn at(&self, file: FileId, offset: u32) -> Option<&Occurrence> {
        let after = self.occurrences.partition_point(|o| (o.loc.file, o.loc.span.start) <= (file, offset));
        self.occurrences[..after]
            .iter()
            .rev()
            .take_while(|o| o.loc.file == file)
            .take(8)
            .find(|o| o.loc.span.start <= offset && offset <= o.loc.span.end)
    }

    /// The occurrences in one file, in order.
    pub(crate) fn in_file(&self, file: FileId) -> impl Iterator<Item = &Occurrence> {
        let start = self.occurrences.partition_point(|o| o.loc.file < file);
        self.occurrences[start..].iter().take_while(move |o| o.loc.file == file)
    }

    /// Every occurrence of `symbol`, declarations included.
    pub(crate) fn of(&self, symbol: Symbol) -> impl Iterator<Item = &Occurrence> {
        self.occurrences.iter().filter(move |o| matches!(o.target, Target::Symbol(s) if s == symbol))
    }
}

/// Where `symbol` is declared.
pub(crate) fn declaration(spec: &Spec, symbol: Symbol) -> Option<Loc> {
    Some(match symbol {
        Symbol::System(s) => spec.systems.get(s as usize)?.name.loc,
        Symbol::Event(v) => spec.events.get(v as usize)?.name.loc,
        Symbol::Flow(f) => spec.flows.get(f as usize)?.name.loc,
        Symbol::Entity(s, e) => spec.systems.get(s as usize)?.entities.get(e as usize)?.name.loc,
        Symbol::EntityField(s, e, f) => {
            spec.systems.get(s as usize)?.entities.get(e as usize)?.fields.get(f as usize)?.name.loc
        }
        Symbol::EventField(v, f) => spec.events.get(v as usize)?.fields.get(f as usize)?.name.loc,
    })
}
