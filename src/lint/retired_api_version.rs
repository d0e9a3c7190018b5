//! `retired-api-version`: a pinned, dated API version that its vendor
//! retires before the planning horizon, or already has.
//!
//! The end of a version is computed from the connector catalog: a vendor
//! that names versions by date (`2024-10`) and documents how long each is
//! supported after its release (`support_window`, Shopify's 12 months)
//! retires version `2024-10` in October 2025; a vendor whose window counts
//! from the next version's release (GitHub's 24 months, `window_from`)
//! retires a version only once a later one is listed in `releases`; a
//! version the catalog lists as `legacy` (HubSpot's `v3` paths) ends in
//! the month its support ends.
//! Today's month comes from one
//! place, `catalog::today` (which the command line sets from
//! `WIREPLAN_TODAY`, else the system clock), and the horizon from the
//! spec's `stack { horizon }`. One pass over the systems.

use super::Context;
use crate::catalog::{self, Month, VersionScheme, WindowFrom};
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::Owner;

declare_rule! {
    /// ## What it finds
    ///
    /// A system whose `connector=` names a vendor that dates its API
    /// versions and documents how long each is supported, with an
    /// `api ... version="YYYY-MM"` that the vendor will have retired before
    /// the planning horizon (`stack { horizon months=N }`, 18 months by
    /// default), or has retired already. So is a version outside the dated
    /// scheme that the catalog lists as legacy with the month its support
    /// ends (`legacy`: HubSpot's `v1` to `v4` paths, unsupported from
    /// September 2027). The finding gives the month the version ends and
    /// the vendor's page. Today's date is the system clock's, or
    /// `WIREPLAN_TODAY` (`2026-12`) when it is set.
    ///
    /// ## Why it matters
    ///
    /// A retired version answers with errors, or is silently moved to a
    /// newer one whose payloads differ: the integrations built against it
    /// break on a date that was known in advance. Planned, an upgrade is a
    /// ticket; unplanned, it is an outage.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce connector=shopify {
    ///     api graphql version="2019-04"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Move to a supported version and plan the next upgrade before it ends
    /// (or leave the version to the connector's vendor, for an API that
    /// has none to pin).
    ///
    /// ```kdl
    /// system "shop" kind=ecommerce connector=shopify {
    ///     api graphql version="2999-01"
    /// }
    /// ```
    pub(crate) static RETIRED_API_VERSION = {
        name: "retired-api-version",
        code: "WP119",
        severity: Warning,
        category: Topology,
        summary: "a pinned API version that its vendor retires before the planning horizon, or already has",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    let today = catalog::today();
    let horizon_months = i64::from(spec.horizon_months());
    // When a version that ends in `ends` is retired, as the message says
    // it: a retired one with no count of months ago, so that the message
    // stays the same from month to month, as a baseline's fingerprint needs.
    let when = |ends: Month, retired: Retired| match retired {
        Retired::Already => format!("was retired in {}", ends.name()),
        Retired::BeforeHorizon => format!(
            "is retired in {}, {} from now, before the planning horizon ({}, month {horizon_months})",
            ends.name(),
            months(today.until(ends)),
            today.plus(horizon_months).name()
        ),
    };
    for id in spec.system_ids() {
        let system = spec.system(id);
        let Some((entry, at)) = system.catalog() else { continue };
        let Some(version) = system.api.as_ref().and_then(|api| api.version.as_ref()) else { continue };
        let Some(versioning) = entry.versioning.fact() else { continue };
        let finding = |ends: Month, message: String, help: String| {
            Diagnostic::new(&RETIRED_API_VERSION, version.loc, message)
                .with_label(format!("ends {}", ends.name()))
                .with_secondary(at, format!("{}'s documented version lifetime", entry.name))
                .with_help(help)
                .with_owner(Owner::System(id))
        };
        // A version outside the scheme that the vendor stops supporting
        // from a month on (HubSpot's `v3` paths).
        if let Some(legacy) = versioning.legacy.as_ref().filter(|l| l.lists(&version.value)) {
            let Some(ends) = Month::parse_prefix(&legacy.unsupported_from) else { continue };
            let Some(retired) = retirement(ends, 0, today, horizon_months) else { continue };
            let stops = if ends <= today { "stopped" } else { "stops" };
            let message = format!(
                "API version `{}` of `{}` {}: {} {stops} supporting its legacy versions {} from {} ({})",
                version.value,
                system.name.value,
                when(ends, retired),
                entry.name,
                crate::prose::list(
                    &legacy.versions.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>(),
                    legacy.versions.len(),
                    8,
                    "and"
                ),
                ends.name(),
                legacy.source.as_deref().unwrap_or(&versioning.provenance.source)
            );
            let help = format!(
                "move to a current version of the {} API, test the integrations against it, and plan the next \
                 upgrade before it ends",
                entry.name
            );
            out.push(finding(ends, message, help));
            continue;
        }
        if versioning.scheme != VersionScheme::Dated {
            continue;
        }
        let Some(window) = versioning.support_window.as_deref() else { continue };
        let Some(lifetime) = catalog::months(window) else { continue };
        let window = spaced(window);
        let Some(pinned) = Month::parse_prefix(&version.value) else { continue };
        // The month the window counts from: the version's release, or the
        // next version's, when the vendor counts from that (none listed:
        // the version is the newest, and supported).
        let (released, after) = match versioning.window_from {
            WindowFrom::Release => (pinned, "its release".to_owned()),
            WindowFrom::NextRelease => {
                let next = versioning.releases.iter().filter_map(|r| Month::parse_prefix(r)).find(|r| *r > pinned);
                let Some(next) = next else { continue };
                (next, format!("the release of the next one ({})", next.name()))
            }
        };
        let Some(retired) = retirement(released, lifetime, today, horizon_months) else { continue };
        let ends = released.plus(lifetime);
        let message = format!(
            "API version `{}` of `{}` {}: {} supports a version {window} after {after} ({})",
            version.value,
            system.name.value,
            when(ends, retired),
            entry.name,
            versioning.provenance.source
        );
        let help = format!(
            "move to a newer version of the {} API (each is supported {window}), test the integrations against \
             it, and plan the next upgrade before it ends",
            entry.name
        );
        out.push(finding(ends, message, help));
    }
}

/// Whether a version is retired already or before the horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Retired {
    Already,
    BeforeHorizon,
}

