//! The one diagnostic type every stage produces, and its severities.
//!
//! A diagnostic says what is wrong (`message`), where (`primary` label on the
//! exact span), why (`secondary` labels at related places, such as the first
//! declaration of a duplicate) and what to do (`help`, and a `fix` where the
//! change is mechanical: `fix.rs`). Renderers in
//! `crate::render` turn it into text, JSON, SARIF or LSP messages; nothing here
//! knows about output formats.

use std::borrow::Cow;
use std::cmp::Ordering;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{Loc, Owner};

mod build_errors;
mod fix;
mod spec_errors;

pub(crate) use build_errors::{NAME_CLASH, NOT_CARRIED_OUT, SQL_UNQUOTABLE};
pub(crate) use fix::{Applicability, Edit, EditSet, Fix, Resolver, TextEdit};
pub(crate) use spec_errors::{
    BAD_VALUE, DUPLICATE_NAME, INCLUDE_ERROR, MISSING_ARGUMENT, SECRET_LITERAL, SYNTAX, UNKNOWN_NODE, UNKNOWN_PROPERTY,
    UNKNOWN_RULE, UNRESOLVED_REFERENCE, UNUSABLE_NAME,
};

/// How serious a finding is. Ordered from most to least serious.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A span with a message: the primary place, or a related one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Label {
    pub(crate) loc: Loc,
    /// Borrowed where it is fixed text, as most labels are.
    pub(crate) message: Cow<'static, str>,
}

#[derive(Clone, Debug)]
pub(crate) struct Diagnostic {
    pub(crate) rule: &'static Rule,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    pub(crate) primary: Label,
    pub(crate) secondary: Vec<Label>,
    /// What to do about it: every diagnostic has one (`Draft::with_help` is
    /// the only way to finish one). Borrowed where it is fixed text, as most
    /// helps are: a check that finds a problem in each of 100,000 flows
    /// then copies none of them.
    pub(crate) help: Cow<'static, str>,
    /// The system, event or flow the finding is about: its inline `allow`s
    /// apply to this diagnostic.
    pub(crate) owner: Option<Owner>,
    /// Set on a finding about the spec as a whole (counted over many flows,
    /// shown at whichever flow comes first): what makes it the same finding
    /// across edits, without counts. Baselines and SARIF fingerprints key it
    /// to this alone, so moving flows, adding one or moving a file does not
    /// make it new.
    pub(crate) spec_wide: Option<String>,
    /// For a finding that groups several nodes (the handlers of one
    /// service, listed in one finding), each node's own finding, the first
    /// being `owner`'s: what a reader of findings by node (the planner, the
    /// graph) counts it against, and what baselines record. Empty otherwise.
    pub(crate) members: Vec<Member>,
    /// How many more findings of this rule in this file, after this one in
    /// output order, were counted here instead of kept (see `compact`).
    pub(crate) folded: usize,
    /// The mechanical change that settles the finding, set where it is
    /// made; editors, `check --fix` and the reports read it. Boxed: most
    /// findings have none, and a check may hold a great many findings.
    pub(crate) fix: Option<Box<Fix>>,
}

/// One node of a grouped finding: the finding it would get alone.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub(crate) owner: Owner,
    pub(crate) message: String,
    pub(crate) loc: Loc,
}

/// A diagnostic being built: it becomes a `Diagnostic` only once it says
/// what to do (`with_help`), so no diagnostic can leave a stage without a
/// help.
#[derive(Clone, Debug)]
#[must_use = "a draft is reported only once `with_help` makes it a diagnostic"]
pub(crate) struct Draft(Diagnostic);

impl Diagnostic {
    /// A draft diagnostic of `rule` at its default severity.
    #[allow(clippy::new_ret_no_self)] // A diagnostic starts as a draft until it has its help.
    pub(crate) fn new(rule: &'static Rule, loc: Loc, message: impl Into<String>) -> Draft {
        Draft(Diagnostic {
            rule,
            severity: rule.default_severity,
            message: message.into(),
            primary: Label { loc, message: Cow::Borrowed("") },
            secondary: Vec::new(),
            help: Cow::Borrowed(""),
            owner: None,
            spec_wide: None,
            members: Vec::new(),
            folded: 0,
            fix: None,
        })
    }

