//! Unit tests of the catalog against the full AWS data vendored in `data/`.

use std::io::Read as _;
use std::path::Path;
use std::sync::OnceLock;

use super::*;

/// The snapshot of AWS's service reference that the built-in catalog is generated from.
const ARCHIVE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/aws-service-reference.tar.gz"
);

/// The data date of the snapshot, recorded in its `DATE` member.
const DATA_DATE: &str = "2026-08-22";

/// The built-in catalog as committed.
const BUILTIN_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/catalog/data/catalog.json");

/// A fresh import of the vendored snapshot, done once per test binary.
fn fresh() -> &'static Catalog {
    static FRESH: OnceLock<Catalog> = OnceLock::new();
    FRESH.get_or_init(|| Catalog::import_archive(Path::new(ARCHIVE)).expect("import of data/"))
}

/// One service document of the snapshot, as AWS serves it (`sqs.json`, …).
fn aws_document(name: &str) -> String {
    let file = std::fs::File::open(ARCHIVE).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().file_name().is_some_and(|n| n == name) {
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            return text;
        }
    }
    panic!("{name} is not in {ARCHIVE}");
}

#[test]
fn test_builtin_matches_fresh_import() {
    // `TAGC_UPDATE_CATALOG=1 cargo test` regenerates the committed file.
    if std::env::var_os("TAGC_UPDATE_CATALOG").is_some() {
        std::fs::write(BUILTIN_PATH, fresh().to_compact_json()).unwrap();
    }
    let builtin = Catalog::try_builtin().expect("the embedded catalog parses");
    assert_eq!(builtin.date, DATA_DATE);
    assert_eq!(fresh().date, DATA_DATE);
    assert!(
        builtin == *fresh(),
        "src/catalog/data/catalog.json is out of date: run `TAGC_UPDATE_CATALOG=1 cargo test --no-default-features --lib catalog`"
    );
    assert_eq!(Catalog::builtin(), fresh());
}

#[test]
fn test_import_of_the_snapshot_reproduces_the_builtin_catalog_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.json");
    manage::import(Path::new(ARCHIVE), &out).unwrap();
    let written = std::fs::read(&out).unwrap();
    let committed = std::fs::read(BUILTIN_PATH).unwrap();
    assert!(
        written == committed,
        "importing data/aws-service-reference.tar.gz does not give src/catalog/data/catalog.json"
    );
    assert_eq!(written, BUILTIN_JSON.as_bytes());
}

#[test]
fn test_archive_and_its_unpacked_directory_import_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::open(ARCHIVE).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(dir.path())
        .unwrap();
    let unpacked = dir.path().join("aws-service-reference");
    let from_dir = Catalog::import(&unpacked).unwrap();
    assert_eq!(&from_dir, fresh());
    assert_eq!(Catalog::load(&unpacked).unwrap(), from_dir);
    assert_eq!(&Catalog::load(Path::new(ARCHIVE)).unwrap(), fresh());
}

#[test]
fn test_archive_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Gzip's magic number followed by garbage: not a readable archive.
    let broken = dir.path().join("broken.tar.gz");
    std::fs::write(&broken, [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff]).unwrap();
    let err = Catalog::load(&broken).unwrap_err();
    assert!(matches!(err, CatalogError::Archive { .. }), "{err:?}");
    assert_eq!(
        miette::Diagnostic::code(&err).unwrap().to_string(),
        "tagc::catalog::archive"
    );
    // A valid archive with no service documents.
    let empty = dir.path().join("empty.tar.gz");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(&empty).unwrap(),
        flate2::Compression::default(),
    ));
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "x/README", &b"hello"[..])
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    let err = Catalog::import(&empty).unwrap_err();
    assert!(matches!(err, CatalogError::Empty { .. }), "{err:?}");
}

#[test]
fn test_compact_round_trip_is_identical() {
    let text = fresh().to_compact_json();
    let back = Catalog::from_compact_json(Path::new("x"), &text).unwrap();
    assert_eq!(&back, fresh());
    assert_eq!(back.to_compact_json(), text);
    assert!(
        text.len() < 2_000_000,
        "compact catalog is {} bytes",
        text.len()
    );
}

