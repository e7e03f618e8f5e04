//! A grammar-aware fuzzer: random projects, written from the grammar and then damaged, go
//! through parse → check → build (lower, emit) → test (evaluator and reference) → fmt, and
//! none of it may panic.
//!
//! Each case is a project of one or two files. Each file is a list of items made from the
//! grammar of `grammar/tagc.pest`, with names drawn from pools that mix what the catalog knows
//! (`sagemaker:CreateTrainingJob`, `ec2:instance`), near misses, wildcards, odd casing, empty,
//! long and non-ASCII text and escapes. A few random edits (deleting, duplicating or inserting
//! text) then turn many of them into invalid input, so that the error paths are exercised as
//! much as the valid ones. Every diagnostic is rendered, for people and as JSON.
//!
//! `cargo test` runs a short, deterministic run (400 cases, fixed seed). A long run is the same
//! test with more cases and another seed, at low priority, outside CI (see
//! `docs/architecture.md`):
//!
//! ```sh
//! TAGC_FUZZ_CASES=20000 TAGC_FUZZ_SEED=7 nice -n 19 \
//!   cargo test --test integration fuzz::test_fuzz_pipeline_never_panics -- --nocapture
//! ```
//!
//! A failure is shrunk by proptest to a small input, which is printed with the seed that
//! reproduces it.

use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::strategy::ValueTree as _;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use tagc::catalog::Catalog;
use tagc::verify::{Verifier, default_layers};

/// Cases in the run that `cargo test` does.
const DEFAULT_CASES: u32 = 400;
/// Seed of the run that `cargo test` does.
const DEFAULT_SEED: u64 = 0x7a67_6300;

/// A number from the environment, or `default`.
fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    prop::sample::select(items).prop_map(str::to_owned)
}

/// Tag keys: declared ones, undeclared ones, other casings, reserved prefixes, quoted and odd.
fn tag_name() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => pick(&["environment", "CostCenter", "project", "owner", "team"]),
        1 => pick(&[
            "Environment", "ENVIRONMENT", "enviroment", "aws:createdBy", "a/b", "k@1", "x.y",
            "team+1", "\"quoted key\"", "\"\"", "\"café\"", "\"a\\\"b\"", "tag", "values",
        ]),
        1 => "[a-zA-Z][a-zA-Z0-9_.:/+@-]{0,140}",
    ]
}

/// Quoted strings used as tag values.
fn value() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => pick(&["\"dev\"", "\"staging\"", "\"production\"", "\"CC-*\"", "\"shared\""]),
        1 => pick(&["\"\"", "\"*\"", "\"?\"", "\"a\\\"b\"", "\"\\n\"", "\"ünïcødé\"", "\"a b\""]),
        1 => "[ -~&&[^\"\\\\]]{0,300}".prop_map(|s| format!("\"{s}\"")),
    ]
}

/// Action patterns: real, wildcarded, misspelt, unknown services, malformed.
fn action() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => pick(&[
            "sagemaker:CreateTrainingJob", "sagemaker:Create*", "sagemaker:CreateModel",
            "ec2:RunInstances", "ec2:CreateVolume", "sqs:CreateQueue", "s3:CreateBucket",
            "sagemaker:AddTags", "ec2:CreateTags", "sagemaker:DeleteTags", "sqs:TagQueue",
            "sagemaker:StartPipelineExecution", "sqs:SendMessage",
        ]),
        1 => pick(&[
            "*", "ec2:*", "sagemaker:*", "*:*", "s3:*", "iam:*", "sagemaker:?", "sagemaker:Create?*",
            "sagemaker:CreateTraningJob", "nosuch:Thing", ":", "a:", ":b", "sagemaker", "SageMaker:createtrainingjob",
            "ec2:Create*", "rds:*",
        ]),
        1 => "[a-z0-9-]{1,12}:[A-Za-z*?]{1,30}",
    ]
}

