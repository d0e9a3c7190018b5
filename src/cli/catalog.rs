//! `wireplan catalog [ID]`: the connector catalog, every entry as a table or
//! one entry with each fact and its source, as text or JSON. And the two
//! settings the catalog takes from the environment, read once before any
//! command: the project's catalog file (`wireplan.catalog.json` in the
//! current folder, or the file `WIREPLAN_CATALOG` names) and today's month
//! (`WIREPLAN_TODAY`, for `retired-api-version`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::args::ListFormat;
use super::{print, read_regular, usage_error};
use crate::catalog::{self, Entry, Known, Month, Provenance};
use crate::out::Out;

/// The project's catalog file, looked for in the folder wireplan runs in.
pub(super) const PROJECT_FILE: &str = "wireplan.catalog.json";

const MAX_PROJECT_FILE: u64 = 16 << 20;

/// Reads the catalog settings of the environment and hands them to the
/// crate; a usage error (exit 2) when one is unusable.
pub(super) fn settings(out: &Out) -> Result<(), ExitCode> {
    if let Some(value) = std::env::var_os("WIREPLAN_TODAY") {
        let value = value.to_string_lossy();
        let Some(month) = Month::parse_prefix(value.trim()) else {
            return Err(usage_error(
                out,
                &format!("WIREPLAN_TODAY=`{value}` is no date: write it as 2026-12 or 2026-12-04"),
            ));
        };
        catalog::set_today(month);
    }
    let named = std::env::var_os("WIREPLAN_CATALOG").map(PathBuf::from);
    let path = match named {
        Some(path) => path,
        None => {
            let here = PathBuf::from(PROJECT_FILE);
            if !here.exists() {
                return Ok(());
            }
            here
        }
    };
    // A catalog is tens of kilobytes; a file far larger is not one.
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_PROJECT_FILE) {
        return Err(usage_error(out, &format!("{}: larger than 16 MiB, not a catalog", path.display())));
    }
    let text = read_regular(&path).map_err(|e| usage_error(out, &format!("{}: {e}", path.display())))?;
    let builtin = catalog::builtin().map_err(|e| usage_error(out, e))?;
    let project = builtin.with_project(&text).map_err(|e| usage_error(out, &format!("{}: {e}", path.display())))?;
    catalog::set_project(project);
    Ok(())
}

pub(super) fn catalog(out: &Out, id: Option<&str>, format: ListFormat) -> ExitCode {
    let catalog = match catalog::active() {
        Ok(catalog) => catalog,
        Err(e) => return usage_error(out, e),
    };
    let Some(id) = id else {
        return match format {
            ListFormat::Human => print(out, &table(catalog.entries())),
            ListFormat::Json => json(out, &catalog.entries()),
        };
    };
    match catalog.get(id) {
        Some(entry) => match format {
            ListFormat::Human => print(out, &show(entry)),
            ListFormat::Json => json(out, entry),
        },
        None => {
            let hint = crate::suggest::closest(id, catalog.entries().iter().map(|e| e.id.as_str()))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            usage_error(out, &format!("no connector named `{id}`{hint}\n`wireplan catalog` lists them"))
        }
    }
}

fn json<T: Serialize + ?Sized>(out: &Out, value: &T) -> ExitCode {
    match serde_json::to_string_pretty(value) {
        Ok(text) => print(out, &format!("{text}\n")),
        Err(e) => usage_error(out, &format!("cannot write the catalog as JSON: {e}")),
    }
}

