//! Hostile input reaching the editor side of wireplan and its outputs: bytes
//! on the language server's stdin that are not a message, names that would
//! turn hover Markdown into links or headings or a renamed file into one
//! that no longer parses, include files `fmt` cannot read, and names holding
//! characters that break lines or hide text in a terminal, log or document.
//! Each test drives the real binary.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::lsp::{Client, apply, uri};
use crate::util::{TempSpec, code, stderr, stdout};

/// A JSON-RPC message, framed.
fn frame(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body.into_bytes()].concat()
}

fn request(id: i64, method: &str, params: Value) -> Vec<u8> {
    frame(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
}

/// Every message in a stream of frames (the server's stdout).
fn messages(mut out: &[u8]) -> Vec<Value> {
    let mut found = Vec::new();
    while let Some(start) = out.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = std::str::from_utf8(&out[..start]).expect("the server's headers are ASCII");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .expect("every message has a Content-Length")
            .parse()
            .unwrap();
        let body = &out[start + 4..start + 4 + length];
        found.push(serde_json::from_slice(body).expect("every message is JSON"));
        out = &out[start + 4 + length..];
    }
    assert!(out.is_empty(), "trailing bytes: {:?}", String::from_utf8_lossy(out));
    found
}

/// Runs `wireplan lsp` on `input` (stdin then closed) and returns its exit
/// code and messages.
fn serve(input: Vec<u8>) -> (i32, Vec<Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wireplan"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Written from a thread: the server answers while it reads.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        out
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not exit");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    writer.join().unwrap();
    (status.code().unwrap_or(-1), messages(&reader.join().unwrap()))
}

#[test]
fn the_language_server_answers_every_message_after_garbage() {
    let initialize = request(1, "initialize", json!({"processId": null, "capabilities": {}}));
    let huge = format!("Content-Length: {}\r\n\r\n{{}}", u64::MAX).into_bytes();
    let long_line = vec![b'x'; 3 << 20];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a header line that is not UTF-8", b"\xff\xfe\xfd\r\n".to_vec()),
        ("bytes that are not UTF-8 before a header", b"\xc3\x28\x00\x1b[2J".to_vec()),
        ("text that is no header", b"hello\r\nworld\n\n".to_vec()),
        ("a huge Content-Length", huge),
        ("a negative Content-Length", b"Content-Length: -40\r\n\r\n{}".to_vec()),
        ("no Content-Length", b"Content-Type: application/json\r\n\r\n{\"id\": 9}".to_vec()),
        ("two different Content-Lengths", b"Content-Length: 2\r\nContent-Length: 7\r\n\r\n{}abcde".to_vec()),
        ("a header ended by a bare CR", b"Content-Length: 2\r\r{}".to_vec()),
        ("three megabytes without a line break", long_line),
        ("a body that is not UTF-8", frame_bytes(b"{\"a\": \"\xff\"}")),
        ("a body that is not JSON", frame_bytes(b"not json")),
        ("a body that is not JSON-RPC", frame_bytes(b"[1, 2, 3]")),
    ];
    for (what, garbage) in cases {
        // Garbage before the first message and between two.
        let input = [
            garbage.clone(),
            initialize.clone(),
            garbage,
            request(2, "shutdown", Value::Null),
            frame(&json!({"jsonrpc": "2.0", "method": "exit"})),
        ]
        .concat();
        let (exit, messages) = serve(input);
        let answer = |id: i64| messages.iter().find(|m| m["id"] == id);
        let init = answer(1).unwrap_or_else(|| panic!("{what}: no answer to initialize: {messages:?}"));
        assert_eq!(init["result"]["serverInfo"]["name"], "wireplan", "{what}: {init}");
        assert_eq!(answer(2).map(|m| &m["result"]), Some(&Value::Null), "{what}: {messages:?}");
        let errors: Vec<&Value> = messages.iter().filter(|m| m.get("error").is_some()).collect();
        assert_eq!(errors.len(), 2, "{what}: one error answer per run of garbage: {messages:?}");
        assert_eq!(exit, 0, "{what}: the server ends on `exit` after `shutdown`");
    }
}

