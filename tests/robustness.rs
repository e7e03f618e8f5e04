//! No input makes tagc panic: random bytes, truncated files, deep nesting, huge files and
//! invalid UTF-8 each end in diagnostics.

use std::fmt::Write as _;

use proptest::prelude::*;

use crate::common::compile_text;
use tagc::catalog::Catalog;

/// Compile raw bytes the way `tagc` reads a file.
fn compile_bytes(bytes: Vec<u8>) -> tagc::Compiled {
    tagc::compile_files(vec![("fuzz.tags".to_owned(), bytes)], Catalog::builtin())
}

/// Every diagnostic renders, and each error carries a code and a message.
fn assert_diagnosed(c: &tagc::Compiled) -> Result<(), TestCaseError> {
    let _ = c.diagnostics.render_human(false);
    let json: serde_json::Value = serde_json::from_str(
        &tagc::report::Report::new("check", &c.diagnostics).render(tagc::report::Format::Json),
    )
    .unwrap();
    prop_assert_eq!(c.ok(), json["summary"]["errors"] == 0);
    for d in json["diagnostics"].as_array().unwrap() {
        prop_assert!(
            d["code"].as_str().is_some_and(|s| s.starts_with("tagc::")),
            "{}",
            d
        );
        prop_assert!(
            d["message"].as_str().is_some_and(|s| !s.is_empty()),
            "{}",
            d
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn test_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        assert_diagnosed(&compile_bytes(bytes))?;
    }

    #[test]
    fn test_random_token_soup_never_panics(words in proptest::collection::vec(
        prop::sample::select(vec![
            "tag", "policy", "test", "organization", "{", "}", "\"", "values", "require", "on",
            "sagemaker:Create*", "env", ",", "=", "expect", "deny", "request", "attach", "to",
            "root", "ou", "\"Root/A\"", "#", "\n", "exact-case", "protect", "exempt", "\"arn:aws:iam::*:role/x\"",
        ]), 0..60)) {
        assert_diagnosed(&compile_text("soup.tags", &words.join(" ")))?;
    }

    #[test]
    fn test_every_truncation_of_the_example_is_diagnosed(cut in 0usize..1600) {
        let full = std::fs::read_to_string(crate::common::root().join("examples/sagemaker-cost-allocation.tags")).unwrap();
        let mut cut = cut.min(full.len());
        while !full.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = &full[..cut];
        let c = compile_text("cut.tags", text);
        // Either the prefix is a whole project, or it is diagnosed with spans inside the text.
        if !c.ok() {
            let json: serde_json::Value = serde_json::from_str(&tagc::report::Report::new("check", &c.diagnostics).render(tagc::report::Format::Json)).unwrap();
            prop_assert!(json["summary"]["errors"].as_u64().unwrap() >= 1);
            for d in json["diagnostics"].as_array().unwrap() {
                prop_assert!(!d["location"].is_null(), "{d}");
                let related = d["related"].as_array().into_iter().flatten().map(|r| &r["location"]);
                for loc in std::iter::once(&d["location"]).chain(related).filter(|l| !l.is_null()) {
                    let offset = loc["offset"].as_u64().unwrap();
                    let length = loc["length"].as_u64().unwrap();
                    prop_assert!(offset + length <= text.len() as u64, "{d}");
                }
            }
        }
    }
}

#[test]
fn test_deep_nesting_is_a_syntax_error() {
    let text = format!("policy p {}{}", "{".repeat(100_000), "}".repeat(100_000));
    let c = compile_text("deep.tags", &text);
    assert_eq!(c.diagnostics.codes(), vec!["tagc::syntax::unexpected"]);
}

#[test]
fn test_huge_file_compiles() {
    let mut text = String::new();
    for i in 0..2_000 {
        let _ = writeln!(text, "tag key{i} {{ values \"a{i}\" \"b{i}\" }}");
    }
    text.push_str("policy p {\n require key1 on sqs:CreateQueue\n attach to root\n}\n");
    let c = compile_text("huge.tags", &text);
    assert!(c.ok(), "{}", c.diagnostics.render_human(false));
}

#[test]
fn test_huge_garbage_gives_a_diagnostic() {
    let text = "§".repeat(1_000_000);
    let c = compile_text("garbage.tags", &text);
    assert_eq!(c.diagnostics.codes(), vec!["tagc::syntax::unexpected"]);
}

#[test]
fn test_invalid_utf8_points_at_the_bad_byte() {
    let c = compile_bytes(b"tag owner\ntag caf\xe9\n".to_vec());
    assert_eq!(c.diagnostics.codes(), vec!["tagc::syntax::invalid-utf8"]);
    insta::assert_snapshot!(c.diagnostics.render_human(false));
}

#[test]
fn test_empty_file_is_an_empty_project() {
    let c = compile_text("empty.tags", "");
    assert!(c.ok());
    assert!(c.artifacts().is_empty());
}

/// A project with thousands of errors: its diagnostics are far larger than a pipe's buffer.
fn write_many_errors(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = String::from("policy p {\n");
    for i in 0..400 {
        let _ = writeln!(
            text,
            "  require undeclared{i} on sagemaker:CreateTrainingJob"
        );
    }
    text.push_str("  attach to root\n}\n");
    let path = dir.join("big.tags");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `tagc args` with `stream` (stdout or stderr) piped, reads one line of it, closes the
/// pipe, and returns the exit status and everything written on the other stream.
fn run_and_close_after_one_line(
    args: &[&str],
    close_stderr: bool,
) -> (std::process::ExitStatus, String) {
    use std::io::{BufRead as _, Read as _};
    use std::process::{Command, Stdio};

    let mut command = Command::new(env!("CARGO_BIN_EXE_tagc"));
    command.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let (closed, mut other): (Box<dyn std::io::Read + Send>, Box<dyn std::io::Read + Send>) =
        if close_stderr {
            (
                Box::new(child.stderr.take().unwrap()),
                Box::new(child.stdout.take().unwrap()),
            )
        } else {
            (
                Box::new(child.stdout.take().unwrap()),
                Box::new(child.stderr.take().unwrap()),
            )
        };
    // The other stream is drained on a thread, so the child never blocks on it.
    let drain = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = other.read_to_string(&mut text);
        text
    });
    let mut reader = std::io::BufReader::new(closed);
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "no output at all");
    drop(reader);
    let status = child.wait().unwrap();
    (status, drain.join().unwrap())
}

