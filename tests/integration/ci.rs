//! wireplan in CI pipelines: baselines, JUnit, SARIF fingerprints, shell
//! completions, the pre-commit hooks and the GitHub Action, each checked with
//! the real tool that consumes it (xmlschema with Jenkins' JUnit schema, bash,
//! pre-commit, a YAML parser).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{TempSpec, code, root, stderr, stdout, wireplan};

/// The folder `scripts/test.sh` installs tools into.
fn tools() -> PathBuf {
    std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from)
}

/// A tool from `.tools/`; missing, a one-line failure naming the setup script.
fn tool(rel: &str) -> PathBuf {
    let path = tools().join(rel);
    assert!(path.exists(), "{} is missing: run `scripts/test.sh`, which installs it into .tools/", path.display());
    path
}

const SPEC: &str = "system \"crm\" kind=crm\nsystem \"mail\" kind=email\n\
    event \"lead.created\" from=crm version=1\n\
    flow \"lead-to-mail\" {\n    on \"lead.created\"\n    to mail action=create\n}\n";

fn findings(out: &std::process::Output) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["rule"].as_str().unwrap().to_owned(), d["message"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_baseline_hides_old_findings_after_every_line_moved_and_shows_new_ones() {
    let spec = TempSpec::new("ci-baseline");
    spec.file("wireplan.kdl", SPEC);
    let before = findings(&spec.run(&["check", "--format", "json"]));
    assert!(before.len() >= 2, "{before:?}");
    let out = spec.run(&["check", "--write-baseline", "wireplan-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let written = std::fs::read_to_string(spec.dir.join("wireplan-baseline.json")).unwrap();
    // Deterministic: writing again gives the same bytes.
    spec.run(&["check", "--write-baseline", "wireplan-baseline.json"]);
    assert_eq!(written, std::fs::read_to_string(spec.dir.join("wireplan-baseline.json")).unwrap());
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/baseline.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&serde_json::from_str(&written).unwrap()), "{written}");

    // Unrelated edits move every line; a new system brings one new finding.
    spec.file("wireplan.kdl", format!("// architecture of the sales team\n\n\n{SPEC}\nsystem \"erp\" kind=erp\n"));
    let out = spec.run(&["check", "--format", "json", "--baseline", "wireplan-baseline.json"]);
    let after = findings(&out);
    assert_eq!(after.len(), 1, "only the new finding is reported: {after:?}");
    assert!(after[0].1.contains("`erp`"), "{after:?}");
    assert!(stderr(&out).contains(&format!("{} finding(s) hidden by the baseline", before.len())), "{}", stderr(&out));

    // A finding that was fixed and comes back is new: fix it, re-baseline, undo the fix.
    spec.file("wireplan.kdl", SPEC.replace("action=create\n", "action=create\n    log\n"));
    spec.run(&["check", "--write-baseline", "wireplan-baseline.json"]);
    spec.file("wireplan.kdl", SPEC);
    let back = findings(&spec.run(&["check", "--format", "json", "--baseline", "wireplan-baseline.json"]));
    assert_eq!(back.iter().map(|(rule, _)| rule.as_str()).collect::<Vec<_>>(), ["no-logging"], "{back:?}");
}

#[test]
fn sarif_fingerprints_survive_moved_lines() {
    let spec = TempSpec::new("ci-sarif-fingerprints");
    let prints = |text: &str| -> Vec<String> {
        spec.file("wireplan.kdl", text);
        let sarif: serde_json::Value =
            serde_json::from_slice(&spec.run(&["check", "--format", "sarif"]).stdout).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["wireplanFingerprint/v1"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = prints(SPEC);
    assert!(!first.is_empty());
    let moved = prints(&format!("\n\n// moved\n{SPEC}"));
    assert_eq!(first, moved);
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn junit_output_validates_against_the_schema_jenkins_and_gitlab_read() {
    let python = tool("venv/bin/python");
    let xsd = tool("junit-10.xsd");
    let spec = TempSpec::new("ci-junit");
    spec.file("wireplan.kdl", format!("{SPEC}system \"a<&\\\"b\" kind=bogus\n"));
    let out = spec.run(&["check", "--format", "junit"]);
    assert_eq!(code(&out), 1);
    let report = spec.file("report.xml", &out.stdout);
    let xml = stdout(&out);
    assert!(xml.contains("<testsuite name=\"WP106 no-logging\" tests=\"1\" failures=\"1\""), "{xml}");
    assert!(
        xml.contains("<testcase name=\"flow &quot;lead-to-mail&quot;\" classname=\"wireplan.no-logging\">"),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"spec\" classname=\"wireplan.sync-cycle\"/>"), "{xml}");
    let validate = |file: &Path| {
        Command::new(&python)
            .args(["-c", "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])"])
            .arg(&xsd)
            .arg(file)
            .output()
            .unwrap()
    };
    let checked = validate(&report);
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    // The validator rejects what is not JUnit.
    let bad = spec.file("bad.xml", "<testsuites><testsuite name=\"x\"/></testsuites>");
    assert!(!validate(&bad).status.success(), "a suite without its counts must fail");
}

#[test]
fn bash_completes_subcommands_from_the_generated_script() {
    let out = wireplan().args(["completions", "bash"]).output().unwrap();
    assert_eq!(code(&out), 0);
    let spec = TempSpec::new("ci-completions");
    let script = spec.file("wireplan.bash", &out.stdout);
    let probe = format!(
        "source {}; COMP_WORDS=(wireplan pl); COMP_CWORD=1; COMP_LINE='wireplan pl'; COMP_POINT=11; \
         _wireplan wireplan pl wireplan; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let done = Command::new("bash").args(["--norc", "--noprofile", "-c", &probe]).output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let words = String::from_utf8_lossy(&done.stdout);
    assert_eq!(words.trim(), "plan", "{words}");
    for shell in ["zsh", "fish", "powershell"] {
        let out = wireplan().args(["completions", shell]).output().unwrap();
        assert!(code(&out) == 0 && !out.stdout.is_empty(), "{shell}");
    }
    let man = stdout(&wireplan().arg("man").output().unwrap());
    assert!(man.contains(".TH wireplan 1") && man.contains("check"), "{man}");
}

/// A YAML file parsed by PyYAML (what pre-commit itself uses), as JSON.
fn yaml(path: &Path) -> serde_json::Value {
    let python = tool("venv/bin/python");
    let out = Command::new(python)
        .args(["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_github_action_is_a_well_formed_composite_action() {
    let action = yaml(&root().join("action.yml"));
    assert_eq!(action["runs"]["using"], "composite");
    assert!(action["name"].is_string() && action["description"].is_string());
    let inputs = action["inputs"].as_object().unwrap();
    for (name, input) in inputs {
        assert!(input["description"].is_string(), "input {name} has a description");
    }
    let steps = action["runs"]["steps"].as_array().unwrap();
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(step["shell"].is_string(), "a composite `run` step needs `shell`: {step}");
            // Inputs reach scripts through `env`, never pasted into them
            // (a pasted input is a script injection).
            assert!(!run.contains("${{"), "an expression inside a run script: {run}");
        } else {
            assert!(step["uses"].is_string(), "a step runs or uses something: {step}");
        }
    }
    // Every input the steps read is declared.
    for used in text.split("inputs.").skip(1) {
        let name: String = used.chars().take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_').collect();
        assert!(inputs.contains_key(&name), "inputs.{name} is not declared");
    }
    assert!(text.contains("--format sarif") && text.contains("upload-sarif"));
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn pre_commit_runs_the_hooks_with_the_real_binary() {
    let pre_commit = tool("venv/bin/pre-commit");
    let hooks = yaml(&root().join(".pre-commit-hooks.yaml"));
    let ids: Vec<&str> = hooks.as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"wireplan-check") && ids.contains(&"wireplan-fmt"), "{ids:?}");

    // A hooks repository holding only the hooks file, committed (pre-commit
    // uses what is committed at `rev`), and a project that uses it.
    let work = TempSpec::new("ci-pre-commit");
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let hooks_repo = work.dir.join("hooks");
    std::fs::create_dir_all(&hooks_repo).unwrap();
    std::fs::copy(root().join(".pre-commit-hooks.yaml"), hooks_repo.join(".pre-commit-hooks.yaml")).unwrap();
    git(&hooks_repo, &["init", "-q"]);
    git(&hooks_repo, &["add", "."]);
    git(&hooks_repo, &["commit", "-qm", "hooks"]);
    let rev = git(&hooks_repo, &["rev-parse", "HEAD"]);

    let project = work.dir.join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: wireplan-check-system\n",
            hooks_repo.display()
        ),
    )
    .unwrap();
    std::fs::write(project.join("wireplan.kdl"), "system \"crm\" kind=crm\n").unwrap();
    git(&project, &["init", "-q"]);
    git(&project, &["add", "."]);

    let bin = PathBuf::from(env!("CARGO_BIN_EXE_wireplan"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let run = || {
        Command::new(&pre_commit)
            .args(["run", "--all-files"])
            .current_dir(&project)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", work.dir.join("cache"))
            .output()
            .unwrap()
    };
    let clean = run();
    assert!(clean.status.success(), "a clean spec passes: {}{}", stdout(&clean), stderr(&clean));
    std::fs::write(project.join("wireplan.kdl"), "system \"crm\" kind=crn\n").unwrap();
    git(&project, &["add", "."]);
    let broken = run();
    assert!(!broken.status.success(), "a spec with an error fails the hook");
    assert!(stdout(&broken).contains("unknown system kind"), "the real binary ran: {}", stdout(&broken));
}
