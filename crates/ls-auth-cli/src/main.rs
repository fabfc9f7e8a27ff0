//! `ls-auth`: inspect, verify, mint and refresh Label Studio API tokens from the command line.
//!
//! Every rule comes from `ls-auth-core`; this binary only reads keys, the clock and
//! arguments, and prints. Exit codes: 0 success, 1 refused or failed, 2 usage error.
#![forbid(unsafe_code)]

/// `println!` of one line, escaped (see `escape`), that ends the process quietly when standard
/// output is closed (`ls-auth … | head`) instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}

/// `eprintln!` of one line, escaped (see `escape`).
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::emit_err(format_args!($($arg)*))
    };
}

mod client;
mod commands;
mod demo;
mod doctor;
mod escape;
mod generate;
mod inspect;
mod org;
mod progress;
mod secret;
mod time;
mod tokens;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use zeroize::Zeroizing;

const ABOUT: &str = "Inspect, verify, mint and refresh Label Studio API tokens";

const LONG_ABOUT: &str = "Inspect, verify, mint and refresh Label Studio API tokens.

The key (the server's SECRET_KEY) comes from --secret-file PATH, --env-file PATH (a dotenv \
file with SECRET_KEY=, such as Label Studio's .env) or the LS_AUTH_SECRET environment \
variable; never from the command line. Wherever a command takes a TOKEN, prefer \
--token-file PATH or `-` (standard input) to the token itself: an argument is visible to other \
users of this machine (`ps`) and stays in shell history. Commands that talk to a server read \
the API key from --api-key-file or LABEL_STUDIO_API_KEY only.

A server URL must be https://, or http:// to this machine (localhost, 127.0.0.0/8, [::1]): \
over plain http to another host the API key travels in clear text, so such a URL is refused \
unless --allow-insecure-http is given. Redirects are never followed: a credential goes only to \
the URL given.

Revocation: ls-auth keeps no persistent revocation store. `refresh`, `rotate` and \
`verify --kind refresh` check an in-process store that starts empty on every run, so `rotate` \
prints the revoked jti for you to record in your server's blacklist.

Exit codes: 0 success, 1 refused or failed, 2 usage error.";

#[derive(Debug, Parser)]
#[command(name = "ls-auth", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(flatten)]
    key: secret::KeySource,
    /// Use this time (seconds since the epoch) instead of the system clock.
    #[arg(
        long,
        value_name = "EPOCH",
        global = true,
        allow_negative_numbers = true
    )]
    now: Option<i64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what a token or key is (kind, header, claims, times) without any key.
    Inspect {
        #[command(flatten)]
        token: TokenArg,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify a token; print its claims as JSON (exit 0) or `error: <code>: <message>` (exit 1).
    Verify {
        #[command(flatten)]
        token: TokenArg,
        /// What the token must be: an access token (Bearer) or a PAT (refresh).
        #[arg(long, value_enum, default_value_t = Kind::Access)]
        kind: Kind,
        /// Clock skew tolerated on exp, nbf and iat, in seconds.
        #[arg(long, value_name = "S", default_value_t = 0)]
        leeway: u32,
        #[command(flatten)]
        settings: commands::SettingsArg,
    },
    /// Mint a personal access token for a user and print it.
    MintPat {
        /// The user's id (a string, as Label Studio stores it).
        #[arg(long, value_name = "ID")]
        user_id: String,
        /// Lifetime in days (default: the organisation's PAT TTL, 73000).
        #[arg(long, value_name = "N")]
        ttl_days: Option<u32>,
        /// An extra claim; V is JSON when it parses as JSON, else a string. Repeatable.
        #[arg(long = "claim", value_name = "K=V")]
        claims: Vec<String>,
        #[command(flatten)]
        settings: commands::SettingsArg,
    },
    /// Exchange a PAT for an access token and print it (POST /api/token/refresh/).
    #[command(mut_arg("token", |a| a.value_name("PAT")))]
    Refresh {
        #[command(flatten)]
        pat: TokenArg,
        #[command(flatten)]
        settings: commands::SettingsArg,
    },
    /// Replace a PAT by a new one; print the new PAT and the revoked jti to record.
    #[command(mut_arg("token", |a| a.value_name("PAT")))]
    Rotate {
        #[command(flatten)]
        pat: TokenArg,
        #[command(flatten)]
        settings: commands::SettingsArg,
    },
    /// Authenticate an Authorization header value and print what a server would answer.
    #[command(mut_arg("token", |a| a.value_name("VALUE").help(
        "The header value, e.g. 'Bearer eyJ…' (empty for no header); `-` reads standard input. \
         An argument shows in `ps` and shell history: prefer --token-file or `-`"
    )))]
    Header {
        #[command(flatten)]
        value: TokenArg,
        #[command(flatten)]
        settings: commands::SettingsArg,
    },
    /// Legacy `Token` keys.
    #[command(subcommand)]
    Legacy(LegacyCommand),
    /// Walk through the life of API tokens on an embedded demo-only key; exit 0 when every
    /// step behaves as expected.
    Demo,
    /// Show who the API key belongs to on a server (a PAT is exchanged first).
    Whoami(client::ServerArgs),
    /// Explain, step by step, whether the API key works against a server and, if not, why.
    #[command(after_long_help = doctor::exit_codes())]
    Doctor(doctor::DoctorArgs),
    /// Create, list, revoke or rotate personal access tokens on a server.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Show or change the organisation's API-token settings on a server (PATs, legacy keys).
    #[command(subcommand)]
    Org(org::OrgCommand),
    /// Write shell completions or man pages, made from these very definitions.
    #[command(subcommand)]
    Generate(generate::Generate),
}