/// One line per entry: what a spec's checks can take from it.
fn table(entries: &[Entry]) -> String {
    let rows: Vec<[String; 6]> = entries
        .iter()
        .map(|e| {
            let webhooks = match e.webhooks.supported.fact() {
                Some(s) if s.supported => match e.webhooks.signature.fact() {
                    Some(sig) => format!("yes, {}", kebab(&sig.algorithm)),
                    None => "yes".into(),
                },
                Some(_) => "no".into(),
                None => "?".into(),
            };
            let limit = e.general_limit().map_or("?".into(), |(_, l, _)| format!("{}/{}", l.requests, l.per));
            let idempotency = match e.idempotency.fact() {
                Some(i) => i.name.clone().unwrap_or_else(|| kebab(&i.support)),
                None => "?".into(),
            };
            let versions = match e.versioning.fact() {
                Some(v) => match &v.support_window {
                    Some(w) => format!("{}, {w}", kebab(&v.scheme)),
                    None => kebab(&v.scheme),
                },
                None => "?".into(),
            };
            [e.id.clone(), e.name.clone(), webhooks, limit, idempotency, versions]
        })
        .collect();
    let header = ["id", "name", "webhooks", "rate limit", "idempotency", "versions"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        let mut text = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            let _ = write!(text, "{cell:<w$}  ");
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&mut out, &header);
    for row in &rows {
        line(&mut out, &row.each_ref().map(String::as_str));
    }
    let _ = writeln!(
        out,
        "\n{} systems; `?` where no vendor page confirms the fact. `wireplan catalog ID` shows one with its sources.",
        rows.len()
    );
    out
}

/// A fact's JSON, without its provenance and note (printed apart), as
/// `key: value` lines.
fn fact_lines<T: Serialize>(out: &mut String, title: &str, known: &Known<T>, provenance: Option<&Provenance>) {
    let _ = writeln!(out, "{title}:");
    match (serde_json::to_value(known), provenance) {
        (Ok(serde_json::Value::Object(map)), Some(provenance)) => {
            for (key, value) in &map {
                if matches!(key.as_str(), "source" | "read" | "page_date") {
                    continue;
                }
                match value {
                    // A list (limits, kinds of authentication): one item a line.
                    serde_json::Value::Array(items) => {
                        let _ = writeln!(out, "  {key}:");
                        for item in items {
                            let _ = writeln!(out, "    - {}", crate::escape::lines(&item_line(item)));
                        }
                    }
                    serde_json::Value::String(s) => {
                        let _ = writeln!(out, "  {key}: {}", crate::escape::lines(s));
                    }
                    other => {
                        let _ = writeln!(out, "  {key}: {}", crate::escape::lines(&other.to_string()));
                    }
                }
            }
            let date = provenance.page_date.as_ref().map_or(String::new(), |d| format!(", page dated {d}"));
            let _ = writeln!(out, "  source: {} (read {}{date})", provenance.source, provenance.read);
        }
        _ => {
            let _ = writeln!(out, "  unknown: no vendor page confirms it");
        }
    }
}

/// An item of a list as `key: value` pairs on one line (`requests: 100,
/// per: 1s, scope: account`).
fn item_line(item: &serde_json::Value) -> String {
    match item {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One entry, fact by fact, each with its source.
fn show(e: &Entry) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} (`connector={}`)\n", e.name, e.id);
    let w = &e.webhooks;
    fact_lines(&mut out, "webhooks", &w.supported, w.supported.fact().map(|f| &f.provenance));
    fact_lines(&mut out, "webhook delivery", &w.delivery, w.delivery.fact().map(|f| &f.provenance));
    fact_lines(&mut out, "webhook ordering", &w.ordering, w.ordering.fact().map(|f| &f.provenance));
    fact_lines(&mut out, "webhook signature", &w.signature, w.signature.fact().map(|f| &f.provenance));
    fact_lines(&mut out, "authentication", &e.auth, e.auth.fact().map(|f| &f.provenance));
    fact_lines(&mut out, "rate limits", &e.rate_limits, e.rate_limits.fact().map(|f| &f.provenance));
    fact_lines(&mut out, "idempotency", &e.idempotency, e.idempotency.fact().map(|f| &f.provenance));
    fact_lines(&mut out, "API versions", &e.versioning, e.versioning.fact().map(|f| &f.provenance));
    out
}

/// A keyword of the catalog as its JSON writes it (`hmac-sha256`).
fn kebab<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".into(),
    }
}
