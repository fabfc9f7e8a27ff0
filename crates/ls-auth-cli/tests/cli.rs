//! Runs the built `ls-auth` binary and checks its outputs and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const KEY: &str = "a-test-secret-key-of-at-least-32-bytes!";
const NOW: i64 = 1_700_000_000;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ls-auth"));
    cmd.env_remove("LS_AUTH_SECRET");
    cmd
}

/// Runs with the key in `LS_AUTH_SECRET` and `--now NOW`.
fn run(args: &[&str]) -> Output {
    run_stdin(args, None)
}

fn run_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = bin();
    cmd.env("LS_AUTH_SECRET", KEY)
        .args(["--now", &NOW.to_string()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn ok(o: Output) -> String {
    assert_eq!(
        code(&o),
        0,
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

fn mint(user: &str) -> String {
    ok(run(&["mint-pat", "--user-id", user])).trim().to_owned()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn status(o: &Output) -> String {
    stdout(o)
        .lines()
        .find_map(|l| l.strip_prefix("status: "))
        .unwrap_or_else(|| panic!("no status in {}", stdout(o)))
        .to_owned()
}

#[test]
fn demo_exits_zero_and_every_step_is_ok() {
    let out = ok(bin().arg("demo").output().unwrap());
    assert!(out.contains("all 14 steps behaved as expected"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    for code in [
        "wrong_token_type",
        "token_kind_disabled",
        "token_revoked",
        "token_expired",
        "must now look it up",
    ] {
        assert!(out.contains(code), "{code} missing from {out}");
    }
    // A fixed time works too.
    ok(bin()
        .args(["demo", "--now", "1700000000"])
        .output()
        .unwrap());
}

#[test]
fn mint_pat_verifies_as_refresh_with_its_claims() {
    let pat = ok(run(&[
        "mint-pat",
        "--user-id",
        "42",
        "--ttl-days",
        "2",
        "--claim",
        "org=7",
        "--claim",
        "name=alice",
        "--claim",
        "tags=[\"a\",1]",
    ]));
    let pat = pat.trim();
    assert_eq!(pat.split('.').count(), 3);
    let claims = json(&ok(run(&["verify", "--kind", "refresh", pat])));
    assert_eq!(claims["token_type"], "refresh");
    assert_eq!(claims["user_id"], "42");
    assert_eq!(claims["iat"], NOW);
    assert_eq!(claims["exp"], NOW + 2 * 86_400);
    assert_eq!(claims["org"], 7);
    assert_eq!(claims["name"], "alice");
    assert_eq!(claims["tags"], serde_json::json!(["a", 1]));
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
}

#[test]
fn reserved_claims_are_refused_by_the_core() {
    let o = run(&["mint-pat", "--user-id", "1", "--claim", "exp=5"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with("error: invalid_argument: "),
        "{}",
        stderr(&o)
    );
    let o = run(&["mint-pat", "--user-id", "1", "--claim", "novalue"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn a_claim_given_twice_is_refused_not_the_last_kept() {
    let o = run(&[
        "mint-pat",
        "--user-id",
        "1",
        "--claim",
        "role=user",
        "--claim",
        "role=admin",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("unique member names"), "{}", stderr(&o));
}

#[test]
fn refresh_gives_an_access_token_that_verifies() {
    let pat = mint("9");
    let access = ok(run(&["refresh", &pat])).trim().to_owned();
    let claims = json(&ok(run(&["verify", &access])));
    assert_eq!(claims["token_type"], "access");
    assert_eq!(claims["user_id"], "9");
    assert_eq!(claims["exp"], NOW + 300);
    // The access token is refused where a PAT is expected.
    let o = run(&["verify", "--kind", "refresh", &access]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("wrong_token_type"));
}

#[test]
fn pat_verified_as_access_is_wrong_token_type() {
    let pat = mint("1");
    let o = run(&["verify", &pat]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).starts_with("error: wrong_token_type: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn now_equal_to_exp_is_expired_and_leeway_helps() {
    let access = ok(run(&["refresh", &mint("1")])).trim().to_owned();
    let at_exp = (NOW + 300).to_string();
    let o = bin()
        .env("LS_AUTH_SECRET", KEY)
        .args(["verify", &access, "--now", &at_exp])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with("error: token_expired: "),
        "{}",
        stderr(&o)
    );
    let o = bin()
        .env("LS_AUTH_SECRET", KEY)
        .args(["verify", &access, "--now", &at_exp, "--leeway", "1"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn rotate_prints_new_pat_and_revoked_jti() {
    let pat = mint("3");
    let out = ok(run(&["rotate", &pat]));
    let mut lines = out.lines();
    let new_pat = lines.next().unwrap();
    let revoked = lines.next().unwrap().strip_prefix("revoked_jti: ").unwrap();
    let old = json(&ok(run(&["verify", "--kind", "refresh", &pat])));
    assert_eq!(old["jti"], revoked);
    let new = json(&ok(run(&["verify", "--kind", "refresh", new_pat])));
    assert_eq!(new["user_id"], "3");
    assert_ne!(new["jti"], revoked);
}

#[test]
fn secret_from_file_env_file_and_env_var() {
    let dir = std::env::temp_dir().join(format!("ls-auth-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pat = mint("5");

    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, format!("{KEY}\n")).unwrap();
    let o = bin()
        .args(["--secret-file", secret_file.to_str().unwrap()])
        .args(["verify", "--kind", "refresh", &pat, "--now", "1700000001"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // `verify` of the PAT with the key read from a .env holding `content`.
    let env_file = dir.join(".env");
    let with_env_file = |content: &str| {
        std::fs::write(&env_file, content).unwrap();
        bin()
            .args(["verify", "--kind", "refresh", &pat, "--now", "1700000001"])
            .args(["--env-file", env_file.to_str().unwrap()])
            .output()
            .unwrap()
    };
    for line in [
        format!("SECRET_KEY={KEY}"),
        format!("export SECRET_KEY='{KEY}'"),
        format!("SECRET_KEY=\"{KEY}\""),
        format!("SECRET_KEY=wrong-key-from-an-earlier-line-123456\nSECRET_KEY={KEY}"),
    ] {
        let o = with_env_file(&format!("# Label Studio\nDEBUG=1\n{line}\n"));
        assert_eq!(code(&o), 0, "{line}: {}", stderr(&o));
    }

    // Label Studio keeps a trailing comment as part of the value, so the key differs.
    let o = with_env_file(&format!("SECRET_KEY={KEY} # the server's key\n"));
    assert!(
        stderr(&o).starts_with("error: invalid_signature: "),
        "{}",
        stderr(&o)
    );

    // A key starting with `$` is one Label Studio would read as a variable reference after a
    // restart: refused with that reason, not used as written.
    let o = with_env_file("SECRET_KEY=$abcdefghijklmnopqrstuvwxyz0123456789\n");
    assert!(
        code(&o) != 0 && stderr(&o).contains("starts with `$`"),
        "{}",
        stderr(&o)
    );

    // A different key refuses the signature.
    std::fs::write(&secret_file, "another-key-that-is-at-least-32-bytes").unwrap();
    let o = bin()
        .args(["--secret-file", secret_file.to_str().unwrap()])
        .args(["verify", "--kind", "refresh", &pat])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).starts_with("error: invalid_signature: "));

    // A short key needs the opt-in.
    std::fs::write(&secret_file, "short-django-key\n").unwrap();
    let args = [
        "--secret-file",
        secret_file.to_str().unwrap(),
        "mint-pat",
        "--user-id",
        "1",
    ];
    let o = bin().args(args).output().unwrap();
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).starts_with("error: key_too_short: "));
    assert!(stderr(&o).contains("--allow-short-key"));
    let o = bin().args(args).arg("--allow-short-key").output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_secret_is_a_clear_error() {
    let o = bin().args(["mint-pat", "--user-id", "1"]).output().unwrap();
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("no key"), "{err}");
    assert!(
        err.contains("LS_AUTH_SECRET") && err.contains("--secret-file"),
        "{err}"
    );
    let o = bin()
        .args([
            "--env-file",
            "/nonexistent/.env",
            "mint-pat",
            "--user-id",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot read /nonexistent/.env"));
}

#[test]
fn dash_reads_the_token_from_stdin() {
    let pat = mint("11");
    let o = run_stdin(
        &["verify", "--kind", "refresh", "-"],
        Some(&format!("{pat}\n")),
    );
    assert_eq!(json(&ok(o))["user_id"], "11");
    let o = run_stdin(&["refresh", "-"], Some(&format!("  {pat}  \r\n")));
    // Only trailing whitespace is trimmed: leading spaces make it malformed.
    assert_eq!(code(&o), 1);
    let o = run_stdin(&["inspect", "--json", "-"], Some(&pat));
    assert_eq!(json(&ok(o))["kind"], "pat");
}

#[test]
fn header_answers_like_a_server() {
    let access = ok(run(&["refresh", &mint("8")])).trim().to_owned();
    let o = run(&["header", &format!("Bearer {access}")]);
    assert_eq!(code(&o), 0);
    assert_eq!(status(&o), "200");
    assert!(stdout(&o).contains("user_id \"8\""));

    let o = run(&["header", "Bearer a b"]);
    assert_eq!(code(&o), 1);
    assert_eq!(status(&o), "400");
    assert!(stdout(&o).contains("error=\"invalid_request\""));
    assert!(stdout(&o).contains("error: malformed_header: "));

    let o = run(&["header", &format!("Bearer {}", mint("8"))]);
    assert_eq!((code(&o), status(&o)), (1, "401".to_owned()));
    assert!(stdout(&o).contains("error=\"invalid_token\""));
    assert!(stdout(&o).contains("error: wrong_token_type: "));

    let o = run(&["header", ""]);
    assert_eq!((code(&o), status(&o)), (1, "401".to_owned()));
    assert!(stdout(&o).contains("www-authenticate: Bearer realm=\"api\"\n"));
    assert!(stdout(&o).contains("no_credentials"));

    let legacy = "0123456789abcdef0123456789abcdef01234567";
    let o = run(&["header", &format!("Token {legacy}")]);
    assert_eq!((code(&o), status(&o)), (1, "401".to_owned()));
    assert!(stdout(&o).contains("token_kind_disabled"));
    let o = run(&[
        "header",
        &format!("Token {legacy}"),
        "--org-settings",
        r#"{"legacy_api_tokens_enabled":true}"#,
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(status(&o).starts_with("200"));
    assert!(stdout(&o).contains("must look it up"));

    let o = run(&["header", "x", "--org-settings", r#"{"nope":1}"#]);
    assert_eq!(code(&o), 2);
}

#[test]
fn legacy_new_and_check() {
    let key = ok(run(&["legacy", "new"])).trim().to_owned();
    assert_eq!(key.len(), 40);
    assert!(key
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_ne!(key, ok(run(&["legacy", "new"])).trim());
    assert!(ok(run(&["legacy", "check", &key])).starts_with("ok: "));
    let o = run(&["legacy", "check", &key.to_uppercase()]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).starts_with("error: malformed_token: "));
}

#[test]
fn inspect_needs_no_key_and_reports_kind_and_times() {
    let pat = mint("1");
    let access = ok(run(&["refresh", &pat])).trim().to_owned();
    let inspect = |token: &str, now: i64| {
        let o = bin()
            .args(["inspect", "--json", token, "--now", &now.to_string()])
            .output()
            .unwrap();
        json(&ok(o))
    };
    let d = inspect(&access, NOW + 50);
    assert_eq!(d["kind"], "access");
    assert_eq!(
        d["header"],
        serde_json::json!({"alg": "HS256", "typ": "JWT"})
    );
    assert_eq!(d["claims"]["user_id"], "1");
    assert_eq!(d["expiry"]["relative"], "expires in 4m 10s");
    assert_eq!(d["expiry"]["utc"], "2023-11-14 22:18:20 UTC");
    assert_eq!(d["issued"]["relative"], "issued 50s ago");
    assert_eq!(d["signature_checked"], false);
    let d = inspect(&access, NOW + 300 + 3 * 86_400 + 2 * 3_600);
    assert_eq!(d["expiry"]["relative"], "expired 3d 2h ago");
    assert_eq!(inspect(&pat, NOW)["kind"], "pat");
    let truncated = pat.rsplit_once('.').unwrap().0;
    assert_eq!(inspect(truncated, NOW)["kind"], "truncated");
    assert_eq!(inspect(truncated, NOW)["token_type"], "refresh");
    let legacy = "0123456789abcdef0123456789abcdef01234567";
    assert_eq!(inspect(legacy, NOW)["kind"], "legacy");

    let text = ok(bin()
        .args(["inspect", &access, "--now", "1700000050"])
        .output()
        .unwrap());
    assert!(text.contains("access token"), "{text}");
    assert!(text.contains("(expires in 4m 10s)"), "{text}");
    let o = bin().args(["inspect", "not a token"]).output().unwrap();
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).starts_with("error: malformed_token: "));
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["frobnicate"][..],
        &["verify"],
        &["verify", "x", "--kind", "weird"],
        &["mint-pat"],
        &["--now", "soon", "demo"],
        &["--secret-file", "a", "--env-file", "b", "verify", "x"],
        &["legacy"],
    ] {
        let o = bin().args(args).output().unwrap();
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty() || args == ["legacy"], "{args:?}");
    }
    // --help is not an error.
    assert!(ok(bin().arg("--help").output().unwrap()).contains("LS_AUTH_SECRET"));
}
