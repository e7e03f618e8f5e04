//! Snapshots of the rendered diagnostics for `tests/fixtures/invalid/`: one error per file, the
//! file named after its code (`unknown-tag.tags` → `tagc::…::unknown-tag`).

use crate::common::{compile_fixture, compile_text};

#[test]
fn test_invalid_fixtures_report_their_code() {
    insta::glob!("fixtures/invalid/*.tags", |path| {
        let name = path
            .strip_prefix(crate::common::root())
            .unwrap()
            .display()
            .to_string();
        let expected = path.file_stem().unwrap().to_str().unwrap();
        let compiled = compile_fixture(path);
        let codes = compiled.diagnostics.codes();
        assert!(
            codes
                .iter()
                .any(|c| c.rsplit("::").next() == Some(expected)),
            "{name} should report `{expected}`, got {codes:?}"
        );
        assert!(
            compiled.diagnostics.error_count() <= 1,
            "{name} should hold one error, got {codes:?}"
        );
        if compiled.diagnostics.error_count() == 1 {
            assert!(!compiled.ok() && compiled.artifacts().is_empty());
        }
        insta::assert_snapshot!(compiled.diagnostics.render_human(false));
    });
}

#[test]
fn test_every_error_of_every_file_is_reported() {
    let a = tagc::source::SourceFile::new(
        "a.tags",
        "tag env\npolicy p {\n require envv on sqs:CreateQueue\n attach to root\n}\npolicy q {\n require env on sqs:CreateQeue\n attach to root\n}\n",
    );
    let b = tagc::source::SourceFile::new(
        "b.tags",
        "tag x {\n values \"a\" \"*b*\"\n}\npolicy r {\n require nope on sns:CreateTopic\n attach to root\n}\n",
    );
    let compiled = tagc::compile_sources(&[a, b], tagc::catalog::Catalog::builtin());
    let codes = compiled.diagnostics.codes();
    assert_eq!(
        codes,
        vec![
            "tagc::check::too-many-wildcards",
            "tagc::check::unknown-tag",
            "tagc::check::unknown-action",
            "tagc::check::unknown-tag",
        ]
    );
}

#[test]
fn test_syntax_errors_in_several_items_are_all_reported() {
    let compiled = compile_text(
        "s.tags",
        "tag a {\n values dev\n}\n\npolicy p {\n require a sagemaker:CreateModel\n}\n\ntag b\n",
    );
    assert_eq!(
        compiled.diagnostics.codes(),
        vec!["tagc::syntax::unexpected", "tagc::syntax::unexpected"]
    );
}

#[test]
fn test_a_set_used_only_in_a_broken_statement_is_not_called_unused() {
    // The statement that uses `$prod` is lost to the syntax error above it.
    let text = "tag env\nset targets prod { ou \"Root/Prod\" }\npolicy p {\n  require env on sagemaker:CreateModel except\n  protect env at $prod\n  attach to root\n}\n";
    let broken = compile_text("s.tags", text);
    assert!(
        !broken
            .diagnostics
            .codes()
            .contains(&"tagc::check::unused-set".to_owned()),
        "{:?}",
        broken.diagnostics.codes()
    );
    assert!(broken.diagnostics.has_errors());
    // Whole, the same set unused is reported.
    let whole = compile_text(
        "s.tags",
        "tag env\nset targets prod { ou \"Root/Prod\" }\npolicy p {\n  require env on sagemaker:CreateModel\n  attach to root\n}\n",
    );
    assert_eq!(whole.diagnostics.codes(), vec!["tagc::check::unused-set"]);
}

#[test]
fn test_tags_declared_in_one_file_are_usable_in_another() {
    let tags = tagc::source::SourceFile::new("tags.tags", "tag owner\n");
    let policy = tagc::source::SourceFile::new(
        "policy.tags",
        "policy p {\n require owner on sqs:CreateQueue\n attach to root\n}\n",
    );
    let compiled = tagc::compile_sources(&[tags, policy], tagc::catalog::Catalog::builtin());
    assert!(
        compiled.ok(),
        "{}",
        compiled.diagnostics.render_human(false)
    );
}

