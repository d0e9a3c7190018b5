//! The Node-RED node builders the hub and the broker's connectors share:
//! a node with its id, type, tab, label, place and wires (`Nodes::add`),
//! the property sets of the core node types they use (`change` rules,
//! `file`, `http request` and `http response`), and `PrettyArray`, which
//! writes `flows.json` node by node, byte for byte as serde_json's pretty
//! printer writes the whole array, straight into the file. Every value goes into the nodes as a
//! serde_json value: no spec name is ever pasted into text.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

/// Column and row spacing on a tab (a node without `x`/`y` would be taken
/// for a configuration node).
pub(in crate::emit) fn at(column: u32, row: u32) -> (u32, u32) {
    (140 + column * 190, 60 + row * 70)
}

pub(in crate::emit) struct Nodes(pub(in crate::emit) Vec<Node>);

/// A node: its id, type, tab, label, place and wires, its type's own
/// properties, and for a `function` node its code. The common fields are
/// kept apart from the properties and merged in key order as the node is
/// written, rather than inserted into one map per node (the hub and the
/// broker make one node per flow and target, and those map inserts were a
/// tenth of a build). The code is kept apart too, so that the same code
/// (`auth.js` and `loop_guard.js` are 4 to 6 KB) is neither copied into
/// each node nor escaped again for each.
pub(in crate::emit) struct Node {
    id: String,
    pub(in crate::emit) ty: String,
    tab: String,
    name: String,
    pos: (u32, u32),
    pub(in crate::emit) wires: Vec<Vec<String>>,
    props: Map<String, Value>,
    code: Option<&'static Code>,
}

/// A function node's fixed code, and its JSON string, escaped once.
pub(in crate::emit) struct Code {
    text: Cow<'static, str>,
    json: OnceLock<Option<Box<RawValue>>>,
}

impl Code {
    pub(in crate::emit) const fn new(text: &'static str) -> Code {
        Code { text: Cow::Borrowed(text), json: OnceLock::new() }
    }

    /// Code made once at run time (it names what `settings.js` defines).
    pub(in crate::emit) fn owned(text: String) -> Code {
        Code { text: Cow::Owned(text), json: OnceLock::new() }
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A string always makes a JSON string; were it not to, the text is
        // escaped as any other.
        match self.json.get_or_init(|| serde_json::value::to_raw_value(&self.text).ok()) {
            Some(json) => json.serialize(serializer),
            None => serializer.serialize_str(&self.text),
        }
    }
}

/// A common field of a node, by its key.
enum Common<'a> {
    Text(&'a str),
    Number(u32),
    Wires(&'a [Vec<String>]),
    Code(&'static Code),
}

impl serde::Serialize for Common<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Common::Text(text) => serializer.serialize_str(text),
            Common::Number(n) => serializer.serialize_u32(*n),
            Common::Wires(wires) => wires.serialize(serializer),
            Common::Code(code) => code.serialize(serializer),
        }
    }
}

impl serde::Serialize for Node {
    /// Every key in order, as one map holding them all is written: the
    /// common fields and `func` merged into the properties by key, a
    /// property of the same key taking the place of the common field.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        // In key order.
        let common = [
            ("func", self.code.map(Common::Code)),
            ("id", Some(Common::Text(&self.id))),
            ("name", Some(Common::Text(&self.name))),
            ("type", Some(Common::Text(&self.ty))),
            ("wires", Some(Common::Wires(&self.wires))),
            ("x", Some(Common::Number(self.pos.0))),
            ("y", Some(Common::Number(self.pos.1))),
            ("z", Some(Common::Text(&self.tab))),
        ];
        let mut common = common.into_iter().filter_map(|(key, value)| Some((key, value?))).peekable();
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in &self.props {
            while let Some((first, field)) = common.next_if(|(first, _)| *first <= key.as_str()) {
                if first != key.as_str() {
                    map.serialize_entry(first, &field)?;
                }
            }
            map.serialize_entry(key, value)?;
        }
        for (key, field) in common {
            map.serialize_entry(key, &field)?;
        }
        map.end()
    }
}

