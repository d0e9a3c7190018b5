//! The readers every node shares: a node's shape (which arguments and
//! properties it takes, from `crate::shapes`), and each kind of value
//! (strings, names, numbers, keywords, durations, cron expressions, paths),
//! each reporting what is wrong with it and returning what it could read.

use std::time::Duration;

use smol_str::SmolStr;

use super::{Lowerer, children_of, repeated};
use crate::diagnostic::{self, Diagnostic};
use crate::model::{Loc, Name, NameKind, NameProblem, Spanned, name_problem};
use crate::shapes::{Prop, Shape};
use crate::suggest;
use crate::syntax::{Entry, Node, Value};

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

impl Lowerer<'_> {
    /// Reports entries a node does not take, by its `shape` in the table of
    /// the language's shapes: properties it does not list, and arguments
    /// beyond the number it takes.
    pub(super) fn shape(&mut self, node: &Node<'_>, shape: &Shape) {
        self.entries(node, shape.args, shape.props);
    }

    /// Reports properties outside `props` and arguments beyond `max_args`.
    pub(super) fn entries(&mut self, node: &Node<'_>, max_args: usize, props: &[Prop]) {
        let mut args = 0;
        for (key, span) in node.keys() {
            match &key {
                Some(key) if !props.iter().any(|p| p.key == key.text) => {
                    let child = children_of(&node.name.text).contains(&&*key.text);
                    let suggestion = suggest::suggestion(&key.text, props.iter().map(|p| p.key)).filter(|_| !child);
                    let help = match suggestion {
                        _ if child => format!(
                            "`{}` is a child node, not a property: write `{} ...` inside the `{{ }}` block of `{}`",
                            key.text, key.text, node.name.text
                        ),
                        Some(c) => format!("did you mean `{}`?", c.name),
                        None if props.is_empty() => format!("`{}` takes no properties", node.name.text),
                        None => {
                            let keys: Vec<&str> = props.iter().map(|p| p.key).collect();
                            format!("`{}` takes {}", node.name.text, list(&keys, "="))
                        }
                    };
                    self.report_fixed(
                        &diagnostic::UNKNOWN_PROPERTY,
                        key.span,
                        format!("unknown property `{}` on `{}`", key.text, node.name.text),
                        "unknown property",
                        help,
                        suggestion.map(|c| crate::diagnostic::Fix::did_you_mean(self.loc(key.span), c)),
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
    pub(super) fn leaf(&mut self, node: &Node<'_>) {
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

    pub(super) fn unknown_node(&mut self, node: &Node<'_>, place: &str, known: &[&str]) {
        let suggestion = suggest::suggestion(&node.name.text, known.iter().copied());
        let help = match suggestion {
            Some(c) => format!("did you mean `{}`?", c.name),
            None => format!("expected one of {}", list(known, "")),
        };
        self.report_fixed(
            &diagnostic::UNKNOWN_NODE,
            node.name.span,
            format!("unknown node `{}` {place}", node.name.text),
            "unknown node",
            help,
            suggestion.map(|c| crate::diagnostic::Fix::did_you_mean(self.loc(node.name.span), c)),
        );
    }

    pub(super) fn missing(&mut self, node: &Node<'_>, what: &str, example: &str) {
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
    pub(super) fn missing_prop(&mut self, node: &Node<'_>, key: &str, example: &str) {
        let misspelt =
            node.entries().filter_map(|e| e.key).any(|k| k.text != key && suggest::closest(&k.text, [key]).is_some());
        if !misspelt {
            self.missing(node, &format!("`{key}=`"), example);
        }
    }

    /// Reports a value of the wrong kind.
    pub(super) fn wrong_kind(&mut self, entry: &Entry<'_>, expected: &str, example: &str) {
        let kind = entry.value.kind_name();
        self.report(
            &diagnostic::BAD_VALUE,
            entry.value_span,
            format!("expected {expected}, found {kind}"),
            &format!("expected {expected}"),
            format!("write it as {example}"),
        );
    }

    pub(super) fn string(&mut self, entry: &Entry<'_>, example: &str) -> Option<Spanned<SmolStr>> {
        match &entry.value {
            Value::String(s) => Some(Spanned { value: SmolStr::new(s), loc: self.loc(entry.value_span) }),
            _ => {
                self.wrong_kind(entry, "a string", example);
                None
            }
        }
    }

    /// A required string argument (a name, a path).
    pub(super) fn name_arg(&mut self, node: &Node<'_>, what: &str, example: &str) -> Option<Name> {
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
    pub(super) fn name(&mut self, node: &Node<'_>, kind: NameKind, what: &str, example: &str) -> Option<Name> {
        let name = self.name_arg(node, what, example)?;
        self.check_name(&name, kind);
        Some(name)
    }

    /// A name given as an entry's value (`from=`, `entity=`, `to=`,
    /// `cursor=`, or the optional name of a `stack`).
    pub(super) fn name_prop(&mut self, entry: &Entry<'_>, kind: NameKind, example: &str) -> Option<Name> {
        let name = self.string(entry, example)?;
        self.check_name(&name, kind);
        Some(name)
    }

    /// Reports a name that holds what no name may (`model::name_problem`),
    /// at the name. The name is kept, so that references to it still
    /// resolve and nothing else is reported for it; a spec with the error
    /// is never built.
    pub(super) fn check_name(&mut self, name: &Name, kind: NameKind) {
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

    pub(super) fn bool(&mut self, entry: &Entry<'_>) -> Option<Spanned<bool>> {
        match entry.value {
            Value::Bool(b) => Some(Spanned { value: b, loc: self.loc(entry.value_span) }),
            _ => {
                self.wrong_kind(entry, "a boolean", "`#true` or `#false`");
                None
            }
        }
    }

    pub(super) fn integer(
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
    pub(super) fn number(&mut self, entry: &Entry<'_>, what: &str) -> Option<Spanned<f64>> {
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
    pub(super) fn keyword<K: Copy>(
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
        // A synonym (`ecommerce` for `shop`) means one keyword: as safe as a
        // typo with one candidate.
        let suggestion = synonym
            .map(|name| suggest::Suggestion { name, only: true })
            .or_else(|| suggest::suggestion(text, keywords.iter().copied()));
        let help = match suggestion {
            Some(c) => format!("did you mean `{}`?", c.name),
            None => format!("the {what}s are {}", list(keywords, "")),
        };
        self.report_fixed(
            &diagnostic::BAD_VALUE,
            entry.value_span,
            format!("unknown {what} `{text}`"),
            &format!("not {} {what}", article(what)),
            help,
            suggestion.map(|c| crate::diagnostic::Fix::did_you_mean(self.loc(entry.value_span), c)),
        );
        None
    }

    pub(super) fn duration(&mut self, entry: &Entry<'_>) -> Option<Spanned<Duration>> {
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

    pub(super) fn cron(&mut self, entry: &Entry<'_>) -> Option<Spanned<SmolStr>> {
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
    pub(super) fn repeated(&mut self, node: &Node<'_>, parent: &str, first: Loc) {
        let d = repeated(&node.name.text, self.loc(node.name.span), parent, first);
        crate::diagnostic::push_capped(self.diagnostics, d);
    }

    /// A child that holds one boolean, such as `webhooks #true`.
    pub(super) fn bool_child(&mut self, node: &Node<'_>, shape: &Shape, example: &str) -> Option<Spanned<bool>> {
        self.shape(node, shape);
        self.leaf(node);
        match node.arg(0) {
            Some(e) => self.bool(&e),
            None => {
                self.missing(node, "`#true` or `#false`", example);
                None
            }
        }
    }

    /// A child that holds one string, such as `owner "sales-ops"`.
    pub(super) fn string_child(&mut self, node: &Node<'_>, shape: &Shape, example: &str) -> Option<Spanned<SmolStr>> {
        self.shape(node, shape);
        self.leaf(node);
        match node.arg(0) {
            Some(e) => self.string(&e, &format!("`{example}`")),
            None => {
                self.missing(node, "a value", example);
                None
            }
        }
    }

    /// A URL path for a backend: it starts with `/` and holds no spaces or
    /// control characters.
    pub(super) fn url_path(&mut self, entry: &Entry<'_>) -> Option<Spanned<SmolStr>> {
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
}

/// A KDL value as the model's constant.
pub(super) fn constant(value: &Value<'_>) -> crate::model::Constant {
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
pub(super) fn list(items: &[&str], suffix: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}{suffix}`")).collect();
    crate::prose::list(&quoted, quoted.len(), usize::MAX, "or")
}
