//! The connector catalog: what the vendors of the SaaS systems users run
//! document about their APIs (webhooks and how they are signed, outbound
//! authentication, rate limits, idempotency keys, API versions), one JSON file
//! per system under `catalog/`, each fact with the page it comes from and the
//! day it was read. The files are embedded at compile time and parsed once;
//! a project can override fields of a built-in entry (`merge`) or add its own.
//!
//! The catalog is data, not code, and it depends on nothing of the pipeline:
//! the checks and the backends will read it (issue 23). A fact nobody could
//! confirm from a vendor's page is recorded as `"unknown"`, never guessed.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The built-in entries, one file each, listed once: the id is the file name.
const FILES: &[(&str, &str)] = &[
    ("airtable", include_str!("../catalog/airtable.json")),
    ("asana", include_str!("../catalog/asana.json")),
    ("bigquery", include_str!("../catalog/bigquery.json")),
    ("calendly", include_str!("../catalog/calendly.json")),
    ("docusign", include_str!("../catalog/docusign.json")),
    ("freshdesk", include_str!("../catalog/freshdesk.json")),
    ("github", include_str!("../catalog/github.json")),
    ("google-sheets", include_str!("../catalog/google-sheets.json")),
    ("hubspot", include_str!("../catalog/hubspot.json")),
    ("intercom", include_str!("../catalog/intercom.json")),
    ("jira", include_str!("../catalog/jira.json")),
    ("klaviyo", include_str!("../catalog/klaviyo.json")),
    ("mailchimp", include_str!("../catalog/mailchimp.json")),
    ("microsoft-teams", include_str!("../catalog/microsoft-teams.json")),
    ("netsuite", include_str!("../catalog/netsuite.json")),
    ("notion", include_str!("../catalog/notion.json")),
    ("paypal", include_str!("../catalog/paypal.json")),
    ("pipedrive", include_str!("../catalog/pipedrive.json")),
    ("quickbooks-online", include_str!("../catalog/quickbooks-online.json")),
    ("salesforce", include_str!("../catalog/salesforce.json")),
    ("sendgrid", include_str!("../catalog/sendgrid.json")),
    ("shipstation", include_str!("../catalog/shipstation.json")),
    ("shopify", include_str!("../catalog/shopify.json")),
    ("slack", include_str!("../catalog/slack.json")),
    ("snowflake", include_str!("../catalog/snowflake.json")),
    ("square", include_str!("../catalog/square.json")),
    ("stripe", include_str!("../catalog/stripe.json")),
    ("twilio", include_str!("../catalog/twilio.json")),
    ("typeform", include_str!("../catalog/typeform.json")),
    ("woocommerce", include_str!("../catalog/woocommerce.json")),
    ("xero", include_str!("../catalog/xero.json")),
    ("zendesk", include_str!("../catalog/zendesk.json")),
    ("zoho-crm", include_str!("../catalog/zoho-crm.json")),
];

/// One system's documented facts. Every fact object names its `source` page
/// and the day it was `read`; a fact that could not be confirmed is the
/// string `"unknown"`.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(title = "wireplan connector catalog entry", deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// The id a spec names (`connector=stripe`); equal to the file's name.
    #[schemars(regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub(crate) id: String,
    /// The vendor's name for the system.
    pub(crate) name: String,
    pub(crate) webhooks: Webhooks,
    pub(crate) auth: Known<Auth>,
    pub(crate) rate_limits: Known<RateLimits>,
    pub(crate) idempotency: Known<Idempotency>,
    pub(crate) versioning: Known<Versioning>,
}

/// A fact, or the marker that nobody could confirm it from a vendor's page.
#[derive(Serialize, JsonSchema, Debug, Clone, PartialEq)]
#[serde(untagged)]
#[schemars(rename = "Known{T}")]
pub(crate) enum Known<T> {
    Unknown(Unknown),
    Fact(T),
}

/// The one value `"unknown"`.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    #[serde(rename = "unknown")]
    Unknown,
}

/// By hand rather than `untagged`, so a fact that is wrong says why (an
/// unknown field, a missing `source`) instead of "no variant matched".
impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Known<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) if text == "unknown" => Ok(Known::Unknown(Unknown::Unknown)),
            value => serde_json::from_value(value).map(Known::Fact).map_err(serde::de::Error::custom),
        }
    }
}

impl<T> Known<T> {
    /// The fact, when it is known.
    #[allow(dead_code, reason = "the checks and backends read facts in the next step of issue 23")]
    pub(crate) fn fact(&self) -> Option<&T> {
        match self {
            Known::Fact(fact) => Some(fact),
            Known::Unknown(_) => None,
        }
    }
}

