/*
 * The C ABI's conventions: every result code reached, NULL / length / UTF-8 / NUL edge cases,
 * _free(NULL), ownership (run under ASan/LSan and valgrind), eight threads sharing one verifier.
 * Built with -DLS_AUTH_TEST_HOOKS against a library built with the `test-hooks` feature.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_auth.h"
#include "check.h"

#define NOW 1700000000
#define SECRET "django-insecure-ls-auth-c-tests-0123456789-abcdefghijklmnop"
#define OTHER_SECRET "another-secret-key-of-at-least-32-bytes-xyz"

static bool seen[1000];

/* Records every result code the suite sees, to check that all are reached. */
static ls_auth_result saw(ls_auth_result rc) {
  if ((unsigned)rc < 1000) seen[rc] = true;
  return rc;
}
#define R(expr) saw(expr)

static bool never_revoked(void *ctx, const char *jti, size_t len) {
  (void)ctx, (void)jti, (void)len;
  return false;
}
static bool always_revoked(void *ctx, const char *jti, size_t len) {
  (void)ctx, (void)jti, (void)len;
  return true;
}
static bool revoke_once(void *ctx, const char *jti, size_t len, int64_t exp, int64_t now) {
  (void)jti, (void)len, (void)exp, (void)now;
  int *count = ctx;
  return (*count)++ == 0;
}

static ls_auth_keyring *keyring(const char *secret) {
  ls_auth_keyring *kr = NULL;
  if (ls_auth_keyring_new((const uint8_t *)secret, strlen(secret), false, &kr) != LS_AUTH_OK) abort();
  return kr;
}

static ls_auth_string *mint(ls_auth_issuer *issuer, const char *extra, int64_t now) {
  ls_auth_string *pat = NULL;
  CHECK_RC(R(ls_auth_issuer_mint_pat(issuer, "7", 1, extra, extra ? strlen(extra) : 0, NULL, now, &pat)), LS_AUTH_OK);
  return pat;
}

static const char *S(const ls_auth_string *s) { return ls_auth_string_data(s); }
static size_t L(const ls_auth_string *s) { return ls_auth_string_len(s); }

/* ---------------------------------------------------------------------------------------- */

