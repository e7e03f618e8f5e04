//! The check stage: syntax trees to the checked [`Project`].
//!
//! Input: the parsed files of one project and the AWS [`Catalog`]. Output: the project with every
//! name resolved and every action pattern expanded, plus every error and warning found — all of
//! them, in every file, because a user fixing rules wants the whole list at once.
//!
//! What is checked: tag keys and values against AWS's rules; names (unknown, duplicate, or
//! differing only in case); action patterns against the catalog (unknown services and actions,
//! with "did you mean", and tag requirements on actions that can never carry tags); ARNs,
//! targets and resource types; rules that conflict once attached.
//!
//! Named sets are resolved first (`sets`): every `$name` in a list is replaced by the set's
//! elements, so the parts below read plain lists.
//!
//! One file per part of the language, each adding its methods to the one `Checker`:
//! `tags` (tag declarations), `actions` (action patterns against the catalog), `policies`
//! (policy statements into rules), `protect` (the `protect` statement), `targets` (resource
//! types and targets), `conflicts` (rules that conflict once attached), `requests` (`test`
//! blocks and `tagc eval`'s request), `org` (the `organization` block), `values` (`forbid`,
//! `when` and what each layer enforces of a value pattern; `glob` decides what value patterns
//! have in common), `scope` (the `at` and `except` clauses of rules, and the split of a policy
//! into parts by `at`). `validate` holds the value checks that need no project, `error` the
//! diagnostics; "did you mean" comes from [`crate::suggest`].

mod actions;
pub mod allow;
pub(crate) use actions::type_named_after;
mod conflicts;
mod error;
mod glob;
mod org;
mod policies;
mod protect;
mod requests;
mod scope;
mod sets;
mod tags;
mod targets;
mod validate;
mod values;

pub use error::{CheckError, CheckErrorKind, Field};
pub use requests::{RequestText, check_request};
pub use scope::part_name;
pub use sets::set_uses;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::ast::{self, Item};
use crate::catalog::Catalog;
use crate::model::{Placement, Project};
use crate::source::Loc;
use crate::suggest::did_you_mean;

/// Check the parsed files of one project. The project is complete only when no returned
/// diagnostic is an error. [`check_files`] does the same on files it may consume.
pub fn check(files: &[ast::File], catalog: &Catalog) -> (Project, Vec<CheckError>) {
    check_files(files.to_vec(), catalog)
}

/// [`check`], consuming the files: each item's syntax tree is dropped once it is checked, so
/// the trees and the project they become are not held in full at once.
pub fn check_files(files: Vec<ast::File>, catalog: &Catalog) -> (Project, Vec<CheckError>) {
    let (declarations, rules) = split(files);
    let mut stream = Stream::new(&declarations, catalog);
    for item in rules {
        stream.item(item);
    }
    stream.finish()
}

/// The items of `files`: the declarations (tags and sets), then every other item, in order.
fn split(files: Vec<ast::File>) -> (Vec<Item>, Vec<Item>) {
    files
        .into_iter()
        .flat_map(|f| f.items)
        .partition(|item| matches!(item, Item::Tag(_) | Item::Set(_)))
}

/// `places` ordered by file and place, each once: how the editor lists the uses of a name.
fn in_written_order(places: &mut Vec<Loc>) {
    places.sort_by(|a, b| {
        (a.file.name.as_str(), a.span.start).cmp(&(b.file.name.as_str(), b.span.start))
    });
    places.dedup_by(|a, b| Arc::ptr_eq(&a.file, &b.file) && a.span == b.span);
}

/// What is wrong with `key` as a tag key (length, the reserved `aws:` prefix, a character AWS
/// does not allow), or `None`: what `check` says of a `tag` declaration's key.
pub fn tag_key_problem(key: &str) -> Option<String> {
    validate::invalid_key(key)
}

/// The checked project of `files` ([`check_files`]) and every place each of its declared tags
/// is named, by its declared key: in a rule's list of tags (`require`, `protect`, `enforce`,
/// `report`), a `when` or a `forbid`, a tag set's elements, and a test's request (whose key
/// finds the tag ignoring case, as IAM does); ordered by file and place, each once (a tag set
/// used by two rules names its tags once). What the editor answers "find references" and
/// renames with: the check that resolves each key finds them in the rules, so no list is
/// missed.
pub fn tag_uses(files: Vec<ast::File>, catalog: &Catalog) -> (Project, BTreeMap<String, Vec<Loc>>) {
    let (declarations, rules) = split(files);
    let mut stream = Stream::new(&declarations, catalog);
    // A tag set's elements, used by a rule or not (the rules find those they use again).
    let mut found: Vec<(String, Loc)> = Vec::new();
    for item in &declarations {
        if let Item::Set(set) = item
            && set.kind.value == ast::SetKind::Tags
        {
            for e in &set.elements {
                if let Some(tag) = stream.cx.project.tag(&e.value) {
                    found.push((tag.key.clone(), e.loc.clone()));
                }
            }
        }
    }
    stream.cx.places.tag_uses = Some(found);
    for item in rules {
        stream.item(item);
    }
    let found = stream.cx.places.tag_uses.take().unwrap_or_default();
    let (project, _) = stream.finish();
    let mut uses: BTreeMap<String, Vec<Loc>> = BTreeMap::new();
    for (key, loc) in found {
        uses.entry(key).or_default().push(loc);
    }
    uses.values_mut().for_each(in_written_order);
    (project, uses)
}

