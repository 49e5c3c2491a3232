"""Database helpers that differ between PostgreSQL and the embedded SQLite."""

import datetime
import decimal
import gc
import io
import multiprocessing
import os
import pickle
import signal
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress

from asgiref.local import Local
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import translation

# The database went away under a connection (restart, failover, a terminated backend, a network
# cut): worth trying again on a new connection, unlike an error in what was asked of it.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def separate_connection(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own to the same database, outside the current transaction: in
    autocommit, what it writes is committed at once and seen by every other connection while the
    current transaction is still open. Closed on leaving."""
    other = connections.create_connection(alias)
    try:
        yield other
    finally:
        other.close()


def in_outermost_transaction() -> bool:
    """Inside ``transaction.atomic()`` that is no savepoint of a caller's transaction (a test's)."""
    return len(connection.atomic_blocks) == 1


BESIDE_LOCK_TIMEOUT = "10s"


def run_beside[T](function: Callable[[], T]) -> Callable[[], T]:
    """Start ``function`` beside the caller and return a function that waits for its result (or
    raises its error). For work in Python that can go on while the caller waits on the database,
    so that both cores are busy. It has a connection of its own (closed when it ends), so it reads
    what is committed, outside the caller's transaction, and runs in the caller's language.

    In a forked process when this process runs one thread (a Celery worker's, the benchmark's): two
    interpreters share no lock, so the function's Python and the caller's run at once. With other
    threads about (a threaded development server), on a thread instead: a child forked then could
    inherit a lock some other thread held, never to be released. ``function``'s result and error
    must pickle for the process."""
    return _run_in_process(function) if _fork_safe() else _run_on_thread(function)


def _fork_safe() -> bool:
    """This process runs one thread and can fork."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _beside_run[T](function: Callable[[], T], language: str) -> T:
    """``function`` on a connection of its own, which gives up a lock after BESIDE_LOCK_TIMEOUT:
    the caller waits for the result while holding its transaction's locks, and a lock this
    connection queued for behind a third session that waits for the caller would deadlock the two
    where PostgreSQL cannot see it (the caller's retry of lost connections handles the error)."""
    try:
        if is_postgresql():
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{BESIDE_LOCK_TIMEOUT}'")
        with translation.override(language):
            return function()
    finally:
        connections.close_all()  # this thread's or process's own


def _run_on_thread[T](function: Callable[[], T]) -> Callable[[], T]:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beside")
    future = executor.submit(_beside_run, function, translation.get_language())
    executor.shutdown(wait=False)
    return future.result


# The parent's connections as the forked child inherited them: kept referenced, never closed or
# collected (closing one would end the parent's session on the socket both hold).
_INHERITED_CONNECTIONS = []


def _run_in_process[T](function: Callable[[], T]) -> Callable[[], T]:
    language = translation.get_language()
    reader, writer = multiprocessing.Pipe(duplex=False)
    gc.freeze()  # the parent's collector leaves the objects both processes share unwritten
    pid = os.fork()
    if pid == 0:  # the child: run, send the outcome, leave without any of the parent's clean-up
        status = 1
        try:
            reader.close()
            for stop in (signal.SIGTERM, signal.SIGINT):  # not the worker's warm shutdown: just end
                signal.signal(stop, signal.SIG_DFL)
            gc.disable()  # it lives a second or two
            _INHERITED_CONNECTIONS.append(connections._connections)
            connections._connections = Local(connections.thread_critical)
            try:
                outcome = (True, _beside_run(function, language))
            except BaseException as error:  # handed to the parent, which raises it
                outcome = (False, _picklable(error))
            writer.send(outcome)
            status = 0
        finally:
            os._exit(status)
    writer.close()

    def reap(kill: bool) -> None:
        if reader.closed:  # reaped already
            return
        reader.close()
        if kill:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with suppress(ChildProcessError):  # reaped by someone else's SIGCHLD handler
            os.waitpid(pid, 0)
        gc.unfreeze()

    def result() -> T:
        try:
            ok, value = reader.recv()
        except EOFError:
            raise RuntimeError("the process beside ended without a result") from None
        finally:
            reap(kill=False)
        if not ok:
            raise value
        return value

    # A caller that fails before asking for the result does not leave the child running on, or a
    # zombie behind it, in a long-lived worker.
    weakref.finalize(result, reap, True)
    return result


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - its own bytes, just made
    except Exception:  # anything that would not arrive whole is sent as its text
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def plain_rows(rows) -> list[tuple]:
    """A values_list queryset's rows fetched at once, without Django's per-row iteration, on
    PostgreSQL, whose integers, text and dates need no converting (90,000 rows of a national week
    at a time); through Django elsewhere (SQLite returns dates as text)."""
    if not is_postgresql():
        return list(rows)
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (``__in=[]``): Django returns no row too
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def work_mem_for_transaction(megabytes: int) -> None:
    """Let the current transaction's sorts and hashes use this much memory each before spilling to
    disk (PostgreSQL's default is 4 MB: a national week's grouping by municipality spilled, and
    took half as long again). PostgreSQL only."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{int(megabytes)}MB'")


def deferred_constraints_check() -> None:
    """Run the checks of deferred constraints (foreign keys) pending in the transaction now, not
    at COMMIT; later statements' stay deferred. PostgreSQL only (SQLite checks at once)."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def advisory_xact_lock(*parts, shared: bool = False) -> None:
    """Serialise transactions on a key until the current transaction ends; ``shared`` holders
    run side by side and only exclude the exclusive one.

    PostgreSQL: ``pg_advisory_xact_lock`` / ``pg_advisory_xact_lock_shared``. SQLite needs
    nothing: it runs one writer at a time (transactions start IMMEDIATE, see settings).
    """
    if not is_postgresql():
        return
    key = _advisory_key(parts)
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(hashtextextended(%s, 0))", [key])


