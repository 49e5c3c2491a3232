"""The management commands: recompute_kpis."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from metrics.choices import ScopeType
from metrics.models import KpiValue
from tests.factories import WEEK, SnapshotFactory

pytestmark = pytest.mark.django_db


def test_recompute_all_builds_every_week():
    SnapshotFactory(week=WEEK)
    SnapshotFactory(week=WEEK.replace(day=20))
    out = StringIO()
    call_command("recompute_kpis", "--all", stdout=out)
    assert "2 weeks" in out.getvalue()
    assert set(KpiValue.objects.filter(scope=ScopeType.COUNTRY).values_list("week", flat=True)) == {
        WEEK,
        WEEK.replace(day=20),
    }


def test_recompute_one_week_accepts_any_day_of_it():
    SnapshotFactory(week=WEEK)
    call_command("recompute_kpis", "--week", "2025-10-30", stdout=StringIO())
    assert KpiValue.objects.filter(scope=ScopeType.COUNTRY, week=WEEK).count() > 0


def test_recompute_all_without_data_says_so():
    with pytest.raises(CommandError):
        call_command("recompute_kpis", "--all", stdout=StringIO())
