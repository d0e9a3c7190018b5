//! Names drawn from every Unicode general category, through the whole
//! pipeline in process: each is either refused at the name (`unusable-name`,
//! at the name's span) or comes out of every check format and every build
//! target readable by the consumer's own parser (serde_json for JSON,
//! roxmltree for XML, saphyr for YAML, plus the YAML 1.1 reader's rules),
//! with the name read back exactly. `tests/integration/hostile_names.rs`
//! does the same with PyYAML and DuckDB for real.

use std::path::Path;

use proptest::prelude::*;
use unicode_general_category::{GeneralCategory, get_general_category};

use crate::diagnostic::{Severity, UNUSABLE_NAME};
use crate::emit::{Target, emit};
use crate::escape;
use crate::model::{NameKind, name_problem};
use crate::render::{self, Report};

/// Sample code points of every general category, with the category's code.
/// `Cs` (surrogates) is absent: a surrogate is not a Unicode scalar value,
/// so no Rust string (and no KDL string, whose `\u{..}` takes scalar values
/// only) can hold one.
pub(crate) const SAMPLES: &[(&str, &[char])] = &[
    ("Lu", &['A', 'Z', 'É', 'Ω', 'Ж', '\u{1d400}']),
    ("Ll", &['a', 'z', 'ß', 'ω', 'ж', '\u{1d41a}']),
    ("Lt", &['\u{1c5}', '\u{1f88}']),
    ("Lm", &['\u{2b0}', '\u{3005}', '\u{ff70}']),
    ("Lo", &['א', 'ع', '中', 'あ', '한', '\u{20000}']),
    ("Mn", &['\u{300}', '\u{301}', '\u{5b0}', '\u{e31}', '\u{fe0f}']),
    ("Mc", &['\u{903}', '\u{93e}', '\u{1d165}']),
    ("Me", &['\u{488}', '\u{20dd}', '\u{20e3}']),
    ("Nd", &['0', '9', '٣', '\u{ff15}', '\u{1d7ce}']),
    ("Nl", &['Ⅻ', '\u{3007}', '\u{10140}']),
    ("No", &['²', '½', '①', '\u{1f100}']),
    ("Pc", &['_', '\u{203f}', '\u{fe4d}']),
    ("Pd", &['-', '\u{2014}', '\u{301c}']),
    ("Ps", &['(', '[', '{', '\u{300c}']),
    ("Pe", &[')', ']', '}', '\u{300d}']),
    ("Pi", &['«', '\u{2018}', '\u{201c}']),
    ("Pf", &['»', '\u{2019}', '\u{201d}']),
    ("Po", &['!', '"', '#', '%', '&', '\'', '*', ',', '.', '/', ':', ';', '?', '@', '\\', '¡', '§']),
    ("Sm", &['+', '<', '=', '>', '|', '~', '∑', '\u{1d6c1}']),
    ("Sc", &['$', '€', '£', '¥']),
    ("Sk", &['^', '`', '¨', '\u{1f3fb}']),
    ("So", &['©', '°', '☃', '\u{1f600}', '\u{1f4a9}']),
    ("Zs", &[' ', '\u{a0}', '\u{2003}', '\u{3000}']),
    ("Zl", &['\u{2028}']),
    ("Zp", &['\u{2029}']),
    ("Cc", &['\u{0}', '\u{7}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{86}', '\u{9f}']),
    ("Cf", &['\u{ad}', '\u{200b}', '\u{200d}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{e0001}']),
    ("Co", &['\u{e000}', '\u{f8ff}', '\u{f0000}', '\u{10fffd}']),
    ("Cn", &['\u{378}', '\u{fdd0}', '\u{fdef}', '\u{fffe}', '\u{ffff}', '\u{1fffe}', '\u{10ffff}', '\u{e0080}']),
];

/// Every sample, flat.
pub(crate) fn all_samples() -> Vec<char> {
    SAMPLES.iter().flat_map(|(_, cs)| cs.iter().copied()).collect()
}

