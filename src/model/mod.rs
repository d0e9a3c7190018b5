//! The spec model: systems, events, flows and lint settings, each carrying
//! the file and span it was written at.
//!
//! Lowering (`crate::lower`) builds it from syntax trees and fills every field
//! it can, leaving `None` where the spec had an error; resolution
//! (`crate::resolve`) then fills the `target` of each reference. Everything
//! after that — the graph, the checks, the planner, the emitters — reads this
//! model and never sees KDL.

use smol_str::SmolStr;

// Places in the spec are defined with the sources, below the model.
pub(crate) use crate::source::{FileId, Loc};

/// An `include` found while lowering, for the loader to read next.
#[derive(Clone, Debug)]
pub(crate) struct Include {
    pub(crate) pattern: String,
    pub(crate) loc: Loc,
}

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) loc: Loc,
}

/// A declared name (of a system, event, flow, entity or field). Names are
/// short and never change, so they are `SmolStr`s: up to 23 bytes are stored
/// inline, which saves an allocation for nearly every name in a large spec.
pub(crate) type Name = Spanned<SmolStr>;

/// What a name names, for what it may hold: every name is written into JSON,
/// YAML, XML, SQL, Markdown and terminals, and a field name also becomes a
/// key of the objects that the hub's JSONata mapping and other JavaScript
/// build and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// A system, event, flow, entity or stack name.
    Label,
    /// A field name, declared or referred to; each of its dot-separated
    /// parts is an object key.
    Field,
}

/// Why a name cannot be used (see `name_problem`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameProblem {
    /// A control character: C0 (NUL, tab, newline, ESC, ...), DEL or C1
    /// (NEL, ...).
    Control(char),
    /// A noncharacter: U+FFFE, U+FFFF, U+FDD0 to U+FDEF, and the last two
    /// code points of every plane.
    Noncharacter(char),
    /// A part of a field name that JavaScript objects treat specially.
    ObjectKey(&'static str),
}

/// The keys that JavaScript objects treat as their prototype's machinery:
/// JSONata (the hub's mapping) refuses to read every one of them, and
/// writing `__proto__` replaces an object's prototype instead of adding a
/// key, so a field with such a name would be dropped without a word.
pub(crate) const PROTOTYPE_KEYS: &[&str] = &[
    "__proto__",
    "constructor",
    "prototype",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

/// What, if anything, makes `name` unusable as a `kind` name: decided once
/// here, for every place a name is written, so that every serializer can
/// escape the rest.
///
/// Refused everywhere: control characters (XML 1.0 cannot hold C0 controls
/// even as character references, SQL engines stop at NUL, YAML 1.1 reads
/// NEL as a line break, and a name is one line of text) and noncharacters
/// (XML 1.0 cannot hold U+FFFE and U+FFFF; all of them are reserved for a
/// program's internal use, never for interchange). Refused in field names:
/// the `PROTOTYPE_KEYS` as a dot-separated part. Everything else is legal:
/// letters and marks of every script, digits, spaces, punctuation, symbols,
/// emoji, format characters, private-use and unassigned code points; each
/// serializer escapes what its format needs.
pub(crate) fn name_problem(kind: NameKind, name: &str) -> Option<NameProblem> {
    for c in name.chars() {
        if c.is_control() {
            return Some(NameProblem::Control(c));
        }
        if crate::escape::is_noncharacter(c) {
            return Some(NameProblem::Noncharacter(c));
        }
    }
    if kind == NameKind::Field {
        for part in name.split('.') {
            if let Some(key) = PROTOTYPE_KEYS.iter().find(|k| **k == part) {
                return Some(NameProblem::ObjectKey(key));
            }
        }
    }
    None
}

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) struct $name(pub(crate) u32);

        impl $name {
            pub(crate) fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id_type! {
    /// Index into `Spec::systems`.
    SystemId,
    /// Index into `Spec::events`.
    EventId,
    /// Index into `Spec::flows`.
    FlowId,
}

/// An entity of a system: the system and the entity's index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct EntityId {
    pub(crate) system: SystemId,
    pub(crate) index: u32,
}

/// A reference by name, resolved to `target` when the name exists.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ref<T> {
    pub(crate) name: Name,
    pub(crate) target: Option<T>,
}

