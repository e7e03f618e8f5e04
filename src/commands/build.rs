//! `tagc build`: compile and write the artifacts, their infrastructure-as-code renderings
//! and cost allocation files (`--emit`) and the manifest, all or nothing; report the sizes (for
//! people) or the manifest (in a machine format).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::{Outcome, compile, fail_after, print_diagnostics, print_report};
use crate::artifact::Manifest;
use crate::cli::{BuildArgs, Emit, Format};
use crate::diagnostics::Diagnostics;
use crate::model::{Policy, Project, RuleKind};
use crate::report::{Report, ReportError};
use crate::{Build, cost, iac, output};

/// Run `tagc build`. The documents are written to the staging directory (or, with `--check`,
/// compared with their files) as they are made, and not kept; only `--emit` of Terraform or
/// CloudFormation, whose files hold every document, keeps them until the end.
pub fn run(args: &BuildArgs) -> Outcome {
    let formats: Vec<iac::Format> = args.emit.iter().filter_map(|e| e.iac_format()).collect();
    if !formats.is_empty() {
        return run_kept(args, &formats);
    }
    if args.check {
        let mut comparison = output::Comparison::new(&args.out);
        let (compiled, warnings, extra) = match compile_with_cost(args, &mut comparison) {
            Ok(built) => built,
            Err(outcome) => return outcome,
        };
        let d = comparison.finish(&compiled.manifest, &extra);
        return report_fresh(&args.out, d, warnings, args.input.format);
    }
    let mut staging = output::Staging::new(&args.out, &args.input.paths);
    let (compiled, warnings, extra) = match compile_with_cost(args, &mut staging) {
        Ok(built) => built,
        Err(outcome) => return outcome,
    };
    if let Err(e) = staging.finish(&compiled.manifest, &extra) {
        return fail_after(warnings, e, args.input.format);
    }
    report_written(args, &compiled, &extra, warnings)
}

/// Compile, handing each document to `documents`, then render the cost files: the build, its
/// warnings (taken out of it, to be printed with the outcome) and the cost files, or the
/// outcome that ends the command.
fn compile_with_cost(
    args: &BuildArgs,
    documents: &mut dyn crate::emit::Documents,
) -> Result<(Build, Diagnostics, Vec<iac::File>), Outcome> {
    let (mut compiled, _) = super::compile_into(&args.input, documents)?;
    let warnings = std::mem::take(&mut compiled.diagnostics);
    match render_cost(args, &compiled) {
        Ok(extra) => Ok((compiled, warnings, extra)),
        Err(e) => Err(fail_after(warnings, e, args.input.format)),
    }
}

