//! Lowering: one file's syntax tree into the spec model.
//!
//! Lowering knows the shape of every node of the language: which arguments,
//! properties and children it takes and what values they accept. It reports
//! unknown nodes and properties (with the closest known name), bad values,
//! missing arguments, secret-looking literals and names that hold what no
//! name may (`model::name_problem`), and it keeps going: a node
//! with a mistake is lowered as far as it can be, so that later stages still
//! see it. Names are not resolved here; see `crate::resolve`.

use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::{self, Rule};
use crate::model::{
    Action, Allow, Api, ApiStyle, Backoff, Credential, Criticality, Entity, Event, EventDelivery, Field, FieldRef,
    FieldType, FileId, Flow, HttpMethod, LintDirective, LintLevel, Loc, Map, Name, NameKind, NameProblem, RateLimit,
    Ref, Request, Retry, Set, SignatureEncoding, SignatureScheme, Source, Spanned, Spec, Stack, System, SystemKind,
    Target, TimeUnit, Trigger, TriggerKind, Volume, WebhookSignature, name_problem,
};
use smol_str::SmolStr;

use crate::secrets;
use crate::suggest;
use crate::syntax::{Document, Entry, Node, Span, Value};

pub(crate) use crate::model::Include;

/// What lowering a file, or a run of its top-level nodes, gives: the part of
/// the spec it declares, its findings and its includes, in source order.
#[derive(Default)]
pub(crate) struct Lowered {
    pub(crate) spec: Spec,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) includes: Vec<Include>,
    /// Where the name of each `stack` of this part is, in order. The first is
    /// the one in `spec`; all but the first `stack` of the whole spec are
    /// reported as repeated when the parts are put together.
    stack_names: Vec<Loc>,
}

impl Lowered {
    /// Appends this part after what `spec` and `diagnostics` hold already
    /// (the earlier parts and files); returns the part's includes. The first
    /// `stack` in source order wins and any later one is reported.
    pub(crate) fn append_to(self, spec: &mut Spec, diagnostics: &mut Vec<Diagnostic>) -> Vec<Include> {
        let Lowered { spec: part, diagnostics: found, includes, stack_names } = self;
        append(diagnostics, found);
        let first_is_here = spec.stack.is_none() && part.stack.is_some();
        append_spec(spec, part);
        if let Some(first) = &spec.stack {
            let later = stack_names.into_iter().skip(usize::from(first_is_here));
            diagnostics.extend(later.map(|name| repeated("stack", name, "spec", first.loc)));
        }
        includes
    }

    /// Appends the next run of the same file, leaving its `stack`s to be
    /// judged when the whole file is appended to the spec.
    fn absorb(&mut self, later: Lowered) {
        let Lowered { spec, diagnostics, includes, stack_names } = later;
        append_spec(&mut self.spec, spec);
        append(&mut self.diagnostics, diagnostics);
        append(&mut self.includes, includes);
        self.stack_names.extend(stack_names);
    }
}

/// Appends what `from` declares after `to`'s; the first `stack` is kept.
fn append_spec(to: &mut Spec, from: Spec) {
    to.stack = to.stack.take().or(from.stack);
    append(&mut to.systems, from.systems);
    append(&mut to.events, from.events);
    append(&mut to.flows, from.flows);
    append(&mut to.lint, from.lint);
    append(&mut to.credentials, from.credentials);
}

/// Files with at least this many top-level nodes are lowered on several
/// threads; below it, starting threads costs more than it saves.
const PARALLEL_NODES: usize = 4096;

/// Lowers a document (a file or a piece of one) on up to `threads` threads.
///
/// A large document is cut into consecutive runs of top-level nodes, one per
/// thread, each lowered on its own; the runs are then appended in order, so
/// the result is the same as lowering on one thread.
pub(crate) fn lower_document(file: FileId, doc: Document<'_>, threads: usize) -> Lowered {
    let threads = threads.min(doc.len_hint() / PARALLEL_NODES * 2).max(1);
    let lower_run = |doc: Document<'_>| {
        let mut run = Lowered::default();
        let mut lowerer = Lowerer {
            file,
            stack_names: Vec::new(),
            diagnostics: &mut run.diagnostics,
            includes: Vec::new(),
            credentials: Vec::new(),
        };
        lowerer.check_secrets(doc);
        for node in doc.nodes() {
            lowerer.top_level(&node, &mut run.spec);
        }
        run.stack_names = lowerer.stack_names;
        run.includes = lowerer.includes;
        run.spec.credentials = lowerer.credentials;
        run
    };
    if threads == 1 {
        return lower_run(doc);
    }
    let runs: Vec<Lowered> = std::thread::scope(|scope| {
        let handles: Vec<_> = doc.split(threads).map(|run| scope.spawn(move || lower_run(run))).collect();
        handles.into_iter().map(crate::parallel::join).collect()
    });
    // Each list is made once at its final size, so joining the runs holds
    // them and the whole once, with no doubling of a growing vector.
    let total = |len: fn(&Lowered) -> usize| runs.iter().map(len).sum::<usize>();
    let mut all = Lowered::default();
    all.spec.systems.reserve_exact(total(|r| r.spec.systems.len()));
    all.spec.events.reserve_exact(total(|r| r.spec.events.len()));
    all.spec.flows.reserve_exact(total(|r| r.spec.flows.len()));
    all.diagnostics.reserve_exact(total(|r| r.diagnostics.len()));
    for run in runs {
        all.absorb(run);
    }
    all
}

/// The finding for a single-valued node given twice.
fn repeated(name: &str, at: Loc, parent: &str, first: Loc) -> Diagnostic {
    Diagnostic::new(&diagnostic::BAD_VALUE, at, format!("`{name}` is given twice in this {parent}"))
        .with_label("second one")
        .with_help("keep one of them")
        .with_secondary(first, "first given here")
}

