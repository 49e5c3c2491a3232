"""Shared fixtures: users of every role, and a real Celery worker for the job tests."""

import os
import signal
import subprocess
import sys
import time

import pytest

from regions.choices import UserRole

from .factories import UserFactory, region


@pytest.fixture
def ministry_user(db):
    return UserFactory(username="ministry", role=UserRole.MINISTRY)


@pytest.fixture
def coordinator62(db):
    return UserFactory(username="coord62", role=UserRole.COORDINATOR, role__region=region("62"))


@pytest.fixture
def coordinator63(db):
    return UserFactory(username="coord63", role=UserRole.COORDINATOR, role__region=region("63"))


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=UserRole.ADMINISTRATOR)


@pytest.fixture
def system_user(db):
    return UserFactory(username="system", role=UserRole.SYSTEM)


@pytest.fixture(scope="session")
def live_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker process on the real broker, reading the test database.

    Runs when CELERY_BROKER_URL is set and the database is PostgreSQL (CI's second pass);
    the worker must see what the test commits, so tests using it are transactional.
    """
    from django.conf import settings
    from django.db import connection

    from sferum_migration.celery import app

    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a broker: set CELERY_BROKER_URL (CI runs this with Redis)")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: needs DATABASE_URL on PostgreSQL")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sferum_migration.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CELERY_LIVE_WORKER": "1",
    }
    app.conf.task_always_eager = False
    with django_db_blocker.unblock():
        app.control.purge()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = LiveWorker(env=env, log=log, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    worker.start()
    yield worker
    worker.stop()
    app.conf.task_always_eager = True


class LiveWorker:
    """A `celery worker` subprocess that tests can start, kill and start again."""

    def __init__(self, *, env, log, queue):
        self.env, self.log, self.queue, self.process = env, log, queue, None

    def start(self, timeout=40):
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sferum_migration",
            "worker",
            "--pool=solo",
            "-Q",
            self.queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ]
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text()[-2000:]}")
            if b"ready." in self.log.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def kill(self):
        """SIGKILL, as the OOM killer or a lost machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
