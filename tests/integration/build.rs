//! `wireplan build` end to end, and the one writer through the CLI: the
//! manifest guards hand edits and removes stale files, `--check` catches
//! drift, output is byte-identical, a spec with errors builds nothing,
//! hostile names stay inside their JSON strings, and `plan --html` never
//! loses data (issue 12: a spec file, a FIFO, a symbolic link, permissions).

use std::path::Path;

use crate::util::{TempSpec, code, root, stderr, stdout};

fn example() -> String {
    std::fs::read_to_string(root().join("examples/hub-studio/wireplan.kdl")).unwrap()
}

fn build(spec: &TempSpec, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["build", "--target", "hub", "--out", "out"];
    args.extend_from_slice(extra);
    spec.run(&args)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// A default many flows share is one note: the terminal names the first
/// ten and counts the rest, the generated README names them all.
#[test]
fn a_note_many_flows_share_is_printed_once() {
    let spec = TempSpec::new("build-grouped-notes");
    let mut text = String::from(
        "system \"shop\" kind=ecommerce {\n  api rest version=\"v1\"\n  webhooks #true\n}\n\
         system \"crm\" kind=crm {\n  api rest version=\"v1\"\n}\nsystem \"hub\" kind=hub\n",
    );
    for n in 0..12 {
        text.push_str(&format!(
            "event \"e{n:02}\" from=shop version=1 {{\n  key \"id\"\n  field \"id\" type=string required=#true\n}}\n\
             flow \"f{n:02}\" {{\n  on \"e{n:02}\"\n  via hub\n  to crm action=upsert {{\n    map \"id\" to=\"id\"\n  }}\n  \
             idempotency-key \"id\"\n  retry attempts=3\n  dead-letter\n  log\n}}\n"
        ));
    }
    spec.file("wireplan.kdl", text);
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let notes: Vec<String> = stderr(&out).lines().filter(|l| l.starts_with("note:")).map(str::to_owned).collect();
    assert_eq!(
        notes,
        ["note: 12 flows: sends PUT / (the default for `upsert`; say `request method=... path=...` in the `to`): \
          \"f00\", \"f01\", \"f02\", \"f03\", \"f04\", \"f05\", \"f06\", \"f07\", \"f08\", \"f09\" and 2 more (the \
          generated README names them all)"]
    );
    let readme = read(&spec.dir.join("out/README.md"));
    let listed = readme.lines().find(|l| l.starts_with("- 12 flows: sends PUT /")).unwrap_or_default();
    assert!(listed.ends_with(": f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11"), "{readme}");
}

#[test]
fn build_writes_the_hub_files_and_the_same_bytes_every_time() {
    let spec = TempSpec::new("build-basic");
    spec.file("wireplan.kdl", example());
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let notes = stderr(&out);
    assert!(notes.contains("note: flow \"order-to-newsletter\": sends PUT /member"), "{notes}");
    let dir = spec.dir.join("out");
    let files = ["README.md", "node-red/flows.json", "node-red/settings.js", ".wireplan-manifest.json"];
    let first: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(dir.join(f)).unwrap()).collect();
    let flows: serde_json::Value = serde_json::from_slice(&first[1]).unwrap();
    let tabs = flows.as_array().unwrap().iter().filter(|n| n["type"] == "tab").count();
    assert_eq!(tabs, 6, "one tab per flow, one for the endpoints and one for the delivery chain");
    // Byte-identical into another folder, and a rebuild writes nothing.
    let again = spec.run(&["build", "--target", "hub", "--out", "out2"]);
    assert_eq!(code(&again), 0);
    for (f, bytes) in files.iter().zip(&first) {
        assert!(std::fs::read(spec.dir.join("out2").join(f)).unwrap() == *bytes, "{f} differs");
    }
    let rebuilt = build(&spec, &[]);
    assert_eq!(code(&rebuilt), 0);
    assert!(stderr(&rebuilt).contains("is up to date"), "{}", stderr(&rebuilt));
    let check = build(&spec, &["--check"]);
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
}