#[test]
fn test_duplicate_across_files_names_the_first_file() {
    let a = tagc::source::SourceFile::new("a.tags", "tag owner\n");
    let b = tagc::source::SourceFile::new("b.tags", "tag owner\n");
    let compiled = tagc::compile_sources(&[a, b], tagc::catalog::Catalog::builtin());
    let json: serde_json::Value = serde_json::from_str(
        &tagc::report::Report::new("check", &compiled.diagnostics)
            .render(tagc::report::Format::Json),
    )
    .unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["message"], "tag `owner` is declared twice");
    assert_eq!(d["location"]["file"], "b.tags");
    assert_eq!(d["related"][0]["message"], "first declared here");
    assert_eq!(d["related"][0]["location"]["file"], "a.tags");
    assert_eq!(d["related"][0]["location"]["line"], 1);
    assert_eq!(d["related"][0]["location"]["column"], 5);
    assert!(
        d["help"]
            .as_str()
            .unwrap()
            .ends_with("first declared here: a.tags:1:5"),
        "{d}"
    );
}

#[test]
fn test_json_diagnostics_carry_code_span_and_help() {
    let compiled = compile_text(
        "j.tags",
        "tag environment\npolicy p {\n require enviroment on sqs:CreateQueue\n attach to root\n}\n",
    );
    let json: serde_json::Value = serde_json::from_str(
        &tagc::report::Report::new("check", &compiled.diagnostics)
            .render(tagc::report::Format::Json),
    )
    .unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "tagc::check::unknown-tag");
    assert_eq!(d["message"], "unknown tag `enviroment`");
    assert_eq!(d["location"]["file"], "j.tags");
    assert_eq!(d["location"]["offset"], 36);
    assert_eq!(d["location"]["line"], 3);
    assert_eq!(d["location"]["column"], 10);
    assert_eq!(d["label"], "not declared");
    assert_eq!(d["help"], "did you mean `environment`?");
    assert_eq!(json["summary"]["errors"], 1);
}

