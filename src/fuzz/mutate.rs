//! Structure-aware mutation of specs, for the fuzz target.
//!
//! Random bytes almost never get past the parser, so most mutations work on
//! what the parser sees: the lossless tree's nodes and entries (delete,
//! duplicate, swap, splice a node from another corpus file, nest, comment
//! out) and its tokens (a name or value replaced by a hostile one, or by a
//! name from elsewhere in the corpus, so references still resolve and the
//! input reaches the checks and the backends), plus stray punctuation and
//! some byte-level edits. Input `i` of seed `s` is a pure function of the
//! corpus, `s` and `i`, so any input can be made again from its number.

use crate::syntax::{self, TokenKind};

/// A small, fast, well-mixed generator (SplitMix64), seeded per input.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() { None } else { items.get(self.below(items.len())) }
    }
}

/// Pieces of hostile names: every kind of character that has broken a
/// printer, a serializer or a terminal somewhere, and text that means
/// something in the languages the backends write.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "a b",
    "\u{0}",
    "\u{1b}[31m",
    "\u{1b}]0;t\u{7}",
    "\u{7f}",
    "\u{85}",
    "\u{86}",
    "\u{9b}",
    "\t",
    "\r",
    "\u{b}",
    "\u{c}",
    "\u{200b}",
    "\u{200d}",
    "\u{200e}",
    "\u{202e}",
    "\u{2066}",
    "\u{2028}",
    "\u{2029}",
    "\u{a0}",
    "\u{3000}",
    "\u{feff}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{fffd}",
    "\u{10ffff}",
    "\u{e000}",
    "\u{e0041}",
    "e\u{301}",
    "\u{301}",
    "\u{20dd}",
    "İ",
    "ß",
    "ﬃ",
    "Ω",
    "ǅ",
    "١٢٣",
    "漢字",
    "👍🏽",
    "👨‍👩‍👧",
    "שלום",
    "مرحبا",
    "𝔞",
    "'",
    "\"",
    "\\",
    "\\'",
    "''",
    "'; DROP TABLE t; --",
    "\"; rm -rf /; \"",
    "{{ x }}",
    "{% raw %}",
    "${X}",
    "$(id)",
    "`id`",
    "%s%n",
    "<script>",
    "]]>",
    "&amp;",
    "<!--",
    "*/",
    "/*",
    "#",
    "# h",
    "- x",
    ": x",
    "? x",
    "!tag",
    "&a",
    "*a",
    "|",
    ">",
    "@",
    "~",
    "null",
    "true",
    "NaN",
    "yes",
    "0x1",
    "1e5",
    "-",
    "--",
    ".",
    "..",
    "../../etc/passwd",
    "a/b",
    "C:\\x",
    "CON",
    "__proto__",
    "constructor",
    "prototype",
    "a-b-0ffb4f75",
    "a_b",
    "A",
    "a",
    "x\n::error file=a::forged",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    "https://user:pass@example.com/x?y=1#z",
    "* * * * *",
    "0 0 31 2 *",
    "@reboot",
    "99999999999 years",
    "1ms",
    "0s",
];

/// The pieces of `HOSTILE` that the secret detector takes for credentials.
const SECRETS: &[&str] = &["sk_live", "AKIA", "ghp_", "user:pass"];

/// Numbers at and past every limit a value may meet.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "1e308",
    "1e309",
    "-1e309",
    "1e-400",
    "4.9e-324",
    "2147483647",
    "2147483648",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "0x7fffffffffffffff",
    "0xffffffffffffffff",
    "0b1",
    "0o777",
    "1_000_000",
    "1.",
    ".5",
    "1e",
    "0x",
    "#inf",
    "#-inf",
    "#nan",
    "#true",
    "#false",
    "#null",
];

/// What is written where the parser expects something else.
const STRAY: &[&str] = &[
    "{", "}", "\"", "\"\"\"", "#\"", "\"#", "/-", "//", "/*", "*/", ";", "=", "(", ")", "\\", "#", "[", "]", "\n",
    "\r", "\r\n", "\u{85}", "\u{2028}", "\u{b}", "\u{c}", "\t", " ", "\u{feff}", "\u{0}", "(t)", "=\"\"", "a=", "=1",
];

/// A corpus, with the pieces of all its files that mutations splice in.
pub struct Mutator {
    files: Vec<String>,
    /// Whole nodes (with their children), from every file.
    nodes: Vec<String>,
    /// Entries (`value`, `key=value`), from every file.
    entries: Vec<String>,
    /// String tokens as written (names, keys, values).
    names: Vec<String>,
    /// Node names (`system`, `flow`, `retry`...).
    node_names: Vec<String>,
}

