//! `connector-contradiction`: a statement of a system that says otherwise
//! than the documented facts of its `connector=` catalog entry.
//!
//! What the spec writes overrides the catalog; this check makes sure the
//! override is meant. It compares, per system, three statements with the
//! vendor's facts: `webhooks #true` (the vendor sends none),
//! `webhook-signature` (not how the vendor signs: its algorithm, header,
//! what is signed, the header's layout, the encoding) and `rate-limit` (more
//! than the vendor's strictest limit on every request). One pass over the
//! systems.

use super::Context;
use crate::catalog::{Algorithm, Encoding, Entry, Signature};
use crate::diagnostic::{Diagnostic, declare_rule};
use crate::model::{Loc, Owner, SignatureEncoding, SignatureScheme, System, SystemId, WebhookSignature};

declare_rule! {
    /// ## What it finds
    ///
    /// A system with `connector=` (an entry of the connector catalog, see
    /// `wireplan catalog`) and a statement that contradicts what the
    /// vendor documents: `webhooks #true` for a vendor that sends no
    /// webhooks; a `webhook-signature` that is not the vendor's scheme (an
    /// other algorithm or header, a plain HMAC of the body where the vendor
    /// signs a timestamp or the URL with it, a header laid out as
    /// `t=...,v1=...`, an other encoding); a `rate-limit` above the
    /// strictest limit the vendor documents for every request. The finding
    /// gives the documented value and the page it comes from.
    ///
    /// ## Why it matters
    ///
    /// What the spec says wins over the catalog, so a contradiction is
    /// believed. A signature check of the wrong scheme rejects every real
    /// delivery (a Stripe webhook checked as a hex HMAC of the body gets a
    /// 401 every time); a rate limit above the vendor's hides the 429s the
    /// checks would have predicted.
    ///
    /// ## Example
    ///
    /// ```kdl
    /// system "payments" kind=payments connector=stripe {
    ///     api rest version="2025-08-27"
    ///     webhook-signature "hmac-sha256" header="Stripe-Signature" secret="STRIPE_WEBHOOK_SECRET"
    /// }
    /// ```
    ///
    /// ## Fix
    ///
    /// Leave the vendor's scheme to the catalog (or, if your account really
    /// differs, override the entry in the project's catalog file).
    ///
    /// ```kdl
    /// system "payments" kind=payments connector=stripe {
    ///     api rest version="2025-08-27"
    /// }
    /// ```
    pub(crate) static CONNECTOR_CONTRADICTION = {
        name: "connector-contradiction",
        code: "WP118",
        severity: Warning,
        category: Topology,
        summary: "a system statement that contradicts the documented facts of its `connector=` catalog entry",
    }
}

pub(super) fn check(ctx: &Context<'_>, out: &mut crate::lint::Findings<'_>) {
    let spec = ctx.spec;
    for id in spec.system_ids() {
        let system = spec.system(id);
        let Some((entry, at)) = system.catalog() else { continue };
        webhooks(id, system, entry, at, out);
        if let Some(signature) = system.webhook_signature.as_deref() {
            signature_scheme(id, system, signature, entry, at, out);
        }
        rate_limit(id, system, entry, at, out);
    }
}

fn finding(id: SystemId, at: Loc, loc: Loc, message: String, label: String, documented: String) -> Diagnostic {
    Diagnostic::new(&CONNECTOR_CONTRADICTION, loc, message)
        .with_label(label)
        .with_secondary(at, documented)
        .with_help(
            "write what the vendor documents, or remove the statement and the catalog's fact applies; if your \
             account really differs, override the entry in the project's catalog file (`wireplan.catalog.json`)",
        )
        .with_owner(Owner::System(id))
}

fn webhooks(id: SystemId, system: &System, entry: &Entry, at: Loc, out: &mut crate::lint::Findings<'_>) {
    let Some(said) = system.webhooks.as_ref().filter(|w| w.value) else { return };
    let Some(support) = entry.webhooks.supported.fact().filter(|s| !s.supported) else { return };
    out.push(finding(
        id,
        at,
        said.loc,
        format!(
            "`{}` says it sends webhooks, but {} documents none ({})",
            system.name.value, entry.name, support.provenance.source
        ),
        "webhooks declared here".into(),
        format!("{} sends no webhooks, as the catalog records", entry.name),
    ));
}

