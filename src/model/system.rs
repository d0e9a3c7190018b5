//! Systems in the model: what a system is, how it is reached and what it
//! holds (API, webhooks and their signature, rate limits, entities and
//! fields), with the facts its `connector=` catalog entry adds.

use super::keywords::{
    ApiStyle, Criticality, FieldType, HttpMethod, OutboundAuth, SignatureEncoding, SignatureScheme, SystemKind,
    TimeUnit,
};
use super::{Allow, Loc, Name, Spanned};
use crate::catalog;
use smol_str::SmolStr;

#[derive(Clone, Debug)]
pub(crate) struct System {
    pub(crate) name: Name,
    pub(crate) kind: Option<Spanned<SystemKind>>,
    // The statements most systems leave out are boxed, so a spec of many
    // small systems holds little for each (see `benches/hostile.rs`).
    pub(crate) api: Option<Box<Api>>,
    pub(crate) webhooks: Option<Spanned<bool>>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) owner: Option<Spanned<SmolStr>>,
    pub(crate) criticality: Option<Spanned<Criticality>>,
    pub(crate) secret: Option<Spanned<SmolStr>>,
    pub(crate) url: Option<Spanned<SmolStr>>,
    pub(crate) entities: Vec<Entity>,
    pub(crate) planned_in_months: Option<Spanned<u32>>,
    pub(crate) retires_in_months: Option<Spanned<u32>>,
    pub(crate) ha: Option<Spanned<bool>>,
    /// (1.2) `managed`: a vendor (or a platform team, as a shared service)
    /// runs the system and answers for its availability: Amazon SQS, Azure
    /// Service Bus, a vendor's connector platform, a shared CI runner.
    pub(crate) managed: Option<Loc>,
    /// (1.2) `outbox`: the system commits each event it publishes with the
    /// write that sets it off (an outbox table and a relay, or change data
    /// capture), so no crash between them loses or invents one.
    pub(crate) outbox: Option<Loc>,
    /// `webhook-signature SCHEME header=H secret=ENV`: how its webhooks prove
    /// where they come from (the hub backend checks it).
    pub(crate) webhook_signature: Option<Box<WebhookSignature>>,
    /// `connector=stripe`: the catalog entry whose documented facts the
    /// system takes where the spec is silent.
    pub(crate) connector: Option<Box<Connector>>,
    /// `auth KIND ...` (language 1.2): how calls to the system authenticate,
    /// when it is more than the bearer token of `secret`.
    pub(crate) auth: Option<Box<SystemAuth>>,
    pub(crate) allows: Vec<Allow>,
    pub(crate) loc: Loc,
}

/// `connector=ID` on a system, and the catalog entry resolution found for it
/// (`None` when the name is not in the catalog, already an error).
#[derive(Clone, Debug)]
pub(crate) struct Connector {
    pub(crate) id: Spanned<SmolStr>,
    pub(crate) entry: Option<&'static catalog::Entry>,
}

/// Where a fact about a system comes from: a statement of the spec, or the
/// catalog entry of its connector (whose page a finding cites).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin<'a> {
    Spec(Loc),
    Catalog { vendor: &'a str, source: &'a str, at: Loc },
}

impl Origin<'_> {
    /// Where a label about the fact goes: the statement, or `connector=`.
    pub(crate) fn loc(&self) -> Loc {
        match self {
            Origin::Spec(loc) | Origin::Catalog { at: loc, .. } => *loc,
        }
    }
}

/// A system's rate limit: the spec's `rate-limit`, or the strictest
/// general limit its connector's vendor documents.
#[derive(Clone, Debug)]
pub(crate) struct EffectiveLimit<'a> {
    pub(crate) per_second: f64,
    /// `100 per minute`, or `HubSpot allows 190 requests per 10s per account`.
    pub(crate) said: String,
    pub(crate) origin: Origin<'a>,
}

impl System {
    /// The declared kind, or `custom` when it is missing or invalid.
    pub(crate) fn kind(&self) -> SystemKind {
        self.kind.as_ref().map_or(SystemKind::Custom, |k| k.value)
    }

    /// Hubs and brokers carry flows; they are never a flow's endpoint of record.
    pub(crate) fn is_transport(&self) -> bool {
        matches!(self.kind(), SystemKind::Hub | SystemKind::Broker)
    }

    /// Every kind but hub, broker, warehouse and lake is a business tool. A
    /// system whose kind is missing or unknown (already an error) is not
    /// counted, so that one mistake does not also move the stage.
    pub(crate) fn is_tool(&self) -> bool {
        self.kind.as_ref().is_some_and(|k| k.value.is_tool())
    }

    /// Whether the system is live in month `month` (0 = now).
    pub(crate) fn live_in(&self, month: u32) -> bool {
        let joined = self.planned_in_months.as_ref().is_none_or(|p| month >= p.value);
        let retired = self.retires_in_months.as_ref().is_some_and(|r| month >= r.value);
        joined && !retired
    }

    /// Whether the system sends webhooks: as the spec says, else as its
    /// connector's catalog entry documents.
    pub(crate) fn has_webhooks(&self) -> bool {
        self.webhooks_fact().is_some_and(|(value, _)| value)
    }

    /// How the system is reached (`api STYLE`), when the spec says.
    pub(crate) fn api_style(&self) -> Option<ApiStyle> {
        self.api.as_ref()?.style.as_ref().map(|s| s.value)
    }

