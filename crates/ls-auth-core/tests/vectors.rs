//! Runs every shared vector in `tests/vectors/*.json` (format: `tests/vectors/README.md`) and
//! reports every failure at once.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use ls_auth_core::client::{classify_api_key, inspect_key};
use ls_auth_core::header::{parse_authorization, www_authenticate};
use ls_auth_core::legacy::check_legacy_key;
use ls_auth_core::origin::CredentialScope;
use ls_auth_core::{
    authenticate, begin_authenticate, Error, ErrorKind, InMemoryRevocation, Issuer, Keyring,
    Lookup, OrgSettings, Principal, ShortKeys, SigningKey, TokenPolicy, Verifier,
};
use serde_json::{json, Map, Value};

/// Fewer cases than this means a file went missing or was emptied.
const MIN_CASES: usize = 110;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

type Outcome = Result<Value, String>;

fn code(e: Error) -> String {
    e.code().to_owned()
}

fn field<'a>(case: &'a Value, name: &str) -> &'a Value {
    case.get(name)
        .unwrap_or_else(|| panic!("case {} has no `{name}`", case["name"]))
}

/// The case's input as bytes: `input`, `input_hex` or `input_repeat`.
fn input_bytes(case: &Value) -> Vec<u8> {
    if let Some(s) = case.get("input").and_then(Value::as_str) {
        return s.as_bytes().to_vec();
    }
    if let Some(h) = case.get("input_hex").and_then(Value::as_str) {
        assert!(h.len() % 2 == 0, "odd input_hex in {}", case["name"]);
        return (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("input_hex"))
            .collect();
    }
    let r = field(case, "input_repeat");
    let count = r["count"].as_u64().expect("input_repeat.count") as usize;
    let (prefix, unit, suffix) = (
        r["prefix"].as_str().expect("prefix"),
        r["unit"].as_str().expect("unit"),
        r["suffix"].as_str().expect("suffix"),
    );
    let mut out = Vec::with_capacity(prefix.len() + unit.len() * count + suffix.len());
    out.extend_from_slice(prefix.as_bytes());
    for _ in 0..count {
        out.extend_from_slice(unit.as_bytes());
    }
    out.extend_from_slice(suffix.as_bytes());
    out
}

fn input_text(case: &Value) -> String {
    String::from_utf8(input_bytes(case)).expect("text input is UTF-8")
}

fn hex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect()
}

/// One keyring entry: an HS256 secret, an Ed25519 private key, or every key of a JWK Set.
fn entry(k: &Value, short_ok: bool) -> Result<Keyring, Error> {
    if let Some(jwks) = k.get("jwks").and_then(Value::as_str) {
        return Keyring::from_jwks(jwks);
    }
    if let Some(seed) = k.get("ed25519_seed_hex").and_then(Value::as_str) {
        let kid = k["kid"].as_str().expect("kid");
        return SigningKey::ed25519_seed(kid, &hex(seed)).map(Keyring::new);
    }
    let secret: Vec<u8> = match k.get("secret").and_then(Value::as_str) {
        Some(s) => s.as_bytes().to_vec(),
        None => hex(k["secret_hex"].as_str().expect("secret or secret_hex")),
    };
    SigningKey::hs256(&secret, ShortKeys::allowed_if(short_ok)).map(Keyring::new)
}

fn keyring(case: &Value) -> Result<Keyring, String> {
    let short_ok = field(case, "allow_short_key").as_bool().expect("bool");
    let keys = field(case, "keys").as_array().expect("keys");
    assert!(!keys.is_empty(), "case {} has no keys", case["name"]);
    let mut ring: Option<Keyring> = None;
    for k in keys {
        let more = entry(k, short_ok).map_err(code)?;
        ring = Some(match ring {
            None => more,
            Some(r) => r.with_keys(more).map_err(code)?,
        });
    }
    Ok(ring.expect("at least one key"))
}

fn policy(case: &Value) -> TokenPolicy {
    let p = field(case, "policy");
    let text = |v: &Value| v.as_str().map(str::to_owned);
    TokenPolicy {
        access_ttl: p["access_ttl"].as_u64().expect("access_ttl") as u32,
        leeway: p["leeway"].as_u64().expect("leeway") as u32,
        issuer: text(&p["issuer"]),
        audience: text(&p["audience"]),
        access_names_pat: p["access_names_pat"].as_bool().unwrap_or(false),
    }
}

fn settings(case: &Value) -> OrgSettings {
    serde_json::from_value(field(case, "settings").clone()).expect("settings")
}

