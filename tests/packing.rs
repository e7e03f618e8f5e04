//! SCP packing: how many SCPs the realistic organization of `tests/fixtures/packing/` and the
//! shipped `policies/` need, against the targets `docs/packing.md` records, with and without
//! `organization { actions compact }`. That packing keeps every decision is shown by
//! `tests/exhaustive.rs` and `tests/differential.rs`.
//!
//! Counts are taken before the slot check (lower, then split to the SCP size limit), so that a
//! rule set that needs more SCPs than a target has slots is still measured.

use tagc::catalog::Catalog;
use tagc::emit::split_to_fit;
use tagc::limits::Limits;
use tagc::source::SourceFile;

use crate::common::{compile_text, tags_files};

/// The SCP size limit and count of each policy of the sources, by name, with the minified
/// size of all its SCP statements.
fn scp_counts(sources: &[(String, String)]) -> Vec<(String, usize, usize)> {
    let mut files = Vec::new();
    for (name, text) in sources {
        let (file, errors) = tagc::syntax::parse(&SourceFile::new(name.clone(), text.clone()));
        assert!(errors.is_empty(), "{name}: {errors:?}");
        files.push(file);
    }
    let catalog = Catalog::builtin();
    let (project, errors) = tagc::check::check(&files, catalog);
    assert!(errors.is_empty(), "{errors:?}");
    let limit = Limits::of(project.settings.limits).scp_size;
    tagc::lower::lower(&project, catalog)
        .into_iter()
        .map(|low| {
            let parts = split_to_fit(&low.scp, limit);
            let size = parts.iter().map(|p| p.to_json().to_string().len()).sum();
            // The measurements docs/packing.md records (`-- --nocapture` shows them).
            println!(
                "{} ({:?}): {} SCPs, {} statements, {size} characters",
                low.name,
                project.settings.actions,
                parts.len(),
                low.scp.statements.len()
            );
            (low.name, parts.len(), size)
        })
        .collect()
}

fn realistic_org(compact: bool) -> Vec<(String, String)> {
    sources("tests/fixtures/packing/realistic-org", compact)
}

/// The `.tags` files under `dir`, with `actions compact` added to the `organization` block
/// when `compact`.
fn sources(dir: &str, compact: bool) -> Vec<(String, String)> {
    let files = tags_files(dir);
    assert!(!files.is_empty(), "{dir} has no .tags file");
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let text = if compact {
                text.replacen("organization {", "organization {\n  actions compact", 1)
            } else {
                text
            };
            (p.display().to_string(), text)
        })
        .collect()
}

fn count_of(counts: &[(String, usize, usize)], policy: &str) -> (usize, usize) {
    let found = counts.iter().find(|(n, _, _)| n == policy);
    let (_, count, size) = found.unwrap_or_else(|| panic!("no policy {policy} in {counts:?}"));
    (*count, *size)
}

#[test]
fn test_realistic_org_without_compression_needs_at_most_nine_scps() {
    let (count, size) = count_of(&scp_counts(&realistic_org(false)), "cost-allocation");
    // Target: 9 SCPs. Packed in statement order they take 10; first-fit-decreasing reaches 9.
    assert!(count <= 9, "{count} SCPs, {size} characters");
    assert!(size <= 9 * 10_240, "{size} characters do not fit 9 SCPs");
    // Before packing (main at the time): 33 SCPs, 311,890 characters.
    assert!(size < 90_000, "{size}");
}

#[test]
fn test_realistic_org_with_compression_needs_at_most_seven_scps() {
    let sources = realistic_org(true);
    assert!(sources.iter().any(|(_, t)| t.contains("actions compact")));
    let (count, size) = count_of(&scp_counts(&sources), "cost-allocation");
    // Target: 7 SCPs. Packed in statement order they take 8; first-fit-decreasing reaches 7.
    assert!(count <= 7, "{count} SCPs, {size} characters");
    assert!(size <= 7 * 10_240, "{size} characters do not fit 7 SCPs");
    let (exact, exact_size) = count_of(&scp_counts(&realistic_org(false)), "cost-allocation");
    assert!(count < exact && size < exact_size);
}

#[test]
fn test_ml_guardrails_fit_one_scp_with_compression() {
    let (exact, _) = count_of(&scp_counts(&sources("policies", false)), "ml-guardrails");
    let policies = sources("policies", true);
    assert!(policies.iter().any(|(_, t)| t.contains("actions compact")));
    let (compact, size) = count_of(&scp_counts(&policies), "ml-guardrails");
    assert_eq!(exact, 2);
    assert_eq!(compact, 1, "{size} characters");
}

