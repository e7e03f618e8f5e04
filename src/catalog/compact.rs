//! The compact catalog format committed as `data/catalog.json` and written by `tagc catalog import`.
//!
//! Input/output: a [`Catalog`] to and from minified, deterministic JSON:
//!
//! ```text
//! {"format":1,"date":"2026-08-22","services":{"<prefix>":{
//!     "deprecated":true,                      // only when true
//!     "tagging":["AddTags",…],                // only when non-empty
//!     "create_key":"sagemaker:TaggingAction", // only when present
//!     "resources":{"<type>":["arn:*:…"]},     // only when non-empty
//!     "create_tagging":{"CreateFunction":["TagResource"]}, // only when non-empty
//!     "actions":["Name", ["Name",rq,tk,rt,t], …]}}}
//! ```
//!
//! An action without any tag support and not tagging-only is its bare name; otherwise an array
//! whose tag fields are `0` (no), `1` (in `ActionConditionKeys`) or a list of resource types,
//! and whose last field is `1` for tagging-only actions. Services and maps come out in sorted
//! order, so the same catalog always gives the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{ActionInfo, Catalog, CatalogError, Service, TagSupport};

/// The format version written in the `format` field.
pub(crate) const FORMAT: u64 = 1;

/// The `date` field of a compact catalog, read from where [`to_compact_json`] writes it (right
/// after `format`, at the start of the text) without parsing the rest; `None` when it is not
/// there.
pub(crate) fn date_of(text: &str) -> Option<&str> {
    let head = format!("{{\"format\":{FORMAT},\"date\":\"");
    let rest = text.strip_prefix(head.as_str())?;
    let (date, _) = rest.split_once('"')?;
    // A date has no escapes; anything else is left to the full parser.
    (!date.contains('\\')).then_some(date)
}

/// Serializes `catalog` to the compact format.
pub(crate) fn to_compact_json(catalog: &Catalog) -> String {
    let mut services = Map::new();
    for (prefix, service) in &catalog.services {
        let mut s = Map::new();
        if service.deprecated {
            s.insert("deprecated".into(), Value::Bool(true));
        }
        if !service.tagging_actions.is_empty() {
            s.insert("tagging".into(), json!(service.tagging_actions));
        }
        if let Some(key) = &service.create_context_key {
            s.insert("create_key".into(), json!(key));
        }
        if !service.resources.is_empty() {
            s.insert("resources".into(), json!(service.resources));
        }
        if !service.create_tagging.is_empty() {
            s.insert("create_tagging".into(), json!(service.create_tagging));
        }
        let actions: Vec<Value> = service.actions.iter().map(action_value).collect();
        s.insert("actions".into(), Value::Array(actions));
        services.insert(prefix.clone(), Value::Object(s));
    }
    let doc = json!({"format": FORMAT, "date": catalog.date, "services": services});
    doc.to_string()
}

fn action_value(a: &ActionInfo) -> Value {
    let plain = !a.tagging_only
        && a.request_tag == TagSupport::No
        && a.tag_keys == TagSupport::No
        && a.resource_tag == TagSupport::No;
    if plain {
        return json!(a.name);
    }
    json!([
        a.name,
        support_value(&a.request_tag),
        support_value(&a.tag_keys),
        support_value(&a.resource_tag),
        u8::from(a.tagging_only)
    ])
}

fn support_value(s: &TagSupport) -> Value {
    match s {
        TagSupport::No => json!(0),
        TagSupport::Action => json!(1),
        TagSupport::Resources(types) => json!(types),
    }
}

/// The compact format as read: deserialized straight into these types rather than through a
/// `serde_json::Value` tree, which for the 1 MB built-in file cost several times its size in
/// memory and most of the time of every compiling command.
#[derive(Deserialize)]
struct RawCatalog {
    format: Option<u64>,
    date: Option<String>,
    services: Option<BTreeMap<String, RawService>>,
}

/// The top level only, each service left as its JSON text (borrowed from the file's), for the
/// built-in catalog to parse a service when it is first used.
#[derive(Deserialize)]
struct LazyCatalog<'a> {
    format: Option<u64>,
    date: Option<String>,
    #[serde(borrow)]
    services: Option<BTreeMap<String, &'a RawValue>>,
}

/// Only the `format` field: checked first, so that a file of another format is reported as
/// such rather than by where its shape differs.
#[derive(Deserialize)]
struct RawHead {
    format: Option<u64>,
}

#[derive(Deserialize)]
struct RawService {
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    tagging: Vec<String>,
    create_key: Option<String>,
    #[serde(default)]
    resources: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    create_tagging: BTreeMap<String, Vec<String>>,
    actions: Vec<RawAction>,
}

/// An action: its bare name, or `[name, request_tag, tag_keys, resource_tag, tagging_only]`.
/// Read by a visitor of its own rather than as an untagged enum, which would first copy every
/// action into serde's intermediate form.
enum RawAction {
    Name(String),
    Full(String, RawSupport, RawSupport, RawSupport, u8),
}

