//! A credential written into a spec is never printed, however it is
//! written: KDL escapes (`\u{73}`), a multi-line `"""` string, a
//! backslash-newline continuation, a raw string, or a mix of them. For each,
//! every output is searched for any piece of the decoded credential longer
//! than the prefix its mask keeps: every `check` format, every `plan`
//! format and its HTML page, `graph`, `build`, `fmt --check`, `diff`, a
//! written baseline, and a language-server session.

use std::path::Path;

use serde_json::{Value, json};

use crate::lsp::{Client, uri};
use crate::util::{TempSpec, code, stderr, stdout};

/// Realistic credentials, with the public prefix of their format (which the
/// `secret-literal` finding names) and no piece that could turn up in output
/// by chance (every piece holds a character no hash or number holds).
const SECRETS: &[(&str, &str)] = &[("sk_live_4eC39HqLyjWDarjtT1zdpGvQx", "sk_live_"), ("AKIAZ7QW3RTY5UIO9PXK", "AKIA")];

/// Each encoding: how it writes a secret as a KDL string literal.
type Encoding = (&'static str, Box<dyn Fn(&str) -> String>);

fn encodings() -> Vec<Encoding> {
    vec![
        // Every third character as a `\u{..}` escape.
        (
            "escapes",
            Box::new(|s: &str| {
                let body: String = s
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i % 3 == 0 { format!("\\u{{{:x}}}", c as u32) } else { c.to_string() })
                    .collect();
                format!("\"{body}\"")
            }),
        ),
        ("multi-line", Box::new(|s: &str| format!("\"\"\"\n        {s}\n        \"\"\""))),
        (
            "continuation",
            Box::new(|s: &str| {
                let (a, b) = s.split_at(s.len() / 2);
                let (b, c) = b.split_at(b.len() / 2);
                format!("\"{a}\\\n        {b}\\\n   {c}\"")
            }),
        ),
        ("raw", Box::new(|s: &str| format!("#\"{s}\"#"))),
        // An escape in each half, joined by a continuation.
        (
            "mixed",
            Box::new(|s: &str| {
                let escape_first = |t: &str| {
                    let mut chars = t.chars();
                    let first = chars.next().unwrap();
                    format!("\\u{{{:x}}}{}", first as u32, chars.as_str())
                };
                let (a, b) = s.split_at(s.len() / 2);
                format!("\"{}\\\n        {}\"", escape_first(a), escape_first(b))
            }),
        ),
    ]
}

/// A spec that shows the secret everywhere it can: as a system's name
/// (graph, plan, symbols, and the messages of other findings: the system is
/// declared twice, a spec error that names it, which `build` prints), in a
/// value on a line with another finding (snippets), referenced by a flow,
/// and as a `secret`. The line with the other finding is too wide for the
/// terminal, so its snippet is clipped, just inside the secret.
fn spec_text(written: &str) -> String {
    let wide = "wide=1 ".repeat(20);
    format!(
        "system {written} kind=crm {{\n    owner {written} bogus=1 {wide}\n    secret {written}\n}}\n\
         system {written} kind=erp\n\
         system \"mail\" kind=email {{ secret \"MAIL_TOKEN\" }}\n\
         event \"lead.created\" {{\n    source {written}\n}}\n\
         flow \"sync\" {{\n    on \"lead.created\"\n    to \"mail\" action=update\n    to {written} action=update\n}}\n"
    )
}

/// The first piece of `secret` longer than a mask keeps (other than the
/// public prefix of its format) that `text` holds.
fn shown_piece(secret: &str, public: &str, text: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    let keep = (chars.len() / 4).min(4);
    chars.windows(keep + 1).map(|w| w.iter().collect::<String>()).find(|piece| {
        // Each piece holds a character that no hash or count holds, so
        // finding it means the secret leaked.
        assert!(piece.chars().any(|c| c.is_ascii_uppercase() || "_ghjklmnopqrstuvwxyz".contains(c)));
        !public.contains(piece.as_str()) && text.contains(piece.as_str())
    })
}

/// Every string in a JSON value, decoded, one per line.
fn strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push_str(k);
            out.push('\n');
            strings(v, out);
        }),
        _ => {}
    }
}

