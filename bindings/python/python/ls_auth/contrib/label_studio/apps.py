"""The Django app behind ``ls_auth.contrib.label_studio``: its table of Ed25519 signing keys."""

from __future__ import annotations

from django.apps import AppConfig


class LsAuthLabelStudioConfig(AppConfig):
    name = "ls_auth.contrib.label_studio"
    label = "ls_auth"
    verbose_name = "ls-auth"
    default_auto_field = "django.db.models.BigAutoField"