/// The diagnostic codes that no `.tags` file can make `compile` report, each with the reason
/// (a few are about a file's content but reported only by `plan`, which compile does not run).
/// Every other code has its fixture in `tests/fixtures/invalid/`.
const NOT_FROM_A_SOURCE_FILE: &[(&str, &str)] = &[
    (
        "tagc::load::unreadable",
        "a path that cannot be read: about the file system, not a file's text",
    ),
    (
        "tagc::load::symlink-loop",
        "a symbolic link back to its own directory: about the file system",
    ),
    (
        "tagc::check::unknown-ou",
        "`tagc eval --ou`: the OU comes from the command line, never from a file",
    ),
    (
        "tagc::model::malformed-action-name",
        "reading an action name through the library: the check stage reports a file's own",
    ),
    (
        "tagc::model::malformed-resource-type-name",
        "reading a resource type through the library: the check stage reports a file's own",
    ),
    (
        "tagc::verify::unevaluable",
        "the evaluator cannot read a document tagc emitted itself: a bug in tagc, not an input",
    ),
    (
        "tagc::fmt::syntax",
        "`tagc fmt` only: it wraps the file's `tagc::syntax::*` errors, which have their own fixtures",
    ),
    (
        "tagc::fmt::bug",
        "`tagc fmt` only: the formatter would change the tokens, a bug in tagc",
    ),
    (
        "tagc::fmt::write",
        "`tagc fmt` only: the formatted file cannot be written back",
    ),
    (
        "tagc::build::io",
        "`build` cannot write its output directory: I/O",
    ),
    (
        "tagc::build::stale",
        "`build --check`: about the output directory, not the sources",
    ),
    (
        "tagc::build::missing",
        "`build --check`: about the output directory, not the sources",
    ),
    (
        "tagc::build::extra",
        "`build --check`: about the output directory, not the sources",
    ),
    (
        "tagc::build::foreign",
        "`build --check`: about the output directory, not the sources",
    ),
    (
        "tagc::cli::stdin-with-paths",
        "the paths given on the command line",
    ),
    (
        "tagc::cli::stdin-not-supported",
        "the paths given to `plan` or `apply`",
    ),
    (
        "tagc::cli::stdin-filename-without-stdin",
        "`--stdin-filename` without `-`: flags, not a file",
    ),
    ("tagc::cli::stdin", "standard input cannot be read"),
    (
        "tagc::cli::malformed-tag",
        "`tagc eval --tag`: a flag, not a file",
    ),
    (
        "tagc::cli::denied-warnings",
        "`--deny-warnings`: a flag; the warnings it counts have their own fixtures",
    ),
    (
        "tagc::build::out-foreign-files",
        "`build --out`: about the output directory, not the sources",
    ),
    (
        "tagc::build::out-holds-input",
        "`build --out`: about the output directory, not the sources",
    ),
    (
        "tagc::build::out-is-current-directory",
        "`build --out`: about the output directory, not the sources",
    ),
    (
        "tagc::build::out-not-directory",
        "`build --out`: about the output directory, not the sources",
    ),
    (
        "tagc::build::out-not-tagc",
        "`build --out`: about the output directory, not the sources",
    ),
    (
        "tagc::catalog::archive",
        "`--catalog` or `catalog import`: the catalog, not the sources",
    ),
    (
        "tagc::catalog::cache-dir",
        "`catalog update`: the cache directory",
    ),
    ("tagc::catalog::download", "`catalog update`: the network"),
    (
        "tagc::catalog::empty",
        "`--catalog` or `catalog import`: the catalog, not the sources",
    ),
    ("tagc::catalog::io", "`--catalog` or `catalog import`: I/O"),
    (
        "tagc::catalog::json",
        "`--catalog` or `catalog import`: the catalog, not the sources",
    ),
    (
        "tagc::catalog::offline",
        "`catalog update` in a build without the `online` feature",
    ),
    (
        "tagc::catalog::schema",
        "`--catalog` or `catalog import`: the catalog, not the sources",
    ),
    (
        "tagc::eval::invalid-condition-value",
        "the evaluator reading a JSON policy document, never a `.tags` file",
    ),
    (
        "tagc::eval::malformed-policy",
        "the evaluator reading a JSON policy document, never a `.tags` file",
    ),
    (
        "tagc::eval::malformed-tag-policy",
        "the evaluator reading a JSON tag policy, never a `.tags` file",
    ),
    (
        "tagc::eval::unknown-element",
        "the evaluator reading a JSON policy document, never a `.tags` file",
    ),
    (
        "tagc::eval::unknown-operator",
        "the evaluator reading a JSON policy document, never a `.tags` file",
    ),
    (
        "tagc::cost::no-keys",
        "a project without cost keys compiles and builds: only `--emit cost` and `tagc cost` need them (tests/cost.rs)",
    ),
    (
        "tagc::cost::api",
        "a failed Cost Explorer call of `tagc cost` (tests/cost.rs, src/cost/activate.rs)",
    ),
    (
        "tagc::cost::refused",
        "keys Cost Explorer did not activate (src/cost/activate.rs, against the fake)",
    ),
    (
        "tagc::cost::not-confirmed",
        "`tagc cost activate` without `--yes`",
    ),
    (
        "tagc::cost::bad-amount",
        "a `--budget-amount` that is not a number, which the command line refuses first",
    ),
    (
        "tagc::iac::no-project",
        "caused by a file without `organization { project }`, but such a file compiles and builds: only `build --emit` needs the name (tests/iac.rs)",
    ),
    (
        "tagc::iac::not-json",
        "`build --emit cloudformation` reading back a document tagc wrote itself",
    ),
    ("tagc::aws::api", "plan/apply: an AWS call failed"),
    ("tagc::aws::cancelled", "apply: the user answered no"),
    (
        "tagc::aws::config",
        "plan/apply: the AWS client's configuration",
    ),
    (
        "tagc::aws::destroy",
        "plan/apply: the destroy guard, about the live organization",
    ),
    (
        "tagc::aws::duplicate-name",
        "plan's own check of the build before any AWS call; compile reports `duplicate-policy` first",
    ),
    (
        "tagc::aws::enable-timeout",
        "apply: AWS did not enable a policy type in time",
    ),
    (
        "tagc::aws::foreign",
        "plan: a live policy owned by another project",
    ),
    ("tagc::aws::interrupted", "apply: a step failed part way"),
    (
        "tagc::aws::invalid-name",
        "plan's own check of the build before any AWS call: a file with a policy name too long for AWS compiles and builds, so only plan reports it (src/aws/tests.rs)",
    ),
    (
        "tagc::report::unsupported-format",
        "the command line asks for a --format the command does not have (tests/report.rs)",
    ),
    (
        "tagc::report::unrenderable",
        "a result of the command that cannot be put into the report: a bug, not a file's text",
    ),
    (
        "tagc::test::failed",
        "a test result in the machine formats, not a diagnostic of the rules (tests/report.rs)",
    ),
    (
        "tagc::test::vacuous",
        "a test result in the machine formats, not a diagnostic of the rules (tests/report.rs)",
    ),
    (
        "tagc::aws::digest",
        "plan/apply: a digest of in-memory data could not be computed",
    ),
    (
        "tagc::aws::io",
        "apply: the terminal cannot be read or written",
    ),
    (
        "tagc::aws::kind-changed",
        "plan: a live policy of another kind under the same name",
    ),
    (
        "tagc::aws::last-scp",
        "plan: a live target would be left without an SCP",
    ),
    (
        "tagc::aws::no-project",
        "caused by a file without `organization { project }`, but such a file compiles and builds: only plan and apply need the name (tests/apply_cli.rs)",
    ),
    (
        "tagc::aws::not-confirmed",
        "apply: no terminal to confirm on",
    ),
    (
        "tagc::aws::not-owned",
        "plan: a live policy tagc does not manage",
    ),
    (
        "tagc::aws::out-not-plan",
        "`plan --out`: the path given on the command line",
    ),
    ("tagc::aws::plan", "plan: the sum of the plan's errors"),
    (
        "tagc::aws::plan-file",
        "`apply PLAN`: the saved plan file, JSON and not a `.tags` file",
    ),
    (
        "tagc::aws::policy-too-large",
        "plan's own check of the build before any AWS call; compile reports `too-large` first",
    ),
    (
        "tagc::aws::save-plan",
        "`plan --out`: the plan file cannot be written",
    ),
    (
        "tagc::aws::stale-plan",
        "`apply PLAN`: the organization changed since the plan",
    ),
    (
        "tagc::aws::too-many-policies",
        "plan: the live targets' attachments (compile reports `slots-exceeded`)",
    ),
    (
        "tagc::aws::unknown-target",
        "plan: a target missing from the live organization",
    ),
    (
        "tagc::audit::unreadable",
        "`audit --file`: the resource file given on the command line",
    ),
    (
        "tagc::audit::unknown-format",
        "`audit --file`: a resource file, JSON and not a `.tags` file",
    ),
    (
        "tagc::audit::malformed",
        "`audit --file`: an entry of a resource file",
    ),
    (
        "tagc::audit::no-source",
        "`audit` without `--file` in a build without the `aws` feature",
    ),
    (
        "tagc::audit::no-region",
        "`audit`: no region given or configured",
    ),
    ("tagc::audit::aws", "`audit`: a call to AWS failed"),
    (
        "tagc::lsp::protocol",
        "`lsp`: the connection with the editor failed",
    ),
];

