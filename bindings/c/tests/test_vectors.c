/*
 * Runs every case of tests/vectors/ JSON files (format: tests/vectors/README.md) through the C API.
 * Usage: test_vectors <tests/vectors directory>
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_auth.h"
#include "check.h"
#include "json.h"

static int cases_run, boundary_refused;

/* ---- revocation store over a list of jtis ---- */
typedef struct {
  char **jtis;
  size_t n, cap;
  int64_t last_forget_after; /* what the core handed to the last recorded revocation */
} store;

static bool store_has(store *s, const char *jti, size_t len) {
  for (size_t i = 0; i < s->n; i++)
    if (strlen(s->jtis[i]) == len && !memcmp(s->jtis[i], jti, len)) return true;
  return false;
}

static void store_add(store *s, const char *jti, size_t len) {
  if (s->n == s->cap) {
    s->cap = s->cap * 2 + 4;
    s->jtis = realloc(s->jtis, s->cap * sizeof(char *));
    if (!s->jtis) abort();
  }
  char *copy = malloc(len + 1);
  if (!copy) abort();
  memcpy(copy, jti, len);
  copy[len] = '\0';
  s->jtis[s->n++] = copy;
}

static bool cb_is_revoked(void *ctx, const char *jti, size_t len) { return store_has(ctx, jti, len); }

static bool cb_revoke_if_active(void *ctx, const char *jti, size_t len, int64_t forget_after, int64_t now) {
  (void)now;
  if (store_has(ctx, jti, len)) return false;
  store_add(ctx, jti, len);
  ((store *)ctx)->last_forget_after = forget_after;
  return true;
}

static void store_free(store *s) {
  for (size_t i = 0; i < s->n; i++) free(s->jtis[i]);
  free(s->jtis);
}

/* ---- helpers ---- */
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  abort();
}

static unsigned char *from_hex(const jval *v, size_t *len) {
  *len = v->len / 2;
  unsigned char *out = malloc(*len + 1);
  if (!out) abort();
  for (size_t i = 0; i < *len; i++) out[i] = (unsigned char)(hexval(v->s[2 * i]) * 16 + hexval(v->s[2 * i + 1]));
  return out;
}

/* The case's input bytes: input, input_hex or input_repeat. */
static char *case_input(const jval *c, size_t *len) {
  const jval *v;
  if ((v = j_get(c, "input"))) {
    char *out = malloc(v->len + 1);
    if (!out) abort();
    memcpy(out, v->s, v->len + 1);
    *len = v->len;
    return out;
  }
  if ((v = j_get(c, "input_hex"))) return (char *)from_hex(v, len);
  v = j_get(c, "input_repeat");
  if (!v) abort();
  const jval *prefix = j_get(v, "prefix"), *unit = j_get(v, "unit"), *suffix = j_get(v, "suffix");
  long long count = strtoll(j_get(v, "count")->s, NULL, 10);
  jbuf b = {0};
  jb_put(&b, "", 0);
  if (prefix) jb_put(&b, prefix->s, prefix->len);
  for (long long i = 0; i < count; i++) jb_put(&b, unit->s, unit->len);
  if (suffix) jb_put(&b, suffix->s, suffix->len);
  *len = b.len;
  return b.p;
}

/* The result value whose snake_case code is `name`, found through the library itself. */
static ls_auth_result result_named(const char *name, size_t len) {
  for (uint32_t code = 0; code < 1000; code++) {
    char buf[64];
    size_t n;
    if (ls_auth_result_code(code, buf, sizeof buf, &n) == LS_AUTH_OK && n == len && !memcmp(buf, name, len))
      return (ls_auth_result)code;
  }
  fprintf(stderr, "unknown error code %.*s\n", (int)len, name);
  abort();
}

static bool result_known(const char *name, size_t len) {
  for (uint32_t code = 0; code < 1000; code++) {
    char buf[64];
    size_t n;
    if (ls_auth_result_code(code, buf, sizeof buf, &n) == LS_AUTH_OK && n == len && !memcmp(buf, name, len)) return true;
  }
  return false;
}

