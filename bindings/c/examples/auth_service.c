/*
 * A minimal HTTP service that authenticates every request with libls_auth, using only POSIX
 * sockets on 127.0.0.1. It holds no secret that can sign: it verifies EdDSA access tokens with
 * the public keys of a JWK Set file (contract section 3.10), which it re-reads when the file
 * changes (a new inode, size or modification time), so a key rotation needs no restart. A file
 * the strict JWK Set rules refuse, or one that cannot be read, leaves the last good set in
 * place. It answers 200 with the user id, or the core's status (400/401) with the core's
 * WWW-Authenticate value.
 *
 *   auth_service serve JWKS_FILE PORT_FILE [SECONDS]
 *                                            listen on an ephemeral port, write it to
 *                                            PORT_FILE, serve until killed (or SECONDS,
 *                                            120 by default)
 *
 * The issuer's side, for the demo (Label Studio does this in production). KEY_FILE holds an
 * Ed25519 private key: its 32-byte seed (`head -c 32 /dev/urandom`) or its PKCS#8 DER
 * (`openssl genpkey -algorithm ed25519 -outform DER`).
 *
 *   auth_service jwks KID KEY_FILE [KID KEY_FILE ...]   print the public JWK Set of the keys
 *   auth_service mint KID KEY_FILE USER_ID              print a PAT and an access token for
 *                                                       USER_ID, signed by that key, now
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ls_auth.h"

static bool never_revoked(void *ctx, const char *jti, size_t len) {
  (void)ctx, (void)jti, (void)len;
  return false;
}

static void die(const char *what, ls_auth_result rc) {
  char msg[128];
  size_t n;
  if (ls_auth_result_message(rc, msg, sizeof msg, &n) != LS_AUTH_OK) strcpy(msg, "?");
  fprintf(stderr, "auth_service: %s: %s (%u)\n", what, msg, (unsigned)rc);
  exit(1);
}

/* Finds the Authorization header's value in a raw request; NULL when absent. */
static const char *find_authorization(const char *req, size_t *len) {
  const char *line = strstr(req, "\r\n");
  while (line && line[2] != '\r' && line[2] != '\0') {
    line += 2;
    const char *end = strstr(line, "\r\n");
    if (!end) break;
    if ((size_t)(end - line) > 14 && !strncasecmp(line, "Authorization:", 14)) {
      *len = (size_t)(end - line - 14);
      return line + 14; /* leading spaces are trimmed by the core */
    }
    line = end;
  }
  *len = 0;
  return NULL;
}

static void answer(int fd, const ls_auth_verifier *verifier, const char *req) {
  size_t hlen;
  const char *header = find_authorization(req, &hlen);
  ls_auth_principal *who = NULL;
  ls_auth_result rc = ls_auth_verifier_authenticate(verifier, (const uint8_t *)header, hlen, NULL, LS_AUTH_NOW, &who);
  char out[4096];
  int n;
  if (rc == LS_AUTH_OK) {
    const ls_auth_claims *claims = NULL;
    char user[256] = "?";
    size_t ulen;
    if (ls_auth_principal_claims(who, &claims) == LS_AUTH_OK)
      ls_auth_claims_user_id(claims, user, sizeof user, &ulen);
    n = snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nhello, user %s\n", user);
  } else {
    uint16_t status = 500;
    char challenge[1024] = "", code[64] = "internal";
    size_t len;
    ls_auth_result_http_status(rc, &status);
    ls_auth_www_authenticate(rc, challenge, sizeof challenge, &len);
    ls_auth_result_code(rc, code, sizeof code, &len);
    const char *reason = status == 400 ? "Bad Request" : status == 401 ? "Unauthorized" : "Internal Server Error";
    n = snprintf(out, sizeof out,
                 "HTTP/1.1 %u %s\r\n%s%s%sContent-Type: text/plain\r\nConnection: close\r\n\r\n%s\n", status, reason,
                 challenge[0] ? "WWW-Authenticate: " : "", challenge, challenge[0] ? "\r\n" : "", code);
  }
  ls_auth_principal_free(who);
  if (n > 0 && write(fd, out, (size_t)n) < 0) perror("write");
}

/* Reads a whole file (at most 1 MiB) into a malloc'ed buffer; NULL on failure. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 20;
  char *buf = malloc(cap + 1);
  size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
  int bad = !buf || ferror(f) || n > cap;
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* A keyring with one Ed25519 private key: a 32-byte seed file or a PKCS#8 DER file. */
static ls_auth_keyring *private_key(const char *kid, const char *path) {
  size_t len;
  char *key = read_file(path, &len);
  if (!key) {
    perror(path);
    exit(1);
  }
  ls_auth_keyring *kr = NULL;
  ls_auth_result rc = len == 32 ? ls_auth_keyring_new_ed25519(kid, strlen(kid), (uint8_t *)key, len, &kr)
                                : ls_auth_keyring_new_ed25519_pkcs8(kid, strlen(kid), (uint8_t *)key, len, &kr);
  memset(key, 0, len); /* a real issuer would use explicit_bzero */
  free(key);
  if (rc != LS_AUTH_OK) die("private key", rc);
  return kr;
}

/* The JWK Set file and the verifier built from it; reloaded when the file changes. */
struct key_set {
  const char *path;
  struct stat seen;
  ls_auth_verifier *verifier;
};