fn revocation(case: &Value) -> InMemoryRevocation {
    let store = InMemoryRevocation::new();
    for jti in field(case, "revoked").as_array().expect("revoked") {
        store.revoke(jti.as_str().expect("jti"), i64::MAX);
    }
    store
}

fn issuer(case: &Value, ring: Keyring) -> Result<Issuer, String> {
    let jti = field(case, "mint")["jti"].as_str().expect("mint.jti");
    let rng = ls_auth_core::dangerous::InsecureFixedRandom::for_jti(jti).map_err(code)?;
    Ok(Issuer::with_random(ring, policy(case), rng))
}

fn claims_value(claims: &ls_auth_core::Claims) -> Value {
    Value::Object(claims.to_json())
}

fn principal_value(p: Principal<'_>) -> Value {
    match p {
        Principal::Jwt(c) => json!({"principal": "jwt", "claims": claims_value(&c)}),
        Principal::LegacyKey(k) => json!({"principal": "legacy", "key": k}),
    }
}

/// A two-step op's outcome: what step one named to look up (null when it refused), then the
/// outcome of step two.
fn two_step<P>(
    begin: Result<P, Error>,
    lookup: impl Fn(&P) -> Value,
    finish: impl FnOnce(P) -> Outcome,
) -> (Option<Value>, Outcome) {
    match begin {
        Err(e) => (Some(Value::Null), Err(code(e))),
        Ok(pending) => (Some(lookup(&pending)), finish(pending)),
    }
}

/// Runs a case: the lookup step one named (two-step ops only), and the outcome.
fn run_case(case: &Value) -> (Option<Value>, Outcome) {
    let op = field(case, "op").as_str().expect("op");
    if !op.ends_with("_two_step") {
        return (None, run(case));
    }
    let now = field(case, "now").as_i64().expect("now");
    let ring = match keyring(case) {
        Ok(ring) => ring,
        Err(c) => return (Some(Value::Null), Err(c)),
    };
    let user = |id: &str| json!({ "user_id": id });
    let input = input_text(case);
    match op {
        "authenticate_two_step" => {
            let bytes = input_bytes(case);
            let verifier = Verifier::new(ring, policy(case));
            two_step(
                begin_authenticate(&bytes, &verifier, now),
                |p| match (p.lookup(), p.lookup_pat_jti()) {
                    (Lookup::UserId(id), None) => user(id),
                    (Lookup::UserId(id), Some(pat)) => json!({ "user_id": id, "pat_jti": pat }),
                    (Lookup::LegacyKey(k), _) => json!({ "legacy_key": k }),
                },
                |p| {
                    p.admit_unrevoked(&settings(case), &revocation(case))
                        .map(principal_value)
                        .map_err(code)
                },
            )
        }
        "verify_refresh_two_step" => two_step(
            Verifier::new(ring, policy(case)).begin_refresh(&input, now),
            |p| user(p.lookup_user_id()),
            |p| {
                p.admit(&settings(case), &revocation(case))
                    .map(|c| claims_value(&c))
                    .map_err(code)
            },
        ),
        "refresh_two_step" | "rotate_two_step" => {
            let issuer = match issuer(case, ring) {
                Ok(i) => i,
                Err(c) => return (Some(Value::Null), Err(c)),
            };
            two_step(
                issuer.begin_refresh(&input, now),
                |p| user(p.lookup_user_id()),
                |p| {
                    if op == "refresh_two_step" {
                        issuer
                            .finish_refresh(p, &settings(case), &revocation(case))
                            .map(Value::String)
                            .map_err(code)
                    } else {
                        issuer
                            .finish_rotate(p, &settings(case), &revocation(case))
                            .map(|r| json!({"pat": r.pat, "revoked_jti": r.revoked_jti, "revoked_exp": r.revoked_exp, "forget_after": r.forget_after}))
                            .map_err(code)
                    }
                },
            )
        }
        other => panic!("case {}: unknown op {other}", case["name"]),
    }
}

