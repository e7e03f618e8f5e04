//! AWS's action catalog: which IAM actions exist and which of them can carry tags.
//!
//! Input: AWS's service-reference JSON (one document per service prefix, imported from a
//! directory or a `.tar.gz` of one by [`Catalog::import`]) or the compact file committed in
//! `data/catalog.json` (read by [`Catalog::builtin`]: its top level once, each service when
//! first asked for, so a project naming a few services pays for those only).
//! Output: a [`Catalog`] the check stage queries: does `service:Action` exist, what does
//! `service:Create*` expand to, can this action carry `aws:RequestTag` at creation, and "did you
//! mean" suggestions.
//!
//! The rule for tag support follows how AWS documents condition keys: in the Actions table of the
//! Service Authorization Reference, a key listed on the action's own row applies to the action,
//! and a key listed on one of its resource-type rows applies only when that resource type is in
//! the request
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>;
//! the JSON form is described at
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/service-reference.html>).
//! So a key counts when it is in the action's `ActionConditionKeys` ([`TagSupport::Action`]) or,
//! failing that, in the `ConditionKeys` of some of the action's resource entries
//! ([`TagSupport::Resources`]; all of EC2 works this way). For `aws:ResourceTag` the
//! resource-type definitions count too, because most services declare that key only there.

mod compact;
pub mod error;
pub mod manage;

mod import;
pub mod tag_policy_types;

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::value::RawValue;

pub use error::CatalogError;
pub use import::DATE_FILE;

use crate::model::wildcard_match;
use crate::suggest::did_you_mean;

/// The committed compact catalog (see [`compact`] for the format).
const BUILTIN_JSON: &str = include_str!("data/catalog.json");

/// The catalog of AWS services and their actions, as far as tagging is concerned
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Date of the AWS data, `YYYY-MM-DD` (for the built-in catalog, `2026-08-22`)
    pub date: String,
    /// Services by prefix (`sagemaker`, `ec2`, …)
    pub services: Services,
}

/// The services of a catalog by prefix, in prefix order.
///
/// The built-in catalog's services are held as their JSON text, borrowed from the embedded
/// file, and each is parsed the first time it is asked for: its records cost several times its
/// text, and a project names a few of the 400-odd services. Asking for every service (`values`,
/// `iter`) parses them all.
#[derive(Clone, Default)]
pub struct Services(BTreeMap<String, LazyService>);

/// One service: parsed, or its compact JSON to parse on first use.
#[derive(Clone)]
struct LazyService {
    /// The service's object in the built-in catalog, while it may still need parsing.
    raw: Option<&'static RawValue>,
    parsed: OnceLock<Service>,
}

impl LazyService {
    fn get(&self, prefix: &str) -> &Service {
        self.parsed.get_or_init(|| {
            // The embedded file is checked in full by a unit test (`Catalog::try_builtin`);
            // should a service still fail to parse, it reads as a service without actions
            // rather than a panic.
            self.raw
                .and_then(|raw| compact::service_from_raw(prefix, raw).ok())
                .unwrap_or_else(|| Service {
                    prefix: prefix.to_owned(),
                    deprecated: false,
                    actions: Vec::new(),
                    tagging_actions: Vec::new(),
                    create_context_key: None,
                    resources: BTreeMap::new(),
                    create_tagging: BTreeMap::new(),
                })
        })
    }
}

impl Services {
    /// Services whose JSON is parsed on first use (see [`compact`]).
    fn lazy(raw: BTreeMap<String, &'static RawValue>) -> Self {
        Self(
            raw.into_iter()
                .map(|(prefix, raw)| {
                    let lazy = LazyService {
                        raw: Some(raw),
                        parsed: OnceLock::new(),
                    };
                    (prefix, lazy)
                })
                .collect(),
        )
    }

    /// The service with exactly this prefix
    pub fn get(&self, prefix: &str) -> Option<&Service> {
        self.0.get(prefix).map(|s| s.get(prefix))
    }

    /// The prefixes, in order (parses nothing)
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }

    /// The services, in prefix order
    pub fn values(&self) -> impl Iterator<Item = &Service> {
        self.iter().map(|(_, s)| s)
    }

    /// The prefixes and services, in prefix order
    pub fn iter(&self) -> ServicesIter<'_> {
        ServicesIter(self.0.iter())
    }

    /// The number of services
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no service
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of services parsed so far, for the tests of laziness.
    #[cfg(test)]
    fn parsed(&self) -> usize {
        self.0.values().filter(|s| s.parsed.get().is_some()).count()
    }
}

