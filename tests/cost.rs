//! `tagc build --emit cost`: the cost allocation keys and the CUR 2.0 queries.
//!
//! Every emitted query is run on DuckDB over a synthetic CUR 2.0 table that the test generates
//! with rows of known tags and costs. The answers are computed here, row by row, from the rules
//! as the test states them (not by running SQL), and compared with DuckDB's to the cent.
//! DuckDB runs from its Python package, pinned by `.ci/install-duckdb` in `.venv/` (or given by
//! `TAGC_DUCKDB_PYTHON`); without it the test fails, naming the script.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{build_ok as build, root, rules_project as project, tagc};

// ---------------------------------------------------------------------------------------------
// DuckDB

/// The outcome of installing DuckDB, once per test run.
static DUCKDB_INSTALL: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();

/// A Python that imports the pinned DuckDB: `TAGC_DUCKDB_PYTHON`, then `.venv/bin/python` of the
/// project once `.ci/install-duckdb` has run.
fn duckdb_python() -> PathBuf {
    crate::common::venv_program(
        "TAGC_DUCKDB_PYTHON",
        "install-duckdb",
        "python",
        &DUCKDB_INSTALL,
    )
}

/// Creates the table from the setup script (argument 1), runs the query (argument 2) and
/// prints its rows as JSON objects. Decimals are printed as whole cents, and refused if they
/// are not whole cents: the sums must be exact.
const RUNNER: &str = r#"
import datetime, decimal, json, sys
import duckdb
con = duckdb.connect()
con.execute(open(sys.argv[1]).read())
cur = con.execute(open(sys.argv[2]).read())
names = [d[0] for d in cur.description]
def plain(v):
    if isinstance(v, decimal.Decimal):
        cents = v.scaleb(2)
        if cents != cents.to_integral_value():
            raise SystemExit("not whole cents: %s" % v)
        return int(cents)
    if isinstance(v, (datetime.datetime, datetime.date)):
        return v.isoformat()
    return v
print(json.dumps([dict(zip(names, map(plain, row))) for row in cur.fetchall()]))
"#;

