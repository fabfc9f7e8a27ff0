/* A C program built against an installed libls_auth (CMake or pkg-config; scripts/test-dist).
 * Usage: consumer VERSION SECRET TOKEN NOW USER_ID
 * Checks that the library it runs with is VERSION, that TOKEN (an access token made by a peer,
 * from tests/vectors) verifies at NOW as USER_ID's, and that a changed signature is refused.
 * Prints "c consumer: ok" and exits 0, or says what failed and exits 1. */
#include <ls_auth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, ls_auth_result rc) {
  char code[64] = "?";
  size_t n;
  ls_auth_result_code(rc, code, sizeof code, &n);
  fprintf(stderr, "c consumer: %s: %s\n", what, code);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s VERSION SECRET TOKEN NOW USER_ID\n", argv[0]);
    return 2;
  }
  const char *version = argv[1], *secret = argv[2], *token = argv[3], *user = argv[5];
  int64_t now = strtoll(argv[4], NULL, 10);
  if (strcmp(ls_auth_version(), version) != 0) {
    fprintf(stderr, "c consumer: ls_auth_version() is %s, expected %s\n", ls_auth_version(), version);
    return 1;
  }
  ls_auth_keyring *keys = NULL;
  ls_auth_verifier *verifier = NULL;
  ls_auth_claims *claims = NULL;
  ls_auth_result rc = ls_auth_keyring_new((const uint8_t *)secret, strlen(secret), false, &keys);
  if (rc != LS_AUTH_OK) return fail("keyring", rc);
  rc = ls_auth_verifier_new(keys, NULL, &verifier);
  ls_auth_keyring_free(keys);
  if (rc != LS_AUTH_OK) return fail("verifier", rc);

  rc = ls_auth_verifier_verify_access(verifier, token, strlen(token), now, &claims);
  if (rc != LS_AUTH_OK) return fail("verify the vector's token", rc);
  char uid[64];
  size_t n;
  rc = ls_auth_claims_user_id(claims, uid, sizeof uid, &n);
  ls_auth_claims_free(claims);
  if (rc != LS_AUTH_OK) return fail("user_id", rc);
  if (strcmp(uid, user) != 0) {
    fprintf(stderr, "c consumer: user_id %s, expected %s\n", uid, user);
    return 1;
  }

  /* The signature's last character replaced by another canonical one: refused. */
  size_t len = strlen(token);
  char *tampered = malloc(len + 1);
  if (!tampered) return 1;
  memcpy(tampered, token, len + 1);
  tampered[len - 1] = tampered[len - 1] == 'A' ? 'E' : 'A';
  claims = NULL;
  rc = ls_auth_verifier_verify_access(verifier, tampered, len, now, &claims);
  free(tampered);
  ls_auth_verifier_free(verifier);
  if (rc != LS_AUTH_INVALID_SIGNATURE || claims != NULL) return fail("tampered token not refused as invalid_signature", rc);

  printf("c consumer: ok (libls_auth %s, user %s)\n", ls_auth_version(), uid);
  return 0;
}
