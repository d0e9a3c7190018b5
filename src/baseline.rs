//! Adopting wireplan on a spec that already has findings: a baseline records
//! today's findings, and later runs report only the new ones.
//!
//! A finding is matched by what it is, never by where it is: its rule, the
//! path of the node it is about (`flow "lead-sync"`; `spec` for a finding no
//! node owns, never a file name, so moving a file changes nothing) and a
//! fingerprint of its message, with every number masked, and of the text of
//! its primary span. Edits elsewhere move every line and still match; a
//! finding whose numbers change (nine direct pairs where there were eight)
//! is the same finding. A finding about the spec as a whole
//! (`Diagnostic::spec_wide`, such as `p2p-sprawl`) is keyed to its facts
//! alone, not to the flow it is shown at, which moves as flows do. A finding
//! that groups the flows of one system (`no-logging`, `no-dead-letter`) is
//! recorded flow by flow, each as the finding it would be alone: it is
//! hidden while every flow it lists is recorded, so fixing one keeps the
//! rest hidden (even down to one flow) and a new one shows it. A finding
//! that was fixed and comes back is new, since the baseline file is
//! rewritten from what is found. Identical findings of one node are counted,
//! so a third copy of a baselined pair is reported. The same fingerprint is
//! SARIF's `partialFingerprints`, so code scanning tracks a finding across
//! commits as the baseline does. Version 1 baselines, whose fingerprints
//! held counts and file names, are still read and matched as they were
//! written.

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
    /// For a finding that groups several flows (`Diagnostic::also`), each
    /// flow's own `(path, fingerprint)`: a baseline records the flows, not
    /// the group, so a fixed flow leaves the rest baselined and a new flow
    /// in the group makes it new. Empty for any other finding.
    pub(crate) members: Vec<(String, String)>,
}

/// The node path of findings no node owns, and of findings about the
/// whole spec.
pub(crate) const SPEC_PATH: &str = "spec";

/// The version of the baseline format this wireplan writes.
const VERSION: u32 = 2;

/// The identity of `d`: rule, node path and fingerprint.
pub(crate) fn identity(d: &Diagnostic, spec: &Spec, sources: &SourceMap) -> Identity {
    if let Some(key) = &d.spec_wide {
        let mut id = Identity::hashed(SPEC_PATH.to_owned(), [d.rule.code, SPEC_PATH, key]);
        // Each member as the finding it would be alone, so that a group
        // that shrinks to one flow is still that flow's recorded finding.
        id.members = d
            .members
            .iter()
            .map(|m| {
                let member = node_identity(d, Some(m.owner), &m.message, m.loc, spec, sources);
                (member.path, member.fingerprint)
            })
            .collect();
        return id;
    }
    node_identity(d, d.owner, &d.message, d.primary.loc, spec, sources)
}

/// The identity `d` would have were the flow it is about named `to` rather
/// than `from`: how `diff` follows a renamed flow's findings, so that a
/// rename brings no finding that was already there. `None` for a finding
/// that is not about that one flow alone.
pub(crate) fn identity_renamed(
    d: &Diagnostic,
    spec: &Spec,
    sources: &SourceMap,
    from: &str,
    to: &str,
) -> Option<Identity> {
    let Some(Owner::Flow(id)) = d.owner.filter(|_| d.spec_wide.is_none()) else { return None };
    if spec.flow(id).name.value != from {
        return None;
    }
    let message = d.message.replace(&format!("`{from}`"), &format!("`{to}`"));
    let text = loc_text(d.primary.loc, sources).replace(from, to);
    Some(hashed_node(d, node_path("flow", to), &message, &text))
}

/// The identity of a finding of `d`'s rule about `owner`, saying `message`
/// at `loc`.
fn node_identity(
    d: &Diagnostic,
    owner: Option<Owner>,
    message: &str,
    loc: crate::model::Loc,
    spec: &Spec,
    sources: &SourceMap,
) -> Identity {
    let path = owner.map_or_else(|| SPEC_PATH.to_owned(), |o| node_path_of(o, spec));
    hashed_node(d, path, message, &loc_text(loc, sources))
}