static int64_t jint(const jval *v) { return (int64_t)strtoll(v->s, NULL, 10); }

static ls_auth_org_settings case_settings(const jval *c) {
  ls_auth_org_settings s;
  ls_auth_org_settings_default(&s);
  const jval *j = j_get(c, "settings");
  s.api_tokens_enabled = j_get(j, "api_tokens_enabled")->b;
  s.legacy_api_tokens_enabled = j_get(j, "legacy_api_tokens_enabled")->b;
  s.pat_ttl_days = (uint32_t)jint(j_get(j, "pat_ttl_days"));
  s.enforce_ttl_on_existing = j_get(j, "enforce_ttl_on_existing")->b;
  /* peers.json (made by real peers) predates the field: absent is the default. */
  const jval *org = j_get(j, "has_organization");
  if (org) s.has_organization = org->b;
  return s;
}

/* One keyring entry that is not an HS256 secret: an Ed25519 private key or a JWK Set. */
static ls_auth_result build_entry(const jval *k, ls_auth_keyring **out) {
  const jval *jwks = j_get(k, "jwks");
  if (jwks) return ls_auth_keyring_from_jwks(jwks->s, jwks->len, out);
  const jval *kid = j_get(k, "kid");
  size_t len;
  unsigned char *seed = from_hex(j_get(k, "ed25519_seed_hex"), &len);
  ls_auth_result rc = ls_auth_keyring_new_ed25519(kid->s, kid->len, seed, len, out);
  free(seed);
  return rc;
}

static ls_auth_result build_keyring(const jval *c, ls_auth_keyring **out) {
  const jval *keys = j_get(c, "keys");
  const jval *short_ok = j_get(c, "allow_short_key");
  bool allow = short_ok && short_ok->b;
  ls_auth_keyring *kr = NULL;
  for (size_t i = 0; i < keys->n; i++) {
    const jval *k = &keys->items[i];
    ls_auth_result rc;
    if (j_get(k, "jwks") || j_get(k, "ed25519_seed_hex")) {
      ls_auth_keyring *entry = NULL;
      rc = build_entry(k, &entry);
      if (rc == LS_AUTH_OK && i == 0) {
        kr = entry;
        entry = NULL;
      } else if (rc == LS_AUTH_OK) {
        rc = ls_auth_keyring_add_keys(kr, entry);
      }
      ls_auth_keyring_free(entry);
    } else {
      const jval *text = j_get(k, "secret");
      size_t len;
      unsigned char *secret;
      if (text) {
        secret = malloc(text->len + 1);
        if (!secret) abort();
        memcpy(secret, text->s, text->len);
        len = text->len;
      } else {
        secret = from_hex(j_get(k, "secret_hex"), &len);
      }
      rc = i == 0 ? ls_auth_keyring_new(secret, len, allow, &kr)
                  : ls_auth_keyring_add_fallback(kr, secret, len, allow);
      free(secret);
    }
    if (rc != LS_AUTH_OK) {
      ls_auth_keyring_free(kr);
      return rc;
    }
  }
  *out = kr;
  return LS_AUTH_OK;
}

static ls_auth_policy *build_policy(const jval *c) {
  ls_auth_policy *p = NULL;
  if (ls_auth_policy_new(&p) != LS_AUTH_OK) abort();
  const jval *j = j_get(c, "policy");
  if (j) {
    const jval *v;
    if ((v = j_get(j, "leeway"))) ls_auth_policy_set_leeway(p, (uint32_t)jint(v));
    if ((v = j_get(j, "access_ttl"))) ls_auth_policy_set_access_ttl(p, (uint32_t)jint(v));
    if ((v = j_get(j, "issuer")) && v->t == J_STR) ls_auth_policy_set_issuer(p, v->s, v->len);
    if ((v = j_get(j, "audience")) && v->t == J_STR) ls_auth_policy_set_audience(p, v->s, v->len);
    if ((v = j_get(j, "access_names_pat")) && v->t == J_BOOL && v->b) ls_auth_policy_set_access_names_pat(p, true);
  }
  return p;
}

