//! `ls-auth org show | set`: the organisation's API-token switches through the server's own
//! `api/jwt/settings` endpoint, so an organisation can be changed without the web UI.
//!
//! `set` reads the settings first and writes them back whole with the requested changes, as the
//! web page does: a server that treats a missing field as "reset to default" changes nothing
//! the user did not ask for.

use std::process::ExitCode;

use ls_auth_core::client::ApiKeyKind;
use serde_json::{Map, Value};

use crate::client::{self, Authorized, Reply, Server, ServerArgs};
use crate::tokens::{authorized, refused};
use crate::CliError;

const PATH: &str = "/api/jwt/settings";
const PATS: &str = "api_tokens_enabled";
const LEGACY: &str = "legacy_api_tokens_enabled";
/// Only servers that keep the PAT lifetime per organisation and expose it answer this field;
/// stock Label Studio 1.23 does not.
const TTL: &str = "api_token_ttl_days";

/// `ls-auth org …`.
#[derive(Debug, clap::Subcommand)]
pub enum OrgCommand {
    /// Print the organisation's token settings (the key's user's active organisation).
    Show(ServerArgs),
    /// Change the organisation's token settings (needs a key allowed to change the organisation).
    Set {
        /// Personal access tokens (and the access tokens made from them).
        #[arg(long, value_enum, value_name = "on|off")]
        api_tokens: Option<Switch>,
        /// Legacy `Token` keys.
        #[arg(long, value_enum, value_name = "on|off")]
        legacy_tokens: Option<Switch>,
        /// Lifetime of new personal access tokens, in days (only where the server exposes it).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        ttl_days: Option<u32>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    fn enabled(self) -> bool {
        self == Switch::On
    }
}

/// `ls-auth org …`.
pub fn run(command: &OrgCommand, now: i64) -> Result<ExitCode, CliError> {
    match command {
        OrgCommand::Show(args) => show(args, now),
        OrgCommand::Set {
            api_tokens,
            legacy_tokens,
            ttl_days,
            server,
        } => set(server, *api_tokens, *legacy_tokens, *ttl_days, now),
    }
}

fn show(args: &ServerArgs, now: i64) -> Result<ExitCode, CliError> {
    let (server, mut authorized, _) = authorized(args, now)?;
    let settings = read(&server, &mut authorized, "see")?;
    print(args, &server, &settings);
    Ok(ExitCode::SUCCESS)
}

fn set(
    args: &ServerArgs,
    api_tokens: Option<Switch>,
    legacy_tokens: Option<Switch>,
    ttl_days: Option<u32>,
    now: i64,
) -> Result<ExitCode, CliError> {
    if api_tokens.is_none() && legacy_tokens.is_none() && ttl_days.is_none() {
        return Err(CliError::Usage(
            "nothing to set: give --api-tokens, --legacy-tokens or --ttl-days".into(),
        ));
    }
    let (server, mut authorized, kind) = authorized(args, now)?;
    let mut settings = read(&server, &mut authorized, "change")?;
    if ttl_days.is_some() && !settings.contains_key(TTL) {
        return Err(CliError::Failed(format!(
            "{} does not expose the token lifetime ({TTL}): this server keeps it out of its API, \
             so --ttl-days cannot be applied; nothing was changed",
            server.url(PATH)
        )));
    }
    if let Some(s) = api_tokens {
        settings.insert(PATS.into(), Value::Bool(s.enabled()));
    }
    if let Some(s) = legacy_tokens {
        settings.insert(LEGACY.into(), Value::Bool(s.enabled()));
    }
    if let Some(days) = ttl_days {
        settings.insert(TTL.into(), Value::from(days));
    }
    let body = Value::Object(settings);
    let reply = client::call(&server, &mut authorized, "POST", PATH, Some(&body))?;
    if !(200..300).contains(&reply.status) {
        return Err(not_allowed(&server, &reply, "change")
            .unwrap_or_else(|| refused(&server, PATH, &reply)));
    }
    let written = object(&reply).unwrap_or_else(|| match body {
        Value::Object(m) => m,
        _ => unreachable!("built as an object"),
    });
    print(args, &server, &written);
    let own_kind_off = match kind {
        ApiKeyKind::Pat | ApiKeyKind::Access => api_tokens == Some(Switch::Off),
        ApiKeyKind::Legacy => legacy_tokens == Some(Switch::Off),
    };
    if own_kind_off {
        eprintln!(
            "note: the key this command ran with is of the kind just turned off: it is refused \
             from now on; turn it back on with another kind of key or in the web UI"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `GET api/jwt/settings`, as a JSON object.
fn read(
    server: &Server,
    authorized: &mut Authorized,
    verb: &str,
) -> Result<Map<String, Value>, CliError> {
    let reply = client::call(server, authorized, "GET", PATH, None)?;
    if reply.status != 200 {
        return Err(not_allowed(server, &reply, verb).unwrap_or_else(|| {
            if reply.status == 404 {
                CliError::Failed(format!(
                    "{} does not exist (HTTP 404): the server has no organisation token settings \
                     (Label Studio before 1.18?)",
                    server.url(PATH)
                ))
            } else {
                refused(server, PATH, &reply)
            }
        }));
    }
    object(&reply).ok_or_else(|| {
        CliError::Failed(format!(
            "{} answered HTTP 200 but not with a JSON object",
            server.url(PATH)
        ))
    })
}

/// A 403: the key works but its user may not see or change the organisation.
fn not_allowed(server: &Server, reply: &Reply, verb: &str) -> Option<CliError> {
    (reply.status == 403).then(|| {
        CliError::Failed(format!(
            "the key's user may not {verb} the organisation's token settings at {} ({}): use an \
             administrator's or owner's key",
            server.url(PATH),
            reply.summary()
        ))
    })
}

fn object(reply: &Reply) -> Option<Map<String, Value>> {
    match reply.json()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn print(args: &ServerArgs, server: &Server, settings: &Map<String, Value>) {
    if args.json {
        crate::emit_json(&Value::Object(settings.clone()));
        return;
    }
    let switch = |k: &str| match settings.get(k) {
        Some(Value::Bool(true)) => "on",
        Some(Value::Bool(false)) => "off",
        _ => "not reported",
    };
    out!("organisation token settings at {}", server.base());
    out!("  personal access tokens: {}", switch(PATS));
    out!("  legacy tokens:          {}", switch(LEGACY));
    if let Some(days) = settings.get(TTL).and_then(Value::as_u64) {
        out!("  PAT lifetime:           {days} days");
    }
}
