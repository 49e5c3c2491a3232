"""The digests' reads: every recipient's facts at once in a fixed number of queries, the week the job
sends, the recipients, and the alarm."""

from datetime import timedelta

import pytest

from digests.choices import DeliveryStatus, DigestKind
from digests.models import DigestDelivery
from digests.selectors import digest_alarm, digest_data, digest_recipients, digest_week_due
from digests.services import digest_subscription_set, digests_plan
from metrics.choices import ReportingStatus, ScheduleStatus
from regions.models import Region

from .conftest import AFTER_DEADLINE, DEADLINE, VALUES, WEEK, coordinator, ministry, seed_week

pytestmark = pytest.mark.django_db


def test_digest_data_holds_the_week_and_the_week_before_of_every_region_and_the_country():
    seed_week(
        overrides={
            "62": {
                "values": {**VALUES, "staff_weekly_active": 0.81},
                "previous_values": {**VALUES, "staff_weekly_active": 0.79},
                "status": ScheduleStatus.LATE,
                "previous_status": ScheduleStatus.AT_RISK,
                "blocking": [{"kpi": "officials_active", "value": 0.95, "target": 1.0, "gap": -0.05}],
                "stages": [
                    {
                        "order": 4,
                        "title": "Итог",
                        "start": "2025-11-01",
                        "deadline": "2025-11-01",
                        "status": "late",
                        "late_since": "2025-11-01",
                    }
                ],
                "reported": 0,
                "reporting": ReportingStatus.MISSING,
            }
        }
    )
    data = digest_data(week=WEEK + timedelta(days=3), now=AFTER_DEADLINE)
    assert data.week == WEEK
    assert data.deadline == DEADLINE
    assert data.next_week == WEEK + timedelta(weeks=1)
    assert not data.provisional
    assert len(data.regions) == 89
    ryazan = next(r for r in data.regions.values() if r.code == "62")
    staff = ryazan.kpis["staff_weekly_active"]
    assert (staff.value, staff.previous, staff.met) == (0.81, 0.79, True)
    assert ryazan.verdict.status == ScheduleStatus.LATE
    assert ryazan.verdict.previous_status == ScheduleStatus.AT_RISK
    assert ryazan.verdict.stages[0].late_since.isoformat() == "2025-11-01"
    assert ryazan.verdict.blocking[0]["kpi"] == "officials_active"
    assert ryazan.reporting.status == ReportingStatus.MISSING
    assert ryazan.reporting.orgs_missing == 100
    assert ryazan.page_url == "http://127.0.0.1:8000/regions/62/?week=2025-10-27"
    assert ryazan.missing_url.endswith("/regions/62/?week=2025-10-27") or "/missing/" in ryazan.missing_url
    assert data.ranks[ryazan.id][1] == Region.objects.filter(federal_district__code="ЦФО").count()
    assert data.country_kpis["officials_active"].value == 1.0
    assert data.overview_url == "http://127.0.0.1:8000/?week=2025-10-27"
    assert data.upload_url == "http://127.0.0.1:8000/uploads/"


def test_links_come_from_site_url(settings):
    seed_week()
    settings.SITE_URL = "https://sferum.example.gov/"
    data = digest_data(week=WEEK, now=AFTER_DEADLINE)
    assert data.upload_url == "https://sferum.example.gov/uploads/"


def test_a_week_without_a_schedule_state_reads_as_no_status():
    data = digest_data(week=WEEK, now=AFTER_DEADLINE)
    assert {r.verdict.status for r in data.regions.values()} == {None}
    assert {r.reporting for r in data.regions.values()} == {None}
    assert data.country_kpis["staff_weekly_active"].value is None