#[test]
fn test_realistic_org_with_compression_builds_and_attaches_in_the_slots_of_the_root() {
    let text = realistic_org(true)
        .into_iter()
        .map(|(_, t)| t)
        .collect::<String>();
    let c = compile_text("org.tags", &text);
    assert!(c.ok(), "{}", c.diagnostics.render_human(false));
    let scps = c
        .artifacts()
        .iter()
        .filter(|a| a.kind == tagc::artifact::ArtifactKind::Scp)
        .count();
    // With FullAWSAccess, within the root's 10 slots.
    assert!(scps < 10, "{scps}");
    let wildcards = &c.manifest.wildcards;
    assert_eq!(wildcards.len(), 1, "{wildcards:?}");
    assert!(
        wildcards[0]
            .wildcards
            .iter()
            .all(|w| w.pattern.ends_with('*') && !w.matches.is_empty()),
        "{wildcards:?}"
    );
}

#[test]
fn test_realistic_org_without_compression_builds_within_the_slots_of_the_root() {
    // 9 SCPs and FullAWSAccess: exactly the root's 10 slots.
    let text = realistic_org(false)
        .into_iter()
        .map(|(_, t)| t)
        .collect::<String>();
    let c = compile_text("org.tags", &text);
    assert!(c.ok(), "{}", c.diagnostics.render_human(false));
    let scps = c
        .artifacts()
        .iter()
        .filter(|a| a.kind == tagc::artifact::ArtifactKind::Scp)
        .count();
    assert_eq!(scps, 9);
}

/// Every compact statement matches, among all the catalog's actions, exactly the actions of
/// the same statement written out: the wildcards take in no action of today's catalog that
/// the rules did not expand to.
#[test]
fn test_compact_statements_match_exactly_the_catalog_actions_of_the_exact_ones() {
    let catalog = Catalog::builtin();
    let lowered = |compact: bool| {
        let mut files = Vec::new();
        for (name, text) in realistic_org(compact) {
            files.push(tagc::syntax::parse(&SourceFile::new(name, text)).0);
        }
        let (project, errors) = tagc::check::check(&files, catalog);
        assert!(errors.is_empty(), "{errors:?}");
        tagc::lower::lower(&project, catalog)
    };
    let matched = |patterns: &[String]| -> Vec<String> {
        // A pattern names its service without a wildcard, so only those services can match.
        let mut out = Vec::new();
        for (prefix, svc) in &catalog.services {
            if !patterns
                .iter()
                .any(|p| p.starts_with(&format!("{prefix}:")))
            {
                continue;
            }
            for a in &svc.actions {
                let full = format!("{prefix}:{}", a.name);
                if patterns
                    .iter()
                    .any(|p| tagc::model::wildcard_match(p, &full, true))
                {
                    out.push(full);
                }
            }
        }
        out
    };
    let (exact, compact) = (lowered(false), lowered(true));
    let mut wildcards = 0;
    for (e, c) in exact.iter().zip(&compact) {
        assert_eq!(e.scp.statements.len(), c.scp.statements.len());
        for (se, sc) in e.scp.statements.iter().zip(&c.scp.statements) {
            wildcards += sc.actions.iter().filter(|a| a.contains('*')).count();
            assert!(sc.actions.len() <= se.actions.len());
            assert_eq!(matched(&sc.actions), matched(&se.actions), "{}", sc.sid);
        }
    }
    assert!(wildcards > 0);
}