impl From<BTreeMap<String, Service>> for Services {
    fn from(services: BTreeMap<String, Service>) -> Self {
        Self(
            services
                .into_iter()
                .map(|(prefix, service)| {
                    let lazy = LazyService {
                        raw: None,
                        parsed: OnceLock::from(service),
                    };
                    (prefix, lazy)
                })
                .collect(),
        )
    }
}

/// The iterator of [`Services::iter`].
pub struct ServicesIter<'a>(btree_map::Iter<'a, String, LazyService>);

impl<'a> Iterator for ServicesIter<'a> {
    type Item = (&'a String, &'a Service);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(prefix, s)| (prefix, s.get(prefix)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<'a> IntoIterator for &'a Services {
    type Item = (&'a String, &'a Service);
    type IntoIter = ServicesIter<'a>;

    fn into_iter(self) -> ServicesIter<'a> {
        self.iter()
    }
}

impl PartialEq for Services {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Services {}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// One AWS service (one service-reference document)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The IAM service prefix, e.g. `sagemaker`
    pub prefix: String,
    /// True for stale documents (schema version other than `v1.4`), most likely services AWS
    /// has dropped
    pub deprecated: bool,
    /// Actions sorted by name
    pub actions: Vec<ActionInfo>,
    /// Names of the tagging-only actions (`IsTaggingOnly`), e.g. `["AddTags", "DeleteTags"]`
    pub tagging_actions: Vec<String>,
    /// The service-specific key on the tagging actions that is set when tagging happens as part
    /// of a create call, e.g. `ec2:CreateAction` or `sagemaker:TaggingAction`
    pub create_context_key: Option<String>,
    /// Resource type to ARN patterns (placeholders replaced by `*`), kept only for resource
    /// types that some action's tag keys are scoped to
    pub resources: BTreeMap<String, Vec<String>>,
    /// Per action, the tagging-only actions of this service that AWS also authorizes when the
    /// action's API operation runs (`Operations[].AuthorizedActions`), e.g. `CreateFunction` →
    /// `["TagResource"]`: a create that carries tags needs them allowed too
    pub create_tagging: BTreeMap<String, Vec<String>>,
}

/// One IAM action and its tag condition keys
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInfo {
    /// The action name in AWS's casing, e.g. `CreateTrainingJob`
    pub name: String,
    /// Support for `aws:RequestTag/${TagKey}`
    pub request_tag: TagSupport,
    /// Support for `aws:TagKeys`
    pub tag_keys: TagSupport,
    /// Support for `aws:ResourceTag/${TagKey}`
    pub resource_tag: TagSupport,
    /// True for tagging-only actions (`IsTaggingOnly`)
    pub tagging_only: bool,
}

/// Where an action supports a tag condition key
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TagSupport {
    /// Not supported
    #[default]
    No,
    /// Supported for the action as a whole (`ActionConditionKeys`)
    Action,
    /// Supported only for these resource types of the action (sorted), e.g. EC2 `RunInstances`
    /// carries request tags on `instance` and `volume` but not on `image`
    Resources(Vec<String>),
}

impl TagSupport {
    /// True when the key is supported at all, for the action or for some resource type
    pub fn any(&self) -> bool {
        !matches!(self, Self::No)
    }

