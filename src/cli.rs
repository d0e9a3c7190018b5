//! The command line: argument parsing, file and terminal access, exit codes.
//!
//! Besides `lsp`, this is the only module that touches the environment. Each
//! subcommand gathers its inputs, calls the pure pipeline in the library, and
//! prints the result to stdout; usage errors and internal failures go to
//! stderr. Exit codes: 0 when nothing has error severity, 1 when something
//! does, 2 for usage errors, an unreadable entry file and internal failures.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::Severity;
use crate::lint::{self, CliLevels};
use crate::model::LintLevel;
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
    /// Hubs and brokers are hexagons, systems not live yet are dashed, and
    /// the flows of sync loops are red (other findings orange). Exits 1 when
    /// the spec has errors (the graph then shows what resolved).
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
    /// Format a spec's files in place: the entry file and its includes.
    ///
    /// Four spaces per level, one node per line, one space between entries;
    /// comments, blank-line paragraphs and the order of properties are kept.
    /// A file with syntax errors is left alone (exit 1). With `--check`,
    /// nothing is written: a unified diff is printed and the exit code is 1
    /// when a file is not formatted.
    Fmt(FmtArgs),
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
struct FmtArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is formatted.
    path: Option<PathBuf>,
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

#[derive(Args, Debug)]
struct CheckArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is checked.
    path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    #[command(flatten)]
    levels: LevelArgs,
    #[command(flatten)]
    color: ColorArgs,
}

#[derive(Args, Debug)]
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

#[derive(Args, Debug)]
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
            Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
        }
    }
}

