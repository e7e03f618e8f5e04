//! The commands behind the CLI: each takes its parsed arguments, does its I/O, prints, and
//! returns an [`Outcome`] that becomes the exit code.
//!
//! Printing goes through [`stdio`]. The standard `print!` family panics when a write fails,
//! which is what happens when the reader of a pipe goes away (`tagc check --format json | head
//! -1`). The macros below take those names for every command module, so each `println!` in
//! them writes through [`stdio`], which stops writing quietly once the reader has gone and
//! remembers any other failure for [`run`] to report.

/// `print!` for the command modules: see the module documentation.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::commands::stdio::stdout(format_args!($($arg)*))
    };
}

/// `println!` for the command modules: see the module documentation.
macro_rules! println {
    () => {
        $crate::commands::stdio::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::commands::stdio::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` for the command modules: see the module documentation.
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::commands::stdio::stderr(format_args!($($arg)*))
    };
}

/// `eprintln!` for the command modules: see the module documentation.
macro_rules! eprintln {
    () => {
        $crate::commands::stdio::stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::commands::stdio::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod audit;
mod build;
mod catalog;
mod check;
#[cfg(feature = "aws")]
mod cost;
mod eval;
mod fmt;
mod install;
#[cfg(feature = "aws")]
mod org;
pub mod stdio;
mod test;

use std::ffi::OsStr;
use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use miette::Diagnostic;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Build;
use crate::catalog::Catalog;
use crate::cli::{Cli, CliError, ColorChoice, Command, Format, InputArgs};
use crate::diagnostics::Diagnostics;
use crate::report::{Report, ReportError};

/// The command being run, named in machine-readable reports. Set once per process, before the
/// command runs; every report of the run is of that command.
static COMMAND: OnceLock<&'static str> = OnceLock::new();

/// The name of the command being run.
fn command() -> &'static str {
    COMMAND.get().copied().unwrap_or("tagc")
}

/// Whether human diagnostics are coloured, decided once per run from `--color`.
static COLOR: AtomicBool = AtomicBool::new(false);

/// Whether to colour: `--color always` or `never` decide; under `auto`, a non-empty `NO_COLOR`
/// turns colour off (<https://no-color.org/>), then a `FORCE_COLOR` that is neither empty nor `0`
/// turns it on (<https://force-color.org/>), and otherwise it follows whether the output is a
/// terminal.
pub fn color_enabled(
    choice: ColorChoice,
    no_color: Option<&OsStr>,
    force_color: Option<&OsStr>,
    terminal: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if no_color.is_some_and(|v| !v.is_empty()) {
                false
            } else if force_color.is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                terminal
            }
        }
    }
}

/// How a command ended; the exit code users and CI rely on (see `docs/cli.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0: done, nothing wrong (warnings allowed).
    Success,
    /// Exit 1: errors were reported, or a test failed.
    Failure,
    /// Exit 2: `plan` found changes to make.
    Changes,
    /// Exit 3: `audit` found resources that break the rules.
    NonCompliant,
    /// Exit 64: the command line itself is wrong (unknown flag, missing or malformed value),
    /// so nothing ran. `EX_USAGE` of BSD's sysexits(3), and never 0 or 2, so a CI step that
    /// accepts 2 ("plan has changes") cannot pass on a mistyped flag.
    Usage,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Success => Self::SUCCESS,
            Outcome::Failure => Self::from(1),
            Outcome::Changes => Self::from(2),
            Outcome::NonCompliant => Self::from(3),
            Outcome::Usage => Self::from(64),
        }
    }
}

/// Report a command line clap could not parse, and how to exit: `--help` and `--version`
/// (which clap reports as "errors") print to stdout and succeed; real usage errors print to
/// stderr and exit [`Outcome::Usage`].
pub fn usage_error(e: &clap::Error) -> Outcome {
    // Nothing sensible is left to do when the terminal is gone.
    let _ = e.print();
    if e.use_stderr() {
        Outcome::Usage
    } else {
        Outcome::Success
    }
}

/// Run a parsed command line.
///
/// A closed pipe on stdout or stderr is not an error: the output nobody reads is dropped and
/// the command ends as it would have. Any other failure to write stdout (a full disk, say) makes
/// the run fail, because its output is incomplete.
pub fn run(cli: Cli) -> Outcome {
    COLOR.store(
        color_enabled(
            cli.color,
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("FORCE_COLOR").as_deref(),
            std::io::stderr().is_terminal(),
        ),
        Ordering::Relaxed,
    );
    let outcome = run_command(cli);
    match stdio::stdout_failure() {
        Some(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            Outcome::Failure
        }
        None => outcome,
    }
}

