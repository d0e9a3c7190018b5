//! `wireplan plan --format json`: the `Plan` itself, with a format version.
//!
//! The plan's types are the contract; `schemas/plan.schema.json` is generated
//! from them, and a test fails when the committed schema is stale.

use schemars::JsonSchema;
use serde::Serialize;

use crate::plan::Plan;

/// What `wireplan plan --format json` prints.
#[derive(Serialize, JsonSchema)]
#[schemars(title = "wireplan plan", deny_unknown_fields)]
pub(crate) struct JsonPlan<'a> {
    /// The version of this format; it changes only when a field changes meaning or goes away.
    pub(crate) version: u32,
    #[serde(flatten)]
    pub(crate) plan: &'a Plan,
}

pub(crate) fn render(plan: &Plan) -> String {
    crate::render::text::to_json(&JsonPlan { version: 1, plan })
}

#[cfg(test)]
mod tests {
    /// The committed schema matches the types (`WIREPLAN_UPDATE_SCHEMAS=1`
    /// regenerates it).
    #[test]
    fn committed_schema_is_fresh() {
        crate::render::assert_schema_fresh("plan.schema.json", &crate::render::schema_of::<super::JsonPlan<'static>>());
    }
}
