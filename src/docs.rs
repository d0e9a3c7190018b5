//! Rule documentation, rendered for `wireplan explain`, `wireplan rules` and
//! the README's rule table. The text itself lives beside each rule.

use std::fmt::Write;

use serde::Serialize;

use crate::lint::{RULES, Rule};

/// `wireplan explain RULE`.
pub(crate) fn explain(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} ({})\n", rule.name, rule.code);
    let configurable =
        if rule.is_configurable() { "configurable with `lint` and `allow`" } else { "a spec error: always an error" };
    let _ = writeln!(
        out,
        "Default severity: {}. Category: {}; {configurable}.\n",
        rule.default_severity.as_str(),
        rule.category.as_str()
    );
    out.push_str(&rule.doc());
    out
}

/// `wireplan rules`: one line per rule.
pub(crate) fn rules_table() -> String {
    let mut out = String::new();
    let width = RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for rule in RULES {
        let _ = writeln!(
            out,
            "{}  {:width$}  {:7}  {}",
            rule.code,
            rule.name,
            rule.default_severity.as_str(),
            rule.summary
        );
    }
    out
}

#[derive(Serialize)]
struct RuleJson {
    name: &'static str,
    code: &'static str,
    severity: &'static str,
    category: &'static str,
    summary: &'static str,
    doc: String,
}

/// `wireplan rules --format json`.
pub(crate) fn rules_json() -> String {
    let rules: Vec<RuleJson> = RULES
        .iter()
        .map(|r| RuleJson {
            name: r.name,
            code: r.code,
            severity: r.default_severity.as_str(),
            category: r.category.as_str(),
            summary: r.summary,
            doc: r.doc(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rules).unwrap_or_default();
    text.push('\n');
    text
}

/// The Markdown table of rules in the README, between its markers.
#[cfg(test)]
pub(crate) fn readme_table() -> String {
    let mut out = String::from("| code | name | default | finds |\n| --- | --- | --- | --- |\n");
    for rule in RULES {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            rule.code,
            rule.name,
            rule.default_severity.as_str(),
            rule.summary
        );
    }
    out
}

#[cfg(test)]
mod tests {
    /// The README's rule table is generated from the rules' own metadata.
    /// Run with `WIREPLAN_UPDATE_README=1` to rewrite it.
    #[test]
    fn readme_rule_table_is_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- rules:begin -->\n", "<!-- rules:end -->");
        let start = readme.find(begin).expect("README has a rules:begin marker") + begin.len();
        let stop = readme.find(end).expect("README has a rules:end marker");
        let fresh = super::readme_table();
        if std::env::var_os("WIREPLAN_UPDATE_README").is_some() {
            let updated = format!("{}{fresh}{}", &readme[..start], &readme[stop..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        assert!(
            readme[start..stop] == fresh,
            "README's rule table is stale: run `WIREPLAN_UPDATE_README=1 cargo test`"
        );
    }
}
