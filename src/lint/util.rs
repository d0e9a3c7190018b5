//! Small helpers the topology checks share: lists of names for messages,
//! and the schema a flow reads from.

use crate::model::{EventDelivery, EventId, Field, Flow, Spec, TriggerKind};

/// How many names a message lists before it says "and N more".
pub(super) const LISTED: usize = 3;

/// "`a`, `b` and `c`", or "`a`, `b`, `c` and 4 more" when there are more
/// than `LISTED` names. Only the first `LISTED` names are formatted, so a
/// list of a million names costs a count, not a million strings.
pub(super) fn name_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut shown = Vec::new();
    let mut total = 0;
    for name in names {
        if shown.len() < LISTED {
            shown.push(format!("`{name}`"));
        }
        total += 1;
    }
    crate::prose::list(&shown, total, LISTED, "and")
}

pub(super) use crate::prose::plural;

/// A number for a message: whole numbers without a fraction, others with
/// up to two decimals.
pub(super) fn number(x: f64) -> String {
    if (x - x.round()).abs() < 0.005 {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// How an event reaches the flows on it, as the spec says: the event's own
/// `delivery`, else what its producer's `webhooks` implies. Every label or
/// message about delivery is worded from this, so that none contradicts a
/// declared `delivery`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Delivery {
    /// Redelivered until acknowledged: `delivery at-least-once`
    /// (`declared`), or a producer with `webhooks #true`.
    Redelivers { declared: bool },
    /// Sent once: `delivery at-most-once` (`declared`), or a producer
    /// without webhooks.
    Once { declared: bool },
}

pub(super) fn delivery_of(spec: &Spec, event: EventId) -> Delivery {
    let event = spec.event(event);
    match event.delivery.as_ref().map(|d| d.value) {
        Some(EventDelivery::AtLeastOnce) => Delivery::Redelivers { declared: true },
        Some(EventDelivery::AtMostOnce) => Delivery::Once { declared: true },
        None => {
            let webhooks = event.from.as_ref().and_then(|f| f.target).is_some_and(|s| spec.system(s).has_webhooks());
            if webhooks { Delivery::Redelivers { declared: false } } else { Delivery::Once { declared: false } }
        }
    }
}

/// The fields a flow's `map` sources are read from, as resolution chose
/// them: the trigger event's fields (an event's fields describe its payload;
/// an event without fields is schemaless), or the polled or extracted
/// entity's fields. `None` when that schema is unknown.
pub(super) fn source_fields<'s>(spec: &'s Spec, flow: &Flow) -> Option<&'s [Field]> {
    match &flow.trigger.as_ref()?.kind {
        TriggerKind::On { event } => {
            let event = spec.event(event.target?);
            (!event.is_schemaless()).then_some(&event.fields[..])
        }
        TriggerKind::Poll { entity, .. } => Some(&spec.entity(entity.as_ref()?.target?).fields),
        TriggerKind::Schedule { .. } => Some(&spec.entity(flow.from.as_ref()?.entity.as_ref()?.target?).fields),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_naturally() {
        assert_eq!(name_list([]), "");
        assert_eq!(name_list(["a"]), "`a`");
        assert_eq!(name_list(["a", "b"]), "`a` and `b`");
        assert_eq!(name_list(["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(name_list(["a", "b", "c", "d", "e"]), "`a`, `b`, `c` and 2 more");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
    }

    /// Every topology check runs on partly broken specs without panicking:
    /// each fixture with each one of its lines removed (which leaves
    /// unresolved names, missing triggers, half-written flows) and with its
    /// text cut at every closing brace.
    #[test]
    fn checks_survive_broken_specs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
        let mut files: Vec<_> = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|d| [d.path().join("fires.kdl"), d.path().join("quiet.kdl")])
            .collect();
        files.sort();
        assert!(files.len() >= 30, "{} fixtures", files.len());
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let mut variants: Vec<String> = (0..lines.len())
                .map(|skip| {
                    lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
                })
                .collect();
            variants.extend(text.match_indices("}\n").step_by(2).map(|(i, _)| text[..i].to_owned()));
            for variant in variants {
                let spec = crate::lint::test_spec(&variant);
                let graph = crate::graph::Graph::build(&spec);
                let ctx = crate::lint::Context { spec: &spec, graph: &graph };
                // A panicking check becomes an "internal error" diagnostic for
                // users; here it is a failure.
                for d in crate::lint::run_checks(&ctx) {
                    assert!(!d.message.starts_with("internal error"), "{}: {}\n{variant}", file.display(), d.message);
                }
            }
        }
    }
}