static void test_results_and_messages(void) {
  char buf[256];
  size_t n = 99;
  CHECK_RC(R(ls_auth_result_message(LS_AUTH_TOKEN_EXPIRED, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "token has expired") && n == strlen(buf));
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_TOKEN_EXPIRED, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "token_expired"));
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_NULL_PARAMETER, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "null_parameter"));
  /* Size query, then a too-small buffer: nothing written, out_len = size needed. */
  n = 0;
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_TOKEN_EXPIRED, NULL, 0, &n)), LS_AUTH_INSUFFICIENT_SIZE);
  CHECK(n == strlen("token_expired") + 1);
  memset(buf, 'x', sizeof buf);
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_TOKEN_EXPIRED, buf, 13, &n)), LS_AUTH_INSUFFICIENT_SIZE);
  CHECK(n == 14 && buf[0] == 'x');
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_TOKEN_EXPIRED, buf, 14, &n)), LS_AUTH_OK);
  CHECK(n == 13 && buf[13] == '\0');
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_TOKEN_EXPIRED, NULL, 5, &n)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_TOKEN_EXPIRED, buf, sizeof buf, NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_result_code(LS_AUTH_ALREADY_USED, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "already_used"));
  CHECK_RC(R(ls_auth_result_message(6, buf, sizeof buf, &n)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_result_message(4000000000u, buf, sizeof buf, &n)), LS_AUTH_INVALID_ARGUMENT);

  /* Every code has a distinct name; every core code an HTTP status. */
  unsigned codes = 0;
  for (uint32_t c = 0; c < 1000; c++) {
    if (ls_auth_result_code(c, buf, sizeof buf, &n) != LS_AUTH_OK) continue;
    codes++;
    uint16_t status = 0;
    ls_auth_result rc = ls_auth_result_http_status(c, &status);
    if (c >= 100) CHECK(rc == LS_AUTH_OK && (status == 400 || status == 401 || status == 500));
    else CHECK(rc == LS_AUTH_INVALID_ARGUMENT);
  }
  CHECK(codes == 6 + 22);
  uint16_t status = 0;
  CHECK_RC(R(ls_auth_result_http_status(LS_AUTH_MALFORMED_HEADER, &status)), LS_AUTH_OK);
  CHECK(status == 400);
  CHECK_RC(R(ls_auth_result_http_status(LS_AUTH_NO_CREDENTIALS, NULL)), LS_AUTH_NULL_PARAMETER);

  CHECK_RC(R(ls_auth_www_authenticate(LS_AUTH_TOKEN_EXPIRED, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token has expired\""));
  CHECK_RC(R(ls_auth_www_authenticate(LS_AUTH_NO_CREDENTIALS, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "Bearer realm=\"api\""));
  CHECK_RC(R(ls_auth_www_authenticate(LS_AUTH_KEY_TOO_SHORT, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(n == 0 && buf[0] == '\0');
  CHECK_RC(R(ls_auth_www_authenticate(LS_AUTH_OK, buf, sizeof buf, &n)), LS_AUTH_INVALID_ARGUMENT);

  const char *v = ls_auth_version();
  CHECK(v && strlen(v) > 0);
  CHECK_RC(R(ls_auth_test_panic()), LS_AUTH_PANIC);
}

static void test_frees_and_nulls(void) {
  ls_auth_keyring_free(NULL);
  ls_auth_policy_free(NULL);
  ls_auth_verifier_free(NULL);
  ls_auth_issuer_free(NULL);
  ls_auth_claims_free(NULL);
  ls_auth_principal_free(NULL);
  ls_auth_string_free(NULL);
  CHECK(ls_auth_string_data(NULL) == NULL && ls_auth_string_len(NULL) == 0);

  ls_auth_keyring *kr = NULL;
  CHECK_RC(R(ls_auth_keyring_new(NULL, 5, false, &kr)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_new((const uint8_t *)SECRET, strlen(SECRET), false, NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_new(NULL, 0, true, &kr)), LS_AUTH_KEY_TOO_SHORT); /* empty: always refused */
  CHECK_RC(R(ls_auth_keyring_new((const uint8_t *)"short", 5, false, &kr)), LS_AUTH_KEY_TOO_SHORT);
  CHECK(kr == NULL); /* out-parameters are written only on success */
  CHECK_RC(R(ls_auth_keyring_new((const uint8_t *)"short", 5, true, &kr)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_keyring_add_fallback(kr, (const uint8_t *)"tiny", 4, false)), LS_AUTH_KEY_TOO_SHORT);
  CHECK_RC(R(ls_auth_keyring_add_fallback(NULL, (const uint8_t *)SECRET, strlen(SECRET), false)), LS_AUTH_NULL_PARAMETER);
  ls_auth_keyring_free(kr);

  ls_auth_verifier *v = NULL;
  CHECK_RC(R(ls_auth_verifier_new(NULL, NULL, &v)), LS_AUTH_NULL_PARAMETER);
  ls_auth_policy *p = NULL;
  CHECK_RC(R(ls_auth_policy_new(NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_policy_new(&p)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_policy_set_leeway(NULL, 1)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_policy_set_issuer(p, NULL, 3)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_policy_set_issuer(p, "\xff\xfe", 2)), LS_AUTH_INVALID_UTF8);
  CHECK_RC(R(ls_auth_policy_set_issuer(p, "a\0b", 3)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_policy_set_issuer(p, "ls", 2)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_policy_set_issuer(p, NULL, 0)), LS_AUTH_OK); /* clears */
  ls_auth_policy_free(p);
  CHECK_RC(R(ls_auth_org_settings_default(NULL)), LS_AUTH_NULL_PARAMETER);
  ls_auth_org_settings s;
  CHECK_RC(R(ls_auth_org_settings_default(&s)), LS_AUTH_OK);
  CHECK(s.api_tokens_enabled && !s.legacy_api_tokens_enabled && s.pat_ttl_days == 73000 && s.enforce_ttl_on_existing &&
        s.has_organization);
}

static void test_tokens(void) {
  ls_auth_keyring *kr = keyring(SECRET);
  ls_auth_issuer *issuer = NULL;
  CHECK_RC(R(ls_auth_issuer_new(kr, NULL, &issuer)), LS_AUTH_OK);
  ls_auth_verifier *v = NULL;
  CHECK_RC(R(ls_auth_verifier_new(kr, NULL, &v)), LS_AUTH_OK);
  ls_auth_revocation none = {NULL, never_revoked, NULL};
  ls_auth_revocation all = {NULL, always_revoked, NULL};
  ls_auth_revocation missing = {NULL, NULL, NULL};

  ls_auth_string *pat = mint(issuer, "{\"org\":{\"b\":1,\"a\":\"\\u00e9\"},\"scopes\":[\"read\"]}", NOW);
  ls_auth_string *access = NULL;
  CHECK_RC(R(ls_auth_issuer_refresh(issuer, S(pat), L(pat), NULL, &none, NOW, &access)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_issuer_refresh(issuer, S(pat), L(pat), NULL, &missing, NOW, &access)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_issuer_refresh(issuer, S(pat), L(pat), NULL, NULL, NOW, &access)), LS_AUTH_NULL_PARAMETER);

  /* Claims getters. */
  ls_auth_claims *claims = NULL;
  CHECK_RC(R(ls_auth_verifier_verify_access(v, S(access), L(access), NOW + 1, &claims)), LS_AUTH_OK);
  char buf[512];
  size_t n;
  CHECK_RC(R(ls_auth_claims_user_id(claims, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "7") && n == 1);
  CHECK_RC(R(ls_auth_claims_jti(claims, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(n == 32);
  CHECK_RC(R(ls_auth_claims_jti(claims, buf, 32, &n)), LS_AUTH_INSUFFICIENT_SIZE);
  CHECK(n == 33);
  ls_auth_token_type tt;
  CHECK_RC(R(ls_auth_claims_token_type(claims, &tt)), LS_AUTH_OK);
  CHECK(tt == LS_AUTH_TOKEN_TYPE_ACCESS);
  int64_t t = 0;
  bool present = false;
  CHECK_RC(R(ls_auth_claims_exp(claims, &t)), LS_AUTH_OK);
  CHECK(t == NOW + 300);
  CHECK_RC(R(ls_auth_claims_iat(claims, &t, &present)), LS_AUTH_OK);
  CHECK(present && t == NOW);
  CHECK_RC(R(ls_auth_claims_nbf(claims, &t, &present)), LS_AUTH_OK);
  CHECK(!present && t == 0);
  CHECK_RC(R(ls_auth_claims_iat(claims, &t, NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_claims_get_json(claims, "org", 3, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "{\"b\":1,\"a\":\"\xc3\xa9\"}"));
  CHECK_RC(R(ls_auth_claims_get_json(claims, "user_id", 7, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "\"7\""));
  CHECK_RC(R(ls_auth_claims_get_json(claims, "nope", 4, buf, sizeof buf, &n)), LS_AUTH_MISSING_CLAIM);
  CHECK_RC(R(ls_auth_claims_to_json(claims, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(strstr(buf, "\"token_type\":\"access\"") && strstr(buf, "\"scopes\":[\"read\"]"));
  CHECK_RC(R(ls_auth_claims_user_id(NULL, buf, sizeof buf, &n)), LS_AUTH_NULL_PARAMETER);
  ls_auth_claims_free(claims);

  /* Token failures, each to its own code. Out-parameters untouched on failure. */
  claims = NULL;
  CHECK_RC(R(ls_auth_verifier_verify_access(v, S(pat), L(pat), NOW, &claims)), LS_AUTH_WRONG_TOKEN_TYPE);
  CHECK(claims == NULL);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, S(access), L(access), NOW + 300, &claims)), LS_AUTH_TOKEN_EXPIRED);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, "a.b.c", 5, NOW, &claims)), LS_AUTH_MALFORMED_TOKEN);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, "", 0, NOW, &claims)), LS_AUTH_MALFORMED_TOKEN);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, NULL, 0, NOW, &claims)), LS_AUTH_MALFORMED_TOKEN);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, NULL, 10, NOW, &claims)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_verifier_verify_access(NULL, S(access), L(access), NOW, &claims)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, S(access), L(access), NOW, NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, "\xc3\x28", 2, NOW, &claims)), LS_AUTH_INVALID_UTF8);
  /* Never truncated: a valid token followed by a NUL and more bytes is refused, not cut. */
  char with_nul[2048];
  memcpy(with_nul, S(access), L(access));
  memcpy(with_nul + L(access), "\0xyz", 4);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, with_nul, L(access) + 4, NOW, &claims)), LS_AUTH_INVALID_ARGUMENT);
  /* Two characters short: a 41-character signature is never valid base64url (41 % 4 == 1),
   * whereas one short still decodes whenever the dropped character's low bits were zero. */
  CHECK_RC(R(ls_auth_verifier_verify_access(v, with_nul, L(access) - 2, NOW, &claims)), LS_AUTH_MALFORMED_TOKEN);
  CHECK(claims == NULL);
  char *big = malloc(5000);
  memset(big, 'a', 5000);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, big, 5000, NOW, &claims)), LS_AUTH_TOKEN_TOO_LARGE);
  /* Same payload and signature under an HS512 header: the key allows HS256 only. */
  const char *dot = strchr(S(access), '.');
  snprintf(big, 5000, "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9%s", dot);
  CHECK_RC(R(ls_auth_verifier_verify_access(v, big, strlen(big), NOW, &claims)), LS_AUTH_UNSUPPORTED_ALGORITHM);
  free(big);

  /* Another key: invalid signature; as a fallback it verifies. */
  ls_auth_keyring *other = keyring(OTHER_SECRET);
  ls_auth_verifier *v2 = NULL;
  CHECK_RC(R(ls_auth_verifier_new(other, NULL, &v2)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_verify_access(v2, S(access), L(access), NOW, &claims)), LS_AUTH_INVALID_SIGNATURE);
  ls_auth_verifier_free(v2);
  CHECK_RC(R(ls_auth_keyring_add_fallback(other, (const uint8_t *)SECRET, strlen(SECRET), false)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_new(other, NULL, &v2)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_verify_access(v2, S(access), L(access), NOW, &claims)), LS_AUTH_OK);
  ls_auth_claims_free(claims);
  claims = NULL;
  ls_auth_verifier_free(v2);
  ls_auth_keyring_free(other);

  /* Refresh-path failures. */
  ls_auth_org_settings s;
  ls_auth_org_settings_default(&s);
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(pat), L(pat), &s, &none, NOW, &claims)), LS_AUTH_OK);
  ls_auth_claims_free(claims);
  claims = NULL;
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(pat), L(pat), &s, &all, NOW, &claims)), LS_AUTH_TOKEN_REVOKED);
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(access), L(access), &s, &none, NOW, &claims)), LS_AUTH_WRONG_TOKEN_TYPE);
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(pat), L(pat), &s, &none, NOW - 10, &claims)), LS_AUTH_ISSUED_IN_FUTURE);
  s.api_tokens_enabled = false;
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(pat), L(pat), &s, &none, NOW, &claims)), LS_AUTH_TOKEN_KIND_DISABLED);
  ls_auth_org_settings_default(&s);
  s.has_organization = false; /* the user's organisation is gone: nothing admits them */
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(pat), L(pat), &s, &none, NOW, &claims)), LS_AUTH_NO_ORGANIZATION);
  ls_auth_org_settings_default(&s);
  s.pat_ttl_days = 1;
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(pat), L(pat), &s, &none, NOW + 2 * 86400, &claims)), LS_AUTH_PAT_TTL_EXCEEDED);
  CHECK(claims == NULL);

  ls_auth_string *later = mint(issuer, "{\"nbf\":1700000100}", NOW);
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(later), L(later), NULL, &none, NOW, &claims)), LS_AUTH_TOKEN_NOT_YET_VALID);
  ls_auth_string *aud = mint(issuer, "{\"aud\":\"elsewhere\"}", NOW);
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(aud), L(aud), NULL, &none, NOW, &claims)), LS_AUTH_INVALID_CLAIM);
  ls_auth_string_free(later);
  ls_auth_string_free(aud);
  ls_auth_policy *p = NULL;
  ls_auth_policy_new(&p);
  CHECK_RC(R(ls_auth_policy_set_issuer(p, "label-studio", 12)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_new(kr, p, &v2)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_verify_access(v2, S(access), L(access), NOW, &claims)), LS_AUTH_MISSING_CLAIM);
  ls_auth_verifier_free(v2);
  ls_auth_policy_free(p);

  /* Minting arguments. */
  ls_auth_string *bad = NULL;
  CHECK_RC(R(ls_auth_issuer_mint_pat(issuer, "", 0, NULL, 0, NULL, NOW, &bad)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_issuer_mint_pat(issuer, "1", 1, "[1]", 3, NULL, NOW, &bad)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_issuer_mint_pat(issuer, "1", 1, "{\"exp\":1}", 9, NULL, NOW, &bad)), LS_AUTH_INVALID_ARGUMENT);
  /* Duplicate member names: refused by the core, never "the last one wins". */
  CHECK_RC(R(ls_auth_issuer_mint_pat(issuer, "1", 1, "{\"r\":1,\"r\":2}", 13, NULL, NOW, &bad)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_issuer_mint_pat(issuer, "1", 1, NULL, 0, NULL, NOW, NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK(bad == NULL);
  ls_auth_issuer *fixed = NULL;
  CHECK_RC(R(ls_auth_issuer_new_insecure_fixed_jti(kr, NULL, "xyz", 3, &fixed)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_issuer_new_insecure_fixed_jti(kr, NULL, "6f1c0b5e2d3a4c8e9a7b1d2e3f405162", 32, &fixed)), LS_AUTH_OK);
  ls_auth_string *fixed_pat = mint(fixed, NULL, NOW);
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, S(fixed_pat), L(fixed_pat), NULL, &none, NOW, &claims)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_claims_jti(claims, buf, sizeof buf, &n)), LS_AUTH_OK);
  CHECK(!strcmp(buf, "6f1c0b5e2d3a4c8e9a7b1d2e3f405162"));
  ls_auth_claims_free(claims);
  claims = NULL;

  /* Rotation: exactly one of two rotations succeeds; revoke callback required. */
  int revocations = 0;
  ls_auth_revocation once = {&revocations, never_revoked, revoke_once};
  ls_auth_string *new_pat = NULL, *old_jti = NULL;
  int64_t old_exp = 0;
  CHECK_RC(R(ls_auth_issuer_rotate(fixed, S(fixed_pat), L(fixed_pat), NULL, &none, NOW, &new_pat, &old_jti, &old_exp)),
           LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_issuer_rotate(fixed, S(fixed_pat), L(fixed_pat), NULL, &once, NOW, &new_pat, &old_jti, &old_exp)),
           LS_AUTH_OK);
  CHECK(!strcmp(S(old_jti), "6f1c0b5e2d3a4c8e9a7b1d2e3f405162") && old_exp == NOW + 73000LL * 86400);
  ls_auth_string *again = NULL, *again_jti = NULL;
  CHECK_RC(R(ls_auth_issuer_rotate(fixed, S(fixed_pat), L(fixed_pat), NULL, &once, NOW, &again, &again_jti, &old_exp)),
           LS_AUTH_TOKEN_REVOKED);
  CHECK(again == NULL && again_jti == NULL);
  ls_auth_string_free(new_pat);
  ls_auth_string_free(old_jti);
  ls_auth_string_free(fixed_pat);
  ls_auth_issuer_free(fixed);

  ls_auth_string_free(access);
  ls_auth_string_free(pat);
  ls_auth_verifier_free(v);
  ls_auth_issuer_free(issuer);
  ls_auth_keyring_free(kr);
}

