"""The exceptions of ls_auth, and the one table mapping each stable core code to its class.

Every failure the core reports has a stable snake_case code (contract section 4). The native module
raises ``cls(message, code, status)`` with ``cls`` looked up in :data:`EXCEPTIONS_BY_CODE`; the
table is handed to the native module at import, which refuses it unless it covers every code of
the core's ``ErrorKind::ALL`` exactly.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _native

__all__ = [
    "AuthError",
    "NoCredentials",
    "UnsupportedScheme",
    "MalformedHeader",
    "HeaderTooLarge",
    "InvalidToken",
    "MalformedToken",
    "TokenTooLarge",
    "UnsupportedAlgorithm",
    "InvalidSignature",
    "TokenExpired",
    "TokenNotYetValid",
    "IssuedInFuture",
    "MissingClaim",
    "InvalidClaim",
    "WrongTokenType",
    "TokenRevoked",
    "TokenKindDisabled",
    "PatTtlExceeded",
    "NoOrganization",
    "InvalidArgument",
    "KeyTooShort",
    "UnknownKeyId",
    "InvalidKeySet",
    "EXCEPTIONS_BY_CODE",
]

_STATUS: Dict[str, int] = dict(_native.error_codes())


class AuthError(Exception):
    """Base class of every ls_auth failure.

    ``code`` is the stable core code (``"token_expired"``, ...), ``status`` the HTTP status a
    server answers with (400, 401 or 500), ``message`` a human message that never contains a
    token or a key.
    """

    default_code = "invalid_argument"
    code: str
    status: int
    message: str

    def __init__(self, message: str, code: Optional[str] = None, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.status = status if status is not None else _STATUS.get(self.code, 500)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, status={self.status})"


class NoCredentials(AuthError):
    """No ``Authorization`` header, or an empty one (401, no error code in the challenge)."""

    default_code = "no_credentials"


class UnsupportedScheme(AuthError):
    """A scheme other than Bearer or Token: not ours, the host may try other authentication."""

    default_code = "unsupported_scheme"


class MalformedHeader(AuthError):
    """The header does not follow ``scheme 1*SP token68`` (400 ``invalid_request``)."""

    default_code = "malformed_header"


class HeaderTooLarge(MalformedHeader):
    """The header is longer than 8 KiB."""

    default_code = "header_too_large"


class InvalidToken(AuthError):
    """Family of every token failure (401 ``invalid_token``)."""

    default_code = "malformed_token"


class MalformedToken(InvalidToken):
    """Not a well-formed compact JWS (or legacy key)."""

    default_code = "malformed_token"


class TokenTooLarge(MalformedToken):
    """The token is longer than 4 KiB."""

    default_code = "token_too_large"


class UnsupportedAlgorithm(InvalidToken):
    """The header's ``alg`` is not the one the configured keys allow."""

    default_code = "unsupported_algorithm"


class InvalidSignature(InvalidToken):
    """No configured key produces the token's signature."""

    default_code = "invalid_signature"


class TokenExpired(InvalidToken):
    """``exp`` has passed (for the SDK: the API key has expired)."""

    default_code = "token_expired"


class TokenNotYetValid(InvalidToken):
    """``nbf`` is in the future."""

    default_code = "token_not_yet_valid"


class IssuedInFuture(InvalidToken):
    """``iat`` is in the future."""

    default_code = "issued_in_future"


class MissingClaim(InvalidToken):
    """A required claim is absent."""

    default_code = "missing_claim"


class InvalidClaim(InvalidToken):
    """A claim has the wrong type or value."""

    default_code = "invalid_claim"


class WrongTokenType(InvalidToken):
    """An access token where a PAT was expected, a PAT sent as Bearer, a JWT sent as Token..."""

    default_code = "wrong_token_type"


class TokenRevoked(InvalidToken):
    """The PAT's ``jti`` has been revoked."""

    default_code = "token_revoked"


class TokenKindDisabled(InvalidToken):
    """The organisation has disabled this kind of API key."""

    default_code = "token_kind_disabled"


class PatTtlExceeded(InvalidToken):
    """The PAT is older than the organisation's current PAT lifetime."""

    default_code = "pat_ttl_exceeded"


class NoOrganization(InvalidToken):
    """The credential's user has no active organisation, so no settings can admit it."""

    default_code = "no_organization"
class UnknownKeyId(InvalidToken):
    """The token names (or, for EdDSA, fails to name) a ``kid`` no key of the keyring has: a
    service may refetch its JWK Set, rate-limited, and try once more."""

    default_code = "unknown_key_id"


class InvalidArgument(AuthError, ValueError):
    """A caller passed an argument the API cannot accept (the host's mistake, 500)."""

    default_code = "invalid_argument"


class KeyTooShort(InvalidArgument):
    """An HMAC key shorter than 32 bytes without ``allow_short_key=True``."""

    default_code = "key_too_short"


class InvalidKeySet(InvalidArgument):
    """A JWK Set the strict rules of contract section 3.10 refuse (the host's configuration, 500)."""

    default_code = "invalid_key_set"


#: The one table: stable core code -> exception class. Keep it in step with ``ErrorKind::ALL``;
#: the native module refuses to load with a table that misses or invents a code.
EXCEPTIONS_BY_CODE: Dict[str, Type[AuthError]] = {
    "no_credentials": NoCredentials,
    "unsupported_scheme": UnsupportedScheme,
    "malformed_header": MalformedHeader,
    "header_too_large": HeaderTooLarge,
    "malformed_token": MalformedToken,
    "token_too_large": TokenTooLarge,
    "unsupported_algorithm": UnsupportedAlgorithm,
    "invalid_signature": InvalidSignature,
    "token_expired": TokenExpired,
    "token_not_yet_valid": TokenNotYetValid,
    "issued_in_future": IssuedInFuture,
    "missing_claim": MissingClaim,
    "invalid_claim": InvalidClaim,
    "wrong_token_type": WrongTokenType,
    "token_revoked": TokenRevoked,
    "token_kind_disabled": TokenKindDisabled,
    "pat_ttl_exceeded": PatTtlExceeded,
    "key_too_short": KeyTooShort,
    "invalid_argument": InvalidArgument,
    "no_organization": NoOrganization,
    "unknown_key_id": UnknownKeyId,
    "invalid_key_set": InvalidKeySet,
}

_native.register_errors(EXCEPTIONS_BY_CODE, AuthError)