#[test]
fn test_counts_of_the_snapshot() {
    let c = fresh();
    assert_eq!(c.services.len(), 466);
    assert_eq!(c.action_count(), 21_983);
    assert_eq!(c.services.values().filter(|s| s.deprecated).count(), 8);
    let all = || c.services.values().flat_map(|s| s.actions.iter());
    assert_eq!(all().filter(|a| a.request_tag.any()).count(), 2_285);
    assert_eq!(
        all()
            .filter(|a| matches!(a.request_tag, TagSupport::Resources(_)))
            .count(),
        170
    );
    assert_eq!(all().filter(|a| a.tag_keys.any()).count(), 2_626);
    assert_eq!(
        all()
            .filter(|a| a.request_tag.any() && a.tag_keys.any())
            .count(),
        2_279
    );
    let ec2_resource_only = c
        .services
        .get("ec2")
        .unwrap()
        .actions
        .iter()
        .filter(|a| matches!(a.request_tag, TagSupport::Resources(_)))
        .count();
    assert_eq!(ec2_resource_only, 109);
}

#[test]
fn test_sagemaker_create_and_start_actions() {
    let c = fresh();
    let mut created = c.expand("sagemaker", "Create*");
    created.extend(c.expand("sagemaker", "start*"));
    assert_eq!(created.len(), 84);
    let taggable = created.iter().filter(|a| a.can_carry_tags()).count();
    assert_eq!(taggable, 65);
    assert_eq!(created.len() - taggable, 19);
    assert!(
        created
            .iter()
            .all(|a| a.request_tag.any() == a.tag_keys.any())
    );
    assert!(c.can_carry_tags_at_create("sagemaker", "CreateTrainingJob"));
    assert!(c.can_carry_tags_at_create("SageMaker", "createtrainingjob"));
    assert!(!c.can_carry_tags_at_create("sagemaker", "StartPipelineExecution"));
    assert!(!c.can_carry_tags_at_create("sagemaker", "NoSuchAction"));
}

#[test]
fn test_builtin_date_is_read_without_parsing_and_equals_the_parsed_one() {
    assert_eq!(Catalog::builtin_date(), DATA_DATE);
    assert_eq!(Catalog::builtin_date(), Catalog::builtin().date);
    let text = Catalog::builtin().to_compact_json();
    assert_eq!(compact::date_of(&text), Some(DATA_DATE));
    assert_eq!(compact::date_of("{\"services\":{}}"), None);
    assert_eq!(compact::date_of("{\"format\":1,\"date\":\"a\\\"b\"}"), None);
}

#[test]
fn test_expand_matches_exactly_what_the_general_matcher_matches() {
    // The exact-name lookup and the byte matcher are shortcuts: over every action of these
    // services and patterns of every shape, they must select what `wildcard_match` does.
    let c = Catalog::builtin();
    let patterns = [
        "*",
        "Create*",
        "create*",
        "*Tags",
        "*tag*",
        "Create*Job",
        "CREATE*JOB*",
        "?reate*",
        "Describe?",
        "*Training?ob",
        "CreateTrainingJob",
        "createtrainingjob",
        "CreateTrainingJo",
        "**Job",
        "Run*",
        "Add*Tag?",
        "",
    ];
    for service in ["sagemaker", "ec2", "s3", "sqs", "lambda"] {
        let all = &c.service(service).unwrap().actions;
        for p in patterns {
            let want: Vec<&str> = all
                .iter()
                .filter(|a| crate::model::wildcard_match(p, &a.name, true))
                .map(|a| a.name.as_str())
                .collect();
            let got: Vec<&str> = c
                .expand(service, p)
                .iter()
                .map(|a| a.name.as_str())
                .collect();
            assert_eq!(got, want, "{service}:{p}");
        }
    }
}

#[test]
fn test_expand_wildcards() {
    let c = fresh();
    let names: Vec<&str> = c
        .expand("sagemaker", "CreateTrainingJo?")
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["CreateTrainingJob"]);
    assert!(c.expand("nosuchservice", "*").is_empty());
    assert_eq!(c.expand("sqs", "*").len(), 20);
}

