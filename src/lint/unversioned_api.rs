//! `unversioned-api`: an API or event contract without a version.

use super::Context;
use crate::catalog::{PinnedBy, VersionScheme};
use crate::diagnostic::declare_rule;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Owner;

declare_rule! {
    /// ## What it finds
    ///
    /// A system with `api` but no `version="..."`, and an event with no
    /// `version=N` (one from a database, whose changes have the shape of
    /// its tables, versioned by their migrations, is asked at info). A
    /// messaging protocol (`api amqp`, `kafka`, `mqtt`,
    /// `nats`, `sqs`) is not asked: the client and the broker negotiate the
    /// protocol's version on each connection, and the contract it carries is
    /// the events', asked of each event. A system whose `connector=` names a catalog entry is
    /// held to what its vendor documents: a vendor that versions its API
    /// asks for a version even without `api` (the finding says how the
    /// vendor pins it, and its page), at info, since a spec that states no
    /// `api` does not say that anything here calls it (a system may only
    /// send webhooks, or be reached through a hub's node that pins its own
    /// version); one without versions asks none.
    /// A system that only its own in-product automations read and write
    /// (every flow touching it says `run-by` that system, as Shopify Flow's
    /// automations do) is not asked: nothing calls its API from outside, so
    /// there is no version to pin. A third party's connector (`run-by` a
    /// vendor that calls it, Fivetran reading Stripe) still is where the
    /// spec states the system's `api`: the version it reads in is a fact of
    /// the design. Where the spec states no `api` and only products'
    /// native integrations touch the system (`run-by` one of the flow's
    /// own ends: a booking tool's add-on writing to Mailchimp), the
    /// catalog's question is not asked: the connector pins its version, and
    /// the business has nothing to pin; where the spec states the `api`,
    /// the question is asked at info, for the vendor. A file exchange
    /// (`api file`: a CSV upload, an SFTP drop) has no API version; its
    /// layout is the entity's fields. Nor has a database reached by its
    /// own protocol (`api database`: SQL, whose wire protocol client and
    /// server negotiate, as a messaging protocol's): what can change under
    /// the flows is its tables, the entities' fields. An API reached
    /// through an SDK (`api sdk`) with no version is asked at info: the
    /// SDK speaks the version of its release, and whether that release is
    /// pinned (a lockfile, an exact version) the spec does not say.
    /// The team's own software (`kind=custom`,
    /// `website` or `hub`, neither `managed` nor a `connector=`: a service,
    /// its site, its middleware) is asked at info, unless a system of
    /// another declared `owner` writes to it: built and released with its
    /// callers, it breaks none of them when it changes (a sample shop's
    /// cart and payment services, one repository, one release); a version
    /// is for callers released apart from it. A vendor's product that no
    /// `connector=` the catalog documents (with versions) names is asked
    /// at info: whether it versions its API at all is not known (Wave's
    /// and Typeform's APIs have nothing to pin), unless the system is named
    /// after a vendor the catalog knows to version its API (`system
    /// "stripe"` with no `connector=`), which stays a warning.
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
        summary: "a system `api` (not a messaging protocol) or an event without a version",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    // Which systems only their own in-product automations read and write
    // (`run-by` the system itself, as Shopify Flow): an API nobody calls.
    let mut by_itself = vec![false; spec.systems.len()];
    let mut by_others = vec![false; spec.systems.len()];
    // Which systems a flow reads or writes other than as a product's
    // native integration (`run-by` one of the flow's own ends: Jobber's
    // sync writing QuickBooks, Timely's add-on writing Mailchimp), whose
    // connector pins the version it calls. A flow of the team's, or a third
    // party's loader (`run-by` a hub: Fivetran reading Stripe, whose
    // account's version shapes the rows the team's models read), is not one.
    let mut not_native = vec![false; spec.systems.len()];
    // Which systems another team's system writes to: a source whose declared
    // `owner` differs from the target's.
    let mut called_across_teams = vec![false; spec.systems.len()];
    let owner = |id: crate::model::SystemId| spec.system(id).owner.as_ref().map(|o| o.value.as_str());
    for flow in spec.flow_ids().map(|f| spec.flow(f)) {
        let runner = flow.run_by.as_ref().and_then(|r| r.target);
        let source = flow.source_system(spec);
        let touched = || source.into_iter().chain(flow.targets.iter().filter_map(|t| t.system.target));
        let native = runner.is_some_and(|r| touched().any(|s| s == r));
        for target in flow.targets.iter().filter_map(|t| t.system.target) {
            if let (Some(from), Some(to)) = (source.and_then(owner), owner(target))
                && from != to
            {
                called_across_teams[target.index()] = true;
            }
        }
        for system in touched() {
            let seen = if runner == Some(system) { &mut by_itself } else { &mut by_others };
            seen[system.index()] = true;
            if !native {
                not_native[system.index()] = true;
            }
        }
    }
    for id in spec.system_ids() {
        let system = spec.system(id);
        if by_itself[id.index()] && !by_others[id.index()] {
            continue;
        }
        // Only products' own integrations read and write it.
        let only_native = (by_itself[id.index()] || by_others[id.index()]) && !not_native[id.index()];
        if only_native && system.api.is_none() {
            continue;
        }
        let api = system.api.as_ref();
        // A file exchange (a CSV upload, an SFTP drop) has no API version,
        // and neither has a database reached by its own protocol (SQL over
        // its wire protocol, which client and server negotiate): the layout
        // is the entities' fields.
        if matches!(system.api_style(), Some(crate::model::ApiStyle::File | crate::model::ApiStyle::Database)) {
            continue;
        }
        // A messaging protocol negotiates its version on each connection;
        // what it carries is versioned on the events, asked below.
        let messaging = system.api_style().is_some_and(|s| s.is_messaging());
        if api.is_some_and(|api| api.version.is_some()) || (messaging && system.catalog().is_none()) {
            continue;
        }
        // What the connector's vendor documents about versions, if anything.
        let versioning = system.catalog().and_then(|(entry, at)| Some((entry, entry.versioning.fact()?, at)));
        let style = system.api_style().map_or("rest", |s| s.as_str());
        let example = match versioning {
            Some((_, v, _)) if v.scheme == VersionScheme::Dated => "2025-01-01",
            _ => "v1",
        };
        let (loc, label, said) = match (&system.api, versioning) {
            // The vendor has no versions to pin: nothing to ask for.
            (_, Some((_, v, _))) if v.scheme == VersionScheme::None => continue,
            (Some(api), None) => (api.loc, "no `version`".to_owned(), String::new()),
            (None, None) => continue,
            (api, Some((entry, v, at))) => {
                let scheme = if v.scheme == VersionScheme::Dated { "by date" } else { "by number" };
                let pinned = match (v.pinned_by, &v.name) {
                    (Some(PinnedBy::Header), Some(name)) => format!(", pinned with the `{name}` header"),
                    (Some(PinnedBy::Query), Some(name)) => format!(", pinned with the `{name}` query parameter"),
                    (Some(PinnedBy::Url), Some(name)) => format!(", pinned in the URL ({name})"),
                    (Some(PinnedBy::Account), _) => ", pinned in the app's or account's settings".to_owned(),
                    _ => String::new(),
                };
                let said = format!(" ({} versions its API {scheme}{pinned}: {})", entry.name, v.provenance.source);
                let (loc, label) = match api {
                    Some(api) => (api.loc, "no `version`".to_owned()),
                    None => (at, format!("{} versions its API", entry.name)),
                };
                (loc, label, said)
            }
        };
        let mut d =
            Diagnostic::new(&UNVERSIONED_API, loc, format!("the API of `{}` has no version{said}", system.name.value))
                .with_label(label)
                .with_help(format!(
                    "pin the version the integration is built against: `api {style} version=\"{example}\"`"
                ))
                .with_owner(Owner::System(id));
        let through_sdk = system.api_style() == Some(crate::model::ApiStyle::Sdk);
        // Only the catalog speaks of an API here: the spec states none, so
        // whether anything of this design calls it (rather than receiving
        // its webhooks, or leaving it to a hub's node that pins its own) is
        // not known. Asked at info.
        if system.api.is_none() {
            d.message.push_str(
                "; the spec states no `api` for it, so whether anything here calls it, and pins a version, is not said",
            );
            d.severity = Severity::Info;
        } else if versioning.is_none() && super::util::team_built(system) && !called_across_teams[id.index()] {
            // The team's own service, site or middleware: built and released
            // with its callers, it breaks none of them when it changes
            // (Robot Shop's cart and payment, one repository, one release).
            // A caller of another team's, or one outside the spec (a partner,
            // an app in the field), is what a version is for: asked at info.
            d.message.push_str(&format!(
                "; `{}` is the team's own (kind={}), and a version matters only to callers released apart from it \
                 (another team, a partner, an app in the field), which the spec does not name",
                system.name.value,
                system.kind().as_str()
            ));
            d.severity = Severity::Info;
        } else if only_native {
            // Only products' own integrations call it (`run-by` one of the
            // flow's ends: Gusto's connector writing Xero): the connector
            // pins the version it calls, which the business does not
            // choose. Asked at info: which version, and who hears when it
            // moves.
            d.message.push_str(
                "; only products' own integrations (`run-by`) call it, and each pins the version it calls: which \
                 one, and who hears when it moves, is the vendor's to say",
            );
            d.help = "ask the integration's vendor which version it calls and how it announces a move; state it \
                      here with `version=` once known"
                .into();
            d.severity = Severity::Info;
        } else if through_sdk {
            // An SDK speaks the API version of its release, and a lockfile
            // keeps the release: what is asked is whether that is pinned.
            d.message.push_str(
                "; it is reached through an SDK, which speaks the version of its release: whether that release is \
                 pinned (a lockfile, an exact version) is not said",
            );
            d.help = format!(
                "give the SDK's version the integration is built against: `api sdk version=\"{example}\"`, and \
                 pin it where the code's dependencies are"
            )
            .into();
            d.severity = Severity::Info;
        } else if versioning.is_none() && !super::util::team_built(system) {
            match named_after_versioned_vendor(system) {
                // Named after a vendor the catalog knows to version its API
                // (`system "stripe"` with no `connector=`): the question
                // stands, and the catalog can say how that vendor pins it.
                Some(entry) => {
                    d.help = format!(
                        "{}, or name `connector={}` to hold it to what {} documents",
                        d.help, entry.id, entry.name
                    )
                    .into();
                }
                // A vendor's product the catalog does not document (or
                // whose versions nobody could confirm): whether it versions
                // its API at all is not known here. Some have nothing to pin
                // (one unversioned endpoint, as Wave's or Typeform's), and
                // the version of others is in the URL the spec left out, so
                // the question is asked at info, with what would settle it.
                None => {
                    d.message.push_str(&format!(
                        "; whether `{}` versions its API is not known here (the catalog says nothing of its \
                         versions), and some vendors have none to pin",
                        system.name.value
                    ));
                    d.help = format!(
                        "if the vendor versions its API, pin the version the integration calls: `api {style} \
                         version=\"v1\"`; if it has none to pin, say so with `allow`"
                    )
                    .into();
                    d.severity = Severity::Info;
                }
            }
        }
        out.push(d);
    }
    for id in spec.event_ids() {
        let event = spec.event(id);
        if event.version.is_some() {
            continue;
        }
        let mut d =
            Diagnostic::new(&UNVERSIONED_API, event.name.loc, format!("event `{}` has no version", event.name.value))
                .with_label("no `version=`")
                .with_help(
                    "version the payload contract: add `version=1` to the event, and raise it when the payload changes",
                )
                .with_owner(Owner::Event(id));
        // A database's own change (a notification, a row of its change
        // log) has the shape of its tables, or of the library that reads
        // them: their migrations or the library's release version it, which
        // the spec may not say. Asked at info.
        if let Some(database) =
            event.from.as_ref().and_then(|f| f.target).map(|s| spec.system(s)).filter(|s| s.is_database())
        {
            d.message.push_str(&format!(
                "; it comes from `{}`, a database, whose changes have the shape of its tables (versioned by their \
                 migrations) or of the library that reads them, unless a payload of its own is built for it",
                database.name.value
            ));
            d.severity = Severity::Info;
        }
        out.push(d);
    }
}