/// Runs every command on the spec and returns what each printed or wrote.
fn every_output(spec: &TempSpec) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let mut run = |args: &[&str]| {
        let out = spec.run(args);
        let refuses = args[0] == "diff";
        assert!(code(&out) <= 1 || (refuses && code(&out) == 2), "{args:?} failed: {}", stderr(&out));
        outputs.push((format!("{args:?}"), stdout(&out) + &stderr(&out)));
        out
    };
    for format in ["human", "short", "json", "sarif", "github", "junit"] {
        let out = run(&["check", "--format", format]);
        assert_eq!(code(&out), 1, "a secret-literal is an error");
    }
    for format in ["human", "markdown", "json"] {
        run(&["plan", "--format", format]);
    }
    for format in ["mermaid", "dot"] {
        run(&["graph", "--format", format]);
    }
    run(&["fmt", "--check"]);
    spec.file("empty.kdl", "");
    // `diff` refuses a spec with spec errors (exit 2), printing them masked.
    let diffed = run(&["diff", "empty.kdl", "wireplan.kdl"]);
    assert_eq!(code(&diffed), 2, "{}", stderr(&diffed));
    run(&["plan", "--html", "plan.html"]);
    run(&["check", "--write-baseline", "baseline.json"]);
    // A spec with a credential is an error: nothing is built, and the
    // errors on stderr are masked.
    let build = run(&["build", "--target", "hub", "--out", "built"]);
    assert_eq!(code(&build), 1, "build refuses the spec: {}", stderr(&build));
    let built = spec.dir.join("built");
    assert!(
        !built.exists() || std::fs::read_dir(&built).unwrap().next().is_none(),
        "build wrote files for a spec with a credential"
    );
    for file in ["plan.html", "baseline.json"] {
        let text = std::fs::read_to_string(spec.dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        outputs.push((file.to_owned(), text));
    }
    outputs
}

/// Everything a language server sends in a session on the spec: its
/// diagnostics and its answers to every request that returns text.
fn lsp_session(dir: &Path, text: &str, written: &str) -> Vec<(String, String)> {
    let mut client = Client::start(dir);
    client.initialize(dir);
    let path = dir.join("wireplan.kdl");
    let uri = uri(&path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "wireplan", "version": 1, "text": text}}),
    );
    let diagnostics = client.diagnostics(&uri, |p| !p["diagnostics"].as_array().unwrap().is_empty());
    let mut messages = vec![("publishDiagnostics".to_owned(), Value::Array(diagnostics))];
    // Every place the secret is written, and just inside it.
    let mut places = Vec::new();
    for (at, _) in text.match_indices(written) {
        for at in [at, at + 3] {
            let line = text[..at].matches('\n').count();
            let character = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
            places.push(json!({"line": line, "character": character}));
        }
    }
    let document = json!({"uri": uri});
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}});
    for position in &places {
        let at = json!({"textDocument": document, "position": position});
        for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition"] {
            messages.push((method.to_owned(), client.request(method, at.clone())));
        }
        let references =
            json!({"textDocument": document, "position": position, "context": {"includeDeclaration": true}});
        messages.push(("references".to_owned(), client.request("textDocument/references", references)));
        let rename = json!({"textDocument": document, "position": position, "newName": "crm"});
        messages.push(("rename".to_owned(), client.request("textDocument/rename", rename)));
    }
    let actions = json!({"textDocument": document, "range": whole, "context": {"diagnostics": []}});
    messages.push(("codeAction".to_owned(), client.request("textDocument/codeAction", actions)));
    messages.push((
        "documentSymbol".to_owned(),
        client.request("textDocument/documentSymbol", json!({"textDocument": document})),
    ));
    let formatting = json!({"textDocument": document, "options": {"tabSize": 4, "insertSpaces": true}});
    messages.push(("formatting".to_owned(), client.request("textDocument/formatting", formatting)));
    messages.extend(client.notifications.drain(..).map(|n| ("notification".to_owned(), n)));
    let mut outputs = Vec::new();
    for (what, message) in messages {
        let mut decoded = message.to_string();
        decoded.push('\n');
        strings(&message, &mut decoded);
        outputs.push((format!("lsp {what}"), decoded));
    }
    outputs
}

#[test]
fn a_detected_secret_is_never_printed_however_it_is_written() {
    let (mut leaks, mut outputs) = (Vec::new(), 0);
    for &(secret, public) in SECRETS {
        for (name, encode) in encodings() {
            let written = encode(secret);
            let text = spec_text(&written);
            let spec = TempSpec::new(&format!("hostile-secret-{name}-{}", &secret[..4]));
            spec.file("wireplan.kdl", &text);
            // The credential is found, so there is something to mask.
            let json = spec.run(&["check", "--format", "json"]);
            assert!(stdout(&json).contains("secret-literal"), "{name}: the secret is not detected:\n{}", stdout(&json));
            for (what, output) in every_output(&spec).into_iter().chain(lsp_session(&spec.dir, &text, &written)) {
                outputs += 1;
                if let Some(piece) = shown_piece(secret, public, &output) {
                    leaks.push(format!("{name} ({public}...): {what} shows `{piece}`:\n{output}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "{} of {outputs} outputs show a secret:\n\n{}", leaks.len(), leaks.join("\n\n"));
}
