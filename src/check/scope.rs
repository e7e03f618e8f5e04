//! Per-rule scope: input, the `at` and `except` clauses that end a policy's rules; output,
//! each rule's principal patterns, the diagnostics about both clauses, and the policy split
//! into parts, one per distinct set of `at` targets.
//!
//! SCPs and tag policies are attached per target, so rules that apply at other targets than
//! their policy need documents of their own attached there: a part is a policy of the model
//! like any other (lower, emit, placement, plan and apply need nothing more), with the rules
//! of one `at` target set, the policy's `exempt`, `grant` and description, and a name made
//! from the policy's and the targets'. The part of the rules without `at` keeps the policy's
//! own name and targets.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::validate::check_principal_arn;
use super::{CheckError, CheckErrorKind, Checker};
use crate::ast::{RuleScope, Text};
use crate::model::{Policy, RuleKind, Target, wildcard_match};
use crate::source::Loc;

/// Where a rule goes: `None` for the policy's own targets, or an index into [`Placed::ats`].
pub(super) type Where = Option<usize>;

/// The checked `at` clause of one rule: its targets (sorted, each once) and where it is.
#[derive(Debug, Clone)]
pub(super) struct At {
    targets: Vec<(Target, Loc)>,
    /// The clause, from `at` to its last target.
    loc: Loc,
}

/// What the rules of one policy say about their placement, kept beside the model's rule lists
/// (one [`Where`] per rule, in the same order) until the policy is split.
#[derive(Debug, Default)]
pub(super) struct Placed {
    /// The `at` clauses, in the order of the rules.
    pub ats: Vec<At>,
    /// One per enforcing statement: whether it goes to the policy's own targets.
    pub statements: Vec<Where>,
    /// One per `require` rule of the model.
    pub requires: Vec<Where>,
    /// One per `only-declared-keys` rule.
    pub only_declared: Vec<Where>,
    /// One per `protect` rule.
    pub protects: Vec<Where>,
    /// One per `forbid` rule.
    pub forbids: Vec<Where>,
    /// One per `enforce` key.
    pub enforce: Vec<Where>,
    /// One per `report` key.
    pub report: Vec<Where>,
    /// One per expansion.
    pub expansions: Vec<Where>,
    /// Every `except` pattern written, for the check against the policy's `exempt`.
    pub excepts: Vec<Text>,
}

/// Longest part name: AWS allows 128 characters in a policy name
/// (<https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html>), and
/// tagc's artifact names add a prefix and a suffix (`tagc-…-shared-scp-10`).
const MAX_PART_NAME: usize = 96;

/// The name of the part of `policy` placed at `targets` (sorted): `POLICY-at-` and each target
/// in lowercase letters and digits, other characters as `-` (`ml-at-ou-root-ml-training`).
/// It depends only on the policy's name and the set of targets, so it is the same whatever
/// order the rules and targets are written in. A name that would be too long is cut and ends
/// in the first 8 hexadecimal digits of the SHA-256 of the targets, so it stays distinct.
pub fn part_name(policy: &str, targets: &[Target]) -> String {
    let mut slug = String::new();
    for t in targets {
        let text = t.to_string();
        for c in text.chars() {
            let c = if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            };
            if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
                slug.push(c);
            }
        }
        if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let name = format!("{policy}-at-{slug}");
    if name.len() <= MAX_PART_NAME {
        return name;
    }
    let canonical: Vec<String> = targets.iter().map(ToString::to_string).collect();
    let digest = Sha256::digest(canonical.join("\n").as_bytes());
    let hex = digest.iter().take(4).fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    let keep = MAX_PART_NAME - hex.len() - 1;
    // Every character of the name is ASCII, so any byte index is a character boundary.
    let head = name.get(..keep).unwrap_or(&name).trim_end_matches('-');
    format!("{head}-{hex}")
}

/// Whether every principal `pattern` matches is also matched by `exempt`: the same pattern,
/// or an `exempt` without `?` that matches the text of `pattern` (its `*` and `?` read as
/// characters). The latter is sound because only a `*` of `exempt` can match a wildcard of
/// `pattern`, and it matches whatever that wildcard stands for as well.
fn covered_by(exempt: &str, pattern: &str) -> bool {
    exempt == pattern || (!exempt.contains('?') && wildcard_match(exempt, pattern, false))
}

