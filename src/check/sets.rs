//! Named sets: input, the project's set declarations, then its items one at a time, whose
//! lists may name sets (`$name`); output, each item with every reference replaced by the
//! elements of its set, and the diagnostics about the sets.
//!
//! Items are rewritten in place, one at a time: only a list that names a set is rebuilt, so
//! resolving costs memory in proportion to the references, not to the project.
//!
//! Sets are resolved first, before any element is validated, so that the rest of check (and
//! every stage after it) reads plain lists, and a set means exactly what writing its elements
//! in place would. An element keeps the location where it is written, in the set, so a
//! diagnostic about it points there. Sets are project-wide, like tags: a set declared in one
//! file may be used in any other.
//!
//! What is checked: references to sets that no file declares (with "did you mean"), sets used
//! where a list of another kind is expected, sets declared twice, sets that contain themselves
//! through other sets, empty sets, and sets that no list uses.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::policies::shares_a_line_with_a_statement;
use super::{CheckError, CheckErrorKind};
use crate::ast::{Item, PolicyStmt, SetDecl, SetKind, TargetRef, Text, set_ref};
use crate::source::Loc;
use crate::suggest::did_you_mean;

/// Where each set used by a rule is declared and first used, to point from a diagnostic about
/// one of its elements to a rule that brings it.
#[derive(Debug, Default)]
pub(super) struct Uses(Vec<(Loc, Loc)>);

impl Uses {
    /// `e` with a related label at the first rule that uses the set it is written in, if it is
    /// about an element of a set.
    pub(super) fn label(&self, e: CheckError) -> CheckError {
        if matches!(
            e.kind,
            CheckErrorKind::UnknownSet(_)
                | CheckErrorKind::WrongSetKind { .. }
                | CheckErrorKind::DuplicateSet(_)
                | CheckErrorKind::SetCycle { .. }
                | CheckErrorKind::EmptySet(_)
                | CheckErrorKind::UnusedSet(_)
        ) {
            return e;
        }
        let within = self.0.iter().find(|(decl, _)| {
            Arc::ptr_eq(&decl.file, &e.loc.file)
                && decl.span.start <= e.loc.span.start
                && e.loc.span.end <= decl.span.end
        });
        match within {
            Some((_, first_use)) => e.with_related(first_use, "the set is used here"),
            None => e,
        }
    }
}

/// The elements of a set with its references expanded.
#[derive(Debug, Clone, Default)]
struct Elements {
    texts: Vec<Text>,
    targets: Vec<TargetRef>,
}

/// The project's sets, declared and expanded, and what resolving lists against them found: one
/// item is resolved at a time ([`Resolver::resolve_item`]), so that check can take the items
/// one by one.
#[derive(Default)]
pub(super) struct Resolver {
    /// The first declaration of each name.
    decls: BTreeMap<String, SetDecl>,
    /// Sets already expanded.
    expanded: BTreeMap<String, Elements>,
    /// The sets being expanded, outermost first: a reference to one of them is a cycle.
    expanding: Vec<String>,
    /// Sets some list or other set refers to.
    used: BTreeSet<String>,
    /// Where a rule first uses each set.
    first_use: BTreeMap<String, Loc>,
    /// Every place each set is named, in a rule's list or in another set.
    named_at: BTreeMap<String, Vec<Loc>>,
    errors: Vec<CheckError>,
}

