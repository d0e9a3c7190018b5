//! Events in the model: who produces them, their payload, key, delivery
//! and volume, and the order and producers language 1.2 can state.

use super::keywords::EventDelivery;
use super::system::Field;
use super::{Allow, EntityId, EventId, FieldRef, Loc, Name, Ref, Spanned, SystemId};
use smol_str::SmolStr;
use thin_vec::ThinVec;

#[derive(Clone, Debug)]
pub(crate) struct Event {
    pub(crate) name: Name,
    pub(crate) from: Option<Ref<SystemId>>,
    pub(crate) entity: Option<Ref<EntityId>>,
    /// `version=N` or `version="1.0.0"`, as written.
    pub(crate) version: Option<Spanned<SmolStr>>,
    /// `delivery at-least-once|at-most-once`.
    pub(crate) delivery: Option<Spanned<EventDelivery>>,
    /// `external`: no write by any integration sets this event off.
    pub(crate) external: Option<Loc>,
    /// (1.2) `on-create`: the event fires only when a record is created, so
    /// a write that cannot create one (`update`, `delete`, `increment`)
    /// never sets it off.
    pub(crate) on_create: Option<Loc>,
    /// `key FIELD`: the record's identity, resolved to an index into `fields`.
    pub(crate) key: Option<FieldRef>,
    pub(crate) fields: Vec<Field>,
    pub(crate) volume: Option<Volume>,
    /// (1.2) `published`: the event is published for subscribers outside
    /// the spec (other teams, analytics), so no flow here need consume it.
    pub(crate) published: Option<Loc>,
    /// (1.2) `producer SYSTEM`: systems that publish this event besides `from=`.
    pub(crate) producers: ThinVec<Ref<SystemId>>,
    /// (1.2) `after EVENT`: events that must be processed before this one
    /// (an order's payment after the order).
    pub(crate) after: ThinVec<Ref<EventId>>,
    pub(crate) allows: ThinVec<Allow>,
    pub(crate) loc: Loc,
}

impl Event {
    /// An event with no `field` is schemaless: field references are not checked.
    pub(crate) fn is_schemaless(&self) -> bool {
        self.fields.is_empty()
    }

    pub(crate) fn peak_per_second(&self) -> f64 {
        self.volume.as_ref().and_then(|v| v.peak_per_second).unwrap_or(0.0)
    }

    pub(crate) fn per_day(&self) -> f64 {
        self.volume.as_ref().and_then(|v| v.per_day).unwrap_or(0.0)
    }

    pub(crate) fn is_external(&self) -> bool {
        self.external.is_some()
    }

    /// Whether the event fires only when a record is created: it says
    /// `on-create` (since 1.2), or, where it says nothing, its name ends in
    /// a word that only a creation reports (`deal.added`,
    /// `customer.created`, `order.placed`; see `CREATION_WORDS`). The name
    /// is a fallback that only ever takes links away (a write that cannot
    /// create sets the event off no more), so it can make a check quieter,
    /// never louder; a `to` that `emits` the event links to it whatever
    /// this says.
    pub(crate) fn fires_on_create_only(&self) -> bool {
        self.on_create.is_some() || named_for_creation(&self.name.value)
    }
}

/// The last words of event names that report only a record's creation,
/// as vendors name them: Stripe's `customer.created`, Pipedrive's
/// `added.deal` and "Deal added", HubSpot's `contact.creation`, Shopify's
/// `orders/create`, a shop's `order.placed`, `lead.new`, a database's
/// `row.inserted`. Words that also name a change of state (`submitted`,
/// `opened`, `completed`) are not here: an `update` can set those off.
pub(crate) const CREATION_WORDS: &[&str] = &["created", "create", "creation", "added", "new", "inserted", "placed"];

/// Whether the last word of an event name (after the last `.`, `/`, `_`,
/// `-` or `:`) is one of `CREATION_WORDS`, ignoring case.
fn named_for_creation(name: &str) -> bool {
    last_word_in(name, CREATION_WORDS)
}

/// The last words of event names that report a record's end: Shopify's
/// `orders/cancelled`, Stripe's `customer.deleted` and
/// `invoice.voided`, a CRM's `contact.removed`.
pub(crate) const CANCELLATION_WORDS: &[&str] =
    &["cancelled", "canceled", "cancel", "cancellation", "voided", "void", "deleted", "delete", "removed"];

/// Whether the event's name says it reports a record's end (its last word
/// is one of `CANCELLATION_WORDS`, ignoring case).
pub(crate) fn named_for_cancellation(name: &str) -> bool {
    last_word_in(name, CANCELLATION_WORDS)
}

/// The last words of event names that report a change to a record's
/// state, as vendors name them: Chargebee's `customer_changed`, Shopify's
/// `products/update`, WooCommerce's `product.saved` (a CRM's
/// `contact.propertyChange` is not one: its last word names the field).
pub(crate) const CHANGE_WORDS: &[&str] =
    &["updated", "update", "changed", "change", "modified", "saved", "edited", "upserted"];

/// Whether the event's name says it reports a change to a record's state
/// (its last word is one of `CHANGE_WORDS`, ignoring case).
pub(crate) fn named_for_change(name: &str) -> bool {
    last_word_in(name, CHANGE_WORDS)
}

/// The last words of event names that report a correction of a record:
/// Stripe's `charge.refunded` and `charge.dispute`-style `disputed`, a
/// shop's `order.returned`.
pub(crate) const CORRECTION_WORDS: &[&str] =
    &["refunded", "refund", "disputed", "reversed", "returned", "credited", "adjusted"];

/// Whether the event's name says it corrects a record (its last word is one
/// of `CORRECTION_WORDS`, ignoring case): a later change of it.
pub(crate) fn named_for_correction(name: &str) -> bool {
    last_word_in(name, CORRECTION_WORDS)
}

fn last_word_in(name: &str, words: &[&str]) -> bool {
    let last = name.rsplit(['.', '/', '_', '-', ':', ' ']).next().unwrap_or(name);
    words.iter().any(|w| last.eq_ignore_ascii_case(w))
}

/// `volume per-day=N peak-per-second=N`.
#[derive(Clone, Debug)]
pub(crate) struct Volume {
    pub(crate) per_day: Option<f64>,
    pub(crate) peak_per_second: Option<f64>,
    pub(crate) loc: Loc,
}
