//! `wireplan plan` end to end: each example spec gets the stage its story
//! implies, the JSON matches its schema, the reports are stable, and the HTML
//! page renders in a real headless Chromium without console errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{TempSpec, code, root, run_in, stderr, stdout};

fn fixture(name: &str) -> String {
    format!("tests/fixtures/plan/{name}.kdl")
}

/// `wireplan plan FIXTURE --format json`, parsed.
fn plan_json(name: &str) -> serde_json::Value {
    let out = run_in(&root(), &["plan", &fixture(name), "--format", "json"]);
    assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json output")
}

#[test]
fn each_example_gets_the_stage_its_story_implies() {
    // (fixture, stage now, stage at the horizon, warehouse)
    let cases = [
        ("three-tools", 1, 1, false),
        ("seven-tools-hub", 2, 2, false),
        ("twelve-tools-broker", 3, 3, true),
        ("growing", 2, 3, false),
    ];
    for (name, now, horizon, warehouse) in cases {
        let plan = plan_json(name);
        assert_eq!(plan["stage_now"], now, "{name}");
        assert_eq!(plan["stage_at_horizon"], horizon, "{name}");
        assert_eq!(plan["warehouse"], warehouse, "{name}");
        let months = plan["months"].as_array().unwrap();
        assert_eq!(months.len() as u64, plan["horizon_months"].as_u64().unwrap() + 1, "{name}");
        assert!(!plan["reasons"].as_array().unwrap().is_empty(), "{name}");
    }
}

#[test]
fn a_growing_stack_shows_the_month_it_crosses_a_threshold() {
    let plan = plan_json("growing");
    assert_eq!(plan["tools_now"], 8);
    assert_eq!(plan["systems_now"], 8);
    assert_eq!(plan["tools_at_horizon"], 10);
    let crossings = plan["crossings"].as_array().unwrap();
    assert_eq!(crossings.len(), 1, "{crossings:?}");
    assert_eq!(crossings[0]["month"], 7);
    assert_eq!(crossings[0]["threshold"], "event-driven-tools");
    assert_eq!(crossings[0]["stage_before"], 2);
    assert_eq!(crossings[0]["stage_after"], 3);
    let months = plan["months"].as_array().unwrap();
    assert_eq!(months[7]["joining"], serde_json::json!(["intercom", "zendesk"]));
    assert_eq!(months[10]["tools"], 11);
    assert_eq!(months[12]["retiring"], serde_json::json!(["sendy"]));
    // Volume triples over the horizon, compounding monthly; zendesk's tickets
    // (400 a day today) count from month 7.
    let day = |m: usize| months[m]["events_per_day"].as_f64().unwrap();
    assert_eq!(day(0), 2010.0);
    assert!((day(6) / day(0) - 3f64.powf(6.0 / 18.0)).abs() < 1e-4);
    assert_eq!(day(18), (2010.0 + 400.0) * 3.0);
    // Two flows run point-to-point today; both would move to the broker, and so
    // would the hub flows; the flow of zendesk, live from month 7, comes last.
    assert_eq!(plan["transports"]["point_to_point"], 2);
    assert_eq!(plan["migration"]["target_stage"], 3);
    assert_eq!(plan["migration"]["flows_to_move"], 5);
    let steps = plan["migration"]["move_first"].as_array().unwrap();
    assert_eq!(steps[4]["flow"], "tickets-to-crm");
    assert!(steps[4]["why"].as_str().unwrap().starts_with("goes live in month 7"));
}

#[test]
fn json_output_validates_against_the_committed_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/plan.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    for name in ["three-tools", "seven-tools-hub", "twelve-tools-broker", "growing"] {
        let plan = plan_json(name);
        let errors: Vec<String> = validator.iter_errors(&plan).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
    // The schema is strict: an unknown field is rejected.
    let mut plan = plan_json("growing");
    plan["months"][0]["surprise"] = serde_json::json!(1);
    assert!(!validator.is_valid(&plan));
    let mut plan = plan_json("growing");
    plan["surprise"] = serde_json::json!(1);
    assert!(!validator.is_valid(&plan));
    plan.as_object_mut().unwrap().remove("surprise");
    plan["stage_now"] = serde_json::json!(4);
    assert!(!validator.is_valid(&plan));
}