#[test]
fn test_every_source_diagnostic_code_has_an_invalid_fixture() {
    let codes = crate::docs::codes_in_source();
    let exempt: std::collections::BTreeMap<&str, &str> =
        NOT_FROM_A_SOURCE_FILE.iter().copied().collect();
    assert_eq!(
        exempt.len(),
        NOT_FROM_A_SOURCE_FILE.len(),
        "a code is listed twice"
    );
    let stale: Vec<_> = exempt.keys().filter(|c| !codes.contains(**c)).collect();
    assert!(
        stale.is_empty(),
        "listed as not from a file, but no longer a code: {stale:?}"
    );
    let invalid = crate::common::root().join("tests/fixtures/invalid");
    let mut missing = Vec::new();
    for code in &codes {
        let Some(name) = code.rsplit("::").next() else {
            continue;
        };
        let fixture = invalid.join(format!("{name}.tags"));
        if let Some(reason) = exempt.get(code.as_str()) {
            // A fixture named like an exempt code would claim the code comes from a file.
            let reported =
                fixture.exists() && compile_fixture(&fixture).diagnostics.codes().contains(code);
            assert!(
                !reported,
                "{code} is listed as not from a file ({reason}), but {} reports it",
                fixture.display()
            );
            continue;
        }
        if !fixture.exists() || !compile_fixture(&fixture).diagnostics.codes().contains(code) {
            missing.push(code.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "no fixture in tests/fixtures/invalid reports {missing:?}"
    );
}

#[test]
fn test_no_fixture_reports_a_code_listed_as_not_from_a_file() {
    let root = crate::common::root();
    for dir in ["tests/fixtures/valid", "tests/fixtures/invalid"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "tags") {
                continue;
            }
            let codes = compile_fixture(&path).diagnostics.codes();
            for (code, reason) in NOT_FROM_A_SOURCE_FILE {
                assert!(
                    !codes.iter().any(|c| c == code),
                    "{} reports {code}, listed as not from a file ({reason})",
                    path.display()
                );
            }
        }
    }
}

