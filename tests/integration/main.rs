//! wireplan's integration tests: one binary, one module per area. They run
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! the real `wireplan` binary on real files.

mod cli;
mod docs;
mod formats;
mod util;
