//! What a package or a pipeline uses beside `build`: `tagc completions`, `tagc man`, and the
//! pre-commit hooks of `.pre-commit-hooks.yaml`. Each test runs the real binary.

use crate::common::{root, tagc};

const CANONICAL: &str =
    "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n";

#[test]
fn test_completions_cover_every_command_and_the_emit_formats() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = tagc(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.transcript());
        for word in [
            "check",
            "build",
            "completions",
            "man",
            "emit",
            "cloudformation",
        ] {
            assert!(run.stdout.contains(word), "{shell}: no `{word}`");
        }
    }
    let bash = tagc(dir.path(), &["completions", "bash"]);
    assert!(bash.stdout.contains("complete -F _tagc"), "{}", bash.stdout);
}

#[test]
fn test_completions_refuse_an_unknown_shell_as_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = tagc(dir.path(), &["completions", "tcsh"]);
    assert_eq!(run.code, 64, "{}", run.transcript());
    assert!(run.stdout.is_empty());
}

#[test]
fn test_man_prints_a_roff_page_with_the_version_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = tagc(dir.path(), &["man"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &run.stdout[..200]
    );
    assert!(run.stdout.contains(".TH tagc 1"), "{}", run.stdout);
    assert!(
        run.stdout.contains("AWS service reference of"),
        "{}",
        run.stdout
    );
    for command in ["check", "build", "apply", "completions"] {
        assert!(run.stdout.contains(command), "no `{command}`");
    }
}

/// Each hook's `entry` (`tagc …`), as pre-commit runs it.
fn hook_entries() -> Vec<(String, Vec<String>, bool)> {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let mut hooks = Vec::new();
    for block in text.split("\n- id: ").skip(1) {
        let id = block.lines().next().unwrap().trim().to_owned();
        let field = |name: &str| {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix(name).map(str::trim))
                .map(str::to_owned)
        };
        let entry = field("entry:").unwrap();
        let args: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
        assert_eq!(args[0], "tagc", "{id}");
        assert_eq!(field("language:").as_deref(), Some("rust"), "{id}");
        assert_eq!(field("files:").as_deref(), Some(r"\.tags$"), "{id}");
        let pass_filenames = field("pass_filenames:").as_deref() != Some("false");
        hooks.push((id, args[1..].to_vec(), pass_filenames));
    }
    hooks
}

#[test]
fn test_pre_commit_hooks_pass_on_clean_rules_and_fail_on_bad_ones() {
    let hooks = hook_entries();
    let ids: Vec<&str> = hooks.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, ["tagc-fmt", "tagc-check"]);
    for (text, ok) in [
        (CANONICAL, true),
        // Not canonical: fails tagc-fmt.
        (
            "tag owner\npolicy p {\nrequire owner on sqs:CreateQueue\nattach to root\n}\n",
            false,
        ),
        // Canonical but an unknown tag: fails tagc-check.
        (
            "tag owner\n\npolicy p {\n  require team on sqs:CreateQueue\n  attach to root\n}\n",
            false,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        std::fs::write(dir.path().join("policies/rules.tags"), text).unwrap();
        let mut all_pass = true;
        for (id, args, pass_filenames) in &hooks {
            let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
            if *pass_filenames {
                argv.push("policies/rules.tags");
            }
            let run = tagc(dir.path(), &argv);
            assert!(run.code == 0 || run.code == 1, "{id}: {}", run.transcript());
            all_pass &= run.code == 0;
        }
        assert_eq!(all_pass, ok, "{text}");
        // Nothing a hook runs changes the files.
        assert_eq!(
            std::fs::read_to_string(dir.path().join("policies/rules.tags")).unwrap(),
            text
        );
    }
}
