//! Activating the cost keys as cost allocation tags, through Cost Explorer.
//!
//! Input: the cost keys ([`super::CostKey`]) and the account's user-defined cost allocation
//! tags, read through [`CostExplorerApi`]. Output: an [`ActivationPlan`] (pure), and, on
//! activation, the inactive declared keys activated in calls of at most
//! [`super::ACTIVATION_BATCH`].
//!
//! Two implementations of the API: [`super::sdk::SdkCostExplorer`] (the AWS SDK, in the
//! management or payer account) and [`super::fake::FakeCostExplorer`] (a strict in-memory one
//! for tests). Nothing is ever deactivated: a tag tagc did not declare is the user's, and a
//! casing variant of a declared key that is active is reported (it splits the key's spend in
//! two), not turned off.
//!
//! AWS: `ListCostAllocationTags`
//! (<https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_ListCostAllocationTags.html>)
//! lists only keys billing has seen on a resource; a key that is not listed cannot be
//! activated yet. `UpdateCostAllocationTagsStatus`
//! (<https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html>)
//! takes 1 to 20 keys and reports a failure per key in `Errors`.

use std::fmt::Write as _;

use serde::Serialize;

use super::{ACTIVATION_BATCH, CostError, CostKey};

/// A user-defined cost allocation tag as billing lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagStatus {
    /// The key, in billing's casing.
    pub key: String,
    /// Whether it is active.
    pub active: bool,
}

/// One page of `ListCostAllocationTags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The tags on this page.
    pub tags: Vec<TagStatus>,
    /// The token of the next page, if any.
    pub next_token: Option<String>,
}

/// A key `UpdateCostAllocationTagsStatus` did not activate, with AWS's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// The key.
    pub key: String,
    /// AWS's error code.
    pub code: String,
    /// AWS's message.
    pub message: String,
}

/// A failed call, with AWS's error code (`Dispatch` when no answer came).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// AWS's error code.
    pub code: String,
    /// AWS's message.
    pub message: String,
}

/// The two Cost Explorer calls tagc makes.
pub trait CostExplorerApi {
    /// One page of the user-defined cost allocation tags (`Type = UserDefined`).
    fn list_user_defined(&mut self, next_token: Option<&str>) -> Result<Page, CallError>;

    /// Activate these keys (1 to 20) in one call; the keys it failed to activate.
    fn activate(&mut self, keys: &[String]) -> Result<Vec<KeyError>, CallError>;
}

/// Every user-defined cost allocation tag, page by page.
pub fn list_all(api: &mut dyn CostExplorerApi) -> Result<Vec<TagStatus>, CostError> {
    let mut tags = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = api
            .list_user_defined(token.as_deref())
            .map_err(|e| CostError::api("ListCostAllocationTags", e))?;
        tags.extend(page.tags);
        match page.next_token {
            Some(t) if Some(&t) != token.as_ref() => token = Some(t),
            _ => return Ok(tags),
        }
    }
}

/// A casing of a declared key other than the declared one, known to billing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// The declared key.
    pub declared: String,
    /// The other casing.
    pub key: String,
    /// Whether it is active (then it splits the key's spend).
    pub active: bool,
}

/// What activation would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActivationPlan {
    /// Declared keys already active.
    pub active: Vec<String>,
    /// Declared keys billing knows and that are inactive: activation activates them.
    pub inactive: Vec<String>,
    /// Declared keys billing has not seen on any resource yet: they cannot be activated until
    /// a resource carries them (in the declared casing).
    pub unknown: Vec<String>,
    /// Other casings of declared keys that billing knows, active or not; never changed.
    pub variants: Vec<Variant>,
}

impl ActivationPlan {
    /// Whether activation would change anything.
    pub fn has_changes(&self) -> bool {
        !self.inactive.is_empty()
    }