/// The identity of a finding of `d`'s rule at the node `path`, saying
/// `message` over the source `text`.
fn hashed_node(d: &Diagnostic, path: String, message: &str, text: &str) -> Identity {
    let message = mask_numbers(message);
    // Without whitespace or `;`: `fmt` changes only the layout between
    // tokens (`a \t=x` becomes `a=x`, `{ a; b }` a node a line), and a
    // formatted spec holds the same findings.
    let text: String = text.chars().filter(|c| !c.is_whitespace() && *c != ';').collect();
    Identity::hashed(path.clone(), [d.rule.code, &path, &message, &text])
}

/// The identity version 1 baselines were written with: the message as it
/// was, and the file's name for a finding no node owns.
fn identity_v1(d: &Diagnostic, spec: &Spec, sources: &SourceMap) -> Identity {
    let path = owner_path(d, spec).unwrap_or_else(|| node_path("file", &sources.get(d.primary.loc.file).name));
    let text = span_text(d, sources);
    Identity::hashed(path.clone(), [d.rule.code, &path, &d.message, &text])
}

impl Identity {
    fn hashed<const N: usize>(path: String, parts: [&str; N]) -> Self {
        let mut hash = Fnv::new();
        for part in parts {
            hash.write(part.as_bytes());
            hash.write(&[0xff]);
        }
        Identity { path, fingerprint: format!("{:016x}", hash.0), members: Vec::new() }
    }

    /// What a baseline records for this finding: its members, or itself.
    pub(crate) fn keys(&self) -> Vec<(&str, &str)> {
        if self.members.is_empty() {
            vec![(self.path.as_str(), self.fingerprint.as_str())]
        } else {
            self.members.iter().map(|(p, f)| (p.as_str(), f.as_str())).collect()
        }
    }
}

/// How many of each recorded finding, keyed `(path, rule, fingerprint)`,
/// are still unmatched.
pub(crate) type Recorded = rustc_hash::FxHashMap<(String, String, String), u32>;

/// Takes every key of a finding from `left`, all or none: whether the
/// finding was recorded.
pub(crate) fn take_all(left: &mut Recorded, rule: &str, keys: &[(&str, &str)]) -> bool {
    let mut wanted: Recorded = Default::default();
    for &(path, fingerprint) in keys {
        *wanted.entry((path.to_owned(), rule.to_owned(), fingerprint.to_owned())).or_default() += 1;
    }
    if !wanted.iter().all(|(k, n)| left.get(k).is_some_and(|have| have >= n)) {
        return false;
    }
    for (k, n) in wanted {
        if let Some(have) = left.get_mut(&k) {
            *have -= n;
        }
    }
    true
}

/// `flow "lead-sync"`: the kind and name of the node `d` is about.
fn owner_path(d: &Diagnostic, spec: &Spec) -> Option<String> {
    Some(node_path_of(d.owner?, spec))
}

fn node_path_of(owner: Owner, spec: &Spec) -> String {
    match owner {
        Owner::System(id) => node_path("system", &spec.system(id).name.value),
        Owner::Event(id) => node_path("event", &spec.event(id).name.value),
        Owner::Flow(id) => node_path("flow", &spec.flow(id).name.value),
    }
}

/// The text of `d`'s primary span as version 1 read it: runs of whitespace
/// inside it (a reflowed block) are one space.
fn span_text(d: &Diagnostic, sources: &SourceMap) -> String {
    loc_text(d.primary.loc, sources)
}

