"""The data-quality checks as pure functions (metrics.quality): each at its thresholds, the MAD = 0
case, too little history, and properties over generated files: last week's file sent again is
always flagged, a file of fresh plausible counts raises nothing."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.choices import KpiCode, WarningCode
from metrics.counts import COUNT_FIELDS
from metrics.quality import (
    QualityHistory,
    QualityRow,
    QualityThresholds,
    Section,
    base_jump,
    drop_to_zero,
    file_sections,
    identical_rows,
    outlier_candidates,
    outliers,
    quality_check,
    region_swing,
    same_as_previous,
    warning_explanation,
)

WEEK = date(2025, 10, 27)
BEFORE = WEEK - timedelta(weeks=1)
REGION = 7
T = QualityThresholds()


def counts(**values) -> tuple[int, ...]:
    """A row of counts: 100 staff of whom 80 active, 500 students/150, 800 parents/240, 4 officials
    all active, 1400 Sferum users of whom 1300 in MAX only — unless given."""
    base = {
        "staff_total": 100,
        "staff_active": 80,
        "students_total": 500,
        "students_active": 150,
        "parents_total": 800,
        "parents_active": 240,
        "officials_total": 4,
        "officials_active": 4,
        "sferum_total": 1400,
        "sferum_max_only": 1300,
    }
    base.update(values)
    return tuple(base[name] for name in COUNT_FIELDS)


def row(pk, row_counts=None, *, kind="school", week=WEEK, region=REGION, line=None) -> QualityRow:
    return QualityRow(
        line=line or pk + 1,
        org_pk=pk,
        org_id=f"ORG-{pk}",
        name=f"Школа № {pk}",
        kind=kind,
        region_id=region,
        week=week,
        counts=row_counts or counts(),
    )


def codes(warnings) -> list[str]:
    return [warning.code for warning in warnings]


# --- thresholds ---------------------------------------------------------------------------------


def test_thresholds_default_to_the_design_and_come_from_settings():
    assert (T.same_as_previous_share, T.base_jump_share, T.base_jump_people) == (0.9, 0.2, 20)
    assert (T.outlier_z, T.outlier_weeks, T.outlier_min_change, T.identical_rows, T.region_swing) == (
        3.5,
        8,
        0.1,
        10,
        0.15,
    )
    assert QualityThresholds.from_settings() == T
    with override_settings(QUALITY_BASE_JUMP_PEOPLE=50, QUALITY_REGION_SWING="0.2"):
        changed = QualityThresholds.from_settings()
    assert (changed.base_jump_people, changed.region_swing) == (50, 0.2)


def test_every_code_has_an_explanation_with_its_thresholds():
    for code in WarningCode.values:
        assert warning_explanation(code, T)
    assert "20\u00a0%" in warning_explanation(WarningCode.BASE_JUMP, T)
    assert "15,0 п. п." in warning_explanation(WarningCode.REGION_SWING, T)
    assert "больше 3,5" in warning_explanation(WarningCode.OUTLIER, T)


# --- same_as_previous ---------------------------------------------------------------------------


def section(rows, *, before=None, stored=None, pace=None) -> Section:
    return Section(REGION, WEEK, rows, stored or [], before or {}, pace or {})


def test_a_file_equal_to_last_week_is_flagged_once_for_the_region_week():
    rows = [row(pk, counts(staff_total=100 + pk)) for pk in range(5)]
    found = same_as_previous(section(rows, before={r.org_pk: r.counts for r in rows}), T)
    assert codes(found) == [WarningCode.SAME_AS_PREVIOUS]
    assert (found[0].previous, found[0].new, found[0].org_id) == (5, 5, "ORG-0")
    assert "5 из 5 строк (100\u00a0%)" in found[0].message and "20.10.2025" in found[0].message


@pytest.mark.parametrize(("equal", "flagged"), [(9, True), (8, False)])
def test_same_as_previous_needs_ninety_percent_of_the_rows(equal, flagged):
    rows = [row(pk, counts(staff_total=100 + pk)) for pk in range(10)]
    before = {r.org_pk: r.counts for r in rows[:equal]}
    before |= {r.org_pk: counts(staff_total=1) for r in rows[equal:]}
    assert bool(same_as_previous(section(rows, before=before), T)) is flagged


def test_rows_without_a_previous_week_count_against_same_as_previous():
    rows = [row(pk) for pk in range(10)]
    before = {r.org_pk: r.counts for r in rows[:8]}  # two organisations new this week
    assert same_as_previous(section(rows, before=before), T) == []


# --- base_jump ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "flagged"),
    [
        (100, 121, True),  # +21 %, +21 people
        (100, 120, False),  # exactly 20 %: not more
        (200, 221, False),  # +21 people but only 10.5 %
        (50, 71, True),  # +42 %, +21 people
        (50, 70, False),  # +40 % but exactly 20 people
        (1200, 12000, True),  # a pasted extra zero
        (1200, 120, True),  # a lost one
        (0, 21, True),  # from nothing
        (0, 20, False),
    ],
)
def test_base_jump_needs_more_than_twenty_percent_and_more_than_twenty_people(old, new, flagged):
    found = base_jump(row(1, counts(staff_total=new, staff_active=0)), counts(staff_total=old, staff_active=0), T)
    assert codes(found) == ([WarningCode.BASE_JUMP] if flagged else [])
    if flagged:
        assert (found[0].column, found[0].previous, found[0].new) == ("staff_total", old, new)
        assert "«Работники всего»" in found[0].message


def test_base_jump_looks_at_every_total_and_never_at_active_counts():
    previous = counts()
    jumped = counts(students_total=5000, students_active=150, sferum_total=9000, sferum_max_only=1300)
    found = base_jump(row(1, jumped), previous, T)
    assert [w.column for w in found] == ["students_total", "sferum_total"]
    assert base_jump(row(1, counts(staff_active=20)), previous, T) == []


# --- drop_to_zero -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_active", "old_total", "new_active", "flagged"),
    [
        (80, 100, 0, True),
        (5, 100, 0, True),  # 5 people, 5 % of the staff: the thresholds, included
        (4, 80, 0, False),  # fewer than 5 people
        (5, 101, 0, False),  # under 5 % of the staff
        (80, 100, 1, False),  # not zero
        (0, 100, 0, False),  # nothing last week either
    ],
)
def test_drop_to_zero_needs_a_real_count_last_week(old_active, old_total, new_active, flagged):
    previous = counts(staff_total=old_total, staff_active=old_active)
    found = drop_to_zero(row(1, counts(staff_total=old_total, staff_active=new_active)), previous, T)
    assert codes(found) == ([WarningCode.DROP_TO_ZERO] if flagged else [])


def test_a_column_left_empty_drops_every_active_count_and_max_only_users():
    empty = counts(staff_active=0, students_active=0, parents_active=0, officials_active=0, sferum_max_only=0)
    found = drop_to_zero(row(1, empty), counts(officials_total=40, officials_active=30), T)
    assert [w.column for w in found] == [
        "staff_active",
        "students_active",
        "parents_active",
        "officials_active",
        "sferum_max_only",
    ]
    assert found[0].message.startswith("«Работники активные»: 80 на прошлой неделе, 0 сейчас")


# --- identical_rows -----------------------------------------------------------------------------


@pytest.mark.parametrize(("copies", "flagged"), [(10, True), (9, False)])
def test_ten_organisations_with_the_same_counts_are_copied_rows(copies, flagged):
    rows = [row(pk, counts(staff_total=37)) for pk in range(copies)] + [row(100 + pk) for pk in range(3)]
    found = identical_rows(section(rows), T)
    assert codes(found) == ([WarningCode.IDENTICAL_ROWS] if flagged else [])
    if flagged:
        assert found[0].new == 10 and found[0].org_id == "ORG-0"
        assert "ORG-0, ORG-1, ORG-2, ORG-3, ORG-4 …" in found[0].message


def test_rows_of_all_zeros_are_not_copied_rows():
    zero = tuple(0 for _ in COUNT_FIELDS)
    assert identical_rows(section([row(pk, zero) for pk in range(30)]), T) == []


def test_one_organisation_sent_ten_times_is_not_ten_organisations():
    assert identical_rows(section([row(1, counts(), line=line) for line in range(2, 12)]), T) == []


# --- region_swing -------------------------------------------------------------------------------


def staff(active, total=100):
    return counts(staff_total=total, staff_active=active)


@pytest.mark.parametrize(("before", "now", "flagged"), [(40, 56, True), (40, 55, False), (60, 44, True)])
def test_region_swing_is_more_than_fifteen_points_in_a_week(before, now, flagged):
    found = region_swing(section([row(1, staff(now))], before={1: staff(before)}), T)
    assert [w.column for w in found] == ([KpiCode.STAFF_WEEKLY_ACTIVE] if flagged else [])
    if flagged:
        assert (found[0].previous, found[0].new, found[0].org_pk) == (before / 100, now / 100, None)


def test_region_swing_counts_the_region_as_the_file_leaves_it():
    # The file brings one school of four from 40 % to 100 %: the region moves by 15 p.p. only.
    stored = [(pk, "school", staff(40)) for pk in (2, 3, 4)]
    before = {pk: staff(40) for pk in (1, 2, 3, 4)}
    assert region_swing(section([row(1, staff(100))], before=before, stored=stored), T) == []
    before[5] = staff(0, 100)  # a fifth organisation reported last week only: the region stood at 32 %
    assert [w.column for w in region_swing(section([row(1, staff(100))], before=before, stored=stored), T)] == [
        KpiCode.STAFF_WEEKLY_ACTIVE
    ]


def test_a_region_climbing_at_its_own_pace_is_no_swing():
    sec = section([row(1, staff(60))], before={1: staff(40)}, pace={KpiCode.STAFF_WEEKLY_ACTIVE: 0.18})
    assert region_swing(sec, T) == []
    stalled = section([row(1, staff(40))], before={1: staff(40)}, pace={KpiCode.STAFF_WEEKLY_ACTIVE: 0.2})
    assert region_swing(stalled, T) == []  # stopped mid-climb, but it did not move 15 p.p.


def test_region_swing_says_so_when_the_region_has_no_pace_yet():
    found = region_swing(section([row(1, staff(60))], before={1: staff(40)}), T)
    assert "прежнего темпа для сравнения ещё нет" in found[0].message
    assert "— п. п." not in found[0].message
    paced = section([row(1, staff(80))], before={1: staff(40)}, pace={KpiCode.STAFF_WEEKLY_ACTIVE: 0.05})
    assert "неделей раньше +5,0 п. п." in region_swing(paced, T)[0].message


def test_region_swing_needs_data_in_both_weeks():
    assert region_swing(section([row(1, staff(90))]), T) == []
    no_staff = counts(staff_total=0, staff_active=0)
    assert region_swing(section([row(1, staff(90))], before={1: no_staff}), T) == []


# --- outliers -----------------------------------------------------------------------------------


def history_of(pk, values, *, total=100, weeks=8):
    """An organisation's staff activity over the weeks before WEEK, oldest first."""
    series = values[-weeks:]
    return {pk: {WEEK - timedelta(weeks=len(series) - i): staff(v, total) for i, v in enumerate(series)}}