/// The catalog entry whose vendor versions its API (by date or by number)
/// that a system without a `connector=` is named after (`stripe`,
/// `shopify-eu`), if any: the words of the entry's id, one after another,
/// in the system's name.
fn named_after_versioned_vendor(system: &crate::model::System) -> Option<&'static crate::catalog::Entry> {
    if system.connector.is_some() {
        return None;
    }
    crate::catalog::active().ok()?.entries().iter().find(|entry| {
        entry.versioning.fact().is_some_and(|v| v.scheme != VersionScheme::None)
            && super::util::has_phrase(&system.name.value, &[&entry.id.split('-').collect::<Vec<_>>()])
    })
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
        let messages: Vec<_> = found.iter().map(|d| d.message.split(';').next().unwrap_or_default()).collect();
        assert_eq!(messages, vec!["the API of `b` has no version", "event `a.f` has no version"]);
    }

    #[test]
    fn a_vendor_the_catalog_does_not_know_is_asked_at_info_unless_named_after_one_that_versions() {
        let text = r#"
            system "stripe-eu" kind=payments { api rest }
            system "stripey" kind=payments { api rest }
            system "orders" kind=custom { api rest }
        "#;
        let found = test_check(&UNVERSIONED_API, text);
        let by_name = |name: &str| found.iter().find(|d| d.message.contains(&format!("`{name}`"))).unwrap();
        // Named after Stripe, which versions its API by date.
        assert_eq!(by_name("stripe-eu").severity, Severity::Warning);
        assert!(by_name("stripe-eu").help.contains("connector=stripe"), "{}", by_name("stripe-eu").help);
        // A whole word of the name, not a part of one.
        assert_eq!(by_name("stripey").severity, Severity::Info);
        assert!(by_name("stripey").message.contains("is not known here"));
        // The team's own service keeps its own reason.
        assert!(by_name("orders").message.contains("the team's own"));
    }
}
