//! Hostile shapes that once made wireplan run without end or use memory
//! without bound: link loops under a glob, a flow with thousands of targets,
//! a file of one character repeated. Assertions are on sizes and counts, never
//! on times, except a generous deadline that only a hang can miss.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{TempSpec, code, stderr, stdout, wireplan};

/// Runs `wireplan ARGS` in `dir`, killing it (and failing) if it has not
/// finished after `limit`: a hang must fail the test, not the suite.
fn run_limited(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let out_path = dir.join(".out");
    let err_path = dir.join(".err");
    let mut child = wireplan()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("wireplan runs");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`wireplan {}` did not finish within {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output { status, stdout: std::fs::read(&out_path).unwrap(), stderr: std::fs::read(&err_path).unwrap() };
    let _ = std::fs::remove_file(out_path);
    let _ = std::fs::remove_file(err_path);
    out
}

/// The JSON report's diagnostics of `rule`: (file, message).
fn findings(report: &serde_json::Value, rule: &str) -> Vec<(String, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .map(|d| (d["file"].as_str().unwrap().to_owned(), d["message"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_glob_walks_each_real_folder_once_and_never_out_of_the_root() {
    let spec = TempSpec::new("hostile-link-loops");
    let root = spec.dir.join("spec");
    // Outside the spec's folder: must never be read.
    spec.file("outside.kdl", "system \"evil\" kind=crm\n");
    spec.file("spec/wireplan.kdl", "include \"**/*.kdl\"\n");
    spec.file("spec/a.kdl", "system \"a\" kind=crm\n");
    spec.file("spec/sub/b.kdl", "system \"b\" kind=crm\n");
    spec.file("spec/sub/deep/c.kdl", "system \"c\" kind=crm\n");
    // Two links to `.` (each walk through one finds the other again), a
    // loop deeper down, and a link to the parent outside the root.
    symlink(".", root.join("l1")).unwrap();
    symlink(".", root.join("l2")).unwrap();
    symlink("..", root.join("sub/deep/loop")).unwrap();
    symlink("..", root.join("up")).unwrap();

    let out = run_limited(&root, &["check", "--format", "json"], Duration::from_secs(20));
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Each file loaded once: no system is declared twice.
    assert!(findings(&report, "duplicate-name").is_empty(), "{report}");
    let mut systems: Vec<String> =
        findings(&report, "unused-system").into_iter().map(|(file, _)| file).collect::<Vec<_>>();
    systems.sort();
    assert_eq!(systems, ["a.kdl", "sub/b.kdl", "sub/deep/c.kdl"], "{report}");
    let includes = findings(&report, "include-error");
    let outside: Vec<_> = includes.iter().filter(|(_, m)| m.contains("outside the spec's folder")).collect();
    assert_eq!(outside.len(), 1, "{includes:?}");
    assert!(outside[0].1.contains("`up`"), "{includes:?}");
    assert!(!stdout(&out).contains("evil"));
}

#[test]
fn a_glob_through_a_link_to_an_outer_folder_is_refused_not_walked() {
    // The link loops back through the root: `up/spec/up/spec/...` without end
    // when followed, and every file in it is outside the root anyway.
    let spec = TempSpec::new("hostile-link-up");
    let root = spec.dir.join("spec");
    spec.file("spec/wireplan.kdl", "include \"parts/**/*.kdl\"\n");
    spec.file("spec/parts/a.kdl", "system \"a\" kind=crm\n");
    symlink("../..", root.join("parts/up")).unwrap();
    let out = run_limited(&root, &["check", "--format", "json"], Duration::from_secs(20));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let includes = findings(&report, "include-error");
    assert_eq!(includes.len(), 1, "{includes:?}");
    assert!(includes[0].1.contains("through the link `parts/up`"), "{includes:?}");
    assert_eq!(findings(&report, "unused-system").len(), 1, "{report}");
}

#[test]
fn a_line_of_one_character_repeated_is_reported_in_bounded_size_and_counted_exactly() {
    // A stray `}` per byte: each is a finding, a thousand are shown, and the
    // rest are counted exactly though the checker never holds them all.
    let spec = TempSpec::new("hostile-one-char-line");
    spec.file("wireplan.kdl", "}".repeat(300_000));
    for format in ["json", "human", "short", "sarif", "github"] {
        let out = run_limited(&spec.dir, &["check", "--format", format], Duration::from_secs(60));
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        // Bounded: a thousand findings and the summary, not 300,000.
        assert!(out.stdout.len() < 3_000_000, "{format}: {} bytes", out.stdout.len());
        assert!(stdout(&out).contains("299000 more"), "{format}");
    }
    let out = spec.run(&["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 1001);
}

/// A shop's spec with one flow that writes to `quickbooks` `targets` times.
fn fan_out_spec(targets: usize) -> String {
    let mut text = String::from(
        "system \"shop\" kind=ecommerce {\n    webhooks #true\n    entity \"order\" {\n        field \"id\" \
         type=string\n    }\n}\nsystem \"quickbooks\" kind=accounting {\n    webhooks #true\n    entity \
         \"invoice\" {\n        field \"id\" type=string\n    }\n}\nevent \"order.paid\" from=shop entity=order \
         version=1 {\n    field \"id\" type=string\n}\nflow \"fan\" {\n    on \"order.paid\"\n",
    );
    for _ in 0..targets {
        text.push_str("    to quickbooks action=create entity=invoice\n");
    }
    text.push_str("}\n");
    text
}

#[test]
fn a_flow_with_twenty_thousand_targets_builds_files_linear_in_the_spec() {
    // Each target once had fourteen Node-RED nodes with the fixed
    // expressions in each: 180 MB of `flows.json` from a 460 KB spec.
    let spec = TempSpec::new("hostile-fan-out");
    let text = fan_out_spec(20_000);
    spec.file("wireplan.kdl", &text);
    let out = run_limited(&spec.dir, &["build", "--target", "hub", "--out", "out"], Duration::from_secs(120));
    assert_eq!(code(&out), 0, "{}", stderr(&out).lines().last().unwrap_or_default());
    let flows = std::fs::metadata(spec.dir.join("out/node-red/flows.json")).unwrap().len() as usize;
    assert!(flows < 50 * text.len(), "flows.json is {flows} bytes for a spec of {}", text.len());
    let readme = std::fs::metadata(spec.dir.join("out/README.md")).unwrap().len() as usize;
    assert!(readme < 5 * text.len(), "README.md is {readme} bytes for a spec of {}", text.len());
    // Every target is still there, each its own node.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec.dir.join("out/node-red/flows.json")).unwrap()).unwrap();
    let targets = json.as_array().unwrap().iter().filter(|n| n["name"] == "to quickbooks").count();
    assert_eq!(targets, 20_000);
}

#[test]
fn a_flow_with_twenty_thousand_targets_builds_broker_connectors_linear_in_the_spec() {
    // The broker's egress once had five nodes per target with the fixed
    // expressions in each: 95 MB of `flows.json` from a 480 KB spec.
    let spec = TempSpec::new("hostile-fan-out-broker");
    let text = fan_out_spec(20_000);
    spec.file("wireplan.kdl", &text);
    let out = run_limited(&spec.dir, &["build", "--target", "broker", "--out", "out"], Duration::from_secs(120));
    assert_eq!(code(&out), 0, "{}", stderr(&out).lines().last().unwrap_or_default());
    let flows = std::fs::metadata(spec.dir.join("out/node-red/flows.json")).unwrap().len() as usize;
    assert!(flows < 50 * text.len(), "flows.json is {flows} bytes for a spec of {}", text.len());
    for file in ["README.md", "asyncapi.yaml", "rabbitmq/definitions.json"] {
        let size = std::fs::metadata(spec.dir.join("out").join(file)).unwrap().len() as usize;
        assert!(size < 5 * text.len(), "{file} is {size} bytes for a spec of {}", text.len());
    }
    // Every target is still there, each its own node, and the step switch
    // leads each to the next.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec.dir.join("out/node-red/flows.json")).unwrap()).unwrap();
    let nodes = json.as_array().unwrap();
    let targets: Vec<&serde_json::Value> = nodes.iter().filter(|n| n["name"] == "to quickbooks").collect();
    assert_eq!(targets.len(), 20_000);
    let next = nodes.iter().find(|n| n["name"] == "next target").unwrap();
    assert_eq!(next["wires"].as_array().unwrap().len(), 20_000);
    assert_eq!(next["wires"][19_998][0], targets[19_999]["id"]);
}
