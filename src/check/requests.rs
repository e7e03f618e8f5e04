//! Requests: input, a `test` block or the request `tagc eval` is given; output, the model's
//! `TestCase` or `Request` with its origin, every part checked against the project and the
//! catalog before anything is evaluated, or a diagnostic.

use super::validate::{check_principal_arn, check_resource_arn, malformed_action, split_action};
use super::{CheckError, CheckErrorKind, Checker, did_you_mean};
use crate::ast::{self, TargetRef, Text};
use crate::catalog::Catalog;
use crate::model::{ActionName, DEFAULT_PRINCIPAL, Project, Request, Target, TestCase};

/// A request as written, each part with its place for diagnostics: a `test` block's, or
/// `tagc eval`'s flags.
#[derive(Clone, Copy)]
pub struct RequestText<'a> {
    /// The action.
    pub action: &'a Text,
    /// The create a tagging action runs as part of.
    pub during: Option<&'a Text>,
    /// The caller's ARN.
    pub principal: Option<&'a Text>,
    /// The tags set, key and value.
    pub tags: &'a [(Text, Text)],
    /// The resource's ARN.
    pub resource: Option<&'a Text>,
    /// Where in the organization the request comes from.
    pub from: Option<&'a TargetRef>,
}

/// Check a request given outside a `test` block, such as `tagc eval`'s flags, the way a test
/// block's request is checked (see `check_test`), and also that its origin is an OU the
/// project names: its policies' targets, the OUs on their paths, and the OUs below a target
/// (which only the policies above them reach). tagc knows no other OU, so it cannot tell a typo
/// from an OU it has never heard of. Returns the request (without tags) and its origin when no
/// error was found, and every diagnostic.
pub fn check_request(
    project: &Project,
    catalog: &Catalog,
    request: &RequestText<'_>,
) -> (Option<(Request, Option<Target>)>, Vec<CheckError>) {
    let mut cx = Checker {
        catalog,
        errors: Vec::new(),
        project: Project::default(),
        places: super::Places::default(),
    };
    let RequestText {
        action,
        during,
        principal,
        tags,
        resource,
        from,
    } = *request;
    let checked = cx.check_request(action, during, principal, tags, resource, from);
    if let (Some((_, Some(origin))), Some(TargetRef::Ou(text))) = (&checked, from)
        && let Some(e) = unknown_ou(project, origin, text)
    {
        cx.push(e);
    }
    let ok = !cx
        .errors
        .iter()
        .any(|e| miette::Diagnostic::severity(e) == Some(miette::Severity::Error));
    (checked.filter(|_| ok), cx.errors)
}

/// An `unknown-ou` error when no target of the project is `origin`, above it or below it.
fn unknown_ou(project: &Project, origin: &Target, text: &Text) -> Option<CheckError> {
    // The project names an OU by attaching a policy there or by making a test's request from
    // it: a test block states that the OU exists.
    let targets: Vec<&Target> = project
        .policies
        .iter()
        .flat_map(|p| &p.targets)
        .chain(project.tests.iter().filter_map(|t| t.from.as_ref()))
        .collect();
    let named = targets.iter().any(|t| match (t, origin) {
        (Target::OuPath(t), Target::OuPath(o)) => {
            let below = |a: &str, b: &str| a.strip_prefix(b).is_some_and(|r| r.starts_with('/'));
            t == o || below(t, o) || below(o, t)
        }
        (t, o) => *t == o,
    });
    if named {
        return None;
    }
    // The OUs the project names: each OU path target and the OUs on its way.
    let mut known: Vec<String> = Vec::new();
    for t in &targets {
        match t {
            Target::OuPath(p) => {
                let segments: Vec<&str> = p.split('/').collect();
                // `Root/A`, `Root/A/B`, …: never `Root` alone, which is not an OU.
                for n in 2..=segments.len() {
                    known.push(segments[..n].join("/"));
                }
            }
            Target::OuId(id) => known.push(id.clone()),
            Target::Root | Target::Account(_) => {}
        }
    }
    known.sort();
    known.dedup();
    let help = if let Some(s) = did_you_mean(&text.value, known.iter().map(String::as_str)) {
        format!("did you mean `{s}`?")
    } else if known.is_empty() {
        "no policy of the project is attached to an OU: leave out `--ou` to ask about the root"
            .to_owned()
    } else {
        let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        format!("the project names {}", list.join(", "))
    };
    Some(
        CheckError::new(
            CheckErrorKind::UnknownOu(text.value.clone()),
            text.loc.clone(),
        )
        .with_help(help),
    )
}

