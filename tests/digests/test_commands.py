"""send_digests (and its dry run) and digest_example (docs/digest-example.md is its output)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from digests.choices import DeliveryStatus
from digests.models import DigestDelivery
from digests.services import digest_subscription_set

from .conftest import coordinator, ministry, seed_week
from .smtp import smtp_server

DOCS = Path(__file__).resolve().parents[2] / "docs" / "digest-example.md"


def run(*args) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_dry_run_prints_who_would_get_what_and_sends_and_writes_nothing():
    seed_week()
    coordinator("62")
    quiet = coordinator("63")
    coordinator("77", email="")
    ministry()
    digest_subscription_set(user_id=quiet.id, opted_out=True)
    with smtp_server() as mailbox:
        out = run("--week", "2025-10-29", "--dry-run")
    assert mailbox.messages == []
    assert DigestDelivery.objects.count() == 0
    lines = out.splitlines()
    assert (
        "send   coordinator62 <coord62@region62.example.ru> [coordinator, 62 Рязанская область]: "
        "Сферум → MAX: Рязанская область, неделя с 27.10.2025"
    ) in lines
    assert (
        "skip   coordinator63 <coord63@region63.example.ru> [coordinator, 63 Самарская область]: "
        "пользователь отказался от сводки" in lines
    )
    assert "skip   coordinator77 [coordinator, 77 Москва]: у пользователя не указан адрес электронной почты" in lines
    assert (
        "send   ministry <ministry@edu.gov.example> [ministry, Россия]: Сферум → MAX: Россия, неделя с 27.10.2025"
        in lines
    )
    assert "2025-10-27: 2 to send, 2 to skip, 0 already recorded. Dry run: nothing sent, nothing written." in out


@pytest.mark.django_db
def test_the_command_sends_a_week_once_whatever_it_is_run_again(django_capture_on_commit_callbacks):
    seed_week()
    user = coordinator("62")
    ministry()
    with smtp_server() as mailbox:
        with django_capture_on_commit_callbacks(execute=True):
            first = run("--week", "2025-10-27")
        with django_capture_on_commit_callbacks(execute=True):
            second = run("--week", "2025-10-27")
        dry = run("--week", "2025-10-27", "--dry-run")
    assert len(mailbox.messages) == 2 and len(mailbox.to(user.email)) == 1
    assert "2 new, 0 skipped, 2 queued" in first
    assert "0 new, 0 skipped, 0 queued; now sent 2" in second
    assert "exists coordinator62 <coord62@region62.example.ru> [coordinator, 62 Рязанская область]: sent" in dry
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


@pytest.mark.django_db
def test_the_command_refuses_a_week_without_values():
    with pytest.raises(CommandError, match="No KPI values for the week of 2025-10-27"):
        run("--week", "2025-10-27")


def test_docs_digest_example_is_the_commands_output():
    """Regenerate with: python manage.py digest_example > docs/digest-example.md"""
    out = StringIO()
    call_command("digest_example", stdout=out)
    assert DOCS.read_text(encoding="utf-8") == out.getvalue()
    assert (
        "Просрочено с 01.11.2025 · мешает: активные должностные лица 95,7\u00a0% из 100\u00a0%, −4,3\u00a0п.\u00a0п."
        in out.getvalue()
    )
