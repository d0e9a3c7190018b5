//! The rules about `allow` itself: an inline `allow` needs a reason, and an
//! `allow` that silences nothing should go.
//!
//! They run after every other check, because whether an `allow` silences
//! something depends on what the checks found.

use std::collections::HashSet;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
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
/// `(node, rule)` pair that did.
pub(super) fn check_allows(
    spec: &Spec,
    fired: &HashSet<&'static str>,
    inline_used: &HashSet<(Owner, String)>,
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
                out.push(
                    Diagnostic::new(
                        &UNUSED_ALLOW,
                        allow.rule.loc,
                        format!("`{}` finds nothing on {} to allow", rule.name, owner_name(spec, owner)),
                    )
                    .with_label("this allow silences nothing")
                    .with_help("remove the allow")
                    .with_owner(owner),
                );
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

fn owner_name(spec: &Spec, owner: Owner) -> String {
    match owner {
        Owner::System(SystemId(i)) => format!("system `{}`", spec.systems[i as usize].name.value),
        Owner::Event(EventId(i)) => format!("event `{}`", spec.events[i as usize].name.value),
        Owner::Flow(FlowId(i)) => format!("flow `{}`", spec.flows[i as usize].name.value),
    }
}
