//! The ETL target on more than DuckDB: one generated dbt project, for a
//! spec whose warehouse is PostgreSQL, says what applies in its README (the
//! pinned adapter, the variables each output connects with, how BigQuery's
//! quoting is handled) and keeps every model name within PostgreSQL's 63
//! bytes. Then for real: the same project runs `dbt build` and
//! `dbt source freshness` on DuckDB and on a real PostgreSQL (Debian's
//! package, started by the test with `initdb` and `postgres` as the
//! `postgres` user, on a private port of 127.0.0.1 with its socket in a
//! temporary folder, and stopped by process id however the test ends),
//! with dbt-postgres from `.tools/etl-venv`. Both warehouses are seeded with
//! the same rows (text columns and a `_sdc_batched_at` load time, as a
//! Singer loader leaves them): DuckDB by `tests/fixtures/etl/seed.py`,
//! PostgreSQL by the same logic over psycopg2 (dbt-postgres's own driver),
//! since no Meltano loader runs offline here.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::etl::{LIMIT, bounded, dbt, ok, query, venv};
use crate::util::{TempSpec, code, root, stderr, stdout};

/// An entity and a flow whose names make model names past PostgreSQL's
/// 63-byte limit (`stg_raw_data__` + 67 bytes; the model itself 67).
const LONG_ENTITY: &str = "a customer account with a very long descriptive name for the ledger";
const LONG_TABLE: &str = "a_customer_account_with_a_very_long_descriptive_name_for_the_ledger";

/// `tests/fixtures/etl/hostile.kdl` with its lake a PostgreSQL warehouse
/// (named by its `url`) and one more flow with long names.
fn postgres_spec() -> String {
    let text = std::fs::read_to_string(root().join("tests/fixtures/etl/hostile.kdl")).unwrap();
    let lake = "system \"lakehouse\" kind=lake {";
    assert!(text.contains(lake));
    let text = text.replace(
        lake,
        "system \"lakehouse\" kind=warehouse {\n    url \"postgresql://warehouse.internal:5432/analytics\"",
    );
    let entity = "entity \"order\" {";
    assert!(text.contains(entity));
    let text = text.replacen(
        entity,
        &format!("entity \"{LONG_ENTITY}\" {{\n        field \"id\" type=string required=#true\n    }}\n    {entity}"),
        1,
    );
    format!(
        "{text}\nflow \"long names to lake\" {{\n    schedule every=\"1h\"\n    from \"raw-data\" entity=\"{LONG_ENTITY}\"\n    \
         to lakehouse action=append\n    idempotency-key \"id\"\n    retry attempts=3\n    dead-letter\n    log\n}}\n"
    )
}

/// The rows both warehouses are seeded with: the DuckDB test's, and two
/// for the long-named table.
fn fixture(dir: &Path) -> PathBuf {
    let mut tables: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/fixtures/etl/hostile.json")).unwrap())
            .unwrap();
    tables["tables"].as_array_mut().unwrap().push(json!({
        "schema": "raw_raw_data",
        "table": LONG_TABLE,
        "columns": ["id"],
        "rows": [["L-1"], ["L-2"]]
    }));
    let path = dir.join("seed.json");
    std::fs::write(&path, tables.to_string()).unwrap();
    path
}

