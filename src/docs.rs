//! Rule documentation, rendered for `wireplan explain`, `wireplan rules`,
//! the README's rule table and the pages in `docs/rules/` (which editors and
//! SARIF viewers link to, `Rule::url`). The text itself lives beside each
//! rule.

use std::fmt::Write;

use serde::Serialize;

use crate::lint::{RULES, Rule};

/// `wireplan explain RULE`.
pub(crate) fn explain(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} ({})\n", rule.name, rule.code);
    let configurable = match rule.category {
        _ if rule.is_configurable() => "configurable with `lint` and `allow`",
        crate::diagnostic::Category::Build => "reported by `wireplan build`; not configurable",
        _ => "a spec error: always an error",
    };
    let _ = writeln!(
        out,
        "Default severity: {}. Category: {}; {configurable}.\n",
        rule.default_level(),
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
        let _ = writeln!(out, "{}  {:width$}  {:10}  {}", rule.code, rule.name, rule.default_level(), rule.summary);
    }
    out
}

#[derive(Serialize)]
struct RuleJson {
    name: &'static str,
    code: &'static str,
    severity: &'static str,
    /// `false` for a rule that is off unless a `lint` block or the command
    /// line turns it on.
    enabled_by_default: bool,
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
            enabled_by_default: !r.off_by_default,
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
            "| {} | [`{}`](docs/rules/{}.md) | {} | {} |",
            rule.code,
            rule.name,
            rule.name,
            rule.default_level(),
            rule.summary
        );
    }
    out
}

/// Asserts that the README's generated section `name` (between
/// `<!-- name:begin -->` and `<!-- name:end -->`) is `fresh`; with
/// `WIREPLAN_UPDATE_README=1` set, rewrites it instead.
#[cfg(test)]
pub(crate) fn assert_readme_section(name: &str, fresh: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = (format!("<!-- {name}:begin -->\n"), format!("<!-- {name}:end -->"));
    let start = readme.find(&begin).unwrap_or_else(|| panic!("README has no {begin:?} marker")) + begin.len();
    let stop = readme.find(&end).unwrap_or_else(|| panic!("README has no {end:?} marker"));
    if std::env::var_os("WIREPLAN_UPDATE_README").is_some() {
        std::fs::write(&path, format!("{}{fresh}{}", &readme[..start], &readme[stop..])).unwrap();
        return;
    }
    assert!(
        readme[start..stop] == *fresh,
        "README's {name} section is stale: run `WIREPLAN_UPDATE_README=1 cargo test`"
    );
}

#[cfg(test)]
mod tests {
    /// The README's rule table is generated from the rules' own metadata.
    /// Run with `WIREPLAN_UPDATE_README=1` to rewrite it.
    #[test]
    fn readme_rule_table_is_fresh() {
        super::assert_readme_section("rules", &super::readme_table());
    }

    /// Each rule's page in `docs/rules/` (where `Rule::url` points) is
    /// `wireplan explain`'s text, and there is no page for a rule that does
    /// not exist. Run with `WIREPLAN_UPDATE_README=1` to rewrite them.
    #[test]
    fn rule_pages_are_fresh() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
        let update = std::env::var_os("WIREPLAN_UPDATE_README").is_some();
        for rule in super::RULES {
            let path = dir.join(format!("{}.md", rule.name));
            let fresh = super::explain(rule);
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &fresh).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == fresh,
                "docs/rules/{}.md is stale: run `WIREPLAN_UPDATE_README=1 cargo test`",
                rule.name
            );
            assert!(rule.url().ends_with(&format!("/docs/rules/{}.md", rule.name)));
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let rule = name.strip_suffix(".md").unwrap_or(&name);
            assert!(super::RULES.iter().any(|r| r.name == rule), "docs/rules/{name} documents no rule");
        }
    }
}