    /// The resource types the key is limited to, or `None` when it is not limited
    pub fn resource_types(&self) -> Option<&[String]> {
        match self {
            Self::Resources(types) => Some(types),
            Self::No | Self::Action => None,
        }
    }
}

impl ActionInfo {
    /// True when the action accepts `aws:RequestTag` or `aws:TagKeys` somewhere, i.e. a call
    /// can pass tags that a policy can inspect
    pub fn can_carry_tags(&self) -> bool {
        self.request_tag.any() || self.tag_keys.any()
    }
}

impl Service {
    /// The action named `name`, compared case-insensitively as IAM does
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        self.actions
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The tagging actions (names, in AWS's casing) that AWS also authorizes when action
    /// `name` runs; empty when it authorizes none
    pub fn tagging_authorized_by(&self, name: &str) -> &[String] {
        self.action(name)
            .and_then(|a| self.create_tagging.get(&a.name))
            .map_or(&[], Vec::as_slice)
    }
}

impl Catalog {
    /// The catalog built into tagc, read once from the committed data file: its top level
    /// here, each service when first asked for
    ///
    /// The embedded file is checked by a unit test; should it ever fail to parse, this returns
    /// an empty catalog rather than panicking, and [`Catalog::try_builtin`] gives the error.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Self::builtin_lazy().unwrap_or_else(|_| Catalog {
                date: "unknown".to_owned(),
                services: Services::default(),
            })
        })
    }

    /// The built-in catalog with its services left to parse on first use.
    fn builtin_lazy() -> Result<Catalog, CatalogError> {
        let (date, raw) =
            compact::lazy_from_compact_json(Path::new("<built-in catalog>"), BUILTIN_JSON)?;
        Ok(Catalog {
            date,
            services: Services::lazy(raw),
        })
    }

    /// The date of the built-in catalog's AWS data, read from the head of the embedded file
    /// without parsing the rest: `--version` and the manifest need only this, and parsing the
    /// whole catalog would cost every run, `--help` included, for one field.
    pub fn builtin_date() -> &'static str {
        static DATE: OnceLock<&'static str> = OnceLock::new();
        DATE.get_or_init(|| {
            compact::date_of(BUILTIN_JSON).unwrap_or_else(|| {
                // Not where the compact format writes it: the parsed catalog still knows.
                let date: &'static str = &Self::builtin().date;
                date
            })
        })
    }

    /// Parses the embedded data file afresh and in full, reporting any error
    pub fn try_builtin() -> Result<Catalog, CatalogError> {
        compact::from_compact_json(Path::new("<built-in catalog>"), BUILTIN_JSON)
    }

    /// Reads a directory of AWS service-reference JSON files, one per service
    ///
    /// The data date is read from a `DATE` file in the directory when there is one, else it is
    /// the newest file's modification date.
    pub fn import_dir(dir: &Path) -> Result<Catalog, CatalogError> {
        import::import_dir(dir)
    }

    /// Reads a gzip-compressed tar archive of AWS service-reference JSON files, such as the
    /// snapshot in the repository's `data/` directory
    ///
    /// The data date is read from a member named `DATE` when there is one, else it is the
    /// newest member's modification date.
    pub fn import_archive(archive: &Path) -> Result<Catalog, CatalogError> {
        import::import_archive(archive)
    }

    /// Reads AWS service-reference JSON files from a directory or from a gzip-compressed tar
    /// archive of them
    pub fn import(dir_or_archive: &Path) -> Result<Catalog, CatalogError> {
        if dir_or_archive.is_dir() {
            Self::import_dir(dir_or_archive)
        } else {
            Self::import_archive(dir_or_archive)
        }
    }

    /// Loads `--catalog PATH`: a directory of AWS JSON files, a gzip-compressed tar archive of
    /// them, or a compact catalog file
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        if path.is_dir() {
            return Self::import_dir(path);
        }
        let bytes = std::fs::read(path).map_err(|e| CatalogError::io(path, e))?;
        if import::is_gzip(&bytes) {
            return Self::import_archive(path);
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            CatalogError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
            )
        })?;
        compact::from_compact_json(path, &text)
    }

    /// Parses a catalog in the compact format; `origin` only names the source in errors
    pub fn from_compact_json(origin: &Path, text: &str) -> Result<Catalog, CatalogError> {
        compact::from_compact_json(origin, text)
    }

    /// The compact, deterministic JSON form committed as the built-in catalog
    pub fn to_compact_json(&self) -> String {
        compact::to_compact_json(self)
    }

    /// The service with this prefix (compared case-insensitively)
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services.get(prefix).or_else(|| {
            // Through the prefixes, which are the services' own: parsing none but the one found.
            let key = self
                .services
                .keys()
                .find(|k| k.eq_ignore_ascii_case(prefix))?;
            self.services.get(key)
        })
    }

    /// The action `service:name`, with `name` compared case-insensitively
    pub fn action(&self, service: &str, name: &str) -> Option<&ActionInfo> {
        self.service(service)?.action(name)
    }

    /// The actions of `service` matching `pattern` (`*` and `?` wildcards, case-insensitive),
    /// in name order; empty when the service is unknown or nothing matches
    pub fn expand(&self, service: &str, pattern: &str) -> Vec<&ActionInfo> {
        let Some(s) = self.service(service) else {
            return Vec::new();
        };
        // Most patterns are exact names: one lookup, not a match against every action.
        if !pattern.contains(['*', '?']) {
            return s.action(pattern).into_iter().collect();
        }
        s.actions
            .iter()
            .filter(|a| {
                if pattern.is_ascii() && a.name.is_ascii() {
                    ascii_wildcard_match(pattern.as_bytes(), a.name.as_bytes())
                } else {
                    wildcard_match(pattern, &a.name, true)
                }
            })
            .collect()
    }

    /// The known service prefix closest to `prefix`, for "did you mean" help
    pub fn suggest_service(&self, prefix: &str) -> Option<&str> {
        let current = self.services.values().filter(|s| !s.deprecated);
        did_you_mean(prefix, current.map(|s| s.prefix.as_str()))
    }

    /// The action of `service` closest to `name`, for "did you mean" help
    pub fn suggest_action(&self, service: &str, name: &str) -> Option<String> {
        let s = self.service(service)?;
        did_you_mean(name, s.actions.iter().map(|a| a.name.as_str())).map(str::to_owned)
    }

    /// True when `service:name` exists and accepts `aws:RequestTag` or `aws:TagKeys`
    pub fn can_carry_tags_at_create(&self, service: &str, name: &str) -> bool {
        self.action(service, name)
            .is_some_and(ActionInfo::can_carry_tags)
    }

    /// The tagging actions, as `service:Name`, that AWS also authorizes when `service:name`
    /// runs with tags (`lambda:CreateFunction` → `lambda:TagResource`)
    pub fn tagging_authorized_by(&self, service: &str, name: &str) -> Vec<String> {
        self.service(service).map_or_else(Vec::new, |s| {
            s.tagging_authorized_by(name)
                .iter()
                .map(|t| format!("{}:{t}", s.prefix))
                .collect()
        })
    }

    /// Up to `n` actions of `service` that can carry tags, most similar to `name` first: for
    /// the "this action cannot carry tags" error (`StartNotebookInstance` →
    /// `CreateNotebookInstance`)
    pub fn nearby_taggable(&self, service: &str, name: &str, n: usize) -> Vec<String> {
        let Some(s) = self.service(service) else {
            return Vec::new();
        };
        let target = name.to_ascii_lowercase();
        let target_noun = noun(&target);
        let mut scored: Vec<(f64, &str)> = s
            .actions
            .iter()
            .filter(|a| a.can_carry_tags() && !a.name.eq_ignore_ascii_case(name))
            .map(|a| {
                let lower = a.name.to_ascii_lowercase();
                // Half the weight on the whole name, half on the part after the verb, so that
                // `StartPipelineExecution` ranks `CreatePipeline` above `StartSession`.
                let score = strsim::jaro_winkler(&target, &lower) / 2.0
                    + strsim::jaro_winkler(target_noun, noun(&lower)) / 2.0;
                (score, a.name.as_str())
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(n)
            .map(|(_, name)| name.to_owned())
            .collect()
    }

    /// Number of actions over all services
    pub fn action_count(&self) -> usize {
        self.services.values().map(|s| s.actions.len()).sum()
    }
}

/// `model::wildcard_match` ignoring case, for an ASCII pattern and name, without allocating:
/// IAM compares action names ignoring case
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>),
/// and AWS's action names are ASCII. `*` matches any run of characters, `?` any one.
fn ascii_wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    // One backtrack point, as in `model::wildcard_match`: linear in practice.
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while let Some(&n) = name.get(ni) {
        match pattern.get(pi) {
            Some(b'*') => {
                star = Some(pi);
                mark = ni;
                pi += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&n) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some(p) => {
                    pi = p + 1;
                    mark += 1;
                    ni = mark;
                }
                None => return false,
            },
        }
    }
    pattern
        .get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// A lowercase action name without its leading verb: `createtrainingjob` → `trainingjob`.
fn noun(lower: &str) -> &str {
    const VERBS: [&str; 12] = [
        "create", "start", "run", "delete", "update", "describe", "list", "get", "put", "stop",
        "register", "import",
    ];
    VERBS
        .iter()
        .find_map(|v| lower.strip_prefix(v))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(lower)
}

#[cfg(test)]
mod tests;
