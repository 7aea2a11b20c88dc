//! The command line, as clap derives it.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{Args, Parser, Subcommand, ValueEnum};
use jwt_config::Environment;

/// Check and compare env files against the jwt-config schema before a deploy.
#[derive(Debug, Parser)]
#[command(name = "jwt-config", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Load as a service would and print the effective configuration, or every problem.
    Check(CheckArgs),
    /// List every shared setting on which two env files' effective values differ.
    Diff(DiffArgs),
    /// Check a whole fleet before a rollout: every container of every workload in Kubernetes
    /// manifests (files, directories, or `-` for `helm template` / `kubectl get -o yaml`
    /// output), every Compose service, every env file; each loaded with the schema's rules,
    /// then all compared.
    Audit(AuditArgs),
    /// Print a commented `.env.example` with every variable.
    Template(TemplateArgs),
    /// Print the Markdown reference of the schema.
    Docs,
    /// Print the schema as JSON.
    Schema,
    /// List the key ids, kinds and roles (signs / verifies) of a configuration, never key
    /// material; `--jwks` prints the public JWK Set to publish. `keys new` makes a key,
    /// `keys bundle` collects a fleet's service keys into one JWK Set.
    Keys(KeysArgs),
    /// The fleet as it runs: each service's health document (jwt-config-axum), one line a
    /// service: SYNCED, DRIFTED (what differs) or UNREACHABLE.
    Status(StatusArgs),
}

/// `status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The services' URLs (`http://127.0.0.1:3002`, read at `/health`), or their health
    /// documents' URLs.
    #[arg(value_name = "URL")]
    pub(crate) urls: Vec<String>,
    /// A file of URLs, one a line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// How long each service may take to answer.
    #[arg(long, default_value_t = 3, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=300))]
    pub(crate) timeout_seconds: u64,
    /// Output format: text or json.
    #[arg(long, default_value = "text", value_parser = text_or_json())]
    pub(crate) format: Format,
}

/// Output format, of every command that has one. Markdown is `audit`'s alone: the others
/// refuse it when the command line is parsed (`text_or_json`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people at a terminal.
    #[default]
    Text,
    /// For pipelines.
    Json,
    /// For a pull-request comment (`audit` only).
    Markdown,
    /// SARIF 2.1.0, for code scanning (`audit` only).
    Sarif,
    /// JUnit XML, for CI test reports (`audit` only).
    Junit,
}

/// The formats of a command without Markdown: `text` or `json`, anything else refused by clap
/// with the values it accepts.
fn text_or_json() -> impl clap::builder::TypedValueParser<Value = Format> {
    PossibleValuesParser::new(
        [Format::Text, Format::Json].map(|f| f.to_possible_value().expect("not hidden")),
    )
    .map(|name| Format::from_str(&name, false).expect("a possible value"))
}

/// Where `check` and `keys` read a configuration from.
#[derive(Debug, Args)]
pub(crate) struct SourceArgs {
    /// An env file to load; repeatable. Each layer overrides the ones before it: later files
    /// override earlier ones, and the process environment overrides every file.
    #[arg(long = "env-file", value_name = "FILE")]
    pub(crate) env_files: Vec<PathBuf>,
    /// The environment the files are for: a problem where something sets `ENVIRONMENT` to
    /// another value; where nothing sets it, supplied to this check only, with a warning that
    /// the deployed service must set it (a failure under `--strict`).
    #[arg(long, value_parser = parse_environment)]
    pub(crate) environment: Option<Environment>,
    /// Ignore the process environment: the files alone, `$VAR` substitution refused, and a
    /// `NAME_FILE` read only inside its env file's own directory (or one allowed with
    /// `--allow-file-dir`); a file elsewhere is a problem saying it was not read.
    #[arg(long)]
    pub(crate) no_process_env: bool,
    /// With `--no-process-env`: another directory `NAME_FILE` variables may point into;
    /// repeatable. Links and `..` are resolved first, so neither escapes it.
    #[arg(
        long = "allow-file-dir",
        value_name = "DIR",
        requires = "no_process_env"
    )]
    pub(crate) allow_file_dirs: Vec<PathBuf>,
}

/// `check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Where the configuration comes from.
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    /// Every warning (unknown names, deprecated aliases, weak development keys) fails: exit 1.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Output format: text or json.
    #[arg(long, default_value = "text", value_parser = text_or_json())]
    pub(crate) format: Format,
}

/// `diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The first env file.
    pub(crate) a: PathBuf,
    /// The second env file.
    pub(crate) b: PathBuf,
    /// Another directory the files' `NAME_FILE` variables may point into (each file's own
    /// directory always is); repeatable.
    #[arg(long = "allow-file-dir", value_name = "DIR")]
    pub(crate) allow_file_dirs: Vec<PathBuf>,
    /// The environment both services are deployed to. As for `audit`, it asserts and never
    /// supplies: a file that sets no `ENVIRONMENT`, or another value, is a problem.
    #[arg(long, value_parser = parse_environment)]
    pub(crate) environment: Option<Environment>,
    /// Every warning of either file (unknown names, deprecated aliases, weak keys) fails: exit 1.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Output format: text or json.
    #[arg(long, default_value = "text", value_parser = text_or_json())]
    pub(crate) format: Format,
}

