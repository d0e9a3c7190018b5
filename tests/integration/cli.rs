//! The command line end to end: formats, exit codes, positions, and bad input
//! that must give a clear diagnostic rather than a panic, a hang or a crash.

use std::path::Path;

use crate::util::{
    Annotation, TempSpec, annotations, code, reported_annotations, root, run_in, stderr, stdout, wireplan,
};

fn check_json(dir: &Path, file: &str) -> (i32, serde_json::Value) {
    let out = run_in(dir, &["check", file, "--format", "json"]);
    (code(&out), serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out))))
}

fn validate_against_schema(report: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/diagnostics.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(report).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "output does not match its schema: {errors:#?}");
}

#[test]
fn every_mistake_is_reported_at_its_exact_span_with_help() {
    let dir = root().join("tests/fixtures/check");
    let text = std::fs::read_to_string(dir.join("ten-mistakes.kdl")).unwrap();
    let expected = annotations(&text);
    assert!(expected.len() >= 10, "the fixture has {} annotations", expected.len());
    let (exit, report) = check_json(&dir, "ten-mistakes.kdl");
    assert_eq!(exit, 1);
    validate_against_schema(&report);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let mut expected = expected;
    expected.sort();
    assert_eq!(found_annotations(&report, true), expected);
    for d in diagnostics {
        assert!(!d["help"].as_str().unwrap().is_empty(), "no help: {d}");
        assert_eq!(d["file"], "ten-mistakes.kdl");
    }
    assert_eq!(report["summary"]["errors"].as_u64().unwrap() as usize, expected.len());
}

/// The diagnostics of a JSON report (only spec errors, if asked) as
/// annotations, sorted.
fn found_annotations(report: &serde_json::Value, only_spec_errors: bool) -> Vec<Annotation> {
    reported_annotations(report, |d| !only_spec_errors || d["code"].as_str().unwrap().starts_with("WP0"))
}

#[test]
fn scattered_syntax_errors_are_reported_once_each_and_the_rest_is_still_checked() {
    let dir = root().join("tests/fixtures/check");
    let text = std::fs::read_to_string(dir.join("five-syntax-errors.kdl")).unwrap();
    let mut expected = annotations(&text);
    expected.sort();
    assert_eq!(expected.iter().filter(|e| e.rule == "syntax").count(), 5);
    let (exit, report) = check_json(&dir, "five-syntax-errors.kdl");
    assert_eq!(exit, 1);
    validate_against_schema(&report);
    // Exactly the five syntax errors and the loop between the intact flows:
    // no cascade (a missing property, a stray block) from the broken text.
    assert_eq!(found_annotations(&report, false), expected);
}