#[test]
fn test_ec2_run_instances_request_tags_only_on_some_resources() {
    let c = fresh();
    let run = c.action("ec2", "RunInstances").unwrap();
    assert_eq!(
        run.request_tag,
        TagSupport::Resources(
            [
                "instance",
                "network-interface",
                "secondary-interface",
                "spot-instances-request",
                "volume"
            ]
            .map(String::from)
            .to_vec()
        )
    );
    let ec2 = c.service("ec2").unwrap();
    assert_eq!(ec2.resources["instance"], ["arn:*:ec2:*:*:instance/*"]);
    assert_eq!(ec2.tagging_actions, ["CreateTags", "DeleteTags"]);
}

#[test]
fn test_create_context_keys_and_tagging_actions() {
    let c = fresh();
    let sm = c.service("sagemaker").unwrap();
    assert_eq!(
        sm.create_context_key.as_deref(),
        Some("sagemaker:TaggingAction")
    );
    assert_eq!(sm.tagging_actions, ["AddTags", "DeleteTags"]);
    assert_eq!(
        c.service("ec2").unwrap().create_context_key.as_deref(),
        Some("ec2:CreateAction")
    );
    assert_eq!(c.service("sqs").unwrap().create_context_key, None);
    assert_eq!(
        c.service("sqs").unwrap().tagging_actions,
        ["TagQueue", "UntagQueue"]
    );
    let add = c.action("sagemaker", "AddTags").unwrap();
    assert!(add.tagging_only);
    assert_eq!(add.request_tag, TagSupport::Action);
}

#[test]
fn test_resource_tag_from_resource_type_definitions() {
    let c = fresh();
    // sqs:SendMessage declares no tag keys itself; its `queue` resource type does.
    let send = c.action("sqs", "SendMessage").unwrap();
    assert_eq!(
        send.resource_tag,
        TagSupport::Resources(vec!["queue".into()])
    );
    assert!(!send.can_carry_tags());
    assert_eq!(
        c.service("sqs").unwrap().resources["queue"],
        ["arn:*:sqs:*:*:*"]
    );
}

#[test]
fn test_suggestions() {
    let c = fresh();
    assert_eq!(
        c.suggest_action("sagemaker", "CreateTraningJob").as_deref(),
        Some("CreateTrainingJob")
    );
    assert_eq!(c.suggest_service("sagemakr"), Some("sagemaker"));
    assert_eq!(c.suggest_service("zzzzzzzzzzzz"), None);
    assert_eq!(c.suggest_action("sagemaker", "Frobnicate"), None);
    let near = c.nearby_taggable("sagemaker", "StartNotebookInstance", 3);
    assert_eq!(
        near.first().map(String::as_str),
        Some("CreateNotebookInstance")
    );
    assert!(near.len() == 3);
    let near = c.nearby_taggable("sagemaker", "StartPipelineExecution", 1);
    assert_eq!(near, ["CreatePipeline"]);
}

#[test]
fn test_stale_services_are_deprecated() {
    let c = fresh();
    assert!(c.service("deeplens").unwrap().deprecated);
    assert!(!c.service("sagemaker").unwrap().deprecated);
}

#[test]
fn test_arn_pattern_and_dates() {
    assert_eq!(
        import::arn_pattern("arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}"),
        "arn:*:ec2:*:*:instance/*"
    );
    assert_eq!(import::arn_pattern("arn:${broken"), "arn:${broken");
    assert_eq!(import::civil_date(0), "1970-01-01");
    assert_eq!(import::civil_date(20_687), "2026-08-22");
}

#[test]
fn test_load_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = Catalog::load(dir.path()).unwrap_err();
    assert!(matches!(err, CatalogError::Empty { .. }));
    let file = dir.path().join("bad.json");
    std::fs::write(&file, "{").unwrap();
    assert!(matches!(
        Catalog::load(&file).unwrap_err(),
        CatalogError::Json { .. }
    ));
    std::fs::write(&file, r#"{"Name": "x"}"#).unwrap();
    assert!(matches!(
        Catalog::import_dir(dir.path()).unwrap_err(),
        CatalogError::Schema { .. }
    ));
    assert!(matches!(
        Catalog::load(&dir.path().join("missing")).unwrap_err(),
        CatalogError::Io { .. }
    ));
}

