//! Building requests against compiled projects, shared by the differential tests (random
//! requests) and the exhaustive check (every class of request the rules can tell apart): the
//! projects of `examples/`, `policies/` and the fixtures compiled with their evaluator, and the
//! resource ARNs a request for an action can name.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tagc::artifact::Artifact;
use tagc::catalog::Catalog;
use tagc::model::Project;
use tagc::source::SourceFile;
use tagc::verify::Verifier;

use super::root;

/// The account in the ARNs requests name.
pub const ACCOUNT: &str = "111122223333";

/// A project compiled without errors, with the evaluator on its emitted documents.
pub struct Compiled {
    /// The checked project: the reference semantics' input.
    pub project: Project,
    /// The emitted artifacts.
    pub artifacts: Vec<Artifact>,
    /// The evaluator on them.
    pub verifier: Verifier<'static>,
}

/// Compile `sources` (name, text) as one project. Every project given here is valid, so a
/// compile error is returned with its diagnostics, for the test to fail with.
pub fn compile_project(name: &str, sources: &[(String, String)]) -> Result<Compiled, String> {
    let files: Vec<Arc<SourceFile>> = sources
        .iter()
        .map(|(n, t)| SourceFile::new(n.clone(), t.clone()))
        .collect();
    let compiled = tagc::compile_sources(&files, Catalog::builtin());
    let Some(project) = compiled
        .project
        .filter(|_| !compiled.diagnostics.has_errors())
    else {
        return Err(format!(
            "{name} does not compile:\n{}",
            compiled.diagnostics.render_human(false)
        ));
    };
    let verifier = Verifier::new(&compiled.manifest.artifacts, Catalog::builtin())
        .map_err(|e| format!("{name}: an emitted document does not parse: {e}"))?;
    Ok(Compiled {
        project,
        artifacts: compiled.manifest.artifacts,
        verifier,
    })
}

/// The `.tags` files directly under `dir`, as (name relative to the repository, text).
pub fn sources_in(dir: &str) -> Vec<(String, String)> {
    super::tags_files(dir)
        .iter()
        .map(|p| (relative(p), std::fs::read_to_string(p).unwrap()))
        .collect()
}

/// `path` relative to the repository root.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Push `item` unless it is already in `list`.
pub fn push_new(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// An ARN matching `pattern`: each `*` filled in as its position in the ARN asks.
pub fn arn(pattern: &str) -> String {
    pattern
        .splitn(6, ':')
        .enumerate()
        .map(|(i, part)| match i {
            1 => part.replace('*', "aws"),
            3 => part.replace('*', "us-east-1"),
            4 => part.replace('*', ACCOUNT),
            _ => part.replace('*', "x1"),
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// Per service: the ARNs the project's rules are scoped to, and the ARNs of the resource types
/// its tag policies enforce.
pub fn scoped_and_enforced(
    project: &Project,
) -> (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>) {
    let catalog = Catalog::builtin();
    let mut scoped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut enforced: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &project.policies {
        let rule_actions = p
            .requires
            .iter()
            .flat_map(|r| &r.actions)
            .chain(p.only_declared.iter().flat_map(|o| &o.actions));
        for a in rule_actions {
            for r in a.resources() {
                push_new(
                    scoped.entry(a.name.service().to_owned()).or_default(),
                    arn(r),
                );
            }
        }
        for t in p.enforce.iter().flat_map(|r| &r.resource_types) {
            let (service, ty) = (t.service(), t.kind());
            let list = enforced.entry(service.to_owned()).or_default();
            if ty != "ALL_SUPPORTED" && ty != "*" {
                // The ARN shape both sides read `service:type` from.
                push_new(
                    list,
                    format!("arn:aws:{service}:us-east-1:{ACCOUNT}:{ty}/x1"),
                );
            }
            if let Some(patterns) = catalog.service(service).and_then(|s| s.resources.get(ty)) {
                for pattern in patterns {
                    push_new(list, arn(pattern));
                }
            }
        }
    }
    (scoped, enforced)
}

/// The resources a request for `action` can name: for a create, ARNs of every type the action
/// touches, whether a rule is scoped to it or not (EC2 `RunInstances`: instances and volumes,
/// but also images, subnets and security groups); for a tagging action, the types a rule is
/// scoped to or a tag policy enforces, and two others.
pub fn resources_of(
    action: &str,
    scoped: &BTreeMap<String, Vec<String>>,
    enforced: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let (service, name) = action.split_once(':').unwrap_or((action, ""));
    let Some(svc) = Catalog::builtin().service(service) else {
        return Vec::new();
    };
    let Some(info) = svc.action(name) else {
        return Vec::new();
    };
    let mut types: Vec<&String> = Vec::new();
    for support in [&info.request_tag, &info.tag_keys, &info.resource_tag] {
        for t in support.resource_types().unwrap_or_default() {
            if !types.contains(&t) {
                types.push(t);
            }
        }
    }
    let mut out = Vec::new();
    if info.tagging_only {
        for list in [scoped.get(service), enforced.get(service)]
            .into_iter()
            .flatten()
        {
            for a in list {
                push_new(&mut out, a.clone());
            }
        }
        types.truncate(2);
    }
    for t in types {
        for pattern in svc.resources.get(t).into_iter().flatten() {
            push_new(&mut out, arn(pattern));
        }
    }
    out
}
