//! The `organization` block: the project's name and its settings, each given at most once.

use super::validate::invalid_project;
use super::{CheckError, CheckErrorKind, Checker};
use crate::ast::{self, Spanned};
use crate::model::{LimitsProfile, ScpStrategy, Settings};

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