/// The first diagnostic of `text`, as the JSON report gives it.
fn first_diagnostic(text: &str) -> serde_json::Value {
    let compiled = compile_text("d.tags", text);
    let json: serde_json::Value = serde_json::from_str(
        &tagc::report::Report::new("check", &compiled.diagnostics)
            .render(tagc::report::Format::Json),
    )
    .unwrap();
    json["diagnostics"][0].clone()
}

#[test]
fn test_misspelt_keyword_in_a_block_suggests_the_keyword() {
    let d = first_diagnostic(
        "tag env\npolicy p {\n  require env on sqs:CreateQueue\n  atach to root\n}\n",
    );
    assert_eq!(d["code"], "tagc::syntax::unknown-keyword");
    assert_eq!(d["message"], "unknown keyword `atach`");
    assert_eq!(d["help"], "did you mean `attach`?");
    assert_eq!(d["location"]["line"], 4);
    assert_eq!(d["location"]["column"], 3);
}

#[test]
fn test_a_word_far_from_every_keyword_stays_unexpected() {
    let d =
        first_diagnostic("tag env\npolicy p {\n  require env on sqs:CreateQueue\n  banana\n}\n");
    assert_eq!(d["code"], "tagc::syntax::unexpected");
}

#[test]
fn test_keyword_as_tag_name_suggests_quoting_it() {
    let d = first_diagnostic("tag resource\n");
    assert_eq!(d["code"], "tagc::syntax::unexpected");
    assert_eq!(
        d["help"],
        "`resource` is a keyword: quote it to use it as a tag name, `\"resource\"`"
    );
    let d = first_diagnostic(
        "tag env\ntest \"t\" {\n  request sqs:CreateQueue tags for=\"a\"\n  expect deny\n}\n",
    );
    assert_eq!(
        d["help"],
        "`for` is a keyword: quote it to use it as a tag name, `\"for\"`"
    );
    // The help's advice works.
    let compiled = compile_text("q.tags", "tag \"resource\"\n");
    assert!(
        !compiled
            .diagnostics
            .codes()
            .iter()
            .any(|c| c.starts_with("tagc::syntax::")),
        "{:?}",
        compiled.diagnostics.codes()
    );
}

#[test]
fn test_unterminated_string_points_at_its_opening_quote() {
    let d = first_diagnostic("tag env {\n  description \"a \\\" b\n}\n");
    assert_eq!(d["code"], "tagc::syntax::unterminated-string");
    assert_eq!(d["location"]["line"], 2);
    assert_eq!(d["location"]["column"], 15);
}