/// What a system sends to a webhook endpoint, each part from its own page.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Webhooks {
    pub(crate) supported: Known<Support>,
    pub(crate) delivery: Known<Delivery>,
    pub(crate) ordering: Known<Ordering>,
    pub(crate) signature: Known<Signature>,
}

/// Whether the system sends webhooks at all.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Support {
    pub(crate) supported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

/// How webhook deliveries are retried.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Delivery {
    /// `at-least-once` when failed deliveries are retried, `best-effort`
    /// when the vendor documents no retry.
    pub(crate) guarantee: Guarantee,
    /// How long failed deliveries are retried, as a duration (`3days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) retry_window: Option<String>,
    /// How many attempts in all, when documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub(crate) max_attempts: Option<u32>,
    /// How long the vendor waits for the endpoint's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Guarantee {
    AtLeastOnce,
    BestEffort,
}

/// Whether deliveries arrive in the order the events happened.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Ordering {
    pub(crate) ordered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

/// How a delivery proves where it comes from.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Signature {
    pub(crate) algorithm: Algorithm,
    /// The header that carries the signature.
    pub(crate) header: String,
    /// The header's layout when it is more than the bare signature:
    /// `t={timestamp},v1={signature}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) format: Option<String>,
    /// What exactly is signed, with `{body}` for the raw request body,
    /// `{timestamp}`, `{url}` and `{header:NAME}` for a header's value.
    pub(crate) signed: String,
    /// The signature's encoding (`none` for a shared token compared as is).
    pub(crate) encoding: Encoding,
    /// How old a signed timestamp may be, when the vendor says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) tolerance: Option<String>,
    /// Where the receiver gets the secret from.
    pub(crate) secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Algorithm {
    HmacSha256,
    HmacSha1,
    RsaSha256,
    EcdsaSha256,
    /// A secret token sent as is and compared, no digest.
    SharedToken,
    /// The receiver asks the vendor's own verification endpoint.
    VendorApi,
    /// Deliveries are not signed.
    None,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Encoding {
    Hex,
    Base64,
    None,
}

/// How outbound calls authenticate.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Auth {
    #[schemars(length(min = 1))]
    pub(crate) kinds: Vec<AuthKind>,
    /// How long an access token lives, when documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) token_lifetime: Option<String>,
    /// How long a refresh token lives, when documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) refresh_token_lifetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

/// One way to authenticate.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthKind {
    pub(crate) kind: AuthKindName,
    /// The header a key goes in, for `api-key-header`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) header: Option<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum AuthKindName {
    /// A static key or token sent as `Authorization: Bearer`.
    Bearer,
    /// HTTP Basic.
    Basic,
    /// A static key in a header of the vendor's own.
    ApiKeyHeader,
    /// OAuth 2.0 authorization code, refreshed with a refresh token.
    Oauth2RefreshToken,
    /// OAuth 2.0 client credentials.
    Oauth2ClientCredentials,
    /// OAuth 2.0 with a signed JWT assertion (service accounts, JWT grant).
    Oauth2JwtBearer,
    /// OAuth 1.0a request signing (token-based authentication).
    Oauth1,
    /// A JWT the client signs with its own private key, sent as a bearer
    /// token (key-pair authentication).
    SignedJwt,
}

/// Documented request limits, for the plan named.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateLimits {
    /// The plan or tier the numbers are for.
    pub(crate) plan: String,
    #[schemars(length(min = 1))]
    pub(crate) limits: Vec<Limit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

/// `requests` per `per`, counted per `scope`.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Limit {
    #[schemars(range(min = 1))]
    pub(crate) requests: u64,
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) per: String,
    /// What the count is kept for: `account`, `app`, `user`, `token`, ...
    pub(crate) scope: String,
    /// Which requests count, when not all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) applies_to: Option<String>,
    /// What is counted when it is not requests: `points` of a GraphQL
    /// query's calculated cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<LimitUnit>,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LimitUnit {
    Requests,
    /// A query's calculated cost, in the vendor's points.
    Points,
}

/// Whether writes can be retried safely with a key.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Idempotency {
    pub(crate) support: IdempotencySupport,
    /// The header or body field's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// How long a key is remembered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) window: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum IdempotencySupport {
    Header,
    BodyField,
    None,
}

