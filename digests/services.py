"""Weekly digests: plan a week's deliveries, send each one at most once, retry SMTP failures with
backoff, record every outcome, opt out.

At most once: a delivery record is unique per (user, week, kind). A sender first *claims* it with a
conditional UPDATE (pending and not claimed by a live sender) and marks it `sent` right after the
SMTP server accepted the message, so a re-run, a retried task or a second worker finds it taken or
sent and does nothing. The one window left: a sender that dies after the server accepted the
message and before the mark is committed. Its claim expires (DIGEST_CLAIM_TIMEOUT_SECONDS) and the
next run sends the digest again: the recipient may get it twice, never zero times. The copy carries
the same Message-ID, so most mail systems show it once.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from metrics.kpi import monday_of

from .choices import DeliveryStatus, DigestKind
from .content import coordinator_digest, ministry_digest
from .mail import DigestMessage
from .models import DigestDelivery, DigestSubscription
from .rendering import digest_render
from .selectors import digest_alarm, digest_data, digest_deliveries, digest_recipients, digest_week_due, site_url
from .tasks import digest_deliver_task

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "digests.unsubscribe"
# Longest error text kept on a record.
ERROR_MAX = 1000


def unsubscribe_token(*, user_id: int) -> str:
    """A signed token naming the user, for the one-click unsubscribe link (no expiry: old mails work)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"u": user_id})


def unsubscribe_url(*, user_id: int) -> str:
    return site_url(reverse("digests:unsubscribe", kwargs={"token": unsubscribe_token(user_id=user_id)}))


def unsubscribe_user_id(*, token: str) -> int | None:
    """The user a token names; None when it was not signed by us."""
    try:
        return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def digest_subscription_set(*, user_id: int, opted_out: bool) -> DigestSubscription:
    """Opt a user out of the weekly digest, or back in."""
    subscription, _created = DigestSubscription.objects.update_or_create(
        user_id=user_id, defaults={"opted_out": opted_out}
    )
    return subscription


def digest_unsubscribe(*, token: str) -> int | None:
    """The one-click unsubscribe: opts the token's user out; None for a forged or broken token."""
    user_id = unsubscribe_user_id(token=token)
    if user_id is None or not get_user_model().objects.filter(id=user_id).exists():
        return None
    digest_subscription_set(user_id=user_id, opted_out=True)
    return user_id


# ---- planning a week -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDigest:
    """What a run does for one recipient: send (with the content), skip (with the reason), or
    nothing because a record exists (its status)."""

    user_id: int
    username: str
    email: str
    kind: str
    region_id: int | None
    region_label: str
    action: str  # "send", "skip" or "exists"
    reason: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str = ""


def digests_plan(*, week: date, now: datetime | None = None) -> list[PlannedDigest]:
    """What a run for ``week`` would do for each recipient. Writes nothing (the dry run prints it).
    Reads the week once for everyone (``digest_data``), then builds and renders each digest."""
    now = now or timezone.now()
    week = monday_of(week)
    recipients = digest_recipients()
    existing = digest_deliveries(week=week)
    data = None
    profile_url = site_url(reverse("digests:profile"))
    plan = []
    with translation.override("ru"):
        for recipient in recipients:
            common = {
                key: recipient[key] for key in ("user_id", "username", "email", "kind", "region_id", "region_label")
            }
            record = existing.get((recipient["user_id"], recipient["kind"]))
            if record is not None:
                plan.append(PlannedDigest(**common, action="exists", reason=record["status"]))
                continue
            reason = _skip_reason(email=recipient["email"], opted_out=recipient["opted_out"])
            if reason:
                plan.append(PlannedDigest(**common, action="skip", reason=reason))
                continue
            data = data or digest_data(week=week, now=now)
            if recipient["kind"] == DigestKind.COORDINATOR:
                digest = coordinator_digest(data, recipient["region_id"])
            else:
                digest = ministry_digest(data)
            text, html = digest_render(
                digest, unsubscribe_url=unsubscribe_url(user_id=recipient["user_id"]), profile_url=profile_url
            )
            plan.append(PlannedDigest(**common, action="send", subject=digest.subject, body_text=text, body_html=html))
    return plan


