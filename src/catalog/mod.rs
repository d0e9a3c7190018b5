//! The connector catalog: what the vendors of the SaaS systems users run
//! document about their APIs (webhooks and how they are signed, outbound
//! authentication, rate limits, idempotency keys, API versions), one JSON file
//! per system under `catalog/`, each fact with the page it comes from and the
//! day it was read. The files are embedded at compile time and parsed once;
//! a project can override fields of a built-in entry (`merge`) or add its own.
//!
//! The catalog is data, not code, and it depends on nothing of the pipeline:
//! the checks read its facts, and the backends its webhook signature
//! schemes, authentication kinds and idempotency keys (`emit::nodered::auth`). A fact nobody could
//! confirm from a vendor's page is recorded as `"unknown"`, never guessed.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The built-in entries, one file each, listed once: the id is the file name.
const FILES: &[(&str, &str)] = &[
    ("airtable", include_str!("../../catalog/airtable.json")),
    ("asana", include_str!("../../catalog/asana.json")),
    ("bigquery", include_str!("../../catalog/bigquery.json")),
    ("calendly", include_str!("../../catalog/calendly.json")),
    ("docusign", include_str!("../../catalog/docusign.json")),
    ("freshdesk", include_str!("../../catalog/freshdesk.json")),
    ("github", include_str!("../../catalog/github.json")),
    ("google-sheets", include_str!("../../catalog/google-sheets.json")),
    ("hubspot", include_str!("../../catalog/hubspot.json")),
    ("intercom", include_str!("../../catalog/intercom.json")),
    ("jira", include_str!("../../catalog/jira.json")),
    ("klaviyo", include_str!("../../catalog/klaviyo.json")),
    ("mailchimp", include_str!("../../catalog/mailchimp.json")),
    ("microsoft-teams", include_str!("../../catalog/microsoft-teams.json")),
    ("netsuite", include_str!("../../catalog/netsuite.json")),
    ("notion", include_str!("../../catalog/notion.json")),
    ("paypal", include_str!("../../catalog/paypal.json")),
    ("pipedrive", include_str!("../../catalog/pipedrive.json")),
    ("quickbooks-online", include_str!("../../catalog/quickbooks-online.json")),
    ("salesforce", include_str!("../../catalog/salesforce.json")),
    ("sendgrid", include_str!("../../catalog/sendgrid.json")),
    ("shipstation", include_str!("../../catalog/shipstation.json")),
    ("shopify", include_str!("../../catalog/shopify.json")),
    ("slack", include_str!("../../catalog/slack.json")),
    ("snowflake", include_str!("../../catalog/snowflake.json")),
    ("square", include_str!("../../catalog/square.json")),
    ("stripe", include_str!("../../catalog/stripe.json")),
    ("twilio", include_str!("../../catalog/twilio.json")),
    ("typeform", include_str!("../../catalog/typeform.json")),
    ("woocommerce", include_str!("../../catalog/woocommerce.json")),
    ("xero", include_str!("../../catalog/xero.json")),
    ("zendesk", include_str!("../../catalog/zendesk.json")),
    ("zoho-crm", include_str!("../../catalog/zoho-crm.json")),
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
    /// `{timestamp}` (from the header's `format`), `{url}` (the URL the
    /// vendor posts to), `{method}`, `{form}` (a form body's parameters
    /// sorted by name, each name followed by its value) and `{header:NAME}`
    /// for a header's value. The backends check an HMAC scheme written in
    /// these terms; any other text is refused.
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
    /// How long a version is supported after its release (or, with
    /// `window_from: "next-release"`, after the next version's), when
    /// documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+ ?[a-z]+$"))]
    pub(crate) support_window: Option<String>,
    /// What the support window counts from: a version's own release (the
    /// default: Shopify's 12 months) or the release of the version after
    /// it (GitHub's 24 months), which `releases` must list.
    #[serde(default, skip_serializing_if = "WindowFrom::is_release")]
    pub(crate) window_from: WindowFrom,
    /// The dated versions the vendor has released (`YYYY-MM-DD`), oldest
    /// first, as its page lists them: where a window counts from the next
    /// release, a version with no later one listed is not retired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) releases: Vec<String>,
    /// Versions outside the scheme that the vendor stops supporting from a
    /// month (HubSpot's `v1` to `v4` paths, replaced by dated ones), when
    /// its page says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) legacy: Option<Legacy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(flatten)]
    pub(crate) provenance: Provenance,
}

