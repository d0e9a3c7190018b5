//! Hostile input is normal input: specs come from pull requests anyone can
//! open, and output lands in terminals, CI logs and documents. Each test is
//! the smallest input that once broke wireplan, and asserts the right
//! behaviour, not merely that nothing crashed. Large inputs are generated
//! here, never committed.

use std::time::{Duration, Instant};

use crate::util::{TempSpec, code, stderr, stdout, wireplan};

const FORMATS: &[&str] = &["human", "short", "json", "sarif", "github"];

/// Runs `check --format F` for every format and returns each output.
fn every_format(spec: &TempSpec) -> Vec<(String, String)> {
    FORMATS
        .iter()
        .map(|f| {
            let out = spec.run(&["check", "--format", f]);
            assert!(matches!(code(&out), 0 | 1), "{f}: exit {}: {}", code(&out), stderr(&out));
            ((*f).to_owned(), stdout(&out) + &stderr(&out))
        })
        .collect()
}

#[test]
fn names_cannot_forge_log_lines_or_reach_the_terminal_raw() {
    let spec = TempSpec::new("hostile-names");
    // A newline, a GitHub workflow command, an OSC title sequence with BEL,
    // and a bidi override, all in names (KDL escapes put them in the value).
    spec.file(
        "wireplan.kdl",
        "system \"x\\n::error file=src/main.rs,line=1::forged\\n::add-mask::y\" kind=crm\n\
         system \"t\\u{1b}]0;pwned\\u{7}\" kind=crm\n\
         system \"abc\\u{202e}fed\" kind=crm\n\
         flow \"f\" {\n    on \"missing\\u{1b}[31m\"\n    to x action=update\n}\n",
    );
    for (format, text) in every_format(&spec) {
        for line in text.lines() {
            assert!(
                !line.starts_with("::error file=src") && !line.starts_with("::add-mask::"),
                "{format}: a name forged a workflow command: {line}"
            );
        }
        assert!(!text.contains('\u{1b}'), "{format}: a raw ESC reached the output");
        assert!(!text.contains('\u{7}'), "{format}: a raw BEL reached the output");
        assert!(!text.contains('\u{202e}'), "{format}: a raw bidi override reached the output");
    }
    let short = stdout(&spec.run(&["check", "--format", "short"]));
    assert!(short.contains("\\n::error file=src/main.rs"), "escaped as rustc does: {short}");
    let human = stdout(&spec.run(&["check"]));
    assert!(human.contains("\\u{202e}"), "{human}");
}

#[test]
fn a_file_name_cannot_forge_lines() {
    let spec = TempSpec::new("hostile-file-name");
    spec.file("wireplan.kdl", "include \"parts/*.kdl\"\n");
    spec.file("parts/a\n::error file=x::forged.kdl", "system \"lonely\" kind=crm\n");
    for (format, text) in every_format(&spec) {
        assert!(text.lines().all(|l| !l.starts_with("::error file=x")), "{format}: {text}");
        assert!(text.contains("lonely"), "{format}: the included file was checked: {text}");
    }
}

#[test]
fn markdown_plans_escape_names() {
    let spec = TempSpec::new("hostile-markdown");
    spec.file("wireplan.kdl", "stack \"a`b\\n<img src=x onerror=alert(1)>\"\nsystem \"s\" kind=crm\n");
    let out = spec.run(&["plan", "--format", "markdown"]);
    let text = stdout(&out);
    assert!(!text.contains("\n<img"), "a name started an HTML line: {text}");
    for line in text.lines().filter(|l| l.contains("<img")) {
        // Only inside a code span or escaped, never as markup.
        assert!(line.contains("\\<img") || line.contains("`"), "raw HTML in Markdown: {line}");
    }
}

