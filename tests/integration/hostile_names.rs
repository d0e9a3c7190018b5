//! Names from every Unicode general category, through the real binary: a
//! name no consumer can read (a control character, a noncharacter, a
//! prototype key as a field name) is refused at the name with
//! `unusable-name`, and the reports stay well formed; every other name is
//! built. For real (ignored unless `scripts/test.sh` runs it, with the
//! Meltano and dbt it installs into `.tools/etl-venv`): the ETL target's
//! YAML read by PyYAML (YAML 1.1, as dbt and Meltano read it) holds every
//! name exactly, and its SQL runs in dbt on DuckDB, the columns named as the
//! spec names them and holding the rows' values.
//! `src/hostile_names_tests.rs` holds every category's samples in process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::{TempSpec, code, root, stderr, stdout};

/// One legal name per Unicode general category (every category but `Cc`,
/// whose every member is refused, and `Cs`, which no string can hold), the
/// category's code first. `Cn` holds unassigned code points that are not
/// noncharacters.
const NAMES: &[&str] = &[
    "Lu AZÉΩЖ𝐀",
    "Ll azßωж",
    "Lt \u{1c5}\u{1f88}",
    "Lm \u{2b0}\u{3005}\u{ff70}",
    "Lo אع中あ한\u{20000}",
    "Mn a\u{300}\u{5b0}\u{fe0f}",
    "Mc \u{903}\u{93e}\u{1d165}",
    "Me \u{488}\u{20dd}\u{20e3}",
    "Nd 09٣\u{ff15}\u{1d7ce}",
    "Nl Ⅻ\u{3007}\u{10140}",
    "No ²½①",
    "Pc _\u{203f}\u{fe4d}",
    "Pd -\u{2014}\u{301c}",
    "Ps ([{\u{300c}",
    "Pe )]}\u{300d}",
    "Pi «\u{2018}\u{201c}",
    "Pf »\u{2019}\u{201d}",
    "Po !\"#%&'*,./:;?@\\¡§",
    "Sm +<=>|~∑",
    "Sc $€£¥",
    "Sk ^`¨\u{1f3fb}",
    "So ©°☃\u{1f600}",
    "Zs \u{a0}\u{2003}\u{3000}",
    "Zl a\u{2028}b",
    "Zp a\u{2029}b",
    "Cf \u{ad}\u{200b}\u{200d}\u{202e}\u{2066}\u{feff}\u{e0001}",
    "Co \u{e000}\u{f8ff}\u{f0000}\u{10fffd}",
    "Cn \u{378}\u{e0080}",
];

/// `name` as a KDL string literal, every character escaped.
fn literal(name: &str) -> String {
    let escaped: String = name.chars().map(|c| format!("\\u{{{:x}}}", c as u32)).collect();
    format!("\"{escaped}\"")
}

/// A source system and a lake whose entities have a field per name in
/// `fields`, and a scheduled flow that copies each into the lake; the
/// system, entities and flow have names from the categories too.
fn etl_spec(fields: &[&str]) -> String {
    let declared: String = fields.iter().map(|f| format!("        field {} type=string\n", literal(f))).collect();
    let maps: String = fields.iter().map(|f| format!("        map {} to={}\n", literal(f), literal(f))).collect();
    let (source, rows, lake, clean, flow) = (
        literal("src ☃ 中 Ω"),
        literal("rows № ①"),
        literal("lake \u{1f600}"),
        literal("clean Ж «»"),
        literal("nightly ✓ \u{202e}Ⅻ"),
    );
    format!(
        "system {source} kind=custom {{\n    api rest version=\"v1\"\n    secret \"RAW_TOKEN\"\n    \
         url \"https://raw.example.com\"\n    entity {rows} {{\n        field \"id\" type=string required=#true\n\
         {declared}    }}\n}}\n\
         system {lake} kind=lake {{\n    owner \"data\"\n    entity {clean} {{\n        \
         field \"id\" type=string required=#true\n{declared}    }}\n}}\n\
         flow {flow} {{\n    schedule every=\"1h\"\n    from {source} entity={rows}\n    \
         to {lake} action=upsert entity={clean} {{\n        map \"id\" to=\"id\"\n{maps}    }}\n    \
         idempotency-key \"id\"\n    latency max=\"2h\"\n    retry attempts=3\n    dead-letter\n    log\n}}\n"
    )
}