def outlier_section(value, series, *, peers=((50, 50), (50, 51), (50, 49)), total=100):
    """Organisation 1 at ``value`` after ``series``; peers: (last week, this week) staff activity."""
    rows = [row(1, staff(value, total))]
    stored = [(10 + i, "school", staff(now)) for i, (_last, now) in enumerate(peers)]
    before = {1: staff(series[-1], total)} | {10 + i: staff(last) for i, (last, _now) in enumerate(peers)}
    return section(rows, before=before, stored=stored), history_of(1, series, total=total)


def test_mad_zero_flags_any_change_beyond_ten_points():
    # Identical numbers week after week: DHIS2's z-score is 0/0 and never flags.
    sec, window = outlier_section(61, [50] * 8)
    found = outliers(sec, window, T)
    assert codes(found) == [WarningCode.OUTLIER]
    assert (found[0].column, found[0].previous, found[0].new) == (KpiCode.STAFF_WEEKLY_ACTIVE, 0.5, 0.61)
    assert "медиана за 8 нед." in found[0].message
    sec, window = outlier_section(60, [50] * 8)
    assert outliers(sec, window, T) == []  # exactly 10 p.p.: not beyond


def test_a_value_within_its_own_spread_is_no_outlier():
    # median 50, MAD 6: 0.6745 · 20 / 6 = 2.2 ≤ 3.5
    sec, window = outlier_section(70, [44, 56, 44, 56, 44, 56, 44, 56])
    assert outliers(sec, window, T) == []
    # MAD 2: 0.6745 · 20 / 2 = 6.7 > 3.5
    sec, window = outlier_section(70, [48, 52, 48, 52, 48, 52, 48, 52])
    assert codes(outliers(sec, window, T)) == [WarningCode.OUTLIER]