/// Run `query` on the table `setup` creates; the rows.
fn duckdb(dir: &Path, setup: &str, query: &Path) -> Vec<serde_json::Map<String, Value>> {
    let runner = dir.join("run.py");
    let setup_path = dir.join("setup.sql");
    std::fs::write(&runner, RUNNER).unwrap();
    std::fs::write(&setup_path, setup).unwrap();
    let out = Command::new(duckdb_python())
        .arg(&runner)
        .arg(&setup_path)
        .arg(query)
        .output()
        .unwrap_or_else(|e| panic!("cannot run DuckDB's Python: {e}"));
    assert!(
        out.status.success(),
        "DuckDB failed on {}:\n{}",
        query.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|r| match r {
            Value::Object(m) => m,
            other => panic!("not a row: {other}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The rules, as the test states them, and the synthetic CUR 2.0 table

/// One declared key as the test knows it: the rules it is under, and values to tag with.
struct KeySpec {
    key: &'static str,
    /// The same key in another casing.
    other_casing: &'static str,
    exact_case: bool,
    required: bool,
    valid: &'static [&'static str],
    invalid: &'static [&'static str],
    allowed: fn(&str) -> bool,
}

/// The seed example, `examples/sagemaker-cost-allocation.tags`.
fn seed_keys() -> Vec<KeySpec> {
    vec![
        KeySpec {
            key: "environment",
            other_casing: "Environment",
            exact_case: true,
            required: true,
            valid: &["dev", "production", "staging"],
            invalid: &["prod", "Dev"],
            allowed: |v| ["dev", "staging", "production"].contains(&v),
        },
        KeySpec {
            key: "CostCenter",
            other_casing: "costcenter",
            exact_case: false,
            required: true,
            valid: &["CC-1042", "CC-7"],
            invalid: &["cc-9", "Finance"],
            allowed: |v| v.starts_with("CC-"),
        },
    ]
}

/// The shipped rule set, `policies/`.
fn policies_keys() -> Vec<KeySpec> {
    vec![
        KeySpec {
            key: "environment",
            other_casing: "ENVIRONMENT",
            exact_case: true,
            required: true,
            valid: &["dev", "staging"],
            invalid: &["qa"],
            allowed: |v| ["dev", "staging", "production"].contains(&v),
        },
        KeySpec {
            key: "CostCenter",
            other_casing: "Costcenter",
            exact_case: true,
            required: true,
            valid: &["CC-1", "CC-2"],
            invalid: &["1042"],
            allowed: |v| v.starts_with("CC-"),
        },
        KeySpec {
            key: "project",
            other_casing: "Project",
            exact_case: false,
            required: true,
            valid: &["churn", "search"],
            invalid: &[],
            allowed: |_| true,
        },
        KeySpec {
            key: "owner",
            other_casing: "Owner",
            exact_case: false,
            required: true,
            valid: &["ml@example.com"],
            invalid: &["ml@example.org"],
            allowed: |v| v.ends_with("@example.com"),
        },
        KeySpec {
            key: "data-classification",
            other_casing: "Data-Classification",
            exact_case: false,
            required: true,
            valid: &["internal", "public"],
            invalid: &["secret"],
            allowed: |v| ["public", "internal", "confidential", "restricted"].contains(&v),
        },
    ]
}

/// The line item types that are resource usage, stated here from the CUR 2.0 table dictionary.
const USAGE_TYPES: [&str; 3] = ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"];
const OTHER_TYPES: [&str; 5] = ["Tax", "Credit", "Refund", "Fee", "RIFee"];
const PERIODS: [&str; 2] = ["2026-01-01T00:00:00", "2026-02-01T00:00:00"];
const ACCOUNTS: [&str; 2] = ["111122223333", "444455556666"];
const PRODUCTS: [&str; 3] = ["AmazonSageMaker", "AmazonEC2", "AmazonS3"];

/// A line item of the synthetic table.
struct Row {
    period: &'static str,
    account: &'static str,
    product: &'static str,
    line_type: &'static str,
    cents: i64,
    /// The resource's tags as tagged (key in its casing, value); `None`: the map is NULL.
    tags: Option<Vec<(String, String)>>,
}

/// A deterministic pseudo-random sequence (64-bit LCG, Knuth's constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % n as u64).unwrap()
    }
}

