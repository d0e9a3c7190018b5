//! The language server.
pub(crate) fn run() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
