"""Label Studio's Ed25519 signing keys: stored sealed in its database, published as a JWK Set,
rotated on a timeline no live token can fall off (contract section 3.10).

The timeline of one key (all times are the issuing server's clock, whole seconds):

- **created**: published in ``GET /api/token/jwks/`` at once;
- **signs from** ``created + JWKS_MAX_AGE`` (the JWK Set's ``Cache-Control: max-age``), so every
  service that cached the set before the key existed has refetched it before it sees a token the
  key signed. The exception is a deployment with no key signing at all (the first key, or
  ``rotate --immediately``): there is nothing to hand over from, the key signs at once, and
  services learn it through their refetch on an unknown ``kid``. The first key is created by
  the first refresh or the first fetch of the JWK Set, so the published set is never empty;
- **signs until** a later key signs (the signing key is the latest whose ``signs_from`` has passed);
- **published until** ``successor.signs_from + RELOAD + ACCESS_TOKEN_LIFETIME + LEEWAY``: the last
  access token it signed has expired (``RELOAD`` covers a worker that has not yet reloaded the
  key table and still signs with it); afterwards it is pruned, private half and all.

The private key is sealed with AES-256-GCM (``cryptography``, a dependency of Label Studio) under
a key derived with HKDF-SHA256 from ``SECRET_KEY``, the ``kid`` as associated data; keys sealed
under a secret now in ``SECRET_KEY_FALLBACKS`` still open. Label Studio itself verifies with the
public halves plus its HS256 secrets (PATs, and the HS256 access tokens its own code mints).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
import threading
import time
from typing import Any, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import ls_auth

from .._django import _cached, _key_config, _seconds, django_settings, option

__all__ = [
    "KeyRow",
    "access_issuer",
    "ensure_signing_key",
    "jwks_document",
    "jwks_max_age",
    "load",
    "prune",
    "published",
    "request_cache",
    "request_verifier",
    "rotate",
    "seal",
    "signing",
    "unseal",
]

#: ``Cache-Control: max-age`` of the JWK Set when ``LS_AUTH["JWKS_MAX_AGE"]`` is not set.
DEFAULT_JWKS_MAX_AGE = 300
_SALT = b"ls-auth label_studio signing-key seal v1"
_NONCE = 12


class KeyRow(NamedTuple):
    """A key's public facts (no private material): what the timeline and the JWK Set need."""

    kid: str
    x: str
    created: int
    signs_from: int


# -- settings ----------------------------------------------------------------------------------


def jwks_max_age() -> int:
    """How long services may cache the JWK Set (``LS_AUTH["JWKS_MAX_AGE"]``, seconds)."""
    return max(1, _seconds(option("JWKS_MAX_AGE", DEFAULT_JWKS_MAX_AGE)))