fn service() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => pick(&["sagemaker", "ec2", "sqs", "s3"]),
        1 => pick(&["nosuch", "SageMaker", "-", "a-b"]),
    ]
}

fn resource_type() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => pick(&[
            "sagemaker:training-job", "sagemaker:model", "ec2:instance", "ec2:volume",
            "ec2:ALL_SUPPORTED", "s3:bucket", "sqs:queue",
        ]),
        1 => pick(&["ec2:*", "bogus:thing", "sagemaker", ":", "ec2:Instance", "*", "s3:ALL_SUPPORTED"]),
        1 => "[a-z0-9-]{1,10}:[a-zA-Z0-9_/.*-]{1,20}",
    ]
}

/// Quoted principal ARNs (for `exempt` and `by`).
fn principal() -> impl Strategy<Value = String> + Clone {
    pick(&[
        "\"arn:aws:iam::*:role/TagAdmin\"",
        "\"arn:aws:iam::123456789012:role/ml\"",
        "\"arn:aws:iam::123456789012:user/alice\"",
        "\"arn:aws:sts::123456789012:assumed-role/x/y\"",
        "\"not an arn\"",
        "\"\"",
        "\"arn:aws:iam::*:role/*\"",
    ])
}

fn target() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        2 => Just("root".to_owned()),
        2 => pick(&[
            "ou \"Root/Workloads/ML\"", "ou \"Root/Workloads\"", "ou \"Root\"", "ou \"\"",
            "ou \"ou-ab12-cdefgh34\"", "ou \"Root//x\"",
        ]),
        1 => pick(&["account \"123456789012\"", "account \"12345\"", "account \"\""]),
    ]
}

/// `a, b, c` of one to four items.
fn list<S: Strategy<Value = String>>(item: S) -> impl Strategy<Value = String> {
    prop::collection::vec(item, 1..4).prop_map(|v| v.join(", "))
}

/// The `at` and `except` clauses that may end a rule, each present now and then.
fn rule_scope() -> impl Strategy<Value = String> {
    (
        prop::option::weighted(0.2, list_or_sets(target())),
        prop::option::weighted(0.2, list_or_sets(principal())),
    )
        .prop_map(|(at, except)| {
            let mut s = String::new();
            if let Some(at) = at {
                let _ = write!(s, " at {at}");
            }
            if let Some(except) = except {
                let _ = write!(s, " except {except}");
            }
            s
        })
}

/// References to named sets: declared ones of every kind (see [`set_decl`]) and unknown ones.
fn set_ref() -> impl Strategy<Value = String> + Clone {
    pick(&[
        "$keys",
        "$creates",
        "$services",
        "$admins",
        "$where",
        "$types",
        "$nope",
        "$",
    ])
}

/// A list of a statement, with set references among its items now and then.
fn list_or_sets<S: Strategy<Value = String> + 'static>(item: S) -> impl Strategy<Value = String> {
    list(prop_oneof![6 => item.boxed(), 1 => set_ref().boxed()])
}

/// `set KIND NAME { … }` of every kind, named as [`set_ref`] uses them or not, sometimes of
/// the wrong kind, empty, or using another set.
fn set_decl() -> BoxedStrategy<String> {
    let name = || {
        pick(&[
            "keys", "creates", "services", "admins", "where", "types", "unused",
        ])
    };
    prop_oneof![
        2 => (name(), list_or_sets(tag_name())).prop_map(|(n, l)| format!("set tags {n} {{ {l} }}")),
        2 => (name(), list_or_sets(action())).prop_map(|(n, l)| format!("set actions {n} {{ {l} }}")),
        2 => (name(), list_or_sets(service())).prop_map(|(n, l)| format!("set services {n} {{ {l} }}")),
        2 => (name(), list_or_sets(principal()))
            .prop_map(|(n, l)| format!("set principals {n} {{ {l} }}")),
        2 => (name(), list_or_sets(target())).prop_map(|(n, l)| format!("set targets {n} {{ {l} }}")),
        2 => (name(), list_or_sets(resource_type()))
            .prop_map(|(n, l)| format!("set resource-types {n} {{ {l} }}")),
        1 => name().prop_map(|n| format!("set tags {n} {{ }}")),
    ]
    .boxed()
}

