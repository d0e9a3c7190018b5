//! `wireplan diff OLD NEW`: what a change to a spec breaks, weakens or
//! merely changes, for review.
//!
//! Two checked specs are compared node by node (systems, events, flows by
//! name), never as text: moving, reformatting or commenting a node changes
//! nothing. Every change is classified:
//!
//! - **breaking**: a consumer written against OLD fails on NEW: an event field
//!   removed, renamed, retyped or made required without a `version` bump; an
//!   event's key changed; an event or system removed while flows still use it;
//!   a write changed from an idempotent action to a non-idempotent one;
//! - **risky**: a reliability regression: `idempotency-key`, `retry`,
//!   `dead-letter`, `log` or `loop-guard` removed, delivery weakened, or a
//!   finding introduced;
//! - **safe**: everything else.
//!
//! A node removed and another added that is the same but for its name is a
//! rename. Each breaking change names what it breaks in NEW: the flows that
//! still read a removed, renamed or retyped field, consume a removed event,
//! key on a changed key or use a removed system. A `version` bump makes a
//! field change safe for consumers that pin the old version, but not for
//! this spec's own flows: a change they suffer stays breaking. The same
//! comparison tells `check --changed-since` which nodes changed. The
//! changes are printed by `render::diff`.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use crate::Checked;
use crate::baseline::{self, Identity};
use crate::model::{Event, Field, Flow, Spec, TriggerKind};

mod describe;
pub(crate) use describe::path;
use describe::{describe_event, describe_flow, describe_system, show, show_name, ty, version};

/// How much a change matters to the people and systems downstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Class {
    Breaking,
    Risky,
    Safe,
}

impl Class {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Risky => "risky",
            Class::Safe => "safe",
        }
    }
}

/// One change between the specs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Change {
    pub(crate) class: Class,
    /// The node changed, as kind and name: `event "lead.created"`.
    pub(crate) node: String,
    /// What changed, in a sentence.
    pub(crate) change: String,
    /// The flows of the new spec the change breaks, as kind and name
    /// (`flow "lead-to-mail"`): they read a removed field, consume a removed
    /// event, and so on. Empty where none does (a breaking change then
    /// breaks consumers outside the spec).
    pub(crate) affected: Vec<String>,
}

/// How many changes of each class.
#[derive(Clone, Copy, Debug, Default, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Counts {
    pub(crate) breaking: usize,
    pub(crate) risky: usize,
    pub(crate) safe: usize,
}

