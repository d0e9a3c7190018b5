//! Authentication as the vendors do it, for the hub and the broker's
//! connectors: how a producer's webhooks prove where they come from, read
//! from its `connector=` catalog entry (Stripe's `t=...,v1=...` over
//! `{timestamp}.{body}`, Slack's `v0:{timestamp}:{body}`, Shopify's base64
//! HMAC, GitHub's `sha256=`, Twilio's URL and form parameters, SendGrid's
//! ECDSA checked with its public key), and how calls
//! to a target authenticate (`auth basic`, `auth api-key`, OAuth2 client
//! credentials or refresh token) and where it reads an idempotency key
//! (Stripe's `Idempotency-Key` header, Square's `idempotency_key` body field).
//!
//! Everything here is data: a scheme becomes a JSON description that
//! serde writes into `msg._wp`, read by two fixed files of the kit,
//! `verify.js` (the webhook check) and `auth.js` (a target's credentials and
//! key placement, with an OAuth2 token cache). No catalog or spec text
//! reaches their code. Every credential is an environment variable claimed
//! in the build's registry (`Env`).

use serde_json::{Map, Value, json};

use crate::catalog::{self, Algorithm, AuthKindName, Encoding, IdempotencySupport, Signature};
use crate::emit::env::Env;
use crate::model::{OutboundAuth, SignatureEncoding, SignatureScheme, Spec, SystemId};

/// A target's credentials and key placement (fixed code).
pub(in crate::emit) const AUTH_JS: &str = include_str!("auth.js");

/// The variable holding the URL the hub is reached at from outside, for
/// vendors that sign the URL they post to (Square, HubSpot, Twilio).
pub(in crate::emit) const PUBLIC_URL_ENV: &str = "WIREPLAN_PUBLIC_URL";

/// A vendor's webhook signature scheme, as `verify.js` checks it.
#[derive(Debug)]
pub(in crate::emit) struct VendorScheme {
    /// The catalog entry's vendor name, for the generated README.
    pub(in crate::emit) vendor: String,
    /// `t={timestamp},v1={signature}` pairs, or a prefix before the signature.
    layout: Layout,
    signed: Vec<Part>,
    /// The header whose value is the signed timestamp, when not in the pairs.
    timestamp_header: Option<String>,
    /// Seconds a signed timestamp may be off.
    pub(in crate::emit) tolerance: Option<u64>,
    url_env: Option<String>,
    /// The body is a form (Twilio): the flow gets its fields as an object.
    form: bool,
    /// Signed with a private key (SendGrid's ECDSA): the secret variable
    /// holds the vendor's public key, and the signature is verified with it.
    pub(in crate::emit) public_key: bool,
}

#[derive(Debug, PartialEq)]
enum Layout {
    Prefix(String),
    Pairs { timestamp: String, signature: String },
}

/// A piece of what is signed, in order.
#[derive(Debug, PartialEq)]
enum Part {
    Text(String),
    Body,
    Timestamp,
    Url,
    Method,
    /// A header's value (its name in lower case).
    Header(String),
    /// The form parameters sorted by name, each name followed by its value.
    Form,
}

impl VendorScheme {
    /// The fields `verify.js` reads besides those of a plain HMAC.
    pub(in crate::emit) fn insert(&self, auth: &mut Map<String, Value>) {
        auth.insert("vendor".into(), self.vendor.clone().into());
        if let Layout::Pairs { timestamp, signature } = &self.layout {
            auth.insert("pairs".into(), json!({"timestamp": timestamp, "signature": signature}));
        }
        let signed: Vec<Value> = self
            .signed
            .iter()
            .map(|part| match part {
                Part::Text(text) => json!(["text", text]),
                Part::Body => json!(["body"]),
                Part::Timestamp => json!(["timestamp"]),
                Part::Url => json!(["url"]),
                Part::Method => json!(["method"]),
                Part::Header(name) => json!(["header", name]),
                Part::Form => json!(["form"]),
            })
            .collect();
        auth.insert("signed".into(), signed.into());
        if let Some(header) = &self.timestamp_header {
            auth.insert("timestamp_header".into(), header.clone().into());
        }
        if let Some(tolerance) = self.tolerance {
            auth.insert("tolerance".into(), tolerance.into());
        }
        if let Some(url) = &self.url_env {
            auth.insert("url_env".into(), url.clone().into());
        }
        if self.form {
            auth.insert("form".into(), true.into());
        }
        if self.public_key {
            auth.insert("public_key".into(), true.into());
        }
    }
}