impl Nodes {
    /// Adds a node; `props` are its type's own properties.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::emit) fn add(
        &mut self,
        id: &str,
        ty: &str,
        tab: &str,
        name: &str,
        pos: (u32, u32),
        wires: &[&[&str]],
        props: Value,
    ) {
        let props = match props {
            Value::Object(props) => props,
            _ => Map::new(),
        };
        self.0.push(Node {
            id: id.to_owned(),
            ty: ty.to_owned(),
            tab: tab.to_owned(),
            name: name.to_owned(),
            pos,
            wires: wires.iter().map(|output| output.iter().map(|&to| to.to_owned()).collect()).collect(),
            props,
            code: None,
        });
    }

    /// Adds a `function` node running `code`, with `outputs` outputs.
    pub(in crate::emit) fn add_function(
        &mut self,
        id: &str,
        tab: &str,
        name: &str,
        pos: (u32, u32),
        wires: &[&[&str]],
        (code, outputs): (&'static Code, u32),
    ) {
        let props = json!({
            "outputs": outputs, "timeout": 0, "noerr": 0, "initialize": "", "finalize": "", "libs": [],
        });
        self.add(id, "function", tab, name, pos, wires, props);
        if let Some(node) = self.0.last_mut() {
            node.code = Some(code);
        }
    }
}

/// A `change` rule setting `msg.<p>` (or flow context, with `pt`) to `to` of type `tot`.
pub(in crate::emit) fn set(p: &str, to: impl Into<Value>, tot: &str) -> Value {
    json!({"t": "set", "p": p, "pt": "msg", "to": to.into(), "tot": tot})
}

pub(in crate::emit) fn delete(p: &str) -> Value {
    json!({"t": "delete", "p": p, "pt": "msg"})
}

pub(in crate::emit) fn change(rules: Vec<Value>) -> Value {
    json!({"rules": rules, "action": "", "property": "", "from": "", "to": "", "reg": false})
}

pub(in crate::emit) fn file(filename: &str) -> Value {
    json!({
        "filename": filename, "filenameType": "str", "appendNewline": true, "createDir": true,
        "overwriteFile": "false", "encoding": "utf8",
    })
}

pub(in crate::emit) fn http_request() -> Value {
    json!({
        "method": "use", "ret": "txt", "paytoqs": "ignore", "url": "", "tls": "", "persist": false,
        "proxy": "", "insecureHTTPParser": false, "authType": "", "senderr": true, "headers": [],
    })
}

pub(in crate::emit) fn http_response() -> Value {
    json!({"statusCode": "", "headers": {}})
}

/// A JSON array written item by item into a writer, formatted exactly as
/// serde_json's pretty printer formats the whole array: a flow of 20,000
/// targets made 20,000 nodes' worth of maps before a byte was written. Each
/// item is serialized straight into the writer, never first into a string
/// of its own (the broker's step switch is megabytes), and the writer is the
/// file being written: `flows.json`, many times the spec's size, is never
/// held whole.
pub(in crate::emit) struct PrettyArray<'a> {
    out: &'a mut dyn std::io::Write,
    started: bool,
    /// The first error; nothing is written after it.
    error: Option<std::io::Error>,
}

/// The indentation of the first 32 levels.
const SPACES: &[u8; 64] = &[b' '; 64];

