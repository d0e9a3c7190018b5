//! `wireplan build --target etl`: golden files for the stage-3 example, and
//! hostile names (a column named `select`, `order`, with a quote, a space or
//! a dot; a system named `raw-data`) written as quoted identifiers and JSON
//! strings. Then for real, with the Meltano and dbt that `scripts/test.sh`
//! installs into `.tools/etl-venv` (these tests install nothing): the
//! generated `meltano.yml` is valid against the JSON Schema Meltano ships,
//! `meltano schedule list` resolves every schedule and job offline, and on a
//! DuckDB file seeded from fixtures `dbt ls`, `dbt build` and
//! `dbt source freshness` pass, the staging models hold the cast values, and
//! a duplicate key makes the `unique` test fail. Every process runs in a
//! temporary folder and is killed (by process id) past its time limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{TempSpec, code, files, root, stderr, stdout};

fn build(spec: &Path, out: &Path) -> Output {
    crate::util::wireplan()
        .args(["build"])
        .arg(spec)
        .args(["--target", "etl", "--out"])
        .arg(out)
        .current_dir(root())
        .output()
        .unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const EXAMPLE_FILES: [&str; 10] = [
    ".wireplan-manifest.json",
    "README.md",
    "dbt/dbt_project.yml",
    "dbt/models/marts/raw_orders.sql",
    "dbt/models/marts/raw_tickets.sql",
    "dbt/models/sources.yml",
    "dbt/models/staging/stg_shopify__order.sql",
    "dbt/models/staging/stg_zendesk__ticket.sql",
    "dbt/profiles.yml",
    "meltano/meltano.yml",
];

/// Golden files: what the ETL target generates for the stage-3 example,
/// byte for byte (`INSTA_UPDATE=always cargo test` accepts a deliberate
/// change); a second build is byte-identical and `--check` passes.
#[test]
fn etl_output_of_the_example_snapshot() {
    let work = TempSpec::new("etl-golden");
    let out = work.dir.join("out");
    let built = build(Path::new("examples/high-volume-retail"), &out);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    assert_eq!(files(&out), EXAMPLE_FILES);
    let notes: String = stderr(&built).lines().filter(|l| l.starts_with("note: ")).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!("etl_build_notes", notes);
    for file in &EXAMPLE_FILES[1..] {
        let name = format!("etl_{}", file.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, read(&out.join(file)));
    }
    let again = build(Path::new("examples/high-volume-retail"), &work.dir.join("out2"));
    assert_eq!(code(&again), 0);
    for file in EXAMPLE_FILES {
        assert!(std::fs::read(out.join(file)).unwrap() == std::fs::read(work.dir.join("out2").join(file)).unwrap());
    }
    let check = crate::util::wireplan()
        .args(["build", "examples/high-volume-retail", "--target", "etl", "--check", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&check), 0, "{}{}", stdout(&check), stderr(&check));
}

/// Every hostile name reaches SQL as a quoted identifier (a `"` doubled) or
/// a string literal, and YAML as a JSON string; plugin, schema, source and
/// model names are clean identifiers made from the names.
#[test]
fn hostile_names_become_quoted_identifiers() {
    let work = TempSpec::new("etl-hostile");
    let out = work.dir.join("out");
    let built = build(&root().join("tests/fixtures/etl/hostile.kdl"), &out);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let staging = read(&out.join("dbt/models/staging/stg_raw_data__order.sql"));
    for column in [r#""select""#, r#""order""#, r#""it's ""quoted""""#, r#""first name""#, r#""customer.email""#] {
        assert!(staging.contains(&format!(" as {column},")), "{column} in\n{staging}");
    }
    assert!(staging.contains("from {{ source('raw_data', 'order') }}"), "{staging}");
    let model = read(&out.join("dbt/models/marts/orders_clean.sql"));
    assert!(model.contains(r#"cast("select" as {{ dbt.type_string() }}) as "chosen","#), "{model}");
    assert!(model.contains(r#"cast("it's ""quoted""" as {{ dbt.type_float() }}) as "a.b","#), "{model}");
    assert!(model.contains(r#"cast('it''s raw' as {{ dbt.type_string() }}) as "source","#), "{model}");
    let sources = read(&out.join("dbt/models/sources.yml"));
    assert!(sources.contains(r#"- name: "\"it's \"\"quoted\"\"\"""#), "{sources}");
    assert!(sources.contains(r#"schema: "raw_raw_data""#), "{sources}");
    // (1.2) A field the source keeps unique is tested `unique` where it is
    // loaded, like the key, so a claim the data does not bear fails the run.
    let order = sources.split(r#"- name: "\"order\"""#).nth(1).unwrap_or_else(|| panic!("{sources}"));
    let order = &order[..order.find("- name:").unwrap_or(order.len())];
    assert!(order.contains(r#"- "unique""#) && order.contains(r#"- "not_null""#), "{order}");
    let meltano = read(&out.join("meltano/meltano.yml"));
    assert!(meltano.contains(r#"- name: "tap-raw-data""#) && meltano.contains(r#"bearer_token: "${RAW_DATA_TOKEN}""#));
    assert!(meltano.contains(r#"interval: "*/30 * * * *""#), "45m runs every 30 minutes: {meltano}");
    assert!(stderr(&built).contains("runs on cron \"*/30 * * * *\", every 30m, where the spec says every 45m"));
    assert!(!meltano.contains("https://raw.example.com"), "URLs and secrets come from the environment");
    let readme = read(&out.join("README.md"));
    assert!(readme.contains("| `RAW_DATA_URL` |") && readme.contains("| `LAKEHOUSE_DUCKDB_PATH` |"), "{readme}");
    // The freshness of `latency max="2h"`: error after 2h, warn after 1h.
    assert!(readme.contains("| 1h | 2h | `latency max=2h` |"), "{readme}");
}

#[test]
fn a_name_dbt_would_run_as_jinja_is_refused() {
    let spec = TempSpec::new("etl-jinja");
    let text = read(&root().join("tests/fixtures/etl/hostile.kdl"))
        .replace(r#"field "first name""#, r#"field "{{ run_query('drop table x') }}""#);
    spec.file("wireplan.kdl", text);
    let out = spec.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("holds a Jinja delimiter"), "{}", stderr(&out));
    assert!(!spec.dir.join("out").exists());
}

#[test]
fn event_flows_and_flows_into_business_tools_are_notes() {
    let work = TempSpec::new("etl-notes");
    let built = build(Path::new("examples/hub-studio"), &work.dir.join("out"));
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let notes = stderr(&built);
    assert!(notes.contains("note: no flow is carried"), "{notes}");
    assert!(notes.contains("not emitted: an event-triggered flow into a business tool"), "{notes}");
}

// ----- for real: Meltano and dbt on DuckDB ---------------------------------

/// The virtual environment `scripts/test.sh` installs the ETL runtimes into.
pub(crate) fn venv() -> PathBuf {
    let tools = std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from);
    let venv = tools.join("etl-venv");
    for tool in ["meltano", "dbt", "python"] {
        assert!(
            venv.join("bin").join(tool).exists(),
            "{tool} is missing ({}): run `scripts/test.sh`, which installs Meltano and dbt into .tools/etl-venv",
            venv.display()
        );
    }
    venv
}

/// The JSON Schema the installed Meltano ships.
fn meltano_schema(venv: &Path) -> Value {
    let lib = venv.join("lib");
    let python = std::fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("python3")))
        .expect("the venv's python3.x folder");
    let path = python.join("site-packages/meltano/schemas/meltano.schema.json");
    serde_json::from_str(&read(&path)).unwrap()
}

/// Runs `cmd` with a time limit, killing it by process id when it is over.
pub(crate) fn bounded(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let read_all = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let (out, err) = (read_all(Box::new(out)), read_all(Box::new(err)));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} took longer than {limit:?} and was stopped");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

pub(crate) const LIMIT: Duration = Duration::from_secs(180);

/// A command from the venv with an environment that keeps it offline and
/// quiet: no usage statistics, no version checks, no colours, and Meltano's
/// Hub on a closed local port.
pub(crate) fn tool(venv: &Path, name: &str, dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(venv.join("bin").join(name));
    cmd.current_dir(dir)
        .env("MELTANO_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("MELTANO_DISABLE_TRACKING", "true")
        // Offline: a lookup on Meltano's Hub would fail at once.
        .env("MELTANO_HUB_URL", "http://127.0.0.1:9")
        .env("MELTANO_HUB_API_ROOT", "http://127.0.0.1:9/meltano/api/v1")
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("DBT_VERSION_CHECK", "false")
        .env("DBT_USE_COLORS", "false")
        .env("DO_NOT_TRACK", "1")
        .env("NO_COLOR", "1")
        .env("HOME", dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub(crate) fn ok(out: &Output, what: &str) -> String {
    let text = format!("{}{}", stdout(out), stderr(out));
    assert_eq!(code(out), 0, "{what} failed:\n{text}");
    text
}

/// `meltano.yml` as JSON (read with the venv's PyYAML), valid against
/// Meltano's schema; a broken copy is invalid, so the validator really checks.
fn validate_meltano(venv: &Path, out: &Path) -> Value {
    let path = out.join("meltano/meltano.yml");
    let json = bounded(
        Command::new(venv.join("bin/python"))
            .args([
                "-c",
                "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout)",
            ])
            .arg(&path),
        LIMIT,
    );
    let instance: Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&json)));
    let schema = meltano_schema(venv);
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let validator = jsonschema::validator_for(&schema).expect("Meltano's schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "meltano.yml is not valid against Meltano's schema: {errors:#?}");
    let mut broken = instance.clone();
    broken["schedules"][0]["interval"] = "every night".into();
    assert!(!validator.is_valid(&broken), "the schema checks intervals");
    instance
}

/// `meltano schedule list` resolves every schedule to its job and tasks,
/// offline, and leaves `meltano.yml` as it was.
fn meltano_schedules(venv: &Path, out: &Path, instance: &Value) {
    let project = out.join("meltano");
    let before = std::fs::read(project.join("meltano.yml")).unwrap();
    let started = Instant::now();
    let listed = bounded(
        tool(venv, "meltano", &project, &[]).args(["--log-level=warning", "schedule", "list", "--format=json"]),
        LIMIT,
    );
    let text = ok(&listed, "meltano schedule list");
    eprintln!("meltano schedule list took {:?}", started.elapsed());
    let listed: Value = serde_json::from_str(stdout(&listed).trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    let jobs = listed["schedules"]["job"].as_array().unwrap();
    let expected = instance["schedules"].as_array().unwrap();
    assert_eq!(jobs.len(), expected.len(), "{listed}");
    for schedule in expected {
        let found = jobs.iter().find(|j| j["name"] == schedule["name"]).unwrap_or_else(|| panic!("{schedule}"));
        assert_eq!(found["cron_interval"], schedule["interval"], "{found}");
        let job = instance["jobs"].as_array().unwrap().iter().find(|j| j["name"] == schedule["job"]).unwrap();
        assert_eq!(found["job"]["tasks"], job["tasks"], "{found}");
    }
    assert!(std::fs::read(project.join("meltano.yml")).unwrap() == before, "Meltano rewrote meltano.yml");
}

/// Seeds the DuckDB file at `db` from a fixture.
fn seed(venv: &Path, db: &Path, fixture: &str) {
    let seeded = bounded(
        Command::new(venv.join("bin/python"))
            .arg(root().join("tests/fixtures/etl/seed.py"))
            .arg(db)
            .arg(root().join("tests/fixtures/etl").join(fixture)),
        LIMIT,
    );
    ok(&seeded, "seeding DuckDB");
}

/// Rows of `sql` from the DuckDB file, as JSON (dates and decimals as text).
pub(crate) fn query(venv: &Path, db: &Path, sql: &str) -> Value {
    let script = "import duckdb, json, sys\ncon = duckdb.connect(sys.argv[1], read_only=True)\n\
                  rows = con.execute(sys.argv[2]).fetchall()\nprint(json.dumps(rows, default=str))";
    let out = bounded(Command::new(venv.join("bin/python")).args(["-c", script]).arg(db).arg(sql), LIMIT);
    ok(&out, "querying DuckDB");
    serde_json::from_str(stdout(&out).trim()).unwrap()
}

pub(crate) fn dbt(venv: &Path, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let started = Instant::now();
    let out = bounded(tool(venv, "dbt", dir, env).args(args).args(["--profiles-dir", "."]), LIMIT);
    eprintln!("dbt {} took {:?}", args.join(" "), started.elapsed());
    out
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn etl_example_runs_in_real_meltano_and_dbt() {
    let venv = venv();
    let work = TempSpec::new("etl-e2e");
    let out = work.dir.join("out");
    let built = build(Path::new("examples/high-volume-retail"), &out);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let instance = validate_meltano(&venv, &out);
    meltano_schedules(&venv, &out, &instance);
    // Settings come from the environment: Meltano reads them there.
    let config = bounded(
        tool(&venv, "meltano", &out.join("meltano"), &[("SHOPIFY_SHOP", "tidewater"), ("SHOPIFY_TOKEN", "shpat_x")])
            .args(["--log-level=warning", "config", "print", "tap-shopify--orders-nightly"]),
        LIMIT,
    );
    let printed = ok(&config, "meltano config print");
    let printed: Value = serde_json::from_str(stdout(&config).trim()).unwrap_or_else(|e| panic!("{e}: {printed}"));
    assert_eq!(printed["shop"], "tidewater", "{printed}");

    let dir = out.join("dbt");
    let db = work.dir.join("warehouse.duckdb");
    let db_text = db.to_string_lossy().into_owned();
    let env = [("DBT_TARGET", "duckdb"), ("DBT_DUCKDB_PATH", db_text.as_str())];
    seed(&venv, &db, "high-volume-retail.json");
    let listed = dbt(&venv, &dir, &env, &["ls", "--resource-type", "model"]);
    let text = ok(&listed, "dbt ls");
    for model in ["stg_shopify__order", "stg_zendesk__ticket", "raw_orders", "raw_tickets"] {
        assert!(text.contains(&format!(".{model}")), "dbt ls lists {model}:\n{text}");
    }
    let built = dbt(&venv, &dir, &env, &["build"]);
    let text = ok(&built, "dbt build");
    assert!(text.contains("PASS=12 WARN=0 ERROR=0"), "{text}");
    let fresh = dbt(&venv, &dir, &env, &["source", "freshness"]);
    let text = ok(&fresh, "dbt source freshness");
    assert!(text.contains("PASS freshness of shopify.order") && text.contains("PASS freshness of zendesk.ticket"));
    let rows = query(
        &venv,
        &db,
        "select order_id, email, total, placed_at, typeof(total), typeof(placed_at) \
         from analytics.stg_shopify__order order by order_id",
    );
    assert_eq!(
        rows,
        serde_json::json!([
            ["o-1001", "ada@example.com", "19.900000", "2026-11-30 10:00:00", "DECIMAL(28,6)", "TIMESTAMP"],
            ["o-1002", "bob@example.com", "5.000000", "2026-11-30 11:30:00", "DECIMAL(28,6)", "TIMESTAMP"],
        ])
    );
    assert_eq!(query(&venv, &db, "select count(*) from analytics.raw_orders"), serde_json::json!([[2]]));

    // A duplicate order id: the key's `unique` test fails, and says which.
    seed(&venv, &db, "duplicate.json");
    let failed = dbt(&venv, &dir, &env, &["build"]);
    let text = format!("{}{}", stdout(&failed), stderr(&failed));
    assert_ne!(code(&failed), 0, "a duplicate key must fail the build:\n{text}");
    assert!(text.contains("FAIL 1 source_unique_shopify_order__order_id_"), "{text}");
    assert!(!text.contains("FAIL 1 source_not_null"), "{text}");
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn hostile_names_build_and_test_in_real_dbt() {
    let venv = venv();
    let work = TempSpec::new("etl-e2e-hostile");
    let out = work.dir.join("out");
    let built = build(&root().join("tests/fixtures/etl/hostile.kdl"), &out);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let instance = validate_meltano(&venv, &out);
    meltano_schedules(&venv, &out, &instance);
    let dir = out.join("dbt");
    let db = work.dir.join("lake.duckdb");
    let db_text = db.to_string_lossy().into_owned();
    let env = [("DBT_TARGET", "duckdb"), ("LAKEHOUSE_DUCKDB_PATH", db_text.as_str())];
    seed(&venv, &db, "hostile.json");
    ok(&dbt(&venv, &dir, &env, &["ls"]), "dbt ls");
    let text = ok(&dbt(&venv, &dir, &env, &["build"]), "dbt build");
    // Five tests, and `unique` on the field declared `unique=#true`.
    assert!(text.contains("PASS=6 WARN=0 ERROR=0"), "{text}");
    ok(&dbt(&venv, &dir, &env, &["source", "freshness"]), "dbt source freshness");
    let rows = query(
        &venv,
        &db,
        r#"select "select", "order", "it's ""quoted""", "first name", "customer.email", "active"
           from analytics.stg_raw_data__order order by 1"#,
    );
    assert_eq!(
        rows,
        serde_json::json!([
            ["s-1", 7, "12.500000", "Ada", "ada@example.com", true],
            ["s-2", 8, null, "Bob", "bob@example.com", false],
        ])
    );
    let rows = query(&venv, &db, r#"select "chosen", "n", "a.b", "source" from analytics.orders_clean order by 1"#);
    assert_eq!(rows, serde_json::json!([["s-1", 7.0, 12.5, "it's raw"], ["s-2", 8.0, null, "it's raw"]]));

    // Loaded 90 minutes ago: past the warning (1h), within `latency max="2h"`;
    // three hours ago: past the error.
    for (age, expected) in [("90 minutes", "WARN freshness of raw_data.order"), ("3 hours", "ERROR STALE freshness")] {
        let script = "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\n\
                      con.execute(f\"update raw_raw_data.\\\"order\\\" set _sdc_batched_at = now()::timestamp - interval '{sys.argv[2]}'\")";
        ok(&bounded(Command::new(venv.join("bin/python")).args(["-c", script]).arg(&db).arg(age), LIMIT), "aging rows");
        let fresh = dbt(&venv, &dir, &env, &["source", "freshness"]);
        let text = format!("{}{}", stdout(&fresh), stderr(&fresh));
        assert!(text.contains(expected), "{age}: {text}");
        assert_eq!(code(&fresh) != 0, expected.starts_with("ERROR"), "{age}: {text}");
    }
}

/// The tap comes from the source system's name, the loader and dbt adapter
/// from the warehouse's name or `url` scheme; DuckDB is the default; a day
/// name in cron becomes its number (Meltano's schema takes numbers only).
#[test]
fn taps_and_engines_are_chosen_by_name() {
    let work = TempSpec::new("etl-engines");
    let out = work.dir.join("out");
    let built = build(&root().join("tests/fixtures/etl/engines.kdl"), &out);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let meltano = read(&out.join("meltano/meltano.yml"));
    for package in [
        "tap-hubspot==4.5.0",
        "tap-stripe==3.3.0",
        "tap-salesforce==2.8.1",
        "meltanolabs-tap-postgres==0.10.0",
        "target-bigquery==1.4.0",
        "meltanolabs-target-postgres==0.8.1",
        "target-duckdb==0.8.0 duckdb==1.1.3",
    ] {
        assert!(meltano.contains(&format!("pip_url: \"{package}\"")), "{package}");
    }
    for select in ["contacts.*", "charges.*", "Account.*", "public-users.*"] {
        assert!(meltano.contains(&format!("- \"{select}\"")), "{select}:\n{meltano}");
    }
    assert!(meltano.contains("interval: \"30 1 * * 1-5\"") && meltano.contains("interval: \"0 0 * * 0\""));
    assert!(meltano.contains("refresh_token: \"${HUBSPOT_REFRESH_TOKEN}\""), "the system's secret");
    assert!(meltano.contains("password: \"${ANALYTICS_DB_PASSWORD}\""));
    assert!(meltano.contains("replication-key: \"updated_at\""), "a poll's cursor");
    assert!(meltano.contains(
        "- \"tap-postgres-app--users-poll target-local\"\n      - \"tap-postgres-app--users-poll target-bigquery\""
    ));
    let profiles = read(&out.join("dbt/profiles.yml"));
    assert!(profiles.contains("target: \"{{ env_var('DBT_TARGET', 'bigquery') }}\""), "{profiles}");
    for adapter in ["bigquery", "postgres", "duckdb"] {
        assert!(profiles.contains(&format!("type: \"{adapter}\"")), "{adapter}");
    }
    assert!(
        out.join("dbt/models/marts/users.sql").exists() && out.join("dbt/models/marts/users__bigquery.sql").exists()
    );
    assert!(stderr(&built).contains("\"local\" is loaded with target-duckdb (the default"), "{}", stderr(&built));
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn every_tap_and_engine_validates_and_resolves_in_real_meltano_and_dbt() {
    let venv = venv();
    let work = TempSpec::new("etl-e2e-engines");
    let out = work.dir.join("out");
    let built = build(&root().join("tests/fixtures/etl/engines.kdl"), &out);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let instance = validate_meltano(&venv, &out);
    meltano_schedules(&venv, &out, &instance);
    // dbt parses the project (every source, staging model and model) on DuckDB.
    let db = work.dir.join("local.duckdb");
    let db_text = db.to_string_lossy().into_owned();
    let env = [("DBT_TARGET", "duckdb"), ("LOCAL_DUCKDB_PATH", db_text.as_str())];
    let text = ok(&dbt(&venv, &out.join("dbt"), &env, &["ls", "--resource-type", "model"]), "dbt ls");
    assert_eq!(text.matches("wireplan_engines.").count(), 9, "{text}");
}

#[test]
fn a_cron_meltano_cannot_take_stops_the_build() {
    let spec = TempSpec::new("etl-cron");
    let text = read(&root().join("tests/fixtures/etl/hostile.kdl"))
        .replace(r#"schedule every="45m""#, r#"schedule cron="0 9-17/2 * * *""#);
    spec.file("wireplan.kdl", text);
    let out = spec.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("uses syntax Meltano's schedule does not take"), "{}", stderr(&out));
    assert!(!spec.dir.join("out").exists());
}

/// (1.2) A flow run by hand beside a scheduled one: a spec for the two
/// tests below.
const BY_HAND: &str = r#"system "shop" kind=ecommerce {
    api rest version="v1"
    entity "order" {
        field "id" type=string required=#true
    }
    entity "refund" {
        field "id" type=string required=#true
    }
}
system "dwh" kind=warehouse
flow "orders-backfill" {
    manual
    from shop entity=order
    to dwh action=upsert entity=orders
    log
}
flow "refunds-nightly" {
    schedule cron="0 2 * * *"
    from shop entity=refund
    to dwh action=upsert entity=refunds
    retry attempts=3
    dead-letter
    log
}
"#;

/// (1.2) A flow run by hand (`manual`) is a Meltano job with no schedule:
/// its README row says how to run it, its table has no freshness (nothing
/// says how old it may grow), and a scheduled flow beside it keeps both.
#[test]
fn a_flow_run_by_hand_is_a_job_without_a_schedule() {
    let spec = TempSpec::new("etl-manual");
    spec.file("wireplan.kdl", BY_HAND);
    let out = spec.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("orders-backfill"), "the flow is carried, with no note: {}", stderr(&out));
    let meltano = read(&spec.dir.join("out/meltano/meltano.yml"));
    let jobs = meltano.split("\nschedules:").next().unwrap();
    let schedules = meltano.split("\nschedules:").nth(1).unwrap_or_else(|| panic!("{meltano}"));
    assert!(jobs.contains("orders-backfill"), "{meltano}");
    assert!(!schedules.contains("orders-backfill"), "{meltano}");
    assert!(schedules.contains("refunds-nightly") && schedules.contains("0 2 * * *"), "{meltano}");
    let sources = read(&spec.dir.join("out/dbt/models/sources.yml"));
    assert_eq!(sources.matches("freshness:").count(), 1, "only the scheduled table has one: {sources}");
    let readme = read(&spec.dir.join("out/README.md"));
    assert!(readme.contains("none: `meltano run orders-backfill`"), "{readme}");
    assert!(readme.contains("only runs by hand (`manual`)"), "{readme}");
}

/// (1.2) The same for real: Meltano takes the job of a flow run by hand
/// without a schedule (its schema, `meltano job list`), and lists only the
/// scheduled flow's schedule.
#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn a_flow_run_by_hand_is_a_job_real_meltano_lists_without_a_schedule() {
    let venv = venv();
    let spec = TempSpec::new("etl-e2e-manual");
    spec.file("wireplan.kdl", BY_HAND);
    let built = spec.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let out = spec.dir.join("out");
    let instance = validate_meltano(&venv, &out);
    assert_eq!(instance["schedules"].as_array().map(Vec::len), Some(1), "{instance}");
    meltano_schedules(&venv, &out, &instance);
    let jobs = bounded(
        tool(&venv, "meltano", &out.join("meltano"), &[]).args(["--log-level=warning", "job", "list", "--format=json"]),
        LIMIT,
    );
    let text = ok(&jobs, "meltano job list");
    let listed: Value = serde_json::from_str(stdout(&jobs).trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    let names: Vec<&str> = listed["jobs"].as_array().unwrap().iter().filter_map(|j| j["job_name"].as_str()).collect();
    assert!(names.contains(&"orders-backfill") && names.contains(&"refunds-nightly"), "{listed}");
}