static int same_file(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Re-reads the file if it changed since the last look. Keeps the current verifier when the new
 * file cannot be read or is not a valid public JWK Set; returns false only if none is loaded. */
static bool reload(struct key_set *ks) {
  struct stat now;
  if (stat(ks->path, &now) != 0) {
    perror(ks->path);
    return ks->verifier != NULL;
  }
  if (ks->verifier && same_file(&now, &ks->seen)) return true;
  ks->seen = now; /* a bad file is reported once, not on every request */
  size_t len;
  char *text = read_file(ks->path, &len);
  if (!text) {
    fprintf(stderr, "auth_service: cannot read %s; keeping the last key set\n", ks->path);
    return ks->verifier != NULL;
  }
  ls_auth_keyring *kr = NULL;
  ls_auth_verifier *v = NULL;
  ls_auth_result rc = ls_auth_keyring_from_jwks(text, len, &kr);
  free(text);
  if (rc == LS_AUTH_OK) rc = ls_auth_verifier_new(kr, NULL, &v);
  ls_auth_keyring_free(kr);
  if (rc != LS_AUTH_OK) {
    char msg[128];
    size_t n;
    if (ls_auth_result_message(rc, msg, sizeof msg, &n) != LS_AUTH_OK) strcpy(msg, "?");
    fprintf(stderr, "auth_service: %s refused (%s); keeping the last key set\n", ks->path, msg);
    return ks->verifier != NULL;
  }
  ls_auth_verifier_free(ks->verifier);
  ks->verifier = v;
  fprintf(stderr, "auth_service: loaded the key set %s\n", ks->path);
  return true;
}

static int usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s serve JWKS_FILE PORT_FILE [SECONDS]\n"
          "       %s jwks KID KEY_FILE [KID KEY_FILE ...]\n"
          "       %s mint KID KEY_FILE USER_ID\n",
          argv0, argv0, argv0);
  return 2;
}

int main(int argc, char **argv) {
  ls_auth_result rc;
  if (argc >= 4 && argc % 2 == 0 && !strcmp(argv[1], "jwks")) {
    ls_auth_keyring *set = private_key(argv[2], argv[3]);
    for (int i = 4; i + 1 < argc; i += 2) {
      ls_auth_keyring *next = private_key(argv[i], argv[i + 1]);
      if ((rc = ls_auth_keyring_add_keys(set, next)) != LS_AUTH_OK) die("jwks", rc);
      ls_auth_keyring_free(next);
    }
    ls_auth_string *jwks = NULL;
    if ((rc = ls_auth_keyring_public_jwks(set, &jwks)) != LS_AUTH_OK) die("jwks", rc);
    printf("%s\n", ls_auth_string_data(jwks));
    ls_auth_string_free(jwks);
    ls_auth_keyring_free(set);
    return 0;
  }

  if (argc == 5 && !strcmp(argv[1], "mint")) {
    ls_auth_keyring *keyring = private_key(argv[2], argv[3]);
    ls_auth_issuer *issuer = NULL;
    ls_auth_string *pat = NULL, *access = NULL;
    ls_auth_revocation none = {NULL, never_revoked, NULL};
    int64_t now = (int64_t)time(NULL);
    const char *user = argv[4];
    if ((rc = ls_auth_issuer_new(keyring, NULL, &issuer)) != LS_AUTH_OK) die("issuer", rc);
    if ((rc = ls_auth_issuer_mint_pat(issuer, user, strlen(user), NULL, 0, NULL, now, &pat)) != LS_AUTH_OK)
      die("mint", rc);
    if ((rc = ls_auth_issuer_refresh(issuer, ls_auth_string_data(pat), ls_auth_string_len(pat), NULL, &none, now,
                                     &access)) != LS_AUTH_OK)
      die("refresh", rc);
    printf("%s %s\n", ls_auth_string_data(pat), ls_auth_string_data(access));
    ls_auth_string_free(access);
    ls_auth_string_free(pat);
    ls_auth_issuer_free(issuer);
    ls_auth_keyring_free(keyring);
    return 0;
  }

  if ((argc != 4 && argc != 5) || strcmp(argv[1], "serve")) return usage(argv[0]);
  unsigned lifetime = argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 120;
  if (lifetime == 0) return usage(argv[0]);
  struct key_set keys = {argv[2], {0}, NULL};
  if (!reload(&keys)) {
    fprintf(stderr, "auth_service: no valid JWK Set in %s\n", keys.path);
    return 1;
  }

  int srv = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t alen = sizeof addr;
  if (srv < 0 || bind(srv, (struct sockaddr *)&addr, sizeof addr) || listen(srv, 16) ||
      getsockname(srv, (struct sockaddr *)&addr, &alen)) {
    perror("socket");
    return 1;
  }
  FILE *pf = fopen(argv[3], "w");
  if (!pf) return 1;
  fprintf(pf, "%u\n", ntohs(addr.sin_port));
  fclose(pf);
  alarm(lifetime); /* a test helper never outlives its test */
  for (;;) {
    int fd = accept(srv, NULL, NULL);
    if (fd < 0) continue;
    char req[16384];
    size_t got = 0;
    while (got < sizeof req - 1) {
      ssize_t r = read(fd, req + got, sizeof req - 1 - got);
      if (r <= 0) break;
      got += (size_t)r;
      req[got] = '\0';
      if (strstr(req, "\r\n\r\n")) break;
    }
    req[got] = '\0';
    reload(&keys); /* one stat(2) per request; a real service would also poll on a timer */
    answer(fd, keys.verifier, req);
    close(fd);
  }
}