#[test]
fn test_unclosed_brace_points_at_the_innermost_open_brace() {
    // The `}` in the comment and in the string close nothing.
    let d = first_diagnostic("tag env {\n  values \"}\" # }\n  description \"d\"\n\n# the end\n");
    assert_eq!(d["code"], "tagc::syntax::unclosed-brace");
    assert_eq!(d["location"]["line"], 1);
    assert_eq!(d["location"]["column"], 9);
    assert_eq!(d["related"][0]["message"], "the file ends here");
}

#[test]
fn test_unclosed_brace_before_the_next_item_points_at_both() {
    let d = first_diagnostic(
        "tag env\npolicy p {\n  require env on sqs:CreateQueue\n  attach to root\n\ntag owner\n",
    );
    assert_eq!(d["code"], "tagc::syntax::unclosed-brace");
    assert_eq!(d["location"]["line"], 2);
    assert_eq!(d["location"]["column"], 10);
    assert_eq!(d["related"][0]["location"]["line"], 6);
    // A keyword of an item in the middle of a line is not taken for the next item.
    let d = first_diagnostic("tag env\npolicy p {\n  require env on sqs:CreateQueue tag\n}\n");
    assert_eq!(d["code"], "tagc::syntax::unexpected");
}

#[test]
fn test_action_in_protect_names_its_service() {
    let d = first_diagnostic(
        "tag cc\npolicy p {\n  protect cc on s3, ec2:CreateTags\n  attach to root\n}\n",
    );
    assert_eq!(d["code"], "tagc::syntax::action-in-protect");
    assert_eq!(d["location"]["column"], 21);
    assert!(
        d["help"].as_str().unwrap().contains("`on ec2`"),
        "{}",
        d["help"]
    );
}

#[test]
fn test_service_prefix_in_the_wrong_case_suggests_lowercase() {
    let d = first_diagnostic(
        "tag env\npolicy p {\n  require env on EKS:CreateCluster\n  attach to root\n}\n",
    );
    assert_eq!(d["code"], "tagc::check::malformed-action");
    assert_eq!(
        d["help"],
        "service prefixes are lowercase: did you mean `eks:CreateCluster`?"
    );
    let d =
        first_diagnostic("tag env\ntest \"t\" {\n  request Sqs:CreateQueue\n  expect deny\n}\n");
    assert_eq!(d["code"], "tagc::check::malformed-action");
    assert_eq!(
        d["help"],
        "service prefixes are lowercase: did you mean `sqs:CreateQueue`?"
    );
}

/// The severity column of docs/errors.md's index is what an allow comment consults to tell a
/// warning (which it may acknowledge) from an error: every diagnostic the invalid fixtures
/// produce has the severity its code is listed with.
#[test]
fn test_documented_severities_match_the_reported_ones() {
    let index = std::fs::read_to_string(crate::common::root().join("docs/errors.md")).unwrap();
    let documented: std::collections::BTreeMap<&str, &str> = index
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| [`")?;
            let (code, rest) = rest.split_once('`')?;
            Some((code, rest.rsplit('|').nth(1)?.trim()))
        })
        .collect();
    let mut checked = 0;
    let mut wrong = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(crate::common::root().join("tests/fixtures/invalid")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("tags") {
            continue;
        }
        let compiled = compile_fixture(&path);
        for d in compiled.diagnostics.iter() {
            let Some(code) = d.code().map(|c| c.to_string()) else {
                continue;
            };
            let reported = match d.severity() {
                Some(miette::Severity::Warning) => "warning",
                Some(miette::Severity::Advice) => "advice",
                None | Some(miette::Severity::Error) => "error",
            };
            if documented.get(code.as_str()).copied() != Some(reported) {
                wrong.insert(format!(
                    "{code}: reported {reported}, index says {:?}",
                    documented.get(code.as_str())
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(checked > 50, "only {checked} diagnostics checked");
}