/* Compares a JSON text produced by the library with an expected value. */
static bool json_text_equals(const char *text, size_t len, const jval *want) {
  jval got = j_parse(text, len);
  bool eq = j_equal(&got, want);
  j_free(&got);
  return eq;
}

static bool claims_equal(const ls_auth_claims *claims, const jval *want) {
  size_t need = 0;
  if (ls_auth_claims_to_json(claims, NULL, 0, &need) != LS_AUTH_INSUFFICIENT_SIZE) return false;
  char *buf = malloc(need);
  size_t n = 0;
  bool ok = buf && ls_auth_claims_to_json(claims, buf, need, &n) == LS_AUTH_OK && n + 1 == need &&
            json_text_equals(buf, n, want);
  free(buf);
  return ok;
}

static bool string_is(const ls_auth_string *s, const jval *want) {
  return want && want->t == J_STR && ls_auth_string_len(s) == want->len &&
         !memcmp(ls_auth_string_data(s), want->s, want->len) && ls_auth_string_data(s)[want->len] == '\0';
}

/* Whether step one named what the case expects: `want` is {"user_id": s} or {"legacy_key": s}. */
static bool lookup_is(const jval *want, const char *field, const char *text, size_t len) {
  const jval *w = want && want->t == J_OBJ ? j_get(want, field) : NULL;
  return w && w->t == J_STR && w->len == len && !memcmp(w->s, text, len);
}

static bool principal_matches(const ls_auth_principal *p, const jval *expect_ok) {
  ls_auth_principal_kind kind;
  ls_auth_principal_get_kind(p, &kind);
  const char *want = j_get(expect_ok, "principal")->s;
  if (kind == LS_AUTH_PRINCIPAL_JWT && !strcmp(want, "jwt")) {
    const ls_auth_claims *claims = NULL;
    return ls_auth_principal_claims(p, &claims) == LS_AUTH_OK && claims_equal(claims, j_get(expect_ok, "claims"));
  }
  if (kind == LS_AUTH_PRINCIPAL_LEGACY && !strcmp(want, "legacy")) {
    char key[128];
    size_t n;
    const jval *wk = j_get(expect_ok, "key");
    return ls_auth_principal_legacy_key(p, key, sizeof key, &n) == LS_AUTH_OK && n == wk->len && !memcmp(key, wk->s, n);
  }
  return false;
}

/* The two-step ops (tests/vectors/README.md): step one names what to look up (checked against
 * expect.lookup, null when step one refused), step two applies the settings. */
