//! The test that keeps the backends apart: no file under `src/emit/` uses a
//! backend's folder but its own (what two backends share lives in a kit
//! beside them, such as `nodered/`), and none uses `lint`, which runs before
//! a build and is handed to no backend. Only `emit/mod.rs` names every
//! backend, to dispatch.
//!
//! It reads the paths a file names, outside comments and tests: every `use`
//! item, grouped ones (`use crate::{emit::hub, lint}`) expanded, and every
//! path written in the code (`crate::emit::hub::X`), with `super::` and
//! `self::` resolved from the file's own module.

use std::path::Path;

use clap::ValueEnum as _;

use super::Target;

/// The module path of the file `rel` (relative to `src/`): `emit/hub/flows.rs`
/// is `["emit", "hub", "flows"]`, a `mod.rs` its folder's.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The code of `text` before its tests, without comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every path `text` names, absolute from the crate root (`["emit", "hub",
/// "flows"]`), for a file of the module `module`.
fn paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let code = code(text);
    let mut found = Vec::new();
    // `use` items, grouped ones expanded.
    let mut rest = code.as_str();
    while let Some(at) = find_word(rest, "use") {
        let tail = &rest[at + 3..];
        let end = tail.find(';').unwrap_or(tail.len());
        expand(&without_renames(&tail[..end]).replace(char::is_whitespace, ""), &mut Vec::new(), &mut found);
        rest = &tail[end..];
    }
    // Paths in the code: `crate::a::b`, `super::a`.
    for start in ["crate::", "super::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().next_back();
            let path: String =
                rest[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                found.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
            }
            rest = &rest[at + start.len()..];
        }
    }
    found.into_iter().filter_map(|p| absolute(&p, module)).collect()
}

/// Where the keyword `word` starts in `text`, standing alone.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(word).map(|i| i + from) {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let alone = |c: Option<char>| !c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if alone(before) && alone(after) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// A `use` tree without its renames (`a as b` is `a`).
fn without_renames(tree: &str) -> String {
    let mut out = String::with_capacity(tree.len());
    let mut rest = tree;
    while let Some(at) = find_word(rest, "as") {
        out.push_str(&rest[..at]);
        let after = rest[at + 2..].trim_start();
        rest = after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    out
}

/// The paths of one `use` tree (whitespace removed), each prefixed by
/// `prefix`: `a::{b,c::{d}}` is `a::b` and `a::c::d`.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim_start_matches("::");
    match tree.find('{') {
        Some(open) if tree.ends_with('}') => {
            let head: Vec<String> = tree[..open].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let depth = prefix.len();
            prefix.extend(head);
            // Split the group at its top-level commas.
            let inner = &tree[open + 1..tree.len() - 1];
            let (mut level, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        expand(&inner[start..i], prefix, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&inner[start..], prefix, out);
            prefix.truncate(depth);
        }
        _ => {
            let mut path = prefix.clone();
            path.extend(tree.split("::").filter(|s| !s.is_empty() && *s != "*").map(str::to_owned));
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
}

/// `path` from the crate root, resolving `crate`, `self` and `super` from
/// `module`; `None` for a path into another crate.
fn absolute(path: &[String], module: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    for part in rest {
        if part == "super" {
            base.pop();
        } else if part != "self" {
            base.push(part.clone());
        }
    }
    Some(base)
}

/// What the file of `module` uses that it may not: another backend's folder,
/// or `lint`.
fn wrong_uses(text: &str, module: &[String]) -> Vec<String> {
    let backends: Vec<&str> = Target::value_variants().iter().map(|t| t.name()).collect();
    let own = module.get(1).map(String::as_str);
    let mut wrong: Vec<String> = paths(text, module)
        .into_iter()
        .filter(|p| match p.first().map(String::as_str) {
            Some("lint") => true,
            Some("emit") => p.get(1).is_some_and(|b| backends.contains(&b.as_str()) && Some(b.as_str()) != own),
            _ => false,
        })
        .map(|p| p.join("::"))
        .collect();
    wrong.sort();
    wrong.dedup();
    wrong
}

#[test]
fn no_backend_uses_another_backend_or_lint() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src.join("emit")];
    let mut wrong = Vec::new();
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            if path.extension().is_none_or(|e| e != "rs") || rel == Path::new("emit/mod.rs") {
                continue;
            }
            files += 1;
            let module = module_of(rel);
            for used in wrong_uses(&std::fs::read_to_string(&path).unwrap(), &module) {
                wrong.push(format!("{}: uses crate::{used}", rel.display()));
            }
        }
    }
    assert!(files > 20, "read only {files} files");
    wrong.sort();
    assert!(wrong.is_empty(), "backends that lean on another backend or on `lint`:\n{}", wrong.join("\n"));
}

#[test]
fn planted_imports_are_found_however_they_are_written() {
    let broker = module_of(Path::new("emit/broker/connectors.rs"));
    assert_eq!(broker, ["emit", "broker", "connectors"]);
    let planted = [
        "use crate::emit::hub::flows::AUDIT_LINE;",
        "use crate::{\n    emit::{hub::{self, Hub}, names},\n    model::Spec,\n};",
        "use crate::emit::{etl as e, names};",
        "use super::super::hub;",
        "use crate::lint::cron_gap;",
        "use crate::{lint};",
        "fn f() { let x = crate::emit::hub::flows::AUDIT_LINE; }",
        "fn f() { super::super::etl::emit(input) }",
    ];
    for text in planted {
        assert!(!wrong_uses(text, &broker).is_empty(), "missed: {text}");
    }
    let fine = [
        "use crate::emit::nodered::{model::Hub, nodes::Nodes};",
        "use super::{Broker, USER};",
        "use crate::{emit::{broker, names}, model::Spec};",
        "// use crate::emit::hub;",
        "fn f() { hub::emit(x); my_crate::emit::hub::x() }",
        "#[cfg(test)]\nmod tests { use crate::emit::hub; }",
    ];
    for text in fine {
        assert!(wrong_uses(text, &broker).is_empty(), "wrongly found in: {text}: {:?}", wrong_uses(text, &broker));
    }
    // The kit belongs to no backend: it may use none.
    let kit = module_of(Path::new("emit/nodered/parts.rs"));
    assert!(!wrong_uses("use crate::emit::broker::Broker;", &kit).is_empty());
}