impl Resolver {
    /// The resolver of a project whose set declarations are `decls`.
    pub(super) fn new<'a>(decls: impl Iterator<Item = &'a SetDecl>) -> Self {
        let mut r = Self::default();
        for decl in decls {
            r.declare(decl);
        }
        // Every set is expanded once, in the order declared, so that a problem inside a set is
        // reported once, at the same place, however often and wherever the set is used.
        let names: Vec<String> = r.decls.keys().cloned().collect();
        for name in &names {
            r.expand(name);
        }
        r
    }

    /// What was found wrong with the sets, the sets no item used included, and where the sets
    /// are used: called once every item is resolved.
    pub(super) fn finish(mut self) -> (Vec<CheckError>, Uses) {
        for (name, decl) in &self.decls {
            if !self.used.contains(name) {
                self.errors.push(CheckError::new(
                    CheckErrorKind::UnusedSet(name.clone()),
                    decl.name.loc.clone(),
                ));
            }
        }
        let uses = Uses(
            self.first_use
                .iter()
                .filter_map(|(name, at)| Some((self.decls.get(name)?.loc.clone(), at.clone())))
                .collect(),
        );
        (self.errors, uses)
    }

    fn declare(&mut self, decl: &SetDecl) {
        let name = &decl.name.value;
        if decl.is_empty() {
            self.errors.push(CheckError::new(
                CheckErrorKind::EmptySet(name.clone()),
                decl.name.loc.clone(),
            ));
        }
        if let Some(first) = self.decls.get(name) {
            self.errors.push(
                CheckError::new(
                    CheckErrorKind::DuplicateSet(name.clone()),
                    decl.name.loc.clone(),
                )
                .with_related(&first.name.loc, "first declared here"),
            );
            return;
        }
        self.decls.insert(name.clone(), decl.clone());
    }

    /// The elements of the set `name`, expanded (it is declared).
    fn expand(&mut self, name: &str) -> Elements {
        if let Some(done) = self.expanded.get(name) {
            return done.clone();
        }
        let Some(decl) = self.decls.get(name).cloned() else {
            return Elements::default();
        };
        self.expanding.push(name.to_owned());
        let kind = decl.kind.value;
        let mut texts = decl.elements;
        self.texts(&mut texts, kind);
        let mut targets = decl.targets;
        self.targets(&mut targets);
        self.expanding.pop();
        let elements = Elements { texts, targets };
        self.expanded.insert(name.to_owned(), elements.clone());
        elements
    }

    /// The elements of the set that `reference` (`$name`, written at its location) names, when
    /// it is declared with the kind `want`; otherwise a diagnostic and nothing.
    fn lookup(&mut self, reference: &Text, name: &str, want: SetKind) -> Option<Elements> {
        let Some(decl) = self.decls.get(name) else {
            let mut e = CheckError::new(
                CheckErrorKind::UnknownSet(name.to_owned()),
                reference.loc.clone(),
            );
            if let Some(s) = did_you_mean(name, self.decls.keys().map(String::as_str)) {
                e = e.with_help(format!("did you mean `${s}`?"));
            }
            self.errors.push(e);
            return None;
        };
        self.used.insert(name.to_owned());
        self.named_at
            .entry(name.to_owned())
            .or_default()
            .push(reference.loc.clone());
        if self.expanding.is_empty() {
            self.first_use
                .entry(name.to_owned())
                .or_insert_with(|| reference.loc.clone());
        }
        if decl.kind.value != want {
            let e = CheckError::new(
                CheckErrorKind::WrongSetKind {
                    name: name.to_owned(),
                    expected: want.word(),
                    declared: decl.kind.value.word(),
                },
                reference.loc.clone(),
            )
            .with_related(&decl.name.loc, "declared here");
            self.errors.push(e);
            return None;
        }
        if self.expanding.iter().any(|n| n == name) {
            let e = CheckError::new(
                CheckErrorKind::SetCycle {
                    name: name.to_owned(),
                },
                reference.loc.clone(),
            )
            .with_related(&decl.name.loc, "declared here");
            self.errors.push(e);
            return None;
        }
        Some(self.expand(name))
    }

    /// A list of names, actions, services, resource types or principals with its references
    /// replaced. An element that a set brings and the list already holds is left out: sets
    /// may overlap (`$admins, $break-glass`), and that is not a duplicate the user wrote.
    /// A list that names no set is left as it is.
    fn texts(&mut self, list: &mut Vec<Text>, kind: SetKind) {
        if !list.iter().any(|t| set_ref(t).is_some()) {
            return;
        }
        let mut out: Vec<Text> = Vec::with_capacity(list.len());
        for element in std::mem::take(list) {
            match set_ref(&element) {
                Some(name) => {
                    let Some(elements) = self.lookup(&element, name, kind) else {
                        continue;
                    };
                    for t in elements.texts {
                        if !out.iter().any(|o| o.value == t.value) {
                            out.push(t);
                        }
                    }
                }
                None => out.push(element),
            }
        }
        *list = out;
    }

    /// A list of targets with its references replaced, as [`Self::texts`] does.
    fn targets(&mut self, list: &mut Vec<TargetRef>) {
        if !list.iter().any(|t| matches!(t, TargetRef::Set(_))) {
            return;
        }
        let mut out: Vec<TargetRef> = Vec::with_capacity(list.len());
        for target in std::mem::take(list) {
            if let TargetRef::Set(reference) = &target {
                let Some(name) = set_ref(reference) else {
                    continue;
                };
                let Some(elements) = self.lookup(reference, name, SetKind::Targets) else {
                    continue;
                };
                for t in elements.targets {
                    if !out.iter().any(|o| same_target(o, &t)) {
                        out.push(t);
                    }
                }
            } else {
                out.push(target);
            }
        }
        *list = out;
    }

    /// Replace the set references of `item`'s lists by the sets' elements.
    pub(super) fn resolve_item(&mut self, item: &mut Item) {
        let Item::Policy(policy) = item else {
            return;
        };
        for stmt in &mut policy.stmts {
            // Once the set is replaced, its first ARN is written in the set: the warning that
            // `exempt` shares a line with a rule is about the reference, so it is checked here.
            if let PolicyStmt::Exempt(principals) = stmt
                && let Some(first) = principals.first()
                && set_ref(first).is_some()
                && shares_a_line_with_a_statement(first)
            {
                self.errors.push(CheckError::new(
                    CheckErrorKind::ExemptOnRuleLine(policy.name.value.clone()),
                    first.loc.clone(),
                ));
            }
            self.resolve_stmt(stmt);
        }
    }

    fn resolve_stmt(&mut self, stmt: &mut PolicyStmt) {
        match stmt {
            PolicyStmt::Require {
                keys,
                actions,
                types,
                ..
            } => {
                self.texts(keys, SetKind::Tags);
                self.texts(actions, SetKind::Actions);
                self.texts(types, SetKind::ResourceTypes);
            }
            PolicyStmt::OnlyDeclared { actions, .. } | PolicyStmt::Forbid { actions, .. } => {
                self.texts(actions, SetKind::Actions);
            }
            PolicyStmt::Protect { keys, services, .. } => {
                self.texts(keys, SetKind::Tags);
                self.texts(services, SetKind::Services);
            }
            PolicyStmt::Exempt(principals) => {
                self.texts(principals, SetKind::Principals);
            }
            PolicyStmt::Enforce { keys, types, .. } | PolicyStmt::Report { keys, types, .. } => {
                self.texts(keys, SetKind::Tags);
                self.texts(types, SetKind::ResourceTypes);
            }
            PolicyStmt::Attach(targets) => self.targets(targets),
            PolicyStmt::Description(_) | PolicyStmt::Grant(_) => {}
        }
        // The `at` and `except` clauses that end a rule take sets like any list.
        if let Some(scope) = stmt.scope_mut() {
            self.targets(&mut scope.at);
            self.texts(&mut scope.except, SetKind::Principals);
        }
    }
}

