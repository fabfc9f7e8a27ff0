//! `ls-auth doctor`: whether this key works against this server and, if not, exactly why.
//!
//! Each step either passes or ends the run with one [`Diagnosis`], which has its own exit code.
//! What a key is, when it expires, which header carries it and when a cached access token is
//! due come from `ls-auth-core`; what the server says is asked of the server.

//!
//! The diagnoses are one table (`diagnosis.rs`); each step is a module of its own, run in the
//! order [`Doctor::examine`] lists.

use std::process::ExitCode;

use serde_json::json;

use crate::client::{NoReply, Server, ServerArgs};
use crate::progress::{Outcome, Steps};
use crate::secret::KeySource;
use crate::CliError;

mod clock;
mod diagnosis;
mod exchange;
mod key;
mod request;
mod secret;
mod server;
mod settings;

pub use diagnosis::{exit_codes, Diagnosis};

/// `doctor`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// How your client sends the key itself (e.g. curl -H 'Authorization: Bearer KEY'):
    /// doctor checks that this is how this kind of key is sent, and asks the server.
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub sent_as: Option<Scheme>,
}

/// An `Authorization` scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scheme {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `Authorization: Token <key>`.
    Token,
}

/// A step that ended the run.
struct Stop(Diagnosis);

struct Doctor<'a> {
    server: &'a Server,
    key: &'a str,
    now: i64,
    steps: Steps,
    server_now: Option<i64>,
    keyring: Option<ls_auth_core::Keyring>,
}

/// Runs `doctor`.
pub fn run(args: &DoctorArgs, secret: &KeySource, now: i64) -> Result<ExitCode, CliError> {
    let server = args.server.server()?;
    let key = args.server.api_key()?;
    let keyring = if secret.given() {
        Some(secret.keyring()?)
    } else {
        None
    };
    let mut doctor = Doctor {
        server: &server,
        key: &key,
        now,
        steps: Steps::new(args.server.json),
        server_now: None,
        keyring,
    };
    let diagnosis = match doctor.examine(args.sent_as) {
        Ok(()) => Diagnosis::Ok,
        Err(Stop(d)) => d,
    };
    if args.server.json {
        crate::emit_json(&json!({
            "url": server.base(),
            "diagnosis": diagnosis.code(),
            "exit_code": diagnosis.exit_code(),
            "advice": diagnosis.advice(),
            "steps": doctor.steps.recorded(),
        }));
    } else {
        out!(
            "diagnosis: {} (exit {})",
            diagnosis.code(),
            diagnosis.exit_code()
        );
        out!("what to do: {}", diagnosis.advice());
    }
    Ok(ExitCode::from(diagnosis.exit_code()))
}

impl Doctor<'_> {
    fn fail(&mut self, d: Diagnosis, name: &str, detail: &str) -> Stop {
        self.steps.finish(Outcome::Fail, name, detail);
        Stop(d)
    }

    fn no_reply(&mut self, name: &str, e: NoReply) -> Stop {
        match e {
            NoReply::Tls(m) => self.fail(Diagnosis::TlsUntrusted, name, &m),
            NoReply::Unreachable(m) => self.fail(Diagnosis::ServerUnreachable, name, &m),
            NoReply::OutOfScope(m) => self.fail(Diagnosis::Unexplained, name, &m),
        }
    }

    /// The steps, in order: each passes or ends the run with its diagnosis.
    fn examine(&mut self, sent_as: Option<Scheme>) -> Result<(), Stop> {
        self.check_server()?;
        let kind = self.check_key()?;
        let authorized = self.check_exchange(kind)?;
        self.check_request(kind, &authorized)?;
        if let Some(scheme) = sent_as {
            self.check_scheme(kind, &authorized, scheme)?;
        }
        let settings = self.read_settings(&authorized);
        self.check_clock(kind, &authorized)?;
        if let Some(keyring) = self.keyring.clone() {
            self.check_secret(kind, &authorized, keyring, settings)?;
        }
        Ok(())
    }
}