fn run(case: &Value) -> Outcome {
    let op = field(case, "op").as_str().expect("op");
    let now = field(case, "now").as_i64().expect("now");
    match op {
        "parse_authorization" => {
            let bytes = input_bytes(case);
            parse_authorization(&bytes)
                .map(|c| json!({"scheme": c.scheme(), "token": c.token()}))
                .map_err(code)
        }
        "classify_api_key" => classify_api_key(&input_text(case), now)
            .map(|k| json!(k.as_str()))
            .map_err(code),
        "check_legacy_key" => check_legacy_key(&input_text(case))
            .map(|()| Value::Null)
            .map_err(code),
        "inspect_key" => inspect_key(&input_text(case))
            .map(|(shape, _)| json!(shape.as_str()))
            .map_err(code),
        "credential_scope" => {
            let base = field(case, "base_url").as_str().expect("base_url");
            CredentialScope::new(base)
                .map(|scope| Value::Bool(scope.allows(&input_text(case))))
                .map_err(code)
        }
        "www_authenticate" => ErrorKind::from_code(&input_text(case))
            .map(|kind| json!(www_authenticate(kind)))
            .ok_or_else(|| "invalid_argument".to_owned()),
        _ => {
            let ring = keyring(case)?;
            match op {
                "public_jwks" => Ok(Value::String(ring.public_jwks())),
                "verify_access" => Verifier::new(ring, policy(case))
                    .verify_access(&input_text(case), now)
                    .map(|c| claims_value(&c))
                    .map_err(code),
                "verify_refresh" => Verifier::new(ring, policy(case))
                    .verify_refresh(&input_text(case), &settings(case), &revocation(case), now)
                    .map(|c| claims_value(&c))
                    .map_err(code),
                "authenticate" => {
                    let bytes = input_bytes(case);
                    let verifier = Verifier::new(ring, policy(case));
                    authenticate(&bytes, &verifier, &settings(case), now)
                        .map(principal_value)
                        .map_err(code)
                }
                "mint_pat" => {
                    let mint = field(case, "mint");
                    let extra: Map<String, Value> =
                        mint["claims"].as_object().expect("mint.claims").clone();
                    let user = mint["user_id"].as_str().expect("mint.user_id");
                    issuer(case, ring)?
                        .mint_pat(user, &extra, &settings(case), now)
                        .map(Value::String)
                        .map_err(code)
                }
                "refresh" => issuer(case, ring)?
                    .refresh(&input_text(case), &settings(case), &revocation(case), now)
                    .map(Value::String)
                    .map_err(code),
                "rotate" => issuer(case, ring)?
                    .rotate(&input_text(case), &settings(case), &revocation(case), now)
                    .map(|r| json!({"pat": r.pat, "revoked_jti": r.revoked_jti, "revoked_exp": r.revoked_exp, "forget_after": r.forget_after}))
                    .map_err(code),
                other => panic!("case {}: unknown op {other}", case["name"]),
            }
        }
    }
}

fn show((lookup, v): &(Option<Value>, Outcome)) -> String {
    let mut s = match v {
        Ok(v) => format!("ok {v}"),
        Err(c) => format!("error {c}"),
    };
    if let Some(lookup) = lookup {
        s = format!("lookup {lookup}, {s}");
    }
    if s.len() > 400 {
        format!(
            "{}… ({} bytes)",
            &s[..s.floor_char_boundary_compat(400)],
            s.len()
        )
    } else {
        s
    }
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for String {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[test]
fn shared_vectors() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();

    let mut names = HashSet::new();
    let mut total = 0;
    let mut failures = String::new();
    let mut failed = 0;
    for file in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("readable"))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let cases = doc["cases"].as_array().expect("cases");
        for case in cases {
            total += 1;
            let name = field(case, "name").as_str().expect("name");
            assert!(names.insert(name.to_owned()), "duplicate case name {name}");
            let expect = field(case, "expect");
            let outcome: Outcome = match (expect.get("ok"), expect.get("error")) {
                (Some(v), None) => Ok(v.clone()),
                (None, Some(c)) => Err(c.as_str().expect("error code").to_owned()),
                _ => panic!("case {name}: expect needs exactly one of ok / error"),
            };
            let want = (expect.get("lookup").cloned(), outcome);
            let got = std::panic::catch_unwind(|| run_case(case))
                .unwrap_or_else(|_| (None, Err("PANIC".to_owned())));
            if got != want {
                failed += 1;
                let _ = writeln!(
                    failures,
                    "{} :: {name} [{}]\n    expected: {}\n    got:      {}",
                    file.file_name().unwrap().to_string_lossy(),
                    case["op"].as_str().unwrap_or("?"),
                    show(&want),
                    show(&got)
                );
            }
        }
    }
    assert!(
        total >= MIN_CASES,
        "only {total} vector cases found in {} (expected at least {MIN_CASES})",
        vectors_dir().display()
    );
    assert!(
        failed == 0,
        "{failed} of {total} vector cases failed:\n{failures}"
    );
    eprintln!("{total} vector cases passed ({} files)", files.len());
}
