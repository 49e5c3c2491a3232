"""Sending against a real SMTP server started by each test (aiosmtpd on the loopback): exactly one
mail per recipient and week, nothing new on a re-run, retries after a refusal, failed records and
no lost recipient when the server is down, opt-outs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from digests.choices import DeliveryStatus, DigestKind
from digests.models import DigestDelivery
from digests.services import (
    digest_deliver,
    digest_subscription_set,
    digests_send,
    digests_send_due,
    unsubscribe_url,
)
from metrics.choices import ScheduleStatus

from .conftest import AFTER_DEADLINE, VALUES, WEEK, coordinator, ministry, seed_week
from .smtp import Mailbox, smtp_down, smtp_server

pytestmark = pytest.mark.django_db

REGION_VALUES = {
    "62": {**VALUES, "staff_weekly_active": 0.8123},
    "63": {**VALUES, "staff_weekly_active": 0.6789},
    "77": {**VALUES, "staff_weekly_active": 0.9456},
}


@pytest.fixture
def recipients(db):
    seed_week(overrides={code: {"values": values} for code, values in REGION_VALUES.items()})
    return {
        "62": coordinator("62"),
        "63": coordinator("63"),
        "77": coordinator("77"),
        "ministry": ministry(),
    }


def send(capture, **kwargs):
    with capture(execute=True):
        return digests_send(week=WEEK, now=AFTER_DEADLINE, **kwargs)


def test_every_coordinator_receives_exactly_one_mail_with_their_regions_figures(
    recipients, django_capture_on_commit_callbacks
):
    with smtp_server() as mailbox:
        result = send(django_capture_on_commit_callbacks)
    assert result["created"] == 4 and result["queued"] == 4
    assert len(mailbox.messages) == 4
    expected = {
        "62": ("Рязанская область", "81,2\u00a0%"),
        "63": ("Самарская область", "67,8\u00a0%"),
        "77": ("Москва", "94,5\u00a0%"),
    }
    for code, (name, staff) in expected.items():
        [message] = mailbox.to(recipients[code].email)
        assert message["Subject"] == f"Сферум → MAX: {name}, неделя с 27.10.2025"
        text = mailbox.text(message)
        assert f"{name} ({code}," in text
        assert f"Активность работников: {staff}" in text
        assert staff in mailbox.html(message)
        others = [other for other in expected if other != code]
        assert not any(expected[other][1] in text for other in others)
    [country] = mailbox.to(recipients["ministry"].email)
    assert country["Subject"] == "Сферум → MAX: Россия, неделя с 27.10.2025"
    assert "Регионы по статусу (89)" in mailbox.text(country)
    assert set(DigestDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}


def test_running_again_sends_nothing_new(recipients, django_capture_on_commit_callbacks):
    with smtp_server() as mailbox:
        send(django_capture_on_commit_callbacks)
        sent_at = dict(DigestDelivery.objects.values_list("id", "sent_at"))
        again = send(django_capture_on_commit_callbacks)
        also = send(django_capture_on_commit_callbacks, by_hand=True)
        with django_capture_on_commit_callbacks(execute=True):
            digests_send_due(now=AFTER_DEADLINE + timedelta(hours=1))
    assert again["created"] == again["queued"] == also["queued"] == 0
    assert again["sent_before"] == 4
    assert len(mailbox.messages) == 4
    assert dict(DigestDelivery.objects.values_list("id", "sent_at")) == sent_at
    assert DigestDelivery.objects.count() == 4


def test_each_task_of_a_sent_delivery_does_nothing(recipients, django_capture_on_commit_callbacks):
    """A task delivered twice by the broker, or queued again, finds the record sent."""
    with smtp_server() as mailbox:
        send(django_capture_on_commit_callbacks)
        for delivery in DigestDelivery.objects.all():
            assert digest_deliver(delivery_id=delivery.id) is None
    assert len(mailbox.messages) == 4
    assert set(DigestDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_server_refusing_the_first_attempt_gets_the_mail_on_a_retry(recipients, django_capture_on_commit_callbacks):
    DigestDelivery.objects.all().delete()
    with smtp_server(Mailbox(refuse=1)) as mailbox, django_capture_on_commit_callbacks(execute=True):
        digests_send(week=WEEK, now=AFTER_DEADLINE)
    assert mailbox.refusals == 1
    assert len(mailbox.messages) == 4  # the refused one came on its retry, the others at once
    assert sorted(DigestDelivery.objects.values_list("attempts", flat=True)) == [1, 1, 1, 2]
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_server_down_leaves_failed_records_with_the_error_and_no_lost_recipient(
    recipients, django_capture_on_commit_callbacks, settings
):
    settings.DIGEST_RETRY_DELAYS = (30, 120, 300)
    with smtp_down():
        send(django_capture_on_commit_callbacks)
    records = list(DigestDelivery.objects.order_by("user__username"))
    assert {r.user_id for r in records} == {user.id for user in recipients.values()}
    for record in records:
        assert record.status == DeliveryStatus.FAILED
        assert record.attempts == 4  # the first attempt and three retries
        assert "ConnectionRefusedError" in record.last_error
        assert record.sent_at is None
    # The server is back: the command's run gives the failed ones another round; each arrives once.
    with smtp_server() as mailbox:
        send(django_capture_on_commit_callbacks, by_hand=True)
        send(django_capture_on_commit_callbacks, by_hand=True)
    assert sorted(len(mailbox.to(user.email)) for user in recipients.values()) == [1, 1, 1, 1]
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_permanent_refusal_fails_at_once_without_retries(recipients, django_capture_on_commit_callbacks):
    with smtp_server(Mailbox(refuse=10, reply="550 5.1.1 Mailbox unavailable")) as mailbox:
        send(django_capture_on_commit_callbacks)
    assert mailbox.messages == []
    assert set(DigestDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.FAILED, 1)}
    assert "550" in DigestDelivery.objects.first().last_error


def test_an_opted_out_user_is_skipped_and_gets_no_mail(recipients, django_capture_on_commit_callbacks):
    digest_subscription_set(user_id=recipients["63"].id, opted_out=True)
    with smtp_server() as mailbox:
        result = send(django_capture_on_commit_callbacks)
    assert result["skipped"] == 1
    assert mailbox.to(recipients["63"].email) == []
    assert len(mailbox.messages) == 3
    skipped = DigestDelivery.objects.get(user=recipients["63"])
    assert skipped.status == DeliveryStatus.SKIPPED
    assert skipped.last_error == "пользователь отказался от сводки"
    assert skipped.attempts == 0


def test_opting_out_between_planning_and_sending_is_respected(recipients, django_capture_on_commit_callbacks):
    with smtp_server() as mailbox:
        with django_capture_on_commit_callbacks(execute=False) as queued:
            digests_send(week=WEEK, now=AFTER_DEADLINE)
        digest_subscription_set(user_id=recipients["62"].id, opted_out=True)
        for callback in queued:
            callback()
    assert mailbox.to(recipients["62"].email) == []
    assert DigestDelivery.objects.get(user=recipients["62"]).status == DeliveryStatus.SKIPPED


def test_a_user_without_an_address_is_skipped_with_the_reason(db, django_capture_on_commit_callbacks):
    seed_week()
    nobody = coordinator("62", email="")
    with smtp_server() as mailbox:
        send(django_capture_on_commit_callbacks)
    record = DigestDelivery.objects.get(user=nobody)
    assert (record.status, record.last_error) == (
        DeliveryStatus.SKIPPED,
        "у пользователя не указан адрес электронной почты",
    )
    assert mailbox.messages == []


def test_inactive_users_and_other_roles_get_no_digest(db, django_capture_on_commit_callbacks):
    from tests.factories import UserFactory

    seed_week()
    coordinator("62", is_active=False)
    UserFactory(username="sys", email="sys@example.ru", role="system")
    UserFactory(username="adm", email="adm@example.ru", role="administrator")
    with smtp_server() as mailbox:
        result = send(django_capture_on_commit_callbacks)
    assert result["created"] == result["skipped"] == 0
    assert mailbox.messages == []


def test_a_delivery_claimed_by_a_live_sender_is_left_to_it_and_a_dead_senders_claim_is_taken_over(
    recipients, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        digests_send(week=WEEK, now=AFTER_DEADLINE)
    delivery = DigestDelivery.objects.get(user=recipients["62"])
    now = timezone.now()
    DigestDelivery.objects.filter(id=delivery.id).update(claimed_at=now - timedelta(seconds=30), attempts=1)
    with smtp_server() as mailbox:
        assert digest_deliver(delivery_id=delivery.id, now=now) is None
        assert mailbox.messages == []
        # Ten minutes on, the claim is a dead sender's: the digest goes out, once.
        later = now + timedelta(seconds=600)
        assert digest_deliver(delivery_id=delivery.id, now=later) is None
        assert digest_deliver(delivery_id=delivery.id, now=later) is None
    assert len(mailbox.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == (DeliveryStatus.SENT, 2, None)


def test_a_lost_task_is_queued_again_by_the_next_run(recipients, django_capture_on_commit_callbacks):
    """The broker lost the messages: the records stay pending, and a run after the claim timeout
    queues them again."""
    with django_capture_on_commit_callbacks(execute=False):
        digests_send(week=WEEK, now=AFTER_DEADLINE)
    with smtp_server() as mailbox:
        soon = send(django_capture_on_commit_callbacks)
        assert soon["queued"] == 0 and mailbox.messages == []
        with django_capture_on_commit_callbacks(execute=True):
            later = digests_send(week=WEEK, now=AFTER_DEADLINE + timedelta(minutes=11))
    assert later["queued"] == 4
    assert len(mailbox.messages) == 4


def test_a_run_by_hand_sends_what_waits_at_once_but_leaves_a_live_senders_claim(
    recipients, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        digests_send(week=WEEK, now=AFTER_DEADLINE)
    held = DigestDelivery.objects.get(user=recipients["62"])
    DigestDelivery.objects.filter(id=held.id).update(claimed_at=AFTER_DEADLINE)
    with smtp_server() as mailbox:
        result = send(django_capture_on_commit_callbacks, by_hand=True)
    assert result["queued"] == 3
    assert len(mailbox.messages) == 3 and mailbox.to(recipients["62"].email) == []


def test_the_mail_carries_one_click_unsubscribe_headers_and_a_stable_message_id(
    recipients, django_capture_on_commit_callbacks
):
    with smtp_server() as mailbox:
        send(django_capture_on_commit_callbacks)
    user = recipients["62"]
    [message] = mailbox.to(user.email)
    link = unsubscribe_url(user_id=user.id)
    assert message["List-Unsubscribe"] == f"<{link}>"
    # As sent: one plain line, not RFC 2047 encoded-words (which Python would make of a long URL).
    raw = next(raw for raw in mailbox.raw if user.email.encode() in raw)
    assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in raw
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == f"<digest.20251027.coordinator.{user.id}@127.0.0.1>"
    assert link in mailbox.text(message)
    assert link in mailbox.html(message)
    assert message["From"].addresses[0].addr_spec == "noreply@localhost"


def test_a_region_late_on_one_kpi_says_so_in_its_coordinators_mail(db, django_capture_on_commit_callbacks):
    seed_week(
        overrides={
            "62": {
                "status": ScheduleStatus.LATE,
                "values": {**VALUES, "officials_active": 0.9571},
                "blocking": [{"kpi": "officials_active", "value": 0.9571, "target": 1.0, "gap": -0.0429}],
                "stages": [
                    {
                        "order": 4,
                        "title": "Завершение",
                        "start": "2025-11-01",
                        "deadline": "2025-11-01",
                        "status": "late",
                        "late_since": "2025-11-01",
                    },
                ],
            }
        }
    )
    user = coordinator("62")
    with smtp_server() as mailbox:
        send(django_capture_on_commit_callbacks)
    text = Mailbox.text(mailbox.to(user.email)[0])
    assert (
        "Просрочено с 01.11.2025 · мешает: активные должностные лица 95,7\u00a0% из 100\u00a0%, −4,3\u00a0п.\u00a0п."
        in text
    )


def test_kinds_of_the_records(recipients, django_capture_on_commit_callbacks):
    with smtp_server():
        send(django_capture_on_commit_callbacks)
    kinds = dict(DigestDelivery.objects.values_list("user__username", "kind"))
    assert kinds == {
        "coordinator62": DigestKind.COORDINATOR,
        "coordinator63": DigestKind.COORDINATOR,
        "coordinator77": DigestKind.COORDINATOR,
        "ministry": DigestKind.MINISTRY,
    }
    assert DigestDelivery.objects.get(user__username="ministry").region is None
    assert DigestDelivery.objects.get(user__username="coordinator62").region.code == "62"


def test_the_hourly_job_logs_an_error_when_the_weeks_digests_are_not_out_two_hours_after_the_deadline(
    recipients, django_capture_on_commit_callbacks, caplog
):
    with smtp_down(), django_capture_on_commit_callbacks(execute=True):
        digests_send_due(now=AFTER_DEADLINE)
    assert not [r for r in caplog.records if "not all out" in r.getMessage()]  # an hour early: no alarm yet
    with smtp_down(), django_capture_on_commit_callbacks(execute=True):
        digests_send_due(now=AFTER_DEADLINE + timedelta(hours=2))
    [alarm] = [r for r in caplog.records if "not all out" in r.getMessage()]
    assert alarm.levelname == "ERROR"
    assert "0 of 4 delivered, 0 pending, 4 failed, 0 never planned" in alarm.getMessage()