/// `name` as a KDL string literal: every character a `\u{..}` escape, so
/// any scalar value can be written and the literal's span is easy to know.
fn literal(name: &str) -> String {
    let mut out = String::from("\"");
    for c in name.chars() {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    }
    out.push('"');
    out
}

/// A spec that puts `name` everywhere a name goes, in a topology every
/// target builds: the system, entity, event, both flows and a field of each
/// entity and event (declared, mapped, written), and an unversioned event
/// nobody consumes, so that warnings quote the name too. Returns the text
/// and, for each literal that holds the name, its byte range and whether it
/// is a field name.
fn spec(name: &str) -> (String, Vec<(std::ops::Range<usize>, NameKind)>) {
    let mut text = String::new();
    let mut spans = Vec::new();
    let put = |text: &mut String, piece: &str| text.push_str(piece);
    let mut name_at = |text: &mut String, kind: NameKind, suffix: &str| {
        let lit = literal(&format!("{name}{suffix}"));
        spans.push((text.len()..text.len() + lit.len(), kind));
        text.push_str(&lit);
    };
    use NameKind::{Field as F, Label as L};
    put(&mut text, "system ");
    name_at(&mut text, L, "");
    put(
        &mut text,
        " kind=crm {\n    api rest version=\"v1\"\n    webhooks #true\n    secret \"SRC_TOKEN\"\n    entity ",
    );
    name_at(&mut text, L, "");
    put(&mut text, " {\n        field \"id\" type=string required=#true\n        field ");
    name_at(&mut text, F, "");
    put(&mut text, " type=string\n    }\n}\n");
    put(&mut text, "system \"dst\" kind=email {\n    api rest version=\"v1\"\n    secret \"DST_TOKEN\"\n}\n");
    put(&mut text, "system \"lake\" kind=lake {\n    entity ");
    name_at(&mut text, L, "");
    put(&mut text, " {\n        field \"id\" type=string required=#true\n        field ");
    name_at(&mut text, F, "");
    put(&mut text, " type=string\n    }\n}\n");
    put(&mut text, "event ");
    name_at(&mut text, L, "");
    put(&mut text, " from=");
    name_at(&mut text, L, "");
    put(&mut text, " entity=");
    name_at(&mut text, L, "");
    put(&mut text, " version=1 {\n    key \"id\"\n    field \"id\" type=string required=#true\n    field ");
    name_at(&mut text, F, "");
    put(&mut text, " type=string\n}\n");
    put(&mut text, "event ");
    name_at(&mut text, L, "~");
    put(&mut text, " from=");
    name_at(&mut text, L, "");
    put(&mut text, "\n");
    put(&mut text, "flow ");
    name_at(&mut text, L, "");
    put(&mut text, " {\n    on ");
    name_at(&mut text, L, "");
    put(&mut text, "\n    to dst action=upsert {\n        map ");
    name_at(&mut text, F, "");
    put(&mut text, " to=");
    name_at(&mut text, F, "");
    put(&mut text, "\n        set ");
    name_at(&mut text, F, " set");
    put(&mut text, " \"x\"\n    }\n    idempotency-key \"id\"\n    retry attempts=2\n    dead-letter\n    log\n}\n");
    put(&mut text, "flow ");
    name_at(&mut text, L, " nightly");
    put(&mut text, " {\n    schedule every=\"1d\"\n    from ");
    name_at(&mut text, L, "");
    put(&mut text, " entity=");
    name_at(&mut text, L, "");
    put(&mut text, "\n    to lake action=upsert entity=");
    name_at(&mut text, L, "");
    put(&mut text, " {\n        map \"id\" to=\"id\"\n        map ");
    name_at(&mut text, F, "");
    put(&mut text, " to=");
    name_at(&mut text, F, "");
    put(
        &mut text,
        "\n    }\n    idempotency-key \"id\"\n    retry attempts=3\n    dead-letter\n    log\n    latency max=\"2d\"\n}\n",
    );
    (text, spans)
}

