"""The admin of data-quality warnings: an administrator makes a code blocking (recorded in the
audit trail, no deploy); stored warnings are read there, never edited."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from metrics.choices import WarningCode
from metrics.models import WarningRule

pytestmark = pytest.mark.django_db


def test_every_code_has_a_rule_and_none_blocks_by_default():
    assert sorted(WarningRule.objects.values_list("code", "blocking")) == sorted(
        (code, False) for code in WarningCode.values
    )


def test_an_administrator_makes_a_code_blocking_and_it_is_audited(client, admin_user):
    client.force_login(admin_user)
    rule = WarningRule.objects.get(code=WarningCode.SAME_AS_PREVIOUS)
    response = client.post(reverse("admin:metrics_warningrule_change", args=[rule.pk]), {"blocking": "on"})
    assert response.status_code == 302, response.content[:2000]
    rule.refresh_from_db()
    assert rule.blocking
    entry = LogEntry.objects.get(object_id=str(rule.pk))
    assert entry.user == admin_user and "Блокирует загрузку" in entry.get_change_message()


@pytest.mark.parametrize("model", ["metrics/warningrule", "metrics/uploadwarning"])
def test_the_warning_admin_pages_open(client, admin_user, model):
    client.force_login(admin_user)
    assert client.get(f"/admin/{model}/").status_code == 200
    assert client.get(f"/admin/{model}/add/").status_code == 403