    /// Sets the primary label's text.
    pub(crate) fn with_label(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label at a related place.
    pub(crate) fn with_secondary(mut self, loc: Loc, message: impl Into<Cow<'static, str>>) -> Self {
        self.secondary.push(Label { loc, message: message.into() });
        self
    }

    pub(crate) fn with_owner(mut self, owner: Owner) -> Self {
        self.owner = Some(owner);
        self
    }

    /// Attaches the fix that settles the finding.
    pub(crate) fn with_fix(mut self, fix: impl Into<Option<Fix>>) -> Self {
        self.fix = fix.into().map(Box::new);
        self
    }

    /// Every node the finding is about: the members of a grouped finding,
    /// else its owner.
    pub(crate) fn owners(&self) -> impl Iterator<Item = Owner> + '_ {
        let alone = if self.members.is_empty() { self.owner } else { None };
        alone.into_iter().chain(self.members.iter().map(|m| m.owner))
    }

    /// The stable order of output: file, then position, then rule and text.
    pub(crate) fn order(&self, other: &Self) -> Ordering {
        (self.primary.loc.file, self.primary.loc.span.start, self.primary.loc.span.end, self.rule.code)
            .cmp(&(other.primary.loc.file, other.primary.loc.span.start, other.primary.loc.span.end, other.rule.code))
            .then_with(|| self.message.cmp(&other.message))
    }
}

/// How many findings of one rule in one file a list keeps while it is built:
/// the ones shown, and the next, where the report says how many more.
const KEPT_PER_RULE_AND_FILE: usize = crate::source::MAX_PER_RULE_AND_FILE + 1;

/// A list shorter than this is never compacted: compacting it saves little.
const COMPACT_FROM: usize = 4 * KEPT_PER_RULE_AND_FILE;

/// Adds `d` to `list`, compacting the list first when it is full (see
/// `compact`): a stage that finds a million problems of one kind holds a few
/// thousand of them at any time, not a million. The amortized cost is that
/// of the push: a compaction that frees less than half the list doubles it.
pub(crate) fn push_capped(list: &mut Vec<Diagnostic>, d: Diagnostic) {
    push_capped_where(list, d, |d| !d.rule.is_configurable());
}

/// `push_capped`, folding what `foldable` says may be folded.
pub(crate) fn push_capped_where(list: &mut Vec<Diagnostic>, d: Diagnostic, foldable: impl Fn(&Diagnostic) -> bool) {
    if list.len() == list.capacity() && list.len() >= COMPACT_FROM {
        compact_where(list, foldable);
        if list.len() * 2 > list.capacity() {
            list.reserve(list.len());
        }
    }
    list.push(d);
}

/// Keeps, of each rule that is not configurable (the spec's own errors,
/// whose level no `lint` block or `allow` changes) in each file, the
/// `KEPT_PER_RULE_AND_FILE` first in output order, and counts the rest in the
/// last one kept (`folded`), so the final cap reports the same as if all had
/// been kept. Configurable findings are left for the cap after levels apply:
/// an `allow` may yet silence some of them. The list's order changes.
#[cfg(test)]
pub(crate) fn compact(list: &mut Vec<Diagnostic>) {
    compact_where(list, |d| !d.rule.is_configurable());
}