#[test]
fn human_output_is_rustc_like() {
    let dir = root().join("tests/fixtures/check");
    let out = run_in(&dir, &["check", "ten-mistakes.kdl", "--color", "never"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(!text.contains('\u{1b}'), "no colour codes under --color never");
    insta::assert_snapshot!("ten_mistakes_human", text);
}

#[test]
fn short_format_is_one_line_per_diagnostic() {
    let dir = root().join("tests/fixtures/check");
    let out = run_in(&dir, &["check", "ten-mistakes.kdl", "--format", "short"]);
    assert_eq!(code(&out), 1);
    insta::assert_snapshot!("ten_mistakes_short", stdout(&out));
}

#[test]
fn colour_follows_the_flag() {
    let dir = root().join("tests/fixtures/check");
    let out = wireplan().args(["check", "ten-mistakes.kdl", "--color", "always"]).current_dir(&dir).output().unwrap();
    assert!(stdout(&out).contains('\u{1b}'), "--color always colours");
    // Piped output with the default `auto` has no colour.
    let out = wireplan().env_remove("NO_COLOR").args(["check", "ten-mistakes.kdl"]).current_dir(&dir).output().unwrap();
    assert!(!stdout(&out).contains('\u{1b}'), "piped output is plain");
}

#[test]
fn output_is_deterministic() {
    let dir = root().join("examples");
    for format in ["human", "json", "short"] {
        let first = run_in(&dir, &["check", "high-volume-retail", "--format", format]);
        let second = run_in(&dir, &["check", "high-volume-retail", "--format", format]);
        assert_eq!(first.stdout, second.stdout, "{format}");
    }
}

#[test]
fn examples_check_without_spec_errors() {
    let dir = root().join("examples");
    for example in ["small-shop", "growing-agency", "high-volume-retail", "acme-outdoor", "hub-studio"] {
        let (exit, report) = check_json(&dir, example);
        validate_against_schema(&report);
        assert_eq!(report["summary"]["errors"], 0, "{example}: {report:#}");
        assert_eq!(exit, 0, "{example}");
        let out = run_in(&dir, &["check", example, "--format", "short"]);
        insta::assert_snapshot!(format!("example_{example}"), stdout(&out));
    }
}

#[test]
fn finds_the_spec_from_a_subfolder() {
    let dir = root().join("examples/high-volume-retail/teams");
    let out = run_in(&dir, &["check", "--format", "short"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    let spec = TempSpec::new("usage");
    let out = spec.run(&["check"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no `wireplan.kdl`"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());

    let out = spec.run(&["check", "nope.kdl"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no such file"));

    // A folder without a wireplan.kdl.
    std::fs::create_dir_all(spec.dir.join("empty")).unwrap();
    let out = spec.run(&["check", "empty"]);
    assert_eq!(code(&out), 2);

    spec.file("wireplan.kdl", "");
    let out = spec.run(&["check", "--deny", "sync-cylce"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown-rule") && stderr(&out).contains("did you mean `sync-cycle`"),
        "{}",
        stderr(&out)
    );

    let out = spec.run(&["check", "--deny", "syntax"]);
    assert_eq!(code(&out), 2);

    let out = spec.run(&["check", "--format", "xml"]);
    assert_eq!(code(&out), 2);
}

// ----- bad and odd input -------------------------------------------------

/// Checks `text` as a spec and returns (exit code, short output).
fn check_text(name: &str, text: impl AsRef<[u8]>) -> (i32, String) {
    let spec = TempSpec::new(name);
    spec.file("wireplan.kdl", text);
    let out = spec.run(&["check", "--format", "short"]);
    assert!(stderr(&out).is_empty(), "{name}: stderr: {}", stderr(&out));
    (code(&out), stdout(&out))
}

#[test]
fn empty_file_is_a_valid_spec() {
    assert_eq!(check_text("empty", ""), (0, String::new()));
}

#[test]
fn non_utf8_is_a_diagnostic() {
    let (exit, out) = check_text("latin1", b"system \"caf\xe9\" kind=crm\n");
    assert_eq!(exit, 1);
    assert!(out.contains("error[syntax]: this file is not valid UTF-8"), "{out}");
    assert!(out.starts_with("wireplan.kdl:1:12:"), "{out}");
}

#[test]
fn a_50_mb_file_is_read_and_a_larger_than_256_mib_one_refused() {
    let spec = TempSpec::new("huge");
    let line = "// padding padding padding padding padding padding padding padding padding\n";
    let text = format!("system \"a\" kind=crm\n{}", line.repeat(50 * 1024 * 1024 / line.len()));
    spec.file("wireplan.kdl", &text);
    let start = std::time::Instant::now();
    let out = spec.run(&["check", "--format", "short"]);
    assert!(start.elapsed().as_secs() < 20);
    assert!(stdout(&out).contains("warning[unused-system]"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("error["), "{}", stdout(&out));

    // A sparse file: its size is refused before a byte of it is read.
    let file = std::fs::File::create(spec.file("wireplan.kdl", "")).unwrap();
    file.set_len(300 * 1024 * 1024).unwrap();
    let out = spec.run(&["check", "--format", "short"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).contains("wireplan reads spec files of up to 256 MiB"), "{}", stdout(&out));
}

/// A spec of about 2 MB (so it is parsed, lowered, resolved and checked on
/// several threads), with mistakes spread through it, or with a syntax
/// error as well (so it is parsed in one piece but still lowered in parts).
fn large_spec(syntax_error: bool) -> String {
    let mut text = String::from("stack \"big\" {\n    horizon months=18\n}\n\nsystem \"hub\" kind=hub\n\n");
    const N: usize = 6500;
    for i in 0..N {
        text.push_str(&format!(
            "system \"s{i}\" kind=crm {{\n    webhooks #true\n    entity \"contact\" {{\n        field \"email\" type=email\n    }}\n}}\n\n\
             event \"e{i}\" from=s{i} entity=contact version=1 {{\n    field \"email\" type=email\n}}\n\n\
             flow \"f{i}\" {{\n    on \"e{i}\"\n    to s{} action=upsert entity=contact {{\n        map \"email\" to=\"email\"\n    }}\n    retry attempts=3\n    log\n}}\n\n",
            (i + 1) % N
        ));
        match i {
            100 => text.push_str("system \"odd\" kind=crn\n\n"),
            3300 => text.push_str("stack \"again\"\n\nflow \"f1300\" {\n    on \"e5\"\n    to s7 action=create\n}\n\n"),
            5200 => text.push_str("system \"leak\" kind=email {\n    secret \"sk_live_51HxQeTz8KXbq0Rn2Ww9\"\n}\n\n"),
            6200 if syntax_error => text.push_str("system \"typing\" kind=\n\n"),
            _ => {}
        }
    }
    text
}

#[test]
fn a_large_spec_gives_the_same_report_on_any_number_of_threads() {
    for syntax_error in [false, true] {
        let spec = TempSpec::new(if syntax_error { "large-broken" } else { "large" });
        let text = large_spec(syntax_error);
        assert!(text.len() > 2_000_000, "{} bytes", text.len());
        spec.file("wireplan.kdl", &text);
        let run = |threads: &str| {
            let out = wireplan()
                .args(["check", "--format", "json"])
                .current_dir(&spec.dir)
                .env("WIREPLAN_THREADS", threads)
                .output()
                .unwrap();
            assert_eq!(code(&out), 1, "{}", stderr(&out));
            stdout(&out)
        };
        let one = run("1");
        for rule in ["bad-value", "duplicate-name", "secret-literal", "sync-cycle"] {
            assert!(one.contains(&format!("\"rule\": \"{rule}\"")), "{rule} is found");
        }
        assert!(one.contains("`stack` is given twice"), "the second stack is reported");
        // The loop through every system is told by its ends, not hop by hop.
        assert!(one.contains("flows trigger each other in a loop: s0 --f0--> s1 --e1 / f1--> s2"), "{one:.2000}");
        assert!(one.contains(" more hops) ... s6499 --e6499 / f6499--> s0"), "{one:.2000}");
        let report: serde_json::Value = serde_json::from_str(&one).unwrap();
        let cycle = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "sync-cycle").unwrap();
        assert!(cycle["message"].as_str().unwrap().len() < 400, "{}", cycle["message"]);
        assert_eq!(one.contains("\"rule\": \"syntax\""), syntax_error);
        for threads in ["2", "3", "8"] {
            assert!(run(threads) == one, "{threads} threads give another report (syntax error: {syntax_error})");
        }
    }
}

#[test]
fn credentials_are_found_wherever_they_are_written() {
    let text = "system \"stripe\" kind=payments {\n    secret \"hunter2\"\n    owner \"sk_live_51HxQeTz8KXbq0Rn2Ww9\"\n}\n\
                /- system \"old\" kind=crm { secret \"xoxb-1234567890-abcdefghij\" }\n\
                sytem \"typo\" token=\"ghp_abcdefghijklmnopqrstuvwxyz\"\n\
                system \"crm\" kind=crm { secret \"HUBSPOT_TOKEN\"; }\n";
    let (exit, out) = check_text("secrets", text);
    assert_eq!(exit, 1);
    let found: Vec<&str> = out.lines().filter(|l| l.contains("secret-literal")).collect();
    assert_eq!(
        found,
        [
            "wireplan.kdl:2:12: error[secret-literal]: this value looks like a credential: `secret` takes an environment variable's name, such as `HUBSPOT_TOKEN`",
            "wireplan.kdl:3:11: error[secret-literal]: this value looks like a credential: it holds a Stripe secret key (`sk_live_…`)",
            "wireplan.kdl:5:35: error[secret-literal]: this value looks like a credential: it holds a Slack bot token (`xoxb-…`)",
            "wireplan.kdl:6:20: error[secret-literal]: this value looks like a credential: it holds a GitHub token (`ghp_…`)",
        ],
        "{out}"
    );
}

#[test]
fn hosts_are_not_credentials_and_found_ones_are_never_printed() {
    let text = "system \"kafka\" kind=broker {\n    url \"test.mykafkacluster.org:18092\"\n}\n\
                system \"db\" kind=database {\n    url \"postgres://app:Zq8xLw2pVr@db.internal:5432/app\"\n}\n\
                system \"api\" kind=custom {\n    url \"https://x.example.com/?token=ghp_16C7e42F292c6912E7710c838347Ae178B4a\"\n    owner \"Bearer sk_live_Zz41pQmC7vB2nX8kL0rT\"\n}\n\
                system \"ids\" kind=custom {\n    owner \"123e4567-e89b-12d3-a456-426614174000\"\n    url \"https://api.example.com/v2.14.0\"\n}\n\
                system \"keys\" kind=custom {\n    owner \"-----BEGIN RSA PRIVATE KEY-----\"\n}\n";
    for format in ["short", "json", "github", "sarif"] {
        let spec = TempSpec::new(&format!("masked-{format}"));
        spec.file("wireplan.kdl", text);
        let out = stdout(&spec.run(&["check", "--format", format]));
        for secret in ["Zq8xLw2pVr", "16C7e42F292c6912E7710c838347Ae178B4a", "Zz41pQmC7vB2nX8kL0rT"] {
            assert!(!out.contains(secret), "{format} prints the secret {secret}: {out}");
        }
        if format == "short" {
            let found: Vec<&str> = out.lines().filter(|l| l.contains("secret-literal")).collect();
            assert_eq!(
                found,
                [
                    "wireplan.kdl:5:9: error[secret-literal]: this value looks like a credential: it holds a URL with a password (`postgres://app:****@…`)",
                    "wireplan.kdl:8:9: error[secret-literal]: this value looks like a credential: it holds a GitHub token (`ghp_…`)",
                    "wireplan.kdl:9:11: error[secret-literal]: this value looks like a credential: it holds a Stripe secret key (`sk_live_…`)",
                    "wireplan.kdl:16:11: error[secret-literal]: this value looks like a credential: it holds a private key (`-----BEGIN … PRIVATE KEY-----`)",
                ],
                "{out}"
            );
        }
    }
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let (exit, out) = check_text("deep", "a {".repeat(10_000));
    assert_eq!(exit, 1);
    assert!(out.contains("nesting is deeper than 128 levels"), "{out}");
}

#[test]
fn bom_and_crlf_keep_positions_right() {
    let text = "\u{feff}system \"a\" kind=crm\r\nsystem \"b\" kind=crn\r\n";
    let (exit, out) = check_text("bom-crlf", text);
    assert_eq!(exit, 1);
    let errors: Vec<&str> = out.lines().filter(|l| l.contains(": error[")).collect();
    assert_eq!(errors, ["wireplan.kdl:2:17: error[bad-value]: unknown system kind `crn`"]);
    // The warning about the first system is on line 1, column 8: the BOM is not a column.
    assert!(out.starts_with("wireplan.kdl:1:8: warning[unused-system]"), "{out}");
}

#[test]
fn includes_outside_the_root_are_refused() {
    let spec = TempSpec::new("escape");
    spec.file("outside.kdl", "system \"x\" kind=crm\n");
    spec.file(
        "spec/wireplan.kdl",
        "include \"/etc/passwd\"\ninclude \"../outside.kdl\"\ninclude \"../../x\"\ninclude \"sub\"\n",
    );
    std::fs::create_dir_all(spec.dir.join("spec/sub")).unwrap();
    let out = run_in(&spec.dir.join("spec"), &["check", "--format", "short"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].contains("`/etc/passwd` is an absolute path"), "{text}");
    assert!(lines[1].contains("`../outside.kdl` is outside the spec's folder"), "{text}");
    assert!(lines[2].contains("`../../x` is outside the spec's folder"), "{text}");
    assert!(lines[3].contains("`sub` is a folder"), "{text}");
    assert!(!text.contains("root:"), "nothing of /etc/passwd is shown");
}

#[test]
fn include_cycles_and_diamonds() {
    let spec = TempSpec::new("cycle");
    spec.file("wireplan.kdl", "include \"a.kdl\"\ninclude \"b.kdl\"\n");
    spec.file("a.kdl", "include \"c.kdl\"\n");
    spec.file("b.kdl", "include \"c.kdl\"\n");
    spec.file("c.kdl", "system \"shared\" kind=crm\n");
    // The diamond: c.kdl is included twice and loaded once, so no duplicate.
    let out = spec.run(&["check", "--format", "short"]);
    assert!(!stdout(&out).contains("duplicate-name"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("include-error"), "{}", stdout(&out));

    spec.file("c.kdl", "include \"a.kdl\"\n");
    let out = spec.run(&["check", "--format", "short"]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "c.kdl:1:9: error[include-error]: include cycle: a.kdl -> c.kdl -> a.kdl\n");
}

#[test]
fn a_directory_as_the_entry_file_is_a_usage_error() {
    let spec = TempSpec::new("dir-entry");
    std::fs::create_dir_all(spec.dir.join("wireplan.kdl")).unwrap();
    let out = spec.run(&["check", "wireplan.kdl"]);
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).is_empty());
}

#[test]
fn syntax_errors_are_reported() {
    let (exit, out) = check_text("syntax", "system \"a\" kind=crm {\n    webhooks true\n}\n");
    assert_eq!(exit, 1);
    assert!(out.contains("error[syntax]"), "{out}");
}

#[test]
fn file_names_are_relative_to_the_current_folder_in_every_format() {
    let spec = TempSpec::new("names-from-a-subfolder");
    spec.file("wireplan.kdl", "include \"sales/*.kdl\"\nsystem \"lonely\" kind=crm\n");
    spec.file("sales/leads.kdl", "system \"also-lonely\" kind=email\n");
    let dir = spec.dir.join("sales");
    let json: serde_json::Value = serde_json::from_slice(&run_in(&dir, &["check", "--format", "json"]).stdout).unwrap();
    let files: Vec<&str> =
        json["diagnostics"].as_array().unwrap().iter().map(|d| d["file"].as_str().unwrap()).collect();
    assert!(files.contains(&"../wireplan.kdl") && files.contains(&"leads.kdl"), "{files:?}");
    assert!(files.iter().all(|f| !f.starts_with('/')), "{files:?}");
    let short = stdout(&run_in(&dir, &["check", "--format", "short"]));
    assert!(short.starts_with("../wireplan.kdl:"), "{short}");
    let human = stdout(&run_in(&dir, &["check"]));
    assert!(human.contains("--> ../wireplan.kdl:"), "{human}");
}

#[test]
fn every_command_has_help_and_every_format_a_description() {
    for args in [&["help", "--help"][..], &["help"], &["help", "check"], &["rules", "--help"], &["check", "--help"]] {
        let out = run_in(&root(), args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("Usage") || args == ["help", "check"], "{args:?}: {}", stdout(&out));
    }
    let rules = stdout(&run_in(&root(), &["rules", "--help"]));
    assert!(rules.contains("human:") && rules.contains("json:"), "each format is described: {rules}");
}

#[test]
fn a_long_report_ends_with_a_count_per_rule() {
    let out = run_in(&root().join("tests/fixtures/check"), &["check", "ten-mistakes.kdl"]);
    let text = stdout(&out);
    let counts = text.split("by rule:\n").nth(1).expect("a count per rule");
    assert!(counts.lines().next().unwrap().trim_start().starts_with(|c: char| c.is_ascii_digit()), "{counts}");
    assert!(counts.contains("WP007  unresolved-reference") || counts.contains("error"), "{counts}");
}

/// The rules and help texts a spec's findings have, in order.
fn findings_of(text: &str) -> Vec<(String, String, String)> {
    // Tests run side by side: each spec gets a folder of its own.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let report = crate::util::check_json(&format!("one-mistake-{n}"), text);
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let primary = d["labels"].as_array().unwrap().iter().find(|l| l["primary"] == true).cloned();
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["help"].as_str().unwrap_or("").to_owned(),
                primary.and_then(|l| l["message"].as_str().map(str::to_owned)).unwrap_or_default(),
            )
        })
        .collect()
}

fn rules_in(found: &[(String, String, String)]) -> Vec<&str> {
    found.iter().map(|(r, _, _)| r.as_str()).collect()
}

#[test]
fn one_mistake_makes_one_finding() {
    let base = "system \"crm\" kind=crm\nsystem \"mail\" kind=email\nevent \"lead.created\" from=crm version=1\n";
    // An `on` that names no event: not also an orphan event and an unused producer.
    let found = findings_of(&format!(
        "{base}flow \"f\" {{\n on \"lead.create\"\n to mail action=upsert\n retry\n dead-letter alert=\"ops\"\n log\n}}\n"
    ));
    assert_eq!(rules_in(&found), ["unresolved-reference"], "{found:?}");
    // A misspelt `retries`: not also a flow without error handling.
    let found = findings_of(&format!(
        "{base}flow \"f\" {{\n on \"lead.created\"\n to mail action=upsert\n retries attempts=3\n log\n}}\n"
    ));
    assert_eq!(rules_in(&found), ["unknown-node"], "{found:?}");
    // Likewise inside a `to`.
    let found = findings_of(&format!(
        "{base}flow \"f\" {{\n on \"lead.created\"\n to mail action=upsert {{\n  retries attempts=3\n }}\n log\n}}\n"
    ));
    assert_eq!(rules_in(&found), ["unknown-node"], "{found:?}");
    // A bad version: not also unversioned.
    let found = findings_of(
        "system \"a\" kind=crm {\n api rest version=#true\n}\nsystem \"b\" kind=crm\nevent \"e\" from=a version=\"one\"\n\
         flow \"f\" {\n on \"e\"\n to b action=update\n retry\n dead-letter alert=\"ops\"\n log\n}\n",
    );
    assert_eq!(rules_in(&found), ["bad-value", "bad-value"], "{found:?}");
    // An unknown kind: not also unused, and `helpdesk` means `support`.
    let found = findings_of("system \"desk\" kind=helpdesk\n");
    assert_eq!(rules_in(&found), ["bad-value"], "{found:?}");
    assert_eq!(found[0].1, "did you mean `support`?");
}

#[test]
fn diagnostics_read_well() {
    // "an API style", "an action".
    let found = findings_of(
        "system \"a\" kind=crm {\n api soapy\n}\nevent \"e\" from=a version=1\n\
         flow \"f\" {\n on \"e\"\n to a action=updat\n retry\n dead-letter alert=\"ops\"\n log\n}\n",
    );
    let labels: Vec<&str> = found.iter().map(|(_, _, l)| l.as_str()).collect();
    assert!(labels.contains(&"not an API style") && labels.contains(&"not an action"), "{found:?}");
    // `horizon 12`: one error, suggesting the user's own number.
    let found = findings_of("stack \"s\" {\n horizon 12\n}\n");
    assert_eq!(rules_in(&found), ["missing-argument"], "{found:?}");
    assert_eq!(found[0].1, "write it as `horizon months=12`");
    // `owner="sales"` as a property: `owner` is a child node.
    let found = findings_of("system \"a\" kind=crm owner=\"sales\"\n");
    assert_eq!(rules_in(&found), ["unused-system", "unknown-property"], "{found:?}");
    assert_eq!(
        found[1].1,
        "`owner` is a child node, not a property: write `owner ...` inside the `{ }` block of `system`"
    );
}

#[test]
fn emits_names_an_event_of_the_target_system_that_writes_set_off() {
    let found = findings_of(
        "system \"a\" kind=crm\nsystem \"b\" kind=crm\n\
         event \"a.e\" from=a entity=x version=1\nevent \"b.e\" from=b entity=x version=1\n\
         event \"b.click\" from=b version=1 {\n external\n}\n\
         event \"b.tick\" from=b version=1 {\n external\n}\n\
         flow \"f\" {\n on \"a.e\"\n to b action=update {\n  emits \"a.e\"\n  emits \"b.click\"\n  emits \"b.nope\"\n }\n retry\n dead-letter alert=\"ops\"\n log\n}\n\
         flow \"g\" {\n on \"b.tick\"\n to a action=update {\n  idempotency-key \"missing\"\n }\n retry\n dead-letter alert=\"ops\"\n log\n}\n",
    );
    let rules = rules_in(&found);
    assert_eq!(rules.iter().filter(|r| **r == "bad-value").count(), 2, "{found:?}");
    assert_eq!(rules.iter().filter(|r| **r == "unresolved-reference").count(), 1, "{found:?}");
    let labels: Vec<&str> = found.iter().map(|(_, _, l)| l.as_str()).collect();
    assert!(labels.contains(&"another system's event") && labels.contains(&"an external event"), "{found:?}");
}