impl Checker<'_> {
    /// The principal patterns of a rule's `except`, each checked as `exempt`'s are. On
    /// `enforce` and `report` the clause is an error: a tag policy spares no principal.
    pub(super) fn check_except(
        &mut self,
        scope: &RuleScope,
        kind: RuleKind,
        placed: &mut Placed,
    ) -> Vec<String> {
        if scope.except.is_empty() {
            return Vec::new();
        }
        if matches!(kind, RuleKind::Enforce | RuleKind::Report) {
            let loc = scope
                .except_loc
                .clone()
                .unwrap_or_else(|| scope.except[0].loc.clone());
            self.err(
                CheckErrorKind::ExceptOnTagPolicyRule(kind.word().into()),
                &loc,
            );
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for arn in &scope.except {
            if let Some(e) = check_principal_arn(arn) {
                self.push(e);
            }
            if out.contains(&arn.value) {
                self.err(CheckErrorKind::DuplicateInList(arn.value.clone()), &arn.loc);
            } else {
                out.push(arn.value.clone());
                placed.excepts.push(arn.clone());
            }
        }
        out
    }

    /// The rule's `at` clause, checked: where the rule goes.
    pub(super) fn check_at(&mut self, scope: &RuleScope, placed: &mut Placed) -> Where {
        if scope.at.is_empty() {
            return None;
        }
        let mut targets: Vec<(Target, Loc)> = Vec::new();
        for t in &scope.at {
            let Some((target, loc)) = self.check_target(t) else {
                continue;
            };
            if let Some((_, first)) = targets.iter().find(|(x, _)| *x == target) {
                self.push(
                    CheckError::new(CheckErrorKind::DuplicateTarget(target.to_string()), loc)
                        .with_related(first, "first listed here"),
                );
                continue;
            }
            targets.push((target, loc));
        }
        if targets.is_empty() {
            return None;
        }
        let loc = scope.at_loc.clone().unwrap_or_else(|| targets[0].1.clone());
        targets.sort_by(|a, b| a.0.cmp(&b.0));
        placed.ats.push(At { targets, loc });
        Some(placed.ats.len() - 1)
    }

    /// The diagnostics that need the whole policy: `except` patterns its `exempt` covers, and
    /// `at` targets outside its attachment (with no `attach`, the rules' `at` alone place them).
    pub(super) fn check_placed(
        &mut self,
        policy: &Policy,
        placed: &Placed,
        attach: &[(Target, Loc)],
    ) {
        for pattern in &placed.excepts {
            if policy.exempt.iter().any(|e| covered_by(e, &pattern.value)) {
                self.err(
                    CheckErrorKind::ExceptCoveredByExempt {
                        pattern: pattern.value.clone(),
                        policy: policy.name.clone(),
                    },
                    &pattern.loc,
                );
            }
        }
        if attach.is_empty() {
            return;
        }
        for (target, loc) in placed.ats.iter().flat_map(|a| &a.targets) {
            if attach.iter().any(|(t, _)| t.applies_to(target)) {
                continue;
            }
            let mut e = CheckError::new(
                CheckErrorKind::AtOutsideAttachment {
                    target: target.to_string(),
                    policy: policy.name.clone(),
                },
                loc.clone(),
            );
            for (_, attach_loc) in attach {
                e = e.with_related(attach_loc, "the policy is attached here");
            }
            self.push(e);
        }
    }

    /// `policy` split by where its rules go: the part of the rules without `at` (when there is
    /// one, with the policy's own name and targets), then one part per distinct set of `at`
    /// targets, ordered by name. A set equal to the policy's own targets is the policy's part.
    /// Each part comes with the `at` clause of the first rule placed in it (`None` for the
    /// policy's own part), where a diagnostic about the part points.
    pub(super) fn split_parts(policy: Policy, placed: &Placed) -> Vec<(Policy, Option<Loc>)> {
        if placed.ats.is_empty() {
            return vec![(policy, None)];
        }
        let mut own = policy.targets.clone();
        own.sort();
        // Each rule's key: `None` for the policy's own part, else its sorted targets.
        let key = |w: &Where| -> Option<Vec<Target>> {
            let at = w.and_then(|i| placed.ats.get(i))?;
            let targets: Vec<Target> = at.targets.iter().map(|(t, _)| t.clone()).collect();
            (targets != own).then_some(targets)
        };
        // By name, then targets: two sets of targets whose names are the same (`Root/A-B` and
        // `Root/A/B`) make two parts of that name, which `check_part_names` reports.
        let mut keys: BTreeSet<(String, Vec<Target>)> = BTreeSet::new();
        let mut has_own = false;
        for w in &placed.statements {
            match key(w) {
                None => has_own = true,
                Some(targets) => {
                    keys.insert((part_name(&policy.name, &targets), targets));
                }
            }
        }
        let mut parts = Vec::new();
        let make = |name: String, targets: Option<Vec<Target>>| -> Policy {
            let want = targets.clone();
            let keep = |w: &Where| key(w) == want;
            let mut part = policy.clone();
            retain_by(&mut part.requires, &placed.requires, keep);
            retain_by(&mut part.only_declared, &placed.only_declared, keep);
            retain_by(&mut part.protects, &placed.protects, keep);
            retain_by(&mut part.forbids, &placed.forbids, keep);
            retain_by(&mut part.enforce, &placed.enforce, keep);
            retain_by(&mut part.report, &placed.report, keep);
            retain_by(&mut part.expansions, &placed.expansions, keep);
            if let Some(targets) = targets {
                part.part_of = Some(policy.name.clone());
                part.name = name;
                part.targets = targets;
            }
            part
        };
        if has_own {
            parts.push((make(policy.name.clone(), None), None));
        }
        for (name, targets) in keys {
            // Rules are in the order written, so the first that goes here made the part.
            let at = placed
                .statements
                .iter()
                .find(|w| key(w).as_ref() == Some(&targets))
                .and_then(|w| w.and_then(|i| placed.ats.get(i)))
                .map(|a| a.loc.clone());
            parts.push((make(name, Some(targets.clone())), at));
        }
        parts
    }

    /// Parts whose names another policy or part has: reported at the `at` clause that made the
    /// part, with the other policy's name. Run once every policy is checked.
    pub(super) fn check_part_names(&mut self) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        let mut found = Vec::new();
        let policies = &self.project.policies;
        for (i, p) in policies.iter().enumerate() {
            match seen.get(p.name.as_str()) {
                Some(&first) => {
                    let (part_index, other_index) = if p.part_of.is_some() {
                        (i, first)
                    } else {
                        (first, i)
                    };
                    let (Some(part), Some(other)) =
                        (policies.get(part_index), policies.get(other_index))
                    else {
                        continue;
                    };
                    let at_of = |i: usize| self.places.part_at.get(i).cloned().flatten();
                    let at = at_of(part_index).unwrap_or_else(|| part.name_loc());
                    // Another part is shown by the `at` that makes it, a policy by its name.
                    let (other_loc, other_label) = match at_of(other_index) {
                        Some(loc) => (loc, "the other part's `at`"),
                        None => (other.name_loc(), "the other policy"),
                    };
                    found.push(
                        CheckError::new(
                            CheckErrorKind::PartNameCollision {
                                part: part.name.clone(),
                                policy: part.part_of.clone().unwrap_or_default(),
                                other: other.part_of.as_ref().map_or_else(
                                    || format!("policy `{}`", other.name),
                                    |q| format!("a part of policy `{q}`"),
                                ),
                            },
                            at,
                        )
                        .with_related(&other_loc, other_label),
                    );
                }
                None => {
                    seen.insert(&p.name, i);
                }
            }
        }
        self.errors.extend(found);
    }
}