static void test_headers_and_legacy(void) {
  ls_auth_scheme scheme;
  const char *tok = NULL;
  size_t tok_len = 0;
  const char *h = "  bearer abc.def.ghi\t";
  CHECK_RC(R(ls_auth_parse_authorization((const uint8_t *)h, strlen(h), &scheme, &tok, &tok_len)), LS_AUTH_OK);
  CHECK(scheme == LS_AUTH_SCHEME_BEARER && tok == h + 9 && tok_len == 11);
  CHECK_RC(R(ls_auth_parse_authorization(NULL, 0, &scheme, &tok, &tok_len)), LS_AUTH_NO_CREDENTIALS);
  CHECK_RC(R(ls_auth_parse_authorization(NULL, 1, &scheme, &tok, &tok_len)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_parse_authorization((const uint8_t *)"Basic Zm9v", 10, &scheme, &tok, &tok_len)), LS_AUTH_UNSUPPORTED_SCHEME);
  CHECK_RC(R(ls_auth_parse_authorization((const uint8_t *)"Token a b", 9, &scheme, &tok, &tok_len)), LS_AUTH_MALFORMED_HEADER);
  /* The header is bytes: a NUL or invalid UTF-8 is the core's malformed_header, not a C error. */
  CHECK_RC(R(ls_auth_parse_authorization((const uint8_t *)"Token a\0b", 9, &scheme, &tok, &tok_len)), LS_AUTH_MALFORMED_HEADER);
  CHECK_RC(R(ls_auth_parse_authorization((const uint8_t *)"Token \xff", 7, &scheme, &tok, &tok_len)), LS_AUTH_MALFORMED_HEADER);
  CHECK_RC(R(ls_auth_parse_authorization((const uint8_t *)h, strlen(h), NULL, &tok, &tok_len)), LS_AUTH_NULL_PARAMETER);
  uint8_t *huge = malloc(9000);
  memset(huge, 'a', 9000);
  memcpy(huge, "Bearer ", 7);
  CHECK_RC(R(ls_auth_parse_authorization(huge, 9000, &scheme, &tok, &tok_len)), LS_AUTH_HEADER_TOO_LARGE);
  free(huge);

  char key[64];
  size_t n = 0;
  CHECK_RC(R(ls_auth_generate_legacy_key(key, 40, &n)), LS_AUTH_INSUFFICIENT_SIZE);
  CHECK(n == 41);
  CHECK_RC(R(ls_auth_generate_legacy_key(key, sizeof key, &n)), LS_AUTH_OK);
  CHECK(n == 40 && strlen(key) == 40);
  CHECK_RC(R(ls_auth_check_legacy_key(key, n)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_check_legacy_key("ABC", 3)), LS_AUTH_MALFORMED_TOKEN);
  bool eq = false;
  CHECK_RC(R(ls_auth_legacy_keys_equal(key, n, key, n, &eq)), LS_AUTH_OK);
  CHECK(eq);
  char digest[65];
  CHECK_RC(R(ls_auth_legacy_key_digest("abc", 3, digest, sizeof digest, &n)), LS_AUTH_OK);
  CHECK(!strcmp(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));

  /* authenticate: legacy principal, kinds and borrowing. */
  ls_auth_keyring *kr = keyring(SECRET);
  ls_auth_verifier *v = NULL;
  ls_auth_verifier_new(kr, NULL, &v);
  ls_auth_org_settings s;
  ls_auth_org_settings_default(&s);
  char header[128];
  snprintf(header, sizeof header, "Token %s", key);
  ls_auth_principal *p = NULL;
  CHECK_RC(R(ls_auth_verifier_authenticate(v, (const uint8_t *)header, strlen(header), &s, NOW, &p)), LS_AUTH_TOKEN_KIND_DISABLED);
  s.legacy_api_tokens_enabled = true;
  CHECK_RC(R(ls_auth_verifier_authenticate(v, (const uint8_t *)header, strlen(header), &s, NOW, &p)), LS_AUTH_OK);
  ls_auth_principal_kind kind;
  CHECK_RC(R(ls_auth_principal_get_kind(p, &kind)), LS_AUTH_OK);
  CHECK(kind == LS_AUTH_PRINCIPAL_LEGACY);
  char got[64];
  CHECK_RC(R(ls_auth_principal_legacy_key(p, got, sizeof got, &n)), LS_AUTH_OK);
  CHECK(!strcmp(got, key));
  const ls_auth_claims *borrowed = NULL;
  CHECK_RC(R(ls_auth_principal_claims(p, &borrowed)), LS_AUTH_INVALID_ARGUMENT);
  ls_auth_principal_free(p);
  CHECK_RC(R(ls_auth_verifier_authenticate(v, NULL, 0, NULL, NOW, &p)), LS_AUTH_NO_CREDENTIALS);
  CHECK_RC(R(ls_auth_verifier_authenticate(v, (const uint8_t *)"Bearer 0123456789abcdef0123456789abcdef01234567", 47, NULL, LS_AUTH_NOW, &p)),
           LS_AUTH_WRONG_TOKEN_TYPE);

  ls_auth_api_key_kind ak;
  CHECK_RC(R(ls_auth_classify_api_key(key, 40, NOW, &ak)), LS_AUTH_OK);
  CHECK(ak == LS_AUTH_API_KEY_LEGACY);
  CHECK_RC(R(ls_auth_classify_api_key("", 0, NOW, &ak)), LS_AUTH_INVALID_ARGUMENT);
  ls_auth_verifier_free(v);
  ls_auth_keyring_free(kr);
}

