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

#endif
