//! The order of the modules, lowest first, and a test that every module
//! uses only the modules below it: the pipeline's arrows all point down
//! (ARCHITECTURE.md draws the same order). A base type that two stages need
//! lives below both; a module that needs a later stage's work takes it as an
//! argument instead of reaching up for it.

/// Each layer lists the modules that may use each other; a module may use
/// any module of an earlier layer. `crate` is the crate root's own items (the
/// pipeline function `check_loaded` and its `Checked`).
#[cfg(test)]
const LAYERS: &[&[&str]] = &[
    // `git` reads a revision's spec folder from git's objects, for the CLI.
    // `cron` reads cron expressions and uses nothing else: lowering checks
    // them, the model asks how long a schedule waits between runs, a check
    // and a backend read them.
    &["source", "parallel", "escape", "prose", "suggest", "secrets", "git", "cron"],
    // The connector catalog is data the checks and backends read; it uses
    // nothing of the pipeline.
    &["catalog"],
    &["syntax"],
    &["model"],
    &["shapes"],
    &["diagnostic"],
    // The loader reads files and follows includes; the crate root hands it
    // the front end (parse and lower) to run on each.
    &["load"],
    &["lower"],
    &["resolve"],
    &["graph"],
    &["stages"],
    // The planner reads the model and the findings it is given; the
    // `stage-mismatch` check asks it for the stages.
    &["plan"],
    &["lint"],
    &["redact"],
    &["crate"],
    &["baseline", "diff", "docs"],
    &["render"],
    &["emit"],
    &["write"],
    // Compares what `emit` generates with a deployment (and applies it).
    &["drift"],
    &["fmt"],
    // The one way out of the process, masking credentials (see `out`).
    &["out"],
    // `check --fix`: applies the findings' fixes through the writer.
    &["fix"],
    // Imports other formats into a spec: runs the pipeline, formats, writes.
    &["import"],
    &["lsp"],
    &["cli"],
    // The fuzz target runs everything, the language server included.
    &["fuzz"],
    // The entry points of the benchmarks and of the annotated-spec tests
    // (`lib.rs`) run whole pipelines too.
    &["bench", "testing"],
];

#[cfg(test)]
mod tests {
    //! The test reads each file's `use` items (grouped, nested, renamed,
    //! `pub use`, through `crate::`, `super::` and `self::`) and the paths
    //! written in its code (`crate::x::f()`, `super::y`), with comments and
    //! string literals left out, and resolves each to the top-level module
    //! it names. Inline `mod m { .. }` blocks are modules of their own.

    use std::path::Path;

    use super::LAYERS;

    fn layer_of(module: &str) -> Option<usize> {
        LAYERS.iter().position(|layer| layer.contains(&module))
    }

    /// The pieces of Rust text a path is made of; everything else is `Other`.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Tok<'a> {
        Ident(&'a str),
        /// `::`
        Sep,
        Open,
        Close,
        Comma,
        Semi,
        Star,
        Other,
    }

