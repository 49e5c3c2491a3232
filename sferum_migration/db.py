"""Database helpers that differ between PostgreSQL and the embedded SQLite."""

import datetime
import decimal
import io
from collections.abc import Iterable

from django.db import connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def advisory_xact_lock(*parts) -> None:
    """Serialise transactions on a key until the current transaction ends.

    PostgreSQL: ``pg_advisory_xact_lock``. SQLite needs nothing: it runs one writer at a time
    (transactions start IMMEDIATE, see settings).
    """
    if not is_postgresql():
        return
    key = ":".join(str(part) for part in parts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def _copy_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_converter(sample):
    """How one column's values become COPY text, decided from a sample value of the column."""
    if isinstance(sample, bool):
        return lambda value: "t" if value else "f"
    if isinstance(sample, str):
        return _copy_escaped
    if hasattr(sample, "isoformat"):
        return lambda value: value.isoformat()
    return str


def _copy_lines(rows: list[tuple]):
    # One converter per column (from its first non-null value), not a type check per value: a
    # week's KPI rows are 12,500 × 15 values.
    converters = []
    for index in range(len(rows[0])):
        sample = next((row[index] for row in rows if row[index] is not None), None)
        converters.append(_copy_converter(sample))
    for row in rows:
        yield (
            "\t".join(
                "\\N" if value is None else convert(value) for convert, value in zip(converters, row, strict=True)
            )
            + "\n"
        )


def copy_rows(table: str, columns: tuple[str, ...], rows) -> None:
    """Write rows (tuples in ``columns`` order) into ``table`` with PostgreSQL COPY.
    The caller's transaction applies."""
    rows = list(rows)
    if rows:
        copy_lines(table, columns, _copy_lines(rows))


def copy_lines(table: str, columns: tuple[str, ...], lines: Iterable[str]) -> None:
    """COPY lines already in PostgreSQL's text format (tab-separated, ``\\N`` for null, each
    ending in a newline) into ``table``: for callers that format a hot path themselves."""
    buffer = io.StringIO()
    buffer.writelines(lines)
    buffer.seek(0)
    # copy_expert bypasses Django's cursor wrapper: errors are raised as Django's own here too.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _plain_converter(value):
    """How a value's type goes to the embedded database driver (what Django's field adapters give),
    or None when it goes as it is."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value
    if isinstance(value, datetime.date):
        return datetime.date.isoformat
    if isinstance(value, decimal.Decimal):
        return str
    return None


def _plain_rows(rows: list[tuple]) -> list[tuple]:
    # Decided per column from its first non-null value: one type check per column, not per value.
    converters = []
    for index in range(len(rows[0])):
        sample = next((row[index] for row in rows if row[index] is not None), None)
        converters.append(_plain_converter(sample))
    if not any(converters):
        return rows
    pairs = list(enumerate(converters))
    return [
        tuple(
            value if convert is None or value is None else convert(value)
            for (_, convert), value in zip(pairs, row, strict=True)
        )
        for row in rows
    ]


def bulk_insert(model, rows: list[tuple], fields: tuple[str, ...]) -> None:
    """Insert rows (tuples in ``fields`` order) in bulk: COPY on PostgreSQL, one executemany
    elsewhere (several times faster than bulk_create, which builds a model instance per row)."""
    if not rows:
        return
    columns = tuple(model._meta.get_field(name).column for name in fields)
    if is_postgresql():
        copy_rows(model._meta.db_table, columns, rows)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
            _plain_rows(rows),
        )