/// The tree of one text, reduced to what mutations need: spans.
struct Shape {
    /// Node spans (start, end).
    nodes: Vec<(usize, usize)>,
    /// Entry spans.
    entries: Vec<(usize, usize)>,
    /// Children blocks: where their `{` ends.
    blocks: Vec<usize>,
    /// Tokens: kind and span.
    tokens: Vec<(TokenKind, usize, usize)>,
    /// Node-name tokens.
    node_names: Vec<(usize, usize)>,
}

fn shape(text: &str) -> Shape {
    let parse = syntax::parse(text);
    let tree = &parse.tree;
    let mut s = Shape {
        nodes: Vec::new(),
        entries: Vec::new(),
        blocks: Vec::new(),
        tokens: Vec::new(),
        node_names: Vec::new(),
    };
    // The typed view (what is well formed), walked with a stack: nesting is
    // bounded by the parser, not by the call stack.
    let mut stack: Vec<_> = parse.document().nodes().collect();
    while let Some(node) = stack.pop() {
        s.nodes.push((node.span.start as usize, node.span.end as usize));
        s.node_names.push((node.name.span.start as usize, node.name.span.end as usize));
        s.entries.extend(node.entries().map(|e| (e.span.start as usize, e.span.end as usize)));
        if let Some(children) = &node.children {
            s.blocks.push((children.span.start as usize + 1).min(children.span.end as usize));
        }
        stack.extend(node.child_nodes());
    }
    for t in 0..tree.tokens.len() as u32 {
        if let Some(kind) = tree.token_kind(t) {
            let span = tree.token_span(t);
            s.tokens.push((kind, span.start as usize, span.end as usize));
        }
    }
    // Spans of well-formed nodes lie on character boundaries; keep only
    // those that do, whatever the view's rules become.
    let ok = |&(a, b): &(usize, usize)| a <= b && text.is_char_boundary(a) && text.is_char_boundary(b);
    s.nodes.retain(ok);
    s.entries.retain(ok);
    s.node_names.retain(ok);
    s.blocks.retain(|&a| text.is_char_boundary(a));
    s.tokens.retain(|&(_, a, b)| ok(&(a, b)));
    s
}

impl Mutator {
    /// A mutator over `files` (the texts of the corpus).
    pub fn new(files: Vec<String>) -> Self {
        let mut m =
            Mutator { files, nodes: Vec::new(), entries: Vec::new(), names: Vec::new(), node_names: Vec::new() };
        for text in &m.files {
            let s = shape(text);
            let piece = |&(a, b): &(usize, usize)| text.get(a..b).map(str::to_owned);
            m.nodes.extend(s.nodes.iter().filter_map(piece));
            m.entries.extend(s.entries.iter().filter_map(piece));
            m.node_names.extend(s.node_names.iter().filter_map(piece));
            m.names.extend(
                s.tokens.iter().filter(|t| t.0.is_string()).filter_map(|&(_, a, b)| text.get(a..b).map(str::to_owned)),
            );
        }
        for list in [&mut m.nodes, &mut m.entries, &mut m.names, &mut m.node_names] {
            list.sort();
            list.dedup();
        }
        m
    }

    /// How many files the corpus holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Input number `index` of `seed`: a corpus file with one to eight
    /// mutations (rarely, the file as it is).
    pub fn input(&self, seed: u64, index: u64) -> Vec<u8> {
        let mut rng = Rng::new(seed ^ index.wrapping_mul(0xd134_2543_de82_ef95).rotate_left(17));
        let Some(base) = rng.pick(&self.files) else { return Vec::new() };
        if rng.one_in(64) {
            return base.clone().into_bytes();
        }
        let mut text = base.clone();
        let rounds = 1 + rng.below(4) + if rng.one_in(3) { rng.below(5) } else { 0 };
        let mut bytes = None;
        for _ in 0..rounds {
            // A byte-level edit may leave the text not UTF-8: it is the last.
            if rng.one_in(12) {
                bytes = Some(self.byte_level(text.as_bytes().to_vec(), &mut rng));
                break;
            }
            text = self.structural(text, &mut rng);
            // Bounded, so one input stays fast: a spec grows by splicing.
            if text.len() > 256 * 1024 {
                let mut at = 256 * 1024;
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text.truncate(at);
            }
        }
        bytes.unwrap_or_else(|| text.into_bytes())
    }

