//! Keystroke latency of `wireplan lsp`: the real binary over stdio, a
//! generated spec of 5,000 lines open in it, and one-character edits sent
//! as an editor sends them (incremental `didChange`), one at a time; each is
//! timed from the moment it is written until the `publishDiagnostics` of
//! its version has arrived (read whole, before this client parses it).
//! Prints the median and the 95th percentile (the target is 20 ms), for
//! edits that keep the text parsing, edits that leave a string open (a
//! syntax error of the edited piece's own) and edits that leave a block
//! open (the server then lowers the whole file), then how a burst of edits
//! is coalesced, then the time from a completion request (of an event name
//! after `on "`) and a hover request (on a system's name) to their answers.
//!
//! Run with `cargo bench --bench lsp` (5,000 lines, then 50,000);
//! `WIREPLAN_BENCH_LINES=20000` and `WIREPLAN_BENCH_KEYS=500` change the
//! sizes and the number of edits, and `WIREPLAN_BENCH_BIN=path/to/wireplan`
//! runs another build of the server (an older one, to compare).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A spec of about `lines` lines: systems with entities, events, and flows
/// that map fields, retry, log; a few findings of their own. Its dead
/// letters say whom they alert: without it `unwatched-dead-letter` (which
/// asks every flow since language 1.2) adds 200 grouped infos, and the
/// publication grows from 278 KB to 925 KB, a different workload from the
/// figures the README compares.
fn spec(lines: usize) -> String {
    let mut out = String::from("stack \"bench\" {\n    horizon months=18\n    volume-growth 2.0\n}\n\n");
    let systems = (lines / 250).max(2);
    for s in 0..systems {
        let _ = write!(
            out,
            "system \"sys{s}\" kind=crm {{\n    api rest version=\"v1\"\n    webhooks #true\n    rate-limit 100 per=second\n    entity \"record\" {{\n        field \"id\" type=string required=#true\n        field \"email\" type=email\n        field \"total\" type=money\n    }}\n}}\n\n"
        );
    }
    let mut i = 0;
    // Counted as it grows: counting the whole text each time was quadratic.
    let mut count = out.lines().count();
    while count < lines {
        let before = out.len();
        let (from, to) = (i % systems, (i * 7 + 1) % systems);
        let _ = write!(
            out,
            "event \"ev{i}\" from=sys{from} entity=record version=1 {{\n    key \"id\"\n    field \"id\" type=string required=#true\n    field \"email\" type=email\n    volume per-day=100 peak-per-second=1\n}}\n\nflow \"flow{i}\" {{\n    on \"ev{i}\"\n    to sys{to} action=upsert entity=record {{\n        map \"id\" to=\"id\"\n        map \"email\" to=\"email\"\n    }}\n    retry attempts=3\n    dead-letter alert=\"ops\"\n    log\n}}\n\n"
        );
        count += out[before..].matches('\n').count();
        i += 1;
    }
    out
}

/// The next message and when it had arrived, before it is parsed.
fn read_message(out: &mut impl BufRead) -> Option<(Instant, Value)> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    out.read_exact(&mut body).ok()?;
    let arrived = Instant::now();
    Some((arrived, serde_json::from_slice(&body).ok()?))
}

fn send(stdin: &mut impl Write, message: &Value) {
    let body = message.to_string();
    let _ = write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = stdin.flush();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let sizes: Vec<usize> = std::env::var("WIREPLAN_BENCH_LINES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![5_000, 50_000]);
    let keys: usize = std::env::var("WIREPLAN_BENCH_KEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    for lines in sizes {
        run(lines, keys);
    }
}

/// Answers to `requests` requests sent one at a time, each timed from the
/// moment it is written until its answer arrives; sorted.
fn answers(
    stdin: &mut impl Write,
    incoming: &mpsc::Receiver<(Instant, Value)>,
    first_id: i64,
    requests: usize,
    request: impl Fn(i64) -> Value,
) -> Option<Vec<Duration>> {
    let mut times = Vec::with_capacity(requests);
    for id in first_id..first_id + requests as i64 {
        let sent = Instant::now();
        send(stdin, &request(id));
        loop {
            let (arrived, message) = incoming.recv_timeout(Duration::from_secs(60)).ok()?;
            if message["id"] == id {
                times.push(arrived - sent);
                break;
            }
        }
    }
    times.sort();
    Some(times)
}

/// The median, 95th percentile and maximum of `times` (sorted), in ms.
fn spread(times: &[Duration]) -> String {
    format!(
        "median {:6.2} ms, p95 {:6.2} ms, max {:6.2} ms",
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.95)),
        ms(times[times.len() - 1])
    )
}