def _skip_reason(*, email: str, opted_out: bool, active: bool = True) -> str:
    if not active:
        return str(translation.gettext("пользователь отключён"))
    if not email:
        return str(translation.gettext("у пользователя не указан адрес электронной почты"))
    if opted_out:
        return str(translation.gettext("пользователь отказался от сводки"))
    return ""


# ---- the run ---------------------------------------------------------------------------------


def digests_send(*, week: date, now: datetime | None = None, by_hand: bool = False) -> dict:
    """Send a week's digests: a record for every recipient who has none yet (skipped with the reason
    when they have no address or opted out), then one task per record due. Sent records are never
    touched. ``by_hand`` (the command, after an outage): failed records get another round, and
    pending ones go now rather than when due (a retry's wait, a lost task's). Safe to run again and
    concurrently. Returns counts: created, skipped, queued, sent_before, failed_before."""
    now = now or timezone.now()
    week = monday_of(week)
    plan = digests_plan(week=week, now=now)
    records = [
        DigestDelivery(
            user_id=item.user_id,
            week=week,
            kind=item.kind,
            region_id=item.region_id,
            email=item.email,
            status=DeliveryStatus.PENDING if item.action == "send" else DeliveryStatus.SKIPPED,
            last_error=item.reason,
            subject=item.subject,
            body_text=item.body_text,
            body_html=item.body_html,
            next_attempt_at=now,
        )
        for item in plan
        if item.action != "exists"
    ]
    with transaction.atomic():
        DigestDelivery.objects.bulk_create(records, ignore_conflicts=True)
        if by_hand:
            DigestDelivery.objects.filter(week=week, status=DeliveryStatus.FAILED).update(
                status=DeliveryStatus.PENDING, claimed_at=None, updated_at=now
            )
        queued = _deliveries_queue(week=week, now=now, due_only=not by_hand)
    before = [item.reason for item in plan if item.action == "exists"]
    return {
        "week": week,
        "created": sum(1 for r in records if r.status == DeliveryStatus.PENDING),
        "skipped": sum(1 for r in records if r.status == DeliveryStatus.SKIPPED),
        "queued": len(queued),
        "sent_before": before.count(DeliveryStatus.SENT),
        "failed_before": before.count(DeliveryStatus.FAILED),
    }


def _deliveries_queue(*, week: date, now: datetime, due_only: bool = True) -> list[int]:
    """Queue a task for each pending record that is due (any, unless ``due_only``) and not held by
    a live sender, on commit. Its next_attempt_at moves on by the claim timeout: if no sender has
    taken it by then (the message was lost with the broker), the next run queues it again. A record
    queued twice is sent once: the second task finds it claimed or sent."""
    stale = now - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT_SECONDS)
    pending = DigestDelivery.objects.filter(week=week, status=DeliveryStatus.PENDING)
    if due_only:
        pending = pending.filter(next_attempt_at__lte=now)
    due = list(
        pending.select_for_update(skip_locked=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("id")
        .values_list("id", flat=True)
    )
    DigestDelivery.objects.filter(id__in=due).update(
        next_attempt_at=now + timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT_SECONDS), updated_at=now
    )
    transaction.on_commit(lambda: _enqueue(due))
    return due


def _enqueue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        try:
            digest_deliver_task.delay(delivery_id)
        except Exception:
            # The record stays pending and due: the next run queues it again.
            logger.warning("Digest delivery %s stays pending: the broker did not take it", delivery_id, exc_info=True)


def digests_send_due(*, now: datetime | None = None) -> dict | None:
    """The hourly job: send the latest closed week's digests that have not gone out, and raise the
    alarm (logger.error) when they are not all out two hours after the week's deadline."""
    now = now or timezone.now()
    week = digest_week_due(now=now)
    result = digests_send(week=week, now=now) if week is not None else None
    alarm = digest_alarm(now=now)
    if alarm is not None:
        logger.error(
            "Weekly digests of %s are not all out %s min after the deadline: %s of %s delivered, "
            "%s pending, %s failed, %s never planned",
            alarm["week"],
            settings.DIGEST_ALARM_AFTER_MINUTES,
            alarm["delivered"],
            alarm["recipients"],
            alarm["pending"],
            alarm["failed"],
            alarm["not_planned"],
        )
    return result