/// The changes from `old` to `new`, sorted.
pub(crate) fn diff(old: &Checked, new: &Checked) -> Vec<Change> {
    let mut out = Changes::default();
    let used = used_names(&new.spec);
    let readers = Readers::of(&new.spec);

    // Systems.
    let (old_systems, new_systems) =
        (by_name(&old.spec.systems, |s| &s.name.value), by_name(&new.spec.systems, |s| &s.name.value));
    let renamed = renames(&old_systems, &new_systems, |s| describe_system(s, false));
    for (name, s) in &old_systems {
        let node = path("system", name);
        match new_systems.get(name) {
            Some(n) => {
                if let (Some(a), Some(b)) = (&s.kind, &n.kind)
                    && a.value != b.value
                {
                    out.add(Class::Safe, &node, format!("kind changed from `{}` to `{}`", a.value, b.value));
                }
                let entities = first_by_name(&n.entities, |e| &e.name.value);
                for entity in &s.entities {
                    let Some(now) = entities.get(entity.name.value.as_str()) else {
                        out.add(Class::Risky, &node, format!("entity `{}` removed", entity.name.value));
                        continue;
                    };
                    let fields = first_by_name(&now.fields, |f| &f.name.value);
                    for f in &entity.fields {
                        if !fields.contains_key(f.name.value.as_str()) {
                            out.add(
                                Class::Risky,
                                &node,
                                format!("field `{}.{}` removed", entity.name.value, f.name.value),
                            );
                        }
                    }
                }
                if describe_system(s, true) != describe_system(n, true) && !out.has(&node) {
                    out.add(Class::Safe, &node, "changed".into());
                }
            }
            None if renamed.contains_key(name.as_str()) => {
                out.add(Class::Safe, &node, format!("renamed to `{}`", renamed[name.as_str()]));
            }
            None if used.systems.contains(name.as_str()) => {
                out.add_affecting(
                    Class::Breaking,
                    &node,
                    "removed while flows still use it".into(),
                    readers.of_system(name),
                );
            }
            None => out.add(Class::Safe, &node, "removed".into()),
        }
    }
    added(&old_systems, &new_systems, &renamed, "system", &mut out);

    // Events.
    let (old_events, new_events) =
        (by_name(&old.spec.events, |e| &e.name.value), by_name(&new.spec.events, |e| &e.name.value));
    let renamed = renames(&old_events, &new_events, |e| describe_event(e, false));
    for (name, e) in &old_events {
        let node = path("event", name);
        match new_events.get(name) {
            Some(n) => event_changes(e, n, &node, &readers, &mut out),
            None if renamed.contains_key(name.as_str()) => {
                let breaking = used.events.contains(name.as_str());
                let class = if breaking { Class::Breaking } else { Class::Safe };
                let why = if breaking { " while flows still use the old name" } else { "" };
                let change = format!("renamed to `{}`{why}", renamed[name.as_str()]);
                out.add_affecting(class, &node, change, readers.of_event(name));
            }
            None if used.events.contains(name.as_str()) => {
                out.add_affecting(
                    Class::Breaking,
                    &node,
                    "removed while flows still use it".into(),
                    readers.of_event(name),
                );
            }
            None => out.add(Class::Safe, &node, "removed".into()),
        }
    }
    added(&old_events, &new_events, &renamed, "event", &mut out);

    // Flows.
    let (old_flows, new_flows) =
        (by_name(&old.spec.flows, |f| &f.name.value), by_name(&new.spec.flows, |f| &f.name.value));
    let renamed = renames(&old_flows, &new_flows, |f| describe_flow(&old.spec, f, false));
    for (name, f) in &old_flows {
        let node = path("flow", name);
        match new_flows.get(name) {
            Some(n) => flow_changes(&old.spec, f, &new.spec, n, &node, &mut out),
            None if renamed.contains_key(name.as_str()) => {
                out.add(Class::Safe, &node, format!("renamed to `{}`", renamed[name.as_str()]));
            }
            None => out.add(Class::Safe, &node, "removed".into()),
        }
    }
    added(&old_flows, &new_flows, &renamed, "flow", &mut out);

    // Findings introduced: in NEW and not in OLD, matched as baselines match.
    // A renamed flow's findings are matched under its new name.
    let old_ids: Vec<Identity> = old
        .diagnostics
        .iter()
        .map(|d| {
            let renamed = d.owner.and_then(|o| match o {
                crate::model::Owner::Flow(f) => {
                    let name = old.spec.flow(f).name.value.as_str();
                    renamed.get(name).map(|to| (name, to.as_str()))
                }
                _ => None,
            });
            renamed
                .and_then(|(from, to)| baseline::identity_renamed(d, &old.spec, &old.sources, from, to))
                .unwrap_or_else(|| baseline::identity(d, &old.spec, &old.sources))
        })
        .collect();
    let mut before: baseline::Recorded = Default::default();
    for (d, id) in old.diagnostics.iter().zip(&old_ids) {
        for (path, fingerprint) in id.keys() {
            *before.entry((path.to_owned(), d.rule.name.to_owned(), fingerprint.to_owned())).or_default() += 1;
        }
    }
    for d in &new.diagnostics {
        let id = baseline::identity(d, &new.spec, &new.sources);
        if !baseline::take_all(&mut before, d.rule.name, &id.keys()) {
            out.add(Class::Risky, &id.path, format!("new finding [{}]: {}", d.rule.name, d.message));
        }
    }
    let mut changes = out.0;
    changes.sort();
    changes.dedup();
    changes
}

