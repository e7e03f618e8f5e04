//! Conflicts between policies: input, the checked policies and their targets; output, a
//! diagnostic for each key that two tag policies on one target both enforce.

use std::collections::BTreeMap;

use super::{CheckError, CheckErrorKind, Checker, Field};
use crate::model::{Policy, Target};

impl Checker<'_> {
    /// The same key in `enforced_for` (or `report_required_tag_for`) of two policies attached
    /// to the same target: AWS resolves such same-node conflicts by attachment order, so one
    /// policy's list would silently win.
    pub(super) fn check_conflicts(&mut self) {
        let mut seen: BTreeMap<(Field, String, &Target), &Policy> = BTreeMap::new();
        let mut found = Vec::new();
        for p in &self.project.policies {
            for (field, rules) in [
                (Field::EnforcedFor, &p.enforce),
                (Field::ReportRequired, &p.report),
            ] {
                let mut keys: Vec<String> = rules.iter().map(|r| r.key.to_lowercase()).collect();
                keys.dedup();
                for key in keys {
                    for t in &p.targets {
                        if let Some(other) = seen.get(&(field, key.clone(), t)) {
                            if other.name != p.name {
                                found.push(
                                    CheckError::new(
                                        CheckErrorKind::ConflictingRules {
                                            first: other.name.clone(),
                                            second: p.name.clone(),
                                            field,
                                            key: key.clone(),
                                            target: t.clone(),
                                        },
                                        p.name_loc(),
                                    )
                                    .with_related(&other.name_loc(), "the other policy"),
                                );
                            }
                        } else {
                            seen.insert((field, key.clone(), t), p);
                        }
                    }
                }
            }
        }
        self.errors.extend(found);
    }
}

#[cfg(test)]
mod tests {
    use super::super::check_text;

    #[test]
    fn test_two_tag_policies_enforcing_one_key_on_one_target_conflict() {
        let (_, codes) = check_text(
            "tag owner\n\
             policy a {\n  enforce owner for sagemaker:training-job\n  attach to ou \"Root/ML\"\n}\n\
             policy b {\n  enforce owner for sagemaker:processing-job\n  attach to ou \"Root/ML\"\n}\n",
        );
        assert_eq!(codes, ["tagc::check::conflicting-rules"]);
    }
}
