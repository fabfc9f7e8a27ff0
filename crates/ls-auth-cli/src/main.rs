//! `ls-auth`: inspect, verify, mint and refresh Label Studio API tokens from the command line.
//!
//! Every rule comes from `ls-auth-core`; this binary only reads keys, the clock and
//! arguments, and prints. Exit codes: 0 success, 1 refused or failed, 2 usage error.
#![forbid(unsafe_code)]

/// `println!` that ends the process quietly when standard output is closed (`ls-auth … | head`)
/// instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}

mod client;
mod commands;
mod demo;
mod doctor;
mod generate;
mod inspect;
mod org;
mod progress;
mod secret;
mod time;
mod tokens;

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Inspect, verify, mint and refresh Label Studio API tokens";

const LONG_ABOUT: &str = "Inspect, verify, mint and refresh Label Studio API tokens.

The key (the server's SECRET_KEY) comes from --secret-file PATH, --env-file PATH (a dotenv \
file with SECRET_KEY=, such as Label Studio's .env) or the LS_AUTH_SECRET environment \
variable; never from the command line. Wherever a command takes a TOKEN, `-` reads it from \
standard input.

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
        /// The token, or `-` to read it from standard input.
        token: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Verify a token; print its claims as JSON (exit 0) or `error: <code>: <message>` (exit 1).
    Verify {
        /// The token, or `-` to read it from standard input.
        token: String,
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
    Refresh {
        /// The PAT, or `-` to read it from standard input.
        pat: String,
        #[command(flatten)]
        settings: commands::SettingsArg,
    },
    /// Replace a PAT by a new one; print the new PAT and the revoked jti to record.
    Rotate {
        /// The PAT, or `-` to read it from standard input.
        pat: String,
        #[command(flatten)]
        settings: commands::SettingsArg,
    },
    /// Authenticate an Authorization header value and print what a server would answer.
    Header {
        /// The header value, e.g. 'Bearer eyJ…' (empty for no header), or `-` for standard input.
        value: String,
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
    #[command(after_long_help = doctor::EXIT_CODES)]
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
    Check {
        /// The key, or `-` to read it from standard input.
        key: String,
    },
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
                eprintln!("error: {}: {}", e.code(), e.message());
                if let Some(hint) = hint {
                    eprintln!("hint: {hint}");
                }
                ExitCode::from(1)
            }
            CliError::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            CliError::Failed(message) => {
                eprintln!("error: {message}");
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

/// Writes one line to standard output; a closed pipe ends the process with exit code 1.
pub fn emit(line: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(1);
    }
}

/// A TOKEN argument: itself, or standard input (trailing whitespace trimmed) for `-`.
fn token_arg(arg: String) -> Result<String, CliError> {
    if arg != "-" {
        return Ok(arg);
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| CliError::Usage(format!("cannot read standard input: {e}")))?;
    input.truncate(input.trim_end().len());
    Ok(input)
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let now = time::now(cli.now);
    let key = &cli.key;
    match cli.command {
        Command::Inspect { token, json } => {
            let described = inspect::describe(&token_arg(token)?, now)?;
            if json {
                out!("{described:#}");
            } else {
                out!("{}", inspect::render(&described));
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
            &token_arg(token)?,
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
        Command::Refresh { pat, settings } => {
            commands::refresh(key, &token_arg(pat)?, &settings, now)
        }
        Command::Rotate { pat, settings } => {
            commands::rotate(key, &token_arg(pat)?, &settings, now)
        }
        Command::Header { value, settings } => {
            commands::header(key, &token_arg(value)?, &settings, now)
        }
        Command::Legacy(LegacyCommand::New) => commands::legacy_new(),
        Command::Legacy(LegacyCommand::Check { key }) => commands::legacy_check(&token_arg(key)?),
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
