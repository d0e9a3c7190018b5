//! The command line: argument parsing, file and terminal access, exit codes.
//!
//! Besides `lsp`, this is the only module that touches the environment. Each
//! subcommand gathers its inputs, calls the pure pipeline in the library, and
//! prints the result to stdout; usage errors and internal failures go to
//! stderr. Exit codes: 0 when nothing has error severity, 1 when something
//! does, 2 for usage errors, an unreadable entry file and internal failures.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::baseline::{self, Baseline, Identity};
use crate::diagnostic::Severity;
use crate::lint::{self, CliLevels};
use crate::model::LintLevel;
use crate::out::Out;
use crate::render::{self, Report};

/// A compiler and linter for integration architecture.
///
/// wireplan reads a spec of systems, events and flows written in KDL and finds
/// what will lose data, duplicate records or loop in production.
#[derive(Parser, Debug)]
#[command(name = "wireplan", version, about, long_about, max_term_width = 100, disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a spec and report every problem in it.
    ///
    /// Exits 0 when nothing has error severity, 1 when something does, and 2
    /// for usage errors or a missing entry file.
    Check(CheckArgs),
    /// Print the documentation of a rule: what it finds, why it matters, an
    /// example and the fix.
    Explain {
        /// The rule's name (`sync-cycle`) or code (`WP101`).
        rule: String,
    },
    /// List every rule with its code, default severity and summary.
    Rules {
        /// How to print the list.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Draw the systems and flows of a spec as a Mermaid or Graphviz graph.
    ///
    /// The logical view (the default) draws who feeds whom: an arrow from
    /// each flow's source to each target, labelled with its flows and "via"
    /// the hub or broker; `--view physical` draws the wiring through them.
    /// Findings mark the arrows and systems they concern (errors red,
    /// warnings orange); planned systems are dashed, retiring ones grey and
    /// dotted; a legend explains it. Exits 1 when the spec has errors (the
    /// graph then shows what resolved).
    Graph(GraphArgs),
    /// Recommend an integration pattern now and at the horizon.
    ///
    /// Projects tools, event volume and the connections each pattern needs
    /// month by month, recommends a stage (1 point-to-point, 2 hub, 3
    /// event-driven) now and at the horizon, says when thresholds are
    /// crossed, whether a data warehouse is due, and which flows to move
    /// first. Exits 1 when anything has error severity, as `check` does (the
    /// plan is still printed, from what could be read), 2 for usage errors.
    Plan(PlanArgs),
    /// Generate a backend's files from a spec into an output folder.
    ///
    /// `--target hub` writes Node-RED flows, a headless settings file and a
    /// README for every flow triggered by an event or a poll; `--target
    /// broker` RabbitMQ definitions, an AsyncAPI 3.0 document, the Node-RED
    /// connectors around them and a README; `--target etl` a Meltano project
    /// and a dbt project for every scheduled or polled flow into a warehouse
    /// or lake. A spec with
    /// errors builds nothing (exit 1); warnings do not stop the build unless
    /// `--deny-warnings`. Files are written atomically and only inside
    /// `--out`; a manifest there records what wireplan generated, so a file
    /// it did not generate or that was edited by hand is never overwritten
    /// without `--force`, and files the spec no longer produces are removed.
    /// `--check` writes nothing and exits 1 when the folder differs.
    Build(BuildArgs),
    /// Classify every change between two versions of a spec: breaking,
    /// risky or safe.
    ///
    /// OLD and NEW are spec files or folders; with `--against REV`, OLD is
    /// the spec as it is in git at REV and NEW (or the nearest spec) as it is
    /// now, both read from the git repository that holds the current folder.
    /// Exits 1 when a change is at least as bad as `--fail-on` (default
    /// `breaking`), 2 when either spec has spec errors other than the new
    /// spec's references to what the change removed (they are printed) and
    /// for usage errors.
    Diff(DiffArgs),
    /// Print a shell completion script: `wireplan completions bash >
    /// ~/.local/share/bash-completion/completions/wireplan`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `wireplan man > wireplan.1 && man ./wireplan.1`.
    Man,
    /// Format a spec's files in place: the entry file and its includes.
    ///
    /// Four spaces per level, one node per line, one space between entries;
    /// comments, blank-line paragraphs and the order of properties are kept.
    /// A file with syntax errors is left alone (exit 1). With `--check`,
    /// nothing is written: a unified diff is printed and the exit code is 1
    /// when a file is not formatted.
    Fmt(FmtArgs),
    /// Import AsyncAPI documents, a Node-RED flow file, an n8n workflow, a Make
    /// blueprint or an EventCatalog folder as a spec.
    ///
    /// Prints what it mapped and skipped; marks with `// unknown in the
    /// source` what the source does not say. Exits 1 when a document has
    /// problems (they are printed with their places), 2 for usage errors.
    Import(crate::import::ImportArgs),
    /// Run the language server on stdin and stdout (for editors).
    ///
    /// Diagnostics as you type, hover, go to definition, references, rename,
    /// completion, quick fixes, formatting and document symbols.
    Lsp,
    /// Print this help, or the help of a command (`wireplan help check`).
    Help {
        /// The command to explain.
        command: Option<String>,
    },
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// The spec before the change (a file or a folder holding `wireplan.kdl`).
    #[arg(required_unless_present = "against")]
    old: Option<PathBuf>,
    /// The spec after the change.
    new: Option<PathBuf>,
    /// Compare with the spec as it is in git at REV (a commit, branch or tag)
    /// in the repository that holds the current folder; the one path given,
    /// if any, is the spec now.
    #[arg(long, value_name = "REV")]
    against: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    format: DiffFormat,
    /// Exit 1 when a change is this bad or worse.
    #[arg(long, value_enum, default_value_t = FailOn::Breaking)]
    fail_on: FailOn,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DiffFormat {
    /// One line per change, then the counts.
    Human,
    /// A table for a pull-request comment.
    Markdown,
    /// One JSON object (see schemas/diff.schema.json).
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum FailOn {
    /// Fail on breaking changes.
    Breaking,
    /// Fail on breaking or risky changes.
    Risky,
    /// Never fail on a change.
    Never,
}

#[derive(Args, Debug)]
struct BuildArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is built.
    path: Option<PathBuf>,
    /// The backend to generate for.
    #[arg(long, value_enum)]
    target: crate::emit::Target,
    /// The folder to write into (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write nothing; list how DIR differs from what the spec generates and
    /// exit 1 if it does (for CI).
    #[arg(long)]
    check: bool,
    /// Overwrite or remove files that wireplan did not generate or that were
    /// edited by hand.
    #[arg(long, conflicts_with = "check")]
    force: bool,
    /// Rule levels, as for `check`; `--deny-warnings` makes a warning stop the build.
    #[command(flatten)]
    levels: LevelArgs,
}

#[derive(Args, Debug)]
struct FmtArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is formatted.
    path: Option<PathBuf>,
    /// Format the specs that hold these files, each once, as `check --files`
    /// finds them.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "path")]
    files: Vec<PathBuf>,
    /// Write nothing; print a diff and exit 1 when a file is not formatted.
    #[arg(long)]
    check: bool,
}