/// Every place each set of the project of `files` is named (`$name`), in a rule's list or in
/// another set's elements, ordered by file and place: what the editor shows at a set's
/// declaration. The resolver that rewrites the lists finds them, so no list is missed.
pub fn set_uses(files: Vec<crate::ast::File>) -> BTreeMap<String, Vec<Loc>> {
    let mut items: Vec<Item> = files.into_iter().flat_map(|f| f.items).collect();
    let mut resolver = Resolver::new(items.iter().filter_map(|item| match item {
        Item::Set(set) => Some(set),
        _ => None,
    }));
    for item in &mut items {
        resolver.resolve_item(item);
    }
    let mut named_at = resolver.named_at;
    named_at.values_mut().for_each(super::in_written_order);
    named_at
}

/// Whether two targets are written alike.
fn same_target(a: &TargetRef, b: &TargetRef) -> bool {
    match (a, b) {
        (TargetRef::Root(_), TargetRef::Root(_)) => true,
        (TargetRef::Ou(x), TargetRef::Ou(y)) | (TargetRef::Account(x), TargetRef::Account(y)) => {
            x.value == y.value
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::check_text;

    #[test]
    fn test_set_elements_take_the_place_of_the_reference() {
        let (project, codes) = check_text(
            "tag owner\ntag team\nset tags keys { owner, team }\nset actions queues { sqs:CreateQueue }\npolicy p {\n  require $keys on $queues\n  attach to root\n}\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        let require = &project.policies[0].requires[0];
        assert_eq!(require.keys, ["owner", "team"]);
        assert_eq!(require.actions.len(), 1);
    }

    #[test]
    fn test_set_uses_are_every_reference_in_every_kind_of_list_and_in_sets() {
        // Each list that takes a set names one here; `$` appears only in references.
        let text = "tag owner\ntag team\nset tags keys { owner }\nset tags more { $keys, team }\nset actions creates { sqs:CreateQueue }\nset services svc { sagemaker }\nset resource-types types { ec2:instance }\nset principals admins { \"arn:aws:iam::*:role/Admin\" }\nset targets prod { ou \"Root/Prod\" }\npolicy p {\n  require $keys on $creates except $admins\n  only-declared-keys on $creates at $prod\n  forbid owner = \"x\" on $creates\n  protect $more on $svc\n  enforce $keys for $types\n  report $keys for $types\n  exempt $admins\n  attach to $prod\n}\n";
        let source = crate::source::SourceFile::new("t.tags", text);
        let (file, _) = crate::syntax::parse(&source);
        let uses = super::set_uses(vec![file]);
        let found: usize = uses.values().map(Vec::len).sum();
        assert_eq!(found, text.matches('$').count(), "{uses:?}");
        // Each place is a reference to its set, in the order written.
        for (name, places) in &uses {
            for loc in places {
                assert_eq!(&text[loc.span.start..loc.span.end], format!("${name}"));
            }
            assert!(places.windows(2).all(|w| w[0].span.start < w[1].span.start));
        }
        assert_eq!(uses.get("keys").map(Vec::len), Some(4));
    }

    #[test]
    fn test_sets_may_use_sets_and_overlap_without_duplicates() {
        let (project, codes) = check_text(
            "tag owner\nset principals admins { \"arn:aws:iam::*:role/Admin\" }\nset principals ops { $admins, \"arn:aws:iam::*:role/Ops\" }\npolicy p {\n  require owner on sqs:CreateQueue\n  exempt $admins, $ops\n  attach to root\n}\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(
            project.policies[0].exempt,
            ["arn:aws:iam::*:role/Admin", "arn:aws:iam::*:role/Ops"]
        );
    }

    #[test]
    fn test_exempt_through_a_set_is_warned_about_on_a_rule_line_only() {
        let policy = |exempt_line: &str| {
            format!(
                "tag owner\nset principals exempt-roles {{ \"arn:aws:iam::*:role/Admin\" }}\npolicy p {{\n  {exempt_line}\n  attach to root\n}}\n"
            )
        };
        let (_, codes) = check_text(&policy(
            "require owner on sqs:CreateQueue\n  exempt $exempt-roles",
        ));
        assert!(codes.is_empty(), "{codes:?}");
        let (_, codes) = check_text(&policy(
            "require owner on sqs:CreateQueue exempt $exempt-roles",
        ));
        assert_eq!(codes, ["tagc::check::exempt-on-rule-line"]);
    }

    #[test]
    fn test_an_element_error_points_at_the_set_and_labels_the_rule_using_it() {
        let text = "tag owner\nset actions queues { sqs:CreateQeue }\npolicy p {\n  require owner on $queues\n  only-declared-keys on $queues\n  attach to root\n}\n";
        let source = crate::source::SourceFile::new("t.tags", text);
        let (file, _) = crate::syntax::parse(&source);
        let (_, errors) = super::super::check_files(vec![file], crate::catalog::Catalog::builtin());
        // Checked in both rules, reported once.
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(&text[e.loc.span.start..e.loc.span.end], "sqs:CreateQeue");
        let labels: Vec<(usize, Option<String>)> = miette::Diagnostic::labels(e)
            .into_iter()
            .flatten()
            .map(|l| (l.offset(), l.label().map(str::to_owned)))
            .collect();
        let first_use = text.find("$queues").unwrap_or_default();
        assert!(
            labels.contains(&(first_use, Some("the set is used here".to_owned()))),
            "{labels:?}"
        );
    }

    #[test]
    fn test_set_problems_have_their_codes() {
        let (_, codes) = check_text(
            "tag owner\nset actions a { $b }\nset actions b { $a }\nset tags e { }\nset tags k { owner }\nset tags k { owner }\nset tags lonely { owner }\npolicy p {\n  require $k on $kk\n  protect $a\n  attach to root\n}\n",
        );
        for code in [
            "tagc::check::set-cycle",
            "tagc::check::empty-set",
            "tagc::check::duplicate-set",
            "tagc::check::unknown-set",
            "tagc::check::wrong-set-kind",
            "tagc::check::unused-set",
        ] {
            assert!(codes.iter().any(|c| c == code), "{code} missing: {codes:?}");
        }
        // The cycle is reported once, where the expansion first meets it.
        assert_eq!(
            codes
                .iter()
                .filter(|c| *c == "tagc::check::set-cycle")
                .count(),
            1
        );
    }
}
