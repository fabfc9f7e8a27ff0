// The C++ wrapper: authenticating headers with ls_auth.hpp, RAII ownership (run under ASan).
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ls_auth.hpp"

static int passed, failed;
#define CHECK(cond)                                                          \
  do {                                                                       \
    if (cond) {                                                              \
      passed++;                                                              \
    } else {                                                                 \
      failed++;                                                              \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

static bool never_revoked(void *, const char *, size_t) { return false; }

int main() {
  const int64_t now = 1700000000;
  auto keyring = ls_auth::Keyring::create("django-insecure-ls-auth-c-tests-0123456789-abcdefghijklmnop");
  CHECK(keyring.ok());
  CHECK(ls_auth::Keyring::create("short").error().name() == "key_too_short");
  auto issuer = ls_auth::Issuer::create(keyring.value());
  auto verifier = ls_auth::Verifier::create(keyring.value());
  CHECK(issuer && verifier);
  ls_auth::OrgSettings settings;
  ls_auth_revocation none{nullptr, never_revoked, nullptr};
  auto pat = issuer->mint_pat("42", "", settings, now);
  CHECK(pat.ok());
  auto access = issuer->refresh(pat.value(), settings, none, now);
  CHECK(access.ok());

  // A good Bearer header.
  auto who = verifier->authenticate("Bearer " + access.value(), settings, now + 1);
  CHECK(who.ok() && who->is_jwt());
  CHECK(who->claims()->user_id().value() == "42");
  CHECK(who->claims()->get_json("token_type").value() == "\"access\"");

  // Refusals, each with its status and challenge.
  struct Case {
    std::string header;
    int64_t at;
    const char *code;
    uint16_t status;
    const char *challenge_prefix;
  } cases[] = {
      {"", now, "no_credentials", 401, "Bearer realm=\"api\""},
      {"Basic Zm9vOmJhcg==", now, "unsupported_scheme", 401, "Bearer realm=\"api\""},
      {"Bearer a b", now, "malformed_header", 400, "Bearer realm=\"api\", error=\"invalid_request\""},
      {"Bearer " + access.value(), now + 300, "token_expired", 401, "Bearer realm=\"api\", error=\"invalid_token\""},
      {"Bearer " + pat.value(), now, "wrong_token_type", 401, "Bearer realm=\"api\", error=\"invalid_token\""},
      {"Token " + access.value(), now, "wrong_token_type", 401, "Bearer realm=\"api\", error=\"invalid_token\""},
  };
  for (const auto &c : cases) {
    auto r = verifier->authenticate(c.header, settings, c.at);
    CHECK(!r.ok());
    if (r.ok()) continue;
    CHECK(r.error().name() == c.code);
    CHECK(r.error().http_status() == c.status);
    CHECK(r.error().www_authenticate().rfind(c.challenge_prefix, 0) == 0);
  }

  // Never truncated: a NUL inside a string_view is refused, not cut.
  std::string with_nul = access.value() + std::string("\0junk", 5);
  CHECK(verifier->verify_access(with_nul, now).error().code() == LS_AUTH_INVALID_ARGUMENT);

  auto cred = ls_auth::parse_authorization("token abc");
  CHECK(cred.ok() && cred->scheme == LS_AUTH_SCHEME_TOKEN && cred->token == "abc");

  // One verifier shared by threads through a const reference; moves transfer ownership.
  const ls_auth::Verifier shared = std::move(verifier.value());
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; t++)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; i++)
        if (!shared.verify_access(access.value(), now + 2).ok()) bad[t]++;
    });
  for (auto &th : threads) th.join();
  CHECK(bad[0] + bad[1] + bad[2] + bad[3] == 0);
  CHECK(!ls_auth::version().empty());

  std::printf("test_hpp: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
