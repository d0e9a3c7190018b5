//! `wireplan lsp`: a Language Server Protocol server on stdio.
//!
//! This is the only module that knows LSP types. It keeps the open documents
//! (their text replaces what is on disk, through `load::load_with`), checks
//! the spec a document belongs to with the same pipeline as `check`, and
//! answers requests from the last check. It is laid out as ruff's and
//! taplo's servers are: the loop (`server.rs`), the state (`state.rs`: open
//! documents, the last check of each spec), the conversions between the
//! crate's places and LSP's (`convert.rs`), what the server can do
//! (`capabilities.rs`), the JSON-RPC frames (`transport.rs`), the index of
//! names (`index.rs`), and one file per request under `requests/`. A
//! keystroke re-lowers only the piece of text it changed: the front end
//! (`front.rs`) keeps what lowering made of each piece and moves it to
//! where the piece now is (`relocate.rs`); resolution and the checks run on
//! the whole spec, so the findings are those of `wireplan check`
//! (`incremental_tests.rs` holds the two to it, edit after edit).

mod capabilities;
mod convert;
mod front;
pub(crate) mod fuzz;
mod index;
mod relocate;
mod requests;
mod server;
mod state;
mod transport;

pub(crate) use server::run;

#[cfg(test)]
mod feature_tests;
#[cfg(test)]
mod incremental_tests;
