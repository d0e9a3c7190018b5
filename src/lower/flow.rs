//! `flow` nodes: the trigger (`on`, `poll`, `schedule`), the batch source,
//! the targets with their maps, sets and requests, and how failures are
//! handled (retries, dead letters, logging, loop guards, latency).

use super::values::constant;
use super::{Lowerer, Seen, children_of};
use crate::diagnostic::{self, Diagnostic};
use crate::model::{
    Action, Backoff, Each, FieldRef, Filter, Flow, HttpMethod, Lookup, Map, MatchKey, NameKind, Ref, Request, Retry,
    RetryOn, Set, Source, Spanned, Target, Trigger, TriggerKind, Wait,
};
use crate::shapes::Shape;
use crate::suggest;
use crate::syntax::Node;
use thin_vec::ThinVec;

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
            reply: None,
            lock: None,
            dead_letter_alert: None,
            when: ThinVec::new(),
            run_by: None,
            allows: ThinVec::new(),
            misspelt: ThinVec::new(),
            meant: None,
            loc: self.loc(node.span),
        };
        let mut seen = Seen::default();
        let mut had_to = false;
        for child in node.child_nodes() {
            let child = &child;
            let name = &*child.name.text;
            let single = match name {
                "on" | "poll" | "schedule" | "manual" => Some("trigger"),
                "from" | "via" | "idempotency-key" | "retry" | "dead-letter" | "log" | "loop-guard" | "latency"
                | "reply" | "lock" | "run-by" => crate::shapes::shape("flow", name).map(|s| s.name),
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
                            kind: TriggerKind::Poll(Box::new(crate::model::Poll {
                                system: Ref::new(system),
                                entity,
                                every,
                                path,
                                cursor,
                            })),
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
                    flow.trigger = Some(Trigger {
                        kind: TriggerKind::Schedule(Box::new(crate::model::Schedule { every, cron, manual: false })),
                        loc: self.loc(child.span),
                    });
                }
                // (1.2) A batch run a person starts: a schedule without a clock.
                "manual" => {
                    self.shape(child, shape!("flow" "manual"));
                    self.leaf(child);
                    let manual = crate::model::Schedule { every: None, cron: None, manual: true };
                    flow.trigger =
                        Some(Trigger { kind: TriggerKind::Schedule(Box::new(manual)), loc: self.loc(child.span) });
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
                        let window = child.prop("window").and_then(|e| self.duration(&e));
                        flow.from = Some(Box::new(Source {
                            system: Ref::new(system),
                            entity,
                            window,
                            loc: self.loc(child.span),
                        }));
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
                    flow.idempotency_key = self
                        .name(child, NameKind::Field, "a field name", "idempotency-key \"lead_id\"")
                        .map(|n| Box::new(Ref::new(n)));
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
                    if name == "dead-letter"
                        && let Some(alert) = child.prop("alert")
                    {
                        flow.dead_letter_alert = self.string(&alert, "`alert=\"ops-on-call\"`").map(Box::new);
                    }
                }
                "latency" => {
                    self.shape(child, shape!("flow" "latency"));
                    self.leaf(child);
                    flow.latency = match child.prop("max") {
                        Some(e) => self.duration(&e).map(Box::new),
                        None => {
                            self.missing_prop(child, "max", "latency max=\"5m\"");
                            None
                        }
                    };
                }
                "reply" => flow.reply = Some(Box::new(self.wait(child, shape!("flow" "reply")))),
                "lock" => {
                    self.shape(child, shape!("flow" "lock"));
                    self.leaf(child);
                    let duration = match child.prop("duration") {
                        Some(e) => self.duration(&e),
                        None => {
                            self.missing_prop(child, "duration", "lock duration=\"60s\"");
                            None
                        }
                    };
                    flow.lock = Some(Box::new(Wait { timeout: duration, loc: self.loc(child.span) }));
                }
                "when" => {
                    self.shape(child, shape!("flow" "when"));
                    self.leaf(child);
                    let Some(field) = self.name(child, NameKind::Field, "a field name", "when \"status\" \"CREATED\"")
                    else {
                        continue;
                    };
                    let value = match child.arg(1) {
                        Some(e) => Some(Spanned { value: constant(&e.value), loc: self.loc(e.value_span) }),
                        None => {
                            self.missing(child, "a value", &format!("when {:?} \"CREATED\"", field.value));
                            None
                        }
                    };
                    flow.when.push(Filter { field: FieldRef::new(field), value, loc: self.loc(child.span) });
                }
                "run-by" => {
                    self.shape(child, shape!("flow" "run-by"));
                    self.leaf(child);
                    flow.run_by = self
                        .name(child, NameKind::Label, "a system name", "run-by klaviyo")
                        .map(|n| Box::new(Ref::new(n)));
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
        // A vector's first push makes room for four; a spec holds a flow
        // per few hundred bytes, so the room left over would be most of
        // the model (see `Target::shrink`).
        flow.targets.shrink_to_fit();
        flow.when.shrink_to_fit();
        flow.allows.shrink_to_fit();
        flow.misspelt.shrink_to_fit();
        Some(flow)
    }

    /// A flow needs a trigger and a target; `from` belongs to scheduled flows
    /// and a scheduled flow needs it.
    /// `had_trigger` and `had_to` say whether the block names a trigger and a
    /// `to`, even ones too broken to lower.
    pub(super) fn check_flow_shape(&mut self, node: &Node<'_>, flow: &Flow, had_trigger: bool, had_to: bool) {
        if !had_trigger {
            self.missing(node, "a trigger (`on`, `poll`, `schedule` or `manual`)", "on \"lead.created\"");
        }
        if flow.targets.is_empty() && !had_to {
            self.missing(node, "at least one `to`", "to mailchimp action=upsert");
        }
        match (&flow.trigger, &flow.from) {
            (Some(Trigger { kind: TriggerKind::Schedule(schedule), loc }), None) => {
                let (what, label) = if schedule.manual {
                    ("a flow run by hand", "run by hand")
                } else {
                    ("a scheduled flow", "scheduled here")
                };
                let d = Diagnostic::new(&diagnostic::MISSING_ARGUMENT, *loc, format!("{what} needs a `from` to read"))
                    .with_label(label)
                    .with_help("add the batch source: `from shopify entity=order`");
                crate::diagnostic::push_capped(self.diagnostics, d);
            }
            (Some(t), Some(from)) if !matches!(t.kind, TriggerKind::Schedule(_)) => {
                let d = Diagnostic::new(
                    &diagnostic::BAD_VALUE,
                    from.loc,
                    "`from` is only for flows with a `schedule` or `manual` trigger",
                )
                .with_label("not used by this trigger")
                .with_secondary(t.loc, "the trigger already names the source")
                .with_help("remove `from`, or trigger the flow with `schedule`");
                crate::diagnostic::push_capped(self.diagnostics, d);
            }
            _ => {}
        }
        if let (Some(reply), Some(trigger)) = (&flow.reply, &flow.trigger)
            && !matches!(trigger.kind, TriggerKind::On { .. })
        {
            let d = Diagnostic::new(&diagnostic::BAD_VALUE, reply.loc, "`reply` answers the sender of an `on` trigger")
                .with_label("nobody waits for this answer")
                .with_secondary(trigger.loc, "a poll or schedule has no caller")
                .with_help("remove `reply`, or trigger the flow with `on EVENT` (the request its caller sends)");
            crate::diagnostic::push_capped(self.diagnostics, d);
        }
    }

    /// A `to`; the known children its unknown ones look like go to `misspelt`
    /// (see `Flow::misspelt`).
    pub(super) fn target(&mut self, node: &Node<'_>, misspelt: &mut ThinVec<&'static str>) -> Option<Target> {
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
            sets: ThinVec::new(),
            request: None,
            idempotency_key: None,
            retry: None,
            emits: ThinVec::new(),
            emits_outbox: ThinVec::new(),
            call: None,
            each: None,
            counter: None,
            matches: ThinVec::new(),
            loc: self.loc(node.span),
        };
        let mut seen = Seen::default();
        for child in node.child_nodes() {
            let child = &child;
            let single = match &*child.name.text {
                "idempotency-key" => Some("idempotency-key"),
                "retry" => Some("retry"),
                "call" => Some("call"),
                "each" => Some("each"),
                "counter" => Some("counter"),
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
                    target.idempotency_key = self
                        .name(child, NameKind::Field, "a field name", "idempotency-key \"lead_id\"")
                        .map(|n| Box::new(Ref::new(n)));
                }
                "retry" => target.retry = Some(Box::new(self.retry(child, shape!("to" "retry")))),
                "emits" => {
                    self.shape(child, shape!("to" "emits"));
                    self.leaf(child);
                    if let Some(name) = self.name(child, NameKind::Label, "an event name", "emits \"contact.updated\"")
                    {
                        // A malformed value is reported once, and taken as
                        // `#true` so that `dual-write` does not pile onto it.
                        let outbox = child.prop("outbox").is_some_and(|e| self.bool(&e).is_none_or(|b| b.value));
                        target.emits.push(Ref::new(name));
                        target.emits_outbox.push(outbox);
                    }
                }
                "map" => target.maps.extend(self.map(child, shape!("to" "map"))),
                "set" => target.sets.extend(self.set(child, shape!("to" "set"))),
                "call" => target.call = Some(Box::new(self.wait(child, shape!("to" "call")))),
                "each" => target.each = self.each(child).map(Box::new),
                "counter" => {
                    self.shape(child, shape!("to" "counter"));
                    self.leaf(child);
                    target.counter = Some(self.loc(child.span));
                }
                "match" => {
                    let action = target.action.as_ref().map(|a| a.value);
                    target.matches.extend(self.match_key(child, action));
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
                    target.request = Some(Box::new(Request { method, path, loc: self.loc(child.span) }));
                }
                _ => {
                    let known = children_of("to");
                    self.unknown_node(child, "in `to`", &known);
                    misspelt.extend(suggest::closest(&child.name.text, known.iter().copied()));
                }
            }
        }
        target.shrink();
        Some(target)
    }

    /// (1.2) `match FIELD... lookup=native|search` in a `to` whose write
    /// finds a record (`upsert`, `update`, `delete`): the fields of one key.
    fn match_key(&mut self, child: &Node<'_>, action: Option<Action>) -> Option<MatchKey> {
        self.shape(child, shape!("to" "match"));
        self.leaf(child);
        if child.arg(0).is_none() {
            self.missing(child, "a field name", "match \"email\"");
            return None;
        }
        if let Some(action) = action.filter(|a| !matches!(a, Action::Upsert | Action::Update | Action::Delete)) {
            self.report(
                &diagnostic::BAD_VALUE,
                child.name.span,
                format!("`match` says how a write finds its record, and `{action}` finds none"),
                "not a write that finds a record",
                "`match` goes in a `to` whose action is `upsert`, `update` or `delete`; for a `create` that must not \
                 run twice, use `idempotency-key`"
                    .into(),
            );
            return None;
        }
        let mut fields = Vec::new();
        for entry in child.entries().filter(|e| e.key.is_none()) {
            fields.extend(self.name_prop(&entry, NameKind::Field, "`match \"email\"`").map(FieldRef::new));
        }
        let lookup = child.prop("lookup").and_then(|e| self.keyword(&e, "lookup", Lookup::parse, Lookup::KEYWORDS));
        (!fields.is_empty()).then(|| MatchKey { fields, lookup, loc: self.loc(child.span) })
    }

    /// A `map SRC to=DST` of a `to` or of its `each` (`shape` says which).
    fn map(&mut self, child: &Node<'_>, shape: &Shape) -> Option<Map> {
        self.shape(child, shape);
        self.leaf(child);
        let src = self.name(child, NameKind::Field, "a source field", "map \"email\" to=\"email_address\"")?;
        let dst = match child.prop("to") {
            Some(e) => self.name_prop(&e, NameKind::Field, "`to=\"email_address\"`").map(FieldRef::new),
            None => {
                self.missing_prop(child, "to", &format!("map {:?} to=\"...\"", src.value));
                None
            }
        };
        Some(Map { src: FieldRef::new(src), dst, loc: self.loc(child.span) })
    }

    /// A `set DST VALUE` of a `to` or of its `each` (`shape` says which).
    fn set(&mut self, child: &Node<'_>, shape: &Shape) -> Option<Set> {
        self.shape(child, shape);
        self.leaf(child);
        let dst = self.name(child, NameKind::Field, "a field name", "set \"source\" \"crm\"")?;
        let value = match child.arg(1) {
            Some(e) => Some(Spanned { value: constant(&e.value), loc: self.loc(e.value_span) }),
            None => {
                self.missing(child, "a value", &format!("set {:?} \"value\"", dst.value));
                None
            }
        };
        Some(Set { dst: FieldRef::new(dst), value, loc: self.loc(child.span) })
    }

    /// `each ARRAY { map ...; set ... }` in a `to`.
    fn each(&mut self, node: &Node<'_>) -> Option<Each> {
        self.shape(node, shape!("to" "each"));
        let array = self.name(node, NameKind::Field, "an array field", "each \"lines\" { map \"sku\" to=\"sku\" }")?;
        let mut each =
            Each { array: FieldRef::new(array), maps: Vec::new(), sets: Vec::new(), loc: self.loc(node.span) };
        for child in node.child_nodes() {
            let child = &child;
            match &*child.name.text {
                "map" => each.maps.extend(self.map(child, shape!("each" "map"))),
                "set" => each.sets.extend(self.set(child, shape!("each" "set"))),
                _ => self.unknown_node(child, "in `each`", &children_of("each")),
            }
        }
        Some(each)
    }

    /// `reply timeout=D` or `call timeout=D` (`shape` says which). A missing
    /// `timeout` is the check `missing-timeout`'s to report, not an error.
    fn wait(&mut self, node: &Node<'_>, shape: &Shape) -> Wait {
        self.shape(node, shape);
        self.leaf(node);
        let timeout = node.prop("timeout").and_then(|e| self.duration(&e));
        Wait { timeout, loc: self.loc(node.span) }
    }

    /// `retry on="429,5xx,timeout"`: the failures retried.
    fn retry_on(&mut self, entry: &crate::syntax::Entry<'_>) -> Option<Spanned<Vec<RetryOn>>> {
        let text = self.string(entry, "`on=\"429,5xx,timeout\"`")?;
        let mut on = Vec::new();
        for part in text.value.split(',') {
            match RetryOn::parse(part) {
                Some(failure) => on.push(failure),
                None => {
                    self.report(
                        &diagnostic::BAD_VALUE,
                        entry.value_span,
                        format!("`{}` is not a failure `retry on=` knows", part.trim()),
                        "not a status, a class or `timeout`",
                        "list HTTP statuses (`429`), classes of them (`5xx`) and `timeout`, separated by commas: \
                         `on=\"429,5xx,timeout\"`"
                            .into(),
                    );
                    return None;
                }
            }
        }
        Some(Spanned { value: on, loc: text.loc })
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
        let on = node.prop("on").and_then(|e| self.retry_on(&e)).map(Box::new);
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
        Retry { attempts, backoff, initial, max, on, loc: self.loc(node.span) }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::RetryOn;

    /// The messages of every spec error in `text`, lowered and resolved.
    fn errors(text: &str) -> Vec<String> {
        let path = std::path::Path::new("/virtual/wireplan.kdl");
        let mut loaded =
            crate::load::load_text(path, text.to_owned(), std::path::Path::new("/virtual"), crate::parse_and_lower);
        crate::resolve::resolve(&mut loaded.spec, &mut loaded.diagnostics);
        loaded.diagnostics.iter().map(|d| format!("{}: {}", d.rule.name, d.message)).collect()
    }

    const SYSTEMS: &str = r#"
        system "web" kind=website
        system "erp" kind=erp { entity "line" { field "sku" type=string; field "qty" type=int; } }
        event "order.placed" from=web version=1 {
            field "status" type=string
            field "lines" type=json
            field "lines.sku" type=string
        }
    "#;

    #[test]
    fn the_forms_of_language_1_2_lower_and_resolve() {
        let text = format!(
            r#"{SYSTEMS}
            flow "f" {{
                on "order.placed"
                reply timeout="5s"
                when "status" "CREATED"
                to erp action=upsert entity=line {{
                    call timeout="2s"
                    each "lines" {{ map "sku" to="sku"; set "qty" 1 }}
                }}
                retry attempts=3 on="429, 5xx,timeout"
            }}
            "#
        );
        assert_eq!(errors(&text), Vec::<String>::new());
        let spec = crate::lint::test_spec(&text);
        let flow = &spec.flows[0];
        assert_eq!(flow.reply.as_ref().and_then(|r| r.timeout.as_ref()).map(|t| t.value.as_secs()), Some(5));
        assert_eq!(flow.when[0].field.target, Some(0));
        let each = flow.targets[0].each.as_deref().unwrap();
        assert_eq!(
            (each.array.target, each.maps[0].src.target, each.maps[0].dst.as_ref().unwrap().target),
            (Some(1), Some(2), Some(0))
        );
        let on = &flow.retry.as_ref().unwrap().on.as_ref().unwrap().value;
        assert_eq!(on, &[RetryOn::Status(429), RetryOn::Class(5), RetryOn::Timeout]);
    }

    /// (1.2) `run-by` names a declared system the flow reads or writes, or
    /// the hub it runs through.
    #[test]
    fn run_by_names_the_flows_source_or_a_target() {
        let text = r#"
            system "shop" kind=ecommerce
            system "klaviyo" kind=marketing
            system "other" kind=crm
            event "order.paid" from=shop
            flow "source" { on "order.paid"; to klaviyo action=append; run-by shop }
            flow "target" { on "order.paid"; to klaviyo action=append; run-by klaviyo }
            flow "third" { on "order.paid"; to klaviyo action=append; run-by other }
            flow "typo" { on "order.paid"; to klaviyo action=append; run-by klavio }
            flow "twice" { on "order.paid"; to klaviyo action=append; run-by shop; run-by klaviyo }
            system "segment" kind=hub
            flow "through" { on "order.paid"; via segment; to klaviyo action=append; run-by segment }
        "#;
        let found = errors(text);
        assert_eq!(found.len(), 3, "a vendor's hub the flow runs through may run it: {found:#?}");
        assert!(
            found.iter().any(|f| f == "bad-value: `run-by` names `other`, which this flow neither reads nor writes")
        );
        assert!(found.iter().any(|f| f.starts_with("unresolved-reference") && f.contains("klavio")), "{found:#?}");
        assert!(found.iter().any(|f| f.contains("run-by") && !f.contains("other")), "{found:#?}");
        let spec = crate::lint::test_spec(text);
        assert_eq!(spec.flows[1].runner(), Some("klaviyo"));
        assert_eq!(spec.flows[3].runner(), Some("klavio"), "a misspelt runner still says the flow is a vendor's");
    }

    /// A write may emit an event of any of its producers, not only `from=`'s.
    #[test]
    fn a_write_may_emit_the_event_of_another_producer() {
        let text = r#"
            system "shop" kind=ecommerce
            system "pos" kind=ecommerce
            system "crm" kind=crm
            event "order.placed" from=shop { producer "pos"; }
            event "c" from=crm
            flow "f" { on "c"; to pos action=create { emits "order.placed"; }; to crm action=update { emits "order.placed"; } }
        "#;
        let found = errors(text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("this write cannot emit `order.placed`"), "{found:#?}");
    }

    #[test]
    fn mistakes_in_the_forms_of_language_1_2_are_reported() {
        let text = format!(
            r#"{SYSTEMS}
            flow "polled" {{
                poll erp entity=line every="5m"
                reply timeout="5s"
                when "status"
                to web action=send {{
                    each "lines" {{ map "skew" to="sku"; mop "x" to="y" }}
                    call timeout="soon"
                }}
                retry on="429,4xx,teapot"
            }}
            "#
        );
        let found = errors(&text);
        let expected = [
            "bad-value: `reply` answers the sender of an `on` trigger",
            "missing-argument: `when` needs a value",
            "unknown-node: unknown node `mop` in `each`",
            "bad-value: `teapot` is not a failure `retry on=` knows",
        ];
        for e in expected {
            assert!(found.iter().any(|f| f == e), "{e} not in {found:#?}");
        }
        // `when "status"` and `each "lines"` read the polled entity, which has neither.
        assert!(
            found.iter().any(|f| f.starts_with("unresolved-reference: no field of entity `line` named `status`")),
            "{found:#?}"
        );
        assert!(found.iter().any(|f| f.contains("duration") || f.contains("soon")), "{found:#?}");
    }
}
