//! YAML and JSON documents as a tree whose every node knows its byte span in
//! the text, so that an import can point a finding at the line and column
//! where the source says it.
//!
//! The parser is `saphyr-parser` (0.3), the event-level half of `saphyr`,
//! the maintained successor of `yaml-rust` (a YAML 1.2 parser in safe Rust,
//! passing the YAML test suite). It was chosen over `serde_yaml`/`serde_yml`
//! (deprecated or unmaintained, and they give no positions on values),
//! `marked-yaml` (positions, but built on the older `yaml-rust` and it loads
//! its own tree) and `saphyr`'s own `MarkedYaml` loader (which copies the
//! node an alias names at every use, so a document of nested aliases, the
//! "billion laughs", grows exponentially). Each event carries its span as
//! character offsets; this module turns them into byte offsets with a
//! forward-moving cursor (linear), and builds its own arena: an alias is an
//! index to the node its anchor names, never a copy, so the tree is linear in
//! the text. JSON is read by the same parser (a JSON text is YAML 1.2), so
//! both formats get positions the same way.
//!
//! Limits: a document of at most `MAX_BYTES` (checked before parsing), at
//! most `MAX_DEPTH` levels of nesting (the parser keeps its own stack, but
//! the walkers of the tree recurse on nesting). Every failure is a `Problem`
//! at a place, never a panic.

use saphyr_parser::{Event, Parser, ScalarStyle};

/// The largest document an import reads: 16 MiB. `saphyr-parser` reads about
/// 25 MB/s here with a tree of about 10 times the text; an AsyncAPI document
/// of 10,000 channels is about 3 MB.
pub(crate) const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Nesting deeper than this is refused: no real document comes close, and
/// the tree's walkers recurse on it.
pub(crate) const MAX_DEPTH: usize = 128;

/// An index into `Tree::nodes`.
pub(crate) type NodeId = u32;

/// A byte range of the text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// One node of a document.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) range: Range,
}

#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// A number as written (its text), so nothing is lost or rounded.
    Number(String),
    String(String),
    Seq(Vec<NodeId>),
    /// Keys as text with their own range (a key that is not a scalar is
    /// kept as its range's text), in document order.
    Map(Vec<(String, Range, NodeId)>),
}

/// A parsed document.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    /// For each mapping of more than `INDEXED` entries, its keys' positions:
    /// a document of 10,000 channels looks each one up by key, which a scan
    /// would make quadratic.
    index: rustc_hash::FxHashMap<NodeId, rustc_hash::FxHashMap<String, usize>>,
}

/// Mappings with more entries than this get a hash index.
const INDEXED: usize = 8;

/// Something wrong with a document, at a byte range of it.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) range: Range,
    pub(crate) message: String,
    pub(crate) help: String,
}

impl Tree {
    pub(crate) fn root(&self) -> NodeId {
        0
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The value of `key` in the mapping `id`, if `id` is a mapping that has it.
    pub(crate) fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.entry(id, key).map(|e| e.2)
    }

    fn entry(&self, id: NodeId, key: &str) -> Option<&(String, Range, NodeId)> {
        let Value::Map(entries) = &self.node(id).value else { return None };
        match self.index.get(&id) {
            Some(index) => index.get(key).map(|&i| &entries[i]),
            None => entries.iter().find(|(k, _, _)| k == key),
        }
    }

    /// The range of `key` itself in the mapping `id`.
    pub(crate) fn key_range(&self, id: NodeId, key: &str) -> Option<Range> {
        self.entry(id, key).map(|e| e.1)
    }

