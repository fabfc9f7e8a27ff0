"""Label Studio's URLs, with its API-token endpoints answered by :mod:`.views` (matched first),
and ``api/token/jwks/``, the public keys of its access tokens."""

from __future__ import annotations

from django.conf import settings
from django.urls import include, path

from . import views

urlpatterns = [
    path("api/token/", views.TokenView.as_view(), name="ls_auth_token_manage"),
    path("api/token/refresh/", views.TokenRefreshView.as_view(), name="ls_auth_token_refresh"),
    path("api/token/rotate/", views.TokenRotateView.as_view(), name="ls_auth_token_rotate"),
    path("api/token/jwks/", views.JwksView.as_view(), name="token_jwks"),
    path("api/token/blacklist/", views.TokenBlacklistView.as_view(), name="ls_auth_token_blacklist"),
    path("", include(getattr(settings, "LS_AUTH_LABEL_STUDIO_URLCONF", "core.urls"))),
]