    /// The plan for people, one line per key.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for k in &self.inactive {
            let _ = writeln!(s, "  + activate {k}");
        }
        for k in &self.active {
            let _ = writeln!(s, "    active   {k}");
        }
        for k in &self.unknown {
            let _ = writeln!(
                s,
                "  ? unknown  {k} (billing has not seen it on a resource yet; activate it once it has)"
            );
        }
        for v in &self.variants {
            let _ = writeln!(
                s,
                "  ! variant  {} of {} is {}{}",
                v.key,
                v.declared,
                if v.active { "active" } else { "inactive" },
                if v.active {
                    " and splits the spend; tagc leaves it as it is"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(
            s,
            "{} to activate, {} active, {} unknown to billing, {} casing variant{}",
            self.inactive.len(),
            self.active.len(),
            self.unknown.len(),
            self.variants.len(),
            if self.variants.len() == 1 { "" } else { "s" }
        );
        s
    }
}

/// The plan for `keys` given billing's user-defined tags. Billing compares keys exactly: a
/// listed key in another casing is a different cost allocation tag, reported as a variant.
pub fn plan(keys: &[CostKey], listed: &[TagStatus]) -> ActivationPlan {
    let mut p = ActivationPlan::default();
    for k in keys {
        match listed.iter().find(|t| t.key == k.key) {
            Some(t) if t.active => p.active.push(k.key.clone()),
            Some(_) => p.inactive.push(k.key.clone()),
            None => p.unknown.push(k.key.clone()),
        }
        let folded = k.key.to_lowercase();
        for t in listed
            .iter()
            .filter(|t| t.key != k.key && t.key.to_lowercase() == folded)
        {
            p.variants.push(Variant {
                declared: k.key.clone(),
                key: t.key.clone(),
                active: t.active,
            });
        }
    }
    p
}

/// Activate the plan's inactive keys, at most [`ACTIVATION_BATCH`] a call. Every batch is
/// sent; keys AWS refused are reported together at the end.
pub fn execute(api: &mut dyn CostExplorerApi, plan: &ActivationPlan) -> Result<(), CostError> {
    let mut refused = Vec::new();
    for batch in plan.inactive.chunks(ACTIVATION_BATCH) {
        let errors = api
            .activate(batch)
            .map_err(|e| CostError::api("UpdateCostAllocationTagsStatus", e))?;
        refused.extend(
            errors
                .into_iter()
                .map(|e| format!("{} ({}: {})", e.key, e.code, e.message)),
        );
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(CostError::Refused { keys: refused })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::FakeCostExplorer;
    use super::*;

    fn key(k: &str) -> CostKey {
        CostKey {
            key: k.into(),
            values: None,
            exact_case: false,
            required: true,
        }
    }

    fn listed(k: &str, active: bool) -> TagStatus {
        TagStatus {
            key: k.into(),
            active,
        }
    }

    #[test]
    fn test_plan_sorts_declared_keys_by_status_and_reports_other_casings() {
        let keys = [key("environment"), key("CostCenter"), key("project")];
        let billing = [
            listed("environment", true),
            listed("Environment", true),
            listed("CostCenter", false),
            listed("costcenter", false),
            listed("team", true),
        ];
        let p = plan(&keys, &billing);
        assert_eq!(p.active, ["environment"]);
        assert_eq!(p.inactive, ["CostCenter"]);
        assert_eq!(p.unknown, ["project"]);
        assert_eq!(
            p.variants,
            [
                Variant {
                    declared: "environment".into(),
                    key: "Environment".into(),
                    active: true
                },
                Variant {
                    declared: "CostCenter".into(),
                    key: "costcenter".into(),
                    active: false
                }
            ]
        );
        assert!(p.has_changes());
        assert!(
            p.render()
                .contains("Environment of environment is active and splits the spend")
        );
    }

    #[test]
    fn test_activation_activates_only_inactive_declared_keys_in_calls_of_twenty() {
        let keys: Vec<CostKey> = (0..45).map(|i| key(&format!("k{i}"))).collect();
        let mut fake = FakeCostExplorer::new(
            (0..45)
                .map(|i| listed(&format!("k{i}"), i % 9 == 0))
                .chain([listed("K1", true), listed("other", false)]),
        );
        let known = list_all(&mut fake).unwrap();
        assert_eq!(known.len(), 47);
        assert!(fake.list_calls > 1, "the fake pages its answers");
        let p = plan(&keys, &known);
        assert_eq!(p.inactive.len(), 40);
        execute(&mut fake, &p).unwrap();
        assert_eq!(fake.update_sizes, [20, 20]);
        // Every declared key is active; what tagc did not declare is as it was.
        let after = list_all(&mut fake).unwrap();
        assert!(keys.iter().all(|k| after.contains(&listed(&k.key, true))));
        assert!(after.contains(&listed("K1", true)));
        assert!(after.contains(&listed("other", false)));
        // Nothing left to do.
        assert!(!plan(&keys, &after).has_changes());
    }

    #[test]
    fn test_keys_aws_refuses_are_reported_after_every_batch_is_sent() {
        let mut fake = FakeCostExplorer::new([listed("a", false), listed("b", false)]);
        fake.refuse.push("a".into());
        let p = plan(&[key("a"), key("b")], &list_all(&mut fake).unwrap());
        let err = execute(&mut fake, &p).unwrap_err();
        assert!(
            matches!(&err, CostError::Refused { keys } if keys.len() == 1 && keys[0].starts_with("a (")),
            "{err:?}"
        );
        assert!(list_all(&mut fake).unwrap().contains(&listed("b", true)));
    }
}
