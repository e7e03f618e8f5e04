//! The command transcripts in `docs/cli.md` (`$ tagc …` and what it prints) are what the
//! binary prints: each is run on a copy of the repository's `policies/` and `examples/`, and
//! every line the transcript shows must appear in the output, in order. A line holding `…`
//! stands for lines left out and is not compared. Transcripts of a state the copy does not
//! have (a stale output, unformatted files) are listed and left out by name.

use std::path::Path;

use crate::common::{root, tagc};

/// Transcripts that show a state made up for the example, not the repository's.
const NOT_RUN: &[&str] = &["tagc build --check", "tagc fmt", "tagc fmt --check"];

/// Each `$ tagc …` line of a fenced block in `text`, with the lines after it in the block.
fn transcripts(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(command) = line.strip_prefix("$ ") else {
            continue;
        };
        let shown: Vec<String> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .map(str::to_owned)
            .collect();
        out.push((command.to_owned(), shown));
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn test_cli_md_transcripts_are_what_tagc_prints() {
    let text = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    let all = transcripts(&text);
    let run: Vec<_> = all
        .iter()
        .filter(|(c, _)| !NOT_RUN.contains(&c.as_str()))
        .collect();
    assert!(run.len() >= 6, "found only {all:?}");
    for (command, shown) in run {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("policies"), &dir.path().join("policies"));
        copy_dir(&root().join("examples"), &dir.path().join("examples"));
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let result = tagc(dir.path(), &args);
        let output = format!("{}{}", result.stdout, result.stderr);
        let mut actual = output.lines().map(str::trim_end);
        for line in shown.iter().filter(|l| !l.contains('…')) {
            assert!(
                actual.any(|a| a == line.trim_end()),
                "docs/cli.md, `{command}`: the line\n{line}\nis not in (or not in this order in) what tagc prints:\n{output}"
            );
        }
    }
}
