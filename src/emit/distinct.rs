//! The one check that distinct spec names never share an emitted
//! identifier: every backend, once it has derived its identifiers, claims
//! each one for the spec name it came from (`Claims::claim`), and `check`
//! reports every identifier two distinct names claim in the same namespace,
//! as an error at each name. Two events sharing a webhook path or a routing
//! key would each be delivered to both events' flows, two flows sharing a
//! queue would consume each other's messages, two dbt models sharing a name
//! would not build: a clash is never merged silently.
//!
//! Derivations try to be injective (slugs and environment-variable names
//! get a hash of the exact name where cleaning changed it), but a clean name
//! can still equal another name's cleaned one plus its hash, and a suffix
//! such as `.dlq` can meet a name that already ends with it; this check is
//! what guarantees distinctness. It is linear: one hash map per build.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, NAME_CLASH};
use crate::model::{Loc, Name};

/// How a namespace compares identifiers: exactly, or ignoring case where the
/// consumer does (URL routes in Node-RED, DuckDB and BigQuery identifiers,
/// file names on case-insensitive disks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    Sensitive,
    Insensitive,
}

/// One spec name claiming one identifier.
#[derive(Debug)]
struct Claim {
    /// What the identifier is, for the message ("webhook path").
    namespace: String,
    ident: String,
    /// What the name declares ("event"), and the name with its place.
    kind: &'static str,
    name: String,
    loc: Loc,
}

/// The identifiers a backend emits, each with the spec name it came from.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    claims: Vec<Claim>,
}

impl Claims {
    /// `name` (a `kind`: system, event, flow, entity or field) is emitted as
    /// `ident` in `namespace`. A namespace is any text that keeps apart what
    /// may share an identifier: "column of dbt model `x`".
    pub(crate) fn claim(
        &mut self,
        namespace: impl Into<String>,
        case: Case,
        ident: &str,
        kind: &'static str,
        name: &Name,
    ) {
        let ident = match case {
            Case::Sensitive => ident.to_owned(),
            Case::Insensitive => ident.to_lowercase(),
        };
        self.claims.push(Claim {
            namespace: namespace.into(),
            ident,
            kind,
            name: name.value.to_string(),
            loc: name.loc,
        });
    }

    /// An error at each name that shares an identifier with a distinct
    /// name, in the order the names were claimed.
    pub(crate) fn check(&self) -> Vec<Diagnostic> {
        // The first claimant of each identifier, and each identifier's
        // distinct claimants after it.
        let mut first: HashMap<(&str, &str), usize> = HashMap::with_capacity(self.claims.len());
        let mut rivals: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, claim) in self.claims.iter().enumerate() {
            let key = (claim.namespace.as_str(), claim.ident.as_str());
            match first.get(&key) {
                None => {
                    first.insert(key, i);
                }
                Some(&f) => {
                    let others = rivals.entry(f).or_default();
                    // The same declaration claiming again (one event for many
                    // flows) is no clash; the same name written at two places
                    // (two models of one entity) is.
                    let same = |j: usize| {
                        let other = &self.claims[j];
                        other.kind == claim.kind && other.name == claim.name && other.loc == claim.loc
                    };
                    if !same(f) && !others.iter().any(|&j| same(j)) {
                        others.push(i);
                    }
                }
            }
        }
        let mut groups: Vec<(usize, Vec<usize>)> = rivals.into_iter().filter(|(_, o)| !o.is_empty()).collect();
        groups.sort_unstable_by_key(|(f, _)| *f);
        let mut out = Vec::new();
        for (f, others) in groups {
            let members: Vec<usize> = std::iter::once(f).chain(others).collect();
            for &m in &members {
                let this = &self.claims[m];
                let other = &self.claims[members.iter().copied().find(|&o| o != m).unwrap_or(f)];
                let shown = if this.namespace.is_empty() { String::new() } else { format!("{} ", this.namespace) };
                let d = Diagnostic::new(
                    &NAME_CLASH,
                    this.loc,
                    format!(
                        "{} {:?} and {} {:?} would both be the {shown}{:?}",
                        this.kind, this.name, other.kind, other.name, this.ident
                    ),
                )
                .with_label(format!("emitted as {:?}", this.ident))
                .with_secondary(other.loc, format!("{} {:?} is emitted as it too", other.kind, other.name));
                out.push(d.with_help(format!(
                    "rename one of them: the build would merge them into one {}",
                    if this.namespace.is_empty() { "identifier" } else { this.namespace.as_str() }
                )));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileId;
    use crate::source::Span;

    fn name(text: &str, at: u32) -> Name {
        Name { value: text.into(), loc: Loc { file: FileId(0), span: Span { start: at, end: at + 1 } } }
    }

    #[test]
    fn distinct_names_sharing_an_identifier_are_an_error_at_each() {
        let mut claims = Claims::default();
        claims.claim("webhook path", Case::Insensitive, "/hooks/a-b-0ffb4f75", "event", &name("a b", 1));
        claims.claim("webhook path", Case::Insensitive, "/hooks/x", "event", &name("x", 2));
        claims.claim("webhook path", Case::Insensitive, "/hooks/A-B-0ffb4f75", "event", &name("a-b-0ffb4f75", 3));
        // The same name claiming again (one event, many flows) is no clash.
        claims.claim("webhook path", Case::Insensitive, "/hooks/x", "event", &name("x", 2));
        // Another namespace may hold the same text.
        claims.claim("queue", Case::Sensitive, "/hooks/x", "flow", &name("y", 4));
        let found = claims.check();
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].primary.loc.span.start, 1);
        assert_eq!(found[1].primary.loc.span.start, 3);
        assert!(found[0].message.contains("\"a-b-0ffb4f75\""), "{}", found[0].message);
        assert_eq!(found[0].secondary[0].loc.span.start, 3);
        assert!(found.iter().all(|d| d.rule.code == "WP301" && d.help.starts_with("rename one")));
    }

    #[test]
    fn case_counts_only_where_the_consumer_counts_it() {
        let mut claims = Claims::default();
        claims.claim("queue", Case::Sensitive, "Orders", "flow", &name("Orders", 1));
        claims.claim("queue", Case::Sensitive, "orders", "flow", &name("orders", 2));
        assert!(claims.check().is_empty());
        claims.claim("model", Case::Insensitive, "Orders", "entity", &name("Orders", 3));
        claims.claim("model", Case::Insensitive, "orders", "entity", &name("orders", 4));
        assert_eq!(claims.check().len(), 2);
    }
}
