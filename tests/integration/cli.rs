//! The command line end to end: formats, exit codes, bad input.

use crate::util::{TempSpec, code, stdout};

#[test]
fn version_and_help_work() {
    let spec = TempSpec::new("version");
    let out = spec.run(&["--version"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).starts_with("wireplan "));
    for sub in [&["--help"][..], &["check", "--help"], &["explain", "--help"], &["rules", "--help"]] {
        let out = spec.run(sub);
        assert_eq!(code(&out), 0, "{sub:?}");
        assert!(stdout(&out).contains("Usage:"), "{sub:?}");
    }
}
