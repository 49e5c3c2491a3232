"""seed_demo: a complete, consistent, repeatable demo dataset (demo.seed)."""

from collections import Counter
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F, Sum

from demo.activity import demo_weeks
from demo.constants import DEMO_ORG_PREFIX
from demo.reporting import latest_week_gaps
from demo.users import DEMO_USERS
from metrics.choices import ReportingStatus
from metrics.models import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS, KpiValue, RegionReporting, StageTarget, WeeklySnapshot
from metrics.reporting import ReportingCycle
from regions.choices import OrganisationKind, UserRole
from regions.models import Municipality, Organisation, Region, Roadmap, RoadmapStage, UserScope

from ..factories import OrganisationFactory

# Small and fixed: a few organisations per region; 17 weeks (4 August – 24 November 2025) where
# the figures matter, two weeks where only the registry does (KPI computation is per week).
SCALE = "0.05"
UNTIL = "2025-12-01"
SHORT_UNTIL = "2025-08-18"


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", f"--scale={SCALE}", *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    User = get_user_model()
    return {
        "municipalities": Municipality.objects.count(),
        "organisations": Organisation.objects.count(),
        "snapshots": WeeklySnapshot.objects.count(),
        "snapshot_sums": WeeklySnapshot.objects.aggregate(*[Sum(field) for field in COUNT_FIELDS]),
        "users": User.objects.count(),
        "scopes": UserScope.objects.count(),
        "roadmaps": Roadmap.objects.count(),
        "stages": RoadmapStage.objects.count(),
        "stage_targets": StageTarget.objects.count(),
        "kpi_values": KpiValue.objects.count(),
        "pilots": sorted(Region.objects.filter(pilot=True).values_list("code", flat=True)),
    }


@pytest.mark.django_db
def test_seed_demo_builds_a_complete_dataset_for_every_region():
    output = seed_demo(f"--until={SHORT_UNTIL}")

    regions = Region.objects.count()
    assert regions == 89
    assert Region.objects.annotate(n=Count("municipalities")).filter(n=0).count() == 0
    kinds_per_region = Organisation.objects.values("region").annotate(kinds=Count("kind", distinct=True))
    assert len(kinds_per_region) == regions
    assert {row["kinds"] for row in kinds_per_region} == {len(OrganisationKind.values)}
    assert Organisation.objects.filter(kind=OrganisationKind.AUTHORITY_REGIONAL).count() == regions
    municipal_authorities = Organisation.objects.filter(kind=OrganisationKind.AUTHORITY_MUNICIPAL)
    assert municipal_authorities.count() == Municipality.objects.count()
    assert not Organisation.objects.exclude(org_id__startswith=DEMO_ORG_PREFIX).exists()
    in_municipality = Organisation.objects.exclude(kind=OrganisationKind.AUTHORITY_REGIONAL)
    assert not in_municipality.filter(municipality__isnull=True).exists()
    assert not in_municipality.exclude(municipality__region=F("region")).exists()
    assert Organisation.objects.filter(kind=OrganisationKind.SCHOOL, diary_integrated=True).exists()
    assert "coordinator63-demo-2025" in output


@pytest.mark.django_db
def test_seed_demo_snapshots_obey_the_rules_and_feed_the_kpis():
    seed_demo(f"--until={UNTIL}")

    snapshots = WeeklySnapshot.objects.all()
    weeks = list(snapshots.order_by("week").values_list("week", flat=True).distinct())
    assert weeks == demo_weeks(until=date(2025, 12, 1))
    for active, total in ACTIVE_TOTAL_PAIRS:
        assert not snapshots.filter(**{f"{active}__gt": F(total)}).exists()
    assert not snapshots.exclude(region=F("organisation__region")).exists()
    assert not snapshots.filter(upload__isnull=False).exists()
    # Almost every organisation reports almost every week; none twice (a DB constraint).
    assert snapshots.count() > 0.9 * Organisation.objects.count() * len(weeks)
    # Authorities report officials, preschool children have no accounts.
    assert not snapshots.filter(organisation__kind__startswith="authority", officials_total=0).exists()
    assert not snapshots.filter(organisation__kind=OrganisationKind.PRESCHOOL, students_active__gt=0).exists()

    first, last = weeks[0], weeks[-1]
    country = {(v.kpi, v.week): v.value for v in KpiValue.objects.filter(scope="country", kind="")}
    # The move happened: every KPI grew from August to late November.
    for kpi in ("staff_weekly_active", "learners_weekly_active", "officials_active", "max_only_share"):
        assert country[(kpi, last)] > country[(kpi, first)] + 0.3
    assert country[("staff_weekly_active", last)] > 0.6


