//! `protect` statements: input, a policy's `protect` statement; output, the policy's
//! `Protect` rule, with the tagging actions it denies and the create-context key that spares
//! tag-on-create, or a diagnostic.

use super::{CheckErrorKind, Checker};
use crate::ast::Text;
use crate::model::{Action, ActionName, Expansion, Policy, Protect, RuleKind};
use crate::source::Loc;

impl Checker<'_> {
    pub(super) fn check_protect(
        &mut self,
        policy: &Policy,
        keys: Vec<String>,
        services: &[Text],
        loc: &Loc,
        expansions: &mut Vec<Expansion>,
    ) -> Option<Protect> {
        let mut names: Vec<(String, Loc)> = Vec::new();
        if services.is_empty() {
            // Protect in the services whose actions this policy already governs.
            for a in policy
                .requires
                .iter()
                .flat_map(|r| &r.actions)
                .chain(policy.only_declared.iter().flat_map(|o| &o.actions))
            {
                if !names.iter().any(|(n, _)| n == a.name.service()) {
                    names.push((a.name.service().to_owned(), loc.clone()));
                }
            }
            if names.is_empty() {
                self.err(CheckErrorKind::ProtectWithoutServices, loc);
                return None;
            }
        } else {
            for s in services {
                if self.known_service(&s.value, &s.loc).is_none() {
                    continue;
                }
                if names.iter().any(|(n, _)| *n == s.value) {
                    self.err(CheckErrorKind::DuplicateInList(s.value.clone()), &s.loc);
                } else {
                    names.push((s.value.clone(), s.loc.clone()));
                }
            }
        }
        let mut actions = Vec::new();
        let mut context_keys: Vec<String> = Vec::new();
        for (name, sloc) in &names {
            let Some(svc) = self.catalog.service(name) else {
                continue;
            };
            if svc.tagging_actions.is_empty() {
                self.err(CheckErrorKind::NoTaggingActions(name.clone()), sloc);
                continue;
            }
            let mut unguarded = Vec::new();
            for ta in &svc.tagging_actions {
                let Some(info) = svc.action(ta) else { continue };
                if info.tag_keys.any() {
                    actions.push(Action::new(ActionName::new(&svc.prefix, &info.name)));
                } else {
                    unguarded.push(format!("`{}:{}`", svc.prefix, info.name));
                }
            }
            if !unguarded.is_empty() {
                self.err(
                    CheckErrorKind::TaggingActionWithoutKeys(unguarded.join(", ")),
                    sloc,
                );
            }
            match &svc.create_context_key {
                Some(k) => {
                    if !context_keys.contains(k) {
                        context_keys.push(k.clone());
                    }
                }
                None => self.err(CheckErrorKind::NoCreateContextKey(name.clone()), sloc),
            }
        }
        if keys.is_empty() || actions.is_empty() {
            return None;
        }
        let pattern: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        expansions.push(Expansion::new(
            RuleKind::Protect,
            pattern.join(", "),
            actions.iter().map(|a| a.name.clone()).collect(),
            Vec::new(),
        ));
        Some(Protect {
            keys,
            actions,
            create_context_keys: context_keys,
            except: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::check_text;

    #[test]
    fn test_protect_on_a_service_denies_its_tagging_actions() {
        let (project, codes) = check_text(
            "tag CostCenter\npolicy p {\n  protect CostCenter on ec2\n  attach to root\n}\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        let rule = project
            .policies
            .first()
            .and_then(|p| p.protects.first())
            .expect("one protect rule");
        assert_eq!(rule.keys, ["CostCenter"]);
        let names: Vec<String> = rule.actions.iter().map(|a| a.name.to_string()).collect();
        assert!(names.contains(&"ec2:CreateTags".to_owned()), "{names:?}");
        assert!(names.contains(&"ec2:DeleteTags".to_owned()), "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("ec2:")), "{names:?}");
    }
}