#[test]
fn test_import_reads_date_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sqs.json"), aws_document("sqs.json")).unwrap();
    std::fs::write(dir.path().join(DATE_FILE), "2030-01-02\n").unwrap();
    let c = Catalog::load(dir.path()).unwrap();
    assert_eq!(c.date, "2030-01-02");
    assert_eq!(
        c.services.get("sqs").unwrap(),
        fresh().services.get("sqs").unwrap()
    );
}

#[test]
fn test_import_command_writes_loadable_file_and_info() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sqs.json", "sagemaker.json", "deeplens.json"] {
        std::fs::write(dir.path().join(name), aws_document(name)).unwrap();
    }
    std::fs::write(dir.path().join(DATE_FILE), "2026-08-22").unwrap();
    let out = dir.path().join("out").with_extension("catalog");
    let imported = manage::import(dir.path(), &out).unwrap();
    assert_eq!(Catalog::load(&out).unwrap(), imported);
    let text = manage::info(&imported);
    assert!(text.contains("AWS data date: 2026-08-22"), "{text}");
    assert!(text.contains("services: 3 (1 deprecated)"), "{text}");
    let full = manage::info(fresh());
    assert!(full.contains("actions: 21983\n"), "{full}");
    assert!(
        full.contains("aws:RequestTag: 2285 (170 only for some resource types)"),
        "{full}"
    );
}

#[cfg(feature = "online")]
mod online {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    use super::*;

    const SERVED: [&str; 3] = ["sqs", "sns", "sagemaker"];

    /// A tiny HTTP/1.1 server on 127.0.0.1 serving an index of `SERVED` plus their documents
    /// from the vendored snapshot; `broken` makes the `sns` document a 404. Returns the base URL.
    fn serve(broken: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let index: Vec<_> = SERVED
            .iter()
            .map(|s| serde_json::json!({"service": s, "url": format!("{base}v1/{s}/{s}.json")}))
            .collect();
        let index = serde_json::to_string(&index).unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                // Drain the headers.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
                let body = if path == "/" {
                    Some(index.clone())
                } else {
                    SERVED
                        .iter()
                        .find(|s| path == format!("/v1/{s}/{s}.json"))
                        .filter(|s| !(broken && **s == "sns"))
                        .map(|s| aws_document(&format!("{s}.json")))
                };
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", "not found".to_owned()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        base
    }

    #[test]
    fn test_update_downloads_into_cache_dir() {
        let base = serve(false);
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("tagc").join("service-reference");
        // Twice: the second run replaces an existing copy.
        for _ in 0..2 {
            let dir = manage::update(&base, &cache).unwrap();
            assert_eq!(dir, cache);
        }
        let c = Catalog::load(&cache).unwrap();
        assert_eq!(c.services.len(), 3);
        assert_eq!(
            c.services.get("sagemaker").unwrap(),
            fresh().services.get("sagemaker").unwrap()
        );
        assert_eq!(c.date.len(), 10);
        // Only the final directory is left beside it: no staging or backup copies.
        let names: Vec<_> = std::fs::read_dir(cache.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["service-reference"]);
    }

