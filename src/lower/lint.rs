//! Lint configuration: the spec-wide `lint` block and the `allow` a
//! system, event or flow carries.

use super::Lowerer;
use crate::model::{Allow, LintDirective, LintLevel, Spec};
use crate::shapes::Shape;
use crate::syntax::Node;

impl Lowerer<'_> {
    /// The `allow` of a system, event or flow (`shape` says which).
    pub(super) fn allow(&mut self, node: &Node<'_>, shape: &Shape) -> Option<Allow> {
        self.shape(node, shape);
        self.leaf(node);
        let rule = self.name_arg(node, "a rule name", "allow \"no-logging\" reason=\"...\"")?;
        let reason = node.prop("reason").and_then(|e| self.string(&e, "`reason=\"...\"`"));
        Some(Allow { rule, reason, loc: self.loc(node.span) })
    }

    pub(super) fn lint(&mut self, node: &Node<'_>, spec: &mut Spec) {
        self.shape(node, shape!("" "lint"));
        for child in node.child_nodes() {
            let child = &child;
            let Some(level) = LintLevel::parse(&child.name.text) else {
                self.unknown_node(child, "in `lint`", LintLevel::KEYWORDS);
                continue;
            };
            self.shape(
                child,
                match level {
                    LintLevel::Deny => shape!("lint" "deny"),
                    LintLevel::Warn => shape!("lint" "warn"),
                    LintLevel::Allow => shape!("lint" "allow"),
                },
            );
            self.leaf(child);
            if child.arg(0).is_none() {
                self.missing(child, "a rule name", &format!("{} \"no-logging\"", child.name.text));
            }
            // `deny "a" "b"` names several rules at once.
            for entry in child.entries().filter(|e| e.key.is_none()) {
                if let Some(rule) = self.string(&entry, "`\"no-logging\"`") {
                    spec.lint.push(LintDirective { level, rule, loc: self.loc(child.span) });
                }
            }
        }
    }
}