@pytest.mark.django_db
def test_seed_demo_records_when_each_region_reported_and_who_has_not():
    """Arrivals follow the reporting cycle: most region-weeks on time, a few late, never every
    region late; in the latest week three regions sent nothing and two only part of a file."""
    seed_demo(f"--until={UNTIL}")

    weeks = demo_weeks(until=date(2025, 12, 1))
    missing, partial = latest_week_gaps(regions=list(Region.objects.all()), seed=2025)
    assert len(missing) == 3 and "62" in partial and len(partial) == 2
    latest = {row.region.code: row for row in RegionReporting.objects.filter(week=weeks[-1]).select_related("region")}
    assert len(latest) == 89
    assert {code for code, row in latest.items() if row.status == ReportingStatus.MISSING} == missing
    assert {code for code, row in latest.items() if row.status == ReportingStatus.PARTIAL} == partial
    assert latest["62"].orgs_reported < latest["62"].orgs_total
    cycle = ReportingCycle.from_settings()
    for week in weeks:
        rows = RegionReporting.objects.filter(week=week).exclude(status=ReportingStatus.MISSING)
        statuses = Counter(rows.values_list("status", flat=True))
        assert statuses[ReportingStatus.ON_TIME] > 0.7 * sum(statuses.values()), (week, statuses)
        for row in rows.filter(status=ReportingStatus.ON_TIME):
            assert row.complete_at <= cycle.deadline(week)
        for row in rows.filter(status=ReportingStatus.LATE):
            assert row.complete_at > cycle.deadline(week)
    # No file arrives after the moment the demo stands at: the start of --until, also when an
    # earlier run stood later.
    seed_demo("--until=2025-11-26")
    as_of = datetime(2025, 11, 26, tzinfo=ZoneInfo(settings.TIME_ZONE))
    assert RegionReporting.objects.filter(week=weeks[-2]).exists()
    rewritten = RegionReporting.objects.filter(week__lte=weeks[-2])
    assert not rewritten.filter(last_upload_at__gt=as_of).exists()
    assert not rewritten.filter(complete_at__gt=as_of).exists()
    # The coordinator of 62 is who sent 62's files.
    assert RegionReporting.objects.filter(region__code="62").last().last_uploaded_by.username == "coordinator62"


@pytest.mark.django_db
def test_seed_demo_marks_pilots_and_gives_samara_its_roadmap():
    seed_demo(f"--until={SHORT_UNTIL}")

    assert sorted(Region.objects.filter(pilot=True).values_list("code", flat=True)) == [
        "16", "50", "52", "62", "63", "77",
    ]  # fmt: skip
    roadmap = Roadmap.objects.get(region__code="63")
    assert roadmap.signed_on == date(2025, 7, 14)
    stages = list(roadmap.stages.order_by("order"))
    assert [(s.kinds, s.start, s.deadline) for s in stages] == [
        (["preschool"], date(2025, 7, 1), date(2025, 7, 31)),
        (["authority_regional", "authority_municipal"], date(2025, 8, 1), date(2025, 8, 31)),
        (["school"], date(2025, 9, 1), date(2025, 9, 15)),
        ([], date(2025, 11, 1), date(2025, 11, 1)),
    ]
    targets = [sorted(stage.targets.values_list("kpi__code", flat=True)) for stage in stages]
    assert targets == [
        ["learners_weekly_active", "staff_weekly_active"],
        ["officials_active"],
        ["learners_weekly_active", "staff_weekly_active"],
        ["learners_weekly_active", "max_only_share", "officials_active", "staff_weekly_active"],
    ]
    assert not StageTarget.objects.filter(stage__roadmap=roadmap, target__isnull=False).exists()
    assert Roadmap.objects.filter(is_federal=False).count() == 1


@pytest.mark.django_db
def test_seed_demo_creates_the_five_logins_with_their_scopes():
    seed_demo(f"--until={SHORT_UNTIL}")

    User = get_user_model()
    for username, password, role, region_code, *_names in DEMO_USERS:
        user = User.objects.select_related("scope__region").get(username=username)
        assert user.check_password(password)
        assert user.scope.role == role
        assert (user.scope.region.code if user.scope.region else None) == region_code
        assert user.is_superuser == user.is_staff == (role == UserRole.ADMINISTRATOR)
        # The ministry and the coordinators get the weekly digest: they have an address.
        assert bool(user.email) == (role in (UserRole.MINISTRY, UserRole.COORDINATOR))
    assert User.objects.get(username="coordinator62").scope.region.code == "62"
    assert User.objects.get(username="coordinator62").email == "coordinator62@example.org"


@pytest.mark.django_db
def test_seed_demo_twice_leaves_the_same_data():
    seed_demo("--until=2025-08-25")
    first = counts()
    output = seed_demo("--until=2025-08-25")

    assert counts() == first
    assert first["snapshots"] > 0
    assert "deleted" in output  # the second run replaced the demo snapshots, it did not add


@pytest.mark.django_db
def test_seed_demo_if_empty_on_a_filled_database_does_nothing():
    OrganisationFactory()
    before = counts()

    output = seed_demo(f"--until={SHORT_UNTIL}", "--if-empty")

    assert counts() == before
    assert before["snapshots"] == 0
    assert "--if-empty" in output


@pytest.mark.django_db
def test_seed_demo_if_empty_still_prints_the_demo_logins():
    """`make run` calls it on every start: the second start must say how to log in too."""
    seed_demo(f"--until={SHORT_UNTIL}")
    output = seed_demo("--if-empty")
    assert "ministry-demo-2025" in output
    assert "coordinator62-demo-2025" in output
