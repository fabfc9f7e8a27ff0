"""The Ed25519 keys that sign Label Studio's access tokens, shared by every worker through the
database (contract section 3.10; the timeline is :mod:`.keys`)."""

from __future__ import annotations

from django.db import models


class SigningKey(models.Model):
    """One Ed25519 key: published from ``created_at``, signing from ``signs_from`` until a later
    key signs, published until the last access token it signed has expired.

    ``sealed`` is the PKCS#8 private key sealed with AES-256-GCM under a key derived from
    ``SECRET_KEY`` (:func:`.keys.seal`); the private key is never stored in clear.
    """

    kid = models.CharField(max_length=64, unique=True)
    public_x = models.CharField(max_length=64, help_text="the public key, unpadded base64url (JWK x)")
    sealed = models.BinaryField(help_text="nonce || AES-256-GCM(PKCS#8 private key), bound to the kid")
    created_at = models.DateTimeField()
    signs_from = models.DateTimeField()

    class Meta:
        ordering = ("signs_from", "kid")

    def __str__(self) -> str:
        return f"SigningKey({self.kid})"