#[derive(Args, Debug)]
struct GraphArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is drawn.
    path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// What to draw: who feeds whom, or how it is wired.
    #[arg(long, value_enum, default_value_t = GraphView::Logical)]
    view: GraphView,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphView {
    /// Who feeds whom: an arrow from each flow's source to each target,
    /// labelled "via X" when a hub or broker carries it.
    Logical,
    /// How it is wired: routed flows drawn through their hub or broker.
    Physical,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

#[derive(Args, Debug)]
struct PlanArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is planned.
    path: Option<PathBuf>,
    /// Output format [default: human, or none when --html is given].
    #[arg(long, value_enum)]
    format: Option<PlanFormat>,
    /// Also write a self-contained HTML report (topology, chart, reasons,
    /// findings) to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Rule levels for the findings the plan reports on flows, as for `check`.
    #[command(flatten)]
    levels: LevelArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlanFormat {
    /// A short report to read in a minute.
    Human,
    /// Markdown with a Mermaid chart, for a pull request or wiki.
    Markdown,
    /// One JSON object (see schemas/plan.schema.json).
    Json,
}

#[derive(Args, Clone, Debug)]
struct CheckArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is checked.
    path: Option<PathBuf>,
    /// Check the specs that hold these files (the changed files pre-commit
    /// passes), each once: a file's spec is the nearest `wireplan.kdl` at or
    /// above it that includes it. Files no spec holds are skipped.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["path", "write_baseline", "changed_since"])]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Report only the findings FILE does not hold, and say how many it hid
    /// (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record today's findings in FILE and exit 0: later runs with
    /// `--baseline FILE` report only new ones.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Report only findings on systems, events and flows that changed (or
    /// are new) since the git revision REV of the repository that holds the
    /// current folder, for pull-request checks.
    #[arg(long, value_name = "REV")]
    changed_since: Option<String>,
    #[command(flatten)]
    levels: LevelArgs,
    #[command(flatten)]
    color: ColorArgs,
}