/// How the producer `id` signs its webhooks, when its connector's vendor
/// documents an HMAC scheme the kit checks: `(secret variable, header,
/// algorithm, encoding, prefix, scheme)`, every variable claimed in `env`.
/// What the spec's `webhook-signature` says wins over the catalog, field by
/// field. `None` leaves the endpoint to the spec's own statements.
pub(in crate::emit) fn vendor_webhook(
    spec: &Spec,
    id: SystemId,
    env: &mut Env<'_>,
) -> Option<(String, String, &'static str, &'static str, String, VendorScheme)> {
    let system = spec.system(id);
    let (entry, _) = system.catalog()?;
    let documented = entry.webhooks.signature.fact()?;
    let said = system.webhook_signature.as_deref();
    let mut scheme = parse(documented).ok()?;
    scheme.vendor = entry.name.clone();
    // A public-key scheme keeps its own algorithm whatever the statement says
    // (`connector-contradiction` reports the difference).
    let overrides = if scheme.public_key { None } else { said };
    let algorithm = match overrides.and_then(|s| s.scheme.as_ref()).map(|s| s.value) {
        Some(SignatureScheme::HmacSha1) => "sha1",
        Some(SignatureScheme::HmacSha256) => "sha256",
        Some(SignatureScheme::HmacMd5) => "md5",
        Some(SignatureScheme::HmacSha512) => "sha512",
        None if documented.algorithm == Algorithm::HmacSha1 => "sha1",
        None => "sha256",
    };
    let encoding = match overrides.and_then(|s| s.encoding.as_ref()).map(|e| e.value) {
        Some(SignatureEncoding::Base64) => "base64",
        Some(SignatureEncoding::Hex) => "hex",
        None if documented.encoding == Encoding::Base64 => "base64",
        None => "hex",
    };
    let header = overrides.and_then(|s| s.header.as_ref()).map_or(documented.header.as_str(), |h| h.value.as_str());
    if let Some(prefix) = overrides.and_then(|s| s.prefix.as_ref()) {
        scheme.layout = Layout::Prefix(prefix.value.to_string());
    }
    let prefix = match &scheme.layout {
        Layout::Prefix(prefix) => prefix.clone(),
        Layout::Pairs { .. } => String::new(),
    };
    let name = said
        .and_then(|s| s.secret.as_ref())
        .map_or_else(|| format!("{}_WEBHOOK_SECRET", env.base(id)), |s| s.value.to_string());
    let what = if scheme.public_key {
        format!("the public key {} signs its webhooks for ({}'s scheme; base64 DER or PEM)", env.system(id), entry.name)
    } else {
        format!("the secret {} signs its webhooks with ({}'s scheme)", env.system(id), entry.name)
    };
    let secret = env.claim(Some(id), name, what);
    if scheme.signed.contains(&Part::Url) {
        let what = "the URL the hub is reached at from outside (scheme, host and any path prefix, no trailing \
                    `/hooks/...`), which vendors that sign the URL sign"
            .to_owned();
        scheme.url_env = Some(env.claim(None, PUBLIC_URL_ENV.into(), what));
    }
    Some((secret, header.to_ascii_lowercase(), algorithm, encoding, prefix, scheme))
}

/// Why the kit cannot check `signature`, or `None` when it can.
pub(in crate::emit) fn unverifiable(signature: &Signature) -> Option<String> {
    parse(signature).err()
}

