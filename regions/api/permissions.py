"""Who may call the API at all, and who may write through it."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..choices import UserRole
from ..selectors import user_role

# Roles whose accounts read and never write, whatever the call.
READ_ONLY_ROLES = (UserRole.SYSTEM,)


class RolePermission(BasePermission):
    """Every account with a role reads; a read-only role (an external system's account) gets 403
    on every write, so a new write endpoint is safe by default. An account without a role gets
    nothing. Which region a coordinator may write for is the service's check (403, nothing saved).

    Applied globally (REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]) after IsAuthenticated.
    """

    message = _("У учётной записи нет роли: обратитесь к администратору.")

    def has_permission(self, request, view):
        role = user_role(request.user)
        if role is None:
            return False
        if request.method in SAFE_METHODS:
            return True
        if role in READ_ONLY_ROLES:
            self.message = _("Учётная запись только для чтения: изменять данные через API она не может.")
            return False
        return True
