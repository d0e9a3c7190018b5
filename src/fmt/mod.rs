//! `wireplan fmt`: the canonical layout of a spec file, computed on the
//! lossless syntax tree's tokens.
//!
//! The layout is: four spaces of indentation per `{` level, one node per line
//! (a `{ ... }` block written on one line is opened onto several, and a `;`
//! between nodes becomes a line break), one space between the parts of a
//! node, `key=value` with no space around `=`, no trailing whitespace, at
//! most one blank line in a row (none at the start of a file or block, none
//! before a `}`), and one newline at the end. Everything else is kept as
//! written: the order of arguments and properties, comments (the gap before a
//! comment at the end of a line too, so aligned comments stay aligned), the
//! spelling of every value, and line continuations. Only the layout
//! between tokens changes, so the formatted file means exactly what the
//! original meant; a file with syntax errors is not formatted at all (its
//! layout may be what the parser used to recover).
//!
//! The editor (`crate::lsp`) formats documents with the same function.

pub(crate) mod command;

use crate::syntax::{self, SyntaxError, TokenKind};

/// Spaces per level of `{` nesting.
const INDENT: &str = "    ";

/// The canonical layout of `text`, or the syntax errors that stop it from
/// being formatted (the text is then left as it is).
pub(crate) fn format_text(text: &str) -> Result<String, Vec<SyntaxError>> {
    let (tree, errors) = syntax::parse_tree(text);
    if !errors.is_empty() {
        return Err(errors);
    }
    let tokens: Vec<(TokenKind, &str)> = (0..tree.tokens.len() as u32)
        .filter_map(|t| tree.token_kind(t).map(|kind| (kind, tree.token_text(t))))
        .collect();
    let newline = tokens
        .iter()
        .find(|(kind, _)| *kind == TokenKind::Newline)
        .map_or("\n", |(_, text)| if *text == "\r\n" { "\r\n" } else { "\n" });
    let mut printer =
        Printer { out: String::with_capacity(text.len() + text.len() / 8), newline, ..Printer::default() };
    let mut i = 0;
    while i < tokens.len() {
        let (kind, text) = tokens[i];
        match kind {
            TokenKind::Whitespace => printer.gap = Some(text),
            TokenKind::Newline => printer.newline_token(),
            TokenKind::LineComment => printer.line_comment(text),
            TokenKind::OpenBrace => {
                // An empty block is printed `{}`, on its node's line.
                let next = next_significant(&tokens, i + 1);
                if next.is_some_and(|j| tokens[j].0 == TokenKind::CloseBrace) {
                    printer.word("{}", true);
                    i = next.unwrap_or(i);
                    printer.break_next = breaks_after(&tokens, i);
                } else {
                    printer.word("{", true);
                    printer.depth += 1;
                    printer.break_next = true;
                }
            }
            TokenKind::CloseBrace => {
                printer.depth = printer.depth.saturating_sub(1);
                printer.end_line();
                printer.blank = false;
                printer.word("}", false);
                printer.break_next = breaks_after(&tokens, i);
            }
            TokenKind::Semicolon => {
                // A `;` that starts a continued line ends the node the `\`
                // carried on: it stays, or what follows would join that node.
                if printer.continuation && !printer.continuation_alone && !printer.in_line {
                    printer.word(";", false);
                }
                printer.break_next = true;
            }
            TokenKind::Equals => {
                printer.gap = None;
                printer.word("=", false);
                printer.glue = true;
            }
            TokenKind::Backslash => {
                // After the end of a node (`;`, `{`, `}`) a `\` starts a line
                // of its own and continues no node.
                let alone = printer.break_next || (!printer.in_line && !printer.continuation);
                printer.word(text, false);
                printer.continued = true;
                printer.continued_alone = alone;
            }
            TokenKind::Bom => printer.out.push_str(text),
            _ => printer.word(text, false),
        }
        i += 1;
    }
    printer.end_line();
    Ok(printer.out)
}

/// Whether the node goes on after the `}` at `close`: only a commented-out
/// children block may follow a `}` on its line; anything else is a new node.
fn breaks_after(tokens: &[(TokenKind, &str)], close: usize) -> bool {
    next_significant(tokens, close + 1).is_none_or(|j| tokens[j].0 != TokenKind::SlashDash)
}

/// The next token after `from` that is not whitespace or a newline.
fn next_significant(tokens: &[(TokenKind, &str)], from: usize) -> Option<usize> {
    (from..tokens.len()).find(|&j| !matches!(tokens[j].0, TokenKind::Whitespace | TokenKind::Newline))
}

#[derive(Default)]
struct Printer<'t> {
    out: String,
    newline: &'static str,
    depth: usize,
    /// Whether something has been printed on the current line.
    in_line: bool,
    /// The whitespace seen since the last token printed on this line.
    gap: Option<&'t str>,
    /// Set after `=`: the next token follows without a space.
    glue: bool,
    /// Set after `{`, `}` and `;`: the next token (but a comment) starts a line.
    break_next: bool,
    /// Set after `\`: the next line continues the node, one level deeper.
    continued: bool,
    /// The line being printed continues a node (after `\`).
    continuation: bool,
    /// The `\` that set `continued` stood alone on its line, after the end
    /// of a node: it continues none.
    continued_alone: bool,
    /// The same for the line being printed (`continuation`).
    continuation_alone: bool,
    /// A blank line was seen since the last line printed.
    blank: bool,
    /// The last line printed opened a block.
    after_open: bool,
}

impl Printer<'_> {
    /// Prints a token that is not a comment or whitespace. `brace` marks `{`
    /// (and `{}`), which always has one space before it.
    fn word(&mut self, text: &str, brace: bool) {
        if self.break_next && !brace {
            self.end_line();
        }
        self.break_next = false;
        if self.in_line {
            if brace || (self.gap.is_some() && !self.glue) {
                self.out.push(' ');
            }
        } else {
            self.start_line();
        }
        self.out.push_str(text);
        self.gap = None;
        self.glue = false;
        self.in_line = true;
        self.after_open = text == "{";
    }

    fn line_comment(&mut self, text: &str) {
        if self.in_line {
            // The gap before a comment at the end of a line is kept, so
            // comments aligned in a column stay aligned.
            self.out.push_str(self.gap.unwrap_or(" "));
            self.out.push_str(text.trim_end());
            self.gap = None;
            self.in_line = true;
        } else {
            self.start_line();
            self.out.push_str(text.trim_end());
            self.in_line = true;
            self.after_open = false;
        }
    }

    /// Starts a line: the blank line before it, if one was written and is
    /// allowed here, and the indentation.
    fn start_line(&mut self) {
        if self.blank && !self.out.is_empty() && !self.after_open {
            self.out.push_str(self.newline);
        }
        self.blank = false;
        let depth = self.depth + usize::from(self.continuation);
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
    }

    fn newline_token(&mut self) {
        if self.in_line {
            let continued = std::mem::take(&mut self.continued);
            let alone = std::mem::take(&mut self.continued_alone);
            self.end_line();
            self.continuation = continued;
            self.continuation_alone = alone;
        } else {
            self.blank = true;
        }
        self.gap = None;
        self.break_next = false;
    }

    /// Ends the current line, if anything is on it.
    fn end_line(&mut self) {
        if self.in_line {
            self.out.push_str(self.newline);
            self.in_line = false;
            self.continuation = false;
            self.continuation_alone = false;
        }
        self.gap = None;
        self.glue = false;
        self.break_next = false;
    }
}

#[cfg(test)]
mod tests;