/// The catalog's description of a scheme as `verify.js` reads it: the
/// algorithm, the header's `format` and what is `signed`, with `{body}`,
/// `{timestamp}`, `{url}`, `{method}`, `{form}` and `{header:NAME}`.
fn parse(signature: &Signature) -> Result<VendorScheme, String> {
    let public_key = match signature.algorithm {
        Algorithm::HmacSha256 | Algorithm::HmacSha1 => false,
        Algorithm::RsaSha256 | Algorithm::EcdsaSha256 => true,
        Algorithm::VendorApi => return Err("its webhooks are verified by calling the vendor's own API".into()),
        Algorithm::SharedToken => {
            return Err("its webhooks carry a shared credential in a layout of the vendor's own".into());
        }
        Algorithm::None => return Err("its webhooks are not signed".into()),
    };
    if signature.encoding == Encoding::None {
        return Err("its signature has no encoding the kit knows".into());
    }
    let layout = match signature.format.as_deref() {
        None => Layout::Prefix(String::new()),
        Some(format) => layout(format).ok_or_else(|| format!("its signature header's layout `{format}` is unknown"))?,
    };
    let signed = parts(&signature.signed)
        .ok_or_else(|| format!("what it signs (`{}`) is not in the catalog's terms", signature.signed))?;
    let timestamp_header = match &layout {
        Layout::Pairs { .. } => None,
        Layout::Prefix(_) => signed.iter().find_map(|p| match p {
            Part::Header(name) if name.contains("timestamp") => Some(name.clone()),
            _ => None,
        }),
    };
    let has_timestamp = matches!(layout, Layout::Pairs { .. }) || timestamp_header.is_some();
    if signed.contains(&Part::Timestamp) && !matches!(layout, Layout::Pairs { .. }) {
        return Err("it signs a timestamp that its header does not carry".into());
    }
    let tolerance = signature.tolerance.as_deref().and_then(catalog::seconds).map(|s| s.round() as u64);
    if tolerance.is_some() && !has_timestamp {
        return Err("its timestamp tolerance has no timestamp to check".into());
    }
    let form = signed.contains(&Part::Form);
    Ok(VendorScheme {
        vendor: String::new(),
        layout,
        signed,
        timestamp_header,
        tolerance,
        url_env: None,
        form,
        public_key,
    })
}

/// `sha256={signature}` (a prefix), or `t={timestamp},v1={signature}`.
fn layout(format: &str) -> Option<Layout> {
    if let Some(prefix) = format.strip_suffix("{signature}")
        && !prefix.contains('{')
    {
        return Some(Layout::Prefix(prefix.to_owned()));
    }
    let (mut timestamp, mut signature) = (None, None);
    for pair in format.split(',') {
        let (key, value) = pair.split_once('=')?;
        let key = key.trim();
        match value.trim() {
            "{timestamp}" if timestamp.is_none() => timestamp = Some(key.to_owned()),
            "{signature}" if signature.is_none() => signature = Some(key.to_owned()),
            _ => return None,
        }
    }
    Some(Layout::Pairs { timestamp: timestamp?, signature: signature? })
}

/// What is signed, piece by piece; `None` for a placeholder the catalog
/// does not define.
fn parts(signed: &str) -> Option<Vec<Part>> {
    let mut out = Vec::new();
    let mut rest = signed;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let end = rest.find('}')?;
                let part = match &rest[1..end] {
                    "body" => Part::Body,
                    "timestamp" => Part::Timestamp,
                    "url" => Part::Url,
                    "method" => Part::Method,
                    "form" => Part::Form,
                    other => {
                        let name = other.strip_prefix("header:")?;
                        let token = !name.is_empty()
                            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                        if !token {
                            return None;
                        }
                        Part::Header(name.to_ascii_lowercase())
                    }
                };
                out.push(part);
                rest = &rest[end + 1..];
            }
            Some(at) => {
                if rest[..at].contains('}') {
                    return None;
                }
                out.push(Part::Text(rest[..at].to_owned()));
                rest = &rest[at..];
            }
            None => {
                if rest.contains('}') {
                    return None;
                }
                out.push(Part::Text(rest.to_owned()));
                rest = "";
            }
        }
    }
    // The body is always signed: as it came, or as a form (`{form}`).
    (out.contains(&Part::Body) || out.contains(&Part::Form)).then_some(out)
}