impl<T> Ref<T> {
    pub(crate) fn new(name: Name) -> Self {
        Ref { name, target: None }
    }
}

/// A reference to a field, by name; `target` is the field's index in the
/// entity or event that the context names (see `Map`).
pub(crate) type FieldRef = Ref<u32>;

/// The whole spec, merged from the entry file and its includes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Spec {
    pub(crate) stack: Option<Stack>,
    pub(crate) systems: Vec<System>,
    pub(crate) events: Vec<Event>,
    pub(crate) flows: Vec<Flow>,
    /// The directives of every `lint` block, in source order.
    pub(crate) lint: Vec<LintDirective>,
    /// Every credential written into the spec's text (each a `secret-literal`
    /// finding), for `redact` to mask in every output.
    pub(crate) credentials: Vec<Credential>,
}

/// A credential written into the spec, as lowering found it: its value
/// decoded (escapes, multi-line strings and continuations resolved), the
/// part of that value that is the credential itself, and where it is
/// written. Outputs never show it; `redact` masks every form of it.
#[derive(Clone, Debug)]
pub(crate) struct Credential {
    pub(crate) value: String,
    /// The byte range of `value` that holds the credential: the token in
    /// `Bearer sk_live_...`, the password of a URL; all of it otherwise.
    pub(crate) core: std::ops::Range<usize>,
    /// The string as written, quotes and escapes included.
    pub(crate) loc: Loc,
}

impl Spec {
    pub(crate) fn system(&self, id: SystemId) -> &System {
        &self.systems[id.index()]
    }

    pub(crate) fn event(&self, id: EventId) -> &Event {
        &self.events[id.index()]
    }

    pub(crate) fn flow(&self, id: FlowId) -> &Flow {
        &self.flows[id.index()]
    }

    pub(crate) fn entity(&self, id: EntityId) -> &Entity {
        &self.systems[id.system.index()].entities[id.index as usize]
    }

    pub(crate) fn system_ids(&self) -> impl Iterator<Item = SystemId> + '_ {
        (0..self.systems.len()).map(|i| SystemId(i as u32))
    }

    pub(crate) fn event_ids(&self) -> impl Iterator<Item = EventId> + '_ {
        (0..self.events.len()).map(|i| EventId(i as u32))
    }

    pub(crate) fn flow_ids(&self) -> impl Iterator<Item = FlowId> + '_ {
        (0..self.flows.len()).map(|i| FlowId(i as u32))
    }

    /// The planning horizon in months (`stack { horizon months=N }`, default 18).
    pub(crate) fn horizon_months(&self) -> u32 {
        self.stack.as_ref().and_then(|s| s.horizon.as_ref()).map_or(DEFAULT_HORIZON_MONTHS, |h| h.value)
    }

    /// The factor event volumes reach at the horizon (default 1.0).
    pub(crate) fn volume_growth(&self) -> f64 {
        self.stack.as_ref().and_then(|s| s.volume_growth.as_ref()).map_or(1.0, |g| g.value)
    }

    /// The volume growth factor in month `month` (0 = now), compounding monthly.
    pub(crate) fn growth_at(&self, month: u32) -> f64 {
        let horizon = f64::from(self.horizon_months().max(1));
        self.volume_growth().powf(f64::from(month) / horizon)
    }
}

pub(crate) const DEFAULT_HORIZON_MONTHS: u32 = 18;
pub(crate) const DEFAULT_HIGH_VOLUME_PER_DAY: f64 = 100_000.0;
pub(crate) const DEFAULT_HIGH_VOLUME_PEAK_PER_SECOND: f64 = 50.0;

/// `stack NAME { horizon months=N; volume-growth F; high-volume ... }`.
#[derive(Clone, Debug)]
pub(crate) struct Stack {
    pub(crate) name: Option<Name>,
    pub(crate) horizon: Option<Spanned<u32>>,
    pub(crate) volume_growth: Option<Spanned<f64>>,
    /// `high-volume per-day=N peak-per-second=N`: the stage-3 volume thresholds.
    pub(crate) high_volume_per_day: Option<Spanned<f64>>,
    pub(crate) high_volume_peak_per_second: Option<Spanned<f64>>,
    pub(crate) loc: Loc,
}