/// The name of `command`, and the `--format` it was given with the formats it can print, for
/// the commands that take one.
fn formats_of(command: &Command) -> (&'static str, Option<(Format, &'static [Format])>) {
    const DIAGNOSTICS: &[Format] = &[Format::Human, Format::Json, Format::Sarif, Format::Github];
    const TESTS: &[Format] = &[
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Junit,
    ];
    const RESULTS: &[Format] = &[Format::Human, Format::Json];
    match command {
        Command::Check(a) => ("check", Some((a.input.format, DIAGNOSTICS))),
        Command::Build(a) => ("build", Some((a.input.format, DIAGNOSTICS))),
        Command::Test(a) => ("test", Some((a.input.format, TESTS))),
        Command::Eval(a) => ("eval", Some((a.input.format, RESULTS))),
        #[cfg(feature = "aws")]
        Command::Plan(a) => ("plan", Some((a.input.format, RESULTS))),
        #[cfg(feature = "aws")]
        Command::Apply(a) => ("apply", Some((a.input.format, RESULTS))),
        #[cfg(feature = "aws")]
        Command::Cost(c) => {
            let input = match c {
                crate::cli::CostCommand::Plan(a) => &a.input,
                crate::cli::CostCommand::Activate(a) => &a.cost.input,
            };
            ("cost", Some((input.format, RESULTS)))
        }
        // `audit` prints its own report, in its own formats (`--format human|json|csv|sarif`).
        Command::Audit(_) => ("audit", None),
        Command::Fmt(_) => ("fmt", None),
        Command::Catalog(_) => ("catalog", None),
        Command::Completions(_) => ("completions", None),
        Command::Man => ("man", None),
        Command::Lsp(_) => ("lsp", None),
    }
}

fn run_command(cli: Cli) -> Outcome {
    let (name, format) = formats_of(&cli.command);
    let _ = COMMAND.set(name);
    if let Some((format, supported)) = format
        && !supported.contains(&format)
    {
        // The command line asks for what this command cannot print: nothing runs.
        let mut d = Diagnostics::new();
        d.push(ReportError::UnsupportedFormat {
            command: name,
            format: format.name(),
            supported: supported
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", "),
        });
        print_diagnostics(&d, Format::Human);
        return Outcome::Usage;
    }
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        #[cfg(feature = "aws")]
        Command::Cost(cmd) => cost::run(&cmd),
        #[cfg(feature = "aws")]
        Command::Plan(args) => org::plan(&args),
        #[cfg(feature = "aws")]
        Command::Apply(args) => org::apply(&args),
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Completions(args) => install::completions(args.shell),
        Command::Man => install::man(),
        Command::Lsp(args) => lsp(&args),
    }
}

/// The `--version` line: tagc's version and the AWS data it knows.
pub fn version_line() -> String {
    format!(
        "{} (AWS service reference of {})",
        env!("CARGO_PKG_VERSION"),
        Catalog::builtin_date()
    )
}

/// Run `tagc lsp` until the editor ends it.
fn lsp(args: &crate::cli::LspArgs) -> Outcome {
    let loaded;
    let catalog = match &args.catalog {
        None => Catalog::builtin(),
        Some(path) => match Catalog::load(path) {
            Ok(c) => {
                loaded = c;
                &loaded
            }
            Err(e) => {
                let mut d = Diagnostics::new();
                d.push(e);
                print_diagnostics(&d, Format::Human);
                return Outcome::Failure;
            }
        },
    };
    match crate::lsp::run(catalog) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            let mut d = Diagnostics::new();
            d.push(e);
            print_diagnostics(&d, Format::Human);
            Outcome::Failure
        }
    }
}

/// Load the catalog the input asks for, or report why it cannot be loaded.
fn load_catalog(args: &InputArgs) -> Result<std::borrow::Cow<'static, Catalog>, Outcome> {
    match &args.catalog {
        None => Ok(std::borrow::Cow::Borrowed(Catalog::builtin())),
        Some(path) => match Catalog::load(path) {
            Ok(c) => Ok(std::borrow::Cow::Owned(c)),
            Err(e) => {
                let mut d = Diagnostics::new();
                d.push(e);
                print_diagnostics(&d, args.format);
                Err(Outcome::Failure)
            }
        },
    }
}

/// Compile the input, printing its diagnostics: all of them for people; in a machine format
/// only when they stop the command, otherwise the warnings stay in [`Build::diagnostics`] for
/// the command's own report.
fn compile(args: &InputArgs) -> Result<Build, Outcome> {
    compile_with_catalog(args).map(|(build, _)| build)
}

/// [`compile`], also returning the catalog it used. With `--deny-warnings`, warnings that are
/// not acknowledged fail the compilation (an error of their own says so), so that no command
/// goes on to write or apply anything.
fn compile_with_catalog(
    args: &InputArgs,
) -> Result<(Build, std::borrow::Cow<'static, Catalog>), Outcome> {
    compile_into(args, &mut crate::emit::Keep)
}

/// [`compile_with_catalog`], handing each document to `documents` as it is made (`build`
/// writes them to its staging directory).
fn compile_into(
    args: &InputArgs,
    documents: &mut dyn crate::emit::Documents,
) -> Result<(Build, std::borrow::Cow<'static, Catalog>), Outcome> {
    let catalog = load_catalog(args)?;
    let mut compiled = match read_stdin_project(args) {
        Err(e) => return Err(report_cli(e, args.format)),
        Ok(Some(file)) => crate::compile_files_into(vec![file], &catalog, documents),
        Ok(None) => crate::compile_paths_into(&args.paths, &catalog, documents),
    };
    let warnings = compiled.diagnostics.warning_count();
    let denied = args.deny_warnings && warnings > 0;
    if denied {
        let what = if warnings == 1 {
            "1 warning".to_owned()
        } else {
            format!("{warnings} warnings")
        };
        compiled.diagnostics.push(CliError::DeniedWarnings(what));
    }
    if args.format == Format::Human || compiled.diagnostics.has_errors() {
        print_diagnostics(&compiled.diagnostics, args.format);
    }
    match compiled.into_build() {
        Ok(build) if !denied => Ok((build, catalog)),
        Ok(_) | Err(_) => Err(Outcome::Failure),
    }
}