/// Names no consumer can read are refused at the name, whatever the output
/// format, and the JUnit report stays well-formed XML.
#[test]
fn unusable_names_are_refused_at_the_name_in_every_format() {
    let spec = TempSpec::new("hostile-names-refused");
    let bad = ["a\u{0}b", "a\u{85}b", "a\u{86}b", "a\u{fffe}b", "a\tb", "__proto__", "x.constructor"];
    let text = etl_spec(&bad);
    spec.file("wireplan.kdl", &text);
    let out = spec.run(&["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "unusable-name" && d["code"] == "WP011")
        .collect();
    // Each bad field is declared twice and mapped from and to once each.
    assert_eq!(refused.len(), bad.len() * 4, "{report:#}");
    for d in &refused {
        let (line, column) = (d["line"].as_u64().unwrap() as usize, d["column"].as_u64().unwrap() as usize);
        let text_line = text.lines().nth(line - 1).unwrap_or_else(|| panic!("{d:#}"));
        let at: String = text_line.chars().skip(column - 1).collect();
        assert!(at.starts_with("\"\\u{"), "not at a name: {at:?}\n{d:#}");
        assert!(!d["help"].as_str().unwrap().is_empty(), "{d:#}");
    }
    let junit = spec.run(&["check", "--format", "junit"]);
    assert_eq!(code(&junit), 1);
    let xml = stdout(&junit);
    roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("JUnit is not XML: {e}\n{xml}"));
    for format in ["sarif", "json"] {
        let out = spec.run(&["check", "--format", format]);
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|e| panic!("{format}: {e}"));
    }
    let built = spec.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&built), 1, "{}", stderr(&built));
    assert!(stderr(&built).contains("unusable-name"), "{}", stderr(&built));
    assert!(!spec.dir.join("out").exists());
}

// ----- for real: PyYAML and dbt on DuckDB ----------------------------------

/// The virtual environment `scripts/test.sh` installs the ETL runtimes into.
fn venv() -> PathBuf {
    let tools = std::env::var_os("WIREPLAN_TOOLS").map_or_else(|| root().join(".tools"), PathBuf::from);
    let venv = tools.join("etl-venv");
    for tool in ["dbt", "python"] {
        assert!(
            venv.join("bin").join(tool).exists(),
            "{tool} is missing ({}): run `scripts/test.sh`, which installs dbt and PyYAML into .tools/etl-venv",
            venv.display()
        );
    }
    venv
}

/// Runs `cmd` with a time limit, killing it by process id when it is over.
fn bounded(cmd: &mut Command) -> Output {
    let limit = Duration::from_secs(180);
    let what = format!("{cmd:?}");
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut buf);
        buf
    });
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

fn ok(out: &Output, what: &str) -> String {
    let text = format!("{}{}", stdout(out), stderr(out));
    assert_eq!(code(out), 0, "{what} failed:\n{text}");
    stdout(out)
}

/// `path` read by the venv's PyYAML, as JSON.
fn pyyaml(venv: &Path, path: &Path) -> Value {
    let script = "import json, sys, yaml\n\
                  json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout, ensure_ascii=True)";
    let out = bounded(Command::new(venv.join("bin/python")).args(["-c", script]).arg(path));
    serde_json::from_str(&ok(&out, &format!("PyYAML reading {}", path.display()))).unwrap()
}

/// Runs `script` with the venv's python and the DuckDB file, returning its
/// JSON output.
fn duckdb(venv: &Path, db: &Path, script: &str, arg: &str) -> Value {
    let out = bounded(Command::new(venv.join("bin/python")).args(["-c", script]).arg(db).arg(arg));
    serde_json::from_str(ok(&out, "DuckDB").trim()).unwrap()
}

