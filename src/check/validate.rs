//! AWS's rules for the tokens of the language: tag keys and values, action patterns, ARNs,
//! OU ids and tag-policy resource types. Pure functions of their input (and the catalog's
//! tag-policy tables), so each rule is tested on its own.

use super::{CheckError, CheckErrorKind};
use crate::ast::Text;
use crate::catalog::tag_policy_types;
use crate::model::ResourceType;
use crate::source::Loc;

/// Lists the supported resource types of a service.
type TypeLister = fn(&str) -> Vec<&'static str>;

/// The supported resource type closest to one that is not.
type TypeSuggester = fn(&str) -> Option<&'static str>;

/// Which tag-policy field a resource type goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// `enforced_for`.
    EnforcedFor,
    /// `report_required_tag_for`.
    ReportRequired,
}

impl Field {
    /// The error for a type AWS does not support in this field, listing the supported ones.
    pub(super) fn validate(self, parsed: &ResourceType, loc: &Loc) -> Option<CheckError> {
        let resource_type = parsed.to_string();
        let resource_type = resource_type.as_str();
        // The suggestion is a search of the whole table: made only once there is an error.
        let (ok, field, suggest, listed): (bool, &str, TypeSuggester, TypeLister) = match self {
            Self::EnforcedFor => (
                tag_policy_types::enforceable(resource_type),
                "enforced_for",
                tag_policy_types::suggest_enforceable,
                tag_policy_types::enforceable_types_for,
            ),
            Self::ReportRequired => (
                tag_policy_types::reportable(resource_type),
                "report_required_tag_for",
                tag_policy_types::suggest_reportable,
                tag_policy_types::reportable_types_for,
            ),
        };
        if ok {
            return None;
        }
        let service = parsed.service();
        let supported = listed(service);
        let mut help = if supported.is_empty() {
            format!("AWS lists no `{service}` resource types for `{field}`")
        } else {
            let list: Vec<String> = supported.iter().map(|t| format!("`{t}`")).collect();
            format!(
                "supported in `{field}` for `{service}`: {}",
                list.join(", ")
            )
        };
        // The commonest case is not a typo but a type that AWS supports in the other field:
        // say so, and what does enforce it, rather than guess at a similar name.
        let other_field = match self {
            Self::EnforcedFor => tag_policy_types::reportable(resource_type).then(|| {
                format!(
                    "tag policies cannot enforce values on `{resource_type}`; `report … for {resource_type}` marks the key required for reports and IaC checks, and `require` enforces it on create through the SCP; {help}"
                )
            }),
            Self::ReportRequired => tag_policy_types::enforceable(resource_type).then(|| {
                format!(
                    "AWS has no required-key reporting for `{resource_type}`; `enforce … for {resource_type}` checks its values, and `require` enforces presence on create through the SCP; {help}"
                )
            }),
        };
        if let Some(h) = other_field {
            help = h;
        } else if let Some(s) = suggest(resource_type).filter(|s| *s != resource_type) {
            help = format!("did you mean `{s}`? {help}");
        }
        Some(
            CheckError::new(
                CheckErrorKind::UnsupportedResourceType {
                    resource_type: resource_type.to_owned(),
                    field: self,
                },
                loc.clone(),
            )
            .with_help(help),
        )
    }
}

/// `service:Action` → (`service`, `Action`), when well formed.
pub(super) fn split_action(text: &str) -> Option<(&str, &str)> {
    let (service, name) = text.split_once(':')?;
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?' || c == '_' || c == '-');
    (service_ok && name_ok).then_some((service, name))
}

/// `EKS:CreateCluster` → `eks:CreateCluster`: the pattern with its service prefix lowercased,
/// when that alone makes it well formed. IAM service prefixes are lowercase
/// (<https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>).
pub(super) fn lowercase_service(text: &str) -> Option<String> {
    let (service, name) = text.split_once(':')?;
    let fixed = format!("{}:{name}", service.to_ascii_lowercase());
    (fixed != text && split_action(&fixed).is_some()).then_some(fixed)
}

/// The diagnostic for a pattern that is not `service:Action`, with the lowercase spelling as
/// help when the service prefix is only in the wrong case.
pub(super) fn malformed_action(text: &Text) -> CheckError {
    let e = CheckError::new(
        CheckErrorKind::MalformedAction(text.value.clone()),
        text.loc.clone(),
    );
    match lowercase_service(&text.value) {
        Some(fixed) => e.with_help(format!(
            "service prefixes are lowercase: did you mean `{fixed}`?"
        )),
        None => e,
    }
}

/// Characters AWS allows in tag keys and values.
fn allowed_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

pub(super) fn invalid_key(key: &str) -> Option<String> {
    let n = key.chars().count();
    if n == 0 {
        return Some("a key has at least one character".into());
    }
    if n > 128 {
        return Some(format!("{n} characters, over the limit of 128"));
    }
    if key.len() >= 4 && key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Some("the `aws:` prefix is reserved for AWS".into());
    }
    key.chars()
        .find(|&c| !allowed_tag_char(c))
        .map(|c| format!("`{c}` is not allowed in tag keys"))
}

pub(super) fn invalid_value(value: &str) -> Option<String> {
    let n = value.chars().count();
    if n > 256 {
        return Some(format!("{n} characters, over the limit of 256"));
    }
    value
        .chars()
        .find(|&c| c != '*' && c != '?' && !allowed_tag_char(c))
        .map(|c| format!("`{c}` is not allowed in tag values"))
}