/// When a version released in `released` and supported `lifetime` months
/// ends, relative to `today` and the horizon `horizon` months ahead.
fn retirement(released: Month, lifetime: i64, today: Month, horizon: i64) -> Option<Retired> {
    let ends = released.plus(lifetime);
    if ends <= today {
        Some(Retired::Already)
    } else if ends <= today.plus(horizon) {
        Some(Retired::BeforeHorizon)
    } else {
        None
    }
}

/// `12months` as `12 months`.
fn spaced(duration: &str) -> String {
    let digits = duration.bytes().take_while(u8::is_ascii_digit).count();
    format!("{} {}", &duration[..digits], duration[digits..].trim_start())
}

fn months(n: i64) -> String {
    if n == 1 { "1 month".to_owned() } else { format!("{n} months") }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn a_version_ends_its_lifetime_after_its_release() {
        let month = |text: &str| Month::parse_prefix(text).unwrap();
        let today = month("2026-12");
        // Shopify's 2025-10 ends in October 2026: already retired.
        assert_eq!(retirement(month("2025-10"), 12, today, 18), Some(Retired::Already));
        assert_eq!(retirement(month("2025-12"), 12, today, 18), Some(Retired::Already));
        // 2026-01 ends in January 2027: before an 18-month horizon.
        assert_eq!(retirement(month("2026-01"), 12, today, 18), Some(Retired::BeforeHorizon));
        // Ends in June 2028, the horizon's month: still before it.
        assert_eq!(retirement(month("2027-06"), 12, today, 18), Some(Retired::BeforeHorizon));
        assert_eq!(retirement(month("2027-07"), 12, today, 18), None);
        assert_eq!(month("2025-08-27.basil"), month("2025-08"));
        assert_eq!(Month::parse_prefix("v3"), None);
        assert_eq!(Month::parse_prefix("2025-13"), None);
        assert_eq!(Month::parse_prefix("2025-100"), None);
        assert_eq!(month("2024-10").plus(12).name(), "October 2025");
        assert_eq!(catalog::months("2years"), Some(24));
        assert_eq!(catalog::months("18months"), Some(18));
    }

    #[test]
    fn only_dated_versions_of_vendors_with_a_lifetime_are_checked() {
        // Retired long before any clock this test runs on.
        let text = r#"
            system "shop" kind=ecommerce connector=shopify { api graphql version="2019-04"; }
            system "pay" kind=payments connector=stripe { api rest version="2019-04"; }
            system "crm" kind=crm connector=salesforce { api rest version="v20.0"; }
            system "own" kind=crm { api rest version="2019-04"; }
            system "far" kind=ecommerce connector=shopify { api graphql version="2999-01"; }
            system "leads" kind=crm connector=hubspot { api rest version="v5"; }
        "#;
        let found = test_check(&RETIRED_API_VERSION, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.starts_with("API version `2019-04` of `shop` was retired in April 2020: "),
            "{}",
            found[0].message
        );
        assert!(found[0].message.ends_with(
            "Shopify supports a version 12 months after its release (https://shopify.dev/docs/api/usage/versioning)"
        ));
    }

    #[test]
    fn a_legacy_version_ends_when_its_vendor_stops_supporting_it() {
        // HubSpot's legacy `v3` paths end in September 2027: before the
        // default horizon of any clock this test runs on from 2026 (and
        // retired on every later one).
        let text = r#"
            system "crm" kind=crm connector=hubspot { api rest version="v3"; }
            system "dated" kind=crm connector=hubspot { api rest version="2999-03"; }
        "#;
        let found = test_check(&RETIRED_API_VERSION, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.starts_with("API version `v3` of `crm` "), "{}", found[0].message);
        assert!(
            found[0].message.ends_with(
                "HubSpot stops supporting its legacy versions `v1`, `v2`, `v3` and `v4` from September 2027 \
                 (https://developers.hubspot.com/docs/developer-tooling/platform/versioning)"
            ),
            "{}",
            found[0].message
        );
        let legacy = crate::catalog::Legacy {
            versions: vec!["v1".into(), "v3".into()],
            unsupported_from: "2027-09".into(),
            source: None,
        };
        assert!(legacy.lists("V3") && legacy.lists("3") && !legacy.lists("v30") && !legacy.lists("v2"));
    }
}
