//! The architect's pictures: `wireplan graph` (logical and physical views)
//! and the HTML plan's drawings label arrows with their flows, mark findings
//! where they belong, draw planned and retiring systems apart, carry a
//! legend, and render in a real headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::plan::{headless, png_stats};
use crate::util::{TempSpec, code, root, run_in, stderr, stdout};

const FIXTURE: &str = "tests/fixtures/pictures/wireplan.kdl";

/// `wireplan graph FIXTURE ARGS`: the spec denies one rule, so it exits 1
/// and still draws.
fn graph(args: &[&str]) -> String {
    let mut all = vec!["graph", FIXTURE];
    all.extend_from_slice(args);
    let out = run_in(&root(), &all);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    stdout(&out)
}

/// The line drawing the arrow from node `from` to node `to`.
fn arrow<'a>(text: &'a str, from: &str, to: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.contains(&format!("{from} -->")) || l.contains(&format!("{from} -.->")))
        .filter(|l| l.ends_with(&format!("| {to}")))
        .collect()
}

#[test]
fn the_logical_view_draws_who_feeds_whom_through_the_broker() {
    let mermaid = graph(&["--format", "mermaid"]);
    // s0 shop, s1 crm, s8 events (the broker): five flows from the shop to
    // the CRM, all through the broker, are one labelled arrow shop -> crm.
    let shop_to_crm = arrow(&mermaid, "s0", "s1");
    assert_eq!(shop_to_crm.len(), 1, "{mermaid}");
    let line = shop_to_crm[0];
    assert!(line.contains("orders-to-crm, refunds-to-crm, carts-to-crm and 2 more<br>via events"), "{line}");
    assert!(line.contains("#10006; non-idempotent-path"), "the error is marked on its arrow: {line}");
    assert!(arrow(&mermaid, "s0", "s8").is_empty(), "the logical view is not the star: {mermaid}");
    // Findings on a system mark its node; planned and retiring systems are apart.
    assert!(mermaid.contains("s9{{\"zapier (hub)<br>#9888; hub-single-point-of-failure\"}}"), "{mermaid}");
    assert!(mermaid.contains("s2[\"legacy-erp (erp, retires month 6)\"]"), "{mermaid}");
    assert!(mermaid.contains("s4[\"newsletter (email, from month 3)\"]"), "{mermaid}");
    assert!(mermaid.contains("class s2,s3,legend4 retiring"), "{mermaid}");
    assert!(mermaid.contains("class s4,legend3 planned"), "{mermaid}");
    assert!(mermaid.contains("class s9,legend7 warning"), "{mermaid}");
    // The legend is a subgraph that renders, listing what the drawing holds.
    assert!(mermaid.contains("subgraph legend [\"Legend\"]"), "{mermaid}");
    for item in ["hexagon: hub or broker", "retiring", "sync loop", "error finding", "a warning on"] {
        assert!(mermaid.contains(item), "the legend lacks {item:?}: {mermaid}");
    }
    assert_eq!(graph(&["--format", "mermaid"]), mermaid, "the same spec draws the same bytes");

    let dot = graph(&["--format", "dot"]);
    assert!(dot.contains("s0 -> s1 [label=\"orders-to-crm, refunds-to-crm, carts-to-crm and 2 more\\nvia events\\n✖ non-idempotent-path\""), "{dot}");
    assert!(dot.contains("subgraph cluster_legend {"), "{dot}");
    assert!(dot.contains("style=\"dotted,filled\""), "{dot}");
}

#[test]
fn the_physical_view_draws_the_wiring_through_hub_and_broker() {
    let mermaid = graph(&["--format", "mermaid", "--view", "physical"]);
    let leg = arrow(&mermaid, "s0", "s8");
    assert_eq!(leg.len(), 1, "{mermaid}");
    assert!(leg[0].contains("orders-to-crm, refunds-to-crm, carts-to-crm and 4 more"), "{}", leg[0]);
    assert!(!mermaid.contains("via events"), "{mermaid}");
    assert!(mermaid.contains("physical view"), "{mermaid}");
}