/// Keep the items of `items` whose [`Where`] in `wheres` (one per item, same order) `keep`s.
fn retain_by<T>(items: &mut Vec<T>, wheres: &[Where], keep: impl Fn(&Where) -> bool) {
    let mut it = wheres.iter();
    items.retain(|_| it.next().is_some_and(&keep));
}

#[cfg(test)]
mod tests {
    use super::super::check_text;
    use super::part_name;
    use crate::model::Target;

    fn source(body: &str) -> String {
        format!("tag owner\ntag cc\npolicy p {{\n{body}\n}}\n")
    }

    #[test]
    fn test_part_name_depends_on_the_set_of_targets_only() {
        let a = Target::OuPath("Root/ML/Training".into());
        let b = Target::Account("123456789012".into());
        let mut ab = vec![a.clone(), b.clone()];
        ab.sort();
        assert_eq!(
            part_name("p", &ab),
            "p-at-ou-root-ml-training-account-123456789012"
        );
        assert_eq!(part_name("p", &[a]), "p-at-ou-root-ml-training");
        assert_eq!(part_name("p", &[Target::Root]), "p-at-root");
    }

    #[test]
    fn test_long_part_name_is_cut_and_keeps_a_hash_of_the_targets() {
        let deep = |last: &str| Target::OuPath(format!("Root/{}/{last}", "A".repeat(100)));
        let (one, two) = (part_name("p", &[deep("x")]), part_name("p", &[deep("y")]));
        assert!(one.len() <= super::MAX_PART_NAME, "{one}");
        assert_ne!(one, two);
        assert!(
            one.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{one}"
        );
    }