#[derive(Debug, Subcommand)]
enum LegacyCommand {
    /// Generate a new legacy key (40 lowercase hex characters).
    New,
    /// Check that a key has the legacy form.
    #[command(mut_arg("token", |a| a.value_name("KEY")))]
    Check {
        #[command(flatten)]
        key: TokenArg,
    },
}

/// A token: an argument, `-` for standard input, or `--token-file`.
#[derive(Debug, Clone, clap::Args)]
struct TokenArg {
    /// The token; `-` reads standard input. An argument shows in `ps` and shell history: prefer
    /// --token-file or `-`.
    #[arg(
        value_name = "TOKEN",
        required_unless_present = "token_file",
        conflicts_with = "token_file"
    )]
    token: Option<String>,
    /// Read the token from this file (trailing whitespace trimmed).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
}

impl TokenArg {
    fn read(self) -> Result<Zeroizing<String>, CliError> {
        match (self.token, self.token_file) {
            (_, Some(path)) => read_token_file(&path),
            (Some(token), None) => token_arg(token),
            (None, None) => Err(CliError::Usage("no token given".into())),
        }
    }
}

/// Which kind of JWT `verify` expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// An access token, as sent with `Authorization: Bearer`.
    Access,
    /// A PAT (simplejwt refresh token), as presented for refresh.
    Refresh,
}

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The core refused: printed as `error: <code>: <message>`, exit 1, with an optional hint.
    Core(ls_auth_core::Error, Option<&'static str>),
    /// The command was used wrongly (no key, unreadable file, bad argument): exit 2.
    Usage(String),
    /// A server refused or did not answer: printed as `error: <message>`, exit 1.
    Failed(String),
}

impl CliError {
    fn core_with_hint(e: ls_auth_core::Error, hint: &'static str) -> Self {
        CliError::Core(e, Some(hint))
    }

    fn report(&self) -> ExitCode {
        match self {
            CliError::Core(e, hint) => {
                err!("error: {}: {}", e.code(), e.message());
                if let Some(hint) = hint {
                    err!("hint: {hint}");
                }
                ExitCode::from(1)
            }
            CliError::Usage(message) => {
                err!("error: {message}");
                ExitCode::from(2)
            }
            CliError::Failed(message) => {
                err!("error: {message}");
                ExitCode::from(1)
            }
        }
    }
}

impl From<ls_auth_core::Error> for CliError {
    fn from(e: ls_auth_core::Error) -> Self {
        CliError::Core(e, None)
    }
}

/// Writes one line, escaped, to standard output; a closed pipe ends the process with exit
/// code 1.
pub fn emit(line: std::fmt::Arguments<'_>) {
    write_out(&escape::line(&line.to_string()));
}

/// Writes a JSON document (pretty-printed), escaped, to standard output.
pub fn emit_json(value: &serde_json::Value) {
    write_out(&escape::json(&format!("{value:#}")));
}

fn write_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(1);
    }
}

/// Writes one line, escaped, to standard error.
pub fn emit_err(line: std::fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", escape::line(&line.to_string()));
}

/// A TOKEN argument: itself, or standard input (trailing whitespace trimmed) for `-`.
fn token_arg(arg: String) -> Result<Zeroizing<String>, CliError> {
    if arg != "-" {
        return Ok(Zeroizing::new(arg));
    }
    let mut input = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| CliError::Usage(format!("cannot read standard input: {e}")))?;
    let end = input.trim_end().len();
    input.truncate(end);
    Ok(input)
}

/// A token read from a file, trailing whitespace (its newline) trimmed.
pub fn read_token_file(path: &std::path::Path) -> Result<Zeroizing<String>, CliError> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?,
    );
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::Usage(format!("{} is not UTF-8 text", path.display())))?;
    Ok(Zeroizing::new(text.trim_end().to_owned()))
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let now = time::now(cli.now);
    let key = &cli.key;
    match cli.command {
        Command::Inspect { token, json } => {
            let described = inspect::describe(&token.read()?, now)?;
            if json {
                emit_json(&described);
            } else {
                for line in inspect::render(&described) {
                    out!("{line}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            token,
            kind,
            leeway,
            settings,
        } => commands::verify(
            key,
            &token.read()?,
            kind == Kind::Refresh,
            leeway,
            &settings,
            now,
        ),
        Command::MintPat {
            user_id,
            ttl_days,
            claims,
            settings,
        } => commands::mint_pat(key, &user_id, ttl_days, &claims, &settings, now),
        Command::Refresh { pat, settings } => commands::refresh(key, &pat.read()?, &settings, now),
        Command::Rotate { pat, settings } => commands::rotate(key, &pat.read()?, &settings, now),
        Command::Header { value, settings } => {
            commands::header(key, &value.read()?, &settings, now)
        }
        Command::Legacy(LegacyCommand::New) => commands::legacy_new(),
        Command::Legacy(LegacyCommand::Check { key }) => commands::legacy_check(&key.read()?),
        Command::Demo => Ok(if demo::run(now) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }),
        Command::Whoami(args) => tokens::whoami(&args, now),
        Command::Doctor(args) => doctor::run(&args, key, now),
        Command::Token(command) => tokens::run(&command, now),
        Command::Org(command) => org::run(&command, now),
        Command::Generate(what) => generate::run(what),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => e.report(),
    }
}