/// The path that stands for standard input.
fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// The name the text read from standard input goes by.
fn stdin_name(stdin_filename: Option<&PathBuf>) -> String {
    stdin_filename.map_or_else(|| "<stdin>".to_owned(), |p| p.display().to_string())
}

/// With the path `-` (alone): the one file read from standard input, named by
/// `--stdin-filename` or `<stdin>`. `None` when the paths are files and directories.
fn read_stdin_project(args: &InputArgs) -> Result<Option<(String, Vec<u8>)>, CliError> {
    read_stdin_if_asked(&args.paths, args.stdin_filename.as_ref())
}

/// [`read_stdin_project`] for any command's paths.
fn read_stdin_if_asked(
    paths: &[PathBuf],
    stdin_filename: Option<&PathBuf>,
) -> Result<Option<(String, Vec<u8>)>, CliError> {
    if !paths.iter().any(|p| is_stdin(p)) {
        return match stdin_filename {
            Some(_) => Err(CliError::StdinFilenameWithoutStdin),
            None => Ok(None),
        };
    }
    if paths.len() > 1 {
        return Err(CliError::StdinWithPaths);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Stdin(e.to_string()))?;
    Ok(Some((stdin_name(stdin_filename), bytes)))
}

/// Report a command-line error in `format`; its outcome is a usage error.
fn report_cli(e: CliError, format: Format) -> Outcome {
    let mut d = Diagnostics::new();
    let outcome = match e {
        CliError::Stdin(_) => Outcome::Failure,
        _ => Outcome::Usage,
    };
    d.push(e);
    print_diagnostics(&d, format);
    outcome
}

/// Print diagnostics: for people on stderr, with a summary line; in a machine format on stdout,
/// as the command's whole report (which succeeded when none is an error).
fn print_diagnostics(diagnostics: &Diagnostics, format: Format) {
    match format.machine() {
        None => {
            if diagnostics.is_empty() {
                return;
            }
            eprint!(
                "{}",
                diagnostics.render_human(COLOR.load(Ordering::Relaxed))
            );
            eprintln!("{}", diagnostics.summary());
        }
        Some(_) => print_report(&Report::new(command(), diagnostics), format),
    }
}

/// Print a machine-readable report on stdout (nothing for [`Format::Human`], whose commands
/// print their own text).
fn print_report(report: &Report, format: Format) {
    if let Some(machine) = format.machine() {
        let text = report.render(machine);
        print!("{text}");
        if !text.ends_with('\n') {
            println!();
        }
    }
}

/// Report `error`, which ends the command, after the `earlier` diagnostics of the run: people
/// have already seen those, a machine-readable report holds them all.
fn fail_after(
    earlier: Diagnostics,
    error: impl Diagnostic + Send + Sync + 'static,
    format: Format,
) -> Outcome {
    let mut d = if format == Format::Human {
        Diagnostics::new()
    } else {
        earlier
    };
    d.push(error);
    print_diagnostics(&d, format);
    Outcome::Failure
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::color_enabled;
    use crate::cli::ColorChoice;

    #[test]
    fn test_color_flag_wins_over_the_environment_and_the_terminal() {
        let set = Some(OsStr::new("1"));
        assert!(color_enabled(ColorChoice::Always, set, None, false));
        assert!(!color_enabled(ColorChoice::Never, None, set, true));
    }

    #[test]
    fn test_no_color_counts_only_when_not_empty_and_beats_force_color() {
        let empty = Some(OsStr::new(""));
        let one = Some(OsStr::new("1"));
        assert!(!color_enabled(ColorChoice::Auto, one, one, true));
        assert!(color_enabled(ColorChoice::Auto, empty, None, true));
        assert!(color_enabled(ColorChoice::Auto, empty, one, false));
    }

    #[test]
    fn test_force_color_colours_without_a_terminal_unless_empty_or_zero() {
        assert!(color_enabled(
            ColorChoice::Auto,
            None,
            Some(OsStr::new("1")),
            false
        ));
        assert!(color_enabled(
            ColorChoice::Auto,
            None,
            Some(OsStr::new("3")),
            false
        ));
        assert!(!color_enabled(
            ColorChoice::Auto,
            None,
            Some(OsStr::new("0")),
            false
        ));
        assert!(!color_enabled(
            ColorChoice::Auto,
            None,
            Some(OsStr::new("")),
            false
        ));
        assert!(!color_enabled(ColorChoice::Auto, None, None, false));
        assert!(color_enabled(ColorChoice::Auto, None, None, true));
    }
}