def reload_interval() -> int:
    """How stale a worker's copy of the key table may be: well under ``JWKS_MAX_AGE``, so every
    worker knows a new key before it signs."""
    return max(1, min(30, jwks_max_age() // 4))


def token_lifetime() -> int:
    """How long after it is signed an access token may still be accepted (lifetime + leeway)."""
    access_ttl = _seconds(option("ACCESS_TOKEN_LIFETIME", ls_auth.DEFAULT_ACCESS_TTL))
    return access_ttl + _seconds(option("LEEWAY", 0))


# -- the timeline (pure) -----------------------------------------------------------------------


def _order(row: KeyRow) -> Tuple[int, str]:
    return (row.signs_from, row.kid)


def signing(rows: Sequence[KeyRow], now: int) -> Optional[KeyRow]:
    """The key that signs at ``now``: the latest whose ``signs_from`` has passed."""
    live = [r for r in rows if r.signs_from <= now]
    return max(live, key=_order) if live else None


def retired_at(row: KeyRow, rows: Sequence[KeyRow]) -> Optional[int]:
    """When ``row`` stops signing: its successor's ``signs_from`` (None while it has none)."""
    later = [r.signs_from for r in rows if _order(r) > _order(row)]
    return min(later) if later else None


def published_until(row: KeyRow, rows: Sequence[KeyRow], lifetime: int, reload: int) -> Optional[int]:
    """When ``row`` leaves the JWK Set (None: not scheduled)."""
    retired = retired_at(row, rows)
    return None if retired is None else retired + reload + lifetime


def published(rows: Sequence[KeyRow], now: int, lifetime: int, reload: int) -> List[KeyRow]:
    """Every key that may have signed a live token, or will sign: the JWK Set at ``now``."""
    out = []
    for row in rows:
        until = published_until(row, rows, lifetime, reload)
        if until is None or now < until:
            out.append(row)
    return sorted(out, key=_order, reverse=True)


def jwks_document(rows: Iterable[KeyRow]) -> str:
    """The public JWK Set of ``rows`` (contract section 3.10's members, newest key first)."""
    keys = [
        {"kty": "OKP", "crv": "Ed25519", "kid": r.kid, "x": r.x, "alg": "EdDSA", "use": "sig"} for r in rows
    ]
    return json.dumps({"keys": keys}, separators=(",", ":"))


# -- sealing -----------------------------------------------------------------------------------


def _seal_key(secret: Any) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"ed25519 pkcs8").derive(raw)


def _secrets() -> List[Any]:
    conf = django_settings()
    return [conf.SECRET_KEY, *getattr(conf, "SECRET_KEY_FALLBACKS", ())]


def seal(kid: str, pkcs8: bytes) -> bytes:
    """``nonce || AES-256-GCM(pkcs8)`` under SECRET_KEY's derived key, ``kid`` authenticated."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_seal_key(_secrets()[0])).encrypt(nonce, pkcs8, kid.encode("utf-8"))


def unseal(kid: str, sealed: bytes) -> bytes:
    """The PKCS#8 key back; tries SECRET_KEY, then each of SECRET_KEY_FALLBACKS."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    sealed = bytes(sealed)
    for secret in _secrets():
        try:
            return AESGCM(_seal_key(secret)).decrypt(sealed[:_NONCE], sealed[_NONCE:], kid.encode("utf-8"))
        except InvalidTag:
            continue
    raise ls_auth.InvalidArgument(
        f"signing key {kid} does not open with SECRET_KEY or SECRET_KEY_FALLBACKS: "
        "put the previous SECRET_KEY in SECRET_KEY_FALLBACKS, or run `ls_auth_signing_keys rotate --immediately`"
    )


# -- the table ---------------------------------------------------------------------------------


def _epoch(value: _dt.datetime) -> int:
    return int(value.timestamp())


def _when(seconds: int) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)


def _read() -> Tuple[KeyRow, ...]:
    from .models import SigningKey

    return tuple(
        KeyRow(kid, x, _epoch(created), _epoch(signs_from))
        for kid, x, created, signs_from in SigningKey.objects.values_list("kid", "public_x", "created_at", "signs_from")
    )


_lock = threading.Lock()
_loaded: Optional[Tuple[float, Tuple[KeyRow, ...]]] = None
_forced_at = 0.0


def load(*, fresh: bool = False) -> Tuple[KeyRow, ...]:
    """The key table, re-read at most every :func:`reload_interval` seconds (or now: ``fresh``)."""
    global _loaded
    found = _loaded
    clock = time.monotonic()
    if fresh or found is None or clock - found[0] >= reload_interval():
        rows = _read()
        with _lock:
            _loaded = (clock, rows)
        return rows
    return found[1]


def forget_cache() -> None:
    """Drop this process's copy of the key table (tests; after a rotation in-process)."""
    global _loaded
    with _lock:
        _loaded = None


#: Held while the table is re-read for an unknown kid: a request arriving meanwhile waits for
#: that read instead of being refused on the copy it started with.
_reload_lock = threading.Lock()


def reload_for_unknown_kid() -> None:
    """Re-read the table after a token named a kid we do not have, at most once a second (so
    made-up kids cannot cost a query each). A caller arriving while another thread re-reads
    waits for it; within the second after a re-read the caller retries with what that read
    found. Either way the caller then tries again with the table as it is now."""
    global _forced_at
    with _reload_lock:
        clock = time.monotonic()
        if clock - _forced_at < 1.0:
            return
        load(fresh=True)
        _forced_at = time.monotonic()


