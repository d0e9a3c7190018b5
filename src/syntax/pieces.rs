//! Parsing a large text in pieces on every core, and joining the trees.
//!
//! A text is cut after blank lines, where a well-formed spec is between two
//! top-level nodes. The lexer needs no context beyond the start of a token and
//! the parser none at the top level, so each piece parses on its own exactly
//! as it would in place, provided nothing crosses the cut: a string, comment
//! or `{` block that does would be unterminated in its piece, which is a
//! syntax error, and a `/-` before the cut would comment out a node after it.
//! So the pieces are accepted only when every piece parses without an error
//! and none ends with `/-`; otherwise the caller parses the text in one go,
//! which also keeps error recovery, that may look across the whole text,
//! exactly as it is. The joined tree is the same, token for token and node
//! for node, as the one-piece tree; tests check this on the compliance suite,
//! on specs and on cuts chosen to land inside every construct.
//!
//! The language server cuts the same way and parses only the piece an edit
//! changed (`parse_alone`); one piece may then also have errors of its own,
//! when nothing in it reaches past its end (`Alone::Broken`).

use super::cst::{CstNode, SyntaxTree};
use super::lexer::{self, Token, TokenKind};
use super::{Parse, parser};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Parses `text` in up to `pieces` pieces on as many threads (as
/// `parse_fold` does) and joins the trees into one. Returns `None` when the
/// text cannot be cut or a piece does not parse cleanly. The check pipeline
/// keeps the pieces apart; the tests join them to prove that pieces parse
/// exactly as the whole text does.
#[cfg(test)]
pub(super) fn parse(text: &str, pieces: usize) -> Option<SyntaxTree<'_>> {
    let trees = |parse: Parse<'_>| (parse.tree.tokens, parse.tree.nodes);
    let parsed = parse_fold(text, pieces, pieces, &trees, Vec::new(), Vec::push)?;
    let mut parsed = parsed.into_iter();
    let (mut tokens, mut nodes) = parsed.next()?;
    debug_assert!(nodes.first().is_some_and(|root| root.kind == super::cst::CstKind::Document));
    for (piece_tokens, piece_nodes) in parsed {
        let token_base = u32::try_from(tokens.len()).ok()?;
        // The piece's root is replaced by the joined tree's; its other nodes
        // move down by one and over by the nodes before them. Its tokens'
        // offsets are already in the whole text.
        let node_base = u32::try_from(nodes.len()).ok()? - 1;
        tokens.extend(piece_tokens);
        nodes.extend(piece_nodes.into_iter().skip(1).map(|n| CstNode {
            first_token: n.first_token + token_base,
            end_token: n.end_token + token_base,
            subtree_end: n.subtree_end + node_base,
            ..n
        }));
    }
    let (token_count, node_count) = (u32::try_from(tokens.len()).ok()?, u32::try_from(nodes.len()).ok()?);
    let root = nodes.first_mut()?;
    root.end_token = token_count;
    root.subtree_end = node_count;
    Some(SyntaxTree { text, tokens, nodes })
}