/// How calls to one target authenticate and where its idempotency key goes,
/// when that is more than the kit's default (`Authorization: Bearer` from
/// `secret`, an `Idempotency-Key` header).
#[derive(Debug, Default)]
pub(in crate::emit) struct TargetAuth {
    outbound: Option<Value>,
    key: Option<Value>,
    /// Whether the credential is an OAuth2 token (a 401 fetches a new one and
    /// tries once more).
    pub(in crate::emit) oauth2: bool,
    /// A build note: the vendor documents no bearer token, and the spec
    /// says no `auth`.
    pub(in crate::emit) note: Option<String>,
}

impl TargetAuth {
    /// Whether the request needs `auth.js` before it goes out.
    pub(in crate::emit) fn needed(&self) -> bool {
        self.outbound.is_some() || self.key.is_some()
    }

    /// Adds the description `auth.js` reads to a target's `msg._wp`.
    pub(in crate::emit) fn insert(&self, config: &mut Map<String, Value>) {
        if let Some(outbound) = &self.outbound {
            config.insert("outbound".into(), outbound.clone());
        }
        if let Some(key) = &self.key {
            config.insert("key_place".into(), key.clone());
        }
    }
}

/// Whether the system's calls carry something else than the bearer token of
/// its `secret` (which then is not sent as a bearer token).
pub(in crate::emit) fn replaces_bearer(spec: &Spec, id: SystemId) -> bool {
    let kind = spec.system(id).auth.as_deref().and_then(|a| a.kind.as_ref()).map(|k| k.value);
    kind.is_some_and(|k| k != OutboundAuth::Bearer)
}

/// The system `id`'s `auth` and, for a write that sends an idempotency key
/// (`keyed`), its vendor's key placement, with every variable claimed in
/// `env`; an error when the statement cannot be carried out.
pub(in crate::emit) fn target(spec: &Spec, id: SystemId, keyed: bool, env: &mut Env<'_>) -> Result<TargetAuth, String> {
    let system = spec.system(id);
    let mut out = TargetAuth { key: if keyed { key_place(spec, id) } else { None }, ..TargetAuth::default() };
    let Some(auth) = system.auth.as_deref() else {
        out.note = no_bearer(spec, id);
        return Ok(out);
    };
    let Some(kind) = auth.kind.as_ref().map(|k| k.value) else { return Ok(out) };
    let name = env.system(id);
    let base = env.base(id);
    let mut var = |given: &Option<crate::model::Spanned<smol_str::SmolStr>>, suffix: &str, what: String| {
        let name = given.as_ref().map_or_else(|| format!("{base}_{suffix}"), |g| g.value.to_string());
        env.claim(Some(id), name, what)
    };
    out.outbound = match kind {
        OutboundAuth::Bearer => None,
        OutboundAuth::Basic => {
            let user = var(&auth.user, "USER", format!("the Basic user name sent to {name}"));
            let password = var(&auth.password, "PASSWORD", format!("the Basic password sent to {name}"));
            Some(json!({"kind": "basic", "user_env": user, "password_env": password}))
        }
        OutboundAuth::ApiKey => {
            let documented = system.catalog().and_then(|(entry, _)| {
                entry.auth.fact()?.kinds.iter().find(|k| k.kind == AuthKindName::ApiKeyHeader)?.header.clone()
            });
            let header = auth.header.as_ref().map(|h| h.value.to_string()).or(documented).ok_or_else(|| {
                format!("`auth api-key` of {name} needs `header=`: its connector documents no API-key header")
            })?;
            // A project's catalog file may say anything; a header is a token.
            if header.is_empty() || !header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(format!("`auth api-key` of {name}: the catalog's header {header:?} is not a header name"));
            }
            let given = system.secret.as_ref().filter(|s| crate::emit::names::is_env_name(&s.value)).cloned();
            let key = var(&given, "API_KEY", format!("the API key sent to {name} (in {header})"));
            Some(json!({"kind": "api-key", "header": header, "key_env": key}))
        }
        OutboundAuth::Oauth2ClientCredentials | OutboundAuth::Oauth2RefreshToken => {
            out.oauth2 = true;
            let refresh = kind == OutboundAuth::Oauth2RefreshToken;
            let url = var(&None, "TOKEN_URL", format!("the OAuth2 token endpoint of {name}"));
            let client = var(&auth.client_id, "CLIENT_ID", format!("the OAuth2 client id for {name}"));
            let secret = var(&auth.client_secret, "CLIENT_SECRET", format!("the OAuth2 client secret for {name}"));
            let mut outbound = json!({
                "kind": "oauth2", "grant": if refresh { "refresh_token" } else { "client_credentials" },
                "token_url_env": url, "client_id_env": client, "client_secret_env": secret,
            });
            if refresh {
                let token = var(&auth.refresh_token, "REFRESH_TOKEN", format!("the OAuth2 refresh token for {name}"));
                outbound["refresh_token_env"] = token.into();
            }
            if let Some(scope) = &auth.scope {
                outbound["scope"] = scope.value.to_string().into();
            }
            Some(outbound)
        }
    };
    Ok(out)
}