/* ---- two steps: the settings come after the credential names its user ---- */
static void test_two_steps(void) {
  ls_auth_keyring *kr = NULL;
  CHECK_RC(R(ls_auth_keyring_new((const uint8_t *)SECRET, strlen(SECRET), false, &kr)), LS_AUTH_OK);
  ls_auth_issuer *issuer = NULL;
  ls_auth_verifier *v = NULL;
  CHECK_RC(R(ls_auth_issuer_new(kr, NULL, &issuer)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_new(kr, NULL, &v)), LS_AUTH_OK);
  ls_auth_string *pat = NULL, *access = NULL;
  CHECK_RC(R(ls_auth_issuer_mint_pat(issuer, "42", 2, NULL, 0, NULL, NOW, &pat)), LS_AUTH_OK);
  ls_auth_revocation none = {NULL, never_revoked, NULL};
  CHECK_RC(R(ls_auth_issuer_refresh(issuer, ls_auth_string_data(pat), ls_auth_string_len(pat), NULL, &none, NOW,
                                    &access)),
           LS_AUTH_OK);
  char header[1024];
  snprintf(header, sizeof header, "Bearer %s", ls_auth_string_data(access));

  /* Step one names the user; nothing is admitted yet, and out-parameters stay untouched on failure. */
  ls_auth_pending_principal *pending = NULL;
  CHECK_RC(R(ls_auth_verifier_begin_authenticate(NULL, (const uint8_t *)header, strlen(header), NOW, &pending)),
           LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_verifier_begin_authenticate(v, (const uint8_t *)header, strlen(header), NOW + 300, &pending)),
           LS_AUTH_TOKEN_EXPIRED);
  CHECK(pending == NULL);
  CHECK_RC(R(ls_auth_verifier_begin_authenticate(v, (const uint8_t *)header, strlen(header), NOW, &pending)), LS_AUTH_OK);
  ls_auth_principal_kind kind = (ls_auth_principal_kind)0;
  char who[8];
  size_t n = 0;
  CHECK_RC(R(ls_auth_pending_principal_lookup(pending, &kind, who, 2, &n)), LS_AUTH_INSUFFICIENT_SIZE);
  CHECK(n == 3 && kind == 0);
  CHECK_RC(R(ls_auth_pending_principal_lookup(pending, &kind, who, sizeof who, &n)), LS_AUTH_OK);
  CHECK(kind == LS_AUTH_PRINCIPAL_JWT && n == 2 && !strcmp(who, "42"));
  ls_auth_org_settings off;
  ls_auth_org_settings_default(&off);
  off.api_tokens_enabled = false;
  ls_auth_principal *p = NULL;
  CHECK_RC(R(ls_auth_pending_principal_admit(pending, &off, &p)), LS_AUTH_TOKEN_KIND_DISABLED);
  CHECK(p == NULL);
  /* A refused admission uses the pending principal up: a second one is ALREADY_USED. */
  CHECK_RC(R(ls_auth_pending_principal_admit(pending, NULL, &p)), LS_AUTH_ALREADY_USED);
  CHECK(p == NULL);
  CHECK_RC(R(ls_auth_pending_principal_lookup(pending, &kind, who, sizeof who, &n)), LS_AUTH_ALREADY_USED);
  ls_auth_pending_principal_free(pending);
  pending = NULL;
  CHECK_RC(R(ls_auth_verifier_begin_authenticate(v, (const uint8_t *)header, strlen(header), NOW, &pending)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_pending_principal_admit(pending, NULL, NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_pending_principal_admit(pending, NULL, &p)), LS_AUTH_OK);
  const ls_auth_claims *claims = NULL;
  CHECK_RC(R(ls_auth_principal_claims(p, &claims)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_claims_user_id(claims, who, sizeof who, &n)), LS_AUTH_OK);
  CHECK(!strcmp(who, "42"));
  ls_auth_principal_free(p);
  ls_auth_pending_principal_free(pending);
  ls_auth_pending_principal_free(NULL);

  /* The refresh in two steps: lookup, then the organisation's TTL and revocation. */
  ls_auth_pending_refresh *pr = NULL;
  CHECK_RC(R(ls_auth_verifier_begin_refresh(v, ls_auth_string_data(access), ls_auth_string_len(access), NOW, &pr)),
           LS_AUTH_WRONG_TOKEN_TYPE);
  CHECK(pr == NULL);
  CHECK_RC(R(ls_auth_issuer_begin_refresh(issuer, ls_auth_string_data(pat), ls_auth_string_len(pat), NOW, &pr)),
           LS_AUTH_OK);
  CHECK_RC(R(ls_auth_pending_refresh_user_id(pr, who, sizeof who, &n)), LS_AUTH_OK);
  CHECK(!strcmp(who, "42"));
  ls_auth_org_settings ttl;
  ls_auth_org_settings_default(&ttl);
  ttl.pat_ttl_days = 7;
  ls_auth_string *new_pat = NULL, *jti = NULL;
  int64_t exp = 0;
  /* A store without revoke_if_active cannot rotate; the pending PAT is not used up by the refusal. */
  CHECK_RC(R(ls_auth_issuer_finish_rotate(issuer, pr, &ttl, &none, &new_pat, &jti, &exp)), LS_AUTH_NULL_PARAMETER);
  int count = 0;
  ls_auth_revocation store = {&count, never_revoked, revoke_once};
  CHECK_RC(R(ls_auth_issuer_finish_rotate(issuer, pr, &ttl, &store, &new_pat, &jti, &exp)), LS_AUTH_OK);
  CHECK(count == 1 && exp == NOW + 73000LL * 86400);
  ls_auth_claims *rotated = NULL;
  CHECK_RC(R(ls_auth_verifier_verify_refresh(v, ls_auth_string_data(new_pat), ls_auth_string_len(new_pat), &ttl,
                                             &none, NOW, &rotated)),
           LS_AUTH_OK);
  int64_t new_exp = 0;
  ls_auth_claims_exp(rotated, &new_exp);
  CHECK(new_exp == NOW + 7LL * 86400);
  ls_auth_claims_free(rotated);
  ls_auth_string *again = NULL;
  CHECK_RC(R(ls_auth_issuer_finish_refresh(issuer, pr, NULL, &none, &again)), LS_AUTH_ALREADY_USED);
  CHECK(again == NULL);
  CHECK_RC(R(ls_auth_pending_refresh_user_id(pr, who, sizeof who, &n)), LS_AUTH_ALREADY_USED);
  ls_auth_pending_refresh_free(pr);
  ls_auth_pending_refresh_free(NULL);

  ls_auth_string_free(new_pat);
  ls_auth_string_free(jti);
  ls_auth_string_free(access);
  ls_auth_string_free(pat);
  ls_auth_verifier_free(v);
  ls_auth_issuer_free(issuer);
  ls_auth_keyring_free(kr);
}