fn frame_bytes(body: &[u8]) -> Vec<u8> {
    [format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes(), body.to_vec()].concat()
}

/// What a CommonMark renderer makes of `markdown` that a name must never
/// make: links, images, headings, raw HTML, and line breaks.
fn markup(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(markdown)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::Heading { .. }) => Some(format!("{event:?}")),
            Event::Html(_) | Event::InlineHtml(_) | Event::HardBreak => Some(format!("{event:?}")),
            _ => None,
        })
        .collect()
}

/// The code spans of `markdown`, as a renderer shows them.
fn code_spans(markdown: &str) -> Vec<String> {
    pulldown_cmark::Parser::new(markdown)
        .filter_map(|event| match event {
            pulldown_cmark::Event::Code(text) => Some(text.into_string()),
            _ => None,
        })
        .collect()
}

/// The 0-based line and UTF-16 column of `needle` in `text`.
fn position(text: &str, needle: &str) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("no {needle:?}"));
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": text[start..at].encode_utf16().count()})
}

fn open(client: &mut Client, path: &Path, text: &str) -> String {
    let uri = uri(path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "wireplan", "version": 1, "text": text}}),
    );
    uri
}

/// Names whose characters Markdown would take as markup, a line break or
/// nothing at all. KDL escapes put them in the names.
const MARKDOWN_NAMES: &[(&str, &str)] = &[
    ("x`\\n# heading\\n![i](http://evil.example/a.png)", "x`\n# heading\n![i](http://evil.example/a.png)"),
    ("``[click](http://evil.example)``", "``[click](http://evil.example)``"),
    ("<img src=x onerror=alert(1)>\\n- item", "<img src=x onerror=alert(1)>\n- item"),
    ("a\\u{202e}b\\u{2028}c\\u{200b}", "a\u{202e}b\u{2028}c\u{200b}"),
];

#[test]
fn hover_shows_every_name_in_a_code_span_that_it_cannot_leave() {
    let spec = TempSpec::new("hostile-hover");
    let mut text = String::new();
    for (i, (escaped, _)) in MARKDOWN_NAMES.iter().enumerate() {
        text.push_str(&format!("system \"{escaped}\" kind=crm\nsystem \"s{i}\" kind=erp\n"));
        text.push_str(&format!(
            "flow \"f{i}\" {{\n    schedule every=\"1d\"\n    from \"{escaped}\"\n    to \"s{i}\" action=update\n}}\n"
        ));
    }
    let path = spec.file("wireplan.kdl", &text);
    let mut client = Client::start(&spec.dir);
    client.initialize(&spec.dir);
    let uri = open(&mut client, &path, &text);
    for (escaped, name) in MARKDOWN_NAMES {
        for at in [format!("system \"{escaped}"), format!("from \"{escaped}")] {
            let mut p = position(&text, &at);
            p["character"] = json!(p["character"].as_u64().unwrap() + at.find('"').unwrap() as u64 + 2);
            let hover = client.result("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": p}));
            let value = hover["contents"]["value"].as_str().unwrap_or_else(|| panic!("no hover at {at}: {hover}"));
            assert_eq!(markup(value), Vec::<String>::new(), "{at}: a name made markup:\n{value}");
            for c in ['\u{202e}', '\u{2028}', '\u{200b}'] {
                assert!(!value.contains(c), "{at}: a hidden character reached the hover raw:\n{value}");
            }
            // The name is shown whole, in one code span, escaped as on a terminal.
            let shown = name.replace('\n', "\\n").replace('\u{202e}', "\\u{202e}").replace('\u{2028}', "\\u{2028}");
            let shown = shown.replace('\u{200b}', "\\u{200b}");
            let spans = code_spans(value);
            assert!(
                spans.iter().any(|s| s.trim() == shown),
                "{at}: {shown:?} is not one code span of the hover: {spans:?}\n{value}"
            );
        }
    }
    assert!(client.shutdown().success());
}