/// A check that takes the items of a project one at a time, so that a caller can parse an
/// item, check it and drop its syntax tree before parsing the next: the declarations (tags
/// and sets, which every rule may name, in any file) first, in [`Stream::new`], then every
/// other item in file order, then [`Stream::finish`].
pub struct Stream<'c> {
    cx: Checker<'c>,
    sets: sets::Resolver,
    org_seen: Option<Loc>,
}

impl<'c> Stream<'c> {
    /// Begin a check with the project's `tag` and `set` items (other items are ignored).
    pub fn new(declarations: &[Item], catalog: &'c Catalog) -> Self {
        let mut cx = Checker {
            catalog,
            errors: Vec::new(),
            project: Project::default(),
            places: Places::default(),
        };
        let sets = sets::Resolver::new(declarations.iter().filter_map(|item| match item {
            Item::Set(s) => Some(s),
            _ => None,
        }));
        // Every tag is declared before any rule is checked: a rule may name a tag of a later
        // file.
        cx.check_tags(declarations.iter().filter_map(|item| match item {
            Item::Tag(t) => Some(t),
            _ => None,
        }));
        Self {
            cx,
            sets,
            org_seen: None,
        }
    }

    /// Check one item other than a declaration; its tree is dropped when this returns.
    pub fn item(&mut self, mut item: Item) {
        self.sets.resolve_item(&mut item);
        let cx = &mut self.cx;
        match &item {
            Item::Policy(p) => cx.check_policy(p),
            Item::Test(t) => cx.check_test(t),
            Item::Organization(o) => {
                if let Some(first) = &self.org_seen {
                    cx.push(
                        CheckError::new(
                            CheckErrorKind::DuplicateStatement("organization".into()),
                            o.loc.clone(),
                        )
                        .with_related(first, "first given here"),
                    );
                } else {
                    self.org_seen = Some(o.loc.clone());
                }
                cx.check_org(o);
            }
            Item::Tag(_) | Item::Set(_) => {}
        }
    }

    /// The checked project and every diagnostic, the sets' first.
    pub fn finish(self) -> (Project, Vec<CheckError>) {
        let mut cx = self.cx;
        let (set_errors, set_uses) = self.sets.finish();
        cx.report_widened();
        cx.check_part_names();
        cx.check_conflicts();
        cx.project.placements = Placement::of(&cx.project.policies);
        cx.project.tagging_authorized_by = cx.tagging_authorized_by();
        let mut errors = set_errors;
        errors.append(&mut cx.errors);
        // An element of a set used in several lists is checked in each: report it once, with
        // the first rule that uses the set.
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| {
            seen.insert((
                e.loc.file.name.clone(),
                e.loc.span.start,
                e.loc.span.end,
                e.to_string(),
            ))
        });
        let errors = errors.into_iter().map(|e| set_uses.label(e)).collect();
        (cx.project, errors)
    }
}

/// The state of one check: the project built so far and every diagnostic found on the way.
struct Checker<'c> {
    catalog: &'c Catalog,
    errors: Vec<CheckError>,
    project: Project,
    /// What the diagnostics run once every policy is checked need to know about where the
    /// rules were written, which the model does not keep.
    places: Places,
}

/// Where rules were written, kept beside the model for the diagnostics of [`Stream::finish`].
#[derive(Debug, Default)]
struct Places {
    /// One per policy of the model, in the same order: for a part, the `at` clause of the
    /// first rule placed in it; `None` for a policy's own part.
    part_at: Vec<Option<Loc>>,
    /// Each tag key with a `value-widened` warning that some policy puts in its tag policy,
    /// with the first rule that puts it there: what `tagc build` writes in `tag-policy.json`
    /// (see `lower`).
    tag_policy_keys: Vec<(String, Loc)>,
    /// `value-widened` warnings found while checking the tags, each with its tag and where
    /// among the diagnostics it goes: it is reported only if some tag policy holds the tag,
    /// which is known once every policy is checked.
    widened: Vec<(String, usize, CheckError)>,
    /// Where each declared tag is named, by its key, when asked for ([`tag_uses`]); `None` in
    /// a build, which has no use for them.
    tag_uses: Option<Vec<(String, Loc)>>,
}

impl Checker<'_> {
    fn push(&mut self, e: CheckError) {
        self.errors.push(e);
    }

    fn err(&mut self, kind: CheckErrorKind, loc: &Loc) {
        self.errors.push(CheckError::new(kind, loc.clone()));
    }
}

/// Check `text` as the one file of a project against the built-in catalog: the project and the
/// codes of every diagnostic found, for the rooms' unit tests.
#[cfg(test)]
fn check_text(text: &str) -> (Project, Vec<String>) {
    let source = crate::source::SourceFile::new("t.tags", text);
    let (file, syntax_errors) = crate::syntax::parse(&source);
    assert!(syntax_errors.is_empty(), "{text}: {syntax_errors:?}");
    let (project, errors) = check_files(vec![file], Catalog::builtin());
    let codes = errors
        .iter()
        .map(|e| {
            miette::Diagnostic::code(e)
                .map(|c| c.to_string())
                .unwrap_or_default()
        })
        .collect();
    (project, codes)
}
