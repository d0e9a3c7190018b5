//! The command line's arguments: the commands and their flags, as clap
//! reads them. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::lint::{self, CliLevels};
use crate::model::LintLevel;
use crate::render::Format;

/// A compiler and linter for integration architecture.
///
/// wireplan reads a spec of systems, events and flows written in KDL and finds
/// what will lose data, duplicate records or loop in production.
#[derive(Parser, Debug)]
#[command(name = "wireplan", version, about, long_about, max_term_width = 100, disable_help_subcommand = true)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
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
    /// List the connector catalog, or show one entry with its sources.
    ///
    /// The catalog holds what the vendors of common SaaS systems document
    /// (webhooks and their signatures, authentication, rate limits,
    /// idempotency keys, API versions), each fact with the page it comes
    /// from. A system takes an entry's facts with `connector=ID`. A project
    /// adds or overrides entries in `wireplan.catalog.json` in the current
    /// folder (or the file `WIREPLAN_CATALOG` names): a JSON array of
    /// entries, each overriding the built-in entry of its `id` field by field.
    Catalog {
        /// The entry to show (`stripe`); without it, every entry.
        id: Option<String>,
        /// How to print it: a table (one entry: each fact and its source), or JSON.
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
    /// Compare what `build` would emit with what is deployed.
    ///
    /// Reads RabbitMQ's management API (`--target broker`), Node-RED's admin
    /// API (`--target hub`) or a dbt project's manifest and warehouse catalog
    /// (`--target etl`), and reports what is missing, extra or changed, with
    /// the spec's places. Exits 0 with no drift, 1 with drift, 2 when it
    /// could not compare.
    Drift(super::drift::DriftArgs),
    /// Apply what `build` emits to a running RabbitMQ or Node-RED.
    ///
    /// Shows the drift as a plan, asks for confirmation unless `--yes`,
    /// applies it, and compares again. Never removes what the spec does not
    /// declare unless `--prune`. Exits 0 when drift is empty afterwards, 1
    /// when some remains or the plan was declined, 2 when it could not
    /// compare or stopped midway (it says what was applied).
    Deploy(super::deploy::DeployArgs),
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
pub(super) struct DiffArgs {
    /// The spec before the change (a file or a folder holding `wireplan.kdl`).
    #[arg(required_unless_present = "against")]
    pub(super) old: Option<PathBuf>,
    /// The spec after the change.
    pub(super) new: Option<PathBuf>,
    /// Compare with the spec as it is in git at REV (a commit, branch or tag)
    /// in the repository that holds the current folder; the one path given,
    /// if any, is the spec now.
    #[arg(long, value_name = "REV")]
    pub(super) against: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub(super) format: DiffFormat,
    /// Exit 1 when a change is this bad or worse.
    #[arg(long, value_enum, default_value_t = FailOn::Breaking)]
    pub(super) fail_on: FailOn,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum DiffFormat {
    /// One line per change, then the counts.
    Human,
    /// A table for a pull-request comment.
    Markdown,
    /// One JSON object (see schemas/diff.schema.json).
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(super) enum FailOn {
    /// Fail on breaking changes.
    Breaking,
    /// Fail on breaking or risky changes.
    Risky,
    /// Never fail on a change.
    Never,
}

#[derive(Args, Debug)]
pub(super) struct BuildArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is built.
    pub(super) path: Option<PathBuf>,
    /// The backend to generate for.
    #[arg(long, value_enum)]
    pub(super) target: crate::emit::Target,
    /// The folder to write into (created when missing).
    #[arg(long, value_name = "DIR")]
    pub(super) out: PathBuf,
    /// Write nothing; list how DIR differs from what the spec generates and
    /// exit 1 if it does (for CI).
    #[arg(long)]
    pub(super) check: bool,
    /// Overwrite or remove files that wireplan did not generate or that were
    /// edited by hand.
    #[arg(long, conflicts_with = "check")]
    pub(super) force: bool,
    /// Rule levels, as for `check`; `--deny-warnings` makes a warning stop the build.
    #[command(flatten)]
    pub(super) levels: LevelArgs,
    /// How to report what the build carried out: `human` on stderr, or
    /// `json` on stdout (see schemas/build.schema.json).
    #[arg(long, value_enum, default_value_t = BuildFormat::Human)]
    pub(super) format: BuildFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum BuildFormat {
    /// The summary and each file written, on stderr.
    Human,
    /// One JSON object on stdout (see schemas/build.schema.json); findings
    /// and notes still go to stderr.
    Json,
}

#[derive(Args, Debug)]
pub(super) struct FmtArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is formatted.
    pub(super) path: Option<PathBuf>,
    /// Format the specs that hold these files, each once, as `check --files`
    /// finds them.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "path")]
    pub(super) files: Vec<PathBuf>,
    /// Write nothing; print a diff and exit 1 when a file is not formatted.
    #[arg(long)]
    pub(super) check: bool,
}

#[derive(Args, Debug)]
pub(super) struct GraphArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is drawn.
    pub(super) path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub(super) format: GraphFormat,
    /// What to draw: who feeds whom, or how it is wired.
    #[arg(long, value_enum, default_value_t = GraphView::Logical)]
    pub(super) view: GraphView,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum GraphView {
    /// Who feeds whom: an arrow from each flow's source to each target,
    /// labelled "via X" when a hub or broker carries it.
    Logical,
    /// How it is wired: routed flows drawn through their hub or broker.
    Physical,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

#[derive(Args, Debug)]
pub(super) struct PlanArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is planned.
    pub(super) path: Option<PathBuf>,
    /// Output format [default: human, or none when --html is given].
    #[arg(long, value_enum)]
    pub(super) format: Option<PlanFormat>,
    /// Also write a self-contained HTML report (topology, chart, reasons,
    /// findings) to FILE.
    #[arg(long, value_name = "FILE")]
    pub(super) html: Option<PathBuf>,
    /// Rule levels for the findings the plan reports on flows, as for `check`.
    #[command(flatten)]
    pub(super) levels: LevelArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum PlanFormat {
    /// A short report to read in a minute.
    Human,
    /// Markdown with a Mermaid chart, for a pull request or wiki.
    Markdown,
    /// One JSON object (see schemas/plan.schema.json).
    Json,
}

#[derive(Args, Clone, Debug)]
pub(super) struct CheckArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above is checked.
    pub(super) path: Option<PathBuf>,
    /// Check the specs that hold these files (the changed files pre-commit
    /// passes), each once: a file's spec is the nearest `wireplan.kdl` at or
    /// above it that includes it. Files no spec holds are skipped.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["path", "write_baseline", "changed_since"])]
    pub(super) files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(super) format: Format,
    /// Report only the findings FILE does not hold, and say how many it hid
    /// (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub(super) baseline: Option<PathBuf>,
    /// Record today's findings in FILE and exit 0: later runs with
    /// `--baseline FILE` report only new ones.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub(super) write_baseline: Option<PathBuf>,
    /// Report only findings on systems, events and flows that changed (or
    /// are new) since the git revision REV of the repository that holds the
    /// current folder, for pull-request checks.
    #[arg(long, value_name = "REV")]
    pub(super) changed_since: Option<String>,
    #[command(flatten)]
    pub(super) levels: LevelArgs,
    #[command(flatten)]
    pub(super) fix: crate::fix::FixArgs,
    #[command(flatten)]
    pub(super) color: ColorArgs,
}

#[derive(Args, Clone, Debug)]
pub(super) struct LevelArgs {
    /// Report RULE as an error (repeatable; overrides the spec's `lint` block).
    #[arg(long, value_name = "RULE")]
    pub(super) deny: Vec<String>,
    /// Report RULE as a warning (repeatable).
    #[arg(long, value_name = "RULE")]
    pub(super) warn: Vec<String>,
    /// Do not report RULE (repeatable). An inline `allow` still wins for its node.
    #[arg(long, value_name = "RULE")]
    pub(super) allow: Vec<String>,
    /// Report every warning as an error.
    #[arg(long)]
    pub(super) deny_warnings: bool,
}

#[derive(Args, Clone, Debug)]
pub(super) struct ColorArgs {
    /// When to use colour: `auto` uses it on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub(super) color: Color,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum ListFormat {
    /// A table to read.
    Human,
    /// A JSON array: each rule's name, code, severity, category, summary and documentation.
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    pub(super) fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && crate::out::stdout_is_terminal()
            }
        }
    }
}

impl LevelArgs {
    /// Turns the flags into rule levels. An unknown rule is a usage error.
    pub(super) fn resolve(&self) -> Result<CliLevels, String> {
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
