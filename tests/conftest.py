"""Shared fixtures: users of every role and a logged-in client for each."""

import pytest

from regions.choices import UserRole

from .factories import UserFactory, region


@pytest.fixture
def ministry_user(db):
    return UserFactory(username="ministry", role=UserRole.MINISTRY)


@pytest.fixture
def coordinator62(db):
    return UserFactory(username="coord62", role=UserRole.COORDINATOR, role__region=region("62"))


@pytest.fixture
def coordinator63(db):
    return UserFactory(username="coord63", role=UserRole.COORDINATOR, role__region=region("63"))


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=UserRole.ADMINISTRATOR)


@pytest.fixture
def system_user(db):
    return UserFactory(username="system", role=UserRole.SYSTEM)