def deliveries_retry(*, delivery_ids) -> int:
    """Give failed deliveries another round of attempts (the admin's action). Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            DigestDelivery.objects.select_for_update(skip_locked=True)
            .filter(id__in=list(delivery_ids), status=DeliveryStatus.FAILED)
            .values_list("id", flat=True)
        )
        DigestDelivery.objects.filter(id__in=ids).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now, claimed_at=None, updated_at=now
        )
        transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


# ---- one delivery ----------------------------------------------------------------------------


def digest_deliver(*, delivery_id: int, retries_done: int = 0, now: datetime | None = None) -> int | None:
    """Send one recorded digest, at most once. Returns the seconds to wait before a retry after a
    transient SMTP failure (DIGEST_RETRY_DELAYS, ``retries_done`` of them used), None otherwise:
    sent, skipped, failed for good, or taken by another sender."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.DIGEST_CLAIM_TIMEOUT_SECONDS)
    claimed = (
        DigestDelivery.objects.filter(id=delivery_id, status=DeliveryStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return None
    delivery = DigestDelivery.objects.select_related("user").get(id=delivery_id)
    user = delivery.user
    opted_out = DigestSubscription.objects.filter(user_id=user.id, opted_out=True).exists()
    email = (user.email or "").strip()
    with translation.override("ru"):
        reason = _skip_reason(email=email, opted_out=opted_out, active=user.is_active)
    if reason:
        _finish(delivery_id, status=DeliveryStatus.SKIPPED, last_error=reason, attempts=F("attempts") - 1)
        return None
    try:
        accepted = _message(delivery, email).send(using="default")
        if not accepted:
            raise smtplib.SMTPException("the mail backend accepted no message")
    except Exception as error:
        return _failed(delivery, error, retries_done=retries_done, now=now)
    _finish(delivery_id, status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="", email=email)
    return None


def _message(delivery: DigestDelivery, email: str) -> DigestMessage:
    link = unsubscribe_url(user_id=delivery.user_id)
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    headers = {
        # RFC 8058: one-click unsubscribe by a POST to the link, without a login.
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        # The same for every attempt: a copy sent again after a crash is recognised as the same mail.
        "Message-ID": f"<digest.{delivery.week:%Y%m%d}.{delivery.kind}.{delivery.user_id}@{domain}>",
    }
    message = DigestMessage(subject=delivery.subject, body=delivery.body_text, to=[email], headers=headers)
    message.attach_alternative(delivery.body_html, "text/html")
    return message


def _failed(delivery: DigestDelivery, error: Exception, *, retries_done: int, now: datetime) -> int | None:
    """Record a failed attempt: another one after a delay while the error is transient and delays
    are left, else `failed` for good with the error."""
    text = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    delays = tuple(settings.DIGEST_RETRY_DELAYS)
    if not _is_permanent(error) and retries_done < len(delays):
        delay = delays[retries_done]
        # Were the retry's message lost, the next run queues the record once this has passed.
        retry_due = now + timedelta(seconds=delay + settings.DIGEST_CLAIM_TIMEOUT_SECONDS)
        _finish(delivery.id, status=DeliveryStatus.PENDING, last_error=text, next_attempt_at=retry_due)
        logger.warning(
            "Digest delivery %s to %s failed (%s), retry in %s s", delivery.id, delivery.user_id, text, delay
        )
        return delay
    _finish(delivery.id, status=DeliveryStatus.FAILED, last_error=text)
    logger.error("Digest delivery %s to user %s failed for good: %s", delivery.id, delivery.user_id, text)
    return None


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer will not change on a retry; connection errors, timeouts and 4xx may."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _finish(delivery_id: int, **fields) -> None:
    DigestDelivery.objects.filter(id=delivery_id).update(claimed_at=None, updated_at=timezone.now(), **fields)
