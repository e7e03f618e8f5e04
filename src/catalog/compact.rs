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

/// Parses the compact format; `path` only names the source in errors.
pub(crate) fn from_compact_json(path: &Path, text: &str) -> Result<Catalog, CatalogError> {
    let doc: Value = serde_json::from_str(text).map_err(|source| CatalogError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |message: &str| CatalogError::schema(path, message);
    if doc.get("format").and_then(Value::as_u64) != Some(FORMAT) {
        return Err(bad("unknown or missing `format` (expected 1)"));
    }
    let date = doc
        .get("date")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing `date`"))?
        .to_owned();
    let raw_services = doc
        .get("services")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("missing `services`"))?;
    let mut services = BTreeMap::new();
    for (prefix, s) in raw_services {
        let service = parse_service(prefix, s)
            .map_err(|m| CatalogError::schema(path, format!("service `{prefix}`: {m}")))?;
        services.insert(prefix.clone(), service);
    }
    Ok(Catalog { date, services })
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("`{what}` is not a list"))?
        .iter()
        .map(|x| {
            x.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("`{what}` holds a non-string"))
        })
        .collect()
}

fn parse_service(prefix: &str, s: &Value) -> Result<Service, String> {
    let tagging_actions = match s.get("tagging") {
        Some(v) => strings(v, "tagging")?,
        None => Vec::new(),
    };
    let create_context_key = match s.get("create_key") {
        Some(v) => Some(v.as_str().ok_or("`create_key` is not a string")?.to_owned()),
        None => None,
    };
    let mut resources = BTreeMap::new();
    if let Some(v) = s.get("resources") {
        let map = v.as_object().ok_or("`resources` is not an object")?;
        for (name, arns) in map {
            resources.insert(name.clone(), strings(arns, "resources")?);
        }
    }
    let mut create_tagging = BTreeMap::new();
    if let Some(v) = s.get("create_tagging") {
        let map = v.as_object().ok_or("`create_tagging` is not an object")?;
        for (name, tagging) in map {
            create_tagging.insert(name.clone(), strings(tagging, "create_tagging")?);
        }
    }
    let actions = s
        .get("actions")
        .and_then(Value::as_array)
        .ok_or("missing `actions`")?
        .iter()
        .map(parse_action)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Service {
        prefix: prefix.to_owned(),
        deprecated: s.get("deprecated").and_then(Value::as_bool) == Some(true),
        actions,
        tagging_actions,
        create_context_key,
        resources,
        create_tagging,
    })
}

fn parse_action(v: &Value) -> Result<ActionInfo, String> {
    if let Some(name) = v.as_str() {
        return Ok(ActionInfo {
            name: name.to_owned(),
            request_tag: TagSupport::No,
            tag_keys: TagSupport::No,
            resource_tag: TagSupport::No,
            tagging_only: false,
        });
    }
    let fields = v
        .as_array()
        .ok_or("an action is neither a name nor a list")?;
    let [name, rq, tk, rt, tagging] = fields.as_slice() else {
        return Err("an action list does not have 5 fields".to_owned());
    };
    Ok(ActionInfo {
        name: name
            .as_str()
            .ok_or("an action name is not a string")?
            .to_owned(),
        request_tag: parse_support(rq)?,
        tag_keys: parse_support(tk)?,
        resource_tag: parse_support(rt)?,
        tagging_only: tagging.as_u64() == Some(1),
    })
}

fn parse_support(v: &Value) -> Result<TagSupport, String> {
    match v {
        Value::Number(n) if n.as_u64() == Some(0) => Ok(TagSupport::No),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(TagSupport::Action),
        Value::Array(_) => Ok(TagSupport::Resources(strings(v, "resource types")?)),
        _ => Err("a tag-support field is not 0, 1 or a list".to_owned()),
    }
}