/// The changes found so far, and the nodes they are of (a node's changes
/// are found together, so the last change says whether a node has any).
#[derive(Default)]
struct Changes(Vec<Change>);

impl Changes {
    fn add(&mut self, class: Class, node: &str, change: String) {
        self.add_affecting(class, node, change, Vec::new());
    }

    /// Adds a change that breaks the `affected` flows.
    fn add_affecting(&mut self, class: Class, node: &str, change: String, affected: Vec<String>) {
        self.0.push(Change { class, node: node.to_owned(), change, affected });
    }

    /// Whether a change of `node` is listed: a node with specific changes is
    /// not also reported as merely "changed". Each node is compared once
    /// and its changes added as it is, so they are the last ones listed:
    /// asking the whole list each time made a diff of 100k changed flows
    /// quadratic (26 s).
    fn has(&self, node: &str) -> bool {
        self.0.last().is_some_and(|c| c.node == node)
    }
}

fn event_changes(old: &Event, new: &Event, node: &str, readers: &Readers<'_>, out: &mut Changes) {
    let bumped = version(old) != version(new) && version(new).is_some();
    let event = old.name.value.as_str();
    // A field change is breaking without a version bump (consumers outside
    // the spec read the old shape), and with one wherever this spec's own
    // flows still read the field.
    let field_change = |field: &str, what: String, out: &mut Changes| {
        let affected = readers.of_field(event, field);
        let class = if bumped && affected.is_empty() { Class::Safe } else { Class::Breaking };
        let suffix = match (bumped, affected.is_empty()) {
            (true, true) => format!(" (version {} to {})", show(version(old)), show(version(new))),
            (true, false) => format!(
                " (version {} to {}), but flows of this spec still read it",
                show(version(old)),
                show(version(new))
            ),
            (false, _) => " without a `version` bump".to_owned(),
        };
        out.add_affecting(class, node, format!("{what}{suffix}"), affected);
    };
    let (old_fields, new_fields) =
        (first_by_name(&old.fields, |f| &f.name.value), first_by_name(&new.fields, |f| &f.name.value));
    let removed: Vec<&Field> = old.fields.iter().filter(|f| !new_fields.contains_key(f.name.value.as_str())).collect();
    let added: Vec<&Field> = new.fields.iter().filter(|f| !old_fields.contains_key(f.name.value.as_str())).collect();
    let mut renamed_to: BTreeSet<&str> = BTreeSet::new();
    for f in &removed {
        // A field removed and one added of the same type and requiredness is a rename.
        let twin = added
            .iter()
            .find(|g| !renamed_to.contains(g.name.value.as_str()) && ty(g) == ty(f) && g.required == f.required);
        match twin {
            Some(g) if removed.len() == added.len() => {
                renamed_to.insert(&g.name.value);
                field_change(&f.name.value, format!("field `{}` renamed to `{}`", f.name.value, g.name.value), out);
            }
            _ => field_change(&f.name.value, format!("field `{}` removed", f.name.value), out),
        }
    }
    for g in added.iter().filter(|g| !renamed_to.contains(g.name.value.as_str())) {
        if g.required {
            field_change(&g.name.value, format!("required field `{}` added", g.name.value), out);
        } else {
            out.add(Class::Safe, node, format!("optional field `{}` added", g.name.value));
        }
    }
    for f in &old.fields {
        let Some(g) = new_fields.get(f.name.value.as_str()) else { continue };
        if ty(f) != ty(g) {
            field_change(
                &f.name.value,
                format!("field `{}` retyped from `{}` to `{}`", f.name.value, ty(f), ty(g)),
                out,
            );
        }
        if !f.required && g.required {
            field_change(&f.name.value, format!("field `{}` made required", f.name.value), out);
        }
        if f.required && !g.required {
            out.add(Class::Safe, node, format!("field `{}` made optional", f.name.value));
        }
    }
    let key = |e: &Event| e.key.as_ref().map(|k| k.name.value.to_string());
    if key(old) != key(new) {
        let affected = key(old).map(|k| readers.keyed_on(event, &k)).unwrap_or_default();
        let change = format!("key changed from {} to {}", show_name(key(old)), show_name(key(new)));
        out.add_affecting(Class::Breaking, node, change, affected);
    }
    let from = |e: &Event| e.from.as_ref().map(|r| r.name.value.to_string());
    if from(old) != from(new) {
        let change = format!("producer changed from {} to {}", show_name(from(old)), show_name(from(new)));
        out.add_affecting(Class::Breaking, node, change, readers.of_event(event));
    }
    if describe_event(old, true) != describe_event(new, true) && !out.has(node) {
        out.add(Class::Safe, node, "changed".into());
    }
}