/// `audit`.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Kubernetes YAML or JSON, Compose files, env files, directories of them; `-` reads
    /// standard input.
    #[arg(
        required_unless_present_all = ["before", "after"],
        conflicts_with_all = ["before", "after"],
        value_name = "PATH|-"
    )]
    pub(crate) inputs: Vec<PathBuf>,
    /// A rollout: the fleet as deployed (the same inputs as `audit`), compared with
    /// `--after`, the fleet as it will be.
    #[arg(long, num_args = 1.., value_name = "PATH|-", requires = "after")]
    pub(crate) before: Vec<PathBuf>,
    /// A rollout: the fleet as it will be, compared with `--before`.
    #[arg(long, num_args = 1.., value_name = "PATH|-", requires = "before")]
    pub(crate) after: Vec<PathBuf>,
    /// The environment the fleet is deployed to. It asserts and never supplies: a service
    /// that sets no `ENVIRONMENT`, or another value, is a problem (a pod gets nothing from a
    /// flag).
    #[arg(long, value_parser = parse_environment)]
    pub(crate) environment: Option<Environment>,
    /// Warnings, and values supplied at deploy time (objects not in the input), fail: exit 1.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Output format; `markdown` is made to be posted as a pull-request comment.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

/// `keys`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct KeysArgs {
    /// Make a new key, or collect a fleet's public keys; without one, list a configuration's.
    #[command(subcommand)]
    pub(crate) action: Option<KeysAction>,
    /// Where the configuration comes from.
    #[command(flatten)]
    pub(crate) source: SourceArgs,
    /// Print the public JWK Set (`/.well-known/jwks.json`) instead of the list.
    #[arg(long)]
    pub(crate) jwks: bool,
    /// Output format of the list: text or json.
    #[arg(long, default_value = "text", value_parser = text_or_json())]
    pub(crate) format: Format,
}

/// What `keys` does besides listing a configuration's keys.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysAction {
    /// A new key from the operating system's random source: a service's own private key (PEM)
    /// and its public JWK, or with `--oct` an HMAC key for a rotation of `JWT_SECRET_KEY` or
    /// `SERVICE_SECRET`. Written to standard output, or the secret part to `--out`.
    New(KeysNewArgs),
    /// The JWK Set of every service's own public key in a fleet's inputs (as `audit` reads
    /// them): one ConfigMap that every receiver reads as `SERVICE_VERIFICATION_KEYS`.
    Bundle(KeysBundleArgs),
}

/// The algorithm of a new service key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ServiceKeyAlgorithm {
    /// Ed25519.
    #[default]
    #[value(name = "EdDSA")]
    EdDsa,
    /// ECDSA on P-256 with SHA-256.
    #[value(name = "ES256")]
    Es256,
}

/// `keys new`.
#[derive(Debug, Args)]
pub(crate) struct KeysNewArgs {
    /// The service (`SERVICE_ID`) the key is for: its `kid`.
    #[arg(long, value_name = "NAME", required_unless_present = "oct")]
    pub(crate) service: Option<String>,
    /// The algorithm of a service key.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value_t,
        conflicts_with = "oct"
    )]
    pub(crate) algorithm: ServiceKeyAlgorithm,
    /// An HMAC key (`oct`) instead, for a rotation of `JWT_SECRET_KEY` or `SERVICE_SECRET`.
    #[arg(long, requires = "kid", conflicts_with = "service")]
    pub(crate) oct: bool,
    /// With `--oct`: the key's id (`JWT_KEY_ID` or `SERVICE_KEY_ID` of its signer).
    #[arg(long, value_name = "ID", requires = "oct")]
    pub(crate) kid: Option<String>,
    /// With `--oct`: the key's length in bytes (32 for HS256, 64 for HS512).
    #[arg(long, default_value_t = 32, requires = "oct", value_parser = clap::value_parser!(u16).range(32..=256))]
    pub(crate) bytes: u16,
    /// Write the secret part (the PEM, or the key's value) to this new file, created with mode
    /// 0600; an existing file is never overwritten.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// With `--service` and `--out`: write a Kubernetes Secret of this name holding the key as
    /// `SERVICE_PRIVATE_KEY` (for the service's `envFrom`), rather than the bare PEM.
    #[arg(long, value_name = "NAME", requires = "out", requires = "service")]
    pub(crate) secret_name: Option<String>,
    /// Output format: text or json.
    #[arg(long, default_value = "text", value_parser = text_or_json())]
    pub(crate) format: Format,
}

/// How `keys bundle` prints the JWK Set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum BundleFormat {
    /// The JWK Set's JSON.
    #[default]
    Json,
    /// A Kubernetes ConfigMap (`--name`) holding it as `SERVICE_VERIFICATION_KEYS`.
    Configmap,
}

/// `keys bundle`.
#[derive(Debug, Args)]
pub(crate) struct KeysBundleArgs {
    /// Kubernetes YAML or JSON, Compose files, env files, directories of them; `-` reads
    /// standard input.
    #[arg(required = true, value_name = "PATH|-")]
    pub(crate) inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: BundleFormat,
    /// The ConfigMap's name, with `--format configmap`.
    #[arg(long, value_name = "NAME", required_if_eq("format", "configmap"))]
    pub(crate) name: Option<String>,
}

/// `template`.
#[derive(Debug, Args)]
pub(crate) struct TemplateArgs {
    /// The environment whose requirements the template follows (default development).
    #[arg(long, value_parser = parse_environment)]
    pub(crate) environment: Option<Environment>,
}

fn parse_environment(text: &str) -> Result<Environment, String> {
    text.parse()
        .map_err(|error: jwt_config::UnknownEnvironment| error.to_string())
}