    /// The text of a string (or number, or boolean) node.
    pub(crate) fn str(&self, id: NodeId) -> Option<&str> {
        match &self.node(id).value {
            Value::String(s) | Value::Number(s) => Some(s),
            Value::Bool(true) => Some("true"),
            Value::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// `get` then `str`.
    pub(crate) fn get_str(&self, id: NodeId, key: &str) -> Option<&str> {
        self.get(id, key).and_then(|v| self.str(v))
    }

    pub(crate) fn entries(&self, id: NodeId) -> &[(String, Range, NodeId)] {
        match &self.node(id).value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub(crate) fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.node(id).value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub(crate) fn is_map(&self, id: NodeId) -> bool {
        matches!(self.node(id).value, Value::Map(_))
    }

    pub(crate) fn range(&self, id: NodeId) -> Range {
        self.node(id).range
    }
}

/// Turns the parser's character offsets into byte offsets, moving a cursor
/// from the last position (events come nearly in order, so this is linear).
struct Bytes<'t> {
    text: &'t str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl Bytes<'_> {
    fn at(&mut self, chars: usize) -> u32 {
        if self.ascii {
            return chars.min(self.text.len()) as u32;
        }
        while self.chars < chars && self.bytes < self.text.len() {
            let c = self.text[self.bytes..].chars().next().map_or(1, char::len_utf8);
            self.bytes += c;
            self.chars += 1;
        }
        while self.chars > chars && self.bytes > 0 {
            self.bytes -= 1;
            while self.bytes > 0 && !self.text.is_char_boundary(self.bytes) {
                self.bytes -= 1;
            }
            self.chars -= 1;
        }
        self.bytes as u32
    }
}

/// An open collection while the tree is built.
enum Open {
    Seq { id: NodeId, items: Vec<NodeId> },
    Map { id: NodeId, entries: Vec<(String, Range, NodeId)>, key: Option<(String, Range)> },
}

/// Parses `text` (YAML or JSON) into a tree. Only the first document of a
/// stream is read; a later one is a problem.
pub(crate) fn parse(text: &str) -> Result<Tree, Problem> {
    if text.len() > MAX_BYTES {
        return Err(Problem {
            range: Range { start: 0, end: 0 },
            message: format!(
                "this document is {:.1} MiB; wireplan imports documents of up to {} MiB",
                text.len() as f64 / 1_048_576.0,
                MAX_BYTES / 1_048_576
            ),
            help: "split it into several documents (one per service) and import the folder".into(),
        });
    }
    let mut bytes = Bytes { text, ascii: text.is_ascii(), chars: 0, bytes: 0 };
    let mut tree = Tree::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: rustc_hash::FxHashMap<usize, NodeId> = Default::default();
    let mut documents = 0;
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let at = bytes.at(e.marker().index());
            Problem {
                range: Range { start: at, end: at },
                message: format!("this is not valid YAML or JSON: {}", e.info()),
                help: "correct the document's syntax (an AsyncAPI document is YAML or JSON)".into(),
            }
        })?;
        let start = bytes.at(span.start.index());
        let end = bytes.at(span.end.index()).max(start);
        let range = Range { start, end };
        let made = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Problem {
                        range,
                        message: "a second YAML document in one file".into(),
                        help: "put each document in a file of its own".into(),
                    });
                }
                None
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.is_some());
                Some((push(&mut tree, value, range), anchor))
            }
            Event::Alias(anchor) => match anchors.get(&anchor) {
                Some(&id) => Some((id, 0)),
                None => {
                    return Err(Problem {
                        range,
                        message: "an alias to an anchor that is not defined before it".into(),
                        help: "define the anchor (`&name`) before its alias (`*name`)".into(),
                    });
                }
            },
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Problem {
                        range,
                        message: format!("this document nests deeper than {MAX_DEPTH} levels"),
                        help: "real AsyncAPI documents nest far less: check how it was generated".into(),
                    });
                }
                let is_seq = matches!(event, Event::SequenceStart(..));
                let id = push(&mut tree, Value::Null, range);
                if anchor != 0 {
                    anchors.insert(anchor, id);
                }
                stack.push(if is_seq {
                    Open::Seq { id, items: Vec::new() }
                } else {
                    Open::Map { id, entries: Vec::new(), key: None }
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else { continue };
                let (id, value) = match open {
                    Open::Seq { id, items } => (id, Value::Seq(items)),
                    Open::Map { id, entries, .. } => {
                        if entries.len() > INDEXED {
                            let mut index = rustc_hash::FxHashMap::default();
                            for (i, (key, _, _)) in entries.iter().enumerate() {
                                index.entry(key.clone()).or_insert(i);
                            }
                            tree.index.insert(id, index);
                        }
                        (id, Value::Map(entries))
                    }
                };
                let node = &mut tree.nodes[id as usize];
                node.value = value;
                node.range.end = end.max(node.range.start);
                Some((id, 0))
            }
            _ => None,
        };
        let Some((id, anchor)) = made else { continue };
        if anchor != 0 {
            anchors.insert(anchor, id);
        }
        match stack.last_mut() {
            Some(Open::Seq { items, .. }) => items.push(id),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some((k, r)) => entries.push((k, r, id)),
                None => {
                    let node = &tree.nodes[id as usize];
                    let text = match &node.value {
                        Value::String(s) | Value::Number(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        _ => text.get(node.range.start as usize..node.range.end as usize).unwrap_or("").to_owned(),
                    };
                    *key = Some((text, node.range));
                }
            },
            None => {}
        }
    }
    if tree.nodes.is_empty() {
        return Err(Problem {
            range: Range::default(),
            message: "this document is empty".into(),
            help: "an AsyncAPI document is a YAML or JSON mapping with an `asyncapi` version".into(),
        });
    }
    Ok(tree)
}

