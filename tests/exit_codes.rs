//! Every exit code in the table of `docs/cli.md` is what the binary returns: one case per
//! command and documented code, each run on a temporary project, and no case missing.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{Run, root, tagc, tagc_env};

const RULES: &str = "organization {\n  project \"exit-codes\"\n}\n\ntag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n";

/// The `(command, code)` pairs of the per-command table in `docs/cli.md` whose cell is not `—`.
fn documented() -> BTreeSet<(String, i32)> {
    let docs = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    let table = docs
        .split("| Command | 0 | 1 | 2 | 3 | 64 |")
        .nth(1)
        .expect("docs/cli.md has the per-command exit code table");
    let mut pairs = BTreeSet::new();
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let command = cells[1].trim_matches('`').to_owned();
        for (code, cell) in [0, 1, 2, 3, 64].into_iter().zip(&cells[2..7]) {
            if *cell != "—" {
                pairs.insert((command.clone(), code));
            }
        }
    }
    pairs
}

/// A project with one policy and, in `tests.tags`, the given text.
fn project(tests: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/rules.tags"), RULES).unwrap();
    std::fs::write(dir.path().join("policies/tests.tags"), tests).unwrap();
    dir
}

struct Cases {
    covered: BTreeSet<(String, i32)>,
}

impl Cases {
    /// Run `tagc args` in `dir` and check that it exits `code`; record the row it covers.
    fn run(&mut self, command: &str, code: i32, dir: &Path, args: &[&str]) -> Run {
        self.run_env(command, code, dir, args, &[])
    }

    fn run_env(
        &mut self,
        command: &str,
        code: i32,
        dir: &Path,
        args: &[&str],
        env: &[(&str, String)],
    ) -> Run {
        let run = tagc_env(dir, args, env);
        assert_eq!(
            run.code,
            code,
            "tagc {} should exit {code}:\n{}",
            args.join(" "),
            run.transcript()
        );
        self.covered.insert((command.to_owned(), code));
        run
    }
}

#[test]
fn test_every_documented_exit_code_is_what_the_binary_returns() {
    let ok = project(
        "test \"a queue with an owner\" {\n  request sqs:CreateQueue tags owner=\"a\"\n  expect allow\n}\n",
    );
    let failing = project("test \"wrong\" {\n  request sqs:CreateQueue\n  expect allow\n}\n");
    let broken = project("policy q {\n  require ownr on sqs:CreateQueue\n  attach to root\n}\n");
    let (ok, failing, broken) = (ok.path(), failing.path(), broken.path());
    let mut c = Cases {
        covered: BTreeSet::new(),
    };

    c.run("check", 0, ok, &["check"]);
    c.run("check", 1, broken, &["check"]);
    c.run("check", 64, ok, &["check", "--formt", "json"]);

    c.run("build", 0, ok, &["build"]);
    c.run("build", 0, ok, &["build", "--check"]);
    c.run("build", 1, broken, &["build"]);
    c.run("build", 1, ok, &["build", "--out", "policies"]);
    std::fs::write(ok.join("out/p/scp.json"), "{}\n").unwrap();
    c.run("build", 1, ok, &["build", "--check"]);
    c.run("build", 64, ok, &["build", "--out"]);

    c.run("test", 0, ok, &["test"]);
    c.run("test", 1, failing, &["test"]);
    c.run("test", 64, ok, &["test", "--layer", "scp"]);

    c.run("eval", 0, ok, &["eval", "--action", "sqs:CreateQueue"]);
    c.run("eval", 1, ok, &["eval", "--action", "sqs:CreateQueu"]);
    c.run("eval", 64, ok, &["eval"]);

    c.run("fmt", 0, ok, &["fmt"]);
    c.run("fmt", 0, ok, &["fmt", "--check"]);
    std::fs::write(ok.join("policies/ugly.tags"), "tag   team\n").unwrap();
    c.run("fmt", 1, ok, &["fmt", "--check"]);
    std::fs::write(ok.join("policies/bad.tags"), "tag {\n").unwrap();
    c.run("fmt", 1, ok, &["fmt", "policies/bad.tags"]);
    c.run("fmt", 64, ok, &["fmt", "--chek"]);

    // `audit` from files: the policy requires `owner` on queues.
    let queues = |tags: &str| {
        format!(
            "{{\"ResourceTagMappingList\": [{{\"ResourceARN\": \"arn:aws:sqs:us-east-1:111122223333:q\", \"Tags\": [{tags}]}}]}}"
        )
    };
    std::fs::write(
        ok.join("compliant.json"),
        queues("{\"Key\": \"owner\", \"Value\": \"a\"}"),
    )
    .unwrap();
    std::fs::write(ok.join("noncompliant.json"), queues("")).unwrap();
    c.run(
        "audit",
        0,
        ok,
        &["audit", "policies/rules.tags", "--file", "compliant.json"],
    );
    c.run(
        "audit",
        3,
        ok,
        &[
            "audit",
            "policies/rules.tags",
            "--file",
            "noncompliant.json",
        ],
    );
    c.run(
        "audit",
        1,
        ok,
        &["audit", "policies/rules.tags", "--file", "missing.json"],
    );
    c.run(
        "audit",
        64,
        ok,
        &["audit", "policies/rules.tags", "--format", "xml"],
    );

    c.run("catalog", 0, ok, &["catalog", "info"]);
    c.run(
        "catalog",
        1,
        ok,
        &["catalog", "info", "--catalog", "missing"],
    );
    c.run("catalog", 64, ok, &["catalog", "inf"]);

    // `--help` and `--version` are not usage errors.
    assert_eq!(tagc(ok, &["--help"]).code, 0);
    assert_eq!(tagc(ok, &["build", "--help"]).code, 0);
    assert_eq!(tagc(ok, &["--version"]).code, 0);

    #[cfg(feature = "aws")]
    plan_and_apply(&mut c);
    // Without the `aws` feature, `plan` and `apply` do not exist.
    let documented: BTreeSet<_> = documented()
        .into_iter()
        .filter(|(command, _)| cfg!(feature = "aws") || (command != "plan" && command != "apply"))
        .collect();
    assert_eq!(c.covered, documented);
}

/// `plan` and `apply` against a moto server: changes (2), apply (0), nothing left (0), and the
/// errors (1) and usage errors (64) of each.
#[cfg(feature = "aws")]
fn plan_and_apply(c: &mut Cases) {
    let moto = crate::apply::moto::Moto::start();
    crate::apply::moto::Moto::create_organization(&moto.api(), &[]);
    let env = moto.env();
    let dir = project("");
    let dir = dir.path();
    c.run_env("plan", 64, dir, &["plan", "--endpoit-url", "x"], &env);
    c.run_env("plan", 2, dir, &["plan"], &env);
    c.run_env("apply", 1, dir, &["apply"], &env);
    c.run_env("apply", 64, dir, &["apply", "--yess"], &env);
    c.run_env("apply", 0, dir, &["apply", "--yes"], &env);
    c.run_env("plan", 0, dir, &["plan"], &env);
    let unreachable = [("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_owned())];
    let env: Vec<_> = env
        .iter()
        .filter(|(k, _)| *k != "AWS_ENDPOINT_URL")
        .cloned()
        .chain(unreachable)
        .collect();
    c.run_env("plan", 1, dir, &["plan"], &env);
}
