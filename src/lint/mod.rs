//! The rule registry, severity configuration and suppression.
//!
//! Every diagnostic wireplan emits belongs to a `Rule`: a stable name (what
//! users write in `lint` and `allow`), a stable code (what CI logs carry), a
//! default severity and its documentation. Each rule is declared once, with
//! `declare_rule!`, in its own file beside the code that finds it; the `///`
//! text above the declaration is the documentation that `wireplan explain`,
//! the README's table and editors show. `RULES` is the explicit list of them
//! all.
//!
//! Levels are applied after every check has run, in this order: the rule's
//! default, the spec's `lint` block, the command line's flags, and last an
//! inline `allow` on the node a finding is about, which wins for that node as
//! `#[allow]` does in rustc. Spec errors are always errors.

mod clock_chained;
mod connector_contradiction;
mod dual_write;
mod hub_single_point_of_failure;
mod last_writer_wins;
mod latency_mismatch;
mod lock_expiry;
mod mapping_type_mismatch;
mod missing_required_field;
mod missing_timeout;
mod no_compensation;
mod no_dead_letter;
mod no_error_handling;
mod no_logging;
mod non_idempotent_path;
mod orphan_event;
mod overwritten_edits;
mod p2p_sprawl;
mod polling_over_webhook;
mod possible_sync_cycle;
mod premature_notification;
mod rate_limit_exceeded;
mod retired_api_version;
mod stage_mismatch;
mod suppression;
mod sync_call_chain;
mod sync_cycle;
mod timeout_budget;
mod unheard_cancellation;
mod unknown_volume;
mod unordered_events;
mod unsigned_webhook;
mod unused_system;
mod unversioned_api;
mod unwatched_dead_letter;
mod upsert_match;
mod util;

use std::collections::HashSet;

use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::graph::Graph;
use crate::model::{LintLevel, Spec};

pub(crate) use crate::diagnostic::{
    BAD_VALUE, Category, DUPLICATE_NAME, INCLUDE_ERROR, MISSING_ARGUMENT, Rule, SECRET_LITERAL, SYNTAX, UNKNOWN_NODE,
    UNKNOWN_PROPERTY, UNKNOWN_RULE, UNRESOLVED_REFERENCE, UNUSABLE_NAME,
};
use crate::diagnostic::{NAME_CLASH, NOT_CARRIED_OUT, SQL_UNQUOTABLE};
pub(crate) use stage_mismatch::STAGE_MISMATCH;
pub(crate) use suppression::{ALLOW_WITHOUT_REASON, UNUSED_ALLOW};

/// Everything a check may read.
pub(crate) struct Context<'a> {
    pub(crate) spec: &'a Spec,
    /// The topology, built once from the resolved spec.
    pub(crate) graph: &'a Graph,
}

/// A check: reads the context, pushes its findings at the rule's default severity.
pub(crate) type CheckFn = fn(&Context<'_>, &mut Findings<'_>);

