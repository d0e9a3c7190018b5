//! `event` nodes: producer, entity, version, key, payload fields, volume
//! and delivery.

use smol_str::SmolStr;

use super::{Lowerer, children_of};
use crate::diagnostic::{self};
use crate::model::{Event, EventDelivery, NameKind, Ref, Spanned, Volume};
use crate::syntax::{Entry, Node, Value};
use thin_vec::ThinVec;

impl Lowerer<'_> {
    pub(super) fn event(&mut self, node: &Node<'_>) -> Option<Event> {
        self.shape(node, shape!("" "event"));
        let name = self.name(node, NameKind::Label, "a name", "event \"lead.created\" from=hubspot")?;
        let from = match node.prop("from") {
            Some(e) => self.name_prop(&e, NameKind::Label, "`from=hubspot`").map(Ref::new),
            None => {
                self.missing_prop(node, "from", &format!("event {:?} from=hubspot", name.value));
                None
            }
        };
        let entity =
            node.prop("entity").and_then(|e| self.name_prop(&e, NameKind::Label, "`entity=contact`")).map(Ref::new);
        let version = node.prop("version").map(|e| self.event_version(&e));
        let mut event = Event {
            name,
            from,
            entity,
            version,
            delivery: None,
            external: None,
            on_create: None,
            key: None,
            fields: Vec::new(),
            volume: None,
            published: None,
            producers: ThinVec::new(),
            after: ThinVec::new(),
            allows: ThinVec::new(),
            loc: self.loc(node.span),
        };
        for child in node.child_nodes() {
            let child = &child;
            match &*child.name.text {
                "key" => {
                    self.shape(child, shape!("event" "key"));
                    self.leaf(child);
                    if let Some(first) = &event.key {
                        self.repeated(child, "event", first.name.loc);
                        continue;
                    }
                    event.key = self.name(child, NameKind::Field, "a field name", "key \"lead_id\"").map(Ref::new);
                }
                "field" => event.fields.extend(self.field(child, shape!("event" "field"))),
                "delivery" => {
                    self.shape(child, shape!("event" "delivery"));
                    self.leaf(child);
                    if let Some(first) = &event.delivery {
                        self.repeated(child, "event", first.loc);
                        continue;
                    }
                    event.delivery = match child.arg(0) {
                        Some(e) => self.keyword(&e, "delivery", EventDelivery::parse, EventDelivery::KEYWORDS),
                        None => {
                            self.missing(child, "a guarantee", "delivery at-least-once");
                            None
                        }
                    };
                }
                "external" => {
                    self.shape(child, shape!("event" "external"));
                    self.leaf(child);
                    if let Some(first) = event.external {
                        self.repeated(child, "event", first);
                        continue;
                    }
                    event.external = Some(self.loc(child.span));
                }
                "on-create" => {
                    self.shape(child, shape!("event" "on-create"));
                    self.leaf(child);
                    if let Some(first) = event.on_create {
                        self.repeated(child, "event", first);
                        continue;
                    }
                    event.on_create = Some(self.loc(child.span));
                }
                "volume" => {
                    self.shape(child, shape!("event" "volume"));
                    self.leaf(child);
                    let per_day = child.prop("per-day").and_then(|e| self.number(&e, "per-day")).map(|n| n.value);
                    let peak =
                        child.prop("peak-per-second").and_then(|e| self.number(&e, "peak-per-second")).map(|n| n.value);
                    if child.prop("per-day").is_none() && child.prop("peak-per-second").is_none() {
                        self.missing(
                            child,
                            "`per-day=` or `peak-per-second=`",
                            "volume per-day=2000 peak-per-second=5",
                        );
                    }
                    event.volume = Some(Volume { per_day, peak_per_second: peak, loc: self.loc(child.span) });
                }
                "published" => {
                    self.shape(child, shape!("event" "published"));
                    self.leaf(child);
                    if let Some(first) = event.published {
                        self.repeated(child, "event", first);
                        continue;
                    }
                    event.published = Some(self.loc(child.span));
                }
                "producer" => {
                    self.shape(child, shape!("event" "producer"));
                    self.leaf(child);
                    event
                        .producers
                        .extend(self.name(child, NameKind::Label, "a system name", "producer \"pos\"").map(Ref::new));
                }
                "after" => {
                    self.shape(child, shape!("event" "after"));
                    self.leaf(child);
                    event.after.extend(
                        self.name(child, NameKind::Label, "an event name", "after \"order.created\"").map(Ref::new),
                    );
                }
                "allow" => event.allows.extend(self.allow(child, shape!("event" "allow"))),
                _ => self.unknown_node(child, "in an event", &children_of("event")),
            }
        }
        // A payload's list grew by doubling; what it did not fill is given back.
        event.fields.shrink_to_fit();
        Some(event)
    }

    /// An event's `version=`: a whole number, or a semantic-version string
    /// such as `"1.0.0"` (AsyncAPI's and EventCatalog's form). A bad one is
    /// reported once and still counts as a version, so that `unversioned-api`
    /// does not pile onto it.
    pub(super) fn event_version(&mut self, entry: &Entry<'_>) -> Spanned<SmolStr> {
        let loc = self.loc(entry.value_span);
        let (text, fine) = match &entry.value {
            Value::Integer(n) => (SmolStr::new(n.to_string()), *n >= 0),
            Value::String(s) => (SmolStr::new(s), is_semver(s)),
            other => (SmolStr::new(other.kind_name()), false),
        };
        if !fine {
            self.report(
                &diagnostic::BAD_VALUE,
                entry.value_span,
                "an event version is a whole number or a semantic version".into(),
                "not a version",
                "write it as `version=1` or `version=\"1.0.0\"`".into(),
            );
        }
        Spanned { value: text, loc }
    }
}

/// `1`, `1.0`, `1.0.0`, `2.1.0-beta.1`, `1.0.0+build`, `v2.0.0`: digits
/// separated by dots (a leading `v` allowed, as many write it), then an
/// optional pre-release or build suffix.
fn is_semver(text: &str) -> bool {
    let text = text.strip_prefix('v').unwrap_or(text);
    let core = text.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::is_semver;

    #[test]
    fn event_versions_are_numbers_or_semantic_versions() {
        for good in ["1", "1.0", "1.0.0", "2.1.0-beta.1", "1.0.0+build.5", "v2.0.0"] {
            assert!(is_semver(good), "{good}");
        }
        for bad in ["", "one", "1.0.0.0", "1..0", "v", "latest", "1.x"] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