mod event;
mod flow;
mod keywords;
mod system;
pub(crate) use event::{Event, Volume, named_for_cancellation, named_for_change, named_for_correction};
pub(crate) use flow::{
    Constant, Each, Filter, Flow, Map, MatchKey, Poll, Retry, RetryOn, Schedule, Set, Source, Target, Trigger,
    TriggerKind, Twice, Wait,
};
pub(crate) use keywords::{
    Action, ApiStyle, Backoff, Criticality, EventDelivery, FieldType, HttpMethod, LintLevel, Lookup, OutboundAuth,
    SignatureEncoding, SignatureScheme, SystemKind, TimeUnit,
};
pub(crate) use system::{
    Api, Connector, EffectiveLimit, Entity, Field, Origin, RateLimit, Request, System, SystemAuth, WebhookSignature,
};

/// An inline `allow RULE reason="..."` on a system, event or flow.
#[derive(Clone, Debug)]
pub(crate) struct Allow {
    pub(crate) rule: Spanned<SmolStr>,
    pub(crate) reason: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `deny RULE`, `warn RULE` or `allow RULE` in a `lint` block.
#[derive(Clone, Debug)]
pub(crate) struct LintDirective {
    pub(crate) level: LintLevel,
    pub(crate) rule: Spanned<SmolStr>,
    pub(crate) loc: Loc,
}

/// The node a diagnostic is about, for inline `allow` lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Owner {
    System(SystemId),
    Event(EventId),
    Flow(FlowId),
}

impl Spec {
    /// The inline allows of a node.
    pub(crate) fn allows_of(&self, owner: Owner) -> &[Allow] {
        match owner {
            Owner::System(id) => &self.system(id).allows,
            Owner::Event(id) => &self.event(id).allows,
            Owner::Flow(id) => &self.flow(id).allows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{NameKind, NameProblem, name_problem};

    #[test]
    fn names_refuse_controls_noncharacters_and_prototype_keys_in_fields() {
        for c in ['\0', '\t', '\n', '\u{1b}', '\u{7f}', '\u{85}', '\u{86}', '\u{9f}'] {
            assert_eq!(name_problem(NameKind::Label, &format!("a{c}")), Some(NameProblem::Control(c)));
        }
        for c in ['\u{fdd0}', '\u{fdef}', '\u{fffe}', '\u{ffff}', '\u{1fffe}', '\u{10ffff}'] {
            assert_eq!(name_problem(NameKind::Field, &format!("{c}b")), Some(NameProblem::Noncharacter(c)));
        }
        assert_eq!(name_problem(NameKind::Field, "a.__proto__.b"), Some(NameProblem::ObjectKey("__proto__")));
        assert_eq!(name_problem(NameKind::Field, "constructor"), Some(NameProblem::ObjectKey("constructor")));
        // Only field names are object keys; a part must be the whole key.
        assert_eq!(name_problem(NameKind::Label, "constructor"), None);
        assert_eq!(name_problem(NameKind::Field, "__proto__x.toString"), None);
        for legal in ["first name", "ünïcødé 中文 😀", "a\u{2028}b", "x\u{202e}y", "\u{e000}\u{378}", "\u{fffd}"]
        {
            assert_eq!(name_problem(NameKind::Field, legal), None, "{legal:?}");
        }
    }
}

/// What the model's largest lists hold per item, held to account: a
/// 100,000-flow spec keeps 100,000 flows, targets and two maps each, so a
/// field added inline to one of them costs the whole spec its size again
/// and again (issue 29's measures are in the README's Performance
/// section). A part most flows leave unsaid goes in a `Box` or a
/// `ThinVec`, which cost a pointer when it is absent.
#[cfg(all(test, target_pointer_width = "64"))]
mod sizes {
    use super::{Event, Flow, Map, Target};

    #[test]
    fn the_models_largest_lists_stay_small() {
        assert!(size_of::<Flow>() <= 448, "Flow is {} bytes", size_of::<Flow>());
        assert!(size_of::<Target>() <= 248, "Target is {} bytes", size_of::<Target>());
        assert!(size_of::<Map>() <= 112, "Map is {} bytes", size_of::<Map>());
        assert!(size_of::<Event>() <= 408, "Event is {} bytes", size_of::<Event>());
    }
}
