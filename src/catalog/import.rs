//! Importer for AWS's service-reference JSON (one document per service prefix).
//!
//! Input: `<prefix>.json` documents in the format served by
//! `https://servicereference.us-east-1.amazonaws.com/v1/<prefix>/<prefix>.json`, from a directory
//! or from a gzip-compressed tar archive of one (such as the snapshot in the repository's `data/`).
//! Output: a [`Catalog`] holding only what the compiler uses: per action its tag condition keys
//! and the tagging-only flag, per service the tagging actions, the create-context key and ARN
//! patterns of the resource types that some action's tag keys are scoped to, and per API
//! operation the tagging actions AWS also authorizes when the operation runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ActionInfo, Catalog, CatalogError, Service, TagSupport};

/// The schema version of current service documents; older ones are stale copies of services
/// AWS has dropped from its index (the mirror never deletes files).
const CURRENT_VERSION: &str = "v1.4";

/// The three global tag condition keys, in the only spelling the data uses.
pub(crate) const REQUEST_TAG: &str = "aws:RequestTag/${TagKey}";
pub(crate) const TAG_KEYS: &str = "aws:TagKeys";
pub(crate) const RESOURCE_TAG: &str = "aws:ResourceTag/${TagKey}";

/// The name of the optional file in a catalog directory that records the data date.
pub const DATE_FILE: &str = "DATE";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawService {
    name: String,
    #[serde(default)]
    version: Option<String>,
    actions: Vec<RawAction>,
    #[serde(default)]
    resources: Vec<RawResource>,
    #[serde(default)]
    operations: Vec<RawOperation>,
}

/// One API operation and the IAM actions AWS authorizes when it runs (`lambda:CreateFunction`
/// also authorizes `lambda:TagResource` when the call carries tags).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawOperation {
    name: String,
    #[serde(default)]
    authorized_actions: Vec<RawAuthorizedAction>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAuthorizedAction {
    name: String,
    service: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAction {
    name: String,
    #[serde(default)]
    action_condition_keys: Vec<String>,
    #[serde(default)]
    annotations: Option<RawAnnotations>,
    #[serde(default)]
    resources: Vec<RawActionResource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAnnotations {
    properties: RawProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawProperties {
    #[serde(default)]
    is_tagging_only: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawActionResource {
    name: String,
    #[serde(default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawResource {
    name: String,
    #[serde(default, rename = "ARNFormats")]
    arn_formats: Vec<String>,
    #[serde(default)]
    condition_keys: Vec<String>,
}

/// Reads every `*.json` file of `dir` as one service document.
///
/// The data date comes from a `DATE` file in `dir` (written by `tagc catalog update`), or else
/// from the newest file modification time.
pub(crate) fn import_dir(dir: &Path) -> Result<Catalog, CatalogError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CatalogError::io(dir, e))?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| CatalogError::io(dir, e))?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut documents = Vec::new();
    let mut newest = None;
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| CatalogError::io(&path, e))?;
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        newest = newest.max(modified);
        documents.push((path, text));
    }
    let date = match std::fs::read_to_string(dir.join(DATE_FILE)) {
        Ok(text) => Some(text.trim().to_owned()),
        Err(_) => newest.map(system_time_date),
    };
    import_documents(dir, &documents, date)
}

/// The most a single member of an archive may hold once uncompressed: far above AWS's largest
/// document (EC2's, about 1 MB), low enough that one corrupt member cannot ask for an
/// unbounded allocation.
const MAX_ARCHIVE_MEMBER: u64 = 64 * 1024 * 1024;