#[test]
fn human_report_snapshot() {
    let out = run_in(&root(), &["plan", &fixture("growing")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("plan_human_growing", stdout(&out));
}

#[test]
fn markdown_report_snapshot() {
    let out = run_in(&root(), &["plan", &fixture("growing"), "--format", "markdown"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("```mermaid\nxychart-beta\n"));
    insta::assert_snapshot!("plan_markdown_growing", text);
}

#[test]
fn the_same_spec_gives_byte_identical_output() {
    let spec = TempSpec::new("plan-determinism");
    spec.file("wireplan.kdl", std::fs::read(root().join(fixture("twelve-tools-broker"))).unwrap());
    for format in ["human", "markdown", "json"] {
        let a = spec.run(&["plan", "--format", format]);
        let b = spec.run(&["plan", "--format", format]);
        assert_eq!(code(&a), 0);
        assert!(a.stdout == b.stdout, "{format} output differs between runs");
    }
    let a = spec.run(&["plan", "--html", "a.html"]);
    let b = spec.run(&["plan", "--html", "b.html"]);
    assert_eq!((code(&a), code(&b)), (0, 0), "{}", stderr(&a));
    assert!(stdout(&a).is_empty(), "--html alone prints no report");
    let (a, b) = (std::fs::read(spec.dir.join("a.html")).unwrap(), std::fs::read(spec.dir.join("b.html")).unwrap());
    assert!(a == b, "HTML differs between runs");
}

#[test]
fn plan_finds_the_spec_as_check_does() {
    let spec = TempSpec::new("plan-paths");
    spec.file("wireplan.kdl", std::fs::read(root().join(fixture("three-tools"))).unwrap());
    std::fs::create_dir_all(spec.dir.join("sub/deeper")).unwrap();
    let from_below = run_in(&spec.dir.join("sub/deeper"), &["plan", "--format", "json"]);
    let by_folder = spec.run(&["plan", ".", "--format", "json"]);
    let by_file = spec.run(&["plan", "wireplan.kdl", "--format", "json"]);
    for out in [&from_below, &by_folder, &by_file] {
        assert_eq!(code(out), 0, "{}", stderr(out));
        assert!(out.stdout == from_below.stdout);
    }
    let missing = spec.run(&["plan", "nope.kdl"]);
    assert_eq!(code(&missing), 2);
}

#[test]
fn a_spec_with_errors_still_plans_but_exits_1() {
    let spec = TempSpec::new("plan-errors");
    spec.file(
        "wireplan.kdl",
        "system \"a\" kind=crm\nsystem \"b\" kind=crmm\nflow \"f\" { on \"nope\"; to a action=create }\n",
    );
    let out = spec.run(&["plan", "--format", "json"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("the spec has errors"), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["stage_now"], 1);
}

#[test]
fn html_escapes_every_name_from_the_spec() {
    let spec = TempSpec::new("plan-html-escape");
    spec.file(
        "wireplan.kdl",
        "stack \"<b>acme</b>\"\nsystem \"<script>alert(1)</script>\" kind=crm\nsystem \"a&b\\\"c'\" kind=email\n\
         event \"x\" from=\"<script>alert(1)</script>\" version=1\n\
         flow \"<img src=x onerror=alert(2)>\" { on \"x\"; to \"a&b\\\"c'\" action=upsert; retry attempts=2; dead-letter; log }\n",
    );
    let out = spec.run(&["plan", "--html", "out.html"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = std::fs::read_to_string(spec.dir.join("out.html")).unwrap();
    assert!(!html.contains("<script"), "an unescaped <script> in the page");
    assert!(!html.contains("<img"), "an unescaped <img> in the page");
    assert!(!html.contains("<b>acme"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("a&amp;b&quot;c&#39;"));
    // The file is written whole: no temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&spec.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

// ----- the page in a real browser ------------------------------------------

/// The Chromium binary: `WIREPLAN_CHROMIUM`, or Debian's `/usr/bin/chromium`.
/// Missing, it is a failure, not a skip: CI must run this test.
fn chromium() -> PathBuf {
    let path = std::env::var_os("WIREPLAN_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.is_file(),
        "Chromium not found at {}: run the tests with scripts/test.sh, which installs it (Debian package `chromium`), \
         or set WIREPLAN_CHROMIUM to a Chromium binary",
        path.display()
    );
    path
}

/// Runs headless Chromium with `args` on `page` in its own process group,
/// and kills that group by id if it does not finish in time. Returns stdout
/// and stderr.
pub(crate) fn headless(page: &Path, work: &Path, args: &[&str]) -> (String, String) {
    use std::os::unix::process::CommandExt;
    let profile = work.join(format!("profile-{}", args.join("").len()));
    let (out_path, err_path) = (work.join("chromium.out"), work.join("chromium.err"));
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            // The group id is the child's pid: this ends Chromium and its helpers, nothing else.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s; killed process group {}", child.id());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
    (out, err)
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn html_report_renders_in_chromium_without_console_errors() {
    let spec = TempSpec::new("plan-chromium");
    spec.file("wireplan.kdl", std::fs::read(root().join(fixture("growing"))).unwrap());
    let out = spec.run(&["plan", "--html", "report.html"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = spec.dir.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for external in ["http://", "https://", "src=", "<link", "<script", "@import", "url(http"] {
        let allowed = external == "http://"
            && html.matches("http://").count() == html.matches("http://www.w3.org/2000/svg").count();
        assert!(allowed || !html.contains(external), "the page refers to something outside it: {external}");
    }

    // The DOM as the browser built it, and every console message it logged.
    let (dom, log) = headless(&page, &spec.dir, &["--dump-dom"]);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    assert_eq!(dom.matches("role=\"img\"").count(), 3, "the two topologies and the chart are drawn");
    assert!(dom.contains("Stage 2") && dom.contains("Stage 3"));
    assert!(dom.contains("Thresholds crossed"));
    assert!(dom.contains("polyline"));

    // A screenshot that shows something: many distinct colours, and ink on much of it.
    let shot = spec.dir.join("shot.png");
    let screenshot = format!("--screenshot={}", shot.display());
    let (_, log) = headless(&page, &spec.dir, &[&screenshot, "--window-size=1200,1600"]);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages:\n{}", console.join("\n"));
    let (colours, inked) = png_stats(&shot);
    assert!(colours >= 64, "the screenshot has only {colours} distinct colours");
    assert!(inked > 0.05, "only {:.1}% of the screenshot differs from the background", inked * 100.0);
    if let Some(dir) = std::env::var_os("WIREPLAN_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&shot, Path::new(&dir).join("plan-report.png"));
    }
}

/// Distinct colours in a PNG, and the share of pixels unlike its top-left one.
pub(crate) fn png_stats(path: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("a screenshot was written"));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(info.width >= 800 && info.height >= 800, "screenshot is {}x{}", info.width, info.height);
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels[0];
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    let inked = pixels.iter().filter(|p| *p != &background).count();
    (colours.len(), inked as f64 / pixels.len() as f64)
}

#[test]
fn stage_mismatch_fires_on_its_fixture_and_not_on_the_quiet_one() {
    let rules = |file: &str| {
        let out =
            run_in(&root(), &["check", &format!("tests/fixtures/rules/stage-mismatch/{file}"), "--format", "json"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let hits: Vec<serde_json::Value> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"] == "stage-mismatch")
            .cloned()
            .collect();
        hits
    };
    let fires = rules("fires.kdl");
    assert_eq!(fires.len(), 1, "{fires:#?}");
    assert_eq!(fires[0]["code"], "WP116");
    assert_eq!(fires[0]["severity"], "info");
    assert_eq!(fires[0]["line"], 29);
    assert_eq!(fires[0]["labels"].as_array().unwrap().len(), 5, "the primary flow and four more");
    assert!(fires[0]["help"].as_str().unwrap().contains("kind=broker"));
    assert!(rules("quiet.kdl").is_empty());
}

#[test]
fn plan_help_and_level_flags() {
    let out = run_in(&root(), &["plan", "--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("--html <FILE>"));
    let out = run_in(&root(), &["plan", &fixture("three-tools"), "--allow", "no-such-rule"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown-rule"));
}

/// `check` and `plan` count tools and pairs the same way: wherever
/// `p2p-sprawl` says a hub is due, the plan recommends at least a hub, and
/// no finding advises moving down a stage.
#[test]
fn check_and_plan_agree_on_every_example_and_the_three_crms() {
    let three_crms = "system \"a\" kind=crm\nsystem \"b\" kind=crm\nsystem \"c\" kind=crm\nsystem \"h\" kind=hub\n\
                      event \"a.e\" from=a version=1\n\
                      flow \"f\" {\n on \"a.e\"\n to b action=update\n to c action=update\n to h action=update\n}\n";
    let spec = TempSpec::new("three-crms");
    spec.file("wireplan.kdl", three_crms);
    let mut dirs: Vec<std::path::PathBuf> =
        std::fs::read_dir(root().join("examples")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs.push(spec.dir.clone());
    for dir in dirs {
        let check = run_in(&dir, &["check", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
        let plan = run_in(&dir, &["plan", "--format", "json"]);
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let stage = plan["stage_now"].as_u64().unwrap().max(plan["stage_at_horizon"].as_u64().unwrap());
        for d in report["diagnostics"].as_array().unwrap() {
            if d["rule"] == "p2p-sprawl" {
                assert!(stage >= 2, "{}: check advises a hub, plan says stage {stage}", dir.display());
            }
            let help = d["help"].as_str().unwrap_or("");
            assert!(!help.contains("remove `via`"), "{}: advises moving down: {help}", dir.display());
        }
        let note = plan["migration"]["note"].as_str().unwrap();
        assert!(!note.contains("remove `via`"), "{}: {note}", dir.display());
    }
}

/// `wireplan plan` on a real-world corpus folder, as JSON.
fn realworld_plan(name: &str) -> serde_json::Value {
    let out = run_in(&root(), &["plan", &format!("tests/realworld/{name}"), "--format", "json"]);
    assert_eq!(code(&out), 0, "{name}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json output")
}

/// The planner items of issue 25, on the published architectures that
/// showed them: stacks already event-driven stay at stage 3 and are not told
/// a broker is too much; synchronous requests are moved nowhere; the plan
/// says what differs between a hub and a broker.
#[test]
fn event_driven_stacks_stay_event_driven_and_requests_stay_synchronous() {
    for name in ["kafka-streams-orders", "saga-customers-orders", "sock-shop", "ftgo-create-order-saga"] {
        let plan = realworld_plan(name);
        assert_eq!(plan["stage_now"], 3, "{name}");
        assert_eq!(plan["stage_at_horizon"], 3, "{name}");
        let text = plan.to_string();
        assert!(!text.contains("more infrastructure than the stack needs"), "{name}: {text}");
        assert!(!text.contains("Introduce one hub"), "{name}: {text}");
    }
    // Checkout is one request its caller waits on: nothing to move, and the
    // note says why.
    let boutique = realworld_plan("online-boutique");
    assert_eq!(boutique["migration"]["flows_to_move"], 0);
    let note = boutique["migration"]["note"].as_str().unwrap();
    assert!(note.contains("stays a synchronous call"), "{note}");
    let aspects: Vec<&str> =
        boutique["differences"].as_array().unwrap().iter().map(|d| d["aspect"].as_str().unwrap()).collect();
    assert_eq!(aspects, ["operations", "failure isolation", "cost drivers", "coupling"]);
}
