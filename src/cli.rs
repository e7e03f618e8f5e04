//! The command line, as clap types. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// tagc compiles AWS tag rules into service control policies, Organizations tag policies and
/// IAM policies, proves they mean what the rules say, and applies them to an organization.
#[derive(Debug, Parser)]
#[command(
    name = "tagc",
    version,
    after_help = "Examples:\n  tagc check                      validate policies/\n  tagc build --out out/           compile policies/ into out/\n  tagc test                       run the test blocks of policies/\n  tagc fmt --check                exit 1 when a file is not in canonical style\n  tagc eval --action sagemaker:CreateTrainingJob --tag environment=dev\n  tagc plan --endpoint-url http://127.0.0.1:5000"
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// Colour diagnostics: `auto` (on a terminal; honours `NO_COLOR`, `FORCE_COLOR`), `always`, `never`
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN",
        hide_possible_values = true
    )]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal, as `NO_COLOR` and `FORCE_COLOR` say
    Auto,
    /// Always colour
    Always,
    /// Never colour
    Never,
}

/// The errors of the command line that clap cannot see: a path `-` (standard input) beside
/// other paths, a malformed `--tag`, warnings refused by `--deny-warnings`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum CliError {
    /// `-` with other paths.
    #[error("`-` (standard input) cannot be given with other paths")]
    #[diagnostic(
        code("tagc::cli::stdin-with-paths"),
        severity(Error),
        help("`-` reads one file, which is then the whole project: give `-` alone, or only paths")
    )]
    StdinWithPaths,
    /// `-` where the command cannot read standard input.
    #[error("`tagc {0}` cannot read its sources from standard input")]
    #[diagnostic(
        code("tagc::cli::stdin-not-supported"),
        severity(Error),
        help(
            "give the `.tags` files or directories; `-` is for `check`, `build`, `test`, `eval` and `fmt`"
        )
    )]
    StdinNotSupported(&'static str),
    /// `--stdin-filename` without the path `-`.
    #[error("`--stdin-filename` names standard input, but `-` is not among the paths")]
    #[diagnostic(
        code("tagc::cli::stdin-filename-without-stdin"),
        severity(Error),
        help("give `-` as the path to read standard input, or leave `--stdin-filename` out")
    )]
    StdinFilenameWithoutStdin,
    /// Standard input could not be read.
    #[error("cannot read standard input: {0}")]
    #[diagnostic(
        code("tagc::cli::stdin"),
        severity(Error),
        help("pipe the `.tags` text into tagc, such as `tagc check - < rules.tags`")
    )]
    Stdin(String),
    /// `--tag` without `=`.
    #[error("`--tag {0}` is not KEY=VALUE")]
    #[diagnostic(
        code("tagc::cli::malformed-tag"),
        severity(Error),
        help(
            "write the key, `=` and the value, such as `--tag environment=dev` (`--tag owner=` for an empty value)"
        )
    )]
    MalformedTag(String),
    /// `--deny-warnings` with warnings.
    #[error("{0} denied by `--deny-warnings`")]
    #[diagnostic(
        code("tagc::cli::denied-warnings"),
        severity(Error),
        help(
            "fix the warnings, or acknowledge one where it is reported with `# tagc: allow <code> -- reason` on its line or the line above"
        )
    )]
    DeniedWarnings(String),
}

/// tagc's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and validate; print every diagnostic (exit 1 on errors)
    Check(CheckArgs),
    /// Compile into DIR/<policy>/{scp,tag-policy,iam-policy}.json and DIR/manifest.json
    Build(BuildArgs),
    /// Run the `test` blocks against every emitted layer (last line: `N passed, N failed`)
    Test(TestArgs),
    /// Answer one question: what each layer decides for a request, and why
    Eval(EvalArgs),
    /// Compare the organization with what the rules declare (exit 0 no change, 2 changes, 1 error)
    #[cfg(feature = "aws")]
    Plan(PlanArgs),
    /// Show the plan, ask, then change the organization (`--yes` to skip the question)
    #[cfg(feature = "aws")]
    Apply(ApplyArgs),
    /// Judge existing resources and their tags against the rules (exit 0 compliant, 3 not, 1 error)
    Audit(AuditArgs),
    /// Cost allocation tags in billing: which declared keys are active, and activating them
    #[cfg(feature = "aws")]
    #[command(subcommand)]
    Cost(CostCommand),
    /// Rewrite `.tags` files in the canonical style (`--check`: exit 1 when a file would change)
    Fmt(FmtArgs),
    /// Work with the AWS action catalog
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print a completion script for SHELL to standard output
    Completions(CompletionsArgs),
    /// Print tagc's manual page (roff, section 1) to standard output
    Man,
    /// Run the language server editors start (LSP over standard input and output)
    Lsp(LspArgs),
}

