//! The fidelity table's tests: every statement of the language has its row,
//! every refusal a finder, and the README's table is this one.

use super::*;
use crate::shapes::SHAPES;

/// Every node of the language has exactly one row of its own, and every
/// row names a node (and a property of it) that exists: a new statement
/// fails here until each target says what it does with it.
#[test]
fn every_statement_of_the_language_has_a_row() {
    for shape in SHAPES {
        let rows = STATEMENTS.iter().filter(|s| s.parent == shape.parent && s.node == shape.name && s.prop.is_none());
        assert_eq!(rows.count(), 1, "`{} {}`: add its row to emit::fidelity::STATEMENTS", shape.parent, shape.name);
    }
    for statement in STATEMENTS {
        let shape = SHAPES
            .iter()
            .find(|s| s.parent == statement.parent && s.name == statement.node)
            .unwrap_or_else(|| panic!("{}: no such node", statement.written()));
        if let Some(prop) = statement.prop {
            assert!(shape.props.iter().any(|p| p.key == prop), "{}: no such property", statement.written());
        }
    }
}

/// The README's table of what each target carries out is this table.
/// Run with `WIREPLAN_UPDATE_README=1` to rewrite it.
#[test]
fn readme_statement_table_is_fresh() {
    crate::docs::assert_readme_section("statements", &language_table());
}

/// A refused statement must be found where it is written, or its
/// warning could never fire.
#[test]
fn every_refusal_has_a_finder() {
    for statement in STATEMENTS {
        for target in [Target::Hub, Target::Broker, Target::Etl] {
            if matches!(statement.how(target), How::Refused { .. }) {
                assert!(statement.find.is_some(), "{}: refused without a finder", statement.written());
            }
        }
    }
}