/// Who uses what in the new spec: the flows on each event and those that
/// touch each system, so a breaking change can name the flows it breaks.
struct Readers<'a> {
    on_event: BTreeMap<&'a str, Vec<&'a Flow>>,
    of_system: BTreeMap<&'a str, Vec<&'a Flow>>,
}

impl<'a> Readers<'a> {
    fn of(spec: &'a Spec) -> Self {
        let mut readers = Readers { on_event: BTreeMap::new(), of_system: BTreeMap::new() };
        for f in &spec.flows {
            let mut systems: BTreeSet<&str> = BTreeSet::new();
            match f.trigger.as_ref().map(|t| &t.kind) {
                Some(TriggerKind::On { event }) => readers.on_event.entry(&event.name.value).or_default().push(f),
                Some(TriggerKind::Poll(poll)) => {
                    systems.insert(&poll.system.name.value);
                }
                _ => {}
            }
            systems.extend(f.from.iter().map(|s| s.system.name.value.as_str()));
            systems.extend(f.via.iter().map(|v| v.name.value.as_str()));
            systems.extend(f.targets.iter().map(|t| t.system.name.value.as_str()));
            for system in systems {
                readers.of_system.entry(system).or_default().push(f);
            }
        }
        readers
    }

    fn paths<'b>(flows: impl Iterator<Item = &'b &'a Flow>) -> Vec<String>
    where
        'a: 'b,
    {
        let names: BTreeSet<&str> = flows.map(|f| f.name.value.as_str()).collect();
        names.into_iter().map(|n| path("flow", n)).collect()
    }

    /// The flows on `event`.
    fn of_event(&self, event: &str) -> Vec<String> {
        Self::paths(self.on_event.get(event).into_iter().flatten())
    }

    /// The flows that touch `system`: poll it, read from it, go through it
    /// or write to it.
    fn of_system(&self, system: &str) -> Vec<String> {
        Self::paths(self.of_system.get(system).into_iter().flatten())
    }

    /// The flows on `event` that read `field`: map it, or key on it.
    fn of_field(&self, event: &str, field: &str) -> Vec<String> {
        let reads = |f: &&&'a Flow| {
            f.targets.iter().any(|t| t.maps.iter().any(|m| m.src.name.value == field))
                || Self::keys(f).any(|k| k == field)
        };
        Self::paths(self.on_event.get(event).into_iter().flatten().filter(reads))
    }

    /// The flows on `event` whose idempotency key is `key`.
    fn keyed_on(&self, event: &str, key: &str) -> Vec<String> {
        Self::paths(self.on_event.get(event).into_iter().flatten().filter(|f| Self::keys(f).any(|k| k == key)))
    }

    /// The fields a flow keys its writes on: its own `idempotency-key` and
    /// its targets'.
    fn keys(f: &'a Flow) -> impl Iterator<Item = &'a str> {
        f.idempotency_key
            .iter()
            .map(|k| &**k)
            .chain(f.targets.iter().filter_map(|t| t.idempotency_key.as_deref()))
            .map(|k| k.name.value.as_str())
    }
}

