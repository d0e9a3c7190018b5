//! The Singer taps and targets the ETL backend knows: which PyPI package
//! (pinned) reads a source system or loads a warehouse, the settings each
//! takes and the environment variable each setting comes from, and the
//! stream names of the known taps. A source system whose name starts with a
//! tap's key (letters and digits only, any case: `shopify`, `Shopify-EU`)
//! gets that tap; any other is read by the generic `tap-rest-api-msdk`. A
//! warehouse's engine is named by its name or its `url` scheme.

use crate::escape::sql::Dialect;

/// Where a setting's value comes from: the system's `secret` (else
/// `<SYSTEM>_<fallback>`), or `<SYSTEM>_<suffix>`.
#[derive(Debug)]
pub(crate) enum SettingEnv {
    Secret,
    Suffix(&'static str),
}

#[derive(Debug)]
pub(crate) struct Setting {
    pub(crate) name: &'static str,
    pub(crate) env: SettingEnv,
    /// The suffix for a secret the system does not name.
    pub(crate) fallback: &'static str,
    pub(crate) sensitive: bool,
    /// What it is, for the README.
    pub(crate) what: &'static str,
}

const fn env(name: &'static str, suffix: &'static str, what: &'static str) -> Setting {
    Setting { name, env: SettingEnv::Suffix(suffix), fallback: "", sensitive: false, what }
}

const fn hidden(name: &'static str, suffix: &'static str, what: &'static str) -> Setting {
    Setting { name, env: SettingEnv::Suffix(suffix), fallback: "", sensitive: true, what }
}

const fn secret(name: &'static str, fallback: &'static str, what: &'static str) -> Setting {
    Setting { name, env: SettingEnv::Secret, fallback, sensitive: true, what }
}

/// A Singer tap.
#[derive(Debug)]
pub(crate) struct Tap {
    /// The system-name prefix it is chosen by; empty for the generic tap.
    pub(crate) key: &'static str,
    pub(crate) pip_url: &'static str,
    pub(crate) executable: &'static str,
    pub(crate) namespace: &'static str,
    pub(crate) settings: &'static [Setting],
    /// `(entity, stream)`: the tap's stream for an entity name (any case).
    pub(crate) streams: &'static [(&'static str, &'static str)],
    /// Put before an entity's name when `streams` does not list it.
    pub(crate) stream_prefix: &'static str,
}

const START: Setting = env("start_date", "START_DATE", "the first date to extract from (ISO 8601)");

pub(crate) const TAPS: &[Tap] = &[
    Tap {
        key: "shopify",
        pip_url: "tap-shopify==3.13.0",
        executable: "tap-shopify",
        namespace: "tap_shopify",
        settings: &[
            env("shop", "SHOP", "the shop name"),
            secret("api_key", "TOKEN", "the Admin API access token"),
            START,
        ],
        streams: &[
            ("order", "orders"),
            ("product", "products"),
            ("customer", "customers"),
            ("collection", "collects"),
            ("transaction", "transactions"),
            ("inventory_item", "inventory_items"),
        ],
        stream_prefix: "",
    },
    Tap {
        key: "hubspot",
        pip_url: "tap-hubspot==4.5.0",
        executable: "tap-hubspot",
        namespace: "tap_hubspot",
        settings: &[
            env("client_id", "CLIENT_ID", "the OAuth client id"),
            hidden("client_secret", "CLIENT_SECRET", "the OAuth client secret"),
            secret("refresh_token", "REFRESH_TOKEN", "the OAuth refresh token"),
            START,
        ],
        streams: &[("contact", "contacts"), ("company", "companies"), ("deal", "deals"), ("ticket", "tickets")],
        stream_prefix: "",
    },
    Tap {
        key: "stripe",
        pip_url: "tap-stripe==3.3.0",
        executable: "tap-stripe",
        namespace: "tap_stripe",
        settings: &[
            secret("client_secret", "API_KEY", "the secret API key"),
            env("account_id", "ACCOUNT_ID", "the account id"),
            START,
        ],
        streams: &[
            ("charge", "charges"),
            ("customer", "customers"),
            ("invoice", "invoices"),
            ("payment_intent", "payment_intents"),
            ("subscription", "subscriptions"),
            ("payout", "payouts"),
        ],
        stream_prefix: "",
    },
    Tap {
        key: "zendesk",
        pip_url: "tap-zendesk==2.8.2",
        executable: "tap-zendesk",
        namespace: "tap_zendesk",
        settings: &[
            env("subdomain", "SUBDOMAIN", "the Zendesk subdomain"),
            secret("access_token", "TOKEN", "the OAuth access token"),
            START,
        ],
        streams: &[("ticket", "tickets"), ("user", "users"), ("organization", "organizations")],
        stream_prefix: "",
    },
    Tap {
        key: "salesforce",
        pip_url: "tap-salesforce==2.8.1",
        executable: "tap-salesforce",
        namespace: "tap_salesforce",
        settings: &[
            env("client_id", "CLIENT_ID", "the connected app's client id"),
            hidden("client_secret", "CLIENT_SECRET", "the connected app's client secret"),
            secret("refresh_token", "REFRESH_TOKEN", "the OAuth refresh token"),
            START,
        ],
        streams: &[],
        stream_prefix: "",
    },
    Tap {
        key: "postgres",
        pip_url: "meltanolabs-tap-postgres==0.10.0",
        executable: "tap-postgres",
        namespace: "tap_postgres",
        settings: &[secret("sqlalchemy_url", "DATABASE_URL", "the database URL (postgresql://user:password@host/db)")],
        streams: &[],
        stream_prefix: "public-",
    },
];

/// The tap for any system without a known one: REST endpoints, one stream
/// per entity, bearer-token auth.
pub(crate) const GENERIC: Tap = Tap {
    key: "",
    pip_url: "tap-rest-api-msdk==1.4.2",
    executable: "tap-rest-api-msdk",
    namespace: "tap_rest_api_msdk",
    settings: &[
        env("api_url", "URL", "the base URL of its API"),
        secret("bearer_token", "TOKEN", "the bearer token sent to its API"),
    ],
    streams: &[],
    stream_prefix: "",
};

/// dbt itself, for the generated README's install command. dbt-core and
/// its adapters release minor versions together and a new minor changes
/// macros and behaviour the generated project relies on, so every pin takes
/// patches only (`~=X.Y.Z`, never `~=X.Y`, which allows any later minor).
/// The tests run the versions `scripts/test.sh` installs: dbt-core 1.11.16,
/// dbt-duckdb 1.11.1 and dbt-postgres 1.11.0.
pub(crate) const DBT_CORE: &str = "dbt-core~=1.11.0";

/// A warehouse engine: its Singer target, its dbt adapter and its SQL
/// dialect.
#[derive(Debug)]
pub(crate) struct Engine {
    /// What in a warehouse's name (or `url` scheme) names this engine.
    pub(crate) names: &'static [&'static str],
    pub(crate) loader: &'static str,
    pub(crate) pip_url: &'static str,
    pub(crate) namespace: &'static str,
    pub(crate) settings: &'static [Setting],
    /// The setting that takes the schema to write into, and the one that
    /// adds the `_sdc_*` columns.
    pub(crate) schema_setting: &'static str,
    pub(crate) metadata_setting: &'static str,
    /// The dbt adapter (`type:` in `profiles.yml`) and its PyPI package,
    /// pinned to one minor version (`~=1.11.0`: patches only; see
    /// `DBT_CORE`).
    pub(crate) dbt_type: &'static str,
    pub(crate) dbt_package: &'static str,
    /// How its SQL quotes string literals and identifiers.
    pub(crate) dialect: Dialect,
}

