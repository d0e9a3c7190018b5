//! wireplan's integration tests: one binary, one module per area. They run
//! the real `wireplan` binary on real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broker;
mod broker_cluster;
mod broker_fidelity;
mod broker_node;
mod broker_replay;
mod build;
mod catalog;
mod ci;
mod cli;
mod docs;
mod drift;
mod etl;
mod etl_postgres;
mod fidelity;
mod fix;
mod fmt;
mod formats;
mod fuzz;
mod hostile;
mod hostile_editors;
mod hostile_git;
mod hostile_limits;
mod hostile_names;
mod hostile_routes;
mod hostile_secrets;
mod hostile_sql;
mod hub;
mod hub_runtime;
mod import;
mod lsp;
mod nvim;
mod pictures;
mod plan;
mod precision;
mod realworld;
mod rules;
mod supervise;
mod util;
mod vendors;
mod vscode;