    /// A policy's name, targets, required keys, and the policy it is a part of.
    type Part<'a> = (&'a str, Vec<Target>, Vec<String>, Option<&'a str>);

    #[test]
    fn test_rules_with_at_become_a_part_attached_there() {
        let (project, codes) = check_text(&source(
            "  require owner on sqs:CreateQueue\n  require cc on sqs:CreateQueue at ou \"Root/ML/Training\"\n  exempt \"arn:aws:iam::*:role/Admin\"\n  attach to ou \"Root/ML\"",
        ));
        assert!(codes.is_empty(), "{codes:?}");
        let parts: Vec<Part<'_>> = project
            .policies
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.targets.clone(),
                    p.requires.iter().flat_map(|r| r.keys.clone()).collect(),
                    p.part_of.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            parts,
            [
                (
                    "p",
                    vec![Target::OuPath("Root/ML".into())],
                    vec!["owner".to_owned()],
                    None
                ),
                (
                    "p-at-ou-root-ml-training",
                    vec![Target::OuPath("Root/ML/Training".into())],
                    vec!["cc".to_owned()],
                    Some("p")
                ),
            ]
        );
        // The part carries the policy's exemption.
        assert_eq!(project.policies[1].exempt, ["arn:aws:iam::*:role/Admin"]);
        assert_eq!(project.placements.len(), 2);
    }

    #[test]
    fn test_at_equal_to_the_policy_targets_makes_no_part() {
        let (project, codes) = check_text(&source(
            "  require cc on sqs:CreateQueue at ou \"Root/ML\"\n  attach to ou \"Root/ML\"",
        ));
        assert!(codes.is_empty(), "{codes:?}");
        let names: Vec<&str> = project.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["p"]);
    }

    #[test]
    fn test_every_rule_placed_with_at_leaves_no_empty_policy_part() {
        let (project, codes) = check_text(&source(
            "  require cc on sqs:CreateQueue at account \"123456789012\"\n  protect cc on sagemaker at account \"123456789012\"",
        ));
        assert!(codes.is_empty(), "{codes:?}");
        let names: Vec<&str> = project.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["p-at-account-123456789012"]);
        assert_eq!(project.policies[0].requires.len(), 1);
        assert_eq!(project.policies[0].protects.len(), 1);
    }

    #[test]
    fn test_at_outside_the_attachment_is_an_error() {
        for (at, attach) in [
            ("ou \"Root/Finance\"", "ou \"Root/ML\""),
            ("ou \"Root/MLOps\"", "ou \"Root/ML\""),
            ("account \"123456789012\"", "ou \"Root/ML\""),
            ("root", "ou \"Root/ML\""),
        ] {
            let (_, codes) = check_text(&source(&format!(
                "  require cc on sqs:CreateQueue at {at}\n  attach to {attach}"
            )));
            assert_eq!(codes, ["tagc::check::at-outside-attachment"], "{at}");
        }
        let (_, codes) = check_text(&source(
            "  require cc on sqs:CreateQueue at account \"123456789012\"\n  attach to root",
        ));
        assert!(codes.is_empty(), "{codes:?}");
    }

    #[test]
    fn test_except_is_kept_per_rule_and_checked_as_exempt_is() {
        let (project, codes) = check_text(&source(
            "  require owner on sqs:CreateQueue except \"arn:aws:iam::*:role/FinOps\"\n  require cc on sqs:CreateQueue\n  attach to root",
        ));
        assert!(codes.is_empty(), "{codes:?}");
        let excepts: Vec<&[String]> = project.policies[0]
            .requires
            .iter()
            .map(|r| r.except.as_slice())
            .collect();
        assert_eq!(
            excepts,
            [["arn:aws:iam::*:role/FinOps".to_owned()].as_slice(), &[]]
        );
        let (_, codes) = check_text(&source(
            "  protect cc on sagemaker except \"arn:aws:sts::123456789012:assumed-role/A/s\", \"nope\"\n  attach to root",
        ));
        assert!(
            codes.contains(&"tagc::check::invalid-arn".to_owned()),
            "{codes:?}"
        );
    }

    #[test]
    fn test_except_on_a_tag_policy_rule_is_an_error() {
        for rule in ["enforce", "report"] {
            let (_, codes) = check_text(&source(&format!(
                "  {rule} cc for sqs:queue except \"arn:aws:iam::*:role/A\"\n  attach to root"
            )));
            assert_eq!(codes, ["tagc::check::except-on-tag-policy-rule"], "{rule}");
        }
    }

    #[test]
    fn test_except_covered_by_the_policy_exempt_is_warned() {
        for (exempt, except, warned) in [
            (
                "arn:aws:iam::*:role/Admin",
                "arn:aws:iam::*:role/Admin",
                true,
            ),
            ("arn:aws:iam::*:role/*", "arn:aws:iam::*:role/FinOps*", true),
            (
                "arn:aws:iam::*:role/Admin*",
                "arn:aws:iam::*:role/FinOps",
                false,
            ),
            ("arn:aws:iam::*:role/A?", "arn:aws:iam::*:role/A*", false),
        ] {
            let (_, codes) = check_text(&source(&format!(
                "  protect cc on sagemaker except \"{except}\"\n  exempt \"{exempt}\"\n  attach to root"
            )));
            let expected: &[&str] = if warned {
                &["tagc::check::except-covered-by-exempt"]
            } else {
                &[]
            };
            assert_eq!(codes, expected, "{exempt} / {except}");
        }
    }

    #[test]
    fn test_part_named_like_another_policy_is_an_error() {
        let (_, codes) = check_text(
            "tag cc\npolicy p {\n  protect cc on sagemaker at ou \"Root/ML\"\n  attach to root\n}\npolicy p-at-ou-root-ml {\n  protect cc on sagemaker\n  attach to root\n}\n",
        );
        assert_eq!(codes, ["tagc::check::part-name-collision"]);
    }

    /// The one error's place and its related labels, as (offset, text there, label).
    fn places(text: &str) -> Vec<(usize, String, Option<String>)> {
        let source = crate::source::SourceFile::new("t.tags", text);
        let (file, _) = crate::syntax::parse(&source);
        let (_, errors) = super::super::check_files(vec![file], crate::catalog::Catalog::builtin());
        assert_eq!(errors.len(), 1, "{errors:?}");
        miette::Diagnostic::labels(&errors[0])
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, l)| {
                let at = text[l.offset()..l.offset() + l.len()].to_owned();
                // The primary label is the error's own place.
                (
                    l.offset(),
                    at,
                    l.label().filter(|_| i > 0).map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn test_part_name_collision_points_at_the_first_at_that_makes_the_part() {
        let text = "tag cc\npolicy p-at-ou-root-ml {\n  require cc on sqs:CreateQueue\n  attach to root\n}\npolicy p {\n  require cc on sqs:CreateQueue\n  require cc on sagemaker:CreateModel at ou \"Root/ML\"\n  require cc on sqs:CreateQueue at ou \"Root/ML\"\n  attach to root\n}\n";
        let first_at = text.find("at ou").unwrap_or_default();
        assert_eq!(
            places(text),
            [
                (first_at, "at ou \"Root/ML\"".to_owned(), None),
                (
                    text.find("p-at").unwrap_or_default(),
                    "p-at-ou-root-ml".to_owned(),
                    Some("the other policy".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn test_two_parts_with_one_name_point_at_both_at_clauses() {
        let text = "tag cc\npolicy p {\n  require cc on sqs:CreateQueue at ou \"Root/A-B\"\n  require cc on sagemaker:CreateModel at ou \"Root/A/B\"\n  attach to root\n}\n";
        let found = places(text);
        let texts: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|(_, t, l)| (t.as_str(), l.as_deref()))
            .collect();
        assert_eq!(
            texts,
            [
                ("at ou \"Root/A/B\"", None),
                ("at ou \"Root/A-B\"", Some("the other part's `at`")),
            ]
        );
    }

    #[test]
    fn test_two_target_sets_with_one_part_name_are_reported_and_both_kept() {
        let (project, codes) = check_text(&source(
            "  require owner on sqs:CreateQueue at ou \"Root/A-B\"\n  require cc on sqs:CreateQueue at ou \"Root/A/B\"\n  attach to root",
        ));
        assert_eq!(codes, ["tagc::check::part-name-collision"]);
        let keys: Vec<Vec<String>> = project
            .policies
            .iter()
            .map(|p| p.requires.iter().flat_map(|r| r.keys.clone()).collect())
            .collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
    }

    #[test]
    fn test_new_words_stay_valid_tag_names() {
        let (project, codes) = check_text(
            "tag at\ntag when\ntag except\ntag set\ntag forbid\npolicy p {\n  require at, when, except, set, forbid on sqs:CreateQueue at root except \"arn:aws:iam::*:role/A\"\n  protect at, except on sagemaker\n  attach to root\n}\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        let keys: Vec<String> = project.policies[0].requires[0].keys.clone();
        assert_eq!(keys, ["at", "when", "except", "set", "forbid"]);
        assert_eq!(project.policies[0].protects[0].keys, ["at", "except"]);
    }
}