static ls_auth_result run_two_step(const jval *c, const char *op, const char *in, size_t in_len, int64_t now,
                                   const ls_auth_org_settings *settings, ls_auth_revocation *revocation,
                                   store *revoked, ls_auth_keyring *kr, ls_auth_policy *policy,
                                   bool *ok_matches, bool *lookup_matches) {
  const jval *expect = j_get(c, "expect");
  const jval *expect_ok = j_get(expect, "ok");
  const jval *want_lookup = j_get(expect, "lookup");
  char name[256];
  size_t n = 0;
  ls_auth_result rc;
  if (!strcmp(op, "authenticate_two_step")) {
    ls_auth_verifier *v = NULL;
    if (ls_auth_verifier_new(kr, policy, &v) != LS_AUTH_OK) abort();
    ls_auth_pending_principal *pending = NULL;
    rc = ls_auth_verifier_begin_authenticate(v, (const uint8_t *)in, in_len, now, &pending);
    if (rc != LS_AUTH_OK) {
      *lookup_matches = want_lookup && want_lookup->t == J_NULL;
    } else {
      ls_auth_principal_kind kind;
      if (ls_auth_pending_principal_lookup(pending, &kind, name, sizeof name, &n) != LS_AUTH_OK) abort();
      *lookup_matches = lookup_is(want_lookup, kind == LS_AUTH_PRINCIPAL_JWT ? "user_id" : "legacy_key", name, n);
      /* The PAT an access token names (contract §3.11): present exactly when expect.lookup has it. */
      bool names = true;
      char pat_jti[256];
      size_t pn = 0;
      if (ls_auth_pending_principal_pat_jti(pending, &names, pat_jti, sizeof pat_jti, &pn) != LS_AUTH_OK) abort();
      const jval *want_pat = want_lookup && want_lookup->t == J_OBJ ? j_get(want_lookup, "pat_jti") : NULL;
      *lookup_matches = *lookup_matches &&
                        (want_pat ? names && lookup_is(want_lookup, "pat_jti", pat_jti, pn) : !names && pn == 0);
      ls_auth_principal *p = NULL;
      rc = ls_auth_pending_principal_admit_unrevoked(pending, settings, revocation, &p);
      if (rc == LS_AUTH_OK && expect_ok) *ok_matches = principal_matches(p, expect_ok);
      ls_auth_principal_free(p);
      /* Admitted once: a second admission, and the lookup after it, are refused. */
      ls_auth_principal *again = NULL;
      CHECK(ls_auth_pending_principal_admit(pending, settings, &again) == LS_AUTH_ALREADY_USED && !again);
      CHECK(ls_auth_pending_principal_lookup(pending, &kind, name, sizeof name, &n) == LS_AUTH_ALREADY_USED);
    }
    ls_auth_pending_principal_free(pending);
    ls_auth_verifier_free(v);
    return rc;
  }
  ls_auth_verifier *v = NULL;
  ls_auth_issuer *issuer = NULL;
  ls_auth_pending_refresh *pending = NULL;
  if (!strcmp(op, "verify_refresh_two_step")) {
    if (ls_auth_verifier_new(kr, policy, &v) != LS_AUTH_OK) abort();
    rc = ls_auth_verifier_begin_refresh(v, in, in_len, now, &pending);
  } else {
    const jval *jti = j_get(j_get(c, "mint"), "jti");
    rc = ls_auth_issuer_new_insecure_fixed_jti(kr, policy, jti->s, jti->len, &issuer);
    if (rc == LS_AUTH_OK) rc = ls_auth_issuer_begin_refresh(issuer, in, in_len, now, &pending);
  }
  if (rc != LS_AUTH_OK) {
    *lookup_matches = want_lookup && want_lookup->t == J_NULL;
  } else {
    if (ls_auth_pending_refresh_user_id(pending, name, sizeof name, &n) != LS_AUTH_OK) abort();
    *lookup_matches = lookup_is(want_lookup, "user_id", name, n);
    if (!strcmp(op, "verify_refresh_two_step")) {
      ls_auth_claims *claims = NULL;
      rc = ls_auth_pending_refresh_admit(pending, settings, revocation, &claims);
      if (rc == LS_AUTH_OK && expect_ok) *ok_matches = claims_equal(claims, expect_ok);
      ls_auth_claims_free(claims);
    } else if (!strcmp(op, "refresh_two_step")) {
      ls_auth_string *access = NULL;
      rc = ls_auth_issuer_finish_refresh(issuer, pending, settings, revocation, &access);
      if (rc == LS_AUTH_OK) *ok_matches = string_is(access, expect_ok);
      ls_auth_string_free(access);
    } else {
      ls_auth_string *pat = NULL, *jti_out = NULL;
      int64_t exp = 0;
      rc = ls_auth_issuer_finish_rotate(issuer, pending, settings, revocation, &pat, &jti_out, &exp);
      if (rc == LS_AUTH_OK && expect_ok)
        *ok_matches = string_is(pat, j_get(expect_ok, "pat")) &&
                      string_is(jti_out, j_get(expect_ok, "revoked_jti")) &&
                      exp == jint(j_get(expect_ok, "revoked_exp")) &&
                      revoked->last_forget_after == jint(j_get(expect_ok, "forget_after")) &&
                      store_has(revoked, ls_auth_string_data(jti_out), ls_auth_string_len(jti_out));
      ls_auth_string_free(pat);
      ls_auth_string_free(jti_out);
    }
    ls_auth_claims *again = NULL;
    CHECK(ls_auth_pending_refresh_admit(pending, settings, revocation, &again) == LS_AUTH_ALREADY_USED && !again);
  }
  ls_auth_pending_refresh_free(pending);
  ls_auth_issuer_free(issuer);
  ls_auth_verifier_free(v);
  return rc;
}