/// Every resource type each action is authorized on, per AWS's full service reference (the
/// snapshot in `data/`), for the services named: `service:Action` (lowercased) → types.
fn full_resource_types(services: &[&str]) -> std::collections::BTreeMap<String, Vec<String>> {
    use std::io::Read as _;
    let file = std::fs::File::open(crate::common::root().join("data/aws-service-reference.tar.gz"))
        .unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = std::collections::BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let Some(service) = path
            .strip_prefix("aws-service-reference/")
            .and_then(|n| n.strip_suffix(".json"))
            .filter(|s| services.contains(s))
            .map(str::to_owned)
        else {
            continue;
        };
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for action in doc["Actions"].as_array().unwrap() {
            let name = action["Name"].as_str().unwrap();
            let types = action["Resources"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| r["Name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            out.insert(format!("{service}:{name}").to_ascii_lowercase(), types);
        }
    }
    out
}

/// The merge of resource-scoped statements reads, per action, only the resource types the
/// catalog keeps (those with a tag condition key). Against AWS's full list of the resource
/// types each action is authorized on, no merged statement of the realistic organization,
/// `policies/` or the examples applies an action to a resource type it is authorized on but
/// was not scoped to.
#[test]
fn test_merged_scoped_statements_meet_no_resource_type_the_rules_left_out() {
    let catalog = Catalog::builtin();
    let full = full_resource_types(&["ec2"]);
    let mut projects = vec![realistic_org(false), sources("policies", false)];
    projects.extend(
        tags_files("examples")
            .iter()
            .map(|p| vec![(p.display().to_string(), std::fs::read_to_string(p).unwrap())]),
    );
    let mut checked = 0;
    for sources in projects {
        let files: Vec<_> = sources
            .into_iter()
            .map(|(n, t)| tagc::syntax::parse(&SourceFile::new(n, t)).0)
            .collect();
        let (project, errors) = tagc::check::check(&files, catalog);
        // Warnings (an example acknowledges one with an allow comment) do not stop a build.
        assert!(
            errors
                .iter()
                .all(|e| miette::Diagnostic::severity(e) == Some(miette::Severity::Warning)),
            "{errors:?}"
        );
        for (policy, low) in project
            .policies
            .iter()
            .zip(tagc::lower::lower(&project, catalog))
        {
            // The types each action was scoped to by the rules.
            let scoped = |action: &str| -> Vec<&String> {
                policy
                    .requires
                    .iter()
                    .flat_map(|r| &r.actions)
                    .chain(policy.only_declared.iter().flat_map(|o| &o.actions))
                    .filter(|a| a.name.to_string() == action)
                    .flat_map(tagc::model::Action::resource_types)
                    .collect()
            };
            for s in low
                .scp
                .statements
                .iter()
                .filter(|s| !s.resources.is_empty())
            {
                for action in &s.actions {
                    let (service, _) = action.split_once(':').unwrap();
                    let Some(authorized) = full.get(&action.to_ascii_lowercase()) else {
                        continue;
                    };
                    let svc = catalog.service(service).unwrap();
                    for pattern in &s.resources {
                        for (ty, _) in svc.resources.iter().filter(|(_, ps)| ps.contains(pattern)) {
                            checked += 1;
                            assert!(
                                !authorized.contains(ty) || scoped(action).contains(&ty),
                                "{}: {action} is authorized on {ty} but scoped to {:?}, and statement {} covers {pattern}",
                                policy.name,
                                scoped(action),
                                s.sid
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 1_000, "{checked}");
}

/// The lowered SCP statements of one policy written in `text`.
fn scp_statements(text: &str) -> Vec<tagc::ir::Statement> {
    let (file, errors) = tagc::syntax::parse(&SourceFile::new("v.tags", text));
    assert!(errors.is_empty(), "{errors:?}");
    let catalog = Catalog::builtin();
    let (project, errors) = tagc::check::check(&[file], catalog);
    assert!(
        errors
            .iter()
            .all(|e| miette::Diagnostic::severity(e) == Some(miette::Severity::Warning)),
        "{errors:?}"
    );
    tagc::lower::lower(&project, catalog)
        .into_iter()
        .next()
        .unwrap()
        .scp
        .statements
}

#[test]
fn test_packing_keeps_a_conditional_requirement_apart_from_an_unconditional_one() {
    // Same key, same actions: merged, the two would be one statement with the `when` test,
    // and the unconditional requirement on `CreateModel` would be lost (or the other way).
    let statements = scp_statements(
        "tag owner\ntag environment { values \"dev\" \"production\" }\npolicy p {\n  require owner on sagemaker:CreateModel\n  require owner on sagemaker:CreateTrainingJob when environment = \"production\"\n  attach to root\n}\n",
    );
    let owner: Vec<&tagc::ir::Statement> = statements
        .iter()
        .filter(|s| s.sid.starts_with("RequireOwner"))
        .collect();
    assert_eq!(owner.len(), 2, "{statements:#?}");
    let conditional = owner.iter().find(|s| s.conditions.len() == 2).unwrap();
    let plain = owner.iter().find(|s| s.conditions.len() == 1).unwrap();
    assert_eq!(conditional.actions, ["sagemaker:CreateTrainingJob"]);
    assert_eq!(plain.actions, ["sagemaker:CreateModel"]);
    assert_eq!(
        conditional.conditions[1].key, "aws:RequestTag/environment",
        "{conditional:#?}"
    );
}

#[test]
fn test_forbids_of_different_values_stay_apart_and_equal_ones_merge() {
    let statements = scp_statements(
        "tag environment { values \"dev\" \"test\" \"production\" }\npolicy p {\n  forbid environment = \"test\" on sagemaker:CreateModel, sagemaker:AddTags\n  forbid environment = \"dev\" on sagemaker:CreateTrainingJob, sagemaker:AddTags\n  forbid environment = \"test\" on sagemaker:CreateEndpoint, sagemaker:AddTags\n  attach to root\n}\n",
    );
    let actions: Vec<(Vec<String>, Vec<String>)> = statements
        .iter()
        .map(|s| (s.actions.clone(), s.conditions[0].values.clone()))
        .collect();
    assert_eq!(
        actions,
        [
            (
                vec![
                    "sagemaker:CreateModel".to_owned(),
                    "sagemaker:AddTags".to_owned(),
                    "sagemaker:CreateEndpoint".to_owned()
                ],
                vec!["test".to_owned()]
            ),
            (
                vec![
                    "sagemaker:CreateTrainingJob".to_owned(),
                    "sagemaker:AddTags".to_owned()
                ],
                vec!["dev".to_owned()]
            ),
        ]
    );
}
