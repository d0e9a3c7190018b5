//! `system` nodes and what they hold: API, rate limit, secret, webhook
//! signature, lifetime, the `connector=` naming its catalog entry (looked
//! up by resolution), and their entities with their fields.

use smol_str::SmolStr;

use super::{Lowerer, Seen, children_of};
use crate::diagnostic::{self};
use crate::model::{
    Api, ApiStyle, Connector, Criticality, Entity, Field, FieldType, NameKind, OutboundAuth, RateLimit,
    SignatureEncoding, SignatureScheme, Spanned, System, SystemAuth, SystemKind, TimeUnit, WebhookSignature,
};
use crate::secrets;
use crate::shapes::Shape;
use crate::syntax::{Entry, Node, Value};

impl Lowerer<'_> {
    pub(super) fn system(&mut self, node: &Node<'_>) -> Option<System> {
        self.shape(node, shape!("" "system"));
        let name = self.name(node, NameKind::Label, "a name", "system \"hubspot\" kind=crm")?;
        let kind = match node.prop("kind") {
            Some(e) => self.keyword(&e, "system kind", SystemKind::parse, SystemKind::KEYWORDS),
            None => {
                self.missing_prop(node, "kind", &format!("system {:?} kind=crm", name.value));
                None
            }
        };
        let connector = node
            .prop("connector")
            .and_then(|e| self.string(&e, "`connector=stripe`"))
            .map(|id| Box::new(Connector { id, entry: None }));
        let mut system = System {
            name,
            kind,
            api: None,
            webhooks: None,
            rate_limit: None,
            owner: None,
            criticality: None,
            secret: None,
            url: None,
            entities: Vec::new(),
            planned_in_months: None,
            retires_in_months: None,
            ha: None,
            managed: None,
            outbox: None,
            webhook_signature: None,
            connector,
            auth: None,
            allows: Vec::new(),
            loc: self.loc(node.span),
        };
        let mut seen = Seen::default();
        for child in node.child_nodes() {
            let child = &child;
            let name = &*child.name.text;
            if name != "entity"
                && name != "allow"
                && let Some(known) = crate::shapes::shape("system", name).map(|s| s.name)
            {
                if let Some(first) = seen.get(known) {
                    self.repeated(child, "system", first);
                    continue;
                }
                seen.insert(known, self.loc(child.name.span));
            }
            match name {
                "api" => {
                    self.shape(child, shape!("system" "api"));
                    self.leaf(child);
                    let style = match child.arg(0) {
                        Some(e) => self.keyword(&e, "API style", ApiStyle::parse, ApiStyle::KEYWORDS),
                        None => {
                            self.missing(child, "a style", "api rest version=\"v3\"");
                            None
                        }
                    };
                    let version = child.prop("version").map(|e| {
                        let loc = self.loc(e.value_span);
                        let text = match &e.value {
                            Value::String(s) => SmolStr::new(s),
                            Value::Integer(n) => SmolStr::new(n.to_string()),
                            Value::Float(x) => SmolStr::new(x.to_string()),
                            // Reported once here, and still taken as a version
                            // so that `unversioned-api` does not pile onto it.
                            other => {
                                self.wrong_kind(&e, "a version", "`version=\"v3\"`");
                                SmolStr::new(other.kind_name())
                            }
                        };
                        Spanned { value: text, loc }
                    });
                    system.api = Some(Box::new(Api { style, version, loc: self.loc(child.span) }));
                }
                "webhooks" => system.webhooks = self.bool_child(child, shape!("system" "webhooks"), "webhooks #true"),
                "ha" => system.ha = self.bool_child(child, shape!("system" "ha"), "ha #true"),
                "outbox" => {
                    self.shape(child, shape!("system" "outbox"));
                    self.leaf(child);
                    system.outbox = Some(self.loc(child.span));
                }
                "managed" => {
                    self.shape(child, shape!("system" "managed"));
                    self.leaf(child);
                    system.managed = Some(self.loc(child.span));
                }
                "webhook-signature" => system.webhook_signature = Some(Box::new(self.webhook_signature(child))),
                "auth" => system.auth = Some(Box::new(self.auth(child))),
                "rate-limit" => {
                    self.shape(child, shape!("system" "rate-limit"));
                    self.leaf(child);
                    let count = match child.arg(0) {
                        Some(e) => self.number(&e, "a rate limit"),
                        None => {
                            self.missing(child, "a number", "rate-limit 100 per=second");
                            None
                        }
                    };
                    let per = match child.prop("per") {
                        Some(e) => self.keyword(&e, "time unit", TimeUnit::parse, TimeUnit::KEYWORDS),
                        None => {
                            self.missing_prop(child, "per", "rate-limit 100 per=second");
                            None
                        }
                    };
                    if let (Some(count), Some(per)) = (count, per) {
                        system.rate_limit =
                            Some(RateLimit { count: count.value, per: per.value, loc: self.loc(child.span) });
                    }
                }
                "owner" => system.owner = self.string_child(child, shape!("system" "owner"), "owner \"sales-ops\""),
                "secret" => {
                    system.secret = self.string_child(child, shape!("system" "secret"), "secret \"HUBSPOT_TOKEN\"");
                    // A credential is reported wherever it is written (see
                    // `check_secrets`); here, any other value that is not a
                    // variable's name.
                    if let Some(secret) = &system.secret
                        && !secrets::is_env_name(&secret.value)
                        && secrets::check(&secret.value).is_none()
                    {
                        let why = "`secret` takes an environment variable's name, such as `HUBSPOT_TOKEN`";
                        self.report_secret(secret.loc.span, &secret.value, 0..secret.value.len(), why.into());
                    }
                }
                "url" => {
                    system.url = self.string_child(child, shape!("system" "url"), "url \"https://api.example.com\"")
                }
                "criticality" => {
                    self.shape(child, shape!("system" "criticality"));
                    self.leaf(child);
                    system.criticality = match child.arg(0) {
                        Some(e) => self.keyword(&e, "criticality", Criticality::parse, Criticality::KEYWORDS),
                        None => {
                            self.missing(child, "a level", "criticality high");
                            None
                        }
                    };
                }
                "planned" | "retires" => {
                    self.shape(
                        child,
                        if name == "planned" { shape!("system" "planned") } else { shape!("system" "retires") },
                    );
                    self.leaf(child);
                    let months = match child.prop("in-months") {
                        Some(e) => self
                            .integer(&e, 0..=120, "`in-months`")
                            .map(|n| Spanned { value: n.value as u32, loc: n.loc }),
                        None => {
                            self.missing_prop(child, "in-months", &format!("{name} in-months=6"));
                            None
                        }
                    };
                    if name == "planned" {
                        system.planned_in_months = months;
                    } else {
                        system.retires_in_months = months;
                    }
                }
                "entity" => {
                    if let Some(entity) = self.entity(child) {
                        system.entities.push(entity);
                    }
                }
                "allow" => {
                    if let Some(allow) = self.allow(child, shape!("system" "allow")) {
                        system.allows.push(allow);
                    }
                }
                _ => self.unknown_node(child, "in a system", &children_of("system")),
            }
        }
        system.entities.shrink_to_fit();
        Some(system)
    }

    pub(super) fn entity(&mut self, node: &Node<'_>) -> Option<Entity> {
        self.shape(node, shape!("system" "entity"));
        let name = self.name(node, NameKind::Label, "a name", "entity \"contact\"")?;
        let mut fields = Vec::new();
        for child in node.child_nodes() {
            let child = &child;
            match &*child.name.text {
                "field" => fields.extend(self.field(child, shape!("entity" "field"))),
                _ => self.unknown_node(child, "in an entity", &children_of("entity")),
            }
        }
        fields.shrink_to_fit();
        Some(Entity { name, fields, loc: self.loc(node.span) })
    }

    /// A `field` of an entity or of an event (`shape` says which).
    pub(super) fn field(&mut self, node: &Node<'_>, shape: &Shape) -> Option<Field> {
        self.shape(node, shape);
        self.leaf(node);
        let name = self.name(node, NameKind::Field, "a name", "field \"email\" type=email")?;
        let ty = match node.prop("type") {
            Some(e) => self.keyword(&e, "field type", FieldType::parse, FieldType::KEYWORDS),
            None => {
                self.missing_prop(node, "type", &format!("field {:?} type=string", name.value));
                None
            }
        };
        let required = node.prop("required").and_then(|e| self.bool(&e)).is_some_and(|b| b.value);
        let generated = node.prop("generated").and_then(|e| self.bool(&e)).is_some_and(|b| b.value);
        let unique = node.prop("unique").and_then(|e| self.bool(&e)).is_some_and(|b| b.value);
        Some(Field { name, ty, required, generated, unique, loc: self.loc(node.span) })
    }

    /// `webhook-signature "hmac-sha256" header="X-Signature" secret="ENV" encoding=hex prefix="sha256="`.
    pub(super) fn webhook_signature(&mut self, node: &Node<'_>) -> WebhookSignature {
        const EXAMPLE: &str = "webhook-signature \"hmac-sha256\" header=\"X-Signature\" secret=\"SHOP_WEBHOOK_SECRET\"";
        self.shape(node, shape!("system" "webhook-signature"));
        self.leaf(node);
        let scheme = match node.arg(0) {
            Some(e) => self.keyword(&e, "signature scheme", SignatureScheme::parse, SignatureScheme::KEYWORDS),
            None => {
                self.missing(node, "a scheme", EXAMPLE);
                None
            }
        };
        let header = match node.prop("header") {
            Some(e) => self.header_name(&e),
            None => {
                self.missing_prop(node, "header", EXAMPLE);
                None
            }
        };
        let secret = match node.prop("secret") {
            Some(e) => self.string(&e, "`secret=\"SHOP_WEBHOOK_SECRET\"`").filter(|s| {
                let ok = secrets::is_env_name(&s.value);
                if !ok && secrets::check(&s.value).is_none() {
                    let why = "`secret=` takes an environment variable's name, such as `SHOP_WEBHOOK_SECRET`";
                    self.report_secret(e.value_span, &s.value, 0..s.value.len(), why.into());
                }
                ok
            }),
            None => {
                self.missing_prop(node, "secret", EXAMPLE);
                None
            }
        };
        let encoding = node.prop("encoding").and_then(|e| {
            self.keyword(&e, "signature encoding", SignatureEncoding::parse, SignatureEncoding::KEYWORDS)
        });
        let prefix = node.prop("prefix").and_then(|e| self.string(&e, "`prefix=\"sha256=\"`"));
        WebhookSignature { scheme, header, secret, encoding, prefix, loc: self.loc(node.span) }
    }

    /// `auth basic user="SHOP_USER" password="SHOP_PASSWORD"` (language 1.2):
    /// every property but `scope` and `header` an environment variable's name.
    pub(super) fn auth(&mut self, node: &Node<'_>) -> SystemAuth {
        const EXAMPLE: &str = "auth basic user=\"SHIPSTATION_KEY\" password=\"SHIPSTATION_SECRET\"";
        self.shape(node, shape!("system" "auth"));
        self.leaf(node);
        let kind = match node.arg(0) {
            Some(e) => self.keyword(&e, "authentication kind", OutboundAuth::parse, OutboundAuth::KEYWORDS),
            None => {
                self.missing(node, "a kind", EXAMPLE);
                None
            }
        };
        let env = |this: &mut Self, prop: &str| {
            let e = node.prop(prop)?;
            this.string(&e, &format!("`{prop}=\"SHOP_{}\"`", prop.to_ascii_uppercase().replace('-', "_"))).filter(|s| {
                let ok = secrets::is_env_name(&s.value);
                if !ok && secrets::check(&s.value).is_none() {
                    let why = format!("`{prop}=` takes an environment variable's name, such as `SHOP_CLIENT_ID`");
                    this.report_secret(e.value_span, &s.value, 0..s.value.len(), why);
                }
                ok
            })
        };
        let user = env(self, "user");
        let password = env(self, "password");
        let client_id = env(self, "client-id");
        let client_secret = env(self, "client-secret");
        let refresh_token = env(self, "refresh-token");
        let scope = node.prop("scope").and_then(|e| self.string(&e, "`scope=\"accounting\"`"));
        let header = node.prop("header").and_then(|e| self.header_name(&e));
        SystemAuth {
            kind,
            user,
            password,
            client_id,
            client_secret,
            refresh_token,
            scope,
            header,
            loc: self.loc(node.span),
        }
    }

    /// A header's name: letters, digits, `-` and `_` only.
    fn header_name(&mut self, e: &Entry<'_>) -> Option<Spanned<SmolStr>> {
        self.string(e, "`header=\"X-Signature\"`").filter(|h| {
            let token =
                !h.value.is_empty() && h.value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !token {
                self.report(
                    &diagnostic::BAD_VALUE,
                    e.value_span,
                    "a header name has only letters, digits, `-` and `_`".into(),
                    "not a header name",
                    "write the header as the vendor documents it, such as `X-Shopify-Hmac-Sha256`".into(),
                );
            }
            token
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::OutboundAuth;

    /// The spec of `text`, and the messages of every error in it.
    fn lower(text: &str) -> (crate::model::Spec, Vec<String>) {
        let path = std::path::Path::new("/virtual/wireplan.kdl");
        let loaded =
            crate::load::load_text(path, text.to_owned(), std::path::Path::new("/virtual"), crate::parse_and_lower);
        let found = loaded.diagnostics.iter().map(|d| format!("{}: {}", d.rule.name, d.message)).collect();
        (loaded.spec, found)
    }

    #[test]
    fn auth_lowers_its_kind_and_variables() {
        let (spec, found) = lower(
            "system \"books\" kind=accounting {\n    auth oauth2-refresh-token client-id=\"QB_ID\" scope=\"a b\"\n}\n\
             system \"ship\" kind=custom { auth basic user=\"SHIP_KEY\"; }\n",
        );
        assert_eq!(found, Vec::<String>::new());
        let books = spec.systems[0].auth.as_deref().unwrap();
        assert_eq!(books.kind.as_ref().map(|k| k.value), Some(OutboundAuth::Oauth2RefreshToken));
        assert_eq!(books.client_id.as_ref().map(|c| c.value.as_str()), Some("QB_ID"));
        assert_eq!(books.scope.as_ref().map(|s| s.value.as_str()), Some("a b"));
        assert!(books.client_secret.is_none() && books.refresh_token.is_none());
        let ship = spec.systems[1].auth.as_deref().unwrap();
        assert_eq!(ship.kind.as_ref().map(|k| k.value), Some(OutboundAuth::Basic));
        assert_eq!(ship.user.as_ref().map(|u| u.value.as_str()), Some("SHIP_KEY"));
    }

    #[test]
    fn mistakes_in_auth_are_reported() {
        let (spec, found) = lower(
            "system \"a\" kind=custom { auth; }\n\
             system \"b\" kind=custom { auth kerberos; }\n\
             system \"c\" kind=custom { auth basic password=\"hunter2-Xk9vQ2mZpL7rT4wY8bN3cF6\"; }\n\
             system \"d\" kind=custom { auth api-key header=\"X Key\"; }\n\
             system \"e\" kind=custom { auth basic; auth basic; }\n\
             system \"f\" kind=custom { auth basic realm=\"x\"; }\n",
        );
        let expect = |prefix: &str| {
            assert!(found.iter().any(|f| f.starts_with(prefix)), "{prefix} not in {found:#?}");
        };
        expect("missing-argument:");
        expect("bad-value: unknown authentication kind `kerberos`");
        expect("secret-literal:");
        expect("bad-value: a header name has only letters");
        expect("bad-value: `auth` is given twice");
        expect("unknown-property");
        // A credential written in place is never kept as a variable's name.
        assert!(spec.systems[2].auth.as_deref().unwrap().password.is_none());
        assert!(spec.systems[3].auth.as_deref().unwrap().header.is_none());
    }
}