/// Whether `bytes` start like a gzip stream (RFC 1952 magic number).
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Reads a gzip-compressed tar archive of service documents: every regular `*.json` member,
/// at any depth, is one document, and a member named `DATE` gives the data date (else the
/// newest member's modification time does).
///
/// Members are read in name order, so the result does not depend on the order of the archive.
pub(crate) fn import_archive(path: &Path) -> Result<Catalog, CatalogError> {
    use std::io::Read as _;

    let file = std::fs::File::open(path).map_err(|e| CatalogError::io(path, e))?;
    let archive_error = |source: std::io::Error| CatalogError::Archive {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut documents = Vec::new();
    let mut date = None;
    let mut newest: Option<u64> = None;
    for entry in archive.entries().map_err(archive_error)? {
        let entry = entry.map_err(archive_error)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let member = entry.path().map_err(archive_error)?.into_owned();
        let is_json = member.extension().is_some_and(|x| x == "json");
        let is_date = member.file_name().is_some_and(|n| n == DATE_FILE);
        if !is_json && !is_date {
            continue;
        }
        if entry.size() > MAX_ARCHIVE_MEMBER {
            return Err(archive_error(std::io::Error::other(format!(
                "member `{}` is larger than {MAX_ARCHIVE_MEMBER} bytes",
                member.display()
            ))));
        }
        let mtime = entry.header().mtime().ok();
        let mut text = String::new();
        entry
            .take(MAX_ARCHIVE_MEMBER)
            .read_to_string(&mut text)
            .map_err(archive_error)?;
        if is_date {
            date = Some(text.trim().to_owned());
        } else {
            newest = newest.max(mtime);
            documents.push((path.join(member), text));
        }
    }
    documents.sort_by(|a, b| a.0.cmp(&b.0));
    let date = date.or_else(|| newest.map(|secs| civil_date(secs / 86_400)));
    import_documents(path, &documents, date)
}

/// Parses the service documents (each with the path it is reported under) into a catalog.
fn import_documents(
    origin: &Path,
    documents: &[(PathBuf, String)],
    date: Option<String>,
) -> Result<Catalog, CatalogError> {
    if documents.is_empty() {
        return Err(CatalogError::Empty {
            path: origin.to_path_buf(),
        });
    }
    let mut services = BTreeMap::new();
    for (path, text) in documents {
        let service = parse_service(path, text)?;
        services.insert(service.prefix.clone(), service);
    }
    let date = date.unwrap_or_else(|| "unknown".to_owned());
    Ok(Catalog {
        date,
        services: services.into(),
    })
}

/// Parses one AWS service document into a [`Service`].
pub(crate) fn parse_service(path: &Path, text: &str) -> Result<Service, CatalogError> {
    let raw: RawService = serde_json::from_str(text).map_err(|source| {
        if source.is_data() {
            CatalogError::schema(path, source.to_string())
        } else {
            CatalogError::Json {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    if raw.name.is_empty() {
        return Err(CatalogError::schema(path, "the service `Name` is empty"));
    }
    // Resource types whose definition carries `aws:ResourceTag`: an action scoped to such a
    // type can be conditioned on the resource's tags even when the action entry does not
    // repeat the key (most services declare it only on the resource type).
    let resource_tagged: BTreeSet<&str> = raw
        .resources
        .iter()
        .filter(|r| r.condition_keys.iter().any(|k| k == RESOURCE_TAG))
        .map(|r| r.name.as_str())
        .collect();

    let mut actions: Vec<ActionInfo> = raw
        .actions
        .iter()
        .map(|a| action_info(a, &resource_tagged))
        .collect();
    actions.sort_by(|a, b| a.name.cmp(&b.name));
    actions.dedup_by(|a, b| a.name == b.name);

    let tagging_actions: Vec<String> = actions
        .iter()
        .filter(|a| a.tagging_only)
        .map(|a| a.name.clone())
        .collect();

    // The service-specific key that tells a standalone tagging call from one made as part of a
    // create call (`ec2:CreateAction`, `sagemaker:TaggingAction`, ...), found on the tagging
    // actions themselves.
    let wanted = [
        format!("{}:CreateAction", raw.name),
        format!("{}:TaggingAction", raw.name),
    ];
    let create_context_key = raw
        .actions
        .iter()
        .filter(|a| {
            a.annotations
                .as_ref()
                .is_some_and(|x| x.properties.is_tagging_only)
        })
        .flat_map(|a| {
            a.action_condition_keys
                .iter()
                .chain(a.resources.iter().flat_map(|r| r.condition_keys.iter()))
        })
        .find(|k| wanted.contains(k))
        .cloned();

    // Keep ARN patterns only for resource types some action's tag keys are scoped to: those
    // are the ones a generated statement may need as `Resource`.
    let mut referenced: BTreeSet<&str> = BTreeSet::new();
    for a in &actions {
        for support in [&a.request_tag, &a.tag_keys, &a.resource_tag] {
            if let TagSupport::Resources(types) = support {
                referenced.extend(types.iter().map(String::as_str));
            }
        }
    }
    let resources = raw
        .resources
        .iter()
        .filter(|r| referenced.contains(r.name.as_str()))
        .map(|r| {
            (
                r.name.clone(),
                r.arn_formats.iter().map(|f| arn_pattern(f)).collect(),
            )
        })
        .collect();

    let create_tagging = create_tagging(&raw, &actions);

    Ok(Service {
        prefix: raw.name.clone(),
        deprecated: raw.version.as_deref() != Some(CURRENT_VERSION),
        actions,
        tagging_actions,
        create_context_key,
        resources,
        create_tagging,
    })
}

/// Per action, the service's tagging-only actions that AWS also authorizes when the API
/// operation of the same name runs (`Operations[].AuthorizedActions`): a tagged
/// `lambda:CreateFunction` is also authorized as `lambda:TagResource`. Operations named unlike
/// any action, and tagging actions of other services, are left out: tagc relates an action to
/// its own service's tagging actions only.
fn create_tagging(raw: &RawService, actions: &[ActionInfo]) -> BTreeMap<String, Vec<String>> {
    let find = |name: &str| actions.iter().find(|a| a.name.eq_ignore_ascii_case(name));
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for op in &raw.operations {
        let Some(action) = find(&op.name).filter(|a| !a.tagging_only) else {
            continue;
        };
        let mut tagging: Vec<String> = op
            .authorized_actions
            .iter()
            .filter(|x| x.service.eq_ignore_ascii_case(&raw.name))
            .filter_map(|x| find(&x.name))
            .filter(|t| t.tagging_only)
            .map(|t| t.name.clone())
            .collect();
        tagging.sort();
        tagging.dedup();
        if !tagging.is_empty() {
            let entry = out.entry(action.name.clone()).or_default();
            entry.extend(tagging);
            entry.sort();
            entry.dedup();
        }
    }
    out
}

/// The tag support of one action; `resource_tagged` lists the service's resource types whose
/// definition carries `aws:ResourceTag`.
fn action_info(a: &RawAction, resource_tagged: &BTreeSet<&str>) -> ActionInfo {
    // `aws:RequestTag` and `aws:TagKeys` are read only from the action and its own resource
    // entries: some services list `aws:RequestTag` on resource-type definitions, which would
    // wrongly make every read of that type "tag-capable" (3,028 actions instead of AWS's 2,285).
    let support = |key: &str, also_defined: bool| -> TagSupport {
        if a.action_condition_keys.iter().any(|k| k == key) {
            return TagSupport::Action;
        }
        let types: BTreeSet<&str> = a
            .resources
            .iter()
            .filter(|r| {
                r.condition_keys.iter().any(|k| k == key)
                    || (also_defined && resource_tagged.contains(r.name.as_str()))
            })
            .map(|r| r.name.as_str())
            .collect();
        if types.is_empty() {
            TagSupport::No
        } else {
            TagSupport::Resources(types.into_iter().map(str::to_owned).collect())
        }
    };
    ActionInfo {
        name: a.name.clone(),
        request_tag: support(REQUEST_TAG, false),
        tag_keys: support(TAG_KEYS, false),
        resource_tag: support(RESOURCE_TAG, true),
        tagging_only: a
            .annotations
            .as_ref()
            .is_some_and(|x| x.properties.is_tagging_only),
    }
}

/// Replaces every `${Placeholder}` of an ARN template with `*`.
pub(crate) fn arn_pattern(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            // An unterminated placeholder: keep the text as it is.
            out.push_str(&rest[start..]);
            return out;
        };
        out.push('*');
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Formats a file time as a UTC `YYYY-MM-DD` date.
fn system_time_date(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// Days since 1970-01-01 to a `YYYY-MM-DD` string (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_date(days: u64) -> String {
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
