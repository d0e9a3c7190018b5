//! Lowering: one file's syntax tree into the spec model.
//!
//! Lowering knows the shape of every node of the language: which arguments,
//! properties and children it takes and what values they accept. It reports
//! unknown nodes and properties (with the closest known name), bad values,
//! missing arguments, secret-looking literals and names that hold what no
//! name may (`model::name_problem`), and it keeps going: a node
//! with a mistake is lowered as far as it can be, so that later stages still
//! see it. Names are not resolved here; see `crate::resolve`.
//!
//! What each node takes (its arguments and properties, and which children it
//! may hold) is read from the one table of the language's shapes,
//! `crate::shapes`, through the `shape!` macro, which finds a node's row
//! while compiling. The `Lowerer` is one type with an `impl` block per node
//! family, as rust-analyzer splits its inference by expression kind: the
//! shared value readers (`values`), credentials (`secrets`), `stack`,
//! `system` (with entities and fields), `event`, `flow` (with its targets)
//! and the `lint` configuration (with `allow`). This file holds the entry
//! point, the top-level dispatch and the joining of runs lowered in
//! parallel.

use crate::diagnostic::{self, Diagnostic, Rule};
use crate::model::{Credential, FileId, Loc, Spec};
use crate::syntax::{Document, Node, Span};

pub(crate) use crate::model::Include;

/// The shape of node `$name` under `$parent` in `crate::shapes::SHAPES`,
/// found while compiling: a node the table lacks does not compile.
macro_rules! shape {
    ($parent:literal $name:literal) => {
        const { crate::shapes::get($parent, $name) }
    };
}

mod event;
mod flow;
mod lint;
mod secrets;
mod stack;
mod system;
mod values;

/// What lowering a file, or a run of its top-level nodes, gives: the part of
/// the spec it declares, its findings and its includes, in source order.
#[derive(Clone, Default)]
pub(crate) struct Lowered {
    pub(crate) spec: Spec,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) includes: Vec<Include>,
    /// Where the name of each `stack` of this part is, in order. The first is
    /// the one in `spec`; all but the first `stack` of the whole spec are
    /// reported as repeated when the parts are put together.
    pub(crate) stack_names: Vec<Loc>,
}

impl Lowered {
    /// Appends this part after what `spec` and `diagnostics` hold already
    /// (the earlier parts and files); returns the part's includes. The first
    /// `stack` in source order wins and any later one is reported.
    pub(crate) fn append_to(self, spec: &mut Spec, diagnostics: &mut Vec<Diagnostic>) -> Vec<Include> {
        let Lowered { spec: part, diagnostics: found, includes, stack_names } = self;
        append(diagnostics, found);
        let first_is_here = spec.stack.is_none() && part.stack.is_some();
        append_spec(spec, part);
        if let Some(first) = &spec.stack {
            let later = stack_names.into_iter().skip(usize::from(first_is_here));
            diagnostics.extend(later.map(|name| repeated("stack", name, "spec", first.loc)));
        }
        includes
    }

    /// Gives back the room the lists made and did not fill.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.spec.systems.shrink_to_fit();
        self.spec.events.shrink_to_fit();
        self.spec.flows.shrink_to_fit();
        self.diagnostics.shrink_to_fit();
    }

    /// Appends the next run or piece of the same file, leaving its `stack`s
    /// to be judged when the whole file is appended to the spec.
    pub(crate) fn absorb(&mut self, later: Lowered) {
        let Lowered { spec, diagnostics, includes, stack_names } = later;
        append_spec(&mut self.spec, spec);
        append(&mut self.diagnostics, diagnostics);
        append(&mut self.includes, includes);
        self.stack_names.extend(stack_names);
    }
}

/// Appends what `from` declares after `to`'s; the first `stack` is kept.
fn append_spec(to: &mut Spec, from: Spec) {
    to.stack = to.stack.take().or(from.stack);
    append(&mut to.systems, from.systems);
    append(&mut to.events, from.events);
    append(&mut to.flows, from.flows);
    append(&mut to.lint, from.lint);
    append(&mut to.credentials, from.credentials);
}

