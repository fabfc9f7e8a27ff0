"""Type stubs for the native half of ls_auth (built from bindings/python/src)."""

from datetime import datetime
from typing import Any, Callable, ClassVar, Container, Dict, Iterable, List, Literal, Mapping, Optional, Protocol, Tuple, Union, final

from ._errors import AuthError

__version__: str
DEFAULT_ACCESS_TTL: int
DEFAULT_PAT_TTL_DAYS: int
DEFAULT_CACHE_CAPACITY: int
DEFAULT_REFRESH_MARGIN: int
REFRESH_PATH: str
__all__ = [
    "DEFAULT_ACCESS_TTL",
    "DEFAULT_CACHE_CAPACITY",
    "DEFAULT_PAT_TTL_DAYS",
    "DEFAULT_REFRESH_MARGIN",
    "REFRESH_PATH",
    "AccessTokenCache",
    "Claims",
    "Credential",
    "CredentialScope",
    "InMemoryRevocation",
    "Issuer",
    "Keyring",
    "OrgSettings",
    "PendingPrincipal",
    "PendingRefresh",
    "Principal",
    "Rotation",
    "VerifiedTokenCache",
    "Verifier",
    "__version__",
    "authenticate",
    "begin_authenticate",
    "check_legacy_key",
    "classify_api_key",
    "error_codes",
    "generate_legacy_key",
    "inspect_key",
    "legacy_key_digest",
    "legacy_keys_equal",
    "origin_of",
    "parse_authorization",
    "register_errors",
    "truncate",
    "www_authenticate",
]

_Now = Union[int, datetime, None]
_Secret = Union[str, bytes, bytearray]
_Header = Union[str, bytes, bytearray, None]
class _Revocation(Protocol):
    def is_revoked(self, jti: str, /) -> bool: ...

class _RevocationStore(_Revocation, Protocol):
    def revoke_if_active(self, jti: str, forget_after: int, now: int, /) -> bool: ...

# Reads accept a store, a callable or a container; rotation needs an atomic store.
_Revoked = Union[_Revocation, Container[str], Callable[[str], object], None]

