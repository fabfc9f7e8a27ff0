"""Shared setup: Django configured in-process (for simplejwt and DRF), common keys and clocks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django
from django.conf import settings

SECRET = "django-insecure-ls-auth-python-tests-0123456789-abcdefghijklmnop"
REPO = Path(__file__).resolve().parents[3]
VECTORS = REPO / "tests" / "vectors"

sys.path.insert(0, str(Path(__file__).resolve().parent))

if not settings.configured:
    settings.configure(
        SECRET_KEY=SECRET,
        DEBUG=False,
        ALLOWED_HOSTS=["testserver", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "rest_framework.authtoken",
            "rest_framework_simplejwt",
            "rest_framework_simplejwt.token_blacklist",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        ROOT_URLCONF="drf_urls",
        MIDDLEWARE=[],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["ls_auth.contrib.drf.LSAuthentication"],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "UNAUTHENTICATED_USER": None,
        },
        SIMPLE_JWT={"SIGNING_KEY": SECRET, "ALGORITHM": "HS256"},
        LS_AUTH={},
    )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
