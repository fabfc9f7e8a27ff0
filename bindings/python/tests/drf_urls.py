"""URLs of the in-process Django used by the DRF tests."""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmI(APIView):
    def get(self, request: Request) -> Response:
        auth: Any = request.auth
        kind = "legacy" if isinstance(auth, str) else "jwt"
        return Response({"user": request.user.get_username(), "kind": kind})


urlpatterns = [path("api/whoami/", WhoAmI.as_view())]
