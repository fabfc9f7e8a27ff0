// ls_auth.hpp: a header-only C++17 RAII wrapper over libls_auth (include/ls_auth.h).
//
// Ownership: every object owns its C handle uniquely (movable, not copyable) and frees it in
// its destructor. Inputs are std::string_view (never truncated: an embedded NUL is refused by
// the library, not cut off). Nothing here decides anything: every rule is the core's.
//
// Errors: expected-style results, NOT exceptions. Why:
//  - a refused token is an ordinary outcome that a service meets on its hot path, many times a
//    second under attack; exceptions would make the common failure path the slow one and hide
//    it from the reader of the calling code;
//  - the wrapper then works in code built with -fno-exceptions (common in C++ services);
//  - the shape is C++23's std::expected (ok(), value(), error(), operator bool), so moving to
//    std::expected later is mechanical. Calling value() on a failed Result is a precondition
//    violation and aborts, like dereferencing an empty optional should.
//
// Thread safety: as in ls_auth.h: Verifier, Issuer, Keyring, Policy, Claims and Principal may
// be used from many threads at once through const references; Keyring::add_fallback and
// Policy setters need exclusive access.
//
// Time: every `now` is seconds since the epoch; pass ls_auth::kNow to use the system clock.
//
// Multi-organisation hosts: Verifier::begin_authenticate / begin_refresh verify everything that
// needs no settings and name the user (or legacy key) to look up; PendingPrincipal::admit,
// PendingRefresh::admit and Issuer::finish_refresh / finish_rotate apply that organisation's
// settings. A pending object is admitted once; nothing in it is an authorisation.
#ifndef LS_AUTH_HPP
#define LS_AUTH_HPP

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "ls_auth.h"

namespace ls_auth {

namespace detail {
// Reads a string-out function: first into a small stack buffer, then at the size asked for.
template <class F>
ls_auth_result read_string(F &&fn, std::string &out) {
  char small[256];
  size_t n = 0;
  ls_auth_result rc = fn(small, sizeof small, &n);
  if (rc == LS_AUTH_OK) {
    out.assign(small, n);
    return rc;
  }
  if (rc != LS_AUTH_INSUFFICIENT_SIZE) return rc;
  std::string big(n, '\0');
  rc = fn(big.data(), big.size(), &n);
  if (rc == LS_AUTH_OK) {
    big.resize(n);
    out = std::move(big);
  }
  return rc;
}

template <class T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const noexcept { Free(p); }
};
template <class T, void (*Free)(T *)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;
}  // namespace detail

/// Pass as `now` to use the system clock.
inline constexpr int64_t kNow = LS_AUTH_NOW;

/// A failure: one stable ls_auth_result code, with its name, message and HTTP mapping.
class Error {
 public:
  explicit Error(ls_auth_result code) noexcept : code_(code) {}
  ls_auth_result code() const noexcept { return code_; }
  /// The stable snake_case code, e.g. "token_expired".
  std::string name() const { return text(ls_auth_result_code); }
  /// A short human message, e.g. "token has expired".
  std::string message() const { return text(ls_auth_result_message); }
  /// 400, 401 or 500 for the core's codes; 500 for the binding's own (a bug in the caller).
  uint16_t http_status() const noexcept {
    uint16_t status = 500;
    return ls_auth_result_http_status(code_, &status) == LS_AUTH_OK ? status : 500;
  }
  /// The WWW-Authenticate value to send, or "" when the failure carries no challenge.
  std::string www_authenticate() const { return text(ls_auth_www_authenticate); }

 private:
  std::string text(ls_auth_result (*fn)(uint32_t, char *, size_t, size_t *)) const {
    std::string out;
    detail::read_string([&](char *b, size_t l, size_t *n) { return fn(code_, b, l, n); }, out);
    return out;
  }
  ls_auth_result code_;
};

