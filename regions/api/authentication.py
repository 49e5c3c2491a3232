"""API token authentication: django-rest-knox's hashed, expiring tokens, bound to the account.

A token opens the API only while its user is active, has a role and keeps the password, role and
region the token was issued for (regions.selectors.api_token_is_current). That check runs on every
request, so a password changed by any path (the admin, `manage.py changepassword`, a shell) or a
role lost ends the token at once; the services also delete such tokens where accounts change
(regions.services.api_tokens_revoke_stale), which keeps the admin's token list true.
"""

import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from ..selectors import api_token_is_current

# knox keys: 64 hex characters (no prefix configured). Anything else is refused before a query,
# so bytes that are not UTF-8 or a NUL never reach the database.
_KEY = re.compile(rb"[0-9a-f]{64}")

MSG_INVALID = _("Недействительный токен.")
MSG_REVOKED = _("Токен отозван: пароль или роль учётной записи изменились, или она отключена. Получите новый токен.")


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: knox's hashed token, refused once the account changed."""

    def authenticate_credentials(self, token: bytes):
        if not _KEY.fullmatch(token):
            raise AuthenticationFailed(MSG_INVALID)
        return super().authenticate_credentials(token)

    def validate_user(self, auth_token):
        if not api_token_is_current(auth_token):  # inactive, no role, or another password or role
            auth_token.delete()  # dead for good: an account enabled or a role given back does not revive it
            raise AuthenticationFailed(MSG_REVOKED)
        return super().validate_user(auth_token)

    def _cleanup_token(self, auth_token) -> bool:
        # knox also reads every other token of the user on each request to delete expired ones;
        # those go when the user gets a new token (regions.services.api_token_create).
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for ApiTokenAuthentication (the same as DRF's tokenAuth)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _('Токен с префиксом "Token": `Authorization: Token <token>`.'),
        }