/// Why a project name cannot be the value of the `tagc:project` tag: empty, over 256
/// characters, or a character AWS does not allow in tag values.
/// <https://docs.aws.amazon.com/organizations/latest/APIReference/API_Tag.html>
pub(super) fn invalid_project(name: &str) -> Option<String> {
    let n = name.chars().count();
    if name.trim().is_empty() {
        return Some("a project name has at least one character other than spaces".into());
    }
    if n > 256 {
        return Some(format!("{n} characters, over the limit of 256"));
    }
    name.chars()
        .find(|&c| !allowed_tag_char(c))
        .map(|c| format!("`{c}` is not allowed in tag values"))
}

pub(super) fn valid_ou_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    let ok = |s: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    matches!(parts.as_slice(), ["ou", a, b] if ok(a, 4, 32) && ok(b, 8, 32))
}

/// Check the ARN of a request's resource (a `test` block's `resource`, `tagc eval --resource`).
/// Tag policies apply per resource type, which the evaluators read from the ARN
/// (`arn:aws:sagemaker:…:training-job/x` → `sagemaker:training-job`); a resource whose type
/// cannot be read would silently escape every tag policy, so it is refused. ARN formats:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>.
pub(super) fn check_resource_arn(arn: &Text) -> Option<CheckError> {
    let v = &arn.value;
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let reason = match parts.as_slice() {
        [a, ..] if *a != "arn" => Some("an ARN starts with `arn:`"),
        [_, partition, service, _region, _account, resource] => {
            if !["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"].contains(partition) {
                Some("unknown partition (expected `aws`, `aws-cn` or `aws-us-gov`)")
            } else if service.is_empty() || service.contains(['*', '?']) {
                Some("a request's resource names its service")
            } else if resource.is_empty() {
                Some("the resource part is empty")
            } else {
                None
            }
        }
        _ => Some("an ARN has six parts separated by `:`"),
    };
    reason.map(|reason| {
        CheckError::new(
            CheckErrorKind::InvalidResource {
                arn: v.clone(),
                reason: reason.into(),
            },
            arn.loc.clone(),
        )
    })
}

/// Check an ARN pattern that `aws:PrincipalArn` will be compared with.
pub(super) fn check_principal_arn(arn: &Text) -> Option<CheckError> {
    let v = &arn.value;
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let reason = match parts.as_slice() {
        [a, ..] if *a != "arn" => Some("an ARN starts with `arn:`"),
        [_, partition, service, _region, account, resource] => {
            let wild = |s: &str| s.contains('*') || s.contains('?');
            if !(wild(partition)
                || ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"].contains(partition))
            {
                Some("unknown partition (expected `aws`, `aws-cn` or `aws-us-gov`)")
            } else if service.is_empty() {
                Some("the service part is empty")
            } else if !(account.is_empty()
                || wild(account)
                || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())))
            {
                Some("the account part is 12 digits or a wildcard")
            } else if resource.is_empty() {
                Some("the resource part is empty")
            } else {
                None
            }
        }
        _ => Some("an ARN has six parts separated by `:`"),
    };
    if let Some(reason) = reason {
        return Some(CheckError::new(
            CheckErrorKind::InvalidArn {
                arn: v.clone(),
                reason: reason.into(),
            },
            arn.loc.clone(),
        ));
    }
    if parts.get(2) == Some(&"sts") && parts.get(5).is_some_and(|r| r.starts_with("assumed-role/"))
    {
        return Some(CheckError::new(
            CheckErrorKind::SessionArn(v.clone()),
            arn.loc.clone(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{invalid_key, invalid_value, split_action, valid_ou_id};

    #[test]
    fn test_tag_keys_follow_aws_rules() {
        assert_eq!(invalid_key("CostCenter"), None);
        assert_eq!(invalid_key("team:name/with space_.=+-@"), None);
        assert!(invalid_key("").is_some());
        assert!(invalid_key(&"k".repeat(129)).is_some());
        assert_eq!(invalid_key(&"k".repeat(128)), None);
        assert!(invalid_key("AWS:owner").unwrap().contains("reserved"));
        assert!(invalid_key("cost#center").unwrap().contains('#'));
    }

    #[test]
    fn test_tag_values_follow_aws_rules() {
        assert_eq!(invalid_value(""), None);
        assert_eq!(invalid_value("CC-*"), None);
        // `?` is a pattern character (one character), as in IAM's `StringLike`.
        assert_eq!(invalid_value("CC-????"), None);
        assert!(invalid_value("CC-#?").unwrap().contains('#'));
        assert!(invalid_value(&"v".repeat(257)).is_some());
        assert!(invalid_value("a,b").is_some());
    }

    #[test]
    fn test_action_patterns_and_ou_ids() {
        assert_eq!(
            split_action("sagemaker:Create*"),
            Some(("sagemaker", "Create*"))
        );
        assert_eq!(split_action("CreateTrainingJob"), None);
        assert_eq!(split_action("SageMaker:CreateModel"), None);
        assert!(valid_ou_id("ou-ab12-cdefgh34"));
        assert!(!valid_ou_id("ou-ab-cdefgh34"));
        assert!(!valid_ou_id("ou-AB12-cdefgh34"));
    }
}
