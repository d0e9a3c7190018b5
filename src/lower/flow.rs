//! `flow` nodes: the trigger (`on`, `poll`, `schedule`), the batch source,
//! the targets with their maps, sets and requests, and how failures are
//! handled (retries, dead letters, logging, loop guards, latency).

use super::values::constant;
use super::{Lowerer, Seen, children_of};
use crate::diagnostic::{self, Diagnostic};
use crate::model::{
    Action, Backoff, FieldRef, Flow, HttpMethod, Map, NameKind, Ref, Request, Retry, Set, Source, Spanned, Target,
    Trigger, TriggerKind,
};
use crate::shapes::Shape;
use crate::suggest;
use crate::syntax::Node;

impl Lowerer<'_> {
    pub(super) fn flow(&mut self, node: &Node<'_>) -> Option<Flow> {
        self.shape(node, shape!("" "flow"));
        let name = self.name(node, NameKind::Label, "a name", "flow \"lead-to-newsletter\" { ... }")?;
        let mut flow = Flow {
            name,
            trigger: None,
            from: None,
            targets: Vec::new(),
            via: None,
            idempotency_key: None,
            retry: None,
            dead_letter: None,
            log: None,
            loop_guard: None,
            latency: None,
            allows: Vec::new(),
            misspelt: Vec::new(),
            meant: None,
            loc: self.loc(node.span),
        };
        let mut seen = Seen::default();
        let mut had_to = false;
        for child in node.child_nodes() {
            let child = &child;
            let name = &*child.name.text;
            let single = match name {
                "on" | "poll" | "schedule" => Some("trigger"),
                "from" | "via" | "idempotency-key" | "retry" | "dead-letter" | "log" | "loop-guard" | "latency" => {
                    children_of("flow").into_iter().find(|n| *n == name)
                }
                _ => None,
            };
            if let Some(single) = single {
                if let Some(first) = seen.get(single) {
                    if single == "trigger" {
                        let d = Diagnostic::new(
                            &diagnostic::BAD_VALUE,
                            self.loc(child.name.span),
                            "a flow has exactly one trigger",
                        )
                        .with_label("second trigger")
                        .with_secondary(first, "first trigger")
                        .with_help("split the flow in two, one per trigger");
                        crate::diagnostic::push_capped(self.diagnostics, d);
                    } else {
                        self.repeated(child, "flow", first);
                    }
                    continue;
                }
                seen.insert(single, self.loc(child.name.span));
            }
            match name {
                "on" => {
                    self.shape(child, shape!("flow" "on"));
                    self.leaf(child);
                    if let Some(event) = self.name(child, NameKind::Label, "an event name", "on \"lead.created\"") {
                        flow.trigger = Some(Trigger {
                            kind: TriggerKind::On { event: Ref::new(event) },
                            loc: self.loc(child.span),
                        });
                    }
                }
                "poll" => {
                    self.shape(child, shape!("flow" "poll"));
                    self.leaf(child);
                    let path = child.prop("path").and_then(|e| self.url_path(&e));
                    let cursor = child
                        .prop("cursor")
                        .and_then(|e| self.name_prop(&e, NameKind::Field, "`cursor=\"updated_at\"`"));
                    let system =
                        self.name(child, NameKind::Label, "a system name", "poll shopify entity=order every=\"15m\"");
                    let entity = child
                        .prop("entity")
                        .and_then(|e| self.name_prop(&e, NameKind::Label, "`entity=order`"))
                        .map(Ref::new);
                    let every = match child.prop("every") {
                        Some(e) => self.duration(&e),
                        None => {
                            self.missing_prop(child, "every", "poll shopify entity=order every=\"15m\"");
                            None
                        }
                    };
                    if let Some(system) = system {
                        flow.trigger = Some(Trigger {
                            kind: TriggerKind::Poll { system: Ref::new(system), entity, every, path, cursor },
                            loc: self.loc(child.span),
                        });
                    }
                }
                "schedule" => {
                    self.shape(child, shape!("flow" "schedule"));
                    self.leaf(child);
                    let every = child.prop("every").and_then(|e| self.duration(&e));
                    let cron = child.prop("cron").and_then(|e| self.cron(&e));
                    let (has_every, has_cron) = (child.prop("every").is_some(), child.prop("cron").is_some());
                    if has_every && has_cron {
                        self.report(
                            &diagnostic::BAD_VALUE,
                            child.span,
                            "a schedule has `every=` or `cron=`, not both".into(),
                            "two schedules",
                            "keep one of them".into(),
                        );
                    } else if !has_every && !has_cron {
                        self.missing(child, "`every=` or `cron=`", "schedule every=\"1d\"");
                    }
                    flow.trigger =
                        Some(Trigger { kind: TriggerKind::Schedule { every, cron }, loc: self.loc(child.span) });
                }
                "from" => {
                    self.shape(child, shape!("flow" "from"));
                    self.leaf(child);
                    if let Some(system) =
                        self.name(child, NameKind::Label, "a system name", "from shopify entity=order")
                    {
                        let entity = child
                            .prop("entity")
                            .and_then(|e| self.name_prop(&e, NameKind::Label, "`entity=order`"))
                            .map(Ref::new);
                        flow.from =
                            Some(Box::new(Source { system: Ref::new(system), entity, loc: self.loc(child.span) }));
                    }
                }
                "to" => {
                    had_to = true;
                    flow.targets.extend(self.target(child, &mut flow.misspelt));
                }
                "via" => {
                    self.shape(child, shape!("flow" "via"));
                    self.leaf(child);
                    flow.via = self.name(child, NameKind::Label, "a hub or broker name", "via zapier").map(Ref::new);
                }
                "idempotency-key" => {
                    self.shape(child, shape!("flow" "idempotency-key"));
                    self.leaf(child);
                    flow.idempotency_key =
                        self.name(child, NameKind::Field, "a field name", "idempotency-key \"lead_id\"").map(Ref::new);
                }
                "retry" => flow.retry = Some(self.retry(child, shape!("flow" "retry"))),
                "dead-letter" | "log" | "loop-guard" => {
                    let (shape, slot) = match name {
                        "dead-letter" => (shape!("flow" "dead-letter"), &mut flow.dead_letter),
                        "log" => (shape!("flow" "log"), &mut flow.log),
                        _ => (shape!("flow" "loop-guard"), &mut flow.loop_guard),
                    };
                    self.shape(child, shape);
                    self.leaf(child);
                    *slot = Some(self.loc(child.span));
                }
                "latency" => {
                    self.shape(child, shape!("flow" "latency"));
                    self.leaf(child);
                    flow.latency = match child.prop("max") {
                        Some(e) => self.duration(&e),
                        None => {
                            self.missing_prop(child, "max", "latency max=\"5m\"");
                            None
                        }
                    };
                }
                "allow" => flow.allows.extend(self.allow(child, shape!("flow" "allow"))),
                _ => {
                    let known = children_of("flow");
                    self.unknown_node(child, "in a flow", &known);
                    // A misspelt `retry` is reported here; the checks must not
                    // also report the flow as having none.
                    flow.misspelt.extend(suggest::closest(&child.name.text, known.iter().copied()));
                }
            }
        }
        let had_trigger = seen.get("trigger").is_some();
        self.check_flow_shape(node, &flow, had_trigger, had_to);
        Some(flow)
    }

    /// A flow needs a trigger and a target; `from` belongs to scheduled flows
    /// and a scheduled flow needs it.
    /// `had_trigger` and `had_to` say whether the block names a trigger and a
    /// `to`, even ones too broken to lower.
    pub(super) fn check_flow_shape(&mut self, node: &Node<'_>, flow: &Flow, had_trigger: bool, had_to: bool) {
        if !had_trigger {
            self.missing(node, "a trigger (`on`, `poll` or `schedule`)", "on \"lead.created\"");
        }
        if flow.targets.is_empty() && !had_to {
            self.missing(node, "at least one `to`", "to mailchimp action=upsert");
        }
        match (&flow.trigger, &flow.from) {
            (Some(Trigger { kind: TriggerKind::Schedule { .. }, loc }), None) => {
                let d = Diagnostic::new(&diagnostic::MISSING_ARGUMENT, *loc, "a scheduled flow needs a `from` to read")
                    .with_label("scheduled here")
                    .with_help("add the batch source: `from shopify entity=order`");
                crate::diagnostic::push_capped(self.diagnostics, d);
            }
            (Some(t), Some(from)) if !matches!(t.kind, TriggerKind::Schedule { .. }) => {
                let d = Diagnostic::new(
                    &diagnostic::BAD_VALUE,
                    from.loc,
                    "`from` is only for flows with a `schedule` trigger",
                )
                .with_label("not used by this trigger")
                .with_secondary(t.loc, "the trigger already names the source")
                .with_help("remove `from`, or trigger the flow with `schedule`");
                crate::diagnostic::push_capped(self.diagnostics, d);
            }
            _ => {}
        }
    }

    /// A `to`; the known children its unknown ones look like go to `misspelt`
    /// (see `Flow::misspelt`).
    pub(super) fn target(&mut self, node: &Node<'_>, misspelt: &mut Vec<&'static str>) -> Option<Target> {
        self.shape(node, shape!("flow" "to"));
        let system = self.name(node, NameKind::Label, "a system name", "to mailchimp action=upsert")?;
        let action = match node.prop("action") {
            Some(e) => self.keyword(&e, "action", Action::parse, Action::KEYWORDS),
            None => {
                self.missing_prop(node, "action", &format!("to {} action=upsert", system.value));
                None
            }
        };
        let entity =
            node.prop("entity").and_then(|e| self.name_prop(&e, NameKind::Label, "`entity=member`")).map(Ref::new);
        let mut target = Target {
            system: Ref::new(system),
            action,
            entity,
            maps: Vec::new(),
            sets: Vec::new(),
            request: None,
            idempotency_key: None,
            retry: None,
            emits: Vec::new(),
            loc: self.loc(node.span),
        };
        let mut seen = Seen::default();
        for child in node.child_nodes() {
            let child = &child;
            let single = match &*child.name.text {
                "idempotency-key" => Some("idempotency-key"),
                "retry" => Some("retry"),
                _ => None,
            };
            if let Some(single) = single {
                if let Some(first) = seen.get(single) {
                    self.repeated(child, "`to`", first);
                    continue;
                }
                seen.insert(single, self.loc(child.name.span));
            }
            match &*child.name.text {
                "idempotency-key" => {
                    self.shape(child, shape!("to" "idempotency-key"));
                    self.leaf(child);
                    target.idempotency_key =
                        self.name(child, NameKind::Field, "a field name", "idempotency-key \"lead_id\"").map(Ref::new);
                }
                "retry" => target.retry = Some(Box::new(self.retry(child, shape!("to" "retry")))),
                "emits" => {
                    self.shape(child, shape!("to" "emits"));
                    self.leaf(child);
                    target.emits.extend(
                        self.name(child, NameKind::Label, "an event name", "emits \"contact.updated\"").map(Ref::new),
                    );
                }
                "map" => {
                    self.shape(child, shape!("to" "map"));
                    self.leaf(child);
                    let Some(src) =
                        self.name(child, NameKind::Field, "a source field", "map \"email\" to=\"email_address\"")
                    else {
                        continue;
                    };
                    let dst = match child.prop("to") {
                        Some(e) => self.name_prop(&e, NameKind::Field, "`to=\"email_address\"`").map(FieldRef::new),
                        None => {
                            self.missing_prop(child, "to", &format!("map {:?} to=\"...\"", src.value));
                            None
                        }
                    };
                    target.maps.push(Map { src: FieldRef::new(src), dst, loc: self.loc(child.span) });
                }
                "set" => {
                    self.shape(child, shape!("to" "set"));
                    self.leaf(child);
                    let Some(dst) = self.name(child, NameKind::Field, "a field name", "set \"source\" \"crm\"") else {
                        continue;
                    };
                    let value = match child.arg(1) {
                        Some(e) => Some(Spanned { value: constant(&e.value), loc: self.loc(e.value_span) }),
                        None => {
                            self.missing(child, "a value", &format!("set {:?} \"value\"", dst.value));
                            None
                        }
                    };
                    target.sets.push(Set { dst: FieldRef::new(dst), value, loc: self.loc(child.span) });
                }
                "request" => {
                    self.shape(child, shape!("to" "request"));
                    self.leaf(child);
                    if let Some(first) = &target.request {
                        self.repeated(child, "`to`", first.loc);
                        continue;
                    }
                    let method = child
                        .prop("method")
                        .and_then(|e| self.keyword(&e, "HTTP method", HttpMethod::parse, HttpMethod::KEYWORDS));
                    let path = child.prop("path").and_then(|e| self.url_path(&e));
                    target.request = Some(Request { method, path, loc: self.loc(child.span) });
                }
                _ => {
                    let known = children_of("to");
                    self.unknown_node(child, "in `to`", &known);
                    misspelt.extend(suggest::closest(&child.name.text, known.iter().copied()));
                }
            }
        }
        Some(target)
    }

    /// A `retry` of a flow or of one `to` (`shape` says which).
    pub(super) fn retry(&mut self, node: &Node<'_>, shape: &Shape) -> Retry {
        self.shape(node, shape);
        self.leaf(node);
        let attempts = node.prop("attempts").and_then(|e| {
            self.integer(&e, 1..=1000, "`attempts`").map(|n| Spanned { value: n.value as u32, loc: n.loc })
        });
        let backoff = node.prop("backoff").and_then(|e| self.keyword(&e, "backoff", Backoff::parse, Backoff::KEYWORDS));
        let initial = node.prop("initial").and_then(|e| self.duration(&e));
        let max = node.prop("max").and_then(|e| self.duration(&e));
        if let (Some(initial), Some(max)) = (&initial, &max)
            && max.value < initial.value
        {
            let d =
                Diagnostic::new(&diagnostic::BAD_VALUE, max.loc, "the longest retry delay is shorter than the first")
                    .with_label("`max` is shorter")
                    .with_secondary(initial.loc, "than `initial`")
                    .with_help("make `max` at least as long as `initial`");
            crate::diagnostic::push_capped(self.diagnostics, d);
        }
        Retry { attempts, backoff, initial, max, loc: self.loc(node.span) }
    }
}
