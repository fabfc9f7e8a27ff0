"""Label Studio's URLs, with its API-token endpoints answered by :mod:`.views`.

The views answer under Label Studio's own paths and names (``jwt_auth:token_manage``,
``jwt_auth:token_refresh``, ``jwt_auth:token_rotate``, ``jwt_auth:token_blacklist``): Label Studio's
code reverses those names, its ``core/all_urls.json`` lists them, and a second set of names
beside its own would be URLs it does not know. So the URL table is Label Studio's, with the
``include('jwt_auth.urls')`` entry replaced by the same patterns pointing at our views; every
other URL (``api/jwt/settings`` included) is Label Studio's object, unchanged. One URL is ours
alone: ``api/token/jwks/``, the public keys of the access tokens (named ``token_jwks``).
"""

from __future__ import annotations

from typing import Any, Dict, List

from django.conf import settings
from django.urls import URLPattern, URLResolver, path
from django.utils.module_loading import import_module

from . import views

#: Label Studio's URL names in ``jwt_auth.urls`` -> the view that answers them here.
VIEWS: Dict[str, Any] = {
    "token_manage": views.TokenView,
    "token_refresh": views.TokenRefreshView,
    "token_rotate": views.TokenRotateView,
    "token_blacklist": views.TokenBlacklistView,
}
_LABEL_STUDIO_TOKEN_URLS = "jwt_auth.urls"


def _token_patterns(theirs: List[Any]) -> List[Any]:
    """``jwt_auth.urls``' patterns, the four token views swapped for ours (same route, same name)."""
    ours = []
    for pattern in theirs:
        view = VIEWS.get(getattr(pattern, "name", None) or "")
        if isinstance(pattern, URLPattern) and view is not None:
            pattern = path(str(pattern.pattern), view.as_view(), pattern.default_args, name=pattern.name)
        ours.append(pattern)
    missing = set(VIEWS) - {getattr(p, "name", None) for p in ours}
    if missing:
        raise RuntimeError(f"{_LABEL_STUDIO_TOKEN_URLS} no longer names {sorted(missing)}: ls-auth cannot answer them")
    return ours


def _is_token_include(entry: Any) -> bool:
    module = getattr(entry, "urlconf_name", None)
    return isinstance(entry, URLResolver) and getattr(module, "__name__", module) == _LABEL_STUDIO_TOKEN_URLS


def _swap(root: List[Any]) -> List[Any]:
    swapped = []
    found = False
    for entry in root:
        if _is_token_include(entry):
            theirs = import_module(_LABEL_STUDIO_TOKEN_URLS)
            entry = URLResolver(
                entry.pattern,
                _token_patterns(list(theirs.urlpatterns)),
                entry.default_kwargs,
                app_name=entry.app_name,
                namespace=entry.namespace,
            )
            found = True
        swapped.append(entry)
    if not found:
        raise RuntimeError(f"Label Studio's URLs no longer include {_LABEL_STUDIO_TOKEN_URLS}: ls-auth cannot replace it")
    return swapped


urlpatterns = [
    path("api/token/jwks/", views.JwksView.as_view(), name="token_jwks"),
    *_swap(list(import_module(getattr(settings, "LS_AUTH_LABEL_STUDIO_URLCONF", "core.urls")).urlpatterns)),
]
