"""Label Studio's own settings with ls-auth checking its API tokens: the one-line switch.

    DJANGO_SETTINGS_MODULE=ls_auth.contrib.label_studio.settings label-studio start

Everything is Label Studio's (``core.settings.label_studio``: databases, apps, session login,
CSRF, ...) except these names:

- ``MIDDLEWARE``: ``jwt_auth.middleware.JWTAuthenticationMiddleware`` becomes
  :class:`ls_auth.contrib.label_studio.middleware.JWTAuthenticationMiddleware`, and
  ``core.middleware.XApiKeySupportMiddleware`` becomes
  :class:`ls_auth.contrib.label_studio.middleware.XApiKeySupportMiddleware` (which also carries
  access tokens), each in its place;
- ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``: ``jwt_auth.auth.TokenAuthenticationPhaseout``
  becomes :class:`ls_auth.contrib.label_studio.authentication.TokenAuthentication` (still first,
  so its challenge is the one a 401 carries; session authentication stays after it);
- ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: Label Studio's handler, plus our stable ``code``;
- ``ROOT_URLCONF``: Label Studio's URLs, with ``api/token/``, ``api/token/refresh/``,
  ``api/token/rotate/`` and ``api/token/blacklist/`` answered natively, and ``api/token/jwks/``;
- ``INSTALLED_APPS``: plus ``ls_auth.contrib.label_studio`` (the Ed25519 signing keys' table,
  migrated with Label Studio's, and the ``ls_auth_signing_keys`` command);
- ``LS_AUTH``: ``ACCESS_TOKEN_LIFETIME`` and ``JWKS_MAX_AGE`` from the environment variables
  ``LS_AUTH_ACCESS_TOKEN_LIFETIME`` and ``LS_AUTH_JWKS_MAX_AGE`` (seconds), when set.

Why the import below is not a plain ``from core.settings.label_studio import *``: Label Studio's
settings module reads ``django.conf.settings`` while it is still being imported (Sentry's set-up
and the version collection at its end). Django then loads the module that
``DJANGO_SETTINGS_MODULE`` names, which would be this one, still empty at that point, and keep
that half-imported view for good (``'Settings' object has no attribute 'SENTRY_DSN'``). So while
Label Studio's module imports, ``DJANGO_SETTINGS_MODULE`` names Label Studio's module, as in a
stock start; once it is complete and our names are set, Django is told to read this module again.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Dict, List

from django.conf import ENVIRONMENT_VARIABLE as _ENV
from django.conf import settings as _django_settings
from django.utils.functional import empty as _empty

#: The settings module we wrap (the name Label Studio's pytest.ini and manage.py use).
LABEL_STUDIO_SETTINGS = "core.settings.label_studio"


def _label_studio_on_path() -> None:
    # Label Studio imports its apps as top-level packages (`core`, `jwt_auth`, ...) from inside
    # its package directory; `label-studio start` puts that directory on sys.path, so do we.
    import label_studio

    here = os.path.dirname(os.path.abspath(label_studio.__file__))
    if here not in sys.path:
        sys.path.insert(0, here)


def _import_label_studio_settings() -> object:
    if LABEL_STUDIO_SETTINGS in sys.modules:
        return sys.modules[LABEL_STUDIO_SETTINGS]
    _label_studio_on_path()
    ours = os.environ.get(_ENV)
    os.environ[_ENV] = LABEL_STUDIO_SETTINGS
    try:
        return importlib.import_module(LABEL_STUDIO_SETTINGS)
    finally:
        if ours is None:
            del os.environ[_ENV]
        else:
            os.environ[_ENV] = ours


_ls = _import_label_studio_settings()
globals().update({name: getattr(_ls, name) for name in dir(_ls) if name.isupper()})

_JWT_MIDDLEWARE = "jwt_auth.middleware.JWTAuthenticationMiddleware"
_X_API_KEY = "core.middleware.XApiKeySupportMiddleware"
_PHASEOUT = "jwt_auth.auth.TokenAuthenticationPhaseout"
_HERE = "ls_auth.contrib.label_studio"


def _swap(items: Any, old: str, new: str) -> List[Any]:
    swapped = [new if item == old else item for item in items]
    if new not in swapped:
        raise RuntimeError(f"{LABEL_STUDIO_SETTINGS} no longer lists {old}: ls-auth cannot replace it")
    return swapped


MIDDLEWARE = _swap(getattr(_ls, "MIDDLEWARE"), _JWT_MIDDLEWARE, f"{_HERE}.middleware.JWTAuthenticationMiddleware")
MIDDLEWARE = _swap(MIDDLEWARE, _X_API_KEY, f"{_HERE}.middleware.XApiKeySupportMiddleware")

REST_FRAMEWORK: Dict[str, Any] = dict(getattr(_ls, "REST_FRAMEWORK"))
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = tuple(
    _swap(REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"], _PHASEOUT, f"{_HERE}.authentication.TokenAuthentication")
)
LS_AUTH_LABEL_STUDIO_EXCEPTION_HANDLER = REST_FRAMEWORK.get("EXCEPTION_HANDLER")
REST_FRAMEWORK["EXCEPTION_HANDLER"] = f"{_HERE}.exceptions.exception_handler"

SPECTACULAR_SETTINGS: Dict[str, Any] = dict(getattr(_ls, "SPECTACULAR_SETTINGS"))
SPECTACULAR_SETTINGS["AUTHENTICATION_WHITELIST"] = [
    f"{_HERE}.authentication.TokenAuthentication" if name == _PHASEOUT else name
    for name in SPECTACULAR_SETTINGS.get("AUTHENTICATION_WHITELIST", [])
]

# Our app: the table of Ed25519 signing keys (models.py) and its management command.
INSTALLED_APPS = [*getattr(_ls, "INSTALLED_APPS"), _HERE]

# Two lifetimes from the environment, in seconds, as Label Studio takes its own settings:
# LS_AUTH_ACCESS_TOKEN_LIFETIME (how long an access token lives, so how long a service keeps
# accepting one after its user or organisation is cut off; simplejwt's 300 when unset) and
# LS_AUTH_JWKS_MAX_AGE (how long services may cache api/token/jwks/, so how long a rotated-in key
# waits before it signs; 300 when unset). A LS_AUTH dict in Label Studio's settings comes first.
LS_AUTH: Dict[str, Any] = dict(getattr(_ls, "LS_AUTH", None) or {})
for _lifetime in ("ACCESS_TOKEN_LIFETIME", "JWKS_MAX_AGE"):
    _value = os.environ.get(f"LS_AUTH_{_lifetime}", "").strip()
    if _value and _lifetime not in LS_AUTH:
        LS_AUTH[_lifetime] = int(_value)

LS_AUTH_LABEL_STUDIO_URLCONF = getattr(_ls, "ROOT_URLCONF")
ROOT_URLCONF = f"{_HERE}.urls"

# Django may have read Label Studio's module while it imported (see the docstring): from now on
# it reads this one. Clearing the wrapped object also drops LazySettings' attribute cache; the
# caches built from the early view (DRF's api_settings, URL resolvers) are told, as Django tells
# them under override_settings.
if _django_settings.configured and os.environ.get(_ENV) == __name__:
    _django_settings._wrapped = _empty
    from django.test.signals import setting_changed as _setting_changed

    for _name in ("MIDDLEWARE", "REST_FRAMEWORK", "SPECTACULAR_SETTINGS", "ROOT_URLCONF"):
        _setting_changed.send(sender=None, setting=_name, value=globals()[_name], enter=False)
    # drf-spectacular reads its settings once, when first imported, and never again: if that
    # was during the early view, its AUTHENTICATION_WHITELIST still names Label Studio's class
    # and the schema would lose its `Token` security scheme.
    _spectacular = sys.modules.get("drf_spectacular.settings")
    if _spectacular is not None:
        _spectacular.spectacular_settings.reload()
        _spectacular.spectacular_settings._user_settings = SPECTACULAR_SETTINGS
    # DRF copies DEFAULT_AUTHENTICATION_CLASSES onto APIView when rest_framework.views is first
    # imported; if that happened during the early view, the class still holds Label Studio's.
    _drf_views = sys.modules.get("rest_framework.views")
    if _drf_views is not None:
        from rest_framework.settings import api_settings as _api_settings

        _drf_views.APIView.authentication_classes = _api_settings.DEFAULT_AUTHENTICATION_CLASSES