/// What to say when the system's vendor documents no bearer token for its
/// API and the spec says no `auth`: the forms that would fit, with the page.
fn no_bearer(spec: &Spec, id: SystemId) -> Option<String> {
    let system = spec.system(id);
    let (entry, _) = system.catalog()?;
    let auth = entry.auth.fact()?;
    if auth.kinds.iter().any(|k| k.kind == AuthKindName::Bearer) {
        return None;
    }
    let forms: Vec<&str> = auth
        .kinds
        .iter()
        .filter_map(|k| match k.kind {
            AuthKindName::Basic => Some("`auth basic`"),
            AuthKindName::ApiKeyHeader => Some("`auth api-key`"),
            AuthKindName::Oauth2RefreshToken => Some("`auth oauth2-refresh-token`"),
            AuthKindName::Oauth2ClientCredentials => Some("`auth oauth2-client-credentials`"),
            _ => None,
        })
        .collect();
    let said = if forms.is_empty() {
        "none of which the hub sends yet".to_owned()
    } else {
        format!("say {} on the system", forms.join(" or "))
    };
    let what = if system.secret.is_some() { "sends its `secret` as a bearer token" } else { "sends no credential" };
    Some(format!(
        "{what} to {:?}, but {} documents no bearer token for its API ({}): {said}",
        system.name.value.as_str(),
        entry.name,
        auth.provenance.source
    ))
}

/// The system `id`'s `auth` for reading it (a poll): as `target`, without
/// an idempotency key.
pub(in crate::emit) fn source(spec: &Spec, id: SystemId, env: &mut Env<'_>) -> Result<TargetAuth, String> {
    target(spec, id, false, env).map(|auth| TargetAuth { note: None, ..auth })
}

