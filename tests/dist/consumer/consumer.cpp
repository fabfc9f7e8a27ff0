// The C++ twin of consumer.c, through the RAII wrapper ls_auth.hpp.
// Usage: consumer_cpp VERSION SECRET TOKEN NOW USER_ID
#include <ls_auth.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char **argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s VERSION SECRET TOKEN NOW USER_ID\n", argv[0]);
    return 2;
  }
  const std::string version = argv[1], secret = argv[2], token = argv[3], user = argv[5];
  const int64_t now = std::strtoll(argv[4], nullptr, 10);
  if (ls_auth::version() != version) {
    std::fprintf(stderr, "c++ consumer: version %s, expected %s\n", ls_auth_version(), version.c_str());
    return 1;
  }
  auto keys = ls_auth::Keyring::create(secret);
  if (!keys) return std::fprintf(stderr, "c++ consumer: keyring: %s\n", keys.error().name().c_str()), 1;
  auto verifier = ls_auth::Verifier::create(keys.value());
  if (!verifier) return std::fprintf(stderr, "c++ consumer: verifier: %s\n", verifier.error().name().c_str()), 1;

  auto claims = verifier->verify_access(token, now);
  if (!claims) return std::fprintf(stderr, "c++ consumer: verify: %s\n", claims.error().name().c_str()), 1;
  auto uid = claims->user_id();
  if (!uid || uid.value() != user) return std::fprintf(stderr, "c++ consumer: wrong user_id\n"), 1;

  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'E' : 'A';
  auto refused = verifier->verify_access(tampered, now);
  if (refused || refused.error().name() != "invalid_signature") {
    return std::fprintf(stderr, "c++ consumer: tampered token not refused as invalid_signature\n"), 1;
  }
  std::printf("c++ consumer: ok (libls_auth %s, user %s)\n", ls_auth_version(), uid.value().c_str());
  return 0;
}
