//! Hover and go to definition.
//!
//! Input: the word under the cursor, the checked model and the catalog. Output: for a declared
//! tag key, its declaration, allowed values and the rules that name it with the layer that
//! enforces each; for an action or action pattern, what it expands to in the catalog and the
//! policies' rules on it with their layers (what `tagc build --explain` prints); for a tag key,
//! the place of its `tag` declaration. For a `$name` set reference, the set's kind and
//! elements as written, and the place of its `set` declaration; for the name of a set where it
//! is declared, the same and the places that use it, and the declaration itself.

use std::fmt::Write as _;

use crate::ast::{SetDecl, TargetRef};
use crate::catalog::{Catalog, tag_policy_types};
use crate::model::{Project, RuleKind, TagDef};
use crate::source::Loc;

/// How many action names a hover lists before "and N more".
const SHOWN: usize = 10;

/// Which layer enforces a rule of `kind` on an action (see `docs/language.md`, "Policies": the
/// SCP and the IAM policy carry the Deny statements of `require`, `only-declared-keys` and
/// `protect`).
fn layer(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Require => "SCP and IAM guardrail: presence and value of the keys on create",
        RuleKind::OnlyDeclaredKeys => "SCP and IAM guardrail: keys no `tag` declares are denied",
        RuleKind::Protect => "SCP and IAM guardrail: standalone tagging of the keys is denied",
        RuleKind::Forbid => {
            "SCP and IAM guardrail: the forbidden values are denied (a tag policy cannot forbid a value)"
        }
        RuleKind::Enforce | RuleKind::Report => "tag policy",
        RuleKind::Description | RuleKind::Exempt | RuleKind::Attach | RuleKind::Grant => "no layer",
    }
}

/// The declared tag `key`.
pub fn tag<'m>(model: &'m Project, key: &str) -> Option<&'m TagDef> {
    model.tags.iter().find(|t| t.key == key)
}

/// Markdown describing `word`, or `None` when it is neither a declared tag nor an action.
pub fn hover(word: &str, model: &Project, catalog: &Catalog) -> Option<String> {
    if let Some(t) = tag(model, word) {
        return Some(hover_tag(t, model));
    }
    let (service, pattern) = word.split_once(':')?;
    if tag_policy_types::reportable(word) || tag_policy_types::enforceable(word) {
        return Some(hover_resource_type(word, model));
    }
    let expanded = catalog.expand(service, pattern);
    let mut s = String::new();
    if expanded.is_empty() {
        let _ = writeln!(s, "`{word}`: no action of the catalog matches");
    } else {
        let n = expanded.len();
        let _ = writeln!(
            s,
            "`{word}` → {n} action{}:\n",
            if n == 1 { "" } else { "s" }
        );
        for a in expanded.iter().take(SHOWN) {
            let carry = if a.tagging_only {
                "tagging-only"
            } else if a.can_carry_tags() {
                "can carry tags on create"
            } else {
                "cannot carry tags on create"
            };
            let _ = writeln!(s, "- `{service}:{}` ({carry})", a.name);
        }
        if n > SHOWN {
            let _ = writeln!(s, "- … and {} more", n - SHOWN);
        }
    }
    let names: Vec<String> = expanded
        .iter()
        .map(|a| format!("{service}:{}", a.name).to_lowercase())
        .collect();
    let mut rules = String::new();
    for p in &model.policies {
        for e in &p.expansions {
            let covers = e.pattern().eq_ignore_ascii_case(word)
                || e.actions()
                    .iter()
                    .any(|a| names.contains(&a.to_string().to_lowercase()));
            if covers {
                let _ = writeln!(
                    rules,
                    "- {}: `{} … on {}` ({} actions) — {}",
                    named(p),
                    e.rule().word(),
                    e.pattern(),
                    e.actions().len(),
                    layer(e.rule())
                );
            }
        }
    }
    if !rules.is_empty() {
        let _ = write!(s, "\nRules on it:\n\n{rules}");
    }
    Some(s)
}