/// A value or an Error, shaped like C++23's std::expected.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}        // NOLINT: implicit by design
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T &value() & { return ok() ? std::get<0>(v_) : (std::abort(), std::get<0>(v_)); }
  const T &value() const & { return ok() ? std::get<0>(v_) : (std::abort(), std::get<0>(v_)); }
  T &&value() && { return ok() ? std::get<0>(std::move(v_)) : (std::abort(), std::get<0>(std::move(v_))); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  const Error &error() const { return ok() ? (std::abort(), std::get<1>(v_)) : std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Success or an Error.
using Status = Result<std::monostate>;

namespace detail {
inline Status status(ls_auth_result rc) { return rc == LS_AUTH_OK ? Status(std::monostate{}) : Status(Error(rc)); }
inline Result<std::string> string_result(ls_auth_result rc, std::string s) {
  return rc == LS_AUTH_OK ? Result<std::string>(std::move(s)) : Result<std::string>(Error(rc));
}
// Takes a library-owned string into a std::string.
inline std::string take(ls_auth_string *s) {
  std::string out(ls_auth_string_data(s), ls_auth_string_len(s));
  ls_auth_string_free(s);
  return out;
}
}  // namespace detail

/// Organisation settings, starting from Label Studio's defaults.
struct OrgSettings : ls_auth_org_settings {
  OrgSettings() noexcept : ls_auth_org_settings() { ls_auth_org_settings_default(this); }
};

/// HMAC keys: the first signs, all verify.
class Keyring {
 public:
  static Result<Keyring> create(std::string_view secret, bool allow_short_key = false) {
    ls_auth_keyring *k = nullptr;
    ls_auth_result rc =
        ls_auth_keyring_new(reinterpret_cast<const uint8_t *>(secret.data()), secret.size(), allow_short_key, &k);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Keyring(k);
  }
  /// The Ed25519 public keys of a JWK Set, read strictly (contract §3.10): verifies only.
  static Result<Keyring> from_jwks(std::string_view jwks) {
    ls_auth_keyring *k = nullptr;
    ls_auth_result rc = ls_auth_keyring_from_jwks(jwks.data(), jwks.size(), &k);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Keyring(k);
  }
  /// An Ed25519 private key named `kid` from its 32-byte seed: signs and verifies.
  static Result<Keyring> ed25519(std::string_view kid, std::string_view seed) {
    ls_auth_keyring *k = nullptr;
    ls_auth_result rc = ls_auth_keyring_new_ed25519(
        kid.data(), kid.size(), reinterpret_cast<const uint8_t *>(seed.data()), seed.size(), &k);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Keyring(k);
  }
  /// An Ed25519 private key named `kid` from its PKCS#8 v1 DER.
  static Result<Keyring> ed25519_pkcs8(std::string_view kid, std::string_view der) {
    ls_auth_keyring *k = nullptr;
    ls_auth_result rc = ls_auth_keyring_new_ed25519_pkcs8(
        kid.data(), kid.size(), reinterpret_cast<const uint8_t *>(der.data()), der.size(), &k);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Keyring(k);
  }
  /// An old secret that still verifies (secret rotation).
  Status add_fallback(std::string_view secret, bool allow_short_key = false) {
    return detail::status(ls_auth_keyring_add_fallback(
        h_.get(), reinterpret_cast<const uint8_t *>(secret.data()), secret.size(), allow_short_key));
  }
  /// Adds the public keys of a JWK Set; a `kid` already present is `invalid_key_set`.
  Status add_jwks(std::string_view jwks) {
    return detail::status(ls_auth_keyring_add_jwks(h_.get(), jwks.data(), jwks.size()));
  }
  /// Adds every key of `other` (verify only); a shared `kid` is `invalid_key_set`.
  Status add_keys(const Keyring &other) { return detail::status(ls_auth_keyring_add_keys(h_.get(), other.get())); }
  /// The public JWK Set of every Ed25519 key (what an issuer publishes).
  Result<std::string> public_jwks() const {
    ls_auth_string *s = nullptr;
    ls_auth_result rc = ls_auth_keyring_public_jwks(h_.get(), &s);
    if (rc != LS_AUTH_OK) return Error(rc);
    return detail::take(s);
  }
  const ls_auth_keyring *get() const noexcept { return h_.get(); }

 private:
  explicit Keyring(ls_auth_keyring *k) : h_(k) {}
  detail::Handle<ls_auth_keyring, ls_auth_keyring_free> h_;
};

/// Token policy: access TTL, leeway, issuer, audience.
class Policy {
 public:
  static Result<Policy> create() {
    ls_auth_policy *p = nullptr;
    ls_auth_result rc = ls_auth_policy_new(&p);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Policy(p);
  }
  Status set_leeway(uint32_t s) { return detail::status(ls_auth_policy_set_leeway(h_.get(), s)); }
  Status set_access_ttl(uint32_t s) { return detail::status(ls_auth_policy_set_access_ttl(h_.get(), s)); }
  Status set_issuer(std::string_view v) { return detail::status(ls_auth_policy_set_issuer(h_.get(), v.data(), v.size())); }
  Status set_audience(std::string_view v) {
    return detail::status(ls_auth_policy_set_audience(h_.get(), v.data(), v.size()));
  }
  const ls_auth_policy *get() const noexcept { return h_.get(); }

 private:
  explicit Policy(ls_auth_policy *p) : h_(p) {}
  detail::Handle<ls_auth_policy, ls_auth_policy_free> h_;
};

/// Read-only access to verified claims (owned by a Claims or lent by a Principal).
class ClaimsView {
 public:
  explicit ClaimsView(const ls_auth_claims *c) noexcept : c_(c) {}
  Result<std::string> user_id() const { return str(ls_auth_claims_user_id); }
  Result<std::string> jti() const { return str(ls_auth_claims_jti); }
  Result<int64_t> exp() const {
    int64_t v = 0;
    ls_auth_result rc = ls_auth_claims_exp(c_, &v);
    return rc == LS_AUTH_OK ? Result<int64_t>(v) : Result<int64_t>(Error(rc));
  }
  Result<ls_auth_token_type> token_type() const {
    ls_auth_token_type t{};
    ls_auth_result rc = ls_auth_claims_token_type(c_, &t);
    return rc == LS_AUTH_OK ? Result<ls_auth_token_type>(t) : Result<ls_auth_token_type>(Error(rc));
  }
  /// Any claim as compact JSON; a claim the token lacks is LS_AUTH_MISSING_CLAIM.
  Result<std::string> get_json(std::string_view name) const {
    std::string out;
    ls_auth_result rc = detail::read_string(
        [&](char *b, size_t l, size_t *n) { return ls_auth_claims_get_json(c_, name.data(), name.size(), b, l, n); },
        out);
    return detail::string_result(rc, std::move(out));
  }
  Result<std::string> to_json() const { return str(ls_auth_claims_to_json); }
  const ls_auth_claims *get() const noexcept { return c_; }

 private:
  Result<std::string> str(ls_auth_result (*fn)(const ls_auth_claims *, char *, size_t, size_t *)) const {
    std::string out;
    ls_auth_result rc = detail::read_string([&](char *b, size_t l, size_t *n) { return fn(c_, b, l, n); }, out);
    return detail::string_result(rc, std::move(out));
  }
  const ls_auth_claims *c_;
};

/// Claims owned by the caller.
class Claims : public ClaimsView {
 public:
  explicit Claims(ls_auth_claims *c) noexcept : ClaimsView(c), h_(c) {}

 private:
  detail::Handle<ls_auth_claims, ls_auth_claims_free> h_;
};

/// Who a request is.
class Principal {
 public:
  explicit Principal(ls_auth_principal *p) noexcept : h_(p) {}
  bool is_jwt() const noexcept {
    ls_auth_principal_kind k{};
    return ls_auth_principal_get_kind(h_.get(), &k) == LS_AUTH_OK && k == LS_AUTH_PRINCIPAL_JWT;
  }
  /// The claims of a JWT principal, lent: valid while this Principal lives.
  Result<ClaimsView> claims() const {
    const ls_auth_claims *c = nullptr;
    ls_auth_result rc = ls_auth_principal_claims(h_.get(), &c);
    return rc == LS_AUTH_OK ? Result<ClaimsView>(ClaimsView(c)) : Result<ClaimsView>(Error(rc));
  }
  /// The legacy key to look up (legacy principals only).
  Result<std::string> legacy_key() const {
    std::string out;
    ls_auth_result rc = detail::read_string(
        [&](char *b, size_t l, size_t *n) { return ls_auth_principal_legacy_key(h_.get(), b, l, n); }, out);
    return detail::string_result(rc, std::move(out));
  }

 private:
  detail::Handle<ls_auth_principal, ls_auth_principal_free> h_;
};

/// What a pending credential asks the host to look up: a user id (kind JWT) or a legacy key.
struct Lookup {
  ls_auth_principal_kind kind;
  std::string value;
};

/// A credential verified without settings (Verifier::begin_authenticate); admit it once under
/// the settings of the organisation its lookup leads to.
class PendingPrincipal {
 public:
  explicit PendingPrincipal(ls_auth_pending_principal *p) noexcept : h_(p) {}
  /// Who to look up to find the organisation. Not an authorisation.
  Result<Lookup> lookup() const {
    ls_auth_principal_kind kind{};
    std::string out;
    ls_auth_result rc = detail::read_string(
        [&](char *b, size_t l, size_t *n) { return ls_auth_pending_principal_lookup(h_.get(), &kind, b, l, n); },
        out);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Lookup{kind, std::move(out)};
  }
  /// Applies the organisation's settings: the principal, or LS_AUTH_TOKEN_KIND_DISABLED;
  /// LS_AUTH_ALREADY_USED after the one admission.
  Result<Principal> admit(const ls_auth_org_settings &settings) const {
    ls_auth_principal *p = nullptr;
    ls_auth_result rc = ls_auth_pending_principal_admit(h_.get(), &settings, &p);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Principal(p);
  }

 private:
  detail::Handle<ls_auth_pending_principal, ls_auth_pending_principal_free> h_;
};

/// A PAT verified without settings (Verifier/Issuer::begin_refresh); admit it once.
class PendingRefresh {
 public:
  explicit PendingRefresh(ls_auth_pending_refresh *p) noexcept : h_(p) {}
  /// The PAT's user id, to find the organisation. Not an authorisation.
  Result<std::string> user_id() const {
    std::string out;
    ls_auth_result rc = detail::read_string(
        [&](char *b, size_t l, size_t *n) { return ls_auth_pending_refresh_user_id(h_.get(), b, l, n); }, out);
    return detail::string_result(rc, std::move(out));
  }
  /// Applies the organisation's settings and revocation: the PAT's claims;
  /// LS_AUTH_ALREADY_USED after the one admission.
  Result<Claims> admit(const ls_auth_org_settings &settings, const ls_auth_revocation &revocation) const {
    ls_auth_claims *c = nullptr;
    ls_auth_result rc = ls_auth_pending_refresh_admit(h_.get(), &settings, &revocation, &c);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Claims(c);
  }
  const ls_auth_pending_refresh *get() const noexcept { return h_.get(); }

 private:
  detail::Handle<ls_auth_pending_refresh, ls_auth_pending_refresh_free> h_;
};

/// The outcome of a rotation: the new PAT, and the old one's jti and exp, now revoked.
struct Rotation {
  std::string pat;
  std::string revoked_jti;
  int64_t revoked_exp;
};

/// Verifies tokens; share one across threads.
class Verifier {
 public:
  static Result<Verifier> create(const Keyring &keyring, const Policy *policy = nullptr) {
    ls_auth_verifier *v = nullptr;
    ls_auth_result rc = ls_auth_verifier_new(keyring.get(), policy ? policy->get() : nullptr, &v);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Verifier(v);
  }
  Result<Claims> verify_access(std::string_view token, int64_t now) const {
    ls_auth_claims *c = nullptr;
    ls_auth_result rc = ls_auth_verifier_verify_access(h_.get(), token.data(), token.size(), now, &c);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Claims(c);
  }
  Result<Claims> verify_refresh(std::string_view pat, const ls_auth_org_settings &settings,
                                const ls_auth_revocation &revocation, int64_t now) const {
    ls_auth_claims *c = nullptr;
    ls_auth_result rc =
        ls_auth_verifier_verify_refresh(h_.get(), pat.data(), pat.size(), &settings, &revocation, now, &c);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Claims(c);
  }
  /// Authenticates one request's Authorization value (empty when absent).
  Result<Principal> authenticate(std::string_view header, const ls_auth_org_settings &settings, int64_t now) const {
    ls_auth_principal *p = nullptr;
    ls_auth_result rc = ls_auth_verifier_authenticate(h_.get(), reinterpret_cast<const uint8_t *>(header.data()),
                                             header.size(), &settings, now, &p);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Principal(p);
  }
  /// Step one for a multi-organisation host: verifies what needs no settings, names the user.
  Result<PendingPrincipal> begin_authenticate(std::string_view header, int64_t now) const {
    ls_auth_pending_principal *p = nullptr;
    ls_auth_result rc = ls_auth_verifier_begin_authenticate(h_.get(), reinterpret_cast<const uint8_t *>(header.data()),
                                                   header.size(), now, &p);
    if (rc != LS_AUTH_OK) return Error(rc);
    return PendingPrincipal(p);
  }
  /// Step one of a refresh for a multi-organisation host.
  Result<PendingRefresh> begin_refresh(std::string_view pat, int64_t now) const {
    ls_auth_pending_refresh *p = nullptr;
    ls_auth_result rc = ls_auth_verifier_begin_refresh(h_.get(), pat.data(), pat.size(), now, &p);
    if (rc != LS_AUTH_OK) return Error(rc);
    return PendingRefresh(p);
  }
  const ls_auth_verifier *get() const noexcept { return h_.get(); }

 private:
  explicit Verifier(ls_auth_verifier *v) : h_(v) {}
  detail::Handle<ls_auth_verifier, ls_auth_verifier_free> h_;
};

/// Mints PATs and refreshes them into access tokens.
class Issuer {
 public:
  static Result<Issuer> create(const Keyring &keyring, const Policy *policy = nullptr) {
    ls_auth_issuer *i = nullptr;
    ls_auth_result rc = ls_auth_issuer_new(keyring.get(), policy ? policy->get() : nullptr, &i);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Issuer(i);
  }
#if defined(LS_AUTH_TEST_HOOKS)
  /// INSECURE, test builds only: every token gets the same jti.
  static Result<Issuer> create_insecure_fixed_jti(const Keyring &keyring, std::string_view jti,
                                                  const Policy *policy = nullptr) {
    ls_auth_issuer *i = nullptr;
    ls_auth_result rc = ls_auth_issuer_new_insecure_fixed_jti(keyring.get(), policy ? policy->get() : nullptr,
                                                              jti.data(), jti.size(), &i);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Issuer(i);
  }
#endif
  Result<std::string> mint_pat(std::string_view user_id, std::string_view extra_claims_json,
                               const ls_auth_org_settings &settings, int64_t now) const {
    ls_auth_string *s = nullptr;
    ls_auth_result rc = ls_auth_issuer_mint_pat(h_.get(), user_id.data(), user_id.size(), extra_claims_json.data(),
                                                extra_claims_json.size(), &settings, now, &s);
    if (rc != LS_AUTH_OK) return Error(rc);
    return detail::take(s);
  }
  Result<std::string> refresh(std::string_view pat, const ls_auth_org_settings &settings,
                              const ls_auth_revocation &revocation, int64_t now) const {
    ls_auth_string *s = nullptr;
    ls_auth_result rc = ls_auth_issuer_refresh(h_.get(), pat.data(), pat.size(), &settings, &revocation, now, &s);
    if (rc != LS_AUTH_OK) return Error(rc);
    return detail::take(s);
  }
  /// Replaces a PAT and revokes it through revocation.revoke_if_active (required).
  Result<Rotation> rotate(std::string_view pat, const ls_auth_org_settings &settings,
                          const ls_auth_revocation &revocation, int64_t now) const {
    ls_auth_string *p = nullptr, *jti = nullptr;
    int64_t exp = 0;
    ls_auth_result rc =
        ls_auth_issuer_rotate(h_.get(), pat.data(), pat.size(), &settings, &revocation, now, &p, &jti, &exp);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Rotation{detail::take(p), detail::take(jti), exp};
  }
  /// Step one of a refresh or rotation for a multi-organisation host.
  Result<PendingRefresh> begin_refresh(std::string_view pat, int64_t now) const {
    ls_auth_pending_refresh *p = nullptr;
    ls_auth_result rc = ls_auth_issuer_begin_refresh(h_.get(), pat.data(), pat.size(), now, &p);
    if (rc != LS_AUTH_OK) return Error(rc);
    return PendingRefresh(p);
  }
  /// Step two of a refresh: admits the pending PAT, mints its access token.
  Result<std::string> finish_refresh(const PendingRefresh &pending, const ls_auth_org_settings &settings,
                                     const ls_auth_revocation &revocation) const {
    ls_auth_string *s = nullptr;
    ls_auth_result rc = ls_auth_issuer_finish_refresh(h_.get(), pending.get(), &settings, &revocation, &s);
    if (rc != LS_AUTH_OK) return Error(rc);
    return detail::take(s);
  }
  /// Step two of a rotation: admits the pending PAT, mints its replacement, revokes it.
  Result<Rotation> finish_rotate(const PendingRefresh &pending, const ls_auth_org_settings &settings,
                                 const ls_auth_revocation &revocation) const {
    ls_auth_string *p = nullptr, *jti = nullptr;
    int64_t exp = 0;
    ls_auth_result rc =
        ls_auth_issuer_finish_rotate(h_.get(), pending.get(), &settings, &revocation, &p, &jti, &exp);
    if (rc != LS_AUTH_OK) return Error(rc);
    return Rotation{detail::take(p), detail::take(jti), exp};
  }

 private:
  explicit Issuer(ls_auth_issuer *i) : h_(i) {}
  detail::Handle<ls_auth_issuer, ls_auth_issuer_free> h_;
};

/// A parsed Authorization header; token points into the header passed in.
struct Credential {
  ls_auth_scheme scheme;
  std::string_view token;
};

inline Result<Credential> parse_authorization(std::string_view header) {
  ls_auth_scheme scheme{};
  const char *tok = nullptr;
  size_t len = 0;
  ls_auth_result rc =
      ls_auth_parse_authorization(reinterpret_cast<const uint8_t *>(header.data()), header.size(), &scheme, &tok, &len);
  if (rc != LS_AUTH_OK) return Error(rc);
  return Credential{scheme, std::string_view(tok, len)};
}

/// The Label Studio a client's credential belongs to (contract §5.1).
class CredentialScope {
 public:
  static Result<CredentialScope> create(std::string_view base_url) {
    ls_auth_credential_scope *c = nullptr;
    ls_auth_result rc = ls_auth_credential_scope_new(base_url.data(), base_url.size(), &c);
    if (rc != LS_AUTH_OK) return Error(rc);
    return CredentialScope(c);
  }
  /// Whether the credential may be sent to url; a URL with a NUL byte is never allowed.
  bool allows(std::string_view url) const noexcept {
    bool allowed = false;
    return ls_auth_credential_scope_allows(h_.get(), url.data(), url.size(), &allowed) == LS_AUTH_OK && allowed;
  }
  std::string refresh_url() const {
    std::string out;
    detail::read_string([&](char *b, size_t l, size_t *n) { return ls_auth_credential_scope_refresh_url(h_.get(), b, l, n); },
                        out);
    return out;
  }
  std::string origin() const {
    std::string out;
    detail::read_string([&](char *b, size_t l, size_t *n) { return ls_auth_credential_scope_origin(h_.get(), b, l, n); },
                        out);
    return out;
  }
  const ls_auth_credential_scope *get() const noexcept { return h_.get(); }

 private:
  explicit CredentialScope(ls_auth_credential_scope *c) : h_(c) {}
  detail::Handle<ls_auth_credential_scope, ls_auth_credential_scope_free> h_;
};

inline std::string_view version() noexcept { return ls_auth_version(); }

}  // namespace ls_auth

#endif  // LS_AUTH_HPP
