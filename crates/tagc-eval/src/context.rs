//! The request context an IAM policy is evaluated against.
//!
//! Input: what a caller knows about a request (action, resource ARN, principal, request tags,
//! resource tags and any other condition keys). Which keys a request carries is the caller's
//! knowledge (AWS's service reference says it per action); this module only stores them. Output: a [`RequestContext`] whose keys are looked up the way IAM looks
//! them up: key names, including the tag-key part of `aws:RequestTag/…`, without regard to case.

use std::collections::BTreeMap;

/// A condition key's value in a request: one string, or a set of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key such as `aws:RequestTag/environment` or `aws:PrincipalArn`.
    Single(String),
    /// A multivalued key such as `aws:TagKeys`. An empty set counts as an absent key.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice: one element for a single-valued key.
    pub fn values(&self) -> &[String] {
        match self {
            Self::Single(v) => std::slice::from_ref(v),
            Self::Multi(vs) => vs,
        }
    }
}

/// A request as IAM sees it: action, resource and condition keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// `service:Action`, such as `sagemaker:CreateTrainingJob`.
    pub action: String,
    /// The resource ARN. `*` means "not specified": it matches every `Resource` and
    /// `NotResource` element, so a statement is judged on its action and conditions alone.
    pub resource: String,
    /// Condition keys, stored under their lowercased names. Lookups fold case on both sides,
    /// so entries inserted directly with other casing are still found.
    pub keys: BTreeMap<String, ContextValue>,
}

impl RequestContext {
    /// A request for `action` on `resource` with no condition keys.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            keys: BTreeMap::new(),
        }
    }

    /// Sets `aws:PrincipalArn`.
    #[must_use]
    pub fn with_principal_arn(self, arn: impl Into<String>) -> Self {
        self.with_key("aws:PrincipalArn", arn.into())
    }

    /// Sets `aws:RequestTag/<key>` and adds `key` to `aws:TagKeys`, as a request carrying this
    /// tag would.
    #[must_use]
    pub fn with_request_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.insert(
            &format!("aws:RequestTag/{key}"),
            ContextValue::Single(value.into()),
        );
        let tag_keys = self
            .keys
            .entry("aws:tagkeys".to_owned())
            .or_insert_with(|| ContextValue::Multi(Vec::new()));
        match tag_keys {
            ContextValue::Multi(vs) => {
                if !vs.contains(&key) {
                    vs.push(key);
                }
            }
            ContextValue::Single(v) => *tag_keys = ContextValue::Multi(vec![v.clone(), key]),
        }
        self
    }

    /// Sets `aws:ResourceTag/<key>` (a tag already on the resource).
    #[must_use]
    pub fn with_resource_tag(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.with_key(format!("aws:ResourceTag/{key}"), value.into())
    }

    /// Replaces `aws:TagKeys` with these keys (for a tag-removing request, or to model a request
    /// whose key set differs from its `aws:RequestTag/…` entries).
    #[must_use]
    pub fn with_tag_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let keys = keys.into_iter().map(Into::into).collect();
        self.insert("aws:TagKeys", ContextValue::Multi(keys));
        self
    }

    /// Sets a single-valued key.
    #[must_use]
    pub fn with_key(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(&name.into(), ContextValue::Single(value.into()));
        self
    }

    /// Sets a multivalued key.
    #[must_use]
    pub fn with_multi_key<I, S>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.insert(&name.into(), ContextValue::Multi(values));
        self
    }

    /// The key's value, found without regard to case; `None` when absent or an empty set.
    pub fn get(&self, name: &str) -> Option<&ContextValue> {
        let folded = name.to_lowercase();
        self.keys
            .get(&folded)
            .or_else(|| {
                self.keys
                    .iter()
                    .find(|(k, _)| k.to_lowercase() == folded)
                    .map(|(_, v)| v)
            })
            .filter(|v| !v.values().is_empty())
    }

    fn insert(&mut self, name: &str, value: ContextValue) {
        self.keys.insert(name.to_lowercase(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_request_tag_key_name_case_insensitive() {
        let ctx = RequestContext::new("s:A", "*").with_request_tag("Environment", "dev");
        assert_eq!(
            ctx.get("aws:requesttag/environment"),
            Some(&ContextValue::Single("dev".to_owned()))
        );
        assert_eq!(
            ctx.get("AWS:RequestTag/ENVIRONMENT"),
            Some(&ContextValue::Single("dev".to_owned()))
        );
        assert_eq!(ctx.get("aws:RequestTag/owner"), None);
    }

    #[test]
    fn test_request_tag_adds_to_tag_keys_in_caller_casing() {
        let ctx = RequestContext::new("s:A", "*")
            .with_request_tag("Environment", "dev")
            .with_request_tag("owner", "me");
        assert_eq!(
            ctx.get("aws:TagKeys").map(ContextValue::values),
            Some(&["Environment".to_owned(), "owner".to_owned()][..])
        );
    }

    #[test]
    fn test_empty_multivalued_key_counts_as_absent() {
        let ctx = RequestContext::new("s:A", "*").with_tag_keys(Vec::<String>::new());
        assert_eq!(ctx.get("aws:TagKeys"), None);
    }
}