/* ---- eight threads sharing one verifier ---- */
typedef struct {
  const ls_auth_verifier *v;
  const char *header;
  size_t header_len;
  const char *token;
  size_t token_len;
  int failures;
} thread_arg;

static void *worker(void *arg) {
  thread_arg *a = arg;
  for (int i = 0; i < 300; i++) {
    ls_auth_principal *p = NULL;
    if (ls_auth_verifier_authenticate(a->v, (const uint8_t *)a->header, a->header_len, NULL, NOW + 1, &p) != LS_AUTH_OK) a->failures++;
    const ls_auth_claims *c = NULL;
    char user[16];
    size_t n;
    if (ls_auth_principal_claims(p, &c) != LS_AUTH_OK || ls_auth_claims_user_id(c, user, sizeof user, &n) != LS_AUTH_OK ||
        strcmp(user, "7"))
      a->failures++;
    ls_auth_principal_free(p);
    ls_auth_claims *claims = NULL;
    if (ls_auth_verifier_verify_access(a->v, a->token, a->token_len, NOW + 400, &claims) != LS_AUTH_TOKEN_EXPIRED) a->failures++;
    if (claims) a->failures++;
  }
  return NULL;
}

static void test_threads(void) {
  ls_auth_keyring *kr = keyring(SECRET);
  ls_auth_issuer *issuer = NULL;
  ls_auth_issuer_new(kr, NULL, &issuer);
  ls_auth_verifier *v = NULL;
  ls_auth_verifier_new(kr, NULL, &v);
  ls_auth_keyring_free(kr); /* the verifier holds its own copy */
  ls_auth_string *pat = mint(issuer, NULL, NOW);
  ls_auth_revocation none = {NULL, never_revoked, NULL};
  ls_auth_string *access = NULL;
  CHECK_RC(R(ls_auth_issuer_refresh(issuer, S(pat), L(pat), NULL, &none, NOW, &access)), LS_AUTH_OK);
  char header[1024];
  snprintf(header, sizeof header, "Bearer %s", S(access));
  pthread_t threads[8];
  thread_arg args[8];
  for (int i = 0; i < 8; i++) {
    args[i] = (thread_arg){v, header, strlen(header), S(access), L(access), 0};
    CHECK(pthread_create(&threads[i], NULL, worker, &args[i]) == 0);
  }
  int failures = 0;
  for (int i = 0; i < 8; i++) {
    pthread_join(threads[i], NULL);
    failures += args[i].failures;
  }
  CHECK(failures == 0);
  ls_auth_string_free(access);
  ls_auth_string_free(pat);
  ls_auth_issuer_free(issuer);
  ls_auth_verifier_free(v);
}

