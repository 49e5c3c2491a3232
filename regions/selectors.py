"""Reads of the regions app, and who may see or write what."""

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
