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
            .map(|r| r["partialFingerprints"]["wireplanFingerprint/v2"].as_str().unwrap().to_owned())
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
    assert!(xml.contains("<testsuite name=\"WP104 no-error-handling\" tests=\"1\" failures=\"1\""), "{xml}");
    assert!(
        xml.contains("<testcase name=\"flow &quot;lead-to-mail&quot;\" classname=\"wireplan.no-error-handling\">"),
        "{xml}"
    );
    // An info (`no-logging` since it became one) passes.
    assert!(xml.contains("<testsuite name=\"WP106 no-logging\" tests=\"1\" failures=\"0\""), "{xml}");
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

    // It sets up the toolchain Cargo.toml asks for, and caches the build.
    let cargo_toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let rust_version =
        cargo_toml.lines().find_map(|l| l.strip_prefix("rust-version = \"")).unwrap().trim_end_matches('"');
    let step = |name: &str| steps.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no step {name}"));
    let setup = step("Set up Rust")["run"].as_str().unwrap();
    assert!(setup.contains(&format!("rustup toolchain install {rust_version}")), "{setup}");
    let build = step("Build wireplan");
    assert!(build["run"].as_str().unwrap().contains(&format!("cargo +{rust_version}")), "{build}");
    let cache = step("Restore the cached build");
    assert!(cache["uses"].as_str().unwrap().starts_with("actions/cache@"), "{cache}");
    for skipped in [step("Set up Rust"), build] {
        assert_eq!(skipped["if"], "${{ steps.cache.outputs.cache-hit != 'true' }}", "built only on a cache miss");
    }

    // The scripts run as written: the cache key names the version, and the
    // check step runs the installed binary and reports its exit code.
    let work = TempSpec::new("ci-action");
    work.file("spec/wireplan.kdl", SPEC);
    let output = work.file("github-output", "");
    let run_step = |name: &str, env: &[(&str, &str)]| {
        let out = Command::new("bash")
            .args(["-e", "-c", step(name)["run"].as_str().unwrap()])
            .current_dir(&work.dir)
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_OUTPUT", &output)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_TEMP", &work.dir)
            .env("HOME", &work.dir)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    };
    run_step("Key the cached build", &[]);
    let outputs = std::fs::read_to_string(&output).unwrap();
    let version = cargo_toml.lines().find_map(|l| l.strip_prefix("version = \"")).unwrap().trim_end_matches('"');
    assert!(outputs.contains(&format!("key=wireplan-Linux-{version}-")), "{outputs}");
    let installed = work.dir.join(".wireplan-action/bin");
    std::fs::create_dir_all(&installed).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wireplan"), installed.join("wireplan")).unwrap();
    let root_dir = work.dir.join(".wireplan-action").display().to_string();
    run_step(
        "Check the spec",
        &[("SPEC_PATH", "spec"), ("FORMAT", "sarif"), ("BASELINE", ""), ("ARGS", ""), ("ROOT", &root_dir)],
    );
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(outputs.contains("exit-code=0"), "{outputs}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.dir.join("wireplan.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

#[test]
fn check_files_checks_each_spec_that_holds_a_file_once() {
    let work = TempSpec::new("ci-check-files");
    work.file("a/wireplan.kdl", "include \"parts/*.kdl\"\n");
    work.file("a/parts/one.kdl", "system \"crm\" kind=crm\n");
    work.file("a/parts/two.kdl", "system \"mail\" kind=email\n");
    work.file("b/deep/wireplan.kdl", "system \"shop\" kind=crn\n");
    // Not included by the spec above it: no spec holds it.
    work.file("a/stray.kdl", "whatever\n");
    let out = work.run(&[
        "check",
        "--format",
        "short",
        "--files",
        "a/parts/one.kdl",
        "a/parts/two.kdl",
        "b/deep/wireplan.kdl",
        "a/stray.kdl",
    ]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "b's spec has an error: {text}{}", stderr(&out));
    assert!(text.contains("unknown system kind"), "{text}");
    assert_eq!(text.matches("unused-system").count(), 2, "spec a checked once, with its two systems: {text}");
    assert!(stderr(&out).contains("skipped a/stray.kdl"), "{}", stderr(&out));
    // Only a clean spec: exit 0; only a stray file: nothing to do.
    assert_eq!(code(&work.run(&["check", "--files", "a/parts/one.kdl"])), 0);
    assert_eq!(code(&work.run(&["check", "--files", "a/stray.kdl"])), 0);
    let fmt = work.run(&["fmt", "--check", "--files", "a/parts/two.kdl"]);
    assert_eq!(code(&fmt), 0, "{}", stderr(&fmt));
    work.file("a/parts/two.kdl", "system   \"mail\" kind=email\n");
    let fmt = work.run(&["fmt", "--check", "--files", "a/parts/one.kdl"]);
    assert_eq!(code(&fmt), 1, "two.kdl, in the same spec as one.kdl, is not formatted");
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
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: wireplan-check-system\n      - id: wireplan-fmt-system\n",
            hooks_repo.display()
        ),
    )
    .unwrap();
    // The spec lives in a subfolder, as in the Action's example, split
    // over an include; another KDL file in the repository is no spec.
    let arch = project.join("architecture");
    std::fs::create_dir_all(arch.join("parts")).unwrap();
    std::fs::write(arch.join("wireplan.kdl"), "include \"parts/*.kdl\"\n").unwrap();
    std::fs::write(arch.join("parts/crm.kdl"), "system \"crm\" kind=crm\n").unwrap();
    std::fs::create_dir_all(project.join("other")).unwrap();
    std::fs::write(project.join("other/settings.kdl"), "anything   goes here\n").unwrap();
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
    std::fs::write(arch.join("parts/crm.kdl"), "system \"crm\" kind=crn\n").unwrap();
    git(&project, &["add", "."]);
    let broken = run();
    assert!(!broken.status.success(), "a spec with an error fails the hook");
    assert!(stdout(&broken).contains("unknown system kind"), "the real binary ran: {}", stdout(&broken));
    // A valid spec laid out badly fails the fmt hook, and only it.
    std::fs::write(arch.join("parts/crm.kdl"), "system   \"crm\"    kind=crm\n").unwrap();
    git(&project, &["add", "."]);
    let unformatted = run();
    assert!(!unformatted.status.success(), "an unformatted spec fails the fmt hook");
    let text = stdout(&unformatted);
    assert!(text.contains("+system \"crm\" kind=crm"), "the diff of the real `fmt --check`: {text}");

    // The AsyncAPI hook: a CI workflow's YAML passes untouched; an AsyncAPI
    // document with an error fails it, at its line.
    std::fs::write(arch.join("parts/crm.kdl"), "system \"crm\" kind=crm\n").unwrap();
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: wireplan-check-asyncapi-system\n",
            hooks_repo.display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(project.join(".github/workflows")).unwrap();
    std::fs::write(project.join(".github/workflows/ci.yml"), "name: ci\non: [push]\njobs: {}\n").unwrap();
    git(&project, &["add", "."]);
    let yaml_only = run();
    assert!(yaml_only.status.success(), "other YAML passes: {}{}", stdout(&yaml_only), stderr(&yaml_only));
    std::fs::write(project.join("api.yaml"), "asyncapi: 4.0.0\ninfo:\n  title: t\n  version: 1.0.0\n").unwrap();
    git(&project, &["add", "."]);
    let bad_api = run();
    assert!(!bad_api.status.success(), "a broken AsyncAPI document fails the hook");
    assert!(stdout(&bad_api).contains("api.yaml:1:11"), "at its line: {}", stdout(&bad_api));
}