#[test]
fn many_flows_between_one_pair_make_one_bounded_arrow() {
    // 3,000 flows from one system to another: one arrow, a short label, and
    // no time spent per pair of flows.
    let spec = TempSpec::new("pictures-many");
    let mut text = String::from(
        "system \"a\" kind=crm { webhooks #true; }\nsystem \"b\" kind=email\nevent \"e\" from=a version=1\n",
    );
    for i in 0..3_000 {
        text.push_str(&format!("flow \"f{i}\" {{ on \"e\"; to b action=upsert; retry; dead-letter; log }}\n"));
    }
    spec.file("wireplan.kdl", text);
    let started = std::time::Instant::now();
    let out = spec.run(&["graph"]);
    let mermaid = stdout(&out);
    let arrows = arrow(&mermaid, "s0", "s1");
    assert_eq!(arrows.len(), 1, "{}", stderr(&out));
    assert!(arrows[0].contains("f0, f1, f2 and 2997 more"), "{}", arrows[0]);
    assert!(mermaid.len() < 4_000, "the drawing is {} bytes", mermaid.len());
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());

    // The page bounds its labels the same way, and escapes every name in them.
    spec.file(
        "wireplan.kdl",
        std::fs::read_to_string(spec.dir.join("wireplan.kdl")).unwrap().replacen(
            "flow \"f0\"",
            "flow \"<b>f0</b>\"",
            1,
        ),
    );
    let out = spec.run(&["plan", "--html", "plan.html"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(spec.dir.join("plan.html")).unwrap();
    assert!(html.contains(">&lt;b&gt;f0&lt;/b&gt;, f1,<tspan"), "the label is escaped");
    assert!(html.contains(">f2 and 2997 more</tspan>"), "the label is bounded");
    assert!(!html.contains("<b>"), "a name is printed raw");
    assert!(html.len() < 60_000, "the page is {} bytes", html.len());
    let mermaid = stdout(&spec.run(&["graph"]));
    assert!(mermaid.contains("#60;b#62;f0#60;/b#62;, f1, f2 and 2997 more"), "{mermaid}");
}

#[test]
fn the_html_plan_draws_both_views_with_labels_findings_and_a_legend() {
    let spec = TempSpec::new("pictures-html");
    spec.file("wireplan.kdl", std::fs::read(root().join(FIXTURE)).unwrap());
    let out = spec.run(&["plan", "--html", "plan.html"]);
    assert!(stderr(&out).contains("wrote plan.html"), "{}", stderr(&out));
    let html = std::fs::read_to_string(spec.dir.join("plan.html")).unwrap();
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology logical\""));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology physical\""));
    let logical = &html[html.find("topology logical").unwrap()..html.find("topology physical").unwrap()];
    // Flow labels (a long list wraps), the route, and the marks.
    assert!(logical.contains(">orders-to-crm, refunds-to-crm,<tspan"), "the shop-to-crm label");
    assert!(logical.contains(">carts-to-crm and 2 more</tspan>"));
    assert!(logical.contains(">via events</tspan>"));
    assert!(logical.contains("class=\"finding-mark\">✖ non-idempotent-path</tspan>"));
    assert!(logical.contains("erp, retires month 6"));
    assert!(logical.contains("email, from month 3"));
    // The hub carries nothing from or to itself in the logical view; its
    // finding is said under the drawing, and marked in the wiring.
    assert!(logical.contains("zapier (hub) ⚠ hub-single-point-of-failure"));
    assert!(logical.contains("<ul class=\"legend\""));
    let physical = &html[html.find("topology physical").unwrap()..];
    assert!(physical.contains("class=\"finding-ring\""));
    assert!(physical.contains("class=\"finding-mark\">⚠ hub-single-point-of-failure</tspan>"));
    assert!(physical.contains("stroke-dasharray=\"1.5 2\""), "retiring systems are dotted");
    // The chart draws hub and broker as separate lines.
    assert!(html.contains(">hub, one each</text>") && html.contains(">broker, one each</text>"));
    assert_eq!(html.matches("<polyline").count(), 4);
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_html_plan_pictures_render_in_chromium() {
    let spec = TempSpec::new("pictures-chromium");
    spec.file("wireplan.kdl", std::fs::read(root().join(FIXTURE)).unwrap());
    let out = spec.run(&["plan", "--html", "report.html"]);
    let page = spec.dir.join("report.html");
    assert!(page.is_file(), "{}", stderr(&out));

    let (dom, log) = headless(&page, &spec.dir, &["--dump-dom"]);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    assert_eq!(dom.matches("role=\"img\"").count(), 3, "two topologies and the chart are drawn");
    for text in ["Who feeds whom", "How it is wired today", "via events", "non-idempotent-path", "Legend"] {
        assert!(dom.contains(text), "the page as drawn lacks {text:?}");
    }

    let shot = spec.dir.join("pictures.png");
    let screenshot = format!("--screenshot={}", shot.display());
    let (_, log) = headless(&page, &spec.dir, &[&screenshot, "--window-size=1400,2400"]);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    let (colours, inked) = png_stats(&shot);
    assert!(colours >= 64, "the screenshot has only {colours} distinct colours");
    assert!(inked > 0.05, "only {:.1}% of the screenshot differs from the background", inked * 100.0);
    if let Some(dir) = std::env::var_os("WIREPLAN_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&shot, Path::new(&dir).join("plan-pictures.png"));
    }
}