fn build(spec: &TempSpec) -> PathBuf {
    spec.file("wireplan.kdl", postgres_spec());
    let built = spec.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    spec.dir.join("out")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The install line of the generated README: `pip install 'dbt-core~=…' …`.
fn install_line(readme: &str) -> &str {
    readme.lines().find(|l| l.starts_with("pip install 'dbt-core")).unwrap_or_else(|| panic!("{readme}"))
}

/// For a PostgreSQL warehouse, the README pins every dbt package to one
/// minor version and names the variables the `postgres` output connects
/// with; every model name fits PostgreSQL's 63 bytes.
#[test]
fn a_postgres_warehouse_gets_pinned_adapters_its_variables_and_short_names() {
    let spec = TempSpec::new("etl-pg-readme");
    let out = build(&spec);
    let readme = read(&out.join("README.md"));
    assert_eq!(install_line(&readme), "pip install 'dbt-core~=1.11.0' 'dbt-postgres~=1.11.0' 'dbt-duckdb~=1.11.0'");
    assert!(
        readme.contains(
            "| `postgres` | `dbt-postgres~=1.11.0` | `LAKEHOUSE_HOST`, `LAKEHOUSE_PORT` (default 5432), \
             `LAKEHOUSE_USER`, `LAKEHOUSE_PASSWORD`, `LAKEHOUSE_DATABASE` |"
        ),
        "{readme}"
    );
    assert!(readme.contains("| `duckdb` | `dbt-duckdb~=1.11.0` | the file in `DBT_DUCKDB_PATH`"), "{readme}");
    assert!(!readme.contains("BigQuery quotes"), "no BigQuery output, no BigQuery note:\n{readme}");
    let mut models = Vec::new();
    for folder in ["staging", "marts"] {
        for entry in std::fs::read_dir(out.join("dbt/models").join(folder)).unwrap() {
            let path = entry.unwrap().path();
            models.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    assert_eq!(models.len(), 4, "{models:?}");
    for name in &models {
        assert!(name.len() <= 63, "{name} is longer than PostgreSQL's 63 bytes");
    }
    assert!(models.iter().any(|m| m.starts_with("stg_raw_data__a_customer_account")), "{models:?}");
}

/// For BigQuery (and Snowflake), the README says how one set of models
/// reads right there, and which variables each output connects with.
#[test]
fn a_bigquery_warehouse_readme_says_what_applies() {
    let spec = TempSpec::new("etl-bq-readme");
    let out = spec.dir.join("out");
    let built = crate::util::wireplan()
        .arg("build")
        .arg(root().join("tests/fixtures/etl/engines.kdl"))
        .args(["--target", "etl", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let readme = read(&out.join("README.md"));
    assert_eq!(
        install_line(&readme),
        "pip install 'dbt-core~=1.11.0' 'dbt-bigquery~=1.11.0' 'dbt-postgres~=1.11.0' 'dbt-duckdb~=1.11.0'"
    );
    assert!(readme.contains("| `bigquery` | `dbt-bigquery~=1.11.0` | `BQ_KEYFILE`, `BIGQUERY_PROJECT` |"), "{readme}");
    assert!(readme.contains("BigQuery quotes names in backticks"), "{readme}");
    assert!(readme.contains("the schema (on BigQuery, the dataset) `analytics`"), "{readme}");
}

/// PostgreSQL keeps the first 63 bytes of a name: two columns that share
/// them would be one column there, so a PostgreSQL warehouse refuses them
/// (at both fields), while DuckDB, which keeps whole names, takes them.
#[test]
fn columns_postgres_would_cut_alike_are_a_clash_only_on_postgres() {
    let long = "p".repeat(70);
    let fields = format!(
        "field \"active\" type=bool\n        field \"{long}a\" type=string\n        field \"{long}b\" type=string"
    );
    let spec = TempSpec::new("etl-pg-cut");
    spec.file("wireplan.kdl", postgres_spec().replace("field \"active\" type=bool", &fields));
    let out = spec.run(&["build", "--target", "etl", "--out", "out"]);
    let text = stderr(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert_eq!(
        text.matches("would both be the PostgreSQL column (the first 63 bytes of a name) of stg_raw_data__order")
            .count(),
        2,
        "{text}"
    );
    assert!(!spec.dir.join("out").exists());

    let duck = std::fs::read_to_string(root().join("tests/fixtures/etl/hostile.kdl")).unwrap();
    let spec = TempSpec::new("etl-duck-cut");
    spec.file("wireplan.kdl", duck.replace("field \"active\" type=bool", &fields));
    let out = spec.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

// ----- for real: the same project on DuckDB and on PostgreSQL ---------------

/// The newest PostgreSQL server binaries Debian installed.
fn postgres_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            let bin = path.join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!("PostgreSQL is missing (/usr/lib/postgresql/*/bin/postgres): run `scripts/test.sh`, which installs it")
    })
}

/// The `postgres` user's uid and gid: PostgreSQL refuses to run as root.
fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .unwrap_or_else(|| panic!("the postgres user is missing: run `scripts/test.sh`, which installs PostgreSQL"));
    let fields: Vec<&str> = line.split(':').collect();
    (fields[2].parse().unwrap(), fields[3].parse().unwrap())
}

/// A PostgreSQL server of its own: a cluster in a temporary folder, on a
/// free port of 127.0.0.1. Dropping it stops the server by its process id
/// (a fast shutdown, then a kill) and removes the folder, also when the
/// test fails.
struct Postgres {
    dir: PathBuf,
    child: Child,
    port: u16,
}

const USER: &str = "wireplan";
const PASSWORD: &str = "it's a secret";
const DATABASE: &str = "warehouse";

impl Postgres {
    fn start() -> Postgres {
        let bin = postgres_bin();
        let (uid, gid) = postgres_user();
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Under /tmp, not the target folder: the postgres user must reach
        // it, and a socket path holds at most 107 bytes.
        let dir = std::env::temp_dir().join(format!("wireplan-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("socket")).unwrap();
        std::fs::write(dir.join("password"), PASSWORD).unwrap();
        for path in [dir.clone(), dir.join("socket"), dir.join("password")] {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
        }
        let initdb = bounded(
            Command::new(bin.join("initdb"))
                .arg("-D")
                .arg(dir.join("data"))
                .args(["-U", USER, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
                .arg(format!("--pwfile={}", dir.join("password").display()))
                .current_dir(&dir)
                .uid(uid)
                .gid(gid),
            LIMIT,
        );
        ok(&initdb, "initdb");
        let port = crate::hub::free_port();
        let log = std::fs::File::create(dir.join("postgres.log")).unwrap();
        std::os::unix::fs::chown(dir.join("postgres.log"), Some(uid), Some(gid)).unwrap();
        let child = Command::new(bin.join("postgres"))
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir.join("socket"))
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "timezone=UTC"])
            .current_dir(&dir)
            .uid(uid)
            .gid(gid)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Postgres { dir, child, port };
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("postgres exited ({status}):\n{}", server.log());
            }
            let ready =
                bounded(Command::new(bin.join("pg_isready")).args(["-h", "127.0.0.1", "-p", &port.to_string()]), LIMIT);
            if ready.status.success() {
                break;
            }
            assert!(started.elapsed() < LIMIT, "postgres did not start in {LIMIT:?}:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!("PostgreSQL from {} ready in {:?}", bin.display(), started.elapsed());
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    /// The variables the generated `postgres` output reads.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DBT_TARGET", "postgres".into()),
            ("LAKEHOUSE_HOST", "127.0.0.1".into()),
            ("LAKEHOUSE_PORT", self.port.to_string()),
            ("LAKEHOUSE_USER", USER.into()),
            ("LAKEHOUSE_PASSWORD", PASSWORD.into()),
            ("LAKEHOUSE_DATABASE", DATABASE.into()),
        ]
    }

    /// Runs `script` in the venv's Python with a psycopg2 connection `con`
    /// to `database` (autocommit), and `sys.argv[1..]` = `args`.
    fn python(&self, venv: &Path, database: &str, script: &str, args: &[&str]) -> String {
        let prelude = format!(
            "import json, sys, psycopg2\ncon = psycopg2.connect(host='127.0.0.1', port={}, user={USER:?}, \
             password={PASSWORD:?}, dbname={database:?})\ncon.autocommit = True\ncur = con.cursor()\n",
            self.port
        );
        let out = bounded(
            Command::new(venv.join("bin/python")).arg("-c").arg(format!("{prelude}{script}")).args(args),
            LIMIT,
        );
        ok(&out, "python with psycopg2");
        stdout(&out)
    }

    /// Rows of `sql` as JSON, dates and decimals as text (as `etl::query`
    /// gives them for DuckDB).
    fn query(&self, venv: &Path, sql: &str) -> Value {
        let script = "cur.execute(sys.argv[1])\nprint(json.dumps([list(r) for r in cur.fetchall()], default=str))";
        serde_json::from_str(self.python(venv, DATABASE, script, &[sql]).trim()).unwrap()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown; a kill if it is not gone soon.
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Seeds PostgreSQL as `seed.py` seeds DuckDB: text columns, quoted names,
/// bound values, `_sdc_batched_at` the load time (UTC, without a time zone,
/// as the Singer SDK's target-postgres writes it).
const SEED_PG: &str = r#"
def quote(name):
    return '"' + name.replace('"', '""') + '"'
for t in json.load(open(sys.argv[1], encoding="utf-8"))["tables"]:
    schema, table = quote(t["schema"]), quote(t["table"])
    columns = ", ".join(f"{quote(c)} text" for c in t["columns"])
    cur.execute(f"create schema if not exists {schema}")
    cur.execute(f"create table if not exists {schema}.{table} ({columns}, "
                "_sdc_batched_at timestamp default (now() at time zone 'utc'))")
    names = ", ".join(quote(c) for c in t["columns"])
    marks = ", ".join("%s" for _ in t["columns"])
    for row in t["rows"]:
        cur.execute(f"insert into {schema}.{table} ({names}) values ({marks})", row)
"#;

/// The installed version of each package of the README's install line
/// satisfies its pin, and the next minor version does not.
fn pins_hold(venv: &Path, readme: &str) {
    let line = install_line(readme);
    let pins: Vec<&str> = line.split('\'').skip(1).step_by(2).collect();
    assert_eq!(pins.len(), 3, "{line}");
    let script = "import importlib.metadata as m, sys\nfrom packaging.specifiers import SpecifierSet\n\
                  from packaging.requirements import Requirement\n\
                  for pin in sys.argv[1:]:\n    r = Requirement(pin)\n    v = m.version(r.name)\n\
                  \x20   major, minor = v.split('.')[:2]\n\
                  \x20   print(r.name, v, v in r.specifier, f'{major}.{int(minor) + 1}.0' in r.specifier)";
    let out = bounded(Command::new(venv.join("bin/python")).args(["-c", script]).args(&pins), LIMIT);
    let text = ok(&out, "checking the pins");
    for line in stdout(&out).lines() {
        assert!(line.ends_with(" True False"), "a pin the tested version misses, or a later minor it allows: {text}");
    }
}

fn postgres_adapter(venv: &Path) {
    let out = bounded(Command::new(venv.join("bin/python")).args(["-c", "import dbt.adapters.postgres"]), LIMIT);
    assert!(
        out.status.success(),
        "dbt-postgres is missing from {}: run `scripts/test.sh`, which installs it",
        venv.display()
    );
}

fn passed(text: &str) -> &str {
    let at = text.find("PASS=").unwrap_or_else(|| panic!("no summary in:\n{text}"));
    text[at..].split_whitespace().next().unwrap_or_default()
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_same_dbt_project_builds_and_tests_on_duckdb_and_real_postgres() {
    let venv = venv();
    postgres_adapter(&venv);
    let spec = TempSpec::new("etl-e2e-postgres");
    let out = build(&spec);
    let dir = out.join("dbt");
    pins_hold(&venv, &read(&out.join("README.md")));
    let seed = fixture(&spec.dir);

    // DuckDB, the output every project has.
    let db = spec.dir.join("local.duckdb");
    let db_text = db.to_string_lossy().into_owned();
    let duck_env = [("DBT_TARGET", "duckdb"), ("DBT_DUCKDB_PATH", db_text.as_str())];
    let seeded = bounded(
        Command::new(venv.join("bin/python")).arg(root().join("tests/fixtures/etl/seed.py")).arg(&db).arg(&seed),
        LIMIT,
    );
    ok(&seeded, "seeding DuckDB");
    let duck = ok(&dbt(&venv, &dir, &duck_env, &["build"]), "dbt build on DuckDB");
    // Nine tests, and (1.2) `unique` on the field the fixture declares
    // `unique=#true`.
    assert_eq!(passed(&duck), "PASS=10", "{duck}");
    ok(&dbt(&venv, &dir, &duck_env, &["source", "freshness"]), "dbt source freshness on DuckDB");

    // PostgreSQL: the same files, the `postgres` output.
    let pg = Postgres::start();
    pg.python(&venv, "postgres", &format!("cur.execute('create database {DATABASE}')"), &[]);
    pg.python(&venv, DATABASE, SEED_PG, &[&seed.to_string_lossy()]);
    let env = pg.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let started = Instant::now();
    let built = ok(&dbt(&venv, &dir, &env, &["build"]), "dbt build on PostgreSQL");
    let took = started.elapsed();
    assert!(built.contains("Registered adapter: postgres="), "{built}");
    assert_eq!(passed(&built), "PASS=10", "{built}");
    let fresh = ok(&dbt(&venv, &dir, &env, &["source", "freshness"]), "dbt source freshness on PostgreSQL");
    assert!(fresh.contains("PASS freshness of raw_data.order"), "{fresh}");
    assert!(fresh.contains(&format!("PASS freshness of raw_data.{LONG_TABLE}")), "{fresh}");

    // The same rows, typed alike, in both warehouses.
    let staged = r#"select "select", "order", "it's ""quoted""", "first name", "customer.email", "placed at", "active"
                    from analytics.stg_raw_data__order order by 1"#;
    let expected = json!([
        ["s-1", 7, "12.500000", "Ada", "ada@example.com", "2026-11-30 10:00:00", true],
        ["s-2", 8, null, "Bob", "bob@example.com", "2026-11-30 11:00:00", false],
    ]);
    assert_eq!(pg.query(&venv, staged), expected);
    assert_eq!(query(&venv, &db, staged), expected);
    let marts = r#"select "chosen", "n", "a.b", "source" from analytics.orders_clean order by 1"#;
    let expected = json!([["s-1", 7.0, 12.5, "it's raw"], ["s-2", 8.0, null, "it's raw"]]);
    assert_eq!(pg.query(&venv, marts), expected);
    assert_eq!(query(&venv, &db, marts), expected);
    let types = pg.query(
        &venv,
        r#"select pg_typeof("order")::text, pg_typeof("it's ""quoted""")::text, pg_typeof("placed at")::text,
                  pg_typeof("active")::text from analytics.stg_raw_data__order limit 1"#,
    );
    assert_eq!(types, json!([["bigint", "numeric", "timestamp without time zone", "boolean"]]));
    let long =
        pg.query(&venv, "select table_name from information_schema.tables where table_schema = 'analytics' order by 1");
    let long: Vec<String> = long.as_array().unwrap().iter().map(|r| r[0].as_str().unwrap().to_owned()).collect();
    assert_eq!(long.len(), 4, "{long:?}");
    assert!(long.iter().all(|name| name.len() <= 63), "{long:?}");
    let rows = pg.query(&venv, "select count(*) from analytics.stg_raw_data__order");
    eprintln!("dbt build on PostgreSQL took {took:?}: {} models and tests, {rows} rows staged", passed(&built));

    // Loaded 90 minutes ago: past the warning (1h), within `latency max="2h"`;
    // three hours ago: past the error.
    for (age, expected) in [("90 minutes", "WARN freshness of raw_data.order"), ("3 hours", "ERROR STALE freshness")] {
        let script = "cur.execute(\"update raw_raw_data.\\\"order\\\" set _sdc_batched_at = \
                      (now() at time zone 'utc') - %s::interval\", (sys.argv[1],))";
        pg.python(&venv, DATABASE, script, &[age]);
        let fresh = dbt(&venv, &dir, &env, &["source", "freshness"]);
        let text = format!("{}{}", stdout(&fresh), stderr(&fresh));
        assert!(text.contains(expected), "{age}: {text}");
        assert_eq!(code(&fresh) != 0, expected.starts_with("ERROR"), "{age}: {text}");
    }

    // The same rows again: each key twice, so the `unique` test fails, and
    // says which.
    pg.python(&venv, DATABASE, SEED_PG, &[&seed.to_string_lossy()]);
    let failed = dbt(&venv, &dir, &env, &["build"]);
    let text = format!("{}{}", stdout(&failed), stderr(&failed));
    assert_ne!(code(&failed), 0, "a duplicate key must fail the build:\n{text}");
    assert!(text.contains("FAIL 2 source_unique_raw_data_order__select_"), "{text}");
    drop(pg);
}