/// Whether PyYAML's reader (YAML 1.1) takes `c` raw: its printable set,
/// less NEL, U+2028 and U+2029, which it reads as line breaks.
fn yaml11_raw(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Every string (keys included) of a JSON value.
fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                json_strings(v, out);
            }
        }
        _ => {}
    }
}

/// Every string scalar (keys included) of a YAML value.
fn yaml_strings(value: &saphyr::Yaml<'_>, out: &mut Vec<String>) {
    use saphyr::{Scalar, Yaml};
    match value {
        Yaml::Value(Scalar::String(s)) => out.push(s.to_string()),
        Yaml::Sequence(items) => items.iter().for_each(|v| yaml_strings(v, out)),
        Yaml::Mapping(map) => {
            for (k, v) in map {
                yaml_strings(k, out);
                yaml_strings(v, out);
            }
        }
        _ => {}
    }
}

/// The strings of a data file, parsed by its own format's parser; `None`
/// for a file that is not data (SQL, Markdown, JavaScript).
fn parse_data(path: &str, text: &str) -> Option<Vec<String>> {
    let mut strings = Vec::new();
    if path.ends_with(".json") {
        let value: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}\n{text}"));
        json_strings(&value, &mut strings);
    } else if path.ends_with(".yml") || path.ends_with(".yaml") {
        // YAML 1.1 (PyYAML) reads the same as 1.2 only if nothing it takes
        // for a line break or refuses is in the text raw.
        if let Some((at, c)) = text.char_indices().find(|&(_, c)| !yaml11_raw(c)) {
            panic!("{path} holds U+{:04X} raw at byte {at}, which YAML 1.1 cannot read back:\n{text}", c as u32);
        }
        use saphyr::LoadableYamlNode;
        let docs = saphyr::Yaml::load_from_str(text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}\n{text}"));
        docs.iter().for_each(|d| yaml_strings(d, &mut strings));
    } else {
        return None;
    }
    Some(strings)
}