/// serde_json's pretty formatter (two spaces a level), starting one level
/// in: an item of the array is written with every line two spaces in, as
/// the pretty printer writes it inside the whole array, without scanning
/// the text for newlines afterwards.
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn indent<W: ?Sized + std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        // One write for the usual depths rather than one per level: each
        // goes through the file's buffer behind a `dyn` writer.
        match SPACES.get(..2 * self.level) {
            Some(spaces) => out.write_all(spaces),
            None => (0..self.level).try_for_each(|_| out.write_all(b"  ")),
        }
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            self.indent(out)?;
        }
        out.write_all(bracket)
    }

    fn next<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(out)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.next(out, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, out: &mut W, first: bool) -> std::io::Result<()> {
        self.next(out, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _out: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

impl<'a> PrettyArray<'a> {
    /// An array written into `out` as it is made; `end` closes it.
    pub(in crate::emit) fn into(out: &'a mut dyn std::io::Write) -> Self {
        PrettyArray { out, started: false, error: None }
    }

    pub(in crate::emit) fn push(&mut self, item: &impl serde::Serialize) {
        if self.error.is_some() {
            return;
        }
        let opening: &[u8] = if self.started { b",\n  " } else { b"[\n  " };
        self.started = true;
        let out = &mut *self.out;
        let written = out.write_all(opening).map_err(serde_json::Error::io).and_then(|()| {
            // Only a map with keys that are not strings fails, and no node
            // has one; a failing writer stops the array.
            let mut serializer = serde_json::Serializer::with_formatter(out, Nested { level: 1, has_value: false });
            serde::Serialize::serialize(item, &mut serializer)
        });
        if let Err(e) = written {
            self.error = Some(std::io::Error::other(e));
        }
    }

    /// Writes the nodes made so far and forgets them.
    pub(in crate::emit) fn take(&mut self, nodes: &mut Nodes) {
        for node in nodes.0.drain(..) {
            self.push(&node);
        }
    }

    /// Closes the array: the first error of the writer, if any.
    pub(in crate::emit) fn end(self) -> std::io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.out.write_all(if self.started { b"\n]\n" } else { b"[]\n" })
    }
}

/// A field name as the path of keys it names: a dot separates nested keys.
pub(in crate::emit) fn path(name: &str) -> Value {
    Value::Array(name.split('.').map(|k| Value::String(k.to_owned())).collect())
}

pub(in crate::emit) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node is written as the one map of all its keys would be: the
    /// common fields and `func` among the properties in key order, a
    /// property of a common field's key in its place.
    #[test]
    fn a_node_is_written_as_the_map_of_all_its_keys() {
        static CODE: Code = Code::new("return msg;");
        let mut nodes = Nodes(Vec::new());
        let props = json!({"action": "", "name": "shadowed", "rules": [1], "zz": true});
        nodes.add("n1", "change", "t1", "a label", (1, 2), &[&["n2"], &[]], props);
        nodes.add_function("n2", "t1", "code", (3, 4), &[&["n1"]], (&CODE, 1));
        let written: Vec<Value> = nodes.0.iter().map(|n| serde_json::to_value(n).unwrap()).collect();
        let expected = [
            json!({
                "action": "", "id": "n1", "name": "shadowed", "rules": [1], "type": "change",
                "wires": [["n2"], []], "x": 1, "y": 2, "z": "t1", "zz": true,
            }),
            json!({
                "finalize": "", "func": "return msg;", "id": "n2", "initialize": "", "libs": [], "name": "code",
                "noerr": 0, "outputs": 1, "timeout": 0, "type": "function", "wires": [["n1"]], "x": 3, "y": 4,
                "z": "t1",
            }),
        ];
        assert_eq!(written, expected);
        // In key order, each key once, as a map is written.
        for (node, expected) in nodes.0.iter().zip(&expected) {
            assert_eq!(serde_json::to_string(node).unwrap(), serde_json::to_string(expected).unwrap());
        }
    }

    #[test]
    fn the_array_written_item_by_item_is_the_pretty_printed_array() {
        let items = vec![
            json!({"id": "a", "wires": [[], ["b", "c"]], "props": {}, "text": "two\nlines \"quoted\""}),
            json!([]),
            json!("x\n  y"),
            json!({"nested": {"deeper": [{"k": 1}, null, true]}}),
        ];
        let whole = serde_json::to_string_pretty(&Value::Array(items.clone())).unwrap() + "\n";
        let mut written = Vec::new();
        let mut into = PrettyArray::into(&mut written);
        for item in &items {
            into.push(item);
        }
        into.end().unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), whole);
        let mut empty = Vec::new();
        PrettyArray::into(&mut empty).end().unwrap();
        assert_eq!(empty, b"[]\n");
    }
}