fn signature_scheme(
    id: SystemId,
    system: &System,
    said: &WebhookSignature,
    entry: &Entry,
    at: Loc,
    out: &mut crate::lint::Findings<'_>,
) {
    let Some(documented) = entry.webhooks.signature.fact() else { return };
    let reasons = differences(said, documented);
    let Some(first) = reasons.first() else { return };
    let loc = said.scheme.as_ref().map_or(system.loc, |s| s.loc);
    out.push(finding(
        id,
        at,
        loc,
        format!(
            "`webhook-signature` of `{}` is not how {} signs its webhooks: {}; {} ({})",
            system.name.value,
            entry.name,
            reasons.join(", "),
            describe(&entry.name, documented),
            documented.provenance.source
        ),
        first.clone(),
        format!("{}'s documented scheme", entry.name),
    ));
}

/// How the spec's `webhook-signature` differs from the vendor's scheme.
/// The spec can say an HMAC of the raw body, in a header, hex or base64,
/// after a fixed prefix: anything else the vendor does is a difference.
fn differences(said: &WebhookSignature, documented: &Signature) -> Vec<String> {
    let mut reasons = Vec::new();
    let scheme = said.scheme.as_ref().map(|s| s.value);
    let algorithm_matches = matches!(
        (scheme, documented.algorithm),
        (Some(SignatureScheme::HmacSha256), Algorithm::HmacSha256)
            | (Some(SignatureScheme::HmacSha1), Algorithm::HmacSha1)
    );
    if let Some(scheme) = scheme
        && !algorithm_matches
    {
        reasons.push(format!("`{scheme}` is not {}", algorithm(documented.algorithm)));
    }
    if let Some(header) = &said.header
        && !header.value.eq_ignore_ascii_case(&documented.header)
    {
        reasons.push(format!("the header is `{}`, not `{}`", documented.header, header.value));
    }
    if algorithm_matches {
        if documented.signed != "{body}" {
            reasons.push("it signs more than the body".to_owned());
        }
        let prefix = said.prefix.as_ref().map_or("", |p| p.value.as_str());
        match documented.format.as_deref().map(|f| f.strip_suffix("{signature}")) {
            None if !prefix.is_empty() => reasons.push(format!("its header has no `{prefix}` before the signature")),
            Some(Some(before)) if !before.contains('{') && before != prefix => {
                reasons.push(format!("its header puts `{before}` before the signature"));
            }
            Some(Some(before)) if before.contains('{') => {
                reasons.push(format!("its header is laid out as `{}`", documented.format.as_deref().unwrap_or("")));
            }
            Some(None) => {
                reasons.push(format!("its header is laid out as `{}`", documented.format.as_deref().unwrap_or("")));
            }
            _ => {}
        }
        let encoding = said.encoding.as_ref().map_or(SignatureEncoding::Hex, |e| e.value);
        let encoding_matches = matches!(
            (encoding, documented.encoding),
            (SignatureEncoding::Hex, Encoding::Hex) | (SignatureEncoding::Base64, Encoding::Base64)
        );
        if !encoding_matches {
            reasons.push(format!("it is {}, not {encoding}", encoding_name(documented.encoding)));
        }
    }
    reasons
}

fn algorithm(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HmacSha256 => "HMAC-SHA256",
        Algorithm::HmacSha1 => "HMAC-SHA1",
        Algorithm::RsaSha256 => "an RSA-SHA256 signature",
        Algorithm::EcdsaSha256 => "an ECDSA-SHA256 signature",
        Algorithm::SharedToken => "a shared token compared as is",
        Algorithm::VendorApi => "a check the vendor's own API makes",
        Algorithm::None => "unsigned",
    }
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Hex => "hex",
        Encoding::Base64 => "base64",
        Encoding::None => "not encoded",
    }
}

