//! `unversioned-api`: an API or event contract without a version.

use super::Context;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::declare_rule;
use crate::model::Owner;

declare_rule! {
    /// ## What it finds
    ///
    /// A system with `api` but no `version="..."`, and an event with no
    /// `version=N`.
    ///
    /// ## Why it matters
    ///
    /// Vendors retire API versions and producers change payloads. When the
    /// spec pins no version, nobody can tell which flows break when that
    /// happens, or which version the integration was built against.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     api rest
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// ```kdl
    /// system "hubspot" kind=crm {
    ///     api rest version="v3"
    /// }
    /// ```
    pub(crate) static UNVERSIONED_API = {
        name: "unversioned-api",
        code: "WP108",
        severity: Warning,
        category: Topology,
        summary: "a system `api` or an event without a version",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for id in spec.system_ids() {
        let system = spec.system(id);
        let Some(api) = &system.api else { continue };
        if api.version.is_some() {
            continue;
        }
        let style = api.style.as_ref().map_or("rest", |s| s.value.as_str());
        out.push(
            Diagnostic::new(&UNVERSIONED_API, api.loc, format!("the API of `{}` has no version", system.name.value))
                .with_label("no `version`")
                .with_help(format!("pin the version the integration is built against: `api {style} version=\"v1\"`"))
                .with_owner(Owner::System(id)),
        );
    }
    for id in spec.event_ids() {
        let event = spec.event(id);
        if event.version.is_some() {
            continue;
        }
        out.push(
            Diagnostic::new(&UNVERSIONED_API, event.name.loc, format!("event `{}` has no version", event.name.value))
                .with_label("no `version=`")
                .with_help(
                    "version the payload contract: add `version=1` to the event, and raise it when the payload changes",
                )
                .with_owner(Owner::Event(id)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn systems_without_api_need_no_version() {
        let text = r#"
            system "a" kind=crm { api rest version="v1" }
            system "b" kind=crm { api soap }
            system "c" kind=crm
            event "a.e" from=a version=2
            event "a.f" from=a
        "#;
        let found = test_check(&UNVERSIONED_API, text);
        let messages: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, vec!["the API of `b` has no version", "event `a.f` has no version"]);
    }
}
