//! Action compression (`organization { actions compact }`): an action list in, the same list
//! written with word-boundary wildcards where that is shorter, and what each wildcard takes in.
//!
//! Input: a statement's actions (`service:Name`, as the check stage expanded them) and the
//! catalog. Output: patterns that match, among the catalog's actions of each service, exactly
//! the actions given, and one [`Wildcard`] per pattern that is not a plain name. IAM matches
//! action names ignoring case, with `*` standing for any run of characters
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>),
//! so `ec2:CreateVpc*` is chosen only when every catalog action starting with `CreateVpc` is
//! in the list. What the catalog cannot vouch for is the future: an action AWS adds under the
//! same prefix is taken in too. That is the risk the setting accepts, and the manifest and
//! `build --explain` name each wildcard with the actions it matches today.

use crate::artifact::Wildcard;
use crate::catalog::Catalog;

/// `actions` written as short as possible; wildcards whose prefix would also match a catalog
/// action outside `actions` are never used. Order: the first action of each pattern decides
/// where it stands. Services the catalog does not know keep their names.
pub fn compact_actions(actions: &[String], catalog: &Catalog) -> (Vec<String>, Vec<Wildcard>) {
    // Per service, in first-seen order.
    let mut services: Vec<(&str, Vec<&str>)> = Vec::new();
    for a in actions {
        let (service, name) = a.split_once(':').unwrap_or((a.as_str(), ""));
        match services.iter_mut().find(|(s, _)| *s == service) {
            Some((_, names)) => names.push(name),
            None => services.push((service, vec![name])),
        }
    }
    let mut out = Vec::new();
    let mut wildcards = Vec::new();
    for (service, names) in services {
        let Some(svc) = catalog.service(service) else {
            out.extend(names.iter().map(|n| format!("{service}:{n}")));
            continue;
        };
        let known: Vec<&str> = svc.actions.iter().map(|a| a.name.as_str()).collect();
        for (prefix, matched) in compact_service(&names, &known) {
            match prefix {
                Some(prefix) => {
                    let pattern = format!("{service}:{prefix}*");
                    wildcards.push(Wildcard {
                        pattern: pattern.clone(),
                        matches: matched.iter().map(|m| format!("{service}:{m}")).collect(),
                    });
                    out.push(pattern);
                }
                None => out.extend(matched.iter().map(|m| format!("{service}:{m}"))),
            }
        }
    }
    (out, wildcards)
}

/// One service's names as patterns: `(Some(prefix), matched)` for `prefix*`, `(None, [name])`
/// for a name kept as it is. `known` is every action of the service in the catalog.
fn compact_service<'a>(
    names: &[&'a str],
    known: &[&'a str],
) -> Vec<(Option<String>, Vec<&'a str>)> {
    let wanted = |n: &str| names.iter().any(|w| w.eq_ignore_ascii_case(n));
    let matches = |prefix: &str| -> Vec<&'a str> {
        let p = prefix.to_ascii_lowercase();
        known
            .iter()
            .filter(|k| k.to_ascii_lowercase().starts_with(&p))
            .copied()
            .collect()
    };
    // For each name, the shortest word-boundary prefix that matches only wanted actions; the
    // name itself when that is no shorter than the name (a `*` costs one character).
    let mut chosen: Vec<(Option<String>, Vec<&'a str>)> = Vec::new();
    for name in names {
        let best = word_boundaries(name)
            .into_iter()
            .map(|i| &name[..i])
            .find(|prefix| matches(prefix).iter().all(|m| wanted(m)))
            .filter(|prefix| prefix.len() + 1 < name.len());
        let entry = match best {
            Some(prefix) => (Some(prefix.to_owned()), matches(prefix)),
            None => (None, vec![*name]),
        };
        if !chosen.iter().any(|c| c.0.is_some() && c.0 == entry.0) {
            chosen.push(entry);
        }
    }
    // A pattern whose actions all are matched by other patterns adds nothing.
    let mut i = 0;
    while i < chosen.len() {
        let covered = chosen[i].1.iter().all(|m| {
            chosen
                .iter()
                .enumerate()
                .any(|(j, (_, ms))| j != i && ms.contains(m))
        });
        if covered {
            chosen.remove(i);
        } else {
            i += 1;
        }
    }
    chosen
}

/// The lengths of `name`'s prefixes that end at a word boundary of its CamelCase spelling,
/// shortest first: before an upper-case letter that follows a lower-case letter or a digit
/// (`Create|Vpc`), or that starts a word after an acronym (`CreateDB|Instance`).
fn word_boundaries(name: &str) -> Vec<usize> {
    let b = name.as_bytes();
    (1..b.len())
        .filter(|&i| {
            let (prev, cur) = (b[i - 1], b[i]);
            cur.is_ascii_uppercase()
                && (prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase()
                        && b.get(i + 1).is_some_and(u8::is_ascii_lowercase)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_word_boundaries_split_camel_case_and_acronyms() {
        let cut = |n: &str| -> Vec<String> {
            word_boundaries(n)
                .into_iter()
                .map(|i| n[..i].to_owned())
                .collect()
        };
        assert_eq!(cut("CreateVpcEndpoint"), ["Create", "CreateVpc"]);
        assert_eq!(cut("CreateDBInstance"), ["Create", "CreateDB"]);
        assert_eq!(cut("Create"), Vec::<String>::new());
    }

    #[test]
    fn test_a_prefix_is_used_only_when_every_action_it_matches_is_wanted() {
        let known = [
            "CreateVpc",
            "CreateVpcEndpoint",
            "CreateTags",
            "CreateVolume",
        ];
        let got = compact_service(&["CreateVpc", "CreateVpcEndpoint", "CreateVolume"], &known);
        // `Create*` would take in `CreateTags`; `CreateVpc*` matches both wanted Vpc actions.
        assert_eq!(
            got,
            [
                (
                    Some("CreateVpc".to_owned()),
                    vec!["CreateVpc", "CreateVpcEndpoint"]
                ),
                (None, vec!["CreateVolume"]),
            ]
        );
    }

    #[test]
    fn test_a_whole_service_prefix_collapses_to_one_wildcard() {
        let known = ["CreateModel", "CreateModelPackage", "DescribeModel"];
        let got = compact_service(&["CreateModel", "CreateModelPackage"], &known);
        assert_eq!(
            got,
            [(
                Some("Create".to_owned()),
                vec!["CreateModel", "CreateModelPackage"]
            )]
        );
    }

    #[test]
    fn test_compact_actions_matches_exactly_the_same_catalog_actions() {
        let catalog = Catalog::builtin();
        let svc = catalog.service("ec2").unwrap();
        let wanted: Vec<String> = svc
            .actions
            .iter()
            .filter(|a| a.name.starts_with("CreateVpc") || a.name == "RunInstances")
            .map(|a| format!("ec2:{}", a.name))
            .collect();
        let (patterns, wildcards) = compact_actions(&wanted, catalog);
        assert!(patterns.len() < wanted.len(), "{patterns:?}");
        // Every catalog action of the service is matched by a pattern exactly when wanted.
        for a in &svc.actions {
            let full = format!("ec2:{}", a.name);
            let hit = patterns.iter().any(|p| {
                p.strip_suffix('*').map_or_else(
                    || p.eq_ignore_ascii_case(&full),
                    |prefix| {
                        full.to_ascii_lowercase()
                            .starts_with(&prefix.to_ascii_lowercase())
                    },
                )
            });
            assert_eq!(hit, wanted.contains(&full), "{full} against {patterns:?}");
        }
        assert!(wildcards.iter().all(|w| patterns.contains(&w.pattern)));
    }
}
