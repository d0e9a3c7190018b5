//! The rules about `allow` itself: an inline `allow` needs a reason, and an
//! `allow` that silences nothing should go.
//!
//! They run after every other check, because whether an `allow` silences
//! something depends on what the checks found.

use std::collections::HashSet;

use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{EventId, FlowId, LintLevel, Owner, Spec, SystemId};

declare_rule! {
    /// ## What it finds
    ///
    /// An inline `allow` on a system, event or flow without a `reason="..."`.
    ///
    /// ## Why it matters
    ///
    /// An allow switches a safety check off for one node. The next reader
    /// needs to know why that was safe, or the allow outlives its reason.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "legacy-erp" kind=erp {
    ///     api soap
    ///     allow "unversioned-api"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "legacy-erp" kind=erp {
    ///     api soap
    ///     allow "unversioned-api" reason="the vendor ships one SOAP version per major release"
    /// }
    /// ```
    pub(crate) static ALLOW_WITHOUT_REASON = {
        name: "allow-without-reason",
        code: "WP201",
        severity: Warning,
        category: Suppression,
        summary: "an inline `allow` with no `reason`",
    }
}

declare_rule! {
    /// ## What it finds
    ///
    /// An `allow` (inline, or in the `lint` block) for a rule that finds
    /// nothing to silence, as rustc reports unused lint attributes.
    ///
    /// ## Why it matters
    ///
    /// A stale allow hides the next real finding of that rule on that node.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     allow "allow-without-reason" reason="kept from an old review"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Remove the allow.
    ///
    /// ```kdl
    /// system "hubspot" kind=crm
    /// ```
    pub(crate) static UNUSED_ALLOW = {
        name: "unused-allow",
        code: "WP202",
        severity: Warning,
        category: Suppression,
        summary: "an `allow` that silences nothing",
    }
}

/// Reports inline allows without a reason, and allows that silence nothing.
/// `fired` holds every rule that found something; `inline_used` every
/// `(node, rule)` pair that did; `found` the findings themselves, so an
/// allow on a node near a finding of its rule (the flow a system's finding
/// points at) is told where that finding's allow belongs.
pub(super) fn check_allows(
    spec: &Spec,
    fired: &HashSet<&'static str>,
    inline_used: &HashSet<(Owner, String)>,
    found: &[Diagnostic],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let owners = spec
        .system_ids()
        .map(Owner::System)
        .chain(spec.event_ids().map(Owner::Event))
        .chain(spec.flow_ids().map(Owner::Flow));
    for owner in owners {
        for allow in spec.allows_of(owner) {
            let Some(rule) = super::find(&allow.rule.value) else { continue };
            if !rule.is_configurable() {
                continue;
            }
            if allow.reason.is_none() {
                out.push(
                    Diagnostic::new(
                        &ALLOW_WITHOUT_REASON,
                        allow.loc,
                        format!("`allow \"{}\"` has no reason", rule.name),
                    )
                    .with_label("allowed here")
                    .with_help("say why the finding is acceptable here: `reason=\"...\"`")
                    .with_owner(owner),
                );
            }
            // The suppression rules themselves fire after this point; an allow
            // of one of them is judged by whether it has something to silence.
            let silences = inline_used.contains(&(owner, rule.name.to_owned()))
                || (rule.name == ALLOW_WITHOUT_REASON.name && spec.allows_of(owner).iter().any(|a| a.reason.is_none()));
            if !silences && rule.name != UNUSED_ALLOW.name {
                let draft = Diagnostic::new(
                    &UNUSED_ALLOW,
                    allow.rule.loc,
                    format!("`{}` finds nothing on {} to allow", rule.name, owner_name(spec, owner)),
                )
                .with_label("this allow silences nothing")
                .with_owner(owner);
                let d = match near_finding(spec, owner, rule.name, found) {
                    Some(d) => {
                        let place = d.owner.map_or_else(|| "the `lint` block".to_owned(), |o| owner_name(spec, o));
                        draft
                            .with_secondary(
                                d.primary.loc,
                                format!("the `{}` finding here belongs to {place}", rule.name),
                            )
                            .with_help(format!(
                                "move the allow to {place}, which that finding is about: `allow \"{}\" reason=\"...\"`",
                                rule.name
                            ))
                    }
                    // An allow that silences nothing changes nothing when it goes.
                    None => draft
                        .with_fix(Fix::safe("Remove the allow", vec![Edit::Remove { loc: allow.loc }]))
                        .with_help("remove the allow"),
                };
                out.push(d);
            }
        }
    }
    for directive in &spec.lint {
        if directive.level != LintLevel::Allow {
            continue;
        }
        let Some(rule) = super::find(&directive.rule.value) else { continue };
        if !rule.is_configurable() || fired.contains(rule.name) {
            continue;
        }
        if rule.name == ALLOW_WITHOUT_REASON.name && !out.is_empty() {
            continue;
        }
        out.push(
            Diagnostic::new(
                &UNUSED_ALLOW,
                directive.rule.loc,
                format!("`{}` finds nothing in the spec to allow", rule.name),
            )
            .with_label("this allow silences nothing")
            .with_help("remove the allow from the `lint` block"),
        );
    }
    out
}

/// A finding of `rule` about another node (or the whole spec) that points
/// into `owner`'s node: the finding an allow on `owner` most likely meant.
/// Looks at most at the first 1,000 findings, so a spec of many stray
/// allows stays linear.
fn near_finding<'d>(spec: &Spec, owner: Owner, rule: &str, found: &'d [Diagnostic]) -> Option<&'d Diagnostic> {
    let node = owner_loc(spec, owner);
    let inside = |loc: crate::model::Loc| {
        loc.file == node.file && loc.span.start >= node.span.start && loc.span.end <= node.span.end
    };
    found
        .iter()
        .filter(|d| d.rule.name == rule && d.owner != Some(owner))
        .take(1000)
        .find(|d| inside(d.primary.loc) || d.secondary.iter().any(|l| inside(l.loc)))
}

/// Where an `allow` of `d` goes, for its help: the node it is about, or the
/// `lint` block for a finding about the whole spec.
pub(super) fn where_to_allow(spec: &Spec, d: &Diagnostic) -> String {
    match d.owner {
        // A grouped finding: an allow on one listed flow takes that flow out.
        Some(_) if !d.members.is_empty() => format!(
            "to accept it for one of these flows, add `allow \"{}\" reason=\"...\"` to that flow, which leaves the \
             finding",
            d.rule.name
        ),
        Some(owner) => {
            format!("to accept it, add `allow \"{}\" reason=\"...\"` to {}", d.rule.name, owner_name(spec, owner))
        }
        None => format!("to accept it, add `allow \"{}\"` to the spec's `lint` block", d.rule.name),
    }
}

fn owner_loc(spec: &Spec, owner: Owner) -> crate::model::Loc {
    match owner {
        Owner::System(id) => spec.system(id).loc,
        Owner::Event(id) => spec.event(id).loc,
        Owner::Flow(id) => spec.flow(id).loc,
    }
}

fn owner_name(spec: &Spec, owner: Owner) -> String {
    match owner {
        Owner::System(SystemId(i)) => format!("system `{}`", spec.systems[i as usize].name.value),
        Owner::Event(EventId(i)) => format!("event `{}`", spec.events[i as usize].name.value),
        Owner::Flow(FlowId(i)) => format!("flow `{}`", spec.flows[i as usize].name.value),
    }
}