/// Runs `name` through the pipeline and holds it to the contract.
fn holds(name: &str) {
    let (text, spans) = spec(name);
    let loaded = crate::load::load_text(
        Path::new("/hostile/wireplan.kdl"),
        text.clone(),
        Path::new("/hostile"),
        crate::parse_and_lower,
    );
    let checked = crate::check_loaded(loaded, &crate::lint::CliLevels::default());
    let refused: Vec<_> = checked.diagnostics.iter().filter(|d| std::ptr::eq(d.rule, &UNUSABLE_NAME)).collect();
    let shown = escape::one_line(name);

    // Refused at the name: every refusal is at a literal holding the name,
    // and every literal whose kind refuses it is refused.
    let at = |d: &&crate::diagnostic::Diagnostic| (d.primary.loc.span.start as usize, d.primary.loc.span.end as usize);
    let refused_at: Vec<(usize, usize)> = refused.iter().map(at).collect();
    let mut expected_count = 0;
    for (range, kind) in &spans {
        let literal_name: String = {
            let inner = &text[range.start + 1..range.end - 1];
            inner
                .split("\\u{")
                .filter(|s| !s.is_empty())
                .map(|h| char::from_u32(u32::from_str_radix(h.trim_end_matches('}'), 16).unwrap()).unwrap())
                .collect()
        };
        let expected = name_problem(*kind, &literal_name).is_some();
        expected_count += usize::from(expected);
        let found = refused_at.contains(&(range.start, range.end));
        assert_eq!(expected, found, "name {shown:?} ({kind:?}) at {range:?}: refused {found}, expected {expected}");
    }
    assert_eq!(refused.len(), expected_count, "a refusal of {shown:?} away from its names: {refused_at:?}");

    // Every check format parses, whatever the spec holds.
    let identities: Vec<_> =
        checked.diagnostics.iter().map(|d| crate::baseline::identity(d, &checked.spec, &checked.sources)).collect();
    let report = Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &identities };
    let json: serde_json::Value = serde_json::from_str(&render::json::render(&report)).expect("check's JSON parses");
    let sarif: serde_json::Value = serde_json::from_str(&render::sarif::render(&report)).expect("SARIF parses");
    let junit = render::junit::render(&report);
    let xml =
        roxmltree::Document::parse(&junit).unwrap_or_else(|e| panic!("JUnit of {shown:?} is not XML: {e}\n{junit}"));

    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    if !refused.is_empty() {
        return;
    }
    assert!(errors.is_empty(), "{shown:?} is not refused, yet the spec has errors: {errors:#?}");
    // The warnings quote the name: each format reads it back.
    let mut strings = Vec::new();
    json_strings(&json, &mut strings);
    assert!(strings.iter().any(|s| s.contains(name)), "check's JSON lost {shown:?}");
    strings.clear();
    json_strings(&sarif, &mut strings);
    assert!(strings.iter().any(|s| s.contains(name)), "SARIF lost {shown:?}");
    let xml_text: String = xml
        .descendants()
        .flat_map(|n| n.attributes().map(|a| a.value().to_owned()).chain(n.text().map(str::to_owned)))
        .collect();
    assert!(xml_text.contains(&*shown), "JUnit lost {shown:?}");

    // Every target's data files parse, and hold the name exactly.
    let input = crate::emit::Input { spec: &checked.spec };
    for &target in <Target as clap::ValueEnum>::value_variants() {
        if target == Target::Etl && ["{{", "{%", "{#"].iter().any(|d| name.contains(d)) {
            // dbt would run the name as Jinja: the ETL target refuses it
            // (`tests/integration/etl.rs` holds it to that).
            continue;
        }
        let emitted = emit(target, &input);
        assert!(emitted.errors.is_empty(), "{} refused {shown:?}: {:?}", target.name(), emitted.errors);
        let mut names_found = 0;
        for artifact in &emitted.artifacts {
            let bytes = artifact.bytes();
            let text = std::str::from_utf8(&bytes).expect("UTF-8");
            if let Some(strings) = parse_data(&artifact.path, text) {
                names_found += usize::from(strings.iter().any(|s| s == name));
            }
        }
        // Where the name must come back exactly: a flow's tab, an event's
        // title, a system's label, a column (as the quoted SQL identifier
        // dbt is given).
        let column = format!("\"{}\"", name.replace('"', "\"\""));
        let expected: &[(&str, &str)] = match target {
            Target::Hub => &[("node-red/flows.json", name)],
            Target::Broker => &[("asyncapi.yaml", name), ("node-red/flows.json", name)],
            Target::Etl => &[("meltano/meltano.yml", name), ("dbt/models/sources.yml", &column)],
        };
        for (path, want) in expected {
            let artifact = emitted.artifacts.iter().find(|a| a.path.ends_with(path)).unwrap_or_else(|| {
                panic!(
                    "{} made no {path}: {:?}",
                    target.name(),
                    emitted.artifacts.iter().map(|a| &a.path).collect::<Vec<_>>()
                )
            });
            let strings = parse_data(&artifact.path, std::str::from_utf8(&artifact.bytes()).unwrap()).unwrap();
            assert!(strings.iter().any(|s| s == want), "{} of {}: {want:?} not read back", path, target.name());
        }
        assert!(names_found > 0);
    }
}

