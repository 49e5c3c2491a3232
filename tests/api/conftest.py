"""API fixtures: token clients for every role, and KPI data computed the way the jobs compute it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from metrics.services import kpi_values_rebuild
from regions.services import api_token_create
from tests.factories import WEEK, MunicipalityFactory, OrganisationFactory, SnapshotFactory, region

PREVIOUS_WEEK = WEEK - timedelta(weeks=1)


@pytest.fixture(autouse=True)
def _clear_throttle_history():
    """Throttles count requests in the cache (LocMem, or Redis with TEST_CACHE_URL): every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_client():
    """A client that sends `Authorization: Token …` for the given user (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            _token, key = api_token_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def kpi_data(db):
    """Ryazan (62) reports two weeks, Samara (63) the latest one; KPI values rebuilt."""
    ryazan_district = MunicipalityFactory(region=region("62"), name="Рязанский район")
    samara_district = MunicipalityFactory(region=region("63"), name="Самарский район")
    ryazan = [OrganisationFactory(org_id=f"62-{i}", municipality=ryazan_district) for i in range(3)]
    samara = [
        OrganisationFactory(org_id=f"63-{i}", region=region("63"), municipality=samara_district) for i in range(2)
    ]
    for organisation in ryazan:
        SnapshotFactory(organisation=organisation, week=PREVIOUS_WEEK, staff_active=70)
        SnapshotFactory(organisation=organisation, week=WEEK, staff_active=80)
    for organisation in samara:
        SnapshotFactory(organisation=organisation, week=WEEK, staff_total=100, staff_active=50)
    kpi_values_rebuild()
    return {"ryazan": ryazan, "samara": samara}