#[test]
fn a_label_past_column_65536_is_drawn_clipped() {
    let spec = TempSpec::new("hostile-long-line");
    // One 200 KB line; the unknown kind sits past column 65,536.
    let padding = "a".repeat(200_000);
    spec.file("wireplan.kdl", format!("system \"{padding}\" kind=bogus\n"));
    let out = spec.run(&["check"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("error[bad-value]"), "{}", &text[..text.len().min(2000)]);
    assert!(text.contains(":1:200016"), "the column is the real one");
    let snippet_lines = text.lines().filter(|l| l.contains(" | "));
    assert!(snippet_lines.into_iter().all(|l| l.chars().count() < 200), "long lines are clipped");
    assert!(text.contains("...") && text.contains("^^^^^ not a system kind"));
}

#[test]
fn an_included_fifo_or_device_is_a_diagnostic_not_a_hang() {
    let spec = TempSpec::new("hostile-fifo");
    let fifo = spec.dir.join("pipe.kdl");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", spec.dir.join("zero.kdl")).unwrap();
    spec.file("wireplan.kdl", "include \"pipe.kdl\"\ninclude \"zero.kdl\"\ninclude \"*.kdl\"\n");
    let start = Instant::now();
    let out = spec.run(&["check", "--format", "short"]);
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    // The link to /dev/zero leaves the spec's folder; the FIFO is not a regular file.
    assert!(text.contains("wireplan.kdl:1:9: error[include-error]: `pipe.kdl` is not a regular file"), "{text}");
    assert!(text.contains("wireplan.kdl:2:9: error[include-error]: `zero.kdl` is outside"), "{text}");
}

#[test]
fn huge_thread_counts_are_clamped_and_said() {
    let spec = TempSpec::new("hostile-threads");
    spec.file("wireplan.kdl", "system \"a\" kind=crm\n");
    for value in ["100000", "18446744073709551615", "-3", "lots"] {
        let start = Instant::now();
        let out = wireplan().env("WIREPLAN_THREADS", value).arg("check").current_dir(&spec.dir).output().unwrap();
        assert!(start.elapsed() < Duration::from_secs(10), "WIREPLAN_THREADS={value} hung");
        assert_eq!(code(&out), 0, "WIREPLAN_THREADS={value}: {}", stderr(&out));
        assert!(stderr(&out).contains("WIREPLAN_THREADS"), "{value}: the clamp is said: {}", stderr(&out));
    }
}

#[test]
fn detected_secrets_are_never_printed() {
    let spec = TempSpec::new("hostile-secrets");
    let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    spec.file(
        "wireplan.kdl",
        format!(
            "system \"{key}\" kind=crm {{\n    owner \"{key}\"\n    bogus 1\n}}\n\
             system \"b\" kind=email {{ secret \"{key}\" }}\n\
             flow \"f\" {{\n    on \"e\"\n    to b action=update\n}}\n"
        ),
    );
    for (format, text) in every_format(&spec) {
        assert!(!text.contains(key), "{format} printed the secret:\n{text}");
        assert!(text.contains("sk_l*"), "{format} shows a masked prefix");
    }
    for args in [&["plan"][..], &["plan", "--format", "markdown"], &["plan", "--format", "json"], &["graph"]] {
        let out = spec.run(args);
        let text = stdout(&out) + &stderr(&out);
        assert!(!text.contains(key), "{args:?} printed the secret:\n{text}");
    }
    let page = spec.dir.join("plan.html");
    let out = spec.run(&["plan", "--html", page.to_str().unwrap()]);
    assert!(page.exists(), "{}", stderr(&out));
    assert!(!std::fs::read_to_string(&page).unwrap().contains(key), "the HTML page holds the secret");
}

#[test]
fn many_findings_are_capped_per_rule_and_file() {
    let spec = TempSpec::new("hostile-caps");
    // 5,000 stray closing braces: 5,000 syntax errors, of which 1,000 shown.
    spec.file("wireplan.kdl", "}\n".repeat(5_000));
    let out = spec.run(&["check", "--format", "json"]);
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1001);
    let last = diagnostics.last().unwrap();
    assert!(last["message"].as_str().unwrap().contains("and 4000 more `syntax` findings"), "{last}");
}

#[test]
fn human_output_stays_linear_in_findings_times_file_size() {
    // Thousands of findings in a 2 MB file: drawn from the line index, not by
    // rescanning the file for each (once 11.7 s; JSON took 0.03 s).
    let spec = TempSpec::new("hostile-linear");
    let mut text = String::new();
    for i in 0..3_000 {
        text.push_str(&format!("system \"s{i}\" kind=crm {{\n    owner \"{}\"\n}}\n", "x".repeat(600)));
    }
    assert!(text.len() > 1_800_000);
    spec.file("wireplan.kdl", &text);
    let time = |format: &str| {
        let start = Instant::now();
        let out = spec.run(&["check", "--format", format]);
        assert!(matches!(code(&out), 0 | 1));
        start.elapsed()
    };
    let (json, human) = (time("json"), time("human"));
    assert!(human < json * 5 + Duration::from_millis(500), "human {human:?} vs json {json:?}");
}

#[test]
fn a_column_is_the_same_in_every_format() {
    // Four two-byte characters before the kind: columns count characters
    // everywhere (the human format once counted bytes).
    let spec = TempSpec::new("hostile-columns");
    spec.file("wireplan.kdl", "system \"éééé\" kind=bogus\n");
    let json: serde_json::Value = serde_json::from_slice(&spec.run(&["check", "--format", "json"]).stdout).unwrap();
    let bad = json["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "bad-value").unwrap().clone();
    assert_eq!(bad["column"], 20);
    assert!(stdout(&spec.run(&["check"])).contains("--> wireplan.kdl:1:20"));
    assert!(stdout(&spec.run(&["check", "--format", "short"])).contains("wireplan.kdl:1:20:"));
    assert!(stdout(&spec.run(&["check", "--format", "github"])).contains("line=1,col=20,"));
}
