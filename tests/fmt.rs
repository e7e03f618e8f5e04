//! `tagc fmt`: the canonical layout is idempotent, keeps every comment, never changes what a
//! file compiles to, and does not depend on how the input was laid out; and the command
//! rewrites files (or, with `--check`, reports them) as documented in `docs/cli.md`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use tagc::catalog::Catalog;
use tagc::source::SourceFile;
use tagc::syntax::format;

use crate::common::{source, tagc, tags_files};

/// Every file the properties are checked on, grouped into projects that compile: `policies/`
/// is one project (its tags are declared in one file and used in the others); every other
/// file compiles on its own.
fn projects() -> Vec<Vec<PathBuf>> {
    let mut projects = vec![tags_files("policies")];
    for dir in ["examples", "tests/fixtures/valid", "tests/fixtures/fmt"] {
        projects.extend(tags_files(dir).into_iter().map(|f| vec![f]));
    }
    projects
}

fn corpus() -> Vec<Arc<SourceFile>> {
    projects().iter().flatten().map(|p| source(p)).collect()
}

/// A minimal lexer for the tests, independent of the one under test: strings (with escapes),
/// comments, the punctuation `{ } , =`, and words. Each token comes with the whitespace before
/// it; the last element's token is empty and holds the whitespace at the end.
fn lex(text: &str) -> Vec<(String, String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut gap = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            gap.push(c);
            i += 1;
            continue;
        }
        let start = i;
        let is_comment = c == '#' || (c == '/' && chars.get(i + 1) == Some(&'/'));
        if is_comment {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if "{},=".contains(c) {
            i += 1;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() && !"{},=\"#".contains(chars[i]) {
                i += 1;
            }
        }
        let token: String = chars[start..i.min(chars.len())].iter().collect();
        out.push((std::mem::take(&mut gap), token, is_comment));
    }
    out.push((gap, String::new(), false));
    out
}

/// The comments of a text, without trailing blanks.
fn comments(text: &str) -> Vec<String> {
    lex(text)
        .into_iter()
        .filter(|(_, _, is_comment)| *is_comment)
        .map(|(_, t, _)| t.trim_end().to_owned())
        .collect()
}

/// A small deterministic generator, so that a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }

    fn blanks(&mut self, min: u64) -> String {
        let n = min + self.below(4);
        (0..n)
            .map(|_| if self.below(4) == 0 { '\t' } else { ' ' })
            .collect()
    }
}

/// `text` with the whitespace between its tokens replaced at random, keeping only what the
/// canonical layout depends on: whether a blank line separates two tokens, whether a comment
/// ends a line of code or stands on its own line, and that a comment ends its line. Anything
/// else (spaces, tabs, line breaks, indentation, trailing blanks) changes freely, except that
/// a top-level item keeps starting a line: the parser splits a file into items at lines that
/// start with `tag`, `policy`, `test` or `organization` (src/syntax/split.rs), so
/// `} tag b` on one line is a syntax error.
fn relayout(text: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut prev_comment = false;
    let mut first = true;
    let mut depth = 0_usize;
    for (gap, token, is_comment) in lex(text) {
        let newlines = gap.matches('\n').count();
        let next_comment = is_comment;
        let starts_item = depth == 0
            && !first
            && ["tag", "policy", "test", "organization"].contains(&token.as_str());
        match token.as_str() {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            _ => {}
        }
        let lines = if newlines >= 2 {
            2 + rng.below(3)
        } else if prev_comment || starts_item || (newlines == 1 && next_comment) {
            1
        } else if next_comment && !first {
            0
        } else {
            rng.below(2)
        };
        for _ in 0..lines {
            out.push_str(&rng.blanks(0));
            out.push('\n');
        }
        // Two words need a blank between them; `,`, `=` and braces do not.
        let min = u64::from(lines == 0 && !gap.is_empty());
        out.push_str(&rng.blanks(min));
        out.push_str(&token);
        prev_comment = is_comment;
        first = false;
    }
    out
}

/// The artifacts of compiling `sources`, as (file, written document).
fn artifacts(sources: &[Arc<SourceFile>]) -> Vec<(String, String)> {
    let compiled = tagc::compile_sources(sources, Catalog::builtin());
    assert!(
        compiled.ok(),
        "{}",
        compiled.diagnostics.render_human(false)
    );
    assert!(!compiled.artifacts().is_empty());
    compiled
        .artifacts()
        .iter()
        .map(|a| (a.file.clone(), a.content.to_string()))
        .collect()
}

#[test]
fn test_fmt_is_idempotent_on_the_corpus() {
    for src in corpus() {
        let once = format(&src.text).unwrap();
        let twice = format(&once).unwrap();
        assert_eq!(once, twice, "{} is not stable under formatting", src.name);
    }
}

#[test]
fn test_fmt_keeps_every_comment() {
    for src in corpus() {
        let formatted = format(&src.text).unwrap();
        assert_eq!(comments(&src.text), comments(&formatted), "{}", src.name);
    }
}

#[test]
fn test_fmt_keeps_the_compiled_artifacts_byte_for_byte() {
    for project in projects() {
        let original: Vec<_> = project.iter().map(|p| source(p)).collect();
        let formatted: Vec<_> = original
            .iter()
            .map(|s| SourceFile::new(s.name.clone(), format(&s.text).unwrap()))
            .collect();
        assert_eq!(
            artifacts(&original),
            artifacts(&formatted),
            "formatting changed what {project:?} compiles to"
        );
    }
}

