//! The flags every compiling command shares, run through the real binary: allow comments and
//! `--deny-warnings`, `--color`, standard input (`-`), and the coded errors of the command
//! line and of `build --check`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{Run, tagc, tagc_env};

/// A project with one warning (`no-targets` on line 2), acknowledged when `allow` is set.
fn warned_dir(allow: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    let comment = if allow {
        " # tagc: allow no-targets -- attached by hand"
    } else {
        ""
    };
    std::fs::write(
        dir.path().join("policies/rules.tags"),
        format!("tag owner\npolicy p {{{comment}\n  require owner on sqs:CreateQueue\n}}\n"),
    )
    .unwrap();
    dir
}

/// Run `tagc` with `input` on its standard input (and no colour).
fn tagc_stdin(dir: &Path, args: &[&str], input: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tagc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.transcript()))
}

#[test]
fn test_an_acknowledged_warning_is_hidden_and_counted_as_suppressed() {
    let dir = warned_dir(true);
    let run = tagc(dir.path(), &["check"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    0 errors, 0 warnings, 1 warning suppressed
    ok: 1 tags, 1 policies, 0 tests
    [exit 0]
    ");
    let report = json(&tagc(dir.path(), &["check", "--format", "json"]));
    assert_eq!(report["summary"]["warnings"], 0, "{report}");
    assert_eq!(report["summary"]["suppressed"], 1, "{report}");
    let entry = &report["diagnostics"][0];
    assert_eq!(entry["code"], "tagc::check::no-targets", "{report}");
    assert_eq!(entry["suppressed"], "attached by hand", "{report}");
}

#[test]
fn test_an_unacknowledged_warning_is_not_suppressed_in_json() {
    let dir = warned_dir(false);
    let report = json(&tagc(dir.path(), &["check", "--format", "json"]));
    assert_eq!(report["summary"]["warnings"], 1, "{report}");
    assert_eq!(report["summary"]["suppressed"], 0, "{report}");
    assert!(report["diagnostics"][0]["suppressed"].is_null(), "{report}");
}

#[test]
fn test_deny_warnings_fails_check_and_build_writes_nothing() {
    let dir = warned_dir(false);
    assert_eq!(tagc(dir.path(), &["check"]).code, 0);
    let run = tagc(dir.path(), &["check", "--deny-warnings"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::cli::denied-warnings")
            && run.stderr.ends_with("1 error, 1 warning\n"),
        "{}",
        run.transcript()
    );
    let run = tagc(dir.path(), &["build", "--deny-warnings", "--out", "out"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(!dir.path().join("out").exists());
    let run = tagc(dir.path(), &["test", "--deny-warnings", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let report = json(&run);
    assert_eq!(report["summary"]["errors"], 1, "{report}");
    assert_eq!(report["summary"]["warnings"], 1, "{report}");
}

#[test]
fn test_deny_warnings_ignores_acknowledged_warnings() {
    let dir = warned_dir(true);
    let run = tagc(dir.path(), &["build", "--deny-warnings", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(dir.path().join("out/manifest.json").exists());
}

/// Whether a run printed an ANSI escape sequence.
fn coloured(run: &Run) -> bool {
    run.stderr.contains('\u{1b}')
}

#[test]
fn test_color_flag_and_environment_decide_ansi_codes_without_a_terminal() {
    let dir = warned_dir(false);
    let env = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    };
    let no_color_empty = env(&[("NO_COLOR", "")]);
    let run = |args: &[&str], vars: &[(&'static str, String)]| {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        tagc_env(dir.path(), &all, vars)
    };
    // No terminal: no colour by default.
    assert!(!coloured(&run(&[], &no_color_empty)));
    assert!(
        coloured(&run(&["--color", "always"], &[])),
        "NO_COLOR=1 is set"
    );
    assert!(!coloured(&run(
        &["--color", "never"],
        &env(&[("FORCE_COLOR", "1")])
    )));
    assert!(coloured(&run(
        &[],
        &env(&[("NO_COLOR", ""), ("FORCE_COLOR", "1")])
    )));
    assert!(
        !coloured(&run(&[], &env(&[("FORCE_COLOR", "1")]))),
        "NO_COLOR=1 wins"
    );
    assert!(!coloured(&run(
        &[],
        &env(&[("NO_COLOR", ""), ("FORCE_COLOR", "0")])
    )));
    // The flag is global: it may come before the command.
    let run = tagc(dir.path(), &["--color", "always", "check"]);
    assert!(coloured(&run), "{}", run.transcript());
}

#[test]
fn test_check_reads_one_file_from_stdin_named_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let text = "tag owner\npolicy p {\n  require nobody on sqs:CreateQueue\n  attach to root\n}\n";
    let run = tagc_stdin(dir.path(), &["check", "-"], text);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("[<stdin>:3:11]"),
        "{}",
        run.transcript()
    );
    let run = tagc_stdin(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "policies/a.tags",
            "--format",
            "json",
            "-",
        ],
        text,
    );
    let report = json(&run);
    assert_eq!(
        report["diagnostics"][0]["location"]["file"], "policies/a.tags",
        "{report}"
    );
    let run = tagc_stdin(dir.path(), &["check", "-"], "tag owner\n");
    assert_eq!(run.code, 0, "{}", run.transcript());
}

#[test]
fn test_stdin_with_other_paths_is_a_coded_usage_error() {
    let dir = warned_dir(false);
    let run = tagc_stdin(dir.path(), &["check", "-", "policies"], "tag owner\n");
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    tagc::cli::stdin-with-paths

      × `-` (standard input) cannot be given with other paths
      help: `-` reads one file, which is then the whole project: give `-` alone, or only paths
    1 error, 0 warnings
    [exit 64]
    ");
    let run = tagc_stdin(dir.path(), &["fmt", "policies", "-"], "tag owner\n");
    assert_eq!(run.code, 64, "{}", run.transcript());
    assert!(run.stderr.contains("tagc::cli::stdin-with-paths"));
    // A name for standard input without `-` names nothing.
    for command in ["check", "fmt"] {
        let run = tagc(
            dir.path(),
            &[command, "--stdin-filename", "a.tags", "policies"],
        );
        assert_eq!(run.code, 64, "{}", run.transcript());
        assert!(
            run.stderr
                .contains("tagc::cli::stdin-filename-without-stdin"),
            "{}",
            run.transcript()
        );
    }
}

#[test]
fn test_fmt_formats_stdin_to_stdout_and_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = tagc_stdin(dir.path(), &["fmt", "-"], "tag   owner{ }\n");
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    tag owner
    ----- stderr -----
    [exit 0]
    ");
    let run = tagc_stdin(
        dir.path(),
        &["fmt", "--check", "--stdin-filename", "a.tags", "-"],
        "tag   owner\n",
    );
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    --- a.tags
    +++ a.tags (formatted)
    @@ -1 +1 @@
    -tag   owner
    +tag owner
    ----- stderr -----
    would reformat: a.tags
    [exit 1]
    ");
    let run = tagc_stdin(dir.path(), &["fmt", "--check", "-"], "tag owner\n");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, ""),
        "{}",
        run.transcript()
    );
    // Text that does not parse: its errors, and nothing on stdout for an editor to paste.
    let run = tagc_stdin(dir.path(), &["fmt", "-"], "tag {\n");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (1, ""),
        "{}",
        run.transcript()
    );
    assert!(run.stderr.contains("<stdin>:1:"), "{}", run.transcript());
}

#[test]
fn test_a_tag_flag_without_equals_is_a_coded_error_in_the_chosen_format() {
    let dir = warned_dir(false);
    let args = ["eval", "--action", "sqs:CreateQueue", "--tag", "owner"];
    let run = tagc(dir.path(), &args);
    assert_eq!(run.code, 64, "{}", run.transcript());
    assert!(
        run.stderr.contains("tagc::cli::malformed-tag"),
        "{}",
        run.transcript()
    );
    let mut with_json = args.to_vec();
    with_json.extend(["--format", "json"]);
    let run = tagc(dir.path(), &with_json);
    assert_eq!(run.code, 64, "{}", run.transcript());
    let report = json(&run);
    assert_eq!(report["diagnostics"][0]["code"], "tagc::cli::malformed-tag");
    // A value may hold `=` and may be empty.
    let run = tagc(
        dir.path(),
        &[
            "eval",
            "--action",
            "sqs:CreateQueue",
            "--tag",
            "owner=a=b",
            "--tag",
            "x=",
        ],
    );
    assert!(
        !run.stderr.contains("malformed-tag"),
        "{}",
        run.transcript()
    );
}

#[test]
fn test_build_check_findings_are_coded_diagnostics_in_json() {
    let dir = warned_dir(true);
    assert_eq!(tagc(dir.path(), &["build", "--out", "out"]).code, 0);
    let out = dir.path().join("out");
    let first = std::fs::read_dir(out.join("p"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&first, "{}").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let run = tagc(
        dir.path(),
        &["build", "--check", "--out", "out", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    let report = json(&run);
    // The report holds the compile's acknowledged warning too; the findings are the errors.
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["tagc::build::stale", "tagc::build::foreign"],
        "{report}"
    );
    assert_eq!(report["summary"]["errors"], 2, "{report}");
    let run = tagc(dir.path(), &["build", "--check", "--out", "out"]);
    assert!(
        run.stderr
            .contains("help: run `tagc build --out out` and commit the result")
            && run.stderr.ends_with("2 errors, 0 warnings\n"),
        "{}",
        run.transcript()
    );
}

#[test]
fn test_an_unwritable_out_is_a_coded_build_error_in_json() {
    let dir = warned_dir(true);
    std::fs::write(dir.path().join("file"), "").unwrap();
    let run = tagc(
        dir.path(),
        &["build", "--out", "file/out", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    let report = json(&run);
    let code = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .and_then(|d| d["code"].as_str())
        .unwrap_or_default();
    assert!(code.starts_with("tagc::build::"), "{report}");
}