/// `tagc lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Use this AWS catalog instead of the built-in one: a directory of AWS service-reference
    /// JSON files, or a file written by `tagc catalog import`
    #[arg(long, value_name = "PATH")]
    pub catalog: Option<PathBuf>,
}

/// `tagc completions`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tagc completions bash > ~/.local/share/bash-completion/completions/tagc\n  tagc completions zsh > ~/.zfunc/_tagc\n  tagc completions fish > ~/.config/fish/completions/tagc.fish"
)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Where the rules are and how to report on them.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// `.tags` files or directories (all files together form one project); `-` alone reads one
    /// file from standard input
    #[arg(default_value = "policies")]
    pub paths: Vec<PathBuf>,
    /// How to print diagnostics and results (not every command has every format: see
    /// "Machine-readable output" in docs/cli.md)
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Use this AWS catalog instead of the built-in one: a directory of AWS service-reference
    /// JSON files, or a file written by `tagc catalog import`
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Exit 1 when there are warnings (acknowledged ones do not count); `build` then writes
    /// nothing
    #[arg(long)]
    pub deny_warnings: bool,
    /// With the path `-`: the name diagnostics give the text read from standard input (default
    /// `<stdin>`)
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
}

/// `tagc check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Input.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `tagc build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Input.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output directory, replaced as a whole, and only when it is absent, empty or tagc's own
    /// output (nothing is written when the build fails)
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Print how every action pattern was expanded and which layer enforces what
    #[arg(long)]
    pub explain: bool,
    /// Do not write; list stale, missing and extra files in --out and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
    /// Also write the artifacts as infrastructure as code (repeat for several): `terraform`
    /// writes DIR/terraform/main.tf.json, `cloudformation` DIR/cloudformation/template.json;
    /// `cost` writes DIR/cost/ (cost allocation tags to activate and CUR 2.0 queries)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emit: Vec<Emit>,
    /// Also write a monthly AWS budget of AMOUNT USD per allowed value of each cost key,
    /// DIR/cost/budgets/*.json (and, with `--emit terraform`, DIR/terraform/budgets.tf.json,
    /// with `--emit cloudformation`, DIR/cloudformation/budgets.json); implies `--emit cost`
    #[arg(long, value_name = "AMOUNT", value_parser = budget_amount)]
    pub budget_amount: Option<String>,
}

/// A budget amount: a positive decimal number of dollars, at most two decimals.
fn budget_amount(text: &str) -> Result<String, String> {
    if crate::cost::budgets::valid_amount(text) {
        Ok(text.to_owned())
    } else {
        Err(
            "expected a positive amount in USD with at most two decimals, such as 1000 or 250.50"
                .to_owned(),
        )
    }
}

/// A further output of `tagc build --emit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// Terraform JSON configuration for the `hashicorp/aws` provider
    Terraform,
    /// An AWS CloudFormation template
    Cloudformation,
    /// Cost allocation: the tag keys to activate and CUR 2.0 queries for Athena
    Cost,
}

impl Emit {
    /// The infrastructure-as-code format it names; `None` for `cost`.
    pub const fn iac_format(self) -> Option<crate::iac::Format> {
        match self {
            Self::Terraform => Some(crate::iac::Format::Terraform),
            Self::Cloudformation => Some(crate::iac::Format::CloudFormation),
            Self::Cost => None,
        }
    }
}

/// `tagc test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Input.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `tagc fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// `.tags` files or directories; `-` alone formats standard input to standard output
    #[arg(default_value = "policies")]
    pub paths: Vec<PathBuf>,
    /// Write nothing: print the files that would change, with a diff, and exit 1 if any
    #[arg(long)]
    pub check: bool,
    /// With the path `-`: the name diagnostics and the diff give the text read from standard
    /// input (default `<stdin>`)
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
}

