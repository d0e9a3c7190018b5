//! Adopting wireplan on a spec that already has findings: a baseline records
//! today's findings, and later runs report only the new ones.
//!
//! A finding is matched by what it is, never by where it is in the file: its
//! rule, the path of the node it is about (`flow "lead-sync"`, or the file for
//! a finding no node owns) and a fingerprint of its message and of the text of
//! its primary span. Edits elsewhere move every line and still match; a
//! finding that was fixed and comes back is new, since the baseline file is
//! rewritten from what is found. Identical findings of one node are counted,
//! so a third copy of a baselined pair is reported. The same fingerprint is
//! SARIF's `partialFingerprints`, so code scanning tracks a finding across
//! commits as the baseline does.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::model::{Owner, Spec};
use crate::source::SourceMap;

/// What identifies a finding across edits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Identity {
    /// The kind and name of the node it is about: `flow "lead-sync"`.
    pub(crate) path: String,
    /// 16 hex digits of a stable hash of the rule, path, message and the
    /// text of the primary span.
    pub(crate) fingerprint: String,
}

/// The identity of `d`: rule, node path and fingerprint.
pub(crate) fn identity(d: &Diagnostic, spec: &Spec, sources: &SourceMap) -> Identity {
    let path = match d.owner {
        Some(Owner::System(id)) => node_path("system", &spec.system(id).name.value),
        Some(Owner::Event(id)) => node_path("event", &spec.event(id).name.value),
        Some(Owner::Flow(id)) => node_path("flow", &spec.flow(id).name.value),
        None => node_path("file", &sources.get(d.primary.loc.file).name),
    };
    let file = sources.get(d.primary.loc.file);
    let span = d.primary.loc.span;
    let text = file.text.get(span.start as usize..span.end as usize).unwrap_or_default();
    // Whitespace inside the span (a reflowed block) does not change what it is.
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut hash = Fnv::new();
    for part in [d.rule.code, &path, &d.message, &text] {
        hash.write(part.as_bytes());
        hash.write(&[0xff]);
    }
    Identity { path, fingerprint: format!("{:016x}", hash.0) }
}

fn node_path(kind: &str, name: &str) -> String {
    format!("{kind} {}", serde_json::to_string(name).unwrap_or_default())
}

/// FNV-1a, 64 bits: tiny, and stable across Rust and crate versions (the
/// standard hashers promise neither), so baselines stay valid.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The baseline file: `wireplan check --write-baseline FILE` writes it.
#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
#[schemars(title = "wireplan baseline", deny_unknown_fields)]
pub(crate) struct Baseline {
    /// The version of this format.
    pub(crate) version: u32,
    /// The findings recorded, sorted by path, rule and fingerprint.
    pub(crate) findings: Vec<Entry>,
}

/// One recorded finding (or several identical ones of one node).
#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
#[schemars(deny_unknown_fields)]
pub(crate) struct Entry {
    /// The rule's stable name.
    pub(crate) rule: String,
    /// The kind and name of the node the finding is about, such as `flow "lead-sync"`.
    pub(crate) path: String,
    /// The finding's fingerprint: 16 hex digits.
    #[schemars(regex(pattern = r"^[0-9a-f]{16}$"))]
    pub(crate) fingerprint: String,
    /// How many identical findings the node had.
    #[schemars(range(min = 1))]
    pub(crate) count: u32,
    /// The message when it was recorded, for the reader of the file.
    pub(crate) message: String,
}

impl Baseline {
    /// The baseline of `diagnostics` with their `identities`.
    pub(crate) fn record(diagnostics: &[Diagnostic], identities: &[Identity]) -> Self {
        let mut entries: BTreeMap<(String, String, String), Entry> = BTreeMap::new();
        for (d, id) in diagnostics.iter().zip(identities) {
            let key = (id.path.clone(), d.rule.name.to_owned(), id.fingerprint.clone());
            entries.entry(key).and_modify(|e| e.count += 1).or_insert_with(|| Entry {
                rule: d.rule.name.to_owned(),
                path: id.path.clone(),
                fingerprint: id.fingerprint.clone(),
                count: 1,
                message: d.message.clone(),
            });
        }
        Baseline { version: 1, findings: entries.into_values().collect() }
    }

    /// The file's text: deterministic, sorted, one finding per entry.
    pub(crate) fn to_json(&self) -> String {
        crate::escape::to_json(self)
    }

    /// Reads a baseline file's text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| format!("not a wireplan baseline: {e}"))?;
        if baseline.version != 1 {
            return Err(format!(
                "baseline version {} is not supported (this wireplan writes version 1)",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Which of `diagnostics` the baseline holds: `true` for each one it
    /// hides. Each entry hides at most `count` findings.
    pub(crate) fn hides(&self, diagnostics: &[Diagnostic], identities: &[Identity]) -> Vec<bool> {
        let mut left: rustc_hash::FxHashMap<(&str, &str, &str), u32> = Default::default();
        for e in &self.findings {
            *left.entry((e.path.as_str(), e.rule.as_str(), e.fingerprint.as_str())).or_default() += e.count;
        }
        diagnostics
            .iter()
            .zip(identities)
            .map(|(d, id)| match left.get_mut(&(id.path.as_str(), d.rule.name, id.fingerprint.as_str())) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    #[test]
    fn committed_schema_is_fresh() {
        crate::render::assert_schema_fresh("baseline.schema.json", &crate::render::schema_of::<super::Baseline>());
    }

    #[test]
    fn fnv_is_the_published_function() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c.
        let mut h = super::Fnv::new();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
    }
}
