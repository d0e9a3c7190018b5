//! `wireplan drift`: what `build` would emit against what is deployed, as a
//! report (`crate::drift`), and what `deploy` shares with it: reading the
//! spec and the emitted files, the credentials from the environment, and
//! the deployment source of each target.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{load_checked, print, read_regular, usage_error};
use crate::drift::http::{Auth, Client, Endpoint};
use crate::drift::ignore::Ignore;
use crate::drift::render::Context;
use crate::drift::{Drift, Failure, Item, Source, broker, etl, hub};
use crate::emit::Target;
use crate::out::Out;

#[derive(Args, Debug)]
pub(crate) struct DriftArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above.
    pub(super) path: Option<PathBuf>,
    #[command(flatten)]
    pub(super) at: Deployment,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DriftFormat::Human)]
    pub(super) format: DriftFormat,
    /// Accepted differences: a file of `KIND NAME-GLOB` lines (`queue
    /// legacy-*`), `#` comments; meant to be committed.
    #[arg(long, value_name = "FILE")]
    pub(super) ignore: Option<PathBuf>,
}

/// Where the deployment is, for `drift` and `deploy`.
#[derive(Args, Debug)]
pub(crate) struct Deployment {
    /// The target whose deployment to compare: `broker` (RabbitMQ's
    /// management API), `hub` (Node-RED's admin API) or `etl` (a dbt
    /// project's manifest and warehouse catalog).
    #[arg(long, value_enum)]
    pub(super) target: Target,
    /// The management API (`http://host:15672`) for `broker`, the admin
    /// API's root (`http://host:1880/admin`) for `hub`. Plain HTTP only;
    /// credentials come from the environment: WIREPLAN_RABBITMQ_USER and
    /// WIREPLAN_RABBITMQ_PASSWORD, WIREPLAN_NODE_RED_TOKEN.
    #[arg(long, value_name = "URL")]
    pub(super) url: Option<String>,
    /// For `etl`: the dbt project folder; its `target/manifest.json` (`dbt
    /// parse`) and `target/catalog.json` (`dbt docs generate`) are read.
    #[arg(long, value_name = "DIR")]
    pub(super) dbt_project: Option<PathBuf>,
    /// The deadline of each request, in seconds (1 to 600).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub(super) timeout: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum DriftFormat {
    /// A plan to read: + missing, - extra, ~ changed, with the spec's places.
    Human,
    /// One JSON object (see schemas/drift.schema.json).
    Json,
    /// A table for an issue or a pull request.
    Markdown,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

/// A deployment opened for comparison: the checked spec, the declared
/// items and the source to read.
pub(super) struct Opened {
    pub(super) checked: crate::Checked,
    pub(super) declared: Vec<Item>,
    pub(super) source: Box<dyn Source>,
    pub(super) kind: Applier,
}

/// What `deploy` needs beyond the comparison: the source as its type.
pub(super) enum Applier {
    Broker(broker::Rabbit),
    Hub(hub::NodeRed),
    Etl,
}

/// Loads the spec, emits the target in memory and opens the deployment.
/// Every failure is printed and is exit 2: nothing can be compared.
pub(super) fn open(out: &Out, path: Option<&Path>, at: &Deployment) -> Result<Opened, ExitCode> {
    let checked = load_checked(out, path, None).map_err(|_| ExitCode::from(2))?;
    let errors = checked.diagnostics.iter().filter(|d| d.severity == crate::diagnostic::Severity::Error).count();
    if errors > 0 {
        return Err(usage_error(
            out,
            &format!(
                "the spec has {errors} error(s) (`wireplan check` lists them); a spec with errors cannot be compared"
            ),
        ));
    }
    let emitted = crate::emit::emit(at.target, &crate::emit::Input { spec: &checked.spec });
    if !emitted.errors.is_empty() || !emitted.diagnostics.is_empty() {
        return Err(usage_error(
            out,
            &format!("`wireplan build --target {}` fails for this spec; run it to see why", at.target.name()),
        ));
    }
    let timeout = Duration::from_secs(at.timeout);
    let endpoint = |what: &str| -> Result<Endpoint, ExitCode> {
        let url = at
            .url
            .as_deref()
            .ok_or_else(|| usage_error(out, &format!("--target {} needs --url ({what})", at.target.name())))?;
        Endpoint::parse(url).map_err(|e| usage_error(out, &e))
    };
    let failed = |e: Failure| usage_error(out, &e.0);
    match at.target {
        Target::Broker => {
            let endpoint = endpoint("the RabbitMQ management API, http://host:15672")?;
            let (Some(user), Some(password)) = (env(broker::USER_ENV), env(broker::PASSWORD_ENV)) else {
                return Err(usage_error(
                    out,
                    &format!(
                        "set {} and {} to the management API's credentials",
                        broker::USER_ENV,
                        broker::PASSWORD_ENV
                    ),
                ));
            };
            out.learn(&crate::redact::Redactor::of_secrets(&[&password]));
            let declared = broker::declared(&checked.spec, &emitted).map_err(failed)?;
            let users = declared.items.iter().filter(|i| i.kind == "user").map(|i| i.name.clone()).collect();
            let client = Client::new(endpoint, Auth::Basic { user, password }, timeout);
            let rabbit =
                || broker::Rabbit { client: client.clone(), vhost: declared.vhost.clone(), users: Vec::clone(&users) };
            Ok(Opened {
                source: Box::new(rabbit()),
                kind: Applier::Broker(rabbit()),
                declared: declared.items,
                checked,
            })
        }
        Target::Hub => {
            let endpoint = endpoint("the Node-RED admin API's root, http://host:1880/admin")?;
            let auth = match env(hub::TOKEN_ENV) {
                Some(token) => {
                    out.learn(&crate::redact::Redactor::of_secrets(&[&token]));
                    Auth::Bearer(token)
                }
                None => Auth::None,
            };
            let declared = hub::declared(&checked.spec, &emitted).map_err(failed)?;
            let client = Client::new(endpoint, auth, timeout);
            Ok(Opened {
                source: Box::new(hub::NodeRed { client: client.clone() }),
                kind: Applier::Hub(hub::NodeRed { client }),
                declared,
                checked,
            })
        }
        Target::Etl => {
            let Some(dir) = &at.dbt_project else {
                return Err(usage_error(out, "--target etl needs --dbt-project DIR (the dbt project folder)"));
            };
            let read = |name: &str, how: &str| -> Result<serde_json::Value, ExitCode> {
                let path = dir.join("target").join(name);
                let text = read_regular(&path).map_err(|e| {
                    usage_error(out, &format!("{}: {e} (run `{how}` in the dbt project first)", path.display()))
                })?;
                serde_json::from_str(&text).map_err(|e| usage_error(out, &format!("{}: not JSON: {e}", path.display())))
            };
            let manifest = read("manifest.json", "dbt parse")?;
            let catalog = read("catalog.json", "dbt docs generate")?;
            let declared = etl::declared(&checked.spec, &emitted, &manifest);
            let shown = dir.join("target").display().to_string();
            let source = etl::Catalog { catalog, manifest, shown };
            Ok(Opened { source: Box::new(source), kind: Applier::Etl, declared, checked })
        }
    }
}

/// A variable of the environment, when set and not empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Reads `--ignore`'s file.
pub(super) fn read_ignore(out: &Out, path: Option<&Path>) -> Result<Ignore, ExitCode> {
    let Some(path) = path else { return Ok(Ignore::default()) };
    let text = read_regular(path).map_err(|e| usage_error(out, &format!("{}: {e}", path.display())))?;
    Ignore::parse(&text).map_err(|e| usage_error(out, &format!("{}: {e}", path.display())))
}

/// Fetches the deployment and compares; a failure is printed (exit 2).
pub(super) fn compare(out: &Out, opened: &Opened, ignore: &Ignore) -> Result<Drift, ExitCode> {
    let deployed = opened.source.fetch().map_err(|e| usage_error(out, &format!("could not compare: {e}")))?;
    Ok(crate::drift::compare(&opened.declared, &deployed, ignore))
}

/// The spec and the deployment opened, and how they differ past the
/// ignored differences in `ignore` (a file): what `drift` prints and
/// `deploy` shows before it applies.
pub(super) fn open_and_compare(
    out: &Out,
    path: Option<&Path>,
    at: &Deployment,
    ignore: Option<&Path>,
) -> Result<(Opened, Drift, Ignore), ExitCode> {
    let ignore = read_ignore(out, ignore)?;
    let opened = open(out, path, at)?;
    let drift = compare(out, &opened, &ignore)?;
    Ok((opened, drift, ignore))
}

pub(super) fn drift(out: &Out, args: &DriftArgs) -> ExitCode {
    let (opened, drift, _) = match open_and_compare(out, args.path.as_deref(), &args.at, args.ignore.as_deref()) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let deployment = opened.source.location();
    let cx = Context { target: args.at.target.name(), deployment: &deployment, sources: &opened.checked.sources };
    use crate::drift::render;
    let text = match args.format {
        DriftFormat::Human => render::human(&cx, &drift),
        DriftFormat::Json => render::json(&cx, &drift),
        DriftFormat::Markdown => render::markdown(&cx, &drift),
        DriftFormat::Sarif => render::sarif(&cx, &drift),
        DriftFormat::Github => render::github(&cx, &drift),
    };
    let printed = print(out, &text);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if drift.findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