fn tag_decl() -> BoxedStrategy<String> {
    let stmt = prop_oneof![
        3 => prop::collection::vec(value(), 1..5).prop_map(|v| format!("values {}", v.join(" "))),
        1 => Just("exact-case".to_owned()),
        1 => value().prop_map(|v| format!("description {v}")),
    ];
    (
        tag_name(),
        prop::option::weighted(0.8, prop::collection::vec(stmt, 0..4)),
    )
        .prop_map(|(name, body)| match body {
            None => format!("tag {name}"),
            Some(stmts) => format!("tag {name} {{\n  {}\n}}", stmts.join("\n  ")),
        })
        .boxed()
}

fn policy_decl() -> BoxedStrategy<String> {
    let stmt = prop_oneof![
        4 => (list_or_sets(tag_name()), list_or_sets(action()), rule_scope())
            .prop_map(|(t, a, sc)| format!("require {t} on {a}{sc}")),
        1 => (list_or_sets(tag_name()), list_or_sets(action()), tag_name(), list(value()), rule_scope())
            .prop_map(|(t, a, k, v, sc)| format!("require {t} on {a} when {k} = {v}{sc}")),
        1 => (tag_name(), list(value()), list_or_sets(action()), rule_scope())
            .prop_map(|(k, v, a, sc)| format!("forbid {k} = {v} on {a}{sc}")),
        1 => (list_or_sets(action()), rule_scope())
            .prop_map(|(a, sc)| format!("only-declared-keys on {a}{sc}")),
        2 => (list_or_sets(tag_name()), prop::option::of(list_or_sets(service())), rule_scope())
            .prop_map(|(t, s, sc)| match s {
                Some(s) => format!("protect {t} on {s}{sc}"),
                None => format!("protect {t}{sc}"),
            }),
        1 => list_or_sets(principal()).prop_map(|p| format!("exempt {p}")),
        2 => (list_or_sets(tag_name()), list_or_sets(resource_type()), rule_scope())
            .prop_map(|(t, r, sc)| format!("enforce {t} for {r}{sc}")),
        1 => (list_or_sets(tag_name()), list_or_sets(resource_type()), rule_scope())
            .prop_map(|(t, r, sc)| format!("report {t} for {r}{sc}")),
        3 => list_or_sets(target()).prop_map(|t| format!("attach to {t}")),
        1 => Just("grant".to_owned()),
        1 => value().prop_map(|v| format!("description {v}")),
    ];
    (
        pick(&["ml", "guardrails", "p", "p-2", "ml"]),
        prop::collection::vec(stmt, 0..7),
    )
        .prop_map(|(name, stmts)| format!("policy {name} {{\n  {}\n}}", stmts.join("\n  ")))
        .boxed()
}

fn test_decl() -> BoxedStrategy<String> {
    let clause = prop_oneof![
        3 => list((tag_name(), value()).prop_map(|(k, v)| format!("{k}={v}")))
            .prop_map(|t| format!("tags {t}")),
        1 => principal().prop_map(|p| format!("by {p}")),
        1 => action().prop_map(|a| format!("during {a}")),
        1 => pick(&[
            "resource \"arn:aws:sagemaker:us-east-1:123456789012:training-job/x\"",
            "resource \"arn:aws:ec2:us-east-1:123456789012:instance/i-1\"",
            "resource \"x\"",
        ]),
        1 => target().prop_map(|t| format!("from {t}")),
    ];
    (
        pick(&["\"t\"", "\"a test\"", "\"\"", "\"t\""]),
        action(),
        prop::collection::vec(clause, 0..4),
        pick(&["allow", "deny"]),
        prop::option::of(pick(&["scp", "iam", "tag-policy"])),
    )
        .prop_map(|(name, action, clauses, decision, layer)| {
            let layer = layer.map(|l| format!(" in {l}")).unwrap_or_default();
            format!(
                "test {name} {{\n  request {action} {}\n  expect {decision}{layer}\n}}",
                clauses.join(" ")
            )
        })
        .boxed()
}

