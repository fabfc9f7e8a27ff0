/* Minimal assertion counting for the C suites: each program ends with one line
 * "<name>: N passed, M failed" that scripts/test-c adds up. */
#ifndef LS_AUTH_TEST_CHECK_H
#define LS_AUTH_TEST_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                             \
  do {                                                                          \
    if (cond) {                                                                 \
      check_passed++;                                                           \
    } else {                                                                    \
      check_failed++;                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                           \
  } while (0)

#define CHECK_RC(expr, want)                                                             \
  do {                                                                                   \
    ls_auth_result rc_ = (expr);                                                         \
    if (rc_ == (ls_auth_result)(want)) {                                                 \
      check_passed++;                                                                    \
    } else {                                                                             \
      check_failed++;                                                                    \
      fprintf(stderr, "%s:%d: %s returned %u, wanted %u (%s)\n", __FILE__, __LINE__, #expr, \
              (unsigned)rc_, (unsigned)(want), #want);                                   \
    }                                                                                    \
  } while (0)

static inline int check_summary(const char *name) {
  printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}

#endif
