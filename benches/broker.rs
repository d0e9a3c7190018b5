//! `wireplan check` on a generated event-driven spec of 1,000 systems, side
//! by side with `asyncapi validate` (npm `@asyncapi/cli`) on the AsyncAPI
//! document `wireplan build --target broker` emits for the same spec: what
//! checking the architecture costs against checking its contract. Median of
//! several runs of each, as a user runs them (the real binaries, output to
//! /dev/null), and their ratio. This is a benchmark, not a timed test.
//!
//! Run with `cargo bench --bench broker` after `scripts/test.sh` (which
//! installs `@asyncapi/cli` into `.tools/`); `WIREPLAN_BENCH_SYSTEMS=200`
//! picks another size, `WIREPLAN_BENCH_RUNS` the number of runs.
//!
//! Then the deployment end to end (`broker_e2e.rs`): webhooks per second
//! through a real RabbitMQ and Node-RED, without faults. `cargo bench
//! --bench broker -- e2e` runs only that part.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "broker_e2e.rs"]
mod broker_e2e;
#[path = "timing.rs"]
mod timing;
use timing::{median, time};

/// `systems` systems behind one broker: each publishes one event with four
/// fields and is the target of three flows triggered by its neighbours'
/// events, with retries, dead letters and logs (so 3,000 flows for 1,000).
fn event_driven_spec(systems: usize) -> String {
    let kinds = ["crm", "email", "ecommerce", "accounting", "support", "marketing", "payments", "erp"];
    let mut s = String::with_capacity(systems * 1_200);
    s.push_str("stack \"bench-broker\" {\n    horizon months=18\n    volume-growth 2.0\n}\n\n");
    s.push_str("system \"events\" kind=broker {\n    ha #true\n}\n\n");
    for i in 0..systems {
        let _ = write!(
            s,
            "system \"sys-{i}\" kind={} {{\n    api rest version=\"v1\"\n    webhooks #true\n    \
             rate-limit 1000 per=second\n    secret \"SYS_{i}_TOKEN\"\n    entity \"record\" {{\n        \
             field \"id\" type=string required=#true\n        field \"email\" type=email\n        \
             field \"amount\" type=money\n    }}\n}}\n\n",
            kinds[i % kinds.len()]
        );
        let _ = write!(
            s,
            "event \"sys-{i}.changed\" from=\"sys-{i}\" entity=record version=1 {{\n    key \"id\"\n    \
             field \"id\" type=string required=#true\n    field \"email\" type=email\n    \
             field \"amount\" type=money\n    field \"at\" type=datetime\n    volume per-day=1000 peak-per-second=1\n}}\n\n"
        );
    }
    for i in 0..systems {
        for k in 1..=3 {
            let from = (i + k) % systems;
            let _ = write!(
                s,
                "flow \"f-{i}-{k}\" {{\n    on \"sys-{from}.changed\"\n    via events\n    \
                 to \"sys-{i}\" action=upsert entity=record {{\n        map \"id\" to=\"id\"\n        \
                 map \"email\" to=\"email\"\n    }}\n    idempotency-key \"id\"\n    retry attempts=3\n    \
                 dead-letter\n    log\n    loop-guard\n}}\n\n"
            );
        }
    }
    s
}

fn main() {
    let tools = std::env::var_os("WIREPLAN_TOOLS")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools"), PathBuf::from);
    if !std::env::args().any(|a| a == "e2e") {
        check_against_validate(&tools);
    }
    for nodes in [1, 3] {
        match broker_e2e::run(env!("CARGO_BIN_EXE_wireplan"), &tools, nodes) {
            Ok(report) => println!("{report}"),
            Err(why) => println!("end to end on {nodes} node(s): not run: {why}"),
        }
    }
}

/// `wireplan check` against `asyncapi validate`, median of several runs.
fn check_against_validate(tools: &Path) {
    let systems: usize = std::env::var("WIREPLAN_BENCH_SYSTEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
    let runs: usize = std::env::var("WIREPLAN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let cli = tools.join("node_modules/@asyncapi/cli/bin/run");
    let dir = std::env::temp_dir().join(format!("wireplan-bench-broker-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let spec = dir.join("wireplan.kdl");
    let text = event_driven_spec(systems);
    if std::fs::write(&spec, &text).is_err() {
        eprintln!("cannot write {}", spec.display());
        return;
    }
    let wireplan = env!("CARGO_BIN_EXE_wireplan");
    let out = dir.join("out");
    let built = Command::new(wireplan)
        .args(["build", "--target", "broker", "--out"])
        .arg(&out)
        .arg(&spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let document = out.join("asyncapi.yaml");
    if !built.is_ok_and(|s| s.success()) || !document.exists() {
        eprintln!("wireplan build --target broker failed on the generated spec");
        return;
    }
    // `check` exits 1 on findings; `asyncapi validate` exits 0 only for a
    // valid document.
    let check = time(runs, &[0, 1], || {
        let mut cmd = Command::new(wireplan);
        cmd.args(["check", "--format", "json"]).arg(&spec);
        cmd
    });
    let validate = if cli.exists() {
        time(runs, &[0], || asyncapi_validate(&cli, &document))
    } else {
        Err(format!("{} is missing: run `scripts/test.sh`, which installs @asyncapi/cli", cli.display()))
    };
    let mb = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "{systems} systems, {} flows; spec {:.1} MB, asyncapi.yaml {:.1} MB",
        systems * 3,
        mb(&spec),
        mb(&document)
    );
    println!("{:<42} {:>9} {:>30}", "command", "median s", "runs (s)");
    let show = |name: &str, times: &Result<Vec<f64>, String>| match times {
        Ok(t) => {
            let runs: Vec<String> = t.iter().map(|x| format!("{x:.2}")).collect();
            println!("{name:<42} {:>9.3} {:>30}", median(t.clone()), runs.join(" "));
        }
        Err(e) => println!("{name:<42} failed: {}", e.lines().next().unwrap_or("")),
    };
    show("wireplan check --format json", &check);
    show("asyncapi validate asyncapi.yaml", &validate);
    if let (Ok(c), Ok(v)) = (&check, &validate) {
        let (c, v) = (median(c.clone()), median(v.clone()));
        println!("ratio: asyncapi validate takes {:.1}x the time of wireplan check", v / c.max(1e-9));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn asyncapi_validate(cli: &Path, document: &Path) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(cli).arg("validate").arg(document).env("ASYNCAPI_METRICS", "false").env("CI", "true");
    cmd
}