/// Every rule, spec errors first, then checks, then the suppression rules
/// and the build errors, in code order.
pub(crate) static RULES: &[&Rule] = &[
    &SYNTAX,
    &UNKNOWN_NODE,
    &UNKNOWN_PROPERTY,
    &BAD_VALUE,
    &MISSING_ARGUMENT,
    &DUPLICATE_NAME,
    &UNRESOLVED_REFERENCE,
    &INCLUDE_ERROR,
    &SECRET_LITERAL,
    &UNKNOWN_RULE,
    &UNUSABLE_NAME,
    &sync_cycle::SYNC_CYCLE,
    &non_idempotent_path::NON_IDEMPOTENT_PATH,
    &p2p_sprawl::P2P_SPRAWL,
    &no_error_handling::NO_ERROR_HANDLING,
    &no_dead_letter::NO_DEAD_LETTER,
    &no_logging::NO_LOGGING,
    &polling_over_webhook::POLLING_OVER_WEBHOOK,
    &unversioned_api::UNVERSIONED_API,
    &hub_single_point_of_failure::HUB_SINGLE_POINT_OF_FAILURE,
    &orphan_event::ORPHAN_EVENT,
    &unused_system::UNUSED_SYSTEM,
    &mapping_type_mismatch::MAPPING_TYPE_MISMATCH,
    &missing_required_field::MISSING_REQUIRED_FIELD,
    &rate_limit_exceeded::RATE_LIMIT_EXCEEDED,
    &latency_mismatch::LATENCY_MISMATCH,
    &STAGE_MISMATCH,
    &possible_sync_cycle::POSSIBLE_SYNC_CYCLE,
    &connector_contradiction::CONNECTOR_CONTRADICTION,
    &retired_api_version::RETIRED_API_VERSION,
    &missing_timeout::MISSING_TIMEOUT,
    &sync_call_chain::SYNC_CALL_CHAIN,
    &unordered_events::UNORDERED_EVENTS,
    &timeout_budget::TIMEOUT_BUDGET,
    &no_compensation::NO_COMPENSATION,
    &unknown_volume::UNKNOWN_VOLUME,
    &lock_expiry::LOCK_EXPIRY,
    &last_writer_wins::LAST_WRITER_WINS,
    &unwatched_dead_letter::UNWATCHED_DEAD_LETTER,
    &dual_write::DUAL_WRITE,
    &unsigned_webhook::UNSIGNED_WEBHOOK,
    &premature_notification::PREMATURE_NOTIFICATION,
    &unheard_cancellation::UNHEARD_CANCELLATION,
    &upsert_match::UPSERT_MATCH,
    &overwritten_edits::OVERWRITTEN_EDITS,
    &clock_chained::CLOCK_CHAINED,
    &ALLOW_WITHOUT_REASON,
    &UNUSED_ALLOW,
    &NAME_CLASH,
    &SQL_UNQUOTABLE,
    &NOT_CARRIED_OUT,
];

/// The check of each topology rule, in code order: the rules a spec is
/// checked for after resolution. Spec errors are found by lowering and
/// resolution instead, and the suppression rules by `apply_levels`.
pub(crate) static CHECKS: &[(&Rule, CheckFn)] = &[
    (&sync_cycle::SYNC_CYCLE, sync_cycle::check),
    (&non_idempotent_path::NON_IDEMPOTENT_PATH, non_idempotent_path::check),
    (&p2p_sprawl::P2P_SPRAWL, p2p_sprawl::check),
    (&no_error_handling::NO_ERROR_HANDLING, no_error_handling::check),
    (&no_dead_letter::NO_DEAD_LETTER, no_dead_letter::check),
    (&no_logging::NO_LOGGING, no_logging::check),
    (&polling_over_webhook::POLLING_OVER_WEBHOOK, polling_over_webhook::check),
    (&unversioned_api::UNVERSIONED_API, unversioned_api::check),
    (&hub_single_point_of_failure::HUB_SINGLE_POINT_OF_FAILURE, hub_single_point_of_failure::check),
    (&orphan_event::ORPHAN_EVENT, orphan_event::check),
    (&unused_system::UNUSED_SYSTEM, unused_system::check),
    (&mapping_type_mismatch::MAPPING_TYPE_MISMATCH, mapping_type_mismatch::check),
    (&missing_required_field::MISSING_REQUIRED_FIELD, missing_required_field::check),
    (&rate_limit_exceeded::RATE_LIMIT_EXCEEDED, rate_limit_exceeded::check),
    (&latency_mismatch::LATENCY_MISMATCH, latency_mismatch::check),
    (&STAGE_MISMATCH, stage_mismatch::check),
    (&possible_sync_cycle::POSSIBLE_SYNC_CYCLE, possible_sync_cycle::check),
    (&connector_contradiction::CONNECTOR_CONTRADICTION, connector_contradiction::check),
    (&retired_api_version::RETIRED_API_VERSION, retired_api_version::check),
    (&missing_timeout::MISSING_TIMEOUT, missing_timeout::check),
    (&sync_call_chain::SYNC_CALL_CHAIN, sync_call_chain::check),
    (&unordered_events::UNORDERED_EVENTS, unordered_events::check),
    (&timeout_budget::TIMEOUT_BUDGET, timeout_budget::check),
    (&no_compensation::NO_COMPENSATION, no_compensation::check),
    (&unknown_volume::UNKNOWN_VOLUME, unknown_volume::check),
    (&lock_expiry::LOCK_EXPIRY, lock_expiry::check),
    (&last_writer_wins::LAST_WRITER_WINS, last_writer_wins::check),
    (&unwatched_dead_letter::UNWATCHED_DEAD_LETTER, unwatched_dead_letter::check),
    (&dual_write::DUAL_WRITE, dual_write::check),
    (&unsigned_webhook::UNSIGNED_WEBHOOK, unsigned_webhook::check),
    (&premature_notification::PREMATURE_NOTIFICATION, premature_notification::check),
    (&unheard_cancellation::UNHEARD_CANCELLATION, unheard_cancellation::check),
    (&upsert_match::UPSERT_MATCH, upsert_match::check),
    (&overwritten_edits::OVERWRITTEN_EDITS, overwritten_edits::check),
    (&clock_chained::CLOCK_CHAINED, clock_chained::check),
];