/// Files with at least this many top-level nodes are lowered on several
/// threads; below it, starting threads costs more than it saves.
const PARALLEL_NODES: usize = 4096;

/// Lowers a document (a file or a piece of one) on up to `threads` threads.
///
/// A large document is cut into consecutive runs of top-level nodes, one per
/// thread, each lowered on its own; the runs are then appended in order, so
/// the result is the same as lowering on one thread.
pub(crate) fn lower_document(file: FileId, doc: Document<'_>, threads: usize) -> Lowered {
    let threads = threads.min(doc.len_hint() / PARALLEL_NODES * 2).max(1);
    let lower_run = |doc: Document<'_>| {
        let mut run = Lowered::default();
        let mut lowerer = Lowerer {
            file,
            stack_names: Vec::new(),
            diagnostics: &mut run.diagnostics,
            includes: Vec::new(),
            credentials: Vec::new(),
        };
        lowerer.check_secrets(doc);
        for node in doc.nodes() {
            lowerer.top_level(&node, &mut run.spec);
        }
        run.stack_names = lowerer.stack_names;
        run.includes = lowerer.includes;
        run.spec.credentials = lowerer.credentials;
        run
    };
    if threads == 1 {
        return lower_run(doc);
    }
    let runs: Vec<Lowered> = std::thread::scope(|scope| {
        let handles: Vec<_> = doc.split(threads).map(|run| scope.spawn(move || lower_run(run))).collect();
        handles.into_iter().map(crate::parallel::join).collect()
    });
    // Each list is made once at its final size, so joining the runs holds
    // them and the whole once, with no doubling of a growing vector.
    let total = |len: fn(&Lowered) -> usize| runs.iter().map(len).sum::<usize>();
    let mut all = Lowered::default();
    all.spec.systems.reserve_exact(total(|r| r.spec.systems.len()));
    all.spec.events.reserve_exact(total(|r| r.spec.events.len()));
    all.spec.flows.reserve_exact(total(|r| r.spec.flows.len()));
    all.diagnostics.reserve_exact(total(|r| r.diagnostics.len()));
    for run in runs {
        all.absorb(run);
    }
    all
}

/// The finding for a single-valued node given twice.
fn repeated(name: &str, at: Loc, parent: &str, first: Loc) -> Diagnostic {
    Diagnostic::new(&diagnostic::BAD_VALUE, at, format!("`{name}` is given twice in this {parent}"))
        .with_label("second one")
        .with_help("keep one of them")
        .with_secondary(first, "first given here")
}