/// How the API is versioned and how long a version lives.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Versioning {
    pub(crate) scheme: VersionScheme,
    /// Where a client pins its version, when the page says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pinned_by: Option<PinnedBy>,
    /// The header or query parameter, or the URL's shape (`/v3/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// How long a version is supported after its release, when documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) support_window: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum VersionScheme {
    /// Versions named by a date (`2024-10`, `2025-08-27.basil`).
    Dated,
    /// Versions numbered (`v3`, `62.0`).
    Numbered,
    /// No versions a client chooses.
    None,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PinnedBy {
    Header,
    Url,
    Query,
    /// A setting of the account or app, not of the request.
    Account,
    None,
}

/// Where a fact comes from.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub(crate) struct Provenance {
    /// The public page the fact was read on.
    #[schemars(regex(pattern = r"^https://[^\s]+$"))]
    pub(crate) source: String,
    /// The day it was read (a stored copy of the page), `YYYY-MM-DD`.
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub(crate) read: String,
    /// The page's own last-updated date, when it shows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"))]
    pub(crate) page_date: Option<String>,
}

/// The parsed catalog, sorted by id.
#[derive(Debug)]
pub(crate) struct Catalog {
    entries: Vec<Entry>,
}

impl Catalog {
    /// Parses `files` (id, JSON text); each entry's id must be its file's.
    pub(crate) fn parse(files: &[(&str, &str)]) -> Result<Catalog, String> {
        let mut entries = Vec::with_capacity(files.len());
        for (id, text) in files {
            let entry: Entry = serde_json::from_str(text).map_err(|e| format!("catalog/{id}.json: {e}"))?;
            if entry.id != *id {
                return Err(format!("catalog/{id}.json: its id is `{}`, not the file's name", entry.id));
            }
            entries.push(entry);
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(pair) = entries.windows(2).find(|pair| pair[0].id == pair[1].id) {
            return Err(format!("catalog: `{}` is listed twice", pair[0].id));
        }
        Ok(Catalog { entries })
    }

    /// Every entry, by id.
    #[allow(dead_code, reason = "`wireplan catalog` lists it in the next step of issue 23")]
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry `id` (`stripe`).
    #[allow(dead_code, reason = "`connector=` looks entries up in the next step of issue 23")]
    pub(crate) fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.binary_search_by(|e| e.id.as_str().cmp(id)).ok().and_then(|at| self.entries.get(at))
    }
}

/// The built-in catalog, parsed on first use. The files are embedded, so an
/// error here is the build's, and the tests catch it; callers still get it as
/// a value rather than a panic.
#[allow(dead_code, reason = "the checks and backends read it in the next step of issue 23")]
pub(crate) fn builtin() -> Result<&'static Catalog, &'static str> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::parse(FILES)).as_ref().map_err(String::as_str)
}

/// `base` with the fields `overlay` (a partial entry, as JSON) gives
/// replaced: the entry and its `webhooks` are merged key by key, and a fact
/// (an object with a `source`, or `"unknown"`), a list or a value is replaced
/// whole, so a fact never keeps a source that does not say it. `null` removes an
/// optional field. The result must still be a whole, valid entry.
#[allow(dead_code, reason = "project-level catalogs and `connector=` overrides use it in the next step of issue 23")]
pub(crate) fn merge(base: &Entry, overlay: &Value) -> Result<Entry, String> {
    let mut merged = serde_json::to_value(base).map_err(|e| e.to_string())?;
    merge_value(&mut merged, overlay);
    let entry: Entry = serde_json::from_value(merged).map_err(|e| format!("{}: {e}", base.id))?;
    if entry.id != base.id {
        return Err(format!("{}: an override cannot change the id (to `{}`)", base.id, entry.id));
    }
    Ok(entry)
}