const BEFORE: &str = "system \"crm\" kind=crm { webhooks #true }\nsystem \"mail\" kind=email\n\
    event \"lead.created\" from=crm version=1 {\n    key \"id\"\n    field \"id\" type=string required=#true\n    \
    field \"email\" type=email\n}\n\
    flow \"lead-to-mail\" {\n    on \"lead.created\"\n    to mail action=upsert\n    idempotency-key \"id\"\n    \
    retry attempts=3\n    dead-letter\n    log\n}\n";

/// `wireplan diff` of two spec texts: exit code and JSON changes as (class, node, change).
fn diff_of(old: &str, new: &str, extra: &[&str]) -> (i32, Vec<(String, String, String)>) {
    let spec = TempSpec::new("ci-diff");
    spec.file("old/wireplan.kdl", old);
    spec.file("new/wireplan.kdl", new);
    let mut args = vec!["diff", "old", "new", "--format", "json"];
    args.extend_from_slice(extra);
    let out = spec.run(&args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/diff.schema.json")).unwrap()).unwrap();
    assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&report), "{report}");
    let changes = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_owned();
            (s("class"), s("node"), s("change"))
        })
        .collect();
    (code(&out), changes)
}

#[test]
fn diff_calls_a_removed_field_breaking_and_a_removed_dead_letter_risky() {
    let new = BEFORE.replace("    field \"email\" type=email\n", "").replace("    dead-letter\n", "");
    let (exit, changes) = diff_of(BEFORE, &new, &[]);
    assert_eq!(exit, 1, "breaking changes fail by default: {changes:?}");
    let has = |class: &str, text: &str| changes.iter().any(|(c, _, t)| c == class && t.contains(text));
    assert!(has("breaking", "field `email` removed without a `version` bump"), "{changes:?}");
    assert!(has("risky", "`dead-letter` removed"), "{changes:?}");
    assert!(has("risky", "new finding [no-dead-letter]"), "{changes:?}");
    assert_eq!(diff_of(BEFORE, &new, &["--fail-on", "never"]).0, 0);

    // The same removal with a version bump is safe; only the risky part can fail.
    let bumped = new.replace("version=1", "version=2");
    let (exit, changes) = diff_of(BEFORE, &bumped, &[]);
    assert_eq!(exit, 0, "{changes:?}");
    assert!(changes.iter().any(|(c, _, t)| c == "safe" && t.contains("field `email` removed (version 1 to 2)")));
    assert_eq!(diff_of(BEFORE, &bumped, &["--fail-on", "risky"]).0, 1);
}

