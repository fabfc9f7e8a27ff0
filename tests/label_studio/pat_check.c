/* Verifies a server-minted PAT with libls_auth (argv[1]); key from LS_AUTH_SECRET. */
#include <ls_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool not_revoked(void *ctx, const char *jti, size_t len) {
  (void)ctx; (void)jti; (void)len;
  return false;
}

static const char *code(ls_auth_result r) {
  static char buf[64];
  size_t n;
  if (ls_auth_result_code(r, buf, sizeof buf, &n) != LS_AUTH_OK) return "?";
  return buf;
}

int main(int argc, char **argv) {
  const char *secret = getenv("LS_AUTH_SECRET");
  if (argc != 2 || !secret) { fprintf(stderr, "usage: LS_AUTH_SECRET=... %s PAT\n", argv[0]); return 2; }
  const char *pat = argv[1];
  ls_auth_keyring *kr = NULL;
  ls_auth_verifier *v = NULL;
  ls_auth_claims *c = NULL;
  ls_auth_result r = ls_auth_keyring_new((const uint8_t *)secret, strlen(secret), false, &kr);
  if (r != LS_AUTH_OK) { printf("keyring: %s\n", code(r)); return 1; }
  r = ls_auth_verifier_new(kr, NULL, &v);
  if (r != LS_AUTH_OK) { printf("verifier: %s\n", code(r)); return 1; }
  ls_auth_revocation rev = { NULL, not_revoked, NULL };
  int failed = 0;
  int64_t now = (int64_t)time(NULL);
  r = ls_auth_verifier_verify_refresh(v, pat, strlen(pat), NULL, &rev, now, &c);
  if (r == LS_AUTH_OK) {
    char uid[64];
    size_t n;
    ls_auth_token_type tt = 0;
    ls_auth_claims_token_type(c, &tt);
    ls_auth_claims_user_id(c, uid, sizeof uid, &n);
    printf("ls_auth_verifier_verify_refresh(server PAT): ok (token_type %u = REFRESH, user_id \"%s\")",
           (unsigned)tt, uid);
    if (tt != LS_AUTH_TOKEN_TYPE_REFRESH) failed = 1;
    ls_auth_claims_free(c);
    c = NULL;
  } else {
    printf("ls_auth_verifier_verify_refresh(server PAT): %s", code(r));
    failed = 1;
  }
  r = ls_auth_verifier_verify_access(v, pat, strlen(pat), now, &c);
  printf("; ls_auth_verifier_verify_access(server PAT): %s (%u)\n", r == LS_AUTH_OK ? "ok" : code(r), (unsigned)r);
  if (r != LS_AUTH_WRONG_TOKEN_TYPE) failed = 1;
  ls_auth_claims_free(c);
  ls_auth_verifier_free(v);
  ls_auth_keyring_free(kr);
  return failed;
}