/// The single-valued children of a block seen so far, by name, with where;
/// a block has at most a dozen kinds of them, so they fit without allocating.
#[derive(Default)]
struct Seen([Option<(&'static str, Loc)>; 16]);

impl Seen {
    fn get(&self, name: &str) -> Option<Loc> {
        self.0.iter().flatten().find(|(seen, _)| *seen == name).map(|&(_, loc)| loc)
    }

    fn insert(&mut self, name: &'static str, loc: Loc) {
        if let Some(free) = self.0.iter_mut().find(|slot| slot.is_none()) {
            *free = Some((name, loc));
        }
    }
}

/// `to.extend(from)`, moving the whole vector when `to` is empty and has
/// no room made for it.
fn append<T>(to: &mut Vec<T>, from: Vec<T>) {
    if to.is_empty() && to.capacity() < from.len() {
        *to = from;
    } else {
        to.extend(from);
    }
}

/// The child nodes `parent` takes (`""` for the top level), in the order the
/// language reference lists them, from the one table of the language's shapes.
fn children_of(parent: &str) -> Vec<&'static str> {
    crate::shapes::children_of(parent).map(|shape| shape.name).collect()
}

/// Words users write for a keyword that the language spells differently,
/// as `(what, word, keyword)`: `kind=helpdesk` means `kind=support`.
const SYNONYMS: &[(&str, &str, &str)] = &[
    ("system kind", "helpdesk", "support"),
    ("system kind", "ticketing", "support"),
    ("system kind", "servicedesk", "support"),
    ("system kind", "shop", "ecommerce"),
    ("system kind", "store", "ecommerce"),
    ("system kind", "billing", "accounting"),
    ("system kind", "invoicing", "accounting"),
    ("system kind", "mail", "email"),
    ("system kind", "newsletter", "email"),
    ("system kind", "cms", "website"),
    ("system kind", "queue", "broker"),
    ("system kind", "bus", "broker"),
    ("system kind", "ipaas", "hub"),
    ("system kind", "automation", "hub"),
    ("system kind", "db", "database"),
    ("system kind", "bi", "analytics"),
    ("system kind", "payment", "payments"),
    ("action", "insert", "create"),
    ("action", "add", "create"),
    ("action", "notify", "send"),
    ("action", "decrement", "increment"),
    ("API style", "rabbitmq", "amqp"),
    ("API style", "http", "rest"),
];

/// "a" or "an" before `word`, by its first letter.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}

/// What the help of an unusable name says names may hold.
const NAMES_MAY_HOLD: &str = "names may hold letters, marks and digits of every script, spaces, punctuation, \
    symbols and emoji, but no control characters (U+0000 to U+001F, U+007F to U+009F: tab, newline, NUL, NEL) \
    and no noncharacters (U+FFFE, U+FFFF, U+FDD0 to U+FDEF and the last two code points of every plane)";

/// `U+0085`, as Unicode writes a code point.
fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// The range the contract gives for `horizon months=N`.
const HORIZON_MONTHS: std::ops::RangeInclusive<i128> = 12..=36;

struct Lowerer<'d> {
    file: FileId,
    /// Where the name of each `stack` is (see `Lowered::stack_names`).
    stack_names: Vec<Loc>,
    diagnostics: &'d mut Vec<Diagnostic>,
    includes: Vec<Include>,
    /// The credentials found, decoded, for every output to mask.
    credentials: Vec<Credential>,
}

impl Lowerer<'_> {
    fn loc(&self, span: Span) -> Loc {
        Loc { file: self.file, span }
    }

    fn report(&mut self, rule: &'static Rule, span: Span, message: String, label: &str, help: String) {
        crate::diagnostic::push_capped(
            self.diagnostics,
            Diagnostic::new(rule, self.loc(span), message).with_label(label).with_help(help),
        );
    }

    fn top_level(&mut self, node: &Node<'_>, spec: &mut Spec) {
        match &*node.name.text {
            "stack" => self.stack(node, spec),
            "include" => self.include(node),
            "system" => {
                if let Some(system) = self.system(node) {
                    spec.systems.push(system);
                }
            }
            "event" => {
                if let Some(event) = self.event(node) {
                    spec.events.push(event);
                }
            }
            "flow" => {
                if let Some(flow) = self.flow(node) {
                    spec.flows.push(flow);
                }
            }
            "lint" => self.lint(node, spec),
            _ => self.unknown_node(node, "at the top level of a spec", &children_of("")),
        }
    }

    // ----- shared shapes -------------------------------------------------

    /// Reports entries a node does not take: properties outside `props`, and
    /// arguments beyond `max_args`.
    fn shape(&mut self, node: &Node<'_>, max_args: usize, props: &[&str]) {
        let mut args = 0;
        for (key, span) in node.keys() {
            match &key {
                Some(key) if !props.contains(&&*key.text) => {
                    let child = children_of(&node.name.text).contains(&&*key.text);
                    let help = match suggest::closest(&key.text, props.iter().copied()) {
                        _ if child => format!(
                            "`{}` is a child node, not a property: write `{} ...` inside the `{{ }}` block of `{}`",
                            key.text, key.text, node.name.text
                        ),
                        Some(c) => format!("did you mean `{c}`?"),
                        None if props.is_empty() => format!("`{}` takes no properties", node.name.text),
                        None => format!("`{}` takes {}", node.name.text, list(props, "=")),
                    };
                    self.report(
                        &diagnostic::UNKNOWN_PROPERTY,
                        key.span,
                        format!("unknown property `{}` on `{}`", key.text, node.name.text),
                        "unknown property",
                        help,
                    );
                }
                Some(_) => {}
                None => {
                    args += 1;
                    if args > max_args {
                        let takes = match max_args {
                            0 => "no arguments".to_owned(),
                            1 => "one argument".to_owned(),
                            n => format!("{n} arguments"),
                        };
                        self.report(
                            &diagnostic::BAD_VALUE,
                            span,
                            format!("unexpected argument to `{}`", node.name.text),
                            "not expected here",
                            format!("`{}` takes {takes}; remove this one", node.name.text),
                        );
                    }
                }
            }
        }
    }

    /// Reports a children block on a node that takes none.
    fn leaf(&mut self, node: &Node<'_>) {
        // A block missing its `}` is already reported; where it ends is a guess.
        if let Some(children) = node.children.filter(|c| c.closed) {
            self.report(
                &diagnostic::UNKNOWN_NODE,
                children.span,
                format!("`{}` takes no children", node.name.text),
                "unexpected block",
                "remove the `{ ... }` block".into(),
            );
        }
    }

    fn unknown_node(&mut self, node: &Node<'_>, place: &str, known: &[&str]) {
        let help = match suggest::closest(&node.name.text, known.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("expected one of {}", list(known, "")),
        };
        self.report(
            &diagnostic::UNKNOWN_NODE,
            node.name.span,
            format!("unknown node `{}` {place}", node.name.text),
            "unknown node",
            help,
        );
    }

    fn missing(&mut self, node: &Node<'_>, what: &str, example: &str) {
        // A syntax error inside the node already explains what is missing.
        if node.incomplete {
            return;
        }
        self.report(
            &diagnostic::MISSING_ARGUMENT,
            node.span_head(),
            format!("`{}` needs {what}", node.name.text),
            &format!("{what} missing"),
            format!("write it as `{example}`"),
        );
    }

    /// Reports a missing property, unless the node has a misspelling of it
    /// (already reported as an unknown property with this very suggestion).
    fn missing_prop(&mut self, node: &Node<'_>, key: &str, example: &str) {
        let misspelt =
            node.entries().filter_map(|e| e.key).any(|k| k.text != key && suggest::closest(&k.text, [key]).is_some());
        if !misspelt {
            self.missing(node, &format!("`{key}=`"), example);
        }
    }

    /// Reports a value of the wrong kind.
    fn wrong_kind(&mut self, entry: &Entry<'_>, expected: &str, example: &str) {
        let kind = entry.value.kind_name();
        self.report(
            &diagnostic::BAD_VALUE,
            entry.value_span,
            format!("expected {expected}, found {kind}"),
            &format!("expected {expected}"),
            format!("write it as {example}"),
        );
    }

    fn string(&mut self, entry: &Entry<'_>, example: &str) -> Option<Spanned<SmolStr>> {
        match &entry.value {
            Value::String(s) => Some(Spanned { value: SmolStr::new(s), loc: self.loc(entry.value_span) }),
            _ => {
                self.wrong_kind(entry, "a string", example);
                None
            }
        }
    }

    /// A required string argument (a name, a path).
    fn name_arg(&mut self, node: &Node<'_>, what: &str, example: &str) -> Option<Name> {
        match node.arg(0) {
            Some(entry) => self.string(&entry, example),
            None => {
                self.missing(node, what, example);
                None
            }
        }
    }

    /// A required name argument (of a system, event, flow, entity or field,
    /// declared or referred to), checked against what names may hold.
    fn name(&mut self, node: &Node<'_>, kind: NameKind, what: &str, example: &str) -> Option<Name> {
        let name = self.name_arg(node, what, example)?;
        self.check_name(&name, kind);
        Some(name)
    }

    /// A name given as an entry's value (`from=`, `entity=`, `to=`,
    /// `cursor=`, or the optional name of a `stack`).
    fn name_prop(&mut self, entry: &Entry<'_>, kind: NameKind, example: &str) -> Option<Name> {
        let name = self.string(entry, example)?;
        self.check_name(&name, kind);
        Some(name)
    }

    /// Reports a name that holds what no name may (`model::name_problem`),
    /// at the name. The name is kept, so that references to it still
    /// resolve and nothing else is reported for it; a spec with the error
    /// is never built.
    fn check_name(&mut self, name: &Name, kind: NameKind) {
        let Some(problem) = name_problem(kind, &name.value) else { return };
        let (message, label, help) = match problem {
            NameProblem::Control(c) => (
                format!("a name cannot hold the control character {}", code_point(c)),
                "a control character",
                format!("remove it: {NAMES_MAY_HOLD}"),
            ),
            NameProblem::Noncharacter(c) => (
                format!("a name cannot hold the noncharacter {}", code_point(c)),
                "a noncharacter",
                format!("remove it: {NAMES_MAY_HOLD}"),
            ),
            NameProblem::ObjectKey(key) => (
                format!("a field name cannot have `{key}` as a part"),
                "a JavaScript prototype key",
                format!(
                    "rename the field: JavaScript objects treat `{key}` as their prototype's, so the hub's JSONata \
                     mapping would drop the field; no part of a field name (between dots) may be {}",
                    list(crate::model::PROTOTYPE_KEYS, "")
                ),
            ),
        };
        self.diagnostics
            .push(Diagnostic::new(&diagnostic::UNUSABLE_NAME, name.loc, message).with_label(label).with_help(help));
    }

    fn bool(&mut self, entry: &Entry<'_>) -> Option<Spanned<bool>> {
        match entry.value {
            Value::Bool(b) => Some(Spanned { value: b, loc: self.loc(entry.value_span) }),
            _ => {
                self.wrong_kind(entry, "a boolean", "`#true` or `#false`");
                None
            }
        }
    }

    fn integer(
        &mut self,
        entry: &Entry<'_>,
        range: std::ops::RangeInclusive<i128>,
        what: &str,
    ) -> Option<Spanned<i128>> {
        match entry.value {
            Value::Integer(n) if range.contains(&n) => Some(Spanned { value: n, loc: self.loc(entry.value_span) }),
            Value::Integer(n) => {
                self.report(
                    &diagnostic::BAD_VALUE,
                    entry.value_span,
                    format!("{what} must be between {} and {}, not {n}", range.start(), range.end()),
                    "out of range",
                    format!("use a whole number from {} to {}", range.start(), range.end()),
                );
                None
            }
            _ => {
                self.wrong_kind(entry, "a whole number", &format!("a number such as `{}`", range.start()));
                None
            }
        }
    }

    /// A non-negative, finite number.
    fn number(&mut self, entry: &Entry<'_>, what: &str) -> Option<Spanned<f64>> {
        let value = match entry.value {
            Value::Integer(n) => n as f64,
            Value::Float(x) => x,
            _ => {
                self.wrong_kind(entry, "a number", "a number such as `100`");
                return None;
            }
        };
        if !value.is_finite() || value < 0.0 {
            self.report(
                &diagnostic::BAD_VALUE,
                entry.value_span,
                format!("{what} must be a finite number of zero or more"),
                "out of range",
                "use a number such as `100`".into(),
            );
            return None;
        }
        Some(Spanned { value, loc: self.loc(entry.value_span) })
    }

    /// A keyword value such as `kind=crm`, checked against the language's list.
    fn keyword<K: Copy>(
        &mut self,
        entry: &Entry<'_>,
        what: &str,
        parse: fn(&str) -> Option<K>,
        keywords: &[&str],
    ) -> Option<Spanned<K>> {
        let Value::String(text) = &entry.value else {
            self.wrong_kind(entry, &format!("{} {what}", article(what)), &format!("one of {}", list(keywords, "")));
            return None;
        };
        if let Some(k) = parse(text) {
            return Some(Spanned { value: k, loc: self.loc(entry.value_span) });
        }
        let lower = text.to_ascii_lowercase();
        let synonym = SYNONYMS.iter().find(|(w, word, _)| *w == what && *word == lower).map(|(_, _, k)| *k);
        let help = match synonym.or_else(|| suggest::closest(text, keywords.iter().copied())) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("the {what}s are {}", list(keywords, "")),
        };
        self.report(
            &diagnostic::BAD_VALUE,
            entry.value_span,
            format!("unknown {what} `{text}`"),
            &format!("not {} {what}", article(what)),
            help,
        );
        None
    }

    fn duration(&mut self, entry: &Entry<'_>) -> Option<Spanned<Duration>> {
        let text = match &entry.value {
            Value::String(s) => s,
            _ => {
                self.wrong_kind(
                    entry,
                    "a duration string",
                    "a string such as `\"30s\"`, `\"5m\"`, `\"1h\"` or `\"1d\"`",
                );
                return None;
            }
        };
        match humantime::parse_duration(text) {
            Ok(d) if !d.is_zero() => Some(Spanned { value: d, loc: self.loc(entry.value_span) }),
            Ok(_) => {
                self.report(
                    &diagnostic::BAD_VALUE,
                    entry.value_span,
                    "a duration must be longer than zero".into(),
                    "zero duration",
                    "use a duration such as `\"30s\"`".into(),
                );
                None
            }
            Err(_) => {
                self.report(
                    &diagnostic::BAD_VALUE,
                    entry.value_span,
                    format!("`{text}` is not a duration"),
                    "not a duration",
                    "write a number and a unit: `\"30s\"`, `\"5m\"`, `\"1h\"`, `\"1d\"`".into(),
                );
                None
            }
        }
    }

    fn cron(&mut self, entry: &Entry<'_>) -> Option<Spanned<SmolStr>> {
        let text = self.string(entry, "a cron expression such as `\"0 2 * * *\"`")?;
        match crate::cron::problem(&text.value) {
            None => Some(text),
            Some(message) => {
                self.report(
                    &diagnostic::BAD_VALUE,
                    entry.value_span,
                    message,
                    "invalid cron",
                    "write minute, hour, day of month, month and day of week: `\"0 2 * * *\"` runs at 02:00 daily"
                        .into(),
                );
                None
            }
        }
    }

    /// A repeated single-valued child, such as a second `via`.
    fn repeated(&mut self, node: &Node<'_>, parent: &str, first: Loc) {
        let d = repeated(&node.name.text, self.loc(node.name.span), parent, first);
        crate::diagnostic::push_capped(self.diagnostics, d);
    }

    // ----- secrets -------------------------------------------------------

    /// Reports every string in the document that looks like a credential:
    /// values in nodes lowering knows and in those it does not, and values
    /// commented out with `/-`, which are committed all the same.
    fn check_secrets(&mut self, doc: Document<'_>) {
        doc.for_each_string_token(secrets::SHORTEST_SECRET, |text, span| {
            if let Some(found) = secrets::check(text) {
                let why = format!("it holds {} (`{}`)", found.what, found.masked);
                self.report_secret(span, text, found.at, why);
            }
        });
    }

    /// The finding names what was found and a masked prefix, never the
    /// value itself: CI logs are read by many. The value, decoded, is kept
    /// for `redact`, which masks it wherever else it would be printed; the
    /// text as written is no guide to that once escapes are decoded.
    fn report_secret(&mut self, span: Span, value: &str, core: std::ops::Range<usize>, why: String) {
        self.credentials.push(Credential { value: value.to_owned(), core, loc: self.loc(span) });
        self.report(
            &diagnostic::SECRET_LITERAL,
            span,
            format!("this value looks like a credential: {why}"),
            "possible credential",
            "keep credentials out of the spec: put the value in an environment variable and write its name, \
                 such as `secret \"HUBSPOT_TOKEN\"`; then rotate this one, since it may already be in version \
                 control"
                .into(),
        );
    }

    // ----- top-level nodes -----------------------------------------------

    fn stack(&mut self, node: &Node<'_>, spec: &mut Spec) {
        self.shape(node, 1, &[]);
        let name = match node.arg(0) {
            Some(entry) => self.name_prop(&entry, NameKind::Label, "`stack \"acme\"`"),
            None => None,
        };
        let mut stack = Stack {
            name,
            horizon: None,
            volume_growth: None,
            high_volume_per_day: None,
            high_volume_peak_per_second: None,
            loc: self.loc(node.span),
        };
        for child in node.child_nodes() {
            let child = &child;
            match &*child.name.text {
                "horizon" => {
                    self.leaf(child);
                    match (child.prop("months"), child.arg(0)) {
                        (Some(e), _) => {
                            self.shape(child, 0, &["months"]);
                            stack.horizon = self
                                .integer(&e, HORIZON_MONTHS, "the horizon")
                                .map(|n| Spanned { value: n.value as u32, loc: n.loc });
                        }
                        // `horizon 12`: one finding, suggesting the user's own number.
                        (None, Some(arg)) => {
                            self.shape(child, 1, &["months"]);
                            let example = match arg.value {
                                Value::Integer(n) => format!("horizon months={n}"),
                                _ => "horizon months=18".to_owned(),
                            };
                            self.report(
                                &diagnostic::MISSING_ARGUMENT,
                                arg.span,
                                "`horizon` takes the number of months as `months=N`".into(),
                                "`months=` missing",
                                format!("write it as `{example}`"),
                            );
                        }
                        (None, None) => {
                            self.shape(child, 0, &["months"]);
                            self.missing_prop(child, "months", "horizon months=18");
                        }
                    }
                }
                "volume-growth" => {
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    match child.arg(0) {
                        Some(e) => {
                            stack.volume_growth = self.number(&e, "volume growth");
                            if let Some(g) = &stack.volume_growth
                                && g.value == 0.0
                            {
                                self.report(
                                    &diagnostic::BAD_VALUE,
                                    e.value_span,
                                    "volume growth must be above zero".into(),
                                    "out of range",
                                    "`1.0` means volumes stay as they are; `3.0` means they triple".into(),
                                );
                                stack.volume_growth = None;
                            }
                        }
                        None => self.missing(child, "a growth factor", "volume-growth 3.0"),
                    }
                }
                "high-volume" => {
                    self.shape(child, 0, &["per-day", "peak-per-second"]);
                    self.leaf(child);
                    if let Some(e) = child.prop("per-day") {
                        stack.high_volume_per_day = self.number(&e, "per-day");
                    }
                    if let Some(e) = child.prop("peak-per-second") {
                        stack.high_volume_peak_per_second = self.number(&e, "peak-per-second");
                    }
                }
                _ => self.unknown_node(child, "in `stack`", &children_of("stack")),
            }
        }
        // Only the first is kept; `Lowered::append_to` reports the others.
        self.stack_names.push(self.loc(node.name.span));
        if spec.stack.is_none() {
            spec.stack = Some(stack);
        }
    }

    fn include(&mut self, node: &Node<'_>) {
        self.shape(node, 1, &[]);
        self.leaf(node);
        if let Some(path) = self.name_arg(node, "a path", "include \"sales/*.kdl\"") {
            self.includes.push(Include { pattern: path.value.to_string(), loc: path.loc });
        }
    }

    fn system(&mut self, node: &Node<'_>) -> Option<System> {
        self.shape(node, 1, &["kind"]);
        let name = self.name(node, NameKind::Label, "a name", "system \"hubspot\" kind=crm")?;
        let kind = match node.prop("kind") {
            Some(e) => self.keyword(&e, "system kind", SystemKind::parse, SystemKind::KEYWORDS),
            None => {
                self.missing_prop(node, "kind", &format!("system {:?} kind=crm", name.value));
                None
            }
        };
        let mut system = System {
            name,
            kind,
            api: None,
            webhooks: None,
            rate_limit: None,
            owner: None,
            criticality: None,
            secret: None,
            url: None,
            entities: Vec::new(),
            planned_in_months: None,
            retires_in_months: None,
            ha: None,
            webhook_signature: None,
            allows: Vec::new(),
            loc: self.loc(node.span),
        };
        let mut seen = Seen::default();
        for child in node.child_nodes() {
            let child = &child;
            let name = &*child.name.text;
            if name != "entity"
                && name != "allow"
                && let Some(known) = children_of("system").into_iter().find(|n| *n == name)
            {
                if let Some(first) = seen.get(known) {
                    self.repeated(child, "system", first);
                    continue;
                }
                seen.insert(known, self.loc(child.name.span));
            }
            match name {
                "api" => {
                    self.shape(child, 1, &["version"]);
                    self.leaf(child);
                    let style = match child.arg(0) {
                        Some(e) => self.keyword(&e, "API style", ApiStyle::parse, ApiStyle::KEYWORDS),
                        None => {
                            self.missing(child, "a style", "api rest version=\"v3\"");
                            None
                        }
                    };
                    let version = child.prop("version").map(|e| {
                        let loc = self.loc(e.value_span);
                        let text = match &e.value {
                            Value::String(s) => SmolStr::new(s),
                            Value::Integer(n) => SmolStr::new(n.to_string()),
                            Value::Float(x) => SmolStr::new(x.to_string()),
                            // Reported once here, and still taken as a version
                            // so that `unversioned-api` does not pile onto it.
                            other => {
                                self.wrong_kind(&e, "a version", "`version=\"v3\"`");
                                SmolStr::new(other.kind_name())
                            }
                        };
                        Spanned { value: text, loc }
                    });
                    system.api = Some(Box::new(Api { style, version, loc: self.loc(child.span) }));
                }
                "webhooks" => system.webhooks = self.bool_child(child, "webhooks #true"),
                "ha" => system.ha = self.bool_child(child, "ha #true"),
                "webhook-signature" => system.webhook_signature = Some(Box::new(self.webhook_signature(child))),
                "rate-limit" => {
                    self.shape(child, 1, &["per"]);
                    self.leaf(child);
                    let count = match child.arg(0) {
                        Some(e) => self.number(&e, "a rate limit"),
                        None => {
                            self.missing(child, "a number", "rate-limit 100 per=second");
                            None
                        }
                    };
                    let per = match child.prop("per") {
                        Some(e) => self.keyword(&e, "time unit", TimeUnit::parse, TimeUnit::KEYWORDS),
                        None => {
                            self.missing_prop(child, "per", "rate-limit 100 per=second");
                            None
                        }
                    };
                    if let (Some(count), Some(per)) = (count, per) {
                        system.rate_limit =
                            Some(RateLimit { count: count.value, per: per.value, loc: self.loc(child.span) });
                    }
                }
                "owner" => system.owner = self.string_child(child, "owner \"sales-ops\""),
                "secret" => {
                    system.secret = self.string_child(child, "secret \"HUBSPOT_TOKEN\"");
                    // A credential is reported wherever it is written (see
                    // `check_secrets`); here, any other value that is not a
                    // variable's name.
                    if let Some(secret) = &system.secret
                        && !secrets::is_env_name(&secret.value)
                        && secrets::check(&secret.value).is_none()
                    {
                        let why = "`secret` takes an environment variable's name, such as `HUBSPOT_TOKEN`";
                        self.report_secret(secret.loc.span, &secret.value, 0..secret.value.len(), why.into());
                    }
                }
                "url" => system.url = self.string_child(child, "url \"https://api.example.com\""),
                "criticality" => {
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    system.criticality = match child.arg(0) {
                        Some(e) => self.keyword(&e, "criticality", Criticality::parse, Criticality::KEYWORDS),
                        None => {
                            self.missing(child, "a level", "criticality high");
                            None
                        }
                    };
                }
                "planned" | "retires" => {
                    self.shape(child, 0, &["in-months"]);
                    self.leaf(child);
                    let months = match child.prop("in-months") {
                        Some(e) => self
                            .integer(&e, 0..=120, "`in-months`")
                            .map(|n| Spanned { value: n.value as u32, loc: n.loc }),
                        None => {
                            self.missing_prop(child, "in-months", &format!("{name} in-months=6"));
                            None
                        }
                    };
                    if name == "planned" {
                        system.planned_in_months = months;
                    } else {
                        system.retires_in_months = months;
                    }
                }
                "entity" => {
                    if let Some(entity) = self.entity(child) {
                        system.entities.push(entity);
                    }
                }
                "allow" => {
                    if let Some(allow) = self.allow(child) {
                        system.allows.push(allow);
                    }
                }
                _ => self.unknown_node(child, "in a system", &children_of("system")),
            }
        }
        Some(system)
    }

    fn bool_child(&mut self, node: &Node<'_>, example: &str) -> Option<Spanned<bool>> {
        self.shape(node, 1, &[]);
        self.leaf(node);
        match node.arg(0) {
            Some(e) => self.bool(&e),
            None => {
                self.missing(node, "`#true` or `#false`", example);
                None
            }
        }
    }

    fn string_child(&mut self, node: &Node<'_>, example: &str) -> Option<Spanned<SmolStr>> {
        self.shape(node, 1, &[]);
        self.leaf(node);
        match node.arg(0) {
            Some(e) => self.string(&e, &format!("`{example}`")),
            None => {
                self.missing(node, "a value", example);
                None
            }
        }
    }

    fn entity(&mut self, node: &Node<'_>) -> Option<Entity> {
        self.shape(node, 1, &[]);
        let name = self.name(node, NameKind::Label, "a name", "entity \"contact\"")?;
        let mut fields = Vec::new();
        for child in node.child_nodes() {
            let child = &child;
            match &*child.name.text {
                "field" => fields.extend(self.field(child)),
                _ => self.unknown_node(child, "in an entity", &["field"]),
            }
        }
        Some(Entity { name, fields, loc: self.loc(node.span) })
    }

    fn field(&mut self, node: &Node<'_>) -> Option<Field> {
        self.shape(node, 1, &["type", "required", "generated"]);
        self.leaf(node);
        let name = self.name(node, NameKind::Field, "a name", "field \"email\" type=email")?;
        let ty = match node.prop("type") {
            Some(e) => self.keyword(&e, "field type", FieldType::parse, FieldType::KEYWORDS),
            None => {
                self.missing_prop(node, "type", &format!("field {:?} type=string", name.value));
                None
            }
        };
        let required = node.prop("required").and_then(|e| self.bool(&e)).is_some_and(|b| b.value);
        let generated = node.prop("generated").and_then(|e| self.bool(&e)).is_some_and(|b| b.value);
        Some(Field { name, ty, required, generated, loc: self.loc(node.span) })
    }

    fn allow(&mut self, node: &Node<'_>) -> Option<Allow> {
        self.shape(node, 1, &["reason"]);
        self.leaf(node);
        let rule = self.name_arg(node, "a rule name", "allow \"no-logging\" reason=\"...\"")?;
        let reason = node.prop("reason").and_then(|e| self.string(&e, "`reason=\"...\"`"));
        Some(Allow { rule, reason, loc: self.loc(node.span) })
    }

    fn event(&mut self, node: &Node<'_>) -> Option<Event> {
        self.shape(node, 1, &["from", "entity", "version"]);
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
            key: None,
            fields: Vec::new(),
            volume: None,
            allows: Vec::new(),
            loc: self.loc(node.span),
        };
        for child in node.child_nodes() {
            let child = &child;
            match &*child.name.text {
                "key" => {
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    if let Some(first) = &event.key {
                        self.repeated(child, "event", first.name.loc);
                        continue;
                    }
                    event.key = self.name(child, NameKind::Field, "a field name", "key \"lead_id\"").map(Ref::new);
                }
                "field" => event.fields.extend(self.field(child)),
                "delivery" => {
                    self.shape(child, 1, &[]);
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
                    self.shape(child, 0, &[]);
                    self.leaf(child);
                    if let Some(first) = event.external {
                        self.repeated(child, "event", first);
                        continue;
                    }
                    event.external = Some(self.loc(child.span));
                }
                "volume" => {
                    self.shape(child, 0, &["per-day", "peak-per-second"]);
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
                "allow" => event.allows.extend(self.allow(child)),
                _ => self.unknown_node(child, "in an event", &children_of("event")),
            }
        }
        Some(event)
    }

    /// An event's `version=`: a whole number, or a semantic-version string
    /// such as `"1.0.0"` (AsyncAPI's and EventCatalog's form). A bad one is
    /// reported once and still counts as a version, so that `unversioned-api`
    /// does not pile onto it.
    fn event_version(&mut self, entry: &Entry<'_>) -> Spanned<SmolStr> {
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

    fn flow(&mut self, node: &Node<'_>) -> Option<Flow> {
        self.shape(node, 1, &[]);
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
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    if let Some(event) = self.name(child, NameKind::Label, "an event name", "on \"lead.created\"") {
                        flow.trigger = Some(Trigger {
                            kind: TriggerKind::On { event: Ref::new(event) },
                            loc: self.loc(child.span),
                        });
                    }
                }
                "poll" => {
                    self.shape(child, 1, &["entity", "every", "path", "cursor"]);
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
                    self.shape(child, 0, &["every", "cron"]);
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
                    self.shape(child, 1, &["entity"]);
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
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    flow.via = self.name(child, NameKind::Label, "a hub or broker name", "via zapier").map(Ref::new);
                }
                "idempotency-key" => {
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    flow.idempotency_key =
                        self.name(child, NameKind::Field, "a field name", "idempotency-key \"lead_id\"").map(Ref::new);
                }
                "retry" => flow.retry = Some(self.retry(child)),
                "dead-letter" | "log" | "loop-guard" => {
                    self.shape(child, 0, &[]);
                    self.leaf(child);
                    let loc = Some(self.loc(child.span));
                    match name {
                        "dead-letter" => flow.dead_letter = loc,
                        "log" => flow.log = loc,
                        _ => flow.loop_guard = loc,
                    }
                }
                "latency" => {
                    self.shape(child, 0, &["max"]);
                    self.leaf(child);
                    flow.latency = match child.prop("max") {
                        Some(e) => self.duration(&e),
                        None => {
                            self.missing_prop(child, "max", "latency max=\"5m\"");
                            None
                        }
                    };
                }
                "allow" => flow.allows.extend(self.allow(child)),
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
    fn check_flow_shape(&mut self, node: &Node<'_>, flow: &Flow, had_trigger: bool, had_to: bool) {
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
    fn target(&mut self, node: &Node<'_>, misspelt: &mut Vec<&'static str>) -> Option<Target> {
        self.shape(node, 1, &["action", "entity"]);
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
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    target.idempotency_key =
                        self.name(child, NameKind::Field, "a field name", "idempotency-key \"lead_id\"").map(Ref::new);
                }
                "retry" => target.retry = Some(Box::new(self.retry(child))),
                "emits" => {
                    self.shape(child, 1, &[]);
                    self.leaf(child);
                    target.emits.extend(
                        self.name(child, NameKind::Label, "an event name", "emits \"contact.updated\"").map(Ref::new),
                    );
                }
                "map" => {
                    self.shape(child, 1, &["to"]);
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
                    self.shape(child, 2, &[]);
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
                    self.shape(child, 0, &["method", "path"]);
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

    /// `webhook-signature "hmac-sha256" header="X-Signature" secret="ENV" encoding=hex prefix="sha256="`.
    fn webhook_signature(&mut self, node: &Node<'_>) -> WebhookSignature {
        const EXAMPLE: &str = "webhook-signature \"hmac-sha256\" header=\"X-Signature\" secret=\"SHOP_WEBHOOK_SECRET\"";
        self.shape(node, 1, &["header", "secret", "encoding", "prefix"]);
        self.leaf(node);
        let scheme = match node.arg(0) {
            Some(e) => self.keyword(&e, "signature scheme", SignatureScheme::parse, SignatureScheme::KEYWORDS),
            None => {
                self.missing(node, "a scheme", EXAMPLE);
                None
            }
        };
        let header = match node.prop("header") {
            Some(e) => self.string(&e, "`header=\"X-Signature\"`").filter(|h| {
                let token =
                    !h.value.is_empty() && h.value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !token {
                    self.report(
                        &diagnostic::BAD_VALUE,
                        e.value_span,
                        "a header name has only letters, digits, `-` and `_`".into(),
                        "not a header name",
                        "write the header as the producer documents it, such as `X-Shopify-Hmac-Sha256`".into(),
                    );
                }
                token
            }),
            None => {
                self.missing_prop(node, "header", EXAMPLE);
                None
            }
        };
        let secret = match node.prop("secret") {
            Some(e) => self.string(&e, "`secret=\"SHOP_WEBHOOK_SECRET\"`").filter(|s| {
                let ok = secrets::is_env_name(&s.value);
                if !ok && secrets::check(&s.value).is_none() {
                    let why = "`secret=` takes an environment variable's name, such as `SHOP_WEBHOOK_SECRET`";
                    self.report_secret(e.value_span, &s.value, 0..s.value.len(), why.into());
                }
                ok
            }),
            None => {
                self.missing_prop(node, "secret", EXAMPLE);
                None
            }
        };
        let encoding = node.prop("encoding").and_then(|e| {
            self.keyword(&e, "signature encoding", SignatureEncoding::parse, SignatureEncoding::KEYWORDS)
        });
        let prefix = node.prop("prefix").and_then(|e| self.string(&e, "`prefix=\"sha256=\"`"));
        WebhookSignature { scheme, header, secret, encoding, prefix, loc: self.loc(node.span) }
    }

    /// A URL path for a backend: it starts with `/` and holds no spaces or
    /// control characters.
    fn url_path(&mut self, entry: &Entry<'_>) -> Option<Spanned<SmolStr>> {
        let path = self.string(entry, "`path=\"/invoices\"`")?;
        let ok = path.value.starts_with('/') && !path.value.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            self.report(
                &diagnostic::BAD_VALUE,
                entry.value_span,
                "a path starts with `/` and has no spaces or control characters".into(),
                "not a URL path",
                "write the path after the system's base URL, such as `path=\"/invoices\"`".into(),
            );
            return None;
        }
        Some(path)
    }

    fn retry(&mut self, node: &Node<'_>) -> Retry {
        self.shape(node, 0, &["attempts", "backoff", "initial", "max"]);
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

    fn lint(&mut self, node: &Node<'_>, spec: &mut Spec) {
        self.shape(node, 0, &[]);
        for child in node.child_nodes() {
            let child = &child;
            let Some(level) = LintLevel::parse(&child.name.text) else {
                self.unknown_node(child, "in `lint`", LintLevel::KEYWORDS);
                continue;
            };
            self.shape(child, usize::MAX, &[]);
            self.leaf(child);
            if child.arg(0).is_none() {
                self.missing(child, "a rule name", &format!("{} \"no-logging\"", child.name.text));
            }
            // `deny "a" "b"` names several rules at once.
            for entry in child.entries().filter(|e| e.key.is_none()) {
                if let Some(rule) = self.string(&entry, "`\"no-logging\"`") {
                    spec.lint.push(LintDirective { level, rule, loc: self.loc(child.span) });
                }
            }
        }
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

/// A KDL value as the model's constant.
fn constant(value: &Value<'_>) -> crate::model::Constant {
    use crate::model::Constant;
    match value {
        Value::String(s) => Constant::String(SmolStr::new(s)),
        Value::Integer(n) => Constant::Integer(*n),
        Value::Float(x) => Constant::Float(*x),
        Value::Bool(b) => Constant::Bool(*b),
        Value::Null => Constant::Null,
    }
}

/// "`a`, `b` or `c`", each with `suffix` appended inside the backticks.
fn list(items: &[&str], suffix: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}{suffix}`")).collect();
    crate::prose::list(&quoted, quoted.len(), usize::MAX, "or")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax;

    /// Lowers `text` as file 0 after `before` (an earlier file, lowered on
    /// one thread), on `threads` threads; returns what came out, printed.
    fn lowered(before: &str, text: &str, threads: usize) -> String {
        let (mut spec, mut diagnostics) = (Spec::default(), Vec::new());
        let earlier = syntax::parse(before);
        lower_document(FileId(1), earlier.document(), 1).append_to(&mut spec, &mut diagnostics);
        let parse = syntax::parse(text);
        let doc = parse.document();
        // Cut in runs of a few nodes, so that even this short text is split.
        let mut includes = Vec::new();
        for run in doc.split(threads) {
            includes.extend(lower_document(FileId(0), run, 1).append_to(&mut spec, &mut diagnostics));
        }
        diagnostics.sort_by(Diagnostic::order);
        format!("{spec:#?}\n{diagnostics:#?}\n{includes:#?}")
    }

    #[test]
    fn lowering_in_parallel_gives_what_one_thread_gives() {
        // Mistakes and order-sensitive nodes spread over the whole file: a
        // repeated `stack`, includes, lint blocks, unknown nodes, secrets.
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!(
                "system \"s{i}\" kind=crm {{ secret \"sk_live_{i:0>20}\" }}\n\
                 event \"e{i}\" from=s{i} {{ fild \"x\" type=string }}\n\
                 flow \"f{i}\" {{\n  on \"e{i}\"\n  to s{i} action=upsart\n}}\n"
            ));
            if i % 13 == 0 {
                text.push_str(&format!(
                    "stack \"acme-{i}\"\ninclude \"part-{i}.kdl\"\nlint {{ allow \"no-logging\" }}\nsytem \"x\"\n"
                ));
            }
        }
        let one = lowered("", &text, 1);
        assert!(one.contains("unknown property") || one.contains("unknown node"), "{one}");
        assert!(one.contains("is given twice"), "the repeated stack is reported: {one}");
        for threads in [2, 3, 7] {
            let many = lowered("", &text, threads);
            // Point at the first line that differs rather than print both.
            let (a, b): (Vec<&str>, Vec<&str>) = (many.lines().collect(), one.lines().collect());
            if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
                panic!("{threads} threads: {:#?}\nvs one thread: {:#?}", &a[i.saturating_sub(8)..i + 2], &b[i..i + 2]);
            }
            assert_eq!(many, one);
        }
        // With a `stack` in an earlier file, every one here is repeated.
        let after = lowered("stack \"first\"\n", &text, 1);
        assert_ne!(after, one);
        assert_eq!(lowered("stack \"first\"\n", &text, 3), after);
    }

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
