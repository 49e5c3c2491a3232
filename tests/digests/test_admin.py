"""The admin's delivery log (filters, search, sending failed ones again) and the alarm on its index."""

from datetime import timedelta

import pytest
from django.utils import timezone

from digests.choices import DeliveryStatus, DigestKind
from digests.models import DigestDelivery

from .conftest import WEEK, coordinator, ministry, seed_week

pytestmark = pytest.mark.django_db


def test_the_delivery_log_filters_and_searches(admin_user, client, django_assert_max_num_queries):
    first = coordinator("62")
    DigestDelivery.objects.create(
        user=first,
        week=WEEK,
        kind=DigestKind.COORDINATOR,
        region=first.scope.region,
        status=DeliveryStatus.FAILED,
        attempts=4,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    DigestDelivery.objects.create(
        user=ministry(), week=WEEK, kind=DigestKind.MINISTRY, status=DeliveryStatus.SENT, sent_at=timezone.now()
    )
    client.force_login(admin_user)
    page = client.get("/admin/digests/digestdelivery/?status=failed&kind=coordinator&week=2025-10-27")
    html = page.content.decode()
    assert page.status_code == 200
    assert "coordinator62" in html and "ConnectionRefusedError" in html and "ministry@" not in html
    assert "coordinator62" not in client.get("/admin/digests/digestdelivery/?q=ministry").content.decode()


def test_the_admin_can_send_failed_deliveries_again(admin_user, client, django_capture_on_commit_callbacks):
    seed_week()
    first = coordinator("62")
    delivery = DigestDelivery.objects.create(
        user=first,
        week=WEEK,
        kind=DigestKind.COORDINATOR,
        region=first.scope.region,
        status=DeliveryStatus.FAILED,
        subject="s",
        body_text="t",
        body_html="<p>h</p>",
        attempts=4,
    )
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/digests/digestdelivery/", {"action": "retry_failed", "_selected_action": [delivery.id]})
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 5)  # the test mailer (locmem)


def test_the_admin_index_warns_when_the_weeks_digests_are_not_out_two_hours_after_the_deadline(
    admin_user, client, monkeypatch
):
    seed_week()
    coordinator("62")
    client.force_login(admin_user)
    deadline = timezone.datetime(2025, 11, 4, 9, 0, tzinfo=timezone.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: deadline + timedelta(hours=3))
    html = client.get("/admin/").content.decode()
    assert 'id="digest-alarm"' in html
    assert "неделю с 27.10.2025" in html
    assert "доставлено или пропущено 0 из 1" in html
    monkeypatch.setattr("django.utils.timezone.now", lambda: deadline + timedelta(hours=1))
    assert 'id="digest-alarm"' not in client.get("/admin/").content.decode()