#[test]
fn diff_tells_renames_from_removals_and_ignores_moves() {
    // Moving and commenting changes nothing.
    let moved = format!("// reordered\n\n{}", BEFORE.replace("    log\n", "    log // audit\n"));
    let (exit, changes) = diff_of(BEFORE, &moved, &[]);
    assert_eq!((exit, changes.len()), (0, 0), "{changes:?}");
    // A flow renamed, otherwise the same: one safe rename, not a remove and an add.
    let (_, changes) = diff_of(BEFORE, &BEFORE.replace("flow \"lead-to-mail\"", "flow \"leads-to-newsletter\""), &[]);
    assert_eq!(
        changes,
        vec![("safe".into(), "flow \"lead-to-mail\"".into(), "renamed to `leads-to-newsletter`".into())],
        "{changes:?}"
    );
    // A field renamed without a version bump breaks consumers.
    let (_, changes) = diff_of(BEFORE, &BEFORE.replace("field \"email\"", "field \"mail\""), &[]);
    assert!(
        changes
            .iter()
            .any(|(c, _, t)| c == "breaking" && t == "field `email` renamed to `mail` without a `version` bump")
    );
    // A write made non-idempotent, and an event removed while a flow uses it.
    let (_, changes) = diff_of(BEFORE, &BEFORE.replace("action=upsert", "action=create"), &[]);
    assert!(changes.iter().any(|(c, _, t)| c == "breaking" && t.contains("(idempotent) to `create`")), "{changes:?}");
}

