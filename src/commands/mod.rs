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
mod eval;
mod fmt;
mod install;
#[cfg(feature = "aws")]
mod org;
pub mod stdio;
mod test;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use crate::Build;
use crate::catalog::Catalog;
use crate::cli::{Cli, Command, Format, InputArgs};
use crate::diagnostics::Diagnostics;

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
    let outcome = run_command(cli);
    match stdio::stdout_failure() {
        Some(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            Outcome::Failure
        }
        None => outcome,
    }
}

fn run_command(cli: Cli) -> Outcome {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        #[cfg(feature = "aws")]
        Command::Plan(args) => org::plan(&args),
        #[cfg(feature = "aws")]
        Command::Apply(args) => org::apply(&args),
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Completions(args) => install::completions(args.shell),
        Command::Man => install::man(),
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

/// Compile the input, printing its diagnostics.
fn compile(args: &InputArgs) -> Result<Build, Outcome> {
    compile_with_catalog(args).map(|(build, _)| build)
}

/// [`compile`], also returning the catalog it used.
fn compile_with_catalog(
    args: &InputArgs,
) -> Result<(Build, std::borrow::Cow<'static, Catalog>), Outcome> {
    let catalog = load_catalog(args)?;
    let compiled = crate::compile_paths(&args.paths, &catalog);
    if args.format == Format::Human || compiled.diagnostics.has_errors() {
        print_diagnostics(&compiled.diagnostics, args.format);
    }
    match compiled.into_build() {
        Ok(build) => Ok((build, catalog)),
        Err(_) => Err(Outcome::Failure),
    }
}

/// Print diagnostics to stderr (human) or stdout (json).
fn print_diagnostics(diagnostics: &Diagnostics, format: Format) {
    match format {
        Format::Human => {
            if diagnostics.is_empty() {
                return;
            }
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            eprint!("{}", diagnostics.render_human(color));
            eprintln!("{}", diagnostics.summary());
        }
        Format::Json => println!("{}", diagnostics.render_json()),
    }
}