/// Finds a rule by name or code (`sync-cycle` or `WP101`, any case).
pub(crate) fn find(name_or_code: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.name == name_or_code || r.code.eq_ignore_ascii_case(name_or_code))
}

/// The closest rule name to an unknown one, for "did you mean".
pub(crate) fn closest(name: &str) -> Option<&'static str> {
    crate::suggest::closest(name, RULES.iter().map(|r| r.name))
}

/// Rule names in `lint` and inline `allow`s must exist, and spec errors
/// cannot be configured. The rules are this module's to know, so the names
/// are checked here, right after resolution (`check_loaded`).
pub(crate) fn check_rule_names(spec: &Spec, diagnostics: &mut Vec<Diagnostic>) {
    let names = spec
        .lint
        .iter()
        .map(|d| (&d.rule, d.level.as_str()))
        .chain(spec.systems.iter().flat_map(|s| &s.allows).map(|a| (&a.rule, "allow")))
        .chain(spec.events.iter().flat_map(|e| &e.allows).map(|a| (&a.rule, "allow")))
        .chain(spec.flows.iter().flat_map(|f| &f.allows).map(|a| (&a.rule, "allow")));
    for (rule, verb) in names {
        match find(&rule.value) {
            None => {
                let suggestion = crate::suggest::suggestion(&rule.value, RULES.iter().map(|r| r.name));
                let help = match suggestion {
                    Some(c) => format!("did you mean `{}`? `wireplan rules` lists every rule", c.name),
                    None => "`wireplan rules` lists every rule".into(),
                };
                diagnostics.push(
                    Diagnostic::new(&UNKNOWN_RULE, rule.loc, format!("no rule named `{}`", rule.value))
                        .with_label("unknown rule")
                        .with_fix(suggestion.map(|c| Fix::did_you_mean(rule.loc, c)))
                        .with_help(help),
                );
            }
            Some(r) if !r.is_configurable() => diagnostics.push(
                Diagnostic::new(
                    &UNKNOWN_RULE,
                    rule.loc,
                    format!("`{}` is a spec error and cannot be configured", r.name),
                )
                .with_label(format!("cannot {verb}"))
                .with_help("spec errors are always errors: fix the spec instead"),
            ),
            Some(r) if r.name != rule.value => diagnostics.push(
                // A code such as `WP101` is accepted on the command line, but
                // the spec should read as words.
                Diagnostic::new(
                    &UNKNOWN_RULE,
                    rule.loc,
                    format!("rules are named, not numbered, in a spec: `{}` is `{}`", rule.value, r.name),
                )
                .with_label("a rule code")
                .with_fix(Fix::safe(
                    format!("Replace with `{}`", r.name),
                    vec![Edit::Rename { loc: rule.loc, name: r.name.to_owned() }],
                ))
                .with_help(format!("write `\"{}\"`", r.name)),
            ),
            Some(_) => {}
        }
    }
}

