/* Memory soak through libls_auth: verifications (claims freed each call) and
 * refreshes (token string freed each call) in one process, the resident set size printed
 * before and after. Run by scripts/bench, never by the tests.
 * Usage: soak [VERIFICATIONS] [REFRESHES]   (default 10000000 and 1000000)
 * "before" is taken after a warm-up of 1% of each. */

#include "bench_common.h"

#define SECRET "soak-secret-key-of-at-least-32-bytes!!"

static long rss_kib(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * 4;
}

static int run(const ls_auth_verifier *v, const ls_auth_issuer *issuer, const ls_auth_revocation *none,
               const char *access, size_t access_len, const char *pat, size_t pat_len, long verifications,
               long refreshes) {
  for (long i = 0; i < verifications; i++) {
    ls_auth_claims *c = NULL;
    if (ls_auth_verifier_verify_access(v, access, access_len, NOW + 1, &c) != LS_AUTH_OK) return 1;
    ls_auth_claims_free(c);
  }
  for (long i = 0; i < refreshes; i++) {
    ls_auth_string *s = NULL;
    if (ls_auth_issuer_refresh(issuer, pat, pat_len, NULL, none, NOW + 1, &s) != LS_AUTH_OK) return 1;
    ls_auth_string_free(s);
  }
  return 0;
}

int main(int argc, char **argv) {
  long verifications = argc > 1 ? atol(argv[1]) : 10000000L;
  long refreshes = argc > 2 ? atol(argv[2]) : 1000000L;
  ls_auth_keyring *kr = NULL;
  ls_auth_issuer *issuer = NULL;
  ls_auth_verifier *v = NULL;
  ls_auth_string *pat = NULL, *access = NULL;
  ls_auth_revocation none = {NULL, never_revoked, NULL};
  const char *extra = "{\"org\":{\"id\":1,\"roles\":[\"a\"]}}";
  if (ls_auth_keyring_new((const uint8_t *)SECRET, strlen(SECRET), false, &kr) ||
      ls_auth_issuer_new(kr, NULL, &issuer) || ls_auth_verifier_new(kr, NULL, &v) ||
      ls_auth_issuer_mint_pat(issuer, "1", 1, extra, strlen(extra), NULL, NOW, &pat) ||
      ls_auth_issuer_refresh(issuer, ls_auth_string_data(pat), ls_auth_string_len(pat), NULL, &none, NOW, &access))
    return 1;
  const char *a = ls_auth_string_data(access), *p = ls_auth_string_data(pat);
  size_t al = ls_auth_string_len(access), pl = ls_auth_string_len(pat);
  if (run(v, issuer, &none, a, al, p, pl, verifications / 100, refreshes / 100)) return 1;
  long before = rss_kib();
  if (run(v, issuer, &none, a, al, p, pl, verifications, refreshes)) return 1;
  long after = rss_kib();
  printf("verifications=%ld\nrefreshes=%ld\nrss_before_kib=%ld\nrss_after_kib=%ld\n", verifications, refreshes,
         before, after);
  free_setup(access, pat, v, issuer, kr);
  return 0;
}