/// The hover of the resource type `rt`: what a tag policy can do with it, and the rules on it.
fn hover_resource_type(rt: &str, model: &Project) -> String {
    let mut s = format!("resource type `{rt}`\n\n");
    let _ = writeln!(
        s,
        "Tag policy: {}.",
        if tag_policy_types::enforceable(rt) {
            "`enforce` (enforced_for) and `report` (report_required_tag_for)"
        } else {
            "`report` (report_required_tag_for) only"
        }
    );
    let mut rules = String::new();
    for p in &model.policies {
        for (kind, list) in [
            (RuleKind::Enforce, &p.enforce),
            (RuleKind::Report, &p.report),
        ] {
            for r in list
                .iter()
                .filter(|r| r.resource_types.iter().any(|t| t.to_string() == rt))
            {
                let _ = writeln!(
                    rules,
                    "- {}: `{} {}` — {}",
                    named(p),
                    kind.word(),
                    r.key,
                    layer(kind)
                );
            }
        }
    }
    if !rules.is_empty() {
        let _ = write!(s, "\nRules on it:\n\n{rules}");
    }
    s
}

/// A policy as a hover names it: a part (the rules a policy places with `at`) by its policy
/// and targets.
fn named(p: &crate::model::Policy) -> String {
    match &p.part_of {
        Some(policy) => {
            let targets: Vec<String> = p.targets.iter().map(ToString::to_string).collect();
            format!("policy `{policy}` at {}", targets.join(", "))
        }
        None => format!("policy `{}`", p.name),
    }
}

/// What a rule's `except` adds to its hover line.
fn except(patterns: &[String]) -> String {
    if patterns.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = patterns.iter().map(|e| format!("`{e}`")).collect();
    format!(", except {}", quoted.join(", "))
}

/// The hover of the declared tag `t`.
fn hover_tag(t: &TagDef, model: &Project) -> String {
    let mut s = format!("tag `{}`", t.key);
    let (line, _) = t.loc.line_col();
    let _ = writeln!(s, " — declared in `{}` line {line}\n", t.loc.file.name);
    match &t.values {
        Some(v) => {
            let _ = writeln!(
                s,
                "Allowed values{}: {}",
                if t.exact_case { " (exact case)" } else { "" },
                v.iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        None => {
            let _ = writeln!(s, "Any value.");
        }
    }
    // What the tag policy holds where a `?` pattern is wider there (`value-widened`), when a
    // tag policy holds the tag at all.
    if let (Some(exact), Some(widened)) = (&t.values, t.tag_policy_values())
        && *exact != widened
        && in_tag_policy(model, &t.key)
    {
        let _ = writeln!(
            s,
            "\nTag policy: {} (no `?` there; the SCP and IAM policy enforce the values exactly).",
            widened
                .iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut rules = String::new();
    for p in &model.policies {
        for r in &p.requires {
            if r.keys.contains(&t.key) {
                let _ = writeln!(
                    rules,
                    "- {}: `require` on {} actions{}{} — {}",
                    named(p),
                    r.actions.len(),
                    r.when
                        .as_ref()
                        .map_or_else(String::new, |w| format!(" when `{}` matches", w.key)),
                    except(&r.except),
                    layer(RuleKind::Require)
                );
            }
        }
        value_rules(&mut rules, p, &t.key);
        for pr in &p.protects {
            if pr.keys.contains(&t.key) {
                let _ = writeln!(
                    rules,
                    "- {}: `protect`{} — {}",
                    named(p),
                    except(&pr.except),
                    layer(RuleKind::Protect)
                );
            }
        }
        for (kind, list) in [
            (RuleKind::Enforce, &p.enforce),
            (RuleKind::Report, &p.report),
        ] {
            for r in list.iter().filter(|r| r.key == t.key) {
                let _ = writeln!(
                    rules,
                    "- {}: `{}` for {} resource types — {}",
                    named(p),
                    kind.word(),
                    r.resource_types.len(),
                    layer(kind)
                );
            }
        }
    }
    if !rules.is_empty() {
        let _ = write!(s, "\nRules on it:\n\n{rules}");
    }
    s
}

/// Whether some policy puts the tag `key` in its tag policy: names it in `require`,
/// `protect`, `enforce` or `report`, as `tag-policy.json` lists keys.
fn in_tag_policy(model: &Project, key: &str) -> bool {
    model
        .policies
        .iter()
        .any(|p| p.tag_policy_keys().contains(&key))
}

/// The lines of the `when` and `forbid` rules of `p` that test the tag `key`.
fn value_rules(rules: &mut String, p: &crate::model::Policy, key: &str) {
    for r in p
        .requires
        .iter()
        .filter(|r| r.when.as_ref().is_some_and(|w| w.key == key))
    {
        let _ = writeln!(
            rules,
            "- {}: `when` of a `require` of {} — {}",
            named(p),
            r.keys.join(", "),
            layer(RuleKind::Require)
        );
    }
    for f in p.forbids.iter().filter(|f| f.test.key == key) {
        let values: Vec<String> = f.test.values.iter().map(|v| format!("`{v}`")).collect();
        let _ = writeln!(
            rules,
            "- {}: `forbid` of {} on {} actions{} — {}",
            named(p),
            values.join(", "),
            f.actions.len(),
            except(&f.except),
            layer(RuleKind::Forbid)
        );
    }
}

/// Where the tag `key` is declared.
pub fn definition<'m>(word: &str, model: &'m Project) -> Option<&'m Loc> {
    tag(model, word).map(|t| &t.loc)
}

/// The set a `$name` word refers to, among the project's declarations (the first of a name).
pub fn set<'s>(word: &str, sets: &'s [SetDecl]) -> Option<&'s SetDecl> {
    let name = word.strip_prefix('$')?;
    sets.iter().find(|s| s.name.value == name)
}

