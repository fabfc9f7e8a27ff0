//! `ls-auth whoami` and `ls-auth token create | list | revoke | rotate`: the user's own key
//! against the server's token endpoints, with the server's answers told plainly.

use std::io::Read;
use std::process::ExitCode;

use ls_auth_core::client::ApiKeyKind;
use ls_auth_core::jws::{decode_unverified, truncate};
use serde_json::{json, Value};

use crate::client::{self, Authorized, Reply, Server, ServerArgs};
use crate::progress::Spinner;
use crate::{time, CliError};

/// `ls-auth token …`.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a personal access token for the key's user and print it (shown once).
    Create(ServerArgs),
    /// List the user's valid personal access tokens (as the server lists them: truncated).
    List(ServerArgs),
    /// Revoke a personal access token: give its jti or truncated form (from `token list`),
    /// the whole token in --token-file or on standard input (`-`), or --this-key.
    Revoke {
        /// A jti (32 hex) or a truncated token (header.payload); `-` reads a token from standard
        /// input.
        #[arg(
            required_unless_present_any = ["this_key", "token_file"],
            conflicts_with_all = ["this_key", "token_file"]
        )]
        token: Option<String>,
        /// Read the token to revoke from this file (trailing whitespace trimmed).
        #[arg(long, value_name = "PATH", conflicts_with = "this_key")]
        token_file: Option<std::path::PathBuf>,
        /// Revoke the personal access token the command is run with.
        #[arg(long)]
        this_key: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Replace the key (a personal access token) by a new one and revoke it; print the new one.
    Rotate(ServerArgs),
}

/// Makes the key ready (exchanging a PAT), with a spinner on a terminal.
pub(crate) fn authorized(
    args: &ServerArgs,
    now: i64,
) -> Result<(Server, Authorized, ApiKeyKind), CliError> {
    let server = args.server()?;
    let key = args.api_key()?;
    let spinner = Spinner::start("authenticating", true);
    let authorized = client::authorize(&server, &key, now).map_err(|e| e.into_cli_error(&server));
    drop(spinner);
    let authorized = authorized?;
    let kind = authorized.cache.kind();
    Ok((server, authorized, kind))
}

pub(crate) fn refused(server: &Server, path: &str, reply: &Reply) -> CliError {
    if reply.status == 401 || reply.status == 403 {
        return CliError::Failed(format!(
            "{} refused the key ({}); run `ls-auth doctor` to find out why",
            server.url(path),
            reply.summary()
        ));
    }
    CliError::Failed(format!("{} answered {}", server.url(path), reply.summary()))
}

/// `ls-auth whoami`.
pub fn whoami(args: &ServerArgs, now: i64) -> Result<ExitCode, CliError> {
    let (server, mut authorized, kind) = authorized(args, now)?;
    let path = "/api/current-user/whoami";
    let reply = client::call(&server, &mut authorized, "GET", path, None)?;
    if reply.status != 200 {
        return Err(refused(&server, path, &reply));
    }
    let user = reply.json().unwrap_or(Value::Null);
    if args.json {
        crate::emit_json(&user);
        return Ok(ExitCode::SUCCESS);
    }
    let field = |k: &str| user.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let name = [field("first_name"), field("last_name")]
        .join(" ")
        .trim()
        .to_owned();
    out!(
        "user {}: {}{}",
        user.get("id")
            .map(Value::to_string)
            .unwrap_or_else(|| "?".into()),
        field("email"),
        if name.is_empty() {
            String::new()
        } else {
            format!(" ({name})")
        }
    );
    out!(
        "key: {} at {}",
        match kind {
            ApiKeyKind::Pat => "personal access token, exchanged for an access token",
            ApiKeyKind::Legacy => "legacy key, sent as 'Token <key>'",
            ApiKeyKind::Access => "access token, sent as 'Bearer <token>'",
        },
        server.base()
    );
    Ok(ExitCode::SUCCESS)
}

