//! Tag declarations: input, the `tag` items and the tag names policies give; output, the
//! project's `TagDef`s, keys and values checked against AWS's rules, and names resolved to the
//! declared keys, or a diagnostic (duplicate, case conflict, unknown tag with "did you mean").

use std::collections::HashMap;

use super::validate::invalid_key;
use super::{CheckError, CheckErrorKind, Checker, did_you_mean};
use crate::ast::{self, Text};
use crate::model::TagDef;

/// The tags declared so far, by exact key and by lowercase key, so that each declaration is
/// checked against all the earlier ones in constant time rather than by a scan of them.
#[derive(Default)]
pub(super) struct TagIndex {
    /// Exact key to its position in the project's tags.
    exact: HashMap<String, usize>,
    /// Lowercase key to the position of the one tag of that spelling.
    folded: HashMap<String, usize>,
}

impl Checker<'_> {
    /// Check every tag declaration of the project, in order.
    pub(super) fn check_tags<'a>(&mut self, decls: impl IntoIterator<Item = &'a ast::TagDecl>) {
        let mut index = TagIndex::default();
        for t in decls {
            self.check_tag(t, &mut index);
        }
    }

    fn check_tag(&mut self, t: &ast::TagDecl, index: &mut TagIndex) {
        let key = &t.name.value;
        if let Some(reason) = invalid_key(key) {
            self.err(
                CheckErrorKind::InvalidTagKey {
                    key: key.clone(),
                    reason,
                },
                &t.name.loc,
            );
        }
        if let Some(prev) = index.exact.get(key).and_then(|&i| self.project.tags.get(i)) {
            let e = CheckError::new(
                CheckErrorKind::DuplicateTag(key.clone()),
                t.name.loc.clone(),
            )
            .with_related(&prev.loc, "first declared here");
            self.push(e);
            return;
        }
        // Keys that differ only in case: equal once lowercased (which takes in ASCII case).
        let folded = key.to_lowercase();
        if let Some(prev) = index
            .folded
            .get(&folded)
            .and_then(|&i| self.project.tags.get(i))
        {
            let e = CheckError::new(
                CheckErrorKind::TagCaseConflict(prev.key.clone(), key.clone()),
                t.name.loc.clone(),
            )
            .with_related(&prev.loc, "the other tag");
            self.push(e);
            return;
        }
        for (n, desc) in t.descriptions.iter().enumerate().skip(1) {
            let _ = n;
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement("description".into()),
                    desc.loc.clone(),
                )
                .with_related(&t.descriptions[0].loc, "first given here"),
            );
        }
        if let Some(second) = t.exact_case.get(1) {
            self.push(
                CheckError::new(
                    CheckErrorKind::DuplicateStatement("exact-case".into()),
                    second.clone(),
                )
                .with_related(&t.exact_case[0], "first given here"),
            );
        }
        let mut values: Option<Vec<String>> = None;
        for (n, stmt) in t.values.iter().enumerate() {
            if n > 0 {
                self.push(
                    CheckError::new(
                        CheckErrorKind::DuplicateStatement("values".into()),
                        stmt.loc.clone(),
                    )
                    .with_related(&t.values[0].loc, "first given here"),
                );
                continue;
            }
            let mut list: Vec<String> = Vec::new();
            for v in &stmt.value {
                if !self.valid_value(v) {
                    // Reported; a value that is not one has no layers to compare.
                } else if v.value.matches('*').count() > 1 {
                    self.err(CheckErrorKind::TooManyWildcards(v.value.clone()), &v.loc);
                } else {
                    self.check_value_layers(key, v);
                }
                if list.contains(&v.value) {
                    self.err(CheckErrorKind::DuplicateValue(v.value.clone()), &v.loc);
                } else {
                    list.push(v.value.clone());
                }
            }
            values = Some(list);
        }
        index.exact.insert(key.clone(), self.project.tags.len());
        index.folded.insert(folded, self.project.tags.len());
        self.project.tags.push(TagDef {
            key: key.clone(),
            values,
            exact_case: !t.exact_case.is_empty(),
            loc: t.name.loc.clone(),
        });
    }

    /// Resolve a list of tag references: each must name a declared tag, in its exact casing.
    pub(super) fn resolve_tags(&mut self, refs: &[Text]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in refs {
            let name = &r.value;
            if let Some(uses) = &mut self.places.tag_uses
                && self.project.tag(name).is_some()
            {
                uses.push((name.clone(), r.loc.clone()));
            }
            if self.project.tag(name).is_none() {
                let candidates: Vec<&str> =
                    self.project.tags.iter().map(|t| t.key.as_str()).collect();
                let mut e =
                    CheckError::new(CheckErrorKind::UnknownTag(name.clone()), r.loc.clone());
                if let Some(s) = did_you_mean(name, candidates) {
                    e = e.with_help(format!("did you mean `{s}`?"));
                }
                self.push(e);
                continue;
            }
            if out.contains(name) {
                self.err(CheckErrorKind::DuplicateInList(name.clone()), &r.loc);
                continue;
            }
            out.push(name.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::super::check_text;

    #[test]
    fn test_tag_declared_twice_is_reported_once_and_kept_once() {
        let (project, codes) = check_text("tag owner\ntag owner\n");
        assert_eq!(codes, ["tagc::check::duplicate-tag"]);
        let keys: Vec<&str> = project.tags.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["owner"]);
    }

    #[test]
    fn test_keys_differing_only_in_case_conflict_with_the_first_declared() {
        let (project, codes) = check_text("tag Owner\ntag team\ntag owner\ntag OWNER\ntag Team\n");
        assert_eq!(codes, ["tagc::check::tag-case-conflict"; 3]);
        let keys: Vec<&str> = project.tags.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["Owner", "team"]);
    }

    #[test]
    fn test_many_tags_are_each_checked_against_all_earlier_ones() {
        // Thousands of distinct keys, then one repeat and one case variant of an early key.
        let mut text = String::new();
        for i in 0..5_000 {
            let _ = writeln!(text, "tag key{i}");
        }
        text.push_str("tag key17\ntag KEY18\n");
        let (project, codes) = check_text(&text);
        assert_eq!(
            codes,
            [
                "tagc::check::duplicate-tag",
                "tagc::check::tag-case-conflict"
            ]
        );
        assert_eq!(project.tags.len(), 5_000);
    }

    #[test]
    fn test_policy_naming_an_undeclared_tag_is_reported() {
        let (_, codes) = check_text(
            "tag owner\npolicy p {\n  require team on sqs:CreateQueue\n  attach to root\n}\n",
        );
        assert_eq!(codes, ["tagc::check::unknown-tag"]);
    }
}
