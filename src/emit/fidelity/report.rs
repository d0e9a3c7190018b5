//! What a build tells about the statements it carried out: the summary
//! `build` prints before writing, the same per flow for `build --format
//! json`, the "What runs" section of every generated README, and the
//! README's statement-by-target table.

use std::fmt::Write as _;
use std::rc::Rc;

use schemars::JsonSchema;
use serde::Serialize;

use super::{How, Review, STATEMENTS};
use crate::emit::Target;
use crate::model::Spec;

/// The summary `build` prints before writing: each statement the built flows
/// use, how many flows use it, and how the target carries it out.
pub(crate) fn summary(target: Target, review: &Review, built: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "what runs ({} flow(s) built by --target {}):", built, target.name());
    let width = review.used.keys().map(|&i| STATEMENTS[i].written().len()).max().unwrap_or(0);
    for (&index, &flows) in &review.used {
        let statement = &STATEMENTS[index];
        let how = how_it_runs(statement.how(target), |what, _| {
            format!("NOT CARRIED OUT: the {} target {what}", target.name())
        });
        let _ = writeln!(out, "  {:width$}  {:>6} flow(s)  {how}", statement.written(), flows);
    }
    out
}

/// How a built flow's statement is carried out, for `build --format json`.
#[derive(Serialize, JsonSchema, Debug)]
#[schemars(deny_unknown_fields)]
pub(crate) struct FlowStatements {
    /// The flow's name, as written in the spec.
    pub(crate) flow: String,
    /// Each statement the flow uses, in the order of the language's table.
    pub(crate) statements: Vec<CarriedStatement>,
}

/// One statement of a built flow and how the target carries it out.
// Its text is shared by every flow that uses the statement (`per_flow`).
#[derive(Serialize, JsonSchema, Debug, Clone)]
#[schemars(deny_unknown_fields)]
pub(crate) struct CarriedStatement {
    /// How the statement is written: `retry`, `retry backoff=`, `to { map }`.
    pub(crate) statement: Rc<str>,
    pub(crate) carried: Carried,
    /// How it runs, why it does not apply, or (when not carried out) what
    /// the target does instead and what to do about it.
    pub(crate) how: Rc<str>,
}

/// Whether the target carries a statement out.
#[derive(Serialize, JsonSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Carried {
    /// Carried out at run time, or read into the generated configuration.
    Runs,
    /// The flow is left to another target (a build note says so).
    Elsewhere,
    /// It has no meaning for this target.
    NotApplicable,
    /// Only the checks and the planner read it.
    ChecksOnly,
    /// Not carried out: a `not-carried-out` warning says so at the statement.
    NotCarriedOut,
}

/// Per built flow, in spec order, each statement it uses and how `target`
/// carries it out.
pub(crate) fn per_flow(spec: &Spec, target: Target, review: &Review) -> Vec<FlowStatements> {
    // A statement is carried out the same way in every flow: its sentences
    // are made once and shared, not once a flow.
    let mut said: Vec<Option<CarriedStatement>> = vec![None; STATEMENTS.len()];
    review
        .per_flow
        .iter()
        .map(|(id, uses)| FlowStatements {
            flow: spec.flow(*id).name.value.to_string(),
            statements: uses
                .iter()
                .map(|&index| {
                    let index = usize::from(index);
                    said[index].get_or_insert_with(|| carried_statement(&STATEMENTS[index], target)).clone()
                })
                .collect(),
        })
        .collect()
}

/// How `target` carries out `statement`, in the report's words.
fn carried_statement(statement: &super::Statement, target: Target) -> CarriedStatement {
    let how = statement.how(target);
    let carried = match how {
        How::Runs(_) => Carried::Runs,
        How::Elsewhere(_) => Carried::Elsewhere,
        How::Moot(_) => Carried::NotApplicable,
        How::Checks => Carried::ChecksOnly,
        How::Refused { .. } => Carried::NotCarriedOut,
    };
    let how = how_it_runs(how, |what, help| format!("the {} target {what}; {help}", target.name()));
    CarriedStatement { statement: statement.written().into(), carried, how: how.into() }
}

/// How a target carries out a statement, in a sentence; `refused` words a
/// refusal from what the target does and what to do instead.
fn how_it_runs(how: How, refused: impl Fn(&str, &str) -> String) -> String {
    match how {
        How::Runs(how) => how.to_owned(),
        How::Elsewhere(why) | How::Moot(why) => format!("not applicable: {why}"),
        How::Checks => "read by the checks only".to_owned(),
        How::Refused { what, help } => refused(what, help),
    }
}

/// The "What runs" section appended to the generated README: the summary as
/// a Markdown table.
pub(crate) fn readme_section(target: Target, review: &Review) -> String {
    let mut out = String::from("\n## What runs\n\nHow this build carries out each statement its flows use:\n\n");
    out.push_str("| Statement | Flows | How |\n|---|---:|---|\n");
    for (&index, &flows) in &review.used {
        let statement = &STATEMENTS[index];
        let how = how_it_runs(statement.how(target), |what, help| {
            format!("**not carried out**: this target {what}. {}", capitalized(help))
        });
        let _ = writeln!(out, "| `{}` | {flows} | {} |", statement.written(), how.replace('|', "\\|"));
    }
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The README's statement-by-target table (`<!-- statements:begin -->`).
#[cfg(test)]
pub(crate) fn language_table() -> String {
    let cell = |how: How| match how {
        How::Runs(how) => how.replace('|', "\\|"),
        How::Elsewhere(why) => format!("left to another target: {why}"),
        How::Moot(why) => format!("n/a: {why}"),
        How::Checks => "checks only".to_owned(),
        How::Refused { what, .. } => format!("**not carried out** (`not-carried-out` warning): {what}"),
    };
    let mut out =
        String::from("| Statement | `--target hub` | `--target broker` | `--target etl` |\n|---|---|---|---|\n");
    for s in STATEMENTS.iter().filter(|s| !(s.hub == How::Checks && s.broker == How::Checks && s.etl == How::Checks)) {
        let _ = writeln!(out, "| `{}` | {} | {} | {} |", s.written(), cell(s.hub), cell(s.broker), cell(s.etl));
    }
    let only: Vec<String> = STATEMENTS
        .iter()
        .filter(|s| s.hub == How::Checks && s.broker == How::Checks && s.etl == How::Checks)
        .map(|s| format!("`{}`", s.written()))
        .collect();
    let _ = writeln!(out, "\nRead by the checks and the planner only, on every target: {}.", only.join(", "));
    out
}
