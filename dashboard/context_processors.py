"""What the top bar shows on every page: the user's region and role."""

from regions.choices import UserRole
from regions.selectors import user_region, user_role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = user_role(user)
    return {
        "user_region": user_region(user),
        "user_role_label": UserRole(role).label if role else "",
    }