/* Runs one case; returns the result and sets *ok_matches when the ok value matched. */
static ls_auth_result run_case(const jval *c, bool *ok_matches, bool *lookup_matches) {
  const jval *opv = j_get(c, "op");
  const char *op = opv->s;
  const jval *expect_ok = j_get(j_get(c, "expect"), "ok");
  int64_t now = jint(j_get(c, "now"));
  size_t in_len;
  char *in = case_input(c, &in_len);
  ls_auth_org_settings settings = case_settings(c);
  store revoked = {0};
  const jval *rv = j_get(c, "revoked");
  for (size_t i = 0; rv && i < rv->n; i++) store_add(&revoked, rv->items[i].s, rv->items[i].len);
  ls_auth_revocation revocation = {&revoked, cb_is_revoked, cb_revoke_if_active};
  ls_auth_result rc = LS_AUTH_OK;
  *ok_matches = false;
  *lookup_matches = true;

  if (!strcmp(op, "parse_authorization")) {
    ls_auth_scheme scheme;
    const char *tok;
    size_t tok_len;
    rc = ls_auth_parse_authorization((const uint8_t *)in, in_len, &scheme, &tok, &tok_len);
    if (rc == LS_AUTH_OK && expect_ok) {
      const jval *ws = j_get(expect_ok, "scheme"), *wt = j_get(expect_ok, "token");
      const char *name = scheme == LS_AUTH_SCHEME_BEARER ? "bearer" : "token";
      *ok_matches = !strcmp(ws->s, name) && wt->len == tok_len && !memcmp(wt->s, tok, tok_len) &&
                    tok >= in && tok + tok_len <= in + in_len;
    }
  } else if (!strcmp(op, "classify_api_key")) {
    ls_auth_api_key_kind kind;
    rc = ls_auth_classify_api_key(in, in_len, now, &kind);
    if (rc == LS_AUTH_OK && expect_ok) {
      const char *name = kind == LS_AUTH_API_KEY_LEGACY ? "legacy" : kind == LS_AUTH_API_KEY_PAT ? "pat" : "access";
      *ok_matches = expect_ok->t == J_STR && !strcmp(expect_ok->s, name);
    }
  } else if (!strcmp(op, "check_legacy_key")) {
    rc = ls_auth_check_legacy_key(in, in_len);
    *ok_matches = expect_ok && expect_ok->t == J_NULL;
  } else if (!strcmp(op, "inspect_key")) {
    ls_auth_key_shape shape;
    rc = ls_auth_inspect_key(in, in_len, &shape);
    if (rc == LS_AUTH_OK && expect_ok) {
      const char *names[] = {"?", "legacy", "pat", "access", "truncated", "jwt"};
      *ok_matches = expect_ok->t == J_STR && (unsigned)shape < 6 && !strcmp(expect_ok->s, names[shape]);
    }
  } else if (!strcmp(op, "credential_scope")) {
    const jval *base = j_get(c, "base_url");
    ls_auth_credential_scope *scope = NULL;
    rc = ls_auth_credential_scope_new(base->s, base->len, &scope);
    if (rc == LS_AUTH_OK) {
      bool allowed = false;
      rc = ls_auth_credential_scope_allows(scope, in, in_len, &allowed);
      if (rc == LS_AUTH_OK && expect_ok) *ok_matches = expect_ok->t == J_BOOL && expect_ok->b == allowed;
    }
    ls_auth_credential_scope_free(scope);
  } else if (!strcmp(op, "www_authenticate")) {
    /* The input is a code's name; a name the library does not know becomes an unused number. */
    uint32_t code = result_known(in, in_len) ? (uint32_t)result_named(in, in_len) : 999;
    char challenge[512];
    size_t n = 0;
    rc = ls_auth_www_authenticate(code, challenge, sizeof challenge, &n);
    if (rc == LS_AUTH_OK && expect_ok)
      *ok_matches = expect_ok->t == J_NULL ? n == 0
                                           : expect_ok->t == J_STR && n == expect_ok->len && !memcmp(challenge, expect_ok->s, n);
  } else {
    ls_auth_keyring *kr = NULL;
    rc = build_keyring(c, &kr);
    if (rc != LS_AUTH_OK) {
      *lookup_matches = !strstr(op, "_two_step") || j_get(j_get(c, "expect"), "lookup")->t == J_NULL;
      goto done;
    }
    ls_auth_policy *policy = build_policy(c);
    if (strstr(op, "_two_step")) {
      *lookup_matches = false;
      rc = run_two_step(c, op, in, in_len, now, &settings, &revocation, &revoked, kr, policy, ok_matches,
                        lookup_matches);
    } else if (!strcmp(op, "verify_access") || !strcmp(op, "verify_refresh") || !strcmp(op, "authenticate")) {
      ls_auth_verifier *v = NULL;
      if (ls_auth_verifier_new(kr, policy, &v) != LS_AUTH_OK) abort();
      if (!strcmp(op, "authenticate")) {
        ls_auth_principal *p = NULL;
        rc = ls_auth_verifier_authenticate(v, (const uint8_t *)in, in_len, &settings, now, &p);
        if (rc == LS_AUTH_OK && expect_ok) {
          ls_auth_principal_kind kind;
          ls_auth_principal_get_kind(p, &kind);
          const char *want = j_get(expect_ok, "principal")->s;
          if (kind == LS_AUTH_PRINCIPAL_JWT && !strcmp(want, "jwt")) {
            const ls_auth_claims *claims = NULL;
            *ok_matches = ls_auth_principal_claims(p, &claims) == LS_AUTH_OK &&
                          claims_equal(claims, j_get(expect_ok, "claims"));
          } else if (kind == LS_AUTH_PRINCIPAL_LEGACY && !strcmp(want, "legacy")) {
            char key[128];
            size_t n;
            const jval *wk = j_get(expect_ok, "key");
            *ok_matches = ls_auth_principal_legacy_key(p, key, sizeof key, &n) == LS_AUTH_OK && n == wk->len &&
                          !memcmp(key, wk->s, n);
          }
        }
        ls_auth_principal_free(p);
      } else {
        ls_auth_claims *claims = NULL;
        rc = !strcmp(op, "verify_access")
                 ? ls_auth_verifier_verify_access(v, in, in_len, now, &claims)
                 : ls_auth_verifier_verify_refresh(v, in, in_len, &settings, &revocation, now, &claims);
        if (rc == LS_AUTH_OK && expect_ok) *ok_matches = claims_equal(claims, expect_ok);
        ls_auth_claims_free(claims);
      }
      ls_auth_verifier_free(v);
    } else if (!strcmp(op, "public_jwks")) {
      ls_auth_string *jwks = NULL;
      rc = ls_auth_keyring_public_jwks(kr, &jwks);
      if (rc == LS_AUTH_OK) *ok_matches = string_is(jwks, expect_ok);
      ls_auth_string_free(jwks);
    } else if (!strcmp(op, "mint_pat") || !strcmp(op, "refresh") || !strcmp(op, "rotate")) {
      const jval *mint = j_get(c, "mint");
      const jval *jti = j_get(mint, "jti");
      ls_auth_issuer *issuer = NULL;
      rc = ls_auth_issuer_new_insecure_fixed_jti(kr, policy, jti->s, jti->len, &issuer);
      if (rc == LS_AUTH_OK) {
        if (!strcmp(op, "mint_pat")) {
          const jval *user = j_get(mint, "user_id"), *extra = j_get(mint, "claims");
          jbuf extra_json = {0};
          jb_put(&extra_json, "", 0);
          if (extra && extra->t == J_OBJ) j_write(&extra_json, extra);
          ls_auth_string *pat = NULL;
          rc = ls_auth_issuer_mint_pat(issuer, user->s, user->len, extra_json.p, extra_json.len, &settings, now, &pat);
          if (rc == LS_AUTH_OK) *ok_matches = string_is(pat, expect_ok);
          ls_auth_string_free(pat);
          free(extra_json.p);
        } else if (!strcmp(op, "refresh")) {
          ls_auth_string *access = NULL;
          rc = ls_auth_issuer_refresh(issuer, in, in_len, &settings, &revocation, now, &access);
          if (rc == LS_AUTH_OK) *ok_matches = string_is(access, expect_ok);
          ls_auth_string_free(access);
        } else {
          ls_auth_string *pat = NULL, *jti_out = NULL;
          int64_t exp = 0;
          rc = ls_auth_issuer_rotate(issuer, in, in_len, &settings, &revocation, now, &pat, &jti_out, &exp);
          if (rc == LS_AUTH_OK && expect_ok)
            *ok_matches = string_is(pat, j_get(expect_ok, "pat")) &&
                          string_is(jti_out, j_get(expect_ok, "revoked_jti")) &&
                          exp == jint(j_get(expect_ok, "revoked_exp")) &&
                          revoked.last_forget_after == jint(j_get(expect_ok, "forget_after")) &&
                          store_has(&revoked, ls_auth_string_data(jti_out), ls_auth_string_len(jti_out));
          ls_auth_string_free(pat);
          ls_auth_string_free(jti_out);
        }
      }
      ls_auth_issuer_free(issuer);
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      check_failed++;
    }
    ls_auth_policy_free(policy);
    ls_auth_keyring_free(kr);
  }
done:
  store_free(&revoked);
  free(in);
  return rc;
}