#[derive(Args, Clone, Debug)]
struct LevelArgs {
    /// Report RULE as an error (repeatable; overrides the spec's `lint` block).
    #[arg(long, value_name = "RULE")]
    deny: Vec<String>,
    /// Report RULE as a warning (repeatable).
    #[arg(long, value_name = "RULE")]
    warn: Vec<String>,
    /// Do not report RULE (repeatable). An inline `allow` still wins for its node.
    #[arg(long, value_name = "RULE")]
    allow: Vec<String>,
    /// Report every warning as an error.
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Args, Clone, Debug)]
struct ColorArgs {
    /// When to use colour: `auto` uses it on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// Graphical diagnostics with source snippets.
    Human,
    /// One JSON object (see schemas/diagnostics.schema.json).
    Json,
    /// One line per diagnostic: file:line:column: severity[rule]: message.
    Short,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions annotations (`::error file=...::message`).
    Github,
    /// JUnit XML: a test suite per rule, a test case per node with findings.
    Junit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ListFormat {
    /// A table to read.
    Human,
    /// A JSON array: each rule's name, code, severity, category, summary and documentation.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && crate::out::stdout_is_terminal()
            }
        }
    }
}

/// Runs the command line and returns the process's exit code.
pub fn run() -> ExitCode {
    // Everything printed from here on goes through `out`, which masks the
    // credentials of each spec checked (panic messages too).
    let out = Out::new();
    out.install_panic_hook();
    let out = &out;
    // For measuring and for machines shared with other work; the output is
    // the same on any number of threads.
    if let Some(value) = std::env::var_os("WIREPLAN_THREADS") {
        let (threads, warning) = crate::parallel::from_setting(&value.to_string_lossy());
        if let Some(warning) = warning {
            out.eprintln(format_args!("warning: {warning}"));
        }
        if let Some(threads) = threads {
            crate::parallel::set_threads(threads);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors on standard error, `--help` and `--version` on
            // standard output, in colour on a terminal as clap would.
            let rendered = e.render();
            let colour =
                if e.use_stderr() { crate::out::stderr_is_terminal() } else { crate::out::stdout_is_terminal() };
            let text = if colour { rendered.ansi().to_string() } else { rendered.to_string() };
            if e.use_stderr() {
                out.eprint(&text);
            } else {
                let _ = out.print(&text);
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check(out, &args),
        Command::Explain { rule } => explain(out, &rule),
        Command::Rules { format } => rules(out, format),
        Command::Graph(args) => graph(out, &args),
        Command::Plan(args) => plan(out, &args),
        Command::Fmt(args) => fmt(out, &args),
        Command::Lsp => crate::lsp::run(out),
        Command::Help { command } => help(out, command.as_deref()),
        Command::Diff(args) => diff(out, &args),
        Command::Completions { shell } => {
            let mut bytes = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "wireplan", &mut bytes);
            print(out, &String::from_utf8_lossy(&bytes))
        }
        Command::Man => {
            let mut bytes = Vec::new();
            match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut bytes) {
                Ok(()) => print(out, &String::from_utf8_lossy(&bytes)),
                Err(e) => usage_error(out, &format!("cannot render the manual: {e}")),
            }
        }
        Command::Build(args) => build(out, &args),
        Command::Import(args) => crate::import::run(out, &args),
    }
}

fn fmt(out: &Out, args: &FmtArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if !args.files.is_empty() {
        return for_each_spec(out, &args.files, &cwd, |entry| {
            fmt(out, &FmtArgs { path: Some(entry.to_path_buf()), files: Vec::new(), check: args.check })
        });
    }
    match crate::fmt::command::run(args.path.as_deref(), args.check, &cwd) {
        Ok(outcome) => {
            out.learn(&outcome.redactor);
            out.eprint(&outcome.stderr);
            let printed = print(out, &outcome.stdout);
            if printed == ExitCode::SUCCESS { ExitCode::from(outcome.code) } else { printed }
        }
        Err(e) => usage_error(out, &e.to_string()),
    }
}

fn help(out: &Out, command: Option<&str>) -> ExitCode {
    let mut cli = <Cli as clap::CommandFactory>::command();
    let text = match command {
        None => cli.render_long_help(),
        Some(name) => match cli.find_subcommand_mut(name) {
            Some(sub) => sub.render_long_help(),
            None => return usage_error(out, &format!("no command named `{name}`; `wireplan help` lists them")),
        },
    };
    print(out, &text.to_string())
}