/// Runs the command line and returns the process's exit code.
pub fn run() -> ExitCode {
    // For measuring and for machines shared with other work; the output is
    // the same on any number of threads.
    if let Some(value) = std::env::var_os("WIREPLAN_THREADS") {
        let value = value.to_string_lossy();
        match value.trim().parse::<u64>() {
            Ok(threads) if (1..=crate::MAX_THREADS as u64).contains(&threads) => crate::set_threads(threads as usize),
            Ok(threads) if threads > crate::MAX_THREADS as u64 => {
                eprintln!(
                    "warning: WIREPLAN_THREADS={threads} is more than {max}; using {max} threads",
                    max = crate::MAX_THREADS
                );
                crate::set_threads(crate::MAX_THREADS);
            }
            _ => eprintln!(
                "warning: WIREPLAN_THREADS=`{}` is not a number from 1 to {}; using one thread per core",
                render::text::one_line(&value),
                crate::MAX_THREADS
            ),
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Explain { rule } => explain(&rule),
        Command::Rules { format } => rules(format),
        Command::Graph(args) => graph(&args),
        Command::Plan(args) => plan(&args),
        Command::Fmt(args) => fmt(&args),
        Command::Lsp => crate::lsp::run(),
        Command::Help { command } => help(command.as_deref()),
    }
}

fn fmt(args: &FmtArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match crate::fmt::command::run(args.path.as_deref(), args.check, &cwd) {
        Ok(outcome) => {
            eprint!("{}", outcome.stderr);
            let printed = print(&outcome.stdout);
            if printed == ExitCode::SUCCESS { ExitCode::from(outcome.code) } else { printed }
        }
        Err(e) => usage_error(&e.to_string()),
    }
}

fn help(command: Option<&str>) -> ExitCode {
    let mut cli = <Cli as clap::CommandFactory>::command();
    let text = match command {
        None => cli.render_long_help(),
        Some(name) => match cli.find_subcommand_mut(name) {
            Some(sub) => sub.render_long_help(),
            None => return usage_error(&format!("no command named `{name}`; `wireplan help` lists them")),
        },
    };
    print(&text.to_string())
}

fn usage_error(message: &str) -> ExitCode {
    // Messages name paths and flags, which may hold any character.
    eprintln!("error: {}", render::text::lines(message));
    ExitCode::from(2)
}

fn print(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`wireplan check | head`) is not a failure of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => usage_error(&format!("cannot write output: {e}")),
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
/// error (exit 2) when the levels or the entry file are unusable.
fn load_checked(path: Option<&std::path::Path>, levels: Option<&LevelArgs>) -> Result<crate::Checked, ExitCode> {
    let levels = match levels.map(LevelArgs::resolve).transpose() {
        Ok(levels) => levels.unwrap_or_default(),
        Err(message) => return Err(usage_error(&message)),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    crate::check_path(path, &cwd, &levels).map_err(|e| usage_error(&e.to_string()))
}

fn check(args: &CheckArgs) -> ExitCode {
    let checked = match load_checked(args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let render_start = std::time::Instant::now();
    let report = Report { sources: &checked.sources, diagnostics: &checked.diagnostics };
    let text = match args.format {
        Format::Human => render::human::render(
            &report,
            render::human::Style { color: args.color.color.enabled(), width: terminal_width() },
        ),
        Format::Json => render::json::render(&report),
        Format::Short => render::short::render(&report),
        Format::Sarif => render::sarif::render(&report),
        Format::Github => render::github::render(&report),
    };
    let render_time = render_start.elapsed();
    let printed = print(&checked.redactor.apply(&text));
    if std::env::var_os("WIREPLAN_TIMINGS").is_some_and(|v| !v.is_empty()) {
        let phases = checked.timings.iter().copied().chain([("render and print", render_start.elapsed())]);
        for (phase, time) in phases {
            eprintln!("timing: {phase:<20} {:>10.3} ms", time.as_secs_f64() * 1000.0);
        }
        eprintln!("timing: {:<20} {:>10.3} ms", "(of which render)", render_time.as_secs_f64() * 1000.0);
    }
    if printed != ExitCode::SUCCESS {
        return printed;
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

fn graph(args: &GraphArgs) -> ExitCode {
    let checked = match load_checked(args.path.as_deref(), None) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let view = render::graph::View::new(&checked.spec, &checked.graph, &checked.diagnostics);
    let text = match args.format {
        GraphFormat::Mermaid => render::graph::mermaid(&view),
        GraphFormat::Dot => render::graph::dot(&view),
    };
    let printed = print(&checked.redactor.apply(&text));
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    let errors = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if errors > 0 {
        eprintln!("error: the spec has {errors} error(s); `wireplan check` lists them. The graph shows what resolved.");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}

fn explain(name: &str) -> ExitCode {
    match lint::find(name) {
        Some(rule) => print(&crate::docs::explain(rule)),
        None => {
            let hint = lint::closest(name).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
            usage_error(&format!("no rule named `{name}`{hint}\n`wireplan rules` lists every rule"))
        }
    }
}

fn rules(format: ListFormat) -> ExitCode {
    match format {
        ListFormat::Human => print(&crate::docs::rules_table()),
        ListFormat::Json => print(&crate::docs::rules_json()),
    }
}

fn plan(args: &PlanArgs) -> ExitCode {
    let checked = match load_checked(args.path.as_deref(), Some(&args.levels)) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let plan = crate::plan::compute(&checked.spec, &checked.diagnostics);
    // Errors are reported on stderr, keeping stdout for the plan; spec errors
    // also make the plan partial.
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect();
    if !errors.is_empty() {
        let report = Report { sources: &checked.sources, diagnostics: &errors };
        eprint!("{}", checked.redactor.apply(&render::short::render(&report)));
        if errors.iter().any(|d| !d.rule.is_configurable()) {
            eprintln!(
                "error: the spec has errors; the plan covers only what could be read (`wireplan check` explains them)"
            );
        } else {
            eprintln!("error: the checks report errors (`wireplan check` explains them)");
        }
    }
    if let Some(path) = &args.html {
        let page = render::plan::html::Page {
            plan: &plan,
            spec: &checked.spec,
            sources: &checked.sources,
            diagnostics: &checked.diagnostics,
        };
        let html = render::plan::html::render(&page);
        let html = checked.redactor.apply(&html);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let target = cwd.join(path);
        if let Ok(canonical) = std::fs::canonicalize(&target)
            && checked.sources.files().any(|(_, file)| file.path == canonical)
        {
            return usage_error(&format!("{} is a file of the spec; wireplan never writes over it", path.display()));
        }
        if let Err(e) = write_atomically(&target, html.as_bytes()) {
            return usage_error(&format!("cannot write {}: {e}", path.display()));
        }
        eprintln!("wrote {}", render::text::one_line(&path.display().to_string()));
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
        let printed = print(&checked.redactor.apply(&text));
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    }
    if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a
/// rename, so that a reader never sees half a file.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report.html".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
