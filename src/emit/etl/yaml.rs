//! A small YAML writer for the ETL files: block mappings and sequences whose
//! keys keep the order the backend gives them, and every string written as a
//! double-quoted scalar by `escape::yaml_string`: a JSON string with every
//! character YAML cannot hold raw escaped too (C0 and C1 controls, NEL and
//! U+2028/U+2029, which YAML 1.1 folds as line breaks, U+FEFF, U+FFFE,
//! U+FFFF), so that YAML 1.1 (PyYAML, which dbt and Meltano read with) and
//! 1.2 (ruamel) both read back the very string. So a spec name is never a
//! plain scalar that YAML could read as a number, a boolean, an anchor, a
//! comment or a new key, and nothing else of it reaches the text. Keys are
//! constants of the backend; one that is not a plain identifier is quoted
//! too. A property test (`hostile_names_tests`) holds every string through
//! a real YAML parser.

use std::fmt::Write as _;

/// A YAML value whose mappings keep their insertion order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Yaml {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    /// An empty mapping, to fill with `with`.
    pub(crate) fn map() -> Yaml {
        Yaml::Map(Vec::new())
    }

    /// `self` with `key: value` appended (a mapping; anything else is left as it is).
    pub(crate) fn with(mut self, key: &str, value: impl Into<Yaml>) -> Yaml {
        if let Yaml::Map(pairs) = &mut self {
            pairs.push((key.to_owned(), value.into()));
        }
        self
    }

    /// `self` with `key: value` appended when there is a value.
    pub(crate) fn with_some(self, key: &str, value: Option<impl Into<Yaml>>) -> Yaml {
        match value {
            Some(value) => self.with(key, value),
            None => self,
        }
    }
}

impl From<&str> for Yaml {
    fn from(s: &str) -> Yaml {
        Yaml::Str(s.to_owned())
    }
}

impl From<String> for Yaml {
    fn from(s: String) -> Yaml {
        Yaml::Str(s)
    }
}

impl From<&String> for Yaml {
    fn from(s: &String) -> Yaml {
        Yaml::Str(s.clone())
    }
}

impl From<bool> for Yaml {
    fn from(b: bool) -> Yaml {
        Yaml::Bool(b)
    }
}

impl From<i64> for Yaml {
    fn from(n: i64) -> Yaml {
        Yaml::Int(n)
    }
}

impl From<Vec<Yaml>> for Yaml {
    fn from(items: Vec<Yaml>) -> Yaml {
        Yaml::List(items)
    }
}

/// The document: `header` lines as `#` comments, then `value`.
pub(crate) fn render(header: &[&str], value: &Yaml) -> String {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    match value {
        Yaml::Map(pairs) if !pairs.is_empty() => write_pairs(&mut out, pairs, 0, false),
        Yaml::List(items) if !items.is_empty() => write_items(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn string(s: &str) -> String {
    crate::escape::yaml_string(s)
}

fn scalar(value: &Yaml) -> String {
    match value {
        Yaml::Str(s) => string(s),
        Yaml::Int(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::List(_) => "[]".into(),
        Yaml::Map(_) => "{}".into(),
    }
}

/// Whether `value` is written on its key's line.
fn inline(value: &Yaml) -> bool {
    match value {
        Yaml::List(items) => items.is_empty(),
        Yaml::Map(pairs) => pairs.is_empty(),
        _ => true,
    }
}

/// Writes `pairs` at `indent`; with `first_inline`, the first pair goes
/// on the current line (after a list's `- `).
fn write_pairs(out: &mut String, pairs: &[(String, Yaml)], indent: usize, first_inline: bool) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 || !first_inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&crate::escape::yaml_key(k));
        out.push(':');
        if inline(v) {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        } else {
            out.push('\n');
            match v {
                Yaml::Map(inner) => write_pairs(out, inner, indent + 2, false),
                Yaml::List(items) => write_items(out, items, indent + 2),
                _ => {}
            }
        }
    }
}

fn write_items(out: &mut String, items: &[Yaml], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Yaml::Map(pairs) if !pairs.is_empty() => write_pairs(out, pairs, indent + 2, true),
            Yaml::List(inner) if !inner.is_empty() => {
                out.push('\n');
                write_items(out, inner, indent + 2);
            }
            other => {
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_blocks_and_quoted_strings() {
        let doc = Yaml::map()
            .with("version", 2_i64)
            .with(
                "sources",
                vec![
                    Yaml::map().with("name", "a: b # c").with("tables", vec![Yaml::map().with("name", "x\ny")]),
                    Yaml::map().with("name", "on").with("empty", Vec::new()),
                ],
            )
            .with("+materialized", "view")
            .with("on", true);
        let text = render(&["generated"], &doc);
        assert_eq!(
            text,
            "# generated\nversion: 2\nsources:\n  - name: \"a: b # c\"\n    tables:\n      - name: \"x\\ny\"\n  \
             - name: \"on\"\n    empty: []\n\"+materialized\": \"view\"\n\"on\": true\n"
        );
    }
}
