//! The VS Code extension in `editors/vscode`: its manifest and grammar are
//! checked against the language, and it packages with `@vscode/vsce`.

use std::process::Command;

use serde_json::Value;

use crate::util::{TempSpec, root};

fn manifest() -> Value {
    let text = std::fs::read_to_string(root().join("editors/vscode/package.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_manifest_and_grammar_fit_the_language() {
    let manifest = manifest();
    assert!(manifest["files"].is_array(), "a `files` field keeps the package small and vsce quiet");
    assert_eq!(manifest["main"], "./extension.js");
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "wireplan");
    assert!(language["filenames"].as_array().unwrap().contains(&Value::from("wireplan.kdl")));
    let extension = root().join("editors/vscode");
    for path in ["extension.js", "language-configuration.json", "syntaxes/wireplan.tmLanguage.json"] {
        assert!(extension.join(path).is_file(), "{path} is missing");
    }
    let script = std::fs::read_to_string(extension.join("extension.js")).unwrap();
    assert!(script.contains("args: [\"lsp\"]"), "the client starts `wireplan lsp`");
}

#[test]
#[ignore = "needs a real runtime: `scripts/test.sh` installs it and runs this test"]
fn the_vscode_extension_packages() {
    let extension = root().join("editors/vscode");
    let vsce = extension.join("node_modules/.bin/vsce");
    assert!(
        vsce.exists(),
        "{} is missing: run `scripts/test.sh`, which installs @vscode/vsce into editors/vscode/node_modules",
        vsce.display()
    );
    let out_dir = TempSpec::new("vsix");
    let vsix = out_dir.dir.join("wireplan.vsix");
    let out = Command::new(&vsce)
        .args(["package", "--allow-missing-repository", "--skip-license", "--out"])
        .arg(&vsix)
        .current_dir(&extension)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vsce failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&vsix).unwrap_or_else(|e| panic!("no .vsix at {}: {e}", vsix.display()));
    let has = |name: &str| bytes.windows(name.len()).any(|w| w == name.as_bytes());
    for name in [
        "extension/package.json",
        "extension/extension.js",
        "extension/syntaxes/wireplan.tmLanguage.json",
        "extension/language-configuration.json",
        "extension/node_modules/vscode-languageclient/package.json",
    ] {
        assert!(has(name), "{name} is not in the package");
    }
    assert!(!has("node_modules/@vscode/vsce"), "the packaging tool itself was packaged");
    assert!(!root().join("editors/vscode/wireplan-0.1.0.vsix").exists(), "vsce wrote into the repository");
}