fn usage_error(out: &Out, message: &str) -> ExitCode {
    // Messages name paths and flags, which may hold any character.
    out.eprintln(format_args!("error: {}", crate::escape::lines(message)));
    ExitCode::from(2)
}

fn print(out: &Out, text: &str) -> ExitCode {
    match out.print(text) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`wireplan check | head`) is not a failure of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => usage_error(out, &format!("cannot write output: {e}")),
    }
}

impl LevelArgs {
    /// Turns the flags into rule levels. An unknown rule is a usage error.
    fn resolve(&self) -> Result<CliLevels, String> {
        let mut levels = Vec::new();
        // Applied allow, then warn, then deny: the strictest flag wins.
        for (level, names, flag) in [
            (LintLevel::Allow, &self.allow, "--allow"),
            (LintLevel::Warn, &self.warn, "--warn"),
            (LintLevel::Deny, &self.deny, "--deny"),
        ] {
            for name in names {
                match lint::find(name) {
                    Some(rule) if rule.is_configurable() => levels.push((level, rule)),
                    Some(rule) => {
                        return Err(format!(
                            "`{}` is a spec error and is always an error; it cannot be given to {flag}",
                            rule.name
                        ));
                    }
                    None => {
                        let hint = lint::closest(name).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
                        return Err(format!(
                            "[unknown-rule] no rule named `{name}` (given to {flag}){hint}\n`wireplan rules` lists every rule"
                        ));
                    }
                }
            }
        }
        Ok(CliLevels { levels, deny_warnings: self.deny_warnings })
    }
}