/// `compact` for the findings `foldable` says may be folded: a check's own
/// findings, once the inline `allow`s have silenced theirs (`lint::Findings`),
/// are final but for their severity, so they may be folded as spec errors
/// are.
pub(crate) fn compact_where(list: &mut Vec<Diagnostic>, foldable: impl Fn(&Diagnostic) -> bool) {
    let key = |d: &Diagnostic| (d.rule.is_configurable(), d.rule.code, d.primary.loc.file);
    list.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.order(b)));
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(list.len());
    let mut run = 0;
    for d in list.drain(..) {
        match kept.last_mut() {
            Some(last) if key(last) == key(&d) && foldable(&d) => {
                if run == KEPT_PER_RULE_AND_FILE {
                    last.folded += 1 + d.folded;
                    continue;
                }
                run += 1;
            }
            _ => run = 1,
        }
        kept.push(d);
    }
    *list = kept;
}

// A draft's fields can be read and changed as it is built; it still needs
// `with_help` to become a diagnostic.
impl std::ops::Deref for Draft {
    type Target = Diagnostic;

    fn deref(&self) -> &Diagnostic {
        &self.0
    }
}

impl std::ops::DerefMut for Draft {
    fn deref_mut(&mut self) -> &mut Diagnostic {
        &mut self.0
    }
}

impl Draft {
    /// Sets the primary label's text.
    pub(crate) fn with_label(self, message: impl Into<Cow<'static, str>>) -> Self {
        Draft(self.0.with_label(message))
    }

    /// Adds a secondary label at a related place.
    pub(crate) fn with_secondary(self, loc: Loc, message: impl Into<Cow<'static, str>>) -> Self {
        Draft(self.0.with_secondary(loc, message))
    }

    pub(crate) fn with_owner(self, owner: Owner) -> Self {
        Draft(self.0.with_owner(owner))
    }

    /// Attaches the fix that settles the finding (`None` leaves it without).
    pub(crate) fn with_fix(self, fix: impl Into<Option<Fix>>) -> Self {
        Draft(self.0.with_fix(fix))
    }

    /// Marks a finding about the spec as a whole, the same finding for as
    /// long as `key` (its facts, never its counts) is the same.
    pub(crate) fn about_the_spec(mut self, key: impl Into<String>) -> Self {
        self.0.spec_wide = Some(key.into());
        self
    }

    /// Says what to do, which finishes the diagnostic.
    pub(crate) fn with_help(mut self, help: impl Into<Cow<'static, str>>) -> Diagnostic {
        self.0.help = help.into();
        self.0
    }
}

/// Counts of diagnostics by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct Summary {
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) infos: usize,
}

impl Summary {
    pub(crate) fn of(diagnostics: &[Diagnostic]) -> Self {
        let mut s = Summary::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Category {
    /// Errors in the spec itself: always errors, never allowed.
    Spec,
    /// Findings about the integration topology: configurable.
    Topology,
    /// Findings about `allow` itself.
    Suppression,
    /// What a `build` target cannot emit as the spec says: always errors,
    /// never allowed.
    Build,
}

impl Category {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Spec => "spec",
            Category::Topology => "topology",
            Category::Suppression => "suppression",
            Category::Build => "build",
        }
    }
}

/// A rule's metadata and documentation.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) name: &'static str,
    pub(crate) code: &'static str,
    pub(crate) default_severity: Severity,
    /// Off unless a `lint` block or the command line turns it on (`warn`,
    /// at `default_severity`, or `deny`), as clippy's allow-by-default
    /// lints: a question that a spec describing an integration from outside
    /// almost always answers wrong (what the code fills in beside the
    /// `map`s), and that only a spec that is the whole program can settle.
    pub(crate) off_by_default: bool,
    pub(crate) category: Category,
    /// One line, for `wireplan rules` and the README's table.
    pub(crate) summary: &'static str,
    /// Markdown: "What it finds", "Why it matters", "Example", "Fix".
    raw_doc: &'static str,
}

impl Rule {
    /// Where the rule's documentation is published: its page in the
    /// repository's `docs/rules/`, generated from the same text as `wireplan
    /// explain` (editors and SARIF viewers link to it).
    pub(crate) fn url(&self) -> String {
        format!("{}/blob/main/docs/rules/{}.md", env!("CARGO_PKG_REPOSITORY"), self.name)
    }