/// `tagc build --emit terraform|cloudformation`: the renderings hold every document, so the
/// documents are kept in the build until the output is written.
fn run_kept(args: &BuildArgs, formats: &[iac::Format]) -> Outcome {
    let mut compiled = match compile(&args.input) {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let format = args.input.format;
    let warnings = std::mem::take(&mut compiled.diagnostics);
    let mut extra = match iac::render(formats, compiled.artifacts(), &compiled.project.settings) {
        Ok(files) => files,
        Err(e) => return fail_after(warnings, e, format),
    };
    match render_cost(args, &compiled) {
        Ok(files) => extra.extend(files),
        Err(e) => return fail_after(warnings, e, format),
    }
    if args.check {
        let d = output::differences_with(&args.out, &compiled, &extra);
        return report_fresh(&args.out, d, warnings, format);
    }
    if let Err(e) = output::write_with(&args.out, &args.input.paths, &compiled, &extra) {
        return fail_after(warnings, e, format);
    }
    report_written(args, &compiled, &extra, warnings)
}

/// After the output is written: the sizes (and `--explain`) for people, or the manifest in a
/// machine format.
fn report_written(
    args: &BuildArgs,
    compiled: &Build,
    extra: &[iac::File],
    warnings: Diagnostics,
) -> Outcome {
    let format = args.input.format;
    if format.machine().is_none() {
        size_report(
            &mut std::io::BufWriter::new(std::io::stderr().lock()),
            compiled,
            &args.out,
            extra,
        );
        if args.explain {
            eprint!("{}", explain(&compiled.project));
            eprint!("{}", explain_wildcards(&compiled.manifest));
        }
        return Outcome::Success;
    }
    let manifest = match output::manifest_text(&args.out, &compiled.manifest, extra) {
        Ok(text) => text,
        Err(e) => return fail_after(warnings, e, format),
    };
    let manifest = match serde_json::from_str::<serde_json::Value>(&manifest) {
        Ok(v) => v,
        Err(e) => {
            let e = ReportError::Unrenderable {
                what: "manifest",
                reason: e.to_string(),
            };
            return fail_after(warnings, e, format);
        }
    };
    let mut report = Report::new("build", &warnings);
    report.payload.push(("manifest", manifest));
    print_report(&report, format);
    Outcome::Success
}

/// A finding of `build --check`: a file in `--out` that is not what this build would write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
enum Freshness {
    /// A file whose content differs.
    #[error("`{path}` is stale")]
    #[diagnostic(code("tagc::build::stale"), severity(Error), help("{rebuild}"))]
    Stale {
        /// The file.
        path: String,
        /// The command that brings the directory up to date.
        rebuild: String,
    },
    /// A file this build writes that is not there.
    #[error("`{path}` is missing")]
    #[diagnostic(code("tagc::build::missing"), severity(Error), help("{rebuild}"))]
    Missing {
        /// The file.
        path: String,
        /// The command that brings the directory up to date.
        rebuild: String,
    },
    /// A file tagc wrote that this build no longer writes.
    #[error("`{path}` is no longer written: a build deletes it")]
    #[diagnostic(code("tagc::build::extra"), severity(Error), help("{rebuild}"))]
    Extra {
        /// The file.
        path: String,
        /// The command that brings the directory up to date.
        rebuild: String,
    },
    /// A file tagc did not write.
    #[error("`{path}` was not written by tagc")]
    #[diagnostic(
        code("tagc::build::foreign"),
        severity(Error),
        help(
            "move it away: a build refuses to replace a directory that holds files tagc did not write"
        )
    )]
    Foreign {
        /// The file.
        path: String,
    },
}

/// The files of `--emit cost` (none without it or `--budget-amount`).
fn render_cost(args: &BuildArgs, compiled: &Build) -> Result<Vec<iac::File>, cost::CostError> {
    if !args.emit.contains(&Emit::Cost) && args.budget_amount.is_none() {
        return Ok(Vec::new());
    }
    let options = cost::Options {
        budget_amount: args.budget_amount.clone(),
        terraform: args.emit.contains(&Emit::Terraform),
        cloudformation: args.emit.contains(&Emit::Cloudformation),
    };
    cost::render(&compiled.project, &options)
}