    fn structural(&self, text: String, rng: &mut Rng) -> String {
        let s = shape(&text);
        let any_node = |rng: &mut Rng| rng.pick(&s.nodes).copied();
        let mut out = text.clone();
        match rng.below(20) {
            // Delete a node.
            0 => {
                if let Some((a, b)) = any_node(rng) {
                    out.replace_range(a..b, "");
                }
            }
            // Duplicate a node (a duplicate name, a second `stack`...).
            1 => {
                if let Some((a, b)) = any_node(rng) {
                    let copy = format!("\n{}", &text[a..b]);
                    out.insert_str(b, &copy);
                }
            }
            // Swap two nodes that do not overlap.
            2 => {
                if let (Some(x), Some(y)) = (any_node(rng), any_node(rng)) {
                    let (x, y) = if x.0 <= y.0 { (x, y) } else { (y, x) };
                    if x.1 <= y.0 {
                        out = format!(
                            "{}{}{}{}{}",
                            &text[..x.0],
                            &text[y.0..y.1],
                            &text[x.1..y.0],
                            &text[x.0..x.1],
                            &text[y.1..]
                        );
                    }
                }
            }
            // Splice a node from any corpus file, before a node, into a
            // block, or at the end.
            3 | 4 => {
                if let Some(node) = rng.pick(&self.nodes) {
                    let at = match rng.below(3) {
                        0 => any_node(rng).map(|n| n.0),
                        1 => rng.pick(&s.blocks).copied(),
                        _ => None,
                    }
                    .unwrap_or(text.len());
                    out.insert_str(at, &format!("\n{node}\n"));
                }
            }
            // A name or value replaced by a hostile one.
            5..=7 => {
                let strings: Vec<_> = s.tokens.iter().filter(|t| t.0.is_string()).collect();
                if let Some(&&(_, a, b)) = rng.pick(&strings) {
                    out.replace_range(a..b, &hostile_string(rng));
                }
            }
            // A name replaced by another name of the corpus; every use of it
            // at once, half the time, so references still resolve.
            8 | 9 => {
                let strings: Vec<_> = s.tokens.iter().filter(|t| t.0.is_string()).collect();
                if let (Some(&&(_, a, b)), Some(other)) = (rng.pick(&strings), rng.pick(&self.names)) {
                    let old = &text[a..b];
                    if rng.one_in(2) && old.len() > 2 {
                        out = replace_tokens(&text, &s, old, other);
                    } else {
                        out.replace_range(a..b, other);
                    }
                }
            }
            // A number or keyword replaced by one at a limit.
            10 => {
                let values: Vec<_> =
                    s.tokens.iter().filter(|t| matches!(t.0, TokenKind::Number | TokenKind::Keyword)).collect();
                let value = rng.pick(NUMBERS).copied().unwrap_or("0");
                match rng.pick(&values) {
                    Some(&&(_, a, b)) => out.replace_range(a..b, value),
                    None => out.push_str(&format!("\nx {value}\n")),
                }
            }
            // An entry deleted, duplicated, or brought from another node.
            11 => {
                if let Some(&(a, b)) = rng.pick(&s.entries) {
                    match rng.below(3) {
                        0 => out.replace_range(a..b, ""),
                        1 => out.insert_str(b, &format!(" {}", &text[a..b])),
                        _ => {
                            if let Some(e) = rng.pick(&self.entries) {
                                out.insert_str(b, &format!(" {e}"));
                            }
                        }
                    }
                }
            }
            12 => {
                if let (Some(&(_, b)), Some(e)) = (rng.pick(&s.node_names), rng.pick(&self.entries)) {
                    out.insert_str(b, &format!(" {e}"));
                }
            }
            // A node's name changed to another node name.
            13 => {
                if let (Some(&(a, b)), Some(n)) = (rng.pick(&s.node_names), rng.pick(&self.node_names)) {
                    out.replace_range(a..b, n);
                }
            }
            // Stray punctuation at a token boundary.
            14 | 15 => {
                if let (Some(&(_, a, _)), Some(p)) = (rng.pick(&s.tokens), rng.pick(STRAY)) {
                    out.insert_str(a, p);
                }
            }
            // A node nested deep, or commented out, or given a type.
            16 => {
                if let Some((a, b)) = any_node(rng) {
                    let depth = [1, 2, 8, 127, 128, 129, 300][rng.below(7)];
                    let inner = &text[a..b];
                    let mut wrapped = String::with_capacity(inner.len() + depth * 8);
                    for _ in 0..depth {
                        wrapped.push_str("n {");
                    }
                    wrapped.push_str(inner);
                    for _ in 0..depth {
                        wrapped.push('}');
                    }
                    out.replace_range(a..b, &wrapped);
                }
            }
            17 => {
                if let Some((a, _)) = any_node(rng) {
                    out.insert_str(a, if rng.one_in(2) { "/- " } else { "(t)" });
                }
            }
            // A node repeated many times (a flow to a thousand targets).
            18 => {
                if let Some((a, b)) = any_node(rng) {
                    let times = [10, 100, 1000][rng.below(3)];
                    let piece = format!("\n{}", &text[a..b]);
                    if piece.len() * times < 128 * 1024 {
                        out.insert_str(b, &piece.repeat(times));
                    }
                }
            }
            // A token deleted, or the text cut (as an editor has it while typing).
            _ => {
                if rng.one_in(2) {
                    if let Some(&(_, a, b)) = rng.pick(&s.tokens) {
                        out.replace_range(a..b, "");
                    }
                } else if let Some(&(_, a, _)) = rng.pick(&s.tokens) {
                    out.truncate(a);
                }
            }
        }
        out
    }