    /// Splits `text` into tokens, skipping comments, whitespace, string,
    /// byte-string, raw-string and character literals.
    fn tokens(text: &str) -> Vec<Tok<'_>> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        while i < b.len() {
            match b[i] {
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let mut depth = 0;
                    while i < b.len() {
                        if b[i..].starts_with(b"/*") {
                            depth += 1;
                            i += 2;
                        } else if b[i..].starts_with(b"*/") {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            i += 1;
                        }
                    }
                }
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                    out.push(Tok::Other);
                }
                b'\'' => {
                    // A character literal ('x', '\n', '"', 'é') or a lifetime.
                    let rest = &text[i + 1..];
                    let mut chars = rest.char_indices();
                    match chars.next() {
                        Some((_, '\\')) => {
                            i += 2;
                            while i < b.len() && b[i] != b'\'' {
                                i += 1;
                            }
                            i += 1;
                        }
                        Some((_, c)) if rest[c.len_utf8()..].starts_with('\'') => i += 2 + c.len_utf8(),
                        _ => i += 1,
                    }
                    out.push(Tok::Other);
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = i;
                    while i < b.len() && ident(b[i]) {
                        i += 1;
                    }
                    let word = &text[start..i];
                    let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                    if matches!(word, "r" | "br") && b.get(i + hashes) == Some(&b'"') {
                        // A raw string: up to `"` and as many `#`.
                        let close = format!("\"{}", "#".repeat(hashes));
                        i += hashes + 1;
                        i = text[i..].find(&close).map_or(b.len(), |at| i + at + close.len());
                        out.push(Tok::Other);
                    } else if word == "b" && matches!(b.get(i), Some(b'"' | b'\'')) {
                        // A byte string or byte: the literal follows.
                    } else {
                        out.push(Tok::Ident(word));
                    }
                }
                b':' if b.get(i + 1) == Some(&b':') => {
                    out.push(Tok::Sep);
                    i += 2;
                }
                b'{' | b'}' | b',' | b';' | b'*' => {
                    out.push(match b[i] {
                        b'{' => Tok::Open,
                        b'}' => Tok::Close,
                        b',' => Tok::Comma,
                        b';' => Tok::Semi,
                        _ => Tok::Star,
                    });
                    i += 1;
                }
                c if c.is_ascii_whitespace() => i += 1,
                _ => {
                    out.push(Tok::Other);
                    i += 1;
                }
            }
        }
        out
    }

    /// Reads one use tree at `toks[*i]` (`a::b`, `a::{b, c::{d, e}}`, `a as
    /// b`, `a::*`), appending each full path to `out`.
    fn use_tree<'a>(toks: &[Tok<'a>], i: &mut usize, prefix: &[&'a str], out: &mut Vec<Vec<&'a str>>) {
        let mut path = prefix.to_vec();
        while let Some(&tok) = toks.get(*i) {
            match tok {
                Tok::Ident("as") => {
                    *i += 2;
                    break;
                }
                Tok::Ident(name) => {
                    path.push(name);
                    *i += 1;
                }
                Tok::Sep | Tok::Star => *i += 1,
                Tok::Open => {
                    *i += 1;
                    loop {
                        let before = *i;
                        use_tree(toks, i, &path, out);
                        match toks.get(*i) {
                            Some(Tok::Comma) => *i += 1,
                            Some(Tok::Close) => {
                                *i += 1;
                                break;
                            }
                            _ if *i == before => break,
                            _ => {}
                        }
                        if *i >= toks.len() {
                            break;
                        }
                    }
                    return;
                }
                _ => break,
            }
        }
        if path.len() > prefix.len() {
            out.push(path);
        }
    }

    /// The top-level module `path` names from inside module `at` (the
    /// crate root is `[]`), `"crate"` for an item of the crate root, or
    /// `None` for what is outside the crate or inside `at` itself.
    fn resolve(path: &[&str], at: &[String], is_module: &dyn Fn(&str) -> bool) -> Option<String> {
        let mut segments = path.iter().copied().peekable();
        let mut module: Vec<String> = match segments.peek().copied() {
            Some("crate") => {
                segments.next();
                Vec::new()
            }
            Some("self") => {
                segments.next();
                at.to_vec()
            }
            Some("super") => at.to_vec(),
            // A relative path from the crate root names a module or an
            // item of the root; from elsewhere, a child or another crate.
            Some(_) if at.is_empty() => Vec::new(),
            _ => return None,
        };
        while segments.peek() == Some(&"super") {
            segments.next();
            module.pop();
        }
        if let Some(top) = module.first() {
            return Some(top.clone());
        }
        match segments.next() {
            Some(name) if is_module(name) => Some(name.to_owned()),
            Some(_) if path[0] != "crate" && path[0] != "super" && path[0] != "self" => None,
            _ => Some("crate".to_owned()),
        }
    }

    /// Every use of a module in `text`, as (the module using it, the
    /// top-level module used); `module` is the file's module path (`[]` for
    /// `lib.rs`). Tests, after `#[cfg(test)]` at the end of a file, may
    /// build whole pipelines and are left out.
    fn uses(text: &str, module: &[String], is_module: &dyn Fn(&str) -> bool) -> Vec<(String, String)> {
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let toks = tokens(code);
        let mut found = Vec::new();
        // The inline modules open at each depth of braces.
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0;
        let mut i = 0;
        let here = |inline: &[(String, usize)]| -> Vec<String> {
            module.iter().cloned().chain(inline.iter().map(|(name, _)| name.clone())).collect()
        };
        while i < toks.len() {
            let after_sep = i > 0 && toks[i - 1] == Tok::Sep;
            match toks[i] {
                Tok::Ident("mod") => {
                    if let (Some(Tok::Ident(name)), Some(Tok::Open)) = (toks.get(i + 1), toks.get(i + 2)) {
                        depth += 1;
                        inline.push(((*name).to_owned(), depth));
                        i += 3;
                        continue;
                    }
                }
                Tok::Ident("use") => {
                    i += 1;
                    let mut paths = Vec::new();
                    use_tree(&toks, &mut i, &[], &mut paths);
                    let at = here(&inline);
                    let user = at.first().cloned().unwrap_or_else(|| "crate".to_owned());
                    for path in paths {
                        if let Some(used) = resolve(&path, &at, is_module) {
                            found.push((user.clone(), used));
                        }
                    }
                    continue;
                }
                // A path written in code: `crate::x`, `super::y`, `self::z`,
                // and in the crate root `x::f()` for a module `x`.
                Tok::Ident(first)
                    if !after_sep
                        && toks.get(i + 1) == Some(&Tok::Sep)
                        && (matches!(first, "crate" | "super" | "self")
                            || (module.is_empty() && inline.is_empty() && is_module(first))) =>
                {
                    let mut path = vec![first];
                    let mut j = i + 1;
                    while let (Some(Tok::Sep), Some(Tok::Ident(next))) = (toks.get(j), toks.get(j + 1)) {
                        path.push(next);
                        j += 2;
                    }
                    let at = here(&inline);
                    let user = at.first().cloned().unwrap_or_else(|| "crate".to_owned());
                    if let Some(used) = resolve(&path, &at, is_module) {
                        found.push((user, used));
                    }
                    i = j;
                    continue;
                }
                Tok::Open => depth += 1,
                Tok::Close => {
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                    depth -= 1;
                }
                _ => {}
            }
            i += 1;
        }
        found
    }

    /// The arrows of `text` (the file `rel` under `src/`) that point up.
    fn wrong_uses(rel: &Path, text: &str, src: &Path) -> Vec<String> {
        let is_module = |name: &str| src.join(format!("{name}.rs")).is_file() || src.join(name).is_dir();
        let mut module: Vec<String> =
            rel.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        if module.last().is_some_and(|m| m == "mod" || m == "lib") {
            module.pop();
        }
        let mut wrong = Vec::new();
        for (user, used) in uses(text, &module, &is_module) {
            if used == user {
                continue;
            }
            let Some(own) = layer_of(&user) else {
                wrong.push(format!("{}: module `{user}` is in no layer of `layers::LAYERS`", rel.display()));
                continue;
            };
            match layer_of(&used) {
                Some(layer) if layer < own || (layer == own && used != "crate") => {}
                _ => wrong.push(format!("{}: `{user}` uses `{used}`, which is not below it", rel.display())),
            }
        }
        wrong
    }

    #[test]
    fn every_module_uses_only_the_modules_below_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        let mut dirs = vec![src.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let mut wrong = Vec::new();
        for file in &files {
            let rel = file.strip_prefix(&src).unwrap();
            // The binary is the crate's user, the table is this test's, and
            // test modules in files of their own may build whole pipelines.
            if matches!(rel.to_str(), Some("main.rs" | "layers.rs")) || rel.to_string_lossy().contains("tests") {
                continue;
            }
            wrong.extend(wrong_uses(rel, &std::fs::read_to_string(file).unwrap(), &src));
        }
        wrong.sort();
        wrong.dedup();
        assert!(wrong.is_empty(), "arrows that point up the pipeline:\n{}", wrong.join("\n"));
    }

    /// What the test finds in `text` as the file `rel`.
    fn planted(rel: &str, text: &str) -> Vec<String> {
        wrong_uses(Path::new(rel), text, &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
    }

    #[test]
    fn grouped_imports_that_point_up_are_found() {
        let up = "`lower` uses `render`, which is not below it";
        for text in [
            "use crate::{model::Spec, render::Report};",
            "use crate::{model::{self, Spec}, render::{self, human::{Style}}};",
            "pub(crate) use crate::{syntax, render as r};",
            "use super::super::{render};",
            "fn f() { let _ = crate::render::human::render; }",
            "mod inner { use super::super::render::Report; }",
        ] {
            let rel = if text.starts_with("use super::super") { "lower/values.rs" } else { "lower/mod.rs" };
            let found = planted(rel, text);
            assert!(found.iter().any(|w| w.ends_with(up)), "{text}: {found:?}");
        }
        // The crate root is checked too: its own items are the `crate` layer.
        let found = planted("lib.rs", "pub use cli::run;\nfn f() { render::human::render(); }");
        assert_eq!(found.len(), 2, "{found:?}");
        // Comments, strings, characters and tests are no uses.
        let quiet = "// use crate::render;\n/* crate::render */ const S: &str = \"crate::render::x\";\n\
                     const C: char = '\"'; fn g<'a>() -> &'a str { \"\" }\nuse crate::{model, syntax::{self, Span}};\n\
                     use super::values::list;\n#[cfg(test)]\nmod tests { use crate::render; }";
        assert_eq!(planted("lower/flow.rs", quiet), Vec::<String>::new());
    }
}
