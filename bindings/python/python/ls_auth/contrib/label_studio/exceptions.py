"""Label Studio's error envelope, plus the stable code of an ls-auth refusal.

Label Studio's ``core.utils.common.custom_exception_handler`` answers every API error as
``{"id", "status_code", "version", "detail", "exc_info"}`` and keeps only ``detail``. Ours calls
it unchanged and adds ``"code"`` (contract section 4) when the refusal came from ls-auth, so a client
can tell an expired token from a disabled kind without parsing English.
"""

from __future__ import annotations

from typing import Any, Optional

from django.utils.module_loading import import_string
from rest_framework.response import Response

__all__ = ["exception_handler"]


def _label_studio_handler() -> Any:
    from django.conf import settings

    name = getattr(settings, "LS_AUTH_LABEL_STUDIO_EXCEPTION_HANDLER", None)
    return import_string(name or "rest_framework.views.exception_handler")


def exception_handler(exc: Exception, context: Any) -> Optional[Response]:
    response = _label_studio_handler()(exc, context)
    code = getattr(exc, "ls_code", None)
    if response is not None and code is not None and isinstance(response.data, dict):
        response.data["code"] = code
    return response
