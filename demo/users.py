"""The demo logins: one per role, with a known password."""

from django.contrib.auth import get_user_model

from regions.choices import UserRole
from regions.models import Region
from regions.services import user_upsert

DIGEST_ROLES = (UserRole.MINISTRY, UserRole.COORDINATOR)
# (username, password, role, region code, first name, last name): demo logins only.
DEMO_USERS = (
    ("ministry", "ministry-demo-2025", UserRole.MINISTRY, None, "Мария", "Орлова"),
    ("admin", "admin-demo-2025", UserRole.ADMINISTRATOR, None, "Андрей", "Смирнов"),
    ("coordinator62", "coordinator62-demo-2025", UserRole.COORDINATOR, "62", "Ирина", "Кузнецова"),
    ("coordinator63", "coordinator63-demo-2025", UserRole.COORDINATOR, "63", "Олег", "Волков"),
    ("api_system", "api-system-demo-2025", UserRole.SYSTEM, None, "", ""),
)


def login_upsert(
    *,
    username: str,
    password: str,
    role: str,
    region: Region | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str | None = None,
) -> None:
    """Create or update one login and its scope; the one call of the regions service in demo/."""
    user_upsert(
        username=username,
        password=password,
        role=role,
        region=region,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )


def demo_logins_present() -> list[dict]:
    """The demo logins whose users exist and still have the demo password."""
    existing = {
        user.username: user for user in get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS])
    }
    return [
        {"username": username, "password": password, "role": str(role), "region": region_code or ""}
        for username, password, role, region_code, _first, _last in DEMO_USERS
        if username in existing and existing[username].check_password(password)
    ]


def demo_users_create(*, regions: list[Region]) -> list[dict]:
    """Create or update the demo logins; return them as the command prints them."""
    by_code = {region.code: region for region in regions}
    users = []
    for username, password, role, region_code, first_name, last_name in DEMO_USERS:
        login_upsert(
            username=username,
            password=password,
            role=role,
            region=by_code[region_code] if region_code else None,
            first_name=first_name,
            last_name=last_name,
            # People who get the weekly digest have an address (example.org: reserved, never delivered).
            email=f"{username}@example.org" if role in DIGEST_ROLES else None,
        )
        users.append({"username": username, "password": password, "role": str(role), "region": region_code or ""})
    return users
