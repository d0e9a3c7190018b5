//! `wireplan deploy`: shows the drift as a plan, asks for confirmation
//! (unless `--yes`; never without a terminal), applies it through the
//! deployment's API (`crate::drift::broker::apply`, `hub::apply`), then
//! compares again and says whether drift is empty. Removing what the spec
//! does not declare takes `--prune`. A failure midway says what was
//! applied before it: a partial deploy is never left unsaid.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::drift::{Applier, Deployment, compare, open_and_compare};
use super::{print, usage_error};
use crate::drift::render::{Context, human};
use crate::drift::{broker, hub};
use crate::emit::Target;
use crate::out::Out;

#[derive(Args, Debug)]
pub(crate) struct DeployArgs {
    /// A spec file, or a folder holding `wireplan.kdl`. Without it, the
    /// nearest `wireplan.kdl` in the current folder or above.
    pub(super) path: Option<PathBuf>,
    #[command(flatten)]
    pub(super) at: Deployment,
    /// Apply without asking (for CI). Without it, deploy asks on the
    /// terminal, and refuses when there is none.
    #[arg(long)]
    pub(super) yes: bool,
    /// Also remove what is deployed but not declared, and recreate queues
    /// and exchanges whose type or arguments changed (dropping what they hold).
    #[arg(long)]
    pub(super) prune: bool,
    /// Differences to leave alone, as for `drift --ignore`.
    #[arg(long, value_name = "FILE")]
    pub(super) ignore: Option<PathBuf>,
}

pub(super) fn deploy(out: &Out, args: &DeployArgs) -> ExitCode {
    if args.at.target == Target::Etl {
        return usage_error(out, "`deploy` applies to --target broker and hub; for etl, run Meltano and `dbt build`");
    }
    let (opened, drift, ignore) = match open_and_compare(out, args.path.as_deref(), &args.at, args.ignore.as_deref()) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let deployment = opened.source.location();
    let cx = Context { target: args.at.target.name(), deployment: &deployment, sources: &opened.checked.sources };
    let printed = print(out, &human(&cx, &drift));
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if drift.findings.is_empty() {
        out.eprintln("nothing to deploy");
        return ExitCode::SUCCESS;
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return usage_error(out, "not deploying: no terminal to confirm on; pass --yes to deploy without asking");
        }
        out.eprint(&format!("Apply this plan to {deployment}? Type `yes` to go on: "));
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            out.eprintln("nothing was deployed");
            return ExitCode::from(1);
        }
    }
    let mut done = 0usize;
    let result = match &opened.kind {
        Applier::Broker(rabbit) => {
            let password = std::env::var(crate::emit::broker::PASSWORD_ENV).ok().filter(|p| !p.is_empty());
            if let Some(password) = &password {
                out.learn(&crate::redact::Redactor::of_secrets(&[password]));
            }
            let mut progress = |line: &str| out.eprintln(crate::escape::one_line(line));
            match broker::apply(rabbit, &drift, args.prune, password.as_deref(), &mut progress) {
                Ok(applied) => {
                    for line in &applied.kept {
                        out.eprintln(format_args!("kept: {}", crate::escape::one_line(line)));
                    }
                    // Recreating a queue drops its bindings: one more pass.
                    if args.prune
                        && applied
                            .done
                            .iter()
                            .any(|l| l.starts_with("updated queue") || l.starts_with("updated exchange"))
                        && let Ok(again) = compare(out, &opened, &ignore)
                    {
                        let _ = broker::apply(rabbit, &again, false, None, &mut progress);
                    }
                    done += applied.done.len();
                    Ok(())
                }
                Err((applied, e)) => {
                    done += applied.done.len();
                    Err(e)
                }
            }
        }
        Applier::Hub(node_red) => match hub::apply(node_red, &opened.declared, &drift, args.prune) {
            Ok(applied) => {
                out.eprintln(format_args!(
                    "deployed {} node(s) (full deployment); {} undeclared node(s) kept, {} removed",
                    applied.nodes, applied.kept, applied.removed
                ));
                done += 1;
                Ok(())
            }
            Err(e) => Err(e),
        },
        Applier::Etl => Ok(()),
    };
    if let Err(e) = result {
        return usage_error(
            out,
            &format!(
                "{e}\nthe deployment stopped after {done} change(s); it is partly applied: run `wireplan drift --target {}` to see what remains",
                args.at.target.name()
            ),
        );
    }
    match compare(out, &opened, &ignore) {
        Ok(after) if after.findings.is_empty() => {
            out.eprintln("deployed: drift is empty");
            ExitCode::SUCCESS
        }
        Ok(after) => {
            out.eprintln("deployed, but drift remains:");
            out.eprint(&human(&cx, &after));
            ExitCode::from(1)
        }
        Err(code) => code,
    }
}