static void run_file(const char *path) {
  size_t len;
  char *text = j_read_file(path, &len);
  jval doc = j_parse(text, len);
  const jval *cases = j_get(&doc, "cases");
  int before = cases_run;
  for (size_t i = 0; cases && i < cases->n; i++) {
    const jval *c = &cases->items[i];
    const char *name = j_get(c, "name")->s;
    const jval *expect = j_get(c, "expect");
    const jval *err = j_get(expect, "error");
    const jval *op = j_get(c, "op");
    const jval *input = j_get(c, "input");
    bool header_op = !strcmp(op->s, "parse_authorization") || !strcmp(op->s, "authenticate") ||
                     !strcmp(op->s, "authenticate_two_step");
    bool ok_matches, lookup_matches;
    ls_auth_result rc = run_case(c, &ok_matches, &lookup_matches);
    cases_run++;
    if (!header_op && input && memchr(input->s, '\0', input->len)) {
      /* Text inputs with an embedded NUL are refused at the C boundary (header conventions). */
      boundary_refused++;
      CHECK(rc == LS_AUTH_INVALID_ARGUMENT);
      continue;
    }
    if (!lookup_matches) {
      check_failed++;
      fprintf(stderr, "%s: %s: step one did not name what expect.lookup says\n", path, name);
    } else if (err) {
      ls_auth_result want = result_named(err->s, err->len);
      if (rc == want) {
        check_passed++;
      } else {
        check_failed++;
        fprintf(stderr, "%s: %s: got %u, wanted %s (%u)\n", path, name, (unsigned)rc, err->s, (unsigned)want);
      }
    } else if (rc == LS_AUTH_OK && ok_matches) {
      check_passed++;
    } else {
      check_failed++;
      fprintf(stderr, "%s: %s: got %u, wanted ok (value %s)\n", path, name, (unsigned)rc,
              rc == LS_AUTH_OK ? "differs" : "-");
    }
  }
  printf("  %s: %d cases\n", path, cases_run - before);
  j_free(&doc);
  free(text);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "tests/vectors";
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cannot open %s\n", dir);
    return 2;
  }
  char *paths[256];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256) {
    size_t l = strlen(e->d_name);
    if (l > 5 && !strcmp(e->d_name + l - 5, ".json")) {
      char *p = malloc(strlen(dir) + l + 2);
      if (!p) abort();
      sprintf(p, "%s/%s", dir, e->d_name);
      paths[n++] = p;
    }
  }
  closedir(d);
  qsort(paths, n, sizeof paths[0], by_name);
  for (size_t i = 0; i < n; i++) {
    run_file(paths[i]);
    free(paths[i]);
  }
  printf("  vectors: %d cases in %zu files (%d refused at the C boundary)\n", cases_run, n, boundary_refused);
  CHECK(cases_run > 0);
  return check_summary("test_vectors");
}