/// The single-valued children of a block seen so far, by name, with where;
/// a block has at most a dozen kinds of them, so they fit without allocating.
#[derive(Default)]
struct Seen([Option<(&'static str, Loc)>; 16]);

impl Seen {
    fn get(&self, name: &str) -> Option<Loc> {
        self.0.iter().flatten().find(|(seen, _)| *seen == name).map(|&(_, loc)| loc)
    }

    fn insert(&mut self, name: &'static str, loc: Loc) {
        if let Some(free) = self.0.iter_mut().find(|slot| slot.is_none()) {
            *free = Some((name, loc));
        }
    }
}

/// `to.extend(from)`, moving the whole vector when `to` is empty and has
/// no room made for it.
fn append<T>(to: &mut Vec<T>, from: Vec<T>) {
    if to.is_empty() && to.capacity() < from.len() {
        *to = from;
    } else {
        to.extend(from);
    }
}

/// The child nodes `parent` takes (`""` for the top level), in the order the
/// language reference lists them, from the one table of the language's shapes.
fn children_of(parent: &str) -> Vec<&'static str> {
    crate::shapes::children_of(parent).map(|shape| shape.name).collect()
}

struct Lowerer<'d> {
    file: FileId,
    /// Where the name of each `stack` is (see `Lowered::stack_names`).
    stack_names: Vec<Loc>,
    diagnostics: &'d mut Vec<Diagnostic>,
    includes: Vec<Include>,
    /// The credentials found, decoded, for every output to mask.
    credentials: Vec<Credential>,
}

impl Lowerer<'_> {
    fn loc(&self, span: Span) -> Loc {
        Loc { file: self.file, span }
    }

    fn report(&mut self, rule: &'static Rule, span: Span, message: String, label: &str, help: String) {
        self.report_fixed(rule, span, message, label, help, None);
    }

    /// `report`, with the fix that settles the finding (a "did you mean").
    fn report_fixed(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: String,
        label: &str,
        help: String,
        fix: Option<crate::diagnostic::Fix>,
    ) {
        crate::diagnostic::push_capped(
            self.diagnostics,
            Diagnostic::new(rule, self.loc(span), message).with_label(label.to_owned()).with_fix(fix).with_help(help),
        );
    }

    fn top_level(&mut self, node: &Node<'_>, spec: &mut Spec) {
        match &*node.name.text {
            "stack" => self.stack(node, spec),
            "include" => self.include(node),
            "system" => {
                if let Some(system) = self.system(node) {
                    spec.systems.push(system);
                }
            }
            "event" => {
                if let Some(event) = self.event(node) {
                    spec.events.push(event);
                }
            }
            "flow" => {
                if let Some(flow) = self.flow(node) {
                    spec.flows.push(flow);
                }
            }
            "lint" => self.lint(node, spec),
            _ => self.unknown_node(node, "at the top level of a spec", &children_of("")),
        }
    }

    fn include(&mut self, node: &Node<'_>) {
        self.shape(node, shape!("" "include"));
        self.leaf(node);
        if let Some(path) = self.name_arg(node, "a path", "include \"sales/*.kdl\"") {
            self.includes.push(Include { pattern: path.value.to_string(), loc: path.loc });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax;

    /// Lowers `text` as file 0 after `before` (an earlier file, lowered on
    /// one thread), on `threads` threads; returns what came out, printed.
    fn lowered(before: &str, text: &str, threads: usize) -> String {
        let (mut spec, mut diagnostics) = (Spec::default(), Vec::new());
        let earlier = syntax::parse(before);
        lower_document(FileId(1), earlier.document(), 1).append_to(&mut spec, &mut diagnostics);
        let parse = syntax::parse(text);
        let doc = parse.document();
        // Cut in runs of a few nodes, so that even this short text is split.
        let mut includes = Vec::new();
        for run in doc.split(threads) {
            includes.extend(lower_document(FileId(0), run, 1).append_to(&mut spec, &mut diagnostics));
        }
        diagnostics.sort_by(Diagnostic::order);
        format!("{spec:#?}\n{diagnostics:#?}\n{includes:#?}")
    }

    #[test]
    fn lowering_in_parallel_gives_what_one_thread_gives() {
        // Mistakes and order-sensitive nodes spread over the whole file: a
        // repeated `stack`, includes, lint blocks, unknown nodes, secrets.
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!(
                "system \"s{i}\" kind=crm {{ secret \"sk_live_{i:0>20}\" }}\n\
                 event \"e{i}\" from=s{i} {{ fild \"x\" type=string }}\n\
                 flow \"f{i}\" {{\n  on \"e{i}\"\n  to s{i} action=upsart\n}}\n"
            ));
            if i % 13 == 0 {
                text.push_str(&format!(
                    "stack \"acme-{i}\"\ninclude \"part-{i}.kdl\"\nlint {{ allow \"no-logging\" }}\nsytem \"x\"\n"
                ));
            }
        }
        let one = lowered("", &text, 1);
        assert!(one.contains("unknown property") || one.contains("unknown node"), "{one}");
        assert!(one.contains("is given twice"), "the repeated stack is reported: {one}");
        for threads in [2, 3, 7] {
            let many = lowered("", &text, threads);
            // Point at the first line that differs rather than print both.
            let (a, b): (Vec<&str>, Vec<&str>) = (many.lines().collect(), one.lines().collect());
            if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
                panic!("{threads} threads: {:#?}\nvs one thread: {:#?}", &a[i.saturating_sub(8)..i + 2], &b[i..i + 2]);
            }
            assert_eq!(many, one);
        }
        // With a `stack` in an earlier file, every one here is repeated.
        let after = lowered("stack \"first\"\n", &text, 1);
        assert_ne!(after, one);
        assert_eq!(lowered("stack \"first\"\n", &text, 3), after);
    }
}
