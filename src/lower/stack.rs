//! The `stack` node: the spec's name, planning horizon and growth.

use super::{Lowerer, children_of};
use crate::diagnostic::{self};
use crate::model::{NameKind, Spanned, Spec, Stack};
use crate::syntax::{Node, Value};

/// The range the contract gives for `horizon months=N`.
const HORIZON_MONTHS: std::ops::RangeInclusive<i128> = 12..=36;

impl Lowerer<'_> {
    pub(super) fn stack(&mut self, node: &Node<'_>, spec: &mut Spec) {
        self.shape(node, shape!("" "stack"));
        let name = match node.arg(0) {
            Some(entry) => self.name_prop(&entry, NameKind::Label, "`stack \"acme\"`"),
            None => None,
        };
        let mut stack = Stack {
            name,
            horizon: None,
            volume_growth: None,
            high_volume_per_day: None,
            high_volume_peak_per_second: None,
            loc: self.loc(node.span),
        };
        for child in node.child_nodes() {
            let child = &child;
            match &*child.name.text {
                "horizon" => {
                    self.leaf(child);
                    match (child.prop("months"), child.arg(0)) {
                        (Some(e), _) => {
                            self.shape(child, shape!("stack" "horizon"));
                            stack.horizon = self
                                .integer(&e, HORIZON_MONTHS, "the horizon")
                                .map(|n| Spanned { value: n.value as u32, loc: n.loc });
                        }
                        // `horizon 12`: one finding, suggesting the user's own number.
                        (None, Some(arg)) => {
                            // The argument is reported below, once.
                            self.entries(child, 1, shape!("stack" "horizon").props);
                            let example = match arg.value {
                                Value::Integer(n) => format!("horizon months={n}"),
                                _ => "horizon months=18".to_owned(),
                            };
                            self.report(
                                &diagnostic::MISSING_ARGUMENT,
                                arg.span,
                                "`horizon` takes the number of months as `months=N`".into(),
                                "`months=` missing",
                                format!("write it as `{example}`"),
                            );
                        }
                        (None, None) => {
                            self.shape(child, shape!("stack" "horizon"));
                            self.missing_prop(child, "months", "horizon months=18");
                        }
                    }
                }
                "volume-growth" => {
                    self.shape(child, shape!("stack" "volume-growth"));
                    self.leaf(child);
                    match child.arg(0) {
                        Some(e) => {
                            stack.volume_growth = self.number(&e, "volume growth");
                            if let Some(g) = &stack.volume_growth
                                && g.value == 0.0
                            {
                                self.report(
                                    &diagnostic::BAD_VALUE,
                                    e.value_span,
                                    "volume growth must be above zero".into(),
                                    "out of range",
                                    "`1.0` means volumes stay as they are; `3.0` means they triple".into(),
                                );
                                stack.volume_growth = None;
                            }
                        }
                        None => self.missing(child, "a growth factor", "volume-growth 3.0"),
                    }
                }
                "high-volume" => {
                    self.shape(child, shape!("stack" "high-volume"));
                    self.leaf(child);
                    if let Some(e) = child.prop("per-day") {
                        stack.high_volume_per_day = self.number(&e, "per-day");
                    }
                    if let Some(e) = child.prop("peak-per-second") {
                        stack.high_volume_peak_per_second = self.number(&e, "peak-per-second");
                    }
                }
                _ => self.unknown_node(child, "in `stack`", &children_of("stack")),
            }
        }
        // Only the first is kept; `Lowered::append_to` reports the others.
        self.stack_names.push(self.loc(node.name.span));
        if spec.stack.is_none() {
            spec.stack = Some(stack);
        }
    }
}
