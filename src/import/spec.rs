//! The shared writer of every import: the `Import` model as a spec in the
//! wireplan language, in `fmt`'s canonical layout (a test holds it to
//! `fmt::format_text`), with a map from each node's span in the spec text
//! back to the place in the source it came from.
//!
//! Names are written as KDL strings with every character KDL forbids or a
//! reader could mistake escaped; comments (the header naming the sources)
//! have control and bidi characters escaped, so no source text can end a
//! comment early or hide text. Where the source is silent on something the
//! checks need, the node gets a `// unknown in the source: WHAT` comment and
//! nothing is invented.

use std::fmt::Write as _;

use super::{Import, Origin, Trigger};

/// The start of every comment that marks what the source does not say.
pub(crate) const UNKNOWN: &str = "// unknown in the source: ";

/// The spec text and where its nodes came from.
pub(crate) struct Written {
    pub(crate) text: String,
    /// `(start, end, parent, origin)` per node written, in text order.
    pieces: Vec<(u32, u32, Option<usize>, Origin)>,
}

impl Written {
    /// The source place of the innermost node that holds the span
    /// `start..end` of the spec text.
    pub(crate) fn origin_of(&self, start: u32, end: u32) -> Option<Origin> {
        let at = self.pieces.partition_point(|p| p.0 <= start);
        let mut index = at.checked_sub(1)?;
        loop {
            let piece = self.pieces[index];
            if piece.0 <= start && end <= piece.1.max(piece.0) {
                return Some(piece.3);
            }
            index = piece.2?;
        }
    }
}

struct Writer {
    text: String,
    pieces: Vec<(u32, u32, Option<usize>, Origin)>,
    open: Vec<usize>,
}

impl Writer {
    /// Starts a node at the current indentation; `close` ends it.
    fn open(&mut self, origin: Origin) {
        let parent = self.open.last().copied();
        self.pieces.push((self.text.len() as u32, 0, parent, origin));
        self.open.push(self.pieces.len() - 1);
    }

    fn close(&mut self) {
        if let Some(index) = self.open.pop() {
            self.pieces[index].1 = self.text.len() as u32;
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len().saturating_sub(1) {
            self.text.push_str("    ");
        }
    }
}

/// A KDL v2 quoted string of `value`.
pub(crate) fn string(value: &str) -> String {
    crate::syntax::cursor::quoted(value)
}

/// Characters KDL v2 does not allow in text, or that would hide or reorder
/// text on screen, or that KDL reads as a line break.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{2028}' | '\u{2029}'
        )
}

/// Text for a `//` comment: on one line, nothing hidden.
fn comment(text: &str) -> String {
    text.chars().map(|c| if forbidden(c) { format!("\\u{{{:x}}}", c as u32) } else { c.to_string() }).collect()
}

/// Writes `import` as a spec; `format` names the source format in the header.
pub(crate) fn write(import: &Import, format: &str) -> Written {
    let mut w = Writer { text: String::new(), pieces: Vec::new(), open: Vec::new() };
    let names: Vec<String> = import.sources.iter().map(|s| comment(&s.name)).collect();
    let _ = writeln!(w.text, "// Imported by `wireplan import` from {}: {}.", comment(format), names.join(", "));
    w.text.push_str(
        "// Each `unknown in the source` comment marks what the source does not say and the checks need;\n\
         // wireplan does not guess it: decide it, write it here, and remove the comment.\n",
    );
    for system in &import.systems {
        w.text.push('\n');
        w.open(system.origin);
        let _ = write!(w.text, "system {} kind={}", string(&system.name), system.kind);
        if system.api.is_none() && system.unknown.is_empty() {
            w.text.push('\n');
        } else {
            w.text.push_str(" {\n");
            if let Some(api) = system.api {
                let _ = write!(w.text, "    api {api}");
                if let Some(version) = &system.api_version {
                    let _ = write!(w.text, " version={}", string(version));
                }
                w.text.push('\n');
            }
            for unknown in &system.unknown {
                let _ = writeln!(w.text, "    {UNKNOWN}{unknown}");
            }
            w.text.push_str("}\n");
        }
        w.close();
    }
    for event in &import.events {
        w.text.push('\n');
        w.open(event.origin);
        let _ = write!(w.text, "event {} from={}", string(&event.name), string(&event.from));
        if let Some(version) = &event.version {
            match version.parse::<u32>() {
                Ok(n) => {
                    let _ = write!(w.text, " version={n}");
                }
                Err(_) => {
                    let _ = write!(w.text, " version={}", string(version));
                }
            }
        }
        if event.fields.is_empty() && event.unknown.is_empty() && event.notes.is_empty() {
            w.text.push('\n');
        } else {
            w.text.push_str(" {\n");
            for note in &event.notes {
                let _ = writeln!(w.text, "    // {}", comment(note));
            }
            for unknown in &event.unknown {
                let _ = writeln!(w.text, "    {UNKNOWN}{unknown}");
            }
            for field in &event.fields {
                w.open(field.origin);
                w.indent();
                let _ = write!(w.text, "field {} type={}", string(&field.name), field.ty);
                if field.required {
                    w.text.push_str(" required=#true");
                }
                w.close();
                w.text.push('\n');
            }
            w.text.push_str("}\n");
        }
        w.close();
    }
    for flow in &import.flows {
        w.text.push('\n');
        w.open(flow.origin);
        let _ = writeln!(w.text, "flow {} {{", string(&flow.name));
        match &flow.trigger {
            Trigger::On(event) => {
                let _ = writeln!(w.text, "    on {}", string(event));
            }
            Trigger::Poll { system, entity, every } => {
                let _ = write!(w.text, "    poll {}", string(system));
                if let Some(entity) = entity {
                    let _ = write!(w.text, " entity={}", string(entity));
                }
                let _ = writeln!(w.text, " every={}", string(every));
            }
            Trigger::Schedule { every, cron, from } => {
                match (every, cron) {
                    (_, Some(cron)) => {
                        let _ = writeln!(w.text, "    schedule cron={}", string(cron));
                    }
                    (Some(every), None) => {
                        let _ = writeln!(w.text, "    schedule every={}", string(every));
                    }
                    (None, None) => {}
                }
                let _ = writeln!(w.text, "    from {}", string(from));
            }
        }
        if let Some(via) = &flow.via {
            let _ = writeln!(w.text, "    via {}", string(via));
        }
        for target in &flow.targets {
            w.open(target.origin);
            w.indent();
            let _ = write!(w.text, "to {} action={}", string(&target.system), target.action);
            if let Some(entity) = &target.entity {
                let _ = write!(w.text, " entity={}", string(entity));
            }
            w.close();
            w.text.push('\n');
        }
        match &flow.retry {
            Some(retry) => {
                let _ = write!(w.text, "    retry attempts={}", retry.attempts);
                if let Some(initial) = &retry.initial {
                    let _ = write!(w.text, " initial={}", string(initial));
                }
                w.text.push('\n');
            }
            None => {
                let _ = writeln!(w.text, "    {UNKNOWN}retry policy");
            }
        }
        if flow.dead_letter {
            w.text.push_str("    dead-letter\n");
        }
        for unknown in &flow.unknown {
            let _ = writeln!(w.text, "    {UNKNOWN}{unknown}");
        }
        w.text.push_str("}\n");
        w.close();
    }
    Written { text: w.text, pieces: w.pieces }
}
