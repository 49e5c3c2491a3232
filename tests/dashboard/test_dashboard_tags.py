"""Verdicts in words (dashboard/templatetags/dashboard_tags.py): a status that says since when and
why, a stage that says whether it was done on time, a KPI card that never calls a KPI at its
target late, severity as the sort key of status cells."""

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template

from dashboard.templatetags.dashboard_tags import (
    deadline_text,
    own_schedule_status,
    reporting_label,
    severity,
    stage_verdict,
    verdict,
    verdict_text,
    week_range,
)

NBSP = "\u00a0"
NAMES = {
    "officials_active": "Активные должностные лица",
    "max_only_share": "Только в MAX",
    "staff_weekly_active": "Активность работников",
}
OFFICIALS_BEHIND = {"kpi": "officials_active", "value": 0.957, "target": 1.0, "gap": -0.043}


def plain(text: str) -> str:
    """The pages keep numbers and their units together with non-breaking spaces."""
    return text.replace(NBSP, " ")


def test_late_says_since_when_and_what_blocks_it_by_how_much():
    text = verdict_text("late", date(2025, 11, 3), [OFFICIALS_BEHIND], {"reported": 10, "total": 10}, NAMES)
    assert plain(text) == "Просрочено с 03.11.2025 · мешает: активные должностные лица 95,7 % из 100 %, −4,3 п. п."


def test_at_risk_lists_every_blocking_kpi_and_no_data_in_words():
    blockers = [
        {"kpi": "staff_weekly_active", "value": 0.6, "target": 0.75, "gap": -0.15},
        {"kpi": "max_only_share", "value": None, "target": 1.0, "gap": None},
    ]
    text = plain(verdict_text("at_risk", date(2025, 10, 13), blockers, None, NAMES))
    assert text == (
        "Под угрозой с 13.10.2025 · мешает: активность работников 60,0 % из 75 %, −15,0 п. п.; только в MAX: нет данных"
    )


def test_a_gap_under_a_tenth_of_a_point_still_shows():
    nearly = {"kpi": "max_only_share", "value": 0.9996, "target": 1.0, "gap": -0.0004}
    assert plain(verdict_text("late", None, [nearly], None, NAMES, form="compact")) == "только в MAX −0,04 п. п."


def test_done_is_one_word_and_codes_never_show():
    assert verdict_text("done", date(2025, 11, 3), [], None, NAMES) == "Выполнено"
    text = verdict_text("late", None, [OFFICIALS_BEHIND], None, {})
    assert "officials_active" not in text
    assert text.startswith("Просрочено · мешает: 2. Доля активных")


def test_insufficient_data_gives_the_coverage():
    text = verdict_text("insufficient_data", date(2025, 11, 3), [], {"reported": 40, "total": 120}, NAMES)
    assert plain(text) == "Недостаточно данных: отчитались 40 из 120 организаций (33 %)"


def test_detail_and_compact_forms_are_what_follows_a_badge():
    detail = verdict_text("late", date(2025, 11, 3), [OFFICIALS_BEHIND], None, NAMES, form="detail")
    assert plain(detail) == "с 03.11.2025 · мешает: активные должностные лица 95,7 % из 100 %, −4,3 п. п."
    compact = verdict_text("late", date(2025, 11, 3), [OFFICIALS_BEHIND], None, NAMES, form="compact")
    assert plain(compact) == "с 03.11.2025 · активные должностные лица −4,3 п. п."
    assert verdict_text("done", None, [], None, NAMES, form="compact") == ""
    assert verdict_text(None, None, [], None, NAMES) == "Нет данных"


def test_stage_lines_say_on_time_or_late_and_since_when():
    assert stage_verdict({"status": "done", "done_on": "2025-11-03", "on_time": False}) == (
        "выполнен 03.11.2025 с опозданием"
    )
    assert stage_verdict({"status": "done", "done_on": "2025-08-25", "on_time": True}) == "выполнен в срок"
    late = {"status": "late", "late_since": "2025-11-01", "blocking": [OFFICIALS_BEHIND]}
    assert plain(stage_verdict(late, NAMES)) == (
        "просрочен с 01.11.2025 · мешает: активные должностные лица 95,7 % из 100 %, −4,3 п. п."
    )
    # Nothing the badge does not say already: no words.
    assert stage_verdict({"status": "not_started"}) == ""
    assert stage_verdict({"status": "done"}) == ""


def test_the_tag_renders_a_selector_row_escaped():
    row = {"status": "late", "status_since": date(2025, 11, 3), "blocking_detail": [OFFICIALS_BEHIND]}
    names = {"officials_active": "<b>лица</b>"}
    html = Template("{% load dashboard_tags %}{% verdict row names %}").render(Context({"row": row, "names": names}))
    assert "&lt;b&gt;лица&lt;/b&gt;" in html and "<b>" not in html
    assert verdict(None) == "Нет данных"


@pytest.mark.parametrize("status", ["late", "at_risk"])
def test_a_kpi_at_target_never_carries_a_late_badge(status):
    assert own_schedule_status({"met": True, "schedule_status": status}) is None
    assert own_schedule_status({"met": False, "schedule_status": status}) == status
    assert own_schedule_status({"met": True, "schedule_status": "done"}) == "done"


def test_status_cells_sort_by_severity_not_by_name():
    order = ["late", "at_risk", "insufficient_data", "on_track", "done", "not_started", None]
    assert [severity(s) for s in order] == sorted(severity(s) for s in order)
    assert severity("late") < severity("done") < severity(None)


def test_reporting_and_deadline_labels():
    assert [reporting_label(s) for s in ("on_time", "late", "partial", "missing")] == [
        "в срок",
        "с опозданием",
        "частично",
        "не отчитался",
    ]
    assert deadline_text(datetime(2025, 11, 11, 9, 0, tzinfo=UTC)) == "вт 11.11.2025 12:00 (МСК)"
    assert week_range(date(2025, 11, 3)) == "03.11–09.11.2025"
