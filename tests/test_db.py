"""The helpers of sferum_migration/db.py: the COPY writer (every value reaches PostgreSQL as it was),
the session advisory locks a sweeper reads, and work run beside the caller."""

import gc
import os
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from sferum_migration.db import (
    advisory_locks_held,
    advisory_session_lock,
    copy_rows,
    run_beside,
    separate_connection,
)

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


# run_beside: a function worked out in a process of its own while the caller goes on (issue #19).
# Once a browser test has started it, pytest-django's session-wide live server runs on a thread of
# this process, which sends run_beside to a thread: the tests of the process say this process is
# alone, as a worker's is (the idle server thread holds no lock the child could need).
FORK_WITH_THE_LIVE_SERVER = "ignore:This process .* is multi-threaded:DeprecationWarning"


@pytest.fixture
def alone(monkeypatch):
    from sferum_migration import db

    monkeypatch.setattr(db, "_fork_safe", lambda: True)


def _committed_probe_read() -> tuple[int, list[str]]:
    from django.contrib.auth.models import Group

    return os.getpid(), sorted(Group.objects.filter(name__startswith="probe-").values_list("name", flat=True))


@pytest.mark.filterwarnings(FORK_WITH_THE_LIVE_SERVER)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_run_beside_works_in_a_process_of_its_own_and_leaves_the_callers_session_alone(alone):
    """The function runs in another process, on a connection of its own (it sees what is committed,
    not the caller's open transaction), and the caller's connection, which the child inherited,
    still works in its transaction afterwards: the child never closed it."""
    from django.contrib.auth.models import Group

    if connection.vendor != "postgresql":
        pytest.skip("the import runs its checks beside on PostgreSQL only (CI's second pass runs this)")
    Group.objects.create(name="probe-committed")
    with transaction.atomic():
        Group.objects.create(name="probe-uncommitted")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        result = run_beside(_committed_probe_read)
        pid, names = result()
        assert pid != os.getpid()
        assert names == ["probe-committed"]
        with connection.cursor() as cursor:  # the same session, its transaction intact
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] == backend
        assert Group.objects.filter(name="probe-uncommitted").exists()


@pytest.mark.filterwarnings(FORK_WITH_THE_LIVE_SERVER)
def test_run_beside_raises_the_functions_error_in_the_caller(alone):
    def broken():
        raise ValueError("Строка 7: значение «-1» меньше нуля")

    with pytest.raises(ValueError, match="Строка 7"):
        run_beside(broken)()


@pytest.mark.filterwarnings(FORK_WITH_THE_LIVE_SERVER)
def test_run_beside_gives_an_error_it_cannot_send_as_its_text(alone):
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("no")

    def broken():
        raise Unpicklable("лок потерян")

    with pytest.raises(RuntimeError, match="Unpicklable: лок потерян"):
        run_beside(broken)()


@pytest.mark.filterwarnings(FORK_WITH_THE_LIVE_SERVER)
def test_run_beside_says_so_when_its_process_dies_without_a_result(alone):
    def killed():
        os._exit(9)  # as the kernel's OOM killer would end it

    with pytest.raises(RuntimeError, match="ended without a result"):
        run_beside(killed)()


@pytest.mark.filterwarnings(FORK_WITH_THE_LIVE_SERVER)
def test_a_result_never_asked_for_leaves_no_process_behind(alone, tmp_path):
    """A caller that fails before asking (its write broke) drops the result: the process is ended
    and reaped at once rather than left running, or as a zombie, in a long-lived worker."""
    started = tmp_path / "pid"

    def slow():
        started.write_text(str(os.getpid()))
        time.sleep(60)

    result = run_beside(slow)
    deadline = time.monotonic() + 10
    while not started.exists() or not started.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pid = int(started.read_text())
    del result
    gc.collect()
    with pytest.raises(ChildProcessError):  # reaped already, nothing left to wait for
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_run_beside_uses_a_thread_while_other_threads_run():
    """A threaded server's process: forking it could hand the child a lock another thread holds."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        where = run_beside(lambda: (os.getpid(), threading.current_thread() is threading.main_thread()))()
    finally:
        stop.set()
        other.join()
    assert where == (os.getpid(), False)