fn merge_value(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        // A fact is replaced whole, never patched: its source would then
        // vouch for a value it does not give.
        (Value::Object(base), Value::Object(overlay)) if !base.contains_key("source") => {
            for (key, value) in overlay {
                if value.is_null() {
                    base.remove(key);
                } else if let Some(slot) = base.get_mut(key) {
                    merge_value(slot, value);
                } else {
                    base.insert(key.clone(), value.clone());
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_builtin_catalog_parses_and_finds_entries_by_id() {
        let catalog = builtin().unwrap();
        assert!(catalog.entries().len() >= 30, "{} entries", catalog.entries().len());
        assert_eq!(catalog.get("stripe").unwrap().name, "Stripe");
        assert!(catalog.get("no-such-system").is_none());
        let ids: Vec<&str> = catalog.entries().iter().map(|e| e.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "ids are sorted and unique");
    }

    #[test]
    fn every_file_in_the_folder_is_listed_once_under_its_name() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json").map(str::to_owned))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = FILES.iter().map(|(id, _)| (*id).to_owned()).collect();
        assert_eq!(listed, on_disk, "FILES lists each catalog/*.json once, in order");
    }

    #[test]
    fn an_entry_whose_id_is_not_its_file_name_or_listed_twice_is_refused() {
        let stripe = FILES.iter().find(|(id, _)| *id == "stripe").unwrap().1;
        let err = Catalog::parse(&[("paypal", stripe)]).unwrap_err();
        assert!(err.contains("not the file's name"), "{err}");
        let err = Catalog::parse(&[("stripe", stripe), ("stripe", stripe)]).unwrap_err();
        assert!(err.contains("listed twice"), "{err}");
        let err = Catalog::parse(&[("stripe", "{\"id\": \"stripe\"}")]).unwrap_err();
        assert!(err.starts_with("catalog/stripe.json:"), "{err}");
    }

    #[test]
    fn every_duration_in_the_catalog_parses() {
        fn walk(value: &Value, path: &str, bad: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    for (key, value) in map {
                        let here = format!("{path}.{key}");
                        let is_duration = matches!(
                            key.as_str(),
                            "retry_window"
                                | "timeout"
                                | "tolerance"
                                | "token_lifetime"
                                | "refresh_token_lifetime"
                                | "per"
                                | "window"
                                | "support_window"
                        );
                        match value {
                            Value::String(text) if is_duration => {
                                if humantime::parse_duration(text).is_err() {
                                    bad.push(format!("{here}: `{text}`"));
                                }
                            }
                            _ => walk(value, &here, bad),
                        }
                    }
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, &format!("{path}[{i}]"), bad);
                    }
                }
                _ => {}
            }
        }
        let mut bad = Vec::new();
        for (id, text) in FILES {
            walk(&serde_json::from_str(text).unwrap(), id, &mut bad);
        }
        assert!(bad.is_empty(), "durations humantime cannot read:\n{}", bad.join("\n"));
    }

    #[test]
    fn an_override_replaces_the_fields_it_names_and_keeps_the_rest() {
        let stripe = builtin().unwrap().get("stripe").unwrap();
        let overlay = json!({
            "name": "Stripe (EU account)",
            "rate_limits": {
                "plan": "raised by support",
                "limits": [{"requests": 500, "per": "1s", "scope": "account"}],
                "source": "https://example.com/our-contract",
                "read": "2026-12-01"
            },
            "webhooks": {"ordering": "unknown"}
        });
        let merged = merge(stripe, &overlay).unwrap();
        assert_eq!(merged.name, "Stripe (EU account)");
        let limits = merged.rate_limits.fact().unwrap();
        assert_eq!(limits.limits[0].requests, 500);
        // The replaced fact is whole: it keeps nothing of the built-in one.
        assert_eq!(limits.note, None);
        assert_eq!(limits.provenance.source, "https://example.com/our-contract");
        assert_eq!(merged.webhooks.ordering, Known::Unknown(Unknown::Unknown));
        // What the overlay does not name is the built-in's.
        assert_eq!(merged.webhooks.signature, stripe.webhooks.signature);
        assert_eq!(merged.idempotency, stripe.idempotency);
    }

    #[test]
    fn an_override_that_breaks_the_entry_is_an_error_not_a_panic() {
        let stripe = builtin().unwrap().get("stripe").unwrap();
        // A fact without its source is no fact, and a partial one does not
        // borrow the built-in's.
        let err = merge(stripe, &json!({"idempotency": {"support": "none", "read": "2026-12-01"}})).unwrap_err();
        assert!(err.starts_with("stripe:"), "{err}");
        assert!(merge(stripe, &json!({"id": "paypal"})).unwrap_err().contains("cannot change the id"));
        assert!(merge(stripe, &json!({"auth": {"kinds": "basic"}})).is_err());
        assert!(merge(stripe, &json!({"webhooks": null})).is_err());
        assert!(merge(stripe, &json!("not an object")).is_err());
        let err = merge(stripe, &json!({"versioning": {"scheme": "dated", "pinned_by": "url", "source": "https://x.example", "read": "2026-12-01", "extra": 1}})).unwrap_err();
        assert!(err.contains("extra"), "unknown fields of a fact are refused: {err}");
    }

    #[test]
    fn the_schema_is_fresh() {
        crate::render::assert_schema_fresh("catalog.schema.json", &crate::render::schema_of::<Entry>());
    }
}
