//! `build` carries out what `check` accepts, or says so: a statement the
//! target drops is a `not-carried-out` warning at its place, the build still
//! writes, `--deny-warnings` stops it, and the generated README says what
//! runs. Each case has its near miss that must stay quiet.

use crate::util::{TempSpec, code, stderr};

const SYSTEMS: &str = r#"
system "crm" kind=crm {
    webhooks #true
    rate-limit 10 per=second
    entity "contact" {
        field "email" type=string required=#true
    }
}
system "mail" kind=email {
    webhooks #true
    entity "subscriber" {
        field "email" type=string required=#true
    }
}
system "lake" kind=lake
event "contact.updated" from=crm entity=contact version=1 {
    field "email" type=string required=#true
}
"#;

fn spec(name: &str, flows: &str) -> TempSpec {
    let spec = TempSpec::new(name);
    spec.file("wireplan.kdl", format!("{SYSTEMS}{flows}"));
    spec
}

fn warnings(out: &std::process::Output) -> Vec<String> {
    stderr(out).lines().filter(|l| l.contains("warning[not-carried-out]")).map(str::to_owned).collect()
}

const ONE_WAY: &str = r#"
flow "crm-to-mail" {
    on "contact.updated"
    to mail action=upsert entity=subscriber { map "email" to="email"; }
    idempotency-key "email"
    retry attempts=3 backoff=fixed initial="5s"
    dead-letter
    log
}
"#;