#[test]
fn check_catches_a_hand_edit_and_a_stale_file_and_build_refuses_without_force() {
    let spec = TempSpec::new("build-drift");
    spec.file("wireplan.kdl", example());
    assert_eq!(code(&build(&spec, &[])), 0);
    let dir = spec.dir.join("out");
    let flows = dir.join("node-red/flows.json");
    std::fs::write(&flows, read(&flows).replace("/hooks/order.paid", "/hooks/anything")).unwrap();
    let check = build(&spec, &["--check"]);
    assert_eq!(code(&check), 1);
    assert_eq!(stdout(&check), "edited by hand: node-red/flows.json\n");
    let refused = build(&spec, &[]);
    assert_eq!(code(&refused), 1);
    assert!(stderr(&refused).contains("node-red/flows.json") && stderr(&refused).contains("--force"));
    assert!(read(&flows).contains("/hooks/anything"), "the hand edit is kept");
    let forced = build(&spec, &["--force"]);
    assert_eq!(code(&forced), 0, "{}", stderr(&forced));
    assert!(!read(&flows).contains("/hooks/anything"));

    // The spec changes: the README changes; with no flows left at all, the
    // stale-file path is exercised through the manifest.
    spec.file("wireplan.kdl", example().replace("flow \"order-to-newsletter\"", "flow \"order-to-mailing-list\""));
    let check = build(&spec, &["--check"]);
    assert_eq!(code(&check), 1);
    assert_eq!(stdout(&check), "changed: README.md\nchanged: node-red/flows.json\n");
    // A file the manifest lists that the spec no longer produces is stale.
    let manifest = dir.join(".wireplan-manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&read(&manifest)).unwrap();
    std::fs::write(dir.join("old.txt"), "generated earlier").unwrap();
    let hash = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(b"generated earlier");
        format!("sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    m["files"]["old.txt"] = hash.into();
    std::fs::write(&manifest, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let check = build(&spec, &["--check"]);
    assert_eq!(
        stdout(&check),
        "changed: README.md\nchanged: node-red/flows.json\nstale (no longer generated): old.txt\n"
    );
    assert_eq!(code(&build(&spec, &[])), 0);
    assert!(!dir.join("old.txt").exists(), "the stale file is removed");
    assert_eq!(code(&build(&spec, &["--check"])), 0);
    // Without a manifest, files that already hold what the spec generates
    // are taken as generated; a file wireplan did not make is never overwritten.
    std::fs::remove_file(&manifest).unwrap();
    let check = build(&spec, &["--check"]);
    assert_eq!(stdout(&check), "missing: .wireplan-manifest.json\n");
    assert_eq!(code(&build(&spec, &[])), 0);
    std::fs::remove_file(&manifest).unwrap();
    std::fs::write(dir.join("README.md"), "the user's own").unwrap();
    let refused = build(&spec, &[]);
    assert_eq!(code(&refused), 1);
    assert!(stderr(&refused).contains("not generated by wireplan"), "{}", stderr(&refused));
    assert_eq!(read(&dir.join("README.md")), "the user's own");
}

#[test]
fn a_spec_with_errors_builds_nothing_and_warnings_block_only_when_denied() {
    let spec = TempSpec::new("build-errors");
    spec.file("wireplan.kdl", example().replace("to xero action=create", "to xero action=creat"));
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("the spec has 1 error(s); nothing was built"), "{}", stderr(&out));
    assert!(!spec.dir.join("out").exists());
    // A warning (the flow retries but has no `dead-letter`) does not block, unless denied.
    spec.file("wireplan.kdl", example().replacen("    dead-letter\n    log\n", "    log\n", 1));
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: the spec has 1 warning(s)"), "{}", stderr(&out));
    let denied = spec.run(&["build", "--target", "hub", "--out", "denied", "--deny-warnings"]);
    assert_eq!(code(&denied), 1);
    assert!(!spec.dir.join("denied").exists());
}

#[test]
fn a_scheduled_flow_is_left_to_the_etl_target_with_a_note() {
    let spec = TempSpec::new("build-schedule");
    spec.file(
        "wireplan.kdl",
        format!(
            "{}\nsystem \"snowflake\" kind=warehouse\nflow \"orders-nightly\" {{\n    schedule every=\"1d\"\n    \
             from xero entity=invoice\n    to snowflake action=append entity=raw_invoices\n    log\n    \
             allow \"no-error-handling\" reason=\"the loader retries\"\n}}\n",
            example()
        ),
    );
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("note: flow \"orders-nightly\": not emitted: a scheduled batch flow belongs to"));
    assert!(!read(&spec.dir.join("out/node-red/flows.json")).contains("orders-nightly"));
}

/// A batch flow into business tools (a reverse ETL, on a `schedule` or run
/// by hand) is built by no target, and each target says so rather than
/// pointing at another.
#[test]
fn a_batch_flow_into_business_tools_is_no_target_s_and_each_says_so() {
    let spec = TempSpec::new("build-reverse-etl");
    spec.file(
        "wireplan.kdl",
        format!(
            "{}\nsystem \"snowflake\" kind=warehouse\nflow \"scores-to-crm\" {{\n    schedule every=\"1d\"\n    \
             from snowflake entity=scores\n    to xero action=update\n    log\n}}\n\
             flow \"scores-by-hand\" {{\n    manual\n    from snowflake entity=scores\n    \
             to xero action=update\n    log\n}}\n",
            example()
        ),
    );
    for target in ["hub", "broker", "etl"] {
        let out = spec.run(&["build", "--target", target, "--out", target]);
        let notes = stderr(&out);
        for (flow, how) in [("scores-to-crm", "scheduled"), ("scores-by-hand", "hand-run")] {
            let note = format!("flow \"{flow}\": not emitted: a {how} batch flow into business tools (a reverse ETL)");
            assert!(notes.contains(&note), "{target}: {notes}");
        }
        assert!(!notes.contains("`--target hub` carries it: \"scores"), "{target}: {notes}");
    }
}

#[test]
fn build_never_writes_over_a_spec_file_in_the_output_folder() {
    let spec = TempSpec::new("build-spec-inside");
    spec.file("wireplan.kdl", example());
    spec.file("README.md", "the project's own readme");
    // --out . would put README.md over a file it did not generate.
    let out = spec.run(&["build", "--target", "hub", "--out", "."]);
    assert_eq!(code(&out), 1);
    assert_eq!(read(&spec.dir.join("README.md")), "the project's own readme");
    // A spec file where a generated file would go is protected even with
    // --force, and nothing else is written either.
    spec.file("wireplan.kdl", format!("include \"README.md\"\n{}", example()));
    spec.file("README.md", "");
    let out = spec.run(&["build", "--target", "hub", "--out", ".", "--force"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("spec file"), "{}", stderr(&out));
    assert_eq!(read(&spec.dir.join("README.md")), "");
    assert!(!spec.dir.join("node-red").exists());
}

/// Names holding quotes, backslashes, line separators, JSONata syntax and `../`
/// reach the flows only as JSON strings: the files stay where they belong,
/// the endpoints are clean paths, every expression and the function code are
/// the fixed ones, and the names come back exactly from the JSON.
#[test]
fn hostile_names_cannot_change_a_flow_or_where_a_file_goes() {
    let hostile = [
        r#"q\"uote"#,
        r"back\\slash",
        // A newline is refused at the name (`unusable-name`); a line
        // separator is legal, and ends a line in older JavaScript.
        r"new\u{2028}line",
        r#"$x & 'y' ; $eval(\"1\")"#,
        r"../../etc/passwd",
        r"/abs/olute",
        r#"} ]; process.exit(1); //"#,
    ];
    let mut text = String::new();
    for (i, name) in hostile.iter().enumerate() {
        text.push_str(&format!(
            "system \"src{i}{name}\" kind=custom {{\n    webhooks #true\n}}\n\
             system \"dst{i}{name}\" kind=custom {{\n    secret \"DST_{i}_TOKEN\"\n}}\n\
             event \"ev{i}{name}\" from=\"src{i}{name}\" {{\n    key \"k{name}\"\n    field \"k{name}\" type=string\n    \
             field \"f{name}\" type=string\n}}\n\
             flow \"flow{i}{name}\" {{\n    on \"ev{i}{name}\"\n    to \"dst{i}{name}\" action=create entity=\"e{name}\" {{\n        \
             map \"f{name}\" to=\"t{name}\"\n        set \"s{name}\" \"v{name}\"\n    }}\n    idempotency-key \"k{name}\"\n    \
             retry attempts=2\n    dead-letter\n    log\n}}\n"
        ));
    }
    let spec = TempSpec::new("build-hostile");
    spec.file("wireplan.kdl", &text);
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 0, "{}\n{text}", stderr(&out));
    // Exactly the fixed files, all inside out/.
    let found = crate::util::files(&spec.dir);
    assert_eq!(
        found,
        [
            "out/.wireplan-manifest.json",
            "out/Containerfile",
            "out/README.md",
            "out/node-red/flows.json",
            "out/node-red/settings.js",
            "out/service/hub.env",
            "out/service/wireplan-hub.service",
            "wireplan.kdl"
        ]
    );
    let flows: serde_json::Value = serde_json::from_str(&read(&spec.dir.join("out/node-red/flows.json"))).unwrap();
    // The expressions and code are those a clean spec gets, character for character.
    let clean_spec = TempSpec::new("build-hostile-clean");
    clean_spec.file("wireplan.kdl", example());
    assert_eq!(code(&build(&clean_spec, &[])), 0);
    let clean: serde_json::Value =
        serde_json::from_str(&read(&clean_spec.dir.join("out/node-red/flows.json"))).unwrap();
    let fixed = |flows: &serde_json::Value| -> std::collections::BTreeSet<String> {
        let mut all = std::collections::BTreeSet::new();
        for node in flows.as_array().unwrap() {
            if let Some(func) = node["func"].as_str() {
                all.insert(func.to_owned());
            }
            for rule in node["rules"].as_array().into_iter().flatten() {
                if rule["tot"] == "jsonata" {
                    all.insert(rule["to"].as_str().unwrap().to_owned());
                }
            }
        }
        all
    };
    let allowed = fixed(&clean);
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    assert!(fixed(&flows).iter().all(|e| allowed.contains(&e.as_str())));
    let mut configs = Vec::new();
    for node in flows.as_array().unwrap() {
        match node["type"].as_str().unwrap() {
            "http in" => {
                let url = node["url"].as_str().unwrap();
                let slug = url.strip_prefix("/hooks/").or_else(|| url.strip_prefix("/replay/"));
                let slug = slug.unwrap_or(if url == "/healthz" { "x" } else { "" });
                assert!(
                    !slug.is_empty()
                        && !slug.starts_with('.')
                        && slug.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
                    "{url}"
                );
            }
            "function" => assert!(node["func"].as_str().unwrap().starts_with("// wireplan: the webhook check,")),
            "change" => {
                for rule in node["rules"].as_array().unwrap() {
                    match rule["tot"].as_str() {
                        Some("jsonata") => {
                            let expr = rule["to"].as_str().unwrap();
                            assert!(allowed.contains(&expr), "an expression that is not one of the fixed ones: {expr}");
                        }
                        Some("json") => configs
                            .push(serde_json::from_str::<serde_json::Value>(rule["to"].as_str().unwrap()).unwrap()),
                        Some("msg" | "flow") => {
                            let p = rule["to"].as_str().unwrap();
                            assert!(["payload", "_wp.body", "_wp.method", "wireplan_cursor"].contains(&p), "{p}");
                        }
                        _ => {}
                    }
                    let p = rule["p"].as_str().unwrap();
                    assert!(p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_')), "{p}");
                }
            }
            _ => {}
        }
    }
    // The names come back exactly, as data.
    for (i, name) in hostile.iter().enumerate() {
        let name = name.replace("\\u{2028}", "\u{2028}").replace("\\\"", "\"").replace("\\\\", "\\");
        let config = configs.iter().find(|c| c["flow"] == format!("flow{i}{name}")).expect("its config");
        assert_eq!(config["target"], format!("dst{i}{name}"));
        let path = |s: String| serde_json::json!(s.split('.').collect::<Vec<_>>());
        assert_eq!(
            config["fields"][0],
            serde_json::json!({"to": path(format!("t{name}")), "from": path(format!("f{name}"))})
        );
        assert_eq!(
            config["fields"][1],
            serde_json::json!({"to": path(format!("s{name}")), "value": format!("v{name}")})
        );
        assert_eq!(config["key"], path(format!("k{name}")));
        let url_env = config["url_env"].as_str().unwrap();
        assert!(url_env.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'), "{url_env}");
        assert!(config["path"].as_str().unwrap().starts_with('/'));
        // The default path is one clean segment made from the entity's name.
        let path = config["path"].as_str().unwrap();
        assert!(path.len() > 1 && !path[1..].contains('/') && !path[1..].starts_with('.'), "{config}");
        let endpoint = configs.iter().find(|c| c["event"] == format!("ev{i}{name}")).expect("its endpoint");
        let secret_env = endpoint["auth"]["secret_env"].as_str().unwrap();
        assert!(secret_env.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
    }
    let readme = read(&spec.dir.join("out/README.md"));
    assert!(!readme.contains("\n../") && !readme.contains("$eval(\"1\")"), "names are escaped in the README");
}

// ----- plan --html and the one writer (issue 12, data loss) -----------------

fn plan_spec(name: &str) -> TempSpec {
    let spec = TempSpec::new(name);
    spec.file("wireplan.kdl", example());
    spec
}

#[test]
fn html_over_the_spec_is_refused_and_the_spec_unchanged() {
    let spec = plan_spec("html-over-spec");
    let before = read(&spec.dir.join("wireplan.kdl"));
    for target in ["wireplan.kdl", "./wireplan.kdl", "sub/../wireplan.kdl"] {
        std::fs::create_dir_all(spec.dir.join("sub")).unwrap();
        let out = spec.run(&["plan", ".", "--html", target]);
        assert_eq!(code(&out), 2, "{target}: {}", stderr(&out));
        assert!(stderr(&out).contains("spec file"), "{}", stderr(&out));
        assert_eq!(read(&spec.dir.join("wireplan.kdl")), before);
    }
}

#[cfg(unix)]
#[test]
fn html_onto_a_fifo_a_device_or_a_link_is_refused_and_permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let spec = plan_spec("html-kinds");
    let fifo = spec.dir.join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = spec.run(&["plan", "--html", "pipe"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not a regular file"), "{}", stderr(&out));
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(!meta.is_file(), "the FIFO is still a FIFO");
    let out = spec.run(&["plan", "--html", "/dev/null"]);
    assert_eq!(code(&out), 2);
    let target = spec.file("real.html", "old");
    std::os::unix::fs::symlink(&target, spec.dir.join("link.html")).unwrap();
    let out = spec.run(&["plan", "--html", "link.html"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("symbolic link"));
    assert_eq!(read(&target), "old");
    assert!(std::fs::symlink_metadata(spec.dir.join("link.html")).unwrap().file_type().is_symlink());
    // A 600 report stays 600.
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = spec.run(&["plan", "--html", "real.html"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(read(&target).starts_with("<!DOCTYPE html>") || read(&target).starts_with("<!doctype html>"));
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    // Nothing left behind: no temporary files.
    let names: Vec<String> =
        std::fs::read_dir(&spec.dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

/// Golden files: what the hub target generates for the example, byte for
/// byte (`INSTA_UPDATE=always cargo test` accepts a deliberate change).
#[test]
fn hub_output_of_the_example_snapshot() {
    let spec = TempSpec::new("build-golden");
    spec.file("wireplan.kdl", example());
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    insta::assert_snapshot!("hub_build_notes", stderr(&out).replace(&spec.dir.display().to_string(), "DIR"));
    for (name, file) in [
        ("hub_readme", "README.md"),
        ("hub_flows_json", "node-red/flows.json"),
        ("hub_settings_js", "node-red/settings.js"),
        ("hub_manifest", ".wireplan-manifest.json"),
    ] {
        insta::assert_snapshot!(name, read(&spec.dir.join("out").join(file)));
    }
}

#[test]
fn a_target_s_own_key_and_retries_override_the_flow_s() {
    let spec = TempSpec::new("build-per-target");
    spec.file(
        "wireplan.kdl",
        "system \"shop\" kind=ecommerce { webhooks #true }\nsystem \"crm\" kind=crm\nsystem \"chat\" kind=custom\n\
         event \"order.paid\" from=shop version=1 {\n    key \"order_id\"\n    field \"order_id\" type=string\n}\n\
         flow \"orders\" {\n    on \"order.paid\"\n    to crm action=create {\n        idempotency-key \"order_id\"\n        \
         retry attempts=7\n    }\n    to chat action=upsert\n    dead-letter\n    log\n}\n",
    );
    let out = build(&spec, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let flows: serde_json::Value = serde_json::from_str(&read(&spec.dir.join("out/node-red/flows.json"))).unwrap();
    // Each target's configuration is the JSON a `change` node puts in `msg._wp`.
    let configs: Vec<serde_json::Value> = flows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["rules"].as_array())
        .flatten()
        .filter(|r| r["p"] == "_wp")
        .filter_map(|r| serde_json::from_str(r["to"].as_str()?).ok())
        .filter(|c: &serde_json::Value| c.get("attempts").is_some())
        .collect();
    let crm = configs.iter().find(|c| c["target"] == "crm").expect("the crm target");
    let chat = configs.iter().find(|c| c["target"] == "chat").expect("the chat target");
    assert_eq!((crm["attempts"].as_u64(), crm["key"].is_null()), (Some(7), false), "{crm}");
    assert_eq!((chat["attempts"].as_u64(), chat["key"].is_null()), (Some(1), true), "{chat}");
}
