//! `wireplan lsp`: the language server on stdin and stdout (`crate::lsp`).

use std::process::ExitCode;

use crate::out::Out;

/// Runs the language server until the editor ends it.
pub(super) fn lsp(out: &Out) -> ExitCode {
    crate::lsp::run(out)
}