#[test]
fn a_loop_guard_runs_on_both_targets_and_a_dropped_statement_is_a_warning_at_it() {
    // Both targets carry `loop-guard` out (issue 22): quiet, and each
    // README says how.
    let guarded = ONE_WAY.replace("    log\n", "    log\n    loop-guard\n");
    let s = spec("fidelity-loop-guard", &guarded);
    for (target, how) in
        [("hub", "| `loop-guard` | 1 | echo suppression"), ("broker", "| `loop-guard` | 1 | the hub's echo")]
    {
        let out = s.run(&["build", "--target", target, "--out", target]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(warnings(&out).is_empty(), "{target}: {:?}", warnings(&out));
        let readme = std::fs::read_to_string(s.dir.join(target).join("README.md")).unwrap();
        assert!(readme.contains(how), "{readme}");
    }

    // A statement the broker drops (`when`) is a warning at it, and
    // --deny-warnings stops the build.
    let filtered = ONE_WAY.replace("    log\n", "    log\n    when \"email\" \"a@example.com\"\n");
    let s = spec("fidelity-when", &filtered);
    let out = s.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let found = warnings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("wireplan.kdl:27:5: warning[not-carried-out]: `when`"), "{found:?}");
    assert!(stderr(&out).contains("NOT CARRIED OUT"), "{}", stderr(&out));
    let readme = std::fs::read_to_string(s.dir.join("out/README.md")).unwrap();
    assert!(readme.contains("## What runs") && readme.contains("| `when` | 1 | **not carried out**"), "{readme}");

    let denied = s.run(&["build", "--target", "broker", "--out", "denied", "--deny-warnings"]);
    assert_eq!(code(&denied), 1, "{}", stderr(&denied));
    assert!(!s.dir.join("denied").exists(), "--deny-warnings wrote files");

    // The near miss: the same flow without `when` warns of nothing.
    let quiet = spec("fidelity-when-quiet", ONE_WAY);
    let out = quiet.run(&["build", "--target", "broker", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
}

#[test]
fn a_rate_limit_is_one_throttle_on_both_targets_for_every_flow_that_writes_to_it() {
    let flows = r#"
flow "one" {
    on "contact.updated"
    to crm action=upsert entity=contact { map "email" to="email"; }
    idempotency-key "email"
}
flow "two" {
    on "contact.updated"
    to crm action=upsert entity=contact { map "email" to="email"; }
    idempotency-key "email"
}
"#;
    // Both targets throttle (issue 22): quiet, one throttle tab for both flows.
    let s = spec("fidelity-rate-limit", flows);
    for target in ["hub", "broker"] {
        let out = s.run(&["build", "--target", target, "--out", target]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(warnings(&out).is_empty(), "{target}: {:?}", warnings(&out));
        let readme = std::fs::read_to_string(s.dir.join(target).join("README.md")).unwrap();
        assert!(readme.contains("| `rate-limit` | 2 | one shared throttle per system"), "{readme}");
        let flows = std::fs::read_to_string(s.dir.join(target).join("node-red/flows.json")).unwrap();
        assert_eq!(flows.matches("\"label\": \"wireplan: rate limit of crm\"").count(), 1, "{target}");
    }
    // Writing to the system without a limit has no throttle.
    let quiet =
        spec("fidelity-rate-limit-quiet", &flows.replace("to crm", "to mail").replace("contact {", "subscriber {"));
    let out = quiet.run(&["build", "--target", "broker", "--out", "out"]);
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
    assert!(!std::fs::read_to_string(quiet.dir.join("out/node-red/flows.json")).unwrap().contains("rate limit of"));
}

#[test]
fn the_broker_backs_off_as_declared_and_uses_the_first_targets_retry() {
    // Both back off as declared (the broker since issue 22): quiet for
    // `exponential` and `fixed` alike.
    let exponential = ONE_WAY.replace("backoff=fixed", "backoff=exponential");
    let out = spec("fidelity-backoff", &exponential).run(&["build", "--target", "broker", "--out", "out"]);
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
    let hub = spec("fidelity-backoff-hub", &exponential).run(&["build", "--target", "hub", "--out", "out"]);
    assert!(warnings(&hub).is_empty(), "{:?}", warnings(&hub));
    let fixed = spec("fidelity-backoff-fixed", ONE_WAY).run(&["build", "--target", "broker", "--out", "out"]);
    assert!(warnings(&fixed).is_empty(), "{:?}", warnings(&fixed));

    let two_targets = r#"
flow "crm-to-both" {
    on "contact.updated"
    to mail action=upsert entity=subscriber {
        map "email" to="email"
    }
    to crm action=upsert entity=contact {
        map "email" to="email"
        retry attempts=5 backoff=fixed initial="1s"
    }
    idempotency-key "email"
    retry attempts=3 backoff=fixed initial="5s"
}
"#;
    let out = spec("fidelity-target-retry", two_targets).run(&["build", "--target", "broker", "--out", "out"]);
    let found: Vec<String> = warnings(&out).into_iter().filter(|w| w.contains("`to { retry }`")).collect();
    assert_eq!(found.len(), 1, "{:?}", warnings(&out));
    assert!(found[0].starts_with("wireplan.kdl:27:9:"), "{found:?}");
    let hub = spec("fidelity-target-retry-hub", two_targets).run(&["build", "--target", "hub", "--out", "out"]);
    assert!(!warnings(&hub).iter().any(|w| w.contains("retry")), "{:?}", warnings(&hub));
}

#[test]
fn the_etl_target_says_it_neither_retries_a_run_nor_sets_rows_aside() {
    let batch = r#"
flow "contacts-nightly" {
    schedule cron="0 2 * * *"
    from crm entity=contact
    to lake action=append entity=contact
    retry attempts=3 backoff=fixed initial="5s"
    dead-letter
}
"#;
    let out = spec("fidelity-etl", batch).run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let found = warnings(&out);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("`retry`") && found[1].contains("`dead-letter`"), "{found:?}");
    let quiet = batch.replace("    retry attempts=3 backoff=fixed initial=\"5s\"\n    dead-letter\n", "");
    let out = spec("fidelity-etl-quiet", &quiet).run(&["build", "--target", "etl", "--out", "out"]);
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
}

/// (1.2) A `from` that reads only a window: the ETL target extracts what
/// changed since its last successful run, so the window is refused out loud
/// at its place, and the same job without it builds quietly.
#[test]
fn the_etl_target_refuses_a_window_it_does_not_read() {
    let batch = r#"
flow "contacts-of-yesterday" {
    schedule cron="0 2 * * *"
    from crm entity=contact window="1d"
    to lake action=append entity=contact
}
"#;
    let out = spec("fidelity-etl-window", batch).run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let found = warnings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`from window=`"), "{found:?}");
    assert!(stderr(&out).contains("drop `window=` where the extractor's state"), "{}", stderr(&out));
    let quiet = batch.replace(" window=\"1d\"", "");
    let out = spec("fidelity-etl-window-quiet", &quiet).run(&["build", "--target", "etl", "--out", "out"]);
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
}

/// `build --format json` says per flow how each statement is carried out,
/// lists the files it wrote, and matches `schemas/build.schema.json`; a
/// statement the target drops is `not-carried-out` there too, and a flow
/// without it has none.
#[test]
fn build_json_says_per_flow_how_each_statement_runs_and_matches_its_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(crate::util::root().join("schemas/build.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let filtered = ONE_WAY.replace("    log\n", "    log\n    when \"email\" \"a@example.com\"\n");
    let s = spec("fidelity-build-json", &filtered);
    let out = s.run(&["build", "--target", "hub", "--out", "out", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(validator.is_valid(&report), "{report:#}");
    assert!(!stderr(&out).contains("what runs"), "the human summary is not repeated on stderr");
    assert_eq!(report["outcome"], "written");
    assert_eq!(report["not_carried_out"], 1);
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0]["flow"], "crm-to-mail");
    let carried = |name: &str| {
        flows[0]["statements"].as_array().unwrap().iter().find(|s| s["statement"] == name).map(|s| s["carried"].clone())
    };
    assert_eq!(carried("retry backoff="), Some("runs".into()));
    assert_eq!(carried("when"), Some("not-carried-out".into()));
    assert_eq!(carried("loop-guard"), None, "a statement the flow does not use is not listed");
    // The files listed are the files written, each once, sorted.
    let files: Vec<&str> = report["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(files.contains(&"node-red/flows.json") && files.windows(2).all(|w| w[0] < w[1]), "{files:?}");
    for f in &files {
        assert!(s.dir.join("out").join(f).is_file(), "{f}");
    }
    // Built again: up to date, nothing listed; a hand edit under --check differs.
    let again = s.run(&["build", "--target", "hub", "--out", "out", "--format", "json"]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((again["outcome"].clone(), again["files"].clone()), ("up-to-date".into(), serde_json::json!([])));
    std::fs::write(s.dir.join("out/README.md"), "edited").unwrap();
    let check = s.run(&["build", "--target", "hub", "--out", "out", "--check", "--format", "json"]);
    assert_eq!(code(&check), 1);
    let check: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert!(validator.is_valid(&check), "{check:#}");
    assert_eq!(check["files"], serde_json::json!([{"path": "README.md", "change": "edited by hand"}]));

    // The near miss: without `when`, nothing is left out.
    let quiet = spec("fidelity-build-json-quiet", ONE_WAY);
    let out = quiet.run(&["build", "--target", "hub", "--out", "out", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["not_carried_out"], 0);
    assert!(report["flows"][0]["statements"].as_array().unwrap().iter().all(|s| s["carried"] != "not-carried-out"));
    // A spec with errors: valid JSON too, nothing built, exit 1.
    let broken = spec("fidelity-build-json-broken", "flow \"x\" { on \"nope\" }\n");
    let out = broken.run(&["build", "--target", "hub", "--out", "out", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(validator.is_valid(&report) && report["outcome"] == "not-built", "{report:#}");
    assert!(!report["errors"].as_array().unwrap().is_empty());
}

/// `ha #true` on the hub a flow runs via: one Node-RED process is not
/// highly available, so the hub target says so at `ha`; the broker target
/// runs it (quorum queues on a cluster, connectors with every node's
/// address). The near miss, `ha #false`, is quiet on both.
#[test]
fn a_highly_available_hub_is_not_carried_out_by_one_node_red() {
    let via_hub = |ha: &str| {
        format!(
            "system \"hub\" kind=hub {{\n    ha {ha}\n}}\n{}",
            ONE_WAY.replace("    on \"contact.updated\"\n", "    on \"contact.updated\"\n    via hub\n")
        )
    };
    let s = spec("fidelity-ha", &via_hub("#true"));
    let out = s.run(&["build", "--target", "hub", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let found = warnings(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`ha` is not carried out by `--target hub`"), "{found:?}");
    let broker = s.run(&["build", "--target", "broker", "--out", "broker"]);
    assert_eq!(code(&broker), 0, "{}", stderr(&broker));
    assert!(warnings(&broker).iter().all(|w| !w.contains("`ha`")), "{:?}", warnings(&broker));

    let quiet = spec("fidelity-ha-quiet", &via_hub("#false"));
    let out = quiet.run(&["build", "--target", "hub", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(warnings(&out).is_empty(), "{:?}", warnings(&out));
}

/// (1.2) A `read` is sent by no target: the hub and the broker say so at the
/// statement, and the ETL target loads nothing for a read of the lake (only
/// the flow's write becomes a model), where a write of it would be loaded.
#[test]
fn a_read_is_refused_out_loud_and_never_loaded() {
    let flows = r#"
flow "contacts-compared" {
    schedule cron="0 2 * * *"
    from crm entity=contact
    to lake action=read entity=known_contact {
        call timeout="10s"
    }
    to lake action=append entity=contact
}
flow "crm-to-mail" {
    on "contact.updated"
    to mail action=read entity=subscriber {
        call timeout="2s"
    }
    to mail action=upsert entity=subscriber { map "email" to="email"; }
    idempotency-key "email"
    retry attempts=3
    dead-letter
    log
}
"#;
    let built = spec("fidelity-read", flows);
    for target in ["hub", "broker"] {
        let out = built.run(&["build", "--target", target, "--out", &format!("out-{target}")]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let found = warnings(&out);
        assert!(found.iter().any(|w| w.contains("`to action=read`")), "{target}: {found:?}");
        // One step `to mail` (the upsert); the read would be a second.
        let flows_json = std::fs::read_to_string(built.dir.join(format!("out-{target}/node-red/flows.json"))).unwrap();
        assert_eq!(flows_json.matches("\"name\": \"to mail\"").count(), 1, "{target}");
    }
    // The near miss: the same call written as a `send` is sent, a second step.
    let sent = spec("fidelity-read-sent", &flows.replace("to mail action=read", "to mail action=send"));
    let out = sent.run(&["build", "--target", "hub", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let flows_json = std::fs::read_to_string(sent.dir.join("out/node-red/flows.json")).unwrap();
    assert_eq!(flows_json.matches("\"name\": \"to mail\"").count(), 2);
    let out = built.run(&["build", "--target", "etl", "--out", "out-etl"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let models: Vec<String> = crate::util::files(&built.dir.join("out-etl"))
        .iter()
        .map(std::path::Path::new)
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(models.iter().any(|m| m.contains("contact") && !m.contains("known")), "{models:?}");
    assert!(!models.iter().any(|m| m.contains("known_contact")), "{models:?}");
}