fn flow_changes(old_spec: &Spec, old: &Flow, new_spec: &Spec, new: &Flow, node: &str, out: &mut Changes) {
    let counterparts = counterparts(old, new);
    for (t, j) in old.targets.iter().zip(&counterparts) {
        let Some(now) = j.map(|j| &new.targets[j]) else {
            out.add(Class::Safe, node, format!("no longer writes `{}`", t.system.name.value));
            continue;
        };
        if let (Some(a), Some(b)) = (&t.action, &now.action)
            && a.value.is_idempotent()
            && !b.value.is_idempotent()
        {
            out.add(
                Class::Breaking,
                node,
                format!(
                    "the write to `{}` changed from `{}` (idempotent) to `{}` (not idempotent)",
                    t.system.name.value, a.value, b.value
                ),
            );
        }
    }
    let removed = |what: &str, had: bool, has: bool, out: &mut Changes| {
        if had && !has {
            out.add(Class::Risky, node, format!("`{what}` removed"));
        }
    };
    removed("idempotency-key", old.idempotency_key.is_some(), new.idempotency_key.is_some(), out);
    removed("retry", old.retry.is_some(), new.retry.is_some(), out);
    removed("dead-letter", old.dead_letter.is_some(), new.dead_letter.is_some(), out);
    removed("log", old.log.is_some(), new.log.is_some(), out);
    removed("loop-guard", old.loop_guard.is_some(), new.loop_guard.is_some(), out);
    let attempts = |f: &Flow| f.retry.as_ref().and_then(|r| r.attempts.as_ref()).map(|a| a.value);
    if let (Some(a), Some(b)) = (attempts(old), attempts(new))
        && b < a
    {
        out.add(Class::Risky, node, format!("retry attempts lowered from {a} to {b}"));
    }
    for (i, (t, j)) in old.targets.iter().zip(&counterparts).enumerate() {
        let Some(j) = *j else { continue };
        let system = &t.system.name.value;
        if !old.can_lose(old_spec, i) && new.can_lose(new_spec, j) {
            // With a dead letter nothing is lost: each failure waits there.
            let then = if new.dead_letter.is_some() {
                "a failure now goes to the dead letter instead of being retried"
            } else {
                "a failure now loses the data"
            };
            out.add(Class::Risky, node, format!("delivery to `{system}` weakened to at most once: {then}"));
        }
        if t.idempotency_key.is_some() && new.targets[j].idempotency_key.is_none() && new.key_for(j).is_none() {
            out.add(Class::Risky, node, format!("`idempotency-key` removed from the write to `{system}`"));
        }
        if t.retry.is_some() && new.targets[j].retry.is_none() && new.retry.is_none() {
            out.add(Class::Risky, node, format!("`retry` removed from the write to `{system}`"));
        }
    }
    if describe_flow(old_spec, old, true) != describe_flow(new_spec, new, true) && !out.has(node) {
        out.add(Class::Safe, node, "changed".into());
    }
}

/// The target of `new` that each old target became: a flow may write to one
/// system more than once, so the k-th write to a system is compared with the
/// k-th write to it (or the last, when there are fewer), never every write
/// with the first. One pass over each flow's targets.
fn counterparts(old: &Flow, new: &Flow) -> Vec<Option<usize>> {
    let mut writes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (j, t) in new.targets.iter().enumerate() {
        writes.entry(&t.system.name.value).or_default().push(j);
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    old.targets
        .iter()
        .map(|t| {
            let k = seen.entry(&t.system.name.value).or_default();
            let same = writes.get(t.system.name.value.as_str()).map_or(&[][..], Vec::as_slice);
            *k += 1;
            same.get(*k - 1).or(same.last()).copied()
        })
        .collect()
}

/// The names NEW's flows use, resolved or not.
struct Used<'a> {
    systems: BTreeSet<&'a str>,
    events: BTreeSet<&'a str>,
}