def _create(now: int, signs_from: int) -> KeyRow:
    from .models import SigningKey

    kid = secrets.token_urlsafe(12)
    private = ls_auth.Keyring.generate_ed25519(kid)
    pkcs8 = private.signing_key_pkcs8()
    assert pkcs8 is not None
    x = json.loads(private.public_jwks())["keys"][0]["x"]
    SigningKey.objects.create(
        kid=kid, public_x=x, sealed=seal(kid, pkcs8), created_at=_when(now), signs_from=_when(signs_from)
    )
    forget_cache()
    return KeyRow(kid, x, now, signs_from)


#: A JWK Set holds at most 64 keys (contract section 3.10): rotations beyond it are refused.
MAX_PUBLISHED = 64


def rotate(now: int, *, immediately: bool = False) -> KeyRow:
    """Add a key: it signs from ``now + JWKS_MAX_AGE``, or at once when ``immediately`` or when
    no key signs at ``now``. Keys past their publication are pruned. Refused
    (``InvalidArgument``) when the set already publishes :data:`MAX_PUBLISHED` keys."""
    prune(now)
    rows = load(fresh=True)
    if len(published(rows, now, token_lifetime(), reload_interval())) >= MAX_PUBLISHED:
        raise ls_auth.InvalidArgument(
            f"the JWK Set already publishes {MAX_PUBLISHED} keys: wait until retired keys expire"
        )
    at_once = immediately or signing(rows, now) is None
    row = _create(now, now if at_once else now + jwks_max_age())
    prune(now)
    return row


def prune(now: int) -> List[str]:
    """Delete the keys no live token can carry any more; their kids."""
    from .models import SigningKey

    rows = load(fresh=True)
    keep = {r.kid for r in published(rows, now, token_lifetime(), reload_interval())}
    gone = [r.kid for r in rows if r.kid not in keep]
    if gone:
        SigningKey.objects.filter(kid__in=gone).delete()
        forget_cache()
    return gone


def published_now(now: Optional[int] = None, *, bootstrap: bool = False) -> List[KeyRow]:
    """The JWK Set's keys at ``now``; ``bootstrap`` (the JWKS view) first creates the first key
    when none signs, so a service never fetches an empty set, which contract section 3.10 refuses."""
    now = int(time.time()) if now is None else now
    rows = load()
    if bootstrap:
        rows, _ = ensure_signing_key(rows, now)
    return published(rows, now, token_lifetime(), reload_interval())


# -- issuer and verifier -----------------------------------------------------------------------


def _hs256() -> ls_auth.Keyring:
    secret, fallbacks, _leeway, _iss, _aud, short = _key_config()
    return ls_auth.Keyring(secret, fallbacks=fallbacks, allow_short_key=short)


def request_verifier() -> ls_auth.Verifier:
    """Label Studio's verifier: its HS256 secrets (PATs, in-process access tokens) and the public
    half of every published Ed25519 key. Never opens a private key."""
    config = _key_config()
    _secret, _fallbacks, leeway, iss, aud, _short = config
    keys = tuple(published_now())

    def build() -> ls_auth.Verifier:
        ring = _hs256()
        if keys:
            ring = ring.with_jwks(jwks_document(keys))
        return ls_auth.Verifier(ring, leeway=leeway, issuer=iss, audience=aud)

    return _cached(("label_studio.verifier", keys) + config, build)


#: The verifier the worker's token cache answers for, and the cache (its size:
#: ``LS_AUTH["VERIFIED_TOKEN_CACHE"]``, default 4096 tokens; 0 keeps none).
_tokens: Optional[Tuple[ls_auth.Verifier, ls_auth.VerifiedTokenCache]] = None
#: The cache as last derived: (monotonic time, the key table copy it came from, the cache).
_fast: Optional[Tuple[float, Any, ls_auth.VerifiedTokenCache]] = None
#: How long a worker answers from the same verifier before deriving it again from its settings
#: and key table. A new copy of the table (a reload, a refetch for an unknown kid,
#: :func:`forget_cache`) or a settings change (``setting_changed``) is followed at once; only a
#: key whose publication ends by the clock is dropped up to this late, after every token it
#: signed has expired anyway (see the module's timeline).
RECHECK = 1.0