def test_the_peers_move_is_not_an_outlier():
    # The whole region fell 25 p.p. (a holiday week): so did this school.
    peers = ((70, 45), (72, 47), (68, 44))
    sec, window = outlier_section(45, [70] * 8, peers=peers)
    assert outliers(sec, window, T) == []
    # Alone it is one.
    sec, window = outlier_section(45, [70] * 8)
    assert codes(outliers(sec, window, T)) == [WarningCode.OUTLIER]


def test_too_little_history_is_not_judged():
    sec, window = outlier_section(95, [50, 50, 50])  # three weeks: under the minimum of four
    assert outlier_candidates(sec, T)  # it moved unlike its peers …
    assert outliers(sec, window, T) == []  # … but there is no history to call it an outlier
    sec, window = outlier_section(95, [50, 50, 50, 50])
    assert codes(outliers(sec, window, T)) == [WarningCode.OUTLIER]


def test_small_teams_and_lonely_kinds_are_not_judged():
    sec, window = outlier_section(19, [10] * 8, total=19)  # 19 people: one of them is 5 p.p.
    assert outliers(sec, window, T) == []
    sec, window = outlier_section(95, [50] * 8, peers=((50, 50),))  # two schools only
    assert outliers(sec, window, T) == []


def test_a_new_level_held_for_a_second_week_is_not_flagged_again():
    sec, window = outlier_section(90, [50] * 7 + [90])
    assert outliers(sec, window, T) == []


