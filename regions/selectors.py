"""Reads of the regions app, and who may see or write what."""

from hmac import compare_digest

from django.utils.crypto import salted_hmac

from .choices import UserRole
from .models import Region

NATIONAL_ROLES = (UserRole.MINISTRY, UserRole.ADMINISTRATOR)


def user_role(user) -> str | None:
    """The user's role; superusers without a scope count as administrators."""
    if not user.is_authenticated:
        return None
    scope = getattr(user, "scope", None)
    if scope is not None:
        return scope.role
    return UserRole.ADMINISTRATOR if user.is_superuser else None


def user_region(user) -> Region | None:
    """The one region of a coordinator; None for everyone else."""
    scope = getattr(user, "scope", None) if user.is_authenticated else None
    return scope.region if scope is not None and scope.role == UserRole.COORDINATOR else None


def user_has_national_scope(user) -> bool:
    """Ministry staff and administrators see and may upload for every region."""
    return user_role(user) in NATIONAL_ROLES


def user_can_upload(user, region: Region | None) -> bool:
    """The one rule for uploads, to send them and to see them: national roles for any region or a
    national file (region None), a coordinator for their own region only, read-only system
    accounts never."""
    if user_has_national_scope(user):
        return True
    own = user_region(user)
    return own is not None and region is not None and own.pk == region.pk


def api_token_fingerprint(user) -> str:
    """What an API token is bound to: the user's password hash, role and region, as a keyed hash
    (like the session's auth hash, it changes with every set_password, even to the same password).

    Rotating SECRET_KEY changes every fingerprint, so every token is refused: clients ask again."""
    scope = getattr(user, "scope", None)
    state = "\x00".join((user.password, user_role(user) or "", str(scope.region_id or "") if scope else ""))
    return salted_hmac("regions.api_token_fingerprint", state, algorithm="sha256").hexdigest()


def api_token_is_current(token) -> bool:
    """Whether a token still opens the API: its user is active, has a role, and has the password,
    role and region the token was issued for. Expiry is checked by the authentication itself."""
    user = token.user
    return (
        user.is_active
        and user_role(user) is not None
        and compare_digest(token.fingerprint, api_token_fingerprint(user))
    )