/// `--check`: report whether the files on disk are exactly what this build would write (for CI,
/// which should fail when generated policies are stale): every file compared, and each stale,
/// missing or extra one reported as a coded diagnostic. A machine-readable report holds the
/// compile's `warnings` too, and lists the files as `differences`.
fn report_fresh(
    out: &Path,
    differences: Result<output::Differences, output::OutputError>,
    warnings: Diagnostics,
    format: Format,
) -> Outcome {
    let d = match differences {
        Ok(d) => d,
        Err(e) => return fail_after(warnings, e, format),
    };
    // People have seen the warnings already; a machine report holds everything.
    let mut diagnostics = if format.machine().is_some() {
        warnings
    } else {
        Diagnostics::new()
    };
    let rebuild = || {
        format!(
            "run `tagc build --out {}` and commit the result",
            out.display()
        )
    };
    let path = |f: &String| out.join(f).display().to_string();
    for f in &d.stale {
        diagnostics.push(Freshness::Stale {
            path: path(f),
            rebuild: rebuild(),
        });
    }
    for f in &d.missing {
        diagnostics.push(Freshness::Missing {
            path: path(f),
            rebuild: rebuild(),
        });
    }
    for (f, ours) in &d.extra {
        diagnostics.push(if *ours {
            Freshness::Extra {
                path: path(f),
                rebuild: rebuild(),
            }
        } else {
            Freshness::Foreign { path: path(f) }
        });
    }
    if format.machine().is_some() {
        let mut report = Report::new("build", &diagnostics);
        report.payload.push((
            "differences",
            json!({
                "stale": d.stale,
                "missing": d.missing,
                "extra": d.extra.iter().map(|(file, ours)| json!({"file": file, "written_by_tagc": ours})).collect::<Vec<_>>(),
            }),
        ));
        print_report(&report, format);
    } else if !diagnostics.is_empty() {
        print_diagnostics(&diagnostics, format);
    }
    if d.is_empty() {
        if format.machine().is_none() {
            eprintln!("{} is up to date", out.display());
        }
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

/// One line per artifact: its file, its size against its limit. Written line by line: a
/// project of thousands of policies has a report of hundreds of kilobytes, and the whole
/// build is still in memory while it is written. A closed stderr loses the report, nothing
/// else.
fn size_report(w: &mut dyn std::io::Write, compiled: &Build, out: &Path, extra: &[iac::File]) {
    for a in compiled.artifacts() {
        #[expect(clippy::cast_precision_loss, reason = "sizes are far below 2^52")]
        let pct = a.size as f64 * 100.0 / a.limit.max(1) as f64;
        let _ = writeln!(
            w,
            "  {:<48} {:>6} / {:>6} chars ({pct:>5.1}%)",
            out.join(&a.file).display(),
            a.size,
            a.limit
        );
    }
    for f in extra {
        let _ = writeln!(w, "  {}", out.join(&f.path).display());
    }
    let _ = writeln!(
        w,
        "wrote {} artifacts and {}",
        compiled.artifacts().len(),
        out.join("manifest.json").display()
    );
    let _ = w.flush();
}

/// `--explain`: every expansion, and which layer enforces what per rule and resource type.
pub fn explain(project: &Project) -> String {
    let mut s = String::new();
    for p in &project.policies {
        let _ = write!(s, "\npolicy {}", p.name);
        // A part: the rules its policy places with `at`, attached at its own targets.
        if let Some(policy) = &p.part_of {
            let targets: Vec<String> = p.targets.iter().map(ToString::to_string).collect();
            let _ = write!(s, " (the rules of {policy} at {})", targets.join(", "));
        }
        s.push('\n');
        for e in &p.expansions {
            let n = e.actions().len();
            let _ = writeln!(
                s,
                "  {} {} → {n} action{}",
                e.rule(),
                e.pattern(),
                if n == 1 { "" } else { "s" }
            );
            for a in e.actions() {
                let _ = writeln!(s, "      {a}");
            }
            if !e.left_out().is_empty() {
                let _ = writeln!(
                    s,
                    "    left out, tagging-only (name them to require the tags on later tagging): {}",
                    e.left_out()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        for kind in RuleKind::ALL {
            explain_rules(&mut s, p, kind);
        }
    }
    s
}

/// Whom a rule's `except` spares, for the end of its line.
fn except(patterns: &[String]) -> String {
    if patterns.is_empty() {
        String::new()
    } else {
        format!("; except {}", patterns.join(", "))
    }
}

/// Values as the language writes them: `"a", "b"`.
fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What enforces the rules of one kind of `p`, one line per key or resource type.
fn explain_rules(s: &mut String, p: &Policy, kind: RuleKind) {
    match kind {
        RuleKind::Require => {
            for r in &p.requires {
                // `when`: the Deny statements also test the value; the grant form's Allow
                // leaves the requirement to them.
                let when = r.when.as_ref().map_or_else(String::new, |w| {
                    format!(
                        " when {} = {}{}",
                        w.key,
                        quoted(&w.values),
                        if p.grant {
                            " (by the Deny statements; the grant form's Allow leaves it to them)"
                        } else {
                            ""
                        }
                    )
                });
                for key in &r.keys {
                    let _ = writeln!(
                        s,
                        "  require {key}: presence and value on create: SCP and IAM guardrail ({} actions){when}{}",
                        r.actions.len(),
                        except(&r.except)
                    );
                }
            }
        }
        RuleKind::Forbid => {
            for f in &p.forbids {
                let _ = writeln!(
                    s,
                    "  forbid {} = {}: SCP and IAM guardrail ({} actions); a tag policy cannot forbid a value, only list the allowed ones{}",
                    f.test.key,
                    quoted(&f.test.values),
                    f.actions.len(),
                    except(&f.except)
                );
            }
        }
        RuleKind::Enforce => {
            for rule in &p.enforce {
                for t in &rule.resource_types {
                    let _ = writeln!(
                        s,
                        "  {t} — {}: value and casing on later tagging: tag policy (enforced_for); presence on create: {}",
                        rule.key,
                        if p.requires.iter().any(|r| r.keys.contains(&rule.key)) {
                            "SCP"
                        } else {
                            "not enforced (tag policies never require a tag)"
                        }
                    );
                }
            }
        }
        RuleKind::Report => {
            for rule in &p.report {
                for t in &rule.resource_types {
                    let _ = writeln!(
                        s,
                        "  {t} — {}: required for reporting and IaC checks: tag policy (report_required_tag_for); not enforced on API calls",
                        rule.key
                    );
                }
            }
        }
        RuleKind::Protect => {
            for pr in &p.protects {
                let _ = writeln!(
                    s,
                    "  protect {}: standalone tagging denied by SCP and IAM guardrail via {}{}",
                    pr.keys.join(", "),
                    pr.actions
                        .iter()
                        .map(|a| a.name.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    except(&pr.except)
                );
            }
        }
        // Shown by the expansions above (`only-declared-keys`), or not a rule a layer
        // enforces on its own.
        RuleKind::OnlyDeclaredKeys
        | RuleKind::Exempt
        | RuleKind::Attach
        | RuleKind::Grant
        | RuleKind::Description => {}
    }
}

/// `--explain` under `actions compact`: each wildcard, the actions it matches today, and the
/// risk accepted: it also matches any action AWS adds later under its prefix.
pub fn explain_wildcards(manifest: &Manifest) -> String {
    let mut s = String::new();
    for p in &manifest.wildcards {
        let _ = writeln!(
            s,
            "\npolicy {}: actions compact wrote {} wildcard{} (each also denies, under the same conditions, any action AWS adds later whose name starts the same way)",
            p.policy,
            p.wildcards.len(),
            if p.wildcards.len() == 1 { "" } else { "s" }
        );
        for w in &p.wildcards {
            let _ = writeln!(s, "  {} = {}", w.pattern, w.matches.join(", "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::source::SourceFile;

    #[test]
    fn test_explain_lists_the_tagging_actions_a_pattern_left_out() {
        let text = "tag owner\npolicy p {\n  require owner on sns:*\n  attach to root\n}\n";
        let compiled =
            crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin());
        let project = compiled.project.expect("the project compiles");
        let explained = super::explain(&project);
        assert!(
            explained.contains("left out, tagging-only") && explained.contains("sns:TagResource"),
            "{explained}"
        );
    }

    #[test]
    fn test_explain_names_each_compact_wildcard_with_the_actions_it_matches() {
        let text = "organization {\n  actions compact\n}\ntag owner\npolicy p {\n  require owner on sagemaker:Create*\n  attach to root\n}\n";
        let compiled =
            crate::compile_sources(&[SourceFile::new("t.tags", text)], Catalog::builtin());
        assert!(compiled.project.is_some());
        let explained = super::explain_wildcards(&compiled.manifest);
        assert!(
            explained.contains("sagemaker:CreateEndpoint* = sagemaker:CreateEndpoint, sagemaker:CreateEndpointConfig"),
            "{explained}"
        );
        assert!(
            explained.contains("any action AWS adds later"),
            "{explained}"
        );
        let exact = text.replace("compact", "exact");
        let compiled =
            crate::compile_sources(&[SourceFile::new("t.tags", exact)], Catalog::builtin());
        assert!(compiled.manifest.wildcards.is_empty());
        assert_eq!(super::explain_wildcards(&compiled.manifest), "");
    }
}