/// `tagc eval`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  tagc eval --action sagemaker:CreateTrainingJob --tag environment=dev \\\n            --principal arn:aws:iam::111122223333:role/x policies/"
)]
pub struct EvalArgs {
    /// Input.
    #[command(flatten)]
    pub input: InputArgs,
    /// The action requested, such as `sagemaker:CreateTrainingJob`
    #[arg(long)]
    pub action: String,
    /// A tag the request sets, as KEY=VALUE (repeat for several)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// The calling principal's ARN
    #[arg(long, default_value = crate::model::DEFAULT_PRINCIPAL)]
    pub principal: String,
    /// The tagging runs as part of this create, such as `sagemaker:CreateTrainingJob`
    #[arg(long, value_name = "ACTION")]
    pub during: Option<String>,
    /// The resource ARN (tag policies apply per resource type)
    #[arg(long, value_name = "ARN")]
    pub resource: Option<String>,
    /// The request comes from this OU (by path from the root): only policies attached at or
    /// above it apply
    #[arg(long, value_name = "PATH", conflicts_with = "account")]
    pub ou: Option<String>,
    /// The request comes from this account: only policies attached to it or the root apply
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
}

impl EvalArgs {
    /// The `--tag` values as key and value, split at the first `=` (a value may contain `=`),
    /// or the error for the first that has no `=`.
    pub fn tag_pairs(&self) -> Result<Vec<(String, String)>, CliError> {
        self.tags
            .iter()
            .map(|s| {
                s.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .ok_or_else(|| CliError::MalformedTag(s.clone()))
            })
            .collect()
    }
}

/// How to reach AWS, as the AWS CLI takes it. Credentials come from the standard chain
/// (environment, shared files, SSO, instance or container roles).
#[cfg(feature = "aws")]
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct AwsArgs {
    /// Use this profile from the AWS config and credentials files
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Use this AWS region (Organizations is global; default `us-east-1`)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send requests to this URL instead of AWS (also `AWS_ENDPOINT_URL`)
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[cfg(feature = "aws")]
impl AwsArgs {
    /// The connection options these arguments give.
    pub fn connect_options(&self) -> crate::aws::sdk::ConnectOptions {
        crate::aws::sdk::ConnectOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}

/// `tagc plan`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Input.
    #[command(flatten)]
    pub input: InputArgs,
    /// AWS connection.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Also save the plan to FILE (JSON), for `tagc apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Allow a plan that deletes every policy the project owns, or removes more than half of
    /// their attachments
    #[arg(long)]
    pub allow_destroy: bool,
    /// Claim the tagc policies without a project tag whose names this project declares
    #[arg(long)]
    pub adopt: bool,
}

/// `tagc apply`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
#[command(
    after_help = "A PATH ending in `.json` is a plan saved by `tagc plan --out`: apply runs exactly its steps, and\nrefuses when the sources or the organization changed since. Its sources are the paths the plan\nrecorded, unless other PATHs are given."
)]
pub struct ApplyArgs {
    /// Input.
    #[command(flatten)]
    pub input: InputArgs,
    /// AWS connection.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Apply without asking (for CI)
    #[arg(long)]
    pub yes: bool,
    /// Allow a plan that deletes every policy the project owns, or removes more than half of
    /// their attachments
    #[arg(long)]
    pub allow_destroy: bool,
    /// Claim the tagc policies without a project tag whose names this project declares
    #[arg(long)]
    pub adopt: bool,
}

/// `tagc cost …`.
#[cfg(feature = "aws")]
#[derive(Debug, Subcommand)]
pub enum CostCommand {
    /// Show which declared cost keys are active, inactive or unknown to billing, and their
    /// other casings (exit 0 nothing to activate, 2 keys to activate, 1 error)
    Plan(CostArgs),
    /// Activate the inactive declared cost keys (needs `--yes`); never deactivates a tag
    Activate(CostActivateArgs),
}

/// `tagc cost plan`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub struct CostArgs {
    /// Input.
    #[command(flatten)]
    pub input: InputArgs,
    /// AWS connection (the management or payer account).
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `tagc cost activate`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub struct CostActivateArgs {
    /// Input and connection.
    #[command(flatten)]
    pub cost: CostArgs,
    /// Activate (without it, the plan is shown and nothing changes)
    #[arg(long)]
    pub yes: bool,
}