/// Names that KDL refuses raw, takes as a line break or keywords, and names
/// that are fine: a rename either refuses one (and the language refuses it
/// too) or writes it so that the file reads back the same name.
const NEW_NAMES: &[&str] = &[
    "a\u{202e}b",
    "\u{feff}bom",
    "line\u{2028}sep",
    "zero\u{200b}width",
    "quote\"back\\slash",
    "true",
    "a\nb",
    "ne\u{85}l",
    "non\u{fffe}char",
    "tab\there",
    "plain name",
];

#[test]
fn rename_writes_a_name_the_file_reads_back_or_refuses_it() {
    let spec = TempSpec::new("hostile-rename");
    let text = "system crm kind=crm\nsystem \"erp\" kind=erp\nflow \"sync\" {\n    on \"changed\"\n    to erp action=update\n}\nevent changed from=crm\n";
    let path = spec.file("wireplan.kdl", text);
    let mut client = Client::start(&spec.dir);
    client.initialize(&spec.dir);
    let uri = open(&mut client, &path, text);
    let mut version = 1;
    for new_name in NEW_NAMES {
        let response = client.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri}, "position": position(text, "crm kind"), "newName": new_name}),
        );
        let symbols = |client: &mut Client| {
            let result = client.result("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
            result.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        if let Some(error) = response.get("error") {
            // Refused: the language refuses the name too, written with escapes.
            let message = error["message"].as_str().unwrap();
            assert!(message.contains("cannot be a system name"), "{new_name:?}: {message}");
            assert!(!message.chars().any(|c| c.is_control()), "{new_name:?}: the message holds it raw: {message}");
            let escaped: String = new_name.chars().map(|c| format!("\\u{{{:x}}}", c as u32)).collect();
            let written = text
                .replacen("system crm", &format!("system \"{escaped}\""), 1)
                .replace("from=crm", &format!("from=\"{escaped}\""));
            version += 1;
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": written}]}),
            );
            let diagnostics = client.diagnostics(&uri, |p| p["version"] == version);
            assert!(
                diagnostics.iter().any(|d| d["severity"] == 1 && d["range"]["start"]["line"] == 0),
                "{new_name:?}: refused by rename ({message}) but not by the language: {diagnostics:?}"
            );
        } else {
            let edits = response["result"]["changes"][&uri].as_array().unwrap().clone();
            assert_eq!(edits.len(), 2, "{new_name:?}: the declaration and the reference: {response}");
            let renamed = apply(text, &edits);
            for edit in &edits {
                let new_text = edit["newText"].as_str().unwrap();
                assert!(
                    new_text.chars().all(|c| c == ' ' || !(c.is_control() || c.is_whitespace() || c > '\u{7e}')),
                    "{new_name:?}: written raw: {new_text:?}"
                );
            }
            version += 1;
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": renamed}]}),
            );
            let diagnostics = client.diagnostics(&uri, |p| p["version"] == version);
            assert!(
                diagnostics.iter().all(|d| d["severity"] != 1),
                "{new_name:?}: the renamed file has errors:\n{renamed}\n{diagnostics:?}"
            );
            let read_back = symbols(&mut client);
            assert!(read_back.iter().any(|s| s == new_name), "{new_name:?}: not read back:\n{renamed}\n{read_back:?}");
        }
        // Back to the start for the next name.
        version += 1;
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }
    // A name another system has is refused too.
    let response = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": position(text, "crm kind"), "newName": "erp"}),
    );
    assert!(response["error"]["message"].as_str().unwrap().contains("already"), "{response}");
    assert!(client.shutdown().success());
}

#[test]
fn fmt_reports_an_include_it_cannot_read_and_fails() {
    let spec = TempSpec::new("hostile-fmt-utf8");
    spec.file("wireplan.kdl", "include \"parts/*.kdl\"\nsystem \"crm\" kind=crm\n");
    spec.file("parts/a.kdl", b"system \"x\xff\" kind=crm\n");
    spec.file("parts/b.kdl", "system   \"y\"   kind=erp\n");
    let check = spec.run(&["check", "--format", "short"]);
    assert_eq!(code(&check), 1);
    assert!(stdout(&check).contains("parts/a.kdl:1:10: error[syntax]: this file is not valid UTF-8"));
    for args in [&["fmt", "--check"][..], &["fmt"][..]] {
        let out = spec.run(args);
        assert_eq!(code(&out), 1, "{args:?}: {}{}", stdout(&out), stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("parts/a.kdl:1:10: error[syntax]: this file is not valid UTF-8"), "{args:?}: {err}");
        assert!(err.contains("parts/a.kdl: not formatted"), "{args:?}: {err}");
    }
    // The other files are still formatted, and the bad one left as it was.
    assert_eq!(std::fs::read_to_string(spec.dir.join("parts/b.kdl")).unwrap(), "system \"y\" kind=erp\n");
    assert_eq!(std::fs::read(spec.dir.join("parts/a.kdl")).unwrap(), b"system \"x\xff\" kind=crm\n");
}

