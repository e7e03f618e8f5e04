//! `tagc cost plan` and `tagc cost activate`: the declared cost keys against billing's cost
//! allocation tags, through Cost Explorer.

use super::{Outcome, compile, print_diagnostics, print_report};
use crate::cli::{CostArgs, CostCommand, Format};
use crate::cost::activate::{self, ActivationPlan, CostExplorerApi};
use crate::cost::sdk::SdkCostExplorer;
use crate::cost::{self as cost_keys, CostError};
use crate::diagnostics::Diagnostics;
use crate::report::{Report, ReportError};

/// Run `tagc cost …`.
pub fn run(cmd: &CostCommand) -> Outcome {
    match cmd {
        CostCommand::Plan(args) => match plan(args) {
            Ok((plan, _)) => {
                print_plan(&plan, args.input.format);
                if plan.has_changes() {
                    Outcome::Changes
                } else {
                    Outcome::Success
                }
            }
            Err(outcome) => outcome,
        },
        CostCommand::Activate(args) => {
            let format = args.cost.input.format;
            let (plan, mut api) = match plan(&args.cost) {
                Ok(p) => p,
                Err(outcome) => return outcome,
            };
            print_plan(&plan, format);
            if !plan.has_changes() {
                return Outcome::Success;
            }
            if !args.yes {
                return report(CostError::NotConfirmed, format);
            }
            match activate::execute(&mut api, &plan) {
                Ok(()) => {
                    if format == Format::Human {
                        eprintln!("activated {}", plan.inactive.join(", "));
                    }
                    Outcome::Success
                }
                Err(e) => report(e, format),
            }
        }
    }
}

/// Compile, connect, list billing's tags and plan.
fn plan(args: &CostArgs) -> Result<(ActivationPlan, SdkCostExplorer), Outcome> {
    let format = args.input.format;
    let compiled = compile(&args.input)?;
    let keys = cost_keys::keys(&compiled.project);
    if keys.is_empty() {
        return Err(report(CostError::NoKeys, format));
    }
    let mut api = SdkCostExplorer::connect(&args.aws.connect_options())
        .map_err(|e| report(CostError::api("connect", e), format))?;
    let listed =
        activate::list_all(&mut api as &mut dyn CostExplorerApi).map_err(|e| report(e, format))?;
    Ok((activate::plan(&keys, &listed), api))
}

/// The plan: for people on stderr, or as the `plan` of the JSON report on stdout.
fn print_plan(plan: &ActivationPlan, format: Format) {
    if format.machine().is_none() {
        eprint!("{}", plan.render());
        return;
    }
    let mut report = Report::new("cost", &Diagnostics::new());
    match serde_json::to_value(plan) {
        Ok(v) => report.payload.push(("plan", v)),
        Err(e) => {
            let mut d = Diagnostics::new();
            d.push(ReportError::Unrenderable {
                what: "plan",
                reason: e.to_string(),
            });
            report = Report::new("cost", &d);
        }
    }
    print_report(&report, format);
}

/// Print an error like a compile error.
fn report(e: CostError, format: Format) -> Outcome {
    let mut d = Diagnostics::new();
    d.push(e);
    print_diagnostics(&d, format);
    Outcome::Failure
}
