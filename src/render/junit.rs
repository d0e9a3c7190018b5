//! JUnit XML, for CI systems that show test reports (Jenkins, GitLab, Azure
//! Pipelines): a test suite per rule, and in it a test case per node the rule
//! found something in, failed with one `<failure>` per finding. A rule that
//! found nothing is one passing case, so the report lists every check that ran.
//! Infos never fail a case: they are the case's `<system-out>`. The layout is
//! the Jenkins xunit `junit-10.xsd`, which GitLab reads too; a test validates
//! it. No timestamps or times: the same spec gives byte-identical output.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Report, text};
use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::RULES;

pub(crate) fn render(report: &Report<'_>) -> String {
    // rule code -> node path -> findings, in output order.
    let mut by_rule: BTreeMap<&str, BTreeMap<String, Vec<&Diagnostic>>> = BTreeMap::new();
    for (i, d) in report.diagnostics.iter().enumerate() {
        let node = report
            .identities
            .get(i)
            .map_or_else(|| format!("file {}", report.sources.get(d.primary.loc.file).name), |id| id.path.clone());
        by_rule.entry(d.rule.code).or_default().entry(node).or_default().push(d);
    }
    let mut suites = String::new();
    let (mut tests, mut failures) = (0, 0);
    for rule in RULES {
        let cases = by_rule.get(rule.code);
        let mut body = String::new();
        let (mut suite_tests, mut suite_failures) = (0, 0);
        match cases {
            None => {
                suite_tests = 1;
                let _ = writeln!(body, "    <testcase name=\"spec\" classname=\"wireplan.{}\"/>", rule.name);
            }
            Some(cases) => {
                for (node, findings) in cases {
                    suite_tests += 1;
                    let failed = findings.iter().any(|d| d.severity != Severity::Info);
                    suite_failures += usize::from(failed);
                    let _ =
                        writeln!(body, "    <testcase name=\"{}\" classname=\"wireplan.{}\">", attr(node), rule.name);
                    let mut infos = String::new();
                    for d in findings {
                        let location = place(report, d);
                        let detail = format!("{location}: {}\nhelp: {}", d.message, d.help);
                        if d.severity == Severity::Info {
                            let _ = writeln!(infos, "{}", body_text(&detail));
                        } else {
                            let _ = writeln!(
                                body,
                                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                                d.severity.as_str(),
                                attr(&d.message),
                                body_text(&detail)
                            );
                        }
                    }
                    if !infos.is_empty() {
                        let _ = writeln!(body, "      <system-out>{}</system-out>", infos.trim_end());
                    }
                    body.push_str("    </testcase>\n");
                }
            }
        }
        tests += suite_tests;
        failures += suite_failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"{} {}\" tests=\"{suite_tests}\" failures=\"{suite_failures}\" errors=\"0\" \
             skipped=\"0\">\n{body}  </testsuite>\n",
            rule.code, rule.name
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"wireplan\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}

/// `file:line:column` of the finding.
fn place(report: &Report<'_>, d: &Diagnostic) -> String {
    let file = report.sources.get(d.primary.loc.file);
    let pos = file.position(d.primary.loc.span.start);
    format!("{}:{}:{}", file.name, pos.line, pos.column)
}

/// Text for an attribute: escaped for XML, on one line, hidden characters
/// shown as `text` shows them (XML 1.0 cannot hold most controls at all).
fn attr(s: &str) -> String {
    text::xml(&text::one_line(s))
}

/// Text for an element's body: line breaks kept.
fn body_text(s: &str) -> String {
    text::xml(&text::lines(s))
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_is_escaped_and_controls_never_raw() {
        assert_eq!(super::attr("a<b>&\"c\"\n\u{1b}"), "a&lt;b&gt;&amp;&quot;c&quot;\\n\\u{1b}");
        assert_eq!(super::body_text("x\ny"), "x\ny");
        // XML 1.0 cannot hold U+FFFE, not even as `&#xFFFE;`.
        assert_eq!(super::attr("a\u{fffe}b\u{ffff}"), "a\\u{fffe}b\\u{ffff}");
        assert_eq!(super::body_text("a\u{fffe}\u{fdd0}"), "a\\u{fffe}\\u{fdd0}");
    }
}
