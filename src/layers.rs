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
    &["source", "parallel", "escape", "prose", "suggest", "secrets", "git"],
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
    &["fmt"],
    // The one way out of the process, masking credentials (see `out`).
    &["out"],
    // Imports other formats into a spec: runs the pipeline, formats, writes.
    &["import"],
    &["lsp"],
    &["cli"],
    // The fuzz target runs everything, the language server included.
    &["fuzz"],
];

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::LAYERS;

    fn layer_of(module: &str) -> Option<usize> {
        LAYERS.iter().position(|layer| layer.contains(&module))
    }

    /// The crate's modules each file of `src/` names (`crate::x`), outside
    /// comments and tests: what the module really depends on. A name that is
    /// no module (`crate::check_loaded`) is the crate root's.
    fn uses(text: &str, src: &Path) -> Vec<String> {
        // Tests sit at the end of a file, after `#[cfg(test)]`; they may
        // build whole pipelines.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let mut found = Vec::new();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                let name: String =
                    rest[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                let is_module = src.join(format!("{name}.rs")).is_file() || src.join(&name).is_dir();
                found.push(if is_module { name } else { "crate".to_owned() });
                rest = &rest[at + 7..];
            }
        }
        found
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
            let module =
                rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
            if matches!(module.as_str(), "lib" | "main" | "layers") || rel.to_string_lossy().contains("tests") {
                continue;
            }
            let Some(own) = layer_of(&module) else {
                wrong.push(format!("{}: module `{module}` is in no layer of `layers::LAYERS`", rel.display()));
                continue;
            };
            for used in uses(&std::fs::read_to_string(file).unwrap(), &src) {
                if used == module {
                    continue;
                }
                match layer_of(&used) {
                    Some(layer) if layer < own || (layer == own && used != "crate") => {}
                    _ => wrong.push(format!("{}: `{module}` uses `{used}`, which is not below it", rel.display())),
                }
            }
        }
        wrong.sort();
        wrong.dedup();
        assert!(wrong.is_empty(), "arrows that point up the pipeline:\n{}", wrong.join("\n"));
    }
}
