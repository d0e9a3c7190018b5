//! `wireplan rules`: every rule, as a table or as JSON.

use std::process::ExitCode;

use super::args::ListFormat;
use super::print;
use crate::out::Out;

pub(super) fn rules(out: &Out, format: ListFormat) -> ExitCode {
    match format {
        ListFormat::Human => print(out, &crate::docs::rules_table()),
        ListFormat::Json => print(out, &crate::docs::rules_json()),
    }
}
