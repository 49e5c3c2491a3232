"""The organisation registry's side of the KPI values: the lock a registry move holds against
running imports, and the recompute of the weeks a moved organisation changes."""

import logging
from collections.abc import Collection

from django.db import transaction
from kombu.exceptions import OperationalError

from regions.models import Organisation
from sferum_migration.db import advisory_xact_lock

from ..models import WeeklySnapshot
from ..selectors import weeks_with_data
from ..tasks import organisation_kpis_refresh_task
from .kpi_values import kpi_values_rebuild

logger = logging.getLogger(__name__)

REGISTRY_LOCK = "organisation-registry"


def organisation_registry_lock() -> None:
    """Held by a change of an organisation's region, municipality or kind until it commits: an
    import checks its rows against the registry under the shared side of this lock, so it never
    writes rows checked against the registry of before the change after the change."""
    advisory_xact_lock(REGISTRY_LOCK)


def organisation_kpis_refresh(*, organisation_id: int, region_ids: Collection[int]) -> int:
    """After an organisation's region, municipality or kind changed in the registry: its
    snapshots follow it to its region, and every computed week of the regions given (the former
    and the present one) is recomputed, since their organisation totals changed in every week.
    Returns the number of weeks recomputed."""
    with transaction.atomic():
        organisation = Organisation.objects.get(id=organisation_id)
        regions = sorted({*region_ids, organisation.region_id})
        weeks = sorted(weeks_with_data(computed=True))
        # The locks an import of these region-weeks takes, in the same order.
        for region_id, week in sorted((region_id, week) for region_id in regions for week in weeks):
            advisory_xact_lock("upload-region-week", region_id, week)
        WeeklySnapshot.objects.filter(organisation_id=organisation_id).exclude(region_id=organisation.region_id).update(
            region_id=organisation.region_id
        )
        kpi_values_rebuild(weeks=weeks, region_ids=regions)
    return len(weeks)


def organisation_kpis_refresh_enqueue(*, organisation_id: int, region_ids: Collection[int]) -> None:
    """Queue organisation_kpis_refresh once the registry change commits; with the broker down it
    runs here and now rather than leave the KPI values of past weeks stale."""
    region_ids = sorted(set(region_ids))

    def enqueue():
        try:
            organisation_kpis_refresh_task.delay(organisation_id, region_ids)
        except OperationalError:  # the broker did not take it
            logger.warning("Broker unavailable: recomputing organisation %s inline", organisation_id, exc_info=True)
            organisation_kpis_refresh(organisation_id=organisation_id, region_ids=region_ids)

    transaction.on_commit(enqueue)
