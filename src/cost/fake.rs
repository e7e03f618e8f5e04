//! A strict in-memory Cost Explorer for tests: the cost allocation tags of one account, and the
//! two calls of [`CostExplorerApi`] with the checks AWS makes.
//!
//! Input: the user-defined tags billing knows. Output: answers in pages of [`PAGE`] (so that
//! callers must follow `NextToken`), and status changes. It refuses what AWS refuses: an update
//! of no key or of more than 20 (`ValidationException`), and reports a key billing does not
//! know (or one in [`FakeCostExplorer::refuse`]) in the call's `Errors`, as AWS reports a key it
//! could not change, without failing the call; the code there is the fake's own, `UnknownTagKey`.

use super::activate::{CallError, CostExplorerApi, KeyError, Page, TagStatus};

/// Tags per page of the fake's `ListCostAllocationTags`.
pub const PAGE: usize = 10;

/// The fake account.
#[derive(Debug, Default)]
pub struct FakeCostExplorer {
    /// The user-defined tags, in the order billing lists them.
    pub tags: Vec<TagStatus>,
    /// Keys whose activation fails (a per-key error, as AWS reports one).
    pub refuse: Vec<String>,
    /// How many `ListCostAllocationTags` calls were made.
    pub list_calls: usize,
    /// The number of keys of each `UpdateCostAllocationTagsStatus` call.
    pub update_sizes: Vec<usize>,
}

impl FakeCostExplorer {
    /// An account whose billing knows these tags.
    pub fn new(tags: impl IntoIterator<Item = TagStatus>) -> Self {
        Self {
            tags: tags.into_iter().collect(),
            ..Self::default()
        }
    }
}

impl CostExplorerApi for FakeCostExplorer {
    fn list_user_defined(&mut self, next_token: Option<&str>) -> Result<Page, CallError> {
        self.list_calls += 1;
        let start = match next_token {
            None => 0,
            Some(t) => t.parse::<usize>().map_err(|_| CallError {
                code: "InvalidNextTokenException".into(),
                message: format!("bad token {t}"),
            })?,
        };
        let end = (start + PAGE).min(self.tags.len());
        Ok(Page {
            tags: self.tags.get(start..end).unwrap_or_default().to_vec(),
            next_token: (end < self.tags.len()).then(|| end.to_string()),
        })
    }

    fn activate(&mut self, keys: &[String]) -> Result<Vec<KeyError>, CallError> {
        if keys.is_empty() || keys.len() > 20 {
            return Err(CallError {
                code: "ValidationException".into(),
                message: format!(
                    "CostAllocationTagsStatus must have 1 to 20 items, got {}",
                    keys.len()
                ),
            });
        }
        self.update_sizes.push(keys.len());
        let mut errors = Vec::new();
        for key in keys {
            let refused = self.refuse.contains(key);
            match self.tags.iter_mut().find(|t| &t.key == key) {
                Some(t) if !refused => t.active = true,
                _ => errors.push(KeyError {
                    key: key.clone(),
                    code: "UnknownTagKey".into(),
                    message: format!("tag key {key} not found"),
                }),
            }
        }
        Ok(errors)
    }
}
