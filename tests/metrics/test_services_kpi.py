"""KPI recomputation against the real database: values, roll-ups, coverage, deltas, states."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.choices import KpiCode, ScheduleStatus, ScopeType
from metrics.constants import ALL_KINDS, COUNTRY_ID, NO_DATA
from metrics.models import KpiValue, ScheduleState, WeeklySnapshot
from metrics.services import kpi_values_rebuild, kpi_values_recompute, roadmap_regional_upsert
from regions.choices import OrganisationKind
from regions.models import Organisation, Region
from tests.factories import WEEK, MunicipalityFactory, OrganisationFactory, SnapshotFactory, region

pytestmark = pytest.mark.django_db


def value_of(scope, scope_id, kpi, week=WEEK, kind=ALL_KINDS):
    return KpiValue.objects.get(scope=scope, scope_id=scope_id, kpi=kpi, week=week, kind=kind)


def test_region_values_are_ratios_of_sums():
    ryazan = region("62")
    SnapshotFactory(
        staff_total=100,
        staff_active=90,
        students_total=10,
        students_active=1,
        parents_total=10,
        parents_active=1,
        sferum_total=50,
        sferum_max_only=25,
    )
    SnapshotFactory(
        staff_total=300,
        staff_active=150,
        students_total=90,
        students_active=29,
        parents_total=90,
        parents_active=29,
        sferum_total=150,
        sferum_max_only=150,
    )
    kpi_values_recompute(week=WEEK)
    staff = value_of(ScopeType.REGION, ryazan.id, KpiCode.STAFF_WEEKLY_ACTIVE)
    assert (staff.numerator, staff.denominator) == (240, 400)
    assert staff.value == pytest.approx(0.6)
    assert staff.met is False
    learners = value_of(ScopeType.REGION, ryazan.id, KpiCode.LEARNERS_WEEKLY_ACTIVE)
    assert (learners.numerator, learners.denominator, learners.met) == (60, 200, True)
    max_only = value_of(ScopeType.REGION, ryazan.id, KpiCode.MAX_ONLY_SHARE)
    assert max_only.value == pytest.approx(175 / 200)


def test_zero_denominator_is_stored_as_no_data():
    SnapshotFactory(officials_total=0, officials_active=0)
    kpi_values_recompute(week=WEEK)
    officials = value_of(ScopeType.REGION, region("62").id, KpiCode.OFFICIALS_ACTIVE)
    assert (officials.value, officials.met, officials.denominator) == (None, None, 0)


def test_region_without_reports_has_no_data_and_zero_coverage():
    SnapshotFactory()
    OrganisationFactory(region=region("63"))
    kpi_values_recompute(week=WEEK)
    samara = value_of(ScopeType.REGION, region("63").id, KpiCode.STAFF_WEEKLY_ACTIVE)
    assert (samara.value, samara.orgs_reported, samara.orgs_total) == (None, 0, 1)
    state = ScheduleState.objects.get(scope=ScopeType.REGION, scope_id=region("63").id, week=WEEK)
    assert state.ready is False
    assert state.blocking == [NO_DATA]


def test_coverage_counts_reporting_organisations_out_of_registry():
    municipality = MunicipalityFactory()
    SnapshotFactory(organisation__municipality=municipality)
    SnapshotFactory(organisation__municipality=municipality)
    OrganisationFactory(municipality=municipality)
    kpi_values_recompute(week=WEEK)
    row = value_of(ScopeType.MUNICIPALITY, municipality.id, KpiCode.STAFF_WEEKLY_ACTIVE)
    assert (row.orgs_reported, row.orgs_total) == (2, 3)
    country = value_of(ScopeType.COUNTRY, COUNTRY_ID, KpiCode.STAFF_WEEKLY_ACTIVE)
    assert (country.orgs_reported, country.orgs_total) == (2, 3)


def test_per_kind_rows_split_the_region():
    SnapshotFactory(organisation__kind=OrganisationKind.SCHOOL, staff_total=10, staff_active=10)
    SnapshotFactory(organisation__kind=OrganisationKind.PRESCHOOL, staff_total=10, staff_active=0)
    kpi_values_recompute(week=WEEK)
    ryazan = region("62").id
    assert value_of(ScopeType.REGION, ryazan, KpiCode.STAFF_WEEKLY_ACTIVE, kind="school").value == 1.0
    assert value_of(ScopeType.REGION, ryazan, KpiCode.STAFF_WEEKLY_ACTIVE, kind="preschool").value == 0.0
    assert value_of(ScopeType.REGION, ryazan, KpiCode.STAFF_WEEKLY_ACTIVE).value == 0.5


def test_delta_is_change_from_previous_week():
    organisation = OrganisationFactory()
    SnapshotFactory(organisation=organisation, week=WEEK - timedelta(weeks=1), staff_active=50)
    SnapshotFactory(organisation=organisation, week=WEEK, staff_active=70)
    kpi_values_rebuild()
    row = value_of(ScopeType.REGION, region("62").id, KpiCode.STAFF_WEEKLY_ACTIVE)
    assert row.delta == pytest.approx(0.2)
    first = value_of(ScopeType.REGION, region("62").id, KpiCode.STAFF_WEEKLY_ACTIVE, week=WEEK - timedelta(weeks=1))
    assert first.delta is None


def test_recomputing_an_earlier_week_refreshes_next_weeks_delta():
    organisation = OrganisationFactory()
    earlier = SnapshotFactory(organisation=organisation, week=WEEK - timedelta(weeks=1), staff_active=50)
    SnapshotFactory(organisation=organisation, week=WEEK, staff_active=70)
    kpi_values_rebuild()
    WeeklySnapshot.objects.filter(pk=earlier.pk).update(staff_active=60)
    kpi_values_recompute(week=earlier.week, region_ids=[region("62").id])
    assert value_of(ScopeType.REGION, region("62").id, KpiCode.STAFF_WEEKLY_ACTIVE).delta == pytest.approx(0.1)


def test_recompute_is_idempotent():
    SnapshotFactory.create_batch(3)
    kpi_values_recompute(week=WEEK)
    fields = ("scope", "scope_id", "kind", "kpi", "numerator", "denominator", "value", "met", "orgs_reported")
    first = sorted(KpiValue.objects.values_list(*fields))
    kpi_values_recompute(week=WEEK)
    kpi_values_recompute(week=WEEK, region_ids=[region("62").id])
    assert sorted(KpiValue.objects.values_list(*fields)) == first


def test_region_week_recompute_runs_a_fixed_number_of_queries():
    def queries_for(n):
        WeeklySnapshot.objects.all().delete()
        SnapshotFactory.create_batch(n)
        with CaptureQueriesContext(connection) as captured:
            kpi_values_recompute(week=WEEK, region_ids=[region("62").id])
        return len(captured.captured_queries)

    assert queries_for(3) == queries_for(40)


counts = st.integers(min_value=0, max_value=5000)


@st.composite
def snapshot_rows(draw):
    staff_total, students_total, parents_total, sferum_total = draw(counts), draw(counts), draw(counts), draw(counts)
    return {
        "region": draw(st.sampled_from(["62", "63", "77", "01"])),
        "staff_total": staff_total,
        "staff_active": draw(st.integers(0, staff_total)),
        "students_total": students_total,
        "students_active": draw(st.integers(0, students_total)),
        "parents_total": parents_total,
        "parents_active": draw(st.integers(0, parents_total)),
        "sferum_total": sferum_total,
        "sferum_max_only": draw(st.integers(0, sferum_total)),
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(snapshot_rows(), min_size=1, max_size=12))
def test_every_scope_equals_the_sum_of_its_organisations(rows):
    WeeklySnapshot.objects.all().delete()
    Organisation.objects.all().delete()
    for row in rows:
        code = row.pop("region")
        SnapshotFactory(organisation__region=region(code), **row)
    kpi_values_recompute(week=WEEK)
    snapshots = list(WeeklySnapshot.objects.select_related("region__federal_district"))
    scopes = {(ScopeType.COUNTRY, COUNTRY_ID): snapshots}
    for snap in snapshots:
        scopes.setdefault((ScopeType.REGION, snap.region_id), []).append(snap)
        scopes.setdefault((ScopeType.DISTRICT, snap.region.federal_district_id), []).append(snap)
    for (scope, scope_id), members in scopes.items():
        staff_num = sum(s.staff_active for s in members)
        staff_den = sum(s.staff_total for s in members)
        learners_num = sum(s.students_active + s.parents_active for s in members)
        learners_den = sum(s.students_total + s.parents_total for s in members)
        staff = value_of(scope, scope_id, KpiCode.STAFF_WEEKLY_ACTIVE)
        learners = value_of(scope, scope_id, KpiCode.LEARNERS_WEEKLY_ACTIVE)
        assert (staff.numerator, staff.denominator) == (staff_num, staff_den)
        assert (learners.numerator, learners.denominator) == (learners_num, learners_den)
        assert staff.value == (staff_num / staff_den if staff_den else None)


def weekly_staff(organisation, values, start):
    for i, active in enumerate(values):
        SnapshotFactory(
            organisation=organisation,
            week=start + timedelta(weeks=i),
            staff_total=100,
            staff_active=active,
            officials_total=0,
            officials_active=0,
        )


def test_regional_roadmap_replaces_the_federal_plan():
    samara = region("63")
    roadmap_regional_upsert(
        region=samara,
        name="Самарская область",
        signed_on=date(2025, 7, 14),
        stages=[
            {
                "order": 1,
                "title": "Дошкольные ОО",
                "kinds": ["preschool"],
                "pilot_only": False,
                "start": date(2025, 7, 1),
                "deadline": date(2025, 7, 31),
                "kpis": [KpiCode.STAFF_WEEKLY_ACTIVE],
            }
        ],
    )
    preschool = OrganisationFactory(region=samara, kind=OrganisationKind.PRESCHOOL)
    weekly_staff(preschool, [60, 70, 80], date(2025, 7, 7))
    kpi_values_rebuild()
    state = ScheduleState.objects.get(scope=ScopeType.REGION, scope_id=samara.id, week=date(2025, 7, 21))
    assert [s["title"] for s in state.stages] == ["Дошкольные ОО"]
    assert state.status == ScheduleStatus.DONE
    earlier = ScheduleState.objects.get(scope=ScopeType.REGION, scope_id=samara.id, week=date(2025, 7, 14))
    assert earlier.status == ScheduleStatus.ON_TRACK


def test_pilot_stage_counts_for_pilot_regions_only():
    Region.objects.filter(code="62").update(pilot=True)
    for code in ("62", "63"):
        school = OrganisationFactory(region=region(code), kind=OrganisationKind.SCHOOL)
        weekly_staff(school, [10, 12, 14, 16], date(2025, 9, 1))
    kpi_values_rebuild()
    week = date(2025, 9, 22)  # the week after the pilot stage's deadline (15 September)
    pilot = ScheduleState.objects.get(scope=ScopeType.REGION, scope_id=region("62").id, week=week)
    other = ScheduleState.objects.get(scope=ScopeType.REGION, scope_id=region("63").id, week=week)
    assert 2 in [s["order"] for s in pilot.stages]
    assert 2 not in [s["order"] for s in other.stages]
    pilot_stage = next(s for s in pilot.stages if s["order"] == 2)
    assert pilot_stage["status"] == ScheduleStatus.LATE


def test_state_names_the_kpis_that_make_its_status_with_their_gaps():
    SnapshotFactory(
        organisation__kind=OrganisationKind.AUTHORITY_REGIONAL,
        staff_total=100,
        staff_active=10,
        officials_total=10,
        officials_active=9,
    )
    kpi_values_recompute(week=WEEK)
    state = ScheduleState.objects.get(scope=ScopeType.REGION, scope_id=region("62").id, week=WEEK)
    assert state.ready is False
    # 27 Oct: the management stage (officials, due in August) is late; staff is not its KPI.
    assert state.status == ScheduleStatus.LATE
    assert state.blocking == [KpiCode.OFFICIALS_ACTIVE]
    [detail] = state.blocking_detail
    assert detail["kpi"] == KpiCode.OFFICIALS_ACTIVE
    assert detail["value"] == pytest.approx(0.9) and detail["target"] == 1.0
    assert detail["gap"] == pytest.approx(-0.1)
    assert state.kpis[KpiCode.LEARNERS_WEEKLY_ACTIVE]["schedule_status"] != ScheduleStatus.LATE


def test_a_rebuild_writes_what_recomputing_week_by_week_writes():
    """The rebuild shares the registry's counts and each week's values with the next week's
    recompute instead of reading them again, and leaves each week's changes to the next week's own
    recompute: the rows must be those of recomputing the weeks one by one, changes included."""
    organisations = [OrganisationFactory(org_id=f"62-{i}") for i in range(3)]
    OrganisationFactory(org_id="33-0", region=region("33"))  # registered, never reports
    for n in range(4):
        for i, organisation in enumerate(organisations[: 2 + n % 2]):
            SnapshotFactory(organisation=organisation, week=WEEK - timedelta(weeks=3 - n), staff_active=40 + 7 * n + i)
    fields = ("week", "scope", "scope_id", "kind", "kpi", "numerator", "denominator", "value", "delta", "orgs_total")
    kpi_values_rebuild()
    rebuilt = sorted(KpiValue.objects.values_list(*fields))
    KpiValue.objects.all().delete()
    for n in range(4):
        kpi_values_recompute(week=WEEK - timedelta(weeks=3 - n))
    assert sorted(KpiValue.objects.values_list(*fields)) == rebuilt
    deltas = [row[8] for row in rebuilt if row[1] == ScopeType.REGION and row[2] == region("62").id]
    assert any(delta not in (None, 0) for delta in deltas)


def test_a_reporting_refresh_writes_only_the_regions_whose_row_changed():
    from metrics.models import RegionReporting
    from metrics.services import reporting_refresh

    SnapshotFactory(organisation=OrganisationFactory(org_id="62-0"))
    OrganisationFactory(org_id="33-0", region=region("33"))
    kpi_values_recompute(week=WEEK)
    assert reporting_refresh(week=WEEK) == 0  # nothing changed since the recompute wrote every region
    assert RegionReporting.objects.filter(week=WEEK).count() == Region.objects.count()
    SnapshotFactory(organisation=OrganisationFactory(org_id="62-1"))
    KpiValue.objects.filter(week=WEEK, scope=ScopeType.REGION, scope_id=region("62").id).update(orgs_reported=2)
    assert reporting_refresh(week=WEEK) == 1
    assert RegionReporting.objects.get(week=WEEK, region=region("62")).orgs_reported == 2
