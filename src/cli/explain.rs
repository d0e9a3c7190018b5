//! `wireplan explain RULE`: one rule's documentation.

use std::process::ExitCode;

use super::{print, usage_error};
use crate::lint::{self};
use crate::out::Out;

pub(super) fn explain(out: &Out, name: &str) -> ExitCode {
    match lint::find(name) {
        Some(rule) => print(out, &crate::docs::explain(rule)),
        None => {
            let hint = lint::closest(name).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
            usage_error(out, &format!("no rule named `{name}`{hint}\n`wireplan rules` lists every rule"))
        }
    }
}
