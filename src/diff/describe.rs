//! How `diff` names and describes what it compares: node paths, field
//! types, versions, and one line per system, event and flow, so that a
//! change reads as what it was and what it is.

use std::fmt::Write;

use crate::model::{Event, Field, Flow, Spec, System, TriggerKind};

/// The kind and name of a node, as baselines and reports write it.
pub(crate) fn path(kind: &str, name: &str) -> String {
    format!("{kind} {}", serde_json::to_string(name).unwrap_or_default())
}

pub(super) fn ty(f: &Field) -> String {
    f.ty.as_ref().map_or_else(|| "?".to_owned(), |t| t.value.to_string())
}

pub(super) fn version(e: &Event) -> Option<String> {
    e.version.as_ref().map(|v| v.value.to_string())
}

pub(super) fn show(v: Option<String>) -> String {
    v.unwrap_or_else(|| "none".into())
}

pub(super) fn show_name(v: Option<String>) -> String {
    v.map_or_else(|| "none".into(), |n| format!("`{n}`"))
}

/// A canonical description of a system from the model (never its text), with
/// or without its name.
pub(super) fn describe_system(s: &System, named: bool) -> String {
    let mut d = String::new();
    if named {
        let _ = write!(d, "{} ", s.name.value);
    }
    let _ = write!(
        d,
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
        s.kind.as_ref().map(|k| k.value),
        s.api.as_ref().map(|a| (a.style.as_ref().map(|x| x.value), a.version.as_ref().map(|x| x.value.clone()))),
        s.webhooks.as_ref().map(|w| w.value),
        s.rate_limit.as_ref().map(|r| (r.count, r.per)),
        s.criticality.as_ref().map(|c| c.value),
        s.planned_in_months.as_ref().map(|p| p.value),
        s.retires_in_months.as_ref().map(|p| p.value),
        s.ha.as_ref().map(|h| h.value),
        s.secret.as_ref().map(|x| x.value.clone()),
    );
    for e in &s.entities {
        let _ = write!(d, " entity {}", e.name.value);
        for f in &e.fields {
            let _ = write!(d, " {}:{}:{}:{}", f.name.value, ty(f), f.required, f.generated);
        }
    }
    d
}

pub(super) fn describe_event(e: &Event, named: bool) -> String {
    let mut d = String::new();
    if named {
        let _ = write!(d, "{} ", e.name.value);
    }
    let _ = write!(
        d,
        "from {:?} entity {:?} version {:?} key {:?} volume {:?} delivery {:?} external {}",
        e.from.as_ref().map(|r| r.name.value.clone()),
        e.entity.as_ref().map(|r| r.name.value.clone()),
        version(e),
        e.key.as_ref().map(|k| k.name.value.clone()),
        e.volume.as_ref().map(|v| (v.per_day, v.peak_per_second)),
        e.delivery.as_ref().map(|d| d.value),
        e.external.is_some(),
    );
    for f in &e.fields {
        let _ = write!(d, " {}:{}:{}:{}", f.name.value, ty(f), f.required, f.generated);
    }
    d
}

pub(super) fn describe_flow(_spec: &Spec, f: &Flow, named: bool) -> String {
    let mut d = String::new();
    if named {
        let _ = write!(d, "{} ", f.name.value);
    }
    match f.trigger.as_ref().map(|t| &t.kind) {
        Some(TriggerKind::On { event }) => {
            let _ = write!(d, "on {}", event.name.value);
        }
        Some(TriggerKind::Poll(poll)) => {
            let crate::model::Poll { system, entity, every, path, cursor } = &**poll;
            let _ = write!(
                d,
                "poll {} {:?} {:?} {:?} {:?}",
                system.name.value,
                entity.as_ref().map(|e| e.name.value.clone()),
                every.as_ref().map(|e| e.value),
                path.as_ref().map(|p| p.value.clone()),
                cursor.as_ref().map(|c| c.value.clone()),
            );
        }
        Some(TriggerKind::Schedule(schedule)) => {
            let crate::model::Schedule { every, cron, manual } = &**schedule;
            let _ = write!(
                d,
                "schedule {:?} {:?} {manual}",
                every.as_ref().map(|e| e.value),
                cron.as_ref().map(|c| c.value.clone())
            );
        }
        None => d.push_str("no trigger"),
    }
    if let Some(from) = &f.from {
        let _ = write!(d, " from {} {:?}", from.system.name.value, from.entity.as_ref().map(|e| e.name.value.clone()));
    }
    for t in &f.targets {
        let _ = write!(
            d,
            " to {} {:?} {:?}",
            t.system.name.value,
            t.action.as_ref().map(|a| a.value),
            t.entity.as_ref().map(|e| e.name.value.clone())
        );
        for m in &t.maps {
            let _ = write!(d, " map {}>{:?}", m.src.name.value, m.dst.as_ref().map(|x| x.name.value.clone()));
        }
        for s in &t.sets {
            let _ = write!(d, " set {}", s.dst.name.value);
        }
        let _ = write!(
            d,
            " key {:?} retry {:?}",
            t.idempotency_key.as_ref().map(|k| k.name.value.clone()),
            t.retry.as_ref().map(|r| r.attempts.as_ref().map(|a| a.value)),
        );
        for e in &t.emits {
            let _ = write!(d, " emits {}", e.name.value);
        }
        if let Some(r) = &t.request {
            let _ = write!(
                d,
                " request {:?} {:?}",
                r.method.as_ref().map(|m| m.value),
                r.path.as_ref().map(|p| p.value.clone())
            );
        }
    }
    let _ = write!(
        d,
        " via {:?} key {:?} retry {:?} dl {} log {} guard {} latency {:?}",
        f.via.as_ref().map(|v| v.name.value.clone()),
        f.idempotency_key.as_ref().map(|k| k.name.value.clone()),
        f.retry.as_ref().map(|r| r.attempts.as_ref().map(|a| a.value)),
        f.dead_letter.is_some(),
        f.log.is_some(),
        f.loop_guard.is_some(),
        f.latency.as_ref().map(|l| l.value),
    );
    for a in &f.allows {
        let _ = write!(d, " allow {}", a.rule.value);
    }
    d
}
