//! The diagnosis table: one row per way `doctor` can end, with its stable name, its exit code,
//! its line in `doctor --help` and what to do about it. Everything else (the `--help` text, the
//! `--json` fields, the test that no two rows share a code) is derived from it.

/// One row per diagnosis: `Variant => (name, exit code, --help line, advice)`.
macro_rules! diagnoses {
    ($( $(#[$doc:meta])* $variant:ident => ($code:literal, $exit:literal, $help:literal, $advice:expr), )*) => {
        /// What is wrong, each with its exit code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Diagnosis {
            $( $(#[$doc])* $variant, )*
        }

        impl Diagnosis {
            /// Every diagnosis, in exit-code order.
            pub const ALL: [Diagnosis; [$( stringify!($variant) ),*].len()] =
                [$( Diagnosis::$variant ),*];

            /// The stable name printed and put in `--json`.
            pub const fn code(self) -> &'static str {
                match self { $( Diagnosis::$variant => $code, )* }
            }

            /// The process exit code (see [`exit_codes`]).
            pub const fn exit_code(self) -> u8 {
                match self { $( Diagnosis::$variant => $exit, )* }
            }

            /// What it means, in one line of `doctor --help`.
            pub const fn help(self) -> &'static str {
                match self { $( Diagnosis::$variant => $help, )* }
            }

            /// What to do about it.
            pub const fn advice(self) -> &'static str {
                match self { $( Diagnosis::$variant => $advice, )* }
            }
        }
    };
}

/// The advice for a PAT sent itself, whichever scheme carried it.
const PAT_IS_EXCHANGED: &str = "a personal access token is a refresh token: POST it to \
    /api/token/refresh/ as {\"refresh\": PAT} and send the access token it returns as \
    'Authorization: Bearer <access>' (the SDK and ls_auth.contrib.sdk do this for you)";

diagnoses! {
    /// The key works.
    Ok => ("ok", 0, "the key works against this server",
        "nothing: this key works against this server"),
    /// The server refused in a way no other row explains.
    Unexplained => ("unexplained", 1,
        "the server refused in a way doctor cannot explain (its answer is shown)",
        "the server's answer is shown above; check the server's logs for that request"),
    ServerUnreachable => ("server_unreachable", 10,
        "no answer from the URL (refused, unknown host, timeout)",
        "check the URL (scheme, host, port) and that the server is running and reachable \
         from here (proxy settings: HTTPS_PROXY, NO_PROXY)"),
    TlsUntrusted => ("tls_untrusted", 11,
        "the server's certificate is not trusted: pass --ca-file",
        "pass the CA that signed the server's certificate with --ca-file PATH; SDK users \
         pass it to their httpx client (verify=…), which ls_auth.contrib.sdk also uses \
         for the refresh"),
    NotLabelStudio => ("not_label_studio", 12,
        "no Label Studio API at this URL (a missing or wrong sub-path?)",
        "if Label Studio is served under a sub-path, the URL must include it \
         (https://host/labelstudio); the SDK's own refresh drops a sub-path that has no \
         trailing slash, ls_auth.contrib.sdk keeps it either way"),
    KeyMalformed => ("key_malformed", 20,
        "the key is neither a JWT nor a 40-hex legacy key (a pasted scheme, quotes…)",
        "set the key alone (no 'Token '/'Bearer ', no quotes or spaces), as copied from \
         Account & Settings"),
    KeyTruncated => ("key_truncated", 21,
        "the key is the server's truncated listing form (header.payload)",
        "this is how the server lists a token (header.payload); it authenticates nothing. \
         Use the full token shown once when it was created, or create a new one"),
    KeyIsAccessToken => ("key_is_access_token", 22,
        "the key is a 5-minute access token, not an API key",
        "use your personal access token (or legacy key) as the API key; access tokens \
         are what clients exchange it for, and they expire within minutes"),
    PatExpired => ("pat_expired", 23, "the personal access token has expired",
        "create a new personal access token (Account & Settings, or `ls-auth token \
         create` with a working key)"),
    PatRevoked => ("pat_revoked", 30,
        "the server has revoked (blacklisted) the personal access token",
        "create a new personal access token; this one was revoked"),
    PatRejected => ("pat_rejected", 31,
        "the server refuses the PAT: not signed with its key, or its user is gone",
        "this token was not issued by this server (another server, or its SECRET_KEY \
         changed), or its user no longer exists: create a new token on this server"),
    PatsDisabled => ("pats_disabled", 32,
        "the organisation has turned personal access tokens off",
        "an administrator can turn personal access tokens on (Organization > API Tokens \
         Settings), or use a legacy key if those are enabled"),
    LegacyDisabled => ("legacy_disabled", 33, "the organisation has turned legacy keys off",
        "an administrator can turn legacy tokens on (Organization > API Tokens Settings), \
         or use a personal access token"),
    LegacyKeyUnknown => ("legacy_key_unknown", 34,
        "the server has no such legacy key (reset, deleted, another server's)",
        "copy the current key from Account & Settings (a reset replaces it) and check the \
         URL points at the server that issued it"),
    PatSentAsBearer => ("pat_sent_as_bearer", 40,
        "--sent-as bearer: a PAT is exchanged, never sent as Bearer", PAT_IS_EXCHANGED),
    PatSentAsToken => ("pat_sent_as_token", 41,
        "--sent-as token: a PAT is exchanged, never sent as Token", PAT_IS_EXCHANGED),
    LegacySentAsBearer => ("legacy_sent_as_bearer", 42,
        "--sent-as bearer: a legacy key goes with Token, not Bearer",
        "send a legacy key as 'Authorization: Token <key>'"),
    ClockSkew => ("clock_skew", 50,
        "this machine's clock is off the server's by more than tokens tolerate",
        "synchronise this machine's clock (NTP); tokens are judged by the server's clock"),
    SecretMismatch => ("secret_mismatch", 51,
        "the secret given (--secret-file, --env-file, LS_AUTH_SECRET) is not the server's key",
        "the secret given is not the SECRET_KEY this server signs with: a service \
         verifying this server's tokens with it refuses them all (invalid_signature)"),
}