fn run(lines: usize, keys: usize) {
    let dir = std::env::temp_dir().join(format!("wireplan-lsp-bench-{}-{lines}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("wireplan.kdl");
    let mut text = spec(lines);
    if std::fs::write(&path, &text).is_err() {
        eprintln!("cannot write {}", path.display());
        return;
    }
    let uri = format!("file://{}", path.display());
    let server = std::env::var("WIREPLAN_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_wireplan").to_owned());
    let Ok(mut child) =
        Command::new(&server).arg("lsp").current_dir(&dir).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()
    else {
        eprintln!("cannot run {server}");
        return;
    };
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else { return };
    let (sender, incoming) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = BufReader::new(stdout);
        while let Some(message) = read_message(&mut out) {
            if sender.send(message).is_err() {
                return;
            }
        }
    });
    // How many diagnostics were published until those of `version`, and
    // when they had arrived.
    let wait_for = |incoming: &mpsc::Receiver<(Instant, Value)>, version: i64| -> Option<(usize, Instant)> {
        let mut published = 0;
        loop {
            let (arrived, message) = incoming.recv_timeout(Duration::from_secs(60)).ok()?;
            if message["method"] == "textDocument/publishDiagnostics" {
                published += 1;
                if message["params"]["version"] == version {
                    return Some((published, arrived));
                }
            }
        }
    };
    send(&mut stdin, &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}));
    send(&mut stdin, &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let start = Instant::now();
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "wireplan", "version": 0, "text": text}}}),
    );
    let Some((_, opened)) = wait_for(&incoming, 0) else {
        eprintln!("no diagnostics for the opened spec");
        return;
    };
    let open = opened - start;
    // Type into a `map` in the middle of the spec: `email` becomes
    // `emailxxx...` (an unresolved field) and back, one key at a time; then
    // `email"yyy...` (a string left open: a syntax error of that piece's
    // own) and back; then ` {yyy...` after the `map` (a block left open:
    // the server lowers the whole file) and back.
    let needle = "map \"email\" to=\"email\"";
    let middle = text.len() / 2;
    let map = text[middle..].find(needle).map_or(0, |i| middle + i);
    let mut version = 0;
    // Types `word` at byte `at` a key at a time, then takes it back a key at
    // a time, as backspace does: every text is new but for the last few
    // taken back.
    let mut keystrokes = |stdin: &mut std::process::ChildStdin, at: usize, word: &str| -> Option<Vec<Duration>> {
        let line = text[..at].matches('\n').count();
        let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
        // An ASCII word: a character is a byte and a UTF-16 unit.
        let typed = word.chars().enumerate().map(|(n, c)| (n, Some(c)));
        let keys: Vec<(usize, Option<char>)> = typed.chain((0..word.len()).rev().map(|n| (n, None))).collect();
        let mut latencies = Vec::with_capacity(keys.len());
        for (n, key) in keys {
            version += 1;
            let start = json!({"line": line, "character": column + n});
            let (range, insert) = match key {
                Some(key) => {
                    text.insert(at + n, key);
                    (json!({"start": start, "end": start}), key.to_string())
                }
                None => {
                    text.remove(at + n);
                    (json!({"start": start, "end": {"line": line, "character": column + n + 1}}), String::new())
                }
            };
            let change = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": range, "text": insert}]}});
            let sent = Instant::now();
            send(stdin, &change);
            let Some((_, arrived)) = wait_for(&incoming, version) else {
                eprintln!("no diagnostics for edit {version}");
                return None;
            };
            latencies.push(arrived - sent);
        }
        latencies.sort();
        Some(latencies)
    };
    let in_name = map + "map \"email".len();
    let Some(latencies) = keystrokes(&mut stdin, in_name, &"x".repeat(keys.div_ceil(2))) else { return };
    let Some(string) = keystrokes(&mut stdin, in_name, &format!("\"{}", "y".repeat(keys / 10))) else { return };
    let Some(block) = keystrokes(&mut stdin, map + needle.len(), &format!(" {{{}", "y".repeat(keys / 20))) else {
        return;
    };
    let keys = latencies.len();
    println!("wireplan lsp, {} lines ({:.0} KiB), {keys} keystrokes", text.lines().count(), text.len() as f64 / 1024.0);
    println!("  open to first diagnostics: {:8.2} ms", ms(open));
    println!("  keystroke to diagnostics:  {} (target 20 ms)", spread(&latencies));
    println!("  a string left open:        {} ({} keystrokes)", spread(&string), string.len());
    println!("  a block left open:         {} ({} keystrokes)", spread(&block), block.len());
    // A burst: 50 edits written at once are checked a few times, not 50.
    let burst = 50;
    let first = version + 1;
    let sent = Instant::now();
    for version in first..first + burst {
        let change = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": " "}]}});
        send(&mut stdin, &change);
    }
    let Some((checks, arrived)) = wait_for(&incoming, first + burst - 1) else { return };
    println!(
        "  a burst of {burst} edits: checked {checks} time(s), last diagnostics after {:.2} ms",
        ms(arrived - sent)
    );
    // Completion after `on "` in the middle of the spec, and hover on the
    // name of the system the first flow writes to.
    let on = text[middle..].find("    on \"").map_or(0, |i| middle + i) + "    on \"".len();
    let (on_line, on_column) = (text[..on].matches('\n').count(), on - text[..on].rfind('\n').map_or(0, |i| i + 1));
    let to = text.find("    to sys").map_or(0, |i| i + "    to sys".len());
    let (to_line, to_column) = (text[..to].matches('\n').count(), to - text[..to].rfind('\n').map_or(0, |i| i + 1));
    let position = |line: usize, character: usize| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    let requests = 50;
    let completion = answers(
        &mut stdin,
        &incoming,
        1_000,
        requests,
        |id| json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/completion", "params": position(on_line, on_column)}),
    );
    let hover = answers(
        &mut stdin,
        &incoming,
        2_000,
        requests,
        |id| json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": position(to_line, to_column)}),
    );
    for (what, times) in [("completion of events", completion), ("hover on a system", hover)] {
        match times {
            Some(times) => println!("  {what:<25} {} ({requests} requests)", spread(&times)),
            None => println!("  {what}: no answer"),
        }
    }
    send(&mut stdin, &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    send(&mut stdin, &json!({"jsonrpc": "2.0", "method": "exit"}));
    drop(stdin);
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