#[test]
fn diff_and_changed_since_read_the_spec_from_git() {
    let spec = TempSpec::new("ci-git");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(&spec.dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    spec.file("arch/wireplan.kdl", format!("{BEFORE}system \"erp\" kind=erp\n"));
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    // Now: every line moves, the flow loses its log, the unused `erp` stays.
    spec.file("arch/wireplan.kdl", format!("\n\n{}system \"erp\" kind=erp\n", BEFORE.replace("    log\n", "")));
    let out = spec.run(&["diff", "--against", "HEAD", "arch"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("risky     flow \"lead-to-mail\": `log` removed"), "{}", stdout(&out));
    let out = spec.run(&["check", "arch", "--changed-since", "HEAD", "--format", "short"]);
    let text = stdout(&out);
    assert!(text.contains("no-logging"), "the changed flow's finding: {text}");
    assert!(!text.contains("`erp`"), "the unchanged system's finding is not reported: {text}");
    let all = stdout(&spec.run(&["check", "arch", "--format", "short"]));
    assert!(all.contains("`erp`"), "{all}");
    let out = spec.run(&["diff", "--against", "no-such-rev", "arch"]);
    assert_eq!(code(&out), 2);
}

/// A stack of `tools` tools in a chain of flows, with a broker, where
/// `p2p-sprawl` and `stage-mismatch` fire: flow `i` carries tool `i`'s
/// changes to tool `i + 1`, through the broker where `brokered` holds `i`;
/// `extra` more flows carry tool 0's changes to tools 2, 3, ... directly
/// (a chain alone is no sprawl: a hub would need more connections).
/// Every flow is otherwise as it should be.
fn stack(tools: usize, brokered: &[usize], extra: usize) -> String {
    let mut s = String::from("system \"events\" kind=broker { ha #true; }\n");
    for i in 0..tools {
        s.push_str(&format!("system \"t{i:02}\" kind=crm\nevent \"t{i:02}.changed\" from=t{i:02} version=1\n"));
    }
    let flow = |name: String, from: usize, to: usize, via: bool| {
        format!(
            "flow \"{name}\" {{\n    on \"t{from:02}.changed\"\n{}    to t{to:02} action=upsert\n    idempotency-key \"id\"\n    retry attempts=3\n    dead-letter alert=\"ops\"\n    log\n}}\n",
            if via { "    via events\n" } else { "" },
        )
    };
    for i in 0..tools - 1 {
        s.push_str(&flow(format!("f{i:02}"), i, i + 1, brokered.contains(&i)));
    }
    for k in 0..extra {
        s.push_str(&flow(format!("extra{k}"), 0, 2 + k, false));
    }
    s
}

#[test]
fn a_baseline_survives_improvement_growth_and_a_moved_file() {
    let spec = TempSpec::new("ci-baseline-improvement");
    let rules = |out: &std::process::Output| findings(out).into_iter().map(|(r, _)| r).collect::<Vec<_>>();
    spec.file("wireplan.kdl", stack(12, &[10], 4));
    let before = rules(&spec.run(&["check", "--format", "json"]));
    assert!(before.iter().any(|r| r == "p2p-sprawl") && before.iter().any(|r| r == "stage-mismatch"), "{before:?}");
    let out = spec.run(&["check", "--write-baseline", "wireplan-baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let new_findings = |entry: &str| {
        let out =
            spec.run(&["check", entry, "--format", "json", "--deny-warnings", "--baseline", "wireplan-baseline.json"]);
        (rules(&out), code(&out))
    };
    let baselined = |label: &str, entry: &str| {
        let (new, exit) = new_findings(entry);
        assert!(new.is_empty(), "{label}: baselined findings came back as new: {new:?}");
        assert_eq!(exit, 0, "{label}");
    };
    // Moving flows onto the broker: fewer direct pairs, and another flow first.
    spec.file("wireplan.kdl", stack(12, &[0, 1, 2, 10], 4));
    baselined("three flows moved onto the broker", "wireplan.kdl");
    spec.file("wireplan.kdl", stack(12, &[10], 5));
    baselined("an unrelated direct flow added", "wireplan.kdl");
    spec.file("wireplan.kdl", stack(12, &[10], 3));
    baselined("a flow removed", "wireplan.kdl");
    // The spec moved to another folder, under another name.
    std::fs::remove_file(spec.dir.join("wireplan.kdl")).unwrap();
    spec.file("architecture/stack.kdl", stack(12, &[10], 4));
    baselined("the spec file moved", "architecture/stack.kdl");

    // A near miss that must not stay hidden: a stack that grew into a
    // higher stage (from 2 to 3) is told so as a new finding.
    spec.file("architecture/stack.kdl", stack(6, &[], 0));
    spec.run(&["check", "architecture/stack.kdl", "--write-baseline", "wireplan-baseline.json"]);
    spec.file("architecture/stack.kdl", stack(12, &[], 0));
    let (new, _) = new_findings("architecture/stack.kdl");
    assert!(new.iter().any(|r| r == "stage-mismatch"), "stage 3 is due where stage 2 was: {new:?}");
}

#[test]
fn a_version_1_baseline_is_read_with_a_note() {
    let spec = TempSpec::new("ci-baseline-v1");
    spec.file("wireplan.kdl", SPEC);
    spec.run(&["check", "--write-baseline", "wireplan-baseline.json"]);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec.dir.join("wireplan-baseline.json")).unwrap()).unwrap();
    assert_eq!(written["version"], 2);
    let all = findings(&spec.run(&["check", "--format", "json"]));
    spec.file("old-baseline.json", r#"{"version": 1, "findings": []}"#);
    let out = spec.run(&["check", "--format", "json", "--baseline", "old-baseline.json"]);
    assert_eq!(findings(&out), all, "an empty baseline hides nothing");
    assert!(stderr(&out).contains("is a version 1 baseline"), "{}", stderr(&out));
    spec.file("future-baseline.json", r#"{"version": 3, "findings": []}"#);
    let out = spec.run(&["check", "--baseline", "future-baseline.json"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

/// Two flows on one event: one maps `email`, the other keys on `id`.
const READERS: &str = "system \"crm\" kind=crm { webhooks #true }\nsystem \"mail\" kind=email\nsystem \"books\" kind=accounting\n\
    event \"lead.created\" from=crm version=1 {\n    key \"id\"\n    field \"id\" type=string required=#true\n    \
    field \"email\" type=email\n}\n\
    flow \"lead-to-mail\" {\n    on \"lead.created\"\n    to mail action=upsert {\n        map \"email\" to=\"address\"\n    }\n    \
    idempotency-key \"id\"\n    retry attempts=3\n    dead-letter\n    log\n}\n\
    flow \"lead-to-books\" {\n    on \"lead.created\"\n    to books action=upsert\n    idempotency-key \"id\"\n    retry attempts=3\n    dead-letter\n    log\n}\n";

/// A change as (class, change, the flows it breaks).
type Affecting = (String, String, Vec<String>);

/// `wireplan diff` JSON's changes with the flows each breaks.
fn diff_affected(old: &str, new: &str) -> (i32, Vec<Affecting>, String) {
    let spec = TempSpec::new("ci-diff-affected");
    spec.file("old/wireplan.kdl", old);
    spec.file("new/wireplan.kdl", new);
    let out = spec.run(&["diff", "old", "new", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    let changes = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let affected = c["affected"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
            (c["class"].as_str().unwrap().to_owned(), c["change"].as_str().unwrap().to_owned(), affected)
        })
        .collect();
    let markdown = stdout(&spec.run(&["diff", "old", "new", "--format", "markdown"]));
    (code(&out), changes, markdown)
}

#[test]
fn diff_names_the_flows_each_breaking_change_breaks() {
    let mapped = "flow \"lead-to-mail\"";
    // A field removed with a version bump, while a flow of this spec still
    // maps it: still breaking, naming that flow (and only it).
    let new = READERS.replace("    field \"email\" type=email\n", "").replace("version=1", "version=2");
    let (exit, changes, markdown) = diff_affected(READERS, &new);
    let removal = changes.iter().find(|(_, c, _)| c.contains("field `email` removed")).unwrap();
    assert_eq!(removal.0, "breaking", "{changes:?}");
    assert!(removal.1.contains("but flows of this spec still read it"), "{changes:?}");
    assert_eq!(removal.2, [mapped], "{changes:?}");
    assert_eq!(exit, 1);
    assert!(markdown.contains("| `flow \"lead-to-mail\"` |"), "{markdown}");
    assert!(markdown.contains("**To merge:** update `flow \"lead-to-mail\"`"), "{markdown}");

    // The near miss: the flow no longer maps it, so the bump makes it safe.
    let updated = new.replace("        map \"email\" to=\"address\"\n", "");
    let (exit, changes, _) = diff_affected(READERS, &updated);
    let removal = changes.iter().find(|(_, c, _)| c.contains("field `email` removed")).unwrap();
    assert_eq!((removal.0.as_str(), removal.2.len()), ("safe", 0), "{changes:?}");
    assert_eq!(exit, 0, "{changes:?}");

    // A changed key names both flows that key on the old one.
    let rekeyed = READERS.replace("    key \"id\"\n", "    key \"email\"\n");
    let (_, changes, _) = diff_affected(READERS, &rekeyed);
    let key = changes.iter().find(|(_, c, _)| c.contains("key changed")).unwrap();
    assert_eq!(key.2, ["flow \"lead-to-books\"", "flow \"lead-to-mail\""], "{changes:?}");

    // Without a bump and with no flow reading it, the break is for
    // consumers outside the spec, and the comment says what to do.
    let (_, changes, markdown) = diff_affected(
        READERS,
        &READERS.replace("        map \"email\" to=\"address\"\n", "").replace("    field \"email\" type=email\n", ""),
    );
    let removal = changes.iter().find(|(_, c, _)| c.contains("field `email` removed")).unwrap();
    assert_eq!((removal.0.as_str(), removal.2.len()), ("breaking", 0), "{changes:?}");
    assert!(markdown.contains("consumers outside this spec"), "{markdown}");
    assert!(markdown.contains("bump the event's `version`"), "{markdown}");
}
