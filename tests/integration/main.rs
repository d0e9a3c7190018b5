//! wireplan's integration tests: one binary, one module per area. They run
//! the real `wireplan` binary on real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker;
mod build;
mod ci;
mod cli;
mod docs;
mod etl;
mod fmt;
mod formats;
mod fuzz;
mod hostile;
mod hub;
mod lsp;
mod nvim;
mod plan;
mod rules;
mod util;
mod vscode;