/// Where the target's vendor reads an idempotency key, when the catalog
/// says it is not the kit's `Idempotency-Key` header.
fn key_place(spec: &Spec, id: SystemId) -> Option<Value> {
    let (entry, _) = spec.system(id).catalog()?;
    let idempotency = entry.idempotency.fact()?;
    let name = idempotency.name.as_deref();
    match idempotency.support {
        IdempotencySupport::Header => {
            let name = name?;
            (!name.eq_ignore_ascii_case("Idempotency-Key")).then(|| json!({"header": name}))
        }
        IdempotencySupport::BodyField => Some(json!({"field": name?})),
        IdempotencySupport::None => Some(json!({"none": true})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(id: &str) -> Result<VendorScheme, String> {
        let entry = catalog::builtin().unwrap().get(id).unwrap();
        parse(entry.webhooks.signature.fact().unwrap())
    }

    #[test]
    fn the_vendors_schemes_read_as_the_kit_checks_them() {
        let stripe = scheme("stripe").unwrap();
        assert_eq!(stripe.layout, Layout::Pairs { timestamp: "t".into(), signature: "v1".into() });
        assert_eq!(stripe.signed, [Part::Timestamp, Part::Text(".".into()), Part::Body]);
        assert_eq!(stripe.tolerance, Some(300));
        let slack = scheme("slack").unwrap();
        assert_eq!(slack.layout, Layout::Prefix("v0=".into()));
        assert_eq!(slack.timestamp_header.as_deref(), Some("x-slack-request-timestamp"));
        assert_eq!(slack.tolerance, Some(300));
        let github = scheme("github").unwrap();
        assert_eq!((github.layout, github.signed), (Layout::Prefix("sha256=".into()), vec![Part::Body]));
        let twilio = scheme("twilio").unwrap();
        assert_eq!(twilio.signed, [Part::Url, Part::Form]);
        assert!(twilio.form);
        for id in ["shopify", "hubspot", "intercom", "quickbooks-online", "square", "typeform", "xero", "zendesk"] {
            assert!(scheme(id).is_ok(), "{id}: {:?}", scheme(id).err());
        }
        let sendgrid = scheme("sendgrid").unwrap();
        assert!(sendgrid.public_key);
        assert_eq!(sendgrid.signed, [Part::Header("x-twilio-email-event-webhook-timestamp".into()), Part::Body]);
        for id in ["paypal", "pipedrive"] {
            assert!(scheme(id).is_err(), "{id}");
        }
    }

    #[test]
    fn unknown_placeholders_and_layouts_are_refused() {
        assert_eq!(parts("{body}"), Some(vec![Part::Body]));
        assert_eq!(parts("{timestamp}"), None, "the body is always signed");
        assert_eq!(parts("{body}{secret}"), None);
        assert_eq!(parts("{header:a b}{body}"), None);
        assert_eq!(parts("{body"), None);
        assert_eq!(parts("body}"), None);
        assert_eq!(layout("t={timestamp}"), None);
        assert_eq!(layout("{signature}"), Some(Layout::Prefix(String::new())));
        assert_eq!(layout("x={signature},x={signature}"), None);
    }

    #[test]
    fn targets_authenticate_as_their_statement_and_vendor_say() {
        let spec = crate::lint::test_spec(
            "system \"shop\" kind=ecommerce connector=shopify { secret \"SHOP_TOKEN\"; auth api-key; }\n\
             system \"custom\" kind=custom { auth api-key; }\n\
             system \"pos\" kind=payments connector=square { secret \"POS_TOKEN\"; }\n\
             system \"pay\" kind=payments connector=stripe\n\
             system \"books\" kind=accounting { auth oauth2-client-credentials scope=\"x\"; }\n",
        );
        let mut env = Env::new(&spec);
        let mut config = |id: u32| {
            let auth = target(&spec, SystemId(id), true, &mut env)?;
            let mut map = Map::new();
            auth.insert(&mut map);
            Ok::<_, String>((auth.needed(), auth.oauth2, Value::Object(map)))
        };
        let (needed, _, shop) = config(0).unwrap();
        assert!(needed);
        assert_eq!(
            shop["outbound"],
            json!({"kind": "api-key", "header": "X-Shopify-Access-Token", "key_env": "SHOP_TOKEN"})
        );
        assert!(replaces_bearer(&spec, SystemId(0)), "the key is not also sent as a bearer token");
        let error = config(1).unwrap_err();
        assert!(error.contains("needs `header=`"), "{error}");
        let (needed, _, pos) = config(2).unwrap();
        assert!(needed && !replaces_bearer(&spec, SystemId(2)));
        assert_eq!(pos, json!({"key_place": {"field": "idempotency_key"}}));
        let (needed, _, pay) = config(3).unwrap();
        assert!(!needed, "Stripe reads the kit's own `Idempotency-Key` header: {pay}");
        let ship = crate::lint::test_spec("system \"ship\" kind=custom connector=shipstation\n");
        let note = target(&ship, SystemId(0), false, &mut Env::new(&ship)).unwrap().note.unwrap();
        assert!(
            note.starts_with("sends no credential to \"ship\", but ShipStation documents no bearer token"),
            "{note}"
        );
        assert!(note.ends_with("say `auth basic` on the system"), "{note}");
        assert!(
            target(&spec, SystemId(3), true, &mut Env::new(&spec)).unwrap().note.is_none(),
            "Stripe takes a bearer token"
        );
        let (_, oauth2, books) = config(4).unwrap();
        assert!(oauth2);
        assert_eq!(
            books["outbound"],
            json!({
                "kind": "oauth2", "grant": "client_credentials", "token_url_env": "BOOKS_TOKEN_URL",
                "client_id_env": "BOOKS_CLIENT_ID", "client_secret_env": "BOOKS_CLIENT_SECRET", "scope": "x",
            })
        );
    }
}
