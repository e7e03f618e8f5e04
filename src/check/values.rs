//! Value rules: input, a `forbid` statement or the `when` clause of a `require`; output, the
//! model's `Forbid` rule or `ValueMatch`, and diagnostics for value tests that can never hold,
//! that repeat what the tag's `values` already say, or that leave a way around them.
//!
//! Also the value patterns of a `tag` themselves: where a layer cannot hold a pattern exactly
//! (a tag policy has no `?`), what each layer enforces is said here, not silently widened.

use super::glob;
use super::validate::invalid_value;
use super::{CheckError, CheckErrorKind, Checker};
use crate::ast::{Text, ValueTest};
use crate::model::{
    Action, ActionName, Forbid, Policy, RuleKind, TagDef, ValueMatch, tag_policy_pattern,
    wildcard_match,
};
use crate::source::Loc;

impl Checker<'_> {
    /// Whether `v` is a valid tag value (with `*` and `?` as wildcards); `invalid-tag-value`
    /// when it is not.
    pub(super) fn valid_value(&mut self, v: &Text) -> bool {
        let Some(reason) = invalid_value(&v.value) else {
            return true;
        };
        self.err(
            CheckErrorKind::InvalidTagValue {
                value: v.value.clone(),
                reason,
            },
            &v.loc,
        );
        false
    }

    /// Resolve `KEY = VALUES`: the tag must be declared, the values valid tag values (with
    /// `*` and `?` as wildcards) and listed once each.
    fn value_match(&mut self, test: &ValueTest) -> Option<ValueMatch> {
        let keys = self.resolve_tags(std::slice::from_ref(&test.key));
        let mut values: Vec<String> = Vec::new();
        let mut ok = true;
        for v in &test.values {
            if !self.valid_value(v) {
                ok = false;
            } else if values.contains(&v.value) {
                self.err(CheckErrorKind::DuplicateInList(v.value.clone()), &v.loc);
            } else {
                values.push(v.value.clone());
            }
        }
        let key = keys.into_iter().next()?;
        (ok && !values.is_empty()).then_some(ValueMatch { key, values })
    }

    /// `when KEY = VALUES` of a `require` of `keys`: `None` (with a diagnostic) when it cannot
    /// be used.
    pub(super) fn check_when(&mut self, keys: &[String], when: &ValueTest) -> Option<ValueMatch> {
        let test = self.value_match(when)?;
        if keys.iter().any(|k| k.eq_ignore_ascii_case(&test.key)) {
            // Present whenever the condition holds, so the requirement would mean nothing.
            self.err(
                CheckErrorKind::WhenKeyRequired(test.key.clone()),
                &when.key.loc,
            );
            return None;
        }
        if let Some(tag) = self.project.tag(&test.key).cloned() {
            for v in &when.values {
                if never_allowed(&tag, &v.value) {
                    self.err(
                        CheckErrorKind::WhenValueNotAllowed {
                            key: tag.key.clone(),
                            value: v.value.clone(),
                        },
                        &v.loc,
                    );
                }
            }
        }
        Some(test)
    }

    /// `forbid KEY = VALUES on ACTIONS`.
    pub(super) fn check_forbid(
        &mut self,
        policy: &mut Policy,
        test: &ValueTest,
        patterns: &[Text],
        loc: &Loc,
    ) -> Option<Forbid> {
        let value_match = self.value_match(test);
        let actions = self.expand_list(
            patterns,
            super::actions::Need::RequestTag,
            RuleKind::Forbid,
            &mut policy.expansions,
        );
        let value_match = value_match?;
        if actions.is_empty() {
            return None;
        }
        if let Some(tag) = self.project.tag(&value_match.key).cloned() {
            for v in &test.values {
                if never_allowed(&tag, &v.value) {
                    self.err(
                        CheckErrorKind::ForbidRedundant {
                            key: tag.key.clone(),
                            value: v.value.clone(),
                        },
                        &v.loc,
                    );
                }
            }
            if forbids_every_value(&tag, &value_match.values) {
                self.err(CheckErrorKind::ForbidEveryValue(tag.key.clone()), &test.loc);
            }
        }
        let bypass = self.tagging_bypass(&actions);
        if !bypass.is_empty() {
            let list: Vec<String> = bypass.iter().map(|a| format!("`{a}`")).collect();
            self.err(
                CheckErrorKind::ForbidBypass {
                    key: value_match.key.clone(),
                    actions: list.join(", "),
                },
                loc,
            );
        }
        Some(Forbid {
            test: value_match,
            actions,
            except: Vec::new(),
        })
    }

    /// The standalone tagging actions, of the services whose creates `actions` names, that can
    /// set a tag and are not among `actions`: through them the forbidden value could be set
    /// right after the create.
    fn tagging_bypass(&self, actions: &[Action]) -> Vec<ActionName> {
        let mut out: Vec<ActionName> = Vec::new();
        let mut services: Vec<&str> = Vec::new();
        for a in actions {
            let service = a.name.service();
            if services.contains(&service) {
                continue;
            }
            let Some(svc) = self.catalog.service(service) else {
                continue;
            };
            // Only a rule on some other action of the service (a create) has a way around it.
            let names_other = actions.iter().any(|b| {
                b.name.service() == service
                    && !svc
                        .tagging_actions
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(b.name.action()))
            });
            if !names_other {
                continue;
            }
            services.push(service);
            for t in &svc.tagging_actions {
                let name = ActionName::new(&svc.prefix, t);
                let sets = svc.action(t).is_some_and(|i| i.tag_keys.any())
                    && !crate::model::removes_tags(&name);
                if sets && !actions.iter().any(|b| b.name == name) && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// A value pattern of `tag` that a tag policy cannot hold exactly: a warning that says
    /// what the tag policy accepts instead, and that the SCP and IAM policy enforce it exactly.
    pub(super) fn check_value_layers(&mut self, key: &str, value: &Text) {
        let widened = tag_policy_pattern(&value.value);
        if widened == value.value {
            return;
        }
        let examples = admitted_examples(&value.value, &widened);
        let e = CheckError::new(
            CheckErrorKind::ValueWidened {
                key: key.to_owned(),
                value: value.value.clone(),
                widened,
                examples: if examples.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", which also admits {}",
                        examples
                            .iter()
                            .map(|e| format!("`{e}`"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    )
                },
            },
            value.loc.clone(),
        );
        let at = self.errors.len();
        self.places.widened.push((key.to_owned(), at, e));
    }

    /// The `value-widened` warnings of the tags some tag policy holds, in their places among
    /// the diagnostics, each with the first rule that puts its tag in a tag policy. A tag no
    /// policy names in `require`, `protect`, `enforce` or `report` is in no tag policy, so
    /// nothing widens its values. Run once every policy is checked.
    pub(super) fn report_widened(&mut self) {
        let widened = std::mem::take(&mut self.places.widened);
        // Inserted from the last, so that each index is still where its warning goes.
        for (key, at, e) in widened.into_iter().rev() {
            let Some((_, rule)) = self.places.tag_policy_keys.iter().find(|(k, _)| *k == key)
            else {
                continue;
            };
            let e = e.with_related(rule, "puts the tag in a tag policy");
            self.errors.insert(at.min(self.errors.len()), e);
        }
    }
}

/// Whether no value `tag` allows matches `pattern`: no allowed pattern has a value in common
/// with it. A search too large to finish (see [`glob`]) counts as a value in common, so that
/// nothing is reported that was not shown.
fn never_allowed(tag: &TagDef, pattern: &str) -> bool {
    let Some(allowed) = &tag.values else {
        return false;
    };
    allowed
        .iter()
        .all(|a| glob::common(pattern, a) == glob::Found::Nothing)
}

/// Whether `forbidden` takes in every value `tag` allows: each allowed pattern (`*` for a tag
/// that allows any value) matches no value that no forbidden pattern matches. A search too
/// large to finish counts as such a value.
fn forbids_every_value(tag: &TagDef, forbidden: &[String]) -> bool {
    let any = ["*".to_owned()];
    let allowed: &[String] = tag.values.as_deref().unwrap_or(&any);
    !allowed.is_empty()
        && allowed
            .iter()
            .all(|a| glob::uncovered(a, forbidden) == glob::Found::Nothing)
}

/// Up to two values the widened pattern admits and the exact one does not: the widened
/// pattern with its `*` replaced by nothing, and by a run longer than the exact pattern.
fn admitted_examples(exact: &str, widened: &str) -> Vec<String> {
    let long = "x".repeat(exact.chars().count() + 1);
    ["", "x", long.as_str()]
        .iter()
        .map(|fill| widened.replacen('*', fill, 1))
        .filter(|v| !wildcard_match(exact, v, false))
        .fold(Vec::new(), |mut out, v| {
            if out.len() < 2 && !out.contains(&v) {
                out.push(v);
            }
            out
        })
}

#[cfg(test)]
mod tests {
    use super::super::check_text;
    use super::admitted_examples;

    const TAGS: &str =
        "tag environment { values \"dev\" \"test\" \"prod\" }\ntag data-classification\n";

    fn codes(rules: &str) -> Vec<String> {
        let text = format!("{TAGS}policy p {{\n{rules}\n  attach to root\n}}\n");
        check_text(&text).1
    }

    #[test]
    fn test_forbid_and_when_resolve_into_the_model() {
        let text = format!(
            "{TAGS}policy p {{\n  forbid environment = \"test\" on sagemaker:CreateTrainingJob, sagemaker:AddTags\n  require data-classification on sagemaker:CreateTrainingJob when environment = \"prod\"\n  attach to root\n}}\n"
        );
        let (project, codes) = check_text(&text);
        assert!(codes.is_empty(), "{codes:?}");
        let p = &project.policies[0];
        assert_eq!(p.forbids[0].test.key, "environment");
        assert_eq!(p.forbids[0].test.values, ["test"]);
        assert_eq!(p.forbids[0].actions.len(), 2);
        let when = p.requires[0].when.as_ref().map(|w| w.values.clone());
        assert_eq!(when, Some(vec!["prod".to_owned()]));
    }

    #[test]
    fn test_forbid_of_a_value_the_tag_never_allows_is_redundant() {
        let c = codes(
            "  forbid environment = \"qa\" on sagemaker:CreateTrainingJob, sagemaker:AddTags",
        );
        assert_eq!(c, ["tagc::check::forbid-redundant"]);
    }

    #[test]
    fn test_forbid_of_every_allowed_value_is_reported() {
        let c = codes(
            "  forbid environment = \"dev\", \"t*\", \"prod\" on sagemaker:CreateTrainingJob, sagemaker:AddTags",
        );
        assert_eq!(c, ["tagc::check::forbid-every-value"]);
    }

    /// The codes of a policy with `rules` on a tag `cc` with `values`.
    fn pattern_codes(values: &str, rules: &str) -> Vec<String> {
        let text = format!(
            "tag cc {{ values {values} }}\ntag owner\npolicy p {{\n{rules}\n  attach to root\n}}\n"
        );
        check_text(&text)
            .1
            .into_iter()
            .filter(|c| c != "tagc::check::value-widened")
            .collect()
    }

    const ON: &str = "on sagemaker:CreateTrainingJob, sagemaker:AddTags";

    #[test]
    fn test_forbidden_pattern_that_no_allowed_pattern_meets_is_redundant() {
        for (values, forbidden, redundant) in [
            ("\"CC-????\"", "\"CC-??\"", true),
            ("\"CC-????\" \"dev-*\"", "\"prod*\"", true),
            ("\"CC-*\"", "\"*-x\"", false),
            ("\"CC-????\"", "\"CC-1*\"", false),
            ("\"a?c\"", "\"?b?\"", false),
            ("\"a*\"", "\"*A\"", false),
            ("\"a?\"", "\"A?\"", true),
        ] {
            let c = pattern_codes(values, &format!("  forbid cc = {forbidden} {ON}"));
            let expected: &[&str] = if redundant {
                &["tagc::check::forbid-redundant"]
            } else {
                &[]
            };
            assert_eq!(c, expected, "{values} / {forbidden}");
        }
    }

    #[test]
    fn test_forbid_whose_patterns_take_in_every_allowed_pattern_is_reported() {
        for (values, forbidden, every) in [
            ("\"CC-????\" \"dev\"", "\"CC-*\", \"d?v\"", true),
            ("\"CC-????\"", "\"CC-1*\", \"CC-2???\"", false),
            ("\"a*\"", "\"a\", \"a?*\"", true),
            ("\"a*\"", "\"a?*\"", false),
            ("\"x?\"", "\"xa\", \"xb\"", false),
        ] {
            let c = pattern_codes(values, &format!("  forbid cc = {forbidden} {ON}"));
            let expected: &[&str] = if every {
                &["tagc::check::forbid-every-value"]
            } else {
                &[]
            };
            assert_eq!(c, expected, "{values} / {forbidden}");
        }
        // A tag that allows any value: only patterns that together match every value.
        let text = format!(
            "tag owner\npolicy p {{\n  forbid owner = \"\", \"?*\" {ON}\n  attach to root\n}}\n"
        );
        assert_eq!(check_text(&text).1, ["tagc::check::forbid-every-value"]);
        let text =
            format!("tag owner\npolicy p {{\n  forbid owner = \"?*\" {ON}\n  attach to root\n}}\n");
        assert!(check_text(&text).1.is_empty());
    }

    #[test]
    fn test_when_pattern_that_no_allowed_pattern_meets_is_reported() {
        let c = pattern_codes(
            "\"CC-????\"",
            "  require owner on sagemaker:CreateTrainingJob when cc = \"CC-?\"",
        );
        assert_eq!(c, ["tagc::check::when-value-not-allowed"]);
        let c = pattern_codes(
            "\"CC-????\"",
            "  require owner on sagemaker:CreateTrainingJob when cc = \"CC-1*\"",
        );
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn test_forbid_on_a_create_without_its_tagging_action_is_a_bypass() {
        let c = codes("  forbid environment = \"test\" on sagemaker:CreateTrainingJob");
        assert_eq!(c, ["tagc::check::forbid-bypass"]);
    }

    #[test]
    fn test_forbid_on_an_unknown_tag_is_unknown_tag() {
        let c = codes("  forbid enviroment = \"test\" on sagemaker:AddTags");
        assert_eq!(c, ["tagc::check::unknown-tag"]);
    }

    #[test]
    fn test_when_on_a_required_key_is_an_error() {
        let c = codes(
            "  require environment on sagemaker:CreateTrainingJob when environment = \"prod\"",
        );
        assert_eq!(c, ["tagc::check::when-key-required"]);
    }

    #[test]
    fn test_when_value_the_tag_never_allows_is_reported() {
        let c = codes(
            "  require data-classification on sagemaker:CreateTrainingJob when environment = \"production\"",
        );
        assert_eq!(c, ["tagc::check::when-value-not-allowed"]);
    }

    #[test]
    fn test_question_mark_values_warn_that_the_tag_policy_widens_them() {
        let (project, c) = check_text(
            "tag cost-center { values \"CC-????\" \"CC-x*\" }\npolicy p {\n  report cost-center for ec2:instance\n  attach to root\n}\n",
        );
        assert_eq!(c, ["tagc::check::value-widened"]);
        assert!(project.tags[0].allows("CC-1234"));
        assert!(!project.tags[0].allows("CC-12"));
        assert!(project.tags[0].tag_policy_allows("CC-12"));
    }

    /// The diagnostics of `text` as (code, [(text at each label, label)]), the primary first.
    fn labelled(text: &str) -> Vec<(String, Vec<(String, String)>)> {
        let source = crate::source::SourceFile::new("t.tags", text);
        let (file, _) = crate::syntax::parse(&source);
        let (_, errors) = super::super::check_files(vec![file], crate::catalog::Catalog::builtin());
        errors
            .iter()
            .map(|e| {
                let code = miette::Diagnostic::code(e)
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                let labels = miette::Diagnostic::labels(e)
                    .into_iter()
                    .flatten()
                    .map(|l| {
                        let at = text[l.offset()..l.offset() + l.len()].to_owned();
                        (at, l.label().unwrap_or_default().to_owned())
                    })
                    .collect();
                (code, labels)
            })
            .collect()
    }

    #[test]
    fn test_value_widened_is_not_reported_when_no_tag_policy_holds_the_tag() {
        // `forbid` and `when` test values in the SCP and IAM policy only: no tag policy.
        let text = "tag cost-center { values \"CC-????\" }\ntag owner\npolicy p {\n  forbid cost-center = \"CC-0000\" on sagemaker:CreateTrainingJob, sagemaker:AddTags\n  require owner on sagemaker:CreateModel when cost-center = \"CC-1234\"\n  attach to root\n}\n";
        assert_eq!(labelled(text), []);
        let (_, c) = check_text("tag cost-center { values \"CC-????\" }\n");
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn test_value_widened_labels_the_first_rule_that_puts_the_tag_in_a_tag_policy() {
        let text = "tag cost-center { values \"CC-????\" }\npolicy p {\n  enforce cost-center for ec2:instance at ou \"Root/ML\"\n  protect cost-center on sagemaker\n  attach to root\n}\n";
        let found = labelled(text);
        let widened: Vec<&Vec<(String, String)>> = found
            .iter()
            .filter(|(code, _)| code == "tagc::check::value-widened")
            .map(|(_, labels)| labels)
            .collect();
        assert_eq!(widened.len(), 1, "{found:?}");
        assert_eq!(widened[0][0].0, "\"CC-????\"", "{found:?}");
        assert_eq!(
            widened[0][1],
            (
                "enforce cost-center for ec2:instance at ou \"Root/ML\"".to_owned(),
                "puts the tag in a tag policy".to_owned()
            ),
            "{found:?}"
        );
        // `require` and `protect` put a tag in the tag policy as `enforce` and `report` do.
        for rule in [
            "require cost-center on sagemaker:CreateTrainingJob",
            "protect cost-center on sagemaker",
        ] {
            let text = format!(
                "tag cost-center {{ values \"CC-????\" }}\npolicy p {{\n  {rule}\n  attach to root\n}}\n"
            );
            let found = labelled(&text);
            assert!(
                found
                    .iter()
                    .any(|(code, labels)| code == "tagc::check::value-widened"
                        && labels.get(1).is_some_and(|(at, _)| at == rule)),
                "{rule}: {found:?}"
            );
        }
    }

    #[test]
    fn test_admitted_examples_are_outside_the_exact_pattern() {
        assert_eq!(admitted_examples("CC-????", "CC-*"), ["CC-", "CC-x"]);
        assert_eq!(admitted_examples("CC-?*", "CC-*"), ["CC-"]);
    }
}