fn loc_text(loc: crate::model::Loc, sources: &SourceMap) -> String {
    let file = sources.get(loc.file);
    let span = loc.span;
    let text = file.text.get(span.start as usize..span.end as usize).unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `message` with each run of digits (and the separators inside a number,
/// as in `1,000` or `2.5`) as one `#`: counts and rates are what changes as a
/// spec grows, not what the finding is.
fn mask_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            out.push(c);
            continue;
        }
        out.push('#');
        while let Some(&next) = chars.peek() {
            let separator = matches!(next, ',' | '.' | '_');
            if next.is_ascii_digit() || (separator && chars.clone().nth(1).is_some_and(|c| c.is_ascii_digit())) {
                chars.next();
            } else {
                break;
            }
        }
    }
    out
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
            for (path, fingerprint) in id.keys() {
                let key = (path.to_owned(), d.rule.name.to_owned(), fingerprint.to_owned());
                entries.entry(key).and_modify(|e| e.count += 1).or_insert_with(|| Entry {
                    rule: d.rule.name.to_owned(),
                    path: path.to_owned(),
                    fingerprint: fingerprint.to_owned(),
                    count: 1,
                    message: d.message.clone(),
                });
            }
        }
        Baseline { version: VERSION, findings: entries.into_values().collect() }
    }

    /// The file's text: deterministic, sorted, one finding per entry.
    pub(crate) fn to_json(&self) -> String {
        crate::escape::to_json(self)
    }

    /// Reads a baseline file's text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| format!("not a wireplan baseline: {e}"))?;
        if !(1..=VERSION).contains(&baseline.version) {
            return Err(format!(
                "baseline version {} is not supported (this wireplan writes version {VERSION})",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Whether this baseline was written by an older wireplan, and is
    /// matched with the fingerprints it was written with.
    pub(crate) fn is_outdated(&self) -> bool {
        self.version < VERSION
    }

    /// Which of `diagnostics` the baseline holds: `true` for each one it
    /// hides. Each entry hides at most `count` findings. `identities` are
    /// the findings' current identities; a version 1 baseline is matched
    /// with the identities it was written with.
    pub(crate) fn hides(
        &self,
        diagnostics: &[Diagnostic],
        identities: &[Identity],
        spec: &Spec,
        sources: &SourceMap,
    ) -> Vec<bool> {
        let v1: Vec<Identity>;
        let identities = if self.version == 1 {
            v1 = diagnostics.iter().map(|d| identity_v1(d, spec, sources)).collect();
            &v1
        } else {
            identities
        };
        let mut left: Recorded = Default::default();
        for e in &self.findings {
            *left.entry((e.path.clone(), e.rule.clone(), e.fingerprint.clone())).or_default() += e.count;
        }
        diagnostics.iter().zip(identities).map(|(d, id)| take_all(&mut left, d.rule.name, &id.keys())).collect()
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
    fn a_version_1_baseline_matches_by_its_own_fingerprints() {
        let p2p = crate::lint::RULES.iter().find(|r| r.name == "p2p-sprawl").unwrap();
        let (spec, sources, diagnostics) =
            crate::lint::test_loaded(p2p, include_str!("../tests/fixtures/rules/p2p-sprawl/fires.kdl"));
        assert_eq!(diagnostics.len(), 1);
        let now: Vec<_> = diagnostics.iter().map(|d| super::identity(d, &spec, &sources)).collect();
        let then: Vec<_> = diagnostics.iter().map(|d| super::identity_v1(d, &spec, &sources)).collect();
        assert_ne!(now[0].fingerprint, then[0].fingerprint, "version 2 fingerprints differ");
        let mut v1 = super::Baseline::record(&diagnostics, &then);
        v1.version = 1;
        assert_eq!(v1.hides(&diagnostics, &now, &spec, &sources), [true]);
        let v2 = super::Baseline::record(&diagnostics, &now);
        assert_eq!(v2.hides(&diagnostics, &now, &spec, &sources), [true]);
        let mut wrong = super::Baseline::record(&diagnostics, &now);
        wrong.version = 1;
        assert_eq!(wrong.hides(&diagnostics, &now, &spec, &sources), [false]);
    }

    #[test]
    fn numbers_are_masked_whole() {
        assert_eq!(super::mask_numbers("12 tools in 1,024 pairs at 2.5/s, v2."), "# tools in # pairs at #/s, v#.");
        assert_eq!(super::mask_numbers("no digits"), "no digits");
    }

    #[test]
    fn fnv_is_the_published_function() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c.
        let mut h = super::Fnv::new();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
    }
}