/// Rule levels chosen on the command line.
#[derive(Clone, Debug, Default)]
pub(crate) struct CliLevels {
    /// `(level, rule)` in the order to apply them; the last one wins.
    pub(crate) levels: Vec<(LintLevel, &'static Rule)>,
    pub(crate) deny_warnings: bool,
}

/// Where a check puts its findings. A finding about a node whose inline
/// `allow` names its rule is silenced here, and recorded (the allow is used);
/// the others are final but for their severity, so they are compacted as they
/// come (`diagnostic::push_capped_where`): a check that finds a problem in
/// each of a million nodes holds a few thousand findings, never a million,
/// and the final cap still counts every one.
pub(crate) struct Findings<'s> {
    spec: &'s Spec,
    list: Vec<Diagnostic>,
    silenced: Silenced,
    /// Off in the checks' unit tests, which look at what a check reports
    /// before any `allow` applies.
    silence: bool,
}

/// The (node, rule) pairs an inline `allow` silenced while the checks ran.
pub(crate) type Silenced = HashSet<(crate::model::Owner, &'static str)>;

impl<'s> Findings<'s> {
    pub(crate) fn new(spec: &'s Spec) -> Self {
        Findings { spec, list: Vec::new(), silenced: HashSet::new(), silence: true }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        if let Some(owner) = d.owner
            && self.silence
            && d.rule.is_configurable()
            && self.spec.allows_of(owner).iter().any(|a| a.rule.value == d.rule.name)
        {
            self.silenced.insert((owner, d.rule.name));
            return;
        }
        crate::diagnostic::push_capped_where(&mut self.list, d, |_| true);
    }

    pub(crate) fn extend(&mut self, found: impl IntoIterator<Item = Diagnostic>) {
        for d in found {
            self.push(d);
        }
    }
}

/// Runs every check on a resolved spec: the findings, and what inline
/// `allow`s silenced. Internal failures of one check are caught and reported
/// so that the other checks still run.
pub(crate) fn run_checks(ctx: &Context<'_>) -> (Vec<Diagnostic>, Silenced) {
    run_rules(CHECKS, ctx)
}

/// Specs with fewer systems, events and flows than this are checked on one
/// thread; below it, starting threads costs more than it saves.
const PARALLEL_ITEMS: usize = 2048;

/// Runs each rule's check, on every core for a large spec. Rules are handed
/// out one at a time and their findings put back in rule order, so the
/// output does not depend on which thread ran what.
fn run_rules(rules: &[(&'static Rule, CheckFn)], ctx: &Context<'_>) -> (Vec<Diagnostic>, Silenced) {
    let items = ctx.spec.systems.len() + ctx.spec.events.len() + ctx.spec.flows.len();
    let threads = if items >= PARALLEL_ITEMS { crate::parallel::threads().min(rules.len()) } else { 1 };
    let mut found: Vec<(usize, Findings<'_>)> = if threads <= 1 {
        rules.iter().enumerate().map(|(i, (rule, check))| (i, run_rule(rule, *check, ctx))).collect()
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((rule, check)) = rules.get(i) else { break mine };
                            mine.push((i, run_rule(rule, *check, ctx)));
                        }
                    })
                })
                .collect();
            workers.into_iter().flat_map(crate::parallel::join).collect()
        })
    };
    found.sort_by_key(|(i, _)| *i);
    let mut silenced = Silenced::new();
    let mut diagnostics = Vec::new();
    for (_, findings) in found {
        silenced.extend(findings.silenced);
        diagnostics.extend(findings.list);
    }
    (diagnostics, silenced)
}

