//! wireplan's integration tests: one binary, one module per area. They run
//! the real `wireplan` binary on real files.

mod cli;
mod docs;
mod plan;
mod util;