def _advisory_key(parts) -> str:
    return ":".join(str(part) for part in parts)


@contextmanager
def advisory_session_lock(*parts) -> Iterator[bool]:
    """Try to take a session-level advisory lock on the current connection for the block; yields
    whether it was taken (another session holds it: False, at once, without waiting).

    Held by the connection, not by a transaction: it lasts across the block's transactions and
    disappears the moment that connection dies, so another session sees at once (see
    ``advisory_locks_held``) whether its holder is alive. SQLite: always taken (one process).
    """
    if not is_postgresql():
        yield True
        return
    key = _advisory_key(parts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            _advisory_unlock(key)


def _advisory_unlock(key: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
    except DatabaseError:
        pass  # the connection is gone, and its locks with it


def advisory_locks_held(keys: dict) -> set:
    """Which of ``keys`` ({anything: parts tuple}) some session holds as an advisory lock on this
    database now (``pg_locks`` lists the whole server's), read without taking any: a try-and-release
    would refuse a holder starting at that moment. SQLite: none."""
    if not is_postgresql() or not keys:
        return set()
    names = {_advisory_key(parts): key for key, parts in keys.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT k.name FROM unnest(%s::text[]) AS k(name)
               WHERE EXISTS (
                   SELECT 1 FROM pg_locks l
                   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                     AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(k.name, 0)
               )""",
            [list(names)],
        )
        return {names[name] for (name,) in cursor.fetchall()}


COPY_READ_SIZE = 4 * 1024 * 1024


def _copy_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_text(value) -> str:
    """Any value as COPY text (the slow, general way)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return _copy_escaped(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _copy_escaped(str(value))


def _copy_converter(sample):
    """How one column's values of the sample's exact type become COPY text."""
    if isinstance(sample, bool):
        return lambda value: "t" if value else "f"
    if isinstance(sample, str):
        return _copy_escaped
    if hasattr(sample, "isoformat"):
        return lambda value: value.isoformat()
    if isinstance(sample, int | float | decimal.Decimal):
        return str
    return _copy_text


def _copy_lines(rows: list[tuple]):
    # One converter per column, from its first non-null value, not a chain of type checks per
    # value (a week's KPI rows are 12,500 × 15 values); a value of another type takes the
    # general way.
    columns = []
    for index in range(len(rows[0])):
        sample = next((row[index] for row in rows if row[index] is not None), None)
        columns.append((type(sample), _copy_converter(sample)))
    for row in rows:
        yield (
            "\t".join(
                convert(value) if type(value) is kind else _copy_text(value)
                for (kind, convert), value in zip(columns, row, strict=True)
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
    # Read in large pieces: each read takes the GIL back, which a thread working beside the COPY
    # (run_beside) holds for up to the switch interval each time.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.copy_expert(f"COPY {table} ({_quoted(columns)}) FROM STDIN", buffer, COPY_READ_SIZE)


def _quoted(columns: Iterable[str]) -> str:
    """Column names quoted (a model may name a field "column")."""
    return ", ".join(connection.ops.quote_name(column) for column in columns)


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
            f"INSERT INTO {model._meta.db_table} ({_quoted(columns)}) VALUES ({placeholders})",  # noqa: S608
            _plain_rows(rows),
        )