fn org_decl() -> BoxedStrategy<String> {
    prop::collection::vec(
        pick(&[
            "scp-strategy deny-list",
            "scp-strategy allow-list",
            "limits current",
            "limits legacy",
            "actions exact",
            "actions compact",
        ]),
        0..3,
    )
    .prop_map(|s| format!("organization {{\n  {}\n}}", s.join("\n  ")))
    .boxed()
}

/// One file: items from the grammar, with comments here and there.
fn file_text() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        3 => tag_decl(),
        3 => policy_decl(),
        2 => test_decl(),
        1 => org_decl(),
        2 => set_decl(),
        1 => pick(&["# a comment", "// a comment", "", "\u{feff}"]),
    ];
    prop::collection::vec(item, 0..8).prop_map(|items| items.join("\n"))
}

/// Tags every coherent file declares.
const DECLARED: &str = "tag environment { values \"dev\" \"staging\" \"production\" exact-case }
tag CostCenter { values \"CC-*\" }
tag project
tag owner
set actions ml-creates { sagemaker:CreateTrainingJob, sagemaker:CreateModel }
set principals admins { \"arn:aws:iam::*:role/TagAdmin\" }
";

/// One to three of the declared tags, as a list.
fn declared_tags() -> impl Strategy<Value = String> {
    prop::sample::subsequence(&["environment", "CostCenter", "project", "owner"][..], 1..4)
        .prop_map(|t| t.join(", "))
}

/// The statements of a policy that mostly makes sense.
fn coherent_policy() -> impl Strategy<Value = String> {
    let tags = declared_tags;
    let creates = || {
        prop::sample::subsequence(
            &[
                "sagemaker:CreateTrainingJob",
                "sagemaker:CreateModel",
                "sagemaker:Create*",
                "sqs:CreateQueue",
                "ec2:RunInstances",
                "ec2:CreateVolume",
                "s3:CreateBucket",
            ][..],
            1..4,
        )
        .prop_map(|a| a.join(", "))
    };
    (
        tags(),
        creates(),
        prop::option::of((
            tags(),
            prop::sample::subsequence(&["sagemaker", "ec2", "sqs"][..], 1..3),
        )),
        prop::option::of(tags()),
        prop::option::of(prop::sample::subsequence(
            &[
                "sagemaker:training-job",
                "ec2:instance",
                "ec2:volume",
                "sqs:ALL_SUPPORTED",
            ][..],
            1..3,
        )),
        any::<bool>(),
        any::<bool>(),
        prop::sample::subsequence(
            &[
                "root",
                "ou \"Root/Workloads/ML\"",
                "account \"111122223333\"",
            ][..],
            1..3,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(req, on, protect, enforce, types, exempt, grant, targets, through_set)| {
                // The file declares `$ml-creates` (see `coherent_file`).
                let on = if through_set {
                    format!("$ml-creates, {on}")
                } else {
                    on
                };
                let mut s = vec![format!("require {req} on {on}")];
                if let Some((t, services)) = protect {
                    s.push(format!("protect {t} on {}", services.join(", ")));
                }
                if let (Some(t), Some(types)) = (enforce, types) {
                    s.push(format!("enforce {t} for {}", types.join(", ")));
                }
                if exempt {
                    s.push("exempt $admins".to_owned());
                }
                if grant {
                    s.push("grant".to_owned());
                }
                s.push(format!("attach to {}", targets.join(", ")));
                s.join("\n  ")
            },
        )
}

/// The body of a test that mostly makes sense.
fn coherent_test() -> impl Strategy<Value = String> {
    (
        pick(&[
            "sagemaker:CreateTrainingJob",
            "sagemaker:CreateModel",
            "sqs:CreateQueue",
            "ec2:RunInstances",
            "sagemaker:AddTags",
            "ec2:CreateTags",
            "sqs:TagQueue",
        ]),
        prop::sample::subsequence(
            &[
                "environment=\"dev\"",
                "CostCenter=\"CC-1\"",
                "project=\"x\"",
                "Environment=\"Dev\"",
            ][..],
            0..3,
        ),
        prop::option::of(pick(&[
            "during sagemaker:CreateTrainingJob",
            "during ec2:RunInstances",
            "by \"arn:aws:iam::111122223333:role/TagAdmin\"",
            "from ou \"Root/Workloads/ML\"",
        ])),
        pick(&["allow", "deny"]),
        prop::option::of(pick(&["scp", "iam", "tag-policy"])),
    )
        .prop_map(|(action, tags, extra, decision, layer)| {
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!(" tags {}", tags.join(", "))
            };
            let extra = extra.map(|e| format!(" {e}")).unwrap_or_default();
            let layer = layer.map(|l| format!(" in {l}")).unwrap_or_default();
            format!("request {action}{tags}{extra}\n  expect {decision}{layer}")
        })
}

/// A file that mostly makes sense: declared tags, create actions that carry tags, resource
/// types that tag policies enforce, distinct policy and test names. These reach lowering,
/// emitting, the evaluator and the reference semantics, which the wilder files seldom do.
fn coherent_file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(coherent_policy(), 1..3),
        prop::collection::vec(coherent_test(), 0..4),
        prop::option::of(org_decl()),
    )
        .prop_map(|(policies, tests, org)| {
            let mut out = DECLARED.to_owned();
            for (i, p) in policies.iter().enumerate() {
                let _ = write!(out, "\npolicy p{i} {{\n  {p}\n}}\n");
            }
            for (i, t) in tests.iter().enumerate() {
                let _ = write!(out, "\ntest \"t{i}\" {{\n  {t}\n}}\n");
            }
            if let Some(o) = org {
                out.push_str(&o);
            }
            out
        })
}

