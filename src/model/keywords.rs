//! The keyword values of the language (system kinds, actions, field types,
//! time units, ...), each an enum with its keywords, declared once by
//! `keyword_enum!`.

macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum $name { $($variant),* }

        impl $name {
            /// The keywords as written in the spec, in the order the language
            /// reference lists them, for messages and suggestions.
            pub(crate) const KEYWORDS: &'static [&'static str] = &[$($text),*];

            pub(crate) fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub(crate) fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum! {
    /// What a system is; decides whether it counts as a business tool.
    SystemKind {
        Crm = "crm", Email = "email", Ecommerce = "ecommerce", Accounting = "accounting",
        Erp = "erp", Website = "website", Support = "support", Marketing = "marketing",
        Payments = "payments", Analytics = "analytics", Warehouse = "warehouse", Lake = "lake",
        Hub = "hub", Broker = "broker", Database = "database", Custom = "custom",
    }
}

impl SystemKind {
    pub(crate) fn is_tool(self) -> bool {
        !matches!(self, SystemKind::Hub | SystemKind::Broker | SystemKind::Warehouse | SystemKind::Lake)
    }

    pub(crate) fn is_storage(self) -> bool {
        matches!(self, SystemKind::Warehouse | SystemKind::Lake)
    }
}

keyword_enum! {
    /// How a system is reached: request/response styles, and (1.1) messaging
    /// protocols.
    ApiStyle {
        Rest = "rest", Graphql = "graphql", Soap = "soap", Grpc = "grpc", File = "file", Database = "database",
        Sdk = "sdk", Amqp = "amqp", Kafka = "kafka", Mqtt = "mqtt", Nats = "nats", Sqs = "sqs",
        Websocket = "websocket",
    }
}

impl ApiStyle {
    /// A messaging protocol: a transport that negotiates its own version on
    /// each connection; the contract it carries is the events', versioned on
    /// each event.
    pub(crate) fn is_messaging(self) -> bool {
        matches!(self, ApiStyle::Amqp | ApiStyle::Kafka | ApiStyle::Mqtt | ApiStyle::Nats | ApiStyle::Sqs)
    }
}

keyword_enum! {
    Criticality { Low = "low", Normal = "normal", High = "high" }
}

keyword_enum! {
    TimeUnit { Second = "second", Minute = "minute", Hour = "hour", Day = "day" }
}

impl TimeUnit {
    pub(crate) fn seconds(self) -> f64 {
        match self {
            TimeUnit::Second => 1.0,
            TimeUnit::Minute => 60.0,
            TimeUnit::Hour => 3_600.0,
            TimeUnit::Day => 86_400.0,
        }
    }
}

keyword_enum! {
    FieldType {
        String = "string", Int = "int", Float = "float", Bool = "bool", Date = "date",
        Datetime = "datetime", Email = "email", Url = "url", Money = "money", Json = "json",
    }
}

impl FieldType {
    /// Whether a `map` may write a value of type `self` into a field of type `to`.
    pub(crate) fn converts_to(self, to: FieldType) -> bool {
        self == to
            || matches!(to, FieldType::String | FieldType::Json)
            || matches!(
                (self, to),
                (FieldType::Int, FieldType::Float)
                    | (FieldType::Money, FieldType::Float)
                    | (FieldType::Date, FieldType::Datetime)
            )
    }
}

keyword_enum! {
    Action {
        Create = "create", Upsert = "upsert", Update = "update", Delete = "delete", Send = "send",
        Append = "append", Increment = "increment", Read = "read",
    }
}

impl Action {
    /// `create`, `send` and `append` make a new record each time they run;
    /// `increment` changes a value relative to what it was. Running any of
    /// them twice is not the same as running it once. A `read` (1.2: a
    /// query, a lookup, a retrieve) changes nothing.
    pub(crate) fn is_idempotent(self) -> bool {
        matches!(self, Action::Upsert | Action::Update | Action::Delete | Action::Read)
    }

    /// Whether the write can add a record to its target (a `create`, an
    /// `upsert` that finds none, a message `send`, a row `append`): only
    /// such a write can set off an event that fires on creation.
    pub(crate) fn can_create(self) -> bool {
        matches!(self, Action::Create | Action::Upsert | Action::Send | Action::Append)
    }
}

keyword_enum! {
    /// (1.2) `match FIELD lookup=native|search` in a `to`: how the write
    /// finds the record its key names. `native`: the target's own upsert by
    /// that key, one call (Salesforce's external id, HubSpot's
    /// `idProperty`); `search`: a search, then a create or an update, two
    /// calls with nothing between them.
    Lookup { Native = "native", Search = "search" }
}

keyword_enum! {
    /// `delivery at-least-once|at-most-once` on an event: how its producer
    /// delivers it, overriding what the producer's `webhooks` implies.
    EventDelivery { AtLeastOnce = "at-least-once", AtMostOnce = "at-most-once" }
}

keyword_enum! {
    Backoff { Fixed = "fixed", Exponential = "exponential" }
}

keyword_enum! {
    /// The HTTP method of a write (`request method=...`).
    HttpMethod { Post = "POST", Put = "PUT", Patch = "PATCH", Delete = "DELETE" }
}

keyword_enum! {
    /// How a system signs its webhooks: an HMAC of the raw body.
    SignatureScheme {
        HmacSha256 = "hmac-sha256", HmacSha1 = "hmac-sha1", HmacMd5 = "hmac-md5", HmacSha512 = "hmac-sha512",
    }
}

keyword_enum! {
    /// How the signature is written in its header.
    SignatureEncoding { Hex = "hex", Base64 = "base64" }
}

keyword_enum! {
    /// How calls to a system authenticate (`auth KIND`, language 1.2).
    OutboundAuth {
        Bearer = "bearer", Basic = "basic", ApiKey = "api-key",
        Oauth2ClientCredentials = "oauth2-client-credentials", Oauth2RefreshToken = "oauth2-refresh-token",
    }
}

keyword_enum! {
    LintLevel { Deny = "deny", Warn = "warn", Allow = "allow" }
}
