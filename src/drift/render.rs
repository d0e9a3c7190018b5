//! The drift report, in the formats `check` has: human text (like a
//! Terraform plan), Markdown for a pull request or an issue, JSON
//! (`schemas/drift.schema.json`), SARIF 2.1.0 and GitHub Actions
//! annotations. Pure: the comparison's findings and the spec's sources in,
//! text out. Names from the deployment are hostile like the spec's: every
//! one is escaped for its format (`crate::escape`; the SARIF and GitHub
//! escapers are the diagnostics renderers'), and the CLI prints through the
//! redactor.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Change, Difference, Drift, Finding};
use crate::escape::{markdown_cell, markdown_code, one_line};
use crate::model::Loc;
use crate::source::SourceMap;

/// What the report is about: the target and where its deployment is.
pub(crate) struct Context<'a> {
    pub(crate) target: &'a str,
    pub(crate) deployment: &'a str,
    pub(crate) sources: &'a SourceMap,
}

/// The report `wireplan drift --format json` prints.
#[derive(Serialize, JsonSchema)]
#[schemars(title = "wireplan drift", deny_unknown_fields)]
pub(crate) struct DriftReport {
    /// The version of this format.
    version: u32,
    /// `broker`, `hub` or `etl`.
    target: String,
    /// Where the deployment is (a URL without credentials, or a file).
    deployment: String,
    /// Every finding, by kind, then name.
    findings: Vec<JsonFinding>,
    summary: Summary,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonFinding {
    change: Change,
    /// What it is: `vhost`, `user`, `permission`, `exchange`, `queue`,
    /// `binding`, `policy`, `tab`, `node`, `model`, `source`, `column`.
    kind: String,
    name: String,
    /// A description for people (a node's type and label), when the name
    /// says little.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    title: String,
    /// Where the spec declares it (not for extra items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Place")]
    place: Option<Place>,
    /// For `changed`: each path that differs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    differences: Vec<JsonDifference>,
    /// Missing items that go with this one (a deleted queue's bindings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    with: Vec<Named>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Place {
    file: String,
    line: u32,
    column: u32,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonDifference {
    /// Dotted, `[i]` for array elements; empty for the whole value.
    path: String,
    /// The declared value; absent when only the deployment has the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Value")]
    declared: Option<Value>,
    /// The deployed value; absent when only the spec has the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Value")]
    deployed: Option<Value>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Named {
    kind: String,
    name: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Summary {
    missing: usize,
    extra: usize,
    changed: usize,
    /// Findings `--ignore` hid.
    ignored: usize,
}

fn place(sources: &SourceMap, loc: Option<Loc>) -> Option<Place> {
    let loc = loc?;
    let file = sources.get(loc.file);
    let at = file.position(loc.span.start);
    Some(Place { file: file.name.clone(), line: at.line, column: at.column })
}

fn summary(drift: &Drift) -> Summary {
    Summary {
        missing: drift.count(Change::Missing),
        extra: drift.count(Change::Extra),
        changed: drift.count(Change::Changed),
        ignored: drift.ignored,
    }
}

/// The drift as JSON.
pub(crate) fn json(cx: &Context<'_>, drift: &Drift) -> String {
    let findings = drift
        .findings
        .iter()
        .map(|f| JsonFinding {
            change: f.change,
            kind: f.item.kind.to_owned(),
            name: f.item.name.clone(),
            title: f.item.title.clone(),
            place: if f.change == Change::Extra { None } else { place(cx.sources, f.item.place) },
            differences: f
                .differences
                .iter()
                .map(|d| JsonDifference {
                    path: d.path.clone(),
                    declared: d.declared.clone(),
                    deployed: d.deployed.clone(),
                })
                .collect(),
            with: f.with.iter().map(|i| Named { kind: i.kind.to_owned(), name: i.name.clone() }).collect(),
        })
        .collect();
    crate::escape::to_json(&DriftReport {
        version: 1,
        target: cx.target.to_owned(),
        deployment: cx.deployment.to_owned(),
        findings,
        summary: summary(drift),
    })
}

/// A value as one short line: JSON, cut at 120 characters.
fn short(v: Option<&Value>) -> String {
    let Some(v) = v else { return "(absent)".into() };
    let text = v.to_string();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn where_(cx: &Context<'_>, f: &Finding) -> String {
    match place(cx.sources, f.item.place).filter(|_| f.change != Change::Extra) {
        Some(p) => format!("{}:{}:{}", p.file, p.line, p.column),
        None => String::new(),
    }
}

/// What a finding says, in one sentence.
fn sentence(f: &Finding) -> String {
    let what = format!("{} {:?}", f.item.kind, f.item.name);
    let title = if f.item.title.is_empty() { String::new() } else { format!(" ({})", f.item.title) };
    match f.change {
        Change::Missing => {
            let with = if f.with.is_empty() {
                String::new()
            } else {
                format!(", nor {} item(s) that go with it", f.with.len())
            };
            format!("{what}{title} is declared but not deployed{with}")
        }
        Change::Extra => format!("{what}{title} is deployed but not declared"),
        Change::Changed => {
            let diffs: Vec<String> = f.differences.iter().map(difference).collect();
            format!("{what}{title} differs: {}", diffs.join("; "))
        }
    }
}

fn difference(d: &Difference) -> String {
    let path = if d.path.is_empty() { "the value" } else { d.path.as_str() };
    format!("{path} is {} (declared {})", short(d.deployed.as_ref()), short(d.declared.as_ref()))
}

/// The drift as text for a terminal: one block per finding, then counts.
pub(crate) fn human(cx: &Context<'_>, drift: &Drift) -> String {
    let mut out = String::new();
    for f in &drift.findings {
        let sign = match f.change {
            Change::Missing => "+",
            Change::Extra => "-",
            Change::Changed => "~",
        };
        let title = if f.item.title.is_empty() { String::new() } else { format!(" ({})", one_line(&f.item.title)) };
        let _ = writeln!(out, "{sign} {:<8} {} {}{title}", f.change.as_str(), f.item.kind, one_line(&f.item.name));
        let at = where_(cx, f);
        if !at.is_empty() {
            let _ = writeln!(out, "    declared at {}", one_line(&at));
        }
        for d in &f.differences {
            let path = if d.path.is_empty() { "(value)" } else { d.path.as_str() };
            let _ = writeln!(
                out,
                "    {}: {} -> {}  (declared -> deployed)",
                one_line(path),
                one_line(&short(d.declared.as_ref())),
                one_line(&short(d.deployed.as_ref()))
            );
        }
        for item in &f.with {
            let _ = writeln!(out, "    with {} {}", item.kind, one_line(&item.name));
        }
    }
    let _ = writeln!(out, "{}", counts_line(cx, drift));
    out
}

fn counts_line(cx: &Context<'_>, drift: &Drift) -> String {
    let s = summary(drift);
    let ignored = if s.ignored > 0 { format!(", {} ignored", s.ignored) } else { String::new() };
    let head = if drift.findings.is_empty() {
        "no drift".to_owned()
    } else {
        format!("{} missing, {} extra, {} changed", s.missing, s.extra, s.changed)
    };
    format!("{head}{ignored}: --target {} against {}", cx.target, one_line(cx.deployment))
}

/// The drift as Markdown: a table, for an issue or a pull request.
pub(crate) fn markdown(cx: &Context<'_>, drift: &Drift) -> String {
    let code = |s: &str| markdown_code(s).replace('|', "\\|");
    let mut out = format!("### wireplan drift: {}\n\n", markdown_cell(&counts_line(cx, drift)));
    if drift.findings.is_empty() {
        out.push_str("The deployment matches the spec.\n");
        return out;
    }
    out.push_str("| change | kind | name | declared at | details |\n| --- | --- | --- | --- | --- |\n");
    for f in &drift.findings {
        let mut details: Vec<String> = f.differences.iter().map(|d| markdown_cell(&difference(d))).collect();
        if !f.with.is_empty() {
            details.push(format!(
                "with {}",
                f.with.iter().map(|i| code(&format!("{} {}", i.kind, i.name))).collect::<Vec<_>>().join(", ")
            ));
        }
        if !f.item.title.is_empty() {
            details.insert(0, markdown_cell(&f.item.title));
        }
        let at = where_(cx, f);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.change.as_str(),
            f.item.kind,
            code(&f.item.name),
            if at.is_empty() { String::new() } else { code(&at) },
            details.join("<br>")
        );
    }
    out
}

/// The file and place an annotation points at: the finding's place, or the
/// spec's first file for what the spec does not declare.
fn anchor(cx: &Context<'_>, f: &Finding) -> Option<Place> {
    let at = if f.change == Change::Extra { None } else { place(cx.sources, f.item.place) };
    at.or_else(|| cx.sources.files().next().map(|(_, file)| Place { file: file.name.clone(), line: 1, column: 1 }))
}

fn level(change: Change) -> &'static str {
    match change {
        Change::Missing | Change::Changed => "error",
        Change::Extra => "warning",
    }
}

/// GitHub Actions annotations, one per finding.
pub(crate) fn github(cx: &Context<'_>, drift: &Drift) -> String {
    use crate::render::github::{data, property};
    let mut out = String::new();
    for f in &drift.findings {
        let message = format!("{} (at {})", one_line(&sentence(f)), one_line(cx.deployment));
        let title = property(&format!("drift: {} {}", f.change.as_str(), f.item.kind));
        match anchor(cx, f) {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "::{} file={},line={},col={},title={title}::{}",
                    level(f.change),
                    property(&one_line(&p.file)),
                    p.line,
                    p.column,
                    data(&message)
                );
            }
            None => {
                let _ = writeln!(out, "::{} title={title}::{}", level(f.change), data(&message));
            }
        }
    }
    out
}

/// SARIF 2.1.0: one rule per kind of change, one result per finding.
pub(crate) fn sarif(cx: &Context<'_>, drift: &Drift) -> String {
    use serde_sarif::sarif::{
        ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region, ReportingDescriptor,
        Result as SarifResult, ResultLevel,
    };
    const RULES: [(Change, &str); 3] = [
        (Change::Missing, "Declared in the spec, not deployed."),
        (Change::Extra, "Deployed, not declared in the spec."),
        (Change::Changed, "Deployed with other values than the spec declares."),
    ];
    let rules: Vec<ReportingDescriptor> = RULES
        .iter()
        .map(|(change, summary)| {
            ReportingDescriptor::builder()
                .id(format!("drift-{}", change.as_str()))
                .short_description(MultiformatMessageString::builder().text(*summary).build())
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = drift
        .findings
        .iter()
        .map(|f| {
            let index = RULES.iter().position(|(c, _)| *c == f.change).unwrap_or(0);
            let result = SarifResult::builder()
                .rule_id(format!("drift-{}", f.change.as_str()))
                .rule_index(index as i64)
                .level(if f.change == Change::Extra { ResultLevel::Warning } else { ResultLevel::Error })
                .message(Message::builder().text(format!("{} (at {})", sentence(f), cx.deployment)).build());
            match anchor(cx, f) {
                Some(p) => {
                    let region =
                        Region::builder().start_line(i64::from(p.line)).start_column(i64::from(p.column)).build();
                    let physical = PhysicalLocation::builder()
                        .artifact_location(ArtifactLocation::builder().uri(crate::render::sarif::uri(&p.file)).build())
                        .region(region)
                        .build();
                    result.locations(vec![Location::builder().physical_location(physical).build()]).build()
                }
                None => result.build(),
            }
        })
        .collect();
    crate::render::sarif::log(rules, results)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Context, github, human, json, markdown, sarif};
    use crate::drift::{Item, compare, ignore::Ignore};
    use crate::source::SourceMap;

    #[test]
    fn committed_schema_is_fresh() {
        crate::render::assert_schema_fresh("drift.schema.json", &crate::render::schema_of::<super::DriftReport>());
    }

    #[test]
    fn hostile_names_are_escaped_in_every_format() {
        let name = "q\u{1b}[31m|`x`\n::error::pwned\u{202e}";
        let declared = vec![Item::new("queue", name, json!({"a": 1}))];
        let deployed = vec![Item::new("queue", name, json!({"a": 2})), Item::new("binding", name, json!({}))];
        let drift = compare(&declared, &deployed, &Ignore::default());
        let sources = SourceMap::default();
        let cx = Context { target: "broker", deployment: "http://h:1", sources: &sources };
        for text in [human(&cx, &drift), markdown(&cx, &drift), github(&cx, &drift)] {
            assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'), "{text}");
            assert!(!text.contains("\n::error::pwned"), "{text}");
        }
        let parsed: serde_json::Value = serde_json::from_str(&json(&cx, &drift)).unwrap();
        assert_eq!(parsed["findings"][1]["name"], name);
        assert_eq!(parsed["findings"][1]["differences"][0]["deployed"], 2);
        let log: serde_json::Value = serde_json::from_str(&sarif(&cx, &drift)).unwrap();
        assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 2);
    }
}