/// An edit that damages the text: where (a fraction of the length), how much, and what.
#[derive(Debug, Clone)]
enum Edit {
    Delete(f64, usize),
    Duplicate(f64, usize),
    Insert(f64, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0.0..1.0f64, 1usize..20).prop_map(|(at, n)| Edit::Delete(at, n)),
        (0.0..1.0f64, 1usize..40).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        (
            0.0..1.0f64,
            prop_oneof![
                20 => pick(&[
                    "{", "}", "\"", ",", "=", "\n", "#", "\\", "tag", "on", "*", "é", "\u{0}"
                ]),
                20 => any::<char>().prop_map(String::from),
                // A line wider than 65,535 columns, more than a formatting width can pad.
                1 => Just(" ".repeat(66_000)),
            ]
        )
            .prop_map(|(at, s)| Edit::Insert(at, s)),
    ]
}

/// The nearest char boundary at or before `at`.
fn boundary(text: &str, at: f64) -> usize {
    // The fraction picks a byte; truncating to an index is intended.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a fraction of the length, in 0..=len"
    )]
    let mut i = ((text.len() as f64) * at) as usize;
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, edit: &Edit) {
    match edit {
        Edit::Delete(at, n) => {
            let start = boundary(text, *at);
            let end = text[start..]
                .char_indices()
                .nth(*n)
                .map_or(text.len(), |(i, _)| start + i);
            text.replace_range(start..end, "");
        }
        Edit::Duplicate(at, n) => {
            let start = boundary(text, *at);
            let end = text[start..]
                .char_indices()
                .nth(*n)
                .map_or(text.len(), |(i, _)| start + i);
            let copy = text[start..end].to_owned();
            text.insert_str(end, &copy);
        }
        Edit::Insert(at, s) => {
            let i = boundary(text, *at);
            text.insert_str(i, s);
        }
    }
}

