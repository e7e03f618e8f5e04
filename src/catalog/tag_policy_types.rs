//! Resource types that Organizations tag policies accept, for validating `enforced_for` and
//! `report_required_tag_for` values.
//!
//! Input: two committed tables, `data/enforced_for.txt` (transcribed from AWS's "Services and
//! resource types that support enforcement" page and dated snapshots of it; see its header for
//! sources and gaps) and `data/report_required_tag_for.txt` (the tag-policy alias column of the
//! Terraform AWS provider's mapping table).
//! Output: lookups by `service:type` string, per-service lists and "did you mean" suggestions.
//!
//! Tag-policy type strings are case-sensitive (`backup:backupPlan`), so lookups are exact;
//! suggestions compare case-insensitively.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::suggest::did_you_mean;

/// The wildcard token that selects every enforceable type of a service.
pub const ALL_SUPPORTED: &str = "ALL_SUPPORTED";

const ENFORCED_FOR: &str = include_str!("data/enforced_for.txt");
const REPORT_REQUIRED_TAG_FOR: &str = include_str!("data/report_required_tag_for.txt");

/// The `service:type` entries of a table file: comments (`#`) and blank lines dropped.
fn entries(text: &'static str) -> BTreeSet<&'static str> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .collect()
}

fn enforced_table() -> &'static BTreeSet<&'static str> {
    static TABLE: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| entries(ENFORCED_FOR))
}

fn report_table() -> &'static BTreeSet<&'static str> {
    static TABLE: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| entries(REPORT_REQUIRED_TAG_FOR))
}

/// Splits `service:type`; `None` when there is no colon.
fn split(rt: &str) -> Option<(&str, &str)> {
    rt.split_once(':')
}

fn in_service<'a>(
    table: &'a BTreeSet<&'static str>,
    service: &'a str,
) -> impl Iterator<Item = &'static str> + 'a {
    table
        .iter()
        .copied()
        .filter(move |e| split(e).is_some_and(|(s, _)| s == service))
}

/// True when `service:ALL_SUPPORTED` (or its older spelling `service:*`) is accepted
pub fn supports_all(service: &str) -> bool {
    enforced_table().contains(format!("{service}:{ALL_SUPPORTED}").as_str())
}

/// True when the enforcement table covers `service` at all; when false, [`enforceable`] says
/// "not known to be enforceable" rather than "known not to be"
pub fn enforcement_listed(service: &str) -> bool {
    in_service(enforced_table(), service).next().is_some()
}

/// True when `rt` (`service:type`, `service:ALL_SUPPORTED` or `service:*`) may appear in
/// `enforced_for`
///
/// For services whose only row is `ALL_SUPPORTED` (Lambda, `DynamoDB`, `KMS`, …) the individual
/// types are not in the sources; a type there counts as enforceable when it is a known
/// tag-policy type of the service (it is in the `report_required_tag_for` table).
pub fn enforceable(rt: &str) -> bool {
    let Some((service, ty)) = split(rt) else {
        return false;
    };
    if ty == "*" || ty == ALL_SUPPORTED {
        return supports_all(service);
    }
    let table = enforced_table();
    if table.contains(rt) {
        return true;
    }
    let only_wildcard = in_service(table, service).all(|e| e.ends_with(ALL_SUPPORTED));
    supports_all(service) && only_wildcard && reportable(rt)
}

/// True when `rt` (`service:type`) may appear in `report_required_tag_for`
pub fn reportable(rt: &str) -> bool {
    report_table().contains(rt)
}

/// The `enforced_for` entries listed for `service`, sorted, including `service:ALL_SUPPORTED`
/// when the wildcard is accepted
pub fn enforceable_types_for(service: &str) -> Vec<&'static str> {
    in_service(enforced_table(), service).collect()
}

/// The `report_required_tag_for` types of `service`, sorted
pub fn reportable_types_for(service: &str) -> Vec<&'static str> {
    in_service(report_table(), service).collect()
}

/// The listed `enforced_for` value closest to `rt`, for "did you mean" help
pub fn suggest_enforceable(rt: &str) -> Option<&'static str> {
    did_you_mean(rt, enforced_table().iter().copied())
}

/// The `report_required_tag_for` value closest to `rt`, for "did you mean" help
pub fn suggest_reportable(rt: &str) -> Option<&'static str> {
    did_you_mean(rt, report_table().iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_sagemaker_enforcement_and_reporting_are_asymmetric() {
        assert!(enforceable("sagemaker:training-job"));
        assert!(!enforceable("sagemaker:endpoint"));
        assert!(reportable("sagemaker:endpoint"));
        assert!(!reportable("sagemaker:training-job"));
        assert!(!supports_all("sagemaker"));
        assert!(!enforceable("sagemaker:ALL_SUPPORTED"));
        assert!(!enforceable("sagemaker:*"));
        assert_eq!(enforceable_types_for("sagemaker").len(), 13);
        assert_eq!(reportable_types_for("sagemaker").len(), 30);
    }

    #[test]
    fn test_wildcards_and_required_services() {
        for service in [
            "s3",
            "secretsmanager",
            "lambda",
            "dynamodb",
            "ec2",
            "rds",
            "ecs",
            "eks",
        ] {
            assert!(supports_all(service), "{service}");
            assert!(enforceable(&format!("{service}:*")), "{service}");
        }
        assert!(enforceable("ec2:instance"));
        assert!(!enforceable("ec2:no-such-type"));
        assert!(enforceable("secretsmanager:secret"));
        // Lambda has only the wildcard row; its known types count.
        assert!(enforceable("lambda:function"));
        assert!(!enforceable("lambda:nope"));
        assert!(!enforcement_listed("bedrock"));
        assert!(!enforceable("bedrock:agent"));
        assert!(reportable("bedrock:agent"));
        assert!(!enforceable("nocolon"));
    }

    #[test]
    fn test_tables_are_well_formed() {
        assert_eq!(report_table().len(), 645);
        for e in enforced_table().iter().chain(report_table()) {
            let (s, t) = split(e).expect("service:type");
            assert!(!s.is_empty() && !t.is_empty() && !e.contains(' '), "{e:?}");
        }
    }

    #[test]
    fn test_suggestions() {
        assert_eq!(
            suggest_enforceable("sagemaker:traning-job"),
            Some("sagemaker:training-job")
        );
        assert_eq!(
            suggest_reportable("SageMaker:Endpoint"),
            Some("sagemaker:endpoint")
        );
        assert_eq!(suggest_reportable("zzzz:qqqqqqqqqqqq"), None);
    }
}