@final
class Claims:
    """The claims of a verified token (read-only)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def token_type(self) -> Literal["access", "refresh"]: ...
    @property
    def user_id(self) -> str: ...
    @property
    def jti(self) -> str: ...
    @property
    def exp(self) -> int: ...
    @property
    def iat(self) -> Optional[int]: ...
    @property
    def nbf(self) -> Optional[int]: ...
    @property
    def iss(self) -> Optional[str]: ...
    @property
    def aud(self) -> Optional[Tuple[str, ...]]: ...
    @property
    def extra(self) -> Dict[str, Any]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Credential:
    """A credential found in an Authorization header."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def scheme(self) -> Literal["bearer", "token"]: ...
    @property
    def token(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Principal:
    """Who a request is: verified JWT claims, or a legacy key the host must look up."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def kind(self) -> Literal["jwt", "legacy"]: ...
    @property
    def claims(self) -> Optional[Claims]: ...
    @property
    def legacy_key(self) -> Optional[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class OrgSettings:
    """An organisation's API-token settings, with Label Studio's defaults."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __new__(
        cls,
        *,
        api_tokens_enabled: Optional[bool] = None,
        legacy_api_tokens_enabled: Optional[bool] = None,
        pat_ttl_days: Optional[int] = None,
        enforce_ttl_on_existing: Optional[bool] = None,
        has_organization: Optional[bool] = None,
    ) -> OrgSettings: ...
    @staticmethod
    def no_organization() -> OrgSettings: ...
    @property
    def api_tokens_enabled(self) -> bool: ...
    @property
    def legacy_api_tokens_enabled(self) -> bool: ...
    @property
    def pat_ttl_days(self) -> int: ...
    @property
    def enforce_ttl_on_existing(self) -> bool: ...
    @property
    def has_organization(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Keyring:
    """HS256 secrets and Ed25519 keys: the first key signs, all verify (contract section 3.10)."""

    def __new__(
        cls,
        secret: _Secret,
        *,
        fallbacks: Optional[Iterable[_Secret]] = None,
        allow_short_key: bool = False,
    ) -> Keyring: ...
    @staticmethod
    def from_jwks(jwks: str) -> Keyring: ...
    @staticmethod
    def ed25519(kid: str, *, seed: Optional[bytes] = None, pkcs8: Optional[bytes] = None) -> Keyring: ...
    @staticmethod
    def generate_ed25519(kid: str) -> Keyring: ...
    def with_keys(self, other: Keyring) -> Keyring: ...
    def with_jwks(self, jwks: str) -> Keyring: ...
    def public_jwks(self) -> str: ...
    def signing_key_pkcs8(self) -> Optional[bytes]: ...
    @property
    def kids(self) -> Tuple[Optional[str], ...]: ...

@final
class Verifier:
    """Verifies access tokens and PATs (a Keyring, or HS256 secrets: the first signs, all verify)."""

    def __new__(
        cls,
        secret: Union[_Secret, Keyring],
        *,
        fallbacks: Optional[Iterable[_Secret]] = None,
        leeway: Optional[int] = None,
        issuer: Optional[str] = None,
        audience: Optional[str] = None,
        allow_short_key: bool = False,
    ) -> Verifier: ...
    def verify_access(self, token: str, *, now: _Now = None) -> Claims: ...
    def verify_refresh(
        self,
        token: str,
        *,
        now: _Now = None,
        revoked: _Revoked = None,
        settings: Optional[OrgSettings] = None,
    ) -> Claims: ...
    def verify_revocable(self, token: str, *, now: _Now = None) -> Tuple[str, int, Optional[str]]: ...
    def begin_refresh(self, token: str, *, now: _Now = None) -> PendingRefresh: ...
    def forget_after(self, exp: int) -> int: ...

@final
class VerifiedTokenCache:
    """Verified EdDSA access tokens in front of a Verifier: a token used again skips the
    signature check, and answers exactly as the verifier would at that ``now``."""

    def __new__(cls, verifier: Verifier, *, capacity: Optional[int] = None) -> VerifiedTokenCache: ...
    def replace_verifier(self, verifier: Verifier) -> None: ...
    def verify_access(self, token: str, *, now: _Now = None) -> Claims: ...
    def begin_authenticate(self, header: _Header, *, now: _Now = None) -> PendingPrincipal: ...
    def clear(self) -> None: ...
    @property
    def capacity(self) -> int: ...
    def __len__(self) -> int: ...

@final
class PendingPrincipal:
    """A credential verified without settings; admit it under its organisation's settings."""

    @property
    def kind(self) -> Literal["jwt", "legacy"]: ...
    @property
    def user_id_for_lookup(self) -> Optional[str]: ...
    @property
    def legacy_key_for_lookup(self) -> Optional[str]: ...
    @property
    def pat_jti_for_lookup(self) -> Optional[str]: ...
    def admit(self, settings: OrgSettings, *, revoked: _Revoked = None) -> Principal: ...

@final
class PendingRefresh:
    """A PAT verified without settings; admit it (or finish it with an Issuer)."""

    @property
    def user_id_for_lookup(self) -> str: ...
    @property
    def jti_for_lookup(self) -> str: ...
    def admit(self, settings: OrgSettings, *, revoked: _Revoked = None) -> Claims: ...

@final
class Issuer:
    """Mints PATs, refreshes them into access tokens, rotates them."""

    def __new__(
        cls,
        secret: Union[_Secret, Keyring],
        *,
        fallbacks: Optional[Iterable[_Secret]] = None,
        access_ttl: Optional[int] = None,
        leeway: Optional[int] = None,
        issuer: Optional[str] = None,
        audience: Optional[str] = None,
        allow_short_key: bool = False,
        access_names_pat: bool = False,
    ) -> Issuer: ...
    @property
    def verifier(self) -> Verifier: ...
    def mint_pat(
        self,
        user_id: Union[str, int],
        *,
        now: _Now = None,
        claims: Optional[Mapping[str, Any]] = None,
        settings: Optional[OrgSettings] = None,
    ) -> str: ...
    def refresh(
        self,
        pat: str,
        *,
        now: _Now = None,
        revoked: _Revoked = None,
        settings: Optional[OrgSettings] = None,
    ) -> str: ...
    def rotate(
        self,
        pat: str,
        *,
        revoked: _RevocationStore,
        now: _Now = None,
        settings: Optional[OrgSettings] = None,
    ) -> Rotation: ...
    def begin_refresh(self, pat: str, *, now: _Now = None) -> PendingRefresh: ...
    def finish_refresh(
        self, pending: PendingRefresh, *, settings: OrgSettings, revoked: _Revoked = None
    ) -> str: ...
    def finish_rotate(
        self, pending: PendingRefresh, *, settings: OrgSettings, revoked: _RevocationStore
    ) -> Rotation: ...

@final
class Rotation:
    """The outcome of a rotation: the new PAT, and the old one's jti and exp, now revoked."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def pat(self) -> str: ...
    @property
    def revoked_jti(self) -> str: ...
    @property
    def revoked_exp(self) -> int: ...
    @property
    def forget_after(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class InMemoryRevocation:
    """A thread-safe, atomic in-memory revocation store (the core's)."""

    def __new__(cls) -> InMemoryRevocation: ...
    def is_revoked(self, jti: str) -> bool: ...
    def revoke_if_active(self, jti: str, forget_after: int, now: int) -> bool: ...
    def revoke(self, jti: str, forget_after: int) -> None: ...
    def forget_expired(self, now: int) -> None: ...
    def __len__(self) -> int: ...

@final
class AccessTokenCache:
    """The SDK's access-token cache: thread-safe, one refresh at a time."""

    def __new__(cls, api_key: str, *, margin: Optional[int] = None, now: _Now = None) -> AccessTokenCache: ...
    @property
    def kind(self) -> Literal["legacy", "pat", "access"]: ...
    @property
    def refresh_token(self) -> Optional[str]: ...
    @property
    def access_exp(self) -> Optional[int]: ...
    def needs_refresh(self, *, now: _Now = None) -> bool: ...
    def store_access(self, token: str) -> None: ...
    def authorization_value(self, *, now: _Now = None) -> str: ...

def parse_authorization(value: _Header) -> Credential: ...
def authenticate(header: _Header, *, verifier: Verifier, settings: OrgSettings, now: _Now = None) -> Principal: ...
def begin_authenticate(header: _Header, *, verifier: Verifier, now: _Now = None) -> PendingPrincipal: ...
def classify_api_key(key: str, *, now: _Now = None) -> Literal["legacy", "pat", "access"]: ...
def inspect_key(key: str) -> Literal["legacy", "pat", "access", "truncated", "jwt"]: ...
def generate_legacy_key() -> str: ...
def truncate(token: str) -> str: ...
def check_legacy_key(key: str) -> None: ...
def legacy_key_digest(key: str) -> str: ...
def legacy_keys_equal(presented: str, stored: str) -> bool: ...
def www_authenticate(error: Optional[AuthError] = None) -> Optional[str]: ...
@final
class CredentialScope:
    """The Label Studio a credential belongs to (contract §5.1): ``allows(url)`` says whether the
    credential may be sent to a request or redirect target."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __new__(cls, base_url: str) -> CredentialScope: ...
    def allows(self, url: str) -> bool: ...
    @property
    def origin(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def refresh_url(self) -> str: ...
    @property
    def is_cleartext_remote(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...

def origin_of(url: str) -> Optional[str]: ...
def error_codes() -> List[Tuple[str, int]]: ...
def register_errors(table: Dict[str, type], base: type) -> None: ...