/// A project: one or two files, each edited a few times (often not at all).
fn project() -> impl Strategy<Value = Vec<String>> {
    let damaged = (
        prop_oneof![file_text().boxed(), coherent_file().boxed()],
        prop_oneof![
            2 => Just(Vec::new()),
            1 => prop::collection::vec(edit(), 1..4),
        ],
    )
        .prop_map(|(mut text, edits)| {
            for e in &edits {
                apply(&mut text, e);
            }
            text
        });
    // Mostly one file; two files share one namespace, which exercises duplicates across files.
    prop_oneof![
        3 => prop::collection::vec(damaged.clone(), 1..2),
        1 => prop::collection::vec(damaged, 2..3),
    ]
}

/// Runs every stage on the project; returns only if none panicked.
fn run_pipeline(texts: &[String]) {
    let files: Vec<(String, Vec<u8>)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("f{i}.tags"), t.clone().into_bytes()))
        .collect();
    let compiled = tagc::compile_files(files, Catalog::builtin());
    let _ = compiled.diagnostics.render_human(false);
    let _ = tagc::report::Report::new("check", &compiled.diagnostics)
        .render(tagc::report::Format::Json);
    if let Some(project) = &compiled.project {
        let _ = tagc::output::manifest_json(&compiled.manifest).unwrap();
        if let Ok(verifier) = Verifier::new(compiled.artifacts(), Catalog::builtin()) {
            for test in &project.tests {
                for layer in default_layers(project, &test.request) {
                    let _ = verifier.decide(layer, &test.request);
                    let _ = tagc::reference::decide(project, layer, &test.request);
                }
            }
        }
    }
    for text in texts {
        // The formatter either formats or explains why not; both must render.
        match tagc::syntax::format(text) {
            Ok(formatted) => {
                let _ = tagc::syntax::format(&formatted);
            }
            Err(e) => {
                let mut d = tagc::diagnostics::Diagnostics::new();
                d.push(e);
                let _ = d.render_human(false);
            }
        }
    }
}

#[test]
fn test_fuzz_pipeline_never_panics() {
    let cases =
        u32::try_from(env_number("TAGC_FUZZ_CASES", u64::from(DEFAULT_CASES))).unwrap_or(u32::MAX);
    let seed = env_number("TAGC_FUZZ_SEED", DEFAULT_SEED);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        // The seed reproduces a failure; no file is written into the repository.
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    // Progress on stderr for long runs (`--nocapture`), which can be stopped at any time.
    let done = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&project(), |texts| {
        run_pipeline(&texts);
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_multiple_of(1000) {
            eprintln!("fuzz: {n} cases without a panic (seed {seed})");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("the pipeline panicked (seed {seed}, {cases} cases): {e}");
    }
}

/// The generator is not trivial: a good share of its projects compile, and a good share do not.
#[test]
fn test_fuzz_generator_reaches_both_valid_and_invalid_projects() {
    let config = Config {
        rng_seed: RngSeed::Fixed(DEFAULT_SEED),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = project();
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..200 {
        let texts = strategy
            .new_tree(&mut runner)
            .expect("the generator produces a value")
            .current();
        let files = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("f{i}.tags"), t.clone().into_bytes()))
            .collect();
        let compiled = tagc::compile_files(files, Catalog::builtin());
        if compiled.ok() && !compiled.artifacts().is_empty() {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    assert!(ok >= 20, "only {ok} of 200 generated projects compiled");
    assert!(
        failed >= 10,
        "only {failed} of 200 generated projects failed"
    );
}