/// Runs one rule's check. A bug in one check must not cost the user the
/// findings of the others: its panic becomes one diagnostic, at the start of
/// the entry file, and its partial findings are dropped.
fn run_rule<'s>(rule: &'static Rule, check: CheckFn, ctx: &Context<'s>) -> Findings<'s> {
    let mut found = Findings::new(ctx.spec);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(ctx, &mut found))) {
        Ok(()) => found,
        Err(_) => {
            let loc = crate::model::Loc::new(crate::model::FileId(0), crate::syntax::Span::default());
            let mut failed = Findings::new(ctx.spec);
            failed.push(
                Diagnostic::new(rule, loc, format!("internal error: the `{}` check failed on this spec", rule.name))
                    .with_label("while checking this spec")
                    .with_help(
                        "this is a bug in wireplan; please report it with the spec. The other checks ran normally",
                    ),
            );
            failed
        }
    }
}

/// Applies levels and suppressions to the findings, and reports the `allow`s
/// that silence nothing and those without a reason.
pub(crate) fn apply_levels(
    spec: &Spec,
    cli: &CliLevels,
    diagnostics: Vec<Diagnostic>,
    silenced: &Silenced,
) -> Vec<Diagnostic> {
    let mut fired: HashSet<&'static str> = silenced.iter().map(|(_, rule)| *rule).collect();
    let mut inline_used: HashSet<(crate::model::Owner, String)> =
        silenced.iter().map(|(owner, rule)| (*owner, (*rule).to_owned())).collect();
    for d in &diagnostics {
        fired.insert(d.rule.name);
        if let Some(owner) = d.owner {
            inline_used.insert((owner, d.rule.name.to_owned()));
        }
    }
    let mut extra = suppression::check_allows(spec, &fired, &inline_used, &diagnostics);
    // Each rule's level is worked out once: its default, then the spec's
    // `lint` block, then the command line, in that order of precedence.
    let levels: rustc_hash::FxHashMap<&'static str, Option<Severity>> = RULES
        .iter()
        .filter(|rule| rule.is_configurable())
        .map(|rule| {
            let mut level = rule.level_by_default();
            for directive in spec.lint.iter().filter(|d| d.rule.value == rule.name) {
                level = level_severity(directive.level, rule);
            }
            for (cli_level, _) in cli.levels.iter().filter(|(_, r)| r.name == rule.name) {
                level = level_severity(*cli_level, rule);
            }
            (rule.name, level)
        })
        .collect();
    // In place: a spec with many findings holds them once, not twice.
    let mut out = diagnostics;
    out.append(&mut extra);
    out.retain_mut(|d| {
        if !d.rule.is_configurable() {
            return true;
        }
        let mut level = levels.get(d.rule.name).copied().unwrap_or_else(|| d.rule.level_by_default());
        if let Some(owner) = d.owner
            && spec.allows_of(owner).iter().any(|a| a.rule.value == d.rule.name)
        {
            level = None;
        }
        let Some(mut severity) = level else { return false };
        // A check may report a finding it is unsure of as an info (the spec
        // leaves out what would settle it): at the rule's default level it
        // stays an info; `deny` still makes it an error.
        if level == Some(d.rule.default_severity) && d.severity == Severity::Info {
            severity = Severity::Info;
        }
        if cli.deny_warnings && severity == Severity::Warning {
            severity = Severity::Error;
        }
        d.severity = severity;
        true
    });
    out
}

