//! Where the HMAC key comes from: `--secret-file`, `--env-file` or `LS_AUTH_SECRET`, never argv.
//!
//! The secret is held in [`Zeroizing`] buffers from the moment it is read, and is only ever
//! handed to the core as bytes to build a [`Keyring`].

use std::path::Path;

use ls_auth_core::{Algorithm, ErrorKind, Keyring, SigningKey};
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
    /// Reads the secret and builds an HS256 keyring from it.
    pub fn keyring(&self) -> Result<Keyring, CliError> {
        let secret = self.read()?;
        let key = if self.allow_short_key {
            SigningKey::new_allowing_short_key(Algorithm::HS256, &secret)
        } else {
            SigningKey::new(Algorithm::HS256, &secret)
        };
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
            return secret_from_dotenv(text).ok_or_else(|| {
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

/// The value of the last `SECRET_KEY=` assignment of a dotenv file, read as python-dotenv
/// (which Label Studio uses) reads it: `export ` prefix allowed, `'…'` literal with `\'` and
/// `\\` escapes, `"…"` with backslash escapes, unquoted values cut at a ` #` comment.
pub fn secret_from_dotenv(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.trim_end() == "SECRET_KEY" {
            found = Some(dotenv_value(value.trim_start()));
        }
    }
    found
}

fn dotenv_value(raw: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(raw.len()));
    let mut chars = raw.chars();
    match raw.chars().next() {
        Some(quote @ ('\'' | '"')) => {
            chars.next();
            while let Some(c) = chars.next() {
                if c == quote {
                    break;
                }
                let c = if c == '\\' {
                    match (quote, chars.clone().next()) {
                        ('\'', Some(e @ ('\\' | '\''))) => {
                            chars.next();
                            e
                        }
                        ('"', Some(e @ ('\\' | '\'' | '"'))) => {
                            chars.next();
                            e
                        }
                        ('"', Some(e @ ('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v'))) => {
                            chars.next();
                            match e {
                                'a' => '\x07',
                                'b' => '\x08',
                                'f' => '\x0c',
                                'n' => '\n',
                                'r' => '\r',
                                't' => '\t',
                                _ => '\x0b',
                            }
                        }
                        _ => c,
                    }
                } else {
                    c
                };
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        _ => {
            // python-dotenv: an unquoted value ends at whitespace followed by `#`.
            let mut end = raw.len();
            let bytes = raw.as_bytes();
            for i in 1..bytes.len() {
                if bytes[i] == b'#' && bytes[i - 1].is_ascii_whitespace() {
                    end = i;
                    break;
                }
            }
            out.extend_from_slice(raw[..end].trim_end().as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Option<String> {
        secret_from_dotenv(text).map(|v| String::from_utf8(v.to_vec()).unwrap())
    }

    #[test]
    fn reads_the_forms_label_studio_writes() {
        assert_eq!(secret("SECRET_KEY=abc#def\n").as_deref(), Some("abc#def"));
        assert_eq!(secret("SECRET_KEY=abc #note").as_deref(), Some("abc"));
        assert_eq!(
            secret("export SECRET_KEY='a b\\'c'").as_deref(),
            Some("a b'c")
        );
        assert_eq!(
            secret("# c\nOTHER=1\nSECRET_KEY = \"x\\\"y\\n\" # c").as_deref(),
            Some("x\"y\n")
        );
        assert_eq!(secret("SECRET_KEY=a\nSECRET_KEY=b").as_deref(), Some("b"));
        assert_eq!(secret("SECRET_KEY_FALLBACKS=a\n"), None);
        assert_eq!(secret("SECRET_KEY=").as_deref(), Some(""));
    }
}
