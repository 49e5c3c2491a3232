"""demo.activity: the demo's weeks (the numbers themselves are checked through seed_demo)."""

from datetime import date, timedelta

from demo.activity import demo_weeks


def test_demo_weeks_run_from_august_2025_to_the_last_complete_week():
    assert demo_weeks(until=date(2025, 12, 1)) == [date(2025, 8, 4) + timedelta(weeks=n) for n in range(17)]
    assert demo_weeks(until=date(2025, 11, 30))[-1] == date(2025, 11, 17)  # that Sunday's week is not over
    assert demo_weeks(until=date(2025, 8, 10)) == []
