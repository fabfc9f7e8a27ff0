/* Per-call cost of ls_auth_verifier_verify_access from C (claims freed each call, as a
 * service would). Prints "c_ns_per_op=<n>"; scripts/bench compares it with rust_bench
 * (bench/rust_bench.rs, the same loop through ls-auth-core). Usage: bench_verify [ITERATIONS] */
#include <time.h>

#include "bench_common.h"

#define SECRET "django-insecure-ls-auth-bench-0123456789-abcdefghijklmnop"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 200000;
  ls_auth_keyring *kr = NULL;
  ls_auth_issuer *issuer = NULL;
  ls_auth_verifier *v = NULL;
  ls_auth_string *pat = NULL, *access = NULL;
  ls_auth_revocation none = {NULL, never_revoked, NULL};
  if (ls_auth_keyring_new((const uint8_t *)SECRET, strlen(SECRET), false, &kr) ||
      ls_auth_issuer_new(kr, NULL, &issuer) ||
      ls_auth_verifier_new(kr, NULL, &v) || ls_auth_issuer_mint_pat(issuer, "1", 1, NULL, 0, NULL, NOW, &pat) ||
      ls_auth_issuer_refresh(issuer, ls_auth_string_data(pat), ls_auth_string_len(pat), NULL, &none, NOW, &access))
    return 1;
  const char *tok = ls_auth_string_data(access);
  size_t len = ls_auth_string_len(access);
  for (long i = 0; i < iters / 10; i++) { /* warm up */
    ls_auth_claims *c = NULL;
    if (ls_auth_verifier_verify_access(v, tok, len, NOW + 1, &c) != LS_AUTH_OK) return 1;
    ls_auth_claims_free(c);
  }
  double t0 = now_ns();
  for (long i = 0; i < iters; i++) {
    ls_auth_claims *c = NULL;
    if (ls_auth_verifier_verify_access(v, tok, len, NOW + 1, &c) != LS_AUTH_OK) return 1;
    ls_auth_claims_free(c);
  }
  double per = (now_ns() - t0) / (double)iters;
  printf("c_ns_per_op=%.1f\n", per);
  free_setup(access, pat, v, issuer, kr);
  return 0;
}