/// Says in each finding's help where its `allow` goes (a system's finding
/// may point at a flow, where an allow would do nothing). Run on the
/// findings that are kept, after the per-rule cap, so a spec of many
/// findings does not hold a longer help for each.
pub(crate) fn say_where_to_allow(spec: &Spec, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics.iter_mut().filter(|d| d.rule.category == Category::Topology) {
        if !d.help.contains(&format!("allow \"{}\"", d.rule.name)) {
            d.help = format!("{}; {}", d.help, suppression::where_to_allow(spec, d)).into();
        }
    }
}

fn level_severity(level: LintLevel, rule: &Rule) -> Option<Severity> {
    match level {
        LintLevel::Allow => None,
        LintLevel::Warn => {
            Some(if rule.default_severity == Severity::Info { Severity::Info } else { Severity::Warning })
        }
        LintLevel::Deny => Some(Severity::Error),
    }
}

/// A resolved spec from text, for unit tests of the checks.
#[cfg(test)]
pub(crate) fn test_spec(text: &str) -> Spec {
    let path = std::path::Path::new("/virtual/wireplan.kdl");
    let mut loaded =
        crate::load::load_text(path, text.to_owned(), std::path::Path::new("/virtual"), crate::parse_and_lower);
    crate::resolve::resolve(&mut loaded.spec, &mut loaded.diagnostics);
    loaded.spec
}

/// The findings of one rule on a spec given as text, before levels apply.
#[cfg(test)]
pub(crate) fn test_check(rule: &'static Rule, text: &str) -> Vec<Diagnostic> {
    test_loaded(rule, text).2
}