/// `n` rows covering, for every key, each way a tag can be: declared casing or another, value
/// allowed or not, or absent; a NULL map; and the charges that are not usage.
fn rows(keys: &[KeySpec], n: usize) -> Vec<Row> {
    let mut rng = Lcg(42);
    (0..n)
        .map(|i| {
            let usage = i % 5 != 4;
            let line_type = if usage {
                USAGE_TYPES[rng.next(USAGE_TYPES.len())]
            } else {
                OTHER_TYPES[rng.next(OTHER_TYPES.len())]
            };
            let mut cents = i64::try_from(rng.next(100_000)).unwrap() + 1;
            if matches!(line_type, "Credit" | "Refund") {
                cents = -cents;
            }
            let tags = (i % 13 != 0).then(|| {
                let mut tags = Vec::new();
                for k in keys {
                    // 0–3: declared casing, 4–5: other casing, 6: absent; valid or not.
                    let how = rng.next(7);
                    let bad = !k.invalid.is_empty() && rng.next(4) == 0;
                    let value = if bad {
                        k.invalid[rng.next(k.invalid.len())]
                    } else {
                        k.valid[rng.next(k.valid.len())]
                    };
                    match how {
                        0..=3 => tags.push((k.key.to_owned(), value.to_owned())),
                        4 | 5 => tags.push((k.other_casing.to_owned(), value.to_owned())),
                        _ => {}
                    }
                }
                if rng.next(3) == 0 {
                    tags.push(("team".to_owned(), "ml".to_owned()));
                }
                tags
            });
            Row {
                period: PERIODS[rng.next(PERIODS.len())],
                account: ACCOUNTS[rng.next(ACCOUNTS.len())],
                product: PRODUCTS[rng.next(PRODUCTS.len())],
                line_type,
                cents,
                tags,
            }
        })
        .collect()
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `resource_tags`' key of a tag key, as the test understands the export: `user_`, lowercase,
/// anything but a letter or digit as `_`.
fn resource_tags_key(key: &str) -> String {
    let k: String = key
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("user_{k}")
}

/// Cents as a decimal literal.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// The DuckDB script that creates `cost_and_usage_report` with these rows. The `tags` map holds
/// each tag as `resourceTags/<key>` and, in some rows, an account tag of the same name (which
/// is not the resource's); `resource_tags` holds `user_<normalized key>`.
fn setup(rows: &[Row]) -> String {
    let mut s = String::from(
        "CREATE TABLE cost_and_usage_report (\n  bill_billing_period_start_date TIMESTAMP,\n  \
         line_item_usage_account_id VARCHAR,\n  line_item_product_code VARCHAR,\n  \
         line_item_line_item_type VARCHAR,\n  line_item_unblended_cost DOUBLE,\n  \
         resource_tags MAP(VARCHAR, VARCHAR),\n  tags MAP(VARCHAR, VARCHAR)\n);\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let map = |entries: Vec<(String, String)>| {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", sql_string(k), sql_string(v)))
                .collect();
            format!("MAP {{{}}}", inner.join(", "))
        };
        let (resource_tags, tags) = match &r.tags {
            None => ("NULL".to_owned(), "NULL".to_owned()),
            Some(t) => {
                let mut tags: Vec<(String, String)> = t
                    .iter()
                    .map(|(k, v)| (format!("resourceTags/{k}"), v.clone()))
                    .collect();
                if i % 4 == 0 {
                    tags.push(("accountTag/environment".into(), "production".into()));
                }
                let resource: Vec<(String, String)> = t
                    .iter()
                    .map(|(k, v)| (resource_tags_key(k), v.clone()))
                    .collect();
                (map(resource), map(tags))
            }
        };
        let _ = writeln!(
            s,
            "INSERT INTO cost_and_usage_report VALUES (TIMESTAMP {}, {}, {}, {}, {}, {resource_tags}, {tags});",
            sql_string(&r.period.replace('T', " ")),
            sql_string(r.account),
            sql_string(r.product),
            sql_string(r.line_type),
            money(r.cents),
        );
    }
    s
}

/// What the rules say about one key on one row: present in any casing, present in the
/// declared casing, and the value they read.
struct Judged {
    any: bool,
    exact: bool,
    value: Option<String>,
}

fn judge(row_tags: &[(String, String)], k: &KeySpec, keeps_casing: bool) -> Judged {
    let exact = row_tags.iter().find(|(key, _)| key == k.key);
    let any = row_tags
        .iter()
        .find(|(key, _)| key.to_lowercase() == k.key.to_lowercase());
    let value = if !keeps_casing || !k.exact_case {
        exact.or(any)
    } else {
        exact
    };
    Judged {
        any: any.is_some(),
        exact: exact.is_some() || !keeps_casing,
        value: value.map(|(_, v)| v.clone()),
    }
}

/// Per (period, account, product): usage, unattributed, missing key, wrong casing, value not
/// allowed, in cents.
fn expected_unattributed(
    rows: &[Row],
    keys: &[KeySpec],
    keeps_casing: bool,
) -> BTreeMap<(String, String, String), [i64; 5]> {
    let mut out: BTreeMap<(String, String, String), [i64; 5]> = BTreeMap::new();
    for r in rows.iter().filter(|r| USAGE_TYPES.contains(&r.line_type)) {
        let tags = r.tags.clone().unwrap_or_default();
        let (mut missing, mut casing, mut bad) = (false, false, false);
        for k in keys {
            let j = judge(&tags, k, keeps_casing);
            missing |= k.required && !j.any;
            casing |= keeps_casing && k.exact_case && j.any && !j.exact;
            bad |= j.value.as_deref().is_some_and(|v| !(k.allowed)(v));
        }
        let e = out
            .entry((r.period.into(), r.account.into(), r.product.into()))
            .or_default();
        e[0] += r.cents;
        for (i, hit) in [missing || casing || bad, missing, casing, bad]
            .into_iter()
            .enumerate()
        {
            if hit {
                e[i + 1] += r.cents;
            }
        }
    }
    out
}

