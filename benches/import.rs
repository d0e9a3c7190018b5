//! `wireplan import` and `wireplan check` on a generated AsyncAPI 3.0
//! document of 10,000 channels (each with a message whose payload is a
//! `$ref` to a schema of four fields, one `send` and one `receive`
//! operation, so 10,000 events and 10,000 flows), side by side with
//! `asyncapi validate` (npm `@asyncapi/cli`) on the same document. Median of
//! several runs of each, the real binaries, output to /dev/null. The target
//! is under a second for import and check. This is a benchmark, not a timed
//! test.
//!
//! Then a Node-RED flow file where 2,000 `http in` triggers all wire into
//! one chain of 50,000 function nodes ending in an `http request`: a walk
//! from every trigger would follow the chain 2,000 times (quadratic); the
//! import follows the wiring once (`src/import/wiring.rs`).
//!
//! Run with `cargo bench --bench import` (a release build);
//! `WIREPLAN_BENCH_CHANNELS` picks another size, `WIREPLAN_BENCH_RUNS` the
//! number of runs; `asyncapi validate` runs when `.tools/` has
//! `@asyncapi/cli` (`scripts/test.sh` installs it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "timing.rs"]
mod timing;
use timing::{median, time};

/// An AsyncAPI 3.0 document of `channels` channels, as YAML.
fn document(channels: usize) -> String {
    let mut s = String::with_capacity(channels * 900);
    s.push_str("asyncapi: 3.0.0\ninfo:\n  title: bench-app\n  version: 1.0.0\nservers:\n  rabbit:\n    host: localhost:5672\n    protocol: amqp\nchannels:\n");
    for i in 0..channels {
        let _ = write!(
            s,
            "  ch{i}:\n    address: app.ch{i}\n    messages:\n      msg{i}:\n        $ref: '#/components/messages/msg{i}'\n"
        );
    }
    s.push_str("operations:\n");
    for i in 0..channels {
        let _ = write!(
            s,
            "  send{i}:\n    action: send\n    channel:\n      $ref: '#/channels/ch{i}'\n  \
             receive{i}:\n    action: receive\n    x-wireplan-system: consumer-{}\n    channel:\n      $ref: '#/channels/ch{i}'\n",
            i % 50
        );
    }
    s.push_str("components:\n  messages:\n");
    for i in 0..channels {
        let _ = write!(
            s,
            "    msg{i}:\n      name: event-{i}\n      payload:\n        $ref: '#/components/schemas/payload'\n"
        );
    }
    s.push_str(
        "  schemas:\n    payload:\n      type: object\n      required: [id]\n      properties:\n        id:\n          type: string\n        \
         email:\n          type: string\n          format: email\n        amount:\n          type: number\n        at:\n          \
         type: string\n          format: date-time\n",
    );
    s
}

/// A Node-RED flow file: `triggers` webhooks wired into one chain of
/// `chain` function nodes that ends in an HTTP request.
fn chained_flows(triggers: usize, chain: usize) -> String {
    let mut s = String::from("[{\"id\":\"t\",\"type\":\"tab\",\"label\":\"bench\"}");
    for i in 0..triggers {
        let _ = write!(
            s,
            ",{{\"id\":\"in{i}\",\"type\":\"http in\",\"z\":\"t\",\"url\":\"/hook{i}\",\"method\":\"post\",\"wires\":[[\"f0\"]]}}"
        );
    }
    for i in 0..chain {
        let next = if i + 1 < chain { format!("f{}", i + 1) } else { "out".to_owned() };
        let _ = write!(s, ",{{\"id\":\"f{i}\",\"type\":\"function\",\"z\":\"t\",\"wires\":[[\"{next}\"]]}}");
    }
    s.push_str(",{\"id\":\"out\",\"type\":\"http request\",\"z\":\"t\",\"method\":\"POST\",\"url\":\"https://crm.example.com/contacts\",\"wires\":[[]]}]");
    s
}

fn main() {
    let channels: usize = std::env::var("WIREPLAN_BENCH_CHANNELS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let runs: usize = std::env::var("WIREPLAN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let tools = std::env::var_os("WIREPLAN_TOOLS")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools"), PathBuf::from);
    let cli = tools.join("node_modules/@asyncapi/cli/bin/run");
    let dir = std::env::temp_dir().join(format!("wireplan-bench-import-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let doc = dir.join("asyncapi.yaml");
    if std::fs::write(&doc, document(channels)).is_err() {
        eprintln!("cannot write {}", doc.display());
        return;
    }
    let wireplan = env!("CARGO_BIN_EXE_wireplan");
    let import = time(runs, &[0], || {
        let mut cmd = Command::new(wireplan);
        cmd.arg("import").arg(&doc);
        cmd
    });
    let check = time(runs, &[0, 1], || {
        let mut cmd = Command::new(wireplan);
        cmd.args(["check", "--format", "json"]).arg(&doc);
        cmd
    });
    let validate = if cli.exists() {
        time(runs.min(3), &[0], || {
            let mut cmd = Command::new("node");
            cmd.arg(&cli).arg("validate").arg(&doc).env("ASYNCAPI_METRICS", "false").env("CI", "true");
            cmd
        })
    } else {
        Err(format!("{} is missing: run `scripts/test.sh`, which installs @asyncapi/cli", cli.display()))
    };
    let mb = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!("{channels} channels, {channels} events, {channels} flows; asyncapi.yaml {:.1} MB", mb(&doc));
    println!("{:<42} {:>9} {:>30}", "command", "median s", "runs (s)");
    let show = |name: &str, times: &Result<Vec<f64>, String>| match times {
        Ok(t) => {
            let runs: Vec<String> = t.iter().map(|x| format!("{x:.2}")).collect();
            println!("{name:<42} {:>9.3} {:>30}", median(t.clone()), runs.join(" "));
        }
        Err(e) => println!("{name:<42} failed: {}", e.lines().next().unwrap_or("")),
    };
    show("wireplan import asyncapi.yaml", &import);
    show("wireplan check --format json asyncapi.yaml", &check);
    show("asyncapi validate asyncapi.yaml", &validate);
    if let (Ok(c), Ok(v)) = (&check, &validate) {
        let (c, v) = (median(c.clone()), median(v.clone()));
        println!("ratio: asyncapi validate takes {:.1}x the time of wireplan check", v / c.max(1e-9));
    }

    let (triggers, chain) = (2_000, 50_000);
    let flows = dir.join("flows.json");
    if std::fs::write(&flows, chained_flows(triggers, chain)).is_err() {
        eprintln!("cannot write {}", flows.display());
        return;
    }
    let node_red = time(runs, &[0], || {
        let mut cmd = Command::new(wireplan);
        cmd.arg("import").arg(&flows);
        cmd
    });
    println!("\nflows.json: {triggers} triggers into a chain of {chain} nodes, {:.1} MB", mb(&flows));
    show("wireplan import flows.json", &node_red);
    let _ = std::fs::remove_dir_all(&dir);
}
