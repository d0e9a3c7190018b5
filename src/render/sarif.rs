//! SARIF 2.1.0 output, for code-scanning dashboards (GitHub code scanning,
//! Azure DevOps, SonarQube and others).
//!
//! The log has one run whose tool lists every wireplan rule, with its
//! documentation as the rule's help, so that a dashboard can explain a finding
//! without wireplan installed. Columns count Unicode code points, which the
//! run declares with `columnKind`. Each result carries the baseline's
//! fingerprint as `partialFingerprints`, and a finding's fix its `fixes`
//! (`artifactChanges` of `replacements`: a deleted region, empty for an
//! insertion, and the content inserted).

use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Location, Message, MultiformatMessageString,
    PhysicalLocation, Region, Replacement, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::Report;
use crate::diagnostic::{Diagnostic, Label, Resolver, Severity};
use crate::lint::RULES;
use crate::source::SourceMap;

pub(crate) fn render(report: &Report<'_>) -> String {
    let rules: Vec<ReportingDescriptor> = RULES
        .iter()
        .map(|rule| {
            let doc = rule.doc();
            ReportingDescriptor::builder()
                .id(rule.code)
                .name(rule.name)
                .short_description(MultiformatMessageString::builder().text(rule.summary).build())
                .help(MultiformatMessageString::builder().text(doc.clone()).markdown(doc).build())
                .help_uri(rule.url())
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(serde_json::json!(level(rule.default_severity)))
                        .enabled(!rule.off_by_default)
                        .build(),
                )
                .build()
        })
        .collect();
    // Each file a fix adds to is parsed once, however many fixes.
    let mut resolver = Resolver::new(report.sources);
    let results: Vec<SarifResult> = report
        .diagnostics
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let rule_index = RULES.iter().position(|r| r.code == d.rule.code).unwrap_or(0);
            let text = format!("{}\nhelp: {}", d.message, d.help);
            let result = SarifResult::builder()
                .rule_id(d.rule.code)
                .rule_index(rule_index as i64)
                .level(result_level(d.severity))
                .message(Message::builder().text(text).build())
                .locations(vec![location(report.sources, &d.primary)])
                .partial_fingerprints(fingerprints(report, i));
            let mut result = if d.secondary.is_empty() {
                result.build()
            } else {
                result
                    .related_locations(d.secondary.iter().map(|l| location(report.sources, l)).collect::<Vec<_>>())
                    .build()
            };
            result.fixes = fix(report.sources, &mut resolver, d).map(|f| vec![f]);
            result
        })
        .collect();
    log(rules, results)
}

/// A SARIF 2.1.0 log of one run of wireplan with these rules and results,
/// as JSON: `check`'s findings here, `drift`'s differences in `drift`.
pub(crate) fn log(rules: Vec<ReportingDescriptor>, results: Vec<SarifResult>) -> String {
    let driver = ToolComponent::builder()
        .name("wireplan")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .build();
    let log = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    crate::render::text::to_json(&log)
}

/// The finding's identity as SARIF's `partialFingerprints`: the same
/// fingerprint the baseline matches on, so GitHub code scanning tracks a
/// finding across commits that move its lines.
fn fingerprints(report: &Report<'_>, i: usize) -> std::collections::BTreeMap<String, String> {
    report
        .identities
        .get(i)
        .map(|id| [("wireplanFingerprint/v2".to_owned(), id.fingerprint.clone())].into_iter().collect())
        .unwrap_or_default()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn result_level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

/// A relative, `/`-separated path as a URI reference; absolute paths become
/// `file://` URIs. Bytes outside RFC 3986's unreserved set and `/` are
/// percent-encoded.
pub(crate) fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The finding's fix as SARIF's `fixes`: per file, its replacements, each
/// a deleted region (empty for an insertion) and the text inserted there.
fn fix(sources: &SourceMap, resolver: &mut Resolver<'_>, d: &Diagnostic) -> Option<Fix> {
    let fix = d.fix.as_ref().filter(|f| f.is_reported())?;
    let edits = resolver.resolve(fix)?;
    let mut changes: Vec<ArtifactChange> = Vec::new();
    let mut last = None;
    for e in edits {
        let file = sources.get(e.file);
        let (start, end) = (file.position(e.span.start), file.position(e.span.end));
        let deleted = Region::builder()
            .start_line(i64::from(start.line))
            .start_column(i64::from(start.column))
            .end_line(i64::from(end.line))
            .end_column(i64::from(end.column))
            .build();
        let replacement = Replacement::builder()
            .deleted_region(deleted)
            .inserted_content(ArtifactContent::builder().text(e.text).build());
        let replacement = replacement.build();
        // Edits come sorted by file: one change per file.
        match changes.last_mut() {
            Some(change) if last == Some(e.file) => change.replacements.push(replacement),
            _ => changes.push(
                ArtifactChange::builder()
                    .artifact_location(ArtifactLocation::builder().uri(uri(&file.name)).build())
                    .replacements(vec![replacement])
                    .build(),
            ),
        }
        last = Some(e.file);
    }
    let description = format!(
        "{} ({})",
        fix.title,
        match fix.applicability {
            crate::diagnostic::Applicability::Safe => "safe",
            crate::diagnostic::Applicability::Unsafe => "needs review",
        }
    );
    Some(Fix::builder().description(Message::builder().text(description).build()).artifact_changes(changes).build())
}

fn location(sources: &SourceMap, label: &Label) -> Location {
    let file = sources.get(label.loc.file);
    let start = file.position(label.loc.span.start);
    let end = file.position(label.loc.span.end);
    let region = Region::builder()
        .start_line(i64::from(start.line))
        .start_column(i64::from(start.column))
        .end_line(i64::from(end.line))
        .end_column(i64::from(end.column))
        .build();
    let physical = PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(uri(&file.name)).build())
        .region(region)
        .build();
    let location = Location::builder().physical_location(physical);
    if label.message.is_empty() {
        location.build()
    } else {
        location.message(Message::builder().text(label.message.clone()).build()).build()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_encoded() {
        assert_eq!(super::uri("sales/leads.kdl"), "sales/leads.kdl");
        assert_eq!(super::uri("my specs/a b.kdl"), "my%20specs/a%20b.kdl");
        assert_eq!(super::uri("/abs/x.kdl"), "file:///abs/x.kdl");
    }
}