/// Characters that break a line or hide text, one of each kind: line and
/// paragraph separators, zero-width and format characters, the byte-order
/// mark, the soft hyphen, a tag character, a Hangul filler, a variation
/// selector and a private-use character.
const HIDDEN: &[char] = &[
    '\u{2028}',
    '\u{2029}',
    '\u{200b}',
    '\u{feff}',
    '\u{2066}',
    '\u{ad}',
    '\u{e0041}',
    '\u{3164}',
    '\u{fe0f}',
    '\u{e000}',
];

#[test]
fn no_output_format_prints_a_hidden_character_raw() {
    let spec = TempSpec::new("hostile-hidden-chars");
    let name = |i: usize| format!("w{i}q\\u{{{:x}}}x", HIDDEN[i] as u32);
    let mut text = String::from("stack \"st\\u{2029}ack\"\n");
    for i in 0..HIDDEN.len() {
        text.push_str(&format!("system \"{}\" kind=crm\nsystem \"t{i}\" kind=warehouse\n", name(i)));
        text.push_str(&format!(
            "flow \"{}f\" {{\n    schedule every=\"1d\"\n    from \"{}\"\n    to \"t{i}\" action=update\n}}\n",
            name(i),
            name(i)
        ));
    }
    spec.file("wireplan.kdl", &text);
    spec.file("old/wireplan.kdl", text.replace("action=update", "action=upsert").replace("kind=crm", "kind=erp"));
    let html = spec.dir.join("plan.html");
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", "--format", "human"],
        vec!["check", "--format", "short"],
        vec!["check", "--format", "github"],
        vec!["check", "--format", "json"],
        vec!["check", "--format", "sarif"],
        vec!["check", "--format", "junit"],
        vec!["plan", "--format", "human"],
        vec!["plan", "--format", "markdown"],
        vec!["plan", "--format", "json", "--html", html.to_str().unwrap()],
        vec!["graph", "--format", "mermaid"],
        vec!["graph", "--format", "dot"],
        vec!["diff", "old", ".", "--format", "human"],
        vec!["diff", "old", ".", "--format", "markdown"],
        vec!["diff", "old", ".", "--format", "json"],
    ];
    for args in runs {
        let out = spec.run(&args);
        let printed = stdout(&out) + &stderr(&out);
        assert!(printed.contains("w0q"), "{args:?}: the names are printed: {printed}");
        for c in HIDDEN {
            assert!(!printed.contains(*c), "{args:?}: {c:?} printed raw:\n{printed}");
        }
        if args.contains(&"json") || args.contains(&"sarif") {
            // Escaped as JSON escapes (a surrogate pair past U+FFFF), so a
            // reader gets every name back whole.
            let json: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let mut strings = Vec::new();
            collect_strings(&json, &mut strings);
            for (i, c) in HIDDEN.iter().enumerate() {
                let name = format!("w{i}q{c}x");
                for s in strings.iter().filter(|s| s.contains(&format!("w{i}q"))) {
                    assert!(s.contains(&name), "{args:?}: {name:?} does not read back: {s:?}");
                }
            }
            assert!(strings.iter().any(|s| s.contains(&format!("w0q{}x", HIDDEN[0]))), "{args:?}");
        }
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("w0q"));
    for c in HIDDEN {
        assert!(!page.contains(*c), "the HTML report holds {c:?} raw");
    }
}

/// Every string in `value`, keys included.
fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                collect_strings(v, out);
            }
        }
        _ => {}
    }
}