/// `Stripe signs `{timestamp}.{body}` with HMAC-SHA256, hex, in
/// `Stripe-Signature` as `t={timestamp},v1={signature}``.
fn describe(vendor: &str, documented: &Signature) -> String {
    let layout = documented.format.as_ref().map_or(String::new(), |f| format!(" as `{f}`"));
    let tolerance =
        documented.tolerance.as_ref().map_or(String::new(), |t| format!(", and accepts a timestamp up to {t} old"));
    match documented.algorithm {
        Algorithm::HmacSha256 | Algorithm::HmacSha1 => format!(
            "{vendor} signs `{}` with {}, {}, in `{}`{layout}{tolerance}",
            documented.signed,
            algorithm(documented.algorithm),
            encoding_name(documented.encoding),
            documented.header
        ),
        other => format!("{vendor} uses {}, in `{}`{layout}", algorithm(other), documented.header),
    }
}

fn rate_limit(id: SystemId, system: &System, entry: &Entry, at: Loc, out: &mut crate::lint::Findings<'_>) {
    let Some(said) = &system.rate_limit else { return };
    let Some((limits, limit, per_second)) = entry.general_limit() else { return };
    // A limit is only "above" when it is so by more than rounding.
    if said.per_second() <= per_second * 1.000_001 {
        return;
    }
    let count = super::util::number(said.count);
    out.push(finding(
        id,
        at,
        said.loc,
        format!(
            "`rate-limit {count} per={}` of `{}` is above what {} documents: {} allows {} ({}, {})",
            said.per,
            system.name.value,
            entry.name,
            entry.name,
            limit.describe(),
            limits.plan,
            limits.provenance.source
        ),
        format!("{}/s", super::util::number(said.per_second())),
        format!("{} allows {}/s", entry.name, super::util::number(per_second)),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_check;

    #[test]
    fn stripes_scheme_is_not_a_plain_hmac_of_the_body() {
        let text = r#"
            system "payments" kind=payments connector=stripe {
                webhook-signature "hmac-sha256" header="Stripe-Signature" secret="STRIPE_WEBHOOK_SECRET"
            }
        "#;
        let found = test_check(&CONNECTOR_CONTRADICTION, text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "`webhook-signature` of `payments` is not how Stripe signs its webhooks: it signs more than the body, its \
             header is laid out as `t={timestamp},v1={signature}`; Stripe signs `{timestamp}.{body}` with \
             HMAC-SHA256, hex, in `Stripe-Signature` as `t={timestamp},v1={signature}`, and accepts a timestamp up \
             to 300s old (https://www.rubydoc.info/gems/stripe/Stripe/Webhook/Signature)"
        );
    }

    #[test]
    fn the_vendors_own_scheme_and_a_lower_limit_are_quiet() {
        let text = r#"
            system "gh" kind=custom connector=github {
                webhook-signature "hmac-sha256" header="x-hub-signature-256" prefix="sha256=" secret="GH_SECRET"
                rate-limit 1 per=minute
            }
            system "shop" kind=ecommerce connector=shopify {
                webhook-signature "hmac-sha256" header="X-Shopify-Hmac-SHA256" encoding=base64 secret="SHOP_SECRET"
                webhooks #true
            }
        "#;
        assert!(test_check(&CONNECTOR_CONTRADICTION, text).is_empty());
    }

    #[test]
    fn a_limit_above_the_vendors_and_a_wrong_prefix_are_reported() {
        let text = r#"
            system "crm" kind=crm connector=hubspot { rate-limit 100 per=second; }
            system "gh" kind=custom connector=github {
                webhook-signature "hmac-sha256" header="X-Hub-Signature-256" secret="GH_SECRET"
            }
        "#;
        let found = test_check(&CONNECTOR_CONTRADICTION, text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].message.contains("HubSpot allows 190 requests per 10s per account"), "{}", found[0].message);
        assert!(found[1].message.contains("its header puts `sha256=` before the signature"), "{}", found[1].message);
    }
}