/// The exit code of a usage error (clap's, and every other command's): no diagnosis takes it.
const USAGE: (u8, &str, &str) = (2, "usage", "no URL, no key, an unreadable file");

/// The exit codes, for `doctor --help`: one line per diagnosis, and the usage error's.
pub fn exit_codes() -> String {
    let mut rows: Vec<_> = Diagnosis::ALL
        .iter()
        .map(|d| (d.exit_code(), d.code(), d.help()))
        .chain([USAGE])
        .collect();
    rows.sort_by_key(|(exit, ..)| *exit);
    let mut text = "Exit codes (one per diagnosis):".to_owned();
    for (exit, code, help) in rows {
        text.push_str(&format!("\n{exit:>4} {code:<24}{help}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_diagnosis_has_its_own_exit_code_and_a_help_line() {
        let help = exit_codes();
        let mut codes = std::collections::HashSet::from([USAGE.0]);
        let mut names = std::collections::HashSet::from([USAGE.1]);
        for d in Diagnosis::ALL {
            assert!(
                codes.insert(d.exit_code()),
                "{d:?} reuses exit code {}",
                d.exit_code()
            );
            assert!(names.insert(d.code()), "{d:?} reuses {}", d.code());
            let line = format!("{:>4} {:<24}{}", d.exit_code(), d.code(), d.help());
            assert!(help.lines().any(|l| l == line), "--help lacks {line:?}");
            assert!(!d.advice().is_empty() && !d.help().is_empty());
            // The padding keeps the help column aligned only for names that fit it.
            assert!(d.code().len() < 24, "{d:?}'s name breaks the --help column");
        }
        // --help lists nothing else, in exit-code order.
        assert_eq!(help.lines().count(), 1 + Diagnosis::ALL.len() + 1);
        assert!(help.contains("\n   2 usage                   no URL"));
        let exits: Vec<u8> = Diagnosis::ALL.iter().map(|d| d.exit_code()).collect();
        assert!(exits.windows(2).all(|w| w[0] < w[1]), "rows out of order");
    }

    /// The README's "Why am I getting 401?" table names every diagnosis that is a cause, in a
    /// row that gives its exit code (alone, in a list, or in a range such as `20–22`).
    #[test]
    fn the_readme_table_lists_every_cause_with_its_exit_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(path).expect("the repository's README.md");
        for d in Diagnosis::ALL {
            if matches!(d, Diagnosis::Ok | Diagnosis::Unexplained) {
                continue;
            }
            let name = format!("`{}`", d.code());
            let row = readme
                .lines()
                .find(|l| l.starts_with('|') && l.contains(&name))
                .unwrap_or_else(|| panic!("README's 401 table lacks {name}"));
            let exits = row.trim_end_matches('|').rsplit('|').next().unwrap();
            let listed = exits
                .split(',')
                .map(str::trim)
                .any(|e| match e.split_once('–') {
                    Some((a, b)) => {
                        (a.parse().unwrap()..=b.parse().unwrap()).contains(&d.exit_code())
                    }
                    None => e.parse() == Ok(d.exit_code()),
                });
            assert!(
                listed,
                "README gives {name} the exit code(s) {exits:?}, not {}",
                d.exit_code()
            );
        }
    }
}