fn push(tree: &mut Tree, value: Value, range: Range) -> NodeId {
    tree.nodes.push(Node { value, range });
    (tree.nodes.len() - 1) as NodeId
}

/// A scalar by the YAML 1.2 core schema: quoted and tagged scalars are
/// strings; plain ones may be null, booleans or numbers.
fn scalar(text: &str, style: ScalarStyle, tagged: bool) -> Value {
    if style != ScalarStyle::Plain || tagged {
        return Value::String(text.to_owned());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ if looks_numeric(text) => Value::Number(text.to_owned()),
        _ => Value::String(text.to_owned()),
    }
}

fn looks_numeric(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    !t.is_empty()
        && t.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+' | 'x' | 'o' | '_'))
        && t.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_bytes_and_aliases_share() {
        let text = "a: é\nb: &x {c: 1}\nd: *x\n\"e\": [true, ~]\n";
        let tree = parse(text).unwrap();
        let root = tree.root();
        let b = tree.get(root, "b").unwrap();
        assert_eq!(tree.get(root, "d"), Some(b));
        let c = tree.get(b, "c").unwrap();
        assert_eq!(&text[tree.range(c).start as usize..tree.range(c).end as usize], "1");
        let e = tree.key_range(root, "e").unwrap();
        assert_eq!(&text[e.start as usize..e.end as usize], "\"e\"");
        assert!(matches!(tree.node(tree.items(tree.get(root, "e").unwrap())[0]).value, Value::Bool(true)));
    }

    #[test]
    fn json_parses_with_positions() {
        let text = "{\"asyncapi\": \"3.0.0\", \"n\": 12}";
        let tree = parse(text).unwrap();
        assert_eq!(tree.get_str(0, "asyncapi"), Some("3.0.0"));
        let n = tree.get(0, "n").unwrap();
        assert_eq!(tree.range(n).start, 27);
    }

    #[test]
    fn bad_input_is_a_problem_at_its_place() {
        let e = parse("a: [1, 2\nb: }").unwrap_err();
        assert!(e.message.contains("not valid YAML"), "{e:?}");
        assert!(e.range.start > 0);
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nests deeper") || e.message.contains("recursion"), "{e:?}");
        let laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n";
        let tree = parse(laughs).unwrap();
        assert!(tree.nodes.len() < 20);
        assert!(parse("").is_err());
    }
}