# --- the whole file -----------------------------------------------------------------------------


def test_quality_check_runs_every_check_on_every_region_week():
    rows = [row(1, counts(staff_total=1000)), row(2, counts(staff_active=0), region=8)]
    history = QualityHistory(previous={(REGION, WEEK): {1: counts()}, (8, WEEK): {2: counts()}})
    assert [(s.region_id, len(s.rows)) for s in file_sections(rows, history)] == [(REGION, 1), (8, 1)]
    found = quality_check(rows, history, T)
    assert [(w.region_id, w.code) for w in found] == [
        (REGION, WarningCode.REGION_SWING),  # 80 % of 100 staff become 80 of 1000
        (REGION, WarningCode.BASE_JUMP),
        (8, WarningCode.REGION_SWING),
        (8, WarningCode.DROP_TO_ZERO),
    ]


# --- properties ---------------------------------------------------------------------------------


@st.composite
def weeks_of_a_region(draw):
    """Last week's counts of 3–40 organisations (plausible, distinct, no zeros) and this week's
    fresh ones: every total and active count within ±10 % of last week's, moving together (a KPI
    moves by a few points at most), each row different from last week's somewhere."""
    size = draw(st.integers(min_value=3, max_value=40))
    previous, fresh = {}, []
    for pk in range(1, size + 1):
        old, new = [], []
        for _pair in range(5):
            total = draw(st.integers(min_value=60, max_value=5000)) + 7 * pk
            active = max(5, round(total * draw(st.floats(min_value=0.1, max_value=0.9))))
            level = draw(st.floats(min_value=0.92, max_value=1.08))
            new_total = round(total * (level + draw(st.floats(min_value=-0.02, max_value=0.02))))
            new_active = min(new_total, round(active * (level + draw(st.floats(min_value=-0.02, max_value=0.02)))))
            old += [total, active]
            new += [new_total, new_active]
        if new == old:
            new[0] += 1
        previous[pk] = tuple(old)
        fresh.append(row(pk, tuple(new)))
    return previous, fresh


def history_with(previous):
    return QualityHistory(
        previous={(REGION, WEEK): previous},
        window={pk: {BEFORE - timedelta(weeks=n): values for n in range(8)} for pk, values in previous.items()},
    )


@settings(max_examples=60, deadline=None)
@given(weeks_of_a_region())
def test_last_weeks_file_sent_again_is_always_flagged(region_weeks):
    previous, _fresh = region_weeks
    resent = [row(pk, values) for pk, values in previous.items()]
    assert WarningCode.SAME_AS_PREVIOUS in codes(quality_check(resent, history_with(previous), T))


@settings(max_examples=60, deadline=None)
@given(weeks_of_a_region())
def test_fresh_plausible_counts_raise_no_warning_at_all(region_weeks):
    previous, fresh = region_weeks
    assert quality_check(fresh, history_with(previous), T) == []
