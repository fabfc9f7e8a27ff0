"""ls-auth inside Label Studio 1.23: its API tokens checked natively, per organisation.

    DJANGO_SETTINGS_MODULE=ls_auth.contrib.label_studio.settings label-studio start

- :mod:`.settings` wraps Label Studio's settings and swaps its JWT middleware, its
  ``TokenAuthenticationPhaseout``, its exception handler and its token URLs for these modules;
- :mod:`.middleware` and :mod:`.authentication` authenticate requests (Bearer access tokens,
  legacy ``Token`` keys) with each user's organisation settings (:mod:`.orgs`);
- :mod:`.revocation` keeps revocations in simplejwt's ``token_blacklist`` tables;
- :mod:`.views` answers ``api/token/``, ``api/token/refresh/``, ``api/token/rotate/`` and
  ``api/token/blacklist/``, and publishes ``api/token/jwks/``;
- :mod:`.keys` keeps the Ed25519 keys that sign access tokens (:mod:`.models`, sealed under
  ``SECRET_KEY``), and the ``ls_auth_signing_keys`` management command rotates them.

Nothing here is imported by ``import ls_auth``; importing these modules needs Label Studio.
"""
