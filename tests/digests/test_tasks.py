"""The digests' Celery side: the beat entry, retries bounded below the broker's visibility timeout,
and (CI's second pass: PostgreSQL + Redis) the job through a real worker to a real SMTP server."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from digests.choices import DeliveryStatus
from digests.models import DigestDelivery
from metrics.reporting import ReportingCycle
from sferum_migration.celery import app as celery_app

from .conftest import coordinator, ministry, seed_week
from .smtp import Mailbox, free_port, smtp_server


def test_the_beat_schedule_runs_the_digest_job_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["send-weekly-digests"]
    assert entry["task"] == "digests.tasks.digests_send_due_task"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].minute == {5} and len(entry["schedule"].hour) == 24


def test_retries_stay_well_below_the_brokers_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    timeout = settings.SMTP_TIMEOUT_SECONDS
    delays = settings.DIGEST_RETRY_DELAYS
    assert len(delays) == 3
    # Each retry waits unacknowledged in a worker for its delay: it must never reach the timeout,
    # or Redis would hand the same message to a second worker.
    assert max(delays) + timeout < visibility / 4
    # The whole life of one delivery: four attempts and three waits.
    assert sum(delays) + 4 * timeout < visibility / 2
    assert 4 * timeout < settings.DIGEST_CLAIM_TIMEOUT_SECONDS


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    records = DigestDelivery.objects.values("user__username", "status", "attempts", "last_error")
    raise AssertionError(f"not done in {timeout}s: {list(records)}")


@pytest.fixture
def digest_worker(live_worker):
    """The suite's real worker, restarted with its mail pointed at a test SMTP server (and short
    retry delays); restarted as it was afterwards."""
    port = free_port()
    saved = dict(live_worker.env)
    live_worker.env.update(EMAIL_URL=f"smtp://127.0.0.1:{port}", EMAIL_TIMEOUT="5", DIGEST_RETRY_DELAYS="1,1,1")
    live_worker.stop()
    live_worker.start()
    yield port
    live_worker.env.clear()
    live_worker.env.update(saved)
    live_worker.stop()
    live_worker.start()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_beat_job_on_a_real_worker_sends_each_recipient_one_mail_and_retries_a_refusal(digest_worker):
    # The week the beat job picks by itself: the latest closed one at this moment.
    week = ReportingCycle.from_settings().latest_closed_week(now=timezone.now())
    seed_week(week)
    users = [coordinator("62"), coordinator("63"), ministry()]
    with smtp_server(Mailbox(refuse=1), port=digest_worker) as mailbox:
        # What beat does: publish the scheduled task by its name.
        celery_app.send_task(settings.CELERY_BEAT_SCHEDULE["send-weekly-digests"]["task"])
        wait_for(
            lambda: (
                DigestDelivery.objects.filter(status=DeliveryStatus.SENT).count() == len(users)
                and len(mailbox.messages) == len(users)
            )
        )
        # Beat fires again an hour later: nothing new.
        celery_app.send_task("digests.tasks.digests_send_due_task")
        time.sleep(3)
    assert mailbox.refusals == 1
    assert sorted(len(mailbox.to(user.email)) for user in users) == [1, 1, 1]
    assert sorted(DigestDelivery.objects.values_list("attempts", flat=True)) == [1, 1, 2]
    assert DigestDelivery.objects.filter(week=week).count() == len(users)
    assert all(d.sent_at <= timezone.now() + timedelta(seconds=1) for d in DigestDelivery.objects.all())