/// The sample table is what it says: each sample is of its category, and
/// every category but `Cs` has samples.
#[test]
fn samples_cover_every_general_category() {
    use GeneralCategory as G;
    let code = |g: G| -> &'static str {
        match g {
            G::UppercaseLetter => "Lu",
            G::LowercaseLetter => "Ll",
            G::TitlecaseLetter => "Lt",
            G::ModifierLetter => "Lm",
            G::OtherLetter => "Lo",
            G::NonspacingMark => "Mn",
            G::SpacingMark => "Mc",
            G::EnclosingMark => "Me",
            G::DecimalNumber => "Nd",
            G::LetterNumber => "Nl",
            G::OtherNumber => "No",
            G::ConnectorPunctuation => "Pc",
            G::DashPunctuation => "Pd",
            G::OpenPunctuation => "Ps",
            G::ClosePunctuation => "Pe",
            G::InitialPunctuation => "Pi",
            G::FinalPunctuation => "Pf",
            G::OtherPunctuation => "Po",
            G::MathSymbol => "Sm",
            G::CurrencySymbol => "Sc",
            G::ModifierSymbol => "Sk",
            G::OtherSymbol => "So",
            G::SpaceSeparator => "Zs",
            G::LineSeparator => "Zl",
            G::ParagraphSeparator => "Zp",
            G::Control => "Cc",
            G::Format => "Cf",
            G::Surrogate => "Cs",
            G::PrivateUse => "Co",
            G::Unassigned => "Cn",
            _ => "?",
        }
    };
    for (category, samples) in SAMPLES {
        for &c in *samples {
            assert_eq!(code(get_general_category(c)), *category, "U+{:04X}", c as u32);
        }
    }
    let listed: Vec<&str> = SAMPLES.iter().map(|(c, _)| *c).collect();
    assert_eq!(listed.len(), 29, "30 categories less Cs: {listed:?}");
}

/// Each sample between letters, and the first of each category alone (as
/// a whole name: leading and trailing spaces, a lone combining mark);
/// samples of the categories `range` picks out of `SAMPLES`.
fn every_sample_of(range: std::ops::Range<usize>) {
    for (_, samples) in &SAMPLES[range] {
        holds(&samples[0].to_string());
        for c in *samples {
            holds(&format!("a{c}b"));
        }
    }
}

#[test]
fn letters_marks_and_numbers_are_refused_at_the_name_or_read_back() {
    every_sample_of(0..11);
}

#[test]
fn punctuation_and_symbols_are_refused_at_the_name_or_read_back() {
    every_sample_of(11..22);
}

/// Separators and the other categories; and the prototype keys, which only
/// field names refuse.
#[test]
fn separators_and_other_characters_are_refused_at_the_name_or_read_back() {
    every_sample_of(22..SAMPLES.len());
    for name in ["__proto__", "a.constructor", "prototype.b", "toString", "__proto__x", "hasOwnProperty"] {
        holds(name);
    }
}

/// Refusals come with the rule's code and help: a NEL in a field name is
/// `WP011` at the name, and so is `__proto__` as a part of a field name.
#[test]
fn a_nel_and_a_prototype_key_are_refused_with_the_code() {
    for (name, message) in [("a\u{85}b", "control character U+0085"), ("x.__proto__", "`__proto__`")] {
        let (text, spans) = spec(name);
        let loaded =
            crate::load::load_text(Path::new("/h/w.kdl"), text.clone(), Path::new("/h"), crate::parse_and_lower);
        let checked = crate::check_loaded(loaded, &crate::lint::CliLevels::default());
        let refused: Vec<_> = checked.diagnostics.iter().filter(|d| d.rule.code == "WP011").collect();
        assert!(!refused.is_empty(), "{name:?}");
        for d in &refused {
            assert!(d.message.contains(message), "{}", d.message);
            assert!(!d.help.is_empty());
            let span = d.primary.loc.span.start as usize..d.primary.loc.span.end as usize;
            assert!(spans.iter().any(|(r, _)| *r == span), "{span:?} is not at a name");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// Names of one to four samples from any categories, mixed.
    #[test]
    fn names_from_every_category_are_refused_at_the_name_or_read_back(
        picks in proptest::collection::vec(0..all_samples().len(), 1..5)
    ) {
        let samples = all_samples();
        let name: String = picks.iter().map(|&i| samples[i]).collect();
        holds(&name);
    }
}