/// `ls-auth token …`.
pub fn run(command: &TokenCommand, now: i64) -> Result<ExitCode, CliError> {
    match command {
        TokenCommand::Create(args) => create(args, now),
        TokenCommand::List(args) => list(args, now),
        TokenCommand::Revoke {
            token,
            token_file,
            this_key,
            server,
        } => match token_file {
            Some(path) => revoke(
                server,
                Some(&crate::read_token_file(path)?),
                false,
                true,
                now,
            ),
            None => revoke(server, token.as_deref(), *this_key, false, now),
        },
        TokenCommand::Rotate(args) => rotate(args, now),
    }
}

fn create(args: &ServerArgs, now: i64) -> Result<ExitCode, CliError> {
    let (server, mut authorized, _) = authorized(args, now)?;
    let path = "/api/token/";
    let reply = client::call(&server, &mut authorized, "POST", path, None)?;
    match reply.status {
        201 => {}
        409 => {
            return Err(CliError::Failed(format!(
                "the server already holds a valid personal access token for this user and allows \
                 one at a time (HTTP 409: {}); revoke it first (`ls-auth token list`, then `ls-auth \
                 token revoke JTI`) or replace it with `ls-auth token rotate`",
                reply.detail().unwrap_or_default()
            )))
        }
        403 if reply
            .json()
            .is_some_and(|j| j.get("code").and_then(Value::as_str) == Some("access_token_not_enough")) =>
        {
            // Contract §3.11: a credential is never created with an access token.
            return Err(CliError::Failed(format!(
                "this server creates personal access tokens only from its web page (Account & \
                 Settings) or with the legacy key, not with a PAT (HTTP 403: {})",
                reply.detail().unwrap_or_default()
            )));
        }
        _ => return Err(refused(&server, path, &reply)),
    }
    let token = reply
        .json()
        .and_then(|j| j.get("token").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| CliError::Failed("the server's answer holds no token".into()))?;
    if args.json {
        crate::emit_json(&json!({ "token": token, "jti": jti_of(&token) }));
    } else {
        out!("{token}");
        err!(
            "note: store this token now: the server shows it only once (its list shows it truncated)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn jti_of(token: &str) -> Option<String> {
    decode_unverified(token)
        .ok()?
        .claims
        .get("jti")?
        .as_str()
        .map(str::to_owned)
}

fn listed(server: &Server, authorized: &mut Authorized) -> Result<Vec<String>, CliError> {
    let path = "/api/token/";
    let reply = client::call(server, authorized, "GET", path, None)?;
    if reply.status != 200 {
        return Err(refused(server, path, &reply));
    }
    Ok(reply
        .json()
        .and_then(|j| j.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.get("token").and_then(Value::as_str).map(str::to_owned))
        .collect())
}

fn list(args: &ServerArgs, now: i64) -> Result<ExitCode, CliError> {
    let (server, mut authorized, _) = authorized(args, now)?;
    let key = args.api_key()?;
    let this = truncate(&key).ok();
    let tokens = listed(&server, &mut authorized)?;
    let rows: Vec<Value> = tokens
        .iter()
        .map(|t| {
            let claims = decode_unverified(t).map(|d| d.claims).unwrap_or_default();
            json!({
                "jti": claims.get("jti"),
                "iat": claims.get("iat"),
                "exp": claims.get("exp"),
                "token": t,
                "this_key": this == Some(t.as_str()),
            })
        })
        .collect();
    if args.json {
        crate::emit_json(&Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        out!("no valid personal access token");
    }
    for row in rows {
        let at = |k: &str| row[k].as_i64().map(time::utc).unwrap_or_else(|| "?".into());
        out!(
            "{}  issued {}  expires {}{}",
            row["jti"].as_str().unwrap_or("?"),
            at("iat"),
            at("exp"),
            if row["this_key"] == true {
                "  (this key)"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `from_file`: `token` was read from a file, so it may be a whole token.
fn revoke(
    args: &ServerArgs,
    token: Option<&str>,
    this_key: bool,
    from_file: bool,
    now: i64,
) -> Result<ExitCode, CliError> {
    let key = args.api_key()?;
    let target = if this_key {
        if !matches!(
            ls_auth_core::client::classify_api_key(&key, now),
            Ok(ApiKeyKind::Pat)
        ) {
            return Err(CliError::Usage(
                "--this-key revokes a personal access token; this key is not one (a legacy key is \
                 reset in Account & Settings)"
                    .into(),
            ));
        }
        key.to_string()
    } else {
        let arg = token.unwrap_or_default();
        if from_file {
            arg.to_owned()
        } else if arg == "-" {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| CliError::Usage(format!("cannot read standard input: {e}")))?;
            input.trim().to_owned()
        } else if arg.len() == 32 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
            // A jti: find the token it belongs to in the user's list.
            let (server, mut authorized, _) = authorized(args, now)?;
            listed(&server, &mut authorized)?
                .into_iter()
                .find(|t| jti_of(t).as_deref() == Some(arg))
                .ok_or_else(|| {
                    CliError::Failed(format!(
                        "no valid personal access token with jti {arg} in this user's list: \
                         already revoked or expired (`ls-auth token list` shows the valid ones)"
                    ))
                })?
        } else if decode_unverified(arg).is_ok_and(|d| !d.truncated) {
            return Err(CliError::Usage(
                "a whole token on the command line would leak it (shell history, ps): give its jti \
                 or truncated form, --token-file PATH, or `-` and the token on standard input"
                    .into(),
            ));
        } else {
            arg.to_owned()
        }
    };
    let jti = jti_of(&target);
    let path = "/api/token/blacklist/";
    let body = json!({ "refresh": target });
    // A whole PAT revokes itself without credentials. The truncated form (what the token list
    // shows) is revoked as its owner: a server running ls-auth refuses it from anyone else
    // (stock Label Studio takes it from anyone, unauthenticated).
    let truncated = decode_unverified(&target).map_or(true, |t| t.truncated);
    let (server, reply) = if truncated {
        let (server, mut authorized, _) = authorized(args, now)?;
        let reply = client::call(&server, &mut authorized, "POST", path, Some(&body))?;
        (server, reply)
    } else {
        let server = args.server()?;
        let reply = server
            .send("POST", path, None, Some(&body))
            .map_err(|e| CliError::Failed(e.to_string()))?;
        (server, reply)
    };
    let which = jti.map(|j| format!(" (jti {j})")).unwrap_or_default();
    match reply.status {
        204 | 200 => {
            if args.json {
                crate::emit_json(&json!({ "revoked": true, "jti": jti_of(&target) }));
            } else {
                out!("revoked{which}");
            }
            Ok(ExitCode::SUCCESS)
        }
        404 => Err(CliError::Failed(format!(
            "the server did not revoke the token{which}: it is already revoked, or not a token this \
             server issued (HTTP 404: {})",
            reply.detail().unwrap_or_default()
        ))),
        _ => Err(refused(&server, path, &reply)),
    }
}

fn rotate(args: &ServerArgs, now: i64) -> Result<ExitCode, CliError> {
    let key = args.api_key()?;
    if !matches!(
        ls_auth_core::client::classify_api_key(&key, now),
        Ok(ApiKeyKind::Pat)
    ) {
        return Err(CliError::Usage(
            "rotate replaces a personal access token; this key is not one (a legacy key is reset \
             in Account & Settings)"
                .into(),
        ));
    }
    let (server, mut authorized, _) = authorized(args, now)?;
    let path = "/api/token/rotate/";
    let reply = client::call(
        &server,
        &mut authorized,
        "POST",
        path,
        Some(&json!({ "refresh": *key })),
    )?;
    match reply.status {
        200 => {}
        400 => {
            return Err(CliError::Failed(format!(
                "the server refused to rotate this token: it is invalid or already revoked ({})",
                reply.summary()
            )))
        }
        _ => return Err(refused(&server, path, &reply)),
    }
    let new = reply
        .json()
        .and_then(|j| j.get("refresh").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| CliError::Failed("the server's answer holds no token".into()))?;
    if args.json {
        crate::emit_json(
            &json!({ "token": new, "jti": jti_of(&new), "revoked_jti": jti_of(&key) }),
        );
    } else {
        out!("{new}");
        err!(
            "note: the old token{} is revoked; use the new one from now on (e.g. in {})",
            jti_of(&key)
                .map(|j| format!(" (jti {j})"))
                .unwrap_or_default(),
            client::KEY_ENV
        );
    }
    Ok(ExitCode::SUCCESS)
}