    /// The documentation with the one leading space of each `///` line removed.
    pub(crate) fn doc(&self) -> String {
        let mut out = String::with_capacity(self.raw_doc.len());
        for line in self.raw_doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_owned() + "\n"
    }

    /// The level the rule reports at unless a `lint` block or the command
    /// line says otherwise: its severity, or `None` (off).
    pub(crate) fn level_by_default(&self) -> Option<Severity> {
        (!self.off_by_default).then_some(self.default_severity)
    }

    /// The default level as the rule tables print it: its severity, or
    /// `off (info)` for a rule that is off unless turned on.
    pub(crate) fn default_level(&self) -> String {
        if self.off_by_default {
            format!("off ({})", self.default_severity.as_str())
        } else {
            self.default_severity.as_str().to_owned()
        }
    }

    /// Spec errors cannot be configured or allowed.
    pub(crate) fn is_configurable(&self) -> bool {
        matches!(self.category, Category::Topology | Category::Suppression)
    }
}

/// Declares a rule. The `///` lines above it become its documentation.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $id:ident = {
            name: $name:literal,
            code: $code:literal,
            severity: $severity:ident,
            category: $category:ident,
            summary: $summary:literal
            $(, off_by_default: $off:literal)? $(,)?
        }
    ) => {
        $vis static $id: $crate::diagnostic::Rule = $crate::diagnostic::Rule::__new(
            $name,
            $code,
            $crate::diagnostic::Severity::$severity,
            false $(|| $off)?,
            $crate::diagnostic::Category::$category,
            $summary,
            concat!($($doc, "\n"),*),
        );
    };
}
pub(crate) use declare_rule;

impl Rule {
    #[doc(hidden)]
    pub(crate) const fn __new(
        name: &'static str,
        code: &'static str,
        default_severity: Severity,
        off_by_default: bool,
        category: Category,
        summary: &'static str,
        raw_doc: &'static str,
    ) -> Self {
        Rule { name, code, default_severity, off_by_default, category, summary, raw_doc }
    }
}

#[cfg(test)]
mod tests {
    use super::{Diagnostic, KEPT_PER_RULE_AND_FILE, SYNTAX, compact, push_capped};
    use crate::model::{FileId, Loc};
    use crate::source::Span;

    fn at(rule: &'static super::Rule, file: u32, start: usize) -> Diagnostic {
        Diagnostic::new(rule, Loc::new(FileId(file), Span::new(start, start + 1)), "m").with_help("h")
    }

    #[test]
    fn a_list_holds_a_bounded_number_of_each_spec_error_and_counts_the_rest() {
        let unused = *crate::lint::RULES.iter().find(|r| r.name == "unused-system").unwrap();
        let mut list = Vec::new();
        // In reverse order of position: the first by position must be kept.
        for i in (0..100_000).rev() {
            push_capped(&mut list, at(&SYNTAX, i % 2, i as usize));
        }
        for i in 0..3_000 {
            push_capped(&mut list, at(unused, 0, i));
        }
        compact(&mut list);
        let syntax: Vec<&Diagnostic> = list.iter().filter(|d| d.rule.code == SYNTAX.code).collect();
        assert_eq!(syntax.len(), 2 * KEPT_PER_RULE_AND_FILE);
        assert_eq!(syntax.iter().map(|d| 1 + d.folded).sum::<usize>(), 100_000);
        let file0: Vec<u32> =
            syntax.iter().filter(|d| d.primary.loc.file == FileId(0)).map(|d| d.primary.loc.span.start).collect();
        assert_eq!(file0, (0..KEPT_PER_RULE_AND_FILE as u32).map(|i| 2 * i).collect::<Vec<_>>());
        // A configurable rule's findings wait for the levels: all kept.
        assert_eq!(list.iter().filter(|d| std::ptr::eq(d.rule, unused)).count(), 3_000);
    }
}
