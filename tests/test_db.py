"""The COPY writer of sferum_migration/db.py: every value reaches PostgreSQL as it was."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from sferum_migration.db import copy_rows

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