/// `tagc audit`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tagc audit --region us-east-1 --region eu-west-1\n  tagc audit --all-accounts --role-name OrganizationAccountAccessRole --region us-east-1\n  tagc audit --file resources.json --format csv"
)]
pub struct AuditArgs {
    /// `.tags` files or directories (all files together form one project)
    #[arg(default_value = "policies")]
    pub paths: Vec<PathBuf>,
    /// How to print the report
    #[arg(long, value_enum, default_value_t = AuditFormat::Human)]
    pub format: AuditFormat,
    /// Use this AWS catalog instead of the built-in one
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Read the resources from FILE instead of AWS: the JSON of `aws resourcegroupstaggingapi
    /// get-resources`, or of `aws resource-explorer-2 search` or `list-resources` (repeat for
    /// several)
    #[arg(long, value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// AWS connection and scope.
    #[cfg(feature = "aws")]
    #[command(flatten)]
    pub aws: AuditAwsArgs,
}

/// How `tagc audit` reaches AWS.
#[cfg(feature = "aws")]
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct AuditAwsArgs {
    /// Use this profile from the AWS config and credentials files
    #[arg(long, value_name = "NAME", conflicts_with = "file")]
    pub profile: Option<String>,
    /// Read the resources of this region (repeat for several; default: the configured region)
    #[arg(long, value_name = "REGION", conflicts_with = "file")]
    pub region: Vec<String>,
    /// Send requests to this URL instead of AWS (also `AWS_ENDPOINT_URL`)
    #[arg(long, value_name = "URL", conflicts_with = "file")]
    pub endpoint_url: Option<String>,
    /// Audit every account of the organization, assuming `--role-name` in each member account
    #[arg(long, requires = "role_name", conflicts_with = "file")]
    pub all_accounts: bool,
    /// The role to assume in each member account with `--all-accounts`
    #[arg(long, value_name = "NAME", requires = "all_accounts")]
    pub role_name: Option<String>,
    /// Accounts × regions read at the same time
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

/// How `tagc audit` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// For people: summaries, then every finding
    Human,
    /// One JSON document on stdout
    Json,
    /// One row per finding
    Csv,
    /// A SARIF 2.1.0 log
    Sarif,
}

/// `tagc catalog …`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Show the catalog's AWS data date and counts
    Info {
        /// Use this catalog instead of the built-in one
        #[arg(long, value_name = "DIR")]
        catalog: Option<PathBuf>,
    },
    /// Regenerate a compact catalog from AWS service-reference JSON files (a directory, or a
    /// `.tar.gz` of one)
    Import {
        /// The directory of `<service>.json` files, or a gzip-compressed tar archive of them
        #[arg(value_name = "DIR|ARCHIVE")]
        dir: PathBuf,
        /// Where to write the compact catalog
        #[arg(long, default_value = "src/catalog/data/catalog.json")]
        out: PathBuf,
    },
    /// Download AWS's current service reference into the user's cache directory
    Update {
        /// The service-reference endpoint
        #[arg(
            long,
            default_value = "https://servicereference.us-east-1.amazonaws.com/"
        )]
        url: String,
    },
}

/// How diagnostics and reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people, with source snippets, on stderr
    Human,
    /// For machines: one versioned JSON document on stdout
    Json,
    /// A SARIF 2.1.0 log on stdout, for code scanning (check, build, test)
    Sarif,
    /// GitHub Actions annotations on stdout (check, build, test)
    Github,
    /// JUnit XML on stdout (test)
    Junit,
}

impl Format {
    /// The machine format this is, or `None` for [`Format::Human`].
    pub const fn machine(self) -> Option<crate::report::Format> {
        match self {
            Self::Human => None,
            Self::Json => Some(crate::report::Format::Json),
            Self::Sarif => Some(crate::report::Format::Sarif),
            Self::Github => Some(crate::report::Format::Github),
            Self::Junit => Some(crate::report::Format::Junit),
        }
    }

    /// The name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Json => "json",
            Self::Sarif => "sarif",
            Self::Github => "github",
            Self::Junit => "junit",
        }
    }
}