/* EdDSA keyrings and JWK Sets: NULLs, out-params untouched on failure, the strict set rules,
 * a service holding only the public set, the two new codes. */
static void test_eddsa(void) {
  uint8_t seed[32], seed2[32];
  memset(seed, 7, sizeof seed);
  memset(seed2, 9, sizeof seed2);
  ls_auth_keyring *sentinel = (ls_auth_keyring *)&seen; /* must survive every failing call */
  ls_auth_keyring *kr = sentinel;
  CHECK_RC(R(ls_auth_keyring_new_ed25519(NULL, 2, seed, 32, &kr)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_new_ed25519("k1", 2, NULL, 32, &kr)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_new_ed25519("k1", 2, seed, 32, NULL)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_new_ed25519("k1", 2, seed, 31, &kr)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_keyring_new_ed25519("", 0, seed, 32, &kr)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_keyring_new_ed25519("\xff", 1, seed, 32, &kr)), LS_AUTH_INVALID_UTF8);
  CHECK_RC(R(ls_auth_keyring_new_ed25519_pkcs8("k1", 2, seed, 32, &kr)), LS_AUTH_INVALID_ARGUMENT);
  CHECK_RC(R(ls_auth_keyring_from_jwks(NULL, 3, &kr)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_from_jwks("{\"keys\":[]}", 11, &kr)), LS_AUTH_INVALID_KEY_SET);
  const char *oct = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"k\":\"AAAA\"}]}";
  CHECK_RC(R(ls_auth_keyring_from_jwks(oct, strlen(oct), &kr)), LS_AUTH_INVALID_KEY_SET);
  CHECK(kr == sentinel);

  ls_auth_keyring *signer = NULL, *signer2 = NULL, *published = NULL;
  CHECK_RC(R(ls_auth_keyring_new_ed25519("k1", 2, seed, 32, &signer)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_keyring_new_ed25519("k2", 2, seed2, 32, &signer2)), LS_AUTH_OK);
  ls_auth_string *jwks = NULL;
  CHECK_RC(R(ls_auth_keyring_public_jwks(NULL, &jwks)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_public_jwks(signer, &jwks)), LS_AUTH_OK);
  CHECK(strstr(S(jwks), "\"kid\":\"k1\"") && !strstr(S(jwks), "\"d\""));
  CHECK_RC(R(ls_auth_keyring_from_jwks(S(jwks), L(jwks), &published)), LS_AUTH_OK);
  /* A kid already in the keyring is refused, and the keyring keeps working unchanged. */
  CHECK_RC(R(ls_auth_keyring_add_jwks(published, S(jwks), L(jwks))), LS_AUTH_INVALID_KEY_SET);
  CHECK_RC(R(ls_auth_keyring_add_keys(published, signer)), LS_AUTH_INVALID_KEY_SET);
  CHECK_RC(R(ls_auth_keyring_add_keys(NULL, signer)), LS_AUTH_NULL_PARAMETER);
  CHECK_RC(R(ls_auth_keyring_add_jwks(published, NULL, 1)), LS_AUTH_NULL_PARAMETER);

  ls_auth_issuer *issuer = NULL, *issuer2 = NULL;
  ls_auth_verifier *service = NULL;
  CHECK_RC(R(ls_auth_issuer_new(signer, NULL, &issuer)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_issuer_new(signer2, NULL, &issuer2)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_new(published, NULL, &service)), LS_AUTH_OK);
  ls_auth_revocation none = {NULL, never_revoked, NULL};
  ls_auth_string *pat = mint(issuer, NULL, NOW), *access = NULL, *access2 = NULL, *pat2 = mint(issuer2, NULL, NOW);
  CHECK_RC(R(ls_auth_issuer_refresh(issuer, S(pat), L(pat), NULL, &none, NOW, &access)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_issuer_refresh(issuer2, S(pat2), L(pat2), NULL, &none, NOW, &access2)), LS_AUTH_OK);
  ls_auth_claims *claims = NULL;
  CHECK_RC(R(ls_auth_verifier_verify_access(service, S(access), L(access), NOW, &claims)), LS_AUTH_OK);
  ls_auth_claims_free(claims);
  claims = NULL;
  CHECK_RC(R(ls_auth_verifier_verify_access(service, S(access2), L(access2), NOW, &claims)), LS_AUTH_UNKNOWN_KEY_ID);
  CHECK(claims == NULL);
  uint16_t status = 0;
  CHECK_RC(R(ls_auth_result_http_status(LS_AUTH_UNKNOWN_KEY_ID, &status)), LS_AUTH_OK);
  CHECK(status == 401);
  /* The issuer publishes k2: after add_keys the service accepts k2's tokens too. */
  ls_auth_string *jwks2 = NULL;
  CHECK_RC(R(ls_auth_keyring_public_jwks(signer2, &jwks2)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_keyring_add_jwks(published, S(jwks2), L(jwks2))), LS_AUTH_OK);
  ls_auth_verifier_free(service);
  service = NULL;
  CHECK_RC(R(ls_auth_verifier_new(published, NULL, &service)), LS_AUTH_OK);
  CHECK_RC(R(ls_auth_verifier_verify_access(service, S(access2), L(access2), NOW, &claims)), LS_AUTH_OK);
  ls_auth_claims_free(claims);
  /* A public-only keyring cannot sign. */
  ls_auth_issuer *cannot = NULL;
  ls_auth_result rc = R(ls_auth_issuer_new(published, NULL, &cannot));
  if (rc == LS_AUTH_OK) {
    ls_auth_string *nope = NULL;
    CHECK(ls_auth_issuer_mint_pat(cannot, "7", 1, NULL, 0, NULL, NOW, &nope) != LS_AUTH_OK && nope == NULL);
    ls_auth_issuer_free(cannot);
  } else {
    CHECK(cannot == NULL);
  }

  ls_auth_string_free(access2);
  ls_auth_string_free(access);
  ls_auth_string_free(pat2);
  ls_auth_string_free(pat);
  ls_auth_string_free(jwks2);
  ls_auth_string_free(jwks);
  ls_auth_verifier_free(service);
  ls_auth_issuer_free(issuer2);
  ls_auth_issuer_free(issuer);
  ls_auth_keyring_free(published);
  ls_auth_keyring_free(signer2);
  ls_auth_keyring_free(signer);
}

int main(void) {
  test_results_and_messages();
  test_frees_and_nulls();
  test_tokens();
  test_headers_and_legacy();
  test_two_steps();
  test_threads();
  test_eddsa();

  /* Every result code the library defines was produced by some call above. */
  char name[64];
  size_t n;
  int missing = 0;
  for (uint32_t c = 0; c < 1000; c++) {
    if (ls_auth_result_code(c, name, sizeof name, &n) == LS_AUTH_OK && !seen[c]) {
      fprintf(stderr, "result %u (%s) never reached\n", c, name);
      missing++;
    }
  }
  CHECK(missing == 0);
  return check_summary("test_api");
}