/// Versions a vendor stops supporting from one month on.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[schemars(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub(crate) struct Legacy {
    /// The versions, as a spec pins them (`v3`).
    pub(crate) versions: Vec<String>,
    /// The first month they are not supported (`YYYY-MM`).
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}$"))]
    pub(crate) unsupported_from: String,
    /// The vendor's page that says so, when it is not the versioning
    /// page's own (Klaviyo's v1/v2 retirement is on its migration pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https://[^\s]+$"))]
    pub(crate) source: Option<String>,
}

impl Legacy {
    /// Whether `version` (as a spec pins it) is one of these: `v3`, `V3`
    /// and `3` are one version.
    pub(crate) fn lists(&self, version: &str) -> bool {
        fn bare(v: &str) -> &str {
            v.trim().trim_start_matches(['v', 'V'])
        }
        self.versions.iter().any(|v| bare(v) == bare(version))
    }
}

/// What a version's support window counts from.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum WindowFrom {
    /// The version's own release.
    #[default]
    Release,
    /// The release of the version after it.
    NextRelease,
}

impl WindowFrom {
    fn is_release(&self) -> bool {
        *self == WindowFrom::Release
    }
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
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry `id` (`stripe`).
    pub(crate) fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.binary_search_by(|e| e.id.as_str().cmp(id)).ok().and_then(|at| self.entries.get(at))
    }
}

/// The built-in catalog, parsed on first use. The files are embedded, so an
/// error here is the build's, and the tests catch it; callers still get it as
/// a value rather than a panic.
pub(crate) fn builtin() -> Result<&'static Catalog, &'static str> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::parse(FILES)).as_ref().map_err(String::as_str)
}

/// The catalog a project's own file made (`set_project`), if any.
static PROJECT: OnceLock<Catalog> = OnceLock::new();

/// Makes `catalog` (the built-in one with a project's entries merged in,
/// `Catalog::with_project`) the one `active` returns, for this process. The
/// command line sets it once, before it checks anything.
pub(crate) fn set_project(catalog: Catalog) {
    let _ = PROJECT.set(catalog);
}

/// The catalog connectors are looked up in: the project's, when the command
/// line read one, else the built-in one.
pub(crate) fn active() -> Result<&'static Catalog, &'static str> {
    match PROJECT.get() {
        Some(project) => Ok(project),
        None => builtin(),
    }
}

impl Catalog {
    /// `self` with a project's catalog file applied: `text` is a JSON array
    /// of entries; one whose `id` is already listed overrides it field by
    /// field (`merge`), any other is a whole new entry.
    pub(crate) fn with_project(&self, text: &str) -> Result<Catalog, String> {
        let items: Vec<Value> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut entries = self.entries.clone();
        for item in &items {
            let Some(id) = item.get("id").and_then(Value::as_str) else {
                return Err("every entry names its `id`".into());
            };
            match entries.binary_search_by(|e| e.id.as_str().cmp(id)) {
                Ok(at) => entries[at] = merge(&entries[at], item)?,
                Err(at) => {
                    let entry: Entry = serde_json::from_value(item.clone()).map_err(|e| format!("{id}: {e}"))?;
                    let valid = !id.is_empty()
                        && id.split('-').all(|part| {
                            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                        });
                    if !valid {
                        return Err(format!("`{id}`: an id is lower-case letters and digits joined by `-`"));
                    }
                    entries.insert(at, entry);
                }
            }
        }
        Ok(Catalog { entries })
    }
}

/// A calendar month, the unit API versions are retired in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Month(i64);

