"""Database helpers that differ between PostgreSQL and the embedded SQLite."""

import datetime
import decimal
import io

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


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_rows(table: str, columns: tuple[str, ...], rows, *, plain: bool = False) -> None:
    """Write rows (tuples in ``columns`` order) into ``table`` with PostgreSQL COPY.

    ``plain`` rows hold only integers and dates (no None, no text): they skip the per-value
    escaping, which is most of the cost for a national file. The caller's transaction applies.
    """
    buffer = io.StringIO()
    if plain:
        buffer.writelines("\t".join(map(str, row)) + "\n" for row in rows)
    else:
        buffer.writelines("\t".join(map(_copy_text, row)) + "\n" for row in rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
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