    fn byte_level(&self, mut bytes: Vec<u8>, rng: &mut Rng) -> Vec<u8> {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => bytes.insert(at, rng.next_u64() as u8),
            2 => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            3 => {
                let end = (at + rng.below(64)).min(bytes.len());
                let copy = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, copy);
            }
            _ => {
                // Bytes that are never UTF-8, or a sequence cut short.
                let bad: &[&[u8]] = &[b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"];
                if let Some(b) = rng.pick(bad) {
                    bytes.splice(at..at, b.iter().copied());
                }
            }
        }
        bytes
    }
}

/// Replaces every string token written exactly `old` with `new`.
fn replace_tokens(text: &str, s: &Shape, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &(kind, a, b) in &s.tokens {
        if kind.is_string() && &text[a..b] == old {
            out.push_str(&text[last..a]);
            out.push_str(new);
            last = b;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// A hostile name, written as KDL would take it in one of its forms (or,
/// now and then, in a form it would not).
fn hostile_string(rng: &mut Rng) -> String {
    let mut name = String::new();
    for _ in 0..1 + rng.below(3) {
        match rng.below(6) {
            0 => name.push(random_char(rng)),
            1 => name.push_str("name"),
            _ => name.push_str(rng.pick(HOSTILE).copied().unwrap_or("")),
        }
    }
    // Long names, but only one kind very long: a long string the secret
    // detector flags (a credential, or anything of high entropy) makes the
    // redactor quadratic (reported, tests/fixtures/fuzz/reported/), which
    // would stop every run at its first such input.
    if rng.one_in(20) {
        if rng.one_in(4) {
            name = "n".repeat(70_000);
        } else if !SECRETS.iter().any(|s| name.contains(s)) {
            let times = [16, 64, 400][rng.below(3)];
            name = name.repeat(times.min(4_000 / name.len().max(1)).max(1));
        }
    }
    match rng.below(6) {
        // Escaped as KDL requires.
        0 | 1 => quoted(&name, false),
        // Every character outside printable ASCII as `\u{...}`.
        2 => quoted(&name, true),
        3 if !name.contains("\"#") => format!("#\"{name}\"#"),
        // Multi-line.
        4 if !name.contains("\"\"\"") && !name.contains('\\') => format!("\"\"\"\n{name}\n\"\"\""),
        // Bare, as it is: valid only if it is an identifier.
        _ => name,
    }
}

fn quoted(name: &str, escape_all: bool) -> String {
    let mut out = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escape_all && !(' '..='~').contains(&c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A character from a random Unicode block, weighted to the odd ones.
fn random_char(rng: &mut Rng) -> char {
    let ranges: &[(u32, u32)] = &[
        (0x0, 0x1f),
        (0x20, 0x7e),
        (0x7f, 0x9f),
        (0xa0, 0x2ff),
        (0x300, 0x36f),
        (0x590, 0x6ff),
        (0x2000, 0x206f),
        (0x2190, 0x2bff),
        (0x3000, 0x30ff),
        (0x4e00, 0x4eff),
        (0xd7b0, 0xd7ff),
        (0xe000, 0xe0ff),
        (0xfdd0, 0xfdef),
        (0xfe00, 0xfeff),
        (0xfff0, 0xffff),
        (0x1_0000, 0x1_00ff),
        (0x1_d400, 0x1_d7ff),
        (0x1_f300, 0x1_faff),
        (0xe_0000, 0xe_007f),
        (0x10_fff0, 0x10_ffff),
    ];
    let (lo, hi) = ranges[rng.below(ranges.len())];
    char::from_u32(lo + rng.below((hi - lo + 1) as usize) as u32).unwrap_or('\u{fffd}')
}