/// Markdown describing a set: its kind and its elements as written (references to other sets
/// included, as `$name`).
pub fn hover_set(set: &SetDecl) -> String {
    let mut elements: Vec<String> = set.elements.iter().map(|e| e.value.clone()).collect();
    elements.extend(set.targets.iter().map(|t| match t {
        TargetRef::Root(_) => "root".to_owned(),
        TargetRef::Ou(x) => format!("ou \"{}\"", x.value),
        TargetRef::Account(x) => format!("account \"{}\"", x.value),
        TargetRef::Set(x) => x.value.clone(),
    }));
    let mut s = format!(
        "**set {} `{}`**: {} element{}\n\n",
        set.kind.value.word(),
        set.name.value,
        elements.len(),
        if elements.len() == 1 { "" } else { "s" }
    );
    for e in elements.iter().take(SHOWN) {
        let _ = writeln!(s, "- `{e}`");
    }
    if elements.len() > SHOWN {
        let _ = writeln!(s, "- and {} more", elements.len() - SHOWN);
    }
    s
}

/// The set whose declaration names it at `offset` (the start of the word under the cursor) of
/// the file the pipeline calls `file`.
pub fn declared_at<'s>(file: &str, offset: usize, sets: &'s [SetDecl]) -> Option<&'s SetDecl> {
    sets.iter().find(|s| {
        s.name.loc.file.name == file
            && s.name.loc.span.start <= offset
            && offset < s.name.loc.span.end
    })
}

/// The hover of a set at its declaration: what a reference shows, and where it is used.
pub fn hover_set_declaration(set: &SetDecl, uses: &[Loc]) -> String {
    let mut s = hover_set(set);
    match uses.len() {
        0 => {
            let _ = writeln!(s, "\nNever used: no list names `${}`.", set.name.value);
        }
        n => {
            let _ = writeln!(s, "\nUsed in {n} place{}:\n", if n == 1 { "" } else { "s" });
            for loc in uses.iter().take(SHOWN) {
                let (line, _) = loc.line_col();
                let _ = writeln!(s, "- `{}` line {line}", loc.file.name);
            }
            if n > SHOWN {
                let _ = writeln!(s, "- and {} more", n - SHOWN);
            }
        }
    }
    s
}
