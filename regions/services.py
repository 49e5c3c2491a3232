"""Writes of the regions app: users and their scope, their API tokens (regional roadmaps:
metrics.services.roadmaps, which writes their KPI targets)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sferum_migration.exceptions import PermissionRefused

from .choices import UserRole
from .models import ApiToken, Region, UserScope
from .selectors import api_token_fingerprint, api_token_is_current, user_role

User = get_user_model()

# A client that asks for a token at every start and never logs out keeps this many; older ones go.
API_TOKENS_PER_USER = 10


@transaction.atomic
def user_upsert(
    *,
    username: str,
    password: str,
    role: str,
    region: Region | None = None,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    email: str | None = None,
) -> User:
    """Create or update the user ``username`` with its scope; the password is set every time, the
    e-mail address when given (None leaves it as it is)."""
    if role not in UserRole.values:
        raise ValidationError(_("Неизвестная роль: %(role)s.") % {"role": role})
    if role == UserRole.COORDINATOR and region is None:
        raise ValidationError(_("У регионального координатора должен быть регион."))
    if role != UserRole.COORDINATOR and region is not None:
        raise ValidationError(_("Регион указывается только для регионального координатора."))
    if role == UserRole.ADMINISTRATOR:
        is_staff = is_superuser = True

    defaults = {
        "first_name": first_name,
        "last_name": last_name,
        "is_staff": is_staff,
        "is_superuser": is_superuser,
        "is_active": True,
    }
    if email is not None:
        defaults["email"] = email
    user, _created = User.objects.update_or_create(username=username, defaults=defaults)
    user.set_password(password)
    user.save(update_fields=["password"])
    UserScope.objects.update_or_create(user=user, defaults={"role": role, "region": region})
    api_tokens_revoke_stale(user=user)
    return user


@transaction.atomic
def api_token_create(*, user) -> tuple[ApiToken, str]:
    """Issue a new API token: the stored token (only a hash of the key) and the key, shown once.

    Refused for an inactive account or one without a role. The user's expired and stale tokens are
    deleted, and beyond API_TOKENS_PER_USER the oldest ones."""
    user = User.objects.select_related("scope").get(pk=user.pk)  # as stored, not the caller's copy
    if not user.is_active or user_role(user) is None:
        raise PermissionRefused(_("У учётной записи нет роли или она отключена: токен не выдаётся."))
    api_tokens_revoke_stale(user=user)
    token, key = ApiToken.objects.create(user, fingerprint=api_token_fingerprint(user))
    kept = (
        ApiToken.objects.filter(user=user)
        .order_by("-created", "-pk")
        .values_list("pk", flat=True)[:API_TOKENS_PER_USER]
    )
    ApiToken.objects.filter(user=user).exclude(pk__in=list(kept)).delete()
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke one token (the client's logout)."""
    token.delete()


def api_tokens_revoke(*, user) -> int:
    """Revoke every token of the user; the number revoked."""
    deleted, _by_model = ApiToken.objects.filter(user=user).delete()
    return deleted


def api_tokens_revoke_stale(*, user) -> int:
    """Revoke the user's tokens that no longer open the API: all of them once the account is
    inactive, lost its role or had its password set or made unusable; those issued for another
    role or region; expired ones. Called wherever an account or its scope changes (the admin,
    user_upsert); the authentication refuses such tokens anyway (regions/api/authentication.py),
    so a path that forgets this call leaves a dead row, never a live token."""
    now = timezone.now()
    # Read afresh, scope included: the state just saved, not the caller's copy of the user.
    tokens = ApiToken.objects.filter(user_id=user.pk).select_related("user__scope")
    stale = [t.pk for t in tokens if not api_token_is_current(t) or (t.expiry is not None and t.expiry <= now)]
    deleted, _by_model = ApiToken.objects.filter(pk__in=stale).delete()
    return deleted
