"""Database helpers that differ between PostgreSQL and the embedded SQLite."""

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