fn used_names(spec: &Spec) -> Used<'_> {
    let mut used = Used { systems: BTreeSet::new(), events: BTreeSet::new() };
    for f in &spec.flows {
        match f.trigger.as_ref().map(|t| &t.kind) {
            Some(TriggerKind::On { event }) => {
                used.events.insert(&event.name.value);
            }
            Some(TriggerKind::Poll(poll)) => {
                used.systems.insert(&poll.system.name.value);
            }
            _ => {}
        }
        if let Some(from) = &f.from {
            used.systems.insert(&from.system.name.value);
        }
        if let Some(via) = &f.via {
            used.systems.insert(&via.name.value);
        }
        for t in &f.targets {
            used.systems.insert(&t.system.name.value);
        }
    }
    for e in &spec.events {
        if let Some(from) = &e.from {
            used.systems.insert(&from.name.value);
        }
    }
    used
}

/// Reports the nodes of `new` that `old` lacks and that no rename made.
fn added<T>(
    old: &BTreeMap<String, &T>,
    new: &BTreeMap<String, &T>,
    renamed: &BTreeMap<String, String>,
    kind: &str,
    out: &mut Changes,
) {
    let renamed_to: BTreeSet<&str> = renamed.values().map(String::as_str).collect();
    for name in new.keys().filter(|n| !old.contains_key(*n) && !renamed_to.contains(n.as_str())) {
        out.add(Class::Safe, &path(kind, name), "added".into());
    }
}

/// Items by name, the first of each name (a repeated name is the spec's
/// own error, reported by `check`).
fn first_by_name<'a, T>(items: &'a [T], name: impl Fn(&'a T) -> &'a smol_str::SmolStr) -> BTreeMap<&'a str, &'a T> {
    let mut by = BTreeMap::new();
    for item in items {
        by.entry(name(item).as_str()).or_insert(item);
    }
    by
}

fn by_name<'a, T>(items: &'a [T], name: impl Fn(&'a T) -> &'a smol_str::SmolStr) -> BTreeMap<String, &'a T> {
    items.iter().map(|item| (name(item).to_string(), item)).collect()
}

/// Old name to new name, for nodes removed and added that are the same but
/// for the name (and unambiguously so: one candidate each way).
fn renames<T>(
    old: &BTreeMap<String, &T>,
    new: &BTreeMap<String, &T>,
    describe: impl Fn(&T) -> String,
) -> BTreeMap<String, String> {
    let mut gone: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, item) in old.iter().filter(|(n, _)| !new.contains_key(*n)) {
        gone.entry(describe(item)).or_default().push(name);
    }
    let mut came: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, item) in new.iter().filter(|(n, _)| !old.contains_key(*n)) {
        came.entry(describe(item)).or_default().push(name);
    }
    gone.iter()
        .filter_map(|(shape, olds)| match (olds.as_slice(), came.get(shape).map(Vec::as_slice)) {
            ([o], Some([n])) => Some(((*o).to_owned(), (*n).to_owned())),
            _ => None,
        })
        .collect()
}

/// The node paths whose model changed from `old` to `new`, or that are new:
/// `check --changed-since` reports only the findings of these.
pub(crate) fn changed_nodes(old: &Spec, new: &Spec) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    let old_systems = by_name(&old.systems, |s| &s.name.value);
    for s in &new.systems {
        if old_systems.get(s.name.value.as_str()).is_none_or(|o| describe_system(o, true) != describe_system(s, true)) {
            changed.insert(path("system", &s.name.value));
        }
    }
    let old_events = by_name(&old.events, |e| &e.name.value);
    for e in &new.events {
        if old_events.get(e.name.value.as_str()).is_none_or(|o| describe_event(o, true) != describe_event(e, true)) {
            changed.insert(path("event", &e.name.value));
        }
    }
    let old_flows = by_name(&old.flows, |f| &f.name.value);
    for f in &new.flows {
        if old_flows
            .get(f.name.value.as_str())
            .is_none_or(|o| describe_flow(old, o, true) != describe_flow(new, f, true))
        {
            changed.insert(path("flow", &f.name.value));
        }
    }
    changed
}

/// Counts per class.
pub(crate) fn counts(changes: &[Change]) -> Counts {
    let mut c = Counts::default();
    for change in changes {
        match change.class {
            Class::Breaking => c.breaking += 1,
            Class::Risky => c.risky += 1,
            Class::Safe => c.safe += 1,
        }
    }
    c
}
