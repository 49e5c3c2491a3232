"""A file of nonsense on a real Celery worker, PostgreSQL and Redis (issue #18 item 3): the worker
keeps the first UPLOAD_ERRORS_KEPT errors, counts them all, and its peak resident size stays bounded
(it was 2.8 GB, keeping 1.7 GB, for 100,000 rows of «n/a»). Runs in CI's PostgreSQL + Redis pass."""

import re

import pytest

from metrics.choices import UploadStatus
from metrics.services import upload_create
from tests.factories import WEEK, region
from tests.metrics.test_services_uploads import nonsense_file
from tests.metrics.test_tasks import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def resident_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(rf"{field}:\s+(\d+)", status.read()).group(1))


def test_a_million_errors_on_the_worker_in_bounded_memory(live_worker, coordinator62):
    pid = live_worker.process.pid  # --pool=solo: the worker process runs the task itself
    with open(f"/proc/{pid}/clear_refs", "w") as clear:
        clear.write("5")  # its peak resident size starts again from now
    before = resident_kb(pid, "VmRSS")
    upload = upload_create(user=coordinator62, file=nonsense_file(100_000), region=region("62"), week=WEEK)
    done = wait_for(upload.id, {UploadStatus.SUCCEEDED, UploadStatus.FAILED}, timeout=180)
    growth, kept = resident_kb(pid, "VmHWM") - before, resident_kb(pid, "VmRSS") - before
    print(f"\nworker: peak resident size +{growth / 1024:.0f} MB, kept +{kept / 1024:.0f} MB")
    assert done.status == UploadStatus.FAILED
    assert (done.errors_total, done.rows_rejected, len(done.errors)) == (1_000_000, 100_000, 10_000)
    assert sum(entry["count"] for entry in done.errors_summary) == 1_000_000
    assert growth < 200 * 1024