#[test]
fn test_closed_stdout_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let big = write_many_errors(dir.path());
    let (status, stderr) =
        run_and_close_after_one_line(&["check", "--format", "json", big.to_str().unwrap()], false);
    assert!(stderr.is_empty(), "{stderr}");
    // The run ends normally, with the exit code of what it found (errors: 1), not a panic's 101.
    assert_eq!(status.code(), Some(1), "{status:?}");
}

#[test]
fn test_closed_stderr_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let big = write_many_errors(dir.path());
    let (status, stdout) = run_and_close_after_one_line(&["check", big.to_str().unwrap()], true);
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(status.code(), Some(1), "{status:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn test_full_disk_on_stdout_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = write_many_errors(dir.path());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tagc"))
        .args(["check", "--format", "json", big.to_str().unwrap()])
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code().unwrap_or(-1);
    insta::assert_snapshot!(format!("{stderr}[exit {code}]"));
}

#[test]
fn test_error_past_column_65535_is_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}tag x {{ bogus }}\n", " ".repeat(70_000));
    std::fs::write(dir.path().join("wide.tags"), text).unwrap();
    let run = crate::common::tagc(dir.path(), &["check", "wide.tags"]);
    // The snippet is clipped to the neighbourhood of the error.
    assert!(run.stderr.len() < 2_000, "{}", run.stderr.len());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn test_spans_on_very_long_lines_render() {
    let cases = [
        // A span 70,000 characters long.
        format!("tag x {{ values \"{}\" }}\n", "a".repeat(70_000)),
        // Two labels on one line, 70,000 columns apart.
        format!("tag x {{ values \"a\" {}\"a\" }}\n", " ".repeat(70_000)),
        // A long line before the error's line.
        format!("# {}\ntag x {{ bogus }}\n", "c".repeat(70_000)),
        // Multibyte characters: clipping keeps to character boundaries.
        format!("{} tag x {{ bogus }}\n", "é".repeat(40_000)),
        format!("tag x {{ bogus {}}}\n", "é ".repeat(40_000)),
    ];
    for text in &cases {
        let c = compile_text("long.tags", text);
        assert!(!c.diagnostics.is_empty());
        let human = c.diagnostics.render_human(false);
        assert!(human.contains("[long.tags:"), "{human}");
    }
}

/// A directory `p` holding a valid project of two files, one in `p/sub`.
#[cfg(unix)]
fn project_dir(root: &std::path::Path) -> std::path::PathBuf {
    let p = root.join("p");
    std::fs::create_dir_all(p.join("sub")).unwrap();
    std::fs::write(
        p.join("a.tags"),
        "tag env\npolicy guard {\n  require env on sagemaker:CreateTrainingJob\n  attach to root\n}\n",
    )
    .unwrap();
    std::fs::write(p.join("sub/b.tags"), "tag owner\n").unwrap();
    p
}

#[cfg(unix)]
#[test]
fn test_symlink_loop_is_one_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let p = project_dir(dir.path());
    std::os::unix::fs::symlink("..", p.join("sub/up")).unwrap();
    let run = crate::common::tagc(dir.path(), &["check", "p"]);
    insta::assert_snapshot!(run.transcript());
}

#[cfg(unix)]
#[test]
fn test_file_reached_through_a_link_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = project_dir(dir.path());
    // The same files through a link beside `p`, and one of them named again.
    std::os::unix::fs::symlink("p", dir.path().join("alias")).unwrap();
    let first = p.join("a.tags");
    let run = crate::common::tagc(
        dir.path(),
        &[
            "check",
            "alias",
            "p",
            first.to_str().unwrap(),
            "./p/sub/b.tags",
        ],
    );
    insta::assert_snapshot!(run.transcript());
}