/// The first is the default.
pub(crate) const ENGINES: &[Engine] = &[
    Engine {
        names: &["duckdb"],
        loader: "target-duckdb",
        pip_url: "target-duckdb==0.8.0 duckdb==1.1.3",
        namespace: "target_duckdb",
        settings: &[env("path", "DUCKDB_PATH", "the DuckDB file to load into")],
        schema_setting: "default_target_schema",
        metadata_setting: "add_metadata_columns",
        dbt_type: "duckdb",
        dbt_package: "dbt-duckdb~=1.11.0",
        dialect: Dialect::Standard,
    },
    Engine {
        names: &["snowflake"],
        loader: "target-snowflake",
        pip_url: "meltanolabs-target-snowflake==0.20.4",
        namespace: "target_snowflake",
        settings: &[
            env("account", "ACCOUNT", "the account identifier"),
            env("user", "USER", "the user"),
            secret("password", "PASSWORD", "the password"),
            env("database", "DATABASE", "the database"),
            env("warehouse", "WAREHOUSE", "the compute warehouse"),
            env("role", "ROLE", "the role"),
        ],
        schema_setting: "default_target_schema",
        metadata_setting: "add_record_metadata",
        dbt_type: "snowflake",
        dbt_package: "dbt-snowflake~=1.11.0",
        dialect: Dialect::Snowflake,
    },
    Engine {
        names: &["postgres", "postgresql"],
        loader: "target-postgres",
        pip_url: "meltanolabs-target-postgres==0.8.1",
        namespace: "target_postgres",
        settings: &[
            env("host", "HOST", "the host"),
            env("port", "PORT", "the port"),
            env("user", "USER", "the user"),
            secret("password", "PASSWORD", "the password"),
            env("database", "DATABASE", "the database"),
        ],
        schema_setting: "default_target_schema",
        metadata_setting: "add_record_metadata",
        dbt_type: "postgres",
        dbt_package: "dbt-postgres~=1.11.0",
        dialect: Dialect::Standard,
    },
    Engine {
        names: &["bigquery"],
        loader: "target-bigquery",
        pip_url: "target-bigquery==1.4.0",
        namespace: "target_bigquery",
        settings: &[
            env("project", "PROJECT", "the Google Cloud project"),
            secret("credentials_path", "CREDENTIALS_PATH", "the service-account key file"),
            env("location", "LOCATION", "the dataset location"),
        ],
        schema_setting: "dataset",
        metadata_setting: "add_record_metadata",
        dbt_type: "bigquery",
        dbt_package: "dbt-bigquery~=1.11.0",
        dialect: Dialect::BigQuery,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every dbt pin allows patches of one minor version and no other:
    /// `~=` with three numbers, the same minor as dbt-core's.
    #[test]
    fn dbt_pins_take_patches_only() {
        let minor = |pin: &str| {
            let (name, version) = pin.split_once("~=").unwrap_or_else(|| panic!("{pin} is not a ~= pin"));
            let parts: Vec<&str> = version.split('.').collect();
            assert_eq!(parts.len(), 3, "{pin} allows a later minor version");
            assert!(parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())), "{pin}");
            assert!(name.starts_with("dbt-"), "{pin}");
            format!("{}.{}", parts[0], parts[1])
        };
        let core = minor(DBT_CORE);
        for engine in ENGINES {
            assert_eq!(minor(engine.dbt_package), core, "{}", engine.dbt_package);
            assert!(engine.dbt_package.starts_with(&format!("dbt-{}~=", engine.dbt_type)), "{}", engine.dbt_package);
        }
    }
}
