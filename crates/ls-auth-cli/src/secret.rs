//! Where the HMAC key comes from: `--secret-file`, `--env-file` or `LS_AUTH_SECRET`, never argv.
//!
//! The secret is held in [`Zeroizing`] buffers from the moment it is read, and is only ever
//! handed to the core as bytes to build a [`Keyring`].

use std::path::Path;

use ls_auth_core::{ErrorKind, Keyring, ShortKeys, SigningKey};
use zeroize::Zeroizing;

use crate::CliError;

/// The environment variable read when no key flag is given.
pub const SECRET_ENV: &str = "LS_AUTH_SECRET";

/// The key options shared by every command that signs or verifies.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeySource {
    /// Read the key from this file (its trailing newline is trimmed).
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "env_file")]
    pub secret_file: Option<std::path::PathBuf>,
    /// Read the key from `SECRET_KEY=` in this dotenv file (e.g. Label Studio's `.env`).
    #[arg(long, value_name = "PATH", global = true)]
    pub env_file: Option<std::path::PathBuf>,
    /// Accept a key shorter than 32 bytes (many Django SECRET_KEYs are); such a key can be
    /// brute-forced from a single token.
    #[arg(long, global = true)]
    pub allow_short_key: bool,
}

impl KeySource {
    /// Whether a secret was given at all (a flag, or `LS_AUTH_SECRET`): `doctor` checks it only
    /// then.
    pub fn given(&self) -> bool {
        self.secret_file.is_some()
            || self.env_file.is_some()
            || std::env::var_os(SECRET_ENV).is_some()
    }

    /// Reads the secret and builds an HS256 keyring from it.
    pub fn keyring(&self) -> Result<Keyring, CliError> {
        let secret = self.read()?;
        let key = SigningKey::hs256(&secret, ShortKeys::allowed_if(self.allow_short_key));
        key.map(Keyring::new).map_err(|e| {
            if e.kind() == ErrorKind::KeyTooShort && !self.allow_short_key && !secret.is_empty() {
                CliError::core_with_hint(
                    e,
                    "the key is shorter than 32 bytes, as many Django SECRET_KEYs are; \
                     pass --allow-short-key to accept it anyway",
                )
            } else {
                CliError::Core(e, None)
            }
        })
    }

    fn read(&self) -> Result<Zeroizing<Vec<u8>>, CliError> {
        if let Some(path) = &self.secret_file {
            let mut bytes = Zeroizing::new(read_file(path)?.to_vec());
            while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                bytes.pop();
            }
            return Ok(bytes);
        }
        if let Some(path) = &self.env_file {
            let text = read_file(path)?;
            let text = std::str::from_utf8(&text)
                .map_err(|_| CliError::Usage(format!("{} is not UTF-8 text", path.display())))?;
            return secret_from_dotenv(text)?.ok_or_else(|| {
                CliError::Usage(format!("no SECRET_KEY= line in {}", path.display()))
            });
        }
        match std::env::var(SECRET_ENV) {
            Ok(value) => Ok(Zeroizing::new(value.into_bytes())),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(CliError::Usage(format!("{SECRET_ENV} is not valid UTF-8")))
            }
            Err(std::env::VarError::NotPresent) => Err(CliError::Usage(format!(
                "no key: pass --secret-file PATH or --env-file PATH, or set {SECRET_ENV} \
                 (the key is never accepted on the command line)"
            ))),
        }
    }
}

fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))
}

/// The value of the last `SECRET_KEY=` line of a dotenv file, read exactly as Label Studio
/// 1.23.2 reads its data-directory `.env` (django-environ 0.10 `Env.read_env`): a line is
/// `[export ]NAME=value` with nothing around `=`; a value in `'…'` is taken literally; in
/// `"…"`, `\x` becomes `x` except that `\n`, `\r` and `\t` stay as typed; no comments are
/// stripped. Reading it any other way would verify with a key the server does not use.
pub fn secret_from_dotenv(text: &str) -> Result<Option<Zeroizing<Vec<u8>>>, CliError> {
    let mut found = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = line.strip_prefix("export ").unwrap_or(line);
        if let Some(value) = line.strip_prefix("SECRET_KEY=") {
            found = Some(value);
        }
    }
    let Some(raw) = found else {
        return Ok(None);
    };
    // django-environ treats a value starting with `$` as the name of another variable.
    if raw.starts_with('$') {
        return Err(CliError::Usage(
            "SECRET_KEY in the env file starts with `$`, which Label Studio reads as a reference \
             to another variable; pass the key with --secret-file instead"
                .into(),
        ));
    }
    Ok(Some(dotenv_value(raw)))
}

fn dotenv_value(raw: &str) -> Zeroizing<Vec<u8>> {
    let quoted = |q: char| {
        raw.strip_prefix(q)
            .and_then(|r| r.strip_suffix(q))
            .filter(|_| raw.len() >= 2)
    };
    // The single-quote rule runs first and its result is then checked for double quotes,
    // as django-environ does.
    let value = quoted('\'').unwrap_or(raw);
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| value.len() >= 2)
    else {
        return Zeroizing::new(value.as_bytes().to_vec());
    };
    let mut out = Zeroizing::new(Vec::with_capacity(inner.len()));
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let mut buf = [0u8; 4];
        match (c, chars.clone().next()) {
            ('\\', Some(e)) => {
                chars.next();
                if matches!(e, 'r' | 'n' | 't') {
                    out.push(b'\\');
                }
                out.extend_from_slice(e.encode_utf8(&mut buf).as_bytes());
            }
            _ => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Option<String> {
        secret_from_dotenv(text)
            .unwrap()
            .map(|v| String::from_utf8(v.to_vec()).unwrap())
    }

    #[test]
    fn reads_like_label_studio() {
        // Each expectation is what django-environ 0.10.0 (Label Studio 1.23.2) reads.
        assert_eq!(secret("SECRET_KEY=abc#def\n").as_deref(), Some("abc#def"));
        assert_eq!(secret("SECRET_KEY=abc #note").as_deref(), Some("abc #note"));
        assert_eq!(
            secret("export SECRET_KEY='a b\\'c'").as_deref(),
            Some("a b\\'c")
        );
        assert_eq!(secret("SECRET_KEY='x'").as_deref(), Some("x"));
        assert_eq!(
            secret("SECRET_KEY=\"x\\\"y\\n\\q\\\\\"").as_deref(),
            Some("x\"y\\nq\\")
        );
        assert_eq!(secret("SECRET_KEY='\"q\"'").as_deref(), Some("q"));
        assert_eq!(
            secret("# c\nOTHER=1\r\nSECRET_KEY=a\r\nSECRET_KEY=b").as_deref(),
            Some("b")
        );
        assert_eq!(secret("SECRET_KEY = spaced\nOTHER=1"), None);
        assert_eq!(secret(" SECRET_KEY=indented"), None);
        assert_eq!(secret("SECRET_KEY_FALLBACKS=a\n"), None);
        assert_eq!(secret("SECRET_KEY=\"").as_deref(), Some("\""));
        assert_eq!(secret("SECRET_KEY=").as_deref(), Some(""));
        assert!(secret_from_dotenv("SECRET_KEY=$OTHER").is_err());
    }
}