/// Per (period, account, value of `k`): usage in cents.
fn expected_by_value(
    rows: &[Row],
    k: &KeySpec,
    keeps_casing: bool,
) -> BTreeMap<(String, String, Option<String>), i64> {
    let mut out = BTreeMap::new();
    for r in rows.iter().filter(|r| USAGE_TYPES.contains(&r.line_type)) {
        let tags = r.tags.clone().unwrap_or_default();
        let j = judge(&tags, k, keeps_casing);
        *out.entry((r.period.into(), r.account.into(), j.value))
            .or_default() += r.cents;
    }
    out
}

fn text(row: &serde_json::Map<String, Value>, column: &str) -> String {
    row[column]
        .as_str()
        .unwrap_or_else(|| panic!("{column} is not text: {row:?}"))
        .to_owned()
}

fn cents(row: &serde_json::Map<String, Value>, column: &str) -> i64 {
    row[column]
        .as_i64()
        .unwrap_or_else(|| panic!("{column} is not cents: {row:?}"))
}

/// Build `paths` with `--emit cost` into `dir/out`, run every query on the synthetic table and
/// compare each answer with the one computed here.
fn check_queries(paths: &[PathBuf], keys: &[KeySpec]) {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["build".into()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.extend(["--out", "out", "--emit", "cost"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = tagc(dir.path(), &args);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let out = dir.path().join("out/cost");
    let activated: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("cost-allocation-tags.json")).unwrap(),
    )
    .unwrap();
    let declared: Vec<Value> = keys
        .iter()
        .map(|k| serde_json::json!({"TagKey": k.key, "Status": "Active"}))
        .collect();
    assert_eq!(activated, Value::Array(declared));

    let rows = rows(keys, 600);
    let setup = setup(&rows);
    for (sub, keeps_casing) in [("tags", true), ("resource-tags", false)] {
        let got = duckdb(dir.path(), &setup, &out.join(sub).join("unattributed.sql"));
        let want = expected_unattributed(&rows, keys, keeps_casing);
        let mut got_map = BTreeMap::new();
        for r in &got {
            let casing = if keeps_casing {
                cents(r, "wrong_casing_cost")
            } else {
                assert!(!r.contains_key("wrong_casing_cost"), "{r:?}");
                0
            };
            got_map.insert(
                (
                    text(r, "billing_period"),
                    text(r, "account_id"),
                    text(r, "product_code"),
                ),
                [
                    cents(r, "usage_cost"),
                    cents(r, "unattributed_cost"),
                    cents(r, "missing_key_cost"),
                    casing,
                    cents(r, "value_not_allowed_cost"),
                ],
            );
        }
        assert_eq!(got.len(), got_map.len(), "a group appears twice");
        assert_eq!(got_map, want, "{sub}/unattributed.sql");
        // The data exercise every reason, or the comparison shows little.
        let totals = want.values().fold([0; 5], |mut acc, v| {
            for i in 0..5 {
                acc[i] += v[i];
            }
            acc
        });
        assert!(
            totals[1] > 0 && totals[2] > 0 && totals[4] > 0,
            "{totals:?}"
        );
        assert_eq!(totals[3] > 0, keeps_casing, "{totals:?}");
        assert!(totals[1] < totals[0], "{totals:?}");

        for k in keys {
            let name: String = k
                .key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            let file = out.join(sub).join(format!("by-{name}.sql"));
            let got = duckdb(dir.path(), &setup, &file);
            let got_map: BTreeMap<(String, String, Option<String>), i64> = got
                .iter()
                .map(|r| {
                    (
                        (
                            text(r, "billing_period"),
                            text(r, "account_id"),
                            r["tag_value"].as_str().map(str::to_owned),
                        ),
                        cents(r, "usage_cost"),
                    )
                })
                .collect();
            assert_eq!(got.len(), got_map.len(), "a group appears twice");
            assert_eq!(
                got_map,
                expected_by_value(&rows, k, keeps_casing),
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn test_cost_queries_of_the_seed_example_return_the_known_answers_on_duckdb() {
    check_queries(
        &[root().join("examples/sagemaker-cost-allocation.tags")],
        &seed_keys(),
    );
}

#[test]
fn test_cost_queries_of_the_shipped_policies_return_the_known_answers_on_duckdb() {
    check_queries(&[root().join("policies")], &policies_keys());
}

// ---------------------------------------------------------------------------------------------
// Output directory, manifest, refusal

#[test]
fn test_cost_files_are_listed_in_the_manifest_and_checked_by_build_check() {
    let dir = project(
        "tag owner { values \"team-*\" }\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n",
    );
    build(dir.path(), &["--emit", "cost"]);
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["cost"],
        serde_json::json!([
            "cost/cost-allocation-tags.json",
            "cost/tags/unattributed.sql",
            "cost/tags/by-owner.sql",
            "cost/resource-tags/unattributed.sql",
            "cost/resource-tags/by-owner.sql"
        ])
    );
    assert!(manifest.get("iac").is_none());
    let fresh = tagc(
        dir.path(),
        &["build", "--out", "out", "--check", "--emit", "cost"],
    );
    assert_eq!(fresh.code, 0, "{}", fresh.transcript());
    // The manifest made the files tagc's: a build without `--emit cost` replaces them.
    build(dir.path(), &[]);
    assert!(!dir.path().join("out/cost").exists());
}

#[test]
fn test_emit_cost_without_cost_keys_is_refused_and_writes_nothing() {
    let dir = project("tag owner\npolicy p {\n  protect owner on sqs\n  attach to root\n}\n");
    let run = tagc(dir.path(), &["build", "--out", "out", "--emit", "cost"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stderr.contains("tagc::cost::no-keys"), "{}", run.stderr);
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn test_cost_files_of_the_seed_example_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let seed = root().join("examples/sagemaker-cost-allocation.tags");
    let seed = seed.display().to_string();
    build(dir.path(), &[&seed, "--emit", "cost"]);
    let cost = dir.path().join("out/cost");
    for file in [
        "cost-allocation-tags.json",
        "tags/unattributed.sql",
        "tags/by-environment.sql",
        "resource-tags/unattributed.sql",
    ] {
        let text = std::fs::read_to_string(cost.join(file)).unwrap();
        insta::assert_snapshot!(format!("seed_{}", file.replace('/', "_")), text);
    }
}

// ---------------------------------------------------------------------------------------------
// `tagc cost plan` and `tagc cost activate`

#[cfg(feature = "aws")]
#[test]
fn test_cost_plan_reports_an_unreachable_cost_explorer_as_a_coded_error() {
    let dir =
        project("tag owner\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n");
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_MAX_ATTEMPTS", "1".to_owned()),
    ];
    let run = crate::common::tagc_env(
        dir.path(),
        &["cost", "plan", "--endpoint-url", "http://127.0.0.1:9"],
        &env,
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stderr.contains("tagc::cost::api"), "{}", run.stderr);
    assert!(
        run.stderr.contains("ListCostAllocationTags"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Dispatch"), "{}", run.stderr);
}

#[cfg(feature = "aws")]
#[test]
fn test_cost_activate_without_cost_keys_is_refused_before_connecting() {
    let dir = project("tag owner\npolicy p {\n  protect owner on sqs\n  attach to root\n}\n");
    let run = tagc(
        dir.path(),
        &[
            "cost",
            "activate",
            "--yes",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stderr.contains("tagc::cost::no-keys"), "{}", run.stderr);
    assert!(!run.stderr.contains("tagc::cost::api"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Budgets

/// The arguments of `aws_budgets_budget` the provider documents
/// (<https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/budgets_budget>),
/// and those it requires.
const BUDGET_ARGUMENTS: [&str; 6] = [
    "name",
    "budget_type",
    "time_unit",
    "limit_amount",
    "limit_unit",
    "cost_filter",
];
const BUDGET_REQUIRED: [&str; 2] = ["budget_type", "time_unit"];

#[test]
fn test_budget_amount_writes_a_budget_per_allowed_value_for_the_cli_and_terraform() {
    let dir = tempfile::tempdir().unwrap();
    let seed = root().join("examples/sagemaker-cost-allocation.tags");
    let seed = seed.display().to_string();
    let run = tagc(
        dir.path(),
        &[
            "build",
            &seed,
            "--out",
            "out",
            "--budget-amount",
            "2500",
            "--emit",
            "terraform",
        ],
    );
    // Without a project name the Terraform rendering is refused; give the seed one.
    assert_eq!(run.code, 1, "{}", run.transcript());
    let rules =
        std::fs::read_to_string(&seed).unwrap() + "\norganization {\n  project \"finops\"\n}\n";
    let project_dir = project(&rules);
    build(
        project_dir.path(),
        &["--budget-amount", "2500", "--emit", "terraform"],
    );
    let out = project_dir.path().join("out");
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(p)).unwrap()).unwrap()
    };
    // `--budget-amount` implies `--emit cost`; `CC-*` names no one value and gets no budget.
    let mut names: Vec<String> = std::fs::read_dir(out.join("cost/budgets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "tagc-environment-dev.json",
            "tagc-environment-production.json",
            "tagc-environment-staging.json"
        ]
    );
    assert_eq!(
        read("cost/budgets/tagc-environment-dev.json"),
        serde_json::json!({
            "BudgetName": "tagc-environment-dev",
            "BudgetType": "COST",
            "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "2500", "Unit": "USD"},
            "CostFilters": {"TagKeyValue": ["user:environment$dev"]}
        })
    );
    let tf = read("terraform/budgets.tf.json");
    let budgets = tf["resource"]["aws_budgets_budget"].as_object().unwrap();
    assert_eq!(budgets.len(), 3);
    for (name, b) in budgets {
        let b = b.as_object().unwrap();
        for arg in b.keys() {
            assert!(BUDGET_ARGUMENTS.contains(&arg.as_str()), "{name}: {arg}");
        }
        for arg in BUDGET_REQUIRED {
            assert!(b.contains_key(arg), "{name}: {arg} missing");
        }
    }
    assert_eq!(
        budgets["tagc-environment-staging".replace('-', "_").as_str()]["cost_filter"],
        serde_json::json!([{"name": "TagKeyValue", "values": ["user:environment$staging"]}])
    );
    // The manifest makes every file tagc's.
    let manifest = read("manifest.json");
    assert!(
        manifest["iac"]
            .as_array()
            .unwrap()
            .contains(&Value::from("terraform/budgets.tf.json")),
        "{manifest}"
    );
    assert!(
        manifest["cost"]
            .as_array()
            .unwrap()
            .contains(&Value::from("cost/budgets/tagc-environment-dev.json")),
        "{manifest}"
    );
}

#[test]
fn test_a_budget_amount_that_is_not_a_dollar_amount_is_a_usage_error() {
    let dir =
        project("tag owner\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n");
    let run = tagc(dir.path(), &["build", "--budget-amount", "12.345"]);
    // 64: a usage error (docs/cli.md).
    assert_eq!(run.code, 64, "{}", run.transcript());
    assert!(
        run.stderr.contains("at most two decimals"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn test_budget_amount_with_cloudformation_writes_a_lint_clean_budgets_template() {
    let seed = std::fs::read_to_string(root().join("examples/sagemaker-cost-allocation.tags"))
        .unwrap()
        + "\norganization {\n  project \"finops\"\n}\n";
    let dir = project(&seed);
    build(
        dir.path(),
        &["--budget-amount", "250.50", "--emit", "cloudformation"],
    );
    let path = dir.path().join("out/cloudformation/budgets.json");
    let (code, report) = crate::iac::lint(&path);
    assert_eq!(code, 0, "cfn-lint found problems:\n{report}");
    let template: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let resources = template["Resources"].as_object().unwrap();
    let filters: Vec<&Value> = resources
        .values()
        .map(|r| {
            assert_eq!(r["Type"], "AWS::Budgets::Budget");
            assert_eq!(
                r["Properties"]["Budget"]["BudgetLimit"],
                serde_json::json!({"Amount": 250.5, "Unit": "USD"})
            );
            &r["Properties"]["Budget"]["CostFilters"]["TagKeyValue"][0]
        })
        .collect();
    assert_eq!(
        filters,
        [
            "user:environment$dev",
            "user:environment$staging",
            "user:environment$production"
        ]
    );
    assert!(
        resources.contains_key("TagcEnvironmentDev"),
        "{resources:?}"
    );
}
