/* What the C bench programs share: the includes and a revocation store that revokes nothing. */
#ifndef LS_AUTH_BENCH_COMMON_H
#define LS_AUTH_BENCH_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ls_auth.h"

#define NOW 1700000000

static bool never_revoked(void *c, const char *j, size_t l) {
  (void)c, (void)j, (void)l;
  return false;
}

/* Frees what a bench program built at start-up. */
static void free_setup(ls_auth_string *access, ls_auth_string *pat, ls_auth_verifier *v, ls_auth_issuer *issuer,
                       ls_auth_keyring *kr) {
  ls_auth_string_free(access);
  ls_auth_string_free(pat);
  ls_auth_verifier_free(v);
  ls_auth_issuer_free(issuer);
  ls_auth_keyring_free(kr);
}

#endif