/// Every string of a JSON value.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.iter().flat_map(|(k, v)| std::iter::once(k.as_str()).chain(strings(v))).collect(),
        _ => Vec::new(),
    }
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn names_from_every_category_load_in_pyyaml_and_run_in_dbt_on_duckdb() {
    let venv = venv();
    let work = TempSpec::new("hostile-names-etl");
    work.file("wireplan.kdl", etl_spec(NAMES));
    let built = work.run(&["build", "--target", "etl", "--out", "out"]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    let out = work.dir.join("out");

    // PyYAML (YAML 1.1) reads every name back exactly: the columns as the
    // quoted identifiers dbt is given, the source system's as its tap's label.
    let sources = pyyaml(&venv, &out.join("dbt/models/sources.yml"));
    let columns: Vec<&str> = sources["sources"][0]["tables"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in NAMES {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        assert!(columns.contains(&quoted.as_str()), "sources.yml lost {name:?}: {columns:?}");
    }
    let meltano = pyyaml(&venv, &out.join("meltano/meltano.yml"));
    let system = "src ☃ 中 Ω";
    assert!(strings(&meltano).contains(&system), "meltano.yml lost {system:?}: {meltano:#}");
    pyyaml(&venv, &out.join("dbt/dbt_project.yml"));
    let profiles = pyyaml(&venv, &out.join("dbt/profiles.yml"));

    // The raw table as a loader leaves it, one row whose values are the
    // column names; dbt builds the staging and mart models over it.
    let source = &sources["sources"][0];
    let fixture = json!({"tables": [{
        "schema": source["schema"],
        "table": source["tables"][0]["identifier"],
        "columns": std::iter::once("id").chain(NAMES.iter().copied()).collect::<Vec<_>>(),
        "rows": [std::iter::once("r-1").chain(NAMES.iter().copied()).collect::<Vec<_>>()],
    }]});
    let fixture_path = work.file("fixture.json", fixture.to_string());
    let db = work.dir.join("lake.duckdb");
    ok(
        &bounded(
            Command::new(venv.join("bin/python"))
                .arg(root().join("tests/fixtures/etl/seed.py"))
                .arg(&db)
                .arg(&fixture_path),
        ),
        "seeding DuckDB",
    );
    let path_env = profiles["wireplan_warehouse"]["outputs"]["duckdb"]["path"]
        .as_str()
        .and_then(|p| p.split('\'').nth(1))
        .unwrap_or_else(|| panic!("{profiles:#}"))
        .to_owned();
    let dbt = bounded(
        Command::new(venv.join("bin/dbt"))
            .args(["build", "--profiles-dir", "."])
            .current_dir(out.join("dbt"))
            .env("DBT_TARGET", "duckdb")
            .env(&path_env, &db)
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .env("DBT_VERSION_CHECK", "false")
            .env("DBT_USE_COLORS", "false")
            .env("DO_NOT_TRACK", "1")
            .env("HOME", &work.dir),
    );
    let text = ok(&dbt, "dbt build");
    assert!(text.contains("ERROR=0"), "{text}");

    // Every model in `analytics` has a column per name, holding its value.
    let script = "import duckdb, json, sys\ncon = duckdb.connect(sys.argv[1], read_only=True)\n\
                  tables = [r[0] for r in con.execute(\"select table_name from information_schema.tables \
                  where table_schema = 'analytics' order by 1\").fetchall()]\n\
                  out = {}\n\
                  for t in tables:\n\
                  \x20   cur = con.execute('select * from analytics.\"' + t.replace('\"', '\"\"') + '\"')\n\
                  \x20   out[t] = dict(zip([d[0] for d in cur.description], [str(v) for v in cur.fetchone()]))\n\
                  print(json.dumps(out, ensure_ascii=True))";
    let models = duckdb(&venv, &db, script, "");
    let models = models.as_object().unwrap();
    assert_eq!(models.len(), 2, "a staging and a mart model: {models:#?}");
    for (model, row) in models {
        for name in NAMES {
            assert_eq!(row[*name], *name, "{model}: column {name:?}: {row:#}");
        }
        assert_eq!(row["id"], "r-1", "{model}: {row:#}");
    }
}