/// Parses `text` in up to `pieces` pieces on up to `threads` threads, runs
/// `then` on each piece's parse in the thread that made it, and folds the
/// results into `start` with `each`, in text order, on this thread, as they
/// come. So a large file is parsed and lowered in one pass, each piece's
/// tree is dropped as soon as `then` returns (with more pieces than
/// threads, only as many trees as threads are ever held at once, rather
/// than a tree of the whole text, three times its size), and each result is
/// folded in, and dropped, while later pieces are parsed. Each piece's tree
/// covers its part of the text, with spans in the whole text. Returns
/// `None` when the text cannot be cut or a piece does not parse cleanly
/// (what was folded so far is then dropped).
pub(super) fn parse_fold<R: Send, A>(
    text: &str,
    pieces: usize,
    threads: usize,
    then: &(impl Fn(Parse<'_>) -> R + Sync),
    start: A,
    mut each: impl FnMut(&mut A, R),
) -> Option<A> {
    let cuts = cuts(text, pieces);
    if cuts.len() < 3 {
        return None;
    }
    let piece = |k: usize| -> Option<R> {
        let (start, end) = (*cuts.get(k)?, *cuts.get(k + 1)?);
        let (mut tokens, nodes) = parse_piece(text.get(start..end)?)?;
        let offset = u32::try_from(start).ok()?;
        for token in &mut tokens {
            token.start += offset;
        }
        // The tree's text ends where the piece does, so that its last token
        // ends there too.
        let tree = SyntaxTree { text: text.get(..end)?, tokens, nodes };
        Some(then(Parse { tree, errors: Vec::new() }))
    };
    // Each thread takes the next piece not yet taken and sends what it made
    // of it; a piece that does not parse cleanly stops them all.
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let (send, made) = std::sync::mpsc::channel::<(usize, Option<R>)>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.clamp(1, cuts.len() - 1))
            .map(|_| {
                let (send, next, failed, piece, pieces) = (send.clone(), &next, &failed, &piece, cuts.len() - 1);
                scope.spawn(move || {
                    while !failed.load(Ordering::Relaxed) {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= pieces {
                            break;
                        }
                        let result = piece(k);
                        failed.fetch_or(result.is_none(), Ordering::Relaxed);
                        if send.send((k, result)).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(send);
        // Results that came before the ones ahead of them wait here, by piece.
        let mut early = std::collections::BTreeMap::new();
        let (mut folded, mut into) = (0, start);
        for (k, result) in made.iter() {
            let Some(result) = result else { break };
            early.insert(k, result);
            while let Some(result) = early.remove(&folded) {
                each(&mut into, result);
                folded += 1;
            }
        }
        // Stops the threads after a piece failed; a thread's panic goes on here.
        failed.store(true, Ordering::Relaxed);
        drop(made);
        handles.into_iter().for_each(crate::parallel::join);
        (folded + 1 == cuts.len()).then_some(into)
    })
}

/// Where the pieces start and end: 0, the cuts, and the text's length. A cut
/// goes after the first blank line at or past each even share of the text.
fn cuts(text: &str, pieces: usize) -> Vec<usize> {
    let mut cuts = vec![0];
    for k in 1..pieces {
        let from = (text.len() * k / pieces).max(cuts.last().copied().unwrap_or(0));
        let Some(cut) = blank_line_after(text, from) else { break };
        if cut < text.len() && cut > cuts.last().copied().unwrap_or(0) {
            cuts.push(cut);
        }
    }
    cuts.push(text.len());
    cuts
}

/// The offset just past the first blank line (`\n\n` or `\r\n\r\n`) that
/// starts at or after `from`. Not before a U+FEFF: the lexer reads that as a
/// byte-order mark at the start of a text, and as an error anywhere else.
pub(crate) fn blank_line_after(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(i) = bytes.get(at..)?.iter().position(|&b| b == b'\n') {
        let nl = at + i;
        let cut = match bytes.get(nl + 1..) {
            Some([b'\n', ..]) => nl + 2,
            Some([b'\r', b'\n', ..]) => nl + 3,
            _ => {
                at = nl + 1;
                continue;
            }
        };
        if !text.get(cut..).is_some_and(|rest| rest.starts_with('\u{feff}')) {
            return Some(cut);
        }
        at = nl + 1;
    }
    None
}

/// How a piece of a larger text, cut after a blank line (see
/// `blank_line_after`), parses on its own. The language server parses an
/// edited piece this way and reuses what it made of the others.
pub(crate) enum Alone<'t> {
    /// Without an error and without a `/-` at its end: exactly as it does
    /// in place, when every piece of the text does.
    Clean(Parse<'t>),
    /// With syntax errors that are its own: exactly as it does in place,
    /// errors and all, when every other piece of the text is clean. Nothing
    /// in it reaches past its end (no `{` left open, which the parser would
    /// look for in the rest of the text, no string or comment running to
    /// its end, no `/-` at its end), and it has fewer errors than a text
    /// keeps (so the whole text's errors are these, compacted alike). Its first error has the KDL v1 help when it has a sign of v1,
    /// as the whole text's first error would: a clean piece has none.
    Broken(Parse<'t>),
    /// Neither: the whole text must be parsed.
    Neither,
}

/// How `piece` parses on its own (see `Alone`), wherever it is in the text
/// (the language server keeps the answer under the piece's text). Spans are
/// in the piece.
pub(crate) fn parse_alone(piece: &str) -> Alone<'_> {
    let lexed = lexer::lex(piece);
    // A `{` left open is refused before it is parsed: the parser would go
    // over the piece again for each place the block might end.
    if parser::unclosed_blocks(&lexed.tokens) > 0 {
        return Alone::Neither;
    }
    if let Some((tokens, nodes)) = parse_lexed(piece, lexed) {
        return Alone::Clean(Parse { tree: SyntaxTree { text: piece, tokens, nodes }, errors: Vec::new() });
    }
    let (tree, errors) = super::parse_tree_whole(piece);
    let own = !errors.is_empty()
        && errors.len() < super::KEPT_ERRORS
        && tree.tokens.last().is_none_or(|t| t.kind == TokenKind::Newline)
        && !ends_with_slashdash(&tree.tokens);
    if own { Alone::Broken(Parse { tree, errors }) } else { Alone::Neither }
}

/// The tokens and tree of one piece, if it parses without an error, shows
/// no sign of KDL v1 (whose help goes on the whole text's first error) and
/// does not end with a `/-` that would reach into the next piece.
fn parse_piece(piece: &str) -> Option<(Vec<Token>, Vec<CstNode>)> {
    parse_lexed(piece, lexer::lex(piece))
}

/// `parse_piece`, on the piece's tokens.
fn parse_lexed(piece: &str, lexed: lexer::Lexed) -> Option<(Vec<Token>, Vec<CstNode>)> {
    if !lexed.errors.is_empty() || lexed.v1_signals > 0 {
        return None;
    }
    let (tree, errors) = parser::parse(piece, lexed);
    if !errors.is_empty() || ends_with_slashdash(&tree.tokens) {
        return None;
    }
    Some((tree.tokens, tree.nodes))
}

/// Whether the last token that is not whitespace or a comment is a `/-`.
fn ends_with_slashdash(tokens: &[Token]) -> bool {
    let trivia = |kind: TokenKind| {
        matches!(kind, TokenKind::Whitespace | TokenKind::Newline | TokenKind::LineComment | TokenKind::BlockComment)
    };
    tokens.iter().rev().find(|t| !trivia(t.kind)).is_some_and(|t| t.kind == TokenKind::SlashDash)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::syntax::conformance_tests::suite_cases;

    /// Parses `text` whole and, cut at every blank line, in pieces; when the
    /// pieces are accepted, the trees must be identical.
    fn same_in_pieces(text: &str) -> bool {
        let (whole, _) = super::super::parse_tree_whole(text);
        let blank_lines = text.matches("\n\n").count() + 1;
        let Some(joined) = parse(text, blank_lines * 4) else { return false };
        assert_eq!(joined.tokens, whole.tokens, "tokens differ for {text:?}");
        assert_eq!(joined.nodes, whole.nodes, "tree differs for {text:?}");
        assert_eq!(joined.print(), text);
        true
    }

    #[test]
    fn pieces_join_into_the_same_tree_on_the_compliance_suite() {
        let mut joined = 0;
        for (_, input, _) in suite_cases() {
            // Blank lines between every node, so that there are cuts to make.
            let spaced = input.replace('\n', "\n\n");
            joined += usize::from(same_in_pieces(&input)) + usize::from(same_in_pieces(&spaced));
        }
        assert!(joined >= 20, "only {joined} suite inputs were parsed in pieces");
    }

    #[test]
    fn pieces_join_into_the_same_tree_on_the_example_specs() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut joined = 0;
        for entry in glob::glob(&format!("{}/**/*.kdl", examples.display())).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap()).unwrap();
            joined += usize::from(same_in_pieces(&text));
            // Also with Windows newlines.
            joined += usize::from(same_in_pieces(&text.replace('\n', "\r\n")));
        }
        assert!(joined >= 10, "only {joined} example files were parsed in pieces");
    }

    #[test]
    fn a_cut_inside_a_construct_falls_back_to_one_piece() {
        for text in [
            "a \"\"\"\n  x\n\n  y\n  \"\"\"\n\nb\n",
            "a /* x\n\ny */ 1\n\nb\n",
            "a #\"\"\"\n  x\n\n  \"\"\"#\n\nb\n",
            "a {\n  x\n\ny\n}\n\nb\n",
            "/-\n\na 1\n\nb\n",
            "a 1 /-\n\n\n",
            "\\\n\n\u{feff}",
            "a\n\n\u{feff}b\n",
        ] {
            let (whole, _) = super::super::parse_tree_whole(text);
            match parse(text, 8) {
                None => {}
                Some(joined) => {
                    assert_eq!(joined.nodes, whole.nodes, "{text:?}");
                    assert_eq!(joined.tokens, whole.tokens, "{text:?}");
                }
            }
        }
        assert!(parse("a {\n  x\n\ny\n}\n\nb\n", 8).is_none(), "a block cut in two is refused");
        assert!(parse("/-\n\na 1\n\nb\n", 8).is_none(), "a `/-` before a cut is refused");
        assert!(same_in_pieces("a 1\n\n  b 2 // c\n\r\n\r\nc {\n  d\n}\n\n/- e\n\nf\n"));
    }

    #[test]
    fn a_piece_with_errors_of_its_own_parses_alone_as_in_place() {
        let before = "a 1\n\nb {\n  c #true\n}\n\n";
        // What follows could end a string or comment left open.
        let after = "d \"e\" #\"f\"# \"\"\"\n  g\n  \"\"\"\n\nh {\n  i /* j */\n}\n";
        // Errors of its own: the piece parses alone as it does between
        // clean pieces, errors (and the v1 help) included.
        for broken in [
            "x \"y\n\n",
            "x y=\n\n",
            "x true\n\n",
            "x { y \"z\" } }\n\n",
            "x r\"y\"\n\n",
            "x { y 1=2 }\n\n",
            "x #\"y\n\n",
            "x \\\n  y=\n\n",
        ] {
            let Alone::Broken(alone) = parse_alone(broken) else { panic!("{broken:?} is not broken alone") };
            let text = format!("{before}{broken}{after}");
            let (whole, errors) = super::super::parse_tree_whole(&text);
            let shift =
                |e: &super::super::SyntaxError| (e.span.start - before.len() as u32, e.message.clone(), e.help.clone());
            let expected: Vec<_> = errors.iter().map(shift).collect();
            let found: Vec<_> =
                alone.errors.iter().map(|e| (e.span.start, e.message.clone(), e.help.clone())).collect();
            assert_eq!(found, expected, "{broken:?}");
            let starts = |tree: &SyntaxTree<'_>, from: u32| {
                tree.tokens.iter().map(|t| (t.start + from, t.kind)).collect::<Vec<_>>()
            };
            let in_place: Vec<_> = starts(&whole, 0)
                .into_iter()
                .filter(|(at, _)| (before.len()..before.len() + broken.len()).contains(&(*at as usize)))
                .collect();
            assert_eq!(starts(&alone.tree, before.len() as u32), in_place, "{broken:?}");
        }
        // What reaches past its end is refused: a block or a string left
        // open, a `/-` at its end.
        for reaching in ["x {\n\n", "x \"\"\"\n  y\n\n", "x /* y\n\n", "x 1 /-\n\n"] {
            assert!(matches!(parse_alone(reaching), Alone::Neither), "{reaching:?}");
        }
        assert!(matches!(parse_alone("x 1\n\n"), Alone::Clean(_)));
        assert!(matches!(parse_alone("x y=\n"), Alone::Broken(_)));
        assert!(matches!(parse_alone("x y="), Alone::Neither), "a text's last line, with no line break");
    }
}