#[test]
fn test_fmt_output_has_the_canonical_shape() {
    for src in corpus() {
        let formatted = format(&src.text).unwrap();
        assert!(formatted.ends_with("}\n") || formatted.ends_with('\n'));
        assert!(!formatted.ends_with("\n\n"), "{}", src.name);
        assert!(!formatted.contains("\n\n\n"), "{}", src.name);
        for line in formatted.lines() {
            assert_eq!(line, line.trim_end(), "trailing blanks in {}", src.name);
            assert!(!line.contains('\t'), "a tab in {}", src.name);
        }
    }
}

/// The shipped files are what `tagc fmt` would write, so that they teach the canonical style.
#[test]
fn test_examples_and_policies_are_in_canonical_style() {
    for dir in ["examples", "policies"] {
        for path in tags_files(dir) {
            let src = source(&path);
            assert_eq!(
                format(&src.text).unwrap(),
                src.text,
                "{} is not in canonical style: run `tagc fmt {dir}`",
                src.name
            );
        }
    }
}

#[test]
fn test_fmt_snapshots_of_messy_inputs() {
    insta::glob!("fixtures/fmt/*.tags", |path| {
        let src = source(path);
        insta::assert_snapshot!(format(&src.text).unwrap());
    });
}

#[test]
fn test_relayout_keeps_the_tokens() {
    // The generator itself must not change tokens, or the property below proves nothing.
    let mut rng = Rng(7);
    for src in corpus() {
        let tokens = |t: &str| -> Vec<String> {
            lex(t)
                .into_iter()
                .map(|(_, t, _)| t.trim_end().to_owned())
                .collect()
        };
        assert_eq!(
            tokens(&src.text),
            tokens(&relayout(&src.text, &mut rng)),
            "{}",
            src.name
        );
    }
}

proptest! {
    // A seed indexes the corpus, which changes with any file added to it, so a saved seed would
    // mean another case; the failure message shows the re-laid-out text instead.
    #![proptest_config(Config { cases: 64, failure_persistence: None, ..Config::default() })]

    /// A random re-layout of any corpus file formats to the same text as the file itself.
    #[test]
    fn test_fmt_does_not_depend_on_the_input_layout(seed in 1u64.., pick in any::<prop::sample::Index>()) {
        let corpus = corpus();
        let src = &corpus[pick.index(corpus.len())];
        let messy = relayout(&src.text, &mut Rng(seed));
        let expected = format(&src.text).unwrap();
        let got = format(&messy).map_err(|e| TestCaseError::fail(format!("{e}\n{messy}")))?;
        prop_assert_eq!(got, expected, "{} re-laid out as:\n{}", src.name, messy);
    }
}

/// A project directory with one messy file and one canonical file under `policies/`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/messy.tags"),
        "tag owner{ }\npolicy p{require owner on sqs:CreateQueue attach to root}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policies/tidy.tags"),
        "tag team\n\npolicy q {\n  require team on sns:CreateTopic\n  attach to root\n}\n",
    )
    .unwrap();
    dir
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn test_fmt_check_prints_a_diff_and_exits_1_without_writing() {
    let dir = project();
    let before = read(dir.path(), "policies/messy.tags");
    let run = tagc(dir.path(), &["fmt", "--check"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    --- policies/messy.tags
    +++ policies/messy.tags (formatted)
    @@ -1,2 +1,6 @@
    -tag owner{ }
    -policy p{require owner on sqs:CreateQueue attach to root}
    +tag owner
    +
    +policy p {
    +  require owner on sqs:CreateQueue
    +  attach to root
    +}
    ----- stderr -----
    would reformat: policies/messy.tags
    1 file not in the canonical style; run `tagc fmt` to format them
    [exit 1]
    ");
    assert_eq!(read(dir.path(), "policies/messy.tags"), before);
}

#[test]
fn test_fmt_rewrites_changed_files_and_lists_them() {
    let dir = project();
    let run = tagc(dir.path(), &["fmt"]);
    insta::assert_snapshot!(run.transcript(), @r"
    ----- stdout -----
    ----- stderr -----
    formatted: policies/messy.tags
    [exit 0]
    ");
    assert_eq!(
        read(dir.path(), "policies/messy.tags"),
        "tag owner\n\npolicy p {\n  require owner on sqs:CreateQueue\n  attach to root\n}\n"
    );
    // Nothing left to do, and nothing is said about it.
    let again = tagc(dir.path(), &["fmt", "--check"]);
    assert_eq!(
        (again.code, again.stdout.as_str(), again.stderr.as_str()),
        (0, "", "")
    );
    // No temporary file is left beside the formatted one.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn test_fmt_takes_files_as_arguments() {
    let dir = project();
    let run = tagc(dir.path(), &["fmt", "--check", "policies/tidy.tags"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let run = tagc(dir.path(), &["fmt", "policies/messy.tags"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "formatted: policies/messy.tags\n");
}

#[test]
fn test_fmt_leaves_a_file_with_syntax_errors_alone_and_exits_1() {
    let dir = project();
    let broken = "policy broken {\n  require owner on\n}\n";
    std::fs::write(dir.path().join("policies/broken.tags"), broken).unwrap();
    let run = tagc(dir.path(), &["fmt"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(read(dir.path(), "policies/broken.tags"), broken);
    // The other files are still formatted: the transcript says so after the diagnostic.
    insta::assert_snapshot!(run.transcript());
}

#[cfg(unix)]
#[test]
fn test_fmt_keeps_the_file_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = project();
    let path = dir.path().join("policies/messy.tags");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = tagc(dir.path(), &["fmt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}
