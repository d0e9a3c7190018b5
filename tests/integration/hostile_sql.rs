//! Generated SQL carries no injected text: `set` constants and field names
//! holding quotes, backslashes, `'; drop table x; --`, line breaks and
//! non-ASCII text are quoted for each warehouse's SQL dialect, and arrive in
//! the table byte for byte when the generated project runs in real dbt on
//! DuckDB, alone and beside a BigQuery warehouse (whose quoting differs, so
//! the models choose theirs by dbt's `target.type`). A NUL, which no
//! dialect can hold, stops the build with an error at the value.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::etl::{LIMIT, bounded, dbt, ok, query, venv};
use crate::util::{TempSpec, code, root, stderr};

/// The constants: each would end a literal early under some dialect's
/// rules if quoted by another's.
const CONSTANTS: [&str; 8] = [
    "\\'",
    "\\\\'",
    "'; drop table x; --",
    "\\'); drop table x; --",
    "line one\nline two\r\n\ttabbed",
    "日本語 ✓ 🦀 \"double\" `back` $$dollar$$",
    "it's \\ the end\\",
    "",
];

/// Source field names (each also a target field), as hostile.
const FIELDS: [&str; 4] = ["id", "it's \"x\"", "back\\slash'", "a'; drop table y; --"];

/// `text` as a KDL string.
fn kdl(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The name of the `i`th constant's column.
fn column(i: usize) -> String {
    format!("c{i} '\\\"")
}

/// A spec loading `order` from a REST source into `warehouses`, one flow
/// each, mapping every field and setting every constant.
fn spec(warehouses: &[&str], constants: &[&str]) -> String {
    let source_fields: String = FIELDS.iter().map(|f| format!("        field {} type=string\n", kdl(f))).collect();
    let target_fields: String = source_fields.clone()
        + &(0..constants.len()).map(|i| format!("        field {} type=string\n", kdl(&column(i)))).collect::<String>();
    let mut text = format!(
        "system \"shop\" kind=ecommerce {{\n    api rest version=\"v1\"\n    entity \"order\" {{\n{source_fields}    }}\n}}\n"
    );
    for (n, warehouse) in warehouses.iter().enumerate() {
        let maps: String = FIELDS.iter().map(|f| format!("        map {} to={}\n", kdl(f), kdl(f))).collect();
        let sets: String = constants
            .iter()
            .enumerate()
            .map(|(i, c)| format!("        set {} {}\n", kdl(&column(i)), kdl(c)))
            .collect();
        text.push_str(&format!(
            "system {w} kind=warehouse {{\n    entity \"loaded\" {{\n{target_fields}    }}\n}}\n\
             flow \"load {n}\" {{\n    schedule every=\"1h\"\n    from shop entity=order\n    \
             to {w} action=upsert entity=\"loaded\" {{\n{maps}{sets}    }}\n    log\n}}\n",
            w = kdl(warehouse)
        ));
    }
    text
}

fn build(spec: &TempSpec) -> std::process::Output {
    spec.run(&["build", "--target", "etl", "--out", "out"])
}

#[test]
fn a_nul_in_a_constant_is_refused_at_the_value() {
    let work = TempSpec::new("sql-nul");
    let text = spec(&["lake"], &["a\0b"]);
    work.file("wireplan.kdl", &text);
    let out = build(&work);
    let err = stderr(&out);
    assert_eq!(code(&out), 1, "{err}");
    let at = text.find("\"a\\u{0}b\"").unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').unwrap();
    assert!(err.contains(&format!("wireplan.kdl:{line}:{column}: error[sql-unquotable]")), "{err}");
    assert!(!work.dir.join("out").exists());
}

#[test]
fn hostile_constants_build() {
    let work = TempSpec::new("sql-hostile-build");
    work.file("wireplan.kdl", spec(&["lake", "bigquery"], &CONSTANTS));
    let out = build(&work);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let model = std::fs::read_to_string(work.dir.join("out/dbt/models/marts/loaded.sql")).unwrap();
    // DuckDB's literal doubles the quote and keeps the backslash; BigQuery's
    // escapes both.
    assert!(model.contains(r"{% if target.type in ['bigquery'] %}'\\\''{% else %}'\'''{% endif %}"), "{model}");
}

/// Seeds `raw_shop.order` with one row, every field its own name.
fn seed(venv: &Path, dir: &Path, db: &Path) {
    let fixture = dir.join("seed.json");
    let row: Vec<&str> = FIELDS.to_vec();
    let tables = json!({"tables": [{"schema": "raw_shop", "table": "order", "columns": FIELDS, "rows": [row]}]});
    std::fs::write(&fixture, tables.to_string()).unwrap();
    let seeded = bounded(
        Command::new(venv.join("bin/python")).arg(root().join("tests/fixtures/etl/seed.py")).arg(db).arg(&fixture),
        LIMIT,
    );
    ok(&seeded, "seeding DuckDB");
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn hostile_constants_arrive_byte_for_byte_in_real_dbt_on_duckdb() {
    let venv = venv();
    // DuckDB alone (one dialect), then beside BigQuery (a choice by target).
    for (name, warehouses) in [("alone", &["lake"][..]), ("beside-bigquery", &["lake", "bigquery"][..])] {
        let work = TempSpec::new(&format!("sql-e2e-{name}"));
        work.file("wireplan.kdl", spec(warehouses, &CONSTANTS));
        let built = build(&work);
        assert_eq!(code(&built), 0, "{}", stderr(&built));
        let dir = work.dir.join("out/dbt");
        let db = work.dir.join("warehouse.duckdb");
        let db_text = db.to_string_lossy().into_owned();
        let env = [("DBT_TARGET", "duckdb"), ("LAKE_DUCKDB_PATH", db_text.as_str())];
        seed(&venv, &work.dir, &db);
        let text = ok(&dbt(&venv, &dir, &env, &["build"]), "dbt build");
        assert!(text.contains("ERROR=0"), "{text}");
        let expected_columns: Vec<String> =
            FIELDS.iter().map(|f| (*f).to_owned()).chain((0..CONSTANTS.len()).map(column)).collect();
        let mut expected_row: Vec<Value> = FIELDS.iter().map(|f| json!(f)).collect();
        expected_row.extend(CONSTANTS.iter().map(|c| json!(c)));
        let models: &[&str] = if warehouses.len() == 1 { &["loaded"] } else { &["loaded", "loaded__bigquery"] };
        for model in models {
            let columns = query(
                &venv,
                &db,
                &format!(
                    "select column_name from information_schema.columns where table_schema = 'analytics' \
                     and table_name = '{model}' and column_name <> '_sdc_batched_at' order by ordinal_position"
                ),
            );
            let columns: Vec<String> =
                columns.as_array().unwrap().iter().map(|r| r[0].as_str().unwrap().to_owned()).collect();
            assert_eq!(columns, expected_columns, "{name}: {model}");
            let rows = query(&venv, &db, &format!("select * exclude (_sdc_batched_at) from analytics.{model}"));
            assert_eq!(rows, json!([expected_row]), "{name}: {model}");
        }
        // The tables the constants might have dropped are there.
        assert_eq!(query(&venv, &db, "select count(*) from raw_shop.\"order\""), json!([[1]]));
    }
}