/// Like `test_check`, with the spec and its sources the findings are about.
#[cfg(test)]
pub(crate) fn test_loaded(rule: &'static Rule, text: &str) -> (Spec, crate::source::SourceMap, Vec<Diagnostic>) {
    let path = std::path::Path::new("/virtual/wireplan.kdl");
    let mut loaded =
        crate::load::load_text(path, text.to_owned(), std::path::Path::new("/virtual"), crate::parse_and_lower);
    crate::resolve::resolve(&mut loaded.spec, &mut loaded.diagnostics);
    let graph = Graph::build(&loaded.spec);
    let ctx = Context { spec: &loaded.spec, graph: &graph };
    let mut found = Findings::new(&loaded.spec);
    found.silence = false;
    if let Some((_, check)) = CHECKS.iter().find(|(r, _)| std::ptr::eq(*r, rule)) {
        check(&ctx, &mut found);
    }
    let mut out = found.list;
    out.retain(|d| std::ptr::eq(d.rule, rule));
    (loaded.spec, loaded.sources, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::declare_rule;

    #[test]
    fn names_and_codes_are_unique_and_well_formed() {
        let mut names = HashSet::new();
        let mut codes = HashSet::new();
        for rule in RULES {
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(
                rule.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                rule.name
            );
            assert!(rule.code.starts_with("WP") && rule.code.len() == 5, "{}", rule.code);
            assert!(!rule.summary.is_empty() && !rule.summary.ends_with('.'), "{}", rule.name);
        }
    }

    #[test]
    fn every_rule_is_documented_in_four_parts() {
        for rule in RULES {
            let doc = rule.doc();
            for heading in ["## What it finds", "## Why it matters", "## Example", "## Fix"] {
                assert!(doc.contains(heading), "{} lacks {heading}", rule.name);
            }
        }
    }

    fn panicking_check(_: &Context<'_>, out: &mut Findings<'_>) {
        out.push(
            Diagnostic::new(&BROKEN, crate::model::Loc::new(crate::model::FileId(0), Default::default()), "partial")
                .with_help("none"),
        );
        panic!("a bug");
    }

    declare_rule! {
        /// ## What it finds
        ///
        /// Nothing: a test rule whose check panics.
        pub(crate) static BROKEN = {
            name: "broken",
            code: "WP199",
            severity: Warning,
            category: Topology,
            summary: "a test rule",
        }
    }

    #[test]
    fn a_panicking_check_becomes_one_diagnostic_and_the_others_run() {
        let spec = test_spec("system \"idle\" kind=crm\n");
        let graph = Graph::build(&spec);
        let ctx = Context { spec: &spec, graph: &graph };
        let (found, _) =
            run_rules(&[(&BROKEN, panicking_check), (&unused_system::UNUSED_SYSTEM, unused_system::check)], &ctx);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            vec!["internal error: the `broken` check failed on this spec", "no flow reads or writes system `idle`"]
        );
    }

    /// A check's unsure finding stays an info at the rule's default level,
    /// and `deny` makes it an error all the same.
    #[test]
    fn an_unsure_finding_stays_an_info_until_denied() {
        let text = |lint: &str| {
            format!(
                "{lint}system \"q\" kind=broker\nsystem \"w\" kind=website\nsystem \"s\" kind=custom\n\
                 event \"e\" from=w version=1\nflow \"f\" {{ on \"e\"; via q; to s action=upsert {{ call \
                 timeout=\"30s\"; }}; dead-letter; log; }}\n"
            )
        };
        let levels = |text: &str| {
            let spec = test_spec(text);
            let graph = Graph::build(&spec);
            let ctx = Context { spec: &spec, graph: &graph };
            let (found, silenced) = run_rules(&[(&lock_expiry::LOCK_EXPIRY, lock_expiry::check)], &ctx);
            apply_levels(&spec, &CliLevels::default(), found, &silenced).iter().map(|d| d.severity).collect::<Vec<_>>()
        };
        assert_eq!(levels(&text("")), [Severity::Info]);
        assert_eq!(levels(&text("lint { deny \"lock-expiry\"; }\n")), [Severity::Error]);
    }

    #[test]
    fn a_rule_off_by_default_reports_only_once_turned_on() {
        let text = |lint: &str| {
            format!(
                "{lint}system \"crm\" kind=crm\nsystem \"mail\" kind=email {{ entity \"member\" {{ field \"email\" \
                 type=email required=#true; }} }}\nevent \"e\" from=crm version=1\nflow \"f\" {{ on \"e\"; to mail \
                 action=create entity=member {{ set \"source\" \"crm\"; }} }}\n"
            )
        };
        let rule = &missing_required_field::MISSING_REQUIRED_FIELD;
        assert!(rule.off_by_default);
        let levels = |text: &str, cli: &CliLevels| {
            let spec = test_spec(text);
            let graph = Graph::build(&spec);
            let ctx = Context { spec: &spec, graph: &graph };
            let (found, silenced) = run_rules(&[(rule, missing_required_field::check)], &ctx);
            assert_eq!(found.len(), 1, "the check runs whatever the level");
            apply_levels(&spec, cli, found, &silenced).iter().map(|d| d.severity).collect::<Vec<_>>()
        };
        let none = CliLevels::default();
        assert_eq!(levels(&text(""), &none), []);
        assert_eq!(levels(&text("lint { warn \"missing-required-field\"; }\n"), &none), [Severity::Info]);
        assert_eq!(levels(&text("lint { deny \"missing-required-field\"; }\n"), &none), [Severity::Error]);
        let warn = CliLevels { levels: vec![(LintLevel::Warn, rule)], deny_warnings: false };
        assert_eq!(levels(&text(""), &warn), [Severity::Info]);
    }

    #[test]
    fn checks_run_in_code_order() {
        let codes: Vec<&str> = CHECKS.iter().map(|(r, _)| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn codes_follow_categories() {
        for rule in RULES {
            let expected = match rule.category {
                Category::Spec => "WP0",
                Category::Topology => "WP1",
                Category::Suppression => "WP2",
                Category::Build => "WP3",
            };
            assert!(rule.code.starts_with(expected), "{} has code {}", rule.name, rule.code);
            let checked = CHECKS.iter().any(|(r, _)| std::ptr::eq(*r, *rule));
            assert_eq!(checked, rule.category == Category::Topology, "{}", rule.name);
        }
    }
}