impl<'de> Deserialize<'de> for RawAction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawAction;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "an action name or [name, request_tag, tag_keys, resource_tag, tagging_only]",
                )
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<RawAction, E> {
                Ok(RawAction::Name(name.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawAction, A::Error> {
                let missing = |i| serde::de::Error::invalid_length(i, &self);
                let name: String = seq.next_element()?.ok_or_else(|| missing(0))?;
                let rq = seq.next_element()?.ok_or_else(|| missing(1))?;
                let tk = seq.next_element()?.ok_or_else(|| missing(2))?;
                let rt = seq.next_element()?.ok_or_else(|| missing(3))?;
                let tagging: u8 = seq.next_element()?.ok_or_else(|| missing(4))?;
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(serde::de::Error::invalid_length(6, &self));
                }
                Ok(RawAction::Full(name, rq, tk, rt, tagging))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A tag-support field: `0`, `1` or a list of resource types.
enum RawSupport {
    Flag(u64),
    Types(Vec<String>),
}

impl<'de> Deserialize<'de> for RawSupport {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawSupport;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("0, 1 or a list of resource types")
            }

            fn visit_u64<E: serde::de::Error>(self, flag: u64) -> Result<RawSupport, E> {
                Ok(RawSupport::Flag(flag))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawSupport, A::Error> {
                let mut types = Vec::new();
                while let Some(t) = seq.next_element()? {
                    types.push(t);
                }
                types.shrink_to_fit();
                Ok(RawSupport::Types(types))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Parses the compact format; `path` only names the source in errors.
pub(crate) fn from_compact_json(path: &Path, text: &str) -> Result<Catalog, CatalogError> {
    let json = |source| CatalogError::Json {
        path: path.to_path_buf(),
        source,
    };
    let bad = |message: &str| CatalogError::schema(path, message);
    let head: RawHead = serde_json::from_str(text).map_err(json)?;
    if head.format != Some(FORMAT) {
        return Err(bad("unknown or missing `format` (expected 1)"));
    }
    let doc: RawCatalog = serde_json::from_str(text).map_err(json)?;
    debug_assert_eq!(doc.format, Some(FORMAT));
    let date = doc.date.ok_or_else(|| bad("missing `date`"))?;
    let raw_services = doc.services.ok_or_else(|| bad("missing `services`"))?;
    let mut services = BTreeMap::new();
    for (prefix, s) in raw_services {
        let service = service_of(&prefix, s)
            .map_err(|m| CatalogError::schema(path, format!("service `{prefix}`: {m}")))?;
        services.insert(prefix, service);
    }
    Ok(Catalog {
        date,
        services: services.into(),
    })
}

/// The date and the services' JSON texts of a catalog in the compact format, the services
/// unparsed; `path` only names the source in errors.
pub(crate) fn lazy_from_compact_json<'a>(
    path: &Path,
    text: &'a str,
) -> Result<(String, BTreeMap<String, &'a RawValue>), CatalogError> {
    let json = |source| CatalogError::Json {
        path: path.to_path_buf(),
        source,
    };
    let bad = |message: &str| CatalogError::schema(path, message);
    let doc: LazyCatalog<'a> = serde_json::from_str(text).map_err(json)?;
    if doc.format != Some(FORMAT) {
        return Err(bad("unknown or missing `format` (expected 1)"));
    }
    let date = doc.date.ok_or_else(|| bad("missing `date`"))?;
    let services = doc.services.ok_or_else(|| bad("missing `services`"))?;
    Ok((date, services))
}

/// One service of the compact format from its JSON text.
pub(crate) fn service_from_raw(prefix: &str, raw: &RawValue) -> Result<Service, String> {
    let s: RawService = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    service_of(prefix, s)
}

fn service_of(prefix: &str, s: RawService) -> Result<Service, String> {
    let mut actions = Vec::with_capacity(s.actions.len());
    for a in s.actions {
        actions.push(action_of(a)?);
    }
    Ok(Service {
        prefix: prefix.to_owned(),
        deprecated: s.deprecated,
        actions,
        tagging_actions: s.tagging,
        create_context_key: s.create_key,
        resources: s.resources,
        create_tagging: s.create_tagging,
    })
}

fn action_of(a: RawAction) -> Result<ActionInfo, String> {
    Ok(match a {
        RawAction::Name(name) => ActionInfo {
            name,
            request_tag: TagSupport::No,
            tag_keys: TagSupport::No,
            resource_tag: TagSupport::No,
            tagging_only: false,
        },
        RawAction::Full(name, rq, tk, rt, tagging) => ActionInfo {
            name,
            request_tag: support_of(rq)?,
            tag_keys: support_of(tk)?,
            resource_tag: support_of(rt)?,
            tagging_only: tagging == 1,
        },
    })
}

fn support_of(v: RawSupport) -> Result<TagSupport, String> {
    match v {
        RawSupport::Flag(0) => Ok(TagSupport::No),
        RawSupport::Flag(1) => Ok(TagSupport::Action),
        RawSupport::Types(types) => Ok(TagSupport::Resources(types)),
        RawSupport::Flag(_) => Err("a tag-support field is not 0, 1 or a list".to_owned()),
    }
}
