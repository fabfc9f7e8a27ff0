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
static bool revoke_first(void *ctx, const char *, size_t, int64_t, int64_t) { return (*static_cast<int *>(ctx))++ == 0; }

int main() {
  const int64_t now = 1700000000;
  auto keyring = ls_auth::Keyring::create("django-insecure-ls-auth-c-tests-0123456789-abcdefghijklmnop");
  CHECK(keyring.ok());
  CHECK(ls_auth::Keyring::create("short").error().name() == "key_too_short");

  // EdDSA: the issuer signs with a private key, a service verifies with the published set.
  {
    auto signer = ls_auth::Keyring::ed25519("k-1", std::string(32, '\x07'));
    CHECK(signer.ok());
    auto jwks = signer->public_jwks();
    CHECK(jwks.ok() && jwks->find("\"d\"") == std::string::npos);
    auto published = ls_auth::Keyring::from_jwks(jwks.value());
    CHECK(published.ok());
    CHECK(ls_auth::Keyring::from_jwks("{\"keys\":[]}").error().name() == "invalid_key_set");
    auto ed_issuer = ls_auth::Issuer::create(signer.value());
    auto service = ls_auth::Verifier::create(published.value());
    CHECK(ed_issuer && service);
    ls_auth::OrgSettings s;
    auto ed_pat = ed_issuer->mint_pat("7", "", s, now);
    CHECK(ed_pat.ok());
    CHECK(service->verify_access(ed_pat.value(), now).error().name() == "wrong_token_type");
    auto mixed = ls_auth::Keyring::create("django-insecure-ls-auth-c-tests-0123456789-abcdefghijklmnop");
    CHECK(mixed.ok() && mixed->add_jwks(jwks.value()).ok());
    CHECK(mixed->add_keys(published.value()).error().name() == "invalid_key_set");
  }
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

  // Two steps for a multi-organisation host: the lookup first, then that organisation's settings.
  // kNow reads the system clock: use an access token refreshed at the real time.
  auto fresh = issuer->refresh(pat.value(), settings, none, ls_auth::kNow);
  auto pending = verifier->begin_authenticate("Bearer " + fresh.value(), ls_auth::kNow);
  CHECK(pending.ok());
  auto lookup = pending->lookup();
  CHECK(lookup.ok() && lookup->kind == LS_AUTH_PRINCIPAL_JWT && lookup->value == "42");
  ls_auth::OrgSettings pats_off;
  pats_off.api_tokens_enabled = false;
  CHECK(pending->admit(pats_off).error().name() == "token_kind_disabled");
  CHECK(pending->admit(settings).error().code() == LS_AUTH_ALREADY_USED);  // admitted once
  auto again = verifier->begin_authenticate("Bearer " + access.value(), now + 1);
  auto admitted = again->admit(settings);
  CHECK(admitted.ok() && admitted->claims()->user_id().value() == "42");
  CHECK(verifier->begin_authenticate("Bearer " + access.value(), now + 300).error().name() == "token_expired");

  ls_auth::OrgSettings week;
  week.pat_ttl_days = 7;
  auto pending_pat = issuer->begin_refresh(pat.value(), now);
  CHECK(pending_pat.ok() && pending_pat->user_id().value() == "42");
  int recorded = 0;
  ls_auth_revocation store{&recorded, never_revoked, revoke_first};
  auto rotation = issuer->finish_rotate(pending_pat.value(), week, store);
  CHECK(rotation.ok() && recorded == 1 && !rotation->revoked_jti.empty());
  CHECK(verifier->verify_refresh(rotation->pat, week, none, now).value().exp().value() == now + 7 * 86400);
  CHECK(issuer->finish_refresh(pending_pat.value(), week, none).error().code() == LS_AUTH_ALREADY_USED);
  auto checked = verifier->begin_refresh(rotation->pat, now)->admit(week, none);
  CHECK(checked.ok() && checked->user_id().value() == "42");
  auto refreshed = issuer->finish_refresh(issuer->begin_refresh(rotation->pat, now).value(), week, none);
  CHECK(refreshed.ok() && verifier->verify_access(refreshed.value(), now).ok());
  auto rotated_again = issuer->rotate(rotation->pat, settings, store, now);
  CHECK(rotated_again.error().name() == "token_revoked");  // the store answered "already revoked"

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

  // Where a credential may go (contract §5.1; every case is in tests/vectors/origin.json).
  auto scope = ls_auth::CredentialScope::create("https://LS.example:443/ls/");
  CHECK(scope.ok());
  CHECK(scope->allows("https://ls.example/ls/api/projects/"));
  CHECK(!scope->allows("https://ls.example/ls-other/"));
  CHECK(!scope->allows("http://ls.example/ls/api/"));
  CHECK(!scope->allows(std::string("https://ls.example/ls/\0x", 24)));
  CHECK(scope->refresh_url() == "https://ls.example/ls/api/token/refresh/");
  CHECK(scope->origin() == "https://ls.example");
  CHECK(ls_auth::CredentialScope::create("https://u@ls.example").error().name() == "invalid_argument");

  std::printf("test_hpp: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