impl Month {
    pub(crate) fn new(year: i64, month: u32) -> Option<Month> {
        (1..=12).contains(&month).then(|| Month(year * 12 + i64::from(month) - 1))
    }

    /// `2024-10`, `2024-10-15` or `2025-08-27.basil`: the month it begins with.
    pub(crate) fn parse_prefix(text: &str) -> Option<Month> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = text.get(range)?;
            part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
        };
        if bytes.len() < 7 || bytes[4] != b'-' || bytes.get(7).is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        Month::new(digits(0..4)?, u32::try_from(digits(5..7)?).ok()?)
    }

    /// Saturating: a support window from a project's file may be any size.
    pub(crate) fn plus(self, months: i64) -> Month {
        Month(self.0.saturating_add(months))
    }

    /// Months from `self` to `later` (negative when `later` is earlier).
    pub(crate) fn until(self, later: Month) -> i64 {
        later.0.saturating_sub(self.0)
    }

    /// `October 2025`.
    pub(crate) fn name(self) -> String {
        const NAMES: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        format!("{} {}", NAMES[self.0.rem_euclid(12) as usize], self.0.div_euclid(12))
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.0.div_euclid(12), self.0.rem_euclid(12) + 1)
    }
}

/// Today's month, set once by the command line (`WIREPLAN_TODAY`), else
/// read from the system clock: the one place the checks get the date from.
static TODAY: OnceLock<Month> = OnceLock::new();

pub(crate) fn set_today(month: Month) {
    let _ = TODAY.set(month);
}

pub(crate) fn today() -> Month {
    *TODAY.get_or_init(|| {
        let days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs() / 86_400).unwrap_or(0));
        month_of_day(days)
    })
}

/// The month of day `days` since 1970-01-01 (the civil-from-days algorithm
/// of Howard Hinnant's date library).
fn month_of_day(days: i64) -> Month {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Month(year * 12 + month - 1)
}

/// A catalog duration (`10s`, `1day`, `12months`) in seconds.
pub(crate) fn seconds(text: &str) -> Option<f64> {
    humantime::parse_duration(text).ok().map(|d| d.as_secs_f64()).filter(|s| *s > 0.0)
}

/// A catalog duration in whole months (`12months`, `2years`).
pub(crate) fn months(text: &str) -> Option<i64> {
    // humantime's month is 30.44 days and its year 365.25.
    seconds(text).map(|s| (s / (30.436_875 * 86_400.0)).round() as i64).filter(|m| *m > 0)
}

impl Entry {
    /// The limit that holds peaks back: of those that apply to every
    /// request (no `applies_to`, counted in requests), the strictest over a
    /// window of an hour or less (a daily quota is an average, not a peak),
    /// else the strictest of any window; with its rate per second.
    pub(crate) fn general_limit(&self) -> Option<(&RateLimits, &Limit, f64)> {
        let limits = self.rate_limits.fact()?;
        let general = || {
            limits
                .limits
                .iter()
                .filter(|l| l.applies_to.is_none() && l.unit != Some(LimitUnit::Points))
                .filter_map(|l| Some((l, seconds(&l.per)?)))
        };
        let strictest = |short: bool| {
            general()
                .filter(|(_, window)| !short || *window <= 3_600.0)
                .map(|(l, window)| (l, l.requests as f64 / window))
                .min_by(|a, b| a.1.total_cmp(&b.1))
        };
        strictest(true).or_else(|| strictest(false)).map(|(l, per_second)| (limits, l, per_second))
    }
}

impl Limit {
    /// `100 requests per 10s per account`.
    pub(crate) fn describe(&self) -> String {
        format!("{} requests per {} per {}", self.requests, self.per, self.scope)
    }
}

/// `base` with the fields `overlay` (a partial entry, as JSON) gives
/// replaced: the entry and its `webhooks` are merged key by key, and a fact
/// (an object with a `source`, or `"unknown"`), a list or a value is replaced
/// whole, so a fact never keeps a source that does not say it. `null` removes an
/// optional field. The result must still be a whole, valid entry.
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
mod tests;