def test_every_digest_of_a_week_is_built_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    """89 coordinators and 50 ministry users: the same queries as for one."""
    seed_week()
    for code in Region.objects.values_list("code", flat=True):
        coordinator(code)
    for n in range(50):
        ministry(f"ministry{n}")
    with django_assert_max_num_queries(8):  # the warnings: one query
        plan = digests_plan(week=WEEK, now=AFTER_DEADLINE)
    assert len(plan) == 139
    assert {item.action for item in plan} == {"send"}
    with django_assert_max_num_queries(6):
        data = digest_data(week=WEEK, now=AFTER_DEADLINE)
    assert len(data.regions) == 89


def test_recipients_are_active_coordinators_and_ministry_users_with_their_choice():
    first = coordinator("62")
    coordinator("63", is_active=False)
    boss = ministry(email="")
    digest_subscription_set(user_id=first.id, opted_out=True)
    recipients = {r["username"]: r for r in digest_recipients()}
    assert set(recipients) == {"coordinator62", "ministry"}
    assert recipients["coordinator62"]["kind"] == DigestKind.COORDINATOR
    assert recipients["coordinator62"]["region_label"] == "62 Рязанская область"
    assert recipients["coordinator62"]["opted_out"] is True
    assert recipients["ministry"] == {
        "user_id": boss.id,
        "username": "ministry",
        "email": "",
        "kind": DigestKind.MINISTRY,
        "region_id": None,
        "region_label": "",
        "opted_out": False,
    }


def test_the_job_sends_the_latest_closed_week_only_when_it_has_values():
    seed_week()
    assert digest_week_due(now=AFTER_DEADLINE) == WEEK
    # Before the deadline the latest closed week is the one before (seeded as the previous week).
    assert digest_week_due(now=DEADLINE - timedelta(minutes=1)) == WEEK - timedelta(weeks=1)
    assert digest_week_due(now=AFTER_DEADLINE + timedelta(weeks=1)) is None  # next week: no values


def test_the_alarm_rings_two_hours_after_the_deadline_until_every_recipient_is_sent_or_skipped():
    seed_week()
    first, second = coordinator("62"), ministry()
    late = DEADLINE + timedelta(hours=2, minutes=1)
    assert digest_alarm(now=DEADLINE + timedelta(hours=1)) is None
    alarm = digest_alarm(now=late)
    assert alarm["recipients"] == 2 and alarm["not_planned"] == 2 and alarm["delivered"] == 0
    DigestDelivery.objects.create(
        user=first, week=WEEK, kind=DigestKind.COORDINATOR, region=first.scope.region, status=DeliveryStatus.FAILED
    )
    DigestDelivery.objects.create(user=second, week=WEEK, kind=DigestKind.MINISTRY, status=DeliveryStatus.SKIPPED)
    alarm = digest_alarm(now=late)
    assert (alarm["failed"], alarm["delivered"], alarm["not_planned"]) == (1, 1, 0)
    DigestDelivery.objects.filter(user=first).update(status=DeliveryStatus.SENT, sent_at=late)
    assert digest_alarm(now=late) is None


def test_the_digest_carries_each_region_s_unexplained_warnings_by_code(monkeypatch):
    """The digest reads metrics.selectors.warning_counts once for every region."""
    import digests.selectors

    seed_week()
    ryazan = Region.objects.get(code="62")
    asked = {}

    def warning_counts(*, week, region_ids=None):
        asked.update(week=week, region_ids=region_ids)
        return {ryazan.id: {"base_jump": 2, "drop_to_zero": 1}}

    assert digest_data(week=WEEK, now=AFTER_DEADLINE).regions[ryazan.id].warnings == {}
    monkeypatch.setattr(digests.selectors, "warning_counts", warning_counts)
    data = digest_data(week=WEEK, now=AFTER_DEADLINE)
    assert asked == {"week": WEEK, "region_ids": None}
    assert data.warnings_checked is True
    assert data.regions[ryazan.id].warnings == {"base_jump": 2, "drop_to_zero": 1}
    assert data.regions[Region.objects.get(code="77").id].warnings == {}