impl Checker<'_> {
    pub(super) fn check_test(&mut self, t: &ast::TestDecl) {
        if let Some(prev) = self.project.tests.iter().find(|x| x.name == t.name.value) {
            let e = CheckError::new(
                CheckErrorKind::DuplicateTest(t.name.value.clone()),
                t.name.loc.clone(),
            )
            .with_related(&prev.loc, "first declared here");
            self.push(e);
            return;
        }
        let Some((request, from)) = self.check_request(
            &t.action,
            t.during.as_ref(),
            t.principal.as_ref(),
            &t.tags,
            t.resource.as_ref(),
            t.from.as_ref(),
        ) else {
            return;
        };
        self.project.tests.push(TestCase {
            name: t.name.value.clone(),
            request: Request {
                tags: t
                    .tags
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
                ..request
            },
            expect: t.expect.value,
            layer: t.layer.as_ref().map(|l| l.value),
            from,
            loc: t.name.loc.clone(),
        });
    }

    /// The parts of a request that name things, in a `test` block or on `tagc eval`'s command
    /// line: the action and `during` are exact actions of the catalog, each tag key set once,
    /// the principal and the resource ARNs, the origin a target. Every problem is reported;
    /// `None` when the action is unusable. The request returned has no tags.
    pub(super) fn check_request(
        &mut self,
        action: &Text,
        during: Option<&Text>,
        principal: Option<&Text>,
        tags: &[(Text, Text)],
        resource: Option<&Text>,
        from: Option<&TargetRef>,
    ) -> Option<(Request, Option<Target>)> {
        let action_name = self.known_action(action);
        let during = during.and_then(|d| self.known_action(d));
        if let (Some(_), Some(a)) = (&during, &action_name) {
            let tagging = self
                .catalog
                .action(a.service(), a.action())
                .is_some_and(|i| i.tagging_only);
            if !tagging {
                self.err(
                    CheckErrorKind::DuringOnNonTagging(a.to_string()),
                    &action.loc,
                );
            }
        }
        let principal = match principal {
            Some(p) => {
                if let Some(e) = check_principal_arn(p) {
                    self.push(e);
                }
                p.value.clone()
            }
            None => DEFAULT_PRINCIPAL.to_owned(),
        };
        // One key twice has no single value for `aws:RequestTag/KEY`, whose key part IAM
        // compares case-insensitively
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requesttag).
        for (i, (key, _)) in tags.iter().enumerate() {
            if let Some(uses) = &mut self.places.tag_uses
                && let Some(tag) = self.project.tag_ignore_case(&key.value)
            {
                uses.push((tag.key.clone(), key.loc.clone()));
            }
            if let Some((first, _)) = tags[..i]
                .iter()
                .find(|(k, _)| k.value.eq_ignore_ascii_case(&key.value))
            {
                let e = CheckError::new(
                    CheckErrorKind::DuplicateRequestTag(first.value.clone()),
                    key.loc.clone(),
                )
                .with_related(&first.loc, "first set here");
                self.push(e);
            }
        }
        if let Some(e) = resource.and_then(check_resource_arn) {
            self.push(e);
        }
        let from = from.and_then(|f| self.check_target(f)).map(|(t, _)| t);
        let request = Request {
            principal,
            action: action_name?,
            tags: Vec::new(),
            on_create: during.map(|d| d.action().to_owned()),
            resource: resource.map(|r| r.value.clone()),
        };
        Some((request, from))
    }

    /// An exact action that must exist; returns it in AWS's casing.
    pub(super) fn known_action(&mut self, text: &Text) -> Option<ActionName> {
        let Some((service, name)) = split_action(&text.value) else {
            self.push(malformed_action(text));
            return None;
        };
        if name.contains('*') || name.contains('?') {
            self.push(
                CheckError::new(
                    CheckErrorKind::MalformedAction(text.value.clone()),
                    text.loc.clone(),
                )
                .with_help("a test requests one action: write it without wildcards"),
            );
            return None;
        }
        let svc = self.known_service(service, &text.loc)?;
        if let Some(info) = svc.action(name) {
            return Some(ActionName::new(&svc.prefix, &info.name));
        }
        self.unknown_action(text, service, name);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::check_text;
    use super::{RequestText, check_request};
    use crate::ast::{TargetRef, Text};
    use crate::catalog::Catalog;
    use crate::source::{Loc, SourceFile, Span};

    #[test]
    fn test_test_block_named_twice_is_reported() {
        let block = "test \"same name\" {\n  request sqs:CreateQueue\n  expect allow\n}\n";
        let (project, codes) = check_text(&format!("{block}{block}"));
        assert_eq!(codes, ["tagc::check::duplicate-test"]);
        assert_eq!(project.tests.len(), 1);
    }

    #[test]
    fn test_request_from_an_ou_the_project_never_names_is_refused() {
        let (project, codes) = check_text(
            "tag owner\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to ou \"Root/ML\"\n}\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        let source = SourceFile::new("flags", "");
        let text = |value: &str| Text {
            value: value.to_owned(),
            loc: Loc::new(source.clone(), Span::new(0, 0)),
        };
        let action = text("sqs:CreateQueue");
        let from = TargetRef::Ou(text("Root/Ml"));
        let request = RequestText {
            action: &action,
            during: None,
            principal: None,
            tags: &[],
            resource: None,
            from: Some(&from),
        };
        let (checked, errors) = check_request(&project, Catalog::builtin(), &request);
        assert!(checked.is_none());
        let codes: Vec<String> = errors
            .iter()
            .map(|e| {
                miette::Diagnostic::code(e)
                    .map(|c| c.to_string())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(codes, ["tagc::check::unknown-ou"]);
    }
}
