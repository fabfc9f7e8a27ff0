/*
 * A minimal HTTP service that authenticates every request with libls_auth, using only POSIX
 * sockets on 127.0.0.1. It answers 200 with the user id, or the core's status (400/401) with
 * the core's WWW-Authenticate value.
 *
 *   LS_AUTH_SECRET=... auth_service serve PORT_FILE   listen on an ephemeral port, write it to
 *                                                     PORT_FILE, serve until killed (or 120 s)
 *   LS_AUTH_SECRET=... auth_service mint USER_ID      print an access token for USER_ID (a PAT
 *                                                     minted and refreshed now), for the demo
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
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
  ls_auth_result rc = ls_auth_authenticate(verifier, (const uint8_t *)header, hlen, NULL, LS_AUTH_NOW, &who);
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

int main(int argc, char **argv) {
  const char *secret = getenv("LS_AUTH_SECRET");
  if (argc < 3 || !secret) {
    fprintf(stderr, "usage: LS_AUTH_SECRET=... %s serve PORT_FILE | mint USER_ID\n", argv[0]);
    return 2;
  }
  ls_auth_keyring *keyring = NULL;
  ls_auth_result rc = ls_auth_keyring_new((const uint8_t *)secret, strlen(secret), false, &keyring);
  if (rc != LS_AUTH_OK) die("keyring", rc);

  if (!strcmp(argv[1], "mint")) {
    ls_auth_issuer *issuer = NULL;
    ls_auth_string *pat = NULL, *access = NULL;
    ls_auth_revocation none = {NULL, never_revoked, NULL};
    int64_t now = (int64_t)time(NULL);
    if ((rc = ls_auth_issuer_new(keyring, NULL, &issuer)) != LS_AUTH_OK) die("issuer", rc);
    if ((rc = ls_auth_issuer_mint_pat(issuer, argv[2], strlen(argv[2]), NULL, 0, NULL, now, &pat)) != LS_AUTH_OK)
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

  ls_auth_verifier *verifier = NULL;
  if ((rc = ls_auth_verifier_new(keyring, NULL, &verifier)) != LS_AUTH_OK) die("verifier", rc);
  ls_auth_keyring_free(keyring);

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
  FILE *pf = fopen(argv[2], "w");
  if (!pf) return 1;
  fprintf(pf, "%u\n", ntohs(addr.sin_port));
  fclose(pf);
  alarm(120); /* a test helper never outlives its test */
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
    answer(fd, verifier, req);
    close(fd);
  }
}