    #[test]
    fn test_update_failure_keeps_previous_copy() {
        let good = serve(false);
        let bad = serve(true);
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("service-reference");
        manage::update(&good, &cache).unwrap();
        let err = manage::update(&bad, &cache).unwrap_err();
        assert!(
            matches!(&err, CatalogError::Download { reason, .. } if reason == "HTTP status 404"),
            "{err:?}"
        );
        assert_eq!(Catalog::load(&cache).unwrap().services.len(), 3);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn test_update_offline_error() {
        // Bind and drop a listener to get a port nothing listens on.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("service-reference");
        let err = manage::update(&format!("http://127.0.0.1:{port}/"), &cache).unwrap_err();
        assert!(matches!(err, CatalogError::Offline { .. }), "{err:?}");
        assert_eq!(
            miette::Diagnostic::code(&err).unwrap().to_string(),
            "tagc::catalog::offline"
        );
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(help.contains("--catalog DIR"), "{help}");
        assert!(!cache.exists());
    }
}

#[test]
fn test_operations_authorize_tagging_actions() {
    let c = fresh();
    // From each operation's `AuthorizedActions` in the service reference.
    assert_eq!(
        c.tagging_authorized_by("lambda", "CreateFunction"),
        ["lambda:TagResource"]
    );
    assert_eq!(
        c.tagging_authorized_by("secretsmanager", "createsecret"),
        ["secretsmanager:TagResource"]
    );
    assert_eq!(
        c.tagging_authorized_by("dynamodb", "CreateTable"),
        ["dynamodb:TagResource"]
    );
    assert_eq!(
        c.tagging_authorized_by("rds", "CreateDBInstance"),
        ["rds:AddTagsToResource"]
    );
    assert_eq!(
        c.tagging_authorized_by("sagemaker", "CreateTrainingJob"),
        ["sagemaker:AddTags"]
    );
    assert_eq!(
        c.tagging_authorized_by("ec2", "RunInstances"),
        ["ec2:CreateTags"]
    );
    // A read authorizes no tagging; a tagging action is not related to itself.
    assert!(c.tagging_authorized_by("lambda", "GetFunction").is_empty());
    assert!(c.tagging_authorized_by("lambda", "TagResource").is_empty());
    assert!(
        c.tagging_authorized_by("nosuch", "CreateFunction")
            .is_empty()
    );
}

#[test]
fn test_compact_format_errors_name_what_is_wrong() {
    let parse = |text: &str| Catalog::from_compact_json(Path::new("c.json"), text);
    let schema = |text: &str| match parse(text) {
        Err(CatalogError::Schema { message, .. }) => message,
        other => panic!("{text}: {other:?}"),
    };
    assert!(schema(r#"{"format":2,"date":"x","services":{"s":[]}}"#).contains("format"));
    assert!(schema(r#"{"format":1,"services":{}}"#).contains("date"));
    assert!(schema(r#"{"format":1,"date":"x"}"#).contains("services"));
    assert!(
        schema(r#"{"format":1,"date":"x","services":{"s":{"actions":[["A",7,0,0,0]]}}}"#)
            .contains("service `s`: a tag-support field")
    );
    assert!(matches!(
        parse(r#"{"format":1,"date":"x","services":{"s":{"actions":[{"A":1}]}}}"#),
        Err(CatalogError::Json { .. })
    ));
    let ok = parse(
        r#"{"format":1,"date":"d","services":{"s":{"tagging":["T"],"actions":["A",["T",0,1,["r"],1]]}}}"#,
    )
    .unwrap();
    let s = ok.services.get("s").unwrap();
    assert_eq!(s.actions[1].tag_keys, TagSupport::Action);
    assert_eq!(
        s.actions[1].resource_tag,
        TagSupport::Resources(vec!["r".to_owned()])
    );
    assert!(s.actions[1].tagging_only && !s.actions[0].tagging_only);
}

#[test]
fn test_builtin_catalog_parses_a_service_on_first_use_only() {
    let c = Catalog::builtin_lazy().unwrap();
    assert_eq!(c.services.parsed(), 0);
    assert!(c.action("sqs", "CreateQueue").is_some());
    // Case-insensitive lookups and unknown services go through the prefixes, parsing nothing.
    assert!(c.action("SQS", "createqueue").is_some());
    assert!(c.service("nosuchservice").is_none());
    assert!(c.expand("sagemaker", "Create*").len() > 10);
    assert_eq!(c.services.parsed(), 2);
    assert_eq!(c.services.len(), 466);
    assert_eq!(c.services.parsed(), 2);
    // Each service read on its own is what parsing the whole file gives.
    assert_eq!(c, Catalog::try_builtin().unwrap());
    assert_eq!(c.services.parsed(), 466);
}
