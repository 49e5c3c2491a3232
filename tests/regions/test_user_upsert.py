"""regions.services.user_upsert: the e-mail address is written when given and kept when not."""

import pytest

from regions.choices import UserRole
from regions.services import user_upsert


@pytest.mark.django_db
def test_an_address_is_written_when_given_and_kept_when_not():
    user = user_upsert(username="m1", password="x-Pass-2025", role=UserRole.MINISTRY, email="m1@example.org")
    assert user.email == "m1@example.org"
    again = user_upsert(username="m1", password="x-Pass-2025", role=UserRole.MINISTRY)
    again.refresh_from_db()
    assert again.email == "m1@example.org"
    cleared = user_upsert(username="m1", password="x-Pass-2025", role=UserRole.MINISTRY, email="")
    cleared.refresh_from_db()
    assert cleared.email == ""
