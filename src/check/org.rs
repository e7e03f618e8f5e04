//! The `organization` block: input, its statements; output, the project's `Settings` (name,
//! SCP strategy, limits, action form), each given at most once, or a diagnostic.

use super::validate::invalid_project;
use super::{CheckError, CheckErrorKind, Checker};
use crate::ast::{self, Spanned};
use crate::model::{ActionForm, LimitsProfile, ScpStrategy, Settings};

impl Checker<'_> {
    pub(super) fn check_org(&mut self, o: &ast::OrgDecl) {
        if let (Some(first), Some(second)) = (o.project.first(), o.project.get(1)) {
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement("project".into()),
                    second.loc.clone(),
                )
                .with_related(&first.loc, "first given here"),
            );
        }
        let project = o.project.first().and_then(|p| {
            if let Some(reason) = invalid_project(&p.value) {
                self.err(
                    CheckErrorKind::InvalidProject {
                        value: p.value.clone(),
                        reason,
                    },
                    &p.loc,
                );
                return None;
            }
            Some(p.value.clone())
        });
        self.project.settings = Settings {
            project,
            scp_strategy: self
                .single(&o.strategy, "scp-strategy")
                .unwrap_or(ScpStrategy::DenyList),
            limits: self
                .single(&o.limits, "limits")
                .unwrap_or(LimitsProfile::Current),
            actions: self
                .single(&o.actions, "actions")
                .unwrap_or(ActionForm::Exact),
        };
    }

    pub(super) fn single<T: Copy>(&mut self, items: &[Spanned<T>], what: &str) -> Option<T> {
        if let (Some(first), Some(second)) = (items.first(), items.get(1)) {
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement(what.into()),
                    second.loc.clone(),
                )
                .with_related(&first.loc, "first given here"),
            );
        }
        items.first().map(|s| s.value)
    }
}

#[cfg(test)]
mod tests {
    use super::super::check_text;
    use crate::model::ActionForm;

    #[test]
    fn test_actions_setting_defaults_to_exact_and_is_given_once() {
        let (project, codes) = check_text("organization {\n  project \"p\"\n}\n");
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(project.settings.actions, ActionForm::Exact);
        let (project, codes) = check_text("organization {\n  actions compact\n}\n");
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(project.settings.actions, ActionForm::Compact);
        let (_, codes) = check_text("organization {\n  actions compact\n  actions exact\n}\n");
        assert_eq!(codes, ["tagc::check::duplicate-statement"]);
    }

    #[test]
    fn test_project_name_is_read_into_the_settings() {
        let (project, codes) = check_text("organization {\n  project \"guardrails\"\n}\n");
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(project.settings.project.as_deref(), Some("guardrails"));
    }

    #[test]
    fn test_project_name_that_is_no_tag_value_is_refused() {
        let (project, codes) = check_text("organization {\n  project \"guardrails*\"\n}\n");
        assert_eq!(codes, ["tagc::check::invalid-project"]);
        assert_eq!(project.settings.project, None);
    }
}
