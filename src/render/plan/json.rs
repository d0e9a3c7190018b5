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

/// The JSON Schema of `JsonPlan`, as committed in `schemas/`.
#[cfg(test)]
pub(crate) fn schema() -> String {
    let schema = schemars::schema_for!(JsonPlan<'static>);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    /// The committed schema matches the types. Run with
    /// `WIREPLAN_UPDATE_SCHEMAS=1` to regenerate it.
    #[test]
    fn committed_schema_is_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/plan.schema.json");
        let fresh = super::schema();
        if std::env::var_os("WIREPLAN_UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == fresh, "schemas/plan.schema.json is stale: run `WIREPLAN_UPDATE_SCHEMAS=1 cargo test`");
    }
}