    /// Whether it is a database: `kind=database`, or reached as one
    /// (`api database`).
    pub(crate) fn is_database(&self) -> bool {
        self.kind() == SystemKind::Database || self.api_style() == Some(ApiStyle::Database)
    }

    /// The catalog entry of its connector, when it names a known one.
    pub(crate) fn catalog(&self) -> Option<(&'static catalog::Entry, Loc)> {
        let connector = self.connector.as_deref()?;
        Some((connector.entry?, connector.id.loc))
    }

    /// Whether the system sends webhooks, and who says so.
    pub(crate) fn webhooks_fact(&self) -> Option<(bool, Origin<'static>)> {
        if let Some(w) = &self.webhooks {
            return Some((w.value, Origin::Spec(w.loc)));
        }
        let (entry, at) = self.catalog()?;
        let support = entry.webhooks.supported.fact()?;
        Some((support.supported, Origin::Catalog { vendor: &entry.name, source: &support.provenance.source, at }))
    }

    /// The rate limit the checks hold writes to: the spec's, else the
    /// strictest general limit of the connector's vendor.
    pub(crate) fn rate_limit_fact(&self) -> Option<EffectiveLimit<'static>> {
        if let Some(limit) = &self.rate_limit {
            return Some(EffectiveLimit {
                per_second: limit.per_second(),
                said: if limit.count.fract() == 0.0 && limit.count.abs() < 1e15 {
                    format!("{} per {}", limit.count as i64, limit.per)
                } else {
                    format!("{:.2} per {}", limit.count, limit.per)
                },
                origin: Origin::Spec(limit.loc),
            });
        }
        let (entry, at) = self.catalog()?;
        let (limits, limit, per_second) = entry.general_limit()?;
        Some(EffectiveLimit {
            per_second,
            said: format!("{} allows {}", entry.name, limit.describe()),
            origin: Origin::Catalog { vendor: &entry.name, source: &limits.provenance.source, at },
        })
    }

    /// Whether someone other than this design's team runs the system
    /// (`managed`, since 1.2): its redundancy is that provider's tier, not
    /// something the spec can change.
    pub(crate) fn is_managed(&self) -> bool {
        self.managed.is_some()
    }

    pub(crate) fn is_ha(&self) -> bool {
        self.ha.as_ref().is_some_and(|h| h.value)
    }
}

/// `api STYLE version="..."`.
#[derive(Clone, Debug)]
pub(crate) struct Api {
    pub(crate) style: Option<Spanned<ApiStyle>>,
    pub(crate) version: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `webhook-signature "hmac-sha256" header="X-Signature" secret="ENV" encoding=hex prefix="sha256="`.
#[derive(Clone, Debug)]
pub(crate) struct WebhookSignature {
    pub(crate) scheme: Option<Spanned<SignatureScheme>>,
    /// The request header holding the signature.
    pub(crate) header: Option<Spanned<SmolStr>>,
    /// The environment variable holding the shared secret.
    pub(crate) secret: Option<Spanned<SmolStr>>,
    /// `hex` unless given.
    pub(crate) encoding: Option<Spanned<SignatureEncoding>>,
    /// Text before the signature in the header, such as `sha256=`.
    pub(crate) prefix: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `auth basic user="ENV" password="ENV"`, `auth oauth2-refresh-token
/// client-id="ENV" client-secret="ENV" refresh-token="ENV" scope="..."`,
/// `auth api-key header="X-Api-Key"`: every credential an environment
/// variable's name (the backends derive one from the system's name where
/// the statement gives none).
#[derive(Clone, Debug)]
pub(crate) struct SystemAuth {
    pub(crate) kind: Option<Spanned<OutboundAuth>>,
    pub(crate) user: Option<Spanned<SmolStr>>,
    pub(crate) password: Option<Spanned<SmolStr>>,
    pub(crate) client_id: Option<Spanned<SmolStr>>,
    pub(crate) client_secret: Option<Spanned<SmolStr>>,
    pub(crate) refresh_token: Option<Spanned<SmolStr>>,
    /// OAuth2 scopes, as the vendor writes them (space-separated).
    pub(crate) scope: Option<Spanned<SmolStr>>,
    /// The header an `api-key` goes in.
    pub(crate) header: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `request method="POST" path="/invoices"` in a `to`: how the write is sent.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) method: Option<Spanned<HttpMethod>>,
    pub(crate) path: Option<Spanned<SmolStr>>,
    pub(crate) loc: Loc,
}

/// `rate-limit N per=UNIT`.
#[derive(Clone, Debug)]
pub(crate) struct RateLimit {
    pub(crate) count: f64,
    pub(crate) per: TimeUnit,
    pub(crate) loc: Loc,
}

impl RateLimit {
    pub(crate) fn per_second(&self) -> f64 {
        self.count / self.per.seconds()
    }
}

/// `entity NAME { field ... }` in a system.
#[derive(Clone, Debug)]
pub(crate) struct Entity {
    pub(crate) name: Name,
    pub(crate) fields: Vec<Field>,
    pub(crate) loc: Loc,
}

/// `field NAME type=T required=#true`, in an entity or an event.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: Name,
    pub(crate) ty: Option<Spanned<FieldType>>,
    pub(crate) required: bool,
    /// `generated=#true`: the system fills it itself (a database id), so a
    /// `create` need not map it.
    pub(crate) generated: bool,
    /// (1.2) `unique=#true`, on an entity's field: the system refuses a
    /// second record with the same value (a unique index, a vendor's
    /// duplicate check), so a repeated create fails rather than doubles.
    pub(crate) unique: bool,
    pub(crate) loc: Loc,
}
