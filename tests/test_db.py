"""The helpers of sferum_migration/db.py: the COPY writer (every value reaches PostgreSQL as it was)
and the session advisory locks a sweeper reads."""

import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from sferum_migration.db import advisory_locks_held, advisory_session_lock, copy_rows, separate_connection

pytestmark = pytest.mark.django_db


def test_copy_rows_writes_every_value_type_and_escapes_text():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's (CI's second pass runs this)")
    moment = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("UTC"))
    rows = [
        ("tab\there, line\nend", 1, date(2026, 11, 23), True, Decimal("0.75"), moment),
        (None, None, None, False, None, None),
        # Values of another type than the column's first one take the general way.
        (7, "not a number column?", "2026-11-16", None, 0.5, None),
        ("back\\\\slash\r", 3, date(2025, 1, 6), True, Decimal("1"), moment),
    ]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copy_probe (t text, n text, d date, b boolean, x numeric, m timestamptz)")
        copy_rows("copy_probe", ("t", "n", "d", "b", "x", "m"), rows)
        cursor.execute("SELECT t, n, d, b, x, m FROM copy_probe")
        written = cursor.fetchall()
    assert written == [
        ("tab\there, line\nend", "1", date(2026, 11, 23), True, Decimal("0.75"), moment),
        (None, None, None, False, None, None),
        ("7", "not a number column?", date(2026, 11, 16), None, Decimal("0.5"), None),
        ("back\\\\slash\r", "3", date(2025, 1, 6), True, Decimal("1"), moment),
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # no post_migrate rows left for the next
def test_session_lock_is_seen_by_others_while_its_connection_lives():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's (CI's second pass runs this)")
    holder = separate_connection()
    with holder as other:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(hashtextextended('probe:1', 0))")
            assert cursor.fetchone()[0]
        assert advisory_locks_held({1: ("probe", 1), 2: ("probe", 2)}) == {1}
        with advisory_session_lock("probe", 1) as taken:  # held elsewhere: refused at once
            assert not taken
        with advisory_session_lock("probe", 2) as taken:
            assert taken
            assert advisory_locks_held({2: ("probe", 2)}) == {2}
        assert advisory_locks_held({2: ("probe", 2)}) == set()  # released on leaving
    # The same key held in another database of the server is no lock of this one.
    maintenance = connection.Database.connect(**{**connection.get_connection_params(), "dbname": "postgres"})
    try:
        with maintenance.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtextextended('probe:3', 0))")
        assert advisory_locks_held({3: ("probe", 3)}) == set()
    finally:
        maintenance.close()
    # The holder's connection closed (as a killed worker's would be): its lock goes with it as soon
    # as its server process has ended.
    deadline = time.monotonic() + 5
    while advisory_locks_held({1: ("probe", 1)}) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert advisory_locks_held({1: ("probe", 1)}) == set()
    with advisory_session_lock("probe", 1) as taken:
        assert taken


def test_session_lock_on_sqlite_is_always_taken_and_never_seen():
    if connection.vendor == "postgresql":
        pytest.skip("the embedded database's behaviour")
    with advisory_session_lock("probe", 1) as taken:
        assert taken
        assert advisory_locks_held({1: ("probe", 1)}) == set()


def test_plain_rows_of_a_filter_that_can_match_nothing_are_none():
    """``__in=[]`` compiles to no SQL at all: plain_rows answers as Django does, on both databases."""
    from regions.models import Organisation
    from sferum_migration.db import plain_rows

    assert plain_rows(Organisation.objects.filter(id__in=[]).values_list("id", "org_id")) == []
