//! Moving what lowering made of a piece of a file to where that piece is
//! now: every place it holds (each `Loc` of its model, its findings, their
//! labels and fixes, its includes) gets the file's id and is moved by the
//! distance the piece moved, so a piece lowered once is reused after an edit
//! above it shifted it (see `front.rs`).
//!
//! Each type is taken apart field by field with a pattern that names every
//! field, so a field added to the model or to a diagnostic does not compile
//! here until it says whether it holds a place; a place left behind would
//! put a finding on the wrong line after an edit. Values that hold no place
//! (names, numbers, keywords, ids, which lowering leaves unresolved) are
//! leaves.

use smol_str::SmolStr;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Label, Member, Rule, Severity};
use crate::lower::Lowered;
use crate::model::{
    Action, Allow, Api, ApiStyle, Backoff, Connector, Constant, Credential, Criticality, Each, Entity, EntityId, Event,
    EventDelivery, EventId, Field, FieldType, FileId, Filter, Flow, FlowId, HttpMethod, Include, LintDirective,
    LintLevel, Loc, Lookup, Map, MatchKey, OutboundAuth, Owner, RateLimit, Ref, Request, Retry, RetryOn, Set,
    SignatureEncoding, SignatureScheme, Source, Spanned, Spec, Stack, System, SystemAuth, SystemId, SystemKind, Target,
    TimeUnit, Trigger, TriggerKind, Volume, Wait, WebhookSignature,
};

/// Where a piece goes: into `file`, `by` bytes further on (wrapping, so a
/// piece that moved back is moved by the two's complement).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::lsp) struct Move {
    pub(in crate::lsp) file: FileId,
    pub(in crate::lsp) by: u32,
}

/// Something that holds places in a file.
pub(in crate::lsp) trait Relocate {
    fn relocate(&mut self, to: Move);
}

impl Relocate for Loc {
    fn relocate(&mut self, to: Move) {
        self.file = to.file;
        self.span.start = self.span.start.wrapping_add(to.by);
        self.span.end = self.span.end.wrapping_add(to.by);
    }
}

impl<T: Relocate> Relocate for Option<T> {
    fn relocate(&mut self, to: Move) {
        if let Some(value) = self {
            value.relocate(to);
        }
    }
}

impl<T: Relocate> Relocate for Vec<T> {
    fn relocate(&mut self, to: Move) {
        for value in self {
            value.relocate(to);
        }
    }
}

impl<T: Relocate> Relocate for thin_vec::ThinVec<T> {
    fn relocate(&mut self, to: Move) {
        for value in self {
            value.relocate(to);
        }
    }
}

impl<T: Relocate> Relocate for Box<T> {
    fn relocate(&mut self, to: Move) {
        (**self).relocate(to);
    }
}

impl<T: Relocate> Relocate for Spanned<T> {
    fn relocate(&mut self, to: Move) {
        let Spanned { value, loc } = self;
        value.relocate(to);
        loc.relocate(to);
    }
}

impl<T> Relocate for Ref<T> {
    fn relocate(&mut self, to: Move) {
        // `target` is an id, filled by resolution, after this.
        let Ref { name, target: _ } = self;
        name.relocate(to);
    }
}

/// Types that hold no place.
macro_rules! leaves {
    ($($t:ty),* $(,)?) => {$(
        impl Relocate for $t {
            fn relocate(&mut self, _: Move) {}
        }
    )*};
}

leaves! {
    bool, u32, usize, f64, String, SmolStr, std::time::Duration, std::ops::Range<usize>, &'static str,
    std::borrow::Cow<'static, str>,
    &'static Rule, &'static crate::catalog::Entry,
    SystemId, EventId, FlowId, EntityId, Owner, Severity, Applicability, Constant, RetryOn,
    Action, ApiStyle, Backoff, Criticality, EventDelivery, FieldType, HttpMethod, LintLevel, Lookup, OutboundAuth,
    SignatureEncoding, SignatureScheme, SystemKind, TimeUnit,
}

/// Structs, each field named: one that holds no place is a leaf.
macro_rules! structs {
    ($($t:ident { $($field:ident),* $(,)? })*) => {$(
        impl Relocate for $t {
            fn relocate(&mut self, to: Move) {
                let $t { $($field),* } = self;
                $($field.relocate(to);)*
            }
        }
    )*};
}

structs! {
    Lowered { spec, diagnostics, includes, stack_names }
    Spec { stack, systems, events, flows, lint, credentials }
    Stack { name, horizon, volume_growth, high_volume_per_day, high_volume_peak_per_second, loc }
    Credential { value, core, loc }
    Include { pattern, loc }
    Allow { rule, reason, loc }
    LintDirective { level, rule, loc }
    System {
        name, kind, api, webhooks, rate_limit, owner, criticality, secret, url, entities, planned_in_months,
        retires_in_months, ha, managed, outbox, webhook_signature, connector, auth, allows, loc,
    }
    Api { style, version, loc }
    WebhookSignature { scheme, header, secret, encoding, prefix, loc }
    Connector { id, entry }
    SystemAuth { kind, user, password, client_id, client_secret, refresh_token, scope, header, loc }
    Request { method, path, loc }
    RateLimit { count, per, loc }
    Entity { name, fields, loc }
    Field { name, ty, required, generated, unique, loc }
    Event {
        name, from, entity, version, delivery, external, on_create, key, fields, volume, published, producers,
        after, allows, loc,
    }
    Volume { per_day, peak_per_second, loc }
    Flow {
        name, trigger, from, targets, via, idempotency_key, retry, dead_letter, dead_letter_alert, log, loop_guard,
        latency, reply, lock, when, run_by, allows, misspelt, meant, loc,
    }
    Trigger { kind, loc }
    Source { system, entity, window, loc }
    Target {
        system, action, entity, maps, sets, request, idempotency_key, retry, emits, emits_outbox, call, each,
        counter, matches, loc,
    }
    MatchKey { fields, lookup, loc }
    Wait { timeout, loc }
    Each { array, maps, sets, loc }
    Filter { field, value, loc }
    Map { src, dst, loc }
    Set { dst, value, loc }
    Retry { attempts, backoff, initial, max, on, loc }
    Diagnostic { rule, severity, message, primary, secondary, help, owner, spec_wide, members, folded, fix }
    Label { loc, message }
    Member { owner, message, loc }
    Fix { title, applicability, edits }
}

impl Relocate for TriggerKind {
    fn relocate(&mut self, to: Move) {
        match self {
            TriggerKind::On { event } => event.relocate(to),
            TriggerKind::Poll(poll) => {
                let crate::model::Poll { system, entity, every, path, cursor } = &mut **poll;
                system.relocate(to);
                entity.relocate(to);
                every.relocate(to);
                path.relocate(to);
                cursor.relocate(to);
            }
            TriggerKind::Schedule(schedule) => {
                let crate::model::Schedule { every, cron, manual: _ } = &mut **schedule;
                every.relocate(to);
                cron.relocate(to);
            }
        }
    }
}

impl Relocate for Edit {
    fn relocate(&mut self, to: Move) {
        match self {
            Edit::Rename { loc, name } => {
                loc.relocate(to);
                name.relocate(to);
            }
            Edit::InsertChild { parent, child } => {
                parent.relocate(to);
                child.relocate(to);
            }
            Edit::Remove { loc } => loc.relocate(to),
        }
    }
}