/// Loads and checks the spec at `path` from the current folder; a usage
/// error (exit 2) when the levels or the entry file are unusable. From here
/// on, `out` masks the spec's credentials.
fn load_checked(
    out: &Out,
    path: Option<&std::path::Path>,
    levels: Option<&LevelArgs>,
) -> Result<crate::Checked, ExitCode> {
    let levels = match levels.map(LevelArgs::resolve).transpose() {
        Ok(levels) => levels.unwrap_or_default(),
        Err(message) => return Err(usage_error(out, &message)),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let checked = crate::import::check_path(path, &cwd, &levels)
        .unwrap_or_else(|| crate::check_path(path, &cwd, &levels))
        .map_err(|e| usage_error(out, &e.to_string()))?;
    out.learn(&checked.redactor);
    Ok(checked)
}

fn check(out: &Out, args: &CheckArgs) -> ExitCode {
    if !args.files.is_empty() {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        return for_each_spec(out, &args.files, &cwd, |entry| {
            check(out, &CheckArgs { path: Some(entry.to_path_buf()), files: Vec::new(), ..args.clone() })
        });
    }
    let mut checked = match load_checked(out, args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    // A finding's identity (rule, node path, fingerprint) is needed only by
    // baselines, `--changed-since` and the formats that carry fingerprints.
    let needs_identities = args.baseline.is_some()
        || args.write_baseline.is_some()
        || args.changed_since.is_some()
        || matches!(args.format, Format::Sarif | Format::Junit);
    let mut identities: Vec<Identity> = if needs_identities {
        checked.diagnostics.iter().map(|d| baseline::identity(d, &checked.spec, &checked.sources)).collect()
    } else {
        Vec::new()
    };
    if let Some(path) = &args.write_baseline {
        let recorded = Baseline::record(&checked.diagnostics, &identities);
        if let Err(code) = write_output(out, &checked, path, &recorded.to_json()) {
            return code;
        }
        out.eprintln(format_args!(
            "wrote {} with {} finding(s); `wireplan check --baseline {0}` reports only new ones",
            crate::escape::one_line(&path.display().to_string()),
            checked.diagnostics.len()
        ));
        return ExitCode::SUCCESS;
    }
    if let Some(rev) = &args.changed_since {
        let old = match spec_at_revision(out, args.path.as_deref(), rev) {
            Ok(old) => old,
            Err(code) => return code,
        };
        let changed = crate::diff::changed_nodes(&old.spec, &checked.spec);
        // Findings no node owns (a syntax error, an include) are always kept.
        let keep: Vec<bool> =
            identities.iter().map(|id| id.path == baseline::SPEC_PATH || changed.contains(&id.path)).collect();
        let mut k = keep.iter();
        checked.diagnostics.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        identities.retain(|_| *k.next().unwrap_or(&true));
    }
    let mut hidden = 0;
    if let Some(path) = &args.baseline {
        let baseline = match read_regular(path).and_then(|text| Baseline::parse(&text)) {
            Ok(baseline) => baseline,
            Err(e) => return usage_error(out, &format!("{}: {e}", path.display())),
        };
        if baseline.is_outdated() {
            out.eprintln(format_args!(
                "note: {} is a version {} baseline, matched as it was written; `--write-baseline` rewrites it in today's format, which survives moved files and changed counts",
                crate::escape::one_line(&path.display().to_string()),
                baseline.version
            ));
        }
        let hides = baseline.hides(&checked.diagnostics, &identities, &checked.spec, &checked.sources);
        hidden = hides.iter().filter(|h| **h).count();
        let mut keep = hides.iter().map(|h| !h);
        checked.diagnostics.retain(|_| keep.next().unwrap_or(true));
        let mut keep = hides.iter().map(|h| !h);
        identities.retain(|_| keep.next().unwrap_or(true));
    }
    let render_start = std::time::Instant::now();
    let report = Report { sources: &checked.sources, diagnostics: &checked.diagnostics, identities: &identities };
    let text = match args.format {
        Format::Human => render::human::render(
            &report,
            render::human::Style { color: args.color.color.enabled(), width: terminal_width() },
        ),
        Format::Json => render::json::render(&report),
        Format::Short => render::short::render(&report),
        Format::Sarif => render::sarif::render(&report),
        Format::Github => render::github::render(&report),
        Format::Junit => render::junit::render(&report),
    };
    let render_time = render_start.elapsed();
    let printed = print(out, &text);
    if std::env::var_os("WIREPLAN_TIMINGS").is_some_and(|v| !v.is_empty()) {
        let phases = checked.timings.iter().copied().chain([("render and print", render_start.elapsed())]);
        for (phase, time) in phases {
            out.eprintln(format_args!("timing: {phase:<20} {:>10.3} ms", time.as_secs_f64() * 1000.0));
        }
        out.eprintln(format_args!(
            "timing: {:<20} {:>10.3} ms",
            "(of which render)",
            render_time.as_secs_f64() * 1000.0
        ));
    }
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if let Some(path) = args.baseline.as_ref().filter(|_| hidden > 0) {
        out.eprintln(format_args!(
            "{hidden} finding(s) hidden by the baseline {}",
            crate::escape::one_line(&path.display().to_string())
        ));
    }
    let code = if checked.diagnostics.iter().any(|d| d.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here: freeing the model piece by piece would only
    // cost time (about 40 ms on the 100k-flow benchmark spec), and the
    // operating system takes the memory back at once.
    std::mem::forget(checked);
    code
}

fn graph(out: &Out, args: &GraphArgs) -> ExitCode {
    let checked = match load_checked(out, args.path.as_deref(), None) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let layout = match args.view {
        GraphView::Logical => render::graph::Layout::Logical,
        GraphView::Physical => render::graph::Layout::Physical,
    };
    let view = render::graph::View::new(&checked.spec, &checked.graph, &checked.diagnostics, layout);
    let text = match args.format {
        GraphFormat::Mermaid => render::graph::mermaid(&view),
        GraphFormat::Dot => render::graph::dot(&view),
    };
    let printed = print(out, &text);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    let errors = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 {
        out.eprintln(format_args!(
            "error: the spec has {errors} error(s); `wireplan check` lists them. The graph shows what resolved."
        ));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}

fn explain(out: &Out, name: &str) -> ExitCode {
    match lint::find(name) {
        Some(rule) => print(out, &crate::docs::explain(rule)),
        None => {
            let hint = lint::closest(name).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
            usage_error(out, &format!("no rule named `{name}`{hint}\n`wireplan rules` lists every rule"))
        }
    }
}

fn rules(out: &Out, format: ListFormat) -> ExitCode {
    match format {
        ListFormat::Human => print(out, &crate::docs::rules_table()),
        ListFormat::Json => print(out, &crate::docs::rules_json()),
    }
}

fn plan(out: &Out, args: &PlanArgs) -> ExitCode {
    let checked = match load_checked(out, args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let plan = crate::plan::compute(&checked.spec, &checked.diagnostics);
    // Errors are reported on stderr, keeping stdout for the plan; spec errors
    // also make the plan partial.
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect();
    if !errors.is_empty() {
        let report = Report { sources: &checked.sources, diagnostics: &errors, identities: &[] };
        out.eprint(&render::short::render(&report));
        if errors.iter().any(|d| !d.rule.is_configurable()) {
            out.eprintln(
                "error: the spec has errors; the plan covers only what could be read (`wireplan check` explains them)",
            );
        } else {
            out.eprintln("error: the checks report errors (`wireplan check` explains them)");
        }
    }
    if let Some(path) = &args.html {
        let page = render::plan::html::Page {
            plan: &plan,
            spec: &checked.spec,
            graph: &checked.graph,
            sources: &checked.sources,
            diagnostics: &checked.diagnostics,
        };
        let html = render::plan::html::render(&page);
        if let Err(code) = write_output(out, &checked, path, &html) {
            return code;
        }
        out.eprintln(format_args!("wrote {}", crate::escape::one_line(&path.display().to_string())));
    }
    let format = match (args.format, &args.html) {
        (Some(format), _) => Some(format),
        (None, None) => Some(PlanFormat::Human),
        (None, Some(_)) => None,
    };
    if let Some(format) = format {
        let text = match format {
            PlanFormat::Human => render::plan::human::render(&plan, terminal_width()),
            PlanFormat::Markdown => render::plan::markdown::render(&plan),
            PlanFormat::Json => render::plan::json::render(&plan),
        };
        let printed = print(out, &text);
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    }
    if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn diff(out: &Out, args: &DiffArgs) -> ExitCode {
    let (old, new) = match &args.against {
        Some(rev) => {
            let now = args.old.as_deref();
            if args.new.is_some() {
                return usage_error(out, "with --against REV, give at most one spec path (the spec now)");
            }
            match (spec_at_revision(out, now, rev), load_checked(out, now, None)) {
                (Ok(old), Ok(new)) => (old, new),
                (Err(code), _) | (_, Err(code)) => return code,
            }
        }
        None => {
            let Some(new_path) = args.new.as_deref() else {
                return usage_error(out, "give OLD and NEW specs, or `--against REV`");
            };
            match (load_checked(out, args.old.as_deref(), None), load_checked(out, Some(new_path), None)) {
                (Ok(old), Ok(new)) => (old, new),
                (Err(code), _) | (_, Err(code)) => return code,
            }
        }
    };
    // A spec that cannot be read whole has no meaning to compare: what is
    // missing from it would show as removed (or pass as unchanged). A
    // reference in the new spec to what the change removed is no such
    // error: it is the break the diff reports, with the flows it breaks.
    let mut unreadable = false;
    for (which, checked) in [("old", &old), ("new", &new)] {
        let compared_anyway = |d: &&crate::diagnostic::Diagnostic| {
            which == "new" && std::ptr::eq(d.rule, &crate::diagnostic::UNRESOLVED_REFERENCE)
        };
        let errors: Vec<_> =
            checked.diagnostics.iter().filter(|d| !d.rule.is_configurable() && !compared_anyway(d)).cloned().collect();
        if errors.is_empty() {
            continue;
        }
        unreadable = true;
        let report = Report { sources: &checked.sources, diagnostics: &errors, identities: &[] };
        out.eprint(&render::short::render(&report));
        out.eprintln(format_args!(
            "error: the {which} spec has {}; `wireplan diff` compares specs without spec errors",
            crate::prose::plural(errors.len(), "spec error")
        ));
    }
    if unreadable {
        return ExitCode::from(2);
    }
    let changes = crate::diff::diff(&old, &new);
    let text = match args.format {
        DiffFormat::Human => crate::diff::human(&changes),
        DiffFormat::Markdown => crate::diff::markdown(&changes),
        DiffFormat::Json => crate::diff::json(&changes),
    };
    let printed = print(out, &text);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    let worst = changes.iter().map(|c| c.class).min();
    let fails = match args.fail_on {
        FailOn::Breaking => worst == Some(crate::diff::Class::Breaking),
        FailOn::Risky => worst.is_some_and(|w| w <= crate::diff::Class::Risky),
        FailOn::Never => false,
    };
    if fails { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// The spec at `path` (or the nearest one) as it is in git at `rev`, in the
/// repository that holds the current folder (see `git`): its folder is
/// read from git's objects into a private temporary folder and checked
/// there, as the current folder maps into it, so names match the spec now.
fn spec_at_revision(out: &Out, path: Option<&std::path::Path>, rev: &str) -> Result<crate::Checked, ExitCode> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let entry = crate::load::find_entry(path, &cwd).map_err(|e| usage_error(out, &e.to_string()))?;
    let entry = std::fs::canonicalize(&entry).map_err(|e| usage_error(out, &format!("{}: {e}", entry.display())))?;
    let spec_dir = entry.parent().unwrap_or(std::path::Path::new("/")).to_path_buf();
    let repo = crate::git::Repository::enclosing(&cwd).map_err(|e| usage_error(out, &e))?;
    let Ok(folder) = spec_dir.strip_prefix(repo.work_tree()) else {
        return Err(usage_error(
            out,
            &format!(
                "the spec's folder {} is outside the git repository at {}, which holds the current folder; \
             run wireplan from inside the spec's repository",
                spec_dir.display(),
                repo.work_tree().display()
            ),
        ));
    };
    let mut tmp = tempfile::Builder::new();
    tmp.prefix("wireplan-rev-");
    #[cfg(unix)]
    tmp.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    // Removed when dropped, at the end of this function.
    let tmp = tmp.tempdir().map_err(|e| usage_error(out, &format!("cannot make a temporary folder: {e}")))?;
    // The temporary folder stands for the working tree: the spec's folder
    // goes where it is in the repository, and the current folder maps into
    // it, so that file names read the same in both specs.
    let base = std::fs::canonicalize(tmp.path()).unwrap_or_else(|_| tmp.path().to_path_buf());
    let old_dir = base.join(folder);
    std::fs::create_dir_all(&old_dir).map_err(|e| usage_error(out, &format!("cannot make a temporary folder: {e}")))?;
    let exported = repo.export(rev, folder, &old_dir).map_err(|e| usage_error(out, &e))?;
    for (path, size) in &exported.too_large {
        out.eprintln(format_args!(
            "warning: `{}` at `{}` is {:.1} MiB, more than a spec file may be ({} MiB); it is left out of the old spec",
            crate::escape::one_line(&path.display().to_string()),
            crate::escape::one_line(rev),
            *size as f64 / 1_048_576.0,
            crate::source::MAX_FILE_BYTES / 1_048_576
        ));
    }
    let old_entry = old_dir.join(entry.file_name().unwrap_or_default());
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let old_cwd = cwd.strip_prefix(repo.work_tree()).map_or_else(|_| old_dir.clone(), |rest| base.join(rest));
    let checked = crate::check_path(Some(&old_entry), &old_cwd, &CliLevels::default()).map_err(|e| {
        usage_error(out, &format!("the spec at {rev}: {}", e.to_string().replace(&base.display().to_string(), rev)))
    })?;
    out.learn(&checked.redactor);
    Ok(checked)
}

/// Runs `command` on each spec that holds one of `files`, once, in a stable
/// order, and exits as the worst run did (2 before 1 before 0).
fn for_each_spec(
    out: &Out,
    files: &[PathBuf],
    cwd: &std::path::Path,
    command: impl Fn(&std::path::Path) -> ExitCode,
) -> ExitCode {
    let (entries, outside) = specs_holding(files, cwd);
    if !outside.is_empty() {
        let names: Vec<String> =
            outside.iter().take(5).map(|p| crate::escape::one_line(&p.display().to_string()).into_owned()).collect();
        out.eprintln(format_args!(
            "note: skipped {}: no wireplan.kdl at or above includes it",
            crate::prose::list(&names, outside.len(), 5, "and")
        ));
    }
    let mut worst = ExitCode::SUCCESS;
    for entry in &entries {
        let code = command(entry);
        if code == ExitCode::from(2) || (code != ExitCode::SUCCESS && worst == ExitCode::SUCCESS) {
            worst = code;
        }
    }
    worst
}

/// The entry files of the specs that hold `files`, sorted, and the files
/// no spec holds. A file's spec is the nearest `wireplan.kdl` at or above
/// it that loads it (itself or through its includes); each candidate spec
/// is loaded once.
fn specs_holding(files: &[PathBuf], cwd: &std::path::Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut held_by: std::collections::HashMap<PathBuf, std::collections::HashSet<PathBuf>> = Default::default();
    let mut entries = std::collections::BTreeSet::new();
    let mut outside = Vec::new();
    for file in files {
        let Ok(full) = std::fs::canonicalize(cwd.join(file)) else {
            outside.push(file.clone());
            continue;
        };
        let entry = full.ancestors().skip(1).map(|dir| dir.join(crate::load::ENTRY_FILE)).find(|candidate| {
            candidate.is_file()
                && held_by
                    .entry(candidate.clone())
                    .or_insert_with(|| {
                        crate::check_path(Some(candidate), cwd, &CliLevels::default())
                            .map(|checked| {
                                checked
                                    .sources
                                    .files()
                                    .filter_map(|(_, f)| std::fs::canonicalize(&f.path).ok())
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .contains(&full)
        });
        match entry {
            Some(entry) => {
                entries.insert(entry);
            }
            None => outside.push(file.clone()),
        }
    }
    (entries.into_iter().collect(), outside)
}

/// Writes a report the user asked for to `path` (relative to the current
/// folder) with the one writer: atomically, never over a file of the spec
/// that was read, nor over anything that is not a regular file.
fn write_output(out: &Out, checked: &crate::Checked, path: &std::path::Path, text: &str) -> Result<(), ExitCode> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let target = cwd.join(path);
    out.write_file(&spec_writer(checked), &target, text).map_err(|e| usage_error(out, &e.to_string()))
}

/// Reads a small regular file the user named (a baseline).
fn read_regular(path: &std::path::Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

/// The one writer, refusing to write over any spec file of this run.
fn spec_writer(checked: &crate::Checked) -> crate::write::Writer {
    crate::write::Writer::new(checked.sources.files().map(|(_, f)| f.path.as_path()))
}

fn build(out: &Out, args: &BuildArgs) -> ExitCode {
    let checked = match load_checked(out, args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect();
    let warnings = checked.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    if !errors.is_empty() {
        let report = Report { sources: &checked.sources, diagnostics: &errors, identities: &[] };
        out.eprint(&render::short::render(&report));
        let why = if args.levels.deny_warnings && errors.iter().any(|d| d.rule.is_configurable()) {
            " (--deny-warnings makes warnings errors)"
        } else {
            ""
        };
        out.eprintln(format_args!(
            "error: the spec has {} error(s){why}; nothing was built (`wireplan check` explains them)",
            errors.len()
        ));
        return ExitCode::from(1);
    }
    if warnings > 0 {
        out.eprintln(format_args!(
            "warning: the spec has {warnings} warning(s) (`wireplan check` lists them); building anyway"
        ));
    }
    let input = crate::emit::Input { spec: &checked.spec, graph: &checked.graph };
    let emitted = crate::emit::emit(args.target, &input);
    for note in &emitted.notes {
        match &note.flow {
            Some(flow) => out.eprintln(format_args!(
                "note: flow {}: {}",
                crate::escape::one_line(&format!("{flow:?}")),
                crate::escape::one_line(&note.message)
            )),
            None => out.eprintln(format_args!("note: {}", crate::escape::one_line(&note.message))),
        }
    }
    if !emitted.diagnostics.is_empty() {
        let report = Report { sources: &checked.sources, diagnostics: &emitted.diagnostics, identities: &[] };
        out.eprint(&render::short::render(&report));
        let mut helps: Vec<&str> = emitted.diagnostics.iter().map(|d| d.help.as_str()).collect();
        helps.sort_unstable();
        helps.dedup();
        for help in helps {
            out.eprintln(format_args!("help: {}", crate::escape::one_line(help)));
        }
    }
    if !emitted.errors.is_empty() || !emitted.diagnostics.is_empty() {
        for e in &emitted.errors {
            out.eprintln(format_args!("error: {}", crate::escape::one_line(e)));
        }
        out.eprintln("error: nothing was built");
        return ExitCode::from(1);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let dir = cwd.join(&args.out);
    let writer = spec_writer(&checked);
    let target = args.target.name();
    if args.check {
        return match crate::write::compare_tree(&writer, &dir, target, &emitted.artifacts) {
            Ok(differences) if differences.is_empty() => {
                out.eprintln(format_args!("{} is up to date", args.out.display()));
                ExitCode::SUCCESS
            }
            Ok(differences) => {
                let mut listed = String::new();
                for d in &differences {
                    listed.push_str(&format!("{}: {}\n", d.label(), crate::escape::one_line(d.path())));
                }
                let printed = print(out, &listed);
                if printed != ExitCode::SUCCESS {
                    return printed;
                }
                out.eprintln(format_args!(
                    "error: {} differs from what the spec generates ({} file(s)); run `wireplan build` to update it",
                    args.out.display(),
                    differences.len()
                ));
                ExitCode::from(1)
            }
            Err(e) => usage_error(out, &e.to_string()),
        };
    }
    match crate::write::write_tree(&writer, &dir, target, &emitted.artifacts, args.force) {
        Ok(report) => {
            for path in &report.written {
                out.eprintln(format_args!("wrote {}", dir.join(path).display()));
            }
            for path in &report.removed {
                out.eprintln(format_args!("removed {} (no longer generated)", dir.join(path).display()));
            }
            if report.written.is_empty() && report.removed.is_empty() {
                out.eprintln(format_args!("{} is up to date", args.out.display()));
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            let refused = errors.iter().any(|e| matches!(e, crate::write::WriteError::Refused { .. }));
            for e in &errors {
                out.eprintln(format_args!("error: {}", crate::escape::one_line(&e.to_string())));
            }
            out.eprintln("error: the build stopped");
            ExitCode::from(if refused { 1 } else { 2 })
        }
    }
}