def _settings_changed(**_kwargs: Any) -> None:
    global _fast
    _fast = None


try:
    from django.core.signals import setting_changed
except ImportError:  # pragma: no cover - Label Studio always has Django
    pass
else:
    setting_changed.connect(_settings_changed, dispatch_uid="ls_auth.label_studio.keys")


def request_cache() -> ls_auth.VerifiedTokenCache:
    """This worker's cache of verified access tokens in front of :func:`request_verifier`: an
    EdDSA access token used again skips its signature check. It follows the key table's
    reloads: when the verifier changes, the cache answers for the new one, and the tokens of a
    key no longer published (or of another leeway, issuer or audience) leave it.

    Per request this costs a clock reading: the verifier is derived again (settings, key table,
    publication times) at most every :data:`RECHECK` seconds, and whenever the table or the
    settings change."""
    global _tokens, _fast
    fast = _fast
    if fast is not None and _loaded is fast[1] and time.monotonic() - fast[0] < RECHECK:
        return fast[2]
    verifier = request_verifier()
    with _lock:
        found = _tokens
        if found is None:
            capacity = int(option("VERIFIED_TOKEN_CACHE", ls_auth.DEFAULT_CACHE_CAPACITY))
            cache = ls_auth.VerifiedTokenCache(verifier, capacity=capacity)
        else:
            cache = found[1]
            if found[0] is not verifier:
                cache.replace_verifier(verifier)
        _tokens = (verifier, cache)
        _fast = (time.monotonic(), _loaded, cache)
    return cache


def access_issuer(now: Optional[int] = None) -> ls_auth.Issuer:
    """The issuer for ``api/token/refresh/``: the signing Ed25519 key first (it signs the access
    token, EdDSA with its kid), then the HS256 secrets (they verify the PAT) and the other
    published keys. The first refresh of a deployment creates its first key."""
    from .models import SigningKey

    now = int(time.time()) if now is None else now
    try:
        return _access_issuer(load(), now)
    except SigningKey.DoesNotExist:
        # This worker's copy of the table named a key that is gone (deleted by hand, or a test's
        # rolled-back transaction): read the table again.
        return _access_issuer(load(fresh=True), now)


def ensure_signing_key(rows: Tuple[KeyRow, ...], now: int) -> Tuple[Tuple[KeyRow, ...], KeyRow]:
    """The table and its signing key at ``now``; when no key signs (a new deployment), the first
    key is created and signs at once."""
    active = signing(rows, now)
    if active is None:
        rows = load(fresh=True)
        active = signing(rows, now)
        if active is None:
            _create(now, now)
            rows = load(fresh=True)
            active = signing(rows, now)
            assert active is not None
    return rows, active


def _access_issuer(rows: Tuple[KeyRow, ...], now: int) -> ls_auth.Issuer:
    from .models import SigningKey

    rows, active = ensure_signing_key(rows, now)
    others = tuple(r for r in published(rows, now, token_lifetime(), reload_interval()) if r.kid != active.kid)
    config = _key_config()
    _secret, _fallbacks, leeway, iss, aud, _short = config
    access_ttl = _seconds(option("ACCESS_TOKEN_LIFETIME", ls_auth.DEFAULT_ACCESS_TTL))
    signer = active

    def build() -> ls_auth.Issuer:
        sealed = SigningKey.objects.values_list("sealed", flat=True).get(kid=signer.kid)
        ring = ls_auth.Keyring.ed25519(signer.kid, pkcs8=unseal(signer.kid, sealed)).with_keys(_hs256())
        if others:
            ring = ring.with_jwks(jwks_document(others))
        # access_names_pat: access tokens name their PAT (pat_jti), so revoking it stops them
        # (contract §3.11; authentication._admit_jwt reads it in the one query).
        return ls_auth.Issuer(
            ring, access_ttl=access_ttl, leeway=leeway, issuer=iss, audience=aud, access_names_pat=True
        )

    return _cached(("label_studio.issuer", signer, others, access_ttl) + config, build)
