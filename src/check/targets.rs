//! Where rules apply: input, a policy's resource types and `attach to` targets; output, the
//! model's resource types and `Target`s (root, OU path or id, account), or a diagnostic.

use super::validate::{Field, valid_ou_id};
use super::{CheckErrorKind, Checker};
use crate::ast::{TargetRef, Text};
use crate::model::{ResourceType, Target};
use crate::source::Loc;

impl Checker<'_> {
    pub(super) fn check_resource_types(
        &mut self,
        types: &[Text],
        field: Field,
    ) -> Vec<ResourceType> {
        let mut out: Vec<ResourceType> = Vec::new();
        for t in types {
            let v = &t.value;
            let parsed = v.parse::<ResourceType>().ok().filter(|r| {
                r.service()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            });
            let Some(rt) = parsed else {
                self.err(CheckErrorKind::MalformedResourceType(v.clone()), &t.loc);
                continue;
            };
            if let Some(e) = field.validate(&rt, &t.loc) {
                self.push(e);
                continue;
            }
            if out.contains(&rt) {
                self.err(CheckErrorKind::DuplicateInList(v.clone()), &t.loc);
            } else {
                out.push(rt);
            }
        }
        out
    }

    pub(super) fn check_target(&mut self, t: &TargetRef) -> Option<(Target, Loc)> {
        match t {
            TargetRef::Root(loc) => Some((Target::Root, loc.clone())),
            // Replaced by the set's targets before any target is checked (`sets`).
            TargetRef::Set(_) => None,
            TargetRef::Account(id) => {
                if id.value.len() == 12 && id.value.chars().all(|c| c.is_ascii_digit()) {
                    Some((Target::Account(id.value.clone()), id.loc.clone()))
                } else {
                    self.err(
                        CheckErrorKind::InvalidTarget {
                            target: id.value.clone(),
                            reason: "an account id is 12 digits".into(),
                        },
                        &id.loc,
                    );
                    None
                }
            }
            TargetRef::Ou(text) => {
                let v = &text.value;
                let reason = if v.starts_with("ou-") {
                    if valid_ou_id(v) {
                        return Some((Target::OuId(v.clone()), text.loc.clone()));
                    }
                    "an OU id is `ou-` then 4 to 32 and 8 to 32 lowercase letters or digits, joined by `-`"
                } else if v.starts_with("r-") {
                    "that is a root id: write `attach to root`"
                } else if v == "Root" {
                    "that is the root: write `attach to root`"
                } else if let Some(rest) = v.strip_prefix("Root/") {
                    let segments: Vec<&str> = rest.split('/').collect();
                    if segments
                        .iter()
                        .any(|s| s.is_empty() || s.chars().count() > 128)
                    {
                        "each OU name in the path is 1 to 128 characters"
                    } else if segments.len() > 5 {
                        "AWS nests OUs at most five levels under the root"
                    } else {
                        return Some((Target::OuPath(v.clone()), text.loc.clone()));
                    }
                } else {
                    "an OU path starts at the root, as in `Root/Workloads/ML`"
                };
                self.err(
                    CheckErrorKind::InvalidTarget {
                        target: v.clone(),
                        reason: reason.into(),
                    },
                    &text.loc,
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::check_text;
    use crate::model::Target;

    #[test]
    fn test_ou_path_target_is_kept_as_written() {
        let (project, codes) = check_text(
            "tag owner\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to ou \"Root/ML\"\n}\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        let targets = project.policies.first().map(|p| p.targets.clone());
        assert_eq!(targets, Some(vec![Target::OuPath("Root/ML".to_owned())]));
    }
}
